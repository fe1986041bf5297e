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
//! 6. every scope exists (`invalid_scope`, `no_matching_scope`);
//! 7. without a `scope` parameter, some scope is a default scope (`no_default_scopes`);
//! 8. client credentials: no `openid` (`openid_not_allowed_client_creds`) and no scope whose
//!    consent is `REQUIRED` (`consent_required`);
//! 9. a request with a user has an app user (`access_denied`, `user_not_assigned`);
//! 10. policies by priority (absent priorities after all explicit ones, in document order)
//!     that are active and include the client or `ALL_CLIENTS`; inside each, active rules by
//!     priority whose grant types, people and scopes match. The first matching rule wins;
//!     none → `access_denied` `no_matching_policy`.

use crate::config::{
    ALL_CLIENTS, Consent, EVERYONE, GrantType, Policy, Rule, SYSTEM_SCOPE_NAMES, ServerConfig,
    Status, system_scopes,
};
use crate::oauth::{OAuthError, OAuthErrorId};
use crate::request::{ResponseType, TokenRequest, User};
use crate::token::RefreshRecord;
use serde::{Deserialize, Serialize};
use serde_json::Value;
/// Sets and maps of the compiled configuration, looked up several times per request (foldhash:
/// short keys, where SipHash's cost shows).
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
type HashSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;
use std::fmt;

/// The scopes every rule allows when `Options::implicit_oidc_scopes` is on: the system scopes
/// but `device_sso` (`openid profile email address phone offline_access`).
pub const IMPLICIT_OIDC_SCOPES: &[&str] = SYSTEM_SCOPE_NAMES.split_at(6).0;

// ---------------------------------------------------------------------------------------------
// Results

/// A policy or rule, by id and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Matched {
    /// The id, if the configuration has one.
    pub id: Option<String>,
    /// The name.
    pub name: String,
}

impl fmt::Display for Matched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.name)?;
        if let Some(id) = &self.id {
            write!(f, " ({id})")?;
        }
        Ok(())
    }
}

/// Token lifetimes from the matched rule's actions, in minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lifetimes {
    /// Access-token lifetime.
    pub access_token_lifetime_minutes: i64,
    /// Refresh-token lifetime; 0 = unlimited.
    pub refresh_token_lifetime_minutes: i64,
    /// Refresh-token idle window.
    pub refresh_token_window_minutes: i64,
}

/// Who the tokens are for, in the terms minting needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subject {
    /// The user id (`uid`).
    pub user_id: String,
    /// The user's `login` profile attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
    /// The app user's `userName` (the access token's default `sub`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_username: Option<String>,
}

/// The outcome of a successful evaluation: everything needed to mint tokens later without
/// evaluating policies again (a host may store it with an authorization code).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Grant {
    /// The matched policy.
    pub policy: Matched,
    /// The matched rule.
    pub rule: Matched,
    /// The requesting client.
    pub client_id: String,
    /// The grant type of the request.
    pub grant_type: GrantType,
    /// For a refresh: the grant that minted the first refresh token of the chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_grant_type: Option<GrantType>,
    /// The granted scopes, in request order without duplicates (default scopes in
    /// configuration order).
    pub scopes: Vec<String>,
    /// Whether the scopes are the default scopes (the request had no `scope` parameter).
    pub default_scopes: bool,
    /// Token lifetimes from the rule.
    pub lifetimes: Lifetimes,
    /// The rule's token inline hook id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inline_hook: Option<String>,
    /// The request's `response_type`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_type: Option<ResponseType>,
    /// The user, if the request has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Subject>,
    /// The request's `nonce`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// When the user authenticated (seconds since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// The identity provider that authenticated the user (the ID token's `idp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idp: Option<Value>,
    /// When the request was evaluated.
    pub evaluated_at: chrono::DateTime<chrono::Utc>,
    /// For a refresh: the record of the refresh token redeemed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh: Option<RefreshRecord>,
    /// The expression-evaluation context of the request with `access.scope` = the granted
    /// scopes: the user (shared with the request), app user, app, org and session the claims
    /// read. Serializes as the JSON of [`el::Context`](crate::el::Context).
    pub context: crate::el::Context,
}

impl Grant {
    /// The record to store for a refresh token minted from this grant at `now` (whether one is
    /// minted — `offline_access`, grant type — is minting's decision).
    ///
    /// A first refresh token starts a chain: its lifetime and idle window come from the matched
    /// rule. A rotated one (this grant is a refresh) keeps the chain's original grant type,
    /// first issue time and lifetime — the lifetime counts from the first token — and takes
    /// the matched rule's idle window, restarting it at `now`.
    pub fn refresh_record(&self, now: chrono::DateTime<chrono::Utc>) -> RefreshRecord {
        let (grant_type, first_issued_at, lifetime_minutes) = match &self.refresh {
            Some(r) => (r.grant_type.clone(), r.first_issued_at, r.lifetime_minutes),
            None => (
                self.grant_type.clone(),
                now,
                self.lifetimes.refresh_token_lifetime_minutes,
            ),
        };
        RefreshRecord {
            handle: None,
            client_id: self.client_id.clone(),
            grant_type,
            scopes: self.scopes.clone(),
            user_id: self.subject.as_ref().map(|s| s.user_id.clone()),
            first_issued_at,
            last_used_at: Some(now),
            lifetime_minutes,
            window_minutes: self.lifetimes.refresh_token_window_minutes,
        }
    }
}

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
    /// The scope list is not empty.
    ScopesPresent,
    /// A refresh asks only for scopes of the original grant.
    RefreshScopes,
    /// Every requested scope exists on the server.
    ScopesConfigured,
    /// Without a `scope` parameter, the server has default scopes.
    DefaultScopes,
    /// Client credentials don't ask for `openid`.
    OpenidClientCredentials,
    /// Client credentials don't ask for scopes needing consent.
    ConsentClientCredentials,
    /// The user is assigned to the client application.
    UserAssigned,
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Check::ServerActive => "authorization server is active",
            Check::GrantTypeSupported => "grant type is supported",
            Check::ClientGrantType => "client may use the grant type",
            Check::RefreshToken => "refresh token is valid",
            Check::ScopesPresent => "scope list is not empty",
            Check::RefreshScopes => "refresh scopes were originally granted",
            Check::ScopesConfigured => "scopes are configured",
            Check::DefaultScopes => "default scopes exist",
            Check::OpenidClientCredentials => "no openid with client credentials",
            Check::ConsentClientCredentials => "no consent scopes with client credentials",
            Check::UserAssigned => "user is assigned to the app",
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

