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
//! `replacements`, Helm charts (`helmCharts`), the deprecated `imageTags`, and any document whose `kind`
//! is something else.
//!
//! # Limitations
//!
//! * Values are taken as written: a placeholder such as `newTag: CONTAINER_IMAGES_TAG` (valid tag
//!   grammar) is a candidate; the classifier reports it as a placeholder (see docs/kinds.md).
//! * [`Candidate::pull_policy_set`] is always `None`.

use super::yaml::tree::{NodeId, Tree};
use super::yaml::{digest_slot, find_reading, line_ending, Reads};
use super::{Candidate, FindError, Findings, Target};

/// The skip reason of an entry with neither a tag nor a digest.
pub const NO_NEW_TAG: &str = "no newTag; the tag lives in the resources";

/// Finds the `images` entries of a kustomization. See the module documentation.
pub fn find(src: &str) -> Result<Findings, FindError> {
    find_reading(src, &READS, |tree, out| collect(src, tree, out))
}

/// The keys [`collect`] reads.
const READS: Reads = Reads {
    whole: &["images"],
    keys: &["kind"],
};

fn collect(src: &str, tree: &Tree, out: &mut Vec<Candidate>) {
    for root in tree.mapping_documents() {
        let kind = tree.lookup(root, "kind").and_then(|k| tree.str(k));
        if !matches!(kind, None | Some("Kustomization" | "Component")) {
            continue;
        }
        let Some(images) = tree.lookup(root, "images") else {
            continue;
        };
        for &entry in tree.items(tree.resolve(images)) {
            let entry = tree.resolve(entry);
            if tree.mapping(entry).is_some() {
                out.extend(image_entry(src, tree, entry));
            }
        }
    }
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

fn image_entry(src: &str, tree: &Tree, entry: NodeId) -> Option<Candidate> {
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
    let skipped = |why: &str| Candidate {
        span: tree
            .scalar(shown)
            .map_or(tree[shown].span.clone(), |s| s.text.clone()),
        value: tagged.clone(),
        skip: Some(why.to_owned()),
        pull_policy_set: None,
        target: Target::Reference,
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
        let candidate = |value: String, skip: Option<&str>| Candidate {
            span: span.clone(),
            value,
            skip: skip.map(str::to_owned),
            pull_policy_set: None,
            target: target.clone(),
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
    // The line after the one where `newTag`'s value ends, and that line's own break (`\n`, `\r\n`, or a
    // lone `\r`, which YAML also reads as a line break); after a last line without one, the file's.
    let value_end = tree[*tag_value].span.end;
    let (at, before, ending) = match src[value_end..].find(['\n', '\r']) {
        Some(i) => {
            let brk = value_end + i;
            let len = if src[brk..].starts_with("\r\n") { 2 } else { 1 };
            (brk + len, "", &src[brk..brk + len])
        }
        None => (src.len(), line_ending(src), ""),
    };
    let key_start = tree[*tag_key].span.start;
    let line_start = src[..key_start]
        .rfind(['\n', '\r'])
        .map_or(0, |brk| brk + 1);
    let indent = " ".repeat(src[line_start..key_start].chars().count());
    Some(Candidate {
        span: at..at,
        value: tagged,
        skip: None,
        pull_policy_set: None,
        target: Target::InsertDigest {
            prefix: format!("{before}{indent}digest: "),
            suffix: ending.to_owned(),
        },
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
                "images:\r- name: a\r  newTag: 1\r  newName: b\r",
                format!("images:\r- name: a\r  newTag: 1\r  digest: {d}\r  newName: b\r"),
                "b:1",
            ),
            (
                "images:\r- name: a\r  newTag: 1",
                format!("images:\r- name: a\r  newTag: 1\r  digest: {d}"),
                "a:1",
            ),
            (
                "images:\n- name: a\r\n  newTag: 1\r\n  newName: b\n",
                format!("images:\n- name: a\r\n  newTag: 1\r\n  digest: {d}\r\n  newName: b\n"),
                "b:1",
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
        let src = "images:\n- name: controller\n  newName: CONTAINER_IMAGES_REGISTRY/adservice\n- name: x\n  tagSuffix: -dev\n- name: y\n  newTag: v1\n  tagSuffix: -dev\n- {name: z, newTag: v2}\n- name: w\n  newTag: v3\n  digest: ''\n  tagSuffix: -dev\n- name: e\n  digest: ''\n";
        let c = find(src).unwrap().candidates;
        let got: Vec<_> = c
            .iter()
            .map(|c| {
                (
                    &src[c.span.clone()],
                    c.value.as_str(),
                    c.skip.as_deref().unwrap(),
                )
            })
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
                ("v1", "y:v1", TAG_SUFFIX),
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
        assert!(c[1].skip.as_deref().unwrap().contains("merge key"));
        // A merged empty digest is shared: not filled.
        let src = "d: &d {digest: ''}\nimages:\n- <<: *d\n  name: a\n  newTag: v1\n";
        let c = find(src).unwrap().candidates;
        assert!(c[0].skip.as_deref().unwrap().contains("merge key"), "{c:?}");
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
