//! Engine values: SpEL's types as Okta uses them, shared cheaply with `Arc`.

use std::cmp::Ordering;
use std::fmt;
use std::sync::atomic::{self, AtomicU32};
use std::sync::{Arc, OnceLock};

use super::user::UserView;

use arrayvec::ArrayString;
use indexmap::IndexMap;

use super::cost::{Bounded, Full, byte_units};
use super::datetime::Zdt;
use super::{EvalErrorKind, Fail as EvalError};

/// The map inside [`Map`]: insertion-ordered, hashed with foldhash (engine maps are small and
/// made per request, where SipHash's cost shows).
pub(crate) type RawMap = IndexMap<Arc<str>, Value, foldhash::fast::RandomState>;

/// A string-keyed map of values that keeps insertion order (JSON objects, inline maps,
/// groups, app users).
///
/// ```
/// use tokenmint::el::{Map, Value};
///
/// let mut m = Map::new();
/// m.insert("b", Value::from(1));
/// m.insert("a", Value::from("x"));
/// assert_eq!(m.get("a"), Some(&Value::from("x")));
/// assert_eq!(m.keys().collect::<Vec<_>>(), ["b", "a"]);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Map(pub(crate) RawMap);

/// A property name a program reads, with the position in a map it was last found at: a hint
/// that [`Map::get_key`] checks (the key there must be equal) before it hashes the name. The
/// hint changes only how fast a lookup is, never what it finds or what it is charged; a
/// program shared between threads updates it with relaxed atomics.
pub(crate) struct Key {
    name: Arc<str>,
    hint: AtomicU32,
}

impl Key {
    /// The key of a property name: a common one (`email`, `department`) shares the text a
    /// context's maps use for it (see [`key`]), so that finding it where the hint points
    /// compares two pointers, not two strings.
    pub(crate) fn new(name: &str) -> Key {
        Key {
            name: key(name),
            hint: AtomicU32::new(0),
        }
    }
}

impl std::ops::Deref for Key {
    type Target = str;

    #[inline]
    fn deref(&self) -> &str {
        &self.name
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.name, f)
    }
}

impl Map {
    /// An empty map.
    #[inline]
    pub fn new() -> Map {
        Map::default()
    }

    /// An empty map with room for `n` entries.
    #[inline]
    pub fn with_capacity(n: usize) -> Map {
        Map(RawMap::with_capacity_and_hasher(n, Default::default()))
    }

    /// The value of a key.
    #[inline]
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// The value of a key, trying first the position `key` was last found at (in any map):
    /// a tenant's users share one profile layout, so a program's `user.email` usually finds
    /// `email` where it found it in the previous user's profile, with no hashing.
    #[inline]
    pub(crate) fn get_key(&self, key: &Key) -> Option<&Value> {
        let at = key.hint.load(atomic::Ordering::Relaxed) as usize;
        if let Some((k, v)) = self.0.get_index(at)
            && (Arc::ptr_eq(k, &key.name) || **k == *key.name)
        {
            return Some(v);
        }
        let (at, _, v) = self.0.get_full(&*key.name)?;
        key.hint.store(
            u32::try_from(at).unwrap_or(u32::MAX),
            atomic::Ordering::Relaxed,
        );
        Some(v)
    }

    /// Whether the map holds a key.
    #[inline]
    pub fn contains_key(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// Sets a key's value (at its place if present, else last); returns the old value.
    #[inline]
    pub fn insert(&mut self, key: impl Into<Arc<str>>, value: Value) -> Option<Value> {
        self.0.insert(key.into(), value)
    }

    /// How many entries.
    #[inline]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is none.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The entries in order.
    #[inline]
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (&**k, v))
    }

    /// The keys in order.
    #[inline]
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &str> {
        self.0.keys().map(|k| &**k)
    }

    /// The values in order.
    #[inline]
    pub fn values(&self) -> impl ExactSizeIterator<Item = &Value> {
        self.0.values()
    }
}

