//! A throwaway Sigstore for tests: a Fulcio-like CA issuing short-lived code-signing certificates that carry
//! the Fulcio issuer extension and an embedded SCT from a throwaway CT log, a throwaway Rekor that logs
//! entries in an RFC 6962 Merkle tree with signed checkpoints and signed entry timestamps, and the
//! `trusted_root.json` naming all three. It writes what cosign writes: v0.3 bundles (a DSSE envelope over an
//! in-toto statement, keyless or key-based) and legacy `.sig` layers with the keyless annotations.
//!
//! Everything here is built from the formats' definitions (RFC 6962 for SCTs and Merkle trees, the C2SP
//! signed note for checkpoints, DSSE's PAE, Sigstore's protobuf-specs JSON), with ring signing, rcgen
//! issuing and x509-cert re-encoding: nothing of the code under test.

#![allow(dead_code)]

use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use ring::digest::{digest, SHA256};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair as _, ECDSA_P256_SHA256_ASN1_SIGNING};
use serde_json::{json, Value};
use x509_cert::der::asn1::{BitString, OctetString};
use x509_cert::der::oid::ObjectIdentifier;
use x509_cert::der::{Decode, Encode};

pub const COSIGN_SIGN: &str = "https://sigstore.dev/cosign/sign/v1";
pub const BUNDLE_V03: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    digest(&SHA256, bytes).as_ref().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// An ECDSA P-256 key (ring signs, the SPKI is what trust roots and bundles name).
pub struct Key {
    pair: EcdsaKeyPair,
    pub pkcs8: Vec<u8>,
}

impl Key {
    pub fn new() -> Key {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
            .unwrap()
            .as_ref()
            .to_vec();
        Key::from_pkcs8(pkcs8)
    }

    fn from_pkcs8(pkcs8: Vec<u8>) -> Key {
        let pair = EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_ASN1_SIGNING,
            &pkcs8,
            &SystemRandom::new(),
        )
        .unwrap();
        Key { pair, pkcs8 }
    }

    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.pair
            .sign(&SystemRandom::new(), message)
            .unwrap()
            .as_ref()
            .to_vec()
    }

    /// DER SubjectPublicKeyInfo: the fixed prefix of a P-256 key, then the point.
    pub fn spki(&self) -> Vec<u8> {
        let mut der = vec![
            0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
            0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
        ];
        der.extend_from_slice(self.pair.public_key().as_ref());
        der
    }

    pub fn public_pem(&self) -> String {
        pem("PUBLIC KEY", &self.spki())
    }

    /// The log ID a transparency log with this key has: the sha256 of its SPKI.
    pub fn log_id(&self) -> Vec<u8> {
        sha256(&self.spki())
    }
}

/// A Fulcio-like CA.
pub struct Ca {
    issuer: Issuer<'static, KeyPair>,
    key: Key,
    pub der: Vec<u8>,
}

/// One issued signing certificate and its private key.
pub struct Leaf {
    pub der: Vec<u8>,
    pub key: Key,
}

impl Leaf {
    pub fn pem(&self) -> String {
        pem("CERTIFICATE", &self.der)
    }
}

impl Ca {
    pub fn new(name: &str) -> Ca {
        let key = KeyPair::generate().unwrap();
        let pkcs8 = key.serialize_der();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let cert = params.self_signed(&key).unwrap();
        let der = cert.der().to_vec();
        Ca {
            issuer: Issuer::new(params, key),
            key: Key::from_pkcs8(pkcs8),
            der,
        }
    }

    pub fn pem(&self) -> String {
        pem("CERTIFICATE", &self.der)
    }

