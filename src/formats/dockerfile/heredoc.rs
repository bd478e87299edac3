//! Here-documents of `RUN` that `parse-dockerfile` does not recognise: see "How" in the module
//! documentation of [`super`].

use std::borrow::Cow;
use std::ops::Range;

use parse_dockerfile::{Command, Instruction};

use super::words::word_ranges;
use crate::formats::FindError;

/// Returns `src` with the bodies of `RUN` here-documents that the crate does not recognise replaced by
/// spaces (line breaks kept), so that the crate does not read them as instructions.
///
/// Works by parsing instruction by instruction; at the first `RUN` with unrecognised here-documents the
/// bodies are blanked and the parse resumes right after them (blanking only touches bytes after that
/// `RUN`, so the instructions before it come out the same and need no second look). The crate's iterator
/// cannot start in the middle of a file, so the parse resumes on the rest of the text preceded by the few
/// bytes that put the crate in the state it had there: `FROM` seen, and `# escape=`` ` if the file set
/// it. Those bytes are written over the end of what was just blanked (and put back after), so each byte
/// is parsed about once: linear in the file, however many such `RUN`s it has.
pub(super) fn blank_heredoc_bodies(src: &str, bom: usize) -> Result<Cow<'_, str>, FindError> {
    let mut text = Cow::Borrowed(src);
    // Where the text handed to the crate starts (the crate itself drops a BOM at 0).
    let mut from = 0;
    // RUN instructions starting before this offset have been handled.
    let mut checked = 0;
    // The resume prefix, once known (it depends on the escape directive).
    let mut prefix: Option<&'static str> = None;
    // Bytes the resume prefix was written over: put back once that parse is done.
    let mut saved: Option<(usize, String)> = None;
    loop {
        let found = next_unrecognised(&text, from, bom, checked);
        if let Some((at, bytes)) = saved.take() {
            text.to_mut().replace_range(at..at + bytes.len(), &bytes);
        }
        let Some((run_start, ranges)) = found? else {
            return Ok(text);
        };
        checked = run_start + 1;
        let resume = ranges.last().map_or(run_start, |r| r.end);
        for range in ranges {
            // Ranges start and end at line starts, so they split no character; the same length keeps
            // every later offset.
            let spaces: String = text[range.clone()]
                .chars()
                .flat_map(|c| {
                    let blank = if matches!(c, '\n' | '\r') { c } else { ' ' };
                    std::iter::repeat_n(blank, if blank == ' ' { c.len_utf8() } else { 1 })
                })
                .collect();
            text.to_mut().replace_range(range, &spaces);
        }
        let prefix = *prefix.get_or_insert_with(|| resume_prefix(&text, bom));
        match resume.checked_sub(prefix.len()) {
            // Room before the resume point, inside this RUN and its bodies.
            Some(at) if at >= run_start && text.is_char_boundary(at) => {
                saved = Some((at, text[at..resume].to_owned()));
                text.to_mut().replace_range(at..resume, prefix);
                from = at;
            }
            // No room (a tiny here-document under `# escape=`): parse again from the top.
            _ => from = 0,
        }
    }
}

/// A `RUN` whose here-documents the crate did not read: where it starts, and the ranges of its bodies.
type Unrecognised = (usize, Vec<Range<usize>>);

/// The first `RUN` at or after `checked` in the text from `from` on whose here-documents the crate did not
/// read: its start and the ranges of its bodies (with their delimiter lines), all offsets into `text`.
/// `None` when there is none, or the crate stops with an error first (reported by the parse in `find`).
fn next_unrecognised(
    text: &str,
    from: usize,
    bom: usize,
    checked: usize,
) -> Result<Option<Unrecognised>, FindError> {
    // What the crate read: up to the `RUN` returned, or to the end.
    #[cfg(test)]
    let count = |to: usize| tests::PARSED.with(|n| n.set(n.get() + to - from));
    // The crate's offsets count from here.
    let base = if from == 0 { bom } else { from };
    let Ok(iter) = parse_dockerfile::parse_iter(&text[from..]) else {
        return Ok(None);
    };
    for instruction in iter {
        let run = match instruction {
            Ok(Instruction::Run(run)) => run,
            Ok(_) => continue,
            Err(_) => return Ok(None),
        };
        let run_start = base + run.run.span.start;
        if run_start < checked {
            continue;
        }
        let Command::Shell(arguments) = &run.arguments else {
            continue;
        };
        let arguments_span = base + arguments.span.start..base + arguments.span.end;
        let Some(words) = text.get(arguments_span.clone()).map(heredoc_words) else {
            continue;
        };
        if words.is_empty() {
            continue;
        }
        #[cfg(test)]
        count(arguments_span.end);
        // The bodies follow the line that ends the instruction, or the end of the here-document the
        // crate did read.
        let after = run
            .here_docs
            .last()
            .map_or(arguments_span.end, |doc| base + doc.span.end);
        let mut pos = next_line(text, after);
        let mut ranges = Vec::new();
        for (delimiter, strip_tabs) in &words {
            let start = pos;
            loop {
                if pos >= text.len() {
                    return Err(FindError {
                        offset: start,
                        message: format!(
                            "expected end of here-document ({delimiter}), but reached eof"
                        ),
                    });
                }
                let end = next_line(text, pos);
                let mut line = text[pos..end].trim_end_matches('\n').trim_end_matches('\r');
                if *strip_tabs {
                    line = line.trim_start_matches('\t');
                }
                pos = end;
                if line == delimiter {
                    break;
                }
            }
            ranges.push(start..pos);
        }
        return Ok(Some((run_start, ranges)));
    }
    #[cfg(test)]
    count(text.len());
    Ok(None)
}

