//! Helpers that the integration tests share (`mod common;` in a test file): the built `pin` run in a clean
//! environment, its streams as text, trees written, copied and compared, and the golden files.
//!
//! The registry (`tests/harness`) and the misbehaving registry (`tests/fake_registry`) stay modules of their
//! own: a test file that needs one declares it beside this one.

// Each test binary compiles this module on its own and uses only part of it.
#![allow(dead_code)]

/// The golden-file check the unit tests use too (`PIN_BLESS=1` writes the files that differ).
#[path = "../../src/golden.rs"]
pub mod golden;

use std::collections::BTreeMap;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The digest of `nginx:1.27` in [`lockfile`].
pub const DIGEST: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

/// A lockfile that resolves `nginx:1.27` to [`DIGEST`], for runs with `--offline`.
pub fn lockfile() -> String {
    format!(
        r#"{{"version": 1, "images": {{"docker.io/library/nginx:1.27": {{"digest": "{DIGEST}", "mediaType": "application/vnd.oci.image.index.v1+json"}}}}}}"#
    )
}

/// Files by their path relative to a tree's root.
pub type Files = BTreeMap<PathBuf, String>;

/// The built `pin`, to run in `cwd` with a clean environment: `PATH` is kept, `HOME` is `home`, and nothing
/// else of the caller's environment (no `DOCKER_CONFIG`, proxy or credentials) leaks in.
pub fn command_with_home(cwd: &Path, home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pin"));
    cmd.current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home);
    cmd
}

/// [`command_with_home`] with `HOME` at `cwd`.
pub fn command(cwd: &Path) -> Command {
    command_with_home(cwd, cwd)
}

/// `PATH` with the directory of the built `pin` first, for a program that runs `pin` by name.
pub fn path_with_pin() -> std::ffi::OsString {
    let bin = Path::new(env!("CARGO_BIN_EXE_pin")).parent().unwrap();
    std::env::join_paths(
        std::iter::once(bin.to_path_buf()).chain(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        )),
    )
    .unwrap()
}

/// Runs `pin ARGS…` in `cwd` with a clean environment and no input.
pub fn pin(cwd: &Path, args: &[&str]) -> Output {
    pin_env(cwd, args, &[])
}

/// [`pin`] with the variables `env` set.
pub fn pin_env(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    command(cwd)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

/// [`pin_env`] with `stdin` as its standard input.
pub fn pin_stdin(cwd: &Path, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let mut child = command(cwd)
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// `file:line kind status original` of every reference `pin list --format json` reports under `dir`.
pub fn listed(dir: &Path) -> Vec<String> {
    let o = pin(dir, &["list", "--format", "json", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON document");
    v["references"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{}:{} {} {} {}",
                r["file"].as_str().unwrap(),
                r["line"],
                r["kind"].as_str().unwrap(),
                r["status"].as_str().unwrap(),
                // A file passed over whole has no reference text.
                r["original"].as_str().unwrap_or("-")
            )
        })
        .collect()
}

/// Bytes as text, invalid UTF-8 replaced.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn stdout(o: &Output) -> String {
    text(&o.stdout)
}

pub fn stderr(o: &Output) -> String {
    text(&o.stderr)
}

/// Writes each `(path, text)` below `dir`, making the directories it needs.
pub fn write_files(dir: &Path, files: &[(&str, &str)]) {
    for (rel, body) in files {
        let path = dir.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, body).unwrap();
    }
}

/// The tree `files` in a new temporary directory.
pub fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), files);
    dir
}

/// Copies the tree `from` into `to` (made if missing).
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every file below `root`, relative to it, sorted.
pub fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// The bytes of every file below `dir`, to compare a tree before and after a run.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    files_under(dir)
        .into_iter()
        .map(|rel| {
            let bytes = fs::read(dir.join(&rel)).unwrap();
            (rel, bytes)
        })
        .collect()
}

/// A fixture tree of `tests/e2e/NAME`: its `in/` copied into a new temporary directory and its `out/` read,
/// each file through `expand` (which fills in the placeholders): (the directory, the inputs written, the
/// expected files).
pub fn fixture_tree(
    name: &str,
    expand: impl Fn(&str) -> String,
) -> (tempfile::TempDir, Files, Files) {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/e2e")
        .join(name);
    let (mut inputs, mut expected) = (Files::new(), Files::new());
    for rel in files_under(&root.join("in")) {
        let input = expand(&fs::read_to_string(root.join("in").join(&rel)).unwrap());
        let output = fs::read_to_string(root.join("out").join(&rel)).unwrap();
        let target = dir.path().join(&rel);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::write(&target, &input).unwrap();
        inputs.insert(rel.clone(), input);
        expected.insert(rel, expand(&output));
    }
    (dir, inputs, expected)
}

/// Each expected file equals the file of the same path below `dir`.
#[track_caller]
pub fn assert_tree(dir: &Path, expected: &Files) {
    for (rel, want) in expected {
        let got = fs::read_to_string(dir.join(rel)).unwrap();
        assert_eq!(
            &got,
            want,
            "{} differs from the expected file",
            rel.display()
        );
    }
}

/// [`pin`] with `--insecure-registry HOST` (after the `verify` subcommand when that comes first): the test
/// registry, on plain HTTP.
pub fn pin_insecure(host: &str, cwd: &Path, args: &[&str]) -> Output {
    let at = usize::from(args.first() == Some(&"verify"));
    let mut all = args.to_vec();
    all.splice(at..at, ["--insecure-registry", host]);
    pin(cwd, &all)
}
