//! Sigstore verification: bundles (v0.1–v0.3) and cosign's legacy keyless signatures, checked offline against
//! a trusted root (`trusted_root.json`, Sigstore's own format).
//!
//! The checks are `sigstore-verify`'s: the DSSE envelope's signature over its pre-authentication encoding (or
//! a message signature), the in-toto subject against the digest being written, the certificate chain to a
//! trusted Fulcio root at the signing time, the embedded SCT against a trusted CT log key, and the
//! transparency-log evidence (a Merkle inclusion proof against a checkpoint signed by a trusted Rekor key,
//! or a signed entry timestamp). That crate runs on [`provider::RingProvider`] here, so nothing in the tree
//! needs aws-lc or OpenSSL. What is `pin`'s own: which identities a policy accepts (exact or anchored
//! regular expressions, [`Identity`]), what a failure is called ([`cause`]), and the conversion of a legacy
//! `.sig` layer (certificate, chain and Rekor bundle as annotations) into the v0.1 bundle it is equivalent to
//! ([`legacy_bundle`]).

pub mod provider;

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{json, Value};
use sigstore_verify::trust_root::TrustedRoot;
use sigstore_verify::types::{Bundle, DerPublicKey, Sha256Hash};
use sigstore_verify::{
    CertificateError, Error, PublicKeyVerificationPolicy, TimestampError, TransparencyLogError,
    VerificationPolicy, Verifier,
};

use super::escape;

/// The predicate type of the in-toto statement `cosign sign` signs (bundle format).
pub const COSIGN_SIGN_PREDICATE: &str = "https://sigstore.dev/cosign/sign/v1";

/// What the built-in root is, for messages and `--help`.
pub const PUBLIC_GOOD: &str = "the Sigstore public-good trusted root (built in)";

/// A trusted root, ready to verify with: Fulcio CAs, Rekor keys, CT log keys, timestamp authorities.
#[derive(Clone)]
pub struct Trust {
    verifier: Arc<Verifier>,
    /// Where it came from (a path, or [`PUBLIC_GOOD`]), for messages.
    pub origin: String,
    /// Whether certificates must carry an SCT from one of the root's CT logs. A root without CT logs (one
    /// made from containers-policy.json's `fulcio` CA and Rekor keys) checks none, as containers/image does.
    sct: bool,
}

impl fmt::Debug for Trust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Trust({})", self.origin)
    }
}

impl PartialEq for Trust {
    fn eq(&self, other: &Trust) -> bool {
        self.origin == other.origin
    }
}

impl Eq for Trust {}

impl Trust {
    /// The Sigstore public-good instance's `trusted_root.json`, as the `sigstore-trust-root` crate ships it
    /// (the TUF target of the same name in sigstore/root-signing; identical to its `targets/trusted_root.json`
    /// as of that repository's commit c9bda74, 2025-09-22).
    pub fn public_good() -> Trust {
        Trust::from_json(
            sigstore_verify::trust_root::SIGSTORE_PRODUCTION_TRUSTED_ROOT,
            PUBLIC_GOOD,
        )
        .expect("the built-in trusted root parses")
    }

