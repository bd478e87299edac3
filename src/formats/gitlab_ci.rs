//! GitLab CI finder: the `image` and `services` of a `.gitlab-ci.yml` (or `*.gitlab-ci.yml`).
//!
//! # What is found
//!
//! `image` and every entry of `services`, at the top level (the old global defaults), under
//! `default:`, and in every job: every other top-level key whose value is a mapping, hidden jobs
//! (`.template:`) included, as their keywords reach real jobs through `extends`, `!reference` and
//! anchors. Each may be written
//!
//! * as a string: `image: ruby:3.3`, `services: [docker:dind]`;
//! * as a mapping's `name`: `image: {name: gcr.io/kaniko-project/executor:debug, entrypoint: [""]}`,
//!   `services: [{name: postgres:16, alias: db}]`.
//!
//! Jobs are read with merge keys applied (`<<: *defaults`), and an alias (`image: *img`) stands for the
//! anchored scalar; either way the candidate is the scalar where it is written, reported once. A value
//! that uses CI/CD variables (`$CS_ANALYZER_IMAGE$CS_IMAGE_SUFFIX`,
//! `${REGISTRY_HOST}/group/image:postgres-${PG_VERSION}`) is reported with [`Candidate::skip`] naming
//! them; so is an empty value or one whose bytes are not its text.
//!
//! # GitLab's dependency proxy
//!
//! An image pulled through the dependency proxy, a pull-through cache of Docker Hub, is written after one of
//! GitLab's predefined variables: `${CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX}/alpine:3.20`,
//! `$CI_DEPENDENCY_PROXY_DIRECT_GROUP_IMAGE_PREFIX/alpine:3.20` (the prefixes of the top-level and of the
//! direct group, each ending in `/dependency_proxy/containers`), or
//! `$CI_DEPENDENCY_PROXY_SERVER/my-group/dependency_proxy/containers/alpine:3.20` (the server, then a group path
//! as GitLab's documentation writes it, which may itself use variables). The candidate is the rest (`alpine:3.20`,
//! a Docker Hub name), spanned after the prefix: it is resolved at Docker Hub, whose digest the proxy serves
//! unchanged, and the prefix stays as written. A rest with variables of its own, or naming another registry
//! (`ghcr.io/x/y`: the proxy serves Docker Hub only), is skipped.
//!
//! # What is not found
//!
//! * The keys that are not jobs: `variables` (even an image-looking `QEMU_IMAGE: …`), `stages`,
//!   `include`, `workflow`, `spec` (a CI component's header document), `cache`, `before_script`,
//!   `after_script`; and within jobs anything but `image` and `services` (`script` lines such as
//!   `docker pull x`, `variables`, `rules`).
//! * Custom tags: `!reference [.x, image]` and `- !reference [.db-services, services]` are sequences
//!   to GitLab's YAML reader, not images (the file still reads: tags are recorded, never applied); the
//!   images they point at are reported where they are written.
//!
//! # Limitations
//!
//! * `extends:` and `include:` are not followed; images in included files are found when those files
//!   are read themselves (if they are named `*.gitlab-ci.yml`).
//! * Variables are not expanded, not even those defined in the same file's `variables:`.
//! * The parser is strict YAML 1.2: a mapping with two `<<` keys is accepted (as GitLab does), but
//!   other constructs GitLab's reader tolerates may be a [`FindError`].
//! * [`Candidate::pull_policy_set`] is always `None` (GitLab's `pull_policy` is a runner setting).

use super::yaml::tree::{NodeId, Tree};
use super::yaml::{find_reading, image_value, variables_skip, Reads};
use super::{Candidate, FindError, Findings, SkipReason};

/// Top-level keys that are not jobs, and hold no images except as noted in [`collect`].
const NOT_JOBS: &[&str] = &[
    "default",
    "include",
    "stages",
    "variables",
    "workflow",
    "spec",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
];

/// Finds the images of a GitLab CI file. See the module documentation.
pub fn find(src: &str) -> Result<Findings, FindError> {
    find_reading(src, &READS, collect)
}

