//! Attestations as a gate (`--require-attestation slsaprovenance`): a digest is written only when a signed
//! SLSA provenance attestation about exactly that digest verifies under the signature policy (the same keys,
//! keyless identity or containers-policy.json rules) and its predicate says what the policy requires of
//! the build: which builder ran it and which source repository it built.
//!
//! Where attestations are: cosign's legacy `sha256-<hex>.att` tag (each layer a DSSE envelope, with the
//! certificate, chain and Rekor bundle annotations of keyless signing), and Sigstore bundles stored as
//! referrers (`cosign attest` since v3, GitHub's `attest-build-provenance` with `push-to-registry`), found
//! as signatures are (see [`super::cosign::fetch`]). One attestation that passes every check is enough, in
//! this order: it verifies (signature, certificate and identity, log evidence, as a signature does); its
//! statement is an in-toto statement whose predicate type is the one required and whose subject names the
//! digest; its builder id and its source repository are the ones required.
//!
//! Which fields are read: the builder id is v0.2's `predicate.builder.id` and v1's
//! `predicate.runDetails.builder.id`; the source is v0.2's `predicate.invocation.configSource.uri` (or, when
//! the provenance has none, its first material's `uri`) and v1's first
//! `predicate.buildDefinition.resolvedDependencies` entry's `uri`: where slsa-github-generator and GitHub's
//! provenance record the repository built (`git+https://github.com/org/repo@refs/heads/main`).

use std::fmt;

use serde_json::Value;

use super::cosign::{first_key_that_verifies, Found, FoundAttestation, FoundBundle, Rule, Signers};
use super::escape;
use super::sigstore::{self, Envelope, LegacyAttestation, Matcher, Signer};

/// The predicate type of SLSA provenance v0.2 (slsa-github-generator's container and generic generators,
/// `cosign attest --type slsaprovenance`).
pub const SLSA_V02: &str = "https://slsa.dev/provenance/v0.2";
/// The predicate type of SLSA provenance v1 (GitHub's `attest-build-provenance`, `--type slsaprovenance1`).
pub const SLSA_V1: &str = "https://slsa.dev/provenance/v1";

/// Which attestation is required: SLSA provenance, of either version or of one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `slsaprovenance`: v0.2 or v1.
    Provenance,
    /// `slsaprovenance02`: v0.2 only.
    ProvenanceV02,
    /// `slsaprovenance1`: v1 only.
    ProvenanceV1,
}

impl Kind {
    /// The values `--require-attestation` takes, for messages.
    pub const NAMES: &'static str =
        "slsaprovenance (v0.2 or v1), slsaprovenance02, slsaprovenance1, or one of their predicate type URIs";

    /// Reads cosign's short names (`slsaprovenance`, `slsaprovenance02`, `slsaprovenance1`) or the predicate
    /// type URIs.
    pub fn parse(s: &str) -> Result<Kind, String> {
        match s {
            "slsaprovenance" => Ok(Kind::Provenance),
            "slsaprovenance02" | SLSA_V02 => Ok(Kind::ProvenanceV02),
            "slsaprovenance1" | SLSA_V1 => Ok(Kind::ProvenanceV1),
            other => Err(format!(
                "\"{}\" is not an attestation type pin checks; give {}",
                escape(other),
                Kind::NAMES
            )),
        }
    }

    /// The predicate types it accepts.
    pub fn predicates(self) -> &'static [&'static str] {
        match self {
            Kind::Provenance => &[SLSA_V02, SLSA_V1],
            Kind::ProvenanceV02 => &[SLSA_V02],
            Kind::ProvenanceV1 => &[SLSA_V1],
        }
    }

    fn accepts(self, predicate: &str) -> bool {
        self.predicates().contains(&predicate)
    }

    fn describe(self) -> &'static str {
        match self {
            Kind::Provenance => "SLSA provenance",
            Kind::ProvenanceV02 => "SLSA provenance v0.2",
            Kind::ProvenanceV1 => "SLSA provenance v1",
        }
    }
}

