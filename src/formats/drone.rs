//! Drone and Woodpecker CI finders: the step and service images of a `.drone.yml` or a Woodpecker
//! workflow (`.woodpecker.yml`, `.woodpecker/*.yml`).
//!
//! # What is found
//!
//! The `image` of every step and service, in every document of the file (a Drone file holds one pipeline
//! per document):
//!
//! * `steps` and `services`, as a list of mappings (`- name: build` + `image: golang:1.22`, Drone and
//!   Woodpecker) or as a mapping of names to mappings (`build: {image: …}`, Woodpecker);
//! * Woodpecker's `clone` steps (`clone: {git: {image: woodpeckerci/plugin-git:2}}`), and the older
//!   `pipeline:` mapping of steps (Drone 0.8, Woodpecker before 1.0).
//!
//! Steps are read with merge keys applied, and an alias stands for the anchored scalar: Woodpecker's own
//! workflows name each image once in a `variables:` list (`- &golang_image 'docker.io/golang:1.27'`) and
//! write `image: *golang_image` in every step. The candidate is the anchored scalar, reported once.
//!
//! Reported with [`Candidate::skip`] set: a value with variables (`${CI_COMMIT_TAG}`, `$DRONE_TAG`; `$$` is
//! a literal `$`), naming them; an empty value, and one whose bytes are not its text.
//!
//! The generic YAML rule does not apply to these files: it reports an anchored scalar only where it is
//! itself an `image` value, so it misses every image written once in `variables:` and aliased.
//!
//! # What is not found
//!
//! * plugin `settings` (`repo:`, `tags:`: what a plugin builds or pushes; a `settings.image` means what the
//!   plugin makes of it), `environment`, `commands`, `when`, `matrix` values (reached through variables and
//!   skipped there), other documents (`kind: secret`, `kind: signature`).
//!
//! # Limitations
//!
//! * Variables and matrix values are not expanded.
//! * [`Candidate::pull_policy_set`] is always `None` (`pull: always` is not Kubernetes' policy).

use super::yaml::tree::{NodeId, Tree};
use super::yaml::{find_reading, image_value, variables_skip, Reads};
use super::{Candidate, FindError, Findings};

/// The keys that hold steps.
const STEP_KEYS: &[&str] = &["steps", "services", "clone", "pipeline"];

/// Finds the images of a Drone pipeline file. See the module documentation.
pub fn find_drone(src: &str) -> Result<Findings, FindError> {
    find_reading(src, &READS, |tree, out| collect(tree, out, "Drone"))
}

/// Finds the images of a Woodpecker workflow. See the module documentation.
pub fn find_woodpecker(src: &str) -> Result<Findings, FindError> {
    find_reading(src, &READS, |tree, out| collect(tree, out, "Woodpecker"))
}

/// The keys [`collect`] reads: [`STEP_KEYS`] and `image`.
const READS: Reads = Reads {
    whole: &["image"],
    keys: &["steps", "services", "clone", "pipeline"],
    whole_if: None,
};

