//! Packages of other tools, pinned where the tool takes a digest: Tekton bundles, Crossplane packages, Carvel
//! imgpkg bundles and images (kapp-controller and vendir).

use super::super::yaml::tree::{NodeId, Tree};
use super::super::{Artifact, Candidate, SkipReason};
use super::{reference, Found};

/// Every `taskRef` and `pipelineRef` inside a Tekton object: the `bundle` parameter of the bundles resolver,
/// or the older `bundle:` field.
pub(super) fn tekton(tree: &Tree, object: NodeId, found: &mut Found) {
    for node in tree.subtree(object) {
        if tree.mapping(node).is_none()
            || !matches!(tree.key_str(node), Some("taskRef" | "pipelineRef"))
        {
            continue;
        }
        let bundle = Some(Artifact::TektonBundle);
        if tree.text_at(node, "resolver") == Some("bundles") {
            for param in tree.mappings_at(node, "params") {
                if tree.text_at(param, "name") == Some("bundle") {
                    found
                        .candidates
                        .extend(reference(tree, param, "value", bundle));
                }
            }
        } else {
            found
                .candidates
                .extend(reference(tree, node, "bundle", bundle));
        }
    }
}

/// A Crossplane `Provider`, `Configuration` or `Function`: `spec.package`.
pub(super) fn crossplane(tree: &Tree, object: NodeId, found: &mut Found) {
    let Some(spec) = tree.value_at(object, "spec") else {
        return;
    };
    let Some(mut candidate) = reference(tree, spec, "package", Some(Artifact::CrossplanePackage))
    else {
        return;
    };
    // Crossplane completes a name without a registry with its own default registry, not Docker Hub's.
    let first = candidate.value.split('/').next().unwrap_or_default();
    let has_host =
        candidate.value.contains('/') && (first.contains(['.', ':']) || first == "localhost");
    if candidate.skip.is_none() && !has_host {
        candidate.skip = Some(SkipReason::fixed(
            "a package without a registry host: Crossplane's default registry applies; write it out to have it pinned",
        ));
    }
    found.candidates.push(candidate);
}

/// kapp-controller's `fetch` list (of an `App`'s or a `Package` template's `spec`).
pub(super) fn fetch(tree: &Tree, spec: NodeId, found: &mut Found) {
    for entry in tree.mappings_at(spec, "fetch") {
        source(tree, entry, found);
    }
}

/// vendir's `directories[*].contents[*]`.
pub(super) fn vendir(tree: &Tree, config: NodeId, found: &mut Found) {
    for directory in tree.mappings_at(config, "directories") {
        for entry in tree.mappings_at(directory, "contents") {
            source(tree, entry, found);
        }
    }
}

/// One fetch or vendir entry: `imgpkgBundle.image` (a bundle) and `image.url` (an image of files); one with a
/// `tagSelection` is skipped (the tool picks the tag).
fn source(tree: &Tree, entry: NodeId, found: &mut Found) {
    let selected = |mut c: Candidate, map: NodeId| {
        if c.skip.is_none() && tree.value_at(map, "tagSelection").is_some() {
            c.skip = Some(SkipReason::fixed(
                "a `tagSelection`: the newest matching tag is picked when fetched; give a tag instead to have it pinned",
            ));
        }
        c
    };
    if let Some(bundle) = tree.value_at(entry, "imgpkgBundle") {
        if let Some(candidate) = reference(tree, bundle, "image", Some(Artifact::ImgpkgBundle)) {
            let candidate = selected(candidate, bundle);
            // The generic rule would take this `image:` as an image: it is the bundle's.
            if let Some(value) = tree.lookup(bundle, "image") {
                found.owned.push(tree[tree.resolve(value)].span.clone());
            }
            found.candidates.push(candidate);
        }
    }
    if let Some(image) = tree.value_at(entry, "image") {
        if let Some(candidate) = reference(tree, image, "url", None) {
            found.candidates.push(selected(candidate, image));
        }
    }
}
