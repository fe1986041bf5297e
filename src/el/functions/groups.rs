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
//!
//! Every function charges its scan of the user's groups (one unit per group, their names'
//! bytes, the pattern's bytes per group) before making it.

use super::{Call, arg_err, req_int, req_str, type_err};
use crate::el::compile::{Extra, GroupExprArg, Scope};
use crate::el::cost::{self, COMPILE_UNITS_PER_BYTE, GROUP_UNITS, byte_units};
use crate::el::eval::{Env, Val, bool_val};
use crate::el::pattern;
use crate::el::value::Value;
use crate::el::{EvalErrorKind, Fail as EvalError, UserView};

/// How a pattern is matched against a group name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Match {
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

fn user<'a>(env: &'a Env<'_>) -> Option<&'a UserView> {
    env.ctx.user.as_deref()
}

fn check_limit(limit: &Value) -> Result<usize, EvalError> {
    let n = req_int(limit, "the group limit")?;
    match usize::try_from(n) {
        Ok(n @ 1..=100) => Ok(n),
        _ => Err(EvalError::new(
            EvalErrorKind::GroupLimit,
            format!("the group limit must be from 1 through 100, not {n}"),
        )),
    }
}

fn too_many(found: usize, limit: usize) -> EvalError {
    EvalError::new(
        EvalErrorKind::GroupLimit,
        format!("{found} groups match, more than the limit of {limit}"),
    )
}

#[inline(always)]
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
fn groups_fn(env: &Env<'_>, c: &Call<'_>, m: Match) -> Result<Value, EvalError> {
    let [app, pattern, limit] = c.args()?;
    let app = req_str(app, "Groups")?;
    let pattern = req_str(pattern, "Groups")?;
    env.reserve_bytes(pattern.len().saturating_mul(3))?;
    let pattern = pattern.to_lowercase();
    let limit = check_limit(limit)?;
    let mut out = Vec::new();
    let mut found = 0usize;
    if let Some(u) = user(env) {
        let ix = u.group_index();
        let groups = u.groups();
        env.charge(
            (ix.names.len() as u64)
                .saturating_mul(GROUP_UNITS + byte_units(pattern.len()) + byte_units(app.len()))
                .saturating_add(byte_units(ix.name_bytes)),
        )?;
        for ((lower, name), g) in ix.lower.iter().zip(&ix.names).zip(groups.iter()) {
            if matches(m, lower, &pattern) && from_app(g, &app) {
                found += 1;
                if found <= limit {
                    out.push(Value::Str(name.clone()));
                }
            }
        }
    }
    if found > limit {
        return Err(too_many(found, limit));
    }
    env.alloc_list(out.len())?;
    Ok(env.list_value(out))
}

/// `Groups.contains(app, pattern, limit)`.
pub(crate) fn contains(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    groups_fn(env, c, Match::Contains)
}

/// `Groups.startsWith(app, pattern, limit)`.
pub(crate) fn starts_with(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    groups_fn(env, c, Match::StartsWith)
}

/// `Groups.endsWith(app, pattern, limit)`.
pub(crate) fn ends_with(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    groups_fn(env, c, Match::EndsWith)
}

/// The ids of an allowlist (a list, or a CSV string read in place), each charged.
fn each_id(
    env: &Env<'_>,
    v: &Value,
    what: &str,
    mut f: impl FnMut(&str) -> Result<bool, EvalError>,
) -> Result<(), EvalError> {
    match v {
        Value::Null => Ok(()),
        Value::List(l) => {
            for id in l.iter() {
                env.charge(1)?;
                if let Some(id) = id.as_str() {
                    env.scan(id.len())?;
                    if !f(id)? {
                        break;
                    }
                }
            }
            Ok(())
        }
        Value::Str(s) => {
            if s.trim().is_empty() {
                return Ok(());
            }
            env.scan(s.len())?;
            for id in s.split(',') {
                env.charge(1)?;
                if !f(id.trim())? {
                    break;
                }
            }
            Ok(())
        }
        other => Err(type_err(format!(
            "{what} expects a list or a comma-separated string, not a {}",
            other.type_name()
        ))),
    }
}

