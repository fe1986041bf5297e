//! Authorization servers from Terraform: the JSON that `terraform show -json` prints for a state
//! or a plan holding the Okta provider's `okta_auth_server*` resources.
//!
//! ```
//! use tokenmint::config::terraform::Terraform;
//!
//! let doc = Terraform::from_json(r#"{"format_version": "1.0", "values": {"root_module": {"resources": [
//!   {"address": "okta_auth_server.orders", "mode": "managed", "type": "okta_auth_server",
//!    "name": "orders", "provider_name": "registry.terraform.io/okta/okta",
//!    "values": {"id": "aus1", "name": "Orders", "audiences": ["api://orders"],
//!               "issuer": "https://example.okta.com/oauth2/aus1", "status": "ACTIVE"}},
//!   {"address": "okta_auth_server_scope.read", "mode": "managed", "type": "okta_auth_server_scope",
//!    "name": "read", "values": {"id": "scp1", "auth_server_id": "aus1", "name": "orders:read"}}
//! ]}}}"#)?;
//! let server = doc.server(Some("Orders"))?;
//! assert_eq!(server.address, "okta_auth_server.orders");
//! assert_eq!(server.config.scopes[0].name, "orders:read");
//! # Ok::<(), tokenmint::config::terraform::TerraformError>(())
//! ```
//!
//! # What is read
//!
//! The resources of the state's `values` or the plan's `planned_values`, in the root module and
//! every child module: `okta_auth_server` and `okta_auth_server_default` (servers),
//! `okta_auth_server_scope`, `okta_auth_server_claim`, `okta_auth_server_claim_default`,
//! `okta_auth_server_policy`, `okta_auth_server_policy_rule` and
//! `okta_auth_server_policy_priority`. Each becomes the Management API object the provider would
//! send (attribute by attribute, with the provider's defaults for absent attributes), and the
//! objects of one server make a [`ServerConfig`]. Objects keep the document's order (Terraform
//! lists resources by address); evaluation order comes from priorities, as in Okta.
//!
//! A scope, claim or policy belongs to the server whose `id` its `auth_server_id` names; a rule
//! to the policy its `policy_id` names. In a plan, ids of resources still to be created are
//! unknown: they get the placeholder `<address>.id` (the HCL reference that would read them;
//! `default` for `okta_auth_server_default`), and links are resolved from the plan's
//! `configuration` — the references of the `auth_server_id` expression, followed through module
//! variables and outputs. Other unknown values that tokens or decisions depend on (client ids,
//! group and user ids, an inline hook id) get the absolute reference their expression makes
//! (`okta_app_oauth.portal.client_id`) and a warning saying so; an unknown issuer is built from
//! the provider's `org_name` and `base_url` when the configuration gives them as constants
//! (`https://okta.invalid` otherwise). A claim whose `value` is unknown is left out, with a
//! warning.
//!
//! # Decisions on points neither Okta nor the provider documents
//!
//! * Objects keep the document's order. Terraform lists resources by address, so the custom
//!   claims of a token come in that order (Okta's is creation order, which parallel applies
//!   don't fix); claim values are the same either way.
//! * `okta_auth_server_default` without an id is the server `default`; without audiences, it has
//!   Okta's `api://default`. Resources whose `auth_server_id` is `"default"` in a document without
//!   `okta_auth_server_default` belong to an implicit default server with Okta's defaults (a
//!   warning says so); resources of other servers the document doesn't have are left out (a
//!   warning lists them).
//! * `okta_auth_server_claim_default` for `sub` becomes the access token's system `sub` claim;
//!   for the standard ID-token claims it becomes nothing (this library derives them from the
//!   profile) and `always_include_in_token` draws a warning where it differs from what thin ID
//!   tokens carry here (`name`, `preferred_username`, `email`).
//! * `okta_auth_server_policy_priority` gives the listed policies priorities 1, 2, …; policies
//!   it doesn't list come after them in their own order, with a warning.
//! * The provider's check that the refresh window lies between the two lifetimes is an error in
//!   a plan (apply will fail) and a warning in a state (it was applied by an older provider).
//! * A rule whose policy is not in the document is an error: without the policy's client
//!   condition its decisions can't be known.
//!
//! # Where Okta and the provider differ from the plan
//!
//! Warnings (`terraform.*` codes) say what will happen differently from what the document says:
//! priorities that Okta renumbers to keep them contiguous from 1, policies missing from an
//! `okta_auth_server_policy_priority`, `okta_auth_server_claim_default` settings this library
//! does not model. Errors name what `terraform apply` would refuse even though `terraform plan`
//! passes: a `sub` default claim without a value or excluded from tokens, an inactive policy to
//! be created, a refresh-token window outside the provider's range. Validation problems found
//! later by [`AuthorizationServer::compile`](crate::AuthorizationServer::compile) are located the
//! same way with [`TerraformServer::locate`]; their hints are rewritten for Terraform where it
//! helps (the window minimum of 10 minutes that version 4 of the provider documents as 5, the
//! race between parallel creations of equal priorities).
//!
//! # Bounds
//!
//! Hostile documents get located diagnostics, never a panic: every shape is checked, references
//! are followed at most [`MAX_REFERENCE_HOPS`] deep with cycle detection, each expression's
//! reference list is read up to [`MAX_REFERENCES`] entries, and the whole document's reference
//! resolution has a step budget linear in its size.

use super::ServerConfig;
use super::diagnostic::{Diagnostic, Severity, pointer};
use super::position::positions;
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet};
use std::fmt;

/// How many references deep an attribute is followed (module variable to module call to
/// output …) before giving up.
pub const MAX_REFERENCE_HOPS: usize = 32;
/// How many entries of one expression's `references` list are read.
pub const MAX_REFERENCES: usize = 64;
/// Module nesting read at most.
const MAX_MODULE_DEPTH: usize = 64;
/// Resolution steps per document: this base plus this much per resource.
const BUDGET_BASE: usize = 100_000;
const BUDGET_PER_RESOURCE: usize = 64;
/// Where an unknown issuer points when the provider configuration doesn't give the org.
const PLACEHOLDER_ORG: &str = "https://okta.invalid";

/// The values of `okta_auth_server_claim_default.name` the provider accepts.
const DEFAULT_CLAIM_NAMES: [&str; 19] = [
    "sub",
    "address",
    "birthdate",
    "email",
    "email_verified",
    "family_name",
    "gender",
    "given_name",
    "locale",
    "middle_name",
    "name",
    "nickname",
    "phone_number",
    "picture",
    "preferred_username",
    "profile",
    "updated_at",
    "website",
    "zoneinfo",
];

/// Standard claims that thin ID tokens carry (when their scope is granted).
const THIN_ID_CLAIMS: [&str; 3] = ["name", "preferred_username", "email"];

// ---------------------------------------------------------------------------------------------
// Public types

/// A state (`terraform show -json` of a state file) or a plan (of a plan file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DocumentKind {
    /// Every value is known.
    State,
    /// Values computed at apply (ids, issuers) are unknown.
    Plan,
}

/// A diagnostic located in a Terraform document: the resource address and attribute it is
/// about, and a JSON pointer into the document (`diagnostic.path`) with the line of the
/// resource. Diagnostics about a [`ServerConfig`] bundle (no Terraform) convert with `From`
/// and have no address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Located {
    /// The problem; its `path` points into the Terraform document (or the bundle).
    pub diagnostic: Diagnostic,
    /// The resource address, e.g. `module.portal.okta_auth_server_policy_rule.admins`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The attribute, e.g. `value_type`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribute: Option<String>,
    /// The 1-based line of the resource (or of the value) in the document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

impl Located {
    /// Whether this is an error (not a warning).
    pub fn is_error(&self) -> bool {
        self.diagnostic.is_error()
    }
}

impl From<Diagnostic> for Located {
    fn from(diagnostic: Diagnostic) -> Located {
        Located {
            diagnostic,
            address: None,
            attribute: None,
            line: None,
        }
    }
}

impl fmt::Display for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.diagnostic;
        let Some(address) = &self.address else {
            write!(f, "{d}")?;
            if let Some(line) = self.line {
                write!(f, " (line {line})")?;
            }
            return Ok(());
        };
        let sev = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{sev}[{}] {address}: ", d.code)?;
        if let Some(a) = &self.attribute {
            write!(f, "{a}: ")?;
        }
        write!(f, "{}", d.message)?;
        if let Some(line) = self.line {
            write!(f, " (line {line})")?;
        }
        if let Some(h) = &d.hint {
            write!(f, " (hint: {h})")?;
        }
        Ok(())
    }
}

/// A Terraform document that can't be read, or a server that can't be built from it, with
/// every problem found (errors first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerraformError {
    /// The problems; warnings found alongside are included.
    pub diagnostics: Vec<Located>,
}

impl TerraformError {
    fn new(mut diagnostics: Vec<Located>) -> TerraformError {
        diagnostics.sort_by_key(|d| std::cmp::Reverse(d.diagnostic.severity));
        TerraformError { diagnostics }
    }

    fn one(d: Diagnostic) -> TerraformError {
        TerraformError::new(vec![d.into()])
    }

    /// Only the errors.
    pub fn errors(&self) -> impl Iterator<Item = &Located> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }
}

impl fmt::Display for TerraformError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors().count();
        write!(
            f,
            "the Terraform document has {n} error{}",
            if n == 1 { "" } else { "s" }
        )?;
        for d in &self.diagnostics {
            write!(f, "\n  {d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for TerraformError {}

/// An authorization server found in a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerSummary {
    /// Its resource address.
    pub address: String,
    /// Its `name` (`default` for `okta_auth_server_default` without one).
    pub name: String,
    /// Its id, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// A parsed Terraform state or plan: the Okta authorization-server resources it holds, linked
/// to their servers. [`Terraform::server`] builds one server's [`ServerConfig`].
#[derive(Debug, Clone)]
pub struct Terraform {
    kind: DocumentKind,
    resources: Vec<Res>,
    document: Vec<Located>,
    org_url: Option<String>,
    /// Index of the implicit `default` server, when resources name it without managing it.
    implicit_default: Option<usize>,
    /// The plan's `configuration` and `variables`, for references.
    configuration: Option<Value>,
    variables: Option<Map<String, Value>>,
    by_address: HashMap<String, usize>,
    by_base: HashMap<String, Vec<usize>>,
}

/// One server built from a Terraform document.
#[derive(Debug, Clone)]
pub struct TerraformServer {
    /// The server in Management API shapes, ready for
    /// [`AuthorizationServer::compile`](crate::AuthorizationServer::compile).
    pub config: ServerConfig,
    /// The server's resource address.
    pub address: String,
    /// State or plan.
    pub kind: DocumentKind,
    /// What Okta or the provider will do differently from what the document says, and the
    /// placeholders used for unknown values.
    pub warnings: Vec<Located>,
    map: SourceMap,
}

// ---------------------------------------------------------------------------------------------
// Resources

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Server,
    DefaultServer,
    Scope,
    Claim,
    ClaimDefault,
    Policy,
    Rule,
    PolicyPriority,
}

impl Kind {
    fn of(t: &str) -> Option<Kind> {
        Some(match t {
            "okta_auth_server" => Kind::Server,
            "okta_auth_server_default" => Kind::DefaultServer,
            "okta_auth_server_scope" => Kind::Scope,
            "okta_auth_server_claim" => Kind::Claim,
            "okta_auth_server_claim_default" => Kind::ClaimDefault,
            "okta_auth_server_policy" => Kind::Policy,
            "okta_auth_server_policy_rule" => Kind::Rule,
            "okta_auth_server_policy_priority" => Kind::PolicyPriority,
            _ => return None,
        })
    }

    fn is_server(self) -> bool {
        matches!(self, Kind::Server | Kind::DefaultServer)
    }

    /// Management API member paths (below the object) and the attribute each comes from,
    /// longest paths first.
    fn members(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Kind::Server | Kind::DefaultServer => &[
                (
                    "credentials/signing/rotationMode",
                    "credentials_rotation_mode",
                ),
                (
                    "credentials/signing/lastRotated",
                    "credentials_last_rotated",
                ),
                (
                    "credentials/signing/nextRotation",
                    "credentials_next_rotation",
                ),
                ("credentials/signing/kid", "kid"),
                ("credentials", "credentials_rotation_mode"),
                ("issuerMode", "issuer_mode"),
                ("audiences", "audiences"),
                ("description", "description"),
                ("issuer", "issuer"),
                ("status", "status"),
                ("name", "name"),
                ("id", "id"),
            ],
            Kind::Scope => &[
                ("metadataPublish", "metadata_publish"),
                ("displayName", "display_name"),
                ("description", "description"),
                ("optional", "optional"),
                ("consent", "consent"),
                ("default", "default"),
                ("system", "system"),
                ("name", "name"),
                ("id", "id"),
            ],
            Kind::Claim | Kind::ClaimDefault => &[
                ("alwaysIncludeInToken", "always_include_in_token"),
                ("group_filter_type", "group_filter_type"),
                ("conditions/scopes", "scopes"),
                ("conditions", "scopes"),
                ("claimType", "claim_type"),
                ("valueType", "value_type"),
                ("status", "status"),
                ("value", "value"),
                ("name", "name"),
                ("id", "id"),
            ],
            Kind::Policy => &[
                ("conditions/clients", "client_whitelist"),
                ("conditions", "client_whitelist"),
                ("description", "description"),
                ("priority", "priority"),
                ("status", "status"),
                ("name", "name"),
                ("id", "id"),
            ],
            Kind::Rule => &[
                (
                    "actions/token/accessTokenLifetimeMinutes",
                    "access_token_lifetime_minutes",
                ),
                (
                    "actions/token/refreshTokenLifetimeMinutes",
                    "refresh_token_lifetime_minutes",
                ),
                (
                    "actions/token/refreshTokenWindowMinutes",
                    "refresh_token_window_minutes",
                ),
                ("actions/token/inlineHook", "inline_hook_id"),
                ("conditions/people/users/include", "user_whitelist"),
                ("conditions/people/users/exclude", "user_blacklist"),
                ("conditions/people/groups/include", "group_whitelist"),
                ("conditions/people/groups/exclude", "group_blacklist"),
                ("conditions/people", "user_whitelist/group_whitelist"),
                ("conditions/grantTypes", "grant_type_whitelist"),
                ("conditions/scopes", "scope_whitelist"),
                ("priority", "priority"),
                ("status", "status"),
                ("system", "system"),
                ("type", "type"),
                ("name", "name"),
                ("id", "id"),
            ],
            Kind::PolicyPriority => &[("priorities", "priorities")],
        }
    }
}