fn list<T: fmt::Display>(items: &[T]) -> String {
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
// Compiled form
//
// The compiled policies refer to the configuration by position instead of copying it: names,
// ids, client lists, lifetimes and hooks are read from the `ServerConfig` the engine was built
// from (the `AuthorizationServer` owns both). Sets are sorted runs of small integers in one
// arena (`Engine::ids`): scope ids (positions in `Engine::scopes`), user and group ids (each
// distinct id interned once), policy positions. The memory of a compiled server is therefore
// linear in the configuration: no list is copied per client, rule or policy.

/// A run of `Engine::ids`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub(crate) struct Span {
    pub(crate) start: u32,
    pub(crate) len: u32,
}

/// Grant types Okta knows, as bits (validation refuses the others before anything compiles).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct GrantSet(u16);

impl GrantSet {
    fn bit(g: &GrantType) -> u16 {
        match g {
            GrantType::AuthorizationCode => 1,
            GrantType::Implicit => 1 << 1,
            GrantType::Password => 1 << 2,
            GrantType::ClientCredentials => 1 << 3,
            GrantType::RefreshToken => 1 << 4,
            GrantType::DeviceCode => 1 << 5,
            GrantType::TokenExchange => 1 << 6,
            GrantType::Saml2Bearer => 1 << 7,
            GrantType::JwtBearer => 1 << 8,
            GrantType::Ciba => 1 << 9,
            GrantType::InteractionCode => 1 << 10,
            GrantType::Otp => 1 << 11,
            GrantType::Oob => 1 << 12,
            GrantType::MfaOtp => 1 << 13,
            GrantType::MfaOob => 1 << 14,
            GrantType::Other(_) => 0,
        }
    }

    fn of(list: &[GrantType]) -> GrantSet {
        GrantSet(list.iter().fold(0, |acc, g| acc | GrantSet::bit(g)))
    }

    pub(crate) fn contains(self, g: &GrantType) -> bool {
        self.0 & GrantSet::bit(g) != 0
    }

    /// Whether every grant type of `self` is in `other`.
    pub(crate) fn is_subset(self, other: GrantSet) -> bool {
        self.0 & !other.0 == 0
    }
}

/// `conditions.people` of a rule that names someone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct CompiledPeople {
    pub(crate) users_include: Span,
    pub(crate) users_exclude: Span,
    pub(crate) groups_include: Span,
    pub(crate) groups_exclude: Span,
    pub(crate) everyone: bool,
    pub(crate) everyone_excluded: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct CompiledRule {
    /// Position in its policy's `rules` (document order).
    pub(crate) index: u32,
    pub(crate) active: bool,
    pub(crate) any_scope: bool,
    pub(crate) grants: GrantSet,
    /// Scope ids, sorted.
    pub(crate) scopes: Span,
    /// Its people condition in `Engine::people`; [`NO_PEOPLE`]: the rule is for requests
    /// without a user.
    people: u32,
}

#[derive(Debug, Clone)]
pub(crate) struct CompiledPolicy {
    /// Position in the configuration's `policies` (document order).
    pub(crate) index: u32,
    pub(crate) active: bool,
    pub(crate) all_clients: bool,
    /// Its rules in `Engine::rules`, by effective priority.
    pub(crate) rules: Span,
}

#[derive(Debug, Clone)]
pub(crate) struct ScopeInfo {
    pub(crate) name: String,
    pub(crate) consent: Consent,
    /// Allowed by every rule when `Options::implicit_oidc_scopes` is on.
    pub(crate) implicit: bool,
    /// The name as an expression value, shared by every grant's `access.scope`.
    pub(crate) value: crate::el::Value,
}

