//! The token features end to end, as data: every file of `tests/features/` is run here. Each
//! case compiles `tests/mint/config.json` (patched with RFC 6902 `configPatch`), evaluates
//! `request` (`"user": "$user"` stands for `tests/mint/user.json`), and mints — through
//! `prepare`, the hook answer `hookResponse` (JSON) or `hookRaw` (text) under `limits`
//! (members of `HookLimits`) if given, and `sign` — then compares with `expect`:
//!
//! - `compile`: the configuration must be refused with exactly these errors (`[{code, path}]`);
//! - `error`: the OAuth error of the evaluation, the hook answer or the mint
//!   (`{error, error_description}`);
//! - `hook`: `{applied, operations?}` or `{applied: false, refusal: <RefusalKind id>}`;
//! - `hookRequest`: `{<JSON pointer into the hook request body>: value}`; `null` as the whole
//!   member: the rule names no hook;
//! - `response`: members of the token response (`token_type`, `expires_in`, `scope`,
//!   `device_secret`: true/false for present/absent);
//! - `encrypted`: whether the access token is a JWE;
//! - `access_token`, `id_token`: claims that must have these values (`null`: absent), or
//!   `null`: no such token; `refresh_record`, `device_record`: members of the records likewise.
//!
//! DPoP: `dpop` builds the request's proof with the client key `key` (`a` or `b`, ES256):
//! header `{typ: dpop+jwt, alg, jwk}` and claims `{jti, htm: POST, htu: <token URL>, iat:
//! now}`, each member replaced by `header` / `claims` (null removes; `$JWK_B`: key b's public
//! JWK, `$NOW+N` / `$NOW-N`: seconds from the request's `now`); `method`, `url` and
//! `nonces`, `maxAge`, `maxFuture` go to the request (default: POST and the token URL). `$JKT_A` / `$JKT_B` anywhere
//! stand for the keys' thumbprints; `$ENC_JWKS` / `$ENC_JWKS_384` / `$ENC_JWKS_512` for the
//! resource server's public encryption JWKS (its key labelled for that RSA-OAEP algorithm).
//! `code`: mint for a hybrid response with that authorization code (`c_hash`).
//!
//! Whatever the expectations, every minted token is checked independently: the access token
//! decrypted (when encrypted) and verified against the published JWKS — a DPoP-bound one with a
//! resource-server proof by the bound key (`ath` over the token as returned) — and the ID token
//! verified with its `at_hash` (over the access token as returned, i.e. the JWE), `c_hash` and
//! `ds_hash`. Minting twice from the same seed gives the same bytes, and without a hook answer
//! `prepare` + `sign` gives the bytes of the one-call `mint`.

// A panic here is a failed test or a stopped tool, not a host brought down: the crate's
// lints for src/ (Cargo.toml) are relaxed.
#![allow(
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    unreachable_pub
)]

use base64::Engine as _;
use chrono::{DateTime, Utc};
use rand::SeedableRng;
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use tokenmint::config::RotationMode;
use tokenmint::hook::HookLimits;
use tokenmint::token::{
    Algorithm, DecryptionKey, DpopCheck, Expectations, Jwks, KeyEncryption, KeySet,
    access_token_hash, decrypt, left_half_hash, verify, verify_dpop_bound,
};
use tokenmint::{AuthorizationServer, Options, ServerConfig, TokenRequest, TokenResponse};

const TOKEN_URL: &str = "https://example.okta.com/oauth2/aus1shop/v1/token";
const API_URL: &str = "https://api.example.com/orders";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")
}

/// The two clients' DPoP keys.
fn client_key(name: &str) -> &'static KeySet {
    static KEYS: OnceLock<(KeySet, KeySet)> = OnceLock::new();
    let (a, b) = KEYS.get_or_init(|| {
        let now: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(41);
        let a = KeySet::generate(Algorithm::ES256, RotationMode::Manual, now, &mut rng).unwrap();
        let b = KeySet::generate(Algorithm::ES256, RotationMode::Manual, now, &mut rng).unwrap();
        (a, b)
    });
    match name {
        "a" => a,
        "b" => b,
        other => panic!("unknown DPoP key {other:?}"),
    }
}

