//! Cosign signatures: finding the signatures of a digest in its repository and checking them against public
//! keys, the way `cosign verify --key` and containers/image's `sigstoreSigned` do.
//!
//! Where signatures are: the manifest tagged `sha256-<hex>.sig` in the image's own repository (what cosign
//! writes by default); when that tag does not exist, the OCI 1.1 referrers API
//! (`GET /v2/<name>/referrers/<digest>`), whose entries of artifact type
//! `application/vnd.dev.cosign.artifact.sig.v1+json` are signature manifests of the same shape. A registry
//! without that API (distribution 2.8 answers 404) simply has no referrers.
//!
//! What a signature is: one layer of such a manifest, of media type
//! `application/vnd.dev.cosign.simplesigning.v1+json`, whose blob is the "simple signing" JSON payload and
//! whose annotation `dev.cosignproject.cosign/signature` is the base64 of an ASN.1 DER ECDSA P-256 / SHA-256
//! signature over the exact blob bytes. One signature verifies when, in this order: the blob's sha256 is the
//! layer's digest (checked as it is fetched), the signature verifies over the blob with one of the keys, the
//! payload is a `cosign container image signature` whose `critical.image.docker-manifest-digest` is the
//! digest being written, and its `critical.identity.docker-reference` satisfies the identity rule (see
//! [`SignedIdentity`]). An image passes when at least one of its signatures verifies.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::Deserialize;

use super::registry::Client;
use super::sigstore::{self, Identity, Legacy, Signer, Trust};
use super::{escape, ResolveError};
use crate::reference::Reference;

pub const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
/// The artifact type of cosign signatures stored as OCI 1.1 referrers.
pub const SIGNATURE_ARTIFACT: &str = "application/vnd.dev.cosign.artifact.sig.v1+json";
const PAYLOAD_TYPE: &str = "cosign container image signature";

/// An ECDSA P-256 public key, as cosign writes it (`cosign.pub`: a PEM `PUBLIC KEY`, X.509
/// SubjectPublicKeyInfo).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    /// The uncompressed point (`04 || X || Y`), as ring verifies with it.
    point: Vec<u8>,
    /// The DER SubjectPublicKeyInfo, as Sigstore bundles are verified with it.
    pub der: Vec<u8>,
    /// Where the key came from (a path), for messages.
    pub name: String,
}

impl PublicKey {
    /// Parses a PEM `PUBLIC KEY` block holding an ECDSA P-256 key. `name` says where it came from.
    pub fn from_pem(pem: &[u8], name: &str) -> Result<PublicKey, String> {
        let text = std::str::from_utf8(pem).map_err(|_| format!("{name}: not a PEM file"))?;
        const BEGIN: &str = "-----BEGIN PUBLIC KEY-----";
        const END: &str = "-----END PUBLIC KEY-----";
        let Some(start) = text.find(BEGIN) else {
            let what = if text.contains("-----BEGIN") {
                "holds no PEM PUBLIC KEY block (a private key or a certificate?)"
            } else {
                "is not a PEM file"
            };
            return Err(format!("{name}: {what}; give the public key (cosign.pub)"));
        };
        let body = &text[start + BEGIN.len()..];
        let Some(end) = body.find(END) else {
            return Err(format!("{name}: the PEM PUBLIC KEY block has no END line"));
        };
        let b64: String = body[..end]
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        let der = STANDARD
            .decode(b64)
            .map_err(|_| format!("{name}: the PEM block is not base64"))?;
        let point = p256_point(&der).map_err(|why| format!("{name}: {why}"))?;
        Ok(PublicKey {
            point,
            der,
            name: name.to_string(),
        })
    }

    /// Whether `signature` (ASN.1 DER) is this key's ECDSA P-256 SHA-256 signature over `message`.
    pub fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        ring::signature::UnparsedPublicKey::new(
            &ring::signature::ECDSA_P256_SHA256_ASN1,
            &self.point,
        )
        .verify(message, signature)
        .is_ok()
    }
}

/// `id-ecPublicKey` (1.2.840.10045.2.1) and `prime256v1` (1.2.840.10045.3.1.7), DER-encoded contents.
const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const PRIME256V1: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const ED25519: &[u8] = &[0x2b, 0x65, 0x70];

