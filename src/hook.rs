//! Token inline hooks (Okta's `com.okta.oauth2.tokens.transform`), as pure functions: the
//! request body Okta would POST to the hook ([`request_body`]), and what the hook's answer
//! does to the tokens about to be signed ([`apply_response`]).
//!
//! The host does the HTTP. When a rule names a hook, minting stops after the claims are
//! evaluated and before anything is signed
//! ([`AuthorizationServer::prepare`](crate::AuthorizationServer::prepare)): the host POSTs the
//! request body ([`Prepared::hook_request`](crate::mint::Prepared::hook_request), built by
//! [`request_body`]) to the hook, and hands the body of a `200` answer to
//! [`Prepared::apply_hook`](crate::mint::Prepared::apply_hook) (which calls
//! [`apply_response`]); no answer, a timeout or another status means the tokens are issued
//! unchanged (Okta's behaviour), so the host simply signs what it has
//! ([`Prepared::sign`](crate::mint::Prepared::sign)).
//!
//! # What an answer can do
//!
//! `commands` is a list of `{"type", "value": [operations]}`: `com.okta.identity.patch` edits
//! the ID token, `com.okta.access.patch` the access token. An operation is `{"op", "path",
//! "value"}` with JSON Pointer paths (RFC 6901, `~0` and `~1` escapes):
//!
//! | op | path | effect |
//! |---|---|---|
//! | `add` | `/claims/<name>` | adds the claim (a claim already there gets the new value) |
//! | `add` | `/claims/<name>/<member>…`, `/<index>`, `/-` | adds a member to an object, or inserts into an array (`-` appends); the parent must exist |
//! | `replace` | `/claims/<name>[/…]` | replaces a claim, member or element that exists |
//! | `remove` | `/claims/<name>[/…]` | removes one that exists; `value` absent or `null` |
//! | `replace` | `/token/lifetime/expiration` | the token's lifetime, an integer from 300 to 86,400 seconds |
//!
//! # What an answer can't do
//!
//! Each of these makes the whole answer inapplicable: [`HookOutcome::Ignored`], the tokens
//! issued unchanged, and a [`HookRefusal`] that says which command and operation and why (for
//! the trace).
//!
//! | Refusal ([`RefusalKind`]) | When |
//! |---|---|
//! | `not_json`, `not_object`, `too_large` | the body is not a JSON object, or larger than [`HookLimits::max_response_bytes`] |
//! | `commands_not_array`, `command_not_object`, `value_not_array`, `operation_not_object` | the shapes above are wrong |
//! | `too_many_commands`, `too_many_operations`, `path_too_long`, `path_too_deep`, `value_too_deep`, `claims_too_large` | a limit of [`HookLimits`] |
//! | `unknown_command` | a `type` other than the two patches |
//! | `token_not_minted` | a patch of a token this request doesn't mint (e.g. `com.okta.access.patch` when only an ID token is issued) |
//! | `unknown_op` | an `op` other than `add`, `replace`, `remove` (`move`, `copy`, `test` included) |
//! | `bad_path` | no `path` string, not a JSON Pointer, not under `/claims/<name>` or `/token/lifetime/expiration`, an empty claim name, a bad escape |
//! | `system_claim` | a claim the server owns: `iss`, `ver`, `jti`, `iat`, `exp`, `nbf`, `cnf`, `token_type` in both tokens; in access tokens `cid`, `uid`, `scp`, `auth_time`, `acr`, `amr`, `as_uri`, `groups`, `rpt`, `rsi`, `username`; in ID tokens `amr`, `idp`, `auth_time`, `nonce`, `at_hash`, `c_hash`, `ds_hash`, `acr` and Okta's other reserved ID-token names — can't be replaced, removed, edited inside, or added |
//! | `reserved_claim` | adding one of those names when the token doesn't have it |
//! | `id_token_aud_sub` | any change to an ID token's `aud` or `sub` (an access token's can be replaced, not removed) |
//! | `claim_absent` | `replace`, `remove` or a deeper path on a claim the token doesn't have |
//! | `target_absent` | a member or element on the path that doesn't exist (for `add`: the parent) |
//! | `not_container` | a path that goes through a string, number, boolean or null |
//! | `bad_index` | an array index that is not a number without leading zeros, out of range, or `-` outside `add` |
//! | `value_missing` | `add` or `replace` without `value` |
//! | `remove_with_value` | `remove` with a `value` that is not `null` |
//! | `lifetime_op`, `lifetime_value` | not `replace` on the lifetime, or not an integer from 300 to 86,400 |
//!
//! An `error` object (any `error` that is not `null`) fails the request instead, whatever the
//! commands: [`HookOutcome::Error`] holds Okta's `server_error` with the object's
//! `errorSummary` as `error_description` (when it is a non-empty string) or "The callback
//! service returned an error".
//!
//! ```
//! use serde_json::json;
//! use tokenmint::hook::{HookLimits, HookOutcome, HookToken, HookTokens, apply_response};
//!
//! let tokens = HookTokens {
//!     identity: None,
//!     access: Some(HookToken::new(
//!         json!({"ver": 1, "iss": "https://example.okta.com/oauth2/default", "sub": "ann"}),
//!         3600,
//!     )?),
//! };
//! let answer = br#"{"commands": [{"type": "com.okta.access.patch", "value": [
//!     {"op": "add", "path": "/claims/patient", "value": {"id": "1234"}},
//!     {"op": "replace", "path": "/token/lifetime/expiration", "value": 600}]}]}"#;
//! let HookOutcome::Applied { tokens: patched, .. } = apply_response(&tokens, answer, &HookLimits::default()) else {
//!     panic!("applied");
//! };
//! let access = patched.access.unwrap();
//! assert_eq!(access.claims["patient"], json!({"id": "1234"}));
//! assert_eq!(access.lifetime, 600);
//!
//! // `iss` belongs to the server: the whole answer is ignored, and the trace says why.
//! let answer = br#"{"commands": [{"type": "com.okta.access.patch", "value": [
//!     {"op": "add", "path": "/claims/patient", "value": "1234"},
//!     {"op": "replace", "path": "/claims/iss", "value": "https://evil.example"}]}]}"#;
//! let HookOutcome::Ignored(refusal) = apply_response(&tokens, answer, &HookLimits::default()) else {
//!     panic!("ignored");
//! };
//! assert_eq!(refusal.kind.id(), "system_claim");
//! assert_eq!(refusal.to_string(), "command 0, operation 1 (replace /claims/iss): \
//!     iss is a system claim of the access token and can't be changed");
//! # Ok::<(), tokenmint::hook::HookInputError>(())
//! ```

