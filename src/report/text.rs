//! `--format text`, for people: the diff (dry run), the listing (`pin list`), the pinned references
//! (`pin resolve`) or the stream (`pin -`) on stdout; one line per diagnostic and the summary on stderr.

use std::fmt;

use anstyle::{AnsiColor, Style};
use std::io::{self, Write};

use super::{
    escape, Class, Code, Command, Mode, Outcome, OutcomeStatus, Report, Reporter, Severity, Summary,
};

/// The text format. `paint_out`/`paint_err`: colour for each stream; `quiet`: no summary line; `verbose`
/// (`-v`): also one line per reference of a registry that could not be reached.
#[derive(Clone, Copy, Debug, Default)]
pub struct TextReporter {
    pub paint_out: Paint,
    pub paint_err: Paint,
    pub quiet: bool,
    /// `-v` given this many times.
    pub verbose: u8,
}

impl Reporter for TextReporter {
    fn report(&self, r: &Report, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<()> {
        self.write_messages(r, err)?;
        match (r.command, r.mode) {
            (Command::Resolve, _) => {
                // Each reference that resolved, in order; one that failed has its error on stderr instead, and
                // the run exits 2.
                for o in &r.outcomes {
                    if let (Some(pinned), false) = (&o.pinned, o.status == OutcomeStatus::Error) {
                        writeln!(out, "{}", escape(pinned))?;
                    }
                }
            }
            (Command::List, _) => {
                for o in r.outcomes.iter().filter(|o| o.original.is_some()) {
                    let status = match o.reason() {
                        Some(why) => format!("{}: {why}", o.status.as_str()),
                        None => o.status.as_str().to_string(),
                    };
                    list_line(
                        out,
                        &o.place(),
                        o.original.as_deref().unwrap_or(""),
                        &status,
                    )?;
                }
            }
            (_, Mode::Filter) => {
                if let Some(stream) = r.stream {
                    out.write_all(stream.as_bytes())?;
                }
            }
            (_, Mode::DryRun) => {
                for c in &r.changes {
                    out.write_all(self.paint_out.diff(c.diff).as_bytes())?;
                }
            }
            // ruff-style, on stdout (`pin --check > findings.txt`): `path:line:col: CODE reference: message`,
            // one line per thing to change.
            (_, Mode::Check) => self.write_findings(r, out)?,
            (_, Mode::Write) => {}
        }
        // On a terminal both streams are one screen: the summary comes after the diff, not before.
        out.flush()?;
        self.write_summary(r, err)
    }
}

impl TextReporter {
    /// The stderr lines before the output: request counts (`-v`), one line per skip, failure and note, the
    /// failures of the run, and under `--check` the files with something to change.
    pub fn write_messages(&self, r: &Report, err: &mut dyn Write) -> io::Result<()> {
        self.write_requests(r, err)?;
        self.write_diagnostics(r, err, false)
    }

    /// How an annotation or document format ends: `out` flushed, then on stderr the `-v` lines and the
    /// summary line.
    pub fn finish(&self, r: &Report, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<()> {
        out.flush()?;
        self.write_requests(r, err)?;
        self.write_summary(r, err)
    }

    /// As [`Self::finish`], after `doc` written on `out` as pretty JSON and a newline.
    pub fn finish_json(
        &self,
        doc: &serde_json::Value,
        r: &Report,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, doc)?;
        writeln!(out)?;
        self.finish(r, out, err)
    }

    /// The failures only (and the `-v` lines, asked for): what a machine-readable format leaves on stderr.
    pub fn write_errors(&self, r: &Report, err: &mut dyn Write) -> io::Result<()> {
        self.write_requests(r, err)?;
        self.write_diagnostics(r, err, true)
    }

    /// Under `--check`, one line per thing to change.
    pub fn write_findings(&self, r: &Report, out: &mut dyn Write) -> io::Result<()> {
        let paint = self.paint_out;
        for o in &r.outcomes {
            if let Some(d) = o.primary().filter(|d| d.class() == Class::Finding) {
                writeln!(
                    out,
                    "{}: {} {}: {}",
                    escape(&o.place()),
                    paint.red(d.code.as_str()),
                    escape(o.original.as_deref().unwrap_or_default()),
                    escape(&d.message)
                )?;
            }
        }
        Ok(())
    }

