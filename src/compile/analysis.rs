//! Compile-time analysis of the policies: legal configurations that can't do what they seem to
//! (warnings, never errors). It reads the compiled [`Engine`] (the configuration only for the
//! names and client lists of the policies and rules it reports, by their positions).
//!
//! * `rule.unreachable`: an active rule that can never match because an earlier active rule of
//!   the same policy, or of an earlier active policy covering every client of its policy, always
//!   matches first. Reported only when provable: the earlier rule allows every grant type of the
//!   later one, `*` or a superset of its scopes, and every person it admits (EVERYONE without
//!   excludes, or wider include lists and narrower exclude lists; a rule without people admits
//!   only requests without a user). The rule named is the first such rule in evaluation order.
//! * `scope.ungrantable`: a configured scope that no active rule of an active policy allows.
//! * `policy.no_active_rule`: an active policy without any active rule.
//! * `analysis.truncated`: the rule-shadowing search stopped (see below).
//!
//! The shadowing search does not compare every pair of rules. Earlier rules are indexed by the
//! scopes and the people they name: a rule can only be covered by a rule that allows `*` or one
//! of its scopes, and (if it names people) by an EVERYONE rule or one naming one of its people,
//! so only the shorter of those two candidate lists is compared. Rules of client-specific
//! policies are indexed per policy and searched only for policies whose clients they cover.
//! Typical configurations, and large ones made of distinct or identical rules, need about one
//! comparison per rule. Adversarial ones (thousands of rules that name the same people and
//! scopes yet never cover each other) could still need one per pair, so the search spends at
//! most [`Options::max_analysis_comparisons`](crate::Options::max_analysis_comparisons) rule
//! comparisons; when that is spent it stops and says where (`analysis.truncated`), and the rules
//! from there on are not checked.

use crate::config::{Diagnostic, Quoted, ServerConfig};
use crate::policy::{
    CompiledPeople, CompiledPolicy, CompiledRule, Engine, config_policy, config_rule, contains,
    policy_path, rule_path,
};

type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// Runs every analysis; returns the warnings. `budget` bounds the rule comparisons of the
/// shadowing search.
pub(crate) fn analyze(cfg: &ServerConfig, engine: &Engine, budget: usize) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    no_active_rule(cfg, engine, &mut out);
    unreachable_rules(cfg, engine, budget, &mut out);
    ungrantable_scopes(engine, &mut out);
    out
}

fn no_active_rule(cfg: &ServerConfig, engine: &Engine, out: &mut Vec<Diagnostic>) {
    let mut found: Vec<(String, &CompiledPolicy)> = engine
        .policies
        .iter()
        .filter(|p| p.active && !engine.rules(p).iter().any(|r| r.active))
        .map(|p| (policy_path(p), p))
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, p) in found {
        out.push(
            Diagnostic::warning(
                "policy.no_active_rule",
                format!("{path}/rules"),
                format!(
                    "the policy {} is active but has no active rule, so it never grants anything",
                    Quoted(policy_name(cfg, p))
                ),
            )
            .with_hint("add or activate a rule, or deactivate the policy"),
        );
    }
}

fn policy_name<'c>(cfg: &'c ServerConfig, p: &CompiledPolicy) -> &'c str {
    config_policy(cfg, p).map_or("", |p| &p.name)
}

fn rule_name<'c>(cfg: &'c ServerConfig, p: &CompiledPolicy, r: &CompiledRule) -> &'c str {
    config_policy(cfg, p)
        .and_then(|policy| config_rule(policy, r))
        .map_or("", |r| &r.name)
}

fn client_list<'c>(cfg: &'c ServerConfig, p: &CompiledPolicy) -> &'c [String] {
    config_policy(cfg, p)
        .and_then(|p| p.conditions.clients.as_ref())
        .map_or(&[], |c| &c.include)
}

/// Whether every id of the sorted run `a` is in the sorted run `b`.
fn subset(a: &[u32], b: &[u32]) -> bool {
    a.len() <= b.len() && a.iter().all(|&x| contains(b, x))
}

/// Whether `earlier` admits every person `later` admits (and every user-less request, which
/// both admit since people are not evaluated then).
fn people_cover(
    engine: &Engine,
    earlier: Option<&CompiledPeople>,
    later: Option<&CompiledPeople>,
) -> bool {
    match (earlier, later) {
        // A rule without people admits only requests without a user; so does `later`.
        (None, None) => true,
        (None, Some(_)) => false,
        (Some(e), later) => {
            if e.everyone_excluded {
                return false;
            }
            let Some(l) = later else {
                // `later` admits no user at all; any `earlier` admits user-less requests.
                return true;
            };
            let ids = |s| engine.ids(s);
            let includes = e.everyone
                || (!l.everyone
                    && subset(ids(l.users_include), ids(e.users_include))
                    && subset(ids(l.groups_include), ids(e.groups_include)));
            includes
                && subset(ids(e.users_exclude), ids(l.users_exclude))
                && subset(ids(e.groups_exclude), ids(l.groups_exclude))
        }
    }
}

