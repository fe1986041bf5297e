//! The compiled authorization server: the one entry point.

use crate::compile::{self, Options};
use crate::config::ConfigError;
use crate::config::{Diagnostic, ServerConfig};

use crate::claims::ClaimSet;
use crate::mint::{Minter, Prepared, TokenResponse};
use crate::oauth::OAuthError;
use crate::policy::{Engine, Grant, NoTrace, Recorder, Trace};
use crate::request::TokenRequest;
use crate::token::{EncryptionKey, KeySet};
use chrono::{DateTime, Utc};
use rand::CryptoRng;
use serde_json::{Map, Value};

/// A validated, compiled authorization server.
///
/// ```
/// use tokenmint::{AuthorizationServer, Options, ServerConfig};
///
/// let cfg = ServerConfig::from_json(r#"{"authorizationServer": {"name": "default",
///     "audiences": ["api://default"], "issuer": "https://example.okta.com/oauth2/default"}}"#)
///     .unwrap();
/// let server = AuthorizationServer::compile(cfg, Options::default()).unwrap();
/// assert_eq!(server.config().authorization_server.name, "default");
/// ```
#[derive(Debug, Clone)]
pub struct AuthorizationServer {
    config: ServerConfig,
    options: Options,
    warnings: Vec<Diagnostic>,
    engine: Engine,
    claims: ClaimSet,
    /// The access-token encryption key, when the configuration asks for encryption.
    encryption: Option<EncryptionKey>,
}

impl AuthorizationServer {
    /// Validates `config` and compiles it. On failure returns **every** problem found, each with
    /// a JSON pointer into the configuration (a configuration over one of the
    /// [caps](Options#caps) gets only the cap errors).
    pub fn compile(config: ServerConfig, options: Options) -> Result<Self, ConfigError> {
        let compile::Compiled {
            engine,
            claims,
            warnings,
            encryption,
        } = compile::compile(&config, &options)?;
        Ok(AuthorizationServer {
            config,
            options,
            warnings,
            engine,
            claims,
            encryption,
        })
    }

    /// The configuration this server was compiled from.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// The options it was compiled with.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Warnings found while compiling (legal but probably unintended configuration): the
    /// validator's, then the policy analysis (`policy.no_active_rule`, `rule.unreachable`,
    /// `scope.ungrantable`, and `analysis.truncated` if the search for unreachable rules ran out
    /// of [comparisons](Options::max_analysis_comparisons)), each with a JSON pointer.
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// Evaluates a token request: the pre-checks, then the first matching policy and rule.
    /// Returns what to mint, or the OAuth error with Okta's exact code and description.
    ///
    /// The cost does not grow with the number of policies assigned to other clients: policies
    /// are indexed by client when the server is compiled.
    ///
    /// ```
    /// use tokenmint::{AuthorizationServer, Options, ServerConfig, TokenRequest};
    ///
    /// let cfg = ServerConfig::from_json(r#"{
    ///   "authorizationServer": {"name": "api", "audiences": ["api://orders"],
    ///                           "issuer": "https://example.okta.com/oauth2/aus1"},
    ///   "scopes": [{"name": "orders:read"}],
    ///   "policies": [{"name": "Services", "description": "Back ends", "priority": 1,
    ///                 "conditions": {"clients": {"include": ["0oasvc"]}},
    ///                 "rules": [{"name": "Read", "priority": 1,
    ///                            "conditions": {"grantTypes": {"include": ["client_credentials"]},
    ///                                           "scopes": {"include": ["orders:read"]}},
    ///                            "actions": {"token": {"accessTokenLifetimeMinutes": 30}}}]}]
    /// }"#).unwrap();
    /// let server = AuthorizationServer::compile(cfg, Options::default()).unwrap();
    ///
    /// let req = TokenRequest::from_json(r#"{"client": {"clientId": "0oasvc"},
    ///     "grantType": "client_credentials", "scopes": ["orders:read"],
    ///     "now": "2026-01-01T00:00:00Z"}"#).unwrap();
    /// let grant = server.evaluate(&req).unwrap();
    /// assert_eq!(grant.rule.name, "Read");
    /// assert_eq!(grant.lifetimes.access_token_lifetime_minutes, 30);
    ///
    /// let other = TokenRequest { scopes: Some(vec!["openid".into()]), ..req };
    /// let err = server.evaluate(&other).unwrap_err();
    /// assert_eq!(err.status(), 400);
    /// assert_eq!(err.to_json()["error_description"],
    ///     "Cannot request 'openid' scopes using client credentials.");
    /// println!("{}", server.explain(&other)); // every check, policy and rule, and why
    /// ```
    pub fn evaluate(&self, request: &TokenRequest) -> Result<Grant, OAuthError> {
        self.engine.run(&self.config, request, &mut NoTrace)
    }

