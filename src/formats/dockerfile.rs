//! Dockerfile finder: the image of every `FROM` that is not an earlier stage or `scratch`.
//!
//! # What is found
//!
//! One [`Candidate`] per top-level `FROM [--flag=…]... <image> [AS <name>]` instruction, whose span is
//! the image word only (never the flags, the `AS` clause or the line ending). The instruction keyword is
//! matched case-insensitively (`from`, `From`), and an instruction may run over continuation lines (ended
//! by `\` or by the character of a `# escape=` directive) with comment and blank lines in between. A UTF-8
//! byte order mark, CRLF line endings and a missing final newline are accepted; spans are always byte
//! offsets into the text as given (BOM included).
//!
//! # What is not found
//!
//! - `FROM scratch` (exact spelling, as BuildKit compares it) and `FROM <name>` where `<name>` is the
//!   `AS` name of an *earlier* stage, compared case-insensitively as BuildKit does: neither pulls an
//!   image.
//! - Anything that is not a `FROM` instruction: `RUN echo FROM x`, comment lines (`# FROM x`),
//!   here-document bodies, `ONBUILD FROM`, parser directives (`# syntax=docker/dockerfile:1` is an image
//!   reference, but BuildKit resolves it itself), and `COPY --from=<image>` / `RUN --mount=from=<image>`
//!   (not yet).
//!
//! # Skipped candidates
//!
//! - An image word containing `$` (`${BASE}`, `$IMG`, `golang:${GO_VERSION}`) depends on a build
//!   argument: it is returned with `skip` naming the arguments. `ARG` defaults are not resolved yet.
//! - An image word split by a line continuation (`FROM alp\` + newline + `ine`) is returned with its
//!   joined value and a `skip`, because its bytes are not the reference text.
//!
//! # How
//!
//! The file is read by the `parse-dockerfile` crate, which gives every instruction with byte spans and
//! handles parser directives, continuations, comments and leading here-documents. A file the crate
//! rejects is a [`FindError`] at the byte offset the crate reports, with its message.
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
//! - `ARG` defaults and `--build-arg` values are not applied, so `FROM ${IMAGE}` and stage names chosen
//!   by an argument (`FROM binaries-$TARGETOS`) are reported as skipped candidates.
//! - Heredoc words in `RUN` are found by a simple shell-word split (quotes and backslashes respected; no
//!   `$(…)` nesting), like BuildKit's `^[0-9]*<<-?[^<]+$` word test; `ONBUILD RUN` is not looked at.
//! - Instructions are read with the crate's `parse_iter`, not `parse`: `parse` also rejects two stages
//!   with the same name, which BuildKit only warns about (lint rule `DuplicateStageName`).

use std::borrow::Cow;
use std::collections::HashSet;

use parse_dockerfile::{Command, Instruction};

use super::{Candidate, FindError, Findings, Target};

const BOM: &str = "\u{feff}";

