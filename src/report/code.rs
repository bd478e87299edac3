//! The list of diagnostic codes: one variant per thing `pin` can say about a reference, a file or the run.
//!
//! A code is stable once released: tools match on `PIN001`, not on the message. To add one, add a row to the
//! table below (the next free number, a short kebab-case name, its class and one sentence); numbers are never
//! reused, and the class, not the number, says what a code does to the run;
//! every format picks it up (SARIF lists it as a rule, the table in docs/output.md is checked against it by a test).

use serde::Serialize;

/// What a diagnostic means for the run: it decides the exit status and the default severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    /// Something `pin` would change: `--check` exits 1 when one is reported.
    Finding,
    /// A place left alone, and why. Never changes the exit status.
    Skip,
    /// Worth knowing although it worked (a pull-policy change). Never changes the exit status.
    Note,
    /// Something failed: the run exits 2 and writes nothing (with `--keep-going`: not that file).
    Failure,
}

/// How loud a diagnostic is where a format distinguishes levels (GitHub annotations, SARIF `level`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

macro_rules! codes {
    ($( $variant:ident = ($code:literal, $name:literal, $class:ident, $doc:literal), )*) => {
        /// Every diagnostic code. Mostly `PIN00x` are about one reference, `PIN01x` about one reference or
        /// file that failed, `PIN02x` about the run as a whole; the class says what each does.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Code {
            $( #[doc = $doc] $variant, )*
        }

        impl Code {
            /// Every code, in table order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The stable identifier, e.g. `PIN001`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// A short kebab-case name, e.g. `unpinned`.
            pub fn name(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// One sentence saying what the code means.
            pub fn doc(self) -> &'static str {
                match self { $(Code::$variant => $doc,)* }
            }

            pub fn class(self) -> Class {
                match self { $(Code::$variant => Class::$class,)* }
            }
        }
    };
}