    /// Reads a `trusted_root.json` (`--trusted-root FILE`).
    pub fn load(path: &Path) -> Result<Trust, String> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{shown}: cannot read the trusted root: {e}"))?;
        Trust::from_json(&text, &shown)
    }

    /// Parses a `trusted_root.json`; `origin` names it in messages.
    pub fn from_json(text: &str, origin: &str) -> Result<Trust, String> {
        provider::install();
        let root = TrustedRoot::from_json(text)
            .map_err(|e| format!("{origin}: not a Sigstore trusted root: {e}"))?;
        let verifier =
            Verifier::new(&root).map_err(|e| format!("{origin}: unusable trusted root: {e}"))?;
        Ok(Trust {
            verifier: Arc::new(verifier),
            origin: origin.to_string(),
            sct: !root.ctlogs.is_empty(),
        })
    }

    /// A root made of containers-policy.json(5) material: Fulcio CA certificates (DER, root last or in any
    /// order) and Rekor public keys (DER SubjectPublicKeyInfo). No CT logs: certificates need no SCT.
    pub fn from_parts(cas: &[Vec<u8>], rekor: &[Vec<u8>], origin: &str) -> Result<Trust, String> {
        let since = "1970-01-01T00:00:00Z";
        let tlogs: Vec<Value> = rekor
            .iter()
            .map(|spki| {
                let id = ring::digest::digest(&ring::digest::SHA256, spki);
                json!({
                    "baseUrl": "",
                    "hashAlgorithm": "SHA2_256",
                    "publicKey": {
                        "rawBytes": STANDARD.encode(spki),
                        "keyDetails": key_details(spki),
                        "validFor": {"start": since}
                    },
                    "logId": {"keyId": STANDARD.encode(id.as_ref())}
                })
            })
            .collect();
        let authorities: Vec<Value> = if cas.is_empty() {
            Vec::new()
        } else {
            let certs: Vec<Value> = cas
                .iter()
                .map(|der| json!({"rawBytes": STANDARD.encode(der)}))
                .collect();
            vec![json!({
                "subject": {},
                "uri": "",
                "certChain": {"certificates": certs},
                "validFor": {"start": since}
            })]
        };
        let root = json!({
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": tlogs,
            "certificateAuthorities": authorities,
            "ctlogs": [],
            "timestampAuthorities": []
        });
        Trust::from_json(&root.to_string(), origin)
    }
}

/// The trusted root's name for a key's algorithm (only informative there; the key itself decides).
fn key_details(spki: &[u8]) -> &'static str {
    const P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
    const ED25519: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x70];
    if spki.windows(P384.len()).any(|w| w == P384) {
        "PKIX_ECDSA_P384_SHA_384"
    } else if spki.windows(ED25519.len()).any(|w| w == ED25519) {
        "PKIX_ED25519"
    } else {
        "PKIX_ECDSA_P256_SHA_256"
    }
}

/// How a certificate's issuer or subject must look: exactly this string, or matching a regular expression
/// over the whole value (anchored at both ends, unlike cosign's `--certificate-identity-regexp`, which finds
/// the pattern anywhere: `https://github.com/org/` would otherwise accept `https://evil.example/?https://github.com/org/`).
#[derive(Clone, Debug)]
pub enum Matcher {
    Exact(String),
    Regexp {
        source: String,
        regex: Arc<regex_lite::Regex>,
    },
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Matcher) -> bool {
        match (self, other) {
            (Matcher::Exact(a), Matcher::Exact(b)) => a == b,
            (Matcher::Regexp { source: a, .. }, Matcher::Regexp { source: b, .. }) => a == b,
            _ => false,
        }
    }
}

impl Eq for Matcher {}

impl Matcher {
    /// A regular expression that must match the whole value.
    pub fn regexp(source: &str) -> Result<Matcher, String> {
        let regex = regex_lite::Regex::new(&format!("^(?:{source})$"))
            .map_err(|e| format!("\"{}\" is not a regular expression: {e}", escape(source)))?;
        Ok(Matcher::Regexp {
            source: source.to_string(),
            regex: Arc::new(regex),
        })
    }

    pub fn matches(&self, value: &str) -> bool {
        match self {
            Matcher::Exact(s) => s == value,
            Matcher::Regexp { regex, .. } => regex.is_match(value),
        }
    }
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Matcher::Exact(s) => write!(f, "\"{}\"", escape(s)),
            Matcher::Regexp { source, .. } => write!(f, "/^{}$/", escape(source)),
        }
    }
}

/// Who may have signed, keyless: the certificate's OIDC issuer (Fulcio extension 1.3.6.1.4.1.57264.1.8, or
/// the legacy .1.1) and subject (its SAN: an email address or a URI, such as a GitHub workflow's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub issuer: Matcher,
    pub subject: Matcher,
}

