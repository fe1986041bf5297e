//! Encrypted access tokens (nested JWTs, RFC 7516 + RFC 7519 §5.2): the server side picks the
//! resource server's encryption key once ([`EncryptionKey::select`]) and wraps each signed
//! token in a compact JWE ([`EncryptionKey::encrypt`]); the resource server holds the private
//! half ([`DecryptionKey`]) and [`decrypt`]s before verifying (see
//! [`verify_encrypted`](super::verify_encrypted)).
//!
//! The JWE is always `alg` RSA-OAEP-256/384/512 ([`KeyEncryption`], Okta's
//! `accessTokenEncryptedResponseAlgorithm`), `enc` A256GCM, `cty` `JWT`, and the recipient
//! key's `kid`, in that header order. Every random input — the content-encryption key (32
//! bytes), the GCM IV (12 bytes) and the seed of the OAEP padding — comes from the caller's
//! RNG, so equal inputs give byte-identical tokens: OAEP padding is done by the RustCrypto
//! `rsa` crate (OpenSSL draws the OAEP seed from its own generator, which no API reaches), and
//! AES-GCM by OpenSSL. Decryption is all OpenSSL.

use super::alg::Algorithm;
use super::jwk::{JwkError, private_jwk, rsa_pkey_from_private_jwk, thumbprint};
use super::keygen::generate_pkey;
use super::util::{b64url, b64url_append, b64url_decode};
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Padding;
use openssl::symm::Cipher;
use rand::CryptoRng;
use serde_json::{Map, Value, json};
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// Longest JWS [`EncryptionKey::encrypt`] takes and longest JWE [`decrypt`] reads: the
/// verifier's [`MAX_TOKEN_LEN`](super::MAX_TOKEN_LEN) (64 KiB).
const MAX_LEN: usize = 64 * 1024;

/// Most keys read from a JWKS by [`EncryptionKey::select`].
pub const MAX_ENCRYPTION_KEYS: usize = 100;

/// The only content encryption: AES-256 in Galois/Counter Mode.
const ENC: &str = "A256GCM";
/// Key, IV and tag sizes of A256GCM (RFC 7518 §5.3).
const CEK_LEN: usize = 32;
const IV_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// A JWE key-management algorithm of Okta's `accessTokenEncryptedResponseAlgorithm`: RSAES
/// OAEP with SHA-256, SHA-384 or SHA-512 (the same hash for MGF1, RFC 7518 §4.3 and the JOSE
/// registry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyEncryption {
    /// `RSA-OAEP-256`.
    RsaOaep256,
    /// `RSA-OAEP-384`.
    RsaOaep384,
    /// `RSA-OAEP-512`.
    RsaOaep512,
}

impl KeyEncryption {
    /// All three, in this order.
    pub const ALL: [KeyEncryption; 3] = [
        KeyEncryption::RsaOaep256,
        KeyEncryption::RsaOaep384,
        KeyEncryption::RsaOaep512,
    ];

    /// The JWE name (`RSA-OAEP-256`, …), as Okta's configuration writes it.
    pub fn name(self) -> &'static str {
        match self {
            KeyEncryption::RsaOaep256 => "RSA-OAEP-256",
            KeyEncryption::RsaOaep384 => "RSA-OAEP-384",
            KeyEncryption::RsaOaep512 => "RSA-OAEP-512",
        }
    }

    fn digest(self) -> MessageDigest {
        match self {
            KeyEncryption::RsaOaep256 => MessageDigest::sha256(),
            KeyEncryption::RsaOaep384 => MessageDigest::sha384(),
            KeyEncryption::RsaOaep512 => MessageDigest::sha512(),
        }
    }

    /// OAEP-encrypts `cek` with the RustCrypto `rsa` crate, its padding seed from `rng`.
    fn wrap(
        self,
        key: &rsa::PublicKey,
        cek: &[u8],
        rng: &mut impl CryptoRng,
    ) -> Result<Vec<u8>, EncryptError> {
        use rand_chacha_010::ChaCha20Rng as Chacha010;
        use rand_chacha_010::rand_core::SeedableRng as _;
        use rsa::Oaep;
        use rsa::sha2::{Sha256, Sha384, Sha512};
        // `rsa` draws from rand_core 0.10; a ChaCha20 seeded from the caller's RNG bridges.
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        let mut bridge = Chacha010::from_seed(seed);
        let wrapped = match self {
            KeyEncryption::RsaOaep256 => key.encrypt(&mut bridge, Oaep::<Sha256>::new(), cek),
            KeyEncryption::RsaOaep384 => key.encrypt(&mut bridge, Oaep::<Sha384>::new(), cek),
            KeyEncryption::RsaOaep512 => key.encrypt(&mut bridge, Oaep::<Sha512>::new(), cek),
        };
        wrapped.map_err(|e| EncryptError::Crypto(format!("RSA-OAEP encryption failed: {e}")))
    }
}

