//! The `# syntax=` parser directive, found as BuildKit's `DetectSyntax` finds the frontend image.

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
}
