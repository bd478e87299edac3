//! Podman Quadlet finder: the `Image=` keys of `.container`, `.image` and `.volume` units.
//!
//! # What is found
//!
//! podman-systemd.unit(5) lists `Image=` for three unit types: `[Container] Image=` (the image the
//! container runs), `[Image] Image=` (the image an image unit pulls) and `[Volume] Image=` (the image an
//! image-driver volume is made from). Every `Image=` key inside one of these sections is a candidate, in any
//! of the three file kinds (a section of another unit type is ignored by Quadlet, and holds no reference).
//!
//! The file is read as Quadlet's own parser reads it (`pkg/systemd/parser` in podman): lines are split at
//! `\n` and trimmed of whitespace (so `\r\n` files read the same); a line that is empty or starts with `#`
//! or `;` is a comment; a line ending in `\` continues on the next one (comment lines in between are
//! dropped); `[Name]` opens a section; anything else must be `Key=value`, the value trimmed, and one pair
//! of surrounding double quotes removed. A line that is none of these, or a key before any section, is an
//! error at its line, as Quadlet refuses the file too.
//!
//! The span is the value's bytes (inside its quotes); a `docker://` prefix is kept and the reference after
//! it is the span.
//!
//! # What is skipped, with a reason
//!
//! * A value ending in `.image` or `.build`: it names another Quadlet unit (the image an image unit pulls,
//!   or one a build unit builds), pinned in that unit, not a registry reference.
//! * A value continued over several lines with `\`: it has no single span to rewrite.
//! * A value with a systemd specifier (`%i` in a template unit), expanded only when the unit runs.
//! * A source of another transport (`docker-archive:/tmp/x.tar`, `oci:…`, `containers-storage:…`).
//! * `[Image]` with `AllTags=true` (it pulls every tag of a repository), and `[Volume]` whose `Driver` is
//!   not `image` (Quadlet uses its `Image=` only for the image driver).
//! * An empty value.
//!
//! A `# pin: ignore` (or `; pin: ignore`) comment line directly above an `Image=` line marks it ignored.
//!
//! # What is not found
//!
//! * `.build` units: their `ImageTag=` names the image they build (an output); the `File=` they build from
//!   is a Containerfile, read as one. `.pod`, `.kube`, `.network` and `.artifact` units have no `Image=`
//!   key (a `.kube` unit's YAML is read as Kubernetes YAML; an `.artifact`'s `Artifact=` is not an image).
//! * Images elsewhere in a unit: `Mount=type=image,source=…`, `PodmanArgs=`, `Exec=`.
//! * Drop-in files (`web.container.d/*.conf`), which may override `Image=`.

use std::ops::Range;

use super::{Candidate, FindError, Findings, SkipReason, Target};

/// The skip reason of an `Image=` naming another Quadlet unit.
pub const QUADLET_UNIT: &str =
    "names the image of another Quadlet unit (`.image`/`.build`), not a registry reference";
/// The skip reason of a value continued over several lines.
pub const CONTINUED: &str = "the value is continued over several lines with `\\`";
/// The skip reason of a value with a systemd specifier.
pub const SPECIFIER: &str = "holds a systemd specifier (`%…`), expanded only when the unit runs";
/// The skip reason of `[Image]` with `AllTags=true`.
pub const ALL_TAGS: &str = "`AllTags=true` pulls every tag of the repository";
/// The skip reason of a volume `Image=` that Quadlet does not use.
pub const NOT_IMAGE_DRIVER: &str = "unused: the volume's `Driver` is not `image`";

/// The sections whose `Image=` names an image.
const SECTIONS: &[&str] = &["Container", "Image", "Volume"];
const DOCKER: &str = "docker://";
/// Transports of containers-transports(5) other than `docker://`: their sources are no registry references.
const TRANSPORTS: &[&str] = &[
    "docker-archive:",
    "docker-daemon:",
    "oci-archive:",
    "oci:",
    "dir:",
    "containers-storage:",
    "sif:",
];

/// One logical line: the trimmed pieces of the physical lines it was joined from (a continued line
/// without its final `\`).
struct Logical {
    pieces: Vec<Range<usize>>,
}

impl Logical {
    /// The joined text, as Quadlet reads it.
    fn text(&self, src: &str) -> String {
        self.pieces.iter().map(|r| &src[r.clone()]).collect()
    }

    /// The file offset of offset `at` of [`Logical::text`], and the end of the piece holding it.
    fn locate(&self, src: &str, mut at: usize) -> (usize, usize) {
        for r in &self.pieces {
            if at < r.len() || r == self.pieces.last().expect("a piece") {
                let offset = (r.start + at).min(r.end);
                let mut start = offset;
                while !src.is_char_boundary(start) {
                    start -= 1;
                }
                return (start, r.end);
            }
            at -= r.len();
        }
        unreachable!("a logical line has a piece")
    }
}

/// An `Image=` key found in one of [`SECTIONS`].
struct ImageKey {
    section: String,
    line: Logical,
    /// Offset of the value in the joined text.
    value_at: usize,
}

