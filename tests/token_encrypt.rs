//! Encrypted access tokens (nested JWTs): key selection as data (`tests/encrypt/select.json`),
//! determinism, round trips with an independent implementation (josekit's JWE, in both
//! directions), one test per decryption refusal, and `verify_encrypted`.

// A panic here is a failed test or a stopped tool, not a host brought down: the crate's
// lints for src/ (Cargo.toml) are relaxed.
#![allow(
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    unreachable_pub
)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, TimeZone, Utc};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::OnceLock;
use tokenmint::config::RotationMode;
use tokenmint::token::{
    Algorithm, DecryptError, DecryptionKey, EncryptError, EncryptionKey, Expectations, Jwks,
    KeyEncryption, KeySet, VerifyError, decrypt, jwk_thumbprint, verify_encrypted,
};

const ISS: &str = "https://example.okta.com/oauth2/default";
const AUD: &str = "api://default";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 5, 10, 0, 0).unwrap()
}

struct Fixture {
    signing: KeySet,
    /// One decryption key per algorithm, in `KeyEncryption::ALL` order.
    keys: Vec<DecryptionKey>,
    other: DecryptionKey,
}

fn fx() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(4242);
        let signing =
            KeySet::generate(Algorithm::RS256, RotationMode::Manual, now(), &mut rng).unwrap();
        let keys = KeyEncryption::ALL
            .iter()
            .map(|a| DecryptionKey::generate(*a, &mut rng).unwrap())
            .collect();
        let other = DecryptionKey::generate(KeyEncryption::RsaOaep256, &mut rng).unwrap();
        Fixture {
            signing,
            keys,
            other,
        }
    })
}

fn key(alg: KeyEncryption) -> &'static DecryptionKey {
    &fx().keys[KeyEncryption::ALL.iter().position(|a| *a == alg).unwrap()]
}

fn jws() -> String {
    let t = now().timestamp();
    let claims = json!({"ver": 1, "iss": ISS, "aud": AUD, "iat": t, "exp": t + 3600,
                        "scp": ["orders:read"], "sub": "ann"});
    fx().signing
        .signer()
        .sign_claims(&Map::new(), claims.as_object().unwrap())
        .unwrap()
}

fn encrypt(alg: KeyEncryption, seed: u64) -> String {
    let enc = EncryptionKey::select(&key(alg).public_jwks(), alg).unwrap();
    enc.encrypt(&jws(), &mut ChaCha20Rng::seed_from_u64(seed))
        .unwrap()
}

fn error_kind(e: &EncryptError) -> &'static str {
    match e {
        EncryptError::UnknownAlgorithm(_) => "unknown_algorithm",
        EncryptError::JwksJson(_) => "jwks_json",
        EncryptError::JwksShape => "jwks_shape",
        EncryptError::TooManyKeys { .. } => "too_many_keys",
        EncryptError::PrivateKey { .. } => "private_key",
        EncryptError::InvalidKey { .. } => "invalid_key",
        EncryptError::NoUsableKey { .. } => "no_usable_key",
        EncryptError::AmbiguousKey { .. } => "ambiguous_key",
        _ => "other",
    }
}

/// The selection cases file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SelectFile {
    #[allow(dead_code)] // read by people
    about: String,
    cases: Vec<SelectCase>,
}

/// A JWKS (with `$…` placeholders), the algorithm asked for, and the key chosen or the error.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SelectCase {
    name: String,
    alg: String,
    jwks: Value,
    expect: Value,
}

/// `expect` once its placeholders are filled.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct SelectExpect {
    #[serde(default)]
    kid: Option<Value>,
    #[serde(default)]
    index: Option<u64>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    contains: Option<String>,
}

