//! `pin`, `pin update` and `pin unpin`: one run over files, the operation chosen in settings.
//!
//! The phases, in order: scan → look up → plan → gate → commit → finish. Changes are computed once (the
//! plan); the mode (diff, write, check, stdin filter) only decides what is done with them. Nothing is written
//! unless every lookup succeeded and every file was read, except with `--keep-going`, which writes the files
//! whose references all resolved and still exits 2.

use std::io::{self, Write};
use std::path::PathBuf;

use super::lookup::{self, Lookup, LookupError};
use super::plan::{self, FileChange};
use super::scan::{Scan, ScannedFile};
use super::{finish, in_path_order, scan_or_abort, ExitStatus};
use crate::interrupt;
use crate::report::{self, Change, Code, Mode, Report};
use crate::rewrite;
use crate::rewrite::encoding::Encoding;
use crate::settings::{Files, Format, Labels, Operation};

/// What a run keeps of a changed file: a dry run's diff or a filter's new stream; nothing for a write (it
/// edits the file again) or a check.
type Kept = Option<String>;

/// Runs `pin`, `pin update` or `pin unpin` over files.
pub(super) fn run(
    files: &Files,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<ExitStatus> {
    let command = match files.operation {
        Operation::Pin(_) => report::Command::Pin,
        Operation::Update { .. } => report::Command::Update,
        Operation::Unpin => report::Command::Unpin,
    };
    let scan = match scan_or_abort(command, &files.scan, &files.output, out, err) {
        Ok(s) => s,
        Err(status) => return status,
    };
    let run = FilesRun {
        files,
        // A run over stdin prints its stream, whether asked to write or not.
        mode: match files.mode {
            Mode::DryRun | Mode::Write if scan.is_stdin() => Mode::Filter,
            m => m,
        },
    };
    let Scan {
        files: scanned,
        passed_over,
        leftovers,
    } = scan;
    let mut report = Report::new(command, run.mode);
    report.files = scanned.len();
    if files.mode == Mode::Write {
        remove_leftovers(&leftovers, &mut report);
    }

    let mut lookup = match run.look_up(&scanned) {
        Ok(l) => l,
        Err(e) => {
            report.outcomes = passed_over;
            report.fail(e.code(), e.to_string());
            return run.finish(&report, out, err);
        }
    };
    if let Operation::Update {
        waiting, children, ..
    } = &files.operation
    {
        if let Err(e) = super::waiting::age(waiting, *children, &mut lookup) {
            report.outcomes = passed_over;
            report.fail(Code::Setup, e);
            return run.finish(&report, out, err);
        }
    }
    run.record_lookup(&mut lookup, &mut report);

    let plan::Plan {
        changes,
        outcomes: planned,
    } = match run.plan(&scanned, &lookup) {
        Ok(p) => p,
        Err(changed) => {
            // Refused as a write refuses it: the file's spans no longer fit its bytes.
            report.outcomes = passed_over;
            report.fail(
                Code::WriteFailed,
                rewrite::WriteError::Changed(changed).to_string(),
            );
            return run.finish(&report, out, err);
        }
    };
    if run.mode == Mode::DryRun && files.output.format == Format::Text {
        utf16_notes(&changes, &mut report);
    }
    let mut outcomes = passed_over;
    outcomes.extend(planned);
    report.outcomes = in_path_order(outcomes);
    if matches!(files.operation, Operation::Update { .. }) {
        untagged_warning(&mut report);
    }
    if run.mode == Mode::Check {
        report.findings_are_errors();
    }

    // The gate: a failure anywhere writes nothing, unless --keep-going. A dry run still shows the diff of
    // the files whose references all resolved (the plan leaves the others out), and writes no lockfile.
    let failures = report.failures();
    if failures > 0 && !files.keep_going {
        let errors = report::count(failures, "error", "errors");
        if run.mode != Mode::DryRun {
            report.fail(Code::NothingWritten, format!("nothing written: {errors}"));
            return run.finish(&report, out, err);
        }
        let shown = if changes.iter().any(|c| c.kept.is_some()) {
            "; the diff shows only the files whose references all resolved"
        } else {
            ""
        };
        report.fail(
            Code::NothingWritten,
            format!("nothing written: {errors}{shown}"),
        );
    }

    if let Committed::Done = run.commit(&scanned, &changes, &mut lookup, &mut report, failures) {
        if let Some(signal) = interrupt::pending() {
            report.interrupted = Some(signal);
            report.fail(
                Code::Interrupted,
                format!("interrupted by {}", signal.name()),
            );
        }
    }
    run.finish(&report, out, err)
}

/// The settings of the run, and the mode its input gave.
struct FilesRun<'a> {
    files: &'a Files,
    /// `Filter` for stdin; otherwise as asked.
    mode: Mode,
}

/// Whether the commit finished, or stopped with a failure in the report.
enum Committed {
    Done,
    Stopped,
}