/// Whether `earlier` matches every request `later` matches.
fn covers(engine: &Engine, earlier: &CompiledRule, later: &CompiledRule) -> bool {
    earlier.active
        && later.grants.is_subset(earlier.grants)
        && (earlier.any_scope
            || (!later.any_scope && subset(engine.ids(later.scopes), engine.ids(earlier.scopes))))
        && people_cover(engine, engine.people(earlier), engine.people(later))
}

/// The rule comparisons left; `Err` once they are spent.
struct Budget(usize);

struct Spent;

impl Budget {
    fn spend(&mut self, n: usize) -> Result<(), Spent> {
        match self.0.checked_sub(n) {
            Some(left) => {
                self.0 = left;
                Ok(())
            }
            None => Err(Spent),
        }
    }
}

/// The shortest of some lists.
fn shortest<'a>(lists: impl Iterator<Item = &'a [u32]>) -> &'a [u32] {
    lists.min_by_key(|v| v.len()).unwrap_or(NONE)
}

/// Pools up to this size are scanned rule by rule; bigger ones are indexed. (Unit tests index
/// almost every pool, so that the index is what they check.)
#[cfg(not(test))]
const SCAN: usize = 16;
#[cfg(test)]
const SCAN: usize = 1;

/// Active rules that may cover later rules (by their number in `Engine::rules`, which is
/// evaluation order), indexed once there are more than [`SCAN`] of them.
#[derive(Default)]
struct Pool {
    all: Vec<u32>,
    indexed: bool,
    any_scope: Vec<u32>,
    by_scope: HashMap<u32, Vec<u32>>,
    /// Rules for EVERYONE that don't exclude EVERYONE.
    everyone: Vec<u32>,
    /// By user (`id << 1`) and group (`id << 1 | 1`) of the include lists.
    by_person: HashMap<u64, Vec<u32>>,
}

const NONE: &[u32] = &[];

impl Pool {
    fn insert(&mut self, engine: &Engine, n: u32) {
        self.all.push(n);
        if self.indexed {
            self.index(engine, n);
        } else if self.all.len() > SCAN {
            self.indexed = true;
            for i in 0..self.all.len() {
                if let Some(&m) = self.all.get(i) {
                    self.index(engine, m);
                }
            }
        }
    }

    fn index(&mut self, engine: &Engine, n: u32) {
        let Some(r) = engine.rules.get(n as usize) else {
            return;
        };
        if r.any_scope {
            self.any_scope.push(n);
        } else {
            for &s in engine.ids(r.scopes) {
                self.by_scope.entry(s).or_default().push(n);
            }
        }
        if let Some(p) = engine.people(r)
            && !p.everyone_excluded
        {
            if p.everyone {
                self.everyone.push(n);
            }
            for &u in engine.ids(p.users_include) {
                self.by_person.entry(u64::from(u) << 1).or_default().push(n);
            }
            for &g in engine.ids(p.groups_include) {
                self.by_person
                    .entry(u64::from(g) << 1 | 1)
                    .or_default()
                    .push(n);
            }
        }
    }

    /// The rules that may cover `l`, as two runs in order: every rule that covers `l` is in
    /// one of them.
    fn candidates(&self, engine: &Engine, l: &CompiledRule) -> (&[u32], &[u32]) {
        if !self.indexed {
            return (&self.all, NONE);
        }
        // Scopes: the rules allowing `*`, or those listing one (any) of `l`'s scopes.
        let by_scopes: (&[u32], &[u32]) = if l.any_scope {
            (&self.any_scope, NONE)
        } else {
            let ids = engine.ids(l.scopes);
            if ids.is_empty() {
                (&self.all, NONE)
            } else {
                let lists = ids
                    .iter()
                    .map(|s| self.by_scope.get(s).map_or(NONE, Vec::as_slice));
                (&self.any_scope, shortest(lists))
            }
        };
        // People: the EVERYONE rules, or those including one (any) of `l`'s people.
        let by_people: Option<(&[u32], &[u32])> = match engine.people(l) {
            None => None,
            Some(lp) if lp.everyone => Some((&self.everyone, NONE)),
            Some(lp) => {
                let posting = |key: u64| self.by_person.get(&key).map_or(NONE, Vec::as_slice);
                let lists = engine
                    .ids(lp.users_include)
                    .iter()
                    .map(|&u| posting(u64::from(u) << 1))
                    .chain(
                        engine
                            .ids(lp.groups_include)
                            .iter()
                            .map(|&g| posting(u64::from(g) << 1 | 1)),
                    );
                Some((&self.everyone, shortest(lists)))
            }
        };
        match by_people {
            Some(p) if p.0.len() + p.1.len() < by_scopes.0.len() + by_scopes.1.len() => p,
            _ => by_scopes,
        }
    }

