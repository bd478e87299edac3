//! Parser directives: the `# syntax=` image, found as BuildKit's `DetectSyntax` finds the frontend image, and
//! the directive lines as BuildKit's parser reads them ([`as_parser_reads`]).

use std::borrow::Cow;
use std::ops::Range;

/// The directives BuildKit knows. Any other `# key=value` line ends the directives.
const DIRECTIVES: [&str; 3] = ["syntax", "escape", "check"];

/// File range of the image of the `syntax` directive, if the file has one.
///
/// As BuildKit (`parser.DetectSyntax`): a byte order mark is dropped, then a first line starting with
/// `#!`. Each following line is a directive when it matches `#\s*KEY\s*=\s*VALUE\s*` (leading
/// whitespace after `#` as Unicode spaces, the rest ASCII `[\t\n\f\r ]`, `KEY` = `[a-zA-Z][a-zA-Z0-9]*`
/// in any case). Directives end at the first line that is not one (an instruction, a blank line, an
/// ordinary comment, a line indented before `#`), at an unknown key, and at a repeated key (an error
/// for BuildKit's parser; the first value is what `DetectSyntax` returns). The image is `VALUE` up to
/// its first space (what follows is options for the frontend).
pub(super) fn syntax(src: &str) -> Option<Range<usize>> {
    let bom = if src.starts_with(super::BOM) {
        super::BOM.len()
    } else {
        0
    };
    let mut pos = bom;
    let mut seen: Vec<String> = Vec::new();
    let mut first = true;
    while pos < src.len() {
        let end = src[pos..].find('\n').map_or(src.len(), |i| pos + i);
        let line = &src[pos..end];
        let line_start = pos;
        pos = end + 1;
        if first && line.starts_with("#!") {
            first = false;
            continue;
        }
        first = false;
        let (key, value) = directive(line)?;
        if !DIRECTIVES.contains(&key.as_str()) || seen.contains(&key) {
            return None;
        }
        if key == "syntax" {
            let text = &line[value.clone()];
            let image = text.find(' ').map_or(text, |i| &text[..i]);
            return (!image.is_empty())
                .then(|| line_start + value.start..line_start + value.start + image.len());
        }
        seen.push(key);
    }
    None
}

/// `src` with its directive lines written so that `parse-dockerfile` reads the directives BuildKit's parser
/// reads, every byte offset kept.
///
/// BuildKit's parser (`parser.Parse`) strips a line's leading whitespace (Unicode, as Go's `unicode.IsSpace`)
/// and its line break before it looks for a directive, so `  # escape=`` ` sets the escape character; the crate
/// only reads a `#` at the start of a line. The same rules as [`syntax`] otherwise (after a byte order mark
/// at `bom`; `#\s*KEY\s*=\s*VALUE\s*`, the blanks after `#` Unicode ones; directives end at the first other line,
/// an unknown key or a repeated one), except that a `#!` line is no exception: BuildKit's parser, unlike
/// `DetectSyntax`, ends the directives there. A directive line that the crate would not read as written (blanks
/// before its `#`, or blanks other than spaces and tabs after it) becomes `#KEY=VALUE` followed by spaces to
/// its former length, before its line break; nothing else changes. `DetectSyntax` does not strip the
/// leading whitespace: [`syntax`] keeps reading the file as written.
pub(super) fn as_parser_reads(src: &str, bom: usize) -> Cow<'_, str> {
    let mut text = Cow::Borrowed(src);
    let mut seen: Vec<String> = Vec::new();
    let mut pos = bom;
    while pos < src.len() {
        let end = src[pos..].find('\n').map_or(src.len(), |i| pos + i + 1);
        let line = src[pos..end].trim_end_matches(['\r', '\n']);
        let line_start = pos;
        pos = end;
        let trimmed = line.trim_start();
        let Some((key, value)) = directive(trimmed) else {
            break;
        };
        if !DIRECTIVES.contains(&key.as_str()) || seen.contains(&key) {
            break;
        }
        seen.push(key);
        let after_hash = &trimmed[1..];
        let gap = &after_hash[..after_hash.len() - after_hash.trim_start().len()];
        if trimmed.len() == line.len() && gap.bytes().all(|b| b == b' ' || b == b'\t') {
            continue;
        }
        let key_start = 1 + gap.len();
        let key_len = trimmed[key_start..]
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(trimmed.len() - key_start);
        let canonical = format!(
            "#{}={}",
            &trimmed[key_start..key_start + key_len],
            &trimmed[value]
        );
        // As long as the line or shorter: only blanks were left out.
        let pad = line.len() - canonical.len();
        let padded = canonical + &" ".repeat(pad);
        text.to_mut()
            .replace_range(line_start..line_start + line.len(), &padded);
    }
    text
}

