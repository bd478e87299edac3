//! Google Cloud Build finder: the builder image of every step of a build config (`cloudbuild.yaml`,
//! `cloudbuild.yml`, `cloudbuild.json`, and `cloudbuild*` variants of those names).
//!
//! # What is found
//!
//! `steps[*].name`: Cloud Build runs each step in the container image that `name` states
//! (`gcr.io/cloud-builders/docker`, `golang:1.22`, `gcr.io/$PROJECT_ID/tool:1`). A build config is YAML or
//! JSON (the `Build` resource of the Cloud Build API); a file whose first character (after a byte order
//! mark and white space) is `{` is read as JSON through [`super::json`], any other as YAML. Either way the
//! walk is the same.
//!
//! Reported with [`Candidate::skip`] set: a name that uses substitutions (`$PROJECT_ID`, `${_IMAGE}`,
//! `$_TAG`; `$$` is a literal `$`), naming them; an empty name; a string whose bytes are not its value
//! (escapes).
//!
//! The generic YAML rule does not apply to these files: it looks for `image` keys, which a build config
//! has none of, and `name` elsewhere is no image.
//!
//! # What is not found
//!
//! * `images:` and `artifacts`: the images the build pushes, its outputs;
//! * images inside `args`, `script` or `env` strings (`docker build -t …`, `--image=…`);
//! * the steps of a trigger's inline `build` (a trigger resource is not a build config).
//!
//! # Limitations
//!
//! * Substitutions are not expanded, not even those the file's own `substitutions:` defines.
//! * A `# pin: ignore` comment is honoured in YAML; JSON has no comments.
//! * `--tag-comment` keeps the tag in the reference (`name@sha256:…` stays `name:tag@sha256:…`), for YAML
//!   and JSON alike, as a JSON file has no place for a comment.
//! * [`Candidate::pull_policy_set`] is always `None`.

use super::yaml::tree::Tree;
use super::yaml::{find_reading, findings, image_value, variables_skip, Reads};
use super::{Candidate, FindError, Findings};

/// Finds the step images of a Cloud Build config. See the module documentation.
pub fn find(src: &str) -> Result<Findings, FindError> {
    let body = src.trim_start_matches('\u{FEFF}').trim_start();
    if body.starts_with('{') {
        let json = super::json::parse(src)?;
        let mut found = Vec::new();
        collect(&json.tree, &mut found);
        return Ok(findings(found));
    }
    find_reading(src, &READS, collect)
}

/// The keys [`collect`] reads.
const READS: Reads = Reads {
    whole: &["name"],
    keys: &["steps"],
    whole_if: None,
};

fn collect(tree: &Tree, out: &mut Vec<Candidate>) {
    for root in tree.mapping_documents() {
        let Some(steps) = tree.lookup(root, "steps") else {
            continue;
        };
        for &step in tree.items(tree.resolve(steps)) {
            let step = tree.resolve(step);
            if tree.mapping(step).is_none() {
                continue;
            }
            let Some(mut candidate) = tree.lookup(step, "name").and_then(|n| image_value(tree, n))
            else {
                continue;
            };
            if candidate.skip.is_none() {
                candidate.skip = variables_skip(&candidate.value, "Cloud Build");
            }
            out.push(candidate);
        }
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
    fn step_names_are_images() {
        let src = "substitutions:\n  _IMAGE: not:1\nsteps:\n# build\n- name: 'gcr.io/cloud-builders/docker'\n  args: ['build', '-t', 'gcr.io/$PROJECT_ID/app', '.']\n  id: build\n- name: golang:1.22 # c\n  entrypoint: go\n- id: no-name\n  script: echo hi\n- name: \"gcr.io/google.com/cloudsdktool/cloud-sdk:slim\"\n  env: ['image=not:2']\nimages:\n- 'gcr.io/$PROJECT_ID/app'\nartifacts:\n  objects: {location: 'gs://b/', paths: ['x']}\noptions:\n  pool: {name: 'projects/p/locations/l/workerPools/w'}\n";
        assert_eq!(
            pinnable(src),
            [
                "gcr.io/cloud-builders/docker",
                "golang:1.22",
                "gcr.io/google.com/cloudsdktool/cloud-sdk:slim"
            ]
        );
        let c = &find(src).unwrap().candidates[0];
        assert_eq!(
            &src[c.span.start - 1..c.span.end + 1],
            "'gcr.io/cloud-builders/docker'"
        );
    }

    #[test]
    fn substitutions_are_skipped_with_their_names() {
        let src = "steps:\n- name: 'gcr.io/$PROJECT_ID/docker:19.03.15'\n- name: ${_REGION}-docker.pkg.dev/$PROJECT_ID/r/tool:$_TAG\n- name: 'a/b:c$$d'\n- name: ''\n";
        let got = found(src);
        assert_eq!(got.len(), 4);
        assert_eq!(
            got[0].2.as_deref(),
            Some("uses variable PROJECT_ID, interpolated by Cloud Build")
        );
        assert_eq!(
            got[1].2.as_deref(),
            Some("uses variables _REGION, PROJECT_ID, _TAG, interpolated by Cloud Build")
        );
        // `$$` is a literal `$`: no substitution (the classifier then finds no valid reference).
        assert_eq!(got[2].2, None);
        assert_eq!(got[3].2.as_deref(), Some("empty value"));
    }

    #[test]
    fn json_form() {
        let src = "{\r\n  \"steps\": [\r\n    {\"name\": \"gcr.io/cloud-builders/docker\", \"args\": [\"build\"]},\r\n    {\"name\": \"node:22\", \"id\": \"test\"},\r\n    {\"name\": \"gcr.io\\/x:1\"},\r\n    {\"id\": \"none\"}\r\n  ],\r\n  \"images\": [\"gcr.io/p/app\"],\r\n  \"timeout\": \"1800s\"\r\n}";
        let got = found(src);
        assert_eq!(
            got.iter().map(|c| (c.0, c.2.is_some())).collect::<Vec<_>>(),
            [
                ("gcr.io/cloud-builders/docker", false),
                ("node:22", false),
                ("gcr.io\\/x:1", true)
            ]
        );
        // Leading white space and a byte order mark.
        let src = "\u{FEFF}\n  {\"steps\": [{\"name\": \"alpine:3.20\"}]}\n";
        assert_eq!(pinnable(src), ["alpine:3.20"]);
        // Broken JSON is an error, not silence.
        assert!(find("{\"steps\": [{\"name\": \"alpine:3.20\"}\n").is_err());
    }

    #[test]
    fn ignore_comments_and_odd_shapes() {
        let src = "steps:\n# pin: ignore\n- name: alpine:3.20\n- name: busybox:1 # pin: ignore\n- name: debian:13\n";
        let findings = find(src).unwrap();
        assert_eq!(findings.candidates.len(), 3);
        assert_eq!(findings.ignore_comments.len(), 2);
        for src in [
            "",
            "steps:\n",
            "steps: x\n",
            "steps: [1, [a]]\n",
            "steps:\n- name: {a: b}\n- name:\n",
            "- name: x:1\n",
            "name: top:1\n",
        ] {
            assert_eq!(pinnable(src), Vec::<&str>::new(), "{src:?}");
        }
    }
}