    /// The first rule of the pool that covers `l`.
    fn first_cover(
        &self,
        engine: &Engine,
        l: &CompiledRule,
        weight: usize,
        budget: &mut Budget,
    ) -> Result<Option<u32>, Spent> {
        budget.spend(weight)?;
        let (a, b) = self.candidates(engine, l);
        let (mut i, mut j) = (0, 0);
        loop {
            // The two runs merged in order, without repeats.
            let n = match (a.get(i), b.get(j)) {
                (Some(&x), Some(&y)) if x == y => {
                    i += 1;
                    j += 1;
                    x
                }
                (Some(&x), Some(&y)) if x < y => {
                    i += 1;
                    x
                }
                (_, Some(&y)) => {
                    j += 1;
                    y
                }
                (Some(&x), None) => {
                    i += 1;
                    x
                }
                (None, None) => return Ok(None),
            };
            budget.spend(weight)?;
            if engine
                .rules
                .get(n as usize)
                .is_some_and(|e| covers(engine, e, l))
            {
                return Ok(Some(n));
            }
        }
    }
}

/// Where the search for covering rules looks: the rules of the ALL_CLIENTS policies so far,
/// the pools of the earlier client-specific policies covering the policy, and its own earlier
/// rules. Returns the first covering rule in evaluation order.
fn search(
    engine: &Engine,
    r: &CompiledRule,
    weight: usize,
    budget: &mut Budget,
    shared: &Pool,
    earlier: &[(u32, &Pool)],
    own: Option<&Pool>,
) -> Result<Option<u32>, Spent> {
    let mut found = shared.first_cover(engine, r, weight, budget)?;
    for &(first, pool) in earlier {
        // One policy's rules all come after `found` if its first one does.
        if found.is_some_and(|f| f < first) {
            continue;
        }
        if let Some(m) = pool.first_cover(engine, r, weight, budget)? {
            found = Some(found.map_or(m, |f| f.min(m)));
        }
    }
    if found.is_none()
        && let Some(own) = own
    {
        found = own.first_cover(engine, r, weight, budget)?;
    }
    Ok(found)
}

/// A pool of a whole policy's active rules.
fn policy_pool(engine: &Engine, q: &CompiledPolicy) -> Pool {
    let mut pool = Pool::default();
    for (k, r) in engine.rules(q).iter().enumerate() {
        if r.active {
            pool.insert(engine, q.rules.start + to_u32(k));
        }
    }
    pool
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A policy's clients, interned and sorted.
struct Clients<'c> {
    ids: HashMap<&'c str, u32>,
    of: HashMap<usize, Vec<u32>>,
}

impl<'c> Clients<'c> {
    fn of(&mut self, cfg: &'c ServerConfig, engine: &Engine, pos: usize) -> &[u32] {
        let ids = &mut self.ids;
        self.of.entry(pos).or_insert_with(|| {
            let Some(p) = engine.policies.get(pos) else {
                return Vec::new();
            };
            let mut v: Vec<u32> = client_list(cfg, p)
                .iter()
                .map(|c| {
                    let next = to_u32(ids.len());
                    *ids.entry(c.as_str()).or_insert(next)
                })
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        })
    }
}