/// How a child resource is tied to its server or policy.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Link {
    /// Not looked at (servers, or a rule whose server link failed).
    None,
    /// The resource at this index.
    To(usize),
    /// A known id of something this document doesn't manage.
    Foreign(String),
    /// Couldn't be determined; an error is in the resource's diagnostics.
    Unresolved,
}

#[derive(Debug, Clone)]
struct Res {
    kind: Kind,
    address: String,
    /// Module instance steps: call name and instance key (`[0]`, `["a"]`).
    modules: Vec<(String, Option<String>)>,
    /// `type.name`, the address inside its module's configuration.
    config_address: String,
    /// The instance key of the resource itself.
    key: Option<String>,
    /// JSON pointer of the resource object in the document.
    pointer: String,
    line: Option<usize>,
    values: Map<String, Value>,
    /// The plan's `after_unknown` of this resource.
    unknown: Map<String, Value>,
    /// The configuration's `expressions` of this resource (plans).
    expressions: Map<String, Value>,
    /// Plans: whether the resource is to be created.
    creating: bool,
    /// Known id, or the placeholder.
    id: String,
    id_known: bool,
    server: Link,
    policy: Link,
    diags: Vec<Located>,
}

impl Res {
    fn located(&self, d: Diagnostic, attribute: Option<&str>) -> Located {
        let path = match attribute {
            Some(a) if self.values.contains_key(a) => pointer(&pointer(&self.pointer, "values"), a),
            _ => self.pointer.clone(),
        };
        Located {
            diagnostic: Diagnostic { path, ..d },
            address: Some(self.address.clone()),
            attribute: attribute.map(str::to_owned),
            line: self.line,
        }
    }

    fn error(&self, code: &'static str, attribute: Option<&str>, msg: String) -> Located {
        self.located(Diagnostic::error(code, "", msg), attribute)
    }

    fn warning(&self, code: &'static str, attribute: Option<&str>, msg: String) -> Located {
        self.located(Diagnostic::warning(code, "", msg), attribute)
    }

    /// The module instance prefix of the address, e.g. `module.portal.`.
    fn prefix(&self) -> String {
        module_prefix(&self.modules)
    }

    /// Whether an attribute is unknown in the plan.
    fn is_unknown(&self, attr: &str) -> bool {
        fn any_true(v: &Value) -> bool {
            match v {
                Value::Bool(b) => *b,
                Value::Array(a) => a.iter().any(any_true),
                Value::Object(m) => m.values().any(any_true),
                _ => false,
            }
        }
        if !self.unknown.get(attr).is_some_and(any_true) {
            return false;
        }
        // A known scalar can't be unknown too; a list may be partly known.
        matches!(
            self.values.get(attr),
            None | Some(Value::Null | Value::Array(_))
        )
    }

    fn known(&self, attr: &str) -> Option<&Value> {
        self.values.get(attr).filter(|v| !v.is_null())
    }
}

fn module_prefix(modules: &[(String, Option<String>)]) -> String {
    let mut s = String::new();
    for (name, key) in modules {
        s.push_str("module.");
        s.push_str(name);
        if let Some(k) = key {
            s.push_str(k);
        }
        s.push('.');
    }
    s
}

// ---------------------------------------------------------------------------------------------
// Addresses and references

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Attr(String),
    /// An index with its brackets, e.g. `[0]` or `["a"]`.
    Index(String),
}

/// Splits a traversal such as `module.a["k"].okta_auth_server.main[0].id` into its steps.
fn traversal(s: &str) -> Option<Vec<Step>> {
    if s.is_empty() || s.len() > 4096 {
        return None;
    }
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        let start = i;
        while b
            .get(i)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-')
        {
            i += 1;
        }
        if i == start {
            return None;
        }
        out.push(Step::Attr(s.get(start..i)?.to_owned()));
        while b.get(i) == Some(&b'[') {
            let open = i;
            i += 1;
            if b.get(i) == Some(&b'"') {
                i += 1;
                while let Some(&c) = b.get(i).filter(|c| **c != b'"') {
                    i += if c == b'\\' { 2 } else { 1 };
                }
                i += 1;
                if b.get(i) != Some(&b']') {
                    return None;
                }
            } else {
                while b.get(i).is_some_and(|c| *c != b']') {
                    i += 1;
                }
                if i >= b.len() {
                    return None;
                }
            }
            i += 1;
            out.push(Step::Index(s.get(open..i)?.to_owned()));
        }
        match b.get(i) {
            None => return Some(out),
            Some(b'.') => i += 1,
            Some(_) => return None,
        }
    }
}

/// A managed resource instance address: module steps, type, name, key.
struct Address {
    modules: Vec<(String, Option<String>)>,
    rtype: String,
    name: String,
    key: Option<String>,
}

fn parse_address(s: &str) -> Option<Address> {
    let steps = traversal(s)?;
    let mut it = steps.into_iter().peekable();
    let mut modules = Vec::new();
    loop {
        match it.next()? {
            Step::Attr(a) if a == "module" => {
                let Step::Attr(name) = it.next()? else {
                    return None;
                };
                let key = match it.peek() {
                    Some(Step::Index(_)) => match it.next() {
                        Some(Step::Index(k)) => Some(k),
                        _ => None,
                    },
                    _ => None,
                };
                modules.push((name, key));
            }
            Step::Attr(rtype) => {
                let Step::Attr(name) = it.next()? else {
                    return None;
                };
                let key = match it.next() {
                    None => None,
                    Some(Step::Index(k)) => Some(k),
                    Some(Step::Attr(_)) => return None,
                };
                if it.next().is_some() {
                    return None;
                }
                return Some(Address {
                    modules,
                    rtype,
                    name,
                    key,
                });
            }
            Step::Index(_) => return None,
        }
    }
}

/// What a reference leads to.
#[derive(Debug, Clone)]
enum Resolved {
    Constant(Value),
    /// One of this document's resources, and the attribute read (if any).
    Resource {
        index: usize,
        attr: Option<String>,
        text: String,
    },
    /// Something else (another provider's resource, a data source, a local), by its absolute
    /// reference text.
    Other(String),
}

/// Resolution steps left for a document.
#[derive(Debug)]
struct Budget(std::cell::Cell<usize>);

impl Budget {
    fn new(steps: usize) -> Budget {
        Budget(std::cell::Cell::new(steps))
    }

    fn take(&self) -> Result<(), String> {
        let left = self.0.get();
        if left == 0 {
            return Err("the document's references take too many steps to resolve".into());
        }
        self.0.set(left - 1);
        Ok(())
    }
}

/// The references of an expression that no other reference of the list extends (Terraform
/// lists `a.b.c`, `a.b` and `a` for one traversal).
fn maximal<'a>(refs: &[&'a str]) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for r in refs {
        let extended = refs.iter().any(|o| {
            o.len() > r.len()
                && o.starts_with(r)
                && matches!(o.as_bytes().get(r.len()), Some(b'.' | b'['))
        });
        if !extended && !out.contains(r) {
            out.push(r);
        }
    }
    out
}

struct Resolver<'a> {
    configuration: Option<&'a Value>,
    variables: Option<&'a Map<String, Value>>,
    by_address: &'a HashMap<String, usize>,
    by_base: &'a HashMap<String, Vec<usize>>,
    resources: &'a [Res],
}

