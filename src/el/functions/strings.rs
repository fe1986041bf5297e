//! `String.*`, the deprecated global string functions, and methods on strings.
//!
//! Null handling of the Classic functions (undocumented by Okta; chosen to match the
//! Apache-Commons-style helpers the names suggest): a null input string gives null for the
//! functions that return a string, `String.len(null)` is 0 (the docs use `String.len(x) == 0`
//! as an emptiness test), `stringContains`/`startsWith` of null are false, and `append`/`join`
//! read null as "".

use std::borrow::Cow;
use std::sync::Arc;

use super::{Method, convert, opt_str, req_int, req_str, type_err};
use crate::el::compile::RegexArg;
use crate::el::eval::Env;
use crate::el::value::{Value, java_equals};
use crate::el::{EvalError, EvalErrorKind};

fn s_or_empty<'a>(v: &'a Value, what: &str) -> Result<Cow<'a, str>, EvalError> {
    Ok(opt_str(v, what)?.unwrap_or_default())
}

pub(crate) fn append(env: &Env<'_>, a: &Value, b: &Value) -> Result<Value, EvalError> {
    let mut s = s_or_empty(a, "String.append")?.into_owned();
    s.push_str(&s_or_empty(b, "String.append")?);
    env.str_value(s)
}

/// `String.join(separator, strings...)`; a list argument contributes its elements.
pub(crate) fn join(env: &Env<'_>, a: &[Value]) -> Result<Value, EvalError> {
    let sep = s_or_empty(&a[0], "String.join")?;
    let mut parts: Vec<Cow<'_, str>> = Vec::new();
    for v in &a[1..] {
        match v {
            Value::List(l) => {
                for e in l.iter() {
                    parts.push(s_or_empty(e, "String.join")?);
                }
            }
            other => parts.push(s_or_empty(other, "String.join")?),
        }
    }
    let total: usize =
        parts.iter().map(|p| p.len()).sum::<usize>() + sep.len() * parts.len().saturating_sub(1);
    env.check_str(total)?;
    let mut out = String::with_capacity(total);
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.push_str(&sep);
        }
        out.push_str(p);
    }
    env.str_value(out)
}

/// Length in UTF-16 code units, like Java's `String.length()`; null is 0.
pub(crate) fn len(a: &Value) -> Result<Value, EvalError> {
    Ok(Value::Int(
        opt_str(a, "String.len")?.map_or(0, |s| s.encode_utf16().count() as i32),
    ))
}

pub(crate) fn remove_spaces(a: &Value) -> Result<Value, EvalError> {
    Ok(opt_str(a, "String.removeSpaces")?.map_or(Value::Null, |s| {
        Value::from(s.chars().filter(|c| !c.is_whitespace()).collect::<String>())
    }))
}

/// `String.replace`: every literal occurrence (Java `String.replace`; the documented examples
/// give the same result as a regex would).
pub(crate) fn replace(env: &Env<'_>, s: &Value, m: &Value, r: &Value) -> Result<Value, EvalError> {
    let Some(s) = opt_str(s, "String.replace")? else {
        return Ok(Value::Null);
    };
    let m = req_str(m, "String.replace")?;
    let r = s_or_empty(r, "String.replace")?;
    if m.is_empty() {
        return env.str_value(s.into_owned());
    }
    let count = s.matches(&*m).count();
    env.check_str(s.len() + count * r.len())?;
    env.str_value(s.replace(&*m, &r))
}

/// `String.replaceFirst`: the first literal occurrence (chosen to match `String.replace`; the
/// `.replaceFirst()` method on a string takes a Java regex instead).
pub(crate) fn replace_first_literal(
    env: &Env<'_>,
    s: &Value,
    m: &Value,
    r: &Value,
) -> Result<Value, EvalError> {
    let Some(s) = opt_str(s, "String.replaceFirst")? else {
        return Ok(Value::Null);
    };
    let m = req_str(m, "String.replaceFirst")?;
    let r = s_or_empty(r, "String.replaceFirst")?;
    if m.is_empty() {
        return env.str_value(s.into_owned());
    }
    env.str_value(s.replacen(&*m, &r, 1))
}

