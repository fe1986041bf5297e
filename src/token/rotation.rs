//! Key rotation: one key pair with its lifecycle ([`SigningKey`]), and the server's [`KeySet`]
//! with its ACTIVE / NEXT / EXPIRED keys, rotation (AUTO or MANUAL, [`RotationPolicy`]), the
//! public JWKS and the private storage form.
//!
//! Keys come from `keygen`, their JWKs from `jwk` and their prepared signers from `sign`; this
//! module keeps their lifecycle and the set's invariants (see [`KeySet::active`]).

use super::alg::Algorithm;
use super::error::KeyError;
use super::jwk::{JwkError, check_public_members, private_jwk, public_jwk, read_private_jwk};
use super::keygen::generate_pkey;
use super::sign::Signer;
use crate::config::RotationMode;
use chrono::{DateTime, TimeDelta, Utc};
use openssl::pkey::{PKey, Private};
use rand::CryptoRng;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::fmt;

/// Lifecycle state of a key (Okta's `status` in `credentials/keys`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum KeyStatus {
    /// Signs new tokens.
    Active,
    /// Published ahead of the next rotation; will become ACTIVE.
    Next,
    /// Retired; still published so that tokens it signed keep verifying, until dropped.
    Expired,
}

impl KeyStatus {
    /// Okta's name: `ACTIVE`, `NEXT`, `EXPIRED`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "ACTIVE",
            KeyStatus::Next => "NEXT",
            KeyStatus::Expired => "EXPIRED",
        }
    }
}

/// When keys are generated, rotated and dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationPolicy {
    /// AUTO mode: the ACTIVE key is replaced this long after it became active (90 days).
    pub rotation_period: TimeDelta,
    /// AUTO mode: the NEXT key is generated and published this long after the ACTIVE key became
    /// active (45 days), so that caches see it well before it signs anything.
    pub next_key_after: TimeDelta,
    /// Both modes: an EXPIRED key stays published (for verification only) this long after it
    /// expired, then is dropped (90 days, longer than any token lives).
    pub retention: TimeDelta,
}

impl Default for RotationPolicy {
    fn default() -> Self {
        RotationPolicy {
            rotation_period: TimeDelta::days(90),
            next_key_after: TimeDelta::days(45),
            retention: TimeDelta::days(90),
        }
    }
}

impl RotationPolicy {
    fn check(&self) -> Result<(), KeyError> {
        let zero = TimeDelta::zero();
        if self.rotation_period <= zero || self.next_key_after < zero || self.retention < zero {
            return Err(KeyError::InvalidPolicy(
                "periods must be positive".to_owned(),
            ));
        }
        if self.next_key_after >= self.rotation_period {
            return Err(KeyError::InvalidPolicy(
                "the next key must be generated before the rotation".to_owned(),
            ));
        }
        Ok(())
    }
}

