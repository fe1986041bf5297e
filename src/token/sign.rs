//! Signing: the prepared [`Signer`] of a key, OIDC `at_hash`/`c_hash` ([`left_half_hash`]) and
//! token ids ([`new_jti`]); a failed signature is a [`MintError`].
//!
//! A signer base64url-encodes the header and the already-serialized payload once and signs
//! `header.payload` with josekit; nothing is parsed or re-serialized per token.

use super::alg::Algorithm;
use super::error::KeyError;
use super::util::{StackStr, b64url, b64url_append};
use josekit::jws::JwsSigner;
use openssl::pkey::{PKey, Private};
use rand::CryptoRng;
use serde_json::{Map, Value};
use std::fmt;
use thiserror::Error;

/// The prepared signer of one key: its kid, algorithm and josekit signer (the private key is
/// parsed once, when the key set is generated or loaded), and its two usual headers, already
/// encoded.
///
/// Signing an already-serialized payload, and a resource server checking it:
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use rand::SeedableRng;
/// use serde_json::{Map, json};
/// use tokenmint::config::RotationMode;
/// use tokenmint::token::{Algorithm, Expectations, Jwks, KeySet, JtiKind, new_jti, verify};
///
/// let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
/// let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
/// let keys = KeySet::generate(Algorithm::ES256, RotationMode::Auto, now, &mut rng).unwrap();
/// let payload = json!({"ver": 1, "jti": new_jti(JtiKind::Access, &mut rng),
///     "iss": "https://example.okta.com/oauth2/default", "aud": "api://default",
///     "iat": now.timestamp(), "exp": now.timestamp() + 3600, "scp": ["orders:read"]});
/// let jwt = keys.signer().sign_compact(&Map::new(), payload.to_string().as_bytes()).unwrap();
///
/// let jwks = Jwks::from_value(&keys.jwks()).unwrap();
/// let expect = Expectations::new("https://example.okta.com/oauth2/default", "api://default", now)
///     .require_scopes(["orders:read"]);
/// let token = verify(&jwt, &jwks, &expect).unwrap();
/// assert_eq!(token.claims["scp"], json!(["orders:read"]));
/// ```
pub struct Signer {
    kid: String,
    alg: Algorithm,
    inner: Box<dyn JwsSigner>,
    /// base64url of `{"kid", "alg"}`.
    plain_header: String,
    /// base64url of `{"kid", "alg", "typ": "at+jwt"}`.
    at_jwt_header: String,
}

impl Clone for Signer {
    fn clone(&self) -> Self {
        Signer {
            kid: self.kid.clone(),
            alg: self.alg,
            inner: self.inner.box_clone(),
            plain_header: self.plain_header.clone(),
            at_jwt_header: self.at_jwt_header.clone(),
        }
    }
}

