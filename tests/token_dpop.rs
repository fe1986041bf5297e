//! DPoP (RFC 9449): proof checks as data (`tests/dpop/proofs.json`), htu normalization as data
//! (`tests/dpop/htu.json`), thumbprints against an independent computation, and the
//! resource-server side (`verify_dpop_bound`, plain `verify` refusing bound tokens).

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
use std::collections::BTreeMap;
use std::sync::OnceLock;
use tokenmint::OAuthErrorId;
use tokenmint::config::RotationMode;
use tokenmint::token::{
    Algorithm, DecryptionKey, DpopCheck, DpopError, EncryptionKey, Expectations, Jwks,
    KeyEncryption, KeySet, VerifyError, access_token_hash, check_proof, jwk_thumbprint, verify,
    verify_dpop_bound, verify_encrypted_dpop_bound,
};

const URL: &str = "https://example.okta.com/oauth2/default/v1/token";
const NOW: i64 = 1_778_925_600;

fn now() -> DateTime<Utc> {
    Utc.timestamp_opt(NOW, 0).unwrap()
}

struct Fixture {
    keys: BTreeMap<&'static str, (KeySet, KeySet)>,
}

fn fx() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(9449);
        let mut keys = BTreeMap::new();
        for (name, alg) in [
            ("es256", Algorithm::ES256),
            ("es384", Algorithm::ES384),
            ("es512", Algorithm::ES512),
            ("rs256", Algorithm::RS256),
            ("ps256", Algorithm::PS256),
            ("eddsa", Algorithm::EdDSA),
        ] {
            let one = KeySet::generate(alg, RotationMode::Manual, now(), &mut rng).unwrap();
            let two = KeySet::generate(alg, RotationMode::Manual, now(), &mut rng).unwrap();
            keys.insert(name, (one, two));
        }
        Fixture { keys }
    })
}

/// The required public members of a key set's key (what a client puts in `jwk`).
fn bare_jwk(keys: &KeySet) -> Value {
    let mut jwk = keys.active().public_jwk();
    jwk.as_object_mut()
        .unwrap()
        .retain(|k, _| ["kty", "crv", "x", "y", "n", "e"].contains(&k.as_str()));
    jwk
}

/// RFC 7638 computed here, independently of the library: required members, sorted, no
/// whitespace, SHA-256, base64url.
fn independent_thumbprint(jwk: &Value) -> String {
    let members: &[&str] = match jwk["kty"].as_str().unwrap() {
        "RSA" => &["e", "kty", "n"],
        "EC" => &["crv", "kty", "x", "y"],
        _ => &["crv", "kty", "x"],
    };
    let body: Vec<String> = members
        .iter()
        .map(|m| format!("\"{m}\":\"{}\"", jwk[*m].as_str().unwrap()))
        .collect();
    B64.encode(openssl::sha::sha256(
        format!("{{{}}}", body.join(",")).as_bytes(),
    ))
}

/// Signs `header.payload` exactly as given (any header, any payload bytes).
fn sign_raw(keys: &KeySet, header: &Value, payload: &[u8]) -> String {
    let input = format!("{}.{}", B64.encode(header.to_string()), B64.encode(payload));
    let sig = keys.signer().sign_raw(input.as_bytes()).unwrap();
    format!("{input}.{}", B64.encode(sig))
}

