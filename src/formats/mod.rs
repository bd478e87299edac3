//! File kinds and their finders.
//!
//! A finder reads one file's text and returns [`Candidate`]s: byte spans that hold what may be an image
//! reference, with the value the file states there. Finders never decide whether a value is a valid reference
//! and never contact a registry; [`crate::app`] classifies the candidates. A new file kind is one new module
//! here plus one row in the name table of [`Kind::detect`] and one arm in [`Kind::find`]. The YAML kinds
//! (`compose`, `github_actions`, `gitlab_ci`, `kustomize`, `helm_values`, and the generic `yaml`) walk
//! the node tree of [`yaml::tree`] through [`yaml::find_with`].

pub mod bazel;
pub mod compose;
#[cfg(test)]
mod corpus;
pub mod dockerfile;
pub mod github_actions;
pub mod gitlab_ci;
pub mod hcl;
pub mod helm_values;
pub mod kustomize;
pub mod yaml;

#[cfg(test)]
mod testing;

use std::ops::Range;
use std::path::Path;

/// The kinds of file `pin` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Kubernetes manifests and any other YAML: every `image:` scalar, image volume references.
    Yaml,
    /// `Dockerfile`, `Containerfile`, `*.Dockerfile`, `Dockerfile.*`: `FROM` images (or the `ARG`
    /// default a `FROM ${NAME}` uses), `COPY --from` / `RUN --mount=from=` images, `# syntax=`.
    Dockerfile,
    /// `compose.yaml`, `docker-compose*.yml`: `services.*.image`.
    Compose,
    /// `.github/workflows/*.yml`: job containers, service images, `docker://` steps.
    GithubActions,
    /// `.gitlab-ci.yml`: `image:` and `services:`.
    GitlabCi,
    /// `kustomization.yaml`: `images:` entries.
    Kustomize,
    /// Helm `values*.yaml`: `image:` values and mappings.
    HelmValues,
}

/// Whether a file (lowercased name, whole path) is of a kind.
type NameRule = fn(&str, &Path) -> bool;

/// File names, most specific first: the first row that matches decides.
const NAME_TABLE: &[(Kind, NameRule)] = &[
    (Kind::Dockerfile, |n, _| {
        let stem_is =
            |s: &str| n == s || n.starts_with(&format!("{s}.")) || n.ends_with(&format!(".{s}"));
        stem_is("dockerfile") || stem_is("containerfile")
    }),
    (Kind::Kustomize, |n, _| {
        matches!(
            n,
            "kustomization.yaml" | "kustomization.yml" | "kustomization"
        )
    }),
    (Kind::Compose, |n, _| {
        is_yaml(n) && (n.starts_with("compose.") || n.starts_with("docker-compose"))
    }),
    (Kind::GitlabCi, |n, _| {
        is_yaml(n)
            && (n == ".gitlab-ci.yml"
                || n.ends_with(".gitlab-ci.yml")
                || n.ends_with(".gitlab-ci.yaml"))
    }),
    (Kind::GithubActions, |n, p| {
        is_yaml(n) && p.parent().is_some_and(|d| d.ends_with(".github/workflows"))
    }),
    (Kind::HelmValues, |n, _| {
        is_yaml(n) && n.starts_with("values")
    }),
    (Kind::Yaml, |n, _| is_yaml(n)),
];

fn is_yaml(lower_name: &str) -> bool {
    lower_name.ends_with(".yaml") || lower_name.ends_with(".yml")
}

impl Kind {
    /// The kind of a file from its path, or `None` for files `pin` never touches.
    pub fn detect(path: &Path) -> Option<Kind> {
        let lower = path.file_name()?.to_str()?.to_ascii_lowercase();
        NAME_TABLE
            .iter()
            .find(|(_, matches)| matches(&lower, path))
            .map(|(kind, _)| *kind)
    }

    /// Runs this kind's finder over a whole file.
    pub fn find(self, src: &str) -> Result<Findings, FindError> {
        match self {
            Kind::Dockerfile => dockerfile::find(src),
            Kind::Compose => compose::find(src),
            Kind::GithubActions => github_actions::find(src),
            Kind::GitlabCi => gitlab_ci::find(src),
            Kind::Kustomize => kustomize::find(src),
            Kind::HelmValues => helm_values::find(src),
            Kind::Yaml => yaml::find(src),
        }
    }

    /// The name used in messages and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Yaml => "yaml",
            Kind::Dockerfile => "dockerfile",
            Kind::Compose => "compose",
            Kind::GithubActions => "github-actions",
            Kind::GitlabCi => "gitlab-ci",
            Kind::Kustomize => "kustomize",
            Kind::HelmValues => "helm-values",
        }
    }
}

