//! `imagepin`: find container image references in a tree, resolve their tags to registry digests,
//! and rewrite only the bytes of each reference.
//!
//! The pipeline, one module per stage: `walk` → `formats` → `reference` → `resolve` → `rewrite` →
//! `report`. `cli` holds every flag, `config` reads `pin.toml`, `settings` merges the two once into what the
//! stages take, and `app` wires the stages together.
//!
//! The crate is the `pin` binary's: its one entry is [`main`]. Everything else is crate-private; the fuzz
//! checks and the YAML differential test reach the few internals they exercise through [`test_support`],
//! which is not an API.
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub(crate) mod app;
pub(crate) mod cli;
pub(crate) mod config;
pub(crate) mod formats;
/// Golden files for the unit tests (the integration tests include the same file).
#[cfg(test)]
mod golden;
#[cfg(test)]
mod golden_tests;
pub(crate) mod interrupt;
pub(crate) mod platform;
pub(crate) mod reference;
pub(crate) mod registries_conf;
pub(crate) mod report;
pub(crate) mod resolve;
pub(crate) mod rewrite;
pub(crate) mod settings;
pub(crate) mod walk;

use std::io::{self, Write};
use std::process::ExitCode;

use app::ExitStatus;

/// Runs `pin` with `args` (the program name first, as [`std::env::args_os`] gives them) on the process's
/// standard streams, and returns its exit status.
pub fn main(args: impl IntoIterator<Item = std::ffi::OsString>) -> ExitCode {
    use clap::{CommandFactory, FromArgMatches};
    let matches = cli::Cli::command().get_matches_from(cli::arrange_args(args));
    let cli = match cli::Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    let run = match settings::from_command_line(cli, &matches, &settings::Env::of_process()) {
        Ok(run) => run,
        Err(settings::SettingsError::Usage(e)) => e.exit(),
        Err(e) => {
            // A key or value of a repository's pin.toml may hold control characters: printed escaped.
            let _ = writeln!(io::stderr(), "{}", report::escape(&e.to_string()));
            return ExitCode::from(ExitStatus::Error as u8);
        }
    };
    if let Err(e) = interrupt::install() {
        let _ = writeln!(
            io::stderr(),
            "pin: warning: cannot handle SIGINT and SIGTERM: {e}"
        );
    }
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    // The one colour decision: `--color`, then anstream's reading of the environment; stderr goes through
    // anstream's stream, which keeps to it.
    run.output()
        .map_or(anstream::ColorChoice::Auto, |o| o.color)
        .write_global();
    let mut err = anstream::stderr();
    let status = match app::run(run, &mut out, &mut err).and_then(|s| out.flush().map(|()| s)) {
        Ok(s) => s,
        // A closed pipe (`pin | head`) is the reader's choice, not our failure.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitStatus::Success,
        Err(e) => {
            let _ = writeln!(err, "pin: error: {}", report::escape(&e.to_string()));
            ExitStatus::Error
        }
    };
    ExitCode::from(status as u8)
}

/// Internals that the fuzz checks (`fuzz/check.rs`, `tests/fuzz_smoke.rs`) and the YAML differential test
/// exercise directly. Not an API: it may change with any release.
#[doc(hidden)]
pub mod test_support {
    pub use crate::app::{classify, Status};
    pub use crate::formats::yaml::tree::{parse as parse_yaml, Parsed};
    pub use crate::formats::{check_spans, examples, Findings, Kind, Target, KINDS, NOT_KINDS};
    pub use crate::reference::Reference;
    pub use crate::rewrite::{apply, Edit};
}
