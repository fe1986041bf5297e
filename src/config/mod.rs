//! The configuration model: serde types for the Okta Management API objects of a custom
//! authorization server (server, scope, claim, access policy and rule), read and written in
//! Okta's own JSON shapes, plus [`ServerConfig`], the bundle of one server with everything it owns.
//!
//! The types are plain data. Fields Okta's API may omit have Okta's documented defaults, fields
//! that are required but missing are reported by validation (with every other problem at once)
//! rather than by the JSON reader, and fields the model does not know are kept in `extra` so that
//! a round trip loses nothing.
//!
//! ```
//! use tokenmint::ServerConfig;
//! use tokenmint::config::Status;
//!
//! let cfg = ServerConfig::from_json(r#"{
//!   "authorizationServer": {"name": "default", "audiences": ["api://default"],
//!                           "issuer": "https://example.okta.com/oauth2/default"},
//!   "scopes": [{"name": "orders:read", "default": true}],
//!   "policies": [{"name": "Default Policy", "priority": 1,
//!                 "conditions": {"clients": {"include": ["ALL_CLIENTS"]}},
//!                 "rules": [{"name": "Any client", "priority": 1,
//!                            "conditions": {"grantTypes": {"include": ["client_credentials"]},
//!                                           "scopes": {"include": ["*"]}}}]}]
//! }"#).unwrap();
//! assert_eq!(cfg.policies[0].rules[0].status, Status::Active);
//! assert_eq!(cfg.policies[0].rules[0].actions.token.access_token_lifetime_minutes, 60);
//! ```

#[macro_use]
mod members;

mod api;
pub(crate) mod bundle;
pub(crate) mod diagnostic;
mod load;
pub(crate) mod position;
pub mod terraform;

pub use api::ApiResponses;
pub(crate) use bundle::ServerConfig;
pub(crate) use diagnostic::{ConfigError, Diagnostic, Quoted, pointer};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use std::fmt;

/// Extra JSON members of an object that the model does not know; kept so round trips lose nothing.
///
/// Almost every object has none, so an empty `Extra` is one null pointer (a configuration holds
/// a dozen of them per rule). It reads like a map of member names to JSON values.
///
/// ```
/// use tokenmint::ServerConfig;
///
/// let cfg = ServerConfig::from_json(r#"{"authorizationServer": {"name": "s",
///     "futureField": {"a": 1}}}"#).unwrap();
/// let extra = &cfg.authorization_server.extra;
/// assert_eq!(extra.len(), 1);
/// assert_eq!(extra["futureField"]["a"], 1);
/// assert!(extra["absent"].is_null());
/// assert_eq!(extra.keys().collect::<Vec<_>>(), ["futureField"]);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Extra(Option<Box<Map<String, Value>>>);

static NULL: Value = Value::Null;

impl Extra {
    /// No members.
    pub fn new() -> Extra {
        Extra(None)
    }

    /// Whether there is no member.
    pub fn is_empty(&self) -> bool {
        self.0.as_ref().is_none_or(|m| m.is_empty())
    }

    /// How many members there are.
    pub fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |m| m.len())
    }

    /// The value of a member.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.as_ref().and_then(|m| m.get(key))
    }

    /// Whether a member is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The member names, in document order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.iter().map(|(k, _)| k)
    }

    /// The members, in document order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0
            .iter()
            .flat_map(|m| m.iter().map(|(k, v)| (k.as_str(), v)))
    }

    /// Adds or replaces a member; returns the value it replaced.
    pub fn insert(&mut self, key: impl Into<String>, value: Value) -> Option<Value> {
        self.0.get_or_insert_default().insert(key.into(), value)
    }

    /// Removes a member; returns its value.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let m = self.0.as_mut()?;
        let v = m.shift_remove(key);
        if m.is_empty() {
            self.0 = None;
        }
        v
    }
}

/// A missing member reads as `null` (like indexing a JSON value).
impl std::ops::Index<&str> for Extra {
    type Output = Value;
    fn index(&self, key: &str) -> &Value {
        self.get(key).unwrap_or(&NULL)
    }
}

impl Serialize for Extra {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.len()))?;
        for (k, v) in self.iter() {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Extra {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let m = Map::<String, Value>::deserialize(d)?;
        Ok(Extra((!m.is_empty()).then(|| Box::new(m))))
    }
}

