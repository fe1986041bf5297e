//! The quickstart: the built-in sample authorization server (`config.json` beside this file)
//! end to end.
//!
//! 1. loads, validates and compiles it and prints what it holds;
//! 2. generates its signing keys (RS256, from a fixed seed so the output is stable);
//! 3. runs three requests — a client-credentials grant, an authorization-code grant for a
//!    user with a profile, groups and an app user, and a request that is denied — printing for
//!    each the decision trace and the decoded tokens;
//! 4. verifies the tokens it minted as a resource server and a client would, against the
//!    published JWKS (signature, `iss`, `aud`, `exp`, scopes, the ID token's `at_hash`);
//! 5. redeems the refresh token, and prints the user's `/userinfo` claims;
//! 6. prints the JWKS, then the diagnostics of the same configuration with three mistakes.
//!
//! Run it with `cargo run --example quickstart`.

// A panic here is a failed test or a stopped tool, not a host brought down: the crate's
// lints for src/ (Cargo.toml) are relaxed.
#![allow(
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    unreachable_pub
)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::{Value, json};
use std::error::Error;
use std::io::{self, Write};
use tokenmint::config::{ClaimType, Status};
use tokenmint::token::{Algorithm, Expectations, Jwks, KeySet, verify};
use tokenmint::{AuthorizationServer, Options, ServerConfig, TokenRequest, TokenResponse};

const SAMPLE: &str = include_str!("config.json");
const ISSUER: &str = "https://example.okta.com/oauth2/aus1orders";
const AUDIENCE: &str = "api://orders";
const SEED: u64 = 2026;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

fn main() {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let result = run(&mut out).and_then(|()| Ok(out.flush()?));
    if let Err(e) = result {
        // A closed pipe (`quickstart | head`) is not an error worth a word.
        if e.downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
        {
            return;
        }
        let _ = writeln!(io::stderr(), "quickstart: {e}");
        std::process::exit(2);
    }
}

