//! Tag comments: the tag a digest pin follows, kept readable beside it instead of inside the reference.
//!
//! `--tag-comment` pins `image: nginx:1.27` as `image: nginx@sha256:… # nginx:1.27` where the format has
//! comments after a value (YAML), and as a comment line above (`# pin: nginx:1.27`) where comments are whole
//! lines (Dockerfiles), or where the rest of a YAML line holds more than a comment (a flow mapping). `pin
//! update` follows the tag such a comment names; `pin unpin` puts it back and removes the comment.
//!
//! A comment belongs to a reference only when it names the same image as written (`nginx` for
//! `nginx@sha256:…`): an ordinary comment that happens to follow an image is never taken for a tag. The comment
//! holds the reference exactly as it was before pinning, so an untagged `nginx` is recorded as `# nginx` (and
//! followed as `latest`), and unpinning gives back the very bytes that were pinned.
//! Inserting and finding are exact inverses: the bytes [`insertion`] adds are the range [`find`] reports.

use std::ops::Range;

use super::Kind;
use crate::reference::action::{ActionRef, CommentForm, RefComment};
use crate::reference::Reference;

/// Where a format's comments may go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommentStyle {
    /// After a value on its line, or on a line of their own (YAML, Starlark).
    Trailing,
    /// Only on a line of their own (Dockerfiles, systemd units such as Quadlet files).
    WholeLine,
    /// HCL: `#` after a quoted string on its line, or on a line of their own; none inside a heredoc, where
    /// a `#` is text.
    Hcl,
    /// JSON with comments (dev container files): `//` after a value on its line, or on a line of its own.
    Jsonc,
    /// No comments at all (JSON): a tag comment cannot be written, and the tag stays in the reference.
    None,
}

impl CommentStyle {
    /// The marker of a tag comment on a line of its own.
    fn line_marker(self) -> &'static str {
        match self {
            CommentStyle::Jsonc => "// pin: ",
            _ => "# pin: ",
        }
    }

    /// What precedes the tag of a comment after the value, where there can be one.
    fn trailing_marker(self) -> Option<&'static str> {
        match self {
            CommentStyle::Trailing | CommentStyle::Hcl => Some(" # "),
            CommentStyle::Jsonc => Some(" // "),
            CommentStyle::WholeLine | CommentStyle::None => None,
        }
    }

    /// Whether `text` (the rest of a line, after white space) starts a comment of this format.
    fn starts_comment(self, text: &str) -> bool {
        match self {
            CommentStyle::Hcl => text.starts_with('#') || text.starts_with("//"),
            CommentStyle::Jsonc => text.starts_with("//"),
            _ => text.starts_with('#'),
        }
    }
}

/// How comments are written in a file of `kind` holding `src` (from the kind table; a Cloud Build config is
/// YAML or JSON, told apart as its finder tells them).
pub fn style(kind: Kind, src: &str) -> CommentStyle {
    match kind {
        Kind::CloudBuild if !super::cloud_build::is_json(src) => CommentStyle::Trailing,
        _ => kind.info().comments,
    }
}

/// A tag comment found beside a pinned reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagComment {
    /// The reference the comment names, as written there: `nginx:1.27`, or `nginx` (which follows `latest`).
    pub reference: Reference,
    /// The bytes that hold the comment, and that `pin unpin` removes (a trailing comment with the space before
    /// it, or a whole line with its line ending).
    pub range: Range<usize>,
}

/// The tag comment of the reference at `span`, which names `pinned` (a reference with a digest), if there is
/// one.
pub fn find(
    src: &str,
    span: &Range<usize>,
    pinned: &Reference,
    style: CommentStyle,
) -> Option<TagComment> {
    if style == CommentStyle::None {
        return None;
    }
    if let Some(marker) = style.trailing_marker() {
        let at = after_value(src, span, style);
        if let Some(rest) = src[at..].strip_prefix(marker) {
            let len = token_len(rest);
            if let Some(reference) = names(&rest[..len], pinned) {
                return Some(TagComment {
                    reference,
                    range: at..at + marker.len() + len,
                });
            }
        }
    }
    // The comment lines directly above the reference's line (or, for a YAML block scalar or an HCL heredoc,
    // above the line that opens it): the first that names this image.
    let mut line_start = line_start(src, span.start);
    if let Some(opener) = opener(src, line_start, &src[line_start..span.start], style) {
        line_start = opener;
    }
    let text_start = if src.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    while line_start > text_start {
        let above = line_start_before(src, line_start).max(text_start);
        let line = &src[above..line_start];
        let body = line.trim_end_matches(['\n', '\r']);
        let trimmed = body.trim_start();
        let Some(rest) = trimmed.strip_prefix(style.line_marker()) else {
            break;
        };
        if token_len(rest) == rest.len() {
            if let Some(reference) = names(rest, pinned) {
                return Some(TagComment {
                    reference,
                    range: above..line_start,
                });
            }
        }
        line_start = above;
    }
    None
}

