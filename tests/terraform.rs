//! Terraform input, as data. Three kinds of case files under `tests/terraform/`:
//!
//! * `mapping/*.json` — `{"cases": [{"name", "resource": {"type", "values", "address"?},
//!   "expect": <Management API object> | null, "warnings"?: [code], "errors"?: ["code@attribute"]}]}`.
//!   The resource is put in a state next to a base server `okta_auth_server.base` (id `aus1`)
//!   and, for rules, a base policy `okta_auth_server_policy.base` (id `00p1`); `auth_server_id`
//!   and `policy_id` default to those, `id` to `case1`. `expect` is the object the resource
//!   becomes in the server's [`ServerConfig`] JSON (the server, the scope, the claim, the
//!   policy without `rules`, the rule), or `null` when it becomes none. `warnings` lists every
//!   `terraform.*` warning code the resource draws (none when absent); `errors` makes the
//!   build fail with at least these errors.
//! * `documents/*.json` — `{"cases": [{"name", "document": {...} | "file": "<path>",
//!   "server"?, "expect": {"servers"?: [names], "config"?: <subset of the bundle JSON>,
//!   "errors"?: [D], "warnings"?: [D], "lines"?: true}}]}` where `D` is `{"code", "address"?,
//!   "attribute"?, "message"?: "<substring>"}`. The document is read, the server built and
//!   compiled; every diagnostic listed must be among those reported (located with
//!   `TerraformServer::locate` for the compiler's), and without `errors` there must be none.
//!   `config` is matched as a subset: objects member by member, arrays element by element with
//!   equal lengths. `lines: true` requires every located diagnostic to carry a line.
//! * `hostile.jsonl` — one case a line, `{"name", "document"?: <JSON>, "text"?: "<raw text>",
//!   "server"?, "expect": {"error"?: "<code>", "message"?: "<substring>", "ok"?: true},
//!   "maxSeconds"?}`: the document (any value may be generated: `{"$repeat": [s, n]}`,
//!   `{"$for": n, "as": "i", "do": T}` with `{i}` replaced in strings, `{"$int": "{i}", "plus":
//!   k}`, `{"$concat": [A, B]}`) must give that error, or build without errors, within the time
//!   bound (2 s by default, debug build) and without panicking.

// A panic here is a failed test or a stopped tool, not a host brought down: the crate's
// lints for src/ (Cargo.toml) are relaxed.
#![allow(
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    unreachable_pub
)]

