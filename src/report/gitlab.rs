//! `--format gitlab`: a GitLab Code Quality report (the Code Climate issue format GitLab reads from
//! `artifacts:reports:codequality`), one JSON array on stdout, in the shape ruff writes it: `check_name`, a
//! `description` that starts with the code (GitLab shows no other field), a `fingerprint`, `severity`, and
//! `location` with `path` and `positions.begin`/`end` (line and column).
//!
//! Paths are relative to the repository root when the file is inside one (GitLab runs a job in the checkout
//! and matches paths against the repository), else as printed. A fingerprint is stable across runs and
//! lines: a SHA-256 of the code, the path and the reference (or message), so a finding that only moves
//! keeps its identity in a merge request's comparison; equal ones get a counter folded in to stay unique.
//! Skips that are only notices (a template, an ignored line) are left out: a Code Quality widget lists
//! what needs work.

use std::collections::HashSet;
use std::io::{self, Write};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{Class, Diagnostic, Outcome, Report, Reporter, Severity, TextReporter};

#[derive(Clone, Copy, Debug, Default)]
pub struct GitlabReporter {
    /// For the summary line on stderr.
    pub summary: TextReporter,
}

/// Code Quality severities: `info`, `minor`, `major`, `critical`, `blocker`.
fn severity(d: &Diagnostic) -> &'static str {
    match (d.class(), d.severity) {
        (Class::Failure, _) => "critical",
        (Class::Finding, _) => "major",
        (_, Severity::Error) => "major",
        (_, Severity::Warning) => "minor",
        (_, Severity::Note) => "info",
    }
}

/// The path GitLab matches: relative to the repository root when inside one.
fn path(file: &str) -> String {
    if file == crate::app::scan::STDIN {
        return file.to_string();
    }
    crate::walk::repository_path(std::path::Path::new(file))
        .map(|p| super::path_text(&p))
        .unwrap_or_else(|| file.replace('\\', "/"))
}

fn fingerprint(parts: &[&str], salt: u64) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    if salt > 0 {
        h.update(salt.to_le_bytes());
    }
    let digest = h.finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// One issue, or `None` for a diagnostic the report leaves out.
fn issue(d: &Diagnostic, o: Option<&Outcome>, seen: &mut HashSet<String>) -> Option<Value> {
    if d.class() == Class::Skip && d.severity != Severity::Warning {
        return None;
    }
    let original = o.and_then(|o| o.original.as_deref());
    let text = match original {
        Some(reference) => format!("{reference}: {}", d.message),
        None => d.message.clone(),
    };
    let file = d
        .location
        .as_ref()
        .map(|l| path(&l.file))
        .unwrap_or_default();
    let line = d.location.as_ref().and_then(|l| l.line).unwrap_or(1);
    let column = d.location.as_ref().and_then(|l| l.column).unwrap_or(1);
    let end = column + original.map_or(0, |r| r.chars().count());
    let what = original.unwrap_or(&d.message);
    let mut salt = 0;
    let mut print = fingerprint(&[d.code.as_str(), &file, what], salt);
    while !seen.insert(print.clone()) {
        salt += 1;
        print = fingerprint(&[d.code.as_str(), &file, what], salt);
    }
    Some(json!({
        "check_name": d.code.as_str(),
        "description": format!("{}: {text}", d.code.as_str()),
        "fingerprint": print,
        "severity": severity(d),
        "location": {
            "path": file,
            "positions": {
                "begin": { "line": line, "column": column },
                "end": { "line": line, "column": end },
            },
        },
    }))
}

/// The whole report as a JSON array.
pub fn issues(r: &Report) -> Value {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for o in &r.outcomes {
        for d in &o.diagnostics {
            out.extend(issue(d, Some(o), &mut seen));
        }
    }
    for d in &r.diagnostics {
        out.extend(issue(d, None, &mut seen));
    }
    Value::Array(out)
}

impl Reporter for GitlabReporter {
    fn report(&self, r: &Report, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<()> {
        self.summary.finish_json(&issues(r), r, out, err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Code, Command, Mode, OutcomeStatus};

    #[test]
    fn issues_carry_the_code_a_stable_fingerprint_and_positions() {
        let mut o = Outcome::new("nginx:1.27").at("not-in-a-repo/a.yaml", 3, 12, 0..10, "yaml");
        o.set(OutcomeStatus::Pinned, Code::Unpinned, "no digest");
        let mut twin = Outcome::new("nginx:1.27").at("not-in-a-repo/a.yaml", 9, 12, 0..10, "yaml");
        twin.set(OutcomeStatus::Pinned, Code::Unpinned, "no digest");
        let mut skipped = Outcome::new("${X}").at("not-in-a-repo/a.yaml", 4, 1, 0..4, "yaml");
        skipped.set(OutcomeStatus::Skipped, Code::Template, "a template");
        let mut r = Report::new(Command::Pin, Mode::Check);
        r.outcomes.extend([o, skipped, twin]);
        r.fail(Code::Lockfile, "pin.lock: bad");
        let issues = issues(&r);
        let issues = issues.as_array().unwrap();
        assert_eq!(issues.len(), 3, "{issues:#?}");
        assert_eq!(issues[0]["check_name"], "PIN001");
        assert_eq!(issues[0]["description"], "PIN001: nginx:1.27: no digest");
        assert_eq!(issues[0]["severity"], "major");
        assert_eq!(issues[0]["location"]["path"], "not-in-a-repo/a.yaml");
        assert_eq!(
            issues[0]["location"]["positions"],
            json!({"begin": {"line": 3, "column": 12}, "end": {"line": 3, "column": 22}})
        );
        // The same reference twice in a file: two issues, two fingerprints, the first one as before.
        assert_ne!(issues[0]["fingerprint"], issues[1]["fingerprint"]);
        // SHA-256 of "PIN001\0not-in-a-repo/a.yaml\0nginx:1.27\0", its first 16 bytes (Python's hashlib).
        assert_eq!(issues[0]["fingerprint"], "b2f8b3173479c8706cd42591e918953c");
        assert_eq!(issues[2]["severity"], "critical");
        assert_eq!(issues[2]["location"]["path"], "");
    }
}
