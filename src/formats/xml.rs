//! XML read with byte positions, for the finders of XML build files (Maven's `pom.xml`, MSBuild projects).
//!
//! The file is read by `quick-xml`, a streaming reader that reports where each event ends: a text node's bytes
//! are known exactly, so a finder edits the text of one element and nothing else. This module keeps the
//! element tree (names, parents, children) and, for each element, the pieces of character data directly inside
//! it: raw text, CDATA sections, entity and character references, and the comments and processing instructions
//! between them.
//!
//! [`Document::text`] gives an element's value as XML readers such as Maven's and MSBuild's see it (references
//! decoded, CDATA unwrapped, comments dropped, whitespace around it trimmed) and says whether that value can be
//! rewritten in place: only when its characters are one contiguous run of the file (inside one text node or
//! one CDATA section, no reference among them). A value written with `&#47;`, `&amp;` or split by a comment is
//! reported with the reason instead.
//!
//! A UTF-8 byte order mark is allowed; positions are offsets into the text as given. A file that is not
//! well-formed XML (mismatched or unclosed tags, a stray `<`) is a [`FindError`] where the reader found it.

use std::ops::Range;

use quick_xml::events::Event;
use quick_xml::Reader;

use super::FindError;

/// One element of the document.
#[derive(Debug)]
pub struct Element {
    /// Its local name (after a namespace prefix, if any).
    pub name: String,
    pub parent: Option<usize>,
    pub children: Vec<usize>,
    /// The character data directly inside it, in order.
    pieces: Vec<Piece>,
    /// The offset of its start tag's `<`.
    pub start: usize,
}

/// Character data inside an element.
#[derive(Debug, Clone)]
enum Piece {
    /// Raw text, its bytes in the file.
    Text(Range<usize>),
    /// The content of a `<![CDATA[…]]>` section.
    CData(Range<usize>),
    /// An entity or character reference, `&…;` as written.
    Ref(Range<usize>),
    /// A comment or a processing instruction: no character data, but it splits the text around it.
    Break,
}

/// An element's value, and whether it can be edited in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text {
    /// No character data, or only whitespace (`<builder/>`, `<builder> </builder>`).
    Empty,
    /// The value is the file's bytes at `span` (inside one text node or one CDATA section).
    Plain { span: Range<usize>, value: String },
    /// The value is not one contiguous run of the file; `cover` spans what it was read from.
    Written {
        cover: Range<usize>,
        value: String,
        why: &'static str,
    },
}

/// A parsed XML file: its elements in document order.
#[derive(Debug, Default)]
pub struct Document {
    pub elements: Vec<Element>,
    /// Every comment, `<!--` to `-->`, in order.
    pub comments: Vec<Range<usize>>,
}

const BOM: &str = "\u{feff}";

/// Reads `src` as XML.
pub fn parse(src: &str) -> Result<Document, FindError> {
    let bom = if src.starts_with(BOM) { BOM.len() } else { 0 };
    let text = &src[bom..];
    let mut reader = Reader::from_str(text);
    let config = reader.config_mut();
    config.trim_text(false);
    config.check_end_names = true;
    let mut doc = Document::default();
    let mut open: Vec<usize> = Vec::new();
    loop {
        let before = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| FindError {
            offset: bom + (reader.error_position() as usize).min(text.len()),
            message: format!("not well-formed XML: {e}"),
        })?;
        let after = reader.buffer_position() as usize;
        let piece = |p: Piece| (p, open.last().copied());
        let found = match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let id = doc.elements.len();
                let local = e.local_name();
                let name = local.into_inner().to_owned();
                doc.elements.push(Element {
                    name,
                    parent: open.last().copied(),
                    children: Vec::new(),
                    pieces: Vec::new(),
                    start: bom + before,
                });
                if let Some(&parent) = open.last() {
                    doc.elements[parent].children.push(id);
                }
                if matches!(event, Event::Start(_)) {
                    open.push(id);
                }
                None
            }
            Event::End(_) => {
                open.pop();
                None
            }
            Event::Text(_) => Some(piece(Piece::Text(bom + before..bom + after))),
            Event::GeneralRef(_) => Some(piece(Piece::Ref(bom + before..bom + after))),
            Event::CData(_) => {
                // `<![CDATA[` … `]]>`.
                Some(piece(Piece::CData(bom + before + 9..bom + after - 3)))
            }
            Event::Comment(_) => {
                doc.comments.push(bom + before..bom + after);
                Some(piece(Piece::Break))
            }
            Event::PI(_) => Some(piece(Piece::Break)),
            Event::Decl(_) | Event::DocType(_) => None,
            Event::Eof => break,
        };
        if let Some((piece, Some(owner))) = found {
            doc.elements[owner].pieces.push(piece);
        }
    }
    if let Some(&unclosed) = open.last() {
        let element = &doc.elements[unclosed];
        return Err(FindError {
            offset: element.start,
            message: format!(
                "not well-formed XML: the element <{}> is never closed",
                element.name
            ),
        });
    }
    Ok(doc)
}

