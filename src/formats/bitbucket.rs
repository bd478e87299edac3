//! Bitbucket Pipelines finder: the build and service images of a `bitbucket-pipelines.yml`.
//!
//! # What is found
//!
//! * the top-level `image` (the default build image of every step);
//! * the `image` of every step: every `step:` mapping anywhere in the file, so steps under
//!   `pipelines.default`, `branches`, `tags`, `bookmarks`, `pull-requests`, `custom`, inside `parallel` and
//!   `stage` groups, and steps defined once under `definitions` (`- step: &build {…}`, reused with `*build`
//!   or `<<: *build`);
//! * the `image` of every service under `definitions.services` (`postgres: {image: postgres:16}`);
//! * a pipe given as an image, `pipe: docker://<image>`, in a step's `script` or `after-script`: the span
//!   and value are the reference after `docker://`, which stays.
//!
//! Each may be a string (`image: node:22`) or a mapping with `name` and registry credentials (`image: {name:
//! acct.dkr.ecr.region.amazonaws.com/app:1, aws: {…}}`, `username`, `password`, `run-as-user`); the candidate
//! is the string, or the mapping's `name`. Steps and services are read with merge keys applied, and an alias
//! stands for the anchored scalar, reported where it is written and once.
//!
//! Reported with [`Candidate::skip`] set: a value with variables (`$AWS_ACCOUNT.dkr.ecr…`, `${TAG}`), naming
//! them; an empty value, and one whose bytes are not its text.
//!
//! The generic YAML rule does not apply to these files: it misses the `{name: …}` form.
//!
//! # What is not found
//!
//! * other `pipe:` references (`atlassian/aws-s3-deploy:1.1.0` names a pipe of Bitbucket's catalogue, whose
//!   image Bitbucket looks up itself);
//! * a step's `services: [docker, postgres]` (names of the services defined above), `caches`, images inside
//!   `script` lines (`docker build -t …`), `variables`.
//!
//! # Limitations
//!
//! * Variables are not expanded.
//! * [`Candidate::pull_policy_set`] is always `None`.

use super::yaml::tree::{NodeId, Tree};
use super::yaml::{docker_value, find_reading, image_value, variables_skip, Reads};
use super::{Candidate, FindError, Findings};

/// Finds the images of a Bitbucket Pipelines file. See the module documentation.
pub fn find(src: &str) -> Result<Findings, FindError> {
    find_reading(src, &READS, collect)
}

/// The keys [`collect`] reads.
const READS: Reads = Reads {
    whole: &["image", "pipe"],
    keys: &["after-script", "definitions", "script", "services", "step"],
    whole_if: None,
};

fn collect(tree: &Tree, out: &mut Vec<Candidate>) {
    for root in tree.mapping_documents() {
        image_of(tree, root, out);
        if let Some(definitions) = tree.mapping_at(root, "definitions") {
            for service in tree.mappings_under(definitions, "services") {
                image_of(tree, service, out);
            }
        }
    }
    // Every `step:` mapping, wherever it is written.
    for map in tree.walk() {
        for &(key, value) in tree.pairs(map) {
            if !tree.is_key(key, "step") {
                continue;
            }
            let step = tree.resolve(value);
            if tree.mapping(step).is_some() {
                image_of(tree, step, out);
                docker_pipes(tree, step, out);
            }
        }
    }
}

/// The `pipe: docker://image` items of a step's `script` and `after-script`: the reference after the scheme.
fn docker_pipes(tree: &Tree, step: NodeId, out: &mut Vec<Candidate>) {
    for list in ["script", "after-script"] {
        let Some(script) = tree.lookup(step, list).map(|s| tree.resolve(s)) else {
            continue;
        };
        for &item in tree.items(script) {
            let item = tree.resolve(item);
            if tree.mapping(item).is_none() {
                continue;
            }
            let pipe = tree.lookup(item, "pipe");
            if let Some(mut candidate) = pipe.and_then(|pipe| docker_value(tree, pipe)) {
                if candidate.skip.is_none() {
                    candidate.skip = variables_skip(&candidate.value, "Bitbucket Pipelines");
                }
                out.push(candidate);
            }
        }
    }
}

