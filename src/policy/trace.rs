//! The [`Trace`] of an evaluation: every check, policy and rule visited, and why each matched
//! or was skipped; and the tracers evaluation reports to.

use super::grant::{Grant, Matched};
use crate::config::GrantType;
use crate::oauth::OAuthError;
use serde::{Deserialize, Serialize};
use std::fmt;

// ---------------------------------------------------------------------------------------------
// Trace

/// A pre-policy check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// The authorization server is active.
    ServerActive,
    /// The grant type is one Okta knows.
    GrantTypeSupported,
    /// The client may use the grant type.
    ClientGrantType,
    /// The refresh record is present, belongs to the client and has not expired.
    RefreshToken,
    /// The DPoP proof, if the request has one (or its refresh token is DPoP-bound), is valid
    /// and, for a bound refresh token, signed by the bound key.
    DpopProof,
    /// The scope list is not empty.
    ScopesPresent,
    /// A refresh asks only for scopes of the original grant.
    RefreshScopes,
    /// Every requested scope exists on the server.
    ScopesConfigured,
    /// Without a `scope` parameter, the server has default scopes.
    DefaultScopes,
    /// Client credentials don't ask for OIDC scopes.
    OpenidClientCredentials,
    /// Client credentials don't ask for scopes needing consent.
    ConsentClientCredentials,
    /// The `scope` parameter is not too long.
    ScopeLength,
    /// A response type with `id_token` comes with `openid`.
    OpenidForIdToken,
    /// A browser-based client asks for `offline_access` only with the `refresh_token` grant
    /// type.
    BrowserOfflineAccess,
    /// The user is assigned to the client application.
    UserAssigned,
    /// The consent decision over the granted scopes (user flows through `/authorize`).
    Consent,
    /// The issuer (`issuerMode: DYNAMIC`: from the request's host).
    Issuer,
    /// An ID token has its `idp`: the identity provider, else the org id.
    IdentityProvider,
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Check::ServerActive => "authorization server is active",
            Check::GrantTypeSupported => "grant type is supported",
            Check::ClientGrantType => "client may use the grant type",
            Check::RefreshToken => "refresh token is valid",
            Check::DpopProof => "DPoP proof is valid",
            Check::ScopesPresent => "scope list is not empty",
            Check::RefreshScopes => "refresh scopes were originally granted",
            Check::ScopesConfigured => "scopes are configured",
            Check::DefaultScopes => "default scopes exist",
            Check::OpenidClientCredentials => "no OIDC scopes with client credentials",
            Check::ConsentClientCredentials => "no consent scopes with client credentials",
            Check::ScopeLength => "scope parameter is not too long",
            Check::OpenidForIdToken => "openid for an ID token",
            Check::BrowserOfflineAccess => "offline_access from a browser",
            Check::UserAssigned => "user is assigned to the app",
            Check::Consent => "consent",
            Check::Issuer => "issuer",
            Check::IdentityProvider => "idp for the ID token",
        })
    }
}

/// Why a policy or rule was passed over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum SkipReason {
    /// Its status is `INACTIVE`.
    Inactive,
    /// The policy includes neither the client nor `ALL_CLIENTS`.
    ClientNotIncluded {
        /// The requesting client.
        client_id: String,
        /// The policy's client list.
        include: Vec<String>,
    },
    /// The rule's grant types don't include the request's.
    GrantTypeNotIncluded {
        /// The request's grant type.
        grant_type: GrantType,
        /// For a refresh, the original grant type (either would do).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        original_grant_type: Option<GrantType>,
        /// The rule's grant types.
        include: Vec<GrantType>,
    },
    /// The user is in the rule's `users.exclude`.
    UserExcluded {
        /// The user.
        user_id: String,
    },
    /// The user is in a group of the rule's `groups.exclude` (`EVERYONE` excludes everyone).
    UserExcludedByGroup {
        /// The group id.
        group_id: String,
        /// The group name, when the user's group list has it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        group_name: Option<String>,
    },
    /// The user is neither in `users.include` nor in a group of `groups.include`.
    UserNotIncluded {
        /// The user.
        user_id: String,
    },
    /// The rule names no people (it is for requests without a user) but the request has one.
    NoPeopleCondition {
        /// The user.
        user_id: String,
    },
    /// A requested scope is not in the rule's scope list.
    ScopeNotAllowed {
        /// The first such scope.
        scope: String,
    },
    /// No `scope` parameter and the rule allows none of the default scopes.
    NoDefaultScopeAllowed {
        /// The server's default scopes.
        default_scopes: Vec<String>,
    },
}

pub(super) fn list<T: fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::Inactive => f.write_str("inactive"),
            SkipReason::ClientNotIncluded { client_id, include } => {
                write!(f, "client {client_id} not included in [{}]", list(include))
            }
            SkipReason::GrantTypeNotIncluded {
                grant_type,
                original_grant_type: None,
                include,
            } => write!(f, "grant type {grant_type} not in [{}]", list(include)),
            SkipReason::GrantTypeNotIncluded {
                grant_type,
                original_grant_type: Some(o),
                include,
            } => write!(
                f,
                "neither grant type {grant_type} nor the original grant type {o} in [{}]",
                list(include)
            ),
            SkipReason::UserExcluded { user_id } => {
                write!(f, "user {user_id} excluded by users.exclude")
            }
            SkipReason::UserExcludedByGroup {
                group_id,
                group_name,
            } => match group_name {
                Some(n) => write!(f, "user excluded by group {group_id} ({n:?})"),
                None => write!(f, "user excluded by group {group_id}"),
            },
            SkipReason::UserNotIncluded { user_id } => write!(
                f,
                "user {user_id} not in users.include nor in a group of groups.include"
            ),
            SkipReason::NoPeopleCondition { user_id } => write!(
                f,
                "rule has no people condition (no-user rule) but the request has user {user_id}"
            ),
            SkipReason::ScopeNotAllowed { scope } => write!(f, "scope {scope} not allowed"),
            SkipReason::NoDefaultScopeAllowed { default_scopes } => write!(
                f,
                "no default scope allowed (default scopes: [{}])",
                list(default_scopes)
            ),
        }
    }
}

