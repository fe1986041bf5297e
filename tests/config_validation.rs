//! Validation cases as data: `tests/config/validation/*.json`, each an array of cases that patch
//! `tests/config/base.json` (RFC 6902 JSON Patch) and list the diagnostics expected.
//!
//! A case: `{"name", "patch": [ops], "options"?: {"max_expression_length"?: n,
//! "implicit_oidc_scopes"?: b, "max_policies"?: n, "max_rules"?: n, "max_claims"?: n,
//! "max_scopes"?: n, "max_clients"?: n},
//! "errors": [{"code", "path", "message"?, "hint"?}], "warnings"?: [...]}`
//! (`max_expression_length` sets `Options::limits.max_length`).
//! `errors` must match the errors found exactly and in order; every listed warning must be found.
//! A patch op may use `"repeat": [text, n]` (and `"suffix"`) instead of `"value"` to build long
//! strings.

// A panic here is a failed test or a stopped tool, not a host brought down: the crate's
// lints for src/ (Cargo.toml) are relaxed.
#![allow(
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    unreachable_pub
)]

use serde::Deserialize;
use serde_json::{Value, json};
use std::path::Path;

/// One validation case.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    patch: Vec<Value>,
    #[serde(default)]
    options: CaseOptions,
    errors: Vec<Want>,
    #[serde(default)]
    warnings: Option<Vec<Want>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CaseOptions {
    max_expression_length: Option<usize>,
    implicit_oidc_scopes: Option<bool>,
    max_policies: Option<usize>,
    max_rules: Option<usize>,
    max_claims: Option<usize>,
    max_scopes: Option<usize>,
    max_clients: Option<usize>,
}

/// An expected diagnostic: code and path exactly, message and hint as substrings.
#[derive(Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
struct Want {
    code: String,
    path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hint: Option<String>,
}
use tokenmint::{AuthorizationServer, Diagnostic, Options, ServerConfig, Severity};

fn base() -> Value {
    serde_json::from_str(include_str!("config/base.json")).unwrap()
}

fn expand_op(mut op: Value) -> Value {
    if let Some(rep) = op.get("repeat").cloned() {
        let text = rep[0]
            .as_str()
            .unwrap()
            .repeat(rep[1].as_u64().unwrap() as usize);
        let suffix = op
            .get("suffix")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let obj = op.as_object_mut().unwrap();
        obj.remove("repeat");
        obj.remove("suffix");
        obj.insert("value".into(), Value::String(text + &suffix));
    }
    op
}

fn options(case: &Case) -> Options {
    let c = &case.options;
    let mut o = Options::default();
    if let Some(n) = c.max_expression_length {
        o.limits.max_length = n;
    }
    if let Some(b) = c.implicit_oidc_scopes {
        o.implicit_oidc_scopes = b;
    }
    if let Some(n) = c.max_policies {
        o.max_policies = n;
    }
    if let Some(n) = c.max_rules {
        o.max_rules = n;
    }
    if let Some(n) = c.max_claims {
        o.max_claims = n;
    }
    if let Some(n) = c.max_scopes {
        o.max_scopes = n;
    }
    if let Some(n) = c.max_clients {
        o.max_clients = n;
    }
    o
}

fn matches(want: &Want, got: &Diagnostic) -> bool {
    want.code == got.code
        && want.path == got.path
        && want
            .message
            .as_deref()
            .is_none_or(|m| got.message.contains(m))
        && want
            .hint
            .as_deref()
            .is_none_or(|h| got.hint.as_deref().is_some_and(|g| g.contains(h)))
}

