//! Token inline hooks as data: every file of `tests/hook/` is run here.
//!
//! - `request.json`: `{"cases": [{"name", "input": <HookInput>, "expect": <body>}]}`; the body
//!   must be equal member for member, in order.
//! - any other file: `{"defaults": {"tokens": …}?, "cases": [{"name", "tokens"?, "response" |
//!   "raw", "limits"?, "expect"}]}` where `expect` is `{"applied": <tokens>, "operations"}`,
//!   `{"ignored": <refusal kind>, "reason"?}` or `{"error": <OAuth error body>}`. `limits`
//!   overrides members of `HookLimits` by their Rust names.
//!
//! A case is added by adding an object to a file; no Rust is needed.

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
use tokenmint::hook::{
    HookInput, HookLimits, HookOutcome, HookTokens, apply_response, apply_response_value,
    request_body,
};

/// `request.json`: inputs and the request bodies they give.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestFile {
    #[allow(dead_code)] // read by people
    about: String,
    cases: Vec<RequestCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestCase {
    name: String,
    input: Value,
    expect: Value,
}

/// Any other file: answers applied to tokens.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResponseFile {
    #[allow(dead_code)] // read by people
    about: String,
    #[serde(default)]
    defaults: Defaults,
    cases: Vec<ResponseCase>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Defaults {
    #[serde(default)]
    tokens: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResponseCase {
    name: String,
    #[serde(default)]
    tokens: Option<Value>,
    #[serde(default)]
    response: Value,
    #[serde(default)]
    raw: Option<String>,
    #[serde(default)]
    limits: LimitOverrides,
    expect: ResponseExpect,
}

/// Members of `HookLimits` to override, by their Rust names.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct LimitOverrides {
    max_response_bytes: Option<usize>,
    max_commands: Option<usize>,
    max_operations: Option<usize>,
    max_path_bytes: Option<usize>,
    max_path_depth: Option<usize>,
    max_value_depth: Option<usize>,
    max_claims_bytes: Option<usize>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct ResponseExpect {
    /// The tokens after the answer, and how many operations it applied.
    #[serde(default)]
    applied: Option<Value>,
    #[serde(default)]
    operations: Option<u64>,
    /// The refusal kind, and its exact wording when given.
    #[serde(default)]
    ignored: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    /// The OAuth error body.
    #[serde(default)]
    error: Option<Value>,
}

fn limits(o: &LimitOverrides) -> HookLimits {
    let mut l = HookLimits::default();
    let set = |field: &mut usize, v: Option<usize>| {
        if let Some(n) = v {
            *field = n;
        }
    };
    set(&mut l.max_response_bytes, o.max_response_bytes);
    set(&mut l.max_commands, o.max_commands);
    set(&mut l.max_operations, o.max_operations);
    set(&mut l.max_path_bytes, o.max_path_bytes);
    set(&mut l.max_path_depth, o.max_path_depth);
    set(&mut l.max_value_depth, o.max_value_depth);
    set(&mut l.max_claims_bytes, o.max_claims_bytes);
    l
}

fn run_request_cases(file: &RequestFile) -> usize {
    for case in &file.cases {
        let name = case.name.as_str();
        let input: HookInput = serde_json::from_value(case.input.clone())
            .unwrap_or_else(|e| panic!("{name}: input: {e}"));
        let body = request_body(&input);
        assert_eq!(
            serde_json::to_string_pretty(&body).unwrap(),
            serde_json::to_string_pretty(&case.expect).unwrap(),
            "{name}"
        );
        // The input round-trips through its JSON form.
        let again: HookInput =
            serde_json::from_value(serde_json::to_value(&input).unwrap()).unwrap();
        assert_eq!(again, input, "{name}");
    }
    file.cases.len()
}

fn run_response_cases(path: &str, file: &ResponseFile) -> usize {
    for case in &file.cases {
        let name = format!("{path}: {}", case.name);
        let tokens_json = case
            .tokens
            .clone()
            .or_else(|| file.defaults.tokens.clone())
            .unwrap_or_default();
        let tokens: HookTokens =
            serde_json::from_value(tokens_json).unwrap_or_else(|e| panic!("{name}: tokens: {e}"));
        let limits = limits(&case.limits);
        let body = match &case.raw {
            Some(raw) => raw.clone().into_bytes(),
            None => serde_json::to_vec(&case.response).unwrap(),
        };
        let outcome = apply_response(&tokens, &body, &limits);
        // The parsed form gives the same outcome (but for the body-size limit).
        if let Ok(value) = serde_json::from_slice::<Value>(&body)
            && body.len() <= limits.max_response_bytes
        {
            assert_eq!(
                apply_response_value(&tokens, &value, &limits),
                outcome,
                "{name}"
            );
        }
        let expect = &case.expect;
        match &outcome {
            HookOutcome::Applied {
                tokens: patched,
                operations,
            } => {
                let want = expect
                    .applied
                    .as_ref()
                    .unwrap_or_else(|| panic!("{name}: applied, expected {expect:?}"));
                assert_eq!(
                    serde_json::to_string_pretty(patched).unwrap(),
                    serde_json::to_string_pretty(want).unwrap(),
                    "{name}"
                );
                assert_eq!(Some(*operations as u64), expect.operations, "{name}");
            }
            HookOutcome::Ignored(refusal) => {
                assert_eq!(
                    expect.ignored.as_deref(),
                    Some(refusal.kind.id()),
                    "{name}: ignored because {refusal}"
                );
                if let Some(reason) = &expect.reason {
                    assert_eq!(refusal.to_string(), *reason, "{name}");
                }
            }
            HookOutcome::Error(e) => {
                assert_eq!(
                    Some(&e.to_json()),
                    expect.error.as_ref(),
                    "{name}: failed with {e}"
                );
                assert_eq!(e.error(), "server_error");
            }
        }
    }
    file.cases.len()
}

#[test]
fn hook_cases_from_data() {
    let mut files: Vec<_> = std::fs::read_dir("tests/hook")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut total = 0;
    let mut kinds = std::collections::BTreeSet::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bad = |e: serde_json::Error| -> ! { panic!("{}: {e}", path.display()) };
        total += if name == "request.json" {
            run_request_cases(&serde_json::from_str(&text).unwrap_or_else(|e| bad(e)))
        } else {
            let file: ResponseFile = serde_json::from_str(&text).unwrap_or_else(|e| bad(e));
            for case in &file.cases {
                if let Some(k) = &case.expect.ignored {
                    kinds.insert(k.clone());
                }
            }
            run_response_cases(&name, &file)
        };
    }
    assert!(files.len() >= 4, "{files:?}");
    assert!(total >= 100, "{total} cases");
    // Every refusal kind of the module docs' table has a case.
    for kind in [
        "not_json",
        "not_object",
        "too_large",
        "commands_not_array",
        "too_many_commands",
        "command_not_object",
        "unknown_command",
        "token_not_minted",
        "value_not_array",
        "too_many_operations",
        "operation_not_object",
        "unknown_op",
        "bad_path",
        "path_too_long",
        "path_too_deep",
        "system_claim",
        "reserved_claim",
        "id_token_aud_sub",
        "claim_absent",
        "target_absent",
        "not_container",
        "bad_index",
        "value_missing",
        "value_too_deep",
        "remove_with_value",
        "lifetime_op",
        "lifetime_value",
        "claims_too_large",
    ] {
        assert!(kinds.contains(kind), "no case for {kind}");
    }
}

