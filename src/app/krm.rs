//! `pin fn`: a KRM function (the Kubernetes Resource Model functions specification, as kustomize and kpt run
//! exec functions). A `ResourceList` comes on stdin; the same `ResourceList` goes to stdout with the image
//! references of its `items` pinned, every other byte as it came (comments, quoting, the annotations the
//! orchestrator added). Options come from `functionConfig` (a ConfigMap's `data`, or any other kind's `spec`)
//! and from the command line (the registry flags, which a function config should not carry).
//!
//! Messages go into `results` (appended to the list: the only bytes added), each with the item it is about
//! (`resourceRef`) and the field (`field.path`). On any failure nothing is pinned: the list goes back as it
//! came, with the errors in `results`, and the exit status is non-zero, as the specification asks (2, pin's
//! status for an error).

use std::io::{self, Read, Write};
use std::path::PathBuf;

use super::scan::{self, Filters};
use super::{lookup, plan};
use crate::formats::yaml::tree::{self, NodeId, Parsed, Tree};
use crate::formats::Kind;
use crate::platform::Platform;
pub use crate::report::ExitStatus;
use crate::report::{Class, Severity};
use crate::settings::{
    Format, Function, LockSettings, Operation, Origin, OutputSettings, PinSettings, Setting,
    TagStyle,
};

/// The options a function config may set.
#[derive(Debug, Default, PartialEq, Eq)]
struct FnConfig {
    tag_style: Option<TagStyle>,
    lock: Option<PathBuf>,
    offline: Option<bool>,
    platform: Option<Platform>,
}

/// One entry of `results`.
#[derive(Debug)]
struct Result_ {
    message: String,
    severity: &'static str,
    /// apiVersion, kind, name, namespace of the item.
    resource: Option<[Option<String>; 4]>,
    field: Option<String>,
}

/// Where the parts of a ResourceList are in its text.
struct Layout {
    items: Vec<NodeId>,
    items_span: Option<std::ops::Range<usize>>,
    config: Option<NodeId>,
}

fn layout(tree: &Tree) -> Result<(NodeId, Layout), String> {
    let docs: Vec<NodeId> = tree.mapping_documents().collect();
    let [root] = docs[..] else {
        return Err("the input is not one YAML mapping (a ResourceList)".into());
    };
    let kind = tree
        .lookup(root, "kind")
        .and_then(|k| tree.str(tree.resolve(k)));
    if kind != Some("ResourceList") {
        return Err(format!(
            "the input is a {}, not a ResourceList",
            kind.unwrap_or("mapping without a kind")
        ));
    }
    if tree.lookup(root, "results").is_some() {
        return Err("the ResourceList already has results; pin fn appends its own".into());
    }
    let items_node = tree.lookup(root, "items").map(|i| tree.resolve(i));
    let items = items_node.map_or_else(Vec::new, |i| tree.items(i).to_vec());
    Ok((
        root,
        Layout {
            items,
            items_span: items_node.map(|i| tree[i].span.clone()),
            config: tree.lookup(root, "functionConfig").map(|c| tree.resolve(c)),
        },
    ))
}

fn truth(key: &str, value: &str) -> Result<bool, String> {
    match value {
        "true" | "True" | "TRUE" | "yes" => Ok(true),
        "false" | "False" | "FALSE" | "no" => Ok(false),
        other => Err(format!(
            "functionConfig: {key}: {other:?} is not true or false"
        )),
    }
}

