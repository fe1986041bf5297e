//! The resource-server verifier: one test per rejection, and the JWKS loader.

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
use serde_json::{Map, Value, json};
use std::sync::OnceLock;
use tokenmint::config::RotationMode;
use tokenmint::token::{
    Algorithm, Expectations, Jwks, JwksError, KeySet, MAX_TOKEN_LEN, VerifyError, verify,
};

const ISS: &str = "https://example.okta.com/oauth2/default";
const AUD: &str = "api://default";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 5, 10, 0, 0).unwrap()
}

struct Fixture {
    rs: KeySet,
    es: KeySet,
    jwks: Jwks,
}

fn fx() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(77);
        let rs = KeySet::generate(Algorithm::RS256, RotationMode::Auto, now(), &mut rng).unwrap();
        let es = KeySet::generate(Algorithm::ES256, RotationMode::Auto, now(), &mut rng).unwrap();
        let mut keys = rs.jwks()["keys"].as_array().unwrap().clone();
        keys.extend(es.jwks()["keys"].as_array().unwrap().iter().cloned());
        let jwks = Jwks::from_value(&json!({ "keys": keys })).unwrap();
        Fixture { rs, es, jwks }
    })
}

fn good_claims() -> Map<String, Value> {
    let t = now().timestamp();
    json!({"ver": 1, "iss": ISS, "aud": AUD, "iat": t - 10, "exp": t + 3600,
           "scp": ["openid", "orders:read"], "sub": "ann"})
    .as_object()
    .unwrap()
    .clone()
}

fn sign(claims: &Map<String, Value>) -> String {
    fx().rs.signer().sign_claims(&Map::new(), claims).unwrap()
}

fn with(name: &str, value: Value) -> String {
    let mut c = good_claims();
    c.insert(name.into(), value);
    sign(&c)
}

fn without(name: &str) -> String {
    let mut c = good_claims();
    c.remove(name);
    sign(&c)
}

fn expect() -> Expectations {
    Expectations::new(ISS, AUD, now())
}

fn check(jwt: &str) -> Result<(), VerifyError> {
    verify(jwt, &fx().jwks, &expect()).map(|_| ())
}

/// A token with an arbitrary header (signature is junk; header checks come first).
fn raw(header: Value) -> String {
    format!(
        "{}.{}.{}",
        B64.encode(header.to_string()),
        B64.encode(Value::Object(good_claims()).to_string()),
        B64.encode([1u8; 256])
    )
}

fn rs_kid() -> String {
    fx().rs.active().kid().to_owned()
}

#[test]
fn accepts_a_good_token_from_each_key() {
    assert_eq!(check(&sign(&good_claims())), Ok(()));
    let es = fx()
        .es
        .signer()
        .sign_claims(&Map::new(), &good_claims())
        .unwrap();
    let t = verify(&es, &fx().jwks, &expect()).unwrap();
    assert_eq!(t.algorithm, Algorithm::ES256);
    assert_eq!(t.claims["sub"], "ann");
}

#[test]
fn structural_errors() {
    assert_eq!(
        check(&"a".repeat(MAX_TOKEN_LEN + 1)),
        Err(VerifyError::TooLarge {
            len: MAX_TOKEN_LEN + 1,
            max: MAX_TOKEN_LEN
        })
    );
    assert_eq!(check(""), Err(VerifyError::SegmentCount(1)));
    assert_eq!(check("a.b"), Err(VerifyError::SegmentCount(2)));
    assert_eq!(check("a.b.c.d.e"), Err(VerifyError::SegmentCount(5)));
    let good = sign(&good_claims());
    let parts: Vec<&str> = good.split('.').collect();
    assert_eq!(
        check(&format!("{}=.{}.{}", parts[0], parts[1], parts[2])),
        Err(VerifyError::HeaderBase64)
    );
    assert_eq!(check("!!.x.y"), Err(VerifyError::HeaderBase64));
    assert!(matches!(
        check(&format!(
            "{}.{}.{}",
            B64.encode("not json"),
            parts[1],
            parts[2]
        )),
        Err(VerifyError::HeaderJson(_))
    ));
    assert_eq!(
        check(&format!("{}.{}.{}", B64.encode("[1]"), parts[1], parts[2])),
        Err(VerifyError::HeaderNotObject)
    );
    assert_eq!(
        check(&format!("{}.*.{}", parts[0], parts[2])),
        Err(VerifyError::PayloadBase64)
    );
    assert_eq!(
        check(&format!("{}.{}.a+b", parts[0], parts[1])),
        Err(VerifyError::SignatureBase64)
    );
}

