//! The compiled policies: built once from the configuration, read by every evaluation.

use super::IMPLICIT_OIDC_SCOPES;
use super::grant::Matched;
use crate::config::{
    ALL_CLIENTS, Consent, EVERYONE, GrantType, Policy, Rule, Scope, Server, ServerConfig, Status,
    system_scopes,
};
/// Sets and maps of the compiled configuration, looked up several times per request (foldhash:
/// short keys, where SipHash's cost shows).
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

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
    #[inline]
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

    #[inline]
    pub(crate) fn contains(self, g: &GrantType) -> bool {
        self.0 & GrantSet::bit(g) != 0
    }

    /// Whether every grant type of `self` is in `other`.
    #[inline]
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
    /// Its position in the configuration's `scopes` (`None`: a system scope not configured).
    pub(crate) config_index: Option<u32>,
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
    pub(super) names: HashMap<Box<str>, u32>,
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
    /// `Options::org_id`: the ID token's `idp` when the request names neither an identity
    /// provider nor an org id.
    pub(crate) org_id: Option<String>,
    /// The grant types active rules of active policies list, in `GrantType::KNOWN` order.
    pub(super) configured_grants: Vec<GrantType>,
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
#[inline]
pub(crate) fn contains(run: &[u32], x: u32) -> bool {
    if run.len() <= 8 {
        run.contains(&x)
    } else {
        run.binary_search(&x).is_ok()
    }
}

/// `u32` of a count the configuration caps keep far below 2³².
#[inline]
pub(super) fn to_u32(n: usize) -> u32 {
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
pub(super) const NO_PEOPLE: u32 = u32::MAX;

/// A policy lowered by [`EngineBuilder::policy`], its rules in document order until
/// [`EngineBuilder::finish`] sorts them.
struct LoweredPolicy<'c> {
    index: u32,
    priority: Option<i64>,
    active: bool,
    all_clients: bool,
    clients: &'c [String],
    /// Each rule with its priority, in document order.
    rules: Vec<(Option<i64>, CompiledRule)>,
}

/// The compiled policies, built object by object as the compile walk visits the configuration
/// (the server, then every scope, then each policy and its rules), and finished once every
/// object is lowered: the evaluation order, the client index and the grant types in use need
/// them all.
pub(crate) struct EngineBuilder<'c> {
    b: Builder<'c>,
    implicit_oidc: bool,
    server_active: bool,
    /// The configured scopes, with their positions, until [`EngineBuilder::end_scopes`].
    configured: Vec<(u32, &'c Scope)>,
    scopes: Vec<ScopeInfo>,
    scope_ids: HashMap<Box<str>, u32>,
    default_scopes: Vec<u32>,
    policies: Vec<LoweredPolicy<'c>>,
    /// Rules lowered so far, all policies together.
    rule_count: usize,
    scope_buf: Vec<u32>,
}

impl<'c> EngineBuilder<'c> {
    pub(crate) fn new(implicit_oidc: bool) -> Self {
        EngineBuilder {
            b: Builder {
                ids: Vec::new(),
                names: HashMap::default(),
                runs: HashMap::default(),
                scratch: Vec::new(),
                people: Vec::new(),
                people_index: HashMap::default(),
            },
            implicit_oidc,
            server_active: true,
            configured: Vec::new(),
            scopes: Vec::new(),
            scope_ids: HashMap::default(),
            default_scopes: Vec::new(),
            policies: Vec::new(),
            rule_count: 0,
            scope_buf: Vec::new(),
        }
    }

    /// Lowers the server object.
    pub(crate) fn server(&mut self, s: &Server) {
        self.server_active = s.status == Status::Active;
    }

    /// Lowers the scope at `index` of the configuration.
    pub(crate) fn scope(&mut self, index: usize, s: &'c Scope) {
        self.configured.push((to_u32(index), s));
    }

    /// Ends the scopes: the scope table, the system scopes first (a configured scope of the
    /// same name replaces one), then the others in configuration order. Rules name scopes by
    /// their ids, so this comes before the first policy.
    pub(crate) fn end_scopes(&mut self) {
        let system = system_scopes();
        let mut all: Vec<(Option<u32>, &Scope)> = system.iter().map(|s| (None, s)).collect();
        for &(i, s) in &self.configured {
            match all
                .iter_mut()
                .take(system.len())
                .find(|(_, x)| x.name == s.name)
            {
                Some(x) => *x = (Some(i), s),
                None => all.push((Some(i), s)),
            }
        }
        self.scope_ids.reserve(all.len());
        self.scopes.reserve(all.len());
        for (config_index, s) in all {
            if self.scope_ids.contains_key(s.name.as_str()) {
                continue;
            }
            let id = to_u32(self.scopes.len());
            self.scope_ids.insert(s.name.as_str().into(), id);
            if s.default {
                self.default_scopes.push(id);
            }
            self.scopes.push(ScopeInfo {
                name: s.name.clone(),
                consent: s.consent,
                implicit: IMPLICIT_OIDC_SCOPES.contains(&s.name.as_str()),
                value: crate::el::Value::from(s.name.as_str()),
                config_index,
            });
        }
        self.configured = Vec::new();
    }

