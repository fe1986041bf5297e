//! Signing keys and their rotation, signing and verifying tokens, encrypted (nested) tokens,
//! DPoP proofs and bound tokens, and refresh-token records.
//!
//! Everything here is data and functions of their arguments: no I/O, no clock, no global RNG,
//! no threads. The host owns storage, time and randomness and hands them in; the same inputs
//! give the same bytes.
//!
//! # What the host owns and stores
//!
//! | What | Made by | What the host does with it |
//! |---|---|---|
//! | The [`KeySet`] of an authorization server (its signing keys) | [`KeySet::generate`] or [`KeySet::generate_for`] a configuration, from the host's RNG | Stores [`KeySet::to_private_json`] (secret: encrypt it at rest), loads it with [`KeySet::from_private_json`] at start-up, stores it again whenever [`KeySet::advance`] or [`KeySet::rotate`] reports a change |
//! | The public JWKS | [`KeySet::jwks`] | Serves it at `/v1/keys` (the discovery documents' `jwks_uri`); Okta's management views are [`KeySet::management_keys`] and [`KeySet::signing_credentials`] |
//! | A [`RefreshRecord`] per refresh token | [`AuthorizationServer::mint`](crate::AuthorizationServer::mint), as [`TokenResponse::refresh_record`](crate::TokenResponse::refresh_record) | Stores it under the opaque handle and passes it back with the refresh request ([`TokenRequest::refresh`](crate::TokenRequest::refresh)), then replaces it with the rotated one |
//! | Token ids (`jti`) | [`new_jti`] (the server mints them) | Revocation lists and replay detection, if it keeps any |
//! | The resource server's encryption key pair (when access tokens are encrypted) | [`DecryptionKey::generate`] (the resource server's) | Puts [`DecryptionKey::public_jwks`] in the authorization server's `jwks`; keeps [`DecryptionKey::to_private_jwk`] secret, at the resource server |
//! | DPoP proof ids (`jti`) and server nonces | The clients; [`check_proof`] hands back the `jti` | Refuses a `jti` seen within the proof window ([`DpopError::Replayed`]); issues nonces, passes the current ones to [`DpopCheck::nonces`] |
//!
//! The RNG is any [`rand::CryptoRng`]: the operating system's (e.g. `rand::rng()`) in a
//! server, a seeded ChaCha in tests and previews. Keys, kids, `jti`s and refresh handles come
//! from it; the only randomness that does not is inside PS* and ES* signatures, which OpenSSL
//! randomizes ([`Algorithm::is_deterministic`]). Private key material leaves a key set only
//! through [`KeySet::to_private_json`]; `Debug` output shows kids, states and dates.
//!
//! # Rotation, driven by the host's clock
//!
//! A key set holds one ACTIVE key (it signs), at most one NEXT key (published ahead, so that
//! caches of the JWKS know it before it signs) and the EXPIRED keys still retained (published so
//! that tokens they signed keep verifying) — Okta's [`KeyStatus`]es. Nothing changes by itself:
//! [`KeySet::advance`]`(now, rng)` applies what is due at `now` and returns the [`KeyEvent`]s;
//! the host calls it before minting (it costs a comparison when nothing is due) or from a timer,
//! and stores the set again when the list is not empty.
//!
//! With the default [`RotationPolicy`] in AUTO mode
//! ([`RotationMode::Auto`](crate::config::RotationMode::Auto), as Okta creates servers), counting
//! from the last rotation: the NEXT key is generated on day 45, the rotation is on day 90 (NEXT
//! becomes ACTIVE, ACTIVE becomes EXPIRED), and an EXPIRED key is dropped 90 days after it
//! expired. A late call catches up with one rotation, counted from
//! its `now`. In MANUAL mode only [`KeySet::rotate`] (Okta's `keyRotate`) changes the ACTIVE
//! key, and [`KeySet::advance`] only drops EXPIRED keys past retention; `rotate` works in both
//! modes and, in AUTO mode, publishes the following NEXT key at once.
//!
//! ```
//! use chrono::{TimeDelta, TimeZone, Utc};
//! use rand::SeedableRng;
//! use tokenmint::config::RotationMode;
//! use tokenmint::token::{Algorithm, KeyEvent, KeySet, KeyStatus};
//!
//! let day0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
//! let day = |n| day0 + TimeDelta::days(n);
//! let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
//!
//! // Day 0: generated once; the host keeps the private form in its secret storage.
//! let mut keys = KeySet::generate(Algorithm::EdDSA, RotationMode::Auto, day0, &mut rng)?;
//! let mut stored = keys.to_private_json()?;
//! let k1 = keys.active().kid().to_owned();
//!
//! assert!(keys.advance(day(44), &mut rng)?.is_empty()); // nothing due: nothing to store
//!
//! // Day 45: the NEXT key is published beside the ACTIVE one.
//! let events = keys.advance(day(45), &mut rng)?;
//! assert!(matches!(events.as_slice(), [KeyEvent::Generated { status: KeyStatus::Next, .. }]));
//! let k2 = keys.next().unwrap().kid().to_owned();
//! assert_eq!(keys.jwks()["keys"].as_array().unwrap().len(), 2);
//! stored = keys.to_private_json()?;
//!
//! // Day 90: rotation. k1 no longer signs but stays published.
//! let events = keys.advance(day(90), &mut rng)?;
//! assert_eq!(events, [KeyEvent::Rotated { expired: k1.clone(), active: k2.clone() }]);
//! assert_eq!(keys.signer().kid(), k2);
//! assert_eq!(keys.key(&k1).unwrap().status(), KeyStatus::Expired);
//! stored = keys.to_private_json()?;
//!
//! // A restart loads the same set (every key checked, signers prepared).
//! let reloaded = KeySet::from_private_json(&stored)?;
//! assert_eq!(reloaded.jwks(), keys.jwks());
//!
//! // Day 135 publishes the next NEXT key; on day 180 the second rotation drops k1.
//! keys.advance(day(135), &mut rng)?;
//! let events = keys.advance(day(180), &mut rng)?;
//! assert!(events.contains(&KeyEvent::Dropped { kid: k1.clone() }));
//! assert!(keys.key(&k1).is_none());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Signing
//!
//! [`KeySet::signer`] is the ACTIVE key's [`Signer`], prepared when the set was generated or
//! loaded: the private key is parsed once and the usual headers are encoded once. A signer
//! writes the header `{"kid", "alg"}` in that order (Okta's), then any extra members (e.g.
//! `{"typ": "at+jwt"}`, RFC 9068), and signs the payload bytes exactly as given — claim order
//! and formatting are the caller's. [`new_jti`] makes Okta-style token ids and
//! [`left_half_hash`] the `at_hash` / `c_hash` of an ID token. The server's
//! [`mint`](crate::AuthorizationServer::mint) does all of this; a signer on its own serves
//! tokens the server doesn't mint (test fixtures, other token types).
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
//!
//! # Verifying
//!
//! A resource server loads the published JWKS into a [`Jwks`] once per fetch (one verifier per
//! key is prepared then; a JWKS with an unusable signature key is refused whole, with a
//! [`JwksError`]) and calls [`verify()`] per token with its [`Expectations`]: issuer, audience,
//! its own clock, leeway, required scopes, accepted algorithms and, if it wants one, the `typ`.
//! The verifier refuses `alg: none`, HMAC and `crit` outright, requires the header's `kid` to
//! be in the JWKS with the same `alg`, checks the signature over the exact bytes received, then
//! `exp` (required), `nbf`, `iat`, `iss`, `aud` and the scopes; every failure is its own
//! [`VerifyError`] variant (the checks, in order, are listed on [`verify()`]). For ID tokens,
//! [`VerifiedToken::check_at_hash`] and [`VerifiedToken::check_c_hash`] check the OIDC hashes.
//! What stays with the host: revocation and `jti` replay, an ID token's `nonce` (it knows the
//! session's), and refetching the JWKS when an unknown `kid` appears.
//!
//! ```
//! use chrono::{TimeDelta, TimeZone, Utc};
//! use rand::SeedableRng;
//! use serde_json::{Map, json};
//! use tokenmint::config::RotationMode;
//! use tokenmint::token::{Algorithm, Expectations, Jwks, KeySet, VerifyError, verify};
//!
//! let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
//! let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
//! let keys = KeySet::generate(Algorithm::ES256, RotationMode::Auto, now, &mut rng)?;
//! let iss = "https://example.okta.com/oauth2/default";
//! let claims = json!({"iss": iss, "aud": "api://orders", "iat": now.timestamp(),
//!     "exp": now.timestamp() + 300, "scp": ["orders:read"]});
//! let jwt = keys.signer().sign_claims(&Map::new(), claims.as_object().unwrap())?;
//!
//! // What the resource server has: the JWKS text it fetched, and its clock.
//! let jwks = Jwks::from_json(&keys.jwks().to_string())?;
//! let expect = Expectations::new(iss, "api://orders", now).require_scopes(["orders:read"]);
//! assert_eq!(verify(&jwt, &jwks, &expect)?.claims["scp"], json!(["orders:read"]));
//!
//! // Each failed check is its own error.
//! let later = Expectations::new(iss, "api://orders", now + TimeDelta::minutes(10));
//! assert!(matches!(verify(&jwt, &jwks, &later), Err(VerifyError::Expired { .. })));
//! let other_api = Expectations::new(iss, "api://billing", now);
//! assert!(matches!(verify(&jwt, &jwks, &other_api), Err(VerifyError::AudienceMismatch { .. })));
//! let write = Expectations::new(iss, "api://orders", now).require_scopes(["orders:write"]);
//! assert_eq!(verify(&jwt, &jwks, &write), Err(VerifyError::MissingScope("orders:write".into())));
//! let rsa_only = Expectations::new(iss, "api://orders", now).algorithms([Algorithm::RS256]);
//! assert!(matches!(verify(&jwt, &jwks, &rsa_only), Err(VerifyError::AlgorithmNotAllowed(_))));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Encrypted access tokens
//!
//! A server whose configuration sets `accessTokenEncryptedResponseAlgorithm` (RSA-OAEP-256,
//! -384 or -512, a [`KeyEncryption`]) encrypts each signed access token to the resource
//! server's key from its `jwks`: a nested JWT, compact JWE with `enc` A256GCM, `cty` `JWT`
//! and the key's `kid`. [`EncryptionKey::select`] picks and parses that key once, when the
//! configuration is loaded (its rule, and each way it can fail as a located
//! [`EncryptError`], are on the function); [`EncryptionKey::encrypt`] is the per-token step.
//! The content key, the IV and the OAEP seed come from the caller's RNG, so a seeded RNG gives
//! byte-identical tokens — OAEP padding is done by the RustCrypto `rsa` crate for that reason
//! (OpenSSL draws the OAEP seed from its own generator), AES-GCM and all decryption by OpenSSL.
//!
//! The resource server [`decrypt`]s with its [`DecryptionKey`]s, or calls
//! [`verify_encrypted`] to decrypt and verify in one step. Decryption refuses anything but
//! RSA-OAEP-256/384/512 with A256GCM, compression (`zip`), `crit`, a `cty` other than `JWT`, a
//! plain JWS where a JWE is required, and more than 64 KiB; a wrong key and an altered token
//! are one error, [`DecryptError::Undecryptable`] (RFC 7516 §11.5: they must not be told
//! apart).
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use rand::SeedableRng;
//! use serde_json::{Map, json};
//! use tokenmint::config::RotationMode;
//! use tokenmint::token::*;
//!
//! let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
//! let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(21);
//! // The resource server's key pair; its public JWKS is the server's `jwks`.
//! let rs_key = DecryptionKey::generate(KeyEncryption::RsaOaep512, &mut rng)?;
//! let server_jwks = rs_key.public_jwks();
//!
//! // At configuration load: the key, or an error to report.
//! let enc = EncryptionKey::select(&server_jwks, KeyEncryption::RsaOaep512)?;
//! assert!(matches!(EncryptionKey::select(&server_jwks, KeyEncryption::RsaOaep256),
//!                  Err(EncryptError::NoUsableKey { .. })));
//!
//! // Per token: sign, then encrypt. The same RNG state gives the same bytes.
//! let keys = KeySet::generate(Algorithm::ES256, RotationMode::Auto, now, &mut rng)?;
//! let iss = "https://example.okta.com/oauth2/default";
//! let claims = json!({"iss": iss, "aud": "api://default", "iat": now.timestamp(),
//!     "exp": now.timestamp() + 3600, "sub": "ann@example.com"});
//! let jws = keys.signer().sign_claims(&Map::new(), claims.as_object().unwrap())?;
//! let seeded = |seed| rand_chacha::ChaCha20Rng::seed_from_u64(seed);
//! let jwe = enc.encrypt(&jws, &mut seeded(1))?;
//! assert_eq!(jwe, enc.encrypt(&jws, &mut seeded(1))?);
//!
//! // The resource server.
//! let jwks = Jwks::from_value(&keys.jwks())?;
//! let token = verify_encrypted(&jwe, &[rs_key], &jwks,
//!                              &Expectations::new(iss, "api://default", now))?;
//! assert_eq!(token.claims["sub"], "ann@example.com");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # DPoP
//!
//! A token request may carry a DPoP proof (RFC 9449): a JWT the client signs with a key whose
//! public half is in the proof's header. [`check_proof`] checks it against a [`DpopCheck`] —
//! the request's method and URL, the host's clock and window, the accepted algorithms, the
//! host's nonces, and at a resource server the access token — in the order of RFC 9449 §4.3
//! (the list is on [`check_proof`]); the [`DpopProof`] it returns has the key's RFC 7638
//! thumbprint for the token's `cnf.jkt` ([`DpopProof::cnf`]), the `jti` for the host's replay
//! cache and the `iat`. A refresh of a bound grant checks its new proof's key against the
//! stored thumbprint ([`DpopProof::check_binding`]). Each failure is a [`DpopError`] whose
//! [`DpopError::to_oauth_error`] is the token endpoint's answer: `use_dpop_nonce` when a nonce
//! is missing or stale, `invalid_dpop_proof` with a precise description otherwise.
//!
//! At a resource server, [`verify()`] refuses DPoP-bound tokens outright
//! ([`VerifyError::DpopBound`]: a bound token is not a bearer token, RFC 9449 §7.2);
//! [`verify_dpop_bound`] (or [`verify_encrypted_dpop_bound`]) verifies the token, checks the
//! proof presented with it (its `ath` must hash the token as presented) and that `cnf.jkt` is
//! the proof key's thumbprint.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use rand::SeedableRng;
//! use serde_json::{Map, json};
//! use tokenmint::config::RotationMode;
//! use tokenmint::token::*;
//!
//! let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
//! let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(22);
//! let client = KeySet::generate(Algorithm::EdDSA, RotationMode::Manual, now, &mut rng)?;
//! let mut jwk = client.active().public_jwk();
//! jwk.as_object_mut().unwrap().retain(|k, _| ["kty", "crv", "x"].contains(&k.as_str()));
//! let proof_for = |htm: &str, htu: &str, ath: Option<String>| {
//!     let mut claims = json!({"jti": format!("{htm}-1"), "htm": htm, "htu": htu,
//!                             "iat": now.timestamp()});
//!     if let Some(ath) = ath { claims["ath"] = json!(ath); }
//!     let header = json!({"typ": "dpop+jwt", "jwk": jwk});
//!     client.signer().sign_claims(header.as_object().unwrap(), claims.as_object().unwrap())
//! };
//!
//! // The token endpoint binds the access token to the proof's key.
//! let token_url = "https://example.okta.com/oauth2/default/v1/token";
//! let proof = check_proof(&proof_for("POST", token_url, None)?,
//!                         &DpopCheck::new("POST", token_url, now))?;
//! let server = KeySet::generate(Algorithm::RS256, RotationMode::Auto, now, &mut rng)?;
//! let iss = "https://example.okta.com/oauth2/default";
//! let claims = json!({"iss": iss, "aud": "api://orders", "iat": now.timestamp(),
//!     "exp": now.timestamp() + 300, "cnf": proof.cnf()});
//! let at = server.signer().sign_claims(&Map::new(), claims.as_object().unwrap())?;
//!
//! // The API: bearer use is refused; with a proof of the same key (and ath), accepted.
//! let jwks = Jwks::from_value(&server.jwks())?;
//! let expect = Expectations::new(iss, "api://orders", now);
//! assert_eq!(verify(&at, &jwks, &expect), Err(VerifyError::DpopBound));
//! let api = "https://api.example.com/orders";
//! let rs_proof = proof_for("GET", api, Some(access_token_hash(&at)))?;
//! let (token, used) = verify_dpop_bound(&at, &rs_proof, &jwks, &expect,
//!                                       &DpopCheck::new("GET", api, now))?;
//! assert_eq!(token.claims["cnf"]["jkt"], json!(used.jkt));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Errors
//!
//! [`KeyError`] (generating, rotating, storing or loading keys), [`MintError`] (signing),
//! [`JwksError`] (loading a JWKS), [`VerifyError`] (a rejected token), [`EncryptError`]
//! (choosing an encryption key, encrypting), [`DecryptError`] (a JWE that can't be
//! decrypted), [`DpopError`] (a refused DPoP proof or binding) and [`ParseAlgorithmError`] (an
//! unknown algorithm name). Their messages never contain private key
//! material, and no third-party error type appears in them.
//!
//! # Inside
//!
//! One job per file, each importing only those before it:
//!
//! ```text
//! alg        Algorithm, its names, curves and hash (no other token module)
//! util       base64url and stack strings (no other token module)
//! error      KeyError (no other token module)
//! keygen     keys from the caller's RNG                      <- alg, error
//! jwk        public/private JWKs, RFC 7638 thumbprints,      <- alg, error, keygen, util
//!            the verifier of a public JWK
//! sign       Signer, jti, left-half hashes, MintError        <- alg, error, util
//! rotation   SigningKey, KeySet and its stored form          <- alg, error, jwk, keygen, sign
//! encrypt    nested JWTs: EncryptionKey, DecryptionKey,      <- alg, jwk, keygen, util
//!            decrypt, EncryptError, DecryptError
//! dpop       DPoP proofs: DpopCheck, check_proof, DpopProof, <- alg, jwk, util
//!            DpopError
//! verify     Jwks, verify (plain, encrypted, DPoP-bound),    <- alg, dpop, encrypt, jwk, sign, util
//!            VerifyError, JwksError
//! refresh    RefreshRecord and its checks                    (none of the above)
//! ```
//!
//! Outside `token`, `rotation` reads the configuration's `RotationMode` and `ServerConfig`
//! (`crate::config`), `refresh` the grant types and OAuth errors (`crate::config`,
//! `crate::oauth`) and `dpop` the OAuth errors (`crate::oauth`); nothing in `token` reads the policy, claims, minting or server layers.

