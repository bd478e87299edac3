//! Kustomize finder: the `images:` entries of a `kustomization.yaml` (`kind: Kustomization`, `kind:
//! Component`, or no `kind` at all).
//!
//! # What is found
//!
//! One candidate per entry of the top-level `images` list that names a tag, as kustomize's image
//! transformer reads it: `name` (the image to replace in the resources), `newName`, `newTag`, `digest`.
//! The reference to resolve is `newName` (or `name` when there is none) at `newTag`, and what is written
//! is the entry's `digest` (kustomize then sets `newName:newTag@digest` in every matching resource):
//!
//! * an entry with a non-empty `digest` is already pinned: [`Candidate::value`] is
//!   `"{newName or name}[:{newTag}]@{digest}"`, so the classifier reports it as such, and the span is the
//!   digest ([`Target::Digest`]);
//! * an empty `digest: ""` is filled in: the span is the empty text inside its quotes
//!   ([`Target::Digest`]); `digest: ~` / `digest: null` are replaced; a bare `digest:` gets
//!   ` <digest>` right after its colon ([`Target::InsertDigest`] with prefix `" "`);
//! * with no `digest` key, a whole line `digest: <digest>` is inserted ([`Target::InsertDigest`]): the
//!   span is the empty point at the start of the line after the `newTag` line (at the end of the file,
//!   after a line break, when the `newTag` line is the last one and has none); the prefix is the
//!   entry's key indentation and `digest: `, the suffix the `newTag` line's own line break (`\n`, `\r\n`, or a lone `\r`).
//!   The entry stays a valid block mapping, with `digest` right under `newTag`.
//!
//! # Reported skipped
//!
//! * An entry without `newTag` (and without a digest): kustomize then keeps the tag of the image in
//!   the resources, which this file does not state: "no newTag; the tag lives in the resources". An
//!   entry with `tagSuffix` (and without a digest) likewise: the final tag is not stated here.
//! * A flow-style entry without `digest` (`- {name: x, newTag: y}`): there is no line to insert into.
//!   Likewise an entry whose `newTag`, or empty `digest`, comes from a merge key (`<<: *defaults`).
//! * A `digest` whose value is not a plain string, or whose bytes are not its text.
//!
//! The span of a skipped entry is its `newTag` if the entry states one, else its `newName` or `name`
//! (an alias there is reported where the alias is written).
//!
//! # What is not found
//!
//! The resources' own `image:` fields (they are read as Kubernetes YAML in their own files), patches,
//! `replacements`, the deprecated `imageTags`, and any document whose `kind` is something else.
//!
//! # Listed, never rewritten
//!
//! `helmCharts` entries whose `repo` is an OCI registry (`oci://…`): `repo/name:version`, with
//! [`Target::Listed`], since kustomize takes a version but no digest (see
//! [`crate::formats::gitops::charts`]).
//!
//! # Limitations
//!
//! * Values are taken as written: a placeholder such as `newTag: CONTAINER_IMAGES_TAG` (valid tag
//!   grammar) is a candidate; the classifier reports it as a placeholder (see docs/kinds.md).
//! * [`Candidate::pull_policy_set`] is always `None`.

use saphyr_parser::ScalarStyle;

use super::gitops::charts;
use super::yaml::tree::{NodeId, Tree};
use super::yaml::{digest_slot, find_reading, line_after, Reads};
use super::{Candidate, FindError, Findings, SkipReason, Target};

/// The skip reason of an entry with neither a tag nor a digest.
pub const NO_NEW_TAG: &str = "no newTag; the tag lives in the resources";

/// Finds the `images` entries of a kustomization. See the module documentation.
pub fn find(src: &str) -> Result<Findings, FindError> {
    let mut refused = None;
    let findings = find_reading(src, &READS, |tree, out| {
        refused = collect(src, tree, out).err();
    })?;
    match refused {
        Some(error) => Err(error),
        None => Ok(findings),
    }
}