/// The options of the function config: a ConfigMap's `data`, else the `spec` of any other kind.
fn fn_config(tree: &Tree, config: Option<NodeId>) -> Result<FnConfig, String> {
    let mut out = FnConfig::default();
    let Some(config) = config else {
        return Ok(out);
    };
    let kind = tree
        .lookup(config, "kind")
        .and_then(|k| tree.str(tree.resolve(k)));
    let section = if kind == Some("ConfigMap") {
        "data"
    } else {
        "spec"
    };
    let Some(options) = tree.lookup(config, section).map(|s| tree.resolve(s)) else {
        return Ok(out);
    };
    for (k, v) in tree.entries(options) {
        let key = tree.str(tree.resolve(k)).unwrap_or_default().to_string();
        let value = tree.str(tree.resolve(v)).unwrap_or_default().to_string();
        match key.as_str() {
            "tagStyle" | "tag-style" => match value.as_str() {
                "drop" => out.tag_style = Some(TagStyle::Drop),
                "keep" => out.tag_style = Some(TagStyle::Keep),
                "comment" => out.tag_style = Some(TagStyle::Comment),
                other => {
                    return Err(format!(
                        "functionConfig: tagStyle: {other:?} is not drop, keep or comment"
                    ))
                }
            },
            "lock" => {
                // The function config comes with the resources (a repository you may not control): its
                // lockfile stays inside the directory the function runs in, as pin.toml's cache-dir does.
                let path = PathBuf::from(&value);
                let inside = !value.is_empty()
                    && path.components().all(|c| {
                        matches!(
                            c,
                            std::path::Component::Normal(_) | std::path::Component::CurDir
                        )
                    });
                if !inside {
                    return Err(format!(
                        "functionConfig: lock: {value:?} must be a relative path without `..` (use --lock for another place)"
                    ));
                }
                out.lock = Some(path);
            }
            "offline" => out.offline = Some(truth(&key, &value)?),
            "platform" => {
                out.platform = Some(
                    value
                        .parse()
                        .map_err(|e| format!("functionConfig: platform: {e}"))?,
                )
            }
            other => {
                return Err(format!(
                    "functionConfig: unknown option {other:?} (tagStyle, lock, offline, platform)"
                ))
            }
        }
    }
    Ok(out)
}

/// The item holding byte `at`, and its identity.
fn item_of(tree: &Tree, items: &[NodeId], at: usize) -> Option<[Option<String>; 4]> {
    let item = items
        .iter()
        .map(|&i| tree.resolve(i))
        .find(|&i| tree[i].span.contains(&at))?;
    let get = |map: Option<NodeId>, key: &str| {
        map.and_then(|m| tree.lookup(tree.resolve(m), key))
            .and_then(|v| tree.str(tree.resolve(v)))
            .map(str::to_owned)
    };
    let meta = tree.lookup(item, "metadata");
    Some([
        get(Some(item), "apiVersion"),
        get(Some(item), "kind"),
        get(meta, "name"),
        get(meta, "namespace"),
    ])
}

/// The field path of the value at byte `at` inside the item (`spec.template.spec.containers[0].image`).
fn field_of(tree: &Tree, at: usize) -> Option<String> {
    let node = tree
        .walk()
        .filter(|&n| tree.scalar(n).is_some() && tree[n].span.contains(&at))
        .last()?;
    let mut parts = Vec::new();
    let mut cur = node;
    while let Some(parent) = tree.parent(cur) {
        if let Some(key) = tree.key_str(cur) {
            parts.push(key.to_string());
        } else if let Some(i) = tree.items(parent).iter().position(|&c| c == cur) {
            parts.push(format!("[{i}]"));
        }
        cur = parent;
    }
    // Up to the item: drop `items[N]` and what is above it.
    parts.reverse();
    let start = parts.iter().position(|p| p == "items")? + 2;
    let mut path = String::new();
    for p in &parts[start.min(parts.len())..] {
        if !p.starts_with('[') && !path.is_empty() {
            path.push('.');
        }
        path.push_str(p);
    }
    Some(path)
}

/// A YAML flow scalar for any text (JSON strings are YAML).
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn render_results(results: &[Result_]) -> String {
    let mut out = String::from("results:\n");
    for r in results {
        out.push_str(&format!(
            "- message: {}\n  severity: {}\n",
            quoted(&r.message),
            r.severity
        ));
        if let Some([api, kind, name, namespace]) = &r.resource {
            out.push_str("  resourceRef:\n");
            for (key, value) in [
                ("apiVersion", api),
                ("kind", kind),
                ("name", name),
                ("namespace", namespace),
            ] {
                if let Some(v) = value {
                    out.push_str(&format!("    {key}: {}\n", quoted(v)));
                }
            }
        }
        if let Some(field) = &r.field {
            out.push_str(&format!("  field:\n    path: {}\n", quoted(field)));
        }
    }
    out
}

/// Writes `text`, then the results (on a line of their own).
fn emit(out: &mut dyn Write, text: &str, results: &[Result_]) -> io::Result<()> {
    out.write_all(text.as_bytes())?;
    if !results.is_empty() {
        if !text.is_empty() && !text.ends_with('\n') {
            out.write_all(b"\n")?;
        }
        out.write_all(render_results(results).as_bytes())?;
    }
    out.flush()
}

