//! Reading a [`ServerConfig`] from JSON, reporting every malformed object at once.
//!
//! [`ServerConfig::from_json`] first reads the text straight into the typed model, which is what
//! a well-formed bundle needs and costs no more than parsing the JSON. Only when that fails does
//! it go back over the text object by object (each array element on its own) to locate *every*
//! malformed object; that slower path yields the same model as the fast one whenever both
//! succeed, and the same diagnostics as [`ServerConfig::from_value`].

use super::diagnostic::ConfigError;
use super::diagnostic::{Diagnostic, pointer};
use super::{Claim, Policy, Rule, Scope, Server, ServerConfig};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// The bundle as the fast path reads it: unknown members and missing objects are errors here,
/// so that the slow path reports them. The arrays are kept as text first, so that each list
/// is allocated at its final length (a configuration's biggest allocation is its policy list).
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Bundle<'a> {
    authorization_server: Server,
    #[serde(default, borrow)]
    scopes: Option<Vec<&'a RawValue>>,
    #[serde(default, borrow)]
    claims: Option<Vec<&'a RawValue>>,
    #[serde(default, borrow)]
    policies: Option<Vec<&'a RawValue>>,
}

/// Reads well-formed bundles; `None` sends the text to the slow path.
fn fast(text: &str) -> Option<ServerConfig> {
    fn each<T: DeserializeOwned>(items: Option<Vec<&RawValue>>) -> Option<Vec<T>> {
        let items = items.unwrap_or_default();
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            out.push(serde_json::from_str(item.get()).ok()?);
        }
        Some(out)
    }
    // A derived struct also reads a JSON array (its fields in order); the bundle must be an
    // object, as the slow path says.
    if !text.trim_start().starts_with('{') {
        return None;
    }
    let b: Bundle<'_> = serde_json::from_str(text).ok()?;
    Some(ServerConfig {
        authorization_server: b.authorization_server,
        scopes: each(b.scopes)?,
        claims: each(b.claims)?,
        policies: each(b.policies)?,
    })
}

const BUNDLE_HINT: &str = "the file must be one JSON object: {\"authorizationServer\": {...}, \"scopes\": [...], \"claims\": [...], \"policies\": [...]}";

impl ServerConfig {
    /// Reads a bundle from JSON text.
    ///
    /// Structural problems (malformed JSON, a string where a number belongs, an unknown enum
    /// value) are reported for every object at once, each located by a JSON pointer. The result
    /// is not validated; [`AuthorizationServer::compile`](crate::AuthorizationServer::compile)
    /// does that.
    pub fn from_json(text: &str) -> Result<ServerConfig, ConfigError> {
        match fast(text) {
            Some(cfg) => Ok(cfg),
            None => from_raw(text),
        }
    }

    /// Reads a bundle from a parsed JSON value; see [`ServerConfig::from_json`].
    pub fn from_value(value: Value) -> Result<ServerConfig, ConfigError> {
        let Value::Object(root) = value else {
            return Err(ConfigError::new(vec![not_an_object(kind(&value))]));
        };
        let members = root
            .into_iter()
            .map(|(k, v)| (Cow::Owned(k), Member::Parsed(v)));
        assemble(members)
    }

