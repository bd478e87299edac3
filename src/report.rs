//! What `pin` prints: unified diffs, `pin list` lines, per-reference outcomes, the summary, and the JSON
//! document that carries the same facts for programs. Writes to a `&mut impl Write`; the caller picks stdout or
//! stderr.

use std::fmt;
use std::io::{self, Write};

use serde::Serialize;

/// What happened to one reference: the unit of both the text messages and `--format json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// `None` for `pin resolve`, which reads no file.
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub kind: Option<&'static str>,
    /// The reference as the file (or the argument) states it.
    pub original: String,
    /// The text written in its place (the whole reference, or the digest for digest-only fields).
    pub pinned: Option<String>,
    pub digest: Option<String>,
    pub status: OutcomeStatus,
    /// Why it was skipped or failed.
    pub reason: Option<String>,
    /// Something the user should know even though it worked (a pull-policy change).
    pub note: Option<String>,
    /// Something that works today but may not tomorrow or everywhere (a pin whose digest is gone, a pin of
    /// one platform's manifest).
    pub warning: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutcomeStatus {
    /// Rewritten (or, in a dry run or `--check`, would be).
    Pinned,
    /// Already pinned, or its tag has not moved.
    Unchanged,
    Skipped,
    Error,
    /// `pin list` only: a reference without a digest.
    Unpinned,
}

impl Outcome {
    /// An outcome for `original`, not located in any file, `unchanged` until decided otherwise.
    pub fn new(original: &str) -> Outcome {
        Outcome {
            file: None,
            line: None,
            column: None,
            kind: None,
            original: original.to_string(),
            pinned: None,
            digest: None,
            status: OutcomeStatus::Unchanged,
            reason: None,
            note: None,
            warning: None,
        }
    }

    /// Located at `file:line:column`.
    pub fn at(mut self, file: &str, line: usize, column: usize, kind: &'static str) -> Outcome {
        self.file = Some(file.to_string());
        self.line = Some(line);
        self.column = Some(column);
        self.kind = Some(kind);
        self
    }

    /// `path:line:col` (or the reference itself when there is no file).
    pub fn location(&self) -> String {
        match (&self.file, self.line, self.column) {
            (Some(f), Some(l), Some(c)) => format!("{f}:{l}:{c}"),
            (Some(f), _, _) => f.clone(),
            _ => "pin".to_string(),
        }
    }
}

/// The `--format json` document.
#[derive(Serialize)]
struct JsonReport<'a> {
    pub references: &'a [Outcome],
    pub summary: &'a Summary,
}

/// Writes the JSON document and a final newline.
pub fn write_json(
    out: &mut (impl Write + ?Sized),
    references: &[Outcome],
    summary: &Summary,
) -> io::Result<()> {
    serde_json::to_writer_pretty(
        &mut *out,
        &JsonReport {
            references,
            summary,
        },
    )?;
    writeln!(out)
}

/// The messages a person needs on stderr: skips, errors and notes, one line each, in file order.
pub fn write_messages(
    err: &mut (impl Write + ?Sized),
    outcomes: &[Outcome],
    paint: Paint,
) -> io::Result<()> {
    for o in outcomes {
        let at = o.location();
        match o.status {
            OutcomeStatus::Skipped => writeln!(
                err,
                "{at}: {} {:?}: {}",
                paint.yellow("skipped"),
                o.original,
                o.reason.as_deref().unwrap_or_default()
            )?,
            OutcomeStatus::Error => writeln!(
                err,
                "{at}: {}: cannot pin {}: {}",
                paint.red("error"),
                o.original,
                o.reason.as_deref().unwrap_or_default()
            )?,
            OutcomeStatus::Pinned | OutcomeStatus::Unchanged | OutcomeStatus::Unpinned => {}
        }
        if let Some(warning) = &o.warning {
            writeln!(err, "{at}: {}: {warning}", paint.yellow("warning"))?;
        }
        if let Some(note) = &o.note {
            writeln!(err, "{at}: {}: {note}", paint.cyan("note"))?;
        }
    }
    Ok(())
}

/// ANSI colour, or none. Chosen once from `--color`, the terminal and `NO_COLOR`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Paint {
    pub enabled: bool,
}