/// A ResourceList that could not be read: its items unknown, one error in `results`.
fn refuse(out: &mut dyn Write, err: &mut dyn Write, message: String) -> io::Result<ExitStatus> {
    writeln!(err, "pin fn: error: {message}")?;
    let list = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n";
    let result = Result_ {
        message,
        severity: "error",
        resource: None,
        field: None,
    };
    emit(out, list, &[result])?;
    Ok(ExitStatus::Error)
}

/// `pin fn`: see the module documentation.
pub fn run(
    settings: &Function,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<ExitStatus> {
    let mut src = String::new();
    if let Err(e) = io::stdin().read_to_string(&mut src) {
        return refuse(
            out,
            err,
            format!("cannot read the ResourceList on stdin: {e}"),
        );
    }
    let tree = match tree::parse(&src) {
        Ok(Parsed::Tree(t)) => t,
        Ok(Parsed::Template) => {
            return refuse(
                out,
                err,
                "the input is a template, not a ResourceList".into(),
            )
        }
        Err(e) => return refuse(out, err, format!("the input is not YAML: {e}")),
    };
    let (root, layout) = match layout(&tree) {
        Ok(l) => l,
        Err(e) => return refuse(out, err, e),
    };
    if src[tree[root].span.clone()].starts_with('{') {
        return refuse(
            out,
            err,
            "the ResourceList is a flow mapping; pin fn reads block YAML".into(),
        );
    }
    let config = match fn_config(&tree, layout.config) {
        Ok(c) => c,
        Err(e) => {
            writeln!(err, "pin fn: error: {e}")?;
            let r = Result_ {
                message: e,
                severity: "error",
                resource: None,
                field: None,
            };
            emit(out, &src, &[r])?;
            return Ok(ExitStatus::Error);
        }
    };
    // The function config's options outrank the command line's.
    let from_config = || Origin::Flag("functionConfig".into());
    let pin = PinSettings {
        tag_style: match config.tag_style {
            Some(style) => Setting::new(Some(style), from_config()),
            None => settings.pin.tag_style.clone(),
        },
        platform: match &config.platform {
            Some(p) => Setting::new(Some(p.clone()), from_config()),
            None => settings.pin.platform.clone(),
        },
    };
    let lock = LockSettings {
        path: config.lock.clone().or(settings.lock.path.clone()),
        offline: config.offline.unwrap_or(settings.lock.offline),
    };
    if lock.offline && lock.path.is_none() {
        return refuse(
            out,
            err,
            "offline needs a lock file (functionConfig lock, or --lock)".into(),
        );
    }

    // The references of the items, and only those: the function config is not a resource.
    let filters = Filters::default();
    let mut file = match scan::read_one(None, None, scan::STDIN, Kind::Yaml, src.clone(), &filters)
    {
        Ok(f) => f,
        Err(e) => return refuse(out, err, e.to_string()),
    };
    let items_span = layout.items_span.clone().unwrap_or(0..0);
    file.refs
        .retain(|f| items_span.contains(&f.candidate.span.start));
    let files = [file];
    let op = Operation::Pin(pin);
    let output = OutputSettings {
        format: Format::Text,
        color: anstream::ColorChoice::Never,
        quiet: true,
        verbose: 0,
    };
    let keys = plan::keys(&files, &op);
    let mut results = Vec::new();
    let lookup = lookup::resolutions(
        &settings.registry,
        Some(&lock),
        keys,
        Default::default(),
        &output,
        crate::settings::Labels::Off,
        false,
    );
    let mut lookup = match lookup {
        Ok(l) => l,
        Err(e) => {
            writeln!(err, "pin fn: error: {e}")?;
            results.push(Result_ {
                message: e.to_string(),
                severity: "error",
                resource: None,
                field: None,
            });
            emit(out, &src, &results)?;
            return Ok(ExitStatus::Error);
        }
    };
    let planned = plan::plan(
        &files,
        &lookup.resolved,
        plan::Actions::none(),
        &op,
        None,
        |_, _, new| new.to_string(),
    );
    let planned = match planned {
        Ok(p) => p,
        Err(e) => return refuse(out, err, e.to_string()),
    };
    let mut failed = false;
    for o in &planned.outcomes {
        for d in &o.diagnostics {
            let severity = match (d.class(), d.severity) {
                (Class::Failure, _) => "error",
                (Class::Finding, _) => continue,
                (Class::Skip, Severity::Warning) | (_, Severity::Error) => "warning",
                (Class::Skip, _) => continue,
                (_, _) => "info",
            };
            failed |= severity == "error";
            let at = d
                .location
                .as_ref()
                .and_then(|l| l.span.as_ref())
                .map(|s| s.start);
            let message = match &o.original {
                Some(r) => format!("{r}: {}", d.message),
                None => d.message.clone(),
            };
            if severity == "error" {
                writeln!(err, "pin fn: error: {message}")?;
            }
            results.push(Result_ {
                message,
                severity,
                resource: at.and_then(|at| item_of(&tree, &layout.items, at)),
                field: at.and_then(|at| field_of(&tree, at)),
            });
        }
    }
    if failed {
        emit(out, &src, &results)?;
        return Ok(ExitStatus::Error);
    }
    if let Err(e) = lookup.save_lock() {
        return refuse(out, err, e.to_string());
    }
    let text = planned
        .changes
        .first()
        .map_or(src.as_str(), |c| c.kept.as_str());
    emit(out, text, &results)?;
    Ok(ExitStatus::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree_of(src: &str) -> Tree {
        match tree::parse(src).unwrap() {
            Parsed::Tree(t) => t,
            Parsed::Template => panic!("a template"),
        }
    }

    #[test]
    fn options_come_from_a_configmap_or_a_spec() {
        let src = "kind: ResourceList\nfunctionConfig:\n  kind: ConfigMap\n  data:\n    tagStyle: keep\n    lock: a.lock\n    offline: 'true'\n    platform: linux/arm64\n";
        let t = tree_of(src);
        let (_, l) = layout(&t).unwrap();
        let c = fn_config(&t, l.config).unwrap();
        assert_eq!(c.tag_style, Some(TagStyle::Keep));
        assert_eq!(c.lock, Some(PathBuf::from("a.lock")));
        assert_eq!(c.offline, Some(true));
        assert_eq!(c.platform.unwrap().to_string(), "linux/arm64");
        let src = "kind: ResourceList\nfunctionConfig:\n  kind: PinImages\n  spec:\n    tagStyle: comment\n    offline: false\n";
        let t = tree_of(src);
        let (_, l) = layout(&t).unwrap();
        let c = fn_config(&t, l.config).unwrap();
        assert_eq!(
            (c.tag_style, c.offline),
            (Some(TagStyle::Comment), Some(false))
        );
        for (bad, why) in [
            ("tagStyle: loud", "is not drop, keep or comment"),
            ("offline: maybe", "is not true or false"),
            ("keepTag: true", "unknown option"),
            (
                "lock: ../../elsewhere/pin.lock",
                "relative path without `..`",
            ),
            ("lock: /etc/pin.lock", "relative path without `..`"),
        ] {
            let src =
                format!("kind: ResourceList\nfunctionConfig:\n  kind: X\n  spec:\n    {bad}\n");
            let t = tree_of(&src);
            let (_, l) = layout(&t).unwrap();
            let e = fn_config(&t, l.config).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn a_list_that_is_not_one_is_refused() {
        for (src, why) in [
            ("kind: Deployment\n", "not a ResourceList"),
            ("a: 1\n---\nb: 2\n", "not one YAML mapping"),
            (
                "kind: ResourceList\nitems: []\nresults: []\n",
                "already has results",
            ),
        ] {
            let e = layout(&tree_of(src)).err().unwrap();
            assert!(e.contains(why), "{src}: {e}");
        }
    }

    #[test]
    fn results_name_the_item_and_the_field() {
        let src = "kind: ResourceList\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p, namespace: n}\n  spec:\n    containers:\n    - name: a\n      image: x:1\n    - name: b\n      image: y:2\n";
        let t = tree_of(src);
        let (_, l) = layout(&t).unwrap();
        let at = src.find("y:2").unwrap();
        let item = item_of(&t, &l.items, at).unwrap();
        assert_eq!(
            item,
            [
                Some("v1".into()),
                Some("Pod".into()),
                Some("p".into()),
                Some("n".into())
            ]
        );
        assert_eq!(
            field_of(&t, at).as_deref(),
            Some("spec.containers[1].image")
        );
        let r = Result_ {
            message: "a \"quoted\"\nline".into(),
            severity: "error",
            resource: Some(item),
            field: Some("spec.containers[1].image".into()),
        };
        assert_eq!(
            render_results(&[r]),
            "results:\n- message: \"a \\\"quoted\\\"\\nline\"\n  severity: error\n  resourceRef:\n    apiVersion: \"v1\"\n    kind: \"Pod\"\n    name: \"p\"\n    namespace: \"n\"\n  field:\n    path: \"spec.containers[1].image\"\n"
        );
    }
}
