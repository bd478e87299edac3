//! Words of instruction arguments with their byte offsets in the file: `ARG` declarations, flag
//! values and `--mount` fields.

use std::ops::Range;

/// The characters that may be a Dockerfile's escape character: `\` by default, `` ` `` under
/// `# escape=`` ` ``. Both are treated as escapes when splitting `ARG` words and deciding whether a
/// value is plain, so a backslash in a backtick-escaped file (or the reverse) makes a value skipped
/// rather than misread.
pub(super) const ESCAPES: [char; 2] = ['\\', '`'];

/// An instruction's arguments joined as BuildKit joins them: continuation lines concatenated with the
/// escape character (and blanks after it) dropped, comment and blank lines inside left out. Keeps,
/// for every byte of `text`, its offset in the file.
pub(super) struct Joined {
    pub(super) text: String,
    /// `offsets[i]` is the file offset of `text`'s byte `i`; one more entry for the end of `text`.
    offsets: Vec<usize>,
}

impl Joined {
    /// `raw` is the instruction's arguments as written, starting at file offset `base`.
    pub(super) fn new(raw: &str, base: usize) -> Joined {
        let mut text = String::with_capacity(raw.len());
        let mut offsets = Vec::with_capacity(raw.len() + 1);
        let line_count = raw.split('\n').count();
        let mut start = 0;
        for (i, line) in raw.split('\n').enumerate() {
            let line_start = start;
            start += line.len() + 1;
            let mut content = line.strip_suffix('\r').unwrap_or(line);
            if i > 0 {
                let trimmed = content.trim_start();
                if trimmed.is_empty() || trimmed.starts_with('#') {
                    continue;
                }
            }
            if i + 1 < line_count {
                let trimmed = content.trim_end_matches([' ', '\t']);
                content = trimmed.strip_suffix(ESCAPES).unwrap_or(trimmed);
            }
            text.push_str(content);
            offsets.extend((0..content.len()).map(|k| base + line_start + k));
        }
        offsets.push(offsets.last().map_or(base, |last| last + 1));
        Joined { text, offsets }
    }

    /// The file range of `text[range]`: `Ok` when those bytes are contiguous in the file, `Err` with
    /// the range covering them when a line continuation splits them.
    pub(super) fn file_range(&self, range: Range<usize>) -> Result<Range<usize>, Range<usize>> {
        let start = self.offsets[range.start];
        if range.is_empty() {
            return Ok(start..start);
        }
        let end = self.offsets[range.end - 1] + 1;
        if end - start == range.len() {
            Ok(start..end)
        } else {
            Err(start..end)
        }
    }
}

impl Joined {
    /// This text read as BuildKit reads a flag word (`extractBuilderFlags`): `"` and `'` open and
    /// close quoting and are dropped, `\` is dropped and the character after it kept (inside quotes
    /// too). Quotes and escapes inside a value make its bytes non-contiguous in the file.
    pub(super) fn unquote_flag(&self) -> Joined {
        let mut text = String::with_capacity(self.text.len());
        let mut offsets = Vec::with_capacity(self.offsets.len());
        let mut quote = None;
        let mut chars = self.text.char_indices();
        while let Some((i, c)) = chars.next() {
            let (i, c) = match (quote, c) {
                (None, '"' | '\'') => {
                    quote = Some(c);
                    continue;
                }
                (Some(q), c) if c == q => {
                    quote = None;
                    continue;
                }
                (_, '\\') => match chars.next() {
                    Some(next) => next,
                    None => continue,
                },
                _ => (i, c),
            };
            text.push(c);
            offsets.extend(self.offsets[i..i + c.len_utf8()].iter().copied());
        }
        let end = self.offsets[self.text.len()];
        offsets.push(offsets.last().map_or(end, |last| last + 1));
        Joined { text, offsets }
    }
}

