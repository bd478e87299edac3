//! The table of file kinds: one [`KindInfo`] per [`Kind`], the single place a kind is described.
//!
//! Everything else about a kind comes from its entry: [`Kind::detect`] tries the entries' file-name rules in
//! table order (the first that matches decides, so specific names come before the generic YAML and JSON
//! rules), [`Kind::find`] runs the entry's finder, [`Kind::as_str`] and the JSON name are the entry's name, the
//! walk's "not a file kind" message lists the entries' file names. Tests check the rest against the table:
//! every example path of every entry is detected as its kind, the pre-commit hook's `files` regex
//! (`.pre-commit-hooks.yaml`) matches exactly the paths that have a kind, the kinds table of docs/kinds.md is
//! the entries' docs rows, and every kind has a corpus directory (`src/formats/corpus.rs`).
//!
//! A new kind is one finder module and one entry in [`kinds!`] below, placed before any entry whose rule
//! would also take its files.

use std::path::Path;

use super::tag_comment::CommentStyle;
use super::{
    azure_pipelines, bazel, bitbucket, buildpacks, chart_yaml, circleci, cloud_build, compose,
    devcontainer, dockerfile, dotnet, drone, fleet, github_actions, gitlab_ci, hcl, helm_values,
    helmfile, json, ko, kustomize, maven, quadlet, tilt, yaml, FindError, FindOptions, Findings,
};

/// Whether a file is of a kind, from its lowercased file name and its whole path.
pub type NameRule = fn(&str, &Path) -> bool;

/// A finder: one file's text in, its candidates out.
pub type Finder = fn(&str) -> Result<Findings, FindError>;

/// Everything `pin` knows about one kind of file.
#[derive(Debug)]
pub struct KindInfo {
    /// The name in messages and JSON (`"kind": "github-actions"`).
    pub name: &'static str,
    /// Whether a file is of this kind (tried in table order).
    pub rule: NameRule,
    /// The file names the rule takes, as users write them (`*.yaml`, `.github/workflows/*.yml`): shown in
    /// docs/kinds.md and in the walk's message.
    pub files: &'static [&'static str],
    /// Paths the rule must take (checked by a test, as is the pre-commit hook's regex against them).
    pub examples: &'static [&'static str],
    /// The finder.
    pub find: Finder,
    /// Prefilter: byte strings of which a file must contain at least one for the finder to find anything
    /// (matched exactly, case-sensitively). Empty: no prefilter, the finder always runs. A file without
    /// any is not parsed at all ([`Kind::may_hold`]). The YAML kinds list `\\` too: a key written with
    /// escapes (`"im\\x61ge"`) holds none of the others.
    pub needles: &'static [&'static str],
    /// The docs/kinds.md row: the kind as users call it, what is pinned, and an example.
    pub docs: Docs,
    /// The directory under `tests/corpus/` that holds real files of this kind.
    pub corpus: &'static str,
    /// Where comments may go: decides how `--tag-comment` writes a tag.
    pub comments: CommentStyle,
}

/// A kind's row in the kinds table of docs/kinds.md (Markdown).
#[derive(Debug)]
pub struct Docs {
    pub title: &'static str,
    pub pinned: &'static str,
    pub example: &'static str,
}

