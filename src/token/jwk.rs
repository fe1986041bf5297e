//! JSON Web Keys: the public JWK of a key and its RFC 7638 thumbprint (the kid), and the private
//! JWK a key set is stored as — written from a key held by OpenSSL and read back with every
//! member checked.

use super::alg::Algorithm;
use super::error::KeyError;
use super::keygen::ec_pkey;
use super::util::{b64url, b64url_decode};
use openssl::bn::{BigNum, BigNumContext};
use openssl::ec::EcGroup;
use openssl::pkey::{Id, PKey, Private};
use openssl::rsa::Rsa;
use serde_json::{Map, Value, json};

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

/// Rebuilds an OpenSSL private key from a private JWK, checking its consistency.
pub(super) fn pkey_from_private_jwk(
    alg: Algorithm,
    jwk: &Map<String, Value>,
) -> Result<PKey<Private>, String> {
    let kty = jwk.get("kty").and_then(Value::as_str).unwrap_or_default();
    if kty != alg.key_type() {
        return Err(format!("kty {kty:?} does not fit alg {alg}"));
    }
    let bytes = |name: &str| -> Result<Vec<u8>, String> {
        match jwk.get(name) {
            Some(Value::String(s)) => {
                b64url_decode(s).ok_or_else(|| format!("member {name:?} is not base64url"))
            }
            _ => Err(format!("member {name:?} is missing")),
        }
    };
    let bn = |name: &str| -> Result<BigNum, String> {
        BigNum::from_slice(&bytes(name)?).map_err(|e| e.to_string())
    };
    let ossl = |e: openssl::error::ErrorStack| e.to_string();
    match kty {
        "RSA" => {
            let rsa = Rsa::from_private_components(
                bn("n")?,
                bn("e")?,
                bn("d")?,
                bn("p")?,
                bn("q")?,
                bn("dp")?,
                bn("dq")?,
                bn("qi")?,
            )
            .map_err(ossl)?;
            if rsa.size() < 256 {
                return Err("RSA keys must have at least 2048 bits".to_owned());
            }
            if !rsa.check_key().map_err(ossl)? {
                return Err("inconsistent RSA key".to_owned());
            }
            PKey::from_rsa(rsa).map_err(ossl)
        }
        "EC" => {
            let crv = jwk.get("crv").and_then(Value::as_str);
            if crv != alg.curve() {
                return Err(format!("crv {crv:?} does not fit alg {alg}"));
            }
            let d = bytes("d")?;
            if d.len() != alg.ec_len() as usize {
                return Err("member \"d\" has the wrong length".to_owned());
            }
            let nid = alg.ec_nid().ok_or("not an EC algorithm")?;
            let group = EcGroup::from_curve_name(nid).map_err(ossl)?;
            let d = BigNum::from_slice(&d).map_err(ossl)?;
            ec_pkey(&group, d).map_err(ossl)
        }
        _ => {
            let crv = jwk.get("crv").and_then(Value::as_str);
            if crv != Some("Ed25519") {
                return Err(format!("crv {crv:?} is not Ed25519"));
            }
            let d = bytes("d")?;
            if d.len() != 32 {
                return Err("member \"d\" has the wrong length".to_owned());
            }
            PKey::private_key_from_raw_bytes(&d, Id::ED25519).map_err(ossl)
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
