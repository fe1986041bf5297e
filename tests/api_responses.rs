//! `ApiResponses`: a server assembled from the Management API responses, as data.
//!
//! `tests/api/cases.json` is `{"cases": [{"name", "server": B, "scopes"?: [B], "claims"?: [B],
//! "policies"?: [B], "rules"?: [["<policy id>", B]], "expect": {"ok": true, "config"?: <subset
//! of the bundle JSON>} | {"errors": [{"code", "path"?, "message"?: "<substring>"}]}}]}` where a
//! body `B` is any JSON value (sent as its text) or `{"$text": "<raw body>"}`; the list members
//! hold one body per page. The sample server's real-shaped responses are under
//! `tests/api/orders/` (used by `tests/check_sources.rs`).

use serde::Deserialize;
use serde_json::Value;
use std::fs;
use std::path::Path;
use tokenmint::config::ApiResponses;

fn body(v: &Value) -> String {
    match v.get("$text") {
        Some(Value::String(s)) => s.clone(),
        _ => v.to_string(),
    }
}

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

/// The cases file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Cases {
    cases: Vec<Case>,
}

/// One assembly: the server, its pages (each a body, or `{"$text": ...}`), what to expect.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    server: Value,
    #[serde(default)]
    scopes: Vec<Value>,
    #[serde(default)]
    claims: Vec<Value>,
    #[serde(default)]
    policies: Vec<Value>,
    /// `[policy id, page]` pairs.
    #[serde(default)]
    rules: Vec<(String, Value)>,
    expect: Expect,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct Expect {
    #[serde(default)]
    ok: bool,
    /// A subset of the assembled configuration.
    #[serde(default)]
    config: Option<Value>,
    #[serde(default)]
    errors: Vec<WantError>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct WantError {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

#[test]
fn api_response_cases() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/api/cases.json");
    let cases: Cases =
        serde_json::from_str(&fs::read_to_string(path).expect("file")).expect("cases file");
    let mut failures = Vec::new();
    let cases = cases.cases;
    assert!(cases.len() >= 10);
    for case in &cases {
        let name = case.name.as_str();
        let mut r = ApiResponses::new(&body(&case.server));
        for p in &case.scopes {
            r = r.scopes(&body(p));
        }
        for p in &case.claims {
            r = r.claims(&body(p));
        }
        for p in &case.policies {
            r = r.policies(&body(p));
        }
        for (policy, page) in &case.rules {
            r = r.rules(policy, &body(page));
        }
        let expect = &case.expect;
        match (r.into_config(), expect.ok) {
            (Ok(cfg), true) => {
                let got = serde_json::to_value(&cfg).expect("serializable");
                if let Some(want) = &expect.config
                    && !subset(want, &got)
                {
                    failures.push(format!("{name}: {got}\n  is not a superset of {want}"));
                }
            }
            (Ok(cfg), false) => failures.push(format!(
                "{name}: assembled, expected {expect:?}: {}",
                cfg.to_json_pretty()
            )),
            (Err(e), true) => failures.push(format!("{name}: {e}")),
            (Err(e), false) => {
                assert!(!expect.errors.is_empty(), "{name}: expect ok or errors");
                for w in &expect.errors {
                    let hit = e.diagnostics.iter().any(|d| {
                        d.is_error()
                            && w.code.as_deref().is_none_or(|c| c == d.code)
                            && w.path.as_deref().is_none_or(|p| p == d.path)
                            && w.message
                                .as_deref()
                                .is_none_or(|m| d.to_string().contains(m))
                    });
                    if !hit {
                        failures.push(format!("{name}: no error like {w:?} in:\n  {e}"));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
