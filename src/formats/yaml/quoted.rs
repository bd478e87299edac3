//! Quoted scalars whose continuation lines are indented less than their block: read as libyaml reads them.
//!
//! YAML 1.2 wants every continuation line of a multi-line quoted scalar indented at least as far as the block
//! around it, and the parser refuses one that is not ("invalid indentation in quoted scalar"; a leading tab
//! there: "tab cannot be used as indentation"). libyaml and its Go port, behind kubectl, kustomize and helm,
//! look at nothing but the quotes: real files rely on it (the Gateway API CRDs as some projects ship them,
//! with `rule: '…` continued on lines left of `rule`).
//!
//! On such an error the stream is read again from a copy in which spaces are inserted at the start of those
//! continuation lines, up to one column past the opening quote. The leading blanks of a continuation line
//! are no part of a quoted scalar's value (the line break folds to a space, or an escaped break to nothing),
//! so every value is the one libyaml reads; every offset the copy yields is mapped back into the source.
//!
//! Which scalars to pad: the one the parser names, and the quoted scalars a quick look at the text finds
//! ([`guess`]), so that a file with hundreds of them is read once more, not once per scalar. The guess is
//! checked: the copy's reading is taken only if every padded line lies inside a quoted scalar the parser
//! read there (then the copy differs from the source only inside quoted scalars, which libyaml reads the
//! same whatever their indentation). Otherwise only the scalars the parser named are padded, a bounded
//! number of times, and when that does not give such a reading either, the first error stands.
//! A continuation line that is a document marker (`---`, `...` at column 0) is never padded: libyaml
//! refuses it too.

use std::ops::Range;

use saphyr_parser::ScalarStyle;

use super::tree::{self, Node, NodeKind, Sink};
use crate::formats::FindError;

/// The parser's message for a continuation line left of its block.
const UNDER_INDENTED: &str = "invalid indentation in quoted scalar";
/// The parser's message for a tab left of the block (also inside a quoted scalar's leading blanks).
const TAB: &str = "tab cannot be used as indentation";
/// How many times the scalars the parser names are padded one by one, when the guess did not do.
const ROUNDS: usize = 64;

/// Whether `error` may be one that padding continuation lines answers.
pub(super) fn may_help(error: &FindError) -> bool {
    error.message == UNDER_INDENTED || error.message == TAB
}

/// Reads `src` again with padded continuation lines (see the module documentation), after `first`, the
/// error of the plain reading. `None`: no padding gives a reading that can be trusted; the first error
/// stands.
pub(super) fn read<S: Sink>(
    src: &str,
    first: &FindError,
    new: &dyn Fn() -> S,
) -> Option<Result<Option<S>, FindError>> {
    let mut named = Vec::new();
    if first.message == UNDER_INDENTED {
        named.push(scalar_at(src, first.offset)?);
    }
    let guessed = guess(src);
    let mut guessing = true;
    for _ in 0..ROUNDS {
        let mut scalars = named.clone();
        if guessing {
            scalars.extend(guessed.iter().cloned());
        }
        let pads = Pads::new(src, scalars);
        if pads.is_empty() {
            if !guessing {
                return None;
            }
            guessing = false;
            continue;
        }
        let copy = pads.apply(src);
        let outcome = tree::read_lifting(&copy, &|| Padded {
            inner: new(),
            pads: &pads,
            next: 0,
            stray: false,
        });
        match outcome {
            Ok(Some(padded)) if padded.trusted() => return Some(Ok(Some(padded.inner))),
            Ok(None) => return Some(Ok(None)),
            Err(e) if e.message == UNDER_INDENTED => {
                let scalar = scalar_at(src, pads.original(e.offset))?;
                if named.contains(&scalar) {
                    return None;
                }
                named.push(scalar);
                continue;
            }
            Err(e) if !guessing => {
                return Some(Err(FindError {
                    offset: pads.original(e.offset),
                    message: e.message,
                }))
            }
            Ok(Some(_)) | Err(_) => {}
        }
        if !guessing {
            return None;
        }
        guessing = false;
    }
    None
}

