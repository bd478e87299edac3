//! Argo CD `Application` and `ApplicationSet` sources: kustomize image overrides, Helm values (as an object or
//! as a literal block of YAML) and Helm charts.

use std::ops::Range;

use saphyr_parser::ScalarStyle;

use super::super::yaml::tree::{NodeId, Tree};
use super::super::{helm_values, Candidate, SkipReason, Target};
use super::{charts, Found};

/// Every source of an application's `spec`: `source` and the items of `sources`.
pub(super) fn application(src: &str, tree: &Tree, spec: NodeId, found: &mut Found) {
    let mut sources: Vec<NodeId> = tree
        .value_at(spec, "source")
        .filter(|&s| tree.mapping(s).is_some())
        .into_iter()
        .collect();
    sources.extend(tree.mappings_at(spec, "sources"));
    for source in sources {
        if let Some(kustomize) = tree.value_at(source, "kustomize") {
            if let Some(images) = tree.value_at(kustomize, "images") {
                for &item in tree.items(images) {
                    found.candidates.extend(kustomize_image(tree, item));
                }
            }
        }
        if let Some(helm) = tree.value_at(source, "helm") {
            if let Some(object) = tree
                .value_at(helm, "valuesObject")
                .filter(|&v| tree.mapping(v).is_some())
            {
                helm_values::collect_in(
                    src,
                    tree,
                    tree.subtree(object),
                    Some(object),
                    &mut found.candidates,
                );
                found.owned.push(tree[object].span.clone());
            }
            if let Some(values) = tree.value_at(helm, "values") {
                values_block(src, tree, values, found);
            }
        }
        chart(tree, source, found);
    }
}

/// A kustomize image override, `[old=]name:tag` (or `@digest`): the part after `=` is the reference.
fn kustomize_image(tree: &Tree, item: NodeId) -> Option<Candidate> {
    let scalar = tree.scalar(item)?;
    if scalar.is_null() {
        return None;
    }
    let value = scalar.value.as_str();
    let (offset, image, old) = match value.split_once('=') {
        Some((old, new)) => (old.len() + 1, new, true),
        None => (0, value, false),
    };
    let last = image.rsplit('/').next().unwrap_or(image);
    let states_version = image.contains('@') || last.contains(':');
    let skip = scalar.differs.map(SkipReason::fixed).or_else(|| {
        (!states_version).then_some(SkipReason::fixed(
            "no tag: kustomize keeps the tag of the image in the resources",
        ))
    });
    let span = if skip.is_some() {
        scalar.text.clone()
    } else {
        scalar.text.start + offset..scalar.text.end
    };
    Some(Candidate {
        span,
        value: image.to_owned(),
        skip,
        pull_policy_set: None,
        // Without `old=`, kustomize reads everything before an `@` as the image's name: a tag kept there would
        // name no image of the resources.
        target: if old {
            Target::Reference
        } else {
            Target::NameAtDigest
        },
        artifact: None,
    })
}

/// A Helm chart of an OCI repository (`repoURL` with `oci://` or without any scheme) at `targetRevision`.
fn chart(tree: &Tree, source: NodeId, found: &mut Found) {
    let (Some(chart_node), Some(chart)) = (
        tree.value_at(source, "chart"),
        tree.text_at(source, "chart"),
    ) else {
        return;
    };
    let Some(url) = tree.text_at(source, "repoURL") else {
        return;
    };
    let repository = match charts::oci(url) {
        Some(r) => r,
        None if url.contains("://") || url.contains('@') => return,
        None => url.trim_end_matches('/'),
    };
    found.candidates.push(charts::listed(
        tree,
        source,
        "targetRevision",
        chart_node,
        &format!("{repository}/{chart}"),
        charts::ARGO_CD,
    ));
}

/// `helm.values` as a literal block scalar: the YAML it holds, read as a Helm values file, every candidate's
/// span (and every `# pin: ignore` comment) mapped back to where its bytes are in the block. A block whose
/// lines are not its value plus one indentation, or whose text is no YAML, gives nothing.
fn values_block(src: &str, tree: &Tree, node: NodeId, found: &mut Found) {
    let Some(scalar) = tree.scalar(node) else {
        return;
    };
    if scalar.style != ScalarStyle::Literal || scalar.text.is_empty() {
        return;
    }
    let body = scalar.value.trim_matches('\n');
    let Some(lines) = block_lines(src, scalar.text.start, body) else {
        return;
    };
    let Ok(inner) = helm_values::find(body) else {
        return;
    };
    if inner.skipped.is_some() {
        return;
    }
    let map = |offset: usize| {
        let i = lines.partition_point(|(inner, _)| *inner <= offset) - 1;
        let (inner, outer) = lines[i];
        outer + (offset - inner)
    };
    let mapped = |r: &Range<usize>| map(r.start)..map(r.end);
    for mut candidate in inner.candidates {
        candidate.span = mapped(&candidate.span);
        found.candidates.push(candidate);
    }
    found
        .comments
        .extend(inner.ignore_comments.iter().map(mapped));
}

/// Where each line of `body` (a block scalar's value, first and final line breaks dropped) starts in it and in `src`,
/// the block's first content line starting at `first` (after its indentation): `None` unless every line of
/// the block is the body's line after the same indentation (blank lines aside), so that every offset of the
/// body is an offset of `src`.
fn block_lines(src: &str, first: usize, body: &str) -> Option<Vec<(usize, usize)>> {
    let line_start = super::super::line_start(src, first);
    let body_lines: Vec<&str> = body.split('\n').collect();
    // The indentation: the first line that is not empty, as written.
    let mut outer = line_start;
    let mut indent = None;
    let mut out = Vec::with_capacity(body_lines.len());
    let mut inner = 0;
    for line in &body_lines {
        if outer > src.len() {
            return None;
        }
        let end = super::super::line_end(src, outer);
        let written = &src[outer..end];
        let n = *indent.get_or_insert_with(|| written.len().saturating_sub(line.len()));
        if line.is_empty() {
            if !written.bytes().all(|b| b == b' ') {
                return None;
            }
            out.push((inner, outer + written.len().min(n)));
        } else {
            let (pad, rest) = (written.get(..n)?, written.get(n..)?);
            if !pad.bytes().all(|b| b == b' ') || rest != *line {
                return None;
            }
            out.push((inner, outer + n));
        }
        inner += line.len() + 1;
        // Past the line break (`\n`, `\r\n` or a lone `\r`).
        outer = end + if src[end..].starts_with("\r\n") { 2 } else { 1 };
    }
    Some(out)
}