use crate::oauth::{OAuthError, OAuthErrorId};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::fmt;
use thiserror::Error;

/// Okta's event type of the token inline hook.
pub const EVENT_TYPE: &str = "com.okta.oauth2.tokens.transform";

/// The text of the `server_error` of an `error` object without an `errorSummary`.
pub const DEFAULT_ERROR_SUMMARY: &str = "The callback service returned an error";

/// Lifetime bounds a hook may set, in seconds (5 minutes to 24 hours).
pub const LIFETIME_RANGE: std::ops::RangeInclusive<i64> = 300..=86_400;

/// One token about to be signed: its claims, in order, and its lifetime in seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HookToken {
    /// The unsigned claims.
    pub claims: Map<String, Value>,
    /// `token.lifetime.expiration`: seconds from `iat` to `exp`.
    pub lifetime: i64,
}

impl HookToken {
    /// A token from a JSON object of claims.
    pub fn new(claims: Value, lifetime: i64) -> Result<HookToken, HookInputError> {
        match claims {
            Value::Object(claims) => Ok(HookToken { claims, lifetime }),
            _ => Err(HookInputError("the claims must be a JSON object".into())),
        }
    }
}

/// The tokens of one request a hook may patch: the ID token and the access token, each if the
/// request mints it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HookTokens {
    /// The ID token (`data.identity`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<HookToken>,
    /// The access token (`data.access`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<HookToken>,
}

/// A granted scope as the request body lists it: `{"<name>": {"id", "action": "GRANT"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookScope {
    /// The scope's name.
    pub name: String,
    /// The scope's id (`scp…`).
    pub id: String,
}

/// The HTTP request that led to the tokens (`data.context.request`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HookHttpRequest {
    /// Okta's request id.
    pub id: String,
    /// `GET` (`/authorize`) or `POST` (`/token`).
    pub method: String,
    /// The full URL, with its query.
    pub url: String,
    /// The client's IP address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
}

/// The OAuth request and client (`data.context.protocol`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HookProtocol {
    /// `scope` as requested (space-separated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// `state`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// `redirect_uri`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
    /// `response_mode`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_mode: Option<String>,
    /// `response_type`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_type: Option<String>,
    /// `client_id`.
    pub client_id: String,
    /// The authorization server's issuer (`issuer.uri`).
    pub issuer: String,
    /// The client's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    /// `PUBLIC` or `CONFIDENTIAL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_type: Option<String>,
}

/// The user's session (`data.context.session`, user flows only).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HookSession {
    /// Session id.
    pub id: String,
    /// The user's id.
    pub user_id: String,
    /// The user's login.
    pub login: String,
    /// When the session started (ISO 8601).
    pub created_at: String,
    /// When it ends (ISO 8601).
    pub expires_at: String,
    /// `ACTIVE`, …
    pub status: String,
    /// Last password verification (ISO 8601).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_password_verification: Option<String>,
    /// Okta's authentication methods (`PASSWORD`, …).
    #[serde(default)]
    pub amr: Vec<String>,
    /// The identity provider: `id` and `type` (`OKTA`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idp: Option<HookIdp>,
    /// Whether MFA is active.
    #[serde(default)]
    pub mfa_active: bool,
}

/// The session's identity provider.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookIdp {
    /// Its id (`00o…`).
    pub id: String,
    /// Its type (`OKTA`, …).
    #[serde(rename = "type")]
    pub idp_type: String,
}

/// The user (`data.context.user`, user flows only).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HookUser {
    /// The user id (`00u…`).
    pub id: String,
    /// When the password last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_changed: Option<String>,
    /// The user's profile; the request body carries `login`, `firstName`, `lastName`, `locale`
    /// and `timeZone` from it, as Okta does.
    #[serde(default)]
    pub profile: Map<String, Value>,
}

/// Everything [`request_body`] needs: plain data that minting fills from the grant, the
/// request and the unsigned tokens.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HookInput {
    /// The endpoint that minted (`source`): e.g. `https://{org}/oauth2/default/v1/token`.
    pub source: String,
    /// The event id (`eventId`; e.g. 22 base64url characters from the host's RNG).
    pub event_id: String,
    /// The event time (`eventTime`, ISO 8601 with milliseconds, e.g.
    /// `2019-01-15T23:20:47.000Z`).
    pub event_time: String,
    /// The org's base URL (`https://{org}`), for the user's `_links`; none, none written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_url: Option<String>,
    /// The HTTP request.
    pub request: HookHttpRequest,
    /// The OAuth request and client.
    pub protocol: HookProtocol,
    /// The session, for user flows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<HookSession>,
    /// The user, for user flows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<HookUser>,
    /// The matched policy's id.
    pub policy_id: String,
    /// The matched rule's id.
    pub rule_id: String,
    /// The tokens about to be signed.
    pub tokens: HookTokens,
    /// The granted scopes (`data.access.scopes`), in order.
    #[serde(default)]
    pub scopes: Vec<HookScope>,
}