/// Finds the `Image=` references of a Quadlet unit. See the module documentation.
pub fn find(src: &str) -> Result<Findings, FindError> {
    let bom = if src.starts_with('\u{feff}') { 3 } else { 0 };
    let mut section: Option<String> = None;
    let mut continued: Vec<Range<usize>> = Vec::new();
    let mut images = Vec::new();
    let mut ignore_comments = Vec::new();
    // The last value of `[Image] AllTags` and `[Volume] Driver`: the last one set is the one Quadlet uses.
    let (mut all_tags, mut driver) = (None::<String>, None::<String>);
    let body = src[bom..].strip_suffix('\n').unwrap_or(&src[bom..]);
    let line_count = body.split('\n').count();
    let mut at = bom;
    for (i, line) in body.split('\n').enumerate() {
        let start = at;
        at += line.len() + 1;
        let lead = line.len() - line.trim_start().len();
        let trimmed = start + lead..start + line.trim_end().len().max(lead);
        let text = &src[trimmed.clone()];
        if text.is_empty() || text.starts_with(['#', ';']) {
            if continued.is_empty() && is_ignore(text) {
                ignore_comments.push(trimmed);
            }
            continue;
        }
        let mut piece = trimmed;
        if text.ends_with('\\') {
            piece.end -= 1;
            if i + 1 != line_count {
                continued.push(piece);
                continue;
            }
        }
        continued.push(piece);
        let logical = Logical {
            pieces: std::mem::take(&mut continued),
        };
        let joined = logical.text(src);
        let here = logical.pieces[0].start;
        if let Some(name) = group(&joined) {
            if name.is_empty() || name.contains(['[', ']']) || name.chars().any(char::is_control) {
                return Err(error(here, format!("invalid section name [{name}]")));
            }
            section = Some(name.to_owned());
            continue;
        }
        let Some(eq) = joined.find('=').filter(|&p| p > 0) else {
            return Err(error(
                here,
                "not a `Key=value` line, a `[Section]` or a comment".to_owned(),
            ));
        };
        let Some(name) = &section else {
            return Err(error(here, "a key before the first `[Section]`".to_owned()));
        };
        let key = joined[..eq].trim_end();
        let rest = &joined[eq + 1..];
        let value_at = eq + 1 + (rest.len() - rest.trim_start().len());
        let value = || unquote(joined[value_at..].trim_end()).to_owned();
        match (name.as_str(), key) {
            ("Image", "AllTags") => all_tags = Some(value()),
            ("Volume", "Driver") => driver = Some(value()),
            (s, "Image") if SECTIONS.contains(&s) => images.push(ImageKey {
                section: s.to_owned(),
                line: logical,
                value_at,
            }),
            _ => {}
        }
    }
    let all_tags = all_tags.is_some_and(|v| is_true(&v));
    let image_driver = driver.as_deref() == Some("image");
    let candidates = images
        .into_iter()
        .map(|key| {
            let skip = match key.section.as_str() {
                "Image" if all_tags => Some(ALL_TAGS),
                "Volume" if !image_driver => Some(NOT_IMAGE_DRIVER),
                _ => None,
            };
            candidate(src, &key, skip)
        })
        .collect();
    Ok(Findings {
        candidates,
        skipped: None,
        ignore_comments,
    })
}

/// The candidate for an `Image=` key, skipped for `skip` or for what its value is.
fn candidate(src: &str, key: &ImageKey, skip: Option<&'static str>) -> Candidate {
    let joined = key.line.text(src);
    let raw = joined[key.value_at..].trim_end();
    let quoted = raw.len() >= 2 && raw.starts_with('"') && raw.ends_with('"');
    let mut value_at = key.value_at + usize::from(quoted);
    let mut value = unquote(raw);
    if let Some(rest) = value.strip_prefix(DOCKER) {
        value_at += DOCKER.len();
        value = rest;
    }
    let (start, piece_end) = key.line.locate(src, value_at);
    let reason = skip.map(SkipReason::fixed).or_else(|| {
        if key.line.pieces.len() > 1 {
            Some(SkipReason::fixed(CONTINUED))
        } else if value.is_empty() {
            Some(SkipReason::Empty)
        } else if value.ends_with(".image") || value.ends_with(".build") {
            Some(SkipReason::fixed(QUADLET_UNIT))
        } else if value.contains('%') {
            Some(SkipReason::template(SPECIFIER))
        } else {
            None
        }
    });
    let transport = TRANSPORTS.iter().find(|t| value.starts_with(**t));
    let reason = reason.or_else(|| {
        transport.map(|t| {
            SkipReason::NotPinnable(
                format!(
                    "a `{t}` source (an archive, a directory or a local store), not a registry reference"
                )
                .into(),
            )
        })
    });
    let span = if key.line.pieces.len() > 1 {
        start..piece_end
    } else {
        start..start + value.len()
    };
    Candidate {
        span,
        value: value.to_owned(),
        skip: reason,
        pull_policy_set: None,
        target: Target::Reference,
        artifact: None,
    }
}

/// The section name of a `[Name]` line (only blanks may follow the `]`).
fn group(line: &str) -> Option<&str> {
    let rest = line.strip_prefix('[')?;
    let end = rest.find(']')?;
    rest[end + 1..]
        .chars()
        .all(|c| c == ' ' || c == '\t')
        .then_some(&rest[..end])
}

/// A value without one pair of surrounding double quotes, as Quadlet's `Lookup` reads it.
fn unquote(value: &str) -> &str {
    if value.len() >= 2 && value.starts_with('"') && value.ends_with('"') {
        &value[1..value.len() - 1]
    } else {
        value
    }
}

/// A systemd boolean's true values.
fn is_true(value: &str) -> bool {
    ["1", "yes", "true", "on"]
        .iter()
        .any(|t| value.eq_ignore_ascii_case(t))
}

/// Whether a comment line (`#` or `;`) is `# pin: ignore`.
fn is_ignore(comment: &str) -> bool {
    comment
        .strip_prefix(['#', ';'])
        .is_some_and(|rest| super::is_ignore_comment(&format!("#{rest}")))
}

fn error(offset: usize, message: String) -> FindError {
    FindError { offset, message }
}

#[cfg(test)]
mod tests;
