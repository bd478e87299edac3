//! `pin resolve REF...`: each reference as `pin` would write it, pinned; no file is read.

use std::io::{self, Write};

use super::{aborted, finish, lookup, scan, ExitStatus};
use crate::reference::Reference;
use crate::report::{self, Code, Mode, Outcome, OutcomeStatus, Report};
use crate::resolve::Key;
use crate::settings::{Resolve, TagStyle};

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
pub(super) fn run(
    args: &Resolve,
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
    let platform = args.pin.platform.as_ref();
    let keys = refs
        .iter()
        .filter(|r| r.digest().is_none())
        .map(|r| Key::of(r, platform))
        .collect();
    let mut report = Report::new(command, Mode::DryRun);
    let mut lookup = match lookup::resolutions(
        &args.registry,
        Some(&args.lock),
        keys,
        Default::default(),
        &args.output,
        crate::settings::Labels::Off,
        false,
    ) {
        Ok(l) => l,
        Err(e) => {
            report.fail(e.code(), e.to_string());
            return finish(&report, &args.output, out, err);
        }
    };
    if args.output.verbose > 0 {
        report.requests = lookup.requests.take();
    }
    if args.output.verbose > 1 {
        report.details = std::mem::take(&mut lookup.details);
    }
    for warning in std::mem::take(&mut lookup.warnings) {
        report.warn(crate::report::Code::CredentialHelperMissing, warning);
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
                        let pinned = if *args.pin.tag_style == Some(TagStyle::Keep) {
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
                        o.set(OutcomeStatus::Error, Code::from(e), e.to_string());
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
