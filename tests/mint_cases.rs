//! Minting cases as data: `tests/mint/cases/*.json`. Each case evaluates a request against
//! `tests/mint/config.json` (optionally patched with RFC 6902 `configPatch`), mints with a key
//! set generated from `seed` for `alg`, and compares the decoded tokens — header and payload,
//! claim order included — with `expect`. `"user": "$user"` in a request stands for
//! `tests/mint/user.json`. Cases with `"golden": true` also pin the compact tokens byte for byte
//! (deterministic algorithms only: RS*, EdDSA).
//!
//! Every minted token is also checked with the crate's verifier against the published JWKS
//! (signature, iss, aud, at_hash, c_hash), and minting twice from the same seed must give the
//! same bytes.
//!
//! `TOKENMINT_BLESS=1 cargo test --test mint_cases` rewrites `expect` from what is minted; review
//! the diff before committing.

// A panic here is a failed test or a stopped tool, not a host brought down: the crate's
// lints for src/ (Cargo.toml) are relaxed.
#![allow(
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    unreachable_pub
)]

use base64::Engine as _;
use chrono::{DateTime, Utc};
use rand::SeedableRng;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};
use tokenmint::config::RotationMode;
use tokenmint::token::{Algorithm, Expectations, Jwks, KeySet, verify};
use tokenmint::{AuthorizationServer, Options, ServerConfig, TokenRequest};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mint")
}

fn decode(compact: &str) -> Value {
    let parts: Vec<&str> = compact.split('.').collect();
    assert_eq!(parts.len(), 3, "compact JWS");
    let part = |s: &str| -> Value {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s)
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    };
    json!({"header": part(parts[0]), "payload": part(parts[1])})
}

