//! The offline Token Preview: which policy and rule a request matches, why, and the tokens it
//! mints.
//!
//! ```text
//! cargo run --example preview -- CONFIG.json REQUEST.json [--json] [--seed N] [--alg ALG] [--code CODE] [--server NAME] [--hook-response FILE]
//! ```
//!
//! CONFIG is a server bundle in Management API shapes or the output of `terraform show -json`
//! (a state or a plan with the Okta provider's `okta_auth_server*` resources; `--server NAME`
//! picks a server by name or resource address when it holds several), REQUEST a token request
//! (see `examples/data/`). A key set for `--alg` (RS256 by default) is generated at the request's
//! `now`, from a ChaCha20 RNG seeded with `--seed N` (same seed, same keys, jti values and
//! refresh handle; byte-identical tokens for RS*, EdDSA) or from OS randomness; the tokens are
//! minted with the same RNG. `--code CODE` mints as for a hybrid authorization response that
//! also carries the authorization code CODE: the ID token gets its `c_hash`.
//!
//! Token features the configuration and the request name are previewed too: a rule's token
//! inline hook (the request body Okta would POST to it is shown; `--hook-response FILE` applies
//! FILE as the hook's answer before signing), an encrypted access token
//! (`accessTokenEncryptedResponseAlgorithm`: the compact JWE, its protected header, and the
//! claims of the signed token inside), a DPoP proof (the request's `dpop` member: `{"proof",
//! "method", "url", "nonces"?, "maxAge"?, "maxFuture"?}`; the access token is bound and
//! `token_type` is `DPoP`), the request's `acr`, and the device secret of `device_sso`.
//!
//! Without `--json` it prints the compile warnings, the trace, then each token decoded (header
//! and payload, the signature left out as Okta's Token Preview does) with its compact form, the
//! refresh-token handle and record, and the JWKS. With `--json` it prints one object:
//!
//! ```text
//! {"decision": {"policy", "rule", "scopes", "lifetimes"} | null,
//!  "error": {"error", "error_description", "cause"?} | null,
//!  "trace": [...],
//!  "access_token": {"header", "payload", "compact"} | null,
//!  "id_token": {"header", "payload", "compact"} | null,
//!  "refresh_token": {"handle", "record"} | null,
//!  "jwks": {"keys": [...]},
//!  "consent": [scopes to ask the user for] | null}
//! ```
//!
//! `consent` is the consent decision of the user flows through `/authorize`
//! (`authorization_code`, `implicit`, `interaction_code`): the granted scopes the user must be
//! asked to consent to (from the scopes' `consent`, the client's `consentMethod`, the request's
//! `prompt` and `consentGranted`); `null` for other grants and refused requests.
//! The object also has `"hook_request": {<Okta's token inline hook body>} | null` (null when the
//! matched rule names no token inline hook and no `--hook-response` is given) and `"hook":
//! {"applied", "operations", "reason"?} | null` (null: no answer applied); when a device secret is issued,
//! `"device_secret"`; when the access token is DPoP-bound, `"token_type": "DPoP"`. For an
//! encrypted access token, `header` is the JWE's protected header and `payload` the claims of
//! the signed token it holds.
//!
//! A request that matches but whose tokens can't be minted (e.g. a claim expression that fails)
//! has both a `decision` and an `error`; `cause` says what failed inside.
//!
//! Exit status: 0 tokens minted, 1 denied or mint error (an OAuth error), 2 bad arguments,
//! configuration or request. Output to a closed pipe (`preview … | head`) ends quietly.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Cli, pretty};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::{Map, Value, json};
use std::io::{self, Write};
use std::process::ExitCode;
use tokenmint::TokenResponse;
use tokenmint::check::load_server;
use tokenmint::config::RotationMode;
use tokenmint::config::terraform::Located;
use tokenmint::token::{Algorithm, KeySet};
use tokenmint::trace::{Outcome, Trace, TraceStep};
use tokenmint::{HookReport, OAuthError, Options, TokenRequest};

const CLI: Cli = Cli {
    name: "preview",
    usage: USAGE,
};

const USAGE: &str = "usage: preview CONFIG.json REQUEST.json [--json] [--seed N] [--alg ALG] [--code CODE] [--server NAME] [--hook-response FILE]\n  CONFIG: a server bundle, or terraform show -json output (--server picks a server by name)\n  ALG: RS256 (default), RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA";

