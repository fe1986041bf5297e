//! [`ServerConfig`], the bundle of one server with everything it owns (published at the crate
//! root).

use super::{Claim, Policy, Scope, Server};
use serde::{Deserialize, Serialize};

/// A custom authorization server with its scopes, claims and access policies (each with its
/// rules): the input of [`AuthorizationServer::compile`](crate::AuthorizationServer::compile).
///
/// JSON shape: `{"authorizationServer": {...}, "scopes": [...], "claims": [...],
/// "policies": [{..., "rules": [...]}]}`, each object as the Management API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerConfig {
    /// The authorization server object.
    pub authorization_server: Server,
    /// The server's scopes. The system scopes (`openid`, `profile`, …) exist even when omitted.
    #[serde(default)]
    pub scopes: Vec<Scope>,
    /// The server's claims, in the order they appear in tokens.
    #[serde(default)]
    pub claims: Vec<Claim>,
    /// The server's access policies, each with its rules.
    #[serde(default)]
    pub policies: Vec<Policy>,
}
