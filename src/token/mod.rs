//! Tokens: refresh-token records ([`RefreshRecord`]), signing keys and their rotation
//! ([`KeySet`]), JWS signing ([`Signer`]) and the resource-server verifier ([`verify()`]).
//!
//! The host owns the [`KeySet`] (generates it once from its RNG, stores it with
//! [`KeySet::to_private_json`], calls [`KeySet::advance`] with its clock), publishes
//! [`KeySet::jwks`] at `/v1/keys`, and signs with [`KeySet::signer`]. Resource servers load the
//! published JWKS into a [`Jwks`] once and call [`verify()`] per token.
//!
//! Minting an access token and its ID token (claims are assembled by the caller, in order):
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use rand::SeedableRng;
//! use serde_json::{Map, json};
//! use tokenmint::config::RotationMode;
//! use tokenmint::token::*;
//!
//! let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
//! let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(42);
//! let mut keys = KeySet::generate(Algorithm::RS256, RotationMode::Auto, now, &mut rng)?;
//! keys.advance(now, &mut rng)?; // before minting: rotate if due (store the set if it changed)
//!
//! let signer = keys.signer();
//! let iss = "https://example.okta.com/oauth2/default";
//! let at = json!({"ver": 1, "jti": new_jti(JtiKind::Access, &mut rng), "iss": iss,
//!     "aud": "api://default", "iat": now.timestamp(), "exp": now.timestamp() + 3600,
//!     "cid": "0oa1", "uid": "00u1", "scp": ["openid"], "sub": "ann@example.com"});
//! let access_token = signer.sign_claims(&Map::new(), at.as_object().unwrap())?;
//!
//! let id = json!({"sub": "00u1", "ver": 1, "iss": iss, "aud": "0oa1",
//!     "iat": now.timestamp(), "exp": now.timestamp() + 3600,
//!     "jti": new_jti(JtiKind::Id, &mut rng), "amr": ["pwd"],
//!     "at_hash": left_half_hash(signer.algorithm(), access_token.as_bytes())});
//! let id_token = signer.sign_claims(&Map::new(), id.as_object().unwrap())?;
//!
//! // A relying party checks both against the published JWKS.
//! let jwks = Jwks::from_value(&keys.jwks())?;
//! let checked = verify(&id_token, &jwks, &Expectations::new(iss, "0oa1", now))?;
//! checked.check_at_hash(&access_token)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// The crate-wide lint table comes later; token already keeps these.
#![warn(
    unreachable_pub,
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

mod alg;
mod error;
mod jwk;
mod keygen;
mod refresh;
mod rotation;
mod sign;
mod util;
mod verify;

pub use alg::{Algorithm, ParseAlgorithmError};
pub use error::KeyError;
pub use refresh::{RefreshProblem, RefreshRecord};
pub use rotation::{KeyEvent, KeySet, KeyStatus, RotationPolicy, SigningKey};
pub use sign::{JtiKind, MintError, Signer, left_half_hash, new_jti};
pub(crate) use sign::{left_half_hash_stack, new_jti_stack};
pub use verify::{
    Expectations, Jwks, JwksError, MAX_JWKS_LEN, MAX_TOKEN_LEN, VerifiedToken, VerifyError, verify,
};
