//! Bazel finder: rules_oci `oci.pull(...)` (in `MODULE.bazel`) and `oci_pull(...)` (in `WORKSPACE`
//! files and `.bzl` macros) calls, and rules_img `pull(...)` calls (the repository rule of
//! `@rules_img//img:pull.bzl`, brought into a `MODULE.bazel` by `use_repo_rule` or loaded by `load`).
//!
//! The file is read with the Starlark reader of [`super::starlark`]: strings (prefixed, triple-quoted,
//! raw), comments and bracket nesting are real tokens, so a call in a comment or a docstring is not a
//! call, and arguments are split at the call's own commas.
//!
//! # What is found
//!
//! Calls of the rules_oci and rules_img names the file binds itself, so that a look-alike is never touched:
//! `X.pull(...)` where `X = use_extension("@rules_oci//oci:extensions.bzl", "oci")`; `F(...)` where
//! `load("@rules_oci//oci:pull.bzl", "oci_pull")` (or `F = "oci_pull"`) binds `F`; and `F(...)` where
//! `F = use_repo_rule("@rules_img//img:pull.bzl", "pull")` or `load("@rules_img//img:pull.bzl", "pull")`
//! (or `F = "pull"`) binds `F`. In a call:
//!
//! * the image is its `image` (or `registry` + `/` + `repository`), its tag the `tag` argument. rules_img has
//!   no `image`: its `registry` is where it pulls from, or, without one, the first of its `registries` (the
//!   order in which rules_img tries them), or Docker Hub (`index.docker.io`, its default);
//! * with a non-empty `digest = "sha256:…"`, the call is pinned already: [`Candidate::value`] is
//!   `image[:tag]@digest` and the span is the digest ([`Target::Digest`]);
//! * an empty `digest = ""` is filled in ([`Target::Digest`], the span between the quotes);
//! * with no `digest` argument, `digest = "…",` is inserted just before the `tag` argument: on a line of
//!   its own, with the `tag` line's indentation and line ending, when `tag` starts its line, else inline
//!   ([`Target::InsertDigest`]). The quote character is the tag's.
//! * with no `tag` argument, an `image` that carries its own tag (`"debian:12"`, which rules_oci splits
//!   itself) is pinned in place ([`Target::Reference`]).
//!
//! rules_oci documents "exactly one of `tag` and `digest`", but its code (`oci/pull.bzl`) accepts both
//! while `reproducible` is true (the default) and then uses the digest; the tag stays for readers and
//! update tools, so `pin` keeps it.
//!
//! # Reported skipped
//!
//! * A call with `reproducible = False` (rules_oci): rules_oci then fails when both a tag and a digest are set.
//! * A rules_img call whose `registries` is not a list of plain string literals.
//! * An `image`, `tag` or `digest` that is not one plain string literal (a variable, a concatenation, a
//!   string with escapes that change its text), `digest = None`, and a call with neither tag nor digest.
//! * A call marked `# pin: ignore`: the comment on the call's first line or alone on the line above it,
//!   or on (or alone above) the line of its `image`, `tag` or `digest`.
//!
//! # Limitations
//!
//! * Calls through `**kwargs`, and names bound in another file, are not followed.
//! * rules_img's module extension (`images = use_extension("@rules_img//img:extensions.bzl", "images")`,
//!   `images.pull(...)`) requires a digest, which `use_repo` then names (`img_<digest>`): it is not read.
//! * [`Candidate::pull_policy_set`] is always `None`.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use super::starlark::{self, Arguments, Code as File, Tok, Token};
use super::{Candidate, FindError, Findings, SkipReason, Target};

/// The skip reason of a call with `reproducible = False`.
pub const NOT_REPRODUCIBLE: &str =
    "`reproducible = False`: rules_oci refuses a digest next to a tag there";

