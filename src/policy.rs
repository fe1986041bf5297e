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
use crate::error::{OAuthError, OAuthErrorId};
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

#[derive(Debug, Clone)]
pub(crate) struct CompiledPeople {
    pub(crate) users_include: HashSet<String>,
    pub(crate) users_exclude: HashSet<String>,
    pub(crate) groups_include: HashSet<String>,
    pub(crate) groups_exclude: HashSet<String>,
    pub(crate) everyone: bool,
    pub(crate) everyone_excluded: bool,
}

impl CompiledPeople {
    fn new(rule: &Rule) -> Option<CompiledPeople> {
        let p = rule.conditions.people.as_ref()?;
        if !p.has_includes() {
            return None;
        }
        let set = |v: Option<&Vec<String>>| -> HashSet<String> {
            v.map(|v| v.iter().cloned().collect()).unwrap_or_default()
        };
        let groups_include = set(p.groups.as_ref().map(|g| &g.include));
        let groups_exclude = set(p.groups.as_ref().map(|g| &g.exclude));
        Some(CompiledPeople {
            users_include: set(p.users.as_ref().map(|u| &u.include)),
            users_exclude: set(p.users.as_ref().map(|u| &u.exclude)),
            everyone: groups_include.contains(EVERYONE),
            everyone_excluded: groups_exclude.contains(EVERYONE),
            groups_include,
            groups_exclude,
        })
    }

