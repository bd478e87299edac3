//! Here-documents of `RUN` that `parse-dockerfile` does not recognise: see "How" in the module
//! documentation of [`super`].

use std::borrow::Cow;

use parse_dockerfile::{Command, Instruction};

use super::words::word_ranges;
use crate::formats::FindError;

/// Returns `src` with the bodies of `RUN` here-documents that the crate does not recognise replaced by
/// spaces (line breaks kept), so that the crate does not read them as instructions.
///
/// Works by parsing instruction by instruction; at the first `RUN` with unrecognised here-documents the
/// bodies are blanked and the parse restarts (blanking only touches bytes after that `RUN`, so the
/// instructions before it come out the same and need no second look).
pub(super) fn blank_heredoc_bodies(src: &str, bom: usize) -> Result<Cow<'_, str>, FindError> {
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
    word_ranges(line, &['\\'])
        .into_iter()
        .map(|range| &line[range])
        .collect()
}
