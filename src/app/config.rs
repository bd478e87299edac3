//! `pin config`: the settings a plain `pin` runs with here, each with its origin (see [`crate::settings`]).

use std::io::{self, Write};

use super::ExitStatus;
use crate::settings::show::Shown;

pub(super) fn run(
    shown: &Shown,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<ExitStatus> {
    Ok(if shown.write(out, err)? {
        ExitStatus::Success
    } else {
        ExitStatus::Error
    })
}
