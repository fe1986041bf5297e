//! Key sets: rotation timelines, JWKS contents, storage, private-part handling.

// A panic here is a failed test or a stopped tool, not a host brought down: the crate's
// lints for src/ (Cargo.toml) are relaxed.
#![allow(
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    unreachable_pub
)]

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::{Map, Value, json};
use tokenmint::config::RotationMode;
use tokenmint::token::{
    Algorithm, Expectations, JtiKind, Jwks, KeyError, KeyEvent, KeySet, KeyStatus, RotationPolicy,
    new_jti, verify,
};

const ISS: &str = "https://example.okta.com/oauth2/aus1";
const AUD: &str = "api://default";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

fn day(n: i64) -> DateTime<Utc> {
    t0() + TimeDelta::days(n)
}

fn statuses(keys: &KeySet) -> Vec<(String, KeyStatus)> {
    keys.keys()
        .iter()
        .map(|k| (k.kid().to_owned(), k.status()))
        .collect()
}

fn jwks_kids(keys: &KeySet) -> Vec<String> {
    keys.jwks()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

fn mint(keys: &KeySet, at: DateTime<Utc>, rng: &mut ChaCha20Rng) -> String {
    let claims = json!({"ver": 1, "jti": new_jti(JtiKind::Access, rng), "iss": ISS, "aud": AUD,
        "iat": at.timestamp(), "exp": at.timestamp() + 3600});
    keys.signer()
        .sign_compact(&Map::new(), claims.to_string().as_bytes())
        .unwrap()
}

fn verifies(jwt: &str, keys: &KeySet, at: DateTime<Utc>) -> bool {
    let jwks = Jwks::from_value(&keys.jwks()).unwrap();
    verify(jwt, &jwks, &Expectations::new(ISS, AUD, at)).is_ok()
}

#[test]
fn auto_rotation_over_200_days() {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let mut keys = KeySet::generate(Algorithm::EdDSA, RotationMode::Auto, t0(), &mut rng).unwrap();
    let k1 = keys.active().kid().to_owned();
    assert_eq!(keys.next_rotation(), Some(day(90)));
    assert_eq!(keys.last_rotated(), t0());

    let mut events_by_day = Vec::new();
    let mut token_day_89 = None;
    let mut snapshot = std::collections::BTreeMap::new();
    for d in 0..=200 {
        let events = keys.advance(day(d), &mut rng).unwrap();
        if !events.is_empty() {
            events_by_day.push((d, events));
        }
        if d == 89 {
            token_day_89 = Some(mint(&keys, day(d), &mut rng));
        }
        // Invariants every day: one ACTIVE first, at most one NEXT, JWKS = all keys.
        assert_eq!(keys.keys()[0].status(), KeyStatus::Active);
        assert!(
            keys.keys()
                .iter()
                .filter(|k| k.status() == KeyStatus::Next)
                .count()
                <= 1
        );
        assert_eq!(
            jwks_kids(&keys),
            statuses(&keys)
                .into_iter()
                .map(|(k, _)| k)
                .collect::<Vec<_>>()
        );
        assert!(
            keys.keys().len() <= 3,
            "day {d}: at most three keys published"
        );
        snapshot.insert(d, statuses(&keys));
    }

    // Day 44: only the first key. Day 45: NEXT published.
    assert_eq!(snapshot[&44], vec![(k1.clone(), KeyStatus::Active)]);
    let s45 = &snapshot[&45];
    assert_eq!(s45.len(), 2);
    assert_eq!(s45[1].1, KeyStatus::Next);
    let k2 = s45[1].0.clone();
    // Day 90: rotation; the NEXT key signs, the old one is EXPIRED but published.
    assert_eq!(
        snapshot[&90],
        vec![
            (k2.clone(), KeyStatus::Active),
            (k1.clone(), KeyStatus::Expired)
        ]
    );
    // Day 135: a new NEXT key.
    let s135 = &snapshot[&135];
    assert_eq!(s135.len(), 3);
    let k3 = s135[1].0.clone();
    assert_eq!(s135[1].1, KeyStatus::Next);
    // Day 180: second rotation; k1 (expired day 90) reaches its 90-day retention and is dropped.
    assert_eq!(
        snapshot[&180],
        vec![
            (k3.clone(), KeyStatus::Active),
            (k2.clone(), KeyStatus::Expired)
        ]
    );
    assert_eq!(snapshot[&200], snapshot[&180]);
    let event_days: Vec<i64> = events_by_day.iter().map(|(d, _)| *d).collect();
    assert_eq!(event_days, [45, 90, 135, 180]);
    assert_eq!(
        events_by_day[3].1,
        vec![
            KeyEvent::Rotated {
                expired: k2.clone(),
                active: k3.clone()
            },
            KeyEvent::Dropped { kid: k1.clone() }
        ]
    );
    assert_eq!(keys.last_rotated(), day(180));
    assert_eq!(keys.next_rotation(), Some(day(270)));
    let credentials = keys.signing_credentials();
    assert_eq!(
        credentials,
        json!({"kid": k3, "rotationMode": "AUTO", "lastRotated": "2026-06-30T00:00:00.000Z",
               "nextRotation": "2026-09-28T00:00:00.000Z", "use": "sig"})
    );

    // The token signed on day 89 by k1 verifies on day 90 (after rotation) with the new JWKS,
    // as long as it hasn't expired.
    let jwt = token_day_89.unwrap();
    let mut replay = KeySet::generate(
        Algorithm::EdDSA,
        RotationMode::Auto,
        t0(),
        &mut ChaCha20Rng::seed_from_u64(1),
    )
    .unwrap();
    let mut rng2 = ChaCha20Rng::seed_from_u64(99);
    for d in 0..=90 {
        replay.advance(day(d), &mut rng2).unwrap();
    }
    assert!(replay.key(&k1).is_some());
    let within = day(89) + TimeDelta::minutes(30);
    assert!(verifies(&jwt, &replay, within));
}

#[test]
fn token_signed_before_rotation_verifies_after_it() {
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let mut keys =
        KeySet::generate(Algorithm::RS256, RotationMode::Manual, t0(), &mut rng).unwrap();
    let old_kid = keys.active().kid().to_owned();
    let jwt = mint(&keys, t0(), &mut rng);
    let at = t0() + TimeDelta::minutes(10);
    let events = keys.rotate(at, &mut rng).unwrap();
    assert!(matches!(
        events[0],
        KeyEvent::Generated {
            status: KeyStatus::Next,
            ..
        }
    ));
    assert!(matches!(events[1], KeyEvent::Rotated { .. }));
    assert_ne!(keys.active().kid(), old_kid);
    assert_eq!(keys.key(&old_kid).unwrap().status(), KeyStatus::Expired);
    assert_eq!(keys.key(&old_kid).unwrap().expired(), Some(at));
    assert!(verifies(&jwt, &keys, at));
    // New tokens are signed by the new key and verify too.
    let new_jwt = mint(&keys, at, &mut rng);
    assert!(verifies(&new_jwt, &keys, at));
    // After retention the old key is gone and its tokens no longer verify.
    let later = at + TimeDelta::days(90);
    keys.advance(later, &mut rng).unwrap();
    assert!(keys.key(&old_kid).is_none());
    assert_eq!(jwks_kids(&keys), vec![keys.active().kid().to_owned()]);
}

#[test]
fn manual_mode_never_rotates_by_itself() {
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let mut keys =
        KeySet::generate(Algorithm::ES256, RotationMode::Manual, t0(), &mut rng).unwrap();
    let kid = keys.active().kid().to_owned();
    for d in [1, 45, 90, 365, 1000] {
        assert!(keys.advance(day(d), &mut rng).unwrap().is_empty());
    }
    assert_eq!(keys.active().kid(), kid);
    assert!(keys.next().is_none());
    assert_eq!(keys.next_rotation(), None);
    assert!(keys.signing_credentials().get("nextRotation").is_none());
    assert_eq!(keys.signing_credentials()["rotationMode"], "MANUAL");

    keys.rotate(day(1000), &mut rng).unwrap();
    assert_ne!(keys.active().kid(), kid);
    assert!(
        keys.next().is_none(),
        "MANUAL: no NEXT key after a rotation"
    );
    assert_eq!(keys.keys().len(), 2);
    assert_eq!(keys.last_rotated(), day(1000));

    // Switching to AUTO keeps the active key; the schedule counts from the last rotation.
    let active = keys.active().kid().to_owned();
    keys.set_rotation_mode(RotationMode::Auto);
    assert_eq!(keys.active().kid(), active);
    assert_eq!(keys.next_rotation(), Some(day(1090)));
}

#[test]
fn auto_mode_rotate_publishes_a_fresh_next_key() {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let mut keys = KeySet::generate(Algorithm::ES384, RotationMode::Auto, t0(), &mut rng).unwrap();
    keys.advance(day(50), &mut rng).unwrap();
    let next = keys.next().unwrap().kid().to_owned();
    keys.rotate(day(60), &mut rng).unwrap();
    assert_eq!(
        keys.active().kid(),
        next,
        "the published NEXT key becomes ACTIVE"
    );
    let fresh = keys.next().expect("a fresh NEXT key").kid().to_owned();
    assert_ne!(fresh, next);
    assert_eq!(keys.next_rotation(), Some(day(150)));
    let view = keys.management_keys();
    let st: Vec<&str> = view
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["status"].as_str().unwrap())
        .collect();
    assert_eq!(st, ["ACTIVE", "NEXT", "EXPIRED"]);
}

