//! `String.*`, the deprecated global string functions, and methods on strings.
//!
//! Null handling of the Classic functions (undocumented by Okta; chosen to match the
//! Apache-Commons-style helpers the names suggest): a null input string gives null for the
//! functions that return a string, `String.len(null)` is 0 (the docs use `String.len(x) == 0`
//! as an emptiness test), `stringContains`/`startsWith` of null are false, and `append`/`join`
//! read null as "".
//!
//! Java's string methods count in UTF-16 code units (`length()`, `substring`, `charAt`,
//! `indexOf`); they are computed here by walking the UTF-8 text, never by copying it to UTF-16.

use std::borrow::Cow;
use std::sync::Arc;

use super::{Call, opt_str, req_int, req_str, type_err};
use crate::el::cost::{Bounded, CHAR_BYTES_PER_UNIT, Full, MATCH_UNITS};
use crate::el::eval::{Env, Val, bool_val};
use crate::el::pattern::RegexArg;
use crate::el::value::Value;
use crate::el::{EvalErrorKind, Fail as EvalError};

fn s_or_empty<'a>(v: &'a Value, what: &str) -> Result<Cow<'a, str>, EvalError> {
    Ok(opt_str(v, what)?.unwrap_or_default())
}

/// The receiver of a string method.
fn recv<'a>(c: &Call<'a>) -> Result<&'a Arc<str>, EvalError> {
    match c.recv {
        Value::Str(s) => Ok(s),
        _ => Err(c.unsupported()),
    }
}

/// A string argument of a string method (null or another type is an error).
fn arg_str<'a>(v: &'a Value, what: &str) -> Result<&'a str, EvalError> {
    match v {
        Value::Str(x) => Ok(x),
        Value::Null => Err(EvalError::new(
            EvalErrorKind::NullValue,
            format!("{what}() needs a string argument, not null"),
        )),
        other => Err(type_err(format!(
            "{what}() needs a string argument, not a {}",
            other.type_name()
        ))),
    }
}

/// `String.append(a, b)`.
pub(crate) fn append(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    let [a, b] = c.args()?;
    let (a, b) = (
        s_or_empty(a, "String.append")?,
        s_or_empty(b, "String.append")?,
    );
    env.alloc_str(a.len().saturating_add(b.len()))?;
    Ok(Value::from([&*a, &*b].concat()))
}

/// `String.join(separator, strings...)`; a list argument contributes its elements.
pub(crate) fn join(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    let ([sep], rest) = c.split()?;
    let sep = s_or_empty(sep, "String.join")?;
    let mut parts: Vec<Cow<'_, str>> = Vec::new();
    for v in rest {
        match &**v {
            Value::List(l) => {
                env.charge(l.len() as u64)?;
                for e in l.iter() {
                    parts.push(s_or_empty(e, "String.join")?);
                }
            }
            other => parts.push(s_or_empty(other, "String.join")?),
        }
    }
    let total = parts
        .iter()
        .fold(0usize, |n, p| n.saturating_add(p.len()))
        .saturating_add(sep.len().saturating_mul(parts.len().saturating_sub(1)));
    env.alloc_str(total)?;
    let mut out = String::with_capacity(total);
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.push_str(&sep);
        }
        out.push_str(p);
    }
    Ok(Value::from(out))
}

/// Whether `s` is ASCII (each byte a character and a UTF-16 unit); otherwise the walk over its
/// characters that follows is charged at the character rate.
pub(crate) fn ascii_or_charge(env: &Env<'_>, s: &str) -> Result<bool, EvalError> {
    if s.is_ascii() {
        return Ok(true);
    }
    env.charge((s.len() as u64).div_ceil(CHAR_BYTES_PER_UNIT))?;
    Ok(false)
}

/// Length in UTF-16 code units, like Java's `String.length()`.
pub(crate) fn utf16_len(env: &Env<'_>, s: &str) -> Result<usize, EvalError> {
    Ok(if ascii_or_charge(env, s)? {
        s.len()
    } else {
        s.chars().map(char::len_utf16).sum()
    })
}

/// The UTF-16 unit at `k`, as a string (half a surrogate pair is U+FFFD, as Java's
/// `String.valueOf(char)` would print it).
pub(crate) fn utf16_at(env: &Env<'_>, s: &str, k: usize) -> Result<Option<String>, EvalError> {
    Ok(if ascii_or_charge(env, s)? {
        s.get(k..=k).map(str::to_owned)
    } else {
        s.encode_utf16()
            .nth(k)
            .map(|u| String::from_utf16_lossy(&[u]))
    })
}

