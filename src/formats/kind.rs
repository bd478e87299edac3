//! The table of file kinds: one [`KindInfo`] per [`Kind`], the single place a kind is described.
//!
//! Everything else about a kind comes from its entry: [`Kind::detect`] takes the kind whose globs take the
//! file, the most specific glob deciding where several kinds' do ([`glob`]); [`Kind::find`] runs the entry's
//! finder; [`Kind::as_str`] and the JSON name are the entry's name; the walk's "not a file kind" message
//! lists the entries' globs; whether UTF-16 is read and which parse errors note a lone `\r` come from its
//! [`Syntax`], whether the project pass reads it as a kustomization or a Tiltfile from its [`Project`], and
//! `--tag-comment`'s placement from its [`CommentStyle`]. Tests check the rest against the table: every
//! example path of every entry is detected as its kind, the pre-commit hooks' `files` pattern
//! (`.pre-commit-hooks.yaml`) is made from the globs (and real `pre-commit` passes exactly the paths that
//! have a kind: `tests/integrations.rs`), the kinds table of docs/kinds.md is the entries' docs rows, and
//! every kind has its corpus files, as many as its entry says (`src/formats/corpus.rs`).
//!
//! A new kind is one finder module and one entry in [`kinds!`] below.

pub(crate) mod glob;

use std::path::Path;
use std::sync::LazyLock;

use super::tag_comment::CommentStyle;
use super::{
    azure_pipelines, bazel, bitbucket, buildpacks, chart_yaml, circleci, cloud_build, compose,
    devcontainer, dockerfile, dotnet, drone, fleet, github_actions, gitlab_ci, hcl, helm_values,
    helmfile, json, ko, kustomize, maven, quadlet, tilt, yaml, FindError, FindOptions, Findings,
};

/// A finder: one file's text in, its candidates out.
pub type Finder = fn(&str) -> Result<Findings, FindError>;

/// Everything `pin` knows about one kind of file.
#[derive(Debug)]
pub struct KindInfo {
    /// The name in messages and JSON (`"kind": "github-actions"`).
    pub name: &'static str,
    /// The files of this kind, as globs ([`glob`]: `*.{yaml,yml}`, `.github/workflows/*.{yml,yaml}`): the rule
    /// itself, shown as written in docs/kinds.md and in the walk's message, and made into the pre-commit
    /// hooks' `files` pattern.
    pub globs: &'static [&'static str],
    /// Paths of this kind (checked by a test, as is the pre-commit hooks' pattern against them).
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
    /// The real files of this kind that the corpus tests read (`src/formats/corpus.rs`).
    pub corpus: Corpus,
    /// The language the files are written in, as far as reading them depends on it.
    pub syntax: Syntax,
    /// What the files say about the project beyond their own references ([`crate::app`]'s project pass).
    pub project: Project,
    /// Where comments may go: decides how `--tag-comment` writes a tag.
    pub comments: CommentStyle,
}

/// Where a kind's real files are, and how many (counted by hand: the corpus tests check the count).
#[derive(Debug)]
pub struct Corpus {
    /// The directory under `tests/corpus/`.
    pub dir: &'static str,
    pub files: usize,
}

/// The language of a kind's files, as far as reading them depends on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    Yaml,
    Json,
    /// JSON with comments and trailing commas (dev containers).
    Jsonc,
    Dockerfile,
    /// systemd unit files (Quadlet).
    Systemd,
    Hcl,
    Starlark,
    Xml,
    Toml,
}

impl Syntax {
    /// Whether the tools of this syntax read UTF-16 text that starts with a byte order mark, as `pin` then
    /// does ([`crate::rewrite::encoding`]). YAML requires it of every reader (YAML 1.2, 5.2; libyaml, go-yaml
    /// and PyYAML do), kubectl reads JSON manifests so too, and XML requires it. Dockerfiles (BuildKit),
    /// systemd units, HCL, Starlark and dev container files are read as UTF-8 only: there such a file is an
    /// error.
    pub fn reads_utf16(self) -> bool {
        matches!(
            self,
            Syntax::Yaml | Syntax::Json | Syntax::Xml | Syntax::Toml
        )
    }

    /// The format's name for a message saying that a lone `\r` (old Mac text) is no line break in it, where
    /// that is so: Dockerfiles and HCL read only `\n` and `\r\n` as line breaks. `None` for the others.
    pub fn lone_cr_is_no_line_break(self) -> Option<&'static str> {
        match self {
            Syntax::Dockerfile => Some("Docker"),
            Syntax::Hcl => Some("HCL"),
            _ => None,
        }
    }
}

