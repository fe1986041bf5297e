//! Discovery metadata: the documents a custom authorization server serves at
//! `{issuer}/.well-known/oauth-authorization-server` (RFC 8414, [`oauth_authorization_server`])
//! and `{issuer}/.well-known/openid-configuration` (OpenID Connect Discovery,
//! [`openid_configuration`]).
//!
//! Endpoints are under the issuer (`{issuer}/v1/authorize`, `/v1/token`, `/v1/keys`, …) except
//! client registration, which is org-wide (`{origin}/oauth2/v1/clients`). `scopes_supported`
//! lists the scopes whose `metadataPublish` is `ALL_CLIENTS` — the system scopes (`openid`,
//! `profile`, …, unless the configuration lists them with other metadata) followed by the
//! configuration's own scopes in their order; custom claims are never listed.
//! `grant_types_supported` names the grant types the active rules name (see
//! [`configured_grant_types`]), `device_authorization_endpoint` is there only when one of them
//! is the device code grant, and `pushed_authorization_request_endpoint` is never there (a host
//! that serves pushed authorization requests adds it). The signing
//! algorithms come from the caller (usually the algorithms of the published keys, see
//! [`KeySet::algorithms`](crate::token::KeySet::algorithms)).
//!
//! ```
//! use tokenmint::ServerConfig;
//! use tokenmint::discovery::openid_configuration;
//! use tokenmint::token::Algorithm;
//!
//! let cfg = ServerConfig::from_json(r#"{"authorizationServer": {"name": "default",
//!     "audiences": ["api://default"], "issuer": "https://example.okta.com/oauth2/default"},
//!     "scopes": [{"name": "orders:read", "metadataPublish": "ALL_CLIENTS"},
//!                {"name": "internal", "metadataPublish": "NO_CLIENTS"}]}"#).unwrap();
//! let doc = openid_configuration(&cfg, "https://example.okta.com/oauth2/default", &[Algorithm::RS256]);
//! assert_eq!(doc["jwks_uri"], "https://example.okta.com/oauth2/default/v1/keys");
//! assert_eq!(doc["scopes_supported"][7], "orders:read");
//! assert_eq!(doc["id_token_signing_alg_values_supported"][0], "RS256");
//! ```

use crate::config::{GrantType, MetadataPublish, SYSTEM_SCOPE_NAMES, ServerConfig};
use crate::token::Algorithm;
use serde_json::{Map, Value, json};

const RESPONSE_TYPES: [&str; 7] = [
    "code",
    "token",
    "id_token",
    "code id_token",
    "code token",
    "id_token token",
    "code id_token token",
];
const RESPONSE_MODES: [&str; 4] = ["query", "fragment", "form_post", "okta_post_message"];
const CLIENT_AUTH: [&str; 5] = [
    "client_secret_basic",
    "client_secret_post",
    "client_secret_jwt",
    "private_key_jwt",
    "none",
];
const REQUEST_OBJECT_ALGS: [&str; 9] = [
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512",
];
const OAUTH_CLAIMS: [&str; 10] = [
    "ver", "jti", "iss", "aud", "iat", "exp", "cid", "uid", "scp", "sub",
];
const OIDC_CLAIMS: [&str; 31] = [
    "iss",
    "ver",
    "sub",
    "aud",
    "iat",
    "exp",
    "jti",
    "auth_time",
    "amr",
    "idp",
    "nonce",
    "name",
    "nickname",
    "preferred_username",
    "given_name",
    "middle_name",
    "family_name",
    "email",
    "email_verified",
    "profile",
    "zoneinfo",
    "locale",
    "address",
    "phone_number",
    "picture",
    "website",
    "gender",
    "birthdate",
    "updated_at",
    "at_hash",
    "c_hash",
];

/// The OAuth 2.0 authorization server metadata (RFC 8414) of `config`, served under `issuer`
/// (usually `config.authorization_server.issuer`; a trailing `/` is ignored).
pub fn oauth_authorization_server(
    config: &ServerConfig,
    issuer: &str,
    signing_algorithms: &[Algorithm],
) -> Value {
    document(config, issuer, signing_algorithms, false)
}

/// The OpenID Connect discovery document of `config`: the OAuth metadata plus
/// `userinfo_endpoint`, `id_token_signing_alg_values_supported` and the ID-token claims.
pub fn openid_configuration(
    config: &ServerConfig,
    issuer: &str,
    signing_algorithms: &[Algorithm],
) -> Value {
    document(config, issuer, signing_algorithms, true)
}

/// Scope names listed in `scopes_supported`.
pub fn published_scopes(config: &ServerConfig) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in SYSTEM_SCOPE_NAMES {
        let listed = config
            .scopes
            .iter()
            .find(|s| s.name == name)
            .is_none_or(|s| s.metadata_publish == MetadataPublish::AllClients);
        if listed {
            out.push(name.to_owned());
        }
    }
    for scope in &config.scopes {
        if scope.metadata_publish == MetadataPublish::AllClients && !out.contains(&scope.name) {
            out.push(scope.name.clone());
        }
    }
    out
}