impl fmt::Display for KeyEncryption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for KeyEncryption {
    type Err = EncryptError;

    /// Parses a JWE name exactly (`RSA-OAEP-256`, `RSA-OAEP-384`, `RSA-OAEP-512`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KeyEncryption::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| EncryptError::UnknownAlgorithm(s.to_owned()))
    }
}

/// The resource server's public encryption key, chosen from the server's `jwks` once (at
/// configuration load) and ready to encrypt: the key is parsed and the JWE header encoded
/// here, so that [`EncryptionKey::encrypt`] does no parsing per token.
///
/// ```
/// use rand::SeedableRng;
/// use tokenmint::token::{DecryptionKey, EncryptionKey, KeyEncryption, decrypt};
///
/// let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
/// // The resource server makes its key pair and gives the public JWKS to the server's config.
/// let rs_key = DecryptionKey::generate(KeyEncryption::RsaOaep256, &mut rng)?;
/// let jwks = rs_key.public_jwks();
///
/// // Server side, once: the key the configuration names; then per token.
/// let key = EncryptionKey::select(&jwks, KeyEncryption::RsaOaep256)?;
/// let jws = "eyJraWQiOiJrMSIsImFsZyI6IlJTMjU2In0.eyJzdWIiOiJhbm4ifQ.c2ln";
/// let jwe = key.encrypt(jws, &mut rng)?;
/// assert_eq!(jwe.split('.').count(), 5);
///
/// // Resource server: the JWS comes back (then verify it as usual).
/// assert_eq!(decrypt(&jwe, std::slice::from_ref(&rs_key))?.jws, jws);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct EncryptionKey {
    kid: String,
    alg: KeyEncryption,
    index: usize,
    public: rsa::PublicKey,
    /// base64url of `{"alg", "enc", "cty", "kid"}`.
    header_b64: String,
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptionKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

/// Whether a JWK is a candidate encryption key for `alg`, and why not.
enum Candidate {
    Yes,
    No(&'static str),
}

fn candidate(map: &Map<String, Value>, alg: KeyEncryption) -> Result<Candidate, &'static str> {
    let string = |name: &str| match map.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(name_not_string(name)),
    };
    let use_ = string("use")?;
    let key_alg = string("alg")?;
    Ok(match (use_, key_alg) {
        (Some(u), _) if u != "enc" => Candidate::No("its \"use\" is not \"enc\""),
        (_, Some(a)) if a != alg.name() => Candidate::No("its \"alg\" is another algorithm"),
        (None, None) => Candidate::No("it has neither \"use\": \"enc\" nor a matching \"alg\""),
        _ if string("kty")? != Some("RSA") => Candidate::No("it is not an RSA key"),
        _ => Candidate::Yes,
    })
}

fn name_not_string(name: &str) -> &'static str {
    match name {
        "use" => "\"use\" is not a string",
        "alg" => "\"alg\" is not a string",
        "kid" => "\"kid\" is not a string",
        _ => "\"kty\" is not a string",
    }
}

/// Members that only a private key has (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

