//! Helm charts in OCI registries named where their tool takes a version but no digest: listed with the
//! tool's reason ([`Target::Listed`]), never rewritten; `pin verify` checks that the version still exists.
//!
//! The reference listed is `host/path/chart:version`, the tag Helm pushes for that version (a `+` of the
//! version's build metadata becomes `_`, as `helm push` writes it). Its place is the version (the chart when
//! no version is given). A version that is a range (`~1.2.0`, `>=1.0`, `1.x`, `*`) is skipped with that
//! reason, as is a chart without a version (the tool takes the newest); neither names one tag. Charts of
//! HTTP(S) repositories are not in a registry and are not listed.

use std::ops::Range;

use super::super::skip::looks_templated;
use super::super::yaml::tree::{NodeId, Tree};
use super::super::{Artifact, Candidate, SkipReason, Target};
use super::Found;

/// Why each tool's charts are listed, not pinned.
pub const ARGO_CD: &str =
    "Argo CD takes no digest for a Helm chart (`targetRevision` is a version); listed, not pinned";
pub const FLUX: &str = "Flux takes no digest in `spec.chart.spec.version`; an OCIRepository with `ref.digest` and `chartRef` does; listed, not pinned";
pub const SVELTOS: &str =
    "Sveltos takes no digest for a Helm chart (`chartVersion`); listed, not pinned";
pub const HELMFILE: &str = "helmfile takes no digest for a chart (`version`); listed, not pinned";
pub const CHART_YAML: &str =
    "Helm takes no digest for a chart dependency (`version`); listed, not pinned";
pub const KUSTOMIZE: &str =
    "kustomize takes no digest for a Helm chart (`helmCharts[].version`); listed, not pinned";
pub const FLEET: &str =
    "Fleet takes no digest for a Helm chart (`helm.version`); listed, not pinned";
pub const TERRAFORM: &str =
    "the Helm provider takes no digest for a chart (`version`); listed, not pinned";

/// The repository of an OCI chart location, `oci://host/path` → `host/path` (a final `/` dropped); `None` for
/// any other location.
pub fn oci(url: &str) -> Option<&str> {
    url.strip_prefix("oci://").map(|r| r.trim_end_matches('/'))
}

/// Whether a chart version names one version (a tag) rather than a range: tag characters only (with `+`,
/// which becomes `_`), and no wildcard part (`1.x`, `1.*`).
pub fn exact_version(version: &str) -> bool {
    let tag = version.replace('+', "_");
    let tag_chars = !tag.is_empty()
        && tag.len() <= 128
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        && !tag.starts_with(['.', '-']);
    let core = version.split(['-', '+']).next().unwrap_or_default();
    tag_chars && !core.split('.').any(|part| matches!(part, "x" | "X" | "*"))
}

/// The candidate for the chart `chart` (`host/path/name`) at `version`, listed at `span` with `reason`.
pub fn listed_at(
    span: Range<usize>,
    chart: &str,
    version: Option<&str>,
    reason: &'static str,
) -> Candidate {
    let candidate = |value: String, skip: SkipReason, target: Target| Candidate {
        span: span.clone(),
        value,
        skip: Some(skip),
        pull_policy_set: None,
        target,
        artifact: Some(Artifact::HelmChart),
    };
    if chart.contains('@') || version.is_some_and(|v| v.contains('@')) {
        // Pinned by digest where the tool reads one (helmfile 1.3 and later): checked as a pin.
        let value = match version.filter(|v| !v.is_empty()) {
            Some(v) => format!("{chart}:{v}"),
            None => chart.to_owned(),
        };
        return candidate(value, SkipReason::TakesNoDigest(reason), Target::Listed);
    }
    match version.filter(|v| !v.is_empty()) {
        Some(v) if exact_version(v) => candidate(
            format!("{chart}:{}", v.replace('+', "_")),
            SkipReason::TakesNoDigest(reason),
            Target::Listed,
        ),
        Some(v) if looks_templated(v) => candidate(
            chart.to_owned(),
            SkipReason::Template(
                format!("a template or placeholder (`{v}`), not a chart version").into(),
            ),
            Target::Reference,
        ),
        Some(v) => candidate(
            chart.to_owned(),
            SkipReason::NotPinnable(
                format!("a version range (`{v}`): the tool picks the version when it installs")
                    .into(),
            ),
            Target::Reference,
        ),
        None => candidate(
            chart.to_owned(),
            SkipReason::fixed("no version: the tool installs the newest"),
            Target::Reference,
        ),
    }
}