/// Which builder must have made the provenance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Builder {
    /// As slsa-verifier's `--builder-id`: `NAME` matches any version of that builder (`NAME@…`), `NAME@VERSION`
    /// only that version (`@v1.2.3` also matches `@refs/tags/v1.2.3`).
    Id(String),
    /// A regular expression the whole builder id must match.
    Regexp(Matcher),
}

impl Builder {
    fn matches(&self, found: &str) -> bool {
        match self {
            Builder::Regexp(m) => m.matches(found),
            Builder::Id(want) => {
                let (want_name, want_version) = split_version(want);
                let (name, version) = split_version(found);
                if want_name != name {
                    return false;
                }
                match want_version {
                    None => true,
                    Some(v) => {
                        version == Some(v) || version == Some(format!("refs/tags/{v}").as_str())
                    }
                }
            }
        }
    }
}

impl fmt::Display for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Builder::Id(id) if id.contains('@') => write!(f, "\"{}\"", escape(id)),
            Builder::Id(id) => write!(f, "\"{}\" (any version)", escape(id)),
            Builder::Regexp(m) => m.fmt(f),
        }
    }
}

/// `name@version` as (name, version).
fn split_version(id: &str) -> (&str, Option<&str>) {
    match id.split_once('@') {
        Some((name, version)) => (name, Some(version)),
        None => (id, None),
    }
}

/// Which source repository the build must have been of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// As slsa-verifier's `--source-uri`: a repository (`github.com/org/repo`, with or without `https://` or
    /// `git+https://`), compared with the provenance's without its scheme and ref; with a ref
    /// (`…@refs/heads/main`), the ref must be that one too.
    Uri(String),
    /// A regular expression the whole source URI, as the provenance writes it, must match.
    Regexp(Matcher),
}

impl Source {
    fn matches(&self, found: &str) -> bool {
        match self {
            Source::Regexp(m) => m.matches(found),
            Source::Uri(want) => {
                let (want_at, want_ref) = split_source(want);
                let (at, reference) = split_source(found);
                at == want_at && want_ref.is_none_or(|r| reference == Some(r))
            }
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Uri(uri) => write!(f, "\"{}\"", escape(uri)),
            Source::Regexp(m) => m.fmt(f),
        }
    }
}

/// A source URI as (host in lower case and path, ref): `git+https://GitHub.com/org/repo@refs/heads/main` is
/// (`github.com/org/repo`, `refs/heads/main`). The ref follows the first `@` after the host.
fn split_source(uri: &str) -> (String, Option<&str>) {
    let s = uri.strip_prefix("git+").unwrap_or(uri);
    let s = match s.find("://") {
        Some(i) => &s[i + 3..],
        None => s,
    };
    let host_end = s.find('/').unwrap_or(s.len());
    let (location, reference) = match s[host_end..].find('@') {
        Some(i) => (&s[..host_end + i], Some(&s[host_end + i + 1..])),
        None => (s, None),
    };
    let (host, path) = location.split_at(host_end.min(location.len()));
    (format!("{}{path}", host.to_ascii_lowercase()), reference)
}

/// What an attestation must be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    pub kind: Kind,
    pub builder: Option<Builder>,
    pub source: Option<Source>,
}