pub(crate) fn starts_with(s: &Value, p: &Value) -> Result<Value, EvalError> {
    let Some(s) = opt_str(s, "String.startsWith")? else {
        return Ok(Value::Bool(false));
    };
    let p = req_str(p, "String.startsWith")?;
    Ok(Value::Bool(s.starts_with(&*p)))
}

pub(crate) fn string_contains(s: &Value, p: &Value) -> Result<Value, EvalError> {
    let Some(s) = opt_str(s, "String.stringContains")? else {
        return Ok(Value::Bool(false));
    };
    let p = req_str(p, "String.stringContains")?;
    Ok(Value::Bool(s.contains(&*p)))
}

/// `String.stringSwitch(input, default, key1, value1, ...)`: the value of the first key (in
/// argument order) found anywhere in the input, else the default.
pub(crate) fn string_switch(a: &[Value]) -> Result<Value, EvalError> {
    if !a.len().is_multiple_of(2) {
        return Err(super::arg_err(
            "String.stringSwitch needs key/value pairs after the input and the default",
        ));
    }
    let input = opt_str(&a[0], "String.stringSwitch")?;
    if let Some(input) = input {
        for pair in a[2..].chunks(2) {
            if let Some(k) = opt_str(&pair[0], "String.stringSwitch")?
                && input.contains(&*k)
            {
                return Ok(pair[1].clone());
            }
        }
    }
    Ok(a[1].clone())
}

fn char_slice(s: &str, start: usize, end: usize) -> String {
    s.chars()
        .skip(start)
        .take(end.saturating_sub(start))
        .collect()
}

/// Classic `substring(s, start, end)`: start inclusive, end exclusive. Out-of-range indexes
/// are clamped to the string and `start >= end` gives "" (undocumented; chosen so that
/// `String.substring(x, String.len(x) - 20, ...)` on a short string does not fail).
pub(crate) fn substring(s: &Value, start: &Value, end: Option<&Value>) -> Result<Value, EvalError> {
    let Some(s) = opt_str(s, "substring")? else {
        return Ok(Value::Null);
    };
    let n = s.chars().count() as i64;
    let a = req_int(start, "substring")?.clamp(0, n);
    let b = match end {
        Some(e) => req_int(e, "substring")?.clamp(0, n),
        None => n,
    };
    if a >= b {
        return Ok(Value::from(""));
    }
    Ok(Value::from(char_slice(&s, a as usize, b as usize)))
}

/// Text after the first occurrence of the separator; "" when it does not occur.
pub(crate) fn substring_after(s: &Value, sep: &Value) -> Result<Value, EvalError> {
    let Some(s) = opt_str(s, "substringAfter")? else {
        return Ok(Value::Null);
    };
    let Some(sep) = opt_str(sep, "substringAfter")? else {
        return Ok(Value::from(""));
    };
    Ok(Value::from(
        s.find(&*sep).map_or("", |i| &s[i + sep.len()..]),
    ))
}

/// Text before the first occurrence of the separator; the whole input when it does not occur.
pub(crate) fn substring_before(s: &Value, sep: &Value) -> Result<Value, EvalError> {
    let Some(s) = opt_str(s, "substringBefore")? else {
        return Ok(Value::Null);
    };
    let Some(sep) = opt_str(sep, "substringBefore")? else {
        return Ok(Value::from(s.as_ref()));
    };
    Ok(Value::from(s.find(&*sep).map_or(s.as_ref(), |i| &s[..i])))
}

pub(crate) fn to_upper(s: &Value) -> Result<Value, EvalError> {
    Ok(opt_str(s, "toUpperCase")?.map_or(Value::Null, |s| Value::from(s.to_uppercase())))
}

pub(crate) fn to_lower(s: &Value) -> Result<Value, EvalError> {
    Ok(opt_str(s, "toLowerCase")?.map_or(Value::Null, |s| Value::from(s.to_lowercase())))
}

