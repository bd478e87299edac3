//! YAML finder: every scalar value of a mapping key `image`; and the YAML layer the other YAML
//! finders share.
//!
//! # What is found
//!
//! Every **scalar** value of a mapping key that is exactly `image` (plain, single- or double-quoted
//! key), at any depth, in any kind of object (Pod and workload containers, `initContainers`, custom
//! resources such as `spec.image` or `spec.runLatest.container.image`, compose services, CI jobs…),
//! in every document of a multi-document stream, in block and flow mappings (`{name: x, image: y}`).
//! The value may be plain, single-quoted, double-quoted or a block scalar (`image: >-` with the
//! reference on the next line).
//!
//! [`Candidate::span`] is the byte range of the reference text only: inside the quotes of a quoted
//! scalar, after any `&anchor` / `!tag` properties, and for a block scalar the single content line
//! without its indentation. [`Candidate::value`] is the scalar's value as YAML reads it. When the bytes
//! of the span are not exactly that value (escapes or a line break in a double-quoted scalar, `''` in a
//! single-quoted one, a plain scalar folded over several lines, a block scalar with several content
//! lines, or with clip/keep chomping which adds a final line break to the value), the candidate is
//! still reported, with [`Candidate::skip`] set, so nothing is rewritten there.
//!
//! Values that are known not to be container images are reported with `skip` set, by the rules in
//! [`SKIP_RULES`]: a Ceph `rbd.image`, Istio's `image: auto`, an empty string, and the repository part
//! of a Helm-style split image (`image` next to a `tag` or `digest` key).
//!
//! [`Candidate::pull_policy_set`] is `Some(_)` when the mapping holding `image` also has a `name` key
//! (a Kubernetes container): whether that mapping has an `imagePullPolicy` key.
//!
//! Kubernetes image volumes (`volumes: [{name: v, image: {reference: …, pullPolicy: …}}]`, a mapping
//! under `image` in an item of a `volumes` sequence) are found too: the candidate is the `reference`
//! scalar, and `pull_policy_set` says whether the `image` mapping has a `pullPolicy` key.
//!
//! # What is not found
//!
//! * keys that merely contain `image` (`f:image` in `managedFields`, `imagePullPolicy`, `images`);
//! * references inside other strings: annotations (e.g. the JSON of
//!   `kubectl.kubernetes.io/last-applied-configuration`), container `args`, `command`, environment
//!   values, comments;
//! * an `image` whose value is a mapping or a sequence (Helm `image: {repository: …, tag: …}`,
//!   GitLab `image: {name: …}` — the nested `name` is not looked at; image volumes aside), or an alias (`image: *ref`: the
//!   anchored scalar is reported where it is written, if it is itself an `image` value);
//! * an `image` whose value is a plain YAML null (`image:`, `image: ~`, `image: null`): no image is
//!   stated there.
//!
//! # Helm and Go templates
//!
//! The parsed stream decides. A file is passed over as a whole ([`Findings::skipped`], no error) when
//! either the YAML parser rejects it (after the leniencies of [`tree::read`]) and its text holds a
//! template action `{{ … }}` (a `{{` with a `}}` after it) outside comments, or the parser reads a `{{`
//! as structure (a flow mapping whose first key is another flow mapping: `{{ x }}` outside quotes, which
//! no real manifest contains). A file that parses otherwise is YAML: `{{ … }}` in its comments (chart
//! values that document `{{ include … }}`) changes nothing, and values that hold template actions
//! (`image: "{{ .Values.image }}"`) are reported as written and left to the reference classifier.
//! Invalid YAML without `{{ }}` outside comments is a [`FindError`]. Comments of a file YAML cannot read
//! are found line by line (a `#` at the start of a line or after a blank, outside quotes that open on
//! that line). As the rule only looks for `{{ }}`, an invalid file that merely contains, say, a GitHub
//! Actions `${{ }}` expression is passed over too, with the same reason.
//!
//! # Limitations
//!
//! * Merge keys are not followed: `<<: *base` does not count as giving the mapping a `name` or an
//!   `imagePullPolicy` key, and an `image` brought in by a merge is reported at its anchor only.
//! * Key matching is on the key's value only: `!!str image` and `"image"` are `image`; a complex key
//!   (`? [image]`) or an alias key never is.
//! * Duplicate keys are accepted (each `image` is reported), as most Kubernetes tooling does.
//! * The parser is strict YAML 1.2, with the two leniencies of libyaml that [`tree::read`] adds (a flow
//!   collection closed at its key's indentation, a quoted scalar continued left of its block). Other files
//!   that some tools accept are a [`FindError`]: e.g. tabs used as indentation.
//! * Positions come from `saphyr-parser`, whose markers count characters; they are mapped to bytes
//!   through the source. A UTF-8 byte order mark counts as one character there and three bytes here.
//!
//! # The shared layer
//!
//! [`tree`] reads a stream into nodes with spans (mapping pairs in order, sequences, scalars with their
//! exact text, anchors, tags, aliases) and applies the template and error rules above. The finders of
//! the other YAML kinds walk that tree along the paths their tools read, through [`find_with`]
//! (candidates in file order, one per span) and [`image_value`] (a scalar, or the anchored scalar an
//! alias stands for, as a whole reference). This generic finder is itself a walk over the tree.

use super::{Candidate, FindError, Findings, SkipReason, Target};
use saphyr_parser::ScalarStyle;

mod images;
mod quoted;
pub mod tree;

#[cfg(test)]
use tree::CharCursor;
pub use tree::Reads;
pub use tree::HELM_TEMPLATE;
use tree::{NodeId, Tree};

