//! Sigstore signatures as images are signed today, end to end: the built `pin` binary against a real
//! registry (CNCF distribution, which has no referrers API, so bundles are found through the referrers tag
//! schema) and against the in-process registry with a referrers endpoint. Signatures are made by a
//! throwaway Sigstore (tests/sigstore_kit): a CA carrying the Fulcio issuer extension, a CT log, a Rekor, and
//! the trusted root naming them, given to `pin` with `--trusted-root`.
//!
//! Expected digests are the ones the harness computed from the bytes it pushed.

// Shared with `faults.rs`; this crate uses only part of it. The harness's pki.rs is loaded by both.
mod common;
#[allow(clippy::duplicate_mod)]
mod fake_registry;
mod harness;
mod sigstore_kit;

use std::fs;
use std::path::Path;
use std::process::Output;

use common::{pin_insecure as pin, stderr};
use serde_json::json;

use harness::{sha256_digest, Pushed, Registry, Variant, OCI_INDEX, OCI_MANIFEST};
use sigstore_kit::{
    bundle, bundle_manifest, now, pins_through_referrers_api, referrers_index, small_image,
    statement, workdir, Ca, Key, Options, Signing, Sigstore, COSIGN_SIGN, GITHUB_ISSUER,
};

const WORKFLOW: &str = "https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1";

/// Pushes `bundle` as a referrer of `image` as cosign does on a registry without the referrers API: the
/// bundle blob, the empty config, the referrer manifest (by digest), and the index tagged `sha256-<hex>`
/// listing every referrer pushed so far for that digest (`subject` names the image the manifest claims).
fn push_bundle(registry: &Registry, image: &Pushed, subject: &Pushed, bundle: &[u8]) -> String {
    let repo = &image.repo;
    let blob = registry.push_blob(repo, bundle);
    registry.push_blob(repo, b"{}");
    let manifest = bundle_manifest(&blob, bundle.len(), &subject.digest, OCI_MANIFEST, 0);
    let digest = registry.push_manifest(repo, &sha256_digest(&manifest), OCI_MANIFEST, &manifest);
    let index = referrers_index(&[(digest.clone(), manifest.len())]);
    let tag = image.digest.replacen(':', "-", 1);
    registry.push_manifest(repo, &tag, OCI_INDEX, &index);
    digest
}

fn read(dir: &Path) -> String {
    fs::read_to_string(dir.join("deploy.yaml")).unwrap()
}

/// The keyless flags for the GitHub workflow identity, with the test root.
fn keyless(subject: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = ["-w", "-v", "--trusted-root", "root.json"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(subject.iter().map(|s| s.to_string()));
    args.extend([
        "--signature-issuer".to_string(),
        GITHUB_ISSUER.to_string(),
        "deploy.yaml".to_string(),
    ]);
    args
}

fn run(host: &str, dir: &Path, args: &[String]) -> Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    pin(host, dir, &args)
}

// Guards the main promise: a cosign v3 keyless signature (a bundle found through the referrers tag schema
// on a registry without the referrers API) lets the digest be written, for an exact identity and for an
// anchored regular expression.
#[test]
fn a_keyless_bundle_found_through_the_tag_schema_pins_the_digest() {
    let registry = Registry::start(Variant::Plain);
    let mut sigstore = Sigstore::new();
    let image = registry.push_oci_image("keyless/app", "v1", "keyless-v1");
    let leaf = sigstore.leaf(WORKFLOW);
    let b = sigstore.sign(&image.digest, &leaf, Options::default());
    push_bundle(&registry, &image, &image, &b);
    let reference = registry.reference("keyless/app", "v1");
    let pinned = format!(
        "image: {}/keyless/app@{} # {reference}\n",
        registry.host(),
        image.digest
    );
    for subject in [
        ["--signature-identity", WORKFLOW],
        [
            "--signature-identity-regexp",
            r"https://github\.com/org/repo/\.github/workflows/.*",
        ],
    ] {
        let dir = workdir(&sigstore.root(), std::slice::from_ref(&reference));
        let o = run(registry.host(), dir.path(), &keyless(&subject));
        assert_eq!(o.status.code(), Some(0), "{subject:?}: {}", stderr(&o));
        assert_eq!(read(dir.path()), pinned, "{subject:?}");
        // .sig tag, referrers API (404), the tag schema's index, the referrer manifest, the bundle blob.
        assert!(
            stderr(&o).contains("1 signature lookups (5 requests)"),
            "{}",
            stderr(&o)
        );
    }
}