/// The keys [`collect`] reads.
const READS: Reads = Reads {
    whole: &["images", "helmCharts"],
    keys: &["kind"],
    whole_if: None,
};

/// The fields of an `images` entry; kustomize reads each as a string.
const FIELDS: [&str; 5] = ["name", "newName", "newTag", "digest", "tagSuffix"];

fn collect(src: &str, tree: &Tree, out: &mut Vec<Candidate>) -> Result<(), FindError> {
    for root in tree.mapping_documents() {
        let kind = tree.lookup(root, "kind").and_then(|k| tree.str(k));
        if !matches!(kind, None | Some("Kustomization" | "Component")) {
            continue;
        }
        if let Some(images) = tree.lookup(root, "images") {
            for &entry in tree.items(tree.resolve(images)) {
                let entry = tree.resolve(entry);
                if tree.mapping(entry).is_some() {
                    refused_field(tree, entry)?;
                    out.extend(image_entry(src, tree, entry));
                }
            }
        }
        if let Some(charts) = tree.lookup(root, "helmCharts") {
            for &entry in tree.items(tree.resolve(charts)) {
                out.extend(helm_chart(tree, tree.resolve(entry)));
            }
        }
    }
    Ok(())
}

/// The error for an entry field that kustomize refuses to read as a string: a plain scalar that its YAML
/// reader (go-yaml v2, YAML 1.1 rules) takes for a number or a boolean (`newTag: 2.5`, `newTag: 1`,
/// `newTag: yes`), or one tagged `!!int`, `!!float` or `!!bool`. kustomize then stops ("json: cannot
/// unmarshal number into Go struct field Image.images.newTag of type string"), so the entry is not
/// pinnable as written; quoting the value makes it the string it was meant to be.
fn refused_field(tree: &Tree, entry: NodeId) -> Result<(), FindError> {
    for (key, value) in tree.entries(entry) {
        let Some(field) = FIELDS.into_iter().find(|f| tree.is_key(key, f)) else {
            continue;
        };
        let node = tree.resolve(value);
        let Some(scalar) = tree.scalar(node) else {
            continue;
        };
        let yaml_type = match tree[node].tag() {
            Some("tag:yaml.org,2002:int" | "tag:yaml.org,2002:float") => Some("number"),
            Some("tag:yaml.org,2002:bool") => Some("boolean"),
            Some(_) => None,
            None if scalar.style == ScalarStyle::Plain => go_yaml_v2_type(&scalar.value),
            None => None,
        };
        if let Some(what) = yaml_type {
            let text = &scalar.value;
            return Err(FindError {
                offset: scalar.text.start,
                message: format!(
                    "`{field}: {text}` is a YAML {what}, which kustomize refuses (\"json: cannot unmarshal {what_go} into Go struct field Image.images.{field} of type string\"); quote it: `{field}: \"{text}\"`",
                    what_go = if what == "boolean" { "bool" } else { "number" },
                ),
            });
        }
    }
    Ok(())
}

