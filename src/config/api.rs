//! A [`ServerConfig`] from the Management API responses a host fetched, as they come: the
//! server, its scopes, claims and policies, and each policy's rules, each a separate body.

use super::ServerConfig;
use super::diagnostic::ConfigError;
use super::diagnostic::{Diagnostic, pointer};
use serde_json::{Map, Value};

/// The bodies of the Management API responses that describe one authorization server, to be
/// assembled into a [`ServerConfig`] bundle:
///
/// | call | method |
/// |---|---|
/// | `GET /api/v1/authorizationServers/{id}` | [`ApiResponses::new`] |
/// | `GET /api/v1/authorizationServers/{id}/scopes` | [`ApiResponses::scopes`] |
/// | `GET /api/v1/authorizationServers/{id}/claims` | [`ApiResponses::claims`] |
/// | `GET /api/v1/authorizationServers/{id}/policies` | [`ApiResponses::policies`] |
/// | `GET /api/v1/authorizationServers/{id}/policies/{policyId}/rules` | [`ApiResponses::rules`] |
///
/// A list that Okta paginates is given one page per call, in order. Every policy needs its
/// rules response (an empty array when it has none): a policy whose rules were not fetched is
/// an error rather than a policy without rules, which would change decisions silently.
///
/// ```
/// use tokenmint::config::ApiResponses;
///
/// let cfg = ApiResponses::new(r#"{"id": "aus1", "name": "Orders", "audiences": ["api://orders"],
///         "issuer": "https://example.okta.com/oauth2/aus1", "status": "ACTIVE",
///         "_links": {"self": {"href": "https://example.okta.com/api/v1/authorizationServers/aus1"}}}"#)
///     .scopes(r#"[{"id": "scp1", "name": "orders:read", "system": false}]"#)
///     .claims("[]")
///     .policies(r#"[{"id": "00p1", "type": "OAUTH_AUTHORIZATION_POLICY", "name": "Services",
///                   "description": "Back ends", "priority": 1, "status": "ACTIVE",
///                   "conditions": {"clients": {"include": ["ALL_CLIENTS"]}}}]"#)
///     .rules("00p1", r#"[{"id": "0pr1", "type": "RESOURCE_ACCESS", "name": "Read", "priority": 1,
///                         "conditions": {"grantTypes": {"include": ["client_credentials"]},
///                                        "scopes": {"include": ["orders:read"]}}}]"#)
///     .into_config()?;
/// assert_eq!(cfg.policies[0].rules[0].name, "Read");
///
/// // A policy whose rules weren't fetched is reported, not taken as a policy without rules.
/// let err = ApiResponses::new(r#"{"name": "x"}"#)
///     .policies(r#"[{"id": "00p1", "name": "P"}]"#)
///     .into_config()
///     .unwrap_err();
/// assert_eq!(err.diagnostics[0].code, "api.rules.missing");
/// # Ok::<(), tokenmint::ConfigError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct ApiResponses {
    server: String,
    scopes: Vec<String>,
    claims: Vec<String>,
    policies: Vec<String>,
    rules: Vec<(String, String)>,
}

