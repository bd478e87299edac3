use super::*;
use crate::app::{classify, Status};
use crate::formats::{yaml, Target};
use crate::report::Code;

/// `(text of span, value, target, artifact, skip)` of a candidate.
type Seen = (String, String, Target, Option<Artifact>, Option<String>);

/// What the generic YAML kind finds in `src`.
fn found(src: &str) -> Vec<Seen> {
    crate::formats::testing::candidates(src, yaml::find)
        .into_iter()
        .map(|c| {
            (
                src[c.span.clone()].to_owned(),
                c.value,
                c.target,
                c.artifact,
                c.skip.map(|s| s.to_string()),
            )
        })
        .collect()
}

fn digest(seed: char) -> String {
    format!("sha256:{}", seed.to_string().repeat(64))
}

/// `src` pinned as `pin` pins it, every unpinned candidate to `digest('d')` (`keep_tag`: `name:tag@…`).
fn pinned(src: &str, keep_tag: bool) -> String {
    let findings = yaml::find(src).unwrap();
    let d = digest('d');
    let edits: Vec<_> = findings
        .candidates
        .iter()
        .filter_map(|c| {
            let Status::Unpinned(r) = classify(c) else {
                return None;
            };
            let keep = keep_tag && c.target != Target::NameAtDigest;
            Some(crate::rewrite::Edit {
                range: c.span.clone(),
                replacement: c.target.text(|| r.pinned(&d, keep), &d),
            })
        })
        .collect();
    let out = crate::rewrite::apply(src, &edits).unwrap();
    // Pinned once, nothing is left to pin.
    let again = yaml::find(&out).unwrap();
    assert!(
        again
            .candidates
            .iter()
            .all(|c| !matches!(classify(c), Status::Unpinned(_))),
        "{out}"
    );
    out
}

#[test]
fn objects_by_api_version_and_kind() {
    assert_eq!(
        object("helm.toolkit.fluxcd.io/v2", "HelmRelease"),
        Some(Object::HelmRelease)
    );
    assert_eq!(
        object("kustomize.toolkit.fluxcd.io/v1", "Kustomization"),
        Some(Object::FluxKustomization)
    );
    assert_eq!(
        object("kustomize.config.k8s.io/v1beta1", "Kustomization"),
        None
    );
    assert_eq!(object("tekton.dev/v1", "PipelineRun"), Some(Object::Tekton));
    assert_eq!(object("argoproj.io/v1alpha1", "Rollout"), None);
    assert_eq!(object("v1", "Pod"), None);
    // Every group is among the generic kind's needles, so no such object is passed over unread.
    let needles = crate::formats::Kind::Yaml.info().needles;
    for group in GROUP_NEEDLES {
        assert!(needles.contains(group), "{group}");
    }
    for api in [
        "helm.toolkit.fluxcd.io/v2",
        "argoproj.io/v1alpha1",
        "tekton.dev/v1",
        "triggers.tekton.dev/v1beta1",
        "pkg.crossplane.io/v1",
        "kappctrl.k14s.io/v1alpha1",
        "data.packaging.carvel.dev/v1alpha1",
        "vendir.k14s.io/v1alpha1",
        "config.projectsveltos.io/v1beta1",
    ] {
        assert!(GROUP_NEEDLES.iter().any(|n| api.contains(n)), "{api}");
    }
}