    /// A code-signing certificate for `subject` (a URI, or an email when it has an `@` and no `:`), naming
    /// `issuer` in the Fulcio issuer extension (1.3.6.1.4.1.57264.1.8), valid from `not_before` to
    /// `not_after` (Unix seconds), with an embedded SCT signed by `ct` (none when `None`).
    pub fn issue(
        &self,
        subject: &str,
        issuer: &str,
        not_before: i64,
        not_after: i64,
        ct: Option<&Key>,
    ) -> Leaf {
        let key = KeyPair::generate().unwrap();
        let pkcs8 = key.serialize_der();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        let san = if subject.contains('@') && !subject.contains(':') {
            SanType::Rfc822Name(subject.try_into().unwrap())
        } else {
            SanType::URI(subject.try_into().unwrap())
        };
        params.subject_alt_names = vec![san];
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
        params.not_before = time::OffsetDateTime::from_unix_timestamp(not_before).unwrap();
        params.not_after = time::OffsetDateTime::from_unix_timestamp(not_after).unwrap();
        // The issuer as a DER UTF8String.
        let mut value = vec![0x0c, issuer.len() as u8];
        value.extend_from_slice(issuer.as_bytes());
        params.custom_extensions = vec![CustomExtension::from_oid_content(
            &[1, 3, 6, 1, 4, 1, 57264, 1, 8],
            value,
        )];
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let mut der = cert.der().to_vec();
        if let Some(ct) = ct {
            der = self.with_sct(&der, ct);
        }
        Leaf {
            der,
            key: Key::from_pkcs8(pkcs8),
        }
    }

    /// `der` with an embedded SCT (RFC 6962 §3.3) by the CT log `ct` over its precertificate, re-signed.
    fn with_sct(&self, der: &[u8], ct: &Key) -> Vec<u8> {
        let cert = x509_cert::Certificate::from_der(der).unwrap();
        let precert_tbs = cert.tbs_certificate.to_der().unwrap();
        let issuer_spki = self.key.spki();
        let timestamp = (now() * 1000) as u64;
        // digitally-signed struct: version, signature_type, timestamp, entry_type, PreCert, extensions.
        let mut signed = vec![0u8, 0u8];
        signed.extend_from_slice(&timestamp.to_be_bytes());
        signed.extend_from_slice(&1u16.to_be_bytes());
        signed.extend_from_slice(&sha256(&issuer_spki));
        let n = precert_tbs.len();
        signed.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8]);
        signed.extend_from_slice(&precert_tbs);
        signed.extend_from_slice(&0u16.to_be_bytes());
        let signature = ct.sign(&signed);
        // SignedCertificateTimestamp.
        let mut sct = vec![0u8];
        sct.extend_from_slice(&ct.log_id());
        sct.extend_from_slice(&timestamp.to_be_bytes());
        sct.extend_from_slice(&0u16.to_be_bytes());
        sct.extend_from_slice(&[4, 3]); // sha256, ecdsa
        sct.extend_from_slice(&(signature.len() as u16).to_be_bytes());
        sct.extend_from_slice(&signature);
        let mut list = Vec::new();
        list.extend_from_slice(&((sct.len() + 2) as u16).to_be_bytes());
        list.extend_from_slice(&(sct.len() as u16).to_be_bytes());
        list.extend_from_slice(&sct);
        let inner = OctetString::new(list).unwrap().to_der().unwrap();
        let mut tbs = cert.tbs_certificate.clone();
        let mut exts = tbs.extensions.take().unwrap_or_default();
        exts.push(x509_cert::ext::Extension {
            extn_id: ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2"),
            critical: false,
            extn_value: OctetString::new(inner).unwrap(),
        });
        tbs.extensions = Some(exts);
        let tbs_der = tbs.to_der().unwrap();
        let signature = self.key.sign(&tbs_der);
        x509_cert::Certificate {
            tbs_certificate: tbs,
            signature_algorithm: cert.signature_algorithm,
            signature: BitString::from_bytes(&signature).unwrap(),
        }
        .to_der()
        .unwrap()
    }
}

/// A transparency log: an append-only list of entries, a Merkle tree over them, a key.
pub struct Rekor {
    pub key: Key,
    leaves: Vec<Vec<u8>>,
}