/// Finds the image of every `FROM` in a Dockerfile. See the module documentation for the rules.
pub fn find(src: &str) -> Result<Findings, FindError> {
    // The crate drops one leading BOM and reports spans relative to the rest.
    let bom = if src.starts_with(BOM) { BOM.len() } else { 0 };
    let text = blank_heredoc_bodies(src, bom)?;
    let error = |e: parse_dockerfile::Error| crate_error(&text[bom..], bom, &e);

    let mut stage_names: HashSet<String> = HashSet::new();
    let mut candidates = Vec::new();
    for instruction in parse_dockerfile::parse_iter(&text).map_err(error)? {
        let Instruction::From(from) = instruction.map_err(error)? else {
            continue;
        };
        let image = &from.image;
        let value: &str = &image.value;
        let span = image.span.start + bom..image.span.end + bom;
        let is_stage = stage_names.contains(&value.to_lowercase());
        if let Some((_, name)) = &from.as_ {
            stage_names.insert(name.value.to_lowercase());
        }
        if value == "scratch" || is_stage {
            continue;
        }
        let skip = if value.contains('$') {
            Some(build_argument_reason(value))
        } else if src.get(span.clone()) != Some(value) {
            Some("image name is split by a line continuation".to_string())
        } else {
            None
        };
        candidates.push(Candidate {
            span,
            value: value.to_string(),
            skip,
            pull_policy_set: None,
            target: Target::Reference,
        });
    }
    Ok(Findings {
        candidates,
        skipped: None,
    })
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

/// Returns `src` with the bodies of `RUN` here-documents that the crate does not recognise replaced by
/// spaces (line breaks kept), so that the crate does not read them as instructions.
///
/// Works by parsing instruction by instruction; at the first `RUN` with unrecognised here-documents the
/// bodies are blanked and the parse restarts (blanking only touches bytes after that `RUN`, so the
/// instructions before it come out the same and need no second look).
fn blank_heredoc_bodies(src: &str, bom: usize) -> Result<Cow<'_, str>, FindError> {
    let mut text = Cow::Borrowed(src);
    // RUN instructions starting before this offset (after the BOM) have been handled.
    let mut checked = 0;
    'restart: loop {
        let blank = {
            let Ok(iter) = parse_dockerfile::parse_iter(&text) else {
                // Reported by the parse in `find`.
                return Ok(text);
            };
            let mut found = None;
            for instruction in iter {
                let run = match instruction {
                    Ok(Instruction::Run(run)) => run,
                    Ok(_) => continue,
                    // Reported by the parse in `find`.
                    Err(_) => break,
                };
                if run.run.span.start < checked {
                    continue;
                }
                checked = run.run.span.start + 1;
                let Command::Shell(arguments) = &run.arguments else {
                    continue;
                };
                let body = &text[bom..];
                let Some(words) = body.get(arguments.span.clone()).map(heredoc_words) else {
                    continue;
                };
                if words.is_empty() {
                    continue;
                }
                // The bodies follow the line that ends the instruction, or the end of the
                // here-document the crate did read.
                let after = run
                    .here_docs
                    .last()
                    .map_or(arguments.span.end, |doc| doc.span.end);
                let mut pos = next_line(body, after);
                let mut ranges = Vec::new();
                for (delimiter, strip_tabs) in &words {
                    let start = pos;
                    loop {
                        if pos >= body.len() {
                            return Err(FindError {
                                offset: bom + start,
                                message: format!(
                                    "expected end of here-document ({delimiter}), but reached eof"
                                ),
                            });
                        }
                        let end = next_line(body, pos);
                        let mut line = body[pos..end].trim_end_matches('\n').trim_end_matches('\r');
                        if *strip_tabs {
                            line = line.trim_start_matches('\t');
                        }
                        pos = end;
                        if line == delimiter {
                            break;
                        }
                    }
                    ranges.push(bom + start..bom + pos);
                }
                found = Some(ranges);
                break;
            }
            found
        };
        let Some(ranges) = blank else { return Ok(text) };
        // Ranges start and end at line starts, so they split no character.
        let mut blanked = String::with_capacity(text.len());
        let mut copied = 0;
        for range in ranges {
            blanked.push_str(&text[copied..range.start]);
            for c in text[range.clone()].chars() {
                if c == '\n' || c == '\r' {
                    blanked.push(c);
                } else {
                    blanked.extend(std::iter::repeat_n(' ', c.len_utf8()));
                }
            }
            copied = range.end;
        }
        blanked.push_str(&text[copied..]);
        text = Cow::Owned(blanked);
        continue 'restart;
    }
}

/// Offset of the start of the line after the one holding `pos` (or the end of `text`).
fn next_line(text: &str, pos: usize) -> usize {
    text.get(pos..)
        .and_then(|rest| rest.find('\n'))
        .map_or(text.len(), |i| pos + i + 1)
}

