//! Expression engine benchmarks: compile and evaluate typical claim expressions, and build a
//! context from a typical user's JSON (the JSON is copied and its shape checked; users are
//! converted as expressions read them).
//!
//! `eval/*` reuses one context, so whatever the engine converts on first read is converted
//! once and then served from the context; `eval_fresh/*` evaluates each case on a context built
//! for that evaluation alone (built and dropped outside the timed part), as a token request
//! does, so the first-read conversions are timed too.
//!
//! `peers/*` runs the expressions of the cross-engine comparison (README) on its user, each
//! checked against its expected value first.
//!
//! `fold/{on,off}/*` evaluates expressions with constant subexpressions compiled with constant
//! folding (the default) and without (`Limits::max_fold_cost` 0), on the same context.
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

/// The expressions of the cross-engine comparison (README, "Expression engine beside SpEL and
/// cel"), with the value each must produce, evaluated against [`peer_user`]: the same
/// expressions and user, so these figures and that comparison's tokenmint column can be read
/// together.
const PEER_SUITE: &[(&str, &str, &str)] = &[
    (
        "property",
        "user.email",
        "\"winston.churchill@example.com\"",
    ),
    (
        "concat3",
        "user.firstName + ' ' + user.lastName",
        "\"Winston Churchill\"",
    ),
    (
        "ternary_eq",
        "user.department == 'Sales' ? 'sales' : 'staff'",
        "\"sales\"",
    ),
    (
        "and_or_3",
        "user.level >= 3 and user.countryCode == 'US' or user.title == 'Engineer'",
        "true",
    ),
    ("int_arith", "user.level * 100 + user.age / 2 - 1", "319"),
    (
        "list_contains",
        "Arrays.contains(user.groups, 'Admins')",
        "true",
    ),
    (
        "starts_ends",
        "user.email.startsWith('winston') and user.email.endsWith('.com')",
        "true",
    ),
    ("regex", "user.email matches '.*@example\\.com'", "true"),
    (
        "lower_substr",
        "toLowerCase(substring(user.firstName, 0, 1)) + toLowerCase(user.lastName)",
        "\"wchurchill\"",
    ),
    (
        "email_local",
        "String.substringBefore(user.email, '@')",
        "\"winston.churchill\"",
    ),
    ("member_of_group", "isMemberOfGroupName('Admins')", "true"),
];

/// The user of the cross-engine comparison: 13 profile attributes (one a list of 10 group
/// names) and the same 10 groups as group objects.
fn peer_user() -> serde_json::Value {
    json!({"user": {
        "id": "00u1abcdEFGH",
        "status": "ACTIVE",
        "profile": {"firstName": "Winston", "lastName": "Churchill", "email": "winston.churchill@example.com", "login": "winston.churchill@example.com", "title": "Engineer", "department": "Sales", "countryCode": "GB", "city": "London", "preferredLanguage": "en", "employeeNumber": "1234", "level": 3, "age": 41, "groups": ["Everyone", "Staff", "London", "Sales", "Engineering", "VPN", "Wiki", "Admins", "Payroll", "Contractors"]},
        "groups": [{"id": "00g0000000", "name": "Everyone", "type": "BUILT_IN"}, {"id": "00g0000001", "name": "Staff", "type": "OKTA_GROUP"}, {"id": "00g0000002", "name": "London", "type": "OKTA_GROUP"}, {"id": "00g0000003", "name": "Sales", "type": "OKTA_GROUP"}, {"id": "00g0000004", "name": "Engineering", "type": "OKTA_GROUP"}, {"id": "00g0000005", "name": "VPN", "type": "APP_GROUP"}, {"id": "00g0000006", "name": "Wiki", "type": "APP_GROUP"}, {"id": "00g0000007", "name": "Admins", "type": "OKTA_GROUP"}, {"id": "00g0000008", "name": "Payroll", "type": "OKTA_GROUP"}, {"id": "00g0000009", "name": "Contractors", "type": "OKTA_GROUP"}],
    }})
}

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
    peers(c, &limits);
    folding(c, &limits);
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

/// `peers/compile/*`, `peers/eval/*` (one context, as the comparison reuses it) and
/// `peers/eval_fresh/*` (a context built for each evaluation, as a token request has).
fn peers(c: &mut Criterion, limits: &Limits) {
    let root = peer_user();
    let ctx = Context::from_json(&root).unwrap();
    let programs: Vec<_> = PEER_SUITE
        .iter()
        .map(|(name, src, expected)| {
            let p = el::compile(src, limits).unwrap();
            let want: serde_json::Value = serde_json::from_str(expected).unwrap();
            assert_eq!(p.eval(&ctx).unwrap().to_json(), want, "{name}");
            (*name, *src, p)
        })
        .collect();
    let mut g = c.benchmark_group("peers/compile");
    for (name, src, _) in &programs {
        g.bench_function(*name, |b| {
            b.iter(|| el::compile(black_box(src), limits).unwrap())
        });
    }
    g.finish();
    let mut g = c.benchmark_group("peers/eval");
    for (name, _, p) in &programs {
        g.bench_function(*name, |b| b.iter(|| p.eval(black_box(&ctx)).unwrap()));
    }
    g.finish();
    let mut g = c.benchmark_group("peers/eval_fresh");
    for (name, _, p) in &programs {
        g.bench_function(*name, |b| {
            b.iter_batched_ref(
                || Context::from_json(&root).unwrap(),
                |ctx| p.eval(black_box(ctx)).unwrap(),
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

/// Expressions with constant subexpressions, on the cross-engine user.
const FOLD_SUITE: &[(&str, &str, &str)] = &[
    ("week_in_seconds", "60 * 60 * 24 * 7", "604800"),
    ("level_over_product", "user.level * 10 > 2 * 3 + 4", "true"),
    (
        "upper_literal_prefix",
        "String.toUpperCase('okta') + ':' + user.login",
        r#""OKTA:winston.churchill@example.com""#,
    ),
    (
        "list_with_computed_item",
        "{'Admins', 'Sales' + 'Ops', 'Eng'}.contains(user.department)",
        "false",
    ),
];

/// `fold/on/*` and `fold/off/*`: [`FOLD_SUITE`] with and without constant folding, each value
/// checked equal first.
fn folding(c: &mut Criterion, limits: &Limits) {
    let ctx = Context::from_json(&peer_user()).unwrap();
    for (group, limits) in [
        ("fold/on", limits.clone()),
        ("fold/off", limits.clone().with_max_fold_cost(0)),
    ] {
        let mut g = c.benchmark_group(group);
        for (name, src, expected) in FOLD_SUITE {
            let p = el::compile(src, &limits).unwrap();
            let want: serde_json::Value = serde_json::from_str(expected).unwrap();
            assert_eq!(p.eval(&ctx).unwrap().to_json(), want, "{name}");
            g.bench_function(*name, |b| b.iter(|| p.eval(black_box(&ctx)).unwrap()));
        }
        g.finish();
    }
}

criterion_group!(el_benches, benches);
criterion_main!(el_benches);