/// What a [`SkipRule`] looks at.
#[derive(Clone, Copy, Debug)]
pub enum SkipWhen {
    /// The mapping that holds `image` is the value of this key (`rbd: {image: foo}`).
    Under(&'static str),
    /// The scalar value is exactly this.
    Value(&'static str),
    /// The mapping that holds `image` also has this key.
    Beside(&'static str),
}

/// A known `image` key that does not hold a container image reference to pin.
#[derive(Clone, Debug)]
pub struct SkipRule {
    pub when: SkipWhen,
    pub reason: SkipReason,
}

/// Known non-container `image` keys, checked in order; the first match gives the skip reason.
/// A rule's reason replaces a reason that comes from the scalar's text (escapes, line breaks).
pub const SKIP_RULES: &[SkipRule] = &[
    SkipRule {
        when: SkipWhen::Under("rbd"),
        reason: SkipReason::fixed("Ceph RBD image name (rbd.image), not a container image"),
    },
    SkipRule {
        when: SkipWhen::Value("auto"),
        reason: SkipReason::fixed(
            "Istio sidecar-injection placeholder `image: auto`, replaced at admission",
        ),
    },
    SkipRule {
        when: SkipWhen::Value(""),
        reason: SkipReason::Empty,
    },
    SkipRule {
        when: SkipWhen::Beside("tag"),
        reason: SkipReason::fixed("repository of a split image (a sibling `tag` key completes it)"),
    },
    SkipRule {
        when: SkipWhen::Beside("digest"),
        reason: SkipReason::fixed(
            "repository of a split image (a sibling `digest` key completes it)",
        ),
    },
];

/// Finds the `image` values of a YAML stream, and what the GitOps objects it holds name
/// ([`crate::formats::gitops`]). See the module documentation.
pub fn find(src: &str) -> Result<Findings, FindError> {
    let (findings, objects) = images::find_noting_objects(src)?;
    if !objects {
        return Ok(findings);
    }
    // A stream with GitOps objects: read whole, the generic rule's findings kept but where the objects'
    // rules read the values themselves.
    let Some((tree, mut ignore_comments)) = tree::read_for(src, None)? else {
        return Ok(template_skip());
    };
    let mut found = crate::formats::gitops::Found::default();
    crate::formats::gitops::collect(src, &tree, &mut found);
    let mut candidates = Vec::new();
    kubernetes(&tree, &mut candidates);
    candidates.retain(|c| !found.owns(&c.span));
    candidates.append(&mut found.candidates);
    if !found.comments.is_empty() {
        ignore_comments.append(&mut found.comments);
        ignore_comments.sort_by_key(|r| r.start);
    }
    Ok(Findings {
        candidates: in_file_order(candidates),
        skipped: None,
        ignore_comments,
    })
}

/// The generic walk as events, and whether the stream holds a GitOps object.
#[cfg(test)]
pub(crate) fn images_noting_objects(src: &str) -> Result<(Findings, bool), FindError> {
    images::find_noting_objects(src)
}

/// Reads `src` into a [`Tree`] and lets `collect` add candidates. The candidates come back in file
/// order, one per span (a scalar reached twice, e.g. through two aliases, is reported once, skipped if
/// any of the ways it was reached says so). A Helm
/// template is passed over as a whole ([`HELM_TEMPLATE`]); invalid YAML is a [`FindError`].
pub fn find_with(
    src: &str,
    collect: impl FnOnce(&Tree, &mut Vec<Candidate>),
) -> Result<Findings, FindError> {
    find_in(src, None, collect)
}

/// [`find_with`] over a tree that holds only what `reads` names (see [`Reads`]): for finders that follow
/// a few keys, so that a big file takes memory for what they read rather than for every node.
pub fn find_reading(
    src: &str,
    reads: &'static Reads,
    collect: impl FnOnce(&Tree, &mut Vec<Candidate>),
) -> Result<Findings, FindError> {
    find_in(src, Some(reads), collect)
}

fn find_in(
    src: &str,
    reads: Option<&'static Reads>,
    collect: impl FnOnce(&Tree, &mut Vec<Candidate>),
) -> Result<Findings, FindError> {
    let Some((tree, ignore_comments)) = tree::read_for(src, reads)? else {
        return Ok(template_skip());
    };
    let mut found = Vec::new();
    collect(&tree, &mut found);
    Ok(Findings {
        candidates: in_file_order(found),
        skipped: None,
        ignore_comments,
    })
}

/// The findings of a walk over a tree that has no comments (JSON): its candidates [`in_file_order`].
pub fn findings(found: Vec<Candidate>) -> Findings {
    Findings {
        candidates: in_file_order(found),
        skipped: None,
        ignore_comments: Vec::new(),
    }
}

/// Candidates sorted by span, one per span: a scalar reached twice (e.g. through two aliases) is reported
/// once, skipped if any of the ways it was reached says so.
fn in_file_order(mut found: Vec<Candidate>) -> Vec<Candidate> {
    // A walk meets candidates in file order nearly always: then the sort (whose scratch buffer is half the
    // candidates of a large file) would leave them as they are.
    if !found.is_sorted_by_key(|c| (c.span.start, c.span.end)) {
        found.sort_by_key(|c| (c.span.start, c.span.end));
    }
    // In place (a second vector would be as large as the first): of a run of the same span the first stays,
    // unless a later one has a reason to skip and it has none. Reached again: a reason to skip, from any
    // path, wins.
    found.dedup_by(|candidate, last| {
        if last.span != candidate.span {
            return false;
        }
        if last.skip.is_none() && candidate.skip.is_some() {
            std::mem::swap(last, candidate);
        }
        true
    });
    found
}

fn template_skip() -> Findings {
    Findings {
        candidates: Vec::new(),
        skipped: Some(SkipReason::template(HELM_TEMPLATE)),
        ignore_comments: Vec::new(),
    }
}

/// The `# pin: ignore` comments of a stream, told its scalars one by one as they are read (in any order).
/// A comment is a `#` at the start of a line or after a blank that lies outside every scalar: not in a
/// quoted scalar (quotes included), a plain scalar, or the content lines of a block scalar (a block
/// scalar's header line, `|- # c`, may carry one). Linear in the file; the scalars are only looked at when
/// the text holds such a comment at all, and none needs to be kept.
pub(crate) struct CommentFilter {
    /// Every `# pin: ignore` that starts a comment if it is not inside a scalar, in file order.
    marked: Vec<std::ops::Range<usize>>,
    inside: Vec<bool>,
    len: usize,
}

impl CommentFilter {
    pub(crate) fn new(src: &str) -> Self {
        let bytes = src.as_bytes();
        // Every such comment holds `pin:`; most files hold none, and comment-heavy ones (Helm values) would
        // otherwise have each of their comments' lines searched.
        if memchr::memmem::find(bytes, b"pin:").is_none() {
            return CommentFilter {
                marked: Vec::new(),
                inside: Vec::new(),
                len: src.len(),
            };
        }
        let marked: Vec<std::ops::Range<usize>> = src
            .match_indices('#')
            .map(|(at, _)| at)
            .filter(|&at| at == 0 || matches!(bytes[at - 1], b' ' | b'\t' | b'\n' | b'\r'))
            .map(|at| at..super::line_end(src, at))
            .filter(|r| super::is_ignore_comment(&src[r.clone()]))
            .collect();
        CommentFilter {
            inside: vec![false; marked.len()],
            marked,
            len: src.len(),
        }
    }

    /// A scalar: the bytes of its text (and quotes) hold no comment.
    pub(crate) fn scalar(&mut self, s: &tree::Scalar) {
        if self.marked.is_empty() {
            return;
        }
        let range = match s.style {
            ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
                s.text.start.saturating_sub(1)..(s.text.end + 1).min(self.len)
            }
            _ => s.text.clone(),
        };
        let first = self.marked.partition_point(|c| c.start < range.start);
        for (c, inside) in self.marked[first..].iter().zip(&mut self.inside[first..]) {
            if c.start >= range.end {
                break;
            }
            *inside = true;
        }
    }

    pub(crate) fn finish(self) -> Vec<std::ops::Range<usize>> {
        self.marked
            .into_iter()
            .zip(self.inside)
            .filter(|(_, inside)| !inside)
            .map(|(c, _)| c)
            .collect()
    }
}

/// The candidate for a whole reference stated by the scalar at `id`, where an alias stands for the
/// scalar it names: `None` for a collection or a null. Skipped when the scalar's bytes are not its value
/// or the value is empty.
pub fn image_value(tree: &Tree, id: NodeId) -> Option<Candidate> {
    let mut candidate = scalar_candidate(tree, tree.resolve(id))?;
    if candidate.skip.is_none() && candidate.value.is_empty() {
        candidate.skip = Some(SkipReason::Empty);
    }
    Some(candidate)
}

/// The candidate for the scalar at `id` itself (no alias followed), unless it is a collection, an
/// alias or a null.
fn scalar_candidate(tree: &Tree, id: NodeId) -> Option<Candidate> {
    scalar_value_candidate(tree.scalar(id)?)
}

/// The candidate for a scalar, unless it is a null.
fn scalar_value_candidate(scalar: &tree::Scalar) -> Option<Candidate> {
    if scalar.is_null() {
        return None;
    }
    Some(Candidate {
        span: scalar.text.clone(),
        value: scalar.value.clone(),
        skip: scalar.differs.map(SkipReason::fixed),
        pull_policy_set: None,
        target: Target::Reference,
        artifact: None,
    })
}

/// A scalar `docker://image` (where an alias stands for the scalar it names): the candidate for the
/// reference after the scheme, which is kept. `None` for any other value. Skipped when the scalar's bytes
/// are not its value (the span is then the whole scalar text) or nothing follows the scheme.
pub fn docker_value(tree: &Tree, id: NodeId) -> Option<Candidate> {
    const DOCKER: &str = "docker://";
    let scalar = tree.scalar(tree.resolve(id))?;
    let image = scalar.value.strip_prefix(DOCKER)?;
    let (span, skip) = match scalar.differs {
        None => (scalar.text.start + DOCKER.len()..scalar.text.end, None),
        Some(why) => (scalar.text.clone(), Some(SkipReason::fixed(why))),
    };
    let skip = skip.or_else(|| image.is_empty().then_some(SkipReason::Empty));
    Some(Candidate {
        span,
        value: image.to_owned(),
        skip,
        pull_policy_set: None,
        target: Target::Reference,
        artifact: None,
    })
}

/// The variables a Compose or GitLab value interpolates (`$NAME`, `${NAME}`, `${NAME:-default}`;
/// `$$` is a literal `$`), in order, each once.
pub fn variables(value: &str) -> Vec<&str> {
    let bytes = value.as_bytes();
    let mut names: Vec<&str> = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] != b'$' {
            at += 1;
            continue;
        }
        match bytes.get(at + 1) {
            Some(b'$') => at += 2,
            Some(b'{') => {
                let start = at + 2;
                let len = name_len(&bytes[start..]);
                push_unique(&mut names, &value[start..start + len]);
                at = start + len;
            }
            _ => {
                let start = at + 1;
                let len = name_len(&bytes[start..]);
                push_unique(&mut names, &value[start..start + len]);
                at = start + len;
            }
        }
    }
    names
}

