//! Cloud Native Buildpacks finder: the images a project descriptor (`project.toml`) names for `pack build`.
//!
//! # What is found
//!
//! The schema is the one `_.schema-version` names, read as `pack` reads it:
//!
//! * `0.2` and `0.3`: `[io.buildpacks] builder`, the builder image; and the `uri` of each buildpack in
//!   `[[io.buildpacks.group]]`, `[[io.buildpacks.pre.group]]` and `[[io.buildpacks.post.group]]` that is an
//!   image.
//! * no `schema-version` (pack then reads `0.1`): `[build] builder`; the `uri` of each `[[build.buildpacks]]`,
//!   `[[build.pre.group]]` and `[[build.post.group]]` that is an image.
//!
//! A buildpack `uri` is an image when it is written `docker://image` (or `docker:/image`, `docker:///image`:
//! the reference after the prefix, which stays), or unprefixed with a tag or a digest
//! (`gcr.io/paketo-buildpacks/java:13.1.0`), which `pack` reads as an image since no buildpack registry id
//! (`paketo-buildpacks/java@1.2.3`) or path holds a `:` after its last `/`. Other locators (`urn:cnb:…`,
//! `https://…`, paths, ids) are left alone. Neither schema names a run image: `pack` takes it from the
//! builder, or from `--run-image`.
//!
//! The span is the string's content, inside its quotes; the file is read with the `toml` crate's spanned
//! parser (and comments with its lexer), so nothing else of it is touched.
//!
//! # Skipped
//!
//! * A string written with escapes (`\u002f`), as a multi-line string, or a value that is not a string.
//! * An image marked `# pin: ignore`, after it on its line or alone on the line above.
//! * A whole file whose `schema-version` `pack` does not read (not `0.1`, `0.2` or `0.3`).

use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::{Candidate, FindError, Findings, SkipReason, Target};

const BOM: &str = "\u{feff}";

/// Where each schema puts its builder and its groups of buildpacks.
struct Schema {
    /// The table of `builder` and the groups.
    root: &'static [&'static str],
    /// The arrays of buildpack tables, below `root`.
    groups: &'static [&'static [&'static str]],
}

const V01: Schema = Schema {
    root: &["build"],
    groups: &[&["buildpacks"], &["pre", "group"], &["post", "group"]],
};

const V02: Schema = Schema {
    root: &["io", "buildpacks"],
    groups: &[&["group"], &["pre", "group"], &["post", "group"]],
};

/// Finds the images of a project descriptor. See the module documentation.
pub fn find(src: &str) -> Result<Findings, FindError> {
    let bom = if src.starts_with(BOM) { BOM.len() } else { 0 };
    let text = &src[bom..];
    let document = DeTable::parse(text).map_err(|e| FindError {
        offset: bom + e.span().map_or(0, |s| s.start).min(text.len()),
        message: format!("not a valid TOML file: {}", e.message()),
    })?;
    let root = document.get_ref();
    let version = lookup(root, &["_", "schema-version"]).map(|v| match v.get_ref() {
        DeValue::String(s) => s.to_string(),
        _ => String::new(),
    });
    let schema = match version.as_deref() {
        None | Some("0.1") => V01,
        Some("0.2" | "0.3") => V02,
        Some(other) => {
            return Ok(Findings {
                skipped: Some(SkipReason::NotPinnable(
                    format!("schema-version {other:?} is not one `pack` reads (0.1, 0.2, 0.3)")
                        .into(),
                )),
                ..Findings::default()
            })
        }
    };
    let mut candidates = Vec::new();
    if let Some(table) = lookup(root, schema.root).and_then(table_of) {
        if let Some(builder) = table.get("builder") {
            candidates.extend(string(text, bom, builder, false));
        }
        for group in schema.groups {
            let Some(DeValue::Array(entries)) = lookup(table, group).map(Spanned::get_ref) else {
                continue;
            };
            for entry in entries.iter() {
                if let Some(uri) = table_of(entry).and_then(|t| t.get("uri")) {
                    candidates.extend(string(text, bom, uri, true));
                }
            }
        }
    }
    candidates.sort_by_key(|c| c.span.start);
    Ok(Findings {
        candidates,
        skipped: None,
        ignore_comments: ignore_comments(text, bom),
    })
}