mod alg;
mod dpop;
mod encrypt;
mod error;
mod jwk;
mod keygen;
mod refresh;
mod rotation;
mod sign;
mod util;
mod verify;

pub use alg::{Algorithm, ParseAlgorithmError};
pub use dpop::{
    DpopBinding, DpopCheck, DpopError, DpopProof, MAX_DPOP_PROOF_LEN, access_token_hash,
    check_proof, jwk_thumbprint,
};
pub use encrypt::{
    DecryptError, Decrypted, DecryptionKey, EncryptError, EncryptionKey, KeyEncryption,
    MAX_ENCRYPTION_KEYS, decrypt,
};
pub use error::KeyError;
pub use refresh::{DeviceSecretRecord, RefreshProblem, RefreshRecord};
pub use rotation::{KeyEvent, KeySet, KeyStatus, RotationPolicy, SigningKey};
pub use sign::{JtiKind, MintError, Signer, left_half_hash, new_jti};
pub(crate) use sign::{left_half_hash_stack, new_jti_stack};
pub(crate) use util::StackStr;
pub use verify::{
    Expectations, Jwks, JwksError, MAX_JWKS_LEN, MAX_TOKEN_LEN, VerifiedToken, VerifyError, verify,
    verify_dpop_bound, verify_encrypted, verify_encrypted_dpop_bound,
};

