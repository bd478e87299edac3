//! Azure Pipelines finder: the container images of an `azure-pipelines.yml` (also `azure-pipelines*.yml`
//! and `.azure-pipelines/*.yml`).
//!
//! # What is found
//!
//! * `resources.containers[*].image`: the image of each container resource (whose `container:` is its
//!   alias, not an image);
//! * the job container: `container:` of the pipeline (a single-job pipeline), of every job and deployment
//!   job under `jobs`, and of the jobs of every stage under `stages`; either a string or a mapping's
//!   `image` (`container: {image: ubuntu:22.04, options: …}`);
//! * service containers: every value of the `services:` mapping at the same places, a string or a
//!   mapping's `image`.
//!
//! A string `container:` or service value names "an image, or a reference to a container resource" (the
//! YAML schema): when it is the alias of one of the file's container resources it is that resource, whose
//! `image` is reported where it is written; otherwise it is an image.
//!
//! Reported with [`Candidate::skip`] set: a value with a macro (`$(imageName)`), a template expression
//! (`${{ parameters.image }}`), a runtime expression (`$[ variables.image ]`) or a `$NAME`/`${NAME}`
//! variable; an empty value, and one whose bytes are not its text.
//!
//! The generic YAML rule does not apply to these files: it misses the string forms of `container:` and of
//! services.
//!
//! # What is not found
//!
//! * `pool.vmImage` (a hosted agent's VM image), step `target:` (a container alias), `template:`
//!   references, task `inputs` (`Docker@2` arguments), images inside `script` steps or `variables`, and
//!   `strategy.matrix` values (reached through `$(…)` and skipped there).
//!
//! # Limitations
//!
//! * Templates are not expanded: a job template's containers are found when its file is read, if it is
//!   named as above.
//! * Variables and parameters are not expanded, not even those defined in the same file.
//! * [`Candidate::pull_policy_set`] is always `None`.

use super::yaml::tree::{NodeId, Tree};
use super::yaml::{find_reading, image_value, variables_skip, Reads};
use super::{Candidate, FindError, Findings, SkipReason};

/// Finds the container images of an Azure Pipelines file. See the module documentation.
pub fn find(src: &str) -> Result<Findings, FindError> {
    find_reading(src, &READS, collect)
}

/// The keys [`collect`] reads (a service may be a plain string under any name: `services` is kept whole).
const READS: Reads = Reads {
    whole: &["containers", "container", "services", "image"],
    keys: &["resources", "stages", "jobs"],
    whole_if: None,
};

fn collect(tree: &Tree, out: &mut Vec<Candidate>) {
    for root in tree.mapping_documents() {
        let mut aliases: Vec<&str> = Vec::new();
        if let Some(containers) = tree
            .mapping_at(root, "resources")
            .and_then(|r| tree.lookup(r, "containers"))
        {
            for &resource in tree.items(tree.resolve(containers)) {
                let resource = tree.resolve(resource);
                if tree.mapping(resource).is_none() {
                    continue;
                }
                if let Some(alias) = tree.lookup(resource, "container").and_then(|a| tree.str(a)) {
                    aliases.push(alias);
                }
                if let Some(image) = tree.lookup(resource, "image") {
                    out.extend(checked(tree, image));
                }
            }
        }
        job(tree, root, &aliases, out);
        jobs(tree, root, &aliases, out);
        if let Some(stages) = tree.lookup(root, "stages") {
            for &stage in tree.items(tree.resolve(stages)) {
                let stage = tree.resolve(stage);
                if tree.mapping(stage).is_some() {
                    jobs(tree, stage, &aliases, out);
                }
            }
        }
    }
}

/// The jobs (and deployment jobs) listed under `jobs` of the pipeline or a stage.
fn jobs(tree: &Tree, at: NodeId, aliases: &[&str], out: &mut Vec<Candidate>) {
    let Some(jobs) = tree.lookup(at, "jobs") else {
        return;
    };
    for &item in tree.items(tree.resolve(jobs)) {
        let item = tree.resolve(item);
        if tree.mapping(item).is_some() {
            job(tree, item, aliases, out);
        }
    }
}

/// The `container` and `services` of a job (or of a single-job pipeline).
fn job(tree: &Tree, job: NodeId, aliases: &[&str], out: &mut Vec<Candidate>) {
    if let Some(container) = tree.lookup(job, "container") {
        out.extend(container_image(tree, container, aliases));
    }
    if let Some(services) = tree.mapping_at(job, "services") {
        for (_, service) in tree.entries(services) {
            out.extend(container_image(tree, service, aliases));
        }
    }
}

