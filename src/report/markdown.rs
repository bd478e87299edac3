//! `--format markdown`: a pull request body for a bot: a table of what changes (image, from, to, files), then
//! for `pin update` each moved tag with its old and new digest, and what was left alone or failed.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::{Class, Command, OutcomeStatus, Report, Reporter, TextReporter};
use crate::reference::Reference;

#[derive(Clone, Copy, Debug, Default)]
pub struct MarkdownReporter {
    /// For the summary line on stderr.
    pub summary: TextReporter,
}

/// `sha256:0123456789ab…` → `0123456789ab`: enough to tell digests apart in a table.
fn short(digest: &str) -> &str {
    let hex = digest.split_once(':').map_or(digest, |(_, h)| h);
    &hex[..hex.len().min(12)]
}

/// Text inside a table cell: `|` would end the cell, a newline the row.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// One row: the same change wherever it is made.
#[derive(Default)]
struct Row {
    places: Vec<String>,
}

impl Reporter for MarkdownReporter {
    fn report(&self, r: &Report, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<()> {
        if r.command == Command::Verify {
            write_verify(r, out)?;
            out.flush()?;
            return self.summary.write_summary(r, err);
        }
        let update = r.command == Command::Update;
        let title = match r.command {
            Command::Update => "Container image tags that moved",
            Command::Unpin => "Container images unpinned",
            _ => "Container images pinned to digests",
        };
        writeln!(out, "### {title}\n")?;
        // (image, from, to, old digest, new digest) → places
        let mut rows: BTreeMap<(String, String, String, String, String), Row> = BTreeMap::new();
        for o in r
            .outcomes
            .iter()
            .filter(|o| o.status == OutcomeStatus::Pinned)
        {
            let Some(original) = o.original.as_deref() else {
                continue;
            };
            let parsed = Reference::parse(original).ok();
            let image = parsed
                .as_ref()
                .map_or(original.to_string(), |p| p.name().to_string());
            let tag = parsed
                .as_ref()
                .and_then(|p| p.tag())
                .unwrap_or(if update { "" } else { "latest" })
                .to_string();
            let old = parsed
                .as_ref()
                .and_then(|p| p.digest())
                .unwrap_or_default()
                .to_string();
            let new = o.digest.clone().unwrap_or_default();
            let (from, to) = match (update, new.is_empty()) {
                (true, _) => (
                    format!("`{tag}` @ `{}`", short(&old)),
                    format!("`{tag}` @ `{}`", short(&new)),
                ),
                (false, false) => (format!("`{tag}`"), format!("`{tag}` @ `{}`", short(&new))),
                (false, true) => (
                    format!("`{}`", short(&old)),
                    format!("`{}`", o.pinned.as_deref().unwrap_or_default()),
                ),
            };
            rows.entry((image, from, to, old, new))
                .or_default()
                .places
                .push(o.place());
        }
        if rows.is_empty() {
            writeln!(out, "Nothing to change.")?;
        } else {
            writeln!(out, "| image | from | to | files |")?;
            writeln!(out, "|---|---|---|---|")?;
            for ((image, from, to, _, _), row) in &rows {
                let places: Vec<String> = row
                    .places
                    .iter()
                    .map(|p| format!("`{}`", cell(p)))
                    .collect();
                writeln!(
                    out,
                    "| `{}` | {} | {} | {} |",
                    cell(image),
                    from,
                    to,
                    places.join(", ")
                )?;
            }
        }
        if update && !rows.is_empty() {
            writeln!(out, "\n#### Digests\n")?;
            for (image, _, _, old, new) in rows.keys() {
                writeln!(out, "- `{}`: `{old}` → `{new}`", cell(image))?;
            }
        }
        write_errors(r, out)?;
        let skipped = r.summary().skipped;
        if skipped > 0 {
            writeln!(
                out,
                "\n{skipped} {} left alone (`pin list` shows why).",
                if skipped == 1 {
                    "reference was"
                } else {
                    "references were"
                }
            )?;
        }
        out.flush()?;
        self.summary.write_summary(r, err)
    }
}

/// `pin verify`: the pins that are not served (or lack a platform), grouped, then warnings and errors.
fn write_verify(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "### Pinned container images that are not served\n")?;
    // (image, digest, code, message) → places
    let mut rows: BTreeMap<(String, String, String, String), Row> = BTreeMap::new();
    for o in r
        .outcomes
        .iter()
        .filter(|o| o.status == OutcomeStatus::Missing)
    {
        let (Some(original), Some(d)) = (o.original.as_deref(), o.primary()) else {
            continue;
        };
        let image =
            Reference::parse(original).map_or(original.to_string(), |p| p.name().to_string());
        let digest = o.digest.clone().unwrap_or_default();
        rows.entry((image, digest, d.code.to_string(), d.message.clone()))
            .or_default()
            .places
            .push(o.place());
    }
    if rows.is_empty() {
        writeln!(out, "Every pinned digest is served.")?;
    } else {
        writeln!(out, "| image | digest | problem | files |")?;
        writeln!(out, "|---|---|---|---|")?;
        for ((image, digest, code, message), row) in &rows {
            let places: Vec<String> = row
                .places
                .iter()
                .map(|p| format!("`{}`", cell(p)))
                .collect();
            writeln!(
                out,
                "| `{}` | `{}` | {code}: {} | {} |",
                cell(image),
                short(digest),
                cell(message),
                places.join(", ")
            )?;
        }
    }
    let warnings: Vec<String> = r
        .outcomes
        .iter()
        .flat_map(|o| o.notes().map(move |d| (o, d)))
        .filter(|(_, d)| d.severity == super::Severity::Warning)
        .map(|(o, d)| format!("- `{}` {}: {}", cell(&o.place()), d.code, cell(&d.message)))
        .collect();
    if !warnings.is_empty() {
        writeln!(out, "\n#### Warnings\n")?;
        for w in warnings {
            writeln!(out, "{w}")?;
        }
    }
    write_errors(r, out)
}

/// The failures, of references and of the run, as a list under "Errors".
fn write_errors(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let problems: Vec<String> = r
        .outcomes
        .iter()
        .flat_map(|o| o.primary().map(|d| (o, d)))
        .filter(|(_, d)| d.class() == Class::Failure)
        .map(|(o, d)| {
            let what = o
                .original
                .as_deref()
                .map_or(String::new(), |x| format!("`{}`: ", cell(x)));
            format!("- `{}` {}: {what}{}", o.place(), d.code, cell(&d.message))
        })
        .chain(
            r.diagnostics
                .iter()
                .filter(|d| d.class() == Class::Failure)
                .map(|d| format!("- {}: {}", d.code, cell(&d.message))),
        )
        .collect();
    if !problems.is_empty() {
        writeln!(out, "\n#### Errors\n")?;
        for p in problems {
            writeln!(out, "{p}")?;
        }
    }
    Ok(())
}