/// The `image` of the top level, a step or a service: a string or a mapping's `name`.
fn image_of(tree: &Tree, holder: NodeId, out: &mut Vec<Candidate>) {
    let Some(image) = tree.lookup(holder, "image").map(|i| tree.resolve(i)) else {
        return;
    };
    let image = if tree.mapping(image).is_some() {
        match tree.lookup(image, "name") {
            Some(name) => name,
            None => return,
        }
    } else {
        image
    };
    if let Some(mut candidate) = image_value(tree, image) {
        if candidate.skip.is_none() {
            candidate.skip = variables_skip(&candidate.value, "Bitbucket Pipelines");
        }
        out.push(candidate);
    }
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
        let src = r#"image: atlassian/default-image:4
definitions:
  services:
    postgres:
      image: postgres:16 # db
      variables: {POSTGRES_DB: x}
    private:
      image:
        name: 'ghcr.io/acme/svc:1'
        username: $USER
        password: $PASS
    docker:
      memory: 2048
  steps:
    - step: &build
        name: Build
        image: {name: "node:22", run-as-user: 1000}
        script: [npm ci]
pipelines:
  default:
    - step: *build
    - parallel:
        - step:
            image: python:3.12
            services: [postgres, docker]
            script: [docker build -t not:1 .]
        - step:
            script:
              - pipe: atlassian/aws-s3-deploy:1.1.0
              - pipe: docker://acme/pipe:1
  branches:
    main:
      - stage:
          name: s
          steps:
            - step:
                <<: *build
                name: Again
      - step:
          image:
            name: acct.dkr.ecr.us-east-1.amazonaws.com/app:2
            aws: {oidc-role: arn}
"#;
        assert_eq!(
            pinnable(src),
            [
                "atlassian/default-image:4",
                "postgres:16",
                "ghcr.io/acme/svc:1",
                "node:22",
                "python:3.12",
                "acme/pipe:1",
                "acct.dkr.ecr.us-east-1.amazonaws.com/app:2"
            ]
        );
        let c = &find(src).unwrap().candidates[3];
        assert_eq!(&src[c.span.start - 1..c.span.end + 1], "\"node:22\"");
    }

    #[test]
    fn docker_pipes() {
        // The shape of the pipe's documented use (ccideas/cyclonedx-npm-pipe), a named pipe item (as
        // ariga's atlas-action documents it), an anchored step and `after-script`.
        let src = r#"definitions:
  steps:
    - step: &sbom
        name: Gen CycloneDX sBom
        caches:
          - node
        script:
          - pipe: docker://ccideas/cyclonedx-npm-pipe:prod-1.0.37
            variables:
              IGNORE_NPM_ERRORS: 'true' # optional
        after-script:
          - name: Plan schema changes
            pipe: "docker://arigaio/atlas-action:v1"
pipelines:
  default:
    - step: *sbom
    - step:
        <<: *sbom
        name: again
    - step:
        script:
          - pipe: atlassian/aws-s3-deploy:1.1.0
          - pipe: docker://$REGISTRY/pipe:1
          - echo pipe: docker://not:1
          - pipe: docker://
        image: pipe
"#;
        let got = found(src);
        assert_eq!(
            got.iter()
                .map(|c| (c.0, c.2.as_deref()))
                .collect::<Vec<_>>(),
            [
                ("ccideas/cyclonedx-npm-pipe:prod-1.0.37", None),
                ("arigaio/atlas-action:v1", None),
                (
                    "$REGISTRY/pipe:1",
                    Some("uses variable REGISTRY, interpolated by Bitbucket Pipelines")
                ),
                ("", Some("empty value")),
                ("pipe", None),
            ]
        );
        let pinned = crate::formats::testing::only("pipelines:\n  default:\n    - step:\n        script:\n          - pipe: docker://acme/p:1\n", find);
        assert_eq!(pinned.value, "acme/p:1");
        // Found when `docker://` is the file's only clue.
        assert!(crate::formats::Kind::Bitbucket.may_hold("pipelines:\n  default:\n    - step:\n        script:\n          - pipe: docker://acme/p:1\n"));
    }

    #[test]
    fn variables_crlf_and_ignore_comments() {
        let src = "image:\r\n  name: $AWS_ACCOUNT.dkr.ecr.${REGION}.amazonaws.com/build:1\r\n  aws:\r\n    access-key: $K\r\npipelines:\r\n  custom:\r\n    x:\r\n      - step:\r\n          image: alpine:3.20 # pin: ignore\r\n      - step:\r\n          image: ''\r\n";
        let findings = find(src).unwrap();
        assert_eq!(findings.ignore_comments.len(), 1);
        let got = found(src);
        assert_eq!(
            got[0].2.as_deref(),
            Some("uses variables AWS_ACCOUNT, REGION, interpolated by Bitbucket Pipelines")
        );
        assert_eq!(got[1].0, "alpine:3.20");
        assert_eq!(got[1].2, None);
        assert_eq!(got[2].2.as_deref(), Some("empty value"));
    }

    #[test]
    fn odd_shapes_are_not_errors() {
        for src in [
            "",
            "pipelines: {}\n",
            "image:\n",
            "image: {username: x}\n",
            "pipelines:\n  default:\n    - step: x\n    - step:\n        image: [a]\n",
            "- image: a:1\n",
            "definitions:\n  services: [a]\n",
        ] {
            assert_eq!(pinnable(src), Vec::<&str>::new(), "{src:?}");
        }
    }
}
