//! The parser at its limits.
//!
//! * Compiling runs on the caller's thread: the deepest nesting the default limits accept, of
//!   every kind, compiles on a thread with a small stack; runs of prefix operators, postfix
//!   steps and binary operators as long as the length limit allows need no stack in proportion
//!   to their length; one level more is an error, and so is a stack too small for the parser.
//! * A compile error's span never splits a character.
//!
//! `cargo test --release --test el_parse` checks the stack figures of an optimized build: every
//! case compiles on a 256 KiB thread. An unoptimized build (`cargo test`) keeps every temporary
//! on the stack and gets `DEBUG_STACK`.
//!
//! Smallest thread stack that compiled the deepest case of each kind with `el::compile` (bytes;
//! x86-64 Linux, rustc 1.95, measured 2026-11-29; includes the 64 KiB pest keeps in reserve):
//!
//! | case                            |   release |     debug |
//! |---------------------------------|----------:|----------:|
//! | parentheses                     |   129,000 |   469,000 |
//! | index                           |   132,000 |   493,000 |
//! | inline list / map               |   142,000 |   596,000 |
//! | ternary / Elvis                 |    95,000 |   336,000 |
//! | projection / selection          |   140,000 |   593,000 |
//! | call arguments                  |   153,000 |   741,000 |
//! | namespaced call                 |   164,000 |   866,000 |
//! | method arguments                |   164,000 |   866,000 |
//! | group expr in parentheses       |  ≤129,000 |  ≤469,000 |
//! | group expr in method arguments  |  ≤164,000 |  ≤866,000 |
//! | 1,000-character runs            |    76,000 |    96,000 |
//!
//! Per nesting level the parser needs 0.9–1.4 KB of stack in release builds (6–12 KB in debug
//! builds); the name-resolution pass keeps one small dispatch frame per level (each kind of
//! expression is compiled by its own non-inlined function), so the parser dominates. A literal
//! group expression is compiled after the walk over its program, not inside its call, so a
//! group case needs what the larger of its two expressions needs (the `≤` rows: the figure of
//! that kind; until 2026-11-29 the second expression stacked on the first, 252,000 and
//! 1,146,000 bytes for the method-arguments case). Expressions at most 6 levels deep take the
//! hand-written fast path (`src/el/fastparse.rs`), which needs far less.

// A panic here is a failed test or a stopped tool, not a host brought down: the crate's
// lints for src/ (Cargo.toml) are relaxed.
#![allow(
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    unreachable_pub
)]

use std::thread;

use proptest::prelude::*;
use tokenmint::el::{self, CompileError, Limits, Span};

const KIB: usize = 1024;
/// The stack every case must compile on in an optimized build.
const RELEASE_STACK: usize = 256 * KIB;
/// Unoptimized builds: the deepest case needs 1.2 MB.
const DEBUG_STACK: usize = 2048 * KIB;

fn stack() -> usize {
    if cfg!(debug_assertions) {
        DEBUG_STACK
    } else {
        RELEASE_STACK
    }
}

fn r(s: &str, n: usize) -> String {
    s.repeat(n)
}

/// One nesting kind: builds the expression nested `d` levels below the top level.
struct Kind {
    name: &'static str,
    at: fn(usize) -> String,
}