/// The compiled policies with their index.
#[derive(Debug, Clone)]
pub(crate) struct Engine {
    /// Every policy, sorted by effective priority; "positions" index this list.
    pub(crate) policies: Vec<CompiledPolicy>,
    /// Every rule, each policy's together, by effective priority.
    pub(crate) rules: Vec<CompiledRule>,
    /// The arena of every id run (equal runs stored once).
    ids: Vec<u32>,
    /// The distinct people conditions.
    people: Vec<CompiledPeople>,
    /// The user and group ids the rules name, interned.
    names: HashMap<Box<str>, u32>,
    /// Positions of the active `ALL_CLIENTS` policies, in order.
    pub(crate) all_clients: Vec<u32>,
    /// Per client named by an active policy: the positions of the active policies that name it
    /// (not the `ALL_CLIENTS` ones: evaluation merges the two sorted runs as it goes).
    pub(crate) by_client: HashMap<Box<str>, Span>,
    /// Every scope of the server (system scopes first), by id.
    pub(crate) scopes: Vec<ScopeInfo>,
    /// Scope ids by name.
    pub(crate) scope_ids: HashMap<Box<str>, u32>,
    /// Ids of the scopes with `default: true`, in configuration order.
    pub(crate) default_scopes: Vec<u32>,
    pub(crate) implicit_oidc: bool,
    pub(crate) server_active: bool,
    /// The grant types active rules of active policies list, in `GrantType::KNOWN` order.
    configured_grants: Vec<GrantType>,
}

/// Indices of `items` sorted by effective priority: explicit priorities ascending, then the
/// ones without a priority in document order.
pub(crate) fn priority_order<T>(items: &[T], priority: impl Fn(&T) -> Option<i64>) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..items.len()).collect();
    idx.sort_by_key(|&i| match items.get(i).and_then(&priority) {
        Some(p) => (0, p, i),
        None => (1, 0, i),
    });
    idx
}

/// Whether a sorted run contains `x`.
pub(crate) fn contains(run: &[u32], x: u32) -> bool {
    if run.len() <= 8 {
        run.contains(&x)
    } else {
        run.binary_search(&x).is_ok()
    }
}

/// `u32` of a count the configuration caps keep far below 2³².
fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Builds the arena and the interned names.
struct Builder<'c> {
    ids: Vec<u32>,
    names: HashMap<&'c str, u32>,
    /// Every distinct run, so that equal ones share their ids.
    runs: HashMap<Box<[u32]>, Span>,
    scratch: Vec<u32>,
    people: Vec<CompiledPeople>,
    people_index: HashMap<CompiledPeople, u32>,
}

impl<'c> Builder<'c> {
    /// The sorted, deduplicated run of `items` (shared with an equal run made before).
    fn run(&mut self, items: impl IntoIterator<Item = u32>) -> Span {
        self.scratch.clear();
        self.scratch.extend(items);
        self.scratch.sort_unstable();
        self.scratch.dedup();
        if self.scratch.is_empty() {
            return Span::default();
        }
        if let Some(&s) = self.runs.get(self.scratch.as_slice()) {
            return s;
        }
        let span = Span {
            start: to_u32(self.ids.len()),
            len: to_u32(self.scratch.len()),
        };
        self.ids.extend_from_slice(&self.scratch);
        self.runs.insert(self.scratch.as_slice().into(), span);
        span
    }

    fn names(&mut self, list: &'c [String]) -> Span {
        let mut ids = std::mem::take(&mut self.scratch);
        ids.clear();
        for s in list {
            let next = to_u32(self.names.len());
            ids.push(*self.names.entry(s.as_str()).or_insert(next));
        }
        let span = self.run(ids.iter().copied());
        // Keep the bigger buffer for the next run.
        if ids.capacity() > self.scratch.capacity() {
            self.scratch = ids;
        }
        span
    }

    /// The index of the rule's people condition in `Engine::people` (equal ones shared), or
    /// [`NO_PEOPLE`].
    fn people(&mut self, rule: &'c Rule) -> u32 {
        let Some(p) = rule.conditions.people.as_ref().filter(|p| p.has_includes()) else {
            return NO_PEOPLE;
        };
        let none: &[String] = &[];
        let (ui, ue) = p
            .users
            .as_ref()
            .map_or((none, none), |u| (&u.include[..], &u.exclude[..]));
        let (gi, ge) = p
            .groups
            .as_ref()
            .map_or((none, none), |g| (&g.include[..], &g.exclude[..]));
        let compiled = CompiledPeople {
            users_include: self.names(ui),
            users_exclude: self.names(ue),
            groups_include: self.names(gi),
            groups_exclude: self.names(ge),
            everyone: gi.iter().any(|g| g == EVERYONE),
            everyone_excluded: ge.iter().any(|g| g == EVERYONE),
        };
        let next = to_u32(self.people.len());
        let i = *self.people_index.entry(compiled).or_insert(next);
        if i == next {
            self.people.push(compiled);
        }
        i
    }
}

/// `CompiledRule::people` of a rule without a people condition.
const NO_PEOPLE: u32 = u32::MAX;

