//! File discovery: the files `pin` reads under the paths it is given.
//!
//! Directories are walked with `.gitignore`, `.ignore` and `.git/info/exclude` honoured (also outside a git
//! checkout) and `.git` itself skipped. Hidden directories are entered, because `.github/workflows` and
//! `.gitlab-ci.yml` are where images live. Only files whose name gives a known [`Kind`] are kept; a file named
//! on the command line must have a known kind too, or it is an error (naming it was a mistake we can report).

use std::path::{Path, PathBuf};

use crate::formats::Kind;

#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    #[error("{path}: no such file or directory{}", subcommand_hint(path))]
    Missing { path: PathBuf },
    #[error("{path}: not a file kind pin reads ({})", crate::formats::file_names())]
    UnknownKind { path: PathBuf },
    #[error("{0}")]
    Walk(String),
    #[error("--exclude {glob:?}: {message}")]
    BadGlob { glob: String, message: String },
}

/// `pin -v resolve x` reads `resolve` as a path: options of a subcommand go after its name.
fn subcommand_hint(path: &Path) -> &'static str {
    match path.to_str() {
        Some("list" | "resolve" | "update") => {
            " (to run the subcommand, put it first: options go after it, e.g. `pin resolve -v REF`)"
        }
        _ => "",
    }
}

/// Every file to read under `roots`, sorted by path, each once. A file is left out when an `exclude` glob
/// matches its path as walked or its path below the root it was found under (so `vendor/**` works for any root).
pub fn files(roots: &[PathBuf], exclude: &[String]) -> Result<Vec<(PathBuf, Kind)>, WalkError> {
    let mut globs = globset::GlobSetBuilder::new();
    for g in exclude {
        let glob = globset::Glob::new(g).map_err(|e| WalkError::BadGlob {
            glob: g.clone(),
            message: e.kind().to_string(),
        })?;
        globs.add(glob);
    }
    let excluded = globs.build().map_err(|e| WalkError::Walk(e.to_string()))?;
    let mut out = Vec::new();
    for root in roots {
        let meta =
            std::fs::metadata(root).map_err(|_| WalkError::Missing { path: root.clone() })?;
        if meta.is_file() {
            let kind =
                Kind::detect(root).ok_or_else(|| WalkError::UnknownKind { path: root.clone() })?;
            out.push((root.clone(), kind));
            continue;
        }
        let walker = ignore::WalkBuilder::new(root)
            .hidden(false)
            .require_git(false)
            .filter_entry(|e| e.file_name() != ".git")
            .build();
        for entry in walker {
            let entry = entry.map_err(|e| WalkError::Walk(e.to_string()))?;
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
            if excluded.is_match(entry.path()) || excluded.is_match(rel) {
                continue;
            }
            if let Some(kind) = Kind::detect(entry.path()) {
                out.push((clean(entry.path()), kind));
            }
        }
    }
    out.sort();
    out.dedup_by(|a, b| a.0 == b.0);
    Ok(out)
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
    fn walks_hidden_dirs_skips_git_and_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for f in [
            "a.yaml",
            "sub/Dockerfile",
            ".github/workflows/ci.yml",
            ".git/config.yaml",
            "ignored/x.yaml",
            "notes.txt",
        ] {
            std::fs::create_dir_all(d.join(f).parent().unwrap()).unwrap();
            std::fs::write(d.join(f), "").unwrap();
        }
        std::fs::write(d.join(".gitignore"), "ignored/\n").unwrap();
        let found: Vec<_> = files(&[d.to_path_buf()], &[])
            .unwrap()
            .into_iter()
            .map(|(p, _)| p.strip_prefix(d).unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            found,
            [".github/workflows/ci.yml", "a.yaml", "sub/Dockerfile"]
        );
    }

    #[test]
    fn named_files_must_exist_and_have_a_kind() {
        let dir = tempfile::tempdir().unwrap();
        let txt = dir.path().join("notes.txt");
        std::fs::write(&txt, "").unwrap();
        assert!(matches!(
            files(&[txt], &[]),
            Err(WalkError::UnknownKind { .. })
        ));
        assert!(matches!(
            files(&[dir.path().join("nope.yaml")], &[]),
            Err(WalkError::Missing { .. })
        ));
    }

    #[test]
    fn exclude_globs_match_below_any_root() {
        let dir = tempfile::tempdir().unwrap();
        for f in ["keep.yaml", "vendor/a.yaml", "x/testdata/b.yaml"] {
            std::fs::create_dir_all(dir.path().join(f).parent().unwrap()).unwrap();
            std::fs::write(dir.path().join(f), "").unwrap();
        }
        let excl = ["vendor/**".to_string(), "**/testdata/**".to_string()];
        let found = files(&[dir.path().to_path_buf()], &excl).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(matches!(
            files(&[dir.path().to_path_buf()], &["a[".to_string()]),
            Err(WalkError::BadGlob { .. })
        ));
    }
}
