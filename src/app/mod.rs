//! What `pin` runs: one file per command, the stages they share beside them.
//!
//! Commands (each takes its settings from [`crate::settings::Run`]):
//! - [`files`]: `pin`, `pin update` and `pin unpin`, one run over files whose operation settings chose:
//!   scan → look up → plan → gate → commit.
//! - [`list`]: `pin list`, every reference with its status; no registry.
//! - [`resolve`]: `pin resolve REF...`, references pinned on stdout.
//! - [`verify`]: `pin verify`, every pinned digest asked about.
//! - [`config`]: `pin config`, the settings and their origins.
//! - [`generate`]: `pin completions` and `pin man`.
//!
//! Stages: [`scan`] reads and classifies, [`project`] links a project's files, [`lookup`] asks the registries
//! (or the lockfile), [`waiting`] ages the new digests of `pin update --min-age`, [`plan`] computes every
//! change once. The mode (diff, write, check, stdin filter, JSON)
//! only decides what is done with the changes; reports are rendered once at the end ([`finish`]).

mod config;
mod files;
mod generate;
mod krm;
mod list;
mod lookup;
pub mod plan;
mod project;
mod resolve;
pub mod scan;
mod verify;
mod waiting;

use std::io::{self, Write};
use std::path::PathBuf;

pub use crate::report::ExitStatus;
use crate::report::{
    self, Code, GithubReporter, GitlabReporter, JsonReporter, MarkdownReporter, Mode, Outcome,
    Report, Reporter, SarifReporter, TextReporter,
};
use crate::settings::{Format, OutputSettings, Run, ScanSettings};
pub use scan::Status;

/// What `pin` makes of a candidate on its own (no `--skip`, no `# pin: ignore` around it).
pub fn classify(c: &crate::formats::Candidate) -> Status {
    scan::classify_value(c, &scan::Filters::default())
}

/// Runs what a command line asks for; `out` gets diffs, listings and documents, `err` messages and the
/// summary.
pub fn run(run: Run, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<ExitStatus> {
    match run {
        Run::Files(settings) => files::run(&settings, out, err),
        Run::List(settings) => list::run(&settings, out, err),
        Run::Resolve(settings) => resolve::run(&settings, out, err),
        Run::Verify(settings) => verify::run(&settings, out, err),
        Run::Config(shown) => config::run(&shown, out, err),
        Run::Completions(shell) => generate::completions(shell, out),
        Run::Man { command, dir } => generate::man(command.as_deref(), dir.as_deref(), out, err),
        Run::Fn(settings) => krm::run(&settings, out, err),
    }
}

/// Renders the report in the chosen format; the exit status follows from what it holds.
fn finish(
    report: &Report,
    output: &OutputSettings,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<ExitStatus> {
    let text = TextReporter {
        paint_out: report::colour_for(output.color, &io::stdout()),
        paint_err: report::colour_for(output.color, &io::stderr()),
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
    settings: &ScanSettings,
    output: &OutputSettings,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<scan::Scan, io::Result<ExitStatus>> {
    scan::scan(settings).map_err(|e| {
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