impl Document {
    /// The comments that read `<!-- pin: ignore -->` (spaces optional, a reason may follow), for
    /// [`super::Findings::ignore_comments`].
    pub fn ignore_comments(&self, src: &str) -> Vec<Range<usize>> {
        self.comments
            .iter()
            .filter(|c| {
                let inner = &src[c.start + 4..c.end - 3];
                super::is_ignore_comment(&format!("#{}", inner.trim()))
            })
            .cloned()
            .collect()
    }

    /// The children of `id` named `name`, in order.
    pub fn children_named<'a>(
        &'a self,
        id: usize,
        name: &'a str,
    ) -> impl Iterator<Item = usize> + 'a {
        self.elements[id]
            .children
            .iter()
            .copied()
            .filter(move |&c| self.elements[c].name == name)
    }

    /// The first child of `id` named `name`.
    pub fn child(&self, id: usize, name: &str) -> Option<usize> {
        self.children_named(id, name).next()
    }

    /// Whether `id` is the child of an element named `parent`.
    pub fn parent_is(&self, id: usize, parent: &str) -> bool {
        self.elements[id]
            .parent
            .is_some_and(|p| self.elements[p].name == parent)
    }

    /// The value of `id` (see the module documentation).
    pub fn text(&self, src: &str, id: usize) -> Text {
        let pieces = &self.elements[id].pieces;
        // The decoded value, with for each of its bytes the file offset it was read from and the piece it
        // came from (`None`: from a reference).
        let mut value = String::new();
        let mut from: Vec<(usize, Option<usize>)> = Vec::new();
        let mut cover: Option<Range<usize>> = None;
        let mut unknown = false;
        for (k, piece) in pieces.iter().enumerate() {
            let range = match piece {
                Piece::Text(r) | Piece::CData(r) | Piece::Ref(r) => r.clone(),
                Piece::Break => continue,
            };
            match piece {
                Piece::Ref(r) => {
                    let decoded = decode_reference(&src[r.clone()]);
                    unknown |= decoded.is_none();
                    let decoded = decoded.unwrap_or_else(|| src[r.clone()].to_owned());
                    for _ in 0..decoded.len() {
                        from.push((r.start, None));
                    }
                    value.push_str(&decoded);
                }
                _ => {
                    from.extend(range.clone().map(|at| (at, Some(k))));
                    value.push_str(&src[range.clone()]);
                }
            }
            cover = Some(match cover {
                Some(c) => c.start..range.end.max(c.end),
                None => range.clone(),
            });
        }
        let is_space = |c: char| matches!(c, ' ' | '\t' | '\r' | '\n');
        let start = value.len() - value.trim_start_matches(is_space).len();
        let end = value.trim_end_matches(is_space).len();
        if start >= end {
            return Text::Empty;
        }
        let trimmed = value[start..end].to_owned();
        let run = &from[start..end];
        let one_piece = run[0].1.is_some() && run.iter().all(|(_, p)| *p == run[0].1);
        if one_piece {
            let span = run[0].0..run[run.len() - 1].0 + 1;
            if src[span.clone()] == trimmed {
                return Text::Plain {
                    span,
                    value: trimmed,
                };
            }
        }
        let why = if unknown || run.iter().any(|(_, p)| p.is_none()) {
            "written with XML character or entity references (`&…;`)"
        } else {
            "split by a comment or a CDATA section"
        };
        Text::Written {
            cover: cover.unwrap_or(0..0),
            value: trimmed,
            why,
        }
    }
}

