//! Property test: the indexed evaluator agrees with a plain linear reference implementation
//! (written here from the spec, without indexes or sets) on random configurations and requests:
//! same outcome and same trace (policy and rule steps with their reasons; checks by name and
//! result). `evaluate` (indexed) and `explain` (full walk) must agree too.

// A panic here is a failed test or a stopped tool, not a host brought down: the crate's
// lints for src/ (Cargo.toml) are relaxed.
#![allow(
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    unreachable_pub
)]

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use tokenmint::Matched;
use tokenmint::ServerConfig;
use tokenmint::config::{ALL_CLIENTS, Consent, EVERYONE, GrantType, Status};
use tokenmint::trace::{Check, SkipReason, TraceStep, Verdict};
use tokenmint::{AuthorizationServer, Options, TokenRequest};
use tokenmint::{OAuthError, OAuthErrorId};

const CLIENTS: [&str; 4] = ["c0", "c1", "c2", "c3"];
const USERS: [&str; 4] = ["u0", "u1", "u2", "u3"];
const GROUPS: [&str; 4] = ["g0", "g1", "g2", "g3"];
const SCOPES: [&str; 7] = [
    "s0",
    "s1",
    "s2",
    "s3",
    "openid",
    "profile",
    "offline_access",
];
const GRANTS: [&str; 5] = [
    "authorization_code",
    "client_credentials",
    "password",
    "refresh_token",
    "implicit",
];

fn subset<'a>(rng: &mut StdRng, pool: &[&'a str], p: f64) -> Vec<&'a str> {
    pool.iter()
        .copied()
        .filter(|_| rng.random_bool(p))
        .collect()
}

fn nonempty<'a>(rng: &mut StdRng, pool: &[&'a str], p: f64) -> Vec<&'a str> {
    let mut v = subset(rng, pool, p);
    if v.is_empty() {
        v.push(pool[rng.random_range(0..pool.len())]);
    }
    v
}

/// Distinct priorities 1..=n shuffled, some removed.
fn priorities(rng: &mut StdRng, n: usize) -> Vec<Option<i64>> {
    let mut p: Vec<i64> = (1..=n as i64).collect();
    for i in (1..p.len()).rev() {
        let j = rng.random_range(0..=i);
        p.swap(i, j);
    }
    p.into_iter()
        .map(|x| (!rng.random_bool(0.2)).then_some(x * 3))
        .collect()
}

fn random_config(rng: &mut StdRng) -> Value {
    let scopes: Vec<Value> = ["s0", "s1", "s2", "s3"]
        .iter()
        .map(|s| {
            let consent = ["IMPLICIT", "FLEXIBLE", "REQUIRED"][rng.random_range(0..3)];
            json!({"name": s, "default": rng.random_bool(0.3), "consent": consent})
        })
        .collect();
    let np = rng.random_range(0..7);
    let pprio = priorities(rng, np);
    let policies: Vec<Value> = (0..np)
        .map(|i| {
            let nr = rng.random_range(0..5);
            let rprio = priorities(rng, nr);
            let rules: Vec<Value> = (0..nr)
                .map(|j| {
                    let people = if rng.random_bool(0.7) {
                        let mut g_inc = subset(rng, &GROUPS, 0.3);
                        if rng.random_bool(0.4) {
                            g_inc.push(EVERYONE);
                        }
                        let mut g_exc = subset(rng, &GROUPS, 0.15);
                        if rng.random_bool(0.03) {
                            g_exc.push(EVERYONE);
                        }
                        let u_inc = subset(rng, &USERS, 0.25);
                        let u_exc = subset(rng, &USERS, 0.15);
                        Some(json!({"users": {"include": u_inc, "exclude": u_exc},
                                    "groups": {"include": g_inc, "exclude": g_exc}}))
                    } else {
                        None
                    };
                    let has_includes = people.as_ref().is_some_and(|p| {
                        p["users"]["include"].as_array().is_some_and(|a| !a.is_empty())
                            || p["groups"]["include"].as_array().is_some_and(|a| !a.is_empty())
                    });
                    let mut grants = nonempty(rng, &GRANTS, 0.5);
                    if !has_includes {
                        grants.retain(|g| *g == "client_credentials" || *g == "refresh_token");
                        if grants.is_empty() {
                            grants.push("client_credentials");
                        }
                    }
                    let scopes = if rng.random_bool(0.35) {
                        vec!["*"]
                    } else {
                        nonempty(rng, &SCOPES, 0.4)
                    };
                    let mut r = json!({
                        "id": format!("r{i}{j}"), "name": format!("rule {i}.{j}"),
                        "status": if rng.random_bool(0.15) { "INACTIVE" } else { "ACTIVE" },
                        "conditions": {"grantTypes": {"include": grants}, "scopes": {"include": scopes}},
                        "actions": {"token": {"accessTokenLifetimeMinutes": 5 + i * 10 + j}},
                    });
                    if let Some(p) = rprio[j] {
                        r["priority"] = json!(p);
                    }
                    if let Some(p) = people {
                        r["conditions"]["people"] = p;
                    }
                    r
                })
                .collect();
            let clients = if rng.random_bool(0.4) {
                vec![ALL_CLIENTS]
            } else {
                nonempty(rng, &CLIENTS, 0.3)
            };
            let mut p = json!({
                "id": format!("p{i}"), "name": format!("policy {i}"), "description": "d",
                "status": if rng.random_bool(0.15) { "INACTIVE" } else { "ACTIVE" },
                "conditions": {"clients": {"include": clients}}, "rules": rules,
            });
            if let Some(x) = pprio[i] {
                p["priority"] = json!(x);
            }
            p
        })
        .collect();
    json!({
        "authorizationServer": {"name": "a", "audiences": ["api://a"],
            "issuer": "https://example.okta.com/oauth2/a",
            "status": if rng.random_bool(0.05) { "INACTIVE" } else { "ACTIVE" }},
        "scopes": scopes, "policies": policies,
    })
}