/// The bytes a candidate at a node points at: a scalar's text, any other node's span.
pub(crate) fn place(tree: &Tree, node: NodeId) -> Range<usize> {
    tree.scalar(node)
        .map_or_else(|| tree[node].span.clone(), |s| s.text.clone())
}

/// [`listed_at`] for a chart named in a YAML mapping: at the node of `version_key` if the mapping has it,
/// else at `chart_node`.
pub(crate) fn listed(
    tree: &Tree,
    map: NodeId,
    version_key: &str,
    chart_node: NodeId,
    chart: &str,
    reason: &'static str,
) -> Candidate {
    let version_node = tree.value_at(map, version_key);
    let version = tree.text_at(map, version_key);
    let span = match version_node.filter(|_| version.is_some()) {
        Some(v) => place(tree, v),
        None => place(tree, chart_node),
    };
    listed_at(span, chart, version, reason)
}

/// Sveltos `ClusterProfile` / `Profile`: `spec.helmCharts[*]` from an OCI `repositoryURL` (or an OCI
/// `chartName`) at `chartVersion`.
pub(super) fn sveltos(tree: &Tree, object: NodeId, found: &mut Found) {
    let Some(spec) = tree.value_at(object, "spec") else {
        return;
    };
    for entry in tree.mappings_at(spec, "helmCharts") {
        let Some(name_node) = tree.value_at(entry, "chartName") else {
            continue;
        };
        let Some(name) = tree.text_at(entry, "chartName") else {
            continue;
        };
        // As Sveltos composes it: the repository's URL and the chart's name, less a `repositoryName/`
        // prefix; an older form names the whole `oci://` URL in `chartName`.
        let chart = match (
            oci(name),
            tree.text_at(entry, "repositoryURL").and_then(oci),
        ) {
            (Some(chart), _) => chart.to_owned(),
            (None, Some(repo)) => {
                let prefix = tree
                    .text_at(entry, "repositoryName")
                    .map(|r| format!("{r}/"));
                let name = prefix
                    .as_deref()
                    .and_then(|p| name.strip_prefix(p))
                    .unwrap_or(name);
                format!("{repo}/{name}")
            }
            (None, None) => continue,
        };
        found.candidates.push(listed(
            tree,
            entry,
            "chartVersion",
            name_node,
            &chart,
            SVELTOS,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_ranges() {
        for exact in [
            "1.2.3",
            "v1.2.3",
            "0.1.0-rc.1",
            "1.0.0+build.5",
            "6.5.4",
            "latest",
        ] {
            assert!(exact_version(exact), "{exact}");
        }
        for range in [
            "~1.2.0", "^1", ">=1.0 <2", "1.x", "1.2.*", "*", "", "1 - 2", "1.X", "-1",
        ] {
            assert!(!exact_version(range), "{range}");
        }
        assert_eq!(oci("oci://ghcr.io/org/charts/"), Some("ghcr.io/org/charts"));
        assert_eq!(oci("https://charts.example.com"), None);
        let c = listed_at(3..8, "ghcr.io/a/b", Some("1.0.0+x"), HELMFILE);
        assert_eq!(c.value, "ghcr.io/a/b:1.0.0_x");
        assert_eq!(c.target, Target::Listed);
        assert_eq!(
            c.skip.as_ref().map(ToString::to_string).as_deref(),
            Some(HELMFILE)
        );
        let c = listed_at(3..8, "ghcr.io/a/b", Some("~1.0"), HELMFILE);
        assert_eq!(c.target, Target::Reference);
        assert!(c.skip.unwrap().to_string().contains("range"));
    }
}
