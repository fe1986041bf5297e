//! The sample server gives the same decisions and tokens whichever way it is loaded: as the
//! bundle `examples/data/config.json`, as the Management API responses under
//! `tests/api/orders/`, or as Terraform JSON (`examples/data/terraform/state.json` and
//! `plan.json`, server "Orders API") — in the offline preview (`explain`, then `mint` with
//! the key set's RNG, as `examples/preview` does) and in the scenario runner.
//!
//! Bundle and API responses list the claims in the same order, so their tokens are
//! byte-identical. Terraform lists resources by address, so the custom claims of the access
//! token come in another order: the claims are equal, the bytes (and so the ID token's
//! `at_hash`) are not. The plan's new policies have placeholder ids; decisions are compared by
//! policy and rule names.

// A panic here is a failed test or a stopped tool, not a host brought down: the crate's
// lints for src/ (Cargo.toml) are relaxed.
#![allow(
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    unreachable_pub
)]

use chrono::{DateTime, Utc};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::{Map, Value};
use std::fs;
use std::path::Path;
use tokenmint::check::{self, Scenarios};
use tokenmint::config::terraform::Terraform;
use tokenmint::config::{ApiResponses, RotationMode};
use tokenmint::token::{Algorithm, KeySet};
use tokenmint::trace::Outcome;
use tokenmint::{AuthorizationServer, Options, ServerConfig};