impl Paint {
    fn wrap(self, code: &str, text: &str) -> String {
        if self.enabled {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    pub fn red(self, t: &str) -> String {
        self.wrap("31", t)
    }
    pub fn green(self, t: &str) -> String {
        self.wrap("32", t)
    }
    pub fn yellow(self, t: &str) -> String {
        self.wrap("33", t)
    }
    pub fn cyan(self, t: &str) -> String {
        self.wrap("36", t)
    }
    pub fn bold(self, t: &str) -> String {
        self.wrap("1", t)
    }

    /// A unified diff with `-`/`+` lines and hunk headers coloured; the bytes of each line are kept
    /// (a `\r` before the newline stays inside the colour codes' line).
    pub fn diff(self, diff: &str) -> String {
        if !self.enabled {
            return diff.to_string();
        }
        let mut out = String::with_capacity(diff.len() + diff.len() / 4);
        for line in diff.split_inclusive('\n') {
            let (body, nl) = match line.strip_suffix('\n') {
                Some(b) => (b, "\n"),
                None => (line, ""),
            };
            let painted = if body.starts_with("---") || body.starts_with("+++") {
                self.bold(body)
            } else if body.starts_with('-') {
                self.red(body)
            } else if body.starts_with('+') {
                self.green(body)
            } else if body.starts_with("@@") {
                self.cyan(body)
            } else {
                body.to_string()
            };
            out.push_str(&painted);
            out.push_str(nl);
        }
        out
    }
}

/// A unified diff of one file that `git apply` accepts (`--- a/PATH`, `+++ b/PATH`, three lines of context).
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

/// Counts for the one-line summary on stderr.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub files: usize,
    pub references: usize,
    /// References that were (or, in a dry run, would be) rewritten.
    pub pinned: usize,
    /// References already carrying a digest.
    pub unchanged: usize,
    pub skipped: usize,
    pub errors: usize,
}

impl Summary {
    /// Counts by status; `pinned` counts what is (or would be) rewritten, and for `pin list` what is unpinned.
    pub fn of(files: usize, outcomes: &[Outcome], unreadable: usize) -> Summary {
        let count = |s: OutcomeStatus| outcomes.iter().filter(|o| o.status == s).count();
        Summary {
            files,
            references: outcomes.len(),
            pinned: count(OutcomeStatus::Pinned) + count(OutcomeStatus::Unpinned),
            unchanged: count(OutcomeStatus::Unchanged),
            skipped: count(OutcomeStatus::Skipped),
            errors: count(OutcomeStatus::Error) + unreadable,
        }
    }
}

/// `Summary` with the verb for the mode: "pinned", "would pin", "to pin".
pub struct SummaryLine<'a> {
    pub summary: &'a Summary,
    pub verb: &'a str,
}

impl fmt::Display for SummaryLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.summary;
        write!(
            f,
            "pin: {} {} scanned, {} {} found: {} {}, {} already pinned, {} skipped",
            s.files,
            plural(s.files, "file", "files"),
            s.references,
            plural(s.references, "reference", "references"),
            s.pinned,
            self.verb,
            s.unchanged,
            s.skipped
        )?;
        if s.errors > 0 {
            write!(f, ", {} {}", s.errors, plural(s.errors, "error", "errors"))?;
        }
        Ok(())
    }
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// One `pin list` row: `path:line:col<TAB>reference<TAB>status`.
pub fn list_line(
    out: &mut (impl Write + ?Sized),
    location: &str,
    reference: &str,
    status: &str,
) -> io::Result<()> {
    writeln!(out, "{location}\t{reference}\t{status}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_has_git_headers_and_keeps_crlf() {
        let d = unified_diff("k/d.yaml", "a: 1\r\nimage: x\r\n", "a: 1\r\nimage: y\r\n");
        assert!(d.starts_with("--- a/k/d.yaml\n+++ b/k/d.yaml\n@@ -1,2 +1,2 @@\n"));
        assert!(d.contains("-image: x\r\n+image: y\r\n"));
    }

    #[test]
    fn diff_marks_missing_final_newline() {
        let d = unified_diff("f", "image: x", "image: y");
        assert!(d.contains("\\ No newline at end of file"), "{d}");
    }

    #[test]
    fn colour_wraps_lines_and_is_off_by_default() {
        let d = "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-x\n+y\n";
        assert_eq!(Paint::default().diff(d), d);
        let c = Paint { enabled: true }.diff(d);
        assert!(
            c.contains("\x1b[31m-x\x1b[0m\n") && c.contains("\x1b[32m+y\x1b[0m\n"),
            "{c:?}"
        );
    }

    #[test]
    fn json_document_has_the_documented_fields() {
        let o = Outcome {
            file: Some("k8s/app.yaml".into()),
            line: Some(3),
            column: Some(12),
            kind: Some("yaml"),
            original: "nginx:1.27".into(),
            pinned: Some("nginx@sha256:x".into()),
            digest: Some("sha256:x".into()),
            status: OutcomeStatus::Pinned,
            reason: None,
            note: None,
            warning: None,
        };
        let mut out = Vec::new();
        let summary = Summary::default();
        write_json(&mut out, &[o], &summary).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let r = &v["references"][0];
        for k in [
            "file", "line", "column", "kind", "original", "pinned", "digest", "status", "reason",
            "note", "warning",
        ] {
            assert!(r.get(k).is_some(), "missing {k}");
        }
        assert_eq!(r["status"], "pinned");
        for k in [
            "files",
            "references",
            "pinned",
            "unchanged",
            "skipped",
            "errors",
        ] {
            assert!(v["summary"].get(k).is_some(), "missing summary.{k}");
        }
    }

    #[test]
    fn summary_reads_well() {
        let s = Summary {
            files: 1,
            references: 3,
            pinned: 1,
            unchanged: 1,
            skipped: 1,
            errors: 0,
        };
        assert_eq!(
            SummaryLine {
                summary: &s,
                verb: "pinned"
            }
            .to_string(),
            "pin: 1 file scanned, 3 references found: 1 pinned, 1 already pinned, 1 skipped"
        );
    }
}
