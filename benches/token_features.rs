//! The cost of the token features next to signing, in one run (compare ratios): encrypting a
//! signed access token (nested JWT) and decrypting it, checking a DPoP proof, and applying a
//! token inline hook's answer; and minting in one call next to minting in steps with a hook
//! answer (`prepare`, `apply_hook`, `sign`). Keys and the encryption key are prepared once, as
//! in a server.

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::{Map, json};
use std::hint::black_box;
use tokenmint::config::RotationMode;
use tokenmint::hook::{HookLimits, HookOutcome, HookToken, HookTokens, apply_response};
use tokenmint::token::{
    Algorithm, DecryptionKey, DpopCheck, EncryptionKey, KeyEncryption, KeySet, check_proof, decrypt,
};
use tokenmint::{AuthorizationServer, Options, ServerConfig, TokenRequest};

fn bench(c: &mut Criterion) {
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let claims = json!({"ver": 1, "jti": "AT.x", "iss": "https://h/oauth2/x",
        "aud": "api://default", "iat": now.timestamp(), "exp": now.timestamp() + 3600,
        "cid": "0oa1", "scp": ["openid"], "sub": "ann@example.com"});
    let payload = claims.to_string();
    let keys = KeySet::generate(Algorithm::RS256, RotationMode::Auto, now, &mut rng).unwrap();
    let signer = keys.signer();
    let extra = Map::new();
    c.bench_function("features/sign RS256", |b| {
        b.iter(|| {
            signer
                .sign_compact(&extra, black_box(payload.as_bytes()))
                .unwrap()
        })
    });
    let jws = signer.sign_compact(&extra, payload.as_bytes()).unwrap();
    let rs_key = DecryptionKey::generate(KeyEncryption::RsaOaep256, &mut rng).unwrap();
    let enc = EncryptionKey::select(&rs_key.public_jwks(), KeyEncryption::RsaOaep256).unwrap();
    c.bench_function("features/encrypt RSA-OAEP-256", |b| {
        b.iter(|| enc.encrypt(black_box(&jws), &mut rng).unwrap())
    });
    let jwe = enc.encrypt(&jws, &mut rng).unwrap();
    let dec = [rs_key];
    c.bench_function("features/decrypt RSA-OAEP-256", |b| {
        b.iter(|| decrypt(black_box(&jwe), &dec).unwrap())
    });

    let client = KeySet::generate(Algorithm::ES256, RotationMode::Manual, now, &mut rng).unwrap();
    let mut jwk = client.active().public_jwk();
    jwk.as_object_mut()
        .unwrap()
        .retain(|k, _| ["kty", "crv", "x", "y"].contains(&k.as_str()));
    let url = "https://example.okta.com/oauth2/default/v1/token";
    let header = json!({"typ": "dpop+jwt", "jwk": jwk});
    let proof_claims = json!({"jti": "j1", "htm": "POST", "htu": url, "iat": now.timestamp()});
    let proof = client
        .signer()
        .sign_claims(
            header.as_object().unwrap(),
            proof_claims.as_object().unwrap(),
        )
        .unwrap();
    let check = DpopCheck::new("POST", url, now);
    c.bench_function("features/check DPoP proof ES256", |b| {
        b.iter(|| check_proof(black_box(&proof), &check).unwrap())
    });

    let tokens = HookTokens {
        identity: None,
        access: Some(HookToken::new(claims, 3600).unwrap()),
    };
    let answer = json!({"commands": [{"type": "com.okta.access.patch", "value": [
        {"op": "add", "path": "/claims/patient", "value": {"id": "1234", "ward": "B"}},
        {"op": "replace", "path": "/claims/sub", "value": "00u1"},
        {"op": "add", "path": "/claims/tags", "value": []},
        {"op": "add", "path": "/claims/tags/-", "value": "a"},
        {"op": "replace", "path": "/token/lifetime/expiration", "value": 600}]}]})
    .to_string();
    let limits = HookLimits::default();
    c.bench_function("features/apply hook answer (5 operations)", |b| {
        b.iter(|| {
            let out = apply_response(&tokens, black_box(answer.as_bytes()), &limits);
            assert!(matches!(out, HookOutcome::Applied { .. }));
            out
        })
    });

    // A rule with a hook: the one-call mint (no answer) next to the steps with an answer.
    let server = AuthorizationServer::compile(
        ServerConfig::from_json(
            r#"{"authorizationServer": {"name": "api", "audiences": ["api://orders"],
                "issuer": "https://example.okta.com/oauth2/aus1"},
              "scopes": [{"name": "orders:read"}],
              "claims": [{"name": "tier", "claimType": "RESOURCE", "valueType": "EXPRESSION",
                          "value": "app.profile.tier ?: 'standard'"}],
              "policies": [{"name": "Services", "description": "Back ends", "priority": 1,
                "conditions": {"clients": {"include": ["ALL_CLIENTS"]}},
                "rules": [{"name": "Read", "priority": 1,
                  "conditions": {"grantTypes": {"include": ["client_credentials"]},
                                 "scopes": {"include": ["orders:read"]}},
                  "actions": {"token": {"inlineHook": {"id": "cal1"}}}}]}]}"#,
        )
        .unwrap(),
        Options::default(),
    )
    .unwrap();
    let grant = server
        .evaluate(
            &TokenRequest::from_json(
                r#"{"client": {"clientId": "0oasvc"}, "grantType": "client_credentials",
                    "scopes": ["orders:read"], "now": "2026-01-01T00:00:00Z"}"#,
            )
            .unwrap(),
        )
        .unwrap();
    let es = KeySet::generate(Algorithm::ES256, RotationMode::Auto, now, &mut rng).unwrap();
    c.bench_function("features/mint ES256 (hook rule, one call)", |b| {
        b.iter(|| server.mint(black_box(&grant), &es, now, &mut rng).unwrap())
    });
    c.bench_function("features/mint ES256 (prepare, hook answer, sign)", |b| {
        b.iter(|| {
            let mut p = server
                .prepare(black_box(&grant), None, now, &mut rng)
                .unwrap();
            let body = p.hook_request().unwrap();
            black_box(&body);
            assert!(p.apply_hook(answer.as_bytes()).unwrap().applied);
            p.sign(&es, &mut rng).unwrap()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
