//! GitOps objects: the images and OCI artifacts that Flux, Argo CD, Tekton, Crossplane and Carvel objects
//! name, wherever such an object sits in a YAML stream (any document, or an item of a `List`), recognized by
//! its `apiVersion` and `kind`, not by the file's name.
//!
//! The generic YAML finder reads every stream as events and notes whether a document root (or an item of a
//! root's `items`) is one of these objects ([`is_object`]). Only such a stream is read again into a whole tree,
//! and [`collect`] applies the rules of each object to it; every other `image:` of the stream is found as
//! everywhere else, except inside what an object's rules read themselves (a `HelmRelease`'s values, an
//! imgpkg bundle's `image`), which they report instead ([`Found::owned`]).
//!
//! # What is pinned
//!
//! * Flux `HelmRelease` (`helm.toolkit.fluxcd.io`): `spec.values` with the rules of a Helm values file
//!   ([`crate::formats::helm_values`]: image mappings, a `digest:` filled where the key exists, scalars).
//! * Flux `Kustomization` (`kustomize.toolkit.fluxcd.io`): `spec.images`, entries of a kustomization's
//!   `images:` ([`crate::formats::kustomize`]: a `digest:` line inserted after `newTag`).
//! * Flux `OCIRepository` (`source.toolkit.fluxcd.io`): `spec.url: oci://…` at `spec.ref.tag` gets
//!   `digest: sha256:…` in `spec.ref` (a line after `tag`; `, digest: …` in a flow mapping), which Flux uses
//!   before the tag; the tag stays for people. A `semver` range is skipped; a `digest` already there is a pin.
//! * Argo CD `Application` and `ApplicationSet` (`argoproj.io`; the set's `spec.template.spec`):
//!   in `spec.source` and every `spec.sources[*]`, the `kustomize.images` overrides (`[old=]name:tag`: the
//!   part after `=` is pinned; a bare `name:tag` becomes `name@sha256:…` whatever the tag style, since
//!   kustomize would read `name:tag@…` as the image's name), `helm.valuesObject` as Helm values, and
//!   `helm.values` written as a literal block scalar (`|`), read as the YAML it holds, every span mapped
//!   back into the block, so the edit is made inside it, byte for byte.
//! * Tekton (`tekton.dev`, `triggers.tekton.dev`, any kind): every `taskRef` or `pipelineRef` at any depth
//!   with `resolver: bundles` (the `bundle` parameter's value) or the older `bundle:` field.
//! * Crossplane `Provider`, `Configuration`, `Function` (`pkg.crossplane.io`): `spec.package`; a package
//!   without a registry host is skipped (Crossplane's default registry applies, not Docker Hub's).
//! * Carvel: kapp-controller `App` (`kappctrl.k14s.io`, `spec.fetch`) and `Package`
//!   (`data.packaging.carvel.dev`, `spec.template.spec.fetch`): `fetch[*].imgpkgBundle.image` (an imgpkg
//!   bundle) and `fetch[*].image.url` (an image of files); vendir `Config` (`vendir.k14s.io`):
//!   `directories[*].contents[*]`, the same two fields.
//!
//! # What is listed, never rewritten
//!
//! Helm charts in OCI registries whose tool takes a version but no digest ([`Target::Listed`], with the
//! tool's reason): Argo CD Helm sources (`repoURL` without a scheme or with `oci://`, `chart`,
//! `targetRevision`), a Flux `HelmRelease`'s or `HelmChart`'s `spec.chart.spec` (`chart` and `version`,
//! when its `sourceRef` names an OCI `HelmRepository` of the same stream), and Sveltos `ClusterProfile` and
//! `Profile` `spec.helmCharts` (`config.projectsveltos.io`). See [`charts`] for the rules they share with
//! helmfile, Fleet, `Chart.yaml` and kustomize `helmCharts`.
//!
//! # Not read
//!
//! Charts from HTTP(S) Helm repositories (not in a registry, no digest at all), Flux charts whose
//! `HelmRepository` is in another file, Argo CD's `helm.parameters`, `helm.values` written other than as a
//! literal block (a quoted or folded string), values from `valuesFrom`, and Argo CD sources that are OCI
//! artifacts of manifests (`repoURL: oci://…` without `chart`).

mod argo;
pub(crate) mod charts;
mod flux;
mod packages;

use std::ops::Range;

use super::yaml::image_value;
use super::yaml::tree::{NodeId, Tree};
use super::{Artifact, Candidate};

/// A GitOps object whose rules [`collect`] applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Object {
    HelmRelease,
    FluxKustomization,
    OciRepository,
    FluxHelmChart,
    Application,
    ApplicationSet,
    Tekton,
    CrossplanePackage,
    KappApp,
    CarvelPackage,
    VendirConfig,
    SveltosProfile,
}