/// What a kind's files say about the project beyond their own references: the names it builds or sets,
/// which are then not registry images ([`crate::app`]'s project pass). Any YAML file may also be a
/// skaffold config, found by its `apiVersion` whatever the file's kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Project {
    /// Nothing more.
    None,
    /// A kustomization: the image names its `images:` set, in the files it includes.
    Kustomization,
    /// A Tiltfile: the images it builds, and the files it deploys.
    Tiltfile,
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
        /// The kinds of file `pin` reads. See [`KINDS`].
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
    /// Dockerfiles and Containerfiles: `FROM` images, `COPY --from`, `RUN --mount=from`, `# syntax=`.
    Dockerfile = KindInfo {
        name: "dockerfile",
        globs: &["Dockerfile", "Dockerfile.*", "*.Dockerfile", "Containerfile", "Containerfile.*", "*.Containerfile"],
        examples: &["Dockerfile", "Containerfile", "build.Dockerfile", "Dockerfile.prod", "Containerfile.dev", "a/b/dockerfile"],
        find: dockerfile::find,
        needles: &[],
        docs: Docs {
            title: "Dockerfile",
            pinned: "each `FROM` image (any case, `--platform`, continuations, `# escape=`, also indented, as BuildKit's parser reads it); the default of a global `ARG NAME=image:tag` that a `FROM ${NAME}` uses (the one place the reference lives); the default of a global `ARG` that ends the tag of a `FROM name:${NAME}` and is used nowhere else, pinned as `tag@sha256:…` (see [build arguments](#dockerfile-build-arguments)); `COPY --from=image`; `RUN --mount=…,from=image`; the `# syntax=` directive",
            example: "`ARG BASE=alpine:3.20` … `FROM ${BASE}` → `ARG BASE=alpine@sha256:…`",
        },
        corpus: Corpus { dir: "dockerfile", files: 20 },
        syntax: Syntax::Dockerfile,
        project: Project::None,
        comments: CommentStyle::WholeLine,
    };
    /// Podman Quadlet units: `Image=` of `[Container]`, `[Image]` and `[Volume]`.
    Quadlet = KindInfo {
        name: "quadlet",
        globs: &["*.container", "*.image", "*.volume"],
        examples: &["web.container", "containers/systemd/db.image", "data.volume", "app@.container"],
        find: quadlet::find,
        needles: &["Image"],
        docs: Docs {
            title: "Podman Quadlet",
            pinned: "`Image=` in `[Container]`, `[Image]` and `[Volume]` (systemd unit syntax: `#`/`;` comment lines, `\\` continuations, one pair of double quotes; a `docker://` prefix is kept); a value naming another unit (`db.image`, `app.build`), continued over lines, with a `%` specifier or another transport (`docker-archive:`), an `[Image]` with `AllTags=true` and a `[Volume]` whose `Driver` is not `image` are skipped; `.build` units (`ImageTag=` is what they build), drop-ins (`*.container.d/*.conf`) and `Mount=type=image` are not read",
            example: "`Image=quay.io/podman/hello:latest` → `Image=quay.io/podman/hello@sha256:…`",
        },
        corpus: Corpus { dir: "quadlet", files: 7 },
        syntax: Syntax::Systemd,
        project: Project::None,
        comments: CommentStyle::WholeLine,
    };
    /// ko configurations: `defaultBaseImage` and the values of `baseImageOverrides`.
    Ko = KindInfo {
        name: "ko",
        globs: &[".ko.{yaml,yml}"],
        examples: &[".ko.yaml", "cmd/.ko.yml"],
        find: ko::find,
        needles: &[],
        docs: Docs {
            title: "ko",
            pinned: "`defaultBaseImage` and every value of `baseImageOverrides` (keys in any case, as viper reads them; first document only); a `ko.local` base is skipped; `ko://` import paths in manifests are left alone; `KO_DEFAULTBASEIMAGE` and files named by `KO_CONFIG_PATH` are not read",
            example: "`defaultBaseImage: cgr.dev/chainguard/static:latest` → `cgr.dev/chainguard/static@sha256:…`",
        },
        corpus: Corpus { dir: "ko", files: 4 },
        syntax: Syntax::Yaml,
        project: Project::None,
        comments: CommentStyle::Trailing,
    };
    /// Kustomizations: `images:` entries.
    Kustomize = KindInfo {
        name: "kustomize",
        globs: &["kustomization.{yaml,yml}", "Kustomization"],
        examples: &["k/kustomization.yaml", "kustomization.yml", "Kustomization"],
        find: kustomize::find,
        needles: &["image", "helmCharts", "\\"],
        docs: Docs {
            title: "Kustomize",
            pinned: "`images:` entries: `newName` (or `name`) at `newTag` is resolved and `digest:` is set — an empty one is filled; a missing one is inserted as one line after `newTag`, with the entry's indentation and the line ending of the `newTag` line — `\\n`, `\\r\\n` or a lone `\\r` (the only bytes added); an entry value that kustomize reads as a number or boolean (`newTag: 2.5`, `newTag: 1`, `newTag: yes`: it then refuses the file) is an error saying to quote it; `helmCharts` from an `oci://` repo are listed, not pinned",
            example: "`newTag: v1` → `newTag: v1` + `digest: sha256:…`",
        },
        corpus: Corpus { dir: "kustomize", files: 7 },
        syntax: Syntax::Yaml,
        project: Project::Kustomization,
        comments: CommentStyle::Trailing,
    };
    /// helmfile: the OCI charts of `releases`, listed.
    Helmfile = KindInfo {
        name: "helmfile",
        globs: &["helmfile.{yaml,yml}", "helmfile.{yaml,yml}.gotmpl", "helmfile.d/*.{yaml,yml}", "helmfile.d/*.{yaml,yml}.gotmpl"],
        examples: &["helmfile.yaml", "deploy/helmfile.yml", "helmfile.yaml.gotmpl", "helmfile.d/00-base.yaml", "helmfile.d/apps.yaml.gotmpl"],
        find: helmfile::find,
        needles: &["oci", "\\"],
        docs: Docs {
            title: "helmfile",
            pinned: "nothing is rewritten: every release's chart in an OCI registry (`chart: oci://…`, or `repo/name` of a repository with `oci: true`) is listed at its `version`, since helmfile takes no digest (`pin verify` checks the version exists); a `.gotmpl` file that is not YAML until rendered is skipped as a template",
            example: "`chart: oci://ghcr.io/org/charts/app` + `version: 0.3.0` → listed",
        },
        corpus: Corpus { dir: "helmfile", files: 4 },
        syntax: Syntax::Yaml,
        project: Project::None,
        comments: CommentStyle::Trailing,
    };
    /// Fleet `fleet.yaml`: the OCI charts of `helm`, listed.
    Fleet = KindInfo {
        name: "fleet",
        globs: &["fleet.yaml"],
        examples: &["fleet.yaml", "apps/web/fleet.yaml"],
        find: fleet::find,
        needles: &["oci://", "\\"],
        docs: Docs {
            title: "Fleet",
            pinned: "nothing is rewritten: the Helm chart of `helm` and of each `targetCustomizations[*].helm` in an OCI registry (its whole `oci://…` URL in `repo` or `chart`) is listed at its `version`, since Fleet takes no digest",
            example: "`chart: oci://ghcr.io/org/app` + `version: 1.2.3` → listed",
        },
        corpus: Corpus { dir: "fleet", files: 2 },
        syntax: Syntax::Yaml,
        project: Project::None,
        comments: CommentStyle::Trailing,
    };
    /// Helm `Chart.yaml`: OCI dependencies, listed.
    ChartYaml = KindInfo {
        name: "chart-yaml",
        globs: &["Chart.yaml"],
        examples: &["Chart.yaml", "charts/app/Chart.yaml"],
        find: chart_yaml::find,
        needles: &["oci://", "\\"],
        docs: Docs {
            title: "Helm chart metadata",
            pinned: "nothing is rewritten: each of `dependencies` from an OCI `repository` is listed at its `version`, since Helm takes no digest there (a range such as `~1.2.0` is skipped)",
            example: "`repository: oci://registry-1.docker.io/bitnamicharts` → listed",
        },
        corpus: Corpus { dir: "chart", files: 2 },
        syntax: Syntax::Yaml,
        project: Project::None,
        comments: CommentStyle::Trailing,
    };
    /// Compose files: `services.*.image`.
    Compose = KindInfo {
        name: "compose",
        globs: &["compose.{yaml,yml}", "compose.*.{yaml,yml}", "docker-compose*.{yml,yaml}"],
        examples: &["compose.yaml", "compose.prod.yml", "docker-compose.yml", "docker-compose.prod.yml"],
        find: compose::find,
        needles: &["image", "\\"],
        docs: Docs {
            title: "Compose",
            pinned: "`services.*.image`, also through `x-` anchors and `<<:` merge keys (the anchored text is rewritten once, never the alias); a service with `build:` names its own image and is skipped",
            example: "`x-base: &base {image: redis:7}` → `redis@sha256:…`",
        },
        corpus: Corpus { dir: "compose", files: 3 },
        syntax: Syntax::Yaml,
        project: Project::None,
        comments: CommentStyle::Trailing,
    };
    /// GitLab CI: `image:` and `services:`.
    GitlabCi = KindInfo {
        name: "gitlab-ci",
        globs: &[".gitlab-ci.yml", "*.gitlab-ci.{yml,yaml}"],
        examples: &[".gitlab-ci.yml", "ci/build.gitlab-ci.yml", "x.gitlab-ci.yaml"],
        find: gitlab_ci::find,
        needles: &["image", "services", "\\"],
        docs: Docs {
            title: "GitLab CI",
            pinned: "`image:` (a string or `{name: …}`) at top level, in `default:` and in every job; `services:` entries (strings or `{name: …}`); `!reference` tags are read, not pinned; an image pulled through the dependency proxy (`${CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX}/…`, `${CI_DEPENDENCY_PROXY_DIRECT_GROUP_IMAGE_PREFIX}/…`, `$CI_DEPENDENCY_PROXY_SERVER/<group>/dependency_proxy/containers/…`) is resolved at Docker Hub and pinned after the prefix, which stays; other variables are skipped",
            example: "`image: {name: python:3.12}` → `python@sha256:…`",
        },
        corpus: Corpus { dir: "gitlab", files: 7 },
        syntax: Syntax::Yaml,
        project: Project::None,
        comments: CommentStyle::Trailing,
    };
    /// GitHub Actions workflows: job containers, service images, `docker://` steps.
    GithubActions = KindInfo {
        name: "github-actions",
        globs: &[".github/workflows/*.{yml,yaml}"],
        examples: &["repo/.github/workflows/ci.yml", ".github/workflows/release.yaml"],
        find: github_actions::find,
        needles: &["container", "image", "docker://", "services", "uses", "\\"],
        docs: Docs {
            title: "GitHub Actions",
            pinned: "`jobs.*.container` and `jobs.*.services.*` (each a string or `{image: …}`), `uses: docker://image:tag`; a `docker://` prefix on a container or service image is kept. Actions (`steps[*].uses: owner/repo@ref`) and reusable workflows (`jobs.*.uses`) are pinned to commits ([actions](actions.md))",
            example: "`uses: docker://alpine:3.20` → `docker://alpine@sha256:…`",
        },
        corpus: Corpus { dir: "gha", files: 5 },
        syntax: Syntax::Yaml,
        project: Project::None,
        comments: CommentStyle::Trailing,
    };
    /// A GitHub Action's metadata: `runs.image: docker://…`, composite steps.
    ActionMetadata = KindInfo {
        name: "action-metadata",
        globs: &["action.{yml,yaml}"],
        examples: &["action.yml", "actions/build/action.yaml", ".github/actions/x/action.yml"],
        find: github_actions::find_action,
        needles: &["docker://", "uses", "\\"],
        docs: Docs {
            title: "GitHub Action metadata",
            pinned: "`runs.image: docker://image:tag` of a Docker container action (`runs.image: Dockerfile` is a path the runner builds, left alone); `runs.steps[*].uses: docker://…` of a composite action, and its actions (`uses: owner/repo@ref`, pinned to commits: [actions](actions.md))",
            example: "`image: docker://alpine:3.20` → `docker://alpine@sha256:…`",
        },
        corpus: Corpus { dir: "action", files: 3 },
        syntax: Syntax::Yaml,
        project: Project::None,
        comments: CommentStyle::Trailing,
    };
    /// Azure Pipelines: container resources, job containers, service containers.
    AzurePipelines = KindInfo {
        name: "azure-pipelines",
        globs: &["azure-pipelines*.{yml,yaml}", ".azure-pipelines/*.{yml,yaml}"],
        examples: &["azure-pipelines.yml", "azure-pipelines-ci.yaml", "repo/.azure-pipelines/build.yml"],
        find: azure_pipelines::find,
        needles: &["container", "services", "\\"],
        docs: Docs {
            title: "Azure Pipelines",
            pinned: "`resources.containers[*].image`; the job container `container:` (a string or `{image: …}`) and `services:` values of the pipeline, of every job and deployment job, in `jobs` and `stages[*].jobs` — a string that is a container resource's alias is that resource; a value with `$(…)`, `${{ … }}`, `$[ … ]` or `$VAR` is skipped; `pool.vmImage` is left alone",
            example: "`container: ubuntu:22.04` → `container: ubuntu@sha256:…`",
        },
        corpus: Corpus { dir: "azure", files: 2 },
        syntax: Syntax::Yaml,
        project: Project::None,
        comments: CommentStyle::Trailing,
    };
    /// Bitbucket Pipelines: the default image, step images, service images.
    Bitbucket = KindInfo {
        name: "bitbucket-pipelines",
        globs: &["bitbucket-pipelines.{yml,yaml}"],
        examples: &["bitbucket-pipelines.yml", "repo/bitbucket-pipelines.yaml"],
        find: bitbucket::find,
        needles: &["image", "docker://", "\\"],
        docs: Docs {
            title: "Bitbucket Pipelines",
            pinned: "the top-level `image`, every step's `image` (also in `parallel`, `stage` and `definitions` steps, through anchors and merge keys) and `definitions.services.*.image`, each a string or `{name: …}`; a pipe given as an image, `pipe: docker://image:tag` in a step's `script` or `after-script` (the prefix is kept); other `pipe:` references (`atlassian/aws-s3-deploy:1.1.0`, a catalogue pipe) are left alone; a value with `$VAR` is skipped",
            example: "`image: {name: node:22}` → `node@sha256:…`",
        },
        corpus: Corpus { dir: "bitbucket", files: 2 },
        syntax: Syntax::Yaml,
        project: Project::None,
        comments: CommentStyle::Trailing,
    };
    /// CircleCI: Docker executor images of jobs and executors.
    CircleCi = KindInfo {
        name: "circleci",
        globs: &[".circleci/*.{yml,yaml}"],
        examples: &[".circleci/config.yml", "repo/.circleci/continue_config.yaml"],
        find: circleci::find,
        needles: &["docker", "\\"],
        docs: Docs {
            title: "CircleCI",
            pinned: "`docker[*].image` of every job and executor (also in inline orbs); `machine.image` (a VM image) is left alone; a value with `<< parameters.x >>` is skipped",
            example: "`- image: cimg/go:1.22` → `cimg/go@sha256:…`",
        },
        corpus: Corpus { dir: "circleci", files: 2 },
        syntax: Syntax::Yaml,
        project: Project::None,
        comments: CommentStyle::Trailing,
    };
    /// Drone: step and service images.
    Drone = KindInfo {
        name: "drone",
        globs: &[".drone.{yml,yaml}", ".drone.*.{yml,yaml}"],
        examples: &[".drone.yml", "repo/.drone.windows.yml"],
        find: drone::find_drone,
        needles: &["image", "\\"],
        docs: Docs {
            title: "Drone",
            pinned: "`image` of every step and service (lists or mappings, every document; through anchors, aliases and merge keys); plugin `settings` are left alone; a value with `${VAR}` is skipped",
            example: "`image: golang:1.22` → `image: golang@sha256:…`",
        },
        corpus: Corpus { dir: "drone", files: 2 },
        syntax: Syntax::Yaml,
        project: Project::None,
        comments: CommentStyle::Trailing,
    };
    /// Woodpecker CI: step, service and clone images.
    Woodpecker = KindInfo {
        name: "woodpecker",
        globs: &[".woodpecker.{yml,yaml}", ".woodpecker.*.{yml,yaml}", ".woodpecker/*.{yml,yaml}"],
        examples: &[".woodpecker.yml", "repo/.woodpecker/test.yaml"],
        find: drone::find_woodpecker,
        needles: &["image", "\\"],
        docs: Docs {
            title: "Woodpecker CI",
            pinned: "`image` of every step, service and `clone` step (lists or mappings, also the old `pipeline:` form); an `image: *alias` of a scalar anchored in `variables:` pins the anchored scalar, once; plugin `settings` are left alone; a value with `${VAR}` is skipped",
            example: "`- &golang 'golang:1.27'` … `image: *golang` → `'golang@sha256:…'`",
        },
        corpus: Corpus { dir: "woodpecker", files: 2 },
        syntax: Syntax::Yaml,
        project: Project::None,
        comments: CommentStyle::Trailing,
    };
    /// Helm values: `image:` values and mappings.
    HelmValues = KindInfo {
        name: "helm-values",
        globs: &["values*.{yaml,yml}"],
        examples: &["chart/values.yaml", "chart/values-prod.yaml", "values.yml"],
        find: helm_values::find,
        needles: &["image", "Image", "IMAGE", "\\"],
        docs: Docs {
            title: "Helm values",
            pinned: "scalar `image:` values as for Kubernetes YAML; `image:` mappings with `repository` (+ `registry`, `tag`, `global.imageRegistry`) that have a `digest:` key (bitnami, ingress-nginx style) get it filled; without a `digest:` key they are reported, not changed. Under other keys that end in `image`, in any case (`gitImage:`, `clickHouseImage:`, `inline_image:`): a mapping with `repository` and a `tag` or `digest` key is read the same way, and a scalar when it is a reference with a tag or digest (`vmImage: ubuntu-latest` is not). `{{ }}` in comments does not make a file a template",
            example: "`digest: \"\"` → `digest: \"sha256:…\"`",
        },
        corpus: Corpus { dir: "helm", files: 12 },
        syntax: Syntax::Yaml,
        project: Project::None,
        comments: CommentStyle::Trailing,
    };
    /// Docker Bake files: `docker-image://` values of a target's `contexts`.
    DockerBake = KindInfo {
        name: "docker-bake",
        globs: &["docker-bake.hcl", "docker-bake.override.hcl"],
        examples: &["docker-bake.hcl", "build/docker-bake.override.hcl"],
        find: hcl::find_bake,
        needles: &["docker-image://"],
        docs: Docs {
            title: "Docker Bake",
            pinned: "`docker-image://` values of a `target`'s `contexts` (the reference after the prefix); a value with `${…}` is skipped",
            example: "`base = \"docker-image://alpine:3.20\"` → `docker-image://alpine@sha256:…`",
        },
        corpus: Corpus { dir: "bake", files: 3 },
        syntax: Syntax::Hcl,
        project: Project::None,
        comments: CommentStyle::Hcl,
    };
    /// Packer templates: `image` of `source "docker"` blocks.
    Packer = KindInfo {
        name: "packer",
        globs: &["*.pkr.hcl"],
        examples: &["build.pkr.hcl", "images/ubuntu.pkr.hcl"],
        find: hcl::find_packer,
        needles: &["docker"],
        docs: Docs {
            title: "Packer",
            pinned: "`image` of every `source \"docker\"` block",
            example: "`image = \"ubuntu:22.04\"` → `image = \"ubuntu@sha256:…\"`",
        },
        corpus: Corpus { dir: "packer", files: 2 },
        syntax: Syntax::Hcl,
        project: Project::None,
        comments: CommentStyle::Hcl,
    };
    /// Nomad job files: `config { image = … }` of docker and podman tasks.
    Nomad = KindInfo {
        name: "nomad",
        globs: &["*.nomad", "*.nomad.hcl"],
        examples: &["jobs/web.nomad", "redis.nomad.hcl"],
        find: hcl::find_nomad,
        needles: &["image"],
        docs: Docs {
            title: "Nomad",
            pinned: "`config { image = … }` of every `task` whose `driver` is `\"docker\"` or `\"podman\"`",
            example: "`image = \"redis:7\"` → `image = \"redis@sha256:…\"`",
        },
        corpus: Corpus { dir: "nomad", files: 2 },
        syntax: Syntax::Hcl,
        project: Project::None,
        comments: CommentStyle::Hcl,
    };
    /// Terraform/OpenTofu: Kubernetes workload containers, `docker_image` names.
    Terraform = KindInfo {
        name: "terraform",
        globs: &["*.tf", "*.tofu"],
        examples: &["main.tf", "infra/k8s.tf", "main.tofu"],
        find: hcl::find_terraform,
        needles: &["kubernetes_", "docker_", "helm_release", "oci://"],
        docs: Docs {
            title: "Terraform / OpenTofu",
            pinned: "`image` of `container` and `init_container` blocks (also `dynamic` ones) in `kubernetes_*` workload resources (pod, deployment, stateful set, daemon set, job, cron job, replication controller, and their `_v1` forms); `name` of `docker_image` resources and data sources; `image` of `docker_container` resources and of `docker_service`'s `task_spec { container_spec { … } }` (`image = docker_image.x.image_id` is pinned at that `docker_image`); a string with `${…}` or any other expression is skipped; the `name` of a `data \"docker_registry_image\"` is a lookup, skipped; a `module`'s `source = \"oci://…?tag=…\"` (OpenTofu) becomes `?digest=sha256:…`; a `helm_release` chart from an `oci://` repository is listed, not pinned",
            example: "`image = \"nginx:1.27\"` → `image = \"nginx@sha256:…\"`",
        },
        corpus: Corpus { dir: "terraform", files: 4 },
        syntax: Syntax::Hcl,
        project: Project::None,
        comments: CommentStyle::Hcl,
    };
    /// Bazel: rules_oci `oci.pull` / `oci_pull` calls, rules_img `pull` calls.
    Bazel = KindInfo {
        name: "bazel",
        globs: &["MODULE.bazel", "*.MODULE.bazel", "WORKSPACE", "WORKSPACE.bazel", "WORKSPACE.bzlmod", "*.bzl"],
        examples: &["MODULE.bazel", "third_party/oci.MODULE.bazel", "WORKSPACE", "WORKSPACE.bazel", "WORKSPACE.bzlmod", "tools/images.bzl"],
        find: bazel::find,
        needles: &["oci:pull.bzl", "oci:extensions.bzl", "img:pull.bzl"],
        docs: Docs {
            title: "Bazel (rules_oci, rules_img)",
            pinned: "`oci.pull(...)` (bound by `use_extension(\"@rules_oci//oci:extensions.bzl\", \"oci\")`) and `oci_pull(...)` (loaded from `@rules_oci//oci:pull.bzl`) calls, and rules_img `pull(...)` calls (bound by `use_repo_rule(\"@rules_img//img:pull.bzl\", \"pull\")` or loaded from there): `image` (or `registry` + `repository`; for rules_img, `registry`, else the first of `registries`, else Docker Hub, + `repository`) at `tag` is resolved and `digest = \"sha256:…\"` is set — an empty one is filled; a missing one is inserted before `tag`, with its indentation and line ending; `tag` is kept (both then use the digest); rules_oci calls with `reproducible = False` are skipped; rules_img's `images.pull` extension is not read",
            example: "`tag = \"3.20\",` → `digest = \"sha256:…\",` + `tag = \"3.20\",`",
        },
        corpus: Corpus { dir: "bazel", files: 6 },
        syntax: Syntax::Starlark,
        project: Project::None,
        comments: CommentStyle::Trailing,
    };
    /// Maven `pom.xml`: spring-boot-maven-plugin and jib-maven-plugin base and builder images.
    Maven = KindInfo {
        name: "maven",
        globs: &["pom.xml"],
        examples: &["pom.xml", "services/api/pom.xml"],
        find: maven::find,
        needles: &["spring-boot-maven-plugin", "jib-maven-plugin", "jib.from.image", "spring-boot.build-image."],
        docs: Docs {
            title: "Maven",
            pinned: "spring-boot-maven-plugin's `<image><builder>`, `<image><runImage>` and `<image><buildpacks><buildpack>` written `docker://…` (the reference after the prefix); jib-maven-plugin's `<from><image>` (a `registry://` prefix is kept; `docker://` and `tar://` images are skipped); in each plugin's `<configuration>` and its executions'; and the properties `jib.from.image`, `spring-boot.build-image.builder` and `spring-boot.build-image.runImage`. The element's text only (whitespace and CDATA markers stay); a value with `${…}` is skipped naming the property, one written with `&…;` references is skipped; `<to><image>` and `<image><name>` (the images built) are left alone; parent POMs are not followed",
            example: "`<builder>paketobuildpacks/builder-jammy-base:0.4</builder>` → `paketobuildpacks/builder-jammy-base@sha256:…`",
        },
        corpus: Corpus { dir: "maven", files: 4 },
        syntax: Syntax::Xml,
        project: Project::None,
        comments: CommentStyle::None,
    };
    /// .NET SDK container builds: `ContainerBaseImage` of MSBuild project files.
    Dotnet = KindInfo {
        name: "dotnet",
        globs: &["*.csproj", "*.fsproj", "*.vbproj", "Directory.Build.props"],
        examples: &["src/Web/Web.csproj", "App.fsproj", "Legacy.vbproj", "Directory.Build.props"],
        find: dotnet::find,
        needles: &[],
        docs: Docs {
            title: ".NET SDK containers",
            pinned: "the `ContainerBaseImage` property (any case, in any `<PropertyGroup>`, whatever its `Condition`): the element's text only; a value with `$(…)`, `@(…)`, `%(…)` or `%XX` escapes is skipped; `ContainerFamily`, `ContainerRepository` and the base image the SDK infers are left alone; imported files, publish profiles and `-p:` values are not read",
            example: "`<ContainerBaseImage>mcr.microsoft.com/dotnet/aspnet:9.0</ContainerBaseImage>` → `…/aspnet@sha256:…`",
        },
        corpus: Corpus { dir: "dotnet", files: 2 },
        syntax: Syntax::Xml,
        project: Project::None,
        comments: CommentStyle::None,
    };
    /// Cloud Native Buildpacks project descriptors: the builder and image buildpacks.
    Buildpacks = KindInfo {
        name: "buildpacks",
        globs: &["project.toml"],
        examples: &["project.toml", "apps/web/project.toml"],
        find: buildpacks::find,
        needles: &["builder", "uri"],
        docs: Docs {
            title: "Cloud Native Buildpacks",
            pinned: "the builder and the buildpacks that are images, in the schema `_.schema-version` names as `pack` reads it: `[io.buildpacks] builder` and the `uri` of `[[io.buildpacks.group]]`, `[[io.buildpacks.pre.group]]` and `[[io.buildpacks.post.group]]` (0.2, 0.3); `[build] builder` and the `uri` of `[[build.buildpacks]]` (no `schema-version`: 0.1). A `uri` is an image written `docker://…` (the reference after the prefix, which stays) or unprefixed with a tag or digest; ids, `urn:cnb:…` and paths are left alone; a string with escapes is skipped; the schema names no run image (it comes from the builder)",
            example: "`uri = \"docker://gcr.io/paketo-buildpacks/java:13.1.0\"` → `docker://gcr.io/paketo-buildpacks/java@sha256:…`",
        },
        corpus: Corpus { dir: "buildpacks", files: 3 },
        syntax: Syntax::Toml,
        project: Project::None,
        comments: CommentStyle::Trailing,
    };
    /// Google Cloud Build configs (YAML or JSON): `steps[*].name`.
    CloudBuild = KindInfo {
        name: "cloud-build",
        globs: &["cloudbuild*.{yaml,yml,json}"],
        examples: &["cloudbuild.yaml", "deploy/cloudbuild.yml", "cloudbuild.json", "ci/cloudbuild-release.yaml"],
        find: cloud_build::find,
        needles: &["steps", "\\"],
        docs: Docs {
            title: "Google Cloud Build",
            pinned: "`steps[*].name`, the image each step runs in, in YAML and JSON configs; a name with substitutions (`$PROJECT_ID`, `${_TAG}`) is skipped; `images:` (what the build pushes) is left alone; in a JSON config `--tag-comment` keeps the tag in the reference (JSON has no comments)",
            example: "`- name: gcr.io/cloud-builders/docker` → `gcr.io/cloud-builders/docker@sha256:…`",
        },
        corpus: Corpus { dir: "cloudbuild", files: 3 },
        syntax: Syntax::Yaml,
        project: Project::None,
        comments: CommentStyle::None,
    };
    /// `Tiltfile`: never rewritten; read for the images Tilt builds (see `app::project`).
    Tiltfile = KindInfo {
        name: "tiltfile",
        globs: &["Tiltfile"],
        examples: &["Tiltfile", "services/web/Tiltfile"],
        find: tilt::find,
        needles: &[],
        docs: Docs {
            title: "Tilt",
            pinned: "nothing: a Tiltfile is never rewritten. The names its build calls give (`docker_build`, `custom_build`, and the build functions of the Tilt extensions it loads, such as `ko_build` or `docker_build_with_restart`) are images the project builds: listed as skipped there, and references to them in the Tiltfile's directory and below and in the files it deploys are skipped too (see \"Not images\")",
            example: "`docker_build('shop/web', '.')` → `image: shop/web` left alone",
        },
        corpus: Corpus { dir: "tilt", files: 4 },
        syntax: Syntax::Starlark,
        project: Project::Tiltfile,
        comments: CommentStyle::None,
    };
    /// Kubernetes manifests and any other YAML: every `image:` scalar, image volume references.
    Yaml = KindInfo {
        name: "yaml",
        globs: &["*.{yaml,yml}"],
        examples: &["deploy.yaml", "a/b/pod.YML", "repo/.github/ci.yml", "chart/templates/deployment.yaml"],
        find: yaml::find,
        needles: &["image", "\\", "fluxcd.io", "argoproj.io", "tekton.dev", "crossplane.io", "k14s.io", "carvel.dev", "projectsveltos.io"],
        docs: Docs {
            title: "Kubernetes and any YAML",
            pinned: "every scalar value of an `image:` key, at any depth, in every document (Pods, workloads, CronJobs, custom resources such as `spec.image`, flow mappings); image volumes' `volumes[].image.reference`; the images and OCI artifacts of Flux, Argo CD, Tekton, Crossplane, Carvel and Sveltos objects, found by `apiVersion` and `kind` (see \"GitOps objects and OCI artifacts\")",
            example: "`image: nginx:1.27` → `image: nginx@sha256:…`",
        },
        corpus: Corpus { dir: "k8s", files: 24 },
        syntax: Syntax::Yaml,
        project: Project::None,
        comments: CommentStyle::Trailing,
    };
    /// Dev container configurations (JSONC): the top-level `image`.
    Devcontainer = KindInfo {
        name: "devcontainer",
        globs: &[".devcontainer.json", ".devcontainer/devcontainer.json", ".devcontainer/*/devcontainer.json"],
        examples: &[".devcontainer.json", ".devcontainer/devcontainer.json", "repo/.devcontainer/go/devcontainer.json"],
        find: devcontainer::find,
        needles: &[],
        docs: Docs {
            title: "Dev container",
            pinned: "the top-level `image` (comments and trailing commas allowed); a configuration with `build` builds its image and is skipped; `// pin: ignore` marks an image; features (`ghcr.io/devcontainers/features/node:1`) are pinned, as `name@sha256:…`, only with `--devcontainer-features`",
            example: "`\"image\": \"mcr.microsoft.com/devcontainers/go:1\"` → `…/go@sha256:…`",
        },
        corpus: Corpus { dir: "devcontainer", files: 2 },
        syntax: Syntax::Jsonc,
        project: Project::None,
        comments: CommentStyle::Jsonc,
    };
    /// Kubernetes manifests as JSON (a top level with `apiVersion` and `kind`).
    Json = KindInfo {
        name: "json",
        globs: &["*.json"],
        examples: &["deploy.json", "k8s/LIST.JSON", "package.json"],
        find: json::find,
        needles: &[],
        docs: Docs {
            title: "Kubernetes JSON",
            pinned: "a `*.json` whose top level is a Kubernetes object or `List` (string `apiVersion` and `kind`): the same `image` rules as YAML; any other JSON (`package.json`, `tsconfig.json`) is left alone; a string with escapes (`\\u002f`, `\\/`) is reported, not changed",
            example: "`\"image\": \"nginx:1.27\"` → `\"image\": \"nginx@sha256:…\"`",
        },
        corpus: Corpus { dir: "json", files: 3 },
        syntax: Syntax::Json,
        project: Project::None,
        comments: CommentStyle::None,
    };
}

