//! Okta users as the engine sees them, converted part by part on first read.
//!
//! A user comes from the JSON of a context ([`UserView::from_json`]) or from a typed request user
//! ([`UserView::from_request`], shared, not copied). Its parts — profile, groups, top-level
//! properties, linked objects, app users, and the lookup tables of the group functions — are
//! converted to engine values the first time an expression reads them, so a request pays only
//! for the parts its claims read, and for each at most once: evaluations that read `user.email`
//! again (claims, rule conditions, group expressions) share the value converted first.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use serde_json::Value as Json;

use super::cost::CountingWriter;
use super::datetime::Zdt;
use super::eval::Val;
use super::model;
use super::value::{Key, Map, Value, key, map_from_json};
use super::{EvalError, EvalErrorKind};

/// How deep linked objects (a manager's manager ...) are followed.
const MAX_LINK_DEPTH: usize = 8;

/// Where a user's data lives.
#[derive(Debug, Clone)]
enum Source {
    /// A JSON object whose shape [`UserView::from_json`] checked.
    Json(Arc<Json>),
    /// A typed request user.
    Request(Arc<model::User>),
}

/// An Okta user (the `user` root, linked objects, managers).
///
/// ```
/// use tokenmint::el::{UserView, Value};
/// use serde_json::json;
///
/// let u = UserView::from_json(&json!({"id": "00u1", "profile": {"firstName": "Ann"},
///                                 "groups": [{"id": "00g1", "name": "Staff"}]})).unwrap();
/// assert_eq!(u.property("firstName"), Value::from("Ann"));
/// assert_eq!(u.property("id"), Value::from("00u1"));
/// assert_eq!(u.groups().len(), 1);
/// ```
#[derive(Debug)]
pub struct UserView {
    source: Source,
    depth: usize,
    profile: OnceLock<Arc<Map>>,
    groups: OnceLock<Arc<Vec<Value>>>,
    internal: OnceLock<Map>,
    linked: OnceLock<Map>,
    app_users: OnceLock<Map>,
    index: OnceLock<GroupIndex>,
    /// The length of the user's JSON text, measured on first need.
    json_len: OnceLock<usize>,
    /// How many groups the user has, counted on first need.
    group_count: OnceLock<usize>,
    /// Name scans made in place (JSON source): the second builds the index instead.
    name_scans: AtomicU8,
}

impl Clone for UserView {
    fn clone(&self) -> UserView {
        UserView {
            source: self.source.clone(),
            depth: self.depth,
            profile: self.profile.clone(),
            groups: self.groups.clone(),
            internal: self.internal.clone(),
            linked: self.linked.clone(),
            app_users: self.app_users.clone(),
            index: self.index.clone(),
            json_len: self.json_len.clone(),
            group_count: self.group_count.clone(),
            name_scans: AtomicU8::new(self.name_scans.load(Ordering::Relaxed)),
        }
    }
}

/// Per-user lookup tables over the groups, so group functions don't rescan maps.
#[derive(Debug, Clone, Default)]
pub(crate) struct GroupIndex {
    /// group id → position in `groups`
    pub(crate) by_id: HashMap<Arc<str>, usize>,
    /// group names ("" when absent), in `groups` order
    pub(crate) names: Vec<Arc<str>>,
    /// lower-cased group names, in `groups` order
    pub(crate) lower: Vec<String>,
    /// the bytes of all the names, for charging a scan of them
    pub(crate) name_bytes: usize,
}

impl GroupIndex {
    fn push(&mut self, id: Option<&str>, name: &str) {
        let i = self.names.len();
        if let Some(id) = id {
            self.by_id.entry(Arc::from(id)).or_insert(i);
        }
        self.lower.push(name.to_lowercase());
        self.names.push(Arc::from(name));
        self.name_bytes = self.name_bytes.saturating_add(name.len());
    }
}

fn ctx_err(msg: impl Into<String>) -> EvalError {
    EvalError::new(EvalErrorKind::Context, msg)
}

