//! The JWS signature algorithms ([`Algorithm`]): their names, key types and curves, the SHA-2
//! each goes with (for `at_hash` and `c_hash`), and parsing ([`ParseAlgorithmError`]).

use openssl::nid::Nid;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// A JWS signature algorithm (RFC 7518, RFC 8037). `RS256` is Okta's and the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[allow(clippy::upper_case_acronyms)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (deterministic).
    #[default]
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384 (deterministic).
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512 (deterministic).
    RS512,
    /// RSASSA-PSS with SHA-256 (randomized).
    PS256,
    /// RSASSA-PSS with SHA-384 (randomized).
    PS384,
    /// RSASSA-PSS with SHA-512 (randomized).
    PS512,
    /// ECDSA on P-256 with SHA-256 (randomized).
    ES256,
    /// ECDSA on P-384 with SHA-384 (randomized).
    ES384,
    /// ECDSA on P-521 with SHA-512 (randomized).
    ES512,
    /// EdDSA on Ed25519 (deterministic).
    EdDSA,
}

impl Algorithm {
    /// Every supported algorithm, in this order.
    pub const ALL: [Algorithm; 10] = [
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::ES512,
        Algorithm::EdDSA,
    ];

    /// The JWS name (`"RS256"`, …, `"EdDSA"`).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::RS256 => "RS256",
            Algorithm::RS384 => "RS384",
            Algorithm::RS512 => "RS512",
            Algorithm::PS256 => "PS256",
            Algorithm::PS384 => "PS384",
            Algorithm::PS512 => "PS512",
            Algorithm::ES256 => "ES256",
            Algorithm::ES384 => "ES384",
            Algorithm::ES512 => "ES512",
            Algorithm::EdDSA => "EdDSA",
        }
    }

    /// The JWK `kty` of its keys: `RSA`, `EC` or `OKP`.
    pub fn key_type(self) -> &'static str {
        match self {
            Algorithm::ES256 | Algorithm::ES384 | Algorithm::ES512 => "EC",
            Algorithm::EdDSA => "OKP",
            _ => "RSA",
        }
    }

    /// The JWK `crv` of its keys (`P-256`, `P-384`, `P-521`, `Ed25519`); `None` for RSA.
    pub fn curve(self) -> Option<&'static str> {
        match self {
            Algorithm::ES256 => Some("P-256"),
            Algorithm::ES384 => Some("P-384"),
            Algorithm::ES512 => Some("P-521"),
            Algorithm::EdDSA => Some("Ed25519"),
            _ => None,
        }
    }

    /// Whether signing the same bytes with the same key always gives the same signature
    /// (RSASSA-PKCS1-v1_5 and EdDSA). PSS and ECDSA signatures are randomized by OpenSSL, so
    /// golden test vectors must use `RS*` or `EdDSA`.
    pub fn is_deterministic(self) -> bool {
        matches!(
            self,
            Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512 | Algorithm::EdDSA
        )
    }

    /// The SHA-2 digest of `value` with the hash of the algorithm's size: SHA-256 for `*256`,
    /// SHA-384 for `*384`, SHA-512 for `*512` and for `EdDSA` (Ed25519 hashes with SHA-512
    /// internally). OIDC's `at_hash` and `c_hash` are its left half.
    pub(super) fn digest(self, value: &[u8]) -> Digest {
        // The hasher objects run the digest directly; the one-shot functions look the algorithm
        // up in OpenSSL's provider tables on every call.
        match self {
            Algorithm::RS256 | Algorithm::PS256 | Algorithm::ES256 => {
                let mut h = openssl::sha::Sha256::new();
                h.update(value);
                Digest::Sha256(h.finish())
            }
            Algorithm::RS384 | Algorithm::PS384 | Algorithm::ES384 => {
                let mut h = openssl::sha::Sha384::new();
                h.update(value);
                Digest::Sha384(h.finish())
            }
            Algorithm::RS512 | Algorithm::PS512 | Algorithm::ES512 | Algorithm::EdDSA => {
                let mut h = openssl::sha::Sha512::new();
                h.update(value);
                Digest::Sha512(h.finish())
            }
        }
    }

    /// OpenSSL's name of the curve of an ECDSA algorithm; `None` for the others.
    pub(super) fn ec_nid(self) -> Option<Nid> {
        match self {
            Algorithm::ES256 => Some(Nid::X9_62_PRIME256V1),
            Algorithm::ES384 => Some(Nid::SECP384R1),
            Algorithm::ES512 => Some(Nid::SECP521R1),
            _ => None,
        }
    }

    /// Byte length of an EC field element / private scalar.
    pub(super) fn ec_len(self) -> i32 {
        match self {
            Algorithm::ES256 => 32,
            Algorithm::ES384 => 48,
            _ => 66,
        }
    }
}

/// A SHA-2 digest, on the stack ([`Algorithm::digest`]).
pub(super) enum Digest {
    Sha256([u8; 32]),
    Sha384([u8; 48]),
    Sha512([u8; 64]),
}

impl Digest {
    /// The digest's bytes.
    pub(super) fn as_bytes(&self) -> &[u8] {
        match self {
            Digest::Sha256(d) => d,
            Digest::Sha384(d) => d,
            Digest::Sha512(d) => d,
        }
    }

    /// Its left half (OIDC Core 3.3.2.11).
    pub(super) fn left_half(&self) -> &[u8] {
        let bytes = self.as_bytes();
        bytes.split_at(bytes.len() / 2).0
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Algorithm {
    type Err = ParseAlgorithmError;

    /// Parses a JWS name; ASCII case is ignored (`es256` and `EDDSA` are accepted too).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Algorithm::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| ParseAlgorithmError(s.to_owned()))
    }
}

/// A `--alg` value (or any other string) that names no supported JWS algorithm.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "unsupported signing algorithm {0:?} (supported: RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA)"
)]
pub struct ParseAlgorithmError(pub String);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn algorithm_names_round_trip() {
        for alg in Algorithm::ALL {
            assert_eq!(alg.name().parse::<Algorithm>(), Ok(alg));
            assert_eq!(
                serde_json::to_value(alg).ok(),
                Some(Value::String(alg.name().into()))
            );
        }
        assert_eq!("eddsa".parse::<Algorithm>(), Ok(Algorithm::EdDSA));
        assert!("HS256".parse::<Algorithm>().is_err());
        assert!("none".parse::<Algorithm>().is_err());
    }
}