/// `getFilteredGroups(allowlist, groupExpression, limit)`: the group expression evaluated for
/// each group of the allowlist the user belongs to. A group expression that is not a literal is
/// compiled here, charged by its length.
pub(crate) fn filtered(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    let [allow, gexpr, limit] = c.args()?;
    if allow.is_null() {
        return Err(EvalError::new(
            EvalErrorKind::NullValue,
            "the allowlist of getFilteredGroups is null",
        ));
    }
    let compiled;
    let program = match c.extra {
        Some(Extra::Group(GroupExprArg::Fixed(p))) => p.get().ok_or_else(|| {
            EvalError::new(
                EvalErrorKind::InvalidPattern,
                "the group expression of getFilteredGroups was not compiled",
            )
        })?,
        _ => {
            let src = req_str(gexpr, "getFilteredGroups")?;
            env.charge((src.len() as u64).saturating_mul(COMPILE_UNITS_PER_BYTE))?;
            compiled =
                crate::el::compile_with(&src, env.limits, Scope::GroupAtEval).map_err(|e| {
                    EvalError::new(
                        EvalErrorKind::InvalidPattern,
                        format!("the group expression of getFilteredGroups is invalid: {e:#}"),
                    )
                })?;
            &compiled
        }
    };
    let limit = check_limit(limit)?;
    let mut out = Vec::new();
    let mut found = 0usize;
    match user(env) {
        None => each_id(env, allow, "getFilteredGroups", |_| Ok(true))?,
        Some(u) => {
            let ix = u.group_index();
            let groups = u.groups();
            each_id(env, allow, "getFilteredGroups", |id| {
                if let Some(g) = ix.by_id.get(id).and_then(|&i| groups.get(i)) {
                    found += 1;
                    // past the limit the groups are only counted, for the error
                    if found <= limit {
                        out.push(env.with_group(g).eval_nested(program)?);
                    }
                }
                Ok(true)
            })?;
        }
    }
    if found > limit {
        return Err(too_many(found, limit));
    }
    env.alloc_list(out.len())?;
    Ok(env.list_value(out))
}

/// Whether a group name satisfies `f`, the names' bytes charged (the pattern's bytes per
/// group before, besides the record's unit per group; the names' bytes once read, a scan of
/// the context's data).
fn any_name(
    env: &Env<'_>,
    pattern_len: usize,
    mut f: impl FnMut(&str) -> bool,
) -> Result<bool, EvalError> {
    let Some(u) = user(env) else {
        return Ok(false);
    };
    env.charge((u.group_count() as u64).saturating_mul(byte_units(pattern_len)))?;
    let mut bytes = 0usize;
    let found = u.any_group_name(|n| {
        bytes += n.len();
        f(n)
    });
    env.scan(bytes)?;
    Ok(found)
}

fn member_by_name(env: &Env<'_>, c: &Call<'_>, m: Match) -> Result<Val<'static>, EvalError> {
    let [v] = c.args()?;
    let p = req_str(v, "isMemberOfGroupName")?;
    let p = &*p;
    // one closure per kind of match, so each compiles to a plain comparison
    let found = match m {
        Match::Exact => any_name(env, p.len(), |n| n == p)?,
        Match::StartsWith => any_name(env, p.len(), |n| n.starts_with(p))?,
        Match::Contains => any_name(env, p.len(), |n| n.contains(p))?,
        Match::EndsWith => any_name(env, p.len(), |n| n.ends_with(p))?,
    };
    Ok(bool_val(found))
}

/// `isMemberOfGroupName(name)`.
pub(crate) fn member_name(env: &Env<'_>, c: &Call<'_>) -> Result<Val<'static>, EvalError> {
    member_by_name(env, c, Match::Exact)
}

/// `isMemberOfGroupNameStartsWith(prefix)`.
pub(crate) fn member_prefix(env: &Env<'_>, c: &Call<'_>) -> Result<Val<'static>, EvalError> {
    member_by_name(env, c, Match::StartsWith)
}

/// `isMemberOfGroupNameContains(part)`.
pub(crate) fn member_infix(env: &Env<'_>, c: &Call<'_>) -> Result<Val<'static>, EvalError> {
    member_by_name(env, c, Match::Contains)
}

