//! Signature-gated pinning, end to end: the built `pin` binary against a real registry holding cosign
//! signatures made here (a P-256 key generated in the test, the simple-signing payload, and the
//! `sha256-<hex>.sig` manifest pushed as cosign pushes it).
//!
//! Expected digests are the ones the harness computed from the bytes it pushed.

mod common;
mod harness;

use std::fs;
use std::path::Path;
use std::process::Output;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use common::stderr;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use serde_json::json;

use harness::{sha256_digest, Pushed, Registry, Variant, OCI_MANIFEST};

const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";

/// A signing key, as `cosign generate-key-pair` makes one (ECDSA P-256).
struct Signer {
    pair: EcdsaKeyPair,
}

impl Signer {
    fn new() -> Signer {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        Signer { pair }
    }

    /// `cosign.pub`: a PEM SubjectPublicKeyInfo (the fixed DER prefix of a P-256 key, then the point).
    fn public_pem(&self) -> String {
        let mut der = vec![
            0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
            0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
        ];
        der.extend_from_slice(self.pair.public_key().as_ref());
        let b64 = STANDARD.encode(der);
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            lines.join("\n")
        )
    }

    /// The ASN.1 DER signature over `payload`, base64, as the annotation holds it.
    fn sign(&self, payload: &[u8]) -> String {
        let sig = self.pair.sign(&SystemRandom::new(), payload).unwrap();
        STANDARD.encode(sig.as_ref())
    }
}

/// The simple-signing payload cosign signs for `reference` (`host/repo`) at `digest`.
fn payload(reference: &str, digest: &str) -> Vec<u8> {
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

/// Pushes `payload` with `signature` (base64) as the signature manifest of `repo@digest`, tagged
/// `sha256-<hex>.sig`, as cosign does: an empty config and one simple-signing layer with the annotation.
fn push_signature(registry: &Registry, repo: &str, digest: &str, payload: &[u8], signature: &str) {
    let config = b"{}";
    let config_digest = registry.push_blob(repo, config);
    let layer_digest = registry.push_blob(repo, payload);
    assert_eq!(layer_digest, sha256_digest(payload));
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest,
            "size": config.len()
        },
        "layers": [{
            "mediaType": SIMPLE_SIGNING,
            "digest": layer_digest,
            "size": payload.len(),
            "annotations": {"dev.cosignproject.cosign/signature": signature}
        }]
    }))
    .unwrap();
    let tag = format!("{}.sig", digest.replacen(':', "-", 1));
    registry.push_manifest(repo, &tag, OCI_MANIFEST, &manifest);
}

/// Signs `image` properly with `signer`, for its own repository.
fn sign_image(registry: &Registry, signer: &Signer, image: &Pushed) {
    let name = format!("{}/{}", registry.host(), image.repo);
    let p = payload(&name, &image.digest);
    push_signature(registry, &image.repo, &image.digest, &p, &signer.sign(&p));
}

/// A working directory with `cosign.pub` (of `signer`) and `deploy.yaml` naming `refs`.
fn workdir(signer: &Signer, refs: &[String]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("cosign.pub"), signer.public_pem()).unwrap();
    let yaml: String = refs.iter().map(|r| format!("image: {r}\n")).collect();
    fs::write(dir.path().join("deploy.yaml"), yaml).unwrap();
    dir
}

fn pin(registry: &Registry, cwd: &Path, args: &[&str]) -> Output {
    common::command(cwd)
        .args(["--insecure-registry", registry.host()])
        .args(args)
        .output()
        .unwrap()
}

fn read(dir: &Path, name: &str) -> String {
    fs::read_to_string(dir.join(name)).unwrap()
}

