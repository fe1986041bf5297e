//! Writes sample tokens for every algorithm, the JWKS that verifies them and a manifest of what
//! each token is and whether it must verify, for independent verifiers to check
//! (`scripts/interop.sh` runs this and then the Python and node verifiers in `tests/interop/`).
//!
//! ```text
//! cargo run --example interop_tokens -- [OUT_DIR] [--seed N]
//! ```
//! The valid tokens are minted by an `AuthorizationServer` (an authorization-code grant with
//! openid, a user, groups and custom claims; the ID token with `at_hash` and, through
//! `mint_with_code`, `c_hash`); the negative cases are minted the same way or derived from
//! minted tokens. OUT_DIR defaults to `target/interop`. Keys (and jti values) come from a
//! ChaCha20 RNG seeded with N (default 2026); `iat`/`exp` come from the system clock, since the
//! verifiers check them against theirs.

use chrono::{DateTime, TimeDelta, Utc};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::{Map, Value, json};
use std::path::PathBuf;
use tokenmint::config::RotationMode;
use tokenmint::token::{Algorithm, KeySet};
use tokenmint::{AuthorizationServer, Grant, Options, ServerConfig, TokenRequest, TokenResponse};

const ISS: &str = "https://interop.example.com/oauth2/aus1interop";
const AUD: &str = "api://default";
const CLIENT: &str = "0oa1interopclient";

/// The server the tokens come from: an authorization-code rule for the interop client, a
/// GROUPS claim and custom claims in both tokens.
const CONFIG: &str = r#"{
  "authorizationServer": {"name": "interop", "audiences": ["api://default"],
                          "issuer": "https://interop.example.com/oauth2/aus1interop"},
  "scopes": [{"name": "orders:read"}, {"name": "groups"}],
  "claims": [
    {"name": "groups", "claimType": "RESOURCE", "valueType": "GROUPS",
     "group_filter_type": "REGEX", "value": ".*", "conditions": {"scopes": ["groups"]}},
    {"name": "department", "claimType": "RESOURCE", "valueType": "EXPRESSION",
     "value": "user.department"},
    {"name": "employee_id", "claimType": "IDENTITY", "valueType": "EXPRESSION",
     "value": "appuser.employeeId", "alwaysIncludeInToken": true}
  ],
  "policies": [{"name": "Interop", "description": "The interop client", "priority": 1,
    "conditions": {"clients": {"include": ["0oa1interopclient"]}},
    "rules": [{"name": "Code", "priority": 1,
      "conditions": {"people": {"groups": {"include": ["EVERYONE"]}},
                     "grantTypes": {"include": ["authorization_code"]},
                     "scopes": {"include": ["openid", "profile", "email", "orders:read", "groups"]}},
      "actions": {"token": {"accessTokenLifetimeMinutes": 60}}}]}]
}"#;

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("interop_tokens: {msg}");
    std::process::exit(1)
}

/// The authorization-code request of the sample user at `now`, evaluated.
fn grant_at(server: &AuthorizationServer, now: DateTime<Utc>) -> Grant {
    let req = json!({
        "client": {"clientId": CLIENT, "name": "Interop client"},
        "grantType": "authorization_code",
        "responseType": "code",
        "scopes": ["openid", "profile", "email", "orders:read", "groups"],
        "user": {"id": "00u1interop", "status": "ACTIVE",
                 "profile": {"login": "ann@example.com", "email": "ann@example.com",
                             "firstName": "Ann", "lastName": "Example", "department": "Sales"},
                 "groups": [{"id": "00g1every", "name": "Everyone", "type": "BUILT_IN"},
                            {"id": "00g1sales", "name": "Sales", "type": "OKTA_GROUP"}]},
        "appuser": {"userName": "ann@example.com", "employeeId": "E-7"},
        "nonce": "n-0S6_WzA2Mj",
        "authTime": now.timestamp() - 60,
        "idp": "00o1interop",
        "now": now,
    });
    let req = TokenRequest::from_json(&req.to_string()).unwrap_or_else(|e| fail(&e.to_string()));
    server
        .evaluate(&req)
        .unwrap_or_else(|e| fail(&format!("the sample request is refused: {e}")))
}

/// Mints the grant's tokens, with `c_hash` when a code is given.
fn mint(
    server: &AuthorizationServer,
    grant: &Grant,
    code: Option<&str>,
    keys: &KeySet,
    now: DateTime<Utc>,
    rng: &mut ChaCha20Rng,
) -> (String, String) {
    let minted: TokenResponse = match code {
        Some(c) => server.mint_with_code(grant, c, keys, now, rng),
        None => server.mint(grant, keys, now, rng),
    }
    .unwrap_or_else(|e| fail(&format!("minting failed: {e}")));
    match (minted.access_token, minted.id_token) {
        (Some(at), Some(id)) => (at, id),
        _ => fail("the grant minted no access token or no ID token"),
    }
}

