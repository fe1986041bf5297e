//! Peak heap of reading and compiling a large configuration, against the size of its text.
//!
//! The configuration is the one of the `compile` benchmark (`benches/support/compile_config.rs`):
//! 10,000 client-specific policies of 5 rules each, about 12.7 MB of compact JSON. Reading it
//! (`ServerConfig::from_json`) and compiling it (`AuthorizationServer::compile`) must not need
//! more than three times the text's size at any moment, the text itself not counted.

// A panic here is a failed test or a stopped tool, not a host brought down: the crate's
// lints for src/ (Cargo.toml) are relaxed.
#![allow(
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    unreachable_pub
)]

#[path = "../benches/support/compile_config.rs"]
mod compile_config;

use peakmem_alloc::{INSTRUMENTED_SYSTEM, PeakMemAlloc, PeakMemAllocTrait};
use std::alloc::System;
use tokenmint::{AuthorizationServer, Options, ServerConfig};

#[global_allocator]
static GLOBAL: &PeakMemAlloc<System> = &INSTRUMENTED_SYSTEM;

#[test]
fn compile_peak_heap_is_at_most_three_times_the_text() {
    let text = compile_config::config_text(10_000);
    GLOBAL.reset_peak_memory();
    let base = GLOBAL.get_peak_memory();
    let cfg = ServerConfig::from_json(&text).expect("loads");
    let loaded = GLOBAL.get_peak_memory() - base;
    let server = AuthorizationServer::compile(cfg, Options::default()).expect("compiles");
    let peak = GLOBAL.get_peak_memory() - base;
    assert!(
        server.warnings().is_empty(),
        "{:?}",
        server.warnings().first()
    );
    let ratio = peak as f64 / text.len() as f64;
    eprintln!(
        "text {} bytes; peak heap {} bytes after reading, {} bytes compiled ({ratio:.2}x the text)",
        text.len(),
        loaded,
        peak
    );
    assert!(ratio <= 3.0, "peak heap is {ratio:.2}x the text");
}
