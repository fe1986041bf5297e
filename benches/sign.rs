//! Signing and verification cost per algorithm (keys prepared once, as in a server).

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::{Map, json};
use std::hint::black_box;
use tokenmint::config::RotationMode;
use tokenmint::token::{Algorithm, Expectations, Jwks, KeySet, verify};

fn bench(c: &mut Criterion) {
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let payload =
        json!({"ver": 1, "jti": "AT.x", "iss": "https://h/oauth2/x", "aud": "api://default",
        "iat": now.timestamp(), "exp": now.timestamp() + 3600, "cid": "0oa1", "scp": ["openid"],
        "sub": "ann@example.com"})
        .to_string();
    for alg in [
        Algorithm::RS256,
        Algorithm::PS256,
        Algorithm::ES256,
        Algorithm::EdDSA,
    ] {
        let keys = KeySet::generate(
            alg,
            RotationMode::Auto,
            now,
            &mut ChaCha20Rng::seed_from_u64(1),
        )
        .unwrap();
        let signer = keys.signer();
        let extra = Map::new();
        c.bench_function(&format!("sign/{alg}"), |b| {
            b.iter(|| {
                signer
                    .sign_compact(&extra, black_box(payload.as_bytes()))
                    .unwrap()
            })
        });
        let jwt = signer.sign_compact(&extra, payload.as_bytes()).unwrap();
        let jwks = Jwks::from_value(&keys.jwks()).unwrap();
        let expect = Expectations::new("https://h/oauth2/x", "api://default", now);
        c.bench_function(&format!("verify/{alg}"), |b| {
            b.iter(|| verify(black_box(&jwt), &jwks, &expect).unwrap())
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
