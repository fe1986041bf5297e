//! Writes sample tokens for every algorithm, the JWKS that verifies them and a manifest of what
//! each token is and whether it must verify, for independent verifiers to check
//! (`scripts/interop.sh` runs this and then the Python and node verifiers in `tests/interop/`).
//!
//! ```text
//! cargo run --example interop_tokens -- [OUT_DIR] [--seed N]
//! ```
//! The valid tokens are minted by an `AuthorizationServer` (an authorization-code grant with
//! openid, a user, groups and custom claims; the ID token with `at_hash` and, through
//! `mint_with_code`, `c_hash`); the negative cases are minted the same way or derived from
//! minted tokens. OUT_DIR defaults to `target/interop`. Keys (and jti values) come from a
//! ChaCha20 RNG seeded with N (default 2026); `iat`/`exp` come from the system clock, since the
//! verifiers check them against theirs.
//!
//! Encrypted access tokens: for each algorithm a server configured with
//! `accessTokenEncryptedResponseAlgorithm` and a resource server's public key in `jwks`
//! (RSA-OAEP-256, -384, -512 in turn; their private JWKs in `enc_keys.json` for the verifiers
//! to decrypt with) mints a nested JWT (`encrypted: true` in the manifest) and an ID token
//! whose `at_hash` is over that JWE; plus an expired one, a tampered one and one encrypted to a
//! key the verifiers don't hold. DPoP: each algorithm also signs a client's DPoP proof for the
//! token endpoint (`dpop_proof`, `htm`, `htu` in the manifest); the server checks it and mints
//! an access token bound to its key (`cnf.jkt`), and one bound to another client's key.

// A panic here is a failed test or a stopped tool, not a host brought down: the crate's
// lints for src/ (Cargo.toml) are relaxed.
#![allow(
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    unreachable_pub
)]

use chrono::{DateTime, TimeDelta, Utc};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::{Map, Value, json};
use std::path::PathBuf;
use tokenmint::config::RotationMode;
use tokenmint::token::{
    Algorithm, DecryptionKey, DpopCheck, EncryptionKey, KeyEncryption, KeySet, check_proof,
};
use tokenmint::{AuthorizationServer, Grant, Options, ServerConfig, TokenRequest, TokenResponse};

const ISS: &str = "https://interop.example.com/oauth2/aus1interop";
const AUD: &str = "api://default";
const CLIENT: &str = "0oa1interopclient";
const TOKEN_URL: &str = "https://interop.example.com/oauth2/aus1interop/v1/token";

/// The server the tokens come from: an authorization-code rule for the interop client, a
/// GROUPS claim and custom claims in both tokens.
const CONFIG: &str = r#"{
  "authorizationServer": {"name": "interop", "audiences": ["api://default"],
                          "issuer": "https://interop.example.com/oauth2/aus1interop"},
  "scopes": [{"name": "orders:read"}, {"name": "groups"}],
  "claims": [
    {"name": "groups", "claimType": "RESOURCE", "valueType": "GROUPS",
     "group_filter_type": "REGEX", "value": ".*", "conditions": {"scopes": ["groups"]}},
    {"name": "department", "claimType": "RESOURCE", "valueType": "EXPRESSION",
     "value": "user.department"},
    {"name": "employee_id", "claimType": "IDENTITY", "valueType": "EXPRESSION",
     "value": "appuser.employeeId", "alwaysIncludeInToken": true}
  ],
  "policies": [{"name": "Interop", "description": "The interop client", "priority": 1,
    "conditions": {"clients": {"include": ["0oa1interopclient"]}},
    "rules": [{"name": "Code", "priority": 1,
      "conditions": {"people": {"groups": {"include": ["EVERYONE"]}},
                     "grantTypes": {"include": ["authorization_code"]},
                     "scopes": {"include": ["openid", "profile", "email", "orders:read", "groups"]}},
      "actions": {"token": {"accessTokenLifetimeMinutes": 60}}}]}]
}"#;

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("interop_tokens: {msg}");
    std::process::exit(1)
}

