//! Property tests: compiling and evaluating arbitrary input never panics; printing a parsed
//! expression and parsing it again gives the same program.

use proptest::prelude::*;
use tokenmint::el::{self, Context, Limits};

fn ctx() -> Context {
    Context::from_json(&serde_json::json!({
        "now": "2015-07-31T17:18:37.979Z",
        "user": {"id": "00u1", "status": "ACTIVE", "created": "2015-07-30T23:58:32.000Z",
            "profile": {"firstName": "Ann", "lastName": "O'Lee", "n": 7, "d": 2.5, "tags": ["a", "b"], "e": ""},
            "groups": [{"id": "g1", "name": "IT", "type": "OKTA_GROUP"}]},
        "app": {"id": "0oa1", "profile": {"allow": ["g1"]}},
        "access": {"scope": ["openid", "email"]}
    }))
    .unwrap()
}

fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        (0i64..100_000).prop_map(|i| i.to_string()),
        (0u32..1000, 0u32..100).prop_map(|(a, b)| format!("{a}.{b}")),
        "[a-zA-Z '\"@.,-]{0,8}".prop_map(|s| format!("'{}'", s.replace('\'', "''"))),
        "[a-zA-Z '@.,-]{0,8}".prop_map(|s| format!("\"{}\"", s.replace('"', "\"\""))),
        Just("true".to_owned()),
        Just("FALSE".to_owned()),
        Just("null".to_owned()),
        Just("user.firstName".to_owned()),
        Just("user.profile.n".to_owned()),
        Just("user.d".to_owned()),
        Just("user.tags".to_owned()),
        Just("user.e".to_owned()),
        Just("user.missing".to_owned()),
        Just("access.scope".to_owned()),
        Just("app.profile.allow".to_owned()),
        Just("{}".to_owned()),
        Just("{:}".to_owned()),
    ]
}

fn expr() -> impl Strategy<Value = String> {
    leaf().prop_recursive(5, 48, 4, |inner| {
        let bin = prop_oneof![
            Just("+"),
            Just("-"),
            Just("*"),
            Just("/"),
            Just("%"),
            Just("=="),
            Just("!="),
            Just("<"),
            Just(">="),
            Just("and"),
            Just("OR"),
            Just("matches"),
            Just("^"),
            Just("div"),
            Just("?:")
        ];
        let method = prop_oneof![
            Just(".length()"),
            Just(".toUpperCase()"),
            Just(".size()"),
            Just(".toString()"),
            Just(".isEmpty()"),
            Just("?.toLowerCase()"),
            Just("[0]"),
            Just(".![toString()]"),
            Just(".?[true]"),
            Just(".contains('a')"),
            Just(".substringAfter('@')"),
            Just(".equalsIgnoreCase('A B')"),
            Just(".removeSpaces()")
        ];
        let func = prop_oneof![
            Just("String.len"),
            Just("Arrays.size"),
            Just("toUpperCase"),
            Just("String.toLowerCase"),
            Just("Arrays.isEmpty"),
            Just("Convert.toNum"),
            Just("Arrays.flatten"),
            Just("Arrays.toCsvString")
        ];
        prop_oneof![
            (inner.clone(), bin, inner.clone()).prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            inner.clone().prop_map(|a| format!("!({a})")),
            inner.clone().prop_map(|a| format!("-({a})")),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(c, a, b)| format!("({c} ? {a} : {b})")),
            (inner.clone(), method).prop_map(|(a, m)| format!("({a}){m}")),
            (func, inner.clone()).prop_map(|(f, a)| format!("{f}({a})")),
            prop::collection::vec(inner.clone(), 1..4)
                .prop_map(|v| format!("{{{}}}", v.join(", "))),
            (inner.clone(), inner).prop_map(|(k, v)| format!("{{'k': {k}, 'v': {v}}}")),
        ]
    })
}

