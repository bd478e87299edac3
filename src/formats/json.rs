//! JSON finder: Kubernetes manifests written as JSON; and the JSON layer the other JSON kinds share.
//!
//! # What is found
//!
//! A `*.json` file is read when its top level is an object with string `apiVersion` and `kind` members: a
//! Kubernetes object, or a `List` of them (`kubectl get -o json`). Its `image` members are found by the
//! same walk as YAML's ([`super::yaml`]): every string value of an `image` member at any depth (containers,
//! init containers, custom resources), image volumes' `image.reference`, the skip rules (Ceph `rbd.image`,
//! Istio's `auto`, empty values, the repository of a split image), and whether a container sets
//! `imagePullPolicy`.
//!
//! [`Candidate::span`](super::Candidate::span) is the string's text inside its quotes. A string whose text
//! is not its value (an escape such as `\u002f` or `\/`) is reported with
//! [`Candidate::skip`](super::Candidate::skip) set: rewriting it would change more than the reference.
//!
//! # What is not found
//!
//! Any other JSON (`package.json`, `tsconfig.json`, `.eslintrc.json`, a top-level array): no candidates, and
//! no error when such a file does not parse (a `tsconfig.json` may hold comments). A file that does not
//! parse but names `"apiVersion"` and `"kind"` is reported as an error at the parser's position.
//!
//! # Parser
//!
//! `jsonc-parser` gives every value its byte range in the text, so candidates are spans into the file as it
//! is. It reads JSON with comments and trailing commas (the JSONC of dev containers, see
//! [`super::devcontainer`]); the other JSON5 extensions are refused. A UTF-8 byte order mark is skipped.
//! Values are built into the [`Tree`] of the YAML layer (objects as flow mappings, arrays as flow sequences,
//! strings as double-quoted scalars, other literals as plain scalars), so every YAML walk reads JSON too.
//!
//! # Limitations
//!
//! * A stream of several JSON objects in one file is not read (the parser wants one value).
//! * Duplicate members are kept, each reported, as in YAML.

use std::ops::Range;

use jsonc_parser::ast::{self, ObjectPropName, Value};
use jsonc_parser::{CollectOptions, CommentCollectionStrategy, ParseOptions};
use saphyr_parser::ScalarStyle;

use super::yaml::tree::{Builder, Mapping, Node, NodeId, NodeKind, Scalar, Sequence, Sink, Tree};
use super::yaml::{findings, kubernetes};
use super::{FindError, Findings};

/// The reason a string with escapes is not rewritten.
pub const ESCAPED: &str = "JSON string with escapes; its bytes are not its value";

/// A JSON text read into a [`Tree`], with its comments.
pub struct Json {
    pub tree: Tree,
    /// The byte range of every comment (`// …` to the end of its line, `/* … */`), in file order.
    pub comments: Vec<Range<usize>>,
}

impl Json {
    /// The root value.
    pub fn root(&self) -> Option<NodeId> {
        self.tree.documents().first().copied()
    }
}

