//! HCL finders: Terraform/OpenTofu, Nomad job files, Docker Bake files and Packer templates.
//!
//! The file is parsed with `hcl-edit`, which keeps the byte span of every expression, so a literal
//! string is rewritten in place (its quotes, a heredoc's delimiters and everything around it stay as
//! written) and nothing is ever re-serialized.
//!
//! # What is found
//!
//! * Terraform/OpenTofu (`*.tf`, `*.tofu`): the `image` of every `container` and `init_container`
//!   block (also the `content` of a `dynamic "container"` block) at any depth inside a `resource` of
//!   the Kubernetes provider's workload types ([`KUBERNETES_WORKLOADS`]); of the Docker provider
//!   (`kreuzwerker/docker`), the `name` of a `docker_image` resource or data source, the `image` of a
//!   `docker_container` and the `image` of a `docker_service`'s `task_spec { container_spec { … } }`. A
//!   container or service image that reads a `docker_image` (or `docker_registry_image`) block's
//!   attribute (`image = docker_image.web.image_id`, the provider's usual form) is not a candidate: the
//!   image is stated, and pinned, at that block.
//!   The `source` of a `module` from an OCI registry (OpenTofu: `oci://host/repo?tag=1.0`): its `tag=1.0`
//!   argument becomes `digest=sha256:…` (OpenTofu takes one of the two, so the tag is not kept), a source
//!   with neither gets `?digest=…`. A `helm_release` whose chart is in an OCI registry is listed at its
//!   `version`, never rewritten (the Helm provider takes no digest).
//! * Nomad (`*.nomad`, `*.nomad.hcl`): `config { image = … }` (or `config = { image = … }`) of every
//!   `task` whose `driver` is the literal `"docker"` or `"podman"`.
//! * Docker Bake (`docker-bake.hcl`, `docker-bake.override.hcl`): the values of a `target`'s
//!   `contexts` that start with `docker-image://`; the span is the reference after that prefix.
//! * Packer (`*.pkr.hcl`): the `image` of every `source "docker"` block.
//!
//! # Reported skipped
//!
//! * A string with an interpolation or a directive (`"${var.repo}:${var.tag}"`, `%{ if … }`): the
//!   image is computed when the configuration is evaluated.
//! * Any other expression (`var.image`, `local.images["web"]`, a function call): not a string.
//! * A string whose bytes are not its text (escapes such as `\u0041` or `$${`), and a heredoc of
//!   more than one line.
//! * A value marked with a `# pin: ignore` or `// pin: ignore` comment at the end of its line, or
//!   alone on the line above.
//! * The `name` of a `data "docker_registry_image"`: a lookup of the digest the registry has for that name
//!   (for `pull_triggers` and the like), not an image the configuration runs ([`REGISTRY_LOOKUP`]).
//!
//! # What is not found
//!
//! Images in `variable` defaults, `locals` and module arguments (whatever uses them is skipped as
//! computed), other Terraform resources (a `resource "docker_registry_image"` pushes the image it names),
//! Nomad tasks of other drivers, bake `target:` and local contexts, and every other HCL file.
//!
//! # Limitations
//!
//! * HCL1-only syntax, which some old Nomad job files use, is an error at its position.
//! * [`Candidate::pull_policy_set`] is set for Terraform Kubernetes containers (from their
//!   `image_pull_policy`) and `None` elsewhere.

use std::ops::Range;

use hcl_edit::expr::{Expression, Object, ObjectKey, TraversalOperator};
use hcl_edit::structure::{Block, Body};
use hcl_edit::template::Element;

use super::gitops::charts;
use super::{Artifact, Candidate, FindError, Findings, SkipReason, Target};

/// The Kubernetes provider's resource types whose pod specs hold `container` blocks.
pub const KUBERNETES_WORKLOADS: &[&str] = &[
    "kubernetes_cron_job",
    "kubernetes_cron_job_v1",
    "kubernetes_daemon_set_v1",
    "kubernetes_daemonset",
    "kubernetes_deployment",
    "kubernetes_deployment_v1",
    "kubernetes_job",
    "kubernetes_job_v1",
    "kubernetes_pod",
    "kubernetes_pod_v1",
    "kubernetes_replication_controller",
    "kubernetes_replication_controller_v1",
    "kubernetes_stateful_set",
    "kubernetes_stateful_set_v1",
];