#[test]
fn header_errors() {
    let kid = rs_kid();
    assert_eq!(
        check(&raw(json!({"kid": kid}))),
        Err(VerifyError::MissingAlgorithm)
    );
    assert_eq!(
        check(&raw(json!({"kid": kid, "alg": 256}))),
        Err(VerifyError::MissingAlgorithm)
    );
    assert_eq!(
        check(&raw(json!({"kid": kid, "alg": "none"}))),
        Err(VerifyError::AlgorithmNone)
    );
    assert_eq!(
        check(&raw(json!({"kid": kid, "alg": "NONE"}))),
        Err(VerifyError::AlgorithmNone)
    );
    assert_eq!(
        check(&raw(json!({"kid": kid, "alg": "HS256"}))),
        Err(VerifyError::AlgorithmHmac("HS256".into()))
    );
    assert_eq!(
        check(&raw(json!({"kid": kid, "alg": "ES256K"}))),
        Err(VerifyError::UnsupportedAlgorithm("ES256K".into()))
    );
    assert_eq!(
        check(&raw(json!({"kid": kid, "alg": "é€"}))),
        Err(VerifyError::UnsupportedAlgorithm("é€".into()))
    );
    assert_eq!(
        check(&raw(json!({"alg": "RS256"}))),
        Err(VerifyError::MissingKid)
    );
    assert_eq!(
        check(&raw(json!({"alg": "RS256", "kid": "nope"}))),
        Err(VerifyError::UnknownKid("nope".into()))
    );
    assert_eq!(
        check(&raw(json!({"alg": "RS384", "kid": kid}))),
        Err(VerifyError::KeyAlgorithmMismatch {
            kid: kid.clone(),
            key_alg: "RS256".into(),
            token_alg: "RS384".into()
        })
    );
    // An EC key id with an RSA algorithm: mismatch too.
    let es_kid = fx().es.active().kid().to_owned();
    assert!(matches!(
        check(&raw(json!({"alg": "RS256", "kid": es_kid}))),
        Err(VerifyError::KeyAlgorithmMismatch { .. })
    ));
    // crit, even with a valid signature.
    let mut extra = Map::new();
    extra.insert("crit".into(), json!(["exp"]));
    let jwt = fx()
        .rs
        .signer()
        .sign_claims(&extra, &good_claims())
        .unwrap();
    assert_eq!(check(&jwt), Err(VerifyError::CriticalHeader));
    // Allow-list.
    let only_es = expect().algorithms([Algorithm::ES256]);
    assert_eq!(
        verify(&sign(&good_claims()), &fx().jwks, &only_es).map(|_| ()),
        Err(VerifyError::AlgorithmNotAllowed("RS256".into()))
    );
}

