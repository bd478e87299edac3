//! A Starlark tokenizer: names, string literals (with their prefixes, triple quotes and escapes),
//! numbers, operators and brackets, and comments, each with its byte span.
//!
//! It is the lexical grammar of the Starlark spec (bazelbuild/starlark, `spec.md`, "Lexical elements"),
//! which the Bazel files read here are written in. Layout (newlines, indentation) is not tokenized:
//! the finder needs call nesting, which brackets give, and lines, which spans give.

use std::ops::Range;

use crate::formats::FindError;

/// What a token is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    /// An identifier or keyword.
    Name,
    /// A string literal. `content` is the byte range between the quotes; `value` its text when known:
    /// `None` for an escape sequence this tokenizer does not decode (`\x41`, `\u00e9`, `\101`).
    Str {
        content: Range<usize>,
        value: Option<String>,
        /// `'` or `"`.
        quote: char,
    },
    Number,
    /// An operator or a bracket: `(`, `.`, `=`, `==`, `**`…
    Punct,
    /// A `#` comment, to the end of its line (without the line break).
    Comment,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub tok: Tok,
    pub span: Range<usize>,
}

impl Token {
    /// The token's text in `src`.
    pub fn text<'s>(&self, src: &'s str) -> &'s str {
        &src[self.span.clone()]
    }
}

/// Operators of two or three characters (the rest are one character).
const LONG_OPS: &[&str] = &[
    "//=", "<<=", ">>=", "**", "//", "<<", ">>", "==", "!=", "<=", ">=", "+=", "-=", "*=", "/=",
    "%=", "&=", "|=", "^=", "->",
];

/// The tokens of `src`, in order. Fails only on a string that does not end.
pub fn tokenize(src: &str) -> Result<Vec<Token>, FindError> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        match c {
            b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' => i += 1,
            // A line continued with a backslash.
            b'\\' if matches!(bytes.get(i + 1), Some(b'\n')) => i += 2,
            b'\\' if bytes[i + 1..].starts_with(b"\r\n") => i += 3,
            b'#' => {
                i = src[i..].find(['\n', '\r']).map_or(src.len(), |n| i + n);
                out.push(Token {
                    tok: Tok::Comment,
                    span: start..i,
                });
            }
            b'\'' | b'"' => {
                let (tok, end) = string(src, i, i, false)?;
                i = end;
                out.push(Token {
                    tok,
                    span: start..i,
                });
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                let name = &src[start..i];
                let prefix = matches!(name.to_ascii_lowercase().as_str(), "r" | "b" | "rb" | "br");
                if prefix && matches!(bytes.get(i), Some(b'\'' | b'"')) {
                    let raw = name.contains(['r', 'R']);
                    let (tok, end) = string(src, start, i, raw)?;
                    i = end;
                    out.push(Token {
                        tok,
                        span: start..i,
                    });
                } else {
                    out.push(Token {
                        tok: Tok::Name,
                        span: start..i,
                    });
                }
            }
            c if c.is_ascii_digit()
                || (c == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)) =>
            {
                // Digits, letters (`0x1F`, `1e5`), dots, and an exponent's sign.
                i += 1;
                while i < bytes.len() {
                    let b = bytes[i];
                    let sign = (b == b'+' || b == b'-') && matches!(bytes[i - 1], b'e' | b'E');
                    if b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || sign {
                        i += 1;
                    } else {
                        break;
                    }
                }
                out.push(Token {
                    tok: Tok::Number,
                    span: start..i,
                });
            }
            _ => {
                let len = LONG_OPS
                    .iter()
                    .find(|op| src[i..].starts_with(**op))
                    .map_or_else(
                        || src[i..].chars().next().map_or(1, char::len_utf8),
                        |op| op.len(),
                    );
                i += len;
                out.push(Token {
                    tok: Tok::Punct,
                    span: start..i,
                });
            }
        }
    }
    Ok(out)
}

/// A string literal whose prefix starts at `start` and whose opening quote is at `open`: the token and
/// the offset after it.
fn string(src: &str, start: usize, open: usize, raw: bool) -> Result<(Tok, usize), FindError> {
    let bytes = src.as_bytes();
    let quote = bytes[open];
    let triple = bytes[open..].starts_with(&[quote; 3]);
    let content_start = open + if triple { 3 } else { 1 };
    let unterminated = || FindError {
        offset: start,
        message: "a string literal that does not end".to_owned(),
    };
    let mut i = content_start;
    let mut escaped = false;
    let content_end = loop {
        let Some(&b) = bytes.get(i) else {
            return Err(unterminated());
        };
        match b {
            // In raw strings too, a backslash keeps the next character from ending the string.
            b'\\' => {
                escaped = true;
                i += 1;
                if i < bytes.len() {
                    i += src[i..].chars().next().map_or(1, char::len_utf8);
                }
            }
            b'\n' | b'\r' if !triple => return Err(unterminated()),
            b if b == quote && (!triple || bytes[i..].starts_with(&[quote; 3])) => break i,
            _ => i += 1,
        }
    };
    let end = content_end + if triple { 3 } else { 1 };
    let text = &src[content_start..content_end];
    let value = if raw || !escaped {
        Some(text.to_owned())
    } else {
        unescape(text)
    };
    Ok((
        Tok::Str {
            content: content_start..content_end,
            value,
            quote: char::from(quote),
        },
        end,
    ))
}