/// `pin update`: one line for all the pins it cannot follow for want of a tag, with how to give them one.
fn untagged_warning(report: &mut Report) {
    let untagged = report
        .outcomes
        .iter()
        .filter(|o| {
            o.primary().is_some_and(|d| {
                d.code == Code::UntaggedPin
                    || (d.code == Code::NothingToUpdate && d.message == plan::UNTAGGED)
            })
        })
        .count();
    if untagged == 0 {
        return;
    }
    let (pins, have) = if untagged == 1 {
        ("1 pin", "has")
    } else {
        (&*format!("{untagged} pins"), "have")
    };
    let mut d = report::Diagnostic::new(
        Code::UntaggedPins,
        None,
        format!(
            "{pins} {have} a digest and no tag, so `pin update` cannot follow them: `pin unpin -w \
             --from-lock pin.lock` gives each back the tag that the lockfile of the run that pinned it \
             records (or write the tag back by hand), then `pin -w`, whose default keeps each tag, pins them \
             again (`pin list` shows them; `--require-tags` makes `--check` fail on them)"
        ),
    );
    d.severity = report::Severity::Warning;
    report.diagnostics.push(d);
}

/// Removes what killed `pin -w` runs left behind, and says so.
fn remove_leftovers(leftovers: &[PathBuf], report: &mut Report) {
    for leftover in leftovers {
        if rewrite::remove_leftover(leftover) {
            report.diagnostics.push(report::Diagnostic::new(
                Code::LeftoverRemoved,
                None,
                format!(
                    "removed {}, a temporary file left by an interrupted run",
                    leftover.display()
                ),
            ));
        }
    }
}

impl FilesRun<'_> {
    /// Every unique lookup the files need, looked up (none for `pin unpin`, which reads its `--from-lock`
    /// lockfile, if given, for tags).
    fn look_up(&self, scanned: &[ScannedFile]) -> Result<Lookup, LookupError> {
        let f = self.files;
        let keys = plan::keys(scanned, &f.operation);
        match &f.registry {
            Some(registry) => {
                let (labels, hub_gets) = match &f.operation {
                    Operation::Update {
                        labels,
                        docker_hub_gets,
                        waiting,
                        ..
                    } => {
                        if let Some(e) = super::waiting::refused_hub_gets(waiting, &keys) {
                            return Err(LookupError::Setup(crate::resolve::ResolveError::Config(
                                e,
                            )));
                        }
                        (super::waiting::reads(*labels, waiting), *docker_hub_gets)
                    }
                    _ => (Labels::Off, false),
                };
                let actions = plan::action_keys(scanned, &f.operation, &registry.actions_server);
                lookup::resolutions(
                    registry,
                    f.lock.as_ref(),
                    keys,
                    actions,
                    &f.output,
                    labels,
                    hub_gets,
                )
            }
            None => match (&f.operation, f.lock.as_ref().and_then(|l| l.path.as_ref())) {
                (Operation::Unpin, Some(path)) => Lookup::tags_from(path),
                _ => Ok(Lookup::none()),
            },
        }
    }

    /// What the lookups tell the report: the request counts (`-v`), who answered, the labels read.
    fn record_lookup(&self, lookup: &mut Lookup, report: &mut Report) {
        if self.files.output.verbose > 0 {
            report.requests = lookup.requests.take();
        }
        if self.files.output.verbose > 1 {
            report.details = std::mem::take(&mut lookup.details);
        }
        for warning in std::mem::take(&mut lookup.warnings) {
            report.warn(Code::CredentialHelperMissing, warning);
        }
        report.answered_by = std::mem::take(&mut lookup.answered_by);
        report.labels = std::mem::take(&mut lookup.labels);
        for w in lookup.quota_warnings.drain(..) {
            let mut d = report::Diagnostic::new(Code::RateLimit, None, w);
            d.severity = report::Severity::Warning;
            report.diagnostics.push(d);
        }
    }

    /// Every file's edits and every reference's outcome, keeping of each changed file what the mode needs
    /// while its texts are at hand: a dry run's diff (text format only: the others show no diff) or a
    /// filter's new stream.
    fn plan<'f>(
        &self,
        scanned: &'f [ScannedFile],
        lookup: &Lookup,
    ) -> Result<plan::Plan<'f, Kept>, rewrite::Changed> {
        let mode = self.mode;
        let diffs = mode == Mode::DryRun && self.files.output.format == Format::Text;
        let keep = |file: &ScannedFile, old: &str, new: &str| match mode {
            Mode::Filter => Some(new.to_string()),
            Mode::DryRun if diffs => {
                // A text patch of UTF-16 bytes would not apply (git takes such a file for binary): no diff,
                // a note instead ([`utf16_notes`]).
                if file
                    .identity
                    .as_ref()
                    .is_some_and(|i| i.encoding != Encoding::Utf8)
                {
                    return None;
                }
                // `a/` and `b/` relative to the git repository's root, so that `git apply` takes the diff
                // from any directory of it; else the path as shown (relative to the current directory).
                let path = file.path.as_deref()?;
                let header = crate::walk::repository_path(path)
                    .unwrap_or_else(|| super::scan::shown_relative(path));
                Some(report::unified_diff(&header, old, new))
            }
            _ => None,
        };
        let actions = match &self.files.registry {
            Some(registry) => plan::Actions {
                server: &registry.actions_server,
                resolved: &lookup.actions,
            },
            None => plan::Actions::none(),
        };
        plan::plan(
            scanned,
            &lookup.resolved,
            actions,
            &self.files.operation,
            lookup.tags.as_ref(),
            keep,
        )
    }

    /// Does what the mode asks with the plan: records the lockfile, then writes the files, keeps the stream
    /// or the diffs, or (`--check`) nothing.
    fn commit<'p>(
        &self,
        scanned: &'p [ScannedFile],
        changes: &'p [FileChange<'p, Kept>],
        lookup: &mut Lookup,
        report: &mut Report<'p>,
        failures: usize,
    ) -> Committed {
        let mode = self.mode;
        // From the lockfile to the last rename, SIGINT and SIGTERM wait for the files to be consistent.
        let mut deferred = (mode != Mode::Check).then(interrupt::defer);
        // A dry run past the gate with failures (shown, not written) records no lockfile either.
        let all_or_nothing = failures > 0 && !self.files.keep_going;
        if mode != Mode::Check && !all_or_nothing {
            if let Err(e) = lookup.save_lock() {
                report.fail(Code::WriteFailed, e.to_string());
                return Committed::Stopped;
            }
        }
        if mode != Mode::Write {
            drop(deferred.take());
        }
        match mode {
            Mode::Check => Committed::Done,
            // A filter prints the whole stream, changed or not, and nothing at all on failure, even with
            // --keep-going: a half-pinned stream must never reach `kubectl apply`.
            Mode::Filter if failures == 0 => {
                report.stream = changes
                    .first()
                    .and_then(|c| c.kept.as_deref())
                    .or(scanned[0].text.as_deref());
                Committed::Done
            }
            Mode::Filter => Committed::Done,
            Mode::Write => write(changes, report, deferred),
            Mode::DryRun => {
                report.changes = changes
                    .iter()
                    .filter_map(|c| {
                        Some(Change {
                            diff: c.kept.as_deref()?,
                        })
                    })
                    .collect();
                Committed::Done
            }
        }
    }

    fn finish(
        &self,
        report: &Report,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> io::Result<ExitStatus> {
        finish(report, &self.files.output, out, err)
    }
}