/// The EC point of a DER SubjectPublicKeyInfo
/// `SEQUENCE { SEQUENCE { OID id-ecPublicKey, OID prime256v1 }, BIT STRING point }`.
fn p256_point(der: &[u8]) -> Result<Vec<u8>, String> {
    let bad = || "not a DER SubjectPublicKeyInfo".to_string();
    let (spki, rest) = der_take(der, 0x30).ok_or_else(bad)?;
    if !rest.is_empty() {
        return Err(bad());
    }
    let (algorithm, rest) = der_take(spki, 0x30).ok_or_else(bad)?;
    let (bits, tail) = der_take(rest, 0x03).ok_or_else(bad)?;
    if !tail.is_empty() {
        return Err(bad());
    }
    let (oid, params) = der_take(algorithm, 0x06).ok_or_else(bad)?;
    match oid {
        EC_PUBLIC_KEY => {}
        RSA_ENCRYPTION => return Err("an RSA key; only ECDSA P-256 keys are supported".into()),
        ED25519 => return Err("an Ed25519 key; only ECDSA P-256 keys are supported".into()),
        _ => return Err("not an ECDSA key; only ECDSA P-256 keys are supported".into()),
    }
    match der_take(params, 0x06) {
        Some((PRIME256V1, [])) => {}
        _ => return Err("an ECDSA key on another curve than P-256".into()),
    }
    match bits {
        [0, point @ ..] if point.len() == 65 && point[0] == 4 => Ok(point.to_vec()),
        [0, 2 | 3, ..] => {
            Err("a compressed EC point; give the uncompressed key cosign writes".into())
        }
        _ => Err(bad()),
    }
}

/// One DER element of type `tag` at the start of `input`: (its contents, what follows).
fn der_take(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&t, rest) = input.split_first()?;
    if t != tag {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 2 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| rest.split_at(len))
}

/// How the identity a signature claims (`critical.identity.docker-reference`) must relate to the image
/// being pinned, as containers-policy.json(5)'s `signedIdentity`. The image is the reference as pinned,
/// `registry/repository@digest`; names are compared normalized (`nginx`, `docker.io/nginx` and
/// `index.docker.io/library/nginx` are one name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignedIdentity {
    /// The default. The pin is a digest reference, so the signature's repository must be the image's (its
    /// tag, if any, does not matter).
    MatchRepoDigestOrExact,
    /// The signature's repository must be the image's.
    MatchRepository,
    /// The signature must name exactly `registry/repository@digest`.
    MatchExact,
    /// The signature must name exactly this reference (normalized).
    ExactReference(String),
    /// The signature's repository must be this one (normalized).
    ExactRepository(String),
    /// When the image's name starts with `prefix`, that part is replaced by `signed_prefix` before the
    /// `MatchRepoDigestOrExact` rule applies.
    RemapIdentity {
        prefix: String,
        signed_prefix: String,
    },
}

impl SignedIdentity {
    /// `Ok` when a signature naming `signed` is acceptable for `image` (`registry/repository`) at `digest`;
    /// else why not.
    fn check(&self, signed: &str, image: &str, digest: &str) -> Result<(), String> {
        let claimed = Reference::parse(signed).map_err(|e| {
            format!(
                "its payload names \"{}\", which is not an image reference ({e})",
                escape(signed)
            )
        })?;
        let signed_repo = claimed.normalized_name();
        let repo_is = |want: &str| {
            if signed_repo == want {
                Ok(())
            } else {
                Err(format!(
                    "identity mismatch: the signature is for {}, not {want}",
                    escape(&signed_repo)
                ))
            }
        };
        let exact = |want: &str| {
            let got = claimed.normalized_string();
            if (claimed.tag().is_some() || claimed.digest().is_some()) && got == want {
                return Ok(());
            }
            Err(format!(
                "identity mismatch: the signature is for {}, not exactly {want}",
                escape(&got)
            ))
        };
        match self {
            SignedIdentity::MatchRepoDigestOrExact | SignedIdentity::MatchRepository => {
                repo_is(image)
            }
            SignedIdentity::MatchExact => exact(&format!("{image}@{digest}")),
            SignedIdentity::ExactReference(r) => exact(&normalize_reference(r)?),
            SignedIdentity::ExactRepository(r) => repo_is(&normalize_repository(r)?),
            SignedIdentity::RemapIdentity {
                prefix,
                signed_prefix,
            } => {
                let remapped = match image.strip_prefix(prefix.as_str()) {
                    Some(rest) if rest.is_empty() || rest.starts_with('/') => {
                        normalize_repository(&format!("{signed_prefix}{rest}"))?
                    }
                    _ => image.to_string(),
                };
                repo_is(&remapped)
            }
        }
    }
}

/// `r` as a normalized reference string (`docker.io/library/nginx:1`).
pub fn normalize_reference(r: &str) -> Result<String, String> {
    Reference::parse(r)
        .map(|r| r.normalized_string())
        .map_err(|e| format!("\"{}\" is not an image reference: {e}", escape(r)))
}