impl Resolver<'_> {
    fn config_module(&self, names: &[(String, Option<String>)]) -> Option<&Value> {
        let mut m = self.configuration?.get("root_module")?;
        for (name, _) in names {
            m = m.get("module_calls")?.get(name)?.get("module")?;
        }
        Some(m)
    }

    fn module_call(&self, parent: &[(String, Option<String>)], name: &str) -> Option<&Value> {
        let m = if parent.is_empty() {
            self.configuration?.get("root_module")?
        } else {
            self.config_module(parent)?
        };
        m.get("module_calls")?.get(name)
    }

    fn expression(
        &self,
        scope: &[(String, Option<String>)],
        expr: &Value,
        referrer_key: Option<&str>,
        budget: &Budget,
        stack: &mut Vec<String>,
    ) -> Result<Vec<Resolved>, String> {
        budget.take()?;
        if stack.len() > MAX_REFERENCE_HOPS {
            return Err(format!(
                "the references nest deeper than {MAX_REFERENCE_HOPS} steps ({})",
                stack.join(" → ")
            ));
        }
        let Some(obj) = expr.as_object() else {
            return Ok(Vec::new());
        };
        if let Some(c) = obj.get("constant_value") {
            return Ok(vec![Resolved::Constant(c.clone())]);
        }
        let Some(refs) = obj.get("references").and_then(Value::as_array) else {
            return Ok(Vec::new());
        };
        if refs.len() > MAX_REFERENCES {
            return Err(format!(
                "an expression has {} references; at most {MAX_REFERENCES} are read",
                refs.len()
            ));
        }
        let refs: Vec<&str> = refs.iter().filter_map(Value::as_str).collect();
        let mut out = Vec::new();
        for r in maximal(&refs) {
            out.extend(self.reference(scope, r, referrer_key, budget, stack)?);
        }
        Ok(out)
    }

    fn reference(
        &self,
        scope: &[(String, Option<String>)],
        r: &str,
        referrer_key: Option<&str>,
        budget: &Budget,
        stack: &mut Vec<String>,
    ) -> Result<Vec<Resolved>, String> {
        budget.take()?;
        let text = format!("{}{r}", module_prefix(scope));
        if stack.contains(&text) {
            stack.push(text);
            return Err(format!(
                "the references form a cycle: {}",
                stack.join(" → ")
            ));
        }
        let Some(steps) = traversal(r) else {
            return Ok(vec![Resolved::Other(text)]);
        };
        let attr = |i: usize| match steps.get(i) {
            Some(Step::Attr(a)) => Some(a.as_str()),
            _ => None,
        };
        let Some(first) = attr(0) else {
            return Ok(vec![Resolved::Other(text)]);
        };
        stack.push(text.clone());
        let result = match first {
            "var" => match (attr(1), scope.split_last()) {
                (Some(name), None) => Ok(
                    match self
                        .variables
                        .and_then(|v| v.get(name))
                        .and_then(|v| v.get("value"))
                    {
                        Some(v) => vec![Resolved::Constant(v.clone())],
                        None => vec![Resolved::Other(text)],
                    },
                ),
                (Some(name), Some(((call, _), parent))) => {
                    match self
                        .module_call(parent, call)
                        .and_then(|c| c.get("expressions"))
                        .and_then(|e| e.get(name))
                    {
                        Some(expr) => self.expression(parent, expr, referrer_key, budget, stack),
                        None => Ok(vec![Resolved::Other(text)]),
                    }
                }
                (None, _) => Ok(vec![Resolved::Other(text)]),
            },
            "module" => {
                let name = attr(1);
                let (key, out_at) = match steps.get(2) {
                    Some(Step::Index(k)) => (Some(k.clone()), 3),
                    _ => (None, 2),
                };
                match (name, attr(out_at)) {
                    (Some(name), Some(output)) => {
                        let mut child = scope.to_vec();
                        child.push((name.to_owned(), key));
                        match self
                            .config_module(&child)
                            .and_then(|m| m.get("outputs"))
                            .and_then(|o| o.get(output))
                            .and_then(|o| o.get("expression"))
                        {
                            Some(expr) => {
                                self.expression(&child, expr, referrer_key, budget, stack)
                            }
                            None => Ok(vec![Resolved::Other(text)]),
                        }
                    }
                    _ => Ok(vec![Resolved::Other(text)]),
                }
            }
            "data" | "local" | "each" | "count" | "path" | "terraform" | "self" => {
                Ok(vec![Resolved::Other(text)])
            }
            rtype => match attr(1) {
                None => Ok(vec![Resolved::Other(text)]),
                Some(name) => {
                    let (key, attr_at) = match steps.get(2) {
                        Some(Step::Index(k)) => (Some(k.as_str()), 3),
                        _ => (None, 2),
                    };
                    let base = format!("{}{rtype}.{name}", module_prefix(scope));
                    let found = match key {
                        Some(k) => self.by_address.get(&format!("{base}{k}")).copied(),
                        None => self.by_address.get(&base).copied().or_else(|| {
                            let c = self.by_base.get(&base)?;
                            match c.as_slice() {
                                [one] => Some(*one),
                                many => many.iter().copied().find(|&i| {
                                    self.resources.get(i).and_then(|r| r.key.as_deref())
                                        == referrer_key
                                }),
                            }
                        }),
                    };
                    match found {
                        Some(index) => Ok(vec![Resolved::Resource {
                            index,
                            attr: attr(attr_at).map(str::to_owned),
                            text,
                        }]),
                        None if key.is_none()
                            && self.by_base.get(&base).is_some_and(|c| c.len() > 1) =>
                        {
                            Err(format!(
                                "{base} has several instances and the reference doesn't say which"
                            ))
                        }
                        None => Ok(vec![Resolved::Other(text)]),
                    }
                }
            },
        };
        stack.pop();
        result
    }
}

// ---------------------------------------------------------------------------------------------
// Reading the document

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn doc_error(code: &'static str, path: impl Into<String>, msg: impl Into<String>) -> Located {
    Diagnostic::error(code, path, msg).into()
}

impl Terraform {
    /// Reads the output of `terraform show -json` (a state or a plan).
    ///
    /// Fails only when the text is not JSON or not a Terraform state or plan; problems with
    /// single resources are kept for [`Terraform::server`], which reports those of the server
    /// it builds.
    pub fn from_json(text: &str) -> Result<Terraform, TerraformError> {
        let value: Value = serde_json::from_str(text).map_err(|e| {
            TerraformError::new(vec![Located {
                diagnostic: Diagnostic::error("json.syntax", "", format!("not valid JSON: {e}")),
                address: None,
                attribute: None,
                line: Some(e.line()),
            }])
        })?;
        let Value::Object(mut doc) = value else {
            return Err(TerraformError::one(Diagnostic::error(
                "terraform.document",
                "",
                format!(
                    "expected the JSON object of terraform show -json, found {}",
                    kind_of(&value)
                ),
            )));
        };
        let mut document = Vec::new();
        match doc.get("format_version") {
            Some(Value::String(v)) if !matches!(v.split('.').next(), Some("0" | "1")) => {
                return Err(TerraformError::one(
                    Diagnostic::error(
                        "terraform.format_version",
                        "/format_version",
                        format!("format_version {v:?} is not supported; this reader knows versions 0.x and 1.x"),
                    )
                    .with_hint("Terraform 0.12 and later print format_version 0.x or 1.x; a new major version may change the format"),
                ));
            }
            Some(Value::String(_)) => {}
            Some(other) if !other.is_null() => {
                document.push(doc_error(
                    "terraform.format_version",
                    "/format_version",
                    format!("format_version is {}, not a string", kind_of(other)),
                ));
            }
            _ => {}
        }
        let (kind, root_key) = if doc.contains_key("planned_values") {
            (DocumentKind::Plan, "planned_values")
        } else if doc.contains_key("values") {
            (DocumentKind::State, "values")
        } else if doc.contains_key("format_version") || doc.contains_key("terraform_version") {
            // `terraform show -json` of an empty state has no values at all.
            (DocumentKind::State, "values")
        } else {
            let hint = if doc.contains_key("authorizationServer") {
                "this looks like a server bundle ({\"authorizationServer\": …}); read it with ServerConfig::from_json"
            } else {
                "produce it with: terraform show -json plan.out > plan.json (or terraform show -json for the state)"
            };
            return Err(TerraformError::one(
                Diagnostic::error(
                    "terraform.document",
                    "",
                    "not a Terraform state or plan: it has neither values nor planned_values",
                )
                .with_hint(hint),
            ));
        };
        let root = doc.remove(root_key).unwrap_or(Value::Null);
        let configuration = doc.remove("configuration");
        let variables = doc.remove("variables");
        let changes = doc.remove("resource_changes");

        let mut resources = Vec::new();
        read_modules(root, &format!("/{root_key}"), &mut resources, &mut document);
        let (configs, org_url) = read_configuration(configuration.as_ref(), &mut document);
        let changes = read_changes(changes, &mut document);

        for r in &mut resources {
            if let Some((unknown, creating)) = changes.get(&r.address) {
                r.unknown = unknown.clone();
                r.creating = *creating;
            }
            let names: Vec<&str> = r.modules.iter().map(|(n, _)| n.as_str()).collect();
            if let Some(e) = configs.get(&(names.join("."), r.config_address.clone())) {
                r.expressions = e.clone();
            }
        }

        // Lines of the resources and of document-level problems, in one pass.
        let targets: HashSet<String> = resources
            .iter()
            .map(|r| r.pointer.clone())
            .chain(document.iter().map(|d| d.diagnostic.path.clone()))
            .collect();
        let lines = positions(text, &targets);
        for r in &mut resources {
            r.line = lines.get(&r.pointer).map(|p| p.line);
        }
        for d in &mut document {
            if d.line.is_none() {
                d.line = lines.get(&d.diagnostic.path).map(|p| p.line);
            }
        }

        let mut tf = Terraform {
            kind,
            resources,
            document,
            org_url,
            implicit_default: None,
            configuration,
            variables: match variables {
                Some(Value::Object(m)) => Some(m),
                _ => None,
            },
            by_address: HashMap::new(),
            by_base: HashMap::new(),
        };
        tf.link();
        Ok(tf)
    }

    /// State or plan.
    pub fn kind(&self) -> DocumentKind {
        self.kind
    }

    /// The authorization servers in the document, in document order.
    pub fn servers(&self) -> Vec<ServerSummary> {
        self.server_indices()
            .into_iter()
            .filter_map(|i| self.resources.get(i))
            .map(|r| ServerSummary {
                address: r.address.clone(),
                name: self.server_name(r),
                id: r.id_known.then(|| r.id.clone()),
            })
            .collect()
    }

    fn server_indices(&self) -> Vec<usize> {
        (0..self.resources.len())
            .filter(|&i| self.resources.get(i).is_some_and(|r| r.kind.is_server()))
            .collect()
    }

    fn server_name(&self, r: &Res) -> String {
        match r.known("name") {
            Some(Value::String(s)) => s.clone(),
            _ if r.kind == Kind::DefaultServer => "default".into(),
            _ => format!("{}.name", r.address),
        }
    }

    /// Builds the server chosen by `select` — its `name`, or its resource address — or the
    /// only server of the document when `select` is `None`.
    ///
    /// Fails with every error found in that server's resources (and in resources whose server
    /// couldn't be determined, which might be that server's).
    pub fn server(&self, select: Option<&str>) -> Result<TerraformServer, TerraformError> {
        let chosen = self.choose(select).map_err(|e| {
            // Problems with the document's shape explain why a server may be missing.
            let mut all = e.diagnostics;
            all.extend(self.document.iter().cloned());
            TerraformError::new(all)
        })?;
        self.build(chosen)
    }

    fn choose(&self, select: Option<&str>) -> Result<usize, TerraformError> {
        let servers = self.server_indices();
        let list = || {
            servers
                .iter()
                .filter_map(|&i| self.resources.get(i))
                .map(|r| format!("{:?} ({})", self.server_name(r), r.address))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let chosen = match select {
            None => match servers.as_slice() {
                [one] => *one,
                [] => {
                    return Err(TerraformError::one(
                        Diagnostic::error(
                            "terraform.server.none",
                            "",
                            "the document has no okta_auth_server or okta_auth_server_default resource",
                        )
                        .with_hint("scopes, claims and policies need the server they belong to in the same document (or, for the org's default server, its id \"default\")"),
                    ));
                }
                _ => {
                    return Err(TerraformError::one(
                        Diagnostic::error(
                            "terraform.server.several",
                            "",
                            format!("the document has several authorization servers: {}", list()),
                        )
                        .with_hint("choose one by name (--server NAME)"),
                    ));
                }
            },
            Some(s) => {
                let by_name: Vec<usize> = servers
                    .iter()
                    .copied()
                    .filter(|&i| {
                        self.resources
                            .get(i)
                            .is_some_and(|r| self.server_name(r) == s)
                    })
                    .collect();
                let by_address = || {
                    servers
                        .iter()
                        .copied()
                        .find(|&i| self.resources.get(i).is_some_and(|r| r.address == s))
                };
                match (by_name.as_slice(), by_address()) {
                    ([one], _) => *one,
                    ([], Some(i)) => i,
                    ([], None) => {
                        return Err(TerraformError::one(
                            Diagnostic::error(
                                "terraform.server.unknown",
                                "",
                                format!("no authorization server is named {s:?}"),
                            )
                            .with_hint(if servers.is_empty() {
                                "the document has no okta_auth_server or okta_auth_server_default resource".to_owned()
                            } else {
                                format!("the servers are: {}", list())
                            }),
                        ));
                    }
                    (many, _) => {
                        let addresses: Vec<&str> = many
                            .iter()
                            .filter_map(|&i| self.resources.get(i))
                            .map(|r| r.address.as_str())
                            .collect();
                        return Err(TerraformError::one(
                            Diagnostic::error(
                                "terraform.server.ambiguous",
                                "",
                                format!(
                                    "several servers are named {s:?}: {}",
                                    addresses.join(", ")
                                ),
                            )
                            .with_hint("choose one by its resource address instead"),
                        ));
                    }
                }
            }
        };
        Ok(chosen)
    }
}

fn read_modules(root: Value, root_pointer: &str, out: &mut Vec<Res>, diags: &mut Vec<Located>) {
    let root_module = match root {
        Value::Object(mut m) => m.remove("root_module"),
        Value::Null => None,
        other => {
            diags.push(doc_error(
                "terraform.shape",
                root_pointer,
                format!("expected an object, found {}", kind_of(&other)),
            ));
            None
        }
    };
    let Some(root_module) = root_module else {
        return;
    };
    let mut stack = vec![(root_module, pointer(root_pointer, "root_module"), 0usize)];
    while let Some((module, at, depth)) = stack.pop() {
        let Value::Object(mut module) = module else {
            if !module.is_null() {
                diags.push(doc_error(
                    "terraform.shape",
                    at,
                    format!("expected a module object, found {}", kind_of(&module)),
                ));
            }
            continue;
        };
        match module.remove("resources") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for (i, item) in items.into_iter().enumerate() {
                    read_resource(item, pointer(&pointer(&at, "resources"), i), out, diags);
                }
            }
            Some(other) => diags.push(doc_error(
                "terraform.shape",
                pointer(&at, "resources"),
                format!("expected an array of resources, found {}", kind_of(&other)),
            )),
        }
        match module.remove("child_modules") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                if depth >= MAX_MODULE_DEPTH {
                    diags.push(doc_error(
                        "terraform.modules.depth",
                        pointer(&at, "child_modules"),
                        format!("modules nest deeper than {MAX_MODULE_DEPTH} levels"),
                    ));
                    continue;
                }
                // Reversed so that the stack visits them in document order.
                let base = pointer(&at, "child_modules");
                let children: Vec<_> = items.into_iter().enumerate().collect();
                for (i, item) in children.into_iter().rev() {
                    stack.push((item, pointer(&base, i), depth + 1));
                }
            }
            Some(other) => diags.push(doc_error(
                "terraform.shape",
                pointer(&at, "child_modules"),
                format!("expected an array of modules, found {}", kind_of(&other)),
            )),
        }
    }
}