/// Replaces the `$…` strings of the case data.
fn resolve(v: &Value, key: &str) -> Value {
    let (keys, other) = &fx().keys[key];
    match v {
        Value::String(s) => match s.as_str() {
            "$JWK" => bare_jwk(keys),
            "$JWK_FULL" => keys.active().public_jwk(),
            "$OTHER_JWK" => bare_jwk(other),
            "$PRIVATE_JWK" => {
                let stored: Value = serde_json::from_str(&keys.to_private_json().unwrap()).unwrap();
                stored["keys"][0]["jwk"].clone()
            }
            "$RSA1024_JWK" => {
                let r = openssl::rsa::Rsa::generate(1024).unwrap();
                json!({"kty": "RSA", "n": B64.encode(r.n().to_vec()), "e": B64.encode(r.e().to_vec())})
            }
            "$LONG" => Value::String("j".repeat(300)),
            "$ATH" => Value::String(access_token_hash("eyJ.access.token")),
            _ => {
                if let Some(rest) = s.strip_prefix("$NOW") {
                    let offset: i64 = rest.trim_start_matches('+').parse().unwrap();
                    json!(NOW + offset)
                } else {
                    v.clone()
                }
            }
        },
        Value::Object(m) => {
            let mut out = Map::new();
            if let Some(base) = m.get("$merge") {
                out = resolve(base, key).as_object().unwrap().clone();
            }
            for (k, val) in m {
                if k != "$merge" {
                    out.insert(k.clone(), resolve(val, key));
                }
            }
            Value::Object(out)
        }
        _ => v.clone(),
    }
}

fn merge(base: &mut Value, changes: Option<&Value>, key: &str) {
    if let Some(Value::Object(changes)) = changes {
        for (k, v) in changes {
            if v.is_null() {
                base.as_object_mut().unwrap().remove(k);
            } else {
                base[k] = resolve(v, key);
            }
        }
    }
}

/// The checks of a proof case; absent members keep the defaults (POST to `URL`, now).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CheckSpec {
    #[serde(default)]
    now: Option<i64>,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    max_age: Option<i64>,
    #[serde(default)]
    max_future: Option<i64>,
    #[serde(default)]
    max_jti_len: Option<usize>,
    #[serde(default)]
    nonces: Option<Vec<String>>,
    #[serde(default)]
    algorithms: Option<Vec<String>>,
    #[serde(default)]
    access_token: Option<String>,
}

fn build_check(c: &CheckSpec) -> DpopCheck {
    let now = c.now.map_or(now(), |t| Utc.timestamp_opt(t, 0).unwrap());
    let mut check = DpopCheck::new(
        c.method.as_deref().unwrap_or("POST"),
        c.url.as_deref().unwrap_or(URL),
        now,
    );
    if let Some(n) = c.max_age {
        check = check.max_age(n);
    }
    if let Some(n) = c.max_future {
        check = check.max_future(n);
    }
    if let Some(n) = c.max_jti_len {
        check = check.max_jti_len(n);
    }
    if let Some(list) = &c.nonces {
        check = check.nonces(list.iter().cloned());
    }
    if let Some(list) = &c.algorithms {
        check = check.algorithms(list.iter().map(|a| a.parse().unwrap()));
    }
    if let Some(at) = &c.access_token {
        check = check.access_token(at);
    }
    check
}

/// A data file: what it is about, and its cases.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile<T> {
    #[allow(dead_code)] // read by people
    about: String,
    cases: Vec<T>,
}

/// A proof case: the proof is `raw`, or built from the default header and claims with the
/// case's changes (a null member removes one), optionally a raw `payload` or a spoiled
/// signature.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProofCase {
    name: String,
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    raw: Option<String>,
    #[serde(default)]
    header: Option<Value>,
    #[serde(default)]
    claims: Option<Value>,
    #[serde(default)]
    payload: Option<String>,
    #[serde(default)]
    signature: Option<Value>,
    #[serde(default)]
    check: CheckSpec,
    expect: ProofExpect,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct ProofExpect {
    #[serde(default)]
    ok: bool,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    cause: Option<String>,
}

/// An `htu` against a request URL, and whether they match.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HtuCase {
    htu: String,
    url: String,
    #[serde(rename = "match")]
    matches: bool,
}