/// What Okta's Token Preview shows instead of the signature.
const SIGNATURE_REMOVED: &str = "/* The JWT signature has been removed from this token preview. */";

struct Args {
    config: String,
    request: String,
    json: bool,
    seed: Option<u64>,
    alg: Algorithm,
    code: Option<String>,
    server: Option<String>,
    hook_response: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut files = Vec::new();
    let mut json = false;
    let mut seed = None;
    let mut alg = Algorithm::RS256;
    let mut code = None;
    let mut server = None;
    let mut hook_response = None;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--json" => json = true,
            "--seed" => seed = Some(common::seed(it.next())?),
            "--alg" => alg = common::alg(it.next())?,
            "--code" => {
                let v = it.next().ok_or("--code needs an authorization code")?;
                if v.is_empty() {
                    return Err("--code: the code is empty".into());
                }
                code = Some(v);
            }
            "--server" => {
                server = Some(it.next().ok_or("--server needs a server name")?);
            }
            "--hook-response" => {
                hook_response = Some(it.next().ok_or("--hook-response needs a file")?);
            }
            "-h" | "--help" => return Err(String::new()),
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            _ => files.push(a),
        }
    }
    let [config, request]: [String; 2] = files.try_into().map_err(|f: Vec<String>| {
        format!("expected CONFIG and REQUEST, got {} file(s)", f.len())
    })?;
    Ok(Args {
        config,
        request,
        json,
        seed,
        alg,
        code,
        server,
        hook_response,
    })
}

/// A compact JWS split into its decoded header and payload.
struct Decoded {
    header: Value,
    payload: Value,
    compact: String,
}

fn part(s: &str) -> Result<Value, String> {
    let bytes = URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|e| format!("not base64url: {e}"))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("not JSON: {e}"))
}

/// An encrypted access token: the JWE's protected header, and the claims of the signed token
/// inside (as prepared; the preview holds no decryption key).
fn decode_encrypted(compact: &str, claims: Option<&Map<String, Value>>) -> Result<Decoded, String> {
    let header = compact.split('.').next().ok_or("not a compact JWE")?;
    Ok(Decoded {
        header: part(header)?,
        payload: claims.cloned().map_or(Value::Null, Value::Object),
        compact: compact.to_owned(),
    })
}

fn decode(compact: &str) -> Result<Decoded, String> {
    let mut it = compact.split('.');
    let (Some(h), Some(p), Some(_), None) = (it.next(), it.next(), it.next(), it.next()) else {
        return Err("not a compact JWS".into());
    };
    Ok(Decoded {
        header: part(h)?,
        payload: part(p)?,
        compact: compact.to_owned(),
    })
}

/// Everything the preview prints, computed before anything is written.
struct Preview {
    trace: Trace,
    /// The mint error of a granted request.
    mint_error: Option<OAuthError>,
    tokens: Option<TokenResponse>,
    access: Option<Decoded>,
    id: Option<Decoded>,
    jwks: Value,
    hook_request: Option<Value>,
    hook: Option<HookReport>,
}

impl Preview {
    fn error(&self) -> Option<&OAuthError> {
        match &self.trace.outcome {
            Outcome::Denied(e) => Some(e),
            Outcome::Granted(_) => self.mint_error.as_ref(),
        }
    }
}

fn error_json(e: &OAuthError) -> Value {
    let mut v = e.to_json();
    if let (Some(cause), Value::Object(m)) = (&e.cause, &mut v) {
        m.insert("cause".into(), Value::from(cause.as_str()));
    }
    v
}