/// One key pair with its lifecycle metadata and its prepared signer.
///
/// `Debug` shows the kid, algorithm, status and dates only; private parts are printed nowhere.
#[derive(Clone)]
pub struct SigningKey {
    alg: Algorithm,
    pkey: PKey<Private>,
    public: Map<String, Value>,
    signer: Signer,
    status: KeyStatus,
    created: DateTime<Utc>,
    activated: Option<DateTime<Utc>>,
    expired: Option<DateTime<Utc>>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid())
            .field("alg", &self.alg)
            .field("status", &self.status)
            .field("created", &self.created)
            .field("activated", &self.activated)
            .field("expired", &self.expired)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// The key id: the RFC 7638 SHA-256 thumbprint of the public key, base64url (43 chars).
    pub fn kid(&self) -> &str {
        self.signer.kid()
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// ACTIVE, NEXT or EXPIRED.
    pub fn status(&self) -> KeyStatus {
        self.status
    }

    /// When the key was generated.
    pub fn created(&self) -> DateTime<Utc> {
        self.created
    }

    /// When the key became ACTIVE, if it has.
    pub fn activated(&self) -> Option<DateTime<Utc>> {
        self.activated
    }

    /// When the key became EXPIRED, if it has.
    pub fn expired(&self) -> Option<DateTime<Utc>> {
        self.expired
    }

    /// The prepared signer of this key.
    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// The public JWK: `{kty, alg, kid, use: "sig", n, e}` or `{kty, alg, kid, use: "sig", crv,
    /// x[, y]}`.
    pub fn public_jwk(&self) -> Value {
        Value::Object(self.public.clone())
    }

    /// The key as Okta's `credentials/keys` lists it: the public JWK with `status` first.
    pub fn management_view(&self) -> Value {
        let mut m = Map::new();
        m.insert("status".into(), self.status.as_str().into());
        m.extend(self.public.clone());
        Value::Object(m)
    }

    fn generate(
        alg: Algorithm,
        now: DateTime<Utc>,
        status: KeyStatus,
        rng: &mut impl CryptoRng,
    ) -> Result<SigningKey, KeyError> {
        let pkey = generate_pkey(alg, rng)?;
        SigningKey::from_pkey(alg, pkey, status, now)
    }

    fn from_pkey(
        alg: Algorithm,
        pkey: PKey<Private>,
        status: KeyStatus,
        created: DateTime<Utc>,
    ) -> Result<SigningKey, KeyError> {
        let (kid, public) = public_jwk(alg, &pkey)?;
        let signer = Signer::prepare(kid, alg, &pkey)?;
        Ok(SigningKey {
            alg,
            pkey,
            public,
            signer,
            status,
            created,
            activated: (status == KeyStatus::Active).then_some(created),
            expired: None,
        })
    }

    /// The private JWK (public members plus `d` and, for RSA, the CRT parts).
    fn private_jwk(&self) -> Result<Map<String, Value>, KeyError> {
        private_jwk(self.alg, &self.pkey, &self.public)
    }
}

/// What [`KeySet::advance`] or [`KeySet::rotate`] changed; the host should store the key set
/// again (and refresh any JWKS cache) when the list is not empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyEvent {
    /// A new key was generated (as NEXT, or directly as ACTIVE).
    Generated {
        /// Its kid.
        kid: String,
        /// Its state.
        status: KeyStatus,
    },
    /// The ACTIVE key changed.
    Rotated {
        /// The key that became EXPIRED.
        expired: String,
        /// The key that became ACTIVE.
        active: String,
    },
    /// An EXPIRED key was dropped after its retention period.
    Dropped {
        /// Its kid.
        kid: String,
    },
}

/// The signing keys of one authorization server: exactly one ACTIVE key, at most one NEXT key,
/// and the EXPIRED keys still retained.
///
/// A `KeySet` is data the host stores: [`to_private_json`](KeySet::to_private_json) /
/// [`from_private_json`](KeySet::from_private_json) are the only ways private parts leave or
/// enter it, `Debug` prints kids and states only, and [`jwks`](KeySet::jwks) publishes public
/// parts only. Every key's signer is prepared when the set is generated or loaded.
///
/// Keys are generated from the caller's RNG, so a seeded RNG and a fixed clock give
/// byte-identical keys, kids and JWKS:
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use rand::SeedableRng;
/// use tokenmint::config::RotationMode;
/// use tokenmint::token::{Algorithm, KeySet};
///
/// let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
/// let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
/// let keys = KeySet::generate(Algorithm::EdDSA, RotationMode::Auto, now, &mut rng).unwrap();
/// let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
/// let again = KeySet::generate(Algorithm::EdDSA, RotationMode::Auto, now, &mut rng).unwrap();
/// assert_eq!(keys.jwks(), again.jwks());
/// assert_eq!(keys.active().kid().len(), 43);
/// ```
#[derive(Clone)]
pub struct KeySet {
    algorithm: Algorithm,
    mode: RotationMode,
    policy: RotationPolicy,
    created: DateTime<Utc>,
    last_rotated: DateTime<Utc>,
    /// ACTIVE first, then NEXT (if any), then EXPIRED keys, most recently expired first; never
    /// empty (see [`KeySet::active`] for how each mutation keeps this).
    keys: Vec<SigningKey>,
}

impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeySet")
            .field("algorithm", &self.algorithm)
            .field("rotation_mode", &self.mode)
            .field("policy", &self.policy)
            .field("created", &self.created)
            .field("last_rotated", &self.last_rotated)
            .field("keys", &self.keys)
            .finish()
    }
}

impl KeySet {
    /// Generates a key set with one ACTIVE key, with the default [`RotationPolicy`].
    pub fn generate(
        algorithm: Algorithm,
        mode: RotationMode,
        now: DateTime<Utc>,
        rng: &mut impl CryptoRng,
    ) -> Result<KeySet, KeyError> {
        KeySet::generate_with_policy(algorithm, mode, RotationPolicy::default(), now, rng)
    }

    /// Generates a key set for a configured server: the rotation mode is the configuration's
    /// `credentials.signing.rotationMode` (AUTO when absent, as Okta creates servers).
    pub fn generate_for(
        config: &crate::config::ServerConfig,
        algorithm: Algorithm,
        now: DateTime<Utc>,
        rng: &mut impl CryptoRng,
    ) -> Result<KeySet, KeyError> {
        let mode = config
            .authorization_server
            .credentials
            .as_ref()
            .and_then(|c| c.signing.as_ref())
            .and_then(|s| s.rotation_mode)
            .unwrap_or_default();
        KeySet::generate(algorithm, mode, now, rng)
    }

    /// Generates a key set with one ACTIVE key and the given policy.
    pub fn generate_with_policy(
        algorithm: Algorithm,
        mode: RotationMode,
        policy: RotationPolicy,
        now: DateTime<Utc>,
        rng: &mut impl CryptoRng,
    ) -> Result<KeySet, KeyError> {
        policy.check()?;
        let active = SigningKey::generate(algorithm, now, KeyStatus::Active, rng)?;
        Ok(KeySet {
            algorithm,
            mode,
            policy,
            created: now,
            last_rotated: now,
            keys: vec![active],
        })
    }

    /// The algorithm of newly generated keys.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Changes the algorithm of keys generated from now on (the NEXT key, if already generated,
    /// and the ACTIVE key keep theirs).
    pub fn set_algorithm(&mut self, algorithm: Algorithm) {
        self.algorithm = algorithm;
    }

    /// AUTO or MANUAL.
    pub fn rotation_mode(&self) -> RotationMode {
        self.mode
    }

    /// Switches the rotation mode. As in Okta, this doesn't change the active key; in AUTO mode
    /// the next rotation is due [`RotationPolicy::rotation_period`] after the last one.
    pub fn set_rotation_mode(&mut self, mode: RotationMode) {
        self.mode = mode;
    }

    /// The rotation policy.
    pub fn policy(&self) -> &RotationPolicy {
        &self.policy
    }

    /// When the set was generated.
    pub fn created(&self) -> DateTime<Utc> {
        self.created
    }

    /// When the ACTIVE key started signing.
    pub fn last_rotated(&self) -> DateTime<Utc> {
        self.last_rotated
    }

    /// When the next automatic rotation is due (AUTO only, as Okta's `nextRotation`).
    pub fn next_rotation(&self) -> Option<DateTime<Utc>> {
        match self.mode {
            RotationMode::Auto => self
                .last_rotated
                .checked_add_signed(self.policy.rotation_period),
            RotationMode::Manual => None,
        }
    }

