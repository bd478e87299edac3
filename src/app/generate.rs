//! `pin completions SHELL` and `pin man`: documents generated from the command-line definition itself.

use std::io::{self, Write};

use super::ExitStatus;
use crate::cli::Cli;

/// A completion script for `shell`.
pub(super) fn completions(
    shell: clap_complete::Shell,
    out: &mut dyn Write,
) -> io::Result<ExitStatus> {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    clap_complete::generate(shell, &mut cmd, "pin", out);
    Ok(ExitStatus::Success)
}

/// The manual page, in roff.
pub(super) fn man(out: &mut dyn Write) -> io::Result<ExitStatus> {
    clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(out)?;
    Ok(ExitStatus::Success)
}