/// `ACTIVE` or `INACTIVE` (Okta's `LifecycleStatus`). Absent means `ACTIVE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    /// In use.
    #[default]
    Active,
    /// Kept but not used: inactive policies, rules and claims are skipped.
    Inactive,
}

config_struct! {
    /// The authorization server object (`/api/v1/authorizationServers/{id}`).
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    pub struct Server {
        /// Read-only id, e.g. `ausain6z9zIedDCxB0h7` or `default`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub id: Option<String>,
        /// Name (required).
        #[serde(default)]
        pub name: String,
        /// Description.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub description: Option<String>,
        /// Audiences; Okta supports exactly one. It becomes the access token's `aud`.
        #[serde(default, deserialize_with = "exact")]
        pub audiences: Vec<String>,
        /// The issuer URL, the `iss` of every token (`https://{domain}/oauth2/{id}`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub issuer: Option<String>,
        /// How the issuer is chosen.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub issuer_mode: Option<IssuerMode>,
        /// Lifecycle status; an inactive server refuses every request.
        #[serde(default)]
        pub status: Status,
        /// Read-only: whether this is the org's `default` custom authorization server.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub default: Option<bool>,
        /// Read-only signing-key information.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub credentials: Option<Credentials>,
        /// Access-token encryption algorithm (`RSA-OAEP-256`, `RSA-OAEP-384`, `RSA-OAEP-512`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub access_token_encrypted_response_algorithm: Option<String>,
        /// Resource-server encryption keys.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub jwks: Option<Value>,
        /// Resource-server encryption keys, by URL.
        #[serde(default, rename = "jwks_uri", skip_serializing_if = "Option::is_none")]
        pub jwks_uri: Option<String>,
        /// Read-only creation time.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub created: Option<String>,
        /// Read-only last update time.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub last_updated: Option<String>,
        /// Read-only links.
        #[serde(default, rename = "_links", skip_serializing_if = "Option::is_none")]
        pub links: Option<Box<Value>>,
        /// Members the model does not know.
        #[serde(flatten)]
        pub extra: Extra,
    }
}

/// `issuerMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IssuerMode {
    /// The issuer uses the org's Okta domain.
    OrgUrl,
    /// The issuer uses the custom domain.
    CustomUrl,
    /// The issuer follows the domain the request came to.
    Dynamic,
}

/// `credentials` of a server.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Credentials {
    /// Signing-key information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing: Option<SigningCredentials>,
    /// Members the model does not know.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `credentials.signing`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SigningCredentials {
    /// Read-only id of the active signing key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// `AUTO` (Okta rotates every 90 days) or `MANUAL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation_mode: Option<RotationMode>,
    /// Read-only: when the active key started signing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_rotated: Option<String>,
    /// Read-only: next automatic rotation (AUTO only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_rotation: Option<String>,
    /// Key use; only `sig`.
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    pub key_use: Option<String>,
    /// Members the model does not know.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Key rotation mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RotationMode {
    /// Keys rotate automatically every 90 days; the next key is published in advance.
    #[default]
    Auto,
    /// Keys rotate only when asked.
    Manual,
}

config_struct! {
    /// A scope (`/api/v1/authorizationServers/{id}/scopes/{scopeId}`).
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    pub struct Scope {
        /// Read-only id, e.g. `scp5yu8kLOnDzo7lh0g4`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub id: Option<String>,
        /// Name (required): printable ASCII without space, `"` or `\`.
        #[serde(default)]
        pub name: String,
        /// Text shown in the consent dialog.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub display_name: Option<String>,
        /// Description.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub description: Option<String>,
        /// Whether Okta created the scope.
        #[serde(default)]
        pub system: bool,
        /// Granted when a request has no `scope` parameter (if the matching rule allows it).
        #[serde(default)]
        pub default: bool,
        /// Consent mode; `IMPLICIT` when absent.
        #[serde(default)]
        pub consent: Consent,
        /// Whether the user may skip consent for this scope.
        #[serde(default)]
        pub optional: bool,
        /// Whether discovery documents list the scope; `NO_CLIENTS` when absent.
        #[serde(default)]
        pub metadata_publish: MetadataPublish,
        /// Read-only links.
        #[serde(default, rename = "_links", skip_serializing_if = "Option::is_none")]
        pub links: Option<Box<Value>>,
        /// Members the model does not know.
        #[serde(flatten)]
        pub extra: Extra,
    }
}