impl<K: Into<Arc<str>>> FromIterator<(K, Value)> for Map {
    #[inline]
    fn from_iter<I: IntoIterator<Item = (K, Value)>>(iter: I) -> Map {
        Map(iter.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }
}

/// An ISO 3166 country, the value of `parseCountryCode()`.
///
/// ```
/// use tokenmint::el::{self, Value};
///
/// let program = el::compile("'us'.parseCountryCode()", &el::Limits::default()).unwrap();
/// let Value::Country(c) = program.eval(&el::Context::new()).unwrap() else { panic!() };
/// assert_eq!((c.alpha2(), c.alpha3(), c.numeric()), ("US", "USA", "840"));
/// assert_eq!(c.name(), "United States");
/// ```
#[derive(Debug, Clone)]
pub struct Country(Arc<celes::Country>);

impl Country {
    #[inline]
    pub(crate) fn new(c: celes::Country) -> Country {
        Country(Arc::new(c))
    }

    #[inline]
    pub(crate) fn get(&self) -> &celes::Country {
        &self.0
    }

    /// The two-letter code (`US`).
    #[inline]
    pub fn alpha2(&self) -> &str {
        self.0.alpha2
    }

    /// The three-letter code (`USA`).
    #[inline]
    pub fn alpha3(&self) -> &str {
        self.0.alpha3
    }

    /// The numeric code, as three digits (`840`).
    #[inline]
    pub fn numeric(&self) -> &str {
        self.0.code
    }

