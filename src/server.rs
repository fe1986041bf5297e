//! The compiled authorization server: the one entry point.

use crate::config::{Diagnostic, ServerConfig, validate};
use crate::error::{ConfigError, OAuthError};
use crate::policy::{Engine, Grant, NoTrace, Recorder, Trace};
use crate::request::TokenRequest;

/// Compile-time options of an [`AuthorizationServer`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// Longest claim expression accepted, in characters. Okta's limit, 1024, by default.
    pub max_expression_length: usize,
    /// Treat `openid profile email address phone offline_access` as allowed by every rule
    /// (Okta's "OIDC scopes are granted by default" wording). Off by default: a rule must list
    /// every requested scope.
    pub implicit_oidc_scopes: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_expression_length: 1024,
            implicit_oidc_scopes: false,
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
}

impl AuthorizationServer {
    /// Validates `config` and compiles it. On failure returns **every** problem found, each with
    /// a JSON pointer into the configuration.
    pub fn compile(config: ServerConfig, options: Options) -> Result<Self, ConfigError> {
        let diagnostics = validate::validate(&config, &options);
        if diagnostics.iter().any(Diagnostic::is_error) {
            return Err(ConfigError::new(diagnostics));
        }
        let engine = Engine::new(&config, options.implicit_oidc_scopes);
        let mut warnings = diagnostics;
        warnings.extend(crate::analysis::analyze(&config, &engine));
        Ok(AuthorizationServer {
            config,
            options,
            warnings,
            engine,
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
    /// `scope.ungrantable`), each with a JSON pointer.
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
        self.engine.run(request, &mut NoTrace)
    }

    /// Evaluates a token request like [`AuthorizationServer::evaluate`] (the same code) and
    /// records every check, policy and rule visited with the reason it matched or was skipped.
    /// Unlike `evaluate` it walks every policy, so policies of other clients appear as skipped.
    pub fn explain(&self, request: &TokenRequest) -> Trace {
        let mut rec = Recorder::default();
        let result = self.engine.run(request, &mut rec);
        Trace::new(rec.0, result)
    }
}
