//! Errors of the token layer: key sets ([`KeyError`]), signing ([`MintError`]), loading a
//! published key set ([`JwksError`]) and verifying a token ([`VerifyError`]).
//!
//! Messages never contain private key material.

use thiserror::Error;

/// Generating, rotating, storing or loading a [`KeySet`](super::rotation::KeySet) failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The cryptographic library refused an operation (key generation, encoding, …).
    #[error("{operation} failed: {reason}")]
    Crypto {
        /// What was being done.
        operation: &'static str,
        /// The library's message.
        reason: String,
    },
    /// The stored key set is not valid JSON or does not have the stored shape.
    #[error("stored key set is malformed: {0}")]
    Storage(String),
    /// A stored key is unusable (missing or malformed member, wrong curve, inconsistent parts).
    #[error("stored key #{index} is invalid: {reason}")]
    InvalidKey {
        /// Position of the key in the stored `keys` array.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// A stored key's `kid` is not its RFC 7638 thumbprint.
    #[error("stored key #{index} has kid {stored:?} but its thumbprint is {computed:?}")]
    KidMismatch {
        /// Position of the key in the stored `keys` array.
        index: usize,
        /// The stored `kid`.
        stored: String,
        /// The thumbprint computed from the key.
        computed: String,
    },
    /// Two stored keys have the same `kid`.
    #[error("duplicate key id {0:?}")]
    DuplicateKid(String),
    /// A stored key set must have exactly one ACTIVE key and at most one NEXT key.
    #[error(
        "a key set needs exactly one ACTIVE key and at most one NEXT key (found {active} ACTIVE, {next} NEXT)"
    )]
    KeyStates {
        /// Number of ACTIVE keys found.
        active: usize,
        /// Number of NEXT keys found.
        next: usize,
    },
    /// A rotation policy whose periods are not positive or whose next key would appear after
    /// the rotation.
    #[error("invalid rotation policy: {0}")]
    InvalidPolicy(String),
}