/// Splits `line` into raw words (quotes kept) at whitespace outside quotes that no escape character
/// precedes, as BuildKit's `parseWords` does: inside `'…'` nothing is escaped.
pub(super) fn word_ranges(line: &str, escapes: &[char]) -> Vec<Range<usize>> {
    let mut words = Vec::new();
    let mut start = None;
    let mut quote = None;
    let mut chars = line.char_indices();
    while let Some((i, c)) = chars.next() {
        match quote {
            None if c.is_whitespace() => {
                if let Some(s) = start.take() {
                    words.push(s..i);
                }
                continue;
            }
            None if c == '\'' || c == '"' => quote = Some(c),
            Some(q) if c == q => quote = None,
            Some('\'') => {}
            _ if escapes.contains(&c) => {
                chars.next();
            }
            _ => {}
        }
        start.get_or_insert(i);
    }
    if let Some(s) = start {
        words.push(s..line.len());
    }
    words
}

/// The range of the text a value stands for, when it is plain: the whole value when it has no quote
/// and no escape character, the inside of `"…"` or `'…'` when that has none. `None` otherwise.
pub(super) fn unquote(value: &str) -> Option<Range<usize>> {
    let plain = |s: &str| !s.contains(['"', '\'']) && !s.contains(ESCAPES);
    let quoted = value.len() >= 2
        && ((value.starts_with('"') && value.ends_with('"'))
            || (value.starts_with('\'') && value.ends_with('\'')));
    if quoted {
        let inner = 1..value.len() - 1;
        plain(&value[inner.clone()]).then_some(inner)
    } else {
        plain(value).then_some(0..value.len())
    }
}

/// The default of a build argument, as declared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct ArgDefault {
    /// File range of the value: inside the quotes of a quoted plain value; otherwise the whole value.
    pub(super) span: Range<usize>,
    /// The plain value, or for a value that is not plain, the value as written (continuations joined).
    pub(super) value: String,
    /// Why the value cannot be rewritten in place (completes "default of build argument NAME …").
    pub(super) problem: Option<String>,
}

/// The `NAME[=default]` declarations of an `ARG` instruction whose arguments (as written) are `raw`,
/// starting at file offset `base`: `(NAME, default)` in order.
pub(super) fn arg_declarations(raw: &str, base: usize) -> Vec<(String, Option<ArgDefault>)> {
    let joined = Joined::new(raw, base);
    let mut declarations = Vec::new();
    for word in word_ranges(&joined.text, &ESCAPES) {
        let text = &joined.text[word.clone()];
        let Some(eq) = text.find('=') else {
            declarations.push((text.to_string(), None));
            continue;
        };
        let name = text[..eq].to_string();
        let value_range = word.start + eq + 1..word.end;
        let written = &joined.text[value_range.clone()];
        let default = match joined.file_range(value_range) {
            Err(span) => ArgDefault {
                span,
                value: written.to_string(),
                problem: Some("is split by a line continuation".to_string()),
            },
            Ok(span) => match unquote(written) {
                None => ArgDefault {
                    span,
                    value: written.to_string(),
                    problem: Some("has quotes or escapes".to_string()),
                },
                Some(inner) => {
                    let value = &written[inner.clone()];
                    ArgDefault {
                        span: span.start + inner.start..span.start + inner.end,
                        value: value.to_string(),
                        problem: value
                            .contains('$')
                            .then(|| super::build_argument_reason(value)),
                    }
                }
            },
        };
        declarations.push((name, Some(default)));
    }
    declarations
}