const KINDS: &[Kind] = &[
    Kind {
        name: "parentheses",
        at: |d| format!("{}1{}", r("(", d), r(")", d)),
    },
    Kind {
        name: "index",
        at: |d| format!("{}0{}", r("x[", d), r("]", d)),
    },
    Kind {
        name: "inline list",
        at: |d| format!("{}1{}", r("{", d), r("}", d)),
    },
    Kind {
        name: "inline map",
        at: |d| format!("{}1{}", r("{'k': ", d), r("}", d)),
    },
    Kind {
        name: "ternary else",
        at: |d| format!("{}c", r("a ? b : ", d)),
    },
    Kind {
        name: "ternary middle",
        at: |d| format!("{}b{}", r("a ? ", d), r(" : c", d)),
    },
    Kind {
        name: "Elvis",
        at: |d| format!("{}c", r("a ?: ", d)),
    },
    Kind {
        name: "ternary and Elvis",
        at: |d| format!("{}c", r("a ?: b ? x : ", d / 2)) + &r(" ?: d", d % 2),
    },
    Kind {
        name: "projection",
        at: |d| format!("{}y{}", r("x.![", d), r("]", d)),
    },
    Kind {
        name: "safe projection",
        at: |d| format!("{}y{}", r("x?.![", d), r("]", d)),
    },
    Kind {
        name: "selection",
        at: |d| format!("{}true{}", r("x.?[", d), r("]", d)),
    },
    Kind {
        name: "first and last",
        at: |d| {
            format!(
                "{}true{}",
                r("x.^[y.$[", d / 2) + &r("z.?[", d % 2),
                r("]", d)
            )
        },
    },
    Kind {
        name: "call arguments",
        at: |d| format!("{}'a'{}", r("toUpperCase(", d), r(")", d)),
    },
    Kind {
        name: "namespaced call arguments",
        at: |d| format!("{}'a'{}", r("String.len(", d), r(")", d)),
    },
    Kind {
        name: "method arguments",
        at: |d| format!("{}'b'{}", r("'a'.concat(", d), r(")", d)),
    },
    Kind {
        name: "mixed",
        at: |d| {
            format!(
                "{}{}1{}{}",
                r("(", d % 4),
                r("(-x[{!a ? ", d / 4),
                r(" : 1}]).y", d / 4),
                r(")", d % 4)
            )
        },
    },
    Kind {
        name: "prefix run inside",
        at: |d| format!("{}{}true{}", r("(", d), r("!", 800), r(")", d)),
    },
    Kind {
        name: "group expression in parentheses",
        at: |d| {
            format!(
                "{}getFilteredGroups(x, '{}true{}', 40){}",
                r("(", d - 1),
                r("(", 63),
                r(")", 63),
                r(")", d - 1)
            )
        },
    },
    Kind {
        name: "group expression in method arguments",
        at: |d| {
            format!(
                "{}getFilteredGroups(x, '{}true{}', 40){}",
                r("'a'.concat(", d - 1),
                r("(", 63),
                r(")", 63),
                r(")", d - 1)
            )
        },
    },
];

/// Compiles `src` with the default limits on a thread with `stack` bytes of stack.
fn compile_on(src: String, stack: usize) -> Result<(), CompileError> {
    thread::Builder::new()
        .stack_size(stack)
        .spawn(move || el::compile(&src, &Limits::default()).map(|_| ()))
        .expect("spawn")
        .join()
        .expect("the compiling thread panicked")
}

#[test]
fn the_deepest_nesting_of_every_kind_compiles_on_a_small_stack() {
    // The top level counts as one: 63 levels below it reach the default limit of 64.
    let deepest = Limits::default().max_depth - 1;
    for kind in KINDS {
        let src = (kind.at)(deepest);
        assert!(
            src.chars().count() <= Limits::default().max_length,
            "{}",
            kind.name
        );
        if let Err(e) = compile_on(src, stack()) {
            panic!("{}: {e:#}", kind.name);
        }
    }
}

#[test]
fn one_level_deeper_is_an_error() {
    let too_deep = Limits::default().max_depth;
    for kind in KINDS {
        let err = compile_on((kind.at)(too_deep), stack()).expect_err(kind.name);
        assert!(
            err.message.contains("nested too deeply"),
            "{}: {err:#}",
            kind.name
        );
    }
}