/// One case file. Read twice: into this (so a misspelled member fails) and as JSON (which
/// blessing rewrites).
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Case {
    #[allow(dead_code)] // read by people
    name: String,
    request: Value,
    #[serde(default)]
    seed: Option<u64>,
    #[serde(default)]
    alg: Option<String>,
    expect: Value,
    #[serde(default)]
    config_patch: Option<json_patch::Patch>,
    #[serde(default)]
    golden: bool,
    #[serde(default)]
    compact: Option<Value>,
    /// Present: the case also pins the `/userinfo` claims (inside `expect`).
    #[serde(default)]
    userinfo: Option<Value>,
    #[serde(default)]
    options: CaseOptions,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    mint_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CaseOptions {
    #[serde(default)]
    at_jwt_typ: Option<bool>,
    #[serde(default)]
    implicit_oidc_scopes: Option<bool>,
    #[serde(default)]
    org_id: Option<String>,
}

impl Case {
    fn alg(&self) -> Algorithm {
        self.alg.as_deref().unwrap_or("RS256").parse().unwrap()
    }
}

fn server_for(case: &Case) -> AuthorizationServer {
    let mut cfg: Value =
        serde_json::from_str(&std::fs::read_to_string(dir().join("config.json")).unwrap()).unwrap();
    if let Some(patch) = &case.config_patch {
        json_patch::patch(&mut cfg, patch).unwrap();
    }
    let mut options = Options::default();
    if let Some(b) = case.options.at_jwt_typ {
        options.at_jwt_typ = b;
    }
    if let Some(b) = case.options.implicit_oidc_scopes {
        options.implicit_oidc_scopes = b;
    }
    if let Some(id) = &case.options.org_id {
        options.org_id = Some(id.clone());
    }
    let cfg = ServerConfig::from_value(cfg).unwrap();
    AuthorizationServer::compile(cfg, options).unwrap_or_else(|e| panic!("{e}"))
}

fn request_for(case: &Case) -> TokenRequest {
    let mut req = case.request.clone();
    if req.get("user") == Some(&json!("$user")) {
        let user: Value =
            serde_json::from_str(&std::fs::read_to_string(dir().join("user.json")).unwrap())
                .unwrap();
        req["user"] = user;
    }
    TokenRequest::from_json(&req.to_string()).unwrap_or_else(|e| panic!("request: {e}"))
}

struct Outcome {
    actual: Value,
    compact: Value,
}

/// Runs a case once from a fresh RNG seeded with the case's seed.
fn run(case: &Case, server: &AuthorizationServer, req: &TokenRequest) -> Outcome {
    let alg = case.alg();
    let seed = case.seed.unwrap_or(1);
    let now: DateTime<Utc> = case.mint_at.unwrap_or(req.now);
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
    let keys = KeySet::generate(alg, RotationMode::Auto, req.now, &mut rng).unwrap();
    let grant = match server.evaluate(req) {
        Ok(g) => g,
        Err(e) => {
            let mut err = e.to_json();
            err["cause"] = json!(e.cause);
            return Outcome {
                actual: json!({"error": err}),
                compact: Value::Null,
            };
        }
    };
    let minted = match case.code.as_deref() {
        Some(code) => server.mint_with_code(&grant, code, &keys, now, &mut rng),
        None => server.mint(&grant, &keys, now, &mut rng),
    };
    let tokens = match minted {
        Ok(t) => t,
        Err(e) => {
            let mut err = e.to_json();
            err["cause"] = json!(e.cause);
            return Outcome {
                actual: json!({"error": err}),
                compact: Value::Null,
            };
        }
    };
    // Independent of the expectations: every token verifies against the published JWKS.
    let jwks = Jwks::from_value(&keys.jwks()).unwrap();
    let issuer = grant
        .issuer
        .clone()
        .or_else(|| server.config().authorization_server.issuer.clone())
        .unwrap();
    if let Some(at) = &tokens.access_token {
        let aud = server.config().authorization_server.audiences[0].clone();
        verify(at, &jwks, &Expectations::new(&issuer, &aud, now))
            .unwrap_or_else(|e| panic!("access token does not verify: {e}"));
    }
    if let Some(id) = &tokens.id_token {
        let checked = verify(
            id,
            &jwks,
            &Expectations::new(&issuer, &grant.client_id, now),
        )
        .unwrap_or_else(|e| panic!("ID token does not verify: {e}"));
        if let Some(at) = &tokens.access_token {
            checked.check_at_hash(at).unwrap();
        }
        if let Some(code) = case.code.as_deref() {
            checked.check_c_hash(code).unwrap();
        }
    }
    let mut actual = Map::new();
    actual.insert(
        "response".into(),
        json!({"token_type": tokens.token_type, "expires_in": tokens.expires_in,
               "scope": tokens.scope}),
    );
    actual.insert(
        "access_token".into(),
        tokens.access_token.as_deref().map_or(Value::Null, decode),
    );
    let mut id_token = tokens.id_token.as_deref().map_or(Value::Null, decode);
    if !alg.is_deterministic()
        && let Some(h) = id_token.pointer_mut("/payload/at_hash")
    {
        // ECDSA and PSS signatures are randomized, so the access token's bytes (and their
        // hash) differ per run; the verifier checked at_hash against the real token above.
        *h = json!("(randomized, verified)");
    }
    actual.insert("id_token".into(), id_token);
    actual.insert(
        "refresh".into(),
        match (&tokens.refresh_token, &tokens.refresh_record) {
            (Some(handle), Some(record)) => {
                assert_eq!(handle.len(), 43, "refresh handle");
                json!({"record": record})
            }
            (None, None) => Value::Null,
            _ => panic!("refresh token and record come together"),
        },
    );
    if case.userinfo.is_some() {
        actual.insert(
            "userinfo".into(),
            match server.userinfo(&grant) {
                Ok(m) => Value::Object(m),
                Err(e) => json!({"error": e.to_json()}),
            },
        );
    }
    Outcome {
        actual: Value::Object(actual),
        compact: json!({"access_token": tokens.access_token, "id_token": tokens.id_token}),
    }
}

#[test]
fn mint_cases() {
    let bless = std::env::var_os("TOKENMINT_BLESS").is_some();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir().join("cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut failures = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(path).unwrap();
        let typed: Case = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let server = server_for(&typed);
        let req = request_for(&typed);
        let first = run(&typed, &server, &req);
        let second = run(&typed, &server, &req);
        if typed.alg().is_deterministic() {
            assert_eq!(first.compact, second.compact, "{name}: not byte-stable");
        }
        let golden = typed.golden;
        if bless {
            let mut case: Value = serde_json::from_str(&text).unwrap();
            case["expect"] = first.actual.clone();
            if golden {
                case["compact"] = first.compact.clone();
            }
            let out = serde_json::to_string_pretty(&case).unwrap() + "\n";
            std::fs::write(path, out).unwrap();
            continue;
        }
        if typed.expect != first.actual {
            failures.push(format!(
                "{name}: minted differs\n  want: {}\n  got:  {}",
                typed.expect, first.actual
            ));
        }
        if golden && typed.compact.as_ref() != Some(&first.compact) {
            failures.push(format!(
                "{name}: compact tokens differ from the golden vector"
            ));
        }
    }
    assert!(files.len() >= 12, "only {} mint cases", files.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