fn write_json(out: &mut impl Write, p: &Preview) -> io::Result<()> {
    let decision = match &p.trace.outcome {
        Outcome::Granted(g) => json!({"policy": g.policy, "rule": g.rule, "scopes": g.scopes,
                                      "lifetimes": g.lifetimes}),
        Outcome::Denied(_) => Value::Null,
    };
    let token = |d: &Option<Decoded>| match d {
        Some(d) => json!({"header": d.header, "payload": d.payload, "compact": d.compact}),
        None => Value::Null,
    };
    let refresh = match &p.tokens {
        Some(TokenResponse {
            refresh_token: Some(handle),
            refresh_record,
            ..
        }) => json!({"handle": handle, "record": refresh_record}),
        _ => Value::Null,
    };
    let consent = match &p.trace.outcome {
        Outcome::Granted(g) => json!(g.consent),
        Outcome::Denied(_) => Value::Null,
    };
    let mut doc = json!({
        "decision": decision,
        "error": p.error().map_or(Value::Null, error_json),
        "trace": p.trace.steps,
        "access_token": token(&p.access),
        "id_token": token(&p.id),
        "refresh_token": refresh,
        "jwks": p.jwks,
        "consent": consent,
    });
    if let Value::Object(m) = &mut doc {
        // Always present (null when the rule names no hook and no answer was given), as the
        // preview's interface promises.
        m.insert(
            "hook_request".into(),
            p.hook_request.clone().unwrap_or(Value::Null),
        );
        m.insert("hook".into(), json!(p.hook));
        if let Some(t) = &p.tokens {
            if let Some(secret) = &t.device_secret {
                m.insert("device_secret".into(), json!(secret));
            }
            if t.token_type != "Bearer" {
                m.insert("token_type".into(), json!(t.token_type));
            }
        }
    }
    writeln!(out, "{}", pretty(&doc))
}

fn write_token(out: &mut impl Write, title: &str, d: &Decoded) -> io::Result<()> {
    writeln!(out, "\n== {title}")?;
    writeln!(out, "{}", pretty(&d.header))?;
    writeln!(out, ".")?;
    writeln!(out, "{}", pretty(&d.payload))?;
    writeln!(out, ".")?;
    writeln!(out, "{SIGNATURE_REMOVED}")?;
    writeln!(out, "\n-- compact ({} characters)", d.compact.len())?;
    writeln!(out, "{}", d.compact)
}

fn write_readable(
    out: &mut impl Write,
    warnings: &[Located],
    request: &TokenRequest,
    p: &Preview,
) -> io::Result<()> {
    for w in warnings {
        writeln!(out, "{w}")?;
    }
    let scopes = match &request.scopes {
        Some(s) => format!("[{}]", s.join(", ")),
        None => "(no scope parameter)".to_owned(),
    };
    writeln!(
        out,
        "Token preview: client {}, grant {}, scopes {scopes}{}\n",
        request.client.client_id,
        request.grant_type,
        request
            .user
            .as_ref()
            .map(|u| format!(", user {}", u.id))
            .unwrap_or_default()
    )?;
    writeln!(out, "{}", p.trace)?;
    if let Some(e) = &p.mint_error {
        writeln!(out, "\nThe request matched, but no tokens could be minted:")?;
        writeln!(out, "  {}: {}", e.error(), e.description())?;
        if let Some(cause) = &e.cause {
            writeln!(out, "  cause: {cause}")?;
        }
    } else if let Outcome::Denied(e) = &p.trace.outcome
        && let Some(cause) = &e.cause
    {
        writeln!(out, "  cause: {cause}")?;
    }
    if let Some(body) = &p.hook_request {
        writeln!(out, "\n== token inline hook request\n{}", pretty(body))?;
    }
    if let Some(h) = &p.hook {
        if h.applied {
            writeln!(
                out,
                "\n== hook answer applied ({} operation{})",
                h.operations,
                if h.operations == 1 { "" } else { "s" }
            )?;
        } else {
            writeln!(
                out,
                "\n== hook answer ignored, tokens issued unchanged: {}",
                h.reason.as_deref().unwrap_or_default()
            )?;
        }
    }
    if let Some(t) = &p.tokens {
        let mut summary = format!("\n== token response: token_type {}", t.token_type);
        if let Some(e) = t.expires_in {
            summary.push_str(&format!(", expires_in {e}"));
        }
        summary.push_str(&format!(", scope {:?}", t.scope));
        writeln!(out, "{summary}")?;
    }
    if let Some(d) = &p.access {
        let encrypted = d.compact.split('.').count() == 5;
        let title = if encrypted {
            "access token (encrypted: the JWE header, then the claims of the signed token inside)"
        } else {
            "access token"
        };
        write_token(out, title, d)?;
    }
    if let Some(d) = &p.id {
        write_token(out, "ID token", d)?;
    }
    if let Some(t) = &p.tokens
        && let Some(handle) = &t.refresh_token
    {
        writeln!(out, "\n== refresh token\n{handle}")?;
        if let Some(r) = &t.refresh_record {
            let record = serde_json::to_value(r).unwrap_or(Value::Null);
            writeln!(out, "-- record to store under it\n{}", pretty(&record))?;
        }
    }
    if let Some(secret) = p.tokens.as_ref().and_then(|t| t.device_secret.as_ref()) {
        writeln!(out, "\n== device secret\n{secret}")?;
    }
    writeln!(out, "\n== JWKS\n{}", pretty(&p.jwks))
}

