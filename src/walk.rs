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
    #[error("{path}: not a file kind pin reads (*.yaml, *.yml, Dockerfile, Containerfile, *.Dockerfile, Dockerfile.*)")]
    UnknownKind { path: PathBuf },
    #[error("{0}")]
    Walk(String),
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

/// Every file to read under `roots`, sorted by path, each once.
pub fn files(roots: &[PathBuf]) -> Result<Vec<(PathBuf, Kind)>, WalkError> {
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
        let found: Vec<_> = files(&[d.to_path_buf()])
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
        assert!(matches!(files(&[txt]), Err(WalkError::UnknownKind { .. })));
        assert!(matches!(
            files(&[dir.path().join("nope.yaml")]),
            Err(WalkError::Missing { .. })
        ));
    }
}