#[test]
fn selection_cases_from_data() {
    let text = std::fs::read_to_string("tests/encrypt/select.json").unwrap();
    let file: SelectFile = serde_json::from_str(&text).unwrap();
    let a = key(KeyEncryption::RsaOaep256).public_jwk();
    let b = fx().other.public_jwk();
    let short = openssl::rsa::Rsa::generate(1024).unwrap();
    let thumb = jwk_thumbprint(&json!({"kty": "RSA", "n": a["n"], "e": a["e"]})).unwrap();
    let subst = [
        ("$N1024", B64.encode(short.n().to_vec())),
        ("$E1024", B64.encode(short.e().to_vec())),
        ("$N2", b["n"].as_str().unwrap().to_owned()),
        ("$E2", b["e"].as_str().unwrap().to_owned()),
        ("$N", a["n"].as_str().unwrap().to_owned()),
        ("$E", a["e"].as_str().unwrap().to_owned()),
        ("$THUMBPRINT", thumb),
    ];
    let fill = |v: &Value| {
        let mut s = v.to_string();
        for (from, to) in &subst {
            s = s.replace(&format!("\"{from}\""), &format!("\"{to}\""));
        }
        serde_json::from_str::<Value>(&s).unwrap()
    };
    let cases = &file.cases;
    assert!(cases.len() >= 20);
    for case in cases {
        let name = case.name.as_str();
        let jwks = fill(&case.jwks);
        let expect: SelectExpect = serde_json::from_value(fill(&case.expect))
            .unwrap_or_else(|e| panic!("{name}: expect: {e}"));
        let result = case
            .alg
            .parse::<KeyEncryption>()
            .and_then(|alg| EncryptionKey::select(&jwks, alg));
        match (&result, &expect.error) {
            (Ok(k), None) => {
                assert_eq!(
                    Value::from(k.kid()),
                    expect.kid.clone().unwrap_or_default(),
                    "{name}"
                );
                assert_eq!(Some(k.index() as u64), expect.index, "{name}");
                // The chosen key encrypts for its private half when it is key A.
                if jwks["keys"][k.index()]["n"] == a["n"] {
                    let jwe = k
                        .encrypt(&jws(), &mut ChaCha20Rng::seed_from_u64(1))
                        .unwrap();
                    let mut rs = key(KeyEncryption::RsaOaep256).to_private_jwk().unwrap();
                    rs["kid"] = json!(k.kid());
                    rs["alg"] = json!(k.algorithm().name());
                    let rs = DecryptionKey::from_jwk(&rs).unwrap();
                    assert_eq!(decrypt(&jwe, &[rs]).unwrap().jws, jws(), "{name}");
                }
            }
            (Err(e), Some(kind)) => {
                assert_eq!(error_kind(e), kind, "{name}: {e}");
                if let Some(index) = expect.index {
                    assert_eq!(e.key_index().map(|i| i as u64), Some(index), "{name}");
                }
                if let Some(text) = expect.contains.as_deref() {
                    assert!(e.to_string().contains(text), "{name}: {e}");
                }
            }
            _ => panic!("{name}: got {result:?}, expected {expect:?}"),
        }
    }
}