    /// Evaluates a token request like [`AuthorizationServer::evaluate`] (the same code) and
    /// records every check, policy and rule visited with the reason it matched or was skipped.
    /// Unlike `evaluate` it walks every policy, so policies of other clients appear as skipped.
    pub fn explain(&self, request: &TokenRequest) -> Trace {
        let mut rec = Recorder::default();
        let result = self.engine.run(&self.config, request, &mut rec);
        Trace::new(rec.0, result)
    }

    /// Mints the tokens of a grant at `now`, signed with the key set's active key: the access
    /// token, the ID token when `openid` was granted to a user (thin when it comes with an
    /// access token, full for `response_type=id_token`), and a refresh token with the record
    /// to store when `offline_access` was granted to a grant that allows it.
    ///
    /// Claim expressions are evaluated over the grant's context; a claim that can't be
    /// evaluated fails the whole request with Okta's `server_error` (its
    /// [`cause`](OAuthError::cause) says why). Equal inputs (grant, keys, `now`, RNG state)
    /// give byte-identical tokens for the deterministic algorithms (RS*, EdDSA).
    ///
    /// What the configuration and the grant ask for is honoured: the access token is encrypted
    /// to the [`encryption_key`](AuthorizationServer::encryption_key) when the server has one
    /// (the ID token's `at_hash` is over the JWE), bound to the grant's DPoP key (`cnf.jkt`,
    /// `token_type: DPoP`), and carries the grant's `acr`; `device_sso` adds a device secret.
    /// A rule's token inline hook is not called (the tokens are those of a hook that doesn't
    /// answer): to call it, mint in steps with [`AuthorizationServer::prepare`].
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use rand::SeedableRng;
    /// use tokenmint::config::RotationMode;
    /// use tokenmint::token::{Algorithm, KeySet};
    /// use tokenmint::{AuthorizationServer, Options, ServerConfig, TokenRequest};
    ///
    /// let cfg = ServerConfig::from_json(r#"{
    ///   "authorizationServer": {"name": "api", "audiences": ["api://orders"],
    ///                           "issuer": "https://example.okta.com/oauth2/aus1"},
    ///   "scopes": [{"name": "orders:read"}],
    ///   "claims": [{"name": "tier", "claimType": "RESOURCE", "valueType": "EXPRESSION",
    ///               "value": "app.profile.tier ?: 'standard'"}],
    ///   "policies": [{"name": "Services", "description": "Back ends", "priority": 1,
    ///                 "conditions": {"clients": {"include": ["ALL_CLIENTS"]}},
    ///                 "rules": [{"name": "Read", "priority": 1,
    ///                            "conditions": {"grantTypes": {"include": ["client_credentials"]},
    ///                                           "scopes": {"include": ["orders:read"]}}}]}]
    /// }"#)?;
    /// let server = AuthorizationServer::compile(cfg, Options::default())?;
    /// let req = TokenRequest::from_json(r#"{"client": {"clientId": "0oasvc"},
    ///     "grantType": "client_credentials", "scopes": ["orders:read"],
    ///     "now": "2026-01-01T00:00:00Z"}"#)?;
    /// let grant = server.evaluate(&req)?;
    ///
    /// let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    /// let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
    /// let keys = KeySet::generate(Algorithm::ES256, RotationMode::Auto, now, &mut rng)?;
    /// let tokens = server.mint(&grant, &keys, now, &mut rng)?;
    /// assert_eq!(tokens.expires_in, Some(3600));
    /// assert_eq!(tokens.scope, "orders:read");
    /// assert!(tokens.id_token.is_none() && tokens.refresh_token.is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn mint(
        &self,
        grant: &Grant,
        keys: &KeySet,
        now: DateTime<Utc>,
        rng: &mut impl CryptoRng,
    ) -> Result<TokenResponse, OAuthError> {
        self.mint_inner(grant, None, keys, now, rng)
    }

    /// [`AuthorizationServer::mint`] for an authorization response that also carries the
    /// authorization `code` (hybrid flows): the ID token gets its `c_hash`.
    pub fn mint_with_code(
        &self,
        grant: &Grant,
        code: &str,
        keys: &KeySet,
        now: DateTime<Utc>,
        rng: &mut impl CryptoRng,
    ) -> Result<TokenResponse, OAuthError> {
        self.mint_inner(grant, Some(code), keys, now, rng)
    }

    fn mint_inner(
        &self,
        grant: &Grant,
        code: Option<&str>,
        keys: &KeySet,
        now: DateTime<Utc>,
        rng: &mut impl CryptoRng,
    ) -> Result<TokenResponse, OAuthError> {
        self.minter().mint(grant, code, keys, now, rng)
    }

    /// What minting needs of this server, held once.
    fn minter(&self) -> Minter<'_> {
        Minter {
            claims: &self.claims,
            config: &self.config,
            at_jwt_typ: self.options.at_jwt_typ,
            encryption: self.encryption.as_ref(),
        }
    }

    /// Mints in steps, for a rule with a token inline hook: evaluates the claims of the grant's
    /// tokens at `now` and stops before signing. The host POSTs
    /// [`Prepared::hook_request`] to the hook, applies its answer with
    /// [`Prepared::apply_hook`], and signs with [`Prepared::sign`]; `prepare` then `sign` with
    /// no answer gives the same tokens as [`AuthorizationServer::mint`] (`code`: the
    /// authorization code of a hybrid response, for `c_hash`).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use rand::SeedableRng;
    /// use tokenmint::config::RotationMode;
    /// use tokenmint::token::{Algorithm, KeySet};
    /// use tokenmint::{AuthorizationServer, Options, ServerConfig, TokenRequest};
    ///
    /// let cfg = ServerConfig::from_json(r#"{
    ///   "authorizationServer": {"name": "api", "audiences": ["api://orders"],
    ///                           "issuer": "https://example.okta.com/oauth2/aus1"},
    ///   "scopes": [{"name": "orders:read"}],
    ///   "policies": [{"name": "Services", "description": "Back ends", "priority": 1,
    ///                 "conditions": {"clients": {"include": ["ALL_CLIENTS"]}},
    ///                 "rules": [{"name": "Read", "priority": 1,
    ///                            "conditions": {"grantTypes": {"include": ["client_credentials"]},
    ///                                           "scopes": {"include": ["orders:read"]}},
    ///                            "actions": {"token": {"inlineHook": {"id": "cal1"}}}}]}]
    /// }"#)?;
    /// let server = AuthorizationServer::compile(cfg, Options::default())?;
    /// let req = TokenRequest::from_json(r#"{"client": {"clientId": "0oasvc"},
    ///     "grantType": "client_credentials", "scopes": ["orders:read"],
    ///     "now": "2026-01-01T00:00:00Z"}"#)?;
    /// let grant = server.evaluate(&req)?;
    /// let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    /// let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
    /// let keys = KeySet::generate(Algorithm::ES256, RotationMode::Auto, now, &mut rng)?;
    ///
    /// let mut prepared = server.prepare(&grant, None, now, &mut rng)?;
    /// let body = prepared.hook_request().expect("the rule names a hook");
    /// assert_eq!(body["data"]["access"]["claims"]["cid"], "0oasvc");
    /// // ... POST `body` to the hook; its answer:
    /// let answer = br#"{"commands": [{"type": "com.okta.access.patch", "value": [
    ///     {"op": "add", "path": "/claims/tenant", "value": "acme"},
    ///     {"op": "replace", "path": "/token/lifetime/expiration", "value": 600}]}]}"#;
    /// assert!(prepared.apply_hook(answer)?.applied);
    /// let tokens = prepared.sign(&keys, &mut rng)?;
    /// assert_eq!(tokens.expires_in, Some(600));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn prepare(
        &self,
        grant: &Grant,
        code: Option<&str>,
        now: DateTime<Utc>,
        rng: &mut impl CryptoRng,
    ) -> Result<Prepared<'_>, OAuthError> {
        self.minter().prepare(grant, code, now, rng)
    }

    /// The key access tokens are encrypted to (nested JWTs), chosen when the server was
    /// compiled from `accessTokenEncryptedResponseAlgorithm` and `jwks`; `None` when access
    /// tokens are not encrypted.
    pub fn encryption_key(&self) -> Option<&EncryptionKey> {
        self.encryption.as_ref()
    }

    /// The `/userinfo` claims for a grant's scopes: `sub`, every standard claim its `profile`,
    /// `email`, `address` and `phone` scopes allow, and the ID-token claims whose scope
    /// condition matches (regardless of `alwaysIncludeInToken`). Without any of those four
    /// scopes: `insufficient_scope` (403).
    pub fn userinfo(&self, grant: &Grant) -> Result<Map<String, Value>, OAuthError> {
        self.minter().userinfo(grant)
    }
}