/// Compares dotted version strings numerically, part by part (missing parts are 0; a
/// non-numeric part compares as text).
fn cmp_versions(a: &str, b: &str) -> std::cmp::Ordering {
    let pa: Vec<&str> = a.trim().split('.').collect();
    let pb: Vec<&str> = b.trim().split('.').collect();
    for i in 0..pa.len().max(pb.len()) {
        let x = pa.get(i).copied().unwrap_or("0");
        let y = pb.get(i).copied().unwrap_or("0");
        let o = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(m), Ok(n)) => m.cmp(&n),
            _ => x.cmp(y),
        };
        if o.is_ne() {
            return o;
        }
    }
    std::cmp::Ordering::Equal
}

fn oob(msg: String) -> EvalError {
    EvalError::new(EvalErrorKind::IndexOutOfBounds, msg)
}

/// Converts a Java regex replacement (`$1`, `\$`) to the `regex` crate's syntax.
fn java_replacement(r: &str) -> String {
    let mut out = String::with_capacity(r.len());
    let mut it = r.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '\\' => {
                if let Some(n) = it.next() {
                    if n == '$' {
                        out.push_str("$$");
                    } else {
                        out.push(n);
                    }
                }
            }
            '$' => {
                let mut digits = String::new();
                while let Some(d) = it.peek().copied().filter(char::is_ascii_digit) {
                    digits.push(d);
                    it.next();
                }
                if digits.is_empty() {
                    out.push_str("$$");
                } else {
                    out.push_str(&format!("${{{digits}}}"));
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// Methods on strings; `None` if the method does not apply to strings.
pub(crate) fn method(
    env: &Env<'_>,
    m: Method,
    s: &Arc<str>,
    a: &[Value],
    regex: Option<&RegexArg>,
) -> Result<Option<Value>, EvalError> {
    use Method as M;
    let arg_str = |i: usize, what: &str| -> Result<String, EvalError> {
        match &a[i] {
            Value::Str(x) => Ok(x.to_string()),
            Value::Null => Err(EvalError::new(
                EvalErrorKind::NullValue,
                format!("{what}() needs a string argument, not null"),
            )),
            other => Err(type_err(format!(
                "{what}() needs a string argument, not a {}",
                other.type_name()
            ))),
        }
    };
    let utf16: Vec<u16>;
    Ok(Some(match m {
        M::ToUpperCase => Value::from(s.to_uppercase()),
        M::ToLowerCase => Value::from(s.to_lowercase()),
        M::Substring => {
            // Java String.substring: indexes must lie within the string
            utf16 = s.encode_utf16().collect();
            let n = utf16.len() as i64;
            let b = req_int(&a[0], "substring")?;
            let e = if a.len() > 1 {
                req_int(&a[1], "substring")?
            } else {
                n
            };
            if b < 0 || e > n || b > e {
                return Err(oob(format!(
                    "substring({b}, {e}) is outside the string of length {n}"
                )));
            }
            Value::from(String::from_utf16_lossy(&utf16[b as usize..e as usize]))
        }
        M::Replace => {
            let (x, y) = (a[0].to_java_string(), a[1].to_java_string());
            if a[0].is_null() || a[1].is_null() {
                return Err(EvalError::new(
                    EvalErrorKind::NullValue,
                    "replace() needs non-null arguments",
                ));
            }
            let count = if x.is_empty() {
                s.chars().count() + 1
            } else {
                s.matches(x.as_str()).count()
            };
            env.check_str(s.len() + count * y.len())?;
            if x.is_empty() {
                // Java inserts the replacement between every character
                let mut out = y.clone();
                for c in s.chars() {
                    out.push(c);
                    out.push_str(&y);
                }
                Value::from(out)
            } else {
                Value::from(s.replace(&x, &y))
            }
        }
        M::ReplaceFirst | M::ReplaceAll => {
            let Some(r) = regex else {
                return Err(type_err("missing regular expression"));
            };
            let re = env.regex(r, || Ok(a[0].clone()), false)?;
            let rep = java_replacement(&arg_str(1, "replace")?);
            let out = if m == M::ReplaceFirst {
                re.replacen(s, 1, rep.as_str()).into_owned()
            } else {
                re.replace_all(s, rep.as_str()).into_owned()
            };
            env.str_value(out)?
        }
        M::Matches => {
            let Some(r) = regex else {
                return Err(type_err("missing regular expression"));
            };
            let re = env.regex(r, || Ok(a[0].clone()), true)?;
            Value::Bool(re.is_match(s))
        }
        M::Length => Value::Int(s.encode_utf16().count() as i32),
        M::RemoveSpaces => remove_spaces(&Value::Str(s.clone()))?,
        M::Contains => Value::Bool(s.contains(arg_str(0, "contains")?.as_str())),
        M::SubstringBefore => substring_before(&Value::Str(s.clone()), &a[0])?,
        M::SubstringAfter => substring_after(&Value::Str(s.clone()), &a[0])?,
        M::VersionGreaterThan => {
            Value::Bool(cmp_versions(s, &arg_str(0, "versionGreaterThan")?).is_gt())
        }
        M::VersionLessThan => Value::Bool(cmp_versions(s, &arg_str(0, "versionLessThan")?).is_lt()),
        M::StartsWith => Value::Bool(s.starts_with(arg_str(0, "startsWith")?.as_str())),
        M::EndsWith => Value::Bool(s.ends_with(arg_str(0, "endsWith")?.as_str())),
        M::IndexOf | M::LastIndexOf => {
            let needle = arg_str(0, "indexOf")?;
            let pos = if m == M::IndexOf {
                s.find(&needle)
            } else {
                s.rfind(&needle)
            };
            Value::Int(pos.map_or(-1, |p| s[..p].encode_utf16().count() as i32))
        }
        M::Trim => Value::from(s.trim_matches(|c: char| c <= ' ')),
        M::Concat => {
            let t = arg_str(0, "concat")?;
            env.check_str(s.len() + t.len())?;
            Value::from(format!("{s}{t}"))
        }
        M::Equals => Value::Bool(java_equals(&Value::Str(s.clone()), &a[0])),
        M::EqualsIgnoreCase => Value::Bool(match &a[0] {
            Value::Str(t) => s.to_lowercase() == t.to_lowercase(),
            _ => false,
        }),
        M::CharAt => {
            utf16 = s.encode_utf16().collect();
            let i = req_int(&a[0], "charAt")?;
            let u = usize::try_from(i)
                .ok()
                .and_then(|k| utf16.get(k))
                .ok_or_else(|| {
                    oob(format!(
                        "charAt({i}) is outside the string of length {}",
                        utf16.len()
                    ))
                })?;
            Value::from(String::from_utf16_lossy(&[*u]))
        }
        M::CompareTo => {
            let t = arg_str(0, "compareTo")?;
            // Java: difference of the first differing UTF-16 units, else of the lengths
            let (x, y): (Vec<u16>, Vec<u16>) =
                (s.encode_utf16().collect(), t.encode_utf16().collect());
            let d = x
                .iter()
                .zip(y.iter())
                .find(|(p, q)| p != q)
                .map_or(x.len() as i32 - y.len() as i32, |(p, q)| {
                    i32::from(*p) - i32::from(*q)
                });
            Value::Int(d)
        }
        M::IsEmpty => Value::Bool(s.is_empty()),
        M::ToInteger => convert::to_int(&Value::Str(s.clone()))?,
        M::ToNumber => convert::to_num(&Value::Str(s.clone()))?,
        _ => return Ok(None),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert!(cmp_versions("14.2.1", "14.2").is_gt());
        assert!(cmp_versions("14.10", "14.9").is_gt());
        assert!(cmp_versions("1.0", "1").is_eq());
    }

    #[test]
    fn replacement() {
        assert_eq!(java_replacement("$1-x"), "${1}-x");
        assert_eq!(java_replacement(r"\$"), "$$");
    }
}
