//! File kinds and their finders.
//!
//! A finder reads one file's text and returns [`Candidate`]s: byte spans that hold what may be an image
//! reference, with the value the file states there. Finders never decide whether a value is a valid reference
//! and never contact a registry; [`crate::app`] classifies the candidates. A new file kind is one new module
//! here plus one entry in the kind table of [`kind`] ([`KINDS`]), which says everything else about it. The
//! YAML kinds
//! (`compose`, `github_actions`, `gitlab_ci`, `kustomize`, `helm_values`, and the generic `yaml`) walk
//! the node tree of [`yaml::tree`] through [`yaml::find_with`].

pub mod compose;
#[cfg(test)]
mod corpus;
pub mod dockerfile;
pub mod github_actions;
pub mod gitlab_ci;
pub mod helm_values;
pub mod json;
mod kind;
pub mod kustomize;
pub mod yaml;

#[cfg(test)]
mod testing;

use std::ops::Range;

pub use kind::{file_names, Docs, Finder, Kind, KindInfo, NameRule, KINDS};

/// One place in a file that may hold an image reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// Byte range, in the file, of the reference text. Rewriting replaces exactly these bytes.
    pub span: Range<usize>,
    /// The value the file states there (for YAML, the scalar's value; it equals the text of `span`
    /// unless `skip` says otherwise).
    pub value: String,
    /// Why this place must not be pinned even when its value parses as a reference (a Ceph `rbd.image`,
    /// Istio's `image: auto`, a build variable, escapes inside a quoted scalar…). `None`: pin it if valid.
    pub skip: Option<String>,
    /// For a Kubernetes container (a mapping with `image` and `name`): whether it sets `imagePullPolicy`.
    /// `None` where pull policy does not apply (Dockerfiles, custom resources without `name`).
    pub pull_policy_set: Option<bool>,
    /// What the bytes of `span` become once the reference is resolved.
    pub target: Target,
}

/// How a resolved candidate is written back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Target {
    /// `span` holds the reference itself: it becomes `name@digest` (or `name:tag@digest`).
    #[default]
    Reference,
    /// `span` holds only a digest value (a kustomize `digest:`, a Helm `image.digest`), possibly empty;
    /// `value` is the reference the surrounding keys compose. It becomes the bare digest.
    Digest,
    /// `span` is an empty point where a whole line is inserted: `prefix`, the digest, `suffix`
    /// (e.g. `"    digest: "` and `"\n"`, with the entry's own indentation and line ending).
    InsertDigest { prefix: String, suffix: String },
}

impl Target {
    /// The text that replaces the span once `reference` resolved to `digest`: the reference written with
    /// the digest (`pinned`, built by the caller, who knows whether the tag stays), the digest alone, or the
    /// inserted line.
    pub fn text(&self, pinned: impl FnOnce() -> String, digest: &str) -> String {
        match self {
            Target::Reference => pinned(),
            Target::Digest => digest.to_string(),
            Target::InsertDigest { prefix, suffix } => format!("{prefix}{digest}{suffix}"),
        }
    }
}

/// What a finder returns for one file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Findings {
    /// In file order.
    pub candidates: Vec<Candidate>,
    /// Set when the whole file is passed over (e.g. a Helm template that no YAML parser reads); the reason.
    pub skipped: Option<String>,
    /// The byte ranges of the file's `# pin: ignore` comments, in order: only text the format's parser reads
    /// as a comment (never a `#` inside a string, a scalar, a shell command or a here-document), from the `#`
    /// to the end of its line.
    pub ignore_comments: Vec<Range<usize>>,
}

/// Whether a comment's text (from its `#`) is `# pin: ignore` (spaces optional; `# pin: ignore because …`
/// counts, `# pin: ignored` does not).
pub fn is_ignore_comment(comment: &str) -> bool {
    let Some(rest) = comment.strip_prefix('#') else {
        return false;
    };
    rest.trim_start().strip_prefix("pin:").is_some_and(|r| {
        r.trim_start()
            .strip_prefix("ignore")
            .is_some_and(|after| !after.starts_with(|c: char| c.is_alphanumeric()))
    })
}

/// The end of the line holding `at`: the offset of its `\n` (or `\r`), or the end of `src`.
pub(crate) fn line_end(src: &str, at: usize) -> usize {
    src[at..].find(['\n', '\r']).map_or(src.len(), |i| at + i)
}

/// A file that its finder could not read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FindError {
    /// Byte offset of the problem in the file.
    pub offset: usize,
    pub message: String,
}

/// Maps byte offsets to 1-based line and column (columns count characters) for messages.
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(src: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// The byte range of the line holding `offset`, and of the line before it (if any), each from its
    /// first byte to the start of the next line.
    pub fn line_and_previous(
        &self,
        src: &str,
        offset: usize,
    ) -> (Range<usize>, Option<Range<usize>>) {
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let end = |l: usize| self.starts.get(l + 1).copied().unwrap_or(src.len());
        let this = self.starts[line]..end(line);
        let previous = line.checked_sub(1).map(|l| self.starts[l]..end(l));
        (this, previous)
    }

    /// `(line, column)`, both 1-based.
    pub fn line_col(&self, src: &str, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let col = src
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line + 1, col + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let src = "a: 1\r\nb: é x\n";
        let idx = LineIndex::new(src);
        assert_eq!(idx.line_col(src, 0), (1, 1));
        assert_eq!(idx.line_col(src, 6), (2, 1));
        let x = src.find('x').unwrap();
        assert_eq!(idx.line_col(src, x), (2, 6));
    }
}
