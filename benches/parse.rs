//! Front-end benchmarks: `el::compile` (pre-scan, parse, name resolution) on the typical claim
//! expressions of the shared peer suite (`../shared/peers/suite.json`, tokenmint dialect), one
//! id per suite case, so the figures compare with Spring SpEL's `parseExpression` on the same
//! texts. Also deeply nested and long inputs, which a fuzzer of the engine produces.
//!
//! `cargo bench --bench parse -- --warm-up-time 1 --measurement-time 3`

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use tokenmint::el::{self, Limits};

/// The suite's cases: (name, tokenmint expression).
const SUITE: &[(&str, &str)] = &[
    ("property", "user.email"),
    ("concat3", "user.firstName + ' ' + user.lastName"),
    (
        "ternary_eq",
        "user.department == 'Sales' ? 'sales' : 'staff'",
    ),
    (
        "and_or_3",
        "user.level >= 3 and user.countryCode == 'US' or user.title == 'Engineer'",
    ),
    ("int_arith", "user.level * 100 + user.age / 2 - 1"),
    ("list_contains", "Arrays.contains(user.groups, 'Admins')"),
    (
        "starts_ends",
        "user.email.startsWith('winston') and user.email.endsWith('.com')",
    ),
    ("regex", "user.email matches '.*@example\\.com'"),
    (
        "lower_substr",
        "toLowerCase(substring(user.firstName, 0, 1)) + toLowerCase(user.lastName)",
    ),
    ("email_local", "String.substringBefore(user.email, '@')"),
    ("member_of_group", "isMemberOfGroupName('Admins')"),
];

fn benches(c: &mut Criterion) {
    let limits = Limits::default();
    let mut compile = c.benchmark_group("compile");
    for (name, src) in SUITE {
        compile.bench_function(*name, |b| {
            b.iter(|| el::compile(black_box(src), &limits).unwrap())
        });
    }
    compile.finish();

    // Inputs at the limits: the deepest accepted nesting, and 1,000-character operator chains.
    let deep: &[(&str, String)] = &[
        (
            "parens_63",
            format!("{}1{}", "(".repeat(63), ")".repeat(63)),
        ),
        ("ternary_63", format!("{}'c'", "a == 1 ? 'b' : ".repeat(63))),
        ("sum_chain_250", format!("{}1", "1 + ".repeat(250))),
        ("property_chain_500", format!("user{}", ".a".repeat(500))),
    ];
    let mut limit = c.benchmark_group("compile_limits");
    for (name, src) in deep {
        limit.bench_function(*name, |b| {
            b.iter(|| el::compile(black_box(src), &limits).unwrap())
        });
    }
    limit.finish();
}

criterion_group!(el_parse, benches);
criterion_main!(el_parse);
