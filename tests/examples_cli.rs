//! The `preview` example's command-line contract (DESIGN.md, "Interfaces other tools rely
//! on"): the `--json` shape, determinism under `--seed`, `--code`, and the exit codes.
//!
//! Runs the example through `cargo run` (examples have no `CARGO_BIN_EXE_*`); `cargo test` has
//! already built it, so each run only starts the binary.

// A panic here is a failed test or a stopped tool, not a host brought down: the crate's
// lints for src/ (Cargo.toml) are relaxed.
#![allow(
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    unreachable_pub
)]

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn preview(args: &[&str]) -> Output {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    Command::new(env!("CARGO"))
        .current_dir(root)
        .args(["run", "--quiet", "--example", "preview", "--"])
        .args(args)
        .output()
        .expect("cargo runs")
}

const CONFIG: &str = "examples/data/config.json";

fn data(file: &str) -> String {
    format!("examples/data/{file}")
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect()
}

#[test]
fn preview_cli_contract() {
    // A code grant with offline_access: access token, thin ID token, refresh token.
    let code = data("request-code.json");
    let args = [CONFIG, code.as_str(), "--json", "--seed", "1"];
    let first = preview(&args);
    assert_eq!(first.status.code(), Some(0), "{first:?}");
    let v = json_of(&first);
    assert_eq!(
        keys(&v),
        [
            "decision",
            "error",
            "trace",
            "access_token",
            "id_token",
            "refresh_token",
            "jwks",
            "consent",
            "hook_request",
            "hook"
        ]
    );
    // An authorization-code grant from a client without consentMethod (TRUSTED): nothing to
    // ask.
    assert_eq!(v["consent"], serde_json::json!([]));
    // The rule names no token inline hook: the hook members are there, and null.
    assert!(v["hook_request"].is_null() && v["hook"].is_null());
    assert_eq!(
        keys(&v["decision"]),
        ["policy", "rule", "scopes", "lifetimes"]
    );
    assert_eq!(v["decision"]["rule"]["name"], "Everyone but contractors");
    assert!(v["error"].is_null());
    assert!(!v["trace"].as_array().expect("trace").is_empty());
    for t in ["access_token", "id_token"] {
        assert_eq!(keys(&v[t]), ["header", "payload", "compact"], "{t}");
        assert_eq!(v[t]["header"]["alg"], "RS256");
        assert_eq!(v[t]["header"]["kid"], v["jwks"]["keys"][0]["kid"]);
        assert_eq!(
            v[t]["compact"]
                .as_str()
                .expect("compact")
                .split('.')
                .count(),
            3
        );
    }
    assert_eq!(v["access_token"]["payload"]["sub"], "ann@example.com");
    assert_eq!(v["id_token"]["payload"]["sub"], "00uann");
    assert!(v["id_token"]["payload"]["at_hash"].is_string());
    assert_eq!(keys(&v["refresh_token"]), ["handle", "record"]);
    assert_eq!(
        v["refresh_token"]["handle"].as_str().map(str::len),
        Some(43)
    );
    assert_eq!(v["refresh_token"]["record"]["clientId"], "0oaportal");
    assert_eq!(v["jwks"]["keys"].as_array().map(Vec::len), Some(1));

    // Same seed, RS256: byte-identical output.
    let second = preview(&args);
    assert_eq!(first.stdout, second.stdout);

    // A hybrid response with the code: c_hash; an ES256 key on request.
    let hybrid = data("request-hybrid.json");
    let out = preview(&[
        CONFIG, &hybrid, "--json", "--seed", "1", "--alg", "es256", "--code", "abc123",
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v = json_of(&out);
    assert_eq!(v["id_token"]["header"]["alg"], "ES256");
    assert!(v["id_token"]["payload"]["c_hash"].is_string());
    assert!(v["refresh_token"].is_null());

    // A denied request: exit 1, the error, no decision, no tokens, still a JWKS.
    let denied = data("request-denied.json");
    let out = preview(&[CONFIG, &denied, "--json", "--seed", "1"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v = json_of(&out);
    assert!(v["decision"].is_null() && v["access_token"].is_null() && v["id_token"].is_null());
    assert_eq!(v["error"]["error"], "access_denied");
    assert_eq!(v["jwks"]["keys"].as_array().map(Vec::len), Some(1));

    // A claim that can't be evaluated: exit 1, the decision and the error with its cause.
    let broken = data("request-mint-error.json");
    let out = preview(&[CONFIG, &broken, "--json", "--seed", "1"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v = json_of(&out);
    assert_eq!(v["decision"]["rule"]["name"], "Everyone but contractors");
    assert_eq!(v["error"]["error"], "server_error");
    assert!(v["error"]["cause"].as_str().is_some_and(|c| !c.is_empty()));
    assert!(v["access_token"].is_null());

    // Bad arguments: exit 2.
    let out = preview(&[CONFIG, &code, "--alg", "HS256"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let out = preview(&[CONFIG, "examples/data/no-such-request.json"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

/// The quickstart runs end to end, verifies what it minted, and prints the same bytes every
/// time (fixed seed and clock).
#[test]
fn quickstart_runs_and_verifies() {
    let run = || {
        Command::new(env!("CARGO"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["run", "--quiet", "--example", "quickstart"])
            .output()
            .expect("cargo runs")
    };
    let out = run();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    // (a) access; (b) access + ID; the refresh: access + ID.
    assert_eq!(text.matches("\nverified: ").count(), 5, "{text}");
    assert!(text.contains("at_hash matches the access token"));
    assert!(text.contains("\"error\":\"access_denied\""));
    assert!(text.contains("the configuration has 3 errors"));
    assert_eq!(out.stdout, run().stdout);
}

/// The token features in the preview: a rule's inline hook (its request, an answer applied),
/// an encrypted access token, a DPoP-bound one, `acr`; and the output for a configuration
/// without them keeps its members.
#[test]
fn preview_token_features() {
    let config = data("config-token-features.json");
    let request = data("request-dpop.json");
    let answer = data("hook-response.json");
    let args = [
        config.as_str(),
        request.as_str(),
        "--json",
        "--seed",
        "1",
        "--hook-response",
        answer.as_str(),
    ];
    let out = preview(&args);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v = json_of(&out);
    assert_eq!(
        keys(&v),
        [
            "decision",
            "error",
            "trace",
            "access_token",
            "id_token",
            "refresh_token",
            "jwks",
            "consent",
            "hook_request",
            "hook",
            "token_type"
        ]
    );
    assert_eq!(v["token_type"], "DPoP");
    assert_eq!(
        v["hook_request"]["eventType"],
        "com.okta.oauth2.tokens.transform"
    );
    assert_eq!(
        v["hook_request"]["data"]["access"]["claims"]["exp"],
        1772370000
    );
    assert_eq!(
        v["hook"],
        serde_json::json!({"applied": true, "operations": 3})
    );
    let at = &v["access_token"];
    assert_eq!(at["header"]["alg"], "RSA-OAEP-256");
    assert_eq!(at["header"]["kid"], "orders-rs-enc-1");
    assert_eq!(
        at["compact"].as_str().map(|c| c.split('.').count()),
        Some(5)
    );
    assert_eq!(
        at["payload"]["external_guid"],
        "F0384685-F87D-474B-848D-2058AC5655A7"
    );
    assert_eq!(at["payload"]["exp"], 1772366400 + 600);
    assert_eq!(at["payload"]["acr"], "urn:okta:loa:2fa:any");
    assert!(at["payload"]["cnf"]["jkt"].is_string());
    assert_eq!(
        v["refresh_token"]["record"]["jkt"],
        at["payload"]["cnf"]["jkt"]
    );
    assert_eq!(v["id_token"]["payload"]["extPatientId"], "1234");
    assert!(v["id_token"]["payload"]["at_hash"].is_string());
    assert_eq!(preview(&args).stdout, out.stdout, "byte-identical per seed");

    // Without an answer: the hook request, no report, the tokens unchanged.
    let out = preview(&args[..5]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v = json_of(&out);
    assert!(v["hook"].is_null() && v["hook_request"].is_object());
    assert!(v["access_token"]["payload"]["external_guid"].is_null());

    // An answer with an error object: exit 1, server_error with its summary.
    let dir = std::env::temp_dir().join(format!("tokenmint-preview-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let error = dir.join("error.json");
    std::fs::write(
        &error,
        r#"{"error": {"errorSummary": "Patient not found"}}"#,
    )
    .expect("write");
    let mut with_error = args;
    with_error[6] = error.to_str().expect("utf-8 path");
    let out = preview(&with_error);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v = json_of(&out);
    assert_eq!(v["error"]["error"], "server_error");
    assert_eq!(v["error"]["error_description"], "Patient not found");

    // An answer for a rule without a hook: bad arguments.
    let code = data("request-code.json");
    let out = preview(&[CONFIG, &code, "--hook-response", &answer]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