impl Kind {
    /// This kind's entry in [`KINDS`].
    pub fn info(self) -> &'static KindInfo {
        // `kinds!` declares the variants and the entries from one list, in one order.
        &KINDS[self as usize]
    }

    /// The kind of a file from its path, or `None` for files `pin` never touches: the kind of the most
    /// specific glob that takes the file ([`glob`]).
    pub fn detect(path: &Path) -> Option<Kind> {
        PATTERNS.find(path)
    }

    /// Whether the tools of this kind read UTF-16 text that starts with a byte order mark
    /// ([`Syntax::reads_utf16`]).
    pub fn reads_utf16(self) -> bool {
        self.info().syntax.reads_utf16()
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

/// Every glob of every kind, most specific first (the table's order among equally specific ones).
static PATTERNS: LazyLock<glob::Table<Kind>> = LazyLock::new(|| {
    glob::Table::new(
        Kind::ALL
            .iter()
            .flat_map(|&kind| kind.info().globs.iter().map(move |&g| (kind, g))),
    )
});

/// Every kind's globs, for messages: `Dockerfile, Dockerfile.*, …, *.{yaml,yml}, …`, each once.
pub fn file_names() -> String {
    let mut names: Vec<&str> = Vec::new();
    for info in KINDS {
        for name in info.globs {
            if !names.contains(name) {
                names.push(name);
            }
        }
    }
    names.join(", ")
}

/// Paths that no kind takes (checked by the tests here and, through real `pre-commit`, against the hooks'
/// `files` pattern).
#[doc(hidden)]
pub const NOT_KINDS: &[&str] = &[
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
    "helmfile.d/x.gotmpl",
    "Helmfile.D/app.yaml.gotmpl",
    ".github/workflows/notes.md",
    "compose.toml",
];

/// Paths of each kind: the kind's examples, and for each of its globs one path that glob takes (`*` read as
/// `x`, each alternative of braces, the file name as written and in upper case). Each is detected as its
/// kind, so no glob is hidden by another kind's; real `pre-commit` passes each to the hooks.
#[doc(hidden)]
pub fn examples() -> Vec<(Kind, String)> {
    let mut out = Vec::new();
    for &kind in Kind::ALL {
        let info = kind.info();
        out.extend(info.examples.iter().map(|e| (kind, (*e).to_owned())));
        for g in info.globs {
            let (dirs, name) = g.rsplit_once('/').map_or(("", *g), |(d, n)| (d, n));
            let dirs = dirs.replace('*', "x");
            for name in glob::expand(name) {
                let name = name.replace('*', "x");
                for name in [name.clone(), name.to_ascii_uppercase()] {
                    let path = if dirs.is_empty() {
                        name
                    } else {
                        format!("{dirs}/{name}")
                    };
                    out.push((kind, path));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
            assert!(!info.globs.is_empty(), "{}", info.name);
        }
        for (kind, example) in examples() {
            assert_eq!(Kind::detect(Path::new(&example)), Some(kind), "{example}");
        }
        for name in NOT_KINDS {
            assert_eq!(Kind::detect(Path::new(name)), None, "{name}");
        }
    }

    /// Paths that globs of several kinds take, with the kind that decides (checked by hand against the rule
    /// of [`glob`]: directories first, then the file name from its last part).
    const CONTESTED: &[(&str, Kind)] = &[
        ("kustomization.yaml", Kind::Kustomize),
        (".ko.yml", Kind::Ko),
        ("helmfile.yaml", Kind::Helmfile),
        ("fleet.yaml", Kind::Fleet),
        ("Chart.yaml", Kind::ChartYaml),
        ("compose.prod.yml", Kind::Compose),
        ("docker-compose.override.yaml", Kind::Compose),
        ("build.gitlab-ci.yaml", Kind::GitlabCi),
        ("values.gitlab-ci.yml", Kind::GitlabCi),
        ("docker-compose.gitlab-ci.yml", Kind::GitlabCi),
        ("azure-pipelines.gitlab-ci.yml", Kind::GitlabCi),
        ("action.yaml", Kind::ActionMetadata),
        ("values-prod.yml", Kind::HelmValues),
        ("cloudbuild.json", Kind::CloudBuild),
        (".devcontainer.json", Kind::Devcontainer),
        (".devcontainer/devcontainer.json", Kind::Devcontainer),
        ("Dockerfile.yaml", Kind::Yaml),
        ("Containerfile.json", Kind::Json),
        ("Dockerfile.tf", Kind::Terraform),
        ("Dockerfile.container", Kind::Quadlet),
        ("Dockerfile.prod", Kind::Dockerfile),
        ("ci.Dockerfile", Kind::Dockerfile),
        (".github/workflows/docker-compose.yml", Kind::GithubActions),
        (".github/workflows/action.yml", Kind::GithubActions),
        (".github/workflows/Dockerfile.yml", Kind::GithubActions),
        (".github/workflows/x.gitlab-ci.yml", Kind::GithubActions),
        (".github/workflows/values.yaml", Kind::GithubActions),
        (".circleci/azure-pipelines.yml", Kind::CircleCi),
        (".woodpecker/.drone.yml", Kind::Woodpecker),
        (".azure-pipelines/action.yml", Kind::AzurePipelines),
        ("helmfile.d/kustomization.yaml", Kind::Helmfile),
        ("helmfile.d/fleet.yaml", Kind::Helmfile),
        (".woodpecker/cloudbuild.yaml", Kind::Woodpecker),
    ];

    #[test]
    fn the_most_specific_glob_decides() {
        for &(path, kind) in CONTESTED {
            assert_eq!(Kind::detect(Path::new(path)), Some(kind), "{path}");
        }
    }

    /// Where globs of several kinds take a file, one is more specific than every other kind's: the table's
    /// order never decides.
    #[test]
    fn no_two_kinds_tie() {
        let probes = examples()
            .into_iter()
            .map(|(_, p)| p)
            .chain(CONTESTED.iter().map(|(p, _)| (*p).to_owned()));
        for path in probes {
            let path = Path::new(&path);
            let taking = PATTERNS.taking(path);
            let best = &taking[0].1.specificity;
            let mut kinds: Vec<Kind> = taking
                .iter()
                .filter(|(_, p)| p.specificity == *best)
                .map(|(k, _)| *k)
                .collect();
            kinds.dedup();
            assert_eq!(kinds.len(), 1, "{}: {kinds:?}", path.display());
        }
    }

    /// The `files:` lines of the hooks in `.pre-commit-hooks.yaml`.
    fn hook_files_lines(text: &str) -> Vec<&str> {
        text.lines()
            .filter(|l| l.trim_start().starts_with("files: "))
            .collect()
    }

    /// The hooks' `files` pattern as `.pre-commit-hooks.yaml` writes it: the globs' [`glob::regex`], a YAML
    /// single-quoted scalar.
    fn hook_files_line() -> String {
        let pattern = glob::regex(KINDS.iter().flat_map(|k| k.globs.iter().copied()));
        format!("  files: '{}'", pattern.replace('\'', "''"))
    }

    /// pre-commit passes the files its `files` regex finds in their path from the repository root to the hook
    /// (`pin --check`), which refuses a named file of no kind: the regex is made from the globs.
    /// `.pre-commit-hooks.yaml` with its hooks' `files` lines made so is a golden file (`PIN_BLESS=1` rewrites
    /// it; read the diff). `tests/integrations.rs` runs real `pre-commit` over [`examples`] and [`NOT_KINDS`].
    #[test]
    fn the_pre_commit_hooks_files_pattern_is_the_globs() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml");
        let text = std::fs::read_to_string(&path).expect(".pre-commit-hooks.yaml");
        let hooks = text.lines().filter(|l| l.starts_with("- id: ")).count();
        assert_eq!(
            hook_files_lines(&text).len(),
            hooks,
            "one files: line per hook"
        );
        let line = hook_files_line();
        let want: String = text
            .split_inclusive('\n')
            .map(|l| {
                if l.trim_start().starts_with("files: ") {
                    format!("{line}\n")
                } else {
                    l.to_owned()
                }
            })
            .collect();
        crate::golden::assert_golden(&path, &want);
        // The same pattern under Rust's regex (the integration test runs pre-commit's own, Python's `re`).
        let pattern = glob::regex(KINDS.iter().flat_map(|k| k.globs.iter().copied()));
        let regex = regex::Regex::new(&pattern).expect("a valid regex");
        for (kind, example) in examples() {
            assert!(regex.is_match(&example), "{}: {example}", kind.as_str());
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
                let files: Vec<String> = info.globs.iter().map(|f| format!("`{f}`")).collect();
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

    /// The walk's message for a named file of no kind lists every glob of every kind, each once.
    #[test]
    fn the_walk_message_lists_every_glob() {
        let names = file_names();
        let listed: Vec<&str> = names.split(", ").collect();
        let mut globs: Vec<&str> = KINDS.iter().flat_map(|k| k.globs.iter().copied()).collect();
        globs.dedup();
        assert_eq!(listed, globs);
        let message = crate::walk::WalkError::UnknownKind {
            path: "notes.txt".into(),
        }
        .to_string();
        assert_eq!(
            message,
            format!("notes.txt: not a file kind pin reads ({names})")
        );
    }
}
