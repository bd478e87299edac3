//! Tiltfile reader: the images a Tiltfile builds, and the files it deploys.
//!
//! A `Tiltfile` is Starlark, read with the tokenizer of [`super::bazel::starlark`]: strings (prefixed,
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

use super::bazel::starlark::{self, Tok, Token};
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
    let bound = file.bindings();
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

struct File<'a> {
    src: &'a str,
    tokens: &'a [Token],
}

/// A call's arguments: positional ones, and keyword ones with their names, as ranges of tokens.
struct Arguments {
    positional: Vec<Range<usize>>,
    keywords: Vec<(String, Range<usize>)>,
    /// The first `*args` or `**kwargs` argument (positional arguments after it are not counted).
    unpacking: Option<Range<usize>>,
}

impl Arguments {
    /// The argument of the parameter at `position` named `keyword`: the keyword argument, or the
    /// positional one at its place, or else the `*args` / `**kwargs` that may hold it.
    fn named(&self, position: usize, keyword: &str) -> Option<Range<usize>> {
        if let Some((_, r)) = self.keywords.iter().find(|(k, _)| k == keyword) {
            return Some(r.clone());
        }
        self.positional
            .get(position)
            .or(self.unpacking.as_ref())
            .cloned()
    }
}

impl File<'_> {
    fn text(&self, i: usize) -> &str {
        self.tokens.get(i).map_or("", |t| t.text(self.src))
    }

    fn is(&self, i: usize, text: &str) -> bool {
        self.tokens
            .get(i)
            .is_some_and(|t| !matches!(t.tok, Tok::Str { .. }) && t.text(self.src) == text)
    }

    fn str_value(&self, i: usize) -> Option<&str> {
        match &self.tokens.get(i)?.tok {
            Tok::Str { value, .. } => value.as_deref(),
            _ => None,
        }
    }

    /// The byte range of a range of tokens.
    fn span(&self, value: &Range<usize>) -> Range<usize> {
        self.tokens[value.start].span.start..self.tokens[value.end - 1].span.end
    }

    /// The one string literal a value consists of: its content's span and its value.
    fn literal(&self, value: &Range<usize>) -> Option<(Range<usize>, &str)> {
        if value.len() != 1 {
            return None;
        }
        match &self.tokens[value.start].tok {
            Tok::Str {
                content,
                value: Some(v),
                ..
            } => Some((content.clone(), v.as_str())),
            _ => None,
        }
    }

    /// A string literal, or a list (or tuple) of string literals: their values; anything else: none.
    fn strings(&self, value: &Range<usize>) -> Vec<String> {
        if let Some((_, v)) = self.literal(value) {
            return vec![v.to_owned()];
        }
        let (first, last) = (self.text(value.start), self.text(value.end - 1));
        if value.len() < 2 || !matches!((first, last), ("[", "]") | ("(", ")")) {
            return Vec::new();
        }
        let inner = value.start + 1..value.end - 1;
        let mut out = Vec::new();
        for i in inner {
            if self.is(i, ",") {
                continue;
            }
            match self.str_value(i) {
                Some(v) if self.is(i + 1, ",") || i + 1 == value.end - 1 => out.push(v.to_owned()),
                _ => return Vec::new(),
            }
        }
        out
    }

    /// The build functions this file may call: the built-in ones, and those its `load`s of Tilt
    /// extensions bind (under the name they are bound to), each with the place of its name argument.
    fn bindings(&self) -> BTreeMap<String, (usize, &'static str)> {
        let mut bound: BTreeMap<String, (usize, &'static str)> = BUILDERS
            .iter()
            .filter(|(ext, ..)| ext.is_empty())
            .map(|&(_, f, p, k)| (f.to_owned(), (p, k)))
            .collect();
        for i in 0..self.tokens.len() {
            if !(self.is(i, "load") && self.is(i + 1, "(")) {
                continue;
            }
            let Some(extension) = self.str_value(i + 2).and_then(|l| l.strip_prefix("ext://"))
            else {
                continue;
            };
            let mut j = i + 3;
            while j < self.tokens.len() && !self.is(j, ")") {
                if let Some(symbol) = self.str_value(j) {
                    let builder = BUILDERS
                        .iter()
                        .find(|(ext, f, ..)| !ext.is_empty() && *ext == extension && *f == symbol);
                    if let Some(&(_, f, p, k)) = builder {
                        let alias =
                            j >= 2 && self.is(j - 1, "=") && self.tokens[j - 2].tok == Tok::Name;
                        let name = if alias { self.text(j - 2) } else { f };
                        bound.insert(name.to_owned(), (p, k));
                    }
                }
                j += 1;
            }
        }
        bound
    }

    /// The arguments of the call whose `(` is token `open`.
    fn arguments(&self, open: usize) -> Result<Arguments, FindError> {
        let mut args = Arguments {
            positional: Vec::new(),
            keywords: Vec::new(),
            unpacking: None,
        };
        let mut depth = 0usize;
        let mut arg_start = open + 1;
        for i in open..self.tokens.len() {
            let text = self.text(i);
            let punct = self.tokens[i].tok == Tok::Punct;
            match text {
                "(" | "[" | "{" if punct => depth += 1,
                ")" | "]" | "}" if punct => depth -= 1,
                _ => {}
            }
            if (punct && text == "," && depth == 1) || depth == 0 {
                let arg = arg_start..i;
                if arg.is_empty() {
                    // `f()` or a trailing comma.
                } else if arg.len() > 2
                    && self.tokens[arg.start].tok == Tok::Name
                    && self.is(arg.start + 1, "=")
                {
                    args.keywords
                        .push((self.text(arg.start).to_owned(), arg.start + 2..arg.end));
                } else if self.is(arg.start, "*") || self.is(arg.start, "**") {
                    // What it unpacks may fill any parameter not given otherwise.
                    args.unpacking.get_or_insert(arg);
                } else if args.unpacking.is_none() {
                    args.positional.push(arg);
                }
                arg_start = i + 1;
            }
            if depth == 0 {
                return Ok(args);
            }
        }
        Err(FindError {
            offset: self.tokens[open].span.start,
            message: "a call whose `(` is never closed".to_owned(),
        })
    }
}

#[cfg(test)]
mod tests;
