//! JSON Web Keys: the public JWK of a key and its RFC 7638 thumbprint (the kid), and the private
//! JWK a key set is stored as — written from a key held by OpenSSL and read back with every
//! member checked.

use super::alg::{Algorithm, ParseAlgorithmError};
use super::error::KeyError;
use super::keygen::ec_pkey;
use super::util::{b64url, b64url_decode};
use josekit::JoseError;
use josekit::jwk::Jwk;
use josekit::jws::JwsVerifier;
use openssl::bn::{BigNum, BigNumContext};
use openssl::ec::EcGroup;
use openssl::pkey::{Id, PKey, Private};
use openssl::rsa::Rsa;
use serde_json::{Map, Value, json};
use thiserror::Error;

/// Computes the public JWK and the RFC 7638 thumbprint (the kid).
pub(super) fn public_jwk(
    alg: Algorithm,
    pkey: &PKey<Private>,
) -> Result<(String, Map<String, Value>), KeyError> {
    let err = |e| KeyError::crypto("exporting the public key", e);
    // Required members in lexicographic order, no whitespace (RFC 7638 §3.2); the values are
    // base64url strings, so serde_json's output is exactly the canonical form.
    let (canonical, members): (Value, Vec<(&str, String)>) = match alg.key_type() {
        "RSA" => {
            let rsa = pkey.rsa().map_err(err)?;
            let n = b64url(&rsa.n().to_vec());
            let e = b64url(&rsa.e().to_vec());
            (
                json!({"e": e, "kty": "RSA", "n": n}),
                vec![("n", n), ("e", e)],
            )
        }
        "EC" => {
            let ec = pkey.ec_key().map_err(err)?;
            let mut ctx = BigNumContext::new().map_err(err)?;
            let mut x = BigNum::new().map_err(err)?;
            let mut y = BigNum::new().map_err(err)?;
            ec.public_key()
                .affine_coordinates(ec.group(), &mut x, &mut y, &mut ctx)
                .map_err(err)?;
            let x = b64url(&x.to_vec_padded(alg.ec_len()).map_err(err)?);
            let y = b64url(&y.to_vec_padded(alg.ec_len()).map_err(err)?);
            let crv = alg.curve().unwrap_or_default().to_owned();
            (
                json!({"crv": crv, "kty": "EC", "x": x, "y": y}),
                vec![("crv", crv), ("x", x), ("y", y)],
            )
        }
        _ => {
            let x = b64url(&pkey.raw_public_key().map_err(err)?);
            (
                json!({"crv": "Ed25519", "kty": "OKP", "x": x}),
                vec![("crv", "Ed25519".to_owned()), ("x", x)],
            )
        }
    };
    let kid = thumbprint(&canonical);
    let mut m = Map::new();
    m.insert("kty".into(), alg.key_type().into());
    m.insert("alg".into(), alg.name().into());
    m.insert("kid".into(), kid.clone().into());
    m.insert("use".into(), "sig".into());
    for (k, v) in members {
        m.insert(k.into(), v.into());
    }
    Ok((kid, m))
}

/// The josekit verifier of a public JWK (its members checked by josekit: `kty`, sizes, points
/// on the curve).
pub(super) fn verifier_from_jwk(
    alg: Algorithm,
    map: &Map<String, Value>,
) -> Result<Box<dyn JwsVerifier>, JoseError> {
    use josekit::jws::{ES256, ES384, ES512, EdDSA, PS256, PS384, PS512, RS256, RS384, RS512};
    let jwk = Jwk::from_map(map.clone())?;
    Ok(match alg {
        Algorithm::RS256 => Box::new(RS256.verifier_from_jwk(&jwk)?),
        Algorithm::RS384 => Box::new(RS384.verifier_from_jwk(&jwk)?),
        Algorithm::RS512 => Box::new(RS512.verifier_from_jwk(&jwk)?),
        Algorithm::PS256 => Box::new(PS256.verifier_from_jwk(&jwk)?),
        Algorithm::PS384 => Box::new(PS384.verifier_from_jwk(&jwk)?),
        Algorithm::PS512 => Box::new(PS512.verifier_from_jwk(&jwk)?),
        Algorithm::ES256 => Box::new(ES256.verifier_from_jwk(&jwk)?),
        Algorithm::ES384 => Box::new(ES384.verifier_from_jwk(&jwk)?),
        Algorithm::ES512 => Box::new(ES512.verifier_from_jwk(&jwk)?),
        Algorithm::EdDSA => Box::new(EdDSA.verifier_from_jwk(&jwk)?),
    })
}