/// A job or service container: a mapping's `image`, or a string that is an image unless it is the alias of
/// a container resource.
fn container_image(tree: &Tree, id: NodeId, aliases: &[&str]) -> Option<Candidate> {
    let id = tree.resolve(id);
    if tree.mapping(id).is_some() {
        return checked(tree, tree.lookup(id, "image")?);
    }
    let value = tree.str(id)?;
    if aliases.contains(&value) {
        return None;
    }
    checked(tree, id)
}

/// The candidate for an image scalar, skipped when it uses variables or expressions.
fn checked(tree: &Tree, id: NodeId) -> Option<Candidate> {
    let mut candidate = image_value(tree, id)?;
    if candidate.skip.is_none() {
        candidate.skip = expression_skip(&candidate.value)
            .or_else(|| variables_skip(&candidate.value, "Azure Pipelines"));
    }
    Some(candidate)
}

/// Why a value with a macro, template or runtime expression is not pinned as written.
fn expression_skip(value: &str) -> Option<SkipReason> {
    [
        ("$(", "a macro variable `$(…)`"),
        ("${{", "a template expression `${{ … }}`"),
        ("$[", "a runtime expression `$[ … ]`"),
    ]
    .iter()
    .find(|(open, _)| value.contains(open))
    .map(|(_, what)| {
        SkipReason::Template(format!("uses {what}, expanded by Azure Pipelines").into())
    })
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
    fn resources_jobs_stages_and_services() {
        let src = r#"resources:
  containers:
  - container: u22
    image: ubuntu:22.04
  - container: nginx
    image: 'nginx:1.27' # web
    endpoint: my_acr
pool:
  vmImage: ubuntu-latest
stages:
- stage: build
  jobs:
  - job: a
    container: u22
    services:
      web: nginx
      cache: redis:7
      db: {image: "postgres:16", ports: [5432]}
    steps:
    - script: docker run not:1
      target: host
  - deployment: d
    container:
      image: mcr.microsoft.com/dotnet/sdk:8.0
      options: --user 0
    strategy: {runOnce: {deploy: {steps: [{script: x}]}}}
  - template: jobs/other.yml
"#;
        assert_eq!(
            pinnable(src),
            [
                "ubuntu:22.04",
                "nginx:1.27",
                "redis:7",
                "postgres:16",
                "mcr.microsoft.com/dotnet/sdk:8.0"
            ]
        );
        let c = &find(src).unwrap().candidates[1];
        assert_eq!(&src[c.span.start - 1..c.span.end + 1], "'nginx:1.27'");
    }

    #[test]
    fn single_job_pipeline_and_jobs_list() {
        let src = "pool:\n  vmImage: 'ubuntu-18.04'\ncontainer: ubuntu:18.04\nsteps:\n- script: printenv\n---\njobs:\n- job: b\n  container: node:22\n  services:\n    r: redis:7\n";
        assert_eq!(pinnable(src), ["ubuntu:18.04", "node:22", "redis:7"]);
    }

    #[test]
    fn expressions_and_variables_are_skipped() {
        let src = "resources:\n  containers:\n  - container: c\n    image: $(imageName)\njobs:\n- job: a\n  container: ${{ parameters.image }}\n  services:\n    db: $[ variables.db ]\n    x: $REGISTRY/x:1\n    e: ''\n";
        let got = found(src);
        assert_eq!(got.len(), 5);
        assert_eq!(
            got[0].2.as_deref(),
            Some("uses a macro variable `$(…)`, expanded by Azure Pipelines")
        );
        assert!(got[1].2.as_deref().unwrap().contains("template expression"));
        assert!(got[2].2.as_deref().unwrap().contains("runtime expression"));
        assert_eq!(
            got[3].2.as_deref(),
            Some("uses variable REGISTRY, interpolated by Azure Pipelines")
        );
        assert_eq!(got[4].2.as_deref(), Some("empty value"));
    }

    #[test]
    fn crlf_and_ignore_comments() {
        let src = "jobs:\r\n- job: a\r\n  # pin: ignore\r\n  container: alpine:3.20\r\n  services:\r\n    r: redis:7 # pin: ignore\r\n";
        let findings = find(src).unwrap();
        assert_eq!(findings.candidates.len(), 2);
        assert_eq!(findings.ignore_comments.len(), 2);
    }

    #[test]
    fn odd_shapes_are_not_errors() {
        for src in [
            "",
            "trigger: [main]\n",
            "container:\n",
            "container: {options: x}\n",
            "jobs: x\n",
            "stages: [1, {jobs: 2}]\n",
            "resources: {containers: {a: b}}\n",
            "services: [a]\n",
            "- container: a:1\n",
        ] {
            assert_eq!(pinnable(src), Vec::<&str>::new(), "{src:?}");
        }
    }
}