/// The log material of one entry, as a bundle's `tlogEntries` item.
pub struct Logged {
    pub entry: Value,
    /// The Rekor bundle annotation of a legacy `.sig` layer.
    pub annotation: Value,
}

fn leaf_hash(data: &[u8]) -> Vec<u8> {
    let mut m = vec![0u8];
    m.extend_from_slice(data);
    sha256(&m)
}

fn node_hash(l: &[u8], r: &[u8]) -> Vec<u8> {
    let mut m = vec![1u8];
    m.extend_from_slice(l);
    m.extend_from_slice(r);
    sha256(&m)
}

/// RFC 6962 §2.1 Merkle tree hash of leaf hashes.
fn mth(hashes: &[Vec<u8>]) -> Vec<u8> {
    match hashes.len() {
        0 => sha256(b""),
        1 => hashes[0].clone(),
        n => {
            let k = split(n);
            node_hash(&mth(&hashes[..k]), &mth(&hashes[k..]))
        }
    }
}

/// The largest power of two smaller than `n`.
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// RFC 6962 §2.1.1 audit path of leaf `m`.
fn path(m: usize, hashes: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let n = hashes.len();
    if n <= 1 {
        return Vec::new();
    }
    let k = split(n);
    if m < k {
        let mut p = path(m, &hashes[..k]);
        p.push(mth(&hashes[k..]));
        p
    } else {
        let mut p = path(m - k, &hashes[k..]);
        p.push(mth(&hashes[..k]));
        p
    }
}

impl Rekor {
    pub fn new() -> Rekor {
        // Entries of others before ours, so the proof has some length.
        Rekor {
            key: Key::new(),
            leaves: vec![b"another entry".to_vec(), b"and another".to_vec()],
        }
    }

    /// Logs `body` (a canonicalized Rekor entry) at `integrated_time`, with an inclusion proof and
    /// checkpoint (`proof`) and a signed entry timestamp (`promise`).
    pub fn log(&mut self, body: &[u8], integrated_time: i64, proof: bool, promise: bool) -> Logged {
        self.leaves.push(body.to_vec());
        self.leaves.push(b"an entry after ours".to_vec());
        let index = self.leaves.len() - 2;
        let hashes: Vec<Vec<u8>> = self.leaves.iter().map(|l| leaf_hash(l)).collect();
        let root = mth(&hashes);
        let size = hashes.len();
        let log_id = self.key.log_id();
        let b64body = STANDARD.encode(body);
        // The SET: the log key's signature over the canonical JSON of these four fields (keys sorted).
        let set_payload = format!(
            r#"{{"body":"{b64body}","integratedTime":{integrated_time},"logID":"{}","logIndex":{index}}}"#,
            hex(&log_id)
        );
        let set = STANDARD.encode(self.key.sign(set_payload.as_bytes()));
        let mut entry = json!({
            "logIndex": index.to_string(),
            "logId": {"keyId": STANDARD.encode(&log_id)},
            "kindVersion": {"kind": kind_of(body).0, "version": kind_of(body).1},
            "integratedTime": integrated_time.to_string(),
            "canonicalizedBody": b64body
        });
        if promise {
            entry["inclusionPromise"] = json!({"signedEntryTimestamp": set});
        }
        if proof {
            let note = format!("rekor.test - 4242\n{size}\n{}\n", STANDARD.encode(&root));
            let mut sig = log_id[..4].to_vec();
            sig.extend_from_slice(&self.key.sign(note.as_bytes()));
            let envelope = format!("{note}\n\u{2014} rekor.test {}\n", STANDARD.encode(sig));
            let hashes: Vec<String> = path(index, &hashes)
                .iter()
                .map(|h| STANDARD.encode(h))
                .collect();
            entry["inclusionProof"] = json!({
                "logIndex": index.to_string(),
                "rootHash": STANDARD.encode(&root),
                "treeSize": size.to_string(),
                "hashes": hashes,
                "checkpoint": {"envelope": envelope}
            });
        }
        let annotation = json!({
            "SignedEntryTimestamp": set,
            "Payload": {
                "body": STANDARD.encode(body),
                "integratedTime": integrated_time,
                "logIndex": index,
                "logID": hex(&log_id)
            }
        });
        Logged { entry, annotation }
    }
}

