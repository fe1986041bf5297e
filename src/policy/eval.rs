//! The evaluation loop: the pre-checks, then the first matching policy and rule.

use super::compile::{
    CompiledPeople, CompiledRule, Engine, Span, config_policy, config_rule, contains,
    matched_policy, matched_rule, policy_path, rule_path, to_u32,
};
use super::grant::{Grant, Lifetimes, Subject};
use super::trace::{Check, SkipReason, TraceStep, Tracer, Verdict, list};
use super::{MAX_SCOPE_PARAMETER_LENGTH, consent};
use crate::config::{
    Consent, EVERYONE, GrantType, IssuerMode, Policy, Rule, SYSTEM_SCOPE_NAMES, ServerConfig,
};
use crate::oauth::{OAuthError, OAuthErrorId};
use crate::request::{TokenRequest, User};
use crate::token::{DpopBinding, DpopCheck, DpopError, RefreshRecord, check_proof};
use serde_json::Value;
/// Sets and maps of the compiled configuration, looked up several times per request (foldhash:
/// short keys, where SipHash's cost shows).
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
type HashSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;

/// With `issuerMode: DYNAMIC`, the issuer Okta gives a request that came to `req.host`: the
/// configured issuer with its host replaced (`https://{host}/oauth2/{id}`). `None` for the other
/// modes (the configured issuer). A DYNAMIC server needs the request's host, a plain host name
/// with an optional port.
fn dynamic_issuer<T: Tracer>(
    cfg: &ServerConfig,
    req: &TokenRequest,
    t: &mut T,
) -> Result<Option<String>, OAuthError> {
    let server = &cfg.authorization_server;
    if server.issuer_mode != Some(IssuerMode::Dynamic) {
        return Ok(None);
    }
    let configured = server.issuer.as_deref().unwrap_or_default();
    let err =
        |cause: String| OAuthError::new(OAuthErrorId::AccessTokenNotGenerated).with_cause(cause);
    let Some(host) = req.host.as_deref() else {
        let cause = "issuerMode is DYNAMIC and the request names no host".to_owned();
        check(t, Check::Issuer, false, || cause.clone());
        return Err(err(cause));
    };
    let valid = !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'));
    // `scheme://authority/path`: the authority replaced.
    let rest = configured.split_once("://");
    let (Some((scheme, after)), true) = (rest, valid) else {
        let cause = if valid {
            format!("the configured issuer {configured:?} is not a URL")
        } else {
            "issuerMode is DYNAMIC and the request's host is not a host name".to_owned()
        };
        check(t, Check::Issuer, false, || cause.clone());
        return Err(err(cause));
    };
    let path = after
        .find('/')
        .map_or("", |i| after.get(i..).unwrap_or_default());
    let issuer = format!("{scheme}://{host}{path}");
    check(t, Check::Issuer, true, || format!("DYNAMIC: {issuer}"));
    Ok(Some(issuer))
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
        let issuer = dynamic_issuer(cfg, req, t)?;

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

        // 4b. The DPoP proof, and the key a refresh token is bound to.
        let dpop = match self.dpop(req, refresh) {
            Ok(d) => {
                if let Some(d) = &d {
                    check(t, Check::DpopProof, true, || {
                        format!("key {}, jti {:?}", d.jkt, d.jti)
                    });
                }
                d
            }
            Err((detail, e)) => return fail(t, Check::DpopProof, || detail, e),
        };

        // 5. The scope list.
        if let Some(s) = &req.scopes {
            // Joined by single spaces, as the parameter was sent; counted in characters.
            let len =
                s.iter().map(|x| x.chars().count()).sum::<usize>() + s.len().saturating_sub(1);
            if len > MAX_SCOPE_PARAMETER_LENGTH {
                return fail(
                    t,
                    Check::ScopeLength,
                    || format!("{len} characters; at most {MAX_SCOPE_PARAMETER_LENGTH}"),
                    OAuthError::new(OAuthErrorId::InvalidScope),
                );
            }
        }
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
            // Okta: "passing any OIDC-related scopes with this grant is invalid".
            let oidc: Vec<&str> = self
                .scope_names(candidates)
                .filter(|s| SYSTEM_SCOPE_NAMES.contains(s))
                .collect();
            if !oidc.is_empty() {
                return fail(
                    t,
                    Check::OpenidClientCredentials,
                    || {
                        format!(
                            "OIDC scopes requested with client_credentials: [{}]",
                            oidc.join(", ")
                        )
                    },
                    OAuthError::new(OAuthErrorId::OpenidNotAllowedClientCreds),
                );
            }
            check(t, Check::OpenidClientCredentials, true, String::new);
            let scopes = candidates
                .iter()
                .filter_map(|&id| self.scopes.get(id as usize))
                .map(|i| (i.name.as_str(), i.consent));
            if let Err(e) = consent::decide(grant, scopes, Default::default(), None, &[]) {
                return fail(
                    t,
                    Check::ConsentClientCredentials,
                    || {
                        let required = candidates
                            .iter()
                            .filter_map(|&id| self.scopes.get(id as usize))
                            .filter(|i| i.consent == Consent::Required)
                            .map(|i| i.name.as_str());
                        format!(
                            "consent REQUIRED: [{}]",
                            required.collect::<Vec<_>>().join(", ")
                        )
                    },
                    e,
                );
            }
            check(t, Check::ConsentClientCredentials, true, String::new);
        }

        // 9. `openid` for an ID token; `offline_access` from a browser; the user is assigned.
        self.openid_for_id_token(req, self.scope_names(candidates), t)?;
        if req.client.is_browser()
            && *grant != GrantType::Implicit
            && self.scope_names(candidates).any(|s| s == "offline_access")
        {
            if !req.client.allows(&GrantType::RefreshToken) {
                return fail(
                    t,
                    Check::BrowserOfflineAccess,
                    || "browser application without the refresh_token grant type".into(),
                    OAuthError::new(OAuthErrorId::UnsupportedScopeBrowserRequest),
                );
            }
            check(t, Check::BrowserOfflineAccess, true, || {
                "the browser application has the refresh_token grant type".into()
            });
        }
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
                        if matches!(wanted, Wanted::Defaults) {
                            self.openid_for_id_token(req, scopes.iter().map(String::as_str), t)?;
                        }
                        let consent = self.consent(req, &scopes, t)?;
                        let mut g = self.grant(req, policy, rule, scopes, &wanted, original);
                        g.dpop = dpop;
                        g.consent = consent;
                        g.issuer = issuer;
                        self.identity_provider(&mut g, req, t)?;
                        return Ok(g);
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

    /// Step 9: a response type asking for an ID token needs `openid` among the scopes
    /// (traced only when the response type has `id_token`).
    fn openid_for_id_token<'a, T: Tracer>(
        &self,
        req: &TokenRequest,
        mut scopes: impl Iterator<Item = &'a str>,
        t: &mut T,
    ) -> Result<(), OAuthError> {
        let Some(rt) = req
            .response_type
            .as_ref()
            .filter(|r| r.contains("id_token"))
        else {
            return Ok(());
        };
        if scopes.any(|s| s == "openid") {
            check(t, Check::OpenidForIdToken, true, || {
                format!("response type {rt}")
            });
            return Ok(());
        }
        check(t, Check::OpenidForIdToken, false, || {
            format!("response type {rt} without the openid scope")
        });
        Err(OAuthError::new(OAuthErrorId::OpenidScopeRequired))
    }

    /// The ID token's `idp`: the original one for a refresh, else the request's identity
    /// provider, else the org id (the request's `org.id`, else `Options::org_id`). A grant
    /// that yields an ID token (`openid` granted to a user, and for `implicit` a response type
    /// with `id_token` or none) without any fails: Okta's ID tokens always carry `idp`.
    fn identity_provider<T: Tracer>(
        &self,
        g: &mut Grant,
        req: &TokenRequest,
        t: &mut T,
    ) -> Result<(), OAuthError> {
        if g.idp.is_none() {
            let org = req
                .org
                .as_ref()
                .and_then(|o| o.get("id"))
                .filter(|v| !v.is_null());
            g.idp = org
                .cloned()
                .or_else(|| self.org_id.as_deref().map(Value::from));
        }
        let id_token = g.subject.is_some()
            && g.scopes.iter().any(|s| s == "openid")
            && (g.grant_type != GrantType::Implicit
                || g.response_type
                    .as_ref()
                    .is_none_or(|r| r.contains("id_token")));
        if !id_token {
            return Ok(());
        }
        match &g.idp {
            Some(idp) => {
                check(t, Check::IdentityProvider, true, || idp.to_string());
                Ok(())
            }
            None => {
                let cause = "the request names no identity provider (idp) nor org id (org.id), and Options::org_id is not set";
                check(t, Check::IdentityProvider, false, || cause.to_owned());
                Err(OAuthError::new(OAuthErrorId::IdTokenNotGenerated).with_cause(cause))
            }
        }
    }

    /// Step 11: the consent decision over the granted scopes, traced when the grant type
    /// shows a consent screen.
    fn consent<T: Tracer>(
        &self,
        req: &TokenRequest,
        granted: &[String],
        t: &mut T,
    ) -> Result<Option<Vec<String>>, OAuthError> {
        if !consent::asks_user(&req.grant_type) {
            return Ok(None);
        }
        let scopes = granted.iter().map(|s| {
            let info = self
                .scope_ids
                .get(s.as_str())
                .and_then(|&id| self.scopes.get(id as usize));
            (s.as_str(), info.map_or(Consent::Implicit, |i| i.consent))
        });
        let method = req.client.consent_method.unwrap_or_default();
        let consented = req.consent_granted.as_deref().unwrap_or_default();
        let detail = || {
            let prompt = req.prompt.map_or("absent".to_owned(), |p| p.to_string());
            format!("consentMethod {method}, prompt {prompt}")
        };
        match consent::decide(&req.grant_type, scopes, method, req.prompt, consented) {
            Ok(ask) => {
                check(t, Check::Consent, true, || match ask.as_deref() {
                    Some(a) if !a.is_empty() => {
                        format!("{}; ask the user for [{}]", detail(), a.join(", "))
                    }
                    _ => format!("{}; nothing to ask", detail()),
                });
                Ok(ask)
            }
            Err(e) => {
                check(t, Check::Consent, false, || {
                    format!("{}; the user would have to be asked", detail())
                });
                Err(e)
            }
        }
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

    /// Checks the request's DPoP proof and, for a refresh token bound to a key, that the proof
    /// is by that key. `Err` holds the trace detail and the OAuth error.
    fn dpop(
        &self,
        req: &TokenRequest,
        refresh: Option<&RefreshRecord>,
    ) -> Result<Option<DpopBinding>, (String, OAuthError)> {
        let bound = refresh.and_then(|r| r.jkt.as_deref());
        let Some(d) = &req.dpop else {
            return match bound {
                None => Ok(None),
                Some(jkt) => Err((
                    format!(
                        "the refresh token is bound to the DPoP key {jkt}; the request has no proof"
                    ),
                    DpopError::ProofMissing.to_oauth_error(),
                )),
            };
        };
        let mut check = DpopCheck::new(d.method.as_str(), d.url.as_str(), req.now)
            .nonces(d.nonces.iter().map(String::as_str));
        if let Some(s) = d.max_age {
            check = check.max_age(s);
        }
        if let Some(s) = d.max_future {
            check = check.max_future(s);
        }
        let proof =
            check_proof(&d.proof, &check).map_err(|e| (e.to_string(), e.to_oauth_error()))?;
        if let Some(jkt) = bound {
            proof
                .check_binding(jkt)
                .map_err(|e| (e.to_string(), e.to_oauth_error()))?;
        }
        Ok(Some(proof.binding()))
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
        // A refresh keeps the original authentication and has no nonce (OIDC Core §12.2).
        let record = req.refresh.as_ref().filter(|_| original.is_some());
        let amr = req.amr.clone().or_else(|| {
            let list = req.session.as_ref()?.get("amr")?.as_array()?;
            list.iter().map(|a| a.as_str().map(str::to_owned)).collect()
        });
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
            client_refresh_token: req.client.allows(&GrantType::RefreshToken),
            lifetimes: Lifetimes {
                access_token_lifetime_minutes: t.access_token_lifetime_minutes,
                refresh_token_lifetime_minutes: t.refresh_token_lifetime_minutes,
                refresh_token_window_minutes: t.refresh_token_window_minutes,
            },
            inline_hook: t.inline_hook.as_ref().map(|h| h.id.clone()),
            response_type: req.response_type.clone(),
            subject,
            nonce: if record.is_some() {
                None
            } else {
                req.nonce.clone()
            },
            auth_time: record.and_then(|r| r.auth_time).or(req.auth_time),
            idp: record
                .and_then(|r| r.idp.clone())
                .or_else(|| req.idp.clone()),
            amr: record.and_then(|r| r.amr.clone()).or(amr),
            issuer: None,
            acr: match (&req.refresh, original) {
                (Some(record), Some(_)) => record.acr.clone(),
                _ => req.acr.clone(),
            },
            dpop: None,
            evaluated_at: req.now,
            refresh: req.refresh.clone().filter(|_| original.is_some()),
            consent: None,
        }
    }
}