/// `String.len(s)`: UTF-16 code units; null is 0.
pub(crate) fn len(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    let [s] = c.args()?;
    Ok(int(match opt_str(s, "String.len")? {
        Some(s) => utf16_len(env, &s)?,
        None => 0,
    }))
}

/// A length or index as a Java int (saturating: strings are far shorter).
fn int(n: usize) -> Value {
    Value::Int(i32::try_from(n).unwrap_or(i32::MAX))
}

fn remove_spaces_in(env: &Env<'_>, s: &str) -> Result<Value, EvalError> {
    env.reserve_bytes(s.len())?;
    env.str_value(s.chars().filter(|c| !c.is_whitespace()).collect())
}

/// `String.removeSpaces(s)`.
pub(crate) fn remove_spaces(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    let [s] = c.args()?;
    match opt_str(s, "String.removeSpaces")? {
        None => Ok(Value::Null),
        Some(s) => remove_spaces_in(env, &s),
    }
}

/// `s` with `count` occurrences of a `from`-byte text replaced by `to`: its length.
fn replaced_len(s: &str, count: usize, from: usize, to: usize) -> usize {
    s.len()
        .saturating_sub(count.saturating_mul(from))
        .saturating_add(count.saturating_mul(to))
}

/// Charges a search for every occurrence of `m` in `s` (at most one per `m.len()` bytes).
fn charge_matches(env: &Env<'_>, s: &str, m: &str) -> Result<(), EvalError> {
    env.charge(((s.len() / m.len().max(1)) as u64).saturating_mul(MATCH_UNITS))
}

/// `String.replace`: every literal occurrence (Java `String.replace`; the documented examples
/// give the same result as a regex would).
pub(crate) fn replace(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    let [s, m, r] = c.args()?;
    let Some(s) = opt_str(s, "String.replace")? else {
        return Ok(Value::Null);
    };
    let m = req_str(m, "String.replace")?;
    let r = s_or_empty(r, "String.replace")?;
    if m.is_empty() {
        return env.new_str(&s);
    }
    charge_matches(env, &s, &m)?;
    let count = s.matches(&*m).count();
    env.alloc_str(replaced_len(&s, count, m.len(), r.len()))?;
    Ok(Value::from(s.replace(&*m, &r)))
}

/// `String.replaceFirst`: the first literal occurrence (chosen to match `String.replace`; the
/// `.replaceFirst()` method on a string takes a Java regex instead).
pub(crate) fn replace_first(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    let [s, m, r] = c.args()?;
    let Some(s) = opt_str(s, "String.replaceFirst")? else {
        return Ok(Value::Null);
    };
    let m = req_str(m, "String.replaceFirst")?;
    let r = s_or_empty(r, "String.replaceFirst")?;
    if m.is_empty() {
        return env.new_str(&s);
    }
    let count = usize::from(has(&s, &m));
    env.alloc_str(replaced_len(&s, count, m.len(), r.len()))?;
    Ok(Value::from(s.replacen(&*m, &r, 1)))
}

/// `String.startsWith(s, prefix)`.
pub(crate) fn starts_with(_: &Env<'_>, c: &Call<'_>) -> Result<Val<'static>, EvalError> {
    let [s, p] = c.args()?;
    let Some(s) = opt_str(s, "String.startsWith")? else {
        return Ok(bool_val(false));
    };
    let p = req_str(p, "String.startsWith")?;
    Ok(bool_val(s.starts_with(&*p)))
}

/// `String.stringContains(s, part)`.
pub(crate) fn string_contains(_: &Env<'_>, c: &Call<'_>) -> Result<Val<'static>, EvalError> {
    let [s, p] = c.args()?;
    let Some(s) = opt_str(s, "String.stringContains")? else {
        return Ok(bool_val(false));
    };
    let p = req_str(p, "String.stringContains")?;
    Ok(bool_val(has(&s, &p)))
}

