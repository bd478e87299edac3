//! End-to-end: a GitOps tree (Flux, Argo CD, Tekton, Crossplane, Carvel, helmfile, Fleet, Sveltos, a chart's
//! `Chart.yaml`, kustomize `helmCharts`, OpenTofu and Terraform) pinned against a real registry (CNCF
//! distribution, started by the harness) holding the OCI artifacts those objects name: a Helm chart packaged as
//! `helm package` does (a `.tgz` of the chart directory, Helm's config and content media types), a Flux OCI
//! artifact, a Tekton bundle, a Crossplane package, an imgpkg bundle and an OpenTofu module package.
//!
//! Expected digests are the ones the harness computed from the bytes it pushed, never ones `pin` reported. The
//! archives are made by the system's `tar`, `gzip` and `zip`.

mod common;
mod harness;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{fixture_tree, snapshot, stderr, stdout, write_files};
use harness::{Registry, Variant, TWO_PLATFORMS};
use serde_json::json;

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

/// The registry, and the digest of every artifact and image pushed, by the name the tree's placeholders use.
struct Artifacts {
    registry: Registry,
    digests: BTreeMap<&'static str, String>,
    work: tempfile::TempDir,
}

/// Runs a system tool that builds an archive; a missing tool fails the test with its name.
fn tool(cwd: &Path, program: &str, args: &[&str]) {
    let status = Command::new(program)
        .current_dir(cwd)
        .args(args)
        .status()
        .unwrap_or_else(|e| {
            panic!("`{program}` is needed to build the test artifacts (.ci/run installs it): {e}")
        });
    assert!(status.success(), "{program} {args:?} failed");
}

/// Writes `files` (relative path, text) below `dir`.
fn tgz(dir: &Path, root: &str) -> Vec<u8> {
    let out = format!("{root}.tgz");
    tool(dir, "tar", &["-czf", &out, root]);
    fs::read(dir.join(out)).unwrap()
}

/// A plain `.tar` of the files under `root`, named relative to it.
fn tar(dir: &Path, root: &str) -> Vec<u8> {
    let out = format!("{root}.tar");
    tool(dir, "tar", &["-cf", &out, "-C", root, "."]);
    fs::read(dir.join(out)).unwrap()
}

impl Artifacts {
    fn start() -> Artifacts {
        let registry = Registry::start(Variant::Plain);
        let work = tempfile::tempdir().unwrap();
        let mut a = Artifacts {
            registry,
            digests: BTreeMap::new(),
            work,
        };
        let app = a.registry.push_oci_image("fixtures/app", "v1", "gitops-v1");
        a.digests.insert("app", app.digest);
        let multi =
            a.registry
                .push_oci_index("fixtures/app", "multi", "gitops-multi", TWO_PLATFORMS);
        a.digests.insert("multi", multi.digest);
        a.push_chart();
        a.push_flux_artifact();
        a.push_tekton_bundle();
        a.push_crossplane_package();
        a.push_imgpkg_bundle();
        a.push_opentofu_module();
        a
    }

