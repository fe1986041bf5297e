//! The resource-server side: load a published JWKS once ([`Jwks`]) and [`verify`] tokens
//! against it and a set of [`Expectations`] (the checks, in order, are listed on [`verify`]).
//!
//! For ID tokens, [`VerifiedToken::check_at_hash`] and [`VerifiedToken::check_c_hash`] check the
//! OIDC hashes afterwards. A JWKS that can't be loaded is a [`JwksError`].

use super::alg::Algorithm;
use super::dpop::{DpopCheck, DpopError, DpopProof, check_proof};
use super::encrypt::{DecryptError, DecryptionKey, decrypt};
use super::jwk::verifier_from_jwk;
use super::sign::left_half_hash;
use super::util::b64url_decode;
use chrono::{DateTime, Utc};
use josekit::jws::JwsVerifier;
use serde_json::{Map, Value};
use std::fmt;
use thiserror::Error;

/// Longest token [`verify`] decodes (64 KiB); longer input is rejected untouched.
pub const MAX_TOKEN_LEN: usize = 64 * 1024;

/// Largest JWKS document [`Jwks::from_slice`] parses (1 MiB).
pub const MAX_JWKS_LEN: usize = 1024 * 1024;

struct VerificationKey {
    kid: String,
    alg: Algorithm,
    verifier: Box<dyn JwsVerifier>,
}

/// A published key set prepared for verification: one josekit verifier per signature key,
/// built once when the JWKS is loaded.
///
/// Every key must have a `kid` and an `alg` (the token's `alg` must equal it); keys whose `use`
/// is present and not `sig` are ignored; any other unusable key (unknown `kty` or `alg`,
/// symmetric `oct` keys, RSA under 2048 bits, a curve that doesn't fit the `alg`, malformed
/// members) makes loading fail with [`JwksError`].
pub struct Jwks {
    keys: Vec<VerificationKey>,
}

impl fmt::Debug for Jwks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.keys.iter().map(|k| (&k.kid, k.alg)))
            .finish()
    }
}

impl Jwks {
    /// Parses a JWKS document.
    pub fn from_slice(bytes: &[u8]) -> Result<Jwks, JwksError> {
        if bytes.len() > MAX_JWKS_LEN {
            return Err(JwksError::TooLarge {
                len: bytes.len(),
                max: MAX_JWKS_LEN,
            });
        }
        let value: Value =
            serde_json::from_slice(bytes).map_err(|e| JwksError::Json(e.to_string()))?;
        Jwks::from_value(&value)
    }

    /// Parses a JWKS document; see [`Jwks::from_slice`].
    pub fn from_json(text: &str) -> Result<Jwks, JwksError> {
        Jwks::from_slice(text.as_bytes())
    }

    /// Loads an already parsed JWKS (e.g. [`KeySet::jwks`](super::KeySet::jwks)).
    pub fn from_value(value: &Value) -> Result<Jwks, JwksError> {
        let Some(Value::Array(list)) = value.as_object().and_then(|o| o.get("keys")) else {
            return Err(JwksError::Shape);
        };
        let mut keys: Vec<VerificationKey> = Vec::with_capacity(list.len());
        for (index, jwk) in list.iter().enumerate() {
            let bad = |reason: &str| JwksError::Key {
                index,
                reason: reason.to_owned(),
            };
            let Value::Object(map) = jwk else {
                return Err(bad("not a JSON object"));
            };
            match map.get("use") {
                None => {}
                Some(Value::String(u)) if u == "sig" => {}
                Some(Value::String(_)) => continue,
                Some(_) => return Err(bad("\"use\" is not a string")),
            }
            let Some(Value::String(kid)) = map.get("kid") else {
                return Err(bad("no \"kid\" string"));
            };
            let Some(Value::String(alg_name)) = map.get("alg") else {
                return Err(bad("no \"alg\" string"));
            };
            let alg = Algorithm::ALL
                .into_iter()
                .find(|a| a.name() == alg_name)
                .ok_or_else(|| bad(&format!("unsupported alg {alg_name:?}")))?;
            let kty = map.get("kty").and_then(Value::as_str);
            if kty != Some(alg.key_type()) {
                return Err(bad(&format!("kty {kty:?} does not fit alg {alg}")));
            }
            let crv = map.get("crv").and_then(Value::as_str);
            if alg.curve().is_some() && crv != alg.curve() {
                return Err(bad(&format!("crv {crv:?} does not fit alg {alg}")));
            }
            let verifier = verifier_from_jwk(alg, map).map_err(|e| bad(&e.to_string()))?;
            if keys.iter().any(|k| k.kid == *kid) {
                return Err(JwksError::DuplicateKid(kid.clone()));
            }
            keys.push(VerificationKey {
                kid: kid.clone(),
                alg,
                verifier,
            });
        }
        Ok(Jwks { keys })
    }