fn run_case(file: &str, case: &Case) -> Result<(), String> {
    let name = case.name.as_str();
    let mut doc = base();
    let ops: Vec<Value> = case.patch.iter().cloned().map(expand_op).collect();
    let patch: json_patch::Patch = serde_json::from_value(Value::Array(ops))
        .map_err(|e| format!("{file}: {name}: bad patch: {e}"))?;
    json_patch::patch(&mut doc, &patch).map_err(|e| format!("{file}: {name}: patch: {e}"))?;
    let diags: Vec<Diagnostic> = match ServerConfig::from_value(doc) {
        Err(e) => e.diagnostics,
        Ok(cfg) => match AuthorizationServer::compile(cfg, options(case)) {
            Ok(server) => server.warnings().to_vec(),
            Err(e) => e.diagnostics,
        },
    };
    let errors: Vec<&Diagnostic> = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    let warnings: Vec<&Diagnostic> = diags
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .collect();
    let want_errors = &case.errors;
    let ok = want_errors.len() == errors.len()
        && want_errors.iter().zip(&errors).all(|(w, g)| matches(w, g));
    if !ok {
        return Err(format!(
            "{file}: {name}: errors differ\n  want: {}\n  got:\n    {}",
            serde_json::to_string(want_errors).unwrap(),
            errors
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("\n    ")
        ));
    }
    if let Some(want_warnings) = &case.warnings {
        let all_found = want_warnings
            .iter()
            .all(|w| warnings.iter().any(|g| matches(w, g)));
        let exact_empty = !want_warnings.is_empty() || warnings.is_empty();
        if !all_found || !exact_empty {
            return Err(format!(
                "{file}: {name}: warnings differ\n  want: {}\n  got:\n    {}",
                serde_json::to_string(want_warnings).unwrap(),
                warnings
                    .iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join("\n    ")
            ));
        }
    }
    // Every message says what is wrong in words, and the Display form carries the path.
    for d in &diags {
        assert!(d.message.len() > 10, "{file}: {name}: terse message {d}");
        assert!(d.to_string().contains(&d.path));
    }
    Ok(())
}

#[test]
fn validation_cases() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/config/validation");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut failures = Vec::new();
    let mut count = 0;
    for path in &files {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let cases: Vec<Case> = serde_json::from_str(&std::fs::read_to_string(path).unwrap())
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        for case in &cases {
            count += 1;
            if let Err(e) = run_case(&file, case) {
                failures.push(e);
            }
        }
    }
    assert!(count >= 80, "only {count} cases");
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{count} validation cases passed");
}

/// The acceptance case of the foundation: ten distinct mistakes, ten located diagnostics, one call.
#[test]
fn ten_mistakes_ten_diagnostics() {
    let cfg = ServerConfig::from_json(include_str!("config/ten_mistakes.json")).unwrap();
    let err = AuthorizationServer::compile(cfg, Options::default()).unwrap_err();
    let got: Vec<(&str, &str)> = err.errors().map(|d| (d.code, d.path.as_str())).collect();
    let want = vec![
        ("server.audiences.count", "/authorizationServer/audiences"),
        ("scope.name.invalid", "/scopes/1/name"),
        ("scope.name.duplicate", "/scopes/2/name"),
        ("claim.name.reserved", "/claims/0/name"),
        (
            "claim.group_filter_type.missing",
            "/claims/1/group_filter_type",
        ),
        ("claim.value.regex", "/claims/2/value"),
        ("scope.unknown", "/claims/3/conditions/scopes/0"),
        (
            "rule.grantType.unknown",
            "/policies/0/rules/0/conditions/grantTypes/include/1",
        ),
        (
            "rule.lifetime.access",
            "/policies/0/rules/0/actions/token/accessTokenLifetimeMinutes",
        ),
        ("priority.duplicate", "/policies/1/priority"),
    ];
    assert_eq!(got, want, "\n{err}");
    let text = err.to_string();
    assert!(
        text.starts_with("the configuration has 10 errors"),
        "{text}"
    );
    // Machine-readable too.
    let as_json = serde_json::to_value(&err.diagnostics).unwrap();
    assert_eq!(as_json[0]["severity"], json!("error"));
}
