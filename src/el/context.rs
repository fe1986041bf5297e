//! The evaluation context: the root objects of one request, converted to engine values once.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};

use super::functions::time::Zdt;
use super::value::{Map, User, Value, key, map_from_json};
use super::{EvalError, EvalErrorKind};

/// The roots every Okta expression may name, resolved at compile time to a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KnownRoot {
    User = 0,
    AppUser,
    App,
    Org,
    Access,
    IdpUser,
    Session,
    Source,
    Device,
    Security,
    Login,
    Event,
}

pub(crate) const KNOWN_ROOTS: &[(&str, KnownRoot)] = &[
    ("user", KnownRoot::User),
    ("appuser", KnownRoot::AppUser),
    ("appUser", KnownRoot::AppUser),
    ("app", KnownRoot::App),
    ("org", KnownRoot::Org),
    ("access", KnownRoot::Access),
    ("idpuser", KnownRoot::IdpUser),
    ("session", KnownRoot::Session),
    ("source", KnownRoot::Source),
    ("device", KnownRoot::Device),
    ("security", KnownRoot::Security),
    ("login", KnownRoot::Login),
    ("event", KnownRoot::Event),
];

const N_KNOWN: usize = 12;

/// How deep linked objects (a manager's manager ...) are converted.
const MAX_LINK_DEPTH: usize = 8;

/// The data an expression is evaluated against.
///
/// Built once per request with [`Context::from_json`] from the shape documented in DESIGN.md:
/// `user` (with `profile`, `groups`, `linkedObjects`), `appuser`, `app`, `org`, `access`,
/// `idpuser`, `session`, `directoryUsers`, `now`; any other top-level key becomes a root of
/// that name.
///
/// Data conventions for functions the JSON of a request can't otherwise express:
/// * `user.linkedObjects.manager` / `.assistant` — the users `getManagerUser("active_directory")`
///   and `getAssistantUser("active_directory")` return (and `user.getLinkedObject(name)`).
/// * a user's `appUsers: {"google": {...}}` — its app users by app name, read by
///   `getManagerAppUser("active_directory", "google")`; a list of two or more means several
///   instances of that app, for which the functions return null (as Okta documents).
/// * `directoryUsers: {"active_directory": [{...}], "workday": [{...}]}` — the user's directory
///   assignments, read by `hasDirectoryUser()`, `findDirectoryUser()`, `hasWorkdayUser()`,
///   `findWorkdayUser()`.
/// * groups: `{"id", "name", "type", "sourceId"?, "sourceName"?, "objectClass"?, "profile"?}`;
///   `profile.name` defaults to `name` (and back), `objectClass` to `["okta:user_group"]`.
#[derive(Debug, Clone, Default)]
pub struct Context {
    known: [Value; N_KNOWN],
    others: HashMap<Arc<str>, Value>,
    pub(crate) user: Option<Arc<User>>,
    pub(crate) directory: Map,
    pub(crate) now: Option<Zdt>,
}

fn ctx_err(msg: impl Into<String>) -> EvalError {
    EvalError::new(EvalErrorKind::Context, msg)
}

impl Context {
    /// An empty context: every known root is null.
    pub fn new() -> Self {
        Context::default()
    }

    /// Builds a context from its JSON shape. Fails if `user` is not an object, `now` is not
    /// an ISO 8601 date-time, or `directoryUsers` is not an object of lists.
    pub fn from_json(json: &serde_json::Value) -> Result<Context, EvalError> {
        let mut ctx = Context::new();
        match json {
            serde_json::Value::Null => {}
            serde_json::Value::Object(o) => {
                for (k, v) in o {
                    ctx.try_set_root(k, v)?;
                }
            }
            _ => return Err(ctx_err("the context must be a JSON object")),
        }
        Ok(ctx)
    }

    /// Binds (or replaces) a root, e.g. `"access"` = `{"scope": [...]}` per request.
    /// Shape errors in `user`, `now` or `directoryUsers` leave the root null.
    pub fn set_root(&mut self, name: &str, value: &serde_json::Value) {
        if self.try_set_root(name, value).is_err() {
            self.set_value(name, Value::Null);
        }
    }