    /// Skips, failures and notes (`errors_only`: failures only).
    fn write_diagnostics(
        &self,
        r: &Report,
        err: &mut dyn Write,
        errors_only: bool,
    ) -> io::Result<()> {
        let paint = self.paint_err;
        // A registry that cannot be reached fails every reference to it alike: when that is more than one,
        // one line per registry (in the order first met) and the references themselves only at -v.
        let mut unreachable: Vec<(&str, usize)> = Vec::new();
        for d in r.outcomes.iter().filter_map(|o| o.primary()) {
            if d.code == Code::Unreachable {
                match unreachable.iter_mut().find(|(m, _)| *m == d.message) {
                    Some((_, n)) => *n += 1,
                    None => unreachable.push((&d.message, 1)),
                }
            }
        }
        unreachable.retain(|(_, n)| *n > 1);
        for o in &r.outcomes {
            let grouped = o
                .primary()
                .is_some_and(|d| unreachable.iter().any(|(m, _)| *m == d.message));
            if grouped && self.verbose == 0 {
                continue;
            }
            let failed = o.primary().is_some_and(|d| d.class() == Class::Failure);
            if errors_only && !failed {
                continue;
            }
            // `pin list` lists its references on stdout; only what concerns whole files is a message.
            if errors_only {
                write_failure(err, o, r.command, paint)?;
                continue;
            }
            if r.command == Command::List && o.original.is_some() {
                continue;
            }
            // Charts whose tools take no digest are said once, below (each at -v); a moved index that is no
            // change for the platforms required only at -v.
            if (listed_only(o) || same_platforms(o)) && self.verbose == 0 {
                continue;
            }
            write_outcome(err, o, r.command, paint, self.quiet)?;
        }
        let listed = r.outcomes.iter().filter(|o| listed_only(o)).count();
        if listed > 0 && r.command != Command::List && !self.quiet && !errors_only {
            writeln!(
                err,
                "pin: {listed} Helm chart {} listed, not pinned: {} no digest there (`pin list` shows {}, `pin verify` checks that {} still {})",
                plural(listed, "reference is", "references are"),
                plural(listed, "its tool takes", "their tools take"),
                plural(listed, "it", "them"),
                plural(listed, "its version", "their versions"),
                plural(listed, "exists", "exist"),
            )?;
        }
        for (message, n) in unreachable {
            let hint = if self.verbose > 0 {
                ""
            } else {
                "; -v lists them"
            };
            writeln!(
                err,
                "pin: {}: {} ({n} references{hint})",
                paint.red("error"),
                escape(message)
            )?;
        }
        for d in &r.diagnostics {
            if errors_only && d.class() != Class::Failure {
                continue;
            }
            let message = escape(&d.message);
            match (d.code, d.class(), d.severity) {
                (Code::NothingWritten | Code::Interrupted, _, _) => {
                    writeln!(err, "pin: {message}")?
                }
                (_, Class::Failure, _) => writeln!(err, "pin: {}: {message}", paint.red("error"))?,
                (_, _, Severity::Warning) => {
                    writeln!(err, "pin: {}: {message}", paint.yellow("warning"))?
                }
                _ => writeln!(err, "pin: {message}")?,
            }
        }
        Ok(())
    }

    /// The one-line summary (not for `pin resolve`, not with `-q`, not when the run stopped before reading).
    /// `-v`: the registry requests made, on stderr whatever the format.
    pub fn write_requests(&self, r: &Report, err: &mut dyn Write) -> io::Result<()> {
        if let Some(requests) = &r.requests {
            writeln!(err, "pin: {}", escape(requests))?;
        }
        for line in &r.details {
            writeln!(err, "pin: lookup {}", escape(line))?;
        }
        Ok(())
    }

