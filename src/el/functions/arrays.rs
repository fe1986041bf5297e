//! `Arrays.*` and methods on lists.
//!
//! Every `Arrays.*` function also takes a comma-separated string, which becomes a list of its
//! trimmed items (as strings: `'10, 20'` is `{'10', '20'}` — the element type is undocumented).
//! `Arrays.size(null)` is 0 and `Arrays.isEmpty(null)` is true (documented); the functions
//! that return a list read null as the empty list. The functions that only read a CSV string
//! (`size`, `contains`, `get`, `isEmpty`) read it in place, without making the list.

use std::sync::Arc;

use super::{Call, req_int, type_err};
use crate::el::Fail as EvalError;
use crate::el::cost::{ALLOC_UNITS, STR_OVERHEAD, VALUE_BYTES, byte_units};
use crate::el::eval::{Env, Val, bool_val};
use crate::el::value::Value;

/// A list argument: a list, a CSV string, or null (none).
enum Items<'a> {
    None,
    List(&'a Arc<Vec<Value>>),
    Csv(&'a str),
}

fn items<'a>(v: &'a Value, what: &str) -> Result<Items<'a>, EvalError> {
    match v {
        Value::Null => Ok(Items::None),
        Value::List(l) => Ok(Items::List(l)),
        Value::Str(s) => Ok(Items::Csv(s)),
        other => Err(type_err(format!(
            "{what} expects a list or a comma-separated string, not a {}",
            other.type_name()
        ))),
    }
}

/// The trimmed items of a CSV string (none when it is blank).
fn csv_items(s: &str) -> impl Iterator<Item = &str> {
    let blank = s.trim().is_empty();
    s.split(',').filter(move |_| !blank).map(str::trim)
}

/// Charges reading a CSV string in place (each item is found and trimmed).
fn charge_csv(env: &Env<'_>, s: &str) -> Result<(), EvalError> {
    env.charge(byte_units(s.len()).saturating_mul(2))?;
    env.charge(csv_len(s) as u64 * 2)
}

/// How many items a CSV string has.
fn csv_len(s: &str) -> usize {
    if s.trim().is_empty() {
        0
    } else {
        s.bytes().filter(|b| *b == b',').count() + 1
    }
}

impl Items<'_> {
    fn len(&self) -> usize {
        match self {
            Items::None => 0,
            Items::List(l) => l.len(),
            Items::Csv(s) => csv_len(s),
        }
    }

    /// The elements as a new vector with room for `extra` more, charged before it is made.
    fn to_vec(&self, env: &Env<'_>, extra: usize) -> Result<Vec<Value>, EvalError> {
        let n = self.len();
        env.alloc_list(n.saturating_add(extra))?;
        let mut out = Vec::with_capacity(n + extra);
        match self {
            Items::None => {}
            Items::List(l) => out.extend(l.iter().cloned()),
            Items::Csv(s) => {
                // each item is a new string
                env.budget.alloc(s.len() as u64 + n as u64 * STR_OVERHEAD)?;
                out.extend(csv_items(s).map(Value::from));
            }
        }
        Ok(out)
    }
}

/// `Arrays.add(list, value)`.
pub(crate) fn add(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    let [l, v] = c.args()?;
    let mut out = items(l, "Arrays.add")?.to_vec(env, 1)?;
    out.push(v.clone());
    Ok(env.list_value(out))
}

/// Removes the first element equal to the value (by value, not by index).
fn remove_first(env: &Env<'_>, mut out: Vec<Value>, v: &Value) -> Result<Value, EvalError> {
    let mut found = None;
    for (i, e) in out.iter().enumerate() {
        if env.spel_eq(e, v)? {
            found = Some(i);
            break;
        }
    }
    if let Some(i) = found {
        out.remove(i);
    }
    Ok(env.list_value(out))
}

/// `Arrays.remove(list, value)`: the first element equal to the value removed.
pub(crate) fn remove(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    let [l, v] = c.args()?;
    let out = items(l, "Arrays.remove")?.to_vec(env, 0)?;
    remove_first(env, out, v)
}

/// `Arrays.clear(list)`: the empty list.
pub(crate) fn clear(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    let [l] = c.args()?;
    items(l, "Arrays.clear")?;
    env.alloc_list(0)?;
    Ok(Value::from(Vec::new()))
}

/// `Arrays.get(list, index)`.
pub(crate) fn get(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    let [l, i] = c.args()?;
    if l.is_null() {
        return Ok(Value::Null);
    }
    let list = items(l, "Arrays.get")?;
    req_int(i, "Arrays.get")?;
    match list {
        Items::List(_) => env.index(l, i),
        Items::Csv(s) => {
            charge_csv(env, s)?;
            let n = req_int(i, "Arrays.get")?;
            match usize::try_from(n).ok().and_then(|k| csv_items(s).nth(k)) {
                Some(item) => env.new_str(item),
                None => Err(crate::el::eval::oob(n, csv_len(s), "list")),
            }
        }
        Items::None => Ok(Value::Null),
    }
}

/// Splices nested lists into `out`, each element charged before it is added.
fn flatten_into(
    env: &Env<'_>,
    v: &Value,
    out: &mut Vec<Value>,
    depth: usize,
) -> Result<(), EvalError> {
    match v {
        Value::List(l) if depth < 64 => {
            env.charge(l.len() as u64)?;
            for e in l.iter() {
                flatten_into(env, e, out, depth + 1)?;
            }
            Ok(())
        }
        other => push(env, out, other.clone()),
    }
}