    /// Pushes blobs and an OCI image manifest over them; records its digest as `name`.
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        name: &'static str,
        repo: &str,
        tag: &str,
        config: (&str, Vec<u8>),
        layers: Vec<(&str, Vec<u8>, serde_json::Value)>,
        artifact_type: Option<&str>,
        annotations: serde_json::Value,
    ) {
        let descriptor = |media_type: &str, bytes: &[u8], digest: String| json!({"mediaType": media_type, "digest": digest, "size": bytes.len()});
        let config_digest = self.registry.push_blob(repo, &config.1);
        let mut layer_descriptors = Vec::new();
        for (media_type, bytes, layer_annotations) in &layers {
            let digest = self.registry.push_blob(repo, bytes);
            let mut d = descriptor(media_type, bytes, digest);
            if !layer_annotations.is_null() {
                d["annotations"] = layer_annotations.clone();
            }
            layer_descriptors.push(d);
        }
        let mut manifest = json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": descriptor(config.0, &config.1, config_digest),
            "layers": layer_descriptors,
        });
        if let Some(t) = artifact_type {
            manifest["artifactType"] = json!(t);
        }
        if !annotations.is_null() {
            manifest["annotations"] = annotations;
        }
        let bytes = serde_json::to_vec(&manifest).unwrap();
        let digest = self.registry.push_manifest(repo, tag, OCI_MANIFEST, &bytes);
        self.digests.insert(name, digest);
    }

    /// A chart as `helm package` makes it and `helm push` stores it: the chart directory as a `.tgz`, the
    /// `Chart.yaml` metadata as the config.
    fn push_chart(&mut self) {
        let dir = self.work.path().join("chart");
        write_files(
            &dir,
            &[
                (
                    "podinfo/Chart.yaml",
                    "apiVersion: v2\nname: podinfo\nversion: 6.5.4\nappVersion: 6.5.4\ndescription: Podinfo Helm chart for Kubernetes\ntype: application\n",
                ),
                ("podinfo/values.yaml", "replicaCount: 1\nimage:\n  repository: ghcr.io/stefanprodan/podinfo\n  tag: 6.5.4\n"),
                (
                    "podinfo/templates/deployment.yaml",
                    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  replicas: {{ .Values.replicaCount }}\n",
                ),
            ],
        );
        let chart = tgz(&dir, "podinfo");
        let config = serde_json::to_vec(&json!({
            "name": "podinfo",
            "version": "6.5.4",
            "description": "Podinfo Helm chart for Kubernetes",
            "apiVersion": "v2",
            "appVersion": "6.5.4",
            "type": "application",
        }))
        .unwrap();
        self.push(
            "chart",
            "charts/podinfo",
            "6.5.4",
            ("application/vnd.cncf.helm.config.v1+json", config),
            vec![(
                "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
                chart,
                serde_json::Value::Null,
            )],
            None,
            json!({"org.opencontainers.image.title": "podinfo", "org.opencontainers.image.version": "6.5.4"}),
        );
    }

    /// A Flux OCI artifact as `flux push artifact` makes it: the manifests as a `.tgz`, Flux's media types.
    fn push_flux_artifact(&mut self) {
        let dir = self.work.path().join("flux");
        write_files(
            &dir,
            &[(
                "manifests/deployment.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: podinfo\n",
            )],
        );
        let content = tgz(&dir, "manifests");
        self.push(
            "flux",
            "manifests/podinfo",
            "1.0.0",
            ("application/vnd.cncf.flux.config.v1+json", b"{}".to_vec()),
            vec![(
                "application/vnd.cncf.flux.content.v1.tar+gzip",
                content,
                serde_json::Value::Null,
            )],
            None,
            json!({
                "org.opencontainers.image.created": "2026-01-01T00:00:00Z",
                "org.opencontainers.image.source": "https://github.com/example/deploy",
                "org.opencontainers.image.revision": "main@sha1:0000000000000000000000000000000000000000",
            }),
        );
    }

    /// A Tekton bundle: one layer per resource, each named by Tekton's annotations.
    fn push_tekton_bundle(&mut self) {
        let dir = self.work.path().join("tekton");
        write_files(
            &dir,
            &[(
                "clone/task.yaml",
                "apiVersion: tekton.dev/v1\nkind: Task\nmetadata:\n  name: git-clone\nspec:\n  steps: []\n",
            )],
        );
        let layer = tar(&dir, "clone");
        let config = serde_json::to_vec(&json!({"architecture": "", "os": "", "config": {}, "rootfs": {"type": "layers", "diff_ids": []}})).unwrap();
        self.push(
            "tekton",
            "tekton/catalog",
            "0.1",
            ("application/vnd.oci.image.config.v1+json", config),
            vec![(
                "application/vnd.oci.image.layer.v1.tar",
                layer,
                json!({
                    "dev.tekton.image.apiVersion": "v1",
                    "dev.tekton.image.kind": "task",
                    "dev.tekton.image.name": "git-clone",
                }),
            )],
            None,
            serde_json::Value::Null,
        );
    }

    /// A Crossplane package: an image whose layer holds `package.yaml`, marked as the package's base layer.
    fn push_crossplane_package(&mut self) {
        let dir = self.work.path().join("xpkg");
        write_files(
            &dir,
            &[(
                "pkg/package.yaml",
                "apiVersion: meta.pkg.crossplane.io/v1\nkind: Provider\nmetadata:\n  name: provider-nop\n",
            )],
        );
        let layer = tgz(&dir, "pkg");
        let config = serde_json::to_vec(&json!({
            "architecture": "amd64",
            "os": "linux",
            "config": {"Labels": {"io.crossplane.xpkg": "base"}},
            "rootfs": {"type": "layers", "diff_ids": []},
        }))
        .unwrap();
        self.push(
            "crossplane",
            "crossplane/provider-nop",
            "v0.3.0",
            ("application/vnd.oci.image.config.v1+json", config),
            vec![(
                "application/vnd.oci.image.layer.v1.tar+gzip",
                layer,
                json!({"io.crossplane.xpkg": "base"}),
            )],
            None,
            serde_json::Value::Null,
        );
    }

    /// An imgpkg bundle: an image labelled as a bundle, holding `.imgpkg/images.yml` and the configuration.
    fn push_imgpkg_bundle(&mut self) {
        let dir = self.work.path().join("imgpkg");
        write_files(
            &dir,
            &[
                (
                    "bundle/.imgpkg/images.yml",
                    "apiVersion: imgpkg.carvel.dev/v1alpha1\nkind: ImagesLock\nimages: []\n",
                ),
                (
                    "bundle/config/config.yml",
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n",
                ),
            ],
        );
        let layer = tgz(&dir, "bundle");
        let config = serde_json::to_vec(&json!({
            "architecture": "",
            "os": "",
            "config": {"Labels": {"dev.carvel.imgpkg.bundle": ""}},
            "rootfs": {"type": "layers", "diff_ids": []},
        }))
        .unwrap();
        self.push(
            "imgpkg",
            "carvel/bundle",
            "v1.0.0",
            ("application/vnd.oci.image.config.v1+json", config),
            vec![(
                "application/vnd.oci.image.layer.v1.tar+gzip",
                layer,
                serde_json::Value::Null,
            )],
            None,
            serde_json::Value::Null,
        );
    }

    /// An OpenTofu module package: a `.zip` of the module, `artifactType` `application/vnd.opentofu.modulepkg`.
    fn push_opentofu_module(&mut self) {
        let dir = self.work.path().join("tofu");
        write_files(
            &dir,
            &[("vpc/main.tf", "variable \"name\" {\n  type = string\n}\n")],
        );
        tool(&dir.join("vpc"), "zip", &["-q", "-r", "../vpc.zip", "."]);
        let zip = fs::read(dir.join("vpc.zip")).unwrap();
        self.push(
            "tofu",
            "modules/vpc",
            "1.0.0",
            ("application/vnd.oci.empty.v1+json", b"{}".to_vec()),
            vec![("archive/zip", zip, serde_json::Value::Null)],
            Some("application/vnd.opentofu.modulepkg"),
            serde_json::Value::Null,
        );
    }

    /// `text` with `@@REG@@` and every `@@name@@` replaced.
    fn expand(&self, text: &str) -> String {
        let mut out = text.replace("@@REG@@", self.registry.host());
        for (name, digest) in &self.digests {
            out = out.replace(&format!("@@{name}@@"), digest);
        }
        out
    }

    /// `tests/e2e/gitops/{in,out}` expanded: a temp dir holding the input, and the expected files.
    fn tree(&self) -> (tempfile::TempDir, BTreeMap<PathBuf, String>) {
        let (dir, _, expected) = fixture_tree("gitops", |text| self.expand(text));
        (dir, expected)
    }

    /// Runs `pin` with `--insecure-registry` for this registry (`pin list` asks none).
    fn pin(&self, cwd: &Path, args: &[&str]) -> Output {
        let at = usize::from(matches!(args.first(), Some(&"verify" | &"update")));
        let mut all = args.to_vec();
        if args.first() != Some(&"list") {
            all.splice(at..at, ["--insecure-registry", self.registry.host()]);
        }
        common::pin(cwd, &all)
    }
}