impl EncryptionKey {
    /// Picks the encryption key for `alg` from a JWKS (the server's `jwks`, the resource
    /// server's public keys) and prepares it.
    ///
    /// The rule, for each entry of `keys` in order:
    /// 1. an entry that is not an object, or has a private member (`d`, `p`, `q`, `dp`, `dq`,
    ///    `qi`, `oth`, `k`), fails the whole JWKS ([`EncryptError::InvalidKey`],
    ///    [`EncryptError::PrivateKey`]): a configuration holds public keys only;
    /// 2. it is a **candidate** if its `use` is `enc` or absent, its `alg` is `alg` or absent,
    ///    at least one of the two is present (`use: "enc"` or `alg` matching — a key with
    ///    neither says nothing about encryption), and its `kty` is `RSA`. So a `use: "sig"` key,
    ///    a key whose `alg` names another algorithm (`RSA-OAEP`, `RS256`, another OAEP hash),
    ///    and EC, OKP or `oct` keys are never candidates; they are reported in
    ///    [`EncryptError::NoUsableKey`] with the reason;
    /// 3. a candidate must be usable — `n` and `e` unpadded base64url, a modulus of 2048 to
    ///    8192 bits, an odd public exponent — or the JWKS fails ([`EncryptError::InvalidKey`]):
    ///    a key meant for encryption that can't be used is an error, never skipped silently;
    /// 4. exactly one candidate must remain: none is [`EncryptError::NoUsableKey`], several are
    ///    [`EncryptError::AmbiguousKey`] (the configuration, not the order of a list, says
    ///    which key tokens are encrypted to).
    ///
    /// The JWE `kid` is the key's `kid`, or its RFC 7638 thumbprint when it has none. Errors
    /// carry the index of the key in `keys` ([`EncryptError::key_index`]) so that a
    /// configuration check can point at `/jwks/keys/<index>`.
    pub fn select(jwks: &Value, alg: KeyEncryption) -> Result<EncryptionKey, EncryptError> {
        let Some(Value::Array(keys)) = jwks.as_object().and_then(|o| o.get("keys")) else {
            return Err(EncryptError::JwksShape);
        };
        if keys.len() > MAX_ENCRYPTION_KEYS {
            return Err(EncryptError::TooManyKeys {
                count: keys.len(),
                max: MAX_ENCRYPTION_KEYS,
            });
        }
        let mut chosen: Option<EncryptionKey> = None;
        let mut others: Vec<String> = Vec::new();
        let mut skipped: Vec<String> = Vec::new();
        for (index, jwk) in keys.iter().enumerate() {
            let invalid = |reason: &str| EncryptError::InvalidKey {
                index,
                reason: reason.to_owned(),
            };
            let Value::Object(map) = jwk else {
                return Err(invalid("not a JSON object"));
            };
            if let Some(member) = PRIVATE_MEMBERS.into_iter().find(|m| map.contains_key(*m)) {
                return Err(EncryptError::PrivateKey { index, member });
            }
            match candidate(map, alg).map_err(invalid)? {
                Candidate::No(why) => {
                    let kid = map.get("kid").and_then(Value::as_str).unwrap_or("-");
                    skipped.push(format!("#{index} (kid {kid:?}): {why}"));
                }
                Candidate::Yes => {
                    let key = EncryptionKey::prepare(index, map, alg)?;
                    match &chosen {
                        None => chosen = Some(key),
                        Some(first) => {
                            if others.is_empty() {
                                others.push(first.kid.clone());
                            }
                            others.push(key.kid);
                        }
                    }
                }
            }
        }
        if !others.is_empty() {
            return Err(EncryptError::AmbiguousKey { alg, kids: others });
        }
        chosen.ok_or(EncryptError::NoUsableKey { alg, skipped })
    }

    /// [`EncryptionKey::select`] from JWKS text (at most 1 MiB, like a verifier's JWKS).
    pub fn select_json(jwks_json: &str, alg: KeyEncryption) -> Result<EncryptionKey, EncryptError> {
        if jwks_json.len() > super::MAX_JWKS_LEN {
            return Err(EncryptError::JwksJson(format!(
                "the JWKS is {} bytes, more than the {} accepted",
                jwks_json.len(),
                super::MAX_JWKS_LEN
            )));
        }
        let value: Value =
            serde_json::from_str(jwks_json).map_err(|e| EncryptError::JwksJson(e.to_string()))?;
        EncryptionKey::select(&value, alg)
    }