/// Finds the rules_oci pulls of a Bazel file. See the module documentation.
pub fn find(src: &str) -> Result<Findings, FindError> {
    let all = starlark::tokenize(src)?;
    let ignored = ignored_lines(src, &all);
    let ignore_comments = all
        .iter()
        .filter(|t| t.tok == Tok::Comment && super::is_ignore_comment(t.text(src)))
        .map(|t| t.span.clone())
        .collect();
    let tokens: Vec<Token> = all.into_iter().filter(|t| t.tok != Tok::Comment).collect();
    let file = File {
        src,
        tokens: &tokens,
    };
    let (functions, extensions) = bindings(&file);
    let mut candidates = Vec::new();
    for i in 0..tokens.len() {
        let (open, rule) = match functions.get(file.text(i)) {
            Some(&rule)
                if file.is(i + 1, "(")
                    && !(i > 0 && (file.is(i - 1, ".") || file.is(i - 1, "def"))) =>
            {
                (i + 1, rule)
            }
            _ if extensions.contains(file.text(i))
                && file.is(i + 1, ".")
                && file.is(i + 2, "pull")
                && file.is(i + 3, "(")
                && !(i > 0 && file.is(i - 1, ".")) =>
            {
                (i + 3, Rule::Oci)
            }
            _ => continue,
        };
        let args = file.arguments(open)?;
        if let Some(mut c) = pull(&file, &args, rule) {
            let lines = [
                Some(i),
                args.get("image"),
                args.get("tag"),
                args.get("digest"),
            ];
            let marked = lines
                .into_iter()
                .flatten()
                .any(|t| ignored.contains(&super::line_number(src, tokens[t].span.start)));
            if marked && c.skip.is_none() {
                c.skip = Some(SkipReason::Ignored { marker: "#" });
            }
            candidates.push(c);
        }
    }
    Ok(Findings {
        candidates,
        skipped: None,
        ignore_comments,
    })
}

/// Which rule set a call's name is bound to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rule {
    /// rules_oci's `oci_pull` (and its module extension's `oci.pull`).
    Oci,
    /// rules_img's `pull` repository rule.
    Img,
}

/// The names bound to rules_oci's `oci_pull` and rules_img's `pull` by `load` (and to the latter by
/// `use_repo_rule`), with their rule set, and to rules_oci's module extension by `use_extension`.
fn bindings(file: &File) -> (BTreeMap<String, Rule>, BTreeSet<String>) {
    let (mut functions, mut extensions) = (BTreeMap::new(), BTreeSet::new());
    for i in 0..file.tokens.len() {
        if let Some(load) = file.load_at(i) {
            let (rule, symbol) = if is_rules(load.label, "rules_oci", "oci:pull.bzl") {
                (Rule::Oci, "oci_pull")
            } else if is_rules(load.label, "rules_img", "img:pull.bzl") {
                (Rule::Img, "pull")
            } else {
                continue;
            };
            for (name, bound) in load.bound {
                if bound == symbol {
                    functions.insert(name.to_owned(), rule);
                }
            }
        }
        if let Some(name) = bound_call(
            file,
            i,
            "use_repo_rule",
            ("rules_img", "img:pull.bzl"),
            "pull",
        ) {
            functions.insert(name.to_owned(), Rule::Img);
        }
        if let Some(name) = bound_call(
            file,
            i,
            "use_extension",
            ("rules_oci", "oci:extensions.bzl"),
            "oci",
        ) {
            extensions.insert(name.to_owned());
        }
    }
    (functions, extensions)
}

/// The name bound at token `i` by `NAME = CALLEE("LABEL", "SYMBOL"…)` (Bzlmod's `use_repo_rule` and
/// `use_extension`), where LABEL names `file` of `module` (see `is_rules`).
fn bound_call<'a>(
    file: &'a File,
    i: usize,
    callee: &str,
    (module, bzl): (&str, &str),
    symbol: &str,
) -> Option<&'a str> {
    let bound = file.is(i, callee)
        && file.is(i + 1, "(")
        && i >= 2
        && file.is(i - 1, "=")
        && file.tokens[i - 2].tok == Tok::Name
        && file
            .str_value(i + 2)
            .is_some_and(|l| is_rules(l, module, bzl))
        && file.is(i + 3, ",")
        && file.str_value(i + 4) == Some(symbol);
    bound.then(|| file.text(i - 2))
}

/// Whether a label names `file` of the module `module`: `@rules_oci//oci:pull.bzl`, its canonical forms
/// (`@@rules_oci+//…`), or `//oci:pull.bzl` inside the module itself.
fn is_rules(label: &str, module: &str, file: &str) -> bool {
    label.split_once("//").is_some_and(|(repo, f)| {
        let name = repo.trim_start_matches('@');
        f == file && ((repo.is_empty()) || (repo.starts_with('@') && name.starts_with(module)))
    })
}

