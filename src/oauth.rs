//! OAuth 2.0 error responses with Okta's codes, statuses and descriptions.

use std::fmt;

/// Okta's description when OpenID scopes come without `openid`: an `access_denied` row and an
/// `invalid_scope` row carry it.
const OPENID_SCOPE_REQUIRED: &str =
    "Requests for ID tokens or access tokens with OpenID scopes require the 'openid' scope.";

/// Declares [`OAuthErrorId`] from Okta's catalogue, one row per error: its documentation, then
/// `Variant: "internal_id", "error code", HTTP status, "error_description template";`. The
/// enum, its `row` and `internal_id`, and the list of every id come from the same rows.
macro_rules! catalogue {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident: $internal:literal, $code:literal, $status:literal, $template:expr;
    )*) => {
        /// Which row of Okta's OAuth error catalogue an [`OAuthError`] is: the internal id, which fixes
        /// the `error` code, the HTTP status and the `error_description` template.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[non_exhaustive]
        pub enum OAuthErrorId {
            $(
                $(#[doc = $doc])*
                $variant,
            )*
        }

        impl OAuthErrorId {
            /// `(error code, HTTP status, description template)` from Okta's catalogue. `{0}`
            /// marks the one argument.
            fn row(self) -> (&'static str, u16, &'static str) {
                match self {
                    $(OAuthErrorId::$variant => ($code, $status, $template),)*
                }
            }

            /// Okta's internal id, e.g. `no_matching_policy`.
            pub fn internal_id(self) -> &'static str {
                match self {
                    $(OAuthErrorId::$variant => $internal,)*
                }
            }

            /// Every row, in catalogue order.
            #[cfg(test)]
            const ALL: &'static [OAuthErrorId] = &[$(OAuthErrorId::$variant),*];
        }
    };
}

