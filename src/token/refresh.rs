//! Refresh-token records: what a host stores for a refresh token, and the checks a refresh
//! request must pass before policies are evaluated again.

use crate::config::GrantType;
use crate::error::{OAuthError, OAuthErrorId};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// What the host stores for an issued refresh token (the token itself is an opaque handle).
///
/// The lifetime counts from the **first** refresh token of the chain (`firstIssuedAt`), through
/// every rotation; the idle window counts from the last time the chain was used (`lastUsedAt`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshRecord {
    /// The opaque handle, if the host keeps it here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handle: Option<String>,
    /// The client the refresh token was issued to.
    pub client_id: String,
    /// The grant that minted the first refresh token of the chain (e.g. `authorization_code`).
    pub grant_type: GrantType,
    /// The scopes granted by the original request, in their order.
    pub scopes: Vec<String>,
    /// The user the token was issued for; absent for user-less grants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// When the first refresh token of the chain was issued.
    pub first_issued_at: DateTime<Utc>,
    /// When the chain was last used (or issued); the idle window counts from here.
    /// Absent = `firstIssuedAt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<DateTime<Utc>>,
    /// Refresh-token lifetime in minutes from the rule that minted it; 0 = unlimited.
    #[serde(default)]
    pub lifetime_minutes: i64,
    /// Idle window in minutes from the rule that minted it; 0 = none.
    #[serde(default)]
    pub window_minutes: i64,
}

/// Why a refresh record can't be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefreshProblem {
    /// It was issued to another client.
    MismatchedClient,
    /// It was issued for another user (or for no user, and the request has one; or the other
    /// way round).
    MismatchedUser,
    /// Its lifetime (from the first token of the chain) is over.
    LifetimeExpired,
    /// It was idle longer than its window.
    IdleWindowExceeded,
}

impl RefreshProblem {
    /// The OAuth error a refresh request gets for this problem.
    pub fn to_error(self) -> OAuthError {
        match self {
            RefreshProblem::MismatchedClient => OAuthError::new(OAuthErrorId::MismatchedClient),
            RefreshProblem::MismatchedUser
            | RefreshProblem::LifetimeExpired
            | RefreshProblem::IdleWindowExceeded => {
                OAuthError::new(OAuthErrorId::InvalidRefreshToken)
            }
        }
    }

    /// A short English explanation (for traces).
    pub fn explain(self) -> &'static str {
        match self {
            RefreshProblem::MismatchedClient => "the refresh token was issued to another client",
            RefreshProblem::MismatchedUser => {
                "the refresh token was issued for another user than the request's"
            }
            RefreshProblem::LifetimeExpired => {
                "the refresh-token lifetime, counted from the first token of the chain, is over"
            }
            RefreshProblem::IdleWindowExceeded => {
                "the refresh token was idle for longer than its window"
            }
        }
    }
}

impl RefreshRecord {
    /// When the lifetime ends (None = unlimited).
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        (self.lifetime_minutes > 0)
            .then(|| add_minutes(self.first_issued_at, self.lifetime_minutes))
    }

    /// When the idle window ends (None = no window).
    pub fn idle_expires_at(&self) -> Option<DateTime<Utc>> {
        let from = self.last_used_at.unwrap_or(self.first_issued_at);
        (self.window_minutes > 0).then(|| add_minutes(from, self.window_minutes))
    }

    /// Checks that `client_id`, for the user `user_id` (`None`: no user), may use the record at
    /// `now`: the client first, then the user (the record's `userId` and the request's user must
    /// be the same, or both absent), then the lifetime, then the idle window. A token is expired
    /// from the instant its lifetime ends.
    pub fn check(
        &self,
        client_id: &str,
        user_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), RefreshProblem> {
        if self.client_id != client_id {
            return Err(RefreshProblem::MismatchedClient);
        }
        if self.user_id.as_deref() != user_id {
            return Err(RefreshProblem::MismatchedUser);
        }
        if self.expires_at().is_some_and(|t| now >= t) {
            return Err(RefreshProblem::LifetimeExpired);
        }
        if self.idle_expires_at().is_some_and(|t| now >= t) {
            return Err(RefreshProblem::IdleWindowExceeded);
        }
        Ok(())
    }
}

fn add_minutes(t: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
    Duration::try_minutes(minutes)
        .and_then(|d| t.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> RefreshRecord {
        RefreshRecord {
            handle: None,
            client_id: "c1".into(),
            grant_type: GrantType::AuthorizationCode,
            scopes: vec!["openid".into()],
            user_id: Some("00u1".into()),
            first_issued_at: "2026-01-01T00:00:00Z".parse().unwrap(),
            last_used_at: Some("2026-01-01T12:00:00Z".parse().unwrap()),
            lifetime_minutes: 24 * 60,
            window_minutes: 60,
        }
    }

    #[test]
    fn checks_in_order() {
        let r = record();
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(
            r.check("c1", Some("00u1"), t("2026-01-01T12:30:00Z")),
            Ok(())
        );
        assert_eq!(
            r.check("c2", Some("00u1"), t("2026-01-01T12:30:00Z")),
            Err(RefreshProblem::MismatchedClient)
        );
        assert_eq!(
            r.check("c1", Some("00u1"), t("2026-01-01T13:00:00Z")),
            Err(RefreshProblem::IdleWindowExceeded)
        );
        assert_eq!(
            r.check("c1", Some("00u1"), t("2026-01-02T00:00:00Z")),
            Err(RefreshProblem::LifetimeExpired)
        );
        assert_eq!(
            r.check("c1", Some("00u2"), t("2026-01-01T12:30:00Z")),
            Err(RefreshProblem::MismatchedUser)
        );
        assert_eq!(
            r.check("c1", None, t("2026-01-01T12:30:00Z")),
            Err(RefreshProblem::MismatchedUser)
        );
        assert_eq!(
            r.check("c2", Some("00u2"), t("2026-01-01T12:30:00Z")),
            Err(RefreshProblem::MismatchedClient),
            "the client is checked first"
        );
        let unlimited = RefreshRecord {
            lifetime_minutes: 0,
            window_minutes: 0,
            ..r
        };
        assert_eq!(
            unlimited.check("c1", Some("00u1"), t("2099-01-01T00:00:00Z")),
            Ok(())
        );
    }
}