fn read_resource(item: Value, at: String, out: &mut Vec<Res>, diags: &mut Vec<Located>) {
    let Value::Object(mut r) = item else {
        diags.push(doc_error(
            "terraform.shape",
            at,
            format!("expected a resource object, found {}", kind_of(&item)),
        ));
        return;
    };
    let Some(kind) = r.get("type").and_then(Value::as_str).and_then(Kind::of) else {
        return;
    };
    if r.get("mode").and_then(Value::as_str) == Some("data") {
        return;
    }
    let Some(address) = r.get("address").and_then(Value::as_str).map(str::to_owned) else {
        diags.push(doc_error(
            "terraform.resource.address",
            pointer(&at, "address"),
            "the resource has no address",
        ));
        return;
    };
    let Some(parsed) = parse_address(&address) else {
        diags.push(doc_error(
            "terraform.resource.address",
            pointer(&at, "address"),
            format!("{address:?} is not a resource address"),
        ));
        return;
    };
    if Kind::of(&parsed.rtype) != Some(kind) {
        diags.push(doc_error(
            "terraform.resource.address",
            pointer(&at, "address"),
            format!("the address {address:?} doesn't match the resource's type"),
        ));
        return;
    }
    let values = match r.remove("values") {
        Some(Value::Object(m)) => m,
        None | Some(Value::Null) => Map::new(),
        Some(other) => {
            diags.push(Located {
                address: Some(address),
                ..doc_error(
                    "terraform.shape",
                    pointer(&at, "values"),
                    format!("values is {}, not an object", kind_of(&other)),
                )
            });
            return;
        }
    };
    out.push(Res {
        kind,
        config_address: format!("{}.{}", parsed.rtype, parsed.name),
        key: parsed.key,
        modules: parsed.modules,
        address,
        pointer: at,
        line: None,
        values,
        unknown: Map::new(),
        expressions: Map::new(),
        creating: false,
        id: String::new(),
        id_known: false,
        server: Link::None,
        policy: Link::None,
        diags: Vec::new(),
    });
}

type ConfigIndex = HashMap<(String, String), Map<String, Value>>;

/// The configuration's resource expressions by (module path, address), and the org URL from
/// the Okta provider configuration.
fn read_configuration(
    configuration: Option<&Value>,
    diags: &mut Vec<Located>,
) -> (ConfigIndex, Option<String>) {
    let mut index = HashMap::new();
    let Some(configuration) = configuration else {
        return (index, None);
    };
    let org_url = configuration
        .get("provider_config")
        .and_then(Value::as_object)
        .and_then(|pc| {
            pc.values().find(|p| {
                p.get("name").and_then(Value::as_str) == Some("okta")
                    && p.get("module_address").is_none()
            })
        })
        .and_then(|p| p.get("expressions"))
        .and_then(|e| {
            let org = e.get("org_name")?.get("constant_value")?.as_str()?;
            let base = match e.get("base_url").and_then(|b| b.get("constant_value")) {
                Some(Value::String(b)) => b.as_str(),
                _ => "okta.com",
            };
            let ok = |s: &str| {
                !s.is_empty()
                    && s.bytes()
                        .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.')
            };
            (ok(org) && ok(base)).then(|| format!("https://{org}.{base}"))
        });
    let mut stack = vec![(
        configuration.get("root_module"),
        Vec::<String>::new(),
        "/configuration/root_module".to_owned(),
    )];
    while let Some((module, path, at)) = stack.pop() {
        let Some(module) = module else { continue };
        if let Some(rs) = module.get("resources").and_then(Value::as_array) {
            for r in rs {
                let (Some(addr), Some(Value::Object(e))) = (
                    r.get("address").and_then(Value::as_str),
                    r.get("expressions"),
                ) else {
                    continue;
                };
                if r.get("mode").and_then(Value::as_str) == Some("data") {
                    continue;
                }
                index.insert((path.join("."), addr.to_owned()), e.clone());
            }
        }
        if let Some(calls) = module.get("module_calls").and_then(Value::as_object) {
            if path.len() >= MAX_MODULE_DEPTH {
                diags.push(doc_error(
                    "terraform.modules.depth",
                    pointer(&at, "module_calls"),
                    format!("module calls nest deeper than {MAX_MODULE_DEPTH} levels"),
                ));
                continue;
            }
            for (name, call) in calls {
                let mut p = path.clone();
                p.push(name.clone());
                let at = pointer(&pointer(&pointer(&at, "module_calls"), name), "module");
                stack.push((call.get("module"), p, at));
            }
        }
    }
    (index, org_url)
}

/// `after_unknown` and whether the resource is created, by address.
fn read_changes(
    changes: Option<Value>,
    diags: &mut Vec<Located>,
) -> HashMap<String, (Map<String, Value>, bool)> {
    let mut out = HashMap::new();
    match changes {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for item in items {
                let Value::Object(mut c) = item else { continue };
                if c.contains_key("deposed") {
                    continue;
                }
                let Some(Value::String(address)) = c.remove("address") else {
                    continue;
                };
                let Some(Value::Object(mut change)) = c.remove("change") else {
                    continue;
                };
                let creating = change
                    .get("actions")
                    .and_then(Value::as_array)
                    .is_some_and(|a| a.iter().any(|x| x == "create"));
                let unknown = match change.remove("after_unknown") {
                    Some(Value::Object(m)) => m,
                    _ => Map::new(),
                };
                out.insert(address, (unknown, creating));
            }
        }
        Some(other) => diags.push(doc_error(
            "terraform.shape",
            "/resource_changes",
            format!("expected an array, found {}", kind_of(&other)),
        )),
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Linking

impl Terraform {
    fn link(&mut self) {
        let plan = self.kind == DocumentKind::Plan;
        // Ids.
        for r in &mut self.resources {
            match r.known("id") {
                Some(Value::String(s)) if !s.is_empty() => {
                    r.id = s.clone();
                    r.id_known = true;
                }
                Some(other) => {
                    let msg = format!("id is {}, not a string", kind_of(other));
                    let e = r.error("terraform.attribute.type", Some("id"), msg);
                    r.diags.push(e);
                    r.id = format!("{}.id", r.address);
                }
                None if r.kind == Kind::DefaultServer => r.id = "default".into(),
                None => {
                    r.id = format!("{}.id", r.address);
                    if !plan && r.kind != Kind::ClaimDefault && r.kind != Kind::PolicyPriority {
                        let e = r.warning(
                            "terraform.id.missing",
                            Some("id"),
                            format!("the state has no id; {:?} stands for it", r.id),
                        );
                        r.diags.push(e);
                    }
                }
            }
        }
        let (by_address, by_base) = indices(&self.resources);
        let mut servers_by_id: HashMap<String, Vec<usize>> = HashMap::new();
        let mut policies_by_id: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, r) in self.resources.iter().enumerate() {
            if r.kind.is_server() {
                servers_by_id.entry(r.id.clone()).or_default().push(i);
            }
            if r.kind == Kind::Policy {
                policies_by_id.entry(r.id.clone()).or_default().push(i);
            }
        }
        let budget_size =
            BUDGET_BASE.saturating_add(self.resources.len().saturating_mul(BUDGET_PER_RESOURCE));
        let budget = Budget::new(budget_size);
        let mut links = Vec::with_capacity(self.resources.len());
        {
            let resolver = Resolver {
                configuration: self.configuration.as_ref(),
                variables: self.variables.as_ref(),
                by_address: &by_address,
                by_base: &by_base,
                resources: &self.resources,
            };
            for r in &self.resources {
                let mut diags = Vec::new();
                let server = if r.kind.is_server() {
                    Link::None
                } else {
                    link_one(
                        r,
                        "auth_server_id",
                        &servers_by_id,
                        |k| k.is_server(),
                        &resolver,
                        &budget,
                        &mut diags,
                    )
                };
                let policy = if r.kind == Kind::Rule {
                    link_one(
                        r,
                        "policy_id",
                        &policies_by_id,
                        |k| k == Kind::Policy,
                        &resolver,
                        &budget,
                        &mut diags,
                    )
                } else {
                    Link::None
                };
                links.push((server, policy, diags));
            }
        }
        for (r, (server, policy, diags)) in self.resources.iter_mut().zip(links) {
            r.server = server;
            r.policy = policy;
            r.diags.extend(diags);
        }
        // Resources of the org's default server, which the document doesn't manage.
        let names_default = self
            .resources
            .iter()
            .any(|r| r.server == Link::Foreign("default".into()));
        if names_default {
            let index = self.resources.len();
            self.resources.push(Res {
                kind: Kind::DefaultServer,
                address: "okta_auth_server_default (not managed by this document)".into(),
                modules: Vec::new(),
                config_address: "okta_auth_server_default".into(),
                key: None,
                pointer: String::new(),
                line: None,
                values: Map::new(),
                unknown: Map::new(),
                expressions: Map::new(),
                creating: false,
                id: "default".into(),
                id_known: true,
                server: Link::None,
                policy: Link::None,
                diags: Vec::new(),
            });
            for r in &mut self.resources {
                if r.server == Link::Foreign("default".into()) {
                    r.server = Link::To(index);
                }
            }
            self.implicit_default = Some(index);
        }
        let (by_address, by_base) = indices(&self.resources);
        self.by_address = by_address;
        self.by_base = by_base;
        // Rules and their policy's server.
        let policy_servers: Vec<Link> = self.resources.iter().map(|r| r.server.clone()).collect();
        for r in &mut self.resources {
            if r.kind != Kind::Rule {
                continue;
            }
            if let Link::To(p) = r.policy
                && let Some(ps) = policy_servers.get(p)
                && *ps != r.server
                && matches!(r.server, Link::To(_))
            {
                let e = r.error(
                    "terraform.link.mismatch",
                    Some("policy_id"),
                    "the policy named by policy_id belongs to another authorization server than auth_server_id names".into(),
                );
                r.diags.push(e);
            }
        }
    }
}