fn same_result(a: &Result<el::Value, el::EvalError>, b: &Result<el::Value, el::EvalError>) -> bool {
    match (a, b) {
        (Ok(x), Ok(y)) => x.to_json() == y.to_json(),
        (Err(x), Err(y)) => x.kind == y.kind,
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(400),
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_text_never_panics(src in ".{0,200}") {
        match el::compile(&src, &Limits::default()) {
            Ok(p) => {
                let _ = p.eval(&ctx());
            }
            // an error's span lies on character boundaries
            Err(e) => prop_assert!(
                src.is_char_boundary(e.span.start) && src.is_char_boundary(e.span.end),
                "{src:?}: {e:?}"
            ),
        }
    }

    #[test]
    fn token_soup_never_panics(parts in prop::collection::vec(prop_oneof![
        Just("("), Just(")"), Just("{"), Just("}"), Just("["), Just("]"), Just("?"), Just(":"),
        Just("?:"), Just("?."), Just(".!["), Just(".?["), Just(".^["), Just("'a'"), Just("\""),
        Just("1"), Just("2.5"), Just("user"), Just(".firstName"), Just("+"), Just("-"),
        Just("!"), Just("and"), Just("or"), Just("=="), Just("<"), Just(","), Just("String.len"),
        Just("x"), Just(" "), Just("matches"), Just("'(a*)*b'"), Just("not"), Just("null")
    ], 0..40)) {
        let src = parts.concat();
        if let Ok(p) = el::compile(&src, &Limits::default()) {
            let _ = p.eval(&ctx());
        }
    }

    #[test]
    fn time_text_and_patterns_never_panic(
        text in "[0-9A-Za-z:+\\-/ .'é日]{0,24}",
        pattern in "[yYMdDHhmsSaEZzk:+\\-/ .'é]{0,16}",
    ) {
        let q = |s: &str| format!("'{}'", s.replace('\'', "''"));
        for src in [
            format!("Time.fromStringToIso8601({}, {})", q(&text), q(&pattern)),
            format!("Time.fromIso8601ToString({}, {})", q(&text), q(&pattern)),
            format!("Time.now({}, {})", q(&text), q(&pattern)),
            format!("{}.parseStringTime({})", q(&text), q(&pattern)),
            format!("Time.now('UTC', {})", q(&pattern)),
            format!("{}.parseCountryCode()", q(&text)),
            format!("Time.fromWindowsToIso8601({})", q(&text)),
        ] {
            if let Ok(p) = el::compile(&src, &Limits::default()) {
                let _ = p.eval(&ctx());
            }
        }
    }

    #[test]
    fn generated_expressions_compile_evaluate_and_round_trip(src in expr()) {
        let p = el::compile(&src, &Limits::default());
        let p = match p {
            Ok(p) => p,
            // a generated regex operand may be invalid, and a literal argument of the wrong
            // type is refused; nothing else may fail to compile
            Err(e) => {
                prop_assert!(
                    e.message.contains("regular expression") || e.message.contains("must be"),
                    "{src}: {e}"
                );
                return Ok(());
            }
        };
        let (r1, usage) = p.eval_metered(&ctx());
        // what an evaluation costs depends only on its inputs
        let (again, usage_again) = p.eval_metered(&ctx());
        prop_assert!(same_result(&r1, &again), "{}", src);
        prop_assert_eq!(usage, usage_again, "{}", src);
        let printed = p.to_string();
        let q = el::compile(&printed, &Limits::default())
            .map_err(|e| TestCaseError::fail(format!("{src}\nprinted {printed}\n{e}")))?;
        prop_assert_eq!(q.to_string(), printed.clone(), "printing is not stable for {}", src);
        let r2 = q.eval(&ctx());
        prop_assert!(same_result(&r1, &r2), "{} / {}: {:?} vs {:?}", src, printed, r1, r2);
    }

    /// Folding constant subexpressions changes no answer, no error and no charge, also when the
    /// budget runs out part way (percent of what the evaluation used).
    #[test]
    fn folding_changes_no_answer_and_no_charge(src in expr(), percent in 0u64..=100) {
        let run = |limits: &Limits| {
            el::compile(&src, limits).ok().map(|p| {
                let (r, usage) = p.eval_metered(&ctx());
                (r.map(|v| v.to_json()).map_err(|e| format!("{:?}: {e}", e.kind)), usage)
            })
        };
        let unfolded = Limits::default().with_max_fold_cost(0);
        let full = run(&unfolded);
        prop_assert_eq!(run(&Limits::default()), full.clone(), "{}", src);
        if let Some((_, usage)) = full {
            let cost = usage.cost * percent / 100;
            prop_assert_eq!(
                run(&Limits::default().with_max_cost(cost)),
                run(&unfolded.clone().with_max_cost(cost)),
                "{} (max_cost {})", src, cost
            );
            let bytes = usize::try_from(usage.bytes * percent / 100).unwrap_or(usize::MAX);
            prop_assert_eq!(
                run(&Limits::default().with_max_total_bytes(bytes)),
                run(&unfolded.with_max_total_bytes(bytes)),
                "{} (max_total_bytes {})", src, bytes
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(200),
        ..ProptestConfig::default()
    })]

    /// A program remembers where it last found each property name; reading users whose
    /// profiles hold the names in other orders, or not at all, gives what a freshly compiled
    /// program gives, charged the same.
    #[test]
    fn property_reads_do_not_depend_on_earlier_profiles(
        profiles in prop::collection::vec(
            prop::collection::vec(
                (prop::sample::select(vec!["email", "firstName", "n", "tags", "e", "x"]), 0i64..4),
                0..6,
            ),
            1..6,
        ),
    ) {
        let src = "user.email + ':' + user.firstName + ':' + user.n + ':' + user.tags \
                   + ':' + user.profile.x + ':' + user.e";
        let shared = el::compile(src, &Limits::default()).unwrap();
        for fields in profiles {
            let mut profile = serde_json::Map::new();
            for (k, v) in fields {
                profile.insert(k.to_string(), serde_json::json!(format!("{k}{v}")));
            }
            let ctx = Context::from_json(&serde_json::json!({"user": {"profile": profile}})).unwrap();
            let fresh = el::compile(src, &Limits::default()).unwrap();
            let (a, ua) = shared.eval_metered(&ctx);
            let (b, ub) = fresh.eval_metered(&ctx);
            prop_assert!(same_result(&a, &b), "{:?} vs {:?}", a, b);
            prop_assert_eq!(ua, ub);
        }
    }
}