    /// Exclusion beats inclusion.
    fn check(&self, user: &User) -> Result<(), SkipReason> {
        if self.users_exclude.contains(&user.id) {
            return Err(SkipReason::UserExcluded {
                user_id: user.id.clone(),
            });
        }
        if self.everyone_excluded {
            return Err(SkipReason::UserExcludedByGroup {
                group_id: EVERYONE.to_owned(),
                group_name: None,
            });
        }
        if let Some(g) = user
            .groups
            .iter()
            .find(|g| self.groups_exclude.contains(&g.id))
        {
            return Err(SkipReason::UserExcludedByGroup {
                group_id: g.id.clone(),
                group_name: Some(g.name.clone()),
            });
        }
        if self.everyone
            || self.users_include.contains(&user.id)
            || user
                .groups
                .iter()
                .any(|g| self.groups_include.contains(&g.id))
        {
            Ok(())
        } else {
            Err(SkipReason::UserNotIncluded {
                user_id: user.id.clone(),
            })
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct CompiledRule {
    pub(crate) matched: Matched,
    pub(crate) path: String,
    pub(crate) active: bool,
    pub(crate) grant_list: Vec<GrantType>,
    pub(crate) grants: HashSet<GrantType>,
    pub(crate) any_scope: bool,
    pub(crate) scopes: HashSet<String>,
    pub(crate) people: Option<CompiledPeople>,
    pub(crate) lifetimes: Lifetimes,
    pub(crate) inline_hook: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct CompiledPolicy {
    pub(crate) matched: Matched,
    pub(crate) path: String,
    pub(crate) active: bool,
    pub(crate) client_list: Vec<String>,
    pub(crate) all_clients: bool,
    pub(crate) clients: HashSet<String>,
    /// Sorted by effective priority.
    pub(crate) rules: Vec<CompiledRule>,
}

impl CompiledPolicy {
    fn covers(&self, client_id: &str) -> bool {
        self.all_clients || self.clients.contains(client_id)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct ScopeInfo {
    pub(crate) consent: Consent,
    /// The name as an expression value, shared by every grant's `access.scope`.
    pub(crate) value: crate::el::Value,
}

/// The compiled policies with their index.
#[derive(Debug, Clone)]
pub(crate) struct Engine {
    /// Every policy, sorted by effective priority.
    pub(crate) policies: Vec<CompiledPolicy>,
    /// `0..policies.len()`: the order `explain` walks.
    every: Vec<usize>,
    /// Active `ALL_CLIENTS` policies, in order: the candidates of a client no policy names.
    pub(crate) all_clients: Vec<usize>,
    /// Per named client: its active policies merged with the `ALL_CLIENTS` ones, in order.
    pub(crate) by_client: HashMap<String, Vec<usize>>,
    /// Every scope of the server (system scopes included).
    pub(crate) scopes: HashMap<String, ScopeInfo>,
    /// Scopes with `default: true`, in configuration order.
    pub(crate) default_scopes: Vec<String>,
    pub(crate) implicit_oidc: bool,
    pub(crate) server_active: bool,
    /// The grant types active rules of active policies list, in `GrantType::KNOWN` order.
    configured_grants: Vec<GrantType>,
}

/// Indices of `items` sorted by effective priority: explicit priorities ascending, then the
/// ones without a priority in document order.
pub(crate) fn priority_order<T>(items: &[T], priority: impl Fn(&T) -> Option<i64>) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..items.len()).collect();
    idx.sort_by_key(|&i| match priority(&items[i]) {
        Some(p) => (0, p, i),
        None => (1, 0, i),
    });
    idx
}

impl Engine {
    pub(crate) fn new(cfg: &ServerConfig, implicit_oidc: bool) -> Engine {
        let mut all_scopes = system_scopes();
        for s in &cfg.scopes {
            match all_scopes.iter_mut().find(|x| x.name == s.name) {
                Some(x) => *x = s.clone(),
                None => all_scopes.push(s.clone()),
            }
        }
        let scopes = all_scopes
            .iter()
            .map(|s| {
                let info = ScopeInfo {
                    consent: s.consent,
                    value: crate::el::Value::from(s.name.as_str()),
                };
                (s.name.clone(), info)
            })
            .collect();
        let default_scopes = all_scopes
            .iter()
            .filter(|s| s.default)
            .map(|s| s.name.clone())
            .collect();

        let policies: Vec<CompiledPolicy> = priority_order(&cfg.policies, |p| p.priority)
            .into_iter()
            .map(|i| compile_policy(&cfg.policies[i], i))
            .collect();
        let mut all_clients = Vec::new();
        let mut named: HashMap<String, Vec<usize>> = HashMap::default();
        for (i, p) in policies.iter().enumerate() {
            if !p.active {
                continue;
            }
            if p.all_clients {
                all_clients.push(i);
            } else {
                for c in &p.clients {
                    named.entry(c.clone()).or_default().push(i);
                }
            }
        }
        let by_client = named
            .into_iter()
            .map(|(c, own)| (c, merge_sorted(&own, &all_clients)))
            .collect();
        let configured_grants = GrantType::KNOWN
            .iter()
            .filter(|g| {
                policies
                    .iter()
                    .filter(|p| p.active)
                    .flat_map(|p| &p.rules)
                    .any(|r| r.active && r.grants.contains(*g))
            })
            .cloned()
            .collect();
        Engine {
            configured_grants,
            every: (0..policies.len()).collect(),
            policies,
            all_clients,
            by_client,
            scopes,
            default_scopes,
            implicit_oidc,
            server_active: cfg.authorization_server.status == Status::Active,
        }
    }

    pub(crate) fn allows_scope(&self, rule: &CompiledRule, scope: &str) -> bool {
        rule.any_scope
            || rule.scopes.contains(scope)
            || (self.implicit_oidc && IMPLICIT_OIDC_SCOPES.contains(&scope))
    }
}

fn merge_sorted(a: &[usize], b: &[usize]) -> Vec<usize> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] <= b[j] {
            out.push(a[i]);
            i += 1;
        } else {
            out.push(b[j]);
            j += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

fn compile_policy(p: &Policy, index: usize) -> CompiledPolicy {
    let path = format!("/policies/{index}");
    let client_list = p
        .conditions
        .clients
        .as_ref()
        .map(|c| c.include.clone())
        .unwrap_or_default();
    let rules = priority_order(&p.rules, |r| r.priority)
        .into_iter()
        .map(|j| compile_rule(&p.rules[j], format!("{path}/rules/{j}")))
        .collect();
    CompiledPolicy {
        matched: Matched {
            id: p.id.clone(),
            name: p.name.clone(),
        },
        path,
        active: p.status == Status::Active,
        all_clients: client_list.iter().any(|c| c == ALL_CLIENTS),
        clients: client_list.iter().cloned().collect(),
        client_list,
        rules,
    }
}

fn compile_rule(r: &Rule, path: String) -> CompiledRule {
    let t = &r.actions.token;
    CompiledRule {
        matched: Matched {
            id: r.id.clone(),
            name: r.name.clone(),
        },
        path,
        active: r.status == Status::Active,
        grant_list: r.conditions.grant_types.include.clone(),
        grants: r.conditions.grant_types.include.iter().cloned().collect(),
        any_scope: r.conditions.scopes.include.iter().any(|s| s == "*"),
        scopes: r.conditions.scopes.include.iter().cloned().collect(),
        people: CompiledPeople::new(r),
        lifetimes: Lifetimes {
            access_token_lifetime_minutes: t.access_token_lifetime_minutes,
            refresh_token_lifetime_minutes: t.refresh_token_lifetime_minutes,
            refresh_token_window_minutes: t.refresh_token_window_minutes,
        },
        inline_hook: t.inline_hook.as_ref().map(|h| h.id.clone()),
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

/// The scopes a request asks for.
enum Wanted {
    /// Explicit (or, for a refresh without `scope`, the original ones), deduplicated.
    Explicit(Vec<String>),
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

impl Engine {
    /// The one evaluation function behind `evaluate` and `explain`.
    pub(crate) fn run<T: Tracer>(
        &self,
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
            let configured = list(&self.configured_grants);
            return fail(
                t,
                Check::GrantTypeSupported,
                || format!("{grant:?} is not a grant type; the server's rules use [{configured}]"),
                OAuthError::with_arg(OAuthErrorId::UnsupportedGrantType, &configured),
            );
        }
        check(t, Check::GrantTypeSupported, true, String::new);

        // 3. The client's grant types.
        if !req.client.allows(grant) {
            let configured = list(req.client.grant_types.as_deref().unwrap_or_default());
            return fail(
                t,
                Check::ClientGrantType,
                || format!("{grant} not in the client's grant types [{configured}]"),
                OAuthError::with_arg(OAuthErrorId::UnauthorizedClient, &configured),
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
                let denied: Vec<&str> = s
                    .iter()
                    .filter(|x| !record.scopes.contains(x))
                    .map(String::as_str)
                    .collect();
                if !denied.is_empty() {
                    let denied = denied.join(", ");
                    return fail(
                        t,
                        Check::RefreshScopes,
                        || format!("not in the original grant: [{denied}]"),
                        OAuthError::with_arg(OAuthErrorId::RefreshScopesDenied, &denied),
                    );
                }
                check(t, Check::RefreshScopes, true, String::new);
                Wanted::Explicit(s)
            }
            (None, Some(record)) => {
                check(t, Check::RefreshScopes, true, || {
                    "no scope parameter: the original scopes".into()
                });
                Wanted::Explicit(dedup(&record.scopes))
            }
            (Some(s), None) => {
                check(t, Check::ScopesPresent, true, String::new);
                Wanted::Explicit(dedup(s))
            }
            (None, None) => Wanted::Defaults,
        };

        // 6. Every scope exists; 7. default scopes exist.
        let candidates: &[String] = match &wanted {
            Wanted::Explicit(s) => {
                let unknown: Vec<&str> = s
                    .iter()
                    .filter(|x| !self.scopes.contains_key(x.as_str()))
                    .map(String::as_str)
                    .collect();
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
                s
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
                        self.default_scopes.join(", ")
                    )
                });
                &self.default_scopes
            }
        };

        // 8. Client credentials.
        if *grant == GrantType::ClientCredentials {
            if candidates.iter().any(|s| s == "openid") {
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
                .filter(|s| {
                    self.scopes
                        .get(s.as_str())
                        .is_some_and(|i| i.consent == Consent::Required)
                })
                .map(String::as_str)
                .collect();
            if !consent.is_empty() {
                let consent = consent.join(", ");
                return fail(
                    t,
                    Check::ConsentClientCredentials,
                    || format!("consent REQUIRED: [{consent}]"),
                    OAuthError::with_arg(OAuthErrorId::ConsentRequiredClientCredentials, &consent),
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

        // 10. Policies and rules.
        let order: &[usize] = if T::RECORDS {
            &self.every
        } else {
            self.by_client.get(client_id).unwrap_or(&self.all_clients)
        };
        let original = refresh.map(|r| &r.grant_type);
        for &pi in order {
            let p = &self.policies[pi];
            let skip = if !p.active {
                Some(SkipReason::Inactive)
            } else if !p.covers(client_id) {
                Some(SkipReason::ClientNotIncluded {
                    client_id: client_id.to_owned(),
                    include: p.client_list.clone(),
                })
            } else {
                None
            };
            if let Some(reason) = skip {
                t.step(|| TraceStep::Policy {
                    policy: p.matched.clone(),
                    path: p.path.clone(),
                    verdict: Verdict::Skipped { reason },
                });
                continue;
            }
            t.step(|| TraceStep::Policy {
                policy: p.matched.clone(),
                path: p.path.clone(),
                verdict: Verdict::Evaluated,
            });
            for r in &p.rules {
                match self.match_rule(r, grant, original, req.user.as_deref(), &wanted) {
                    Ok(scopes) => {
                        t.step(|| TraceStep::Rule {
                            rule: r.matched.clone(),
                            path: r.path.clone(),
                            verdict: Verdict::Matched,
                        });
                        let scopes = scopes.unwrap_or_else(|| match &mut wanted {
                            Wanted::Explicit(s) => std::mem::take(s),
                            Wanted::Defaults => Vec::new(),
                        });
                        return Ok(self.grant(req, p, r, scopes, &wanted, original));
                    }
                    Err(reason) => t.step(|| TraceStep::Rule {
                        rule: r.matched.clone(),
                        path: r.path.clone(),
                        verdict: Verdict::Skipped { reason },
                    }),
                }
            }
        }
        Err(OAuthError::new(OAuthErrorId::NoMatchingPolicy))
    }

    /// Whether a rule matches; on success the granted scopes.
    fn match_rule(
        &self,
        r: &CompiledRule,
        grant: &GrantType,
        original: Option<&GrantType>,
        user: Option<&User>,
        wanted: &Wanted,
    ) -> Result<Option<Vec<String>>, SkipReason> {
        if !r.active {
            return Err(SkipReason::Inactive);
        }
        let grant_ok = match original {
            Some(o) => r.grants.contains(o) || r.grants.contains(&GrantType::RefreshToken),
            None => r.grants.contains(grant),
        };
        if !grant_ok {
            return Err(SkipReason::GrantTypeNotIncluded {
                grant_type: grant.clone(),
                original_grant_type: original.cloned(),
                include: r.grant_list.clone(),
            });
        }
        if let Some(user) = user {
            match &r.people {
                Some(p) => p.check(user)?,
                None => {
                    return Err(SkipReason::NoPeopleCondition {
                        user_id: user.id.clone(),
                    });
                }
            }
        }
        match wanted {
            Wanted::Explicit(scopes) => {
                if let Some(s) = scopes.iter().find(|s| !self.allows_scope(r, s)) {
                    return Err(SkipReason::ScopeNotAllowed { scope: s.clone() });
                }
                // The caller takes the wanted scopes themselves.
                Ok(None)
            }
            Wanted::Defaults => {
                let granted: Vec<String> = self
                    .default_scopes
                    .iter()
                    .filter(|s| self.allows_scope(r, s))
                    .cloned()
                    .collect();
                if granted.is_empty() {
                    return Err(SkipReason::NoDefaultScopeAllowed {
                        default_scopes: self.default_scopes.clone(),
                    });
                }
                Ok(Some(granted))
            }
        }
    }

    fn grant(
        &self,
        req: &TokenRequest,
        p: &CompiledPolicy,
        r: &CompiledRule,
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
        Grant {
            policy: p.matched.clone(),
            rule: r.matched.clone(),
            client_id: req.client.client_id.clone(),
            grant_type: req.grant_type.clone(),
            original_grant_type: original.cloned(),
            context: req.eval_context_with(scopes.iter().map(|s| match self.scopes.get(s) {
                Some(info) => info.value.clone(),
                None => crate::el::Value::from(s.as_str()),
            })),
            scopes,
            default_scopes: matches!(wanted, Wanted::Defaults),
            lifetimes: r.lifetimes,
            inline_hook: r.inline_hook.clone(),
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
