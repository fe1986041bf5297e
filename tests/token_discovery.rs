//! Discovery documents.

use chrono::{TimeZone, Utc};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::{Value, json};
use tokenmint::ServerConfig;
use tokenmint::config::RotationMode;
use tokenmint::discovery::{oauth_authorization_server, openid_configuration, published_scopes};
use tokenmint::token::{Algorithm, KeySet};

const ISS: &str = "https://acme.okta.com/oauth2/aus1abc";

fn config() -> ServerConfig {
    ServerConfig::from_json(&config_json()).unwrap()
}

fn config_json() -> String {
    json!({
            "authorizationServer": {"name": "orders", "audiences": ["api://orders"], "issuer": ISS},
            "scopes": [
                {"name": "orders:read", "metadataPublish": "ALL_CLIENTS"},
                {"name": "orders:admin"},
                {"name": "phone", "system": true, "metadataPublish": "NO_CLIENTS"},
                {"name": "orders:write", "metadataPublish": "ALL_CLIENTS"}
            ],
            "claims": [{"name": "secret_claim", "claimType": "RESOURCE", "valueType": "EXPRESSION",
                        "value": "user.email", "conditions": {"scopes": []}}],
            "policies": [{"name": "Apps", "description": "Apps", "priority": 1,
                          "conditions": {"clients": {"include": ["ALL_CLIENTS"]}},
                          "rules": [
                {"name": "Services", "priority": 1,
                 "conditions": {"grantTypes": {"include": ["client_credentials"]},
                                "scopes": {"include": ["*"]}}},
                {"name": "Users", "priority": 2,
                 "conditions": {"grantTypes": {"include": ["authorization_code"]},
                                "people": {"groups": {"include": ["EVERYONE"]}},
                                "scopes": {"include": ["*"]}}},
                {"name": "Off", "priority": 3, "status": "INACTIVE",
                 "conditions": {"grantTypes": {"include": ["password"]},
                                "people": {"groups": {"include": ["EVERYONE"]}},
                                "scopes": {"include": ["*"]}}}]}]
    })
    .to_string()
}

fn keys(alg: Algorithm) -> KeySet {
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    KeySet::generate(
        alg,
        RotationMode::Auto,
        now,
        &mut ChaCha20Rng::seed_from_u64(1),
    )
    .unwrap()
}

fn names(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

#[test]
fn openid_configuration_document() {
    let cfg = config();
    let doc = openid_configuration(
        &cfg,
        &format!("{ISS}/"),
        &keys(Algorithm::EdDSA).algorithms(),
    );
    assert_eq!(doc["issuer"], ISS);
    for (field, path) in [
        ("authorization_endpoint", "/v1/authorize"),
        ("token_endpoint", "/v1/token"),
        ("userinfo_endpoint", "/v1/userinfo"),
        ("jwks_uri", "/v1/keys"),
        ("introspection_endpoint", "/v1/introspect"),
        ("revocation_endpoint", "/v1/revoke"),
        ("end_session_endpoint", "/v1/logout"),
    ] {
        assert_eq!(doc[field], format!("{ISS}{path}"), "{field}");
    }
    // No rule grants device codes, and pushed authorization requests are the host's.
    let o = doc.as_object().unwrap();
    assert!(!o.contains_key("device_authorization_endpoint"));
    assert!(!o.contains_key("pushed_authorization_request_endpoint"));
    assert_eq!(
        doc["registration_endpoint"],
        "https://acme.okta.com/oauth2/v1/clients"
    );
    assert_eq!(
        names(&doc["scopes_supported"]),
        [
            "openid",
            "profile",
            "email",
            "address",
            "offline_access",
            "device_sso",
            "orders:read",
            "orders:write"
        ]
    );
    assert_eq!(
        names(&doc["id_token_signing_alg_values_supported"]),
        ["EdDSA"]
    );
    let claims = names(&doc["claims_supported"]);
    assert!(claims.contains(&"at_hash") && claims.contains(&"c_hash"));
    assert!(
        !doc.to_string().contains("secret_claim"),
        "custom claims are never listed"
    );
    assert!(names(&doc["response_types_supported"]).contains(&"code id_token token"));
    // Only the grant types the active rules name, and refresh_token for the refreshing ones.
    assert_eq!(
        names(&doc["grant_types_supported"]),
        ["authorization_code", "client_credentials", "refresh_token"]
    );
    // DPoP proofs are checked for every supported asymmetric algorithm.
    assert_eq!(
        names(&doc["dpop_signing_alg_values_supported"]),
        Algorithm::ALL.map(Algorithm::name)
    );
    assert_eq!(doc["subject_types_supported"], json!(["public"]));
    assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(doc["request_parameter_supported"], true);
}

#[test]
fn oauth_metadata_document() {
    let cfg = config();
    let doc = oauth_authorization_server(&cfg, ISS, &[Algorithm::RS256]);
    let o = doc.as_object().unwrap();
    assert!(!o.contains_key("userinfo_endpoint"));
    assert!(!o.contains_key("id_token_signing_alg_values_supported"));
    assert_eq!(
        names(&doc["claims_supported"]),
        [
            "ver", "jti", "iss", "aud", "iat", "exp", "cid", "uid", "scp", "sub"
        ]
    );
    assert_eq!(
        doc["scopes_supported"],
        openid_configuration(&cfg, ISS, &[])["scopes_supported"]
    );
    // Field order: issuer first, the endpoints next.
    let keys: Vec<&String> = o.keys().collect();
    assert_eq!(keys[0], "issuer");
    assert_eq!(keys[1], "authorization_endpoint");
}

#[test]
fn system_scopes_are_published_when_omitted() {
    let cfg = ServerConfig::from_json(
        r#"{"authorizationServer": {"name": "x", "audiences": ["a"], "issuer": "https://h/oauth2/x"}}"#,
    )
    .unwrap();
    assert_eq!(
        published_scopes(&cfg),
        [
            "openid",
            "profile",
            "email",
            "address",
            "phone",
            "offline_access",
            "device_sso"
        ]
    );
}

#[test]
fn signing_algorithms_follow_the_key_set() {
    let mut k = keys(Algorithm::RS256);
    assert_eq!(k.algorithms(), [Algorithm::RS256]);
    k.set_algorithm(Algorithm::ES256);
    let now = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
    k.advance(now, &mut ChaCha20Rng::seed_from_u64(2)).unwrap();
    assert_eq!(k.algorithms(), [Algorithm::RS256, Algorithm::ES256]);
    let doc = openid_configuration(&config(), ISS, &k.algorithms());
    assert_eq!(
        names(&doc["id_token_signing_alg_values_supported"]),
        ["RS256", "ES256"]
    );
}

#[test]
fn the_device_endpoint_comes_with_a_device_code_rule() {
    let mut v: Value = serde_json::from_str(&config_json()).unwrap();
    v["policies"][0]["rules"][1]["conditions"]["grantTypes"]["include"] = json!([
        "authorization_code",
        "urn:ietf:params:oauth:grant-type:device_code"
    ]);
    let cfg = ServerConfig::from_json(&v.to_string()).unwrap();
    let doc = openid_configuration(&cfg, ISS, &[Algorithm::RS256]);
    assert_eq!(
        doc["device_authorization_endpoint"],
        format!("{ISS}/v1/device/authorize")
    );
    assert!(
        names(&doc["grant_types_supported"])
            .contains(&"urn:ietf:params:oauth:grant-type:device_code")
    );
}
