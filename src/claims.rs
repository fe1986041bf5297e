//! Claim sets: the claims of a server compiled once at configuration load ([`ClaimSet`]), the
//! OIDC standard claims derived from an Okta user profile, and GROUPS claim filters.

use crate::config::{Claim, ClaimType, Diagnostic, GroupFilterType, Status, ValueType};
use crate::el;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// The system `sub` claim of access tokens when the configuration doesn't edit it.
pub(crate) const DEFAULT_SUB_EXPRESSION: &str =
    "(appuser != null) ? appuser.userName : app.clientId";

/// How a claim's value is computed, prepared at compile time.
#[derive(Debug, Clone)]
pub(crate) enum ClaimValue {
    Expression(el::Program),
    Groups(GroupFilter),
}

#[derive(Debug, Clone)]
pub(crate) struct CompiledClaim {
    pub(crate) name: String,
    pub(crate) value: ClaimValue,
    /// Scope condition; empty = any scope.
    pub(crate) scopes: Vec<String>,
    pub(crate) always_include: bool,
    pub(crate) system: bool,
}

impl CompiledClaim {
    pub(crate) fn applies(&self, granted: &[String]) -> bool {
        self.scopes.is_empty() || self.scopes.iter().any(|s| granted.contains(s))
    }
}

/// The claims of a server, compiled: the access token's `sub`, its custom claims and the ID
/// token's, each list in configuration order, inactive claims left out.
#[derive(Debug, Clone)]
pub(crate) struct ClaimSet {
    /// Always present once compilation succeeded.
    pub(crate) sub: Option<CompiledClaim>,
    pub(crate) access: Vec<CompiledClaim>,
    pub(crate) identity: Vec<CompiledClaim>,
}

/// The claim sets, built claim by claim as the compile walk lowers them.
#[derive(Debug, Default)]
pub(crate) struct ClaimSetBuilder {
    sub: Option<CompiledClaim>,
    access: Vec<CompiledClaim>,
    identity: Vec<CompiledClaim>,
}

impl ClaimSetBuilder {
    /// Adds `c`, its value lowered to `value`. An inactive claim, or one without a claim type,
    /// is left out (it was lowered all the same, so that its errors show); of several access
    /// token claims named `sub`, the first is the `sub` claim.
    pub(crate) fn add(&mut self, c: &Claim, value: ClaimValue) {
        let (Some(ty), Status::Active) = (c.claim_type, c.status) else {
            return;
        };
        let compiled = CompiledClaim {
            name: c.name.clone(),
            value,
            scopes: c.conditions.scopes.clone(),
            always_include: c.always_include(),
            system: c.system || c.value_type == Some(ValueType::System),
        };
        match ty {
            ClaimType::Resource if c.name == "sub" => {
                if self.sub.is_none() {
                    self.sub = Some(CompiledClaim {
                        system: true,
                        ..compiled
                    });
                }
            }
            ClaimType::Resource => self.access.push(compiled),
            // Validation refuses IDENTITY claims named like standard claims.
            ClaimType::Identity => self.identity.push(compiled),
        }
    }

    /// The claim sets, with the default `sub` claim when the configuration doesn't edit it.
    pub(crate) fn finish(self, diags: &mut Vec<Diagnostic>) -> ClaimSet {
        let ClaimSetBuilder {
            sub,
            access,
            identity,
        } = self;
        let sub = match sub {
            Some(s) => Some(s),
            None => match el::compile(DEFAULT_SUB_EXPRESSION, &el::Limits::default()) {
                Ok(p) => Some(CompiledClaim {
                    name: "sub".into(),
                    value: ClaimValue::Expression(p),
                    scopes: Vec::new(),
                    always_include: true,
                    system: true,
                }),
                Err(e) => {
                    // Only reachable if the engine regressed; reported like any other problem.
                    diags.push(Diagnostic::error(
                        "claim.sub.default",
                        "/claims",
                        format!("the default sub claim expression doesn't compile: {e}"),
                    ));
                    None
                }
            },
        };
        ClaimSet {
            sub,
            access,
            identity,
        }
    }
}

