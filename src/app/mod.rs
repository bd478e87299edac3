//! The pipeline: walk → find → classify → resolve each unique tag once → rewrite → report.
//!
//! Changes are computed once ([`plan::plan`]); the mode (diff, write, check, stdin filter, JSON) only decides
//! what is done with them. Nothing is written unless every lookup succeeded and every file was read, except
//! with `--keep-going`, which writes the files whose references all resolved and still exits 2.

mod lookup;
pub mod plan;
pub mod scan;

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use crate::cli::{
    Cli, ColorChoice, Command, Format, ListArgs, LockArgs, ModeArgs, OutputArgs, RegistryArgs,
    ResolveCmdArgs, SelectArgs,
};
use crate::interrupt::{self, Signal};
use crate::reference::Reference;
use crate::report::{self, Outcome, OutcomeStatus, Paint, Summary, SummaryLine};
use crate::resolve::Key;
use crate::rewrite;
pub use scan::Status;

/// What `pin` makes of a candidate on its own (no `--skip`, no `# pin: ignore` around it).
pub fn classify(c: &crate::formats::Candidate) -> Status {
    scan::classify_value(c, &scan::Filters::default())
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

/// Runs a parsed command line; `out` gets diffs, listings and JSON, `err` messages and the summary.
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<ExitStatus> {
    match cli.command {
        Some(Command::List(args)) => list(&args, out, err),
        Some(Command::Resolve(args)) => resolve_refs(&args, out, err),
        Some(Command::Config) => show_config(&cli, out, err),
        Some(Command::Update(args)) => {
            let run = FilesRun {
                paths: &args.paths,
                mode: &args.mode,
                select: &args.select,
                registry: Some(&args.registry),
                lock: None,
                output: &args.output,
                opts: plan::Options {
                    update: true,
                    to_index: args.to_index,
                    ..plan::Options::default()
                },
            };
            run.go(out, err)
        }
        Some(Command::Unpin(args)) => {
            let run = FilesRun {
                paths: &args.paths,
                mode: &args.mode,
                select: &args.select,
                registry: None,
                lock: None,
                output: &args.output,
                opts: plan::Options {
                    unpin: true,
                    ..plan::Options::default()
                },
            };
            run.go(out, err)
        }
        None => {
            let a = &cli.pin;
            let run = FilesRun {
                paths: &a.paths,
                mode: &a.mode,
                select: &a.select,
                registry: Some(&a.resolve.registry),
                lock: Some(&a.lock),
                output: &a.output,
                opts: plan::Options {
                    keep_tag: a.resolve.keep_tag,
                    platform: a.resolve.platform.as_ref(),
                    tag_comment: a.tag_comment,
                    ..plan::Options::default()
                },
            };
            run.go(out, err)
        }
    }
}

/// `pin` and `pin update` over files: everything but the choice of lookups is shared.
struct FilesRun<'a> {
    paths: &'a [PathBuf],
    mode: &'a ModeArgs,
    select: &'a SelectArgs,
    /// `None` for `pin unpin`, which asks no registry.
    registry: Option<&'a RegistryArgs>,
    lock: Option<&'a LockArgs>,
    output: &'a OutputArgs,
    opts: plan::Options<'a>,
}