/// Input that can't make a hook request or tokens.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("hook input: {0}")]
pub struct HookInputError(pub String);

/// The profile attributes Okta puts in `data.context.user.profile`.
const PROFILE_MEMBERS: [&str; 5] = ["login", "firstName", "lastName", "locale", "timeZone"];

/// The request body Okta POSTs to a token inline hook, in the member order of Okta's sample:
/// `source`, `eventId`, `eventTime`, `eventTypeVersion` (`1.0`), `cloudEventVersion` (`0.1`),
/// `contentType`, `eventType`, and `data` with `context` (`request`, `protocol`, `session` and
/// `user` for user flows, `policy` with its `rule`), `identity` when an ID token is minted and
/// `access` when an access token is (each `claims` and `token.lifetime.expiration`, the
/// access token with its `scopes`).
///
/// ```
/// use serde_json::json;
/// use tokenmint::hook::*;
///
/// let input = HookInput {
///     source: "https://example.okta.com/oauth2/default/v1/token".into(),
///     event_id: "3OWo4oo-QQ-rBWfRyTmQYw".into(),
///     event_time: "2026-01-01T00:00:00.000Z".into(),
///     request: HookHttpRequest { id: "req1".into(), method: "POST".into(),
///         url: "https://example.okta.com/oauth2/default/v1/token".into(), ip_address: None },
///     protocol: HookProtocol { client_id: "0oa1".into(),
///         issuer: "https://example.okta.com/oauth2/default".into(), ..Default::default() },
///     policy_id: "00p1".into(), rule_id: "0pr1".into(),
///     tokens: HookTokens { identity: None,
///         access: Some(HookToken::new(json!({"ver": 1, "cid": "0oa1"}), 3600)?) },
///     scopes: vec![HookScope { name: "orders:read".into(), id: "scp1".into() }],
///     ..Default::default()
/// };
/// let body = request_body(&input);
/// assert_eq!(body["eventType"], "com.okta.oauth2.tokens.transform");
/// assert_eq!(body["data"]["access"]["token"]["lifetime"]["expiration"], 3600);
/// assert_eq!(body["data"]["access"]["scopes"]["orders:read"], json!({"id": "scp1", "action": "GRANT"}));
/// assert!(body["data"].get("identity").is_none());
/// # Ok::<(), HookInputError>(())
/// ```
pub fn request_body(input: &HookInput) -> Value {
    let mut context = Map::new();
    let mut request = Map::new();
    request.insert("id".into(), input.request.id.clone().into());
    request.insert("method".into(), input.request.method.clone().into());
    request.insert("url".into(), json!({ "value": input.request.url }));
    if let Some(ip) = &input.request.ip_address {
        request.insert("ipAddress".into(), ip.clone().into());
    }
    context.insert("request".into(), Value::Object(request));

    let p = &input.protocol;
    let mut oauth = Map::new();
    for (name, value) in [
        ("scope", &p.scope),
        ("state", &p.state),
        ("redirect_uri", &p.redirect_uri),
        ("response_mode", &p.response_mode),
        ("response_type", &p.response_type),
    ] {
        if let Some(v) = value {
            oauth.insert(name.into(), v.clone().into());
        }
    }
    oauth.insert("client_id".into(), p.client_id.clone().into());
    let mut client = Map::new();
    client.insert("id".into(), p.client_id.clone().into());
    if let Some(name) = &p.client_name {
        client.insert("name".into(), name.clone().into());
    }
    if let Some(t) = &p.client_type {
        client.insert("type".into(), t.clone().into());
    }
    context.insert(
        "protocol".into(),
        json!({"type": "OAUTH2.0", "request": oauth, "issuer": {"uri": p.issuer},
               "client": client}),
    );

    if let Some(s) = &input.session {
        let mut session = Map::new();
        session.insert("id".into(), s.id.clone().into());
        session.insert("userId".into(), s.user_id.clone().into());
        session.insert("login".into(), s.login.clone().into());
        session.insert("createdAt".into(), s.created_at.clone().into());
        session.insert("expiresAt".into(), s.expires_at.clone().into());
        session.insert("status".into(), s.status.clone().into());
        if let Some(v) = &s.last_password_verification {
            session.insert("lastPasswordVerification".into(), v.clone().into());
        }
        session.insert("amr".into(), s.amr.clone().into());
        if let Some(idp) = &s.idp {
            session.insert("idp".into(), json!({"id": idp.id, "type": idp.idp_type}));
        }
        session.insert("mfaActive".into(), s.mfa_active.into());
        context.insert("session".into(), Value::Object(session));
    }
    if let Some(u) = &input.user {
        let mut user = Map::new();
        user.insert("id".into(), u.id.clone().into());
        if let Some(v) = &u.password_changed {
            user.insert("passwordChanged".into(), v.clone().into());
        }
        let profile: Map<String, Value> = PROFILE_MEMBERS
            .iter()
            .filter_map(|m| u.profile.get(*m).map(|v| ((*m).to_owned(), v.clone())))
            .collect();
        user.insert("profile".into(), Value::Object(profile));
        if let Some(org) = &input.org_url {
            let base = format!("{}/api/v1/users/{}", org.trim_end_matches('/'), u.id);
            user.insert(
                "_links".into(),
                json!({"groups": {"href": format!("{base}/groups")},
                       "factors": {"href": format!("{base}/factors")}}),
            );
        }
        context.insert("user".into(), Value::Object(user));
    }
    context.insert(
        "policy".into(),
        json!({"id": input.policy_id, "rule": {"id": input.rule_id}}),
    );

    let mut data = Map::new();
    data.insert("context".into(), Value::Object(context));
    if let Some(id) = &input.tokens.identity {
        data.insert(
            "identity".into(),
            json!({"claims": id.claims, "token": {"lifetime": {"expiration": id.lifetime}}}),
        );
    }
    if let Some(at) = &input.tokens.access {
        let scopes: Map<String, Value> = input
            .scopes
            .iter()
            .map(|s| (s.name.clone(), json!({"id": s.id, "action": "GRANT"})))
            .collect();
        data.insert(
            "access".into(),
            json!({"claims": at.claims, "token": {"lifetime": {"expiration": at.lifetime}},
                   "scopes": scopes}),
        );
    }

    let mut body = Map::new();
    body.insert("source".into(), input.source.clone().into());
    body.insert("eventId".into(), input.event_id.clone().into());
    body.insert("eventTime".into(), input.event_time.clone().into());
    body.insert("eventTypeVersion".into(), "1.0".into());
    body.insert("cloudEventVersion".into(), "0.1".into());
    body.insert("contentType".into(), "application/json".into());
    body.insert("eventType".into(), EVENT_TYPE.into());
    body.insert("data".into(), Value::Object(data));
    Value::Object(body)
}