fn run(out: &mut impl Write) -> Result<()> {
    let config = ServerConfig::from_json(SAMPLE)?;
    // The org id, set once: the ID token's `idp` for users who signed in with Okta itself.
    let mut options = Options::default();
    options.org_id = Some("00o1exampleorg".into());
    let server = AuthorizationServer::compile(config, options)?;
    describe(out, &server)?;

    // The host's clock, randomness and keys. A real host takes the time from its clock and
    // its randomness from the OS; the fixed values keep this output the same on every run.
    let now = Utc
        .with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
        .single()
        .ok_or("time")?;
    let mut rng = ChaCha20Rng::seed_from_u64(SEED);
    let keys = KeySet::generate_for(server.config(), Algorithm::RS256, now, &mut rng)?;
    // What resource servers and clients download from /v1/keys.
    let jwks = Jwks::from_value(&keys.jwks())?;

    // (a) A back-end service: client credentials, no user.
    heading(
        out,
        "(a) client credentials: the inventory service reads orders",
    )?;
    let req = request(json!({
        "client": {"clientId": "0oa1inventory", "name": "Inventory service",
                   "profile": {"tier": "gold"}},
        "grantType": "client_credentials",
        "scopes": ["orders:read"],
        "now": now,
    }))?;
    let tokens = preview(out, &server, &req, &keys, now, &mut rng)?.ok_or("expected tokens")?;
    let at = tokens.access_token.as_deref().ok_or("no access token")?;
    let expect = Expectations::new(ISSUER, AUDIENCE, now).require_scopes(["orders:read"]);
    let checked = verify(at, &jwks, &expect)?;
    writeln!(
        out,
        "verified: access token (kid {}, sub {}, scp {})",
        checked.kid, checked.claims["sub"], checked.claims["scp"]
    )?;

    // (b) A signed-in user at the storefront: authorization code with openid, groups and
    // custom claims, and offline_access for a refresh token.
    heading(
        out,
        "(b) authorization code: Ann signs in to the storefront",
    )?;
    let code_req = request(json!({
        "client": {"clientId": "0oa1storefront", "name": "Storefront",
                   "grantTypes": ["authorization_code", "refresh_token"]},
        "grantType": "authorization_code",
        "responseType": "code",
        "scopes": ["openid", "profile", "email", "groups", "offline_access", "orders:read"],
        "user": {
            "id": "00u1ann", "status": "ACTIVE",
            "created": "2024-05-01T09:00:00.000Z", "lastUpdated": "2026-02-01T09:00:00.000Z",
            "profile": {"login": "ann@example.com", "email": "ann@example.com",
                        "firstName": "Ann", "lastName": "Lee", "locale": "en_US",
                        "department": "Fulfilment"},
            "groups": [
                {"id": "00g1everyone", "name": "Everyone", "type": "BUILT_IN"},
                {"id": "00g1staff", "name": "Staff", "type": "OKTA_GROUP"},
                {"id": "00g1ordadm", "name": "orders-admins", "type": "OKTA_GROUP"},
                {"id": "00g1ordrd", "name": "Orders-Readers", "type": "OKTA_GROUP"},
                {"id": "00g1ad", "name": "orders-ad-sync", "type": "APP_GROUP"}
            ]
        },
        "appuser": {"userName": "ann.lee", "employeeId": "E-1042"},
        "nonce": "n-0S6_WzA2Mj",
        "authTime": now.timestamp() - 30,
        "amr": ["pwd", "mfa"],
        "now": now,
    }))?;
    let tokens =
        preview(out, &server, &code_req, &keys, now, &mut rng)?.ok_or("expected tokens")?;
    check_user_tokens(out, &jwks, &tokens, "0oa1storefront", now)?;

    let grant = server.evaluate(&code_req)?;
    writeln!(out, "\n-- /userinfo for this grant")?;
    writeln!(out, "{}", pretty(&Value::Object(server.userinfo(&grant)?)))?;

    // The refresh: the host looks the handle up and passes the stored record back.
    let later = now + TimeDelta::minutes(50);
    heading(
        out,
        "(b') refresh: 50 minutes later the storefront redeems the refresh token",
    )?;
    let mut record = tokens.refresh_record.clone().ok_or("no refresh record")?;
    record.handle = tokens.refresh_token.clone();
    // The same request in its JSON shape, as a grant_type=refresh_token request.
    let mut refresh_json = serde_json::to_value(&code_req)?;
    let fields = refresh_json.as_object_mut().ok_or("not an object")?;
    fields.remove("responseType");
    fields.remove("scopes"); // no scope parameter: the original scopes
    fields.insert("grantType".into(), "refresh_token".into());
    fields.insert("refresh".into(), serde_json::to_value(&record)?);
    fields.insert("now".into(), serde_json::to_value(later)?);
    let refresh_req = request(refresh_json)?;
    let tokens =
        preview(out, &server, &refresh_req, &keys, later, &mut rng)?.ok_or("expected tokens")?;
    check_user_tokens(out, &jwks, &tokens, "0oa1storefront", later)?;

    // (c) A blocked user: no rule matches.
    heading(out, "(c) denied: a blocked customer asks for orders:write")?;
    let denied = request(json!({
        "client": {"clientId": "0oa1storefront", "name": "Storefront"},
        "grantType": "authorization_code",
        "responseType": "code",
        "scopes": ["openid", "orders:write"],
        "user": {"id": "00u1blocked", "profile": {"login": "mallory@example.com"},
                 "groups": [{"id": "00g1everyone", "name": "Everyone", "type": "BUILT_IN"}]},
        "appuser": {"userName": "mallory"},
        "now": now,
    }))?;
    if preview(out, &server, &denied, &keys, now, &mut rng)?.is_some() {
        return Err("the blocked user got tokens".into());
    }

    heading(out, "JWKS (/v1/keys)")?;
    writeln!(out, "{}", pretty(&keys.jwks()))?;

    // The same server with three mistakes: every one is reported, each with its location.
    let mut broken: Value = serde_json::from_str(SAMPLE)?;
    broken["scopes"][1]["name"] = "orders write".into();
    broken["claims"][2]["name"] = "cid".into();
    broken["policies"][1]["priority"] = 1.into();
    heading(out, "a configuration with three mistakes")?;
    match ServerConfig::from_value(broken)
        .and_then(|c| AuthorizationServer::compile(c, Options::default()))
    {
        Ok(_) => writeln!(out, "   (unexpectedly valid)")?,
        Err(e) => writeln!(out, "{e}")?,
    }
    Ok(())
}

