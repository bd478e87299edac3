//! Golden files: expected text kept in the repository and read by hand (`.refs` listings of the corpus, the
//! help snapshot, the docs' kinds table, `pin list` listings, report formats).
//!
//! A test renders what it checks as text and compares it with a file, byte for byte. A difference fails the
//! test with a line diff. With the environment variable [`BLESS`] (`PIN_BLESS=1`) set, each file that
//! differs is written with what the test got, and the test still fails, naming the files written: nothing
//! new passes unread. Read `git diff`, then run the test again.
//!
//! The unit tests use it as `crate::golden`; the integration tests include this same file from
//! `tests/common/mod.rs`, so it uses nothing of the crate, and its own tests are in `golden_tests.rs` (a test
//! module here would run again in every test binary).

// The integration tests each use part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The environment variable that writes the golden files which differ.
pub const BLESS: &str = "PIN_BLESS";

/// Whether this run writes the golden files that differ.
pub fn blessing() -> bool {
    std::env::var_os(BLESS).is_some_and(|v| !v.is_empty())
}

/// `path` below the package root (where `Cargo.toml` is).
pub fn path(rel: impl AsRef<Path>) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Several golden files checked in one test: every difference is collected, and [`Goldens::finish`]
/// fails with all of them.
#[must_use = "call finish, which fails the test on a difference"]
pub struct Goldens {
    bless: bool,
    differences: Vec<String>,
    written: Vec<PathBuf>,
}

impl Goldens {
    /// Writes the files that differ when [`BLESS`] is set.
    pub fn new() -> Goldens {
        Goldens::blessing_if(blessing())
    }

    /// Writes the files that differ when `bless` is true, whatever the environment says.
    pub fn blessing_if(bless: bool) -> Goldens {
        Goldens {
            bless,
            differences: Vec::new(),
            written: Vec::new(),
        }
    }

    /// Compares `got` with the file at `path` (absolute, or relative to the package root).
    pub fn check(&mut self, path: impl AsRef<Path>, got: &str) {
        self.check_with(path, got, "");
    }

    /// [`Goldens::check`], with `context` (the stderr of the run) shown under a difference.
    pub fn check_with(&mut self, path: impl AsRef<Path>, got: &str, context: &str) {
        let path = self::path(path);
        let want = match std::fs::read(&path) {
            Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => panic!("{}: {e}", path.display()),
        };
        if want.as_deref() == Some(got) {
            return;
        }
        let name = shown(&path);
        let mut message = match &want {
            Some(want) => format!("{name} differs (- file, + got):\n{}", diff(want, got)),
            None => format!("{name} is missing; the test got:\n{got}"),
        };
        if !context.is_empty() {
            message += &format!("--- {name}: stderr of the run\n{context}");
        }
        self.differences.push(message);
        if self.bless {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
            }
            std::fs::write(&path, got).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            self.written.push(path);
        }
    }

    /// Fails the test if any file differed, with every difference and the files written.
    #[track_caller]
    pub fn finish(self) {
        if self.differences.is_empty() {
            return;
        }
        let mut message = self.differences.join("\n");
        if self.written.is_empty() {
            message += &format!(
                "\n{} golden file(s) differ: read the diff; if the new text is right, run the test again \
                 with {BLESS}=1 to write it, then review `git diff`",
                self.differences.len()
            );
        } else {
            let names: Vec<String> = self.written.iter().map(|p| shown(p)).collect();
            message += &format!(
                "\n{BLESS} wrote {}: review `git diff`, then run the test again",
                names.join(", ")
            );
        }
        panic!("{message}");
    }
}

/// Compares `got` with the golden file at `path`: [`Goldens::check`] then [`Goldens::finish`].
#[track_caller]
pub fn assert_golden(path: impl AsRef<Path>, got: &str) {
    let mut goldens = Goldens::new();
    goldens.check(path, got);
    goldens.finish();
}

/// `path` as shown in messages: relative to the package root where it is below it.
fn shown(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// A unified line diff of `want` (the file) and `got`, with three lines of context.
fn diff(want: &str, got: &str) -> String {
    let diff = similar::TextDiff::from_lines(want, got);
    let mut out = diff.unified_diff().context_radius(3).to_string();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    if want.trim_end_matches('\n') == got.trim_end_matches('\n') {
        out += "(they differ only in final newlines)\n";
    }
    out
}
