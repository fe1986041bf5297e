//! Arbitrary bytes never panic the verifier or the JWKS loader.
//!
//! The first byte picks what the rest is: a whole token, a JWKS document, the
//! `payload.signature` part of a token whose header names a real key (so that the signature
//! checks are reached), or a payload that is validly signed (so that the payload and claim
//! checks are reached too).
#![no_main]

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use rand::SeedableRng;
use std::sync::OnceLock;
use tokenmint::config::RotationMode;
use tokenmint::token::{Algorithm, Expectations, Jwks, KeySet, Signer, verify};

struct Fixture {
    jwks: Jwks,
    headers: Vec<String>,
    signer: Signer,
    expect: Expectations,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(0);
        let mut keys = Vec::new();
        let mut headers = Vec::new();
        let mut signer = None;
        for alg in [
            Algorithm::RS256,
            Algorithm::PS256,
            Algorithm::ES256,
            Algorithm::ES512,
            Algorithm::EdDSA,
        ] {
            let set = KeySet::generate(alg, RotationMode::Manual, now, &mut rng).unwrap();
            keys.extend(set.jwks()["keys"].as_array().unwrap().iter().cloned());
            let jwt = set
                .signer()
                .sign_compact(&Default::default(), b"{}")
                .unwrap();
            headers.push(jwt.split('.').next().unwrap().to_owned());
            signer = Some(set.signer().clone());
        }
        let jwks = Jwks::from_value(&serde_json::json!({ "keys": keys })).unwrap();
        let expect = Expectations::new("https://issuer", "api://default", now)
            .leeway(30)
            .require_scopes(["a"]);
        Fixture {
            jwks,
            headers,
            signer: signer.unwrap(),
            expect,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 4 {
        0 => {
            if let Ok(token) = std::str::from_utf8(rest) {
                let _ = verify(token, &f.jwks, &f.expect);
            }
        }
        1 => {
            if let Ok(jwks) = Jwks::from_slice(rest) {
                let _ = jwks.len();
            }
        }
        2 => {
            if let Ok(tail) = std::str::from_utf8(rest) {
                let header = &f.headers[(mode as usize / 4) % f.headers.len()];
                let _ = verify(&format!("{header}.{tail}"), &f.jwks, &f.expect);
            }
        }
        _ => {
            // EdDSA (the last key): deterministic and fast to sign.
            if let Ok(jwt) = f.signer.sign_compact(&Default::default(), rest) {
                let _ = verify(&jwt, &f.jwks, &f.expect);
            }
        }
    }
});
