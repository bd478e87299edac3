//! Dockerfile finder: the images a build pulls, as written in the Dockerfile.
//!
//! # What is found
//!
//! Each [`Candidate`]'s span is the image text only (never a flag name, a quote, an `AS` clause or a
//! line ending), so that rewriting it changes nothing else:
//!
//! - `FROM [--flag=…]... <image> [AS <name>]`: the image word. The instruction keyword is matched
//!   case-insensitively (`from`, `From`), and an instruction may run over continuation lines (ended by
//!   `\` or by the character of a `# escape=` directive) with comment and blank lines in between.
//! - `FROM ${NAME}` / `FROM $NAME`, where the whole image word is exactly one variable: the default
//!   value of the *global* `ARG NAME=<image>` (declared before the first `FROM`; the last declaration
//!   wins, as in BuildKit). The span is the value's bytes, inside the quotes of a quoted default
//!   (`ARG BASE="alpine:3.19"`). A default used by several `FROM`s is returned once, at the `ARG`.
//!   Defaults that no `FROM` uses as its whole image (versions, `golang:${GO_VERSION}` parts, stage-local
//!   `ARG`s) are not candidates.
//! - `COPY --from=<image>` and `RUN --mount=…,from=<image>,…` (the `from` key anywhere among the
//!   comma-separated fields, in any case; several `--mount`s per `RUN`): the value, when it is not a
//!   stage. As in BuildKit, a stage is any stage named in the file, earlier or later, compared
//!   case-insensitively, a stage index (`--from=0`, any integer) or `scratch`. Treating an integer as a
//!   stage index in `--mount` too is a choice: BuildKit would look for an image named `0` there.
//! - The image of the `# syntax=<image> [options]` parser directive, where BuildKit's `DetectSyntax`
//!   finds it: among the directive lines at the very top (after a byte order mark and a `#!` line),
//!   before any blank line, ordinary comment or instruction; key in any case, `#syntax=`,
//!   `# syntax = ` and tabs alike; the image ends at the first space.
//!
//! A UTF-8 byte order mark, CRLF line endings and a missing final newline are accepted; spans are
//! always byte offsets into the text as given (BOM included). Candidates are returned in file order.
//!
//! # What is not found
//!
//! - `FROM scratch` (exact spelling, as BuildKit compares it) and `FROM <name>` where `<name>` is the
//!   `AS` name of an *earlier* stage, compared case-insensitively as BuildKit does: neither pulls an
//!   image. The same holds for `FROM ${NAME}` whose global default is `scratch` or the name of a stage
//!   defined before that `FROM` (`ARG BASE=builder`): the argument selects a stage, not an image.
//! - Anything that is not one of the places above: `RUN echo FROM x`, comment lines (`# FROM x`),
//!   `# syntax=` below the top, here-document bodies (`RUN <<EOF`, `COPY <<EOF`), `ADD` sources,
//!   `LABEL`s, `ENV` values.
//! - `ONBUILD` instructions (`ONBUILD FROM`, `ONBUILD COPY --from=…`) are ignored: they run in a later
//!   build that uses this image as its base, so the images they name are not pulled by this build.
//!
//! # Skipped candidates
//!
//! A candidate whose bytes `pin` must not rewrite is returned with `skip` set:
//!
//! - An image word that combines variables with text (`golang:${GO_VERSION}-alpine`,
//!   `${REGISTRY}/app:${TAG}`, `${BASE:-alpine}`): `skip` names the arguments. Defaults are not
//!   substituted into such words.
//! - `FROM ${NAME}` whose argument is not usable: at the `FROM` image word, "build argument NAME has no
//!   default" (also when a later global `ARG NAME` drops the default), "… has an empty default", or
//!   "… is not declared before the first FROM" (stage-local `ARG`s are not in scope for `FROM`). At the
//!   `ARG` value, "default of build argument NAME …" when the default itself uses a variable
//!   (`ARG BASE=${REGISTRY}/app`), has quotes or escapes other than one pair of enclosing quotes, or is
//!   split by a line continuation.
//! - A `COPY --from` / `--mount from=` value containing `$`, or one whose text is not contiguous in the
//!   file: split by a line continuation, or with quotes or escapes inside it (`--from=a"b"c`). Flag
//!   words are unquoted as BuildKit does (`--from="img"`, `--mount="type=bind,from=img"` and
//!   `--mount=type=bind,"from=img"` are all plain `img`, spanned inside the quotes); the span of a
//!   skipped value covers its bytes.
//! - An image word split by a line continuation (`FROM alp\` + newline + `ine`) is returned with its
//!   joined value and a `skip`, because its bytes are not the reference text.
//!
//! # How
//!
//! The file is read by the `parse-dockerfile` crate, which gives every instruction with byte spans and
//! handles parser directives, continuations, comments and leading here-documents. A file the crate
//! rejects is a [`FindError`] at the byte offset the crate reports, with its message. `ARG` words and
//! `--mount` fields (which the crate leaves as text) are split here (module `words`), with a map from
//! every byte of the joined, unquoted text back to its file offset, so a value whose bytes are not
//! contiguous in the file is detected rather than mis-spanned. The `syntax` directive is read here
//! (module `directive`): the crate keeps its directives private to its iterator. The crate reads a
//! directive only from a line that starts with `#`, while BuildKit's parser first strips a line's leading
//! whitespace (`  # escape=``` ` is a directive to it): the crate is given a copy in which such directive lines
//! are written `#KEY=VALUE`, padded with spaces to their length, so every offset stays valid.
//!
//! One gap in the crate is filled here: it recognises a here-document in `RUN` only when `<<WORD` is the
//! first argument (`RUN <<EOF`), and only one. BuildKit accepts any `<<WORD` word of a `RUN` line
//! (`RUN python3 <<EOF`, `RUN cat <<EOF >/etc/x`, `RUN <<A <<B`) and reads the bodies from the following
//! lines. Left alone, the crate would read such a body as instructions: usually an error on the
//! delimiter line, and a bogus candidate for a `FROM` line inside the body. So before the final parse,
//! `blank_heredoc_bodies` replaces the bytes of those bodies (and their delimiter lines) with spaces
//! in a copy of the text, keeping every line break, so every span stays valid for the original.
//!
//! # Limitations
//!
//! - `--build-arg` values, named build contexts (`--build-context name=…`, which may make a `FROM` or
//!   `--from` name something other than an image) and `--target` are unknown here: defaults are what is
//!   pinned. A default is never expanded: `ARG BASE=${REGISTRY}/app` and stage names chosen by an
//!   argument (`FROM binaries-$TARGETOS`) stay skipped.
//! - `ARG` words are split like BuildKit's `parseWords`, except that both `\` and `` ` `` count as
//!   escape characters whatever the `# escape=` directive says: a value holding either is skipped,
//!   never rewritten.
//! - A flag value ends where the crate ends it, at whitespace: a quoted flag value holding a space
//!   (which BuildKit keeps in one word) is read in pieces.
//! - Heredoc words in `RUN` are found by a simple shell-word split (quotes and backslashes respected; no
//!   `$(…)` nesting), like BuildKit's `^[0-9]*<<-?[^<]+$` word test.
//! - Instructions are read with the crate's `parse_iter`, not `parse`: `parse` also rejects two stages
//!   with the same name, which BuildKit only warns about (lint rule `DuplicateStageName`).

