//! YAML finder: every scalar value of a mapping key `image`.
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
//! # What is not found
//!
//! * keys that merely contain `image` (`f:image` in `managedFields`, `imagePullPolicy`, `images`);
//! * references inside other strings: annotations (e.g. the JSON of
//!   `kubectl.kubernetes.io/last-applied-configuration`), container `args`, `command`, environment
//!   values, comments;
//! * an `image` whose value is a mapping or a sequence (Helm `image: {repository: …, tag: …}`,
//!   GitLab `image: {name: …}` — the nested `name` is not looked at), or an alias (`image: *ref`: the
//!   anchored scalar is reported where it is written, if it is itself an `image` value);
//! * an `image` whose value is a plain YAML null (`image:`, `image: ~`, `image: null`): no image is
//!   stated there.
//!
//! # Helm and Go templates
//!
//! A file is passed over as a whole ([`Findings::skipped`], no error) when it contains a template
//! action `{{ … }}` (a `{{` with a `}}` after it, anywhere, comments and strings included) and either
//! the YAML parser rejects it, or the parser reads a `{{` as structure (a flow mapping whose first key
//! is another flow mapping: `{{ x }}` outside quotes, which no real manifest contains). A file whose
//! template actions all sit inside quoted scalars parses; its `image` values are reported as written
//! (e.g. `{{ .Values.image }}`) and left to the reference classifier. Invalid YAML without `{{` is a
//! [`FindError`]. As the rule only looks for `{{ }}`, an invalid file that merely contains, say, a
//! GitHub Actions `${{ }}` expression is passed over too, with the same reason.
//!
//! # Limitations
//!
//! * Merge keys are not followed: `<<: *base` does not count as giving the mapping a `name` or an
//!   `imagePullPolicy` key, and an `image` brought in by a merge is reported at its anchor only.
//! * Key matching is on the key's value only: `!!str image` and `"image"` are `image`; a complex key
//!   (`? [image]`) or an alias key never is.
//! * Duplicate keys are accepted (each `image` is reported), as most Kubernetes tooling does.
//! * The parser is strict YAML 1.2. Some files that other tools accept are a [`FindError`]: e.g. a
//!   flow sequence whose closing `]` sits at the indentation of its key (seen in a compose file), or
//!   tabs used as indentation.
//! * Positions come from `saphyr-parser`, whose markers count characters; they are mapped to bytes
//!   through the source. A UTF-8 byte order mark counts as one character there and three bytes here.

use std::ops::Range;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError};

use super::{Candidate, FindError, Findings, Target};

/// The reason given for a file passed over as a template.
pub const HELM_TEMPLATE: &str = "Helm template (contains {{ }}); not YAML";

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
#[derive(Clone, Copy, Debug)]
pub struct SkipRule {
    pub when: SkipWhen,
    pub reason: &'static str,
}

/// Known non-container `image` keys, checked in order; the first match gives the skip reason.
/// A rule's reason replaces a reason that comes from the scalar's text (escapes, line breaks).
pub const SKIP_RULES: &[SkipRule] = &[
    SkipRule {
        when: SkipWhen::Under("rbd"),
        reason: "Ceph RBD image name (rbd.image), not a container image",
    },
    SkipRule {
        when: SkipWhen::Value("auto"),
        reason: "Istio sidecar-injection placeholder `image: auto`, replaced at admission",
    },
    SkipRule {
        when: SkipWhen::Value(""),
        reason: "empty value",
    },
    SkipRule {
        when: SkipWhen::Beside("tag"),
        reason: "repository of a split image (a sibling `tag` key completes it)",
    },
    SkipRule {
        when: SkipWhen::Beside("digest"),
        reason: "repository of a split image (a sibling `digest` key completes it)",
    },
];