impl Engine {
    pub(crate) fn new(cfg: &ServerConfig, implicit_oidc: bool) -> Engine {
        // Scopes: the system ones first (a configured scope of the same name replaces one),
        // then the others in configuration order.
        let system = system_scopes();
        let mut all: Vec<&crate::config::Scope> = system.iter().collect();
        for s in &cfg.scopes {
            match all.iter_mut().take(system.len()).find(|x| x.name == s.name) {
                Some(x) => *x = s,
                None => all.push(s),
            }
        }
        let mut scope_ids: HashMap<Box<str>, u32> =
            HashMap::with_capacity_and_hasher(all.len(), Default::default());
        let mut scopes = Vec::with_capacity(all.len());
        let mut default_scopes = Vec::new();
        for s in &all {
            if scope_ids.contains_key(s.name.as_str()) {
                continue;
            }
            let id = to_u32(scopes.len());
            scope_ids.insert(s.name.as_str().into(), id);
            if s.default {
                default_scopes.push(id);
            }
            scopes.push(ScopeInfo {
                name: s.name.clone(),
                consent: s.consent,
                implicit: IMPLICIT_OIDC_SCOPES.contains(&s.name.as_str()),
                value: crate::el::Value::from(s.name.as_str()),
            });
        }

        let mut b = Builder {
            ids: Vec::new(),
            names: HashMap::default(),
            runs: HashMap::default(),
            scratch: Vec::new(),
            people: Vec::new(),
            people_index: HashMap::default(),
        };
        let order = priority_order(&cfg.policies, |p| p.priority);
        let mut policies = Vec::with_capacity(order.len());
        let mut rules = Vec::with_capacity(cfg.policies.iter().map(|p| p.rules.len()).sum());
        let mut scope_buf = Vec::new();
        for &i in &order {
            let Some(p) = cfg.policies.get(i) else {
                continue;
            };
            let first = rules.len();
            for j in priority_order(&p.rules, |r| r.priority) {
                let Some(r) = p.rules.get(j) else { continue };
                let include = &r.conditions.scopes.include;
                scope_buf.clear();
                scope_buf.extend(include.iter().filter_map(|s| scope_ids.get(s.as_str())));
                rules.push(CompiledRule {
                    index: to_u32(j),
                    active: r.status == Status::Active,
                    any_scope: include.iter().any(|s| s == "*"),
                    grants: GrantSet::of(&r.conditions.grant_types.include),
                    scopes: b.run(scope_buf.iter().copied()),
                    people: b.people(r),
                });
            }
            let clients = p
                .conditions
                .clients
                .as_ref()
                .map_or(&[][..], |c| &c.include[..]);
            policies.push(CompiledPolicy {
                index: to_u32(i),
                active: p.status == Status::Active,
                all_clients: clients.iter().any(|c| c == ALL_CLIENTS),
                rules: Span {
                    start: to_u32(first),
                    len: to_u32(rules.len() - first),
                },
            });
        }

        // The client index: per client, the positions of the active policies naming it, in
        // order, each once (a list may repeat a client). Made from the sorted (client,
        // position) pairs: no list per client while building.
        let mut all_clients = Vec::new();
        let mut pairs: Vec<(&str, u32)> = Vec::new();
        for (pos, p) in policies.iter().enumerate() {
            if !p.active {
                continue;
            }
            if p.all_clients {
                all_clients.push(to_u32(pos));
                continue;
            }
            let Some(cp) = cfg.policies.get(p.index as usize) else {
                continue;
            };
            let list = cp.conditions.clients.iter().flat_map(|c| &c.include);
            pairs.extend(list.map(|c| (c.as_str(), to_u32(pos))));
        }
        pairs.sort_unstable();
        pairs.dedup();
        let distinct = pairs.chunk_by(|a, b| a.0 == b.0).count();
        let mut by_client: HashMap<Box<str>, Span> =
            HashMap::with_capacity_and_hasher(distinct, Default::default());
        for run in pairs.chunk_by(|a, b| a.0 == b.0) {
            let start = to_u32(b.ids.len());
            b.ids.extend(run.iter().map(|&(_, pos)| pos));
            if let Some(&(client, _)) = run.first() {
                let len = to_u32(run.len());
                by_client.insert(client.into(), Span { start, len });
            }
        }
        drop(pairs);

        let mut used = GrantSet::default();
        for p in policies.iter().filter(|p| p.active) {
            for r in rules_of(&rules, p) {
                if r.active {
                    used.0 |= r.grants.0;
                }
            }
        }
        let configured_grants = GrantType::KNOWN
            .iter()
            .filter(|g| used.contains(g))
            .cloned()
            .collect();
        let mut ids = b.ids;
        ids.shrink_to_fit();
        let mut people = b.people;
        people.shrink_to_fit();
        let names = b
            .names
            .into_iter()
            .map(|(k, v)| (Box::from(k), v))
            .collect();
        Engine {
            configured_grants,
            policies,
            rules,
            ids,
            people,
            names,
            all_clients,
            by_client,
            scopes,
            scope_ids,
            default_scopes,
            implicit_oidc,
            server_active: cfg.authorization_server.status == Status::Active,
        }
    }

    /// The ids of a run.
    pub(crate) fn ids(&self, s: Span) -> &[u32] {
        self.ids
            .get(s.start as usize..)
            .and_then(|t| t.get(..s.len as usize))
            .unwrap_or_default()
    }

    /// A rule's people condition (`None`: the rule is for requests without a user).
    pub(crate) fn people(&self, r: &CompiledRule) -> Option<&CompiledPeople> {
        self.people.get(r.people as usize)
    }

    /// A policy's compiled rules.
    pub(crate) fn rules(&self, p: &CompiledPolicy) -> &[CompiledRule] {
        rules_of(&self.rules, p)
    }

    /// The positions of the active policies that name `client_id` (not `ALL_CLIENTS`).
    pub(crate) fn own_policies(&self, client_id: &str) -> &[u32] {
        self.by_client.get(client_id).map_or(&[], |s| self.ids(*s))
    }

    pub(crate) fn allows_scope(&self, rule: &CompiledRule, scope: u32) -> bool {
        rule.any_scope
            || contains(self.ids(rule.scopes), scope)
            || (self.implicit_oidc && self.scopes.get(scope as usize).is_some_and(|s| s.implicit))
    }
}

fn rules_of<'a>(rules: &'a [CompiledRule], p: &CompiledPolicy) -> &'a [CompiledRule] {
    rules
        .get(p.rules.start as usize..)
        .and_then(|t| t.get(..p.rules.len as usize))
        .unwrap_or_default()
}

