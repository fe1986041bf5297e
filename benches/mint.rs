//! The cost of minting against the cost of its signatures.
//!
//! `<alg>_mint`: `evaluate` + `mint` of an authorization-code request with `openid profile
//! email` for a user with 12 groups, custom claims (a GROUPS claim among them) — an access
//! token and an ID token, no refresh token. `<alg>_sign`: only the two signatures over the
//! same signing inputs (taken from minted tokens once, outside the loop). The difference is
//! policy evaluation, claim evaluation, serialization and encoding. `evaluate` is the policy
//! evaluation alone (the grant and its expression context).
//!
//! The machines are shared: compare the ratios of one run, and prefer long runs
//! (`--measurement-time 10`) for the figures in the README.

// A panic here is a failed test or a stopped tool, not a host brought down: the crate's
// lints for src/ (Cargo.toml) are relaxed.
#![allow(
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    unreachable_pub
)]

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::json;
use std::hint::black_box;
use tokenmint::config::RotationMode;
use tokenmint::token::{Algorithm, KeySet};
use tokenmint::{AuthorizationServer, Options, ServerConfig, TokenRequest};

const CONFIG: &str = r#"{
  "authorizationServer": {"name": "bench", "audiences": ["api://orders"],
                          "issuer": "https://example.okta.com/oauth2/aus1bench"},
  "scopes": [{"name": "orders:read", "default": true}, {"name": "orders:write"}],
  "claims": [
    {"name": "groups", "claimType": "RESOURCE", "valueType": "GROUPS",
     "group_filter_type": "STARTS_WITH", "value": "orders-"},
    {"name": "department", "claimType": "RESOURCE", "valueType": "EXPRESSION",
     "value": "user.department"},
    {"name": "domain", "claimType": "RESOURCE", "valueType": "EXPRESSION",
     "value": "String.substringAfter(user.email, \"@\")"},
    {"name": "staff", "claimType": "RESOURCE", "valueType": "EXPRESSION",
     "value": "isMemberOfGroupName(\"Staff\")"},
    {"name": "employee_id", "claimType": "IDENTITY", "valueType": "EXPRESSION",
     "value": "appuser.employeeId", "alwaysIncludeInToken": true}
  ],
  "policies": [
    {"name": "Partners", "description": "Other clients", "priority": 1,
     "conditions": {"clients": {"include": ["0oa1partner"]}},
     "rules": [{"name": "Partner", "priority": 1,
                "conditions": {"grantTypes": {"include": ["client_credentials"]},
                               "scopes": {"include": ["orders:read"]}}}]},
    {"name": "Storefront", "description": "The web storefront", "priority": 2,
     "conditions": {"clients": {"include": ["0oa1storefront"]}},
     "rules": [
       {"name": "Contractors", "priority": 1,
        "conditions": {"people": {"groups": {"include": ["00g1contractors"]}},
                       "grantTypes": {"include": ["authorization_code"]},
                       "scopes": {"include": ["openid", "orders:read"]}}},
       {"name": "Staff", "priority": 2,
        "conditions": {"people": {"groups": {"include": ["00g1staff"]}},
                       "grantTypes": {"include": ["authorization_code"]},
                       "scopes": {"include": ["*"]}},
        "actions": {"token": {"accessTokenLifetimeMinutes": 60}}}]}
  ]
}"#;

fn request() -> TokenRequest {
    let names = [
        "Everyone",
        "Staff",
        "orders-admins",
        "orders-readers",
        "Orders-Writers",
        "Sales",
        "Sales-EMEA",
        "Fulfilment",
        "VPN users",
        "Wiki editors",
        "orders-auditors",
        "Alumni",
    ];
    let groups: Vec<_> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let id = if *n == "Staff" {
                "00g1staff".to_owned()
            } else {
                format!("00g1grp{i}")
            };
            let ty = if i == 0 { "BUILT_IN" } else { "OKTA_GROUP" };
            json!({"id": id, "name": n, "type": ty})
        })
        .collect();
    let req = json!({
        "client": {"clientId": "0oa1storefront", "name": "Storefront"},
        "grantType": "authorization_code",
        "idp": "00o1okta",
        "responseType": "code",
        "scopes": ["openid", "profile", "email", "orders:read"],
        "user": {"id": "00u1ann", "status": "ACTIVE", "lastUpdated": "2026-02-01T09:00:00.000Z",
                 "profile": {"login": "ann@example.com", "email": "ann@example.com",
                             "firstName": "Ann", "lastName": "Lee", "locale": "en_US",
                             "department": "Fulfilment"},
                 "groups": groups},
        "appuser": {"userName": "ann.lee", "employeeId": "E-1042"},
        "nonce": "n-0S6_WzA2Mj",
        "authTime": 1772366370,
        "now": "2026-03-01T12:00:00Z",
    });
    TokenRequest::from_json(&req.to_string()).expect("the request parses")
}

/// `header.payload` of a compact JWS.
fn signing_input(jwt: &str) -> Vec<u8> {
    let end = jwt.rfind('.').expect("a compact JWS");
    jwt.as_bytes()[..end].to_vec()
}

fn bench(c: &mut Criterion) {
    let server = AuthorizationServer::compile(
        ServerConfig::from_json(CONFIG).expect("the config loads"),
        Options::default(),
    )
    .expect("the config compiles");
    let req = request();
    let now = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
    let mut group = c.benchmark_group("mint");
    for alg in [Algorithm::ES256, Algorithm::RS256] {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let keys = KeySet::generate(alg, RotationMode::Auto, now, &mut rng).unwrap();
        let name = alg.name().to_ascii_lowercase();

        let grant = server.evaluate(&req).expect("granted");
        let tokens = server.mint(&grant, &keys, now, &mut rng).expect("minted");
        assert!(tokens.refresh_token.is_none());
        let at = signing_input(tokens.access_token.as_deref().expect("an access token"));
        let id = signing_input(tokens.id_token.as_deref().expect("an ID token"));

        group.bench_function(format!("{name}_mint"), |b| {
            b.iter(|| {
                let grant = server.evaluate(black_box(&req)).unwrap();
                server.mint(&grant, &keys, now, &mut rng).unwrap()
            })
        });
        let signer = keys.signer();
        group.bench_function(format!("{name}_sign"), |b| {
            b.iter(|| {
                (
                    signer.sign_raw(black_box(&at)).unwrap(),
                    signer.sign_raw(black_box(&id)).unwrap(),
                )
            })
        });
    }
    group.bench_function("evaluate", |b| {
        b.iter(|| server.evaluate(black_box(&req)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
