//! What `pin` reports, and every format it reports in.
//!
//! One model, many renderers. A run collects one [`Report`]: an [`Outcome`] for every reference found (and for
//! every file passed over whole or not read), each carrying the [`Diagnostic`]s that say what `pin` made of it,
//! plus the diagnostics about the run as a whole (a bad lockfile, a write that failed). A [`Reporter`] renders
//! a finished report; `--format` picks which one. The exit status is decided in one place, [`ExitStatus::of`],
//! from what was reported: any diagnostic of class [`Class::Failure`] exits 2, a [`Class::Finding`] under
//! `--check` exits 1.
//!
//! # How to add a diagnostic
//!
//! 1. Add a row to the `codes!` table in [`code`]: the next free `PINnnn` of its group, a kebab-case name,
//!    its [`Class`] and one sentence. The class alone decides what the code does to the exit status.
//! 2. Where the fact is known, produce it: a skipped reference is a [`crate::app::scan::Skip`] with that code
//!    (the classifier) and ends up as its outcome's diagnostic; a note about a reference that is pinned goes
//!    into [`Outcome::diagnostics`] after the primary one (see the pull-policy note in `app::plan`); a failure
//!    of the whole run is [`Report::fail`].
//! 3. Nothing else: every format renders every code (text lines, JSON `code`, SARIF rules, GitHub
//!    annotations). Add a test that the place produces the code; the code table of docs/output.md and the
//!    code list of `docs/report.schema.json` are checked against [`Code::ALL`].
//!
//! The library never prints: reporters write to the `out` and `err` they are given.

pub mod code;
mod escape;
mod github;
mod gitlab;
mod json;
mod markdown;
mod sarif;
mod text;

use std::io::{self, Write};
use std::ops::Range;

use serde::Serialize;

use crate::interrupt::Signal;
pub use code::{Class, Code, Severity};
pub use escape::{escape, path_text};
pub use github::GithubReporter;
pub use gitlab::GitlabReporter;
pub use json::JsonReporter;
pub use markdown::MarkdownReporter;
pub use sarif::SarifReporter;
pub use text::{colour_for, count, unified_diff, TextReporter};

/// The `kind` of a GitHub Actions `uses:` naming another repository (an action or a reusable workflow) in
/// every format, whatever file holds it; other references carry their file's kind.
pub const ACTION_KIND: &str = "action";

/// Where a diagnostic points. Lines and columns are 1-based; columns count characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The path as printed (relative to the current directory when below it), or `<stdin>`.
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// Byte range in the file (what a fix replaces).
    pub span: Option<Range<usize>>,
}

impl Location {
    pub fn file(file: &str) -> Location {
        Location {
            file: file.to_string(),
            line: None,
            column: None,
            span: None,
        }
    }

    pub fn at(file: &str, line: usize, column: usize) -> Location {
        Location {
            line: Some(line),
            column: Some(column),
            ..Location::file(file)
        }
    }
}

impl std::fmt::Display for Location {
    /// `path:line:col`, or `path` alone when the place in the file is unknown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{l}:{c}", self.file),
            (Some(l), None) => write!(f, "{}:{l}", self.file),
            _ => f.write_str(&self.file),
        }
    }
}

/// The replacement that resolves a finding: `replacement` in place of the location's `span`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fix {
    pub replacement: String,
}

/// One thing `pin` says: a code, how loud, where, the message, and the fix when there is one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    /// `None` for what concerns the run as a whole.
    pub location: Option<Location>,
    /// The message without the location or code (a reason such as "a template or placeholder, not …").
    pub message: String,
    pub fix: Option<Fix>,
}

impl Diagnostic {
    /// A diagnostic with the code's default severity (outside `--check`).
    pub fn new(code: Code, location: Option<Location>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: code.severity(false),
            location,
            message: message.into(),
            fix: None,
        }
    }

    pub fn class(&self) -> Class {
        self.code.class()
    }
}