/// `String.stringSwitch(input, default, key1, value1, ...)`: the value of the first key (in
/// argument order) found anywhere in the input, else the default.
pub(crate) fn string_switch(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    let ([input, default], pairs) = c.split()?;
    let (pairs, []) = pairs.as_chunks::<2>() else {
        return Err(super::arg_err(
            "String.stringSwitch needs key/value pairs after the input and the default",
        ));
    };
    if let Some(input) = opt_str(input, "String.stringSwitch")? {
        for [k, v] in pairs {
            // each key is searched for in the whole input
            charge_search(env, &input)?;
            if let Some(k) = opt_str(k, "String.stringSwitch")?
                && has(&input, &k)
            {
                return Ok((**v).clone());
            }
        }
    }
    Ok(default.clone())
}

/// The characters `start..end` of `s` (counted in characters).
fn char_slice(s: &str, start: usize, end: usize) -> &str {
    let mut at = s.char_indices().map(|(i, _)| i).chain([s.len()]);
    let from = at.nth(start).unwrap_or(s.len());
    let to = if end > start {
        at.nth(end - start - 1).unwrap_or(s.len())
    } else {
        from
    };
    s.get(from..to).unwrap_or("")
}

/// Classic `substring(s, start, end)`: start inclusive, end exclusive. Out-of-range indexes
/// are clamped to the string and `start >= end` gives "" (undocumented; chosen so that
/// `String.substring(x, String.len(x) - 20, ...)` on a short string does not fail).
pub(crate) fn substring(env: &Env<'_>, c: &Call<'_>) -> Result<Val<'static>, EvalError> {
    let [s, start, end] = c.args()?;
    let Some(s) = opt_str(s, "substring")? else {
        return Ok(Val::Own(Value::Null));
    };
    let ascii = ascii_or_charge(env, &s)?;
    let n = if ascii { s.len() } else { s.chars().count() } as i64;
    let a = req_int(start, "substring")?.clamp(0, n);
    let b = req_int(end, "substring")?.clamp(0, n);
    if a >= b {
        return Ok(Val::Own(Value::from("")));
    }
    // both are in 0..=n, and n is a length: the conversions are exact
    let (a, b) = (
        usize::try_from(a).unwrap_or_default(),
        usize::try_from(b).unwrap_or_default(),
    );
    env.new_str_val(if ascii {
        s.get(a..b).unwrap_or("")
    } else {
        char_slice(&s, a, b)
    })
}

/// Charges a substring search over `s` (a few bytes per unit).
fn charge_search(env: &Env<'_>, s: &str) -> Result<(), EvalError> {
    env.scan(s.len().saturating_mul(4))
}

/// The byte offset of the first occurrence of `needle` in `hay` (`Some(0)` for an empty
/// needle, like `str::find`).
#[inline]
fn find(hay: &str, needle: &str) -> Option<usize> {
    match needle.as_bytes() {
        [b] => memchr::memchr(*b, hay.as_bytes()),
        n => memchr::memmem::find(hay.as_bytes(), n),
    }
}

/// The byte offset of the last occurrence of `needle` in `hay` (`Some(hay.len())` for an
/// empty needle, like `str::rfind`).
#[inline]
fn rfind(hay: &str, needle: &str) -> Option<usize> {
    match needle.as_bytes() {
        [b] => memchr::memrchr(*b, hay.as_bytes()),
        n => memchr::memmem::rfind(hay.as_bytes(), n),
    }
}

/// Whether `needle` occurs in `hay`.
#[inline]
fn has(hay: &str, needle: &str) -> bool {
    find(hay, needle).is_some()
}

fn after<'a>(s: &'a str, sep: &str) -> &'a str {
    find(s, sep)
        .and_then(|i| s.get(i + sep.len()..))
        .unwrap_or("")
}

fn before<'a>(s: &'a str, sep: &str) -> &'a str {
    find(s, sep).and_then(|i| s.get(..i)).unwrap_or(s)
}

/// Text after the first occurrence of the separator; "" when it does not occur.
pub(crate) fn substring_after(env: &Env<'_>, c: &Call<'_>) -> Result<Val<'static>, EvalError> {
    let [s, sep] = c.args()?;
    let Some(s) = opt_str(s, "substringAfter")? else {
        return Ok(Val::Own(Value::Null));
    };
    let Some(sep) = opt_str(sep, "substringAfter")? else {
        return Ok(Val::Own(Value::from("")));
    };
    charge_search(env, &s)?;
    env.new_str_val(after(&s, &sep))
}

