//! The crate's top-level modules import in one direction: the order of [`LAYERS`], where a
//! module may import only the modules listed before it. The test reads every file under
//! `src/`, collects the `crate::…` paths of its code (comments left out, `crate::{…}` groups
//! read whole) and fails on an import that goes up the list or sideways, on a module missing
//! from the list, and on any cycle (which going only downward rules out, and which is checked
//! on its own so that the message names it).

// A panic here is a failed test or a stopped tool, not a host brought down: the crate's
// lints for src/ (Cargo.toml) are relaxed.
#![allow(
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    unreachable_pub
)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// The top-level modules, lowest layer first, each with the lower modules it may import.
/// Data flows down this list from the bottom up: configuration → compiled server → grant →
/// tokens.
const LAYERS: &[(&str, &[&str])] = &[
    // the expression engine, offered on its own: nothing from the rest of the crate
    ("el", &[]),
    // OAuth error responses
    ("oauth", &[]),
    // the configuration model, its loaders and diagnostics
    ("config", &["el"]),
    // keys, signing, verification, encryption, DPoP, refresh records
    ("token", &["config", "oauth"]),
    // discovery documents
    ("discovery", &["config", "token"]),
    // token requests
    ("request", &["config", "el", "token"]),
    // policy evaluation: grants and traces
    ("policy", &["config", "el", "oauth", "request", "token"]),
    // the token inline hook protocol
    (
        "hook",
        &["config", "el", "oauth", "policy", "request", "token"],
    ),
    // claim sets compiled at load, OIDC standard claims, GROUPS filters
    ("claims", &["config", "el"]),
    // minting tokens from a grant
    (
        "mint",
        &[
            "claims", "config", "el", "hook", "oauth", "policy", "request", "token",
        ],
    ),
    // compiling a configuration: caps, validation, lowering, analysis
    (
        "compile",
        &["claims", "config", "el", "mint", "policy", "token"],
    ),
    // the compiled authorization server
    (
        "server",
        &[
            "claims", "compile", "config", "hook", "mint", "oauth", "policy", "request", "token",
        ],
    ),
    // the scenario runner of examples/check
    (
        "check",
        &[
            "compile", "config", "oauth", "policy", "request", "server", "token",
        ],
    ),
];

/// The code of `text` without comments (line comments, doc comments, block comments). String
/// literals are kept; a `//` inside one ends the line early, which can only hide code, so a
/// path written after a URL on the same line is not read.
fn code_of(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut depth = 0usize;
    for line in text.lines() {
        let mut rest = line;
        loop {
            if depth > 0 {
                match (rest.find("/*"), rest.find("*/")) {
                    (Some(o), Some(c)) if o < c => {
                        depth += 1;
                        rest = rest.get(o + 2..).unwrap_or_default();
                    }
                    (_, Some(c)) => {
                        depth -= 1;
                        rest = rest.get(c + 2..).unwrap_or_default();
                    }
                    _ => break,
                }
                continue;
            }
            let line_comment = rest.find("//");
            let block = rest.find("/*");
            match (line_comment, block) {
                (Some(l), Some(b)) if b < l => {
                    out.push_str(rest.get(..b).unwrap_or_default());
                    depth = 1;
                    rest = rest.get(b + 2..).unwrap_or_default();
                }
                (None, Some(b)) => {
                    out.push_str(rest.get(..b).unwrap_or_default());
                    depth = 1;
                    rest = rest.get(b + 2..).unwrap_or_default();
                }
                (Some(l), _) => {
                    out.push_str(rest.get(..l).unwrap_or_default());
                    break;
                }
                (None, None) => {
                    out.push_str(rest);
                    break;
                }
            }
        }
        out.push('\n');
    }
    out
}

/// The first identifier of `s` (after whitespace).
fn ident(s: &str) -> &str {
    let s = s.trim_start();
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    s.get(..end).unwrap_or_default()
}

