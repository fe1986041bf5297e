//! The deepest expressions the default limits accept evaluate on a thread with a 256 KiB stack
//! in release builds (and a 2 MiB one, the default of spawned threads, in unoptimized builds,
//! whose frames are several times larger): each nesting level of an expression takes a few
//! small frames of the evaluator, never a thread of its own.
//!
//! Each shape nests one construct to the depth limit (63 levels inside the top one) within the
//! 1024-character limit; the last nests a group expression of the deepest shape inside an
//! expression of the same shape (a group expression is evaluated inside its caller). Most
//! shapes are constant: each is evaluated with its constant parts folded at compile time and
//! without folding, and under budgets that run out part way (where a folded node that no longer
//! fits evaluates the nodes it stands for).

use serde_json::json;
use tokenmint::el::{self, Context, Limits};

const STACK: usize = if cfg!(debug_assertions) {
    2 << 20
} else {
    256 << 10
};

fn shapes(d: usize) -> Vec<(&'static str, String)> {
    let r = |s: &str, n: usize| s.repeat(n);
    vec![
        ("parentheses", format!("{}1{}", r("(", d), r(")", d))),
        ("arithmetic", format!("{}1{}", r("1+2*-(", d), r(")", d))),
        (
            "boolean operators",
            format!("{}true{}", r("1>2||1<2&&(", d), r(")", d)),
        ),
        ("negations", format!("{}true{}", r("!(", d), r(")", d))),
        ("ternaries", format!("{}1{}", r("true?", d), r(":0", d))),
        (
            "function calls",
            format!("{}'A'{}", r("toLowerCase(", d), r(")", d)),
        ),
        (
            "method calls",
            format!("{}'b'{}", r("'a'.concat(", d), r(")", d)),
        ),
        ("projections", format!("{}1{}", r("{1}.![", d), r("]", d))),
        ("lists", format!("{}org{}", r("{org,", d), r("}", d))),
        (
            "selections",
            format!("{}true{}", r("{true}.^[", d), r("]", d)),
        ),
        ("indexes", format!("{}0{}", r("{0}[", d), r("]", d))),
        ("Elvis operators", format!("{}1", r("null?:", d))),
        ("maps", format!("{}1{}", r("{'k':", d), r("}", d))),
        (
            "projections of arithmetic",
            format!("{}{{1}}{}", r("{1}.![1+2*(", d / 2), r(").size()]", d / 2)),
        ),
        (
            "a group expression inside",
            format!(
                "{}getFilteredGroups({{'g1'}}, org.gexpr, 1)[0]{}",
                r("1+2*-(", d - 2),
                r(")", d - 2)
            ),
        ),
    ]
}

#[test]
fn the_deepest_expressions_evaluate_on_a_small_stack() {
    let limits = Limits::default();
    let d = limits.max_depth - 1;
    let gexpr = format!(
        "{}group.name.length(){}",
        "1+2*-(".repeat(d - 1),
        ")".repeat(d - 1)
    );
    assert!(gexpr.chars().count() <= limits.max_length);
    let ctx = Context::from_json(&json!({
        "org": {"gexpr": gexpr},
        "user": {"id": "00u1", "groups": [{"id": "g1", "name": "Group"}]}
    }))
    .unwrap();
    let unfolded = limits.clone().with_max_fold_cost(0);
    let on_small_stack = |p: el::Program, ctx: Context| {
        std::thread::Builder::new()
            .stack_size(STACK)
            .spawn(move || p.eval_metered(&ctx))
            .unwrap()
            .join()
    };
    for (name, src) in shapes(d) {
        assert!(src.chars().count() <= limits.max_length, "{name}");
        // one level deeper is refused
        let deeper = format!("({src})");
        assert!(el::compile(&deeper, &limits).is_err(), "{name}");
        // the shapes are mostly constant: evaluated with their constant parts folded at
        // compile time, and without (every node evaluated)
        let mut used = 0;
        for limits in [&limits, &unfolded] {
            let p = el::compile(&src, limits).unwrap_or_else(|e| panic!("{name}: {e}"));
            let (value, usage) = on_small_stack(p, ctx.clone())
                .unwrap_or_else(|_| panic!("{name}: the evaluation panicked"));
            let value = value.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!value.to_json().is_null(), "{name}");
            used = usage.cost;
        }
        // budgets that run out part way: a folded node whose charge doesn't fit evaluates
        // what it stands for, down to where the budget runs out
        for cut in (1..16).map(|i| used * i / 16) {
            let p = el::compile(&src, &limits.clone().with_max_cost(cut))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let (value, _) = on_small_stack(p, ctx.clone())
                .unwrap_or_else(|_| panic!("{name}: the evaluation with {cut} units panicked"));
            let e = value.expect_err(name);
            assert_eq!(e.kind, el::EvalErrorKind::Limit, "{name}: {e}");
        }
    }
}

#[test]
fn group_expressions_do_not_nest_further() {
    let ctx = Context::from_json(&json!({
        "org": {"inner": "getFilteredGroups({'g1'}, 'group.name', 1)"},
        "user": {"id": "00u1", "groups": [{"id": "g1", "name": "Group"}]}
    }))
    .unwrap();
    let p = el::compile(
        "getFilteredGroups({'g1'}, org.inner, 1)",
        &Limits::default(),
    )
    .unwrap();
    let e = p.eval(&ctx).unwrap_err();
    assert!(e.message.contains("nested too deeply"), "{e}");
    let p = el::compile(
        "getFilteredGroups({'g1'}, 'group.name', 1)",
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(p.eval(&ctx).unwrap().to_json(), json!(["Group"]));
}
