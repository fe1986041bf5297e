//! DPoP proofs (RFC 9449): checking a proof as §4.3 says ([`check_proof`] with a
//! [`DpopCheck`]), the key thumbprint that binds a token to it (`cnf.jkt`, RFC 7638,
//! [`DpopProof::jkt`]), and the OAuth errors a failed check becomes ([`DpopError`]).
//!
//! The host passes the value of the request's one `DPoP` header (two headers are its to
//! refuse, §4.3 point 1), the request's method and URL and its clock; it gets back the
//! thumbprint, the `jti` and the `iat`. Replay detection is the host's: it keeps the `jti`s it
//! has seen for [`DpopCheck::max_age`] plus [`DpopCheck::max_future`] seconds and refuses a
//! second use ([`DpopError::Replayed`]). Server nonces are the host's too: it hands the nonces
//! it currently accepts to [`DpopCheck::nonces`] and sends a fresh one in `DPoP-Nonce` with a
//! `use_dpop_nonce` error.

use super::alg::Algorithm;
use super::jwk::{thumbprint, verifier_from_jwk};
use super::util::{b64url, b64url_decode};
use crate::oauth::{OAuthError, OAuthErrorId};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use thiserror::Error;

/// Longest proof [`check_proof`] decodes (8 KiB: an RSA-4096 key and signature fit well).
pub const MAX_DPOP_PROOF_LEN: usize = 8 * 1024;

/// Members that only a private key has (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// What a proof must match: the request's method and URL, the host's clock and window, the
/// accepted algorithms, the server nonces (if the host uses them) and, at a resource server,
/// the access token presented with it.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use tokenmint::token::{Algorithm, DpopCheck};
///
/// let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
/// let check = DpopCheck::new("POST", "https://example.okta.com/oauth2/default/v1/token", now)
///     .max_age(120)
///     .max_future(10)
///     .algorithms([Algorithm::ES256, Algorithm::RS256])
///     .nonces(["eyJ7S_zG.eyJH0-Z.HX4w-7v"]);
/// assert_eq!(check.window(), (120, 10));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DpopCheck {
    method: String,
    url: String,
    normalized_url: Option<String>,
    now: DateTime<Utc>,
    max_age: i64,
    max_future: i64,
    algorithms: Vec<Algorithm>,
    nonces: Vec<String>,
    ath: Option<String>,
    max_jti_len: usize,
}

impl DpopCheck {
    /// A proof for a `method` request to `url` (the endpoint's URL as the host serves it; its
    /// query and fragment are ignored), checked at `now`. Defaults: `iat` at most 300 s old
    /// and 60 s ahead, every supported asymmetric algorithm, no nonce, no access token,
    /// `jti` at most 256 bytes.
    pub fn new(method: impl Into<String>, url: impl Into<String>, now: DateTime<Utc>) -> Self {
        let url = url.into();
        DpopCheck {
            method: method.into(),
            normalized_url: normalize_http_uri(&url),
            url,
            now,
            max_age: 300,
            max_future: 60,
            algorithms: Algorithm::ALL.to_vec(),
            nonces: Vec::new(),
            ath: None,
            max_jti_len: 256,
        }
    }

    /// How old (seconds before `now`) a proof's `iat` may be.
    pub fn max_age(mut self, seconds: i64) -> Self {
        self.max_age = seconds.max(0);
        self
    }

    /// How far ahead of `now` (clock skew, seconds) a proof's `iat` may be.
    pub fn max_future(mut self, seconds: i64) -> Self {
        self.max_future = seconds.max(0);
        self
    }

    /// `(max_age, max_future)` in seconds.
    pub fn window(&self) -> (i64, i64) {
        (self.max_age, self.max_future)
    }

