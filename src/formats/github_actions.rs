//! GitHub Actions finders: the images and the actions a workflow (`.github/workflows/*.yml`) runs, and those
//! of an action's metadata file (`action.yml`, `action.yaml`).
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
//! * `steps[*].uses: docker://<image>`;
//! * `steps[*].uses: OWNER/REPO[/PATH]@REF`, an action in another repository, and the job's own
//!   `uses: OWNER/REPO/.github/workflows/FILE@REF`, a reusable workflow: action candidates
//!   ([`Target::Action`]), resolved to a git commit rather than an image digest (see
//!   [`crate::reference::action`]).
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
//! * `runs.steps[*].uses` of a composite action's steps: `docker://<image>`, or an action in another
//!   repository.
//!
//! An alias (`container: *c`, `image: *img`; GitHub accepts YAML anchors) stands for the anchored scalar,
//! reported where it is written and once. Values with expressions (`${{ matrix.image }}`,
//! `postgres:${{ matrix.pg }}`, `${{ … && matrix.search-image || '' }}`) are reported as written; the
//! reference classifier skips them as templates. An empty image (`image: ''`) is reported skipped.
//!
//! # What is not found
//!
//! * `image` or `image-name` inputs of actions (`with: {image: tonistiigi/binfmt@sha256:…}`), images in
//!   `env`, `strategy.matrix`, `run` scripts or `outputs`: GitHub does not pull them itself, and their
//!   meaning depends on the action or script.
//! * Local actions and workflows (`uses: ./.github/actions/build`): they are files of the same
//!   repository, at the same commit. An empty `uses:` is not a candidate either. A job whose id is `image`
//!   is a job like any other.
//! * With [`FindOptions::actions`] off (`--no-actions`), no action candidate at all: images only.
//!
//! # Limitations
//!
//! * Only top-level `jobs` is read, in every document (a workflow has one).
//! * A `docker://` reference or an action whose scalar bytes are not its value (escapes, a line break) is
//!   reported skipped, with the whole scalar text as its span.
//! * [`Candidate::pull_policy_set`] is always `None`.

use super::yaml::tree::{NodeId, Tree};
use super::yaml::{docker_value, find_reading, image_value, Reads};
use super::{Candidate, FindError, FindOptions, Findings, SkipReason, Target};

const DOCKER: &str = "docker://";

/// Finds the images and actions of a GitHub Actions workflow. See the module documentation.
pub fn find(src: &str) -> Result<Findings, FindError> {
    find_with(src, &FindOptions::default())
}

