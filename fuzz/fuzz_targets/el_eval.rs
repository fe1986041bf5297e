//! Evaluating any compiled text never panics, and gives the same answer over a request's
//! context built directly (the user read in place, `app`/`access` made on first read) as over
//! the same context read from its JSON. Both contexts are fresh for every input, so the lazy
//! parts are built by the expression under test. Constant folding changes nothing: the program
//! compiled without it (`max_fold_cost` 0) gives the same answer, error message and usage,
//! for every evaluation that used at most 1,000,000 units (budgets cut short are compared
//! by `tests/el_fold.rs` and `tests/el_props.rs`).
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

/// The default limits with a quarter of the cost budget: an evaluation that spends the whole
/// default budget takes about 0.15 s in a release build and 1 s in this instrumented one, and
/// each input is evaluated two or three times within libFuzzer's 1 s timeout. A quarter still
/// reaches every limit (2,500,000 units pay for more than the 32 MiB byte limit); the full
/// budget is exercised by tests/hostile.rs.
fn limits() -> Limits {
    Limits::default().with_max_cost(2_500_000)
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
    let Ok(p) = el::compile(src, &limits()) else { return };
    let (req, scopes, json) = request();
    let direct = req.eval_context(scopes);
    let read = Context::from_json(json).expect("the request's context reads back");
    let a = metered(&p, &read);
    let read_answer = match &a.0 {
        Ok(v) => Ok(v.clone()),
        Err((kind, _)) => Err(*kind),
    };
    assert_eq!(answer(&p, &direct), read_answer, "{src}");
    // within the per-input timeout: the dearest evaluations are compared on cheaper inputs
    if a.1.cost > 1_000_000 {
        return;
    }
    let unfolded = limits().with_max_fold_cost(0);
    let Ok(q) = el::compile(src, &unfolded) else {
        panic!("{src}: compiles only with folding")
    };
    assert_eq!(a, metered(&q, &read), "{src}: folded and unfolded differ");
}
);

type Metered = (Result<serde_json::Value, (el::EvalErrorKind, String)>, el::Usage);

fn metered(p: &el::Program, ctx: &Context) -> Metered {
    let (r, usage) = p.eval_metered(ctx);
    (r.map(|v| v.to_json()).map_err(|e| (e.kind, e.to_string())), usage)
}