    fn prepare(
        index: usize,
        map: &Map<String, Value>,
        alg: KeyEncryption,
    ) -> Result<EncryptionKey, EncryptError> {
        let invalid = |reason: String| EncryptError::InvalidKey { index, reason };
        let member = |name: &'static str| -> Result<(&str, Vec<u8>), EncryptError> {
            let Some(Value::String(text)) = map.get(name) else {
                return Err(invalid(format!("no {name:?} string")));
            };
            let bytes =
                b64url_decode(text).ok_or_else(|| invalid(format!("{name:?} is not base64url")))?;
            Ok((text.as_str(), bytes))
        };
        let (n_text, n) = member("n")?;
        let (e_text, e) = member("e")?;
        let n_big = BigNum::from_slice(&n).map_err(|e| invalid(e.to_string()))?;
        let e_big = BigNum::from_slice(&e).map_err(|e| invalid(e.to_string()))?;
        let bits = n_big.num_bits();
        if !(2048..=8192).contains(&bits) {
            return Err(invalid(format!(
                "the modulus has {bits} bits; 2048 to 8192 are accepted"
            )));
        }
        if !e_big.is_bit_set(0) || e_big.num_bits() < 2 || e_big.num_bits() > 33 {
            return Err(invalid(
                "the public exponent is not an odd number from 3 to 2^33".into(),
            ));
        }
        let public = rsa::PublicKey::new(
            rsa::BoxedUint::from_be_slice_vartime(&n),
            rsa::BoxedUint::from_be_slice_vartime(&e),
        )
        .map_err(|e| invalid(e.to_string()))?;
        let kid = match map.get("kid") {
            Some(Value::String(kid)) if !kid.is_empty() => kid.clone(),
            Some(Value::String(_)) => return Err(invalid("\"kid\" is empty".into())),
            Some(_) => return Err(invalid("\"kid\" is not a string".into())),
            None => thumbprint(&json!({"e": e_text, "kty": "RSA", "n": n_text})),
        };
        let mut header = Map::new();
        header.insert("alg".into(), alg.name().into());
        header.insert("enc".into(), ENC.into());
        header.insert("cty".into(), "JWT".into());
        header.insert("kid".into(), kid.clone().into());
        let header_b64 = b64url(Value::Object(header).to_string().as_bytes());
        Ok(EncryptionKey {
            kid,
            alg,
            index,
            public,
            header_b64,
        })
    }

    /// The `kid` written into every JWE header.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The key-management algorithm.
    pub fn algorithm(&self) -> KeyEncryption {
        self.alg
    }

    /// Where the key is in the JWKS's `keys`.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The protected header every token gets: `{"alg", "enc": "A256GCM", "cty": "JWT", "kid"}`.
    pub fn header(&self) -> Map<String, Value> {
        let mut header = Map::new();
        header.insert("alg".into(), self.alg.name().into());
        header.insert("enc".into(), ENC.into());
        header.insert("cty".into(), "JWT".into());
        header.insert("kid".into(), self.kid.clone().into());
        header
    }

    /// Encrypts a signed compact JWS into a compact JWE (nested JWT). The content-encryption
    /// key, the IV and the OAEP seed are drawn from `rng`, in that order: a seeded RNG gives
    /// the same bytes every time.
    ///
    /// The input must look like a compact JWS — three base64url segments, at most 64 KiB —
    /// or [`EncryptError::NotJws`] / [`EncryptError::TooLarge`]; its signature is not checked.
    pub fn encrypt(&self, jws: &str, rng: &mut impl CryptoRng) -> Result<String, EncryptError> {
        if jws.len() > MAX_LEN {
            return Err(EncryptError::TooLarge {
                len: jws.len(),
                max: MAX_LEN,
            });
        }
        let jws_shaped = jws.split('.').count() == 3
            && jws
                .bytes()
                .all(|b| b == b'.' || b == b'-' || b == b'_' || b.is_ascii_alphanumeric());
        if !jws_shaped {
            return Err(EncryptError::NotJws);
        }
        let mut cek = [0u8; CEK_LEN];
        let mut iv = [0u8; IV_LEN];
        rng.fill_bytes(&mut cek);
        rng.fill_bytes(&mut iv);
        let wrapped = self.alg.wrap(&self.public, &cek, rng);
        let mut tag = [0u8; TAG_LEN];
        let sealed = openssl::symm::encrypt_aead(
            Cipher::aes_256_gcm(),
            &cek,
            Some(&iv),
            self.header_b64.as_bytes(),
            jws.as_bytes(),
            &mut tag,
        );
        cek.fill(0);
        let wrapped = wrapped?;
        let ciphertext =
            sealed.map_err(|e| EncryptError::Crypto(format!("AES-GCM encryption failed: {e}")))?;
        let mut out = Vec::with_capacity(
            self.header_b64.len()
                + (wrapped.len() + ciphertext.len() + IV_LEN + TAG_LEN) * 4 / 3
                + 8,
        );
        out.extend_from_slice(self.header_b64.as_bytes());
        let too_long = || EncryptError::TooLarge {
            len: jws.len(),
            max: MAX_LEN,
        };
        for part in [&wrapped[..], &iv[..], &ciphertext[..], &tag[..]] {
            out.push(b'.');
            b64url_append(part, &mut out).ok_or_else(too_long)?;
        }
        String::from_utf8(out).map_err(|e| EncryptError::Crypto(e.to_string()))
    }
}