codes! {
    Unpinned = ("PIN001", "unpinned", Finding,
        "A reference without a digest: `pin` pins it to the digest its tag points at."),
    TagMoved = ("PIN002", "tag-moved", Finding,
        "A `name:tag@digest` pin whose tag now points at another digest: `pin update` replaces it."),
    Template = ("PIN003", "template", Skip,
        "A template or placeholder (`{{ .Values.image }}`, `${REGISTRY}/app`, `app:$TAG`, `$(TAG)`, `%{ x }`, a build argument, a Maven or MSBuild property, a systemd `%` specifier), with this code in every kind of file, or a whole file that is one (a Helm chart template): left alone."),
    Ignored = ("PIN004", "ignored", Skip,
        "Marked with a `# pin: ignore` comment (`// pin: ignore` in HCL): left alone."),
    SkipPattern = ("PIN005", "skip-pattern", Skip,
        "Matches a `--skip` pattern: left alone."),
    InvalidReference = ("PIN006", "invalid-reference", Skip,
        "A value in an image field that is not a valid image reference: left alone."),
    NotPinnable = ("PIN007", "not-pinnable", Skip,
        "A place the file kind knows holds no pinnable reference (Istio's `auto`, an escaped scalar, an empty value, a value computed by an expression)."),
    NothingToUpdate = ("PIN008", "nothing-to-update", Skip,
        "`pin update`: a reference without a digest, or a digest without a tag to follow."),
    PullPolicy = ("PIN009", "pull-policy", Note,
        "A Kubernetes container without `imagePullPolicy` whose default changes from `Always` to `IfNotPresent` when pinned."),
    LookupFailed = ("PIN010", "lookup-failed", Failure,
        "The registry lookup failed (not found, refused, unreachable, or the reference is missing from the `--offline` lockfile)."),
    NotWritten = ("PIN011", "not-written", Skip,
        "Resolved, but its file is left alone because another reference in the same file failed."),
    Unreadable = ("PIN012", "unreadable", Failure,
        "A file that cannot be read, or is not text in an encoding its kind's tools read (UTF-8; UTF-16 with a byte order mark for YAML and JSON manifests)."),
    ParseError = ("PIN013", "parse-error", Failure,
        "A file its kind's parser rejects (invalid YAML, a broken Dockerfile)."),
    Internal = ("PIN014", "internal-error", Failure,
        "A bug in `pin` (a finder panicked, returned a span that does not fit, or edits that overlap): the file is left alone."),
    Unpin = ("PIN015", "unpin", Finding,
        "`pin unpin`: a pinned reference whose tag is put back and digest dropped."),
    NoTagComment = ("PIN016", "no-tag-comment", Note,
        "`--tag-style comment` (the default where the format has comments): no comment can go at this place (a Dockerfile parser directive), so the tag stays in the reference."),
    Encoding = ("PIN017", "encoding", Note,
        "A UTF-16 file (with a byte order mark), read and written in UTF-16: a dry run shows no diff of it, since a text patch does not apply to its bytes."),
    UnpinInexact = ("PIN018", "unpin-inexact", Note,
        "`pin unpin`: a `name:latest@digest` where no comment can go (JSON, a `# syntax=` directive, a YAML block scalar) is restored as `name:latest`; `--tag-comment` writes that for an untagged `name` there, so it may have had no tag. Also `pin unpin --from-lock` restoring the tag `latest`, under which a lockfile records an untagged reference."),
    ChildPin = ("PIN070", "child-pin", Note,
        "A pin of one platform's manifest inside its tag's multi-platform index: nodes of other platforms cannot run it (`pin update --to-index` pins the index)."),
    DigestGone = ("PIN071", "digest-gone", Finding,
        "`pin update`: the pinned digest no longer exists in the registry; the tag now points at another."),
    MissingDigest = ("PIN072", "missing-digest", Finding,
        "`pin verify`: the registry no longer serves the pinned digest (garbage-collected or deleted)."),
    PlatformMissing = ("PIN073", "platform-missing", Finding,
        "`pin verify --platforms`: the pinned index lacks a required platform, or a single-platform manifest is pinned where several platforms are required."),
    VersionMissing = ("PIN074", "version-missing", Finding,
        "`pin verify`: a chart version that its tool installs by tag alone (no digest can be given there) is no longer in its registry."),
    UntaggedPin = ("PIN075", "untagged-pin", Finding,
        "`pin update --require-tags`: a pin with a digest and no tag (in the reference or a tag comment), which `pin update` cannot follow."),
    UntaggedPins = ("PIN076", "untagged-pins", Note,
        "`pin update`: how many pins have a digest and no tag to follow, and how to give them one: `pin unpin -w --from-lock FILE` with the lockfile of the run that pinned them, or a tag written back by hand, then `pin -w` (one line per run)."),
    HeldTooYoung = ("PIN077", "held-too-young", Skip,
        "`pin update --min-age`: the tag moved, but the new digest has not been seen (or, with `--trust-created`, was not created) long enough ago; the pin is kept and the change held back (status `held`) until it has. Left out at `-q`: it ends on its own."),
    PlatformHeld = ("PIN078", "platform-held", Skip,
        "`pin update`: the index a pinned index's tag now points at lacks a required platform (`--platforms`, `[update] platforms`, by default those of the pinned index): the pin is kept and the change held back (status `held`) until the tag's index has them all. A warning, shown at `-q`: no time ends it."),
    SamePlatforms = ("PIN079", "same-platforms", Skip,
        "`pin update`: the index a pinned index's tag now points at has the same manifests for every required platform (only attestations or other platforms changed): not an update unless `--all-changes` (the text format says so at `-v`)."),
    AmbiguousTag = ("PIN080", "ambiguous-tag", Skip,
        "`pin unpin --from-lock`: the lockfile records several tags of the repository resolving to a bare `name@digest` pin's digest; none is guessed, the pin is left alone and the reason names them."),
    NothingWritten = ("PIN020", "nothing-written", Failure,
        "Some reference failed, so no file was written."),
    WriteFailed = ("PIN021", "write-failed", Failure,
        "A file or the lockfile could not be written."),
    Lockfile = ("PIN022", "lockfile", Failure,
        "The `--lock` file cannot be read or is malformed."),
    Setup = ("PIN023", "setup", Failure,
        "The run cannot start: a path that does not exist, a bad `--exclude` or `--skip` pattern, an unusable `--ca-cert`."),
    LeftoverRemoved = ("PIN024", "leftover-removed", Note,
        "A temporary file left by an interrupted run was removed."),
    Interrupted = ("PIN025", "interrupted", Failure,
        "SIGINT or SIGTERM stopped the run (exit 130 or 143); files are either all replaced or untouched."),
    HardLinks = ("PIN026", "hard-links", Note,
        "A file written has other hard links, which keep the old text."),
    CredentialHelperMissing = ("PIN027", "credential-helper-missing", Note,
        "The credsStore of a docker config.json names a credential helper that is not installed; registries are asked anonymously."),
    Unreachable = ("PIN030", "unreachable", Failure,
        "The registry (or its token service) cannot be reached at all: the name does not resolve, nothing listens, it does not answer, or its certificate is not trusted. The text format says so once per registry; `-v` lists the references."),
    BadArgument = ("PIN031", "bad-argument", Failure,
        "`pin resolve`: an argument (or, with `-`, a line of stdin) that is not an image reference; the others are still resolved and printed."),
    RateLimit = ("PIN032", "rate-limit", Note,
        "A registry's `ratelimit-remaining` quota is running low (a tenth of its limit or less): its requests go one at a time, spaced, and no labels are read there."),
    Placeholder = ("PIN040", "placeholder", Skip,
        "A placeholder that CI replaces before deployment (`app:__version__`, `app:IMAGE_TAG`, `REPLACE_ME`): left alone."),
    BuiltHere = ("PIN041", "built-here", Skip,
        "An image the project builds (a skaffold artifact or test image, a Tilt build, a Compose service or dev container with `build`) or a reference to one in the manifests it deploys: left alone."),
    SetByKustomization = ("PIN042", "set-by-kustomization", Skip,
        "An image name that a kustomization including this file replaces with its `images:` entry, where the pin belongs: left alone."),
    BuiltNameUnknown = ("PIN043", "built-name-unknown", Skip,
        "The name of an image a Tiltfile builds, given by an expression (`docker_build(IMAGE, '.')`): not known before Tilt runs, so references to it are not recognized as built (mark them `# pin: ignore` or `--skip` them)."),
    NoDigestTaken = ("PIN044", "no-digest-taken", Skip,
        "A Helm chart whose tool takes no digest where it is named (an Argo CD source's `targetRevision`, a helmfile release's `version`, a `Chart.yaml` dependency, kustomize `helmCharts`, a Flux `HelmRelease` chart version, Fleet, Sveltos, Terraform `helm_release`): listed, never rewritten; `pin verify` checks that its version still exists."),
    Signature = ("PIN050", "signature", Failure,
        "`--require-signature` or `--policy`: the digest has no cosign signature that verifies (no signature, wrong subject digest, another key, untrusted chain, identity mismatch, no log evidence, expired), or the policy rejects the image."),
}

