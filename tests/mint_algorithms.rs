//! Every signing algorithm mints tokens that the crate's verifier accepts against the published
//! JWKS, with the algorithm's own at_hash; and arbitrary grant contexts never panic minting.

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use rand::SeedableRng;
use serde_json::{Value, json};
use tokenmint::config::RotationMode;
use tokenmint::token::{Algorithm, Expectations, Jwks, KeySet, verify};
use tokenmint::{AuthorizationServer, Grant, Options, ServerConfig, TokenRequest};

fn server() -> AuthorizationServer {
    let cfg = ServerConfig::from_json(include_str!("mint/config.json")).unwrap();
    AuthorizationServer::compile(cfg, Options::default()).unwrap()
}

fn code_request() -> TokenRequest {
    let user: Value = serde_json::from_str(include_str!("mint/user.json")).unwrap();
    let req = json!({"client": {"clientId": "0oa1web"}, "grantType": "authorization_code",
        "idp": "00o1okta", "scopes": ["openid", "profile", "email", "groups"], "user": user,
        "appuser": {"userName": "ann@example.com"}, "now": "2026-03-01T10:00:00Z"});
    TokenRequest::from_json(&req.to_string()).unwrap()
}

#[test]
fn every_algorithm_mints_verifiable_tokens() {
    let server = server();
    let req = code_request();
    let grant = server.evaluate(&req).unwrap();
    let now: DateTime<Utc> = req.now;
    for alg in Algorithm::ALL {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(99);
        let keys = KeySet::generate(alg, RotationMode::Manual, now, &mut rng).unwrap();
        let t = server
            .mint_with_code(&grant, "code-123", &keys, now, &mut rng)
            .unwrap();
        let jwks = Jwks::from_value(&keys.jwks()).unwrap();
        let iss = "https://example.okta.com/oauth2/aus1shop";
        let at = t.access_token.as_deref().unwrap();
        let checked = verify(at, &jwks, &Expectations::new(iss, "api://shop", now)).unwrap();
        assert_eq!(checked.algorithm, alg);
        let id = verify(
            t.id_token.as_deref().unwrap(),
            &jwks,
            &Expectations::new(iss, "0oa1web", now),
        )
        .unwrap();
        id.check_at_hash(at).unwrap();
        id.check_c_hash("code-123").unwrap();
        assert!(id.check_c_hash("other").is_err(), "{alg:?}");
    }
}

#[test]
fn token_response_json_is_rfc6749() {
    let server = server();
    let req = code_request();
    let grant = server.evaluate(&req).unwrap();
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
    let keys = KeySet::generate(Algorithm::ES256, RotationMode::Auto, req.now, &mut rng).unwrap();
    let t = server.mint(&grant, &keys, req.now, &mut rng).unwrap();
    let body = t.to_json();
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "access_token",
            "token_type",
            "expires_in",
            "scope",
            "id_token"
        ]
    );
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 1800, "the rule's 30 minutes");
    assert_eq!(body["scope"], "openid profile email groups");
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(Value::from),
        "[a-zA-Z@. -]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop::sample::select(vec![
                        "user",
                        "profile",
                        "groups",
                        "name",
                        "type",
                        "email",
                        "appuser",
                        "userName",
                        "app",
                        "clientId",
                        "access",
                        "scope",
                        "session",
                        "amr",
                        "org",
                        "id",
                        "lastUpdated",
                        "login",
                    ]),
                    inner
                ),
                0..6
            )
            .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// A host-supplied grant with any context never panics minting: tokens or an OAuth error.
    /// (A context that is not of the engine's shape is refused when the grant is read.)
    #[test]
    fn arbitrary_grant_contexts_never_panic(context in arb_json(), nonce in proptest::option::of(".{0,8}")) {
        let server = server();
        let req = code_request();
        let mut grant: Grant = server.evaluate(&req).unwrap();
        let mut stored = serde_json::to_value(&grant).unwrap();
        stored["context"] = context.clone();
        match serde_json::from_value::<Grant>(stored) {
            Ok(g) => grant = g,
            Err(e) => {
                prop_assert!(tokenmint::el::Context::from_json(&context).is_err(), "{e}");
                return Ok(());
            }
        }
        grant.nonce = nonce;
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
        let keys = KeySet::generate(Algorithm::EdDSA, RotationMode::Manual, req.now, &mut rng).unwrap();
        match server.mint(&grant, &keys, req.now, &mut rng) {
            Ok(t) => prop_assert!(t.access_token.is_some()),
            Err(e) => prop_assert!(!e.description().is_empty()),
        }
        let _ = server.userinfo(&grant);
    }
}