    /// The common English short name (`United States`).
    #[inline]
    pub fn name(&self) -> String {
        country_name(&self.0)
    }
}

/// The common English short name. The table's official long names are tidied
/// ("The United States Of America" → "United States of America"), and a few long official
/// names are replaced by the short names Okta's examples print ("United States").
pub(crate) fn country_name(c: &celes::Country) -> String {
    match c.alpha2 {
        "US" => return "United States".into(),
        "GB" => return "United Kingdom".into(),
        "RU" => return "Russia".into(),
        "KR" => return "South Korea".into(),
        "KP" => return "North Korea".into(),
        _ => {}
    }
    let n = c.long_name.strip_prefix("The ").unwrap_or(c.long_name);
    n.split(' ')
        .enumerate()
        .map(|(i, w)| match w {
            "Of" | "And" | "The" | "Da" | "De" if i > 0 => w.to_lowercase(),
            _ => w.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A value of the expression language.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub enum Value {
    /// `null`, and every attribute that was never populated.
    #[default]
    Null,
    /// A boolean.
    Bool(bool),
    /// A 32-bit integer (SpEL `Integer`); arithmetic wraps around like Java's.
    Int(i32),
    /// A 64-bit integer (SpEL `Long`).
    Long(i64),
    /// A double (SpEL `Double`; float literals are read as doubles too).
    Double(f64),
    /// A string.
    Str(Arc<str>),
    /// A list (arrays and collections).
    List(Arc<Vec<Value>>),
    /// A map (JSON objects, inline maps, groups, app users).
    Map(Arc<Map>),
    /// An Okta user (the `user` root, linked objects, managers).
    User(Arc<UserView>),
    /// An ISO 3166 country (`parseCountryCode()`).
    Country(Country),
    /// A date-time with a zone (`DateTime.now()`, `user.created`, `parseStringTime()`).
    DateTime(Zdt),
}

impl serde::Serialize for Value {
    /// The JSON of [`Value::to_json`], written without building it.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i32(*i),
            Value::Long(i) => s.serialize_i64(*i),
            Value::Double(d) if d.is_finite() => s.serialize_f64(*d),
            Value::Double(_) => s.serialize_unit(),
            Value::Str(v) => s.serialize_str(v),
            Value::List(l) => {
                let mut seq = s.serialize_seq(Some(l.len()))?;
                for v in l.iter() {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
            Value::Map(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m.0.iter() {
                    map.serialize_entry(&**k, v)?;
                }
                map.end()
            }
            Value::User(u) => u.to_json().serialize(s),
            Value::Country(c) => s.serialize_str(c.alpha2()),
            Value::DateTime(z) => s.serialize_str(&z.to_iso_string()),
        }
    }
}

impl PartialEq for Value {
    /// Structural equality (Java `equals`: `Int(1) != Long(1)`); the `==` operator compares numbers by value instead.
    fn eq(&self, other: &Value) -> bool {
        java_equals(self, other)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Str(Arc::from(s))
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(Arc::from(s))
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<i32> for Value {
    fn from(i: i32) -> Value {
        Value::Int(i)
    }
}

impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Value {
        Value::List(Arc::new(v))
    }
}

impl Value {
    /// Converts JSON into an engine value: integers that fit 32 bits become `Int`, larger ones
    /// `Long`, other numbers `Double`; objects keep their key order.
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    i32::try_from(i).map_or(Value::Long(i), Value::Int)
                } else {
                    Value::Double(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            serde_json::Value::String(s) => Value::Str(Arc::from(s.as_str())),
            serde_json::Value::Array(a) => {
                Value::List(Arc::new(a.iter().map(Value::from_json).collect()))
            }
            serde_json::Value::Object(o) => Value::Map(Arc::new(map_from_json(o))),
        }
    }

    /// The JSON form of the value, as emitted in a claim: ints stay ints, doubles stay doubles
    /// (a non-finite double becomes null), lists and maps recurse, a user is the JSON it was
    /// built from, a country is its alpha-2 code, a date-time its ISO 8601 text.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Long(i) => J::from(*i),
            Value::Double(d) => serde_json::Number::from_f64(*d).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.to_string()),
            Value::List(l) => J::Array(l.iter().map(Value::to_json).collect()),
            Value::Map(m) => J::Object(
                m.iter()
                    .map(|(k, v)| (k.to_string(), v.to_json()))
                    .collect(),
            ),
            Value::User(u) => u.to_json(),
            Value::Country(c) => J::String(c.alpha2().to_owned()),
            Value::DateTime(z) => J::String(z.to_iso_string()),
        }
    }

    /// A short name of the value's type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Long(_) => "long",
            Value::Double(_) => "double",
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Map(_) => "map",
            Value::User(_) => "user",
            Value::Country(_) => "country code",
            Value::DateTime(_) => "date-time",
        }
    }

    /// `true` for null.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Java's `String.valueOf` of the value, as string concatenation renders it
    /// (`null` → `"null"`, `1.0` → `"1.0"`, a list → its elements joined with `,`).
    pub fn to_java_string(&self) -> String {
        let mut s = String::new();
        // a String sink is never full
        let _ = self.write_java(&mut s, true);
        s
    }

    /// Appends [`Value::to_java_string`] to a bounded string; `Err(Full)` once it would not
    /// fit (what was written stays).
    pub(crate) fn write_java_to(&self, out: &mut Bounded) -> Result<(), Full> {
        match self {
            Value::Str(s) => out.push_str(s),
            other => other.write_java(out, true),
        }
    }

    fn write_java<S: Sink>(&self, out: &mut S, top: bool) -> Result<(), Full> {
        out.visit(match self {
            // chrono and serde do more per value; a user's JSON is serialized byte by byte
            Value::Double(_) | Value::DateTime(_) => 4,
            Value::User(u) => 4 + u.json_len() as u64 / 8,
            _ => 1,
        });
        match self {
            Value::Null => out.put("null"),
            Value::Bool(b) => out.put(if *b { "true" } else { "false" }),
            Value::Int(i) => out.put(&i.to_string()),
            Value::Long(i) => out.put(&i.to_string()),
            Value::Double(d) => out.put(&java_double(*d)),
            Value::Str(s) => out.put(s),
            Value::List(l) => {
                // SpEL converts a collection to a string by joining its elements with ","
                // at the top level; nested collections print like Java's `toString`.
                if !top {
                    out.put("[")?;
                }
                for (i, v) in l.iter().enumerate() {
                    if i > 0 {
                        out.put(if top { "," } else { ", " })?;
                    }
                    v.write_java(out, false)?;
                }
                if !top {
                    out.put("]")?;
                }
                Ok(())
            }
            Value::Map(m) => {
                out.put("{")?;
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        out.put(", ")?;
                    }
                    out.put(k)?;
                    out.put("=")?;
                    v.write_java(out, false)?;
                }
                out.put("}")
            }
            Value::User(u) => {
                // the JSON is measured first, so a long one is refused before it is written
                out.room(u.json_len())?;
                out.put(&u.json_text())
            }
            Value::Country(c) => out.put(c.alpha2()),
            Value::DateTime(z) => out.put(&z.to_java_string()),
        }
    }
}

