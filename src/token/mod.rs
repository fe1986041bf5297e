//! Tokens: signing keys and their rotation ([`keys`]), JWS signing ([`sign`]) and the
//! resource-server verifier ([`verify`]).
//!
//! The host owns the [`KeySet`] (generates it once from its RNG, stores it with
//! [`KeySet::to_private_json`], calls [`KeySet::advance`] with its clock), publishes
//! [`KeySet::jwks`] at `/v1/keys`, and signs with [`KeySet::signer`]. Resource servers load the
//! published JWKS into a [`Jwks`] once and call [`verify`] per token.

pub mod error;
pub mod keys;
pub mod sign;
mod util;
pub mod verify;

pub use error::{JwksError, KeyError, MintError, ParseAlgorithmError, VerifyError};
pub use keys::{Algorithm, KeyEvent, KeySet, KeyStatus, RotationPolicy, SigningKey};
pub use sign::{JtiKind, Signer, left_half_hash, new_jti};
pub use verify::{Expectations, Jwks, MAX_JWKS_LEN, MAX_TOKEN_LEN, VerifiedToken, verify};
