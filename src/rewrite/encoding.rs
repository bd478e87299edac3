//! The character encodings of the files `pin` reads: UTF-8, and UTF-16 with a byte order mark where the
//! format's own tools read it.
//!
//! YAML requires readers to take UTF-16 with a byte order mark (YAML 1.2, 5.2), and libyaml, go-yaml and
//! PyYAML do, as kubectl does for JSON manifests too: an editor on Windows (or PowerShell 5's `>`) writes
//! such files. `pin` reads them as their tools do: the text is decoded, searched and edited as UTF-8, and
//! written back in the file's own encoding with its byte order mark. Decoding and encoding are exact
//! inverses for every UTF-16 text without unpaired surrogates (those are refused), so the bytes outside the
//! references stay the very bytes that were read.

/// How a file's bytes hold its text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8, with or without a byte order mark (the mark is part of the text).
    #[default]
    Utf8,
    /// UTF-16, little endian, starting with the byte order mark `FF FE`.
    Utf16Le,
    /// UTF-16, big endian, starting with the byte order mark `FE FF`.
    Utf16Be,
}

/// Why bytes are not text `pin` reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotText {
    /// Not valid UTF-8. `valid`: the text before the first byte that is not (for its line and column).
    NotUtf8 { valid: String },
    /// A NUL byte and no byte order mark: a binary file (as git and ripgrep tell them).
    Binary,
    /// UTF-32 (its byte order mark): no tool of any kind `pin` reads takes it.
    Utf32,
    /// UTF-16 with a byte order mark, not valid: an unpaired surrogate, or an odd byte at the end. `valid`:
    /// the text before it (for its line and column).
    BadUtf16 { valid: String },
}

impl Encoding {
    /// Its name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf16Le => "UTF-16LE",
            Encoding::Utf16Be => "UTF-16BE",
        }
    }

    /// The encoding a byte order mark at the start of `bytes` announces (UTF-8 without one), if it is one
    /// `pin` may read; UTF-32 is told apart from UTF-16 (`FF FE 00 00` starts both).
    pub fn sniff(bytes: &[u8]) -> Result<Encoding, NotText> {
        match bytes {
            [0xFF, 0xFE, 0, 0, ..] | [0, 0, 0xFE, 0xFF, ..] => Err(NotText::Utf32),
            [0xFF, 0xFE, ..] => Ok(Encoding::Utf16Le),
            [0xFE, 0xFF, ..] => Ok(Encoding::Utf16Be),
            _ => Ok(Encoding::Utf8),
        }
    }

    /// `text` (as [`decode`] gave it, edited) as bytes of this encoding, the byte order mark first.
    pub fn encode(self, text: &str) -> Vec<u8> {
        let unit = |u: u16| match self {
            Encoding::Utf16Be => u.to_be_bytes(),
            _ => u.to_le_bytes(),
        };
        match self {
            Encoding::Utf8 => text.as_bytes().to_vec(),
            Encoding::Utf16Le | Encoding::Utf16Be => {
                let mut out = Vec::with_capacity(2 + text.len() * 2);
                out.extend_from_slice(&unit(0xFEFF));
                for u in text.encode_utf16() {
                    out.extend_from_slice(&unit(u));
                }
                out
            }
        }
    }
}

/// The text of a file's bytes and how they hold it. A UTF-16 text's byte order mark is not part of the
/// text ([`Encoding::encode`] puts it back); a UTF-8 one's is (it is bytes of the text, kept as they are).
pub fn decode(bytes: Vec<u8>) -> Result<(String, Encoding), NotText> {
    let encoding = Encoding::sniff(&bytes)?;
    let big = match encoding {
        Encoding::Utf8 => {
            return match String::from_utf8(bytes) {
                Ok(text) => Ok((text, Encoding::Utf8)),
                Err(e) if memchr::memchr(0, e.as_bytes()).is_some() => Err(NotText::Binary),
                Err(e) => {
                    let up_to = e.utf8_error().valid_up_to();
                    let mut valid = e.into_bytes();
                    valid.truncate(up_to);
                    Err(NotText::NotUtf8 {
                        valid: String::from_utf8(valid).unwrap_or_default(),
                    })
                }
            };
        }
        Encoding::Utf16Le => false,
        Encoding::Utf16Be => true,
    };
    let body = &bytes[2..];
    let units = body.chunks(2).map(|pair| match (pair, big) {
        ([a, b], false) => Ok(u16::from_le_bytes([*a, *b])),
        ([a, b], true) => Ok(u16::from_be_bytes([*a, *b])),
        _ => Err(()),
    });
    let mut text = String::with_capacity(body.len() / 2);
    let mut odd = false;
    let units = units.map_while(|u| {
        odd |= u.is_err();
        u.ok()
    });
    for c in char::decode_utf16(units) {
        match c {
            Ok(c) => text.push(c),
            Err(_) => return Err(NotText::BadUtf16 { valid: text }),
        }
    }
    if odd {
        return Err(NotText::BadUtf16 { valid: text });
    }
    Ok((text, encoding))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(text: &str, big: bool) -> Vec<u8> {
        let mut out = if big {
            vec![0xFE, 0xFF]
        } else {
            vec![0xFF, 0xFE]
        };
        for u in text.encode_utf16() {
            out.extend(if big {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            });
        }
        out
    }

    #[test]
    fn utf16_with_a_byte_order_mark_round_trips_byte_for_byte() {
        let text = "image: nginx:1.27 # é 😀\r\nx: \u{0}\n";
        for (big, encoding) in [(false, Encoding::Utf16Le), (true, Encoding::Utf16Be)] {
            let bytes = utf16(text, big);
            let (decoded, found) = decode(bytes.clone()).unwrap();
            assert_eq!((decoded.as_str(), found), (text, encoding));
            assert_eq!(encoding.encode(&decoded), bytes);
        }
        let plain = "\u{feff}image: a\n";
        assert_eq!(
            decode(plain.as_bytes().to_vec()).unwrap(),
            (plain.to_string(), Encoding::Utf8)
        );
        assert_eq!(Encoding::Utf8.encode(plain), plain.as_bytes());
    }

    #[test]
    fn what_is_not_text_says_why() {
        assert_eq!(
            decode(b"a\nb\xFFc".to_vec()),
            Err(NotText::NotUtf8 {
                valid: "a\nb".into()
            })
        );
        // A NUL byte in what is not UTF-8 is binary, as git and ripgrep tell; in UTF-8 it is a character.
        assert_eq!(decode(vec![b'a', 0, b'b', 0xFF]), Err(NotText::Binary));
        assert_eq!(
            decode(vec![b'a', 0, b'b']),
            Ok(("a\0b".to_string(), Encoding::Utf8))
        );
        assert_eq!(
            decode(vec![0xFF, 0xFE, 0, 0, b'a', 0, 0, 0]),
            Err(NotText::Utf32)
        );
        assert_eq!(
            decode(vec![0, 0, 0xFE, 0xFF, 0, 0, 0, b'a']),
            Err(NotText::Utf32)
        );
        // A lone high surrogate, then an odd byte at the end.
        let mut lone = utf16("ab", false);
        lone.extend([0x00, 0xD8, b'c', 0]);
        assert_eq!(decode(lone), Err(NotText::BadUtf16 { valid: "ab".into() }));
        let mut odd = utf16("ab", true);
        odd.push(b'c');
        assert_eq!(decode(odd), Err(NotText::BadUtf16 { valid: "ab".into() }));
    }
}