/// Compiles the expression of the claim `c` (at `index` of the configuration's claims): the
/// program, or `None` with a located diagnostic in `diags` saying why it doesn't compile.
pub(crate) fn compile_expression(
    c: &Claim,
    index: usize,
    limits: &el::Limits,
    diags: &mut Vec<Diagnostic>,
) -> Option<el::Program> {
    match el::compile(&c.value, limits) {
        Ok(p) => Some(p),
        Err(e) => {
            let mut d = Diagnostic::error(
                "claim.value.expression",
                format!("/claims/{index}/value"),
                format!(
                    "the expression of the claim {:?} doesn't compile: {}",
                    c.name, e.message
                ),
            )
            .with_span(e.span);
            if let Some(h) = e.hint {
                d = d.with_hint(h);
            }
            diags.push(d);
            None
        }
    }
}

/// Okta's cap on the number of groups a GROUPS claim may carry; more fails the request.
pub(crate) const MAX_GROUPS_IN_CLAIM: usize = 100;

/// A GROUPS claim filter, prepared at configuration load (lower-cased text, compiled regex).
#[derive(Debug, Clone)]
pub(crate) enum GroupFilter {
    /// Case-insensitive prefix.
    StartsWith(String),
    /// Case-insensitive equality.
    Equals(String),
    /// Case-insensitive substring.
    Contains(String),
    /// Case-sensitive whole-name regular expression (Okta's `/…/` delimiters removed).
    Regex(el::GroupNameRegex),
}

/// Why a GROUPS claim has no value.
#[derive(Debug)]
pub(crate) enum GroupsError {
    /// More than [`MAX_GROUPS_IN_CLAIM`] names pass: how many.
    TooMany(usize),
    /// A REGEX filter's searches ran out of budget.
    Search(el::EvalError),
}

impl GroupFilter {
    /// Prepares a filter; `Err` says why a REGEX filter doesn't compile.
    pub(crate) fn new(
        kind: GroupFilterType,
        value: &str,
        limits: &el::Limits,
    ) -> Result<Self, el::PatternError> {
        let lower = value.to_lowercase();
        Ok(match kind {
            GroupFilterType::StartsWith => GroupFilter::StartsWith(lower),
            GroupFilterType::Equals => GroupFilter::Equals(lower),
            GroupFilterType::Contains => GroupFilter::Contains(lower),
            GroupFilterType::Regex => GroupFilter::Regex(el::GroupNameRegex::new(value, limits)?),
        })
    }

    /// Whether a group name passes a text filter; `None` for a REGEX filter, whose searches
    /// are charged to a budget ([`GroupFilter::apply`]).
    fn text_matches(&self, name: &str) -> Option<bool> {
        Some(match self {
            GroupFilter::Regex(_) => return None,
            // ASCII names compare without a lower-cased copy (the pattern is lower case; a
            // non-ASCII pattern byte never equals an ASCII one either way).
            GroupFilter::StartsWith(v) if name.is_ascii() => name
                .as_bytes()
                .get(..v.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(v.as_bytes())),
            GroupFilter::Equals(v) if name.is_ascii() => name.eq_ignore_ascii_case(v),
            GroupFilter::Contains(v) if name.is_ascii() => {
                v.is_empty()
                    || name
                        .as_bytes()
                        .windows(v.len())
                        .any(|w| w.eq_ignore_ascii_case(v.as_bytes()))
            }
            GroupFilter::StartsWith(v) => lower_if_needed(name).starts_with(v.as_str()),
            GroupFilter::Equals(v) => lower_if_needed(name) == *v,
            GroupFilter::Contains(v) => lower_if_needed(name).contains(v.as_str()),
        })
    }

    /// The names that pass, in the order given. More than [`MAX_GROUPS_IN_CLAIM`] is an error,
    /// never a silent truncation; so is a REGEX search over the budget of the server's limits
    /// (one budget for the claim's names).
    pub(crate) fn apply<'a>(
        &self,
        names: impl IntoIterator<Item = &'a str>,
    ) -> Result<Vec<&'a str>, GroupsError> {
        let search = match self {
            GroupFilter::Regex(r) => Some(r.search()),
            _ => None,
        };
        let mut out = Vec::new();
        let mut count = 0usize;
        for name in names {
            let hit = match &search {
                Some(s) => s.is_match(name).map_err(GroupsError::Search)?,
                None => self.text_matches(name).unwrap_or(false),
            };
            if hit {
                count += 1;
                if out.len() < MAX_GROUPS_IN_CLAIM {
                    out.push(name);
                }
            }
        }
        if count > MAX_GROUPS_IN_CLAIM {
            Err(GroupsError::TooMany(count))
        } else {
            Ok(out)
        }
    }
}

