//! Signing with every algorithm and verifying with the crate's own verifier; at_hash, jti,
//! determinism.

use chrono::{DateTime, TimeZone, Utc};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::{Map, Value, json};
use tokenmint::config::RotationMode;
use tokenmint::token::{
    Algorithm, Expectations, JtiKind, Jwks, KeySet, MintError, left_half_hash, new_jti, verify,
};

const ISS: &str = "https://example.okta.com/oauth2/default";
const AUD: &str = "api://default";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

fn claims(now: DateTime<Utc>, rng: &mut ChaCha20Rng) -> Value {
    json!({"ver": 1, "jti": new_jti(JtiKind::Access, rng), "iss": ISS, "aud": AUD,
           "iat": now.timestamp(), "exp": now.timestamp() + 3600, "cid": "0oa1",
           "scp": ["openid", "orders:read"], "sub": "ann@example.com"})
}

#[test]
fn every_algorithm_signs_and_verifies() {
    for alg in Algorithm::ALL {
        let mut rng = ChaCha20Rng::seed_from_u64(42);
        let keys = KeySet::generate(alg, RotationMode::Auto, now(), &mut rng).unwrap();
        let payload = claims(now(), &mut rng).to_string();
        let jwt = keys
            .signer()
            .sign_compact(&Map::new(), payload.as_bytes())
            .unwrap();
        let jwks = Jwks::from_value(&keys.jwks()).unwrap();
        let expect = Expectations::new(ISS, AUD, now()).require_scopes(["orders:read"]);
        let token = verify(&jwt, &jwks, &expect).unwrap_or_else(|e| panic!("{alg}: {e}"));
        assert_eq!(token.algorithm, alg);
        assert_eq!(token.kid, keys.active().kid());
        assert_eq!(
            serde_json::to_string(&token.claims).unwrap(),
            payload,
            "{alg}: claims keep their order"
        );
        // Header exactly {"kid", "alg"} in that order.
        let header: Vec<&String> = token.header.keys().collect();
        assert_eq!(header, ["kid", "alg"], "{alg}");
        // The payload segment is the given bytes, encoded once.
        let seg = jwt.split('.').nth(1).unwrap();
        use base64::Engine as _;
        assert_eq!(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(seg)
                .unwrap(),
            payload.as_bytes()
        );
    }
}

#[test]
fn typ_header_and_reserved_members() {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let keys = KeySet::generate(Algorithm::EdDSA, RotationMode::Manual, now(), &mut rng).unwrap();
    let mut extra = Map::new();
    extra.insert("typ".into(), "at+jwt".into());
    let jwt = keys
        .signer()
        .sign_claims(&extra, claims(now(), &mut rng).as_object().unwrap())
        .unwrap();
    let jwks = Jwks::from_value(&keys.jwks()).unwrap();
    let token = verify(&jwt, &jwks, &Expectations::new(ISS, AUD, now())).unwrap();
    let header: Vec<&String> = token.header.keys().collect();
    assert_eq!(header, ["kid", "alg", "typ"]);
    assert_eq!(token.header["typ"], "at+jwt");

    for reserved in ["kid", "alg"] {
        let mut extra = Map::new();
        extra.insert(reserved.into(), "x".into());
        assert_eq!(
            keys.signer().sign_compact(&extra, b"{}"),
            Err(MintError::ReservedHeader(reserved.into()))
        );
    }
}

#[test]
fn at_hash_follows_the_algorithm_hash_size() {
    // OIDC Core A.3/A.4 example values (RS256).
    assert_eq!(
        left_half_hash(
            Algorithm::RS256,
            b"jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
        ),
        "77QmUPtjPfzWtF2AnpK9RQ"
    );
    assert_eq!(
        left_half_hash(
            Algorithm::RS256,
            b"Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk"
        ),
        "LDktKdoQak3Pk0cnXxCltA"
    );
    for (alg, len) in [
        (Algorithm::ES256, 22),
        (Algorithm::PS384, 32),
        (Algorithm::RS512, 43),
        (Algorithm::EdDSA, 43),
    ] {
        assert_eq!(left_half_hash(alg, b"token").len(), len, "{alg}");
    }
    assert_eq!(
        left_half_hash(Algorithm::EdDSA, b"x"),
        left_half_hash(Algorithm::ES512, b"x")
    );
}

