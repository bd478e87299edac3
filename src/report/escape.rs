//! Text made safe to print: whatever a file, a file name, a configuration file or a registry holds, what `pin`
//! prints of it cannot drive the terminal it lands on, nor start a line of its own in a CI log.

use std::borrow::Cow;
use std::path::Path;

/// `s` with every control character (C0, DEL, C1) and bidirectional-override character written as an
/// escape (`\x1b`, `\u{9b}`, `\u{202e}`), so that text from outside (a file name, a value, a registry's
/// answer) cannot drive the terminal it is printed on (set its title, move the cursor, hide or reorder what
/// follows) or start a line of its own (a `::error::` workflow command in a CI log). Every string that comes
/// from a registry (platform names from an index, media types, realms, header values, error bodies) goes
/// through this before it enters a message, and the text format passes every line it prints through it.
pub fn escape(s: &str) -> Cow<'_, str> {
    let unsafe_char =
        |c: char| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            c if !unsafe_char(c) => out.push(c),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    Cow::Owned(out)
}

/// A path as messages print it: its bytes as text, each byte that is not part of valid UTF-8 written as
/// `\xff` (a file name need not be UTF-8 on Unix; `Path::display` would print U+FFFD for every such byte,
/// and two names would look alike). `/`-separated. Control characters stay: the text format escapes them
/// ([`escape`]) where it prints, the JSON and SARIF writers where they write.
pub fn path_text(path: &Path) -> String {
    let bytes = path_bytes(path);
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    if cfg!(windows) {
        out = out.replace('\\', "/");
    }
    out
}

/// The bytes of a path: exact on Unix; elsewhere its (lossy) UTF-8.
fn path_bytes(path: &Path) -> Cow<'_, [u8]> {
    #[cfg(unix)]
    {
        Cow::Borrowed(std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()))
    }
    #[cfg(not(unix))]
    {
        match path.to_string_lossy() {
            Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
            Cow::Owned(s) => Cow::Owned(s.into_bytes()),
        }
    }
}

/// `prefix` + `path` as a unified diff's `---` / `+++` header names it, the way git writes and `git apply`
/// reads it: as it is, unless a byte needs quoting (a control character, `"`, `\`, a bidirectional
/// override, or a byte that is not valid UTF-8); then in double quotes with C escapes (`\n`, `\t`, `\"`, `\\`)
/// and every other such byte, and every byte from 0x80 on, in octal (`\033`, `\377`), as git's
/// `quote_c_style` does. So a file name cannot end the header line or drive a terminal, and the diff still
/// applies.
pub fn diff_path(prefix: &str, path: &Path) -> String {
    let mut bytes = prefix.as_bytes().to_vec();
    bytes.extend_from_slice(&path_bytes(path));
    if cfg!(windows) {
        for b in &mut bytes {
            if *b == b'\\' {
                *b = b'/';
            }
        }
    }
    let plain = std::str::from_utf8(&bytes).ok().filter(|s| {
        !s.chars().any(|c| {
            c.is_control()
                || c == '"'
                || c == '\\'
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
    });
    if let Some(s) = plain {
        return s.to_string();
    }
    let mut out = String::with_capacity(bytes.len() + 8);
    out.push('"');
    for &b in &bytes {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            0x0b => out.push_str("\\v"),
            0x0c => out.push_str("\\f"),
            b'\r' => out.push_str("\\r"),
            b if !(0x20..0x7f).contains(&b) => out.push_str(&format!("\\{b:03o}")),
            b => out.push(char::from(b)),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralizes_terminal_controls() {
        assert_eq!(escape("linux/arm64"), "linux/arm64");
        assert!(matches!(escape("plain"), Cow::Borrowed(_)));
        assert_eq!(escape("a\u{1b}]0;title\u{7}b"), "a\\x1b]0;title\\x07b");
        assert_eq!(escape("x\ny\rz\t"), "x\\x0ay\\x0dz\\x09");
        assert_eq!(escape("\u{7f}\u{9b}2J"), "\\x7f\\u{9b}2J");
        assert_eq!(escape("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(escape("ünïcødé ok"), "ünïcødé ok");
    }

    #[cfg(unix)]
    #[test]
    fn paths_print_their_bytes_and_diff_headers_quote_as_git_does() {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;
        let p = |b: &[u8]| Path::new(OsStr::from_bytes(b)).to_path_buf();
        assert_eq!(path_text(&p(b"k8s/caf\xc3\xa9.yaml")), "k8s/café.yaml");
        assert_eq!(path_text(&p(b"k8s/\xff\xfe.yaml")), "k8s/\\xff\\xfe.yaml");
        assert_eq!(
            diff_path("a/", &p(b"k8s/caf\xc3\xa9.yaml")),
            "a/k8s/café.yaml"
        );
        assert_eq!(diff_path("b/", &p(b"x y.yaml")), "b/x y.yaml");
        // As `git diff` writes them (core.quotePath on).
        assert_eq!(
            diff_path("a/", &p(b"new\nline\t\x1b[31m.yaml")),
            "\"a/new\\nline\\t\\033[31m.yaml\""
        );
        assert_eq!(diff_path("a/", &p(b"q\"b\\.yaml")), "\"a/q\\\"b\\\\.yaml\"");
        assert_eq!(
            diff_path("a/", &p(b"\xff\xc2\x9b\xc3\xa9.yaml")),
            "\"a/\\377\\302\\233\\303\\251.yaml\""
        );
    }
}
