//! `--format sarif`: one SARIF 2.1.0 log on stdout for code scanning. Every code is a rule; every
//! diagnostic a result with its location (columns in Unicode code points, as `pin` counts them) and, for a
//! reference to pin or update, a fix that replaces its bytes with the pinned text.

use std::io::{self, Write};

use serde_json::{json, Value};

use super::{Code, Diagnostic, ExitStatus, Outcome, Report, Reporter, Severity, TextReporter};

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

#[derive(Clone, Copy, Debug, Default)]
pub struct SarifReporter {
    /// For the summary line on stderr.
    pub summary: TextReporter,
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// A relative path as a URI reference: every byte outside the unreserved set and `/` percent-encoded.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn rule(c: Code) -> Value {
    json!({
        "id": c.as_str(),
        "name": c.name(),
        "shortDescription": { "text": c.doc() },
        "defaultConfiguration": { "level": level(c.severity(false)) },
    })
}

fn result(d: &Diagnostic, o: Option<&Outcome>) -> Value {
    let text = match o.and_then(|o| o.original.as_deref()) {
        Some(reference) => format!("{reference}: {}", d.message),
        None => d.message.clone(),
    };
    let index = Code::ALL.iter().position(|c| *c == d.code).unwrap_or(0);
    let mut result = json!({
        "ruleId": d.code.as_str(),
        "ruleIndex": index,
        "level": level(d.severity),
        "message": { "text": text },
    });
    if let Some(props) = o.and_then(properties) {
        result["properties"] = props;
    }
    let Some(at) = &d.location else {
        return result;
    };
    let artifact = json!({ "uri": uri(&at.file), "uriBaseId": "%SRCROOT%" });
    let mut region = serde_json::Map::new();
    if let Some(line) = at.line {
        region.insert("startLine".into(), json!(line));
    }
    if let Some(col) = at.column {
        region.insert("startColumn".into(), json!(col));
    }
    if let Some(span) = &at.span {
        region.insert("byteOffset".into(), json!(span.start));
        region.insert("byteLength".into(), json!(span.len()));
    }
    let mut physical = json!({ "artifactLocation": artifact });
    if !region.is_empty() {
        physical["region"] = Value::Object(region);
    }
    result["locations"] = json!([{ "physicalLocation": physical }]);
    if let (Some(fix), Some(span)) = (&d.fix, &at.span) {
        result["fixes"] = json!([{
            "description": { "text": format!("replace with {}", fix.replacement.trim()) },
            "artifactChanges": [{
                "artifactLocation": artifact,
                "replacements": [{
                    "deletedRegion": { "byteOffset": span.start, "byteLength": span.len() },
                    "insertedContent": { "text": fix.replacement },
                }],
            }],
        }]);
    }
    result
}

/// What a bot needs of a reference besides the message (SARIF's property bag): its kind (the JSON report's),
/// the tag it follows, the digest before and after, the age of the new digest and why a change was held
/// (as the JSON report's `firstSeen` and `held`).
fn properties(o: &Outcome) -> Option<Value> {
    let mut p = serde_json::Map::new();
    if let Some(kind) = o.kind {
        p.insert("kind".into(), json!(kind));
    }
    if let Some(tag) = &o.tag {
        p.insert("tag".into(), json!(tag));
    }
    if let Some(d) = &o.previous {
        p.insert("previousDigest".into(), json!(d));
    }
    if let Some(d) = &o.digest {
        p.insert("digest".into(), json!(d));
    }
    if let Some(seen) = &o.seen {
        p.insert("firstSeen".into(), json!(seen));
    }
    if let Some(held) = &o.held {
        p.insert("held".into(), json!(held));
    }
    (!p.is_empty()).then_some(Value::Object(p))
}

/// The whole log as a JSON value.
pub fn log(r: &Report) -> Value {
    let results: Vec<Value> = r
        .outcomes
        .iter()
        .flat_map(|o| o.diagnostics.iter().map(move |d| result(d, Some(o))))
        .chain(r.diagnostics.iter().map(|d| result(d, None)))
        .collect();
    let status = ExitStatus::of(r);
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "pin",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": Code::ALL.iter().map(|c| rule(*c)).collect::<Vec<_>>(),
            }},
            "columnKind": "unicodeCodePoints",
            "originalUriBaseIds": { "%SRCROOT%": { "description": { "text": "the directory pin ran in" } } },
            "invocations": [{
                "executionSuccessful": status != ExitStatus::Error,
                "exitCode": status as i32,
            }],
            "results": results,
        }],
    })
}

impl Reporter for SarifReporter {
    fn report(&self, r: &Report, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<()> {
        self.summary.finish_json(&log(r), r, out, err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(uri("k8s/app.yaml"), "k8s/app.yaml");
        assert_eq!(uri("a b/#x%.yaml"), "a%20b/%23x%25.yaml");
        assert_eq!(uri("é"), "%C3%A9");
    }
}
