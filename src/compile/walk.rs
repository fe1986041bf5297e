//! The compile walk: one pass over a [`ServerConfig`] that visits every object (the server,
//! each scope, claim, policy and rule) once, checks it and lowers it into its compiled form in
//! the same step: the encryption key, the scope table, the claim sets (each expression and
//! GROUPS filter compiled once, the compiled form both the check and the claim use) and the
//! policies' lowered rules. Every problem is found at once, each located.
//!
//! Each object emits its diagnostics as it is visited, into the list of its kind: the checks,
//! then what compiling the claims' expressions found, then the choice of the encryption key.
//! A report gives them in that order (document order within each), as it always has.

use super::Options;
use crate::claims::{ClaimSet, ClaimSetBuilder, ClaimValue, GroupFilter, compile_expression};
use crate::config::{
    ALL_CLIENTS, Claim, ClaimConditions, ClaimType, EVERYONE, GrantType, GroupFilterType,
    IncludeExclude, People, Policy, PolicyConditions, Rule, RuleConditions, SYSTEM_SCOPE_NAMES,
    Scope, Server, ServerConfig, TokenActions, ValueType,
};
use crate::config::{Diagnostic, Quoted, pointer};
use crate::el::functions::did_you_mean;
use crate::mint;
use crate::policy::EngineBuilder;
use crate::token::EncryptionKey;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

/// A JSON pointer into the bundle, made into a string only when a diagnostic needs it (most
/// objects have none, and a configuration has tens of thousands of objects).
enum At<'a> {
    /// A pointer written out.
    Raw(&'a str),
    Key(&'a At<'a>, &'a str),
    Index(&'a At<'a>, usize),
}

impl<'a> At<'a> {
    fn key(&'a self, key: &'a str) -> At<'a> {
        At::Key(self, key)
    }

    fn index(&'a self, i: usize) -> At<'a> {
        At::Index(self, i)
    }

    fn path(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            At::Raw(s) => out.push_str(s),
            At::Key(base, key) => {
                base.write(out);
                out.push('/');
                // RFC 6901 escapes.
                for c in key.chars() {
                    match c {
                        '~' => out.push_str("~0"),
                        '/' => out.push_str("~1"),
                        c => out.push(c),
                    }
                }
            }
            At::Index(base, i) => {
                base.write(out);
                out.push('/');
                out.push_str(&i.to_string());
            }
        }
    }
}

/// "the rule \"name\"", written only when a message needs it.
struct Label<'a>(&'static str, &'a str);

impl fmt::Display for Label<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the {} {}", self.0, Quoted(self.1))
    }
}

/// The scope names of the server (its own, then the system ones): a set to look names up,
/// and the list in that order to suggest one.
struct ScopeNames<'c> {
    set: HashSet<&'c str>,
    order: Vec<&'c str>,
}

/// How many characters did-you-mean suggestions may compare in one validation (edit distance
/// is quadratic in the lengths; a hostile configuration could ask for millions of them).
const SUGGESTION_BUDGET: usize = 4_000_000;

/// Lifetime bounds of rule actions, in minutes.
pub(crate) const ACCESS_LIFETIME_MINUTES: std::ops::RangeInclusive<i64> = 5..=1440;
/// Bounds of `refreshTokenWindowMinutes`.
pub(crate) const REFRESH_WINDOW_MINUTES: std::ops::RangeInclusive<i64> = 10..=2_628_000;

/// Okta's reserved claim names (its support article "List of Reserved Claims") for access
/// tokens only; `groups` is left out (Okta's own guides create it). Custom RESOURCE claims may
/// not use them.
const ACCESS_ONLY_RESERVED: &[&str] = &[
    "acr", "amr", "as_uri", "cid", "rpt", "rsi", "uid", "username",
];

/// Okta's reserved claim names for ID tokens only. Custom IDENTITY claims may not use them; a
/// RESOURCE claim may (`role`, `permissions`, `client_id`, …).
const ID_ONLY_RESERVED: &[&str] = &[
    "active",
    "aid",
    "aud",
    "app_id",
    "app_type",
    "at_hash",
    "auth_time",
    "client_id",
    "client_ip",
    "client_req_id",
    "client_type",
    "client_user_agent",
    "cnf",
    "c_hash",
    "device_compliance",
    "device_id",
    "device_known",
    "device_managed",
    "device_name",
    "device_trust",
    "did",
    "dst",
    "group",
    "hotk",
    "idp",
    "idp_iss",
    "mac_key",
    "may_act",
    "nonce",
    "oid",
    "okta_emailVerified",
    "okta_lastUpdated",
    "orig",
    "permissions",
    "purpose",
    "pwd_exp_days",
    "pwd_exp_time",
    "rid",
    "role",
    "scope",
    "scopes",
    "sid",
    "sub",
    "term",
    "user_ip",
];

/// Reserved in both tokens: Okta's list for both, the registered JWT claims Okta sets itself
/// (`exp`, `iat`, `nbf`) and `scp`.
const BOTH_RESERVED: &[&str] = &[
    "iss",
    "jti",
    "token_type",
    "ver",
    "exp",
    "iat",
    "nbf",
    "scp",
];

/// Claims each token carries of its own that Okta's lists put under the other token only: the
/// access token's `aud`, `auth_time` (Okta's developer documentation lists it as a reserved
/// access-token claim) and `cnf` (DPoP binding), the ID token's `amr` and `acr`. A custom claim of that name
/// could never appear, so it is refused.
const ACCESS_OWN: &[&str] = &["aud", "auth_time", "cnf"];
const ID_OWN: &[&str] = &["amr", "acr"];

