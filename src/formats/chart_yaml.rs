//! Helm `Chart.yaml`: the `dependencies` from OCI registries, listed, never rewritten (Helm takes a
//! dependency's `version`, or a range, but no digest).
//!
//! Each `dependencies[*]` whose `repository` is `oci://host/path` is `host/path/name:version` (see
//! [`crate::formats::gitops::charts`]: a range such as `~1.2.0` is skipped, with that reason). Dependencies of
//! HTTP(S) repositories, `file://` paths and `@alias` repositories are not listed; the chart's own `version`
//! and `appVersion` are not references.

use super::gitops::charts;
use super::yaml::find_with;
use super::yaml::tree::Tree;
use super::{Candidate, FindError, Findings};

/// Finds the OCI dependencies of a `Chart.yaml`. See the module documentation.
pub fn find(src: &str) -> Result<Findings, FindError> {
    find_with(src, collect)
}

fn collect(tree: &Tree, out: &mut Vec<Candidate>) {
    for root in tree.mapping_documents() {
        let Some(dependencies) = tree.value_at(root, "dependencies") else {
            continue;
        };
        for &dependency in tree.items(dependencies) {
            let dependency = tree.resolve(dependency);
            let (Some(name_node), Some(name)) = (
                tree.value_at(dependency, "name"),
                tree.text_at(dependency, "name"),
            ) else {
                continue;
            };
            let Some(repository) = tree.text_at(dependency, "repository").and_then(charts::oci)
            else {
                continue;
            };
            out.push(charts::listed(
                tree,
                dependency,
                "version",
                name_node,
                &format!("{repository}/{name}"),
                charts::CHART_YAML,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::Target;

    #[test]
    fn oci_dependencies() {
        let src = "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n- name: common\n  version: 2.x.x\n  repository: oci://registry-1.docker.io/bitnamicharts\n- name: redis\n  version: 19.6.4\n  repository: oci://registry-1.docker.io/bitnamicharts\n  condition: redis.enabled\n- name: local\n  version: 0.1.0\n  repository: file://../local\n";
        let got: Vec<_> = crate::formats::testing::candidates(src, find)
            .into_iter()
            .map(|c| (src[c.span.clone()].to_owned(), c.value, c.target))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "2.x.x".to_owned(),
                    "registry-1.docker.io/bitnamicharts/common".to_owned(),
                    Target::Reference
                ),
                (
                    "19.6.4".to_owned(),
                    "registry-1.docker.io/bitnamicharts/redis:19.6.4".to_owned(),
                    Target::Listed
                ),
            ]
        );
    }
}
