//! The quickstart: loads the built-in sample authorization server, validates and compiles it,
//! prints what it holds, then shows the diagnostics of a configuration with mistakes.
//!
//! Run it with `cargo run --example quickstart`.

use tokenmint::config::{ClaimType, Status};
use tokenmint::{AuthorizationServer, Options, ServerConfig};

const SAMPLE: &str = include_str!("config.json");

fn main() {
    let config = match ServerConfig::from_json(SAMPLE) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let server = match AuthorizationServer::compile(config, Options::default()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let cfg = server.config();
    let s = &cfg.authorization_server;
    println!("== authorization server {:?}", s.name);
    println!("   issuer   {}", s.issuer.as_deref().unwrap_or("-"));
    println!("   audience {}", s.audiences.join(", "));
    println!("== scopes");
    for sc in &cfg.scopes {
        println!(
            "   {:<14} default={:<5} consent={:?}",
            sc.name, sc.default, sc.consent
        );
    }
    println!("== claims");
    for c in &cfg.claims {
        let token = match c.claim_type {
            Some(ClaimType::Resource) => "access",
            Some(ClaimType::Identity) => "id",
            None => "?",
        };
        println!("   {:<10} [{token:<6}] {}", c.name, c.value);
    }
    println!("== policies");
    for p in &cfg.policies {
        let active = if p.status == Status::Active {
            ""
        } else {
            " (inactive)"
        };
        let clients = p
            .conditions
            .clients
            .as_ref()
            .map(|c| c.include.join(", "))
            .unwrap_or_default();
        println!(
            "   {} {:?}{active} for {clients}",
            p.priority.unwrap_or_default(),
            p.name
        );
        for r in &p.rules {
            let grants: Vec<&str> = r
                .conditions
                .grant_types
                .include
                .iter()
                .map(|g| g.as_str())
                .collect();
            println!(
                "      {} {:?}: {} / scopes {} / access token {} min",
                r.priority.unwrap_or_default(),
                r.name,
                grants.join(", "),
                r.conditions.scopes.include.join(" "),
                r.actions.token.access_token_lifetime_minutes
            );
        }
    }
    if server.warnings().is_empty() {
        println!("== compiled with no warnings");
    } else {
        println!("== compiled with {} warning(s)", server.warnings().len());
        for w in server.warnings() {
            println!("   {w}");
        }
    }

    // The same server with three mistakes: every one is reported, each with its location.
    let mut broken: serde_json::Value = serde_json::from_str(SAMPLE).expect("sample is JSON");
    broken["scopes"][1]["name"] = "orders write".into();
    broken["claims"][2]["name"] = "cid".into();
    broken["policies"][1]["priority"] = 1.into();
    println!("\n== a configuration with three mistakes");
    match ServerConfig::from_value(broken)
        .and_then(|c| AuthorizationServer::compile(c, Options::default()))
    {
        Ok(_) => println!("   (unexpectedly valid)"),
        Err(e) => println!("{e}"),
    }
}
