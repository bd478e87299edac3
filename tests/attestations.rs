//! Attestations as a gate (`--require-attestation slsaprovenance`), end to end: the built `pin` binary
//! against a real registry (CNCF distribution, no referrers API: bundles are found through the referrers tag
//! schema, legacy attestations under the `sha256-<hex>.att` tag) and against the in-process registry with a
//! referrers endpoint. Attestations are SLSA provenance statements signed by a throwaway Sigstore
//! (tests/sigstore_kit): keyless bundles as GitHub's attest-build-provenance and cosign v3 store them, and
//! legacy `.att` layers (DSSE envelopes with an `intoto` Rekor entry) as cosign before v3 stores them.
//!
//! Expected digests are the ones the harness computed from the bytes it pushed.

mod common;
#[allow(clippy::duplicate_mod)]
mod fake_registry;
mod harness;
mod sigstore_kit;

use std::fs;
use std::path::Path;
use std::process::Output;

use common::{pin_insecure as pin, stderr};
use serde_json::{json, Value};

use harness::{sha256_digest, Pushed, Registry, Variant, OCI_INDEX, OCI_MANIFEST};
use sigstore_kit::{
    attestation_manifest, attestation_statement, legacy_attestation, pins_through_referrers_api,
    provenance_v02, provenance_v1, referrers_index, small_image, statement, workdir, Key, Options,
    Signing, Sigstore, COSIGN_SIGN, DSSE_ENVELOPE, GITHUB_ISSUER, SLSA_V02, SLSA_V1,
};

const WORKFLOW: &str = "https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main";
/// The builder GitHub's provenance names for hosted runners.
const HOSTED: &str = "https://github.com/actions/runner/github-hosted";
/// slsa-github-generator's container workflow, at a release, as its v0.2 provenance names it.
const GENERATOR: &str = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml";
const SOURCE: &str = "git+https://github.com/org/repo@refs/heads/main";
const SPDX: &str = "https://spdx.dev/Document";

/// One referrer to push: a bundle, the predicate type its manifest's annotation names (`None`: no
/// annotation), and the image its manifest names as subject.
struct Referrer<'a> {
    bundle: Vec<u8>,
    annotation: Option<&'a str>,
    subject: &'a Pushed,
}

/// Pushes `referrers` of `image` as cosign and GitHub do on a registry without the referrers API: each
/// bundle blob, the empty config, each referrer manifest (by digest), and the index tagged `sha256-<hex>`
/// listing them all (with the empty artifact type and no annotations, as the tag schema's index is often
/// found). Returns the referrer manifests' digests.
fn push_referrers(registry: &Registry, image: &Pushed, referrers: &[Referrer<'_>]) -> Vec<String> {
    let repo = &image.repo;
    registry.push_blob(repo, b"{}");
    let mut listed = Vec::new();
    for r in referrers {
        let blob = registry.push_blob(repo, &r.bundle);
        let subject = &r.subject;
        let manifest = attestation_manifest(
            &blob,
            r.bundle.len(),
            &subject.digest,
            subject.manifest.len(),
            r.annotation,
        );
        let digest =
            registry.push_manifest(repo, &sha256_digest(&manifest), OCI_MANIFEST, &manifest);
        listed.push((digest, manifest.len()));
    }
    let index = referrers_index(&listed);
    let tag = image.digest.replacen(':', "-", 1);
    registry.push_manifest(repo, &tag, OCI_INDEX, &index);
    listed.into_iter().map(|(d, _)| d).collect()
}

/// Pushes `bundle` as the one referrer of `image`, its manifest annotated with `annotation`.
fn push_one(registry: &Registry, image: &Pushed, bundle: Vec<u8>, annotation: Option<&str>) {
    push_referrers(
        registry,
        image,
        &[Referrer {
            bundle,
            annotation,
            subject: image,
        }],
    );
}

/// Pushes the legacy `.att` manifest of `image`: one layer per (envelope, annotations), as cosign appends
/// them.
fn push_att(
    registry: &Registry,
    image: &Pushed,
    layers: &[(Vec<u8>, serde_json::Map<String, Value>)],
) {
    let repo = &image.repo;
    let config = registry.push_blob(repo, b"{}");
    let layers: Vec<Value> = layers
        .iter()
        .map(|(envelope, annotations)| {
            let digest = registry.push_blob(repo, envelope);
            json!({
                "mediaType": DSSE_ENVELOPE,
                "digest": digest,
                "size": envelope.len(),
                "annotations": annotations
            })
        })
        .collect();
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 2},
        "layers": layers
    }))
    .unwrap();
    let tag = format!("{}.att", image.digest.replacen(':', "-", 1));
    registry.push_manifest(repo, &tag, OCI_MANIFEST, &manifest);
}

