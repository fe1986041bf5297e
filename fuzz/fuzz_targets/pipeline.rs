//! The whole pipeline on arbitrary input: configuration JSON and request JSON → compile →
//! evaluate (and explain) → mint → verify. Nothing may panic, and what comes out must hold
//! together:
//!
//! * `evaluate` and `explain` agree (one code path);
//! * minted tokens verify against the key set's JWKS with the server's issuer and audience
//!   (the ID token with the client as audience);
//! * a grant read back from its JSON mints byte-identical tokens (the signing algorithm is
//!   deterministic and the RNG is seeded the same), and so do the steps `prepare` + `sign`;
//! * with a token inline hook answer, `prepare` → `hook_request` → `apply_hook` → `sign` never
//!   panics, and what it signs verifies.
//!
//! The input is the configuration text, a NUL byte, the request text, and optionally another
//! NUL byte and a hook answer; without a NUL the whole input is the configuration and a
//! built-in request is used. Access tokens that are encrypted or DPoP-bound are not verified
//! here (the fuzzer holds no decryption key or proof); their ID tokens' `at_hash` still is.
#![no_main]

use std::sync::OnceLock;

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use rand::SeedableRng;
use tokenmint::config::RotationMode;
use tokenmint::token::{Algorithm, Expectations, Jwks, KeySet, verify};
use tokenmint::{AuthorizationServer, Grant, Options, ServerConfig, TokenRequest, TokenResponse};

const DEFAULT_REQUEST: &str = r#"{"client": {"clientId": "0oa1web"}, "grantType": "authorization_code", "idp": "00o1okta",
  "scopes": ["openid", "profile", "email"], "nonce": "n-0S6_WzA2Mj",
  "user": {"id": "00u1", "profile": {"login": "ann@example.com", "email": "ann@example.com",
           "firstName": "Ann", "lastName": "Lee"},
           "groups": [{"id": "00g1", "name": "Everyone", "type": "BUILT_IN"}]},
  "appuser": {"userName": "ann@example.com"}, "now": "2026-01-01T00:00:00Z"}"#;

fn keys() -> &'static (KeySet, Jwks) {
    static KEYS: OnceLock<(KeySet, Jwks)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let now = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(0);
        let keys = KeySet::generate(Algorithm::EdDSA, RotationMode::Manual, now, &mut rng)
            .expect("EdDSA keys");
        let jwks = Jwks::from_value(&keys.jwks()).expect("own JWKS");
        (keys, jwks)
    })
}

