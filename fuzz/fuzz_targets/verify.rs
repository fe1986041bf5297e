//! Arbitrary bytes never panic the verifier or the JWKS loader.
//!
//! The first byte picks what the rest is: a whole token, a JWKS document, the
//! `payload.signature` part of a token whose header names a real key (so that the signature
//! checks are reached), a payload that is validly signed (so that the payload and claim
//! checks are reached too), a whole JWE (the decrypt path), the plaintext of a JWE validly
//! encrypted to the fixture's key (so that decryption succeeds and the inner checks run), a
//! whole DPoP proof, the payload of a DPoP proof validly signed by its embedded key (so that
//! every claim check is reached), or a DPoP-bound access token's payload checked with a valid
//! proof (the resource-server path).
#![no_main]

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use rand::SeedableRng;
use std::sync::OnceLock;
use tokenmint::config::RotationMode;
use tokenmint::token::{
    Algorithm, DecryptionKey, DpopCheck, EncryptionKey, Expectations, Jwks, KeyEncryption, KeySet,
    Signer, access_token_hash, check_proof, decrypt, verify, verify_dpop_bound, verify_encrypted,
};

struct Fixture {
    jwks: Jwks,
    headers: Vec<String>,
    signer: Signer,
    expect: Expectations,
    decryption: Vec<DecryptionKey>,
    encryption: EncryptionKey,
    /// The EdDSA client key of DPoP proofs: the encoded header `{typ, alg, jwk}` and its signer.
    proof_header: String,
    client: Signer,
    /// A valid proof for GET https://api.example.com/r, without ath.
    dpop: DpopCheck,
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
        let dec = DecryptionKey::generate(KeyEncryption::RsaOaep256, &mut rng).unwrap();
        let encryption =
            EncryptionKey::select(&dec.public_jwks(), KeyEncryption::RsaOaep256).unwrap();
        let client =
            KeySet::generate(Algorithm::EdDSA, RotationMode::Manual, now, &mut rng).unwrap();
        let mut jwk = client.active().public_jwk();
        jwk.as_object_mut()
            .unwrap()
            .retain(|k, _| ["kty", "crv", "x"].contains(&k.as_str()));
        let header = serde_json::json!({"typ": "dpop+jwt", "alg": "EdDSA", "jwk": jwk});
        let proof_header = b64(header.to_string().as_bytes());
        Fixture {
            jwks,
            headers,
            signer: signer.unwrap(),
            expect,
            decryption: vec![dec],
            encryption,
            proof_header,
            client: client.signer().clone(),
            dpop: DpopCheck::new("GET", "https://api.example.com/r", now).nonces(["n"]),
        }
    })
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A DPoP proof over `payload` (any bytes), validly signed by the fixture's client key.
fn signed_proof(f: &Fixture, payload: &[u8]) -> String {
    let input = format!("{}.{}", f.proof_header, b64(payload));
    let sig = f.client.sign_raw(input.as_bytes()).unwrap();
    format!("{input}.{}", b64(&sig))
}

// The fixture is built before the first input, so its one-off cost (key generation) is not
// counted against the first input's timeout.
fuzz_target!(
    init: {
        let _ = fixture();
    },
    |data: &[u8]| {
    let f = fixture();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 9 {
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
        3 => {
            // EdDSA (the last key): deterministic and fast to sign.
            if let Ok(jwt) = f.signer.sign_compact(&Default::default(), rest) {
                let _ = verify(&jwt, &f.jwks, &f.expect);
            }
        }
        4 => {
            if let Ok(jwe) = std::str::from_utf8(rest) {
                let _ = decrypt(jwe, &f.decryption);
                let _ = verify_encrypted(jwe, &f.decryption, &f.jwks, &f.expect);
            }
        }
        5 => {
            // A validly encrypted JWE of arbitrary content: any JWS-shaped text (the encrypter
            // takes only that), or a validly signed payload inside.
            let inner = match std::str::from_utf8(rest) {
                Ok(text) if mode & 16 == 0 => Some(text.to_owned()),
                _ => f.signer.sign_compact(&Default::default(), rest).ok(),
            };
            let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(u64::from(mode));
            if let Some(inner) = inner
                && let Ok(jwe) = f.encryption.encrypt(&inner, &mut rng)
            {
                let _ = verify_encrypted(&jwe, &f.decryption, &f.jwks, &f.expect);
            }
        }
        6 => {
            if let Ok(proof) = std::str::from_utf8(rest) {
                let _ = check_proof(proof, &f.dpop);
            }
        }
        7 => {
            let _ = check_proof(&signed_proof(f, rest), &f.dpop);
        }
        _ => {
            // A DPoP-bound access token with arbitrary claims, presented with a valid proof
            // (ath over the token) to the resource-server check.
            if let Ok(token) = f.signer.sign_compact(&Default::default(), rest) {
                let claims = serde_json::json!({"jti": "j", "htm": "GET",
                    "htu": "https://api.example.com/r", "iat": 1767225600, "nonce": "n",
                    "ath": access_token_hash(&token)});
                let proof = signed_proof(f, claims.to_string().as_bytes());
                let _ = verify_dpop_bound(&token, &proof, &f.jwks, &f.expect, &f.dpop);
            }
        }
    }
}
);
