//! Fleet `fleet.yaml`: the Helm chart of `helm` and of every `targetCustomizations[*].helm`, listed when it is
//! in an OCI registry, never rewritten (Fleet takes a chart `version` but no digest).
//!
//! The chart's whole OCI URL, `oci://host/path/name`, in `helm.repo` (as Fleet documents it for OCI
//! registries) or in `helm.chart`, at `helm.version` (see [`crate::formats::gitops::charts`]). Charts of HTTP(S) repositories, go-getter URLs and
//! paths are not listed; images in `helm.values` are not read.

use super::gitops::charts;
use super::yaml::find_with;
use super::yaml::tree::{NodeId, Tree};
use super::{Candidate, FindError, Findings};

/// Finds the OCI Helm charts of a `fleet.yaml`. See the module documentation.
pub fn find(src: &str) -> Result<Findings, FindError> {
    find_with(src, collect)
}

fn collect(tree: &Tree, out: &mut Vec<Candidate>) {
    for root in tree.mapping_documents() {
        let mut helms: Vec<NodeId> = tree.value_at(root, "helm").into_iter().collect();
        if let Some(targets) = tree.value_at(root, "targetCustomizations") {
            for &target in tree.items(targets) {
                helms.extend(tree.value_at(tree.resolve(target), "helm"));
            }
        }
        for helm in helms.into_iter().filter(|&h| tree.mapping(h).is_some()) {
            out.extend(chart(tree, helm));
        }
    }
}

fn chart(tree: &Tree, helm: NodeId) -> Option<Candidate> {
    // Fleet takes an OCI chart's whole URL, chart name included, in `repo` (or in `chart`).
    let (node, location) = ["repo", "chart"].iter().find_map(|key| {
        let location = charts::oci(tree.text_at(helm, key)?)?;
        Some((tree.value_at(helm, key)?, location))
    })?;
    Some(charts::listed(
        tree,
        helm,
        "version",
        node,
        location,
        charts::FLEET,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oci_charts_of_helm_and_target_customizations() {
        let src = "defaultNamespace: demo\nhelm:\n  chart: oci://ghcr.io/rancher/fleet-test-chart\n  version: 0.1.0\n  releaseName: demo\ntargetCustomizations:\n- name: prod\n  helm:\n    repo: oci://ghcr.io/org/charts/app\n    version: 1.2.3\n- name: dev\n  helm:\n    repo: https://charts.example.com\n    chart: app\n    version: 1.2.4\n";
        let got: Vec<_> = crate::formats::testing::candidates(src, find)
            .into_iter()
            .map(|c| (src[c.span.clone()].to_owned(), c.value))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "0.1.0".to_owned(),
                    "ghcr.io/rancher/fleet-test-chart:0.1.0".to_owned()
                ),
                (
                    "1.2.3".to_owned(),
                    "ghcr.io/org/charts/app:1.2.3".to_owned()
                ),
            ]
        );
    }
}
