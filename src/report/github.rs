//! `--format github`: GitHub Actions workflow commands on stdout, one per diagnostic, so that a job's
//! `pin --check` annotates the lines of the pull request. Errors become `::error`, warnings `::warning`, the
//! rest `::notice`; the summary stays on stderr.

use std::io::{self, Write};

use super::{Class, Diagnostic, Outcome, Report, Reporter, Severity, TextReporter};

#[derive(Clone, Copy, Debug, Default)]
pub struct GithubReporter {
    /// For the summary line on stderr.
    pub summary: TextReporter,
}

impl Reporter for GithubReporter {
    fn report(&self, r: &Report, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<()> {
        // `-q` leaves out the skips that are only notices (a template, an ignored line), as the text format does.
        let shown = |d: &&Diagnostic| {
            !(self.summary.quiet && d.class() == Class::Skip && d.severity != Severity::Warning)
        };
        for o in &r.outcomes {
            for d in o.diagnostics.iter().filter(shown) {
                annotate(out, d, Some(o))?;
            }
        }
        for d in &r.diagnostics {
            annotate(out, d, None)?;
        }
        self.summary.finish(r, out, err)
    }
}

fn annotate(out: &mut dyn Write, d: &Diagnostic, o: Option<&Outcome>) -> io::Result<()> {
    let level = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    };
    let mut properties = Vec::new();
    if let Some(at) = &d.location {
        properties.push(format!("file={}", property(&at.file)));
        if let Some(line) = at.line {
            properties.push(format!("line={line}"));
        }
        if let Some(col) = at.column {
            properties.push(format!("col={col}"));
        }
    }
    // An action's finding says so in its title: the same codes serve images and actions.
    let kind = match o.and_then(|o| o.kind) {
        Some(super::ACTION_KIND) => " (action)",
        _ => "",
    };
    properties.push(format!(
        "title={}",
        property(&format!("{} {}{kind}", d.code, d.code.name()))
    ));
    let message = match o.and_then(|o| o.original.as_deref()) {
        Some(reference) => format!("{reference}: {}", d.message),
        None => d.message.clone(),
    };
    writeln!(
        out,
        "::{level} {}::{}",
        properties.join(","),
        data(&message)
    )
}

/// The message of a workflow command: `%`, CR and LF escaped, as the runner decodes them.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value: also `:` and `,`, which end it.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Code, Command, Mode, OutcomeStatus};

    #[test]
    fn annotations_escape_what_the_runner_decodes() {
        assert_eq!(data("100% a\r\nb"), "100%25 a%0D%0Ab");
        assert_eq!(property("a:b,c%"), "a%3Ab%2Cc%25");
        let mut o = Outcome::new("nginx:1.27").at("dir,x/a:b.yaml", 3, 12, 0..10, "yaml");
        o.set(OutcomeStatus::Pinned, Code::Unpinned, "no digest;\nnext");
        o.diagnostics[0].severity = Severity::Error;
        let mut r = Report::new(Command::Pin, Mode::Check);
        r.outcomes.push(o);
        r.fail(Code::Lockfile, "pin.lock: bad");
        let mut out = Vec::new();
        GithubReporter::default()
            .report(&r, &mut out, &mut Vec::new())
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "::error file=dir%2Cx/a%3Ab.yaml,line=3,col=12,title=PIN001 unpinned::nginx:1.27: no digest;%0Anext\n\
             ::error title=PIN022 lockfile::pin.lock: bad\n"
        );
    }
}