/// Declares [`Kind`] and [`KINDS`] from one list, so that `KINDS[kind as usize]` is the kind's entry.
macro_rules! kinds {
    ($($(#[doc = $doc:literal])* $variant:ident = $info:expr;)*) => {
        /// The kinds of file `pin` reads, in the order their rules are tried. See [`KINDS`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Kind {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Kind {
            /// Every kind, in table order.
            pub const ALL: &'static [Kind] = &[$(Kind::$variant),*];
        }

        /// One entry per [`Kind`], in the same order.
        pub static KINDS: &[KindInfo] = &[$($info),*];
    };
}

kinds! {
    /// `Dockerfile`, `Containerfile`, `*.Dockerfile`, `Dockerfile.*`.
    Dockerfile = KindInfo {
        name: "dockerfile",
        rule: |n, _| stem_is(n, "dockerfile") || stem_is(n, "containerfile"),
        files: &["Dockerfile", "Containerfile", "*.Dockerfile", "Dockerfile.*"],
        examples: &["Dockerfile", "Containerfile", "build.Dockerfile", "Dockerfile.prod", "Containerfile.dev", "a/b/dockerfile"],
        find: dockerfile::find,
        needles: &[],
        docs: Docs {
            title: "Dockerfile",
            pinned: "each `FROM` image (any case, `--platform`, continuations, `# escape=`, also indented, as BuildKit's parser reads it); the default of a global `ARG NAME=image:tag` that a `FROM ${NAME}` uses (the one place the reference lives); the default of a global `ARG` that ends the tag of a `FROM name:${NAME}` and is used nowhere else, pinned as `tag@sha256:…` (see [build arguments](#dockerfile-build-arguments)); `COPY --from=image`; `RUN --mount=…,from=image`; the `# syntax=` directive",
            example: "`ARG BASE=alpine:3.20` … `FROM ${BASE}` → `ARG BASE=alpine@sha256:…`",
        },
        corpus: "dockerfile",
        comments: CommentStyle::WholeLine,
    };
    /// Podman Quadlet units: `Image=` of `[Container]`, `[Image]` and `[Volume]`.
    Quadlet = KindInfo {
        name: "quadlet",
        rule: |n, _| n.ends_with(".container") || n.ends_with(".image") || n.ends_with(".volume"),
        files: &["*.container", "*.image", "*.volume"],
        examples: &["web.container", "containers/systemd/db.image", "data.volume", "app@.container"],
        find: quadlet::find,
        needles: &["Image"],
        docs: Docs {
            title: "Podman Quadlet",
            pinned: "`Image=` in `[Container]`, `[Image]` and `[Volume]` (systemd unit syntax: `#`/`;` comment lines, `\\` continuations, one pair of double quotes; a `docker://` prefix is kept); a value naming another unit (`db.image`, `app.build`), continued over lines, with a `%` specifier or another transport (`docker-archive:`), an `[Image]` with `AllTags=true` and a `[Volume]` whose `Driver` is not `image` are skipped; `.build` units (`ImageTag=` is what they build), drop-ins (`*.container.d/*.conf`) and `Mount=type=image` are not read",
            example: "`Image=quay.io/podman/hello:latest` → `Image=quay.io/podman/hello@sha256:…`",
        },
        corpus: "quadlet",
        comments: CommentStyle::WholeLine,
    };
    /// ko configurations: `defaultBaseImage` and the values of `baseImageOverrides`.
    Ko = KindInfo {
        name: "ko",
        rule: |n, _| matches!(n, ".ko.yaml" | ".ko.yml"),
        files: &[".ko.yaml", ".ko.yml"],
        examples: &[".ko.yaml", "cmd/.ko.yml"],
        find: ko::find,
        needles: &[],
        docs: Docs {
            title: "ko",
            pinned: "`defaultBaseImage` and every value of `baseImageOverrides` (keys in any case, as viper reads them; first document only); a `ko.local` base is skipped; `ko://` import paths in manifests are left alone; `KO_DEFAULTBASEIMAGE` and files named by `KO_CONFIG_PATH` are not read",
            example: "`defaultBaseImage: cgr.dev/chainguard/static:latest` → `cgr.dev/chainguard/static@sha256:…`",
        },
        corpus: "ko",
        comments: CommentStyle::Trailing,
    };
    /// `kustomization.yaml`: `images:` entries.
    Kustomize = KindInfo {
        name: "kustomize",
        rule: |n, _| matches!(n, "kustomization.yaml" | "kustomization.yml" | "kustomization"),
        files: &["kustomization.yaml", "kustomization.yml", "Kustomization"],
        examples: &["k/kustomization.yaml", "kustomization.yml", "Kustomization"],
        find: kustomize::find,
        needles: &["image", "helmCharts", "\\"],
        docs: Docs {
            title: "Kustomize",
            pinned: "`images:` entries: `newName` (or `name`) at `newTag` is resolved and `digest:` is set — an empty one is filled; a missing one is inserted as one line after `newTag`, with the entry's indentation and the line ending of the `newTag` line — `\\n`, `\\r\\n` or a lone `\\r` (the only bytes added); an entry value that kustomize reads as a number or boolean (`newTag: 2.5`, `newTag: 1`, `newTag: yes`: it then refuses the file) is an error saying to quote it; `helmCharts` from an `oci://` repo are listed, not pinned",
            example: "`newTag: v1` → `newTag: v1` + `digest: sha256:…`",
        },
        corpus: "kustomize",
        comments: CommentStyle::Trailing,
    };
    /// helmfile: the OCI charts of `releases`, listed.
    Helmfile = KindInfo {
        name: "helmfile",
        rule: |n, p| {
            matches!(n, "helmfile.yaml" | "helmfile.yml" | "helmfile.yaml.gotmpl" | "helmfile.yml.gotmpl")
                || (in_dir(p, "helmfile.d") && (is_yaml(n) || n.ends_with(".yaml.gotmpl") || n.ends_with(".yml.gotmpl")))
        },
        files: &["helmfile.yaml", "helmfile.yaml.gotmpl", "helmfile.d/*.yaml"],
        examples: &["helmfile.yaml", "deploy/helmfile.yml", "helmfile.yaml.gotmpl", "helmfile.d/00-base.yaml", "helmfile.d/apps.yaml.gotmpl"],
        find: helmfile::find,
        needles: &["oci", "\\"],
        docs: Docs {
            title: "helmfile",
            pinned: "nothing is rewritten: every release's chart in an OCI registry (`chart: oci://…`, or `repo/name` of a repository with `oci: true`) is listed at its `version`, since helmfile takes no digest (`pin verify` checks the version exists); a `.gotmpl` file that is not YAML until rendered is skipped as a template",
            example: "`chart: oci://ghcr.io/org/charts/app` + `version: 0.3.0` → listed",
        },
        corpus: "helmfile",
        comments: CommentStyle::Trailing,
    };
    /// Fleet `fleet.yaml`: the OCI charts of `helm`, listed.
    Fleet = KindInfo {
        name: "fleet",
        rule: |n, _| n == "fleet.yaml",
        files: &["fleet.yaml"],
        examples: &["fleet.yaml", "apps/web/fleet.yaml"],
        find: fleet::find,
        needles: &["oci://", "\\"],
        docs: Docs {
            title: "Fleet",
            pinned: "nothing is rewritten: the Helm chart of `helm` and of each `targetCustomizations[*].helm` in an OCI registry (its whole `oci://…` URL in `repo` or `chart`) is listed at its `version`, since Fleet takes no digest",
            example: "`chart: oci://ghcr.io/org/app` + `version: 1.2.3` → listed",
        },
        corpus: "fleet",
        comments: CommentStyle::Trailing,
    };
    /// Helm `Chart.yaml`: OCI dependencies, listed.
    ChartYaml = KindInfo {
        name: "chart-yaml",
        rule: |n, _| n == "chart.yaml",
        files: &["Chart.yaml"],
        examples: &["Chart.yaml", "charts/app/Chart.yaml"],
        find: chart_yaml::find,
        needles: &["oci://", "\\"],
        docs: Docs {
            title: "Helm chart metadata",
            pinned: "nothing is rewritten: each of `dependencies` from an OCI `repository` is listed at its `version`, since Helm takes no digest there (a range such as `~1.2.0` is skipped)",
            example: "`repository: oci://registry-1.docker.io/bitnamicharts` → listed",
        },
        corpus: "chart",
        comments: CommentStyle::Trailing,
    };
    /// `compose.yaml`, `docker-compose*.yml`: `services.*.image`.
    Compose = KindInfo {
        name: "compose",
        rule: |n, _| is_yaml(n) && (n.starts_with("compose.") || n.starts_with("docker-compose")),
        files: &["compose.yaml", "compose.*.yaml", "docker-compose*.yml"],
        examples: &["compose.yaml", "compose.prod.yml", "docker-compose.yml", "docker-compose.prod.yml"],
        find: compose::find,
        needles: &["image", "\\"],
        docs: Docs {
            title: "Compose",
            pinned: "`services.*.image`, also through `x-` anchors and `<<:` merge keys (the anchored text is rewritten once, never the alias); a service with `build:` names its own image and is skipped",
            example: "`x-base: &base {image: redis:7}` → `redis@sha256:…`",
        },
        corpus: "compose",
        comments: CommentStyle::Trailing,
    };
    /// `.gitlab-ci.yml`: `image:` and `services:`.
    GitlabCi = KindInfo {
        name: "gitlab-ci",
        rule: |n, _| n == ".gitlab-ci.yml" || n.ends_with(".gitlab-ci.yml") || n.ends_with(".gitlab-ci.yaml"),
        files: &[".gitlab-ci.yml", "*.gitlab-ci.yml"],
        examples: &[".gitlab-ci.yml", "ci/build.gitlab-ci.yml", "x.gitlab-ci.yaml"],
        find: gitlab_ci::find,
        needles: &["image", "services", "\\"],
        docs: Docs {
            title: "GitLab CI",
            pinned: "`image:` (a string or `{name: …}`) at top level, in `default:` and in every job; `services:` entries (strings or `{name: …}`); `!reference` tags are read, not pinned; an image pulled through the dependency proxy (`${CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX}/…`, `${CI_DEPENDENCY_PROXY_DIRECT_GROUP_IMAGE_PREFIX}/…`, `$CI_DEPENDENCY_PROXY_SERVER/<group>/dependency_proxy/containers/…`) is resolved at Docker Hub and pinned after the prefix, which stays; other variables are skipped",
            example: "`image: {name: python:3.12}` → `python@sha256:…`",
        },
        corpus: "gitlab",
        comments: CommentStyle::Trailing,
    };
    /// `.github/workflows/*.yml`: job containers, service images, `docker://` steps.
    GithubActions = KindInfo {
        name: "github-actions",
        rule: |n, p| is_yaml(n) && in_dir(p, ".github/workflows"),
        files: &[".github/workflows/*.yml"],
        examples: &["repo/.github/workflows/ci.yml", ".github/workflows/release.yaml"],
        find: github_actions::find,
        needles: &["container", "image", "docker://", "services", "uses", "\\"],
        docs: Docs {
            title: "GitHub Actions",
            pinned: "`jobs.*.container` and `jobs.*.services.*` (each a string or `{image: …}`), `uses: docker://image:tag`; a `docker://` prefix on a container or service image is kept. Actions (`steps[*].uses: owner/repo@ref`) and reusable workflows (`jobs.*.uses`) are pinned to commits ([actions](actions.md))",
            example: "`uses: docker://alpine:3.20` → `docker://alpine@sha256:…`",
        },
        corpus: "gha",
        comments: CommentStyle::Trailing,
    };
    /// `action.yml`: a GitHub Action's metadata, `runs.image: docker://…`.
    ActionMetadata = KindInfo {
        name: "action-metadata",
        rule: |n, _| matches!(n, "action.yml" | "action.yaml"),
        files: &["action.yml", "action.yaml"],
        examples: &["action.yml", "actions/build/action.yaml", ".github/actions/x/action.yml"],
        find: github_actions::find_action,
        needles: &["docker://", "uses", "\\"],
        docs: Docs {
            title: "GitHub Action metadata",
            pinned: "`runs.image: docker://image:tag` of a Docker container action (`runs.image: Dockerfile` is a path the runner builds, left alone); `runs.steps[*].uses: docker://…` of a composite action, and its actions (`uses: owner/repo@ref`, pinned to commits: [actions](actions.md))",
            example: "`image: docker://alpine:3.20` → `docker://alpine@sha256:…`",
        },
        corpus: "action",
        comments: CommentStyle::Trailing,
    };
    /// Azure Pipelines: container resources, job containers, service containers.
    AzurePipelines = KindInfo {
        name: "azure-pipelines",
        rule: |n, p| is_yaml(n) && (n.starts_with("azure-pipelines") || in_dir(p, ".azure-pipelines")),
        files: &["azure-pipelines*.yml", ".azure-pipelines/*.yml"],
        examples: &["azure-pipelines.yml", "azure-pipelines-ci.yaml", "repo/.azure-pipelines/build.yml"],
        find: azure_pipelines::find,
        needles: &["container", "services", "\\"],
        docs: Docs {
            title: "Azure Pipelines",
            pinned: "`resources.containers[*].image`; the job container `container:` (a string or `{image: …}`) and `services:` values of the pipeline, of every job and deployment job, in `jobs` and `stages[*].jobs` — a string that is a container resource's alias is that resource; a value with `$(…)`, `${{ … }}`, `$[ … ]` or `$VAR` is skipped; `pool.vmImage` is left alone",
            example: "`container: ubuntu:22.04` → `container: ubuntu@sha256:…`",
        },
        corpus: "azure",
        comments: CommentStyle::Trailing,
    };
    /// Bitbucket Pipelines: the default image, step images, service images.
    Bitbucket = KindInfo {
        name: "bitbucket-pipelines",
        rule: |n, _| matches!(n, "bitbucket-pipelines.yml" | "bitbucket-pipelines.yaml"),
        files: &["bitbucket-pipelines.yml"],
        examples: &["bitbucket-pipelines.yml", "repo/bitbucket-pipelines.yaml"],
        find: bitbucket::find,
        needles: &["image", "docker://", "\\"],
        docs: Docs {
            title: "Bitbucket Pipelines",
            pinned: "the top-level `image`, every step's `image` (also in `parallel`, `stage` and `definitions` steps, through anchors and merge keys) and `definitions.services.*.image`, each a string or `{name: …}`; a pipe given as an image, `pipe: docker://image:tag` in a step's `script` or `after-script` (the prefix is kept); other `pipe:` references (`atlassian/aws-s3-deploy:1.1.0`, a catalogue pipe) are left alone; a value with `$VAR` is skipped",
            example: "`image: {name: node:22}` → `node@sha256:…`",
        },
        corpus: "bitbucket",
        comments: CommentStyle::Trailing,
    };
    /// CircleCI: Docker executor images of jobs and executors.
    CircleCi = KindInfo {
        name: "circleci",
        rule: |n, p| is_yaml(n) && in_dir(p, ".circleci"),
        files: &[".circleci/*.yml"],
        examples: &[".circleci/config.yml", "repo/.circleci/continue_config.yaml"],
        find: circleci::find,
        needles: &["docker", "\\"],
        docs: Docs {
            title: "CircleCI",
            pinned: "`docker[*].image` of every job and executor (also in inline orbs); `machine.image` (a VM image) is left alone; a value with `<< parameters.x >>` is skipped",
            example: "`- image: cimg/go:1.22` → `cimg/go@sha256:…`",
        },
        corpus: "circleci",
        comments: CommentStyle::Trailing,
    };
    /// Drone: step and service images.
    Drone = KindInfo {
        name: "drone",
        rule: |n, _| is_yaml(n) && n.starts_with(".drone."),
        files: &[".drone.yml", ".drone.*.yml"],
        examples: &[".drone.yml", "repo/.drone.windows.yml"],
        find: drone::find_drone,
        needles: &["image", "\\"],
        docs: Docs {
            title: "Drone",
            pinned: "`image` of every step and service (lists or mappings, every document; through anchors, aliases and merge keys); plugin `settings` are left alone; a value with `${VAR}` is skipped",
            example: "`image: golang:1.22` → `image: golang@sha256:…`",
        },
        corpus: "drone",
        comments: CommentStyle::Trailing,
    };
    /// Woodpecker CI: step, service and clone images.
    Woodpecker = KindInfo {
        name: "woodpecker",
        rule: |n, p| is_yaml(n) && (n.starts_with(".woodpecker.") || in_dir(p, ".woodpecker")),
        files: &[".woodpecker.yml", ".woodpecker/*.yml"],
        examples: &[".woodpecker.yml", "repo/.woodpecker/test.yaml"],
        find: drone::find_woodpecker,
        needles: &["image", "\\"],
        docs: Docs {
            title: "Woodpecker CI",
            pinned: "`image` of every step, service and `clone` step (lists or mappings, also the old `pipeline:` form); an `image: *alias` of a scalar anchored in `variables:` pins the anchored scalar, once; plugin `settings` are left alone; a value with `${VAR}` is skipped",
            example: "`- &golang 'golang:1.27'` … `image: *golang` → `'golang@sha256:…'`",
        },
        corpus: "woodpecker",
        comments: CommentStyle::Trailing,
    };
    /// Helm `values*.yaml`: `image:` values and mappings.
    HelmValues = KindInfo {
        name: "helm-values",
        rule: |n, _| is_yaml(n) && n.starts_with("values"),
        files: &["values*.yaml"],
        examples: &["chart/values.yaml", "chart/values-prod.yaml", "values.yml"],
        find: helm_values::find,
        needles: &["image", "Image", "IMAGE", "\\"],
        docs: Docs {
            title: "Helm values",
            pinned: "scalar `image:` values as for Kubernetes YAML; `image:` mappings with `repository` (+ `registry`, `tag`, `global.imageRegistry`) that have a `digest:` key (bitnami, ingress-nginx style) get it filled; without a `digest:` key they are reported, not changed. Under other keys that end in `image`, in any case (`gitImage:`, `clickHouseImage:`, `inline_image:`): a mapping with `repository` and a `tag` or `digest` key is read the same way, and a scalar when it is a reference with a tag or digest (`vmImage: ubuntu-latest` is not). `{{ }}` in comments does not make a file a template",
            example: "`digest: \"\"` → `digest: \"sha256:…\"`",
        },
        corpus: "helm",
        comments: CommentStyle::Trailing,
    };
    /// Docker Bake files: `docker-image://` values of a target's `contexts`.
    DockerBake = KindInfo {
        name: "docker-bake",
        rule: |n, _| matches!(n, "docker-bake.hcl" | "docker-bake.override.hcl"),
        files: &["docker-bake.hcl", "docker-bake.override.hcl"],
        examples: &["docker-bake.hcl", "build/docker-bake.override.hcl"],
        find: hcl::find_bake,
        needles: &["docker-image://"],
        docs: Docs {
            title: "Docker Bake",
            pinned: "`docker-image://` values of a `target`'s `contexts` (the reference after the prefix); a value with `${…}` is skipped",
            example: "`base = \"docker-image://alpine:3.20\"` → `docker-image://alpine@sha256:…`",
        },
        corpus: "bake",
        comments: CommentStyle::Hcl,
    };
    /// Packer templates: `image` of `source "docker"` blocks.
    Packer = KindInfo {
        name: "packer",
        rule: |n, _| n.ends_with(".pkr.hcl"),
        files: &["*.pkr.hcl"],
        examples: &["build.pkr.hcl", "images/ubuntu.pkr.hcl"],
        find: hcl::find_packer,
        needles: &["docker"],
        docs: Docs {
            title: "Packer",
            pinned: "`image` of every `source \"docker\"` block",
            example: "`image = \"ubuntu:22.04\"` → `image = \"ubuntu@sha256:…\"`",
        },
        corpus: "packer",
        comments: CommentStyle::Hcl,
    };
    /// Nomad job files: `config { image = … }` of docker and podman tasks.
    Nomad = KindInfo {
        name: "nomad",
        rule: |n, _| n.ends_with(".nomad") || n.ends_with(".nomad.hcl"),
        files: &["*.nomad", "*.nomad.hcl"],
        examples: &["jobs/web.nomad", "redis.nomad.hcl"],
        find: hcl::find_nomad,
        needles: &["image"],
        docs: Docs {
            title: "Nomad",
            pinned: "`config { image = … }` of every `task` whose `driver` is `\"docker\"` or `\"podman\"`",
            example: "`image = \"redis:7\"` → `image = \"redis@sha256:…\"`",
        },
        corpus: "nomad",
        comments: CommentStyle::Hcl,
    };
    /// Terraform/OpenTofu: Kubernetes workload containers, `docker_image` names.
    Terraform = KindInfo {
        name: "terraform",
        rule: |n, _| n.ends_with(".tf") || n.ends_with(".tofu"),
        files: &["*.tf", "*.tofu"],
        examples: &["main.tf", "infra/k8s.tf", "main.tofu"],
        find: hcl::find_terraform,
        needles: &["kubernetes_", "docker_", "helm_release", "oci://"],
        docs: Docs {
            title: "Terraform / OpenTofu",
            pinned: "`image` of `container` and `init_container` blocks (also `dynamic` ones) in `kubernetes_*` workload resources (pod, deployment, stateful set, daemon set, job, cron job, replication controller, and their `_v1` forms); `name` of `docker_image` resources and data sources; `image` of `docker_container` resources and of `docker_service`'s `task_spec { container_spec { … } }` (`image = docker_image.x.image_id` is pinned at that `docker_image`); a string with `${…}` or any other expression is skipped; the `name` of a `data \"docker_registry_image\"` is a lookup, skipped; a `module`'s `source = \"oci://…?tag=…\"` (OpenTofu) becomes `?digest=sha256:…`; a `helm_release` chart from an `oci://` repository is listed, not pinned",
            example: "`image = \"nginx:1.27\"` → `image = \"nginx@sha256:…\"`",
        },
        corpus: "terraform",
        comments: CommentStyle::Hcl,
    };
    /// Bazel: rules_oci `oci.pull` / `oci_pull` calls, rules_img `pull` calls.
    Bazel = KindInfo {
        name: "bazel",
        rule: |n, _| {
            matches!(n, "module.bazel" | "workspace" | "workspace.bazel" | "workspace.bzlmod")
                || n.ends_with(".module.bazel")
                || n.ends_with(".bzl")
        },
        files: &["MODULE.bazel", "*.MODULE.bazel", "WORKSPACE", "WORKSPACE.bazel", "WORKSPACE.bzlmod", "*.bzl"],
        examples: &["MODULE.bazel", "third_party/oci.MODULE.bazel", "WORKSPACE", "WORKSPACE.bazel", "WORKSPACE.bzlmod", "tools/images.bzl"],
        find: bazel::find,
        needles: &["oci:pull.bzl", "oci:extensions.bzl", "img:pull.bzl"],
        docs: Docs {
            title: "Bazel (rules_oci, rules_img)",
            pinned: "`oci.pull(...)` (bound by `use_extension(\"@rules_oci//oci:extensions.bzl\", \"oci\")`) and `oci_pull(...)` (loaded from `@rules_oci//oci:pull.bzl`) calls, and rules_img `pull(...)` calls (bound by `use_repo_rule(\"@rules_img//img:pull.bzl\", \"pull\")` or loaded from there): `image` (or `registry` + `repository`; for rules_img, `registry`, else the first of `registries`, else Docker Hub, + `repository`) at `tag` is resolved and `digest = \"sha256:…\"` is set — an empty one is filled; a missing one is inserted before `tag`, with its indentation and line ending; `tag` is kept (both then use the digest); rules_oci calls with `reproducible = False` are skipped; rules_img's `images.pull` extension is not read",
            example: "`tag = \"3.20\",` → `digest = \"sha256:…\",` + `tag = \"3.20\",`",
        },
        corpus: "bazel",
        comments: CommentStyle::Trailing,
    };
    /// Maven `pom.xml`: spring-boot-maven-plugin and jib-maven-plugin base and builder images.
    Maven = KindInfo {
        name: "maven",
        rule: |n, _| n == "pom.xml",
        files: &["pom.xml"],
        examples: &["pom.xml", "services/api/pom.xml"],
        find: maven::find,
        needles: &["spring-boot-maven-plugin", "jib-maven-plugin", "jib.from.image", "spring-boot.build-image."],
        docs: Docs {
            title: "Maven",
            pinned: "spring-boot-maven-plugin's `<image><builder>`, `<image><runImage>` and `<image><buildpacks><buildpack>` written `docker://…` (the reference after the prefix); jib-maven-plugin's `<from><image>` (a `registry://` prefix is kept; `docker://` and `tar://` images are skipped); in each plugin's `<configuration>` and its executions'; and the properties `jib.from.image`, `spring-boot.build-image.builder` and `spring-boot.build-image.runImage`. The element's text only (whitespace and CDATA markers stay); a value with `${…}` is skipped naming the property, one written with `&…;` references is skipped; `<to><image>` and `<image><name>` (the images built) are left alone; parent POMs are not followed",
            example: "`<builder>paketobuildpacks/builder-jammy-base:0.4</builder>` → `paketobuildpacks/builder-jammy-base@sha256:…`",
        },
        corpus: "maven",
        comments: CommentStyle::None,
    };
    /// .NET SDK container builds: `ContainerBaseImage` of MSBuild project files.
    Dotnet = KindInfo {
        name: "dotnet",
        rule: |n, _| {
            n.ends_with(".csproj")
                || n.ends_with(".fsproj")
                || n.ends_with(".vbproj")
                || n == "directory.build.props"
        },
        files: &["*.csproj", "*.fsproj", "*.vbproj", "Directory.Build.props"],
        examples: &["src/Web/Web.csproj", "App.fsproj", "Legacy.vbproj", "Directory.Build.props"],
        find: dotnet::find,
        needles: &[],
        docs: Docs {
            title: ".NET SDK containers",
            pinned: "the `ContainerBaseImage` property (any case, in any `<PropertyGroup>`, whatever its `Condition`): the element's text only; a value with `$(…)`, `@(…)`, `%(…)` or `%XX` escapes is skipped; `ContainerFamily`, `ContainerRepository` and the base image the SDK infers are left alone; imported files, publish profiles and `-p:` values are not read",
            example: "`<ContainerBaseImage>mcr.microsoft.com/dotnet/aspnet:9.0</ContainerBaseImage>` → `…/aspnet@sha256:…`",
        },
        corpus: "dotnet",
        comments: CommentStyle::None,
    };
    /// Cloud Native Buildpacks project descriptors: the builder and image buildpacks.
    Buildpacks = KindInfo {
        name: "buildpacks",
        rule: |n, _| n == "project.toml",
        files: &["project.toml"],
        examples: &["project.toml", "apps/web/project.toml"],
        find: buildpacks::find,
        needles: &["builder", "uri"],
        docs: Docs {
            title: "Cloud Native Buildpacks",
            pinned: "the builder and the buildpacks that are images, in the schema `_.schema-version` names as `pack` reads it: `[io.buildpacks] builder` and the `uri` of `[[io.buildpacks.group]]`, `[[io.buildpacks.pre.group]]` and `[[io.buildpacks.post.group]]` (0.2, 0.3); `[build] builder` and the `uri` of `[[build.buildpacks]]` (no `schema-version`: 0.1). A `uri` is an image written `docker://…` (the reference after the prefix, which stays) or unprefixed with a tag or digest; ids, `urn:cnb:…` and paths are left alone; a string with escapes is skipped; the schema names no run image (it comes from the builder)",
            example: "`uri = \"docker://gcr.io/paketo-buildpacks/java:13.1.0\"` → `docker://gcr.io/paketo-buildpacks/java@sha256:…`",
        },
        corpus: "buildpacks",
        comments: CommentStyle::Trailing,
    };
    /// Google Cloud Build configs (YAML or JSON): `steps[*].name`.
    CloudBuild = KindInfo {
        name: "cloud-build",
        rule: |n, _| n.starts_with("cloudbuild") && (is_yaml(n) || n.ends_with(".json")),
        files: &["cloudbuild*.yaml", "cloudbuild*.yml", "cloudbuild*.json"],
        examples: &["cloudbuild.yaml", "deploy/cloudbuild.yml", "cloudbuild.json", "ci/cloudbuild-release.yaml"],
        find: cloud_build::find,
        needles: &["steps", "\\"],
        docs: Docs {
            title: "Google Cloud Build",
            pinned: "`steps[*].name`, the image each step runs in, in YAML and JSON configs; a name with substitutions (`$PROJECT_ID`, `${_TAG}`) is skipped; `images:` (what the build pushes) is left alone; in a JSON config `--tag-comment` keeps the tag in the reference (JSON has no comments)",
            example: "`- name: gcr.io/cloud-builders/docker` → `gcr.io/cloud-builders/docker@sha256:…`",
        },
        corpus: "cloudbuild",
        comments: CommentStyle::None,
    };
    /// `Tiltfile`: never rewritten; read for the images Tilt builds (see `app::project`).
    Tiltfile = KindInfo {
        name: "tiltfile",
        rule: |n, _| n == "tiltfile",
        files: &["Tiltfile"],
        examples: &["Tiltfile", "services/web/Tiltfile"],
        find: tilt::find,
        needles: &[],
        docs: Docs {
            title: "Tilt",
            pinned: "nothing: a Tiltfile is never rewritten. The names its build calls give (`docker_build`, `custom_build`, and the build functions of the Tilt extensions it loads, such as `ko_build` or `docker_build_with_restart`) are images the project builds: listed as skipped there, and references to them in the Tiltfile's directory and below and in the files it deploys are skipped too (see \"Not images\")",
            example: "`docker_build('shop/web', '.')` → `image: shop/web` left alone",
        },
        corpus: "tilt",
        comments: CommentStyle::None,
    };
    /// Kubernetes manifests and any other YAML: every `image:` scalar, image volume references.
    Yaml = KindInfo {
        name: "yaml",
        rule: |n, _| is_yaml(n),
        files: &["*.yaml", "*.yml"],
        examples: &["deploy.yaml", "a/b/pod.YML", "repo/.github/ci.yml", "chart/templates/deployment.yaml"],
        find: yaml::find,
        needles: &["image", "\\", "fluxcd.io", "argoproj.io", "tekton.dev", "crossplane.io", "k14s.io", "carvel.dev", "projectsveltos.io"],
        docs: Docs {
            title: "Kubernetes and any YAML",
            pinned: "every scalar value of an `image:` key, at any depth, in every document (Pods, workloads, CronJobs, custom resources such as `spec.image`, flow mappings); image volumes' `volumes[].image.reference`; the images and OCI artifacts of Flux, Argo CD, Tekton, Crossplane, Carvel and Sveltos objects, found by `apiVersion` and `kind` (see \"GitOps objects and OCI artifacts\")",
            example: "`image: nginx:1.27` → `image: nginx@sha256:…`",
        },
        corpus: "k8s",
        comments: CommentStyle::Trailing,
    };
    /// Dev container configurations (JSONC): the top-level `image`.
    Devcontainer = KindInfo {
        name: "devcontainer",
        rule: |n, p| n == ".devcontainer.json" || (n == "devcontainer.json" && (in_dir(p, ".devcontainer") || p.parent().and_then(Path::parent).is_some_and(|d| d.ends_with(".devcontainer")))),
        files: &[".devcontainer.json", ".devcontainer/devcontainer.json", ".devcontainer/*/devcontainer.json"],
        examples: &[".devcontainer.json", ".devcontainer/devcontainer.json", "repo/.devcontainer/go/devcontainer.json"],
        find: devcontainer::find,
        needles: &[],
        docs: Docs {
            title: "Dev container",
            pinned: "the top-level `image` (comments and trailing commas allowed); a configuration with `build` builds its image and is skipped; `// pin: ignore` marks an image; features (`ghcr.io/devcontainers/features/node:1`) are pinned, as `name@sha256:…`, only with `--devcontainer-features`",
            example: "`\"image\": \"mcr.microsoft.com/devcontainers/go:1\"` → `…/go@sha256:…`",
        },
        corpus: "devcontainer",
        comments: CommentStyle::Jsonc,
    };
    /// Kubernetes manifests as JSON (`*.json` whose top level has `apiVersion` and `kind`).
    Json = KindInfo {
        name: "json",
        rule: |n, _| n.ends_with(".json"),
        files: &["*.json"],
        examples: &["deploy.json", "k8s/LIST.JSON", "package.json"],
        find: json::find,
        needles: &[],
        docs: Docs {
            title: "Kubernetes JSON",
            pinned: "a `*.json` whose top level is a Kubernetes object or `List` (string `apiVersion` and `kind`): the same `image` rules as YAML; any other JSON (`package.json`, `tsconfig.json`) is left alone; a string with escapes (`\\u002f`, `\\/`) is reported, not changed",
            example: "`\"image\": \"nginx:1.27\"` → `\"image\": \"nginx@sha256:…\"`",
        },
        corpus: "json",
        comments: CommentStyle::None,
    };
}

impl Kind {
    /// This kind's entry in [`KINDS`].
    pub fn info(self) -> &'static KindInfo {
        // `kinds!` declares the variants and the entries from one list, in one order.
        &KINDS[self as usize]
    }

    /// The kind of a file from its path, or `None` for files `pin` never touches.
    pub fn detect(path: &Path) -> Option<Kind> {
        // A name that is not UTF-8 is matched with U+FFFD for its stray bytes (no rule matches that
        // character): `caf\xe9.yaml` is YAML. Such a file is read, never passed over unseen.
        let lower = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        Kind::ALL
            .iter()
            .copied()
            .find(|kind| (kind.info().rule)(&lower, path))
    }

    /// Whether the tools of this kind read UTF-16 text that starts with a byte order mark, as `pin` then
    /// does ([`crate::rewrite::encoding`]). YAML requires it of every reader (YAML 1.2, 5.2; libyaml, go-yaml
    /// and PyYAML do), and kubectl reads JSON manifests so too. Dockerfiles (BuildKit), systemd units, HCL,
    /// Starlark and dev container files are read as UTF-8 only: there such a file is an error.
    pub fn reads_utf16(self) -> bool {
        !matches!(
            self,
            Kind::Dockerfile
                | Kind::Quadlet
                | Kind::DockerBake
                | Kind::Packer
                | Kind::Nomad
                | Kind::Terraform
                | Kind::Bazel
                | Kind::Tiltfile
                | Kind::Devcontainer
        )
    }

    /// Runs this kind's finder over a whole file.
    pub fn find(self, src: &str) -> Result<Findings, FindError> {
        (self.info().find)(src)
    }

    /// Runs this kind's finder with the scan's options. The table's finders take none; an option changes
    /// the finder of the kinds it is about (features: dev containers; `--no-actions`: GitHub Actions files).
    pub fn find_with(self, src: &str, options: &FindOptions) -> Result<Findings, FindError> {
        match self {
            Kind::Devcontainer if options.devcontainer_features => {
                devcontainer::find_with(src, options)
            }
            Kind::GithubActions if !options.actions => github_actions::find_with(src, options),
            Kind::ActionMetadata if !options.actions => {
                github_actions::find_action_with(src, options)
            }
            _ => self.find(src),
        }
    }

    /// Whether a file of this kind may hold a reference: it contains one of the kind's needles (or the kind
    /// has none). A file that may not is passed over without parsing: it has no candidates, and also no
    /// error or skip note that parsing it would give (invalid YAML, a Helm template without `image`).
    pub fn may_hold(self, src: &str) -> bool {
        let needles = self.info().needles;
        needles.is_empty()
            || needles
                .iter()
                .any(|n| memchr::memmem::find(src.as_bytes(), n.as_bytes()).is_some())
    }

    /// The name used in messages and JSON.
    pub fn as_str(self) -> &'static str {
        self.info().name
    }

    /// The kind with this name ([`Kind::as_str`]).
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.as_str() == name)
    }
}