/// Bounds on the work an answer may cause. Every limit is checked before the work it bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HookLimits {
    /// Largest body [`apply_response`] parses (256 KiB).
    pub max_response_bytes: usize,
    /// Most commands (16).
    pub max_commands: usize,
    /// Most operations, all commands together (256).
    pub max_operations: usize,
    /// Longest `path`, in bytes (1024).
    pub max_path_bytes: usize,
    /// Most reference tokens in a path below `/claims/<name>` (16).
    pub max_path_depth: usize,
    /// Deepest nesting of a `value` (32 arrays or objects).
    pub max_value_depth: usize,
    /// Largest serialized claims of a patched token (32 KiB: the signed token, and the
    /// encrypted one, stay within the verifier's 64 KiB).
    pub max_claims_bytes: usize,
}

impl Default for HookLimits {
    fn default() -> Self {
        HookLimits {
            max_response_bytes: 256 * 1024,
            max_commands: 16,
            max_operations: 256,
            max_path_bytes: 1024,
            max_path_depth: 16,
            max_value_depth: 32,
            max_claims_bytes: 32 * 1024,
        }
    }
}

/// What a hook's answer does.
#[derive(Debug, Clone, PartialEq)]
pub enum HookOutcome {
    /// Every command applied (an answer without commands applies none): sign these tokens.
    /// Each lifetime is the one to use for `exp`.
    Applied {
        /// The patched tokens.
        tokens: HookTokens,
        /// How many operations were applied.
        operations: usize,
    },
    /// The answer can't be applied: issue the tokens unchanged; the refusal is for the trace.
    Ignored(HookRefusal),
    /// The answer is an `error` object: fail the request with this `server_error`.
    Error(OAuthError),
}

/// Why an answer was ignored: where (the command and operation, by position) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookRefusal {
    /// The command's position in `commands`, if the refusal is about one.
    pub command: Option<usize>,
    /// The operation's position in the command's `value`, if one.
    pub operation: Option<usize>,
    /// The operation's `op` and `path`, when known.
    pub target: Option<String>,
    /// What is wrong.
    pub kind: RefusalKind,
}

impl fmt::Display for HookRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.command, self.operation) {
            (Some(c), Some(o)) => write!(f, "command {c}, operation {o}")?,
            (Some(c), None) => write!(f, "command {c}")?,
            _ => f.write_str("response")?,
        }
        if let Some(t) = &self.target {
            write!(f, " ({t})")?;
        }
        write!(f, ": {}", self.kind)
    }
}

impl std::error::Error for HookRefusal {}