/// The edit that adds a tag comment naming `tagged` (`nginx:1.27`) to the reference at `span`, as a range (an
/// empty one, where text is inserted) and its text. A value inside a YAML block scalar or an HCL heredoc, where
/// a `#` is text, gets its comment line above the line that opens it (`image: >-`, `image = <<EOT`). `None`
/// where no comment can go: a Dockerfile directive is itself a comment line, and a line above it would end
/// the directives.
pub fn insertion(
    src: &str,
    span: &Range<usize>,
    tagged: &str,
    style: CommentStyle,
) -> Option<(Range<usize>, String)> {
    let start = line_start(src, span.start);
    if let Some(opener) = opener(src, start, &src[start..span.start], style) {
        let line = &src[opener..];
        let indent = &line[..line.len() - line.trim_start_matches([' ', '\t']).len()];
        return Some((
            opener..opener,
            format!(
                "{indent}{}{tagged}{}",
                style.line_marker(),
                line_ending(src, opener)
            ),
        ));
    }
    insertion_of(src, span, tagged, tagged, style)
}

/// Where the line starts that opens the block holding the value whose line starts at `start` (with `before`
/// ahead of it on the line): the header of a YAML block scalar (`image: >-`), or the line of an HCL heredoc's
/// `<<EOT` / `<<-EOT` (whose one line is the value). `None` for a value that is not the first content line of
/// either.
fn opener(src: &str, start: usize, before: &str, style: CommentStyle) -> Option<usize> {
    if !before.trim().is_empty() {
        return None;
    }
    match style {
        CommentStyle::Trailing => block_scalar_header(src, start),
        CommentStyle::Hcl => {
            if start == 0 {
                return None;
            }
            let above = line_start_before(src, start);
            let line = src[above..start].trim_end_matches(['\n', '\r']).trim_end();
            let (code, marker) = line.rsplit_once("<<")?;
            let id = marker.strip_prefix('-').unwrap_or(marker);
            let opens = !code.trim().is_empty()
                && !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            opens.then_some(above)
        }
        _ => None,
    }
}

/// The edit that records the ref a pinned action was made from (`original`, `actions/checkout@v4.2.1`): a
/// trailing ` # v4.2.1`, or where nothing but a comment may follow the value on its line, a line above
/// naming the whole action (`# pin: actions/checkout@v4.2.1`). `None` where no comment can go.
#[allow(dead_code)] // used by the plan once actions are resolved
pub fn ref_insertion(
    src: &str,
    span: &Range<usize>,
    original: &ActionRef,
    style: CommentStyle,
) -> Option<(Range<usize>, String)> {
    insertion_of(src, span, original.git_ref(), original.as_str(), style)
}

/// The ref comment of the pinned action at `span` (`pinned`, whose ref is a commit), and the bytes that
/// hold it: a trailing comment whose only word is the ref (`# v4.2.1`, `# tag=v4.2.1`,
/// `# ratchet:actions/checkout@v4.2.1`; another comment may follow it), or a comment line directly above
/// naming the same action (`# pin: actions/checkout@v4.2.1`). The range starts where the value (and its
/// closing quote) ends, so that removing it leaves the line as it was before pinning.
pub fn find_ref(
    src: &str,
    span: &Range<usize>,
    pinned: &ActionRef,
    style: CommentStyle,
) -> Option<(RefComment, Range<usize>)> {
    if style == CommentStyle::None {
        return None;
    }
    if style == CommentStyle::Trailing {
        let at = after_value(src, span, style);
        let rest = &src[at..super::line_end(src, span.end)];
        let blanks = rest.len() - rest.trim_start_matches([' ', '\t']).len();
        if let Some(after_hash) = rest[blanks..].strip_prefix('#').filter(|_| blanks > 0) {
            let lead = after_hash.len() - after_hash.trim_start_matches([' ', '\t']).len();
            let word_start = blanks + 1 + lead;
            let word_end = word_start + token_len(&rest[word_start..]);
            let tail = &rest[word_end..];
            let alone = tail.trim().is_empty()
                || (tail.starts_with([' ', '\t']) && tail.trim_start().starts_with('#'));
            if alone {
                if let Some(c) = RefComment::parse(&rest[word_start..word_end], pinned) {
                    return Some((c, at..at + word_end));
                }
            }
        }
    }
    let mut line_start = line_start(src, span.start);
    while line_start > 0 {
        let above = line_start_before(src, line_start);
        let body = src[above..line_start].trim_end_matches(['\n', '\r']);
        let rest = body
            .trim_start_matches('\u{feff}')
            .trim_start()
            .strip_prefix(style.line_marker())?;
        if token_len(rest) == rest.len() {
            let named = ActionRef::parse(rest)
                .ok()
                .filter(|a| !a.is_pinned() && a.name().eq_ignore_ascii_case(pinned.name()));
            if let Some(a) = named {
                let comment = RefComment {
                    git_ref: a.git_ref().to_string(),
                    form: CommentForm::Line,
                };
                return Some((comment, above..line_start));
            }
        }
        line_start = above;
    }
    None
}