impl serde::Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Every kind's file names, for messages: `*.yaml, *.yml, Dockerfile, …`, each once.
pub fn file_names() -> String {
    let mut names: Vec<&str> = Vec::new();
    for info in KINDS {
        for name in info.files {
            if !names.contains(name) {
                names.push(name);
            }
        }
    }
    names.join(", ")
}

fn is_yaml(lower_name: &str) -> bool {
    lower_name.ends_with(".yaml") || lower_name.ends_with(".yml")
}

/// `stem`, `stem.*` or `*.stem` (lowercased).
fn stem_is(lower_name: &str, stem: &str) -> bool {
    lower_name == stem
        || lower_name
            .strip_prefix(stem)
            .is_some_and(|rest| rest.starts_with('.'))
        || lower_name
            .strip_suffix(stem)
            .is_some_and(|rest| rest.ends_with('.'))
}

/// Whether the file's directory ends with the components of `dir` (`.github/workflows`).
fn in_dir(path: &Path, dir: &str) -> bool {
    path.parent().is_some_and(|d| d.ends_with(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names that no kind takes.
    const NOT_KINDS: &[&str] = &[
        "README.md",
        "notes.txt",
        "src/main.rs",
        "Dockerfile-notes.txt",
        "dockerfiles/notes.md",
        "kustomization.toml",
        "a.jsonl",
        "devcontainer.jsonc",
        "yaml",
        "a.yaml.bak",
        "terraform.tfvars",
        "vars.hcl",
        "BUILD.bazel",
        "x.bazelrc",
        "web.service",
        "app.pod",
        "app.build",
        "web.container.d/10-image.conf",
        "Tiltfile.tests",
        "tilt_config.json.bak",
        "settings.xml",
        "pom.xml.bak",
        "Directory.Build.targets",
        "App.sln",
        "Cargo.toml",
        "pyproject.toml",
        "builder.toml",
        "project.toml.bak",
    ];

    #[test]
    fn kinds_and_entries_line_up() {
        assert_eq!(Kind::ALL.len(), KINDS.len());
        for (i, kind) in Kind::ALL.iter().enumerate() {
            assert_eq!(*kind as usize, i);
            assert_eq!(Kind::from_name(kind.as_str()), Some(*kind));
            assert_eq!(
                serde_json::to_string(kind).unwrap(),
                format!("\"{}\"", kind.as_str())
            );
        }
        let mut names: Vec<_> = KINDS.iter().map(|k| k.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), KINDS.len(), "kind names are unique");
    }

    #[test]
    fn every_example_is_detected_as_its_kind() {
        for kind in Kind::ALL {
            let info = kind.info();
            assert!(!info.examples.is_empty(), "{}", info.name);
            for example in info.examples {
                assert_eq!(Kind::detect(Path::new(example)), Some(*kind), "{example}");
            }
        }
        for name in NOT_KINDS {
            assert_eq!(Kind::detect(Path::new(name)), None, "{name}");
        }
    }

    /// The `files:` regex of the hooks in `.pre-commit-hooks.yaml` (every hook has the same one), as YAML
    /// reads the single-quoted scalar.
    fn hook_regex() -> regex::Regex {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml");
        let text = std::fs::read_to_string(path).expect(".pre-commit-hooks.yaml");
        let lines: Vec<&str> = text
            .lines()
            .filter_map(|l| l.trim_start().strip_prefix("files: "))
            .collect();
        let hooks = text.lines().filter(|l| l.starts_with("- id: ")).count();
        assert_eq!(lines.len(), hooks, "one files: line per hook");
        assert!(
            lines.windows(2).all(|w| w[0] == w[1]),
            "the hooks' files: patterns differ"
        );
        let line = lines[0];
        let quoted = line
            .trim()
            .strip_prefix('\'')
            .and_then(|l| l.strip_suffix('\''))
            .expect("a single-quoted regex");
        regex::Regex::new(&quoted.replace("''", "'")).expect("a valid regex")
    }

    /// pre-commit passes the files its regex matches (searched in the path from the repository root) to
    /// `pin --check`, which refuses a named file of no kind: the regex must match every kind's files and
    /// nothing else.
    #[test]
    fn the_pre_commit_hook_matches_every_kind_and_nothing_else() {
        let regex = hook_regex();
        for info in KINDS {
            for example in info.examples {
                assert!(regex.is_match(example), "{}: {example}", info.name);
            }
        }
        for name in NOT_KINDS {
            assert!(!regex.is_match(name), "{name}");
        }
    }

    /// The rows of the kinds table of docs/kinds.md, as the table describes them.
    fn readme_rows() -> Vec<String> {
        KINDS
            .iter()
            .map(|info| {
                let files: Vec<String> = info.files.iter().map(|f| format!("`{f}`")).collect();
                format!(
                    "| {} (`{}`) | {} | {} | {} |",
                    info.docs.title,
                    info.name,
                    files.join(", "),
                    info.docs.pinned,
                    info.docs.example
                )
            })
            .collect()
    }

    /// docs/kinds.md with its kinds table made from the kind table: a golden file (`PIN_BLESS=1` rewrites it;
    /// read the diff).
    #[test]
    fn the_docs_kinds_table_is_the_table() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/kinds.md");
        let readme = std::fs::read_to_string(&path).expect("docs/kinds.md");
        let header = "| kind | file names | what is pinned | example |\n|---|---|---|---|\n";
        let start = readme.find(header).expect("the kinds table header") + header.len();
        let rows: Vec<&str> = readme[start..]
            .lines()
            .take_while(|l| l.starts_with('|'))
            .collect();
        let end = start + rows.iter().map(|r| r.len() + 1).sum::<usize>();
        let table = readme_rows().join("\n") + "\n";
        let want = format!("{}{table}{}", &readme[..start], &readme[end..]);
        crate::golden::assert_golden(&path, &want);
    }

    #[test]
    fn file_names_for_messages() {
        let names = file_names();
        assert!(names.starts_with("Dockerfile, Containerfile"), "{names}");
        for name in ["Kustomization", "*.yaml", "*.yml", "*.json"] {
            assert!(names.split(", ").any(|n| n == name), "{name}: {names}");
        }
    }
}