fn read(path: &str) -> String {
    fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn compile(cfg: ServerConfig) -> AuthorizationServer {
    AuthorizationServer::compile(cfg, Options::default()).expect("the sample compiles")
}

fn from_api() -> ServerConfig {
    let api = |f: &str| read(&format!("tests/api/orders/{f}"));
    ApiResponses::new(&api("server.json"))
        .scopes(&api("scopes-page1.json"))
        .scopes(&api("scopes-page2.json"))
        .claims(&api("claims.json"))
        .policies(&api("policies.json"))
        .rules("00pweb", &api("rules-00pweb.json"))
        .rules("00pservice", &api("rules-00pservice.json"))
        .into_config()
        .expect("the API responses assemble")
}

fn from_terraform(file: &str) -> ServerConfig {
    Terraform::from_json(&read(file))
        .expect("a Terraform document")
        .server(Some("Orders API"))
        .expect("the Orders API server")
        .config
}

struct Source {
    name: &'static str,
    server: AuthorizationServer,
    /// Claims in the bundle's order: tokens byte-identical to the bundle's.
    same_order: bool,
}

fn sources() -> Vec<Source> {
    vec![
        Source {
            name: "bundle",
            server: compile(
                ServerConfig::from_json(&read("examples/data/config.json")).expect("bundle"),
            ),
            same_order: true,
        },
        Source {
            name: "API responses",
            server: compile(from_api()),
            same_order: true,
        },
        Source {
            name: "Terraform state",
            server: compile(from_terraform("examples/data/terraform/state.json")),
            same_order: false,
        },
        Source {
            name: "Terraform plan",
            server: compile(from_terraform("examples/data/terraform/plan.json")),
            same_order: false,
        },
    ]
}

/// What the preview shows of one request: the decision, the error, the compact tokens.
#[derive(Debug, PartialEq)]
struct Preview {
    decision: Option<(String, String, Vec<String>)>,
    error: Option<Value>,
    access: Option<String>,
    id: Option<String>,
}

/// The key set and the RNG state after generating it, as `examples/preview --seed 1 --alg
/// EdDSA` has them (EdDSA: deterministic signatures, fast key generation).
fn keys_and_rng(now: DateTime<Utc>) -> (KeySet, ChaCha20Rng) {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let keys = KeySet::generate(Algorithm::EdDSA, RotationMode::Auto, now, &mut rng).expect("keys");
    (keys, rng)
}

/// The preview, as `examples/preview` computes it, from a key set and the RNG state after it.
fn preview(
    server: &AuthorizationServer,
    request: &tokenmint::TokenRequest,
    (keys, rng): &(KeySet, ChaCha20Rng),
) -> Preview {
    let mut rng = rng.clone();
    let trace = server.explain(request);
    let mut p = Preview {
        decision: None,
        error: None,
        access: None,
        id: None,
    };
    match &trace.outcome {
        Outcome::Granted(g) => {
            p.decision = Some((g.policy.name.clone(), g.rule.name.clone(), g.scopes.clone()));
            match server.mint(g, keys, request.now, &mut rng) {
                Ok(t) => {
                    p.access = t.access_token;
                    p.id = t.id_token;
                }
                Err(e) => p.error = Some(e.to_json()),
            }
        }
        Outcome::Denied(e) => p.error = Some(e.to_json()),
    }
    p
}

fn payload(compact: &Option<String>) -> Option<Map<String, Value>> {
    use base64::Engine as _;
    let part = compact.as_deref()?.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn without_at_hash(p: Option<Map<String, Value>>) -> Option<Map<String, Value>> {
    p.map(|mut m| {
        assert!(
            m.remove("at_hash").is_some(),
            "an ID token with an access token has at_hash"
        );
        m
    })
}

#[test]
fn preview_and_runner_agree_across_sources() {
    let scenarios = Scenarios::from_json(&read("examples/data/scenarios.json")).expect("scenarios");
    let sources = sources();
    let (bundle, others) = sources.split_first().expect("sources");
    let now = scenarios
        .scenarios
        .iter()
        .map(|s| s.request.now)
        .min()
        .expect("a scenario");
    let keyed = keys_and_rng(now);
    let mut checked = 0;
    for s in &scenarios.scenarios {
        // Every sample request has the same `now`: one key set serves them all.
        assert_eq!(s.request.now, now);
        let reference = preview(&bundle.server, &s.request, &keyed);
        for other in others {
            let got = preview(&other.server, &s.request, &keyed);
            let what = format!("{:?} from the {}", s.name, other.name);
            assert_eq!(got.decision, reference.decision, "{what}: decision");
            assert_eq!(got.error, reference.error, "{what}: error");
            if other.same_order {
                assert_eq!(got.access, reference.access, "{what}: access token bytes");
                assert_eq!(got.id, reference.id, "{what}: ID token bytes");
            } else {
                assert_eq!(
                    payload(&got.access),
                    payload(&reference.access),
                    "{what}: access token claims"
                );
                let strip = |p: &Preview| {
                    if p.access.is_some() {
                        without_at_hash(payload(&p.id))
                    } else {
                        payload(&p.id)
                    }
                };
                assert_eq!(strip(&got), strip(&reference), "{what}: ID token claims");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 3 * scenarios.scenarios.len());

    // The runner: the same scenarios pass from every source, with the preview's tokens.
    let (keys, rng) = &keyed;
    for source in &sources {
        let report = check::run_with(&source.server, &scenarios, keys, rng);
        assert!(report.passed(), "{} fails:\n{report}", source.name);
        for (s, r) in scenarios.scenarios.iter().zip(&report.scenarios) {
            let p = preview(&source.server, &s.request, &keyed);
            assert_eq!(
                r.decision.as_ref().map(|d| (
                    d.policy.name.clone(),
                    d.rule.name.clone(),
                    d.scopes.clone()
                )),
                p.decision,
                "{} / {}: runner and preview decisions",
                source.name,
                s.name
            );
            assert_eq!(r.error.as_ref().map(|e| e.to_json()), p.error);
            assert_eq!(
                r.access_token,
                payload(&p.access),
                "{} / {}",
                source.name,
                s.name
            );
            assert_eq!(r.id_token, payload(&p.id), "{} / {}", source.name, s.name);
        }
    }
}

/// The API responses assemble into the bundle's server: the same objects, plus what the API
/// adds (ids, links, timestamps, the system scopes and the sub claim it lists).
#[test]
fn api_responses_assemble_into_the_bundle() {
    let api = from_api();
    let bundle = ServerConfig::from_json(&read("examples/data/config.json")).expect("bundle");
    assert_eq!(
        api.authorization_server.name,
        bundle.authorization_server.name
    );
    assert_eq!(
        api.authorization_server.issuer,
        bundle.authorization_server.issuer
    );
    let custom: Vec<&str> = api
        .scopes
        .iter()
        .filter(|s| !s.system)
        .map(|s| s.name.as_str())
        .collect();
    let bundle_scopes: Vec<&str> = bundle.scopes.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(custom, bundle_scopes);
    assert_eq!(
        api.scopes.len(),
        12,
        "two pages: seven system scopes and five custom ones"
    );
    let policies = |c: &ServerConfig| -> Vec<(String, Vec<String>)> {
        c.policies
            .iter()
            .map(|p| {
                (
                    p.name.clone(),
                    p.rules.iter().map(|r| r.name.clone()).collect(),
                )
            })
            .collect()
    };
    assert_eq!(policies(&api), policies(&bundle));
    // Rules were given in another order than the policies; each landed under its own.
    assert_eq!(api.policies[1].rules[0].id.as_deref(), Some("0pradmins"));
}
