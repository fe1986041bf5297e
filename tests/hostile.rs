//! The hostile-input suite: every case in `tests/hostile/*.jsonl` must give its expected typed
//! error (or value) within its time and memory bounds, and never panic or abort.
//!
//! One JSON object a line:
//!
//! * Expression cases: `{"name", "expr", "ctx"?: <name in tests/el/contexts.json>,
//!   "context"?: {...}, "expect": {...}, "maxSeconds"?, "maxMiB"?, "note"?}` where `expect` is
//!   `{"error": "<EvalErrorKind>"}` (its `Debug` name, e.g. `"Limit"`), `{"compileError":
//!   "<substring of the message>"}`, `{"value": <JSON>}`, or `{"ok": true}` (any value).
//! * Configuration cases: `{"name", "config": {...}, "request"?: {...}, "expect": {...}, ...}`
//!   where `expect` is `{"compiles": true}`, `{"configError": "<diagnostic code>"}`,
//!   `{"error": "<OAuth error code>", "errorDescription"?: "..."}` (the request is evaluated
//!   and, if granted, minted), or `{"granted": true}` (evaluated and minted without error).
//!
//! Any JSON value may be generated instead of written out, so large inputs stay small here:
//! `{"$repeat": ["ab", 3]}` is `"ababab"`; `{"$for": 3, "as": "i", "do": T}` is an array of
//! three copies of `T` with `{i}` in every string replaced by 0, 1, 2; `{"$int": "{i}", "plus":
//! 1}` is the integer after replacement, plus the offset; `{"$concat": [A, B, ...]}` joins
//! arrays. Generators nest.
//!
//! Each case is timed and its peak heap use measured (a counting allocator); the defaults are
//! 2 seconds (in a debug build) and 64 MiB.

// A panic here is a failed test or a stopped tool, not a host brought down: the crate's
// lints for src/ (Cargo.toml) are relaxed.
#![allow(
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    unreachable_pub
)]

use std::alloc::System;
use std::fs;
use std::path::Path;
use std::time::Instant;

use chrono::{TimeZone, Utc};
use peakmem_alloc::{INSTRUMENTED_SYSTEM, PeakMemAlloc, PeakMemAllocTrait};
use rand::SeedableRng;
use serde::Deserialize;
use serde_json::{Map, Value as Json};
use tokenmint::config::RotationMode;
use tokenmint::el::{self, Context, Limits};
use tokenmint::token::{Algorithm, KeySet};
use tokenmint::{AuthorizationServer, Options, ServerConfig, TokenRequest};