    /// Number of usable signature keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no signature key was loaded.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The kids of the loaded keys.
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|k| k.kid.as_str())
    }
}

/// What a resource server requires of a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectations {
    /// Exact `iss`.
    pub issuer: String,
    /// Must equal `aud`, or be one of its elements.
    pub audience: String,
    /// The verifier's clock.
    pub now: DateTime<Utc>,
    /// Allowed clock skew in seconds for `exp`, `nbf` and `iat` (0 by default).
    pub leeway: i64,
    /// Scopes that must all be in the `scp` array (none by default).
    pub required_scopes: Vec<String>,
    /// Accepted algorithms (all supported ones by default).
    pub algorithms: Vec<Algorithm>,
    /// Required header `typ` (e.g. `at+jwt` for RFC 9068 access tokens), compared ignoring
    /// ASCII case and an `application/` prefix; `None` (the default, as Okta writes no `typ`)
    /// accepts any.
    pub typ: Option<String>,
}

impl Expectations {
    /// Expect this issuer and audience at `now`, with no leeway, no required scope and every
    /// supported algorithm.
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>, now: DateTime<Utc>) -> Self {
        Expectations {
            issuer: issuer.into(),
            audience: audience.into(),
            now,
            leeway: 0,
            required_scopes: Vec::new(),
            algorithms: Algorithm::ALL.to_vec(),
            typ: None,
        }
    }

    /// Requires this header `typ`.
    pub fn typ(mut self, typ: impl Into<String>) -> Self {
        self.typ = Some(typ.into());
        self
    }

    /// Sets the clock-skew allowance in seconds.
    pub fn leeway(mut self, seconds: i64) -> Self {
        self.leeway = seconds.max(0);
        self
    }

    /// Adds scopes that must be granted.
    pub fn require_scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.required_scopes
            .extend(scopes.into_iter().map(Into::into));
        self
    }

    /// Restricts the accepted algorithms.
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms.into_iter().collect();
        self
    }
}

/// A token that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedToken {
    /// The header members.
    pub header: Map<String, Value>,
    /// The claims, in the token's order.
    pub claims: Map<String, Value>,
    /// The key that verified it.
    pub kid: String,
    /// Its algorithm.
    pub algorithm: Algorithm,
}

impl VerifiedToken {
    /// For an ID token: checks `at_hash` against the access token issued with it (OIDC Core
    /// 3.2.2.9), with the hash of the token's algorithm (see
    /// [`left_half_hash`](super::left_half_hash)).
    pub fn check_at_hash(&self, access_token: &str) -> Result<(), VerifyError> {
        self.check_hash("at_hash", access_token)
    }

    /// For an ID token: checks `c_hash` against the authorization code issued with it (OIDC
    /// Core 3.3.2.11).
    pub fn check_c_hash(&self, code: &str) -> Result<(), VerifyError> {
        self.check_hash("c_hash", code)
    }

    fn check_hash(&self, claim: &'static str, value: &str) -> Result<(), VerifyError> {
        match self.claims.get(claim) {
            None => Err(VerifyError::MissingClaim(claim)),
            Some(Value::String(h)) => {
                if *h == left_half_hash(self.algorithm, value.as_bytes()) {
                    Ok(())
                } else {
                    Err(VerifyError::HashMismatch(claim))
                }
            }
            Some(_) => Err(VerifyError::InvalidClaim(claim)),
        }
    }
}

/// Verifies a compact JWS against a JWKS and the expectations.
///
/// What is checked, in this order (each failure is its own [`VerifyError`] variant):
/// 1. size (at most [`MAX_TOKEN_LEN`] bytes, before anything is decoded), three segments, each
///    unpadded base64url, a JSON object header;
/// 2. `alg`: present, not `none`, not HMAC (`HS*`), supported, in the allow-list; no `crit`;
///    `typ` if the expectations name one; `kid` present and in the JWKS, and the JWK's `alg` equal to the header's;
/// 3. the signature over the exact `header.payload` bytes;
/// 4. a JSON object payload; `exp` required (with leeway), `nbf` and `iat` if present (not in the
///    future beyond the leeway), `iss` exact, `aud` a string or an array containing the audience,
///    and every required scope in the `scp` array.
///
/// A token bound to a DPoP key (a `cnf` claim with `jkt`) is refused
/// ([`VerifyError::DpopBound`]): it is only good with a proof of that key, checked by
/// [`verify_dpop_bound`] (RFC 9449 §7.2).
pub fn verify(jwt: &str, jwks: &Jwks, expect: &Expectations) -> Result<VerifiedToken, VerifyError> {
    let token = verify_signed(jwt, jwks, expect)?;
    if dpop_jkt(&token)?.is_some() {
        return Err(VerifyError::DpopBound);
    }
    Ok(token)
}

