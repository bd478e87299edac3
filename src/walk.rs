//! File discovery: the files `pin` reads under the paths it is given.
//!
//! Directories are walked with `.gitignore`, `.ignore` and `.git/info/exclude` honoured (also outside a git
//! checkout) and `.git` itself skipped. Hidden directories are entered, because `.github/workflows` and
//! `.gitlab-ci.yml` are where images live. Only files whose name gives a known [`Kind`] are kept; a file named
//! on the command line must have a known kind too, or it is an error (naming it was a mistake we can report).
//! `--exclude` patterns have gitignore semantics ([`Excludes`]) and prune directories while walking. Symbolic
//! links met while walking are not followed. A path that cannot be walked or is not a regular file is an
//! error for that path alone: the walk goes on.

use std::path::{Path, PathBuf};

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::Match;

use crate::formats::Kind;

#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    /// A path named like a command word stops the run before the walk (`settings`).
    #[error("{path}: no such file or directory")]
    Missing { path: PathBuf },
    #[error("{path}: not a file kind pin reads ({})", crate::formats::file_names())]
    UnknownKind { path: PathBuf },
    #[error("{path}: not a regular file (a fifo, socket or device); not read")]
    NotRegular { path: PathBuf },
    #[error("{path}: a temporary file left by an interrupted `pin -w`; not read")]
    Leftover { path: PathBuf },
    #[error("{0}")]
    Walk(String),
    #[error("--exclude {glob:?}: {message}")]
    BadGlob { glob: String, message: String },
}

/// What a walk found: the files to read, sorted by path, each once, and the paths that could not be
/// walked or read (each reported on its own; the others are still read).
#[derive(Debug, Default)]
pub struct Listing {
    pub files: Vec<(PathBuf, Kind)>,
    /// Temporary files a killed `pin -w` left behind (`.NAME.pin-PID-N.tmp`): never read.
    pub leftovers: Vec<PathBuf>,
    pub errors: Vec<WalkError>,
}

/// `--exclude` patterns with gitignore semantics: `vendor` excludes every file or directory named `vendor`,
/// `/vendor` only the one at the top, `build/` only directories, `!keep.yaml` re-includes, `**` spans
/// directories. A pattern is matched against the path below the root it was found under and against the
/// path relative to the current directory; the first that decides wins.
///
/// Patterns from a configuration file are relative to its directory, as a `.gitignore` there would be
/// ([`Excludes::relative_to`]).
pub struct Excludes {
    cwd: std::sync::Arc<Gitignore>,
    patterns: Vec<String>,
    /// Match below each walked root as well (patterns given as flags).
    below_roots: bool,
}

impl Excludes {
    pub fn new(patterns: &[String]) -> Result<Excludes, WalkError> {
        let cwd = std::env::current_dir().unwrap_or_default();
        Ok(Excludes {
            cwd: std::sync::Arc::new(matcher(&cwd, patterns)?),
            patterns: patterns.to_vec(),
            below_roots: true,
        })
    }

    /// Patterns relative to `base` only (an absolute directory: the configuration file's).
    pub fn relative_to(patterns: &[String], base: &Path) -> Result<Excludes, WalkError> {
        Ok(Excludes {
            cwd: std::sync::Arc::new(matcher(base, patterns)?),
            patterns: patterns.to_vec(),
            below_roots: false,
        })
    }

    fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Whether `path` or a directory above it is excluded (for a path named on the command line).
    /// Below the patterns' directory the path is matched relative to it; a path elsewhere is matched as
    /// written, so only patterns without a slash (`vendor`) can match it.
    fn excludes_named(&self, path: &Path, is_dir: bool) -> bool {
        let mut dir = is_dir;
        let path = absolute(path);
        let root = self.cwd.path();
        let under = path.starts_with(root);
        for p in path.ancestors().take_while(|p| {
            if under {
                p.starts_with(root) && *p != root
            } else {
                p.parent().is_some()
            }
        }) {
            match self.cwd.matched(p, dir) {
                Match::Ignore(_) => return true,
                Match::Whitelist(_) => return false,
                Match::None => {}
            }
            dir = true;
        }
        false
    }
}

fn matcher(root: &Path, patterns: &[String]) -> Result<Gitignore, WalkError> {
    let mut builder = GitignoreBuilder::new(root);
    for p in patterns {
        builder.add_line(None, p).map_err(|e| WalkError::BadGlob {
            glob: p.clone(),
            message: glob_message(&e),
        })?;
    }
    builder.build().map_err(|e| WalkError::Walk(e.to_string()))
}

fn glob_message(e: &ignore::Error) -> String {
    match e {
        ignore::Error::Glob { err, .. } => err.clone(),
        other => other.to_string(),
    }
}

