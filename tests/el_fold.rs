//! Constant folding changes nothing an evaluation answers or is charged.
//!
//! Every expression of the corpora (`tests/el/*.jsonl` with their contexts, the SpEL golden
//! data with its roots, and the literal expressions of `tests/hostile/expressions.jsonl`) is
//! compiled with folding (the default [`Limits`]) and without it (`max_fold_cost` 0) and
//! evaluated with [`Program::eval_metered`](el::Program::eval_metered): both must give the same
//! value, or the same error (kind and message), and the same [`el::Usage`]. Each is then
//! evaluated again under budgets cut short of what it used, in cost units and in bytes, where a
//! folded node's charge no longer fits and the subexpression it stands for must run out of
//! budget exactly where it would have: the answers and usages must agree again.

// A panic here is a failed test or a stopped tool, not a host brought down: the crate's
// lints for src/ (Cargo.toml) are relaxed.
#![allow(clippy::indexing_slicing, clippy::expect_used, unreachable_pub)]

use std::fs;
use std::path::Path;

use serde_json::Value as Json;
use tokenmint::el::{self, Context, Limits, Usage, Value};

type Answer = (Result<Json, String>, Usage);

fn answer(expr: &str, ctx: &Context, limits: &Limits) -> Option<Answer> {
    let p = el::compile(expr, limits).ok()?;
    let (r, usage) = p.eval_metered(ctx);
    let r = r
        .map(|v| v.to_json())
        .map_err(|e| format!("{:?}: {e}", e.kind));
    Some((r, usage))
}

/// The corpora's expressions with the contexts they are evaluated in.
fn cases() -> Vec<(String, Context)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/el");
    let contexts: Json =
        serde_json::from_str(&fs::read_to_string(dir.join("contexts.json")).expect("contexts"))
            .expect("contexts.json");
    let mut out = Vec::new();
    let mut files: Vec<_> = fs::read_dir(&dir)
        .expect("tests/el")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile/expressions.jsonl"));
    files.sort();
    for f in &files {
        for line in fs::read_to_string(f).expect("corpus").lines() {
            if line.trim().is_empty() {
                continue;
            }
            let case: Json = serde_json::from_str(line).expect("a JSON line");
            // generated hostile inputs (`{"$repeat": ...}`) are run by tests/hostile.rs
            let Some(expr) = case["expr"].as_str() else {
                continue;
            };
            let ctx = if let Some(root) = case.get("root") {
                // the SpEL data: each member of the root is a root of the context
                let mut ctx = Context::new();
                for (k, v) in root.as_object().into_iter().flatten() {
                    ctx.set_value(k, Value::from_json(v));
                }
                ctx
            } else {
                let mut json = serde_json::Map::new();
                if let Some(name) = case["ctx"].as_str() {
                    json.extend(contexts[name].as_object().expect("named context").clone());
                }
                if let Some(inline) = case["context"].as_object() {
                    json.extend(inline.clone());
                }
                match Context::from_json(&Json::Object(json)) {
                    Ok(ctx) => ctx,
                    // a case about a bad context
                    Err(_) => continue,
                }
            };
            out.push((expr.to_owned(), ctx));
        }
    }
    out
}

/// Budgets at and short of `used`, where charges stop fitting: part way, at the last unit, and
/// exactly what was used (where a step that checks for more room than it keeps fails).
fn cuts(used: u64) -> Vec<u64> {
    let mut v = vec![used / 3, used * 2 / 3, used.saturating_sub(1), used];
    v.dedup();
    v
}

#[test]
fn folding_changes_no_answer_and_no_charge() {
    let folded = Limits::default();
    let unfolded = Limits::default().with_max_fold_cost(0);
    let cases = cases();
    let (mut compared, mut cut_runs, mut failures) = (0, 0, Vec::new());
    for (expr, ctx) in &cases {
        let a = answer(expr, ctx, &folded);
        let b = answer(expr, ctx, &unfolded);
        if a != b {
            failures.push(format!("{expr}\n    folded:   {a:?}\n    unfolded: {b:?}"));
            continue;
        }
        let Some((_, usage)) = b else { continue };
        compared += 1;
        // the same budget cut short, folded and not
        let mut budgets = Vec::new();
        for cost in cuts(usage.cost) {
            let cut = |l: &Limits| l.clone().with_max_cost(cost);
            budgets.push((format!("max_cost {cost}"), cut(&folded), cut(&unfolded)));
        }
        for bytes in cuts(usage.bytes) {
            let bytes = usize::try_from(bytes).unwrap_or(usize::MAX);
            let cut = |l: &Limits| l.clone().with_max_total_bytes(bytes);
            budgets.push((
                format!("max_total_bytes {bytes}"),
                cut(&folded),
                cut(&unfolded),
            ));
        }
        for (what, on, off) in &budgets {
            let (a, b) = (answer(expr, ctx, on), answer(expr, ctx, off));
            cut_runs += 1;
            if a != b {
                failures.push(format!(
                    "{expr} ({what})\n    folded:   {a:?}\n    unfolded: {b:?}"
                ));
            }
        }
    }
    eprintln!(
        "folding: {compared} of {} expressions evaluated both ways, {cut_runs} runs on cut budgets",
        cases.len()
    );
    assert!(compared > 1_500, "only {compared} expressions compared");
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
