//! Calibrates the expression engine's cost units against time: runs workloads that each stress
//! one kind of charge until they exhaust a budget (or finish), and prints the time per cost
//! unit of each. The charges in `src/el/cost.rs` are chosen so that no workload is much slower
//! per unit than a plain node visit; the worst ratio, times the default budget, bounds how long
//! any evaluation takes.
//!
//! ```text
//! cargo run --release --example cost_calibration            # every workload
//! cargo run --release --example cost_calibration -- regex   # those whose name contains "regex"
//! ```

// A panic here is a failed test or a stopped tool, not a host brought down: the crate's
// lints for src/ (Cargo.toml) are relaxed.
#![allow(
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    unreachable_pub
)]

use std::time::Instant;

use serde_json::json;
use tokenmint::el::{self, Context, Limits};

/// (name, expression): each runs over the context below.
const WORKLOADS: &[(&str, &str)] = &[
    // nodes and lists
    ("nodes: projection of a constant", "L.![1]"),
    ("nodes: arithmetic", "L.![1 + 2 * 3 - 4 / 2]"),
    ("nodes: property paths", "L.![org.a.b.c]"),
    (
        "nodes: ternaries and comparisons",
        "L.![org.a == null ? 1 : 2]",
    ),
    ("nodes: selection", "L.?[true].size()"),
    ("lists: inline lists", "L.![{1, 2, 3, 4, 5, 6, 7, 8}]"),
    (
        "lists: flatten",
        "L.![Arrays.flatten({{1, 2}, {3, 4}, {5, 6}})]",
    ),
    ("maps: inline maps", "L.![{'a': 1, 'b': 2, 'c': 3}]"),
    ("maps: projection over a map", "L.![org.m.![value]]"),
    // strings
    ("strings: concatenation", "L.!['abc' + 'def' + 'ghi']"),
    ("strings: repeat 1 KiB", "L.!['x' * 1024]"),
    (
        "strings: upper case ASCII 1 KiB",
        "L.![org.s1k.toUpperCase()]",
    ),
    (
        "strings: upper case non-ASCII 1 KiB",
        "L.![org.u1k.toUpperCase()]",
    ),
    (
        "strings: lower case non-ASCII 1 KiB",
        "L.![toLowerCase(org.u1k)]",
    ),
    ("strings: length non-ASCII 1 KiB", "L.![org.u1k.length()]"),
    (
        "strings: substring non-ASCII 1 KiB",
        "L.![org.u1k.substring(500, 501)]",
    ),
    (
        "strings: charAt non-ASCII 1 KiB",
        "L.![org.u1k.charAt(500)]",
    ),
    ("strings: indexOf 1 KiB", "L.![org.s1k.indexOf('zz')]"),
    ("strings: contains 1 KiB", "L.![org.s1k.contains('zz')]"),
    (
        "strings: compareTo non-ASCII 1 KiB",
        "L.![org.u1k.compareTo(org.u1k2)]",
    ),
    ("strings: equality 1 KiB", "L.![org.s1k == org.s1k2]"),
    ("strings: replace 1 KiB", "L.![org.s1k.replace('a', 'bc')]"),
    (
        "strings: String.replace 1 KiB",
        "L.![String.replace(org.s1k, 'a', 'bc')]",
    ),
    (
        "strings: substringAfter 1 KiB",
        "L.![substringAfter(org.s1k, 'zz')]",
    ),
    ("strings: join", "L.![String.join(',', org.words)]"),
    ("strings: versions", "L.![org.v.versionGreaterThan(org.v)]"),
    ("strings: trim", "L.![org.s1k.trim()]"),
    ("strings: rendering a list", "L.!['' + org.words]"),
    ("strings: toCsvString", "L.![Arrays.toCsvString(org.words)]"),
    ("strings: toInteger", "L.!['12345678'.toInteger()]"),
    (
        "strings: country names",
        "L.!['United States'.parseCountryCode()]",
    ),
    // CSV
    ("csv: size in place", "L.![Arrays.size(org.csv)]"),
    (
        "csv: contains in place",
        "L.![Arrays.contains(org.csv, 'zz')]",
    ),
    ("csv: split into a list", "L.![Arrays.add(org.csv, 'z')]"),
    // equality
    ("equality: lists of 1,000", "L.![org.list == org.list2]"),
    (
        "equality: contains over lists",
        "org.lists.contains(org.list3)",
    ),
    // regular expressions
    (
        "regex: matches a literal, 1 KiB",
        "L.![org.s1k matches '.*zz.*']",
    ),
    ("regex: search, 1 KiB", "L.![org.s1k.replaceAll('q', 'r')]"),
    (
        "regex: Unicode classes, 1 KiB",
        "L.![org.u1k matches '\\w+']",
    ),
    (
        "regex: DFA states, 1 MiB",
        "org.a1m.replaceAll('(.{0,30}){0,30}x', '')",
    ),
    (
        "regex: DFA states, varied 1 MiB",
        "org.v1m.replaceAll('(.{0,20}){0,20}#', '')",
    ),
    (
        "regex: scan to the end each match",
        "org.a200k.replaceAll('.*b|a', 'x')",
    ),
    (
        "regex: capture groups",
        "L.![org.s1k.replaceAll('(a)(b)', '$2$1')]",
    ),
    (
        "regex: long capture groups",
        "org.a1m.replaceAll('(a?){500}a{500}', '$1')",
    ),
    (
        "regex: capture groups, an empty match per byte",
        "org.a1m.replaceAll('(a?){137}a{5}}}||}}}}}}}}}}}}}}}}}}}}}}}}}}=}}}}}}}00}', '$1')",
    ),
    (
        "regex: word boundary on non-ASCII",
        "L.![org.u1k matches '.*\\bx']",
    ),
    (
        "regex: compile 17 patterns in turn",
        "org.patterns.!['abcdefgh' matches p]",
    ),
    (
        "regex: compile a large pattern in turn",
        "org.bigpatterns.!['abcdefgh' matches p]",
    ),
    (
        "regex: compile a too large pattern",
        "L.!['a' matches org.toolarge + '']",
    ),
    (
        "regex: compile Unicode patterns in turn",
        "org.upatterns.!['abcdefgh' matches p]",
    ),
    (
        "regex: compile dense Unicode patterns in turn",
        "org.dpatterns.!['abcdefgh' matches p]",
    ),
    // groups
    (
        "groups: isMemberOfGroupName, 20,000 groups",
        "L.![isMemberOfGroupName('x')]",
    ),
    (
        "groups: Groups.contains, 20,000 groups",
        "L.![Groups.contains('OKTA', 'zzz', 10)]",
    ),
    (
        "groups: getGroups, 20,000 groups",
        "L.![user.getGroups({'group.type': 'OKTA_GROUP'}).size()]",
    ),
    (
        "groups: isMemberOf, 20,000 groups",
        "L.![user.isMemberOf({'group.id': 'zzz'})]",
    ),
    (
        "groups: regex, 20,000 groups",
        "L.![isMemberOfGroupNameRegex('.*x')]",
    ),
    (
        "groups: isMemberOfAnyGroup",
        "L.![isMemberOfAnyGroup(org.words)]",
    ),
    (
        "groups: getFilteredGroups",
        "L.![getFilteredGroups(org.ids, 'group.name', 100)]",
    ),
    (
        "groups: a group expression compiled each time",
        "L.![getFilteredGroups(org.ids, org.gexpr, 100)]",
    ),
    // time
    (
        "time: Time.now with a pattern",
        "L.![Time.now('America/New_York', 'EEEE, d MMMM yyyy HH:mm:ss z')]",
    ),
    (
        "time: parsing a pattern",
        "L.![Time.fromStringToIso8601('17 June 2015 00:23:19', 'dd MMMM yyyy HH:mm:ss')]",
    ),
    (
        "time: date arithmetic",
        "L.![DateTime.now().plusDays(3).toZone('Asia/Tokyo').toString()]",
    ),
    (
        "time: ISO text",
        "L.![Time.fromIso8601ToUnix('2017-04-11T00:00:00.000Z')]",
    ),
    // users
    ("users: profile attribute", "L.![user.firstName]"),
    (
        "users: rendered as text",
        "L.!['' + user.getLinkedObject('manager')]",
    ),
    (
        "users: compared",
        "L.![user.getLinkedObject('manager') == user.getLinkedObject('assistant')]",
    ),
];