impl FilesRun<'_> {
    fn go(&self, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<ExitStatus> {
        let paint_err = paint(self.output.color, io::stderr().is_terminal());
        let Some(scan) = scan::scan(self.paths, self.select, err)? else {
            return Ok(ExitStatus::Error);
        };
        let stdin = scan.is_stdin();
        if self.mode.write {
            for leftover in &scan.leftovers {
                if rewrite::remove_leftover(leftover) {
                    writeln!(
                        err,
                        "pin: removed {}, a temporary file left by an interrupted run",
                        leftover.display()
                    )?;
                }
            }
        }
        let keys = plan::keys(&scan.files, &self.opts);
        let mut lookup = match self.registry {
            Some(registry) => {
                match lookup::resolutions(registry, self.lock, keys, self.output, err)? {
                    Some(lookup) => lookup,
                    None => return Ok(ExitStatus::Error),
                }
            }
            None => lookup::Lookup::none(),
        };
        let plan = plan::plan(&scan.files, &lookup.resolved, &self.opts);
        let summary = plan.summary(scan.files.len(), scan.unreadable);
        report::write_messages(err, &plan.outcomes, paint_err)?;
        let failed = summary.errors > 0;
        let json = self.output.format == Format::Json;
        let finish = |status: ExitStatus, out: &mut dyn Write, err: &mut dyn Write, verb: &str| {
            if json {
                report::write_json(out, &plan.outcomes, &summary)?;
            }
            // On a terminal both streams are one screen: the summary comes after the diff, not before.
            out.flush()?;
            if !self.output.quiet {
                writeln!(
                    err,
                    "{}",
                    SummaryLine {
                        summary: &summary,
                        verb
                    }
                )?;
            }
            Ok(status)
        };

        if failed && !self.mode.keep_going {
            writeln!(err, "pin: nothing written: {} errors", summary.errors)?;
            return finish(ExitStatus::Error, out, err, self.verb(false));
        }
        // From the lockfile to the last rename, SIGINT and SIGTERM wait for the files to be consistent.
        let mut deferred = (!self.mode.check).then(interrupt::defer);
        if !self.mode.check && !lookup.save_lock(err)? {
            return Ok(ExitStatus::Error);
        }
        if !self.mode.write || stdin {
            drop(deferred.take());
        }
        let changed = !plan.changes.is_empty();
        if self.mode.check {
            for change in &plan.changes {
                let what = if self.opts.unpin {
                    "references to unpin"
                } else if self.opts.update {
                    "references whose tag moved"
                } else {
                    "unpinned references"
                };
                writeln!(err, "pin: {} has {what}", change.file.display)?;
            }
        } else if stdin {
            // A filter prints the whole stream, changed or not, and nothing at all on failure, even with
            // --keep-going: a half-pinned stream must never reach `kubectl apply`.
            if !json && !failed {
                let file = &scan.files[0];
                let text = plan
                    .changes
                    .first()
                    .map_or(file.src.as_str(), |c| c.new.as_str());
                out.write_all(text.as_bytes())?;
            }
        } else if self.mode.write {
            let writes: Vec<_> = plan
                .changes
                .iter()
                .filter_map(|c| {
                    Some(rewrite::Replace {
                        path: c.file.path.as_deref()?,
                        was: c.file.identity.as_ref()?,
                        contents: c.new.as_bytes(),
                    })
                })
                .collect();
            for w in writes.iter().filter(|w| w.was.hard_links() > 1) {
                writeln!(
                    err,
                    "pin: warning: {} has {} hard links; replacing it leaves the other names with the old text",
                    w.path.display(),
                    w.was.hard_links()
                )?;
            }
            let written = rewrite::write_all_atomic(&writes);
            drop(deferred.take());
            match written {
                Err(e) => {
                    writeln!(err, "pin: error: {e}")?;
                    return Ok(match e {
                        rewrite::WriteError::Interrupted(signal) => signal.into(),
                        _ => ExitStatus::Error,
                    });
                }
                Ok(()) => {
                    if let Some(signal) = interrupt::pending() {
                        let names: Vec<&str> = plan
                            .changes
                            .iter()
                            .map(|c| c.file.display.as_str())
                            .collect();
                        writeln!(
                            err,
                            "pin: interrupted by {} while replacing files; the replacements were finished: {} written: {}",
                            signal.name(),
                            names.len(),
                            names.join(", ")
                        )?;
                        return Ok(signal.into());
                    }
                }
            }
        } else if !json {
            let paint_out = paint(self.output.color, io::stdout().is_terminal());
            for change in &plan.changes {
                let diff =
                    report::unified_diff(&change.file.display, &change.file.src, &change.new);
                out.write_all(paint_out.diff(&diff).as_bytes())?;
            }
        }
        if let Some(signal) = interrupt::pending() {
            writeln!(err, "pin: interrupted by {}", signal.name())?;
            return Ok(signal.into());
        }
        let status = if failed {
            ExitStatus::Error
        } else if self.mode.check && changed {
            ExitStatus::Changes
        } else {
            ExitStatus::Success
        };
        finish(status, out, err, self.verb(self.mode.write))
    }

    fn verb(&self, written: bool) -> &'static str {
        if self.opts.unpin {
            return if written { "unpinned" } else { "to unpin" };
        }
        match (self.opts.update, written) {
            (false, true) => "pinned",
            (false, false) => "to pin",
            (true, true) => "updated",
            (true, false) => "to update",
        }
    }
}

/// Colour for a stream: `--color`, then `NO_COLOR`, then whether it is a terminal.
fn paint(choice: ColorChoice, terminal: bool) -> Paint {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    choose_paint(choice, terminal, no_color)
}

fn choose_paint(choice: ColorChoice, terminal: bool, no_color: bool) -> Paint {
    let enabled = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => terminal && !no_color,
    };
    Paint { enabled }
}

