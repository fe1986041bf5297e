//! The configuration model reads Okta's Management API JSON as-is: every field of every object,
//! defaults where Okta omits a field, and round trips that keep the meaning.

// A panic here is a failed test or a stopped tool, not a host brought down: the crate's
// lints for src/ (Cargo.toml) are relaxed.
#![allow(
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    unreachable_pub
)]

use serde_json::{Value, json};
use tokenmint::ServerConfig;
use tokenmint::config::{
    ClaimType, Consent, GrantType, GroupFilterType, IssuerMode, MetadataPublish, RotationMode,
    Status, ValueType,
};
use tokenmint::{AuthorizationServer, Options};

fn okta_objects() -> ServerConfig {
    ServerConfig::from_json(include_str!("config/okta_objects.json")).expect("loads")
}

#[test]
fn authorization_server_every_field() {
    let cfg = okta_objects();
    let s = &cfg.authorization_server;
    assert_eq!(s.id.as_deref(), Some("ausain6z9zIedDCxB0h7"));
    assert_eq!(s.name, "Sample Authorization Server");
    assert_eq!(
        s.description.as_deref(),
        Some("Sample Authorization Server description")
    );
    assert_eq!(s.audiences, vec!["https://api.resource.com"]);
    assert_eq!(
        s.issuer.as_deref(),
        Some("https://example.okta.com/oauth2/ausain6z9zIedDCxB0h7")
    );
    assert_eq!(s.issuer_mode, Some(IssuerMode::OrgUrl));
    assert_eq!(s.status, Status::Active);
    assert_eq!(s.default, Some(false));
    assert_eq!(s.created.as_deref(), Some("2017-05-17T22:25:57.000Z"));
    assert_eq!(s.last_updated.as_deref(), Some("2017-05-17T22:25:57.000Z"));
    let signing = s.credentials.as_ref().unwrap().signing.as_ref().unwrap();
    assert_eq!(
        signing.kid.as_deref(),
        Some("WYQxoK4XAwGFn5Zw5AzLxFvqEKLP79BbsKmWeuc5TB4")
    );
    assert_eq!(signing.rotation_mode, Some(RotationMode::Auto));
    assert_eq!(
        signing.last_rotated.as_deref(),
        Some("2017-05-17T22:25:57.000Z")
    );
    assert_eq!(
        signing.next_rotation.as_deref(),
        Some("2017-08-15T22:25:57.000Z")
    );
    assert_eq!(signing.key_use.as_deref(), Some("sig"));
    assert_eq!(
        s.access_token_encrypted_response_algorithm.as_deref(),
        Some("RSA-OAEP-256")
    );
    assert_eq!(s.jwks_uri.as_deref(), Some("https://api.resource.com/keys"));
    let links = s.links.as_ref().unwrap();
    assert_eq!(links["metadata"].as_array().unwrap().len(), 2);
    assert!(
        links["rotateKey"]["href"]
            .as_str()
            .unwrap()
            .ends_with("keyRotate")
    );
    assert!(s.extra.is_empty());
}

#[test]
fn issuer_modes_and_rotation_modes() {
    for (wire, mode) in [
        ("ORG_URL", IssuerMode::OrgUrl),
        ("CUSTOM_URL", IssuerMode::CustomUrl),
        ("DYNAMIC", IssuerMode::Dynamic),
    ] {
        let s: tokenmint::config::Server =
            serde_json::from_value(json!({"name": "x", "issuerMode": wire})).unwrap();
        assert_eq!(s.issuer_mode, Some(mode));
        assert_eq!(serde_json::to_value(s).unwrap()["issuerMode"], wire);
    }
    for (wire, mode) in [
        ("AUTO", RotationMode::Auto),
        ("MANUAL", RotationMode::Manual),
    ] {
        let s: tokenmint::config::SigningCredentials =
            serde_json::from_value(json!({"rotationMode": wire})).unwrap();
        assert_eq!(s.rotation_mode, Some(mode));
    }
    let s: tokenmint::config::Server =
        serde_json::from_value(json!({"name": "x", "status": "INACTIVE"})).unwrap();
    assert_eq!(s.status, Status::Inactive);
}