#[cfg(test)]
mod tests {
    /// Each file of `token` and the token modules it may import: the graph of the module docs.
    const LAYERS: [(&str, &str, &[&str]); 11] = [
        ("alg", include_str!("alg.rs"), &[]),
        ("util", include_str!("util.rs"), &[]),
        ("error", include_str!("error.rs"), &[]),
        ("keygen", include_str!("keygen.rs"), &["alg", "error"]),
        (
            "jwk",
            include_str!("jwk.rs"),
            &["alg", "error", "keygen", "util"],
        ),
        ("sign", include_str!("sign.rs"), &["alg", "error", "util"]),
        (
            "rotation",
            include_str!("rotation.rs"),
            &["alg", "error", "jwk", "keygen", "sign"],
        ),
        (
            "encrypt",
            include_str!("encrypt.rs"),
            &["alg", "jwk", "keygen", "util"],
        ),
        ("dpop", include_str!("dpop.rs"), &["alg", "jwk", "util"]),
        (
            "verify",
            include_str!("verify.rs"),
            &["alg", "dpop", "encrypt", "jwk", "sign", "util"],
        ),
        ("refresh", include_str!("refresh.rs"), &[]),
    ];

    /// Layers outside `token` that a token file may read.
    const OUTSIDE: [&str; 2] = ["config", "oauth"];