/// The top-level names that the `crate::` paths of `code` start with; a group
/// `crate::{a::x, b}` gives each of its members' first names.
fn crate_paths(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for rest in code.split("crate::").skip(1) {
        let rest = rest.trim_start();
        if let Some(group) = rest.strip_prefix('{') {
            // the members at depth 0 of the group
            let mut depth = 0usize;
            let mut start = 0usize;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        out.insert(ident(group.get(start..i).unwrap_or_default()).to_owned());
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.insert(ident(group.get(start..i).unwrap_or_default()).to_owned());
                        start = i + 1;
                    }
                    _ => {}
                }
            }
        } else {
            out.insert(ident(rest).to_owned());
        }
    }
    out.remove("");
    out
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .expect("src/ is readable")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Module → the top-level modules its files import (itself and the root's re-exports left
/// out), with the file of each import for the messages.
fn import_graph() -> BTreeMap<String, BTreeMap<String, String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeSet<String> = files
        .iter()
        .filter_map(|f| {
            let rel = f.strip_prefix(&src).ok()?;
            let first = rel.components().next()?.as_os_str().to_str()?;
            let name = first.strip_suffix(".rs").unwrap_or(first);
            (name != "lib").then(|| name.to_owned())
        })
        .collect();
    let mut graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for file in &files {
        let rel = file.strip_prefix(&src).expect("under src/");
        let first = rel
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .expect("a file name");
        let module = first.strip_suffix(".rs").unwrap_or(first).to_owned();
        if module == "lib" {
            continue;
        }
        let text = fs::read_to_string(file).expect("a source file");
        let edges = graph.entry(module.clone()).or_default();
        for used in crate_paths(&code_of(&text)) {
            // a lower-case name that is no module is text in a string literal
            if !modules.contains(&used) && used.starts_with(|c: char| c.is_ascii_lowercase()) {
                continue;
            }
            assert!(
                modules.contains(&used),
                "{}: `crate::{used}` is not a top-level module; import items by the module \
                 that defines them, not through the crate root's re-exports",
                rel.display()
            );
            if used != module {
                edges
                    .entry(used)
                    .or_insert_with(|| rel.display().to_string());
            }
        }
    }
    graph
}

#[test]
fn every_module_is_in_the_layer_list() {
    let graph = import_graph();
    let listed: BTreeSet<&str> = LAYERS.iter().map(|(m, _)| *m).collect();
    for module in graph.keys() {
        assert!(
            listed.contains(module.as_str()),
            "src/{module}: add the module to LAYERS in tests/module_graph.rs, above what it imports"
        );
    }
    for (module, _) in LAYERS {
        assert!(
            graph.contains_key(*module),
            "LAYERS names {module}, which is not a module of src/"
        );
    }
}

#[test]
fn imports_go_down_the_layers() {
    let graph = import_graph();
    for (i, (module, allowed)) in LAYERS.iter().enumerate() {
        let below: BTreeSet<&str> = LAYERS.iter().take(i).map(|(m, _)| *m).collect();
        for name in *allowed {
            assert!(
                below.contains(name),
                "LAYERS: {module} may import {name}, which is not listed before it"
            );
        }
        for (used, file) in graph.get(*module).into_iter().flatten() {
            assert!(
                allowed.contains(&used.as_str()),
                "{file} imports crate::{used}: {module} may import only {allowed:?}"
            );
        }
    }
}

#[test]
fn the_el_module_stands_alone() {
    let graph = import_graph();
    let outside: Vec<_> = graph.get("el").into_iter().flatten().collect();
    assert!(
        outside.is_empty(),
        "the expression engine imports from the rest of the crate: {outside:?}"
    );
}

#[test]
fn no_import_cycle() {
    let graph = import_graph();
    // depth-first search; a back edge is a cycle, reported as its path
    fn visit<'a>(
        node: &'a str,
        graph: &'a BTreeMap<String, BTreeMap<String, String>>,
        state: &mut BTreeMap<&'a str, bool>,
        path: &mut Vec<&'a str>,
    ) {
        match state.get(node) {
            Some(true) => return,
            Some(false) => {
                let start = path.iter().position(|m| *m == node).unwrap_or(0);
                let cycle: Vec<&str> = path.iter().skip(start).copied().chain([node]).collect();
                panic!("import cycle: {}", cycle.join(" -> "));
            }
            None => {}
        }
        state.insert(node, false);
        path.push(node);
        for next in graph.get(node).into_iter().flat_map(BTreeMap::keys) {
            visit(next, graph, state, path);
        }
        path.pop();
        state.insert(node, true);
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        visit(node, &graph, &mut state, &mut Vec::new());
    }
}

#[test]
fn the_reader_sees_groups_and_skips_comments() {
    let code = code_of(
        "use crate::{a::x, b::{y, z}, c};\n// use crate::d;\n/* crate::e */ let f = crate::f::g;\n",
    );
    let found: Vec<String> = crate_paths(&code).into_iter().collect();
    assert_eq!(found, ["a", "b", "c", "f"]);
}
