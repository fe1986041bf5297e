//! Group functions: `Groups.*`, `getFilteredGroups`, `isMemberOf*`, `user.getGroups`,
//! `user.isMemberOf`.
//!
//! Decisions on undocumented points:
//! * `Groups.startsWith/contains/endsWith` compare group names case-insensitively, like the
//!   GROUPS claim filters of the same names. `isMemberOfGroupName*` and `user.getGroups`
//!   compare case-sensitively (Okta: expressions are case-sensitive).
//! * `Groups.*` app argument: `"OKTA"` selects Okta groups (types `OKTA_GROUP` and `BUILT_IN`);
//!   a value equal to a group's `sourceId` selects that app's groups; any other name (such as
//!   `"active_directory"`) selects `APP_GROUP`s whose `sourceName` is that name (for
//!   `"active_directory"` also those whose `objectClass` holds `okta:windows_security_principal`).
//! * A `limit` outside 1–100, or more matching groups than the limit, is an error of kind
//!   [`EvalErrorKind::GroupLimit`] — never a silent truncation. (Okta allows larger limits in the
//!   authorization-code flows; this engine does not know the flow.)
//! * `getFilteredGroups` returns results in allowlist order; allowlist ids the user is not a
//!   member of are ignored.
//! * `isMemberOfGroupNameRegex("/.*admin.*")`: a leading `/` (and a matching trailing one) is
//!   read as a delimiter and removed; the rest must match the whole group name.

use regex::Regex;

use super::{arg_err, arrays, req_int, req_str, type_err};
use crate::el::User;
use crate::el::eval::Env;
use crate::el::value::Value;
use crate::el::{EvalError, EvalErrorKind, Program};

/// How a pattern is matched against a group name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Match {
    Exact,
    StartsWith,
    Contains,
    EndsWith,
}

fn field<'a>(g: &'a Value, name: &str) -> Option<&'a str> {
    match g {
        Value::Map(m) => m.get(name).and_then(Value::as_str),
        _ => None,
    }
}

fn user<'a>(env: &'a Env<'_>) -> Option<&'a User> {
    env.ctx.user.as_deref()
}

fn check_limit(limit: &Value) -> Result<usize, EvalError> {
    let n = req_int(limit, "the group limit")?;
    if !(1..=100).contains(&n) {
        return Err(EvalError::new(
            EvalErrorKind::GroupLimit,
            format!("the group limit must be from 1 through 100, not {n}"),
        ));
    }
    Ok(n as usize)
}

fn too_many(found: usize, limit: usize) -> EvalError {
    EvalError::new(
        EvalErrorKind::GroupLimit,
        format!("{found} groups match, more than the limit of {limit}"),
    )
}

fn matches(m: Match, name: &str, pattern: &str) -> bool {
    match m {
        Match::Exact => name == pattern,
        Match::StartsWith => name.starts_with(pattern),
        Match::Contains => name.contains(pattern),
        Match::EndsWith => name.ends_with(pattern),
    }
}

fn from_app(g: &Value, app: &str) -> bool {
    let ty = field(g, "type").unwrap_or("OKTA_GROUP");
    if app.eq_ignore_ascii_case("OKTA") {
        return ty == "OKTA_GROUP" || ty == "BUILT_IN";
    }
    if field(g, "sourceId") == Some(app) {
        return true;
    }
    if ty != "APP_GROUP" {
        return false;
    }
    if field(g, "sourceName") == Some(app) {
        return true;
    }
    app == "active_directory"
        && matches!(g, Value::Map(m) if matches!(m.get("objectClass"), Some(Value::List(l))
            if l.iter().any(|c| c.as_str() == Some("okta:windows_security_principal"))))
}

/// `Groups.startsWith/contains/endsWith(app, pattern, limit)`: names of matching groups.
pub(crate) fn groups_fn(
    env: &Env<'_>,
    app: &Value,
    pattern: &Value,
    limit: &Value,
    m: Match,
) -> Result<Value, EvalError> {
    let app = req_str(app, "Groups")?;
    let pattern = req_str(pattern, "Groups")?.to_lowercase();
    let limit = check_limit(limit)?;
    let mut out = Vec::new();
    if let Some(u) = user(env) {
        let ix = u.group_index();
        for (i, g) in u.groups().iter().enumerate() {
            if matches(m, &ix.lower[i], &pattern) && from_app(g, &app) {
                out.push(Value::Str(ix.names[i].clone()));
            }
        }
    }
    if out.len() > limit {
        return Err(too_many(out.len(), limit));
    }
    Ok(Value::from(out))
}

/// `getFilteredGroups(allowlist, groupExpression, limit)`.
pub(crate) fn filtered_groups(
    env: &Env<'_>,
    allow: &Value,
    expr: &Program,
    limit: &Value,
) -> Result<Value, EvalError> {
    if allow.is_null() {
        return Err(EvalError::new(
            EvalErrorKind::NullValue,
            "the allowlist of getFilteredGroups is null",
        ));
    }
    let ids = arrays::items(allow, "getFilteredGroups")?;
    let limit = check_limit(limit)?;
    let Some(u) = user(env) else {
        return Ok(Value::from(Vec::new()));
    };
    let ix = u.group_index();
    let mut out = Vec::new();
    for id in &ids {
        let Some(id) = id.as_str() else { continue };
        if let Some(&i) = ix.by_id.get(id) {
            out.push(env.with_group(&u.groups()[i]).eval_nested(expr)?);
        }
    }
    if out.len() > limit {
        return Err(too_many(out.len(), limit));
    }
    env.list_value(out)
}

