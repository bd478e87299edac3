//! The test tables of distribution/reference (`tests/data/reference-vectors.json`), one test per section,
//! then `pin`'s own cases.
//!
//! Each section test runs every case, collects every mismatch, and fails listing them all, so one wrong
//! case cannot hide the others. The number of cases run is checked against the file's own `counts`, so a
//! section cannot pass by running nothing.

use super::*;
use serde_json::Value;
use std::fmt::Debug;
use std::sync::LazyLock;

static VECTORS: LazyLock<Value> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../../tests/data/reference-vectors.json"))
        .expect("the vectors are JSON")
});

/// Every section of the file that holds cases; [`every_section_is_tested`] keeps this list honest.
const SECTIONS: &[&str] = &[
    "parse",
    "with_name_failure",
    "domain_and_path",
    "serialization",
    "with_tag",
    "with_digest",
    "parse_named",
    "normalize_names",
    "repository_info",
    "tag_and_digest",
    "invalid_reference_components",
    "parse_any_reference",
    "normalized_split_hostname",
    "parse_docker_ref",
    "familiar_match",
    "regexp_domain_and_port",
    "regexp_anchored_name",
    "regexp_reference",
    "regexp_identifier",
    "legacy_only",
    "commented_out_cases",
];

/// The cases of `section`, after checking their number against `counts` (a number, or an object with
/// `total`), where the file states one.
fn cases(section: &str) -> &'static [Value] {
    let cases = VECTORS[section]
        .as_array()
        .unwrap_or_else(|| panic!("no section {section}"));
    let stated = &VECTORS["counts"][section];
    if let Some(total) = stated.get("total").unwrap_or(stated).as_u64() {
        assert_eq!(
            cases.len() as u64,
            total,
            "{section}: case count differs from counts"
        );
    }
    cases
}

/// A required string field.
fn text<'a>(case: &'a Value, key: &str) -> &'a str {
    case[key]
        .as_str()
        .unwrap_or_else(|| panic!("case {case} has no string {key}"))
}

/// An optional string field: `null` or absent is `None`.
fn opt<'a>(case: &'a Value, key: &str) -> Option<&'a str> {
    case.get(key).and_then(Value::as_str)
}

fn flag(case: &Value, key: &str) -> bool {
    case[key]
        .as_bool()
        .unwrap_or_else(|| panic!("case {case} has no bool {key}"))
}

/// The variant mirroring a Go error named as in the file's `errors` table.
fn go_error(name: &str) -> ReferenceError {
    match name {
        "ErrReferenceInvalidFormat" => ReferenceError::InvalidFormat,
        "ErrTagInvalidFormat" => ReferenceError::TagInvalidFormat,
        "ErrDigestInvalidFormat" => ReferenceError::DigestInvalidFormat,
        "ErrNameContainsUppercase" => ReferenceError::NameContainsUppercase,
        "ErrNameEmpty" => ReferenceError::NameEmpty,
        "ErrNameTooLong" => ReferenceError::NameTooLong,
        "ErrNameNotCanonical" => ReferenceError::NameNotCanonical,
        "digest.ErrDigestInvalidFormat" => ReferenceError::ChecksumInvalidFormat,
        "digest.ErrDigestInvalidLength" => ReferenceError::DigestInvalidLength,
        "digest.ErrDigestUnsupported" => ReferenceError::DigestUnsupported,
        other => panic!("unknown Go error {other}"),
    }
}

/// Mismatches found in one section.
#[derive(Default)]
struct Failures {
    list: Vec<String>,
    cases: usize,
}