    /// The names that follow `prefix` in the code (comments left out) of `text`; a group
    /// (`prefix{…}`) is returned as `{`, so that it can't hide an import.
    fn paths_after<'a>(text: &'a str, prefix: &str) -> Vec<&'a str> {
        text.lines()
            .filter_map(|line| line.split("//").next())
            .flat_map(|code| code.split(prefix).skip(1))
            .map(|rest| {
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len())
                    .max(usize::from(rest.starts_with('{')));
                rest.get(..end).unwrap_or_default()
            })
            .collect()
    }

    #[test]
    fn imports_follow_the_documented_graph() {
        let modules: Vec<&str> = LAYERS.iter().map(|(name, _, _)| *name).collect();
        for (name, text, allowed) in LAYERS {
            for used in paths_after(text, "super::") {
                assert_ne!(
                    used, "{",
                    "token::{name}: one `super::module::…` path per import"
                );
                if modules.contains(&used) {
                    assert!(
                        allowed.contains(&used),
                        "token::{name} imports token::{used}, outside the documented graph"
                    );
                }
            }
            for used in paths_after(text, "crate::") {
                assert!(
                    OUTSIDE.contains(&used),
                    "token::{name} imports crate::{used}; token reads only config and oauth"
                );
            }
        }
    }
}