    /// Restricts the accepted algorithms (e.g. to the discovery document's
    /// `dpop_signing_alg_values_supported`).
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms.into_iter().collect();
        self
    }

    /// Requires a `nonce` claim equal to one of these (the nonces the host issued and still
    /// accepts). Without any, a proof's `nonce` is not checked.
    pub fn nonces<S: Into<String>>(mut self, nonces: impl IntoIterator<Item = S>) -> Self {
        self.nonces = nonces.into_iter().map(Into::into).collect();
        self
    }

    /// At a resource server: the access token presented with the proof, exactly as received;
    /// the proof must then carry `ath` = base64url(SHA-256(token)).
    pub fn access_token(mut self, token: &str) -> Self {
        self.ath = Some(access_token_hash(token));
        self
    }

    /// Longest accepted `jti`, in bytes.
    pub fn max_jti_len(mut self, bytes: usize) -> Self {
        self.max_jti_len = bytes;
        self
    }
}

/// A proof that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct DpopProof {
    /// The RFC 7638 SHA-256 thumbprint of the proof's key, base64url: `cnf.jkt` of the tokens
    /// bound to it.
    pub jkt: String,
    /// The proof's `jti`, for the host's replay detection.
    pub jti: String,
    /// The proof's `iat` (seconds).
    pub iat: i64,
    /// The proof's algorithm.
    pub algorithm: Algorithm,
    /// The proof's public key (the header's `jwk`).
    pub jwk: Map<String, Value>,
    /// The proof's `nonce`, if it has one.
    pub nonce: Option<String>,
}

impl DpopProof {
    /// The confirmation claim of a token bound to this key: `{"jkt": …}` (RFC 9449 §6.1).
    pub fn cnf(&self) -> Value {
        json!({ "jkt": self.jkt })
    }

    /// What a grant keeps of the proof: the key thumbprint and the `jti`.
    pub fn binding(&self) -> DpopBinding {
        DpopBinding {
            jkt: self.jkt.clone(),
            jti: self.jti.clone(),
        }
    }

    /// Checks that a bound token's or grant's thumbprint (its `cnf.jkt`) is this proof's key
    /// (a refresh of a DPoP-bound grant, a resource request).
    pub fn check_binding(&self, jkt: &str) -> Result<(), DpopError> {
        if self.jkt == jkt {
            Ok(())
        } else {
            Err(DpopError::KeyMismatch {
                bound: jkt.to_owned(),
                proof: self.jkt.clone(),
            })
        }
    }
}

/// What a grant keeps of a checked DPoP proof: the thumbprint its access token is bound to
/// (`cnf.jkt`) and the proof's `jti`, for the host's replay detection.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DpopBinding {
    /// The RFC 7638 thumbprint of the proof's key.
    pub jkt: String,
    /// The proof's `jti`.
    pub jti: String,
}

/// `ath`: base64url(SHA-256(ASCII(access token))) (RFC 9449 §4.2).
pub fn access_token_hash(token: &str) -> String {
    b64url(&openssl::sha::sha256(token.as_bytes()))
}

/// The RFC 7638 SHA-256 thumbprint of a public JWK (`RSA`, `EC` or `OKP`), base64url.
///
/// ```
/// use serde_json::json;
/// use tokenmint::token::jwk_thumbprint;
/// // RFC 7638 §3.1.
/// let jwk = json!({"kty": "RSA", "e": "AQAB", "alg": "RS256", "kid": "2011-04-29",
///     "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"});
/// assert_eq!(jwk_thumbprint(&jwk).unwrap(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
/// ```
pub fn jwk_thumbprint(jwk: &Value) -> Result<String, DpopError> {
    let Value::Object(map) = jwk else {
        return Err(DpopError::JwkInvalid("not a JSON object".into()));
    };
    canonical_jwk(map).map(|c| thumbprint(&c))
}

