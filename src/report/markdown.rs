//! `--format markdown`: a pull request body for a bot: a table of what changes (image, from, to, files), then
//! for `pin update` each moved tag with its old and new digest (and the OCI labels `created`, `revision` and
//! `source` of the new image, when they were read); the GitHub Actions that change in a table of their own
//! (action, from, to, files); and what was left alone or failed.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::{Class, Command, OutcomeStatus, Report, Reporter, TextReporter, ACTION_KIND};
use crate::reference::action::ActionRef;
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

/// A value a registry chose (a label), as an inline code span: control characters escaped, and a fence
/// longer than any run of backticks inside, so that no backtick, pipe, `<`, `*` or `@` in it can end the span
/// or become markup, HTML, a link or a mention. Long values are cut at 200 characters.
fn code(s: &str) -> String {
    let escaped = crate::resolve::escape(s);
    let mut text: String = escaped.chars().take(200).collect();
    if escaped.chars().count() > 200 {
        text.push('…');
    }
    if text.is_empty() {
        return "(empty)".to_string();
    }
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    // A space on each side is stripped by the renderer; it keeps a backtick at either end off the fence.
    let pad = text.starts_with('`')
        || text.ends_with('`')
        || (text.starts_with(' ') && text.ends_with(' ') && !text.trim().is_empty());
    let pad = if pad { " " } else { "" };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// The `source` label: a link only when it is an https URL (without credentials in it), written as the URL
/// parser serializes it (spaces, `<`, `>` percent-encoded) with `\` encoded too, inside `<…>`; anything else is
/// shown as code, never linked.
fn source(s: &str) -> String {
    match reqwest::Url::parse(s) {
        Ok(u)
            if u.scheme() == "https"
                && u.host_str().is_some()
                && u.username().is_empty()
                && u.password().is_none() =>
        {
            let target = u.as_str().replace('\\', "%5C");
            format!("[{}](<{target}>)", code(s))
        }
        _ => code(s),
    }
}

/// One row: the same change wherever it is made.
#[derive(Default)]
struct Row {
    places: Vec<String>,
}

impl Row {
    /// The places as one table cell: each in backticks, comma-separated.
    fn places_cell(&self) -> String {
        let places: Vec<String> = self
            .places
            .iter()
            .map(|p| format!("`{}`", cell(p)))
            .collect();
        places.join(", ")
    }
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
        let actions = action_rows(r);
        // With a waiting period, the age of each new digest is a column of its own.
        let aged = r
            .outcomes
            .iter()
            .any(|o| o.status == OutcomeStatus::Pinned && o.seen.is_some());
        // (image, from, to, old digest, new digest, tag, age) → places
        type Key = (String, String, String, String, String, String, String);
        let mut rows: BTreeMap<Key, Row> = BTreeMap::new();
        for o in r
            .outcomes
            .iter()
            .filter(|o| o.status == OutcomeStatus::Pinned && o.kind != Some(ACTION_KIND))
        {
            let Some(original) = o.original.as_deref() else {
                continue;
            };
            let parsed = Reference::parse(original).ok();
            let image = parsed
                .as_ref()
                .map_or(original.to_string(), |p| p.name().to_string());
            // The tag the pin follows (its own, or its tag comment's): never empty for a tag-comment pin.
            let tag = o.tag.clone().unwrap_or_default();
            let old = o
                .previous
                .clone()
                .or_else(|| parsed.as_ref().and_then(|p| p.digest()).map(str::to_string))
                .unwrap_or_default();
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
            let age = o.seen.as_ref().map_or("-".to_string(), |s| {
                crate::settings::human_duration(s.age_seconds)
            });
            rows.entry((image, from, to, old, new, tag, age))
                .or_default()
                .places
                .push(o.place());
        }
        if !rows.is_empty() || actions.is_empty() {
            writeln!(out, "### {title}\n")?;
        }
        if rows.is_empty() && actions.is_empty() {
            writeln!(out, "Nothing to change.")?;
        } else if !rows.is_empty() {
            if aged {
                writeln!(out, "| image | from | to | age | files |")?;
                writeln!(out, "|---|---|---|---|---|")?;
            } else {
                writeln!(out, "| image | from | to | files |")?;
                writeln!(out, "|---|---|---|---|")?;
            }
            for ((image, from, to, _, _, _, age), row) in &rows {
                let age = if aged {
                    format!(" {age} |")
                } else {
                    String::new()
                };
                writeln!(
                    out,
                    "| `{}` | {} | {} |{age} {} |",
                    cell(image),
                    from,
                    to,
                    row.places_cell()
                )?;
            }
        }
        if update && !rows.is_empty() {
            writeln!(out, "\n#### Digests\n")?;
            for (image, _, _, old, new, tag, _) in rows.keys() {
                let tag = if tag.is_empty() {
                    String::new()
                } else {
                    format!(" `{}`", cell(tag))
                };
                writeln!(out, "- `{}`{tag}: `{old}` → `{new}`", cell(image))?;
                if let Some(seen) = seen_of(r, new) {
                    writeln!(out, "  - {seen}")?;
                }
                match r.labels.get(new) {
                    None => {}
                    Some(Err(e)) => writeln!(out, "  - labels not read: {}", cell(e))?,
                    Some(Ok(l)) if l.is_empty() => writeln!(
                        out,
                        "  - no `org.opencontainers.image` created, revision or source label"
                    )?,
                    Some(Ok(l)) => {
                        if let Some(v) = &l.created {
                            writeln!(out, "  - created: {}", code(v))?;
                        }
                        if let Some(v) = &l.revision {
                            writeln!(out, "  - revision: {}", code(v))?;
                        }
                        if let Some(v) = &l.source {
                            writeln!(out, "  - source: {}", source(v))?;
                        }
                    }
                }
            }
        }
        if !actions.is_empty() {
            let title = match r.command {
                Command::Update => "GitHub Actions refs that moved",
                Command::Unpin => "GitHub Actions unpinned",
                _ => "GitHub Actions pinned to commits",
            };
            let lead = if rows.is_empty() { "###" } else { "\n###" };
            writeln!(out, "{lead} {title}\n")?;
            writeln!(out, "| action | from | to | files |")?;
            writeln!(out, "|---|---|---|---|")?;
            for ((action, from, to), row) in &actions {
                writeln!(
                    out,
                    "| `{}` | `{}` | `{}` | {} |",
                    cell(action),
                    cell(from),
                    cell(to),
                    row.places_cell()
                )?;
            }
        }
        write_held(r, out)?;
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
        self.summary.finish(r, out, err)
    }
}

