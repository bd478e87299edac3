//! CircleCI finder: the Docker executor images of a CircleCI config (`.circleci/config.yml`, and any other
//! `.circleci/*.yml`, such as a dynamic configuration's `continue_config.yml`).
//!
//! # What is found
//!
//! The `image` of every item of a `docker:` list (the Docker executor: the first image is the primary
//! container, the others service containers), where CircleCI reads one:
//!
//! * in every job of `jobs` (`jobs.<name>.docker[*].image`);
//! * in every executor of `executors` (`executors.<name>.docker[*].image`);
//! * in the `jobs` and `executors` of an orb defined inline (`orbs.<name>: {executors: …, jobs: …}`).
//!
//! Jobs and executors are read with merge keys applied, and an alias stands for the anchored scalar,
//! reported where it is written and once.
//!
//! Reported with [`Candidate::skip`] set: a value with a parameter (`cimg/node:<< parameters.version >>`,
//! `<< pipeline.parameters.image >>`), or with a `$` variable, which CircleCI does not expand in `image`; an
//! empty value, and one whose bytes are not its text.
//!
//! The generic YAML rule does not apply to these files: it would also take `machine: {image:
//! ubuntu-2204:2024.01.1}`, which names a CircleCI virtual machine image, not a container image.
//!
//! # What is not found
//!
//! * `machine.image` (a VM image), `macos.xcode`, `resource_class`;
//! * orbs used by reference (`node: circleci/node@5.1.0`: an orb version, not an image), and images inside
//!   `steps` (`run: docker pull …`), `parameters` defaults or `environment`.
//!
//! # Limitations
//!
//! * Parameters are not expanded, not even an executor parameter's `default`.
//! * Orbs used by reference are not fetched: their executors' images are not seen.
//! * [`Candidate::pull_policy_set`] is always `None`.

use super::yaml::tree::{NodeId, Tree};
use super::yaml::{find_reading, image_value, Reads};
use super::{Candidate, FindError, Findings, SkipReason};

/// Finds the Docker executor images of a CircleCI config. See the module documentation.
pub fn find(src: &str) -> Result<Findings, FindError> {
    find_reading(src, &READS, collect)
}

/// The keys [`collect`] reads.
const READS: Reads = Reads {
    whole: &["image"],
    keys: &["orbs", "jobs", "executors", "docker"],
    whole_if: None,
};

fn collect(tree: &Tree, out: &mut Vec<Candidate>) {
    for root in tree.mapping_documents() {
        config(tree, root, out);
        // Orbs defined inline have the jobs and executors of a config.
        if let Some(orbs) = tree.mapping_at(root, "orbs") {
            for (_, orb) in tree.entries(orbs) {
                let orb = tree.resolve(orb);
                if tree.mapping(orb).is_some() {
                    config(tree, orb, out);
                }
            }
        }
    }
}

/// The images of the jobs and executors of a config or inline orb.
fn config(tree: &Tree, at: NodeId, out: &mut Vec<Candidate>) {
    for section in ["jobs", "executors"] {
        for holder in tree.mappings_under(at, section) {
            docker_images(tree, holder, out);
        }
    }
}

/// `docker[*].image` of a job or executor.
fn docker_images(tree: &Tree, holder: NodeId, out: &mut Vec<Candidate>) {
    let Some(docker) = tree.lookup(holder, "docker") else {
        return;
    };
    for &item in tree.items(tree.resolve(docker)) {
        let item = tree.resolve(item);
        if tree.mapping(item).is_none() {
            continue;
        }
        let Some(mut candidate) = tree
            .lookup(item, "image")
            .and_then(|i| image_value(tree, i))
        else {
            continue;
        };
        if candidate.skip.is_none() {
            candidate.skip = parameters_skip(&candidate.value);
        }
        out.push(candidate);
    }
}