fn unreachable_rules(
    cfg: &ServerConfig,
    engine: &Engine,
    budget: usize,
    out: &mut Vec<Diagnostic>,
) {
    let mut budget = Budget(budget);
    // Rules of the active ALL_CLIENTS policies so far.
    let mut shared = Pool::default();
    // Pools of client-specific policies, made when a later policy needs them.
    let mut pools: HashMap<usize, Pool> = HashMap::default();
    let mut clients = Clients {
        ids: HashMap::default(),
        of: HashMap::default(),
    };
    for (pos, p) in engine.policies.iter().enumerate() {
        if !p.active {
            continue;
        }
        // Earlier client-specific policies naming every client of `p`, found through the
        // index of the client of `p` that the fewest policies name.
        let mut earlier: Vec<usize> = Vec::new();
        if !p.all_clients {
            let rarest = client_list(cfg, p)
                .iter()
                .map(|c| engine.own_policies(c))
                .min_by_key(|o| o.len())
                .unwrap_or_default();
            for &q in rarest {
                let q = q as usize;
                if q >= pos {
                    break;
                }
                if budget.spend(1).is_err() {
                    return truncated(cfg, p, engine.rules(p).first(), out);
                }
                let theirs = clients.of(cfg, engine, q).to_vec();
                if subset(clients.of(cfg, engine, pos), &theirs) {
                    earlier.push(q);
                    if let Some(qp) = engine.policies.get(q) {
                        pools.entry(q).or_insert_with(|| policy_pool(engine, qp));
                    }
                }
            }
        }
        let earlier: Vec<(u32, &Pool)> = earlier
            .iter()
            .filter_map(|q| {
                let first = engine.policies.get(*q)?.rules.start;
                Some((first, pools.get(q)?))
            })
            .collect();
        let mut own = Pool::default();
        for (k, r) in engine.rules(p).iter().enumerate() {
            if !r.active {
                continue;
            }
            let weight = 1
                + engine.ids(r.scopes).len()
                + engine.people(r).map_or(0, |lp| {
                    engine.ids(lp.users_include).len()
                        + engine.ids(lp.groups_include).len()
                        + engine.ids(lp.users_exclude).len()
                        + engine.ids(lp.groups_exclude).len()
                });
            let own_pool = (!p.all_clients).then_some(&own);
            match search(engine, r, weight, &mut budget, &shared, &earlier, own_pool) {
                Err(Spent) => return truncated(cfg, p, Some(r), out),
                Ok(Some(m)) => shadowed(cfg, engine, p, r, m, out),
                Ok(None) => {}
            }
            let n = p.rules.start + to_u32(k);
            if p.all_clients {
                shared.insert(engine, n);
            } else {
                own.insert(engine, n);
            }
        }
    }
}

/// The policy holding rule number `n`.
fn policy_of(engine: &Engine, n: u32) -> Option<&CompiledPolicy> {
    let i = engine
        .policies
        .partition_point(|p| p.rules.start + p.rules.len <= n);
    engine.policies.get(i)
}

fn shadowed(
    cfg: &ServerConfig,
    engine: &Engine,
    p: &CompiledPolicy,
    r: &CompiledRule,
    m: u32,
    out: &mut Vec<Diagnostic>,
) {
    let (Some(q), Some(e)) = (policy_of(engine, m), engine.rules.get(m as usize)) else {
        return;
    };
    let where_ = if q.index == p.index {
        "an earlier rule of the same policy".to_owned()
    } else {
        format!("the earlier policy {}", Quoted(policy_name(cfg, q)))
    };
    out.push(
        Diagnostic::warning(
            "rule.unreachable",
            rule_path(p, r),
            format!(
                "the rule {} can never match: the rule {} at {} ({where_}) matches every request it would match, first",
                Quoted(rule_name(cfg, p, r)),
                Quoted(rule_name(cfg, q, e)),
                rule_path(q, e)
            ),
        )
        .with_hint("give this rule a better priority than the broader one, narrow the broader rule, or remove this one"),
    );
}

fn truncated(
    cfg: &ServerConfig,
    p: &CompiledPolicy,
    r: Option<&CompiledRule>,
    out: &mut Vec<Diagnostic>,
) {
    let (path, what) = match r {
        Some(r) => (
            rule_path(p, r),
            format!("the rule {}", Quoted(rule_name(cfg, p, r))),
        ),
        None => (
            policy_path(p),
            format!("the policy {}", Quoted(policy_name(cfg, p))),
        ),
    };
    out.push(
        Diagnostic::warning(
            "analysis.truncated",
            path,
            format!(
                "the search for unreachable rules stopped at {what}: its comparison budget is spent, so this rule and the ones after it in evaluation order were not checked for rule.unreachable"
            ),
        )
        .with_hint("raise Options::max_analysis_comparisons to check every rule; evaluation is not affected"),
    );
}

