//! ko finder: the base images of a `.ko.yaml`.
//!
//! # What is found
//!
//! ko (ko-build/ko) reads its configuration with viper from `.ko.yaml` (or `.ko.yml`) in the working directory.
//! Two keys name the images it builds on, both as image references (`name.ParseReference`):
//!
//! * `defaultBaseImage`: the base of every image;
//! * every value of the `baseImageOverrides` mapping (import path → base image).
//!
//! viper's keys are case-insensitive (`DefaultBaseImage` is the same key), and so is the lookup here. Only the
//! first YAML document is read, as viper reads it; merge keys and aliases are followed. The span is the
//! scalar's text (inside its quotes; comments and quoting kept).
//!
//! Reported skipped: a base image in `ko.local` (ko loads it from the local Docker daemon), an empty value,
//! and a scalar whose bytes differ from its value.
//!
//! # What is not found
//!
//! * Everything else of the file (`builds`, `defaultPlatforms`, ldflags templates), and `ko://` import paths,
//!   which belong in the manifests ko resolves (where they are no registry reference and are skipped).
//! * The `KO_DEFAULTBASEIMAGE` environment variable and a configuration named by `KO_CONFIG_PATH` under
//!   another file name (add it under `[files]` in `pin.toml` as a `ko` file name).

use super::yaml::tree::{NodeId, Tree};
use super::yaml::{find_with, image_value};
use super::{Candidate, FindError, Findings, SkipReason};

/// The skip reason of a base image ko takes from the local daemon.
pub const KO_LOCAL: &str = "a `ko.local` image, which ko loads from the local Docker daemon";

/// Finds the base images of a ko configuration. See the module documentation.
pub fn find(src: &str) -> Result<Findings, FindError> {
    find_with(src, collect)
}

fn collect(tree: &Tree, out: &mut Vec<Candidate>) {
    let Some(&root) = tree.documents().first() else {
        return;
    };
    let root = tree.resolve(root);
    if tree.mapping(root).is_none() {
        return;
    }
    for (key, value) in tree.entries(root) {
        let Some(name) = tree.str(key) else { continue };
        if name.eq_ignore_ascii_case("defaultBaseImage") {
            out.extend(base_image(tree, value));
        } else if name.eq_ignore_ascii_case("baseImageOverrides") {
            let overrides = tree.resolve(value);
            if tree.mapping(overrides).is_none() {
                continue;
            }
            for (_, image) in tree.entries(overrides) {
                out.extend(base_image(tree, image));
            }
        }
    }
}

/// The candidate of a base image value, skipped when ko does not pull it.
fn base_image(tree: &Tree, id: NodeId) -> Option<Candidate> {
    let mut candidate = image_value(tree, id)?;
    if candidate.skip.is_none()
        && (candidate.value == "ko.local" || candidate.value.starts_with("ko.local/"))
    {
        candidate.skip = Some(SkipReason::fixed(KO_LOCAL));
    }
    Some(candidate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing;

    #[test]
    fn default_base_image_and_overrides() {
        let src = "# ko\ndefaultBaseImage: cgr.dev/chainguard/static:latest  # the base\nbaseImageOverrides:\n  github.com/org/app/cmd/web: \"gcr.io/distroless/base:nonroot\"\n  github.com/org/app/cmd/cli: 'alpine:3.20'\nbuilds:\n- id: web\n  main: ./cmd/web\n  ldflags:\n  - -X main.version={{.Env.VERSION}}\n";
        assert_eq!(
            testing::pinnable(src, find),
            [
                "cgr.dev/chainguard/static:latest",
                "gcr.io/distroless/base:nonroot",
                "alpine:3.20"
            ]
        );
    }

    #[test]
    fn keys_are_case_insensitive_and_only_the_first_document_counts() {
        let src = "DefaultBaseImage: a:1\r\nbaseimageoverrides: {x: b:1}\r\n---\r\ndefaultBaseImage: c:1\r\n";
        assert_eq!(testing::pinnable(src, find), ["a:1", "b:1"]);
        let src = "x: &base {defaultBaseImage: a:1}\n<<: *base\n";
        assert_eq!(testing::pinnable(src, find), ["a:1"]);
    }

    #[test]
    fn what_is_not_a_base_image() {
        let src = "defaultBaseImage: ko.local/base:dev\nbaseImageOverrides:\n  a: ''\n  b: [x]\n  c:\nbuilds:\n- id: x\n  image: nope:1\ndefaultPlatforms: [linux/amd64]\n";
        let found = testing::found(src, find);
        let reasons: Vec<_> = found
            .iter()
            .map(|c| (c.1.as_str(), c.2.as_deref()))
            .collect();
        assert_eq!(
            reasons,
            [
                ("ko.local/base:dev", Some(KO_LOCAL)),
                ("", Some("empty value"))
            ]
        );
        assert!(testing::candidates("", find).is_empty());
        assert!(testing::candidates("- a\n", find).is_empty());
        assert!(testing::candidates("baseImageOverrides: x:1\n", find).is_empty());
        assert!(find("defaultBaseImage: [a\n").is_err());
    }
}
