//! GitHub Actions finders: the images a workflow (`.github/workflows/*.yml`) runs, and the image of an
//! action's metadata file (`action.yml`, `action.yaml`).
//!
//! # What is found in a workflow
//!
//! In every job of `jobs`:
//!
//! * `container`, as a string (`container: node:20`) or as a mapping's `image`
//!   (`container: {image: node:20, options: …}`);
//! * `services.<name>.image`, or `services.<name>` itself when it is a string (`services: {postgres:
//!   postgres:16}`: the workflow schema's `container` is a string or a mapping, for services as for the job
//!   container);
//! * `steps[*].uses: docker://<image>`.
//!
//! The runner accepts a `docker://` prefix on `container` and service images too (`container:
//! docker://rust:1.90.0`): wherever a value starts with `docker://`, the candidate's span and value are the
//! reference after it (inside the quotes if the scalar is quoted), so it is pinned as
//! `docker://rust@sha256:…`.
//!
//! # What is found in an action's metadata
//!
//! * `runs.image` when it starts with `docker://` (a Docker container action using a published image);
//!   `runs.image: Dockerfile` (or any other path) names a Dockerfile the runner builds, and is not a
//!   candidate;
//! * `runs.steps[*].uses: docker://<image>` (a composite action's steps).
//!
//! An alias (`container: *c`, `image: *img`; GitHub accepts YAML anchors) stands for the anchored scalar,
//! reported where it is written and once. Values with expressions (`${{ matrix.image }}`,
//! `postgres:${{ matrix.pg }}`, `${{ … && matrix.search-image || '' }}`) are reported as written; the
//! reference classifier skips them as templates. An empty value (`image: ''`) is reported skipped.
//!
//! # What is not found
//!
//! * `image` or `image-name` inputs of actions (`with: {image: tonistiigi/binfmt@sha256:…}`), images in
//!   `env`, `strategy.matrix`, `run` scripts or `outputs`: GitHub does not pull them itself, and their
//!   meaning depends on the action or script.
//! * `uses:` of actions (`actions/checkout@v4`) and of reusable workflows (`jobs.<id>.uses`), which are
//!   not container images; a job whose id is `image` is a job like any other.
//!
//! # Limitations
//!
//! * Only top-level `jobs` is read, in every document (a workflow has one).
//! * A `docker://` reference whose scalar bytes are not its value (escapes, a line break) is reported
//!   skipped, with the whole scalar text as its span.
//! * [`Candidate::pull_policy_set`] is always `None`.

use super::yaml::tree::{NodeId, Tree};
use super::yaml::{docker_value, find_reading, image_value, Reads};
use super::{Candidate, FindError, Findings};

/// Finds the images of a GitHub Actions workflow. See the module documentation.
pub fn find(src: &str) -> Result<Findings, FindError> {
    find_reading(src, &WORKFLOW, collect)
}

/// The keys a workflow's finder reads.
const WORKFLOW: Reads = Reads {
    whole: &["container", "image", "services", "uses"],
    keys: &["jobs", "steps"],
    whole_if: None,
};

/// The keys an action metadata file's finder reads.
const ACTION: Reads = Reads {
    whole: &["image", "uses"],
    keys: &["runs", "steps"],
    whole_if: None,
};

/// Finds the image of an action's metadata file (`action.yml`). See the module documentation.
pub fn find_action(src: &str) -> Result<Findings, FindError> {
    find_reading(src, &ACTION, |tree, out| {
        for root in tree.mapping_documents() {
            let Some(runs) = tree.mapping_at(root, "runs") else {
                continue;
            };
            if let Some(image) = tree.lookup(runs, "image") {
                out.extend(docker_value(tree, image));
            }
            docker_steps(tree, runs, out);
        }
    })
}

fn collect(tree: &Tree, out: &mut Vec<Candidate>) {
    for root in tree.mapping_documents() {
        for job in tree.mappings_under(root, "jobs") {
            job_images(tree, job, out);
        }
    }
}