catalogue! {
    /// `access_denied`: no policy and rule matched.
    NoMatchingPolicy: "no_matching_policy", "access_denied", 401,
        "Policy evaluation failed for this request, please check the policy configurations.";
    /// `access_denied`: some requested scopes were denied (`{0}` = the scopes).
    ScopeDenied: "scope_denied", "access_denied", 400,
        "Some of the requested scopes were denied by the policy. Denied scopes: [{0}].";
    /// `access_denied`: every requested scope was rejected.
    NoScopeAllowed: "no_scope_allowed", "access_denied", 400,
        "Policy evaluation succeeded, but all the requested scopes were rejected.";
    /// `access_denied`: the user is not assigned to the client application.
    UserNotAssigned: "user_not_assigned", "access_denied", 400,
        "User is not assigned to the client application.";
    /// `access_denied`: a refresh asked for scopes the original grant did not have (`{0}`).
    RefreshScopesDenied: "refresh_scopes_denied", "access_denied", 400,
        "Some of the scopes requested for the refresh request were not granted in the original authorize request. Denied scopes: {0}.";
    /// `access_denied`: OpenID scopes without `openid` (403).
    OpenidScopeRequiredAccessToken: "openid_scope_required_access_token", "access_denied", 403,
        OPENID_SCOPE_REQUIRED;
    /// `access_denied`: the generic denial.
    AccessDenied: "access_denied", "access_denied", 403,
        "The resource owner or authorization server denied the request.";
    /// `invalid_scope`: a requested scope does not exist on the server.
    NoMatchingScope: "no_matching_scope", "invalid_scope", 400,
        "One or more scopes are not configured for the authorization server resource.";
    /// `invalid_scope`: no scope requested and no default scope configured.
    NoDefaultScopes: "no_default_scopes", "invalid_scope", 400,
        "The authorization server resource does not have any configured default scopes, 'scope' must be provided.";
    /// `invalid_scope`: an empty scope list.
    MissingScopes: "missing_scopes", "invalid_scope", 400, "No scopes were requested.";
    /// `invalid_scope`: OpenID scopes without `openid`.
    OpenidScopeRequired: "openid_scope_required", "invalid_scope", 400, OPENID_SCOPE_REQUIRED;
    /// `invalid_scope`: `openid` with client credentials.
    OpenidNotAllowedClientCreds: "openid_not_allowed_client_creds", "invalid_scope", 400,
        "Cannot request 'openid' scopes using client credentials.";
    /// `invalid_scope`: the generic invalid-scope error.
    InvalidScope: "invalid_scope", "invalid_scope", 400,
        "The requested scope is invalid, unknown, malformed, or exceeds the scope granted by the resource owner.";
    /// `invalid_scope`: `offline_access` in a browser request to the token endpoint.
    UnsupportedScopeBrowserRequest: "unsupported_scope_browser_request", "invalid_scope", 400,
        "Browser requests to the token endpoint may not include the offline_access scope.";
    /// `consent_required`: scopes needing user consent (`{0}`).
    ConsentRequired: "consent_required", "consent_required", 400,
        "The following scopes require user consent: [{0}].";
    /// `consent_required`: consent scopes asked with client credentials (`{0}`).
    ConsentRequiredClientCredentials: "consent_required_client_credentials", "consent_required", 400,
        "The following scopes require user consent and cannot be granted for the client credentials grant type: [{0}].";
    /// `invalid_client`: client authentication failed.
    InvalidClient: "invalid_client", "invalid_client", 401,
        "Client authentication failed. Either the client or the client credentials are invalid.";
    /// `invalid_client`: no client credentials.
    MissingClientCredentials: "missing_client_credentials", "invalid_client", 401,
        "No client credentials found.";
    /// `invalid_client`: bad `client_id`.
    InvalidClientId: "invalid_client_id", "invalid_client", 401,
        "Invalid value for 'client_id' parameter.";
    /// `invalid_client`: bad client secret.
    InvalidClientSecret: "invalid_client_secret", "invalid_client", 401,
        "The client secret supplied for a confidential client is invalid.";
    /// `unauthorized_client`: the client may not use the grant type (`{0}` = its grant types).
    UnauthorizedClient: "unauthorized_client", "unauthorized_client", 400,
        "The client is not authorized to use the provided grant type. Configured grant types: [{0}].";
    /// `unsupported_grant_type` (`{0}` = the configured grant types).
    UnsupportedGrantType: "unsupported_grant_type", "unsupported_grant_type", 400,
        "The authorization grant type is not supported by the authorization server. Configured grant types: [{0}].";
    /// `invalid_grant`: bad or expired authorization code.
    InvalidAuthorizationCode: "invalid_authorization_code", "invalid_grant", 400,
        "The authorization code is invalid or has expired.";
    /// `invalid_grant`: bad or expired refresh token.
    InvalidRefreshToken: "invalid_refresh_token", "invalid_grant", 400,
        "The refresh token is invalid or expired.";
    /// `invalid_grant`: bad resource-owner credentials.
    InvalidPasswordCredentials: "invalid_password_credentials", "invalid_grant", 400,
        "The credentials provided were invalid.";
    /// `invalid_grant`: the grant belongs to another client.
    MismatchedClient: "mismatched_client", "invalid_grant", 400,
        "The grant was issued to another client. Please make sure the 'client_id' matches the one used at the authorize request.";
    /// `invalid_grant`: the redirect URI differs from the authorize request's.
    MismatchedRedirectUri: "mismatched_redirect_uri", "invalid_grant", 400,
        "The 'redirect_uri' does not match the redirection URI used in the authorization request.";
    /// `invalid_grant`: PKCE verification failed.
    PkceVerificationFailed: "pkce_verification_failed", "invalid_grant", 400,
        "PKCE verification failed.";
    /// `invalid_request`: no `grant_type` (`{0}` = valid values).
    TokenRequestMissingGrantType: "token_request_missing_grant_type", "invalid_request", 400,
        "The token request must specify a 'grant_type'. Valid values: [{0}]";
    /// `invalid_request`: the authorization server id is invalid (also used for an inactive server).
    InvalidAuthorizationServer: "invalid_authorization_server", "invalid_request", 400,
        "The authorization server id is invalid.";
    /// `invalid_request`: the grant was issued for another authorization server.
    MismatchedAuthorizationServer: "mismatched_authorization_server", "invalid_request", 400,
        "The grant was issued for another authorization server.";
    /// `server_error`: a user claim could not be evaluated (`{0}` = the claim name).
    // The catalogue's text starts with a stray '='; real responses don't.
    UserClaimEvaluationFailure: "user_claim_evaluation_failure", "server_error", 400,
        "The '{0}' user claim could not be evaluated.";
    /// `server_error`: a system claim could not be evaluated (`{0}` = the claim name).
    SystemClaimEvaluationFailure: "system_claim_evaluation_failure", "server_error", 400,
        "The '{0}' system claim could not be evaluated.";
    /// `server_error`: the groups claim matched too many groups.
    TooManyGroupsInGroupsClaim: "too_many_groups_in_groups_claim", "server_error", 400,
        "The groups claim matched too many groups and must be configured to match fewer groups.";
    /// `server_error`: the access token could not be created (500).
    AccessTokenNotGenerated: "access_token_not_generated", "server_error", 500,
        "Failed to create the access_token.";
    /// `server_error`: the ID token could not be created (500).
    IdTokenNotGenerated: "id_token_not_generated", "server_error", 500,
        "Failed to create the id_token.";
    /// `insufficient_scope` (403): the userinfo request's access token has none of the
    /// `profile`, `email`, `address`, `phone` scopes.
    InsufficientScope: "insufficient_scope", "insufficient_scope", 403,
        "The access token must provide access to at least one of these scopes - profile, email, address or phone";
    /// `invalid_dpop_proof` (RFC 9449 §5, 400): the DPoP proof was refused (`{0}` = what is
    /// wrong, e.g. "'htu' claim in the DPoP proof JWT is invalid.").
    InvalidDpopProof: "invalid_dpop_proof", "invalid_dpop_proof", 400, "{0}";
    /// `use_dpop_nonce` (RFC 9449 §8, 400): the server requires a nonce in the DPoP proof, and
    /// there was none or a stale one; the host sends a fresh one in `DPoP-Nonce`.
    UseDpopNonce: "use_dpop_nonce", "use_dpop_nonce", 400,
        "Authorization server requires nonce in DPoP proof.";
    /// `server_error`: the token inline hook answered with an `error` object (`{0}` = its
    /// `errorSummary`, else "The callback service returned an error"). Okta's internal id is
    /// not documented; `inline_hook_error` is tokenmint's.
    InlineHookError: "inline_hook_error", "server_error", 400, "{0}";
}

