//! The pipeline: walk → find → classify → resolve each unique tag once → rewrite → report.
//!
//! Changes are computed once ([`plan::plan`]); the mode (diff, write, check, stdin filter, JSON) only decides
//! what is done with them. Nothing is written unless every lookup succeeded and every file was read, except
//! with `--keep-going`, which writes the files whose references all resolved and still exits 2.

mod krm;
mod lookup;
pub mod plan;
mod project;
pub mod scan;
mod verify;

use std::io::{self, Write};
use std::path::PathBuf;

use crate::cli::{
    Cli, Command, Format, ListArgs, LockArgs, ModeArgs, OutputArgs, RegistryArgs, ResolveCmdArgs,
    SelectArgs,
};
use crate::interrupt;
use crate::reference::Reference;
pub use crate::report::ExitStatus;
use crate::report::{
    self, Change, Code, GithubReporter, GitlabReporter, JsonReporter, MarkdownReporter, Mode,
    Outcome, OutcomeStatus, Report, Reporter, SarifReporter, TextReporter,
};
use crate::resolve::Key;
use crate::rewrite;
pub use scan::Status;

/// What `pin` makes of a candidate on its own (no `--skip`, no `# pin: ignore` around it).
pub fn classify(c: &crate::formats::Candidate) -> Status {
    scan::classify_value(c, &scan::Filters::default())
}

/// Runs a parsed command line; `out` gets diffs, listings and documents, `err` messages and the summary.
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<ExitStatus> {
    match cli.command {
        Some(Command::List(args)) => list(&args, out, err),
        Some(Command::Resolve(args)) => resolve_refs(&args, out, err),
        Some(Command::Config) => show_config(&cli, out, err),
        Some(Command::Completions { shell }) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "pin", out);
            Ok(ExitStatus::Success)
        }
        Some(Command::Man) => {
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(out)?;
            Ok(ExitStatus::Success)
        }
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
                labels: args.output.format == Format::Markdown && !args.no_labels,
            };
            run.go(out, err)
        }
        Some(Command::Verify(args)) => verify::verify(&args, out, err),
        Some(Command::Fn(args)) => krm::run(&args, out, err),
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
                labels: false,
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
                labels: false,
            };
            run.go(out, err)
        }
    }
}

/// Renders the report in the chosen format; the exit status follows from what it holds.
fn finish(
    report: &Report,
    output: &OutputArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<ExitStatus> {
    let text = TextReporter {
        paint_out: report::colour_for(output.color.into(), &io::stdout()),
        paint_err: report::colour_for(output.color.into(), &io::stderr()),
        quiet: output.quiet,
        verbose: output.verbose,
    };
    let reporter: Box<dyn Reporter> = match output.format {
        Format::Text => Box::new(text),
        Format::Json => Box::new(JsonReporter { messages: text }),
        Format::Github => Box::new(GithubReporter { summary: text }),
        Format::Gitlab => Box::new(GitlabReporter { summary: text }),
        Format::Sarif => Box::new(SarifReporter { summary: text }),
        Format::Markdown => Box::new(MarkdownReporter { summary: text }),
    };
    reporter.report(report, out, err)?;
    Ok(ExitStatus::of(report))
}

/// A report for a run that stopped before reading anything.
fn aborted(command: report::Command, code: Code, message: String) -> Report<'static> {
    let mut report = Report::new(command, Mode::DryRun);
    report.aborted = true;
    report.fail(code, message);
    report
}

