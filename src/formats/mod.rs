//! File kinds and their finders.
//!
//! A finder reads one file's text and returns [`Candidate`]s: byte spans that hold what may be an image
//! reference, with the value the file states there. Finders never decide whether a value is a valid reference
//! and never contact a registry; [`crate::app`] classifies the candidates. A new file kind is one new module
//! here plus one entry in the kind table of [`kind`] ([`KINDS`]), which says everything else about it. The
//! YAML kinds
//! (`compose`, `github_actions`, `gitlab_ci`, `kustomize`, `helm_values`, and the generic `yaml`) walk
//! the node tree of [`yaml::tree`] through [`yaml::find_with`].

pub mod azure_pipelines;
pub mod bazel;
pub mod bitbucket;
pub mod buildpacks;
pub mod chart_yaml;
pub mod circleci;
pub mod cloud_build;
pub mod compose;
#[cfg(test)]
mod corpus;
pub mod devcontainer;
pub mod dockerfile;
pub mod dotnet;
pub mod drone;
pub mod fleet;
pub mod github_actions;
pub mod gitlab_ci;
pub mod gitops;
pub mod hcl;
pub mod helm_values;
pub mod helmfile;
pub mod json;
mod kind;
pub mod ko;
pub mod kustomize;
pub mod maven;
pub mod quadlet;
pub mod skip;
pub mod starlark;
pub mod tag_comment;
pub mod tilt;
pub mod xml;
pub mod yaml;

#[cfg(test)]
mod testing;

use std::ops::Range;

pub use kind::{examples, file_names, Kind, Project, KINDS, NOT_KINDS};
pub use skip::SkipReason;

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
    pub skip: Option<SkipReason>,
    /// For a Kubernetes container (a mapping with `image` and `name`): whether it sets `imagePullPolicy`.
    /// `None` where pull policy does not apply (Dockerfiles, custom resources without `name`).
    pub pull_policy_set: Option<bool>,
    /// What the bytes of `span` become once the reference is resolved.
    pub target: Target,
    /// What the reference names when it is not a container image: a Helm chart, a Flux artifact, a Tekton
    /// bundle… (`None`: an image).
    pub artifact: Option<Artifact>,
}

/// An OCI artifact that is not a container image, found where its tool names it. Resolved exactly as an
/// image (its manifest is an OCI image manifest with its own config media type).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Artifact {
    /// A Helm chart in an OCI registry (config `application/vnd.cncf.helm.config.v1+json`).
    HelmChart,
    /// A Flux OCI artifact (`flux push artifact`), named by an `OCIRepository`.
    FluxOci,
    /// A Tekton bundle of tasks or pipelines.
    TektonBundle,
    /// A Crossplane provider, configuration or function package.
    CrossplanePackage,
    /// A Carvel imgpkg bundle.
    ImgpkgBundle,
    /// An OpenTofu module package.
    OpentofuModule,
}

impl Artifact {
    /// Every artifact kind.
    pub const ALL: &'static [Artifact] = &[
        Artifact::HelmChart,
        Artifact::FluxOci,
        Artifact::TektonBundle,
        Artifact::CrossplanePackage,
        Artifact::ImgpkgBundle,
        Artifact::OpentofuModule,
    ];

    /// The name in JSON (`"artifact": "helm-chart"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Artifact::HelmChart => "helm-chart",
            Artifact::FluxOci => "flux-artifact",
            Artifact::TektonBundle => "tekton-bundle",
            Artifact::CrossplanePackage => "crossplane-package",
            Artifact::ImgpkgBundle => "imgpkg-bundle",
            Artifact::OpentofuModule => "opentofu-module",
        }
    }
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
    /// `span` holds the reference itself, and it becomes `name@digest` whatever the options: the format refuses
    /// `name:tag@digest` (a dev container feature id), so no tag is kept in it nor written in a comment.
    NameAtDigest,
    /// `span` is an empty point where a whole line is inserted: `prefix`, the digest, `suffix`
    /// (e.g. `"    digest: "` and `"\n"`, with the entry's own indentation and line ending).
    InsertDigest { prefix: String, suffix: String },
    /// `span` holds a GitHub Actions `uses:` value naming another repository at a ref
    /// (`actions/checkout@v4`): not an image at all. It is classified by [`crate::reference::action`],
    /// resolved to a git commit, and written `OWNER/REPO[/PATH]@<commit>`.
    Action,
    /// `span` holds only the end of the reference's tag, written apart from the rest of the reference (the
    /// default of a Dockerfile build argument that ends the tag of a `FROM name:${VARIANT}`); `tag_end` is that
    /// text without a digest (`1.80`, also when the span holds `1.80@sha256:…`). It becomes `tag_end@digest`
    /// whatever the options: the name lives elsewhere, so the tag cannot leave the reference.
    TagEnd { tag_end: String },
    /// `span` holds the text that selects a tag, and becomes `prefix` and the digest: an OpenTofu module
    /// source's `tag=1.0` becomes `digest=sha256:…` (the two are exclusive there, so no tag is kept).
    Replace { prefix: String },
    /// Never written: the tool that reads the reference takes no digest there (an Argo CD Helm source's
    /// `targetRevision`, a helmfile release's `version`). Such a candidate always has `skip` set to that
    /// reason; it is listed, and `pin verify` checks that its tag still exists.
    Listed,
}