/// One response body, parsed, or the diagnostic saying why it isn't usable.
fn parse(body: &str, call: &str, path: &str, diags: &mut Vec<Diagnostic>) -> Option<Value> {
    match serde_json::from_str::<Value>(body) {
        Ok(v) => Some(v),
        Err(e) => {
            diags.push(Diagnostic::error(
                "api.json",
                path,
                format!("the response of {call} is not valid JSON: {e}"),
            ));
            None
        }
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The pages of a list response, concatenated.
fn list(pages: &[String], call: &str, path: &str, diags: &mut Vec<Diagnostic>) -> Vec<Value> {
    let mut out = Vec::new();
    for (i, page) in pages.iter().enumerate() {
        let call = if pages.len() > 1 {
            format!("{call} (page {})", i + 1)
        } else {
            call.to_owned()
        };
        match parse(page, &call, path, diags) {
            Some(Value::Array(items)) => out.extend(items),
            Some(other) => diags.push(Diagnostic::error(
                "api.shape",
                path,
                format!(
                    "the response of {call} is {}; the API returns an array",
                    kind(&other)
                ),
            )),
            None => {}
        }
    }
    out
}

impl ApiResponses {
    /// Starts from the body of `GET /api/v1/authorizationServers/{id}`.
    pub fn new(server: &str) -> ApiResponses {
        ApiResponses {
            server: server.to_owned(),
            ..ApiResponses::default()
        }
    }

    /// Adds a page of `GET …/scopes`.
    pub fn scopes(mut self, body: &str) -> ApiResponses {
        self.scopes.push(body.to_owned());
        self
    }

    /// Adds a page of `GET …/claims`.
    pub fn claims(mut self, body: &str) -> ApiResponses {
        self.claims.push(body.to_owned());
        self
    }

    /// Adds a page of `GET …/policies`.
    pub fn policies(mut self, body: &str) -> ApiResponses {
        self.policies.push(body.to_owned());
        self
    }

    /// Adds a page of `GET …/policies/{policy_id}/rules`.
    pub fn rules(mut self, policy_id: &str, body: &str) -> ApiResponses {
        self.rules.push((policy_id.to_owned(), body.to_owned()));
        self
    }

    /// Assembles the bundle and reads it like [`ServerConfig::from_json`]: every problem at
    /// once, located by a JSON pointer into the assembled bundle (list indexes count across
    /// pages; a rule is under its policy, `/policies/2/rules/0`). Responses that aren't JSON,
    /// aren't the shape the call returns, or don't fit together (rules of a policy the
    /// policies response doesn't have, a policy without its rules response) are reported with
    /// the call they came from.
    pub fn into_config(self) -> Result<ServerConfig, ConfigError> {
        let mut diags = Vec::new();
        let server_call = "GET /api/v1/authorizationServers/{id}";
        let server = match parse(
            &self.server,
            server_call,
            "/authorizationServer",
            &mut diags,
        ) {
            Some(v @ Value::Object(_)) => Some(v),
            Some(other) => {
                let hint = if other.is_array() {
                    "that is the list of GET /api/v1/authorizationServers; pass the server's own object"
                } else {
                    "pass the body of GET /api/v1/authorizationServers/{id}"
                };
                diags.push(
                    Diagnostic::error(
                        "api.shape",
                        "/authorizationServer",
                        format!(
                            "the response of {server_call} is {}; the API returns an object",
                            kind(&other)
                        ),
                    )
                    .with_hint(hint),
                );
                None
            }
            None => None,
        };
        let scopes = list(
            &self.scopes,
            "GET /api/v1/authorizationServers/{id}/scopes",
            "/scopes",
            &mut diags,
        );
        let claims = list(
            &self.claims,
            "GET /api/v1/authorizationServers/{id}/claims",
            "/claims",
            &mut diags,
        );
        let mut policies = list(
            &self.policies,
            "GET /api/v1/authorizationServers/{id}/policies",
            "/policies",
            &mut diags,
        );
        // Rules by policy id, pages in order.
        let mut rules: Vec<(String, Vec<Value>)> = Vec::new();
        for (policy_id, body) in &self.rules {
            let call =
                format!("GET /api/v1/authorizationServers/{{id}}/policies/{policy_id}/rules");
            let at = policies
                .iter()
                .position(|p| p.get("id").and_then(Value::as_str) == Some(policy_id.as_str()));
            let path = match at {
                Some(i) => pointer(&pointer("/policies", i), "rules"),
                None => "/policies".to_owned(),
            };
            let items = list(std::slice::from_ref(body), &call, &path, &mut diags);
            match rules.iter_mut().find(|(id, _)| id == policy_id) {
                Some((_, r)) => r.extend(items),
                None => rules.push((policy_id.clone(), items)),
            }
        }
        let mut used = vec![false; rules.len()];
        for (i, p) in policies.iter_mut().enumerate() {
            let path = pointer("/policies", i);
            let Value::Object(p) = p else {
                continue; // reported by the bundle reader
            };
            let id = p.get("id").and_then(Value::as_str).map(str::to_owned);
            let fetched = id
                .as_deref()
                .and_then(|id| rules.iter().position(|(r, _)| r == id));
            match (fetched, p.contains_key("rules")) {
                (Some(k), false) => {
                    if let (Some(flag), Some((_, items))) = (used.get_mut(k), rules.get_mut(k)) {
                        *flag = true;
                        p.insert("rules".into(), Value::Array(std::mem::take(items)));
                    }
                }
                (Some(k), true) => {
                    if let Some(flag) = used.get_mut(k) {
                        *flag = true;
                    }
                    diags.push(Diagnostic::error(
                        "api.rules.twice",
                        pointer(&path, "rules"),
                        "the policy object already has rules and a rules response was given too",
                    ));
                }
                (None, true) => {}
                (None, false) => diags.push(missing_rules(&path, id.as_deref(), p)),
            }
        }
        for ((policy_id, _), used) in rules.iter().zip(&used) {
            if !used {
                diags.push(
                    Diagnostic::error(
                        "api.rules.unknown_policy",
                        "/policies",
                        format!("rules were given for the policy {policy_id:?}, which the policies response doesn't have"),
                    )
                    .with_hint("pass every page of GET …/policies, and the rules of this server's policies only"),
                );
            }
        }
        let Some(server) = server else {
            return Err(ConfigError::new(diags));
        };
        let mut bundle = Map::new();
        bundle.insert("authorizationServer".into(), server);
        bundle.insert("scopes".into(), Value::Array(scopes));
        bundle.insert("claims".into(), Value::Array(claims));
        bundle.insert("policies".into(), Value::Array(policies));
        match ServerConfig::from_value(Value::Object(bundle)) {
            Ok(cfg) if diags.is_empty() => Ok(cfg),
            Ok(_) => Err(ConfigError::new(diags)),
            Err(e) => {
                diags.extend(e.diagnostics);
                Err(ConfigError::new(diags))
            }
        }
    }
}

fn missing_rules(path: &str, id: Option<&str>, p: &Map<String, Value>) -> Diagnostic {
    let name = p.get("name").and_then(Value::as_str).unwrap_or("");
    match id {
        Some(id) => Diagnostic::error(
            "api.rules.missing",
            path,
            format!("no rules response for the policy {name:?} ({id}); without its rules it can't be evaluated"),
        )
        .with_hint(format!("pass GET /api/v1/authorizationServers/{{id}}/policies/{id}/rules (\"[]\" if it has none)")),
        None => Diagnostic::error(
            "api.rules.missing",
            pointer(path, "id"),
            format!("the policy {name:?} has no id, so no rules response can belong to it"),
        )
        .with_hint("pass the policies response as the API returned it"),
    }
}
