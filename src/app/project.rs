//! What the project itself builds and renames: a pass over all scanned files, after every file was read.
//!
//! Some image names in a tree are not registry images at all:
//!
//! * **Skaffold** (`skaffold.yaml`, or any YAML document with `apiVersion: skaffold/…`, profiles included):
//!   `build.artifacts[].image` and `test[].image` name images skaffold builds (it rejects them with a tag or
//!   digest). They are skipped ("built by skaffold"). References with one of those names (the name as
//!   written, any tag) elsewhere are skipped too, naming the declaration ("built by skaffold at
//!   skaffold.yaml:12"), in the config's directory and below and in the paths its `manifests:` (or
//!   `deploy:`) section names: `rawYaml` globs, `kustomize.paths`, `helm.releases[].chartPath`,
//!   `kubectl.manifests`. `verify[].container.image` and `customActions` images are real and pinned.
//! * **Tilt** (`Tiltfile`): the names given to `docker_build`, `custom_build` and the build functions of the
//!   Tilt extensions the file loads ([`crate::formats::tilt`]) are images Tilt builds. They are skipped in the
//!   Tiltfile ("built by Tilt"), and so are the references Tilt would replace with its build, naming the
//!   declaration ("built by Tilt at Tiltfile:3"), in the Tiltfile's directory and below and in the files its
//!   `k8s_yaml`, `kustomize`, `helm` and `docker_compose` calls name. Tilt matches as its image selectors do:
//!   the normalized name (`web` is `docker.io/library/web`) whatever the tag, or, for a name given with a tag,
//!   that name and tag only. A name given by an expression (`docker_build(IMAGE, '.')`) is not known: it is
//!   listed as skipped in the Tiltfile (`built-name-unknown`), and references to it are looked up as usual.
//! * **Kustomize**: a file reachable from a kustomization's `resources`, `components`, `bases`, patches
//!   (`patches[].path`, `patchesStrategicMerge`, `patchesJson6902[].path`), following directories with their
//!   own kustomization, whose image name equals an `images[].name` of a kustomization that includes it holds a
//!   placeholder: kustomize replaces it, and the `images:` entry carries the pin. It is skipped ("set by
//!   kustomization.yaml:7").
//!
//! Each file's declarations are read while it is scanned ([`declarations`], on the file's text); [`apply`]
//! then changes the status of the references they cover. Only unpinned references change: a pinned one is
//! left as it is. Remote resources (URLs) are not followed.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

use super::scan::{Scan, ScannedFile, Skip, Status};
use crate::formats::tilt::Name;
use crate::formats::yaml::tree::{self, NodeId, Reads, Tree};
use crate::formats::{Kind, LineIndex};
use crate::report::Code;

/// What one file declares about the images of the project.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Declarations {
    /// Images a tool builds from this project.
    pub builds: Vec<Build>,
    /// A kustomization's `images[].name` entries.
    pub renames: Vec<Named>,
    /// A kustomization's resources, components and patches, as written.
    pub includes: Vec<String>,
    /// The spans of image names a tool builds that are given by an expression (not known).
    pub unknown_builds: Vec<std::ops::Range<usize>>,
}

/// An image built by a tool (skaffold, Tilt).
#[derive(Debug, PartialEq, Eq)]
pub struct Build {
    pub tool: &'static str,
    pub name: String,
    /// Which references are this image.
    pub matching: Match,
    pub line: usize,
    /// The byte range of the name's text in the declaring file (the declaration itself is a candidate).
    pub span: std::ops::Range<usize>,
    /// Paths, directories or globs (relative to the declaring file's directory) the tool deploys.
    pub scope: Vec<String>,
}

/// How a tool recognizes references to an image it builds.
#[derive(Debug, PartialEq, Eq)]
pub enum Match {
    /// The name as written, any tag (skaffold).
    Written,
    /// The normalized name (`docker.io/library/web`), any tag; with a tag, that tag only (Tilt's image
    /// selectors).
    Normalized { name: String, tag: Option<String> },
    /// None (a name that is no valid reference: the tool refuses it).
    Nothing,
}

impl Match {
    fn matches(&self, written: &str, r: &crate::reference::Reference) -> bool {
        match self {
            Match::Written => r.name() == written,
            Match::Normalized { name, tag } => {
                r.normalized_name() == *name && (tag.is_none() || r.tag() == tag.as_deref())
            }
            Match::Nothing => false,
        }
    }
}

/// An image name stated at a line.
#[derive(Debug, PartialEq, Eq)]
pub struct Named {
    pub name: String,
    pub line: usize,
}