/// A string literal of the call: its content span and value, or why it cannot be used.
enum Literal<'a> {
    Plain(Range<usize>, &'a str),
    Other(Range<usize>, String),
}

fn literal<'a>(file: &'a File, value: Range<usize>) -> Literal<'a> {
    let whole = file.tokens[value.start].span.start..file.tokens[value.end - 1].span.end;
    if let Some((content, v)) = file.literal(&value) {
        if &file.src[content.clone()] == v && !v.contains(['\n', '\r']) {
            return Literal::Plain(content, v);
        }
    }
    Literal::Other(whole.clone(), file.src[whole].to_owned())
}

/// Where a rules_img call pulls from: its `registry`, else the first of its `registries`, else Docker Hub, as a
/// plain string; or the span and text of a value that is not one.
fn img_registry(file: &File, args: &Arguments) -> Result<String, (Range<usize>, String)> {
    if let Some(v) = args.value("registry") {
        return match literal(file, v) {
            Literal::Plain(_, r) if !r.is_empty() => Ok(r.to_owned()),
            Literal::Plain(..) => Ok("index.docker.io".to_owned()),
            Literal::Other(span, t) => Err((span, t)),
        };
    }
    let Some(list) = args.value("registries") else {
        return Ok("index.docker.io".to_owned());
    };
    let whole = file.tokens[list.start].span.start..file.tokens[list.end - 1].span.end;
    let computed = || (whole.clone(), file.src[whole.clone()].to_owned());
    if !(file.is(list.start, "[") && file.is(list.end - 1, "]")) {
        return Err(computed());
    }
    // `[`, then string literals separated by commas (a trailing one allowed), then `]`.
    let mut first = None;
    let mut at = list.start + 1;
    while at < list.end - 1 {
        match literal(file, at..at + 1) {
            Literal::Plain(_, r) => first = first.or(Some(r.to_owned())),
            Literal::Other(..) => return Err(computed()),
        }
        at += 1;
        if at < list.end - 1 && !file.is(at, ",") {
            return Err(computed());
        }
        at += 1;
    }
    Ok(first.unwrap_or_else(|| "index.docker.io".to_owned()))
}