use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::fs;
use std::path::Path;
use std::time::Instant;
use tokenmint::config::terraform::{Located, Terraform};
use tokenmint::{AuthorizationServer, Options};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A case file: `{"cases": [...]}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile<T> {
    cases: Vec<T>,
}

/// A mapping case: one resource, the object it becomes (`expect`, absent = none), and the
/// error and warning codes expected.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingCase {
    name: String,
    resource: MappedResource,
    #[serde(default)]
    expect: Value,
    #[serde(default)]
    errors: Vec<String>,
    #[serde(default)]
    warnings: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MappedResource {
    #[serde(rename = "type")]
    ty: String,
    values: serde_json::Map<String, Value>,
    #[serde(default)]
    address: Option<String>,
}

/// A document case: a document (inline or a `file`), the server to build, what to expect.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentCase {
    name: String,
    #[serde(default)]
    document: Option<Value>,
    #[serde(default)]
    file: Option<String>,
    #[serde(default)]
    server: Option<String>,
    expect: DocumentExpect,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentExpect {
    /// The names of the document's servers.
    #[serde(default)]
    servers: Option<Vec<String>>,
    #[serde(default)]
    errors: Vec<WantLocated>,
    #[serde(default)]
    warnings: Vec<WantLocated>,
    /// Every diagnostic with an address has a line.
    #[serde(default)]
    lines: bool,
    /// A subset of the built configuration.
    #[serde(default)]
    config: Option<Value>,
}

/// An expected diagnostic; each member given must match.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct WantLocated {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    address: Option<String>,
    #[serde(default)]
    attribute: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// A hostile document (`document`, or raw `text`; both may use the generators).
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct HostileCase {
    name: String,
    #[serde(default)]
    document: Value,
    #[serde(default)]
    text: Option<Value>,
    #[serde(default)]
    server: Option<String>,
    #[serde(default)]
    max_seconds: Option<f64>,
    expect: HostileExpect,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct HostileExpect {
    #[serde(default)]
    ok: bool,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

fn case_files<T: serde::de::DeserializeOwned>(dir: &str) -> Vec<(String, T)> {
    let mut out = Vec::new();
    let mut entries: Vec<_> = fs::read_dir(root().join("tests/terraform").join(dir))
        .expect("case directory")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    entries.sort();
    for p in entries {
        let text = fs::read_to_string(&p).expect("readable");
        let v: CaseFile<T> = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: not a case file: {e}", p.display()));
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for c in v.cases {
            out.push((name.clone(), c));
        }
    }
    out
}

fn state(resources: Vec<Value>) -> Value {
    json!({"format_version": "1.0", "terraform_version": "1.9.8",
           "values": {"root_module": {"resources": resources}}})
}

fn resource(address: &str, values: Value) -> Value {
    let (t, name) = address.split_once('.').expect("type.name");
    json!({"address": address, "mode": "managed", "type": t, "name": name,
           "provider_name": "registry.terraform.io/okta/okta", "schema_version": 0,
           "values": values, "sensitive_values": {}})
}

fn base_server() -> Value {
    resource(
        "okta_auth_server.base",
        json!({"id": "aus1", "name": "Base", "description": null, "audiences": ["api://base"],
               "issuer": "https://example.okta.com/oauth2/aus1", "issuer_mode": "ORG_URL",
               "status": "ACTIVE", "credentials_rotation_mode": "AUTO", "kid": null,
               "credentials_last_rotated": null, "credentials_next_rotation": null}),
    )
}

fn base_policy() -> Value {
    resource(
        "okta_auth_server_policy.base",
        json!({"id": "00p1", "auth_server_id": "aus1", "name": "Base", "description": "Base",
               "priority": 1, "status": "ACTIVE", "client_whitelist": ["ALL_CLIENTS"]}),
    )
}

fn codes(ds: &[Located], errors: bool) -> Vec<String> {
    ds.iter()
        .filter(|d| d.is_error() == errors)
        .map(|d| match &d.attribute {
            Some(a) if errors => format!("{}@{a}", d.diagnostic.code),
            _ => d.diagnostic.code.to_owned(),
        })
        .collect()
}

#[test]
fn mapping_cases() {
    let mut failures = Vec::new();
    let mut attributes_seen: std::collections::BTreeSet<String> = Default::default();
    let cases: Vec<(String, MappingCase)> = case_files("mapping");
    assert!(cases.len() >= 60, "only {} mapping cases", cases.len());
    for (file, case) in &cases {
        let name = format!("{file}: {}", case.name);
        let r = &case.resource;
        let t = r.ty.as_str();
        let mut values = r.values.clone();
        for k in values.keys() {
            attributes_seen.insert(format!("{t}.{k}"));
        }
        let is_server = t == "okta_auth_server" || t == "okta_auth_server_default";
        if !is_server {
            values.entry("auth_server_id").or_insert(json!("aus1"));
        }
        if t == "okta_auth_server_policy_rule" {
            values.entry("policy_id").or_insert(json!("00p1"));
        }
        if t != "okta_auth_server_default" {
            values.entry("id").or_insert(json!("case1"));
        }
        let address = r.address.clone().unwrap_or_else(|| format!("{t}.case"));
        let mut resources = Vec::new();
        if !is_server {
            resources.push(base_server());
        }
        if t == "okta_auth_server_policy_rule" {
            resources.push(base_policy());
        }
        resources.push(resource(&address, Value::Object(values)));
        let text = state(resources).to_string();
        let doc = match Terraform::from_json(&text) {
            Ok(d) => d,
            Err(e) => {
                failures.push(format!("{name}: document refused: {e}"));
                continue;
            }
        };
        let want_errors = &case.errors;
        let built = doc.server(None);
        let server = match (built, want_errors.is_empty()) {
            (Ok(s), true) => s,
            (Ok(_), false) => {
                failures.push(format!(
                    "{name}: expected errors {want_errors:?}, built fine"
                ));
                continue;
            }
            (Err(e), false) => {
                let got = codes(&e.diagnostics, true);
                for w in want_errors {
                    if !got.contains(w) {
                        failures.push(format!("{name}: expected error {w}, got {got:?}"));
                    }
                }
                continue;
            }
            (Err(e), true) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        let mut got_warnings: Vec<String> = codes(&server.warnings, false)
            .into_iter()
            .filter(|c| c.starts_with("terraform."))
            .collect();
        got_warnings.sort();
        let mut want_warnings = case.warnings.clone();
        want_warnings.sort();
        if got_warnings != want_warnings {
            failures.push(format!(
                "{name}: warnings {got_warnings:?}, expected {want_warnings:?}: {:?}",
                server
                    .warnings
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
            ));
        }
        let cfg = serde_json::to_value(&server.config).expect("serializable");
        let got = match t {
            "okta_auth_server" | "okta_auth_server_default" => {
                Some(cfg["authorizationServer"].clone())
            }
            "okta_auth_server_scope" => cfg["scopes"].get(0).cloned(),
            "okta_auth_server_claim" | "okta_auth_server_claim_default" => {
                cfg["claims"].get(0).cloned()
            }
            "okta_auth_server_policy" => cfg["policies"].get(0).cloned().map(|mut p| {
                if let Value::Object(m) = &mut p {
                    m.remove("rules");
                }
                p
            }),
            "okta_auth_server_policy_rule" => cfg["policies"][0]["rules"].get(0).cloned(),
            other => panic!("{name}: no mapping for {other}"),
        };
        let want = &case.expect;
        match (&got, want) {
            (None, Value::Null) => {}
            (Some(g), w) if g == w => {}
            (g, w) => failures.push(format!(
                "{name}:\n  got      {}\n  expected {w}",
                g.as_ref().map_or("nothing".into(), Value::to_string)
            )),
        }
    }
    // Every attribute of the spec table is exercised by some case.
    for attr in [
        "okta_auth_server.name",
        "okta_auth_server.description",
        "okta_auth_server.audiences",
        "okta_auth_server.issuer_mode",
        "okta_auth_server.status",
        "okta_auth_server.credentials_rotation_mode",
        "okta_auth_server.id",
        "okta_auth_server.issuer",
        "okta_auth_server.kid",
        "okta_auth_server.credentials_next_rotation",
        "okta_auth_server.credentials_last_rotated",
        "okta_auth_server_default.name",
        "okta_auth_server_default.audiences",
        "okta_auth_server_scope.auth_server_id",
        "okta_auth_server_scope.name",
        "okta_auth_server_scope.description",
        "okta_auth_server_scope.display_name",
        "okta_auth_server_scope.consent",
        "okta_auth_server_scope.default",
        "okta_auth_server_scope.metadata_publish",
        "okta_auth_server_scope.optional",
        "okta_auth_server_scope.system",
        "okta_auth_server_claim.auth_server_id",
        "okta_auth_server_claim.name",
        "okta_auth_server_claim.claim_type",
        "okta_auth_server_claim.value_type",
        "okta_auth_server_claim.value",
        "okta_auth_server_claim.group_filter_type",
        "okta_auth_server_claim.scopes",
        "okta_auth_server_claim.always_include_in_token",
        "okta_auth_server_claim.status",
        "okta_auth_server_policy.auth_server_id",
        "okta_auth_server_policy.name",
        "okta_auth_server_policy.description",
        "okta_auth_server_policy.priority",
        "okta_auth_server_policy.status",
        "okta_auth_server_policy.client_whitelist",
        "okta_auth_server_policy_rule.auth_server_id",
        "okta_auth_server_policy_rule.policy_id",
        "okta_auth_server_policy_rule.name",
        "okta_auth_server_policy_rule.priority",
        "okta_auth_server_policy_rule.status",
        "okta_auth_server_policy_rule.type",
        "okta_auth_server_policy_rule.grant_type_whitelist",
        "okta_auth_server_policy_rule.scope_whitelist",
        "okta_auth_server_policy_rule.user_whitelist",
        "okta_auth_server_policy_rule.user_blacklist",
        "okta_auth_server_policy_rule.group_whitelist",
        "okta_auth_server_policy_rule.group_blacklist",
        "okta_auth_server_policy_rule.access_token_lifetime_minutes",
        "okta_auth_server_policy_rule.refresh_token_lifetime_minutes",
        "okta_auth_server_policy_rule.refresh_token_window_minutes",
        "okta_auth_server_policy_rule.inline_hook_id",
        "okta_auth_server_claim_default.name",
        "okta_auth_server_claim_default.value",
        "okta_auth_server_claim_default.always_include_in_token",
    ] {
        if !attributes_seen.contains(attr) {
            failures.push(format!("no mapping case sets {attr}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mapping failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `want` is a subset of `got`: objects member by member, arrays element by element.
fn subset(want: &Value, got: &Value) -> bool {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => w
            .iter()
            .all(|(k, v)| g.get(k).is_some_and(|gv| subset(v, gv))),
        (Value::Array(w), Value::Array(g)) => {
            w.len() == g.len() && w.iter().zip(g).all(|(a, b)| subset(a, b))
        }
        (w, g) => w == g,
    }
}

fn diag_matches(want: &WantLocated, d: &Located) -> bool {
    want.code.as_deref().is_none_or(|c| c == d.diagnostic.code)
        && want
            .address
            .as_deref()
            .is_none_or(|a| d.address.as_deref() == Some(a))
        && want
            .attribute
            .as_deref()
            .is_none_or(|a| d.attribute.as_deref() == Some(a))
        && want
            .message
            .as_deref()
            .is_none_or(|m| d.to_string().contains(m))
}

#[test]
fn document_cases() {
    let mut failures = Vec::new();
    let cases: Vec<(String, DocumentCase)> = case_files("documents");
    assert!(!cases.is_empty());
    for (file, case) in &cases {
        let name = format!("{file}: {}", case.name);
        let text = match (&case.document, &case.file) {
            (None, Some(f)) => fs::read_to_string(root().join(f)).expect("file"),
            (Some(d), None) => d.to_string(),
            _ => panic!("{name}: document or file"),
        };
        let expect = &case.expect;
        let mut diags: Vec<Located> = Vec::new();
        let mut built = None;
        match Terraform::from_json(&text) {
            Err(e) => diags.extend(e.diagnostics),
            Ok(doc) => {
                if let Some(want) = &expect.servers {
                    let names: Vec<String> = doc
                        .servers()
                        .into_iter()
                        .map(|s| s.name.to_string())
                        .collect();
                    if &names != want {
                        failures.push(format!("{name}: servers {names:?}, expected {want:?}"));
                    }
                }
                match doc.server(case.server.as_deref()) {
                    Err(e) => diags.extend(e.diagnostics),
                    Ok(s) => {
                        diags.extend(s.warnings.iter().cloned());
                        match AuthorizationServer::compile(s.config.clone(), Options::default()) {
                            Ok(srv) => diags.extend(srv.warnings().iter().map(|d| s.locate(d))),
                            Err(e) => diags.extend(e.diagnostics.iter().map(|d| s.locate(d))),
                        }
                        built = Some(s);
                    }
                }
            }
        }
        let rendered: Vec<String> = diags.iter().map(ToString::to_string).collect();
        let want_errors = &expect.errors;
        if want_errors.is_empty() && diags.iter().any(Located::is_error) {
            failures.push(format!("{name}: unexpected errors: {rendered:#?}"));
        }
        for (kind, list, is_error) in [
            ("error", want_errors, true),
            ("warning", &expect.warnings, false),
        ] {
            for w in list {
                if !diags
                    .iter()
                    .any(|d| d.is_error() == is_error && diag_matches(w, d))
                {
                    failures.push(format!("{name}: no {kind} like {w:?}; got {rendered:#?}"));
                }
            }
        }
        if expect.lines {
            for d in &diags {
                if d.address.is_some() && d.line.is_none() {
                    failures.push(format!("{name}: no line for {d}"));
                }
            }
        }
        if let Some(want) = &expect.config {
            match &built {
                Some(s) => {
                    let got = serde_json::to_value(&s.config).expect("serializable");
                    if !subset(want, &got) {
                        failures.push(format!(
                            "{name}: config\n  {}\nis not a superset of\n  {want}",
                            got
                        ));
                    }
                }
                None => failures.push(format!("{name}: no server built: {rendered:#?}")),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} document failure(s):\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Hostile documents

fn substitute(v: &Value, var: &str, i: usize) -> Value {
    match v {
        Value::String(s) => Value::String(s.replace(&format!("{{{var}}}"), &i.to_string())),
        Value::Array(a) => Value::Array(a.iter().map(|x| substitute(x, var, i)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| {
                    (
                        k.replace(&format!("{{{var}}}"), &i.to_string()),
                        substitute(x, var, i),
                    )
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn generate(v: &Value) -> Value {
    match v {
        Value::Object(m) if m.contains_key("$repeat") => {
            let s = m["$repeat"][0].as_str().expect("$repeat string");
            let n = m["$repeat"][1].as_u64().expect("$repeat count");
            Value::String(s.repeat(usize::try_from(n).expect("count")))
        }
        Value::Object(m) if m.contains_key("$for") => {
            let n = m["$for"].as_u64().expect("$for count");
            let var = m["as"].as_str().expect("as");
            (0..usize::try_from(n).expect("count"))
                .map(|i| generate(&substitute(&m["do"], var, i)))
                .collect()
        }
        Value::Object(m) if m.contains_key("$int") => {
            let s = m["$int"].as_str().expect("$int string");
            let base: i64 = s.parse().expect("$int number");
            Value::from(base + m.get("plus").and_then(Value::as_i64).unwrap_or(0))
        }
        Value::Object(m) if m.contains_key("$concat") => Value::Array(
            m["$concat"]
                .as_array()
                .expect("$concat array")
                .iter()
                .flat_map(|p| match generate(p) {
                    Value::Array(a) => a,
                    other => vec![other],
                })
                .collect(),
        ),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), generate(x)))
                .collect::<Map<_, _>>(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(generate).collect()),
        other => other.clone(),
    }
}

#[test]
fn hostile_documents() {
    let text = fs::read_to_string(root().join("tests/terraform/hostile.jsonl")).expect("file");
    let mut failures = Vec::new();
    let mut n = 0;
    for (lineno, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        n += 1;
        let case: HostileCase = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("hostile.jsonl:{}: {e}", lineno + 1));
        let name = format!("hostile.jsonl:{}: {}", lineno + 1, case.name);
        let input = match (&case.text, &case.document) {
            (None, d) => generate(d).to_string(),
            (Some(t), _) => match generate(t) {
                Value::String(s) => s,
                other => panic!("{name}: text must be a string, is {other}"),
            },
        };
        let limit = case.max_seconds.unwrap_or(2.0);
        let started = Instant::now();
        let outcome = std::panic::catch_unwind(|| {
            let doc = Terraform::from_json(&input).map_err(|e| e.diagnostics)?;
            let s = doc
                .server(case.server.as_deref())
                .map_err(|e| e.diagnostics)?;
            match AuthorizationServer::compile(s.config.clone(), Options::default()) {
                Ok(_) => Ok(()),
                Err(e) => Err(e
                    .diagnostics
                    .iter()
                    .map(|d| s.locate(d))
                    .collect::<Vec<Located>>()),
            }
        });
        let elapsed = started.elapsed().as_secs_f64();
        if elapsed > limit {
            failures.push(format!("{name}: took {elapsed:.2} s (limit {limit} s)"));
        }
        let expect = &case.expect;
        match outcome {
            Err(_) => failures.push(format!("{name}: panicked")),
            Ok(Ok(())) if expect.ok => {}
            Ok(Ok(())) => failures.push(format!("{name}: loaded, expected {expect:?}")),
            Ok(Err(diags)) => {
                let code = expect.error.as_deref();
                let message = expect.message.as_deref();
                let hit = diags.iter().any(|d| {
                    d.is_error()
                        && code.is_none_or(|c| d.diagnostic.code == c)
                        && message.is_none_or(|m| d.to_string().contains(m))
                });
                if expect.ok || !hit {
                    failures.push(format!(
                        "{name}: expected {expect:?}, got {:#?}",
                        diags.iter().map(ToString::to_string).collect::<Vec<_>>()
                    ));
                }
            }
        }
    }
    assert!(n >= 15, "only {n} hostile cases");
    assert!(
        failures.is_empty(),
        "{} hostile failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