fn kind_of(body: &[u8]) -> (String, String) {
    let v: Value = serde_json::from_slice(body).unwrap();
    (
        v["kind"].as_str().unwrap().to_string(),
        v["apiVersion"].as_str().unwrap().to_string(),
    )
}

/// The `trusted_root.json` of a CA, a Rekor and a CT log.
pub fn trusted_root(ca: &Ca, rekor: &Key, ct: &Key) -> String {
    let key = |k: &Key| {
        json!({
            "rawBytes": STANDARD.encode(k.spki()),
            "keyDetails": "PKIX_ECDSA_P256_SHA_256",
            "validFor": {"start": "2020-01-01T00:00:00Z"}
        })
    };
    json!({
        "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        "tlogs": [{
            "baseUrl": "https://rekor.test",
            "hashAlgorithm": "SHA2_256",
            "publicKey": key(rekor),
            "logId": {"keyId": STANDARD.encode(rekor.log_id())}
        }],
        "certificateAuthorities": [{
            "subject": {"organization": "test", "commonName": "test fulcio"},
            "uri": "https://fulcio.test",
            "certChain": {"certificates": [{"rawBytes": STANDARD.encode(&ca.der)}]},
            "validFor": {"start": "2020-01-01T00:00:00Z"}
        }],
        "ctlogs": [{
            "baseUrl": "https://ctfe.test",
            "hashAlgorithm": "SHA2_256",
            "publicKey": key(ct),
            "logId": {"keyId": STANDARD.encode(ct.log_id())}
        }],
        "timestampAuthorities": []
    })
    .to_string()
}

/// The in-toto statement `cosign sign` signs for `digest` (`sha256:<hex>`).
pub fn statement(digest: &str, predicate_type: &str) -> Vec<u8> {
    let hex = digest.strip_prefix("sha256:").unwrap();
    serde_json::to_vec(&json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"digest": {"sha256": hex}}],
        "predicateType": predicate_type,
        "predicate": {}
    }))
    .unwrap()
}

/// DSSE's pre-authentication encoding.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// Who signs a bundle: a certificate (keyless) or a bare key.
pub enum Signing<'a> {
    Keyless(&'a Leaf),
    Key(&'a Key),
}

/// What to log and how to damage a bundle, for the must-fail cases.
#[derive(Clone, Copy, Default)]
pub struct Options {
    /// Log no entry at all.
    pub unlogged: bool,
    /// Change the payload after signing and logging.
    pub forge_payload: bool,
    /// Seconds before now the entry was integrated (default 60).
    pub logged_ago: Option<i64>,
}

/// A v0.3 bundle: a DSSE envelope over `payload` (an in-toto statement), signed by `signing`, logged in
/// `rekor` as a `dsse` v0.0.1 entry with an inclusion proof, a checkpoint and a SET.
pub fn bundle(
    payload: &[u8],
    signing: Signing<'_>,
    rekor: &mut Rekor,
    options: Options,
) -> Vec<u8> {
    let payload_type = "application/vnd.in-toto+json";
    let (key, verifier, material) = match signing {
        Signing::Keyless(leaf) => (
            &leaf.key,
            leaf.pem(),
            json!({"certificate": {"rawBytes": STANDARD.encode(&leaf.der)}}),
        ),
        Signing::Key(key) => (
            key,
            key.public_pem(),
            json!({"publicKey": {"hint": STANDARD.encode(sha256(&key.spki()))}}),
        ),
    };
    let sig = key.sign(&pae(payload_type, payload));
    let envelope = json!({
        "payload": STANDARD.encode(payload),
        "payloadType": payload_type,
        "signatures": [{"sig": STANDARD.encode(&sig), "keyid": ""}]
    });
    let body = serde_json::to_vec(&json!({
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "envelopeHash": {"algorithm": "sha256", "value": hex(&sha256(envelope.to_string().as_bytes()))},
            "payloadHash": {"algorithm": "sha256", "value": hex(&sha256(payload))},
            "signatures": [{"signature": STANDARD.encode(&sig), "verifier": STANDARD.encode(verifier)}]
        }
    }))
    .unwrap();
    let mut material = material;
    material["tlogEntries"] = if options.unlogged {
        json!([])
    } else {
        let at = now() - options.logged_ago.unwrap_or(60);
        json!([rekor.log(&body, at, true, true).entry])
    };
    material["timestampVerificationData"] = json!({});
    let mut envelope = envelope;
    if options.forge_payload {
        let mut forged: Value = serde_json::from_slice(payload).unwrap();
        forged["predicate"] = json!({"by": "mallory"});
        envelope["payload"] = json!(STANDARD.encode(serde_json::to_vec(&forged).unwrap()));
    }
    serde_json::to_vec(&json!({
        "mediaType": BUNDLE_V03,
        "verificationMaterial": material,
        "dsseEnvelope": envelope
    }))
    .unwrap()
}