/// [`find`], without the actions when [`FindOptions::actions`] is off.
pub fn find_with(src: &str, options: &FindOptions) -> Result<Findings, FindError> {
    let actions = options.actions;
    find_reading(src, &WORKFLOW, |tree, out| collect(tree, out, actions))
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

/// Finds the image and actions of an action's metadata file (`action.yml`). See the module documentation.
pub fn find_action(src: &str) -> Result<Findings, FindError> {
    find_action_with(src, &FindOptions::default())
}

/// [`find_action`], without the actions when [`FindOptions::actions`] is off.
pub fn find_action_with(src: &str, options: &FindOptions) -> Result<Findings, FindError> {
    let actions = options.actions;
    find_reading(src, &ACTION, |tree, out| {
        for root in tree.mapping_documents() {
            let Some(runs) = tree.mapping_at(root, "runs") else {
                continue;
            };
            if let Some(image) = tree.lookup(runs, "image") {
                out.extend(docker_value(tree, image));
            }
            steps(tree, runs, out, actions);
        }
    })
}

fn collect(tree: &Tree, out: &mut Vec<Candidate>, actions: bool) {
    for root in tree.mapping_documents() {
        for job in tree.mappings_under(root, "jobs") {
            job_images(tree, job, out, actions);
        }
    }
}

fn job_images(tree: &Tree, job: NodeId, out: &mut Vec<Candidate>, actions: bool) {
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
    if actions {
        // A reusable workflow: `jobs.<id>.uses`. A `docker://` value is no job's (the runner refuses it).
        if let Some(uses) = tree.lookup(job, "uses") {
            out.extend(action_value(tree, uses));
        }
    }
    steps(tree, job, out, actions);
}

/// `uses:` of every step of the job (or composite action's `runs`) `at`: `docker://image`, and with
/// `actions` an action in another repository.
fn steps(tree: &Tree, at: NodeId, out: &mut Vec<Candidate>, actions: bool) {
    if let Some(steps) = tree.lookup(at, "steps").map(|s| tree.resolve(s)) {
        for &step in tree.items(steps) {
            let step = tree.resolve(step);
            if tree.mapping(step).is_none() {
                continue;
            }
            let Some(uses) = tree.lookup(step, "uses") else {
                continue;
            };
            match docker_value(tree, uses) {
                Some(image) => out.push(image),
                None if actions => out.extend(action_value(tree, uses)),
                None => {}
            }
        }
    }
}

/// A scalar `uses:` naming an action or reusable workflow of another repository (anything but `docker://`,
/// a local `./path` and an empty value): the whole value, classified by [`crate::reference::action`].
fn action_value(tree: &Tree, id: NodeId) -> Option<Candidate> {
    let scalar = tree.scalar(tree.resolve(id))?;
    let value = scalar.value.as_str();
    if value.is_empty() || value.starts_with(DOCKER) || value.starts_with('.') {
        return None;
    }
    Some(Candidate {
        span: scalar.text.clone(),
        value: value.to_owned(),
        skip: scalar.differs.map(SkipReason::fixed),
        pull_policy_set: None,
        target: Target::Action,
        artifact: None,
    })
}

/// An image as a job container or service states it: with or without `docker://`.
fn image_or_docker(tree: &Tree, id: NodeId) -> Option<Candidate> {
    docker_value(tree, id).or_else(|| image_value(tree, id))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The images alone (`--no-actions`).
    fn images(src: &str) -> Result<Findings, FindError> {
        let options = FindOptions {
            actions: false,
            ..FindOptions::default()
        };
        find_with(src, &options)
    }

    fn action_images(src: &str) -> Result<Findings, FindError> {
        let options = FindOptions {
            actions: false,
            ..FindOptions::default()
        };
        find_action_with(src, &options)
    }

    /// `(text of span, value, skipped)` of every image candidate.
    fn found(src: &str) -> Vec<(&str, String, bool)> {
        crate::formats::testing::found(src, images)
            .into_iter()
            .map(|(t, v, s)| (t, v, s.is_some()))
            .collect()
    }

    /// `(text of span, skipped)` of every action candidate of `find`, which must hold its value exactly
    /// when not skipped.
    fn actions(src: &str, find: crate::formats::kind::Finder) -> Vec<(&str, bool)> {
        crate::formats::testing::candidates(src, find)
            .into_iter()
            .filter(|c| c.target == Target::Action)
            .map(|c| {
                if c.skip.is_none() {
                    assert_eq!(&src[c.span.clone()], c.value, "{src:?}");
                }
                (&src[c.span.clone()], c.skip.is_some())
            })
            .collect()
    }

    #[test]
    fn actions_and_reusable_workflows() {
        let src = "on: push\njobs:\n  a:\n    steps:\n      - uses: actions/checkout@v4.2.1 # a comment\n      - uses: 'github/codeql-action/init@v3'\n      - uses: \"docker://alpine:3.20\"\n      - uses: ./.github/actions/local\n      - uses: ''\n      - run: 'echo uses: a/b@v1'\n      - {uses: a/b@v1, with: {x: 1}}\n      - uses: a/b@${{ matrix.v }}\n      - uses: \"a/b\\u0040v1\"\n  reuse:\n    uses: octo/wf/.github/workflows/build.yml@main\n  local:\n    uses: ./.github/workflows/local.yml\n";
        assert_eq!(
            actions(src, find),
            [
                ("actions/checkout@v4.2.1", false),
                ("github/codeql-action/init@v3", false),
                ("a/b@v1", false),
                ("a/b@${{ matrix.v }}", false),
                ("a/b\\u0040v1", true),
                ("octo/wf/.github/workflows/build.yml@main", false),
            ]
        );
        // The images are found as before, in file order with the actions.
        let all = find(src).unwrap().candidates;
        assert_eq!(
            all.iter().filter(|c| c.target == Target::Reference).count(),
            1
        );
        assert!(actions(src, images).is_empty(), "--no-actions");
        let status = |value: &str| {
            let c = all.iter().find(|c| c.value == value).unwrap();
            crate::app::classify(c)
        };
        assert!(
            matches!(status("a/b@${{ matrix.v }}"), crate::app::Status::Skipped(s) if s.code() == crate::report::Code::Template)
        );
        assert!(
            matches!(status("actions/checkout@v4.2.1"), crate::app::Status::Action(a) if !a.reference.is_pinned())
        );
    }

    #[test]
    fn composite_actions_and_crlf() {
        let src = "runs:\r\n  using: composite\r\n  steps:\r\n    - uses: actions/setup-go@v5\r\n    - uses: docker://alpine:3.20\r\n    - uses: ./local\r\n";
        assert_eq!(actions(src, find_action), [("actions/setup-go@v5", false)]);
        assert!(actions(src, action_images).is_empty());
        // `uses:` outside `runs.steps` is nothing.
        assert!(actions(
            "uses: a/b@v1\nruns:\n  using: node20\n  main: x.js\n",
            find_action
        )
        .is_empty());
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
        let c = &images(src).unwrap().candidates[3];
        let at = src.find("docker://alpine").unwrap() + DOCKER.len();
        assert_eq!(c.span, at..at + "alpine:3.20".len());
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
        let status = crate::app::classify(&images(src).unwrap().candidates[0]);
        assert!(matches!(status, crate::app::Status::Skipped(_)));
    }

    #[test]
    fn docker_scheme_on_containers_and_services() {
        let src = "jobs:\n  a:\n    container: docker://rust:1.90.0\n    services:\n      db: {image: 'docker://postgres:16'}\n  b:\n    container:\n      image: \"docker://ghcr.io/o/app:v1\"\n";
        assert_eq!(
            texts(src),
            ["rust:1.90.0", "postgres:16", "ghcr.io/o/app:v1"]
        );
        let c = &images(src).unwrap().candidates[0];
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
            crate::formats::testing::found(src, action_images)
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