/// The required members of a public JWK in RFC 7638 order, each a canonical base64url string
/// of the right size (so that one key has one thumbprint).
fn canonical_jwk(map: &Map<String, Value>) -> Result<Value, DpopError> {
    let invalid = |why: &str| DpopError::JwkInvalid(why.to_owned());
    let member = |name: &str| -> Result<(&str, Vec<u8>), DpopError> {
        let Some(Value::String(s)) = map.get(name) else {
            return Err(DpopError::JwkInvalid(format!("no {name:?} string")));
        };
        let bytes = b64url_decode(s)
            .ok_or_else(|| DpopError::JwkInvalid(format!("{name:?} is not base64url")))?;
        Ok((s.as_str(), bytes))
    };
    match map.get("kty").and_then(Value::as_str) {
        Some("RSA") => {
            let (n, nb) = member("n")?;
            let (e, eb) = member("e")?;
            if nb.first() == Some(&0) || eb.first() == Some(&0) || eb.is_empty() {
                return Err(invalid("\"n\" or \"e\" has leading zero bytes"));
            }
            if nb.len() < 256 {
                return Err(invalid("RSA keys must have at least 2048 bits"));
            }
            Ok(json!({"e": e, "kty": "RSA", "n": n}))
        }
        Some("EC") => {
            let size = match map.get("crv").and_then(Value::as_str) {
                Some("P-256") => 32,
                Some("P-384") => 48,
                Some("P-521") => 66,
                _ => return Err(invalid("unsupported EC curve")),
            };
            let (x, xb) = member("x")?;
            let (y, yb) = member("y")?;
            if xb.len() != size || yb.len() != size {
                return Err(invalid("EC coordinates of the wrong size"));
            }
            let crv = map.get("crv").cloned().unwrap_or(Value::Null);
            Ok(json!({"crv": crv, "kty": "EC", "x": x, "y": y}))
        }
        Some("OKP") => {
            if map.get("crv").and_then(Value::as_str) != Some("Ed25519") {
                return Err(invalid("unsupported OKP curve"));
            }
            let (x, xb) = member("x")?;
            if xb.len() != 32 {
                return Err(invalid("an Ed25519 key is 32 bytes"));
            }
            Ok(json!({"crv": "Ed25519", "kty": "OKP", "x": x}))
        }
        _ => Err(invalid("\"kty\" is not RSA, EC or OKP")),
    }
}