/// The skip reason of a string with interpolations or directives.
pub const TEMPLATE: &str =
    "an HCL template (`${…}`); the image is computed when the file is evaluated";
/// The skip reason of an expression that is not a string.
pub const NOT_A_STRING: &str =
    "not a string literal; the image is computed when the file is evaluated";

/// Terraform/OpenTofu. See the module documentation.
pub fn find_terraform(src: &str) -> Result<Findings, FindError> {
    with_body(src, |file, body, out| {
        for block in body.blocks() {
            let Some(ty) = label(block, 0) else {
                continue;
            };
            match (block.ident.as_str(), ty) {
                ("resource", ty) if KUBERNETES_WORKLOADS.contains(&ty) => {
                    kubernetes_containers(file, &block.body, out);
                }
                ("resource" | "data", "docker_image") => {
                    out.extend(attribute(file, &block.body, "name", None));
                }
                ("resource", "helm_release") => out.extend(helm_release(file, &block.body)),
                ("resource", "docker_container") => {
                    out.extend(docker_container_image(file, &block.body));
                }
                ("resource", "docker_service") => {
                    for task in block.body.get_blocks("task_spec") {
                        for container in task.body.get_blocks("container_spec") {
                            out.extend(docker_container_image(file, &container.body));
                        }
                    }
                }
                ("data", "docker_registry_image") => {
                    out.extend(attribute(file, &block.body, "name", None).map(|mut c| {
                        c.skip = Some(SkipReason::fixed(REGISTRY_LOOKUP));
                        c
                    }));
                }
                _ => {}
            }
        }
        for module in body.get_blocks("module") {
            out.extend(module_source(file, &module.body));
        }
    })
}

/// A `helm_release`'s chart in an OCI registry (`repository = "oci://…"` and `chart`, or `chart =
/// "oci://…"`), listed at its `version`: the Helm provider takes no digest.
fn helm_release(file: &File, body: &Body) -> Option<Candidate> {
    let chart = body_string(body, "chart")?;
    let location = match (
        charts::oci(chart),
        body_string(body, "repository").and_then(charts::oci),
    ) {
        (Some(location), _) => location.to_owned(),
        (None, Some(repository)) if !chart.contains("://") => format!("{repository}/{chart}"),
        _ => return None,
    };
    let version = attribute(file, body, "version", None).filter(|c| c.skip.is_none());
    let span = match &version {
        Some(v) => v.span.clone(),
        None => file.span(&body.get_attribute("chart")?.value)?,
    };
    let version = version.as_ref().map(|v| v.value.as_str());
    Some(charts::listed_at(
        span,
        &location,
        version,
        charts::TERRAFORM,
    ))
}

/// An OpenTofu module from an OCI registry, `source = "oci://host/repo[//dir][?tag=…|?digest=…]"`: its `tag=…`
/// argument becomes `digest=sha256:…` (OpenTofu takes one or the other); a source without either (the
/// `latest` tag) gets `?digest=…` added.
fn module_source(file: &File, body: &Body) -> Option<Candidate> {
    let mut whole = attribute(file, body, "source", None)?;
    let address = whole.value.strip_prefix("oci://")?.to_owned();
    whole.artifact = Some(Artifact::OpentofuModule);
    if whole.skip.is_some() {
        return Some(whole);
    }
    // The text of the span is the value: offsets into one are offsets into the other.
    let at = |offset: usize| whole.span.start + "oci://".len() + offset;
    let (location, query) = match address.split_once('?') {
        Some((l, q)) => (l, Some(q)),
        None => (address.as_str(), None),
    };
    let repository = location.split("//").next().unwrap_or(location);
    // The query starts after `location?`.
    let query_start = location.len() + 1;
    let argument = |name: &str| -> Option<(std::ops::Range<usize>, String)> {
        let mut start = query_start;
        for arg in query?.split('&') {
            if let Some(v) = arg.strip_prefix(name).and_then(|a| a.strip_prefix('=')) {
                return Some((at(start)..at(start + arg.len()), v.to_owned()));
            }
            start += arg.len() + 1;
        }
        None
    };
    let digest = argument("digest");
    let tag = argument("tag");
    let replace = Target::Replace {
        prefix: "digest=".to_owned(),
    };
    let (span, value, target) = match (digest, tag) {
        (Some((span, d)), _) => (span, format!("{repository}@{d}"), replace),
        (None, Some((span, t))) => (span, format!("{repository}:{t}"), replace),
        (None, None) => {
            let end = at(address.len());
            let prefix = if query.is_some() {
                "&digest="
            } else {
                "?digest="
            };
            let target = Target::InsertDigest {
                prefix: prefix.to_owned(),
                suffix: String::new(),
            };
            (end..end, repository.to_owned(), target)
        }
    };
    Some(Candidate {
        span,
        value,
        target,
        ..whole
    })
}