#[test]
fn proof_cases_from_data() {
    let text = std::fs::read_to_string("tests/dpop/proofs.json").unwrap();
    let file: CaseFile<ProofCase> = serde_json::from_str(&text).unwrap();
    let cases = &file.cases;
    assert!(cases.len() >= 60);
    let mut seen_errors = std::collections::HashSet::new();
    for case in cases {
        let name = case.name.as_str();
        let key = case.key.as_deref().unwrap_or("es256");
        let (keys, _) = &fx().keys[key];
        let proof = match case.raw.as_deref() {
            Some("$HUGE") => "a".repeat(9000),
            Some(raw) => raw.to_owned(),
            None => {
                let mut header = json!({"typ": "dpop+jwt", "alg": keys.signer().algorithm().name(),
                                        "jwk": bare_jwk(keys)});
                merge(&mut header, case.header.as_ref(), key);
                let mut claims = json!({"jti": "jti-1", "htm": "POST", "htu": URL, "iat": NOW});
                merge(&mut claims, case.claims.as_ref(), key);
                let payload = case.payload.clone().unwrap_or_else(|| claims.to_string());
                let mut proof = sign_raw(keys, &header, payload.as_bytes());
                if case.signature.is_some() {
                    let (head, sig) = proof.rsplit_once('.').unwrap();
                    let junk = B64.encode(vec![7u8; B64.decode(sig).unwrap().len()]);
                    proof = format!("{head}.{junk}");
                }
                proof
            }
        };
        let check = build_check(&case.check);
        let expect = &case.expect;
        match check_proof(&proof, &check) {
            Ok(ok) => {
                assert!(expect.ok, "{name}: accepted, expected {expect:?}");
                let jwk = Value::Object(ok.jwk.clone());
                assert_eq!(ok.jkt, independent_thumbprint(&jwk), "{name}");
                assert_eq!(ok.jkt, jwk_thumbprint(&bare_jwk(keys)).unwrap(), "{name}");
                assert_eq!(ok.cnf(), json!({"jkt": ok.jkt}));
                assert_eq!(ok.algorithm, keys.signer().algorithm());
            }
            Err(e) => {
                let oauth = e.to_oauth_error();
                assert_eq!(
                    expect.error.as_deref(),
                    Some(oauth.error()),
                    "{name}: refused with {e}"
                );
                assert_eq!(
                    expect.description.as_deref(),
                    Some(oauth.description()),
                    "{name}"
                );
                assert_eq!(oauth.status(), 400);
                if let Some(cause) = expect.cause.as_deref() {
                    assert!(e.to_string().contains(cause), "{name}: {e}");
                    assert_eq!(oauth.cause.as_deref(), Some(e.to_string().as_str()));
                }
                seen_errors.insert(std::mem::discriminant(&e));
            }
        }
    }
    // Every proof-check error variant the library can produce from a proof is covered.
    assert!(
        seen_errors.len() >= 16,
        "{} error variants",
        seen_errors.len()
    );
}

#[test]
fn htu_cases_from_data() {
    let text = std::fs::read_to_string("tests/dpop/htu.json").unwrap();
    let file: CaseFile<HtuCase> = serde_json::from_str(&text).unwrap();
    let (keys, _) = &fx().keys["eddsa"];
    for case in &file.cases {
        let htu = case.htu.as_str();
        let url = case.url.as_str();
        let header = json!({"typ": "dpop+jwt", "alg": "EdDSA", "jwk": bare_jwk(keys)});
        let claims = json!({"jti": "j", "htm": "POST", "htu": htu, "iat": NOW});
        let proof = sign_raw(keys, &header, claims.to_string().as_bytes());
        let result = check_proof(&proof, &DpopCheck::new("POST", url, now()));
        assert_eq!(
            result.is_ok(),
            case.matches,
            "htu {htu:?} vs {url:?}: {result:?}"
        );
        if let Err(e) = result {
            assert!(matches!(e, DpopError::Invalid("htu", _)), "{e:?}");
        }
    }
}