// Guards the promise of --require-signature: a digest with a good signature is written, and the
// digest written is the one pushed.
#[test]
fn a_signed_image_is_pinned() {
    let registry = Registry::start(Variant::Plain);
    let signer = Signer::new();
    let image = registry.push_oci_image("signed/app", "v1", "signed-v1");
    sign_image(&registry, &signer, &image);
    let reference = registry.reference("signed/app", "v1");
    // Twice, to see one signature lookup per unique digest.
    let dir = workdir(&signer, &[reference.clone(), reference.clone()]);
    let o = pin(
        &registry,
        dir.path(),
        &[
            "-w",
            "-v",
            "--require-signature",
            "--signature-key",
            "cosign.pub",
            "deploy.yaml",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let pinned = format!(
        "{}/signed/app@{} # {reference}",
        registry.host(),
        image.digest
    );
    assert_eq!(
        read(dir.path(), "deploy.yaml"),
        format!("image: {pinned}\nimage: {pinned}\n")
    );
    assert!(stderr(&o).contains("1 signature lookups"), "{}", stderr(&o));
}

/// Runs `pin -w --signature-key cosign.pub` on `repo:v1` and checks it is refused: exit 2, the file
/// untouched, and `why` in the message.
fn assert_refused(registry: &Registry, signer: &Signer, repo: &str, why: &str) {
    let dir = workdir(signer, &[registry.reference(repo, "v1")]);
    let before = read(dir.path(), "deploy.yaml");
    let o = pin(
        registry,
        dir.path(),
        &["-w", "--signature-key", "cosign.pub", "deploy.yaml"],
    );
    assert_eq!(o.status.code(), Some(2), "{repo}: {}", stderr(&o));
    assert_eq!(read(dir.path(), "deploy.yaml"), before, "{repo}: written");
    assert!(
        stderr(&o).contains(why),
        "{repo}: expected {why:?} in {}",
        stderr(&o)
    );
    // The JSON report gives the refusal its own code.
    let o = pin(
        registry,
        dir.path(),
        &[
            "-w",
            "--format",
            "json",
            "--signature-key",
            "cosign.pub",
            "deploy.yaml",
        ],
    );
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        report.to_string().contains("\"PIN050\""),
        "{repo}: {report}"
    );
}

// Guards fail-closed: every way a signature can be missing or wrong refuses the pin, with its reason.
#[test]
fn unsigned_and_badly_signed_images_are_refused_with_nothing_written() {
    let registry = Registry::start(Variant::Plain);
    let signer = Signer::new();
    let host = registry.host().to_string();

    registry.push_oci_image("unsigned/app", "v1", "unsigned");
    assert_refused(&registry, &signer, "unsigned/app", "no signature found");

    let image = registry.push_oci_image("wrong-key/app", "v1", "wrong-key");
    sign_image(&registry, &Signer::new(), &image);
    assert_refused(
        &registry,
        &signer,
        "wrong-key/app",
        "does not verify with cosign.pub",
    );

    // A good signature by the right key, but over a payload for another image's digest.
    let image = registry.push_oci_image("wrong-digest/app", "v1", "wrong-digest");
    let other = registry.push_oci_image("wrong-digest/app", "v0", "another image");
    let p = payload(&format!("{host}/wrong-digest/app"), &other.digest);
    push_signature(&registry, &image.repo, &image.digest, &p, &signer.sign(&p));
    assert_refused(
        &registry,
        &signer,
        "wrong-digest/app",
        "payload names another digest",
    );

    // The right signature beside a payload changed after signing (the manifest names the changed blob).
    let image = registry.push_oci_image("tampered/app", "v1", "tampered");
    let p = payload(&format!("{host}/tampered/app"), &image.digest);
    let signature = signer.sign(&p);
    let tampered = String::from_utf8(p)
        .unwrap()
        .replace("\"optional\":null", "\"optional\":{\"by\":\"mallory\"}");
    push_signature(
        &registry,
        &image.repo,
        &image.digest,
        tampered.as_bytes(),
        &signature,
    );
    assert_refused(
        &registry,
        &signer,
        "tampered/app",
        "does not verify with cosign.pub",
    );

    // Signed for this digest, but naming another repository.
    let image = registry.push_oci_image("identity/app", "v1", "identity");
    let p = payload(&format!("{host}/elsewhere/app"), &image.digest);
    push_signature(&registry, &image.repo, &image.digest, &p, &signer.sign(&p));
    assert_refused(&registry, &signer, "identity/app", "identity mismatch");
}

// Guards the policy file: per-repository scopes decide, and `reject` refuses.
#[test]
fn a_policy_json_decides_per_repository() {
    let registry = Registry::start(Variant::Plain);
    let signer = Signer::new();
    let host = registry.host().to_string();
    let open = registry.push_oci_image("open/app", "v1", "open");
    let signed = registry.push_oci_image("team/signed", "v1", "team-signed");
    sign_image(&registry, &signer, &signed);
    registry.push_oci_image("team/unsigned", "v1", "team-unsigned");
    registry.push_oci_image("closed/app", "v1", "closed");
    let policy = json!({
        "default": [{"type": "reject"}],
        "transports": {
            "docker": {
                format!("{host}/open"): [{"type": "insecureAcceptAnything"}],
                format!("{host}/team"): [{"type": "sigstoreSigned", "keyPath": "cosign.pub"}]
            }
        }
    });
    let run = |repo: &str| {
        let dir = workdir(&signer, &[registry.reference(repo, "v1")]);
        fs::write(dir.path().join("policy.json"), policy.to_string()).unwrap();
        let o = pin(
            &registry,
            dir.path(),
            &["-w", "--policy", "policy.json", "deploy.yaml"],
        );
        (o, read(dir.path(), "deploy.yaml"))
    };
    for (repo, digest) in [("open/app", &open.digest), ("team/signed", &signed.digest)] {
        let (o, text) = run(repo);
        assert_eq!(o.status.code(), Some(0), "{repo}: {}", stderr(&o));
        assert_eq!(
            text,
            format!("image: {host}/{repo}@{digest} # {host}/{repo}:v1\n"),
            "{repo}"
        );
    }
    for (repo, why) in [
        ("team/unsigned", "no signature found"),
        ("closed/app", "the policy rejects"),
    ] {
        let (o, text) = run(repo);
        assert_eq!(o.status.code(), Some(2), "{repo}: {}", stderr(&o));
        assert_eq!(
            text,
            format!("image: {host}/{repo}:v1\n"),
            "{repo}: written"
        );
        assert!(stderr(&o).contains(why), "{repo}: {}", stderr(&o));
    }
}

// Guards the setup errors: a policy pin cannot enforce, a key that is no key, --offline with signatures.
#[test]
fn unusable_signature_settings_stop_the_run() {
    let registry = Registry::start(Variant::Plain);
    let signer = Signer::new();
    registry.push_oci_image("any/app", "v1", "any");
    let dir = workdir(&signer, &[registry.reference("any/app", "v1")]);
    let before = read(dir.path(), "deploy.yaml");
    fs::write(
        dir.path().join("policy.json"),
        r#"{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"k.gpg"}]}"#,
    )
    .unwrap();
    fs::write(dir.path().join("not-a-key.pub"), "hello\n").unwrap();
    fs::write(dir.path().join("pin.lock"), "").unwrap();
    for (args, why) in [
        (vec!["--policy", "policy.json"], "signedBy"),
        (vec!["--signature-key", "not-a-key.pub"], "not a PEM file"),
        (vec!["--require-signature"], "needs a signer"),
        (
            vec![
                "--signature-key",
                "cosign.pub",
                "--offline",
                "--lock",
                "pin.lock",
            ],
            "--offline cannot be combined",
        ),
    ] {
        let mut all = vec!["-w"];
        all.extend(&args);
        all.push("deploy.yaml");
        let o = pin(&registry, dir.path(), &all);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(why), "{args:?}: {}", stderr(&o));
        assert_eq!(read(dir.path(), "deploy.yaml"), before, "{args:?}: written");
    }
}

