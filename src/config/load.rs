//! Reading a [`ServerConfig`] from JSON, reporting every malformed object at once.

use super::diagnostic::{Diagnostic, pointer};
use super::{Claim, Policy, Rule, Scope, Server, ServerConfig};
use crate::error::ConfigError;
use serde::de::DeserializeOwned;
use serde_json::Value;

impl ServerConfig {
    /// Reads a bundle from JSON text.
    ///
    /// Structural problems (malformed JSON, a string where a number belongs, an unknown enum
    /// value) are reported for every object at once, each located by a JSON pointer. The result
    /// is not validated; [`AuthorizationServer::compile`](crate::AuthorizationServer::compile)
    /// does that.
    pub fn from_json(text: &str) -> Result<ServerConfig, ConfigError> {
        let value: Value = serde_json::from_str(text).map_err(|e| {
            ConfigError::new(vec![
                Diagnostic::error(
                    "json.syntax",
                    "",
                    format!("not valid JSON: {e}"),
                )
                .with_hint("the file must be one JSON object: {\"authorizationServer\": {...}, \"scopes\": [...], \"claims\": [...], \"policies\": [...]}"),
            ])
        })?;
        ServerConfig::from_value(value)
    }

    /// Reads a bundle from a parsed JSON value; see [`ServerConfig::from_json`].
    pub fn from_value(value: Value) -> Result<ServerConfig, ConfigError> {
        let Value::Object(mut root) = value else {
            return Err(ConfigError::new(vec![Diagnostic::error(
                "json.shape",
                "",
                format!("expected a JSON object, found {}", kind(&value)),
            )]));
        };
        let mut diags = Vec::new();
        let server = match root.remove("authorizationServer") {
            Some(v) => object::<Server>(v, "/authorizationServer", &mut diags),
            None => {
                diags.push(
                    Diagnostic::error(
                        "server.missing",
                        "/authorizationServer",
                        "the bundle has no authorizationServer object",
                    )
                    .with_hint("add \"authorizationServer\": {\"name\": ..., \"audiences\": [...], \"issuer\": ...}"),
                );
                None
            }
        };
        let scopes = array::<Scope>(root.remove("scopes"), "/scopes", &mut diags);
        let claims = array::<Claim>(root.remove("claims"), "/claims", &mut diags);
        let policies = match root.remove("policies") {
            None | Some(Value::Null) => Some(Vec::new()),
            Some(Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, mut item) in items.into_iter().enumerate() {
                    let path = pointer("/policies", i);
                    let rules = match &mut item {
                        Value::Object(map) => map.remove("rules"),
                        _ => None,
                    };
                    let policy = object::<Policy>(item, &path, &mut diags);
                    let rules = array::<Rule>(rules, &pointer(&path, "rules"), &mut diags);
                    if let (Some(mut policy), Some(rules)) = (policy, rules) {
                        policy.rules = rules;
                        out.push(policy);
                    }
                }
                Some(out)
            }
            Some(other) => {
                diags.push(not_array("/policies", &other));
                None
            }
        };
        for key in root.keys() {
            diags.push(
                Diagnostic::error(
                    "json.unknown_member",
                    pointer("", key),
                    format!("unknown member {key:?} of the bundle"),
                )
                .with_hint("the bundle has only authorizationServer, scopes, claims and policies (rules go inside their policy)"),
            );
        }
        match (server, scopes, claims, policies) {
            (Some(authorization_server), Some(scopes), Some(claims), Some(policies))
                if diags.is_empty() =>
            {
                Ok(ServerConfig {
                    authorization_server,
                    scopes,
                    claims,
                    policies,
                })
            }
            _ => Err(ConfigError::new(diags)),
        }
    }

    /// The bundle as pretty JSON in Management API shapes.
    pub fn to_json_pretty(&self) -> String {
        // Serializing plain data with string keys can't fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
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

fn not_array(path: &str, v: &Value) -> Diagnostic {
    Diagnostic::error(
        "json.shape",
        path,
        format!("expected an array, found {}", kind(v)),
    )
}

fn array<T: DeserializeOwned>(
    v: Option<Value>,
    path: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<T>> {
    match v {
        None | Some(Value::Null) => Some(Vec::new()),
        Some(Value::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            let mut ok = true;
            for (i, item) in items.into_iter().enumerate() {
                match object::<T>(item, &pointer(path, i), diags) {
                    Some(t) => out.push(t),
                    None => ok = false,
                }
            }
            ok.then_some(out)
        }
        Some(other) => {
            diags.push(not_array(path, &other));
            None
        }
    }
}

fn object<T: DeserializeOwned>(v: Value, path: &str, diags: &mut Vec<Diagnostic>) -> Option<T> {
    if !v.is_object() {
        diags.push(Diagnostic::error(
            "json.shape",
            path,
            format!("expected an object, found {}", kind(&v)),
        ));
        return None;
    }
    match serde_path_to_error::deserialize::<_, T>(v) {
        Ok(t) => Some(t),
        Err(e) => {
            let mut at = path.to_owned();
            for seg in e.path().iter() {
                use serde_path_to_error::Segment;
                match seg {
                    Segment::Seq { index } => at = pointer(&at, index),
                    Segment::Map { key } | Segment::Enum { variant: key } => at = pointer(&at, key),
                    Segment::Unknown => {}
                }
            }
            diags.push(Diagnostic::error(
                "json.type",
                at,
                e.into_inner().to_string(),
            ));
            None
        }
    }
}