/// `r` as a normalized repository name (`docker.io/library/nginx`); a tag or digest is an error.
pub fn normalize_repository(r: &str) -> Result<String, String> {
    let parsed = Reference::parse(r)
        .map_err(|e| format!("\"{}\" is not a repository name: {e}", escape(r)))?;
    if parsed.tag().is_some() || parsed.digest().is_some() {
        return Err(format!(
            "\"{}\" is a reference with a tag or digest, not a repository name",
            escape(r)
        ));
    }
    Ok(parsed.normalized_name())
}

/// One signature of cosign's legacy layout as found: the payload blob, the signature over it (or why it
/// cannot be one), and the keyless annotations when present.
#[derive(Clone, Debug)]
pub struct Signature {
    pub payload: Vec<u8>,
    pub signature: Result<Vec<u8>, String>,
    /// `dev.sigstore.cosign/certificate`: the signing certificate (PEM), for keyless signatures.
    pub certificate: Option<String>,
    /// `dev.sigstore.cosign/chain`: its intermediates and root (PEM).
    pub chain: Option<String>,
    /// `dev.sigstore.cosign/bundle`: the Rekor entry with its signed entry timestamp (JSON).
    pub rekor: Option<String>,
}

/// A Sigstore bundle found as a referrer of the digest.
#[derive(Clone, Debug)]
pub struct FoundBundle {
    /// The bundle's JSON.
    pub json: Vec<u8>,
    /// The referrer manifest it came from (`sha256:…`), for messages.
    pub manifest: String,
    /// The predicate type its manifest's `dev.sigstore.bundle.predicateType` annotation names (unsigned: a
    /// hint for what to read, never a reason to accept).
    pub predicate_type: Option<String>,
}

/// One layer of cosign's legacy `.att` manifest: a DSSE envelope, with the keyless annotations when
/// present.
#[derive(Clone, Debug)]
pub struct FoundAttestation {
    /// The envelope's JSON (the layer's blob).
    pub envelope: Vec<u8>,
    /// Where it came from (`sha256-<hex>.att`), for messages.
    pub manifest: String,
    /// The layer's `predicateType` annotation (unsigned, as above).
    pub predicate_type: Option<String>,
    pub certificate: Option<String>,
    pub chain: Option<String>,
    pub rekor: Option<String>,
}

/// Everything stored for one digest that could be a signature or an attestation.
#[derive(Clone, Debug, Default)]
pub struct Found {
    pub legacy: Vec<Signature>,
    pub bundles: Vec<FoundBundle>,
    /// Legacy `.att` layers (looked for only when attestations are wanted).
    pub attestations: Vec<FoundAttestation>,
    /// Referrers or `.att` layers not read because their annotation names a predicate type not wanted:
    /// (where, predicate type).
    pub other: Vec<(String, String)>,
    /// Referrers passed over, and why (one naming another digest as its subject, too many referrers).
    pub skipped: Vec<String>,
    /// Requests made to find all this.
    pub requests: usize,
}

/// What a lookup is for: signatures, attestations of some predicate types, or both.
#[derive(Clone, Copy, Debug)]
pub struct Wanted<'a> {
    pub signatures: bool,
    /// The predicate types of the attestations wanted (none: no attestation is looked for).
    pub predicates: &'a [&'a str],
}

impl Wanted<'_> {
    /// Whether an item whose annotation names `predicate` is worth reading.
    fn wants(&self, predicate: &str) -> bool {
        (self.signatures && predicate == sigstore::COSIGN_SIGN_PREDICATE)
            || self.predicates.contains(&predicate)
    }

    fn attestations(&self) -> bool {
        !self.predicates.is_empty()
    }
}

/// The media type prefix of Sigstore bundles (`application/vnd.dev.sigstore.bundle.v0.3+json`,
/// `application/vnd.dev.sigstore.bundle+json;version=0.2`, …).
pub const BUNDLE_PREFIX: &str = "application/vnd.dev.sigstore.bundle";
/// The annotation cosign and GitHub put on a bundle's referrer manifest (and its index entry) naming the
/// predicate type of the statement inside.
pub const BUNDLE_PREDICATE_ANNOTATION: &str = "dev.sigstore.bundle.predicateType";
/// The media type of a legacy `.att` layer: a DSSE envelope.
pub const DSSE_ENVELOPE: &str = "application/vnd.dsse.envelope.v1+json";
/// The annotation cosign puts on a legacy `.att` layer naming its predicate type.
pub const ATT_PREDICATE_ANNOTATION: &str = "predicateType";
/// At most this many referrer manifests are read per digest (an image with hundreds of referrers costs no
/// more), and at most this many signature layers or bundles in all.
pub const MAX_REFERRERS: usize = 16;
pub const MAX_LAYERS: usize = 32;