/// Checks a DPoP proof (the `DPoP` header's value) as RFC 9449 §4.3 says.
///
/// In this order (each failure its own [`DpopError`]): at most [`MAX_DPOP_PROOF_LEN`] bytes; a
/// compact JWS (three base64url segments, JSON object header); `typ` `dpop+jwt` (ASCII case
/// and an `application/` prefix ignored); `alg` present, not `none`, not HMAC, supported and
/// allowed; no `crit`; a `jwk` header that is a public key (no private member) fitting `alg`
/// (its `kty` and curve; its own `alg` and `use`, if present, `alg` and `sig`); the signature
/// under that key; a JSON object payload; `jti` a non-empty string no longer than
/// [`DpopCheck::max_jti_len`]; `htm` equal to the method; `htu` equal to the URL, both
/// without query and fragment and normalized (RFC 3986 §6.2.2-6.2.3: scheme and host case,
/// default port, percent-encoding case and unreserved characters, dot segments, empty path);
/// `iat` a number within the window; `ath` when an access token is given; last the `nonce`
/// when the host requires one ([`DpopError::NonceMissing`] and [`DpopError::NonceStale`] are
/// `use_dpop_nonce`, every other failure `invalid_dpop_proof`).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use rand::SeedableRng;
/// use serde_json::{Map, json};
/// use tokenmint::config::RotationMode;
/// use tokenmint::token::{Algorithm, DpopCheck, DpopError, KeySet, check_proof};
///
/// let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
/// let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(9);
/// // The client's key (any signer will do) and its proof for the token request.
/// let client = KeySet::generate(Algorithm::ES256, RotationMode::Manual, now, &mut rng)?;
/// let mut jwk = client.active().public_jwk();
/// jwk.as_object_mut().unwrap().retain(|k, _| ["kty", "crv", "x", "y"].contains(&k.as_str()));
/// let header = json!({"typ": "dpop+jwt", "jwk": jwk});
/// let claims = json!({"jti": "e1j3V_bKic8-LAEB", "htm": "POST",
///     "htu": "https://example.okta.com/oauth2/default/v1/token", "iat": now.timestamp()});
/// let proof = client.signer().sign_claims(header.as_object().unwrap(), claims.as_object().unwrap())?;
///
/// // The server: the thumbprint binds the token (cnf.jkt), the jti goes to the replay cache.
/// let url = "https://EXAMPLE.okta.com:443/oauth2/default/v1/token?x=1";
/// let ok = check_proof(&proof, &DpopCheck::new("POST", url, now))?;
/// assert_eq!(ok.jti, "e1j3V_bKic8-LAEB");
/// assert_eq!(ok.cnf(), json!({"jkt": ok.jkt}));
///
/// let wrong = check_proof(&proof, &DpopCheck::new("GET", url, now)).unwrap_err();
/// assert_eq!(wrong.to_oauth_error().to_json(), json!({"error": "invalid_dpop_proof",
///     "error_description": "'htm' claim in the DPoP proof JWT is invalid."}));
/// let nonce = check_proof(&proof, &DpopCheck::new("POST", url, now).nonces(["n-1"])).unwrap_err();
/// assert!(matches!(nonce, DpopError::NonceMissing));
/// assert_eq!(nonce.to_oauth_error().error(), "use_dpop_nonce");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check_proof(proof: &str, check: &DpopCheck) -> Result<DpopProof, DpopError> {
    if proof.len() > MAX_DPOP_PROOF_LEN {
        return Err(DpopError::TooLarge {
            len: proof.len(),
            max: MAX_DPOP_PROOF_LEN,
        });
    }
    let malformed = |why: &str| DpopError::Malformed(why.to_owned());
    let (signing_input, s64) = proof
        .rsplit_once('.')
        .ok_or_else(|| malformed("not a compact JWS"))?;
    let (h64, p64) = signing_input
        .split_once('.')
        .filter(|(_, p)| !p.contains('.'))
        .ok_or_else(|| malformed("not a compact JWS (three segments)"))?;
    let header = b64url_decode(h64).ok_or_else(|| malformed("the header is not base64url"))?;
    let header: Value = serde_json::from_slice(&header)
        .map_err(|e| DpopError::Malformed(format!("the header is not JSON: {e}")))?;
    let Value::Object(header) = header else {
        return Err(malformed("the header is not a JSON object"));
    };
    let payload = b64url_decode(p64).ok_or_else(|| malformed("the payload is not base64url"))?;
    let signature =
        b64url_decode(s64).ok_or_else(|| malformed("the signature is not base64url"))?;

    match header.get("typ") {
        Some(Value::String(t)) => {
            let t = t.to_ascii_lowercase();
            if t.strip_prefix("application/").unwrap_or(&t) != "dpop+jwt" {
                return Err(DpopError::Type(Some(Value::String(t))));
            }
        }
        other => return Err(DpopError::Type(other.cloned())),
    }
    let alg = match header.get("alg") {
        Some(Value::String(a)) => a.as_str(),
        _ => return Err(DpopError::Algorithm("no \"alg\" string".into())),
    };
    if alg.eq_ignore_ascii_case("none") {
        return Err(DpopError::Algorithm("\"none\" is not accepted".into()));
    }
    if alg.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("HS")) {
        return Err(DpopError::Algorithm(format!(
            "{alg:?} is symmetric; a DPoP proof is signed with a private key"
        )));
    }
    let algorithm = Algorithm::ALL
        .into_iter()
        .find(|a| a.name() == alg)
        .ok_or_else(|| DpopError::Algorithm(format!("{alg:?} is not supported")))?;
    if !check.algorithms.contains(&algorithm) {
        return Err(DpopError::Algorithm(format!("{alg} is not allowed")));
    }
    if header.contains_key("crit") {
        return Err(DpopError::CriticalHeader);
    }
    let jwk = match header.get("jwk") {
        Some(Value::Object(jwk)) => jwk,
        Some(_) => return Err(DpopError::JwkInvalid("not a JSON object".into())),
        None => return Err(DpopError::JwkMissing),
    };
    if let Some(member) = PRIVATE_MEMBERS.into_iter().find(|m| jwk.contains_key(*m)) {
        return Err(DpopError::JwkPrivate(member));
    }
    let kty = jwk.get("kty").and_then(Value::as_str);
    if kty != Some(algorithm.key_type()) {
        return Err(DpopError::JwkInvalid(format!(
            "kty {kty:?} does not fit alg {algorithm}"
        )));
    }
    let crv = jwk.get("crv").and_then(Value::as_str);
    if algorithm.curve().is_some() && crv != algorithm.curve() {
        return Err(DpopError::JwkInvalid(format!(
            "crv {crv:?} does not fit alg {algorithm}"
        )));
    }
    match jwk.get("alg") {
        None => {}
        Some(Value::String(a)) if a == algorithm.name() => {}
        Some(_) => {
            return Err(DpopError::JwkInvalid(format!(
                "its \"alg\" is not {algorithm}"
            )));
        }
    }
    match jwk.get("use") {
        None => {}
        Some(Value::String(u)) if u == "sig" => {}
        Some(_) => return Err(DpopError::JwkInvalid("its \"use\" is not \"sig\"".into())),
    }
    let canonical = canonical_jwk(jwk)?;
    let verifier =
        verifier_from_jwk(algorithm, jwk).map_err(|e| DpopError::JwkInvalid(e.to_string()))?;
    verifier
        .verify(signing_input.as_bytes(), &signature)
        .map_err(|_| DpopError::Signature)?;

    let claims: Value = serde_json::from_slice(&payload)
        .map_err(|e| DpopError::Malformed(format!("the payload is not JSON: {e}")))?;
    let Value::Object(claims) = claims else {
        return Err(malformed("the payload is not a JSON object"));
    };
    let jti = match claims.get("jti") {
        None => return Err(DpopError::Missing("jti")),
        Some(Value::String(j)) if !j.is_empty() && j.len() <= check.max_jti_len => j.clone(),
        Some(Value::String(j)) if j.is_empty() => {
            return Err(DpopError::Invalid("jti", "it is empty".into()));
        }
        Some(Value::String(j)) => {
            return Err(DpopError::Invalid(
                "jti",
                format!(
                    "it is {} bytes, more than the {} accepted",
                    j.len(),
                    check.max_jti_len
                ),
            ));
        }
        Some(_) => return Err(DpopError::Invalid("jti", "it is not a string".into())),
    };
    match claims.get("htm") {
        None => return Err(DpopError::Missing("htm")),
        Some(Value::String(m)) if *m == check.method => {}
        Some(other) => {
            return Err(DpopError::Invalid(
                "htm",
                format!("{other} is not the request's method {:?}", check.method),
            ));
        }
    }
    match claims.get("htu") {
        None => return Err(DpopError::Missing("htu")),
        Some(Value::String(u)) => {
            let Some(endpoint) = &check.normalized_url else {
                return Err(DpopError::EndpointUrl(check.url.clone()));
            };
            match normalize_http_uri(u) {
                Some(n) if n == *endpoint => {}
                Some(n) => {
                    return Err(DpopError::Invalid(
                        "htu",
                        format!("{n:?} is not the request's URL {endpoint:?}"),
                    ));
                }
                None => {
                    return Err(DpopError::Invalid(
                        "htu",
                        format!("{u:?} is not an absolute http(s) URI"),
                    ));
                }
            }
        }
        Some(_) => return Err(DpopError::Invalid("htu", "it is not a string".into())),
    }
    let iat = match claims.get("iat") {
        None => return Err(DpopError::Missing("iat")),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(i) => i,
            None => match n.as_f64().filter(|f| f.is_finite()) {
                // `as` saturates: absurd values fail the window below.
                #[allow(clippy::cast_possible_truncation)]
                Some(f) => f.floor() as i64,
                None => return Err(DpopError::Invalid("iat", "it is not a number".into())),
            },
        },
        Some(_) => return Err(DpopError::Invalid("iat", "it is not a number".into())),
    };
    let now = check.now.timestamp();
    if iat < now.saturating_sub(check.max_age) {
        return Err(DpopError::TooOld {
            iat,
            now,
            max_age: check.max_age,
        });
    }
    if iat > now.saturating_add(check.max_future) {
        return Err(DpopError::InFuture {
            iat,
            now,
            max_future: check.max_future,
        });
    }
    if let Some(expected) = &check.ath {
        match claims.get("ath") {
            None => return Err(DpopError::Missing("ath")),
            Some(Value::String(a)) if a == expected => {}
            Some(_) => {
                return Err(DpopError::Invalid(
                    "ath",
                    "it is not the hash of the access token presented".into(),
                ));
            }
        }
    }
    let nonce = match claims.get("nonce") {
        None => None,
        Some(Value::String(n)) => Some(n.clone()),
        Some(_) => return Err(DpopError::Invalid("nonce", "it is not a string".into())),
    };
    if !check.nonces.is_empty() {
        match &nonce {
            None => return Err(DpopError::NonceMissing),
            Some(n) if check.nonces.contains(n) => {}
            Some(_) => return Err(DpopError::NonceStale),
        }
    }
    Ok(DpopProof {
        jkt: thumbprint(&canonical),
        jti,
        iat,
        algorithm,
        jwk: jwk.clone(),
        nonce,
    })
}