impl Failures {
    /// Counts one case; labels are cut short because some inputs are 300 characters long.
    fn case<'a>(&mut self, label: &'a str) -> &'a str {
        self.cases += 1;
        label
    }

    fn fail(&mut self, label: &str, message: impl std::fmt::Display) {
        let short: String = label.chars().take(80).collect();
        self.list.push(format!("{short:?}: {message}"));
    }

    fn eq<T: PartialEq + Debug>(&mut self, label: &str, what: &str, got: T, want: T) {
        if got != want {
            self.fail(label, format_args!("{what}: got {got:?}, want {want:?}"));
        }
    }

    /// `result` must be the error `case` names in `error` (when present) with the text of `error_message`.
    fn expect_error<T: Debug>(
        &mut self,
        label: &str,
        result: Result<T, ReferenceError>,
        case: &Value,
    ) {
        match result {
            Ok(value) => self.fail(label, format_args!("accepted as {value:?}, want an error")),
            Err(err) => {
                if let Some(name) = opt(case, "error") {
                    self.eq(label, "error", &err, &go_error(name));
                }
                self.eq(
                    label,
                    "error text",
                    err.to_string().as_str(),
                    text(case, "error_message"),
                );
            }
        }
    }

    /// [`Reference::parse`] against what the Go library printed for the same input (a `library` or
    /// `library_normalized` block), plus `pin`'s own promise: the name as written is kept.
    fn normalized(&mut self, label: &str, input: &str, lib: &Value) {
        match (Reference::parse(input), opt(lib, "error_message")) {
            (Err(err), Some(message)) => self.eq(
                label,
                "normalized error text",
                err.to_string().as_str(),
                message,
            ),
            (Err(err), None) => self.fail(
                label,
                format_args!("normalized: rejected ({err}), want accepted"),
            ),
            (Ok(r), Some(message)) => self.fail(
                label,
                format_args!("normalized: accepted {r:?}, want {message}"),
            ),
            (Ok(r), None) => {
                self.eq(
                    label,
                    "normalized",
                    r.normalized_string().as_str(),
                    text(lib, "normalized"),
                );
                self.eq(
                    label,
                    "familiar_string",
                    r.familiar_string().as_str(),
                    text(lib, "familiar_string"),
                );
                self.eq(
                    label,
                    "familiar_name",
                    r.familiar_name().as_str(),
                    text(lib, "familiar_name"),
                );
                self.eq(label, "registry", r.registry(), text(lib, "domain"));
                self.eq(label, "repository", r.repository(), text(lib, "path"));
                self.eq(label, "tag", r.tag(), opt(lib, "tag"));
                self.eq(label, "digest", r.digest(), opt(lib, "digest"));
                self.eq(
                    label,
                    "docker_ref",
                    r.docker_ref_string().as_str(),
                    text(lib, "docker_ref"),
                );
                self.eq(label, "as_str", r.as_str(), input);
                self.eq(
                    label,
                    "name + tag + digest",
                    with_suffix(r.name().to_string(), r.tag(), r.digest()).as_str(),
                    input,
                );
            }
        }
    }

    fn assert_clean(self, section: &str) {
        assert!(self.cases > 0, "{section}: no cases ran");
        assert!(
            self.list.is_empty(),
            "{section}: {} of {} cases failed:\n{}",
            self.list.len(),
            self.cases,
            self.list.join("\n")
        );
    }
}

#[test]
fn every_section_is_tested() {
    let in_file: Vec<&str> = VECTORS
        .as_object()
        .expect("an object")
        .iter()
        .filter(|(key, value)| value.is_array() || key.as_str() == "legacy_only")
        .map(|(key, _)| key.as_str())
        .collect();
    let mut tested = SECTIONS.to_vec();
    tested.sort_unstable();
    let mut in_file_sorted = in_file.clone();
    in_file_sorted.sort_unstable();
    assert_eq!(in_file_sorted, tested);
}

#[test]
fn error_texts_match_go() {
    let mut f = Failures::default();
    for (name, message) in VECTORS["errors"].as_object().expect("errors table") {
        let label = f.case(name);
        f.eq(
            label,
            "text",
            go_error(name).to_string().as_str(),
            message.as_str().expect("a message"),
        );
    }
    f.assert_clean("errors");
}

/// `reference.Parse`: the strict grammar, then what `ParseNormalizedNamed` made of the same input.
#[test]
fn parse() {
    let mut f = Failures::default();
    for case in cases("parse") {
        let input = f.case(text(case, "input"));
        let result = StrictReference::parse(input);
        if flag(case, "valid") {
            match result {
                Ok(r) => {
                    f.eq(input, "name", r.name().as_str(), text(case, "name"));
                    f.eq(input, "domain", r.domain(), text(case, "domain"));
                    f.eq(input, "path", r.path(), text(case, "path"));
                    f.eq(input, "tag", r.tag(), opt(case, "tag"));
                    f.eq(input, "digest", r.digest(), opt(case, "digest"));
                    f.eq(input, "string", r.to_string().as_str(), input);
                }
                Err(err) => f.fail(input, format_args!("rejected: {err}")),
            }
        } else {
            f.expect_error(input, result, case);
        }
        f.normalized(input, input, &case["library_normalized"]);
    }
    f.assert_clean("parse");
}