/// Where [`Value::write_java`] writes: a `String` (never full) or a [`Bounded`] string.
trait Sink {
    fn put(&mut self, s: &str) -> Result<(), Full>;
    fn room(&self, n: usize) -> Result<(), Full>;
    /// Counts values rendered (a bounded string charges them).
    fn visit(&mut self, _weight: u64) {}
}

impl Sink for String {
    fn put(&mut self, s: &str) -> Result<(), Full> {
        self.push_str(s);
        Ok(())
    }

    fn room(&self, _: usize) -> Result<(), Full> {
        Ok(())
    }
}

impl Sink for Bounded {
    fn put(&mut self, s: &str) -> Result<(), Full> {
        self.push_str(s)
    }

    fn room(&self, n: usize) -> Result<(), Full> {
        Bounded::room(self, n)
    }

    fn visit(&mut self, weight: u64) {
        self.visits = self.visits.saturating_add(weight);
    }
}

/// Converts a JSON object into a [`Map`], sharing the key of common attribute names (see
/// [`key`]) instead of allocating it.
pub(crate) fn map_from_json(o: &serde_json::Map<String, serde_json::Value>) -> Map {
    let mut m = Map::with_capacity(o.len());
    for (k, v) in o {
        m.insert(key(k), Value::from_json(v));
    }
    m
}

/// Keys that occur in (nearly) every context: the attributes of users, groups and apps that
/// Okta defines (and the group types, shared the same way). Converting a context shares one `Arc<str>` per key instead of allocating one
/// per occurrence.
const COMMON_KEYS: &[&str] = &[
    "id",
    "name",
    "type",
    "profile",
    "sourceId",
    "sourceName",
    "source",
    "objectClass",
    "description",
    "status",
    "created",
    "lastUpdated",
    "login",
    "email",
    "firstName",
    "lastName",
    "displayName",
    "nickName",
    "title",
    "department",
    "division",
    "organization",
    "manager",
    "managerId",
    "employeeNumber",
    "costCenter",
    "mobilePhone",
    "primaryPhone",
    "secondEmail",
    "streetAddress",
    "city",
    "state",
    "zipCode",
    "countryCode",
    "preferredLanguage",
    "locale",
    "timezone",
    "userType",
    "clientId",
    "scope",
    "userName",
    "label",
    // group types
    "OKTA_GROUP",
    "APP_GROUP",
    "BUILT_IN",
];

/// The map key for `k`: a shared `Arc<str>` when `k` is one of the common keys, else a new one.
pub(crate) fn key(k: &str) -> Arc<str> {
    /// The common keys, bucketed by length so a lookup compares only a few strings.
    static KEYS: OnceLock<Vec<Vec<Arc<str>>>> = OnceLock::new();
    let keys = KEYS.get_or_init(|| {
        let mut by_len: Vec<Vec<Arc<str>>> = Vec::new();
        for &c in COMMON_KEYS {
            if by_len.len() <= c.len() {
                by_len.resize(c.len() + 1, Vec::new());
            }
            if let Some(bucket) = by_len.get_mut(c.len()) {
                bucket.push(Arc::from(c));
            }
        }
        by_len
    });
    match keys
        .get(k.len())
        .and_then(|b| b.iter().find(|c| ***c == *k))
    {
        Some(c) => c.clone(),
        None => Arc::from(k),
    }
}