impl Identity {
    fn check(&self, issuer: Option<&str>, subject: Option<&str>) -> Result<(), String> {
        let (i, s) = (issuer.unwrap_or(""), subject.unwrap_or(""));
        if self.issuer.matches(i) && self.subject.matches(s) {
            return Ok(());
        }
        Err(format!(
            "identity mismatch: signed by subject \"{}\" with issuer \"{}\"; the policy requires subject {} and issuer {}",
            escape(s),
            escape(i),
            self.subject,
            self.issuer
        ))
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "subject {}, issuer {}", self.subject, self.issuer)
    }
}

/// Who must have signed one signature.
#[derive(Clone, Copy, Debug)]
pub enum Signer<'a> {
    /// A key (DER SubjectPublicKeyInfo) and its name for messages.
    Key { spki: &'a [u8], name: &'a str },
    /// A Fulcio certificate for this identity.
    Keyless(&'a Identity),
}

/// What a failure is, in the words every refusal starts with.
pub fn cause(e: &Error) -> String {
    use sigstore_verify::bundle::error::Error as BundleError;
    match e {
        Error::SignatureInvalid(d) => format!("signature does not verify: {d}"),
        Error::ArtifactMismatch(d) => format!("wrong subject digest: {d}"),
        Error::Certificate(CertificateError::Expired { .. })
        | Error::Certificate(CertificateError::NotYetValid { .. }) => {
            format!("expired: the certificate was not valid at the signing time: {e}")
        }
        // webpki checks the chain at the signing time and says so when the leaf was not valid then.
        Error::Certificate(CertificateError::ChainInvalid(d))
            if d.contains("CertExpired") || d.contains("CertNotValidYet") =>
        {
            format!("expired: the certificate was not valid at the signing time: {e}")
        }
        Error::Certificate(CertificateError::Sct(d)) => {
            format!("untrusted certificate: no valid SCT from a trusted CT log: {d}")
        }
        Error::Certificate(_) | Error::TrustedCertificate(_) => format!("untrusted chain: {e}"),
        Error::TransparencyLog(TransparencyLogError::IntegratedTime(d))
            if d.contains("certificate validity") =>
        {
            format!(
                "expired: the certificate was not valid when the log recorded the signature: {d}"
            )
        }
        Error::TransparencyLog(_) => format!("no log evidence: {e}"),
        Error::Timestamp(TimestampError::NoVerifiedTimestamp(_)) => {
            format!("no log evidence: {e}")
        }
        Error::Bundle(
            BundleError::MissingInclusionProof(_)
            | BundleError::MissingInclusionPromise(_)
            | BundleError::MissingSigningTimeEvidence,
        ) => format!("no log evidence: {e}"),
        other => other.to_string(),
    }
}

