//! What the project itself builds and renames: a pass over all scanned files, after every file was read.
//!
//! Some image names in a tree are not registry images at all:
//!
//! * **Skaffold** (`skaffold.yaml`, or any YAML document with `apiVersion: skaffold/…`, profiles included):
//!   every field of skaffold's schema that names an artifact the project builds names an image skaffold
//!   builds (it rejects them with a tag or digest): `build.artifacts[].image`,
//!   `build.artifacts[].requires[].image` (an artifact this one builds on, perhaps built by another config;
//!   its `alias` is a build argument, not an image), `test[].image`, `deploy.docker.images` (the artifacts
//!   the docker deployer runs) and the values of a Helm release's `artifactOverrides` (`values` before
//!   skaffold/v2beta4). They are skipped ("built by skaffold"). References with one of those names (the
//!   name as written, any tag) elsewhere are skipped too, naming the declaration ("built by skaffold at
//!   skaffold.yaml:12"), in the config's directory and below and in the paths its `manifests:` (or
//!   `deploy:`) section names: `rawYaml` globs, `kustomize.paths`, `helm.releases[].chartPath`,
//!   `kubectl.manifests`. `verify[].container.image` and `customActions` images are real and pinned,
//!   unless they name an artifact (skaffold then runs the build): the name rule skips those.
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
use crate::formats::{Kind, LineIndex, Project};

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
        "artifactOverrides",
        "values",
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
        "requires",
        "docker",
    ],
    whole_if: None,
};