/// The value at `path` below `table`.
fn lookup<'a, 'i>(table: &'a DeTable<'i>, path: &[&str]) -> Option<&'a Spanned<DeValue<'i>>> {
    let (first, rest) = path.split_first()?;
    let value = table.get(*first)?;
    if rest.is_empty() {
        return Some(value);
    }
    lookup(table_of(value)?, rest)
}

fn table_of<'a, 'i>(value: &'a Spanned<DeValue<'i>>) -> Option<&'a DeTable<'i>> {
    match value.get_ref() {
        DeValue::Table(t) => Some(t),
        _ => None,
    }
}

/// The candidate for a string value: the builder (`locator` false) or a buildpack `uri` (`locator` true, an
/// image only when written so).
fn string(
    text: &str,
    bom: usize,
    value: &Spanned<DeValue<'_>>,
    locator: bool,
) -> Option<Candidate> {
    let span = value.span();
    let whole = bom + span.start..bom + span.end;
    let raw = &text[span.clone()];
    let skipped = |why: &'static str, value: String| Candidate {
        artifact: None,
        span: whole.clone(),
        value,
        skip: Some(SkipReason::fixed(why)),
        pull_policy_set: None,
        target: Target::Reference,
    };
    let DeValue::String(s) = value.get_ref() else {
        return (!locator).then(|| skipped("not a string", raw.to_owned()));
    };
    let s: &str = s;
    let prefix = if locator {
        match ["docker:///", "docker://", "docker:/"]
            .into_iter()
            .find(|p| s.starts_with(p))
        {
            Some(p) => p,
            None if is_unprefixed_image(s) => "",
            None => return None,
        }
    } else {
        ""
    };
    let quoted = raw.len() >= 2
        && !raw.starts_with("\"\"\"")
        && !raw.starts_with("'''")
        && (raw.starts_with('"') || raw.starts_with('\''))
        && &raw[1..raw.len() - 1] == s;
    if !quoted {
        return Some(skipped(
            "written with escapes or as a multi-line string; write it plainly to have it pinned",
            s.to_owned(),
        ));
    }
    let content: Range<usize> = whole.start + 1..whole.end - 1;
    Some(Candidate {
        artifact: None,
        span: content.start + prefix.len()..content.end,
        value: s[prefix.len()..].to_owned(),
        skip: None,
        pull_policy_set: None,
        target: Target::Reference,
    })
}

/// Whether a buildpack `uri` without `docker://` is an image for `pack`: not a URI or a path, and with a `:` (a
/// tag, or the `sha256:` of a digest) after its last `/`.
fn is_unprefixed_image(uri: &str) -> bool {
    let last = uri.rsplit('/').next().unwrap_or(uri);
    !uri.starts_with("urn:")
        && !uri.contains("://")
        && !uri.starts_with(['/', '.', '~'])
        && !uri.contains('\\')
        && last.contains(':')
}

