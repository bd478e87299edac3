//! Which signatures an image needs before its digest is written: `--signature-key` (one key for every image)
//! or a containers-policy.json(5) file (`--policy`), the same one podman, CRI-O and skopeo read.
//!
//! Of the policy file, `pin` reads `default` and `transports.docker`. The scope for an image is the most
//! specific one present, in the order containers/image tries them: `host/repo@digest` (the pin as written),
//! `host/repo`, then each parent namespace (`host/namespace`), `host` (with its port, if any), then the
//! wildcard domains `*.sub.example.com`, `*.example.com`, `*.com` (port removed), then the transport's `""`
//! scope, then `default`. Every requirement of the scope must pass. Requirements: `insecureAcceptAnything`,
//! `reject`, and `sigstoreSigned` with `keyPath`, `keyPaths`, `keyData` or `keyDatas` and `signedIdentity`.
//! Anything else (`signedBy` GPG signatures, keyless `fulcio`, `pki`, Rekor keys, unknown types or fields) is
//! an error when the file is read: a policy `pin` cannot enforce fails closed, never passes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use futures_util::stream::{self, StreamExt};
use serde::Deserialize;
use serde_json::Value;

use super::attestation;
use super::cosign::{
    self, normalize_reference, normalize_repository, PublicKey, Rule, SignedIdentity, Signers,
};
use super::registry::Client;
use super::sigstore::{self, Identity, Matcher, Trust};
use super::{escape, Key, Refusal, Resolutions, ResolveError};

/// One requirement of a scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Requirement {
    InsecureAcceptAnything,
    Reject,
    SigstoreSigned(Rule),
}

/// The signature rules of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Where the rules come from (`--signature-key cosign.pub`, `policy.json`), for messages.
    pub origin: String,
    /// Read from a policy file (messages then name the scope that applied).
    file: bool,
    default: Vec<Requirement>,
    /// `transports.docker`, by scope.
    docker: BTreeMap<String, Vec<Requirement>>,
    /// Whether a signature is required (a policy made only to check attestations requires none).
    signatures: bool,
    /// `--require-attestation`: an attestation the same signers must have signed.
    attestation: Option<attestation::Requirement>,
}

impl Policy {
    /// `--signature-key`: every image needs a cosign signature by one of `keys`, for its own repository.
    /// `trust` verifies the log evidence of key-signed bundles.
    pub fn keys(keys: Vec<PublicKey>, trust: Trust) -> Policy {
        let names: Vec<&str> = keys.iter().map(|k| k.name.as_str()).collect();
        Policy::single(
            format!("--signature-key {}", names.join(", ")),
            Signers::Keys(keys),
            trust,
        )
    }

    /// `--signature-identity` and `--signature-issuer` (or their `-regexp` forms): every image needs a
    /// keyless signature by that identity, its certificate issued by a Fulcio CA of `trust`.
    pub fn keyless(identity: Identity, trust: Trust) -> Policy {
        Policy::single(
            format!("keyless signer {identity}"),
            Signers::Keyless(identity),
            trust,
        )
    }

    fn single(origin: String, signers: Signers, trust: Trust) -> Policy {
        Policy {
            origin,
            file: false,
            default: vec![Requirement::SigstoreSigned(Rule {
                signers,
                identity: SignedIdentity::MatchRepoDigestOrExact,
                trust,
                require_log: false,
            })],
            docker: BTreeMap::new(),
            signatures: true,
            attestation: None,
        }
    }

    /// Also requires an attestation meeting `req`, signed as this policy requires signatures to be;
    /// `signatures`: whether a signature is still required too.
    pub fn with_attestation(mut self, req: attestation::Requirement, signatures: bool) -> Policy {
        self.attestation = Some(req);
        self.signatures = signatures;
        self
    }