// Guards the configuration file: `[signatures]` in pin.toml gates pinning as the flags do.
#[test]
fn the_signatures_table_of_pin_toml_requires_signatures() {
    let registry = Registry::start(Variant::Plain);
    let signer = Signer::new();
    let signed = registry.push_oci_image("conf/signed", "v1", "conf-signed");
    sign_image(&registry, &signer, &signed);
    registry.push_oci_image("conf/unsigned", "v1", "conf-unsigned");
    let dir = workdir(&signer, &[registry.reference("conf/signed", "v1")]);
    fs::create_dir(dir.path().join("keys")).unwrap();
    fs::rename(
        dir.path().join("cosign.pub"),
        dir.path().join("keys/cosign.pub"),
    )
    .unwrap();
    fs::write(
        dir.path().join("pin.toml"),
        "[signatures]\nrequire = true\nkeys = [\"keys/cosign.pub\"]\n",
    )
    .unwrap();
    let o = pin(
        &registry,
        dir.path(),
        &["-w", "--config", "pin.toml", "deploy.yaml"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        read(dir.path(), "deploy.yaml"),
        format!(
            "image: {host}/conf/signed@{} # {host}/conf/signed:v1\n",
            signed.digest,
            host = registry.host()
        )
    );
    let unsigned = format!("image: {}\n", registry.reference("conf/unsigned", "v1"));
    fs::write(dir.path().join("deploy.yaml"), &unsigned).unwrap();
    let o = pin(
        &registry,
        dir.path(),
        &["-w", "--config", "pin.toml", "deploy.yaml"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("no signature found"), "{}", stderr(&o));
    assert_eq!(read(dir.path(), "deploy.yaml"), unsigned);
}

// Guards `pin verify` with a signature key: a pinned digest that is served must also be signed; the
// unsigned one is an error (exit 2) at its place, the signed one passes, one signature lookup per digest.
#[test]
fn verify_requires_signatures_of_pinned_digests_when_asked() {
    let registry = Registry::start(Variant::Plain);
    let signer = Signer::new();
    let signed = registry.push_oci_image("signed/app", "v1", "verify-signed");
    sign_image(&registry, &signer, &signed);
    let unsigned = registry.push_oci_image("unsigned/app", "v1", "verify-unsigned");
    let host = registry.host();
    let refs = [
        format!("{host}/signed/app@{}", signed.digest),
        format!("{host}/unsigned/app@{}", unsigned.digest),
    ];
    let dir = workdir(&signer, &refs);
    let verify = |extra: &[&str]| {
        let mut args = vec!["verify", "--insecure-registry", host];
        args.extend_from_slice(extra);
        args.push("deploy.yaml");
        common::command(dir.path()).args(&args).output().unwrap()
    };
    let o = verify(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = verify(&["-v", "--signature-key", "cosign.pub"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "deploy.yaml:2:8: error: cannot verify {}",
            refs[1]
        )),
        "{err}"
    );
    assert!(!err.contains("deploy.yaml:1:8"), "{err}");
    assert!(err.contains("2 signature lookups"), "{err}");
    let o = verify(&["--signature-key", "cosign.pub", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let codes: Vec<&serde_json::Value> = v["references"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["code"])
        .collect();
    assert_eq!(codes, [&serde_json::Value::Null, &json!("PIN050")]);
}
