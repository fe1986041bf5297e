//! Evaluating any compiled text never panics, and gives the same answer over a request's
//! context built directly (the user read in place, `app`/`access` made on first read) as over
//! the same context read from its JSON. Both contexts are fresh for every input, so the lazy
//! parts are built by the expression under test.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tokenmint::TokenRequest;
use tokenmint::el::{self, Context, Limits};

const SCOPES: [&str; 2] = ["openid", "email"];

fn request() -> &'static (TokenRequest, Vec<String>, serde_json::Value) {
    static REQ: OnceLock<(TokenRequest, Vec<String>, serde_json::Value)> = OnceLock::new();
    REQ.get_or_init(|| {
        let req = TokenRequest::from_json(
            &serde_json::json!({
                "client": {"clientId": "c1", "name": "Portal", "profile": {"allow": ["g1", "g2"]}},
                "grantType": "authorization_code",
                "now": "2015-07-31T17:18:37.979Z",
                "user": {"id": "00u1", "status": "ACTIVE", "created": "2015-07-30T23:58:32.000Z",
                    "profile": {"firstName": "Ann", "lastName": "Lee", "email": "ann@example.com",
                        "n": 7, "d": 2.5, "tags": ["a", "b"], "e": "", "country": "US"},
                    "groups": [{"id": "g1", "name": "IT", "type": "OKTA_GROUP"},
                               {"id": "g2", "name": "Eng", "type": "APP_GROUP", "sourceId": "0oa9"},
                               {"id": "g3", "name": "", "profile": {"name": "Ops"}}],
                    "linkedObjects": {"manager": {"id": "00u2", "profile": {"firstName": "Bob"},
                                                 "appUsers": {"google": {"email": "bob@g"}}}}},
                "appuser": {"userName": "ann", "n": 3},
                "amr": ["pwd", "mfa"],
                "directoryUsers": {"active_directory": [{"managerUpn": "bob@x"}]}
            })
            .to_string(),
        )
        .expect("request");
        let scopes: Vec<String> = SCOPES.iter().map(|s| s.to_string()).collect();
        let json = req.context_with_scopes(&scopes);
        (req, scopes, json)
    })
}

fn answer(p: &el::Program, ctx: &Context) -> Result<serde_json::Value, el::EvalErrorKind> {
    p.eval(ctx).map(|v| v.to_json()).map_err(|e| e.kind)
}

// The fixture is built before the first input, so its one-off cost (key generation) is not
// counted against the first input's timeout.
fuzz_target!(
    init: {
        let _ = request();
    },
    |data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    let Ok(p) = el::compile(src, &Limits::default()) else { return };
    let (req, scopes, json) = request();
    let direct = req.eval_context(scopes);
    let read = Context::from_json(json).expect("the request's context reads back");
    assert_eq!(answer(&p, &direct), answer(&p, &read), "{src}");
}
);