    /// What each image is looked up for.
    fn wanted(&self) -> cosign::Wanted<'static> {
        cosign::Wanted {
            signatures: self.signatures,
            predicates: self
                .attestation
                .as_ref()
                .map_or(&[], attestation::Requirement::predicates),
        }
    }

    /// Reads a containers-policy.json(5) file. Relative `keyPath`s are relative to the file's directory;
    /// `trust` verifies the log evidence of key-signed bundles where the file names no Rekor key.
    pub fn load(path: &Path, trust: &Trust) -> Result<Policy, String> {
        let shown = path.display().to_string();
        let text =
            std::fs::read(path).map_err(|e| format!("{shown}: cannot read the policy: {e}"))?;
        let base = path.parent().unwrap_or(Path::new("")).to_path_buf();
        Policy::parse(&text, &shown, &base, trust)
    }

    /// Parses a policy file's contents; `shown` names it in messages, `base` resolves relative key paths.
    pub fn parse(text: &[u8], shown: &str, base: &Path, trust: &Trust) -> Result<Policy, String> {
        let at = |what: String| format!("{shown}: {what}");
        let root: Value = serde_json::from_slice(text).map_err(|e| at(format!("not JSON: {e}")))?;
        let Value::Object(root) = root else {
            return Err(at("not a JSON object".into()));
        };
        for k in root.keys() {
            if k != "default" && k != "transports" {
                return Err(at(format!("unknown key \"{}\"", escape(k))));
            }
        }
        let default = match root.get("default") {
            Some(v) => requirements(v, "default", base, trust).map_err(at)?,
            None => return Err(at("no \"default\" requirements".into())),
        };
        let mut docker = BTreeMap::new();
        if let Some(transports) = root.get("transports") {
            let Value::Object(transports) = transports else {
                return Err(at("\"transports\" is not an object".into()));
            };
            if let Some(scopes) = transports.get("docker") {
                let Value::Object(scopes) = scopes else {
                    return Err(at("\"transports.docker\" is not an object".into()));
                };
                for (scope, reqs) in scopes {
                    let place = format!("transports.docker \"{}\"", escape(scope));
                    docker.insert(
                        scope.clone(),
                        requirements(reqs, &place, base, trust).map_err(at)?,
                    );
                }
            }
        }
        Ok(Policy {
            origin: shown.to_string(),
            file: true,
            default,
            docker,
            signatures: true,
            attestation: None,
        })
    }

    /// The scope that applies to `registry/repository@digest`, and its requirements.
    pub fn requirements(
        &self,
        registry: &str,
        repository: &str,
        digest: &str,
    ) -> (String, &[Requirement]) {
        for scope in scopes(registry, repository, digest) {
            if let Some(reqs) = self.docker.get(&scope) {
                let shown = if scope.is_empty() {
                    "transports.docker \"\"".to_string()
                } else {
                    format!("scope \"{scope}\"")
                };
                return (shown, reqs);
            }
        }
        ("default".to_string(), &self.default)
    }

    /// Whether an image in this scope needs its signatures fetched.
    fn needs_signatures(reqs: &[Requirement]) -> bool {
        reqs.iter()
            .any(|r| matches!(r, Requirement::SigstoreSigned(_)))
            && !reqs.contains(&Requirement::Reject)
    }
}

/// The scopes to try for an image, most specific first (`""`, the transport's own default, last).
fn scopes(registry: &str, repository: &str, digest: &str) -> Vec<String> {
    let name = format!("{registry}/{repository}");
    let mut out = vec![format!("{name}@{digest}")];
    let mut n = name.as_str();
    loop {
        out.push(n.to_string());
        match n.rfind('/') {
            Some(i) => n = &n[..i],
            None => break,
        }
    }
    let mut host = n.split(':').next().unwrap_or_default();
    while let Some(i) = host.find('.') {
        host = &host[i + 1..];
        out.push(format!("*.{host}"));
    }
    out.push(String::new());
    out
}