impl Target {
    /// The text that replaces the span once `reference` resolved to `digest`: the reference written with
    /// the digest (`pinned`, built by the caller, who knows whether the tag stays), the digest alone, or the
    /// inserted line.
    pub fn text(&self, pinned: impl FnOnce() -> String, digest: &str) -> String {
        match self {
            Target::Reference | Target::NameAtDigest | Target::Listed | Target::Action => pinned(),
            Target::Digest => digest.to_string(),
            Target::InsertDigest { prefix, suffix } => format!("{prefix}{digest}{suffix}"),
            Target::TagEnd { tag_end } => format!("{tag_end}@{digest}"),
            Target::Replace { prefix } => format!("{prefix}{digest}"),
        }
    }
}

/// What a scan asks of the finders beyond their defaults (flags and `pin.toml` keys).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FindOptions {
    /// `--devcontainer-features`: also the feature ids of dev container configurations.
    pub devcontainer_features: bool,
    /// The actions and reusable workflows of GitHub Actions files (`uses: OWNER/REPO@REF`); on unless
    /// `--no-actions` (`actions = false`).
    pub actions: bool,
}

impl Default for FindOptions {
    fn default() -> FindOptions {
        FindOptions {
            devcontainer_features: false,
            actions: true,
        }
    }
}

/// What a finder returns for one file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Findings {
    /// In file order.
    pub candidates: Vec<Candidate>,
    /// Set when the whole file is passed over (e.g. a Helm template that no YAML parser reads); the reason.
    pub skipped: Option<SkipReason>,
    /// The byte ranges of the file's `# pin: ignore` comments, in order: only text the format's parser reads
    /// as a comment (never a `#` inside a string, a scalar, a shell command or a here-document), from the `#`
    /// to the end of its line.
    pub ignore_comments: Vec<Range<usize>>,
}

/// A finder's answer that breaks the finder contract: a bug in `pin`, reported for the file rather than
/// allowed to reach slicing or a rewrite.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SpanError {
    /// Where in the file (clamped to its length).
    pub offset: usize,
    pub message: String,
}