    /// The ACTIVE key.
    pub fn active(&self) -> &SigningKey {
        // Invariant: `keys` is never empty and `keys[0]` is the ACTIVE key. `generate_with_policy`
        // starts with `vec![active]`; `from_private_json` refuses a set without exactly one
        // ACTIVE key and sorts it first; `rotate_inner` removes the NEXT and the ACTIVE key and
        // puts back the new ACTIVE key first; `generate_next` inserts at 1, after it; `prune`
        // drops EXPIRED keys only.
        #[allow(clippy::indexing_slicing)]
        &self.keys[0]
    }

    /// The prepared signer of the ACTIVE key: what signs new tokens.
    pub fn signer(&self) -> &Signer {
        self.active().signer()
    }

    /// The algorithms that sign or will sign tokens: the ACTIVE key's, then the NEXT key's if
    /// different (for discovery's `id_token_signing_alg_values_supported`).
    pub fn algorithms(&self) -> Vec<Algorithm> {
        let active = self.active().alg;
        let mut out = vec![active];
        if let Some(next) = self.next()
            && next.alg != active
        {
            out.push(next.alg);
        }
        out
    }

    /// The NEXT key, if generated.
    pub fn next(&self) -> Option<&SigningKey> {
        self.keys.iter().find(|k| k.status == KeyStatus::Next)
    }

    /// Every key: ACTIVE, NEXT, then retained EXPIRED keys (most recent first).
    pub fn keys(&self) -> &[SigningKey] {
        &self.keys
    }

    /// The key with this kid.
    pub fn key(&self, kid: &str) -> Option<&SigningKey> {
        self.keys.iter().find(|k| k.kid() == kid)
    }

    /// The public JWKS (`/v1/keys`): `{"keys": [...]}` with the ACTIVE, NEXT and retained
    /// EXPIRED keys, public members only (`kty, alg, kid, use, n, e` or `kty, alg, kid, use,
    /// crv, x[, y]`), no `status`.
    pub fn jwks(&self) -> Value {
        json!({"keys": self.keys.iter().map(SigningKey::public_jwk).collect::<Vec<_>>()})
    }

    /// The management view (`GET …/credentials/keys`): every key's public JWK with its
    /// `status`.
    pub fn management_keys(&self) -> Value {
        Value::Array(self.keys.iter().map(SigningKey::management_view).collect())
    }

    /// Okta's `credentials.signing` object: `{kid, rotationMode, lastRotated, nextRotation (AUTO
    /// only), use: "sig"}`, dates as RFC 3339 with milliseconds.
    pub fn signing_credentials(&self) -> Value {
        let mut m = Map::new();
        m.insert("kid".into(), self.active().kid().into());
        m.insert(
            "rotationMode".into(),
            match self.mode {
                RotationMode::Auto => "AUTO",
                RotationMode::Manual => "MANUAL",
            }
            .into(),
        );
        m.insert("lastRotated".into(), okta_time(self.last_rotated).into());
        if let Some(next) = self.next_rotation() {
            m.insert("nextRotation".into(), okta_time(next).into());
        }
        m.insert("use".into(), "sig".into());
        Value::Object(m)
    }

    /// Brings the set up to date at `now`: in AUTO mode rotates when
    /// [`next_rotation`](KeySet::next_rotation) has passed and generates the NEXT key once
    /// [`RotationPolicy::next_key_after`] has passed since the last rotation; in both modes drops
    /// EXPIRED keys older than [`RotationPolicy::retention`]. Call it before minting (or on a
    /// timer) and store the set again when the returned list is not empty.
    pub fn advance(
        &mut self,
        now: DateTime<Utc>,
        rng: &mut impl CryptoRng,
    ) -> Result<Vec<KeyEvent>, KeyError> {
        let mut events = Vec::new();
        if self.mode == RotationMode::Auto {
            if self.next_rotation().is_some_and(|due| now >= due) {
                self.rotate_inner(now, rng, &mut events)?;
            }
            let next_due = self
                .last_rotated
                .checked_add_signed(self.policy.next_key_after);
            if self.next().is_none() && next_due.is_some_and(|due| now >= due) {
                self.generate_next(now, rng, &mut events)?;
            }
        }
        self.prune(now, &mut events);
        Ok(events)
    }