/// Extra file names per kind (the configuration file's `[files]` table), tried before the kind table. A
/// glob without `/` matches the file name; one with `/` the path below the walked root.
#[derive(Clone, Debug, Default)]
pub struct ExtraNames {
    rules: Vec<(globset::GlobMatcher, bool, Kind)>,
}

impl ExtraNames {
    pub fn new(rules: &[(Kind, String)]) -> Result<ExtraNames, WalkError> {
        let mut out = Vec::new();
        for (kind, glob) in rules {
            let matcher = globset::GlobBuilder::new(glob)
                .literal_separator(true)
                .build()
                .map_err(|e| WalkError::BadGlob {
                    glob: glob.clone(),
                    message: e.kind().to_string(),
                })?
                .compile_matcher();
            out.push((matcher, glob.contains('/'), *kind));
        }
        Ok(ExtraNames { rules: out })
    }

    /// The kind of `path` (found below `root`): an extra name first, then the kind table.
    pub fn detect(&self, path: &Path, root: &Path) -> Option<Kind> {
        let name = path.file_name().map(Path::new);
        let below = path.strip_prefix(root).unwrap_or(path);
        let below = below.strip_prefix(".").unwrap_or(below);
        self.rules
            .iter()
            .find(|(m, by_path, _)| {
                if *by_path {
                    m.is_match(below)
                } else {
                    name.is_some_and(|n| m.is_match(n))
                }
            })
            .map(|(_, _, kind)| *kind)
            .or_else(|| Kind::detect(path))
    }
}

/// Every file to read under `roots`. Excluded directories are pruned while walking, so they are never
/// read. A path named on the command line is always read, unless `force_exclude` is set and an exclude
/// pattern matches it (as ruff's `--force-exclude`: for hooks that pass every staged file by name).
pub fn files(
    roots: &[PathBuf],
    excludes: &Excludes,
    force_exclude: bool,
    names: &ExtraNames,
) -> Listing {
    let mut listing = Listing::default();
    for root in roots {
        let meta = match std::fs::metadata(root) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                listing
                    .errors
                    .push(WalkError::Missing { path: root.clone() });
                continue;
            }
            Err(e) => {
                listing
                    .errors
                    .push(WalkError::Walk(format!("{}: {e}", root.display())));
                continue;
            }
        };
        if force_exclude && excludes.excludes_named(root, meta.is_dir()) {
            continue;
        }
        if !meta.is_dir() {
            if is_leftover(root) {
                listing
                    .errors
                    .push(WalkError::Leftover { path: root.clone() });
                continue;
            }
            let dir = std::env::current_dir().unwrap_or_default();
            match names.detect(root, &dir) {
                None => listing
                    .errors
                    .push(WalkError::UnknownKind { path: root.clone() }),
                Some(_) if !meta.is_file() => listing
                    .errors
                    .push(WalkError::NotRegular { path: root.clone() }),
                Some(kind) => listing.files.push((root.clone(), kind)),
            }
            continue;
        }
        let below_root = if excludes.is_empty() || !excludes.below_roots {
            None
        } else {
            match matcher(root, &excludes.patterns) {
                Ok(m) => Some(m),
                Err(e) => {
                    listing.errors.push(e);
                    continue;
                }
            }
        };
        let cwd = std::sync::Arc::clone(&excludes.cwd);
        let walker = ignore::WalkBuilder::new(root)
            .hidden(false)
            .require_git(false)
            .filter_entry(move |e| {
                if e.file_name() == ".git" {
                    return false;
                }
                let is_dir = e.file_type().is_some_and(|t| t.is_dir());
                let below = below_root
                    .as_ref()
                    .map_or(Match::None, |m| m.matched(e.path(), is_dir));
                match below {
                    Match::Ignore(_) => false,
                    Match::Whitelist(_) => true,
                    Match::None => !cwd.matched(absolute(e.path()), is_dir).is_ignore(),
                }
            })
            .build();
        for entry in walker {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    listing.errors.push(WalkError::Walk(e.to_string()));
                    continue;
                }
            };
            let Some(file_type) = entry.file_type() else {
                continue;
            };
            if file_type.is_dir() {
                continue;
            }
            if is_leftover(entry.path()) {
                listing.leftovers.push(clean(entry.path()));
                continue;
            }
            let Some(kind) = names.detect(entry.path(), root) else {
                continue;
            };
            // Symbolic links met while walking are not followed (as ripgrep does by default); a fifo named
            // `x.yaml` would block the read forever, and a device is not a text file.
            if file_type.is_file() {
                listing.files.push((clean(entry.path()), kind));
            } else if !file_type.is_symlink() {
                listing.errors.push(WalkError::NotRegular {
                    path: clean(entry.path()),
                });
            }
        }
    }
    listing.files.sort();
    listing.files.dedup_by(|a, b| a.0 == b.0);
    listing
}