/// The character(s) a reference (`&amp;`, `&#47;`, `&#x2F;`) stands for; `None` for an entity XML does not
/// predefine (one a DTD would declare).
fn decode_reference(reference: &str) -> Option<String> {
    let name = reference.strip_prefix('&')?.strip_suffix(';')?;
    let c = match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix('x') {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)?
        }
    };
    Some(c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(src: &str, name: &str) -> Text {
        let doc = parse(src).unwrap();
        let id = doc
            .elements
            .iter()
            .position(|e| e.name == name)
            .unwrap_or_else(|| panic!("no <{name}> in {src:?}"));
        doc.text(src, id)
    }

    fn plain(src: &str, name: &str) -> (String, String) {
        match text_of(src, name) {
            Text::Plain { span, value } => (src[span].to_owned(), value),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_text_node_is_spanned_inside_its_whitespace() {
        let src = "\u{feff}<?xml version=\"1.0\"?>\r\n<a xmlns=\"urn:x\"><b>\r\n    nginx:1.27\r\n  </b><c/><d> </d></a>";
        assert_eq!(plain(src, "b"), ("nginx:1.27".into(), "nginx:1.27".into()));
        assert_eq!(text_of(src, "c"), Text::Empty);
        assert_eq!(text_of(src, "d"), Text::Empty);
        let doc = parse(src).unwrap();
        assert_eq!(doc.elements[0].name, "a");
        assert_eq!(doc.elements[0].children, [1, 2, 3]);
        assert_eq!(doc.elements[1].start, src.find("<b>").unwrap());
    }

    #[test]
    fn cdata_is_spanned_inside_its_markers_and_prefixes_are_dropped() {
        let src = "<p:a xmlns:p=\"urn:x\"><p:b> <![CDATA[redis:7]]> </p:b></p:a>";
        assert_eq!(plain(src, "b"), ("redis:7".into(), "redis:7".into()));
    }

    #[test]
    fn references_and_comments_make_a_value_written_not_plain() {
        let src = "<a><b>gcr.io&#47;x:1</b><c>x:&amp;1</c><d>nginx<!-- c -->:1</d><e><![CDATA[nginx]]>:1</e><f>&unknown;x</f><g>&#x20;x:1&#32;</g></a>";
        let written = |name: &str| match text_of(src, name) {
            Text::Written { value, why, cover } => (value, why, src[cover].to_owned()),
            other => panic!("{name}: {other:?}"),
        };
        let refs = "written with XML character or entity references (`&…;`)";
        let split = "split by a comment or a CDATA section";
        assert_eq!(
            written("b"),
            ("gcr.io/x:1".into(), refs, "gcr.io&#47;x:1".into())
        );
        assert_eq!(written("c"), ("x:&1".into(), refs, "x:&amp;1".into()));
        assert_eq!(
            written("d"),
            ("nginx:1".into(), split, "nginx<!-- c -->:1".into())
        );
        assert_eq!(written("e"), ("nginx:1".into(), split, "nginx]]>:1".into()));
        assert_eq!(written("f").1, refs);
        // References only in the whitespace around the value: the value itself is one run of the file.
        assert_eq!(plain(src, "g"), ("x:1".into(), "x:1".into()));
    }

    #[test]
    fn ignore_comments_are_comments_that_say_so() {
        let src = "<a><!-- pin: ignore --><b>x</b><!--pin:ignore because--><!-- pin: ignored --><c>\n<!-- not pin: ignore --></c></a>";
        let doc = parse(src).unwrap();
        let got: Vec<&str> = doc
            .ignore_comments(src)
            .into_iter()
            .map(|r| &src[r])
            .collect();
        assert_eq!(got, ["<!-- pin: ignore -->", "<!--pin:ignore because-->"]);
        assert_eq!(doc.comments.len(), 4);
    }

    #[test]
    fn ill_formed_files_are_errors_where_they_go_wrong() {
        for (src, at) in [
            ("<a><b>x</c></a>", "</c>"),
            ("<a><b>x</b>", "<a>"),
            ("<a>x < y</a>", "< y"),
        ] {
            let e = parse(src).unwrap_err();
            assert!(e.message.starts_with("not well-formed XML"), "{e:?}");
            let want = src.find(at).unwrap();
            assert!(e.offset <= want + 1 && e.offset + 4 >= want, "{src}: {e:?}");
        }
    }
}