/// `WithName` takes a bare name only.
#[test]
fn with_name_failure() {
    let mut f = Failures::default();
    for case in cases("with_name_failure") {
        let input = f.case(text(case, "input"));
        f.expect_error(input, StrictReference::with_name(input), case);
    }
    f.assert_clean("with_name_failure");
}

#[test]
fn domain_and_path() {
    let mut f = Failures::default();
    for case in cases("domain_and_path") {
        let input = f.case(text(case, "input"));
        assert!(flag(case, "valid"));
        match StrictReference::with_name(input) {
            Ok(r) => {
                f.eq(input, "domain", r.domain(), text(case, "domain"));
                f.eq(input, "path", r.path(), text(case, "path"));
            }
            Err(err) => f.fail(input, format_args!("rejected: {err}")),
        }
    }
    f.assert_clean("domain_and_path");
}

/// Go round-trips `reference.Field` through JSON: `MarshalText` is `String()`, `UnmarshalText` is `Parse`.
/// We have no such wrapper, so the equivalent is parse, check, and print back the same text.
#[test]
fn serialization() {
    let mut f = Failures::default();
    for case in cases("serialization") {
        let input = f.case(text(case, "input"));
        let result = StrictReference::parse(input);
        if !flag(case, "valid") {
            f.expect_error(input, result, case);
            continue;
        }
        match result {
            Ok(r) => {
                f.eq(input, "name", r.name().as_str(), text(case, "name"));
                f.eq(input, "tag", r.tag(), opt(case, "tag"));
                f.eq(input, "digest", r.digest(), opt(case, "digest"));
                f.eq(input, "round trip", r.to_string().as_str(), input);
            }
            Err(err) => f.fail(input, format_args!("rejected: {err}")),
        }
    }
    f.assert_clean("serialization");
}

/// `WithName`, then `WithDigest` and `WithTag` in the order the Go test applies them.
fn build(
    name: &str,
    first: (&str, Option<&str>),
    second: (&str, &str),
) -> Result<String, ReferenceError> {
    let apply = |r: StrictReference, (what, value): (&str, &str)| match what {
        "tag" => r.with_tag(value),
        _ => r.with_digest(value),
    };
    let mut r = StrictReference::with_name(name)?;
    if let (what, Some(value)) = first {
        r = apply(r, (what, value))?;
    }
    Ok(apply(r, second)?.to_string())
}

#[test]
fn with_tag() {
    let mut f = Failures::default();
    for case in cases("with_tag") {
        let label = f.case(text(case, "combined"));
        let built = build(
            text(case, "name"),
            ("digest", opt(case, "digest")),
            ("tag", text(case, "tag")),
        );
        f.eq(label, "combined", built, Ok(label.to_string()));
    }
    f.assert_clean("with_tag");
}

#[test]
fn with_digest() {
    let mut f = Failures::default();
    for case in cases("with_digest") {
        let label = f.case(text(case, "combined"));
        let built = build(
            text(case, "name"),
            ("tag", opt(case, "tag")),
            ("digest", text(case, "digest")),
        );
        f.eq(label, "combined", built, Ok(label.to_string()));
    }
    f.assert_clean("with_digest");
}

/// `ParseNamed` is [`Reference::parse_canonical`].
#[test]
fn parse_named() {
    let mut f = Failures::default();
    for case in cases("parse_named") {
        let input = f.case(text(case, "input"));
        let result = Reference::parse_canonical(input);
        if !flag(case, "valid") {
            f.expect_error(input, result, case);
            continue;
        }
        match result {
            Ok(r) => {
                f.eq(input, "registry", r.registry(), text(case, "domain"));
                f.eq(input, "repository", r.repository(), text(case, "path"));
                f.eq(input, "normalized", r.normalized_string().as_str(), input);
            }
            Err(err) => f.fail(input, format_args!("rejected: {err}")),
        }
    }
    f.assert_clean("parse_named");
}