/// `path` made absolute against the current directory, so that a matcher rooted at an absolute directory
/// can strip its root from it.
fn absolute(path: &Path) -> std::borrow::Cow<'_, Path> {
    if path.is_absolute() {
        path.into()
    } else {
        std::env::current_dir()
            .unwrap_or_default()
            .join(path.strip_prefix(".").unwrap_or(path))
            .into()
    }
}

/// The path of `file` relative to the root of the git repository that holds it, `/`-separated, or `None`
/// outside one. The root is the nearest directory at or above the file's (with symbolic links resolved)
/// that holds a `.git` directory, or a `.git` file as a worktree or a submodule has; no git is run.
pub fn repository_path(file: &Path) -> Option<String> {
    let name = file.file_name()?;
    let absolute = absolute(file);
    let parent = absolute.parent()?.canonicalize().ok()?;
    let root = parent.ancestors().find(|d| d.join(".git").exists())?;
    let rel = parent.strip_prefix(root).ok()?.join(name);
    Some(rel.to_string_lossy().replace('\\', "/"))
}

/// The root of the git repository holding `path` (a file or directory), canonical, or `None` outside one:
/// the nearest directory at or above it that holds a `.git` directory or file.
pub fn repository_root(path: &Path) -> Option<PathBuf> {
    let absolute = absolute(path);
    let start = if absolute.is_dir() {
        absolute.canonicalize().ok()?
    } else {
        absolute.parent()?.canonicalize().ok()?
    };
    start
        .ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// A temporary file of a `pin -w` run, whatever kind its name would otherwise give.
fn is_leftover(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| crate::rewrite::temp_file_owner(n).is_some())
}

