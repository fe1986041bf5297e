//! The error of the key jobs ([`KeyError`]): generating keys, building their JWKs, preparing
//! their signers, rotating, storing and loading a key set. The errors of signing, loading a
//! JWKS and verifying are beside their jobs, in `sign` and `verify`.
//!
//! Messages never contain private key material.

use thiserror::Error;

/// Generating, rotating, storing or loading a [`KeySet`](super::KeySet) failed.
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
