//! Evaluates Okta expressions from JSON lines.
//!
//! Reads `{"expr": "...", "context": {...}}` lines on stdin and writes one JSON line each:
//! `{"value": ...}` or `{"error": "..."}`. A line that is not valid JSON, or lacks `expr`, gets
//! an `{"error": ...}` line too. Empty lines are skipped.
//!
//! ```text
//! echo '{"expr": "String.len(user.firstName)", "context": {"user": {"profile": {"firstName": "Ann"}}}}' \
//!     | cargo run --example eval
//! {"value":3}
//! ```

use std::io::{self, BufRead, Write};

use serde_json::{Value as Json, json};
use tokenmint::el::{self, Context, Limits};

fn answer(line: &str, limits: &Limits) -> Json {
    let req: Json = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => return json!({"error": format!("invalid JSON input: {e}")}),
    };
    let Some(expr) = req.get("expr").and_then(Json::as_str) else {
        return json!({"error": "the input line needs a string \"expr\""});
    };
    let ctx = match Context::from_json(req.get("context").unwrap_or(&Json::Null)) {
        Ok(c) => c,
        Err(e) => return json!({"error": format!("invalid context: {e}")}),
    };
    let program = match el::compile(expr, limits) {
        Ok(p) => p,
        Err(e) => return json!({"error": format!("{e:#}")}),
    };
    match program.eval(&ctx) {
        Ok(v) => json!({"value": v.to_json()}),
        Err(e) => json!({"error": e.to_string()}),
    }
}

fn main() -> io::Result<()> {
    let limits = Limits::default();
    let stdin = io::stdin();
    let stdout = io::stdout();
    let mut out = stdout.lock();
    for line in stdin.lock().lines() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                // not UTF-8: answer and keep going
                writeln!(
                    out,
                    "{}",
                    json!({"error": format!("unreadable input line: {e}")})
                )?;
                continue;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        writeln!(out, "{}", answer(&line, &limits))?;
        out.flush()?;
    }
    Ok(())
}