#[test]
fn helm_release_values_are_helm_values() {
    let src = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: podinfo\nspec:\n  chart:\n    spec:\n      chart: podinfo\n      version: 6.5.4\n      sourceRef:\n        kind: HelmRepository\n        name: podinfo\n  values:\n    image:\n      repository: ghcr.io/stefanprodan/podinfo\n      tag: 6.5.4\n      digest: \"\"\n    redis:\n      image: redis:7.2\n    cache:\n      image: docker.io/memcached\n      tag: '1.6'\n---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: podinfo\nspec:\n  type: oci\n  url: oci://ghcr.io/stefanprodan/charts\n";
    let got = found(src);
    assert_eq!(
        got,
        [
            (
                "6.5.4".to_owned(),
                "ghcr.io/stefanprodan/charts/podinfo:6.5.4".to_owned(),
                Target::Listed,
                Some(Artifact::HelmChart),
                Some(charts::FLUX.to_owned())
            ),
            (
                String::new(),
                "ghcr.io/stefanprodan/podinfo:6.5.4".to_owned(),
                Target::Digest,
                None,
                None
            ),
            (
                "redis:7.2".to_owned(),
                "redis:7.2".to_owned(),
                Target::Reference,
                None,
                None
            ),
            (
                "docker.io/memcached".to_owned(),
                "docker.io/memcached:1.6".to_owned(),
                Target::Reference,
                None,
                Some(crate::formats::helm_values::NO_DIGEST_KEY.to_owned())
            ),
        ]
    );
    let c = crate::formats::testing::candidates(src, yaml::find);
    assert!(
        matches!(classify(&c[0]), Status::Skipped(s) if s.code() == Code::NoDigestTaken),
        "{c:?}"
    );
    let out = pinned(src, false);
    assert!(out.contains(&format!("      digest: \"{}\"\n", digest('d'))));
    assert!(out.contains(&format!("      image: redis@{}\n", digest('d'))));
    assert!(
        out.contains("      version: 6.5.4\n"),
        "a chart version stays"
    );
}

#[test]
fn a_flux_chart_of_another_file_or_an_http_repository_is_not_listed() {
    let src = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nspec:\n  chart:\n    spec:\n      chart: podinfo\n      version: 6.5.4\n      sourceRef: {kind: HelmRepository, name: elsewhere}\n---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata: {name: http}\nspec: {url: 'https://stefanprodan.github.io/podinfo'}\n";
    assert_eq!(found(src), []);
}

#[test]
fn flux_kustomization_images() {
    let src = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\nspec:\n  interval: 10m\n  images:\n    - name: podinfo\n      newName: ghcr.io/stefanprodan/podinfo\n      newTag: 6.5.4\n    - name: nginx\n      newTag: ${NGINX_TAG}\n  path: ./apps\n";
    let got = found(src);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].1, "ghcr.io/stefanprodan/podinfo:6.5.4");
    let out = pinned(src, false);
    assert!(
        out.contains(&format!(
            "      newTag: 6.5.4\n      digest: {}\n    - name: nginx\n",
            digest('d')
        )),
        "{out}"
    );
}