impl Declarations {
    fn is_empty(&self) -> bool {
        self.builds.is_empty()
            && self.renames.is_empty()
            && self.includes.is_empty()
            && self.unknown_builds.is_empty()
    }
}

/// The keys [`kustomization`] and [`skaffold`] read.
const READS: Reads = Reads {
    whole: &[
        "images",
        "resources",
        "components",
        "bases",
        "patches",
        "patchesStrategicMerge",
        "patchesJson6902",
        "rawYaml",
        "paths",
        "manifests",
        "chartPath",
        "image",
    ],
    keys: &[
        "kind",
        "apiVersion",
        "profiles",
        "deploy",
        "kustomize",
        "kubectl",
        "helm",
        "releases",
        "build",
        "artifacts",
        "test",
    ],
    whole_if: None,
};

/// What a file of `kind` with text `src` declares; `None` when nothing.
pub fn declarations(kind: Kind, src: &str) -> Option<Declarations> {
    if kind == Kind::Tiltfile {
        return tiltfile(src);
    }
    let mut out = Declarations::default();
    let is_kustomization = kind == Kind::Kustomize;
    let maybe_skaffold = src.contains("skaffold/");
    if !is_kustomization && !maybe_skaffold {
        return None;
    }
    let Ok(Some((tree, _))) = tree::read_for(src, Some(&READS)) else {
        return None;
    };
    let index = LineIndex::new(src);
    let line = |at: usize| index.line_col(src, at).0;
    for root in tree.mapping_documents() {
        let str_at = |key: &str| {
            tree.lookup(root, key)
                .and_then(|v| tree.str(tree.resolve(v)))
        };
        if is_kustomization && matches!(str_at("kind"), None | Some("Kustomization" | "Component"))
        {
            kustomization(&tree, root, &line, &mut out);
        }
        if maybe_skaffold && str_at("apiVersion").is_some_and(|v| v.starts_with("skaffold/")) {
            let mut sections = vec![root];
            if let Some(profiles) = tree.lookup(root, "profiles") {
                sections.extend(
                    tree.items(tree.resolve(profiles))
                        .iter()
                        .map(|&p| tree.resolve(p)),
                );
            }
            for section in sections {
                skaffold(&tree, section, &line, &mut out);
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

/// What a Tiltfile builds (a file that cannot be read says nothing: its finder reports the error).
fn tiltfile(src: &str) -> Option<Declarations> {
    let read = crate::formats::tilt::read(src).ok()?;
    let index = LineIndex::new(src);
    let mut out = Declarations::default();
    for build in read.builds {
        let Name::Known(name) = build.name else {
            out.unknown_builds.push(build.span);
            continue;
        };
        let matching = match crate::reference::Reference::parse(&name) {
            Ok(r) => Match::Normalized {
                name: r.normalized_name(),
                tag: r.tag().map(str::to_owned),
            },
            Err(_) => Match::Nothing,
        };
        out.builds.push(Build {
            tool: "Tilt",
            name,
            matching,
            line: index.line_col(src, build.span.start).0,
            span: build.span,
            scope: read.deploys.clone(),
        });
    }
    (!out.is_empty()).then_some(out)
}

/// The scalar strings of a sequence (or a single scalar).
fn strings(tree: &Tree, id: Option<NodeId>) -> Vec<(String, NodeId)> {
    let Some(id) = id.map(|i| tree.resolve(i)) else {
        return Vec::new();
    };
    if let Some(s) = tree.str(id) {
        return vec![(s.to_owned(), id)];
    }
    tree.items(id)
        .iter()
        .filter_map(|&i| {
            let i = tree.resolve(i);
            tree.str(i).map(|s| (s.to_owned(), i))
        })
        .collect()
}

/// The values of `key` in each mapping item of the sequence `list`.
fn item_values(tree: &Tree, list: Option<NodeId>, key: &str) -> Vec<(String, NodeId)> {
    let Some(list) = list.map(|l| tree.resolve(l)) else {
        return Vec::new();
    };
    tree.items(list)
        .iter()
        .flat_map(|&item| strings(tree, tree.lookup(tree.resolve(item), key)))
        .collect()
}

fn kustomization(tree: &Tree, root: NodeId, line: &dyn Fn(usize) -> usize, out: &mut Declarations) {
    for (name, node) in item_values(tree, tree.lookup(root, "images"), "name") {
        let at = tree
            .scalar(node)
            .map_or(tree[node].span.start, |s| s.text.start);
        out.renames.push(Named {
            name,
            line: line(at),
        });
    }
    for key in ["resources", "components", "bases", "patchesStrategicMerge"] {
        out.includes.extend(
            strings(tree, tree.lookup(root, key))
                .into_iter()
                .map(|(s, _)| s),
        );
    }
    for key in ["patches", "patchesJson6902"] {
        out.includes.extend(
            item_values(tree, tree.lookup(root, key), "path")
                .into_iter()
                .map(|(s, _)| s),
        );
    }
}

/// One skaffold config (or profile): its built images and what it deploys.
fn skaffold(tree: &Tree, section: NodeId, line: &dyn Fn(usize) -> usize, out: &mut Declarations) {
    let at = |map: Option<NodeId>, key: &str| map.and_then(|m| tree.lookup(tree.resolve(m), key));
    let mut scope = Vec::new();
    for deploy in [at(Some(section), "manifests"), at(Some(section), "deploy")] {
        scope.extend(strings(tree, at(deploy, "rawYaml")));
        scope.extend(strings(tree, at(at(deploy, "kustomize"), "paths")));
        scope.extend(strings(tree, at(at(deploy, "kubectl"), "manifests")));
        scope.extend(item_values(
            tree,
            at(at(deploy, "helm"), "releases"),
            "chartPath",
        ));
    }
    let scope: Vec<String> = scope.into_iter().map(|(s, _)| s).collect();
    let build = at(Some(section), "build");
    let images = item_values(tree, at(build, "artifacts"), "image")
        .into_iter()
        .chain(item_values(tree, at(Some(section), "test"), "image"));
    for (name, node) in images {
        let span = tree
            .scalar(node)
            .map_or(tree[node].span.clone(), |s| s.text.clone());
        out.builds.push(Build {
            tool: "skaffold",
            name,
            matching: Match::Written,
            line: line(span.start),
            span,
            scope: scope.clone(),
        });
    }
}

/// `path` with `.` dropped and `..` applied, lexically.
pub(crate) fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// The directory of a scanned file's path.
fn dir_of(path: &Path) -> PathBuf {
    lexical(path.parent().unwrap_or(Path::new("")))
}

/// Whether `file` is `target`, below it, or matches it as a glob.
fn covers(target: &Path, file: &Path) -> bool {
    if file.starts_with(target) {
        return true;
    }
    let text = target.to_string_lossy();
    text.contains(['*', '?', '['])
        && globset::Glob::new(&text)
            .map(|g| g.compile_matcher().is_match(file))
            .unwrap_or(false)
}

/// Skips the references that the scanned files' declarations cover. See the module documentation.
pub fn apply(scan: &mut Scan) {
    let skips = skips(&scan.files);
    for ((i, j), (skip, declaration)) in skips {
        let found = &mut scan.files[i].refs[j];
        if declaration || matches!(found.status, Status::Unpinned(_)) {
            found.status = Status::Skipped(skip);
        }
    }
}

/// (file, candidate) → the skip it gets, and whether the candidate is the declaration itself (which gets it
/// whatever its status); the first declaration that covers a reference wins.
fn skips(files: &[ScannedFile]) -> HashMap<(usize, usize), (Skip, bool)> {
    let declared: Vec<Option<&Declarations>> =
        files.iter().map(|f| f.declarations.as_ref()).collect();
    let declared = &declared[..];
    // Absolute, so that files found from the repository's root and files named relative to the current
    // directory compare as the same paths.
    let cwd = std::env::current_dir().unwrap_or_default();
    let paths: Vec<Option<PathBuf>> = files
        .iter()
        .map(|f| f.path.as_deref().map(|p| lexical(&cwd.join(p))))
        .collect();
    let mut skips: HashMap<(usize, usize), (Skip, bool)> = HashMap::new();

    for (decl_file, decl) in declared.iter().enumerate() {
        let (Some(decl), Some(path)) = (decl, &paths[decl_file]) else {
            continue;
        };
        let dir = dir_of(path);
        let shown = &files[decl_file].display;
        for (j, found) in files[decl_file].refs.iter().enumerate() {
            if decl.unknown_builds.contains(&found.candidate.span) {
                let why = found.candidate.skip.clone().unwrap_or_default();
                skips.insert(
                    (decl_file, j),
                    (Skip::new(Code::BuiltNameUnknown, why), true),
                );
            }
        }
        for build in &decl.builds {
            let targets: Vec<PathBuf> = std::iter::once(dir.clone())
                .chain(build.scope.iter().map(|s| lexical(&dir.join(s))))
                .collect();
            let reason = format!("built by {} at {shown}:{}", build.tool, build.line);
            for (i, file) in files.iter().enumerate() {
                let Some(p) = &paths[i] else { continue };
                if !targets.iter().any(|t| covers(t, p)) {
                    continue;
                }
                for (j, found) in file.refs.iter().enumerate() {
                    let own = i == decl_file && found.candidate.span == build.span;
                    let named = matches!(&found.status,
                        Status::Unpinned(r) if build.matching.matches(&build.name, r));
                    if own {
                        // The declaration itself says so best.
                        let why = format!("built by {}", build.tool);
                        skips.insert((i, j), (Skip::new(Code::BuiltHere, why), true));
                    } else if named {
                        skips
                            .entry((i, j))
                            .or_insert_with(|| (Skip::new(Code::BuiltHere, reason.clone()), false));
                    }
                }
            }
        }
        if !decl.renames.is_empty() {
            for i in reachable(decl_file, declared, &paths) {
                for (j, found) in files[i].refs.iter().enumerate() {
                    let Status::Unpinned(r) = &found.status else {
                        continue;
                    };
                    if let Some(n) = decl.renames.iter().find(|n| n.name == r.name()) {
                        skips.entry((i, j)).or_insert_with(|| {
                            let why = format!("set by {shown}:{}", n.line);
                            (Skip::new(Code::SetByKustomization, why), false)
                        });
                    }
                }
            }
        }
    }
    skips
}

/// The files a kustomization includes, directly or through the kustomizations of included directories
/// (those kustomizations themselves are not in the answer).
fn reachable(
    kustomization: usize,
    declared: &[Option<&Declarations>],
    paths: &[Option<PathBuf>],
) -> Vec<usize> {
    let by_path: HashMap<&Path, usize> = paths
        .iter()
        .enumerate()
        .filter_map(|(i, p)| Some((p.as_deref()?, i)))
        .collect();
    let mut seen = HashSet::from([kustomization]);
    let mut stack = vec![kustomization];
    let mut out = Vec::new();
    while let Some(k) = stack.pop() {
        let (Some(decl), Some(path)) = (&declared[k], &paths[k]) else {
            continue;
        };
        let dir = dir_of(path);
        for include in &decl.includes {
            if include.contains("://") || include.contains("?ref=") {
                continue;
            }
            let target = lexical(&dir.join(include));
            let hit = by_path.get(target.as_path()).copied().or_else(|| {
                ["kustomization.yaml", "kustomization.yml", "Kustomization"]
                    .iter()
                    .find_map(|name| by_path.get(target.join(name).as_path()).copied())
            });
            let Some(hit) = hit else { continue };
            if !seen.insert(hit) {
                continue;
            }
            if paths[hit].as_deref().is_some_and(is_kustomization_name) {
                stack.push(hit);
            } else {
                out.push(hit);
            }
        }
    }
    out
}

fn is_kustomization_name(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
        matches!(
            n.to_ascii_lowercase().as_str(),
            "kustomization.yaml" | "kustomization.yml" | "kustomization"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The declarations read from a tree of what [`READS`] names are those of the whole tree.
    #[test]
    fn declarations_read_from_the_keys_they_name_are_those_of_the_whole_tree() {
        let cases = [
            "kind: Kustomization\nresources: [a.yaml, ../b]\ncomponents:\n- c\nbases: [d]\nimages:\n- name: nginx\n  newTag: '1'\n- {name: app}\npatches:\n- path: p.yaml\n  target: {kind: Deployment}\npatchesStrategicMerge: [s.yaml]\npatchesJson6902:\n- {path: j.yaml}\nlabels:\n  a: b\n  resources: not-a-list\n",
            "apiVersion: skaffold/v4beta6\nkind: Config\nbuild:\n  artifacts:\n  - image: app\n    context: .\n  - image: worker\ntest:\n- image: app\nmanifests:\n  rawYaml: [k8s/*.yaml]\n  kustomize: {paths: [overlays/dev]}\n  helm:\n    releases:\n    - {name: r, chartPath: charts/r}\ndeploy:\n  kubectl: {manifests: [m.yaml]}\nprofiles:\n- name: p\n  build:\n    artifacts: [{image: other}]\n  manifests: {rawYaml: p.yaml}\n- name: q\n  activation: [{env: X=1}]\n",
            "x: &a {rawYaml: [r.yaml]}\napiVersion: skaffold/v2\nmanifests:\n  <<: *a\ndeploy: *a\nbuild: {artifacts: [{image: i}]}\n",
        ];
        for src in cases {
            let pruned = declarations(Kind::Kustomize, src);
            assert!(pruned.is_some(), "{src}");
            let whole = tree::whole_trees(|| declarations(Kind::Kustomize, src));
            assert_eq!(pruned, whole, "{src}");
        }
        let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                    let src = std::fs::read_to_string(&path).unwrap();
                    let whole = tree::whole_trees(|| declarations(Kind::Kustomize, &src));
                    assert_eq!(declarations(Kind::Kustomize, &src), whole, "{path:?}");
                }
            }
        }
    }
}