    /// Lowers the policy at `index` of the configuration; its rules follow
    /// ([`EngineBuilder::rule`]).
    pub(crate) fn policy(&mut self, index: usize, p: &'c Policy) {
        let clients = p
            .conditions
            .clients
            .as_ref()
            .map_or(&[][..], |c| &c.include[..]);
        self.policies.push(LoweredPolicy {
            index: to_u32(index),
            priority: p.priority,
            active: p.status == Status::Active,
            all_clients: clients.iter().any(|c| c == ALL_CLIENTS),
            clients,
            rules: Vec::with_capacity(p.rules.len()),
        });
    }

    /// Lowers the rule at `index` of the policy lowered last.
    pub(crate) fn rule(&mut self, index: usize, r: &'c Rule) {
        let include = &r.conditions.scopes.include;
        let scope_ids = &self.scope_ids;
        self.scope_buf.clear();
        self.scope_buf
            .extend(include.iter().filter_map(|s| scope_ids.get(s.as_str())));
        let scopes = self.b.run(self.scope_buf.iter().copied());
        let rule = CompiledRule {
            index: to_u32(index),
            active: r.status == Status::Active,
            any_scope: include.iter().any(|s| s == "*"),
            grants: GrantSet::of(&r.conditions.grant_types.include),
            scopes,
            people: self.b.people(r),
        };
        if let Some(p) = self.policies.last_mut() {
            p.rules.push((r.priority, rule));
            self.rule_count += 1;
        }
    }

    /// The compiled policies: policies and rules in evaluation order (by effective priority),
    /// the client index, the grant types in use.
    pub(crate) fn finish(self) -> Engine {
        let EngineBuilder {
            mut b,
            implicit_oidc,
            server_active,
            scopes,
            scope_ids,
            default_scopes,
            policies: lowered,
            rule_count,
            ..
        } = self;
        let order = priority_order(&lowered, |p| p.priority);
        let mut lowered: Vec<Option<LoweredPolicy<'c>>> = lowered.into_iter().map(Some).collect();
        let mut policies = Vec::with_capacity(order.len());
        let mut rules = Vec::with_capacity(rule_count);
        let mut clients_of = Vec::with_capacity(order.len());
        for &i in &order {
            let Some(p) = lowered.get_mut(i).and_then(Option::take) else {
                continue;
            };
            let first = rules.len();
            let rule_order = priority_order(&p.rules, |r| r.0);
            let mut own: Vec<Option<CompiledRule>> =
                p.rules.into_iter().map(|(_, r)| Some(r)).collect();
            rules.extend(
                rule_order
                    .into_iter()
                    .filter_map(|j| own.get_mut(j).and_then(Option::take)),
            );
            policies.push(CompiledPolicy {
                index: p.index,
                active: p.active,
                all_clients: p.all_clients,
                rules: Span {
                    start: to_u32(first),
                    len: to_u32(rules.len() - first),
                },
            });
            clients_of.push(p.clients);
        }
        drop(lowered);

        // The client index: per client, the positions of the active policies naming it, in
        // order, each once (a list may repeat a client). Made from the sorted (client,
        // position) pairs: no list per client while building.
        let mut all_clients = Vec::new();
        let mut pairs: Vec<(&str, u32)> = Vec::new();
        for (pos, (p, clients)) in policies.iter().zip(&clients_of).enumerate() {
            if !p.active {
                continue;
            }
            if p.all_clients {
                all_clients.push(to_u32(pos));
                continue;
            }
            pairs.extend(clients.iter().map(|c| (c.as_str(), to_u32(pos))));
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
            server_active,
            org_id: None,
        }
    }
}

impl Engine {
    /// The ids of a run.
    #[inline]
    pub(crate) fn ids(&self, s: Span) -> &[u32] {
        self.ids
            .get(s.start as usize..)
            .and_then(|t| t.get(..s.len as usize))
            .unwrap_or_default()
    }

    /// A rule's people condition (`None`: the rule is for requests without a user).
    #[inline]
    pub(crate) fn people(&self, r: &CompiledRule) -> Option<&CompiledPeople> {
        self.people.get(r.people as usize)
    }

    /// A policy's compiled rules.
    #[inline]
    pub(crate) fn rules(&self, p: &CompiledPolicy) -> &[CompiledRule] {
        rules_of(&self.rules, p)
    }

    /// The positions of the active policies that name `client_id` (not `ALL_CLIENTS`).
    #[inline]
    pub(crate) fn own_policies(&self, client_id: &str) -> &[u32] {
        self.by_client.get(client_id).map_or(&[], |s| self.ids(*s))
    }

    #[inline]
    pub(crate) fn allows_scope(&self, rule: &CompiledRule, scope: u32) -> bool {
        rule.any_scope
            || contains(self.ids(rule.scopes), scope)
            || (self.implicit_oidc && self.scopes.get(scope as usize).is_some_and(|s| s.implicit))
    }
}

#[inline]
pub(super) fn rules_of<'a>(rules: &'a [CompiledRule], p: &CompiledPolicy) -> &'a [CompiledRule] {
    rules
        .get(p.rules.start as usize..)
        .and_then(|t| t.get(..p.rules.len as usize))
        .unwrap_or_default()
}

/// The configuration objects of a compiled policy and rule. The engine is built from this very
/// configuration, so they always exist.
#[inline]
pub(crate) fn config_policy<'c>(cfg: &'c ServerConfig, p: &CompiledPolicy) -> Option<&'c Policy> {
    cfg.policies.get(p.index as usize)
}

#[inline]
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
