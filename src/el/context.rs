//! The evaluation context: the root objects of one request, converted to engine values once.

use std::sync::{Arc, OnceLock};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::datetime::Zdt;
use super::user::UserView;
use super::value::{Map, Value};
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

/// The value of an unbound root.
static NULL: Value = Value::Null;

/// The data an expression is evaluated against.
///
/// Built once per request — by [`TokenRequest::eval_context`](crate::TokenRequest::eval_context)
/// (what the policy engine does), or with [`Context::from_json`] from the shape documented in
/// DESIGN.md: `user` (with `profile`, `groups`, `linkedObjects`), `appuser`, `app`, `org`,
/// `access`, `idpuser`, `session`, `directoryUsers`, `now`; any other top-level key becomes a
/// root of that name. A user ([`UserView`]) is converted part by part as expressions read it.
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
///
/// A context serializes to that JSON shape (and deserializes from it), so it can be stored
/// with a [`Grant`](crate::Grant); two contexts are equal when their JSON is.
#[derive(Debug, Clone, Default)]
pub struct Context {
    known: [Value; N_KNOWN],
    /// Which known roots are bound (bit `KnownRoot as usize`).
    bound: u16,
    /// Known roots built on first read (bit set in `deferred_mask`), e.g. `app` and `access`,
    /// which few claims read.
    deferred: Vec<Deferred>,
    deferred_mask: u16,
    others: Map,
    pub(crate) user: Option<Arc<UserView>>,
    pub(crate) directory: Map,
    directory_bound: bool,
    pub(crate) now: Option<Zdt>,
}

/// A root's value, made on first read.
#[derive(Clone)]
struct Deferred {
    root: KnownRoot,
    make: Arc<dyn Fn() -> Value + Send + Sync>,
    value: OnceLock<Value>,
}

impl Deferred {
    fn get(&self) -> &Value {
        self.value.get_or_init(|| (self.make)())
    }
}

impl std::fmt::Debug for Deferred {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deferred")
            .field("root", &self.root)
            .field("value", &self.value.get())
            .finish_non_exhaustive()
    }
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
            match name {
                // Not roots of their own: unset, so the context still reads back from its JSON.
                "now" => self.now = None,
                "directoryUsers" => {
                    self.directory = Map::default();
                    self.directory_bound = false;
                }
                _ => self.set_value(name, Value::Null),
            }
        }
    }

    /// Binds a root, reporting shape errors.
    pub fn try_set_root(&mut self, name: &str, value: &serde_json::Value) -> Result<(), EvalError> {
        match name {
            "user" => {
                let user = if value.is_null() {
                    None
                } else {
                    Some(Arc::new(UserView::from_json(value)?))
                };
                self.set_user(user);
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
                let mut m = Map::default();
                for (k, v) in o {
                    let list = match v {
                        serde_json::Value::Array(_) => Value::from_json(v),
                        serde_json::Value::Null => Value::List(Arc::new(Vec::new())),
                        _ => Value::List(Arc::new(vec![Value::from_json(v)])),
                    };
                    m.insert(Arc::from(k.as_str()), list);
                }
                self.directory = m;
                self.directory_bound = true;
            }
            _ => self.set_value(name, Value::from_json(value)),
        }
        Ok(())
    }

    /// Binds a root to an engine value. (Bind `user` with [`Context::set_user`], which the
    /// user functions read.)
    pub fn set_value(&mut self, name: &str, value: Value) {
        match KNOWN_ROOTS.iter().find(|(n, _)| *n == name) {
            Some((_, k)) => self.set_known(*k, value),
            None => {
                self.others.insert(Arc::from(name), value);
            }
        }
    }

    pub(crate) fn set_known(&mut self, k: KnownRoot, value: Value) {
        if k == KnownRoot::User {
            self.user = match &value {
                Value::User(u) => Some(u.clone()),
                _ => None,
            };
        }
        if let Some(slot) = self.known.get_mut(k as usize) {
            *slot = value;
        }
        self.bound |= 1 << k as usize;
        if self.deferred_mask & (1 << k as usize) != 0 {
            self.deferred_mask &= !(1 << k as usize);
            self.deferred.retain(|d| d.root != k);
        }
    }

    /// Binds a known root to the value `make` returns when an expression first reads it.
    pub(crate) fn set_deferred(
        &mut self,
        k: KnownRoot,
        make: impl Fn() -> Value + Send + Sync + 'static,
    ) {
        debug_assert!(k != KnownRoot::User, "the user is bound with set_user");
        self.set_known(k, Value::Null);
        self.deferred.push(Deferred {
            root: k,
            make: Arc::new(make),
            value: OnceLock::new(),
        });
        self.deferred_mask |= 1 << k as usize;
    }

    /// Binds `user` (null when `None`).
    pub fn set_user(&mut self, user: Option<Arc<UserView>>) {
        self.set_known(KnownRoot::User, user.map_or(Value::Null, Value::User));
    }

    /// Sets the instant `Time.now()` and friends read.
    pub fn set_now(&mut self, now: DateTime<Utc>) {
        self.now = Some(Zdt::utc(now));
    }

    /// The value of a root, if bound.
    pub fn root(&self, name: &str) -> Option<&Value> {
        match KNOWN_ROOTS.iter().find(|(n, _)| *n == name) {
            Some((_, k)) => Some(self.known(*k)),
            None => self.others.get(name),
        }
    }

    pub(crate) fn known(&self, k: KnownRoot) -> &Value {
        if self.deferred_mask & (1 << k as usize) != 0
            && let Some(d) = self.deferred.iter().find(|d| d.root == k)
        {
            return d.get();
        }
        // every known root has a slot (N_KNOWN of them)
        self.known.get(k as usize).unwrap_or(&NULL)
    }

    pub(crate) fn other(&self, name: &str) -> Option<&Value> {
        self.others.get(name)
    }

    /// The JSON shape of the context ([`Context::from_json`] reads it back): the bound roots
    /// (in the order of [`TokenRequest::context`](crate::TokenRequest::context): `user`,
    /// `appuser`, `app`, `org`, `session`, `idpuser`, …, `access` last), `directoryUsers`, and
    /// `now` (UTC, milliseconds unless it has finer digits).
    pub fn to_json(&self) -> serde_json::Value {
        use KnownRoot as K;
        const FIRST: [KnownRoot; 11] = [
            K::User,
            K::AppUser,
            K::App,
            K::Org,
            K::Session,
            K::IdpUser,
            K::Source,
            K::Device,
            K::Security,
            K::Login,
            K::Event,
        ];
        let mut o = serde_json::Map::new();
        let put = |o: &mut serde_json::Map<String, serde_json::Value>, k: KnownRoot| {
            if self.bound & (1 << k as usize) != 0
                && let Some((name, _)) = KNOWN_ROOTS.iter().find(|(_, r)| *r == k)
            {
                o.insert((*name).to_owned(), self.known(k).to_json());
            }
        };
        for k in FIRST {
            put(&mut o, k);
        }
        for (k, v) in self.others.0.iter() {
            // Values bound under these names by `set_value` are not what `from_json` reads there.
            if !matches!(&**k, "now" | "directoryUsers") {
                o.insert(k.to_string(), v.to_json());
            }
        }
        if self.directory_bound {
            let d = self
                .directory
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_json()))
                .collect();
            o.insert("directoryUsers".into(), serde_json::Value::Object(d));
        }
        if let Some(now) = &self.now {
            let t = now.instant();
            let format = if t.timestamp_subsec_nanos() % 1_000_000 == 0 {
                SecondsFormat::Millis
            } else {
                SecondsFormat::AutoSi
            };
            o.insert("now".into(), t.to_rfc3339_opts(format, true).into());
        }
        put(&mut o, K::Access);
        serde_json::Value::Object(o)
    }
}

