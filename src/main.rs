use std::io::{self, Write};
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use imagepin::app::{self, ExitStatus};
use imagepin::cli::Cli;

fn main() -> ExitCode {
    let matches = Cli::command().get_matches_from(imagepin::cli::arrange_args(std::env::args_os()));
    let mut cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    if let Err(e) = imagepin::config::apply(&mut cli, &matches) {
        let _ = writeln!(io::stderr(), "{e}");
        return ExitCode::from(ExitStatus::Error as u8);
    }
    if let Err(e) = imagepin::interrupt::install() {
        let _ = writeln!(
            io::stderr(),
            "pin: warning: cannot handle SIGINT and SIGTERM: {e}"
        );
    }
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    // The one colour decision: `--color`, then anstream's reading of the environment; stderr goes through
    // anstream's stream, which keeps to it.
    anstream::ColorChoice::from(cli.color()).write_global();
    let mut err = anstream::stderr();
    let status = match app::run(cli, &mut out, &mut err).and_then(|s| out.flush().map(|()| s)) {
        Ok(s) => s,
        // A closed pipe (`pin | head`) is the reader's choice, not our failure.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitStatus::Success,
        Err(e) => {
            let _ = writeln!(err, "pin: error: {e}");
            ExitStatus::Error
        }
    };
    ExitCode::from(status as u8)
}
