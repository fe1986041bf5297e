//! Writes sample tokens for every algorithm, the JWKS that verifies them and a manifest of what
//! each token is and whether it must verify, for independent verifiers to check
//! (`scripts/interop.sh` runs this and then the Python and node verifiers in `tests/interop/`).
//!
//! ```text
//! cargo run --example interop_tokens -- [OUT_DIR] [--seed N]
//! ```
//! OUT_DIR defaults to `target/interop`. Keys (and jti values) come from a ChaCha20 RNG seeded
//! with N (default 2026); `iat`/`exp` come from the system clock, since the verifiers check
//! them against theirs.

use chrono::{TimeDelta, Utc};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::{Map, Value, json};
use std::path::PathBuf;
use tokenmint::config::RotationMode;
use tokenmint::token::{Algorithm, JtiKind, KeySet, Signer, left_half_hash, new_jti};

const ISS: &str = "https://interop.example.com/oauth2/aus1interop";
const AUD: &str = "api://default";
const CLIENT: &str = "0oa1interopclient";

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn sign(signer: &Signer, typ: Option<&str>, claims: &Map<String, Value>) -> String {
    let mut extra = Map::new();
    if let Some(t) = typ {
        extra.insert("typ".into(), t.into());
    }
    signer
        .sign_claims(&extra, claims)
        .unwrap_or_else(|e| fail(&format!("signing failed: {e}")))
}

fn fail(msg: &str) -> ! {
    eprintln!("interop_tokens: {msg}");
    std::process::exit(1)
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

    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let now = Utc::now();
    let start = now - TimeDelta::days(30);
    let t = now.timestamp() - 5;
    let mut jwks_keys = Vec::new();
    let mut manifest = Vec::new();
    let write = |name: String, jwt: &str| {
        std::fs::write(tokens_dir.join(&name), jwt).unwrap_or_else(|e| fail(&e.to_string()));
        format!("tokens/{name}")
    };

    for alg in Algorithm::ALL {
        let a = alg.name().to_ascii_lowercase();
        let mut keys = KeySet::generate(alg, RotationMode::Auto, start, &mut rng)
            .unwrap_or_else(|e| fail(&e.to_string()));
        let access = |signer: &Signer, rng: &mut ChaCha20Rng, iat: i64, typ: Option<&str>| {
            let claims = obj(json!({
                "ver": 1, "jti": new_jti(JtiKind::Access, rng), "iss": ISS, "aud": AUD,
                "iat": iat, "exp": iat + 3600, "cid": CLIENT, "uid": "00u1interop",
                "scp": ["openid", "profile", "orders:read"], "auth_time": iat - 60,
                "sub": "ann@example.com", "groups": ["Everyone", "Sales"]}));
            sign(signer, typ, &claims)
        };
        // A token signed by the first key, which is EXPIRED (but still published) after the
        // rotation below.
        let old = access(keys.signer(), &mut rng, t, None);
        keys.rotate(now - TimeDelta::minutes(1), &mut rng)
            .unwrap_or_else(|e| fail(&e.to_string()));
        jwks_keys.extend(keys.jwks()["keys"].as_array().cloned().unwrap_or_default());
        let signer = keys.signer();
        let at = access(signer, &mut rng, t, Some("at+jwt"));
        let mut code_bytes = [0u8; 24];
        rand::RngCore::fill_bytes(&mut rng, &mut code_bytes);
        let code: String = code_bytes.iter().map(|b| format!("{b:02x}")).collect();
        let id_claims = |at_hash: String| {
            obj(json!({
                "sub": "00u1interop", "name": "Ann Example", "email": "ann@example.com",
                "ver": 1, "iss": ISS, "aud": CLIENT, "iat": t, "exp": t + 3600,
                "jti": new_jti(JtiKind::Id, &mut ChaCha20Rng::seed_from_u64(seed ^ 0x1d)),
                "amr": ["pwd"], "idp": "00o1interop", "nonce": "n-0S6_WzA2Mj",
                "preferred_username": "ann@example.com", "auth_time": t - 60,
                "at_hash": at_hash, "c_hash": left_half_hash(alg, code.as_bytes())}))
        };
        let id = sign(signer, None, &id_claims(left_half_hash(alg, at.as_bytes())));
        // Negative cases.
        let (head, sig) = at.rsplit_once('.').unwrap_or_else(|| fail("bad token"));
        let (h, p) = head.split_once('.').unwrap_or_else(|| fail("bad token"));
        let mut flipped = p.as_bytes().to_vec();
        let i = flipped.len() / 2;
        flipped[i] = if flipped[i] == b'A' { b'B' } else { b'A' };
        let tampered = format!("{h}.{}.{sig}", String::from_utf8_lossy(&flipped));
        let bad_hash = sign(
            signer,
            None,
            &id_claims(left_half_hash(alg, old.as_bytes())),
        );
        let expired = access(signer, &mut rng, t - 7200, None);

        let at_file = write(format!("at_{a}.jwt"), &at);
        let entries = [
            (
                at_file.clone(),
                "access",
                "valid",
                "access token (typ at+jwt)",
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
                "ID token with at_hash and c_hash",
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
                "at_hash of another access token",
                Some(at_file.clone()),
            ),
            (
                write(format!("at_expired_{a}.jwt"), &expired),
                "access",
                "invalid",
                "exp one hour ago",
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
    }
    let jwks = json!({ "keys": jwks_keys });
    let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
    std::fs::write(out.join("jwks.json"), pretty(&jwks)).unwrap_or_else(|e| fail(&e.to_string()));
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
