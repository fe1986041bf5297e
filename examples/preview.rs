//! The offline Token Preview: which policy and rule a request matches, and why.
//!
//! ```text
//! cargo run --example preview -- CONFIG.json REQUEST.json [--json] [--seed N] [--alg ALG]
//! ```
//!
//! CONFIG is a server bundle in Management API shapes, REQUEST a token request (see
//! `examples/data/`). Without `--json` it prints the trace and the decision; with `--json` one
//! JSON object. `--seed` and `--alg` are checked now and used once tokens are minted.
//!
//! Exit status: 0 granted, 1 denied (an OAuth error), 2 bad arguments, configuration or request.

use serde_json::{Value, json};
use std::process::ExitCode;
use tokenmint::policy::Outcome;
use tokenmint::{AuthorizationServer, Options, ServerConfig, TokenRequest};

const ALGS: [&str; 10] = [
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
];
const USAGE: &str = "usage: preview CONFIG.json REQUEST.json [--json] [--seed N] [--alg ALG]\n  ALG: RS256 (default), RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA";

struct Args {
    config: String,
    request: String,
    json: bool,
    #[allow(dead_code)] // used once minting lands
    seed: Option<u64>,
    #[allow(dead_code)]
    alg: String,
}

fn parse_args() -> Result<Args, String> {
    let mut files = Vec::new();
    let mut json = false;
    let mut seed = None;
    let mut alg = "RS256".to_owned();
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--json" => json = true,
            "--seed" => {
                let v = it.next().ok_or("--seed needs a number")?;
                seed = Some(
                    v.parse::<u64>()
                        .map_err(|_| format!("--seed: {v:?} is not a non-negative integer"))?,
                );
            }
            "--alg" => {
                let v = it.next().ok_or("--alg needs an algorithm")?;
                if !ALGS.contains(&v.as_str()) {
                    return Err(format!(
                        "--alg: unsupported algorithm {v:?}; use one of {}",
                        ALGS.join(", ")
                    ));
                }
                alg = v;
            }
            "-h" | "--help" => return Err(String::new()),
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            _ => files.push(a),
        }
    }
    let [config, request]: [String; 2] = files.try_into().map_err(|f: Vec<String>| {
        format!("expected CONFIG and REQUEST, got {} file(s)", f.len())
    })?;
    Ok(Args {
        config,
        request,
        json,
        seed,
        alg,
    })
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("preview: {msg}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let read = |path: &str| {
        std::fs::read_to_string(path).map_err(|e| format!("preview: can't read {path}: {e}"))
    };
    let (config_text, request_text) = match (read(&args.config), read(&args.request)) {
        (Ok(c), Ok(r)) => (c, r),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let server = match ServerConfig::from_json(&config_text)
        .and_then(|c| AuthorizationServer::compile(c, Options::default()))
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!("preview: {}: {e}", args.config);
            return ExitCode::from(2);
        }
    };
    let request = match TokenRequest::from_json(&request_text) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("preview: {}: not a valid token request: {e}", args.request);
            return ExitCode::from(2);
        }
    };
    let trace = server.explain(&request);
    let granted = matches!(trace.outcome, Outcome::Granted(_));
    if args.json {
        let (decision, error) = match &trace.outcome {
            Outcome::Granted(g) => (
                json!({"policy": g.policy, "rule": g.rule, "scopes": g.scopes,
                       "lifetimes": g.lifetimes}),
                Value::Null,
            ),
            Outcome::Denied(e) => (Value::Null, e.to_json()),
        };
        let out = json!({
            "decision": decision,
            "error": error,
            "trace": trace.steps,
            "access_token": null,
            "id_token": null,
            "refresh_token": null,
            "jwks": {"keys": []},
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&out)
                .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
        );
    } else {
        for w in server.warnings() {
            println!("{w}");
        }
        let scopes = match &request.scopes {
            Some(s) => format!("[{}]", s.join(", ")),
            None => "(no scope parameter)".to_owned(),
        };
        println!(
            "Token preview: client {}, grant {}, scopes {scopes}{}\n",
            request.client.client_id,
            request.grant_type,
            request
                .user
                .as_ref()
                .map(|u| format!(", user {}", u.id))
                .unwrap_or_default()
        );
        println!("{trace}");
        if granted {
            println!("\n(tokens are not minted by this build yet)");
        }
    }
    if granted {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