/// `ParseNormalizedNamed` is [`Reference::parse`].
#[test]
fn normalize_names() {
    let mut f = Failures::default();
    for case in cases("normalize_names") {
        let input = f.case(text(case, "input"));
        let lib = &case["library"];
        f.eq(
            input,
            "table and library agree",
            flag(case, "valid"),
            lib.get("error_message").is_none(),
        );
        f.normalized(input, input, lib);
    }
    f.assert_clean("normalize_names");
}

#[test]
fn repository_info() {
    let mut f = Failures::default();
    let mut inputs = 0;
    for case in cases("repository_info") {
        for input in case["inputs"].as_array().expect("inputs") {
            let input = f.case(input.as_str().expect("a string"));
            inputs += 1;
            match Reference::parse(input) {
                Ok(r) => {
                    f.eq(
                        input,
                        "familiar_name",
                        r.familiar_name().as_str(),
                        text(case, "familiar_name"),
                    );
                    f.eq(
                        input,
                        "name",
                        r.normalized_name().as_str(),
                        text(case, "full_name"),
                    );
                    f.eq(
                        input,
                        "string",
                        r.normalized_string().as_str(),
                        text(case, "full_name"),
                    );
                    f.eq(input, "registry", r.registry(), text(case, "domain"));
                    f.eq(input, "repository", r.repository(), text(case, "path"));
                }
                Err(err) => f.fail(input, format_args!("rejected: {err}")),
            }
        }
    }
    assert_eq!(
        Some(inputs),
        VECTORS["counts"]["repository_info"]["inputs"].as_u64()
    );
    f.assert_clean("repository_info");
}

#[test]
fn tag_and_digest() {
    let mut f = Failures::default();
    for case in cases("tag_and_digest") {
        let input = f.case(text(case, "input"));
        match Reference::parse(input) {
            Ok(r) => {
                f.eq(
                    input,
                    "normalized",
                    r.normalized_string().as_str(),
                    text(case, "normalized"),
                );
                f.eq(
                    input,
                    "familiar_string",
                    r.familiar_string().as_str(),
                    text(case, "familiar_string"),
                );
                f.eq(input, "tagged", r.tag().is_some(), flag(case, "tagged"));
                f.eq(
                    input,
                    "digested",
                    r.digest().is_some(),
                    flag(case, "digested"),
                );
                let again =
                    Reference::parse(&r.familiar_string()).map(|again| again.normalized_string());
                f.eq(
                    input,
                    "familiar round trip",
                    again,
                    Ok(r.normalized_string()),
                );
            }
            Err(err) => f.fail(input, format_args!("rejected: {err}")),
        }
    }
    f.assert_clean("tag_and_digest");
}

#[test]
fn invalid_reference_components() {
    let mut f = Failures::default();
    for case in cases("invalid_reference_components") {
        let operation = f.case(text(case, "operation"));
        assert!(!flag(case, "valid"));
        match operation {
            "ParseNormalizedNamed" => {
                let input = text(case, "input");
                if let Ok(r) = Reference::parse(input) {
                    f.fail(input, format_args!("accepted as {r:?}"));
                }
            }
            "WithTag" => {
                let result = StrictReference::with_name(text(case, "name"))
                    .and_then(|r| r.with_tag(text(case, "tag")));
                f.expect_error(text(case, "tag"), result, case);
            }
            "WithDigest" => {
                let result = StrictReference::with_name(text(case, "name"))
                    .and_then(|r| r.with_digest(text(case, "digest")));
                f.expect_error(text(case, "digest"), result, case);
            }
            other => f.fail(other, "unknown operation"),
        }
    }
    f.assert_clean("invalid_reference_components");
}