/// Runs the keyless GitHub policy (`subject` flags) on `repo:v1` and checks it is refused: exit 2, the file
/// untouched, and `why` in the message.
fn assert_refused(
    registry: &Registry,
    sigstore: &Sigstore,
    repo: &str,
    subject: &[&str],
    why: &str,
) {
    let dir = workdir(&sigstore.root(), &[registry.reference(repo, "v1")]);
    let before = read(dir.path());
    let o = run(registry.host(), dir.path(), &keyless(subject));
    assert_eq!(o.status.code(), Some(2), "{repo}: {}", stderr(&o));
    assert_eq!(read(dir.path()), before, "{repo}: written");
    assert!(
        stderr(&o).contains(why),
        "{repo}: expected {why:?} in {}",
        stderr(&o)
    );
}

// Guards fail-closed for bundles: every way a keyless signature can be wrong refuses the pin and names why.
#[test]
fn bad_keyless_bundles_are_refused_with_their_cause() {
    let registry = Registry::start(Variant::Plain);
    let mut s = Sigstore::new();
    let exact = ["--signature-identity", WORKFLOW];
    let push = |repo: &str| registry.push_oci_image(repo, "v1", repo);

    let leaf = s.leaf(WORKFLOW);
    let forged = Options {
        forge_payload: true,
        ..Options::default()
    };
    let unlogged = Options {
        unlogged: true,
        ..Options::default()
    };
    let rogue = Ca::new("rogue fulcio").issue(
        WORKFLOW,
        GITHUB_ISSUER,
        now() - 300,
        now() + 300,
        Some(&s.ct),
    );
    let stranger =
        s.leaf("https://github.com/someone/else/.github/workflows/x.yml@refs/heads/main");
    let old = s.ca.issue(
        WORKFLOW,
        GITHUB_ISSUER,
        now() - 7200,
        now() - 3600,
        Some(&s.ct),
    );
    for (repo, signer, options, why) in [
        // The DSSE payload changed after signing.
        ("forged/app", &leaf, forged, "signature does not verify"),
        // A certificate from a CA the trusted root does not name.
        ("other-ca/app", &rogue, Options::default(), "untrusted chain"),
        // Signed by another workflow.
        (
            "identity/app",
            &stranger,
            Options::default(),
            "identity mismatch: signed by subject \"https://github.com/someone/else/.github/workflows/x.yml@refs/heads/main\" with issuer \"https://token.actions.githubusercontent.com\"",
        ),
        // No transparency-log entry.
        ("unlogged/app", &leaf, unlogged, "no log evidence"),
        // A certificate that had expired when the log recorded the signature.
        (
            "expired/app",
            &old,
            Options::default(),
            "expired: the certificate was not valid at the signing time",
        ),
    ] {
        let image = push(repo);
        let b = s.sign(&image.digest, signer, options);
        push_bundle(&registry, &image, &image, &b);
        assert_refused(&registry, &s, repo, &exact, why);
    }

    // A good signature, but its statement is about another digest.
    let image = push("subject/app");
    let other = registry.push_oci_image("subject/app", "v0", "another image");
    let b = s.sign(&other.digest, &leaf, Options::default());
    push_bundle(&registry, &image, &image, &b);
    assert_refused(
        &registry,
        &s,
        "subject/app",
        &exact,
        &format!(
            "wrong subject digest: the signed statement is for {}",
            other.digest
        ),
    );

    // A regular expression that matches the subject only somewhere inside it.
    let image = push("unanchored/app");
    let b = s.sign(&image.digest, &leaf, Options::default());
    push_bundle(&registry, &image, &image, &b);
    assert_refused(
        &registry,
        &s,
        "unanchored/app",
        &["--signature-identity-regexp", r"github\.com/org/repo"],
        "identity mismatch",
    );

    // The index for this digest lists a referrer (a good bundle) whose subject is another image.
    let image = push("listed/app");
    let other = registry.push_oci_image("listed/app", "v0", "listed elsewhere");
    let b = s.sign(&other.digest, &leaf, Options::default());
    push_bundle(&registry, &image, &other, &b);
    assert_refused(
        &registry,
        &s,
        "listed/app",
        &exact,
        "wrong subject digest: referrer sha256:",
    );
    assert_refused(
        &registry,
        &s,
        "listed/app",
        &exact,
        &format!("is for {}", other.digest),
    );
}

/// Pushes a legacy `.sig` manifest for `image` with one simple-signing layer and `annotations`.
fn push_legacy(
    registry: &Registry,
    image: &Pushed,
    payload: &[u8],
    annotations: serde_json::Map<String, serde_json::Value>,
) {
    let repo = &image.repo;
    let config = registry.push_blob(repo, b"{}");
    let layer = registry.push_blob(repo, payload);
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 2},
        "layers": [{
            "mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
            "digest": layer,
            "size": payload.len(),
            "annotations": annotations
        }]
    }))
    .unwrap();
    let tag = format!("{}.sig", image.digest.replacen(':', "-", 1));
    registry.push_manifest(repo, &tag, OCI_MANIFEST, &manifest);
}