/// Links `attr` (an id attribute) to the resource it names.
fn link_one(
    r: &Res,
    attr: &str,
    by_id: &HashMap<String, Vec<usize>>,
    wanted: impl Fn(Kind) -> bool,
    resolver: &Resolver<'_>,
    budget: &Budget,
    diags: &mut Vec<Located>,
) -> Link {
    let (what, example) = if attr == "policy_id" {
        ("okta_auth_server_policy", "okta_auth_server_policy")
    } else {
        (
            "okta_auth_server or okta_auth_server_default",
            "okta_auth_server",
        )
    };
    match r.known(attr) {
        Some(Value::String(id)) => match by_id.get(id).map(Vec::as_slice) {
            Some([one]) => Link::To(*one),
            Some(many) if many.len() > 1 => {
                diags.push(r.error(
                    "terraform.link.ambiguous",
                    Some(attr),
                    format!("{id:?} is the id of several resources"),
                ));
                Link::Unresolved
            }
            _ => Link::Foreign(id.clone()),
        },
        Some(other) => {
            diags.push(r.error(
                "terraform.attribute.type",
                Some(attr),
                format!("expected a string, found {}", kind_of(other)),
            ));
            Link::Unresolved
        }
        None if r.is_unknown(attr) => {
            let mut stack = Vec::new();
            let resolved = match r.expressions.get(attr) {
                Some(expr) => {
                    resolver.expression(&r.modules, expr, r.key.as_deref(), budget, &mut stack)
                }
                None => Ok(Vec::new()),
            };
            match resolved {
                Err(msg) => {
                    diags.push(r.error("terraform.reference", Some(attr), msg));
                    Link::Unresolved
                }
                Ok(targets) => {
                    let mut found: Vec<usize> = Vec::new();
                    for t in &targets {
                        if let Resolved::Resource { index, attr: a, .. } = t
                            && resolver
                                .resources
                                .get(*index)
                                .is_some_and(|x| wanted(x.kind))
                            && a.as_deref().is_none_or(|a| a == "id")
                            && !found.contains(index)
                        {
                            found.push(*index);
                        }
                    }
                    match found.as_slice() {
                        [one] => Link::To(*one),
                        [] => {
                            let seen: Vec<String> = targets
                                .iter()
                                .map(|t| match t {
                                    Resolved::Constant(v) => v.to_string(),
                                    Resolved::Resource { text, .. } | Resolved::Other(text) => {
                                        text.clone()
                                    }
                                })
                                .collect();
                            diags.push(
                                r.error(
                                    "terraform.link.unresolved",
                                    Some(attr),
                                    if seen.is_empty() {
                                        format!("{attr} is known only after apply and the plan's configuration gives no reference for it")
                                    } else {
                                        format!(
                                            "{attr} is known only after apply and its references ({}) lead to no {what} of this document",
                                            seen.join(", ")
                                        )
                                    },
                                )
                                .with_hint(format!("set {attr} to the id of an {what} of this configuration (e.g. {attr} = {example}.example.id), directly or through module variables and outputs")),
                            );
                            Link::Unresolved
                        }
                        many => {
                            let names: Vec<&str> = many
                                .iter()
                                .filter_map(|&i| resolver.resources.get(i))
                                .map(|x| x.address.as_str())
                                .collect();
                            diags.push(r.error(
                                "terraform.link.ambiguous",
                                Some(attr),
                                format!("{attr} refers to several resources: {}", names.join(", ")),
                            ));
                            Link::Unresolved
                        }
                    }
                }
            }
        }
        None => {
            diags.push(r.error(
                "terraform.attribute.missing",
                Some(attr),
                format!("{attr} is not set; it names the {what} this resource belongs to"),
            ));
            Link::Unresolved
        }
    }
}

trait WithHint {
    fn with_hint(self, hint: String) -> Self;
}

impl WithHint for Located {
    fn with_hint(mut self, hint: String) -> Self {
        self.diagnostic.hint = Some(hint);
        self
    }
}

// ---------------------------------------------------------------------------------------------
// Building a server

/// Where each object of the built [`ServerConfig`] came from.
#[derive(Debug, Clone, Default)]
struct SourceMap {
    /// Config pointer of an object (`/scopes/2`) → resource.
    objects: HashMap<String, usize>,
    /// Config pointer of a member set by another resource (a priority from
    /// `okta_auth_server_policy_priority`) → that resource and attribute.
    overrides: HashMap<String, (usize, &'static str)>,
    resources: Vec<ResInfo>,
}

#[derive(Debug, Clone)]
struct ResInfo {
    kind: Kind,
    address: String,
    pointer: String,
    line: Option<usize>,
    attributes: HashSet<String>,
}

/// Reads one resource's attributes into a Management API object.
struct Obj<'a> {
    res: &'a Res,
    plan: bool,
    diags: &'a mut Vec<Located>,
    ctx: &'a Ctx<'a>,
}

/// What building objects needs besides the resource: references and their budget.
struct Ctx<'a> {
    resolver: Resolver<'a>,
    budget: Budget,
}

fn indices(resources: &[Res]) -> (HashMap<String, usize>, HashMap<String, Vec<usize>>) {
    let mut by_address = HashMap::new();
    let mut by_base: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, r) in resources.iter().enumerate() {
        by_address.insert(r.address.clone(), i);
        if r.key.is_some() {
            by_base
                .entry(format!("{}{}", r.prefix(), r.config_address))
                .or_default()
                .push(i);
        }
    }
    (by_address, by_base)
}

impl Obj<'_> {
    fn type_error(&mut self, attr: &str, expected: &str, found: &Value) {
        let e = self.res.error(
            "terraform.attribute.type",
            Some(attr),
            format!("expected {expected}, found {}", kind_of(found)),
        );
        self.diags.push(e);
    }

    fn unknown_error(&mut self, attr: &str) {
        let e = self
            .res
            .error(
                "terraform.unknown",
                Some(attr),
                format!("{attr} is known only after apply; tokenmint can't decide without it"),
            )
            .with_hint("give it a value known at plan time, or check the state after apply".into());
        self.diags.push(e);
    }

    fn string(&mut self, attr: &str) -> Option<String> {
        match self.res.known(attr) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                let other = other.clone();
                self.type_error(attr, "a string", &other);
                None
            }
            None => None,
        }
    }

    /// A string that may be unknown in a plan: then the placeholder, with a warning.
    fn string_or_placeholder(&mut self, attr: &str) -> Option<String> {
        if self.res.is_unknown(attr) {
            let p = self.placeholders(attr).into_iter().next()?;
            let w = self.res.warning(
                "terraform.unknown.placeholder",
                Some(attr),
                format!("{attr} is known only after apply; {p:?} stands for it here"),
            );
            self.diags.push(w);
            return Some(p);
        }
        self.string(attr)
    }

    fn bool(&mut self, attr: &str, default: bool) -> bool {
        match self.res.known(attr) {
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                let other = other.clone();
                self.type_error(attr, "a boolean", &other);
                default
            }
            None if self.res.is_unknown(attr) => {
                self.unknown_error(attr);
                default
            }
            None => default,
        }
    }

    fn int(&mut self, attr: &str) -> Option<i64> {
        match self.res.known(attr) {
            Some(Value::Number(n)) => match n.as_i64() {
                Some(i) => Some(i),
                None => {
                    let e = self.res.error(
                        "terraform.attribute.type",
                        Some(attr),
                        format!("expected a whole number, found {n}"),
                    );
                    self.diags.push(e);
                    None
                }
            },
            Some(other) => {
                let other = other.clone();
                self.type_error(attr, "a number", &other);
                None
            }
            None if self.res.is_unknown(attr) => {
                self.unknown_error(attr);
                None
            }
            None => None,
        }
    }

    /// A set or list of strings; unknown (or partly unknown) ones get placeholders from their
    /// references, with a warning.
    fn strings(&mut self, attr: &str) -> Vec<String> {
        let mut out = Vec::new();
        match self.res.known(attr) {
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::String(s) => out.push(s.clone()),
                        Value::Null => {}
                        other => {
                            let e = self.res.error(
                                "terraform.attribute.type",
                                Some(attr),
                                format!("element {i} is {}, not a string", kind_of(other)),
                            );
                            self.diags.push(e);
                        }
                    }
                }
            }
            Some(other) => {
                let other = other.clone();
                self.type_error(attr, "a list of strings", &other);
            }
            None => {}
        }
        if self.res.is_unknown(attr) {
            let ps = self.placeholders(attr);
            let added: Vec<String> = ps.into_iter().filter(|p| !out.contains(p)).collect();
            if !added.is_empty() {
                let w = self.res.warning(
                    "terraform.unknown.placeholder",
                    Some(attr),
                    format!(
                        "{attr} is known only after apply; {} stand{} for {} here",
                        added
                            .iter()
                            .map(|p| format!("{p:?}"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        if added.len() == 1 { "s" } else { "" },
                        if added.len() == 1 { "it" } else { "them" }
                    ),
                );
                self.diags.push(w);
                out.extend(added);
            }
        }
        out
    }

    /// Placeholder values of an unknown attribute: what its references resolve to — a known
    /// value of another resource here, else the reference itself — or `<address>.<attr>`.
    fn placeholders(&mut self, attr: &str) -> Vec<String> {
        let fallback = vec![format!("{}.{attr}", self.res.address)];
        let Some(expr) = self.res.expressions.get(attr) else {
            return fallback;
        };
        let resolver = &self.ctx.resolver;
        let mut stack = Vec::new();
        match resolver.expression(
            &self.res.modules,
            expr,
            self.res.key.as_deref(),
            &self.ctx.budget,
            &mut stack,
        ) {
            Ok(targets) if !targets.is_empty() => {
                let mut out = Vec::new();
                for t in targets {
                    match t {
                        Resolved::Constant(Value::String(s)) => out.push(s),
                        Resolved::Constant(Value::Array(a)) => {
                            out.extend(a.into_iter().filter_map(|v| match v {
                                Value::String(s) => Some(s),
                                _ => None,
                            }));
                        }
                        Resolved::Constant(_) => {}
                        Resolved::Resource { index, attr, text } => {
                            let target = resolver.resources.get(index);
                            let known = match (target, attr.as_deref()) {
                                (Some(t), Some("id"))
                                    if t.id_known || t.kind == Kind::DefaultServer =>
                                {
                                    Some(t.id.clone())
                                }
                                (Some(t), Some("id")) => Some(t.id.clone()),
                                (Some(t), Some(a)) => match t.known(a) {
                                    Some(Value::String(s)) => Some(s.clone()),
                                    _ => None,
                                },
                                _ => None,
                            };
                            out.push(known.unwrap_or(text));
                        }
                        Resolved::Other(text) => out.push(text),
                    }
                }
                out.dedup();
                out
            }
            Ok(_) => fallback,
            Err(msg) => {
                let e = self.res.error("terraform.reference", Some(attr), msg);
                self.diags.push(e);
                fallback
            }
        }
    }

    fn put(&self, obj: &mut Map<String, Value>, member: &str, v: Option<Value>) {
        if let Some(v) = v {
            obj.insert(member.into(), v);
        }
    }
}