/// Java's `Double.toString`: shortest round-trip digits, plain notation in [1e-3, 1e7),
/// otherwise `d.dddE±n`.
pub(crate) fn java_double(d: f64) -> String {
    if d.is_nan() {
        return "NaN".into();
    }
    if d.is_infinite() {
        return if d > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if d == 0.0 {
        return if d.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    let a = d.abs();
    if (1e-3..1e7).contains(&a) {
        let s = format!("{d}");
        if s.contains('.') { s } else { s + ".0" }
    } else {
        let s = format!("{d:e}");
        let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let mant = if mant.contains('.') {
            mant.to_owned()
        } else {
            format!("{mant}.0")
        };
        format!("{mant}E{exp}")
    }
}

/// Java `equals` between values: type-sensitive for numbers, element-wise for lists and maps.
pub(super) fn java_equals(a: &Value, b: &Value) -> bool {
    let mut unlimited = u64::MAX;
    java_equals_within(a, b, &mut unlimited).unwrap_or(false)
}

/// Takes `units` from `left`; `None` once it runs out.
fn spend(left: &mut u64, units: u64) -> Option<()> {
    *left = left.checked_sub(units)?;
    Some(())
}

/// [`java_equals`] whose work is metered: one unit per pair of values compared, string bytes
/// at the usual rate (a user's by the size of its JSON); `None` when `left` runs out first.
pub(crate) fn java_equals_within(a: &Value, b: &Value, left: &mut u64) -> Option<bool> {
    spend(left, 1)?;
    Some(match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Long(x), Value::Long(y)) => x == y,
        (Value::Double(x), Value::Double(y)) => x == y || (x.is_nan() && y.is_nan()),
        (Value::Str(x), Value::Str(y)) => {
            if x.len() != y.len() {
                return Some(false);
            }
            spend(left, byte_units(x.len()))?;
            x == y
        }
        (Value::List(x), Value::List(y)) => {
            if Arc::ptr_eq(x, y) {
                return Some(true);
            }
            // a list's elements may be anywhere in memory: the first is a cache miss
            spend(left, 4)?;
            if x.len() != y.len() {
                return Some(false);
            }
            for (p, q) in x.iter().zip(y.iter()) {
                if !java_equals_within(p, q, left)? {
                    return Some(false);
                }
            }
            true
        }
        (Value::Map(x), Value::Map(y)) => {
            if Arc::ptr_eq(x, y) {
                return Some(true);
            }
            spend(left, 4)?;
            if x.len() != y.len() {
                return Some(false);
            }
            for (k, v) in x.iter() {
                spend(left, byte_units(k.len()))?;
                match y.get(k) {
                    Some(w) if java_equals_within(v, w, left)? => {}
                    _ => return Some(false),
                }
            }
            true
        }
        (Value::User(x), Value::User(y)) => {
            if Arc::ptr_eq(x, y) {
                return Some(true);
            }
            spend(left, byte_units(x.json_len().min(y.json_len())))?;
            x.same(y)
        }
        (Value::Country(x), Value::Country(y)) => x.alpha2() == y.alpha2(),
        (Value::DateTime(x), Value::DateTime(y)) => x == y,
        _ => false,
    })
}

/// SpEL `==`: numbers by value across types (`1 == 1.0`), strings and booleans by value, no
/// coercion between kinds (`'1' == 1` is false), null equal only to null; metered like
/// [`java_equals_within`].
pub(crate) fn spel_eq_within(a: &Value, b: &Value, left: &mut u64) -> Option<bool> {
    if let (Some(x), Some(y)) = (num(a), num(b)) {
        spend(left, 1)?;
        return Some(cmp_num(x, y) == Some(Ordering::Equal));
    }
    java_equals_within(a, b, left)
}

enum Num {
    I(i64),
    D(f64),
}

fn num(v: &Value) -> Option<Num> {
    match v {
        Value::Int(i) => Some(Num::I(i64::from(*i))),
        Value::Long(i) => Some(Num::I(*i)),
        Value::Double(d) => Some(Num::D(*d)),
        _ => None,
    }
}

fn cmp_num(a: Num, b: Num) -> Option<Ordering> {
    match (a, b) {
        (Num::I(x), Num::I(y)) => Some(x.cmp(&y)),
        (Num::I(x), Num::D(y)) => (x as f64).partial_cmp(&y),
        (Num::D(x), Num::I(y)) => x.partial_cmp(&(y as f64)),
        (Num::D(x), Num::D(y)) => x.partial_cmp(&y),
    }
}

