//! What `pin` prints: unified diffs, `pin list` lines and the summary. Writes to a `&mut impl Write`; the
//! caller picks stdout or stderr.

use std::fmt;
use std::io::{self, Write};

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