// Guards the legacy keyless layout (cosign before v3): the certificate, chain and Rekor bundle annotations
// of a `.sig` layer verify as a bundle does, from the flags and from containers-policy.json's `fulcio`.
#[test]
fn legacy_keyless_signatures_verify_from_flags_and_policy_json() {
    let registry = Registry::start(Variant::Plain);
    let mut s = Sigstore::new();
    let host = registry.host().to_string();
    let image = registry.push_oci_image("legacy/app", "v1", "legacy-v1");
    let email = "release@example.com";
    let leaf = s.ca.issue(
        email,
        "https://accounts.example.com",
        now() - 300,
        now() + 300,
        Some(&s.ct),
    );
    let payload = sigstore_kit::simple_signing(&format!("{host}/legacy/app"), &image.digest);
    let (_, annotations) = sigstore_kit::legacy_keyless(&payload, &leaf, &s.ca, &mut s.rekor);
    push_legacy(&registry, &image, &payload, annotations.clone());
    let pinned = format!(
        "image: {host}/legacy/app@{} # {host}/legacy/app:v1\n",
        image.digest
    );
    // The flags: the test root, the identity exact.
    let by_email = [
        "-w",
        "--trusted-root",
        "root.json",
        "--signature-identity",
        email,
        "--signature-issuer",
        "https://accounts.example.com",
        "deploy.yaml",
    ];

    let dir = workdir(&s.root(), &[registry.reference("legacy/app", "v1")]);
    let o = pin(&host, dir.path(), &by_email);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(read(dir.path()), pinned);

    // containers-policy.json: the CA and the Rekor key as files, the identity exact; another issuer is
    // refused.
    let policy = |issuer: &str| {
        json!({
            "default": [{"type": "reject"}],
            "transports": {"docker": {format!("{host}/legacy"): [{
                "type": "sigstoreSigned",
                "fulcio": {"caPath": "fulcio.pem", "oidcIssuer": issuer, "subjectEmail": email},
                "rekorPublicKeyPath": "rekor.pub"
            }]}}
        })
        .to_string()
    };
    for (issuer, code) in [
        ("https://accounts.example.com", 0),
        ("https://other.example.com", 2),
    ] {
        let dir = workdir(&s.root(), &[registry.reference("legacy/app", "v1")]);
        fs::write(dir.path().join("fulcio.pem"), s.ca.pem()).unwrap();
        fs::write(dir.path().join("rekor.pub"), s.rekor.key.public_pem()).unwrap();
        fs::write(dir.path().join("policy.json"), policy(issuer)).unwrap();
        let o = pin(
            &host,
            dir.path(),
            &["-w", "--policy", "policy.json", "deploy.yaml"],
        );
        assert_eq!(o.status.code(), Some(code), "{issuer}: {}", stderr(&o));
        if code == 0 {
            assert_eq!(read(dir.path()), pinned);
        } else {
            assert!(stderr(&o).contains("identity mismatch"), "{}", stderr(&o));
        }
    }

    // Without the Rekor bundle annotation there is no log evidence.
    let image = registry.push_oci_image("legacy-unlogged/app", "v1", "legacy-unlogged");
    let payload =
        sigstore_kit::simple_signing(&format!("{host}/legacy-unlogged/app"), &image.digest);
    let (_, mut annotations) = sigstore_kit::legacy_keyless(&payload, &leaf, &s.ca, &mut s.rekor);
    annotations.remove("dev.sigstore.cosign/bundle");
    push_legacy(&registry, &image, &payload, annotations);
    let dir = workdir(
        &s.root(),
        &[registry.reference("legacy-unlogged/app", "v1")],
    );
    let o = pin(&host, dir.path(), &by_email);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("no log evidence"), "{}", stderr(&o));
}