/// The here-documents opened by the shell-form arguments of a `RUN` (as written, continuations and
/// comment lines included): `(delimiter, strip leading tabs)` in order.
///
/// Mirrors BuildKit: the line is split into shell words, and a word is a here-document when it matches
/// `^[0-9]*<<(-?)([^<]+)$`; the delimiter is the rest with quotes and backslashes removed.
fn heredoc_words(arguments: &str) -> Vec<(String, bool)> {
    // Join the continuation lines: drop comment lines and the escape character ending each line.
    let lines: Vec<&str> = arguments.split('\n').collect();
    let mut joined = String::with_capacity(arguments.len());
    for (i, line) in lines.iter().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if i > 0 && line.trim_start().starts_with('#') {
            continue;
        }
        if i + 1 < lines.len() {
            let line = line.trim_end();
            joined.push_str(line.strip_suffix(['\\', '`']).unwrap_or(line));
        } else {
            joined.push_str(line);
        }
        joined.push(' ');
    }

    let mut words = Vec::new();
    for word in shell_words(&joined) {
        let rest = word.trim_start_matches(|c: char| c.is_ascii_digit());
        let Some(rest) = rest.strip_prefix("<<") else {
            continue;
        };
        let (strip_tabs, rest) = match rest.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, rest),
        };
        if rest.is_empty() || rest.contains('<') {
            continue;
        }
        let delimiter: String = rest
            .chars()
            .filter(|c| !matches!(c, '"' | '\'' | '\\'))
            .collect();
        if !delimiter.is_empty() {
            words.push((delimiter, strip_tabs));
        }
    }
    words
}