/// What happened to one reference (or one file passed over whole or not read): the unit of `--format json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// `None` for `pin resolve`, which reads no file.
    pub location: Option<Location>,
    pub kind: Option<&'static str>,
    /// What the reference names when it is not a container image (`helm-chart`, `tekton-bundle`, …).
    pub artifact: Option<&'static str>,
    /// The reference as the file (or the argument) states it; `None` for an outcome about a whole file.
    pub original: Option<String>,
    /// The text written in its place (the whole reference, or the digest for digest-only fields).
    pub pinned: Option<String>,
    pub digest: Option<String>,
    /// The tag the reference follows: in the reference, in its tag comment, or `latest` for neither (`None`
    /// when it names no tag to follow, or for a whole file).
    pub tag: Option<String>,
    /// `pin update`: the digest the reference had before (the one replaced, or the one kept while a change
    /// is held back or is none for the platforms required).
    pub previous: Option<String>,
    /// `pin update --min-age`: when the new digest was first seen (or created), and its age.
    pub seen: Option<Seen>,
    /// `pin update`: why a change was held back (the reference keeps `previous`; `digest` is the new one).
    pub held: Option<Held>,
    pub status: OutcomeStatus,
    /// What `pin` says about it: the diagnostic of its status first (why it was skipped or failed, or the
    /// finding with its fix), then notes. Empty for a reference left unchanged without remark.
    pub diagnostics: Vec<Diagnostic>,
}

/// When a new digest was first seen, for a waiting period (`pin update --min-age`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Seen {
    /// RFC 3339, UTC.
    pub at: String,
    /// The same, in seconds since the Unix epoch.
    #[serde(skip)]
    pub at_seconds: u64,
    /// Its age in whole seconds at the time of the run.
    #[serde(rename = "ageSeconds")]
    pub age_seconds: u64,
    /// `first-seen` (recorded by pin) or `created` (the image config's, `--trust-created`).
    pub source: &'static str,
}

impl Seen {
    /// `first seen AT (AGE ago)`, or `created AT (AGE ago)`.
    pub fn text(&self) -> String {
        let what = if self.source == "created" {
            "created"
        } else {
            "first seen"
        };
        format!(
            "{what} {} ({} ago)",
            self.at,
            crate::settings::human_duration(self.age_seconds)
        )
    }
}

/// Why a change was held back (`pin update`): the code of the hold, the reason, and when the change becomes
/// eligible (if a time will make it so).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Held {
    pub code: Code,
    pub reason: String,
    /// RFC 3339, UTC.
    #[serde(rename = "eligibleAt")]
    pub eligible_at: Option<String>,
    /// `PIN078`: the required platforms the new index lacks (`os/arch[/variant]`). Left out of JSON when empty.
    #[serde(rename = "missingPlatforms", skip_serializing_if = "Vec::is_empty")]
    pub missing_platforms: Vec<String>,
}

/// The status names, the same in the text listing and in JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
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
    /// `pin verify` only: the pinned digest is not served, or lacks a required platform.
    Missing,
    /// `pin update` only: the tag moved, but the change is held back: the new digest is too young for the
    /// waiting period (`PIN077`), or the new index lacks a required platform (`PIN078`).
    Held,
}

impl OutcomeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeStatus::Pinned => "pinned",
            OutcomeStatus::Unchanged => "unchanged",
            OutcomeStatus::Skipped => "skipped",
            OutcomeStatus::Error => "error",
            OutcomeStatus::Unpinned => "unpinned",
            OutcomeStatus::Missing => "missing",
            OutcomeStatus::Held => "held",
        }
    }
}

impl Outcome {
    /// An outcome for `original`, not located in any file, `unchanged` until decided otherwise.
    pub fn new(original: impl Into<String>) -> Outcome {
        Outcome {
            location: None,
            kind: None,
            artifact: None,
            original: Some(original.into()),
            pinned: None,
            digest: None,
            tag: None,
            previous: None,
            seen: None,
            held: None,
            status: OutcomeStatus::Unchanged,
            diagnostics: Vec::new(),
        }
    }

