//! The `check` example's command-line contract (DESIGN.md, "Interfaces other tools rely on"):
//! one line per scenario, failures with expected and actual values, `--json`, exit codes 0/1/2,
//! located messages for malformed scenario files; and `preview` reading Terraform JSON with
//! `--server`, giving the bundle's decision and tokens.
//!
//! Runs the examples through `cargo run` (examples have no `CARGO_BIN_EXE_*`); `cargo test` has
//! already built them, so each run only starts the binary.

// A panic here is a failed test or a stopped tool, not a host brought down: the crate's
// lints for src/ (Cargo.toml) are relaxed.
#![allow(
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    unreachable_pub
)]

use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run(example: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["run", "--quiet", "--example", example, "--"])
        .args(args)
        .output()
        .expect("cargo runs")
}

fn check(args: &[&str]) -> Output {
    run("check", args)
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}); stderr: {}", stderr(out)))
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect()
}

/// A file under the test's own temporary directory.
fn temp(name: &str, contents: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&p, contents).expect("writable");
    p
}

const BUNDLE: &str = "examples/data/config.json";
const STATE: &str = "examples/data/terraform/state.json";
const PLAN: &str = "examples/data/terraform/plan.json";
const SCENARIOS: &str = "examples/data/scenarios.json";

fn sample_scenarios() -> Value {
    serde_json::from_str(&std::fs::read_to_string(SCENARIOS).expect("scenarios")).expect("JSON")
}

#[test]
fn check_passes_the_sample_from_every_input() {
    let n = sample_scenarios()["scenarios"]
        .as_array()
        .map(Vec::len)
        .expect("scenarios");
    for args in [
        vec![BUNDLE, SCENARIOS],
        vec![STATE, SCENARIOS, "--server", "Orders API"],
        vec![PLAN, SCENARIOS, "--server", "Orders API"],
    ] {
        let out = check(&args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
        let text = stdout(&out);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), n + 1, "{text}");
        assert!(lines[..n].iter().all(|l| l.starts_with("PASS  ")), "{text}");
        assert_eq!(lines[n], format!("all {n} scenarios passed"));
    }
    // Two servers in the document and none chosen: bad input, and the message lists them.
    let out = check(&[STATE, SCENARIOS]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        stderr(&out)
            .contains("several authorization servers: \"Orders API\" (okta_auth_server.orders)")
    );
    // The plan's warnings name resource addresses; they go to stderr.
    let out = check(&[PLAN, SCENARIOS, "--server", "default"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the sample scenarios are not for the default server"
    );
    assert!(stderr(&out).contains(
        "warning[terraform.unknown.placeholder] module.partner.okta_auth_server_policy.partners: client_whitelist:"
    ));
}