/// What happened to a policy or rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// The policy applies to the client; its rules follow.
    Evaluated,
    /// The rule matched: evaluation stops here.
    Matched,
    /// Passed over.
    Skipped {
        /// Why.
        #[serde(flatten)]
        reason: SkipReason,
    },
}

/// One step of an evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum TraceStep {
    /// A check before the policies.
    Check {
        /// Which.
        check: Check,
        /// Whether it passed (a failed check ends the evaluation).
        passed: bool,
        /// Details (the values checked).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
    /// A policy, in evaluation order.
    Policy {
        /// Id and name.
        policy: Matched,
        /// JSON pointer into the configuration.
        path: String,
        /// What happened.
        #[serde(flatten)]
        verdict: Verdict,
    },
    /// A rule of the policy before it.
    Rule {
        /// Id and name.
        rule: Matched,
        /// JSON pointer into the configuration.
        path: String,
        /// What happened.
        #[serde(flatten)]
        verdict: Verdict,
    },
}

impl fmt::Display for TraceStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn verdict(f: &mut fmt::Formatter<'_>, v: &Verdict) -> fmt::Result {
            match v {
                Verdict::Evaluated => f.write_str("evaluating its rules"),
                Verdict::Matched => f.write_str("MATCHED"),
                Verdict::Skipped { reason } => write!(f, "skipped: {reason}"),
            }
        }
        match self {
            TraceStep::Check {
                check,
                passed,
                detail,
            } => {
                write!(f, "[{}] {check}", if *passed { "ok" } else { "FAILED" })?;
                if let Some(d) = detail {
                    write!(f, " ({d})")?;
                }
                Ok(())
            }
            TraceStep::Policy {
                policy,
                path,
                verdict: v,
            } => {
                write!(f, "policy {policy} at {path}: ")?;
                verdict(f, v)
            }
            TraceStep::Rule {
                rule,
                path,
                verdict: v,
            } => {
                write!(f, "    rule {rule} at {path}: ")?;
                verdict(f, v)
            }
        }
    }
}

/// The final result of an evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A rule matched.
    Granted(Box<Grant>),
    /// The request is refused.
    Denied(OAuthError),
}

/// Every check, policy and rule an evaluation visited, in order, and its outcome. Made by
/// [`AuthorizationServer::explain`](crate::AuthorizationServer::explain).
///
/// `explain` visits every policy of the server (those for other clients are listed as
/// skipped); `evaluate` only looks at the policies that include the client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    /// The steps in order.
    pub steps: Vec<TraceStep>,
    /// The grant or the error.
    pub outcome: Outcome,
}

impl Trace {
    pub(crate) fn new(steps: Vec<TraceStep>, result: Result<Grant, OAuthError>) -> Trace {
        Trace {
            steps,
            outcome: match result {
                Ok(g) => Outcome::Granted(Box::new(g)),
                Err(e) => Outcome::Denied(e),
            },
        }
    }

    /// The outcome as a `Result`.
    pub fn result(&self) -> Result<&Grant, &OAuthError> {
        match &self.outcome {
            Outcome::Granted(g) => Ok(g),
            Outcome::Denied(e) => Err(e),
        }
    }

    /// The outcome as an owned `Result` (what `evaluate` returns).
    pub fn into_result(self) -> Result<Grant, OAuthError> {
        match self.outcome {
            Outcome::Granted(g) => Ok(*g),
            Outcome::Denied(e) => Err(e),
        }
    }
}

impl fmt::Display for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for s in &self.steps {
            writeln!(f, "{s}")?;
        }
        match &self.outcome {
            Outcome::Granted(g) => write!(
                f,
                "=> granted by policy {} rule {}: scopes [{}], access token {} min, refresh token {}, idle window {} min",
                g.policy,
                g.rule,
                g.scopes.join(", "),
                g.lifetimes.access_token_lifetime_minutes,
                match g.lifetimes.refresh_token_lifetime_minutes {
                    0 => "unlimited".to_owned(),
                    n => format!("{n} min"),
                },
                g.lifetimes.refresh_token_window_minutes
            ),
            Outcome::Denied(e) => write!(f, "=> denied: {e} (HTTP {})", e.status()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/// Receives the steps of an evaluation. `evaluate` uses [`NoTrace`]; `explain` a [`Recorder`].
pub(crate) trait Tracer {
    /// Whether steps are recorded; a recording evaluation visits every policy.
    const RECORDS: bool;
    /// Records a step (the closure is not called when nothing is recorded).
    fn step(&mut self, f: impl FnOnce() -> TraceStep);
}

/// A tracer that records nothing.
pub(crate) struct NoTrace;

impl Tracer for NoTrace {
    const RECORDS: bool = false;
    #[inline(always)]
    fn step(&mut self, _f: impl FnOnce() -> TraceStep) {}
}

/// A tracer that keeps every step.
#[derive(Default)]
pub(crate) struct Recorder(pub(crate) Vec<TraceStep>);

impl Tracer for Recorder {
    const RECORDS: bool = true;
    fn step(&mut self, f: impl FnOnce() -> TraceStep) {
        self.0.push(f());
    }
}