/// The simple-signing payload of a legacy `.sig` layer for `reference` at `digest`.
pub fn simple_signing(reference: &str, digest: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "critical": {
            "identity": {"docker-reference": reference},
            "image": {"docker-manifest-digest": digest},
            "type": "cosign container image signature"
        },
        "optional": null
    }))
    .unwrap()
}

/// A legacy keyless `.sig` layer: the signature over `payload` and the annotations cosign writes
/// (certificate, chain, Rekor bundle of a `hashedrekord` entry).
pub fn legacy_keyless(
    payload: &[u8],
    leaf: &Leaf,
    ca: &Ca,
    rekor: &mut Rekor,
) -> (String, serde_json::Map<String, Value>) {
    let sig = leaf.key.sign(payload);
    let body = serde_json::to_vec(&json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": hex(&sha256(payload))}},
            "signature": {
                "content": STANDARD.encode(&sig),
                "publicKey": {"content": STANDARD.encode(leaf.pem())}
            }
        }
    }))
    .unwrap();
    let logged = rekor.log(&body, now() - 60, false, true);
    let mut annotations = serde_json::Map::new();
    annotations.insert(
        "dev.cosignproject.cosign/signature".into(),
        json!(STANDARD.encode(&sig)),
    );
    annotations.insert("dev.sigstore.cosign/certificate".into(), json!(leaf.pem()));
    annotations.insert("dev.sigstore.cosign/chain".into(), json!(ca.pem()));
    annotations.insert(
        "dev.sigstore.cosign/bundle".into(),
        json!(logged.annotation.to_string()),
    );
    (STANDARD.encode(&sig), annotations)
}

/// The referrer manifest cosign pushes for a bundle: an empty config, the bundle as its one layer, the
/// image as its subject.
pub fn bundle_manifest(
    bundle_digest: &str,
    bundle_len: usize,
    subject_digest: &str,
    subject_media_type: &str,
    subject_len: usize,
) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": BUNDLE_V03,
        "config": {
            "mediaType": "application/vnd.oci.empty.v1+json",
            "digest": EMPTY_DIGEST,
            "size": 2
        },
        "layers": [{
            "mediaType": BUNDLE_V03,
            "digest": bundle_digest,
            "size": bundle_len
        }],
        "subject": {
            "mediaType": subject_media_type,
            "digest": subject_digest,
            "size": subject_len
        },
        "annotations": {
            "dev.sigstore.bundle.content": "dsse-envelope",
            "dev.sigstore.bundle.predicateType": COSIGN_SIGN
        }
    }))
    .unwrap()
}