/// What makes an answer inapplicable (the table in the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RefusalKind {
    /// The body is not JSON.
    #[error("the body is not JSON: {0}")]
    NotJson(String),
    /// The body is not a JSON object.
    #[error("the body is not a JSON object")]
    NotObject,
    /// The body is larger than the limit.
    #[error("the body is {len} bytes, more than the {max} accepted")]
    TooLarge {
        /// Its size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// `commands` is not an array.
    #[error("\"commands\" is not an array")]
    CommandsNotArray,
    /// More commands than the limit.
    #[error("more than {0} commands")]
    TooManyCommands(usize),
    /// A command is not an object.
    #[error("the command is not a JSON object")]
    CommandNotObject,
    /// A command `type` other than the two patches.
    #[error("unknown command type {0}")]
    UnknownCommand(String),
    /// A patch of a token the request doesn't mint.
    #[error("{0} doesn't apply: the request mints no {1}")]
    TokenNotMinted(&'static str, &'static str),
    /// A command's `value` is not an array.
    #[error("the command's \"value\" is not an array of operations")]
    ValueNotArray,
    /// More operations than the limit.
    #[error("more than {0} operations")]
    TooManyOperations(usize),
    /// An operation is not an object.
    #[error("the operation is not a JSON object")]
    OperationNotObject,
    /// An `op` other than `add`, `replace`, `remove`.
    #[error("unknown op {0}")]
    UnknownOp(String),
    /// A path that can't be used.
    #[error("bad path: {0}")]
    BadPath(String),
    /// A path longer than the limit.
    #[error("the path is longer than {0} bytes")]
    PathTooLong(usize),
    /// A path deeper than the limit.
    #[error("the path is deeper than {0} levels")]
    PathTooDeep(usize),
    /// A claim the server owns.
    #[error("{claim} is a system claim of the {token} and can't be changed")]
    SystemClaim {
        /// The claim.
        claim: String,
        /// `access token` or `ID token`.
        token: &'static str,
    },
    /// Adding a reserved name the token doesn't have.
    #[error("{claim} is a reserved claim name of the {token} and can't be added")]
    ReservedClaim {
        /// The claim.
        claim: String,
        /// `access token` or `ID token`.
        token: &'static str,
    },
    /// A change to an ID token's `aud` or `sub`.
    #[error("the ID token's {0} can't be changed (an access token's can)")]
    IdTokenAudSub(String),
    /// `replace`, `remove` or a deeper path on a claim the token doesn't have.
    #[error("the {token} has no claim {claim}; a claim that isn't in the token can only be added")]
    ClaimAbsent {
        /// The claim.
        claim: String,
        /// `access token` or `ID token`.
        token: &'static str,
    },
    /// A member or element on the path doesn't exist.
    #[error("{0} doesn't exist")]
    TargetAbsent(String),
    /// A path through a scalar.
    #[error("{0} is not an object or an array")]
    NotContainer(String),
    /// A bad array index.
    #[error("bad array index {index:?} for {at} ({len} elements)")]
    BadIndex {
        /// The reference token.
        index: String,
        /// The array's path.
        at: String,
        /// Its length.
        len: usize,
    },
    /// `add` or `replace` without `value`.
    #[error("{0} needs a \"value\"")]
    ValueMissing(&'static str),
    /// A `value` nested deeper than the limit.
    #[error("the value is nested deeper than {0} levels")]
    ValueTooDeep(usize),
    /// `remove` with a non-null `value`.
    #[error("remove takes no value (or null)")]
    RemoveWithValue,
    /// Not `replace` on the lifetime.
    #[error("the lifetime can only be replaced, not {0}")]
    LifetimeOp(String),
    /// A lifetime that is not an integer from 300 to 86,400.
    #[error("the lifetime must be an integer from 300 to 86400 seconds, not {0}")]
    LifetimeValue(String),
    /// The patched claims are larger than the limit.
    #[error("the patched {token} claims are {len} bytes, more than the {max} accepted")]
    ClaimsTooLarge {
        /// `access token` or `ID token`.
        token: &'static str,
        /// Their size.
        len: usize,
        /// The limit.
        max: usize,
    },
}

impl RefusalKind {
    /// A stable snake_case id of the kind (the module docs' table; used by the test data).
    pub fn id(&self) -> &'static str {
        match self {
            RefusalKind::NotJson(_) => "not_json",
            RefusalKind::NotObject => "not_object",
            RefusalKind::TooLarge { .. } => "too_large",
            RefusalKind::CommandsNotArray => "commands_not_array",
            RefusalKind::TooManyCommands(_) => "too_many_commands",
            RefusalKind::CommandNotObject => "command_not_object",
            RefusalKind::UnknownCommand(_) => "unknown_command",
            RefusalKind::TokenNotMinted(..) => "token_not_minted",
            RefusalKind::ValueNotArray => "value_not_array",
            RefusalKind::TooManyOperations(_) => "too_many_operations",
            RefusalKind::OperationNotObject => "operation_not_object",
            RefusalKind::UnknownOp(_) => "unknown_op",
            RefusalKind::BadPath(_) => "bad_path",
            RefusalKind::PathTooLong(_) => "path_too_long",
            RefusalKind::PathTooDeep(_) => "path_too_deep",
            RefusalKind::SystemClaim { .. } => "system_claim",
            RefusalKind::ReservedClaim { .. } => "reserved_claim",
            RefusalKind::IdTokenAudSub(_) => "id_token_aud_sub",
            RefusalKind::ClaimAbsent { .. } => "claim_absent",
            RefusalKind::TargetAbsent(_) => "target_absent",
            RefusalKind::NotContainer(_) => "not_container",
            RefusalKind::BadIndex { .. } => "bad_index",
            RefusalKind::ValueMissing(_) => "value_missing",
            RefusalKind::ValueTooDeep(_) => "value_too_deep",
            RefusalKind::RemoveWithValue => "remove_with_value",
            RefusalKind::LifetimeOp(_) => "lifetime_op",
            RefusalKind::LifetimeValue(_) => "lifetime_value",
            RefusalKind::ClaimsTooLarge { .. } => "claims_too_large",
        }
    }
}

/// Which token a command patches.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Which {
    Identity,
    Access,
}

impl Which {
    fn token(self) -> &'static str {
        match self {
            Which::Identity => "ID token",
            Which::Access => "access token",
        }
    }
}

/// Claims both tokens keep to the server.
const SYSTEM_BOTH: [&str; 8] = [
    "iss",
    "ver",
    "jti",
    "iat",
    "exp",
    "nbf",
    "cnf",
    "token_type",
];

/// Access-token claims the server owns (Okta's access-token reserved names and system claims;
/// `aud` and `sub` are editable and handled apart).
const SYSTEM_ACCESS: [&str; 11] = [
    "cid",
    "uid",
    "scp",
    "auth_time",
    "acr",
    "amr",
    "as_uri",
    "groups",
    "rpt",
    "rsi",
    "username",
];

