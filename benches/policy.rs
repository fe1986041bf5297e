//! Policy selection cost against the number of policies assigned to other clients.
//!
//! `policy_scaling/N`: a server with N client-specific policies of 5 rules each (one client per
//! policy) and one request for the client in the middle, whose only matching rule is its
//! policy's last. With the per-client index the time should not depend on N.

// A panic here is a failed test or a stopped tool, not a host brought down: the crate's
// lints for src/ (Cargo.toml) are relaxed.
#![allow(
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    unreachable_pub
)]

use criterion::{BenchmarkId, Criterion, black_box, criterion_group, criterion_main};
use serde_json::json;
use tokenmint::{AuthorizationServer, Options, ServerConfig, TokenRequest};

fn server(n: usize) -> AuthorizationServer {
    let policies: Vec<_> = (0..n)
        .map(|i| {
            let rules: Vec<_> = (0..5)
                .map(|j| {
                    // Rules 0-3 don't allow orders:write; rule 4 allows everything.
                    let scopes = if j == 4 {
                        json!(["*"])
                    } else {
                        json!(["orders:read"])
                    };
                    json!({"id": format!("0pr{i}x{j}"), "name": format!("rule {j}"), "priority": j + 1,
                           "conditions": {"grantTypes": {"include": ["client_credentials"]},
                                          "scopes": {"include": scopes}}})
                })
                .collect();
            json!({"id": format!("00p{i}"), "name": format!("policy {i}"), "description": "bench",
                   "priority": i + 1,
                   "conditions": {"clients": {"include": [format!("client{i}")]}},
                   "rules": rules})
        })
        .collect();
    let cfg = json!({
        "authorizationServer": {"name": "bench", "audiences": ["api://bench"],
                                "issuer": "https://example.okta.com/oauth2/bench"},
        "scopes": [{"name": "orders:read"}, {"name": "orders:write"}],
        "policies": policies,
    });
    let cfg = ServerConfig::from_value(cfg).expect("bench config loads");
    AuthorizationServer::compile(cfg, Options::default()).expect("bench config compiles")
}

fn request(n: usize) -> TokenRequest {
    TokenRequest::from_json(
        &json!({"client": {"clientId": format!("client{}", n / 2)},
                "grantType": "client_credentials", "scopes": ["orders:read", "orders:write"],
                "now": "2026-01-01T00:00:00Z"})
        .to_string(),
    )
    .expect("bench request parses")
}

fn policy_scaling(c: &mut Criterion) {
    let mut group = c.benchmark_group("policy_scaling");
    for n in [10usize, 100, 1000, 10000] {
        let server = server(n);
        let req = request(n);
        let grant = server.evaluate(&req).expect("the bench request matches");
        assert_eq!(grant.rule.name, "rule 4");
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| server.evaluate(black_box(&req)))
        });
    }
    group.finish();
}

criterion_group!(benches, policy_scaling);
criterion_main!(benches);
