//! Evaluating any compiled text against a typical context never panics.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tokenmint::el::{self, Context, Limits};

fn ctx() -> &'static Context {
    static CTX: OnceLock<Context> = OnceLock::new();
    CTX.get_or_init(|| {
        Context::from_json(&serde_json::json!({
            "now": "2015-07-31T17:18:37.979Z",
            "user": {"id": "00u1", "status": "ACTIVE", "created": "2015-07-30T23:58:32.000Z",
                "profile": {"firstName": "Ann", "lastName": "Lee", "email": "ann@example.com",
                    "n": 7, "d": 2.5, "tags": ["a", "b"], "e": "", "country": "US"},
                "groups": [{"id": "g1", "name": "IT", "type": "OKTA_GROUP"},
                           {"id": "g2", "name": "Eng", "type": "APP_GROUP", "sourceId": "0oa9"}],
                "linkedObjects": {"manager": {"id": "00u2", "profile": {"firstName": "Bob"}}}},
            "app": {"id": "0oa1", "clientId": "c1", "profile": {"allow": ["g1", "g2"]}},
            "access": {"scope": ["openid", "email"]},
            "directoryUsers": {"active_directory": [{"managerUpn": "bob@x"}]}
        }))
        .expect("context")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    if let Ok(p) = el::compile(src, &Limits::default()) {
        let _ = p.eval(ctx()).map(|v| v.to_json());
    }
});