/// Checks every span of `findings` once, as they are built: inside the file, on character boundaries; an
/// inserted line at an empty point; and for a reference written in place, the value is the span's text,
/// unless the candidate declares the difference (`skip`, or a [`Target`] other than [`Target::Reference`],
/// [`Target::NameAtDigest`] and [`Target::Action`]); a tag's end is its span's text, with or without a digest
/// after it.
/// Ignore-comment ranges must be valid spans too.
pub fn check_spans(src: &str, findings: &Findings) -> Result<(), SpanError> {
    let bad = |range: &Range<usize>, what: &str| {
        // Where a message can point: the character the span starts in.
        let mut offset = range.start.min(src.len());
        while !src.is_char_boundary(offset) {
            offset -= 1;
        }
        SpanError {
            offset,
            message: format!("returned {what} {range:?}"),
        }
    };
    let valid = |r: &Range<usize>| {
        r.start <= r.end
            && r.end <= src.len()
            && src.is_char_boundary(r.start)
            && src.is_char_boundary(r.end)
    };
    for c in &findings.candidates {
        if !valid(&c.span) {
            return Err(bad(
                &c.span,
                &format!(
                    "the span for {:?} outside the file or inside a character:",
                    c.value
                ),
            ));
        }
        let text = &src[c.span.clone()];
        match &c.target {
            Target::InsertDigest { .. } if !c.span.is_empty() => {
                return Err(bad(&c.span, "a non-empty span to insert a line at"));
            }
            Target::Listed if c.skip.is_none() => {
                return Err(bad(&c.span, "a listed reference without its reason at"));
            }
            Target::Reference | Target::NameAtDigest | Target::Action
                if c.skip.is_none() && text != c.value =>
            {
                return Err(bad(
                    &c.span,
                    &format!("the value {:?} for the text {text:?} at", c.value),
                ));
            }
            Target::TagEnd { tag_end }
                if c.skip.is_none()
                    && text != tag_end
                    && text
                        .strip_prefix(tag_end.as_str())
                        .and_then(|d| d.strip_prefix('@'))
                        .is_none() =>
            {
                return Err(bad(
                    &c.span,
                    &format!("the tag end {tag_end:?} for the text {text:?} at"),
                ));
            }
            _ => {}
        }
    }
    for r in &findings.ignore_comments {
        if !valid(r) {
            return Err(bad(r, "an ignore comment"));
        }
    }
    Ok(())
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

/// The start of the line holding `at`: just after the last line break before it (a `\n`, or a `\r` that no
/// `\n` follows), or 0.
pub(crate) fn line_start(src: &str, at: usize) -> usize {
    let bytes = src.as_bytes();
    memchr::memrchr2_iter(b'\n', b'\r', &bytes[..at])
        .find(|&i| is_break(bytes, i))
        .map_or(0, |i| i + 1)
}

/// The 0-based line of `at`: the line breaks before it (see [`line_start`]).
pub(crate) fn line_number(src: &str, at: usize) -> usize {
    breaks_in(src.as_bytes(), 0, at).count()
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
///
/// A line ends at a `\n`, a `\r\n` or a lone `\r` (old Mac text, which YAML also reads as a line break): the
/// line break is the `\n`, or the `\r` when no `\n` follows it.
///
/// The text is cut into blocks of [`LineIndex::BLOCK`] bytes, and for each block the index keeps where it
/// stands: line breaks and characters before it, where the line holding its first byte starts, where the
/// next line break is. A query reads at most a block or two of text from the nearest checkpoint, however
/// long the line: a line holding thousands of references costs linear time in all, and the index takes
/// about 1/32 of the text's size.
pub struct LineIndex {
    blocks: Vec<Block>,
    /// Every character is one byte: columns are byte distances.
    ascii: bool,
    len: usize,
}

/// Where a block of [`LineIndex`] starts.
#[derive(Clone, Copy, Debug)]
struct Block {
    /// Line breaks before the block.
    breaks: usize,
    /// Start of the line that holds the block's first byte.
    line_start: usize,
    /// Characters before the block (unused for ASCII text).
    chars: usize,
    /// The first line break at or after the block's start, or the text's length.
    next_break: usize,
}

impl LineIndex {
    /// Bytes per checkpoint.
    pub const BLOCK: usize = 1024;

    pub fn new(src: &str) -> Self {
        let bytes = src.as_bytes();
        let ascii = src.is_ascii();
        // A block for every offset in `0..=len`.
        let mut blocks = Vec::with_capacity(bytes.len() / Self::BLOCK + 1);
        let (mut breaks, mut line_start, mut chars) = (0, 0, 0);
        let mut first_breaks = Vec::with_capacity(blocks.capacity());
        for start in (0..=bytes.len()).step_by(Self::BLOCK) {
            blocks.push(Block {
                breaks,
                line_start,
                chars,
                next_break: bytes.len(),
            });
            let block = &bytes[start..(start + Self::BLOCK).min(bytes.len())];
            let mut first = None;
            for i in breaks_in(bytes, start, block.len()) {
                first.get_or_insert(i);
                breaks += 1;
                line_start = i + 1;
            }
            first_breaks.push(first);
            if !ascii {
                chars += char_starts(block);
            }
        }
        let mut next = bytes.len();
        for (block, first) in blocks.iter_mut().zip(first_breaks).rev() {
            next = first.unwrap_or(next);
            block.next_break = next;
        }
        LineIndex {
            blocks,
            ascii,
            len: bytes.len(),
        }
    }

    /// The byte range of the line holding `offset`, and of the line before it (if any), each from its
    /// first byte to the start of the next line.
    pub fn line_and_previous(
        &self,
        src: &str,
        offset: usize,
    ) -> (Range<usize>, Option<Range<usize>>) {
        let through_break = |line: Range<usize>| line.start..(line.end + 1).min(self.len);
        let this = through_break(self.line_range(src, offset));
        let previous =
            (this.start > 0).then(|| self.line_range(src, this.start - 1).start..this.start);
        (this, previous)
    }

    /// `(line, column)`, both 1-based. An offset past the end counts as the end.
    pub fn line_col(&self, src: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.len);
        let (block, start) = self.block(offset);
        let line = block.breaks + breaks_in(src.as_bytes(), start, offset - start).count();
        let line_start = self.line_start(src, offset);
        let col = if self.ascii {
            offset - line_start
        } else {
            self.chars_before(src, offset) - self.chars_before(src, line_start)
        };
        (line + 1, col + 1)
    }

    /// The bytes of the line holding `offset`, without its line break (a `\r` before a `\n` stays).
    pub fn line_range(&self, src: &str, offset: usize) -> Range<usize> {
        let offset = offset.min(self.len);
        let bytes = src.as_bytes();
        let block_end = (offset / Self::BLOCK + 1) * Self::BLOCK;
        let end = match breaks_in(bytes, offset, block_end.min(self.len) - offset).next() {
            Some(i) => i,
            None => self
                .blocks
                .get(offset / Self::BLOCK + 1)
                .map_or(self.len, |b| b.next_break),
        };
        self.line_start(src, offset)..end
    }

    fn block(&self, offset: usize) -> (&Block, usize) {
        let k = offset / Self::BLOCK;
        (&self.blocks[k], k * Self::BLOCK)
    }

    fn line_start(&self, src: &str, offset: usize) -> usize {
        let (block, start) = self.block(offset);
        let bytes = src.as_bytes();
        memchr::memrchr2_iter(b'\n', b'\r', &bytes[start..offset])
            .map(|i| start + i)
            .find(|&i| is_break(bytes, i))
            .map_or(block.line_start, |i| i + 1)
    }

    /// Characters before `offset` (the bytes that start one).
    fn chars_before(&self, src: &str, offset: usize) -> usize {
        let (block, start) = self.block(offset);
        block.chars + char_starts(&src.as_bytes()[start..offset])
    }
}

/// Whether the byte at `i` ends a line: a `\n`, or a `\r` that no `\n` follows.
fn is_break(bytes: &[u8], i: usize) -> bool {
    match bytes[i] {
        b'\n' => true,
        b'\r' => bytes.get(i + 1) != Some(&b'\n'),
        _ => false,
    }
}

/// The offsets of the line breaks in `bytes[start..start + len]` (see [`is_break`]; a `\r` at the end of the
/// range is judged by the byte after it).
fn breaks_in(bytes: &[u8], start: usize, len: usize) -> impl Iterator<Item = usize> + '_ {
    memchr::memchr2_iter(b'\n', b'\r', &bytes[start..start + len])
        .map(move |i| start + i)
        .filter(|&i| is_break(bytes, i))
}