#[global_allocator]
static GLOBAL: &PeakMemAlloc<System> = &INSTRUMENTED_SYSTEM;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Case {
    name: String,
    #[serde(default)]
    expr: Option<Json>,
    #[serde(default)]
    ctx: Option<String>,
    #[serde(default)]
    context: Option<Json>,
    #[serde(default)]
    config: Option<Json>,
    #[serde(default)]
    request: Option<Json>,
    expect: Expect,
    #[serde(default)]
    max_seconds: Option<f64>,
    #[serde(default, rename = "maxMiB")]
    max_mib: Option<f64>,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Expect {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
    #[serde(default)]
    compile_error: Option<String>,
    #[serde(default)]
    value: Option<Json>,
    #[serde(default)]
    ok: Option<bool>,
    #[serde(default)]
    compiles: Option<bool>,
    #[serde(default)]
    config_error: Option<String>,
    #[serde(default)]
    granted: Option<bool>,
}

/// Expands the generators described in the module documentation.
fn expand(v: &Json, vars: &[(String, usize)]) -> Result<Json, String> {
    let subst = |s: &str| {
        let mut out = s.to_owned();
        for (name, i) in vars {
            out = out.replace(&format!("{{{name}}}"), &i.to_string());
        }
        out
    };
    Ok(match v {
        Json::String(s) => Json::String(subst(s)),
        Json::Array(a) => Json::Array(
            a.iter()
                .map(|x| expand(x, vars))
                .collect::<Result<_, _>>()?,
        ),
        Json::Object(o) if o.contains_key("$repeat") => {
            let args = o["$repeat"].as_array().ok_or("$repeat takes [text, n]")?;
            let (Some(Json::String(s)), Some(n)) =
                (args.first(), args.get(1).and_then(Json::as_u64))
            else {
                return Err("$repeat takes [text, n]".into());
            };
            Json::String(subst(s).repeat(n as usize))
        }
        Json::Object(o) if o.contains_key("$for") => {
            let n = o["$for"].as_u64().ok_or("$for takes a count")?;
            let name = o.get("as").and_then(Json::as_str).unwrap_or("i").to_owned();
            let body = o.get("do").ok_or("$for needs \"do\"")?;
            let mut out = Vec::with_capacity(n as usize);
            for i in 0..n as usize {
                let mut inner = vars.to_vec();
                inner.push((name.clone(), i));
                out.push(expand(body, &inner)?);
            }
            Json::Array(out)
        }
        Json::Object(o) if o.contains_key("$int") => {
            let s = subst(o["$int"].as_str().ok_or("$int takes a string")?);
            let n: i64 = s
                .parse()
                .map_err(|_| format!("$int: {s} is not a number"))?;
            Json::from(n + o.get("plus").and_then(Json::as_i64).unwrap_or(0))
        }
        Json::Object(o) if o.contains_key("$concat") => {
            let mut out = Vec::new();
            for part in o["$concat"].as_array().ok_or("$concat takes arrays")? {
                match expand(part, vars)? {
                    Json::Array(a) => out.extend(a),
                    _ => return Err("$concat takes arrays".into()),
                }
            }
            Json::Array(out)
        }
        Json::Object(o) => {
            let mut m = Map::new();
            for (k, x) in o {
                m.insert(k.clone(), expand(x, vars)?);
            }
            Json::Object(m)
        }
        other => other.clone(),
    })
}

fn context(case: &Case, contexts: &Json) -> Result<Json, String> {
    let mut ctx = Map::new();
    if let Some(name) = &case.ctx {
        let named = contexts
            .get(name)
            .and_then(Json::as_object)
            .ok_or_else(|| format!("unknown context {name}"))?;
        ctx.extend(named.clone());
    }
    if let Some(inline) = &case.context {
        match expand(inline, &[])? {
            Json::Object(o) => ctx.extend(o),
            _ => return Err("context must be an object".into()),
        }
    }
    Ok(Json::Object(ctx))
}

/// Runs an expression case; returns what happened, as text, or a mismatch.
fn run_expr(case: &Case, contexts: &Json) -> Result<String, String> {
    let expr = match expand(case.expr.as_ref().ok_or("no expr")?, &[])? {
        Json::String(s) => s,
        _ => return Err("expr must be a string".into()),
    };
    let ctx = Context::from_json(&context(case, contexts)?).map_err(|e| e.to_string())?;
    let e = &case.expect;
    let program = match el::compile(&expr, &Limits::default()) {
        Ok(p) => p,
        Err(err) => {
            let msg = format!("{err:#}");
            return match &e.compile_error {
                Some(want) if msg.contains(want.as_str()) => Ok(format!("compile error: {msg}")),
                _ => Err(format!("compile error: {msg}")),
            };
        }
    };
    if e.compile_error.is_some() {
        return Err("compiled".into());
    }
    match program.eval(&ctx) {
        Ok(v) => {
            let got = v.to_json();
            let shown = short(&got);
            match (&e.value, e.ok) {
                (Some(want), _) if *want == got => Ok(format!("value {shown}")),
                (None, Some(true)) if e.error.is_none() => Ok(format!("value {shown}")),
                _ => Err(format!("value {shown}")),
            }
        }
        Err(err) => {
            let kind = format!("{:?}", err.kind);
            match &e.error {
                Some(want) if *want == kind => Ok(format!("{kind}: {err}")),
                _ => Err(format!("{kind} error: {err}")),
            }
        }
    }
}

/// Runs a configuration case (compile, then evaluate and mint the request if there is one).
fn run_config(case: &Case) -> Result<String, String> {
    let e = &case.expect;
    let json = expand(case.config.as_ref().ok_or("no config")?, &[])?;
    let text = json.to_string();
    let config = ServerConfig::from_json(&text).map_err(|err| format!("load: {err}"))?;
    let server = match AuthorizationServer::compile(config, Options::default()) {
        Ok(s) => s,
        Err(err) => {
            let codes: Vec<&str> = err.errors().map(|d| d.code).collect();
            return match &e.config_error {
                Some(want) if codes.contains(&want.as_str()) => Ok(format!("config error {want}")),
                _ => Err(format!("config errors {codes:?}: {err}")),
            };
        }
    };
    if e.config_error.is_some() {
        return Err("compiled".into());
    }
    let Some(request) = &case.request else {
        return if e.compiles == Some(true) {
            Ok(format!("compiled ({} bytes of JSON)", text.len()))
        } else {
            Err("compiled; expect has no request outcome".into())
        };
    };
    let request = expand(request, &[])?.to_string();
    let request = TokenRequest::from_json(&request).map_err(|err| format!("request: {err}"))?;
    let outcome = server.evaluate(&request).and_then(|grant| {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        let keys =
            KeySet::generate(Algorithm::ES256, RotationMode::Auto, now, &mut rng).expect("keys");
        server.mint(&grant, &keys, now, &mut rng)
    });
    match outcome {
        Ok(_) if e.granted == Some(true) => Ok("granted and minted".into()),
        Ok(_) => Err("granted and minted".into()),
        Err(err) => {
            let body = err.to_json();
            let got = format!("{} {}", body["error"], body["error_description"]);
            let code_ok = e.error.as_deref() == Some(err.error());
            let desc_ok = e
                .error_description
                .as_ref()
                .is_none_or(|d| body["error_description"] == *d);
            if code_ok && desc_ok {
                Ok(got)
            } else {
                Err(got)
            }
        }
    }
}

fn short(v: &Json) -> String {
    let s = v.to_string();
    if s.len() > 120 {
        let mut end = 100;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}… ({} bytes)", &s[..end], s.len())
    } else {
        s
    }
}