/// The keys [`collect`] reads: a job without `image` or `services` (its own or merged) adds nothing.
const READS: Reads = Reads {
    whole: &["image", "services"],
    keys: &["default"],
    whole_if: None,
};

fn collect(tree: &Tree, out: &mut Vec<Candidate>) {
    for root in tree.mapping_documents() {
        // The top level itself carries the old global `image` and `services`.
        images_of(tree, root, out);
        for (key, value) in tree.entries(root) {
            let value = tree.resolve(value);
            if tree.mapping(value).is_none() {
                continue;
            }
            match tree.str(key) {
                Some("default") => images_of(tree, value, out),
                Some(name) if NOT_JOBS.contains(&name) => {}
                _ => images_of(tree, value, out),
            }
        }
    }
}

/// The `image` and `services` of a job (or of `default`, or of the top level).
fn images_of(tree: &Tree, job: NodeId, out: &mut Vec<Candidate>) {
    if let Some(image) = tree.lookup(job, "image") {
        out.extend(named_image(tree, image));
    }
    if let Some(services) = tree.lookup(job, "services") {
        for &service in tree.items(tree.resolve(services)) {
            out.extend(named_image(tree, service));
        }
    }
}

/// A string, or the `name` of a mapping.
fn named_image(tree: &Tree, id: NodeId) -> Option<Candidate> {
    let id = tree.resolve(id);
    let image = if tree.mapping(id).is_some() {
        tree.lookup(id, "name")?
    } else {
        id
    };
    let mut candidate = image_value(tree, image)?;
    if candidate.skip.is_none() {
        if let Some(prefix) = dependency_proxy_prefix(&candidate.value) {
            return Some(through_dependency_proxy(candidate, prefix));
        }
        candidate.skip = variables_skip(&candidate.value, "GitLab CI");
    }
    Some(candidate)
}

/// The variables GitLab sets to the dependency proxy's image prefix, which ends in `/dependency_proxy/containers`.
const PROXY_PREFIXES: [&str; 2] = [
    "CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX",
    "CI_DEPENDENCY_PROXY_DIRECT_GROUP_IMAGE_PREFIX",
];

/// The variable GitLab sets to the dependency proxy's server (`gitlab.example.com:443`), which a group path and
/// `/dependency_proxy/containers/` follow.
const PROXY_SERVER: &str = "CI_DEPENDENCY_PROXY_SERVER";

/// The length of the dependency proxy prefix that `value` starts with, through its last `/`, if it starts with
/// one: `${CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX}/` or `$CI_DEPENDENCY_PROXY_DIRECT_GROUP_IMAGE_PREFIX/` (braces
/// or not), or `$CI_DEPENDENCY_PROXY_SERVER/` + a group path (which may use variables) +
/// `/dependency_proxy/containers/`. What follows is an image of Docker Hub.
fn dependency_proxy_prefix(value: &str) -> Option<usize> {
    let rest = value.strip_prefix('$')?;
    let (name, after) = match rest.strip_prefix('{') {
        Some(braced) => {
            let (name, after) = braced.split_once('}')?;
            (name, after)
        }
        None => {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            rest.split_at(end)
        }
    };
    let after = after.strip_prefix('/')?;
    let at = value.len() - after.len();
    if PROXY_PREFIXES.contains(&name) {
        return Some(at);
    }
    if name != PROXY_SERVER {
        return None;
    }
    const CONTAINERS: &str = "/dependency_proxy/containers/";
    let group_end = after.find(CONTAINERS).filter(|&end| end > 0)?;
    Some(at + group_end + CONTAINERS.len())
}