/// The configuration objects of a compiled policy and rule. The engine is built from this very
/// configuration, so they always exist.
pub(crate) fn config_policy<'c>(cfg: &'c ServerConfig, p: &CompiledPolicy) -> Option<&'c Policy> {
    cfg.policies.get(p.index as usize)
}

pub(crate) fn config_rule<'c>(policy: &'c Policy, r: &CompiledRule) -> Option<&'c Rule> {
    policy.rules.get(r.index as usize)
}

pub(crate) fn matched_policy(p: &Policy) -> Matched {
    Matched {
        id: p.id.clone(),
        name: p.name.clone(),
    }
}

pub(crate) fn matched_rule(r: &Rule) -> Matched {
    Matched {
        id: r.id.clone(),
        name: r.name.clone(),
    }
}

pub(crate) fn policy_path(p: &CompiledPolicy) -> String {
    format!("/policies/{}", p.index)
}

pub(crate) fn rule_path(p: &CompiledPolicy, r: &CompiledRule) -> String {
    format!("/policies/{}/rules/{}", p.index, r.index)
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

/// The scopes a request asks for.
enum Wanted {
    /// Explicit (or, for a refresh without `scope`, the original ones), deduplicated, with their
    /// scope ids once they are known to exist.
    Explicit(Vec<String>, Vec<u32>),
    /// No `scope` parameter: the default scopes each rule allows.
    Defaults,
}

fn check<T: Tracer>(t: &mut T, check: Check, passed: bool, detail: impl FnOnce() -> String) {
    t.step(|| TraceStep::Check {
        check,
        passed,
        detail: Some(detail()).filter(|d| !d.is_empty()),
    });
}

fn fail<T: Tracer>(
    t: &mut T,
    c: Check,
    detail: impl FnOnce() -> String,
    err: OAuthError,
) -> Result<Grant, OAuthError> {
    check(t, c, false, detail);
    Err(err)
}

/// The scopes in order, without repeats (a set only for long lists).
fn dedup(scopes: &[String]) -> Vec<String> {
    if scopes.len() <= 16 {
        let mut out: Vec<String> = Vec::with_capacity(scopes.len());
        for s in scopes {
            if !out.contains(s) {
                out.push(s.clone());
            }
        }
        return out;
    }
    let mut seen = HashSet::with_capacity_and_hasher(scopes.len(), Default::default());
    scopes
        .iter()
        .filter(|s| seen.insert(s.as_str()))
        .cloned()
        .collect()
}

/// The items of `wanted` that are not in `have`, in order (a set only for long lists).
fn missing<'a>(wanted: &'a [String], have: &[String]) -> Vec<&'a str> {
    let out = wanted.iter().map(String::as_str);
    if have.len() <= 16 {
        return out.filter(|x| !have.iter().any(|h| h == x)).collect();
    }
    let set: HashSet<&str> = have.iter().map(String::as_str).collect();
    out.filter(|x| !set.contains(x)).collect()
}

/// The request's user in terms of the interned ids, looked up on first use.
struct Person<'r> {
    user: &'r User,
    ids: Option<PersonIds>,
}

/// The interned ids of a user and their groups (`None`: no rule names it).
struct PersonIds {
    user: Option<u32>,
    /// By the user's group order.
    groups: Vec<Option<u32>>,
    /// `(group id, first position in the user's groups)`, sorted by id.
    sorted: Vec<(u32, u32)>,
}

impl PersonIds {
    /// The first of the user's groups (in their order) that is in the sorted run `run`.
    /// Costs the shorter of the two lists (times a binary search in the other).
    fn first_in(&self, run: &[u32]) -> Option<usize> {
        if run.len() < self.groups.len() {
            run.iter()
                .filter_map(|id| {
                    let i = self.sorted.binary_search_by_key(id, |&(g, _)| g).ok()?;
                    self.sorted.get(i).map(|&(_, pos)| pos as usize)
                })
                .min()
        } else {
            self.groups
                .iter()
                .position(|g| g.is_some_and(|g| contains(run, g)))
        }
    }
}

impl<'r> Person<'r> {
    fn ids(&mut self, names: &HashMap<Box<str>, u32>) -> &PersonIds {
        let user = self.user;
        self.ids.get_or_insert_with(|| {
            let groups: Vec<Option<u32>> = user
                .groups
                .iter()
                .map(|g| names.get(g.id.as_str()).copied())
                .collect();
            let mut sorted: Vec<(u32, u32)> = groups
                .iter()
                .enumerate()
                .filter_map(|(pos, g)| Some(((*g)?, to_u32(pos))))
                .collect();
            // By id, then position: the first of equal ids is the first position.
            sorted.sort_unstable();
            sorted.dedup_by_key(|&mut (g, _)| g);
            PersonIds {
                user: names.get(user.id.as_str()).copied(),
                groups,
                sorted,
            }
        })
    }
}