#[test]
fn hostile_inputs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let contexts: Json =
        serde_json::from_str(&fs::read_to_string(root.join("tests/el/contexts.json")).unwrap())
            .unwrap();
    let mut files: Vec<_> = fs::read_dir(root.join("tests/hostile"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    let (mut total, mut failures) = (0, Vec::new());
    for f in &files {
        let file = f.file_name().unwrap().to_string_lossy().into_owned();
        for (n, line) in fs::read_to_string(f).unwrap().lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let case: Case =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{file}:{}: {e}", n + 1));
            total += 1;
            let max_s = case.max_seconds.unwrap_or(2.0);
            let max_mib = case.max_mib.unwrap_or(64.0);
            GLOBAL.reset_peak_memory();
            let base = GLOBAL.get_peak_memory();
            let start = Instant::now();
            let result = if case.config.is_some() {
                run_config(&case)
            } else {
                run_expr(&case, &contexts)
            };
            let secs = start.elapsed().as_secs_f64();
            let mib = GLOBAL.get_peak_memory().saturating_sub(base) as f64 / (1 << 20) as f64;
            let bounds = format!("{secs:.3} s, {mib:.1} MiB");
            eprintln!(
                "{file}:{} {}: {} ({bounds})",
                n + 1,
                case.name,
                result.as_ref().unwrap_or_else(|e| e)
            );
            let problem = match result {
                Err(got) => Some(format!("got {got}, want {:?}", case.expect)),
                Ok(_) if secs > max_s => Some(format!("took {secs:.2} s (limit {max_s} s)")),
                Ok(_) if mib > max_mib => Some(format!("used {mib:.1} MiB (limit {max_mib} MiB)")),
                Ok(_) => None,
            };
            if let Some(p) = problem {
                failures.push(format!("{file}:{} {}: {p}", n + 1, case.name));
            }
        }
    }
    eprintln!("hostile: {total} cases in {} files", files.len());
    assert!(total > 0, "no cases found");
    assert!(
        failures.is_empty(),
        "{} of {total} cases fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