/// A scope's consent mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Consent {
    /// The user is asked.
    Required,
    /// The user is not asked.
    #[default]
    Implicit,
    /// Asked only when the client asks for consent; granted without a prompt to client credentials.
    Flexible,
}

/// Whether discovery metadata lists a scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MetadataPublish {
    /// Listed in `scopes_supported`.
    AllClients,
    /// Not listed.
    #[default]
    NoClients,
}

config_struct! {
    /// A claim (`/api/v1/authorizationServers/{id}/claims/{claimId}`).
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    pub struct Claim {
        /// Read-only id, e.g. `oclain6za1HQ0noop0h7`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub id: Option<String>,
        /// The claim's name in the token (required).
        #[serde(default)]
        pub name: String,
        /// Inactive claims are never emitted.
        #[serde(default)]
        pub status: Status,
        /// `RESOURCE` (access token) or `IDENTITY` (ID token); required.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub claim_type: Option<ClaimType>,
        /// `EXPRESSION`, `GROUPS` or `SYSTEM`; required.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub value_type: Option<ValueType>,
        /// An expression (EXPRESSION, SYSTEM) or a group-name filter (GROUPS).
        #[serde(default)]
        pub value: String,
        /// How a GROUPS filter matches group names; snake_case on the wire.
        #[serde(
            default,
            rename = "group_filter_type",
            skip_serializing_if = "Option::is_none"
        )]
        pub group_filter_type: Option<GroupFilterType>,
        /// ID-token claims: whether the claim is in ID tokens issued together with an access token.
        /// Absent means `true`; the strings `"TRUE"`/`"true"`/`"FALSE"`/`"false"` are accepted.
        #[serde(
            default,
            deserialize_with = "de_lenient_bool",
            skip_serializing_if = "Option::is_none"
        )]
        pub always_include_in_token: Option<bool>,
        /// Scope conditions.
        #[serde(default)]
        pub conditions: ClaimConditions,
        /// Whether Okta created the claim.
        #[serde(default)]
        pub system: bool,
        /// `apiResourceId` (undocumented; kept as given).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub api_resource_id: Option<Value>,
        /// Read-only links.
        #[serde(default, rename = "_links", skip_serializing_if = "Option::is_none")]
        pub links: Option<Box<Value>>,
        /// Members the model does not know.
        #[serde(flatten)]
        pub extra: Extra,
    }
}

impl Claim {
    /// `alwaysIncludeInToken` with its default (`true`) applied.
    pub fn always_include(&self) -> bool {
        self.always_include_in_token.unwrap_or(true)
    }
}

/// Which token a claim goes into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ClaimType {
    /// The access token.
    Resource,
    /// The ID token (and userinfo).
    Identity,
}

/// How a claim's value is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ValueType {
    /// An Okta Expression Language expression.
    Expression,
    /// A filter over the names of the user's Okta groups.
    Groups,
    /// A system claim; its value is an expression like EXPRESSION.
    System,
}

/// The group filter of a GROUPS claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum GroupFilterType {
    /// Group name starts with the value (case-insensitive).
    StartsWith,
    /// Group name equals the value (case-insensitive).
    Equals,
    /// Group name contains the value (case-insensitive).
    Contains,
    /// The whole group name matches the regular expression (case-sensitive).
    Regex,
}

config_struct! {
    /// `conditions` of a claim.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    pub struct ClaimConditions {
        /// Scopes the claim is tied to; empty means any scope.
        #[serde(default, deserialize_with = "exact")]
        pub scopes: Vec<String>,
        /// Members the model does not know.
        #[serde(flatten)]
        pub extra: Extra,
    }
}

config_struct! {
    /// An access policy (`OAUTH_AUTHORIZATION_POLICY`) with its rules.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    pub struct Policy {
        /// Read-only id, e.g. `00palyaappA22DPkj0h7`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub id: Option<String>,
        /// `OAUTH_AUTHORIZATION_POLICY`.
        #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
        pub policy_type: Option<String>,
        /// Name (required, 1–100 characters).
        #[serde(default)]
        pub name: String,
        /// Description (1–255 characters).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub description: Option<String>,
        /// Evaluation order, 1 first. Absent: after every policy with a priority, in document order.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub priority: Option<i64>,
        /// Inactive policies are skipped.
        #[serde(default)]
        pub status: Status,
        /// Whether Okta created the policy.
        #[serde(default)]
        pub system: bool,
        /// Which clients the policy applies to.
        #[serde(default)]
        pub conditions: PolicyConditions,
        /// Read-only creation time.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub created: Option<String>,
        /// Read-only last update time.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub last_updated: Option<String>,
        /// Read-only links.
        #[serde(default, rename = "_links", skip_serializing_if = "Option::is_none")]
        pub links: Option<Box<Value>>,
        /// The policy's rules (separate API objects, nested in the bundle).
        #[serde(default, deserialize_with = "exact")]
        pub rules: Vec<Rule>,
        /// Members the model does not know.
        #[serde(flatten)]
        pub extra: Extra,
    }
}