/// `cnf.jkt` of a verified token, if it has one; a `cnf` that is not an object, or a `jkt`
/// that is not a string, is [`VerifyError::InvalidClaim`].
fn dpop_jkt(token: &VerifiedToken) -> Result<Option<&str>, VerifyError> {
    match token.claims.get("cnf") {
        None => Ok(None),
        Some(Value::Object(cnf)) => match cnf.get("jkt") {
            None => Ok(None),
            Some(Value::String(jkt)) => Ok(Some(jkt)),
            Some(_) => Err(VerifyError::InvalidClaim("cnf")),
        },
        Some(_) => Err(VerifyError::InvalidClaim("cnf")),
    }
}

/// Decrypts a nested JWT (an encrypted access token, see
/// [`EncryptionKey`](super::EncryptionKey)) with the resource server's keys, then verifies the
/// JWS inside exactly as [`verify()`] does. A plain JWS is refused
/// ([`DecryptError::NotEncrypted`]): where tokens are encrypted, an unencrypted one is not
/// accepted. Every decryption failure is [`VerifyError::Decrypt`].
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use rand::SeedableRng;
/// use serde_json::{Map, json};
/// use tokenmint::config::RotationMode;
/// use tokenmint::token::*;
///
/// let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
/// let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(12);
/// let keys = KeySet::generate(Algorithm::RS256, RotationMode::Auto, now, &mut rng)?;
/// let rs_key = DecryptionKey::generate(KeyEncryption::RsaOaep256, &mut rng)?;
/// let enc = EncryptionKey::select(&rs_key.public_jwks(), KeyEncryption::RsaOaep256)?;
///
/// let iss = "https://example.okta.com/oauth2/default";
/// let claims = json!({"iss": iss, "aud": "api://orders", "iat": now.timestamp(),
///     "exp": now.timestamp() + 300, "scp": ["orders:read"]});
/// let jws = keys.signer().sign_claims(&Map::new(), claims.as_object().unwrap())?;
/// let jwe = enc.encrypt(&jws, &mut rng)?;
///
/// let jwks = Jwks::from_value(&keys.jwks())?;
/// let expect = Expectations::new(iss, "api://orders", now);
/// let token = verify_encrypted(&jwe, &[rs_key.clone()], &jwks, &expect)?;
/// assert_eq!(token.claims["scp"], json!(["orders:read"]));
/// // The plain JWS is refused where encryption is expected.
/// assert_eq!(verify_encrypted(&jws, &[rs_key], &jwks, &expect),
///            Err(VerifyError::Decrypt(DecryptError::NotEncrypted)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn verify_encrypted(
    jwe: &str,
    keys: &[DecryptionKey],
    jwks: &Jwks,
    expect: &Expectations,
) -> Result<VerifiedToken, VerifyError> {
    let inner = decrypt(jwe, keys).map_err(VerifyError::Decrypt)?;
    verify(&inner.jws, jwks, expect)
}

/// Resource-server side of DPoP (RFC 9449 §7): verifies a DPoP-bound access token as
/// [`verify()`] does, checks the proof presented with it against the resource request
/// (`check`: method, URL, clock, nonces; the proof's `ath` must be the hash of `token` as
/// presented), and that the token's `cnf.jkt` is the proof key's thumbprint. Returns both; the
/// host then records the proof's `jti` for replay detection.
///
/// A token without `cnf.jkt` is [`DpopError::NotBound`] (a bearer token is verified with
/// [`verify()`]); a proof of another key is [`DpopError::KeyMismatch`]; every proof failure is
/// [`VerifyError::Dpop`].
pub fn verify_dpop_bound(
    token: &str,
    proof: &str,
    jwks: &Jwks,
    expect: &Expectations,
    check: &DpopCheck,
) -> Result<(VerifiedToken, DpopProof), VerifyError> {
    let verified = verify_signed(token, jwks, expect)?;
    bind(verified, token, proof, check)
}

