//! The files `pin` owns (the tag → digest cache, the lockfile) are never written through a symbolic link,
//! and a repository's `pin.toml` cannot place the cache outside the repository.
//!
//! The threat: someone runs `pin` (a dry run!) in a clone of a repository another person controls. Each
//! test builds that clone in a temporary directory with real files and real links (also dangling ones)
//! pointing at files beside it, runs the real binary against a real registry (the harness), and checks
//! the bytes of every file outside the clone afterwards.

#![cfg(unix)]

mod common;
mod harness;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::stderr;
use harness::{Registry, Variant};

/// A clone (`repo/`, with `.git` so that configuration discovery stops there) and files beside it that
/// `pin` must never touch.
struct Clone {
    dir: tempfile::TempDir,
}

/// What a file outside the clone holds before any run.
const PRECIOUS: &str = "precious, not pin's\n";

impl Clone {
    fn new(host: &str) -> Clone {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("repo/.git")).unwrap();
        fs::write(dir.path().join("victim.txt"), PRECIOUS).unwrap();
        let clone = Clone { dir };
        clone.write("repo/app.yaml", &format!("image: {host}/team/app:v1\n"));
        clone
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn repo(&self) -> PathBuf {
        self.path("repo")
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }

    /// A symbolic link at `rel` (inside the clone) pointing at `target`, as written (relative to the link's
    /// directory when relative).
    fn link(&self, rel: &str, target: &str) {
        let p = self.path(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        symlink(target, p).unwrap();
    }

    /// `pin ARGS…` in the clone with a clean environment (`HOME` is the temporary directory, so the
    /// default cache directory lies there) plus `env`.
    fn pin(&self, host: &str, args: &[&str], env: &[(&str, &Path)]) -> Output {
        let mut cmd = common::command_with_home(&self.repo(), self.dir.path());
        cmd.args(["--insecure-registry", host]).args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        eprintln!(
            "pin {args:?}: {:?}\n--- stderr\n{}--- stdout\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        out
    }

    /// Every entry directly in the temporary directory, beside the clone.
    fn outside(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn assert_victim_untouched(&self) {
        assert_eq!(
            fs::read_to_string(self.path("victim.txt")).unwrap(),
            PRECIOUS,
            "the file outside the clone was written"
        );
    }
}

fn registry_with_app() -> Registry {
    let registry = Registry::start(Variant::Plain);
    registry.push_oci_image("team/app", "v1", "owned-files");
    registry
}

/// The error for a link where `pin` keeps its own file: names the path and says what it is.
fn assert_link_refused(out: &Output, shown: &str) {
    assert_eq!(out.status.code(), Some(2), "{}", stderr(out));
    let err = stderr(out);
    assert!(
        err.contains(&format!("{shown} is a symbolic link")),
        "no error naming {shown} as a link:\n{err}"
    );
}

// Guards issue 18.1: a repository's pin.toml switches the cache on in `c/`, where `tags-v1.json` is a link to
// a file outside the clone. A dry run must not overwrite that file: the link is refused, naming it.
#[test]
fn a_cache_file_linked_out_of_the_clone_is_refused() {
    let registry = registry_with_app();
    let host = registry.host();
    let clone = Clone::new(host);
    clone.write("repo/pin.toml", "cache = true\ncache-dir = \"c\"\n");
    clone.link("repo/c/tags-v1.json", "../../victim.txt");

    let out = clone.pin(host, &["app.yaml"], &[]);

    assert_link_refused(&out, "c/tags-v1.json");
    clone.assert_victim_untouched();
    assert!(fs::symlink_metadata(clone.path("repo/c/tags-v1.json"))
        .unwrap()
        .file_type()
        .is_symlink());
}

// Guards issue 18.1: a dangling link as the cache file would have its target created outside the clone.
#[test]
fn a_dangling_cache_link_creates_nothing() {
    let registry = registry_with_app();
    let host = registry.host();
    let clone = Clone::new(host);
    clone.write("repo/pin.toml", "cache = true\ncache-dir = \"c\"\n");
    clone.link("repo/c/tags-v1.json", "../../created.json");
    let before = clone.outside();

    let out = clone.pin(host, &["app.yaml"], &[]);

    assert_link_refused(&out, "c/tags-v1.json");
    assert_eq!(clone.outside(), before, "a file appeared beside the clone");
}

// Guards issue 18.1: a cache directory that is itself a link out of the clone is refused as well (no
// directory of a cache path a repository chose is followed).
#[test]
fn a_cache_directory_linked_out_of_the_clone_is_refused() {
    let registry = registry_with_app();
    let host = registry.host();
    let clone = Clone::new(host);
    fs::create_dir(clone.path("elsewhere")).unwrap();
    clone.write("repo/pin.toml", "cache = true\ncache-dir = \"state/c\"\n");
    clone.link("repo/state", "../elsewhere");

    let out = clone.pin(host, &["app.yaml"], &[]);

    assert_link_refused(&out, "state");
    assert_eq!(
        fs::read_dir(clone.path("elsewhere")).unwrap().count(),
        0,
        "written through the linked directory"
    );
}

// Guards issue 18.1: `cache-dir = "../x"` and an absolute path outside the user's cache directory are
// refused when the file is read, with its line; nothing is created outside the clone. An absolute path
// inside the user's cache directory is fine.
#[test]
fn a_repository_pin_toml_keeps_the_cache_inside_the_repository() {
    let registry = registry_with_app();
    let host = registry.host();
    let clone = Clone::new(host);
    let before = clone.outside();

    clone.write("repo/pin.toml", "cache = true\ncache-dir = \"../x\"\n");
    let out = clone.pin(host, &["app.yaml"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("pin.toml:2: error: cache-dir \"../x\""),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        clone.outside(),
        before,
        "a directory appeared beside the clone"
    );

    let abs = clone.path("abs");
    clone.write(
        "repo/pin.toml",
        &format!("cache = true\ncache-dir = {:?}\n", abs.to_str().unwrap()),
    );
    let out = clone.pin(host, &["app.yaml"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("pin.toml:2: error: cache-dir"),
        "{}",
        stderr(&out)
    );
    assert!(!abs.exists());

    // Inside the user's cache directory ($XDG_CACHE_HOME): allowed.
    let xdg = clone.path("xdg");
    let team = xdg.join("pin-team");
    clone.write(
        "repo/pin.toml",
        &format!("cache = true\ncache-dir = {:?}\n", team.to_str().unwrap()),
    );
    let out = clone.pin(host, &["app.yaml"], &[("XDG_CACHE_HOME", &xdg)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(team.join("tags-v1.json").is_file());

    // Inside the repository: allowed, and a second run answers from it.
    clone.write(
        "repo/pin.toml",
        "cache = true\ncache-dir = \".cache/pin\"\n",
    );
    let out = clone.pin(host, &["-v", "app.yaml"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = clone.pin(host, &["-v", "app.yaml"], &[]);
    assert!(
        stderr(&out).contains("requests: none; 1 answers from the cache"),
        "{}",
        stderr(&out)
    );
    clone.assert_victim_untouched();
}

// Guards issue 18.1: the same holds for a cache directory given on the command line: the file is never a
// link, whoever named the directory.
#[test]
fn a_cache_file_link_is_refused_under_a_command_line_cache_dir_too() {
    let registry = registry_with_app();
    let host = registry.host();
    let clone = Clone::new(host);
    clone.link("repo/c/tags-v1.json", "../../victim.txt");

    let out = clone.pin(host, &["--cache-dir", "c", "app.yaml"], &[]);

    assert_link_refused(&out, "c/tags-v1.json");
    clone.assert_victim_untouched();
}

// Guards issue 18.2: `--lock pin.lock` where the clone holds `pin.lock` as a dangling link: the target
// outside the clone is not created; the link is refused, named.
#[test]
fn a_dangling_lockfile_link_creates_nothing() {
    let registry = registry_with_app();
    let host = registry.host();
    let clone = Clone::new(host);
    clone.link("repo/pin.lock", "../made.json");
    let before = clone.outside();

    let out = clone.pin(host, &["--lock", "pin.lock", "app.yaml"], &[]);

    assert_link_refused(&out, "pin.lock");
    assert_eq!(clone.outside(), before, "a file appeared beside the clone");
}

// Guards issue 18.2: a lockfile that is a link to a lockfile outside the clone is neither read nor written,
// and neither is one under a directory of the clone that links out of it.
#[test]
fn a_lockfile_link_to_an_outside_lockfile_is_refused() {
    let registry = registry_with_app();
    let host = registry.host();
    let clone = Clone::new(host);
    let empty_lock = "{\n  \"version\": 1,\n  \"images\": {}\n}\n";
    clone.write("outside.lock", empty_lock);
    clone.link("repo/pin.lock", "../outside.lock");

    let out = clone.pin(host, &["--lock", "pin.lock", "app.yaml"], &[]);
    assert_link_refused(&out, "pin.lock");
    assert_eq!(
        fs::read_to_string(clone.path("outside.lock")).unwrap(),
        empty_lock
    );

    fs::create_dir(clone.path("elsewhere")).unwrap();
    clone.link("repo/locks", "../elsewhere");
    let out = clone.pin(host, &["--lock", "locks/pin.lock", "app.yaml"], &[]);
    assert_link_refused(&out, "locks");
    assert_eq!(fs::read_dir(clone.path("elsewhere")).unwrap().count(), 0);

    // The same path, written the long way (absolute, below the current directory), is no way around it.
    let long = clone.repo().join("locks/pin.lock");
    let out = clone.pin(host, &["--lock", long.to_str().unwrap(), "app.yaml"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is a symbolic link"),
        "{}",
        stderr(&out)
    );
    assert_eq!(fs::read_dir(clone.path("elsewhere")).unwrap().count(), 0);

    // A plain lockfile is still written.
    let out = clone.pin(host, &["--lock", "real.lock", "app.yaml"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = fs::read_to_string(clone.path("repo/real.lock")).unwrap();
    assert!(text.contains(&format!("{host}/team/app:v1")), "{text}");
}