    /// The bundle as pretty JSON in Management API shapes.
    pub fn to_json_pretty(&self) -> String {
        // Serializing plain data with string keys can't fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// A member of the bundle: parsed already, or still text (parsed one element at a time).
enum Member<'a> {
    Parsed(Value),
    Raw(&'a RawValue),
}

fn syntax_error(e: &serde_json::Error, path: String) -> Diagnostic {
    Diagnostic::error("json.syntax", path, format!("not valid JSON: {e}"))
}

fn not_an_object(found: &str) -> Diagnostic {
    Diagnostic::error(
        "json.shape",
        "",
        format!("expected a JSON object, found {found}"),
    )
}

/// The slow path of [`ServerConfig::from_json`]: never holds more than one element of an array
/// as a JSON value at a time.
fn from_raw(text: &str) -> Result<ServerConfig, ConfigError> {
    let root: &RawValue = serde_json::from_str(text).map_err(|e| {
        ConfigError::new(vec![syntax_error(&e, String::new()).with_hint(BUNDLE_HINT)])
    })?;
    let found = raw_kind(root);
    if found != "an object" {
        return Err(ConfigError::new(vec![not_an_object(found)]));
    }
    let entries: Vec<(Cow<'_, str>, &RawValue)> = serde_json::from_str::<RawObject<'_>>(root.get())
        .map_err(|e| {
            ConfigError::new(vec![syntax_error(&e, String::new()).with_hint(BUNDLE_HINT)])
        })?
        .0;
    // As in a parsed object: a repeated member keeps its first position and its last value.
    let mut members: Vec<(Cow<'_, str>, Member<'_>)> = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        match members.iter_mut().find(|(name, _)| *name == k) {
            Some(slot) => slot.1 = Member::Raw(v),
            None => members.push((k, Member::Raw(v))),
        }
    }
    assemble(members.into_iter())
}

/// An object's members in document order, values as text.
struct RawObject<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de> Deserialize<'de> for RawObject<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawObject<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(k) = m.next_key::<Cow<'de, str>>()? {
                    out.push((k, m.next_value::<&'de RawValue>()?));
                }
                Ok(RawObject(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// Builds the bundle from its members, reporting every problem.
fn assemble<'a>(
    members: impl Iterator<Item = (Cow<'a, str>, Member<'a>)>,
) -> Result<ServerConfig, ConfigError> {
    let mut diags = Vec::new();
    let (mut server, mut scopes, mut claims, mut policies) = (None, None, None, None);
    let mut unknown = Vec::new();
    for (key, value) in members {
        match &*key {
            "authorizationServer" => server = Some(value),
            "scopes" => scopes = Some(value),
            "claims" => claims = Some(value),
            "policies" => policies = Some(value),
            _ => unknown.push(key),
        }
    }
    let server = match server {
        Some(v) => element::<Server>(v, "/authorizationServer", &mut diags),
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
    let scopes = array(scopes, "/scopes", &mut diags, element::<Scope>);
    let claims = array(claims, "/claims", &mut diags, element::<Claim>);
    let policies = array(policies, "/policies", &mut diags, policy);
    for key in unknown {
        diags.push(
            Diagnostic::error(
                "json.unknown_member",
                pointer("", &key),
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

/// The kind of a syntactically valid JSON text, from its first character.
fn raw_kind(v: &RawValue) -> &'static str {
    match v.get().trim_start().as_bytes().first() {
        Some(b'n') => "null",
        Some(b't' | b'f') => "a boolean",
        Some(b'"') => "a string",
        Some(b'[') => "an array",
        Some(b'{') => "an object",
        _ => "a number",
    }
}

fn not_array(path: &str, found: &str) -> Diagnostic {
    Diagnostic::error(
        "json.shape",
        path,
        format!("expected an array, found {found}"),
    )
}

/// Reads an array member element by element; `None` if it or any element is malformed.
fn array<T>(
    v: Option<Member<'_>>,
    path: &str,
    diags: &mut Vec<Diagnostic>,
    each: impl Fn(Member<'_>, &str, &mut Vec<Diagnostic>) -> Option<T>,
) -> Option<Vec<T>> {
    let items: Vec<Member<'_>> = match v {
        None | Some(Member::Parsed(Value::Null)) => return Some(Vec::new()),
        Some(Member::Parsed(Value::Array(items))) => {
            items.into_iter().map(Member::Parsed).collect()
        }
        Some(Member::Parsed(other)) => {
            diags.push(not_array(path, kind(&other)));
            return None;
        }
        Some(Member::Raw(raw)) => match raw_kind(raw) {
            "null" => return Some(Vec::new()),
            "an array" => match serde_json::from_str::<Vec<&RawValue>>(raw.get()) {
                Ok(items) => items.into_iter().map(Member::Raw).collect(),
                Err(e) => {
                    diags.push(syntax_error(&e, path.to_owned()));
                    return None;
                }
            },
            found => {
                diags.push(not_array(path, found));
                return None;
            }
        },
    };
    let mut out = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, item) in items.into_iter().enumerate() {
        match each(item, &pointer(path, i), diags) {
            Some(t) => out.push(t),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

/// Parses a member that is still text (one element, so the value stays small).
fn parsed(v: Member<'_>, path: &str, diags: &mut Vec<Diagnostic>) -> Option<Value> {
    match v {
        Member::Parsed(v) => Some(v),
        Member::Raw(raw) => match serde_json::from_str(raw.get()) {
            Ok(v) => Some(v),
            Err(e) => {
                diags.push(syntax_error(&e, path.to_owned()));
                None
            }
        },
    }
}

/// A policy: its rules are read (and their problems reported) separately from the policy.
fn policy(v: Member<'_>, path: &str, diags: &mut Vec<Diagnostic>) -> Option<Policy> {
    let mut item = parsed(v, path, diags)?;
    let rules = match &mut item {
        Value::Object(map) => map.shift_remove("rules"),
        _ => None,
    };
    let policy = object::<Policy>(item, path, diags);
    let rules = array(
        rules.map(Member::Parsed),
        &pointer(path, "rules"),
        diags,
        element::<Rule>,
    );
    let (mut policy, rules) = (policy?, rules?);
    policy.rules = rules;
    Some(policy)
}

fn element<T: DeserializeOwned>(
    v: Member<'_>,
    path: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<T> {
    object(parsed(v, path, diags)?, path, diags)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `from_json` must say what the same text parsed into a value says.
    fn same(text: &str) {
        let parsed: Value = serde_json::from_str(text).expect("valid JSON");
        assert_eq!(
            ServerConfig::from_json(text),
            ServerConfig::from_value(parsed),
            "{text}"
        );
    }

    #[test]
    fn text_and_value_agree_where_the_fast_path_gives_up() {
        let server = r#""authorizationServer": {"name": "s", "audiences": ["api://s"]}"#;
        for text in [
            // Repeated members: the last value wins, at the first one's place.
            format!(r#"{{{server}, "scopes": [{{"name": "a"}}], "scopes": [{{"name": "b"}}]}}"#),
            format!(r#"{{{server}, "scopes": [{{"name": "a", "name": "b", "x": 1, "x": 2}}]}}"#),
            format!(
                r#"{{{server}, "policies": [{{"name": "p", "rules": [], "rules": [{{"name": "r"}}], "z": 1, "y": 2}}]}}"#
            ),
            // Arrays where objects belong (a derived struct reads an array as its fields).
            "[{}]".to_owned(),
            format!(r#"{{{server}, "scopes": [["a"]]}}"#),
            format!(r#"{{{server}, "policies": [{{"name": "p", "rules": [["r"]]}}]}}"#),
            // Several malformed objects at once, and unknown bundle members.
            format!(
                r#"{{{server}, "scopes": [{{"name": 1}}, 2], "claims": {{}}, "extra": 1, "more": null}}"#
            ),
            r#"{"scopes": null, "claims": null, "policies": null}"#.to_owned(),
            format!(r#"{{{server}, "policies": [{{"name": "p", "rules": {{"name": "r"}}}}]}}"#),
        ] {
            same(&text);
        }
    }
}