/// The scan of `paths`, or, when it cannot start, the rendered report of a run that stopped there (`Err`
/// holds the exit status to return).
fn scan_or_abort(
    command: report::Command,
    paths: &[PathBuf],
    select: &SelectArgs,
    output: &OutputArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<scan::Scan, io::Result<ExitStatus>> {
    scan::scan(paths, select).map_err(|e| {
        finish(
            &aborted(command, Code::Setup, e.to_string()),
            output,
            out,
            err,
        )
    })
}

/// Outcomes of whole files and of references, in path order (each file's references in file order).
fn in_path_order(mut outcomes: Vec<Outcome>) -> Vec<Outcome> {
    // Stable, and each path built once (not twice per comparison).
    outcomes.sort_by_cached_key(|o| o.location.as_ref().map(|l| PathBuf::from(&l.file)));
    outcomes
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
    /// `pin update --format markdown`: read the OCI labels of the images moved tags point at.
    labels: bool,
}

impl FilesRun<'_> {
    fn go(&self, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<ExitStatus> {
        let command = if self.opts.unpin {
            report::Command::Unpin
        } else if self.opts.update {
            report::Command::Update
        } else {
            report::Command::Pin
        };
        let scan = match scan_or_abort(command, self.paths, self.select, self.output, out, err) {
            Ok(s) => s,
            Err(status) => return status,
        };
        let mode = if self.mode.check {
            Mode::Check
        } else if scan.is_stdin() {
            Mode::Filter
        } else if self.mode.write {
            Mode::Write
        } else {
            Mode::DryRun
        };
        let mut report = Report::new(command, mode);
        report.files = scan.files.len();
        if self.mode.write {
            for leftover in &scan.leftovers {
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
        let keys = plan::keys(&scan.files, &self.opts);
        let looked_up = match self.registry {
            Some(registry) => {
                lookup::resolutions(registry, self.lock, keys, self.output, self.labels)
            }
            None => Ok(lookup::Lookup::none()),
        };
        let mut lookup = match looked_up {
            Ok(l) => l,
            Err(e) => {
                report.outcomes = scan.passed_over;
                report.fail(e.code(), e.to_string());
                return finish(&report, self.output, out, err);
            }
        };
        if self.output.verbose {
            report.requests = lookup.requests.take();
        }
        report.answered_by = std::mem::take(&mut lookup.answered_by);
        report.labels = std::mem::take(&mut lookup.labels);
        // What each mode needs of a changed file, taken while its texts are at hand: a dry run's diff (text
        // format only: the others show no diff), a filter's new stream, or nothing (a write edits again).
        let diffs = mode == Mode::DryRun && self.output.format == Format::Text;
        let keep = |file: &scan::ScannedFile, old: &str, new: &str| match mode {
            Mode::Filter => Some(new.to_string()),
            Mode::DryRun if diffs => {
                // `a/` and `b/` relative to the git repository's root, so that `git apply` takes the diff
                // from any directory of it; else the path as shown.
                let header = file
                    .path
                    .as_deref()
                    .and_then(crate::walk::repository_path)
                    .unwrap_or_else(|| file.display.clone());
                Some(report::unified_diff(&header, old, new))
            }
            _ => None,
        };
        let plan = match plan::plan(&scan.files, &lookup.resolved, &self.opts, keep) {
            Ok(p) => p,
            Err(changed) => {
                // Refused as a write refuses it: the file's spans no longer fit its bytes.
                report.outcomes = scan.passed_over;
                report.fail(
                    Code::WriteFailed,
                    rewrite::WriteError::Changed(changed).to_string(),
                );
                return finish(&report, self.output, out, err);
            }
        };
        let mut outcomes = scan.passed_over;
        outcomes.extend(plan.outcomes);
        report.outcomes = in_path_order(outcomes);
        if mode == Mode::Check {
            report.findings_are_errors();
        }

        let failures = report.failures();
        if failures > 0 && !self.mode.keep_going {
            report.fail(
                Code::NothingWritten,
                format!("nothing written: {failures} errors"),
            );
            return finish(&report, self.output, out, err);
        }
        // From the lockfile to the last rename, SIGINT and SIGTERM wait for the files to be consistent.
        let mut deferred = (mode != Mode::Check).then(interrupt::defer);
        if mode != Mode::Check {
            if let Err(e) = lookup.save_lock() {
                report.fail(Code::WriteFailed, e.to_string());
                return finish(&report, self.output, out, err);
            }
        }
        if mode != Mode::Write {
            drop(deferred.take());
        }
        report.written = self.mode.write;
        match mode {
            Mode::Check => {}
            // A filter prints the whole stream, changed or not, and nothing at all on failure, even with
            // --keep-going: a half-pinned stream must never reach `kubectl apply`.
            Mode::Filter if failures == 0 => {
                let file = &scan.files[0];
                report.stream = plan
                    .changes
                    .first()
                    .and_then(|c| c.kept.as_deref())
                    .or(file.text.as_deref());
            }
            Mode::Filter => {}
            Mode::Write => {
                let writes: Vec<_> = plan
                    .changes
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
                match written {
                    Err(e) => {
                        if let rewrite::WriteError::Interrupted(signal) = e {
                            report.interrupted = Some(signal);
                        }
                        report.fail(Code::WriteFailed, e.to_string());
                        return finish(&report, self.output, out, err);
                    }
                    Ok(()) => {
                        if let Some(signal) = interrupt::pending() {
                            let names: Vec<&str> = plan
                                .changes
                                .iter()
                                .map(|c| c.file.display.as_str())
                                .collect();
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
                            return finish(&report, self.output, out, err);
                        }
                    }
                }
            }
            Mode::DryRun => {
                report.changes = plan
                    .changes
                    .iter()
                    .filter_map(|c| {
                        Some(Change {
                            diff: c.kept.as_deref()?,
                        })
                    })
                    .collect();
            }
        }
        if let Some(signal) = interrupt::pending() {
            report.interrupted = Some(signal);
            report.fail(
                Code::Interrupted,
                format!("interrupted by {}", signal.name()),
            );
        }
        finish(&report, self.output, out, err)
    }
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
    let command = report::Command::List;
    let scan = match scan_or_abort(command, &args.paths, &args.select, &args.output, out, err) {
        Ok(s) => s,
        Err(status) => return status,
    };
    let mut report = Report::new(command, Mode::DryRun);
    report.files = scan.files.len();
    let mut outcomes = scan.passed_over;
    outcomes.reserve_exact(scan.files.iter().map(|f| f.refs.len()).sum());
    // Each file goes once its outcomes are made: the references are not held twice.
    // and each reference goes once its outcome is made, its value moved into it.
    for file in scan.files {
        for f in file.refs {
            let mut o = Outcome::new(f.candidate.value).at(
                &file.display,
                f.line,
                f.column,
                f.candidate.span,
                file.kind.as_str(),
            );
            match f.status {
                Status::Unpinned(_) => {
                    o.set(OutcomeStatus::Unpinned, Code::Unpinned, "no digest");
                }
                Status::Pinned(r) => o.digest = r.digest().map(str::to_string),
                Status::Skipped(why) => o.set(OutcomeStatus::Skipped, why.code, why.reason),
            }
            outcomes.push(o);
        }
    }
    report.outcomes = in_path_order(outcomes);
    finish(&report, &args.output, out, err)
}

/// The references `pin resolve` is given: the arguments in order, a `-` replaced by the lines of stdin (each
/// trimmed; blank lines and lines starting with `#` ignored), each with its stdin line number.
fn resolve_inputs(args: &[String]) -> Result<Vec<(String, Option<usize>)>, String> {
    let mut inputs = Vec::with_capacity(args.len());
    let mut stdin_read = false;
    for text in args {
        if text != "-" {
            inputs.push((text.clone(), None));
            continue;
        }
        if stdin_read {
            return Err("`-` (stdin) can be given only once".to_string());
        }
        stdin_read = true;
        let mut all = String::new();
        io::Read::read_to_string(&mut io::stdin(), &mut all)
            .map_err(|e| format!("cannot read references from stdin: {e}"))?;
        inputs.extend(
            all.lines()
                .enumerate()
                .map(|(i, line)| (line.trim(), i + 1))
                .filter(|(line, _)| !line.is_empty() && !line.starts_with('#'))
                .map(|(line, n)| (line.to_string(), Some(n))),
        );
    }
    Ok(inputs)
}

/// `pin resolve REF...`: one line per reference that resolved, in order: the reference as `pin` would write
/// it. A REF that is not a reference, or that fails to resolve, is an error on stderr (exit 2); the others
/// are still printed.
fn resolve_refs(
    args: &ResolveCmdArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<ExitStatus> {
    let command = report::Command::Resolve;
    let inputs = match resolve_inputs(&args.refs) {
        Ok(i) => i,
        Err(message) => {
            return finish(
                &aborted(command, Code::Setup, message),
                &args.output,
                out,
                err,
            )
        }
    };
    // Each input, parsed or with the outcome that says why it is not a reference.
    let parsed: Vec<Result<Reference, Box<Outcome>>> = inputs
        .iter()
        .map(|(text, line)| {
            Reference::parse(text).map_err(|e| {
                let mut o = Outcome::new(text);
                if let Some(n) = line {
                    o.location = Some(report::Location::at(scan::STDIN, *n, 1));
                }
                o.set(
                    OutcomeStatus::Error,
                    Code::BadArgument,
                    format!("{text:?} is not an image reference: {e}"),
                );
                Box::new(o)
            })
        })
        .collect();
    let refs: Vec<&Reference> = parsed.iter().filter_map(|p| p.as_ref().ok()).collect();
    let platform = args.resolve.platform.as_ref();
    let keys = refs
        .iter()
        .filter(|r| r.digest().is_none())
        .map(|r| Key::of(r, platform))
        .collect();
    let mut report = Report::new(command, Mode::DryRun);
    let mut lookup = match lookup::resolutions(
        &args.resolve.registry,
        Some(&args.lock),
        keys,
        &args.output,
        false,
    ) {
        Ok(l) => l,
        Err(e) => {
            report.fail(e.code(), e.to_string());
            return finish(&report, &args.output, out, err);
        }
    };
    if args.output.verbose {
        report.requests = lookup.requests.take();
    }
    report.answered_by = std::mem::take(&mut lookup.answered_by);
    report.outcomes = parsed
        .into_iter()
        .map(|p| {
            let r = match p {
                Ok(r) => r,
                Err(o) => return *o,
            };
            let r = &r;
            let mut o = Outcome {
                pinned: Some(r.as_str().to_string()),
                digest: r.digest().map(str::to_string),
                ..Outcome::new(r.as_str())
            };
            if r.digest().is_none() {
                match &lookup.resolved[&Key::of(r, platform)] {
                    Ok(m) => {
                        let pinned = if args.resolve.keep_tag {
                            r.pinned_with_tag(&m.digest)
                        } else {
                            r.pinned(&m.digest, false)
                        };
                        o.set(
                            OutcomeStatus::Pinned,
                            Code::Unpinned,
                            format!("no digest; its tag points at {}", m.digest),
                        );
                        o.pinned = Some(pinned);
                        o.digest = Some(m.digest.clone());
                    }
                    Err(e) => {
                        o.pinned = None;
                        o.set(OutcomeStatus::Error, plan::failure_code(e), e.to_string());
                    }
                }
            }
            o
        })
        .collect();
    // All or nothing, as for files: the lockfile records nothing from a run that failed.
    if report.failures() == 0 {
        if let Err(e) = lookup.save_lock() {
            report.fail(Code::WriteFailed, e.to_string());
        }
    }
    finish(&report, &args.output, out, err)
}
