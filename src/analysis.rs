//! Compile-time analysis of the policies: legal configurations that can't do what they seem to
//! (warnings, never errors).
//!
//! * `rule.unreachable`: an active rule that can never match because an earlier active rule of
//!   the same policy, or of an earlier active policy covering every client of its policy, always
//!   matches first. Reported only when provable: the earlier rule allows every grant type of the
//!   later one, `*` or a superset of its scopes, and every person it admits (EVERYONE without
//!   excludes, or wider include lists and narrower exclude lists; a rule without people admits
//!   only requests without a user).
//! * `scope.ungrantable`: a configured scope that no active rule of an active policy allows.
//! * `policy.no_active_rule`: an active policy without any active rule.

use crate::config::{Diagnostic, ServerConfig};
use crate::policy::{CompiledPeople, CompiledPolicy, CompiledRule, Engine, IMPLICIT_OIDC_SCOPES};

/// Runs every analysis; returns the warnings.
pub(crate) fn analyze(cfg: &ServerConfig, engine: &Engine) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    no_active_rule(engine, &mut out);
    unreachable_rules(engine, &mut out);
    ungrantable_scopes(cfg, engine, &mut out);
    out
}

fn no_active_rule(engine: &Engine, out: &mut Vec<Diagnostic>) {
    let mut found: Vec<&CompiledPolicy> = engine
        .policies
        .iter()
        .filter(|p| p.active && !p.rules.iter().any(|r| r.active))
        .collect();
    found.sort_by(|a, b| a.path.cmp(&b.path));
    for p in found {
        out.push(
            Diagnostic::warning(
                "policy.no_active_rule",
                format!("{}/rules", p.path),
                format!(
                    "the policy {:?} is active but has no active rule, so it never grants anything",
                    p.matched.name
                ),
            )
            .with_hint("add or activate a rule, or deactivate the policy"),
        );
    }
}

/// Whether `earlier` admits every person `later` admits (and every user-less request, which
/// both admit since people are not evaluated then).
fn people_cover(earlier: Option<&CompiledPeople>, later: Option<&CompiledPeople>) -> bool {
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
            let includes = e.everyone
                || (!l.everyone
                    && l.users_include.is_subset(&e.users_include)
                    && l.groups_include.is_subset(&e.groups_include));
            includes
                && e.users_exclude.is_subset(&l.users_exclude)
                && e.groups_exclude.is_subset(&l.groups_exclude)
        }
    }
}

/// Whether `earlier` matches every request `later` matches.
fn covers(earlier: &CompiledRule, later: &CompiledRule) -> bool {
    earlier.active
        && later.grants.is_subset(&earlier.grants)
        && (earlier.any_scope || (!later.any_scope && later.scopes.is_subset(&earlier.scopes)))
        && people_cover(earlier.people.as_ref(), later.people.as_ref())
}

/// Whether policy `q` applies to every client policy `p` applies to.
fn policy_covers(q: &CompiledPolicy, p: &CompiledPolicy) -> bool {
    q.active && (q.all_clients || (!p.all_clients && p.clients.is_subset(&q.clients)))
}

fn unreachable_rules(engine: &Engine, out: &mut Vec<Diagnostic>) {
    for (pi, p) in engine.policies.iter().enumerate() {
        if !p.active {
            continue;
        }
        // Earlier policies that apply to every client of `p`, found through the index so that
        // client-specific policies of other clients are never compared.
        let bucket: &[usize] = if p.all_clients {
            &engine.all_clients
        } else {
            p.clients
                .iter()
                .next()
                .and_then(|c| engine.by_client.get(c))
                .map_or(&[], Vec::as_slice)
        };
        let earlier: Vec<&CompiledPolicy> = bucket
            .iter()
            .copied()
            .take_while(|&qi| qi < pi)
            .map(|qi| &engine.policies[qi])
            .filter(|q| policy_covers(q, p))
            .collect();
        for (ri, r) in p.rules.iter().enumerate() {
            if !r.active {
                continue;
            }
            let shadow = earlier
                .iter()
                .flat_map(|q| q.rules.iter().map(move |e| (*q, e)))
                .chain(p.rules[..ri].iter().map(|e| (p, e)))
                .find(|(_, e)| covers(e, r));
            if let Some((q, e)) = shadow {
                let where_ = if std::ptr::eq(q, p) {
                    "an earlier rule of the same policy".to_owned()
                } else {
                    format!("the earlier policy {:?}", q.matched.name)
                };
                out.push(
                    Diagnostic::warning(
                        "rule.unreachable",
                        r.path.clone(),
                        format!(
                            "the rule {:?} can never match: the rule {:?} at {} ({where_}) matches every request it would match, first",
                            r.matched.name, e.matched.name, e.path
                        ),
                    )
                    .with_hint("give this rule a better priority than the broader one, narrow the broader rule, or remove this one"),
                );
            }
        }
    }
}

fn ungrantable_scopes(cfg: &ServerConfig, engine: &Engine, out: &mut Vec<Diagnostic>) {
    let active_rules = || {
        engine
            .policies
            .iter()
            .filter(|p| p.active)
            .flat_map(|p| p.rules.iter())
            .filter(|r| r.active)
    };
    let any_star = active_rules().any(|r| r.any_scope);
    if any_star {
        return;
    }
    let any_rule = active_rules().next().is_some();
    for (i, s) in cfg.scopes.iter().enumerate() {
        if s.name.is_empty() {
            continue;
        }
        if engine.implicit_oidc && any_rule && IMPLICIT_OIDC_SCOPES.contains(&s.name.as_str()) {
            continue;
        }
        if !active_rules().any(|r| r.scopes.contains(&s.name)) {
            out.push(
                Diagnostic::warning(
                    "scope.ungrantable",
                    format!("/scopes/{i}"),
                    format!(
                        "no active rule of an active policy allows the scope {:?}, so requests for it always fail",
                        s.name
                    ),
                )
                .with_hint("add it to a rule's conditions.scopes.include, or remove the scope"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{AuthorizationServer, Options, ServerConfig};
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
        let server = AuthorizationServer::compile(cfg, options).expect("compiles");
        server
            .warnings()
            .iter()
            .filter(|d| {
                [
                    "rule.unreachable",
                    "scope.ungrantable",
                    "policy.no_active_rule",
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
}