fn collect(tree: &Tree, out: &mut Vec<Candidate>, tool: &'static str) {
    for root in tree.mapping_documents() {
        for key in STEP_KEYS {
            let Some(steps) = tree.lookup(root, key).map(|s| tree.resolve(s)) else {
                continue;
            };
            let steps: Vec<NodeId> = if tree.mapping(steps).is_some() {
                tree.entries(steps).into_iter().map(|(_, v)| v).collect()
            } else {
                tree.items(steps).to_vec()
            };
            for step in steps {
                let step = tree.resolve(step);
                if tree.mapping(step).is_none() {
                    continue;
                }
                let image = tree.lookup(step, "image");
                if let Some(mut candidate) = image.and_then(|i| image_value(tree, i)) {
                    if candidate.skip.is_none() {
                        candidate.skip = variables_skip(&candidate.value, tool);
                    }
                    out.push(candidate);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(src: &str) -> Vec<(&str, String, Option<String>)> {
        crate::formats::testing::found(src, find_woodpecker)
    }

    fn pinnable(src: &str) -> Vec<&str> {
        crate::formats::testing::pinnable(src, find_woodpecker)
    }

    #[test]
    fn drone_documents_steps_and_services() {
        let src = "kind: pipeline\ntype: docker\nname: default\nsteps:\n- name: test\n  image: golang:1.22 # c\n  commands: [go test ./...]\n- name: publish\n  image: plugins/docker\n  settings:\n    repo: not/built\n    image: not/a-setting:1\nservices:\n- name: db\n  image: 'postgres:16'\n---\nkind: pipeline\ntype: exec\nname: host\nsteps:\n- name: x\n  commands: [make]\n---\nkind: secret\nname: token\nget: {path: p, name: n}\n";
        assert_eq!(
            crate::formats::testing::pinnable(src, find_drone),
            ["golang:1.22", "plugins/docker", "postgres:16"]
        );
    }

    #[test]
    fn woodpecker_maps_clone_and_aliases() {
        let src = "variables:\n  - &golang_image 'docker.io/golang:1.27'\n  - &when {event: push}\nclone:\n  git:\n    image: woodpeckerci/plugin-git:2\nsteps:\n  vendor:\n    image: *golang_image\n    commands: [go mod vendor]\n  lint:\n    image: *golang_image\n    when: *when\n  web:\n    image: docker.io/node:24-alpine\nservices:\n  database:\n    image: mysql:8\n";
        assert_eq!(
            pinnable(src),
            [
                "docker.io/golang:1.27",
                "woodpeckerci/plugin-git:2",
                "docker.io/node:24-alpine",
                "mysql:8"
            ]
        );
        let c = &find_woodpecker(src).unwrap().candidates[0];
        let at = src.find("docker.io/golang").unwrap();
        assert_eq!(c.span, at..at + "docker.io/golang:1.27".len());
        // The generic rule misses the aliased image.
        let generic = crate::formats::yaml::find(src).unwrap();
        assert!(generic
            .candidates
            .iter()
            .all(|c| c.value != "docker.io/golang:1.27"));
    }

    #[test]
    fn old_pipeline_syntax_and_variables() {
        let src = "pipeline:\n  build:\n    image: golang:${GO_VERSION}\n  publish:\n    image: plugins/docker:$${NOT_A_VAR}\n  empty:\n    image: ''\nmatrix:\n  GO_VERSION: [1.21, 1.22]\n";
        let got = found(src);
        assert_eq!(got.len(), 3);
        assert_eq!(
            got[0].2.as_deref(),
            Some("uses variable GO_VERSION, interpolated by Woodpecker")
        );
        assert_eq!(got[1].2, None);
        assert_eq!(got[2].2.as_deref(), Some("empty value"));
    }

    #[test]
    fn crlf_merges_and_ignore_comments() {
        let src = "x-step: &base\r\n  image: alpine:3.20\r\nsteps:\r\n  - name: a\r\n    <<: *base\r\n  - name: b\r\n    # pin: ignore\r\n    image: busybox:1\r\n";
        let findings = find_drone(src).unwrap();
        let texts: Vec<_> = findings
            .candidates
            .iter()
            .map(|c| &src[c.span.clone()])
            .collect();
        assert_eq!(texts, ["alpine:3.20", "busybox:1"]);
        assert_eq!(findings.ignore_comments.len(), 1);
    }

    #[test]
    fn odd_shapes_are_not_errors() {
        for src in [
            "",
            "kind: pipeline\n",
            "steps: x\n",
            "steps: [1, [a], {image: {a: b}}]\n",
            "steps:\n  a: 1\n  b:\n    image:\n",
            "image: top:1\n",
            "- image: a:1\n",
        ] {
            assert_eq!(pinnable(src), Vec::<&str>::new(), "{src:?}");
        }
    }
}