/// Finds the `image` values of a YAML stream. See the module documentation.
pub fn find(src: &str) -> Result<Findings, FindError> {
    let chars = CharMap::new(src);
    let has_template = contains_template_action(src);
    let mut walk = Walk::default();
    // Bound on events, against a parser that would stop making progress: every event but a few per
    // document stems from at least one token, and every token but a few per node consumes a character.
    let budget = src.len().saturating_mul(8).saturating_add(64);

    for (count, item) in Parser::new_from_str(src).enumerate() {
        if count > budget {
            return Err(FindError {
                offset: src.len(),
                message: "YAML parser made no progress".to_owned(),
            });
        }
        let (event, span) = match item {
            Ok(ok) => ok,
            Err(_) if has_template => return Ok(template_skip()),
            Err(err) => return Err(scan_error(&chars, &err)),
        };
        let start = chars.byte(span.start.index());
        let end = chars.byte(span.end.index()).max(start);
        match event {
            Event::StreamEnd => break,
            Event::Scalar(value, style, anchor, tag) => match walk.node() {
                Role::Key => walk.set_key(value.into_owned()),
                Role::Value(Some(key)) if key == "image" && !is_plain_null(&value, style) => {
                    let properties = anchor > 0 || tag.is_some();
                    let (span, skip) = locate(src, start..end, style, &value, properties);
                    walk.add_candidate(Candidate {
                        span,
                        value: value.into_owned(),
                        skip: skip.map(str::to_owned),
                        pull_policy_set: None,
                        target: Target::Reference,
                    });
                }
                Role::Value(_) | Role::Item => {}
            },
            Event::Alias(_) => {
                walk.node();
            }
            Event::MappingStart(..) => {
                // A flow mapping's span ends just after its `{`.
                let opens_with_braces =
                    end > start && src.as_bytes().get(end - 1..end + 1) == Some(b"{{");
                if has_template && opens_with_braces {
                    return Ok(template_skip());
                }
                let under = match walk.node() {
                    Role::Value(key) => key,
                    Role::Key | Role::Item => None,
                };
                walk.push_mapping(under);
            }
            Event::SequenceStart(..) => {
                walk.node();
                walk.stack.push(Frame::Sequence);
            }
            Event::MappingEnd | Event::SequenceEnd => walk.pop(),
            Event::Nothing | Event::StreamStart | Event::DocumentStart(_) | Event::DocumentEnd => {}
        }
    }
    Ok(Findings {
        candidates: walk.candidates,
        skipped: None,
    })
}

fn template_skip() -> Findings {
    Findings {
        candidates: Vec::new(),
        skipped: Some(HELM_TEMPLATE.to_owned()),
    }
}

fn scan_error(chars: &CharMap, err: &ScanError) -> FindError {
    FindError {
        offset: chars.byte(err.marker().index()),
        message: err.info().to_owned(),
    }
}

/// A `{{` followed, somewhere later, by `}}`.
fn contains_template_action(src: &str) -> bool {
    src.find("{{")
        .is_some_and(|at| src[at + 2..].contains("}}"))
}

/// `image:`, `image: ~`, `image: null` state no value.
fn is_plain_null(value: &str, style: ScalarStyle) -> bool {
    style == ScalarStyle::Plain && matches!(value, "" | "~" | "null" | "Null" | "NULL")
}

/// Character index → byte offset. The identity for ASCII sources.
struct CharMap {
    /// Byte offset of each character, then the length; empty for ASCII.
    starts: Vec<usize>,
    len: usize,
}

impl CharMap {
    fn new(src: &str) -> Self {
        let starts = if src.is_ascii() {
            Vec::new()
        } else {
            src.char_indices()
                .map(|(i, _)| i)
                .chain([src.len()])
                .collect()
        };
        CharMap {
            starts,
            len: src.len(),
        }
    }

    /// The byte offset of the character at `index`; the source length past its end.
    fn byte(&self, index: usize) -> usize {
        if self.starts.is_empty() {
            index.min(self.len)
        } else {
            self.starts.get(index).copied().unwrap_or(self.len)
        }
    }
}

/// What a node is to its parent.
enum Role {
    /// A mapping key.
    Key,
    /// A mapping value, with its key when that key is a scalar.
    Value(Option<String>),
    /// A sequence item or a document root.
    Item,
}

/// An open collection.
enum Frame {
    Sequence,
    Mapping(MapFrame),
}

struct MapFrame {
    /// The key this mapping is the value of, when that key is a scalar.
    under: Option<String>,
    /// The next node is a value (else a key).
    at_value: bool,
    /// The key of the value being read; `None` for a complex or alias key.
    key: Option<String>,
    /// The scalar keys seen so far.
    keys: Vec<String>,
    /// Indices, in [`Walk::candidates`], of the candidates found in this mapping.
    found: Vec<usize>,
}

#[derive(Default)]
struct Walk {
    stack: Vec<Frame>,
    candidates: Vec<Candidate>,
}

impl Walk {
    /// Accounts for a node (scalar, alias, mapping or sequence) starting: what it is to its parent.
    fn node(&mut self) -> Role {
        match self.stack.last_mut() {
            Some(Frame::Mapping(map)) => {
                map.at_value = !map.at_value;
                if map.at_value {
                    map.key = None;
                    Role::Key
                } else {
                    Role::Value(map.key.take())
                }
            }
            Some(Frame::Sequence) | None => Role::Item,
        }
    }