/// Reads a JSON (or JSONC) text. See the module documentation.
pub fn parse(src: &str) -> Result<Json, FindError> {
    let (body, base) = match src.strip_prefix('\u{FEFF}') {
        Some(rest) => (rest, src.len() - rest.len()),
        None => (src, 0),
    };
    let options = ParseOptions {
        allow_comments: true,
        allow_trailing_commas: true,
        allow_loose_object_property_names: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    let collect = CollectOptions {
        comments: CommentCollectionStrategy::Separate,
        tokens: false,
    };
    let parsed = jsonc_parser::parse_to_ast(body, &collect, &options).map_err(|e| FindError {
        offset: base + e.range().start.min(body.len()),
        message: e.kind().to_string(),
    })?;
    let mut builder = Builder::default();
    if let Some(value) = &parsed.value {
        add_value(&mut builder, src, base, value);
    }
    let mut comments: Vec<Range<usize>> = parsed
        .comments
        .iter()
        .flat_map(|map| map.values())
        .flat_map(|list| list.iter())
        .map(|c| {
            let r = match c {
                ast::Comment::Line(l) => l.range,
                ast::Comment::Block(b) => b.range,
            };
            base + r.start..base + r.end
        })
        .collect();
    comments.sort_by_key(|r| (r.start, r.end));
    comments.dedup();
    Ok(Json {
        tree: builder.finish(src.len()),
        comments,
    })
}

fn node(kind: NodeKind, range: jsonc_parser::common::Range, base: usize) -> Node {
    Node {
        kind,
        span: base + range.start..base + range.end,
        properties: None,
    }
}

/// A string literal as a double-quoted scalar whose text is inside the quotes.
fn string(src: &str, base: usize, lit: &ast::StringLit) -> Node {
    // The range runs from the opening quote to after the closing one.
    let text = base + lit.range.start + 1..base + (lit.range.end - 1).max(lit.range.start + 1);
    let differs = (src.get(text.clone()) != Some(&*lit.value)).then_some(ESCAPED);
    let scalar = Scalar {
        value: lit.value.to_string(),
        style: ScalarStyle::DoubleQuoted,
        text,
        differs,
    };
    node(NodeKind::Scalar(scalar), lit.range, base)
}

/// A number, `true`, `false` or `null`: a plain scalar of its text (`null` is YAML's null too).
fn literal(src: &str, base: usize, range: jsonc_parser::common::Range) -> Node {
    let text = base + range.start..base + range.end;
    let scalar = Scalar {
        value: src[text.clone()].to_owned(),
        style: ScalarStyle::Plain,
        text,
        differs: None,
    };
    node(NodeKind::Scalar(scalar), range, base)
}

/// Adds `value` and everything in it, in document order (the parser bounds the nesting depth).
fn add_value(builder: &mut Builder, src: &str, base: usize, value: &Value) {
    match value {
        Value::StringLit(lit) => builder.leaf(string(src, base, lit), 0),
        Value::NumberLit(n) => builder.leaf(literal(src, base, n.range), 0),
        Value::BooleanLit(b) => builder.leaf(literal(src, base, b.range), 0),
        Value::NullKeyword(n) => builder.leaf(literal(src, base, n.range), 0),
        Value::Object(object) => {
            let mapping = Mapping {
                flow: true,
                ..Mapping::default()
            };
            builder.open(node(NodeKind::Mapping(mapping), object.range, base), 0);
            for prop in &object.properties {
                let key = match &prop.name {
                    ObjectPropName::String(lit) => string(src, base, lit),
                    // Unquoted names are refused by the parse options.
                    ObjectPropName::Word(word) => literal(src, base, word.range),
                };
                builder.leaf(key, 0);
                add_value(builder, src, base, &prop.value);
            }
            builder.close(base + object.range.end);
        }
        Value::Array(array) => {
            let sequence = Sequence {
                flow: true,
                items: Vec::new(),
            };
            builder.open(node(NodeKind::Sequence(sequence), array.range, base), 0);
            for item in &array.elements {
                add_value(builder, src, base, item);
            }
            builder.close(base + array.range.end);
        }
    }
}

/// Whether the top level is a Kubernetes object or list: string `apiVersion` and `kind` members.
fn is_kubernetes(json: &Json) -> bool {
    json.root().is_some_and(|root| {
        ["apiVersion", "kind"].iter().all(|key| {
            json.tree
                .get(root, key)
                .and_then(|v| json.tree.scalar(v))
                .is_some_and(|s| s.style == ScalarStyle::DoubleQuoted && !s.value.is_empty())
        })
    })
}

/// Finds the images of a Kubernetes JSON manifest; nothing in other JSON. See the module documentation.
pub fn find(src: &str) -> Result<Findings, FindError> {
    let json = match parse(src) {
        Ok(json) => json,
        Err(e) if src.contains("\"apiVersion\"") && src.contains("\"kind\"") => return Err(e),
        Err(_) => return Ok(Findings::default()),
    };
    if !is_kubernetes(&json) {
        return Ok(Findings::default());
    }
    let mut found = Vec::new();
    kubernetes(&json.tree, &mut found);
    Ok(findings(found))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing;

    fn pinnable(src: &str) -> Vec<&str> {
        testing::pinnable(src, find)
    }

    const POD: &str = r#"{
  "apiVersion": "v1",
  "kind": "Pod",
  "metadata": {"name": "p", "annotations": {"image": "not/an-image-field:1x", "note": "image: nginx:0"}},
  "spec": {
    "initContainers": [{"name": "init", "image": "busybox:1.36", "imagePullPolicy": "IfNotPresent"}],
    "containers": [
      {"name": "app", "image": "ghcr.io/acme/app:v1.2"},
      {"name": "esc", "image": "nginx\u003a1"},
      {"name": "slash", "image": "quay.io\/x:1"},
      {"name": "auto", "image": "auto"},
      {"name": "none", "image": null},
      {"name": "num", "image": 5}
    ],
    "volumes": [{"name": "v", "image": {"reference": "quay.io/crio/artifact:v2", "pullPolicy": "Always"}}]
  }
}
"#;

    #[test]
    fn a_pod_is_read_like_yaml() {
        let c = testing::candidates(POD, find);
        let got: Vec<_> = c
            .iter()
            .map(|c| (&POD[c.span.clone()], c.skip.is_some(), c.pull_policy_set))
            .collect();
        assert_eq!(
            got,
            [
                // `metadata.annotations.image` is an `image` member like any other, as in YAML.
                ("not/an-image-field:1x", false, None),
                ("busybox:1.36", false, Some(true)),
                ("ghcr.io/acme/app:v1.2", false, Some(false)),
                ("nginx\\u003a1", true, Some(false)),
                ("quay.io\\/x:1", true, Some(false)),
                ("auto", true, Some(false)),
                ("5", false, Some(false)),
                ("quay.io/crio/artifact:v2", false, Some(true)),
            ]
        );
        assert_eq!(c[3].value, "nginx:1");
        assert_eq!(
            c[3].skip.as_ref().map(ToString::to_string).as_deref(),
            Some(ESCAPED)
        );
        assert_eq!(c[4].value, "quay.io/x:1");
        let at = POD.find("ghcr.io").unwrap();
        assert_eq!(c[2].span, at..at + "ghcr.io/acme/app:v1.2".len());
    }

    #[test]
    fn a_list_crlf_bom_and_no_final_newline() {
        let src = "\u{FEFF}{\r\n\t\"kind\": \"List\",\r\n\t\"apiVersion\": \"v1\",\r\n\t\"items\": [\r\n\t\t{\"kind\": \"Deployment\", \"apiVersion\": \"apps/v1\", \"spec\": {\"template\": {\"spec\": {\"containers\": [{\"name\": \"é\", \"image\": \"registry.k8s.io/pause:3.10\"}]}}}}\r\n\t]\r\n}";
        assert_eq!(pinnable(src), ["registry.k8s.io/pause:3.10"]);
        let c = testing::only(src, find);
        assert_eq!(c.span.start, src.find("registry.k8s.io").unwrap());
    }

    #[test]
    fn other_json_is_never_read() {
        for src in [
            r#"{"name": "app", "dependencies": {"image": "^1.0.0"}, "image": "nginx:1"}"#,
            r#"{"compilerOptions": {"target": "es2022",}, // comment
            }"#,
            r#"{"kind": "Pod", "image": "x:1"}"#,
            r#"{"apiVersion": 1, "kind": "Pod", "image": "x:1"}"#,
            r#"[{"apiVersion": "v1", "kind": "Pod", "image": "x:1"}]"#,
            "not json at all {",
            "",
            "{\"a\": 'single'}",
        ] {
            assert_eq!(find(src), Ok(Findings::default()), "{src:?}");
        }
    }

    #[test]
    fn a_broken_manifest_is_an_error_at_its_offset() {
        let src = "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"spec\": {\"image\": \"x:1\",, }}";
        let e = find(src).unwrap_err();
        assert_eq!(e.offset, src.find(",,").unwrap() + 1, "{e:?}");
        let e = find("\u{FEFF}{\"apiVersion\": \"v1\", \"kind\": \"Pod\" \"x\": 1}").unwrap_err();
        assert!(e.offset > 3, "{e:?}");
    }

    #[test]
    fn comments_are_collected() {
        let src =
            "{// a\n\"apiVersion\": \"v1\", /* b */ \"kind\": \"Pod\", \"image\": \"x:1\" // c\n}";
        let json = parse(src).unwrap();
        let texts: Vec<_> = json.comments.iter().map(|r| &src[r.clone()]).collect();
        assert_eq!(texts, ["// a", "/* b */", "// c"]);
        assert_eq!(pinnable(src), ["x:1"]);
    }

    /// Truncated prefixes never panic and give spans a rewrite can use.
    #[test]
    fn truncated_text_never_panics() {
        for (i, _) in POD.char_indices() {
            let prefix = &POD[..i];
            match find(prefix) {
                Ok(f) => assert!(f
                    .candidates
                    .iter()
                    .all(|c| prefix.get(c.span.clone()).is_some())),
                Err(e) => assert!(prefix.is_char_boundary(e.offset), "{prefix:?}: {e:?}"),
            }
        }
    }
}