fn random_request(rng: &mut StdRng) -> Value {
    let now: DateTime<Utc> = "2026-03-01T12:00:00Z".parse().expect("date");
    let client = ["c0", "c1", "c2", "c3", "c9"][rng.random_range(0..5)];
    let grant = if rng.random_bool(0.02) {
        "urn:example:unknown"
    } else {
        GRANTS[rng.random_range(0..GRANTS.len())]
    };
    let mut r = json!({"client": {"clientId": client}, "grantType": grant,
                       "now": now.to_rfc3339()});
    if rng.random_bool(0.1) {
        r["client"]["grantTypes"] = json!(nonempty(rng, &GRANTS, 0.6));
    }
    match rng.random_range(0..10) {
        0 => {}
        1 => r["scopes"] = json!([]),
        _ => {
            let mut s = nonempty(rng, &SCOPES, 0.2);
            if rng.random_bool(0.05) {
                s.push("zz");
            }
            if rng.random_bool(0.1) {
                s.push(s[0]);
            }
            r["scopes"] = json!(s);
        }
    }
    if (grant != "client_credentials" || rng.random_bool(0.1)) && rng.random_bool(0.85) {
        let id = USERS[rng.random_range(0..USERS.len())];
        let groups: Vec<Value> = subset(rng, &GROUPS, 0.35)
            .into_iter()
            .map(|g| json!({"id": g, "name": g.to_uppercase()}))
            .collect();
        r["user"] = json!({"id": id, "profile": {"login": format!("{id}@x")}, "groups": groups});
        // Mostly an identity provider; sometimes none (no ID token can be issued then).
        if rng.random_bool(0.9) {
            r["idp"] = json!("00o1org");
        }
        if rng.random_bool(0.9) {
            r["appuser"] = json!({"userName": format!("{id}@x")});
        }
    }
    if grant == "refresh_token" && rng.random_bool(0.9) {
        let rc = if rng.random_bool(0.9) { client } else { "c8" };
        let first = now - Duration::minutes(rng.random_range(0..3000));
        let last = now - Duration::minutes(rng.random_range(0..200));
        let life = [0, 1440, 2880][rng.random_range(0..3)];
        let window = [0, 60, 10080][rng.random_range(0..3)];
        // Mostly the request's user; sometimes another one, or none.
        let user_id = match rng.random_range(0..10) {
            0 => json!("00uother"),
            1 => Value::Null,
            _ => r["user"]["id"].clone(),
        };
        r["refresh"] = json!({
            "userId": user_id,
            "clientId": rc,
            "grantType": GRANTS[rng.random_range(0..GRANTS.len())],
            "scopes": nonempty(rng, &SCOPES, 0.4),
            "firstIssuedAt": first.to_rfc3339(), "lastUsedAt": last.to_rfc3339(),
            "lifetimeMinutes": life,
            "windowMinutes": window,
        });
    }
    r
}