fn fail(msg: &str) -> ExitCode {
    CLI.fail(msg)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => return CLI.usage_error(&msg),
    };
    let read = common::read;
    let (config_text, request_text) = match (read(&args.config), read(&args.request)) {
        (Ok(c), Ok(r)) => (c, r),
        (Err(e), _) | (_, Err(e)) => return fail(&e),
    };
    let hook_answer = match &args.hook_response {
        Some(path) => match std::fs::read(path) {
            Ok(bytes) => Some(bytes),
            Err(e) => return fail(&format!("can't read {path}: {e}")),
        },
        None => None,
    };
    let (server, warnings, terraform) =
        match load_server(&config_text, args.server.as_deref(), Options::default()) {
            Ok(l) => (l.server, l.warnings, l.terraform),
            Err(e) => return fail(&format!("{}: {e}", args.config)),
        };
    let request = match TokenRequest::from_json(&request_text) {
        Ok(r) => r,
        Err(e) => {
            return fail(&format!("{}: not a valid token request: {e}", args.request));
        }
    };

    let mut rng = match args.seed {
        Some(seed) => ChaCha20Rng::seed_from_u64(seed),
        None => ChaCha20Rng::from_rng(&mut rand::rng()),
    };
    let now = request.now;
    let keys = match KeySet::generate(args.alg, RotationMode::Auto, now, &mut rng) {
        Ok(k) => k,
        Err(e) => return fail(&format!("can't generate a {} key: {e}", args.alg)),
    };
    let trace = server.explain(&request);
    let mut p = Preview {
        trace,
        mint_error: None,
        tokens: None,
        access: None,
        id: None,
        jwks: keys.jwks(),
        hook_request: None,
        hook: None,
    };
    if let Outcome::Granted(grant) = &p.trace.outcome {
        if grant.inline_hook.is_none() && hook_answer.is_some() {
            return fail(&format!(
                "--hook-response: the matched rule {:?} names no token inline hook",
                grant.rule.name
            ));
        }
        let mut access_claims = None;
        let minted = server
            .prepare(grant, args.code.as_deref(), now, &mut rng)
            .and_then(|mut prepared| {
                p.hook_request = prepared.hook_request();
                if let Some(answer) = &hook_answer {
                    p.hook = Some(prepared.apply_hook(answer)?.clone());
                }
                access_claims = prepared.access_claims().cloned();
                prepared.sign(&keys, &mut rng)
            });
        match minted {
            Ok(t) => {
                let dec = |t: &Option<String>| t.as_deref().map(decode).transpose();
                let access = match t.access_token.as_deref() {
                    Some(jwe) if jwe.split('.').count() == 5 => {
                        decode_encrypted(jwe, access_claims.as_ref()).map(Some)
                    }
                    _ => dec(&t.access_token),
                };
                match (access, dec(&t.id_token)) {
                    (Ok(a), Ok(i)) => {
                        p.access = a;
                        p.id = i;
                    }
                    (Err(e), _) | (_, Err(e)) => {
                        return fail(&format!("a minted token doesn't decode: {e}"));
                    }
                }
                p.tokens = Some(t);
            }
            Err(e) => p.mint_error = Some(e),
        }
    }
    let code = if p.error().is_some() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };

    CLI.report("preview", code, |out| {
        if args.json {
            write_json(out, &p)
        } else {
            // Terraform input: the readable trace names resources, not configuration pointers.
            if let Some(tf) = &terraform {
                for step in &mut p.trace.steps {
                    if let TraceStep::Policy { path, .. } | TraceStep::Rule { path, .. } = step
                        && let Some(address) = tf.address_of(path)
                    {
                        *path = address.to_owned();
                    }
                }
            }
            write_readable(out, &warnings, &request, &p)
        }
    })
}