config_struct! {
    /// `conditions` of a policy.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    pub struct PolicyConditions {
        /// Client condition: client ids or `ALL_CLIENTS`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub clients: Option<IncludeList>,
        /// Members the model does not know.
        #[serde(flatten)]
        pub extra: Extra,
    }
}

/// The reserved client id that makes a policy apply to every client.
pub const ALL_CLIENTS: &str = "ALL_CLIENTS";
/// The reserved group id for every user.
pub const EVERYONE: &str = "EVERYONE";

/// `{"include": [...]}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct IncludeList {
    /// Included values.
    #[serde(default, deserialize_with = "exact")]
    pub include: Vec<String>,
    /// Members the model does not know.
    #[serde(flatten)]
    pub extra: Extra,
}

config_struct! {
    /// `{"include": [...], "exclude": [...]}`.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    pub struct IncludeExclude {
        /// Included ids.
        #[serde(default, deserialize_with = "exact")]
        pub include: Vec<String>,
        /// Excluded ids; exclusion beats inclusion.
        #[serde(
            default,
            deserialize_with = "exact",
            skip_serializing_if = "Vec::is_empty"
        )]
        pub exclude: Vec<String>,
        /// Members the model does not know.
        #[serde(flatten)]
        pub extra: Extra,
    }
}

config_struct! {
    /// A policy rule (`RESOURCE_ACCESS`).
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    pub struct Rule {
        /// Read-only id, e.g. `0pr…`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub id: Option<String>,
        /// `RESOURCE_ACCESS`.
        #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
        pub rule_type: Option<String>,
        /// Name (required).
        #[serde(default)]
        pub name: String,
        /// Inactive rules are skipped.
        #[serde(default)]
        pub status: Status,
        /// Evaluation order inside the policy, 1 first. Absent: after every rule with a priority.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub priority: Option<i64>,
        /// Whether Okta created the rule.
        #[serde(default)]
        pub system: bool,
        /// Grant-type, people and scope conditions.
        #[serde(default)]
        pub conditions: RuleConditions,
        /// Token lifetimes and inline hook.
        #[serde(default)]
        pub actions: RuleActions,
        /// Read-only creation time.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub created: Option<String>,
        /// Read-only last update time.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub last_updated: Option<String>,
        /// Read-only links.
        #[serde(default, rename = "_links", skip_serializing_if = "Option::is_none")]
        pub links: Option<Box<Value>>,
        /// Members the model does not know.
        #[serde(flatten)]
        pub extra: Extra,
    }
}

config_struct! {
    /// `conditions` of a rule.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    pub struct RuleConditions {
        /// Users and groups; absent or empty means the rule is for requests without a user.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub people: Option<People>,
        /// Grant types the rule applies to.
        #[serde(default)]
        pub grant_types: GrantTypes,
        /// Scopes the rule allows (`*` = any).
        #[serde(default)]
        pub scopes: IncludeList,
        /// Members the model does not know.
        #[serde(flatten)]
        pub extra: Extra,
    }
}

config_struct! {
    /// `conditions.people` of a rule.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    pub struct People {
        /// User ids.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub users: Option<IncludeExclude>,
        /// Group ids, or `EVERYONE`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub groups: Option<IncludeExclude>,
        /// Members the model does not know.
        #[serde(flatten)]
        pub extra: Extra,
    }
}

impl People {
    /// Whether the condition names at least one user or group to include.
    pub fn has_includes(&self) -> bool {
        self.users.as_ref().is_some_and(|u| !u.include.is_empty())
            || self.groups.as_ref().is_some_and(|g| !g.include.is_empty())
    }
}