/// `./x/y` → `x/y`, so that paths print the way users type them.
fn clean(p: &Path) -> PathBuf {
    p.strip_prefix(".")
        .map_or_else(|_| p.to_path_buf(), Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_paths_start_at_the_nearest_git_dir_or_file() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::create_dir_all(root.join("sub/deep")).unwrap();
        std::fs::create_dir_all(root.join("wt/x")).unwrap();
        std::fs::write(root.join("wt/.git"), "gitdir: ../.git/worktrees/wt\n").unwrap();
        assert_eq!(
            repository_path(&root.join("sub/deep/../Dockerfile")).as_deref(),
            Some("sub/Dockerfile")
        );
        assert_eq!(
            repository_path(&root.join("Dockerfile")).as_deref(),
            Some("Dockerfile")
        );
        assert_eq!(
            repository_path(&root.join("wt/x/a.yaml")).as_deref(),
            Some("x/a.yaml")
        );
        std::fs::create_dir_all(dir.path().join("plain")).unwrap();
        assert_eq!(repository_path(&dir.path().join("plain/a.yaml")), None);
    }

    #[test]
    fn a_missing_path_says_so() {
        let e = WalkError::Missing {
            path: "deploy".into(),
        }
        .to_string();
        assert_eq!(e, "deploy: no such file or directory");
    }

    fn tree(files: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for f in files {
            let p = dir.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "").unwrap();
        }
        dir
    }

    fn found(dir: &Path, exclude: &[&str]) -> Vec<String> {
        let excl: Vec<String> = exclude.iter().map(|s| s.to_string()).collect();
        let listing = files(
            &[dir.to_path_buf()],
            &Excludes::new(&excl).unwrap(),
            false,
            &ExtraNames::default(),
        );
        assert!(listing.errors.is_empty(), "{:?}", listing.errors);
        listing
            .files
            .into_iter()
            .map(|(p, _)| p.strip_prefix(dir).unwrap().to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn walks_hidden_dirs_skips_git_and_ignored() {
        let dir = tree(&[
            "a.yaml",
            "sub/Dockerfile",
            ".github/workflows/ci.yml",
            ".git/config.yaml",
            "ignored/x.yaml",
            "notes.txt",
        ]);
        std::fs::write(dir.path().join(".gitignore"), "ignored/\n").unwrap();
        assert_eq!(
            found(dir.path(), &[]),
            [".github/workflows/ci.yml", "a.yaml", "sub/Dockerfile"]
        );
    }

    #[test]
    fn named_files_must_exist_and_have_a_kind_and_the_others_are_still_listed() {
        let dir = tree(&["notes.txt", "ok.yaml"]);
        let none = Excludes::new(&[]).unwrap();
        let listing = files(
            &[
                dir.path().join("notes.txt"),
                dir.path().join("nope.yaml"),
                dir.path().join("ok.yaml"),
            ],
            &none,
            false,
            &ExtraNames::default(),
        );
        assert!(matches!(
            listing.errors.as_slice(),
            [WalkError::UnknownKind { .. }, WalkError::Missing { .. }]
        ));
        assert_eq!(listing.files.len(), 1);
    }

    #[test]
    fn exclude_globs_match_below_any_root() {
        let dir = tree(&["keep.yaml", "vendor/a.yaml", "x/testdata/b.yaml"]);
        assert_eq!(
            found(dir.path(), &["vendor/**", "**/testdata/**"]),
            ["keep.yaml"]
        );
        assert!(matches!(
            Excludes::new(&["a{b".to_string()]),
            Err(WalkError::BadGlob { .. })
        ));
    }

    #[test]
    fn excludes_have_gitignore_semantics() {
        let dir = tree(&[
            "vendor/a.yaml",
            "deep/er/vendor/b.yaml",
            "deep/vendor.yaml",
            "build/c.yaml",
            "src/build",
            "k/keep.yaml",
            "k/drop.yaml",
            "top.yaml",
            "sub/top.yaml",
        ]);
        // A bare name excludes every directory (and file) of that name, at any depth.
        assert_eq!(
            found(dir.path(), &["vendor"]),
            [
                "build/c.yaml",
                "deep/vendor.yaml",
                "k/drop.yaml",
                "k/keep.yaml",
                "sub/top.yaml",
                "top.yaml"
            ]
        );
        // A trailing slash means directories only; a leading slash anchors at the root; `!` re-includes.
        let kept = found(
            dir.path(),
            &["build/", "/top.yaml", "k/*.yaml", "!k/keep.yaml"],
        );
        assert_eq!(
            kept,
            [
                "deep/er/vendor/b.yaml",
                "deep/vendor.yaml",
                "k/keep.yaml",
                "sub/top.yaml",
                "vendor/a.yaml"
            ]
        );
    }

    #[cfg(unix)]
    #[test]
    fn an_excluded_directory_is_never_walked() {
        // A fifo inside it would be reported if the walk entered the directory.
        let dir = tree(&["ok.yaml"]);
        std::fs::create_dir(dir.path().join("pipes")).unwrap();
        let fifo = dir.path().join("pipes/p.yaml");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        let none = Excludes::new(&[]).unwrap();
        assert_eq!(
            files(
                &[dir.path().to_path_buf()],
                &none,
                false,
                &ExtraNames::default()
            )
            .errors
            .len(),
            1
        );
        assert_eq!(found(dir.path(), &["pipes"]), ["ok.yaml"]);
    }

    #[test]
    fn named_paths_are_excluded_only_with_force_exclude() {
        let dir = tree(&["vendor/a.yaml", "b.yaml"]);
        let excl = Excludes::new(&["vendor".to_string()]).unwrap();
        let named = [dir.path().join("vendor/a.yaml"), dir.path().join("b.yaml")];
        assert_eq!(
            files(&named, &excl, false, &ExtraNames::default())
                .files
                .len(),
            2
        );
        let forced = files(&named, &excl, true, &ExtraNames::default()).files;
        assert_eq!(forced.len(), 1);
        assert!(forced[0].0.ends_with("b.yaml"));
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_with_a_yaml_name_is_an_error_for_that_path_only() {
        let dir = tree(&["ok.yaml"]);
        let fifo = dir.path().join("pipe.yaml");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        let none = Excludes::new(&[]).unwrap();
        let walked = files(
            &[dir.path().to_path_buf()],
            &none,
            false,
            &ExtraNames::default(),
        );
        assert!(
            matches!(walked.errors.as_slice(), [WalkError::NotRegular { path }] if path.ends_with("pipe.yaml")),
            "{:?}",
            walked.errors
        );
        assert_eq!(walked.files.len(), 1);
        let named = files(&[fifo], &none, false, &ExtraNames::default());
        assert!(matches!(
            named.errors.as_slice(),
            [WalkError::NotRegular { .. }]
        ));
    }

    #[test]
    fn extra_names_give_kinds_before_the_table() {
        let dir = tree(&[
            "build/Dockerfile.tmpl.in",
            "ci/pipeline.conf",
            "a.yaml",
            "notes.txt",
        ]);
        let names = ExtraNames::new(&[
            (Kind::Dockerfile, "*.tmpl.in".to_string()),
            (Kind::Yaml, "ci/*.conf".to_string()),
        ])
        .unwrap();
        let none = Excludes::new(&[]).unwrap();
        let listing = files(&[dir.path().to_path_buf()], &none, false, &names);
        let got: Vec<(String, Kind)> = listing
            .files
            .into_iter()
            .map(|(p, k)| {
                (
                    p.strip_prefix(dir.path())
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                    k,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("a.yaml".to_string(), Kind::Yaml),
                ("build/Dockerfile.tmpl.in".to_string(), Kind::Dockerfile),
                ("ci/pipeline.conf".to_string(), Kind::Yaml),
            ]
        );
    }
}