/// [`insertion`], with the text of a trailing comment and of a comment line above given apart.
fn insertion_of(
    src: &str,
    span: &Range<usize>,
    trailing: &str,
    tagged: &str,
    style: CommentStyle,
) -> Option<(Range<usize>, String)> {
    if style == CommentStyle::None {
        return None;
    }
    let mut start = line_start(src, span.start);
    // A UTF-8 BOM stays the file's first bytes.
    if start == 0 && src.starts_with('\u{feff}') {
        start = '\u{feff}'.len_utf8();
    }
    let line_end = super::line_end(src, span.end);
    let before = &src[start..span.start];
    if before.trim_start().starts_with('#')
        || (style == CommentStyle::Trailing && block_scalar_header(src, start).is_some() && before.trim().is_empty())
        // In HCL the value is a quoted string on its line, or a heredoc's line; a line that a block
        // comment (`/* … */`) spans into would take the comment line into it.
        || (style == CommentStyle::Hcl && (!before.contains('"') || before.contains("*/")))
    {
        return None;
    }
    if let Some(marker) = style.trailing_marker() {
        let at = after_value(src, span, style);
        let rest = src[at..line_end].trim_end_matches('\r');
        let rest_trimmed = rest.trim_start();
        if rest_trimmed.is_empty()
            || (style.starts_comment(rest_trimmed) && rest.len() > rest_trimmed.len())
        {
            return Some((at..at, format!("{marker}{trailing}")));
        }
    }
    let indent: String = before
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    Some((
        start..start,
        format!(
            "{indent}{}{tagged}{}",
            style.line_marker(),
            line_ending(src, span.start)
        ),
    ))
}

/// The start of the header line of the YAML block scalar (`image: >-`, the value on a later line) whose first
/// content line starts at `start`, where a `#` is text, not a comment: the first line above that is not blank.
fn block_scalar_header(src: &str, start: usize) -> Option<usize> {
    let mut end = start;
    while end > 0 {
        let above = line_start_before(src, end);
        let line = src[above..end].trim_end_matches(['\n', '\r']);
        end = above;
        if line.trim().is_empty() {
            continue;
        }
        // The header's indicator is its last word before any comment: `|`, `>-`, `|+2`.
        let code = line.find(" #").map_or(line, |i| &line[..i]);
        let last = code.split_whitespace().next_back().unwrap_or_default();
        let mut chars = last.chars();
        let header = matches!(chars.next(), Some('|' | '>'))
            && chars.all(|c| c == '-' || c == '+' || c.is_ascii_digit());
        return header.then_some(above);
    }
    None
}

/// `text` as a reference without a digest that names the same image as `pinned`. Without a tag it stands for
/// `latest`, as the reference it was pinned from did.
fn names(text: &str, pinned: &Reference) -> Option<Reference> {
    let r = Reference::parse(text).ok()?;
    (r.digest().is_none() && r.name() == pinned.name()).then_some(r)
}

/// Length of the reference-like word at the start of `s` (up to whitespace).
fn token_len(s: &str) -> usize {
    s.find(|c: char| c.is_whitespace()).unwrap_or(s.len())
}