/// `isMemberOfGroup(id)`, `isMemberOfAnyGroup(id, ...)` (lists and CSV strings accepted).
pub(crate) fn member_ids(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    let mut found = false;
    let ix = user(env).map(UserView::group_index);
    for a in c.args {
        each_id(env, a, "isMemberOfAnyGroup", |id| {
            found |= ix.is_some_and(|ix| ix.by_id.contains_key(id));
            Ok(!found)
        })?;
        if found {
            break;
        }
    }
    Ok(Value::Bool(found))
}

/// `isMemberOfGroupNameRegex(pattern)`: a group name matches the whole pattern.
pub(crate) fn member_regex(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    let [p] = c.args()?;
    let re = env.regex(
        c.regex()?,
        || {
            Ok(match p.as_str() {
                Some(s) => Value::from(pattern::strip_slashes(s)),
                None => p.clone(),
            })
        },
        true,
    )?;
    let mut err = None;
    let found = any_name(env, 0, |n| {
        !n.is_empty()
            && re
                .is_match(n, env.budget, env.scratch_cell())
                .unwrap_or_else(|e| {
                    // stops the scan; reported below
                    err = Some(e);
                    true
                })
    })?;
    match err {
        Some(e) => Err(e),
        None => Ok(Value::Bool(found)),
    }
}

struct Criterion {
    key: String,
    values: Vec<String>,
    exact: bool,
}

fn criteria(env: &Env<'_>, args: &[Val<'_>]) -> Result<Vec<Criterion>, EvalError> {
    let mut out = Vec::new();
    for a in args {
        let Value::Map(m) = &**a else {
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
                        cost::excerpt(&env.java_text(op)?)
                    )));
                }
            },
        };
        for (k, v) in m.0.iter() {
            match &**k {
                "operator" => continue,
                "group.id" | "group.source.id" | "group.type" | "group.profile.name" => {}
                other => {
                    return Err(arg_err(format!(
                        "unknown group criterion '{}' (use group.id, group.source.id, \
                         group.type or group.profile.name)",
                        cost::excerpt(other)
                    )));
                }
            }
            let values = match v {
                Value::List(l) => {
                    env.charge(l.len() as u64)?;
                    l.iter()
                        .map(|x| env.java_text(x))
                        .collect::<Result<_, _>>()?
                }
                other => vec![env.java_text(other)?],
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
                Some(Value::Map(mm)) => mm.get(p),
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

/// The criteria of a `getGroups`/`isMemberOf` call, and the charge for testing every group
/// against them.
fn user_criteria<'a>(
    env: &Env<'_>,
    c: &Call<'a>,
) -> Result<(&'a UserView, Vec<Criterion>), EvalError> {
    let Value::User(u) = c.recv else {
        return Err(c.unsupported());
    };
    let cs = criteria(env, c.args)?;
    let per_group: u64 = cs
        .iter()
        .flat_map(|c| &c.values)
        .map(|v| GROUP_UNITS + byte_units(v.len()))
        .sum();
    env.charge((u.group_count() as u64).saturating_mul(per_group.max(GROUP_UNITS)))?;
    Ok((u, cs))
}

/// `user.getGroups(criterion, ...)`: the user's groups matching every criterion (a list
/// value inside a criterion means any of its items).
pub(crate) fn m_get_groups(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    let (u, cs) = user_criteria(env, c)?;
    let groups = u.groups();
    env.alloc_list(groups.len())?;
    Ok(env.list_value(
        groups
            .iter()
            .filter(|g| cs.iter().all(|c| group_matches(g, c)))
            .cloned()
            .collect(),
    ))
}

/// `user.isMemberOf(criterion, ...)`.
pub(crate) fn m_is_member_of(env: &Env<'_>, c: &Call<'_>) -> Result<Val<'static>, EvalError> {
    let (u, cs) = user_criteria(env, c)?;
    Ok(bool_val(
        u.groups()
            .iter()
            .any(|g| cs.iter().all(|c| group_matches(g, c))),
    ))
}