/// The predicate types of SLSA provenance.
pub const SLSA_V02: &str = "https://slsa.dev/provenance/v0.2";
pub const SLSA_V1: &str = "https://slsa.dev/provenance/v1";
/// The media type of a legacy `.att` layer.
pub const DSSE_ENVELOPE: &str = "application/vnd.dsse.envelope.v1+json";

/// An in-toto statement about `digest` with `predicate_type` and `predicate`, as `cosign attest` writes it.
pub fn attestation_statement(digest: &str, predicate_type: &str, predicate: Value) -> Vec<u8> {
    let hex = digest.strip_prefix("sha256:").unwrap();
    serde_json::to_vec(&json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "registry.test/app", "digest": {"sha256": hex}}],
        "predicateType": predicate_type,
        "predicate": predicate
    }))
    .unwrap()
}

/// A SLSA provenance v0.2 predicate as slsa-github-generator's container workflow writes it: the builder id,
/// the source repository in `invocation.configSource` and as the first material.
pub fn provenance_v02(builder: &str, source: &str) -> Value {
    json!({
        "builder": {"id": builder},
        "buildType": "https://github.com/slsa-framework/slsa-github-generator/container@v1",
        "invocation": {
            "configSource": {"uri": source, "digest": {"sha1": "0123456789abcdef0123456789abcdef01234567"},
                             "entryPoint": ".github/workflows/release.yml"},
            "parameters": {}
        },
        "materials": [{"uri": source, "digest": {"sha1": "0123456789abcdef0123456789abcdef01234567"}}]
    })
}

/// A SLSA provenance v1 predicate as GitHub's attest-build-provenance writes it: the builder under
/// `runDetails`, the source repository as the first resolved dependency.
pub fn provenance_v1(builder: &str, source: &str) -> Value {
    json!({
        "buildDefinition": {
            "buildType": "https://actions.github.io/buildtypes/workflow/v1",
            "externalParameters": {"workflow": {"ref": "refs/heads/main", "repository": "https://github.com/org/repo",
                                                "path": ".github/workflows/release.yml"}},
            "internalParameters": {"github": {"event_name": "push"}},
            "resolvedDependencies": [{"uri": source, "digest": {"gitCommit": "0123456789abcdef0123456789abcdef01234567"}}]
        },
        "runDetails": {"builder": {"id": builder}, "metadata": {"invocationId": "https://github.com/org/repo/actions/runs/1/attempts/1"}}
    })
}

/// A legacy `.att` layer as cosign before v3 writes it: the DSSE envelope over `payload` (its blob) and the
/// layer's annotations: `predicateType`, an empty `dev.cosignproject.cosign/signature`, for a certificate
/// the certificate and chain, and (when `logged`) the Rekor bundle of an `intoto` v0.0.2 entry.
pub fn legacy_attestation(
    payload: &[u8],
    predicate_type: &str,
    signing: Signing<'_>,
    ca: Option<&Ca>,
    rekor: &mut Rekor,
    logged: bool,
) -> (Vec<u8>, serde_json::Map<String, Value>) {
    let payload_type = "application/vnd.in-toto+json";
    let (key, verifier) = match signing {
        Signing::Keyless(leaf) => (&leaf.key, leaf.pem()),
        Signing::Key(key) => (key, key.public_pem()),
    };
    let sig = key.sign(&pae(payload_type, payload));
    let envelope = serde_json::to_vec(&json!({
        "payloadType": payload_type,
        "payload": STANDARD.encode(payload),
        "signatures": [{"keyid": "", "sig": STANDARD.encode(&sig)}]
    }))
    .unwrap();
    let mut annotations = serde_json::Map::new();
    annotations.insert("predicateType".into(), json!(predicate_type));
    annotations.insert("dev.cosignproject.cosign/signature".into(), json!(""));
    if let (Signing::Keyless(leaf), Some(ca)) = (&signing, ca) {
        annotations.insert("dev.sigstore.cosign/certificate".into(), json!(leaf.pem()));
        annotations.insert("dev.sigstore.cosign/chain".into(), json!(ca.pem()));
    }
    if logged {
        // Rekor's canonical intoto v0.0.2 body: the envelope without its payload, the signature base64 twice.
        let body = serde_json::to_vec(&json!({
            "apiVersion": "0.0.2",
            "kind": "intoto",
            "spec": {"content": {
                "envelope": {
                    "payloadType": payload_type,
                    "signatures": [{
                        "publicKey": STANDARD.encode(verifier),
                        "sig": STANDARD.encode(STANDARD.encode(&sig))
                    }]
                },
                "hash": {"algorithm": "sha256", "value": hex(&sha256(&envelope))},
                "payloadHash": {"algorithm": "sha256", "value": hex(&sha256(payload))}
            }}
        }))
        .unwrap();
        let logged = rekor.log(&body, now() - 60, false, true);
        annotations.insert(
            "dev.sigstore.cosign/bundle".into(),
            json!(logged.annotation.to_string()),
        );
    }
    (envelope, annotations)
}

