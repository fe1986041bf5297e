//! Expression engine benchmarks: compile and evaluate typical claim expressions, and build a
//! context from a typical user's JSON (the JSON is copied and its shape checked; users are
//! converted as expressions read them).
//!
//! `eval/*` reuses one context, so whatever the engine converts on first read is converted
//! once and then served from the context; `eval_fresh/*` evaluates each case on a context built
//! for that evaluation alone (built and dropped outside the timed part), as a token request
//! does, so the first-read conversions are timed too.
//!
//! `cargo bench --bench el -- --warm-up-time 1 --measurement-time 3`

use criterion::{BatchSize, Criterion, black_box, criterion_group, criterion_main};
use serde_json::json;
use tokenmint::el::{self, Context, Limits};

const SUITE: &[(&str, &str)] = &[
    ("property_path", "user.profile.email"),
    ("classic_property", "user.email"),
    (
        "string_chain",
        "toUpperCase(substringBefore(substringAfter(user.email, '@'), '.')) + '\\' + substringBefore(user.email, '@')",
    ),
    (
        "nested_ternary",
        "user.title == 'CEO' ? 'exec' : user.title == 'CTO' ? 'exec' : user.department == 'Sales' ? 'sales' : 'staff'",
    ),
    (
        "member_of_group_name_200",
        "isMemberOfGroupName('group-150')",
    ),
    (
        "member_of_any_200",
        "isMemberOfAnyGroup('00gX', '00gY', '00g000199')",
    ),
    (
        "groups_starts_with_200",
        "Groups.startsWith('OKTA', 'group-19', 100)",
    ),
    (
        "get_filtered_groups",
        "getFilteredGroups(app.profile.allow, 'group.name', 40)",
    ),
    (
        "get_groups_projection_200",
        "user.getGroups({'group.profile.name': 'group-1', 'operator': 'STARTS_WITH'}).![name]",
    ),
    (
        "sub_claim",
        "(appuser != null) ? appuser.userName : app.clientId",
    ),
    (
        "scope_string",
        "String.replace(Arrays.toCsvString(access.scope), ',', ' ')",
    ),
];

fn user_json(n_groups: usize) -> serde_json::Value {
    let groups: Vec<_> = (0..n_groups)
        .map(|i| {
            json!({"id": format!("00g{i:06}"), "name": format!("group-{i}"),
                   "type": if i % 3 == 0 { "APP_GROUP" } else { "OKTA_GROUP" },
                   "sourceId": "0oaSRC"})
        })
        .collect();
    json!({
        "now": "2015-07-31T17:18:37.979Z",
        "user": {
            "id": "00u1abcdEFGH", "status": "ACTIVE", "created": "2015-07-30T23:58:32.000Z",
            "lastUpdated": "2020-01-01T00:00:00.000Z",
            "profile": {"firstName": "Winston", "lastName": "Churchill", "email": "winston.churchill@gmail.com",
                "login": "winston.churchill@gmail.com", "title": "Engineer", "department": "Sales",
                "preferredLanguage": "en", "timezone": "Europe/London", "countryCode": "GB",
                "employeeNumber": "1234", "mobilePhone": "+44 20 7946 0958", "city": "London"},
            "groups": groups,
            "linkedObjects": {"manager": {"id": "00u2", "profile": {"firstName": "Clement", "lastName": "Attlee"}}}
        },
        "appuser": {"userName": "wchurchill"},
        "app": {"id": "0oa1", "clientId": "client1",
                "profile": {"allow": (0..40).map(|i| format!("00g{:06}", i * 5)).collect::<Vec<_>>()}},
        "access": {"scope": ["openid", "profile", "email", "offline_access"]}
    })
}

fn benches(c: &mut Criterion) {
    let limits = Limits::default();
    let json = user_json(200);
    let typical = user_json(10);
    let ctx = Context::from_json(&json).unwrap();
    let mut compile = c.benchmark_group("compile");
    for (name, src) in SUITE {
        compile.bench_function(*name, |b| {
            b.iter(|| el::compile(black_box(src), &limits).unwrap())
        });
    }
    compile.finish();
    let mut eval = c.benchmark_group("eval");
    for (name, src) in SUITE {
        let p = el::compile(src, &limits).unwrap();
        p.eval(&ctx).unwrap();
        eval.bench_function(*name, |b| b.iter(|| p.eval(black_box(&ctx)).unwrap()));
    }
    eval.finish();
    let mut fresh = c.benchmark_group("eval_fresh");
    for (name, src) in SUITE {
        let p = el::compile(src, &limits).unwrap();
        fresh.bench_function(*name, |b| {
            b.iter_batched_ref(
                || Context::from_json(&json).unwrap(),
                |ctx| p.eval(black_box(ctx)).unwrap(),
                BatchSize::SmallInput,
            )
        });
    }
    fresh.finish();
    c.bench_function("context_from_json_typical_10_groups", |b| {
        b.iter(|| Context::from_json(black_box(&typical)).unwrap())
    });
    c.bench_function("context_from_json_200_groups", |b| {
        b.iter(|| Context::from_json(black_box(&json)).unwrap())
    });
    // A request whose claims call a group function: the context plus the first call, which
    // reads the group names in place (a second call builds the user's group index).
    let member = el::compile("isMemberOfGroupName('group-5')", &limits).unwrap();
    c.bench_function("context_then_group_call_typical_10_groups", |b| {
        b.iter(|| {
            member
                .eval(&Context::from_json(black_box(&typical)).unwrap())
                .unwrap()
        })
    });
    c.bench_function("context_then_group_call_200_groups", |b| {
        b.iter(|| {
            member
                .eval(&Context::from_json(black_box(&json)).unwrap())
                .unwrap()
        })
    });
}

criterion_group!(el_benches, benches);
criterion_main!(el_benches);
