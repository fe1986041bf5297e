//! Runs every scenario in `tests/policy/*.json`.
//!
//! A scenario file holds `description`, optional `options` (`{"implicitOidcScopes": true,
//! "orgId": "00o…"}`), the
//! configuration — a `config` bundle, or `base` (a file of `tests/policy/base/`, named without
//! `.json`) with an optional `patch` (RFC 6902 JSON Patch) applied to it — a `request`, and
//! `expect`: either `{"grant": {...}}` (every member given is compared with the serialized
//! [`Grant`](tokenmint::Grant)) or `{"error": {"error", "error_description", "status"?}}`. An
//! optional `trace` lists lines that must appear, in that order, in the readable trace of
//! `explain`. A member the harness does not know fails the scenario.

// A panic here is a failed test or a stopped tool, not a host brought down: the crate's
// lints for src/ (Cargo.toml) are relaxed.
#![allow(
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    unreachable_pub
)]

use serde::Deserialize;
use serde_json::{Map, Value};
use std::path::Path;
use tokenmint::{AuthorizationServer, Options, ServerConfig, TokenRequest};

/// One scenario file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Scenario {
    #[allow(dead_code)] // read by people
    description: String,
    #[serde(default)]
    options: ScenarioOptions,
    #[serde(default)]
    config: Option<Value>,
    #[serde(default)]
    base: Option<String>,
    #[serde(default)]
    patch: Option<json_patch::Patch>,
    request: Value,
    expect: Expect,
    #[serde(default)]
    trace: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ScenarioOptions {
    #[serde(default)]
    implicit_oidc_scopes: Option<bool>,
    /// `Options::org_id`.
    #[serde(default)]
    org_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
enum Expect {
    /// Members of the serialized grant, compared one by one.
    Grant(Map<String, Value>),
    /// The OAuth error.
    Error(ExpectedError),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedError {
    error: String,
    error_description: String,
    #[serde(default)]
    status: Option<u16>,
}

/// The configuration of a scenario: its own, or its base with its patch applied.
fn config_of(s: &Scenario, dir: &Path) -> Result<Value, String> {
    match (&s.config, &s.base) {
        (Some(config), None) if s.patch.is_none() => Ok(config.clone()),
        (None, Some(base)) => {
            let path = dir.join("base").join(format!("{base}.json"));
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("base {}: {e}", path.display()))?;
            let mut doc: Value =
                serde_json::from_str(&text).map_err(|e| format!("base {base}: {e}"))?;
            if let Some(patch) = &s.patch {
                json_patch::patch(&mut doc, patch).map_err(|e| format!("patch: {e}"))?;
            }
            Ok(doc)
        }
        _ => Err("give either config, or base with an optional patch".into()),
    }
}

fn run(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let s: Scenario = serde_json::from_str(&text).map_err(|e| format!("bad scenario: {e}"))?;
    let mut options = Options::default();
    if let Some(b) = s.options.implicit_oidc_scopes {
        options.implicit_oidc_scopes = b;
    }
    if let Some(id) = &s.options.org_id {
        options.org_id = Some(id.clone());
    }
    let dir = path.parent().ok_or("a scenario is in a directory")?;
    let config = ServerConfig::from_value(config_of(&s, dir)?).map_err(|e| e.to_string())?;
    let server = AuthorizationServer::compile(config, options).map_err(|e| e.to_string())?;
    let request = TokenRequest::from_json(&s.request.to_string()).map_err(|e| e.to_string())?;
    let result = server.evaluate(&request);
    let trace = server.explain(&request);
    if trace.clone().into_result() != result {
        return Err(format!(
            "explain and evaluate disagree:\n{trace}\nevaluate: {result:?}"
        ));
    }
    match &s.expect {
        Expect::Grant(g) => {
            let grant = result.map_err(|e| format!("expected a grant, got {e}\n{trace}"))?;
            let actual = serde_json::to_value(&grant).map_err(|e| e.to_string())?;
            for (k, v) in g {
                if &actual[k] != v {
                    return Err(format!(
                        "grant.{k}: expected {v}, got {}\n{trace}",
                        actual[k]
                    ));
                }
            }
        }
        Expect::Error(e) => {
            let err = match result {
                Ok(g) => {
                    return Err(format!(
                        "expected error {}, got a grant by {} / {}\n{trace}",
                        e.error, g.policy, g.rule
                    ));
                }
                Err(err) => err,
            };
            let body = err.to_json();
            if body["error"] != e.error.as_str()
                || body["error_description"] != e.error_description.as_str()
            {
                return Err(format!(
                    "expected {} {:?}, got {body}\n{trace}",
                    e.error, e.error_description
                ));
            }
            if let Some(st) = e.status
                && err.status() != st
            {
                return Err(format!("expected HTTP {st}, got {}", err.status()));
            }
        }
    }
    if !s.trace.is_empty() {
        let shown = trace.to_string();
        let mut rest = shown.as_str();
        for l in &s.trace {
            match rest.find(l.as_str()) {
                Some(i) => rest = &rest[i + l.len()..],
                None => return Err(format!("trace lacks (in order) {l:?}:\n{shown}")),
            }
        }
    }
    Ok(())
}

#[test]
fn policy_scenarios() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/policy");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/policy exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    assert!(
        paths.len() >= 40,
        "expected 40+ scenarios, found {}",
        paths.len()
    );
    let mut failures = Vec::new();
    for p in &paths {
        if let Err(e) = run(p) {
            failures.push(format!("{}: {e}", p.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} scenarios failed:\n\n{}",
        failures.len(),
        paths.len(),
        failures.join("\n\n")
    );
}

/// The sample files of `examples/preview` load and decide as their names say.
#[test]
fn example_data() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data");
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).expect("sample file exists");
    let cfg = ServerConfig::from_json(&read("config.json")).expect("sample config loads");
    let server = AuthorizationServer::compile(cfg, Options::default()).expect("compiles");
    for (file, rule) in [
        ("request-client-credentials.json", Some("Read and write")),
        ("request-code.json", Some("Everyone but contractors")),
        ("request-refresh.json", Some("Everyone but contractors")),
        ("request-denied.json", None),
        (
            "request-implicit-id-token.json",
            Some("Everyone but contractors"),
        ),
        ("request-hybrid.json", Some("Everyone but contractors")),
        ("request-mint-error.json", Some("Everyone but contractors")),
    ] {
        let req = TokenRequest::from_json(&read(file)).expect("sample request parses");
        let result = server.evaluate(&req);
        match rule {
            Some(r) => assert_eq!(result.expect(file).rule.name, r, "{file}"),
            None => assert_eq!(result.expect_err(file).error(), "access_denied"),
        }
    }
}