/// The authorization-code request of the sample user at `now`, with a DPoP proof if given,
/// evaluated.
fn grant_at(server: &AuthorizationServer, now: DateTime<Utc>, proof: Option<&str>) -> Grant {
    let mut req = json!({
        "client": {"clientId": CLIENT, "name": "Interop client"},
        "grantType": "authorization_code",
        "responseType": "code",
        "scopes": ["openid", "profile", "email", "orders:read", "groups"],
        "user": {"id": "00u1interop", "status": "ACTIVE",
                 "profile": {"login": "ann@example.com", "email": "ann@example.com",
                             "firstName": "Ann", "lastName": "Example", "department": "Sales"},
                 "groups": [{"id": "00g1every", "name": "Everyone", "type": "BUILT_IN"},
                            {"id": "00g1sales", "name": "Sales", "type": "OKTA_GROUP"}]},
        "appuser": {"userName": "ann@example.com", "employeeId": "E-7"},
        "nonce": "n-0S6_WzA2Mj",
        "authTime": now.timestamp() - 60,
        "idp": "00o1interop",
        "now": now,
    });
    if let Some(proof) = proof {
        req["dpop"] = json!({"proof": proof, "method": "POST", "url": TOKEN_URL});
    }
    let req = TokenRequest::from_json(&req.to_string()).unwrap_or_else(|e| fail(&e.to_string()));
    server
        .evaluate(&req)
        .unwrap_or_else(|e| fail(&format!("the sample request is refused: {e}")))
}

/// Mints the grant's tokens, with `c_hash` when a code is given.
fn mint(
    server: &AuthorizationServer,
    grant: &Grant,
    code: Option<&str>,
    keys: &KeySet,
    now: DateTime<Utc>,
    rng: &mut ChaCha20Rng,
) -> (String, String) {
    let minted: TokenResponse = match code {
        Some(c) => server.mint_with_code(grant, c, keys, now, rng),
        None => server.mint(grant, keys, now, rng),
    }
    .unwrap_or_else(|e| fail(&format!("minting failed: {e}")));
    match (minted.access_token, minted.id_token) {
        (Some(at), Some(id)) => (at, id),
        _ => fail("the grant minted no access token or no ID token"),
    }
}

/// The public members of a key (what a DPoP client puts in the proof's `jwk`).
fn bare_jwk(keys: &KeySet) -> Value {
    let mut jwk = keys.active().public_jwk();
    if let Some(m) = jwk.as_object_mut() {
        m.retain(|k, _| ["kty", "crv", "x", "y", "n", "e"].contains(&k.as_str()));
    }
    jwk
}

/// A client's DPoP proof for the token endpoint, signed with `client`'s key, and its thumbprint
/// as the library computes it.
fn dpop_proof(client: &KeySet, now: DateTime<Utc>, jti: &str) -> (String, String) {
    let header = obj(json!({"typ": "dpop+jwt", "jwk": bare_jwk(client)}));
    let claims = obj(json!({"jti": jti, "htm": "POST", "htu": TOKEN_URL,
                            "iat": now.timestamp()}));
    let proof = client
        .signer()
        .sign_claims(&header, &claims)
        .unwrap_or_else(|e| fail(&e.to_string()));
    let checked = check_proof(&proof, &DpopCheck::new("POST", TOKEN_URL, now))
        .unwrap_or_else(|e| fail(&format!("the sample DPoP proof is refused: {e}")));
    (proof, checked.jkt)
}

/// The server of [`CONFIG`] encrypting access tokens to `key` (its public JWK in `jwks`).
fn encrypting_server(key: &DecryptionKey, options: &Options) -> AuthorizationServer {
    let mut config: Value = serde_json::from_str(CONFIG).unwrap_or_else(|e| fail(&e.to_string()));
    config["authorizationServer"]["accessTokenEncryptedResponseAlgorithm"] =
        json!(key.algorithm().name());
    config["authorizationServer"]["jwks"] = key.public_jwks();
    let config = ServerConfig::from_value(config).unwrap_or_else(|e| fail(&e.to_string()));
    AuthorizationServer::compile(config, options.clone()).unwrap_or_else(|e| fail(&e.to_string()))
}