/// Verifies a Sigstore bundle (JSON) as a signature of `digest` (`sha256:<hex>`) by `signer`, against
/// `trust`. The bundle must be a DSSE envelope over an in-toto statement whose subject is `digest` and
/// whose predicate type is cosign's signature predicate (an attestation is not a signature). `Err`: why not.
pub fn verify_bundle(
    json: &[u8],
    digest: &str,
    signer: Signer<'_>,
    trust: &Trust,
) -> Result<(), String> {
    let text = std::str::from_utf8(json).map_err(|_| "the bundle is not UTF-8 JSON".to_string())?;
    let bundle = Bundle::from_json(text).map_err(|e| format!("not a Sigstore bundle: {e}"))?;
    let statement = statement(&bundle)?;
    let artifact = artifact(digest)?;
    let verified = match signer {
        Signer::Key { spki, name } => {
            if bundle.signing_certificate().is_some() {
                return Err(format!(
                    "the bundle holds a certificate (keyless), not a signature by {name}"
                ));
            }
            let policy = PublicKeyVerificationPolicy::new(DerPublicKey::new(spki.to_vec()));
            trust
                .verifier
                .verify(artifact, &bundle, &policy)
                .map_err(|e| with_subjects(cause(&e), &statement, digest))
                .map_err(|why| {
                    if why.starts_with("signature does not verify") {
                        format!("signature does not verify with {name} ({why})")
                    } else {
                        why
                    }
                })?;
            None
        }
        Signer::Keyless(identity) => {
            let policy = keyless_policy(trust);
            let result = trust
                .verifier
                .verify(artifact, &bundle, &policy)
                .map_err(|e| with_subjects(cause(&e), &statement, digest))?;
            Some((identity, result))
        }
    };
    if let Some((identity, result)) = verified {
        let subject = result.identity().map(|s| s.as_str().to_string());
        identity.check(result.issuer(), subject.as_deref())?;
    }
    match statement {
        Some(s) => {
            let predicate = s.get("predicateType").and_then(Value::as_str).unwrap_or("");
            if predicate != COSIGN_SIGN_PREDICATE {
                return Err(format!(
                    "the bundle is an attestation (predicate type \"{}\"), not a cosign signature",
                    escape(predicate)
                ));
            }
            Ok(())
        }
        None => Err(
            "the bundle holds a message signature, not a cosign image signature (a DSSE envelope)"
                .to_string(),
        ),
    }
}

fn keyless_policy(trust: &Trust) -> VerificationPolicy {
    let policy = VerificationPolicy::any_identity();
    if trust.sct {
        policy
    } else {
        policy.skip_sct()
    }
}

/// Verifies a legacy signature converted by [`legacy_bundle`] over its exact payload bytes. The payload's
/// own claims (digest, docker-reference) are the caller's to check.
pub fn verify_legacy(
    bundle: &Bundle,
    payload: &[u8],
    signer: Signer<'_>,
    trust: &Trust,
) -> Result<(), String> {
    match signer {
        Signer::Key { spki, name } => {
            let policy = PublicKeyVerificationPolicy::new(DerPublicKey::new(spki.to_vec()));
            trust
                .verifier
                .verify(payload, bundle, &policy)
                .map(|_| ())
                .map_err(|e| match cause(&e) {
                    why if why.starts_with("signature does not verify") => {
                        format!("signature does not verify with {name}")
                    }
                    why => why,
                })
        }
        Signer::Keyless(identity) => {
            let result = trust
                .verifier
                .verify(payload, bundle, &keyless_policy(trust))
                .map_err(|e| cause(&e))?;
            let subject = result.identity().map(|s| s.as_str().to_string());
            identity.check(result.issuer(), subject.as_deref())
        }
    }
}

/// The digest as the verifier takes it.
fn artifact(digest: &str) -> Result<Sha256Hash, String> {
    digest
        .strip_prefix("sha256:")
        .and_then(|hex| Sha256Hash::from_hex(hex).ok())
        .ok_or_else(|| format!("{digest} is not a sha256 digest"))
}

/// The in-toto statement of a DSSE bundle (`None` for a message signature).
fn statement(bundle: &Bundle) -> Result<Option<Value>, String> {
    use sigstore_verify::types::SignatureContent;
    match &bundle.content {
        SignatureContent::DsseEnvelope(envelope) => {
            serde_json::from_slice(envelope.payload.as_bytes())
                .map(Some)
                .map_err(|e| format!("the DSSE payload is not an in-toto statement: {e}"))
        }
        _ => Ok(None),
    }
}

/// A "wrong subject digest" message completed with the subjects the statement names.
fn with_subjects(why: String, statement: &Option<Value>, digest: &str) -> String {
    if !why.starts_with("wrong subject digest") {
        return why;
    }
    let named: Vec<String> = statement
        .as_ref()
        .and_then(|s| s.get("subject"))
        .and_then(Value::as_array)
        .map(|subjects| {
            subjects
                .iter()
                .filter_map(|s| s.pointer("/digest/sha256").and_then(Value::as_str))
                .map(|hex| format!("sha256:{}", escape(hex)))
                .collect()
        })
        .unwrap_or_default();
    if named.is_empty() {
        return why;
    }
    format!(
        "wrong subject digest: the signed statement is for {}, not {digest}",
        named.join(", ")
    )
}

