//! helmfile: the charts of `releases`, listed, never rewritten (helmfile takes a chart `version` but no
//! digest).
//!
//! # What is listed
//!
//! Every `releases[*]` whose `chart` is in an OCI registry: `chart: oci://host/path/name`, or `chart:
//! repo/name` where `repo` is one of the file's `repositories` with `oci: true` (its `url`, without a
//! scheme, is the registry path), at the release's `version` (see [`crate::formats::gitops::charts`]: a range
//! or a missing version is skipped, with that reason), in every document of the file.
//!
//! # What is not read
//!
//! Charts of HTTP(S) repositories and local paths, repositories defined in another file (`bases`,
//! `helmfiles`), `templates` merged with `inherit`, and values files. A `.gotmpl` file (helmfile renders it
//! with Go templates first) is read only when its template actions sit inside quoted scalars; one that is
//! not YAML until rendered is skipped as a template, as any such YAML file is.

use super::gitops::charts;
use super::yaml::find_with;
use super::yaml::tree::Tree;
use super::{Candidate, FindError, Findings};

/// Finds the OCI charts of a helmfile's releases. See the module documentation.
pub fn find(src: &str) -> Result<Findings, FindError> {
    find_with(src, collect)
}

fn collect(tree: &Tree, out: &mut Vec<Candidate>) {
    for root in tree.mapping_documents() {
        let repositories: Vec<(&str, &str)> = tree
            .mappings_at(root, "repositories")
            .into_iter()
            .filter(|&r| tree.text_at(r, "oci") == Some("true"))
            .filter_map(|r| Some((tree.text_at(r, "name")?, tree.text_at(r, "url")?)))
            .collect();
        for release in tree.mappings_at(root, "releases") {
            let Some(chart_node) = tree.lookup(release, "chart").map(|c| tree.resolve(c)) else {
                continue;
            };
            let Some(chart) = tree.text_at(release, "chart") else {
                continue;
            };
            let location = match charts::oci(chart) {
                Some(location) => location.to_owned(),
                None => {
                    let Some((repo, name)) = chart.split_once('/') else {
                        continue;
                    };
                    let Some((_, url)) = repositories.iter().find(|(n, _)| *n == repo) else {
                        continue;
                    };
                    let url = charts::oci(url).unwrap_or(url).trim_end_matches('/');
                    format!("{url}/{name}")
                }
            };
            out.push(charts::listed(
                tree,
                release,
                "version",
                chart_node,
                &location,
                charts::HELMFILE,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::Target;

    #[test]
    fn oci_charts_of_releases() {
        let src = "repositories:\n- name: bitnami\n  url: registry-1.docker.io/bitnamicharts\n  oci: true\n- name: stable\n  url: https://charts.helm.sh/stable\nreleases:\n- name: web\n  chart: bitnami/nginx\n  version: 18.1.2\n- name: app\n  chart: oci://ghcr.io/org/charts/app\n  version: \"0.3.0\"\n- name: old\n  chart: stable/mysql\n  version: 1.6.9\n- name: local\n  chart: ./charts/local\n- name: ranged\n  chart: bitnami/redis\n  version: ~19.0.0\n";
        let got: Vec<_> = crate::formats::testing::candidates(src, find)
            .into_iter()
            .map(|c| (src[c.span.clone()].to_owned(), c.value, c.target))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "18.1.2".to_owned(),
                    "registry-1.docker.io/bitnamicharts/nginx:18.1.2".to_owned(),
                    Target::Listed
                ),
                (
                    "0.3.0".to_owned(),
                    "ghcr.io/org/charts/app:0.3.0".to_owned(),
                    Target::Listed
                ),
                (
                    "~19.0.0".to_owned(),
                    "registry-1.docker.io/bitnamicharts/redis".to_owned(),
                    Target::Reference
                ),
            ]
        );
    }

    #[test]
    fn templates_are_skipped() {
        let src = "releases:\n{{ range .Values.apps }}\n- name: {{ . }}\n{{ end }}\n";
        assert!(find(src).unwrap().skipped.is_some());
    }
}