/// The object an `apiVersion` and `kind` name, if `pin` reads it.
pub(crate) fn object(api_version: &str, kind: &str) -> Option<Object> {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    Some(match (group, kind) {
        ("helm.toolkit.fluxcd.io", "HelmRelease") => Object::HelmRelease,
        ("kustomize.toolkit.fluxcd.io", "Kustomization") => Object::FluxKustomization,
        ("source.toolkit.fluxcd.io", "OCIRepository") => Object::OciRepository,
        ("source.toolkit.fluxcd.io", "HelmChart") => Object::FluxHelmChart,
        ("argoproj.io", "Application") => Object::Application,
        ("argoproj.io", "ApplicationSet") => Object::ApplicationSet,
        ("tekton.dev" | "triggers.tekton.dev", _) => Object::Tekton,
        ("pkg.crossplane.io", "Provider" | "Configuration" | "Function") => {
            Object::CrossplanePackage
        }
        ("kappctrl.k14s.io", "App") => Object::KappApp,
        ("data.packaging.carvel.dev", "Package") => Object::CarvelPackage,
        ("vendir.k14s.io", "Config") => Object::VendirConfig,
        ("config.projectsveltos.io", "ClusterProfile" | "Profile") => Object::SveltosProfile,
        _ => return None,
    })
}

/// Whether an `apiVersion` and `kind` name an object whose rules [`collect`] applies.
pub(crate) fn is_object(api_version: &str, kind: &str) -> bool {
    object(api_version, kind).is_some()
}

/// The API groups of [`object`], as they appear among the generic YAML kind's prefilter needles (checked by a
/// test): a stream without any of them (and without `image`) holds nothing to find.
#[cfg(test)]
pub(crate) const GROUP_NEEDLES: &[&str] = &[
    "fluxcd.io",
    "argoproj.io",
    "tekton.dev",
    "crossplane.io",
    "k14s.io",
    "carvel.dev",
    "projectsveltos.io",
];

/// What the rules of the objects found.
#[derive(Debug, Default)]
pub(crate) struct Found {
    pub candidates: Vec<Candidate>,
    /// Byte ranges whose `image:` values the rules read themselves: the generic rule's candidates inside
    /// them are dropped.
    pub owned: Vec<Range<usize>>,
    /// `# pin: ignore` comments inside embedded values (an Argo CD `helm.values` block), where the file's
    /// own reading sees only a scalar.
    pub comments: Vec<Range<usize>>,
}

impl Found {
    /// Whether `span` lies inside a range the rules read themselves.
    pub fn owns(&self, span: &Range<usize>) -> bool {
        self.owned
            .iter()
            .any(|r| r.start <= span.start && span.end <= r.end)
    }
}

/// The objects of a stream: every document root that is one, and every item of a root's `items`.
fn objects(tree: &Tree) -> Vec<(NodeId, Object)> {
    let what = |map: NodeId| {
        let api_version = tree.text_at(map, "apiVersion")?;
        let kind = tree.text_at(map, "kind")?;
        object(api_version, kind)
    };
    let mut out = Vec::new();
    for root in tree.mapping_documents() {
        if let Some(o) = what(root) {
            out.push((root, o));
        }
        for item in tree.mappings_at(root, "items") {
            if let Some(o) = what(item) {
                out.push((item, o));
            }
        }
    }
    out
}

/// Applies the rules of every object of the stream (see the module documentation).
pub(crate) fn collect(src: &str, tree: &Tree, found: &mut Found) {
    for (node, object) in objects(tree) {
        match object {
            Object::HelmRelease => flux::helm_release(src, tree, node, found),
            Object::FluxHelmChart => flux::helm_chart(tree, node, found),
            Object::FluxKustomization => flux::kustomization(src, tree, node, found),
            Object::OciRepository => flux::oci_repository(src, tree, node, found),
            Object::Application => {
                if let Some(spec) = tree.value_at(node, "spec") {
                    argo::application(src, tree, spec, found);
                }
            }
            Object::ApplicationSet => {
                let spec = tree
                    .value_at(node, "spec")
                    .and_then(|s| tree.value_at(s, "template"))
                    .and_then(|t| tree.value_at(t, "spec"));
                if let Some(spec) = spec {
                    argo::application(src, tree, spec, found);
                }
            }
            Object::Tekton => packages::tekton(tree, node, found),
            Object::CrossplanePackage => packages::crossplane(tree, node, found),
            Object::KappApp => {
                if let Some(spec) = tree.value_at(node, "spec") {
                    packages::fetch(tree, spec, found);
                }
            }
            Object::CarvelPackage => {
                let spec = ["spec", "template", "spec"]
                    .iter()
                    .try_fold(node, |n, key| tree.value_at(n, key));
                if let Some(spec) = spec {
                    packages::fetch(tree, spec, found);
                }
            }
            Object::VendirConfig => packages::vendir(tree, node, found),
            Object::SveltosProfile => charts::sveltos(tree, node, found),
        }
    }
}

/// The candidate for a whole reference in the scalar `key` of `map`, naming `artifact`.
fn reference(tree: &Tree, map: NodeId, key: &str, artifact: Option<Artifact>) -> Option<Candidate> {
    let value = tree.lookup(map, key)?;
    let mut candidate = image_value(tree, value)?;
    candidate.artifact = artifact;
    Some(candidate)
}

#[cfg(test)]
mod tests;
