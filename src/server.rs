//! The compiled authorization server: the one entry point.

use crate::config::{Diagnostic, ServerConfig, validate};
use crate::el;
use crate::error::{ConfigError, OAuthError};
use crate::mint::{self, ClaimSet, Prepared, TokenResponse};
use crate::policy::{Engine, Grant, NoTrace, Recorder, Trace};
use crate::request::TokenRequest;
use crate::token::{EncryptionKey, KeySet};
use chrono::{DateTime, Utc};
use rand::CryptoRng;
use serde_json::{Map, Value};

/// Compile-time options of an [`AuthorizationServer`].
///
/// # Caps
///
/// A configuration over one of the caps below is refused with one located error per cap
/// exceeded (code `limits.<cap>`, pointing at the first object over it), before any other
/// check, so that compiling a configuration costs time and memory bounded by the caps and the
/// size of its text.
///
/// Okta publishes no per-server maximum for these objects: its Management API lists them in
/// pages of at most 200 (for example
/// [Authorization Server Scopes](https://developer.okta.com/docs/api/openapi/okta-management/management/tag/AuthorizationServerScopes/)),
/// and the nearest counts it documents are 5,000 app sign-in policies per org
/// ([Policies API](https://developer.okta.com/docs/reference/api/policy/)) and claim values of up
/// to 1,024 characters ([Customize tokens returned from Okta](https://developer.okta.com/docs/guides/customize-tokens-returned-from-okta/main/)).
/// The defaults are far above real configurations. On the project's 2-core machine, 100,000
/// rules in 20,000 policies (25 MB of JSON) compile in 0.8 s with a 70 MB peak.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// The limits of the expression engine: the length of a claim expression (Okta's 1024
    /// characters by default), its nesting depth, and what one evaluation may cost and
    /// allocate (see [`el::Limits`]).
    ///
    /// ```
    /// use tokenmint::{Options, el::Limits};
    ///
    /// let mut options = Options::default();
    /// options.limits = Limits::default().with_max_length(2048).with_max_cost(10_000_000);
    /// ```
    pub limits: el::Limits,
    /// Most access policies per server (`limits.policies`). 10,000 by default: twice the
    /// 5,000 app sign-in policies Okta allows per org, the nearest count it documents.
    pub max_policies: usize,
    /// Most rules per server, all policies together (`limits.rules`). 100,000 by default, an
    /// average of ten per policy at the policy cap. Counted per server rather than per policy:
    /// compile time and memory grow with the total, and the rule-shadowing analysis is bounded
    /// on its own ([`Options::max_analysis_comparisons`]), so one policy may hold them all.
    pub max_rules: usize,
    /// Most claims per server (`limits.claims`). 1,000 by default. Every claim's expression is
    /// compiled, and each token evaluates every claim of its type whose scopes match.
    pub max_claims: usize,
    /// Most scopes per server, the system scopes not counted (`limits.scopes`). 10,000 by
    /// default.
    pub max_scopes: usize,
    /// Most client ids the policies name, counting every entry of every policy's
    /// `conditions.clients.include` (`limits.clients`). 100,000 by default. The client index
    /// holds one entry per name.
    pub max_clients: usize,
    /// How many rule comparisons the `rule.unreachable` analysis may spend (10,000,000 by
    /// default, well under a second). Indexed, it needs about one per rule for typical
    /// configurations; when the budget is spent it stops with an `analysis.truncated` warning at
    /// the rule where it stopped. Evaluation never depends on it.
    pub max_analysis_comparisons: usize,
    /// Treat `openid profile email address phone offline_access` as allowed by every rule
    /// (Okta's "OIDC scopes are granted by default" wording). Off by default: a rule must list
    /// every requested scope.
    pub implicit_oidc_scopes: bool,
    /// Give access tokens the header `typ: at+jwt` (RFC 9068). Off by default, like Okta.
    pub at_jwt_typ: bool,
    /// The org id (`00o…`), set once by the host: the ID token's `idp` when a request names
    /// neither an identity provider (`idp`) nor an org id (`org.id`). Without any of the three,
    /// a request that would get an ID token fails with `server_error` ("Failed to create the
    /// id_token.") instead of yielding a token without `idp`.
    pub org_id: Option<String>,
}

// spelled out, so every default is visible in one place
#[allow(clippy::derivable_impls)]
impl Default for Options {
    fn default() -> Self {
        Options {
            limits: el::Limits::default(),
            max_policies: 10_000,
            max_rules: 100_000,
            max_claims: 1_000,
            max_scopes: 10_000,
            max_clients: 100_000,
            max_analysis_comparisons: 10_000_000,
            implicit_oidc_scopes: false,
            at_jwt_typ: false,
            org_id: None,
        }
    }
}

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
        let caps = validate::caps(&config, &options);
        if !caps.is_empty() {
            return Err(ConfigError::new(caps));
        }
        let mut diagnostics = validate::validate(&config, &options);
        let claims = ClaimSet::compile(&config, &options.limits, &mut diagnostics);
        let encryption = mint::compile_encryption(&config, &mut diagnostics);
        if diagnostics.iter().any(Diagnostic::is_error) {
            return Err(ConfigError::new(diagnostics));
        }
        let mut engine = Engine::new(&config, options.implicit_oidc_scopes);
        engine.org_id = options.org_id.clone();
        let mut warnings = diagnostics;
        warnings.extend(crate::analysis::analyze(
            &config,
            &engine,
            options.max_analysis_comparisons,
        ));
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
        mint::mint(&self.setup(), grant, code, keys, now, rng)
    }

    fn setup(&self) -> mint::Setup<'_> {
        mint::Setup {
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
        mint::prepare(self.setup(), grant, code, now, rng)
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
        mint::userinfo(&self.claims, grant)
    }
}