/// Checks the shape [`UserView::from_json`] requires, down the linked objects that are followed.
fn check(json: &Json, depth: usize) -> Result<(), EvalError> {
    let o = json
        .as_object()
        .ok_or_else(|| ctx_err("a user must be a JSON object"))?;
    match o.get("groups") {
        None | Some(Json::Array(_) | Json::Null) => {}
        Some(_) => return Err(ctx_err("'user.groups' must be a list of group objects")),
    }
    if let Some(Json::Object(lo)) = o.get("linkedObjects")
        && depth < MAX_LINK_DEPTH
    {
        for u in lo.values().filter(|u| u.is_object()) {
            check(u, depth + 1)?;
        }
    }
    Ok(())
}

/// The name a group has after normalisation: `name`, else `profile.name`.
fn json_group_name(g: &Json) -> Option<&Json> {
    g.get("name").or_else(|| {
        g.get("profile")
            .and_then(Json::as_object)
            .and_then(|p| p.get("name"))
    })
}

fn is_okta_group(group_type: Option<&str>) -> bool {
    matches!(group_type, None | Some("OKTA_GROUP" | "BUILT_IN"))
}

/// A top-level property: the date-time ones become date-times when they parse.
fn internal_value(k: &str, v: &Json) -> Value {
    match (k, v) {
        (
            "created" | "lastUpdated" | "passwordChanged" | "lastLogin" | "statusChanged"
            | "activated",
            Json::String(s),
        ) => DateTime::parse_from_rfc3339(s).map_or_else(
            |_| Value::from_json(v),
            |t| Value::DateTime(Zdt::utc(t.with_timezone(&Utc))),
        ),
        _ => Value::from_json(v),
    }
}

fn map_of(json: Option<&Json>) -> Map {
    match json {
        Some(Json::Object(o)) => map_from_json(o),
        _ => Map::default(),
    }
}

impl UserView {
    fn new(source: Source, depth: usize) -> UserView {
        UserView {
            source,
            depth,
            profile: OnceLock::new(),
            groups: OnceLock::new(),
            internal: OnceLock::new(),
            linked: OnceLock::new(),
            app_users: OnceLock::new(),
            index: OnceLock::new(),
            json_len: OnceLock::new(),
            group_count: OnceLock::new(),
            name_scans: AtomicU8::new(0),
        }
    }

    /// A user from its JSON (the `user` shape of [`Context`](super::Context)). Fails if it is
    /// not an object or its `groups` (or a linked user's) is not a list.
    pub fn from_json(json: &Json) -> Result<UserView, EvalError> {
        check(json, 0)?;
        Ok(UserView::new(Source::Json(Arc::new(json.clone())), 0))
    }

    /// A user that reads a request's user in place.
    pub fn from_request(user: Arc<model::User>) -> UserView {
        UserView::new(Source::Request(user), 0)
    }

    /// The profile attributes.
    pub fn profile(&self) -> &Arc<Map> {
        self.profile.get_or_init(|| {
            Arc::new(match &self.source {
                Source::Json(j) => map_of(j.get("profile")),
                Source::Request(u) => map_from_json(&u.profile),
            })
        })
    }

    /// Group objects (maps with `id`, `name`, `type`, `sourceId`, `profile`, `objectClass`;
    /// see [`Context`](super::Context) for the defaults filled in).
    pub fn groups(&self) -> &Arc<Vec<Value>> {
        self.groups.get_or_init(|| {
            let mut share = GroupShare::default();
            Arc::new(match &self.source {
                Source::Json(j) => match j.get("groups") {
                    Some(Json::Array(a)) => a.iter().map(|g| group(g, &mut share)).collect(),
                    _ => Vec::new(),
                },
                Source::Request(u) => u
                    .groups
                    .iter()
                    .map(|g| group(&serde_json::to_value(g).unwrap_or_default(), &mut share))
                    .collect(),
            })
        })
    }