    pub fn write_summary(&self, r: &Report, err: &mut dyn Write) -> io::Result<()> {
        if self.quiet || r.command == Command::Resolve || r.aborted {
            return Ok(());
        }
        if r.command == Command::Verify {
            let s = r.summary();
            write!(
                err,
                "pin: {} {} scanned, {} pinned {} verified: {} present, {} missing",
                s.files,
                plural(s.files, "file", "files"),
                s.references,
                plural(s.references, "reference", "references"),
                s.unchanged,
                s.missing
            )?;
            if s.errors > 0 {
                write!(
                    err,
                    ", {} {}",
                    s.errors,
                    plural(s.errors, "error", "errors")
                )?;
            }
            return writeln!(err);
        }
        // A write that did not happen never says "pinned".
        let refused = r.mode == Mode::Write && !r.written;
        let verb = match (r.command, r.written, refused) {
            (Command::Unpin, true, _) => "unpinned",
            (Command::Unpin, _, true) => "would be unpinned",
            (Command::Unpin, ..) => "to unpin",
            (Command::Update, true, _) => "updated",
            (Command::Update, _, true) => "would be updated",
            (Command::Update, ..) => "to update",
            (_, true, _) => "pinned",
            (_, _, true) => "would be pinned",
            (..) => "to pin",
        };
        let mut summary = r.summary();
        // `pin list` counts its unpinned references as "to pin".
        summary.pinned += summary.unpinned;
        let line = SummaryLine {
            summary: &summary,
            verb,
        };
        let write = match r.command {
            Command::Unpin => "pin unpin -w",
            Command::Update => "pin update -w",
            _ => "pin -w",
        };
        if refused {
            writeln!(err, "{line}; nothing written")
        } else if r.mode == Mode::DryRun
            && r.command != Command::List
            && summary.pinned > 0
            && summary.errors == 0
        {
            writeln!(err, "{line}; run `{write}` to write")
        } else {
            writeln!(err, "{line}")
        }
    }
}

/// `pin update`: a moved index whose manifests for the platforms required are the pinned index's.
fn same_platforms(o: &Outcome) -> bool {
    o.primary().is_some_and(|d| d.code == Code::SamePlatforms)
}

/// A reference whose tool takes no digest: listed, never pinned.
fn listed_only(o: &Outcome) -> bool {
    o.primary().is_some_and(|d| d.code == Code::NoDigestTaken)
}

/// The message lines of one outcome: its skip or failure, then its notes. `quiet` (`-q`) leaves out the
/// skip lines, except those that are warnings (an invalid reference, a reference not written).
fn write_outcome(
    err: &mut dyn Write,
    o: &Outcome,
    command: Command,
    paint: Paint,
    quiet: bool,
) -> io::Result<()> {
    let place = o.place();
    let at = escape(&place);
    let shown = |d: &&super::Diagnostic| {
        !(quiet && d.class() == Class::Skip && d.severity != Severity::Warning)
    };
    if let Some(d) = o.primary().filter(shown) {
        let message = escape(&d.message);
        match (&o.original, d.class()) {
            (None, Class::Skip) => writeln!(err, "{at}: skipped file: {message}")?,
            (None, _) => writeln!(err, "{at}: {}: {message}", paint.red("error"))?,
            (Some(original), Class::Skip) if o.status == OutcomeStatus::Held => writeln!(
                err,
                "{at}: {} {}: {message}",
                paint.yellow("held"),
                escape(original)
            )?,
            (Some(original), Class::Skip) if d.code == Code::SamePlatforms => writeln!(
                err,
                "{at}: unchanged {}: {message}",
                escape(&format!("{original:?}"))
            )?,
            (Some(original), Class::Skip) => writeln!(
                err,
                "{at}: {} {}: {message}",
                paint.yellow("skipped"),
                escape(&format!("{original:?}"))
            )?,
            (Some(original), Class::Failure) => writeln!(
                err,
                "{at}: {}: cannot {} {}: {message}",
                paint.red("error"),
                failure_verb(command),
                escape(original)
            )?,
            (Some(_), Class::Finding) if d.severity == Severity::Warning => {
                writeln!(err, "{at}: {}: {message}", paint.yellow("warning"))?
            }
            (Some(_), Class::Finding | Class::Note) => {}
        }
    }
    for note in o.notes() {
        let label = match note.severity {
            Severity::Warning => paint.yellow("warning"),
            _ => paint.cyan("note"),
        };
        writeln!(err, "{at}: {label}: {}", escape(&note.message))?;
    }
    Ok(())
}

/// The failure line of one outcome, without its notes (for formats that print only failures on stderr).
fn write_failure(
    err: &mut dyn Write,
    o: &Outcome,
    command: Command,
    paint: Paint,
) -> io::Result<()> {
    let Some(d) = o.primary().filter(|d| d.class() == Class::Failure) else {
        return Ok(());
    };
    let at = o.place();
    match &o.original {
        None => writeln!(err, "{at}: {}: {}", paint.red("error"), d.message),
        Some(original) => writeln!(
            err,
            "{at}: {}: cannot {} {original}: {}",
            paint.red("error"),
            failure_verb(command),
            d.message
        ),
    }
}

fn failure_verb(command: Command) -> &'static str {
    match command {
        Command::Resolve => "resolve",
        Command::Verify => "verify",
        _ => "pin",
    }
}

/// Styles for one stream, or none: whether they are written is the one colour decision
/// ([`colour_for`]), made by anstream from `--color`, `NO_COLOR`, `CLICOLOR_FORCE`, `CLICOLOR`, `TERM` and
/// whether the stream is a terminal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Paint {
    pub enabled: bool,
}

const RED: Style = AnsiColor::Red.on_default();
const GREEN: Style = AnsiColor::Green.on_default();
const YELLOW: Style = AnsiColor::Yellow.on_default();
const CYAN: Style = AnsiColor::Cyan.on_default();
const BOLD: Style = Style::new().bold();