fn name_len(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
        .count()
}

fn push_unique<'a>(names: &mut Vec<&'a str>, name: &'a str) {
    if !name.is_empty() && !names.contains(&name) {
        names.push(name);
    }
}

/// The skip reason for a value that interpolates variables, naming them; `tool` is who interpolates.
pub fn variables_skip(value: &str, tool: &'static str) -> Option<SkipReason> {
    let names = variables(value);
    (!names.is_empty()).then(|| SkipReason::Variables {
        names: names.into_iter().map(str::to_owned).collect(),
        by: tool,
    })
}

/// The file's line ending: that of its first line (`\r\n`, `\n`, or a lone `\r`, which YAML also reads as
/// a line break); `\n` for a file of one line.
pub fn line_ending(src: &str) -> &'static str {
    match src.find(['\n', '\r']) {
        Some(at) if src[at..].starts_with("\r\n") => "\r\n",
        Some(at) if src.as_bytes()[at] == b'\r' => "\r",
        _ => "\n",
    }
}

/// Where a line `name: <digest>` goes after the pair `key: value` of a block mapping (a kustomize entry's
/// `newTag`, a Flux `OCIRepository`'s `ref.tag`): an empty span at the start of the line after the one where
/// the value ends (at the end of the file, after a line break, when that line is the last one and has none),
/// and the line: the key's indentation, `name: `, the digest and that line's own break (`\n`, `\r\n`, or a
/// lone `\r`, which YAML also reads as a line break); after a last line without one, the file's.
pub fn line_after(
    src: &str,
    tree: &Tree,
    key: NodeId,
    value: NodeId,
    name: &str,
) -> (std::ops::Range<usize>, Target) {
    let value_end = tree[value].span.end;
    let (at, before, ending) = match src[value_end..].find(['\n', '\r']) {
        Some(i) => {
            let brk = value_end + i;
            let len = if src[brk..].starts_with("\r\n") { 2 } else { 1 };
            (brk + len, "", &src[brk..brk + len])
        }
        None => (src.len(), line_ending(src), ""),
    };
    let key_start = tree[key].span.start;
    let line_start = src[..key_start]
        .rfind(['\n', '\r'])
        .map_or(0, |brk| brk + 1);
    let indent = " ".repeat(src[line_start..key_start].chars().count());
    let target = Target::InsertDigest {
        prefix: format!("{before}{indent}{name}: "),
        suffix: ending.to_owned(),
    };
    (at..at, target)
}

/// Where a digest goes when it is written as the value of the pair `key: value` (a kustomize or Helm
/// `digest:`), and why not if the value's bytes are not its text: into the scalar's text with
/// [`Target::Digest`] (inside the quotes of `""`, over a `~` or `null`), or, for a key with nothing after
/// it (`digest:`), right after its colon with [`Target::InsertDigest`] and a space before the digest.
/// `None` when the value is not a scalar.
pub fn digest_slot(
    src: &str,
    tree: &Tree,
    key: NodeId,
    value: NodeId,
) -> Option<(std::ops::Range<usize>, Target, Option<&'static str>)> {
    let scalar = tree.scalar(value)?;
    if scalar.is_null() && scalar.text.is_empty() {
        let after_key = tree[key].span.end;
        let colon = after_key + src[after_key..].find(':')?;
        let at = colon + 1;
        let target = Target::InsertDigest {
            prefix: " ".to_owned(),
            suffix: String::new(),
        };
        return Some((at..at, target, None));
    }
    Some((scalar.text.clone(), Target::Digest, scalar.differs))
}

/// The generic walk over a tree: every `image` pair of every mapping, and image volumes. What [`find`] did
/// before it read the events as they come ([`images`]); the walk of JSON manifests ([`super::json`]), and the
/// reference the streaming walk is tested against.
pub(crate) fn kubernetes(tree: &Tree, out: &mut Vec<Candidate>) {
    for map in tree.walk() {
        let Some(mapping) = tree.mapping(map) else {
            continue;
        };
        let has = |key: &str| mapping.pairs.iter().any(|&(k, _)| tree.is_key(k, key));
        let pull_policy_set = has("name").then(|| has("imagePullPolicy"));
        let under = tree.key_str(map);
        for &(key, value) in &mapping.pairs {
            if !tree.is_key(key, "image") {
                continue;
            }
            if let Some(mut candidate) = scalar_candidate(tree, value) {
                candidate.pull_policy_set = pull_policy_set;
                let rule = SKIP_RULES.iter().find(|rule| match rule.when {
                    SkipWhen::Under(parent) => under == Some(parent),
                    SkipWhen::Value(v) => candidate.value == v,
                    SkipWhen::Beside(key) => has(key),
                });
                if let Some(rule) = rule {
                    candidate.skip = Some(rule.reason.clone());
                }
                out.push(candidate);
            } else if let Some(candidate) = image_volume(tree, map, value) {
                out.push(candidate);
            }
        }
    }
}