fn lower_if_needed(s: &str) -> std::borrow::Cow<'_, str> {
    // Not only upper-case letters change: title-case ones (ǅ) do too.
    if s.chars().any(|c| c.to_lowercase().ne(std::iter::once(c))) {
        std::borrow::Cow::Owned(s.to_lowercase())
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Which OIDC scopes were granted, for the scope-dependent standard claims.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct OidcScopes {
    pub profile: bool,
    pub email: bool,
    pub address: bool,
    pub phone: bool,
}

impl OidcScopes {
    pub(crate) fn from_granted<'a>(scopes: impl IntoIterator<Item = &'a str>) -> Self {
        let mut s = OidcScopes::default();
        for scope in scopes {
            match scope {
                "profile" => s.profile = true,
                "email" => s.email = true,
                "address" => s.address = true,
                "phone" => s.phone = true,
                _ => {}
            }
        }
        s
    }
}

/// The OIDC standard claims of an ID token (or userinfo) read from an Okta user profile, split
/// into the members Okta's tokens place right after `sub` and those it places after `nonce`.
///
/// `full` is false for a *thin* ID token (issued with an access token): then only `name` and
/// `preferred_username` (profile scope) and `email` (email scope) are included.
/// Attributes the profile lacks (absent or null) are omitted.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct StandardClaims<'p> {
    /// Placed right after `sub`: `name`, `email`, `locale`. Values are borrowed from the
    /// profile where they are its attributes as they are.
    pub early: Vec<(&'static str, Cow<'p, Value>)>,
    /// Placed after `nonce`: `preferred_username` and the other profile, email, address and
    /// phone claims.
    pub late: Vec<(&'static str, Cow<'p, Value>)>,
}