/// How many bytes start a character (are not UTF-8 continuation bytes).
fn char_starts(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_checked_against_the_text() {
        let src = "image: é:1\n";
        let c = |span: Range<usize>, value: &str, target: Target, skip: Option<&'static str>| {
            Findings {
                candidates: vec![Candidate {
                    span,
                    value: value.into(),
                    skip: skip.map(crate::formats::SkipReason::fixed),
                    pull_policy_set: None,
                    target,
                    artifact: None,
                }],
                ..Findings::default()
            }
        };
        let at = src.find('é').unwrap();
        let ok = c(at..at + 4, "é:1", Target::Reference, None);
        assert_eq!(check_spans(src, &ok), Ok(()));
        for bad in [
            c(at + 1..at + 4, "é:1", Target::Reference, None),
            c(at..at + 40, "é:1", Target::Reference, None),
            c(at..at + 4, "x:1", Target::Reference, None),
            c(
                at..at + 2,
                "é:1",
                Target::InsertDigest {
                    prefix: String::new(),
                    suffix: String::new(),
                },
                None,
            ),
        ] {
            let err = check_spans(src, &bad).unwrap_err();
            assert!(src.is_char_boundary(err.offset), "{err:?}");
        }
        // Declared differences: a skipped candidate, a digest-only target.
        assert_eq!(
            check_spans(
                src,
                &c(at..at + 4, "x:1", Target::Reference, Some("escapes"))
            ),
            Ok(())
        );
        assert_eq!(
            check_spans(src, &c(at..at + 4, "x@y", Target::Digest, None)),
            Ok(())
        );
        let mut comments = ok.clone();
        comments.ignore_comments.push(at + 1..at + 2);
        assert!(check_spans(src, &comments).is_err());
    }

    #[test]
    fn a_lone_cr_ends_a_line() {
        let src = "images:\r- name: a\r  newTag: 1\r\r\nx: é\n";
        let idx = LineIndex::new(src);
        let at = |s: &str| idx.line_col(src, src.find(s).unwrap());
        assert_eq!(at("- name"), (2, 1));
        assert_eq!(at("a\r"), (2, 9));
        assert_eq!(at("newTag"), (3, 3));
        // `\r\r\n`: a lone `\r`, then an empty line ended by `\r\n`.
        assert_eq!(at("x:"), (5, 1));
        assert_eq!(idx.line_range(src, src.find("1\r").unwrap()), 18..29);
        assert_eq!(idx.line_range(src, 30), 30..31);
    }

    #[test]
    fn line_col_counts_characters() {
        let src = "a: 1\r\nb: é x\n";
        let idx = LineIndex::new(src);
        assert_eq!(idx.line_col(src, 0), (1, 1));
        assert_eq!(idx.line_col(src, 6), (2, 1));
        let x = src.find('x').unwrap();
        assert_eq!(idx.line_col(src, x), (2, 6));
    }

    /// Line, column and line bounds as a reader counts them, from the start of the text, given the offsets
    /// of its line breaks (a `\n`, or a `\r` without a `\n` after it).
    fn naive_with(src: &str, breaks: &[usize], offset: usize) -> ((usize, usize), Range<usize>) {
        let before = breaks.partition_point(|&i| i < offset);
        let start = breaks[..before].last().map_or(0, |i| i + 1);
        let end = breaks.get(before).copied().unwrap_or(src.len());
        (
            (before + 1, src[start..offset].chars().count() + 1),
            start..end,
        )
    }

    #[test]
    fn line_index_agrees_with_counting_from_the_start() {
        let block = LineIndex::BLOCK;
        let long_ascii = format!("a\n{}\nb", "x: 1,".repeat(3 * block));
        let long_utf8 = format!("{}\r\n\n{}é\n", "é-ü:".repeat(block), "k".repeat(block - 1));
        let mut mixed = String::new();
        for i in 0..4 * block {
            mixed.push(match i % 7 {
                0 => '\n',
                1 => '€',
                _ => 'a',
            });
        }
        // Old Mac text, and every kind of break mixed, with `\r\n` pairs split across block boundaries.
        let cr_only = format!(
            "images:\r- name: a\r  newTag: 1\r{}\ré\r",
            "k: v\r".repeat(block)
        );
        let mut every_break = String::new();
        for i in 0..4 * block {
            every_break.push_str(match i % 5 {
                0 => "\r",
                1 => "\n",
                2 => "\r\n",
                3 => "é",
                _ => "a",
            });
        }
        let split = format!(
            "{}\r\n{}\r\rb",
            "x".repeat(block - 1),
            "y".repeat(block - 2)
        );
        for src in [
            "",
            "\n",
            "\r",
            "\r\n",
            "\r\r\n\n\r",
            "a",
            "é\n",
            long_ascii.as_str(),
            long_utf8.as_str(),
            mixed.as_str(),
            cr_only.as_str(),
            every_break.as_str(),
            split.as_str(),
        ] {
            let idx = LineIndex::new(src);
            let b = src.as_bytes();
            let breaks: Vec<usize> = (0..b.len())
                .filter(|&i| b[i] == b'\n' || (b[i] == b'\r' && b.get(i + 1) != Some(&b'\n')))
                .collect();
            let naive = |offset| naive_with(src, &breaks, offset);
            for offset in (0..=src.len()).filter(|&o| src.is_char_boundary(o)) {
                let (want, range) = naive(offset);
                assert_eq!(
                    idx.line_col(src, offset),
                    want,
                    "{offset} in {} bytes",
                    src.len()
                );
                assert_eq!(idx.line_range(src, offset), range, "{offset}");
                let (this, previous) = idx.line_and_previous(src, offset);
                assert_eq!(this, range.start..(range.end + 1).min(src.len()));
                let above = (range.start > 0).then(|| naive(range.start - 1).1.start..range.start);
                assert_eq!(previous, above, "{offset}");
            }
        }
        assert_eq!(LineIndex::new("ab").line_col("ab", 9), (1, 3));
    }
}