fn bare_jwk(keys: &KeySet) -> Value {
    let mut jwk = keys.active().public_jwk();
    if let Value::Object(m) = &mut jwk {
        m.retain(|k, _| ["kty", "crv", "x", "y"].contains(&k.as_str()));
    }
    jwk
}

fn jkt(name: &str) -> String {
    tokenmint::token::jwk_thumbprint(&bare_jwk(client_key(name))).unwrap()
}

/// The resource server's encryption key, labelled for each algorithm.
fn enc_key(alg: KeyEncryption) -> DecryptionKey {
    static KEY: OnceLock<DecryptionKey> = OnceLock::new();
    let key = KEY.get_or_init(|| {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(43);
        DecryptionKey::generate(KeyEncryption::RsaOaep256, &mut rng).unwrap()
    });
    let mut jwk = key.to_private_jwk().unwrap();
    jwk["alg"] = json!(alg.name());
    DecryptionKey::from_jwk(&jwk).unwrap()
}

fn enc_jwks(alg: KeyEncryption) -> Value {
    let mut jwk = enc_key(alg).public_jwk();
    jwk["use"] = json!("enc");
    json!({"keys": [jwk]})
}

/// Replaces the placeholders in every string of `v`.
fn substitute(v: &mut Value) {
    match v {
        Value::String(s) => match s.as_str() {
            "$JKT_A" => *s = jkt("a"),
            "$JKT_B" => *s = jkt("b"),
            "$ENC_JWKS" => *v = enc_jwks(KeyEncryption::RsaOaep256),
            "$ENC_JWKS_384" => *v = enc_jwks(KeyEncryption::RsaOaep384),
            "$ENC_JWKS_512" => *v = enc_jwks(KeyEncryption::RsaOaep512),
            _ => {}
        },
        Value::Array(a) => a.iter_mut().for_each(substitute),
        Value::Object(o) => o.values_mut().for_each(substitute),
        _ => {}
    }
}

fn config_for(case: &Value) -> Result<AuthorizationServer, Vec<Value>> {
    let text = std::fs::read_to_string(root().join("mint/config.json")).unwrap();
    let mut cfg: Value = serde_json::from_str(&text).unwrap();
    if let Some(p) = case.get("configPatch") {
        let mut p = p.clone();
        substitute(&mut p);
        let patch: json_patch::Patch = serde_json::from_value(p).unwrap();
        json_patch::patch(&mut cfg, &patch).unwrap();
    }
    let cfg = ServerConfig::from_value(cfg).unwrap();
    AuthorizationServer::compile(cfg, Options::default()).map_err(|e| {
        e.errors()
            .map(|d| json!({"code": d.code, "path": d.path}))
            .collect()
    })
}

fn proof(spec: &Value, now: DateTime<Utc>) -> String {
    let keys = client_key(spec["key"].as_str().unwrap_or("a"));
    let mut header = json!({"typ": "dpop+jwt", "jwk": bare_jwk(keys)});
    let mut claims =
        json!({"jti": "proof-1", "htm": "POST", "htu": TOKEN_URL, "iat": now.timestamp()});
    for (target, over) in [
        (&mut header, &spec["header"]),
        (&mut claims, &spec["claims"]),
    ] {
        for (k, v) in over.as_object().into_iter().flatten() {
            let Value::Object(m) = target else {
                unreachable!()
            };
            match v {
                Value::Null => {
                    m.remove(k);
                }
                Value::String(s) if s == "$JWK_B" => {
                    m.insert(k.clone(), bare_jwk(client_key("b")));
                }
                Value::String(s) if s.starts_with("$NOW") => {
                    let offset: i64 = s[4..].parse().unwrap();
                    m.insert(k.clone(), json!(now.timestamp() + offset));
                }
                _ => {
                    m.insert(k.clone(), v.clone());
                }
            }
        }
    }
    let signer = keys.signer();
    signer
        .sign_claims(header.as_object().unwrap(), claims.as_object().unwrap())
        .unwrap()
}