// The fixture is built before the first input, so its one-off cost (key generation) is not
// counted against the first input's timeout.
fuzz_target!(
    init: {
        let _ = keys();
    },
    |data: &[u8]| {
    let mut parts = data.splitn(3, |b| *b == 0);
    let config = parts.next().unwrap_or_default();
    let request = parts.next().unwrap_or(DEFAULT_REQUEST.as_bytes());
    let answer = parts.next();
    let (Ok(config), Ok(request)) = (std::str::from_utf8(config), std::str::from_utf8(request))
    else {
        return;
    };
    let Ok(config) = ServerConfig::from_json(config) else {
        return;
    };
    let issuer = config.authorization_server.issuer.clone().unwrap_or_default();
    let audience = config.authorization_server.audiences.first().cloned();
    let Ok(server) = AuthorizationServer::compile(config, Options::default()) else {
        return;
    };
    let _ = server.warnings();
    let Ok(request) = TokenRequest::from_json(request) else {
        return;
    };

    let evaluated = server.evaluate(&request);
    let trace = server.explain(&request);
    let _ = trace.to_string();
    match (&evaluated, trace.result()) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "evaluate and explain grant differently"),
        (Err(a), Err(b)) => assert_eq!(
            a.to_json(),
            b.to_json(),
            "evaluate and explain fail differently"
        ),
        (a, b) => panic!("evaluate gave {a:?}, explain {b:?}"),
    }
    let Ok(grant) = evaluated else {
        return;
    };
    // With issuerMode DYNAMIC the issuer is the request's host's, which the grant carries.
    let issuer = grant.issuer.clone().unwrap_or(issuer);

    let (keys, jwks) = keys();
    let now = request.now;
    let mint = |g: &Grant| {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        server.mint(g, keys, now, &mut rng)
    };
    let minted = mint(&grant);
    let _ = server.userinfo(&grant);

    // A stored grant mints the same tokens.
    let stored = serde_json::to_string(&grant).expect("a grant serializes");
    let restored: Grant = serde_json::from_str(&stored).expect("a stored grant reads back");
    let again = mint(&restored);
    match (&minted, &again) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.access_token, b.access_token, "stored grant: access token");
            assert_eq!(a.id_token, b.id_token, "stored grant: ID token");
        }
        (Err(a), Err(b)) => assert_eq!(a.to_json(), b.to_json(), "stored grant: error"),
        (a, b) => panic!("the grant minted {a:?}, the stored grant {b:?}"),
    }

    // The steps give what the one call gives.
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
    let stepped = server
        .prepare(&grant, None, now, &mut rng)
        .and_then(|p| p.sign(keys, &mut rng));
    match (&minted, &stepped) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.access_token, b.access_token, "prepare + sign: access token");
            assert_eq!(a.id_token, b.id_token, "prepare + sign: ID token");
        }
        (Err(a), Err(b)) => assert_eq!(a.to_json(), b.to_json(), "prepare + sign: error"),
        (a, b) => panic!("mint gave {a:?}, prepare + sign {b:?}"),
    }

    if let Some(answer) = answer {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        if let Ok(mut prepared) = server.prepare(&grant, None, now, &mut rng) {
            let _ = prepared.hook_request();
            if prepared.apply_hook(answer).is_ok() {
                let _ = prepared.hook_report();
                if let Ok(tokens) = prepared.sign(keys, &mut rng) {
                    // A hook may replace the access token's `aud` (Okta allows it): check
                    // the signature and issuer against the audience the token names.
                    let aud = tokens.access_token.as_deref().and_then(audience_of);
                    check(&tokens, &issuer, aud.as_deref(), &request, jwks);
                }
            }
        }
    }

    let Ok(tokens) = minted else {
        return;
    };
    check(&tokens, &issuer, audience.as_deref(), &request, jwks);
}
);

/// The first audience a compact JWS names, read without verifying it.
fn audience_of(token: &str) -> Option<String> {
    use base64::Engine as _;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    match &claims["aud"] {
        serde_json::Value::String(a) => Some(a.clone()),
        serde_json::Value::Array(a) => a.first()?.as_str().map(str::to_owned),
        _ => None,
    }
}

/// Minted tokens verify against the key set's JWKS with the server's issuer and audience.
fn check(
    tokens: &TokenResponse,
    issuer: &str,
    audience: Option<&str>,
    request: &TokenRequest,
    jwks: &Jwks,
) {
    let now = request.now;
    let plain = |t: &str| tokens.token_type == "Bearer" && t.split('.').count() == 3;
    if let (Some(at), Some(aud)) = (
        tokens.access_token.as_deref().filter(|t| plain(t)),
        audience,
    ) {
        let expect = Expectations::new(issuer.to_owned(), aud.to_owned(), now);
        if let Err(e) = verify(at, jwks, &expect) {
            panic!("a minted access token does not verify: {e}\n{at}");
        }
    }
    if let Some(id) = &tokens.id_token {
        let expect = Expectations::new(issuer.to_owned(), request.client.client_id.clone(), now);
        match verify(id, jwks, &expect) {
            Ok(checked) => {
                if let Some(at) = &tokens.access_token {
                    checked.check_at_hash(at).expect("at_hash matches");
                }
            }
            Err(e) => panic!("a minted ID token does not verify: {e}\n{id}"),
        }
    }
}