/// The text of a non-raw string's content with the simple escapes decoded; `None` for the others.
fn unescape(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            '\\' => out.push('\\'),
            '\'' => out.push('\''),
            '"' => out.push('"'),
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            '\n' => {}
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(String, &str)> {
        tokenize(src)
            .unwrap()
            .into_iter()
            .map(|t| {
                let kind = match &t.tok {
                    Tok::Name => "name".to_owned(),
                    Tok::Str { value, .. } => format!("str {value:?}"),
                    Tok::Number => "number".to_owned(),
                    Tok::Punct => "punct".to_owned(),
                    Tok::Comment => "comment".to_owned(),
                };
                (kind, &src[t.span])
            })
            .collect()
    }

    #[test]
    fn names_calls_and_operators() {
        let got = kinds("oci.pull(name = \"a\", n=1.5e-3, x == y ** 2) # done\n");
        let texts: Vec<_> = got.iter().map(|(_, t)| *t).collect();
        assert_eq!(
            texts,
            [
                "oci", ".", "pull", "(", "name", "=", "\"a\"", ",", "n", "=", "1.5e-3", ",", "x",
                "==", "y", "**", "2", ")", "# done"
            ]
        );
        assert_eq!(got[6].0, "str Some(\"a\")");
        assert_eq!(got[18].0, "comment");
    }

    #[test]
    fn string_forms() {
        let got = kinds(
            r#"'a' "b#c" r"\d" b'x' """x
"y" """ rb'''q'''"#,
        );
        assert_eq!(
            got,
            [
                ("str Some(\"a\")".to_owned(), "'a'"),
                ("str Some(\"b#c\")".to_owned(), "\"b#c\""),
                ("str Some(\"\\\\d\")".to_owned(), r#"r"\d""#),
                ("str Some(\"x\")".to_owned(), "b'x'"),
                (
                    "str Some(\"x\\n\\\"y\\\" \")".to_owned(),
                    "\"\"\"x\n\"y\" \"\"\"",
                ),
                ("str Some(\"q\")".to_owned(), "rb'''q'''"),
            ]
        );
        // Escapes: quotes and backslashes decoded, a backslash-quote does not end the string, raw or not.
        let got = kinds(r#""a\"b" r"a\"b" "\x41" 'it\'s'"#);
        assert_eq!(got[0].0, "str Some(\"a\\\"b\")");
        assert_eq!(
            got[1],
            ("str Some(\"a\\\\\\\"b\")".to_owned(), r#"r"a\"b""#)
        );
        assert_eq!(got[2].0, "str None");
        assert_eq!(got[3].0, "str Some(\"it's\")");
    }

    #[test]
    fn comments_do_not_hide_code_and_strings_hide_comments() {
        let got = kinds("a = \"# not a comment\" # a comment\r\nb = ''\n");
        assert_eq!(got.len(), 7, "{got:?}");
        assert_eq!(got[3], ("comment".to_owned(), "# a comment"));
        assert_eq!(got[6].0, "str Some(\"\")");
    }

    #[test]
    fn unterminated_strings_are_errors_at_their_start() {
        for (src, at) in [
            ("x = 'abc\ny = 1", 4),
            ("x = \"\"\"abc\n", 4),
            ("x = r'\\", 4),
            ("\"", 0),
            ("a \"\\\n", 2),
        ] {
            let e = tokenize(src).unwrap_err();
            assert_eq!(e.offset, at, "{src:?}");
        }
    }

    #[test]
    fn every_prefix_tokenizes_or_fails_cleanly() {
        let src = "load(\"@rules_oci//oci:pull.bzl\", \"oci_pull\")\n# é\noci_pull(name = r'''x''', tag = \"1\\\"\", n = 0x1f)\\\n";
        for (i, _) in src.char_indices().chain([(src.len(), ' ')]) {
            match tokenize(&src[..i]) {
                Ok(tokens) => {
                    for t in tokens {
                        assert!(src[..i].get(t.span).is_some());
                    }
                }
                Err(e) => assert!(src.is_char_boundary(e.offset)),
            }
        }
    }
}