fn request_for(case: &Value) -> TokenRequest {
    let mut req = case["request"].clone();
    if req.get("user") == Some(&json!("$user")) {
        let text = std::fs::read_to_string(root().join("mint/user.json")).unwrap();
        req["user"] = serde_json::from_str(&text).unwrap();
    }
    substitute(&mut req);
    if let Some(spec) = case.get("dpop") {
        let now: DateTime<Utc> = req["now"].as_str().unwrap().parse().unwrap();
        req["dpop"] = json!({
            "proof": proof(spec, now),
            "method": spec.get("method").cloned().unwrap_or(json!("POST")),
            "url": spec.get("url").cloned().unwrap_or(json!(TOKEN_URL)),
        });
        for member in ["nonces", "maxAge", "maxFuture"] {
            if let Some(v) = spec.get(member) {
                req["dpop"][member] = v.clone();
            }
        }
    }
    TokenRequest::from_json(&req.to_string()).unwrap_or_else(|e| panic!("request: {e}"))
}

fn decode(compact: &str) -> Value {
    let parts: Vec<&str> = compact.split('.').collect();
    assert_eq!(parts.len(), 3, "compact JWS");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(parts[1])
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn limits(case: &Value) -> HookLimits {
    let mut l = HookLimits::default();
    let get = |name: &str, current: usize| {
        case.pointer(&format!("/limits/{name}"))
            .and_then(Value::as_u64)
            .map_or(current, |v| v as usize)
    };
    l.max_response_bytes = get("max_response_bytes", l.max_response_bytes);
    l.max_commands = get("max_commands", l.max_commands);
    l.max_operations = get("max_operations", l.max_operations);
    l.max_path_bytes = get("max_path_bytes", l.max_path_bytes);
    l.max_path_depth = get("max_path_depth", l.max_path_depth);
    l.max_value_depth = get("max_value_depth", l.max_value_depth);
    l.max_claims_bytes = get("max_claims_bytes", l.max_claims_bytes);
    l
}

/// One run from a fresh RNG: what came out, and the token response if any.
fn run(
    case: &Value,
    server: &AuthorizationServer,
    req: &TokenRequest,
) -> (Map<String, Value>, Option<TokenResponse>) {
    let seed = case["seed"].as_u64().unwrap_or(1);
    let alg: Algorithm = case["alg"].as_str().unwrap_or("RS256").parse().unwrap();
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
    let keys = KeySet::generate(alg, RotationMode::Auto, req.now, &mut rng).unwrap();
    let mut out = Map::new();
    let grant = match server.evaluate(req) {
        Ok(g) => g,
        Err(e) => {
            out.insert("error".into(), e.to_json());
            return (out, None);
        }
    };
    let code = case.get("code").and_then(Value::as_str);
    let mut prepared = match server.prepare(&grant, code, req.now, &mut rng) {
        Ok(p) => p,
        Err(e) => {
            out.insert("error".into(), e.to_json());
            return (out, None);
        }
    };
    out.insert(
        "hookRequest".into(),
        prepared.hook_request().unwrap_or(Value::Null),
    );
    let answer: Option<Vec<u8>> = match (case.get("hookResponse"), case.get("hookRaw")) {
        (Some(v), _) => Some(v.to_string().into_bytes()),
        (None, Some(Value::String(s))) => Some(s.clone().into_bytes()),
        _ => None,
    };
    if let Some(answer) = &answer {
        match prepared.apply_hook_with(answer, &limits(case)) {
            Ok(report) => {
                let mut h = json!({"applied": report.applied, "operations": report.operations});
                if let Some(r) = &report.refusal {
                    h["refusal"] = json!(r.kind.id());
                    h["reason"] = json!(r.to_string());
                }
                out.insert("hook".into(), h);
            }
            Err(e) => {
                out.insert("error".into(), e.to_json());
                return (out, None);
            }
        }
    }
    let tokens = match prepared.sign(&keys, &mut rng) {
        Ok(t) => t,
        Err(e) => {
            out.insert("error".into(), e.to_json());
            return (out, None);
        }
    };
    if answer.is_none() {
        // The one-call mint gives the same bytes (deterministic algorithms).
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
        let keys2 = KeySet::generate(alg, RotationMode::Auto, req.now, &mut rng).unwrap();
        let minted = match code {
            Some(c) => server.mint_with_code(&grant, c, &keys2, req.now, &mut rng),
            None => server.mint(&grant, &keys2, req.now, &mut rng),
        }
        .unwrap();
        if alg.is_deterministic() {
            assert_eq!(minted, tokens, "prepare + sign differs from mint");
        }
    }
    check_tokens(server, &grant, &keys, &tokens, code, req.now);

    let mut response = json!({"token_type": tokens.token_type, "expires_in": tokens.expires_in,
                              "scope": tokens.scope,
                              "device_secret": tokens.device_secret.is_some()});
    if let Some(j) = &tokens.dpop_jti {
        response["dpop_jti"] = json!(j);
    }
    out.insert("response".into(), response);
    let encrypted = tokens
        .access_token
        .as_deref()
        .is_some_and(|t| t.split('.').count() == 5);
    out.insert("encrypted".into(), json!(encrypted));
    let access = tokens.access_token.as_deref().map_or(Value::Null, |t| {
        if encrypted {
            decode(&decrypt_jwe(t))
        } else {
            decode(t)
        }
    });
    out.insert("access_token".into(), access);
    out.insert(
        "id_token".into(),
        tokens.id_token.as_deref().map_or(Value::Null, decode),
    );
    out.insert(
        "refresh_record".into(),
        tokens
            .refresh_record
            .as_ref()
            .map_or(Value::Null, |r| serde_json::to_value(r).unwrap()),
    );
    out.insert(
        "device_record".into(),
        tokens
            .device_record
            .as_ref()
            .map_or(Value::Null, |r| serde_json::to_value(r).unwrap()),
    );
    (out, Some(tokens))
}

/// Decrypts with the resource server's key, labelled for the JWE's algorithm.
fn decrypt_jwe(jwe: &str) -> String {
    KeyEncryption::ALL
        .iter()
        .find_map(|a| decrypt(jwe, &[enc_key(*a)]).ok())
        .unwrap_or_else(|| panic!("the access token doesn't decrypt"))
        .jws
}

/// The checks every minted token passes, whatever the case expects.
fn check_tokens(
    server: &AuthorizationServer,
    grant: &tokenmint::Grant,
    keys: &KeySet,
    tokens: &TokenResponse,
    code: Option<&str>,
    now: DateTime<Utc>,
) {
    let jwks = Jwks::from_value(&keys.jwks()).unwrap();
    let issuer = server.config().authorization_server.issuer.clone().unwrap();
    let aud = server.config().authorization_server.audiences[0].clone();
    if let Some(at) = &tokens.access_token {
        let encrypted = at.split('.').count() == 5;
        assert_eq!(
            encrypted,
            server.encryption_key().is_some(),
            "encrypted exactly when configured"
        );
        let jws = if encrypted {
            decrypt_jwe(at)
        } else {
            at.clone()
        };
        // A hook may have replaced the audience: verify for the one the token names.
        let aud = decode(&jws)["aud"].as_str().map_or(aud, str::to_owned);
        let expect = Expectations::new(&issuer, &aud, now);
        match &grant.dpop {
            None => {
                assert_eq!(tokens.token_type, "Bearer");
                verify(&jws, &jwks, &expect).unwrap_or_else(|e| panic!("access token: {e}"));
            }
            Some(binding) => {
                assert_eq!(tokens.token_type, "DPoP");
                let key = if binding.jkt == jkt("a") { "a" } else { "b" };
                let keyset = client_key(key);
                let header = json!({"typ": "dpop+jwt", "jwk": bare_jwk(keyset)});
                let claims = json!({"jti": "rs-1", "htm": "GET", "htu": API_URL,
                                    "iat": now.timestamp(), "ath": access_token_hash(&jws)});
                let rs_proof = keyset
                    .signer()
                    .sign_claims(header.as_object().unwrap(), claims.as_object().unwrap())
                    .unwrap();
                let check = DpopCheck::new("GET", API_URL, now).access_token(&jws);
                let (_, p) = verify_dpop_bound(&jws, &rs_proof, &jwks, &expect, &check)
                    .unwrap_or_else(|e| panic!("DPoP-bound access token: {e}"));
                assert_eq!(p.jkt, binding.jkt);
            }
        }
    }
    if let Some(id) = &tokens.id_token {
        let checked = verify(
            id,
            &jwks,
            &Expectations::new(&issuer, &grant.client_id, now),
        )
        .unwrap_or_else(|e| panic!("ID token: {e}"));
        if let Some(at) = &tokens.access_token {
            checked.check_at_hash(at).unwrap();
        }
        if let Some(code) = code {
            checked.check_c_hash(code).unwrap();
        }
        let alg = keys.signer().algorithm();
        assert_eq!(
            tokens.device_secret.is_some(),
            tokens.device_record.is_some()
        );
        match &tokens.device_secret {
            Some(ds) => assert_eq!(
                checked.claims["ds_hash"],
                json!(left_half_hash(alg, ds.as_bytes()))
            ),
            None => assert!(checked.claims.get("ds_hash").is_none()),
        }
    }
    if let Some(record) = &tokens.refresh_record {
        assert_eq!(record.jkt, grant.dpop.as_ref().map(|d| d.jkt.clone()));
        assert_eq!(record.last_used_at, Some(now));
    }
}

/// Whether `actual` has every member of `expected` (`null`: absent).
fn subset(expected: &Value, actual: &Value, at: &str, errors: &mut Vec<String>) {
    match expected {
        Value::Null if actual.is_null() => {}
        Value::Object(e) if actual.is_object() => {
            for (k, v) in e {
                let a = actual.get(k).unwrap_or(&Value::Null);
                if v.is_null() {
                    if !a.is_null() {
                        errors.push(format!("{at}/{k}: expected absent, got {a}"));
                    }
                } else if a != v {
                    errors.push(format!("{at}/{k}: expected {v}, got {a}"));
                }
            }
        }
        _ => errors.push(format!("{at}: expected {expected}, got {actual}")),
    }
}

fn compare(expect: &Value, actual: &Map<String, Value>) -> Vec<String> {
    let mut errors = Vec::new();
    let get = |k: &str| actual.get(k).unwrap_or(&Value::Null);
    for (k, v) in expect.as_object().into_iter().flatten() {
        let mut v = v.clone();
        substitute(&mut v);
        match k.as_str() {
            "compile" => errors.push(format!("expected compile errors {v}, but it compiled")),
            "error" | "encrypted" => {
                if get(k) != &v {
                    errors.push(format!("{k}: expected {v}, got {}", get(k)));
                }
            }
            "hookRequest" if v.is_null() => {
                if !get(k).is_null() {
                    errors.push("hookRequest: expected none".into());
                }
            }
            "hookRequest" => {
                for (pointer, want) in v.as_object().into_iter().flatten() {
                    let got = get(k).pointer(pointer).unwrap_or(&Value::Null);
                    if got != want {
                        errors.push(format!("hookRequest{pointer}: expected {want}, got {got}"));
                    }
                }
            }
            "hook" | "response" | "access_token" | "id_token" | "refresh_record"
            | "device_record" => subset(&v, get(k), k, &mut errors),
            other => errors.push(format!("unknown expectation {other:?}")),
        }
    }
    if expect.get("error").is_none()
        && let Some(e) = actual.get("error")
    {
        errors.push(format!("unexpected error {e}"));
    }
    errors
}

#[test]
fn token_feature_cases() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("features"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let mut failures = Vec::new();
    let mut count = 0;
    for path in &files {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap())
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        for case in doc["cases"].as_array().unwrap() {
            count += 1;
            let name = format!("{file}: {}", case["name"].as_str().unwrap());
            let expect = &case["expect"];
            let server = match config_for(case) {
                Ok(s) => s,
                Err(errors) => {
                    let want = expect.get("compile").cloned().unwrap_or(Value::Null);
                    if want != Value::Array(errors.clone()) {
                        failures.push(format!(
                            "{name}: compile errors {errors:?}, expected {want}"
                        ));
                    }
                    continue;
                }
            };
            let req = request_for(case);
            let (first, tokens) = run(case, &server, &req);
            let (second, again) = run(case, &server, &req);
            let alg: Algorithm = case["alg"].as_str().unwrap_or("RS256").parse().unwrap();
            if alg.is_deterministic() {
                assert_eq!(tokens, again, "{name}: not byte-stable");
            }
            assert_eq!(first.get("error"), second.get("error"), "{name}");
            for e in compare(expect, &first) {
                failures.push(format!("{name}: {e}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