/// The OIDC claims an ID token (and userinfo) takes from the user profile when their scope
/// (`profile`, `email`, `address`, `phone`) is granted. An IDENTITY claim may not be named like
/// one: the two values would compete.
pub(crate) const SCOPE_DEPENDENT_CLAIMS: &[&str] = &[
    "name",
    "family_name",
    "given_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "updated_at",
    "email",
    "email_verified",
    "address",
    "phone_number",
];

/// Whether `name` is reserved for a custom claim of type `ty`: Okta's reserved names for that
/// token (spec §3.2), per token type. `groups` is allowed in both, `sub` (the editable system
/// claim) and `scope` in access tokens.
pub(crate) fn is_reserved_claim_name(name: &str, ty: ClaimType) -> bool {
    if BOTH_RESERVED.contains(&name) {
        return true;
    }
    match ty {
        ClaimType::Resource => ACCESS_ONLY_RESERVED.contains(&name) || ACCESS_OWN.contains(&name),
        ClaimType::Identity => ID_ONLY_RESERVED.contains(&name) || ID_OWN.contains(&name),
    }
}

/// Whether `name` is a legal scope name; `Err` says why not.
pub(crate) fn check_scope_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the scope name is empty".into());
    }
    if let Some(c) = name
        .chars()
        .find(|&c| !(c == '!' || ('#'..='[').contains(&c) || (']'..='~').contains(&c)))
    {
        return Err(format!(
            "the scope name {name:?} contains {}; scope names are printable ASCII without spaces, double quotes or backslashes",
            describe_char(c)
        ));
    }
    if name == "okta" || name == "*" {
        return Err(format!("{name:?} is reserved and can't be a scope name"));
    }
    if name.starts_with("okta.") || name.starts_with("okta:") {
        return Err(format!(
            "the scope name {name:?} starts with \"okta.\" or \"okta:\", which are reserved for Okta's own scopes"
        ));
    }
    if name.contains('<') && name.contains('>') {
        return Err(format!(
            "the scope name {name:?} contains both '<' and '>'; a name may contain one of them but not both"
        ));
    }
    Ok(())
}

fn describe_char(c: char) -> String {
    match c {
        ' ' => "a space".into(),
        '"' => "a double quote".into(),
        '\\' => "a backslash".into(),
        c if c.is_control() => format!("the control character U+{:04X}", c as u32),
        c => format!("the character {c:?}"),
    }
}

/// Checks the caps of `options` ([`Options#caps`](crate::Options#caps)): one error per cap
/// exceeded, located at the first object over it. Counting is all it does, so it runs before
/// anything else.
pub(crate) fn caps(cfg: &ServerConfig, options: &Options) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut over = |code: &'static str,
                    path: String,
                    what: &str,
                    n: usize,
                    max: usize,
                    field: &str| {
        out.push(
            Diagnostic::error(
                code,
                path,
                format!("the configuration has {n} {what}; the limit is {max}, so this one and the ones after it are too many"),
            )
            .with_hint(format!("split the configuration, or raise Options::{field} if the host can afford it")),
        );
    };
    if cfg.policies.len() > options.max_policies {
        let path = pointer("/policies", options.max_policies);
        over(
            "limits.policies",
            path,
            "policies",
            cfg.policies.len(),
            options.max_policies,
            "max_policies",
        );
    }
    let rules: usize = cfg.policies.iter().map(|p| p.rules.len()).sum();
    if rules > options.max_rules {
        let mut left = options.max_rules;
        for (i, p) in cfg.policies.iter().enumerate() {
            if p.rules.len() > left {
                let path = pointer(&pointer(&pointer("/policies", i), "rules"), left);
                over(
                    "limits.rules",
                    path,
                    "rules (all policies together)",
                    rules,
                    options.max_rules,
                    "max_rules",
                );
                break;
            }
            left -= p.rules.len();
        }
    }
    if cfg.claims.len() > options.max_claims {
        let path = pointer("/claims", options.max_claims);
        over(
            "limits.claims",
            path,
            "claims",
            cfg.claims.len(),
            options.max_claims,
            "max_claims",
        );
    }
    if cfg.scopes.len() > options.max_scopes {
        let path = pointer("/scopes", options.max_scopes);
        over(
            "limits.scopes",
            path,
            "scopes",
            cfg.scopes.len(),
            options.max_scopes,
            "max_scopes",
        );
    }
    let list = |p: &Policy| p.conditions.clients.as_ref().map_or(0, |c| c.include.len());
    let clients: usize = cfg.policies.iter().map(list).sum();
    if clients > options.max_clients {
        let mut left = options.max_clients;
        for (i, p) in cfg.policies.iter().enumerate() {
            if list(p) > left {
                let path = pointer(
                    &pointer(&pointer(&pointer("/policies", i), "conditions"), "clients"),
                    "include",
                );
                let path = pointer(&path, left);
                over(
                    "limits.clients",
                    path,
                    "client ids in the policies' client lists",
                    clients,
                    options.max_clients,
                    "max_clients",
                );
                break;
            }
            left -= list(p);
        }
    }
    out
}

/// What the walk found and built.
pub(crate) struct Walked<'c> {
    /// Every error and warning: the checks', then the claim expressions', then the encryption
    /// key's.
    pub(crate) diagnostics: Vec<Diagnostic>,
    /// The compiled claims.
    pub(crate) claims: ClaimSet,
    /// The access-token encryption key, when the configuration asks for encryption.
    pub(crate) encryption: Option<EncryptionKey>,
    /// The lowered policies, to be finished into the engine when there is no error.
    pub(crate) engine: EngineBuilder<'c>,
}