#[test]
fn late_advance_rotates_once_and_generates_next_if_missing() {
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let mut keys = KeySet::generate(Algorithm::EdDSA, RotationMode::Auto, t0(), &mut rng).unwrap();
    let first = keys.active().kid().to_owned();
    // The host was down for 300 days: one rotation (to a key generated now), no NEXT yet.
    let events = keys.advance(day(300), &mut rng).unwrap();
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(keys.key(&first).unwrap().status(), KeyStatus::Expired);
    assert_eq!(keys.last_rotated(), day(300));
    assert!(keys.next().is_none());
    // A clock going backwards changes nothing.
    assert!(keys.advance(day(10), &mut rng).unwrap().is_empty());
}

#[test]
fn custom_policy_and_invalid_policies() {
    let mut rng = ChaCha20Rng::seed_from_u64(6);
    let policy = RotationPolicy {
        rotation_period: TimeDelta::days(10),
        next_key_after: TimeDelta::days(5),
        retention: TimeDelta::days(1),
    };
    let mut keys =
        KeySet::generate_with_policy(Algorithm::EdDSA, RotationMode::Auto, policy, t0(), &mut rng)
            .unwrap();
    keys.advance(day(5), &mut rng).unwrap();
    keys.advance(day(10), &mut rng).unwrap();
    assert_eq!(keys.keys().len(), 2);
    keys.advance(day(11), &mut rng).unwrap();
    assert_eq!(keys.keys().len(), 1);

    for bad in [
        RotationPolicy {
            rotation_period: TimeDelta::zero(),
            ..RotationPolicy::default()
        },
        RotationPolicy {
            next_key_after: TimeDelta::days(90),
            ..RotationPolicy::default()
        },
        RotationPolicy {
            retention: TimeDelta::days(-1),
            ..RotationPolicy::default()
        },
    ] {
        assert!(matches!(
            KeySet::generate_with_policy(Algorithm::EdDSA, RotationMode::Auto, bad, t0(), &mut rng),
            Err(KeyError::InvalidPolicy(_))
        ));
    }
}