#[test]
fn scope_every_field_and_defaults() {
    let cfg = okta_objects();
    let s = &cfg.scopes[0];
    assert_eq!(s.id.as_deref(), Some("scp5yu8kLOnDzo7lh0g4"));
    assert_eq!(s.name, "car:drive");
    assert_eq!(s.display_name.as_deref(), Some("Saml Jackson"));
    assert_eq!(s.description.as_deref(), Some("Drive car"));
    assert!(!s.system);
    assert!(!s.default);
    assert_eq!(s.consent, Consent::Required);
    assert!(!s.optional);
    assert_eq!(s.metadata_publish, MetadataPublish::AllClients);
    assert!(s.links.is_some());

    // Okta's defaults where the API omits a field.
    let bare = &cfg.scopes[1];
    assert_eq!(bare.name, "orders:read");
    assert!(bare.default);
    assert_eq!(bare.consent, Consent::Flexible);
    assert!(bare.optional);
    assert_eq!(bare.metadata_publish, MetadataPublish::NoClients);
    let minimal: tokenmint::config::Scope = serde_json::from_value(json!({"name": "a"})).unwrap();
    assert_eq!(minimal.consent, Consent::Implicit);
    assert_eq!(minimal.metadata_publish, MetadataPublish::NoClients);
    assert!(!minimal.system && !minimal.default && !minimal.optional);

    let system = &cfg.scopes[2];
    assert!(system.system);
    assert_eq!(system.consent, Consent::Implicit);
}

#[test]
fn claim_every_field_and_defaults() {
    let cfg = okta_objects();
    let sub = &cfg.claims[0];
    assert_eq!(sub.id.as_deref(), Some("oclain6za1HQ0noop0h7"));
    assert_eq!(sub.name, "sub");
    assert_eq!(sub.status, Status::Active);
    assert_eq!(sub.claim_type, Some(ClaimType::Resource));
    assert_eq!(sub.value_type, Some(ValueType::Expression));
    assert_eq!(
        sub.value,
        "(appuser != null) ? appuser.userName : app.clientId"
    );
    assert!(sub.conditions.scopes.is_empty());
    assert!(sub.system);
    assert_eq!(sub.always_include_in_token, None);
    assert!(
        sub.always_include(),
        "absent alwaysIncludeInToken means true"
    );
    assert!(sub.links.is_some());

    let support = &cfg.claims[1];
    assert_eq!(support.status, Status::Inactive);
    assert_eq!(support.claim_type, Some(ClaimType::Identity));
    assert_eq!(support.value_type, Some(ValueType::Groups));
    assert_eq!(support.group_filter_type, Some(GroupFilterType::StartsWith));
    assert_eq!(
        support.always_include_in_token,
        Some(true),
        "the string TRUE"
    );
    assert_eq!(support.conditions.scopes, vec!["car:drive"]);
    // `"apiResourceId": null` reads as absent.
    assert_eq!(support.api_resource_id, None);

    let team = &cfg.claims[2];
    assert_eq!(team.group_filter_type, Some(GroupFilterType::Regex));
    assert_eq!(
        team.always_include_in_token,
        Some(false),
        "the string false"
    );
    assert!(!team.always_include());
    assert_eq!(
        cfg.claims[3].group_filter_type,
        Some(GroupFilterType::Equals)
    );
    assert_eq!(cfg.claims[3].always_include_in_token, Some(true));
    assert_eq!(
        cfg.claims[4].group_filter_type,
        Some(GroupFilterType::Contains)
    );
    assert_eq!(
        cfg.claims[4].always_include_in_token,
        Some(true),
        "the string true"
    );
    assert_eq!(cfg.claims[5].value_type, Some(ValueType::System));
    assert_eq!(cfg.claims[5].always_include_in_token, Some(false));
}

#[test]
fn always_include_in_token_accepts_only_booleans_and_boolean_strings() {
    for (input, want) in [
        (json!(true), Some(true)),
        (json!(false), Some(false)),
        (json!("TRUE"), Some(true)),
        (json!("true"), Some(true)),
        (json!("FALSE"), Some(false)),
        (json!("false"), Some(false)),
        (Value::Null, None),
    ] {
        let c: tokenmint::config::Claim =
            serde_json::from_value(json!({"name": "c", "alwaysIncludeInToken": input})).unwrap();
        assert_eq!(c.always_include_in_token, want, "{input}");
    }
    let bad = serde_json::from_value::<tokenmint::config::Claim>(
        json!({"name": "c", "alwaysIncludeInToken": "yes"}),
    );
    assert!(bad.is_err());
    let bad = serde_json::from_value::<tokenmint::config::Claim>(
        json!({"name": "c", "alwaysIncludeInToken": 1}),
    );
    assert!(bad.is_err());
}