    /// Records a scalar key, just announced by [`Walk::node`] as [`Role::Key`].
    fn set_key(&mut self, key: String) {
        if let Some(Frame::Mapping(map)) = self.stack.last_mut() {
            map.keys.push(key.clone());
            map.key = Some(key);
        }
    }

    fn push_mapping(&mut self, under: Option<String>) {
        self.stack.push(Frame::Mapping(MapFrame {
            under,
            at_value: false,
            key: None,
            keys: Vec::new(),
            found: Vec::new(),
        }));
    }

    fn add_candidate(&mut self, candidate: Candidate) {
        self.candidates.push(candidate);
        if let Some(Frame::Mapping(map)) = self.stack.last_mut() {
            map.found.push(self.candidates.len() - 1);
        }
    }

    /// Ends the innermost collection; a mapping's candidates learn about their siblings.
    fn pop(&mut self) {
        let Some(Frame::Mapping(map)) = self.stack.pop() else {
            return;
        };
        let has = |key: &str| map.keys.iter().any(|k| k == key);
        let pull_policy_set = has("name").then(|| has("imagePullPolicy"));
        for &i in &map.found {
            let candidate = &mut self.candidates[i];
            candidate.pull_policy_set = pull_policy_set;
            let rule = SKIP_RULES.iter().find(|rule| match rule.when {
                SkipWhen::Under(parent) => map.under.as_deref() == Some(parent),
                SkipWhen::Value(value) => candidate.value == value,
                SkipWhen::Beside(key) => has(key),
            });
            if let Some(rule) = rule {
                candidate.skip = Some(rule.reason.to_owned());
            }
        }
    }
}

/// The byte range of a scalar's text inside its event span `span`, and why that text is not exactly
/// `value` (then nothing may be rewritten there). `properties`: the scalar has an anchor or a tag,
/// which the span then starts with.
///
/// The parser's spans are not the scalar's text: they start at the properties; a quoted scalar's span
/// runs on over the blanks and comment after the closing quote; a block scalar's span starts at its
/// first content character, or at the `|` / `>` header when there are properties or no content, and
/// ends after the line breaks that follow. Only a plain scalar's span end is exact.
fn locate(
    src: &str,
    span: Range<usize>,
    style: ScalarStyle,
    value: &str,
    properties: bool,
) -> (Range<usize>, Option<&'static str>) {
    let bytes = src.as_bytes();
    let start = if properties {
        skip_properties(bytes, span.start, span.end)
    } else {
        span.start
    };
    let end = span.end.max(start);
    let checked = |range: Range<usize>, reason: &'static str| {
        let same = src.get(range.clone()) == Some(value);
        (range, (!same).then_some(reason))
    };
    match style {
        ScalarStyle::Plain => {
            if src.get(start..).is_some_and(|rest| rest.starts_with(value)) {
                (start..start + value.len(), None)
            } else {
                checked(start..end, "plain scalar spans several lines")
            }
        }
        ScalarStyle::SingleQuoted => match closing_quote(bytes, start, b'\'') {
            Some(close) => checked(
                start + 1..close,
                "single-quoted scalar with '' or a line break",
            ),
            None => (start..end, Some("cannot locate the quoted text")),
        },
        ScalarStyle::DoubleQuoted => match closing_quote(bytes, start, b'"') {
            Some(close) => checked(
                start + 1..close,
                "double-quoted scalar with escapes or a line break",
            ),
            None => (start..end, Some("cannot locate the quoted text")),
        },
        ScalarStyle::Literal | ScalarStyle::Folded => {
            let content = if properties || value.bytes().all(|b| b == b'\n') {
                // The span starts at the `|` / `>` header (always so after properties, and for a block
                // scalar without content): the content starts on the next line.
                src[start..end].find('\n').map_or(end, |nl| start + nl + 1)
            } else {
                // Otherwise the parser's span starts at the first content character.
                start
            };
            block_content(src, content..end, value)
        }
    }
}

/// Skips `&anchor` / `!tag` properties (and the blanks and comments after them) from `at`: where
/// the node's own text starts.
fn skip_properties(bytes: &[u8], mut at: usize, end: usize) -> usize {
    while at < end && matches!(bytes[at], b'&' | b'!') {
        if bytes[at..].starts_with(b"!<") {
            // Verbatim tag `!<…>`.
            at += bytes[at..]
                .iter()
                .position(|&b| b == b'>')
                .map_or(end - at, |p| p + 1);
        } else {
            while at < end && !matches!(bytes[at], b' ' | b'\t' | b'\r' | b'\n') {
                at += 1;
            }
        }
        // Blanks, line breaks and comment lines.
        while at < end {
            match bytes[at] {
                b' ' | b'\t' | b'\r' | b'\n' => at += 1,
                b'#' => {
                    while at < end && bytes[at] != b'\n' {
                        at += 1;
                    }
                }
                _ => break,
            }
        }
    }
    at.min(end)
}