const PRIVATE_MEMBERS: [&str; 6] = ["d", "p", "q", "dp", "dq", "qi"];

#[test]
fn jwks_and_debug_never_show_private_parts() {
    for alg in Algorithm::ALL {
        let mut rng = ChaCha20Rng::seed_from_u64(8);
        let mut keys = KeySet::generate(alg, RotationMode::Auto, t0(), &mut rng).unwrap();
        keys.rotate(day(1), &mut rng).unwrap();
        let jwks = keys.jwks();
        let list = jwks["keys"].as_array().unwrap();
        assert_eq!(list.len(), 3);
        for jwk in list {
            let o = jwk.as_object().unwrap();
            for m in PRIVATE_MEMBERS {
                assert!(!o.contains_key(m), "{alg}: JWKS has {m}");
            }
            assert!(!o.contains_key("status"));
            let names: Vec<&str> = o.keys().map(String::as_str).collect();
            let expected: &[&str] = match alg.key_type() {
                "RSA" => &["kty", "alg", "kid", "use", "n", "e"],
                "EC" => &["kty", "alg", "kid", "use", "crv", "x", "y"],
                _ => &["kty", "alg", "kid", "use", "crv", "x"],
            };
            assert_eq!(names, expected, "{alg}");
            assert_eq!(o["alg"], alg.name());
            assert_eq!(o["use"], "sig");
            assert_eq!(o["kid"].as_str().unwrap().len(), 43);
        }
        for k in keys.management_keys().as_array().unwrap() {
            for m in PRIVATE_MEMBERS {
                assert!(k.get(m).is_none(), "{alg}: management view has {m}");
            }
        }
        // The private values appear in the private JSON and nowhere in Debug.
        let private: Value = serde_json::from_str(&keys.to_private_json().unwrap()).unwrap();
        let debug = format!("{keys:?} {:?} {:?}", keys.signer(), keys.active());
        for k in private["keys"].as_array().unwrap() {
            let d = k["jwk"]["d"].as_str().unwrap();
            assert!(d.len() >= 32);
            assert!(!debug.contains(d), "{alg}: Debug prints d");
            assert!(!jwks.to_string().contains(d));
        }
        assert!(debug.contains(keys.active().kid()));
    }
}