/// ID-token claims the server owns: its base claims and Okta's reserved ID-token names (`aud`
/// and `sub` are handled apart).
const SYSTEM_IDENTITY: [&str; 49] = [
    "amr",
    "idp",
    "auth_time",
    "nonce",
    "at_hash",
    "c_hash",
    "ds_hash",
    "acr",
    "active",
    "aid",
    "app_id",
    "app_type",
    "client_id",
    "client_ip",
    "client_req_id",
    "client_type",
    "client_user_agent",
    "device_compliance",
    "device_id",
    "device_known",
    "device_managed",
    "device_name",
    "device_trust",
    "did",
    "dst",
    "group",
    "groups",
    "hotk",
    "idp_iss",
    "mac_key",
    "may_act",
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
    "term",
    "user_ip",
    "cid",
    "uid",
    "scp",
];

fn is_system(which: Which, claim: &str) -> bool {
    SYSTEM_BOTH.contains(&claim)
        || match which {
            Which::Access => SYSTEM_ACCESS.contains(&claim),
            Which::Identity => SYSTEM_IDENTITY.contains(&claim),
        }
}

/// Applies a hook's answer (the body of its `200` response) to the tokens about to be
/// signed. All or nothing: either every operation applies ([`HookOutcome::Applied`]), or the
/// answer is ignored and the tokens stay as they are ([`HookOutcome::Ignored`]); an `error`
/// object is [`HookOutcome::Error`]. See the module docs for the operations, the refusals and
/// the limits.
pub fn apply_response(tokens: &HookTokens, body: &[u8], limits: &HookLimits) -> HookOutcome {
    let refuse = |kind| {
        HookOutcome::Ignored(HookRefusal {
            command: None,
            operation: None,
            target: None,
            kind,
        })
    };
    if body.len() > limits.max_response_bytes {
        return refuse(RefusalKind::TooLarge {
            len: body.len(),
            max: limits.max_response_bytes,
        });
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(value) => apply_response_value(tokens, &value, limits),
        Err(e) => refuse(RefusalKind::NotJson(e.to_string())),
    }
}

/// [`apply_response`] for an answer already parsed. The size limit of the body is not
/// checked (the value is already in memory); every other limit is.
pub fn apply_response_value(
    tokens: &HookTokens,
    response: &Value,
    limits: &HookLimits,
) -> HookOutcome {
    let at = |command, operation, target: Option<String>, kind| HookRefusal {
        command,
        operation,
        target,
        kind,
    };
    let Value::Object(response) = response else {
        return HookOutcome::Ignored(at(None, None, None, RefusalKind::NotObject));
    };
    if let Some(error) = response.get("error").filter(|e| !e.is_null()) {
        let summary = error
            .get("errorSummary")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .unwrap_or(DEFAULT_ERROR_SUMMARY);
        return HookOutcome::Error(
            OAuthError::with_arg(OAuthErrorId::InlineHookError, summary)
                .with_cause("the token inline hook answered with an error object"),
        );
    }
    let commands = match response.get("commands") {
        None | Some(Value::Null) => {
            return HookOutcome::Applied {
                tokens: tokens.clone(),
                operations: 0,
            };
        }
        Some(Value::Array(commands)) => commands,
        Some(_) => {
            return HookOutcome::Ignored(at(None, None, None, RefusalKind::CommandsNotArray));
        }
    };
    if commands.len() > limits.max_commands {
        return HookOutcome::Ignored(at(
            None,
            None,
            None,
            RefusalKind::TooManyCommands(limits.max_commands),
        ));
    }
    let mut patched = tokens.clone();
    let mut operations = 0usize;
    for (c, command) in commands.iter().enumerate() {
        let Value::Object(command) = command else {
            return HookOutcome::Ignored(at(Some(c), None, None, RefusalKind::CommandNotObject));
        };
        let (which, name) = match command.get("type").and_then(Value::as_str) {
            Some("com.okta.identity.patch") => (Which::Identity, "com.okta.identity.patch"),
            Some("com.okta.access.patch") => (Which::Access, "com.okta.access.patch"),
            _ => {
                let shown = command
                    .get("type")
                    .map_or_else(|| "(none)".to_owned(), Value::to_string);
                return HookOutcome::Ignored(at(
                    Some(c),
                    None,
                    None,
                    RefusalKind::UnknownCommand(truncate(&shown)),
                ));
            }
        };
        let token = match which {
            Which::Identity => patched.identity.as_mut(),
            Which::Access => patched.access.as_mut(),
        };
        let Some(token) = token else {
            return HookOutcome::Ignored(at(
                Some(c),
                None,
                None,
                RefusalKind::TokenNotMinted(name, which.token()),
            ));
        };
        let Some(Value::Array(ops)) = command.get("value") else {
            return HookOutcome::Ignored(at(Some(c), None, None, RefusalKind::ValueNotArray));
        };
        for (o, op) in ops.iter().enumerate() {
            operations += 1;
            if operations > limits.max_operations {
                return HookOutcome::Ignored(at(
                    Some(c),
                    Some(o),
                    None,
                    RefusalKind::TooManyOperations(limits.max_operations),
                ));
            }
            let Value::Object(op) = op else {
                return HookOutcome::Ignored(at(
                    Some(c),
                    Some(o),
                    None,
                    RefusalKind::OperationNotObject,
                ));
            };
            let target = describe(op);
            if let Err(kind) = apply_operation(token, which, op, limits) {
                return HookOutcome::Ignored(at(Some(c), Some(o), target, kind));
            }
        }
    }
    for (which, token) in [
        (Which::Identity, &patched.identity),
        (Which::Access, &patched.access),
    ] {
        if let Some(token) = token {
            let len = serde_json::to_vec(&token.claims).map_or(usize::MAX, |v| v.len());
            if len > limits.max_claims_bytes {
                return HookOutcome::Ignored(at(
                    None,
                    None,
                    None,
                    RefusalKind::ClaimsTooLarge {
                        token: which.token(),
                        len,
                        max: limits.max_claims_bytes,
                    },
                ));
            }
        }
    }
    HookOutcome::Applied {
        tokens: patched,
        operations,
    }
}

