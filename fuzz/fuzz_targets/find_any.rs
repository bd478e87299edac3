//! Every finder, chosen by the input's first byte: reaches kinds added after the per-kind targets.
#![no_main]

#[path = "../check.rs"]
mod check;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((kind, src)) = check::split_kind(data) {
        check::finder(kind, src);
    }
});