#[test]
fn check_reports_an_edited_scenario_precisely() {
    let mut s = sample_scenarios();
    s["scenarios"][1]["expect"]["decision"]["rule"] = "Read only".into();
    s["scenarios"][6]["expect"]["access_token"]["tier"] = "standard".into();
    let file = temp("edited-scenarios.json", &s.to_string());
    let file = file.to_str().expect("path");
    let out = check(&[STATE, file, "--server", "Orders API"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let text = stdout(&out);
    assert!(text.contains(
        "FAIL  writing orders takes the second service rule\n      rule: expected \"Read only\", got \"Read and write\"\n        rule \"Read only\" (policy \"Service apps\" (00pservice)) was skipped: scope orders:write not allowed\n"
    ), "{text}");
    assert!(text.contains(
        "FAIL  a salesperson signs in to the portal\n      access_token.tier: expected \"standard\", got \"sales\"\n"
    ), "{text}");
    assert!(text.ends_with("10 passed, 2 failed\n"), "{text}");

    // The same as JSON.
    let out = check(&[STATE, file, "--server", "Orders API", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v = json_of(&out);
    assert_eq!(keys(&v), ["passed", "failed", "scenarios", "warnings"]);
    assert_eq!(
        (v["passed"].as_u64(), v["failed"].as_u64()),
        (Some(10), Some(2))
    );
    let failed = &v["scenarios"][1];
    assert_eq!(
        keys(failed),
        [
            "name",
            "passed",
            "decision",
            "error",
            "failures",
            "access_token",
            "id_token"
        ]
    );
    assert_eq!(failed["passed"], false);
    assert_eq!(failed["failures"][0]["what"], "rule");
    assert_eq!(failed["failures"][0]["expected"], "Read only");
    assert_eq!(failed["failures"][0]["actual"], "Read and write");
    assert_eq!(failed["decision"]["rule"]["id"], "0prwrite");
    assert_eq!(failed["access_token"]["scp"][1], "orders:write");
}

#[test]
fn check_refuses_bad_input_with_a_located_message() {
    // A scenario whose request has a misspelled member: file, line, column, pointer, message.
    let text = "{\"scenarios\": [\n  {\"name\": \"x\",\n   \"request\": {\"client\": {\"clientId\": \"0oa1\"}, \"grant_type\": \"client_credentials\", \"now\": \"2026-01-01T00:00:00Z\"},\n   \"expect\": {\"decision\": {}}}\n]}\n";
    let file = temp("misspelled-scenarios.json", text);
    let file = file.to_str().expect("path");
    let out = check(&[BUNDLE, file]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!(
            "check: {file}:3:62: /scenarios/0/request/grant_type: unknown field `grant_type`"
        )),
        "{err}"
    );
    assert!(stdout(&out).is_empty());

    // Not JSON: the parser's line and column.
    let file = temp("truncated-scenarios.json", "{\"scenarios\": [\n");
    let out = check(&[BUNDLE, file.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(":2:0: /: not valid JSON: EOF while parsing"),
        "{}",
        stderr(&out)
    );

    // Bad arguments, missing files, a configuration that doesn't compile.
    for args in [
        vec![BUNDLE],
        vec![BUNDLE, SCENARIOS, "--alg", "HS256"],
        vec![BUNDLE, SCENARIOS, "--frobnicate"],
        vec!["examples/data/no-such-config.json", SCENARIOS],
        vec![BUNDLE, SCENARIOS, "--server", "Payments"],
        vec![SCENARIOS, SCENARIOS],
    ] {
        let out = check(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        assert!(stdout(&out).is_empty(), "{args:?}");
    }
}

fn preview(args: &[&str]) -> Value {
    let out = run("preview", args);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
    json_of(&out)
}

fn without(mut m: Map<String, Value>, key: &str) -> Map<String, Value> {
    m.remove(key);
    m
}

/// `preview` reads the Terraform state like the bundle and mints the same claims; `check`
/// mints, for a scenario, exactly what `preview` mints for its request with the same seed.
#[test]
fn preview_reads_terraform_and_check_mints_what_preview_mints() {
    let s = sample_scenarios();
    let scenario = &s["scenarios"][6]; // the portal sign-in: access and ID tokens
    let request = temp("portal-request.json", &scenario["request"].to_string());
    let request = request.to_str().expect("path");
    let from_bundle = preview(&[BUNDLE, request, "--json", "--seed", "1"]);
    let from_state = preview(&[
        STATE,
        request,
        "--json",
        "--seed",
        "1",
        "--server",
        "Orders API",
    ]);
    let from_plan = preview(&[
        PLAN,
        request,
        "--json",
        "--seed",
        "1",
        "--server",
        "Orders API",
    ]);
    for other in [&from_state, &from_plan] {
        assert_eq!(other["decision"]["rule"], from_bundle["decision"]["rule"]);
        assert_eq!(
            other["decision"]["scopes"],
            from_bundle["decision"]["scopes"]
        );
        assert_eq!(
            other["decision"]["lifetimes"],
            from_bundle["decision"]["lifetimes"]
        );
        assert_eq!(other["jwks"], from_bundle["jwks"]);
        assert_eq!(
            other["access_token"]["header"],
            from_bundle["access_token"]["header"]
        );
        // Equal claims; Terraform lists the claims by address, so the order (and at_hash) differ.
        assert_eq!(
            other["access_token"]["payload"],
            from_bundle["access_token"]["payload"]
        );
        let id = |v: &Value| {
            without(
                v["id_token"]["payload"]
                    .as_object()
                    .cloned()
                    .expect("ID token"),
                "at_hash",
            )
        };
        assert_eq!(id(other), id(&from_bundle));
    }
    // The readable trace names the resources a decision came from.
    let out = run("preview", &[STATE, request, "--server", "Orders API"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains(
        "rule \"Everyone but contractors\" (0prstaff) at module.portal.okta_auth_server_policy_rule.staff: MATCHED"
    ), "{}", stdout(&out));
    // A server chosen by name that isn't in a bundle is bad input.
    let out = run("preview", &[BUNDLE, request, "--server", "default"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("the bundle's server is named \"Orders API\", not \"default\""));

    let out = check(&[BUNDLE, SCENARIOS, "--json", "--seed", "1"]);
    assert_eq!(out.status.code(), Some(0));
    let report = json_of(&out);
    let ran = &report["scenarios"][6];
    assert_eq!(ran["name"], scenario["name"]);
    assert_eq!(ran["access_token"], from_bundle["access_token"]["payload"]);
    assert_eq!(ran["id_token"], from_bundle["id_token"]["payload"]);
    assert_eq!(ran["decision"]["rule"], from_bundle["decision"]["rule"]);
}