    /// An outcome about a whole file: passed over (`Skipped`) or not read (`Error`), with its diagnostic.
    pub fn file(
        kind: Option<&'static str>,
        status: OutcomeStatus,
        diagnostic: Diagnostic,
    ) -> Outcome {
        Outcome {
            location: diagnostic.location.clone(),
            kind,
            artifact: None,
            original: None,
            pinned: None,
            digest: None,
            tag: None,
            previous: None,
            seen: None,
            held: None,
            status,
            diagnostics: vec![diagnostic],
        }
    }

    /// Located at `file:line:column` (and its byte span).
    pub fn at(
        mut self,
        file: &str,
        line: usize,
        column: usize,
        span: Range<usize>,
        kind: &'static str,
    ) -> Outcome {
        self.location = Some(Location {
            span: Some(span),
            ..Location::at(file, line, column)
        });
        self.kind = Some(kind);
        self
    }

    /// Naming `artifact` (none: an image).
    pub fn naming(mut self, artifact: Option<crate::formats::Artifact>) -> Outcome {
        self.artifact = artifact.map(crate::formats::Artifact::as_str);
        self
    }

    /// Sets the status and its diagnostic (replacing an earlier one), located where the outcome is.
    pub fn set(&mut self, status: OutcomeStatus, code: Code, message: impl Into<String>) {
        self.status = status;
        self.diagnostics.retain(|d| d.class() == Class::Note);
        let d = Diagnostic::new(code, self.location.clone(), message);
        // Most outcomes hold this one diagnostic: room for four (a vector's first growth) is ~450 bytes
        // per reference of a large tree for nothing.
        self.diagnostics.reserve_exact(1);
        self.diagnostics.insert(0, d);
    }

    /// Adds a note (shown after the status's own diagnostic).
    pub fn note(&mut self, code: Code, message: impl Into<String>) {
        let d = Diagnostic::new(code, self.location.clone(), message);
        self.diagnostics.push(d);
    }

    /// Adds a warning: a note said louder (a pin that works here but not everywhere).
    pub fn warn(&mut self, code: Code, message: impl Into<String>) {
        let mut d = Diagnostic::new(code, self.location.clone(), message);
        d.severity = Severity::Warning;
        self.diagnostics.push(d);
    }

    /// The diagnostic of the status, if it has one (not a note).
    pub fn primary(&self) -> Option<&Diagnostic> {
        self.diagnostics
            .first()
            .filter(|d| d.class() != Class::Note)
    }

    /// Why it was skipped or failed.
    pub fn reason(&self) -> Option<&str> {
        self.primary()
            .filter(|d| matches!(d.class(), Class::Skip | Class::Failure))
            .map(|d| d.message.as_str())
    }

    pub fn notes(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.class() == Class::Note)
    }

    /// `path:line:col` (or `pin` when there is no file).
    pub fn place(&self) -> String {
        self.location
            .as_ref()
            .map_or_else(|| "pin".to_string(), Location::to_string)
    }
}

/// Counts by status, for the one-line summary and the JSON `summary`: one count per status name, so the
/// counts add up to the number of entries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub files: usize,
    /// Entries about a reference (the others are about a whole file).
    pub references: usize,
    /// References that were (or, in a dry run, would be) rewritten.
    pub pinned: usize,
    /// `pin list`: references without a digest.
    pub unpinned: usize,
    /// References already carrying a digest, or whose tag did not move.
    pub unchanged: usize,
    /// References and files left alone.
    pub skipped: usize,
    /// References and files that failed.
    #[serde(rename = "error")]
    pub errors: usize,
    /// `pin verify`: pins whose digest (or a required platform of it) is not served. Left out of JSON when 0.
    #[serde(skip_serializing_if = "is_zero")]
    pub missing: usize,
    /// `pin update`: changes held back, whatever the cause. Left out of JSON when 0.
    #[serde(skip_serializing_if = "is_zero")]
    pub held: usize,
    /// Of `held`: too young for the waiting period (`PIN077`). Not in JSON, whose entries name the cause.
    #[serde(skip)]
    pub held_too_young: usize,
    /// Of `held`: a required platform missing from the new index (`PIN078`). Not in JSON either.
    #[serde(skip)]
    pub held_platform: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Summary {
    pub fn of(files: usize, outcomes: &[Outcome]) -> Summary {
        let count = |s: OutcomeStatus| outcomes.iter().filter(|o| o.status == s).count();
        let held_by = |c: Code| {
            outcomes
                .iter()
                .filter(|o| o.status == OutcomeStatus::Held)
                .filter(|o| o.held.as_ref().is_some_and(|h| h.code == c))
                .count()
        };
        Summary {
            files,
            references: outcomes.iter().filter(|o| o.original.is_some()).count(),
            pinned: count(OutcomeStatus::Pinned),
            unpinned: count(OutcomeStatus::Unpinned),
            unchanged: count(OutcomeStatus::Unchanged),
            skipped: count(OutcomeStatus::Skipped),
            errors: count(OutcomeStatus::Error),
            missing: count(OutcomeStatus::Missing),
            held: count(OutcomeStatus::Held),
            held_too_young: held_by(Code::HeldTooYoung),
            held_platform: held_by(Code::PlatformHeld),
        }
    }
}