fn context() -> serde_json::Value {
    let groups: Vec<_> = (0..20_000)
        .map(|i| json!({"id": format!("00g{i:06}"), "name": format!("group-{i}"), "type": "OKTA_GROUP"}))
        .collect();
    let words: Vec<String> = (0..100).map(|i| format!("word{i}")).collect();
    let patterns: Vec<_> = (0..17 * 600)
        .map(|i| json!({"p": format!("a.c{}[0-9]*", i % 17)}))
        .collect();
    let big_patterns: Vec<_> = (0..1000)
        .map(|i| json!({"p": format!("(a|b|c|d|e|f|g|h|i|j){{0,{}}}x", 100 + i % 17)}))
        .collect();
    let upatterns: Vec<_> = (0..17 * 100)
        .map(|i| json!({"p": format!("\\w+@\\w+\\.x{}", i % 17)}))
        .collect();
    let dpatterns: Vec<_> = (0..17 * 100)
        .map(|i| json!({"p": format!("(?i)[a-zà-ÿ]{{2,30}}{}", i % 17)}))
        .collect();
    let list: Vec<i32> = (0..1000).collect();
    let mut list2 = list.clone();
    if let Some(last) = list2.last_mut() {
        *last = -1;
    }
    let varied: String = (0..(1 << 20))
        .map(|i| (b'a' + (i * 7 % 26) as u8) as char)
        .collect();
    json!({
        "L": (0..100_000).collect::<Vec<_>>(),
        "now": "2015-07-31T17:18:37.979Z",
        "user": {"id": "00u1", "profile": {"firstName": "Winston", "bio": "x".repeat(10_000)},
                 "groups": groups,
                 "linkedObjects": {
                     "manager": {"id": "00u2", "profile": {"bio": "x".repeat(10_000)}},
                     "assistant": {"id": "00u2", "profile": {"bio": "x".repeat(10_000)}}}},
        "org": {
            "a": {"b": {"c": 1}},
            "m": (0..10).map(|i| (format!("k{i}"), json!(i))).collect::<serde_json::Map<_, _>>(),
            "s1k": "ab".repeat(512), "s1k2": "ab".repeat(512),
            "u1k": "é".repeat(512), "u1k2": "é".repeat(512),
            "words": words, "v": "1.".repeat(500),
            "csv": "a,".repeat(500),
            "list": list, "list2": list2, "list3": list.iter().map(|i| i + 1).collect::<Vec<_>>(),
            "lists": vec![list.clone(); 10_000],
            "a1m": "a".repeat(1 << 20), "v1m": varied, "a200k": "a".repeat(200_000),
            "patterns": patterns, "bigpatterns": big_patterns, "toolarge": "\\w{100}",
            "upatterns": upatterns, "dpatterns": dpatterns,
            "ids": (0..100).map(|i| format!("00g{i:06}")).collect::<Vec<_>>(),
            "gexpr": "group.name + '-' + group.id",
        }
    })
}

