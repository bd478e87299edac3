//! Tiltfile reader: the images a Tiltfile builds, and the files it deploys.
//!
//! A `Tiltfile` is Starlark, read with the reader of [`super::starlark`]: strings (prefixed,
//! triple-quoted, with escapes), comments and bracket nesting are real tokens, so a call in a comment or a
//! string is not a call, and a call's arguments are split at its own commas.
//!
//! # Built images
//!
//! The image name of every call of Tilt's build functions: `docker_build(ref, …)` and `custom_build(ref, …)`
//! (built in), and the build functions of Tilt's extensions that the file loads itself
//! (`load('ext://ko', 'ko_build')`, also under another name: `load('ext://ko', kb = 'ko_build')`):
//! `ext://restart_process` (`docker_build_with_restart`, `custom_build_with_restart`), `ext://ko`
//! (`ko_build`), `ext://pack` (`pack`, whose parameter is `name`), `ext://podman` (`podman_build`,
//! `podman_build_with_restart`), `ext://nerdctl` (`nerdctl_build`), `ext://kubectl_build` (`kubectl_build`),
//! `ext://kim` (`kim_build`), `ext://earthly` (`earthly_build`, `earthly_build_with_restart`: the third
//! argument), `ext://nix` (`build_nix_image`), `ext://nix_flake` (`build_flake_image`) and
//! `ext://docker_build_sub` (`docker_build_sub`). The name is the `ref=` (`name=`) keyword argument, or the
//! positional argument at its place.
//!
//! A name given as one string literal is known ([`Name::Known`]). Any other expression (a variable, a
//! concatenation, a call, `**kwargs`) is [`Name::Unknown`] with its text: what it names is known only when
//! Tilt runs.
//!
//! `k8s_custom_deploy` builds nothing: its `image_deps` are names that a build function above declares, and
//! its `image_selector` names an image that is deployed as it is (Tilt only live-updates its containers).
//! `local_resource` and `docker_compose` build no image under a name of their own (a compose service with
//! `build:` is skipped by the compose finder).
//!
//! # Deployed files
//!
//! The paths that `k8s_yaml(…)`, `kustomize(…)`, `helm(…)` and `docker_compose(…)` read, when given as
//! string literals (or a list of them): the references to the built names in those files are the
//! project's own images too, as are those in the Tiltfile's directory and below.
//!
//! A Tiltfile itself holds no reference that `pin` writes: its candidates are the built names, always
//! skipped.

use std::collections::BTreeMap;
use std::ops::Range;

use super::starlark::{self, Code as File, Tok, Token};
use super::{Candidate, FindError, Findings, SkipReason, Target};

/// Tilt's build functions: (extension, function, position of the name, keyword of the name). An empty
/// extension is a built-in function.
const BUILDERS: &[(&str, &str, usize, &str)] = &[
    ("", "docker_build", 0, "ref"),
    ("", "custom_build", 0, "ref"),
    ("restart_process", "docker_build_with_restart", 0, "ref"),
    ("restart_process", "custom_build_with_restart", 0, "ref"),
    ("ko", "ko_build", 0, "ref"),
    ("pack", "pack", 0, "name"),
    ("podman", "podman_build", 0, "ref"),
    ("podman", "podman_build_with_restart", 0, "ref"),
    ("nerdctl", "nerdctl_build", 0, "ref"),
    ("kubectl_build", "kubectl_build", 0, "ref"),
    ("kim", "kim_build", 0, "ref"),
    ("earthly", "earthly_build", 2, "ref"),
    ("earthly", "earthly_build_with_restart", 2, "ref"),
    ("nix", "build_nix_image", 0, "ref"),
    ("nix_flake", "build_flake_image", 0, "ref"),
    ("docker_build_sub", "docker_build_sub", 0, "ref"),
];

/// The functions whose first argument (or keyword) names files that Tilt deploys.
const DEPLOYERS: &[(&str, &str)] = &[
    ("k8s_yaml", "yaml"),
    ("kustomize", "pathToDir"),
    ("helm", "pathToChartDir"),
    ("docker_compose", "configPaths"),
];

/// The skip reason of a built name in the Tiltfile itself.
pub const BUILT: &str = "built by Tilt";

/// An image name given to a build function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Name {
    /// A string literal's value.
    Known(String),
    /// Any other expression, as written.
    Unknown(String),
}