#[test]
fn signature_errors() {
    let good = sign(&good_claims());
    let (head, sig) = good.rsplit_once('.').unwrap();
    // Tampered payload.
    let mut c = good_claims();
    c.insert("sub".into(), "mallory".into());
    let forged_payload = B64.encode(Value::Object(c).to_string());
    let h = head.split('.').next().unwrap();
    assert_eq!(
        check(&format!("{h}.{forged_payload}.{sig}")),
        Err(VerifyError::BadSignature)
    );
    // Flipped signature byte.
    let mut bytes = B64.decode(sig).unwrap();
    bytes[10] ^= 1;
    assert_eq!(
        check(&format!("{head}.{}", B64.encode(&bytes))),
        Err(VerifyError::BadSignature)
    );
    // Empty and truncated signatures.
    assert_eq!(check(&format!("{head}.")), Err(VerifyError::BadSignature));
    assert_eq!(
        check(&format!("{head}.{}", &sig[..40])),
        Err(VerifyError::BadSignature)
    );
    // Signed by another key under this kid.
    let mut rng = ChaCha20Rng::seed_from_u64(1234);
    let other = KeySet::generate(Algorithm::ES256, RotationMode::Auto, now(), &mut rng).unwrap();
    let foreign = other
        .signer()
        .sign_claims(&Map::new(), &good_claims())
        .unwrap();
    let (_, foreign_sig) = foreign.rsplit_once('.').unwrap();
    let es_good = fx()
        .es
        .signer()
        .sign_claims(&Map::new(), &good_claims())
        .unwrap();
    let (es_head, _) = es_good.rsplit_once('.').unwrap();
    assert_eq!(
        check(&format!("{es_head}.{foreign_sig}")),
        Err(VerifyError::BadSignature)
    );
}

#[test]
fn payload_errors() {
    let s = |p: &[u8]| fx().rs.signer().sign_compact(&Map::new(), p).unwrap();
    assert!(matches!(
        check(&s(b"not json")),
        Err(VerifyError::PayloadJson(_))
    ));
    assert_eq!(check(&s(b"[1,2]")), Err(VerifyError::PayloadNotObject));
    assert_eq!(check(&s(b"\"x\"")), Err(VerifyError::PayloadNotObject));
}

#[test]
fn claim_errors() {
    let t = now().timestamp();
    assert_eq!(
        check(&without("exp")),
        Err(VerifyError::MissingClaim("exp"))
    );
    assert_eq!(
        check(&without("iss")),
        Err(VerifyError::MissingClaim("iss"))
    );
    assert_eq!(
        check(&without("aud")),
        Err(VerifyError::MissingClaim("aud"))
    );
    assert_eq!(
        check(&with("exp", json!("soon"))),
        Err(VerifyError::InvalidClaim("exp"))
    );
    assert_eq!(
        check(&with("nbf", json!(null))),
        Err(VerifyError::InvalidClaim("nbf"))
    );
    assert_eq!(
        check(&with("iat", json!([1]))),
        Err(VerifyError::InvalidClaim("iat"))
    );
    assert_eq!(
        check(&with("iss", json!(1))),
        Err(VerifyError::InvalidClaim("iss"))
    );
    assert_eq!(
        check(&with("aud", json!({}))),
        Err(VerifyError::InvalidClaim("aud"))
    );
    assert_eq!(
        check(&with("aud", json!([AUD, 1]))),
        Err(VerifyError::InvalidClaim("aud"))
    );

    assert_eq!(
        check(&with("exp", json!(t))),
        Err(VerifyError::Expired {
            exp: t,
            now: t,
            leeway: 0
        })
    );
    assert_eq!(
        check(&with("nbf", json!(t + 1))),
        Err(VerifyError::NotYetValid {
            nbf: t + 1,
            now: t,
            leeway: 0
        })
    );
    assert_eq!(
        check(&with("iat", json!(t + 1))),
        Err(VerifyError::IssuedInFuture {
            iat: t + 1,
            now: t,
            leeway: 0
        })
    );
    assert_eq!(
        check(&with("iss", json!("https://evil.example"))),
        Err(VerifyError::IssuerMismatch {
            expected: ISS.into(),
            found: "https://evil.example".into()
        })
    );
    assert_eq!(
        check(&with("aud", json!("api://other"))),
        Err(VerifyError::AudienceMismatch {
            expected: AUD.into()
        })
    );
    assert_eq!(
        check(&with("aud", json!(["api://other"]))),
        Err(VerifyError::AudienceMismatch {
            expected: AUD.into()
        })
    );
    // Accepted shapes: array aud, fractional dates, nbf/iat in the past, no iat at all.
    assert_eq!(check(&with("aud", json!(["x", AUD]))), Ok(()));
    assert_eq!(check(&with("exp", json!(t as f64 + 1.5))), Ok(()));
    assert_eq!(check(&with("nbf", json!(t))), Ok(()));
    assert_eq!(check(&without("iat")), Ok(()));
    // Huge numbers don't overflow.
    assert_eq!(check(&with("exp", json!(i64::MAX))), Ok(()));
    assert_eq!(check(&with("exp", json!(1e300))), Ok(()));
    assert!(matches!(
        check(&with("exp", json!(u64::MAX))),
        Ok(()) | Err(VerifyError::InvalidClaim("exp"))
    ));
    assert!(matches!(check(&with("iat", json!(-1e300))), Ok(())));
}

