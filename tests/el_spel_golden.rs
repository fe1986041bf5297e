//! Differential test against real Spring SpEL: `tests/el/spel_golden.jsonl` holds the answers
//! of the SpEL 4.3 oracle (regenerate with `scripts/spel_golden.sh`); the engine must agree on
//! each, except the cases listed with a reason in `tests/el/spel_differences.json`. Agreement
//! means equal values of the same numeric kind, or an error on both sides.

// A panic here is a failed test or a stopped tool, not a host brought down: the crate's
// lints for src/ (Cargo.toml) are relaxed.
#![allow(
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    unreachable_pub
)]

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value as Json;
use tokenmint::el::{self, Context, Limits, Value};

/// One answer of the oracle: a value of a Java class, or an error.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Golden {
    expr: String,
    root: Json,
    /// The value (`null` is a value: a present member is `Some`).
    #[serde(default, deserialize_with = "present")]
    value: Option<Json>,
    #[serde(default, rename = "type")]
    ty: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Json>, D::Error> {
    Json::deserialize(d).map(Some)
}

/// A listed difference and why it is one.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Difference {
    expr: String,
    reason: String,
}

fn engine(expr: &str, root: &Json) -> Result<Value, String> {
    let mut ctx = Context::new();
    if let Some(o) = root.as_object() {
        for (k, v) in o {
            ctx.set_value(k, Value::from_json(v));
        }
    }
    let p = el::compile(expr, &Limits::default()).map_err(|e| e.to_string())?;
    p.eval(&ctx).map_err(|e| e.to_string())
}

/// Does the engine's value agree with the oracle's `value` of Java class `ty`?
fn agrees(v: &Value, want: &Json, ty: &str) -> bool {
    let got = v.to_json();
    match ty {
        "java.lang.Integer" | "java.lang.Long" | "java.lang.Short" | "java.lang.Byte" => {
            matches!(v, Value::Int(_) | Value::Long(_)) && got.as_i64() == want.as_i64()
        }
        "java.lang.Double" => matches!(v, Value::Double(_)) && got.as_f64() == want.as_f64(),
        "java.lang.Float" => {
            matches!(v, Value::Double(_))
                && got.as_f64().map(|x| x as f32) == want.as_f64().map(|x| x as f32)
        }
        _ => json_eq(&got, want),
    }
}

/// JSON equality where numbers compare by value (the oracle prints `1.0` for a double in a
/// list exactly as the engine does, but be lenient about integer/float spelling in nests).
fn json_eq(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => x.as_f64() == y.as_f64(),
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

#[test]
fn engine_agrees_with_spring_spel() {
    let golden = include_str!("el/spel_golden.jsonl");
    let diffs: Vec<Difference> =
        serde_json::from_str(include_str!("el/spel_differences.json")).unwrap();
    let listed: HashMap<String, String> = diffs
        .into_iter()
        .map(|d| {
            assert!(
                !d.reason.is_empty(),
                "difference without a reason: {}",
                d.expr
            );
            (d.expr, d.reason)
        })
        .collect();
    let (mut total, mut agree, mut differ_listed) = (0, 0, 0);
    let mut failures = Vec::new();
    let mut stale = Vec::new();
    for line in golden.lines().filter(|l| !l.trim().is_empty()) {
        let case: Golden = serde_json::from_str(line).unwrap();
        let expr = case.expr.as_str();
        total += 1;
        let got = engine(expr, &case.root);
        let ok = match (&got, &case.error, &case.value) {
            (Err(_), Some(_), None) => true,
            (Ok(v), None, Some(want)) => agrees(v, want, case.ty.as_deref().unwrap_or("")),
            _ => false,
        };
        match (ok, listed.contains_key(expr)) {
            (true, false) => agree += 1,
            (false, true) => differ_listed += 1,
            (true, true) => stale.push(expr.to_owned()),
            (false, false) => failures.push(format!(
                "{expr:?}: engine {:?}, SpEL {}",
                got.map(|v| v.to_json()),
                case.error.clone().unwrap_or_else(|| format!(
                    "{} ({})",
                    case.value.clone().unwrap_or_default(),
                    case.ty.clone().unwrap_or_default()
                ))
            )),
        }
    }
    eprintln!(
        "SpEL golden: {total} expressions, {agree} agree, {differ_listed} listed differences"
    );
    assert!(total >= 300, "the golden file has only {total} cases");
    assert!(
        stale.is_empty(),
        "listed as different but now agree: {stale:#?}"
    );
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
