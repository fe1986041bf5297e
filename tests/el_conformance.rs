//! Conformance corpus: every `tests/el/*.jsonl` case file except the SpEL golden data.
//!
//! A case is `{"expr", "ctx"?: <name in contexts.json>, "context"?: {...}, "value" | "error",
//! "note"?}`. `value` must equal the result's JSON exactly (ints stay ints, doubles doubles);
//! `error` must be a substring of the compile or evaluation error's message.

use std::fs;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value as Json;
use tokenmint::el::{self, Context, EvalErrorKind, Limits};

/// One case of a `.jsonl` file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    expr: String,
    #[serde(default)]
    ctx: Option<String>,
    #[serde(default)]
    context: Option<serde_json::Map<String, Json>>,
    /// The expected value; `null` is a value (so a present member is `Some`, even `null`).
    #[serde(default, deserialize_with = "present")]
    value: Option<Json>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    #[allow(dead_code)] // read by people
    note: Option<String>,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Json>, D::Error> {
    Json::deserialize(d).map(Some)
}

fn context(case: &Case, contexts: &Json) -> Json {
    let mut ctx = serde_json::Map::new();
    if let Some(name) = &case.ctx {
        let named = contexts
            .get(name)
            .unwrap_or_else(|| panic!("unknown context {name}"));
        ctx.extend(named.as_object().unwrap().clone());
    }
    if let Some(inline) = &case.context {
        ctx.extend(inline.clone());
    }
    Json::Object(ctx)
}

fn run(expr: &str, ctx: &Json) -> Result<Json, String> {
    let ctx = Context::from_json(ctx).map_err(|e| e.to_string())?;
    let p = el::compile(expr, &Limits::default()).map_err(|e| format!("{e:#}"))?;
    p.eval(&ctx).map(|v| v.to_json()).map_err(|e| e.to_string())
}

#[test]
fn conformance_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/el");
    let contexts: Json =
        serde_json::from_str(&fs::read_to_string(dir.join("contexts.json")).unwrap()).unwrap();
    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "jsonl")
                && !p
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("spel_")
        })
        .collect();
    files.sort();
    let (mut total, mut failures) = (0, Vec::new());
    for f in &files {
        for (n, line) in fs::read_to_string(f).unwrap().lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let case: Case = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{}:{}: {e}", f.display(), n + 1));
            let expr = case.expr.as_str();
            total += 1;
            let got = run(expr, &context(&case, &contexts));
            let ok = match (&got, &case.error, &case.value) {
                (Err(msg), Some(want), None) => msg.contains(want.as_str()),
                (Ok(v), None, Some(want)) => v == want,
                _ => false,
            };
            if !ok {
                failures.push(format!(
                    "{}:{}: {expr}\n    got:  {got:?}\n    want: {}",
                    f.file_name().unwrap().to_string_lossy(),
                    n + 1,
                    case.error.as_ref().map_or_else(
                        || format!("value {}", case.value.clone().unwrap_or_default()),
                        |e| format!("error containing {e:?}")
                    )
                ));
            }
        }
    }
    eprintln!("conformance: {total} cases in {} files", files.len());
    assert!(
        failures.is_empty(),
        "{} of {total} cases fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn limits(max_length: usize) -> Limits {
    let mut l = Limits::default();
    l.max_length = max_length;
    l
}

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let t = std::time::Instant::now();
    let r = f();
    let secs = t.elapsed().as_secs_f64();
    assert!(secs < 5.0, "{what} took {secs:.2} s");
    r
}

#[test]
fn hundred_thousand_nested_parentheses_are_refused_not_overflowing() {
    let src = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
    let e = timed("nested parens", || el::compile(&src, &limits(1 << 21))).unwrap_err();
    assert!(e.message.contains("nested too deeply"), "{e}");
    // the default limits refuse it for its length first
    let e = el::compile(&src, &Limits::default()).unwrap_err();
    assert!(e.message.contains("characters long"), "{e}");
    // other nestings: brackets, braces, ternary chains
    for src in [
        format!("{}1{}", "{".repeat(50_000), "}".repeat(50_000)),
        format!("{}0{}", "x[".repeat(70), "]".repeat(70)),
        format!("{}1{}", "true ? ".repeat(50_000), " : 0".repeat(50_000)),
        format!("{}1", "a ?: ".repeat(50_000)),
    ] {
        assert!(el::compile(&src, &limits(1 << 21)).is_err());
    }
    // the deepest accepted nesting compiles and evaluates on a test thread's stack
    let d = Limits::default().max_depth - 1;
    let src = format!("{}1{}", "(".repeat(d), ")".repeat(d));
    let p = el::compile(&src, &Limits::default()).unwrap();
    assert_eq!(p.eval(&Context::new()).unwrap().to_json(), 1);
    let src = format!("{}1{}", "{".repeat(d), "}".repeat(d));
    assert!(el::compile(&src, &Limits::default()).is_ok());
    // non-constant nesting at the limit evaluates on the caller's (test thread's) stack
    let src = format!(
        "{}user.x{}",
        "(user.x == null ? {user.x, ".repeat(d / 3),
        "} : 0)".repeat(d / 3)
    );
    let p = el::compile(&src, &Limits::default()).unwrap();
    let ctx = Context::from_json(&serde_json::json!({"user": {"profile": {}}})).unwrap();
    let v = p.eval(&ctx).unwrap().to_json();
    assert!(v.is_array(), "{v}");
    let src = format!("{}1{}", "-(".repeat(d - 1), ")".repeat(d - 1)); // an even count
    assert_eq!(
        el::compile(&src, &Limits::default())
            .unwrap()
            .eval(&ctx)
            .unwrap()
            .to_json(),
        1
    );
}