/// [`verify_dpop_bound`] for an encrypted (nested) access token: decrypted with `keys` first,
/// the proof's `ath` over the encrypted token as presented.
pub fn verify_encrypted_dpop_bound(
    token: &str,
    proof: &str,
    keys: &[DecryptionKey],
    jwks: &Jwks,
    expect: &Expectations,
    check: &DpopCheck,
) -> Result<(VerifiedToken, DpopProof), VerifyError> {
    let inner = decrypt(token, keys).map_err(VerifyError::Decrypt)?;
    let verified = verify_signed(&inner.jws, jwks, expect)?;
    bind(verified, token, proof, check)
}

fn bind(
    verified: VerifiedToken,
    presented: &str,
    proof: &str,
    check: &DpopCheck,
) -> Result<(VerifiedToken, DpopProof), VerifyError> {
    let jkt = dpop_jkt(&verified)?
        .ok_or(VerifyError::Dpop(DpopError::NotBound))?
        .to_owned();
    let checked =
        check_proof(proof, &check.clone().access_token(presented)).map_err(VerifyError::Dpop)?;
    checked.check_binding(&jkt).map_err(VerifyError::Dpop)?;
    Ok((verified, checked))
}

/// [`verify()`] without the DPoP-binding refusal.
fn verify_signed(
    jwt: &str,
    jwks: &Jwks,
    expect: &Expectations,
) -> Result<VerifiedToken, VerifyError> {
    if jwt.len() > MAX_TOKEN_LEN {
        return Err(VerifyError::TooLarge {
            len: jwt.len(),
            max: MAX_TOKEN_LEN,
        });
    }
    // Exactly two dots: `header.payload` (the signing input, as given) and the signature.
    let segments = jwt
        .rsplit_once('.')
        .and_then(|(input, s64)| Some((input, input.split_once('.')?, s64)))
        .filter(|(_, (_, p64), _)| !p64.contains('.'));
    let Some((signing_input, (h64, p64), s64)) = segments else {
        return Err(VerifyError::SegmentCount(jwt.split('.').count()));
    };
    let header_bytes = b64url_decode(h64).ok_or(VerifyError::HeaderBase64)?;
    let header: Value = serde_json::from_slice(&header_bytes)
        .map_err(|e| VerifyError::HeaderJson(e.to_string()))?;
    let Value::Object(header) = header else {
        return Err(VerifyError::HeaderNotObject);
    };
    let payload_bytes = b64url_decode(p64).ok_or(VerifyError::PayloadBase64)?;
    let signature = b64url_decode(s64).ok_or(VerifyError::SignatureBase64)?;

    let Some(Value::String(alg_name)) = header.get("alg") else {
        return Err(VerifyError::MissingAlgorithm);
    };
    if alg_name.eq_ignore_ascii_case("none") {
        return Err(VerifyError::AlgorithmNone);
    }
    if alg_name
        .as_bytes()
        .get(..2)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"HS"))
    {
        return Err(VerifyError::AlgorithmHmac(alg_name.clone()));
    }
    let alg = Algorithm::ALL
        .into_iter()
        .find(|a| a.name() == alg_name)
        .ok_or_else(|| VerifyError::UnsupportedAlgorithm(alg_name.clone()))?;
    if !expect.algorithms.contains(&alg) {
        return Err(VerifyError::AlgorithmNotAllowed(alg_name.clone()));
    }
    if header.contains_key("crit") {
        return Err(VerifyError::CriticalHeader);
    }
    if let Some(expected) = &expect.typ {
        let found = header.get("typ").and_then(Value::as_str);
        let bare = |t: &str| {
            let t = t.to_ascii_lowercase();
            t.strip_prefix("application/")
                .map(str::to_owned)
                .unwrap_or(t)
        };
        if found.map(bare) != Some(bare(expected)) {
            return Err(VerifyError::TypeMismatch {
                expected: expected.clone(),
                found: found.map(str::to_owned),
            });
        }
    }
    let Some(Value::String(kid)) = header.get("kid") else {
        return Err(VerifyError::MissingKid);
    };
    let key = jwks
        .keys
        .iter()
        .find(|k| k.kid == *kid)
        .ok_or_else(|| VerifyError::UnknownKid(kid.clone()))?;
    if key.alg != alg {
        return Err(VerifyError::KeyAlgorithmMismatch {
            kid: kid.clone(),
            key_alg: key.alg.name().to_owned(),
            token_alg: alg.name().to_owned(),
        });
    }
    key.verifier
        .verify(signing_input.as_bytes(), &signature)
        .map_err(|_| VerifyError::BadSignature)?;

    let claims: Value = serde_json::from_slice(&payload_bytes)
        .map_err(|e| VerifyError::PayloadJson(e.to_string()))?;
    let Value::Object(claims) = claims else {
        return Err(VerifyError::PayloadNotObject);
    };
    check_claims(&claims, expect)?;
    let kid = kid.clone();
    Ok(VerifiedToken {
        header,
        claims,
        kid,
        algorithm: alg,
    })
}