/// SpEL ordering for `<`, `<=`, `>`, `>=`: null is smaller than everything, numbers compare by
/// value, strings lexicographically (by UTF-16 code units, like Java's `compareTo`), booleans
/// false < true, date-times by instant. Other pairs are an error.
pub(super) fn spel_cmp(a: &Value, b: &Value) -> Result<Ordering, EvalError> {
    if let (Some(x), Some(y)) = (num(a), num(b)) {
        // NaN compares like Java's Double.compareTo: greater than everything.
        return Ok(cmp_num(x, y).unwrap_or_else(|| {
            let an = matches!(a, Value::Double(d) if d.is_nan());
            let bn = matches!(b, Value::Double(d) if d.is_nan());
            an.cmp(&bn)
        }));
    }
    match (a, b) {
        (Value::Null, Value::Null) => Ok(Ordering::Equal),
        (Value::Null, _) => Ok(Ordering::Less),
        (_, Value::Null) => Ok(Ordering::Greater),
        (Value::Str(x), Value::Str(y)) if x.is_ascii() && y.is_ascii() => Ok(x.cmp(y)),
        (Value::Str(x), Value::Str(y)) => Ok(x.encode_utf16().cmp(y.encode_utf16())),
        (Value::Bool(x), Value::Bool(y)) => Ok(x.cmp(y)),
        (Value::DateTime(x), Value::DateTime(y)) => Ok(x.instant().cmp(&y.instant())),
        _ => Err(EvalError::new(
            EvalErrorKind::Type,
            format!("cannot compare {} with {}", a.type_name(), b.type_name()),
        )),
    }
}

/// Bytes a [`StrBuf`] holds inline before it moves to the heap.
const STR_BUF_INLINE: usize = 64;

/// A string being built for a [`Value::Str`]: short ones on the stack, so that the value's own
/// allocation is the only one (a `String` would be allocated and then copied into the value).
pub(crate) struct StrBuf {
    inline: ArrayString<STR_BUF_INLINE>,
    heap: Option<String>,
}

impl StrBuf {
    pub(crate) fn new() -> StrBuf {
        StrBuf {
            inline: ArrayString::new(),
            heap: None,
        }
    }

    /// The length of the text so far, in bytes.
    pub(crate) fn len(&self) -> usize {
        self.heap.as_ref().map_or(self.inline.len(), String::len)
    }

    /// Appends `s`.
    pub(crate) fn push_str(&mut self, s: &str) {
        if let Some(h) = &mut self.heap {
            h.push_str(s);
            return;
        }
        if self.inline.try_push_str(s).is_err() {
            let mut h =
                String::with_capacity(self.inline.len().saturating_add(s.len()).saturating_mul(2));
            h.push_str(&self.inline);
            h.push_str(s);
            self.heap = Some(h);
        }
    }

    /// The string value.
    pub(crate) fn into_value(self) -> Value {
        match self.heap {
            Some(h) => Value::from(h),
            None => Value::from(self.inline.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_double_format() {
        assert_eq!(java_double(1.0), "1.0");
        assert_eq!(java_double(2.5), "2.5");
        assert_eq!(java_double(1e20), "1.0E20");
        assert_eq!(java_double(1.5e-5), "1.5E-5");
        assert_eq!(java_double(1e7), "1.0E7");
        assert_eq!(java_double(1234567.0), "1234567.0");
        assert_eq!(java_double(0.001), "0.001");
        assert_eq!(java_double(-0.0), "-0.0");
    }

    /// Serializing a value writes exactly the JSON of `to_json`.
    #[test]
    fn serialize_is_to_json() {
        let ctx = serde_json::json!({"id": "00u1", "created": "2026-01-01T00:00:00Z",
                                     "profile": {"a": [1, 2.5, null, true, "x"]}});
        let user = Value::User(Arc::new(UserView::from_json(&ctx).unwrap()));
        let mut map = Map::default();
        map.insert(key("k"), Value::Long(1 << 40));
        map.insert(key("nan"), Value::Double(f64::NAN));
        map.insert(key("inf"), Value::Double(f64::INFINITY));
        map.insert(key("d"), Value::Double(1.0));
        map.insert(key("neg"), Value::Double(-0.0));
        map.insert(key("u"), user);
        map.insert(
            key("c"),
            Value::Country(Country::new(celes::Country::the_united_states_of_america())),
        );
        map.insert(
            key("t"),
            Value::DateTime(Zdt::utc(chrono::DateTime::UNIX_EPOCH)),
        );
        map.insert(key("e\"q"), Value::from("\u{1}\"\\é"));
        let v = Value::List(Arc::new(vec![Value::Map(Arc::new(map)), Value::Null]));
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            serde_json::to_string(&v.to_json()).unwrap()
        );
    }
}