// ---------------------------------------------------------------------------------------------
// The reference: the spec's pseudocode, linear, on the plain configuration.

type Outcome = Result<(Matched, Matched, Vec<String>, i64), OAuthError>;

#[derive(Debug, PartialEq)]
enum Step {
    Check(Check, bool),
    Other(TraceStep),
}

fn sorted<T>(items: &[T], prio: impl Fn(&T) -> Option<i64>) -> Vec<&T> {
    let mut with: Vec<(usize, &T)> = items.iter().enumerate().collect();
    // Explicit priorities first (ascending), then the rest in document order.
    with.sort_by_key(|(i, t)| (prio(t).is_none(), prio(t).unwrap_or(0), *i));
    with.into_iter().map(|(_, t)| t).collect()
}

fn reference(cfg: &ServerConfig, implicit_oidc: bool, req: &TokenRequest) -> (Vec<Step>, Outcome) {
    let mut steps = Vec::new();
    let out = reference_inner(cfg, implicit_oidc, req, &mut steps);
    (steps, out)
}

fn reference_inner(
    cfg: &ServerConfig,
    implicit_oidc: bool,
    req: &TokenRequest,
    steps: &mut Vec<Step>,
) -> Outcome {
    let e = |id| Err(OAuthError::new(id));
    if cfg.authorization_server.status != Status::Active {
        steps.push(Step::Check(Check::ServerActive, false));
        return e(OAuthErrorId::InvalidAuthorizationServer);
    }
    steps.push(Step::Check(Check::ServerActive, true));
    if !req.grant_type.is_known() {
        steps.push(Step::Check(Check::GrantTypeSupported, false));
        let used: Vec<&str> = GrantType::KNOWN
            .iter()
            .filter(|g| {
                cfg.policies.iter().any(|p| {
                    p.status == Status::Active
                        && p.rules.iter().any(|r| {
                            r.status == Status::Active
                                && r.conditions.grant_types.include.contains(g)
                        })
                })
            })
            .map(GrantType::as_str)
            .collect();
        return Err(OAuthError::with_arg(
            OAuthErrorId::UnsupportedGrantType,
            &used.join(", "),
        ));
    }
    steps.push(Step::Check(Check::GrantTypeSupported, true));
    if let Some(g) = &req.client.grant_types
        && !g.contains(&req.grant_type)
    {
        steps.push(Step::Check(Check::ClientGrantType, false));
        let list: Vec<&str> = g.iter().map(GrantType::as_str).collect();
        return Err(OAuthError::with_arg(
            OAuthErrorId::UnauthorizedClient,
            &list.join(", "),
        ));
    }
    steps.push(Step::Check(Check::ClientGrantType, true));
    let mut original = None;
    let mut record_scopes = None;
    if req.grant_type == GrantType::RefreshToken {
        let Some(r) = &req.refresh else {
            steps.push(Step::Check(Check::RefreshToken, false));
            return e(OAuthErrorId::InvalidRefreshToken);
        };
        if r.client_id != req.client.client_id {
            steps.push(Step::Check(Check::RefreshToken, false));
            return e(OAuthErrorId::MismatchedClient);
        }
        if r.user_id.as_deref() != req.user.as_ref().map(|u| u.id.as_str()) {
            steps.push(Step::Check(Check::RefreshToken, false));
            return e(OAuthErrorId::InvalidRefreshToken);
        }
        let expired = r.lifetime_minutes > 0
            && req.now >= r.first_issued_at + Duration::minutes(r.lifetime_minutes);
        let idle = r.window_minutes > 0
            && req.now
                >= r.last_used_at.unwrap_or(r.first_issued_at)
                    + Duration::minutes(r.window_minutes);
        if expired || idle {
            steps.push(Step::Check(Check::RefreshToken, false));
            return e(OAuthErrorId::InvalidRefreshToken);
        }
        steps.push(Step::Check(Check::RefreshToken, true));
        original = Some(r.grant_type.clone());
        record_scopes = Some(r.scopes.clone());
    }
    let mut all_scopes: Vec<(String, bool, Consent)> = tokenmint::config::system_scopes()
        .into_iter()
        .map(|s| (s.name, s.default, s.consent))
        .collect();
    for s in &cfg.scopes {
        match all_scopes.iter_mut().find(|x| x.0 == s.name) {
            Some(x) => *x = (s.name.clone(), s.default, s.consent),
            None => all_scopes.push((s.name.clone(), s.default, s.consent)),
        }
    }
    let defaults: Vec<String> = all_scopes
        .iter()
        .filter(|s| s.1)
        .map(|s| s.0.clone())
        .collect();
    let mut requested: Option<Vec<String>> = None;
    match (&req.scopes, &record_scopes) {
        (Some(s), _) if s.is_empty() => {
            steps.push(Step::Check(Check::ScopesPresent, false));
            return e(OAuthErrorId::MissingScopes);
        }
        (Some(s), Some(orig)) => {
            steps.push(Step::Check(Check::ScopesPresent, true));
            let mut d: Vec<String> = Vec::new();
            for x in s {
                if !d.contains(x) {
                    d.push(x.clone());
                }
            }
            let denied: Vec<&str> = d
                .iter()
                .filter(|x| !orig.contains(x))
                .map(String::as_str)
                .collect();
            if !denied.is_empty() {
                steps.push(Step::Check(Check::RefreshScopes, false));
                return Err(OAuthError::with_arg(
                    OAuthErrorId::RefreshScopesDenied,
                    &denied.join(", "),
                ));
            }
            steps.push(Step::Check(Check::RefreshScopes, true));
            requested = Some(d);
        }
        (None, Some(orig)) => {
            steps.push(Step::Check(Check::RefreshScopes, true));
            let mut d: Vec<String> = Vec::new();
            for x in orig {
                if !d.contains(x) {
                    d.push(x.clone());
                }
            }
            requested = Some(d);
        }
        (Some(s), None) => {
            steps.push(Step::Check(Check::ScopesPresent, true));
            let mut d: Vec<String> = Vec::new();
            for x in s {
                if !d.contains(x) {
                    d.push(x.clone());
                }
            }
            requested = Some(d);
        }
        (None, None) => {}
    }
    let candidates = match &requested {
        Some(r) => {
            if r.iter().any(|x| !all_scopes.iter().any(|s| &s.0 == x)) {
                steps.push(Step::Check(Check::ScopesConfigured, false));
                return e(OAuthErrorId::NoMatchingScope);
            }
            steps.push(Step::Check(Check::ScopesConfigured, true));
            r.clone()
        }
        None => {
            if defaults.is_empty() {
                steps.push(Step::Check(Check::DefaultScopes, false));
                return e(OAuthErrorId::NoDefaultScopes);
            }
            steps.push(Step::Check(Check::DefaultScopes, true));
            defaults.clone()
        }
    };
    if req.grant_type == GrantType::ClientCredentials {
        // Any OIDC scope, not only openid.
        if candidates
            .iter()
            .any(|s| tokenmint::config::SYSTEM_SCOPE_NAMES.contains(&s.as_str()))
        {
            steps.push(Step::Check(Check::OpenidClientCredentials, false));
            return e(OAuthErrorId::OpenidNotAllowedClientCreds);
        }
        steps.push(Step::Check(Check::OpenidClientCredentials, true));
        let consent: Vec<&str> = candidates
            .iter()
            .filter(|c| {
                all_scopes
                    .iter()
                    .any(|s| &s.0 == *c && s.2 == Consent::Required)
            })
            .map(String::as_str)
            .collect();
        if !consent.is_empty() {
            steps.push(Step::Check(Check::ConsentClientCredentials, false));
            return Err(OAuthError::with_arg(
                OAuthErrorId::ConsentRequiredClientCredentials,
                &consent.join(", "),
            ));
        }
        steps.push(Step::Check(Check::ConsentClientCredentials, true));
    }
    if req.user.is_some() {
        let ok = req.appuser.is_some();
        steps.push(Step::Check(Check::UserAssigned, ok));
        if !ok {
            return e(OAuthErrorId::UserNotAssigned);
        }
    }
    let oidc = [
        "openid",
        "profile",
        "email",
        "address",
        "phone",
        "offline_access",
    ];
    let indexed: Vec<(usize, &tokenmint::config::Policy)> =
        cfg.policies.iter().enumerate().collect();
    for (pi, p) in sorted(&indexed, |(_, p)| p.priority) {
        let pm = Matched {
            id: p.id.clone(),
            name: p.name.clone(),
        };
        let path = format!("/policies/{pi}");
        let include = p
            .conditions
            .clients
            .as_ref()
            .map(|c| c.include.clone())
            .unwrap_or_default();
        let skip = |reason| {
            Step::Other(TraceStep::Policy {
                policy: pm.clone(),
                path: path.clone(),
                verdict: Verdict::Skipped { reason },
            })
        };
        if p.status != Status::Active {
            steps.push(skip(SkipReason::Inactive));
            continue;
        }
        if !include
            .iter()
            .any(|c| c == ALL_CLIENTS || *c == req.client.client_id)
        {
            steps.push(skip(SkipReason::ClientNotIncluded {
                client_id: req.client.client_id.clone(),
                include,
            }));
            continue;
        }
        steps.push(Step::Other(TraceStep::Policy {
            policy: pm.clone(),
            path: path.clone(),
            verdict: Verdict::Evaluated,
        }));
        let rules: Vec<(usize, &tokenmint::config::Rule)> = p.rules.iter().enumerate().collect();
        for (ri, r) in sorted(&rules, |(_, r)| r.priority) {
            let rm = Matched {
                id: r.id.clone(),
                name: r.name.clone(),
            };
            let rpath = format!("{path}/rules/{ri}");
            let result = reference_rule(
                r,
                req,
                original.as_ref(),
                &requested,
                &defaults,
                implicit_oidc,
                &oidc,
            );
            match result {
                Ok(scopes) => {
                    steps.push(Step::Other(TraceStep::Rule {
                        rule: rm.clone(),
                        path: rpath,
                        verdict: Verdict::Matched,
                    }));
                    // The generated clients have no consentMethod (TRUSTED) and the requests
                    // no prompt: the consent decision of the /authorize flows asks nothing.
                    if tokenmint::consent::asks_user(&req.grant_type) {
                        steps.push(Step::Check(Check::Consent, true));
                    }
                    // An ID token (openid granted to a user) needs an idp; the generated
                    // requests have no response type, org or refresh-record idp.
                    if req.user.is_some() && scopes.iter().any(|s| s == "openid") {
                        let ok = req.idp.is_some();
                        steps.push(Step::Check(Check::IdentityProvider, ok));
                        if !ok {
                            return Err(OAuthError::new(OAuthErrorId::IdTokenNotGenerated)
                                .with_cause("the request names no identity provider (idp) nor org id (org.id), and Options::org_id is not set"));
                        }
                    }
                    return Ok((
                        pm,
                        rm,
                        scopes,
                        r.actions.token.access_token_lifetime_minutes,
                    ));
                }
                Err(reason) => steps.push(Step::Other(TraceStep::Rule {
                    rule: rm,
                    path: rpath,
                    verdict: Verdict::Skipped { reason },
                })),
            }
        }
    }
    e(OAuthErrorId::NoMatchingPolicy)
}