/// `conditions.grantTypes` of a rule.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GrantTypes {
    /// Grant types.
    #[serde(default, deserialize_with = "exact")]
    pub include: Vec<GrantType>,
    /// Members the model does not know.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `actions` of a rule.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RuleActions {
    /// Token settings.
    #[serde(default)]
    pub token: TokenActions,
    /// Members the model does not know.
    #[serde(flatten)]
    pub extra: Extra,
}

config_struct! {
    /// `actions.token` of a rule: lifetimes in minutes and the optional token inline hook.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct TokenActions {
        /// Access-token lifetime, 5–1440 minutes; 60 when absent.
        #[serde(default = "default_access_lifetime")]
        pub access_token_lifetime_minutes: i64,
        /// Refresh-token lifetime in minutes: 0 = unlimited (the default), else ≥ the access lifetime.
        #[serde(default)]
        pub refresh_token_lifetime_minutes: i64,
        /// Refresh-token idle window, 10–2,628,000 minutes; 10080 (7 days) when absent.
        #[serde(default = "default_refresh_window")]
        pub refresh_token_window_minutes: i64,
        /// Token inline hook.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub inline_hook: Option<InlineHookRef>,
        /// Members the model does not know.
        #[serde(flatten)]
        pub extra: Extra,
    }
}

impl Default for TokenActions {
    fn default() -> Self {
        TokenActions {
            access_token_lifetime_minutes: default_access_lifetime(),
            refresh_token_lifetime_minutes: 0,
            refresh_token_window_minutes: default_refresh_window(),
            inline_hook: None,
            extra: Extra::new(),
        }
    }
}

fn default_access_lifetime() -> i64 {
    60
}
fn default_refresh_window() -> i64 {
    10080
}

/// `actions.token.inlineHook`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct InlineHookRef {
    /// The hook's id (prefix `cal`).
    #[serde(default)]
    pub id: String,
    /// Members the model does not know.
    #[serde(flatten)]
    pub extra: Extra,
}

/// An OAuth 2.0 grant type, by its wire string. Unknown strings are kept (and reported by
/// validation) so that a typo is a located diagnostic rather than a parse failure.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GrantType {
    /// `authorization_code`
    AuthorizationCode,
    /// `implicit`
    Implicit,
    /// `password`
    Password,
    /// `client_credentials`
    ClientCredentials,
    /// `refresh_token`
    RefreshToken,
    /// `urn:ietf:params:oauth:grant-type:device_code`
    DeviceCode,
    /// `urn:ietf:params:oauth:grant-type:token-exchange`
    TokenExchange,
    /// `urn:ietf:params:oauth:grant-type:saml2-bearer`
    Saml2Bearer,
    /// `urn:ietf:params:oauth:grant-type:jwt-bearer`
    JwtBearer,
    /// `urn:openid:params:grant-type:ciba`
    Ciba,
    /// `interaction_code`
    InteractionCode,
    /// `urn:okta:params:oauth:grant-type:otp`
    Otp,
    /// `urn:okta:params:oauth:grant-type:oob`
    Oob,
    /// `http://auth0.com/oauth/grant-type/mfa-otp`
    MfaOtp,
    /// `http://auth0.com/oauth/grant-type/mfa-oob`
    MfaOob,
    /// Any other string (not a grant type Okta knows).
    Other(String),
}

impl GrantType {
    /// Every grant type Okta knows, in a fixed order.
    pub const KNOWN: [GrantType; 15] = [
        GrantType::AuthorizationCode,
        GrantType::Implicit,
        GrantType::Password,
        GrantType::ClientCredentials,
        GrantType::RefreshToken,
        GrantType::DeviceCode,
        GrantType::TokenExchange,
        GrantType::Saml2Bearer,
        GrantType::JwtBearer,
        GrantType::Ciba,
        GrantType::InteractionCode,
        GrantType::Otp,
        GrantType::Oob,
        GrantType::MfaOtp,
        GrantType::MfaOob,
    ];