fn job_images(tree: &Tree, job: NodeId, out: &mut Vec<Candidate>) {
    if let Some(container) = tree.lookup(job, "container") {
        let container = tree.resolve(container);
        let image = if tree.mapping(container).is_some() {
            tree.lookup(container, "image")
        } else {
            Some(container)
        };
        out.extend(image.and_then(|image| image_or_docker(tree, image)));
    }
    if let Some(services) = tree.lookup(job, "services").map(|s| tree.resolve(s)) {
        if tree.mapping(services).is_some() {
            for (_, service) in tree.entries(services) {
                let image = if tree.mapping(tree.resolve(service)).is_some() {
                    tree.lookup(tree.resolve(service), "image")
                } else {
                    // `services: {postgres: postgres:16}`: the image alone, as for `container`.
                    Some(service)
                };
                out.extend(image.and_then(|image| image_or_docker(tree, image)));
            }
        }
    }
    docker_steps(tree, job, out);
}

/// `uses: docker://image` of every step of the job (or composite action's `runs`) `at`.
fn docker_steps(tree: &Tree, at: NodeId, out: &mut Vec<Candidate>) {
    if let Some(steps) = tree.lookup(at, "steps").map(|s| tree.resolve(s)) {
        for &step in tree.items(steps) {
            let step = tree.resolve(step);
            if tree.mapping(step).is_none() {
                continue;
            }
            let uses = tree.lookup(step, "uses");
            out.extend(uses.and_then(|uses| docker_value(tree, uses)));
        }
    }
}