/// The skip reason of a `data "docker_registry_image"` name.
pub const REGISTRY_LOOKUP: &str = "a lookup (data \"docker_registry_image\" reads the digest the registry has for this name), not an image the configuration runs";

/// The `image` of a `docker_container` or of a `docker_service`'s `container_spec`: a literal reference is
/// pinned, anything else skipped ([`string`]), except a reference to a `docker_image` or
/// `docker_registry_image` block (`docker_image.web.image_id`, `data.docker_image.web.repo_digest`), which
/// states its image where it is declared.
fn docker_container_image(file: &File, body: &Body) -> Option<Candidate> {
    let expr = &body.get_attribute("image")?.value;
    if names_docker_image_block(expr) {
        return None;
    }
    string(file, expr, None, None)
}

/// Whether an expression reads an attribute of a `docker_image` or `docker_registry_image` resource or data
/// source.
fn names_docker_image_block(expr: &Expression) -> bool {
    let Expression::Traversal(traversal) = expr else {
        return false;
    };
    let Expression::Variable(root) = &traversal.expr else {
        return false;
    };
    let attr = |i: usize| match traversal.operators.get(i).map(|o| o.value()) {
        Some(TraversalOperator::GetAttr(name)) => Some(name.as_str()),
        _ => None,
    };
    let ty = if root.as_str() == "data" {
        attr(0)
    } else {
        Some(root.as_str())
    };
    matches!(ty, Some("docker_image" | "docker_registry_image"))
}

/// Nomad job files. See the module documentation.
pub fn find_nomad(src: &str) -> Result<Findings, FindError> {
    fn walk(file: &File, body: &Body, out: &mut Vec<Candidate>) {
        for block in body.blocks() {
            if block.ident.as_str() == "task" {
                let driver = body_string(&block.body, "driver");
                if matches!(driver, Some("docker" | "podman")) {
                    for config in block.body.get_blocks("config") {
                        out.extend(attribute(file, &config.body, "image", None));
                    }
                    if let Some(Expression::Object(config)) =
                        block.body.get_attribute("config").map(|a| &a.value)
                    {
                        out.extend(object_value(file, config, "image", None));
                    }
                }
                continue;
            }
            walk(file, &block.body, out);
        }
    }
    with_body(src, walk)
}

/// Docker Bake files. See the module documentation.
pub fn find_bake(src: &str) -> Result<Findings, FindError> {
    with_body(src, |file, body, out| {
        for target in body.get_blocks("target") {
            let Some(Expression::Object(contexts)) =
                target.body.get_attribute("contexts").map(|a| &a.value)
            else {
                continue;
            };
            for (_, value) in contexts.iter() {
                out.extend(string(file, value.expr(), Some("docker-image://"), None));
            }
        }
    })
}

/// Packer templates. See the module documentation.
pub fn find_packer(src: &str) -> Result<Findings, FindError> {
    with_body(src, |file, body, out| {
        for source in body.get_blocks("source") {
            if label(source, 0) == Some("docker") {
                out.extend(attribute(file, &source.body, "image", None));
            }
        }
    })
}

/// The file being read: its text, and where the parsed text starts in it (after a byte order mark).
struct File<'a> {
    src: &'a str,
    base: usize,
    /// The `# pin: ignore` comments found beside candidates, for [`Findings::ignore_comments`].
    ignore_comments: std::cell::RefCell<Vec<Range<usize>>>,
}

impl File<'_> {
    /// An expression's span in the file.
    fn span(&self, e: &impl hcl_edit::Span) -> Option<Range<usize>> {
        e.span().map(|r| r.start + self.base..r.end + self.base)
    }
}