/// `isMemberOfGroupName` and friends.
pub(crate) fn member_by_name(env: &Env<'_>, v: &Value, m: Match) -> Result<Value, EvalError> {
    let p = req_str(v, "isMemberOfGroupName")?;
    Ok(Value::Bool(
        user(env).is_some_and(|u| u.any_group_name(|n| matches(m, n, &p))),
    ))
}

/// `isMemberOfGroup(id)`, `isMemberOfAnyGroup(id, ...)` (lists and CSV strings accepted).
pub(crate) fn member_by_ids(env: &Env<'_>, args: &[Value]) -> Result<Value, EvalError> {
    let mut ids = Vec::new();
    for a in args {
        ids.extend(arrays::items(a, "isMemberOfAnyGroup")?);
    }
    Ok(Value::Bool(user(env).is_some_and(|u| {
        let ix = u.group_index();
        ids.iter()
            .any(|id| id.as_str().is_some_and(|id| ix.by_id.contains_key(id)))
    })))
}

pub(crate) fn strip_slashes(v: &Value) -> Value {
    match v.as_str() {
        Some(s) if s.starts_with('/') => {
            let t = &s[1..];
            Value::from(if t.len() > 1 && t.ends_with('/') {
                &t[..t.len() - 1]
            } else {
                t
            })
        }
        _ => v.clone(),
    }
}

pub(crate) fn member_by_regex(env: &Env<'_>, re: &Regex) -> Result<Value, EvalError> {
    Ok(Value::Bool(user(env).is_some_and(|u| {
        u.any_group_name(|n| !n.is_empty() && re.is_match(n))
    })))
}

struct Criterion {
    key: String,
    values: Vec<String>,
    exact: bool,
}

fn criteria(args: &[Value]) -> Result<Vec<Criterion>, EvalError> {
    let mut out = Vec::new();
    for a in args {
        let Value::Map(m) = a else {
            return Err(type_err(format!(
                "a group criterion must be a map such as {{'group.type': 'OKTA_GROUP'}}, not a {}",
                a.type_name()
            )));
        };
        let exact = match m.get("operator") {
            None | Some(Value::Null) => false,
            Some(op) => match op.as_str() {
                Some("EXACT") => true,
                Some("STARTS_WITH") => false,
                _ => {
                    return Err(arg_err(format!(
                        "the operator must be 'EXACT' or 'STARTS_WITH', not {}",
                        op.to_java_string()
                    )));
                }
            },
        };
        for (k, v) in m.iter() {
            match &**k {
                "operator" => continue,
                "group.id" | "group.source.id" | "group.type" | "group.profile.name" => {}
                other => {
                    return Err(arg_err(format!(
                        "unknown group criterion '{other}' (use group.id, group.source.id, \
                         group.type or group.profile.name)"
                    )));
                }
            }
            let values = match v {
                Value::List(l) => l.iter().map(Value::to_java_string).collect(),
                other => vec![other.to_java_string()],
            };
            out.push(Criterion {
                key: k.to_string(),
                values,
                exact,
            });
        }
    }
    Ok(out)
}

fn group_matches(g: &Value, c: &Criterion) -> bool {
    let Value::Map(m) = g else { return false };
    let get = |path: &[&str]| -> Option<&str> {
        let mut cur = Some(g);
        for p in path {
            cur = match cur {
                Some(Value::Map(mm)) => mm.get(*p),
                _ => None,
            };
        }
        cur.and_then(Value::as_str)
    };
    let actual = match c.key.as_str() {
        "group.id" => get(&["id"]),
        "group.source.id" => m
            .get("sourceId")
            .and_then(Value::as_str)
            .or_else(|| get(&["source", "id"])),
        "group.type" => get(&["type"]),
        _ => get(&["profile", "name"]).or_else(|| get(&["name"])),
    };
    let Some(actual) = actual else { return false };
    c.values.iter().any(|v| {
        if c.key == "group.profile.name" {
            if c.exact {
                actual == v
            } else {
                // STARTS_WITH; a trailing ".*" (the documented spelling) is the same thing
                actual.starts_with(v.strip_suffix(".*").unwrap_or(v))
            }
        } else {
            actual == v
        }
    })
}

/// `user.getGroups(criterion, ...)`: the user's groups matching every criterion (a list
/// value inside a criterion means any of its items).
pub(crate) fn get_groups(env: &Env<'_>, u: &User, args: &[Value]) -> Result<Value, EvalError> {
    let cs = criteria(args)?;
    let out: Vec<Value> = u
        .groups()
        .iter()
        .filter(|g| cs.iter().all(|c| group_matches(g, c)))
        .cloned()
        .collect();
    env.list_value(out)
}

/// `user.isMemberOf(criterion, ...)`.
pub(crate) fn is_member_of(u: &User, args: &[Value]) -> Result<Value, EvalError> {
    let cs = criteria(args)?;
    Ok(Value::Bool(
        u.groups()
            .iter()
            .any(|g| cs.iter().all(|c| group_matches(g, c))),
    ))
}
