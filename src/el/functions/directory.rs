//! Manager/assistant and directory (Active Directory, Workday) functions.
//!
//! Data convention (see [`crate::el::Context`]): managers and assistants are the user's
//! `linkedObjects.manager` / `linkedObjects.assistant`; their app users are under each linked
//! user's `appUsers.<appName>`; the user's own directory assignments are the context's
//! `directoryUsers.active_directory` / `directoryUsers.workday` lists.

use super::{arg_err, req_str};
use crate::el::EvalError;
use crate::el::eval::Env;
use crate::el::value::Value;

fn check_source(v: &Value, what: &str) -> Result<(), EvalError> {
    let s = req_str(v, what)?;
    if s != "active_directory" {
        return Err(arg_err(format!(
            "{what} accepts only the source \"active_directory\", not \"{s}\""
        )));
    }
    Ok(())
}

/// `getManagerUser("active_directory")` / `getAssistantUser(...)`: the linked user, or null.
pub(crate) fn linked_user(env: &Env<'_>, source: &Value, which: &str) -> Result<Value, EvalError> {
    check_source(
        source,
        if which == "manager" {
            "getManagerUser"
        } else {
            "getAssistantUser"
        },
    )?;
    Ok(env
        .ctx
        .user
        .as_ref()
        .and_then(|u| u.linked().get(which).cloned())
        .unwrap_or_default())
}

/// `getManagerAppUser("active_directory", app)`: the linked user's app user for that app, or
/// null when there is none or several instances of the app (as Okta documents).
pub(crate) fn linked_app_user(
    env: &Env<'_>,
    source: &Value,
    app: &Value,
    which: &str,
) -> Result<Value, EvalError> {
    let what = if which == "manager" {
        "getManagerAppUser"
    } else {
        "getAssistantAppUser"
    };
    check_source(source, what)?;
    let app = req_str(app, what)?;
    let Some(Value::User(linked)) = env.ctx.user.as_ref().and_then(|u| u.linked().get(which))
    else {
        return Ok(Value::Null);
    };
    Ok(match linked.app_users().get(&*app) {
        Some(Value::List(l)) if l.len() == 1 => l[0].clone(),
        Some(Value::List(_)) | None => Value::Null,
        Some(v) => v.clone(),
    })
}

/// The single assignment of a directory, or `None` for zero or several (so `hasDirectoryUser()`
/// and `hasWorkdayUser()` are true exactly when `find...()` returns a user).
pub(crate) fn find(env: &Env<'_>, dir: &str) -> Option<Value> {
    match env.ctx.directory.get(dir) {
        Some(Value::List(l)) if l.len() == 1 => Some(l[0].clone()),
        _ => None,
    }
}