fn with_body(
    src: &str,
    collect: impl FnOnce(&File, &Body, &mut Vec<Candidate>),
) -> Result<Findings, FindError> {
    let base = if src.starts_with('\u{feff}') { 3 } else { 0 };
    let body = hcl_edit::parser::parse_body(&src[base..]).map_err(|e| FindError {
        offset: error_offset(src, base, e.location().line(), e.location().column()),
        message: format!("not valid HCL: {}", e.message()),
    })?;
    let file = File {
        src,
        base,
        ignore_comments: Default::default(),
    };
    let mut candidates = Vec::new();
    collect(&file, &body, &mut candidates);
    candidates.sort_by_key(|c| c.span.start);
    let mut ignore_comments = file.ignore_comments.into_inner();
    ignore_comments.sort_by_key(|r| r.start);
    ignore_comments.dedup();
    Ok(Findings {
        candidates,
        skipped: None,
        ignore_comments,
    })
}

/// The byte offset of a 1-based line and column (in characters) of the parsed text.
fn error_offset(src: &str, base: usize, line: usize, column: usize) -> usize {
    let text = &src[base..];
    let line_start = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum::<usize>();
    let in_line = text[line_start..]
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(text.len() - line_start, |(i, _)| i);
    base + line_start + in_line
}

/// A block's label at `index`, quoted or bare.
fn label(block: &Block, index: usize) -> Option<&str> {
    block.labels.get(index).map(|l| l.as_str())
}

/// The value of a body's attribute when it is a plain string.
fn body_string<'b>(body: &'b Body, key: &str) -> Option<&'b str> {
    match &body.get_attribute(key)?.value {
        Expression::String(s) => Some(s.value().as_str()),
        _ => None,
    }
}