fn read(dir: &Path) -> String {
    fs::read_to_string(dir.join("deploy.yaml")).unwrap()
}

/// `-w -v`, the test root, the keyless GitHub identity of `WORKFLOW`, then `extra`.
fn keyless(extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "-w",
        "-v",
        "--trusted-root",
        "root.json",
        "--signature-identity",
        WORKFLOW,
        "--signature-issuer",
        GITHUB_ISSUER,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push("deploy.yaml".to_string());
    args
}

fn run(host: &str, dir: &Path, args: &[String]) -> Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    pin(host, dir, &args)
}

/// The attestation flags of GitHub's provenance from `org/repo` on hosted runners.
const GITHUB_PROVENANCE: &[&str] = &[
    "--require-attestation",
    "slsaprovenance",
    "--attestation-builder-id",
    HOSTED,
    "--attestation-source-uri",
    "github.com/org/repo",
];

// Guards the main promise: GitHub's provenance (a keyless v1 bundle found through the referrers tag schema)
// lets the digest be written when builder and source are the ones required, exactly or by anchored regular
// expressions; no signature is asked for unless --require-signature says so, and then its absence refuses.
#[test]
fn a_provenance_bundle_found_through_the_tag_schema_pins_the_digest() {
    let registry = Registry::start(Variant::Plain);
    let mut s = Sigstore::new();
    let image = registry.push_oci_image("provenance/app", "v1", "provenance-v1");
    let leaf = s.leaf(WORKFLOW);
    let b = s.provenance(&image.digest, HOSTED, SOURCE, &leaf);
    push_one(&registry, &image, b, Some(SLSA_V1));
    let reference = registry.reference("provenance/app", "v1");
    let pinned = format!(
        "image: {}/provenance/app@{} # {reference}\n",
        registry.host(),
        image.digest
    );
    for flags in [
        GITHUB_PROVENANCE,
        &[
            "--require-attestation",
            "slsaprovenance1",
            "--attestation-builder-id-regexp",
            r"https://github\.com/actions/runner/.*",
            "--attestation-source-uri-regexp",
            r"git\+https://github\.com/org/repo@refs/heads/.*",
        ],
        // The predicate flags alone imply --require-attestation slsaprovenance.
        &["--attestation-source-uri", "https://github.com/org/repo"],
    ] {
        let dir = workdir(&s.root(), std::slice::from_ref(&reference));
        let o = run(registry.host(), dir.path(), &keyless(flags));
        assert_eq!(o.status.code(), Some(0), "{flags:?}: {}", stderr(&o));
        assert_eq!(read(dir.path()), pinned, "{flags:?}");
        // The .att tag, the referrers API (404), the tag schema's index, the referrer manifest, the bundle.
        assert!(
            stderr(&o).contains("1 attestation lookups (5 requests)"),
            "{flags:?}: {}",
            stderr(&o)
        );
    }

    // A signature too: the image has none.
    let dir = workdir(&s.root(), std::slice::from_ref(&reference));
    let mut flags = vec!["--require-signature"];
    flags.extend(GITHUB_PROVENANCE);
    let o = run(registry.host(), dir.path(), &keyless(&flags));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("no signature found"), "{}", stderr(&o));
    assert_eq!(read(dir.path()), format!("image: {reference}\n"));

    // A pin.toml only adds requirements: the identity on the command line requires a signature, and the
    // file's attestation keys do not turn that into an attestation requirement instead. With the attestation
    // asked for on the command line as well, the command line means the attestation alone.
    let dir = workdir(&s.root(), std::slice::from_ref(&reference));
    fs::write(
        dir.path().join("pin.toml"),
        format!("[signatures]\nrequire-attestation = \"slsaprovenance\"\nattestation-builder-id = \"{HOSTED}\"\n"),
    )
    .unwrap();
    let o = run(registry.host(), dir.path(), &keyless(&[]));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("no signature found"), "{}", stderr(&o));
    assert_eq!(read(dir.path()), format!("image: {reference}\n"));
    let o = run(
        registry.host(),
        dir.path(),
        &keyless(&["--require-attestation", "slsaprovenance1"]),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(read(dir.path()), pinned);
}