/// The candidate for an image pulled through GitLab's dependency proxy, whose value starts with the proxy's
/// prefix (`prefix` bytes long): the rest, a Docker Hub image, resolved at Docker Hub (the proxy serves the same
/// manifests, so the digest is the same) and pinned after the prefix, which stays as written. A rest that uses
/// variables, names another registry or is empty is skipped.
fn through_dependency_proxy(mut candidate: Candidate, prefix: usize) -> Candidate {
    let rest = &candidate.value[prefix..];
    let first = rest.split('/').next().unwrap_or_default();
    let skip = if rest.is_empty() {
        Some(SkipReason::fixed(
            "an empty image after the dependency proxy's prefix",
        ))
    } else if let Some(why) = variables_skip(rest, "GitLab CI") {
        Some(why)
    } else if rest.contains('/') && (first.contains(['.', ':']) || first == "localhost") {
        Some(SkipReason::NotPinnable(
            format!(
                "the dependency proxy serves Docker Hub images, and {first} is another registry"
            )
            .into(),
        ))
    } else {
        None
    };
    if skip.is_some() {
        candidate.skip = skip;
        return candidate;
    }
    candidate.value = rest.to_owned();
    candidate.span.start += prefix;
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(src: &str) -> Vec<(&str, String, Option<String>)> {
        crate::formats::testing::found(src, find)
    }

    fn pinnable(src: &str) -> Vec<&str> {
        crate::formats::testing::pinnable(src, find)
    }

    #[test]
    fn every_place_and_form() {
        let src = r#"image: ruby:3.3
services:
  - postgres:16
variables:
  QEMU_IMAGE: tonistiigi/binfmt:qemu-v7
  image: not:1
stages: [build]
include:
  - template: Jobs/Build.gitlab-ci.yml
default:
  image: 'alpine:3.20'
  services: [{name: "docker:dind", alias: docker}]
build:
  image:
    # comment between
    name: gcr.io/kaniko-project/executor:debug
    entrypoint: [""]
  services:
    - docker:24-dind
    - name: redis:7
      command: ["redis-server"]
  script:
    - docker pull not:2
.hidden:
  image: debian:13-slim
workflow:
  rules: [{if: $X}]
"#;
        assert_eq!(
            pinnable(src),
            [
                "ruby:3.3",
                "postgres:16",
                "alpine:3.20",
                "docker:dind",
                "gcr.io/kaniko-project/executor:debug",
                "docker:24-dind",
                "redis:7",
                "debian:13-slim"
            ]
        );
        let c = &find(src).unwrap().candidates[2];
        assert_eq!(c.span, 191..202);
        assert_eq!(&src[c.span.start - 1..c.span.end + 1], "'alpine:3.20'");
    }

    #[test]
    fn references_anchors_and_merges() {
        let src = r#".ruby: &ruby
  image: ruby:3.3
.pg: &pg
  name: postgres:14
job1:
  <<: *ruby
  services:
    - *pg
    - !reference [.redis-services, services]
job2:
  image: !reference [.ruby, image]
  script: !reference [.setup, script]
job3:
  <<: *ruby
  services: [*pg]
"#;
        let got = found(src);
        assert_eq!(
            got.iter().map(|c| c.0).collect::<Vec<_>>(),
            ["ruby:3.3", "postgres:14"]
        );
    }

    #[test]
    fn two_merge_keys_in_one_mapping() {
        // As in f-droid's CI: GitLab accepts a repeated `<<`, strict YAML 1.2 would not.
        let src = ".rules: &rules\n  rules: [{changes: [x]}]\n.apt: &apt\n  image: debian:13-slim\n  before_script: [echo Gültige]\njob:\n  <<: *rules\n  <<: *apt\n  services:\n    - name: docker:dind\nother:\n  <<: *apt\n  image: fedora:43  # trailing comment\n";
        assert_eq!(
            pinnable(src),
            ["debian:13-slim", "docker:dind", "fedora:43"]
        );
    }

    #[test]
    fn variables_are_skipped() {
        let src = "container_scanning:\n  image: \"$CS_ANALYZER_IMAGE$CS_IMAGE_SUFFIX\"\n  services:\n    - name: ${REGISTRY_HOST}/${REGISTRY_GROUP}/gitlab-build-images:postgres-${PG_VERSION}-pgvector-0.4.1\n    - name: redis:${REDIS_VERSION}-alpine\n  variables:\n    CS_ANALYZER_IMAGE: \"$CI_TEMPLATE_REGISTRY_HOST/security-products/container-scanning:7\"\n";
        let got = found(src);
        assert_eq!(got.len(), 3);
        assert_eq!(
            got[0].2.as_deref(),
            Some("uses variables CS_ANALYZER_IMAGE, CS_IMAGE_SUFFIX, interpolated by GitLab CI")
        );
        assert!(got[1].2.as_deref().unwrap().contains("PG_VERSION"));
        assert!(got[2].2.as_deref().unwrap().contains("REDIS_VERSION"));
    }

    #[test]
    fn images_through_the_dependency_proxy_are_the_rest_after_the_prefix() {
        let src = "image: ${CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX}/alpine:3.20\r\nbuild:\r\n  image: \"$CI_DEPENDENCY_PROXY_DIRECT_GROUP_IMAGE_PREFIX/library/node:22\" # c\r\n  services:\r\n    - name: ${CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX}/docker:24-dind\r\n      alias: docker\r\n    - $CI_DEPENDENCY_PROXY_SERVER/$CI_PROJECT_ROOT_NAMESPACE/dependency_proxy/containers/postgres:16\r\n    - ${CI_DEPENDENCY_PROXY_SERVER}/my-group/sub/dependency_proxy/containers/redis:7";
        let got = find(src).unwrap().candidates;
        let values: Vec<(&str, &str)> = got
            .iter()
            .map(|c| {
                assert_eq!(c.skip, None, "{c:?}");
                (c.value.as_str(), &src[c.span.clone()])
            })
            .collect();
        assert_eq!(
            values,
            [
                ("alpine:3.20", "alpine:3.20"),
                ("library/node:22", "library/node:22"),
                ("docker:24-dind", "docker:24-dind"),
                ("postgres:16", "postgres:16"),
                ("redis:7", "redis:7"),
            ]
        );
        // The prefix stays: each span starts right after the prefix's last `/`.
        for c in &got {
            assert!(src[..c.span.start].ends_with('/'), "{c:?}");
        }
    }

    #[test]
    fn the_dependency_proxy_rest_with_variables_or_another_registry_is_skipped() {
        let src = "a:\n  image: ${CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX}/node:${NODE_VERSION}\nb:\n  image: ${CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX}/ghcr.io/org/tool:1\nc:\n  image: ${CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX}/\nd:\n  image: $CI_DEPENDENCY_PROXY_SERVER/alpine:3.20\ne:\n  image: ${CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX_X}/alpine:3.20\nf:\n  image: ${CI_REGISTRY}/alpine:3.20\n";
        let got = found(src);
        let skips: Vec<&str> = got.iter().map(|c| c.2.as_deref().unwrap()).collect();
        assert_eq!(
            skips,
            [
                "uses variable NODE_VERSION, interpolated by GitLab CI",
                "the dependency proxy serves Docker Hub images, and ghcr.io is another registry",
                "an empty image after the dependency proxy's prefix",
                // The server without a group path is not the proxy's documented form.
                "uses variable CI_DEPENDENCY_PROXY_SERVER, interpolated by GitLab CI",
                "uses variable CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX_X, interpolated by GitLab CI",
                "uses variable CI_REGISTRY, interpolated by GitLab CI",
            ]
        );
        // A skipped value is reported whole, as written.
        assert_eq!(
            got[0].0,
            "${CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX}/node:${NODE_VERSION}"
        );
    }

    #[test]
    fn crlf_and_component_header() {
        let src = "spec:\r\n  inputs:\r\n    image:\r\n      default: not:1\r\n---\r\nlint:\r\n  image: node:22 # c\r\n  services:\r\n  - name: 'é:1'\r\n";
        let got = found(src);
        assert_eq!(
            got.iter().map(|c| c.0).collect::<Vec<_>>(),
            ["node:22", "é:1"]
        );
        let c = &find(src).unwrap().candidates[1];
        assert_eq!(c.span.start, src.find("é").unwrap());
    }

    #[test]
    fn odd_shapes_are_not_errors() {
        for src in [
            "",
            "stages: [a]\n",
            "job:\n  image:\n",
            "job:\n  image: {entrypoint: [x]}\n",
            "job:\n  services: x\n",
            "job: [1]\n",
            "- a\n",
        ] {
            assert_eq!(pinnable(src), Vec::<&str>::new(), "{src:?}");
        }
    }
}