/// The quoted scalar whose opening quote is at `at`: from the quote to just after its closing quote.
fn scalar_at(src: &str, at: usize) -> Option<Range<usize>> {
    let bytes = src.as_bytes();
    let quote = *bytes.get(at)?;
    if quote != b'\'' && quote != b'"' {
        return None;
    }
    let mut i = at + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' if quote == b'\'' => {
                if bytes.get(i + 1) == Some(&b'\'') {
                    i += 2;
                    continue;
                }
                return Some(at..i + 1);
            }
            b'"' if quote == b'"' => return Some(at..i + 1),
            b'\\' if quote == b'"' => {
                i += 2;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The offset of the line break ending the line that holds `i` (or the end).
fn line_end(bytes: &[u8], i: usize) -> usize {
    bytes[i..]
        .iter()
        .position(|&c| c == b'\n' || c == b'\r')
        .map_or(bytes.len(), |p| i + p)
}

/// Quoted scalars where a quick look at the text places them: a quote where a node may start (after the
/// indentation, `- `, `? `, `: `, `[`, `{`, a `,` inside brackets, or `&anchor` / `!tag`), outside comments
/// and block scalars, to its closing quote. A guess only: what the parser reads is checked afterwards.
fn guess(src: &str) -> Vec<Range<usize>> {
    let bytes = src.as_bytes();
    let ends_token =
        |j: usize| j >= bytes.len() || matches!(bytes[j], b' ' | b'\t' | b'\n' | b'\r');
    let mut found = Vec::new();
    let mut i = 0;
    let mut flow = 0usize;
    let mut node = true;
    let mut line_start = true;
    let mut indent = 0;
    // A block scalar's content: the lines indented more than this.
    let mut block: Option<usize> = None;
    while i < bytes.len() {
        if line_start {
            line_start = false;
            let spaces = bytes[i..].iter().take_while(|&&c| c == b' ').count();
            let empty = matches!(bytes.get(i + spaces), None | Some(b'\n' | b'\r'));
            if let Some(parent) = block {
                if empty || spaces > parent {
                    i = line_end(bytes, i);
                    continue;
                }
                block = None;
            }
            let marker = bytes[i..].starts_with(b"---") || bytes[i..].starts_with(b"...");
            if spaces == 0 && marker && ends_token(i + 3) {
                flow = 0;
            }
            indent = spaces;
            node = true;
            i += spaces;
            continue;
        }
        match bytes[i] {
            b'\n' | b'\r' => {
                if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                i += 1;
                line_start = true;
            }
            b' ' | b'\t' => i += 1,
            b'#' if i == 0 || matches!(bytes[i - 1], b' ' | b'\t') => i = line_end(bytes, i),
            b'\'' | b'"' if node => match scalar_at(src, i) {
                Some(scalar) => {
                    i = scalar.end;
                    found.push(scalar);
                    node = false;
                }
                None => break,
            },
            b'[' | b'{' if node => {
                flow += 1;
                i += 1;
            }
            b']' | b'}' if flow > 0 => {
                flow -= 1;
                node = false;
                i += 1;
            }
            b',' if flow > 0 => {
                node = true;
                i += 1;
            }
            b':' if ends_token(i + 1) => {
                node = true;
                i += 1;
            }
            b'-' | b'?' if node && ends_token(i + 1) => i += 1,
            b'|' | b'>' if node && flow == 0 => {
                block = Some(indent);
                i = line_end(bytes, i);
            }
            b'&' | b'!' if node => {
                while !ends_token(i) {
                    i += 1;
                }
            }
            _ => {
                node = false;
                i += 1;
            }
        }
    }
    found
}

/// Spaces inserted at line starts: (offset of the line in the source, how many), in order.
pub(super) struct Pads {
    at: Vec<(usize, usize)>,
    /// Where each insertion starts in the copy.
    in_copy: Vec<usize>,
}

impl Pads {
    /// The pads for the continuation lines of `scalars` (quote to closing quote) that lie left of one column
    /// past the opening quote; lines holding only blanks and line breaks, and document markers, are left.
    fn new(src: &str, mut scalars: Vec<Range<usize>>) -> Pads {
        scalars.sort_by_key(|r| r.start);
        scalars.dedup();
        let bytes = src.as_bytes();
        let mut at = Vec::new();
        let mut done = 0;
        for scalar in scalars {
            if scalar.start < done {
                continue;
            }
            done = scalar.end;
            let line = src[..scalar.start].rfind(['\n', '\r']).map_or(0, |i| i + 1);
            let target = src[line..scalar.start].chars().count() + 1;
            for i in scalar.start + 1..scalar.end {
                let starts_line = match bytes[i - 1] {
                    b'\n' => true,
                    b'\r' => bytes[i] != b'\n',
                    _ => false,
                };
                if !starts_line {
                    continue;
                }
                let spaces = bytes[i..].iter().take_while(|&&c| c == b' ').count();
                if matches!(bytes.get(i + spaces), None | Some(b'\n' | b'\r')) {
                    continue;
                }
                let marker = bytes[i..].starts_with(b"---") || bytes[i..].starts_with(b"...");
                let ends = matches!(bytes.get(i + 3), None | Some(b' ' | b'\t' | b'\n' | b'\r'));
                if spaces == 0 && marker && ends {
                    continue;
                }
                if spaces < target {
                    at.push((i, target - spaces));
                }
            }
        }
        let mut in_copy = Vec::with_capacity(at.len());
        let mut added = 0;
        for &(line, n) in &at {
            in_copy.push(line + added);
            added += n;
        }
        Pads { at, in_copy }
    }

    fn is_empty(&self) -> bool {
        self.at.is_empty()
    }

    fn apply(&self, src: &str) -> String {
        let added: usize = self.at.iter().map(|&(_, n)| n).sum();
        let mut out = String::with_capacity(src.len() + added);
        let mut from = 0;
        for &(line, n) in &self.at {
            out.push_str(&src[from..line]);
            out.extend(std::iter::repeat_n(' ', n));
            from = line;
        }
        out.push_str(&src[from..]);
        out
    }

    /// The source offset of the copy's offset `copy` (an inserted space maps to the start of its line).
    fn original(&self, copy: usize) -> usize {
        let k = self.in_copy.partition_point(|&start| start <= copy);
        if k == 0 {
            return copy;
        }
        let (line, n) = self.at[k - 1];
        let start = self.in_copy[k - 1];
        if copy < start + n {
            line
        } else {
            line + (copy - start - n)
        }
    }

    fn range(&self, r: Range<usize>) -> Range<usize> {
        self.original(r.start)..self.original(r.end)
    }
}

/// A [`Sink`] reading the padded copy: hands `inner` every node with its offsets in the source, and checks
/// that every pad lies inside a quoted scalar.
pub(super) struct Padded<'a, S> {
    inner: S,
    pads: &'a Pads,
    /// The first pad not yet met.
    next: usize,
    /// Some pad lay outside every quoted scalar.
    stray: bool,
}

impl<S> Padded<'_, S> {
    fn trusted(&self) -> bool {
        !self.stray && self.next == self.pads.in_copy.len()
    }
}