#[test]
fn leeway_applies_to_exp_nbf_and_iat() {
    let t = now().timestamp();
    let lenient = expect().leeway(60);
    let v = |jwt: &str| verify(jwt, &fx().jwks, &lenient).map(|_| ());
    assert_eq!(v(&with("exp", json!(t - 59))), Ok(()));
    assert!(matches!(
        v(&with("exp", json!(t - 60))),
        Err(VerifyError::Expired { leeway: 60, .. })
    ));
    assert_eq!(v(&with("nbf", json!(t + 60))), Ok(()));
    assert!(matches!(
        v(&with("nbf", json!(t + 61))),
        Err(VerifyError::NotYetValid { .. })
    ));
    assert_eq!(v(&with("iat", json!(t + 60))), Ok(()));
    assert!(matches!(
        v(&with("iat", json!(t + 61))),
        Err(VerifyError::IssuedInFuture { .. })
    ));
    // Negative leeway is treated as zero.
    assert_eq!(expect().leeway(-5).leeway, 0);
}

#[test]
fn required_scopes() {
    let e = expect().require_scopes(["orders:read", "openid"]);
    let v = |jwt: &str, e: &Expectations| verify(jwt, &fx().jwks, e).map(|_| ());
    assert_eq!(v(&sign(&good_claims()), &e), Ok(()));
    let e2 = expect().require_scopes(["orders:write"]);
    assert_eq!(
        v(&sign(&good_claims()), &e2),
        Err(VerifyError::MissingScope("orders:write".into()))
    );
    assert_eq!(
        v(&without("scp"), &e),
        Err(VerifyError::MissingClaim("scp"))
    );
    assert_eq!(
        v(&with("scp", json!("openid orders:read")), &e),
        Err(VerifyError::InvalidClaim("scp"))
    );
    // Without required scopes scp isn't looked at.
    assert_eq!(v(&without("scp"), &expect()), Ok(()));
}