/// `op path` of an operation, for the refusal (each at most 100 characters).
fn describe(op: &Map<String, Value>) -> Option<String> {
    let op_name = op.get("op").and_then(Value::as_str)?;
    let path = op
        .get("path")
        .and_then(Value::as_str)
        .unwrap_or("(no path)");
    Some(format!("{} {}", truncate(op_name), truncate(path)))
}

fn truncate(s: &str) -> String {
    match s.char_indices().nth(100) {
        Some((i, _)) => format!("{}…", s.get(..i).unwrap_or_default()),
        None => s.to_owned(),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Replace,
    Remove,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Add => "add",
            Op::Replace => "replace",
            Op::Remove => "remove",
        }
    }
}

/// Splits a JSON Pointer (RFC 6901) into unescaped reference tokens.
fn pointer_tokens(path: &str, limits: &HookLimits) -> Result<Vec<String>, RefusalKind> {
    if path.len() > limits.max_path_bytes {
        return Err(RefusalKind::PathTooLong(limits.max_path_bytes));
    }
    let Some(rest) = path.strip_prefix('/') else {
        return Err(RefusalKind::BadPath(format!(
            "{} does not start with '/'",
            truncate(path)
        )));
    };
    let mut tokens = Vec::new();
    // Two more than the depth below `/claims/<name>`.
    for raw in rest.split('/') {
        if tokens.len() >= limits.max_path_depth.saturating_add(2) {
            return Err(RefusalKind::PathTooDeep(limits.max_path_depth));
        }
        let mut token = String::with_capacity(raw.len());
        let mut chars = raw.chars();
        while let Some(ch) = chars.next() {
            if ch == '~' {
                match chars.next() {
                    Some('0') => token.push('~'),
                    Some('1') => token.push('/'),
                    _ => {
                        return Err(RefusalKind::BadPath(format!(
                            "{} has a '~' that is not ~0 or ~1",
                            truncate(path)
                        )));
                    }
                }
            } else {
                token.push(ch);
            }
        }
        tokens.push(token);
    }
    Ok(tokens)
}

/// Nesting depth of a value, counted without recursion; stops early past `max`.
fn too_deep(value: &Value, max: usize) -> bool {
    let mut stack: Vec<(&Value, usize)> = vec![(value, 0)];
    while let Some((v, depth)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match v {
            Value::Array(a) => Box::new(a.iter()),
            Value::Object(o) => Box::new(o.values()),
            _ => continue,
        };
        if depth >= max {
            return true;
        }
        stack.extend(children.map(|c| (c, depth + 1)));
    }
    false
}

fn apply_operation(
    token: &mut HookToken,
    which: Which,
    op: &Map<String, Value>,
    limits: &HookLimits,
) -> Result<(), RefusalKind> {
    let kind = match op.get("op").and_then(Value::as_str) {
        Some("add") => Op::Add,
        Some("replace") => Op::Replace,
        Some("remove") => Op::Remove,
        _ => {
            let shown = op
                .get("op")
                .map_or_else(|| "(none)".to_owned(), Value::to_string);
            return Err(RefusalKind::UnknownOp(truncate(&shown)));
        }
    };
    let Some(path) = op.get("path").and_then(Value::as_str) else {
        return Err(RefusalKind::BadPath("no \"path\" string".into()));
    };
    let value = op.get("value");
    let value = match kind {
        Op::Remove => {
            if value.is_some_and(|v| !v.is_null()) {
                return Err(RefusalKind::RemoveWithValue);
            }
            None
        }
        _ => Some(value.ok_or(RefusalKind::ValueMissing(kind.name()))?),
    };
    if let Some(v) = value
        && too_deep(v, limits.max_value_depth)
    {
        return Err(RefusalKind::ValueTooDeep(limits.max_value_depth));
    }
    let tokens = pointer_tokens(path, limits)?;
    let (root, rest) = tokens
        .split_first()
        .ok_or_else(|| RefusalKind::BadPath("empty path".into()))?;
    match root.as_str() {
        "token" => {
            if rest != ["lifetime", "expiration"] {
                return Err(RefusalKind::BadPath(format!(
                    "{}: the only token path is /token/lifetime/expiration",
                    truncate(path)
                )));
            }
            if kind != Op::Replace {
                return Err(RefusalKind::LifetimeOp(kind.name().into()));
            }
            let v = value.ok_or(RefusalKind::ValueMissing("replace"))?;
            match v.as_i64().filter(|s| LIFETIME_RANGE.contains(s)) {
                Some(seconds) => {
                    token.lifetime = seconds;
                    Ok(())
                }
                None => Err(RefusalKind::LifetimeValue(truncate(&v.to_string()))),
            }
        }
        "claims" => {
            let Some((claim, inner)) = rest.split_first() else {
                return Err(RefusalKind::BadPath("/claims needs a claim name".into()));
            };
            if claim.is_empty() {
                return Err(RefusalKind::BadPath("the claim name is empty".into()));
            }
            patch_claim(token, which, kind, claim, inner, value)
        }
        _ => Err(RefusalKind::BadPath(format!(
            "{} is not under /claims/ or /token/lifetime/expiration",
            truncate(path)
        ))),
    }
}