    /// The wire string.
    pub fn as_str(&self) -> &str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::Implicit => "implicit",
            GrantType::Password => "password",
            GrantType::ClientCredentials => "client_credentials",
            GrantType::RefreshToken => "refresh_token",
            GrantType::DeviceCode => "urn:ietf:params:oauth:grant-type:device_code",
            GrantType::TokenExchange => "urn:ietf:params:oauth:grant-type:token-exchange",
            GrantType::Saml2Bearer => "urn:ietf:params:oauth:grant-type:saml2-bearer",
            GrantType::JwtBearer => "urn:ietf:params:oauth:grant-type:jwt-bearer",
            GrantType::Ciba => "urn:openid:params:grant-type:ciba",
            GrantType::InteractionCode => "interaction_code",
            GrantType::Otp => "urn:okta:params:oauth:grant-type:otp",
            GrantType::Oob => "urn:okta:params:oauth:grant-type:oob",
            GrantType::MfaOtp => "http://auth0.com/oauth/grant-type/mfa-otp",
            GrantType::MfaOob => "http://auth0.com/oauth/grant-type/mfa-oob",
            GrantType::Other(s) => s,
        }
    }

    /// Parses a wire string; unknown strings become [`GrantType::Other`].
    pub fn parse(s: &str) -> GrantType {
        GrantType::KNOWN
            .iter()
            .find(|g| g.as_str() == s)
            .cloned()
            .unwrap_or_else(|| GrantType::Other(s.to_owned()))
    }

    /// Whether Okta knows this grant type.
    pub fn is_known(&self) -> bool {
        !matches!(self, GrantType::Other(_))
    }

    /// Grant types for which Okta requires a rule to name users or groups
    /// (`authorization_code`, `implicit`, `password`).
    pub fn requires_people(&self) -> bool {
        matches!(
            self,
            GrantType::AuthorizationCode | GrantType::Implicit | GrantType::Password
        )
    }
}

impl fmt::Display for GrantType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for GrantType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for GrantType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Known grant types are read without allocating.
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = GrantType;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a grant type string")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<GrantType, E> {
                Ok(GrantType::parse(s))
            }
            fn visit_string<E: serde::de::Error>(self, s: String) -> Result<GrantType, E> {
                Ok(match GrantType::parse(&s) {
                    GrantType::Other(_) => GrantType::Other(s),
                    known => known,
                })
            }
        }
        d.deserialize_str(V)
    }
}

/// A list with no spare capacity: a configuration holds several short lists per rule, and a
/// growing vector keeps room for four.
fn exact<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    let mut v = Vec::<T>::deserialize(d)?;
    v.shrink_to_fit();
    Ok(v)
}

/// Accepts `true`/`false` and the strings `"TRUE"`, `"true"`, `"FALSE"`, `"false"` (Okta's own
/// examples send strings).
fn de_lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum B {
        Bool(bool),
        Str(String),
    }
    match Option::<B>::deserialize(d)? {
        None => Ok(None),
        Some(B::Bool(b)) => Ok(Some(b)),
        Some(B::Str(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(B::Str(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(B::Str(s)) => Err(serde::de::Error::custom(format!(
            "expected true or false (or the string \"TRUE\"/\"FALSE\"), found the string {s:?}"
        ))),
    }
}

/// The scopes every custom authorization server has, with Okta's metadata
/// (`system: true`, `consent: IMPLICIT`, `metadataPublish: ALL_CLIENTS`).
pub fn system_scopes() -> Vec<Scope> {
    const SYSTEM: [(&str, &str, &str); 7] = [
        (
            "openid",
            "openid",
            "Signals that a request is an OpenID request.",
        ),
        (
            "profile",
            "View your profile information.",
            "The exact data varies based on what profile information you have provided, such as: name, time zone, picture, or birthday.",
        ),
        (
            "email",
            "View your email address.",
            "This allows the app to view your email address.",
        ),
        (
            "address",
            "View your address.",
            "This allows the app to view your address, such as: street address, city, state, and zip code.",
        ),
        (
            "phone",
            "View your phone number.",
            "This allows the app to view your phone number.",
        ),
        (
            "offline_access",
            "Keep you signed in to the app.",
            "This keeps you signed in to the app, even when you are not using it.",
        ),
        (
            "device_sso",
            "Request device secret.",
            "This allows you to single sign on between native client applications on your device.",
        ),
    ];
    SYSTEM
        .iter()
        .map(|(name, display, description)| Scope {
            name: (*name).to_owned(),
            display_name: Some((*display).to_owned()),
            description: Some((*description).to_owned()),
            system: true,
            metadata_publish: MetadataPublish::AllClients,
            ..Scope::default()
        })
        .collect()
}

/// Names of the system scopes (see [`system_scopes`]).
pub const SYSTEM_SCOPE_NAMES: [&str; 7] = [
    "openid",
    "profile",
    "email",
    "address",
    "phone",
    "offline_access",
    "device_sso",
];