/// Percent-encodes a URL path segment.
fn path_segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Terraform {
    fn build(&self, chosen: usize) -> Result<TerraformServer, TerraformError> {
        let Some(server) = self.resources.get(chosen) else {
            return Err(TerraformError::one(Diagnostic::error(
                "terraform.server.none",
                "",
                "no such server",
            )));
        };
        let mut diags: Vec<Located> = self.document.clone();
        let mine = |r: &Res| r.server == Link::To(chosen);
        // Resources that might belong to this server but couldn't be linked.
        for r in &self.resources {
            if r.server == Link::Unresolved || (mine(r) && r.policy == Link::Unresolved) {
                diags.extend(r.diags.iter().cloned());
            }
        }
        diags.extend(server.diags.iter().cloned());
        if Some(chosen) == self.implicit_default {
            diags.push(Located {
                address: Some(server.address.clone()),
                ..Diagnostic::warning(
                    "terraform.server.implicit_default",
                    "",
                    "resources name the org's default server (auth_server_id \"default\") but the document has no okta_auth_server_default: it is assumed with Okta's defaults (name default, audience api://default, status ACTIVE)",
                )
                .into()
            });
        }
        let ignored: Vec<&str> = self
            .resources
            .iter()
            .filter(|r| matches!(r.server, Link::Foreign(_)))
            .map(|r| r.address.as_str())
            .collect();
        if !ignored.is_empty() {
            diags.push(
                Diagnostic::warning(
                    "terraform.server.unmanaged",
                    "",
                    format!(
                        "{} resource{} belong{} to authorization servers this document doesn't manage and {} ignored: {}",
                        ignored.len(),
                        if ignored.len() == 1 { "" } else { "s" },
                        if ignored.len() == 1 { "s" } else { "" },
                        if ignored.len() == 1 { "is" } else { "are" },
                        ignored.join(", ")
                    ),
                )
                .into(),
            );
        }

        let ctx = Ctx {
            resolver: self.resolver(),
            budget: Budget::new(
                BUDGET_BASE
                    .saturating_add(self.resources.len().saturating_mul(BUDGET_PER_RESOURCE)),
            ),
        };
        let ctx = &ctx;
        let mut map = SourceMap {
            resources: self
                .resources
                .iter()
                .map(|r| ResInfo {
                    kind: r.kind,
                    address: r.address.clone(),
                    pointer: r.pointer.clone(),
                    line: r.line,
                    attributes: r.values.keys().cloned().collect(),
                })
                .collect(),
            ..SourceMap::default()
        };

        // The server object.
        let server_obj = self.server_object(server, &mut diags, ctx);
        map.objects.insert("/authorizationServer".into(), chosen);

        // Scopes and claims, in document order.
        let mut scopes = Vec::new();
        let mut claims = Vec::new();
        for (i, r) in self.resources.iter().enumerate() {
            if !mine(r) {
                continue;
            }
            diags.extend(r.diags.iter().cloned());
            match r.kind {
                Kind::Scope => {
                    map.objects.insert(pointer("/scopes", scopes.len()), i);
                    scopes.push(self.scope_object(r, &mut diags, ctx));
                }
                Kind::Claim => {
                    if let Some(c) = self.claim_object(r, &mut diags, ctx) {
                        map.objects.insert(pointer("/claims", claims.len()), i);
                        claims.push(c);
                    }
                }
                Kind::ClaimDefault => {
                    if let Some(c) = self.claim_default_object(r, &mut diags, ctx) {
                        map.objects.insert(pointer("/claims", claims.len()), i);
                        claims.push(c);
                    }
                }
                _ => {}
            }
        }

        // Policies, their priorities, and their rules.
        let policies: Vec<usize> = (0..self.resources.len())
            .filter(|&i| {
                self.resources
                    .get(i)
                    .is_some_and(|r| r.kind == Kind::Policy && mine(r))
            })
            .collect();
        let mut priorities: HashMap<usize, Option<i64>> = HashMap::new();
        let mut policy_objs = Vec::new();
        for &p in &policies {
            let Some(r) = self.resources.get(p) else {
                continue;
            };
            let (obj, prio) = self.policy_object(r, &mut diags, ctx);
            priorities.insert(p, prio);
            policy_objs.push((p, obj));
        }
        let overridden =
            self.apply_policy_priority(chosen, &policies, &mut priorities, &mut diags, ctx);
        self.renumbering(
            &policies,
            &priorities,
            &overridden,
            ("policy", "policies"),
            &mut diags,
        );

        // Rules by policy, in document order.
        let mut rules_of: HashMap<usize, Vec<usize>> = HashMap::new();
        for (i, r) in self.resources.iter().enumerate() {
            if let (Kind::Rule, Link::To(p)) = (r.kind, &r.policy) {
                rules_of.entry(*p).or_default().push(i);
            }
        }
        let mut policies_json = Vec::new();
        for (pi, (p, mut obj)) in policy_objs.into_iter().enumerate() {
            let ppath = pointer("/policies", pi);
            map.objects.insert(ppath.clone(), p);
            if let Some(&(by, attr)) = overridden.get(&p) {
                map.overrides
                    .insert(pointer(&ppath, "priority"), (by, attr));
            }
            if let Some(Some(n)) = priorities.get(&p) {
                obj.insert("priority".into(), json!(n));
            }
            let rules = rules_of.remove(&p).unwrap_or_default();
            let mut rule_prios = HashMap::new();
            let mut rules_json = Vec::new();
            for &rid in &rules {
                let Some(r) = self.resources.get(rid) else {
                    continue;
                };
                if !mine(r) {
                    // Claims another server: its link error says so.
                    diags.extend(r.diags.iter().cloned());
                    continue;
                }
                map.objects
                    .insert(pointer(&pointer(&ppath, "rules"), rules_json.len()), rid);
                let (robj, prio) = self.rule_object(r, &mut diags, ctx);
                rule_prios.insert(rid, prio);
                rules_json.push(Value::Object(robj));
            }
            self.renumbering(
                &rules,
                &rule_prios,
                &HashMap::new(),
                ("rule", "rules"),
                &mut diags,
            );
            obj.insert("rules".into(), Value::Array(rules_json));
            policies_json.push(Value::Object(obj));
        }
        // Rules of this server whose policy isn't in the document.
        for r in &self.resources {
            if r.kind == Kind::Rule
                && mine(r)
                && let Link::Foreign(id) = &r.policy
            {
                diags.push(
                    r.error(
                        "terraform.link.policy",
                        Some("policy_id"),
                        format!("the policy {id:?} is not in this document, so this rule's policy conditions are unknown"),
                    )
                    .with_hint("manage the policy (okta_auth_server_policy) in the same configuration, or import it".into()),
                );
            }
        }
        // Priority resources of this server are read above; their own problems count too.
        for r in &self.resources {
            if r.kind == Kind::PolicyPriority && mine(r) {
                diags.extend(r.diags.iter().cloned());
            }
        }

        let bundle = json!({
            "authorizationServer": Value::Object(server_obj),
            "scopes": scopes.into_iter().map(Value::Object).collect::<Vec<_>>(),
            "claims": claims.into_iter().map(Value::Object).collect::<Vec<_>>(),
            "policies": policies_json,
        });
        let mut ts = TerraformServer {
            config: ServerConfig {
                authorization_server: Default::default(),
                scopes: Vec::new(),
                claims: Vec::new(),
                policies: Vec::new(),
            },
            address: server.address.clone(),
            kind: self.kind,
            warnings: Vec::new(),
            map,
        };
        match ServerConfig::from_value(bundle) {
            Ok(cfg) => ts.config = cfg,
            Err(e) => diags.extend(e.diagnostics.iter().map(|d| ts.locate(d))),
        }
        dedup(&mut diags);
        if diags.iter().any(Located::is_error) {
            return Err(TerraformError::new(diags));
        }
        ts.warnings = diags;
        Ok(ts)
    }

    fn resolver(&self) -> Resolver<'_> {
        Resolver {
            configuration: self.configuration.as_ref(),
            variables: self.variables.as_ref(),
            by_address: &self.by_address,
            by_base: &self.by_base,
            resources: &self.resources,
        }
    }

    fn obj<'a>(&'a self, r: &'a Res, diags: &'a mut Vec<Located>, ctx: &'a Ctx<'a>) -> Obj<'a> {
        Obj {
            res: r,
            plan: self.kind == DocumentKind::Plan,
            diags,
            ctx,
        }
    }

    fn server_object<'a>(
        &'a self,
        r: &'a Res,
        diags: &'a mut Vec<Located>,
        ctx: &'a Ctx<'a>,
    ) -> Map<String, Value> {
        let org = self.org_url.clone();
        let mut o = self.obj(r, diags, ctx);
        let mut obj = Map::new();
        obj.insert("id".into(), json!(r.id));
        let name = match o.string_or_placeholder("name") {
            Some(n) => n,
            None if r.kind == Kind::DefaultServer => "default".into(),
            None => String::new(),
        };
        obj.insert("name".into(), json!(name));
        let d = o.string("description");
        o.put(&mut obj, "description", d.map(Value::from));
        let mut audiences = o.strings("audiences");
        if audiences.is_empty() && r.kind == Kind::DefaultServer && r.known("audiences").is_none() {
            audiences.push("api://default".into());
        }
        obj.insert("audiences".into(), json!(audiences));
        let issuer = match o.string("issuer") {
            Some(i) => i,
            None => {
                let base = org.clone().unwrap_or_else(|| PLACEHOLDER_ORG.to_owned());
                let issuer = format!("{base}/oauth2/{}", path_segment(&r.id));
                let why = if o.plan {
                    "the issuer is known only after apply"
                } else {
                    "the state has no issuer"
                };
                let source = if org.is_some() {
                    "the Okta provider's org_name and base_url"
                } else {
                    "a placeholder org (the provider's org_name is not a constant in this document)"
                };
                let w = r.warning(
                    "terraform.unknown.issuer",
                    Some("issuer"),
                    format!("{why}; tokens use {issuer:?}, made from {source}"),
                );
                o.diags.push(w);
                issuer
            }
        };
        obj.insert("issuer".into(), json!(issuer));
        let mode = o.string("issuer_mode");
        let mode = match (mode, r.kind) {
            (Some(m), _) => Some(m),
            (None, Kind::Server) => Some("ORG_URL".to_owned()),
            (None, _) => None,
        };
        o.put(&mut obj, "issuerMode", mode.map(Value::from));
        let status = o.string("status").unwrap_or_else(|| "ACTIVE".into());
        obj.insert("status".into(), json!(status));
        if r.kind == Kind::DefaultServer {
            obj.insert("default".into(), json!(true));
        }
        let mut signing = Map::new();
        let rotation = o.string("credentials_rotation_mode");
        let rotation = match (rotation, r.kind) {
            (Some(m), _) => Some(m),
            (None, Kind::Server) => Some("AUTO".to_owned()),
            (None, _) => None,
        };
        o.put(&mut signing, "rotationMode", rotation.map(Value::from));
        for (attr, member) in [
            ("kid", "kid"),
            ("credentials_last_rotated", "lastRotated"),
            ("credentials_next_rotation", "nextRotation"),
        ] {
            let v = o.string(attr).filter(|s| !s.is_empty());
            o.put(&mut signing, member, v.map(Value::from));
        }
        if !signing.is_empty() {
            obj.insert("credentials".into(), json!({ "signing": signing }));
        }
        obj
    }

    fn scope_object<'a>(
        &'a self,
        r: &'a Res,
        diags: &'a mut Vec<Located>,
        ctx: &'a Ctx<'a>,
    ) -> Map<String, Value> {
        let mut o = self.obj(r, diags, ctx);
        let mut obj = Map::new();
        obj.insert("id".into(), json!(r.id));
        let name = o.string_or_placeholder("name").unwrap_or_default();
        obj.insert("name".into(), json!(name));
        let d = o.string("description");
        o.put(&mut obj, "description", d.map(Value::from));
        let d = o.string("display_name");
        o.put(&mut obj, "displayName", d.map(Value::from));
        let consent = o.string("consent").unwrap_or_else(|| "IMPLICIT".into());
        obj.insert("consent".into(), json!(consent));
        let default = o.bool("default", false);
        obj.insert("default".into(), json!(default));
        let publish = o
            .string("metadata_publish")
            .unwrap_or_else(|| "ALL_CLIENTS".into());
        obj.insert("metadataPublish".into(), json!(publish));
        let optional = o.bool("optional", false);
        obj.insert("optional".into(), json!(optional));
        let system = match r.known("system") {
            Some(Value::Bool(b)) => *b,
            _ => false,
        };
        obj.insert("system".into(), json!(system));
        obj
    }

    fn claim_object<'a>(
        &'a self,
        r: &'a Res,
        diags: &'a mut Vec<Located>,
        ctx: &'a Ctx<'a>,
    ) -> Option<Map<String, Value>> {
        let mut o = self.obj(r, diags, ctx);
        let mut obj = Map::new();
        obj.insert("id".into(), json!(r.id));
        let name = o.string_or_placeholder("name").unwrap_or_default();
        obj.insert("name".into(), json!(name));
        let status = o.string("status").unwrap_or_else(|| "ACTIVE".into());
        obj.insert("status".into(), json!(status));
        let ct = o.string("claim_type");
        o.put(&mut obj, "claimType", ct.map(Value::from));
        let vt = o
            .string("value_type")
            .unwrap_or_else(|| "EXPRESSION".into());
        obj.insert("valueType".into(), json!(vt));
        if r.is_unknown("value") {
            let w = r.warning(
                "terraform.unknown.value",
                Some("value"),
                format!("the claim {name:?} is left out of every token: its value is known only after apply"),
            );
            o.diags.push(w);
            return None;
        }
        let value = o.string("value").unwrap_or_default();
        obj.insert("value".into(), json!(value));
        let gft = o.string("group_filter_type").filter(|s| !s.is_empty());
        o.put(&mut obj, "group_filter_type", gft.map(Value::from));
        let always = o.bool("always_include_in_token", true);
        obj.insert("alwaysIncludeInToken".into(), json!(always));
        let scopes = o.strings("scopes");
        obj.insert("conditions".into(), json!({ "scopes": scopes }));
        Some(obj)
    }

    fn claim_default_object<'a>(
        &'a self,
        r: &'a Res,
        diags: &'a mut Vec<Located>,
        ctx: &'a Ctx<'a>,
    ) -> Option<Map<String, Value>> {
        let mut o = self.obj(r, diags, ctx);
        let name = o.string("name")?;
        if !DEFAULT_CLAIM_NAMES.contains(&name.as_str()) {
            let e = r
                .error(
                    "terraform.claim_default.name",
                    Some("name"),
                    format!("{name:?} is not a default claim the provider can edit"),
                )
                .with_hint(format!("use one of {}", DEFAULT_CLAIM_NAMES.join(", ")));
            o.diags.push(e);
            return None;
        }
        let always = match r.known("always_include_in_token") {
            Some(Value::Bool(b)) => Some(*b),
            Some(other) => {
                let other = other.clone();
                o.type_error("always_include_in_token", "a boolean", &other);
                None
            }
            None => None,
        };
        if name != "sub" {
            // A state holds the value Okta reports; only a configured value is the user's.
            if r.expressions.contains_key("value")
                && r.known("value")
                    .is_some_and(|v| v.as_str().is_some_and(|s| !s.is_empty()))
            {
                let w = r.warning(
                    "terraform.claim_default.value_ignored",
                    Some("value"),
                    format!("only the sub claim's value can be edited; Okta keeps the {name:?} claim's own value"),
                );
                o.diags.push(w);
            }
            let thin = THIN_ID_CLAIMS.contains(&name.as_str());
            if let Some(a) = always
                && a != thin
            {
                let w = r.warning(
                    "terraform.claim_default.not_modelled",
                    Some("always_include_in_token"),
                    format!(
                        "tokenmint derives the standard claim {name:?} from the user profile and {} ID tokens issued with an access token; always_include_in_token = {a} is not modelled",
                        if thin { "includes it in" } else { "leaves it out of" }
                    ),
                );
                o.diags.push(w);
            }
            return None;
        }
        if r.is_unknown("value") {
            o.unknown_error("value");
            return None;
        }
        let value = o.string("value").unwrap_or_default();
        if value.trim().is_empty() {
            let e = r.error(
                "terraform.claim_default.sub_value",
                Some("value"),
                "the provider requires a value for the sub claim ('value' is required parameter for 'sub' claim) and terraform apply fails without one".into(),
            )
            .with_hint("Okta's default is value = \"(appuser != null) ? appuser.userName : app.clientId\"".into());
            o.diags.push(e);
            return None;
        }
        if always == Some(false) {
            let e = r.error(
                "terraform.claim_default.sub_excluded",
                Some("always_include_in_token"),
                "the sub claim can't be excluded from tokens; terraform apply fails".into(),
            );
            o.diags.push(e);
        }
        let mut obj = Map::new();
        obj.insert("id".into(), json!(r.id));
        obj.insert("name".into(), json!("sub"));
        let status = o.string("status").unwrap_or_else(|| "ACTIVE".into());
        obj.insert("status".into(), json!(status));
        let ct = o.string("claim_type").unwrap_or_else(|| "RESOURCE".into());
        obj.insert("claimType".into(), json!(ct));
        let vt = o
            .string("value_type")
            .unwrap_or_else(|| "EXPRESSION".into());
        obj.insert("valueType".into(), json!(vt));
        obj.insert("value".into(), json!(value));
        obj.insert("alwaysIncludeInToken".into(), json!(true));
        let scopes = match r.known("scopes") {
            Some(Value::Array(_)) => o.strings("scopes"),
            _ => Vec::new(),
        };
        obj.insert("conditions".into(), json!({ "scopes": scopes }));
        obj.insert("system".into(), json!(true));
        Some(obj)
    }

    fn policy_object<'a>(
        &'a self,
        r: &'a Res,
        diags: &'a mut Vec<Located>,
        ctx: &'a Ctx<'a>,
    ) -> (Map<String, Value>, Option<i64>) {
        let mut o = self.obj(r, diags, ctx);
        let mut obj = Map::new();
        obj.insert("id".into(), json!(r.id));
        obj.insert("type".into(), json!("OAUTH_AUTHORIZATION_POLICY"));
        let name = o.string_or_placeholder("name").unwrap_or_default();
        obj.insert("name".into(), json!(name));
        let d = o.string("description");
        o.put(&mut obj, "description", d.map(Value::from));
        let prio = o.int("priority");
        o.put(&mut obj, "priority", prio.map(Value::from));
        let status = o.string("status").unwrap_or_else(|| "ACTIVE".into());
        if o.plan && r.creating && status == "INACTIVE" {
            let e = r.error(
                "terraform.policy.create_inactive",
                Some("status"),
                "the provider can't create an inactive policy (only existing ones can be deactivated); terraform apply fails".into(),
            )
            .with_hint("create it ACTIVE, then set status = \"INACTIVE\" in a later apply".into());
            o.diags.push(e);
        }
        obj.insert("status".into(), json!(status));
        let clients = o.strings("client_whitelist");
        obj.insert(
            "conditions".into(),
            json!({ "clients": { "include": clients } }),
        );
        (obj, prio)
    }

    fn rule_object<'a>(
        &'a self,
        r: &'a Res,
        diags: &'a mut Vec<Located>,
        ctx: &'a Ctx<'a>,
    ) -> (Map<String, Value>, Option<i64>) {
        let mut o = self.obj(r, diags, ctx);
        let mut obj = Map::new();
        obj.insert("id".into(), json!(r.id));
        let t = o.string("type").unwrap_or_else(|| "RESOURCE_ACCESS".into());
        obj.insert("type".into(), json!(t));
        let name = o.string_or_placeholder("name").unwrap_or_default();
        obj.insert("name".into(), json!(name));
        let prio = o.int("priority");
        o.put(&mut obj, "priority", prio.map(Value::from));
        let status = o.string("status").unwrap_or_else(|| "ACTIVE".into());
        obj.insert("status".into(), json!(status));
        if let Some(Value::Bool(b)) = r.known("system") {
            obj.insert("system".into(), json!(b));
        }
        let users_in = o.strings("user_whitelist");
        let users_out = o.strings("user_blacklist");
        let groups_in = o.strings("group_whitelist");
        let groups_out = o.strings("group_blacklist");
        let grants = o.strings("grant_type_whitelist");
        let scopes = o.strings("scope_whitelist");
        obj.insert(
            "conditions".into(),
            json!({
                "people": {
                    "users": {"include": users_in, "exclude": users_out},
                    "groups": {"include": groups_in, "exclude": groups_out},
                },
                "grantTypes": {"include": grants},
                "scopes": {"include": scopes},
            }),
        );
        let access = o.int("access_token_lifetime_minutes").unwrap_or(60);
        let refresh = o.int("refresh_token_lifetime_minutes").unwrap_or(0);
        let window = o.int("refresh_token_window_minutes").unwrap_or(10080);
        let mut token = json!({
            "accessTokenLifetimeMinutes": access,
            "refreshTokenLifetimeMinutes": refresh,
            "refreshTokenWindowMinutes": window,
        });
        let hook = if r.is_unknown("inline_hook_id") {
            o.string_or_placeholder("inline_hook_id")
        } else {
            o.string("inline_hook_id")
        };
        if let (Some(h), Some(t)) = (hook.filter(|h| !h.is_empty()), token.as_object_mut()) {
            t.insert("inlineHook".into(), json!({ "id": h }));
        }
        obj.insert("actions".into(), json!({ "token": token }));
        // The provider's own check before it calls the API (version 4 and later).
        if refresh > 0 && (access > window || refresh < window) {
            let msg = format!(
                "refresh_token_window_minutes ({window}) must be between access_token_lifetime_minutes ({access}) and refresh_token_lifetime_minutes ({refresh}); the provider refuses this at apply"
            );
            let d = if o.plan {
                r.error(
                    "terraform.rule.window_range",
                    Some("refresh_token_window_minutes"),
                    msg,
                )
            } else {
                r.warning(
                    "terraform.rule.window_range",
                    Some("refresh_token_window_minutes"),
                    msg + " (the next apply of a changed rule fails)",
                )
            };
            o.diags.push(d);
        }
        (obj, prio)
    }

    /// Applies the server's `okta_auth_server_policy_priority`, if any: returns the policies
    /// whose priority it sets.
    fn apply_policy_priority(
        &self,
        server: usize,
        policies: &[usize],
        priorities: &mut HashMap<usize, Option<i64>>,
        diags: &mut Vec<Located>,
        ctx: &Ctx<'_>,
    ) -> HashMap<usize, (usize, &'static str)> {
        let mut overridden = HashMap::new();
        let managers: Vec<usize> = (0..self.resources.len())
            .filter(|&i| {
                self.resources
                    .get(i)
                    .is_some_and(|r| r.kind == Kind::PolicyPriority && r.server == Link::To(server))
            })
            .collect();
        let Some((&first, rest)) = managers.split_first() else {
            return overridden;
        };
        let Some(pr) = self.resources.get(first) else {
            return overridden;
        };
        for &other in rest {
            if let Some(r) = self.resources.get(other) {
                diags.push(r.error(
                    "terraform.policy_priority.several",
                    None,
                    format!(
                        "the server already has {}; only one can order its policies",
                        pr.address
                    ),
                ));
            }
        }
        let listed: Vec<String> = match pr.known("priorities") {
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| v.as_str().unwrap_or_default().to_owned())
                .collect(),
            Some(other) => {
                diags.push(pr.error(
                    "terraform.attribute.type",
                    Some("priorities"),
                    format!("expected a list of policy ids, found {}", kind_of(other)),
                ));
                return overridden;
            }
            None if pr.is_unknown("priorities") => {
                let mut o = Obj {
                    res: pr,
                    plan: true,
                    diags,
                    ctx,
                };
                o.placeholders("priorities")
            }
            None => Vec::new(),
        };
        let mut order = Vec::new();
        for id in &listed {
            match policies.iter().find(|&&p| {
                self.resources
                    .get(p)
                    .is_some_and(|r| &r.id == id || &format!("{}.id", r.address) == id)
            }) {
                Some(&p) => {
                    if !order.contains(&p) {
                        order.push(p);
                    }
                }
                None => diags.push(pr.warning(
                    "terraform.policy_priority.unknown_policy",
                    Some("priorities"),
                    format!("{id:?} is not a policy of this server in the document; Okta orders the rest as if it were there"),
                )),
            }
        }
        let n = order.len();
        for (k, &p) in order.iter().enumerate() {
            let rank = i64::try_from(k + 1).unwrap_or(i64::MAX);
            priorities.insert(p, Some(rank));
            overridden.insert(p, (first, "priorities"));
        }
        for &p in policies {
            if order.contains(&p) {
                continue;
            }
            if let Some(r) = self.resources.get(p) {
                diags.push(r.warning(
                    "terraform.policy_priority.unlisted",
                    Some("priority"),
                    format!("the policy is not in {}.priorities; its own priority is kept after the {n} listed policies", pr.address),
                ));
                if let Some(Some(own)) = priorities.get(&p).copied() {
                    priorities.insert(p, Some(own.saturating_add(i64::try_from(n).unwrap_or(0))));
                }
            }
        }
        overridden
    }

    /// Warns about priorities Okta will renumber (it keeps them contiguous from 1).
    fn renumbering(
        &self,
        items: &[usize],
        priorities: &HashMap<usize, Option<i64>>,
        overridden: &HashMap<usize, (usize, &'static str)>,
        what: (&str, &str),
        diags: &mut Vec<Located>,
    ) {
        let mut known: Vec<(i64, usize)> = items
            .iter()
            .filter_map(|p| priorities.get(p).copied().flatten().map(|n| (n, *p)))
            .collect();
        known.sort();
        let distinct = known.windows(2).all(|w| match w {
            [a, b] => a.0 != b.0,
            _ => true,
        });
        if !distinct || known.iter().any(|(n, _)| *n < 1) {
            return; // duplicates and ranges are validation errors
        }
        let total = known.len();
        let (one, many) = what;
        let counted = if total == 1 {
            format!("1 {one}")
        } else {
            format!("{total} {many}")
        };
        for (k, (n, p)) in known.iter().enumerate() {
            let rank = i64::try_from(k + 1).unwrap_or(i64::MAX);
            if *n != rank
                && !overridden.contains_key(p)
                && let Some(r) = self.resources.get(*p)
            {
                diags.push(r.warning(
                    "terraform.priority.renumbered",
                    Some("priority"),
                    format!(
                        "Okta keeps priorities contiguous from 1 ({counted} here): it stores priority {rank}, not {n}, unless {many} Terraform doesn't manage fill the gap, and every plan shows a change; the evaluation order is the same"
                    ),
                ));
            }
        }
    }
}