#[test]
fn errors_map_to_the_oauth_catalogue() {
    assert_eq!(OAuthErrorId::InvalidDpopProof.code(), "invalid_dpop_proof");
    assert_eq!(OAuthErrorId::UseDpopNonce.code(), "use_dpop_nonce");
    let host_side = [
        (
            DpopError::ProofMissing,
            "invalid_dpop_proof",
            "The DPoP proof JWT header is missing.",
        ),
        (
            DpopError::Replayed,
            "invalid_dpop_proof",
            "The DPoP proof JWT has already been used.",
        ),
        (
            DpopError::KeyMismatch {
                bound: "a".into(),
                proof: "b".into(),
            },
            "invalid_dpop_proof",
            "The DPoP proof key does not match the key the token is bound to.",
        ),
        (
            DpopError::NonceStale,
            "use_dpop_nonce",
            "Authorization server requires nonce in DPoP proof.",
        ),
    ];
    for (e, code, text) in host_side {
        let o = e.to_oauth_error();
        assert_eq!(
            o.to_json(),
            json!({"error": code, "error_description": text})
        );
        assert_eq!(e.is_nonce_error(), code == "use_dpop_nonce");
    }
}

/// A proof for a resource request.
fn resource_proof(keys: &KeySet, token: Option<&str>, url: &str) -> String {
    let header = json!({"typ": "dpop+jwt", "alg": keys.signer().algorithm().name(),
                        "jwk": bare_jwk(keys)});
    let mut claims = json!({"jti": "rs-1", "htm": "GET", "htu": url, "iat": NOW});
    if let Some(t) = token {
        claims["ath"] = json!(access_token_hash(t));
    }
    sign_raw(keys, &header, claims.to_string().as_bytes())
}

#[test]
fn resource_server_checks_the_binding() {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let server = KeySet::generate(Algorithm::RS256, RotationMode::Manual, now(), &mut rng).unwrap();
    let jwks = Jwks::from_value(&server.jwks()).unwrap();
    let (client, stranger) = &fx().keys["es256"];
    let jkt = jwk_thumbprint(&bare_jwk(client)).unwrap();
    let iss = "https://example.okta.com/oauth2/default";
    let claims = |cnf: Value| {
        let mut c = json!({"ver": 1, "iss": iss, "aud": "api://orders", "iat": NOW,
                           "exp": NOW + 300, "scp": ["orders:read"], "sub": "ann"});
        if !cnf.is_null() {
            c["cnf"] = cnf;
        }
        server
            .signer()
            .sign_claims(&Map::new(), c.as_object().unwrap())
            .unwrap()
    };
    let bound = claims(json!({ "jkt": jkt }));
    let plain = claims(Value::Null);
    let expect = Expectations::new(iss, "api://orders", now());
    let api = "https://api.example.com/orders";
    let check = DpopCheck::new("GET", format!("{api}?page=2"), now());

    // A bound token is never a bearer token.
    assert_eq!(verify(&bound, &jwks, &expect), Err(VerifyError::DpopBound));
    assert!(verify(&plain, &jwks, &expect).is_ok());

    let proof = resource_proof(client, Some(&bound), api);
    let (token, checked) = verify_dpop_bound(&bound, &proof, &jwks, &expect, &check).unwrap();
    assert_eq!(token.claims["cnf"]["jkt"], json!(checked.jkt));
    assert_eq!(checked.jti, "rs-1");

    // No ath, ath of another token, another key, another URL, a token not bound.
    let no_ath = resource_proof(client, None, api);
    assert_eq!(
        verify_dpop_bound(&bound, &no_ath, &jwks, &expect, &check).unwrap_err(),
        VerifyError::Dpop(DpopError::Missing("ath"))
    );
    let other_ath = resource_proof(client, Some(&plain), api);
    assert!(matches!(
        verify_dpop_bound(&bound, &other_ath, &jwks, &expect, &check),
        Err(VerifyError::Dpop(DpopError::Invalid("ath", _)))
    ));
    let other_key = resource_proof(stranger, Some(&bound), api);
    assert!(matches!(
        verify_dpop_bound(&bound, &other_key, &jwks, &expect, &check),
        Err(VerifyError::Dpop(DpopError::KeyMismatch { .. }))
    ));
    let elsewhere = resource_proof(client, Some(&bound), "https://api.example.com/admin");
    assert!(matches!(
        verify_dpop_bound(&bound, &elsewhere, &jwks, &expect, &check),
        Err(VerifyError::Dpop(DpopError::Invalid("htu", _)))
    ));
    let for_plain = resource_proof(client, Some(&plain), api);
    assert_eq!(
        verify_dpop_bound(&plain, &for_plain, &jwks, &expect, &check).unwrap_err(),
        VerifyError::Dpop(DpopError::NotBound)
    );
    // The token's own checks come first.
    let late = Expectations::new(iss, "api://orders", now() + chrono::TimeDelta::hours(1));
    assert!(matches!(
        verify_dpop_bound(&bound, &proof, &jwks, &late, &check),
        Err(VerifyError::Expired { .. })
    ));
    // A cnf that is not an object is a malformed claim, in both paths.
    let odd = claims(json!("jkt"));
    assert_eq!(
        verify(&odd, &jwks, &expect),
        Err(VerifyError::InvalidClaim("cnf"))
    );

    // Encrypted and bound: ath is over the token as presented (the JWE).
    let rs_key = DecryptionKey::generate(KeyEncryption::RsaOaep256, &mut rng).unwrap();
    let enc = EncryptionKey::select(&rs_key.public_jwks(), KeyEncryption::RsaOaep256).unwrap();
    let jwe = enc.encrypt(&bound, &mut rng).unwrap();
    let keys = [rs_key];
    let proof = resource_proof(client, Some(&jwe), api);
    let (token, _) =
        verify_encrypted_dpop_bound(&jwe, &proof, &keys, &jwks, &expect, &check).unwrap();
    assert_eq!(token.claims["sub"], "ann");
    let inner_ath = resource_proof(client, Some(&bound), api);
    assert!(matches!(
        verify_encrypted_dpop_bound(&jwe, &inner_ath, &keys, &jwks, &expect, &check),
        Err(VerifyError::Dpop(DpopError::Invalid("ath", _)))
    ));
}