#[test]
fn long_runs_need_no_stack_per_element() {
    let max = Limits::default().max_length;
    let runs = [
        format!("{}true", r("!", 1019)),
        format!("{}true", r("not ", 255)),
        format!("{}1", r("-+", 511)),
        format!("{}1", r("- ", 511)),
        format!("x{}", r(".y", 511)),
        format!("x{}", r("?.y", 341)),
        format!("x{}", r("[0]", 341)),
        format!("'a'{}", r(".toString()", 92)),
        format!("{}1", r("1 + ", 255)),
        format!("{}3", r("1 + 2 * ", 127)),
        format!("{}a", r("a or ", 204)),
        format!("{}a", r("a and b or ", 92)),
    ];
    for src in runs {
        assert!(src.chars().count() <= max, "{src}");
        // What a flat expression needs whatever its length: pest's reserve and a few frames.
        let small = if cfg!(debug_assertions) {
            160 * KIB
        } else {
            96 * KIB
        };
        if let Err(e) = compile_on(src.clone(), small) {
            panic!("{src}: {e:#}");
        }
    }
}

/// pest checks the stack itself on the targets where it can (the ones below): a thread too
/// small for the nesting gets an error, not an overflow that would abort the process.
#[cfg(any(
    all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"),
    all(target_arch = "aarch64", target_os = "linux", target_env = "gnu"),
    all(
        target_os = "macos",
        any(target_arch = "x86_64", target_arch = "aarch64")
    ),
    all(
        target_os = "windows",
        target_env = "msvc",
        any(target_arch = "x86_64", target_arch = "aarch64")
    ),
))]
#[test]
fn a_stack_too_small_for_the_parser_is_an_error() {
    let src = format!("{}1{}", r("(", 63), r(")", 63));
    let err = compile_on(src, 96 * KIB).expect_err("96 KiB is too small for 63 levels");
    assert!(err.message.contains("stack"), "{err:#}");
    assert!(err.hint.is_some_and(|h| h.contains("max_depth")));
}

#[test]
fn span_new_never_splits_a_character() {
    for src in [
        "",
        "a",
        "é",
        "a日b",
        "🎉x🎉",
        "x\n日\n🎉é",
        "'ñ' + \"日本\"",
    ] {
        let bounds: Vec<usize> = (0..=src.len())
            .filter(|&i| src.is_char_boundary(i))
            .collect();
        let between = |a: usize, b: usize| bounds.iter().any(|&c| a < c && c < b);
        for start in 0..=src.len() + 2 {
            for end in 0..=src.len() + 2 {
                let s = Span::new(src, start, end);
                assert!(
                    s.start <= s.end && s.end <= src.len(),
                    "{src:?} {start} {end}: {s:?}"
                );
                assert!(src.is_char_boundary(s.start) && src.is_char_boundary(s.end));
                // start moves back to its character's start, end forward to its character's end
                let (start, end) = (start.min(src.len()), end.min(src.len()).max(s.start));
                assert!(s.start <= start && !between(s.start, start));
                assert!(s.end >= end && !between(end, s.end));
                let before = &src[..s.start];
                assert_eq!(s.line, before.matches('\n').count() + 1);
                let line_start = before.rfind('\n').map_or(0, |i| i + 1);
                assert_eq!(s.column, before[line_start..].chars().count() + 1);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(2000),
        ..ProptestConfig::default()
    })]

    #[test]
    fn compile_error_spans_never_split_a_character(parts in prop::collection::vec(prop_oneof![
        Just("é"), Just("日"), Just("🎉"), Just("ñ"), Just("'日'"), Just("\"é\""), Just("'"),
        Just("("), Just(")"), Just("["), Just("]"), Just("{"), Just("}"), Just("?"), Just(":"),
        Just("."), Just("!"), Just("+"), Just("<"), Just("=="), Just(","), Just(" "), Just("\n"),
        Just("x"), Just("1"), Just("user"), Just("and"), Just("#"), Just("@"), Just("\\"),
    ], 0..16)) {
        let src = parts.concat();
        if let Err(e) = el::compile(&src, &Limits::default()) {
            let s = e.span;
            prop_assert!(s.start <= s.end && s.end <= src.len(), "{:?}: {:?}", src, e);
            prop_assert!(src.is_char_boundary(s.start) && src.is_char_boundary(s.end), "{:?}: {:?}", src, e);
            let before = &src[..s.start];
            prop_assert_eq!(s.line, before.matches('\n').count() + 1);
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            prop_assert_eq!(s.column, before[line_start..].chars().count() + 1);
        }
    }
}