// Guards the combined gate and the bound on requests: with a signature and an attestation required, one
// lookup reads both; a referrer whose annotation names another predicate type (an SBOM) is not downloaded.
#[test]
fn a_signature_and_an_attestation_are_read_in_one_lookup() {
    let registry = Registry::start(Variant::Plain);
    let mut s = Sigstore::new();
    let image = registry.push_oci_image("both/app", "v1", "both-v1");
    let leaf = s.leaf(WORKFLOW);
    let signature = s.attest(
        &statement(&image.digest, COSIGN_SIGN),
        &leaf,
        Options::default(),
    );
    let provenance = s.provenance(&image.digest, HOSTED, SOURCE, &leaf);
    let sbom_payload =
        attestation_statement(&image.digest, SPDX, json!({"spdxVersion": "SPDX-2.3"}));
    let sbom = s.attest(&sbom_payload, &leaf, Options::default());
    push_referrers(
        &registry,
        &image,
        &[
            Referrer {
                bundle: signature,
                annotation: Some(COSIGN_SIGN),
                subject: &image,
            },
            Referrer {
                bundle: sbom,
                annotation: Some(SPDX),
                subject: &image,
            },
            Referrer {
                bundle: provenance,
                annotation: Some(SLSA_V1),
                subject: &image,
            },
        ],
    );
    let dir = workdir(&s.root(), &[registry.reference("both/app", "v1")]);
    let mut flags = vec!["--require-signature"];
    flags.extend(GITHUB_PROVENANCE);
    let o = run(registry.host(), dir.path(), &keyless(&flags));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        read(dir.path()),
        format!(
            "image: {}/both/app@{} # {}\n",
            registry.host(),
            image.digest,
            registry.reference("both/app", "v1")
        )
    );
    // .sig and .att tags, the referrers API (404), the index, three manifests, two bundles (not the SBOM).
    assert!(
        stderr(&o).contains("1 signature and attestation lookups (9 requests)"),
        "{}",
        stderr(&o)
    );
}