/// The `key=value` fields of a `--mount` value, read as BuildKit reads them (one CSV record:
/// comma-separated fields, a field may be `"`-quoted with `""` for a quote): `(key in lower case,
/// range of the value in `value`, whether that range is the value's text)`. The range of a quoted
/// field that holds `""` is not its text.
pub(super) fn mount_fields(value: &str) -> Vec<(String, Range<usize>, bool)> {
    let bytes = value.as_bytes();
    let mut fields = Vec::new();
    let mut i = 0;
    loop {
        let (content, plain, next) = if bytes.get(i) == Some(&b'"') {
            let mut j = i + 1;
            let mut plain = true;
            while j < bytes.len() {
                if bytes[j] == b'"' {
                    if bytes.get(j + 1) == Some(&b'"') {
                        plain = false;
                        j += 2;
                        continue;
                    }
                    break;
                }
                j += 1;
            }
            let content = i + 1..j.min(bytes.len());
            let next = value
                .get(j..)
                .and_then(|rest| rest.find(','))
                .map_or(bytes.len(), |k| j + k);
            (content, plain, next)
        } else {
            let end = value[i..].find(',').map_or(bytes.len(), |k| i + k);
            (i..end, true, end)
        };
        let field = &value[content.clone()];
        if let Some(eq) = field.find('=') {
            let key = field[..eq].to_ascii_lowercase();
            fields.push((key, content.start + eq + 1..content.end, plain));
        }
        if next >= bytes.len() {
            break;
        }
        i = next + 1;
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_continuation_lines_with_offsets() {
        let raw = "A=1 \\\n  # comment\n\n  B=al\\\r\npine";
        let joined = Joined::new(raw, 10);
        assert_eq!(joined.text, "A=1   B=alpine");
        let a = joined.text.find("alpine").unwrap();
        assert_eq!(joined.file_range(a..a + 6), Err(33..42));
        assert_eq!(joined.file_range(a - 2..a + 2), Ok(31..35));
        assert_eq!(joined.file_range(0..3), Ok(10..13));
        let end = joined.text.len();
        assert_eq!(
            joined.file_range(end..end),
            Ok(10 + raw.len()..10 + raw.len())
        );
    }

    #[test]
    fn unquotes_flag_words_like_buildkit() {
        let raw = "\"type=bind,from=img:1\",x='a b'c\\,d\\";
        let flag = Joined::new(raw, 100).unquote_flag();
        assert_eq!(flag.text, "type=bind,from=img:1,x=a bc,d");
        let img = flag.text.find("img:1").unwrap();
        assert_eq!(flag.file_range(img..img + 5), Ok(116..121));
        let a = flag.text.find("a bc").unwrap();
        assert_eq!(flag.file_range(a..a + 4), Err(126..131));
        let end = flag.text.len();
        assert_eq!(flag.file_range(end..end), Ok(134..134));
        assert_eq!(
            Joined::new("\"\"", 7).unquote_flag().file_range(0..0),
            Ok(9..9)
        );
    }

    #[test]
    fn splits_words_like_buildkit() {
        let line = "a=\"x y\" b='p\\ q' c=d\\ e f";
        let words: Vec<&str> = word_ranges(line, &ESCAPES)
            .into_iter()
            .map(|r| &line[r])
            .collect();
        assert_eq!(words, ["a=\"x y\"", "b='p\\ q'", "c=d\\ e", "f"]);
    }

    #[test]
    fn plain_values() {
        assert_eq!(unquote("alpine:3"), Some(0..8));
        assert_eq!(unquote("\"alpine\""), Some(1..7));
        assert_eq!(unquote("'alpine'"), Some(1..7));
        assert_eq!(unquote("\"\""), Some(1..1));
        assert_eq!(unquote(""), Some(0..0));
        assert_eq!(unquote("\""), None);
        assert_eq!(unquote("a\"b\""), None);
        assert_eq!(unquote("\"a'b\""), None);
        assert_eq!(unquote("a\\b"), None);
        assert_eq!(unquote("a`b"), None);
    }

    #[test]
    fn mount_fields_csv() {
        let value = "type=bind,FROM=img:1,\"target=/a,b\",\"source=x\"\"y\",ro,\"unterminated";
        let fields: Vec<(String, &str, bool)> = mount_fields(value)
            .into_iter()
            .map(|(k, r, plain)| (k, &value[r], plain))
            .collect();
        assert_eq!(
            fields,
            [
                ("type".to_string(), "bind", true),
                ("from".to_string(), "img:1", true),
                ("target".to_string(), "/a,b", true),
                ("source".to_string(), "x\"\"y", false),
            ]
        );
        assert!(mount_fields("").is_empty());
        assert_eq!(mount_fields("a=1,,from=x").len(), 2);
        assert_eq!(mount_fields("from=").len(), 1);
        assert_eq!(mount_fields("\"from=a\"x,from=b").len(), 2);
    }
}