#[test]
fn equal_inputs_give_equal_bytes() {
    for alg in KeyEncryption::ALL {
        let first = encrypt(alg, 7);
        assert_eq!(first, encrypt(alg, 7), "{alg}");
        assert_ne!(first, encrypt(alg, 8), "{alg}");
        let parts: Vec<&str> = first.split('.').collect();
        assert_eq!(parts.len(), 5);
        let header: Value = serde_json::from_slice(&B64.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(
            header.to_string(),
            json!({"alg": alg.name(), "enc": "A256GCM", "cty": "JWT", "kid": key(alg).kid()})
                .to_string()
        );
        assert_eq!(
            B64.decode(parts[1]).unwrap().len(),
            256,
            "RSA-2048 wrapped key"
        );
        assert_eq!(B64.decode(parts[2]).unwrap().len(), 12);
        assert_eq!(B64.decode(parts[4]).unwrap().len(), 16);
    }
}

#[test]
fn round_trip_every_algorithm() {
    for alg in KeyEncryption::ALL {
        let jwe = encrypt(alg, 3);
        let out = decrypt(&jwe, &fx().keys).unwrap();
        assert_eq!(out.jws, jws());
        assert_eq!(out.kid, key(alg).kid());
        assert_eq!(out.header["cty"], "JWT");
    }
}

fn josekit_encrypter(alg: KeyEncryption, jwk: &Value) -> Box<dyn josekit::jwe::JweEncrypter> {
    use josekit::jwe::{RSA_OAEP_256, RSA_OAEP_384, RSA_OAEP_512};
    let jwk = josekit::jwk::Jwk::from_map(jwk.as_object().unwrap().clone()).unwrap();
    match alg {
        KeyEncryption::RsaOaep256 => Box::new(RSA_OAEP_256.encrypter_from_jwk(&jwk).unwrap()),
        KeyEncryption::RsaOaep384 => Box::new(RSA_OAEP_384.encrypter_from_jwk(&jwk).unwrap()),
        _ => Box::new(RSA_OAEP_512.encrypter_from_jwk(&jwk).unwrap()),
    }
}

fn josekit_decrypter(alg: KeyEncryption, jwk: &Value) -> Box<dyn josekit::jwe::JweDecrypter> {
    use josekit::jwe::{RSA_OAEP_256, RSA_OAEP_384, RSA_OAEP_512};
    let jwk = josekit::jwk::Jwk::from_map(jwk.as_object().unwrap().clone()).unwrap();
    match alg {
        KeyEncryption::RsaOaep256 => Box::new(RSA_OAEP_256.decrypter_from_jwk(&jwk).unwrap()),
        KeyEncryption::RsaOaep384 => Box::new(RSA_OAEP_384.decrypter_from_jwk(&jwk).unwrap()),
        _ => Box::new(RSA_OAEP_512.decrypter_from_jwk(&jwk).unwrap()),
    }
}

/// A JWE made by josekit (OpenSSL's OAEP and GCM) with `header` members.
fn josekit_jwe(alg: KeyEncryption, payload: &[u8], header: &[(&str, Value)]) -> String {
    let mut h = josekit::jwe::JweHeader::new();
    h.set_content_encryption("A256GCM");
    for (k, v) in header {
        h.set_claim(k, Some(v.clone())).unwrap();
    }
    // josekit writes the JWK's kid unless told one: without a kid member, no kid.
    let mut jwk = key(alg).public_jwk();
    if !header.iter().any(|(k, _)| *k == "kid") {
        jwk.as_object_mut().unwrap().remove("kid");
    }
    let enc = josekit_encrypter(alg, &jwk);
    josekit::jwe::serialize_compact(payload, &h, &*enc).unwrap()
}

#[test]
fn an_independent_implementation_reads_ours_and_we_read_its() {
    for alg in KeyEncryption::ALL {
        // josekit (OpenSSL's OAEP decoding) decrypts what the rsa crate's OAEP wrapped.
        let private = key(alg).to_private_jwk().unwrap();
        let dec = josekit_decrypter(alg, &private);
        let (payload, header) =
            josekit::jwe::deserialize_compact(&encrypt(alg, 11), &*dec).unwrap();
        assert_eq!(payload, jws().as_bytes());
        assert_eq!(header.content_type(), Some("JWT"));
        assert_eq!(header.key_id(), Some(key(alg).kid()));
        // And we decrypt josekit's.
        let theirs = josekit_jwe(
            alg,
            jws().as_bytes(),
            &[("cty", json!("JWT")), ("kid", json!(key(alg).kid()))],
        );
        assert_eq!(decrypt(&theirs, &fx().keys).unwrap().jws, jws());
    }
}

#[test]
fn private_jwk_round_trip() {
    let k = key(KeyEncryption::RsaOaep384);
    let stored = k.to_private_jwk().unwrap();
    let back = DecryptionKey::from_jwk(&stored).unwrap();
    assert_eq!(back.kid(), k.kid());
    assert_eq!(back.public_jwk(), k.public_jwk());
    assert_eq!(k.kid(), jwk_thumbprint(&k.public_jwk()).unwrap());
    assert!(format!("{k:?}").contains(k.kid()));
    assert!(!format!("{k:?}").contains(stored["d"].as_str().unwrap()));
    let mut sig = stored.clone();
    sig["use"] = json!("sig");
    assert!(DecryptionKey::from_jwk(&sig).is_err());
    let mut other_alg = stored;
    other_alg["alg"] = json!("RS256");
    assert!(matches!(
        DecryptionKey::from_jwk(&other_alg),
        Err(EncryptError::UnknownAlgorithm(_))
    ));
}

fn segments(jwe: &str) -> Vec<String> {
    jwe.split('.').map(str::to_owned).collect()
}

fn with_segment(jwe: &str, i: usize, f: impl Fn(&str) -> String) -> String {
    let mut s = segments(jwe);
    s[i] = f(&s[i]);
    s.join(".")
}

fn flip(b64: &str) -> String {
    let mut bytes = B64.decode(b64).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 1;
    B64.encode(bytes)
}

/// A JWE whose header is replaced (the rest stays: header checks come before decryption).
fn with_header(header: Value) -> String {
    let jwe = encrypt(KeyEncryption::RsaOaep256, 5);
    with_segment(&jwe, 0, |_| B64.encode(header.to_string()))
}

fn header(extra: &[(&str, Value)]) -> Value {
    let mut h = json!({"alg": "RSA-OAEP-256", "enc": "A256GCM", "cty": "JWT",
                       "kid": key(KeyEncryption::RsaOaep256).kid()});
    for (k, v) in extra {
        if v.is_null() {
            h.as_object_mut().unwrap().remove(*k);
        } else {
            h[*k] = v.clone();
        }
    }
    h
}

fn refused(jwe: &str) -> DecryptError {
    decrypt(jwe, &fx().keys).unwrap_err()
}

#[test]
fn every_refusal_has_its_error() {
    use DecryptError::*;
    let jwe = encrypt(KeyEncryption::RsaOaep256, 5);
    // Size and shape.
    let big = "a".repeat(64 * 1024 + 1);
    assert_eq!(
        refused(&big),
        TooLarge {
            len: 64 * 1024 + 1,
            max: 64 * 1024
        }
    );
    assert_eq!(refused(&jws()), NotEncrypted);
    assert_eq!(refused("a.b.c.d"), SegmentCount(4));
    assert_eq!(refused("a.b.c.d.e.f"), SegmentCount(6));
    assert_eq!(
        refused(&with_segment(&jwe, 0, |_| "*".into())),
        Base64("header")
    );
    assert!(matches!(
        refused(&with_segment(&jwe, 0, |_| B64.encode("{"))),
        HeaderJson(_)
    ));
    assert_eq!(
        refused(&with_segment(&jwe, 0, |_| B64.encode("[1]"))),
        HeaderNotObject
    );
    // Header members.
    assert_eq!(
        refused(&with_header(header(&[("alg", Value::Null)]))),
        MissingAlgorithm
    );
    for alg in ["RSA1_5", "RSA-OAEP", "dir", "ECDH-ES", "A256KW", "none"] {
        assert_eq!(
            refused(&with_header(header(&[("alg", json!(alg))]))),
            UnsupportedAlgorithm(alg.into())
        );
    }
    assert_eq!(
        refused(&with_header(header(&[("enc", Value::Null)]))),
        MissingEncryption
    );
    for enc in ["A128GCM", "A128CBC-HS256", "A256CBC-HS512"] {
        assert_eq!(
            refused(&with_header(header(&[("enc", json!(enc))]))),
            UnsupportedEncryption(enc.into())
        );
    }
    assert_eq!(
        refused(&with_header(header(&[("zip", json!("DEF"))]))),
        Compressed
    );
    assert_eq!(
        refused(&with_header(header(&[("crit", json!(["exp"]))]))),
        CriticalHeader
    );
    assert_eq!(
        refused(&with_header(header(&[("cty", Value::Null)]))),
        ContentType(None)
    );
    assert_eq!(
        refused(&with_header(header(&[("cty", json!("json"))]))),
        ContentType(Some("json".into()))
    );
    assert_eq!(
        refused(&with_header(header(&[("kid", json!("nope"))]))),
        UnknownKid("nope".into())
    );
    assert_eq!(
        refused(&with_header(header(&[("kid", Value::Null)]))),
        MissingKid
    );
    assert_eq!(
        refused(&with_header(header(&[("alg", json!("RSA-OAEP-512"))]))),
        KeyAlgorithmMismatch {
            kid: key(KeyEncryption::RsaOaep256).kid().into(),
            key_alg: KeyEncryption::RsaOaep256,
            token_alg: KeyEncryption::RsaOaep512
        }
    );
    // Segments.
    assert_eq!(
        refused(&with_segment(&jwe, 1, |_| "%".into())),
        Base64("encrypted key")
    );
    assert_eq!(
        refused(&with_segment(&jwe, 2, |_| "%".into())),
        Base64("IV")
    );
    assert_eq!(
        refused(&with_segment(&jwe, 3, |_| "%".into())),
        Base64("ciphertext")
    );
    assert_eq!(
        refused(&with_segment(&jwe, 4, |_| "%".into())),
        Base64("tag")
    );
    assert_eq!(
        refused(&with_segment(&jwe, 2, |_| B64.encode([0u8; 16]))),
        IvLength(16)
    );
    assert_eq!(
        refused(&with_segment(&jwe, 4, |_| B64.encode([0u8; 8]))),
        TagLength(8)
    );
}

#[test]
fn wrong_key_and_tampering_are_one_error() {
    let jwe = encrypt(KeyEncryption::RsaOaep256, 5);
    // The other key, under the right kid: the wrapped key doesn't unwrap.
    let mut impostor = fx().other.to_private_jwk().unwrap();
    impostor["kid"] = json!(key(KeyEncryption::RsaOaep256).kid());
    let impostor = DecryptionKey::from_jwk(&impostor).unwrap();
    assert_eq!(decrypt(&jwe, &[impostor]), Err(DecryptError::Undecryptable));
    // Any changed bit fails authentication: wrapped key, IV, ciphertext, tag, and the header
    // (the additional authenticated data; a member order change is a change).
    for i in 1..5 {
        assert_eq!(
            refused(&with_segment(&jwe, i, flip)),
            DecryptError::Undecryptable,
            "segment {i}"
        );
    }
    let reordered = json!({"enc": "A256GCM", "alg": "RSA-OAEP-256", "cty": "JWT",
                           "kid": key(KeyEncryption::RsaOaep256).kid()});
    assert_eq!(
        refused(&with_header(reordered)),
        DecryptError::Undecryptable
    );
    // Without a kid, the only key is tried.
    let no_kid = josekit_jwe(
        KeyEncryption::RsaOaep256,
        jws().as_bytes(),
        &[("cty", json!("JWT"))],
    );
    assert_eq!(
        decrypt(
            &no_kid,
            std::slice::from_ref(key(KeyEncryption::RsaOaep256))
        )
        .unwrap()
        .jws,
        jws()
    );
    assert_eq!(refused(&no_kid), DecryptError::MissingKid);
}

#[test]
fn content_that_is_not_a_jws_is_refused() {
    let kid = json!(key(KeyEncryption::RsaOaep256).kid());
    let text = josekit_jwe(
        KeyEncryption::RsaOaep256,
        b"{\"sub\":\"ann\"}",
        &[("cty", json!("JWT")), ("kid", kid.clone())],
    );
    assert_eq!(refused(&text), DecryptError::NotJws);
    let binary = josekit_jwe(
        KeyEncryption::RsaOaep256,
        &[0xff, 0xfe, b'.', b'.'],
        &[("cty", json!("JWT")), ("kid", kid)],
    );
    assert_eq!(refused(&binary), DecryptError::NotJws);
}

#[test]
fn encrypt_takes_only_a_bounded_jws() {
    let enc = EncryptionKey::select(
        &key(KeyEncryption::RsaOaep256).public_jwks(),
        KeyEncryption::RsaOaep256,
    )
    .unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    assert_eq!(enc.encrypt("a.b", &mut rng), Err(EncryptError::NotJws));
    assert_eq!(enc.encrypt("a.b.c d", &mut rng), Err(EncryptError::NotJws));
    let big = format!("a.{}.c", "b".repeat(64 * 1024));
    assert!(matches!(
        enc.encrypt(&big, &mut rng),
        Err(EncryptError::TooLarge { .. })
    ));
    assert!(matches!(
        EncryptionKey::select_json("{", KeyEncryption::RsaOaep256),
        Err(EncryptError::JwksJson(_))
    ));
    let many = json!({"keys": vec![json!({"kty": "RSA", "use": "sig"}); 101]});
    assert!(matches!(
        EncryptionKey::select(&many, KeyEncryption::RsaOaep256),
        Err(EncryptError::TooManyKeys {
            count: 101,
            max: 100
        })
    ));
}

#[test]
fn verify_encrypted_decrypts_then_checks_everything() {
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let jwks = Jwks::from_value(&fx().signing.jwks()).unwrap();
    let jwe = encrypt(KeyEncryption::RsaOaep384, 9);
    let token =
        verify_encrypted(&jwe, &fx().keys, &jwks, &Expectations::new(ISS, AUD, now())).unwrap();
    assert_eq!(token.claims["sub"], "ann");
    // The usual checks run on the inner token.
    let later = Expectations::new(ISS, AUD, now() + chrono::TimeDelta::hours(2));
    assert!(matches!(
        verify_encrypted(&jwe, &fx().keys, &jwks, &later),
        Err(VerifyError::Expired { .. })
    ));
    let other_aud = Expectations::new(ISS, "api://other", now());
    assert!(matches!(
        verify_encrypted(&jwe, &fx().keys, &jwks, &other_aud),
        Err(VerifyError::AudienceMismatch { .. })
    ));
    // A plain token where an encrypted one is required, and a decryption failure.
    let expect = Expectations::new(ISS, AUD, now());
    assert_eq!(
        verify_encrypted(&jws(), &fx().keys, &jwks, &expect),
        Err(VerifyError::Decrypt(DecryptError::NotEncrypted))
    );
    assert_eq!(
        verify_encrypted(&jwe, std::slice::from_ref(&fx().other), &jwks, &expect),
        Err(VerifyError::Decrypt(DecryptError::UnknownKid(
            key(KeyEncryption::RsaOaep384).kid().into()
        )))
    );
    // An encrypted token with a forged signature inside: decrypts, then fails the signature.
    let forged = {
        let good = jws();
        let (head, _) = good.rsplit_once('.').unwrap();
        format!("{head}.{}", B64.encode([7u8; 256]))
    };
    let enc = EncryptionKey::select(
        &key(KeyEncryption::RsaOaep256).public_jwks(),
        KeyEncryption::RsaOaep256,
    )
    .unwrap();
    let jwe = enc.encrypt(&forged, &mut rng).unwrap();
    assert_eq!(
        verify_encrypted(&jwe, &fx().keys, &jwks, &expect),
        Err(VerifyError::BadSignature)
    );
}