impl PartialEq for Context {
    fn eq(&self, other: &Context) -> bool {
        self.to_json() == other.to_json()
    }
}

impl Serialize for Context {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Context {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let json = serde_json::Value::deserialize(d)?;
        Context::from_json(&json).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn contexts_round_trip_through_json() {
        let j = json!({"user": {"id": "00u1", "profile": {"a": 1}}, "appuser": null,
                       "app": {"id": "0oa1"}, "custom": [1, 2],
                       "directoryUsers": {"workday": [{"id": "w"}]},
                       "now": "2026-03-01T12:00:00.250Z"});
        let ctx = Context::from_json(&j).unwrap();
        assert_eq!(ctx.to_json(), j);
        let text = serde_json::to_string(&ctx).unwrap();
        let back: Context = serde_json::from_str(&text).unwrap();
        assert_eq!(back, ctx);
        assert!(serde_json::from_str::<Context>(r#"{"user": 1}"#).is_err());
        // Shape errors leave `now` and `directoryUsers` unset, so the JSON still reads back.
        let mut bad = Context::new();
        bad.set_root("now", &json!(5));
        bad.set_root("directoryUsers", &json!(5));
        bad.set_value("now", Value::Null);
        assert_eq!(bad.to_json(), json!({}));
        // The order of `TokenRequest::context`, and `now` with milliseconds.
        let mut ordered = Context::new();
        ordered.set_root("access", &json!({"scope": []}));
        ordered.set_root("now", &json!("2026-03-01T12:00:00Z"));
        ordered.set_root("session", &json!({}));
        ordered.set_root("user", &json!(null));
        let text = serde_json::to_string(&ordered).unwrap();
        assert_eq!(
            text,
            r#"{"user":null,"session":{},"now":"2026-03-01T12:00:00.000Z","access":{"scope":[]}}"#
        );
        assert_eq!(Context::new().to_json(), json!({}));
    }

    /// Hosts keep contexts across threads and await points (grants: policy's tests).
    #[test]
    fn contexts_and_grants_are_send_and_sync() {
        fn check<T: Send + Sync + 'static>() {}
        check::<Context>();
        check::<crate::el::UserView>();
    }

    #[test]
    fn deferred_roots_are_made_once_on_first_read() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static MADE: AtomicUsize = AtomicUsize::new(0);
        let mut ctx = Context::new();
        ctx.set_deferred(KnownRoot::App, || {
            MADE.fetch_add(1, Ordering::Relaxed);
            Value::from("made")
        });
        assert_eq!(MADE.load(Ordering::Relaxed), 0);
        assert_eq!(ctx.root("app"), Some(&Value::from("made")));
        assert_eq!(ctx.root("app"), Some(&Value::from("made")));
        assert_eq!(MADE.load(Ordering::Relaxed), 1);
        assert_eq!(ctx.to_json(), json!({"app": "made"}));
        let copy = ctx.clone();
        assert_eq!(copy.root("app"), Some(&Value::from("made")));
        assert_eq!(
            MADE.load(Ordering::Relaxed),
            1,
            "a copy keeps the value made"
        );
        ctx.set_value("app", Value::from("bound"));
        assert_eq!(
            ctx.root("app"),
            Some(&Value::from("bound")),
            "binding replaces it"
        );
    }
}