/// Walks a bundle once: checks and lowers every object.
pub(crate) fn walk<'c>(cfg: &'c ServerConfig, options: &Options) -> Walked<'c> {
    let mut w = Walk {
        out: Vec::new(),
        expressions: Vec::new(),
        keys: Vec::new(),
        options,
        suggestions: SUGGESTION_BUDGET,
        claims: ClaimSetBuilder::default(),
        engine: EngineBuilder::new(options.implicit_oidc_scopes),
        encryption: None,
    };
    w.server(cfg);
    let scope_names = w.scopes(&cfg.scopes);
    w.claims(&cfg.claims, &scope_names);
    w.policies(&cfg.policies, &scope_names);
    let Walk {
        mut out,
        mut expressions,
        keys,
        claims,
        engine,
        encryption,
        ..
    } = w;
    let claims = claims.finish(&mut expressions);
    out.append(&mut expressions);
    out.extend(keys);
    Walked {
        diagnostics: out,
        claims,
        encryption,
        engine,
    }
}

struct Walk<'c, 'o> {
    /// The checks' diagnostics.
    out: Vec<Diagnostic>,
    /// What compiling the claims' expressions found.
    expressions: Vec<Diagnostic>,
    /// What choosing the encryption key found.
    keys: Vec<Diagnostic>,
    options: &'o Options,
    /// Characters left for did-you-mean comparisons.
    suggestions: usize,
    claims: ClaimSetBuilder,
    engine: EngineBuilder<'c>,
    encryption: Option<EncryptionKey>,
}