/// A resource server's private RSA key for decrypting nested JWTs.
///
/// Its public half goes into the authorization server's `jwks`
/// ([`DecryptionKey::public_jwks`]); the private form ([`DecryptionKey::to_private_jwk`]) is
/// the resource server's secret. `Debug` shows the kid and algorithm only.
#[derive(Clone)]
pub struct DecryptionKey {
    kid: String,
    alg: KeyEncryption,
    pkey: PKey<Private>,
    public: Map<String, Value>,
}

impl fmt::Debug for DecryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecryptionKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl DecryptionKey {
    /// Generates an RSA 2048 key pair from the caller's RNG (the same RNG gives the same key),
    /// for `alg`; its kid is its RFC 7638 thumbprint.
    pub fn generate(
        alg: KeyEncryption,
        rng: &mut impl CryptoRng,
    ) -> Result<DecryptionKey, EncryptError> {
        let pkey = generate_pkey(Algorithm::RS256, rng)
            .map_err(|e| EncryptError::Crypto(e.to_string()))?;
        DecryptionKey::from_pkey(alg, pkey, None)
    }

    /// Loads a private RSA JWK (`kty: "RSA"`, `n`, `e`, `d`, `p`, `q`, `dp`, `dq`, `qi`; a
    /// modulus of 2048 bits or more). Its `alg` must be an RSA-OAEP algorithm of
    /// [`KeyEncryption`] and its `use`, if present, `enc`; its `kid` is kept, or the thumbprint
    /// is used.
    pub fn from_jwk(jwk: &Value) -> Result<DecryptionKey, EncryptError> {
        let invalid = |reason: String| EncryptError::InvalidKey { index: 0, reason };
        let Value::Object(map) = jwk else {
            return Err(invalid("not a JSON object".into()));
        };
        if map.get("kty").and_then(Value::as_str) != Some("RSA") {
            return Err(invalid("\"kty\" is not \"RSA\"".into()));
        }
        match map.get("use") {
            None => {}
            Some(Value::String(u)) if u == "enc" => {}
            Some(_) => return Err(invalid("\"use\" is not \"enc\"".into())),
        }
        let alg: KeyEncryption = match map.get("alg") {
            Some(Value::String(a)) => a.parse()?,
            _ => return Err(invalid("no \"alg\" string".into())),
        };
        let pkey = rsa_pkey_from_private_jwk(map).map_err(|e: JwkError| invalid(e.to_string()))?;
        let kid = match map.get("kid") {
            None => None,
            Some(Value::String(k)) if !k.is_empty() => Some(k.clone()),
            Some(_) => return Err(invalid("\"kid\" is not a non-empty string".into())),
        };
        DecryptionKey::from_pkey(alg, pkey, kid)
    }