/// The `typ` header of RFC 9068 access tokens.
const AT_JWT: (&str, &str) = ("typ", "at+jwt");

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// Prepares the signer of a private key whose kid is `kid`.
    pub(super) fn prepare(
        kid: String,
        alg: Algorithm,
        pkey: &PKey<Private>,
    ) -> Result<Signer, KeyError> {
        Ok(Signer::new(kid, alg, jws_signer(alg, pkey)?))
    }

    fn new(kid: String, alg: Algorithm, inner: Box<dyn JwsSigner>) -> Signer {
        // `{kid, alg}` in that order, then `typ`: the order of `Signer::header`.
        let encode = |typ: Option<&str>| {
            let mut h = Map::new();
            h.insert("kid".into(), Value::from(kid.as_str()));
            h.insert("alg".into(), Value::from(alg.name()));
            if let Some(t) = typ {
                h.insert(AT_JWT.0.into(), Value::from(t));
            }
            b64url(Value::Object(h).to_string().as_bytes())
        };
        let plain_header = encode(None);
        let at_jwt_header = encode(Some(AT_JWT.1));
        Signer {
            kid,
            alg,
            inner,
            plain_header,
            at_jwt_header,
        }
    }

    /// base64url of the header JSON.
    fn encoded_header(&self, extra: &Map<String, Value>) -> Result<String, MintError> {
        let header = self.header(extra)?;
        let json = serde_json::to_vec(&header).map_err(|e| MintError::Json(e.to_string()))?;
        Ok(b64url(&json))
    }

    /// The kid written into every header.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm written into every header.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The header this signer writes: `{"kid": …, "alg": …}` in that order (Okta's), then the
    /// members of `extra` in their order (e.g. `{"typ": "at+jwt"}` for RFC 9068 access tokens).
    pub fn header(&self, extra: &Map<String, Value>) -> Result<Map<String, Value>, MintError> {
        let mut header = Map::new();
        header.insert("kid".into(), self.kid.clone().into());
        header.insert("alg".into(), self.alg.name().into());
        for (k, v) in extra {
            if k == "kid" || k == "alg" {
                return Err(MintError::ReservedHeader(k.clone()));
            }
            header.insert(k.clone(), v.clone());
        }
        Ok(header)
    }

    /// Signs an already-serialized JSON payload and returns the compact JWS
    /// `base64url(header).base64url(payload).base64url(signature)`. The payload bytes are
    /// encoded as given — claim order and formatting are the caller's.
    pub fn sign_compact(
        &self,
        extra_header: &Map<String, Value>,
        payload_json: &[u8],
    ) -> Result<String, MintError> {
        if extra_header.is_empty() {
            return self.sign_encoded(&self.plain_header, payload_json);
        }
        let at_jwt = extra_header.len() == 1
            && extra_header.get(AT_JWT.0).and_then(Value::as_str) == Some(AT_JWT.1);
        if at_jwt {
            return self.sign_encoded(&self.at_jwt_header, payload_json);
        }
        self.sign_encoded(&self.encoded_header(extra_header)?, payload_json)
    }

    /// [`Signer::sign_compact`] with the header `{kid, alg}`, plus `typ: at+jwt` when
    /// `at_jwt`: both are encoded once, when the signer is prepared.
    pub(crate) fn sign_prepared(
        &self,
        at_jwt: bool,
        payload_json: &[u8],
    ) -> Result<String, MintError> {
        let header = if at_jwt {
            &self.at_jwt_header
        } else {
            &self.plain_header
        };
        self.sign_encoded(header, payload_json)
    }

    /// Encodes the payload after the encoded header, signs, and appends the signature, in one
    /// buffer.
    fn sign_encoded(&self, header_b64: &str, payload_json: &[u8]) -> Result<String, MintError> {
        // Room for the payload and the largest signature (RSA 4096: 512 bytes) encoded.
        let mut out = Vec::with_capacity(header_b64.len() + payload_json.len() * 4 / 3 + 700);
        out.extend_from_slice(header_b64.as_bytes());
        out.push(b'.');
        let too_long = || MintError::Json("the token is too long to encode".into());
        b64url_append(payload_json, &mut out).ok_or_else(too_long)?;
        let signature = self.sign_raw(&out)?;
        out.push(b'.');
        b64url_append(&signature, &mut out).ok_or_else(too_long)?;
        // Base64url and the header's encoding are ASCII.
        String::from_utf8(out).map_err(|e| MintError::Json(e.to_string()))
    }

    /// The raw signature of a JWS signing input (`base64url(header).base64url(payload)`, as
    /// given, nothing encoded or checked) — the cryptographic step of
    /// [`Signer::sign_compact`] alone, e.g. to measure it.
    pub fn sign_raw(&self, signing_input: &[u8]) -> Result<Vec<u8>, MintError> {
        self.inner
            .sign(signing_input)
            .map_err(|e| MintError::Sign(e.to_string()))
    }

    /// Serializes `claims` (in their order) and signs them; see [`Signer::sign_compact`].
    pub fn sign_claims(
        &self,
        extra_header: &Map<String, Value>,
        claims: &Map<String, Value>,
    ) -> Result<String, MintError> {
        let payload = serde_json::to_vec(claims).map_err(|e| MintError::Json(e.to_string()))?;
        self.sign_compact(extra_header, &payload)
    }
}