fn main() {
    let filter = std::env::args().nth(1).unwrap_or_default();
    let ctx = Context::from_json(&context()).expect("context");
    let budget = 10_000_000;
    let limits = Limits::default()
        .with_max_cost(budget)
        .with_max_total_bytes(1 << 30)
        .with_max_list_len(1 << 20);
    println!("budget: {budget} units; each workload the fastest of three runs");
    println!(
        "{:>48} {:>12} {:>12} {:>9} {:>8}",
        "workload", "units", "bytes", "ms", "ns/unit"
    );
    let mut worst = (0.0, "");
    for (name, src) in WORKLOADS.iter().filter(|(n, _)| n.contains(&filter)) {
        let p = match el::compile(src, &limits) {
            Ok(p) => p,
            Err(e) => {
                println!("{name}: {e}");
                continue;
            }
        };
        // the fastest of three runs: the machine is shared
        let mut secs = f64::MAX;
        let (mut r, mut usage) = p.eval_metered(&ctx);
        for _ in 0..3 {
            let start = Instant::now();
            (r, usage) = p.eval_metered(&ctx);
            secs = secs.min(start.elapsed().as_secs_f64());
        }
        let per = secs * 1e9 / usage.cost.max(1) as f64;
        if per > worst.0 {
            worst = (per, name);
        }
        let outcome = match r {
            Ok(_) => "ok".to_owned(),
            Err(e) => format!("{:?}", e.kind),
        };
        println!(
            "{:>48} {:>12} {:>12} {:>9.1} {:>8.2}  {outcome}",
            name,
            usage.cost,
            usage.bytes,
            secs * 1e3,
            per
        );
    }
    println!("worst: {:.2} ns/unit ({})", worst.0, worst.1);
}