#[test]
fn private_json_round_trip() {
    for alg in Algorithm::ALL {
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let mut keys = KeySet::generate(alg, RotationMode::Auto, t0(), &mut rng).unwrap();
        keys.advance(day(45), &mut rng).unwrap();
        keys.advance(day(90), &mut rng).unwrap();
        let text = keys.to_private_json().unwrap();
        let loaded = KeySet::from_private_json(&text).unwrap();
        assert_eq!(loaded.jwks(), keys.jwks(), "{alg}");
        assert_eq!(loaded.to_private_json().unwrap(), text, "{alg}");
        assert_eq!(loaded.signing_credentials(), keys.signing_credentials());
        assert_eq!(format!("{loaded:?}"), format!("{keys:?}"));
        // The loaded signer signs tokens the original JWKS verifies (byte-identical for
        // deterministic algorithms).
        let mut r1 = ChaCha20Rng::seed_from_u64(10);
        let mut r2 = ChaCha20Rng::seed_from_u64(10);
        let a = mint(&keys, day(90), &mut r1);
        let b = mint(&loaded, day(90), &mut r2);
        assert!(verifies(&b, &keys, day(90)));
        if alg.is_deterministic() {
            assert_eq!(a, b);
        }
    }
}

fn stored(alg: Algorithm) -> Value {
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let mut keys = KeySet::generate(alg, RotationMode::Auto, t0(), &mut rng).unwrap();
    keys.rotate(day(1), &mut rng).unwrap();
    serde_json::from_str(&keys.to_private_json().unwrap()).unwrap()
}

fn load(v: &Value) -> Result<KeySet, KeyError> {
    KeySet::from_private_json(&v.to_string())
}