/// One place in a file that may hold an image reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// Byte range, in the file, of the reference text. Rewriting replaces exactly these bytes.
    pub span: Range<usize>,
    /// The value the file states there (for YAML, the scalar's value; it equals the text of `span`
    /// unless `skip` says otherwise).
    pub value: String,
    /// Why this place must not be pinned even when its value parses as a reference (a Ceph `rbd.image`,
    /// Istio's `image: auto`, a build variable, escapes inside a quoted scalar…). `None`: pin it if valid.
    pub skip: Option<String>,
    /// For a Kubernetes container (a mapping with `image` and `name`): whether it sets `imagePullPolicy`.
    /// `None` where pull policy does not apply (Dockerfiles, custom resources without `name`).
    pub pull_policy_set: Option<bool>,
    /// What the bytes of `span` become once the reference is resolved.
    pub target: Target,
}

/// How a resolved candidate is written back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Target {
    /// `span` holds the reference itself: it becomes `name@digest` (or `name:tag@digest`).
    #[default]
    Reference,
    /// `span` holds only a digest value (a kustomize `digest:`, a Helm `image.digest`), possibly empty;
    /// `value` is the reference the surrounding keys compose. It becomes the bare digest.
    Digest,
    /// `span` is an empty point where a whole line is inserted: `prefix`, the digest, `suffix`
    /// (e.g. `"    digest: "` and `"\n"`, with the entry's own indentation and line ending).
    InsertDigest { prefix: String, suffix: String },
}

impl Target {
    /// The text that replaces the span once `reference` resolved to `digest`: the reference written with
    /// the digest (`pinned`, built by the caller, who knows whether the tag stays), the digest alone, or the
    /// inserted line.
    pub fn text(&self, pinned: impl FnOnce() -> String, digest: &str) -> String {
        match self {
            Target::Reference => pinned(),
            Target::Digest => digest.to_string(),
            Target::InsertDigest { prefix, suffix } => format!("{prefix}{digest}{suffix}"),
        }
    }
}

/// What a finder returns for one file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Findings {
    /// In file order.
    pub candidates: Vec<Candidate>,
    /// Set when the whole file is passed over (e.g. a Helm template that no YAML parser reads); the reason.
    pub skipped: Option<String>,
}

/// A file that its finder could not read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FindError {
    /// Byte offset of the problem in the file.
    pub offset: usize,
    pub message: String,
}

/// Maps byte offsets to 1-based line and column (columns count characters) for messages.
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(src: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// `(line, column)`, both 1-based.
    pub fn line_col(&self, src: &str, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let col = src
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line + 1, col + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_kinds_by_name() {
        for (name, kind) in [
            ("deploy.yaml", Some(Kind::Yaml)),
            ("a/b/pod.YML", Some(Kind::Yaml)),
            ("Dockerfile", Some(Kind::Dockerfile)),
            ("Containerfile", Some(Kind::Dockerfile)),
            ("build.Dockerfile", Some(Kind::Dockerfile)),
            ("Dockerfile.prod", Some(Kind::Dockerfile)),
            ("README.md", None),
            ("Dockerfile-notes.txt", None),
            ("Containerfile.dev", Some(Kind::Dockerfile)),
            ("k/kustomization.yaml", Some(Kind::Kustomize)),
            ("Kustomization", Some(Kind::Kustomize)),
            ("compose.yaml", Some(Kind::Compose)),
            ("docker-compose.prod.yml", Some(Kind::Compose)),
            (".gitlab-ci.yml", Some(Kind::GitlabCi)),
            ("ci/build.gitlab-ci.yml", Some(Kind::GitlabCi)),
            ("repo/.github/workflows/ci.yml", Some(Kind::GithubActions)),
            ("repo/.github/ci.yml", Some(Kind::Yaml)),
            ("chart/values.yaml", Some(Kind::HelmValues)),
            ("chart/values-prod.yaml", Some(Kind::HelmValues)),
            ("chart/templates/deployment.yaml", Some(Kind::Yaml)),
        ] {
            assert_eq!(Kind::detect(Path::new(name)), kind, "{name}");
        }
    }

    #[test]
    fn line_col_counts_characters() {
        let src = "a: 1\r\nb: é x\n";
        let idx = LineIndex::new(src);
        assert_eq!(idx.line_col(src, 0), (1, 1));
        assert_eq!(idx.line_col(src, 6), (2, 1));
        let x = src.find('x').unwrap();
        assert_eq!(idx.line_col(src, x), (2, 6));
    }
}