impl Code {
    /// The severity a diagnostic of this code has unless the run says otherwise (a finding is an error under
    /// `--check`, a note otherwise).
    pub fn severity(self, check: bool) -> Severity {
        match (self.class(), self) {
            (Class::Failure, _) => Severity::Error,
            (Class::Finding, _) if check => Severity::Error,
            // A value in an image field that is no reference is likely a mistake, and two tags recorded for one
            // digest need a choice; the other skips are by design.
            (
                Class::Skip,
                Code::InvalidReference | Code::NotWritten | Code::PlatformHeld | Code::AmbiguousTag,
            ) => Severity::Warning,
            (Class::Finding | Class::Note | Class::Skip, _) => Severity::Note,
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "duplicate {}", c.as_str());
            assert!(seen.insert(c.name()), "duplicate name {}", c.name());
            let digits = c.as_str().strip_prefix("PIN").unwrap();
            assert!(digits.len() == 3 && digits.parse::<u32>().is_ok(), "{c}");
            assert!(
                c.name()
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch == '-'),
                "{c}"
            );
            assert!(c.doc().ends_with('.'), "{c}");
        }
    }

    /// A JSON consumer validating against docs/report.schema.json must accept every code `pin` can emit.
    #[test]
    fn the_json_schema_lists_every_code() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../docs/report.schema.json")).unwrap();
        let mut listed: Vec<&str> = schema["$defs"]["code"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        let mut all: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        listed.sort_unstable();
        all.sort_unstable();
        assert_eq!(
            listed, all,
            "a code is missing from docs/report.schema.json $defs.code: add it there"
        );
    }

    /// The table of codes in docs/output.md is the list users read: one row per code, in order, with its name.
    #[test]
    fn the_docs_list_every_code() {
        let page = include_str!("../../docs/output.md");
        let rows: Vec<&str> = page.lines().filter(|l| l.starts_with("| `PIN")).collect();
        assert_eq!(rows.len(), Code::ALL.len(), "docs/output.md code table");
        for (row, c) in rows.iter().zip(Code::ALL) {
            let want = format!(
                "| `{}` | `{}` | {:?} | {} |",
                c.as_str(),
                c.name(),
                c.class(),
                c.doc().replace('|', "\\|")
            );
            assert_eq!(row.to_lowercase(), want.to_lowercase(), "{c}");
        }
    }
}