#[test]
fn bad_private_json_is_a_typed_error() {
    assert!(matches!(
        KeySet::from_private_json("{"),
        Err(KeyError::Storage(_))
    ));
    assert!(matches!(
        KeySet::from_private_json("[]"),
        Err(KeyError::Storage(_))
    ));
    let good = stored(Algorithm::ES256);
    assert!(load(&good).is_ok());

    let mut v = good.clone();
    v["format"] = "other".into();
    assert!(matches!(load(&v), Err(KeyError::Storage(_))));

    let mut v = good.clone();
    v["keys"][0]["jwk"]["kid"] = "not-the-thumbprint".into();
    assert!(matches!(
        load(&v),
        Err(KeyError::KidMismatch { index: 0, .. })
    ));

    let mut v = good.clone();
    v["keys"][1]["status"] = "ACTIVE".into();
    assert!(matches!(
        load(&v),
        Err(KeyError::KeyStates { active: 2, .. })
    ));

    let mut v = good.clone();
    v["keys"][1] = v["keys"][0].clone();
    assert!(matches!(load(&v), Err(KeyError::DuplicateKid(_))));

    let mut v = good.clone();
    v["keys"][0]["jwk"]["x"] = good["keys"][1]["jwk"]["x"].clone();
    assert!(matches!(
        load(&v),
        Err(KeyError::InvalidKey { index: 0, .. })
    ));

    let mut v = good.clone();
    v["keys"][0]["jwk"]["d"] = "AAAA".into();
    assert!(matches!(
        load(&v),
        Err(KeyError::InvalidKey { index: 0, .. })
    ));

    let mut v = good.clone();
    v["keys"][0]["jwk"]["d"] = "!!!".into();
    assert!(matches!(
        load(&v),
        Err(KeyError::InvalidKey { index: 0, .. })
    ));

    let mut v = good.clone();
    v["keys"][0]["jwk"]["alg"] = "ES384".into();
    assert!(matches!(
        load(&v),
        Err(KeyError::InvalidKey { index: 0, .. })
    ));

    let mut v = good.clone();
    v["keys"][0]["jwk"]["alg"] = "HS256".into();
    assert!(matches!(
        load(&v),
        Err(KeyError::InvalidKey { index: 0, .. })
    ));

    let mut v = good.clone();
    v["keys"][0]["jwk"]["kty"] = "RSA".into();
    assert!(matches!(
        load(&v),
        Err(KeyError::InvalidKey { index: 0, .. })
    ));

    let mut v = good.clone();
    v["policy"]["rotationPeriodSeconds"] = (-5).into();
    assert!(matches!(load(&v), Err(KeyError::InvalidPolicy(_))));

    let mut v = good.clone();
    v["keys"][0]["jwk"].as_object_mut().unwrap().remove("d");
    assert!(matches!(
        load(&v),
        Err(KeyError::InvalidKey { index: 0, .. })
    ));

    // RSA: inconsistent CRT parts, and a swapped modulus.
    let rsa = stored(Algorithm::RS256);
    let mut v = rsa.clone();
    v["keys"][0]["jwk"]["p"] = rsa["keys"][1]["jwk"]["p"].clone();
    assert!(matches!(
        load(&v),
        Err(KeyError::InvalidKey { index: 0, .. })
    ));
    let mut v = rsa.clone();
    v["keys"][0]["jwk"]["n"] = rsa["keys"][1]["jwk"]["n"].clone();
    assert!(load(&v).is_err());

    // Ed25519: x that isn't d's public key.
    let ed = stored(Algorithm::EdDSA);
    let mut v = ed.clone();
    v["keys"][0]["jwk"]["x"] = ed["keys"][1]["jwk"]["x"].clone();
    assert!(matches!(
        load(&v),
        Err(KeyError::InvalidKey { index: 0, .. })
    ));
}

#[test]
fn generate_for_uses_the_configured_rotation_mode() {
    let mut rng = ChaCha20Rng::seed_from_u64(12);
    let cfg = |extra: &str| {
        tokenmint::ServerConfig::from_json(&format!(
            r#"{{"authorizationServer": {{"name": "x", "audiences": ["a"], "issuer": "https://h/oauth2/x"{extra}}}}}"#
        ))
        .unwrap()
    };
    let auto = KeySet::generate_for(&cfg(""), Algorithm::EdDSA, t0(), &mut rng).unwrap();
    assert_eq!(auto.rotation_mode(), RotationMode::Auto);
    let manual = KeySet::generate_for(
        &cfg(r#", "credentials": {"signing": {"rotationMode": "MANUAL"}}"#),
        Algorithm::EdDSA,
        t0(),
        &mut rng,
    )
    .unwrap();
    assert_eq!(manual.rotation_mode(), RotationMode::Manual);
}

/// A "CryptoRng" that yields only zeros: key generation must not hang or panic.
struct Zeros;
impl rand::RngCore for Zeros {
    fn next_u32(&mut self) -> u32 {
        0
    }
    fn next_u64(&mut self) -> u64 {
        0
    }
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        dst.fill(0);
    }
}
impl rand::CryptoRng for Zeros {}

#[test]
fn a_broken_rng_gives_an_error_not_a_hang() {
    assert!(matches!(
        KeySet::generate(Algorithm::ES256, RotationMode::Auto, t0(), &mut Zeros),
        Err(KeyError::Crypto { .. })
    ));
    // Ed25519 and RSA accept any seed (it is only a seed).
    assert!(KeySet::generate(Algorithm::EdDSA, RotationMode::Auto, t0(), &mut Zeros).is_ok());
}