fn reference_rule(
    r: &tokenmint::config::Rule,
    req: &TokenRequest,
    original: Option<&GrantType>,
    requested: &Option<Vec<String>>,
    defaults: &[String],
    implicit_oidc: bool,
    oidc: &[&str],
) -> Result<Vec<String>, SkipReason> {
    if r.status != Status::Active {
        return Err(SkipReason::Inactive);
    }
    let g = &r.conditions.grant_types.include;
    let grant_ok = match original {
        Some(o) => g.contains(o) || g.contains(&GrantType::RefreshToken),
        None => g.contains(&req.grant_type),
    };
    if !grant_ok {
        return Err(SkipReason::GrantTypeNotIncluded {
            grant_type: req.grant_type.clone(),
            original_grant_type: original.cloned(),
            include: g.clone(),
        });
    }
    if let Some(user) = &req.user {
        let people = r.conditions.people.as_ref().filter(|p| p.has_includes());
        let Some(p) = people else {
            return Err(SkipReason::NoPeopleCondition {
                user_id: user.id.clone(),
            });
        };
        let empty = Vec::new();
        let u_inc = p.users.as_ref().map_or(&empty, |u| &u.include);
        let u_exc = p.users.as_ref().map_or(&empty, |u| &u.exclude);
        let g_inc = p.groups.as_ref().map_or(&empty, |g| &g.include);
        let g_exc = p.groups.as_ref().map_or(&empty, |g| &g.exclude);
        if u_exc.contains(&user.id) {
            return Err(SkipReason::UserExcluded {
                user_id: user.id.clone(),
            });
        }
        if g_exc.iter().any(|x| x == EVERYONE) {
            return Err(SkipReason::UserExcludedByGroup {
                group_id: EVERYONE.into(),
                group_name: None,
            });
        }
        for grp in &user.groups {
            if g_exc.contains(&grp.id) {
                return Err(SkipReason::UserExcludedByGroup {
                    group_id: grp.id.clone(),
                    group_name: Some(grp.name.clone()),
                });
            }
        }
        let included = g_inc.iter().any(|x| x == EVERYONE)
            || u_inc.contains(&user.id)
            || user.groups.iter().any(|grp| g_inc.contains(&grp.id));
        if !included {
            return Err(SkipReason::UserNotIncluded {
                user_id: user.id.clone(),
            });
        }
    }
    let list = &r.conditions.scopes.include;
    let allowed =
        |s: &str| list.iter().any(|x| x == "*" || x == s) || (implicit_oidc && oidc.contains(&s));
    match requested {
        Some(req_scopes) => {
            for s in req_scopes {
                if !allowed(s) {
                    return Err(SkipReason::ScopeNotAllowed { scope: s.clone() });
                }
            }
            Ok(req_scopes.clone())
        }
        None => {
            let granted: Vec<String> = defaults.iter().filter(|s| allowed(s)).cloned().collect();
            if granted.is_empty() {
                return Err(SkipReason::NoDefaultScopeAllowed {
                    default_scopes: defaults.to_vec(),
                });
            }
            Ok(granted)
        }
    }
}