/// Normalizes an absolute `http`/`https` URI for comparison (RFC 9449 §4.3 point 9; RFC 3986
/// §6.2.2-6.2.3) and drops its query and fragment: scheme and host in lower case, the default
/// port (80, 443) and an empty port dropped, percent-encodings in upper case and those of
/// unreserved characters decoded, dot segments removed, an empty path made `/`. `None` for
/// anything else: another scheme, no authority, a bad port or percent-encoding, a byte that
/// can't be in a URI.
pub(crate) fn normalize_http_uri(uri: &str) -> Option<String> {
    if uri.len() > MAX_DPOP_PROOF_LEN || !uri.bytes().all(|b| b.is_ascii_graphic()) {
        return None;
    }
    let end = uri.find(['?', '#']).unwrap_or(uri.len());
    let uri = uri.get(..end)?;
    let (scheme, rest) = uri.split_once(':')?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let rest = rest.strip_prefix("//")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let (host, port) = if hostport.starts_with('[') {
        let close = hostport.find(']')?;
        let (h, p) = hostport.split_at(close + 1);
        if p.is_empty() {
            (h, "")
        } else {
            (h, p.strip_prefix(':')?)
        }
    } else {
        hostport.rsplit_once(':').unwrap_or((hostport, ""))
    };
    if host.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(uri.len() + 1);
    out.push_str(&scheme);
    out.push_str("://");
    if let Some(u) = userinfo {
        out.push_str(&normalize_percent(u)?);
        out.push('@');
    }
    out.push_str(&lowercase_but_escapes(&normalize_percent(host)?));
    if !port.is_empty() {
        if !port.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let digits = port.trim_start_matches('0');
        let number: u32 = if digits.is_empty() {
            0
        } else {
            digits.parse().ok().filter(|n| *n <= 65535)?
        };
        if number != default_port {
            out.push(':');
            out.push_str(&number.to_string());
        }
    }
    let path = normalize_percent(path)?;
    let path = remove_dot_segments(&path);
    if path.is_empty() {
        out.push('/');
    } else {
        out.push_str(&path);
    }
    Some(out)
}