/// Text before the first occurrence of the separator; the whole input when it does not occur.
pub(crate) fn substring_before(env: &Env<'_>, c: &Call<'_>) -> Result<Val<'static>, EvalError> {
    let [s, sep] = c.args()?;
    let Some(s) = opt_str(s, "substringBefore")? else {
        return Ok(Val::Own(Value::Null));
    };
    let Some(sep) = opt_str(sep, "substringBefore")? else {
        return env.new_str_val(&s);
    };
    charge_search(env, &s)?;
    env.new_str_val(before(&s, &sep))
}

/// Unicode case mapping (which may make a string up to three times longer: `ΐ` is one
/// character, its upper case three), its result measured before it is built.
fn case_map(env: &Env<'_>, s: &str, upper: bool) -> Result<Val<'static>, EvalError> {
    case_map_of(env, s, None, upper)
}

/// [`case_map`] of a string value: when mapping changes nothing (ASCII already in that case),
/// the result shares the argument's text, as Java's `toLowerCase` returns the same string.
/// It is charged as a new string all the same.
fn case_map_value(
    env: &Env<'_>,
    v: &Value,
    what: &str,
    upper: bool,
) -> Result<Val<'static>, EvalError> {
    if let Value::Str(a) = v {
        return case_map_of(env, a, Some(a), upper);
    }
    match opt_str(v, what)? {
        None => Ok(Val::Own(Value::Null)),
        Some(s) => case_map(env, &s, upper),
    }
}

fn case_map_of(
    env: &Env<'_>,
    s: &str,
    shared: Option<&Arc<str>>,
    upper: bool,
) -> Result<Val<'static>, EvalError> {
    let len = if ascii_or_charge(env, s)? {
        s.len()
    } else {
        // measuring, then mapping (each character through Unicode's tables): three more walks
        for _ in 0..3 {
            ascii_or_charge(env, s)?;
        }
        s.chars()
            .map(|c| {
                if upper {
                    c.to_uppercase().map(char::len_utf8).sum::<usize>()
                } else {
                    c.to_lowercase().map(char::len_utf8).sum::<usize>()
                }
            })
            .sum()
    };
    // `str::to_lowercase` maps a final sigma differently, to a character of the same length
    env.alloc_str(len)?;
    if s.is_ascii() {
        let unchanged = if upper {
            !s.bytes().any(|b| b.is_ascii_lowercase())
        } else {
            !s.bytes().any(|b| b.is_ascii_uppercase())
        };
        if let Some(a) = shared.filter(|_| unchanged) {
            return Ok(Val::Own(Value::Str(a.clone())));
        }
        // one allocation, mapped in place
        let mut a: Arc<str> = Arc::from(s);
        if let Some(m) = Arc::get_mut(&mut a) {
            if upper {
                m.make_ascii_uppercase();
            } else {
                m.make_ascii_lowercase();
            }
            return Ok(Val::Own(Value::Str(a)));
        }
    }
    Ok(Val::Own(Value::from(if upper {
        s.to_uppercase()
    } else {
        s.to_lowercase()
    })))
}

/// `toUpperCase(s)`, `String.toUpperCase(s)`.
pub(crate) fn to_upper(env: &Env<'_>, c: &Call<'_>) -> Result<Val<'static>, EvalError> {
    let [s] = c.args()?;
    case_map_value(env, s, "toUpperCase", true)
}

/// `toLowerCase(s)`, `String.toLowerCase(s)`.
pub(crate) fn to_lower(env: &Env<'_>, c: &Call<'_>) -> Result<Val<'static>, EvalError> {
    let [s] = c.args()?;
    case_map_value(env, s, "toLowerCase", false)
}

/// Compares dotted version strings numerically, part by part (missing parts are 0; a
/// non-numeric part compares as text).
fn cmp_versions(a: &str, b: &str) -> std::cmp::Ordering {
    let (mut pa, mut pb) = (a.trim().split('.'), b.trim().split('.'));
    loop {
        let (x, y) = match (pa.next(), pb.next()) {
            (None, None) => return std::cmp::Ordering::Equal,
            (x, y) => (x.unwrap_or("0"), y.unwrap_or("0")),
        };
        let o = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(m), Ok(n)) => m.cmp(&n),
            _ => x.cmp(y),
        };
        if o.is_ne() {
            return o;
        }
    }
}