fn requirements(
    v: &Value,
    place: &str,
    base: &Path,
    trust: &Trust,
) -> Result<Vec<Requirement>, String> {
    let Value::Array(items) = v else {
        return Err(format!("{place}: not a list of requirements"));
    };
    if items.is_empty() {
        return Err(format!("{place}: an empty list of requirements"));
    }
    items
        .iter()
        .map(|item| requirement(item, base, trust).map_err(|e| format!("{place}: {e}")))
        .collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SigstoreWire {
    #[serde(rename = "type")]
    _type: String,
    key_path: Option<PathBuf>,
    key_paths: Option<Vec<PathBuf>>,
    key_data: Option<String>,
    key_datas: Option<Vec<String>>,
    fulcio: Option<Value>,
    pki: Option<Value>,
    rekor_public_key_path: Option<PathBuf>,
    rekor_public_key_paths: Option<Vec<PathBuf>>,
    rekor_public_key_data: Option<String>,
    rekor_public_key_datas: Option<Vec<String>>,
    signed_identity: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TypeOnly {
    #[serde(rename = "type")]
    _type: String,
}

fn requirement(v: &Value, base: &Path, trust: &Trust) -> Result<Requirement, String> {
    let kind = v
        .get("type")
        .and_then(Value::as_str)
        .ok_or("a requirement without a \"type\"")?;
    let only_type = || {
        TypeOnly::deserialize(v)
            .map(|_| ())
            .map_err(|e| format!("{kind}: {e}"))
    };
    match kind {
        "insecureAcceptAnything" => only_type().map(|()| Requirement::InsecureAcceptAnything),
        "reject" => only_type().map(|()| Requirement::Reject),
        "sigstoreSigned" => sigstore_signed(v, base, trust),
        "signedBy" => Err("\"signedBy\" (GPG simple signing) is not supported; use sigstoreSigned with a cosign key".into()),
        other => Err(format!("unknown requirement type \"{}\"", escape(other))),
    }
}

fn sigstore_signed(v: &Value, base: &Path, trust: &Trust) -> Result<Requirement, String> {
    let w = SigstoreWire::deserialize(v).map_err(|e| format!("sigstoreSigned: {e}"))?;
    if w.pki.is_some() {
        return Err(
            "sigstoreSigned: pki signatures are not supported; give keyPath, keyData or fulcio"
                .into(),
        );
    }
    let mut rekor = Vec::new();
    let rekor_paths = w
        .rekor_public_key_path
        .into_iter()
        .chain(w.rekor_public_key_paths.into_iter().flatten());
    for p in rekor_paths {
        let path = base.join(&p);
        let pem = std::fs::read(&path)
            .map_err(|e| format!("sigstoreSigned: rekorPublicKeyPath {}: {e}", path.display()))?;
        rekor.push(spki_pem(&pem, &path.display().to_string())?);
    }
    let rekor_datas = w
        .rekor_public_key_data
        .into_iter()
        .chain(w.rekor_public_key_datas.into_iter().flatten());
    for (i, d) in rekor_datas.enumerate() {
        let pem = STANDARD
            .decode(d.trim())
            .map_err(|e| format!("sigstoreSigned: rekorPublicKeyData is not base64: {e}"))?;
        rekor.push(spki_pem(&pem, &format!("rekorPublicKeyData #{}", i + 1))?);
    }
    let given = [
        w.key_path.is_some(),
        w.key_paths.is_some(),
        w.key_data.is_some(),
        w.key_datas.is_some(),
        w.fulcio.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(
            "sigstoreSigned: give exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio"
                .into(),
        );
    }
    let identity = match &w.signed_identity {
        None => SignedIdentity::MatchRepoDigestOrExact,
        Some(i) => signed_identity(i)?,
    };
    if let Some(f) = &w.fulcio {
        if rekor.is_empty() {
            return Err("sigstoreSigned: fulcio needs rekorPublicKeyPath or rekorPublicKeyData (as containers/image requires)".into());
        }
        let (cas, who) = fulcio(f, base)?;
        let origin = "the policy's fulcio CA and Rekor keys".to_string();
        let trust =
            Trust::from_parts(&cas, &rekor, &origin).map_err(|e| format!("sigstoreSigned: {e}"))?;
        return Ok(Requirement::SigstoreSigned(Rule {
            signers: Signers::Keyless(who),
            identity,
            trust,
            require_log: true,
        }));
    }
    let mut keys = Vec::new();
    let paths = w
        .key_path
        .into_iter()
        .chain(w.key_paths.into_iter().flatten());
    for p in paths {
        let path = base.join(&p);
        let pem = std::fs::read(&path)
            .map_err(|e| format!("sigstoreSigned: keyPath {}: {e}", path.display()))?;
        keys.push(PublicKey::from_pem(&pem, &path.display().to_string())?);
    }
    let datas = w
        .key_data
        .into_iter()
        .chain(w.key_datas.into_iter().flatten());
    for (i, d) in datas.enumerate() {
        let pem = STANDARD
            .decode(d.trim())
            .map_err(|e| format!("sigstoreSigned: keyData is not base64: {e}"))?;
        keys.push(PublicKey::from_pem(&pem, &format!("keyData #{}", i + 1))?);
    }
    if keys.is_empty() {
        return Err("sigstoreSigned: an empty list of keys".into());
    }
    let (trust, require_log) = if rekor.is_empty() {
        (trust.clone(), false)
    } else {
        let trust = Trust::from_parts(&[], &rekor, "the policy's Rekor keys")
            .map_err(|e| format!("sigstoreSigned: {e}"))?;
        (trust, true)
    };
    Ok(Requirement::SigstoreSigned(Rule {
        signers: Signers::Keys(keys),
        identity,
        trust,
        require_log,
    }))
}

/// A PEM `PUBLIC KEY` as DER SubjectPublicKeyInfo (a Rekor key: any algorithm the log uses).
fn spki_pem(pem: &[u8], name: &str) -> Result<Vec<u8>, String> {
    let text =
        std::str::from_utf8(pem).map_err(|_| format!("sigstoreSigned: {name}: not a PEM file"))?;
    let mut blocks = sigstore::pem_blocks(text, "PUBLIC KEY")
        .map_err(|e| format!("sigstoreSigned: {name} {e}"))?;
    Ok(blocks.remove(0))
}

/// containers-policy.json's `fulcio` object: the CA (`caPath` or `caData`, PEM certificates) and the
/// identity (`oidcIssuer`, `subjectEmail`), both required and compared exactly.
fn fulcio(v: &Value, base: &Path) -> Result<(Vec<Vec<u8>>, Identity), String> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct Wire {
        ca_path: Option<PathBuf>,
        ca_data: Option<String>,
        oidc_issuer: Option<String>,
        subject_email: Option<String>,
    }
    let w = Wire::deserialize(v).map_err(|e| format!("sigstoreSigned: fulcio: {e}"))?;
    let pem = match (&w.ca_path, &w.ca_data) {
        (Some(p), None) => {
            let path = base.join(p);
            std::fs::read(&path)
                .map_err(|e| format!("sigstoreSigned: fulcio caPath {}: {e}", path.display()))?
        }
        (None, Some(d)) => STANDARD
            .decode(d.trim())
            .map_err(|e| format!("sigstoreSigned: fulcio caData is not base64: {e}"))?,
        _ => return Err("sigstoreSigned: fulcio: give exactly one of caPath, caData".into()),
    };
    let text = String::from_utf8(pem)
        .map_err(|_| "sigstoreSigned: fulcio CA: not a PEM file".to_string())?;
    let cas = sigstore::pem_blocks(&text, "CERTIFICATE")
        .map_err(|e| format!("sigstoreSigned: fulcio CA {e}"))?;
    let (Some(issuer), Some(email)) = (w.oidc_issuer, w.subject_email) else {
        return Err("sigstoreSigned: fulcio needs oidcIssuer and subjectEmail".into());
    };
    Ok((
        cas,
        Identity {
            issuer: Matcher::Exact(issuer),
            subject: Matcher::Exact(email),
        },
    ))
}

fn signed_identity(v: &Value) -> Result<SignedIdentity, String> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct Wire {
        #[serde(rename = "type")]
        kind: String,
        docker_reference: Option<String>,
        docker_repository: Option<String>,
        prefix: Option<String>,
        signed_prefix: Option<String>,
    }
    let w = Wire::deserialize(v).map_err(|e| format!("signedIdentity: {e}"))?;
    let none_but = |allowed: &[&str]| {
        let set = [
            ("dockerReference", w.docker_reference.is_some()),
            ("dockerRepository", w.docker_repository.is_some()),
            ("prefix", w.prefix.is_some()),
            ("signedPrefix", w.signed_prefix.is_some()),
        ];
        match set.iter().find(|(name, is)| *is && !allowed.contains(name)) {
            Some((name, _)) => Err(format!("signedIdentity {}: no field {name}", w.kind)),
            None => Ok(()),
        }
    };
    let need = |f: &Option<String>, name: &str| {
        f.clone()
            .ok_or_else(|| format!("signedIdentity {}: needs {name}", w.kind))
    };
    let at = |e: String| format!("signedIdentity {}: {e}", w.kind);
    Ok(match w.kind.as_str() {
        "matchRepoDigestOrExact" => {
            none_but(&[]).map(|()| SignedIdentity::MatchRepoDigestOrExact)?
        }
        "matchRepository" => none_but(&[]).map(|()| SignedIdentity::MatchRepository)?,
        "matchExact" => none_but(&[]).map(|()| SignedIdentity::MatchExact)?,
        "exactReference" => {
            none_but(&["dockerReference"])?;
            let r = need(&w.docker_reference, "dockerReference")?;
            normalize_reference(&r).map_err(at)?;
            SignedIdentity::ExactReference(r)
        }
        "exactRepository" => {
            none_but(&["dockerRepository"])?;
            let r = need(&w.docker_repository, "dockerRepository")?;
            normalize_repository(&r).map_err(at)?;
            SignedIdentity::ExactRepository(r)
        }
        "remapIdentity" => {
            none_but(&["prefix", "signedPrefix"])?;
            SignedIdentity::RemapIdentity {
                prefix: need(&w.prefix, "prefix")?,
                signed_prefix: need(&w.signed_prefix, "signedPrefix")?,
            }
        }
        other => return Err(format!("unknown signedIdentity type \"{}\"", escape(other))),
    })
}

