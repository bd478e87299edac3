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
//! * Features (`"features": {"ghcr.io/devcontainers/features/node:1": {}}`), unless asked for: they are OCI
//!   artifacts, but a feature's version is usually a major-version tag on purpose. With
//!   [`FindOptions::devcontainer_features`] (`--devcontainer-features`, `devcontainer-features = true`) each
//!   feature id of the top-level `features` object is a candidate, written back as `name@sha256:…`
//!   ([`Target::NameAtDigest`]): the reference implementation (devcontainers/cli `getRef`) reads an id as
//!   `name:tag` or `name@digest`, never both, so the tag is dropped even under `--keep-tag` or
//!   `--tag-comment`. Skipped: local features (`./x`), tarball URLs, and ids without a registry host (legacy
//!   short ids such as `node`, which the tooling maps itself).
//! * Images in `dockerComposeFile` setups (the compose file is read as a compose file), in `runArgs`,
//!   `initializeCommand` or other strings; an `image` below the top level.

use super::json::parse;
use super::yaml::tree::{NodeId, Tree};
use super::yaml::{findings, image_value};
use super::{is_ignore_comment, Candidate, FindError, FindOptions, Findings, SkipReason, Target};

/// The skip reason of an `image` beside `build`.
pub const BUILT: &str =
    "the dev container is built from a Dockerfile (`build`); `image` is not pulled";

/// The skip reason of a local feature.
pub const LOCAL_FEATURE: &str = "a local feature (a directory beside the configuration)";
/// The skip reason of a feature fetched as a tarball.
pub const TARBALL_FEATURE: &str = "a feature tarball URL, not an OCI reference";
/// The skip reason of a feature id without a registry.
pub const SHORT_FEATURE: &str =
    "a feature id without a registry host (a legacy short id the tooling maps itself)";

/// Finds the image of a dev container configuration, features left alone. See the module documentation.
pub fn find(src: &str) -> Result<Findings, FindError> {
    find_with(src, &FindOptions::default())
}

/// Finds the image of a dev container configuration, and its features when `options` ask for them.
pub fn find_with(src: &str, options: &FindOptions) -> Result<Findings, FindError> {
    let json = parse(src)?;
    let tree = &json.tree;
    let mut found = Vec::new();
    if let Some(root) = json.root().filter(|&r| tree.mapping(r).is_some()) {
        if let Some(mut candidate) = tree.get(root, "image").and_then(|v| image_value(tree, v)) {
            let built = ["build", "dockerFile", "dockerfile"]
                .iter()
                .any(|key| tree.get(root, key).is_some());
            if candidate.skip.is_none() && built {
                candidate.skip = Some(SkipReason::BuiltHere(BUILT));
            }
            found.push(candidate);
        }
        if options.devcontainer_features {
            features(tree, root, &mut found);
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

/// The feature ids of the top-level `features` object, when features are pinned (see the module
/// documentation): each key is a candidate written back as `name@digest`.
fn features(tree: &Tree, root: NodeId, out: &mut Vec<Candidate>) {
    let Some(features) = tree.get(root, "features").map(|f| tree.resolve(f)) else {
        return;
    };
    for &(key, _) in tree.pairs(features) {
        let Some(mut candidate) = image_value(tree, key) else {
            continue;
        };
        candidate.target = Target::NameAtDigest;
        if candidate.skip.is_none() {
            candidate.skip = feature_skip(&candidate.value).map(SkipReason::fixed);
        }
        out.push(candidate);
    }
}

/// Why a feature id is not an OCI reference `pin` can resolve: a local path, a tarball URL, or a legacy
/// short id (`node`) without a registry, which the tooling maps on its own.
fn feature_skip(id: &str) -> Option<&'static str> {
    if id.starts_with("./") || id.starts_with("../") || id.starts_with('/') {
        return Some(LOCAL_FEATURE);
    }
    if id.starts_with("https://") || id.starts_with("http://") {
        return Some(TARBALL_FEATURE);
    }
    let mut parts = id.split('/');
    let registry = parts.next().unwrap_or_default();
    let explicit = registry.contains('.') || registry.contains(':') || registry == "localhost";
    (!explicit || parts.count() < 2).then_some(SHORT_FEATURE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::{check_spans, testing};

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
        assert_eq!(
            testing::only(src, find)
                .skip
                .as_ref()
                .map(ToString::to_string)
                .as_deref(),
            Some(BUILT)
        );
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

    fn with_features(src: &str) -> Vec<(String, Option<String>, Target)> {
        let f = find_with(
            src,
            &FindOptions {
                devcontainer_features: true,
                ..FindOptions::default()
            },
        )
        .unwrap();
        assert!(check_spans(src, &f).is_ok());
        f.candidates
            .into_iter()
            .map(|c| {
                if c.skip.is_none() {
                    assert_eq!(&src[c.span.clone()], c.value);
                }
                (c.value, c.skip.map(|s| s.to_string()), c.target)
            })
            .collect()
    }

    #[test]
    fn features_only_when_asked() {
        let src = "{\n  \"image\": \"base:1\",\n  \"features\": {\n    \"ghcr.io/devcontainers/features/node:1\": {},\n    \"ghcr.io/devcontainers/features/go@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": \"1.22\",\n    \"./local-feature\": {},\n    \"https://example.com/f/devcontainer-feature-x.tgz\": {},\n    \"node\": \"lts\",\n    \"ghcr.io/x\": {},\n    \"localhost:5000/team/features/tool:2\": {}\n  }\n}\n";
        assert_eq!(testing::pinnable(src, find), ["base:1"]);
        let n = Target::NameAtDigest;
        assert_eq!(
            with_features(src),
            [
                ("base:1".to_owned(), None, Target::Reference),
                ("ghcr.io/devcontainers/features/node:1".to_owned(), None, n.clone()),
                (
                    "ghcr.io/devcontainers/features/go@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".to_owned(),
                    None,
                    n.clone()
                ),
                ("./local-feature".to_owned(), Some(LOCAL_FEATURE.to_owned()), n.clone()),
                (
                    "https://example.com/f/devcontainer-feature-x.tgz".to_owned(),
                    Some(TARBALL_FEATURE.to_owned()),
                    n.clone()
                ),
                ("node".to_owned(), Some(SHORT_FEATURE.to_owned()), n.clone()),
                ("ghcr.io/x".to_owned(), Some(SHORT_FEATURE.to_owned()), n.clone()),
                ("localhost:5000/team/features/tool:2".to_owned(), None, n),
            ]
        );
        // Features of a built container are pinned too (they are installed on top of the built image).
        let built =
            r#"{"build": {"dockerfile": "Dockerfile"}, "features": {"ghcr.io/a/b/c:1": {}}}"#;
        assert_eq!(with_features(built).len(), 1);
        assert!(with_features(r#"{"features": []}"#).is_empty());
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