fn main() {
    let mut out = PathBuf::from("target/interop");
    let mut seed = 2026u64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--seed" {
            seed = args
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| fail("--seed needs a number"));
        } else {
            out = PathBuf::from(a);
        }
    }
    let tokens_dir = out.join("tokens");
    std::fs::create_dir_all(&tokens_dir).unwrap_or_else(|e| fail(&e.to_string()));

    let config = ServerConfig::from_json(CONFIG).unwrap_or_else(|e| fail(&e.to_string()));
    let mut options = Options::default();
    options.at_jwt_typ = true;
    let server =
        AuthorizationServer::compile(config, options).unwrap_or_else(|e| fail(&e.to_string()));

    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let now = Utc::now();
    let start = now - TimeDelta::days(30);
    let t = now - TimeDelta::seconds(5);
    let grant = grant_at(&server, t);
    let mut jwks_keys = Vec::new();
    let mut manifest = Vec::new();
    let write = |name: String, jwt: &str| {
        std::fs::write(tokens_dir.join(&name), jwt).unwrap_or_else(|e| fail(&e.to_string()));
        format!("tokens/{name}")
    };

    for alg in Algorithm::ALL {
        let a = alg.name().to_ascii_lowercase();
        let mut keys = KeySet::generate(alg, RotationMode::Auto, start, &mut rng)
            .unwrap_or_else(|e| fail(&e.to_string()));
        // A token signed by the first key, which is EXPIRED (but still published) after the
        // rotation below.
        let (old, _) = mint(&server, &grant, None, &keys, t, &mut rng);
        keys.rotate(now - TimeDelta::minutes(1), &mut rng)
            .unwrap_or_else(|e| fail(&e.to_string()));
        jwks_keys.extend(keys.jwks()["keys"].as_array().cloned().unwrap_or_default());
        let mut code_bytes = [0u8; 24];
        rand::RngCore::fill_bytes(&mut rng, &mut code_bytes);
        let code: String = code_bytes.iter().map(|b| format!("{b:02x}")).collect();
        let (at, id) = mint(&server, &grant, Some(&code), &keys, t, &mut rng);
        // Negative cases.
        let (head, sig) = at.rsplit_once('.').unwrap_or_else(|| fail("bad token"));
        let (h, p) = head.split_once('.').unwrap_or_else(|| fail("bad token"));
        let mut flipped = p.as_bytes().to_vec();
        let i = flipped.len() / 2;
        flipped[i] = if flipped[i] == b'A' { b'B' } else { b'A' };
        let tampered = format!("{h}.{}.{sig}", String::from_utf8_lossy(&flipped));
        // The ID token of a second mint: its at_hash is of that mint's access token, not `at`.
        let (_, bad_hash) = mint(&server, &grant, Some(&code), &keys, t, &mut rng);
        // Minted two hours ago: its 60 minutes are over.
        let two_hours_ago = t - TimeDelta::hours(2);
        let (expired, _) = mint(
            &server,
            &grant_at(&server, two_hours_ago),
            None,
            &keys,
            two_hours_ago,
            &mut rng,
        );

        let at_file = write(format!("at_{a}.jwt"), &at);
        let entries = [
            (
                at_file.clone(),
                "access",
                "valid",
                "minted access token (typ at+jwt)",
                None,
            ),
            (
                write(format!("at_old_{a}.jwt"), &old),
                "access",
                "valid",
                "signed by the EXPIRED, still published key",
                None,
            ),
            (
                write(format!("id_{a}.jwt"), &id),
                "id",
                "valid",
                "minted ID token with at_hash and c_hash (mint_with_code)",
                Some(at_file.clone()),
            ),
            (
                write(format!("at_tampered_{a}.jwt"), &tampered),
                "access",
                "invalid",
                "payload changed after signing",
                None,
            ),
            (
                write(format!("id_bad_at_hash_{a}.jwt"), &bad_hash),
                "id",
                "invalid",
                "ID token of a second mint: at_hash of another access token",
                Some(at_file.clone()),
            ),
            (
                write(format!("at_expired_{a}.jwt"), &expired),
                "access",
                "invalid",
                "minted two hours ago, exp one hour ago",
                None,
            ),
        ];
        for (file, kind, expect, what, access_token) in entries {
            let mut m = obj(json!({"file": file, "alg": alg.name(), "kind": kind,
                "expect": expect, "what": what, "iss": ISS,
                "aud": if kind == "id" { CLIENT } else { AUD }}));
            if let Some(at) = access_token {
                m.insert("access_token".into(), at.into());
                m.insert("code".into(), code.clone().into());
            }
            manifest.push(Value::Object(m));
        }
    }
    let jwks = json!({ "keys": jwks_keys });
    let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
    std::fs::write(out.join("jwks.json"), pretty(&jwks)).unwrap_or_else(|e| fail(&e.to_string()));
    std::fs::write(
        out.join("manifest.json"),
        pretty(&Value::Array(manifest.clone())),
    )
    .unwrap_or_else(|e| fail(&e.to_string()));
    println!(
        "interop_tokens: wrote {} tokens and a JWKS of {} keys to {}",
        manifest.len(),
        jwks["keys"].as_array().map_or(0, Vec::len),
        out.display()
    );
}