#[test]
fn group_filter_type_is_snake_case_on_the_wire() {
    let c: tokenmint::config::Claim = serde_json::from_value(
        json!({"name": "g", "valueType": "GROUPS", "group_filter_type": "REGEX", "value": ".*"}),
    )
    .unwrap();
    assert_eq!(c.group_filter_type, Some(GroupFilterType::Regex));
    let out = serde_json::to_value(&c).unwrap();
    assert_eq!(out["group_filter_type"], "REGEX");
    assert!(out.get("groupFilterType").is_none());
    // The camelCase spelling is not the field; it is kept as an unknown member.
    let c: tokenmint::config::Claim = serde_json::from_value(
        json!({"name": "g", "valueType": "GROUPS", "groupFilterType": "REGEX", "value": ".*"}),
    )
    .unwrap();
    assert_eq!(c.group_filter_type, None);
    assert!(c.extra.contains_key("groupFilterType"));
}

#[test]
fn policy_and_rule_every_field() {
    let cfg = okta_objects();
    let p = &cfg.policies[0];
    assert_eq!(p.id.as_deref(), Some("00palyaappA22DPkj0h7"));
    assert_eq!(p.policy_type.as_deref(), Some("OAUTH_AUTHORIZATION_POLICY"));
    assert_eq!(p.status, Status::Active);
    assert_eq!(p.name, "Default Policy");
    assert_eq!(p.description.as_deref(), Some("Default policy description"));
    assert_eq!(p.priority, Some(1));
    assert!(!p.system);
    assert_eq!(
        p.conditions.clients.as_ref().unwrap().include,
        vec!["ALL_CLIENTS"]
    );
    assert_eq!(p.created.as_deref(), Some("2017-05-26T19:43:53.000Z"));
    assert_eq!(p.last_updated.as_deref(), Some("2017-05-26T19:43:53.000Z"));
    assert!(p.links.as_ref().unwrap()["rules"]["href"].is_string());
    assert_eq!(p.rules.len(), 2);

    let r = &p.rules[0];
    assert_eq!(r.id.as_deref(), Some("0prbsjfyl01zfSZ9K0h7"));
    assert_eq!(r.rule_type.as_deref(), Some("RESOURCE_ACCESS"));
    assert_eq!(r.status, Status::Active);
    assert_eq!(r.name, "Default Policy Rule");
    assert_eq!(r.priority, Some(1));
    assert!(!r.system);
    assert_eq!(r.created.as_deref(), Some("2017-08-25T16:57:02.000Z"));
    assert_eq!(r.last_updated.as_deref(), Some("2017-08-30T14:51:05.000Z"));
    let people = r.conditions.people.as_ref().unwrap();
    let users = people.users.as_ref().unwrap();
    assert!(users.include.is_empty());
    assert_eq!(users.exclude, vec!["00u7h8nhcf5cHhbl20g4"]);
    assert_eq!(people.groups.as_ref().unwrap().include, vec!["EVERYONE"]);
    assert!(people.has_includes());
    assert_eq!(r.conditions.scopes.include, vec!["*"]);
    let grants = &r.conditions.grant_types.include;
    assert_eq!(grants.len(), GrantType::KNOWN.len());
    for g in GrantType::KNOWN.iter() {
        assert!(grants.contains(g), "{g} parsed");
    }
    let t = &r.actions.token;
    assert_eq!(t.access_token_lifetime_minutes, 60);
    assert_eq!(t.refresh_token_lifetime_minutes, 0);
    assert_eq!(t.refresh_token_window_minutes, 10080);
    assert_eq!(t.inline_hook.as_ref().unwrap().id, "cal4egvp1mbMldrYN0g7");
    assert!(r.links.is_some());

    // Defaults of a bare rule and policy.
    let bare = &p.rules[1];
    assert_eq!(bare.status, Status::Inactive);
    assert_eq!(bare.priority, None);
    assert!(bare.conditions.people.is_none());
    assert_eq!(bare.actions.token.access_token_lifetime_minutes, 60);
    assert_eq!(bare.actions.token.refresh_token_lifetime_minutes, 0);
    assert_eq!(bare.actions.token.refresh_token_window_minutes, 10080);
    assert!(bare.actions.token.inline_hook.is_none());
    let bare_policy = &cfg.policies[1];
    assert_eq!(bare_policy.status, Status::Inactive);
    assert!(bare_policy.rules.is_empty());
    assert_eq!(bare_policy.priority, None);
}