#[test]
fn oci_repository_gets_a_digest_beside_its_tag() {
    let head = "apiVersion: source.toolkit.fluxcd.io/v1beta2\nkind: OCIRepository\nmetadata:\n  name: podinfo\nspec:\n  interval: 5m\n  url: oci://ghcr.io/stefanprodan/manifests/podinfo\n";
    let src = format!("{head}  ref:\n    tag: 6.5.4 # newest\n  provider: generic\n");
    let got = found(&src);
    assert_eq!(got[0].1, "ghcr.io/stefanprodan/manifests/podinfo:6.5.4");
    assert_eq!(got[0].3, Some(Artifact::FluxOci));
    let out = pinned(&src, false);
    assert_eq!(
        out,
        format!(
            "{head}  ref:\n    tag: 6.5.4 # newest\n    digest: {}\n  provider: generic\n",
            digest('d')
        )
    );
    let again = found(&out);
    assert_eq!(
        again[0].1,
        format!(
            "ghcr.io/stefanprodan/manifests/podinfo:6.5.4@{}",
            digest('d')
        )
    );

    // A flow mapping, CRLF line endings.
    let src = format!("{head}  ref: {{tag: '6.5.4'}}\n").replace('\n', "\r\n");
    let out = pinned(&src, false);
    assert!(
        out.ends_with(&format!(
            "  ref: {{tag: '6.5.4', digest: {}}}\r\n",
            digest('d')
        )),
        "{out}"
    );

    // An empty digest is filled; a semver range and a missing ref are skipped; a digest is a pin.
    let src = format!("{head}  ref:\n    tag: v1\n    digest: \"\"\n");
    assert!(pinned(&src, false).contains(&format!("    digest: \"{}\"\n", digest('d'))));
    for (tail, why) in [
        ("  ref:\n    semver: '>=6.0.0'\n", "semver"),
        ("  ref: {semver: 6.x, tag: v1}\n", "semver"),
        ("", "no `spec.ref`"),
    ] {
        let got = found(&format!("{head}{tail}"));
        assert_eq!(got.len(), 1);
        assert!(got[0].4.as_deref().unwrap().contains(why), "{got:?}");
        assert_eq!(got[0].0, "oci://ghcr.io/stefanprodan/manifests/podinfo");
    }
    let src = format!("{head}  ref:\n    tag: v1\n    digest: {}\n", digest('a'));
    let c = crate::formats::testing::candidates(&src, yaml::find);
    assert!(matches!(classify(&c[0]), Status::Pinned(_)));

    // A chart selected by its layer type is a Helm chart.
    let src = format!(
        "{head}  ref: {{tag: v1}}\n  layerSelector:\n    mediaType: \"application/vnd.cncf.helm.chart.content.v1.tar+gzip\"\n    operation: copy\n"
    );
    assert_eq!(found(&src)[0].3, Some(Artifact::HelmChart));
}

#[test]
fn argo_cd_kustomize_images() {
    let src = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: guestbook\nspec:\n  source:\n    repoURL: https://github.com/argoproj/argocd-example-apps.git\n    path: kustomize-guestbook\n    kustomize:\n      images:\n      - gcr.io/heptio-images/ks-guestbook-demo:0.2\n      - 'quay.io/argoproj/argocd=ghcr.io/argoproj/argocd:v2.9.0'\n      - my-app=registry.example/app\n";
    let got = found(src);
    assert_eq!(
        got.iter()
            .map(|c| (c.0.as_str(), c.2.clone(), c.4.is_some()))
            .collect::<Vec<_>>(),
        [
            (
                "gcr.io/heptio-images/ks-guestbook-demo:0.2",
                Target::NameAtDigest,
                false
            ),
            ("ghcr.io/argoproj/argocd:v2.9.0", Target::Reference, false),
            ("my-app=registry.example/app", Target::Reference, true),
        ]
    );
    let d = digest('d');
    let out = pinned(src, true);
    assert!(out.contains(&format!(
        "      - gcr.io/heptio-images/ks-guestbook-demo@{d}\n"
    )));
    assert!(out.contains(&format!(
        "      - 'quay.io/argoproj/argocd=ghcr.io/argoproj/argocd:v2.9.0@{d}'\n"
    )));
}