impl Paint {
    fn style(self, style: Style, text: &str) -> String {
        if self.enabled {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    }
    pub fn red(self, t: &str) -> String {
        self.style(RED, t)
    }
    pub fn yellow(self, t: &str) -> String {
        self.style(YELLOW, t)
    }
    pub fn cyan(self, t: &str) -> String {
        self.style(CYAN, t)
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
            let style = if body.starts_with("---") || body.starts_with("+++") {
                Some(BOLD)
            } else if body.starts_with('-') {
                Some(RED)
            } else if body.starts_with('+') {
                Some(GREEN)
            } else if body.starts_with("@@") {
                Some(CYAN)
            } else {
                None
            };
            match style {
                Some(s) => out.push_str(&self.style(s, body)),
                None => out.push_str(body),
            }
            out.push_str(nl);
        }
        out
    }
}

/// The colour decision for `stream` under `--color` (`choice`): `--color always|never` wins, then anstream's
/// reading of the environment and the stream. The choice is also made anstream's global one, so that
/// [`anstream::stderr`] (messages, the progress line) agrees.
pub fn colour_for(
    choice: anstream::ColorChoice,
    stream: &impl anstream::stream::RawStream,
) -> Paint {
    choice.write_global();
    Paint {
        enabled: anstream::AutoStream::choice(stream) != anstream::ColorChoice::Never,
    }
}

/// A unified diff of one file that `git apply` accepts (`--- a/PATH`, `+++ b/PATH`, three lines of context;
/// a path git would quote is quoted as git quotes it, [`super::escape::diff_path`]).
pub fn unified_diff(path: &std::path::Path, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(
            &super::escape::diff_path("a/", path),
            &super::escape::diff_path("b/", path),
        )
        .to_string()
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
        if s.held > 0 {
            let causes: Vec<(usize, &str)> = [
                (s.held_too_young, "too young"),
                (s.held_platform, "missing a platform"),
            ]
            .into_iter()
            .filter(|(n, _)| *n > 0)
            .collect();
            // One cause: `1 held back (too young)`; both: `3 held back (2 too young, 1 missing a platform)`.
            match causes.as_slice() {
                [] => write!(f, ", {} held back", s.held)?,
                [(_, why)] => write!(f, ", {} held back ({why})", s.held)?,
                _ => {
                    let each: Vec<String> =
                        causes.iter().map(|(n, why)| format!("{n} {why}")).collect();
                    write!(f, ", {} held back ({})", s.held, each.join(", "))?
                }
            }
        }
        if s.errors > 0 {
            write!(f, ", {} {}", s.errors, plural(s.errors, "error", "errors"))?;
        }
        Ok(())
    }
}

/// `1 error`, `2 errors`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", plural(n, one, many))
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// One `pin list` row: `path:line:col<TAB>reference<TAB>status`.
fn list_line(
    out: &mut (impl Write + ?Sized),
    location: &str,
    reference: &str,
    status: &str,
) -> io::Result<()> {
    writeln!(
        out,
        "{}\t{}\t{}",
        escape(location),
        escape(reference),
        escape(status)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_has_git_headers_and_keeps_crlf() {
        let d = unified_diff(
            std::path::Path::new("k/d.yaml"),
            "a: 1\r\nimage: x\r\n",
            "a: 1\r\nimage: y\r\n",
        );
        assert!(d.starts_with("--- a/k/d.yaml\n+++ b/k/d.yaml\n@@ -1,2 +1,2 @@\n"));
        assert!(d.contains("-image: x\r\n+image: y\r\n"));
    }

    #[test]
    fn diff_marks_missing_final_newline() {
        let d = unified_diff(std::path::Path::new("f"), "image: x", "image: y");
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
    fn summary_reads_well() {
        let s = Summary {
            files: 1,
            references: 3,
            pinned: 1,
            unpinned: 0,
            unchanged: 1,
            skipped: 1,
            errors: 0,
            missing: 0,
            held: 0,
            held_too_young: 0,
            held_platform: 0,
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

    #[test]
    fn the_summary_names_each_cause_of_a_hold() {
        let line = |young: usize, platform: usize| {
            let s = Summary {
                files: 1,
                references: young + platform,
                held: young + platform,
                held_too_young: young,
                held_platform: platform,
                ..Summary::default()
            };
            SummaryLine {
                summary: &s,
                verb: "to update",
            }
            .to_string()
        };
        assert!(
            line(1, 0).ends_with(", 0 skipped, 1 held back (too young)"),
            "{}",
            line(1, 0)
        );
        assert!(
            line(0, 2).ends_with(", 0 skipped, 2 held back (missing a platform)"),
            "{}",
            line(0, 2)
        );
        assert!(
            line(2, 1).ends_with(", 0 skipped, 3 held back (2 too young, 1 missing a platform)"),
            "{}",
            line(2, 1)
        );
    }
}