/// Why a value with a CircleCI parameter or a `$` is not an image to pin as written.
fn parameters_skip(value: &str) -> Option<SkipReason> {
    if let Some(start) = value.find("<<") {
        if let Some(len) = value[start..].find(">>") {
            let inner = value[start + 2..start + len].trim();
            let why = format!("uses parameter `{inner}`, substituted by CircleCI");
            return Some(SkipReason::Template(why.into()));
        }
    }
    value.contains('$').then_some(SkipReason::template(
        "contains `$`: CircleCI does not expand environment variables in `image`",
    ))
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
    fn jobs_executors_and_inline_orbs() {
        let src = r#"version: 2.1
orbs:
  node: circleci/node@5.1.0
  local:
    executors:
      tiny:
        docker: [{image: "busybox:1.36"}]
    jobs:
      hello:
        executor: tiny
        steps: [checkout]
executors:
  go:
    docker:
      - image: cimg/go:1.22 # primary
        auth:
          username: $USER
          password: $PASS
      - image: 'cimg/postgres:16.2'
        environment: {POSTGRES_USER: x, image: not:1}
jobs:
  build:
    docker:
      - image: cimg/base:2024.01
    steps:
      - run: docker pull not:2
  vm:
    machine:
      image: ubuntu-2204:2024.01.1
  mac:
    macos:
      xcode: 15.1.0
workflows:
  main:
    jobs: [build, vm]
"#;
        assert_eq!(
            pinnable(src),
            [
                "busybox:1.36",
                "cimg/go:1.22",
                "cimg/postgres:16.2",
                "cimg/base:2024.01"
            ]
        );
        let c = &find(src).unwrap().candidates[2];
        assert_eq!(
            &src[c.span.start - 1..c.span.end + 1],
            "'cimg/postgres:16.2'"
        );
    }

    #[test]
    fn parameters_and_variables_are_skipped() {
        let src = "executors:\n  node:\n    parameters:\n      tag: {type: string, default: '22.1'}\n    docker:\n      - image: cimg/node:<< parameters.tag >>\n      - image: << pipeline.parameters.db-image >>\n      - image: $REGISTRY/app:1\n      - image: ''\n";
        let got = found(src);
        assert_eq!(got.len(), 4);
        assert_eq!(
            got[0].2.as_deref(),
            Some("uses parameter `parameters.tag`, substituted by CircleCI")
        );
        assert_eq!(
            got[1].2.as_deref(),
            Some("uses parameter `pipeline.parameters.db-image`, substituted by CircleCI")
        );
        assert!(got[2].2.as_deref().unwrap().contains("does not expand"));
        assert_eq!(got[3].2.as_deref(), Some("empty value"));
    }

    #[test]
    fn anchors_merges_crlf_and_ignore_comments() {
        let src = "defaults: &defaults\r\n  docker:\r\n    - image: &img cimg/python:3.12\r\n  working_directory: ~/x\r\njobs:\r\n  a:\r\n    <<: *defaults\r\n  b:\r\n    docker:\r\n      - image: *img\r\n      # pin: ignore\r\n      - image: redis:7\r\n";
        let findings = find(src).unwrap();
        let got: Vec<_> = findings
            .candidates
            .iter()
            .map(|c| &src[c.span.clone()])
            .collect();
        assert_eq!(got, ["cimg/python:3.12", "redis:7"]);
        assert_eq!(findings.ignore_comments.len(), 1);
    }

    #[test]
    fn odd_shapes_are_not_errors() {
        for src in [
            "",
            "version: 2.1\n",
            "jobs: []\n",
            "jobs:\n  a:\n    docker: x\n",
            "jobs:\n  a:\n    docker: [x, [y], {auth: {}}]\n",
            "jobs:\n  a:\n    docker:\n      - image:\n",
            "docker:\n  - image: top:1\n",
            "orbs:\n  x: [1]\n",
        ] {
            assert_eq!(pinnable(src), Vec::<&str>::new(), "{src:?}");
        }
    }
}