/// RFC 7638 thumbprint of a canonical JWK: base64url(SHA-256(json)).
pub(super) fn thumbprint(canonical: &Value) -> String {
    let text = canonical.to_string();
    b64url(&openssl::sha::sha256(text.as_bytes()))
}

/// The private JWK (public members plus `d` and, for RSA, the CRT parts).
pub(super) fn private_jwk(
    alg: Algorithm,
    pkey: &PKey<Private>,
    public: &Map<String, Value>,
) -> Result<Map<String, Value>, KeyError> {
    let err = |e| KeyError::crypto("exporting the private key", e);
    let mut m = public.clone();
    match alg.key_type() {
        "RSA" => {
            let rsa = pkey.rsa().map_err(err)?;
            let parts = [
                ("d", Some(rsa.d())),
                ("p", rsa.p()),
                ("q", rsa.q()),
                ("dp", rsa.dmp1()),
                ("dq", rsa.dmq1()),
                ("qi", rsa.iqmp()),
            ];
            for (name, bn) in parts {
                let bn = bn.ok_or_else(|| {
                    KeyError::crypto("exporting the private key", "RSA key without CRT parts")
                })?;
                m.insert(name.into(), b64url(&bn.to_vec()).into());
            }
        }
        "EC" => {
            let ec = pkey.ec_key().map_err(err)?;
            let d = ec.private_key().to_vec_padded(alg.ec_len()).map_err(err)?;
            m.insert("d".into(), b64url(&d).into());
        }
        _ => {
            let d = pkey.raw_private_key().map_err(err)?;
            m.insert("d".into(), b64url(&d).into());
        }
    }
    Ok(m)
}