fn oob(msg: String) -> EvalError {
    EvalError::new(EvalErrorKind::IndexOutOfBounds, msg)
}

/// The UTF-16 units `b..e` of `s`, decoded like Java's `String.substring` followed by
/// `new String(...)` (a surrogate pair cut in two gives U+FFFD for its half), without copying
/// `s` to UTF-16.
fn utf16_slice(s: &str, b: usize, e: usize) -> String {
    let mut out = String::new();
    let mut at = 0;
    for c in s.chars() {
        let w = c.len_utf16();
        let (start, end) = (at, at + w);
        at = end;
        if end <= b {
            continue;
        }
        if start >= e {
            break;
        }
        if start >= b && end <= e {
            out.push(c);
        } else {
            // half of a surrogate pair
            out.push(char::REPLACEMENT_CHARACTER);
        }
    }
    out
}

/// `s.toUpperCase()`.
pub(crate) fn m_to_upper(env: &Env<'_>, c: &Call<'_>) -> Result<Val<'static>, EvalError> {
    match c.recv {
        Value::Str(a) => case_map_of(env, a, Some(a), true),
        _ => case_map(env, recv(c)?, true),
    }
}

/// `s.toLowerCase()`.
pub(crate) fn m_to_lower(env: &Env<'_>, c: &Call<'_>) -> Result<Val<'static>, EvalError> {
    match c.recv {
        Value::Str(a) => case_map_of(env, a, Some(a), false),
        _ => case_map(env, recv(c)?, false),
    }
}

/// `s.substring(begin[, end])`: Java's; indexes must lie within the string.
pub(crate) fn m_substring(env: &Env<'_>, c: &Call<'_>) -> Result<Val<'static>, EvalError> {
    let s = recv(c)?;
    let n = utf16_len(env, s)? as i64;
    let (b, e) = match c.args {
        [b] => (req_int(b, "substring")?, n),
        [b, e] => (req_int(b, "substring")?, req_int(e, "substring")?),
        _ => return Err(c.unsupported()),
    };
    if b < 0 || e > n || b > e {
        return Err(oob(format!(
            "substring({b}, {e}) is outside the string of length {n}"
        )));
    }
    // 0 <= b <= e <= n, and n is a length: the conversions are exact
    let (b, e) = (
        usize::try_from(b).unwrap_or_default(),
        usize::try_from(e).unwrap_or_default(),
    );
    if s.is_ascii() {
        return env.new_str_val(s.get(b..e).unwrap_or(""));
    }
    // at most 3 bytes per unit (a replacement character for half a pair)
    env.reserve_bytes((e - b).saturating_mul(3))?;
    env.str_value(utf16_slice(s, b, e)).map(Val::Own)
}

/// `s.replace(target, replacement)`: every literal occurrence (Java's `String.replace`).
pub(crate) fn m_replace(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    let s = recv(c)?;
    let [x, y] = c.args()?;
    if x.is_null() || y.is_null() {
        return Err(EvalError::new(
            EvalErrorKind::NullValue,
            "replace() needs non-null arguments",
        ));
    }
    let (x, y) = (env.java_text(x)?, env.java_text(y)?);
    if x.is_empty() {
        // Java inserts the replacement between every character
        let count = utf16_len(env, s)? + 1;
        env.charge((count as u64).saturating_mul(MATCH_UNITS))?;
        env.alloc_str(replaced_len(s, count, 0, y.len()))?;
        let mut out = y.clone();
        for ch in s.chars() {
            out.push(ch);
            out.push_str(&y);
        }
        return Ok(Value::from(out));
    }
    charge_matches(env, s, &x)?;
    let count = s.matches(x.as_str()).count();
    env.alloc_str(replaced_len(s, count, x.len(), y.len()))?;
    Ok(Value::from(s.replace(&x, &y)))
}

fn replace_regex(env: &Env<'_>, c: &Call<'_>, all: bool) -> Result<Value, EvalError> {
    let s = recv(c)?;
    let [pattern, rep] = c.args()?;
    let re = env.regex(c.regex()?, || Ok(pattern.clone()), false)?;
    let rep = arg_str(rep, "replace")?;
    env.scan(rep.len())?;
    let rep = re.replacement(rep)?;
    let mut out: Bounded = env.bounded();
    let r: Result<(), Full> = re.replace(s, &rep, all, &mut out, env.budget, env.scratch())?;
    env.finish(out, r)
}