/// Whitespace as Go's regexp `\s`.
fn is_re_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\x0c' | '\r' | ' ')
}

/// `(key in lower case, range of the value in line)` when `line` (without its `\n`) is
/// `#\s*KEY\s*=\s*VALUE\s*`. The value is trimmed of `\s` on both sides and may be empty (as in
/// BuildKit's `(.+?)`, which matches a lone space).
fn directive(line: &str) -> Option<(String, Range<usize>)> {
    let rest = line.strip_prefix('#')?;
    let key_start = line.len() - rest.trim_start().len();
    let after = &line[key_start..];
    let first = after.chars().next()?;
    if !first.is_ascii_alphabetic() {
        return None;
    }
    let key_len = after
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(after.len());
    let key = after[..key_len].to_ascii_lowercase();
    let after_key = after[key_len..].trim_start_matches(is_re_space);
    let after_eq = after_key.strip_prefix('=')?;
    if after_eq.is_empty() {
        return None;
    }
    let value = after_eq.trim_matches(is_re_space);
    let start = if value.is_empty() {
        line.len()
    } else {
        line.len() - after_eq.trim_start_matches(is_re_space).len()
    };
    Some((key, start..start + value.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(src: &str) -> Option<&str> {
        syntax(src).map(|r| &src[r])
    }

    #[test]
    fn spacing_and_case_variants() {
        for src in [
            "# syntax=docker/dockerfile:1\nFROM a\n",
            "#syntax=docker/dockerfile:1\nFROM a\n",
            "# syntax = docker/dockerfile:1\nFROM a\n",
            "#\tSyntax\t=\tdocker/dockerfile:1\t\r\nFROM a\r\n",
            "# SYNTAX=docker/dockerfile:1 foo=bar\nFROM a\n",
            "\u{feff}# syntax=docker/dockerfile:1",
            "#!/usr/bin/env buildctl\n# syntax=docker/dockerfile:1\nFROM a\n",
            "# escape=`\n# check=skip=all\n# syntax=docker/dockerfile:1\nFROM a\n",
        ] {
            assert_eq!(image(src), Some("docker/dockerfile:1"), "{src:?}");
        }
    }

    #[test]
    fn only_at_the_top() {
        for src in [
            "FROM a\n# syntax=docker/dockerfile:1\n",
            "# a comment\n# syntax=docker/dockerfile:1\nFROM a\n",
            "\n# syntax=docker/dockerfile:1\nFROM a\n",
            "  # syntax=docker/dockerfile:1\nFROM a\n",
            "# foo=bar\n# syntax=docker/dockerfile:1\nFROM a\n",
            "# escape=\\\n# escape=`\n# syntax=docker/dockerfile:1\nFROM a\n",
            "# syntax=\nFROM a\n",
            "# syntax=  \nFROM a\n",
            "# syntax\nFROM a\n",
            "# 1syntax=x\nFROM a\n",
            "# syntax2=x\nFROM a\n",
            "#",
            "",
        ] {
            assert_eq!(image(src), None, "{src:?}");
        }
        // A repeated directive: the first one counts.
        assert_eq!(image("# syntax=a\n# syntax=b\nFROM a\n"), Some("a"));
    }

    #[test]
    fn directive_lines_are_written_as_the_parser_reads_them() {
        let cases = [
            ("  # escape=`\nFROM a\n", "#escape=`   \nFROM a\n"),
            (
                "\u{feff}\t#  Escape = ` \r\n# syntax=x\r\n \t# check=skip=all\r\nFROM a\r\n",
                "\u{feff}#Escape=`      \r\n# syntax=x\r\n#check=skip=all   \r\nFROM a\r\n",
            ),
            // A no-break space (two bytes) after `#`: two spaces at the end.
            ("#\u{a0}escape=`\nFROM a\n", "#escape=`  \nFROM a\n"),
            // Left as they are: directives the crate reads as written, and lines after the directives.
            (
                "# escape=`\n\n  # syntax=x\n",
                "# escape=`\n\n  # syntax=x\n",
            ),
            ("FROM a\n  # escape=`\n", "FROM a\n  # escape=`\n"),
            ("  # x\n  # escape=`\n", "  # x\n  # escape=`\n"),
        ];
        for (src, want) in cases {
            let bom = if src.starts_with('\u{feff}') { 3 } else { 0 };
            let got = as_parser_reads(src, bom);
            assert_eq!(got, want, "{src:?}");
            assert_eq!(got.len(), src.len());
        }
        // The syntax image is still found only as `DetectSyntax` finds it: not on an indented line.
        assert_eq!(image("  # syntax=docker/dockerfile:1\nFROM a\n"), None);
    }
}