/// `volumes: [{name: v, image: {reference: …}}]`: the `reference` of the `image` mapping `image` of
/// the volume `volume`.
fn image_volume(tree: &Tree, volume: NodeId, image: NodeId) -> Option<Candidate> {
    tree.mapping(image)?;
    let list = tree.parent(volume)?;
    if tree.sequence(list).is_none() || tree.key_str(list) != Some("volumes") {
        return None;
    }
    let mut candidate = scalar_candidate(tree, tree.get(image, "reference")?)?;
    candidate.pull_policy_set = Some(tree.get(image, "pullPolicy").is_some());
    if candidate.skip.is_none() && candidate.value.is_empty() {
        candidate.skip = Some(SkipReason::Empty);
    }
    Some(candidate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    /// `(text of span, value, skip, pull_policy_set)` of every candidate; checks the invariants.
    fn found(src: &str) -> Vec<(&str, String, Option<String>, Option<bool>)> {
        let findings = find(src).unwrap_or_else(|e| panic!("{src:?}: {e} at {}", e.offset));
        assert_eq!(findings.skipped, None, "{src:?}");
        findings
            .candidates
            .into_iter()
            .map(|c| {
                let text = src.get(c.span.clone()).expect("span on char boundaries");
                if c.skip.is_none() {
                    assert_eq!(text, c.value, "{src:?}");
                }
                (
                    text,
                    c.value,
                    c.skip.map(|s| s.to_string()),
                    c.pull_policy_set,
                )
            })
            .collect()
    }

    /// The texts of the candidates that may be rewritten.
    fn pinnable(src: &str) -> Vec<&str> {
        found(src)
            .into_iter()
            .filter(|c| c.2.is_none())
            .map(|c| c.0)
            .collect()
    }

    /// The one candidate of `src`.
    fn only(src: &str) -> Candidate {
        crate::formats::testing::only(src, find)
    }

    #[test]
    fn plain_single_and_double_quoted() {
        let src = "a:\n  image: nginx:1.25\nb:\n  image: 'redis:7'   # c\nc:\n  image: \"busybox:1\" # c\n";
        let got = found(src);
        assert_eq!(
            got.iter().map(|c| (c.0, c.1.as_str())).collect::<Vec<_>>(),
            [
                ("nginx:1.25", "nginx:1.25"),
                ("redis:7", "redis:7"),
                ("busybox:1", "busybox:1")
            ]
        );
        let spans: Vec<_> = find(src)
            .unwrap()
            .candidates
            .into_iter()
            .map(|c| c.span)
            .collect();
        assert_eq!(spans, [12..22, 36..43, 64..73]);
        assert_eq!(&src[35..44], "'redis:7'");
        assert_eq!(&src[63..74], "\"busybox:1\"");
    }

    #[test]
    fn quoted_keys_and_extra_spaces() {
        let src = "'image' : 'a:1'\n\"image\":   b:2\n? image\n: c:3\n";
        assert_eq!(pinnable(src), ["a:1", "b:2", "c:3"]);
    }

    #[test]
    fn flow_mappings() {
        let src = "containers: [{name: web, image: nginx:1}, {image: \"a:1\", name: b, imagePullPolicy: Always}]\nx: {image: 'c:3'}\n";
        let got = found(src);
        assert_eq!(
            got.iter().map(|c| (c.0, c.3)).collect::<Vec<_>>(),
            [("nginx:1", Some(false)), ("a:1", Some(true)), ("c:3", None)]
        );
    }

    #[test]
    fn every_document_of_a_stream() {
        let src =
            "---\nimage: a:1\n---\n# c\nimage: b:2\n...\n---\nkind: X\nspec:\n  image: c:3\n---\n";
        assert_eq!(pinnable(src), ["a:1", "b:2", "c:3"]);
    }

    #[test]
    fn crlf() {
        let src = "spec:\r\n  containers:\r\n  - name: x\r\n    image: nginx:1\r\n    args: [\"image: no\"]\r\n  - name: y\r\n    image: 'a:2'\r\n    imagePullPolicy: Always\r\n  - name: z\r\n    image: >-\r\n      b:3\r\n";
        let got = found(src);
        assert_eq!(
            got.iter().map(|c| (c.0, c.3)).collect::<Vec<_>>(),
            [
                ("nginx:1", Some(false)),
                ("a:2", Some(true)),
                ("b:3", Some(false))
            ]
        );
    }

    #[test]
    fn byte_order_mark() {
        let src = "\u{FEFF}image: nginx:1\nb:\n  image: \"a:2\"\n";
        let c = find(src).unwrap().candidates;
        assert_eq!(c[0].span, 10..17);
        assert_eq!(&src[c[0].span.clone()], "nginx:1");
        assert_eq!(&src[c[1].span.clone()], "a:2");
        assert_eq!(c[1].span, 31..34);
    }

    #[test]
    fn non_ascii_before_the_image() {
        // As in nacos-group/nacos-k8s manifests: Chinese comments, imagePullPolicy before image.
        let src = "# 请修改为实际的值 (change me)\n---\napiVersion: apps/v1\nkind: StatefulSet\nspec:\n  template:\n    spec:\n      containers:\n        - name: k8snacos # 容器名称\n          imagePullPolicy: Always\n          image: nacos/nacos-server:v2.3.2 # 镜像\n          env: [{name: 名字, value: \"é\"}]\n        - name: 第二\n          image: \"busybox:1.36\"\n";
        let got = found(src);
        assert_eq!(
            got.iter().map(|c| (c.0, c.3)).collect::<Vec<_>>(),
            [
                ("nacos/nacos-server:v2.3.2", Some(true)),
                ("busybox:1.36", Some(false))
            ]
        );
        let c = only("é: ü\nimage: x:1\n");
        assert_eq!(c.span, 14..17);
    }

    #[test]
    fn no_final_newline() {
        for (src, text) in [
            ("image: nginx:1", "nginx:1"),
            ("image: 'nginx:1'", "nginx:1"),
            ("image: \"nginx:1\"", "nginx:1"),
            ("image: |-\n  nginx:1", "nginx:1"),
            ("a: 1\r\nimage: nginx:1", "nginx:1"),
        ] {
            assert_eq!(pinnable(src), [text], "{src:?}");
        }
        assert_eq!(only("image: nginx:1").span, 7..14);
    }

    #[test]
    fn anchors_tags_and_aliases() {
        let src = "a:\n  image: &img nginx:1\nb:\n  image: *img\n  other: *img\n";
        let got = find(src).unwrap().candidates;
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].span, 17..24);
        assert_eq!(&src[got[0].span.clone()], "nginx:1");

        assert_eq!(pinnable("image: !!str &x 'a:1'\n"), ["a:1"]);
        assert_eq!(pinnable("image: &x !!str \"a:1\"\n"), ["a:1"]);
        assert_eq!(pinnable("image: &x\n  # comment\n  a:1\n"), ["a:1"]);
        assert_eq!(pinnable("image: !<tag:yaml.org,2002:str> a:1\n"), ["a:1"]);
        assert_eq!(pinnable("image: &x >-\n  a:1\n"), ["a:1"]);
        assert_eq!(pinnable("image: !!str # c\n  |-\n  a:1\n"), ["a:1"]);
        // Block content that looks like properties is content.
        let c = only("image: |-\n  !a &b\n");
        assert_eq!((&c.value[..], c.span, c.skip), ("!a &b", 12..17, None));
        // The anchored value is not an `image`; the alias under `image` is not a candidate.
        assert_eq!(pinnable("x: &r nginx:1\nimage: *r\n"), Vec::<&str>::new());
        // An alias key is never `image`.
        assert_eq!(pinnable("k: &k image\n*k : nginx:1\n"), Vec::<&str>::new());
    }

    #[test]
    fn other_keys_and_strings_are_not_candidates() {
        let src = r#"metadata:
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: |
      {"spec":{"containers":[{"image":"nginx:1","name":"x"}]}}
      image: nginx:2
    note: 'image: nginx:3'
  managedFields:
  - fieldsV1:
      f:spec:
        f:containers:
          'k:{"name":"x"}':
            f:image: {}
            'f:image': {}
            f:imagePullPolicy: {}
spec:
  containers:
  - name: x
    # image: nginx:4
    image: nginx:5 # image: nginx:6
    imagePullPolicy: IfNotPresent
    args: ["--image=nginx:7", "image: nginx:8"]
    env: [{name: IMAGE, value: "nginx:9"}]
images: [nginx:10]
imageName: nginx:11
"#;
        let got = found(src);
        assert_eq!(
            got.iter().map(|c| (c.0, c.3)).collect::<Vec<_>>(),
            [("nginx:5", Some(true))]
        );
    }

    #[test]
    fn collections_and_nulls_are_not_candidates() {
        let src = "a:\n  image: {repository: nginx, pullPolicy: Always}\nb:\n  image: [x]\nc:\n  image:\nd:\n  image: ~\ne:\n  image: null\nf: {image: }\n";
        assert!(find(src).unwrap().candidates.is_empty());
    }

    #[test]
    fn block_scalars() {
        // As in the OpenShift DeploymentConfig of argo-cd's tests.
        let src = "containers:\n  - name: httpd\n    image: >-\n      image-registry.openshift-image-registry.svc:5000/openshift/httpd:latest\n    ports: []\n";
        let c = only(src);
        assert_eq!(
            &src[c.span.clone()],
            "image-registry.openshift-image-registry.svc:5000/openshift/httpd:latest"
        );
        assert_eq!(c.span.start, src.find("image-registry").unwrap());
        assert_eq!(c.skip, None);

        assert_eq!(pinnable("image: |-  # c\n   a:1\n\nnext: 1\n"), ["a:1"]);
        assert_eq!(pinnable("- image: >-\n    a:1\n  name: x\n"), ["a:1"]);

        for src in [
            "image: >\n  a:1\n",
            "image: |+\n  a:1\n\n",
            "image: >-\n  a:1\n  b:2\n",
            "image: |2-\n    a:1\n",
            "image: |-\n\n  a:1\n",
            "image: >-\n",
        ] {
            let c = only(src);
            assert!(c.skip.is_some(), "{src:?}: {c:?}");
        }
        let c = only("image: >\n  a:1\n");
        assert_eq!((c.span, c.value.as_str()), (11..14, "a:1\n"));
        let c = only("image: >-\n  a:1\n  b:2\nx: 1\n");
        assert_eq!((c.span, c.value.as_str()), (12..21, "a:1 b:2"));
    }

    #[test]
    fn text_that_is_not_the_value_is_skipped() {
        let cases = [
            ("image: \"nginx\\u003a1\"\n", "nginx\\u003a1", "nginx:1"),
            ("image: \"a\\\"b\" # c\n", "a\\\"b", "a\"b"),
            ("image: 'it''s'\n", "it''s", "it's"),
            ("image: 'a\n  b'\n", "a\n  b", "a b"),
            ("image: \"a\n  b\"\n", "a\n  b", "a b"),
            ("image: nginx\n  :1\n", "nginx\n  :1", "nginx :1"),
        ];
        for (src, text, value) in cases {
            let c = only(src);
            assert_eq!(
                (&src[c.span.clone()], c.value.as_str()),
                (text, value),
                "{src:?}"
            );
            assert!(c.skip.is_some(), "{src:?}");
        }
        // A harmless escape-free double-quoted scalar is not skipped.
        assert_eq!(only("image: \"a:1\"\n").skip, None);
    }

    #[test]
    fn known_non_container_images_are_skipped() {
        let src = "spec:\n  volumes:\n  - name: rbdpd\n    rbd:\n      monitors: ['10.16.154.78:6789']\n      image: foo\n      imageformat: \"2\"\n  containers:\n  - name: a\n    image: auto\n  - name: b\n    image: kubernetes/pause\n";
        let got = found(src);
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].0, "foo");
        assert!(got[0].2.as_deref().unwrap().contains("Ceph"));
        assert_eq!(got[0].3, None);
        assert_eq!(got[1].0, "auto");
        assert!(got[1].2.as_deref().unwrap().contains("Istio"));
        assert_eq!(
            (got[2].0, &got[2].2, got[2].3),
            ("kubernetes/pause", &None, Some(false))
        );

        // Helm split form: the nested `image` is only a repository.
        let c = only("controller:\n  image:\n    registry: registry.k8s.io\n    image: ingress-nginx/controller\n    tag: \"v1.15.1\"\n");
        assert!(c.skip.unwrap().to_string().contains("tag"));
        assert!(only("image: \"\"\n").skip.is_some());
    }

    #[test]
    fn pull_policy_set() {
        let src = "- name: a\n  image: a:1\n  imagePullPolicy: Always\n- image: b:2\n  name: b\n- image: c:3\n- {imagePullPolicy: Never, image: d:4, name: d}\n";
        let got = found(src);
        assert_eq!(
            got.iter().map(|c| (c.0, c.3)).collect::<Vec<_>>(),
            [
                ("a:1", Some(true)),
                ("b:2", Some(false)),
                ("c:3", None),
                ("d:4", Some(true))
            ]
        );
    }

    #[test]
    fn custom_tags_are_read() {
        // GitLab CI.
        let src = "job:\n  services:\n    - !reference [.redis-services, services]\n    - name: postgres:14\n  image: ruby:3.3\n  script: !reference [.setup, script]\n";
        assert_eq!(pinnable(src), ["ruby:3.3"]);
    }

    #[test]
    fn helm_templates_are_skipped() {
        let skipped = Findings {
            candidates: vec![],
            skipped: Some(SkipReason::template(HELM_TEMPLATE)),
            ignore_comments: vec![],
        };
        for src in [
            // Fails to parse.
            "spec:\n  {{- if .Values.x }}\n  replicas: 1\n  {{- end }}\n  containers:\n  - image: \"{{ template \"fqdn-image\" . }}:{{ .Values.image.tag }}\"\n",
            // Parses, with `{{ … }}` read as nested flow mappings.
            "spec:\n  containers:\n  - name: x\n    image: {{ .Values.image }}\n",
        ] {
            assert_eq!(find(src), Ok(skipped.clone()), "{src:?}");
        }
        // Template actions only inside quoted scalars: valid YAML, values reported as written.
        let src = "image: \"{{ .Values.image.repository }}:{{ .Values.image.tag }}\"\n";
        assert_eq!(
            pinnable(src),
            ["{{ .Values.image.repository }}:{{ .Values.image.tag }}"]
        );
        // GitHub Actions expressions are plain scalars.
        assert_eq!(
            pinnable("image: ${{ matrix.image }}\n"),
            ["${{ matrix.image }}"]
        );
    }

    #[test]
    fn template_actions_in_comments_do_not_make_a_template() {
        // The shape of bitnami/chainloop's values.yaml: `{{ }}` only in comments, and a flow sequence closed
        // at its key's indentation, which strict YAML refuses and libyaml (helm's reader) accepts.
        let src = "## name: `{{- printf \"%s-tls\" .Values.hostname }}`\nvault:\n  server:\n    args: [\n      \"server\",\n      \"-dev\"\n    ]\n    image: docker.io/bitnami/vault:1.20 # {{ x }}\n";
        assert_eq!(pinnable(src), ["docker.io/bitnami/vault:1.20"]);
        // YAML that no reader takes, with `{{ }}` only in comments: an error, not a template.
        for src in [
            "# {{ .Values.x }}\na: [\n",
            "a: b # {{ x }}\n  c: d\n",
            "a: 'it''s' # {{ x }}\n- b\n",
            "a: \"q\\\" # \" # {{\n- b # }}\n",
        ] {
            let err = find(src).unwrap_err();
            assert!(src.is_char_boundary(err.offset), "{src:?}: {err:?}");
        }
        // Outside comments (a `#` inside quotes or a word is no comment), over several lines too.
        for src in [
            "a: \"# {{ x }}\"\n- b\n",
            "a: b#{{ x }}\n- c\n",
            "a: {{- if x\n  # c\n}}\n- b\n",
        ] {
            assert_eq!(
                find(src).map(|f| f.skipped),
                Ok(Some(SkipReason::template(HELM_TEMPLATE))),
                "{src:?}"
            );
        }
    }

    #[test]
    fn invalid_yaml_is_an_error_at_a_byte_offset() {
        let src = "# é\nspec:\n  containers: [a, b\nkind: X\n";
        let err = find(src).unwrap_err();
        // At the `:` of `kind:`: byte 35, character 34.
        assert_eq!(err.offset, 35, "{err:?}");
        assert_eq!(&src[35..36], ":");
        assert!(err.message.contains("':'"), "{err:?}");

        let src = "é: 1\nimage: \"unterminated\n";
        let err = find(src).unwrap_err();
        assert!(
            err.offset <= src.len() && src.is_char_boundary(err.offset),
            "{err:?}"
        );

        let src = "ü: 1\n- b\n";
        let err = find(src).unwrap_err();
        // The parser points at `b`: character 7, byte 8.
        assert_eq!(err.offset, 8, "{err:?}");
        assert_eq!(&src[8..9], "b");
        // `{{` without `}}` is not a template.
        assert!(find("a: {{\n").is_err());
    }

    fn corpus_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/k8s")
    }

    /// Truncated prefixes of real files end in every state of the parser: an answer, never a panic or
    /// a hang.
    #[test]
    fn truncated_files_never_panic() {
        let snippet = "\u{FEFF}# é\r\na: &x !!str 'q''s'\r\nimage: >-\r\n  n:1\r\nb: [{image: \"x\\ty\"}, *x]\r\n";
        let mut sources = vec![snippet.to_owned()];
        for name in [
            "openshift-deploymentconfig-folded-image.yaml",
            "argo-cd-live-deployment-managedfields.yaml",
            "examples-sysdig-daemonset-crlf.yaml",
        ] {
            sources.push(std::fs::read_to_string(corpus_dir().join(name)).expect("corpus file"));
        }
        for src in &sources {
            for (i, _) in src.char_indices().step_by(7).chain([(src.len(), ' ')]) {
                let prefix = &src[..i];
                match find(prefix) {
                    Ok(findings) => {
                        for c in findings.candidates {
                            let text = prefix.get(c.span.clone()).expect("span in bounds");
                            assert!(c.skip.is_some() || text == c.value, "{prefix:?}");
                        }
                    }
                    Err(e) => assert!(prefix.is_char_boundary(e.offset), "{prefix:?}: {e:?}"),
                }
            }
        }
    }

    /// Every YAML file of `tests/corpus`, whatever its kind.
    fn all_corpus_yaml() -> Vec<String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
        let mut out = Vec::new();
        let mut dirs = vec![root];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).expect("corpus directory") {
                let path = entry.expect("directory entry").path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                    out.push(std::fs::read_to_string(&path).expect("corpus file"));
                }
            }
        }
        assert!(out.len() > 40, "{}", out.len());
        out
    }

    /// The walk done as the events come gives what the walk over the whole tree gives: same candidates,
    /// skip reasons, pull-policy answers, comments and errors, on every corpus file, prefixes of them
    /// (every parser state, errors included) and the hard cases.
    #[test]
    fn streaming_walk_matches_the_tree_walk() {
        let mut sources = all_corpus_yaml();
        sources.extend(
            [
                "v:\n  volumes:\n  - name: a\n    image: {reference: a:1, reference: *x}\n",
                "x: &x r:1\nvolumes:\n- image: {reference: a:1, pullPolicy: Never}\n  name: v\n  image: {reference: *x}\n- image:\n    reference: b:1\n    reference: c:1\n",
                "volumes:\n- image:\n    reference: [x]\n- image: {reference: ''}\n- {image: {reference: ~}}\n",
                "volumes: [[{image: {reference: nested:1}}], {image: {reference: flow:1}}]\n",
                "rbd: {image: a, name: x}\nrbd2: {image: b}\n? [image]\n: c\n*x : d\n",
                "- image: a:1\n  tag: x\n- {digest: d, image: b:1}\n- image: auto\n- image: ''\n- image: !!str &n c:1\n  name: n\n",
                "a: &a {image: x:1, name: n}\nb: {<<: *a, imagePullPolicy: Always}\nc: *a\n",
                "k: [a:1, {image: b:1}] # pin: ignore\nl: '# pin: ignore'\n# pin: ignore\nimage: c:1\n",
                "image: |-\n  # pin: ignore\n  x\nimage2: \"a # pin: ignore\"\n",
                "{image: {name: a, image: b}}: v\nimage: {image: c}\n",
                "é: [\n",
                "a: {{ x }}\n",
            ]
            .map(str::to_owned),
        );
        for src in &sources {
            // About 60 cuts per file (every character of the short ones).
            let step = (src.len() / 60).max(1);
            let mut cuts: Vec<usize> = src.char_indices().map(|(i, _)| i).step_by(step).collect();
            cuts.push(src.len());
            for cut in cuts {
                let prefix = &src[..cut];
                assert_eq!(
                    images::find(prefix),
                    find_with(prefix, kubernetes),
                    "{prefix:?}"
                );
            }
        }
    }

    /// Every finder that reads a tree of what it names ([`find_reading`]) finds what it finds in the whole
    /// tree: same candidates, skip reasons, comments and errors, on every corpus YAML file read as every
    /// kind, prefixes of them, and cases built to catch a dropped node that mattered (repeated keys, merge
    /// keys before and after dropped pairs, anchors on dropped-looking nodes, complex keys).
    #[test]
    fn a_tree_of_what_a_finder_reads_finds_what_the_whole_tree_finds() {
        let mut sources = all_corpus_yaml();
        sources.extend(
            [
                "services:\n  web: {image: a:1}\n  web: {command: x}\n  db: {image: b:1}\n",
                "services:\n  web: {command: x}\n  web: {image: a:1}\nservices:\n  x: {image: c:1}\n",
                "x: &s {web: {image: a:1}, db: {command: y}}\nservices:\n  <<: *s\n  web: {command: x}\n",
                "x: &s {web: {image: a:1}}\nservices:\n  web: {command: x}\n  <<: *s\n  db: {image: d:1}\n",
                "x: &s {web: {image: a:1}}\ny: &t {web: {restart: no}}\nservices:\n  <<: [*t, *s]\n",
                "x-a: &a\n  image: a:1\n  restart: always\nservices:\n  s: {<<: *a, restart: no}\n  t: {restart: no, <<: *a}\n  u: *a\n",
                "x: &i nginx:1\nservices: {a: {image: *i}, b: {environment: {K: *i}}}\n",
                "services:\n  ? [a, b]\n  : {image: c:1}\n  *x : 1\n",
                "jobs:\n  a:\n    steps:\n    - run: x\n    - uses: docker://alpine:3\n    - {uses: actions/checkout@v4}\n    services:\n      db: {image: pg:1}\n      c: {env: {a: b}}\n    container: {image: node:20, options: x}\n  b: {container: docker://rust:1}\n  c: {runs-on: x}\n",
                "runs:\n  using: composite\n  steps:\n  - run: x\n  - uses: docker://a:1\n  image: docker://b:1\n",
                ".t: &t\n  image: a:1\n  script: x\njob: *t\njob2:\n  <<: *t\n  services: [pg:1, {name: r:1, alias: r}]\ndefault: {image: d:1}\nvariables: {image: no:1}\nj3: {script: y}\nj3: {image: z:1}\n",
                "kind: Kustomization\nimages:\n- name: a\n  newTag: '1'\n- {name: b, newName: c, digest: ''}\nlabels: {a: b}\n",
                "image:\n  registry: r.io\n  repository: a/b\n  tag: '1'\n  digest: ''\nglobal:\n  imageRegistry: g.io\n  image: {registry: x}\nsub:\n  exporter: {image: e/x, tag: v1}\n  rbd: {image: foo}\n  other: {image: auto, k: v}\n  list: [a, {image: i:1}, b]\n",
                "a: 1 # pin: ignore\nb: 'x # pin: ignore'\nimage: c:1 # pin: ignore\nk: |\n  # pin: ignore\n",
                "resources:\n  containers:\n  - {container: c, image: u:1}\njobs:\n- job: a\n  container: c\n  services: {redis: redis:6, pg: {image: pg:1}, x: c}\n- job: b\n  steps: [x]\nstages:\n- stage: s\n  jobs: [{container: {image: n:1}}]\n",
                "image: a:1\ndefinitions:\n  services:\n    db: {image: {name: pg:1}}\n    no: {memory: 1}\npipelines:\n  default:\n  - step: {image: b:1, script: [x]}\n  - parallel:\n    - step: {script: [y]}\n    - step: {image: c:1}\n",
                "orbs:\n  node: circleci/node@5\n  mine:\n    executors:\n      e: {docker: [{image: o:1}]}\njobs:\n  b:\n    docker:\n    - image: cimg/base:1\n    - {auth: x}\n    steps: [checkout]\nexecutors:\n  x: {machine: true}\n",
                "kind: pipeline\nsteps:\n- name: a\n  image: a:1\n- name: b\n  commands: [x]\nservices:\n  db: {image: pg:1}\n  c: {x: y}\nclone: {git: {image: g:1}}\n",
                "steps:\n- name: gcr.io/cloud-builders/docker\n  args: [build]\n- {id: x}\n- name: ubuntu:22\n",
                // Anchored collections read as a whole where an alias stands (a second reading), and
                // anchors holding aliases of other anchors (a third).
                ".l: &l [pg:1, {name: r:1, alias: r}]\njob: {image: a:1, services: *l}\n",
                ".c: &c {name: pg:1, other: 1}\n.a: &a [*c, r:1]\njob: {services: *a}\n",
                ".o: &o\n  x: &i [pg:1, {name: q:1}]\n  y: 1\njob: {services: *i}\nj2: {image: *o}\n",
                "x-l: &l [a:1, b:2]\nservices: {web: {image: c:1, environment: *l}}\nimage: *l\n",
                // Merges: keys a mapping dropped hide those of later merged mappings.
                "x: &a {web: {command: x}}\ny: &b {web: {image: b:1}, db: {image: d:1}}\nservices:\n  <<: [*a, *b]\n",
                "x: &b {web: {image: b:1}}\nservices:\n  web: {command: x}\n  x: 1\n  <<: *b\n  y: {image: e:1}\n",
                "x: &b {web: {image: b:1}}\ny: &a\n  web: {ports: [1]}\n  <<: *b\nservices: {<<: *a, db: {image: d:1}}\n",
                "l: &l [{web: {command: x}}, {web: {image: a:1}}, {db: {image: d:1}}]\nservices:\n  <<: *l\n",
                "services:\n  <<: [{web: {command: x}}, {web: {image: a:1}, db: {image: d:1}}]\n",
                "x-b: &b {restart: always, image: n:1}\nservices:\n  a: {<<: *b, ports: [1]}\n  b: {ports: [2], <<: *b, image: m:1}\n  c: {image: o:1, <<: *b}\n",
                // Merges of anchors that hold nothing read: dropped, but what they drop still hides.
                "x: &e {restart: no}\ny: &f {web: {image: f:1}}\nservices:\n  <<: [*e, *f]\n  a: {<<: *e}\n  b: {<<: *e, image: b:1}\n",
                "x: &e {web: {ports: [1]}}\ny: &f {web: {image: f:1}, db: {image: g:1}}\nservices:\n  <<: [*e, *f]\n",
                "x: &e {}\nservices: {<<: *e, a: {<<: [*e, *e], image: h:1}}\n",
                // A merge that brings nothing but whose mappings dropped keys, before one that brings some.
                "x: &e {web: {ports: [1]}}\ny: &f {web: {image: f:1}}\nservices:\n  <<: *e\n  <<: *f\n",
                // Merge values holding an anchor, or something read that is not a mapping to merge.
                "services:\n  <<: &a {}\n  services: *a\n",
                "services: {<<: &s x, web: {image: *s}}\n",
                "<<:\n- - image: a:1\n",
                "é: [\n",
                "a: {{ x }}\n",
            ]
            .map(str::to_owned),
        );
        for src in &sources {
            let step = (src.len() / 20).max(1);
            let mut cuts: Vec<usize> = src.char_indices().map(|(i, _)| i).step_by(step).collect();
            cuts.push(src.len());
            for cut in cuts {
                let prefix = &src[..cut];
                for kind in crate::formats::kind::KINDS {
                    let pruned = (kind.find)(prefix);
                    let whole = tree::whole_trees(|| (kind.find)(prefix));
                    assert_eq!(pruned, whole, "{} {prefix:?}", kind.name);
                }
            }
        }
    }

    /// A tree of what a finder reads is small: a big mapping of pairs nobody reads leaves nothing.
    #[test]
    fn a_tree_of_what_a_finder_reads_drops_the_rest() {
        static READS: Reads = Reads {
            whole: &["image"],
            keys: &["services"],
            whole_if: None,
        };
        let mut src = String::from("services:\n  a:\n    image: x:1\n    environment:\n");
        for i in 0..1000 {
            src += &format!("      K{i}: v{i}\n");
        }
        src += "  b: {command: y}\n";
        let (tree, _) = tree::read_for(&src, Some(&READS)).unwrap().unwrap();
        // Root, `services` and its mapping, `a` and its mapping, `image` and its value.
        assert_eq!(tree.walk().count(), 7);
        let (whole, _) = tree::read_for(&src, None).unwrap().unwrap();
        assert_eq!(whole.walk().count(), 1 + 2 + 2 + 2 + 2 + 2000 + 2 + 2);
        // Spans as in the whole tree.
        let root = tree.documents()[0];
        assert_eq!(tree[root].span, whole[whole.documents()[0]].span);
        let services = tree.get(root, "services").unwrap();
        let whole_services = whole.get(whole.documents()[0], "services").unwrap();
        assert_eq!(tree[services].span, whole[whole_services].span);
    }

    /// An anchored collection that no alias reads as a whole keeps what the finder reads of it, not every
    /// item: an anchored flow list of a thousand items used where nothing is read costs one node, in one
    /// reading.
    #[test]
    fn an_anchored_list_nobody_reads_whole_is_not_kept() {
        static READS: Reads = Reads {
            whole: &["image"],
            keys: &["services"],
            whole_if: None,
        };
        let items: Vec<String> = (0..1000).map(|i| format!("v{i}")).collect();
        let src = format!(
            "x-list: &list [{}]\nservices:\n  web:\n    image: nginx:1\n    environment: *list\n",
            items.join(", ")
        );
        let (tree, _) = tree::read_for(&src, Some(&READS)).unwrap().unwrap();
        // Root; `x-list` and its list; `services`, its mapping; `web`, its mapping; `image` and its
        // value; `environment` and the alias.
        assert_eq!(tree.len(), 11);
        assert_eq!(tree::READINGS.with(std::cell::Cell::get), 1);
        // Read as a whole where the alias stands: all of it, in a second reading.
        let whole = src.replace("environment: *list", "image: *list");
        let (tree, _) = tree::read_for(&whole, Some(&READS)).unwrap().unwrap();
        assert_eq!(tree.len(), 1 + 2 + 1000 + 2 + 2 + 2 + 2);
        assert_eq!(tree::READINGS.with(std::cell::Cell::get), 2);
    }

    /// A merge key per service keeps the service's merge and what the finder reads, not every pair after
    /// the merge key; a merge of an anchor that holds nothing the finder reads is not kept at all.
    #[test]
    fn a_merge_key_per_service_keeps_what_is_read() {
        static READS: Reads = Reads {
            whole: &["image"],
            keys: &["services"],
            whole_if: None,
        };
        let pairs: String = (0..10).map(|k| format!("    k{k}: v{k}\n")).collect();
        for (base, first, nodes, readings) in [
            ("image: base:1", true, 6, 1),
            // A merge key after pairs it dropped: read again to remember their keys.
            ("image: base:1", false, 6, 2),
            ("restart: always", true, 4, 1),
            ("restart: always", false, 4, 1),
        ] {
            let mut src = format!("x-base: &base\n  {base}\n  logging: {{driver: x}}\nservices:\n");
            for i in 0..100 {
                let merge = "    <<: *base\n";
                let (before, after) = if first { (merge, "") } else { ("", merge) };
                src += &format!("  s{i}:\n{before}    image: nginx:1.{i}\n{pairs}{after}");
            }
            let (tree, _) = tree::read_for(&src, Some(&READS)).unwrap().unwrap();
            // Root; `x-base`, its mapping (and its `image` and value); `services` and its mapping; per
            // service its key and mapping, `<<` and the alias (when the anchor holds an image), `image`
            // and its value.
            let anchor = if nodes == 6 { 4 } else { 2 };
            assert_eq!(
                tree.len(),
                1 + anchor + 2 + 100 * nodes,
                "{base}, merge key first: {first}"
            );
            assert_eq!(
                tree::READINGS.with(std::cell::Cell::get),
                readings,
                "{base} {first}"
            );
            let kind = crate::formats::Kind::Compose;
            let found = kind.find(&src);
            assert_eq!(found.as_ref().map(|f| f.candidates.len()), Ok(100));
            assert_eq!(found, tree::whole_trees(|| kind.find(&src)));
        }
    }

    /// Nesting deeper than the bound is an error at the collection that passes it, not gigabytes of parser
    /// state.
    #[test]
    fn nesting_is_bounded() {
        let deep = "- ".repeat(tree::MAX_DEPTH + 1) + "x\n";
        let err = find(&deep).unwrap_err();
        assert_eq!(err.offset, 2 * tree::MAX_DEPTH, "{err:?}");
        assert!(err.message.contains("nested deeper"), "{err:?}");
        let ok = "- ".repeat(tree::MAX_DEPTH - 1) + "image: x:1\n";
        assert_eq!(pinnable(&ok), ["x:1"]);
        let flow = "[".repeat(tree::MAX_DEPTH + 1);
        // Flow collections: the parser has a bound of its own (256 levels).
        let err = find(&flow).unwrap_err();
        assert!(err.message.contains("recursion limit"), "{err:?}");
    }

    #[test]
    fn char_cursor() {
        let src = "aé\u{FEFF}b";
        let mut cursor = CharCursor::new(src);
        let forward: Vec<usize> = (0..6).map(|i| cursor.byte(i)).collect();
        assert_eq!(forward, [0, 1, 3, 6, 7, 7]);
        let backward: Vec<usize> = (0..6).rev().map(|i| cursor.byte(i)).collect();
        assert_eq!(backward, [7, 7, 6, 3, 1, 0]);
        assert_eq!((cursor.byte(2), cursor.byte(0), cursor.byte(3)), (3, 0, 6));
        assert_eq!(CharCursor::new("ab").byte(5), 2);
    }

    #[test]
    fn image_volumes() {
        let src = "spec:\n  containers:\n  - name: a\n    image: nginx:1\n  volumes:\n  - name: v\n    image:\n      reference: quay.io/crio/artifact:v2\n      pullPolicy: IfNotPresent\n  - name: w\n    image: {reference: 'b:1'}\n  - name: x\n    configMap: {name: c}\n  - name: y\n    image: {reference: \"\"}\nother:\n  image: {reference: not:1}\n  volumes: {image: {reference: not:2}}\n";
        let got = found(src);
        assert_eq!(
            got.iter()
                .map(|c| (c.0, c.2.is_some(), c.3))
                .collect::<Vec<_>>(),
            [
                ("nginx:1", false, Some(false)),
                ("quay.io/crio/artifact:v2", false, Some(true)),
                ("b:1", false, Some(false)),
                ("", true, Some(false)),
            ]
        );
    }
}