impl OAuthErrorId {
    /// What the values of a `{0}` list are called, singular and plural.
    fn noun(self) -> (&'static str, &'static str) {
        use OAuthErrorId::*;
        match self {
            UnauthorizedClient | UnsupportedGrantType | TokenRequestMissingGrantType => {
                ("grant type", "grant types")
            }
            ScopeDenied
            | RefreshScopesDenied
            | ConsentRequired
            | ConsentRequiredClientCredentials => ("scope", "scopes"),
            _ => ("value", "values"),
        }
    }

    /// The OAuth `error` code, e.g. `access_denied`.
    pub fn code(self) -> &'static str {
        self.row().0
    }

    /// The HTTP status of the token-endpoint response.
    pub fn status(self) -> u16 {
        self.row().1
    }

    /// The `error_description` template; `{0}` marks the argument.
    pub fn template(self) -> &'static str {
        self.row().2
    }
}

/// An OAuth 2.0 error response (RFC 6749 §5.2) with Okta's exact `error` code and
/// `error_description`.
///
/// ```
/// use tokenmint::{OAuthError, OAuthErrorId};
///
/// let e = OAuthError::with_arg(OAuthErrorId::UnauthorizedClient, "authorization_code, refresh_token");
/// assert_eq!(e.status(), 400);
/// assert_eq!(e.error(), "unauthorized_client");
/// assert_eq!(e.to_json()["error_description"],
///     "The client is not authorized to use the provided grant type. Configured grant types: [authorization_code, refresh_token].");
/// ```
///
/// # Clean descriptions
///
/// RFC 6749 §5.2 allows only the characters `%x20-21 / %x23-5B / %x5D-7E` in
/// `error_description` (printable ASCII without `"` and `\`), and the values an error names
/// often come from the request. Every constructor renders its values under that rule, so no
/// description can carry other characters or request text of any length:
///
/// * [`OAuthError::with_values`] (lists of scopes or grant types) names each value that is an
///   RFC 6749 scope-token (`%x21 / %x23-5B / %x5D-7E`) of at most
///   [`MAX_SHOWN_VALUE`](OAuthError::MAX_SHOWN_VALUE) bytes, up to [`MAX_SHOWN_VALUES`](OAuthError::MAX_SHOWN_VALUES) of them, exactly as Okta does, and
///   counts the others: "Denied scopes: orders:write and 2 malformed scopes."
/// * [`OAuthError::with_arg`] (one value, such as a claim name) percent-encodes each byte of
///   a character outside the allowed set (`"` is `%22`, a newline `%0A`, `é` is `%C3%A9`) and
///   shortens the value to [`MAX_SHOWN_VALUE`](OAuthError::MAX_SHOWN_VALUE) bytes, ending it with `...`.
/// * A description read back with `serde` is cleaned the same way.
///
/// ```
/// use tokenmint::{OAuthError, OAuthErrorId};
///
/// let e = OAuthError::with_values(OAuthErrorId::RefreshScopesDenied,
///     ["orders:write", "<b>\"x\"</b>", "caf\u{e9}", "line\nbreak"]);
/// assert_eq!(e.description(),
///     "Some of the scopes requested for the refresh request were not granted in the original authorize request. Denied scopes: orders:write and 3 malformed scopes.");
/// let e = OAuthError::with_arg(OAuthErrorId::UserClaimEvaluationFailure, "d\u{e9}pt \"x\"");
/// assert_eq!(e.description(), "The 'd%C3%A9pt %22x%22' user claim could not be evaluated.");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(from = "WireError")]
pub struct OAuthError {
    /// Which catalogue row.
    pub id: OAuthErrorId,
    /// The rendered `error_description`: only RFC 6749's allowed characters.
    description: String,
    /// What went wrong inside, for logs and traces (for example the expression error behind
    /// a claim that could not be evaluated). Never part of the response body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

/// The serialized form, cleaned when read.
#[derive(serde::Deserialize)]
struct WireError {
    id: OAuthErrorId,
    description: String,
    #[serde(default)]
    cause: Option<String>,
}

impl From<WireError> for OAuthError {
    fn from(w: WireError) -> Self {
        OAuthError {
            id: w.id,
            description: clean(&w.description, usize::MAX),
            cause: w.cause,
        }
    }
}

/// Whether RFC 6749 §5.2 allows `c` in `error_description`.
fn allowed(c: char) -> bool {
    matches!(c, '\x20'..='\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E')
}

/// Whether `v` is an RFC 6749 §3.3 scope-token (`1*( %x21 / %x23-5B / %x5D-7E )`).
fn is_token(v: &str) -> bool {
    !v.is_empty() && v.chars().all(|c| c != ' ' && allowed(c))
}

/// `text` with every byte of a character RFC 6749 doesn't allow percent-encoded, cut to
/// `max` bytes (then ending with `...`).
fn clean(text: &str, max: usize) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(text.len().min(max.saturating_add(3)));
    for c in text.chars() {
        if out.len() >= max {
            out.push_str("...");
            break;
        }
        if allowed(c) {
            out.push(c);
        } else {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

impl OAuthError {
    /// Values longer than this (in bytes) are not shown as they are: a list counts them, a
    /// single value is shortened.
    pub const MAX_SHOWN_VALUE: usize = 128;
    /// A list names at most this many values and counts the rest.
    pub const MAX_SHOWN_VALUES: usize = 10;

    /// The error of a row without an argument (a `{0}` in its template is rendered empty).
    pub fn new(id: OAuthErrorId) -> Self {
        OAuthError::render(id, "")
    }

    /// The error of a row, with `{0}` rendered as `arg`, cleaned (see
    /// [Clean descriptions](OAuthError#clean-descriptions)).
    pub fn with_arg(id: OAuthErrorId, arg: &str) -> Self {
        OAuthError::render(id, &clean(arg, Self::MAX_SHOWN_VALUE))
    }

    /// The error of a row whose `{0}` is a list (scopes, grant types): the values are named
    /// as Okta does, `a, b, c`, when they are ordinary, and counted when they are not (see
    /// [Clean descriptions](OAuthError#clean-descriptions)).
    ///
    /// ```
    /// use tokenmint::{OAuthError, OAuthErrorId};
    ///
    /// let e = OAuthError::with_values(OAuthErrorId::ConsentRequiredClientCredentials,
    ///     ["admin", "audit"]);
    /// assert!(e.description().ends_with("grant type: [admin, audit]."));
    /// let many: Vec<String> = (0..12).map(|i| format!("s{i}")).collect();
    /// let e = OAuthError::with_values(OAuthErrorId::ScopeDenied, &many);
    /// assert!(e.description().ends_with("Denied scopes: [s0, s1, s2, s3, s4, s5, s6, s7, s8, s9 and 2 more scopes]."));
    /// ```
    pub fn with_values<I>(id: OAuthErrorId, values: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let (one, many) = id.noun();
        let noun = |n: usize| if n == 1 { one } else { many };
        let mut shown: Vec<String> = Vec::new();
        let (mut more, mut malformed) = (0usize, 0usize);
        for v in values {
            let v = v.as_ref();
            if !is_token(v) || v.len() > Self::MAX_SHOWN_VALUE {
                malformed += 1;
            } else if shown.len() < Self::MAX_SHOWN_VALUES {
                shown.push(v.to_owned());
            } else {
                more += 1;
            }
        }
        let mut counted = Vec::new();
        if more > 0 {
            counted.push(format!("{more} more {}", noun(more)));
        }
        if malformed > 0 {
            counted.push(format!("{malformed} malformed {}", noun(malformed)));
        }
        let counted = counted.join(" and ");
        let arg = match (shown.is_empty(), counted.is_empty()) {
            (_, true) => shown.join(", "),
            (true, false) => counted,
            (false, false) => format!("{} and {counted}", shown.join(", ")),
        };
        OAuthError::render(id, &arg)
    }

    /// The one place a description is made: the template with its argument, checked once more
    /// for characters RFC 6749 doesn't allow.
    fn render(id: OAuthErrorId, arg: &str) -> Self {
        OAuthError {
            id,
            description: clean(&id.template().replace("{0}", arg), usize::MAX),
            cause: None,
        }
    }

    /// The same error with an internal cause attached (see [`OAuthError::cause`]).
    pub fn with_cause(mut self, cause: impl Into<String>) -> Self {
        self.cause = Some(cause.into());
        self
    }

    /// The OAuth `error` code.
    pub fn error(&self) -> &'static str {
        self.id.code()
    }

    /// The `error_description`.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The HTTP status of the response.
    pub fn status(&self) -> u16 {
        self.id.status()
    }

    /// The response body, `{"error": ..., "error_description": ...}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({"error": self.error(), "error_description": self.description})
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error(), self.description)?;
        if let Some(cause) = &self.cause {
            write!(f, " (cause: {cause})")?;
        }
        Ok(())
    }
}

