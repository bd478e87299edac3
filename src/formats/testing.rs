//! Helpers for the finders' unit tests: read a snippet whole and check what every finder promises.

use super::{Candidate, FindError, Findings, Target};

type Finder = fn(&str) -> Result<Findings, FindError>;

/// The candidates of `src`, which must read as a whole. Checks every span lies on character boundaries
/// and that a candidate not marked to skip holds exactly its value.
pub(crate) fn candidates(src: &str, find: Finder) -> Vec<Candidate> {
    let findings = find(src).unwrap_or_else(|e| panic!("{src:?}: {e} at {}", e.offset));
    assert_eq!(findings.skipped, None, "{src:?}");
    for c in &findings.candidates {
        let text = src.get(c.span.clone()).expect("span on char boundaries");
        if c.skip.is_none() && c.target == Target::Reference {
            assert_eq!(text, c.value, "{src:?}");
        }
    }
    findings.candidates
}

/// `(text of span, value, skip)` of every candidate, for finders whose candidates are all references.
pub(crate) fn found(src: &str, find: Finder) -> Vec<(&str, String, Option<String>)> {
    candidates(src, find)
        .into_iter()
        .map(|c| {
            assert_eq!(c.target, Target::Reference, "{src:?}");
            (&src[c.span.clone()], c.value, c.skip.map(|s| s.to_string()))
        })
        .collect()
}

/// The texts of the candidates that may be rewritten.
pub(crate) fn pinnable(src: &str, find: Finder) -> Vec<&str> {
    found(src, find)
        .into_iter()
        .filter(|c| c.2.is_none())
        .map(|c| c.0)
        .collect()
}

/// The one candidate of `src`.
pub(crate) fn only(src: &str, find: Finder) -> Candidate {
    let mut all = candidates(src, find);
    assert_eq!(all.len(), 1, "{src:?}: {all:?}");
    all.remove(0)
}

/// `count` mutants of `texts` (taken in turn): one to three characters deleted, inserted from `alphabet` or
/// replaced, by a fixed xorshift sequence from `seed`, so a failure reproduces.
pub(crate) fn mutants(texts: &[String], seed: u64, alphabet: &str, count: usize) -> Vec<String> {
    let mut state = seed;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        usize::try_from(state).expect("64-bit usize")
    };
    let alphabet: Vec<char> = alphabet.chars().collect();
    (0..count)
        .map(|i| {
            let mut chars: Vec<char> = texts[i % texts.len()].chars().collect();
            for _ in 0..1 + next() % 3 {
                let at = next() % (chars.len() + 1);
                let c = alphabet[next() % alphabet.len()];
                match next() % 3 {
                    0 if at < chars.len() => {
                        chars.remove(at);
                    }
                    1 => chars.insert(at, c),
                    _ if at < chars.len() => chars[at] = c,
                    _ => {}
                }
            }
            chars.into_iter().collect()
        })
        .collect()
}

/// `find` answers `src` without panicking, with every span and ignore comment on character boundaries, and an
/// error offset on one.
pub(crate) fn assert_sound(src: &str, find: Finder) {
    match find(src) {
        Ok(f) => {
            for c in f
                .candidates
                .iter()
                .map(|c| &c.span)
                .chain(&f.ignore_comments)
            {
                assert!(src.get(c.clone()).is_some(), "{src:?}: {c:?}");
            }
        }
        Err(e) => assert!(src.is_char_boundary(e.offset), "{src:?}: {e:?}"),
    }
}