impl Requirement {
    /// The predicate types a lookup reads.
    pub fn predicates(&self) -> &'static [&'static str] {
        self.kind.predicates()
    }

    /// `Ok` when `statement` (verified) is this kind of attestation about `digest` and its predicate says
    /// what is required; else why not, starting with its cause.
    fn judge(&self, statement: &Value, digest: &str) -> Result<(), String> {
        let kind = statement.get("_type").and_then(Value::as_str).unwrap_or("");
        if !kind.starts_with("https://in-toto.io/Statement/") {
            return Err(format!(
                "not an in-toto statement (its _type is \"{}\")",
                escape(kind)
            ));
        }
        let predicate_type = statement
            .get("predicateType")
            .and_then(Value::as_str)
            .unwrap_or("");
        if !self.kind.accepts(predicate_type) {
            return Err(format!(
                "wrong predicate type: the statement is \"{}\", not {}",
                escape(predicate_type),
                self.kind.predicates().join(" or ")
            ));
        }
        let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
        let subjects: Vec<&str> = statement
            .get("subject")
            .and_then(Value::as_array)
            .map(|s| {
                s.iter()
                    .filter_map(|s| s.pointer("/digest/sha256").and_then(Value::as_str))
                    .collect()
            })
            .unwrap_or_default();
        if !subjects.contains(&hex) {
            let named: Vec<String> = subjects
                .iter()
                .map(|h| format!("sha256:{}", escape(h)))
                .collect();
            return Err(format!(
                "wrong subject digest: the statement is for {}, not {digest}",
                if named.is_empty() {
                    "no sha256 digest".to_string()
                } else {
                    named.join(", ")
                }
            ));
        }
        let predicate = statement.get("predicate").unwrap_or(&Value::Null);
        let v1 = predicate_type == SLSA_V1;
        if let Some(want) = &self.builder {
            let at = if v1 {
                "/runDetails/builder/id"
            } else {
                "/builder/id"
            };
            match predicate.pointer(at).and_then(Value::as_str) {
                Some(id) if want.matches(id) => {}
                Some(id) => {
                    return Err(format!(
                        "builder mismatch: built by \"{}\"; the policy requires builder {want}",
                        escape(id)
                    ))
                }
                None => {
                    return Err(format!(
                        "builder mismatch: the provenance names no builder (no predicate{}); the policy requires builder {want}",
                        at.replace('/', ".")
                    ))
                }
            }
        }
        if let Some(want) = &self.source {
            let found = if v1 {
                predicate.pointer("/buildDefinition/resolvedDependencies/0/uri")
            } else {
                predicate
                    .pointer("/invocation/configSource/uri")
                    .or_else(|| predicate.pointer("/materials/0/uri"))
            };
            match found.and_then(Value::as_str) {
                Some(uri) if want.matches(uri) => {}
                Some(uri) => {
                    return Err(format!(
                        "source mismatch: built from \"{}\"; the policy requires source {want}",
                        escape(uri)
                    ))
                }
                None => {
                    let fields = if v1 {
                        "no predicate.buildDefinition.resolvedDependencies"
                    } else {
                        "no predicate.invocation.configSource.uri, no predicate.materials"
                    };
                    return Err(format!(
                        "source mismatch: the provenance names no source repository ({fields}); the policy requires source {want}"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// `Ok` when at least one attestation in `found` verifies for `image` (`registry/repository`) at `digest`
/// under `rule`'s signers and meets `req`; else why not, one reason per kind of failure.
pub fn check(
    found: &Found,
    rule: &Rule,
    req: &Requirement,
    image: &str,
    digest: &str,
) -> Result<(), String> {
    let skipped = if found.skipped.is_empty() {
        String::new()
    } else {
        format!("; passed over: {}", found.skipped.join("; "))
    };
    let mut reasons: Vec<String> = Vec::new();
    let mut note = |why: String| {
        if !reasons.contains(&why) {
            reasons.push(why);
        }
    };
    let wrong_type = |at: &str, t: &str| {
        format!(
            "wrong predicate type: {at} holds \"{}\", not {}",
            escape(t),
            req.kind.predicates().join(" or ")
        )
    };
    fn unwanted(kind: Kind, t: &Option<String>) -> Option<&str> {
        t.as_deref().filter(|t| !kind.accepts(t))
    }
    // A cosign signature is no attestation: not one of the wrong type either.
    let signature = |t: &str| t == sigstore::COSIGN_SIGN_PREDICATE;
    for (at, t) in found.other.iter().filter(|(_, t)| !signature(t)) {
        note(wrong_type(at, t));
    }
    let mut candidates = 0;
    for a in &found.attestations {
        if let Some(t) = unwanted(req.kind, &a.predicate_type) {
            note(wrong_type(&format!("{} layer", a.manifest), t));
            continue;
        }
        candidates += 1;
        match verify_legacy(a, rule, digest).and_then(|s| req.judge(&s, digest)) {
            Ok(()) => return Ok(()),
            Err(why) => note(format!("{}: {why}", a.manifest)),
        }
    }
    for b in &found.bundles {
        if let Some(t) = unwanted(req.kind, &b.predicate_type) {
            if !signature(t) {
                note(wrong_type(&format!("referrer {}", b.manifest), t));
            }
            continue;
        }
        candidates += 1;
        match verify_bundle(b, rule, digest).and_then(|s| req.judge(&s, digest)) {
            Ok(()) => return Ok(()),
            Err(why) => note(format!("bundle {}: {why}", b.manifest)),
        }
    }
    if candidates == 0 && reasons.is_empty() {
        return Err(format!(
            "no attestation found for {image}@{digest} (no {} tag, no attestation bundle among its referrers){skipped}",
            super::cosign::attestation_tag(digest)
        ));
    }
    Err(format!(
        "no {} attestation of {image}@{digest} verifies: {}{skipped}",
        req.kind.describe(),
        reasons.join("; ")
    ))
}

/// A bundle, verified as an attestation by one of the rule's signers: its statement.
fn verify_bundle(b: &FoundBundle, rule: &Rule, digest: &str) -> Result<Value, String> {
    rule.signers.first_that_verifies(|signer| {
        sigstore::verify_attestation(&b.json, digest, signer, &rule.trust)
    })
}

/// A legacy `.att` layer, verified by one of the rule's signers: its statement. As for legacy signatures, a
/// key-based one needs its Rekor entry only when the rule names a Rekor key; a keyless one always does.
fn verify_legacy(a: &FoundAttestation, rule: &Rule, digest: &str) -> Result<Value, String> {
    let legacy = |certificate| LegacyAttestation {
        envelope: &a.envelope,
        certificate,
        chain: a.chain.as_deref(),
        rekor: a.rekor.as_deref(),
    };
    match &rule.signers {
        Signers::Keys(keys) if !rule.require_log => {
            let envelope = Envelope::parse(&a.envelope)?;
            let pae = envelope.pae();
            if !keys.iter().any(|k| k.verifies(&pae, envelope.signature())) {
                let names: Vec<&str> = keys.iter().map(|k| k.name.as_str()).collect();
                return Err(format!(
                    "signature does not verify with {}",
                    names.join(" or ")
                ));
            }
            envelope.statement()
        }
        Signers::Keys(keys) => {
            // The key decides, whatever certificate the layer carries (as `cosign verify-attestation --key`).
            let bundle = sigstore::legacy_attestation_bundle(&legacy(None))?;
            first_key_that_verifies(keys, |signer| {
                sigstore::verify_legacy_attestation(&bundle, digest, signer, &rule.trust)
            })
        }
        Signers::Keyless(identity) => {
            let Some(certificate) = a.certificate.as_deref() else {
                return Err(
                    "a key-based attestation (no dev.sigstore.cosign/certificate annotation); the policy requires a keyless one"
                        .to_string(),
                );
            };
            let bundle = sigstore::legacy_attestation_bundle(&legacy(Some(certificate)))?;
            sigstore::verify_legacy_attestation(
                &bundle,
                digest,
                Signer::Keyless(identity),
                &rule.trust,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn digest(c: char) -> String {
        format!("sha256:{}", c.to_string().repeat(64))
    }

    fn v02(builder: &str, config: Option<&str>, material: Option<&str>) -> Value {
        let mut predicate =
            json!({"builder": {"id": builder}, "buildType": "https://example/type"});
        if let Some(uri) = config {
            predicate["invocation"] = json!({"configSource": {"uri": uri, "entryPoint": "x.yml"}});
        }
        if let Some(uri) = material {
            predicate["materials"] = json!([{"uri": uri}, {"uri": "pkg:docker/base@1"}]);
        }
        statement(SLSA_V02, &digest('a'), predicate)
    }

    fn v1(builder: &str, source: &str) -> Value {
        statement(
            SLSA_V1,
            &digest('a'),
            json!({
                "buildDefinition": {
                    "buildType": "https://actions.github.io/buildtypes/workflow/v1",
                    "externalParameters": {"workflow": {"repository": "https://github.com/org/repo"}},
                    "resolvedDependencies": [{"uri": source, "digest": {"gitCommit": "abc"}}]
                },
                "runDetails": {"builder": {"id": builder}}
            }),
        )
    }

    fn statement(predicate_type: &str, digest: &str, predicate: Value) -> Value {
        json!({
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": "registry.example/app", "digest": {"sha256": &digest[7..]}}],
            "predicateType": predicate_type,
            "predicate": predicate
        })
    }

    fn req(kind: Kind, builder: Option<Builder>, source: Option<Source>) -> Requirement {
        Requirement {
            kind,
            builder,
            source,
        }
    }

    const GENERATOR: &str =
        "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml";

    #[test]
    fn kinds_are_cosigns_names_or_the_uris() {
        assert_eq!(Kind::parse("slsaprovenance"), Ok(Kind::Provenance));
        assert_eq!(Kind::parse("slsaprovenance02"), Ok(Kind::ProvenanceV02));
        assert_eq!(Kind::parse(SLSA_V1), Ok(Kind::ProvenanceV1));
        assert!(Kind::parse("spdxjson")
            .unwrap_err()
            .contains("slsaprovenance1"));
        assert!(Kind::Provenance.accepts(SLSA_V02) && Kind::Provenance.accepts(SLSA_V1));
        assert!(!Kind::ProvenanceV1.accepts(SLSA_V02));
    }

    #[test]
    fn builder_ids_match_as_slsa_verifier_matches_them() {
        let found = format!("{GENERATOR}@refs/tags/v1.4.0");
        let id = |s: &str| Builder::Id(s.to_string());
        assert!(id(GENERATOR).matches(&found));
        assert!(id(&format!("{GENERATOR}@refs/tags/v1.4.0")).matches(&found));
        assert!(id(&format!("{GENERATOR}@v1.4.0")).matches(&found));
        assert!(!id(&format!("{GENERATOR}@v1.5.0")).matches(&found));
        assert!(!id("https://github.com/slsa-framework/slsa-github-generator").matches(&found));
        assert!(id("https://github.com/actions/runner/github-hosted")
            .matches("https://github.com/actions/runner/github-hosted"));
        let re =
            Builder::Regexp(Matcher::regexp(r"https://github\.com/actions/runner/.*").unwrap());
        assert!(re.matches("https://github.com/actions/runner/self-hosted"));
        assert!(!re.matches("https://evil.example/https://github.com/actions/runner/x"));
    }

    #[test]
    fn sources_match_without_scheme_and_ref_unless_a_ref_is_given() {
        let uri = |s: &str| Source::Uri(s.to_string());
        let found = "git+https://github.com/Org/repo@refs/heads/main";
        assert_eq!(
            split_source(found),
            ("github.com/Org/repo".to_string(), Some("refs/heads/main"))
        );
        assert!(uri("github.com/Org/repo").matches(found));
        assert!(uri("https://github.com/Org/repo").matches(found));
        assert!(uri("git+https://GITHUB.com/Org/repo").matches(found));
        assert!(uri("github.com/Org/repo@refs/heads/main").matches(found));
        assert!(!uri("github.com/Org/repo@refs/heads/dev").matches(found));
        assert!(!uri("github.com/org/repo").matches(found));
        assert!(!uri("github.com/Org/repo2").matches(found));
        assert!(!uri("github.com/Org").matches(found));
        let re = Source::Regexp(Matcher::regexp(r"git\+https://github\.com/Org/repo@.*").unwrap());
        assert!(re.matches(found));
        let unanchored = Source::Regexp(Matcher::regexp(r"github\.com/Org/repo").unwrap());
        assert!(!unanchored.matches(found));
    }

    #[test]
    fn a_statement_is_judged_by_type_subject_builder_and_source() {
        let builder = Some(Builder::Id(GENERATOR.to_string()));
        let source = Some(Source::Uri("github.com/org/repo".to_string()));
        let r = req(Kind::Provenance, builder.clone(), source.clone());
        let repo = "git+https://github.com/org/repo@refs/tags/v1";
        let good = v02(&format!("{GENERATOR}@refs/tags/v1.4.0"), Some(repo), None);
        assert_eq!(r.judge(&good, &digest('a')), Ok(()));
        // Without configSource, the first material names the source.
        let materials = v02(GENERATOR, None, Some(repo));
        assert_eq!(r.judge(&materials, &digest('a')), Ok(()));
        assert!(r
            .judge(&v02(GENERATOR, None, None), &digest('a'))
            .unwrap_err()
            .starts_with("source mismatch: the provenance names no source repository"));
        let err = r.judge(&good, &digest('b')).unwrap_err();
        assert!(
            err.starts_with(&format!(
                "wrong subject digest: the statement is for {}",
                digest('a')
            )),
            "{err}"
        );
        let elsewhere = v02(
            GENERATOR,
            Some("git+https://github.com/org/fork@refs/tags/v1"),
            None,
        );
        assert_eq!(
            r.judge(&elsewhere, &digest('a')).unwrap_err(),
            "source mismatch: built from \"git+https://github.com/org/fork@refs/tags/v1\"; the policy requires source \"github.com/org/repo\""
        );
        let other_builder = v02("https://ci.example/builder@1", Some(repo), None);
        assert_eq!(
            r.judge(&other_builder, &digest('a')).unwrap_err(),
            format!("builder mismatch: built by \"https://ci.example/builder@1\"; the policy requires builder \"{GENERATOR}\" (any version)")
        );
        // v1: the builder under runDetails, the source the first resolved dependency.
        let hosted = "https://github.com/actions/runner/github-hosted";
        let r1 = req(
            Kind::ProvenanceV1,
            Some(Builder::Id(hosted.to_string())),
            source,
        );
        assert_eq!(r1.judge(&v1(hosted, repo), &digest('a')), Ok(()));
        assert!(r1
            .judge(
                &v1(hosted, "git+https://github.com/org/other@refs/heads/main"),
                &digest('a')
            )
            .unwrap_err()
            .starts_with("source mismatch"));
        // Another version or predicate type.
        assert!(r1
            .judge(&good, &digest('a'))
            .unwrap_err()
            .starts_with(&format!(
                "wrong predicate type: the statement is \"{SLSA_V02}\""
            )));
        let sbom = statement("https://spdx.dev/Document", &digest('a'), json!({}));
        assert!(r
            .judge(&sbom, &digest('a'))
            .unwrap_err()
            .starts_with("wrong predicate type"));
        let mut not_intoto = good.clone();
        not_intoto["_type"] = json!("https://example/Statement");
        assert!(r
            .judge(&not_intoto, &digest('a'))
            .unwrap_err()
            .starts_with("not an in-toto statement"));
        // No requirement on the predicate: any SLSA provenance about the digest.
        let bare = req(Kind::Provenance, None, None);
        assert_eq!(bare.judge(&v1("x", "y"), &digest('a')), Ok(()));
    }
}
