//! Refresh-token records: what a host stores for a refresh token, and the checks a refresh
//! request must pass before policies are evaluated again.

use crate::config::GrantType;
use crate::oauth::{OAuthError, OAuthErrorId};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// What the host stores for an issued refresh token (the token itself is an opaque handle).
///
/// The lifetime counts from the **first** refresh token of the chain (`firstIssuedAt`), through
/// every rotation; the idle window counts from the last time the chain was used (`lastUsedAt`).
///
/// Records fail closed: one whose `lifetimeMinutes` or `windowMinutes` is absent, `null` or
/// negative is refused (`invalid_grant`), never taken as unlimited. (In JSON such a member reads
/// as `-1`.)
///
/// ```
/// use tokenmint::token::{RefreshProblem, RefreshRecord};
///
/// let record: RefreshRecord = serde_json::from_str(r#"{"clientId": "c1",
///     "grantType": "authorization_code", "scopes": ["openid", "offline_access"],
///     "userId": "00u1", "firstIssuedAt": "2026-01-01T00:00:00Z", "lifetimeMinutes": 0}"#)?;
/// let now = "2026-01-01T01:00:00Z".parse()?;
/// assert_eq!(record.window_minutes, -1);
/// assert_eq!(record.check("c1", Some("00u1"), now), Err(RefreshProblem::InvalidRecord));
/// assert_eq!(RefreshProblem::InvalidRecord.to_error().description(),
///     "The refresh token is invalid or expired.");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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
    /// Negative (or absent in JSON): the record is refused.
    #[serde(default = "invalid_minutes", deserialize_with = "minutes")]
    pub lifetime_minutes: i64,
    /// Idle window in minutes from the rule that minted it; 0 = none (rules have 10 to
    /// 2,628,000). Negative (or absent in JSON): the record is refused.
    #[serde(default = "invalid_minutes", deserialize_with = "minutes")]
    pub window_minutes: i64,
    /// When the user authenticated for the original request (seconds since the epoch): a
    /// refreshed ID token carries it unchanged (OIDC Core §12.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// The original authentication methods (`amr`), carried unchanged by refreshed ID tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
    /// The original identity provider (`idp`), carried unchanged by refreshed ID tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idp: Option<serde_json::Value>,
    /// The authentication context class of the original request (`acr`): refreshed tokens
    /// carry it unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    /// The RFC 7638 thumbprint of the DPoP key the grant is bound to: a refresh needs a DPoP
    /// proof signed by that key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jkt: Option<String>,
}

/// What an absent or `null` lifetime or window reads as: a value the checks refuse.
fn invalid_minutes() -> i64 {
    -1
}

fn minutes<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(Option::<i64>::deserialize(d)?.unwrap_or_else(invalid_minutes))
}

/// Why a refresh record can't be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefreshProblem {
    /// It has no lifetime or idle window, or a negative one: it can't be trusted.
    InvalidRecord,
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
            RefreshProblem::InvalidRecord
            | RefreshProblem::MismatchedUser
            | RefreshProblem::LifetimeExpired
            | RefreshProblem::IdleWindowExceeded => {
                OAuthError::new(OAuthErrorId::InvalidRefreshToken)
            }
        }
    }

    /// A short English explanation (for traces).
    pub fn explain(self) -> &'static str {
        match self {
            RefreshProblem::InvalidRecord => {
                "the refresh record has no lifetimeMinutes or windowMinutes, or a negative one"
            }
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
    /// `now`: the record itself first (a lifetime and a window, neither negative), then the
    /// client, then the user (the record's `userId` and the request's user must be the same, or
    /// both absent), then the lifetime, then the idle window. A token is expired from the
    /// instant its lifetime ends.
    pub fn check(
        &self,
        client_id: &str,
        user_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), RefreshProblem> {
        if self.lifetime_minutes < 0 || self.window_minutes < 0 {
            return Err(RefreshProblem::InvalidRecord);
        }
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

/// What the host stores for a device secret (Okta's Native SSO, the `device_sso` scope): who
/// it was issued to and how the user authenticated, so that a later token exchange
/// (`grant_type=urn:ietf:params:oauth:grant-type:token-exchange` with the ID token as
/// `subject_token` and the device secret as `actor_token`) can check that the secret is
/// current, that the ID token belongs to it (its `ds_hash` is the left half of the hash of the
/// secret, [`left_half_hash`](super::left_half_hash) with the ID token's algorithm) and is the
/// same user's, and carry the authentication facts into the new tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceSecretRecord {
    /// The client the secret was issued to.
    pub client_id: String,
    /// The user.
    pub user_id: String,
    /// The scopes granted with it, in their order.
    pub scopes: Vec<String>,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// When the user authenticated (seconds since the epoch).
    pub auth_time: i64,
    /// The authentication context class, if the request had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
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
            auth_time: None,
            amr: None,
            idp: None,
            acr: None,
            jkt: None,
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

    #[test]
    fn records_without_a_lifetime_or_window_fail_closed() {
        let r = record();
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let at = t("2026-01-01T12:30:00Z");
        for (life, window) in [(-1, 60), (1440, -1), (-5, -5), (i64::MIN, 0)] {
            let bad = RefreshRecord {
                lifetime_minutes: life,
                window_minutes: window,
                ..r.clone()
            };
            assert_eq!(
                bad.check("c1", Some("00u1"), at),
                Err(RefreshProblem::InvalidRecord)
            );
            // Before anything else: even for another client.
            assert_eq!(
                bad.check("c2", None, at),
                Err(RefreshProblem::InvalidRecord)
            );
        }
        let json = serde_json::to_value(&r).unwrap();
        for member in ["lifetimeMinutes", "windowMinutes"] {
            let mut absent = json.clone();
            absent.as_object_mut().unwrap().remove(member);
            let mut null = json.clone();
            if let Some(m) = null.as_object_mut() {
                m.insert(member.to_owned(), serde_json::Value::Null);
            }
            for v in [absent, null] {
                let read: RefreshRecord = serde_json::from_value(v).unwrap();
                assert_eq!(
                    read.check("c1", Some("00u1"), at),
                    Err(RefreshProblem::InvalidRecord),
                    "{member}"
                );
            }
        }
        let e = RefreshProblem::InvalidRecord.to_error();
        assert_eq!(
            (e.error(), e.description()),
            ("invalid_grant", "The refresh token is invalid or expired.")
        );
    }
}
