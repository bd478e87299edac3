//! The properties every fuzz input must keep, shared by the cargo-fuzz targets (`fuzz_targets/`) and the
//! stable smoke test (`tests/fuzz_smoke.rs`). A violated property panics, which both report as a failure.
//!
//! For a finder, on any text: no panic; every span valid ([`check_spans`]); pinning every unpinned candidate
//! (with stand-in digests) gives text that the same finder reads back with as many candidates, each formerly
//! unpinned one now pinned to its digest; and a second pass changes nothing.

// Each target uses part of it.
#![allow(dead_code)]

use imagepin::test_support::Reference;
use imagepin::test_support::{apply, Edit};
use imagepin::test_support::{check_spans, Findings, Kind};
use imagepin::test_support::{classify, Status};

/// A stand-in digest derived from the value (FNV-1a, widened to 64 hex digits): distinct values get
/// distinct digests, with no dependency on a hash crate.
pub fn fake_digest(value: &str) -> String {
    let mut hex = String::with_capacity(64);
    for round in 0..4u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ round;
        for b in value.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        hex.push_str(&format!("{h:016x}"));
    }
    format!("sha256:{hex}")
}

fn fake_edits(findings: &Findings) -> Vec<Edit> {
    findings
        .candidates
        .iter()
        .filter_map(|c| {
            let Status::Unpinned(r) = classify(c) else {
                return None;
            };
            let digest = fake_digest(&c.value);
            let replacement = c.target.text(|| r.pinned(&digest, false), &digest);
            Some(Edit {
                range: c.span.clone(),
                replacement,
            })
        })
        .collect()
}

/// Checks one finder on one text.
pub fn finder(kind: Kind, src: &str) {
    let Ok(before) = kind.find(src) else {
        return;
    };
    if let Err(e) = check_spans(src, &before) {
        panic!("{kind:?}: {e}");
    }
    let edits = fake_edits(&before);
    if edits.is_empty() {
        return;
    }
    let out = apply(src, &edits).unwrap_or_else(|e| panic!("{kind:?}: edits do not apply: {e}"));
    let after = kind
        .find(&out)
        .unwrap_or_else(|e| panic!("{kind:?}: the pinned text no longer reads: {e}\n{out}"));
    if let Err(e) = check_spans(&out, &after) {
        panic!("{kind:?} after pinning: {e}");
    }
    assert_eq!(
        after.candidates.len(),
        before.candidates.len(),
        "{kind:?}: pinning changed what is found\n--- before\n{src}\n--- after\n{out}"
    );
    for (old, new) in before.candidates.iter().zip(&after.candidates) {
        if let Status::Unpinned(_) = classify(old) {
            match classify(new) {
                Status::Pinned(r) => assert_eq!(
                    r.digest(),
                    Some(fake_digest(&old.value).as_str()),
                    "{kind:?}: {new:?}"
                ),
                other => panic!("{kind:?}: {old:?} pinned reads back as {other:?}\n{out}"),
            }
        }
    }
    assert!(
        fake_edits(&after).is_empty(),
        "{kind:?}: a second pass would change the file\n{out}"
    );
}

/// Checks the reference grammar on one string: no panic, and a parsed reference pinned parses back
/// with that digest.
pub fn reference(s: &str) {
    let Ok(r) = Reference::parse(s) else {
        return;
    };
    if r.digest().is_some() {
        return;
    }
    let digest = fake_digest(s);
    for keep_tag in [false, true] {
        let pinned = r.pinned(&digest, keep_tag);
        let back = Reference::parse(&pinned)
            .unwrap_or_else(|e| panic!("{s:?} pinned as {pinned:?} no longer parses: {e}"));
        assert_eq!(back.digest(), Some(digest.as_str()), "{pinned}");
    }
}

/// The kind a fuzz input selects with its first byte, and the text after it: one target reaches every
/// kind, including kinds added after the targets were written.
pub fn split_kind(data: &[u8]) -> Option<(Kind, &str)> {
    let (&first, rest) = data.split_first()?;
    let kind = Kind::ALL[usize::from(first) % Kind::ALL.len()];
    Some((kind, std::str::from_utf8(rest).ok()?))
}