/// Where a value ends in the file: after the span, and after the closing quote of a quoted scalar. In HCL
/// and JSON a reference ends its string (after a prefix such as Bake's `docker-image://`), so a `"` right
/// after the span closes it.
fn after_value(src: &str, span: &Range<usize>, style: CommentStyle) -> usize {
    let open = src[..span.start].chars().next_back();
    let close = src[span.end..].chars().next();
    match (open, close, style) {
        (_, Some('"'), CommentStyle::Hcl | CommentStyle::Jsonc) => span.end + 1,
        (Some(q @ ('"' | '\'')), Some(c), _) if c == q => span.end + 1,
        _ => span.end,
    }
}

/// Lines end at `\n`, `\r\n` or a lone `\r` ([`super::line_start`]).
fn line_start(src: &str, offset: usize) -> usize {
    super::line_start(src, offset)
}

/// The start of the line before the one starting at `start` (> 0).
fn line_start_before(src: &str, start: usize) -> usize {
    super::line_start(src, start - 1)
}

/// The line ending of the line holding `offset` (`\n`, `\r\n` or a lone `\r`); for a last line without one,
/// the file's first.
fn line_ending(src: &str, offset: usize) -> &'static str {
    let end = super::line_end(src, offset);
    match &src[end..] {
        rest if rest.starts_with("\r\n") => "\r\n",
        rest if rest.starts_with('\r') => "\r",
        rest if rest.starts_with('\n') => "\n",
        _ => super::yaml::line_ending(src),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rewrite::{apply, Edit};

    const D: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    /// Writes `pinned` over `span` of `src` and inserts the comment `insert`, finds the comment again with
    /// `comment_at` (given the output and the pinned value's place), unpins (the inverse), and returns the
    /// pinned text.
    fn round_trip(
        src: &str,
        span: Range<usize>,
        value: &str,
        pinned: &str,
        (range, text): (Range<usize>, String),
        comment_at: impl FnOnce(&str, &Range<usize>) -> Range<usize>,
    ) -> String {
        let edits = [
            Edit {
                range: span,
                replacement: pinned.to_string(),
            },
            Edit {
                range,
                replacement: text,
            },
        ];
        let out = apply(src, &edits).unwrap();
        let new_at = out.find(pinned).unwrap();
        let new_span = new_at..new_at + pinned.len();
        let comment = comment_at(&out, &new_span);
        let back = apply(
            &out,
            &[
                Edit {
                    range: new_span,
                    replacement: value.to_string(),
                },
                Edit {
                    range: comment,
                    replacement: String::new(),
                },
            ],
        )
        .unwrap();
        assert_eq!(back, src);
        out
    }

    /// Pins `value` (found in `src`) with a tag comment; then finds the comment again and checks its range.
    fn pin(src: &str, value: &str, style: CommentStyle) -> String {
        let at = src.find(value).unwrap();
        let span = at..at + value.len();
        let r = Reference::parse(value).unwrap();
        let pinned = r.pinned(D, false);
        let insert = insertion(src, &span, r.as_str(), style).unwrap();
        round_trip(src, span, value, &pinned, insert, |out, new_span| {
            let c = find(out, new_span, &Reference::parse(&pinned).unwrap(), style)
                .expect("found again");
            assert_eq!(c.reference.as_str(), value);
            c.range
        })
    }

    #[test]
    fn yaml_comments_trail_the_value_before_an_existing_comment() {
        use CommentStyle::Trailing as T;
        assert_eq!(
            pin("image: nginx:1.27\n", "nginx:1.27", T),
            format!("image: nginx@{D} # nginx:1.27\n")
        );
        assert_eq!(
            pin("image: \"nginx:1.27\"  # keep\r\n", "nginx:1.27", T),
            format!("image: \"nginx@{D}\" # nginx:1.27  # keep\r\n")
        );
        assert_eq!(
            pin("image: 'a/b:1'", "a/b:1", T),
            format!("image: 'a/b@{D}' # a/b:1")
        );
        // Something else follows on the line: a comment line above, indented like the line.
        assert_eq!(
            pin("x:\n  - {image: a:1, name: b}\r\n", "a:1", T),
            format!("x:\n  # pin: a:1\r\n  - {{image: a@{D}, name: b}}\r\n")
        );
    }

    /// Old Mac text: a lone `\r` ends a line, and an inserted comment line ends with one.
    #[test]
    fn cr_only_lines_are_lines() {
        use CommentStyle::{Trailing as T, WholeLine as W};
        assert_eq!(
            pin("a:\r  image: nginx:1.27\r  name: x\r", "nginx:1.27", T),
            format!("a:\r  image: nginx@{D} # nginx:1.27\r  name: x\r")
        );
        assert_eq!(
            pin("x:\r  - {image: a:1, name: b}\ry: 1", "a:1", T),
            format!("x:\r  # pin: a:1\r  - {{image: a@{D}, name: b}}\ry: 1")
        );
        assert_eq!(
            pin("FROM x\r  COPY --from=c:2 / /\r", "c:2", W),
            format!("FROM x\r  # pin: c:2\r  COPY --from=c@{D} / /\r")
        );
        // A `#` inside a block scalar is text: the comment goes above its header.
        assert_eq!(
            pin("x:\r  image: >- # note\r    a:1\r", "a:1", T),
            format!("x:\r  # pin: a:1\r  image: >- # note\r    a@{D}\r")
        );
    }

    /// A block scalar's value gets its comment line above the header, indented as the header (in a sequence
    /// entry too), and the comment is found again from the value.
    #[test]
    fn block_scalars_get_their_comment_above_the_header() {
        use CommentStyle::Trailing as T;
        assert_eq!(
            pin("spec:\n  - image: |-\n\n      a:1\n    name: b\n", "a:1", T),
            format!("spec:\n  # pin: a:1\n  - image: |-\n\n      a@{D}\n    name: b\n")
        );
        assert_eq!(
            pin("image: >\n  a:1\n", "a:1", T),
            format!("# pin: a:1\nimage: >\n  a@{D}\n")
        );
    }

    #[test]
    fn dockerfile_comments_are_lines_above() {
        use CommentStyle::WholeLine as W;
        assert_eq!(
            pin("FROM a:1 AS b\n", "a:1", W),
            format!("# pin: a:1\nFROM a@{D} AS b\n")
        );
        assert_eq!(
            pin("\u{feff}FROM a:1\r\nRUN x", "a:1", W),
            format!("\u{feff}# pin: a:1\r\nFROM a@{D}\r\nRUN x")
        );
        assert_eq!(
            pin("FROM x\n  COPY --from=c:2 / /", "c:2", W),
            format!("FROM x\n  # pin: c:2\n  COPY --from=c@{D} / /")
        );
        assert!(insertion("image:\n  a:1\n", &(9..12), "a:1", CommentStyle::Trailing).is_some());
        let directive = "# syntax=docker/dockerfile:1\nFROM a\n";
        let at = directive.find("docker/").unwrap();
        assert_eq!(
            insertion(directive, &(at..at + 19), "docker/dockerfile:1", W),
            None
        );
    }

    #[test]
    fn hcl_comments_follow_the_string_or_go_above() {
        use CommentStyle::Hcl as H;
        assert_eq!(
            pin("  image = \"nginx:1.27\"\n", "nginx:1.27", H),
            format!("  image = \"nginx@{D}\" # nginx:1.27\n")
        );
        assert_eq!(
            pin("  base = \"docker-image://a:1\" // x\r\n", "a:1", H),
            format!("  base = \"docker-image://a@{D}\" # a:1 // x\r\n")
        );
        assert_eq!(
            pin("  config { image = \"a:1\" }\n", "a:1", H),
            format!("  # pin: a:1\n  config {{ image = \"a@{D}\" }}\n")
        );
        // A heredoc's line, where `#` is text: the comment goes above the line that opens it.
        assert_eq!(
            pin("  image = <<-EOT\r\n    a:1\r\n  EOT\r\n", "a:1", H),
            format!("  # pin: a:1\r\n  image = <<-EOT\r\n    a@{D}\r\n  EOT\r\n")
        );
        // A line a block comment spans into: no comment.
        let block = "/* x\n */ image = \"a:1\"\n";
        let at = block.find("a:1").unwrap();
        assert_eq!(insertion(block, &(at..at + 3), "a:1", H), None);
    }

    #[test]
    fn jsonc_comments_use_slashes() {
        use CommentStyle::Jsonc as J;
        assert_eq!(
            pin("{\n  \"image\": \"a:1\",\n  \"x\": 1\n}\n", "a:1", J),
            format!("{{\n  // pin: a:1\n  \"image\": \"a@{D}\",\n  \"x\": 1\n}}\n")
        );
        assert_eq!(
            pin("{\n  \"image\": \"a:1\"\n}\n", "a:1", J),
            format!("{{\n  \"image\": \"a@{D}\" // a:1\n}}\n")
        );
        assert_eq!(
            insertion("[\"a:1\"]", &(2..5), "a:1", CommentStyle::None),
            None
        );
    }

    #[test]
    fn only_a_comment_naming_the_same_image_counts() {
        let src =
            format!("# pin: other:1\n# pin: a:2 extra\n# pin: a:1\n# pin: a@{D}\nFROM a@{D}\n");
        let at = src.rfind("a@").unwrap();
        let span = at..at + 2 + D.len();
        let r = Reference::parse(&src[span.clone()]).unwrap();
        let c = find(&src, &span, &r, CommentStyle::WholeLine).unwrap();
        assert_eq!(
            (c.reference.as_str(), &src[c.range]),
            ("a:1", "# pin: a:1\n")
        );
        let src = format!("# pin: a:1\n\nFROM a@{D}\n");
        let at = src.rfind("a@").unwrap();
        let span = at..at + 2 + D.len();
        assert_eq!(
            find(&src, &span, &r, CommentStyle::WholeLine),
            None,
            "a blank line between"
        );
        let src = format!("image: a@{D} # b:1\n");
        let at = src.find("a@").unwrap();
        assert_eq!(
            find(&src, &(at..at + 2 + D.len()), &r, CommentStyle::Trailing),
            None
        );
    }

    /// Pins the action `value` (found in `src`) with a ref comment, finds the comment again, and unpins.
    fn pin_action(src: &str, value: &str, style: CommentStyle) -> String {
        let at = src.find(value).unwrap();
        let span = at..at + value.len();
        let original = ActionRef::parse(value).unwrap();
        let commit = "c".repeat(40);
        let pinned = original.pinned(&commit);
        let insert = ref_insertion(src, &span, &original, style).unwrap();
        round_trip(src, span, value, &pinned, insert, |out, new_span| {
            let (comment, range) =
                find_ref(out, new_span, &ActionRef::parse(&pinned).unwrap(), style).expect("found");
            assert_eq!(comment.git_ref, original.git_ref());
            range
        })
    }

    #[test]
    fn action_ref_comments_trail_the_value_or_go_above() {
        use CommentStyle::Trailing as T;
        let c = "c".repeat(40);
        assert_eq!(
            pin_action(
                "- uses: actions/checkout@v4.2.1\n",
                "actions/checkout@v4.2.1",
                T
            ),
            format!("- uses: actions/checkout@{c} # v4.2.1\n")
        );
        assert_eq!(
            pin_action("  uses: 'a/b/x@v1'  # keep\r\n", "a/b/x@v1", T),
            format!("  uses: 'a/b/x@{c}' # v1  # keep\r\n")
        );
        assert_eq!(
            pin_action("  - {uses: a/b@main, with: {x: 1}}\n", "a/b@main", T),
            format!("  # pin: a/b@main\n  - {{uses: a/b@{c}, with: {{x: 1}}}}\n")
        );
    }

    #[test]
    fn action_ref_comments_of_other_tools_are_read() {
        let c = "c".repeat(40);
        fn read(src: &str) -> Option<(String, CommentForm, &str)> {
            let at = src.find("actions/checkout@").unwrap();
            let span = at..at + "actions/checkout@".len() + 40;
            let pinned = ActionRef::parse(&src[span.clone()]).unwrap();
            find_ref(src, &span, &pinned, CommentStyle::Trailing)
                .map(|(c, r)| (c.git_ref, c.form, &src[r]))
        }
        assert_eq!(
            read(&format!(
                "uses: 'actions/checkout@{c}' # ratchet:actions/checkout@v4\n"
            )),
            Some((
                "v4".into(),
                CommentForm::Ratchet,
                " # ratchet:actions/checkout@v4"
            ))
        );
        assert_eq!(
            read(&format!("uses: actions/checkout@{c} #tag=v4.1.0 # more\n")),
            Some(("v4.1.0".into(), CommentForm::TagEquals, " #tag=v4.1.0"))
        );
        assert_eq!(
            read(&format!("uses: actions/checkout@{c} # pinned by hand\n")),
            None
        );
        assert_eq!(
            read(&format!("uses: actions/checkout@{c}# v4\n")),
            None,
            "no space: part of the value"
        );
        assert_eq!(
            read(&format!(
                "# pin: actions/setup-go@v5\nuses: actions/checkout@{c}\n"
            )),
            None,
            "another action's line"
        );
    }
}