fn pull(file: &File, args: &Arguments, rule: Rule) -> Option<Candidate> {
    let src = file.src;
    let skipped = |span: Range<usize>, value: String, why: &'static str| Candidate {
        span,
        value,
        skip: Some(SkipReason::fixed(why)),
        pull_policy_set: None,
        target: Target::Reference,
        artifact: None,
    };
    const NOT_LITERAL: &str = "not a plain string literal; the value is computed";

    let (image_span, image) = match (
        args.value("image").filter(|_| rule == Rule::Oci),
        args.value("registry"),
        args.value("repository"),
    ) {
        (None, _, Some(repo)) if rule == Rule::Img => {
            let registry = match img_registry(file, args) {
                Ok(r) => r,
                Err((span, t)) => return Some(skipped(span, t, NOT_LITERAL)),
            };
            match literal(file, repo) {
                Literal::Plain(span, p) => (span, format!("{registry}/{p}")),
                Literal::Other(span, t) => return Some(skipped(span, t, NOT_LITERAL)),
            }
        }
        (Some(v), _, _) => match literal(file, v) {
            Literal::Plain(span, text) => (span, text.to_owned()),
            Literal::Other(span, text) => return Some(skipped(span, text, NOT_LITERAL)),
        },
        (None, Some(reg), Some(repo)) => match (literal(file, reg), literal(file, repo)) {
            (Literal::Plain(_, r), Literal::Plain(span, p)) => (span, format!("{r}/{p}")),
            (Literal::Other(span, t), _) | (_, Literal::Other(span, t)) => {
                return Some(skipped(span, t, NOT_LITERAL))
            }
        },
        _ => return None,
    };
    let not_reproducible = rule == Rule::Oci
        && args.value("reproducible").is_some_and(|r| {
            src[file.tokens[r.start].span.start..file.tokens[r.end - 1].span.end].trim() == "False"
        });

    let tag = match args.value("tag") {
        None => None,
        Some(v) => match literal(file, v.clone()) {
            Literal::Plain(span, t) => Some((v.start, span, t)),
            Literal::Other(span, t) => {
                return Some(skipped(span, format!("{image}:{t}"), NOT_LITERAL))
            }
        },
    };
    let tagged = match &tag {
        Some((_, _, t)) => format!("{image}:{t}"),
        None => image.clone(),
    };
    let shown = tag
        .as_ref()
        .map_or(image_span.clone(), |(_, s, _)| s.clone());

    if let Some(v) = args.value("digest") {
        let (span, d) = match literal(file, v.clone()) {
            Literal::Plain(span, d) => (span, d),
            Literal::Other(span, d) if d == "None" => {
                let why = "`digest = None`; write `digest = \"\"` to have it filled";
                return Some(skipped(span, tagged, why));
            }
            Literal::Other(span, d) => return Some(skipped(span, d, NOT_LITERAL)),
        };
        let digest_candidate = |value: String, skip: Option<&'static str>| Candidate {
            span: span.clone(),
            value,
            skip: skip.map(SkipReason::fixed),
            pull_policy_set: None,
            target: Target::Digest,
            artifact: None,
        };
        return Some(if !d.is_empty() {
            digest_candidate(format!("{tagged}@{d}"), None)
        } else if tag.is_none() {
            skipped(shown, tagged, "neither a tag nor a digest")
        } else if not_reproducible {
            digest_candidate(tagged, Some(NOT_REPRODUCIBLE))
        } else {
            digest_candidate(tagged, None)
        });
    }

    let Some((tag_token, tag_span, _)) = tag else {
        // An image with its own tag or digest, which rules_oci splits off itself.
        let own = image
            .rsplit_once('/')
            .map_or(image.as_str(), |(_, last)| last);
        if !own.contains(':') && !image.contains('@') {
            return Some(skipped(image_span, image, "neither a tag nor a digest"));
        }
        if args.value("image").is_none() {
            return Some(skipped(
                image_span,
                image,
                "a tag in `repository`; use `tag`",
            ));
        }
        let mut c = Candidate {
            span: image_span,
            value: image,
            skip: None,
            pull_policy_set: None,
            target: Target::Reference,
            artifact: None,
        };
        if not_reproducible && !c.value.contains('@') {
            c.skip = Some(SkipReason::fixed(NOT_REPRODUCIBLE));
        }
        return Some(c);
    };
    if not_reproducible {
        return Some(skipped(tag_span, tagged, NOT_REPRODUCIBLE));
    }
    // Insert `digest = "…",` right before the `tag` keyword (two tokens before its value).
    let keyword = file.tokens[tag_token - 2].span.start;
    let line_start = super::line_start(src, keyword);
    let indent = &src[line_start..keyword];
    let quote = match &file.tokens[tag_token].tok {
        Tok::Str { quote, .. } => *quote,
        _ => '"',
    };
    let suffix = if indent.trim().is_empty() {
        // The `tag` line's own line break: `\n`, `\r\n` or a lone `\r`.
        let end = super::line_end(src, keyword);
        let eol = match &src[end..] {
            rest if rest.starts_with("\r\n") => "\r\n",
            rest if rest.starts_with('\r') => "\r",
            _ => "\n",
        };
        format!("{quote},{eol}{indent}")
    } else {
        format!("{quote}, ")
    };
    Some(Candidate {
        span: keyword..keyword,
        value: tagged,
        skip: None,
        pull_policy_set: None,
        target: Target::InsertDigest {
            prefix: format!("digest = {quote}"),
            suffix,
        },
        artifact: None,
    })
}

/// The lines a `# pin: ignore` comment marks: its own, and the next one when it stands alone.
fn ignored_lines(src: &str, tokens: &[Token]) -> BTreeSet<usize> {
    let mut lines = BTreeSet::new();
    for t in tokens.iter().filter(|t| t.tok == Tok::Comment) {
        let marks = super::is_ignore_comment(t.text(src));
        if !marks {
            continue;
        }
        let line = super::line_number(src, t.span.start);
        lines.insert(line);
        let line_start = super::line_start(src, t.span.start);
        if src[line_start..t.span.start].trim().is_empty() {
            lines.insert(line + 1);
        }
    }
    lines
}

#[cfg(test)]
mod tests;