impl<S: Sink> Sink for Padded<'_, S> {
    fn leaf(&mut self, mut node: Node, anchor: usize) {
        let quoted = match &node.kind {
            NodeKind::Scalar(s) => {
                matches!(
                    s.style,
                    ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted
                )
            }
            _ => false,
        };
        let starts = &self.pads.in_copy;
        while self.next < starts.len() && starts[self.next] < node.span.end {
            if !(quoted && starts[self.next] > node.span.start) {
                self.stray = true;
            }
            self.next += 1;
        }
        if let NodeKind::Scalar(s) = &mut node.kind {
            s.text = self.pads.range(s.text.clone());
        }
        node.span = self.pads.range(node.span);
        self.inner.leaf(node, anchor);
    }

    fn alias(&mut self, span: Range<usize>, name: String, anchor: usize) {
        self.inner.alias(self.pads.range(span), name, anchor);
    }

    fn open(&mut self, mut node: Node, anchor: usize) {
        node.span = self.pads.range(node.span);
        self.inner.open(node, anchor);
    }

    fn close(&mut self, end: usize) {
        self.inner.close(self.pads.original(end));
    }
}

#[cfg(test)]
mod tests {
    use super::super::tree::{parse, Parsed};

    fn read(src: &str) -> super::super::tree::Tree {
        match parse(src) {
            Ok(Parsed::Tree(tree)) => tree,
            other => panic!("not read: {other:?}"),
        }
    }