/// `-w`: every changed file replaced atomically, each refused if it changed since it was read. `deferred`
/// holds SIGINT and SIGTERM until the last rename.
fn write(
    changes: &[FileChange<'_, Kept>],
    report: &mut Report,
    mut deferred: Option<interrupt::Deferred>,
) -> Committed {
    let writes: Vec<_> = changes
        .iter()
        .filter_map(|c| {
            Some(rewrite::Replace {
                path: c.file.path.as_deref()?,
                was: c.file.identity.as_ref()?,
                edits: &c.edits,
            })
        })
        .collect();
    for w in writes.iter().filter(|w| w.was.hard_links() > 1) {
        let mut d = report::Diagnostic::new(
            Code::HardLinks,
            Some(report::Location::file(&w.path.display().to_string())),
            format!(
                "{} has {} hard links; replacing it leaves the other names with the old text",
                w.path.display(),
                w.was.hard_links()
            ),
        );
        d.severity = report::Severity::Warning;
        report.diagnostics.push(d);
    }
    let written = rewrite::write_all_atomic(&writes);
    drop(deferred.take());
    if let Err(e) = written {
        if let rewrite::WriteError::Interrupted(signal) = e {
            report.interrupted = Some(signal);
        }
        report.fail(Code::WriteFailed, e.to_string());
        return Committed::Stopped;
    }
    // Only files replaced make the summary say "pinned".
    report.written = true;
    if let Some(signal) = interrupt::pending() {
        let names: Vec<&str> = changes.iter().map(|c| c.file.display.as_str()).collect();
        report.interrupted = Some(signal);
        report.fail(
            Code::Interrupted,
            format!(
                "interrupted by {} while replacing files; the replacements were finished: {} written: {}",
                signal.name(),
                names.len(),
                names.join(", ")
            ),
        );
        return Committed::Stopped;
    }
    Committed::Done
}

/// A dry run's note for each changed file in UTF-16, whose diff is not shown.
fn utf16_notes<K>(changes: &[FileChange<'_, K>], report: &mut Report<'_>) {
    for c in changes {
        if let Some(encoding) = c
            .file
            .identity
            .as_ref()
            .map(|i| i.encoding)
            .filter(|e| *e != Encoding::Utf8)
        {
            report.diagnostics.push(report::Diagnostic::new(
                Code::Encoding,
                Some(report::Location::file(&c.file.display)),
                format!(
                    "{} is {} text: its diff is not shown (a text patch does not apply to UTF-16 \
                     bytes); `pin -w` writes the change in {}, byte order mark first",
                    c.file.display,
                    encoding.name(),
                    encoding.name()
                ),
            ));
        }
    }
}