    /// Top-level properties: `id`, `status`, `created`, `lastUpdated`, `passwordChanged`,
    /// `lastLogin` (date-times), and any other top-level member but `profile`, `groups`,
    /// `linkedObjects` and `appUsers`.
    pub fn internal(&self) -> &Map {
        self.internal.get_or_init(|| {
            let mut m = Map::default();
            let skip = |k: &str| matches!(k, "profile" | "groups" | "linkedObjects" | "appUsers");
            match &self.source {
                Source::Json(j) => {
                    for (k, v) in j.as_object().into_iter().flatten() {
                        if !skip(k) {
                            m.insert(key(k), internal_value(k, v));
                        }
                    }
                }
                Source::Request(u) => {
                    m.insert(key("id"), Value::from(u.id.as_str()));
                    for (k, v) in [
                        ("status", &u.status),
                        ("created", &u.created),
                        ("lastUpdated", &u.last_updated),
                        ("passwordChanged", &u.password_changed),
                        ("lastLogin", &u.last_login),
                    ] {
                        if let Some(s) = v {
                            m.insert(key(k), internal_value(k, &Json::String(s.clone())));
                        }
                    }
                    for (k, v) in &u.extra {
                        if !skip(k) {
                            m.insert(key(k), internal_value(k, v));
                        }
                    }
                }
            }
            m
        })
    }

    /// Linked objects by primary name (`manager`, `assistant`, ...), each a user (null when
    /// not an object); followed 8 links deep.
    pub fn linked(&self) -> &Map {
        self.linked.get_or_init(|| {
            let mut m = Map::default();
            if self.depth >= MAX_LINK_DEPTH {
                return m;
            }
            let depth = self.depth + 1;
            match &self.source {
                Source::Json(j) => {
                    if let Some(Json::Object(lo)) = j.get("linkedObjects") {
                        for (name, u) in lo {
                            let v = if u.is_object() {
                                let src = Source::Json(Arc::new(u.clone()));
                                Value::User(Arc::new(UserView::new(src, depth)))
                            } else {
                                Value::Null
                            };
                            m.insert(Arc::from(name.as_str()), v);
                        }
                    }
                }
                Source::Request(u) => {
                    for (name, lu) in &u.linked_objects {
                        let src = Source::Request(Arc::new(lu.clone()));
                        let v = Value::User(Arc::new(UserView::new(src, depth)));
                        m.insert(Arc::from(name.as_str()), v);
                    }
                }
            }
            m
        })
    }

    /// App users by app name (`google`, ...): a map, or a list when the user has several
    /// instances of that app.
    pub fn app_users(&self) -> &Map {
        self.app_users.get_or_init(|| match &self.source {
            Source::Json(j) => map_of(j.get("appUsers")),
            Source::Request(u) => map_of(u.extra.get("appUsers")),
        })
    }

    /// The user as JSON (what it was built from).
    pub fn to_json(&self) -> Json {
        match &self.source {
            Source::Json(j) => (**j).clone(),
            Source::Request(u) => serde_json::to_value(&**u).unwrap_or_default(),
        }
    }

    /// The length of [`UserView::to_json`] as text (measured once, without building it).
    pub(crate) fn json_len(&self) -> usize {
        *self.json_len.get_or_init(|| {
            let mut n = CountingWriter::default();
            let _ = match &self.source {
                Source::Json(j) => serde_json::to_writer(&mut n, &**j),
                Source::Request(u) => serde_json::to_writer(&mut n, &**u),
            };
            n.0
        })
    }

    /// [`UserView::to_json`] as text, written from the source without copying it first.
    pub(crate) fn json_text(&self) -> String {
        match &self.source {
            Source::Json(j) => serde_json::to_string(&**j),
            Source::Request(u) => serde_json::to_string(&**u),
        }
        .unwrap_or_default()
    }

    /// How many groups the user has (without converting them).
    pub(crate) fn group_count(&self) -> usize {
        *self.group_count.get_or_init(|| match &self.source {
            Source::Json(j) => j.get("groups").and_then(Json::as_array).map_or(0, Vec::len),
            Source::Request(u) => u.groups.len(),
        })
    }