#[test]
fn jwks_loading_errors() {
    let rs = fx().rs.jwks();
    let jwk = rs["keys"][0].clone();
    let one = |j: Value| Jwks::from_value(&json!({ "keys": [j] }));
    let edit = |name: &str, v: Value| {
        let mut j = jwk.clone();
        j[name] = v;
        one(j)
    };
    let remove = |name: &str| {
        let mut j = jwk.clone();
        j.as_object_mut().unwrap().remove(name);
        one(j)
    };
    assert!(matches!(
        Jwks::from_slice(&vec![b' '; tokenmint::token::MAX_JWKS_LEN + 1]),
        Err(JwksError::TooLarge { .. })
    ));
    assert!(matches!(Jwks::from_json("{"), Err(JwksError::Json(_))));
    assert_eq!(Jwks::from_json("[]").err(), Some(JwksError::Shape));
    assert_eq!(
        Jwks::from_json("{\"keys\": {}}").err(),
        Some(JwksError::Shape)
    );
    assert!(matches!(
        Jwks::from_json("{\"keys\": [1]}"),
        Err(JwksError::Key { index: 0, .. })
    ));
    assert!(matches!(
        remove("kid"),
        Err(JwksError::Key { index: 0, .. })
    ));
    assert!(matches!(remove("alg"), Err(JwksError::Key { .. })));
    assert!(matches!(remove("n"), Err(JwksError::Key { .. })));
    assert!(matches!(
        edit("alg", json!("HS256")),
        Err(JwksError::Key { .. })
    ));
    assert!(matches!(
        edit("alg", json!("ES256")),
        Err(JwksError::Key { .. })
    ));
    assert!(
        matches!(edit("n", json!("AQAB")), Err(JwksError::Key { .. })),
        "short RSA"
    );
    assert!(matches!(edit("n", json!("!!")), Err(JwksError::Key { .. })));
    assert!(matches!(edit("use", json!(5)), Err(JwksError::Key { .. })));
    assert!(matches!(
        one(json!({"kty": "oct", "k": "c2VjcmV0", "kid": "x", "alg": "HS256"})),
        Err(JwksError::Key { .. })
    ));
    let es = fx().es.jwks()["keys"][0].clone();
    let mut bad_crv = es.clone();
    bad_crv["crv"] = "P-384".into();
    assert!(matches!(one(bad_crv), Err(JwksError::Key { .. })));
    let mut short_x = es.clone();
    short_x["x"] = "AAAA".into();
    assert!(matches!(one(short_x), Err(JwksError::Key { .. })));
    assert!(matches!(
        Jwks::from_value(&json!({"keys": [jwk.clone(), jwk.clone()]})),
        Err(JwksError::DuplicateKid(_))
    ));
    // Encryption keys are ignored.
    let enc = edit("use", json!("enc")).unwrap();
    assert!(enc.is_empty());
    // A good one.
    let ok = Jwks::from_json(&rs.to_string()).unwrap();
    assert_eq!(ok.len(), 1);
    assert_eq!(ok.kids().collect::<Vec<_>>(), [rs_kid().as_str()]);
}

#[test]
fn typ_expectation() {
    let mut extra = Map::new();
    extra.insert("typ".into(), "at+jwt".into());
    let typed = fx()
        .rs
        .signer()
        .sign_claims(&extra, &good_claims())
        .unwrap();
    let untyped = sign(&good_claims());
    let want = expect().typ("at+jwt");
    assert!(verify(&typed, &fx().jwks, &want).is_ok());
    assert!(verify(&typed, &fx().jwks, &expect().typ("application/AT+JWT")).is_ok());
    assert_eq!(
        verify(&untyped, &fx().jwks, &want).map(|_| ()),
        Err(VerifyError::TypeMismatch {
            expected: "at+jwt".into(),
            found: None
        })
    );
    assert!(matches!(
        verify(&typed, &fx().jwks, &expect().typ("JWT")),
        Err(VerifyError::TypeMismatch { .. })
    ));
    // No expectation: any typ.
    assert!(verify(&typed, &fx().jwks, &expect()).is_ok());
}

#[test]
fn id_token_hashes() {
    use tokenmint::token::left_half_hash;
    let access = sign(&good_claims());
    let code = "SplxlOBeZQQYbYS6WxSbIA";
    let mut c = good_claims();
    c.insert(
        "at_hash".into(),
        left_half_hash(Algorithm::RS256, access.as_bytes()).into(),
    );
    c.insert(
        "c_hash".into(),
        left_half_hash(Algorithm::RS256, code.as_bytes()).into(),
    );
    let id = verify(&sign(&c), &fx().jwks, &expect()).unwrap();
    assert_eq!(id.check_at_hash(&access), Ok(()));
    assert_eq!(id.check_c_hash(code), Ok(()));
    assert_eq!(
        id.check_at_hash("other"),
        Err(VerifyError::HashMismatch("at_hash"))
    );
    assert_eq!(
        id.check_c_hash("other"),
        Err(VerifyError::HashMismatch("c_hash"))
    );
    let plain = verify(&access, &fx().jwks, &expect()).unwrap();
    assert_eq!(
        plain.check_at_hash(&access),
        Err(VerifyError::MissingClaim("at_hash"))
    );
    c.insert("c_hash".into(), json!(5));
    let odd = verify(&sign(&c), &fx().jwks, &expect()).unwrap();
    assert_eq!(
        odd.check_c_hash(code),
        Err(VerifyError::InvalidClaim("c_hash"))
    );
}
