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
            (&src[c.span.clone()], c.value, c.skip)
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