#[test]
fn parse_any_reference() {
    let mut f = Failures::default();
    for case in cases("parse_any_reference") {
        let input = f.case(text(case, "input"));
        assert!(flag(case, "valid"));
        match AnyReference::parse(input) {
            Ok(any) => {
                f.eq(
                    input,
                    "string",
                    any.to_string().as_str(),
                    text(case, "equivalent"),
                );
                match (&any, text(case, "kind")) {
                    (AnyReference::Digest(digest), "digest_only") => {
                        f.eq(input, "digest", Some(digest.as_str()), opt(case, "digest"))
                    }
                    (AnyReference::Named(_), "named") => {}
                    (_, kind) => f.fail(input, format_args!("got {any:?}, want kind {kind}")),
                }
            }
            Err(err) => f.fail(input, format_args!("rejected: {err}")),
        }
    }
    f.assert_clean("parse_any_reference");
}

#[test]
fn normalized_split_hostname() {
    let mut f = Failures::default();
    for case in cases("normalized_split_hostname") {
        let input = f.case(text(case, "input"));
        match Reference::parse(input) {
            Ok(r) => {
                f.eq(input, "registry", r.registry(), text(case, "domain"));
                f.eq(input, "repository", r.repository(), text(case, "path"));
            }
            Err(err) => f.fail(input, format_args!("rejected: {err}")),
        }
        f.normalized(input, input, &case["library"]);
    }
    f.assert_clean("normalized_split_hostname");
}

#[test]
fn parse_docker_ref() {
    let mut f = Failures::default();
    for case in cases("parse_docker_ref") {
        let input = f.case(text(case, "input"));
        let got = Reference::parse(input).map(|r| r.docker_ref_string());
        f.eq(
            input,
            "docker ref",
            got,
            Ok(text(case, "expected").to_string()),
        );
        f.normalized(input, input, &case["library"]);
    }
    f.assert_clean("parse_docker_ref");
}

/// `FamiliarMatch(pattern, ParseAnyReference(reference))` is a glob match of the pattern against the familiar
/// string, else the familiar name. `pin` has no such API; what the cases check is that our familiar forms
/// are the ones the patterns were written for. Go globs with `path.Match`; the nearest we have is globset
/// with `*` stopping at `/`. They differ on `**` (recursive in globset, a plain `*` in Go), which none of
/// these cases tells apart: `foo/**/ba[rz]` always meets exactly one middle component.
#[test]
fn familiar_match() {
    let mut f = Failures::default();
    for case in cases("familiar_match") {
        let reference = f.case(text(case, "reference"));
        let pattern = text(case, "pattern");
        let glob = globset::GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .expect("a valid glob")
            .compile_matcher();
        match AnyReference::parse(reference) {
            Ok(any) => {
                let name = match &any {
                    AnyReference::Named(r) => Some(r.familiar_name()),
                    AnyReference::Digest(_) => None,
                };
                let matched = glob.is_match(any.familiar_string())
                    || name.is_some_and(|name| glob.is_match(name));
                f.eq(reference, pattern, matched, flag(case, "expected"));
            }
            Err(err) => f.fail(reference, format_args!("rejected: {err}")),
        }
    }
    f.assert_clean("familiar_match");
}

/// Go's `DomainRegexp` is our [`is_domain_and_port`].
#[test]
fn regexp_domain_and_port() {
    let mut f = Failures::default();
    for case in cases("regexp_domain_and_port") {
        let input = f.case(text(case, "input"));
        f.eq(
            input,
            "match",
            is_domain_and_port(input),
            flag(case, "match"),
        );
    }
    f.assert_clean("regexp_domain_and_port");
}

/// Go's `anchoredNameRegexp` is our [`split_name`]; its capture groups are the domain and the path.
#[test]
fn regexp_anchored_name() {
    let mut f = Failures::default();
    for case in cases("regexp_anchored_name") {
        let input = f.case(text(case, "input"));
        let got = split_name(input);
        f.eq(input, "match", got.is_some(), flag(case, "match"));
        if let (Some((domain, path)), Some(subs)) = (got, case.get("subs")) {
            f.eq(
                input,
                "subs",
                serde_json::json!([domain, path]),
                subs.clone(),
            );
        }
    }
    f.assert_clean("regexp_anchored_name");
}