/// The referrer manifest of a bundle (as [`bundle_manifest`]) whose annotation names `predicate_type`, or
/// none when `None` (a registry or tool that drops annotations).
pub fn attestation_manifest(
    bundle_digest: &str,
    bundle_len: usize,
    subject_digest: &str,
    subject_len: usize,
    predicate_type: Option<&str>,
) -> Vec<u8> {
    let mut m: Value = serde_json::from_slice(&bundle_manifest(
        bundle_digest,
        bundle_len,
        subject_digest,
        "application/vnd.oci.image.manifest.v1+json",
        subject_len,
    ))
    .unwrap();
    match predicate_type {
        Some(t) => m["annotations"]["dev.sigstore.bundle.predicateType"] = json!(t),
        None => {
            m.as_object_mut().unwrap().remove("annotations");
        }
    }
    serde_json::to_vec(&m).unwrap()
}

/// The empty JSON object `{}`, the config of artifact manifests.
pub const EMPTY_DIGEST: &str =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

/// The referrers tag schema's index listing `manifests` (digest, size), each with the empty artifact
/// type, as registries without the referrers API end up listing them.
pub fn referrers_index(manifests: &[(String, usize)]) -> Vec<u8> {
    let entries: Vec<Value> = manifests
        .iter()
        .map(|(d, n)| {
            json!({
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": d,
                "size": n,
                "artifactType": "application/vnd.oci.empty.v1+json"
            })
        })
        .collect();
    serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": entries
    }))
    .unwrap()
}

#[test]
fn the_merkle_tree_matches_rfc_6962() {
    // Independent check of the audit paths: recompute the root from each leaf and its path.
    for n in 1..9usize {
        let hashes: Vec<Vec<u8>> = (0..n).map(|i| leaf_hash(&[i as u8])).collect();
        let root = mth(&hashes);
        for m in 0..n {
            let p = path(m, &hashes);
            // RFC 9162 §2.1.3.2 verification.
            let (mut fnode, mut snode) = (m, n - 1);
            let mut r = hashes[m].clone();
            for h in &p {
                if fnode % 2 == 1 || fnode == snode {
                    r = node_hash(h, &r);
                    while fnode % 2 == 0 && fnode != 0 {
                        fnode >>= 1;
                        snode >>= 1;
                    }
                } else {
                    r = node_hash(&r, h);
                }
                fnode >>= 1;
                snode >>= 1;
            }
            assert_eq!(r, root, "n={n} m={m}");
        }
    }
    assert_eq!(hex(&sha256(b"{}")), &EMPTY_DIGEST[7..]);
}

/// One throwaway Sigstore (a Fulcio-like CA, a CT log key, a Rekor) whose certificates carry GitHub Actions'
/// issuer: what the keyless signature and attestation tests sign with.
pub struct Sigstore {
    pub ca: Ca,
    pub ct: Key,
    pub rekor: Rekor,
}