/// A NumericDate claim (RFC 7519 §2: seconds, possibly fractional), floored to whole seconds.
fn numeric_date(
    claims: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<i64>, VerifyError> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                Ok(Some(i))
            } else if let Some(f) = n.as_f64().filter(|f| f.is_finite()) {
                // `as` converts a finite float to the nearest i64, saturating at i64::MIN/MAX
                // (NaN and infinities are excluded above): absurd dates simply fail the checks.
                #[allow(clippy::cast_possible_truncation)]
                Ok(Some(f.floor() as i64))
            } else {
                Err(VerifyError::InvalidClaim(name))
            }
        }
        Some(_) => Err(VerifyError::InvalidClaim(name)),
    }
}

fn check_claims(claims: &Map<String, Value>, expect: &Expectations) -> Result<(), VerifyError> {
    let now = expect.now.timestamp();
    let leeway = expect.leeway.max(0);
    let exp = numeric_date(claims, "exp")?.ok_or(VerifyError::MissingClaim("exp"))?;
    if now >= exp.saturating_add(leeway) {
        return Err(VerifyError::Expired { exp, now, leeway });
    }
    if let Some(nbf) = numeric_date(claims, "nbf")?
        && nbf > now.saturating_add(leeway)
    {
        return Err(VerifyError::NotYetValid { nbf, now, leeway });
    }
    if let Some(iat) = numeric_date(claims, "iat")?
        && iat > now.saturating_add(leeway)
    {
        return Err(VerifyError::IssuedInFuture { iat, now, leeway });
    }
    match claims.get("iss") {
        None => return Err(VerifyError::MissingClaim("iss")),
        Some(Value::String(iss)) if *iss == expect.issuer => {}
        Some(Value::String(iss)) => {
            return Err(VerifyError::IssuerMismatch {
                expected: expect.issuer.clone(),
                found: iss.clone(),
            });
        }
        Some(_) => return Err(VerifyError::InvalidClaim("iss")),
    }
    let aud_ok = match claims.get("aud") {
        None => return Err(VerifyError::MissingClaim("aud")),
        Some(Value::String(aud)) => *aud == expect.audience,
        Some(Value::Array(auds)) => {
            if !auds.iter().all(Value::is_string) {
                return Err(VerifyError::InvalidClaim("aud"));
            }
            auds.iter()
                .any(|a| a.as_str() == Some(expect.audience.as_str()))
        }
        Some(_) => return Err(VerifyError::InvalidClaim("aud")),
    };
    if !aud_ok {
        return Err(VerifyError::AudienceMismatch {
            expected: expect.audience.clone(),
        });
    }
    if !expect.required_scopes.is_empty() {
        let granted = match claims.get("scp") {
            None => return Err(VerifyError::MissingClaim("scp")),
            Some(Value::Array(scopes)) if scopes.iter().all(Value::is_string) => scopes,
            Some(_) => return Err(VerifyError::InvalidClaim("scp")),
        };
        for scope in &expect.required_scopes {
            if !granted.iter().any(|g| g.as_str() == Some(scope.as_str())) {
                return Err(VerifyError::MissingScope(scope.clone()));
            }
        }
    }
    Ok(())
}

/// A published JWKS could not be loaded for verification.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum JwksError {
    /// The document is larger than [`MAX_JWKS_LEN`].
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
    /// The token is longer than [`MAX_TOKEN_LEN`]; nothing was decoded.
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
    /// The header's `typ` is not the expected one (see [`Expectations::typ`]).
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
    /// The token is DPoP-bound (`cnf.jkt`): it is accepted only with a proof of its key
    /// ([`verify_dpop_bound`]), never as a bearer token.
    #[error("the token is DPoP-bound (cnf.jkt); it needs a DPoP proof of its key")]
    DpopBound,
    /// An encrypted token could not be decrypted.
    #[error("{0}")]
    Decrypt(DecryptError),
    /// The DPoP proof presented with a bound token was refused, or is of another key.
    #[error("{0}")]
    Dpop(DpopError),
}