/// Lower-cases a string but its percent-encodings (which stay upper case, RFC 3986 §6.2.2.1).
fn lowercase_but_escapes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut escape = 0;
    for c in s.chars() {
        if c == '%' {
            escape = 2;
            out.push(c);
        } else if escape > 0 {
            escape -= 1;
            out.push(c);
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// Upper-cases percent-encodings and decodes those of unreserved characters; `None` for a
/// `%` not followed by two hex digits.
fn normalize_percent(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let text = std::str::from_utf8(hex).ok()?;
            if !text.bytes().all(|h| h.is_ascii_hexdigit()) {
                return None;
            }
            let value = u8::from_str_radix(text, 16).ok()?;
            if value.is_ascii_alphanumeric() || matches!(value, b'-' | b'.' | b'_' | b'~') {
                out.push(char::from(value));
            } else {
                out.push('%');
                out.push_str(&text.to_ascii_uppercase());
            }
            i += 3;
        } else {
            out.push(char::from(b));
            i += 1;
        }
    }
    Some(out)
}

/// RFC 3986 §5.2.4.
fn remove_dot_segments(path: &str) -> String {
    let mut input = path;
    let mut out: Vec<&str> = Vec::new();
    while !input.is_empty() {
        if let Some(rest) = input.strip_prefix("../") {
            input = rest;
        } else if let Some(rest) = input.strip_prefix("./") {
            input = rest;
        } else if let Some(rest) = input.strip_prefix("/.").filter(|r| r.starts_with('/')) {
            input = rest;
        } else if input == "/." {
            input = "/";
        } else if let Some(rest) = input.strip_prefix("/..").filter(|r| r.starts_with('/')) {
            input = rest;
            out.pop();
        } else if input == "/.." {
            input = "/";
            out.pop();
        } else if input == "." || input == ".." {
            input = "";
        } else {
            let start = usize::from(input.starts_with('/'));
            let end = input
                .get(start..)
                .and_then(|r| r.find('/'))
                .map_or(input.len(), |i| i + start);
            let (segment, rest) = input.split_at(end);
            out.push(segment);
            input = rest;
        }
    }
    out.concat()
}