/// The actions that change, grouped: (action, from, to) → places. From and to are refs or commits (the
/// first 12 digits): `v4` → commit when pinning, commit → commit when a ref moved, commit → ref when
/// unpinning.
fn action_rows(r: &Report) -> BTreeMap<(String, String, String), Row> {
    let mut rows: BTreeMap<(String, String, String), Row> = BTreeMap::new();
    let part = |value: &str| -> (String, String) {
        match ActionRef::parse(value) {
            Ok(a) if a.is_pinned() => (a.name().to_string(), short(a.git_ref()).to_string()),
            Ok(a) => (a.name().to_string(), a.git_ref().to_string()),
            Err(_) => (value.to_string(), String::new()),
        }
    };
    for o in r
        .outcomes
        .iter()
        .filter(|o| o.status == OutcomeStatus::Pinned && o.kind == Some(ACTION_KIND))
    {
        let (Some(original), Some(pinned)) = (o.original.as_deref(), o.pinned.as_deref()) else {
            continue;
        };
        let (action, from) = part(original);
        let (_, to) = part(pinned);
        rows.entry((action, from, to))
            .or_default()
            .places
            .push(o.place());
    }
    rows
}

/// How old a new digest is, from the first outcome that moved to it: `first seen 2026-12-01T10:00:00Z (3d 4h
/// ago)`.
fn seen_of(r: &Report, digest: &str) -> Option<String> {
    r.outcomes
        .iter()
        .filter(|o| o.digest.as_deref() == Some(digest))
        .find_map(|o| o.seen.as_ref())
        .map(super::Seen::text)
}

