//! Starlark, the language of Bazel files and Tiltfiles: a tokenizer, and the calls, arguments and `load`
//! statements that the Bazel and Tilt finders read from its tokens.
//!
//! [`tokenize`] gives names, string literals (with their prefixes, triple quotes and escapes), numbers,
//! operators and brackets, and comments, each with its byte span: the lexical grammar of the Starlark spec
//! (bazelbuild/starlark, `spec.md`, "Lexical elements"). Layout (newlines, indentation) is not tokenized:
//! the finders need call nesting, which brackets give, and lines, which spans give. [`Code`] holds a file's
//! tokens without its comments and splits a call's arguments at the call's own commas, so that a call in a
//! comment or a string is not a call.

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

/// A file's tokens without its comments, beside the text they come from.
pub struct Code<'a> {
    pub src: &'a str,
    pub tokens: &'a [Token],
}

/// A call's arguments, as ranges of tokens: positional ones, and keyword ones with their names.
#[derive(Debug)]
pub struct Arguments {
    pub positional: Vec<Range<usize>>,
    pub keywords: Vec<(String, Range<usize>)>,
    /// The first `*args` or `**kwargs` argument (positional arguments after it are not counted).
    pub unpacking: Option<Range<usize>>,
}

impl Arguments {
    /// The first token of the keyword argument's value.
    pub fn get(&self, name: &str) -> Option<usize> {
        self.value(name).map(|r| r.start)
    }

    /// The value of the keyword argument `name`.
    pub fn value(&self, name: &str) -> Option<Range<usize>> {
        self.keywords
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, r)| r.clone())
    }

    /// The argument of the parameter at `position` named `keyword`: the keyword argument, or the
    /// positional one at its place, or else the `*args` / `**kwargs` that may hold it.
    pub fn named(&self, position: usize, keyword: &str) -> Option<Range<usize>> {
        if let Some(r) = self.value(keyword) {
            return Some(r);
        }
        self.positional
            .get(position)
            .or(self.unpacking.as_ref())
            .cloned()
    }
}

/// A `load(label, …)` statement: its label, and the names it binds with the symbol each is bound to
/// (`"oci_pull"` binds `oci_pull`; `kb = "ko_build"` binds `kb` to `ko_build`), in order.
#[derive(Debug)]
pub struct Load<'a> {
    pub label: &'a str,
    pub bound: Vec<(&'a str, &'a str)>,
}

impl Code<'_> {
    /// Token `i`'s text; empty past the end.
    pub fn text(&self, i: usize) -> &str {
        self.tokens.get(i).map_or("", |t| t.text(self.src))
    }

    /// Whether token `i` is `text` and not a string literal.
    pub fn is(&self, i: usize, text: &str) -> bool {
        self.tokens
            .get(i)
            .is_some_and(|t| !matches!(t.tok, Tok::Str { .. }) && t.text(self.src) == text)
    }

    /// The value of token `i` when it is a string literal whose value is known.
    pub fn str_value(&self, i: usize) -> Option<&str> {
        match &self.tokens.get(i)?.tok {
            Tok::Str { value, .. } => value.as_deref(),
            _ => None,
        }
    }

    /// The byte range of a range of tokens.
    pub fn span(&self, value: &Range<usize>) -> Range<usize> {
        self.tokens[value.start].span.start..self.tokens[value.end - 1].span.end
    }

    /// The one string literal a value consists of: its content's span and its value, when known.
    pub fn literal(&self, value: &Range<usize>) -> Option<(Range<usize>, &str)> {
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
    pub fn strings(&self, value: &Range<usize>) -> Vec<String> {
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

    /// The `load` statement at token `i`, if one starts there with a string label whose value is known.
    pub fn load_at(&self, i: usize) -> Option<Load<'_>> {
        if !(self.is(i, "load") && self.is(i + 1, "(")) {
            return None;
        }
        let label = self.str_value(i + 2)?;
        let mut bound = Vec::new();
        let mut j = i + 3;
        while j < self.tokens.len() && !self.is(j, ")") {
            if let Some(symbol) = self.str_value(j) {
                let alias = j >= 2 && self.is(j - 1, "=") && self.tokens[j - 2].tok == Tok::Name;
                let name = if alias { self.text(j - 2) } else { symbol };
                bound.push((name, symbol));
            }
            j += 1;
        }
        Some(Load { label, bound })
    }

    /// Every `load` statement, in order.
    pub fn loads(&self) -> impl Iterator<Item = Load<'_>> {
        (0..self.tokens.len()).filter_map(|i| self.load_at(i))
    }

    /// The arguments of the call whose `(` is token `open`. Fails on a call that is never closed.
    pub fn arguments(&self, open: usize) -> Result<Arguments, FindError> {
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