    /// Binds a root, reporting shape errors.
    pub fn try_set_root(&mut self, name: &str, value: &serde_json::Value) -> Result<(), EvalError> {
        match name {
            "user" => {
                if value.is_null() {
                    self.user = None;
                    self.set_value(name, Value::Null);
                } else {
                    let user = Arc::new(user_from_json(value, 0)?);
                    self.user = Some(user.clone());
                    self.set_value(name, Value::User(user));
                }
            }
            "now" => {
                let s = value
                    .as_str()
                    .ok_or_else(|| ctx_err("'now' must be an ISO 8601 date-time string"))?;
                let t = DateTime::parse_from_rfc3339(s)
                    .map_err(|e| ctx_err(format!("'now' is not an ISO 8601 date-time: {e}")))?;
                self.now = Some(Zdt::utc(t.with_timezone(&Utc)));
            }
            "directoryUsers" => {
                let o = value.as_object().ok_or_else(|| {
                    ctx_err("'directoryUsers' must be an object of lists of app users")
                })?;
                let mut m = Map::new();
                for (k, v) in o {
                    let list = match v {
                        serde_json::Value::Array(_) => Value::from_json(v),
                        serde_json::Value::Null => Value::List(Arc::new(Vec::new())),
                        _ => Value::List(Arc::new(vec![Value::from_json(v)])),
                    };
                    m.insert(Arc::from(k.as_str()), list);
                }
                self.directory = m;
            }
            _ => self.set_value(name, Value::from_json(value)),
        }
        Ok(())
    }

    /// Binds a root to an engine value.
    pub fn set_value(&mut self, name: &str, value: Value) {
        match KNOWN_ROOTS.iter().find(|(n, _)| *n == name) {
            Some((_, k)) => self.known[*k as usize] = value,
            None => {
                self.others.insert(Arc::from(name), value);
            }
        }
    }

    /// Sets the instant `Time.now()` and friends read.
    pub fn set_now(&mut self, now: DateTime<Utc>) {
        self.now = Some(Zdt::utc(now));
    }

    /// The value of a root, if bound.
    pub fn root(&self, name: &str) -> Option<&Value> {
        match KNOWN_ROOTS.iter().find(|(n, _)| *n == name) {
            Some((_, k)) => Some(&self.known[*k as usize]),
            None => self.others.get(name),
        }
    }

    pub(crate) fn known(&self, k: KnownRoot) -> &Value {
        &self.known[k as usize]
    }

    pub(crate) fn other(&self, name: &str) -> Option<&Value> {
        self.others.get(name)
    }
}

fn map_of(json: Option<&serde_json::Value>) -> Map {
    match json {
        Some(serde_json::Value::Object(o)) => map_from_json(o),
        _ => Map::new(),
    }
}

/// The `objectClass` of a group that names none, shared by all such groups.
fn default_object_class() -> Value {
    static DEFAULT: OnceLock<Value> = OnceLock::new();
    DEFAULT
        .get_or_init(|| Value::List(Arc::new(vec![Value::from("okta:user_group")])))
        .clone()
}

/// Values that many groups of one user have in common, shared between their maps instead
/// of allocated per group: groups usually come from a handful of sources.
#[derive(Default)]
struct GroupShare {
    /// The last `sourceId` seen and the `source` map (`{"id": sourceId}`) built for it.
    source: Option<(Arc<str>, Value)>,
}

impl GroupShare {
    /// `{"id": sid}`, shared with the previous group when it has the same string `sourceId`.
    fn source_of(&mut self, sid: &Value) -> Value {
        if let Value::Str(s) = sid
            && let Some((last, map)) = &self.source
            && last == s
        {
            return map.clone();
        }
        let mut src = Map::with_capacity(1);
        src.insert(key("id"), sid.clone());
        let map = Value::Map(Arc::new(src));
        if let Value::Str(s) = sid {
            self.source = Some((s.clone(), map.clone()));
        }
        map
    }

    /// A string value, reusing the previous `sourceId`'s allocation when equal.
    fn source_id(&self, s: &str) -> Value {
        match &self.source {
            Some((last, _)) if **last == *s => Value::Str(last.clone()),
            _ => Value::Str(Arc::from(s)),
        }
    }
}

/// Normalises a group object (see [`Context`]) in one pass over its members: `profile.name`
/// defaults to `name` (and back), `objectClass` to `["okta:user_group"]`, and `source` to
/// `{"id": sourceId}`. Members keep their order; added ones follow them.
fn group_from_json(json: &serde_json::Value, share: &mut GroupShare) -> Value {
    let empty = serde_json::Map::new();
    let o = json.as_object().unwrap_or(&empty);
    // Room for the members normalisation may add (name, profile, objectClass, source).
    let mut m = Map::with_capacity(o.len() + 4);
    let mut name = None;
    let mut profile: Option<(usize, Map)> = None;
    let mut source_id = None;
    let (mut has_object_class, mut has_source) = (false, false);
    for (k, v) in o {
        let value = match (k.as_str(), v) {
            ("profile", _) => {
                // Filled in below, once `name` is known; the slot keeps the member's position.
                let p = match v {
                    serde_json::Value::Object(p) => {
                        let mut pm = Map::with_capacity(p.len() + 1);
                        for (pk, pv) in p {
                            pm.insert(key(pk), Value::from_json(pv));
                        }
                        pm
                    }
                    _ => Map::new(),
                };
                let (i, _) = m.insert_full(key(k), Value::Null);
                profile = Some((i, p));
                continue;
            }
            ("type", serde_json::Value::String(t)) => Value::Str(key(t)),
            ("sourceId", serde_json::Value::String(sid)) => share.source_id(sid),
            _ => Value::from_json(v),
        };
        match k.as_str() {
            "name" => name = Some(value.clone()),
            "sourceId" => source_id = Some(value.clone()),
            "objectClass" => has_object_class = true,
            "source" => has_source = true,
            _ => {}
        }
        m.insert(key(k), value);
    }
    let (slot, mut p) = match profile {
        Some((i, p)) => (Some(i), p),
        None => (None, Map::new()),
    };
    match (&name, p.get("name")) {
        (Some(n), None) if !n.is_null() => {
            p.insert(key("name"), n.clone());
        }
        (None, Some(pn)) => {
            let pn = pn.clone();
            m.insert(key("name"), pn);
        }
        _ => {}
    }
    let p = Value::Map(Arc::new(p));
    match slot.and_then(|i| m.get_index_mut(i)) {
        Some((_, v)) => *v = p,
        None => {
            m.insert(key("profile"), p);
        }
    }
    if !has_object_class {
        m.insert(key("objectClass"), default_object_class());
    }
    if let Some(sid) = source_id
        && !has_source
    {
        m.insert(key("source"), share.source_of(&sid));
    }
    Value::Map(Arc::new(m))
}