impl<'c> Walk<'c, '_> {
    fn push(&mut self, d: Diagnostic) {
        self.out.push(d);
    }

    /// The closest candidate, while the suggestion budget lasts. Candidates whose length is
    /// too far from `name` to be within the distance are not compared.
    fn suggest<'n>(
        &mut self,
        name: &str,
        candidates: impl Iterator<Item = &'n str>,
    ) -> Option<&'n str> {
        let n = name.chars().count();
        if n > 256 {
            return None;
        }
        let mut close = Vec::new();
        for c in candidates {
            // Three edits at most, of at most four bytes each.
            if c.len().abs_diff(name.len()) > 12 {
                continue;
            }
            let cost = n.max(1) * c.chars().count().max(1);
            if cost > self.suggestions {
                break;
            }
            self.suggestions -= cost;
            close.push(c);
        }
        did_you_mean(name, close)
    }

    fn unknown_members(&mut self, at: &At<'_>, extra: &crate::config::Extra, known: &[&str]) {
        for key in extra.keys() {
            let mut d = Diagnostic::warning(
                "json.unknown_member",
                at.key(key).path(),
                format!("unknown member {key:?}; it is kept but has no effect"),
            );
            if let Some(s) = self.suggest(key, known.iter().copied()) {
                d = d.with_hint(format!("did you mean {s:?}?"));
            }
            self.push(d);
        }
    }

    fn server(&mut self, cfg: &'c ServerConfig) {
        let s = &cfg.authorization_server;
        let path = "/authorizationServer";
        if s.name.trim().is_empty() {
            self.push(
                Diagnostic::error(
                    "server.name.missing",
                    pointer(path, "name"),
                    "the authorization server has no name",
                )
                .with_hint("add \"name\", e.g. \"default\""),
            );
        }
        match s.audiences.as_slice() {
            [aud] => {
                if aud.trim().is_empty() {
                    self.push(Diagnostic::error(
                        "server.audience.empty",
                        pointer(&pointer(path, "audiences"), 0),
                        "the audience is empty",
                    ));
                } else if aud.contains(':') && !is_uri(aud) {
                    self.push(
                        Diagnostic::error(
                            "server.audience.uri",
                            pointer(&pointer(path, "audiences"), 0),
                            format!("the audience {aud:?} contains ':' but is not a valid URI"),
                        )
                        .with_hint("an audience with ':' must be a URI such as api://default or https://api.example.com"),
                    );
                }
            }
            [] => self.push(
                Diagnostic::error(
                    "server.audiences.count",
                    pointer(path, "audiences"),
                    "the authorization server has no audience",
                )
                .with_hint("set exactly one audience, e.g. \"audiences\": [\"api://default\"]; it becomes the access token's aud"),
            ),
            many => self.push(
                Diagnostic::error(
                    "server.audiences.count",
                    pointer(path, "audiences"),
                    format!("the authorization server has {} audiences; Okta supports exactly one", many.len()),
                )
                .with_hint("keep one audience; it becomes the access token's aud"),
            ),
        }
        match &s.issuer {
            None => self.push(
                Diagnostic::error(
                    "server.issuer.missing",
                    pointer(path, "issuer"),
                    "the authorization server has no issuer; it is the iss of every token",
                )
                .with_hint("set \"issuer\", e.g. \"https://example.okta.com/oauth2/default\""),
            ),
            Some(iss) if !is_http_url(iss) => self.push(
                Diagnostic::error(
                    "server.issuer.url",
                    pointer(path, "issuer"),
                    format!("the issuer {iss:?} is not an absolute http(s) URL"),
                )
                .with_hint("use the form https://{yourOktaDomain}/oauth2/{authorizationServerId}"),
            ),
            Some(iss) if iss.ends_with('/') || iss.contains(['?', '#']) => self.push(
                Diagnostic::error(
                    "server.issuer.url",
                    pointer(path, "issuer"),
                    format!(
                        "the issuer {iss:?} must not end with '/' or contain a query or fragment"
                    ),
                )
                .with_hint("iss is compared byte for byte by verifiers; drop the trailing part"),
            ),
            Some(_) => {}
        }
        if let Some(alg) = &s.access_token_encrypted_response_algorithm
            && !["RSA-OAEP-256", "RSA-OAEP-384", "RSA-OAEP-512"].contains(&alg.as_str())
        {
            self.push(Diagnostic::error(
                    "server.encryption.alg",
                    pointer(path, "accessTokenEncryptedResponseAlgorithm"),
                    format!("unknown access-token encryption algorithm {alg:?}; use RSA-OAEP-256, RSA-OAEP-384 or RSA-OAEP-512"),
                ));
        }
        self.unknown_members(&At::Raw(path), &s.extra, Server::FIELDS);
        self.engine.server(s);
        self.encryption = mint::compile_encryption(cfg, &mut self.keys);
    }

    /// Checks scopes; returns the names of every scope the server has (system ones included).
    fn scopes(&mut self, scopes: &'c [Scope]) -> ScopeNames<'c> {
        let mut seen: HashMap<&str, usize> = HashMap::with_capacity(scopes.len());
        let mut order: Vec<&str> = Vec::with_capacity(scopes.len() + SYSTEM_SCOPE_NAMES.len());
        let list = At::Raw("/scopes");
        for (i, s) in scopes.iter().enumerate() {
            let at = list.index(i);
            if s.name.is_empty() {
                self.push(
                    Diagnostic::error(
                        "scope.name.missing",
                        at.key("name").path(),
                        "the scope has no name",
                    )
                    .with_hint("add \"name\", e.g. \"orders:read\""),
                );
            } else if !(s.system && s.name.starts_with("okta.")) {
                // Okta ships system scopes named okta.myAccount.* on its default server.
                if let Err(msg) = check_scope_name(&s.name) {
                    self.push(
                        Diagnostic::error("scope.name.invalid", at.key("name").path(), msg)
                            .with_hint(
                                "allowed: ASCII 0x21, 0x23-0x5B, 0x5D-0x7E (RFC 6749 scope-token)",
                            ),
                    );
                }
            }
            if !s.name.is_empty()
                && let Some(first) = seen.insert(s.name.as_str(), i)
            {
                self.push(
                    Diagnostic::error(
                        "scope.name.duplicate",
                        at.key("name").path(),
                        format!(
                            "the scope {} is defined twice (first at /scopes/{first})",
                            Quoted(&s.name)
                        ),
                    )
                    .with_hint(
                        "scope names are unique per authorization server; remove or rename one",
                    ),
                );
            }
            self.unknown_members(&at, &s.extra, Scope::FIELDS);
            self.engine.scope(i, s);
            order.push(s.name.as_str());
        }
        self.engine.end_scopes();
        order.extend(SYSTEM_SCOPE_NAMES.iter().copied());
        ScopeNames {
            set: order.iter().copied().collect(),
            order,
        }
    }

    fn unknown_scope(
        &mut self,
        at: &At<'_>,
        scope: &str,
        known: &ScopeNames<'_>,
        what: &dyn fmt::Display,
    ) {
        let mut d = Diagnostic::error(
            "scope.unknown",
            at.path(),
            format!(
                "{what} names the scope {scope:?}, which the authorization server doesn't have"
            ),
        );
        let hint = match self.suggest(scope, known.order.iter().copied()) {
            Some(s) => format!("did you mean {s:?}? Otherwise add {scope:?} to \"scopes\""),
            None => format!("add {scope:?} to \"scopes\" or remove it here"),
        };
        d = d.with_hint(hint);
        self.push(d);
    }

    fn claims(&mut self, claims: &'c [Claim], scopes: &ScopeNames<'_>) {
        let mut seen: HashMap<(ClaimType, &str), usize> = HashMap::new();
        for (i, c) in claims.iter().enumerate() {
            let path = pointer("/claims", i);
            if c.name.is_empty() {
                self.push(
                    Diagnostic::error(
                        "claim.name.missing",
                        pointer(&path, "name"),
                        "the claim has no name",
                    )
                    .with_hint("add \"name\": the claim's name in the token"),
                );
            }
            match c.claim_type {
                None => self.push(
                    Diagnostic::error(
                        "claim.claimType.missing",
                        pointer(&path, "claimType"),
                        format!("the claim {} has no claimType", Quoted(&c.name)),
                    )
                    .with_hint(
                        "use \"RESOURCE\" for the access token or \"IDENTITY\" for the ID token",
                    ),
                ),
                Some(ty) => {
                    if !c.name.is_empty() {
                        if is_reserved_claim_name(&c.name, ty) {
                            let token = match ty {
                                ClaimType::Resource => "access token",
                                ClaimType::Identity => "ID token",
                            };
                            self.push(
                                Diagnostic::error(
                                    "claim.name.reserved",
                                    pointer(&path, "name"),
                                    format!("{} is a reserved claim name in the {token}; Okta sets it itself", Quoted(&c.name)),
                                )
                                .with_hint("pick another name, e.g. with your own prefix"),
                            );
                        }
                        if ty == ClaimType::Identity
                            && SCOPE_DEPENDENT_CLAIMS.contains(&c.name.as_str())
                        {
                            self.push(
                                Diagnostic::error(
                                    "claim.name.standard",
                                    pointer(&path, "name"),
                                    format!("{} is an OIDC standard claim that ID tokens and userinfo take from the user profile when its scope is granted", Quoted(&c.name)),
                                )
                                .with_hint("pick another name, e.g. with your own prefix"),
                            );
                        }
                        if let Some(first) = seen.insert((ty, c.name.as_str()), i) {
                            self.push(
                                Diagnostic::error(
                                    "claim.name.duplicate",
                                    pointer(&path, "name"),
                                    format!(
                                        "the claim {} is defined twice for the same token (first at /claims/{first})",
                                        Quoted(&c.name)
                                    ),
                                )
                                .with_hint("claim names are unique per token type; remove or rename one"),
                            );
                        }
                    }
                    if ty == ClaimType::Resource && c.always_include_in_token == Some(false) {
                        self.push(Diagnostic::warning(
                            "claim.alwaysIncludeInToken.ignored",
                            pointer(&path, "alwaysIncludeInToken"),
                            "alwaysIncludeInToken is always true for access-token claims; false has no effect",
                        ));
                    }
                }
            }
            let value = match c.value_type {
                None => {
                    self.push(
                    Diagnostic::error(
                        "claim.valueType.missing",
                        pointer(&path, "valueType"),
                        format!("the claim {} has no valueType", Quoted(&c.name)),
                    )
                    .with_hint("use \"EXPRESSION\" for an Okta expression or \"GROUPS\" for a group filter"),
                );
                    None
                }
                Some(ValueType::Groups) => {
                    // The value field has one limit, whatever it holds; a long REGEX filter
                    // would also cost time and memory far beyond its length to parse.
                    let len = c.value.chars().count();
                    if len > self.options.limits.max_length {
                        self.push(
                            Diagnostic::error(
                                "claim.value.too_long",
                                pointer(&path, "value"),
                                format!(
                                    "the group filter is {len} characters long; the limit is {}",
                                    self.options.limits.max_length
                                ),
                            )
                            .with_hint("shorten it (Okta allows up to 1024 characters), or raise Options::limits.max_length"),
                        );
                        None
                    } else {
                        self.groups_claim(c, &path)
                    }
                }
                Some(ValueType::Expression | ValueType::System) => {
                    let empty = c.value.trim().is_empty();
                    if empty {
                        self.push(
                            Diagnostic::error(
                                "claim.value.missing",
                                pointer(&path, "value"),
                                format!("the claim {} has no expression", Quoted(&c.name)),
                            )
                            .with_hint("set \"value\" to an Okta expression, e.g. \"user.email\""),
                        );
                    }
                    let len = c.value.chars().count();
                    let too_long = len > self.options.limits.max_length;
                    if too_long {
                        self.push(
                            Diagnostic::error(
                                "claim.value.too_long",
                                pointer(&path, "value"),
                                format!(
                                    "the expression is {len} characters long; the limit is {}",
                                    self.options.limits.max_length
                                ),
                            )
                            .with_hint("shorten it (Okta allows up to 1024 characters), or raise Options::limits.max_length"),
                        );
                    }
                    if c.group_filter_type.is_some() {
                        self.push(Diagnostic::warning(
                            "claim.group_filter_type.ignored",
                            pointer(&path, "group_filter_type"),
                            "group_filter_type only applies to GROUPS claims; it is ignored here",
                        ));
                    }
                    if empty || too_long {
                        None
                    } else {
                        compile_expression(c, i, &self.options.limits, &mut self.expressions)
                            .map(ClaimValue::Expression)
                    }
                }
            };
            let at = At::Raw(&path);
            let conditions = at.key("conditions");
            let scope_list = conditions.key("scopes");
            for (j, s) in c.conditions.scopes.iter().enumerate() {
                if !scopes.set.contains(s.as_str()) {
                    self.unknown_scope(&scope_list.index(j), s, scopes, &Label("claim", &c.name));
                }
            }
            self.unknown_members(&at, &c.extra, Claim::FIELDS);
            self.unknown_members(&conditions, &c.conditions.extra, ClaimConditions::FIELDS);
            if let Some(value) = value {
                self.claims.add(c, value);
            }
        }
    }

    /// Checks a GROUPS claim's filter and lowers it (`None` when it has none or it doesn't
    /// compile).
    fn groups_claim(&mut self, c: &Claim, path: &str) -> Option<ClaimValue> {
        let kind = match c.group_filter_type {
            None => {
                let hint = if c.extra.contains_key("groupFilterType") {
                    "the member is spelled in snake case: \"group_filter_type\", not \"groupFilterType\""
                } else {
                    "add \"group_filter_type\": one of STARTS_WITH, EQUALS, CONTAINS, REGEX"
                };
                self.push(
                    Diagnostic::error(
                        "claim.group_filter_type.missing",
                        pointer(path, "group_filter_type"),
                        format!(
                            "the GROUPS claim {} has no group_filter_type",
                            Quoted(&c.name)
                        ),
                    )
                    .with_hint(hint),
                );
                return None;
            }
            Some(kind) => kind,
        };
        if kind != GroupFilterType::Regex && c.value.is_empty() {
            self.push(
                Diagnostic::error(
                    "claim.value.missing",
                    pointer(path, "value"),
                    format!("the GROUPS claim {} has no filter value", Quoted(&c.name)),
                )
                .with_hint("set \"value\" to the text group names are compared with, or use REGEX \".*\" for every group"),
            );
        }
        match GroupFilter::new(kind, &c.value, &self.options.limits) {
            Ok(filter) => Some(ClaimValue::Groups(filter)),
            Err(e) => {
                self.push(
                        Diagnostic::error(
                            "claim.value.regex",
                            pointer(path, "value"),
                            format!("the group filter {:?} is not a valid regular expression: {}", c.value, e.reason()),
                        )
                        .with_hint("the regex must match the whole group name; look-around and back-references are not supported"),
                    );
                None
            }
        }
    }

    fn policies(&mut self, policies: &'c [Policy], scopes: &ScopeNames<'_>) {
        let mut prio: BTreeMap<i64, usize> = BTreeMap::new();
        let list = At::Raw("/policies");
        for (i, p) in policies.iter().enumerate() {
            let at = list.index(i);
            let label = Label("policy", &p.name);
            if p.name.trim().is_empty() {
                self.push(
                    Diagnostic::error(
                        "policy.name.missing",
                        at.key("name").path(),
                        "the policy has no name",
                    )
                    .with_hint("add \"name\" (1 to 100 characters)"),
                );
            } else if p.name.len() > 100 && p.name.chars().count() > 100 {
                self.push(Diagnostic::error(
                    "policy.name.too_long",
                    at.key("name").path(),
                    "the policy name is longer than 100 characters",
                ));
            }
            match &p.description {
                None => self.push(
                    Diagnostic::warning(
                        "policy.description.missing",
                        at.key("description").path(),
                        format!("{label} has no description; Okta's API requires one"),
                    )
                    .with_hint("add \"description\" (1 to 255 characters)"),
                ),
                Some(d) if d.is_empty() || (d.len() > 255 && d.chars().count() > 255) => {
                    self.push(Diagnostic::error(
                        "policy.description.length",
                        at.key("description").path(),
                        "the policy description must be 1 to 255 characters long",
                    ))
                }
                Some(_) => {}
            }
            if let Some(t) = &p.policy_type
                && t != "OAUTH_AUTHORIZATION_POLICY"
            {
                self.push(Diagnostic::error(
                        "policy.type",
                        at.key("type").path(),
                        format!("{label} has type {t:?}; authorization-server policies are OAUTH_AUTHORIZATION_POLICY"),
                    ));
            }
            self.priority(p.priority, &at.key("priority"), &mut prio, &list, i, &label);
            let conditions = at.key("conditions");
            let clients = conditions.key("clients");
            match &p.conditions.clients {
                None => self.push(
                    Diagnostic::error(
                        "policy.clients.missing",
                        clients.path(),
                        format!("{label} has no client condition"),
                    )
                    .with_hint("add \"conditions\": {\"clients\": {\"include\": [\"ALL_CLIENTS\"]}} or list client ids"),
                ),
                Some(c) if c.include.is_empty() => self.push(
                    Diagnostic::error(
                        "policy.clients.empty",
                        clients.key("include").path(),
                        format!("{label} includes no clients, so it can never apply"),
                    )
                    .with_hint("list client ids or use [\"ALL_CLIENTS\"]"),
                ),
                Some(c) => {
                    if c.include.len() > 1 && c.include.iter().any(|x| x == ALL_CLIENTS) {
                        self.push(Diagnostic::warning(
                            "policy.clients.redundant",
                            clients.key("include").path(),
                            "ALL_CLIENTS already covers every client; the other ids are redundant",
                        ));
                    }
                }
            }
            self.engine.policy(i, p);
            let mut rule_prio: BTreeMap<i64, usize> = BTreeMap::new();
            let rules = at.key("rules");
            for (j, r) in p.rules.iter().enumerate() {
                self.rule(r, &rules.index(j), scopes, &mut rule_prio, &rules, j);
            }
            self.unknown_members(&at, &p.extra, Policy::FIELDS);
            self.unknown_members(&conditions, &p.conditions.extra, PolicyConditions::FIELDS);
        }
    }

    fn priority(
        &mut self,
        priority: Option<i64>,
        at: &At<'_>,
        seen: &mut BTreeMap<i64, usize>,
        list: &At<'_>,
        index: usize,
        label: &Label<'_>,
    ) {
        let Some(n) = priority else { return };
        if n < 1 {
            self.push(
                Diagnostic::error(
                    "priority.range",
                    at.path(),
                    format!("{label} has priority {n}; priorities start at 1 (evaluated first)"),
                )
                .with_hint("use 1, 2, 3, …"),
            );
            return;
        }
        if let Some(first) = seen.insert(n, index) {
            self.push(
                Diagnostic::error(
                    "priority.duplicate",
                    at.path(),
                    format!(
                        "{label} has priority {n}, like {}/{first}; the evaluation order would be ambiguous",
                        list.path()
                    ),
                )
                .with_hint("give every one a distinct priority"),
            );
        }
    }

    fn rule(
        &mut self,
        r: &'c Rule,
        at: &At<'_>,
        scopes: &ScopeNames<'_>,
        prio: &mut BTreeMap<i64, usize>,
        list: &At<'_>,
        index: usize,
    ) {
        let label = Label("rule", &r.name);
        if r.name.trim().is_empty() {
            self.push(
                Diagnostic::error(
                    "rule.name.missing",
                    at.key("name").path(),
                    "the rule has no name",
                )
                .with_hint("add \"name\""),
            );
        }
        if let Some(t) = &r.rule_type
            && t != "RESOURCE_ACCESS"
        {
            self.push(Diagnostic::error(
                "rule.type",
                at.key("type").path(),
                format!("{label} has type {t:?}; authorization-server rules are RESOURCE_ACCESS"),
            ));
        }
        self.priority(r.priority, &at.key("priority"), prio, list, index, &label);
        let cond = at.key("conditions");
        let grant_types = cond.key("grantTypes");
        let grant_list = grant_types.key("include");
        let grants = &r.conditions.grant_types.include;
        if grants.is_empty() {
            self.push(
                Diagnostic::error(
                    "rule.grantTypes.empty",
                    grant_list.path(),
                    format!("{label} allows no grant type, so it can never match"),
                )
                .with_hint(
                    "list grant types, e.g. [\"client_credentials\"] or [\"authorization_code\"]",
                ),
            );
        }
        let mut seen_grants: HashSet<&GrantType> = HashSet::new();
        for (k, g) in grants.iter().enumerate() {
            if !g.is_known() {
                let mut d = Diagnostic::error(
                    "rule.grantType.unknown",
                    grant_list.index(k).path(),
                    format!("{:?} is not a grant type Okta knows", g.as_str()),
                );
                let known = GrantType::KNOWN.iter().map(GrantType::as_str);
                d = d.with_hint(match self.suggest(g.as_str(), known) {
                    Some(s) => format!("did you mean {s:?}?"),
                    None => "use authorization_code, implicit, password, client_credentials, refresh_token, or a urn:… grant type".into(),
                });
                self.push(d);
            }
            // Short lists are searched; long ones go through a set.
            let repeated = if grants.len() <= 16 {
                grants.get(..k).is_some_and(|before| before.contains(g))
            } else {
                !seen_grants.insert(g)
            };
            if repeated {
                self.push(Diagnostic::warning(
                    "rule.grantType.duplicate",
                    grant_list.index(k).path(),
                    format!("the grant type {:?} is listed twice", g.as_str()),
                ));
            }
        }
        let has_people = r
            .conditions
            .people
            .as_ref()
            .is_some_and(|p| p.has_includes());
        if !has_people && grants.iter().any(GrantType::requires_people) {
            let needing: Vec<&str> = grants
                .iter()
                .filter(|g| g.requires_people())
                .map(GrantType::as_str)
                .collect();
            self.push(
                Diagnostic::error(
                    "rule.people.missing",
                    cond.key("people").path(),
                    format!(
                        "{label} allows {} but names no users or groups: at least one of conditions.people.users.include or conditions.people.groups.include must contain a valid user or group when grant types contain authorization_code, implicit or password",
                        needing.join(", ")
                    ),
                )
                .with_hint("add \"people\": {\"groups\": {\"include\": [\"EVERYONE\"]}} to allow any assigned user"),
            );
        }
        if let Some(people) = &r.conditions.people {
            let ppath = cond.key("people");
            if let Some(g) = &people.groups {
                let gpath = ppath.key("groups");
                if let Some(k) = g.exclude.iter().position(|x| x == EVERYONE) {
                    self.push(Diagnostic::warning(
                        "rule.people.exclude_everyone",
                        gpath.key("exclude").index(k).path(),
                        format!("{label} excludes EVERYONE, so no user request can match it"),
                    ));
                }
                self.unknown_members(&gpath, &g.extra, IncludeExclude::FIELDS);
            }
            if let Some(u) = &people.users {
                self.unknown_members(&ppath.key("users"), &u.extra, IncludeExclude::FIELDS);
            }
            self.unknown_members(&ppath, &people.extra, People::FIELDS);
        }
        let scope_at = cond.key("scopes");
        let scope_list = &r.conditions.scopes.include;
        if scope_list.is_empty() {
            self.push(
                Diagnostic::error(
                    "rule.scopes.empty",
                    scope_at.key("include").path(),
                    format!("{label} allows no scope, so it can never match"),
                )
                .with_hint("list the scopes the rule allows, or [\"*\"] for any scope"),
            );
        }
        for (k, s) in scope_list.iter().enumerate() {
            if s != "*" && !scopes.set.contains(s.as_str()) {
                self.unknown_scope(&scope_at.key("include").index(k), s, scopes, &label);
            }
        }
        let t = &r.actions.token;
        let actions = at.key("actions");
        let tpath = actions.key("token");
        if !ACCESS_LIFETIME_MINUTES.contains(&t.access_token_lifetime_minutes) {
            self.push(
                Diagnostic::error(
                    "rule.lifetime.access",
                    tpath.key("accessTokenLifetimeMinutes").path(),
                    format!(
                        "the access-token lifetime is {} minutes; it must be 5 to 1440 (one day)",
                        t.access_token_lifetime_minutes
                    ),
                )
                .with_hint("60 is Okta's default"),
            );
        }
        let refresh = t.refresh_token_lifetime_minutes;
        if refresh != 0 && (refresh < 0 || refresh < t.access_token_lifetime_minutes) {
            self.push(
                Diagnostic::error(
                    "rule.lifetime.refresh",
                    tpath.key("refreshTokenLifetimeMinutes").path(),
                    format!(
                        "the refresh-token lifetime is {refresh} minutes; it must be 0 (unlimited) or at least the access-token lifetime ({} minutes)",
                        t.access_token_lifetime_minutes
                    ),
                )
                .with_hint("use 0 for unlimited"),
            );
        }
        if !REFRESH_WINDOW_MINUTES.contains(&t.refresh_token_window_minutes) {
            self.push(
                Diagnostic::error(
                    "rule.lifetime.window",
                    tpath.key("refreshTokenWindowMinutes").path(),
                    format!(
                        "the refresh-token idle window is {} minutes; it must be 10 to 2628000 (five years)",
                        t.refresh_token_window_minutes
                    ),
                )
                .with_hint("10080 (seven days) is Okta's default"),
            );
        } else if refresh > 0 && t.refresh_token_window_minutes > refresh {
            self.push(Diagnostic::warning(
                "rule.lifetime.window_exceeds_lifetime",
                tpath.key("refreshTokenWindowMinutes").path(),
                format!(
                    "the idle window ({} minutes) is longer than the refresh-token lifetime ({refresh} minutes), so the lifetime always ends first",
                    t.refresh_token_window_minutes
                ),
            ));
        }
        if let Some(h) = &t.inline_hook
            && h.id.is_empty()
        {
            self.push(Diagnostic::error(
                "rule.inlineHook.id",
                tpath.key("inlineHook").key("id").path(),
                "the token inline hook has no id",
            ));
        }
        self.unknown_members(at, &r.extra, Rule::FIELDS);
        self.unknown_members(&cond, &r.conditions.extra, RuleConditions::FIELDS);
        self.unknown_members(&tpath, &t.extra, TokenActions::FIELDS);
        self.engine.rule(index, r);
    }
}