/// The subcommand a report is about: it picks the words of the text summary and the shape of the listing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Command {
    #[default]
    Pin,
    Update,
    List,
    Resolve,
    Unpin,
    /// `pin verify`: checks the digests already written; writes nothing.
    Verify,
}

/// What the run did with the changes it computed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// Print a diff, change nothing.
    #[default]
    DryRun,
    /// `-w`.
    Write,
    /// `--check`.
    Check,
    /// `pin -`: the (pinned) stream goes to stdout.
    Filter,
}

/// One file whose text changes: what a dry run shows, its unified diff ([`unified_diff`]), made
/// while the file's texts were at hand (a run keeps the diffs, not the texts).
#[derive(Clone, Copy, Debug)]
pub struct Change<'a> {
    pub diff: &'a str,
}

/// Everything one run reports, collected before anything is rendered.
#[derive(Debug, Default)]
pub struct Report<'a> {
    pub command: Command,
    pub mode: Mode,
    /// Files read.
    pub files: usize,
    pub outcomes: Vec<Outcome>,
    /// Diagnostics about the run as a whole, in the order they happened.
    pub diagnostics: Vec<Diagnostic>,
    /// The files that change (shown as a diff in a dry run).
    pub changes: Vec<Change<'a>>,
    /// `pin -`: the text to print on stdout (`None` after a failure: a filter prints nothing then).
    pub stream: Option<&'a str>,
    /// Whether files were written (`-w`, and nothing stopped it).
    pub written: bool,
    /// `-v`: the registry requests made, as one line.
    pub requests: Option<String>,
    /// `-vv`: one line per lookup, its answer and where it came from.
    pub details: Vec<String>,
    /// Lookups a mirror or a remapped location answered: lockfile key → `host/repository` (JSON `answeredBy`).
    pub answered_by: std::collections::BTreeMap<String, String>,
    /// `pin update --format markdown`: the OCI labels of each new digest (or why they could not be read).
    pub labels: std::collections::BTreeMap<String, Result<crate::resolve::Labels, String>>,
    /// The run stopped before reading any file (a bad path, a bad pattern): there is nothing to summarize.
    pub aborted: bool,
    /// SIGINT or SIGTERM stopped the run (reported as a [`Code::Interrupted`] diagnostic too).
    pub interrupted: Option<Signal>,
}