/// The parts of cosign's legacy `.sig` layer that make it a bundle: the signature over the payload, and the
/// annotations `dev.sigstore.cosign/certificate` (PEM), `dev.sigstore.cosign/chain` (PEM, intermediates and
/// root) and `dev.sigstore.cosign/bundle` (the Rekor entry with its signed entry timestamp).
pub struct Legacy<'a> {
    pub payload: &'a [u8],
    pub signature: &'a [u8],
    pub certificate: Option<&'a str>,
    pub chain: Option<&'a str>,
    pub rekor: Option<&'a str>,
}

/// The v0.1 bundle a legacy signature is: a message signature over the payload, the certificate chain (or,
/// without one, a key), and the Rekor entry. `Err`: why it cannot be one (no log evidence, a bad
/// annotation).
pub fn legacy_bundle(l: &Legacy<'_>) -> Result<Bundle, String> {
    let Some(rekor) = l.rekor else {
        return Err(
            "no log evidence: the signature has no dev.sigstore.cosign/bundle annotation (Rekor entry)"
                .to_string(),
        );
    };
    let entry = rekor_entry(rekor)
        .map_err(|e| format!("no log evidence: its dev.sigstore.cosign/bundle annotation {e}"))?;
    let material = match l.certificate {
        Some(pem) => {
            let mut certs = pem_blocks(pem, "CERTIFICATE")
                .map_err(|e| format!("its dev.sigstore.cosign/certificate annotation {e}"))?;
            if let Some(chain) = l.chain {
                certs.extend(
                    pem_blocks(chain, "CERTIFICATE")
                        .map_err(|e| format!("its dev.sigstore.cosign/chain annotation {e}"))?,
                );
            }
            let certs: Vec<Value> = certs
                .iter()
                .map(|der| json!({"rawBytes": STANDARD.encode(der)}))
                .collect();
            json!({"x509CertificateChain": {"certificates": certs}})
        }
        None => json!({"publicKey": {"hint": ""}}),
    };
    let mut material = material;
    material["tlogEntries"] = json!([entry]);
    let digest = ring::digest::digest(&ring::digest::SHA256, l.payload);
    let bundle = json!({
        "mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.1",
        "verificationMaterial": material,
        "messageSignature": {
            "messageDigest": {"algorithm": "SHA2_256", "digest": STANDARD.encode(digest.as_ref())},
            "signature": STANDARD.encode(l.signature)
        }
    });
    Bundle::from_json(&bundle.to_string()).map_err(|e| format!("cannot be read as a bundle: {e}"))
}