pub(crate) fn user_from_json(json: &serde_json::Value, depth: usize) -> Result<User, EvalError> {
    let o = json
        .as_object()
        .ok_or_else(|| ctx_err("a user must be a JSON object"))?;
    let mut user = User {
        json: Arc::new(json.clone()),
        ..User::default()
    };
    for (k, v) in o {
        match k.as_str() {
            "profile" => user.profile = Arc::new(map_of(Some(v))),
            "groups" => {
                let groups = match v {
                    serde_json::Value::Array(a) => {
                        let mut share = GroupShare::default();
                        a.iter().map(|g| group_from_json(g, &mut share)).collect()
                    }
                    serde_json::Value::Null => Vec::new(),
                    _ => return Err(ctx_err("'user.groups' must be a list of group objects")),
                };
                user.groups = Arc::new(groups);
            }
            "linkedObjects" => {
                if let Some(lo) = v.as_object()
                    && depth < MAX_LINK_DEPTH
                {
                    for (name, u) in lo {
                        let linked = if u.is_object() {
                            Value::User(Arc::new(user_from_json(u, depth + 1)?))
                        } else {
                            Value::Null
                        };
                        user.linked.insert(Arc::from(name.as_str()), linked);
                    }
                }
            }
            "appUsers" => user.app_users = map_of(Some(v)),
            "created" | "lastUpdated" | "passwordChanged" | "lastLogin" | "statusChanged"
            | "activated" => {
                let val = v
                    .as_str()
                    .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                    .map_or_else(
                        || Value::from_json(v),
                        |t| Value::DateTime(Zdt::utc(t.with_timezone(&Utc))),
                    );
                user.internal.insert(key(k), val);
            }
            _ => {
                user.internal.insert(key(k), Value::from_json(v));
            }
        }
    }
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn groups(j: serde_json::Value) -> serde_json::Value {
        let u = user_from_json(&json!({"groups": j}), 0).unwrap();
        Value::List(u.groups.clone()).to_json()
    }

    #[test]
    fn groups_are_normalised_in_member_order() {
        assert_eq!(
            groups(json!([
                {"id": "g1", "name": "IT", "type": "OKTA_GROUP"},
                {"profile": {"name": "Ops"}, "id": "g2", "sourceId": "0oa1"},
                {"id": "g3", "profile": "x", "sourceId": "0oa1", "objectClass": null},
                {"sourceId": null, "source": {"id": "s"}, "name": null},
                7
            ])),
            json!([
                {"id": "g1", "name": "IT", "type": "OKTA_GROUP", "profile": {"name": "IT"},
                 "objectClass": ["okta:user_group"]},
                {"profile": {"name": "Ops"}, "id": "g2", "sourceId": "0oa1", "name": "Ops",
                 "objectClass": ["okta:user_group"], "source": {"id": "0oa1"}},
                {"id": "g3", "profile": {}, "sourceId": "0oa1", "objectClass": null,
                 "source": {"id": "0oa1"}},
                {"sourceId": null, "source": {"id": "s"}, "name": null, "profile": {},
                 "objectClass": ["okta:user_group"]},
                {"profile": {}, "objectClass": ["okta:user_group"]}
            ])
        );
    }

    #[test]
    fn group_index_is_built_on_first_use() {
        let u = user_from_json(&json!({"groups": [{"id": "g1", "name": "IT"}]}), 0).unwrap();
        assert!(u.index.get().is_none());
        assert_eq!(u.group_index().by_id.get("g1"), Some(&0));
        assert_eq!(u.group_index().lower, ["it"]);
    }
}
