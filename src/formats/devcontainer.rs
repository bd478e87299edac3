//! Dev container finder: the `image` of a `devcontainer.json`.
//!
//! # What is found
//!
//! The top-level `image` string of `.devcontainer.json`, `.devcontainer/devcontainer.json` and
//! `.devcontainer/<name>/devcontainer.json`, read as JSON with comments and trailing commas (JSONC, as the Dev
//! Containers specification allows) through [`super::json`]. The span is the string's text inside its quotes;
//! a string with escapes is reported skipped.
//!
//! Reported skipped: the `image` of a configuration that also has `build` (or the older `dockerFile`): the
//! container is then built from a Dockerfile, which `pin` reads on its own, and `image` is not pulled.
//!
//! A `// pin: ignore` (or `/* pin: ignore */`) comment on the line of the `image`, or alone on the line above
//! it, marks it ignored, like `# pin: ignore` in YAML.
//!
//! # What is not found
//!
//! * Features (`"features": {"ghcr.io/devcontainers/features/node:1": {}}`): OCI artifacts that could be
//!   pinned by digest too, but a feature's version is usually a major-version tag on purpose; they are not
//!   pinned.
//! * Images in `dockerComposeFile` setups (the compose file is read as a compose file), in `runArgs`,
//!   `initializeCommand` or other strings; an `image` below the top level.

use super::json::parse;
use super::yaml::{findings, image_value};
use super::{is_ignore_comment, FindError, Findings};

/// The skip reason of an `image` beside `build`.
pub const BUILT: &str =
    "the dev container is built from a Dockerfile (`build`); `image` is not pulled";

/// Finds the image of a dev container configuration. See the module documentation.
pub fn find(src: &str) -> Result<Findings, FindError> {
    let json = parse(src)?;
    let tree = &json.tree;
    let mut found = Vec::new();
    if let Some(root) = json.root().filter(|&r| tree.mapping(r).is_some()) {
        if let Some(mut candidate) = tree.get(root, "image").and_then(|v| image_value(tree, v)) {
            let built = ["build", "dockerFile", "dockerfile"]
                .iter()
                .any(|key| tree.get(root, key).is_some());
            if candidate.skip.is_none() && built {
                candidate.skip = Some(BUILT.to_owned());
            }
            found.push(candidate);
        }
    }
    let ignore_comments = json
        .comments
        .iter()
        .filter(|r| {
            let text = &src[(*r).clone()];
            let body = text
                .strip_prefix("//")
                .or_else(|| text.strip_prefix("/*").map(|t| t.trim_end_matches("*/")))
                .unwrap_or(text);
            is_ignore_comment(&format!("#{body}"))
        })
        .cloned()
        .collect();
    Ok(Findings {
        ignore_comments,
        ..findings(found)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing;

    #[test]
    fn the_image_with_comments_and_trailing_commas() {
        let src = "// For format details, see https://aka.ms/devcontainer.json.\n{\r\n\t\"name\": \"Go\",\r\n\t// Or use a Dockerfile.\r\n\t\"image\": \"mcr.microsoft.com/devcontainers/go:1-1.22-bookworm\",\r\n\t\"features\": {\r\n\t\t\"ghcr.io/devcontainers/features/node:1\": {},\r\n\t},\r\n\t/* \"image\": \"not:1\" */\r\n}";
        let c = testing::only(src, find);
        assert_eq!(
            c.value,
            "mcr.microsoft.com/devcontainers/go:1-1.22-bookworm"
        );
        assert_eq!(c.skip, None);
        assert_eq!(c.span.start, src.find("mcr.").unwrap());
        assert!(find(src).unwrap().ignore_comments.is_empty());
    }

    #[test]
    fn a_built_container_names_no_image() {
        let src = r#"{"image": "base:1", "build": {"dockerfile": "Dockerfile"}}"#;
        assert_eq!(testing::only(src, find).skip.as_deref(), Some(BUILT));
        assert!(testing::candidates(r#"{"build": {"dockerfile": "Dockerfile"}}"#, find).is_empty());
        let src = r#"{"dockerComposeFile": "compose.yaml", "service": "app", "nested": {"image": "x:1"}}"#;
        assert!(testing::candidates(src, find).is_empty());
        let c = testing::only(r#"{"image": "a\/b:1"}"#, find);
        assert!(c.skip.is_some());
    }

    #[test]
    fn pin_ignore_comments() {
        let src =
            "{\n  // pin: ignore\n  \"image\": \"x:1\", /* pin: ignore */\n  // pin: ignored\n}\n";
        let f = find(src).unwrap();
        let texts: Vec<_> = f.ignore_comments.iter().map(|r| &src[r.clone()]).collect();
        assert_eq!(texts, ["// pin: ignore", "/* pin: ignore */"]);
    }

    #[test]
    fn broken_files_are_errors() {
        let e = find("{\"image\": \"x:1\" \"name\": 1}").unwrap_err();
        // Just after the value a comma should follow.
        assert_eq!(e.offset, 15, "{e:?}");
        assert!(testing::candidates("[]", find).is_empty());
        assert!(testing::candidates("", find).is_empty());
    }
}