/// The file's `# pin: ignore` comments, as TOML's lexer finds them (never a `#` inside a string).
fn ignore_comments(text: &str, bom: usize) -> Vec<Range<usize>> {
    if !text.contains("pin:") {
        return Vec::new();
    }
    toml_parser::Source::new(text)
        .lex()
        .filter(|t| t.kind() == toml_parser::lexer::TokenKind::Comment)
        .map(|t| bom + t.span().start()..bom + t.span().end())
        .filter(|r| super::is_ignore_comment(&text[r.start - bom..r.end - bom]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::found;

    #[test]
    fn schema_0_2_builder_and_image_buildpacks() {
        let src = "[_]\r\nschema-version = \"0.2\"\r\nid = \"io.buildpacks.my-app\"\r\n\r\n[io.buildpacks]\r\nbuilder = \"paketobuildpacks/builder-jammy-base:0.4\" # the builder\r\ninclude = [\"cmd/\"]\r\n\r\n[[io.buildpacks.group]]\r\nuri = \"docker://gcr.io/paketo-buildpacks/java:13.1.0\"\r\n\r\n[[io.buildpacks.group]]\r\nid = \"paketo-buildpacks/nodejs\"\r\nversion = \"1.0\"\r\n\r\n[[io.buildpacks.group]]\r\nuri = 'gcr.io/paketo-buildpacks/go@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'\r\n\r\n[[io.buildpacks.group]]\r\nuri = \"urn:cnb:registry:paketo-buildpacks/python@1.0.0\"\r\n\r\n[[io.buildpacks.pre.group]]\r\nuri = \"docker:/ghcr.io/org/pre\"\r\n\r\n[[io.buildpacks.post.group]]\r\nuri = \"paketo-buildpacks/procfile\"\r\n\r\n[[io.buildpacks.build.env]]\r\nname = \"BP_IMAGE\"\r\nvalue = \"not:1\"\r\n";
        let got: Vec<(&str, Option<String>)> =
            found(src, find).into_iter().map(|c| (c.0, c.2)).collect();
        assert_eq!(
            got,
            [
                ("paketobuildpacks/builder-jammy-base:0.4", None),
                ("gcr.io/paketo-buildpacks/java:13.1.0", None),
                (
                    "gcr.io/paketo-buildpacks/go@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                    None
                ),
                ("ghcr.io/org/pre", None),
            ]
        );
    }

    #[test]
    fn schema_0_1_names_and_no_schema_version() {
        // Without `schema-version`, pack reads 0.1: `[io.buildpacks]` is not read then.
        let src = "[project]\nid = \"x\"\n\n[build]\nbuilder = 'cnbs/sample-builder:bionic'\n\n[[build.buildpacks]]\nuri = \"docker:///cnbs/sample-package:hello-universe\"\n\n[[build.buildpacks]]\nid = \"io.buildpacks/java\"\n\n[io.buildpacks]\nbuilder = \"not:1\"";
        let got: Vec<&str> = found(src, find).into_iter().map(|c| c.0).collect();
        assert_eq!(
            got,
            [
                "cnbs/sample-builder:bionic",
                "cnbs/sample-package:hello-universe"
            ]
        );
        let src = "[_]\nschema-version = \"0.1\"\n[build]\nbuilder = \"a:1\"\n";
        assert_eq!(found(src, find).len(), 1);
    }

    #[test]
    fn escapes_multi_line_strings_other_versions_and_errors() {
        let src = "[_]\nschema-version = \"0.3\"\n[io.buildpacks]\nbuilder = \"paketobuildpacks\\u002fbuilder:base\"\n[[io.buildpacks.group]]\nuri = \"\"\"docker://x/y:1\"\"\"\n";
        let got: Vec<(String, Option<String>)> =
            found(src, find).into_iter().map(|c| (c.1, c.2)).collect();
        let why = Some(
            "written with escapes or as a multi-line string; write it plainly to have it pinned"
                .to_owned(),
        );
        assert_eq!(
            got,
            [
                ("paketobuildpacks/builder:base".to_owned(), why.clone()),
                ("docker://x/y:1".to_owned(), why)
            ]
        );
        let other =
            find("[_]\nschema-version = \"0.9\"\n[io.buildpacks]\nbuilder = \"a:1\"\n").unwrap();
        assert_eq!(other.candidates, vec![]);
        assert!(other.skipped.unwrap().to_string().contains("\"0.9\""));
        let e = find("[io.buildpacks\nbuilder = 1").unwrap_err();
        assert!(e.message.starts_with("not a valid TOML file"), "{e:?}");
        assert_eq!(
            found("[build]\nbuilder = 1\n", find)[0].2.as_deref(),
            Some("not a string")
        );
    }

    #[test]
    fn a_byte_order_mark_and_ignore_comments() {
        let src = "\u{feff}[build]\n# pin: ignore\nbuilder = \"a:1\"\n[[build.buildpacks]]\nuri = \"docker://b:1\" # pin: ignore\n[[build.buildpacks]]\nuri = \"docker://c:1 # pin: ignore\"\n";
        let findings = find(src).unwrap();
        let got: Vec<&str> = findings
            .candidates
            .iter()
            .map(|c| &src[c.span.clone()])
            .collect();
        assert_eq!(got, ["a:1", "b:1", "c:1 # pin: ignore"]);
        let comments: Vec<&str> = findings
            .ignore_comments
            .iter()
            .map(|r| &src[r.clone()])
            .collect();
        assert_eq!(comments, ["# pin: ignore", "# pin: ignore"]);
    }
}