    /// Rotates now (Okta's `keyRotate`), in either mode: the ACTIVE key becomes EXPIRED, the
    /// NEXT key (generated now if there is none) becomes ACTIVE, and in AUTO mode a new NEXT key
    /// is generated at once. EXPIRED keys past retention are dropped.
    pub fn rotate(
        &mut self,
        now: DateTime<Utc>,
        rng: &mut impl CryptoRng,
    ) -> Result<Vec<KeyEvent>, KeyError> {
        let mut events = Vec::new();
        self.rotate_inner(now, rng, &mut events)?;
        if self.mode == RotationMode::Auto {
            self.generate_next(now, rng, &mut events)?;
        }
        self.prune(now, &mut events);
        Ok(events)
    }

    fn rotate_inner(
        &mut self,
        now: DateTime<Utc>,
        rng: &mut impl CryptoRng,
        events: &mut Vec<KeyEvent>,
    ) -> Result<(), KeyError> {
        if self.next().is_none() {
            self.generate_next(now, rng, events)?;
        }
        let Some(pos) = self.keys.iter().position(|k| k.status == KeyStatus::Next) else {
            return Ok(());
        };
        let mut new_active = self.keys.remove(pos);
        let mut old = self.keys.remove(0);
        old.status = KeyStatus::Expired;
        old.expired = Some(now);
        new_active.status = KeyStatus::Active;
        new_active.activated = Some(now);
        events.push(KeyEvent::Rotated {
            expired: old.kid().to_owned(),
            active: new_active.kid().to_owned(),
        });
        // keys now holds only EXPIRED keys, most recent first.
        self.keys.insert(0, old);
        self.keys.insert(0, new_active);
        self.last_rotated = now;
        Ok(())
    }

    fn generate_next(
        &mut self,
        now: DateTime<Utc>,
        rng: &mut impl CryptoRng,
        events: &mut Vec<KeyEvent>,
    ) -> Result<(), KeyError> {
        let key = SigningKey::generate(self.algorithm, now, KeyStatus::Next, rng)?;
        if self.key(key.kid()).is_some() {
            return Err(KeyError::DuplicateKid(key.kid().to_owned()));
        }
        events.push(KeyEvent::Generated {
            kid: key.kid().to_owned(),
            status: KeyStatus::Next,
        });
        self.keys.insert(1, key);
        Ok(())
    }

    fn prune(&mut self, now: DateTime<Utc>, events: &mut Vec<KeyEvent>) {
        let retention = self.policy.retention;
        self.keys.retain(|k| {
            let drop = k.status == KeyStatus::Expired
                && k.expired
                    .and_then(|t| t.checked_add_signed(retention))
                    .is_some_and(|until| now >= until);
            if drop {
                events.push(KeyEvent::Dropped {
                    kid: k.kid().to_owned(),
                });
            }
            !drop
        });
    }

    /// The whole set, private parts included, as JSON for the host to store (encrypted at rest,
    /// ideally). The only way private key material leaves a `KeySet`.
    pub fn to_private_json(&self) -> Result<String, KeyError> {
        let keys = self
            .keys
            .iter()
            .map(|k| {
                Ok(StoredKey {
                    status: k.status,
                    created: k.created,
                    activated: k.activated,
                    expired: k.expired,
                    jwk: k.private_jwk()?,
                })
            })
            .collect::<Result<Vec<_>, KeyError>>()?;
        let stored = StoredKeySet {
            format: FORMAT.to_owned(),
            algorithm: self.algorithm,
            rotation_mode: self.mode,
            created: self.created,
            last_rotated: self.last_rotated,
            policy: StoredPolicy {
                rotation_period_seconds: self.policy.rotation_period.num_seconds(),
                next_key_after_seconds: self.policy.next_key_after.num_seconds(),
                retention_seconds: self.policy.retention.num_seconds(),
            },
            keys,
        };
        serde_json::to_string_pretty(&stored).map_err(|e| KeyError::Storage(e.to_string()))
    }