    /// Whether two users hold the same data.
    pub(crate) fn same(&self, other: &UserView) -> bool {
        match (&self.source, &other.source) {
            (Source::Json(a), Source::Json(b)) => Arc::ptr_eq(a, b) || a == b,
            (Source::Request(a), Source::Request(b)) => Arc::ptr_eq(a, b) || a == b,
            _ => self.to_json() == other.to_json(),
        }
    }

    /// The lookup tables over the groups, built on first call, from the source (the group
    /// maps are not built for them).
    pub(crate) fn group_index(&self) -> &GroupIndex {
        self.index.get_or_init(|| {
            let mut ix = GroupIndex::default();
            match &self.source {
                Source::Json(j) => {
                    if let Some(Json::Array(a)) = j.get("groups") {
                        for g in a {
                            let id = g.get("id").and_then(Json::as_str);
                            let name = json_group_name(g).and_then(Json::as_str);
                            ix.push(id, name.unwrap_or(""));
                        }
                    }
                }
                Source::Request(u) => {
                    for g in &u.groups {
                        ix.push(Some(&g.id), &g.name);
                    }
                }
            }
            ix
        })
    }

    /// Whether the name of some group (`""` when it has none) satisfies `f`. A request user's
    /// names are read in place; a JSON user's too the first time, and from the index (built
    /// then) after that, as looking names up in JSON objects costs more than keeping them.
    pub(crate) fn any_group_name(&self, mut f: impl FnMut(&str) -> bool) -> bool {
        if let Some(ix) = self.index.get() {
            return ix.names.iter().any(|n| f(n));
        }
        match &self.source {
            Source::Json(j) => {
                if self.name_scans.fetch_add(1, Ordering::Relaxed) > 0 {
                    return self.group_index().names.iter().any(|n| f(n));
                }
                match j.get("groups") {
                    Some(Json::Array(a)) => a
                        .iter()
                        .any(|g| f(json_group_name(g).and_then(Json::as_str).unwrap_or(""))),
                    _ => false,
                }
            }
            Source::Request(u) => u.groups.iter().any(|g| f(&g.name)),
        }
    }

    /// The names of the user's Okta groups (types `OKTA_GROUP` and `BUILT_IN`, or no type
    /// given), in order — what GROUPS claims filter.
    pub(crate) fn okta_group_names(&self) -> Vec<&str> {
        match &self.source {
            Source::Json(j) => match j.get("groups") {
                Some(Json::Array(a)) => a
                    .iter()
                    .filter(|g| is_okta_group(g.get("type").and_then(Json::as_str)))
                    .filter_map(|g| g.get("name").and_then(Json::as_str))
                    .collect(),
                _ => Vec::new(),
            },
            Source::Request(u) => {
                let mut names = Vec::with_capacity(u.groups.len());
                names.extend(
                    u.groups
                        .iter()
                        .filter(|g| is_okta_group(g.group_type.as_deref()))
                        .map(|g| g.name.as_str()),
                );
                names
            }
        }
    }

    /// The profile as JSON, when it is an object.
    pub(crate) fn profile_json(&self) -> Option<&serde_json::Map<String, Json>> {
        match &self.source {
            Source::Json(j) => j.get("profile").and_then(Json::as_object),
            Source::Request(u) => Some(&u.profile),
        }
    }

    /// The `lastUpdated` property, when it is a string.
    pub(crate) fn last_updated(&self) -> Option<&str> {
        match &self.source {
            Source::Json(j) => j.get("lastUpdated").and_then(Json::as_str),
            Source::Request(u) => u.last_updated.as_deref(),
        }
    }

    /// The top-level `emailVerified` member, when it is a boolean.
    pub(crate) fn email_verified(&self) -> Option<bool> {
        match &self.source {
            Source::Json(j) => j.get("emailVerified").and_then(Json::as_bool),
            Source::Request(u) => u.email_verified,
        }
    }

    /// Classic-dialect property read: a profile attribute, else `profile`, else a top-level
    /// property such as `id` or `status` (the Identity Engine spelling), else null.
    pub fn property(&self, name: &str) -> Value {
        self.attribute(name, |_| Ok::<(), std::convert::Infallible>(()))
            .map(Val::into_owned)
            .unwrap_or_default()
    }