/// The offset of the quote closing the quoted scalar that opens at `open`.
fn closing_quote(bytes: &[u8], open: usize, quote: u8) -> Option<usize> {
    if bytes.get(open) != Some(&quote) {
        return None;
    }
    let mut at = open + 1;
    while at < bytes.len() {
        let b = bytes[at];
        if quote == b'"' && b == b'\\' {
            // Only ASCII bytes matter here; skipping one byte of a multi-byte character is harmless.
            at += 2;
        } else if b == quote {
            if quote == b'\'' && bytes.get(at + 1) == Some(&b'\'') {
                at += 2;
            } else {
                return Some(at);
            }
        } else {
            at += 1;
        }
    }
    None
}

/// The text of a block scalar's content lines in `region`: the single non-blank line without its
/// indentation and line break, or from the first to the last non-blank line (never equal to the value).
fn block_content(
    src: &str,
    region: Range<usize>,
    value: &str,
) -> (Range<usize>, Option<&'static str>) {
    let mut lines = Vec::new();
    let mut line_start = region.start;
    for line in src[region.clone()].split_inclusive('\n') {
        let text = line.trim_end_matches('\n').trim_end_matches('\r');
        let indent = text.len() - text.trim_start_matches(' ').len();
        if indent < text.len() {
            lines.push(line_start + indent..line_start + text.len());
        }
        line_start += line.len();
    }
    match lines.as_slice() {
        [] => {
            let at = region.start..region.start;
            let same = value.is_empty();
            (at, (!same).then_some("block scalar without content"))
        }
        [one] => {
            let reason = if src.get(one.clone()) == Some(value) {
                None
            } else if value.ends_with('\n') {
                Some("block scalar whose value keeps a final line break (not `>-` / `|-`)")
            } else {
                Some("block scalar whose value differs from its text")
            };
            (one.clone(), reason)
        }
        [first, .., last] => (
            first.start..last.end,
            Some("block scalar with several content lines"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::LineIndex;
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
                (text, c.value, c.skip, c.pull_policy_set)
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
        let mut candidates = find(src).unwrap().candidates;
        assert_eq!(candidates.len(), 1, "{src:?}: {candidates:?}");
        candidates.remove(0)
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
        assert!(c.skip.unwrap().contains("tag"));
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
            skipped: Some(HELM_TEMPLATE.to_owned()),
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

    fn corpus_files() -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
            .expect("tests/corpus/k8s")
            .map(|entry| entry.expect("directory entry").path())
            .filter(|path| {
                path.extension()
                    .is_some_and(|ext| ext == "yaml" || ext == "yml")
            })
            .collect();
        files.sort();
        assert_eq!(files.len(), 20);
        files
    }

    /// The `.refs` listing of a file's candidates.
    fn refs(src: &str, findings: &Findings) -> String {
        let index = LineIndex::new(src);
        let mut out = String::new();
        for c in &findings.candidates {
            let (line, col) = index.line_col(src, c.span.start);
            out += &format!("{line}:{col} {}", c.value.escape_debug());
            if let Some(skip) = &c.skip {
                out += &format!(" [skip: {skip}]");
            }
            out.push('\n');
        }
        out
    }

    /// Set `PIN_BLESS_REFS=1` to rewrite the `.refs` files, then check them by hand.
    #[test]
    fn corpus_candidates_match_the_refs_files() {
        let bless = std::env::var_os("PIN_BLESS_REFS").is_some();
        for path in corpus_files() {
            let src = std::fs::read_to_string(&path).expect("corpus file");
            let findings = find(&src).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(findings.skipped, None, "{}", path.display());
            for c in &findings.candidates {
                if c.skip.is_none() {
                    assert_eq!(&src[c.span.clone()], c.value, "{}", path.display());
                }
            }
            let got = refs(&src, &findings);
            let mut refs_path = path.clone().into_os_string();
            refs_path.push(".refs");
            if bless {
                std::fs::write(&refs_path, &got).expect("write .refs");
            }
            let want = std::fs::read_to_string(&refs_path).expect(".refs file");
            assert_eq!(got, want, "{}", path.display());
        }
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

    #[test]
    fn char_map() {
        let src = "aé\u{FEFF}b";
        let map = CharMap::new(src);
        assert_eq!(
            (0..6).map(|i| map.byte(i)).collect::<Vec<_>>(),
            [0, 1, 3, 6, 7, 7]
        );
        assert_eq!(CharMap::new("ab").byte(5), 2);
    }
}