impl std::error::Error for OAuthError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_status_and_body() {
        let e = OAuthError::new(OAuthErrorId::NoMatchingPolicy);
        assert_eq!(e.status(), 401);
        assert_eq!(
            e.to_json().to_string(),
            r#"{"error":"access_denied","error_description":"Policy evaluation failed for this request, please check the policy configurations."}"#
        );
        assert_eq!(e.id.internal_id(), "no_matching_policy");
    }

    #[test]
    fn renders_arguments() {
        let e = OAuthError::with_arg(
            OAuthErrorId::ConsentRequiredClientCredentials,
            "admin, audit",
        );
        assert_eq!(e.error(), "consent_required");
        assert_eq!(
            e.description(),
            "The following scopes require user consent and cannot be granted for the client credentials grant type: [admin, audit]."
        );
        let e = OAuthError::with_arg(OAuthErrorId::RefreshScopesDenied, "orders:write");
        assert_eq!(e.status(), 400);
        assert!(e.description().ends_with("Denied scopes: orders:write."));
        let e = OAuthError::with_arg(OAuthErrorId::UserClaimEvaluationFailure, "dept");
        assert_eq!(
            e.description(),
            "The 'dept' user claim could not be evaluated."
        );
    }

    const ALL: &[OAuthErrorId] = OAuthErrorId::ALL;

    #[test]
    fn internal_ids_are_the_serde_names() {
        for &id in ALL {
            assert_eq!(
                serde_json::to_value(id).unwrap(),
                serde_json::json!(id.internal_id())
            );
        }
        assert_eq!(ALL.len(), 40);
    }

    #[test]
    fn every_template_is_clean_and_kept_as_is() {
        for &id in ALL {
            let t = id.template();
            assert!(t.chars().all(allowed), "{id:?}: {t}");
            assert_eq!(OAuthError::new(id).description(), t.replace("{0}", ""));
        }
    }

    /// Request text of every kind, as lists and as single values.
    #[test]
    fn hostile_values_never_reach_the_description() {
        let long = "s".repeat(10 * 1024);
        let hostile: Vec<String> = vec![
            "a\"b".into(),
            "back\\slash".into(),
            "new\nline".into(),
            "tab\tx".into(),
            "caf\u{e9}".into(),
            "\u{202e}rtl".into(),
            "nul\0".into(),
            String::new(),
            "two words".into(),
            long.clone(),
            format!("{long}\""),
        ];
        for &id in ALL {
            for e in [
                OAuthError::with_values(id, &hostile),
                OAuthError::with_arg(id, &hostile.join(", ")),
                OAuthError::with_arg(id, &long),
            ] {
                let d = e.description();
                assert!(d.chars().all(allowed), "{id:?}: {d}");
                assert!(
                    d.len() <= id.template().len() + 200,
                    "{id:?}: {} bytes",
                    d.len()
                );
            }
        }
        let e = OAuthError::with_values(OAuthErrorId::RefreshScopesDenied, &hostile);
        assert!(
            e.description()
                .ends_with("Denied scopes: 11 malformed scopes."),
            "{}",
            e.description()
        );
        let mut mixed = vec!["orders:write".to_owned(), "<x>".to_owned()];
        mixed.extend(hostile.iter().take(1).cloned());
        let e = OAuthError::with_values(OAuthErrorId::RefreshScopesDenied, &mixed);
        assert!(
            e.description()
                .ends_with("Denied scopes: orders:write, <x> and 1 malformed scope."),
            "{}",
            e.description()
        );
        let e = OAuthError::with_arg(OAuthErrorId::UserClaimEvaluationFailure, &long);
        assert_eq!(
            e.description(),
            format!(
                "The '{}...' user claim could not be evaluated.",
                "s".repeat(OAuthError::MAX_SHOWN_VALUE)
            )
        );
    }

    #[test]
    fn descriptions_read_back_are_cleaned() {
        let e: OAuthError = serde_json::from_str(
            r#"{"id": "invalid_scope", "description": "bad \"x\"\n", "cause": "why"}"#,
        )
        .unwrap();
        assert_eq!(e.description(), "bad %22x%22%0A");
        assert_eq!(e.cause.as_deref(), Some("why"));
        let round: OAuthError = serde_json::from_value(serde_json::to_value(&e).unwrap()).unwrap();
        assert_eq!(round, e);
    }

    #[test]
    fn statuses_follow_the_catalogue() {
        use OAuthErrorId::*;
        for (id, status, code) in [
            (UserNotAssigned, 400, "access_denied"),
            (OpenidScopeRequiredAccessToken, 403, "access_denied"),
            (NoMatchingScope, 400, "invalid_scope"),
            (InvalidClient, 401, "invalid_client"),
            (UnauthorizedClient, 400, "unauthorized_client"),
            (InvalidRefreshToken, 400, "invalid_grant"),
            (InvalidAuthorizationServer, 400, "invalid_request"),
            (AccessTokenNotGenerated, 500, "server_error"),
        ] {
            assert_eq!(id.status(), status, "{id:?}");
            assert_eq!(id.code(), code, "{id:?}");
        }
        assert_eq!(
            OAuthError::new(OAuthErrorId::InvalidClient).to_string(),
            "invalid_client: Client authentication failed. Either the client or the client credentials are invalid."
        );
    }
}