// Guards key-signed bundles (cosign v3 `sign --key`): the key verifies the DSSE envelope and the trusted
// root's Rekor the log entry; another key is refused.
#[test]
fn a_key_signed_bundle_verifies_with_its_key() {
    let registry = Registry::start(Variant::Plain);
    let mut s = Sigstore::new();
    let image = registry.push_oci_image("keyed/app", "v1", "keyed-v1");
    let key = Key::new();
    let b = bundle(
        &statement(&image.digest, COSIGN_SIGN),
        Signing::Key(&key),
        &mut s.rekor,
        Options::default(),
    );
    push_bundle(&registry, &image, &image, &b);
    let reference = registry.reference("keyed/app", "v1");
    for (pem, code) in [(key.public_pem(), 0), (Key::new().public_pem(), 2)] {
        let dir = workdir(&s.root(), std::slice::from_ref(&reference));
        fs::write(dir.path().join("cosign.pub"), pem).unwrap();
        let o = pin(
            registry.host(),
            dir.path(),
            &[
                "-w",
                "--trusted-root",
                "root.json",
                "--signature-key",
                "cosign.pub",
                "deploy.yaml",
            ],
        );
        assert_eq!(o.status.code(), Some(code), "{}", stderr(&o));
        if code == 0 {
            assert_eq!(
                read(dir.path()),
                format!(
                    "image: {host}/keyed/app@{} # {host}/keyed/app:v1\n",
                    image.digest,
                    host = registry.host()
                )
            );
        } else {
            assert!(
                stderr(&o).contains("signature does not verify with cosign.pub"),
                "{}",
                stderr(&o)
            );
        }
    }
}

// Guards the referrers API: on a registry that has it, the bundle is found there (and the tag schema is
// not asked), with the request count -v reports.
#[test]
fn a_bundle_found_through_the_referrers_api_pins_the_digest() {
    let mut s = Sigstore::new();
    let image = small_image();
    let image_digest = sha256_digest(&image);
    let leaf = s.leaf(WORKFLOW);
    let b = s.sign(&image_digest, &leaf, Options::default());
    let bundle_digest = sha256_digest(&b);
    let referrer = bundle_manifest(
        &bundle_digest,
        b.len(),
        &image_digest,
        OCI_MANIFEST,
        image.len(),
    );
    let referrer_digest = sha256_digest(&referrer);
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            {"mediaType": OCI_MANIFEST, "digest": referrer_digest, "size": referrer.len(),
             "artifactType": sigstore_kit::BUNDLE_V03},
            {"mediaType": OCI_MANIFEST, "digest": sha256_digest(b"sbom"), "size": 4,
             "artifactType": "application/spdx+json"}
        ]
    }))
    .unwrap();
    // .sig tag (404), the referrers API, the bundle's manifest (the SBOM is not read), the bundle blob; the
    // tag schema's index is not asked for: the .sig tag and the referrer manifest are the GETs.
    pins_through_referrers_api(
        &s.root(),
        image,
        referrer,
        index,
        b,
        &keyless(&["--signature-identity", WORKFLOW]),
        "1 signature lookups (4 requests)",
    );
}

// Guards `pin verify`: existing pins are held to the same keyless policy.
#[test]
fn verify_applies_the_keyless_policy_to_existing_pins() {
    let registry = Registry::start(Variant::Plain);
    let mut s = Sigstore::new();
    let signed = registry.push_oci_image("verify/signed", "v1", "verify-signed");
    let leaf = s.leaf(WORKFLOW);
    let b = s.sign(&signed.digest, &leaf, Options::default());
    push_bundle(&registry, &signed, &signed, &b);
    let unsigned = registry.push_oci_image("verify/unsigned", "v1", "verify-unsigned");
    let host = registry.host();
    let check = |image: &Pushed| {
        let dir = workdir(
            &s.root(),
            &[format!("{host}/{}@{}", image.repo, image.digest)],
        );
        pin(
            host,
            dir.path(),
            &[
                "verify",
                "--trusted-root",
                "root.json",
                "--signature-identity",
                WORKFLOW,
                "--signature-issuer",
                GITHUB_ISSUER,
                "deploy.yaml",
            ],
        )
    };
    let o = check(&signed);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = check(&unsigned);
    assert_ne!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("no signature found"), "{}", stderr(&o));
}

// Guards the setup errors of keyless policies: half an identity, a bad regular expression, a bad root.
#[test]
fn unusable_keyless_settings_stop_the_run() {
    let dir = workdir("{}", &["registry.invalid/app:v1".to_string()]);
    for (args, why) in [
        (
            vec!["--signature-identity", WORKFLOW],
            "needs both the certificate's subject and its issuer",
        ),
        (
            vec![
                "--signature-identity-regexp",
                "(",
                "--signature-issuer",
                GITHUB_ISSUER,
            ],
            "--signature-identity-regexp",
        ),
        (
            vec![
                "--trusted-root",
                "root.json",
                "--signature-identity",
                WORKFLOW,
                "--signature-issuer",
                GITHUB_ISSUER,
            ],
            "not a Sigstore trusted root",
        ),
    ] {
        let mut all = vec!["-w"];
        all.extend(&args);
        all.push("deploy.yaml");
        let o = pin("registry.invalid", dir.path(), &all);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(why), "{args:?}: {}", stderr(&o));
    }
}