/// Grants and traces survive a JSON round trip (a host stores grants with authorization codes).
#[test]
fn grant_and_trace_round_trip() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data");
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).expect("sample file exists");
    let cfg = ServerConfig::from_json(&read("config.json")).expect("sample config loads");
    let server = AuthorizationServer::compile(cfg, Options::default()).expect("compiles");
    for f in [
        "request-code.json",
        "request-denied.json",
        "request-refresh.json",
    ] {
        let req = TokenRequest::from_json(&read(f)).expect("parses");
        let trace = server.explain(&req);
        let json = serde_json::to_string(&trace).expect("serializes");
        let back: tokenmint::trace::Trace = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, trace, "{f}");
        if let Ok(grant) = server.evaluate(&req) {
            let json = serde_json::to_string(&grant).expect("serializes");
            let back: tokenmint::Grant = serde_json::from_str(&json).expect("deserializes");
            assert_eq!(back, grant, "{f}");
        }
    }
}

/// A refresh record made from a grant, redeemed, and rotated: the chain keeps its start,
/// lifetime, original scopes and original authentication.
#[test]
fn refresh_records_chain() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data");
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).expect("sample file exists");
    let cfg = ServerConfig::from_json(&read("config.json")).expect("sample config loads");
    let server = AuthorizationServer::compile(cfg, Options::default()).expect("compiles");
    let code = TokenRequest::from_json(&read("request-code.json")).expect("parses");
    let grant = server.evaluate(&code).expect("granted");
    let t0 = code.now;
    let record = grant.refresh_record(t0);
    assert_eq!(record.first_issued_at, t0);
    assert_eq!(record.grant_type.as_str(), "authorization_code");
    assert_eq!(record.user_id.as_deref(), Some("00uann"));
    assert_eq!(record.scopes, grant.scopes);

    let mut refresh = TokenRequest::from_json(&read("request-refresh.json")).expect("parses");
    refresh.refresh = Some(record.clone());
    refresh.now = t0 + chrono::Duration::hours(5);
    let again = server.evaluate(&refresh).expect("refresh granted");
    assert_eq!(
        again.original_grant_type.as_ref().map(|g| g.as_str()),
        Some("authorization_code")
    );
    let rotated = again.refresh_record(refresh.now);
    assert_eq!(rotated.first_issued_at, t0);
    assert_eq!(rotated.last_used_at, Some(refresh.now));
    assert_eq!(rotated.grant_type.as_str(), "authorization_code");
    // The refresh narrowed the tokens' scopes, not the record's: a later refresh may ask for
    // any of the original scopes again (RFC 6749 §6).
    assert_eq!(again.scopes, ["openid", "orders:read"]);
    assert_eq!(rotated.scopes, record.scopes);
    // The original authentication travels with the chain.
    assert_eq!(rotated.auth_time, record.auth_time);
    assert_eq!(rotated.amr, record.amr);
    assert_eq!(rotated.idp, record.idp);
}