fn check_one(seed: u64) -> Result<(), TestCaseError> {
    let mut rng = StdRng::seed_from_u64(seed);
    let cfg_json = random_config(&mut rng);
    let implicit_oidc = rng.random_bool(0.3);
    let cfg = ServerConfig::from_value(cfg_json.clone())
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut options = Options::default();
    options.implicit_oidc_scopes = implicit_oidc;
    let server = AuthorizationServer::compile(cfg.clone(), options)
        .map_err(|e| TestCaseError::fail(format!("{e}\n{cfg_json:#}")))?;
    for _ in 0..8 {
        let req_json = random_request(&mut rng);
        let req = TokenRequest::from_json(&req_json.to_string())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let evaluated = server.evaluate(&req);
        let trace = server.explain(&req);
        prop_assert_eq!(
            &trace.clone().into_result(),
            &evaluated,
            "evaluate vs explain\n{}",
            trace
        );
        let (ref_steps, ref_out) = reference(&cfg, implicit_oidc, &req);
        let got_out: Outcome = evaluated.map(|g| {
            (
                g.policy,
                g.rule,
                g.scopes,
                g.lifetimes.access_token_lifetime_minutes,
            )
        });
        prop_assert_eq!(
            &got_out,
            &ref_out,
            "outcome\nconfig {:#}\nrequest {:#}\n{}",
            cfg_json,
            req_json,
            trace
        );
        let got_steps: Vec<Step> = trace
            .steps
            .iter()
            .map(|s| match s {
                TraceStep::Check { check, passed, .. } => Step::Check(*check, *passed),
                other => Step::Other(other.clone()),
            })
            .collect();
        prop_assert_eq!(
            got_steps,
            ref_steps,
            "trace\nconfig {:#}\nrequest {:#}\n{}",
            cfg_json,
            req_json,
            trace
        );
    }
    Ok(())
}

proptest! {
    // 400 cases of 8 requests each; PROPTEST_CASES raises it.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(400),
        ..ProptestConfig::default()
    })]

    #[test]
    fn indexed_evaluator_matches_the_linear_reference(seed in any::<u64>()) {
        check_one(seed)?;
    }
}