fn ungrantable_scopes(engine: &Engine, out: &mut Vec<Diagnostic>) {
    let mut granted = vec![false; engine.scopes.len()];
    let mut any_rule = false;
    for p in engine.policies.iter().filter(|p| p.active) {
        for r in engine.rules(p).iter().filter(|r| r.active) {
            if r.any_scope {
                return;
            }
            any_rule = true;
            for &s in engine.ids(r.scopes) {
                if let Some(g) = granted.get_mut(s as usize) {
                    *g = true;
                }
            }
        }
    }
    // the configured scopes, in configuration order
    let mut configured: Vec<(u32, usize)> = engine
        .scopes
        .iter()
        .enumerate()
        .filter_map(|(id, s)| s.config_index.map(|i| (i, id)))
        .collect();
    configured.sort_unstable();
    for (i, id) in configured {
        let Some(info) = engine.scopes.get(id) else {
            continue;
        };
        if engine.implicit_oidc && any_rule && info.implicit {
            continue;
        }
        if !granted.get(id).copied().unwrap_or(false) {
            out.push(
                Diagnostic::warning(
                    "scope.ungrantable",
                    format!("/scopes/{i}"),
                    format!(
                        "no active rule of an active policy allows the scope {}, so requests for it always fail",
                        Quoted(&info.name)
                    ),
                )
                .with_hint("add it to a rule's conditions.scopes.include, or remove the scope"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::compile::{Options, compile};
    use crate::config::ServerConfig;
    use serde_json::{Value, json};

    fn rule(name: &str, prio: i64, grants: Value, scopes: Value, people: Value) -> Value {
        let mut r = json!({"name": name, "priority": prio,
            "conditions": {"grantTypes": {"include": grants}, "scopes": {"include": scopes}}});
        if !people.is_null() {
            r["conditions"]["people"] = people;
        }
        r
    }

    fn warnings(policies: Value, scopes: Value, options: Options) -> Vec<(String, String)> {
        let cfg = json!({
            "authorizationServer": {"name": "a", "audiences": ["api://a"],
                                    "issuer": "https://example.okta.com/oauth2/a"},
            "scopes": scopes, "policies": policies});
        let cfg = ServerConfig::from_value(cfg).expect("loads");
        let compiled = compile(&cfg, &options).expect("compiles");
        compiled
            .warnings
            .iter()
            .filter(|d| {
                [
                    "rule.unreachable",
                    "scope.ungrantable",
                    "policy.no_active_rule",
                    "analysis.truncated",
                ]
                .contains(&d.code)
            })
            .map(|d| (d.code.to_owned(), d.path.clone()))
            .collect()
    }

    fn policy(name: &str, prio: i64, clients: Value, rules: Value) -> Value {
        json!({"name": name, "description": name, "priority": prio,
               "conditions": {"clients": {"include": clients}}, "rules": rules})
    }

    fn scopes() -> Value {
        json!([{"name": "a"}, {"name": "b"}])
    }

    fn w(code: &str, path: &str) -> (String, String) {
        (code.to_owned(), path.to_owned())
    }

    #[test]
    fn same_policy_shadowing() {
        let cc = json!(["client_credentials"]);
        let got = warnings(
            json!([policy(
                "p",
                1,
                json!(["c1"]),
                json!([
                    rule("broad", 1, cc.clone(), json!(["*"]), Value::Null),
                    rule("narrow", 2, cc.clone(), json!(["a"]), Value::Null),
                ])
            )]),
            scopes(),
            Options::default(),
        );
        assert_eq!(got, vec![w("rule.unreachable", "/policies/0/rules/1")]);
        // Fewer grant types in the earlier rule: no warning.
        let got = warnings(
            json!([policy(
                "p",
                1,
                json!(["c1"]),
                json!([
                    rule("broad", 1, cc.clone(), json!(["*"]), Value::Null),
                    rule(
                        "narrow",
                        2,
                        json!([
                            "client_credentials",
                            "urn:ietf:params:oauth:grant-type:token-exchange"
                        ]),
                        json!(["a"]),
                        Value::Null
                    ),
                ])
            )]),
            scopes(),
            Options::default(),
        );
        assert_eq!(got, vec![]);
    }

    #[test]
    fn people_shadowing_is_conservative() {
        let ac = json!(["authorization_code"]);
        let everyone = json!({"groups": {"include": ["EVERYONE"]}});
        let everyone_but = json!({"groups": {"include": ["EVERYONE"], "exclude": ["g9"]}});
        let group = json!({"groups": {"include": ["g1"]}});
        let got = warnings(
            json!([policy(
                "p",
                1,
                json!(["c1"]),
                json!([
                    rule("all", 1, ac.clone(), json!(["a", "b"]), everyone),
                    rule("group", 2, ac.clone(), json!(["a"]), group.clone()),
                ])
            )]),
            scopes(),
            Options::default(),
        );
        assert_eq!(got, vec![w("rule.unreachable", "/policies/0/rules/1")]);
        let got = warnings(
            json!([policy(
                "p",
                1,
                json!(["c1"]),
                json!([
                    rule("all but g9", 1, ac.clone(), json!(["*"]), everyone_but),
                    rule("group", 2, ac.clone(), json!(["a", "b"]), group.clone()),
                ])
            )]),
            scopes(),
            Options::default(),
        );
        assert_eq!(got, vec![]);
        // Same people, earlier rule with a subset of scopes: no warning.
        let got = warnings(
            json!([policy(
                "p",
                1,
                json!(["c1"]),
                json!([
                    rule("g1 a", 1, ac.clone(), json!(["a"]), group.clone()),
                    rule("g1 ab", 2, ac.clone(), json!(["a", "b"]), group.clone()),
                ])
            )]),
            scopes(),
            Options::default(),
        );
        assert_eq!(got, vec![]);
    }

    #[test]
    fn earlier_policies_covering_the_clients() {
        let cc = json!(["client_credentials"]);
        let star = || rule("star", 1, cc.clone(), json!(["*"]), Value::Null);
        let narrow = || rule("narrow", 1, cc.clone(), json!(["a", "b"]), Value::Null);
        let got = warnings(
            json!([
                policy("mine", 2, json!(["c1"]), json!([narrow()])),
                policy("all", 1, json!(["ALL_CLIENTS"]), json!([star()])),
                policy("other", 3, json!(["c2"]), json!([star()])),
            ]),
            scopes(),
            Options::default(),
        );
        assert_eq!(
            got,
            vec![
                w("rule.unreachable", "/policies/0/rules/0"),
                w("rule.unreachable", "/policies/2/rules/0"),
            ]
        );
        // A policy of another client, or an inactive one, shadows nothing.
        let mut inactive = policy("all", 1, json!(["ALL_CLIENTS"]), json!([star()]));
        inactive["status"] = json!("INACTIVE");
        let got = warnings(
            json!([
                policy("theirs", 2, json!(["c2"]), json!([star()])),
                policy("mine", 3, json!(["c1", "c2"]), json!([narrow()])),
                inactive,
            ]),
            scopes(),
            Options::default(),
        );
        assert_eq!(got, vec![]);
    }

    #[test]
    fn inactive_rules_shadow_nothing() {
        let cc = json!(["client_credentials"]);
        let mut off = rule("off", 1, cc.clone(), json!(["*"]), Value::Null);
        off["status"] = json!("INACTIVE");
        let got = warnings(
            json!([policy(
                "p",
                1,
                json!(["c1"]),
                json!([
                    off,
                    rule("on", 2, cc.clone(), json!(["a", "b"]), Value::Null)
                ])
            )]),
            scopes(),
            Options::default(),
        );
        assert_eq!(got, vec![]);
    }

    #[test]
    fn ungrantable_scopes_and_empty_policies() {
        let cc = json!(["client_credentials"]);
        let mut off = rule("off", 1, cc.clone(), json!(["b"]), Value::Null);
        off["status"] = json!("INACTIVE");
        let got = warnings(
            json!([
                policy(
                    "p",
                    1,
                    json!(["c1"]),
                    json!([rule("a only", 1, cc.clone(), json!(["a"]), Value::Null)])
                ),
                policy("empty", 2, json!(["c1"]), json!([off])),
            ]),
            json!([{"name": "a"}, {"name": "b"}, {"name": "openid"}]),
            Options::default(),
        );
        assert_eq!(
            got,
            vec![
                w("policy.no_active_rule", "/policies/1/rules"),
                w("scope.ungrantable", "/scopes/1"),
                w("scope.ungrantable", "/scopes/2"),
            ]
        );
        let opts = Options {
            implicit_oidc_scopes: true,
            ..Options::default()
        };
        let got = warnings(
            json!([policy(
                "p",
                1,
                json!(["c1"]),
                json!([rule(
                    "a only",
                    1,
                    cc.clone(),
                    json!(["a", "b"]),
                    Value::Null
                )])
            )]),
            json!([{"name": "a"}, {"name": "b"}, {"name": "openid"}]),
            opts,
        );
        assert_eq!(got, vec![]);
    }

    #[test]
    fn a_spent_budget_stops_the_search_where_it_is() {
        // Rules naming the same user with different exclusions never cover each other, so each
        // is compared with every earlier one.
        let rules: Vec<Value> = (0..40)
            .map(|i| {
                rule(
                    &format!("r{i}"),
                    i + 1,
                    json!(["authorization_code"]),
                    json!(["a", "b"]),
                    json!({"users": {"include": ["u1"], "exclude": [format!("x{i}")]}}),
                )
            })
            .collect();
        let policies = json!([policy("p", 1, json!(["c1"]), Value::Array(rules))]);
        let all = warnings(policies.clone(), scopes(), Options::default());
        assert_eq!(all, vec![]);
        let opts = Options {
            max_analysis_comparisons: 200,
            ..Options::default()
        };
        let got = warnings(policies, scopes(), opts);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].0, "analysis.truncated");
        assert!(got[0].1.starts_with("/policies/0/rules/"), "{got:?}");
    }

    /// The search in the plainest terms: every earlier rule of every earlier policy covering
    /// the clients, in evaluation order, compared with sets of strings.
    fn reference(cfg: &ServerConfig) -> Vec<(String, String)> {
        use crate::config::{ALL_CLIENTS, EVERYONE, Policy, Rule, Status};
        use crate::policy::priority_order;
        use std::collections::HashSet;
        type Set<'a> = HashSet<&'a str>;
        fn set<'a>(v: Option<&'a Vec<String>>) -> Set<'a> {
            v.map(|v| v.iter().map(String::as_str).collect())
                .unwrap_or_default()
        }
        struct People<'a> {
            ui: Set<'a>,
            ue: Set<'a>,
            gi: Set<'a>,
            ge: Set<'a>,
        }
        fn people(r: &Rule) -> Option<People<'_>> {
            let p = r.conditions.people.as_ref().filter(|p| p.has_includes())?;
            Some(People {
                ui: set(p.users.as_ref().map(|u| &u.include)),
                ue: set(p.users.as_ref().map(|u| &u.exclude)),
                gi: set(p.groups.as_ref().map(|g| &g.include)),
                ge: set(p.groups.as_ref().map(|g| &g.exclude)),
            })
        }
        fn people_cover(e: Option<People<'_>>, l: Option<People<'_>>) -> bool {
            match (e, l) {
                (None, None) => true,
                (None, Some(_)) => false,
                (Some(e), l) => {
                    if e.ge.contains(EVERYONE) {
                        return false;
                    }
                    let Some(l) = l else { return true };
                    let e_all = e.gi.contains(EVERYONE);
                    let l_all = l.gi.contains(EVERYONE);
                    (e_all || (!l_all && l.ui.is_subset(&e.ui) && l.gi.is_subset(&e.gi)))
                        && e.ue.is_subset(&l.ue)
                        && e.ge.is_subset(&l.ge)
                }
            }
        }
        fn covers(e: &Rule, l: &Rule) -> bool {
            let grants = |r: &Rule| -> HashSet<String> {
                r.conditions
                    .grant_types
                    .include
                    .iter()
                    .map(|g| g.as_str().to_owned())
                    .collect()
            };
            fn scopes(r: &Rule) -> Set<'_> {
                set(Some(&r.conditions.scopes.include))
            }
            let any = |r: &Rule| scopes(r).contains("*");
            e.status == Status::Active
                && grants(l).is_subset(&grants(e))
                && (any(e) || (!any(l) && scopes(l).is_subset(&scopes(e))))
                && people_cover(people(e), people(l))
        }
        fn clients(p: &Policy) -> Set<'_> {
            set(p.conditions.clients.as_ref().map(|c| &c.include))
        }
        let all = |p: &Policy| clients(p).contains(ALL_CLIENTS);
        let order = priority_order(&cfg.policies, |p| p.priority);
        let mut out = Vec::new();
        for (k, &pi) in order.iter().enumerate() {
            let p = &cfg.policies[pi];
            if p.status != Status::Active {
                continue;
            }
            let earlier: Vec<usize> = order[..k]
                .iter()
                .copied()
                .filter(|&qi| {
                    let q = &cfg.policies[qi];
                    q.status == Status::Active
                        && (all(q) || (!all(p) && clients(p).is_subset(&clients(q))))
                })
                .collect();
            let rules = priority_order(&p.rules, |r| r.priority);
            for (m, &ri) in rules.iter().enumerate() {
                let r = &p.rules[ri];
                if r.status != Status::Active {
                    continue;
                }
                let candidates = earlier
                    .iter()
                    .flat_map(|&qi| {
                        priority_order(&cfg.policies[qi].rules, |r| r.priority)
                            .into_iter()
                            .map(move |j| (qi, j))
                    })
                    .chain(rules[..m].iter().map(|&j| (pi, j)));
                for (qi, j) in candidates {
                    let e = &cfg.policies[qi].rules[j];
                    if covers(e, r) {
                        let where_ = if qi == pi {
                            "an earlier rule of the same policy".to_owned()
                        } else {
                            format!("the earlier policy {:?}", cfg.policies[qi].name)
                        };
                        out.push((
                            format!("/policies/{pi}/rules/{ri}"),
                            format!(
                                "the rule {:?} can never match: the rule {:?} at /policies/{qi}/rules/{j} ({where_}) matches every request it would match, first",
                                r.name, e.name
                            ),
                        ));
                        break;
                    }
                }
            }
        }
        out
    }

    #[test]
    fn indexed_search_finds_what_the_pairwise_reference_finds() {
        use rand::rngs::StdRng;
        use rand::{Rng, SeedableRng};
        let pick = |rng: &mut StdRng, pool: &[&str], p: f64| -> Vec<String> {
            pool.iter()
                .filter(|_| rng.random_bool(p))
                .map(|s| (*s).to_owned())
                .collect()
        };
        let cases: u64 = std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(300);
        let mut found = 0;
        for seed in 0..cases {
            let mut rng = StdRng::seed_from_u64(seed);
            let n_policies = rng.random_range(1..6);
            let mut policies = Vec::new();
            for i in 0..n_policies {
                let mut clients = pick(&mut rng, &["c1", "c2", "c3"], 0.5);
                if clients.is_empty() || rng.random_bool(0.3) {
                    clients = vec!["ALL_CLIENTS".into()];
                }
                let n_rules = rng.random_range(1..12);
                let rules: Vec<Value> = (0..n_rules)
                    .map(|j| {
                        let mut grants = pick(&mut rng, &["client_credentials", "refresh_token", "urn:ietf:params:oauth:grant-type:token-exchange"], 0.6);
                        if grants.is_empty() {
                            grants.push("client_credentials".into());
                        }
                        let mut scopes = pick(&mut rng, &["a", "b", "c"], 0.6);
                        if scopes.is_empty() || rng.random_bool(0.15) {
                            scopes = vec!["*".into()];
                        }
                        let mut r = json!({"name": format!("r{i}.{j}"),
                            "conditions": {"grantTypes": {"include": grants},
                                           "scopes": {"include": scopes}}});
                        if rng.random_bool(0.8) {
                            r["priority"] = json!(j + 1);
                        }
                        if rng.random_bool(0.6) {
                            let mut gi = pick(&mut rng, &["g1", "g2", "EVERYONE"], 0.4);
                            let ui = pick(&mut rng, &["u1", "u2"], 0.3);
                            if gi.is_empty() && ui.is_empty() {
                                gi.push("g1".into());
                            }
                            r["conditions"]["people"] = json!({
                                "users": {"include": ui, "exclude": pick(&mut rng, &["u1", "u3"], 0.2)},
                                "groups": {"include": gi, "exclude": pick(&mut rng, &["g2", "g3", "EVERYONE"], 0.15)}});
                        } else if rng.random_bool(0.2) {
                            r["conditions"]["people"] = json!({"groups": {"include": [], "exclude": ["g3"]}});
                        }
                        if rng.random_bool(0.1) {
                            r["status"] = json!("INACTIVE");
                        }
                        r
                    })
                    .collect();
                let mut p = policy(&format!("p{i}"), i + 1, json!(clients), Value::Array(rules));
                if rng.random_bool(0.25) {
                    p.as_object_mut().unwrap().remove("priority");
                }
                if rng.random_bool(0.1) {
                    p["status"] = json!("INACTIVE");
                }
                policies.push(p);
            }
            let cfg = json!({
                "authorizationServer": {"name": "a", "audiences": ["api://a"],
                                        "issuer": "https://example.okta.com/oauth2/a"},
                "scopes": [{"name": "a"}, {"name": "b"}, {"name": "c"}],
                "policies": policies});
            let cfg = ServerConfig::from_value(cfg).expect("loads");
            let want = reference(&cfg);
            let compiled =
                compile(&cfg, &Options::default()).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            let got: Vec<(String, String)> = compiled
                .warnings
                .iter()
                .filter(|d| d.code == "rule.unreachable")
                .map(|d| (d.path.clone(), d.message.clone()))
                .collect();
            assert_eq!(got, want, "seed {seed}");
            found += got.len();
        }
        // The cases are not trivially empty: most configurations shadow something.
        eprintln!("{found} unreachable rules in {cases} configurations");
        assert!(found as u64 > cases, "{found} warnings in {cases} cases");
    }
}