    fn from_pkey(
        alg: KeyEncryption,
        pkey: PKey<Private>,
        kid: Option<String>,
    ) -> Result<DecryptionKey, EncryptError> {
        let crypto = |e: openssl::error::ErrorStack| EncryptError::Crypto(e.to_string());
        let rsa = pkey.rsa().map_err(crypto)?;
        let n = b64url(&rsa.n().to_vec());
        let e = b64url(&rsa.e().to_vec());
        let kid = kid.unwrap_or_else(|| thumbprint(&json!({"e": e, "kty": "RSA", "n": n})));
        let mut public = Map::new();
        public.insert("kty".into(), "RSA".into());
        public.insert("use".into(), "enc".into());
        public.insert("alg".into(), alg.name().into());
        public.insert("kid".into(), kid.clone().into());
        public.insert("n".into(), n.into());
        public.insert("e".into(), e.into());
        Ok(DecryptionKey {
            kid,
            alg,
            pkey,
            public,
        })
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The key-management algorithm the key is for.
    pub fn algorithm(&self) -> KeyEncryption {
        self.alg
    }

    /// The public JWK: `{"kty": "RSA", "use": "enc", "alg", "kid", "n", "e"}`.
    pub fn public_jwk(&self) -> Value {
        Value::Object(self.public.clone())
    }

    /// `{"keys": [public JWK]}`: what the authorization server's `jwks` holds.
    pub fn public_jwks(&self) -> Value {
        json!({ "keys": [self.public_jwk()] })
    }

    /// The private JWK (public members plus `d` and the CRT parts): the resource server's
    /// secret, loaded again with [`DecryptionKey::from_jwk`].
    pub fn to_private_jwk(&self) -> Result<Value, EncryptError> {
        private_jwk(Algorithm::RS256, &self.pkey, &self.public)
            .map(Value::Object)
            .map_err(|e| EncryptError::Crypto(e.to_string()))
    }

    /// OAEP-decrypts a wrapped key; `None` on any failure (wrong key, tampered bytes).
    fn unwrap_key(&self, wrapped: &[u8]) -> Option<Vec<u8>> {
        let mut d = openssl::encrypt::Decrypter::new(&self.pkey).ok()?;
        d.set_rsa_padding(Padding::PKCS1_OAEP).ok()?;
        d.set_rsa_oaep_md(self.alg.digest()).ok()?;
        d.set_rsa_mgf1_md(self.alg.digest()).ok()?;
        let mut out = vec![0u8; d.decrypt_len(wrapped).ok()?];
        let len = d.decrypt(wrapped, &mut out).ok()?;
        out.truncate(len);
        Some(out)
    }
}

/// A decrypted nested JWT.
#[derive(Debug, Clone, PartialEq)]
pub struct Decrypted {
    /// The JWE protected header.
    pub header: Map<String, Value>,
    /// The signed compact JWS inside (verify it next).
    pub jws: String,
    /// The kid of the key that decrypted it.
    pub kid: String,
}

/// Decrypts a compact JWE made by [`EncryptionKey::encrypt`] (or any RSA-OAEP-256/384/512 +
/// A256GCM nested JWT) with the resource server's keys, and returns the JWS inside, unverified.
///
/// Checked, in order (each failure its own [`DecryptError`]): at most 64 KiB; five segments
/// (three is [`DecryptError::NotEncrypted`]: a plain JWS where an encrypted token is
/// required); a JSON object header; `alg` one of the RSA-OAEP algorithms; `enc` `A256GCM`; no
/// `zip` (compression is refused: it leaks through lengths and costs memory); no `crit`; `cty`
/// `JWT` (ignoring ASCII case); the key by `kid` (without a `kid`, the only key) and its
/// algorithm equal to `alg`; each segment unpadded base64url, a 12-byte IV and a 16-byte tag;
/// then decryption. A wrapped key that doesn't decrypt and a ciphertext that fails
/// authentication are one error, [`DecryptError::Undecryptable`]: as RFC 7516 §11.5 asks, the
/// two are not told apart (a random key stands in for one that doesn't unwrap). Last, the
/// plaintext must be a compact JWS.
pub fn decrypt(jwe: &str, keys: &[DecryptionKey]) -> Result<Decrypted, DecryptError> {
    if jwe.len() > MAX_LEN {
        return Err(DecryptError::TooLarge {
            len: jwe.len(),
            max: MAX_LEN,
        });
    }
    let mut parts = jwe.split('.');
    let (Some(h64), Some(ek64), Some(iv64), Some(ct64), Some(tag64), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        let count = jwe.split('.').count();
        return Err(if count == 3 {
            DecryptError::NotEncrypted
        } else {
            DecryptError::SegmentCount(count)
        });
    };
    let header_bytes = b64url_decode(h64).ok_or(DecryptError::Base64("header"))?;
    let header: Value = serde_json::from_slice(&header_bytes)
        .map_err(|e| DecryptError::HeaderJson(e.to_string()))?;
    let Value::Object(header) = header else {
        return Err(DecryptError::HeaderNotObject);
    };
    let alg_name = match header.get("alg") {
        Some(Value::String(a)) => a.as_str(),
        _ => return Err(DecryptError::MissingAlgorithm),
    };
    let alg: KeyEncryption = alg_name
        .parse()
        .map_err(|_| DecryptError::UnsupportedAlgorithm(alg_name.to_owned()))?;
    match header.get("enc") {
        Some(Value::String(e)) if e == ENC => {}
        Some(Value::String(e)) => return Err(DecryptError::UnsupportedEncryption(e.clone())),
        _ => return Err(DecryptError::MissingEncryption),
    }
    if header.contains_key("zip") {
        return Err(DecryptError::Compressed);
    }
    if header.contains_key("crit") {
        return Err(DecryptError::CriticalHeader);
    }
    match header.get("cty") {
        Some(Value::String(c)) if c.eq_ignore_ascii_case("JWT") => {}
        other => {
            return Err(DecryptError::ContentType(
                other.map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)),
            ));
        }
    }
    let key = match header.get("kid") {
        Some(Value::String(kid)) => keys
            .iter()
            .find(|k| k.kid == *kid)
            .ok_or_else(|| DecryptError::UnknownKid(kid.clone()))?,
        Some(_) => return Err(DecryptError::MissingKid),
        None => match keys {
            [only] => only,
            _ => return Err(DecryptError::MissingKid),
        },
    };
    if key.alg != alg {
        return Err(DecryptError::KeyAlgorithmMismatch {
            kid: key.kid.clone(),
            key_alg: key.alg,
            token_alg: alg,
        });
    }
    let wrapped = b64url_decode(ek64).ok_or(DecryptError::Base64("encrypted key"))?;
    let iv = b64url_decode(iv64).ok_or(DecryptError::Base64("IV"))?;
    let ciphertext = b64url_decode(ct64).ok_or(DecryptError::Base64("ciphertext"))?;
    let tag = b64url_decode(tag64).ok_or(DecryptError::Base64("tag"))?;
    if iv.len() != IV_LEN {
        return Err(DecryptError::IvLength(iv.len()));
    }
    if tag.len() != TAG_LEN {
        return Err(DecryptError::TagLength(tag.len()));
    }
    let cek = match key.unwrap_key(&wrapped) {
        Some(cek) if cek.len() == CEK_LEN => cek,
        _ => {
            // RFC 7516 §11.5: carry on with a random key, so that a key that doesn't unwrap
            // fails exactly like a ciphertext that doesn't authenticate.
            let mut random = vec![0u8; CEK_LEN];
            openssl::rand::rand_bytes(&mut random).map_err(|_| DecryptError::Undecryptable)?;
            random
        }
    };
    let plaintext = openssl::symm::decrypt_aead(
        Cipher::aes_256_gcm(),
        &cek,
        Some(&iv),
        h64.as_bytes(),
        &ciphertext,
        &tag,
    )
    .map_err(|_| DecryptError::Undecryptable)?;
    let jws = String::from_utf8(plaintext).map_err(|_| DecryptError::NotJws)?;
    if jws.split('.').count() != 3 {
        return Err(DecryptError::NotJws);
    }
    Ok(Decrypted {
        header,
        jws,
        kid: key.kid.clone(),
    })
}