/// Generated YAML with anchors, aliases and merge keys: a tree of what a finder reads finds what the whole
/// tree finds, for every kind. The keys are those finders read, merge keys and a few others, so that
/// anchors, aliases and merges land on the way to images, inside them and beside them.
#[cfg(test)]
mod pruned_properties {
    use proptest::prelude::*;

    /// Repeated names come up more often.
    const KEYS: &[&str] = &[
        "services",
        "services",
        "services",
        "image",
        "image",
        "image",
        "web",
        "web",
        "db",
        "<<",
        "<<",
        "<<",
        "x",
        "default",
        "jobs",
        "steps",
        "container",
        "uses",
        "repository",
        "tag",
        "name",
        "build",
        "global",
    ];
    const SCALARS: &[&str] = &["a:1", "b:2", "docker://c:3", "x", "1", "r"];

    /// A node to render: indexes into [`KEYS`] and [`SCALARS`], whether it has an anchor, whether a
    /// collection is written in flow style; an alias names the n-th complete anchor (modulo their number).
    #[derive(Clone, Debug)]
    enum Gen {
        Scalar(usize, bool),
        Alias(usize),
        Map(Vec<(usize, Gen)>, bool, bool),
        Seq(Vec<Gen>, bool, bool),
    }

    fn node() -> impl Strategy<Value = Gen> {
        let leaf = prop_oneof![
            (0..SCALARS.len(), prop::bool::weighted(0.2)).prop_map(|(s, a)| Gen::Scalar(s, a)),
            (0..8usize).prop_map(Gen::Alias),
        ];
        leaf.prop_recursive(5, 48, 5, |inner| {
            prop_oneof![
                (
                    proptest::collection::vec((0..KEYS.len(), inner.clone()), 0..5),
                    any::<bool>(),
                    any::<bool>()
                )
                    .prop_map(|(p, a, f)| Gen::Map(p, a, f)),
                (
                    proptest::collection::vec(inner, 0..4),
                    any::<bool>(),
                    any::<bool>()
                )
                    .prop_map(|(i, a, f)| Gen::Seq(i, a, f)),
            ]
        })
    }

