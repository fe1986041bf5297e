//! What a matching rule gives: the [`Grant`] and its parts.

use crate::config::GrantType;
use crate::request::ResponseType;
use crate::token::{DpopBinding, RefreshRecord};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

// ---------------------------------------------------------------------------------------------
// Results

/// A policy or rule, by id and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Matched {
    /// The id, if the configuration has one.
    pub id: Option<String>,
    /// The name.
    pub name: String,
}

impl fmt::Display for Matched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.name)?;
        if let Some(id) = &self.id {
            write!(f, " ({id})")?;
        }
        Ok(())
    }
}

/// Token lifetimes from the matched rule's actions, in minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lifetimes {
    /// Access-token lifetime.
    pub access_token_lifetime_minutes: i64,
    /// Refresh-token lifetime; 0 = unlimited.
    pub refresh_token_lifetime_minutes: i64,
    /// Refresh-token idle window.
    pub refresh_token_window_minutes: i64,
}

/// Who the tokens are for, in the terms minting needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subject {
    /// The user id (`uid`).
    pub user_id: String,
    /// The user's `login` profile attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
    /// The app user's `userName` (the access token's default `sub`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_username: Option<String>,
}

/// The outcome of a successful evaluation: everything needed to mint tokens later without
/// evaluating policies again (a host may store it with an authorization code).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Grant {
    /// The matched policy.
    pub policy: Matched,
    /// The matched rule.
    pub rule: Matched,
    /// The requesting client.
    pub client_id: String,
    /// The grant type of the request.
    pub grant_type: GrantType,
    /// For a refresh: the grant that minted the first refresh token of the chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_grant_type: Option<GrantType>,
    /// The granted scopes, in request order without duplicates (default scopes in
    /// configuration order).
    pub scopes: Vec<String>,
    /// Whether the scopes are the default scopes (the request had no `scope` parameter).
    pub default_scopes: bool,
    /// Whether the client may use the `refresh_token` grant type (no `grantTypes` list, or one
    /// naming it): without it no refresh token is minted, even for `offline_access`. Absent in
    /// a stored grant = false.
    #[serde(default)]
    pub client_refresh_token: bool,
    /// Token lifetimes from the rule.
    pub lifetimes: Lifetimes,
    /// The rule's token inline hook id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inline_hook: Option<String>,
    /// The request's `response_type`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_type: Option<ResponseType>,
    /// The user, if the request has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Subject>,
    /// The request's `nonce`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// When the user authenticated (seconds since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// The identity provider that authenticated the user (the ID token's `idp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idp: Option<Value>,
    /// The authentication methods (the ID token's `amr`): the request's `amr` (else its
    /// `session.amr`); for a refresh, the original ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
    /// The tokens' issuer when it is not the configured one: with `issuerMode: DYNAMIC`, the
    /// configured issuer on the host the request came to. Absent = the configured issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The authentication context class (`acr`) both tokens carry: the request's, or for a
    /// refresh the original grant's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    /// The request's checked DPoP proof: the access token is bound to its key (`cnf.jkt`),
    /// the token type is `DPoP`, and a refresh token's record keeps the thumbprint. A host
    /// that stores a grant at `/authorize` and mints at the token endpoint checks the proof
    /// that comes there ([`crate::token::check_proof`]) and sets this to
    /// [`DpopProof::binding`](crate::token::DpopProof::binding) before minting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop: Option<DpopBinding>,
    /// When the request was evaluated.
    pub evaluated_at: chrono::DateTime<chrono::Utc>,
    /// For a refresh: the record of the refresh token redeemed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh: Option<RefreshRecord>,
    /// For the user flows through `/authorize`: the granted scopes the user must be asked to
    /// consent to before the tokens are issued (empty: none). Absent for other grants. See
    /// [`consent::decide`](crate::consent::decide).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<Vec<String>>,
    /// The expression-evaluation context of the request with `access.scope` = the granted
    /// scopes: the user (shared with the request), app user, app, org and session the claims
    /// read. Serializes as the JSON of [`el::Context`](crate::el::Context).
    pub context: crate::el::Context,
}

impl Grant {
    /// The record to store for a refresh token minted from this grant at `now` (whether one is
    /// minted — `offline_access`, grant type — is minting's decision).
    ///
    /// A first refresh token starts a chain: its lifetime and idle window come from the matched
    /// rule. A rotated one (this grant is a refresh) keeps the chain's original grant type,
    /// scopes (a later refresh may ask for any of them again, RFC 6749 §6), first issue time
    /// and lifetime — the lifetime counts from the first token — and takes the matched rule's
    /// idle window, restarting it at `now`. The record keeps the authentication facts
    /// (`auth_time`, `amr`, `idp`) that refreshed ID tokens carry unchanged.
    pub fn refresh_record(&self, now: chrono::DateTime<chrono::Utc>) -> RefreshRecord {
        let (grant_type, scopes, first_issued_at, lifetime_minutes) = match &self.refresh {
            Some(r) => (
                r.grant_type.clone(),
                r.scopes.clone(),
                r.first_issued_at,
                r.lifetime_minutes,
            ),
            None => (
                self.grant_type.clone(),
                self.scopes.clone(),
                now,
                self.lifetimes.refresh_token_lifetime_minutes,
            ),
        };
        RefreshRecord {
            handle: None,
            client_id: self.client_id.clone(),
            grant_type,
            scopes,
            user_id: self.subject.as_ref().map(|s| s.user_id.clone()),
            first_issued_at,
            last_used_at: Some(now),
            lifetime_minutes,
            window_minutes: self.lifetimes.refresh_token_window_minutes,
            // What the tokens of this grant carry (minting's default for an absent auth_time).
            auth_time: Some(self.auth_time.unwrap_or(self.evaluated_at.timestamp())),
            amr: self.amr.clone(),
            idp: self.idp.clone(),
            acr: self.acr.clone(),
            jkt: self.dpop.as_ref().map(|d| d.jkt.clone()),
        }
    }
}