/// cosign's Rekor bundle annotation (`{"SignedEntryTimestamp": …, "Payload": {"body", "integratedTime",
/// "logIndex", "logID"}}`) as a bundle's transparency-log entry.
fn rekor_entry(text: &str) -> Result<Value, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("is not JSON: {e}"))?;
    let set = v
        .get("SignedEntryTimestamp")
        .and_then(Value::as_str)
        .ok_or("has no SignedEntryTimestamp")?;
    let p = v.get("Payload").ok_or("has no Payload")?;
    let body = p.get("body").and_then(Value::as_str).ok_or("has no body")?;
    let time = p
        .get("integratedTime")
        .and_then(Value::as_i64)
        .ok_or("has no integratedTime")?;
    let index = p
        .get("logIndex")
        .and_then(Value::as_i64)
        .ok_or("has no logIndex")?;
    let log_id = p
        .get("logID")
        .and_then(Value::as_str)
        .ok_or("has no logID")?;
    let log_id = hex_decode(log_id).ok_or("has a logID that is not hex")?;
    let decoded = STANDARD
        .decode(body)
        .map_err(|_| "has a body that is not base64")?;
    let kind: Value =
        serde_json::from_slice(&decoded).map_err(|_| "has a body that is not a Rekor entry")?;
    let (Some(k), Some(version)) = (
        kind.get("kind").and_then(Value::as_str),
        kind.get("apiVersion").and_then(Value::as_str),
    ) else {
        return Err("has a body without kind and apiVersion".to_string());
    };
    Ok(json!({
        "logIndex": index.to_string(),
        "logId": {"keyId": STANDARD.encode(log_id)},
        "kindVersion": {"kind": k, "version": version},
        "integratedTime": time.to_string(),
        "inclusionPromise": {"signedEntryTimestamp": set},
        "canonicalizedBody": body
    }))
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The DER contents of every PEM block labelled `label` in `text` (at least one).
pub fn pem_blocks(text: &str, label: &str) -> Result<Vec<Vec<u8>>, String> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&begin) {
        let body = &rest[start + begin.len()..];
        let stop = body
            .find(&end)
            .ok_or_else(|| format!("has a PEM {label} block without an END line"))?;
        let b64: String = body[..stop]
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        out.push(
            STANDARD
                .decode(b64)
                .map_err(|e| format!("has a PEM {label} block that is not base64: {e}"))?,
        );
        rest = &body[stop + end.len()..];
    }
    if out.is_empty() {
        return Err(format!("holds no PEM {label} block"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_root_is_the_public_good_instance() {
        let root =
            TrustedRoot::from_json(sigstore_verify::trust_root::SIGSTORE_PRODUCTION_TRUSTED_ROOT)
                .unwrap();
        // rekor.sigstore.dev's log ID (the sha256 of its key), as cosign prints it.
        let hex: Vec<String> = root
            .tlogs
            .iter()
            .map(|t| {
                t.log_id
                    .key_id
                    .as_bytes()
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect()
            })
            .collect();
        assert!(
            hex.contains(
                &"c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d".to_string()
            ),
            "{hex:?}"
        );
        assert!(root.certificate_authorities.len() >= 2 && !root.ctlogs.is_empty());
        let trust = Trust::public_good();
        assert!(trust.sct);
    }

    #[test]
    fn regular_expressions_match_the_whole_value() {
        let m = Matcher::regexp("https://github.com/org/.*").unwrap();
        assert!(m.matches("https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1"));
        assert!(!m.matches("https://evil.example/?https://github.com/org/x"));
        let m = Matcher::regexp("a|b").unwrap();
        assert!(m.matches("a") && m.matches("b") && !m.matches("ab"));
        assert!(Matcher::regexp("(").is_err());
        assert!(Matcher::Exact("x".into()).matches("x"));
        assert!(!Matcher::Exact("x".into()).matches("x "));
    }

    #[test]
    fn pem_blocks_and_rekor_annotations() {
        let pem = "-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nBAUG\n-----END CERTIFICATE-----\n";
        assert_eq!(
            pem_blocks(pem, "CERTIFICATE").unwrap(),
            [vec![1, 2, 3], vec![4, 5, 6]]
        );
        assert!(pem_blocks("nothing", "CERTIFICATE").is_err());
        let body = STANDARD.encode(br#"{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{}}"#);
        let annotation = json!({
            "SignedEntryTimestamp": "AAAA",
            "Payload": {"body": body, "integratedTime": 1700000000, "logIndex": 7, "logID": "0a0b"}
        });
        let entry = rekor_entry(&annotation.to_string()).unwrap();
        assert_eq!(entry["logId"]["keyId"], STANDARD.encode([10, 11]));
        assert_eq!(entry["kindVersion"]["kind"], "hashedrekord");
        assert_eq!(entry["logIndex"], "7");
        assert!(rekor_entry("{}")
            .unwrap_err()
            .contains("SignedEntryTimestamp"));
    }
}
