//! Flux: `HelmRelease` values and charts, `Kustomization` images, `OCIRepository` artifacts, `HelmChart`
//! charts.

use super::super::yaml::tree::{NodeId, Tree};
use super::super::yaml::{digest_slot, line_after};
use super::super::{helm_values, kustomize, Artifact, Candidate, SkipReason, Target};
use super::{charts, Found};

/// The media type of a Helm chart's content layer: an `OCIRepository` that selects it holds a chart.
const HELM_CHART_LAYER: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";

/// `spec.values` as a Helm values file, and the chart of `spec.chart.spec`.
pub(super) fn helm_release(src: &str, tree: &Tree, object: NodeId, found: &mut Found) {
    let Some(spec) = tree.value_at(object, "spec") else {
        return;
    };
    if let Some(values) = tree
        .value_at(spec, "values")
        .filter(|&v| tree.mapping(v).is_some())
    {
        helm_values::collect_in(
            src,
            tree,
            tree.subtree(values),
            Some(values),
            &mut found.candidates,
        );
        found.owned.push(tree[values].span.clone());
    }
    if let Some(chart_spec) = tree
        .value_at(spec, "chart")
        .and_then(|c| tree.value_at(c, "spec"))
    {
        chart_spec_of(tree, chart_spec, found);
    }
}

/// A `HelmChart` source: its `spec` names the chart as a `HelmRelease`'s `spec.chart.spec` does.
pub(super) fn helm_chart(tree: &Tree, object: NodeId, found: &mut Found) {
    if let Some(spec) = tree.value_at(object, "spec") {
        chart_spec_of(tree, spec, found);
    }
}

/// `chart` at `version` from the `HelmRepository` that `sourceRef` names, listed when that repository is an
/// OCI one of the same stream.
fn chart_spec_of(tree: &Tree, spec: NodeId, found: &mut Found) {
    let (Some(chart_node), Some(chart)) =
        (tree.value_at(spec, "chart"), tree.text_at(spec, "chart"))
    else {
        return;
    };
    let Some(source) = tree.value_at(spec, "sourceRef") else {
        return;
    };
    if tree.text_at(source, "kind") != Some("HelmRepository") {
        return;
    }
    let Some(name) = tree.text_at(source, "name") else {
        return;
    };
    let Some(repository) = oci_helm_repository(tree, name) else {
        return;
    };
    found.candidates.push(charts::listed(
        tree,
        spec,
        "version",
        chart_node,
        &format!("{repository}/{chart}"),
        charts::FLUX,
    ));
}

/// The registry location of the OCI `HelmRepository` named `name` in the stream (a document or a `List`
/// item): its `spec.url` without `oci://`, when its `spec.type` is `oci`.
fn oci_helm_repository<'t>(tree: &'t Tree, name: &str) -> Option<&'t str> {
    let mut candidates = Vec::new();
    for root in tree.mapping_documents() {
        candidates.push(root);
        candidates.extend(tree.mappings_at(root, "items"));
    }
    candidates.into_iter().find_map(|map| {
        let api = tree.text_at(map, "apiVersion")?;
        let is_repository = api.starts_with("source.toolkit.fluxcd.io/")
            && tree.text_at(map, "kind") == Some("HelmRepository");
        let named = tree
            .value_at(map, "metadata")
            .and_then(|m| tree.text_at(m, "name"))
            == Some(name);
        let spec = tree.value_at(map, "spec")?;
        (is_repository && named && tree.text_at(spec, "type") == Some("oci"))
            .then(|| tree.text_at(spec, "url").and_then(charts::oci))
            .flatten()
    })
}

/// `spec.images`: entries of a kustomization's `images:`.
pub(super) fn kustomization(src: &str, tree: &Tree, object: NodeId, found: &mut Found) {
    let Some(spec) = tree.value_at(object, "spec") else {
        return;
    };
    for entry in tree.mappings_at(spec, "images") {
        found
            .candidates
            .extend(kustomize::image_entry(src, tree, entry));
    }
}