/// Builds the standard claims from `profile` (the Okta profile attributes), the user's
/// `lastUpdated` time as Unix seconds and whether the email address is verified (as the host
/// says; `None`: `email_verified` is omitted).
pub(crate) fn standard_claims(
    profile: &Map<String, Value>,
    last_updated: Option<i64>,
    email_verified: Option<bool>,
    scopes: OidcScopes,
    full: bool,
) -> StandardClaims<'_> {
    let get = |key: &str| profile.get(key).filter(|v| !v.is_null()).map(Cow::Borrowed);
    let mut out = StandardClaims::default();
    if scopes.profile {
        let name = get("displayName").or_else(|| {
            let first = profile.get("firstName").and_then(Value::as_str);
            let last = profile.get("lastName").and_then(Value::as_str);
            match (first, last) {
                (Some(f), Some(l)) => Some(Cow::Owned(Value::String(format!("{f} {l}")))),
                (Some(one), None) | (None, Some(one)) => {
                    Some(Cow::Owned(Value::String(one.to_owned())))
                }
                (None, None) => None,
            }
        });
        if let Some(v) = name {
            out.early.push(("name", v));
        }
    }
    if scopes.email
        && let Some(v) = get("email")
    {
        out.early.push(("email", v));
    }
    if scopes.profile
        && full
        && let Some(v) = get("locale")
    {
        out.early.push(("locale", v));
    }
    if scopes.profile
        && let Some(v) = get("login")
    {
        out.late.push(("preferred_username", v));
    }
    if !full {
        return out;
    }
    if scopes.profile {
        for (claim, attr) in [
            ("given_name", "firstName"),
            ("middle_name", "middleName"),
            ("family_name", "lastName"),
            ("nickname", "nickName"),
            ("profile", "profileUrl"),
            ("zoneinfo", "timezone"),
        ] {
            if let Some(v) = get(attr) {
                out.late.push((claim, v));
            }
        }
        if let Some(t) = last_updated {
            out.late.push(("updated_at", Cow::Owned(Value::from(t))));
        }
    }
    if scopes.email
        && get("email").is_some()
        && let Some(v) = email_verified
    {
        // Okta's profile has no verification flag: only the host knows; never guessed.
        out.late
            .push(("email_verified", Cow::Owned(Value::Bool(v))));
    }
    if scopes.address {
        let mut address = Map::new();
        for (member, attr) in [
            ("street_address", "streetAddress"),
            ("locality", "city"),
            ("region", "state"),
            ("postal_code", "zipCode"),
            ("country", "countryCode"),
        ] {
            if let Some(v) = get(attr) {
                address.insert(member.to_owned(), v.into_owned());
            }
        }
        if !address.is_empty() {
            out.late
                .push(("address", Cow::Owned(Value::Object(address))));
        }
    }
    if scopes.phone
        && let Some(v) = get("mobilePhone")
    {
        out.late.push(("phone_number", v));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn profile() -> Map<String, Value> {
        json!({
            "login": "john@example.com", "email": "john@example.com", "firstName": "John",
            "lastName": "Smith", "middleName": null, "locale": "en-US",
            "timezone": "America/Los_Angeles", "mobilePhone": "+1 555 0100",
            "streetAddress": "1 Main St", "city": "Springfield", "countryCode": "US"
        })
        .as_object()
        .cloned()
        .unwrap()
    }

    fn keys(v: &[(&'static str, Cow<'_, Value>)]) -> Vec<&'static str> {
        v.iter().map(|(k, _)| *k).collect()
    }

    #[test]
    fn thin_profile_and_email() {
        let p = profile();
        let s = standard_claims(
            &p,
            Some(1498155598),
            Some(true),
            OidcScopes::from_granted(["openid", "profile", "email"]),
            false,
        );
        assert_eq!(keys(&s.early), ["name", "email"]);
        assert_eq!(*s.early[0].1, "John Smith");
        assert_eq!(keys(&s.late), ["preferred_username"]);
    }

    #[test]
    fn full_profile_in_okta_order() {
        let p = profile();
        let s = standard_claims(
            &p,
            Some(1498155598),
            Some(true),
            OidcScopes::from_granted(["openid", "profile"]),
            true,
        );
        assert_eq!(keys(&s.early), ["name", "locale"]);
        assert_eq!(
            keys(&s.late),
            [
                "preferred_username",
                "given_name",
                "family_name",
                "zoneinfo",
                "updated_at"
            ],
            "middle_name is null so omitted"
        );
    }

    #[test]
    fn full_email_address_phone() {
        let p = profile();
        let s = standard_claims(
            &p,
            None,
            Some(true),
            OidcScopes::from_granted(["email", "address", "phone"]),
            true,
        );
        assert_eq!(keys(&s.early), ["email"]);
        assert_eq!(keys(&s.late), ["email_verified", "address", "phone_number"]);
        assert_eq!(
            *s.late[1].1,
            json!({"street_address": "1 Main St", "locality": "Springfield", "country": "US"})
        );
    }

    #[test]
    fn display_name_wins_and_missing_attributes_are_omitted() {
        let p = json!({"displayName": "Dr. J", "firstName": "John"});
        let s = standard_claims(
            p.as_object().unwrap(),
            None,
            None,
            OidcScopes::from_granted(["profile", "address"]),
            true,
        );
        assert_eq!(s.early, vec![("name", Cow::Owned(json!("Dr. J")))]);
        assert_eq!(keys(&s.late), ["given_name"]);
    }

    #[test]
    fn ascii_names_match_like_lower_cased_ones() {
        let names = [
            "Orders-Admins",
            "orders",
            "ORDERS",
            "xOrders",
            "",
            "Örders-Ä",
            "İstanbul",
        ];
        let patterns = ["orders", "Orders-A", "", "ö", "ders", "i̇stanbul", "s-a"];
        for kind in [
            GroupFilterType::StartsWith,
            GroupFilterType::Equals,
            GroupFilterType::Contains,
        ] {
            for p in patterns {
                let f = GroupFilter::new(kind, p, &el::Limits::default()).unwrap();
                let lower = p.to_lowercase();
                for n in names {
                    let n_lower = n.to_lowercase();
                    let want = match kind {
                        GroupFilterType::StartsWith => n_lower.starts_with(&lower),
                        GroupFilterType::Equals => n_lower == lower,
                        _ => n_lower.contains(&lower),
                    };
                    assert_eq!(f.text_matches(n), Some(want), "{kind:?} {p:?} {n:?}");
                }
            }
        }
    }

    #[test]
    fn group_filters() {
        let names = ["Everyone", "Orders-Admin", "orders-read", "West Orders"];
        let f = GroupFilter::new(
            GroupFilterType::StartsWith,
            "orders-",
            &el::Limits::default(),
        )
        .unwrap();
        assert_eq!(
            f.apply(names.iter().copied()).unwrap(),
            ["Orders-Admin", "orders-read"]
        );
        let f =
            GroupFilter::new(GroupFilterType::Equals, "EVERYONE", &el::Limits::default()).unwrap();
        assert_eq!(f.apply(names.iter().copied()).unwrap(), ["Everyone"]);
        let f =
            GroupFilter::new(GroupFilterType::Contains, "ORDERS", &el::Limits::default()).unwrap();
        assert_eq!(f.apply(names.iter().copied()).unwrap().len(), 3);
        let f =
            GroupFilter::new(GroupFilterType::Regex, "orders-.*", &el::Limits::default()).unwrap();
        assert_eq!(
            f.apply(names.iter().copied()).unwrap(),
            ["orders-read"],
            "REGEX is case-sensitive and whole-name"
        );
        let f = GroupFilter::new(GroupFilterType::Regex, ".*", &el::Limits::default()).unwrap();
        assert_eq!(f.apply(names.iter().copied()).unwrap().len(), 4);
    }

    #[test]
    fn regex_filters_match_whole_names_after_the_delimiters() {
        let limits = el::Limits::default();
        let passes = |value: &str, name: &str| {
            let f = GroupFilter::new(GroupFilterType::Regex, value, &limits).unwrap();
            f.apply([name]).unwrap().len() == 1
        };
        assert!(passes("orders-.*", "orders-admin"));
        assert!(!passes("orders-.*", "x-orders-admin"));
        assert!(passes("/^[a-z]{3}$/", "abc"));
        assert!(!passes("/^[a-z]{3}$/", "/abc/"));
        // the rule of isMemberOfGroupNameRegex: a lone leading slash is a delimiter too
        assert!(passes("/.*admin.*", "sysadmins"));
        assert!(!passes("/abc", "/abc"));
        assert!(passes("abc/", "abc/"));
        assert!(passes("//", "/"));
        assert!(passes("/", ""));
        assert!(!passes("/", "/"));
        let reason = |value: &str| {
            GroupFilter::new(GroupFilterType::Regex, value, &limits)
                .unwrap_err()
                .reason()
        };
        assert_eq!(reason("a("), "unclosed group");
        // checked alone, not only once wrapped to match whole names
        assert_eq!(reason("a)(?:b"), "unopened group");
        assert_eq!(
            reason("(?=a)"),
            "a look-ahead ((?=...), (?!...)) is not supported (patterns must run in linear time)"
        );
        assert_eq!(
            reason(&"(a|b)".repeat(20_000)),
            "it is 100000 bytes long; the limit is 65536"
        );
    }

    #[test]
    fn regex_searches_are_charged_to_the_limits() {
        let limits = el::Limits::default().with_max_cost(200);
        let f = GroupFilter::new(GroupFilterType::Regex, "a.*z", &limits).unwrap();
        let long = "a".repeat(100_000);
        assert!(matches!(
            f.apply([long.as_str()]),
            Err(GroupsError::Search(e)) if e.kind == el::EvalErrorKind::Limit
        ));
        assert_eq!(f.apply(["abcz", "ab"]).unwrap(), ["abcz"]);
    }

    #[test]
    fn more_than_100_groups_is_an_error() {
        let names: Vec<String> = (0..101).map(|i| format!("g{i}")).collect();
        let f = GroupFilter::new(GroupFilterType::StartsWith, "g", &el::Limits::default()).unwrap();
        assert!(matches!(
            f.apply(names.iter().map(String::as_str)),
            Err(GroupsError::TooMany(101))
        ));
        assert_eq!(
            f.apply(names.iter().take(100).map(String::as_str))
                .unwrap()
                .len(),
            100
        );
    }
}
