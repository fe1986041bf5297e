//! The options of a compiled server: caps on the configuration, limits of the expression
//! engine, and the few switches that change what a server does.

use crate::el;

/// Compile-time options of an [`AuthorizationServer`](crate::AuthorizationServer).
///
/// # Caps
///
/// A configuration over one of the caps below is refused with one located error per cap
/// exceeded (code `limits.<cap>`, pointing at the first object over it), before any other
/// check, so that compiling a configuration costs time and memory bounded by the caps and the
/// size of its text.
///
/// Okta publishes no per-server maximum for these objects: its Management API lists them in
/// pages of at most 200 (for example
/// [Authorization Server Scopes](https://developer.okta.com/docs/api/openapi/okta-management/management/tag/AuthorizationServerScopes/)),
/// and the nearest counts it documents are 5,000 app sign-in policies per org
/// ([Policies API](https://developer.okta.com/docs/reference/api/policy/)) and claim values of up
/// to 1,024 characters ([Customize tokens returned from Okta](https://developer.okta.com/docs/guides/customize-tokens-returned-from-okta/main/)).
/// The defaults are far above real configurations. On the project's 2-core machine, 100,000
/// rules in 20,000 policies (25 MB of JSON) compile in 0.8 s with a 70 MB peak.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// The limits of the expression engine: the length of a claim expression (Okta's 1024
    /// characters by default), its nesting depth, and what one evaluation may cost and
    /// allocate (see [`el::Limits`]).
    ///
    /// ```
    /// use tokenmint::{Options, el::Limits};
    ///
    /// let mut options = Options::default();
    /// options.limits = Limits::default().with_max_length(2048).with_max_cost(10_000_000);
    /// ```
    pub limits: el::Limits,
    /// Most access policies per server (`limits.policies`). 10,000 by default: twice the
    /// 5,000 app sign-in policies Okta allows per org, the nearest count it documents.
    pub max_policies: usize,
    /// Most rules per server, all policies together (`limits.rules`). 100,000 by default, an
    /// average of ten per policy at the policy cap. Counted per server rather than per policy:
    /// compile time and memory grow with the total, and the rule-shadowing analysis is bounded
    /// on its own ([`Options::max_analysis_comparisons`]), so one policy may hold them all.
    pub max_rules: usize,
    /// Most claims per server (`limits.claims`). 1,000 by default. Every claim's expression is
    /// compiled, and each token evaluates every claim of its type whose scopes match.
    pub max_claims: usize,
    /// Most scopes per server, the system scopes not counted (`limits.scopes`). 10,000 by
    /// default.
    pub max_scopes: usize,
    /// Most client ids the policies name, counting every entry of every policy's
    /// `conditions.clients.include` (`limits.clients`). 100,000 by default. The client index
    /// holds one entry per name.
    pub max_clients: usize,
    /// How many rule comparisons the `rule.unreachable` analysis may spend (10,000,000 by
    /// default, well under a second). Indexed, it needs about one per rule for typical
    /// configurations; when the budget is spent it stops with an `analysis.truncated` warning at
    /// the rule where it stopped. Evaluation never depends on it.
    pub max_analysis_comparisons: usize,
    /// Treat `openid profile email address phone offline_access` as allowed by every rule
    /// (Okta's "OIDC scopes are granted by default" wording). Off by default: a rule must list
    /// every requested scope.
    pub implicit_oidc_scopes: bool,
    /// Give access tokens the header `typ: at+jwt` (RFC 9068). Off by default, like Okta.
    pub at_jwt_typ: bool,
    /// The org id (`00o…`), set once by the host: the ID token's `idp` when a request names
    /// neither an identity provider (`idp`) nor an org id (`org.id`). Without any of the three,
    /// a request that would get an ID token fails with `server_error` ("Failed to create the
    /// id_token.") instead of yielding a token without `idp`.
    pub org_id: Option<String>,
}

// spelled out, so every default is visible in one place
#[allow(clippy::derivable_impls)]
impl Default for Options {
    fn default() -> Self {
        Options {
            limits: el::Limits::default(),
            max_policies: 10_000,
            max_rules: 100_000,
            max_claims: 1_000,
            max_scopes: 10_000,
            max_clients: 100_000,
            max_analysis_comparisons: 10_000_000,
            implicit_oidc_scopes: false,
            at_jwt_typ: false,
            org_id: None,
        }
    }
}