fn patch_claim(
    token: &mut HookToken,
    which: Which,
    kind: Op,
    claim: &str,
    inner: &[String],
    value: Option<&Value>,
) -> Result<(), RefusalKind> {
    let exists = token.claims.contains_key(claim);
    let token_name = which.token();
    if is_system(which, claim) {
        return Err(if exists || kind != Op::Add || !inner.is_empty() {
            RefusalKind::SystemClaim {
                claim: claim.to_owned(),
                token: token_name,
            }
        } else {
            RefusalKind::ReservedClaim {
                claim: claim.to_owned(),
                token: token_name,
            }
        });
    }
    if claim == "aud" || claim == "sub" {
        match which {
            Which::Identity => return Err(RefusalKind::IdTokenAudSub(claim.to_owned())),
            // An access token's aud and sub may be replaced (add on the existing claim is a
            // replace), never removed, added or edited inside.
            Which::Access => {
                if kind == Op::Remove || !inner.is_empty() || !exists {
                    return Err(RefusalKind::SystemClaim {
                        claim: claim.to_owned(),
                        token: token_name,
                    });
                }
            }
        }
    }
    let Some((last, parents)) = inner.split_last() else {
        // The claim itself.
        return match kind {
            Op::Add => {
                let v = value.ok_or(RefusalKind::ValueMissing("add"))?;
                token.claims.insert(claim.to_owned(), v.clone());
                Ok(())
            }
            Op::Replace => {
                let slot = token
                    .claims
                    .get_mut(claim)
                    .ok_or_else(|| claim_absent(claim, token_name))?;
                *slot = value.ok_or(RefusalKind::ValueMissing("replace"))?.clone();
                Ok(())
            }
            Op::Remove => {
                token
                    .claims
                    .shift_remove(claim)
                    .ok_or_else(|| claim_absent(claim, token_name))?;
                Ok(())
            }
        };
    };
    let mut at = format!("/claims/{}", escape(claim));
    let mut node = token
        .claims
        .get_mut(claim)
        .ok_or_else(|| claim_absent(claim, token_name))?;
    for step in parents {
        node = match node {
            Value::Object(map) => map
                .get_mut(step.as_str())
                .ok_or_else(|| RefusalKind::TargetAbsent(format!("{at}/{}", escape(step))))?,
            Value::Array(list) => {
                let len = list.len();
                let i = array_index(step, len, false).ok_or_else(|| RefusalKind::BadIndex {
                    index: truncate(step),
                    at: at.clone(),
                    len,
                })?;
                list.get_mut(i)
                    .ok_or_else(|| RefusalKind::TargetAbsent(format!("{at}/{i}")))?
            }
            _ => return Err(RefusalKind::NotContainer(at)),
        };
        at.push('/');
        at.push_str(&escape(step));
    }
    match node {
        Value::Object(map) => match kind {
            Op::Add => {
                let v = value.ok_or(RefusalKind::ValueMissing("add"))?;
                map.insert(last.clone(), v.clone());
                Ok(())
            }
            Op::Replace => {
                let slot = map
                    .get_mut(last.as_str())
                    .ok_or_else(|| RefusalKind::TargetAbsent(format!("{at}/{}", escape(last))))?;
                *slot = value.ok_or(RefusalKind::ValueMissing("replace"))?.clone();
                Ok(())
            }
            Op::Remove => map
                .shift_remove(last.as_str())
                .map(|_| ())
                .ok_or_else(|| RefusalKind::TargetAbsent(format!("{at}/{}", escape(last)))),
        },
        Value::Array(list) => {
            let len = list.len();
            let bad = || RefusalKind::BadIndex {
                index: truncate(last),
                at: at.clone(),
                len,
            };
            let i = array_index(last, len, kind == Op::Add).ok_or_else(bad)?;
            match kind {
                Op::Add => {
                    let v = value.ok_or(RefusalKind::ValueMissing("add"))?;
                    list.insert(i, v.clone());
                }
                Op::Replace => {
                    let slot = list.get_mut(i).ok_or_else(bad)?;
                    *slot = value.ok_or(RefusalKind::ValueMissing("replace"))?.clone();
                }
                Op::Remove => {
                    if i >= len {
                        return Err(bad());
                    }
                    list.remove(i);
                }
            }
            Ok(())
        }
        _ => Err(RefusalKind::NotContainer(at)),
    }
}

fn claim_absent(claim: &str, token: &'static str) -> RefusalKind {
    RefusalKind::ClaimAbsent {
        claim: claim.to_owned(),
        token,
    }
}

/// An RFC 6901 array index: `0` or digits without a leading zero, below `len` (up to `len`
/// and `-` = `len` when inserting).
fn array_index(token: &str, len: usize, insert: bool) -> Option<usize> {
    if token == "-" {
        return insert.then_some(len);
    }
    let digits = !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit());
    if !digits || (token.len() > 1 && token.starts_with('0')) {
        return None;
    }
    let i: usize = token.parse().ok()?;
    let limit = if insert { len } else { len.checked_sub(1)? };
    (i <= limit).then_some(i)
}

/// RFC 6901 escaping of one reference token.
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}