    /// Renders YAML: block collections where asked (flow inside flow), anchors `&aN` in order, and each
    /// alias naming an anchor whose node is complete (a scalar when there is none).
    struct Render {
        out: String,
        /// The last anchor number given.
        next: usize,
        /// The anchors whose nodes are complete.
        done: Vec<usize>,
    }

    impl Render {
        fn flow(&mut self, g: &Gen) {
            match g {
                Gen::Scalar(s, anchored) => {
                    let anchor = self.anchor(*anchored);
                    self.out.push_str(SCALARS[*s]);
                    self.done.extend(anchor);
                }
                Gen::Alias(i) => match self.done.len() {
                    0 => self.out.push('x'),
                    n => {
                        let name = self.done[i % n];
                        self.out.push_str(&format!("*a{name}"));
                    }
                },
                Gen::Map(pairs, anchored, _) => {
                    let anchor = self.anchor(*anchored);
                    self.out.push('{');
                    for (n, (k, v)) in pairs.iter().enumerate() {
                        if n > 0 {
                            self.out.push_str(", ");
                        }
                        self.out.push_str(KEYS[*k]);
                        self.out.push_str(": ");
                        self.flow(v);
                    }
                    self.out.push('}');
                    self.done.extend(anchor);
                }
                Gen::Seq(items, anchored, _) => {
                    let anchor = self.anchor(*anchored);
                    self.out.push('[');
                    for (n, v) in items.iter().enumerate() {
                        if n > 0 {
                            self.out.push_str(", ");
                        }
                        self.flow(v);
                    }
                    self.out.push(']');
                    self.done.extend(anchor);
                }
            }
        }

