//! Writing safely: the `pin` binary with `-w` while the tree changes under it or a signal arrives.
//!
//! A registry from `fake_registry` holds the lookups behind a [`Gate`] while the test edits the tree or
//! signals the process, so each race happens at the one moment it matters: after the files were read,
//! before they are written. Digests come from the bytes the fake serves, hashed here.

// Shared with `faults.rs`; this crate uses only part of it.
#[allow(dead_code)]
mod fake_registry;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;

use fake_registry::{FakeRegistry, Gate, Kind, Reply, Request, Response};
use sha2::{Digest as _, Sha256};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

fn manifest_body(repository: &str, tag: &str) -> Vec<u8> {
    format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{}","size":2}},"layers":[],"annotations":{{"for":"{repository}:{tag}"}}}}"#,
        "0".repeat(64)
    )
    .into_bytes()
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// A well-behaved registry whose manifest answers wait behind `gate`.
fn gated_registry(gate: &Arc<Gate>) -> FakeRegistry {
    let gate = Arc::clone(gate);
    FakeRegistry::start(move |req: &Request| match req.kind {
        Kind::Ping => Response::new(200).body("{}").into(),
        Kind::HeadManifest | Kind::GetManifest => {
            gate.hold();
            let (repo, tag) = req.manifest().expect("manifest path");
            let body = manifest_body(repo, tag);
            Reply::Respond(
                Response::new(200)
                    .header("Content-Type", OCI_MANIFEST)
                    .header("Docker-Content-Digest", &sha256(&body))
                    .body(body),
            )
        }
        Kind::Token | Kind::Other => Response::new(404).into(),
    })
}

/// A temporary directory holding the tree `pin` runs in (`tree/`) and files beside it that it must never
/// touch.
struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn new() -> Project {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("tree")).unwrap();
        Project { dir }
    }

    fn tree(&self) -> PathBuf {
        self.dir.path().join("tree")
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.path(rel), text).unwrap();
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap()
    }

    /// Every name in the project, sorted: shows a stray temporary file.
    fn names(&self) -> Vec<String> {
        let mut names = Vec::new();
        for dir in [self.dir.path().to_path_buf(), self.tree()] {
            for e in std::fs::read_dir(&dir).unwrap() {
                let e = e.unwrap();
                let rel = e.path().strip_prefix(self.dir.path()).unwrap().to_owned();
                names.push(rel.to_string_lossy().into_owned());
            }
        }
        names.sort();
        names
    }
}

/// Starts `pin --insecure-registry HOST ARGS…` in `project/tree` with a clean environment.
fn spawn(project: &Project, reg: &FakeRegistry, args: &[&str]) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pin"));
    cmd.current_dir(project.tree())
        .env_clear()
        .env("HOME", project.dir.path())
        .args(["--insecure-registry", &reg.host()])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd.spawn().expect("start pin")
}

fn finish(child: Child) -> (Output, String) {
    let out = child.wait_with_output().expect("wait for pin");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    eprintln!("pin: {:?}\n--- stderr\n{stderr}", out.status);
    (out, stderr)
}

fn dockerfile(host: &str, repo: &str) -> String {
    format!("FROM {host}/{repo}:v1\nRUN true\n")
}

// Guards concurrent edits: a line an editor appends while lookups run is neither lost nor
// overwritten; pin refuses that file by name, exits 2 and writes none of the others.
#[test]
fn a_line_appended_while_lookups_run_is_kept_and_nothing_is_written() {
    let project = Project::new();
    let gate = Gate::new();
    let reg = gated_registry(&gate);
    let host = reg.host();
    let a = dockerfile(&host, "team/a");
    let b = dockerfile(&host, "team/b");
    project.write("tree/Dockerfile", &a);
    project.write("tree/b.Dockerfile", &b);
    let child = spawn(&project, &reg, &["-w", "."]);
    gate.wait_for_arrival();
    let edited = format!("{a}RUN echo added while pin waited\n");
    project.write("tree/Dockerfile", &edited);
    gate.open();
    let (out, stderr) = finish(child);

    assert_eq!(out.status.code(), Some(2), "exit status");
    assert!(
        stderr.contains("Dockerfile was modified since it was read"),
        "{stderr}"
    );
    assert!(stderr.contains("no file was changed"), "{stderr}");
    assert_eq!(project.read("tree/Dockerfile"), edited, "the edit is kept");
    assert_eq!(project.read("tree/b.Dockerfile"), b, "fail closed");
    assert_eq!(
        project.names(),
        ["tree", "tree/Dockerfile", "tree/b.Dockerfile"]
    );
}

// Guards against writing outside the tree: a file swapped for a symbolic link to `../victim` while lookups
// run (the victim even holding the same text) is refused; the victim is untouched and nothing is written.
#[cfg(unix)]
#[test]
fn a_file_swapped_for_a_link_outside_the_tree_is_not_followed() {
    let project = Project::new();
    let gate = Gate::new();
    let reg = gated_registry(&gate);
    let host = reg.host();
    let a = dockerfile(&host, "team/a");
    let b = dockerfile(&host, "team/b");
    project.write("tree/Dockerfile", &a);
    project.write("tree/b.Dockerfile", &b);
    project.write("victim", &a);
    let child = spawn(&project, &reg, &["-w", "."]);
    gate.wait_for_arrival();
    std::fs::remove_file(project.path("tree/Dockerfile")).unwrap();
    std::os::unix::fs::symlink(Path::new("../victim"), project.path("tree/Dockerfile")).unwrap();
    gate.open();
    let (out, stderr) = finish(child);

    assert_eq!(out.status.code(), Some(2), "exit status");
    assert!(
        stderr.contains("Dockerfile is now a symbolic link"),
        "{stderr}"
    );
    assert_eq!(project.read("victim"), a, "written outside the tree");
    assert_eq!(project.read("tree/b.Dockerfile"), b, "fail closed");
    assert_eq!(
        project.names(),
        ["tree", "tree/Dockerfile", "tree/b.Dockerfile", "victim"]
    );
}

// Guards the documented link behaviour next to the check above: a symbolic link present when the tree was
// read is written through (its target in the tree gets the pin, the link stays).
#[cfg(unix)]
#[test]
fn a_link_present_when_read_is_written_through() {
    let project = Project::new();
    let gate = Gate::new();
    let reg = gated_registry(&gate);
    let host = reg.host();
    std::fs::create_dir(project.path("tree/base")).unwrap();
    project.write("tree/base/app.Dockerfile", &dockerfile(&host, "team/a"));
    std::os::unix::fs::symlink(
        Path::new("base/app.Dockerfile"),
        project.path("tree/Dockerfile"),
    )
    .unwrap();
    gate.open();
    let child = spawn(&project, &reg, &["-w", "Dockerfile"]);
    let (out, stderr) = finish(child);

    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let digest = sha256(&manifest_body("team/a", "v1"));
    assert_eq!(
        project.read("tree/base/app.Dockerfile"),
        format!("FROM {host}/team/a@{digest}\nRUN true\n")
    );
    assert!(std::fs::symlink_metadata(project.path("tree/Dockerfile"))
        .unwrap()
        .file_type()
        .is_symlink());
}
