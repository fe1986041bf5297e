#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod check;
mod claims;
mod compile;
pub mod config;
pub mod discovery;
pub mod el;
pub mod hook;
mod mint;
mod oauth;
mod policy;
mod request;
mod server;
pub mod token;

pub use compile::Options;
pub use config::bundle::ServerConfig;
pub use config::diagnostic::{ConfigError, Diagnostic, Severity};
pub use mint::{HookReport, ID_TOKEN_LIFETIME_SECONDS, Prepared, TokenResponse};
pub use oauth::{OAuthError, OAuthErrorId};
pub use policy::{Grant, IMPLICIT_OIDC_SCOPES, Lifetimes, Matched, Subject};
pub use request::{
    Client, DpopRequest, Group, ResponseType, TokenRequest, TokenRequestError, User,
};
pub use server::AuthorizationServer;

/// What [`AuthorizationServer::explain`] records: every check, policy and rule an evaluation
/// visited, each with the reason it matched or was skipped, and the outcome.
///
/// ```
/// use tokenmint::trace::{Outcome, TraceStep};
/// use tokenmint::{AuthorizationServer, Options, ServerConfig, TokenRequest};
///
/// let cfg = ServerConfig::from_json(r#"{"authorizationServer": {"name": "s",
///     "audiences": ["api://s"], "issuer": "https://example.okta.com/oauth2/s"}}"#).unwrap();
/// let server = AuthorizationServer::compile(cfg, Options::default()).unwrap();
/// let req = TokenRequest::from_json(r#"{"client": {"clientId": "0oa1"},
///     "grantType": "client_credentials", "scopes": ["none"],
///     "now": "2026-01-01T00:00:00Z"}"#).unwrap();
/// let trace = server.explain(&req);
/// assert!(matches!(trace.outcome, Outcome::Denied(_)));
/// assert!(trace.steps.iter().any(|s| matches!(s, TraceStep::Check { .. })));
/// ```
pub mod trace {
    pub use crate::policy::{Check, Outcome, SkipReason, Trace, TraceStep, Verdict};
}

/// The consent decision Okta makes at `/authorize` (the matrix of the scopes' `consent`, the
/// client's `consentMethod` and the request's `prompt`); `evaluate` makes it for the user flows
/// and the grant carries it ([`Grant::consent`]).
///
/// ```
/// use tokenmint::config::{Consent, GrantType};
/// use tokenmint::consent::{ConsentMethod, Prompt, decide};
///
/// let scopes = [("openid", Consent::Implicit), ("orders:write", Consent::Required)];
/// let ask = decide(&GrantType::AuthorizationCode, scopes, ConsentMethod::Required, None, &[]);
/// assert_eq!(ask.unwrap(), Some(vec!["orders:write".to_owned()]));
/// ```
pub mod consent {
    pub use crate::policy::consent::{asks_user, decide};
    pub use crate::request::{ConsentMethod, Prompt};
}