/// Why a rule was passed over, borrowing what it names: made into a [`SkipReason`] only when a
/// trace records it, so that `evaluate` copies nothing for the rules it passes over.
enum Skip<'a> {
    Inactive,
    GrantType(&'a [GrantType]),
    UserExcluded,
    ExcludedByEveryone,
    ExcludedByGroup(usize),
    UserNotIncluded,
    NoPeople,
    Scope(&'a str),
    NoDefaultScope,
}

impl Skip<'_> {
    fn reason(
        &self,
        engine: &Engine,
        grant: &GrantType,
        original: Option<&GrantType>,
        user: Option<&User>,
    ) -> SkipReason {
        let user_id = || user.map(|u| u.id.clone()).unwrap_or_default();
        match *self {
            Skip::Inactive => SkipReason::Inactive,
            Skip::GrantType(include) => SkipReason::GrantTypeNotIncluded {
                grant_type: grant.clone(),
                original_grant_type: original.cloned(),
                include: include.to_vec(),
            },
            Skip::UserExcluded => SkipReason::UserExcluded { user_id: user_id() },
            Skip::ExcludedByEveryone => SkipReason::UserExcludedByGroup {
                group_id: EVERYONE.to_owned(),
                group_name: None,
            },
            Skip::ExcludedByGroup(pos) => {
                let g = user.and_then(|u| u.groups.get(pos));
                SkipReason::UserExcludedByGroup {
                    group_id: g.map(|g| g.id.clone()).unwrap_or_default(),
                    group_name: g.map(|g| g.name.clone()),
                }
            }
            Skip::UserNotIncluded => SkipReason::UserNotIncluded { user_id: user_id() },
            Skip::NoPeople => SkipReason::NoPeopleCondition { user_id: user_id() },
            Skip::Scope(scope) => SkipReason::ScopeNotAllowed {
                scope: scope.to_owned(),
            },
            Skip::NoDefaultScope => SkipReason::NoDefaultScopeAllowed {
                default_scopes: engine
                    .scope_names(&engine.default_scopes)
                    .map(str::to_owned)
                    .collect(),
            },
        }
    }
}