    /// The scalar with value `value`, and its text in the source.
    fn text_of<'a>(src: &'a str, tree: &super::super::tree::Tree, value: &str) -> &'a str {
        let id = tree
            .walk()
            .find(|&id| tree.str(id) == Some(value))
            .unwrap_or_else(|| panic!("no scalar {value:?}"));
        &src[tree.scalar(id).unwrap().text.clone()]
    }

    #[test]
    fn continuation_lines_left_of_their_block_are_read_as_libyaml_reads_them() {
        // The shape of the Gateway API CRDs as traefik ships them (rule continued left of `rule`), then an
        // image after them: values as PyYAML reads them, offsets in the source.
        let src = "x-kubernetes-validations:\n  - message: m\n    rule: 'self.all(p1, p1.kind\n  == p2.kind ? ((!has(p1.sectionName) || p1.sectionName\n  == '''') == x)\n  : true)'\n  - rule: \"a\n b\\\n\tc\"\nimage: nginx:1.27\n";
        let tree = read(src);
        let values: Vec<&str> = tree.walk().filter_map(|id| tree.str(id)).collect();
        assert_eq!(
            values,
            [
                "x-kubernetes-validations",
                "message",
                "m",
                "rule",
                "self.all(p1, p1.kind == p2.kind ? ((!has(p1.sectionName) || p1.sectionName == '') == x) : true)",
                "rule",
                "a bc",
                "image",
                "nginx:1.27",
            ]
        );
        assert_eq!(text_of(src, &tree, "nginx:1.27"), "nginx:1.27");
        let m = src.find("m\n").unwrap();
        let id = tree.walk().find(|&id| tree.str(id) == Some("m")).unwrap();
        assert_eq!(tree[id].span, m..m + 1);
        // The multi-line scalar is never a place to write: its bytes are not its value.
        let rule = tree
            .walk()
            .find(|&id| tree.str(id).is_some_and(|v| v.starts_with("self.all")))
            .unwrap();
        assert!(tree.scalar(rule).unwrap().differs.is_some());
        assert_eq!(
            &src[tree[rule].span.clone()],
            &src[src.find("'self").unwrap()..src.find(")'").unwrap() + 2]
        );
        // Same with CRLF line breaks.
        let crlf = src.replace('\n', "\r\n");
        let tree = read(&crlf);
        assert_eq!(text_of(&crlf, &tree, "nginx:1.27"), "nginx:1.27");
    }

    #[test]
    fn what_libyaml_refuses_stays_an_error() {
        // A document marker inside a quoted scalar.
        assert!(parse("a:\n  b: 'x\n---\ny'\n").is_err());
        assert!(parse("a:\n  b: 'x\n...\ny'\n").is_err());
        // Not a marker: `...` followed by more text (found by the differential check).
        let src = "a:\n  b: ['./---\n...']\nimage: nginx:1\n";
        let tree = read(src);
        assert!(tree.walk().any(|id| tree.str(id) == Some("./--- ...")));
        // A quote never closed.
        assert!(parse("a:\n  b: 'x\ny\n").is_err());
        // A real error after a padded scalar is reported where it is in the source.
        let src = "a:\n  b: 'x\ny'\n  c: [\n";
        let e = parse(src).unwrap_err();
        assert!(e.offset >= src.find("c:").unwrap(), "{e:?}");
    }

    #[test]
    fn a_wrong_guess_is_not_trusted() {
        // A plain scalar continued on a line that starts with a quote looks like a quoted scalar to the
        // guess, which would then pad `x: 1` into it: that reading is not taken, and only the scalar the
        // parser names is padded.
        let src = "k: word\n  'quoted\nx: 1\ny:\n  z: 'z\n w'\nimage: nginx:1\n";
        let tree = read(src);
        let values: Vec<&str> = tree.walk().filter_map(|id| tree.str(id)).collect();
        assert_eq!(
            values,
            [
                "k",
                "word 'quoted",
                "x",
                "1",
                "y",
                "z",
                "z w",
                "image",
                "nginx:1"
            ]
        );
        assert_eq!(text_of(src, &tree, "nginx:1"), "nginx:1");
        assert_eq!(text_of(src, &tree, "word 'quoted"), "word\n  'quoted");
    }
}