    /// Loads a set written by [`to_private_json`](KeySet::to_private_json), checking every key
    /// (consistent parts, kid = thumbprint, algorithm matches the key type, one ACTIVE key, at
    /// most one NEXT) and preparing the signers.
    pub fn from_private_json(text: &str) -> Result<KeySet, KeyError> {
        let stored: StoredKeySet =
            serde_json::from_str(text).map_err(|e| KeyError::Storage(e.to_string()))?;
        if stored.format != FORMAT {
            return Err(KeyError::Storage(format!(
                "unknown format {:?}, expected {FORMAT:?}",
                stored.format
            )));
        }
        let secs = |s: i64| {
            TimeDelta::try_seconds(s)
                .ok_or_else(|| KeyError::InvalidPolicy(format!("{s} seconds is out of range")))
        };
        let policy = RotationPolicy {
            rotation_period: secs(stored.policy.rotation_period_seconds)?,
            next_key_after: secs(stored.policy.next_key_after_seconds)?,
            retention: secs(stored.policy.retention_seconds)?,
        };
        policy.check()?;
        let mut keys = Vec::with_capacity(stored.keys.len());
        for (index, k) in stored.keys.into_iter().enumerate() {
            let invalid = |e: JwkError| KeyError::InvalidKey {
                index,
                reason: e.to_string(),
            };
            let (alg, pkey) = read_private_jwk(&k.jwk).map_err(invalid)?;
            let mut key = SigningKey::from_pkey(alg, pkey, k.status, k.created)?;
            check_public_members(&k.jwk, &key.public).map_err(invalid)?;
            if let Some(stored_kid) = k.jwk.get("kid")
                && stored_kid.as_str() != Some(key.kid())
            {
                return Err(KeyError::KidMismatch {
                    index,
                    stored: stored_kid.as_str().unwrap_or_default().to_owned(),
                    computed: key.kid().to_owned(),
                });
            }
            key.activated = k.activated;
            key.expired = k.expired;
            if keys.iter().any(|o: &SigningKey| o.kid() == key.kid()) {
                return Err(KeyError::DuplicateKid(key.kid().to_owned()));
            }
            keys.push(key);
        }
        let active = keys
            .iter()
            .filter(|k| k.status == KeyStatus::Active)
            .count();
        let next = keys.iter().filter(|k| k.status == KeyStatus::Next).count();
        if active != 1 || next > 1 {
            return Err(KeyError::KeyStates { active, next });
        }
        // Restore the invariant order: ACTIVE, NEXT, EXPIRED (most recent first).
        keys.sort_by_key(|k| match k.status {
            KeyStatus::Active => (0, None),
            KeyStatus::Next => (1, None),
            KeyStatus::Expired => (2, k.expired.map(std::cmp::Reverse)),
        });
        Ok(KeySet {
            algorithm: stored.algorithm,
            mode: stored.rotation_mode,
            policy,
            created: stored.created,
            last_rotated: stored.last_rotated,
            keys,
        })
    }
}

/// Okta's date format: `2017-05-17T22:25:57.000Z`.
fn okta_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

const FORMAT: &str = "tokenmint.keyset.v1";

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StoredKeySet {
    format: String,
    algorithm: Algorithm,
    rotation_mode: RotationMode,
    created: DateTime<Utc>,
    last_rotated: DateTime<Utc>,
    policy: StoredPolicy,
    keys: Vec<StoredKey>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StoredPolicy {
    rotation_period_seconds: i64,
    next_key_after_seconds: i64,
    retention_seconds: i64,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StoredKey {
    status: KeyStatus,
    created: DateTime<Utc>,
    #[serde(default)]
    activated: Option<DateTime<Utc>>,
    #[serde(default)]
    expired: Option<DateTime<Utc>>,
    jwk: Map<String, Value>,
}
