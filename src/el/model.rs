//! The typed Okta user and group records of a token request.
//!
//! They are defined beside the engine, which reads them in place (see
//! [`UserView::from_request`](super::UserView::from_request)), so that the engine imports
//! nothing from the rest of the crate; they are published at the crate root
//! ([`tokenmint::User`](crate::User), [`tokenmint::Group`](crate::Group)).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// A JSON object.
type JsonMap = Map<String, Value>;

/// An Okta user: internal properties, profile, groups and linked objects. Other members of an
/// Okta user object (`_links`, `credentials`, …) are kept in `extra`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// The user id (`00u…`).
    pub id: String,
    /// Lifecycle status, e.g. `ACTIVE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Last profile update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
    /// Last password change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_changed: Option<String>,
    /// Last sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_login: Option<String>,
    /// Whether the user's primary email address is verified, as the host knows it: the ID
    /// token's and userinfo's `email_verified`. Absent = not known, and the claim is omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// Profile attributes (`login`, `email`, `firstName`, …).
    #[serde(default)]
    pub profile: JsonMap,
    /// The groups the user belongs to.
    #[serde(default)]
    pub groups: Vec<Group>,
    /// Linked objects by relationship name (e.g. `manager`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub linked_objects: BTreeMap<String, User>,
    /// Members the model does not know.
    #[serde(flatten)]
    pub extra: JsonMap,
}

impl User {
    /// The `login` profile attribute, if it is a string.
    pub fn login(&self) -> Option<&str> {
        self.profile.get("login").and_then(Value::as_str)
    }
}

/// A group a user belongs to.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    /// The group id (`00g…`).
    pub id: String,
    /// The group name.
    #[serde(default)]
    pub name: String,
    /// `OKTA_GROUP`, `APP_GROUP` or `BUILT_IN`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub group_type: Option<String>,
    /// The app the group comes from (app groups).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
    /// The group's profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<JsonMap>,
    /// Members the model does not know.
    #[serde(flatten)]
    pub extra: JsonMap,
}
