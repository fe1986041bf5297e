//! Compiling any text never panics, and a compiled program prints to text that compiles
//! again to the same printed form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokenmint::el::{self, Limits};

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let limits = Limits::default();
    if let Ok(p) = el::compile(src, &limits) {
        let printed = p.to_string();
        let q = el::compile(&printed, &limits).expect("printed program must compile");
        assert_eq!(q.to_string(), printed);
    }
});
