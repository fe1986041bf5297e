//! Configuration tests for CI: run scenarios against a server and report each one.
//!
//! ```text
//! cargo run --example check -- CONFIG SCENARIOS.json [--json] [--server NAME] [--seed N] [--alg ALG]
//! ```
//!
//! CONFIG is a server bundle in Management API shapes or the output of `terraform show -json`
//! (a state or a plan; `--server NAME` picks a server by name or resource address when it holds
//! several). SCENARIOS is `{"scenarios": [{"name", "request", "expect"}]}` (see
//! `tokenmint::check` and `examples/data/scenarios.json`).
//!
//! Prints one line per scenario (`PASS  name` or `FAIL  name`), under each failure what was
//! expected and what came out (and, for an expected rule that wasn't chosen, the reason the
//! evaluation passed it over), then a summary line. Warnings about the configuration (located
//! by resource address for Terraform) go to stderr. With `--json` it prints one object:
//! `{"passed", "failed", "scenarios": [{"name", "passed", "decision", "error", "failures",
//! "access_token", "id_token"}], "warnings": [...]}`.
//!
//! Tokens are signed with a key generated for `--alg` (RS256 by default) from a ChaCha20 RNG
//! seeded with `--seed N` (0 by default); each scenario mints with the RNG state that follows
//! the key generation, so its tokens equal `preview --seed N --alg ALG` for the same request.
//!
//! Exit status: 0 every scenario passed, 1 some failed, 2 bad arguments, configuration or
//! scenario file (the message says where).
//!
//! A CI job on a Terraform pull request:
//!
//! ```text
//! terraform plan -out plan.out
//! terraform show -json plan.out > plan.json
//! cargo run --example check -- plan.json scenarios.json
//! ```

mod common;

use common::Cli;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::{Value, json};
use std::io::{self, Write};
use std::process::ExitCode;
use tokenmint::Options;
use tokenmint::check::{self, Scenarios};
use tokenmint::config::RotationMode;
use tokenmint::token::{Algorithm, KeySet};

const CLI: Cli = Cli {
    name: "check",
    usage: USAGE,
};

const USAGE: &str = "usage: check CONFIG SCENARIOS.json [--json] [--server NAME] [--seed N] [--alg ALG]\n  CONFIG: a server bundle, or terraform show -json output (--server picks a server by name)\n  exit status: 0 all scenarios pass, 1 some fail, 2 bad input";

struct Args {
    config: String,
    scenarios: String,
    json: bool,
    server: Option<String>,
    seed: u64,
    alg: Algorithm,
}

fn parse_args() -> Result<Args, String> {
    let mut files = Vec::new();
    let mut json = false;
    let mut server = None;
    let mut seed = 0;
    let mut alg = Algorithm::RS256;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--json" => json = true,
            "--server" => server = Some(it.next().ok_or("--server needs a server name")?),
            "--seed" => seed = common::seed(it.next())?,
            "--alg" => alg = common::alg(it.next())?,
            "-h" | "--help" => return Err(String::new()),
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            _ => files.push(a),
        }
    }
    let [config, scenarios]: [String; 2] = files.try_into().map_err(|f: Vec<String>| {
        format!("expected CONFIG and SCENARIOS, got {} file(s)", f.len())
    })?;
    Ok(Args {
        config,
        scenarios,
        json,
        server,
        seed,
        alg,
    })
}

fn fail(msg: &str) -> ExitCode {
    CLI.fail(msg)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => return CLI.usage_error(&msg),
    };
    let read = common::read;
    let (config_text, scenarios_text) = match (read(&args.config), read(&args.scenarios)) {
        (Ok(c), Ok(s)) => (c, s),
        (Err(e), _) | (_, Err(e)) => return fail(&e),
    };
    let loaded = match check::load_server(&config_text, args.server.as_deref(), Options::default())
    {
        Ok(l) => l,
        Err(e) => return fail(&format!("{}: {e}", args.config)),
    };
    let scenarios = match Scenarios::from_json(&scenarios_text) {
        Ok(s) => s,
        Err(e) => {
            let mut err = io::stderr();
            for p in &e.problems {
                let _ = writeln!(err, "check: {}:{p}", args.scenarios);
            }
            return ExitCode::from(2);
        }
    };
    {
        let mut err = io::stderr();
        for w in &loaded.warnings {
            let _ = writeln!(err, "{}: {w}", args.config);
        }
    }

    let mut rng = ChaCha20Rng::seed_from_u64(args.seed);
    let now = scenarios
        .scenarios
        .iter()
        .map(|s| s.request.now)
        .min()
        .unwrap_or_default();
    let keys = match KeySet::generate(args.alg, RotationMode::Auto, now, &mut rng) {
        Ok(k) => k,
        Err(e) => return fail(&format!("can't generate a {} key: {e}", args.alg)),
    };
    let report = check::run_with(&loaded.server, &scenarios, &keys, &rng);
    let code = if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    };

    CLI.report("report", code, |out| {
        if args.json {
            let mut doc = report.to_json();
            if let Value::Object(m) = &mut doc {
                m.insert("warnings".into(), json!(loaded.warnings));
            }
            writeln!(out, "{}", common::pretty(&doc))
        } else {
            writeln!(out, "{report}")
        }
    })
}