/// What a resumed parse starts with: `FROM` (a stage has begun, or the crate would have stopped at the
/// `RUN`) and the escape directive the crate read at the top of the file, if any.
fn resume_prefix(text: &str, bom: usize) -> &'static str {
    // The directives are comment lines at the very top; the crate reads them from the same lines here.
    let body = &text[bom..];
    let mut end = 0;
    while body[end..].starts_with('#') {
        end = next_line(body, end);
    }
    let probe = format!("{}\nFROM a\n", &body[..end]);
    let backtick = parse_dockerfile::parse(&probe).is_ok_and(|file| {
        file.parser_directives
            .escape
            .is_some_and(|e| e.value.value == '`')
    });
    if backtick {
        "# escape=`\nFROM a\n"
    } else {
        "FROM a\n"
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
    word_ranges(line, &['\\'])
        .into_iter()
        .map(|range| &line[range])
        .collect()
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        /// Bytes the crate's parser read for [`next_unrecognised`] on this thread (up to the `RUN` it
        /// stopped at, or to the end).
        pub(in super::super) static PARSED: Cell<usize> = const { Cell::new(0) };
    }

    /// The blanked text and how many bytes the crate parsed to get it.
    fn blank(src: &str) -> (Result<String, FindError>, usize) {
        let bom = if src.starts_with('\u{feff}') { 3 } else { 0 };
        PARSED.with(|n| n.set(0));
        let out = blank_heredoc_bodies(src, bom).map(Cow::into_owned);
        (out, PARSED.with(Cell::get))
    }

    #[test]
    fn many_unrecognised_heredocs_are_parsed_once() {
        let n = 2_000;
        let mut src = String::from("# syntax=docker/dockerfile:1\nFROM alpine:3\n");
        for i in 0..n {
            src += &format!("RUN cat <<EOF >/etc/f{i}\nFROM body:{i}\nEOF\n");
        }
        src += "FROM busybox:1\n";
        let (out, parsed) = blank(&src);
        let out = out.unwrap();
        assert_eq!(out.len(), src.len());
        assert!(!out.contains("FROM body:"), "every body is blanked");
        assert_eq!(out.matches("FROM ").count(), 2);
        assert_eq!(out, restarting_oracle(&src));
        // Once through, plus the few bytes of each resume: restarting from the top parsed about
        // n / 2 times the file.
        assert!(
            parsed < 2 * src.len(),
            "{parsed} bytes parsed for {}",
            src.len()
        );
    }

    #[test]
    fn a_resumed_parse_keeps_the_escape_directive() {
        // With `escape=``, a backslash ends no line: `RUN echo \` and `RUN cat` are two RUNs. A
        // resumed parse that forgot the directive would join them and miss the second here-document.
        let mut src = String::from("# escape=`\nFROM alpine:3\n");
        for i in 0..50 {
            src += &format!("RUN python3 <<PY\nFROM body:{i}\nPY\nRUN echo \\\nRUN cat <<X >/f\nFROM x:{i}\nX\n");
        }
        let (out, parsed) = blank(&src);
        let out = out.unwrap();
        assert_eq!(out.matches("FROM ").count(), 1, "{out}");
        assert_eq!(out, restarting_oracle(&src));
        assert!(
            parsed < 2 * src.len(),
            "{parsed} bytes parsed for {}",
            src.len()
        );
    }

    #[test]
    fn resumed_parses_match_restarting_from_the_top() {
        let cases = [
            "FROM a\nRUN cat <<EOF\nx\nEOF\n",
            "\u{feff}FROM a\nRUN x <<A <<B\né\nA\nFROM b\nB\nFROM c:1\n",
            "FROM a\r\nRUN x <<-T\r\n\tFROM b\r\n\tT\r\nRUN y <<U\r\nFROM é\r\nU",
            "FROM a\nRUN <<A cat <<B\nA\nFROM b\nB\nRUN c <<D\nD\nCOPY --from=x /a /b\n",
            "# escape=`\nFROM a\nRUN c <<D\nD\nRUN e <<F\nF\nFROM z\n",
            "FROM a\nRUN c <<D\nFROM b\n",
            "ARG X\nRUN c <<D\nD\n",
            "FROM a\nRUN éé <<D\nD\nRUN f <<E\nE\nFROM b AS é\nRUN g <<G\nG\n",
        ];
        for src in cases {
            let got = blank(src).0.map_err(|e| (e.offset, e.message));
            let want = restarting(src, if src.starts_with('\u{feff}') { 3 } else { 0 })
                .map(Cow::into_owned)
                .map_err(|e| (e.offset, e.message));
            assert_eq!(got, want, "{src:?}");
        }
        for entry in std::fs::read_dir("tests/corpus/dockerfile").unwrap() {
            let path = entry.unwrap().path();
            let Ok(src) = std::fs::read_to_string(&path) else {
                continue;
            };
            assert_eq!(
                blank(&src).0.ok(),
                restarting(&src, 0).ok().map(Cow::into_owned),
                "{path:?}"
            );
        }
    }

    fn restarting_oracle(src: &str) -> String {
        restarting(src, 0).unwrap().into_owned()
    }

    /// The earlier implementation, which parsed from the top again after each `RUN` it blanked.
    fn restarting(src: &str, bom: usize) -> Result<Cow<'_, str>, FindError> {
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
                            let mut line =
                                body[pos..end].trim_end_matches('\n').trim_end_matches('\r');
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
}