/// One build function call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Build {
    /// The function as called (`docker_build`, or the name a `load` bound).
    pub function: String,
    pub name: Name,
    /// The name's bytes: a literal's content (between the quotes), or the expression.
    pub span: Range<usize>,
}

/// What a Tiltfile says about the project's images.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tiltfile {
    pub builds: Vec<Build>,
    /// Paths (relative to the Tiltfile's directory) of the files and directories it deploys.
    pub deploys: Vec<String>,
}

/// Reads a Tiltfile. Fails only where the tokenizer does (a string that does not end) or on a call that is
/// never closed.
pub fn read(src: &str) -> Result<Tiltfile, FindError> {
    let tokens: Vec<Token> = starlark::tokenize(src)?
        .into_iter()
        .filter(|t| t.tok != Tok::Comment)
        .collect();
    let file = File {
        src,
        tokens: &tokens,
    };
    let bound = bindings(&file);
    let mut out = Tiltfile::default();
    for (i, token) in tokens.iter().enumerate() {
        if token.tok != Tok::Name
            || !file.is(i + 1, "(")
            || (i > 0 && (file.is(i - 1, ".") || file.is(i - 1, "def")))
        {
            continue;
        }
        let called = file.text(i);
        if let Some(&(position, keyword)) = bound.get(called) {
            let args = file.arguments(i + 1)?;
            let Some(value) = args.named(position, keyword) else {
                continue;
            };
            let span = file.span(&value);
            let name = match file.literal(&value) {
                Some((_, v)) => Name::Known(v.to_owned()),
                None => Name::Unknown(src[span.clone()].to_owned()),
            };
            let span = file.literal(&value).map_or(span, |(content, _)| content);
            out.builds.push(Build {
                function: called.to_owned(),
                name,
                span,
            });
        } else if let Some(&(_, keyword)) = DEPLOYERS.iter().find(|(f, _)| *f == called) {
            let args = file.arguments(i + 1)?;
            if let Some(value) = args.named(0, keyword) {
                out.deploys.extend(file.strings(&value));
            }
        }
    }
    Ok(out)
}

/// The finder: every built name, skipped (a Tiltfile is never rewritten). A name given by an expression is
/// reported with the expression's text and says that references to it are not recognized.
pub fn find(src: &str) -> Result<Findings, FindError> {
    let tiltfile = read(src)?;
    let candidates = tiltfile
        .builds
        .into_iter()
        .map(|b| {
            let (value, skip) = match b.name {
                Name::Known(v) => (v, SkipReason::BuiltHere(BUILT)),
                Name::Unknown(text) => {
                    let skip = SkipReason::NotPinnable(unknown_reason(&b.function).into());
                    (text, skip)
                }
            };
            Candidate {
                span: b.span,
                value,
                skip: Some(skip),
                pull_policy_set: None,
                target: Target::Reference,
                artifact: None,
            }
        })
        .collect();
    Ok(Findings {
        candidates,
        skipped: None,
        ignore_comments: Vec::new(),
    })
}

/// The skip reason of a name given by an expression.
pub fn unknown_reason(function: &str) -> String {
    format!(
        "the name of an image Tilt builds (`{function}`), given by an expression: references to it are not recognized as built"
    )
}

/// The build functions a Tiltfile may call: the built-in ones, and those its `load`s of Tilt extensions bind
/// (under the name they are bound to), each with the place of its name argument.
fn bindings(file: &File) -> BTreeMap<String, (usize, &'static str)> {
    let mut bound: BTreeMap<String, (usize, &'static str)> = BUILDERS
        .iter()
        .filter(|(ext, ..)| ext.is_empty())
        .map(|&(_, f, p, k)| (f.to_owned(), (p, k)))
        .collect();
    for load in file.loads() {
        let Some(extension) = load.label.strip_prefix("ext://") else {
            continue;
        };
        for (name, symbol) in load.bound {
            let builder = BUILDERS
                .iter()
                .find(|(ext, f, ..)| !ext.is_empty() && *ext == extension && *f == symbol);
            if let Some(&(_, _, p, k)) = builder {
                bound.insert(name.to_owned(), (p, k));
            }
        }
    }
    bound
}

#[cfg(test)]
mod tests;