fn push(env: &Env<'_>, out: &mut Vec<Value>, v: Value) -> Result<(), EvalError> {
    if out.len() >= env.limits.max_list_len {
        return Err(crate::el::cost::list_too_long(
            format_args!("more than {}", env.limits.max_list_len),
            env.limits.max_list_len,
        ));
    }
    env.budget.alloc(VALUE_BYTES)?;
    out.push(v);
    Ok(())
}

fn flatten_all(env: &Env<'_>, args: &[Val<'_>]) -> Result<Value, EvalError> {
    let mut out = Vec::new();
    for a in args {
        match &**a {
            Value::Null => {}
            Value::Str(s) => {
                let n = csv_len(s);
                if out.len().saturating_add(n) > env.limits.max_list_len {
                    return Err(crate::el::cost::list_too_long(
                        out.len().saturating_add(n),
                        env.limits.max_list_len,
                    ));
                }
                charge_csv(env, s)?;
                env.charge(n as u64 * 5 * ALLOC_UNITS)?;
                env.budget
                    .alloc(s.len() as u64 + n as u64 * (STR_OVERHEAD + VALUE_BYTES))?;
                out.extend(csv_items(s).map(Value::from));
            }
            other => flatten_into(env, other, &mut out, 0)?,
        }
    }
    Ok(env.list_value(out))
}

/// `Arrays.flatten(a, b, ...)`: nested lists spliced in order; a string argument is read as
/// CSV; null arguments are skipped.
pub(crate) fn flatten(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    flatten_all(env, c.args)
}

/// `Arrays.contains(list, value)`: exact, case-sensitive element match (numbers by value).
pub(crate) fn contains(env: &Env<'_>, c: &Call<'_>) -> Result<Val<'static>, EvalError> {
    let [l, v] = c.args()?;
    Ok(bool_val(match items(l, "Arrays.contains")? {
        Items::None => false,
        Items::List(l) => {
            let mut found = false;
            for e in l.iter() {
                if env.spel_eq(e, v)? {
                    found = true;
                    break;
                }
            }
            found
        }
        Items::Csv(s) => {
            charge_csv(env, s)?;
            // the items are strings: only a string can equal one
            v.as_str().is_some_and(|v| csv_items(s).any(|i| i == v))
        }
    }))
}

/// `Arrays.size(list)`: null is 0.
pub(crate) fn size(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    let [l] = c.args()?;
    let list = items(l, "Arrays.size")?;
    if let Items::Csv(s) = list {
        env.scan(s.len().saturating_mul(8))?;
    }
    Ok(Value::Int(i32::try_from(list.len()).unwrap_or(i32::MAX)))
}

/// `Arrays.isEmpty(list)`: null is empty.
pub(crate) fn is_empty(env: &Env<'_>, c: &Call<'_>) -> Result<Val<'static>, EvalError> {
    let [l] = c.args()?;
    let list = items(l, "Arrays.isEmpty")?;
    if let Items::Csv(s) = list {
        env.scan(s.len().saturating_mul(8))?;
    }
    Ok(bool_val(list.len() == 0))
}

/// `Arrays.toCsvString(list)`: elements joined with "," (no spaces added); null gives null.
pub(crate) fn to_csv(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    let [l] = c.args()?;
    match items(l, "Arrays.toCsvString")? {
        Items::None => Ok(Value::Null),
        Items::List(list) => {
            // a list renders as its elements joined with ","
            env.java_string(&Value::List(list.clone()))
        }
        Items::Csv(s) => {
            charge_csv(env, s)?;
            let mut out = env.bounded();
            let mut r = Ok(());
            for (i, item) in csv_items(s).enumerate() {
                r = if i > 0 { out.push_str(",") } else { Ok(()) }
                    .and_then(|()| out.push_str(item));
                if r.is_err() {
                    break;
                }
            }
            env.finish(out, r)
        }
    }
}

fn recv<'a>(c: &Call<'a>) -> Result<&'a Arc<Vec<Value>>, EvalError> {
    match c.recv {
        Value::List(l) => Ok(l),
        _ => Err(c.unsupported()),
    }
}

/// `list.add(value)`.
pub(crate) fn m_add(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    let l = recv(c)?;
    let [v] = c.args()?;
    let mut out = Items::List(l).to_vec(env, 1)?;
    out.push(v.clone());
    Ok(env.list_value(out))
}

/// `list.remove(value)`: the first element equal to the value removed.
pub(crate) fn m_remove(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    let l = recv(c)?;
    let [v] = c.args()?;
    let out = Items::List(l).to_vec(env, 0)?;
    remove_first(env, out, v)
}

/// `list.flatten()`.
pub(crate) fn m_flatten(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    recv(c)?;
    flatten_all(env, &[Val::Ref(c.recv)])
}

/// `list.contains(value)` (Java `equals`).
pub(crate) fn list_contains(env: &Env<'_>, l: &[Value], v: &Value) -> Result<bool, EvalError> {
    for e in l {
        if env.java_eq(e, v)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// `list.indexOf(value)` / `list.lastIndexOf(value)` (Java `equals`), -1 when absent.
pub(crate) fn list_index_of(
    env: &Env<'_>,
    l: &[Value],
    v: &Value,
    last: bool,
) -> Result<Value, EvalError> {
    let found = if last {
        let mut found = None;
        for (i, e) in l.iter().enumerate().rev() {
            if env.java_eq(e, v)? {
                found = Some(i);
                break;
            }
        }
        found
    } else {
        let mut found = None;
        for (i, e) in l.iter().enumerate() {
            if env.java_eq(e, v)? {
                found = Some(i);
                break;
            }
        }
        found
    };
    Ok(Value::Int(
        found.map_or(-1, |i| i32::try_from(i).unwrap_or(i32::MAX)),
    ))
}
