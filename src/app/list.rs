//! `pin list`: every reference found, with its status; contacts no registry.

use std::io::{self, Write};

use super::{finish, in_path_order, scan_or_abort, ExitStatus, Status};
use crate::report::{self, Code, Mode, Outcome, OutcomeStatus, Report};
use crate::settings::List;

/// `pin list`: every reference with its status; no registry.
pub(super) fn run(args: &List, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<ExitStatus> {
    let command = report::Command::List;
    let scan = match scan_or_abort(command, &args.scan, &args.output, out, err) {
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
            let kind = f.kind(file.kind);
            let mut o = Outcome::new(f.candidate.value)
                .at(&file.display, f.line, f.column, f.candidate.span, kind)
                .naming(f.candidate.artifact);
            match f.status {
                Status::Unpinned(_) => {
                    o.set(OutcomeStatus::Unpinned, Code::Unpinned, "no digest");
                }
                Status::Pinned(r) => o.digest = r.digest().map(str::to_string),
                Status::Action(a) if a.reference.is_pinned() => {
                    o.digest = Some(a.reference.git_ref().to_ascii_lowercase());
                }
                Status::Action(_) => {
                    o.set(
                        OutcomeStatus::Unpinned,
                        Code::Unpinned,
                        "not pinned to a commit",
                    );
                }
                Status::Skipped(why) => o.set(OutcomeStatus::Skipped, why.code(), why.to_string()),
            }
            outcomes.push(o);
        }
    }
    report.outcomes = in_path_order(outcomes);
    finish(&report, &args.output, out, err)
}