#[test]
fn argo_cd_helm_values_object_block_and_charts() {
    let src = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: apps\nspec:\n  sources:\n  - repoURL: registry-1.docker.io/bitnamicharts\n    chart: nginx\n    targetRevision: 18.1.2\n    helm:\n      valuesObject:\n        image:\n          registry: docker.io\n          repository: bitnami/nginx\n          tag: 1.27.0\n          digest: \"\"\n      values: |\n        sidecar:\n          # pin: ignore\n          image: busybox:1.36\n        exporter:\n          image: 'prom/nginx-exporter:1.1'   # scraped\n\n        other: 1\n  - repoURL: https://charts.bitnami.com/bitnami\n    chart: redis\n    targetRevision: 19.0.0\n";
    let got = found(src);
    assert_eq!(
        got.iter()
            .map(|c| (c.0.as_str(), c.1.as_str(), c.2.clone()))
            .collect::<Vec<_>>(),
        [
            (
                "18.1.2",
                "registry-1.docker.io/bitnamicharts/nginx:18.1.2",
                Target::Listed
            ),
            ("", "docker.io/bitnami/nginx:1.27.0", Target::Digest),
            ("busybox:1.36", "busybox:1.36", Target::Reference),
            (
                "prom/nginx-exporter:1.1",
                "prom/nginx-exporter:1.1",
                Target::Reference
            ),
        ]
    );
    // The `# pin: ignore` line inside the block marks the image below it.
    let file = crate::app::scan::read_one(
        None,
        None,
        "app.yaml",
        crate::formats::Kind::Yaml,
        src.to_owned(),
        &crate::app::scan::Filters::default(),
    )
    .unwrap();
    assert!(
        matches!(&file.refs[2].status, Status::Skipped(s) if s.code() == Code::Ignored),
        "{:?}",
        file.refs[2].status
    );
    let out = pinned(src, false);
    let d = digest('d');
    assert!(out.contains(&format!(
        "          image: 'prom/nginx-exporter@{d}'   # scraped\n"
    )));
    assert!(out.contains(&format!("          digest: \"{d}\"\n")));
    assert!(out.contains("    targetRevision: 18.1.2\n"));
}

#[test]
fn a_values_block_maps_back_byte_for_byte() {
    let src = "apiVersion: argoproj.io/v1alpha1\r\nkind: ApplicationSet\r\nspec:\r\n  template:\r\n    spec:\r\n      source:\r\n        helm:\r\n          values: |\r\n            image:\r\n              repository: ghcr.io/a/b\r\n              tag: \"1\"\r\n              digest:\r\n            é: [x]\r\n            side: {image: c:2}\r\n";
    let out = pinned(src, false);
    let d = digest('d');
    assert_eq!(
        out,
        src.replace("digest:\r\n", &format!("digest: {d}\r\n"))
            .replace("c:2", &format!("c@{d}"))
    );
    // Not a literal block, or lines that are not its value: nothing.
    for values in [
        "          values: \"image: a:1\"\r\n",
        "          values: >\r\n            image: a:1\r\n",
    ] {
        let src = format!(
            "apiVersion: argoproj.io/v1alpha1\r\nkind: Application\r\nspec:\r\n  source:\r\n    helm:\r\n{}",
            values.replace("          ", "      ")
        );
        assert_eq!(found(&src), [], "{src:?}");
    }
}

#[test]
fn tekton_bundles() {
    let src = "apiVersion: tekton.dev/v1\nkind: PipelineRun\nmetadata:\n  generateName: build-\nspec:\n  pipelineRef:\n    resolver: bundles\n    params:\n    - name: bundle\n      value: gcr.io/tekton-releases/catalog/upstream/git-clone:0.9\n    - name: name\n      value: git-clone\n  pipelineSpec:\n    tasks:\n    - name: old\n      taskRef:\n        name: echo\n        bundle: docker.io/ptasci67/example-oci:latest\n    - name: local\n      taskRef: {name: local-task}\n";
    let got = found(src);
    assert_eq!(
        got.iter().map(|c| (c.0.as_str(), c.3)).collect::<Vec<_>>(),
        [
            (
                "gcr.io/tekton-releases/catalog/upstream/git-clone:0.9",
                Some(Artifact::TektonBundle)
            ),
            (
                "docker.io/ptasci67/example-oci:latest",
                Some(Artifact::TektonBundle)
            ),
        ]
    );
}

#[test]
fn crossplane_packages() {
    let src = "apiVersion: pkg.crossplane.io/v1\nkind: Provider\nmetadata:\n  name: provider-aws\nspec:\n  package: xpkg.upbound.io/crossplane-contrib/provider-aws:v0.39.0\n---\napiVersion: pkg.crossplane.io/v1beta1\nkind: Function\nspec:\n  package: crossplane-contrib/function-patch-and-transform:v0.1.4\n";
    let got = found(src);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].3, Some(Artifact::CrossplanePackage));
    assert_eq!(got[0].4, None);
    assert!(got[1].4.as_deref().unwrap().contains("registry host"));
}