/// The encryption key of a configuration can't be chosen or prepared, or a token can't be
/// encrypted. Messages never contain key material.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EncryptError {
    /// Not one of `RSA-OAEP-256`, `RSA-OAEP-384`, `RSA-OAEP-512`.
    #[error(
        "unsupported access-token encryption algorithm {0:?} (supported: RSA-OAEP-256, RSA-OAEP-384, RSA-OAEP-512)"
    )]
    UnknownAlgorithm(String),
    /// The JWKS text is not JSON (or is too large).
    #[error("the encryption JWKS is not valid JSON: {0}")]
    JwksJson(String),
    /// Not an object with a `keys` array.
    #[error("the encryption JWKS must be an object with a \"keys\" array")]
    JwksShape,
    /// More keys than [`MAX_ENCRYPTION_KEYS`].
    #[error("the encryption JWKS has {count} keys, more than the {max} accepted")]
    TooManyKeys {
        /// Keys in the JWKS.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A key has a private member: the configuration must hold public keys only.
    #[error(
        "encryption key #{index} has the private member {member:?}; publish the public key only"
    )]
    PrivateKey {
        /// Position in `keys`.
        index: usize,
        /// The private member found.
        member: &'static str,
    },
    /// A key meant for this algorithm can't be used.
    #[error("encryption key #{index} is unusable: {reason}")]
    InvalidKey {
        /// Position in `keys`.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// No key is for this algorithm.
    #[error("no key in the JWKS can encrypt with {alg}{}", skipped_text(.skipped))]
    NoUsableKey {
        /// The configured algorithm.
        alg: KeyEncryption,
        /// Each key that was not a candidate, and why.
        skipped: Vec<String>,
    },
    /// More than one key is for this algorithm.
    #[error("several keys in the JWKS can encrypt with {alg} (kids {kids:?}); keep one")]
    AmbiguousKey {
        /// The configured algorithm.
        alg: KeyEncryption,
        /// Their kids.
        kids: Vec<String>,
    },
    /// The input to encrypt is longer than 64 KiB.
    #[error("the token is {len} bytes, more than the {max} that can be encrypted")]
    TooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The input to encrypt is not a compact JWS.
    #[error("only a compact JWS (three base64url segments) is encrypted")]
    NotJws,
    /// The cryptographic library failed.
    #[error("{0}")]
    Crypto(String),
}

