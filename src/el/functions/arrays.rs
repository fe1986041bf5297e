//! `Arrays.*` and methods on lists.
//!
//! Every `Arrays.*` function also takes a comma-separated string, which becomes a list of its
//! trimmed items (as strings: `'10, 20'` is `{'10', '20'}` — the element type is undocumented).
//! `Arrays.size(null)` is 0 and `Arrays.isEmpty(null)` is true (documented); the functions
//! that return a list read null as the empty list.

use std::sync::Arc;

use super::{Method, req_int, type_err};
use crate::el::EvalError;
use crate::el::eval::{Env, index};
use crate::el::value::{Value, java_equals, spel_eq};

/// The elements of a list argument (list, CSV string, or null = none).
pub(crate) fn items(v: &Value, what: &str) -> Result<Vec<Value>, EvalError> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::List(l) => Ok(l.to_vec()),
        Value::Str(s) => Ok(csv(s)),
        other => Err(type_err(format!(
            "{what} expects a list or a comma-separated string, not a {}",
            other.type_name()
        ))),
    }
}

fn csv(s: &str) -> Vec<Value> {
    if s.trim().is_empty() {
        return Vec::new();
    }
    s.split(',').map(|p| Value::from(p.trim())).collect()
}

pub(crate) fn add(env: &Env<'_>, l: &Value, v: &Value) -> Result<Value, EvalError> {
    let mut out = items(l, "Arrays.add")?;
    out.push(v.clone());
    env.list_value(out)
}

/// Removes the first element equal to the value (by value, not by index).
pub(crate) fn remove(l: &Value, v: &Value) -> Result<Value, EvalError> {
    let mut out = items(l, "Arrays.remove")?;
    if let Some(i) = out.iter().position(|e| spel_eq(e, v)) {
        out.remove(i);
    }
    Ok(Value::from(out))
}

pub(crate) fn clear(l: &Value) -> Result<Value, EvalError> {
    items(l, "Arrays.clear")?;
    Ok(Value::from(Vec::new()))
}

pub(crate) fn get(l: &Value, i: &Value) -> Result<Value, EvalError> {
    if l.is_null() {
        return Ok(Value::Null);
    }
    let list = Value::from(items(l, "Arrays.get")?);
    req_int(i, "Arrays.get")?;
    index(&list, i)
}

fn flatten_into(
    env: &Env<'_>,
    v: &Value,
    out: &mut Vec<Value>,
    depth: usize,
) -> Result<(), EvalError> {
    match v {
        Value::List(l) if depth < 64 => {
            for e in l.iter() {
                flatten_into(env, e, out, depth + 1)?;
            }
        }
        other => out.push(other.clone()),
    }
    env.check_list(out.len())
}

/// `Arrays.flatten(a, b, ...)`: nested lists spliced in order; a string argument is read as
/// CSV; null arguments are skipped.
pub(crate) fn flatten(env: &Env<'_>, args: &[Value]) -> Result<Value, EvalError> {
    let mut out = Vec::new();
    for a in args {
        match a {
            Value::Null => {}
            Value::Str(s) => out.extend(csv(s)),
            other => flatten_into(env, other, &mut out, 0)?,
        }
    }
    env.list_value(out)
}

/// Exact, case-sensitive element match (numbers by value).
pub(crate) fn contains(l: &Value, v: &Value) -> Result<Value, EvalError> {
    Ok(Value::Bool(
        items(l, "Arrays.contains")?.iter().any(|e| spel_eq(e, v)),
    ))
}

pub(crate) fn size(l: &Value) -> Result<Value, EvalError> {
    Ok(Value::Int(items(l, "Arrays.size")?.len() as i32))
}

pub(crate) fn is_empty(l: &Value) -> Result<Value, EvalError> {
    Ok(Value::Bool(items(l, "Arrays.isEmpty")?.is_empty()))
}

/// Elements joined with "," (no spaces added); null gives null.
pub(crate) fn to_csv(env: &Env<'_>, l: &Value) -> Result<Value, EvalError> {
    if l.is_null() {
        return Ok(Value::Null);
    }
    let parts: Vec<String> = items(l, "Arrays.toCsvString")?
        .iter()
        .map(Value::to_java_string)
        .collect();
    env.str_value(parts.join(","))
}

/// Methods on lists; `None` if the method does not apply to lists.
pub(crate) fn method(
    env: &Env<'_>,
    m: Method,
    l: &Arc<Vec<Value>>,
    a: &[Value],
) -> Result<Option<Value>, EvalError> {
    use Method as M;
    Ok(Some(match m {
        M::Contains => Value::Bool(l.iter().any(|e| java_equals(e, &a[0]))),
        M::Size => Value::Int(l.len() as i32),
        M::IsEmpty => Value::Bool(l.is_empty()),
        M::Add => {
            let mut out = l.to_vec();
            out.push(a[0].clone());
            env.list_value(out)?
        }
        M::Remove => {
            let mut out = l.to_vec();
            if let Some(i) = out.iter().position(|e| spel_eq(e, &a[0])) {
                out.remove(i);
            }
            Value::from(out)
        }
        M::Flatten => flatten(env, &[Value::List(l.clone())])?,
        M::Get => index(&Value::List(l.clone()), &a[0])?,
        M::IndexOf => Value::Int(
            l.iter()
                .position(|e| java_equals(e, &a[0]))
                .map_or(-1, |i| i as i32),
        ),
        M::LastIndexOf => Value::Int(
            l.iter()
                .rposition(|e| java_equals(e, &a[0]))
                .map_or(-1, |i| i as i32),
        ),
        M::Equals => Value::Bool(java_equals(&Value::List(l.clone()), &a[0])),
        _ => return Ok(None),
    }))
}