impl Engine {
    /// The one evaluation function behind `evaluate` and `explain`, over the configuration
    /// the engine was built from.
    pub(crate) fn run<T: Tracer>(
        &self,
        cfg: &ServerConfig,
        req: &TokenRequest,
        t: &mut T,
    ) -> Result<Grant, OAuthError> {
        let grant = &req.grant_type;
        let client_id = req.client.client_id.as_str();

        // 1. The server.
        if !self.server_active {
            return fail(
                t,
                Check::ServerActive,
                || "the authorization server is INACTIVE".into(),
                OAuthError::new(OAuthErrorId::InvalidAuthorizationServer),
            );
        }
        check(t, Check::ServerActive, true, String::new);

        // 2. A grant type Okta knows.
        if !grant.is_known() {
            return fail(
                t,
                Check::GrantTypeSupported,
                || {
                    format!(
                        "{grant:?} is not a grant type; the server's rules use [{}]",
                        list(&self.configured_grants)
                    )
                },
                OAuthError::with_values(
                    OAuthErrorId::UnsupportedGrantType,
                    self.configured_grants.iter().map(GrantType::as_str),
                ),
            );
        }
        check(t, Check::GrantTypeSupported, true, String::new);

        // 3. The client's grant types.
        if !req.client.allows(grant) {
            let configured = req.client.grant_types.as_deref().unwrap_or_default();
            return fail(
                t,
                Check::ClientGrantType,
                || {
                    format!(
                        "{grant} not in the client's grant types [{}]",
                        list(configured)
                    )
                },
                OAuthError::with_values(
                    OAuthErrorId::UnauthorizedClient,
                    configured.iter().map(GrantType::as_str),
                ),
            );
        }
        check(t, Check::ClientGrantType, true, || {
            match &req.client.grant_types {
                None => format!("{grant}; the client may use any grant type"),
                Some(g) => format!("{grant} in [{}]", list(g)),
            }
        });

        // 4. The refresh record.
        let refresh: Option<&RefreshRecord> = if *grant == GrantType::RefreshToken {
            let Some(record) = &req.refresh else {
                return fail(
                    t,
                    Check::RefreshToken,
                    || "the request has no refresh record".into(),
                    OAuthError::new(OAuthErrorId::InvalidRefreshToken),
                );
            };
            let user_id = req.user.as_ref().map(|u| u.id.as_str());
            if let Err(problem) = record.check(client_id, user_id, req.now) {
                return fail(
                    t,
                    Check::RefreshToken,
                    || problem.explain().to_owned(),
                    problem.to_error(),
                );
            }
            check(t, Check::RefreshToken, true, || {
                format!(
                    "issued to {client_id} by {}, scopes [{}]",
                    record.grant_type,
                    record.scopes.join(", ")
                )
            });
            Some(record)
        } else {
            None
        };

        // 5. The scope list.
        let mut wanted = match (&req.scopes, refresh) {
            (Some(s), _) if s.is_empty() => {
                return fail(
                    t,
                    Check::ScopesPresent,
                    || "the scope parameter names no scope".into(),
                    OAuthError::new(OAuthErrorId::MissingScopes),
                );
            }
            (Some(s), Some(record)) => {
                check(t, Check::ScopesPresent, true, String::new);
                let s = dedup(s);
                let denied = missing(&s, &record.scopes);
                if !denied.is_empty() {
                    return fail(
                        t,
                        Check::RefreshScopes,
                        || format!("not in the original grant: [{}]", denied.join(", ")),
                        OAuthError::with_values(OAuthErrorId::RefreshScopesDenied, &denied),
                    );
                }
                check(t, Check::RefreshScopes, true, String::new);
                Wanted::Explicit(s, Vec::new())
            }
            (None, Some(record)) => {
                check(t, Check::RefreshScopes, true, || {
                    "no scope parameter: the original scopes".into()
                });
                Wanted::Explicit(dedup(&record.scopes), Vec::new())
            }
            (Some(s), None) => {
                check(t, Check::ScopesPresent, true, String::new);
                Wanted::Explicit(dedup(s), Vec::new())
            }
            (None, None) => Wanted::Defaults,
        };

        // 6. Every scope exists; 7. default scopes exist.
        let candidates: &[u32] = match &mut wanted {
            Wanted::Explicit(s, ids) => {
                ids.reserve_exact(s.len());
                let mut unknown = Vec::new();
                for x in s.iter() {
                    match self.scope_ids.get(x.as_str()) {
                        Some(&id) => ids.push(id),
                        None => unknown.push(x.as_str()),
                    }
                }
                if !unknown.is_empty() {
                    return fail(
                        t,
                        Check::ScopesConfigured,
                        || format!("unknown: [{}]", unknown.join(", ")),
                        OAuthError::new(OAuthErrorId::NoMatchingScope),
                    );
                }
                check(t, Check::ScopesConfigured, true, || {
                    format!("[{}]", s.join(", "))
                });
                ids
            }
            Wanted::Defaults => {
                if self.default_scopes.is_empty() {
                    return fail(
                        t,
                        Check::DefaultScopes,
                        || "no scope parameter and no scope has default: true".into(),
                        OAuthError::new(OAuthErrorId::NoDefaultScopes),
                    );
                }
                check(t, Check::DefaultScopes, true, || {
                    format!(
                        "no scope parameter; default scopes [{}]",
                        self.scope_names(&self.default_scopes)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                });
                &self.default_scopes
            }
        };

        // 8. Client credentials.
        if *grant == GrantType::ClientCredentials {
            if self.scope_names(candidates).any(|s| s == "openid") {
                return fail(
                    t,
                    Check::OpenidClientCredentials,
                    || "openid requested with client_credentials".into(),
                    OAuthError::new(OAuthErrorId::OpenidNotAllowedClientCreds),
                );
            }
            check(t, Check::OpenidClientCredentials, true, String::new);
            let consent: Vec<&str> = candidates
                .iter()
                .filter_map(|&id| self.scopes.get(id as usize))
                .filter(|i| i.consent == Consent::Required)
                .map(|i| i.name.as_str())
                .collect();
            if !consent.is_empty() {
                return fail(
                    t,
                    Check::ConsentClientCredentials,
                    || format!("consent REQUIRED: [{}]", consent.join(", ")),
                    OAuthError::with_values(
                        OAuthErrorId::ConsentRequiredClientCredentials,
                        &consent,
                    ),
                );
            }
            check(t, Check::ConsentClientCredentials, true, String::new);
        }

        // 9. The user is assigned.
        if let Some(user) = &req.user {
            if req.appuser.is_none() {
                return fail(
                    t,
                    Check::UserAssigned,
                    || format!("user {} has no app user for {client_id}", user.id),
                    OAuthError::new(OAuthErrorId::UserNotAssigned),
                );
            }
            check(t, Check::UserAssigned, true, || user.id.clone());
        }

        // 10. Policies and rules: `evaluate` walks the client's own policies and the
        // ALL_CLIENTS ones, merging the two sorted runs; `explain` walks every policy.
        let own = self.own_policies(client_id);
        let (mut i, mut j, mut every) = (0, 0, 0);
        let mut person = req.user.as_deref().map(|user| Person { user, ids: None });
        let original = refresh.map(|r| &r.grant_type);
        loop {
            let (pos, covered) = if T::RECORDS {
                let Some(p) = self.policies.get(every) else {
                    break;
                };
                let pos = to_u32(every);
                every += 1;
                while own.get(i).is_some_and(|&o| o < pos) {
                    i += 1;
                }
                (pos, p.all_clients || own.get(i) == Some(&pos))
            } else {
                let pos = match (own.get(i), self.all_clients.get(j)) {
                    (Some(&a), Some(&b)) if a <= b => {
                        i += 1;
                        a
                    }
                    (_, Some(&b)) => {
                        j += 1;
                        b
                    }
                    (Some(&a), None) => {
                        i += 1;
                        a
                    }
                    (None, None) => break,
                };
                (pos, true)
            };
            let Some(p) = self.policies.get(pos as usize) else {
                break;
            };
            let Some(policy) = config_policy(cfg, p) else {
                continue;
            };
            let skip = if !p.active {
                Some(SkipReason::Inactive)
            } else if !covered {
                Some(SkipReason::ClientNotIncluded {
                    client_id: client_id.to_owned(),
                    include: policy
                        .conditions
                        .clients
                        .as_ref()
                        .map(|c| c.include.clone())
                        .unwrap_or_default(),
                })
            } else {
                None
            };
            if let Some(reason) = skip {
                t.step(|| TraceStep::Policy {
                    policy: matched_policy(policy),
                    path: policy_path(p),
                    verdict: Verdict::Skipped { reason },
                });
                continue;
            }
            t.step(|| TraceStep::Policy {
                policy: matched_policy(policy),
                path: policy_path(p),
                verdict: Verdict::Evaluated,
            });
            for r in self.rules(p) {
                let Some(rule) = config_rule(policy, r) else {
                    continue;
                };
                match self.match_rule(r, rule, grant, original, person.as_mut(), &wanted) {
                    Ok(scopes) => {
                        t.step(|| TraceStep::Rule {
                            rule: matched_rule(rule),
                            path: rule_path(p, r),
                            verdict: Verdict::Matched,
                        });
                        let scopes = scopes.unwrap_or_else(|| match &mut wanted {
                            Wanted::Explicit(s, _) => std::mem::take(s),
                            Wanted::Defaults => Vec::new(),
                        });
                        return Ok(self.grant(req, policy, rule, scopes, &wanted, original));
                    }
                    Err(skip) => t.step(|| TraceStep::Rule {
                        rule: matched_rule(rule),
                        path: rule_path(p, r),
                        verdict: Verdict::Skipped {
                            reason: skip.reason(self, grant, original, req.user.as_deref()),
                        },
                    }),
                }
            }
        }
        Err(OAuthError::new(OAuthErrorId::NoMatchingPolicy))
    }

    /// The names of scope ids.
    fn scope_names<'a>(&'a self, ids: &'a [u32]) -> impl Iterator<Item = &'a str> + 'a {
        ids.iter()
            .filter_map(|&id| self.scopes.get(id as usize))
            .map(|s| s.name.as_str())
    }