/// Checks every resolved digest against `policy`: a resolution whose digest the policy does not accept
/// becomes [`ResolveError::Signature`]. Signatures are looked up once per unique `(repository, digest)`, at
/// most `jobs` at a time. Returns the number of signature lookups made, and the requests they took.
pub async fn enforce(
    client: &Client,
    policy: &Policy,
    resolved: &mut Resolutions,
    jobs: usize,
) -> Lookups {
    // The image is named as the reference names it (its own registry, not a mirror that answered).
    let image =
        |k: &Key, digest: &str| (k.registry.clone(), k.repository.clone(), digest.to_string());
    let unique: BTreeSet<(String, String, String)> = resolved
        .iter()
        .filter_map(|(k, r)| r.as_ref().ok().map(|m| image(k, &m.digest)))
        .collect();
    let lookups = Counters::default();
    let verdicts: BTreeMap<_, Result<(), ResolveError>> = stream::iter(unique)
        .map(|(registry, repository, digest)| {
            let lookups = &lookups;
            async move {
                let verdict = judge(client, policy, &registry, &repository, &digest, lookups).await;
                ((registry, repository, digest), verdict)
            }
        })
        .buffer_unordered(jobs.max(1))
        .collect()
        .await;
    for (key, result) in resolved.iter_mut() {
        let Ok(m) = result else { continue };
        if let Some(Err(e)) = verdicts.get(&image(key, &m.digest)) {
            *result = Err(e.clone());
        }
    }
    let wanted = policy.wanted();
    Lookups {
        lookups: lookups.lookups.load(Ordering::Relaxed),
        requests: lookups.requests.load(Ordering::Relaxed),
        what: match (wanted.signatures, wanted.predicates.is_empty()) {
            (true, false) => "signature and attestation",
            (false, false) => "attestation",
            _ => "signature",
        },
    }
}