/// Why a DPoP proof (or a DPoP binding) was refused. Each maps to an OAuth error with
/// [`DpopError::to_oauth_error`]: `use_dpop_nonce` for [`DpopError::NonceMissing`] and
/// [`DpopError::NonceStale`], `invalid_dpop_proof` for the others.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DpopError {
    /// The request has no `DPoP` header where one is required (the host's to report).
    #[error("the request has no DPoP proof")]
    ProofMissing,
    /// The proof is longer than [`MAX_DPOP_PROOF_LEN`]; nothing was decoded.
    #[error("the DPoP proof is {len} bytes, more than the {max} accepted")]
    TooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Not a compact JWS with a JSON object header and payload.
    #[error("the DPoP proof can't be parsed: {0}")]
    Malformed(String),
    /// `typ` is not `dpop+jwt`.
    #[error("the DPoP proof's typ is {0:?}, not \"dpop+jwt\"")]
    Type(Option<Value>),
    /// `alg` missing, `none`, HMAC, unsupported or not allowed.
    #[error("the DPoP proof's alg is refused: {0}")]
    Algorithm(String),
    /// A `crit` header member.
    #[error("the DPoP proof has \"crit\"; no critical extension is supported")]
    CriticalHeader,
    /// No `jwk` header.
    #[error("the DPoP proof has no \"jwk\" header")]
    JwkMissing,
    /// The `jwk` header has a private member.
    #[error("the DPoP proof's jwk has the private member {0:?}")]
    JwkPrivate(&'static str),
    /// The `jwk` header is not a usable public key for `alg`.
    #[error("the DPoP proof's jwk is unusable: {0}")]
    JwkInvalid(String),
    /// The signature does not verify under the `jwk`.
    #[error("the DPoP proof's signature does not verify under its jwk")]
    Signature,
    /// A required claim (`jti`, `htm`, `htu`, `iat`, `ath`) is absent.
    #[error("the DPoP proof has no {0:?} claim")]
    Missing(&'static str),
    /// A claim has a wrong type or value.
    #[error("the DPoP proof's {0:?} claim is invalid: {1}")]
    Invalid(&'static str, String),
    /// The host's endpoint URL is not an absolute http(s) URI (a host mistake).
    #[error("the endpoint URL {0:?} given to the check is not an absolute http(s) URI")]
    EndpointUrl(String),
    /// `iat` is older than the window.
    #[error("the DPoP proof was issued at {iat}, more than {max_age} s before {now}")]
    TooOld {
        /// The proof's `iat`.
        iat: i64,
        /// The check's clock.
        now: i64,
        /// The window.
        max_age: i64,
    },
    /// `iat` is ahead of the clock by more than the allowed skew.
    #[error("the DPoP proof was issued at {iat}, more than {max_future} s after {now}")]
    InFuture {
        /// The proof's `iat`.
        iat: i64,
        /// The check's clock.
        now: i64,
        /// The allowed skew.
        max_future: i64,
    },
    /// The host requires a nonce and the proof has none (`use_dpop_nonce`).
    #[error("the DPoP proof has no nonce; the server requires one")]
    NonceMissing,
    /// The proof's nonce is not one the host accepts (`use_dpop_nonce`).
    #[error("the DPoP proof's nonce is not current")]
    NonceStale,
    /// The host has seen this `jti` before (the host's to report).
    #[error("the DPoP proof's jti was used before")]
    Replayed,
    /// The proof's key is not the one the token or grant is bound to.
    #[error("the DPoP proof's key {proof:?} is not the bound key {bound:?}")]
    KeyMismatch {
        /// The bound thumbprint (`cnf.jkt`).
        bound: String,
        /// The proof key's thumbprint.
        proof: String,
    },
    /// A DPoP proof came with a token that is not DPoP-bound (no `cnf.jkt`).
    #[error("the token is not DPoP-bound (no cnf.jkt)")]
    NotBound,
}

impl DpopError {
    /// Whether the error is `use_dpop_nonce` (the host answers with a fresh `DPoP-Nonce`).
    pub fn is_nonce_error(&self) -> bool {
        matches!(self, DpopError::NonceMissing | DpopError::NonceStale)
    }

    /// The token endpoint's `error_description`.
    pub fn description(&self) -> String {
        let claim = |name: &str| format!("'{name}' claim in the DPoP proof JWT is invalid.");
        match self {
            DpopError::ProofMissing => "The DPoP proof JWT header is missing.".into(),
            DpopError::TooLarge { .. } => "The DPoP proof JWT is too large.".into(),
            DpopError::Malformed(_) => "DPoP proof JWT cannot be parsed.".into(),
            DpopError::Type(_) => "'typ' header in the DPoP proof JWT is invalid.".into(),
            DpopError::Algorithm(_) => "'alg' header in the DPoP proof JWT is invalid.".into(),
            DpopError::CriticalHeader => {
                "'crit' header in the DPoP proof JWT is not supported.".into()
            }
            DpopError::JwkMissing => "'jwk' header in the DPoP proof JWT is missing.".into(),
            DpopError::JwkPrivate(_) => {
                "'jwk' header in the DPoP proof JWT must not contain a private key.".into()
            }
            DpopError::JwkInvalid(_) => "'jwk' header in the DPoP proof JWT is invalid.".into(),
            DpopError::Signature => "The DPoP proof JWT signature is invalid.".into(),
            DpopError::Missing(name) => {
                format!("'{name}' claim in the DPoP proof JWT is missing.")
            }
            DpopError::Invalid(name, _) => claim(name),
            DpopError::EndpointUrl(_) => claim("htu"),
            DpopError::TooOld { .. } => "The DPoP proof JWT has expired.".into(),
            DpopError::InFuture { .. } => {
                "'iat' claim in the DPoP proof JWT is in the future.".into()
            }
            DpopError::NonceMissing | DpopError::NonceStale => {
                "Authorization server requires nonce in DPoP proof.".into()
            }
            DpopError::Replayed => "The DPoP proof JWT has already been used.".into(),
            DpopError::KeyMismatch { .. } => {
                "The DPoP proof key does not match the key the token is bound to.".into()
            }
            DpopError::NotBound => "The access token is not DPoP-bound.".into(),
        }
    }

    /// The token endpoint's OAuth error: `use_dpop_nonce` or `invalid_dpop_proof` with
    /// [`DpopError::description`], the detailed message as its cause.
    pub fn to_oauth_error(&self) -> OAuthError {
        let id = if self.is_nonce_error() {
            OAuthErrorId::UseDpopNonce
        } else {
            OAuthErrorId::InvalidDpopProof
        };
        OAuthError::with_arg(id, &self.description()).with_cause(self.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments() {
        for (input, out) in [
            ("/a/b/c/./../../g", "/a/g"),
            ("mid/content=5/../6", "mid/6"),
            ("/..", "/"),
            ("/a/..", "/"),
            ("/a/.", "/a/"),
            ("", ""),
            ("/", "/"),
        ] {
            assert_eq!(remove_dot_segments(input), out, "{input}");
        }
    }
}