fn dedup(diags: &mut Vec<Located>) {
    let mut seen = HashSet::new();
    diags.retain(|d| {
        seen.insert((
            d.diagnostic.code,
            d.address.clone(),
            d.attribute.clone(),
            d.diagnostic.message.clone(),
        ))
    });
}

// ---------------------------------------------------------------------------------------------
// Locating configuration diagnostics

impl TerraformServer {
    /// Locates a diagnostic about [`TerraformServer::config`] (a JSON pointer such as
    /// `/policies/1/rules/0/actions/token/refreshTokenWindowMinutes`, e.g. from
    /// [`AuthorizationServer::compile`](crate::AuthorizationServer::compile)) in the Terraform
    /// document: the resource address and attribute it comes from, a pointer to the value in
    /// the document, and a hint for Terraform where the configuration's hint would mislead.
    ///
    /// ```
    /// use tokenmint::config::terraform::Terraform;
    /// use tokenmint::{AuthorizationServer, Options};
    ///
    /// let doc = Terraform::from_json(r#"{"format_version": "1.0", "values": {"root_module": {"resources": [
    ///   {"address": "okta_auth_server.api", "type": "okta_auth_server", "name": "api",
    ///    "values": {"id": "aus1", "name": "API", "audiences": ["api://a", "api://b"],
    ///               "issuer": "https://example.okta.com/oauth2/aus1"}}]}}}"#)?;
    /// let server = doc.server(None)?;
    /// let err = AuthorizationServer::compile(server.config.clone(), Options::default()).unwrap_err();
    /// let located = server.locate(&err.diagnostics[0]);
    /// assert_eq!(located.address.as_deref(), Some("okta_auth_server.api"));
    /// assert_eq!(located.attribute.as_deref(), Some("audiences"));
    /// assert!(located.to_string().starts_with("error[server.audiences.count] okta_auth_server.api: audiences: "));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn locate(&self, d: &Diagnostic) -> Located {
        let path = d.path.as_str();
        let mut cut = path.len();
        let mut hit = None;
        loop {
            let prefix = path.get(..cut).unwrap_or("");
            if let Some(&i) = self.map.objects.get(prefix) {
                hit = Some((i, path.get(cut..).unwrap_or("")));
                break;
            }
            match prefix.rfind('/') {
                Some(p) => cut = p,
                None => break,
            }
        }
        let mut message = self.rewrite_pointers(&d.message);
        let Some((mut index, member)) = hit else {
            return Located {
                diagnostic: Diagnostic {
                    message,
                    ..d.clone()
                },
                address: Some(self.address.clone()),
                attribute: None,
                line: self
                    .map
                    .resources
                    .iter()
                    .find(|r| r.address == self.address)
                    .and_then(|r| r.line),
            };
        };
        let member = member.trim_start_matches('/');
        let mut attribute = None;
        if let Some((by, attr)) = self.map.overrides.get(path).copied() {
            index = by;
            attribute = Some(attr);
        }
        let Some(info) = self.map.resources.get(index) else {
            return d.clone().into();
        };
        if attribute.is_none() {
            attribute = info
                .kind
                .members()
                .iter()
                .find(|(m, _)| {
                    member == *m
                        || (member.starts_with(m) && member.as_bytes().get(m.len()) == Some(&b'/'))
                })
                .map(|(_, a)| *a);
        }
        let doc_path = match attribute {
            Some(a) if info.attributes.contains(a) => pointer(&pointer(&info.pointer, "values"), a),
            _ => info.pointer.clone(),
        };
        let hint = terraform_hint(d.code, &message)
            .map(str::to_owned)
            .or_else(|| d.hint.clone());
        if d.code == "json.type" {
            message = format!("the provider would send an invalid value: {message}");
        }
        Located {
            diagnostic: Diagnostic {
                path: doc_path,
                message,
                hint,
                ..d.clone()
            },
            address: Some(info.address.clone()),
            attribute: attribute.map(str::to_owned),
            line: info.line,
        }
    }

    /// The address of the resource a configuration pointer (`/policies/1/rules/0`, or any
    /// pointer inside that object) comes from.
    pub fn address_of(&self, config_pointer: &str) -> Option<&str> {
        let mut cut = config_pointer.len();
        loop {
            let prefix = config_pointer.get(..cut)?;
            if let Some(&i) = self.map.objects.get(prefix) {
                return self.map.resources.get(i).map(|r| r.address.as_str());
            }
            cut = prefix.rfind('/')?;
        }
    }

    /// Replaces configuration pointers quoted in a message (`like /policies/0`) with the
    /// resource addresses they stand for.
    fn rewrite_pointers(&self, message: &str) -> String {
        let mut out = String::with_capacity(message.len());
        let mut rest = message;
        while let Some(at) = ["/scopes/", "/claims/", "/policies/", "/authorizationServer"]
            .iter()
            .filter_map(|p| rest.find(p))
            .min()
        {
            let (before, from) = rest.split_at(at);
            out.push_str(before);
            let end = from
                .find(|c: char| c.is_whitespace() || matches!(c, ')' | ',' | ';' | '"'))
                .unwrap_or(from.len());
            let (token, after) = from.split_at(end);
            let token = token.trim_end_matches(['.', ':']);
            let tail = from.get(token.len()..end).unwrap_or("");
            let mut cut = token.len();
            let mut replaced = None;
            loop {
                let prefix = token.get(..cut).unwrap_or("");
                if let Some(&i) = self.map.objects.get(prefix) {
                    replaced = self.map.resources.get(i).map(|r| r.address.clone());
                    break;
                }
                match prefix.rfind('/') {
                    Some(p) if p > 0 => cut = p,
                    _ => break,
                }
            }
            out.push_str(replaced.as_deref().unwrap_or(token));
            out.push_str(tail);
            rest = after;
        }
        out.push_str(rest);
        out
    }
}