/// What a file of `kind` with text `src` declares; `None` when nothing.
pub fn declarations(kind: Kind, src: &str) -> Option<Declarations> {
    let project = kind.info().project;
    if project == Project::Tiltfile {
        return tiltfile(src);
    }
    let mut out = Declarations::default();
    let is_kustomization = project == Project::Kustomization;
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

/// The scalar strings among the values of a mapping, at any depth (nested mappings and sequences).
fn scalars_under(tree: &Tree, id: Option<NodeId>, out: &mut Vec<(String, NodeId)>) {
    fn walk(tree: &Tree, id: NodeId, depth: usize, out: &mut Vec<(String, NodeId)>) {
        let id = tree.resolve(id);
        if let Some(s) = tree.str(id) {
            if !s.is_empty() {
                out.push((s.to_owned(), id));
            }
        } else if depth < 16 {
            let values = tree.entries(id).into_iter().map(|(_, v)| v);
            let items = tree.items(id).iter().copied();
            for v in values.chain(items).collect::<Vec<_>>() {
                walk(tree, v, depth + 1, out);
            }
        }
    }
    if let Some(id) = id {
        let id = tree.resolve(id);
        if tree.mapping(id).is_some() {
            walk(tree, id, 0, out);
        }
    }
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
    let artifacts = at(at(Some(section), "build"), "artifacts").map(|a| tree.resolve(a));
    let mut images = item_values(tree, artifacts, "image");
    // `requires[].image`: another artifact this one builds on (`alias` is the build argument or token
    // that stands for it, not an image).
    for &artifact in artifacts.map_or(&[][..], |a| tree.items(a)) {
        images.extend(item_values(tree, at(Some(artifact), "requires"), "image"));
    }
    images.extend(item_values(tree, at(Some(section), "test"), "image"));
    let deploy = at(Some(section), "deploy");
    // The docker deployer runs the artifacts it names.
    images.extend(strings(tree, at(at(deploy, "docker"), "images")));
    // Helm releases map chart values to artifacts: `artifactOverrides` (nested keys allowed), called
    // `values` before skaffold/v2beta4.
    for deploy in [at(Some(section), "manifests"), deploy] {
        let releases = at(at(deploy, "helm"), "releases").map(|r| tree.resolve(r));
        for &release in releases.map_or(&[][..], |r| tree.items(r)) {
            for key in ["artifactOverrides", "values"] {
                scalars_under(tree, at(Some(release), key), &mut images);
            }
        }
    }
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

/// Whether `target` (a path the declaration names) is a glob: it then also covers the files it matches.
fn is_glob(target: &Path) -> bool {
    target.to_string_lossy().contains(['*', '?', '['])
}

/// The leading components of a glob that hold no glob syntax: the text of every path the glob matches
/// begins with them, so the files it can match are those below that directory.
fn literal_prefix(glob: &Path) -> PathBuf {
    glob.components()
        .take_while(|c| {
            !c.as_os_str()
                .to_string_lossy()
                .contains(['*', '?', '[', ']', '{', '}', '\\'])
        })
        .collect()
}

/// The globs of the declarations that start in one directory, compiled once.
struct Globs {
    /// Every glob's text once, in order, with the builds that name it.
    texts: Vec<(String, Vec<usize>)>,
    /// All of them as one matcher; `None` when the set cannot be built (then each is tried alone).
    set: Option<globset::GlobSet>,
    /// Each glob alone (`None`: not a valid glob, which matches nothing), used without `set`.
    each: Vec<Option<globset::GlobMatcher>>,
}

impl Globs {
    fn compile(texts: Vec<(String, Vec<usize>)>) -> Globs {
        let parsed: Vec<Option<globset::Glob>> = texts
            .iter()
            .map(|(t, _)| globset::Glob::new(t).ok())
            .collect();
        let mut builder = globset::GlobSetBuilder::new();
        // Set index → text index: invalid globs are left out of the set.
        let mut valid = Vec::new();
        for (i, g) in parsed.iter().enumerate() {
            if let Some(g) = g {
                builder.add(g.clone());
                valid.push(i);
            }
        }
        match builder.build() {
            Ok(set) => {
                // Keep only the valid texts, in the set's order.
                let mut texts: Vec<Option<(String, Vec<usize>)>> =
                    texts.into_iter().map(Some).collect();
                let texts = valid.iter().filter_map(|&i| texts[i].take()).collect();
                Globs {
                    texts,
                    set: Some(set),
                    each: Vec::new(),
                }
            }
            Err(_) => Globs {
                texts,
                set: None,
                each: parsed
                    .into_iter()
                    .map(|g| g.map(|g| g.compile_matcher()))
                    .collect(),
            },
        }
    }

    /// Calls `hit` with the builds of every glob that matches `file`.
    fn matching(&self, file: &Path, scratch: &mut Vec<usize>, mut hit: impl FnMut(usize)) {
        match &self.set {
            Some(set) => {
                set.matches_into(file, scratch);
                for &g in scratch.iter() {
                    self.texts[g].1.iter().for_each(|&b| hit(b));
                }
            }
            None => {
                for (g, m) in self.each.iter().enumerate() {
                    if m.as_ref().is_some_and(|m| m.is_match(file)) {
                        self.texts[g].1.iter().for_each(|&b| hit(b));
                    }
                }
            }
        }
    }
}

/// For each build, given by its targets (its declaring file's directory, then its scope, each made lexical
/// against that directory), the files it covers, in file order. A target covers a file that is the target,
/// is below it, or (when the target holds glob syntax) matches it as a glob.
///
/// Targets are indexed by directory, so that a file looks only at the targets named by its own path and
/// its ancestors, and at the globs that begin there; each glob is compiled once, however many builds name
/// it. A target with no component (the current directory) covers every file, and so can a glob that
/// begins with its syntax (`*` matches `/` too), so both are tried for every file.
fn covered_files(paths: &[Option<PathBuf>], targets: &[Vec<PathBuf>]) -> Vec<Vec<usize>> {
    let mut literal: HashMap<&Path, Vec<usize>> = HashMap::new();
    let mut everywhere: Vec<usize> = Vec::new();
    let mut globs: HashMap<PathBuf, HashMap<String, Vec<usize>>> = HashMap::new();
    let mut order: HashMap<PathBuf, Vec<String>> = HashMap::new();
    for (b, targets) in targets.iter().enumerate() {
        for target in targets {
            if target.as_os_str().is_empty() {
                everywhere.push(b);
            } else {
                literal.entry(target.as_path()).or_default().push(b);
            }
            if is_glob(target) {
                let text = target.to_string_lossy().into_owned();
                let prefix = literal_prefix(target);
                let at = globs.entry(prefix.clone()).or_default();
                if !at.contains_key(&text) {
                    order.entry(prefix).or_default().push(text.clone());
                }
                at.entry(text).or_default().push(b);
            }
        }
    }
    let mut compiled: HashMap<PathBuf, Globs> = HashMap::new();
    for (prefix, mut texts) in globs {
        let order = order.remove(&prefix).unwrap_or_default();
        let texts = order
            .into_iter()
            .map(|t| {
                let builds = texts.remove(&t).unwrap_or_default();
                (t, builds)
            })
            .collect();
        compiled.insert(prefix, Globs::compile(texts));
    }
    // A glob with no literal directory can match any path, relative or absolute.
    let anywhere = compiled.remove(Path::new(""));

    let mut out = vec![Vec::new(); targets.len()];
    // The last file each build was given, so that a file is given once per build.
    let mut last = vec![usize::MAX; targets.len()];
    let mut scratch = Vec::new();
    for (i, path) in paths.iter().enumerate() {
        let Some(path) = path else { continue };
        let mut give = |b: usize| {
            if last[b] != i {
                last[b] = i;
                out[b].push(i);
            }
        };
        everywhere.iter().for_each(|&b| give(b));
        if let Some(g) = &anywhere {
            g.matching(path, &mut scratch, &mut give);
        }
        for dir in path.ancestors() {
            if dir.as_os_str().is_empty() {
                continue;
            }
            if let Some(builds) = literal.get(dir) {
                builds.iter().for_each(|&b| give(b));
            }
            if let Some(g) = compiled.get(dir) {
                g.matching(path, &mut scratch, &mut give);
            }
        }
    }
    out
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
    // Every build, in order, with what it covers.
    let mut targets: Vec<Vec<PathBuf>> = Vec::new();
    for (decl, path) in declared.iter().zip(&paths) {
        let (Some(decl), Some(path)) = (decl, path) else {
            continue;
        };
        let dir = dir_of(path);
        for build in &decl.builds {
            targets.push(
                std::iter::once(dir.clone())
                    .chain(build.scope.iter().map(|s| lexical(&dir.join(s))))
                    .collect(),
            );
        }
    }
    let covered = covered_files(&paths, &targets);
    let mut covered = covered.iter();
    let by_path: HashMap<&Path, usize> = paths
        .iter()
        .enumerate()
        .filter_map(|(i, p)| Some((p.as_deref()?, i)))
        .collect();
    let mut skips: HashMap<(usize, usize), (Skip, bool)> = HashMap::new();

    for (decl_file, decl) in declared.iter().enumerate() {
        let (Some(decl), Some(_)) = (decl, &paths[decl_file]) else {
            continue;
        };
        let shown = &files[decl_file].display;
        for (j, found) in files[decl_file].refs.iter().enumerate() {
            if decl.unknown_builds.contains(&found.candidate.span) {
                let why = found.candidate.skip.clone();
                skips.insert((decl_file, j), (Skip::BuiltNameUnknown(why), true));
            }
        }
        for build in &decl.builds {
            let covered = covered.next().expect("one entry per build");
            let at = format!("{shown}:{}", build.line);
            for &i in covered {
                for (j, found) in files[i].refs.iter().enumerate() {
                    let own = i == decl_file && found.candidate.span == build.span;
                    let named = matches!(&found.status,
                        Status::Unpinned(r) if build.matching.matches(&build.name, r));
                    if own {
                        // The declaration itself says so best.
                        let why = Skip::BuiltHere {
                            tool: build.tool.to_string(),
                            at: None,
                        };
                        skips.insert((i, j), (why, true));
                    } else if named {
                        skips.entry((i, j)).or_insert_with(|| {
                            (
                                Skip::BuiltHere {
                                    tool: build.tool.to_string(),
                                    at: Some(at.clone()),
                                },
                                false,
                            )
                        });
                    }
                }
            }
        }
        if !decl.renames.is_empty() {
            for i in reachable(decl_file, declared, &paths, &by_path) {
                for (j, found) in files[i].refs.iter().enumerate() {
                    let Status::Unpinned(r) = &found.status else {
                        continue;
                    };
                    if let Some(n) = decl.renames.iter().find(|n| n.name == r.name()) {
                        skips.entry((i, j)).or_insert_with(|| {
                            let at = format!("{shown}:{}", n.line);
                            (Skip::SetByKustomization { at }, false)
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
    by_path: &HashMap<&Path, usize>,
) -> Vec<usize> {
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

    /// A config with every field that names an artifact, in a profile too, and fields that do not.
    const FIELDS: &str = "\
apiVersion: skaffold/v2beta29
kind: Config
requires:
- path: ../base
build:
  artifacts:
  - image: app
    requires:
    - image: base
      alias: BASE
    - {image: tools, alias: TOOLS}
    jib: {fromImage: BASE}
  - image: worker
    docker: {cacheFrom: [worker, golang:1.22]}
test:
- image: app
verify:
- name: v
  container: {name: c, image: curlimages/curl:8.10.1}
deploy:
  docker:
    images: [app, base]
  helm:
    releases:
    - name: r
      chartPath: chart
      artifactOverrides:
        image: app
        sidecar: {image: worker, tag: ''}
      setValues: {proxy.image: envoyproxy/envoy:v1.31.0}
profiles:
- name: old
  deploy:
    helm:
      releases:
      - {name: r, chartPath: chart, values: {image: legacy}}
";

    /// Every field of skaffold's schema that names a built artifact is read, each where it is written;
    /// `alias`, `fromImage`, `cacheFrom`, `verify` and `setValues` are not among them.
    #[test]
    fn skaffold_fields_that_name_artifacts() {
        let d = declarations(Kind::Yaml, FIELDS).unwrap();
        let got: Vec<(&str, usize, &str)> = d
            .builds
            .iter()
            .map(|b| (b.name.as_str(), b.line, &FIELDS[b.span.clone()]))
            .collect();
        let want = [
            ("app", 7, "app"),
            ("worker", 13, "worker"),
            ("base", 9, "base"),
            ("tools", 11, "tools"),
            ("app", 16, "app"),
            ("app", 22, "app"),
            ("base", 22, "base"),
            ("app", 28, "app"),
            ("worker", 29, "worker"),
            ("legacy", 36, "legacy"),
        ];
        assert_eq!(got, want);
        assert!(d
            .builds
            .iter()
            .all(|b| b.tool == "skaffold" && b.matching == Match::Written && b.scope == ["chart"]));
    }

    /// The declarations read from a tree of what [`READS`] names are those of the whole tree.
    #[test]
    fn declarations_read_from_the_keys_they_name_are_those_of_the_whole_tree() {
        let cases = [
            "kind: Kustomization\nresources: [a.yaml, ../b]\ncomponents:\n- c\nbases: [d]\nimages:\n- name: nginx\n  newTag: '1'\n- {name: app}\npatches:\n- path: p.yaml\n  target: {kind: Deployment}\npatchesStrategicMerge: [s.yaml]\npatchesJson6902:\n- {path: j.yaml}\nlabels:\n  a: b\n  resources: not-a-list\n",
            "apiVersion: skaffold/v4beta6\nkind: Config\nbuild:\n  artifacts:\n  - image: app\n    context: .\n  - image: worker\ntest:\n- image: app\nmanifests:\n  rawYaml: [k8s/*.yaml]\n  kustomize: {paths: [overlays/dev]}\n  helm:\n    releases:\n    - {name: r, chartPath: charts/r}\ndeploy:\n  kubectl: {manifests: [m.yaml]}\nprofiles:\n- name: p\n  build:\n    artifacts: [{image: other}]\n  manifests: {rawYaml: p.yaml}\n- name: q\n  activation: [{env: X=1}]\n",
            "x: &a {rawYaml: [r.yaml]}\napiVersion: skaffold/v2\nmanifests:\n  <<: *a\ndeploy: *a\nbuild: {artifacts: [{image: i}]}\n",
        ];
        let cases = cases.iter().copied().chain([FIELDS]);
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

/// The indexed pass gives exactly the skips of the rule it replaced (every build tried against every file,
/// each glob compiled on each try), kept here as the oracle, on varied generated trees.
#[cfg(test)]
mod indexed {
    use super::*;
    use crate::app::scan::{read_one, Filters};
    use crate::report::Code;
    use crate::walk;

    /// The rule as first written: for each build, every file, each target tried in turn.
    fn quadratic_skips(files: &[ScannedFile]) -> HashMap<(usize, usize), (Skip, bool)> {
        // Each glob compiled once here too (the same matcher each time), or the oracle takes minutes.
        let mut compiled: HashMap<String, Option<globset::GlobMatcher>> = HashMap::new();
        let mut covers = |target: &Path, file: &Path| -> bool {
            if file.starts_with(target) {
                return true;
            }
            let text = target.to_string_lossy();
            text.contains(['*', '?', '['])
                && compiled
                    .entry(text.into_owned())
                    .or_insert_with_key(|t| globset::Glob::new(t).ok().map(|g| g.compile_matcher()))
                    .as_ref()
                    .is_some_and(|m| m.is_match(file))
        };
        let declared: Vec<Option<&Declarations>> =
            files.iter().map(|f| f.declarations.as_ref()).collect();
        let declared = &declared[..];
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
                    let why = found.candidate.skip.clone();
                    skips.insert((decl_file, j), (Skip::BuiltNameUnknown(why), true));
                }
            }
            for build in &decl.builds {
                let targets: Vec<PathBuf> = std::iter::once(dir.clone())
                    .chain(build.scope.iter().map(|s| lexical(&dir.join(s))))
                    .collect();
                let at = format!("{shown}:{}", build.line);
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
                            let why = Skip::BuiltHere {
                                tool: build.tool.to_string(),
                                at: None,
                            };
                            skips.insert((i, j), (why, true));
                        } else if named {
                            skips.entry((i, j)).or_insert_with(|| {
                                (
                                    Skip::BuiltHere {
                                        tool: build.tool.to_string(),
                                        at: Some(at.clone()),
                                    },
                                    false,
                                )
                            });
                        }
                    }
                }
            }
            if !decl.renames.is_empty() {
                let by_path: HashMap<&Path, usize> = paths
                    .iter()
                    .enumerate()
                    .filter_map(|(i, p)| Some((p.as_deref()?, i)))
                    .collect();
                for i in reachable(decl_file, declared, &paths, &by_path) {
                    for (j, found) in files[i].refs.iter().enumerate() {
                        let Status::Unpinned(r) = &found.status else {
                            continue;
                        };
                        if let Some(n) = decl.renames.iter().find(|n| n.name == r.name()) {
                            skips.entry((i, j)).or_insert_with(|| {
                                let at = format!("{shown}:{}", n.line);
                                (Skip::SetByKustomization { at }, false)
                            });
                        }
                    }
                }
            }
        }
        skips
    }

    /// A fixed sequence of choices (xorshift), so that each seed gives the same tree.
    struct Choices(u64);

    impl Choices {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
        fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
            from[self.below(from.len())]
        }
        fn some<'a>(&mut self, from: &[&'a str], most: usize) -> Vec<&'a str> {
            (0..1 + self.below(most)).map(|_| self.pick(from)).collect()
        }
    }

    /// Names the generated projects build and rename, and that their manifests use (with or without a tag
    /// or digest), so that declarations overlap and the first to cover a reference matters.
    const NAMES: &[&str] = &[
        "app",
        "web",
        "shop/api",
        "base",
        "worker",
        "ghcr.io/acme/tool",
    ];
    const DIGEST: &str = "@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn write(root: &Path, path: &str, text: &str) {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn manifest(c: &mut Choices) -> String {
        let mut out = String::from("apiVersion: v1\nkind: Pod\nspec:\n  containers:\n");
        for (i, name) in c.some(NAMES, 3).into_iter().enumerate() {
            let suffix = ["", ":1.2", ":dev", DIGEST][c.below(4)];
            let name = if name == "web" && c.below(3) == 0 {
                "docker.io/library/web"
            } else {
                name
            };
            out += &format!("  - name: c{i}\n    image: {name}{suffix}\n");
        }
        out += "  - name: real\n    image: nginx:1.27\n";
        out
    }

    /// Projects at various depths, each with some of: manifests, a skaffold config (scopes given as
    /// directories, files, globs of several shapes, other projects' directories, a helm chart, profiles),
    /// a Tiltfile (a known name with and without a tag, a name given by an expression), a kustomize base
    /// and overlay; manifests shared by all, and a config at the root whose glob covers every file.
    fn varied_tree(root: &Path, seed: u64) {
        let mut c = Choices(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let projects = 12 + c.below(12);
        let dirs: Vec<String> = (0..projects)
            .map(|p| match c.below(4) {
                0 => format!("p{p}"),
                1 => format!("group{}/p{p}", p % 3),
                2 => format!("group{}/sub/p{p}", p % 2),
                _ => format!("p{p}/deep"),
            })
            .collect();
        for s in 0..3 {
            write(root, &format!("shared/s{s}.yaml"), &manifest(&mut c));
        }
        write(root, "shared/more/s.yaml", &manifest(&mut c));
        for (p, dir) in dirs.iter().enumerate() {
            for m in 0..1 + c.below(3) {
                write(root, &format!("{dir}/k8s/m{m}.yaml"), &manifest(&mut c));
            }
            if c.below(2) == 0 {
                write(root, &format!("{dir}/deploy/app.yaml"), &manifest(&mut c));
            }
            let from = c.pick(NAMES);
            write(
                root,
                &format!("{dir}/Dockerfile"),
                &format!("FROM {from}\nFROM worker\n"),
            );
            if c.below(3) != 0 {
                let other = &dirs[c.below(dirs.len())];
                let up = "../".repeat(dir.matches('/').count() + 1);
                let scopes = [
                    "k8s/*.yaml".to_string(),
                    "k8s".into(),
                    "deploy/app.yaml".into(),
                    format!("{up}shared/**/*.yaml"),
                    "*.yaml".into(),
                    "[dk]*/*.y*ml".into(),
                    "k8s/m?.yaml".into(),
                    format!("{up}{other}/k8s"),
                    format!("{up}{other}/k8s/*.yaml"),
                    // Relative to the root, a glob with no literal directory: it can match anywhere.
                    format!("{up}*/k8s/*.yaml"),
                ];
                let mut scope = || scopes[c.below(scopes.len())].clone();
                let raw = (scope(), scope());
                let kustomize = scope();
                let kubectl = scope();
                let artifacts: Vec<String> = c
                    .some(NAMES, 3)
                    .iter()
                    .map(|n| format!("  - image: {n}\n"))
                    .collect();
                let test = c.pick(NAMES);
                let profile = c.pick(NAMES);
                let name = ["skaffold.yaml", "skaffold-dev.yaml"][c.below(2)];
                write(
                    root,
                    &format!("{dir}/{name}"),
                    &format!(
                        "apiVersion: skaffold/v4beta6\nkind: Config\nbuild:\n  artifacts:\n{}test:\n- image: {test}\nmanifests:\n  rawYaml: ['{}', '{}']\n  kustomize: {{paths: ['{kustomize}']}}\n  helm:\n    releases:\n    - {{name: r, chartPath: charts/c}}\ndeploy:\n  kubectl: {{manifests: ['{kubectl}']}}\nprofiles:\n- name: p\n  build:\n    artifacts: [{{image: {profile}}}]\n  manifests: {{rawYaml: [deploy/*]}}\n",
                        artifacts.concat(),
                        raw.0,
                        raw.1,
                    ),
                );
                if c.below(2) == 0 {
                    write(
                        root,
                        &format!("{dir}/charts/c/templates/d.yaml"),
                        &manifest(&mut c),
                    );
                }
            }
            if c.below(4) == 0 {
                let known = c.pick(NAMES);
                let tagged = c.pick(NAMES);
                write(
                    root,
                    &format!("{dir}/Tiltfile"),
                    &format!(
                        "docker_build('{known}', '.')\ndocker_build('{tagged}:dev', 'x')\ncustom_build(IMAGE, 'make', ['.'])\nk8s_yaml(['k8s/m0.yaml', '../p{p}/deploy/app.yaml'])\n"
                    ),
                );
            }
            if c.below(3) == 0 {
                let base = c.pick(NAMES);
                let overlay = c.pick(NAMES);
                write(
                    root,
                    &format!("{dir}/base/kustomization.yaml"),
                    &format!(
                        "resources: [deployment.yaml]\nimages:\n- name: {base}\n  newTag: '2'\n"
                    ),
                );
                write(
                    root,
                    &format!("{dir}/base/deployment.yaml"),
                    &manifest(&mut c),
                );
                write(
                    root,
                    &format!("{dir}/overlay/kustomization.yaml"),
                    &format!("resources: [../base, extra.yaml]\nimages:\n- name: {overlay}\n  newName: reg.example/{overlay}\n"),
                );
                write(
                    root,
                    &format!("{dir}/overlay/extra.yaml"),
                    &manifest(&mut c),
                );
            }
        }
        // At the root: a config that covers every file through its directory alone, or also through a
        // glob (`*` matches `/` too).
        let manifests = ["'shared'", "'*.yaml', 'shared'"][seed as usize % 2];
        write(
            root,
            "skaffold.yaml",
            &format!("apiVersion: skaffold/v2beta29\nkind: Config\nbuild:\n  artifacts:\n  - image: worker\ndeploy:\n  kubectl:\n    manifests: [{manifests}]\n"),
        );
    }

    /// The files of `root` as the scan reads them, before any declaration is applied.
    fn read_tree(root: &Path) -> Vec<ScannedFile> {
        let listing = walk::files(
            &[root.to_path_buf()],
            &walk::Excludes::new(&[]).unwrap(),
            false,
            &walk::ExtraNames::new(&[]).unwrap(),
        );
        assert!(listing.errors.is_empty(), "{:?}", listing.errors);
        listing
            .files
            .into_iter()
            .map(|(path, kind)| {
                let src = std::fs::read_to_string(&path).unwrap();
                let shown = path.strip_prefix(root).unwrap().display().to_string();
                read_one(Some(path), None, &shown, kind, src, &Filters::default()).unwrap()
            })
            .collect()
    }

    #[test]
    fn indexed_skips_are_those_of_trying_every_build_on_every_file() {
        // How many skips of each sort the trees gave, so that none of them is compared empty.
        let (mut own, mut built, mut set, mut unknown) = (0, 0, 0, 0);
        for seed in 1..=5 {
            let dir = tempfile::tempdir().unwrap();
            varied_tree(dir.path(), seed);
            let mut files = read_tree(dir.path());
            // The tree's root named from the current directory through `..` (as `pin ../../tmp/x` would).
            let cwd = std::env::current_dir().unwrap();
            let up: PathBuf = cwd.components().skip(1).map(|_| "..").collect();
            let from_cwd = up.join(dir.path().strip_prefix("/").unwrap());
            // Absolute paths as read; then relative to the root (read as relative to the current
            // directory, as if pin ran in the root); then half absolute and half through `..` from the
            // current directory, both forms naming the same files.
            for variant in 0..3 {
                for (i, f) in files.iter_mut().enumerate() {
                    let p = f.path.take().unwrap();
                    let p = [dir.path(), from_cwd.as_path()]
                        .iter()
                        .find_map(|root| p.strip_prefix(root).ok())
                        .map_or(p.clone(), Path::to_path_buf);
                    f.path = Some(match variant {
                        1 => p,
                        2 if i % 2 == 0 => from_cwd.join(p),
                        _ => dir.path().join(p),
                    });
                }
                let expected = quadratic_skips(&files);
                let got = skips(&files);
                let wrong: Vec<_> = expected
                    .iter()
                    .filter(|(k, v)| got.get(k) != Some(v))
                    .map(|(k, v)| (&files[k.0].display, k.1, v, got.get(k)))
                    .chain(
                        got.iter()
                            .filter(|(k, _)| !expected.contains_key(k))
                            .map(|(k, v)| (&files[k.0].display, k.1, v, None)),
                    )
                    .collect();
                assert!(
                    wrong.is_empty(),
                    "seed {seed}, variant {variant}: {wrong:#?}"
                );
                for (skip, declaration) in expected.values() {
                    match skip.code() {
                        Code::BuiltHere if *declaration => own += 1,
                        Code::BuiltHere => built += 1,
                        Code::SetByKustomization => set += 1,
                        Code::BuiltNameUnknown => unknown += 1,
                        other => panic!("{other:?}"),
                    }
                }
            }
        }
        assert!(
            own > 100 && built > 100 && set > 10 && unknown > 3,
            "{own} {built} {set} {unknown}"
        );
    }
}
