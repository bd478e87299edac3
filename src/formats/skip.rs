//! Why a finder leaves a place alone: [`SkipReason`], what the reason is as data; the words are made by its
//! `Display`, and the diagnostic code by the one `From<&SkipReason> for Code` in [`crate::app`], so that the
//! same reason gets the same code whichever kind of file it was found in.

use std::borrow::Cow;
use std::fmt;

/// Why a candidate (or a whole file) is not to be pinned as it is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SkipReason {
    /// The value interpolates variables (`${REGISTRY}/app:1`, `app:$TAG`) that `by` replaces before the image
    /// is pulled; `names` in the order they first appear.
    Variables {
        names: Vec<String>,
        by: &'static str,
    },
    /// Another template, expression, parameter or property that the file's tool expands (a `$(…)` macro, a
    /// `${{ … }}` expression, a CircleCI `<< parameter >>`, a systemd `%` specifier, an HCL template, a
    /// Dockerfile build argument, a Maven or MSBuild property, a Helm template file): what, in words.
    Template(Cow<'static, str>),
    /// Marked with an ignore comment that the finder reads itself (HCL's `// pin: ignore`, a Bazel rule's
    /// `# pin: ignore`); `marker` is the comment's opening (`#`, `//`).
    Ignored { marker: &'static str },
    /// A Helm chart named where its tool takes a version and no digest (a [`super::Target::Listed`]
    /// candidate): the tool's reason.
    TakesNoDigest(&'static str),
    /// An image the project builds, named where it is built (a Compose service or a dev container with
    /// `build`, a Tiltfile's build): why, in words.
    BuiltHere(&'static str),
    /// The value is empty.
    Empty,
    /// Anything else the kind knows holds no pinnable reference here (an image built here, Istio's `auto`, a
    /// scalar whose bytes are not its value, a value that is computed): why, in words.
    NotPinnable(Cow<'static, str>),
}

impl SkipReason {
    /// A reason that is a fixed sentence of the finder (see [`SkipReason::NotPinnable`]).
    pub const fn fixed(why: &'static str) -> SkipReason {
        SkipReason::NotPinnable(Cow::Borrowed(why))
    }

    /// A template form, in fixed words (see [`SkipReason::Template`]).
    pub const fn template(what: &'static str) -> SkipReason {
        SkipReason::Template(Cow::Borrowed(what))
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::Variables { names, by } => match names.as_slice() {
                [one] => write!(f, "uses variable {one}, interpolated by {by}"),
                many => write!(
                    f,
                    "uses variables {}, interpolated by {by}",
                    many.join(", ")
                ),
            },
            SkipReason::Template(what) | SkipReason::NotPinnable(what) => f.write_str(what),
            SkipReason::Ignored { marker } => write!(f, "marked `{marker} pin: ignore`"),
            SkipReason::TakesNoDigest(why) | SkipReason::BuiltHere(why) => f.write_str(why),
            SkipReason::Empty => f.write_str("empty value"),
        }
    }
}

/// Whether `value` holds a template or placeholder form that some tool replaces before the image is pulled:
/// shell, Compose and CI variables (`${X}`, `$X`, `$(x)`, `${{ x }}`), Helm and Go templates (`{{ x }}`), HCL
/// and other template directives (`%{ x }`), `<< parameters.x >>` and `<YOUR-IMAGE>` placeholders. None of
/// these characters can be part of an image reference, so a value holding one is never a reference as
/// written, whatever kind of file it is in.
pub fn looks_templated(v: &str) -> bool {
    let variable = v.match_indices('$').any(|(i, _)| {
        v[i + 1..]
            .chars()
            .next()
            .is_some_and(|c| c == '{' || c == '(' || c == '_' || c.is_ascii_alphabetic())
    });
    variable || v.contains("{{") || v.contains("%{") || (v.contains('<') && v.contains('>'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_words_of_each_reason() {
        let variables = |names: &[&str]| SkipReason::Variables {
            names: names.iter().map(|n| n.to_string()).collect(),
            by: "Compose",
        };
        assert_eq!(
            variables(&["REGISTRY"]).to_string(),
            "uses variable REGISTRY, interpolated by Compose"
        );
        assert_eq!(
            variables(&["A", "B"]).to_string(),
            "uses variables A, B, interpolated by Compose"
        );
        assert_eq!(
            SkipReason::Ignored { marker: "//" }.to_string(),
            "marked `// pin: ignore`"
        );
        assert_eq!(SkipReason::Empty.to_string(), "empty value");
        assert_eq!(SkipReason::fixed("built here").to_string(), "built here");
    }
}

/// The same placeholder gets the same code in every kind that can hold it: a placeholder form is put where
/// each kind names an image (or a chart's version), and every reference found there must be
/// [`Code::Template`], whether the kind's finder or the shared classifier recognized it.
#[cfg(test)]
mod placeholders {
    use crate::app::{classify, Status};
    use crate::formats::Kind;
    use crate::report::Code;

    /// Placeholder forms, each as `(name, tag)`: the image is `name:tag`.
    const FORMS: &[(&str, &str)] = &[
        ("${REGISTRY}/app", "1"),
        ("$REGISTRY/app", "1"),
        ("app", "${TAG}"),
        ("app", "$TAG"),
        ("app", "${TAG:-1}"),
        ("{{ .Values.registry }}/app", "1"),
        ("app", "{{ .Values.tag }}"),
        ("app", "$(TAG)"),
        ("app", "${{ inputs.tag }}"),
        ("app", "<< parameters.tag >>"),
        ("app", "%{tag}"),
    ];

    /// A file of `kind` that names the image `name:tag` where the kind reads one; `None` for a kind that
    /// names no image a user writes (a Tiltfile names the images it builds, which are never pinned).
    fn file(kind: Kind, name: &str, tag: &str) -> Option<String> {
        let image = format!("{name}:{tag}");
        Some(match kind {
            Kind::Dockerfile => format!("FROM {image}\n"),
            Kind::Quadlet => format!("[Container]\nImage={image}\n"),
            Kind::Ko => format!("defaultBaseImage: '{image}'\n"),
            Kind::Kustomize => format!("images:\n- name: app\n  newName: '{name}'\n  newTag: '{tag}'\n"),
            Kind::Helmfile => format!(
                "releases:\n- name: a\n  chart: 'oci://{name}'\n  version: '{tag}'\n"
            ),
            Kind::Fleet => format!("helm:\n  chart: 'oci://{name}'\n  version: '{tag}'\n"),
            Kind::ChartYaml => format!(
                "apiVersion: v2\nname: c\nversion: 1.0.0\ndependencies:\n- name: app\n  repository: 'oci://{}'\n  version: '{tag}'\n",
                name.trim_end_matches("/app")
            ),
            Kind::Compose => format!("services:\n  a:\n    image: '{image}'\n"),
            Kind::GitlabCi => format!("job:\n  image: '{image}'\n  script: [x]\n"),
            Kind::GithubActions => format!(
                "on: push\njobs:\n  a:\n    runs-on: x\n    container: '{image}'\n    steps:\n    - run: x\n"
            ),
            Kind::ActionMetadata => {
                format!("name: a\nruns:\n  using: docker\n  image: 'docker://{image}'\n")
            }
            Kind::AzurePipelines => {
                format!("resources:\n  containers:\n  - container: a\n    image: '{image}'\n")
            }
            Kind::Bitbucket => format!("image: '{image}'\npipelines:\n  default:\n  - step:\n      script: [x]\n"),
            Kind::CircleCi => format!("version: 2.1\njobs:\n  a:\n    docker:\n    - image: '{image}'\n"),
            Kind::Drone => format!("kind: pipeline\nsteps:\n- name: a\n  image: '{image}'\n"),
            Kind::Woodpecker => format!("steps:\n  a:\n    image: '{image}'\n"),
            Kind::HelmValues => format!("image: '{image}'\n"),
            Kind::DockerBake => {
                format!("target \"a\" {{\n  contexts = {{ b = \"docker-image://{image}\" }}\n}}\n")
            }
            Kind::Packer => format!("source \"docker\" \"a\" {{\n  image = \"{image}\"\n}}\n"),
            Kind::Nomad => format!(
                "job \"a\" {{\n  group \"g\" {{\n    task \"t\" {{\n      driver = \"docker\"\n      config {{\n        image = \"{image}\"\n      }}\n    }}\n  }}\n}}\n"
            ),
            Kind::Terraform => {
                format!("resource \"docker_image\" \"a\" {{\n  name = \"{image}\"\n}}\n")
            }
            Kind::Bazel => format!(
                "oci = use_extension(\"@rules_oci//oci:extensions.bzl\", \"oci\")\noci.pull(\n    name = \"a\",\n    image = \"{name}\",\n    tag = \"{tag}\",\n)\n"
            ),
            Kind::Maven => format!(
                "<project><build><plugins><plugin><artifactId>jib-maven-plugin</artifactId><configuration><from><image>{image}</image></from></configuration></plugin></plugins></build></project>\n"
            ),
            Kind::Dotnet => format!(
                "<Project><PropertyGroup><ContainerBaseImage>{image}</ContainerBaseImage></PropertyGroup></Project>\n"
            ),
            Kind::Buildpacks => format!("[_]\nschema-version = \"0.2\"\n[io.buildpacks]\nbuilder = \"{image}\"\n"),
            Kind::CloudBuild => format!("steps:\n- name: '{image}'\n"),
            Kind::Tiltfile => return None,
            Kind::Yaml => format!("spec:\n  containers:\n  - name: a\n    image: '{image}'\n"),
            Kind::Devcontainer => format!("{{\"image\": \"{image}\"}}\n"),
            Kind::Json => format!(
                "{{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"spec\": {{\"containers\": [{{\"name\": \"a\", \"image\": \"{image}\"}}]}}}}\n"
            ),
        })
    }

    /// The codes of what `kind` finds in its file for `name:tag`: `None` when the file cannot hold the
    /// form (its format rejects the text, as XML rejects `<<`), else one code per reference found, with
    /// its words.
    fn codes(kind: Kind, name: &str, tag: &str) -> Option<Vec<(Code, String)>> {
        let src = file(kind, name, tag)?;
        let findings = kind.find(&src).ok()?;
        if let Some(why) = &findings.skipped {
            return Some(vec![(Code::from(why), why.to_string())]);
        }
        Some(
            findings
                .candidates
                .iter()
                .map(|c| match classify(c) {
                    Status::Skipped(s) => (s.code(), s.to_string()),
                    other => panic!("{kind:?} {name}:{tag}: {other:?}"),
                })
                .collect(),
        )
    }

    /// An image named where the project builds it is PIN041 in every kind that names one, as the references
    /// to it elsewhere are.
    #[test]
    fn an_image_built_here_has_the_same_code_in_every_kind() {
        let files = [
            (
                Kind::Compose,
                "services:\n  a:\n    image: app:1\n    build: .\n",
            ),
            (
                Kind::Devcontainer,
                "{\"image\": \"app:1\", \"build\": {\"dockerfile\": \"Dockerfile\"}}\n",
            ),
            (Kind::Tiltfile, "docker_build('app', '.')\n"),
        ];
        for (kind, src) in files {
            let found = kind.find(src).unwrap().candidates;
            assert_eq!(found.len(), 1, "{kind:?}");
            match classify(&found[0]) {
                Status::Skipped(s) => assert_eq!(s.code(), Code::BuiltHere, "{kind:?}: {s}"),
                other => panic!("{kind:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_same_placeholder_has_the_same_code_in_every_kind() {
        let mut wrong = Vec::new();
        let mut held = 0;
        for &kind in Kind::ALL {
            for &(name, tag) in FORMS {
                let Some(found) = codes(kind, name, tag) else {
                    continue;
                };
                held += 1;
                if found.is_empty() {
                    wrong.push(format!("{kind:?} {name}:{tag}: nothing found"));
                }
                for (code, why) in found {
                    if code != Code::Template {
                        wrong.push(format!("{kind:?} {name}:{tag}: {code} {why}"));
                    }
                }
            }
        }
        assert!(wrong.is_empty(), "not PIN003:\n{}", wrong.join("\n"));
        // Every kind but the Tiltfile holds the `${VAR}` and `$VAR` forms.
        for &kind in Kind::ALL {
            if kind != Kind::Tiltfile {
                for &(name, tag) in &FORMS[..4] {
                    assert!(codes(kind, name, tag).is_some(), "{kind:?} {name}:{tag}");
                }
            }
        }
        assert!(held > 250, "{held}");
    }
}