/// Go's `ReferenceRegexp` is our [`split_reference`]; its capture groups are name, tag and digest (`""` when
/// absent).
#[test]
fn regexp_reference() {
    let mut f = Failures::default();
    for case in cases("regexp_reference") {
        let input = f.case(text(case, "input"));
        let got = split_reference(input);
        f.eq(input, "match", got.is_some(), flag(case, "match"));
        if let (Some((name, tag, digest)), Some(subs)) = (got, case.get("subs")) {
            let got = serde_json::json!([name, tag.unwrap_or(""), digest.unwrap_or("")]);
            f.eq(input, "subs", got, subs.clone());
        }
    }
    f.assert_clean("regexp_reference");
}

/// Go's `anchoredIdentifierRegexp` is our [`is_identifier`].
#[test]
fn regexp_identifier() {
    let mut f = Failures::default();
    for case in cases("regexp_identifier") {
        let input = f.case(text(case, "input"));
        f.eq(input, "match", is_identifier(input), flag(case, "match"));
    }
    f.assert_clean("regexp_identifier");
}

/// Cases whose expectation changed when the package left docker/distribution. We follow the current
/// library (`current_library`), not the legacy table: the name length limit counts the path only (the
/// 257-character `a/a/…:tag` is valid), a `sha512` digest is an unsupported algorithm (only sha256 is
/// available, see [`AVAILABLE_ALGORITHMS`]), and `WithName` reports a malformed name as an invalid format.
#[test]
fn legacy_only() {
    let mut f = Failures::default();
    let legacy = &VECTORS["legacy_only"];
    for case in legacy["parse"].as_array().expect("legacy parse cases") {
        let input = f.case(text(case, "input"));
        let current = &case["current_library"];
        match (StrictReference::parse(input), flag(current, "valid")) {
            (Ok(r), true) => f.eq(
                input,
                "string",
                r.to_string().as_str(),
                text(current, "string"),
            ),
            (Err(err), false) => f.eq(
                input,
                "error text",
                err.to_string().as_str(),
                text(current, "error_message"),
            ),
            (got, _) => f.fail(input, format_args!("got {got:?}, want {current}")),
        }
    }
    for case in legacy["with_name_failure"]
        .as_array()
        .expect("legacy with_name cases")
    {
        let input = f.case(text(case, "input"));
        f.expect_error(
            input,
            StrictReference::with_name(input),
            &case["current_library"],
        );
    }
    assert_eq!(
        Some(f.cases as u64),
        VECTORS["counts"]["legacy_only"].as_u64()
    );
    f.assert_clean("legacy_only");
}

/// A case commented out in the Go tests as a known flaw (`Uppercase` is read as a domain). We follow the
/// current library, which accepts it, rather than the commented-out expectation.
#[test]
fn commented_out_cases() {
    let mut f = Failures::default();
    for case in cases("commented_out_cases") {
        let input = f.case(text(case, "input"));
        let current = &case["current_library"];
        assert!(flag(current, "valid"));
        match StrictReference::parse(input) {
            Ok(r) => {
                f.eq(input, "name", r.name().as_str(), text(current, "name"));
                f.eq(input, "domain", r.domain(), text(current, "domain"));
                f.eq(input, "path", r.path(), text(current, "path"));
                f.eq(input, "tag", r.tag(), opt(current, "tag"));
            }
            Err(err) => f.fail(input, format_args!("rejected: {err}")),
        }
    }
    f.assert_clean("commented_out_cases");
}

// `pin`'s own cases.

const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

#[test]
fn keeps_the_name_as_written() {
    let r = Reference::parse("nginx:1.25").unwrap();
    assert_eq!(
        (r.name(), r.registry(), r.repository(), r.tag()),
        ("nginx", "docker.io", "library/nginx", Some("1.25"))
    );
    assert_eq!(r.pinned(DIGEST, false), format!("nginx@{DIGEST}"));
    assert_eq!(r.pinned(DIGEST, true), format!("nginx:1.25@{DIGEST}"));

    let r = Reference::parse("index.docker.io/x").unwrap();
    assert_eq!(
        (r.name(), r.registry(), r.repository()),
        ("index.docker.io/x", "docker.io", "library/x")
    );

    let r = Reference::parse(&format!("ghcr.io/org/app:v1@{DIGEST}")).unwrap();
    assert_eq!(
        (r.name(), r.registry(), r.repository()),
        ("ghcr.io/org/app", "ghcr.io", "org/app")
    );
    assert_eq!(
        r.pinned(DIGEST, true),
        format!("ghcr.io/org/app:v1@{DIGEST}")
    );

    let r = Reference::parse("[::1]:5000/x").unwrap();
    assert_eq!(
        (r.name(), r.registry(), r.repository()),
        ("[::1]:5000/x", "[::1]:5000", "x")
    );
}