/// `pin config`: the effective settings and where each comes from.
fn show_config(cli: &Cli, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<ExitStatus> {
    let loaded = match crate::config::chosen(cli)
        .map(|p| crate::config::load(&p))
        .transpose()
    {
        Ok(l) => l,
        Err(e) => {
            writeln!(err, "{e}")?;
            return Ok(ExitStatus::Error);
        }
    };
    crate::config::show(out, loaded.as_ref())?;
    Ok(ExitStatus::Success)
}

/// `pin list`: every reference with its status; no registry.
fn list(args: &ListArgs, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<ExitStatus> {
    let Some(scan) = scan::scan(&args.paths, &args.select, err)? else {
        return Ok(ExitStatus::Error);
    };
    let mut outcomes = Vec::new();
    for file in &scan.files {
        for f in &file.refs {
            let (status, reason) = match &f.status {
                Status::Unpinned(_) => (OutcomeStatus::Unpinned, None),
                Status::Pinned(_) => (OutcomeStatus::Unchanged, None),
                Status::Skipped(why) => (OutcomeStatus::Skipped, Some(why.clone())),
            };
            outcomes.push(Outcome {
                status,
                reason,
                ..Outcome::new(&f.candidate.value).at(
                    &file.display,
                    f.line,
                    f.column,
                    file.kind.as_str(),
                )
            });
        }
    }
    let summary = Summary::of(scan.files.len(), &outcomes, scan.unreadable);
    if args.output.format == Format::Json {
        report::write_json(out, &outcomes, &summary)?;
    } else {
        for o in &outcomes {
            let status = match (&o.status, &o.reason) {
                (OutcomeStatus::Unpinned, _) => "unpinned".to_string(),
                (OutcomeStatus::Unchanged, _) => "pinned".to_string(),
                (_, Some(why)) => format!("skipped: {why}"),
                (_, None) => "skipped".to_string(),
            };
            report::list_line(out, &o.location(), &o.original, &status)?;
        }
    }
    out.flush()?;
    if !args.output.quiet {
        writeln!(
            err,
            "{}",
            SummaryLine {
                summary: &summary,
                verb: "to pin"
            }
        )?;
    }
    Ok(if summary.errors > 0 {
        ExitStatus::Error
    } else {
        ExitStatus::Success
    })
}

/// `pin resolve REF...`: one line per argument, in order: the reference as `pin` would write it.
fn resolve_refs(
    args: &ResolveCmdArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<ExitStatus> {
    let mut refs = Vec::with_capacity(args.refs.len());
    for text in &args.refs {
        match Reference::parse(text) {
            Ok(r) => refs.push(r),
            Err(e) => {
                writeln!(err, "pin: error: {text:?} is not an image reference: {e}")?;
                return Ok(ExitStatus::Error);
            }
        }
    }
    let platform = args.resolve.platform.as_ref();
    let keys = refs
        .iter()
        .filter(|r| r.digest().is_none())
        .map(|r| Key::of(r, platform))
        .collect();
    let Some(mut lookup) = lookup::resolutions(
        &args.resolve.registry,
        Some(&args.lock),
        keys,
        &args.output,
        err,
    )?
    else {
        return Ok(ExitStatus::Error);
    };
    let outcomes: Vec<Outcome> = refs
        .iter()
        .map(|r| {
            let mut o = Outcome {
                pinned: Some(r.as_str().to_string()),
                digest: r.digest().map(str::to_string),
                ..Outcome::new(r.as_str())
            };
            if r.digest().is_none() {
                match &lookup.resolved[&Key::of(r, platform)] {
                    Ok(m) => {
                        o.pinned = Some(if args.resolve.keep_tag {
                            r.pinned_with_tag(&m.digest)
                        } else {
                            r.pinned(&m.digest, false)
                        });
                        o.digest = Some(m.digest.clone());
                        o.status = OutcomeStatus::Pinned;
                    }
                    Err(e) => {
                        o.pinned = None;
                        o.status = OutcomeStatus::Error;
                        o.reason = Some(e.to_string());
                    }
                }
            }
            o
        })
        .collect();
    let summary = Summary::of(0, &outcomes, 0);
    for o in outcomes.iter().filter(|o| o.status == OutcomeStatus::Error) {
        writeln!(
            err,
            "pin: error: cannot resolve {}: {}",
            o.original,
            o.reason.as_deref().unwrap_or_default()
        )?;
    }
    if args.output.format == Format::Json {
        report::write_json(out, &outcomes, &summary)?;
    }
    // All or nothing, as for files: a script reading stdout never gets a partial answer.
    if summary.errors > 0 || !lookup.save_lock(err)? {
        return Ok(ExitStatus::Error);
    }
    if args.output.format == Format::Text {
        for o in &outcomes {
            writeln!(out, "{}", o.pinned.as_deref().unwrap_or_default())?;
        }
    }
    Ok(ExitStatus::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color_unless_asked() {
        let on = |c, t, n| choose_paint(c, t, n).enabled;
        assert!(on(ColorChoice::Auto, true, false));
        assert!(!on(ColorChoice::Auto, true, true), "NO_COLOR");
        assert!(!on(ColorChoice::Auto, false, false), "a pipe");
        assert!(on(ColorChoice::Always, false, true));
        assert!(!on(ColorChoice::Never, true, false));
    }
}