/// The changes held back (`pin update`): each reference kept, with its tag, the digest it keeps, the one it
/// would take, how old that one is (with a waiting period) and why not yet: from when it is applied, or what it
/// lacks.
fn write_held(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let held: Vec<&super::Outcome> = r.outcomes.iter().filter(|o| o.held.is_some()).collect();
    if held.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n#### Held back\n")?;
    writeln!(out, "| image | tag | pinned | new | age | why | files |")?;
    writeln!(out, "|---|---|---|---|---|---|---|")?;
    for o in held {
        let original = o.original.as_deref().unwrap_or_default();
        let image =
            Reference::parse(original).map_or(original.to_string(), |p| p.name().to_string());
        let age = o.seen.as_ref().map_or("-".to_string(), |s| {
            let what = if s.source == "created" {
                " (created)"
            } else {
                ""
            };
            format!("{}{what}", crate::settings::human_duration(s.age_seconds))
        });
        let why = o.held.as_ref().map_or(String::new(), |h| {
            match (&h.eligible_at, h.missing_platforms.as_slice()) {
                (Some(at), _) => format!("applied from {at}"),
                (None, []) => h.reason.clone(),
                (None, missing) => format!("no {} manifest in the new index", missing.join(", ")),
            }
        });
        let new = o
            .digest
            .as_deref()
            .map_or("-".to_string(), |d| format!("`{}`", short(d)));
        writeln!(
            out,
            "| `{}` | `{}` | `{}` | {new} | {age} | {} | `{}` |",
            cell(&image),
            cell(o.tag.as_deref().unwrap_or_default()),
            short(o.previous.as_deref().unwrap_or_default()),
            cell(&why),
            cell(&o.place()),
        )?;
    }
    Ok(())
}

