//! Text made safe to print: whatever a registry answers, what `pin` prints of it cannot drive the terminal it
//! lands on.

use std::borrow::Cow;

/// `s` with every control character (C0, DEL, C1) and bidirectional-override character written as an
/// escape (`\x1b`, `\u{9b}`, `\u{202e}`), so that text a registry chose cannot drive the terminal it is
/// printed on (set its title, move the cursor, hide or reorder what follows). Every string that comes from a
/// registry (platform names from an index, media types, realms, header values, error bodies) goes through this
/// before it enters a message.
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
}
