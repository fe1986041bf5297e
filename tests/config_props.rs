//! Arbitrary JSON never panics the loader or the compiler: it loads, or it is refused with
//! located diagnostics.

// A panic here is a failed test or a stopped tool, not a host brought down: the crate's
// lints for src/ (Cargo.toml) are relaxed.
#![allow(
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    unreachable_pub
)]

use proptest::prelude::*;
use serde_json::{Map, Value};
use tokenmint::{AuthorizationServer, Options, ServerConfig};

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e9f64..1e9).prop_map(Value::from),
        // Strings likely to be meaningful to the model.
        prop_oneof![
            Just("ACTIVE"),
            Just("INACTIVE"),
            Just("RESOURCE"),
            Just("IDENTITY"),
            Just("EXPRESSION"),
            Just("GROUPS"),
            Just("SYSTEM"),
            Just("REGEX"),
            Just("STARTS_WITH"),
            Just("ALL_CLIENTS"),
            Just("EVERYONE"),
            Just("*"),
            Just("openid"),
            Just("TRUE"),
            Just("client_credentials"),
            Just("authorization_code"),
            Just("(["),
            Just(""),
            Just("okta.x"),
            Just("a b"),
            Just("https://x.example/oauth2/a"),
        ]
        .prop_map(|s| Value::String(s.to_owned())),
        ".{0,12}".prop_map(Value::String),
    ]
}

fn json() -> impl Strategy<Value = Value> {
    const KEYS: &[&str] = &[
        "authorizationServer",
        "scopes",
        "claims",
        "policies",
        "rules",
        "name",
        "audiences",
        "issuer",
        "status",
        "claimType",
        "valueType",
        "value",
        "group_filter_type",
        "alwaysIncludeInToken",
        "conditions",
        "scopes",
        "include",
        "exclude",
        "clients",
        "people",
        "users",
        "groups",
        "grantTypes",
        "actions",
        "token",
        "accessTokenLifetimeMinutes",
        "refreshTokenLifetimeMinutes",
        "refreshTokenWindowMinutes",
        "priority",
        "default",
        "consent",
        "metadataPublish",
        "inlineHook",
        "id",
        "_links",
        "x",
    ];
    leaf().prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..8).prop_map(|kv| {
                Value::Object(
                    kv.into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect::<Map<_, _>>(),
                )
            }),
        ]
    })
}

fn base() -> Value {
    serde_json::from_str(include_str!("config/base.json")).unwrap()
}

/// Replaces the value at a pseudo-random position of `doc` with `v`.
fn mutate(doc: &mut Value, mut pick: usize, v: Value) {
    let mut cur = doc;
    loop {
        let n = match cur {
            Value::Object(m) => m.len(),
            Value::Array(a) => a.len(),
            _ => 0,
        };
        if n == 0 || pick.is_multiple_of(4) {
            *cur = v;
            return;
        }
        let i = (pick / 4) % n;
        pick /= 3;
        cur = match cur {
            Value::Object(m) => m.values_mut().nth(i).unwrap(),
            Value::Array(a) => &mut a[i],
            _ => unreachable!(),
        };
    }
}

fn check(doc: Value) {
    let text = doc.to_string();
    // Text read straight into the model (or object by object when malformed) gives what the
    // same text parsed into a JSON value gives: the same configuration, or the same diagnostics.
    let parsed: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        ServerConfig::from_json(&text),
        ServerConfig::from_value(parsed),
        "{text}"
    );
    match ServerConfig::from_json(&text) {
        Err(e) => {
            assert!(!e.diagnostics.is_empty());
            assert!(e.diagnostics.iter().any(|d| d.is_error()));
        }
        Ok(cfg) => {
            // A loaded config round-trips, and compiling never panics.
            let again = ServerConfig::from_json(&cfg.to_json_pretty()).unwrap();
            assert_eq!(cfg, again);
            if let Err(e) = AuthorizationServer::compile(cfg, Options::default()) {
                assert!(e.errors().count() > 0);
                for d in &e.diagnostics {
                    assert!(d.path.is_empty() || d.path.starts_with('/'));
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_json_never_panics(doc in json()) {
        check(doc);
    }

    #[test]
    fn arbitrary_json_under_the_bundle_keys_never_panics(
        server in json(), scopes in json(), claims in json(), policies in json()
    ) {
        check(serde_json::json!({
            "authorizationServer": server, "scopes": scopes, "claims": claims, "policies": policies
        }));
    }

    #[test]
    fn mutated_valid_configs_never_panic(muts in prop::collection::vec((any::<usize>(), json()), 1..4)) {
        let mut doc = base();
        for (pick, v) in muts {
            mutate(&mut doc, pick, v);
        }
        check(doc);
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,200}") {
        let _ = ServerConfig::from_json(&text);
    }
}