/// `scheme:rest` with an RFC 3986 scheme and a non-empty, space-free rest.
fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        && !rest.is_empty()
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn is_http_url(s: &str) -> bool {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    match rest {
        Some(r) => {
            let host = r.split(['/', '?', '#']).next().unwrap_or("");
            !host.is_empty() && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_names() {
        for ok in [
            "a",
            "orders:read",
            "<x",
            "x>",
            "!#$%&'()*+,-./:;=?@[]^_`{|}~",
            "oktapus",
        ] {
            assert!(check_scope_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "a b", "a\"b", "a\\b", "é", "okta", "*", "okta.x", "okta:x", "<x>", "\u{7f}",
        ] {
            assert!(check_scope_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn reserved_names_per_token() {
        assert!(is_reserved_claim_name("cid", ClaimType::Resource));
        assert!(!is_reserved_claim_name("nonce", ClaimType::Resource));
        assert!(is_reserved_claim_name("nonce", ClaimType::Identity));
        assert!(!is_reserved_claim_name("role", ClaimType::Resource));
        assert!(!is_reserved_claim_name("permissions", ClaimType::Resource));
        assert!(!is_reserved_claim_name("client_id", ClaimType::Resource));
        assert!(is_reserved_claim_name("client_id", ClaimType::Identity));
        assert!(!is_reserved_claim_name("username", ClaimType::Identity));
        assert!(is_reserved_claim_name("username", ClaimType::Resource));
        assert!(is_reserved_claim_name("nbf", ClaimType::Resource));
        assert!(is_reserved_claim_name("exp", ClaimType::Identity));
        assert!(!is_reserved_claim_name("sub", ClaimType::Resource));
        assert!(is_reserved_claim_name("sub", ClaimType::Identity));
        assert!(!is_reserved_claim_name("scope", ClaimType::Resource));
        assert!(is_reserved_claim_name("scope", ClaimType::Identity));
        assert!(!is_reserved_claim_name("groups", ClaimType::Resource));
        assert!(!is_reserved_claim_name("groups", ClaimType::Identity));
        assert!(!is_reserved_claim_name("email", ClaimType::Resource));
    }

    #[test]
    fn member_names_are_the_serde_names() {
        assert_eq!(
            TokenActions::FIELDS,
            [
                "accessTokenLifetimeMinutes",
                "refreshTokenLifetimeMinutes",
                "refreshTokenWindowMinutes",
                "inlineHook"
            ]
        );
        assert_eq!(
            Rule::FIELDS,
            [
                "id",
                "type",
                "name",
                "status",
                "priority",
                "system",
                "conditions",
                "actions",
                "created",
                "lastUpdated",
                "_links"
            ]
        );
        // the lists the validator used to keep by hand, member for member
        assert_eq!(
            Server::FIELDS,
            [
                "id",
                "name",
                "description",
                "audiences",
                "issuer",
                "issuerMode",
                "status",
                "default",
                "credentials",
                "accessTokenEncryptedResponseAlgorithm",
                "jwks",
                "jwks_uri",
                "created",
                "lastUpdated",
                "_links"
            ]
        );
        assert_eq!(
            Scope::FIELDS,
            [
                "id",
                "name",
                "displayName",
                "description",
                "system",
                "default",
                "consent",
                "optional",
                "metadataPublish",
                "_links"
            ]
        );
        assert_eq!(
            Claim::FIELDS,
            [
                "id",
                "name",
                "status",
                "claimType",
                "valueType",
                "value",
                "group_filter_type",
                "alwaysIncludeInToken",
                "conditions",
                "system",
                "apiResourceId",
                "_links"
            ]
        );
        assert_eq!(ClaimConditions::FIELDS, ["scopes"]);
        assert_eq!(
            Policy::FIELDS,
            [
                "id",
                "type",
                "name",
                "description",
                "priority",
                "status",
                "system",
                "conditions",
                "created",
                "lastUpdated",
                "_links",
                "rules"
            ]
        );
        assert_eq!(PolicyConditions::FIELDS, ["clients"]);
        assert_eq!(IncludeExclude::FIELDS, ["include", "exclude"]);
        assert_eq!(People::FIELDS, ["users", "groups"]);
        assert_eq!(RuleConditions::FIELDS, ["people", "grantTypes", "scopes"]);
        // what serde reads: every listed member of a server lands in a field, none in extra
        let server: Server = serde_json::from_value(serde_json::json!({
            "id": "a", "name": "n", "description": "d", "audiences": ["x"], "issuer": "i",
            "issuerMode": "ORG_URL", "status": "ACTIVE", "default": false, "credentials": {},
            "accessTokenEncryptedResponseAlgorithm": "RSA-OAEP-256", "jwks": {}, "jwks_uri": "u",
            "created": "c", "lastUpdated": "l", "_links": {}}))
        .unwrap();
        assert!(server.extra.is_empty(), "{:?}", server.extra);
    }

    #[test]
    fn did_you_mean_finds_close_words() {
        assert_eq!(
            did_you_mean("authorisation_code", ["authorization_code", "implicit"]),
            Some("authorization_code")
        );
        assert_eq!(did_you_mean("zzz", ["authorization_code"]), None);
        assert_eq!(
            did_you_mean("groupFilterType", ["group_filter_type", "value"]),
            Some("group_filter_type")
        );
    }
}