#[test]
fn one_mebibyte_expressions_are_fast() {
    // refused by length under the default limits
    let big = "1 + ".repeat(1 << 18) + "1";
    assert!(big.len() >= 1 << 20);
    let e = el::compile(&big, &Limits::default()).unwrap_err();
    assert!(e.message.contains("limit is 1024"), "{e}");
    // with the limit raised, a flat 1 MiB chain compiles and evaluates without deep recursion
    let l = limits(1 << 21);
    let p = timed("1 MiB sum", || el::compile(&big, &l)).unwrap();
    assert_eq!(p.eval(&Context::new()).unwrap().to_json(), (1 << 18) + 1);
    let nots = "!".repeat(1 << 20) + "true";
    let p = timed("1 MiB of '!'", || el::compile(&nots, &l)).unwrap();
    assert_eq!(p.eval(&Context::new()).unwrap().to_json(), true);
    let s = format!("'{}'.length()", "x".repeat(1 << 20));
    let p = timed("1 MiB literal", || el::compile(&s, &l)).unwrap();
    assert_eq!(p.eval(&Context::new()).unwrap().to_json(), 1 << 20);
}

#[test]
fn pathological_regex_answers_fast() {
    let ctx = Context::from_json(&serde_json::json!({
        "user": {"profile": {"s": "a".repeat(100_000)}}
    }))
    .unwrap();
    for src in [
        "user.s matches '(a*)*b'",
        "user.s matches '(a|aa)+b'",
        "user.s.replaceAll('(a*)*b', 'x') == user.s",
    ] {
        let p = el::compile(src, &Limits::default()).unwrap();
        let v = timed(src, || p.eval(&ctx)).unwrap();
        assert_eq!(v.to_json(), src.ends_with("== user.s"), "{src}");
    }
    // a regex too large once compiled is a compile error
    let e = el::compile("'a' matches '\\w{1000}{1000}'", &Limits::default()).unwrap_err();
    assert!(e.message.contains("too large"), "{e}");
}

#[test]
fn produced_strings_and_lists_are_bounded() {
    let ctx = Context::new();
    for (src, what) in [
        ("'x' * 2147483647", "limit"),
        ("('abcdefgh' * 100000) + ('abcdefgh' * 100000)", "limit"),
        ("String.join(',', 'ab' * 400000, 'cd' * 400000)", "limit"),
        (
            "'aaaa'.replace('a', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' * 10000)",
            "limit",
        ),
    ] {
        let p = el::compile(src, &Limits::default()).unwrap();
        let e = timed(src, || p.eval(&ctx)).unwrap_err();
        assert!(e.message.contains(what), "{src}: {e}");
    }
    let ctx = Context::from_json(&serde_json::json!({
        "data": (0..150_000).collect::<Vec<_>>()
    }))
    .unwrap();
    let p = el::compile("data.![toString()]", &Limits::default()).unwrap();
    assert!(p.eval(&ctx).unwrap_err().message.contains("limit"));
    let ctx =
        Context::from_json(&serde_json::json!({"app": {"data": (0..1000).collect::<Vec<_>>()}}))
            .unwrap();
    let src = "app.data.![app.data.![app.data.![1]]]";
    // the lists it builds (a billion elements) exceed the bytes an evaluation may allocate
    let p = el::compile(src, &Limits::default()).unwrap();
    let e = timed("nested projection", || p.eval(&ctx)).unwrap_err();
    assert_eq!(e.kind, EvalErrorKind::Limit, "{e}");
    assert!(e.message.contains("bytes in total"), "{e}");
    // and, with unbounded memory, the work exceeds the cost budget
    let unbounded = Limits::default().with_max_total_bytes(usize::MAX);
    let p = el::compile(src, &unbounded).unwrap();
    let e = timed("nested projection", || p.eval(&ctx)).unwrap_err();
    assert!(e.message.contains("steps"), "{e}");
    // limits belong to the instance: a stricter engine next to a default one
    let mut strict = Limits::default();
    strict.max_string_len = 4;
    let p = el::compile("'ab' + 'cde'", &strict).unwrap();
    assert!(p.eval(&Context::new()).is_err());
    let p = el::compile("'ab' + 'cde'", &Limits::default()).unwrap();
    assert_eq!(p.eval(&Context::new()).unwrap().to_json(), "abcde");
}

#[test]
fn compile_error_positions_and_hints() {
    let e = el::compile("user.firstName +\n  Strng.len(x)", &Limits::default()).unwrap_err();
    assert_eq!((e.span.line, e.span.column), (2, 3));
    assert_eq!(e.hint.as_deref(), Some("did you mean 'String'?"));
    assert_eq!(e.to_string(), "2:3: unknown name 'Strng'");
    assert_eq!(
        format!("{e:#}"),
        "2:3: unknown name 'Strng' (did you mean 'String'?)"
    );
    let e = el::compile("String.lenn('x')", &Limits::default()).unwrap_err();
    assert_eq!(e.hint.as_deref(), Some("did you mean 'String.len'?"));
    assert_eq!(e.span.column, 1);
}

#[test]
fn program_is_shared_across_threads() {
    let p = el::compile("user.firstName + '!'", &Limits::default()).unwrap();
    let ctx =
        Context::from_json(&serde_json::json!({"user": {"profile": {"firstName": "A"}}})).unwrap();
    std::thread::scope(|s| {
        for _ in 0..4 {
            let (p, ctx) = (p.clone(), &ctx);
            s.spawn(move || assert_eq!(p.eval(ctx).unwrap().to_json(), "A!"));
        }
    });
    assert_eq!(p.source(), "user.firstName + '!'");
}