/// Hints for Terraform users, for checks whose configuration hint would mislead.
fn terraform_hint(code: &str, message: &str) -> Option<&'static str> {
    Some(match code {
        "rule.people.missing" => {
            "set group_whitelist = [\"EVERYONE\"] (or name users or groups) on rules that allow authorization_code, implicit or password"
        }
        "rule.lifetime.window"
            if message.contains("window is 5 ")
                || ["6", "7", "8", "9"]
                    .iter()
                    .any(|n| message.contains(&format!("window is {n} "))) =>
        {
            "version 4 of the provider documents 5 as the minimum and no longer checks (version 3 checked 10), so terraform plan passes; Okta's API refuses windows under 10 minutes and terraform apply fails"
        }
        "rule.lifetime.window" => {
            "Okta's API accepts 10 to 2628000 minutes; recent versions of the provider don't check, so terraform apply fails"
        }
        "rule.lifetime.access" => {
            "Okta's API accepts 5 to 1440 minutes; recent versions of the provider don't check, so terraform apply fails"
        }
        "priority.duplicate" => {
            "with equal priorities the order depends on which API call Terraform happens to make first (its calls run in parallel); give each a distinct priority — okta_auth_server_policy_priority orders policies, and depends_on chains in priority order serialize rules"
        }
        "server.audiences.count" => "audiences is a set, but Okta accepts exactly one value",
        "claim.group_filter_type.missing" => {
            "set group_filter_type (STARTS_WITH, EQUALS, CONTAINS or REGEX) on claims with value_type = \"GROUPS\""
        }
        "scope.unknown" => {
            "add an okta_auth_server_scope with that name to the same server, or remove it here"
        }
        "rule.grantTypes.empty" => "list grant types in grant_type_whitelist",
        "rule.scopes.empty" => "list scopes in scope_whitelist, or [\"*\"] for any scope",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversals() {
        assert_eq!(
            traversal("module.a[\"x.y\"].okta_auth_server.main[0].id"),
            Some(vec![
                Step::Attr("module".into()),
                Step::Attr("a".into()),
                Step::Index("[\"x.y\"]".into()),
                Step::Attr("okta_auth_server".into()),
                Step::Attr("main".into()),
                Step::Index("[0]".into()),
                Step::Attr("id".into()),
            ])
        );
        assert_eq!(traversal(""), None);
        assert_eq!(traversal("a..b"), None);
        assert_eq!(traversal("a[\"unterminated"), None);
        assert_eq!(traversal("a["), None);
        assert_eq!(traversal("a b"), None);
    }

    #[test]
    fn addresses() {
        let a = parse_address("module.p[1].module.q.okta_auth_server_policy_rule.r[\"k\"]")
            .expect("address");
        assert_eq!(
            a.modules,
            [
                ("p".to_owned(), Some("[1]".to_owned())),
                ("q".to_owned(), None)
            ]
        );
        assert_eq!(
            (a.rtype.as_str(), a.name.as_str(), a.key.as_deref()),
            ("okta_auth_server_policy_rule", "r", Some("[\"k\"]"))
        );
        assert!(parse_address("okta_auth_server.a.id").is_none());
        assert!(parse_address("module.x").is_none());
    }

    #[test]
    fn maximal_references() {
        let refs = [
            "okta_auth_server.a.id",
            "okta_auth_server.a",
            "var.x",
            "okta_app_oauth.b[0].client_id",
            "okta_app_oauth.b[0]",
            "okta_app_oauth.b",
        ];
        assert_eq!(
            maximal(&refs),
            [
                "okta_auth_server.a.id",
                "var.x",
                "okta_app_oauth.b[0].client_id"
            ]
        );
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(
            path_segment("okta_auth_server.a[\"b c\"].id"),
            "okta_auth_server.a%5B%22b%20c%22%5D.id"
        );
    }
}