    /// [`UserView::property`], borrowed from this user where the value is stored in it, calling
    /// `copy` with the length of a string profile attribute before it is returned (an
    /// evaluation charges it as a copy, whether or not this read converted it). The first read
    /// converts the whole profile, once per user; every read after it shares the converted
    /// values.
    pub(crate) fn attribute<E>(
        &self,
        name: &str,
        copy: impl FnOnce(usize) -> Result<(), E>,
    ) -> Result<Val<'_>, E> {
        self.attribute_by(name, |p| p.get(name), copy)
    }

    /// [`UserView::attribute`] of a program's property name (looked up where it was last
    /// found first, see [`Key`]).
    #[inline]
    pub(crate) fn attribute_key<E>(
        &self,
        key: &Key,
        copy: impl FnOnce(usize) -> Result<(), E>,
    ) -> Result<Val<'_>, E> {
        self.attribute_by(key, |p| p.get_key(key), copy)
    }

    #[inline(always)]
    fn attribute_by<'s, E>(
        &'s self,
        name: &str,
        find: impl FnOnce(&'s Map) -> Option<&'s Value>,
        copy: impl FnOnce(usize) -> Result<(), E>,
    ) -> Result<Val<'s>, E> {
        // The profile is converted once, on the first read of any attribute, and shared from
        // then on: each attribute is converted at most once per user. A string is charged as
        // copied on every read, so what reading it costs does not depend on what was read
        // before.
        let p = self.profile();
        if let Some(v) = find(p) {
            if let Value::Str(s) = v {
                copy(s.len())?;
            }
            return Ok(Val::Ref(v));
        }
        if name == "profile" {
            return Ok(Val::Own(Value::Map(p.clone())));
        }
        Ok(self
            .internal()
            .get(name)
            .map_or(Val::Own(Value::Null), Val::Ref))
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

