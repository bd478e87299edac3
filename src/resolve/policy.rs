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

use super::cosign::{self, normalize_reference, normalize_repository, PublicKey, SignedIdentity};
use super::registry::Client;
use super::{escape, Key, Resolutions, ResolveError};

/// One requirement of a scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Requirement {
    InsecureAcceptAnything,
    Reject,
    SigstoreSigned {
        keys: Vec<PublicKey>,
        identity: SignedIdentity,
    },
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
}

impl Policy {
    /// `--signature-key`: every image needs a cosign signature by one of `keys`, for its own repository.
    pub fn keys(keys: Vec<PublicKey>) -> Policy {
        let names: Vec<&str> = keys.iter().map(|k| k.name.as_str()).collect();
        Policy {
            origin: format!("--signature-key {}", names.join(", ")),
            file: false,
            default: vec![Requirement::SigstoreSigned {
                keys,
                identity: SignedIdentity::MatchRepoDigestOrExact,
            }],
            docker: BTreeMap::new(),
        }
    }

    /// Reads a containers-policy.json(5) file. Relative `keyPath`s are relative to the file's directory.
    pub fn load(path: &Path) -> Result<Policy, String> {
        let shown = path.display().to_string();
        let text =
            std::fs::read(path).map_err(|e| format!("{shown}: cannot read the policy: {e}"))?;
        let base = path.parent().unwrap_or(Path::new("")).to_path_buf();
        Policy::parse(&text, &shown, &base)
    }

    /// Parses a policy file's contents; `shown` names it in messages, `base` resolves relative key paths.
    pub fn parse(text: &[u8], shown: &str, base: &Path) -> Result<Policy, String> {
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
            Some(v) => requirements(v, "default", base).map_err(at)?,
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
                    docker.insert(scope.clone(), requirements(reqs, &place, base).map_err(at)?);
                }
            }
        }
        Ok(Policy {
            origin: shown.to_string(),
            file: true,
            default,
            docker,
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
            .any(|r| matches!(r, Requirement::SigstoreSigned { .. }))
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

fn requirements(v: &Value, place: &str, base: &Path) -> Result<Vec<Requirement>, String> {
    let Value::Array(items) = v else {
        return Err(format!("{place}: not a list of requirements"));
    };
    if items.is_empty() {
        return Err(format!("{place}: an empty list of requirements"));
    }
    items
        .iter()
        .map(|item| requirement(item, base).map_err(|e| format!("{place}: {e}")))
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
    rekor_public_key_path: Option<Value>,
    rekor_public_key_paths: Option<Value>,
    rekor_public_key_data: Option<Value>,
    rekor_public_key_datas: Option<Value>,
    signed_identity: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TypeOnly {
    #[serde(rename = "type")]
    _type: String,
}

fn requirement(v: &Value, base: &Path) -> Result<Requirement, String> {
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
        "sigstoreSigned" => sigstore(v, base),
        "signedBy" => Err("\"signedBy\" (GPG simple signing) is not supported; use sigstoreSigned with a cosign key".into()),
        other => Err(format!("unknown requirement type \"{}\"", escape(other))),
    }
}

fn sigstore(v: &Value, base: &Path) -> Result<Requirement, String> {
    let w = SigstoreWire::deserialize(v).map_err(|e| format!("sigstoreSigned: {e}"))?;
    if w.fulcio.is_some() || w.pki.is_some() {
        return Err("sigstoreSigned: keyless (fulcio) and pki signatures are not supported; give keyPath or keyData".into());
    }
    if w.rekor_public_key_path.is_some()
        || w.rekor_public_key_paths.is_some()
        || w.rekor_public_key_data.is_some()
        || w.rekor_public_key_datas.is_some()
    {
        return Err(
            "sigstoreSigned: Rekor inclusion checks (rekorPublicKey…) are not supported".into(),
        );
    }
    let given = [
        w.key_path.is_some(),
        w.key_paths.is_some(),
        w.key_data.is_some(),
        w.key_datas.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(
            "sigstoreSigned: give exactly one of keyPath, keyPaths, keyData, keyDatas".into(),
        );
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
    let identity = match &w.signed_identity {
        None => SignedIdentity::MatchRepoDigestOrExact,
        Some(i) => signed_identity(i)?,
    };
    Ok(Requirement::SigstoreSigned { keys, identity })
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
/// most `jobs` at a time. Returns the number of signature lookups made.
pub async fn enforce(
    client: &Client,
    policy: &Policy,
    resolved: &mut Resolutions,
    jobs: usize,
) -> usize {
    // The image is named as the reference names it (its own registry, not a mirror that answered).
    let image =
        |k: &Key, digest: &str| (k.registry.clone(), k.repository.clone(), digest.to_string());
    let unique: BTreeSet<(String, String, String)> = resolved
        .iter()
        .filter_map(|(k, r)| r.as_ref().ok().map(|m| image(k, &m.digest)))
        .collect();
    let lookups = AtomicUsize::new(0);
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
    lookups.load(Ordering::Relaxed)
}

async fn judge(
    client: &Client,
    policy: &Policy,
    registry: &str,
    repository: &str,
    digest: &str,
    lookups: &AtomicUsize,
) -> Result<(), ResolveError> {
    let (scope, reqs) = policy.requirements(registry, repository, digest);
    let name = format!("{registry}/{repository}");
    let rule = if policy.file {
        format!("{}, {scope}", policy.origin)
    } else {
        policy.origin.clone()
    };
    let refuse = |why: String| ResolveError::Signature(format!("{why} ({rule}); nothing written"));
    if reqs.contains(&Requirement::Reject) {
        return Err(refuse(format!("the policy rejects {name}")));
    }
    if !Policy::needs_signatures(reqs) {
        return Ok(());
    }
    lookups.fetch_add(1, Ordering::Relaxed);
    let signatures = cosign::fetch(client, registry, repository, digest)
        .await
        .map_err(|e| {
            ResolveError::Signature(format!(
                "cannot look up the signatures of {name}@{digest}: {e}"
            ))
        })?;
    for r in reqs {
        if let Requirement::SigstoreSigned { keys, identity } = r {
            cosign::check(&signatures, keys, identity, &name, digest).map_err(refuse)?;
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
        let p = Policy::parse(text, "policy.json", dir.path()).unwrap();
        let scope = |reg: &str, repo: &str| p.requirements(reg, repo, &digest());
        assert_eq!(
            scope("registry.example.com", "team/open").1,
            [Requirement::InsecureAcceptAnything]
        );
        assert!(matches!(
            scope("registry.example.com", "team/app").1,
            [Requirement::SigstoreSigned { .. }]
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
        assert!(Policy::parse(ok.as_bytes(), "p", dir.path()).is_ok());
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
                "keyless",
            ),
            (
                r#"{"default":[{"type":"sigstoreSigned"}]}"#,
                "exactly one of",
            ),
            (
                r#"{"default":[{"type":"sigstoreSigned","keyPath":"k.pub","rekorPublicKeyPath":"r.pub"}]}"#,
                "Rekor",
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
            let e = Policy::parse(text.as_bytes(), "policy.json", dir.path()).unwrap_err();
            assert!(
                e.contains(why) && e.starts_with("policy.json: "),
                "{text}: {e}"
            );
        }
    }
}