impl Report<'_> {
    pub fn new(command: Command, mode: Mode) -> Self {
        Report {
            command,
            mode,
            ..Report::default()
        }
    }

    /// Records a warning about the run as a whole.
    pub fn warn(&mut self, code: Code, message: impl Into<String>) {
        let mut d = Diagnostic::new(code, None, message);
        d.severity = Severity::Warning;
        self.diagnostics.push(d);
    }

    /// Records a failure of the run as a whole.
    pub fn fail(&mut self, code: Code, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic::new(code, None, message));
    }

    /// Under `--check` a finding is what fails the job: it is reported as an error (GitHub, SARIF).
    pub fn findings_are_errors(&mut self) {
        // Only findings at their default level: one a producer made a warning on purpose stays one.
        for d in self.outcomes.iter_mut().flat_map(|o| &mut o.diagnostics) {
            if d.class() == Class::Finding && d.severity == Severity::Note {
                d.severity = Severity::Error;
            }
        }
    }

    /// Every diagnostic: the outcomes' in order, then the run's.
    pub fn all_diagnostics(&self) -> impl Iterator<Item = &Diagnostic> {
        self.outcomes
            .iter()
            .flat_map(|o| &o.diagnostics)
            .chain(&self.diagnostics)
    }

    /// Failures so far (outcomes in error, and failures of the run).
    pub fn failures(&self) -> usize {
        self.all_diagnostics()
            .filter(|d| d.class() == Class::Failure)
            .count()
    }

    pub fn summary(&self) -> Summary {
        Summary::of(self.files, &self.outcomes)
    }
}

/// The process exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// Done; in a dry run the diff was printed.
    Success = 0,
    /// `--check` found something to change.
    Changes = 1,
    /// Something failed; no file was written (with `--keep-going`: only files without failures were).
    Error = 2,
    /// Stopped by SIGINT (128 + 2).
    Interrupted = 130,
    /// Stopped by SIGTERM (128 + 15).
    Terminated = 143,
}

impl From<Signal> for ExitStatus {
    fn from(signal: Signal) -> ExitStatus {
        match signal {
            Signal::Interrupt => ExitStatus::Interrupted,
            Signal::Terminate => ExitStatus::Terminated,
        }
    }
}

impl ExitStatus {
    /// The one place the exit status is decided: from what the report holds.
    pub fn of(report: &Report) -> ExitStatus {
        if let Some(signal) = report.interrupted {
            return signal.into();
        }
        let mut found = false;
        for d in report.all_diagnostics() {
            match d.class() {
                Class::Failure => return ExitStatus::Error,
                Class::Finding => found = true,
                Class::Skip | Class::Note => {}
            }
        }
        if found && report.mode == Mode::Check {
            ExitStatus::Changes
        } else {
            ExitStatus::Success
        }
    }
}

/// An output format: renders a finished report. `out` is stdout (diffs, listings, documents), `err` is
/// stderr (messages and the summary).
pub trait Reporter {
    fn report(&self, report: &Report, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn located(status: OutcomeStatus, code: Code) -> Outcome {
        let mut o = Outcome::new("x:1").at("f.yaml", 1, 8, 7..10, "yaml");
        o.set(status, code, "why");
        o
    }

    #[test]
    fn the_exit_status_follows_the_classes_reported() {
        let mut r = Report::new(Command::Pin, Mode::Check);
        assert_eq!(ExitStatus::of(&r), ExitStatus::Success);
        r.outcomes
            .push(located(OutcomeStatus::Skipped, Code::Template));
        assert_eq!(
            ExitStatus::of(&r),
            ExitStatus::Success,
            "a skip is no finding"
        );
        r.outcomes
            .push(located(OutcomeStatus::Pinned, Code::Unpinned));
        assert_eq!(ExitStatus::of(&r), ExitStatus::Changes);
        r.mode = Mode::DryRun;
        assert_eq!(
            ExitStatus::of(&r),
            ExitStatus::Success,
            "only --check exits 1"
        );
        r.fail(Code::Lockfile, "bad");
        assert_eq!(ExitStatus::of(&r), ExitStatus::Error);
    }

    #[test]
    fn setting_a_status_replaces_its_diagnostic_and_keeps_notes() {
        let mut o = located(OutcomeStatus::Pinned, Code::Unpinned);
        o.note(Code::PullPolicy, "policy");
        o.set(OutcomeStatus::Skipped, Code::NotWritten, "another failed");
        assert_eq!(o.primary().unwrap().code, Code::NotWritten);
        assert_eq!(o.reason(), Some("another failed"));
        assert_eq!(o.notes().count(), 1);
        assert_eq!(o.place(), "f.yaml:1:8");
    }
}