/// The grant types a token request can be granted with: those the active rules of active
/// policies name, plus `refresh_token` when one of them mints refresh tokens (a refresh is
/// re-evaluated against the rules of the original grant), in the order of [`GrantType::KNOWN`].
pub fn configured_grant_types(config: &ServerConfig) -> Vec<GrantType> {
    use crate::config::Status;
    let named = |g: &GrantType| {
        config
            .policies
            .iter()
            .filter(|p| p.status == Status::Active)
            .flat_map(|p| &p.rules)
            .filter(|r| r.status == Status::Active)
            .any(|r| r.conditions.grant_types.include.contains(g))
    };
    let refreshing = [
        GrantType::AuthorizationCode,
        GrantType::Password,
        GrantType::DeviceCode,
        GrantType::InteractionCode,
    ];
    GrantType::KNOWN
        .iter()
        .filter(|g| named(g) || (**g == GrantType::RefreshToken && refreshing.iter().any(named)))
        .cloned()
        .collect()
}

/// `https://host[:port]` of a URL (everything before the first `/` after the scheme).
fn origin(url: &str) -> &str {
    let start = url.find("://").map_or(0, |i| i + 3);
    match url[start..].find('/') {
        Some(i) => &url[..start + i],
        None => url,
    }
}

fn strings(items: &[&str]) -> Value {
    Value::Array(items.iter().map(|s| Value::from(*s)).collect())
}

fn document(config: &ServerConfig, issuer: &str, algs: &[Algorithm], oidc: bool) -> Value {
    let issuer = issuer.trim_end_matches('/');
    let at = |path: &str| Value::from(format!("{issuer}{path}"));
    let mut algs_seen: Vec<&str> = Vec::new();
    for a in algs {
        if !algs_seen.contains(&a.name()) {
            algs_seen.push(a.name());
        }
    }
    let mut m = Map::new();
    m.insert("issuer".into(), issuer.into());
    m.insert("authorization_endpoint".into(), at("/v1/authorize"));
    m.insert("token_endpoint".into(), at("/v1/token"));
    if oidc {
        m.insert("userinfo_endpoint".into(), at("/v1/userinfo"));
    }
    m.insert(
        "registration_endpoint".into(),
        format!("{}/oauth2/v1/clients", origin(issuer)).into(),
    );
    m.insert("jwks_uri".into(), at("/v1/keys"));
    m.insert("response_types_supported".into(), strings(&RESPONSE_TYPES));
    m.insert("response_modes_supported".into(), strings(&RESPONSE_MODES));
    let grant_types = configured_grant_types(config);
    m.insert(
        "grant_types_supported".into(),
        Value::Array(grant_types.iter().map(|g| g.as_str().into()).collect()),
    );
    m.insert("subject_types_supported".into(), json!(["public"]));
    m.insert("scopes_supported".into(), json!(published_scopes(config)));
    m.insert(
        "token_endpoint_auth_methods_supported".into(),
        strings(&CLIENT_AUTH),
    );
    m.insert(
        "claims_supported".into(),
        strings(if oidc { &OIDC_CLAIMS } else { &OAUTH_CLAIMS }),
    );
    m.insert("code_challenge_methods_supported".into(), json!(["S256"]));
    m.insert("introspection_endpoint".into(), at("/v1/introspect"));
    m.insert(
        "introspection_endpoint_auth_methods_supported".into(),
        strings(&CLIENT_AUTH),
    );
    m.insert("revocation_endpoint".into(), at("/v1/revoke"));
    m.insert(
        "revocation_endpoint_auth_methods_supported".into(),
        strings(&CLIENT_AUTH),
    );
    m.insert("end_session_endpoint".into(), at("/v1/logout"));
    m.insert("request_parameter_supported".into(), true.into());
    m.insert(
        "request_object_signing_alg_values_supported".into(),
        strings(&REQUEST_OBJECT_ALGS),
    );
    if oidc {
        m.insert(
            "id_token_signing_alg_values_supported".into(),
            strings(&algs_seen),
        );
    }
    // The device flow's endpoint only when a rule grants device codes; pushed authorization
    // requests are the host's /authorize business, which the library has no part in, so a host
    // that serves /v1/par adds `pushed_authorization_request_endpoint` itself.
    if grant_types.contains(&GrantType::DeviceCode) {
        m.insert(
            "device_authorization_endpoint".into(),
            at("/v1/device/authorize"),
        );
    }
    m.insert(
        "dpop_signing_alg_values_supported".into(),
        Value::Array(Algorithm::ALL.iter().map(|a| a.name().into()).collect()),
    );
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::origin;

    #[test]
    fn origins() {
        assert_eq!(
            origin("https://example.okta.com/oauth2/default"),
            "https://example.okta.com"
        );
        assert_eq!(
            origin("https://example.okta.com"),
            "https://example.okta.com"
        );
        assert_eq!(origin("http://localhost:8080/x"), "http://localhost:8080");
        assert_eq!(origin("weird"), "weird");
        assert_eq!(origin("é/x"), "é");
    }
}