impl KeyError {
    pub(crate) fn crypto(operation: &'static str, e: impl std::fmt::Display) -> Self {
        KeyError::Crypto {
            operation,
            reason: e.to_string(),
        }
    }
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

/// A published JWKS could not be loaded for verification.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum JwksError {
    /// The document is larger than [`MAX_JWKS_LEN`](super::verify::MAX_JWKS_LEN).
    #[error("JWKS is {len} bytes, more than the {max} accepted")]
    TooLarge {
        /// Size of the document.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Not JSON.
    #[error("JWKS is not valid JSON: {0}")]
    Json(String),
    /// Not an object with a `keys` array.
    #[error("JWKS must be an object with a \"keys\" array")]
    Shape,
    /// A key that is meant for signatures but can't be used.
    #[error("JWKS key #{index} is unusable: {reason}")]
    Key {
        /// Position in `keys`.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// Two signature keys share a `kid`.
    #[error("JWKS has more than one key with kid {0:?}")]
    DuplicateKid(String),
}

/// Why a token was rejected. Every check has its own variant.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The token is longer than [`MAX_TOKEN_LEN`](super::verify::MAX_TOKEN_LEN); nothing was decoded.
    #[error("token is {len} bytes, more than the {max} accepted")]
    TooLarge {
        /// Length of the token.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A compact JWS has exactly three dot-separated segments.
    #[error("token has {0} segments, expected 3 (header.payload.signature)")]
    SegmentCount(usize),
    /// The header segment is not unpadded base64url.
    #[error("header is not base64url")]
    HeaderBase64,
    /// The header is not JSON.
    #[error("header is not JSON: {0}")]
    HeaderJson(String),
    /// The header is JSON but not an object.
    #[error("header is not a JSON object")]
    HeaderNotObject,
    /// The payload segment is not unpadded base64url.
    #[error("payload is not base64url")]
    PayloadBase64,
    /// The signature segment is not unpadded base64url.
    #[error("signature is not base64url")]
    SignatureBase64,
    /// The header has no `alg` string.
    #[error("header has no \"alg\" string")]
    MissingAlgorithm,
    /// `alg` is `none`: unsigned tokens are never accepted.
    #[error("unsigned tokens (alg \"none\") are not accepted")]
    AlgorithmNone,
    /// `alg` is an HMAC algorithm: shared-secret tokens are never accepted from a JWKS.
    #[error("HMAC-signed tokens (alg {0:?}) are not accepted")]
    AlgorithmHmac(String),
    /// `alg` is not a JWS algorithm this library supports.
    #[error("unsupported alg {0:?}")]
    UnsupportedAlgorithm(String),
    /// `alg` is supported but not in the expectations' allow-list.
    #[error("alg {0} is not allowed")]
    AlgorithmNotAllowed(String),
    /// The header has a `crit` member; no extension is understood.
    #[error("header has \"crit\"; no critical extension is supported")]
    CriticalHeader,
    /// The header has no `kid` string.
    #[error("header has no \"kid\" string")]
    MissingKid,
    /// No key of the JWKS has the header's `kid`.
    #[error("no key with kid {0:?} in the JWKS")]
    UnknownKid(String),
    /// The key with that `kid` is published for another algorithm.
    #[error("key {kid:?} is for {key_alg}, token says {token_alg}")]
    KeyAlgorithmMismatch {
        /// The key id.
        kid: String,
        /// The JWK's `alg`.
        key_alg: String,
        /// The header's `alg`.
        token_alg: String,
    },
    /// The signature does not verify.
    #[error("signature does not verify")]
    BadSignature,
    /// The payload is not JSON (after a valid signature).
    #[error("payload is not JSON: {0}")]
    PayloadJson(String),
    /// The payload is JSON but not an object.
    #[error("payload is not a JSON object")]
    PayloadNotObject,
    /// A required claim is absent.
    #[error("claim {0:?} is missing")]
    MissingClaim(&'static str),
    /// A claim has the wrong JSON type (e.g. `exp` not a number, `scp` not an array of strings).
    #[error("claim {0:?} has the wrong type")]
    InvalidClaim(&'static str),
    /// `exp` (plus leeway) is not after now.
    #[error("token expired at {exp} (now {now}, leeway {leeway}s)")]
    Expired {
        /// The token's `exp`.
        exp: i64,
        /// The verifier's clock.
        now: i64,
        /// Allowed clock skew in seconds.
        leeway: i64,
    },
    /// `nbf` is later than now plus leeway.
    #[error("token not valid before {nbf} (now {now}, leeway {leeway}s)")]
    NotYetValid {
        /// The token's `nbf`.
        nbf: i64,
        /// The verifier's clock.
        now: i64,
        /// Allowed clock skew in seconds.
        leeway: i64,
    },
    /// `iat` is later than now plus leeway.
    #[error("token issued in the future at {iat} (now {now}, leeway {leeway}s)")]
    IssuedInFuture {
        /// The token's `iat`.
        iat: i64,
        /// The verifier's clock.
        now: i64,
        /// Allowed clock skew in seconds.
        leeway: i64,
    },
    /// `iss` is not the expected issuer.
    #[error("issuer {found:?} is not {expected:?}")]
    IssuerMismatch {
        /// The expected issuer.
        expected: String,
        /// The token's `iss`.
        found: String,
    },
    /// `aud` does not contain the expected audience.
    #[error("audience does not include {expected:?}")]
    AudienceMismatch {
        /// The expected audience.
        expected: String,
    },
    /// The header's `typ` is not the expected one (see [`Expectations::typ`](super::verify::Expectations::typ)).
    #[error("typ {found:?} is not {expected:?}")]
    TypeMismatch {
        /// The expected `typ`.
        expected: String,
        /// The header's `typ`, if any.
        found: Option<String>,
    },
    /// An ID token's `at_hash` or `c_hash` does not match the access token or code it came with.
    #[error("{0} does not match")]
    HashMismatch(&'static str),
    /// A required scope is not in `scp`.
    #[error("scope {0:?} was not granted")]
    MissingScope(String),
}