fn main() {
    let mut out = PathBuf::from("target/interop");
    let mut seed = 2026u64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--seed" {
            seed = args
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| fail("--seed needs a number"));
        } else {
            out = PathBuf::from(a);
        }
    }
    let tokens_dir = out.join("tokens");
    std::fs::create_dir_all(&tokens_dir).unwrap_or_else(|e| fail(&e.to_string()));

    let config = ServerConfig::from_json(CONFIG).unwrap_or_else(|e| fail(&e.to_string()));
    let mut options = Options::default();
    options.at_jwt_typ = true;
    options.org_id = Some("00o1interop".into());
    let server = AuthorizationServer::compile(config, options.clone())
        .unwrap_or_else(|e| fail(&e.to_string()));

    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let now = Utc::now();
    let start = now - TimeDelta::days(30);
    let t = now - TimeDelta::seconds(5);
    let grant = grant_at(&server, t, None);
    let mut jwks_keys = Vec::new();
    let mut manifest = Vec::new();
    let write = |name: String, jwt: &str| {
        std::fs::write(tokens_dir.join(&name), jwt).unwrap_or_else(|e| fail(&e.to_string()));
        format!("tokens/{name}")
    };

    // The resource servers' encryption keys: one per RSA-OAEP algorithm, and one the
    // verifiers don't hold.
    let dec_keys: Vec<DecryptionKey> = KeyEncryption::ALL
        .iter()
        .map(|k| DecryptionKey::generate(*k, &mut rng).unwrap_or_else(|e| fail(&e.to_string())))
        .collect();
    let unknown_key = DecryptionKey::generate(KeyEncryption::RsaOaep256, &mut rng)
        .unwrap_or_else(|e| fail(&e.to_string()));
    let encrypting: Vec<AuthorizationServer> = dec_keys
        .iter()
        .map(|k| encrypting_server(k, &options))
        .collect();
    let encrypter = |k: &DecryptionKey| {
        EncryptionKey::select(&k.public_jwks(), k.algorithm())
            .unwrap_or_else(|e| fail(&e.to_string()))
    };

    for (index, alg) in Algorithm::ALL.into_iter().enumerate() {
        let a = alg.name().to_ascii_lowercase();
        let mut keys = KeySet::generate(alg, RotationMode::Auto, start, &mut rng)
            .unwrap_or_else(|e| fail(&e.to_string()));
        // A token signed by the first key, which is EXPIRED (but still published) after the
        // rotation below.
        let (old, _) = mint(&server, &grant, None, &keys, t, &mut rng);
        keys.rotate(now - TimeDelta::minutes(1), &mut rng)
            .unwrap_or_else(|e| fail(&e.to_string()));
        jwks_keys.extend(keys.jwks()["keys"].as_array().cloned().unwrap_or_default());
        let mut code_bytes = [0u8; 24];
        rand::RngCore::fill_bytes(&mut rng, &mut code_bytes);
        let code: String = code_bytes.iter().map(|b| format!("{b:02x}")).collect();
        let (at, id) = mint(&server, &grant, Some(&code), &keys, t, &mut rng);
        // Negative cases.
        let (head, sig) = at.rsplit_once('.').unwrap_or_else(|| fail("bad token"));
        let (h, p) = head.split_once('.').unwrap_or_else(|| fail("bad token"));
        let mut flipped = p.as_bytes().to_vec();
        let i = flipped.len() / 2;
        flipped[i] = if flipped[i] == b'A' { b'B' } else { b'A' };
        let tampered = format!("{h}.{}.{sig}", String::from_utf8_lossy(&flipped));
        // The ID token of a second mint: its at_hash is of that mint's access token, not `at`.
        let (_, bad_hash) = mint(&server, &grant, Some(&code), &keys, t, &mut rng);
        // Minted two hours ago: its 60 minutes are over.
        let two_hours_ago = t - TimeDelta::hours(2);
        let (expired, _) = mint(
            &server,
            &grant_at(&server, two_hours_ago, None),
            None,
            &keys,
            two_hours_ago,
            &mut rng,
        );

        let at_file = write(format!("at_{a}.jwt"), &at);
        let entries = [
            (
                at_file.clone(),
                "access",
                "valid",
                "minted access token (typ at+jwt)",
                None,
            ),
            (
                write(format!("at_old_{a}.jwt"), &old),
                "access",
                "valid",
                "signed by the EXPIRED, still published key",
                None,
            ),
            (
                write(format!("id_{a}.jwt"), &id),
                "id",
                "valid",
                "minted ID token with at_hash and c_hash (mint_with_code)",
                Some(at_file.clone()),
            ),
            (
                write(format!("at_tampered_{a}.jwt"), &tampered),
                "access",
                "invalid",
                "payload changed after signing",
                None,
            ),
            (
                write(format!("id_bad_at_hash_{a}.jwt"), &bad_hash),
                "id",
                "invalid",
                "ID token of a second mint: at_hash of another access token",
                Some(at_file.clone()),
            ),
            (
                write(format!("at_expired_{a}.jwt"), &expired),
                "access",
                "invalid",
                "minted two hours ago, exp one hour ago",
                None,
            ),
        ];
        for (file, kind, expect, what, access_token) in entries {
            let mut m = obj(json!({"file": file, "alg": alg.name(), "kind": kind,
                "expect": expect, "what": what, "iss": ISS,
                "aud": if kind == "id" { CLIENT } else { AUD }}));
            if let Some(at) = access_token {
                m.insert("access_token".into(), at.into());
                m.insert("code".into(), code.clone().into());
            }
            manifest.push(Value::Object(m));
        }

        // Nested JWTs: minted by a server that encrypts to a resource server's key.
        let dec = &dec_keys[index % dec_keys.len()];
        let enc_server = &encrypting[index % dec_keys.len()];
        let oaep = dec.algorithm().name().to_ascii_lowercase();
        let (jwe, enc_id) = mint(enc_server, &grant, Some(&code), &keys, t, &mut rng);
        let jwe_file = write(format!("at_enc_{a}_{oaep}.jwe"), &jwe);
        let mut encrypted = vec![(
            jwe_file.clone(),
            "valid",
            "the access token encrypted (nested JWT) by a server configured to",
        )];
        manifest.push(json!({"file": write(format!("id_enc_{a}.jwt"), &enc_id),
            "alg": alg.name(), "kind": "id", "expect": "valid",
            "what": "the ID token minted with an encrypted access token: at_hash over the JWE",
            "iss": ISS, "aud": CLIENT, "access_token": jwe_file, "code": code}));
        let (expired_jwe, _) = mint(
            enc_server,
            &grant_at(enc_server, two_hours_ago, None),
            None,
            &keys,
            two_hours_ago,
            &mut rng,
        );
        encrypted.push((
            write(format!("at_enc_expired_{a}.jwe"), &expired_jwe),
            "invalid",
            "an expired access token, encrypted",
        ));
        if index == 0 {
            let mut parts: Vec<String> = jwe.split('.').map(str::to_owned).collect();
            let ct = parts[3].as_bytes().to_vec();
            let mut ct = ct;
            let mid = ct.len() / 2;
            ct[mid] = if ct[mid] == b'A' { b'B' } else { b'A' };
            parts[3] = String::from_utf8_lossy(&ct).into_owned();
            encrypted.push((
                write(format!("at_enc_tampered_{a}.jwe"), &parts.join(".")),
                "invalid",
                "ciphertext changed after encryption",
            ));
            let stranger = encrypter(&unknown_key)
                .encrypt(&at, &mut rng)
                .unwrap_or_else(|e| fail(&e.to_string()));
            encrypted.push((
                write(format!("at_enc_unknown_key_{a}.jwe"), &stranger),
                "invalid",
                "encrypted to a key the resource server doesn't hold",
            ));
        }
        for (file, expect, what) in encrypted {
            manifest.push(json!({"file": file, "alg": alg.name(), "kind": "access",
                "encrypted": true, "expect": expect, "what": what, "iss": ISS, "aud": AUD}));
        }

        // DPoP: a client key of this algorithm, its proof, and tokens the server bound to a
        // key: the proof's, and another client's.
        let client = KeySet::generate(alg, RotationMode::Manual, start, &mut rng)
            .unwrap_or_else(|e| fail(&e.to_string()));
        let other = KeySet::generate(alg, RotationMode::Manual, start, &mut rng)
            .unwrap_or_else(|e| fail(&e.to_string()));
        let (proof, jkt) = dpop_proof(&client, t, &format!("dpop-{a}"));
        let (other_proof, _) = dpop_proof(&other, t, &format!("dpop-other-{a}"));
        let proof_file = write(format!("dpop_proof_{a}.jwt"), &proof);
        let bound_grant = grant_at(&server, t, Some(&proof));
        if bound_grant.dpop.as_ref().map(|d| d.jkt.as_str()) != Some(jkt.as_str()) {
            fail("the grant is not bound to the proof's key");
        }
        let (bound, _) = mint(&server, &bound_grant, None, &keys, t, &mut rng);
        let other_grant = grant_at(&server, t, Some(&other_proof));
        let (wrong, _) = mint(&server, &other_grant, None, &keys, t, &mut rng);
        for (file, expect, what) in [
            (
                write(format!("at_dpop_{a}.jwt"), &bound),
                "valid",
                "a DPoP-bound access token (cnf.jkt) with the proof of its key",
            ),
            (
                write(format!("at_dpop_other_key_{a}.jwt"), &wrong),
                "invalid",
                "bound to another key than the proof's",
            ),
        ] {
            manifest.push(json!({"file": file, "alg": alg.name(), "kind": "access",
                "expect": expect, "what": what, "iss": ISS, "aud": AUD,
                "dpop_proof": proof_file, "htm": "POST", "htu": TOKEN_URL}));
        }
        if index == 0 {
            // Encrypted and bound.
            let (jwe, _) = mint(enc_server, &bound_grant, None, &keys, t, &mut rng);
            manifest.push(json!({"file": write(format!("at_enc_dpop_{a}.jwe"), &jwe),
                "alg": alg.name(), "kind": "access", "encrypted": true, "expect": "valid",
                "what": "a DPoP-bound access token, encrypted", "iss": ISS, "aud": AUD,
                "dpop_proof": proof_file, "htm": "POST", "htu": TOKEN_URL}));
        }
    }
    let jwks = json!({ "keys": jwks_keys });
    let enc_keys: Vec<Value> = dec_keys
        .iter()
        .map(|k| k.to_private_jwk().unwrap_or_else(|e| fail(&e.to_string())))
        .collect();
    let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
    std::fs::write(out.join("jwks.json"), pretty(&jwks)).unwrap_or_else(|e| fail(&e.to_string()));
    std::fs::write(
        out.join("enc_keys.json"),
        pretty(&json!({ "keys": enc_keys })),
    )
    .unwrap_or_else(|e| fail(&e.to_string()));
    std::fs::write(
        out.join("manifest.json"),
        pretty(&Value::Array(manifest.clone())),
    )
    .unwrap_or_else(|e| fail(&e.to_string()));
    println!(
        "interop_tokens: wrote {} tokens and a JWKS of {} keys to {}",
        manifest.len(),
        jwks["keys"].as_array().map_or(0, Vec::len),
        out.display()
    );
}