#[test]
fn a_refresh_needs_the_same_key() {
    let (client, stranger) = &fx().keys["eddsa"];
    let first = check_proof(
        &resource_proof(client, None, URL),
        &DpopCheck::new("GET", URL, now()),
    )
    .unwrap();
    let again = check_proof(
        &resource_proof(client, None, URL),
        &DpopCheck::new("GET", URL, now()),
    )
    .unwrap();
    assert_eq!(again.check_binding(&first.jkt), Ok(()));
    let other = check_proof(
        &resource_proof(stranger, None, URL),
        &DpopCheck::new("GET", URL, now()),
    )
    .unwrap();
    assert_eq!(
        other.check_binding(&first.jkt),
        Err(DpopError::KeyMismatch {
            bound: first.jkt.clone(),
            proof: other.jkt.clone()
        })
    );
}

#[test]
fn thumbprints_are_canonical() {
    for (name, (keys, _)) in &fx().keys {
        let jwk = bare_jwk(keys);
        assert_eq!(
            jwk_thumbprint(&jwk).unwrap(),
            independent_thumbprint(&jwk),
            "{name}"
        );
        // The kid of a key set's key is its thumbprint too.
        assert_eq!(jwk_thumbprint(&jwk).unwrap(), keys.active().kid(), "{name}");
    }
    // A leading zero byte would give one key two thumbprints: refused.
    let (rs, _) = &fx().keys["rs256"];
    let mut jwk = bare_jwk(rs);
    let n = B64.decode(jwk["n"].as_str().unwrap()).unwrap();
    jwk["n"] = json!(B64.encode([&[0u8][..], &n].concat()));
    assert!(matches!(
        jwk_thumbprint(&jwk),
        Err(DpopError::JwkInvalid(_))
    ));
    assert!(jwk_thumbprint(&json!({"kty": "oct", "k": "AA"})).is_err());
    assert!(jwk_thumbprint(&json!([1])).is_err());
}