#[test]
fn grant_types_round_trip_their_wire_strings() {
    for g in GrantType::KNOWN.iter() {
        let v = serde_json::to_value(g).unwrap();
        assert_eq!(v, Value::String(g.as_str().to_owned()));
        let back: GrantType = serde_json::from_value(v).unwrap();
        assert_eq!(&back, g);
        assert!(back.is_known());
    }
    let other: GrantType = serde_json::from_value(json!("authorisation_code")).unwrap();
    assert_eq!(other, GrantType::Other("authorisation_code".into()));
    assert!(!other.is_known());
    assert_eq!(serde_json::to_value(&other).unwrap(), "authorisation_code");
    assert!(GrantType::AuthorizationCode.requires_people());
    assert!(GrantType::Implicit.requires_people());
    assert!(GrantType::Password.requires_people());
    assert!(!GrantType::ClientCredentials.requires_people());
    assert!(!GrantType::RefreshToken.requires_people());
}

#[test]
fn round_trip_keeps_the_meaning() {
    let cfg = okta_objects();
    let text = cfg.to_json_pretty();
    let again = ServerConfig::from_json(&text).unwrap();
    assert_eq!(cfg, again);
    // And a second trip is byte-stable.
    assert_eq!(text, again.to_json_pretty());
}

#[test]
fn unknown_members_are_kept_and_round_trip() {
    let text = r#"{"authorizationServer": {"name": "s", "audiences": ["api://s"],
        "issuer": "https://example.okta.com/oauth2/s", "futureField": {"a": 1}},
        "scopes": [{"name": "a", "x-note": "kept"}]}"#;
    let cfg = ServerConfig::from_json(text).unwrap();
    assert_eq!(
        cfg.authorization_server.extra["futureField"],
        json!({"a": 1})
    );
    assert_eq!(cfg.scopes[0].extra["x-note"], "kept");
    let again = ServerConfig::from_json(&cfg.to_json_pretty()).unwrap();
    assert_eq!(cfg, again);
    // They compile, with a warning each.
    let server = AuthorizationServer::compile(cfg, Options::default()).unwrap();
    let paths: Vec<_> = server.warnings().iter().map(|d| d.path.as_str()).collect();
    assert!(paths.contains(&"/authorizationServer/futureField"));
    assert!(paths.contains(&"/scopes/0/x-note"));
}

#[test]
fn okta_objects_compile() {
    // Okta's sample server encrypts access tokens to the keys of its `jwks_uri`. The library
    // does no I/O, so as published it is refused with that one located error (never a server
    // that mints plain tokens where encrypted ones are configured) ...
    let err = AuthorizationServer::compile(okta_objects(), Options::default()).unwrap_err();
    let errors: Vec<_> = err.errors().map(|d| (d.code, d.path.as_str())).collect();
    assert_eq!(
        errors,
        [("server.encryption.jwks", "/authorizationServer/jwks")]
    );
    // ... and compiles once the host has put the fetched keys in `jwks`.
    let mut cfg = okta_objects();
    cfg.authorization_server.jwks = Some(json!({"keys": [{"kty": "RSA", "use": "enc",
        "kid": "rs-enc", "e": "AQAB", "n": "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw"}]}));
    let server = AuthorizationServer::compile(cfg, Options::default());
    let server = server.unwrap_or_else(|e| panic!("{e}"));
    assert!(server.warnings().iter().all(|d| !d.is_error()));
    assert_eq!(server.encryption_key().map(|k| k.kid()), Some("rs-enc"));
}

#[test]
fn structural_errors_are_located_and_all_reported() {
    let text = r#"{
      "authorizationServer": {"name": "x", "audiences": "api://x"},
      "scopes": [{"name": 3}, {"name": "ok"}, {"name": "b", "consent": "SOMETIMES"}],
      "claims": [{"name": "c", "claimType": "ACCESS"}],
      "policies": [{"name": "p", "priority": "one",
                    "rules": [{"name": "r", "actions": {"token": {"accessTokenLifetimeMinutes": "60"}}}]}],
      "extra": true
    }"#;
    let err = ServerConfig::from_json(text).unwrap_err();
    let paths: Vec<&str> = err.diagnostics.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "/authorizationServer/audiences",
            "/scopes/0/name",
            "/scopes/2/consent",
            "/claims/0/claimType",
            "/policies/0/priority",
            "/policies/0/rules/0/actions/token/accessTokenLifetimeMinutes",
            "/extra",
        ]
    );
    assert!(err.diagnostics.iter().all(|d| d.is_error()));
    let text = err.to_string();
    assert!(text.contains("unknown variant `ACCESS`"), "{text}");
}

#[test]
fn malformed_json_is_one_clear_error() {
    for bad in [
        "",
        "{",
        "[]",
        "null",
        "{\"authorizationServer\": 3}",
        "{\"scopes\": {}}",
    ] {
        let err = ServerConfig::from_json(bad).unwrap_err();
        assert!(!err.diagnostics.is_empty(), "{bad}");
        assert!(err.diagnostics.iter().all(|d| d.is_error()));
    }
}