/// Splits a shell line into raw words (quotes kept) at unquoted, unescaped whitespace.
fn shell_words(line: &str) -> Vec<&str> {
    let mut words = Vec::new();
    let mut start = None;
    let mut quote = None;
    let mut chars = line.char_indices();
    while let Some((i, c)) = chars.next() {
        match (quote, c) {
            (None, c) if c.is_whitespace() => {
                if let Some(s) = start.take() {
                    words.push(&line[s..i]);
                }
                continue;
            }
            (Some('\''), '\'') | (Some('"'), '"') => quote = None,
            (None, '\'' | '"') => quote = Some(c),
            (None | Some('"'), '\\') => {
                chars.next();
            }
            _ => {}
        }
        start.get_or_insert(i);
    }
    if let Some(s) = start {
        words.push(&line[s..]);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::LineIndex;

    fn found(src: &str) -> Vec<(String, Option<String>)> {
        let findings = find(src).unwrap_or_else(|e| panic!("{e} at {}", e.offset));
        assert_eq!(findings.skipped, None);
        findings
            .candidates
            .into_iter()
            .map(|c| {
                assert_eq!(c.pull_policy_set, None);
                if c.skip.is_none() {
                    assert_eq!(&src[c.span.clone()], c.value, "span of {:?}", c.value);
                }
                (c.value, c.skip)
            })
            .collect()
    }

    fn images(src: &str) -> Vec<String> {
        found(src)
            .into_iter()
            .map(|(value, skip)| {
                assert_eq!(skip, None, "{value}");
                value
            })
            .collect()
    }

    #[test]
    fn finds_from_images_in_any_case() {
        let src = "from alpine:3.19\nRUN true\nFrom golang:1.22\nFROM\tdebian\n";
        assert_eq!(images(src), ["alpine:3.19", "golang:1.22", "debian"]);
    }

    #[test]
    fn span_is_the_image_word_only() {
        let src = "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\n";
        let c = &find(src).unwrap().candidates[0];
        assert_eq!(c.span, 31..42);
        assert_eq!(&src[c.span.clone()], "golang:1.22");
        assert_eq!(c.skip, None);
    }

    #[test]
    fn flags_are_not_images() {
        let src = "FROM --platform=linux/amd64 --other=x alpine\nFROM --platform=${TARGETPLATFORM} a/b:1\n";
        assert_eq!(images(src), ["alpine", "a/b:1"]);
    }

    #[test]
    fn stage_names_with_as_in_any_case() {
        let src = "FROM golang:1.22 AS build\nFROM alpine as final\nFROM debian As other\n";
        assert_eq!(images(src), ["golang:1.22", "alpine", "debian"]);
    }

    #[test]
    fn earlier_stages_are_not_images() {
        let src = "\
FROM golang:1.22 AS builder
RUN go build
FROM builder AS test
FROM Builder
FROM BUILDER AS again
FROM test
FROM later
FROM alpine AS later
";
        // `later` is named only after it is used, so there it is an image.
        assert_eq!(images(src), ["golang:1.22", "later", "alpine"]);
    }

    #[test]
    fn stage_named_in_upper_case() {
        let src = "FROM alpine AS BASE\nFROM base\nFROM Base AS x\n";
        assert_eq!(images(src), ["alpine"]);
    }

    #[test]
    fn scratch_is_not_an_image() {
        let src = "FROM scratch\nCOPY a /\nFROM scratch AS out\nFROM alpine\n";
        assert_eq!(images(src), ["alpine"]);
    }

    #[test]
    fn continuation_lines() {
        let src = "FROM \\\n  alpine:3.19 AS x\nFROM --platform=linux/amd64 \\\n    debian:12 \\\n    AS y\n";
        assert_eq!(images(src), ["alpine:3.19", "debian:12"]);
        let c = &find(src).unwrap().candidates[0];
        assert_eq!(c.span, 9..20);
    }

    #[test]
    fn comment_and_blank_lines_inside_continuation() {
        let src = "FROM \\\n# a comment FROM nope\n\n   # indented comment\n  alpine:3.19 \\\n  # c\n  AS x\n";
        assert_eq!(images(src), ["alpine:3.19"]);
    }

    #[test]
    fn escape_directive_backtick() {
        let src = "# escape=`\nFROM `\n    mcr.microsoft.com/windows/servercore:ltsc2022 `\n    AS base\nRUN dir C:\\ `\n    && echo FROM x\nFROM base\nFROM node:20\n";
        assert_eq!(
            images(src),
            ["mcr.microsoft.com/windows/servercore:ltsc2022", "node:20"]
        );
    }

    #[test]
    fn backslash_is_literal_under_backtick_escape() {
        // With escape=` a trailing backslash does not continue the line.
        let src = "# escape=`\nFROM alpine\nRUN echo C:\\\nFROM debian\n";
        assert_eq!(images(src), ["alpine", "debian"]);
    }

    #[test]
    fn escape_directive_after_comment_is_a_comment() {
        let src = "# hello\n# escape=`\nFROM `\n  alpine\n";
        // Not a directive, so the backtick is no escape: the image is the backtick itself, and the
        // next line, `alpine`, is an unknown instruction.
        assert!(find(src).is_err());
        let src = "# hello\n# escape=`\nFROM \\\n  alpine\n";
        assert_eq!(images(src), ["alpine"]);
    }

    #[test]
    fn crlf_line_endings() {
        let src = "# syntax=docker/dockerfile:1\r\nFROM golang:1.22 AS build\r\nRUN echo a \\\r\n  b\r\nFROM \\\r\n  alpine:3.19\r\nFROM build\r\n";
        assert_eq!(images(src), ["golang:1.22", "alpine:3.19"]);
    }

    #[test]
    fn comment_lines_are_not_instructions() {
        let src = "# FROM commented:1\nFROM alpine\n  # FROM indented:1\n#FROM x\nRUN true\n";
        assert_eq!(images(src), ["alpine"]);
    }

    #[test]
    fn from_inside_other_instructions_is_not_an_image() {
        let src = "FROM alpine\nRUN echo FROM x\nRUN echo a \\\n  FROM y\nLABEL from=z\nCMD [\"FROM\", \"w\"]\nONBUILD FROM v\n";
        assert_eq!(images(src), ["alpine"]);
    }

    #[test]
    fn copy_from_is_not_an_image_yet() {
        let src = "FROM alpine AS a\nFROM debian\nCOPY --from=a /x /x\nCOPY --from=busybox:1 /bin/sh /sh\nRUN --mount=from=golang:1.22,target=/go true\n";
        assert_eq!(images(src), ["alpine", "debian"]);
    }

    #[test]
    fn heredoc_bodies_are_not_instructions() {
        let src = "\
FROM alpine
RUN <<EOF
FROM x
EOF
COPY <<-EOT /Dockerfile
\tFROM y
\tEOT
RUN --mount=type=cache,target=/c <<'EOF'
FROM z
EOF
FROM debian
";
        assert_eq!(images(src), ["alpine", "debian"]);
    }

    #[test]
    fn heredoc_not_first_in_run() {
        // As in BuildKit, any shell word `[0-9]*<<[-]WORD` opens a here-document (so `1<<2` does,
        // with the body `FROM u`), quoted ones and `$((1<<2))` do not, and comment lines inside the
        // continuation are not part of the line.
        let src = "\
FROM alpine
RUN cat <<EOF > /Dockerfile
FROM x
EOF
RUN python3 - <<'PY'
print('FROM y')
PY
RUN <<A bash -c 'cat >/f' <<-\"B\"
FROM z
A
\tFROM w
\tB
RUN cat \\
  # FROM in a comment, with <<NOPE
  <<EOF
FROM v
EOF
RUN echo '<<no' \"<<no\" 1<<2 && echo $((1<<2))
FROM u
2
FROM debian
";
        assert_eq!(images(src), ["alpine", "debian"]);
    }

    #[test]
    fn unterminated_heredoc_is_an_error() {
        let src = "FROM alpine\nRUN cat <<EOF\nFROM x\n";
        let e = find(src).unwrap_err();
        assert_eq!(e.offset, src.find("FROM x").unwrap());
        assert!(e.message.contains("EOF"), "{}", e.message);
        assert!(find("FROM alpine\nRUN <<EOF\nFROM x\n").is_err());
    }

    #[test]
    fn build_arguments_are_skipped() {
        let src = "\
ARG BASE=alpine:3.19
ARG GO_VERSION
FROM ${BASE} AS base
FROM $IMG
FROM golang:${GO_VERSION}-alpine${ALPINE_VERSION}
FROM x:${V:-1}-$V
FROM a$
";
        assert_eq!(
            found(src),
            [
                ("${BASE}".into(), Some("uses build argument BASE".into())),
                ("$IMG".into(), Some("uses build argument IMG".into())),
                (
                    "golang:${GO_VERSION}-alpine${ALPINE_VERSION}".into(),
                    Some("uses build arguments GO_VERSION, ALPINE_VERSION".into())
                ),
                ("x:${V:-1}-$V".into(), Some("uses build argument V".into())),
                ("a$".into(), Some("uses build argument syntax `$`".into())),
            ]
        );
        let c = &find(src).unwrap().candidates[2];
        assert_eq!(&src[c.span.clone()], c.value);
    }

    #[test]
    fn image_split_by_continuation_is_skipped() {
        let src = "FROM alp\\\nine:3.19\n";
        let c = &find(src).unwrap().candidates[0];
        assert_eq!(c.value, "alpine:3.19");
        assert_eq!(&src[c.span.clone()], "alp\\\nine:3.19");
        assert_eq!(
            c.skip.as_deref(),
            Some("image name is split by a line continuation")
        );
    }

    #[test]
    fn byte_order_mark() {
        let src = "\u{feff}FROM alpine:3.19\nFROM golang\n";
        assert_eq!(images(src), ["alpine:3.19", "golang"]);
        let c = &find(src).unwrap().candidates[0];
        assert_eq!(c.span, 8..19);
        let src = "\u{feff}# escape=`\nFROM `\n  alpine\n";
        assert_eq!(images(src), ["alpine"]);
    }

    #[test]
    fn no_final_newline() {
        assert_eq!(images("FROM alpine:3.19"), ["alpine:3.19"]);
        assert_eq!(images("FROM a AS b\nFROM c AS d"), ["a", "c"]);
        assert_eq!(images("FROM a\r"), ["a"]);
    }

    #[test]
    fn non_ascii_text_keeps_byte_spans() {
        let src =
            "# é ü 漢字\nFROM alpine\nRUN cat <<EOF\nFROM 漢字\nEOF\nLABEL x=\"ß\"\nFROM debian\n";
        assert_eq!(images(src), ["alpine", "debian"]);
    }

    #[test]
    fn parse_errors_have_offsets() {
        let src = "FROM alpine\nRUN true\nBOGUS x\n";
        let e = find(src).unwrap_err();
        assert_eq!(e.offset, src.find("BOGUS").unwrap());
        assert!(e.message.contains("unknown instruction"), "{}", e.message);
        assert!(!e.message.contains("line"), "{}", e.message);

        let src = "\u{feff}FROM alpine\nCOPY one\n";
        let e = find(src).unwrap_err();
        assert_eq!(e.offset, src.find("COPY").unwrap());

        let src = "FROM alpine junk\n";
        let e = find(src).unwrap_err();
        assert_eq!(e.offset, 12);

        assert_eq!(find("").unwrap_err().offset, 0);
        assert!(find("# just a comment\n").is_err());
        assert!(find("RUN true\nFROM alpine\n").is_err());
        // BuildKit only warns about a duplicate stage name.
        assert_eq!(images("FROM a AS x\nFROM b AS x\nFROM x\n"), ["a", "b"]);
    }

    fn corpus_dir() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/dockerfile")
    }

    /// The corpus files (everything but `SOURCES.md`, `.gitattributes` and the `.refs` files).
    fn corpus_files() -> Vec<(String, String)> {
        let mut files: Vec<(String, String)> = std::fs::read_dir(corpus_dir())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .filter(|name| {
                !name.ends_with(".refs") && !name.ends_with(".md") && !name.starts_with('.')
            })
            .map(|name| {
                let text = std::fs::read_to_string(corpus_dir().join(&name)).unwrap();
                (name, text)
            })
            .collect();
        files.sort();
        files
    }

    /// One line per candidate: `line:col value[ skip: reason]`; for a file that is rejected, one line
    /// `line:col error: message`.
    fn render(src: &str) -> String {
        let index = LineIndex::new(src);
        let findings = match find(src) {
            Ok(findings) => findings,
            Err(e) => {
                let (line, col) = index.line_col(src, e.offset);
                return format!("{line}:{col} error: {}\n", e.message);
            }
        };
        let mut out = String::new();
        for c in findings.candidates {
            let (line, col) = index.line_col(src, c.span.start);
            out.push_str(&format!("{line}:{col} {}", c.value));
            if let Some(skip) = &c.skip {
                out.push_str(&format!(" skip: {skip}"));
            } else {
                assert_eq!(&src[c.span.clone()], c.value);
            }
            out.push('\n');
        }
        out
    }

    #[test]
    fn corpus_matches_refs() {
        let files = corpus_files();
        assert_eq!(files.len(), 18);
        for (name, src) in &files {
            let refs = corpus_dir().join(format!("{name}.refs"));
            let actual = render(src);
            if std::env::var_os("PIN_BLESS").is_some() {
                std::fs::write(&refs, &actual).unwrap();
            }
            let expected =
                std::fs::read_to_string(&refs).unwrap_or_else(|e| panic!("{refs:?}: {e}"));
            assert_eq!(actual, expected, "{name}");
        }
    }

    #[test]
    fn no_panic_on_prefixes() {
        let mut texts: Vec<String> = corpus_files()
            .into_iter()
            .filter(|(name, _)| {
                name.starts_with("buildkit-parser-")
                    || name == "buildkit-lint.Dockerfile"
                    || name == "eshop-webspa.Dockerfile"
            })
            .map(|(_, text)| text)
            .collect();
        texts.push(
            "\u{feff}# escape=`\r\nFROM `\r\n  alpine AS a\r\nRUN cat <<EOF > x `\r\n  && echo <<-B\r\nFROM é\r\nEOF\r\n\tB\r\nFROM a\r\n"
                .to_string(),
        );
        for text in &texts {
            for (i, _) in text.char_indices().chain([(text.len(), ' ')]) {
                let prefix = &text[..i];
                match find(prefix) {
                    Ok(findings) => {
                        for c in findings.candidates {
                            assert!(prefix.get(c.span.clone()).is_some());
                        }
                    }
                    Err(e) => {
                        assert!(e.offset <= prefix.len() && prefix.is_char_boundary(e.offset))
                    }
                }
            }
        }
    }
}
