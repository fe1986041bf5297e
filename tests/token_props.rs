//! Property tests: the verifier never panics, and any change to a valid token is rejected.

// A panic here is a failed test or a stopped tool, not a host brought down: the crate's
// lints for src/ (Cargo.toml) are relaxed.
#![allow(
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    unreachable_pub
)]

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::{Map, json};
use std::sync::OnceLock;
use tokenmint::config::RotationMode;
use tokenmint::token::{Algorithm, Expectations, Jwks, KeySet, verify};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

fn fixture() -> &'static (Jwks, Vec<String>) {
    static F: OnceLock<(Jwks, Vec<String>)> = OnceLock::new();
    F.get_or_init(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let mut keys = Vec::new();
        let mut tokens = Vec::new();
        for alg in [Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA] {
            let set = KeySet::generate(alg, RotationMode::Auto, now(), &mut rng).unwrap();
            keys.extend(set.jwks()["keys"].as_array().unwrap().iter().cloned());
            let claims = json!({"iss": "i", "aud": "a", "iat": now().timestamp(),
                                "exp": now().timestamp() + 60, "scp": ["s"]});
            tokens.push(
                set.signer()
                    .sign_claims(&Map::new(), claims.as_object().unwrap())
                    .unwrap(),
            );
        }
        (Jwks::from_value(&json!({ "keys": keys })).unwrap(), tokens)
    })
}

fn expect() -> Expectations {
    Expectations::new("i", "a", now()).require_scopes(["s"])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(s in ".{0,300}") {
        let _ = verify(&s, &fixture().0, &expect());
    }

    #[test]
    fn arbitrary_dotted_text_never_panics(a in "[A-Za-z0-9_=+/-]{0,80}", b in "[A-Za-z0-9_=-]{0,80}", c in "[A-Za-z0-9_-]{0,120}") {
        let _ = verify(&format!("{a}.{b}.{c}"), &fixture().0, &expect());
    }

    #[test]
    fn any_single_change_is_rejected(which in 0usize..3, pos in any::<prop::sample::Index>(), ch in prop::sample::select(b"ABCxyz019-_.=".to_vec())) {
        let (jwks, tokens) = fixture();
        let good = &tokens[which];
        prop_assert!(verify(good, jwks, &expect()).is_ok());
        let mut bytes = good.clone().into_bytes();
        let i = pos.index(bytes.len());
        prop_assume!(bytes[i] != ch);
        bytes[i] = ch;
        let changed = String::from_utf8(bytes).unwrap();
        prop_assert!(verify(&changed, jwks, &expect()).is_err(), "accepted {}", changed);
    }
}