        fn anchor(&mut self, anchored: bool) -> Option<usize> {
            if !anchored {
                return None;
            }
            self.next += 1;
            self.out.push_str(&format!("&a{} ", self.next));
            Some(self.next)
        }

        /// A value after `key:` or `-` at `indent`.
        fn value(&mut self, g: &Gen, indent: usize) {
            let pad = " ".repeat(indent);
            match g {
                Gen::Map(pairs, anchored, false) if !pairs.is_empty() => {
                    self.out.push(' ');
                    let anchor = self.anchor(*anchored);
                    for (k, v) in pairs {
                        self.out.push_str(&format!("\n{pad}{}:", KEYS[*k]));
                        self.value(v, indent + 2);
                    }
                    self.done.extend(anchor);
                }
                Gen::Seq(items, anchored, false) if !items.is_empty() => {
                    self.out.push(' ');
                    let anchor = self.anchor(*anchored);
                    for v in items {
                        self.out.push_str(&format!("\n{pad}-"));
                        self.value(v, indent + 2);
                    }
                    self.done.extend(anchor);
                }
                _ => {
                    self.out.push(' ');
                    self.flow(g);
                }
            }
        }
    }

    fn render(pairs: &[(usize, Gen)]) -> String {
        let mut r = Render {
            out: String::new(),
            next: 0,
            done: Vec::new(),
        };
        for (k, v) in pairs {
            r.out.push_str(KEYS[*k]);
            r.out.push(':');
            r.value(v, 2);
            r.out.push('\n');
        }
        r.out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]
        #[test]
        fn pruned_trees_find_what_whole_trees_find(
            pairs in proptest::collection::vec((0..KEYS.len(), node()), 1..7)
        ) {
            let src = render(&pairs);
            for kind in crate::formats::kind::KINDS {
                let pruned = (kind.find)(&src);
                let whole = super::tree::whole_trees(|| (kind.find)(&src));
                prop_assert_eq!(pruned, whole, "{} {:?}", kind.name, src);
            }
        }
    }
}