/// Everything stored for `repository@digest` that `wanted` asks for, wherever cosign puts it: the legacy
/// `sha256-<hex>.sig` tag (signatures) and `sha256-<hex>.att` tag (attestations); the OCI 1.1 referrers
/// API (entries of the legacy signature or a bundle artifact type); on a registry without that API (404),
/// the referrers tag schema, an index tagged `sha256-<hex>` whose entries are all read whatever artifact
/// type they list (registries list bundles as `application/vnd.oci.empty.v1+json`), each manifest then
/// saying what it is. A referrer whose `subject` is another digest is passed over (and said so). A referrer
/// or `.att` layer whose annotation names a predicate type not wanted is not read (and recorded in
/// [`Found::other`]): the annotation is unsigned, so it can only make a check fail, never pass. An empty
/// [`Found`] means none was found.
pub async fn fetch(
    client: &Client,
    registry: &str,
    repository: &str,
    digest: &str,
    wanted: Wanted<'_>,
) -> Result<Found, ResolveError> {
    let mut found = Found::default();
    let mut manifests = Vec::new();
    let mut tags = Vec::new();
    if wanted.signatures {
        tags.push(signature_tag(digest));
    }
    if wanted.attestations() {
        tags.push(attestation_tag(digest));
    }
    for tag in tags {
        found.requests += 1;
        match client.get_manifest(registry, repository, &tag).await {
            Ok(f) => manifests.push((tag, f.bytes)),
            Err(ResolveError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    found.requests += 1;
    let entries = match client.get_referrers(registry, repository, digest).await? {
        Some(index) => referrers(&index, registry, true)?,
        None => {
            let fallback = referrers_tag(digest);
            found.requests += 1;
            match client.get_manifest(registry, repository, &fallback).await {
                Ok(f) => referrers(&f.bytes, registry, false)?,
                Err(ResolveError::NotFound { .. }) => Vec::new(),
                Err(e) => return Err(e),
            }
        }
    };
    let mut read = Vec::new();
    for e in entries {
        match e.predicate_type {
            Some(t) if !wanted.wants(&t) => found.other.push((format!("referrer {}", e.digest), t)),
            _ => read.push(e.digest),
        }
    }
    if read.len() > MAX_REFERRERS {
        found.skipped.push(format!(
            "{} referrers listed, only the first {MAX_REFERRERS} read",
            read.len()
        ));
    }
    for d in read.into_iter().take(MAX_REFERRERS) {
        found.requests += 1;
        let f = client.get_manifest(registry, repository, &d).await?;
        manifests.push((d, f.bytes));
    }
    let mut layers = 0;
    'manifests: for (name, bytes) in manifests {
        let manifest: SignatureManifest = serde_json::from_slice(&bytes).map_err(|e| {
            ResolveError::Registry(format!(
                "{registry} sent a signature manifest {repository}:{name} that is not one: {e}"
            ))
        })?;
        if let Some(subject) = &manifest.subject {
            if subject.digest != digest {
                found.skipped.push(format!(
                    "wrong subject digest: referrer {name} is for {}",
                    escape(&subject.digest)
                ));
                continue;
            }
        }
        let is_bundle =
            |t: &Option<String>| t.as_deref().is_some_and(|t| t.starts_with(BUNDLE_PREFIX));
        let bundle_predicate = manifest
            .annotations
            .get(BUNDLE_PREDICATE_ANNOTATION)
            .cloned();
        for layer in manifest.layers {
            let bundle = layer.media_type.starts_with(BUNDLE_PREFIX)
                || (is_bundle(&manifest.artifact_type) && layer.media_type == "application/json");
            let signature = layer.media_type == SIMPLE_SIGNING && wanted.signatures;
            let envelope = layer.media_type == DSSE_ENVELOPE && wanted.attestations();
            if !signature && !bundle && !envelope {
                continue;
            }
            let predicate = if bundle {
                bundle_predicate.clone()
            } else if envelope {
                layer.annotations.get(ATT_PREDICATE_ANNOTATION).cloned()
            } else {
                None
            };
            if let Some(t) = predicate.as_ref().filter(|t| !wanted.wants(t)) {
                let what = if bundle {
                    format!("referrer {name}")
                } else {
                    format!("{name} layer {}", layer.digest)
                };
                found.other.push((what, t.clone()));
                continue;
            }
            layers += 1;
            if layers > MAX_LAYERS {
                found.skipped.push(format!(
                    "more than {MAX_LAYERS} signatures or attestations stored, only the first {MAX_LAYERS} read"
                ));
                break 'manifests;
            }
            found.requests += 1;
            let blob = client.get_blob(registry, repository, &layer.digest).await?;
            let annotation = |k: &str| layer.annotations.get(k).cloned();
            if bundle {
                found.bundles.push(FoundBundle {
                    json: blob,
                    manifest: name.clone(),
                    predicate_type: predicate,
                });
                continue;
            }
            if envelope {
                found.attestations.push(FoundAttestation {
                    envelope: blob,
                    manifest: name.clone(),
                    predicate_type: predicate,
                    certificate: annotation(CERTIFICATE_ANNOTATION),
                    chain: annotation(CHAIN_ANNOTATION),
                    rekor: annotation(BUNDLE_ANNOTATION),
                });
                continue;
            }
            let signature = match layer.annotations.get(SIGNATURE_ANNOTATION) {
                None => Err(format!(
                    "the layer has no {SIGNATURE_ANNOTATION} annotation"
                )),
                Some(b64) => STANDARD.decode(b64.trim()).map_err(|e| {
                    format!("its {SIGNATURE_ANNOTATION} annotation is not base64: {e}")
                }),
            };
            found.legacy.push(Signature {
                payload: blob,
                signature,
                certificate: annotation(CERTIFICATE_ANNOTATION),
                chain: annotation(CHAIN_ANNOTATION),
                rekor: annotation(BUNDLE_ANNOTATION),
            });
        }
    }
    Ok(found)
}

pub const CERTIFICATE_ANNOTATION: &str = "dev.sigstore.cosign/certificate";
pub const CHAIN_ANNOTATION: &str = "dev.sigstore.cosign/chain";
pub const BUNDLE_ANNOTATION: &str = "dev.sigstore.cosign/bundle";

/// The tag cosign stores `digest`'s signatures under: `sha256-<hex>.sig`.
pub fn signature_tag(digest: &str) -> String {
    format!("{}.sig", digest.replacen(':', "-", 1))
}

/// The tag cosign stores `digest`'s attestations under (legacy layout): `sha256-<hex>.att`.
pub fn attestation_tag(digest: &str) -> String {
    format!("{}.att", digest.replacen(':', "-", 1))
}

/// The referrers tag schema's tag for `digest`'s referrers: `sha256-<hex>`.
pub fn referrers_tag(digest: &str) -> String {
    digest.replacen(':', "-", 1)
}

/// One entry of a referrers index worth reading: the manifest's digest, and the predicate type its
/// annotations name, if any.
#[derive(Debug, PartialEq, Eq)]
struct Referrer {
    digest: String,
    predicate_type: Option<String>,
}

/// The manifests in a referrers index. From the referrers API (`filter`), only those of a signature or
/// bundle artifact type; from the tag schema's index, all of them.
fn referrers(index: &[u8], registry: &str, filter: bool) -> Result<Vec<Referrer>, ResolveError> {
    #[derive(Deserialize)]
    struct Index {
        #[serde(default)]
        manifests: Vec<Entry>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Entry {
        digest: String,
        #[serde(default)]
        artifact_type: Option<String>,
        #[serde(default)]
        annotations: BTreeMap<String, String>,
    }
    let index: Index = serde_json::from_slice(index).map_err(|e| {
        ResolveError::Registry(format!(
            "{registry} sent a referrers answer that is not an index: {e}"
        ))
    })?;
    let wanted = |t: &Option<String>| {
        !filter
            || t.as_deref()
                .is_some_and(|t| t == SIGNATURE_ARTIFACT || t.starts_with(BUNDLE_PREFIX))
    };
    Ok(index
        .manifests
        .into_iter()
        .filter(|e| wanted(&e.artifact_type))
        .filter(|e| crate::reference::is_valid_digest(&e.digest))
        .map(|mut e| Referrer {
            predicate_type: e.annotations.remove(BUNDLE_PREDICATE_ANNOTATION),
            digest: e.digest,
        })
        .collect())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SignatureManifest {
    #[serde(default)]
    layers: Vec<SignatureLayer>,
    #[serde(default)]
    artifact_type: Option<String>,
    #[serde(default)]
    subject: Option<Subject>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct Subject {
    digest: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SignatureLayer {
    media_type: String,
    digest: String,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

/// The simple-signing payload (only what is checked).
#[derive(Deserialize)]
struct Payload {
    critical: Critical,
}

#[derive(Deserialize)]
struct Critical {
    identity: PayloadIdentity,
    image: PayloadImage,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
struct PayloadIdentity {
    #[serde(rename = "docker-reference")]
    docker_reference: String,
}

#[derive(Deserialize)]
struct PayloadImage {
    #[serde(rename = "docker-manifest-digest")]
    docker_manifest_digest: String,
}

/// Who must have signed a digest, and how a signature's claims must relate to the image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub signers: Signers,
    /// How a legacy payload's `docker-reference` must name the image. Bundles name no reference: they are
    /// bound to the image by their subject digest and the repository they are stored in.
    pub identity: SignedIdentity,
    /// The trusted root: Fulcio CAs and CT logs for keyless signatures, Rekor keys for log evidence.
    pub trust: Trust,
    /// Whether a legacy key-based signature also needs its Rekor entry (containers-policy.json's
    /// `rekorPublicKey…`); keyless signatures and bundles always need log evidence.
    pub require_log: bool,
}

/// What `verify` gives for the first of `keys` that verifies; else the first key's reason.
pub(super) fn first_key_that_verifies<T>(
    keys: &[PublicKey],
    verify: impl Fn(Signer) -> Result<T, String>,
) -> Result<T, String> {
    let mut first = None;
    for k in keys {
        let signer = Signer::Key {
            spki: &k.der,
            name: &k.name,
        };
        match verify(signer) {
            Ok(t) => return Ok(t),
            Err(why) => {
                first.get_or_insert(why);
            }
        }
    }
    Err(first.unwrap_or_else(|| "no key to verify with".to_string()))
}

/// Key-based (any one of the keys) or keyless (a Fulcio certificate for this identity).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Signers {
    Keys(Vec<PublicKey>),
    Keyless(Identity),
}

impl Signers {
    /// What `verify` gives for the first signer it accepts: the keyless identity, or the first key that
    /// verifies; else the first key's reason.
    pub(super) fn first_that_verifies<T>(
        &self,
        verify: impl Fn(Signer) -> Result<T, String>,
    ) -> Result<T, String> {
        match self {
            Signers::Keyless(identity) => verify(Signer::Keyless(identity)),
            Signers::Keys(keys) => first_key_that_verifies(keys, verify),
        }
    }

    fn describe(&self) -> String {
        match self {
            Signers::Keys(keys) => {
                let names: Vec<&str> = keys.iter().map(|k| k.name.as_str()).collect();
                names.join(" or ")
            }
            Signers::Keyless(identity) => format!("keyless, {identity}"),
        }
    }
}

/// `Ok` when at least one signature in `found` verifies for `image` (`registry/repository`) at `digest`
/// under `rule`; else why not, one reason per kind of failure.
pub fn check(found: &Found, rule: &Rule, image: &str, digest: &str) -> Result<(), String> {
    let mut passed: Vec<String> = found.skipped.clone();
    passed.extend(found.other.iter().map(|(at, t)| {
        format!(
            "{at} holds an attestation (predicate type \"{}\")",
            escape(t)
        )
    }));
    let skipped = if passed.is_empty() {
        String::new()
    } else {
        format!("; passed over: {}", passed.join("; "))
    };
    let attestation = |b: &FoundBundle| {
        b.predicate_type
            .as_deref()
            .filter(|t| *t != sigstore::COSIGN_SIGN_PREDICATE)
            .map(str::to_string)
    };
    if found.legacy.is_empty() && found.bundles.iter().all(|b| attestation(b).is_some()) {
        return Err(format!(
            "no signature found for {image}@{digest} (no {} tag, no signature or Sigstore bundle among its referrers){skipped}",
            signature_tag(digest)
        ));
    }
    let mut reasons: Vec<String> = Vec::new();
    let mut note = |why: String| {
        if !reasons.contains(&why) {
            reasons.push(why);
        }
    };
    for s in &found.legacy {
        match check_legacy(s, rule, image, digest) {
            Ok(()) => return Ok(()),
            Err(why) => note(why),
        }
    }
    for b in &found.bundles {
        if let Some(t) = attestation(b) {
            note(format!(
                "bundle {}: an attestation (predicate type \"{}\"), not a cosign signature",
                b.manifest,
                escape(&t)
            ));
            continue;
        }
        match check_bundle(b, rule, digest) {
            Ok(()) => return Ok(()),
            Err(why) => note(format!("bundle {}: {why}", b.manifest)),
        }
    }
    Err(format!(
        "no signature of {image}@{digest} verifies: {}{skipped}",
        reasons.join("; ")
    ))
}

fn check_bundle(b: &FoundBundle, rule: &Rule, digest: &str) -> Result<(), String> {
    rule.signers
        .first_that_verifies(|signer| sigstore::verify_bundle(&b.json, digest, signer, &rule.trust))
}

fn check_legacy(s: &Signature, rule: &Rule, image: &str, digest: &str) -> Result<(), String> {
    let signature = s.signature.as_ref().map_err(Clone::clone)?;
    let legacy = |certificate| Legacy {
        payload: &s.payload,
        signature,
        certificate,
        chain: s.chain.as_deref(),
        rekor: s.rekor.as_deref(),
    };
    match &rule.signers {
        Signers::Keys(keys) if !rule.require_log => {
            if !keys.iter().any(|k| k.verifies(&s.payload, signature)) {
                return Err(format!(
                    "signature does not verify with {}",
                    rule.signers.describe()
                ));
            }
        }
        Signers::Keys(keys) => {
            // The key decides, whatever certificate the layer carries (as `cosign verify --key`).
            let bundle = sigstore::legacy_bundle(&legacy(None))?;
            let mut first = None;
            let ok = keys.iter().any(|k| {
                let signer = Signer::Key {
                    spki: &k.der,
                    name: &k.name,
                };
                match sigstore::verify_legacy(&bundle, &s.payload, signer, &rule.trust) {
                    Ok(()) => true,
                    Err(why) => {
                        first.get_or_insert(why);
                        false
                    }
                }
            });
            if !ok {
                return Err(first.unwrap_or_default());
            }
        }
        Signers::Keyless(identity) => {
            let Some(certificate) = s.certificate.as_deref() else {
                return Err(
                    "a key-based signature (no dev.sigstore.cosign/certificate annotation); the policy requires a keyless one"
                        .to_string(),
                );
            };
            let bundle = sigstore::legacy_bundle(&legacy(Some(certificate)))?;
            sigstore::verify_legacy(&bundle, &s.payload, Signer::Keyless(identity), &rule.trust)?;
        }
    }
    let payload: Payload = serde_json::from_slice(&s.payload)
        .map_err(|e| format!("the signed payload is not a simple-signing document: {e}"))?;
    let c = payload.critical;
    if c.kind != PAYLOAD_TYPE {
        return Err(format!(
            "the signed payload is of type \"{}\", not \"{PAYLOAD_TYPE}\"",
            escape(&c.kind)
        ));
    }
    if c.image.docker_manifest_digest != digest {
        return Err(format!(
            "wrong subject digest: payload names another digest, {}",
            escape(&c.image.docker_manifest_digest)
        ));
    }
    rule.identity
        .check(&c.identity.docker_reference, image, digest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;
    use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};

    fn keypair() -> EcdsaKeyPair {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng).unwrap()
    }

    /// The PEM cosign writes for a key: the fixed SPKI prefix of a P-256 key, then the point.
    fn pem(pair: &EcdsaKeyPair) -> String {
        let mut der = vec![
            0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
            0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
        ];
        der.extend_from_slice(pair.public_key().as_ref());
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            STANDARD.encode(der)
        )
    }

    fn digest(c: char) -> String {
        format!("sha256:{}", c.to_string().repeat(64))
    }

    fn payload(reference: &str, digest: &str) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "critical": {
                "identity": {"docker-reference": reference},
                "image": {"docker-manifest-digest": digest},
                "type": "cosign container image signature"
            },
            "optional": null
        }))
        .unwrap()
    }

    fn signed(pair: &EcdsaKeyPair, payload: Vec<u8>) -> Signature {
        let sig = pair.sign(&SystemRandom::new(), &payload).unwrap();
        Signature {
            payload,
            signature: Ok(sig.as_ref().to_vec()),
            certificate: None,
            chain: None,
            rekor: None,
        }
    }

    /// `check` of these legacy signatures with these keys and this identity rule.
    fn check(
        signatures: &[Signature],
        keys: &[PublicKey],
        identity: &SignedIdentity,
        image: &str,
        digest: &str,
    ) -> Result<(), String> {
        let found = Found {
            legacy: signatures.to_vec(),
            ..Found::default()
        };
        let rule = Rule {
            signers: Signers::Keys(keys.to_vec()),
            identity: identity.clone(),
            trust: Trust::public_good(),
            require_log: false,
        };
        super::check(&found, &rule, image, digest)
    }

    #[test]
    fn parses_cosign_public_keys_and_refuses_others() {
        let pair = keypair();
        let key = PublicKey::from_pem(pem(&pair).as_bytes(), "cosign.pub").unwrap();
        assert_eq!(key.point, pair.public_key().as_ref());
        for (text, why) in [
            ("hello", "not a PEM file"),
            (
                "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n",
                "no PEM PUBLIC KEY",
            ),
            ("-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----\n", "not base64"),
            ("-----BEGIN PUBLIC KEY-----\nMAA=\n", "no END line"),
            ("-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----\n", "SubjectPublicKeyInfo"),
            // An Ed25519 key as openssl writes it.
            (
                "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n",
                "Ed25519",
            ),
        ] {
            let e = PublicKey::from_pem(text.as_bytes(), "k.pub").unwrap_err();
            assert!(e.contains(why) && e.starts_with("k.pub: "), "{text:?}: {e}");
        }
    }

    #[test]
    fn a_signature_verifies_only_for_its_digest_key_and_repository() {
        let (pair, other) = (keypair(), keypair());
        let key = PublicKey::from_pem(pem(&pair).as_bytes(), "cosign.pub").unwrap();
        let image = "registry.example/team/app";
        let good = signed(&pair, payload("registry.example/team/app:v1", &digest('a')));
        let rule = SignedIdentity::MatchRepoDigestOrExact;
        let keys = [key];
        assert_eq!(
            check(
                std::slice::from_ref(&good),
                &keys,
                &rule,
                image,
                &digest('a')
            ),
            Ok(())
        );

        let err = |sigs: &[Signature], rule: &SignedIdentity| {
            check(sigs, &keys, rule, image, &digest('a')).unwrap_err()
        };
        assert!(err(&[], &rule).contains("no signature found"));
        let wrong_key = signed(&other, payload(image, &digest('a')));
        assert!(err(std::slice::from_ref(&wrong_key), &rule)
            .contains("does not verify with cosign.pub"));
        let wrong_digest = signed(&pair, payload(image, &digest('b')));
        assert!(err(&[wrong_digest], &rule).contains("another digest"));
        let mut tampered = good.clone();
        tampered.payload.push(b' ');
        assert!(err(&[tampered], &rule).contains("does not verify"));
        let elsewhere = signed(&pair, payload("registry.example/team/other", &digest('a')));
        assert!(err(std::slice::from_ref(&elsewhere), &rule).contains("identity mismatch"));
        // One good signature among bad ones is enough.
        assert_eq!(
            check(
                &[wrong_key, good.clone()],
                &keys,
                &rule,
                image,
                &digest('a')
            ),
            Ok(())
        );
        // Other identity rules.
        let exact_repo = SignedIdentity::ExactRepository("registry.example/team/other".into());
        assert_eq!(
            check(&[elsewhere], &keys, &exact_repo, image, &digest('a')),
            Ok(())
        );
        assert!(
            err(std::slice::from_ref(&good), &SignedIdentity::MatchExact).contains("not exactly")
        );
        let remap = SignedIdentity::RemapIdentity {
            prefix: "registry.example/team".into(),
            signed_prefix: "upstream.example/team".into(),
        };
        let upstream = signed(&pair, payload("upstream.example/team/app", &digest('a')));
        assert_eq!(
            check(&[upstream], &keys, &remap, image, &digest('a')),
            Ok(())
        );
    }

    #[test]
    fn docker_hub_names_compare_normalized() {
        let pair = keypair();
        let keys = [PublicKey::from_pem(pem(&pair).as_bytes(), "k").unwrap()];
        let s = signed(
            &pair,
            payload("index.docker.io/library/nginx", &digest('a')),
        );
        let rule = SignedIdentity::MatchRepository;
        assert_eq!(
            check(&[s], &keys, &rule, "docker.io/library/nginx", &digest('a')),
            Ok(())
        );
    }

    #[test]
    fn signature_tags_and_referrers() {
        assert_eq!(
            signature_tag(&digest('a')),
            format!("sha256-{}.sig", "a".repeat(64))
        );
        let index = format!(
            r#"{{"schemaVersion":2,"manifests":[{{"digest":"{}","artifactType":"{SIGNATURE_ARTIFACT}"}},{{"digest":"{}","artifactType":"application/spdx+json"}}]}}"#,
            digest('c'),
            digest('d')
        );
        let digests = |filter| -> Vec<String> {
            referrers(index.as_bytes(), "r", filter)
                .unwrap()
                .into_iter()
                .map(|r| r.digest)
                .collect()
        };
        assert_eq!(digests(true), [digest('c')]);
        // The tag schema's index is read whole: registries list bundles as the empty artifact type.
        assert_eq!(digests(false), [digest('c'), digest('d')]);
        // An entry's predicate type annotation is kept, to read only what is wanted.
        let index = format!(
            r#"{{"manifests":[{{"digest":"{}","artifactType":"{BUNDLE_PREFIX}.v0.3+json","annotations":{{"{BUNDLE_PREDICATE_ANNOTATION}":"https://slsa.dev/provenance/v1"}}}}]}}"#,
            digest('e')
        );
        assert_eq!(
            referrers(index.as_bytes(), "r", true).unwrap(),
            [Referrer {
                digest: digest('e'),
                predicate_type: Some("https://slsa.dev/provenance/v1".into())
            }]
        );
        assert_eq!(
            attestation_tag(&digest('a')),
            format!("sha256-{}.att", "a".repeat(64))
        );
        assert_eq!(
            referrers_tag(&digest('a')),
            format!("sha256-{}", "a".repeat(64))
        );
    }
}
