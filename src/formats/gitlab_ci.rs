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
use super::{Candidate, FindError, Findings};

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
        candidate.skip = variables_skip(&candidate.value, "GitLab CI");
    }
    Some(candidate)
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