/// `spec.url` at `spec.ref`: a digest written, inserted after the tag, or the reason it is not.
pub(super) fn oci_repository(src: &str, tree: &Tree, object: NodeId, found: &mut Found) {
    let Some(spec) = tree.value_at(object, "spec") else {
        return;
    };
    let (Some(url_node), Some(url)) = (tree.value_at(spec, "url"), tree.text_at(spec, "url"))
    else {
        return;
    };
    let Some(repository) = charts::oci(url) else {
        return;
    };
    let chart = tree
        .value_at(spec, "layerSelector")
        .and_then(|l| tree.text_at(l, "mediaType"))
        .is_some_and(|m| m == HELM_CHART_LAYER);
    let artifact = Some(if chart {
        Artifact::HelmChart
    } else {
        Artifact::FluxOci
    });
    let skipped = |why: &'static str| Candidate {
        span: charts::place(tree, url_node),
        value: repository.to_owned(),
        skip: Some(SkipReason::fixed(why)),
        pull_policy_set: None,
        target: Target::Reference,
        artifact,
    };
    let Some(reference) = tree
        .value_at(spec, "ref")
        .filter(|&r| tree.mapping(r).is_some())
    else {
        found.candidates.push(skipped(
            "no `spec.ref`: Flux pulls the `latest` tag; give `ref.tag` to have it pinned",
        ));
        return;
    };
    let entries = tree.entries(reference);
    let pair = |key: &str| entries.iter().copied().find(|&(k, _)| tree.is_key(k, key));
    let tag = tree.text_at(reference, "tag").filter(|t| !t.is_empty());
    let semver = tree.text_at(reference, "semver").filter(|s| !s.is_empty());
    let tagged = tag.map_or_else(|| repository.to_owned(), |t| format!("{repository}:{t}"));
    const SEMVER: &str =
        "a `semver` range: Flux picks the newest matching tag; give `ref.tag` to have it pinned";
    if let Some((key, value)) = pair("digest") {
        let Some((span, target, differs)) = digest_slot(src, tree, key, value) else {
            found
                .candidates
                .push(skipped("`ref.digest` is not a string"));
            return;
        };
        let written = tree
            .scalar(value)
            .filter(|s| !s.is_null() && !s.value.is_empty())
            .map(|s| s.value.as_str());
        let candidate = |value: String| Candidate {
            span: span.clone(),
            value,
            skip: differs.map(SkipReason::fixed),
            pull_policy_set: None,
            target: target.clone(),
            artifact,
        };
        found.candidates.push(match written {
            // Flux takes the digest before anything else.
            Some(d) => candidate(format!("{tagged}@{d}")),
            None if semver.is_some() => skipped(SEMVER),
            None if tag.is_none() => skipped("no `ref.tag` to resolve"),
            None if tree.parent(key) != Some(reference) => skipped(
                "the empty `ref.digest` comes from a merge key; filling it would change every object that merges it",
            ),
            None => candidate(tagged),
        });
        return;
    }
    if semver.is_some() {
        found.candidates.push(skipped(SEMVER));
        return;
    }
    let Some((tag_key, tag_value)) = pair("tag").filter(|_| tag.is_some()) else {
        found.candidates.push(skipped(
            "no `ref.tag`: Flux pulls the `latest` tag; give `ref.tag` to have it pinned",
        ));
        return;
    };
    if tree.parent(tag_key) != Some(reference) {
        found.candidates.push(skipped(
            "`ref.tag` comes from a merge key; add `digest: \"\"` to the `ref` to have it filled",
        ));
        return;
    }
    let (span, target) = if tree.mapping(reference).is_some_and(|m| m.flow) {
        // `ref: {tag: v1}` → `ref: {tag: v1, digest: sha256:…}`.
        let end = tree[tag_value].span.end;
        let target = Target::InsertDigest {
            prefix: ", digest: ".to_owned(),
            suffix: String::new(),
        };
        (end..end, target)
    } else {
        line_after(src, tree, tag_key, tag_value, "digest")
    };
    found.candidates.push(Candidate {
        span,
        value: tagged,
        skip: None,
        pull_policy_set: None,
        target,
        artifact,
    });
}