/// The josekit signer of a private key held by OpenSSL (the key is encoded and parsed once,
/// here).
fn jws_signer(alg: Algorithm, pkey: &PKey<Private>) -> Result<Box<dyn JwsSigner>, KeyError> {
    use josekit::jws::{ES256, ES384, ES512, EdDSA, PS256, PS384, PS512, RS256, RS384, RS512};
    let err = |e| KeyError::crypto("preparing the signer", e);
    let traditional = || {
        pkey.private_key_to_der()
            .map_err(|e| KeyError::crypto("encoding the private key", e))
    };
    let pkcs8 = || {
        pkey.private_key_to_pkcs8()
            .map_err(|e| KeyError::crypto("encoding the private key", e))
    };
    Ok(match alg {
        Algorithm::RS256 => Box::new(RS256.signer_from_der(traditional()?).map_err(err)?),
        Algorithm::RS384 => Box::new(RS384.signer_from_der(traditional()?).map_err(err)?),
        Algorithm::RS512 => Box::new(RS512.signer_from_der(traditional()?).map_err(err)?),
        Algorithm::PS256 => Box::new(PS256.signer_from_der(traditional()?).map_err(err)?),
        Algorithm::PS384 => Box::new(PS384.signer_from_der(traditional()?).map_err(err)?),
        Algorithm::PS512 => Box::new(PS512.signer_from_der(traditional()?).map_err(err)?),
        Algorithm::ES256 => Box::new(ES256.signer_from_der(pkcs8()?).map_err(err)?),
        Algorithm::ES384 => Box::new(ES384.signer_from_der(pkcs8()?).map_err(err)?),
        Algorithm::ES512 => Box::new(ES512.signer_from_der(pkcs8()?).map_err(err)?),
        Algorithm::EdDSA => Box::new(EdDSA.signer_from_der(pkcs8()?).map_err(err)?),
    })
}

/// OIDC Core 3.3.2.11 hash of a token or code for `at_hash` / `c_hash`: the left half of the
/// hash of its ASCII bytes, base64url. The hash is the SHA-2 of the algorithm's size (SHA-256
/// for `*256`, SHA-384 for `*384`, SHA-512 for `*512`) and SHA-512 for `EdDSA` with Ed25519 (the
/// hash Ed25519 uses internally — common practice, followed by e.g. the `oidc-token-hash` and
/// jwcrypto-based verifiers).
///
/// ```
/// use tokenmint::token::{Algorithm, left_half_hash};
/// // OIDC Core A.3: the example access token's at_hash.
/// assert_eq!(left_half_hash(Algorithm::RS256, b"jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
///            "77QmUPtjPfzWtF2AnpK9RQ");
/// ```
pub fn left_half_hash(alg: Algorithm, value: &[u8]) -> String {
    left_half_hash_stack(alg, value).as_str().to_owned()
}

/// [`left_half_hash`] on the stack: at most 43 characters (half of SHA-512).
pub(crate) fn left_half_hash_stack(alg: Algorithm, value: &[u8]) -> StackStr<44> {
    // Half a SHA-2 digest is at most 32 bytes (SHA-512), and 32 bytes are 43 base64url
    // characters: the encoding always fits.
    #[allow(clippy::expect_used)]
    StackStr::b64url("", alg.digest(value).left_half())
        .expect("half a SHA-2 digest fits 44 base64url characters")
}

/// Which token a `jti` is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JtiKind {
    /// `AT.` prefix.
    Access,
    /// `ID.` prefix.
    Id,
}

/// A token id as Okta writes them: `AT.` or `ID.` followed by 43 base64url characters (32 bytes
/// of the caller's RNG).
pub fn new_jti(kind: JtiKind, rng: &mut impl CryptoRng) -> String {
    new_jti_stack(kind, rng).as_str().to_owned()
}

/// [`new_jti`] on the stack (46 characters).
pub(crate) fn new_jti_stack(kind: JtiKind, rng: &mut impl CryptoRng) -> StackStr<46> {
    let mut bytes = [0u8; 32];
    rng.fill_bytes(&mut bytes);
    let prefix = match kind {
        JtiKind::Access => "AT.",
        JtiKind::Id => "ID.",
    };
    // A 3-byte ASCII prefix and 32 bytes in base64url (43 characters) are 46 bytes: it fits.
    #[allow(clippy::expect_used)]
    StackStr::b64url(prefix, &bytes).expect("a jti is 46 characters")
}

/// Signing a token failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum MintError {
    /// An extra header member tried to replace `kid` or `alg`, which the signer owns.
    #[error("header member {0:?} is set by the signer and can't be overridden")]
    ReservedHeader(String),
    /// The cryptographic library failed to sign.
    #[error("signing failed: {0}")]
    Sign(String),
    /// The claims could not be serialized.
    #[error("claims could not be serialized: {0}")]
    Json(String),
}