/// `pin verify`: the pins that are not served (or lack a platform), grouped, images and actions apart (the
/// actions' table only when the run verified any), then warnings and errors.
fn write_verify(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let verified = |action: bool| {
        r.outcomes
            .iter()
            .any(|o| o.original.is_some() && (o.kind == Some(ACTION_KIND)) == action)
    };
    let (images, actions) = (verified(false), verified(true));
    if images || !actions {
        writeln!(out, "### Pinned container images that are not served\n")?;
        write_missing(r, out, false)?;
    }
    if actions {
        let lead = if images { "\n###" } else { "###" };
        writeln!(out, "{lead} Pinned GitHub Actions whose commit is gone\n")?;
        write_missing(r, out, true)?;
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

/// The table of missing pins of images (`actions` false) or of actions, grouped by (name, digest or
/// commit, problem).
fn write_missing(r: &Report, out: &mut dyn Write, actions: bool) -> io::Result<()> {
    // (name, digest, code, message) → places
    let mut rows: BTreeMap<(String, String, String, String), Row> = BTreeMap::new();
    for o in r
        .outcomes
        .iter()
        .filter(|o| o.status == OutcomeStatus::Missing && (o.kind == Some(ACTION_KIND)) == actions)
    {
        let (Some(original), Some(d)) = (o.original.as_deref(), o.primary()) else {
            continue;
        };
        let name = if actions {
            ActionRef::parse(original).map_or(original.to_string(), |a| a.name().to_string())
        } else {
            Reference::parse(original).map_or(original.to_string(), |p| p.name().to_string())
        };
        let digest = o.digest.clone().unwrap_or_default();
        rows.entry((name, digest, d.code.to_string(), d.message.clone()))
            .or_default()
            .places
            .push(o.place());
    }
    if rows.is_empty() {
        let none = if actions {
            "Every pinned commit is served."
        } else {
            "Every pinned digest is served."
        };
        return writeln!(out, "{none}");
    }
    let (what, digest) = if actions {
        ("action", "commit")
    } else {
        ("image", "digest")
    };
    writeln!(out, "| {what} | {digest} | problem | files |")?;
    writeln!(out, "|---|---|---|---|")?;
    for ((name, digest, code, message), row) in &rows {
        writeln!(
            out,
            "| `{}` | `{}` | {code}: {} | {} |",
            cell(name),
            short(digest),
            cell(message),
            row.places_cell()
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_waiting_period_adds_an_age_column_and_a_held_back_table() {
        use crate::report::{Code, Command, Held, Mode, Outcome, Report, Seen};
        let d = |c: char| format!("sha256:{}", c.to_string().repeat(64));
        let seen = |age: u64| Seen {
            at: "2026-12-07T05:00:00Z".to_string(),
            at_seconds: 0,
            age_seconds: age,
            source: "first-seen",
        };
        let mut applied =
            Outcome::new(format!("r.example/app:1@{}", d('a'))).at("a.yaml", 1, 8, 7..80, "yaml");
        applied.set(OutcomeStatus::Pinned, Code::TagMoved, "moved");
        applied.tag = Some("1".into());
        applied.previous = Some(d('a'));
        applied.digest = Some(d('b'));
        applied.seen = Some(seen(302_400));
        let mut held =
            Outcome::new(format!("r.example/db:2@{}", d('c'))).at("b.yaml", 3, 8, 7..80, "yaml");
        held.set(OutcomeStatus::Held, Code::HeldTooYoung, "too young");
        held.tag = Some("2".into());
        held.previous = Some(d('c'));
        held.digest = Some(d('e'));
        held.seen = Some(seen(3_600));
        held.held = Some(Held {
            code: Code::HeldTooYoung,
            reason: "too young".into(),
            eligible_at: Some("2026-12-10T05:00:00Z".into()),
            missing_platforms: Vec::new(),
        });
        let mut r = Report::new(Command::Update, Mode::DryRun);
        r.outcomes = vec![applied, held];
        let (mut out, mut err) = (Vec::new(), Vec::new());
        MarkdownReporter::default()
            .report(&r, &mut out, &mut err)
            .unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(
            out.contains(
                "| image | from | to | age | files |\n|---|---|---|---|---|\n| `r.example/app` | `1` @ \
                 `aaaaaaaaaaaa` | `1` @ `bbbbbbbbbbbb` | 3d 12h | `a.yaml:1:8` |\n"
            ),
            "{out}"
        );
        assert!(
            out.contains("  - first seen 2026-12-07T05:00:00Z (3d 12h ago)\n"),
            "{out}"
        );
        assert!(
            out.contains(
                "#### Held back\n\n| image | tag | pinned | new | age | why | files |\n\
                 |---|---|---|---|---|---|---|\n| `r.example/db` | `2` | `cccccccccccc` | `eeeeeeeeeeee` | 1h | \
                 applied from 2026-12-10T05:00:00Z | `b.yaml:3:8` |\n"
            ),
            "{out}"
        );
    }

    #[test]
    fn label_values_cannot_become_markup() {
        assert_eq!(code("2024-05-01T10:00:00Z"), "`2024-05-01T10:00:00Z`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x``"), "``` `x`` ```");
        assert_eq!(
            code("<img src=x onerror=alert(1)> | @team"),
            "`<img src=x onerror=alert(1)> | @team`"
        );
        assert_eq!(code("a\nb\u{1b}[2J"), "`a\\x0ab\\x1b[2J`");
        assert_eq!(code(""), "(empty)");
        assert_eq!(code(&"x".repeat(300)), format!("`{}…`", "x".repeat(200)));
    }

    #[test]
    fn only_https_sources_are_links() {
        assert_eq!(
            source("https://github.com/org/app"),
            "[`https://github.com/org/app`](<https://github.com/org/app>)"
        );
        assert_eq!(
            source("https://x.example/a b>c\\"),
            "[`https://x.example/a b>c\\`](<https://x.example/a%20b%3Ec/>)"
        );
        for not_linked in [
            "http://example.com/app",
            "javascript:alert(1)",
            "https://user:secret@example.com/",
            "github.com/org/app",
        ] {
            assert_eq!(source(not_linked), code(not_linked), "{not_linked}");
        }
    }
}