impl Sigstore {
    pub fn new() -> Sigstore {
        Sigstore {
            ca: Ca::new("test fulcio"),
            ct: Key::new(),
            rekor: Rekor::new(),
        }
    }

    /// The `trusted_root.json` naming the three.
    pub fn root(&self) -> String {
        trusted_root(&self.ca, &self.rekor.key, &self.ct)
    }

    /// A certificate for `subject` by GitHub Actions' issuer, valid around now, with an SCT.
    pub fn leaf(&self, subject: &str) -> Leaf {
        self.ca.issue(
            subject,
            GITHUB_ISSUER,
            now() - 300,
            now() + 300,
            Some(&self.ct),
        )
    }

    /// A cosign v3 signature of `digest` by `leaf`.
    pub fn sign(&mut self, digest: &str, leaf: &Leaf, options: Options) -> Vec<u8> {
        bundle(
            &statement(digest, COSIGN_SIGN),
            Signing::Keyless(leaf),
            &mut self.rekor,
            options,
        )
    }

    /// A v0.3 bundle of `payload` (an in-toto statement) signed by `leaf`.
    pub fn attest(&mut self, payload: &[u8], leaf: &Leaf, options: Options) -> Vec<u8> {
        bundle(payload, Signing::Keyless(leaf), &mut self.rekor, options)
    }

    /// GitHub's provenance (v1) of `digest`, built by `builder` from `source`, signed by `leaf`.
    pub fn provenance(
        &mut self,
        digest: &str,
        builder: &str,
        source: &str,
        leaf: &Leaf,
    ) -> Vec<u8> {
        let payload = attestation_statement(digest, SLSA_V1, provenance_v1(builder, source));
        self.attest(&payload, leaf, Options::default())
    }
}

/// A working directory for a signature test: the trusted root as `root.json` and `deploy.yaml` naming `refs`.
pub fn workdir(root: &str, refs: &[String]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("root.json"), root).unwrap();
    let yaml: String = refs.iter().map(|r| format!("image: {r}\n")).collect();
    std::fs::write(dir.path().join("deploy.yaml"), yaml).unwrap();
    dir
}

/// A small OCI image manifest (linux/amd64, no layers), for the in-process registry with the referrers API.
pub fn small_image() -> Vec<u8> {
    let config = b"{\"architecture\":\"amd64\",\"os\":\"linux\"}".to_vec();
    serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": crate::harness::OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": crate::harness::sha256_digest(&config), "size": config.len()},
        "layers": []
    }))
    .unwrap()
}

/// Serves `image` (from `small_image`), its one `referrer` manifest, the referrers `index` and the `bundle`
/// on the in-process registry with the referrers API, runs `pin` with `args` on `team/app:v1` there, and
/// checks it pinned: exit 0, the digest of `image` written, `lookups` in the summary, and two manifest GETs
/// (the tag schema's, which is missing, and the referrer's: no other index entry is read).
pub fn pins_through_referrers_api(
    root: &str,
    image: Vec<u8>,
    referrer: Vec<u8>,
    index: Vec<u8>,
    bundle: Vec<u8>,
    args: &[String],
    lookups: &str,
) {
    use crate::common::{pin_insecure, stderr};
    let image_digest = crate::harness::sha256_digest(&image);
    let reg = crate::fake_registry::referrers_api(image, referrer, index, bundle);
    let host = reg.host();
    let dir = workdir(root, &[format!("{host}/team/app:v1")]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = pin_insecure(&host, dir.path(), &args);
    let seen = reg.finish();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("deploy.yaml")).unwrap(),
        format!("image: {host}/team/app@{image_digest} # {host}/team/app:v1\n")
    );
    assert!(stderr(&o).contains(lookups), "{}", stderr(&o));
    assert_eq!(seen.count(crate::fake_registry::Kind::GetManifest), 2);
}
