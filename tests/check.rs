//! The scenario runner, as data. Two kinds of case files under `tests/check/`:
//!
//! * `runs/*.json` — `{"cases": [{"name", "config": "<path>" | {<bundle>}, "server"?,
//!   "scenarios": {<a scenario file>}, "expect": {"passed"?: bool, "scenarios"?: [{"name",
//!   "passed", "failures"?: [{"what", "expected"?, "actual"?, "reason"?: "<substring>"}]}],
//!   "text"?: "<the report's Display, exactly>"}}]}`. The configuration (a bundle, or a
//!   Terraform document with `server`) is loaded like `examples/check` loads it and the
//!   scenarios run with `check::run`; each scenario listed must have exactly the failures
//!   listed (`expected` and `actual` compared as JSON, `reason` as a substring).
//! * `files.json` — `{"cases": [{"name", "text": "<scenario file>" | "document": {...},
//!   "problems": [{"pointer", "line"?, "column"?, "message"?: "<substring>"}]}]}`: the file
//!   must be refused with exactly these problems, in order.

// A panic here is a failed test or a stopped tool, not a host brought down: the crate's
// lints for src/ (Cargo.toml) are relaxed.
#![allow(
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    unreachable_pub
)]

use serde::Deserialize;
use serde_json::Value;
use std::fs;
use std::path::Path;
use tokenmint::Options;
use tokenmint::check::{self, Scenarios};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A cases file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile<T> {
    cases: Vec<T>,
}

/// A run: a configuration (a file path, or inline), the server to pick, scenarios, and what
/// the report must say.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RunCase {
    name: String,
    config: Value,
    #[serde(default)]
    server: Option<String>,
    scenarios: Value,
    expect: RunExpect,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RunExpect {
    #[serde(default)]
    passed: Option<bool>,
    /// The report's text, whole.
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    scenarios: Vec<WantScenario>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WantScenario {
    name: String,
    passed: bool,
    #[serde(default)]
    failures: Vec<WantFailure>,
}

/// A failure: `what` exactly, the others (when given) equal or, for `reason`, contained.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct WantFailure {
    what: String,
    #[serde(default, deserialize_with = "present")]
    expected: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    actual: Option<Value>,
    #[serde(default)]
    reason: Option<String>,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// A malformed scenarios file (`text`, or a `document` written out pretty) and its problems.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileCase {
    name: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    document: Value,
    problems: Vec<WantProblem>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct WantProblem {
    pointer: String,
    #[serde(default)]
    line: Option<usize>,
    #[serde(default)]
    column: Option<usize>,
    #[serde(default)]
    message: Option<String>,
}

#[test]
fn runs() {
    let mut failures = Vec::new();
    let mut files: Vec<_> = fs::read_dir(root().join("tests/check/runs"))
        .expect("dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    files.sort();
    let mut n = 0;
    for f in files {
        let v: CaseFile<RunCase> =
            serde_json::from_str(&fs::read_to_string(&f).expect("file")).expect("a runs file");
        for case in &v.cases {
            n += 1;
            let name = format!(
                "{}: {}",
                f.file_name()
                    .map(|s| s.to_string_lossy())
                    .unwrap_or_default(),
                case.name
            );
            let config = match &case.config {
                Value::String(p) => fs::read_to_string(root().join(p)).expect("config file"),
                v => v.to_string(),
            };
            let loaded =
                match check::load_server(&config, case.server.as_deref(), Options::default()) {
                    Ok(l) => l,
                    Err(e) => {
                        failures.push(format!("{name}: {e}"));
                        continue;
                    }
                };
            let scenarios = match Scenarios::from_json(&case.scenarios.to_string()) {
                Ok(s) => s,
                Err(e) => {
                    failures.push(format!("{name}: {e}"));
                    continue;
                }
            };
            let report = check::run(&loaded.server, &scenarios);
            let expect = &case.expect;
            if let Some(p) = expect.passed
                && p != report.passed()
            {
                failures.push(format!(
                    "{name}: passed = {}, expected {p}:\n{report}",
                    report.passed()
                ));
            }
            if let Some(text) = &expect.text
                && report.to_string() != *text
            {
                failures.push(format!("{name}: the report reads\n{report}\nnot\n{text}"));
            }
            for want in &expect.scenarios {
                let sname = want.name.as_str();
                let Some(got) = report.scenarios.iter().find(|s| s.name == sname) else {
                    failures.push(format!("{name}: no scenario {sname:?} in the report"));
                    continue;
                };
                if want.passed != got.passed() {
                    failures.push(format!(
                        "{name} / {sname}: passed = {}:\n{report}",
                        got.passed()
                    ));
                }
                let wf = &want.failures;
                if wf.len() != got.failures.len() {
                    failures.push(format!(
                        "{name} / {sname}: {} failures, expected {}:\n{report}",
                        got.failures.len(),
                        wf.len()
                    ));
                    continue;
                }
                for (w, g) in wf.iter().zip(&got.failures) {
                    let ok = w.what == g.what
                        && w.expected.as_ref().is_none_or(|e| e == &g.expected)
                        && w.actual.as_ref().is_none_or(|a| a == &g.actual)
                        && w.reason
                            .as_deref()
                            .is_none_or(|r| g.reason.as_deref().is_some_and(|gr| gr.contains(r)));
                    if !ok {
                        failures.push(format!("{name} / {sname}: failure {g:?} is not like {w:?}"));
                    }
                }
            }
            // The JSON form has the report's shape.
            let json = report.to_json();
            assert_eq!(json["failed"].as_u64(), Some(report.failed() as u64));
            assert_eq!(
                json["scenarios"].as_array().map(Vec::len),
                Some(report.scenarios.len())
            );
        }
    }
    assert!(n >= 10, "only {n} run cases");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn malformed_files() {
    let v: CaseFile<FileCase> = serde_json::from_str(
        &fs::read_to_string(root().join("tests/check/files.json")).expect("file"),
    )
    .expect("a files file");
    let mut failures = Vec::new();
    let cases = &v.cases;
    assert!(cases.len() >= 10);
    for case in cases {
        let name = case.name.as_str();
        let text = match (&case.text, &case.document) {
            (Some(t), _) => t.clone(),
            (None, d) => serde_json::to_string_pretty(d).expect("serializable"),
        };
        let want = &case.problems;
        match Scenarios::from_json(&text) {
            Ok(_) => failures.push(format!("{name}: accepted")),
            Err(e) => {
                if e.problems.len() != want.len() {
                    failures.push(format!(
                        "{name}: {} problems, expected {}: {e}",
                        e.problems.len(),
                        want.len()
                    ));
                    continue;
                }
                for (w, p) in want.iter().zip(&e.problems) {
                    let ok = w.pointer == p.pointer
                        && w.line.is_none_or(|l| Some(l) == p.line)
                        && w.column.is_none_or(|c| Some(c) == p.column)
                        && w.message.as_deref().is_none_or(|m| p.message.contains(m));
                    if !ok {
                        failures.push(format!("{name}: problem {p:?} is not like {w:?}"));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