#[test]
fn jti_shape() {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let at = new_jti(JtiKind::Access, &mut rng);
    let id = new_jti(JtiKind::Id, &mut rng);
    assert!(at.starts_with("AT.") && at.len() == 46, "{at}");
    assert!(id.starts_with("ID.") && id.len() == 46, "{id}");
    assert!(
        at[3..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert_ne!(at[3..], id[3..]);
}

#[test]
fn same_seed_same_keys_jwks_and_deterministic_signatures() {
    for alg in Algorithm::ALL {
        let run = || {
            let mut rng = ChaCha20Rng::seed_from_u64(2026);
            let keys = KeySet::generate(alg, RotationMode::Auto, now(), &mut rng).unwrap();
            let payload = claims(now(), &mut rng).to_string();
            let jwt = keys
                .signer()
                .sign_compact(&Map::new(), payload.as_bytes())
                .unwrap();
            (keys.jwks(), keys.to_private_json().unwrap(), jwt)
        };
        let (jwks1, private1, jwt1) = run();
        let (jwks2, private2, jwt2) = run();
        assert_eq!(jwks1, jwks2, "{alg}");
        assert_eq!(private1, private2, "{alg}");
        if alg.is_deterministic() {
            assert_eq!(jwt1, jwt2, "{alg}");
        } else {
            // Randomized signatures: same header and payload, different signature.
            let head = |j: &str| j.rsplit_once('.').unwrap().0.to_owned();
            assert_eq!(head(&jwt1), head(&jwt2), "{alg}");
        }
        // A different seed gives a different key.
        let mut rng = ChaCha20Rng::seed_from_u64(2027);
        let other = KeySet::generate(alg, RotationMode::Auto, now(), &mut rng).unwrap();
        assert_ne!(other.jwks(), jwks1, "{alg}");
    }
}

#[test]
fn golden_eddsa_kid_is_stable() {
    // Pinned so that a dependency upgrade that changes key derivation is noticed.
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let keys = KeySet::generate(Algorithm::EdDSA, RotationMode::Auto, now(), &mut rng).unwrap();
    assert_eq!(
        keys.active().kid(),
        "WH4sv4cmAQOq_8YGZpQ8dCWrMRcnHKi5pHWSg0NiTPo"
    );
}

#[test]
fn shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<KeySet>();
    assert_send_sync::<tokenmint::token::Signer>();
    assert_send_sync::<Jwks>();
}

/// Pinned outputs for a fixed seed and clock: a change in key derivation (e.g. a dependency
/// upgrade) or in the signing input shows up here. Only deterministic algorithms are pinned.
#[test]
fn golden_vectors() {
    for (alg, kid, jwt_sha256) in [
        (
            Algorithm::RS256,
            "9bFj0kquPw85ONE62ZpO44sqPgJ16uYIY0qvk0wOMBY",
            "68Ht2XMwVIQUQzJDgw8_1cqQnVdg30nOiCsSr91kOdM",
        ),
        (
            Algorithm::EdDSA,
            "WH4sv4cmAQOq_8YGZpQ8dCWrMRcnHKi5pHWSg0NiTPo",
            "QdLUAV-gBa90Lb2O1TjSWDqpnj2vND4TCc-MbMnP6A4",
        ),
    ] {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let keys = KeySet::generate(alg, RotationMode::Auto, now(), &mut rng).unwrap();
        let payload = claims(now(), &mut rng).to_string();
        let jwt = keys
            .signer()
            .sign_compact(&Map::new(), payload.as_bytes())
            .unwrap();
        use base64::Engine as _;
        let digest =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(openssl_sha256(jwt.as_bytes()));
        assert_eq!(keys.active().kid(), kid, "{alg}");
        assert_eq!(digest, jwt_sha256, "{alg}");
    }
}

fn openssl_sha256(bytes: &[u8]) -> [u8; 32] {
    openssl::sha::sha256(bytes)
}

/// The headers a signer encodes once are exactly the ones `Signer::header` describes, and any
/// other extra header is encoded per token the same way.
#[test]
fn prepared_headers_are_the_described_ones() {
    use base64::Engine as _;
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let keys = KeySet::generate(Algorithm::EdDSA, RotationMode::Manual, now(), &mut rng).unwrap();
    let signer = keys.signer();
    for extra in [
        json!({}),
        json!({"typ": "at+jwt"}),
        json!({"typ": "JWT"}),
        json!({"typ": "at+jwt", "cty": "x"}),
    ] {
        let extra = extra.as_object().cloned().unwrap();
        let jwt = signer.sign_compact(&extra, b"{}").unwrap();
        let head = jwt.split('.').next().unwrap();
        let head = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(head)
            .unwrap();
        let want = serde_json::to_vec(&signer.header(&extra).unwrap()).unwrap();
        assert_eq!(head, want, "{extra:?}");
    }
}