/// What go-yaml v2 (the YAML reader behind kustomize, through sigs.k8s.io/yaml) reads a plain scalar as,
/// when not a string or a null: `"number"` or `"boolean"`. Its `resolve`: the YAML 1.1 booleans
/// (`y`, `yes`, `on`, `true`, … in three casings); `.inf` and `.nan`; then, for a scalar starting with a
/// digit or a sign, with every `_` removed, an integer as Go's `strconv.ParseInt(s, 0, 64)` or `ParseUint`
/// reads it (`0x1F`, `0o17`, `0b101`, `017` octal), or a float matching
/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$` that is finite (`1e400` stays a string), or
/// `0b` followed by a signed binary integer; for one starting with `.`, a finite float (`.5`). Dates
/// (`2024-01-01`), versions (`2.5.1`) and times (`12:30`, no base 60 here) stay strings.
fn go_yaml_v2_type(value: &str) -> Option<&'static str> {
    const TRUE_FALSE: [&str; 22] = [
        "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "n", "N", "no",
        "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
    ];
    const SPECIAL_FLOATS: [&str; 12] = [
        ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf",
        "-.Inf", "-.INF",
    ];
    if TRUE_FALSE.contains(&value) {
        return Some("boolean");
    }
    if SPECIAL_FLOATS.contains(&value) {
        return Some("number");
    }
    let finite_float = |s: &str| s.parse::<f64>().is_ok_and(f64::is_finite);
    let number = match value.bytes().next() {
        Some(b'.') => {
            let digits = &value[1..];
            let mantissa_end = digits
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(digits.len());
            mantissa_end > 0 && is_exponent(&digits[mantissa_end..]) && finite_float(value)
        }
        Some(b'0'..=b'9' | b'+' | b'-') => {
            let plain = value.replace('_', "");
            go_parse_int(&plain)
                || (is_yaml_style_float(&plain) && finite_float(&plain))
                || plain
                    .strip_prefix("0b")
                    .is_some_and(|rest| go_parse_int_radix(rest, 2, true))
                || plain
                    .strip_prefix("-0b")
                    .is_some_and(|rest| go_parse_int_radix(&format!("-{rest}"), 2, true))
        }
        _ => false,
    };
    number.then_some("number")
}

/// `^([eE][-+]?[0-9]+)?$`.
fn is_exponent(s: &str) -> bool {
    let Some(rest) = s.strip_prefix(['e', 'E']) else {
        return s.is_empty();
    };
    let digits = rest.strip_prefix(['+', '-']).unwrap_or(rest);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_style_float(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let int_len = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let rest = &s[int_len..];
    let rest = match rest.strip_prefix('.') {
        Some(fraction) => {
            let len = fraction
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(fraction.len());
            if int_len == 0 && len == 0 {
                return false;
            }
            &fraction[len..]
        }
        None if int_len == 0 => return false,
        None => rest,
    };
    is_exponent(rest)
}

/// Whether Go's `strconv.ParseInt(s, 0, 64)` or `strconv.ParseUint(s, 0, 64)` reads `s` (no underscores).
fn go_parse_int(s: &str) -> bool {
    let (signed, body) = match s.as_bytes().first() {
        Some(b'+' | b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let lower = body.get(..2).map(str::to_ascii_lowercase);
    let (radix, digits) = match lower.as_deref() {
        Some("0x") => (16, &body[2..]),
        Some("0o") => (8, &body[2..]),
        Some("0b") => (2, &body[2..]),
        _ if body.len() > 1 && body.starts_with('0') => (8, &body[1..]),
        _ => (10, body),
    };
    let sign = if s.starts_with('-') { "-" } else { "" };
    go_parse_int_radix(&format!("{sign}{digits}"), radix, signed)
}

/// Whether `s` (an optional `-` or `+` only when `signed`, then digits of `radix`) is an integer in Go's
/// `int64` range, or without a sign in `uint64`'s.
fn go_parse_int_radix(s: &str, radix: u32, signed: bool) -> bool {
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') if signed => (true, &s[1..]),
        Some(b'+') if signed => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return false;
    }
    match u128::from_str_radix(digits, radix) {
        Ok(n) if negative => n <= 1 << 63,
        Ok(n) => n <= u128::from(u64::MAX),
        Err(_) => false,
    }
}

/// A `helmCharts` entry from an OCI `repo`: listed, since kustomize takes a version but no digest.
fn helm_chart(tree: &Tree, entry: NodeId) -> Option<Candidate> {
    let text = |key: &str| {
        let scalar = tree.scalar(tree.resolve(tree.lookup(entry, key)?))?;
        (!scalar.is_null()).then_some(scalar.value.as_str())
    };
    let repository = charts::oci(text("repo")?)?;
    let name_node = tree.resolve(tree.lookup(entry, "name")?);
    let name = text("name")?;
    Some(charts::listed(
        tree,
        entry,
        "version",
        name_node,
        &format!("{repository}/{name}"),
        charts::KUSTOMIZE,
    ))
}

/// The non-empty string value of a key of the entry, with the key node and value node.
fn field(tree: &Tree, entry: NodeId, key: &str) -> Option<(NodeId, NodeId, String)> {
    let (k, v) = tree
        .entries(entry)
        .into_iter()
        .find(|&(k, _)| tree.is_key(k, key))?;
    let scalar = tree.scalar(tree.resolve(v))?;
    (!scalar.is_null() && !scalar.value.is_empty()).then(|| (k, v, scalar.value.clone()))
}

pub(crate) fn image_entry(src: &str, tree: &Tree, entry: NodeId) -> Option<Candidate> {
    let (_, base_node, base) =
        field(tree, entry, "newName").or_else(|| field(tree, entry, "name"))?;
    let tag = field(tree, entry, "newTag");
    let tagged = match &tag {
        Some((_, _, t)) => format!("{base}:{t}"),
        None => base.clone(),
    };
    // Where a skipped entry is reported: its `newTag` when the entry itself states it.
    let shown = match &tag {
        Some((k, v, _)) if tree.parent(*k) == Some(entry) => *v,
        _ => base_node,
    };
    let skipped = |why: &'static str| Candidate {
        span: tree
            .scalar(shown)
            .map_or(tree[shown].span.clone(), |s| s.text.clone()),
        value: tagged.clone(),
        skip: Some(SkipReason::fixed(why)),
        pull_policy_set: None,
        target: Target::Reference,
        artifact: None,
    };

    let digest = tree
        .entries(entry)
        .into_iter()
        .find(|&(k, _)| tree.is_key(k, "digest"));
    if let Some((key, value)) = digest {
        let Some((span, target, differs)) = digest_slot(src, tree, key, value) else {
            return Some(skipped("`digest` is not a string"));
        };
        let written = tree
            .scalar(value)
            .filter(|s| !s.is_null())
            .map(|s| s.value.as_str());
        let candidate = |value: String, skip: Option<&'static str>| Candidate {
            span: span.clone(),
            value,
            skip: skip.map(SkipReason::fixed),
            pull_policy_set: None,
            target: target.clone(),
            artifact: None,
        };
        return Some(match written {
            Some(d) if !d.is_empty() => candidate(format!("{tagged}@{d}"), differs),
            _ if field(tree, entry, "tagSuffix").is_some() => skipped(TAG_SUFFIX),
            _ if tag.is_none() => skipped(NO_NEW_TAG),
            _ if tree.parent(key) != Some(entry) => skipped(
                "the empty `digest` comes from a merge key; filling it would change every entry that merges it",
            ),
            _ => candidate(tagged.clone(), differs),
        });
    }

    if field(tree, entry, "tagSuffix").is_some() {
        return Some(skipped(TAG_SUFFIX));
    }
    let Some((tag_key, tag_value, _)) = &tag else {
        return Some(skipped(NO_NEW_TAG));
    };
    if tree.mapping(entry).is_some_and(|m| m.flow) {
        return Some(skipped(
            "flow-style entry without `digest:`; no line to insert it into",
        ));
    }
    if tree.parent(*tag_key) != Some(entry) {
        return Some(skipped(
            "newTag comes from a merge key; add `digest: \"\"` to the entry to have it filled",
        ));
    }
    let (span, target) = line_after(src, tree, *tag_key, *tag_value, "digest");
    Some(Candidate {
        span,
        value: tagged,
        skip: None,
        pull_policy_set: None,
        target,
        artifact: None,
    })
}