mod directive;
mod heredoc;
#[cfg(test)]
mod tests;
mod words;

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use parse_dockerfile::{Flag, Instruction, UnescapedString};

use self::words::{arg_declarations, mount_fields, ArgDefault, Joined};
use super::{Candidate, FindError, Findings, SkipReason, Target};

const BOM: &str = "\u{feff}";

/// Finds the images of a Dockerfile. See the module documentation for the rules.
pub fn find(src: &str) -> Result<Findings, FindError> {
    // The crate drops one leading BOM and reports spans relative to the rest.
    let bom = if src.starts_with(BOM) { BOM.len() } else { 0 };
    let directives = directive::as_parser_reads(src, bom);
    let text = heredoc::blank_heredoc_bodies(&directives, bom)?;
    let error = |e: parse_dockerfile::Error| crate_error(&text[bom..], bom, &e);
    let instructions = parse_dockerfile::parse_iter(&text)
        .map_err(error)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(error)?;
    let file_span = |span: &Range<usize>| span.start + bom..span.end + bom;

    // `COPY --from` and `--mount from=` may name any stage of the file, even a later one.
    let all_stages: HashSet<String> = instructions
        .iter()
        .filter_map(|instruction| match instruction {
            Instruction::From(from) => from.as_.as_ref(),
            _ => None,
        })
        .map(|(_, name)| name.value.to_lowercase())
        .collect();

    // Every `FROM` image word, for telling a build argument's uses apart.
    let from_words: Vec<(Range<usize>, &str)> = instructions
        .iter()
        .filter_map(|instruction| match instruction {
            Instruction::From(from) => Some((file_span(&from.image.span), &*from.image.value)),
            _ => None,
        })
        .collect();

    let mut candidates: Vec<Candidate> = directive::syntax(src)
        .map(|span| candidate(src[span.clone()].to_string(), span, None))
        .into_iter()
        .collect();
    // Global build arguments: name → default (`None`: declared without one).
    let mut global_args: HashMap<String, Option<ArgDefault>> = HashMap::new();
    // Stages named so far, in lower case.
    let mut earlier_stages: HashSet<String> = HashSet::new();
    let mut seen_from = false;
    // `ARG` defaults already returned, by span start.
    let mut reported_defaults: HashSet<usize> = HashSet::new();
    for instruction in &instructions {
        match instruction {
            Instruction::Arg(arg) if !seen_from => {
                let span = file_span(&arg.arguments.span);
                let raw = src.get(span.clone()).unwrap_or_default();
                global_args.extend(arg_declarations(raw, span.start));
            }
            Instruction::From(from) => {
                seen_from = true;
                let image = &from.image;
                let value: &str = &image.value;
                let span = file_span(&image.span);
                let found = if value == "scratch" || earlier_stages.contains(&value.to_lowercase())
                {
                    None
                } else if let Some(name) = single_variable(value) {
                    from_argument(name, value, span, &global_args, &earlier_stages)
                } else if let Some((prefix, name)) = tag_variable(value) {
                    Some(from_tag_argument(
                        src,
                        (prefix, name),
                        value,
                        span,
                        &global_args,
                        &from_words,
                    ))
                } else {
                    let skip = if value.contains('$') {
                        Some(SkipReason::Template(build_argument_reason(value).into()))
                    } else if src.get(span.clone()) != Some(value) {
                        Some(SkipReason::fixed(
                            "image name is split by a line continuation",
                        ))
                    } else {
                        None
                    };
                    Some(candidate(value.to_string(), span, skip))
                };
                if let Some((_, name)) = &from.as_ {
                    earlier_stages.insert(name.value.to_lowercase());
                }
                if let Some(found) = found {
                    // A default used by several `FROM`s is one place in the file.
                    if reported_defaults.insert(found.span.start) {
                        candidates.push(found);
                    }
                }
            }
            Instruction::Copy(copy) => {
                for value in flag_values(&copy.options, "from") {
                    let value = flag_value(src, value, bom);
                    let span = value.file_range(0..value.text.len());
                    candidates.extend(stage_or_image(&value.text, span, "--from", &all_stages));
                }
            }
            Instruction::Run(run) => {
                for value in flag_values(&run.options, "mount") {
                    let value = flag_value(src, value, bom);
                    for (key, range, plain) in mount_fields(&value.text) {
                        if key != "from" {
                            continue;
                        }
                        let (text, span) = if plain {
                            (
                                value.text[range.clone()].to_string(),
                                value.file_range(range),
                            )
                        } else {
                            let cover = value.file_range(range.clone()).unwrap_or_else(|r| r);
                            (value.text[range].replace("\"\"", "\""), Err(cover))
                        };
                        candidates.extend(stage_or_image(
                            &text,
                            span,
                            "--mount from=",
                            &all_stages,
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    candidates.sort_by_key(|c| c.span.start);
    let here_docs: Vec<Range<usize>> = instructions
        .iter()
        .flat_map(|instruction| match instruction {
            Instruction::Run(run) => run.here_docs.iter().collect::<Vec<_>>(),
            Instruction::Copy(copy) => copy
                .src
                .iter()
                .filter_map(|source| match source {
                    parse_dockerfile::Source::HereDoc(doc) => Some(doc),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        })
        .map(|doc| file_span(&doc.span))
        .collect();
    Ok(Findings {
        candidates,
        skipped: None,
        ignore_comments: ignore_comments(&text, bom, &here_docs),
    })
}

/// The `# pin: ignore` comment lines of the file. `text` is the file with the here-document bodies that
/// the crate does not read blanked; `here_docs` are the ranges of those it does read. A comment is a whole
/// line whose first non-blank character is `#`, as BuildKit reads them (also between continuation lines),
/// outside here-document bodies: `RUN echo "# pin: ignore"` holds none.
fn ignore_comments(text: &str, bom: usize, here_docs: &[Range<usize>]) -> Vec<Range<usize>> {
    if !text.contains("pin:") {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut at = bom;
    for line in text[bom..].split_inclusive('\n') {
        let start = at;
        at += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        let indent = body.len() - body.trim_start().len();
        let comment = start + indent..start + body.len();
        if super::is_ignore_comment(&text[comment.clone()])
            && !here_docs.iter().any(|doc| doc.contains(&comment.start))
        {
            out.push(comment);
        }
    }
    out
}

fn candidate(value: String, span: Range<usize>, skip: Option<SkipReason>) -> Candidate {
    Candidate {
        span,
        value,
        skip,
        pull_policy_set: None,
        target: Target::Reference,
        artifact: None,
    }
}

/// `NAME` when `value` is exactly `$NAME` or `${NAME}`.
fn single_variable(value: &str) -> Option<&str> {
    let rest = value.strip_prefix('$')?;
    let name = match rest.strip_prefix('{') {
        Some(braced) => braced.strip_suffix('}')?,
        None => rest,
    };
    let is_name = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    is_name.then_some(name)
}

/// The candidate for `FROM ${NAME}` (image word `value` at `span`), or `None` when the argument's
/// default names `scratch` or an earlier stage.
fn from_argument(
    name: &str,
    value: &str,
    span: Range<usize>,
    global_args: &HashMap<String, Option<ArgDefault>>,
    earlier_stages: &HashSet<String>,
) -> Option<Candidate> {
    // The `FROM` word itself is the build argument: a variable Docker substitutes.
    let at_from = |why: String| {
        Some(candidate(
            value.to_string(),
            span.clone(),
            Some(SkipReason::Template(why.into())),
        ))
    };
    let default = match global_args.get(name) {
        None => {
            return at_from(format!(
                "build argument {name} is not declared before the first FROM"
            ))
        }
        Some(None) => return at_from(format!("build argument {name} has no default")),
        Some(Some(default)) => default,
    };
    if let Some(problem) = &default.problem {
        return Some(candidate(
            default.value.clone(),
            default.span.clone(),
            Some(default_problem(name, &default.value, problem)),
        ));
    }
    if default.value.is_empty() {
        return at_from(format!("build argument {name} has an empty default"));
    }
    if default.value == "scratch" || earlier_stages.contains(&default.value.to_lowercase()) {
        return None;
    }
    Some(candidate(default.value.clone(), default.span.clone(), None))
}

/// `(prefix, NAME)` when `value` ends with `$NAME` or `${NAME}` in its tag, after text without `$`:
/// `rust:${VARIANT}`, `mcr.microsoft.com/devcontainers/rust:1-${VARIANT}`. The prefix holds the name and
/// the `:` that starts the tag (the last `:` after the last `/`).
fn tag_variable(value: &str) -> Option<(&str, &str)> {
    let at = value.find('$')?;
    let (prefix, variable) = value.split_at(at);
    let name = single_variable(variable)?;
    let name_part = prefix.rsplit_once('/').map_or(prefix, |(_, last)| last);
    name_part.contains(':').then_some((prefix, name))
}

/// The candidate for `FROM prefix${NAME}` where the argument ends the tag: at the default of the global
/// `ARG NAME=…`, whose text becomes `default@digest` ([`Target::TagEnd`]), or a skipped candidate saying why
/// not. The default must be a tag's end (no `/`, `:` or `$` before a digest) and the argument used nowhere
/// else: any other `$NAME` outside comment lines, other than in `FROM` words identical to this one, would
/// change with the pin.
fn from_tag_argument(
    src: &str,
    (prefix, name): (&str, &str),
    value: &str,
    span: Range<usize>,
    global_args: &HashMap<String, Option<ArgDefault>>,
    from_words: &[(Range<usize>, &str)],
) -> Candidate {
    // The `FROM` word holds the build argument: a variable Docker substitutes.
    let at_from = |why: String| {
        candidate(
            value.to_string(),
            span.clone(),
            Some(SkipReason::Template(why.into())),
        )
    };
    let default = match global_args.get(name) {
        None => {
            return at_from(format!(
                "build argument {name} is not declared before the first FROM"
            ))
        }
        Some(None) => return at_from(format!("build argument {name} has no default")),
        Some(Some(default)) => default,
    };
    if let Some(problem) = &default.problem {
        return candidate(
            format!("{prefix}{}", default.value),
            default.span.clone(),
            Some(default_problem(name, &default.value, problem)),
        );
    }
    if default.value.is_empty() {
        return at_from(format!("build argument {name} has an empty default"));
    }
    let tag_end = default
        .value
        .split_once('@')
        .map_or(default.value.as_str(), |(tag, _)| tag);
    if tag_end.is_empty()
        || !tag_end
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
    {
        return at_from(format!(
            "build argument {name} ends the tag, but its default {:?} is not the end of a tag",
            default.value
        ));
    }
    let same_word = |at: usize| {
        from_words
            .iter()
            .any(|(range, word)| range.contains(&at) && *word == value)
    };
    if let Some(other) = variable_uses(src, name).find(|&at| !same_word(at)) {
        let line = super::line_number(src, other) + 1;
        return at_from(format!(
            "build argument {name} ends the tag here but is also used on line {line}; pinning its default would change that too"
        ));
    }
    Candidate {
        artifact: None,
        span: default.span.clone(),
        value: format!("{prefix}{}", default.value),
        skip: None,
        pull_policy_set: None,
        target: Target::TagEnd {
            tag_end: tag_end.to_string(),
        },
    }
}

/// The offsets of the `$` of every use of the variable `name` (`$NAME`, `${NAME}`, `${NAME:-…}`) outside
/// comment lines (lines whose first non-blank character is `#`, also in here-document bodies, where a shell
/// reads them as comments too).
fn variable_uses<'a>(src: &'a str, name: &'a str) -> impl Iterator<Item = usize> + 'a {
    let bytes = src.as_bytes();
    memchr::memchr_iter(b'$', bytes).filter(move |&at| {
        let rest = &src[at + 1..];
        let braced = rest.strip_prefix('{');
        let after = braced.unwrap_or(rest);
        let named = after
            .strip_prefix(name)
            .is_some_and(|tail| !tail.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_'));
        let line = super::line_start(src, at);
        named && !src[line..at].trim_start().starts_with('#')
    })
}

/// The values of the flags named `name` (`--name=value`; flag names are case-sensitive in BuildKit).
fn flag_values<'f, 'a: 'f>(
    flags: &'f [Flag<'a>],
    name: &'f str,
) -> impl Iterator<Item = &'f UnescapedString<'a>> + 'f {
    flags
        .iter()
        .filter(move |flag| flag.name.value == name)
        .filter_map(|flag| flag.value.as_ref())
}

/// A flag value as BuildKit reads it (continuations joined, quotes and escapes removed), with the file
/// offset of every byte.
fn flag_value(src: &str, value: &UnescapedString<'_>, bom: usize) -> Joined {
    let span = value.span.start + bom..value.span.end + bom;
    let raw = src.get(span.clone()).unwrap_or_default();
    Joined::new(raw, span.start).unquote_flag()
}

/// The candidate for a `COPY --from` / `--mount from=` value (`what` names which), or `None` when
/// it names a stage (by name, by index, or `scratch`) or is empty. `span`: `Ok` with the value's bytes,
/// or `Err` with the range covering a value whose bytes are not its text.
fn stage_or_image(
    value: &str,
    span: Result<Range<usize>, Range<usize>>,
    what: &str,
    all_stages: &HashSet<String>,
) -> Option<Candidate> {
    if value.is_empty()
        || value == "scratch"
        || value.parse::<i64>().is_ok()
        || all_stages.contains(&value.to_lowercase())
    {
        return None;
    }
    let (span, skip) = match span {
        Ok(span) => (
            span,
            value
                .contains('$')
                .then(|| SkipReason::Template(build_argument_reason(value).into())),
        ),
        Err(cover) => (
            cover,
            Some(SkipReason::NotPinnable(
                format!("{what} value is split by a line continuation, quotes or escapes").into(),
            )),
        ),
    };
    Some(candidate(value.to_string(), span, skip))
}

/// Converts a crate error (positions relative to the text after the BOM) to a [`FindError`].
fn crate_error(text: &str, bom: usize, e: &parse_dockerfile::Error) -> FindError {
    // The crate reports 1-based line and byte column, line 0 for "no FROM at all".
    let offset = match e.line() {
        0 => 0,
        1 => e.column().saturating_sub(1),
        line => {
            let start = text
                .match_indices('\n')
                .nth(line - 2)
                .map_or(text.len(), |(i, _)| i + 1);
            start + e.column().saturating_sub(1)
        }
    };
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    FindError {
        offset: offset + bom,
        message: format!("{e:#}"),
    }
}

/// Why the default of build argument `name`, `value`, is not pinned: it uses other build arguments (a
/// template), or its text is not its value.
fn default_problem(name: &str, value: &str, problem: &str) -> SkipReason {
    let why = format!("default of build argument {name} {problem}");
    if value.contains('$') {
        SkipReason::Template(why.into())
    } else {
        SkipReason::NotPinnable(why.into())
    }
}

/// `skip` text for an image word that uses `$`.
fn build_argument_reason(value: &str) -> String {
    let mut names: Vec<&str> = Vec::new();
    let mut rest = value;
    while let Some(i) = rest.find('$') {
        rest = &rest[i + 1..];
        let braced = rest.strip_prefix('{');
        let after = braced.unwrap_or(rest);
        let len = after
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count();
        if len > 0 {
            let name = &after[..len];
            if !names.contains(&name) {
                names.push(name);
            }
            rest = &after[len..];
        }
    }
    match names.as_slice() {
        [] => "uses build argument syntax `$`".to_string(),
        [one] => format!("uses build argument {one}"),
        many => format!("uses build arguments {}", many.join(", ")),
    }
}