    /// Whether a rule matches; on success the granted scopes.
    fn match_rule<'a>(
        &self,
        r: &CompiledRule,
        rule: &'a Rule,
        grant: &GrantType,
        original: Option<&GrantType>,
        person: Option<&mut Person<'_>>,
        wanted: &'a Wanted,
    ) -> Result<Option<Vec<String>>, Skip<'a>> {
        if !r.active {
            return Err(Skip::Inactive);
        }
        let grant_ok = match original {
            Some(o) => r.grants.contains(o) || r.grants.contains(&GrantType::RefreshToken),
            None => r.grants.contains(grant),
        };
        if !grant_ok {
            return Err(Skip::GrantType(&rule.conditions.grant_types.include));
        }
        if let Some(person) = person {
            match self.people(r) {
                Some(p) => self.check_people(p, person)?,
                None => return Err(Skip::NoPeople),
            }
        }
        match wanted {
            Wanted::Explicit(scopes, ids) => {
                if let Some((s, _)) = scopes
                    .iter()
                    .zip(ids)
                    .find(|(_, id)| !self.allows_scope(r, **id))
                {
                    return Err(Skip::Scope(s));
                }
                // The caller takes the wanted scopes themselves.
                Ok(None)
            }
            Wanted::Defaults => {
                let granted: Vec<String> = self
                    .default_scopes
                    .iter()
                    .filter(|&&id| self.allows_scope(r, id))
                    .filter_map(|&id| self.scopes.get(id as usize))
                    .map(|s| s.name.clone())
                    .collect();
                if granted.is_empty() {
                    return Err(Skip::NoDefaultScope);
                }
                Ok(Some(granted))
            }
        }
    }

    /// The people condition; exclusion beats inclusion.
    fn check_people(
        &self,
        p: &CompiledPeople,
        person: &mut Person<'_>,
    ) -> Result<(), Skip<'static>> {
        let ids = person.ids(&self.names);
        let has_user = |run: Span| ids.user.is_some_and(|u| contains(self.ids(run), u));
        if has_user(p.users_exclude) {
            return Err(Skip::UserExcluded);
        }
        if p.everyone_excluded {
            return Err(Skip::ExcludedByEveryone);
        }
        if let Some(pos) = ids.first_in(self.ids(p.groups_exclude)) {
            return Err(Skip::ExcludedByGroup(pos));
        }
        if p.everyone
            || has_user(p.users_include)
            || ids.first_in(self.ids(p.groups_include)).is_some()
        {
            Ok(())
        } else {
            Err(Skip::UserNotIncluded)
        }
    }

    fn grant(
        &self,
        req: &TokenRequest,
        policy: &Policy,
        rule: &Rule,
        scopes: Vec<String>,
        wanted: &Wanted,
        original: Option<&GrantType>,
    ) -> Grant {
        let subject = req.user.as_ref().map(|u| Subject {
            user_id: u.id.clone(),
            login: u.login().map(str::to_owned),
            app_username: req
                .appuser
                .as_ref()
                .and_then(|a| a.get("userName"))
                .and_then(Value::as_str)
                .map(str::to_owned),
        });
        let t = &rule.actions.token;
        Grant {
            policy: matched_policy(policy),
            rule: matched_rule(rule),
            client_id: req.client.client_id.clone(),
            grant_type: req.grant_type.clone(),
            original_grant_type: original.cloned(),
            context: req.eval_context_with(scopes.iter().map(|s| {
                match self
                    .scope_ids
                    .get(s.as_str())
                    .and_then(|&id| self.scopes.get(id as usize))
                {
                    Some(info) => info.value.clone(),
                    None => crate::el::Value::from(s.as_str()),
                }
            })),
            scopes,
            default_scopes: matches!(wanted, Wanted::Defaults),
            lifetimes: Lifetimes {
                access_token_lifetime_minutes: t.access_token_lifetime_minutes,
                refresh_token_lifetime_minutes: t.refresh_token_lifetime_minutes,
                refresh_token_window_minutes: t.refresh_token_window_minutes,
            },
            inline_hook: t.inline_hook.as_ref().map(|h| h.id.clone()),
            response_type: req.response_type.clone(),
            subject,
            nonce: req.nonce.clone(),
            auth_time: req.auth_time,
            idp: req.idp.clone(),
            evaluated_at: req.now,
            refresh: req.refresh.clone().filter(|_| original.is_some()),
        }
    }
}

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
