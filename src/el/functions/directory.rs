//! Manager/assistant and directory (Active Directory, Workday) functions, and the user's
//! linked objects and internal properties.
//!
//! Data convention (see [`crate::el::Context`]): managers and assistants are the user's
//! `linkedObjects.manager` / `linkedObjects.assistant`; their app users are under each linked
//! user's `appUsers.<appName>`; the user's own directory assignments are the context's
//! `directoryUsers.active_directory` / `directoryUsers.workday` lists.

use super::{Call, arg_err, quoted, req_str};
use crate::el::Fail as EvalError;
use crate::el::eval::Env;
use crate::el::value::Value;

fn check_source(v: &Value, what: &str) -> Result<(), EvalError> {
    let s = req_str(v, what)?;
    if s != "active_directory" {
        return Err(arg_err(format!(
            "{what} accepts only the source \"active_directory\", not \"{}\"",
            quoted(&s)
        )));
    }
    Ok(())
}

/// `getManagerUser("active_directory")` / `getAssistantUser(...)`: the linked user, or null.
fn linked_user(env: &Env<'_>, c: &Call<'_>, which: &str) -> Result<Value, EvalError> {
    let [source] = c.args()?;
    check_source(source, c.def.name)?;
    Ok(env
        .ctx
        .user
        .as_ref()
        .and_then(|u| u.linked().get(which).cloned())
        .unwrap_or_default())
}

/// `getManagerUser("active_directory")`.
pub(crate) fn manager(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    linked_user(env, c, "manager")
}

/// `getAssistantUser("active_directory")`.
pub(crate) fn assistant(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    linked_user(env, c, "assistant")
}

/// `getManagerAppUser("active_directory", app)`: the linked user's app user for that app, or
/// null when there is none or several instances of the app (as Okta documents).
fn linked_app_user(env: &Env<'_>, c: &Call<'_>, which: &str) -> Result<Value, EvalError> {
    let [source, app] = c.args()?;
    check_source(source, c.def.name)?;
    let app = req_str(app, c.def.name)?;
    let Some(Value::User(linked)) = env.ctx.user.as_ref().and_then(|u| u.linked().get(which))
    else {
        return Ok(Value::Null);
    };
    Ok(match linked.app_users().get(&app) {
        Some(Value::List(l)) => match l.as_slice() {
            [one] => one.clone(),
            _ => Value::Null,
        },
        None => Value::Null,
        Some(v) => v.clone(),
    })
}

/// `getManagerAppUser("active_directory", app)`.
pub(crate) fn manager_app_user(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    linked_app_user(env, c, "manager")
}

/// `getAssistantAppUser("active_directory", app)`.
pub(crate) fn assistant_app_user(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    linked_app_user(env, c, "assistant")
}

/// The single assignment of a directory, or `None` for zero or several (so `hasDirectoryUser()`
/// and `hasWorkdayUser()` are true exactly when `find...()` returns a user).
fn find(env: &Env<'_>, dir: &str) -> Option<Value> {
    match env.ctx.directory.get(dir) {
        Some(Value::List(l)) => match l.as_slice() {
            [one] => Some(one.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// `hasDirectoryUser()`.
pub(crate) fn has_directory_user(env: &Env<'_>, _: &Call<'_>) -> Result<Value, EvalError> {
    Ok(Value::Bool(find(env, "active_directory").is_some()))
}

/// `hasWorkdayUser()`.
pub(crate) fn has_workday_user(env: &Env<'_>, _: &Call<'_>) -> Result<Value, EvalError> {
    Ok(Value::Bool(find(env, "workday").is_some()))
}

/// `findDirectoryUser()`.
pub(crate) fn find_directory_user(env: &Env<'_>, _: &Call<'_>) -> Result<Value, EvalError> {
    Ok(find(env, "active_directory").unwrap_or_default())
}

/// `findWorkdayUser()`.
pub(crate) fn find_workday_user(env: &Env<'_>, _: &Call<'_>) -> Result<Value, EvalError> {
    Ok(find(env, "workday").unwrap_or_default())
}

/// `user.getLinkedObject(name)`.
pub(crate) fn m_linked_object(_: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    let Value::User(u) = c.recv else {
        return Err(c.unsupported());
    };
    let [name] = c.args()?;
    let name = req_str(name, "getLinkedObject")?;
    Ok(u.linked().get(&name).cloned().unwrap_or_default())
}

/// `user.getInternalProperty(name)`.
pub(crate) fn m_internal_property(_: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    let Value::User(u) = c.recv else {
        return Err(c.unsupported());
    };
    let [name] = c.args()?;
    let name = req_str(name, "getInternalProperty")?;
    Ok(u.internal().get(&name).cloned().unwrap_or_default())
}
