//! Methods that several types have: `contains`, `indexOf`, `equals`, `compareTo`, `size`,
//! `isEmpty`, `get`, `containsKey`, the number conversions and `toString`.

use super::{Call, arrays, convert, strings, time};
use crate::el::Fail as EvalError;
use crate::el::eval::{Env, Val, bool_val};
use crate::el::value::Value;

/// `s.contains(part)`, `list.contains(value)`.
pub(crate) fn contains(env: &Env<'_>, c: &Call<'_>) -> Result<Val<'static>, EvalError> {
    let [v] = c.args()?;
    match c.recv {
        Value::Str(s) => strings::contains(s, v),
        Value::List(l) => Ok(bool_val(arrays::list_contains(env, l, v)?)),
        _ => Err(c.unsupported()),
    }
}

/// `s.indexOf(part)`, `list.indexOf(value)`.
pub(crate) fn index_of(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    let [v] = c.args()?;
    match c.recv {
        Value::Str(s) => strings::index_of(env, s, v, false),
        Value::List(l) => arrays::list_index_of(env, l, v, false),
        _ => Err(c.unsupported()),
    }
}

/// `s.lastIndexOf(part)`, `list.lastIndexOf(value)`.
pub(crate) fn last_index_of(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    let [v] = c.args()?;
    match c.recv {
        Value::Str(s) => strings::index_of(env, s, v, true),
        Value::List(l) => arrays::list_index_of(env, l, v, true),
        _ => Err(c.unsupported()),
    }
}

/// `v.equals(w)`: Java `equals` (type-sensitive for numbers).
pub(crate) fn equals(env: &Env<'_>, c: &Call<'_>) -> Result<Val<'static>, EvalError> {
    let [v] = c.args()?;
    Ok(bool_val(env.java_eq(c.recv, v)?))
}

/// `s.compareTo(t)` (UTF-16 units, like Java), `n.compareTo(m)` (-1, 0 or 1).
pub(crate) fn compare_to(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    let [v] = c.args()?;
    match c.recv {
        Value::Str(s) => strings::compare_to(env, s, v),
        Value::Int(_) | Value::Long(_) | Value::Double(_) => {
            Ok(Value::Int(match env.cmp(c.recv, v)? {
                std::cmp::Ordering::Less => -1,
                std::cmp::Ordering::Equal => 0,
                std::cmp::Ordering::Greater => 1,
            }))
        }
        _ => Err(c.unsupported()),
    }
}

fn count(n: usize) -> Value {
    Value::Int(i32::try_from(n).unwrap_or(i32::MAX))
}

/// `list.size()`, `map.size()`.
pub(crate) fn size(_: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    match c.recv {
        Value::List(l) => Ok(count(l.len())),
        Value::Map(m) => Ok(count(m.len())),
        _ => Err(c.unsupported()),
    }
}

/// `s.isEmpty()`, `list.isEmpty()`, `map.isEmpty()`.
pub(crate) fn is_empty(_: &Env<'_>, c: &Call<'_>) -> Result<Val<'static>, EvalError> {
    match c.recv {
        Value::Str(s) => Ok(bool_val(s.is_empty())),
        Value::List(l) => Ok(bool_val(l.is_empty())),
        Value::Map(m) => Ok(bool_val(m.is_empty())),
        _ => Err(c.unsupported()),
    }
}

/// `list.get(index)`, `map.get(key)`.
pub(crate) fn get(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    let [k] = c.args()?;
    match c.recv {
        Value::List(_) => env.index(c.recv, k),
        Value::Map(m) => {
            let k = env.java_text(k)?;
            Ok(m.get(k.as_str()).cloned().unwrap_or_default())
        }
        _ => Err(c.unsupported()),
    }
}

/// `map.containsKey(key)`.
pub(crate) fn contains_key(env: &Env<'_>, c: &Call<'_>) -> Result<Val<'static>, EvalError> {
    let [k] = c.args()?;
    match c.recv {
        Value::Map(m) => {
            let k = env.java_text(k)?;
            Ok(bool_val(m.contains_key(k.as_str())))
        }
        _ => Err(c.unsupported()),
    }
}

/// `s.toInteger()`, `n.toInteger()`.
pub(crate) fn to_integer(_: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    match c.recv {
        Value::Str(_) | Value::Int(_) | Value::Long(_) | Value::Double(_) => {
            convert::int_of(c.recv)
        }
        _ => Err(c.unsupported()),
    }
}

/// `s.toNumber()`, `n.toNumber()`.
pub(crate) fn to_number(_: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    match c.recv {
        Value::Str(_) | Value::Int(_) | Value::Long(_) | Value::Double(_) => {
            convert::num_of(c.recv)
        }
        _ => Err(c.unsupported()),
    }
}

/// `n.intValue()`.
pub(crate) fn int_value(_: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    match c.recv {
        Value::Int(_) | Value::Long(_) | Value::Double(_) => convert::int_of(c.recv),
        _ => Err(c.unsupported()),
    }
}

/// `n.doubleValue()`.
pub(crate) fn double_value(_: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    match c.recv {
        Value::Int(_) | Value::Long(_) | Value::Double(_) => convert::num_of(c.recv),
        _ => Err(c.unsupported()),
    }
}

/// `v.toString()`: Java's `String.valueOf` (a date-time prints like `ZonedDateTime`);
/// `t.toString(pattern)`: a date-time (or ISO 8601 text) formatted with a Joda pattern.
pub(crate) fn to_string(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    match c.args {
        [] => env.java_string(c.recv),
        [pattern] => time::format_recv(env, c, pattern),
        _ => Err(c.unsupported()),
    }
}