#[test]
fn rejects_templates_and_padding() {
    for s in [
        "{{ .Values.image }}",
        "{{ .Values.image.repository }}:{{ .Values.image.tag }}",
        "${REGISTRY}/app:${TAG}",
        "$IMAGE",
        "<YOUR-IMAGE>",
        " nginx",
        "nginx ",
        "nginx\n",
        "nginx:",
        "nginx@",
        "nginx:1.25@sha256:short",
        "NGINX",
        "docker.io/Library/nginx",
    ] {
        assert!(Reference::parse(s).is_err(), "{s:?} was accepted");
    }
}

#[test]
fn rejects_a_domain_that_is_no_host() {
    // Go reads this as a name without a domain; no registry could be asked for it.
    assert_eq!(
        StrictReference::parse("my_registry.local/app")
            .unwrap()
            .domain(),
        ""
    );
    assert_eq!(
        Reference::parse("my_registry.local/app"),
        Err(ReferenceError::DomainInvalid(
            "my_registry.local".to_string()
        ))
    );
}

#[test]
fn uppercase_errors() {
    assert_eq!(
        Reference::parse("Nginx"),
        Err(ReferenceError::RepositoryNotLowercase(
            "library/Nginx".to_string()
        ))
    );
    assert_eq!(
        StrictReference::parse("Nginx:tag"),
        Err(ReferenceError::NameContainsUppercase)
    );
    // Go's strings.ToLower maps KELVIN SIGN to `k`, so the lowercased retry matches.
    assert_eq!(
        StrictReference::parse("\u{212A}"),
        Err(ReferenceError::NameContainsUppercase)
    );
    assert_eq!(
        StrictReference::parse("\u{0130}mage"),
        Err(ReferenceError::NameContainsUppercase)
    );
    assert_eq!(
        StrictReference::parse("\u{00C9}"),
        Err(ReferenceError::InvalidFormat)
    );
}

#[test]
fn length_limit_counts_the_normalized_path() {
    let longest = "a".repeat(REPOSITORY_NAME_MAX - OFFICIAL_REPO_PREFIX.len());
    assert!(Reference::parse(&longest).is_ok());
    assert_eq!(
        Reference::parse(&format!("{longest}a")),
        Err(ReferenceError::NameTooLong)
    );
    assert!(Reference::parse(&format!("example.com/{}", "a".repeat(REPOSITORY_NAME_MAX))).is_ok());
}

#[test]
fn digest_checks() {
    let hex = &DIGEST["sha256:".len()..];
    assert_eq!(validate_digest(DIGEST), Ok(()));
    assert_eq!(
        validate_digest(&format!("sha256:{}", hex.to_uppercase())),
        Err(ReferenceError::ChecksumInvalidFormat)
    );
    assert_eq!(
        validate_digest(&format!("sha256:{hex}0")),
        Err(ReferenceError::DigestInvalidLength)
    );
    assert_eq!(
        validate_digest(&format!("sha512:{hex}{hex}")),
        Err(ReferenceError::DigestUnsupported)
    );
    assert_eq!(
        validate_digest(&format!("SHA256:{hex}")),
        Err(ReferenceError::ChecksumInvalidFormat)
    );
    assert_eq!(
        validate_digest(":x"),
        Err(ReferenceError::ChecksumInvalidFormat)
    );
    assert_eq!(
        validate_digest("sha256:"),
        Err(ReferenceError::ChecksumInvalidFormat)
    );
    assert!(is_valid_digest(DIGEST));
    assert!(is_valid_digest(&format!("sha512:{hex}{hex}")));
    assert!(!is_valid_digest(&format!("sha256:{}", hex.to_uppercase())));
}