/// Why a stored private JWK can't be used (the `reason` of [`KeyError::InvalidKey`]).
#[derive(Debug, Error)]
pub(super) enum JwkError {
    /// No `alg` string.
    #[error("missing \"alg\"")]
    MissingAlgorithm,
    /// An `alg` that names no supported algorithm.
    #[error(transparent)]
    Algorithm(#[from] ParseAlgorithmError),
    /// A `kty` other than the algorithm's.
    #[error("kty {kty:?} does not fit alg {alg}")]
    KeyType {
        /// The stored `kty` (empty if absent).
        kty: String,
        /// The stored `alg`.
        alg: Algorithm,
    },
    /// An EC key whose `crv` is not the algorithm's curve.
    #[error("crv {crv:?} does not fit alg {alg}")]
    Curve {
        /// The stored `crv`, if a string.
        crv: Option<String>,
        /// The stored `alg`.
        alg: Algorithm,
    },
    /// An OKP key whose `crv` is not Ed25519.
    #[error("crv {0:?} is not Ed25519")]
    NotEd25519(Option<String>),
    /// A required member is absent or not a string.
    #[error("member {0:?} is missing")]
    MissingMember(&'static str),
    /// A member is not unpadded base64url.
    #[error("member {0:?} is not base64url")]
    NotBase64url(&'static str),
    /// A private scalar of the wrong size for the curve.
    #[error("member {0:?} has the wrong length")]
    WrongLength(&'static str),
    /// An RSA modulus under 2048 bits.
    #[error("RSA keys must have at least 2048 bits")]
    RsaTooShort,
    /// RSA parts that don't make one key.
    #[error("inconsistent RSA key")]
    InconsistentRsa,
    /// A public member that is not what the private key implies.
    #[error("member {0:?} does not match the private key")]
    PublicMismatch(String),
    /// OpenSSL refused the parts.
    #[error("{0}")]
    Crypto(String),
}

impl From<openssl::error::ErrorStack> for JwkError {
    fn from(e: openssl::error::ErrorStack) -> Self {
        JwkError::Crypto(e.to_string())
    }
}

/// Reads the algorithm of a stored private JWK and rebuilds its key.
pub(super) fn read_private_jwk(
    jwk: &Map<String, Value>,
) -> Result<(Algorithm, PKey<Private>), JwkError> {
    let alg: Algorithm = match jwk.get("alg") {
        Some(Value::String(s)) => s.parse()?,
        _ => return Err(JwkError::MissingAlgorithm),
    };
    Ok((alg, pkey_from_private_jwk(alg, jwk)?))
}

/// Checks that every public member of a stored private JWK (but `kid` and `use`) is what the
/// private key implies (`public`, as [`public_jwk`] builds it).
pub(super) fn check_public_members(
    jwk: &Map<String, Value>,
    public: &Map<String, Value>,
) -> Result<(), JwkError> {
    for (name, value) in public {
        if name == "kid" || name == "use" {
            continue;
        }
        if jwk.get(name) != Some(value) {
            return Err(JwkError::PublicMismatch(name.clone()));
        }
    }
    Ok(())
}

/// The base64url-decoded bytes of a string member.
fn member_bytes(jwk: &Map<String, Value>, name: &'static str) -> Result<Vec<u8>, JwkError> {
    match jwk.get(name) {
        Some(Value::String(s)) => b64url_decode(s).ok_or(JwkError::NotBase64url(name)),
        _ => Err(JwkError::MissingMember(name)),
    }
}

/// Rebuilds an RSA private key (2048 bits or more) from the members of a private JWK (`n`,
/// `e`, `d` and the CRT parts), checking that they make one key. `kty` and `alg` are the
/// caller's to check.
pub(super) fn rsa_pkey_from_private_jwk(
    jwk: &Map<String, Value>,
) -> Result<PKey<Private>, JwkError> {
    let bn = |name: &'static str| -> Result<BigNum, JwkError> {
        Ok(BigNum::from_slice(&member_bytes(jwk, name)?)?)
    };
    let rsa = Rsa::from_private_components(
        bn("n")?,
        bn("e")?,
        bn("d")?,
        bn("p")?,
        bn("q")?,
        bn("dp")?,
        bn("dq")?,
        bn("qi")?,
    )?;
    if rsa.size() < 256 {
        return Err(JwkError::RsaTooShort);
    }
    if !rsa.check_key()? {
        return Err(JwkError::InconsistentRsa);
    }
    Ok(PKey::from_rsa(rsa)?)
}

/// Rebuilds an OpenSSL private key from a private JWK, checking its consistency.
fn pkey_from_private_jwk(
    alg: Algorithm,
    jwk: &Map<String, Value>,
) -> Result<PKey<Private>, JwkError> {
    let kty = jwk.get("kty").and_then(Value::as_str).unwrap_or_default();
    if kty != alg.key_type() {
        return Err(JwkError::KeyType {
            kty: kty.to_owned(),
            alg,
        });
    }
    let bytes = |name: &'static str| member_bytes(jwk, name);
    let crv = || jwk.get("crv").and_then(Value::as_str);
    match kty {
        "RSA" => rsa_pkey_from_private_jwk(jwk),
        "EC" => {
            if crv() != alg.curve() {
                return Err(JwkError::Curve {
                    crv: crv().map(str::to_owned),
                    alg,
                });
            }
            let d = bytes("d")?;
            if i32::try_from(d.len()).ok() != Some(alg.ec_len()) {
                return Err(JwkError::WrongLength("d"));
            }
            let nid = alg.ec_nid().ok_or_else(|| JwkError::KeyType {
                kty: kty.to_owned(),
                alg,
            })?;
            let group = EcGroup::from_curve_name(nid)?;
            let d = BigNum::from_slice(&d)?;
            Ok(ec_pkey(&group, d)?)
        }
        _ => {
            if crv() != Some("Ed25519") {
                return Err(JwkError::NotEd25519(crv().map(str::to_owned)));
            }
            let d = bytes("d")?;
            if d.len() != 32 {
                return Err(JwkError::WrongLength("d"));
            }
            Ok(PKey::private_key_from_raw_bytes(&d, Id::ED25519)?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7638_example_thumbprint() {
        // The RSA example of RFC 7638 §3.1.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let canonical = json!({"e": "AQAB", "kty": "RSA", "n": n});
        assert_eq!(
            thumbprint(&canonical),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }
}