// Guards cosign's legacy layout (before v3): `.att` layers holding DSSE envelopes, keyless with their
// certificate, chain and intoto Rekor entry, or signed with a key; from flags and from pin.toml.
#[test]
fn legacy_att_layers_verify_keyless_and_with_a_key() {
    let registry = Registry::start(Variant::Plain);
    let mut s = Sigstore::new();
    let host = registry.host().to_string();
    let built_by = format!("{GENERATOR}@refs/tags/v1.4.0");

    let image = registry.push_oci_image("legacy-att/app", "v1", "legacy-att-v1");
    let leaf = s.leaf(WORKFLOW);
    let sbom = attestation_statement(&image.digest, SPDX, json!({}));
    let sbom = legacy_attestation(
        &sbom,
        SPDX,
        Signing::Keyless(&leaf),
        Some(&s.ca),
        &mut s.rekor,
        true,
    );
    let payload = attestation_statement(&image.digest, SLSA_V02, provenance_v02(&built_by, SOURCE));
    let provenance = legacy_attestation(
        &payload,
        SLSA_V02,
        Signing::Keyless(&leaf),
        Some(&s.ca),
        &mut s.rekor,
        true,
    );
    push_att(&registry, &image, &[sbom, provenance]);
    let reference = registry.reference("legacy-att/app", "v1");
    let pinned = format!(
        "image: {host}/legacy-att/app@{} # {reference}\n",
        image.digest
    );

    // slsa-verifier's builder id without a version matches any release of the generator.
    let dir = workdir(&s.root(), std::slice::from_ref(&reference));
    let flags = [
        "--require-attestation",
        "slsaprovenance",
        "--attestation-builder-id",
        GENERATOR,
        "--attestation-source-uri",
        "github.com/org/repo",
    ];
    let o = run(&host, dir.path(), &keyless(&flags));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(read(dir.path()), pinned);
    // The .att manifest, the referrers API (404), the tag schema (404), the provenance layer (not the SBOM's).
    assert!(
        stderr(&o).contains("1 attestation lookups (4 requests)"),
        "{}",
        stderr(&o)
    );

    // The same policy from pin.toml.
    let dir = workdir(&s.root(), std::slice::from_ref(&reference));
    fs::write(
        dir.path().join("pin.toml"),
        format!(
            "[signatures]\nidentity = \"{WORKFLOW}\"\nissuer = \"{GITHUB_ISSUER}\"\ntrusted-root = \"root.json\"\n\
             require-attestation = \"slsaprovenance02\"\nattestation-builder-id = \"{GENERATOR}@v1.4.0\"\n\
             attestation-source-uri = \"github.com/org/repo@refs/heads/main\"\n"
        ),
    )
    .unwrap();
    let o = pin(&host, dir.path(), &["-w", "deploy.yaml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(read(dir.path()), pinned);
    // A flag replaces the file's value (either form of it).
    fs::write(
        dir.path().join("deploy.yaml"),
        format!("image: {reference}\n"),
    )
    .unwrap();
    let o = pin(
        &host,
        dir.path(),
        &[
            "-w",
            "--attestation-source-uri-regexp",
            r"git\+https://github\.com/org/fork@.*",
            "deploy.yaml",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!("source mismatch: built from \"{SOURCE}\"")),
        "{}",
        stderr(&o)
    );

    // Only v1 is required: the v0.2 provenance (and the SBOM) are of the wrong predicate type.
    let dir = workdir(&s.root(), std::slice::from_ref(&reference));
    let o = run(
        &host,
        dir.path(),
        &keyless(&["--require-attestation", "slsaprovenance1"]),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!(
            "wrong predicate type: sha256-{}.att layer",
            &image.digest[7..]
        )),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains(SLSA_V02), "{}", stderr(&o));

    // cosign attest --key: the key verifies the envelope (the Rekor entry is not needed with a key, as
    // for legacy signatures).
    let keyed = registry.push_oci_image("legacy-att/keyed", "v1", "legacy-att-keyed");
    let key = Key::new();
    let payload = attestation_statement(&keyed.digest, SLSA_V02, provenance_v02(&built_by, SOURCE));
    let layer = legacy_attestation(
        &payload,
        SLSA_V02,
        Signing::Key(&key),
        None,
        &mut s.rekor,
        true,
    );
    push_att(&registry, &keyed, &[layer]);
    for (pem, code) in [(key.public_pem(), 0), (Key::new().public_pem(), 2)] {
        let dir = workdir(&s.root(), &[registry.reference("legacy-att/keyed", "v1")]);
        fs::write(dir.path().join("cosign.pub"), pem).unwrap();
        let o = pin(
            &host,
            dir.path(),
            &[
                "-w",
                "--signature-key",
                "cosign.pub",
                "--require-attestation",
                "slsaprovenance",
                "--attestation-source-uri",
                "github.com/org/repo",
                "deploy.yaml",
            ],
        );
        assert_eq!(o.status.code(), Some(code), "{}", stderr(&o));
        if code == 0 {
            assert_eq!(
                read(dir.path()),
                format!(
                    "image: {host}/legacy-att/keyed@{} # {host}/legacy-att/keyed:v1\n",
                    keyed.digest
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
    // The same key through a containers-policy.json: its sigstoreSigned rule signs the attestation; a
    // scope of insecureAcceptAnything needs none.
    let policy = json!({
        "default": [{"type": "reject"}],
        "transports": {"docker": {
            format!("{host}/legacy-att/keyed"): [{"type": "sigstoreSigned", "keyPath": "cosign.pub"}],
            format!("{host}/legacy-att/open"): [{"type": "insecureAcceptAnything"}]
        }}
    });
    registry.push_oci_image("legacy-att/open", "v1", "legacy-att-open");
    let dir = workdir(
        &s.root(),
        &[
            registry.reference("legacy-att/keyed", "v1"),
            registry.reference("legacy-att/open", "v1"),
        ],
    );
    fs::write(dir.path().join("cosign.pub"), key.public_pem()).unwrap();
    fs::write(dir.path().join("policy.json"), policy.to_string()).unwrap();
    let o = pin(
        &host,
        dir.path(),
        &[
            "-w",
            "--policy",
            "policy.json",
            "--require-attestation",
            "slsaprovenance02",
            "deploy.yaml",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        read(dir.path()).contains(&format!(
            "{host}/legacy-att/keyed@{} # {host}/legacy-att/keyed:v1\n",
            keyed.digest
        )),
        "{}",
        read(dir.path())
    );
    // Both pinned: the tag is left only in each line's comment.
    assert!(
        read(dir.path()).lines().all(|l| l
            .split(" # ")
            .next()
            .is_some_and(|r| r.contains("@sha256:") && !r.contains(":v1"))),
        "{}",
        read(dir.path())
    );

    // Keyless without the Rekor bundle annotation: no log evidence; a legacy attestation about another
    // digest.
    let unlogged = registry.push_oci_image("legacy-att/unlogged", "v1", "legacy-att-unlogged");
    let wrong = registry.push_oci_image("legacy-att/wrong", "v1", "legacy-att-wrong");
    let other = registry.push_oci_image("legacy-att/wrong", "v0", "legacy-att-other");
    for (image, about, logged, why) in [
        (
            &unlogged,
            &unlogged.digest,
            false,
            "no log evidence".to_string(),
        ),
        (
            &wrong,
            &other.digest,
            true,
            format!(
                "wrong subject digest: the signed statement is for {}",
                other.digest
            ),
        ),
    ] {
        let payload = attestation_statement(about, SLSA_V02, provenance_v02(&built_by, SOURCE));
        let layer = legacy_attestation(
            &payload,
            SLSA_V02,
            Signing::Keyless(&leaf),
            Some(&s.ca),
            &mut s.rekor,
            logged,
        );
        push_att(&registry, image, &[layer]);
        assert_refused(
            &registry,
            &s,
            &image.repo,
            &["--require-attestation", "slsaprovenance"],
            &why,
        );
    }
}

/// Runs pin with `extra` on `repo:v1` and checks it is refused: exit 2, the file untouched, `why` in the
/// message.
fn assert_refused(registry: &Registry, s: &Sigstore, repo: &str, extra: &[&str], why: &str) {
    let dir = workdir(&s.root(), &[registry.reference(repo, "v1")]);
    let before = read(dir.path());
    let o = run(registry.host(), dir.path(), &keyless(extra));
    assert_eq!(o.status.code(), Some(2), "{repo}: {}", stderr(&o));
    assert_eq!(read(dir.path()), before, "{repo}: written");
    assert!(
        stderr(&o).contains(why),
        "{repo}: expected {why:?} in {}",
        stderr(&o)
    );
}

/// Stores `bundle` as `image`'s one referrer (with `annotation` as its predicate type) and checks the pin
/// of `image` is refused under the GitHub provenance policy, naming `why`.
fn refused_with(
    registry: &Registry,
    s: &Sigstore,
    image: &Pushed,
    bundle: Vec<u8>,
    annotation: Option<&str>,
    why: &str,
) {
    push_one(registry, image, bundle, annotation);
    assert_refused(registry, s, &image.repo, GITHUB_PROVENANCE, why);
}

// Guards fail-closed for attestations: every way one can be wrong refuses the pin and names why.
#[test]
fn bad_attestations_are_refused_with_their_cause() {
    let registry = Registry::start(Variant::Plain);
    let mut s = Sigstore::new();
    let leaf = s.leaf(WORKFLOW);
    let push = |repo: &str| registry.push_oci_image(repo, "v1", repo);

    // Nothing stored at all; then only a signature, which is no attestation.
    push("bare/app");
    assert_refused(
        &registry,
        &s,
        "bare/app",
        GITHUB_PROVENANCE,
        "no attestation found for",
    );
    let image = push("signed-only/app");
    let b = s.attest(
        &statement(&image.digest, COSIGN_SIGN),
        &leaf,
        Options::default(),
    );
    refused_with(
        &registry,
        &s,
        &image,
        b,
        Some(COSIGN_SIGN),
        "no attestation found for",
    );

    // A provenance about another digest.
    let image = push("subject/app");
    let other = registry.push_oci_image("subject/app", "v0", "another image");
    let b = s.provenance(&other.digest, HOSTED, SOURCE, &leaf);
    refused_with(
        &registry,
        &s,
        &image,
        b,
        Some(SLSA_V1),
        &format!(
            "wrong subject digest: the signed statement is for {}",
            other.digest
        ),
    );

    // Another predicate type: named by the manifest's annotation (the bundle is not even read), or only
    // inside the statement; an annotation that claims provenance does not make an SBOM one.
    let statement_is = format!("wrong predicate type: the statement is \"{SPDX}\"");
    for (repo, annotation, whys) in [
        (
            "sbom/app",
            Some(SPDX),
            vec![
                "wrong predicate type: referrer sha256:".to_string(),
                format!("holds \"{SPDX}\""),
            ],
        ),
        ("sbom-unannotated/app", None, vec![statement_is.clone()]),
        ("sbom-lying/app", Some(SLSA_V1), vec![statement_is.clone()]),
    ] {
        let image = push(repo);
        let sbom = attestation_statement(&image.digest, SPDX, json!({}));
        let b = s.attest(&sbom, &leaf, Options::default());
        refused_with(&registry, &s, &image, b, annotation, &whys[0]);
        for why in &whys[1..] {
            assert_refused(&registry, &s, repo, GITHUB_PROVENANCE, why);
        }
    }

    // Built by another builder; built from another repository; signed by another workflow than the
    // policy's.
    let self_hosted = "https://github.com/actions/runner/self-hosted";
    let fork = "git+https://github.com/org/fork@refs/heads/main";
    let stranger =
        s.leaf("https://github.com/someone/else/.github/workflows/x.yml@refs/heads/main");
    for (repo, builder, source, signer, why) in [
        (
            "builder/app",
            self_hosted,
            SOURCE,
            &leaf,
            format!("builder mismatch: built by \"{self_hosted}\"; the policy requires builder \"{HOSTED}\""),
        ),
        (
            "source/app",
            HOSTED,
            fork,
            &leaf,
            format!("source mismatch: built from \"{fork}\""),
        ),
        (
            "identity/app",
            HOSTED,
            SOURCE,
            &stranger,
            "identity mismatch: signed by subject \"https://github.com/someone/else/.github/workflows/x.yml@refs/heads/main\"".to_string(),
        ),
    ] {
        let image = push(repo);
        let b = s.provenance(&image.digest, builder, source, signer);
        refused_with(&registry, &s, &image, b, Some(SLSA_V1), &why);
    }

    // A regular expression that matches the source only unanchored.
    let image = push("unanchored/app");
    let b = s.provenance(&image.digest, HOSTED, SOURCE, &leaf);
    push_one(&registry, &image, b, Some(SLSA_V1));
    assert_refused(
        &registry,
        &s,
        "unanchored/app",
        &["--attestation-source-uri-regexp", r"github\.com/org/repo"],
        &format!("source mismatch: built from \"{SOURCE}\"; the policy requires source /^github\\.com/org/repo$/"),
    );
    assert_refused(
        &registry,
        &s,
        "unanchored/app",
        &[
            "--attestation-builder-id-regexp",
            r"actions/runner/github-hosted",
        ],
        "builder mismatch",
    );

    // The DSSE payload changed after signing; no transparency-log entry.
    let forged = Options {
        forge_payload: true,
        ..Options::default()
    };
    let unlogged = Options {
        unlogged: true,
        ..Options::default()
    };
    for (repo, options, why) in [
        ("forged/app", forged, "signature does not verify"),
        ("unlogged/app", unlogged, "no log evidence"),
    ] {
        let image = push(repo);
        let payload = attestation_statement(&image.digest, SLSA_V1, provenance_v1(HOSTED, SOURCE));
        let b = s.attest(&payload, &leaf, options);
        refused_with(&registry, &s, &image, b, Some(SLSA_V1), why);
    }

    // The index for this digest lists a good provenance whose manifest's subject is another image.
    let image = push("listed/app");
    let other = registry.push_oci_image("listed/app", "v0", "listed elsewhere");
    let b = s.provenance(&other.digest, HOSTED, SOURCE, &leaf);
    push_referrers(
        &registry,
        &image,
        &[Referrer {
            bundle: b,
            annotation: Some(SLSA_V1),
            subject: &other,
        }],
    );
    assert_refused(
        &registry,
        &s,
        "listed/app",
        GITHUB_PROVENANCE,
        "wrong subject digest: referrer sha256:",
    );
}

// Guards the referrers API: on a registry that has it, a provenance bundle is found there, and referrers
// whose index entry names another predicate type (an SBOM, a signature when none is required) are not
// read at all.
#[test]
fn a_provenance_bundle_found_through_the_referrers_api_pins_the_digest() {
    let mut s = Sigstore::new();
    let image = small_image();
    let image_digest = sha256_digest(&image);
    let leaf = s.leaf(WORKFLOW);
    let b = s.provenance(&image_digest, HOSTED, SOURCE, &leaf);
    let bundle_digest = sha256_digest(&b);
    let referrer = attestation_manifest(
        &bundle_digest,
        b.len(),
        &image_digest,
        image.len(),
        Some(SLSA_V1),
    );
    let referrer_digest = sha256_digest(&referrer);
    let entry = |digest: &str, size: usize, predicate: &str| {
        json!({"mediaType": OCI_MANIFEST, "digest": digest, "size": size,
               "artifactType": sigstore_kit::BUNDLE_V03,
               "annotations": {"dev.sigstore.bundle.predicateType": predicate}})
    };
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            entry(&sha256_digest(b"sbom"), 4, SPDX),
            entry(&sha256_digest(b"signature"), 9, COSIGN_SIGN),
            entry(&referrer_digest, referrer.len(), SLSA_V1),
        ]
    }))
    .unwrap();
    // .att tag (404), the referrers API, the provenance's manifest, its bundle; the GETs of manifests are
    // the .att tag and the provenance's, neither the SBOM's nor the signature's.
    pins_through_referrers_api(
        &s.root(),
        image,
        referrer,
        index,
        b,
        &keyless(GITHUB_PROVENANCE),
        "1 attestation lookups (4 requests)",
    );
}

// Guards `pin verify`: existing pins are held to the same attestation gate.
#[test]
fn verify_applies_the_attestation_gate_to_existing_pins() {
    let registry = Registry::start(Variant::Plain);
    let mut s = Sigstore::new();
    let leaf = s.leaf(WORKFLOW);
    let attested = registry.push_oci_image("verify/attested", "v1", "verify-attested");
    let b = s.provenance(&attested.digest, HOSTED, SOURCE, &leaf);
    push_one(&registry, &attested, b, Some(SLSA_V1));
    let fork = registry.push_oci_image("verify/fork", "v1", "verify-fork");
    let b = s.provenance(
        &fork.digest,
        HOSTED,
        "git+https://github.com/org/fork@refs/heads/main",
        &leaf,
    );
    push_one(&registry, &fork, b, Some(SLSA_V1));
    let host = registry.host();
    let check = |image: &Pushed| {
        let dir = workdir(
            &s.root(),
            &[format!("{host}/{}@{}", image.repo, image.digest)],
        );
        let mut args = vec![
            "verify",
            "--trusted-root",
            "root.json",
            "--signature-identity",
            WORKFLOW,
            "--signature-issuer",
            GITHUB_ISSUER,
        ];
        args.extend(GITHUB_PROVENANCE);
        args.push("deploy.yaml");
        pin(host, dir.path(), &args)
    };
    let o = check(&attested);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = check(&fork);
    assert_ne!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("source mismatch"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("nothing written"), "{}", stderr(&o));
}

// Guards the setup errors: an attestation type pin does not check, no signer, a bad regular expression,
// a bad value in pin.toml.
#[test]
fn unusable_attestation_settings_stop_the_run() {
    let dir = workdir("{}", &["registry.invalid/app:v1".to_string()]);
    let identity = [
        "--signature-identity",
        WORKFLOW,
        "--signature-issuer",
        GITHUB_ISSUER,
    ];
    for (args, why) in [
        (
            vec!["--require-attestation", "spdxjson"],
            "\"spdxjson\" is not an attestation type pin checks; give slsaprovenance",
        ),
        (
            vec!["--require-attestation", "slsaprovenance"],
            "--require-attestation needs a signer to verify with",
        ),
        (
            vec!["--attestation-builder-id", HOSTED],
            "--require-attestation needs a signer to verify with",
        ),
        (
            vec!["--attestation-source-uri-regexp", "("],
            "--attestation-source-uri-regexp",
        ),
    ] {
        let mut all = vec!["-w"];
        if !why.contains("needs a signer") {
            all.extend(identity);
        }
        all.extend(&args);
        all.push("deploy.yaml");
        let o = pin("registry.invalid", dir.path(), &all);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(why), "{args:?}: {}", stderr(&o));
    }
    for (toml, why) in [
        (
            "# settings\n[signatures]\nrequire-attestation = \"sbom\"\n",
            "pin.toml:3: error: [signatures] require-attestation: \"sbom\" is not an attestation type",
        ),
        (
            "[signatures]\nattestation-builder-id = \"a\"\nattestation-builder-id-regexp = \"b\"\n",
            "pin.toml:3: error: [signatures]: give attestation-builder-id or attestation-builder-id-regexp, not both",
        ),
    ] {
        fs::write(dir.path().join("pin.toml"), toml).unwrap();
        let o = pin("registry.invalid", dir.path(), &["-w", "deploy.yaml"]);
        assert_eq!(o.status.code(), Some(2), "{toml:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(why), "{toml:?}: {}", stderr(&o));
    }
}
