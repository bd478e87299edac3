//! `pin verify`: every digest already written in the files, checked against its registry. Writes nothing.
//!
//! A digest the registry no longer serves is a finding at its place (exit 1), as is, with `--platforms`, an
//! index that lacks a required platform or a single-platform manifest where several are required. A pin of
//! one platform's entry of its tag's index is a warning. A failure to ask is an error (exit 2), never taken
//! for a missing digest.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use super::scan::{Found, Status};
use super::{finish, in_path_order, lookup, plan, scan_or_abort, ExitStatus};
use crate::formats::Target;
use crate::platform::Platform;
use crate::reference::Reference;
use crate::report::{self, Code, Mode, OutcomeStatus, Report};
use crate::resolve::git::{server_name, Held};
use crate::resolve::verify::{Pinned, Verified};
use crate::resolve::{Key, Resolutions, ResolveError};
use crate::settings::Verify;

pub(super) fn run(
    args: &Verify,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<ExitStatus> {
    let command = report::Command::Verify;
    let scan = match scan_or_abort(command, &args.scan, &args.output, out, err) {
        Ok(s) => s,
        Err(status) => return status,
    };
    // Like --check: findings exit 1 and are errors in GitHub annotations and SARIF.
    let mut report = Report::new(command, Mode::Check);
    report.files = scan.files.len();
    let mut pins: BTreeMap<Pinned, BTreeSet<String>> = BTreeMap::new();
    for f in scan.files.iter().flat_map(|file| &file.refs) {
        if let Some(pin) = pinned(f) {
            let tags = pins.entry(pin).or_default();
            tags.extend(followed_tag(f));
        }
    }
    let platforms = &args.platforms.value;
    let verified = if pins.is_empty() {
        BTreeMap::new()
    } else {
        match lookup::verifications(&args.registry, pins, platforms, &args.output) {
            Ok((verified, requests, warnings)) => {
                if args.output.verbose > 0 {
                    report.requests = Some(requests);
                }
                for warning in warnings {
                    report.warn(Code::CredentialHelperMissing, warning);
                }
                verified
            }
            Err(e) => {
                report.outcomes = scan.passed_over;
                report.fail(Code::Setup, e.to_string());
                return finish(&report, &args.output, out, err);
            }
        }
    };

    // References whose tool takes no digest: whether their tag still exists, one HEAD per unique tag.
    let listed_keys: BTreeSet<Key> = scan
        .files
        .iter()
        .flat_map(|file| &file.refs)
        .filter_map(listed)
        .map(|r| Key::of(&r, None))
        .collect();
    let tags = if listed_keys.is_empty() {
        Resolutions::new()
    } else {
        match lookup::tags_now(&args.registry, listed_keys, &args.output) {
            Ok((tags, requests)) => {
                if args.output.verbose > 0 {
                    add_requests(&mut report, "charts: ", requests);
                }
                tags
            }
            Err(e) => {
                report.outcomes = scan.passed_over;
                report.fail(Code::Setup, e.to_string());
                return finish(&report, &args.output, out, err);
            }
        }
    };

    // Actions: whether their git server still has each pinned commit.
    let server = &args.registry.actions_server;
    let action_pins: BTreeSet<(String, String, String)> = scan
        .files
        .iter()
        .flat_map(|file| &file.refs)
        .filter_map(|f| action_pin(f, server))
        .collect();
    let held = if action_pins.is_empty() {
        BTreeMap::new()
    } else {
        match lookup::action_verifications(&args.registry, action_pins, &args.output) {
            Ok((held, requests)) => {
                if args.output.verbose > 0 {
                    add_requests(&mut report, "", requests);
                }
                held
            }
            Err(e) => {
                report.outcomes = scan.passed_over;
                report.fail(Code::Setup, e.to_string());
                return finish(&report, &args.output, out, err);
            }
        }
    };

    let mut outcomes = scan.passed_over;
    for file in &scan.files {
        for f in &file.refs {
            if let Some(pin) = action_pin(f, server) {
                let mut o = f.outcome(file);
                o.digest = Some(pin.2.clone());
                match &held[&pin] {
                    Ok(Held::Present) => {}
                    Ok(Held::Missing) => o.set(
                        OutcomeStatus::Missing,
                        Code::MissingDigest,
                        format!(
                            "{}/{} no longer has commit {} (force-pushed away and collected, or never there)",
                            server_name(&pin.0),
                            pin.1,
                            pin.2
                        ),
                    ),
                    Err(e) => o.set(OutcomeStatus::Error, Code::from(e), e.to_string()),
                }
                outcomes.push(o);
                continue;
            }
            if let Some(r) = listed(f) {
                let mut o = f.outcome(file);
                match &tags[&Key::of(&r, None)] {
                    Ok(m) => o.digest = Some(m.digest.clone()),
                    Err(ResolveError::NotFound { .. }) => o.set(
                        OutcomeStatus::Missing,
                        Code::VersionMissing,
                        format!(
                            "{}/{} has no tag {}",
                            r.registry(),
                            r.repository(),
                            r.tag().unwrap_or("latest")
                        ),
                    ),
                    Err(e) => o.set(OutcomeStatus::Error, Code::from(e), e.to_string()),
                }
                outcomes.push(o);
                continue;
            }
            let Some(pin) = pinned(f) else { continue };
            let mut o = f.outcome(file);
            o.digest = Some(pin.digest.clone());
            match &verified[&pin] {
                Err(e) => {
                    let message = e.to_string();
                    // The signature check's wording is written for runs that write; verify never does.
                    let message = message.trim_end_matches("; nothing written");
                    o.set(OutcomeStatus::Error, Code::from(e), message);
                }
                Ok(Verified::Missing) => o.set(
                    OutcomeStatus::Missing,
                    Code::MissingDigest,
                    format!(
                        "{}/{} no longer serves {}",
                        pin.registry, pin.repository, pin.digest
                    ),
                ),
                Ok(Verified::Present(p)) => {
                    if !p.lacking.is_empty() {
                        o.set(
                            OutcomeStatus::Missing,
                            Code::PlatformMissing,
                            format!("the pinned index offers no {} manifest", join(&p.lacking)),
                        );
                    } else if !p.index && platforms.len() > 1 {
                        o.set(
                            OutcomeStatus::Missing,
                            Code::PlatformMissing,
                            format!(
                                "a single-platform manifest is pinned, where {} are required",
                                join(platforms)
                            ),
                        );
                    }
                    let child = followed_tag(f).and_then(|t| p.child_of.get(&t));
                    // One platform required: a child pin's platform is known from its tag's index.
                    if let ([want], Some(child)) = (platforms.as_slice(), child) {
                        if !p.index && !want.matches(&child.platform) {
                            o.set(
                                OutcomeStatus::Missing,
                                Code::PlatformMissing,
                                format!(
                                    "a {} manifest is pinned, where {want} is required",
                                    child.platform
                                ),
                            );
                        }
                    }
                    if let Some(child) = child {
                        o.warn(
                            Code::ChildPin,
                            format!(
                                "pinned to the {} manifest of a multi-platform image; other nodes will fail \
                                 (`pin update --to-index` pins the index {})",
                                child.platform, child.index
                            ),
                        );
                    }
                }
            }
            outcomes.push(o);
        }
    }
    report.outcomes = in_path_order(outcomes);
    report.findings_are_errors();
    finish(&report, &args.output, out, err)
}

/// The server, repository and commit (lowercase) of an action pinned to a commit.
fn action_pin(f: &Found, server: &str) -> Option<(String, String, String)> {
    match &f.status {
        Status::Action(a) if a.reference.is_pinned() => Some((
            server.to_string(),
            a.reference.repository().to_string(),
            a.reference.git_ref().to_ascii_lowercase(),
        )),
        _ => None,
    }
}

/// The pinned digest of a reference that carries one.
fn pinned(f: &Found) -> Option<Pinned> {
    match &f.status {
        Status::Pinned(r) => Some(Pinned {
            registry: r.registry().to_string(),
            repository: r.repository().to_string(),
            digest: r.digest()?.to_string(),
        }),
        _ => None,
    }
}

/// The reference of a candidate listed because its tool takes no digest, when its value is a tagged reference.
fn listed(f: &Found) -> Option<Reference> {
    if f.candidate.target != Target::Listed {
        return None;
    }
    match &f.status {
        Status::Skipped(why) if why.code() == Code::NoDigestTaken => {
            let r = Reference::parse(&f.candidate.value).ok()?;
            r.digest().is_none().then_some(r)
        }
        _ => None,
    }
}

/// The tag a pin names (`name:tag@digest`, or its tag comment), which the child-pin check looks at.
fn followed_tag(f: &Found) -> Option<String> {
    plan::followed(f).and_then(|r| r.tag().map(str::to_string))
}

fn join(platforms: &[Platform]) -> String {
    platforms
        .iter()
        .map(Platform::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `-v`: the request line of a further lookup (`label` and its counts) after the run's, or alone; a line
/// without an earlier one has no label.
fn add_requests(report: &mut Report, label: &str, requests: String) {
    report.requests = Some(match report.requests.take() {
        Some(before) => format!("{before}; {label}{requests}"),
        None => requests,
    });
}