fn heading(out: &mut impl Write, title: &str) -> io::Result<()> {
    writeln!(out, "\n==== {title}\n")
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

fn request(v: Value) -> Result<TokenRequest> {
    Ok(TokenRequest::from_json(&v.to_string())?)
}

/// Prints the decision trace, then mints and prints the decoded tokens. `None` when the
/// request is refused (the error is printed).
fn preview(
    out: &mut impl Write,
    server: &AuthorizationServer,
    req: &TokenRequest,
    keys: &KeySet,
    now: DateTime<Utc>,
    rng: &mut ChaCha20Rng,
) -> Result<Option<TokenResponse>> {
    writeln!(out, "{}", server.explain(req))?;
    let grant = match server.evaluate(req) {
        Ok(g) => g,
        Err(e) => {
            writeln!(
                out,
                "\nHTTP {} {}",
                e.status(),
                serde_json::to_string(&e.to_json())?
            )?;
            return Ok(None);
        }
    };
    let tokens = server.mint(&grant, keys, now, rng)?;
    writeln!(out, "\n-- token response")?;
    let mut body = tokens.to_json();
    for t in ["access_token", "id_token"] {
        if let Some(v) = body.get_mut(t) {
            *v = Value::from("(decoded below)");
        }
    }
    writeln!(out, "{}", pretty(&body))?;
    for (name, token) in [
        ("access token", &tokens.access_token),
        ("ID token", &tokens.id_token),
    ] {
        if let Some(jwt) = token {
            let mut parts = jwt.split('.');
            let mut part = || -> Result<Value> {
                let bytes = URL_SAFE_NO_PAD.decode(parts.next().ok_or("not a JWS")?)?;
                Ok(serde_json::from_slice(&bytes)?)
            };
            let (header, payload) = (part()?, part()?);
            writeln!(out, "\n-- {name}: header, payload")?;
            writeln!(out, "{}", serde_json::to_string(&header)?)?;
            writeln!(out, "{}", pretty(&payload))?;
        }
    }
    if let (Some(handle), Some(record)) = (&tokens.refresh_token, &tokens.refresh_record) {
        writeln!(out, "\n-- refresh token {handle}; the host stores:")?;
        writeln!(out, "{}", serde_json::to_string(record)?)?;
    }
    writeln!(out)?;
    Ok(Some(tokens))
}

/// Verifies a user's access token (as the Orders API would) and ID token (as the client would).
fn check_user_tokens(
    out: &mut impl Write,
    jwks: &Jwks,
    tokens: &TokenResponse,
    client_id: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let at = tokens.access_token.as_deref().ok_or("no access token")?;
    let id = tokens.id_token.as_deref().ok_or("no ID token")?;
    let access = verify(
        at,
        jwks,
        &Expectations::new(ISSUER, AUDIENCE, now).require_scopes(["orders:read"]),
    )?;
    writeln!(
        out,
        "verified: access token (kid {}, sub {}, groups {})",
        access.kid,
        access.claims["sub"],
        access.claims.get("groups").unwrap_or(&Value::Null)
    )?;
    let id_checked = verify(id, jwks, &Expectations::new(ISSUER, client_id, now))?;
    id_checked.check_at_hash(at)?;
    writeln!(
        out,
        "verified: ID token (sub {}, aud {}, at_hash matches the access token)",
        id_checked.claims["sub"], id_checked.claims["aud"]
    )?;
    Ok(())
}

/// What the server holds, as compiled.
fn describe(out: &mut impl Write, server: &AuthorizationServer) -> io::Result<()> {
    let cfg = server.config();
    let s = &cfg.authorization_server;
    writeln!(out, "== authorization server {:?}", s.name)?;
    writeln!(out, "   issuer   {}", s.issuer.as_deref().unwrap_or("-"))?;
    writeln!(out, "   audience {}", s.audiences.join(", "))?;
    writeln!(out, "== scopes")?;
    for sc in &cfg.scopes {
        writeln!(
            out,
            "   {:<14} default={:<5} consent={:?}",
            sc.name, sc.default, sc.consent
        )?;
    }
    writeln!(out, "== claims")?;
    for c in &cfg.claims {
        let token = match c.claim_type {
            Some(ClaimType::Resource) => "access",
            Some(ClaimType::Identity) => "id",
            None => "?",
        };
        writeln!(out, "   {:<12} [{token:<6}] {}", c.name, c.value)?;
    }
    writeln!(out, "== policies")?;
    for p in &cfg.policies {
        let active = if p.status == Status::Active {
            ""
        } else {
            " (inactive)"
        };
        let clients = p
            .conditions
            .clients
            .as_ref()
            .map(|c| c.include.join(", "))
            .unwrap_or_default();
        writeln!(
            out,
            "   {} {:?}{active} for {clients}",
            p.priority.unwrap_or_default(),
            p.name
        )?;
        for r in &p.rules {
            let grants: Vec<&str> = r
                .conditions
                .grant_types
                .include
                .iter()
                .map(|g| g.as_str())
                .collect();
            writeln!(
                out,
                "      {} {:?}: {} / scopes {} / access token {} min",
                r.priority.unwrap_or_default(),
                r.name,
                grants.join(", "),
                r.conditions.scopes.include.join(" "),
                r.actions.token.access_token_lifetime_minutes
            )?;
        }
    }
    if server.warnings().is_empty() {
        writeln!(out, "== compiled with no warnings")?;
    } else {
        writeln!(
            out,
            "== compiled with {} warning(s)",
            server.warnings().len()
        )?;
        for w in server.warnings() {
            writeln!(out, "   {w}")?;
        }
    }
    Ok(())
}