/// The Helm chart references of the tree whose tools take no digest, counted by hand: the Flux `HelmRelease`,
/// the Argo CD source, `Chart.yaml`, helmfile, Fleet, kustomize `helmCharts`, Sveltos, Terraform.
const LISTED_CHARTS: usize = 8;

// Guards the whole GitOps promise: every image and artifact pinned to the digest of the bytes pushed where its
// tool takes one, each chart of a tool that takes none listed and left alone, nothing else changed, byte for
// byte (CRLF and a block of values included), and a second run changes nothing.
#[test]
fn a_gitops_tree_is_pinned_byte_for_byte() {
    let a = Artifacts::start();
    let (dir, expected) = a.tree();
    // Artifacts are asked for as images are: one HEAD per unique tag (two images, six artifacts), no GET. With
    // `-v`, each listed chart has its line.
    let o = a.pin(dir.path(), &["-v", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("requests: 1 ping, 0 token, 8 HEAD, 0 GET, 0 retried"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        stderr(&o).matches("takes no digest").count(),
        LISTED_CHARTS,
        "{}",
        stderr(&o)
    );
    let o = a.pin(dir.path(), &["-w", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for (rel, want) in &expected {
        let got = fs::read_to_string(dir.path().join(rel)).unwrap();
        assert_eq!(
            &got,
            want,
            "{} differs from the expected file",
            rel.display()
        );
    }
    // The charts are said once, not once per line.
    let err = stderr(&o);
    let line = format!(
        "pin: {LISTED_CHARTS} Helm chart references are listed, not pinned: their tools take no digest there"
    );
    assert_eq!(err.matches(&line).count(), 1, "{err}");
    assert!(!err.contains("takes no digest"), "{err}");

    let before = snapshot(dir.path());
    let again = a.pin(dir.path(), &["-w", "."]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(snapshot(dir.path()), before, "a second -w changed files");
    let check = a.pin(dir.path(), &["--check", "."]);
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
}

// Guards the inventory: `pin list --format json` names each artifact's kind beside its file's kind, lists the
// charts no tool pins with their code and reason, and validates against the documented schema.
#[test]
fn list_names_every_artifact_kind() {
    let a = Artifacts::start();
    let (dir, _) = a.tree();
    let o = a.pin(dir.path(), &["list", "--format", "json", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut seen: Vec<(String, String, String, String)> = doc["references"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("artifact").is_some())
        .map(|r| {
            (
                r["file"].as_str().unwrap().to_owned(),
                r["kind"].as_str().unwrap().to_owned(),
                r["artifact"].as_str().unwrap().to_owned(),
                r["code"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    seen.sort();
    let want: Vec<(&str, &str, &str, &str)> = vec![
        ("apps/podinfo.yaml", "yaml", "helm-chart", "PIN044"),
        ("argo/application.yaml", "yaml", "helm-chart", "PIN044"),
        ("carvel/app.yaml", "yaml", "imgpkg-bundle", "PIN001"),
        ("carvel/vendir.yml", "yaml", "imgpkg-bundle", "PIN001"),
        (
            "charts/app/Chart.yaml",
            "chart-yaml",
            "helm-chart",
            "PIN044",
        ),
        (
            "crossplane/provider.yaml",
            "yaml",
            "crossplane-package",
            "PIN001",
        ),
        ("fleet/fleet.yaml", "fleet", "helm-chart", "PIN044"),
        ("flux/sources.yaml", "yaml", "flux-artifact", "PIN001"),
        ("flux/sources.yaml", "yaml", "helm-chart", "PIN001"),
        ("helmfile.yaml", "helmfile", "helm-chart", "PIN044"),
        ("infra/main.tf", "terraform", "helm-chart", "PIN044"),
        ("infra/main.tf", "terraform", "opentofu-module", "PIN001"),
        (
            "kustomize/kustomization.yaml",
            "kustomize",
            "helm-chart",
            "PIN044",
        ),
        ("sveltos/profile.yaml", "yaml", "helm-chart", "PIN044"),
        ("tekton/pipeline.yaml", "yaml", "tekton-bundle", "PIN001"),
        ("tekton/pipeline.yaml", "yaml", "tekton-bundle", "PIN001"),
    ];
    let want: Vec<(String, String, String, String)> = want
        .into_iter()
        .map(|(a, b, c, d)| (a.to_owned(), b.to_owned(), c.to_owned(), d.to_owned()))
        .collect();
    assert_eq!(seen, want);
    // Images name no artifact: the HelmRelease's two, the Flux Kustomization's, the Argo CD application's four
    // (a block of values, an object, two kustomize overrides) and the kapp-controller image, counted by hand.
    let images = doc["references"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("artifact").is_none() && r["original"].is_string())
        .count();
    assert_eq!(images, 8, "{}", String::from_utf8_lossy(&o.stdout));

    let schema_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&schema_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));

    // The text listing gives each chart's reason.
    let o = a.pin(dir.path(), &["list", "helmfile.yaml"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains(
            "skipped: helmfile takes no digest for a chart (`version`); listed, not pinned"
        ),
        "{out}"
    );
}

// Guards `pin verify` on charts no tool pins: one HEAD of each version says it still exists; a deleted version
// is a finding at its place (exit 1), and pinned artifacts are verified as any pin.
#[test]
fn verify_checks_that_listed_chart_versions_exist() {
    let a = Artifacts::start();
    let (dir, _) = a.tree();
    let o = a.pin(dir.path(), &["-w", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = a.pin(dir.path(), &["verify", "-v", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    a.registry
        .delete_manifest("charts/podinfo", &a.digests["chart"]);
    let o = a.pin(dir.path(), &["verify", "."]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    // The findings on stdout, as `--check`'s.
    let out = stdout(&o);
    let missing = format!("{}/charts/podinfo has no tag 6.5.4", a.registry.host());
    assert_eq!(out.matches(&missing).count(), LISTED_CHARTS, "{out}");
    // The OCIRepository pinned the chart by digest: that digest is gone too.
    assert!(out.contains("no longer serves"), "{out}");
}