/// What finding signatures (and attestations) cost: unique digests looked up, and the registry requests
/// made for them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lookups {
    pub lookups: usize,
    pub requests: usize,
    /// What was looked up: `signature`, `attestation`, or `signature and attestation`.
    pub what: &'static str,
}

impl std::fmt::Display for Lookups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} lookups ({} requests)",
            self.lookups, self.what, self.requests
        )
    }
}

#[derive(Default)]
struct Counters {
    lookups: AtomicUsize,
    requests: AtomicUsize,
}

async fn judge(
    client: &Client,
    policy: &Policy,
    registry: &str,
    repository: &str,
    digest: &str,
    lookups: &Counters,
) -> Result<(), ResolveError> {
    let (scope, reqs) = policy.requirements(registry, repository, digest);
    let name = format!("{registry}/{repository}");
    let rule = if policy.file {
        format!("{}, {scope}", policy.origin)
    } else {
        policy.origin.clone()
    };
    let refuse = |why: String| {
        ResolveError::from(Refusal::Unverified {
            why,
            rule: rule.clone(),
        })
    };
    if reqs.contains(&Requirement::Reject) {
        return Err(Refusal::Rejected { image: name, rule }.into());
    }
    if !Policy::needs_signatures(reqs) {
        return Ok(());
    }
    lookups.lookups.fetch_add(1, Ordering::Relaxed);
    let wanted = policy.wanted();
    let found = cosign::fetch(client, registry, repository, digest, wanted)
        .await
        .map_err(|e| {
            let what = if wanted.signatures {
                "signatures"
            } else {
                "attestations"
            };
            ResolveError::from(Refusal::LookupFailed {
                what,
                image: name.clone(),
                digest: digest.to_string(),
                error: Box::new(e),
            })
        })?;
    lookups
        .requests
        .fetch_add(found.requests, Ordering::Relaxed);
    for r in reqs {
        if let Requirement::SigstoreSigned(rule) = r {
            if policy.signatures {
                cosign::check(&found, rule, &name, digest).map_err(&refuse)?;
            }
            if let Some(req) = &policy.attestation {
                attestation::check(&found, rule, req, &name, digest).map_err(&refuse)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest() -> String {
        format!("sha256:{}", "a".repeat(64))
    }

    #[test]
    fn scopes_go_from_the_pin_to_the_wildcard_domains() {
        assert_eq!(
            scopes("registry.example.com:5000", "team/app", &digest()),
            [
                format!("registry.example.com:5000/team/app@{}", digest()),
                "registry.example.com:5000/team/app".to_string(),
                "registry.example.com:5000/team".to_string(),
                "registry.example.com:5000".to_string(),
                "*.example.com".to_string(),
                "*.com".to_string(),
                String::new(),
            ]
        );
    }

    const KEY: &str = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE5J8RdIlwYMhCRpopZ2ZL10JgqXVN\ngpubt6CCgKHRphY5oVWTgn1Z+8cPHIK2JzitQ6a3Vz8uM3oERdwczsnfiw==\n-----END PUBLIC KEY-----\n";

    #[test]
    fn the_most_specific_scope_wins() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("k.pub"), KEY).unwrap();
        let text = br#"{
            "default": [{"type": "reject"}],
            "transports": {
                "docker": {
                    "registry.example.com/team": [{"type": "sigstoreSigned", "keyPath": "k.pub"}],
                    "registry.example.com/team/open": [{"type": "insecureAcceptAnything"}],
                    "*.example.com": [{"type": "insecureAcceptAnything"}]
                },
                "docker-daemon": {"": [{"type": "insecureAcceptAnything"}]}
            }
        }"#;
        let p = Policy::parse(text, "policy.json", dir.path(), &Trust::public_good()).unwrap();
        let scope = |reg: &str, repo: &str| p.requirements(reg, repo, &digest());
        assert_eq!(
            scope("registry.example.com", "team/open").1,
            [Requirement::InsecureAcceptAnything]
        );
        assert!(matches!(
            scope("registry.example.com", "team/app").1,
            [Requirement::SigstoreSigned(_)]
        ));
        assert_eq!(scope("other.example.com", "x").0, "scope \"*.example.com\"");
        assert_eq!(
            scope("docker.io", "library/nginx"),
            ("default".to_string(), &[Requirement::Reject][..])
        );
    }

    #[test]
    fn what_pin_cannot_enforce_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("k.pub"), KEY).unwrap();
        let key_data = STANDARD.encode(KEY);
        let ok = format!(
            r#"{{"default":[{{"type":"sigstoreSigned","keyData":"{key_data}","signedIdentity":{{"type":"remapIdentity","prefix":"a.example","signedPrefix":"b.example"}}}}]}}"#
        );
        assert!(Policy::parse(ok.as_bytes(), "p", dir.path(), &Trust::public_good()).is_ok());
        for (text, why) in [
            (r#"{"transports":{}}"#, "no \"default\""),
            (r#"{"default":[]}"#, "empty list"),
            (
                r#"{"default":[{"type":"acceptIfSunny"}]}"#,
                "unknown requirement type \"acceptIfSunny\"",
            ),
            (
                r#"{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"k"}]}"#,
                "signedBy",
            ),
            (
                r#"{"default":[{"type":"reject","extra":1}]}"#,
                "unknown field",
            ),
            (
                r#"{"default":[{"type":"sigstoreSigned","fulcio":{}}]}"#,
                "fulcio needs rekorPublicKeyPath",
            ),
            (
                r#"{"default":[{"type":"sigstoreSigned","pki":{}}]}"#,
                "pki signatures are not supported",
            ),
            (
                r#"{"default":[{"type":"sigstoreSigned"}]}"#,
                "exactly one of",
            ),
            (
                r#"{"default":[{"type":"sigstoreSigned","keyPath":"k.pub","rekorPublicKeyPath":"r.pub"}]}"#,
                "rekorPublicKeyPath",
            ),
            (
                r#"{"default":[{"type":"sigstoreSigned","keyPath":"missing.pub"}]}"#,
                "missing.pub",
            ),
            (
                r#"{"default":[{"type":"sigstoreSigned","keyPath":"k.pub","signedIdentity":{"type":"matchAnything"}}]}"#,
                "unknown signedIdentity",
            ),
            (
                r#"{"default":[{"type":"sigstoreSigned","keyPath":"k.pub","signedIdentity":{"type":"exactRepository"}}]}"#,
                "needs dockerRepository",
            ),
            (
                r#"{"default":[{"type":"sigstoreSigned","keyPath":"k.pub","signedIdentity":{"type":"exactRepository","dockerRepository":"a/b:1"}}]}"#,
                "not a repository name",
            ),
            (
                r#"{"default":[{"type":"insecureAcceptAnything"}],"other":1}"#,
                "unknown key",
            ),
        ] {
            let e = Policy::parse(
                text.as_bytes(),
                "policy.json",
                dir.path(),
                &Trust::public_good(),
            )
            .unwrap_err();
            assert!(
                e.contains(why) && e.starts_with("policy.json: "),
                "{text}: {e}"
            );
        }
    }
}