/// Every parser on odd input: no panic, and whatever is accepted keeps its spelling and re-parses to itself.
#[test]
fn odd_strings_are_errors_not_panics() {
    let alphabet = [
        "", ":", "@", "/", ".", "-", "_", "[", "]", "a", "A", "0", "é", "🦀", " ", "\0", "sha256",
    ];
    let mut inputs: Vec<String> = Vec::new();
    for a in alphabet {
        for b in alphabet {
            for c in alphabet {
                inputs.push(format!("{a}{b}{c}"));
            }
        }
    }
    inputs.extend([
        "a".repeat(300),
        format!("{}:tag", "a/".repeat(150)),
        ":".repeat(300),
        "@".repeat(300),
        "/".repeat(300),
        "é".repeat(300),
        format!("a@{}", "f".repeat(300)),
        format!("a@sha256:{}", "f".repeat(300)),
        format!("a:{}", "t".repeat(300)),
        "[".to_string(),
        "[::1".to_string(),
        "[]/a".to_string(),
        "[::1]/".to_string(),
        "a/[::1]/b".to_string(),
        "localhost".to_string(),
        "localhost/".to_string(),
    ]);
    for input in &inputs {
        let _ = StrictReference::parse(input);
        let _ = StrictReference::with_name(input);
        let _ = StrictReference::with_name("a").and_then(|r| r.with_tag(input));
        let _ = StrictReference::with_name("a").and_then(|r| r.with_digest(input));
        let _ = AnyReference::parse(input);
        let _ = Reference::parse_canonical(input);
        let _ = is_valid_digest(input);
        if let Ok(r) = Reference::parse(input) {
            assert_eq!(r.as_str(), input);
            assert_eq!(
                with_suffix(r.name().to_string(), r.tag(), r.digest()),
                *input
            );
            let again =
                Reference::parse(&r.normalized_string()).expect("the normalized form parses");
            assert_eq!(again.normalized_string(), r.normalized_string());
            assert_eq!(
                Reference::parse(&r.familiar_string()).map(|r| r.normalized_string()),
                Ok(r.normalized_string())
            );
        }
    }
    for s in ["", ":", "@", "/", "é", "🦀"] {
        assert!(Reference::parse(s).is_err(), "{s:?}");
        assert!(StrictReference::parse(s).is_err(), "{s:?}");
    }
}

mod properties {
    use super::super::*;
    use proptest::prelude::*;

    /// References in the familiar form: an optional registry, one to three path components, an optional tag.
    fn reference() -> impl Strategy<Value = (String, String, Option<String>)> {
        let domain = proptest::option::of(
            "[a-z0-9]{1,8}(\\.[a-z0-9]{1,8}){1,2}(:[0-9]{2,5})?|localhost:[0-9]{4}",
        );
        let path = proptest::collection::vec("[a-z0-9]{1,6}([._-][a-z0-9]{1,4})?", 1..4);
        let tag = proptest::option::of("[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}");
        (domain, path, tag).prop_map(|(domain, path, tag)| {
            let mut name = domain.map(|d| format!("{d}/")).unwrap_or_default();
            name.push_str(&path.join("/"));
            let text = match &tag {
                Some(t) => format!("{name}:{t}"),
                None => name.clone(),
            };
            (text, name, tag)
        })
    }

    proptest! {
        // Parsing keeps the user's spelling, and pinning writes a reference that parses back to the same
        // image with the digest (and, when asked, the same tag).
        #[test]
        fn pinning_round_trips((text, name, tag) in reference(), hex in "[0-9a-f]{64}", keep in any::<bool>()) {
            let r = Reference::parse(&text).unwrap();
            prop_assert_eq!(r.name(), name.as_str());
            prop_assert_eq!(r.tag(), tag.as_deref());
            let digest = format!("sha256:{hex}");
            let pinned = r.pinned(&digest, keep);
            let back = Reference::parse(&pinned).unwrap();
            prop_assert_eq!(back.registry(), r.registry());
            prop_assert_eq!(back.repository(), r.repository());
            prop_assert_eq!(back.digest(), Some(digest.as_str()));
            prop_assert_eq!(back.tag(), if keep { r.tag() } else { None });
            prop_assert_eq!(back.name(), r.name());
        }

        // No input makes the parser panic.
        #[test]
        fn never_panics(s in "\\PC{0,80}") {
            let _ = Reference::parse(&s);
        }
    }
}
