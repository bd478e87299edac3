//! The Compose finder on any text (see `check.rs` for the properties).
#![no_main]

#[path = "../check.rs"]
mod check;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(src) = std::str::from_utf8(data) {
        check::finder(imagepin::test_support::Kind::Compose, src);
    }
});