/// `s.replaceFirst(regex, replacement)` (Java: `$1`, `${name}`, `\$` in the replacement).
pub(crate) fn m_replace_first(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    replace_regex(env, c, false)
}

/// `s.replaceAll(regex, replacement)`: built into a bounded string, so a replacement that
/// multiplies the text stops at the limit instead of being built first.
pub(crate) fn m_replace_all(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    replace_regex(env, c, true)
}

/// `s.matches(regex)`: the whole string.
pub(crate) fn m_matches(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    let s = recv(c)?;
    let [pattern] = c.args()?;
    let regex: &RegexArg = c.regex()?;
    let re = env.regex(regex, || Ok(pattern.clone()), true)?;
    Ok(Value::Bool(re.is_match(
        s,
        env.budget,
        env.scratch_cell(),
    )?))
}

/// `s.length()`: UTF-16 code units.
pub(crate) fn m_length(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    Ok(int(utf16_len(env, recv(c)?)?))
}

/// `s.removeSpaces()`.
pub(crate) fn m_remove_spaces(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    remove_spaces_in(env, recv(c)?)
}

/// `s.substringBefore(sep)`.
pub(crate) fn m_substring_before(env: &Env<'_>, c: &Call<'_>) -> Result<Val<'static>, EvalError> {
    let s = recv(c)?;
    let [sep] = c.args()?;
    match opt_str(sep, "substringBefore")? {
        None => Ok(Val::Own(c.recv.clone())),
        Some(sep) => {
            charge_search(env, s)?;
            env.new_str_val(before(s, &sep))
        }
    }
}

/// `s.substringAfter(sep)`.
pub(crate) fn m_substring_after(env: &Env<'_>, c: &Call<'_>) -> Result<Val<'static>, EvalError> {
    let s = recv(c)?;
    let [sep] = c.args()?;
    match opt_str(sep, "substringAfter")? {
        None => Ok(Val::Own(Value::from(""))),
        Some(sep) => {
            charge_search(env, s)?;
            env.new_str_val(after(s, &sep))
        }
    }
}

/// Compares versions, charged per byte (each part is split and parsed).
fn versions(env: &Env<'_>, c: &Call<'_>, what: &str) -> Result<std::cmp::Ordering, EvalError> {
    let s = recv(c)?;
    let [v] = c.args()?;
    let v = arg_str(v, what)?;
    env.charge(s.len().saturating_add(v.len()) as u64)?;
    Ok(cmp_versions(s, v))
}

/// `s.versionGreaterThan(v)`.
pub(crate) fn m_version_greater(env: &Env<'_>, c: &Call<'_>) -> Result<Val<'static>, EvalError> {
    Ok(bool_val(versions(env, c, "versionGreaterThan")?.is_gt()))
}

/// `s.versionLessThan(v)`.
pub(crate) fn m_version_less(env: &Env<'_>, c: &Call<'_>) -> Result<Val<'static>, EvalError> {
    Ok(bool_val(versions(env, c, "versionLessThan")?.is_lt()))
}

/// `s.startsWith(prefix)`.
pub(crate) fn m_starts_with(_: &Env<'_>, c: &Call<'_>) -> Result<Val<'static>, EvalError> {
    let [p] = c.args()?;
    Ok(bool_val(recv(c)?.starts_with(arg_str(p, "startsWith")?)))
}

/// `s.endsWith(suffix)`.
pub(crate) fn m_ends_with(_: &Env<'_>, c: &Call<'_>) -> Result<Val<'static>, EvalError> {
    let [p] = c.args()?;
    Ok(bool_val(recv(c)?.ends_with(arg_str(p, "endsWith")?)))
}

/// `s.contains(part)` (a vectorized search: the record's scan covers it).
pub(crate) fn contains(s: &str, part: &Value) -> Result<Val<'static>, EvalError> {
    Ok(bool_val(has(s, arg_str(part, "contains")?)))
}

/// `s.indexOf(part)` / `s.lastIndexOf(part)`: in UTF-16 code units, -1 when absent.
pub(crate) fn index_of(
    env: &Env<'_>,
    s: &str,
    part: &Value,
    last: bool,
) -> Result<Value, EvalError> {
    let needle = arg_str(part, "indexOf")?;
    charge_search(env, s)?;
    let pos = if last {
        rfind(s, needle)
    } else {
        find(s, needle)
    };
    Ok(match pos.and_then(|p| s.get(..p)) {
        Some(head) => int(utf16_len(env, head)?),
        None => Value::Int(-1),
    })
}

