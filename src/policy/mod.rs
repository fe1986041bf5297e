//! First-match policy evaluation: which policy and rule a [`TokenRequest`] matches, the
//! [`Grant`] that results (or the [`OAuthError`]), and the [`Trace`] that explains it.
//!
//! [`AuthorizationServer::evaluate`](crate::AuthorizationServer::evaluate) and
//! [`AuthorizationServer::explain`](crate::AuthorizationServer::explain) run the same function;
//! `explain` passes a recorder where `evaluate` passes a tracer that does nothing.
//!
//! The order of the checks:
//!
//! 1. the server is active (`invalid_request`, "The authorization server id is invalid.");
//! 2. the grant type is one Okta knows (`unsupported_grant_type`, listing the grant types the
//!    server's active rules use);
//! 3. the client may use the grant type (`unauthorized_client`);
//! 4. for `refresh_token`: the refresh record exists, belongs to the client, and neither its
//!    lifetime (from the first token of the chain) nor its idle window is over (`invalid_grant`);
//! 5. the scope list is not empty (`invalid_scope`, `missing_scopes`); for a refresh, the
//!    requested scopes are a subset of the original ones (`access_denied`,
//!    `refresh_scopes_denied`), omitted = the original ones;
//! 6. the `scope` parameter is at most [`MAX_SCOPE_PARAMETER_LENGTH`] characters (`invalid_scope`,
//!    the generic text) and every scope exists (`invalid_scope`, `no_matching_scope`);
//! 7. without a `scope` parameter, some scope is a default scope (`no_default_scopes`);
//! 8. client credentials: no OIDC scope (`openid profile email address phone offline_access
//!    device_sso`: `openid_not_allowed_client_creds`) and no scope whose consent is `REQUIRED`
//!    (`consent_required`);
//! 9. a response type with `id_token` comes with `openid` (`invalid_scope`,
//!    `openid_scope_required`; for default scopes, checked again on the granted ones); a
//!    browser-based client asks the token endpoint for `offline_access` only when it has the
//!    `refresh_token` grant type (`invalid_scope`, `unsupported_scope_browser_request`); a
//!    request with a user has an app user (`access_denied`, `user_not_assigned`);
//! 10. policies by priority (absent priorities after all explicit ones, in document order)
//!     that are active and include the client or `ALL_CLIENTS`; inside each, active rules by
//!     priority whose grant types, people and scopes match. The first matching rule wins;
//!     none → `access_denied` `no_matching_policy`;
//! 11. for the user flows through `/authorize`, the [consent] decision over the granted scopes
//!     (`consent_required` for `prompt=none` when the user would have to be asked); the ID
//!     token's `idp` (`server_error` when there is none).
//!
//! # Inside
//!
//! ```text
//! grant    Grant, Matched, Lifetimes, Subject: what a matching rule gives
//! trace    Trace, its steps and reasons, and the tracers evaluation reports to
//! compile  the compiled policies (Engine), built once from the configuration
//! eval     the evaluation loop: the checks, then the first matching policy and rule
//! ```

mod compile;
pub(crate) mod consent;
mod eval;
mod grant;
mod trace;

use crate::config::SYSTEM_SCOPE_NAMES;

#[cfg(test)]
pub(crate) use compile::priority_order;
pub(crate) use compile::{
    CompiledPeople, CompiledPolicy, CompiledRule, Engine, EngineBuilder, config_policy,
    config_rule, contains, policy_path, rule_path,
};
pub use grant::{Grant, Lifetimes, Matched, Subject};
pub use trace::{Check, Outcome, SkipReason, Trace, TraceStep, Verdict};
pub(crate) use trace::{NoTrace, Recorder};

/// The scopes every rule allows when `Options::implicit_oidc_scopes` is on: the system scopes
/// but `device_sso` (`openid profile email address phone offline_access`).
pub const IMPLICIT_OIDC_SCOPES: &[&str] = SYSTEM_SCOPE_NAMES.split_at(6).0;

/// The longest `scope` parameter (the scopes joined by single spaces), in characters: Okta's
/// OpenID Connect API reference gives 1024 (its refresh-token guide says 4096; the reference is
/// the one followed). Longer is `invalid_scope` with Okta's generic text.
pub(crate) const MAX_SCOPE_PARAMETER_LENGTH: usize = 1024;

#[cfg(test)]
mod tests {
    /// Hosts keep grants and traces across threads and await points.
    #[test]
    fn grants_and_traces_are_send_and_sync() {
        fn check<T: Send + Sync + 'static>() {}
        check::<super::Grant>();
        check::<super::Trace>();
    }
}
