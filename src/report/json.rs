//! `--format json`: one document on stdout with every outcome and the summary; nothing else on stdout.

use std::io::{self, Write};

use serde::Serialize;

use super::{Code, Outcome, OutcomeStatus, Report, Reporter, Summary};

/// The JSON format: stdout holds only the document; stderr only the failures (so a person watching a CI log
/// sees why a run failed) and what `-v` asks for: no skips, notes or summary, which the document holds.
#[derive(Clone, Copy, Debug, Default)]
pub struct JsonReporter {
    /// Writes the stderr side (failures) while stdout gets the document.
    pub messages: super::TextReporter,
}

/// One entry of `references`.
#[derive(Serialize)]
struct Entry<'a> {
    file: Option<&'a str>,
    line: Option<usize>,
    column: Option<usize>,
    kind: Option<&'static str>,
    /// Only for an artifact that is not a container image.
    #[serde(skip_serializing_if = "Option::is_none")]
    artifact: Option<&'static str>,
    original: Option<&'a str>,
    pinned: Option<&'a str>,
    digest: Option<&'a str>,
    /// The tag followed (in the reference or its tag comment).
    tag: Option<&'a str>,
    /// `pin update`: the digest before (replaced, or kept while a change is held or is none).
    #[serde(rename = "previousDigest")]
    previous_digest: Option<&'a str>,
    /// `pin update --min-age`: when the new digest was first seen (or created), and its age.
    #[serde(rename = "firstSeen", skip_serializing_if = "Option::is_none")]
    first_seen: Option<&'a super::Seen>,
    /// `pin update`: why a change was held back.
    #[serde(skip_serializing_if = "Option::is_none")]
    held: Option<&'a super::Held>,
    status: OutcomeStatus,
    code: Option<Code>,
    reason: Option<&'a str>,
    note: Option<&'a str>,
}

impl<'a> Entry<'a> {
    fn of(o: &'a Outcome) -> Entry<'a> {
        let at = o.location.as_ref();
        Entry {
            file: at.map(|l| l.file.as_str()),
            line: at.and_then(|l| l.line),
            column: at.and_then(|l| l.column),
            kind: o.kind,
            artifact: o.artifact,
            original: o.original.as_deref(),
            pinned: o.pinned.as_deref(),
            digest: o.digest.as_deref(),
            tag: o.tag.as_deref(),
            previous_digest: o.previous.as_deref(),
            first_seen: o.seen.as_ref(),
            held: o.held.as_ref(),
            status: o.status,
            code: o.primary().map(|d| d.code),
            reason: o.reason(),
            note: o.notes().next().map(|d| d.message.as_str()),
        }
    }
}

/// The version of the document's shape; raised when a field changes meaning or goes away.
pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    references: Vec<Entry<'a>>,
    /// Diagnostics about the run as a whole (a bad lockfile, a write that failed).
    errors: Vec<RunEntry<'a>>,
    /// Lookups answered by a mirror or a remapped location (registries.conf, `pin.toml`, `--mirror`).
    #[serde(rename = "answeredBy")]
    answered_by: &'a std::collections::BTreeMap<String, String>,
    summary: Summary,
}

#[derive(Serialize)]
struct RunEntry<'a> {
    code: Code,
    message: &'a str,
}

/// Writes the JSON document and a final newline.
pub fn write_json(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    let doc = Document {
        version: VERSION,
        references: report.outcomes.iter().map(Entry::of).collect(),
        errors: report
            .diagnostics
            .iter()
            .filter(|d| d.class() == super::Class::Failure)
            .map(|d| RunEntry {
                code: d.code,
                message: &d.message,
            })
            .collect(),
        answered_by: &report.answered_by,
        summary: report.summary(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

impl Reporter for JsonReporter {
    fn report(&self, r: &Report, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<()> {
        self.messages.write_errors(r, err)?;
        write_json(out, r)?;
        out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Command, Mode};

    #[test]
    fn json_document_has_the_documented_fields() {
        let mut o = Outcome::new("nginx:1.27").at("k8s/app.yaml", 3, 12, 20..30, "yaml");
        o.pinned = Some("nginx@sha256:x".into());
        o.digest = Some("sha256:x".into());
        o.set(OutcomeStatus::Pinned, Code::Unpinned, "unpinned");
        let mut report = Report::new(Command::Pin, Mode::DryRun);
        report.outcomes.push(o);
        let mut out = Vec::new();
        write_json(&mut out, &report).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let r = &v["references"][0];
        for k in [
            "file",
            "line",
            "column",
            "kind",
            "original",
            "pinned",
            "digest",
            "tag",
            "previousDigest",
            "status",
            "code",
            "reason",
            "note",
        ] {
            assert!(r.get(k).is_some(), "missing {k}");
        }
        assert_eq!(r["status"], "pinned");
        assert_eq!(r["code"], "PIN001");
        assert_eq!(r["line"], 3);
        assert_eq!(v["version"], 1);
        for k in [
            "files",
            "references",
            "pinned",
            "unpinned",
            "unchanged",
            "skipped",
            "error",
        ] {
            assert!(v["summary"].get(k).is_some(), "missing summary.{k}");
        }
        assert!(r.get("artifact").is_none(), "an image names no artifact");
    }

    /// An artifact's entry says which kind of artifact beside its file kind, with a name the schema lists; the
    /// schema lists exactly the artifact kinds `pin` knows.
    #[test]
    fn artifacts_are_named_as_the_schema_says() {
        use crate::formats::Artifact;
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../docs/report.schema.json")).unwrap();
        let listed: Vec<&str> = schema["$defs"]["entry"]["properties"]["artifact"]["enum"]
            .as_array()
            .expect("an artifact enum")
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        let known: Vec<&str> = Artifact::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(listed, known);
        let o = Outcome::new("ghcr.io/org/charts/app:1.0")
            .at("apps.yaml", 9, 20, 1..4, "yaml")
            .naming(Some(Artifact::HelmChart));
        let mut report = Report::new(Command::List, Mode::DryRun);
        report.outcomes.push(o);
        let mut out = Vec::new();
        write_json(&mut out, &report).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["references"][0]["artifact"], "helm-chart");
        assert_eq!(v["references"][0]["kind"], "yaml");
    }
}