/// `s.trim()`: Java's, which removes every character up to U+0020 at both ends.
pub(crate) fn m_trim(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    env.new_str(recv(c)?.trim_matches(|ch: char| ch <= ' '))
}

/// `s.concat(t)`.
pub(crate) fn m_concat(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    let s = recv(c)?;
    let [t] = c.args()?;
    let t = arg_str(t, "concat")?;
    env.alloc_str(s.len().saturating_add(t.len()))?;
    Ok(Value::from([&**s, t].concat()))
}

/// `s.equalsIgnoreCase(t)`.
pub(crate) fn m_equals_ignore_case(env: &Env<'_>, c: &Call<'_>) -> Result<Val<'static>, EvalError> {
    let s = recv(c)?;
    let [t] = c.args()?;
    Ok(bool_val(match t {
        Value::Str(t) => {
            // both lower-cased copies are temporaries of at most three times the inputs
            env.reserve_bytes(s.len().saturating_add(t.len()).saturating_mul(3))?;
            s.to_lowercase() == t.to_lowercase()
        }
        _ => false,
    }))
}

/// `s.charAt(i)`: the UTF-16 unit at `i`.
pub(crate) fn m_char_at(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    let s = recv(c)?;
    let [i] = c.args()?;
    let i = req_int(i, "charAt")?;
    let unit = match usize::try_from(i) {
        Ok(k) => utf16_at(env, s, k)?,
        Err(_) => None,
    };
    match unit {
        Some(u) => env.new_str(&u),
        None => Err(oob(format!(
            "charAt({i}) is outside the string of length {}",
            utf16_len(env, s)?
        ))),
    }
}

/// `s.compareTo(t)`: the difference of the first differing UTF-16 units, else of the lengths.
pub(crate) fn compare_to(env: &Env<'_>, s: &str, t: &Value) -> Result<Value, EvalError> {
    let t = arg_str(t, "compareTo")?;
    if s.is_ascii() && t.is_ascii() {
        let (x, y) = (s.as_bytes(), t.as_bytes());
        return Ok(match x.iter().zip(y).find(|(p, q)| p != q) {
            Some((p, q)) => Value::Int(i32::from(*p) - i32::from(*q)),
            None => Value::Int(
                i32::try_from(x.len()).unwrap_or(i32::MAX)
                    - i32::try_from(y.len()).unwrap_or(i32::MAX),
            ),
        });
    }
    ascii_or_charge(env, s)?;
    ascii_or_charge(env, t)?;
    let (mut x, mut y) = (s.encode_utf16(), t.encode_utf16());
    loop {
        match (x.next(), y.next()) {
            (Some(p), Some(q)) if p == q => {}
            (Some(p), Some(q)) => return Ok(Value::Int(i32::from(p) - i32::from(q))),
            (Some(_), None) => return Ok(int(1 + x.count())),
            (None, Some(_)) => {
                return Ok(Value::Int(
                    -i32::try_from(1 + y.count()).unwrap_or(i32::MAX),
                ));
            }
            (None, None) => return Ok(Value::Int(0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert!(cmp_versions("14.2.1", "14.2").is_gt());
        assert!(cmp_versions("14.10", "14.9").is_gt());
        assert!(cmp_versions("1.0", "1").is_eq());
        assert!(cmp_versions(&".".repeat(100_000), "0").is_lt());
        assert!(cmp_versions("1.é", "1.e").is_gt());
    }

    #[test]
    fn utf16_slices() {
        assert_eq!(utf16_slice("a😀b", 0, 4), "a😀b");
        assert_eq!(utf16_slice("a😀b", 1, 3), "😀");
        assert_eq!(utf16_slice("a😀b", 2, 4), "\u{FFFD}b");
        assert_eq!(utf16_slice("a😀b", 0, 2), "a\u{FFFD}");
        assert_eq!(utf16_slice("é", 0, 0), "");
        assert_eq!(char_slice("aéb", 1, 2), "é");
        assert_eq!(char_slice("aéb", 1, 9), "éb");
        assert_eq!(char_slice("aéb", 3, 3), "");
    }
}