/// `container` and `init_container` blocks at any depth (and `dynamic` ones' `content`), and the
/// same written as attributes (`container = [{ image = … }]`, Terraform's attributes-as-blocks form).
fn kubernetes_containers(file: &File, body: &Body, out: &mut Vec<Candidate>) {
    let container = |name: &str| name == "container" || name == "init_container";
    for attr in body.attributes().filter(|a| container(a.key.as_str())) {
        let objects: Vec<&Object> = match &attr.value {
            Expression::Object(o) => vec![o],
            Expression::Array(a) => a
                .iter()
                .filter_map(|e| match e {
                    Expression::Object(o) => Some(o),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        for o in objects {
            let policy = Some(object_value(file, o, "image_pull_policy", None).is_some());
            out.extend(object_value(file, o, "image", policy));
        }
    }
    for block in body.blocks() {
        let ident = block.ident.as_str();
        if container(ident) {
            let policy = Some(block.body.has_attribute("image_pull_policy"));
            out.extend(attribute(file, &block.body, "image", policy));
        } else if ident == "dynamic" && label(block, 0).is_some_and(container) {
            for content in block.body.get_blocks("content") {
                let policy = Some(content.body.has_attribute("image_pull_policy"));
                out.extend(attribute(file, &content.body, "image", policy));
            }
        } else {
            kubernetes_containers(file, &block.body, out);
        }
    }
}

fn attribute(file: &File, body: &Body, key: &str, policy: Option<bool>) -> Option<Candidate> {
    string(file, &body.get_attribute(key)?.value, None, policy)
}

fn object_value(
    file: &File,
    object: &Object,
    key: &str,
    policy: Option<bool>,
) -> Option<Candidate> {
    let (_, value) = object.iter().find(|(k, _)| match k {
        ObjectKey::Ident(i) => i.as_str() == key,
        ObjectKey::Expression(Expression::String(s)) => s.value() == key,
        ObjectKey::Expression(_) => false,
    })?;
    string(file, value.expr(), None, policy)
}

/// The candidate an expression makes: a literal string pinned in place, anything else skipped. With
/// `prefix`, only strings that start with it, and the span and value without it.
fn string(
    file: &File,
    expr: &Expression,
    prefix: Option<&str>,
    policy: Option<bool>,
) -> Option<Candidate> {
    let src = file.src;
    let whole = file.span(expr)?;
    let strip = |range: Range<usize>| -> Option<Range<usize>> {
        match prefix {
            None => Some(range),
            Some(p) => src[range.clone()]
                .starts_with(p)
                .then(|| range.start + p.len()..range.end),
        }
    };
    let quoted_inner = || whole.start + 1..whole.end - 1;
    let (span, value, skip) = match expr {
        Expression::String(s) => {
            let span = strip(quoted_inner())?;
            let text = &src[span.clone()];
            let value = match prefix {
                Some(p) => s.value().strip_prefix(p).unwrap_or(text),
                None => s.value(),
            };
            let skip = (text != value).then_some(SkipReason::fixed(
                "escape sequences in the string; its bytes are not its text",
            ));
            (span, value.to_owned(), skip)
        }
        Expression::StringTemplate(_) => {
            let span = strip(quoted_inner())?;
            (
                span.clone(),
                src[span].to_owned(),
                Some(SkipReason::template(TEMPLATE)),
            )
        }
        Expression::HeredocTemplate(heredoc) => {
            let literal = match heredoc.template.as_single_element() {
                Some(Element::Literal(l)) => file.span(l).map(|range| (l.value(), range)),
                _ => None,
            };
            let Some((literal, range)) = literal else {
                return prefix.is_none().then(|| {
                    skipped(
                        whole.clone(),
                        src[whole].to_owned(),
                        SkipReason::template(TEMPLATE),
                    )
                });
            };
            let line = literal.trim_end_matches(['\n', '\r']);
            let at = src[range.clone()]
                .find(line)
                .filter(|_| !line.contains('\n'));
            let Some(at) = at else {
                let why = SkipReason::fixed("a heredoc of more than one line");
                return prefix
                    .is_none()
                    .then(|| skipped(whole.clone(), src[whole].to_owned(), why));
            };
            let span = strip(range.start + at..range.start + at + line.len())?;
            let value = src[span.clone()].to_owned();
            (span, value, None)
        }
        _ => {
            if prefix.is_some() {
                return None;
            }
            (
                whole.clone(),
                src[whole.clone()].to_owned(),
                Some(SkipReason::fixed(NOT_A_STRING)),
            )
        }
    };
    let skip = skip.or_else(|| {
        let (marker, comment) = ignore_comment(src, whole.start, whole.end)?;
        if marker == "#" {
            file.ignore_comments.borrow_mut().push(comment);
        }
        Some(SkipReason::Ignored { marker })
    });
    Some(Candidate {
        span,
        value,
        skip,
        pull_policy_set: policy,
        target: Target::Reference,
        artifact: None,
    })
}

fn skipped(span: Range<usize>, value: String, why: SkipReason) -> Candidate {
    Candidate {
        span,
        value,
        skip: Some(why),
        pull_policy_set: None,
        target: Target::Reference,
        artifact: None,
    }
}

/// A `pin: ignore` comment after the expression at `start..end`, on its line (only closing brackets
/// and a comma between), or alone on the line above its first line: its marker and its range (to the end
/// of its line). The parser has read the file, so text after a value on its line that starts with `#` or
/// `//` is a comment, and so is a line that starts with one.
fn ignore_comment(src: &str, start: usize, end: usize) -> Option<(&'static str, Range<usize>)> {
    let line_end = super::line_end(src, end);
    let rest =
        src[end..line_end].trim_start_matches(|c: char| c.is_whitespace() || ",)]}".contains(c));
    if let Some(marker) = ignore_marker(rest) {
        return Some((marker, line_end - rest.len()..line_end));
    }
    let line_start = src[..start].rfind('\n').map_or(0, |i| i + 1);
    let above_start = src[..line_start.checked_sub(1)?]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let above = src[above_start..line_start - 1].trim();
    let at = above_start + src[above_start..].len() - src[above_start..].trim_start().len();
    ignore_marker(above).map(|marker| (marker, at..at + above.len()))
}

/// The comment marker (`#` or `//`) of a comment `pin: ignore` that starts `text`.
fn ignore_marker(text: &str) -> Option<&'static str> {
    let (marker, rest) = if let Some(r) = text.strip_prefix('#') {
        ("#", r)
    } else if let Some(r) = text.strip_prefix("//") {
        ("//", r)
    } else if let Some(r) = text.strip_prefix("/*") {
        ("/*", r)
    } else {
        return None;
    };
    let rest = rest.trim_start().strip_prefix("pin:")?.trim_start();
    let after = rest.strip_prefix("ignore")?;
    (!after.starts_with(|c: char| c.is_alphanumeric())).then_some(marker)
}

#[cfg(test)]
mod tests;