#[test]
fn carvel_fetches_and_vendir() {
    let src = "apiVersion: kappctrl.k14s.io/v1alpha1\nkind: App\nspec:\n  fetch:\n  - imgpkgBundle:\n      image: registry.corp.com/apps/simple-app-bundle:v1.0.0\n  - image:\n      url: registry.corp.com/apps/config:v2\n  - git: {url: https://github.com/x/y}\n---\napiVersion: data.packaging.carvel.dev/v1alpha1\nkind: Package\nspec:\n  template:\n    spec:\n      fetch:\n      - imgpkgBundle: {image: 'registry.tanzu.vmware.com/p/bundle:1'}\n---\napiVersion: vendir.k14s.io/v1alpha1\nkind: Config\ndirectories:\n- path: vendor\n  contents:\n  - path: bundle\n    imgpkgBundle:\n      image: index.docker.io/k8slt/image:v1\n";
    let got = found(src);
    assert_eq!(
        got.iter().map(|c| (c.0.as_str(), c.3)).collect::<Vec<_>>(),
        [
            (
                "registry.corp.com/apps/simple-app-bundle:v1.0.0",
                Some(Artifact::ImgpkgBundle)
            ),
            ("registry.corp.com/apps/config:v2", None),
            (
                "registry.tanzu.vmware.com/p/bundle:1",
                Some(Artifact::ImgpkgBundle)
            ),
            (
                "index.docker.io/k8slt/image:v1",
                Some(Artifact::ImgpkgBundle)
            ),
        ]
    );
}

#[test]
fn sveltos_charts() {
    let src = "apiVersion: config.projectsveltos.io/v1beta1\nkind: ClusterProfile\nspec:\n  helmCharts:\n  - repositoryURL: oci://registry-1.docker.io/bitnamicharts\n    repositoryName: oci-vault\n    chartName: oci://registry-1.docker.io/bitnamicharts/vault\n    chartVersion: 0.7.2\n  - repositoryURL: https://kyverno.github.io/kyverno/\n    chartName: kyverno/kyverno\n    chartVersion: v3.0.1\n";
    let got = found(src);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].1, "registry-1.docker.io/bitnamicharts/vault:0.7.2");
    assert_eq!(got[0].2, Target::Listed);
}

#[test]
fn list_items_and_kind_after_spec() {
    let src = "apiVersion: v1\nitems:\n- apiVersion: pkg.crossplane.io/v1\n  kind: Configuration\n  spec: {package: 'xpkg.upbound.io/a/b:v1'}\n- apiVersion: v1\n  kind: Pod\n  spec: {containers: [{name: c, image: nginx:1}]}\nkind: List\n---\nspec:\n  package: xpkg.upbound.io/c/d:v2\nkind: Provider\napiVersion: pkg.crossplane.io/v1\n";
    let got = found(src);
    assert_eq!(
        got.iter().map(|c| c.0.as_str()).collect::<Vec<_>>(),
        [
            "xpkg.upbound.io/a/b:v1",
            "nginx:1",
            "xpkg.upbound.io/c/d:v2"
        ]
    );
    // Nested deeper, a package is no object: only `image:` values are found there.
    let src = "apiVersion: v1\nkind: ConfigMap\ndata:\n  x:\n    apiVersion: pkg.crossplane.io/v1\n    kind: Provider\n    spec: {package: 'xpkg.upbound.io/a/b:v1'}\n";
    assert_eq!(found(src), []);
}

#[test]
fn streams_without_objects_are_read_as_events_only() {
    // The same findings as the generic walk, and no tree: the objects' rules are not applied.
    let src = "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        image: nginx:1\n";
    let (findings, objects) = yaml::images_noting_objects(src).unwrap();
    assert!(!objects);
    assert_eq!(findings, yaml::find(src).unwrap());
}