/// Normalises a group object (see [`Context`](super::Context)) in one pass over its members:
/// `profile.name` defaults to `name` (and back), `objectClass` to `["okta:user_group"]`, and
/// `source` to `{"id": sourceId}`. Members keep their order; added ones follow them.
fn group(json: &Json, share: &mut GroupShare) -> Value {
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
                    Json::Object(p) => {
                        let mut pm = Map::with_capacity(p.len() + 1);
                        for (pk, pv) in p {
                            pm.insert(key(pk), Value::from_json(pv));
                        }
                        pm
                    }
                    _ => Map::default(),
                };
                let (i, _) = m.0.insert_full(key(k), Value::Null);
                profile = Some((i, p));
                continue;
            }
            ("type", Json::String(t)) => Value::Str(key(t)),
            ("sourceId", Json::String(sid)) => share.source_id(sid),
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
        None => (None, Map::default()),
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
    match slot.and_then(|i| m.0.get_index_mut(i)) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn groups(j: Json) -> Json {
        let u = UserView::from_json(&json!({"groups": j})).unwrap();
        Value::List(u.groups().clone()).to_json()
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

    /// The index read from the source agrees with the normalised group maps.
    #[test]
    fn group_index_agrees_with_the_group_maps() {
        let u = UserView::from_json(&json!({"groups": [
            {"id": "g1", "name": "IT"}, {"profile": {"name": "Ops"}, "id": "g2"},
            {"id": "g3", "name": null, "profile": {"name": "X"}}, {"id": 4, "name": 5}, 7,
            {"id": "g1", "name": "Dup"}
        ]}))
        .unwrap();
        assert!(u.index.get().is_none(), "built on first use");
        let mut seen = Vec::new();
        assert!(!u.any_group_name(|n| {
            seen.push(n.to_owned());
            false
        }));
        assert!(
            u.index.get().is_none() && u.groups.get().is_none(),
            "read in place"
        );
        let ix = u.group_index();
        assert_eq!(
            ix.names.iter().map(|n| n.to_string()).collect::<Vec<_>>(),
            seen
        );
        assert!(u.groups.get().is_none(), "without building the group maps");
        for (i, g) in u.groups().iter().enumerate() {
            let Value::Map(m) = g else { panic!("a map") };
            let name = match m.get("name") {
                Some(Value::Str(s)) => s.to_string(),
                _ => String::new(),
            };
            assert_eq!(*ix.names[i], name);
            assert_eq!(ix.lower[i], name.to_lowercase());
        }
        assert_eq!(ix.by_id.get("g1"), Some(&0));
        assert_eq!(ix.by_id.get("g2"), Some(&1));
        assert_eq!(ix.by_id.len(), 3);
    }

    /// A typed request user reads the same as its JSON.
    #[test]
    fn request_users_read_like_their_json() {
        let json = json!({"id": "00u1", "status": "ACTIVE",
            "lastUpdated": "2026-02-01T09:00:00.000Z", "statusChanged": "2026-01-01T00:00:00Z",
            "profile": {"login": "ann@example.com", "n": 3},
            "groups": [{"id": "00g1", "name": "Staff", "type": "OKTA_GROUP"},
                       {"id": "00g2", "name": "Apps", "type": "APP_GROUP", "sourceId": "0oa1",
                        "profile": {"description": "d"}}],
            "linkedObjects": {"manager": {"id": "00u2", "profile": {"login": "bo"},
                                          "appUsers": {"google": {"email": "bo@g"}}}},
            "_links": {"self": {"href": "x"}}});
        let typed: model::User = serde_json::from_value(json.clone()).unwrap();
        let typed = UserView::from_request(Arc::new(typed));
        let plain = UserView::from_json(&typed.to_json()).unwrap();
        assert_eq!(**typed.profile(), **plain.profile());
        assert_eq!(**typed.groups(), **plain.groups());
        assert_eq!(*typed.internal(), *plain.internal());
        assert_eq!(typed.okta_group_names(), plain.okta_group_names());
        assert_eq!(typed.group_index().names, plain.group_index().names);
        assert_eq!(typed.group_index().by_id, plain.group_index().by_id);
        assert_eq!(typed.profile_json(), plain.profile_json());
        assert_eq!(typed.last_updated(), plain.last_updated());
        let manager = |u: &UserView| match u.linked().get("manager") {
            Some(Value::User(m)) => (m.property("login"), m.app_users().clone()),
            _ => panic!("a linked user"),
        };
        assert_eq!(manager(&typed), manager(&plain));
        assert!(matches!(
            typed.internal().get("statusChanged"),
            Some(Value::DateTime(_))
        ));
        assert!(typed.same(&plain));
    }

    #[test]
    fn properties_are_converted_once() {
        let u =
            UserView::from_json(&json!({"id": "00u1", "profile": {"a": "x", "id": "p"}})).unwrap();
        assert!(
            u.profile.get().is_none(),
            "nothing is converted before a read"
        );
        let first = u.property("a");
        assert_eq!(first, Value::from("x"));
        assert!(
            u.profile.get().is_some(),
            "the first read converts the profile"
        );
        match (&first, &u.property("a")) {
            (Value::Str(a), Value::Str(b)) => assert!(Arc::ptr_eq(a, b), "later reads share it"),
            other => panic!("two strings, not {other:?}"),
        }
        assert_eq!(u.property("id"), Value::from("p"), "the profile first");
        assert_eq!(u.property("b"), Value::Null);
        assert!(matches!(u.property("profile"), Value::Map(m) if m.len() == 2));
        assert_eq!(u.property("a"), Value::from("x"));
        let odd = UserView::from_json(&json!({"id": "00u2", "profile": 3})).unwrap();
        assert_eq!(odd.property("id"), Value::from("00u2"));
        assert!(matches!(odd.property("profile"), Value::Map(m) if m.is_empty()));
    }

    #[test]
    fn shapes_are_checked_down_the_links() {
        assert!(UserView::from_json(&json!(5)).is_err());
        assert!(UserView::from_json(&json!({"groups": "x"})).is_err());
        assert!(
            UserView::from_json(&json!({"linkedObjects": {"manager": {"groups": 1}}})).is_err()
        );
        assert!(UserView::from_json(&json!({"linkedObjects": {"manager": 1}})).is_ok());
    }
}
