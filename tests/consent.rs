//! The consent matrix as data: `tests/consent/matrix.json`.
//!
//! Each case has `name`, optional `cell` (the row of Okta's matrix it covers), `grantType`,
//! optional `prompt`, client `consentMethod` and `consentGranted`, `scopes` (an object: scope name
//! → its `consent` mode, in request order) and `expect`: `{"ask": [...]}` (the scopes to ask the
//! user for; `null` when the grant type shows no consent screen) or `{"error": {"error",
//! "error_description"}}`.
//!
//! Every case runs twice: through `policy::consent::decide`, and through `evaluate` and
//! `explain` of a server whose one rule allows every scope (the grant's `consent` member, or the
//! error), so that the decision the preview shows is the one the function makes.

// A panic here is a failed test, not a host brought down: the crate's lints for src/
// (Cargo.toml) are relaxed.
#![allow(clippy::indexing_slicing, clippy::expect_used, clippy::unwrap_used)]

use serde_json::{Value, json};
use std::path::Path;
use tokenmint::config::{Consent, GrantType};
use tokenmint::consent::{ConsentMethod, Prompt, decide};
use tokenmint::{AuthorizationServer, Options, ServerConfig, TokenRequest};

fn from<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T, String> {
    serde_json::from_value(v.clone()).map_err(|e| format!("{v}: {e}"))
}

/// The decision as the expected JSON: `{"ask": …}` or `{"error": {…}}`.
fn outcome(r: Result<Option<Vec<String>>, tokenmint::OAuthError>) -> Value {
    match r {
        Ok(ask) => json!({ "ask": ask }),
        Err(e) => json!({ "error": e.to_json() }),
    }
}

fn run(case: &Value) -> Result<(), String> {
    let grant: GrantType = from(&case["grantType"])?;
    let prompt: Option<Prompt> = from(&case["prompt"])?;
    let method: Option<ConsentMethod> = from(&case["consentMethod"])?;
    let granted: Option<Vec<String>> = from(&case["consentGranted"])?;
    let scopes = case["scopes"]
        .as_object()
        .ok_or("scopes must be an object")?;
    let modes: Vec<(&str, Consent)> = scopes
        .iter()
        .map(|(k, v)| Ok((k.as_str(), from(v)?)))
        .collect::<Result<_, String>>()?;
    let expect = &case["expect"];

    // The function.
    let direct = outcome(decide(
        &grant,
        modes.iter().copied(),
        method.unwrap_or_default(),
        prompt,
        granted.as_deref().unwrap_or_default(),
    ));
    if &direct != expect {
        return Err(format!("decide: expected {expect}, got {direct}"));
    }

    // The same decision through evaluate and explain.
    let user_flow = grant != GrantType::ClientCredentials;
    let mut rule = json!({
        "name": "All", "priority": 1,
        "conditions": {"grantTypes": {"include": [grant]}, "scopes": {"include": ["*"]}},
        "actions": {"token": {"accessTokenLifetimeMinutes": 60, "refreshTokenLifetimeMinutes": 0,
                              "refreshTokenWindowMinutes": 10080}}});
    if user_flow {
        rule["conditions"]["people"] = json!({"groups": {"include": ["EVERYONE"]}});
    }
    let config = json!({
        "authorizationServer": {"id": "aus1", "name": "api", "audiences": ["api://orders"],
                                "issuer": "https://example.okta.com/oauth2/aus1"},
        "scopes": scopes.iter().map(|(name, consent)| json!({"name": name, "consent": consent}))
            .collect::<Vec<_>>(),
        "policies": [{"name": "Apps", "description": "Apps", "priority": 1,
                      "conditions": {"clients": {"include": ["ALL_CLIENTS"]}},
                      "rules": [rule]}]});
    let config = ServerConfig::from_value(config).map_err(|e| e.to_string())?;
    let server =
        AuthorizationServer::compile(config, Options::default()).map_err(|e| e.to_string())?;
    let mut request = json!({
        "client": {"clientId": "0oaweb"},
        "grantType": grant,
        "scopes": scopes.keys().collect::<Vec<_>>(),
        "now": "2026-03-01T12:00:00Z"});
    if let Some(m) = method {
        request["client"]["consentMethod"] = json!(m);
    }
    if user_flow {
        request["user"] = json!({"id": "00uann", "profile": {"login": "ann@example.com"}});
        request["appuser"] = json!({"userName": "ann@example.com"});
        request["idp"] = json!("00o1org");
    }
    if let Some(p) = prompt {
        request["prompt"] = json!(p);
    }
    if let Some(g) = &granted {
        request["consentGranted"] = json!(g);
    }
    let request = TokenRequest::from_json(&request.to_string()).map_err(|e| e.to_string())?;
    let result = server.evaluate(&request);
    let trace = server.explain(&request);
    if trace.clone().into_result() != result {
        return Err(format!("explain and evaluate disagree:\n{trace}"));
    }
    let evaluated = outcome(result.map(|g| g.consent));
    if &evaluated != expect {
        return Err(format!(
            "evaluate: expected {expect}, got {evaluated}\n{trace}"
        ));
    }
    Ok(())
}

#[test]
fn consent_matrix() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/consent/matrix.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 24, "every cell of the matrix");
    let mut failures = Vec::new();
    for case in cases {
        if let Err(e) = run(case) {
            failures.push(format!("{}: {e}", case["name"]));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}