const TAG_SUFFIX: &str =
    "tagSuffix appends to the tag of the resources; the final tag is not stated here";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{classify, Status};

    fn only(src: &str) -> Candidate {
        crate::formats::testing::only(src, find)
    }

    /// `src` with the candidate's digest written in, as `pin` does.
    fn pinned(src: &str, c: &Candidate, digest: &str) -> String {
        assert_ne!(c.target, Target::Reference, "{c:?}");
        let replacement = c.target.text(String::new, digest);
        let edit = crate::rewrite::Edit {
            range: c.span.clone(),
            replacement,
        };
        crate::rewrite::apply(src, &[edit]).unwrap()
    }

    fn digest() -> String {
        format!("sha256:{}", "ab".repeat(32))
    }

    #[test]
    fn a_line_is_inserted_after_new_tag() {
        let src = "images:\n- name: nginx\n  newName: my.registry/nginx\n  newTag: \"1.25\" # pinned below\n  # keep\nresources: [a.yaml]\n";
        let c = only(src);
        assert_eq!(c.value, "my.registry/nginx:1.25");
        assert_eq!(c.skip, None);
        let at = src.find("  # keep").unwrap();
        assert_eq!(c.span, at..at);
        assert_eq!(
            c.target,
            Target::InsertDigest {
                prefix: "  digest: ".to_owned(),
                suffix: "\n".to_owned()
            }
        );
        let out = pinned(src, &c, &digest());
        assert_eq!(
            out,
            format!("images:\n- name: nginx\n  newName: my.registry/nginx\n  newTag: \"1.25\" # pinned below\n  digest: {}\n  # keep\nresources: [a.yaml]\n", digest())
        );
        let again = only(&out);
        assert_eq!(again.value, format!("my.registry/nginx:1.25@{}", digest()));
        assert_eq!(&out[again.span.clone()], digest());
        assert!(matches!(classify(&again), Status::Pinned(_)));
    }

    #[test]
    fn crlf_indentation_and_no_final_newline() {
        let src = "kind: Component\r\nimages:\r\n    -   newTag: v1\r\n        name: app\r\n";
        let c = only(src);
        assert_eq!(c.value, "app:v1");
        let at = src.find("        name").unwrap();
        assert_eq!(c.span, at..at);
        assert_eq!(
            c.target,
            Target::InsertDigest {
                prefix: "        digest: ".to_owned(),
                suffix: "\r\n".to_owned()
            }
        );
        let out = pinned(src, &c, "sha256:x");
        assert!(out.contains("newTag: v1\r\n        digest: sha256:x\r\n        name: app\r\n"));

        let src = "images:\r\n- name: a\r\n  newTag: '2'";
        let c = only(src);
        assert_eq!(c.span, src.len()..src.len());
        assert_eq!(
            c.target,
            Target::InsertDigest {
                prefix: "\r\n  digest: ".to_owned(),
                suffix: String::new()
            }
        );
        assert_eq!(
            pinned(src, &c, "sha256:x"),
            "images:\r\n- name: a\r\n  newTag: '2'\r\n  digest: sha256:x"
        );
    }

    // Guards every line ending: the inserted line ends as the `newTag` line does (a lone `\r` too), so
    // the result reads back as the same entry, pinned, and a second run changes nothing.
    #[test]
    fn cr_only_and_mixed_line_endings() {
        let d = digest();
        for (src, want, value) in [
            (
                "images:\r- name: a\r  newTag: v1\r  newName: b\r",
                format!("images:\r- name: a\r  newTag: v1\r  digest: {d}\r  newName: b\r"),
                "b:v1",
            ),
            (
                "images:\r- name: a\r  newTag: v1",
                format!("images:\r- name: a\r  newTag: v1\r  digest: {d}"),
                "a:v1",
            ),
            (
                "images:\n- name: a\r\n  newTag: v1\r\n  newName: b\n",
                format!("images:\n- name: a\r\n  newTag: v1\r\n  digest: {d}\r\n  newName: b\n"),
                "b:v1",
            ),
        ] {
            let c = only(src);
            assert_eq!(c.value, value, "{src:?}");
            let out = pinned(src, &c, &d);
            assert_eq!(out, want, "{src:?}");
            let again = only(&out);
            assert!(matches!(classify(&again), Status::Pinned(_)), "{out:?}");
            assert_eq!(again.value, format!("{value}@{d}"));
        }
    }

    #[test]
    fn existing_digest_keys() {
        let d = digest();
        // Pinned already, on the last line without a final newline.
        let src =
            format!("images:\n- name: docker\n  newName: my-docker2\n  newTag: v1\n  digest: {d}");
        let c = only(&src);
        assert_eq!(c.value, format!("my-docker2:v1@{d}"));
        assert_eq!(c.target, Target::Digest);
        assert_eq!(&src[c.span.clone()], d);
        assert!(matches!(classify(&c), Status::Pinned(_)));
        // A digest without a tag is pinned too.
        let src = format!("images:\n- name: x\n  digest: {d}\n");
        assert_eq!(only(&src).value, format!("x@{d}"));
        // An invalid digest is reported as written; the classifier rejects it.
        let c = only("images:\n- name: docker\n  newName: my-docker2\n  digest: sha256:25a0d4");
        assert_eq!(c.value, "my-docker2@sha256:25a0d4");
        assert!(matches!(classify(&c), Status::Skipped(_)));

        // Empty, null and bare digests are filled in.
        for (src, text) in [
            ("images:\n- name: a\n  newTag: v1\n  digest: \"\"\n", ""),
            ("images:\n- {name: a, newTag: v1, digest: ''}\n", ""),
            ("images:\n- name: a\n  newTag: v1\n  digest: ~\n", "~"),
        ] {
            let c = only(src);
            assert_eq!(
                (c.value.as_str(), &src[c.span.clone()]),
                ("a:v1", text),
                "{src:?}"
            );
            assert_eq!(c.target, Target::Digest);
            let out = pinned(src, &c, &d);
            assert_eq!(only(&out).value, format!("a:v1@{d}"), "{out:?}");
        }
        let src = "images:\n- name: a\n  newTag: v1\n  digest:\n";
        let c = only(src);
        let at = src.find("digest:").unwrap() + "digest:".len();
        assert_eq!((c.span.start, c.span.end), (at, 40));
        assert_eq!(
            c.target,
            Target::InsertDigest {
                prefix: " ".to_owned(),
                suffix: String::new()
            }
        );
        let out = pinned(src, &c, &d);
        assert_eq!(
            out,
            format!("images:\n- name: a\n  newTag: v1\n  digest: {d}\n")
        );
        assert!(matches!(classify(&only(&out)), Status::Pinned(_)));
    }

    #[test]
    fn entries_that_state_no_tag_are_skipped() {
        let src = "images:\n- name: controller\n  newName: CONTAINER_IMAGES_REGISTRY/adservice\n- name: x\n  tagSuffix: -dev\n- name: u\n  newTag: v1\n  tagSuffix: -dev\n- {name: z, newTag: v2}\n- name: w\n  newTag: v3\n  digest: ''\n  tagSuffix: -dev\n- name: e\n  digest: ''\n";
        let c = find(src).unwrap().candidates;
        let words: Vec<String> = c
            .iter()
            .map(|c| c.skip.clone().unwrap().to_string())
            .collect();
        let got: Vec<_> = c
            .iter()
            .zip(&words)
            .map(|(c, why)| (&src[c.span.clone()], c.value.as_str(), why.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "CONTAINER_IMAGES_REGISTRY/adservice",
                    "CONTAINER_IMAGES_REGISTRY/adservice",
                    NO_NEW_TAG
                ),
                ("x", "x", TAG_SUFFIX),
                ("v1", "u:v1", TAG_SUFFIX),
                (
                    "v2",
                    "z:v2",
                    "flow-style entry without `digest:`; no line to insert it into"
                ),
                ("v3", "w:v3", TAG_SUFFIX),
                ("e", "e", NO_NEW_TAG),
            ]
        );
    }

    #[test]
    fn anchors_and_merges() {
        let src = "x: &tag v1\nbase: &base\n  newTag: v2\nimages:\n- name: a\n  newTag: *tag\n- <<: *base\n  name: b\n";
        let c = find(src).unwrap().candidates;
        assert_eq!(c.len(), 2);
        // An aliased tag: the line goes after the alias.
        assert_eq!(c[0].value, "a:v1");
        let at = src.find("- <<").unwrap();
        assert_eq!(c[0].span, at..at);
        assert_eq!(c[0].skip, None);
        // A merged tag: no line of the entry to insert after; reported at the entry's name.
        assert_eq!(c[1].value, "b:v2");
        assert_eq!(&src[c[1].span.clone()], "b");
        assert!(c[1]
            .skip
            .as_ref()
            .map(ToString::to_string)
            .as_deref()
            .unwrap()
            .contains("merge key"));
        // A merged empty digest is shared: not filled.
        let src = "d: &d {digest: ''}\nimages:\n- <<: *d\n  name: a\n  newTag: v1\n";
        let c = find(src).unwrap().candidates;
        assert!(
            c[0].skip
                .as_ref()
                .map(ToString::to_string)
                .as_deref()
                .unwrap()
                .contains("merge key"),
            "{c:?}"
        );
    }

    #[test]
    fn numbers_and_booleans_that_kustomize_refuses_are_errors() {
        // Each answer checked with `kubectl kustomize` (kustomize v5.5.0 and Debian's kubectl 1.20): these
        // values make it fail ("json: cannot unmarshal number/bool into Go struct field
        // Image.images.newTag of type string") ...
        for value in [
            "2.5", "1", "1.0", "010", "08", "0o10", "0x1F", "0b101", "1e3", "1_000", "+1", "-1",
            ".5", "true", "yes", "on", "y", "n", "True", "NO", "off", ".inf", "-.Inf", ".nan",
        ] {
            let src = format!("images:\n- name: app\n  newTag: {value}\n");
            let err = find(&src).expect_err(value);
            let at = src.find("newTag: ").unwrap() + "newTag: ".len();
            assert_eq!(err.offset, at, "{value}");
            assert!(
                err.message
                    .contains(&format!("quote it: `newTag: \"{value}\"`")),
                "{value}: {}",
                err.message
            );
        }
        // ... and these it reads as strings (or, `null`, as no tag).
        for value in [
            "v1",
            "2.5.1",
            "12:30",
            "1:20:30",
            "2024-01-01",
            "2024-1-2",
            "1e400",
            "0x",
            "1.2.3-rc1",
            "'2.5'",
            "\"1\"",
            "!!str 2.5",
            "latest",
            "null",
        ] {
            let src = format!("images:\n- name: app\n  newTag: {value}\n");
            assert!(find(&src).is_ok(), "{value}");
        }
        let err = find("images:\n- name: app\n  newTag: 2.5\n").unwrap_err();
        assert_eq!(
            err.message,
            "`newTag: 2.5` is a YAML number, which kustomize refuses (\"json: cannot unmarshal number into Go struct field Image.images.newTag of type string\"); quote it: `newTag: \"2.5\"`"
        );
        // Tagged, in another field, through a merge key, in a flow entry, after a good entry.
        for src in [
            "images:\n- name: app\n  newTag: !!float \"2\"\n",
            "images:\n- name: app\n  newTag: v1\n  digest: 1\n",
            "d: &d {newTag: 3}\nimages:\n- <<: *d\n  name: app\n",
            "images: [{name: a, newTag: v1}, {name: b, newTag: yes}]\n",
        ] {
            assert!(find(src).is_err(), "{src:?}");
        }
        // Another kind's document is not a kustomization.
        assert!(find("kind: Other\nimages:\n- name: app\n  newTag: 2.5\n").is_ok());
    }

    #[test]
    fn which_documents_and_entries() {
        let src = "apiVersion: v1\nkind: ConfigMap\nimages:\n- name: a\n  newTag: v1\n---\nimages:\n- name: b\n  newTag: v2\n- not-a-mapping\n- name: ''\n  newTag: v3\n- newTag: v4\nresources:\n- images: [{name: c, newTag: v5}]\n";
        let c = find(src).unwrap().candidates;
        assert_eq!(
            c.iter().map(|c| c.value.as_str()).collect::<Vec<_>>(),
            ["b:v2"]
        );
        for src in ["", "images:\n", "images: {}\n", "- a\n"] {
            assert!(find(src).unwrap().candidates.is_empty(), "{src:?}");
        }
    }
}
