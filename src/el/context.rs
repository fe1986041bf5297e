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

/// Normalises a group object (see [`Context`]).
fn group_from_json(json: &serde_json::Value) -> Value {
    let mut m = match json {
        // Room for the members normalisation may add (profile, objectClass, source).
        serde_json::Value::Object(o) => {
            let mut m = Map::with_capacity(o.len() + 3);
            for (k, v) in o {
                m.insert(key(k), Value::from_json(v));
            }
            m
        }
        _ => Map::new(),
    };
    let name = m.get("name").cloned();
    let mut profile = match m.get_mut("profile") {
        Some(Value::Map(p)) => std::mem::take(Arc::make_mut(p)),
        _ => Map::new(),
    };
    match (&name, profile.get("name").cloned()) {
        (Some(n), None) if !n.is_null() => {
            profile.insert(key("name"), n.clone());
        }
        (None, Some(pn)) => {
            m.insert(key("name"), pn);
        }
        _ => {}
    }
    m.insert(key("profile"), Value::Map(Arc::new(profile)));
    if !m.contains_key("objectClass") {
        m.insert(key("objectClass"), default_object_class());
    }
    if let Some(sid) = m.get("sourceId").cloned()
        && !m.contains_key("source")
    {
        let mut s = Map::with_capacity(1);
        s.insert(key("id"), sid);
        m.insert(key("source"), Value::Map(Arc::new(s)));
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
                    serde_json::Value::Array(a) => a.iter().map(group_from_json).collect(),
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