#[test]
fn hostile_answers_stay_bounded() {
    let tokens: HookTokens = serde_json::from_value(serde_json::json!({
        "access": {"claims": {"sub": "ann", "list": []}, "lifetime": 3600}}))
    .unwrap();
    let limits = HookLimits::default();
    // A value nested far deeper than serde_json parses, built in memory: refused without
    // recursion.
    let mut deep = Value::Null;
    for _ in 0..100_000 {
        deep = Value::Array(vec![deep]);
    }
    // (Built by hand: `json!` would serialize the value recursively.)
    let mut op = serde_json::json!({"op": "add", "path": "/claims/x"});
    op.as_object_mut().unwrap().insert("value".into(), deep);
    let mut answer = serde_json::json!({"commands": [{"type": "com.okta.access.patch"}]});
    answer["commands"][0]
        .as_object_mut()
        .unwrap()
        .insert("value".into(), Value::Array(vec![op]));
    let HookOutcome::Ignored(r) = apply_response_value(&tokens, &answer, &limits) else {
        panic!("a deep value must be refused");
    };
    assert_eq!(r.kind.id(), "value_too_deep");
    // Drop the deep value without recursion.
    let mut stack = vec![answer["commands"][0]["value"][0]["value"].take()];
    while let Some(v) = stack.pop() {
        if let Value::Array(mut a) = v {
            stack.append(&mut a);
        }
    }
    // Many appends are bounded by the operation limit.
    let op = serde_json::json!({"op": "add", "path": "/claims/list/-", "value": "x"});
    let answer = serde_json::json!({"commands": [{"type": "com.okta.access.patch",
        "value": vec![op; 10_000]}]});
    let HookOutcome::Ignored(r) = apply_response_value(&tokens, &answer, &limits) else {
        panic!("too many operations must be refused");
    };
    assert_eq!(r.kind.id(), "too_many_operations");
    // A long path is refused before it is split.
    let path = format!("/claims/list{}", "/0".repeat(100_000));
    let answer = serde_json::json!({"commands": [{"type": "com.okta.access.patch",
        "value": [{"op": "replace", "path": path, "value": 1}]}]});
    let HookOutcome::Ignored(r) = apply_response_value(&tokens, &answer, &limits) else {
        panic!("a long path must be refused");
    };
    assert_eq!(r.kind.id(), "path_too_long");
    // Long names in the trace are cut.
    let answer = serde_json::json!({"commands": [{"type": "x".repeat(10_000), "value": []}]});
    let HookOutcome::Ignored(r) = apply_response_value(&tokens, &answer, &limits) else {
        panic!("unknown command");
    };
    assert!(r.to_string().len() < 200, "{}", r.to_string().len());
}