/// An image as a job container or service states it: with or without `docker://`.
fn image_or_docker(tree: &Tree, id: NodeId) -> Option<Candidate> {
    docker_value(tree, id).or_else(|| image_value(tree, id))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(text of span, value, skipped)` of every candidate.
    fn found(src: &str) -> Vec<(&str, String, bool)> {
        crate::formats::testing::found(src, find)
            .into_iter()
            .map(|(t, v, s)| (t, v, s.is_some()))
            .collect()
    }

    fn texts(src: &str) -> Vec<&str> {
        found(src).into_iter().map(|c| c.0).collect()
    }

    #[test]
    fn containers_services_and_docker_steps() {
        let src = r#"on: push
jobs:
  a:
    runs-on: ubuntu-latest
    container: node:20-bookworm
    services:
      db:
        image: postgres:16 # comment
        ports: [5432]
      cache: {image: 'redis:7'}
    steps:
      - uses: actions/checkout@v4
      - uses: docker://alpine:3.20
      - name: quoted
        uses: "docker://ghcr.io/sudo-bmitch/version-bump:edge"
        with:
          image: not/an-input:1
  b:
    container:
      image: discourse/discourse_test:slim-browsers
      options: --user discourse
  image:
    uses: ./.github/workflows/reusable.yml
  c:
    uses: docker://not/a-job-uses:1
"#;
        assert_eq!(
            texts(src),
            [
                "node:20-bookworm",
                "postgres:16",
                "redis:7",
                "alpine:3.20",
                "ghcr.io/sudo-bmitch/version-bump:edge",
                "discourse/discourse_test:slim-browsers"
            ]
        );
        let c = &find(src).unwrap().candidates[3];
        let at = src.find("docker://alpine").unwrap() + "docker://".len();
        assert_eq!(c.span, at..at + "alpine:3.20".len());
    }

    #[test]
    fn expressions_are_reported_as_written() {
        let src = "jobs:\n  t:\n    container: discourse/discourse_test:${{ (github.repository == 'x') || 'y' }}\n    services:\n      search:\n        image: ${{ contains(matrix.search-image, 'elasticsearch') && matrix.search-image || '' }}\n      pg:\n        image: ''\n";
        let got = found(src);
        assert_eq!(
            got[0].1,
            "discourse/discourse_test:${{ (github.repository == 'x') || 'y' }}"
        );
        assert!(!got[0].2);
        assert_eq!(
            got[1].1,
            "${{ contains(matrix.search-image, 'elasticsearch') && matrix.search-image || '' }}"
        );
        assert!(got[2].2, "empty image");
        let status = crate::app::classify(&find(src).unwrap().candidates[0]);
        assert!(matches!(status, crate::app::Status::Skipped(_)));
    }

    #[test]
    fn services_written_as_strings() {
        let src = "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    services:\n      postgres: \"postgres:10\"\n      redis: docker://redis:7 # c\n      cache: &c memcached:1.6\n      again: *c\n      none: ''\n      nothing:\n      mysql:\n        image: mysql:8\n    steps:\n      - run: echo\n  other:\n    services: ${{ fromJSON(inputs.services) }}\n";
        assert_eq!(
            found(src),
            [
                ("postgres:10", "postgres:10".to_owned(), false),
                ("redis:7", "redis:7".to_owned(), false),
                ("memcached:1.6", "memcached:1.6".to_owned(), false),
                ("", "".to_owned(), true),
                ("mysql:8", "mysql:8".to_owned(), false),
            ]
        );
        // The prefilter lets such a file through: it holds none of `container`, `image` or `docker://`.
        let src = "jobs:\n  t:\n    services:\n      postgres: postgres:10\n";
        assert!(crate::formats::Kind::GithubActions.may_hold(src));
        assert_eq!(texts(src), ["postgres:10"]);
    }

    #[test]
    fn docker_scheme_on_containers_and_services() {
        let src = "jobs:\n  a:\n    container: docker://rust:1.90.0\n    services:\n      db: {image: 'docker://postgres:16'}\n  b:\n    container:\n      image: \"docker://ghcr.io/o/app:v1\"\n";
        assert_eq!(
            texts(src),
            ["rust:1.90.0", "postgres:16", "ghcr.io/o/app:v1"]
        );
        let c = &find(src).unwrap().candidates[0];
        assert_eq!(c.value, "rust:1.90.0");
        assert_eq!(c.span.start, src.find("rust").unwrap());
        assert!(matches!(
            crate::app::classify(c),
            crate::app::Status::Unpinned(_)
        ));
    }

    #[test]
    fn action_metadata() {
        fn found(src: &str) -> Vec<(&str, String, Option<String>)> {
            crate::formats::testing::found(src, find_action)
        }
        let src = "name: x\nruns:\n  using: docker\n  image: \"docker://nvuillam/github-dependents-info:v3.0.0\"\n  args: [--image, 'docker://not:1']\n";
        let got = found(src);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, "nvuillam/github-dependents-info:v3.0.0");
        // A Dockerfile path is built by the runner: not an image.
        for src in [
            "runs:\n  using: docker\n  image: Dockerfile\n",
            "runs:\n  using: docker\n  image: ./docker/Dockerfile\n",
            "runs:\n  using: node20\n  main: index.js\n",
            "image: docker://not-under-runs:1\n",
        ] {
            assert!(found(src).is_empty(), "{src:?}");
        }
        // Composite actions' steps.
        let src = "runs:\n  using: composite\n  steps:\n    - uses: docker://alpine:3.20\n    - uses: actions/checkout@v4\n    - run: echo docker://x:1\n      shell: bash\n";
        assert_eq!(
            found(src).into_iter().map(|c| c.0).collect::<Vec<_>>(),
            ["alpine:3.20"]
        );
    }

    #[test]
    fn pinned_docker_step_and_crlf() {
        let digest = "sha256:".to_owned() + &"0".repeat(64);
        let src = format!(
            "jobs:\r\n  add-labels:\r\n    steps:\r\n      - uses: docker://k8slt/github-labeler-action@{digest}\r\n"
        );
        let got = found(&src);
        assert_eq!(
            got[0].0,
            format!("k8slt/github-labeler-action@{digest}").as_str()
        );
    }

    #[test]
    fn anchors_and_odd_values() {
        let src = "jobs:\n  a:\n    container: &c node:20\n    steps:\n      - uses: &d 'docker://x:1'\n  b:\n    container: *c\n    steps:\n      - uses: *d\n      - uses: \"docker://a\\u003a1\"\n      - uses: docker://\n";
        let got = found(src);
        assert_eq!(
            got.iter().map(|c| (c.0, c.2)).collect::<Vec<_>>(),
            [
                ("node:20", false),
                ("x:1", false),
                ("docker://a\\u003a1", true),
                ("", true)
            ]
        );
        for src in [
            "jobs: []\n",
            "jobs:\n  a: 1\n  b:\n    container:\n",
            "x: 1\n",
            "",
        ] {
            assert!(found(src).is_empty(), "{src:?}");
        }
    }
}