fn skipped_text(skipped: &[String]) -> String {
    if skipped.is_empty() {
        " (it has no keys)".to_owned()
    } else {
        format!(" (not candidates: {})", skipped.join("; "))
    }
}

impl EncryptError {
    /// The position in the JWKS's `keys` of the key the error is about, if one.
    pub fn key_index(&self) -> Option<usize> {
        match self {
            EncryptError::PrivateKey { index, .. } | EncryptError::InvalidKey { index, .. } => {
                Some(*index)
            }
            _ => None,
        }
    }
}

/// Why a nested JWT could not be decrypted. Every check has its own variant, but a wrong key
/// and a tampered ciphertext are one ([`DecryptError::Undecryptable`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DecryptError {
    /// Longer than 64 KiB; nothing was decoded.
    #[error("token is {len} bytes, more than the {max} accepted")]
    TooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A plain JWS (three segments) where an encrypted token is required.
    #[error("the token is not encrypted (a JWS, where a JWE is required)")]
    NotEncrypted,
    /// A compact JWE has exactly five segments.
    #[error("token has {0} segments, expected 5 (header.key.iv.ciphertext.tag)")]
    SegmentCount(usize),
    /// A segment is not unpadded base64url.
    #[error("the JWE {0} is not base64url")]
    Base64(&'static str),
    /// The header is not JSON.
    #[error("the JWE header is not JSON: {0}")]
    HeaderJson(String),
    /// The header is JSON but not an object.
    #[error("the JWE header is not a JSON object")]
    HeaderNotObject,
    /// No `alg` string.
    #[error("the JWE header has no \"alg\" string")]
    MissingAlgorithm,
    /// An `alg` other than RSA-OAEP-256/384/512 (`RSA1_5`, `RSA-OAEP`, `dir`, ECDH, …).
    #[error("unsupported JWE alg {0:?} (accepted: RSA-OAEP-256, RSA-OAEP-384, RSA-OAEP-512)")]
    UnsupportedAlgorithm(String),
    /// No `enc` string.
    #[error("the JWE header has no \"enc\" string")]
    MissingEncryption,
    /// An `enc` other than A256GCM.
    #[error("unsupported JWE enc {0:?} (accepted: A256GCM)")]
    UnsupportedEncryption(String),
    /// A `zip` member: compressed tokens are refused.
    #[error("compressed JWE (\"zip\") is not accepted")]
    Compressed,
    /// A `crit` member; no extension is understood.
    #[error("the JWE header has \"crit\"; no critical extension is supported")]
    CriticalHeader,
    /// `cty` absent or not `JWT`: not a nested JWT.
    #[error("the JWE cty is {0:?}, expected \"JWT\" (a nested JWT)")]
    ContentType(Option<String>),
    /// No `kid` (or not a string), and not exactly one key to try.
    #[error("the JWE header has no \"kid\" string and there is not exactly one key")]
    MissingKid,
    /// No decryption key has the header's `kid`.
    #[error("no decryption key with kid {0:?}")]
    UnknownKid(String),
    /// The key with that `kid` is for another algorithm.
    #[error("decryption key {kid:?} is for {key_alg}, the token says {token_alg}")]
    KeyAlgorithmMismatch {
        /// The key id.
        kid: String,
        /// The key's algorithm.
        key_alg: KeyEncryption,
        /// The header's `alg`.
        token_alg: KeyEncryption,
    },
    /// The IV is not 12 bytes.
    #[error("the JWE IV is {0} bytes, expected 12")]
    IvLength(usize),
    /// The tag is not 16 bytes.
    #[error("the JWE tag is {0} bytes, expected 16")]
    TagLength(usize),
    /// The key doesn't unwrap (another key, tampered bytes) or the ciphertext, IV, tag or
    /// header fail authentication.
    #[error("the token can't be decrypted (wrong key, or the token was altered)")]
    Undecryptable,
    /// The decrypted content is not a compact JWS.
    #[error("the decrypted content is not a compact JWS")]
    NotJws,
}
