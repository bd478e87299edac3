//! Writing safely: the `pin` binary with `-w` while the tree changes under it or a signal arrives.
//!
//! A registry from `fake_registry` holds the lookups behind a [`Gate`] while the test edits the tree or
//! signals the process, so each race happens at the one moment it matters: after the files were read,
//! before they are written. Digests come from the bytes the fake serves, hashed here.

mod common;
mod fake_registry;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;

use fake_registry::{
    manifest_body, sha256, FakeRegistry, Gate, Kind, Reply, Request, Response, OCI_MANIFEST,
};

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
    let host = reg.host();
    let mut all = vec!["--insecure-registry", &host];
    all.extend(args);
    spawn_raw(project, &all)
}

/// Starts `pin ARGS…` in `project/tree` with a clean environment.
fn spawn_raw(project: &Project, args: &[&str]) -> Child {
    common::command_with_home(&project.tree(), project.dir.path())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start pin")
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

// Guards the diff against a file edited while lookups run: files keep no text after the scan, so the diff is
// made from the file read again; bytes other than those searched are refused (exit 2, no diff at all), never
// diffed with spans that no longer fit them.
#[test]
fn a_dry_run_refuses_a_file_edited_while_lookups_run() {
    let project = Project::new();
    let gate = Gate::new();
    let reg = gated_registry(&gate);
    let host = reg.host();
    let a = dockerfile(&host, "team/a");
    let b = dockerfile(&host, "team/b");
    project.write("tree/Dockerfile", &a);
    project.write("tree/b.Dockerfile", &b);
    let child = spawn(&project, &reg, &["."]);
    gate.wait_for_arrival();
    let edited = format!("# a line above shifts every span\n{a}");
    project.write("tree/Dockerfile", &edited);
    gate.open();
    let (out, stderr) = finish(child);

    assert_eq!(out.status.code(), Some(2), "exit status");
    assert!(
        stderr.contains("Dockerfile was modified since it was read"),
        "{stderr}"
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "", "no diff");
    assert_eq!(project.read("tree/Dockerfile"), edited);
    assert_eq!(project.read("tree/b.Dockerfile"), b);
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
        format!("# pin: {host}/team/a:v1\nFROM {host}/team/a@{digest}\nRUN true\n")
    );
    assert!(std::fs::symlink_metadata(project.path("tree/Dockerfile"))
        .unwrap()
        .file_type()
        .is_symlink());
}

/// Sends `signal` (`INT`, `TERM`) to the process, as a user or a supervisor would.
#[cfg(unix)]
fn send(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} failed");
}

/// Whether a name is one of the temporary files `pin -w` stages (`.NAME.pin-PID-N.tmp`).
fn is_temp(name: &str) -> bool {
    name.rsplit('/')
        .next()
        .is_some_and(|n| n.starts_with('.') && n.contains(".pin-") && n.ends_with(".tmp"))
}

/// SIGINT or SIGTERM while lookups run: the conventional exit status, no file written, no temporary file.
#[cfg(unix)]
fn signal_while_lookups_run(signal: &str, code: i32, name: &str) {
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
    send(&child, signal);
    let (out, stderr) = finish(child);
    gate.open();

    assert_eq!(out.status.code(), Some(code), "exit status");
    assert!(
        stderr.contains(&format!("pin: interrupted by {name}; no file was written")),
        "{stderr}"
    );
    assert_eq!(project.read("tree/Dockerfile"), a);
    assert_eq!(project.read("tree/b.Dockerfile"), b);
    assert_eq!(
        project.names(),
        ["tree", "tree/Dockerfile", "tree/b.Dockerfile"]
    );
}

// Guards interrupts: Ctrl-C while registries are asked ends the run at once, exit 130, nothing written.
#[cfg(unix)]
#[test]
fn sigint_while_lookups_run_exits_130_and_writes_nothing() {
    signal_while_lookups_run("INT", 130, "SIGINT");
}

// Guards interrupts: a supervisor's SIGTERM, the same with exit 143.
#[cfg(unix)]
#[test]
fn sigterm_while_lookups_run_exits_143_and_writes_nothing() {
    signal_while_lookups_run("TERM", 143, "SIGTERM");
}

// Guards interrupts while files are staged: SIGTERM as soon as the first temporary file appears. The run
// either stops staging (no file changed) or, if the renames had begun, finishes them and names every file
// written; either way exit 143, no temporary file left, and no tree half old and half new.
#[cfg(unix)]
#[test]
fn sigterm_while_staging_leaves_no_temporary_file_and_no_half_tree() {
    const FILES: usize = 400;
    let project = Project::new();
    let gate = Gate::new();
    let reg = gated_registry(&gate);
    let host = reg.host();
    let old = dockerfile(&host, "team/a");
    for i in 0..FILES {
        project.write(&format!("tree/{i:03}.Dockerfile"), &old);
    }
    let child = spawn(&project, &reg, &["-w", "."]);
    gate.wait_for_arrival();
    gate.open();
    let started = std::time::Instant::now();
    while !project.names().iter().any(|n| is_temp(n)) {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "no temporary file appeared"
        );
    }
    send(&child, "TERM");
    let (out, stderr) = finish(child);

    assert_eq!(out.status.code(), Some(143), "exit status");
    let names = project.names();
    assert!(!names.iter().any(|n| is_temp(n)), "left behind: {names:?}");
    assert_eq!(names.len(), FILES + 1, "{names:?}");
    let new = format!(
        "FROM {host}/team/a@{}\nRUN true\n",
        sha256(&manifest_body("team/a", "v1"))
    );
    let written = (0..FILES)
        .filter(|i| project.read(&format!("tree/{i:03}.Dockerfile")) == new)
        .count();
    if stderr.contains("interrupted by SIGTERM; no file was changed") {
        assert_eq!(written, 0, "{stderr}");
    } else {
        assert!(
            stderr.contains(&format!(
                "the replacements were finished: {FILES} written: 000.Dockerfile, 001.Dockerfile"
            )),
            "{stderr}"
        );
        assert_eq!(written, FILES, "{stderr}");
    }
}

// Guards SIGKILL leftovers: a temporary file of a run that was killed is never read as input (even when it
// holds a reference and its name ends like a Dockerfile's) and the next `pin -w` removes it.
#[cfg(target_os = "linux")]
#[test]
fn a_killed_runs_temporary_file_is_not_read_and_is_removed() {
    let project = Project::new();
    let gate = Gate::new();
    gate.open();
    let reg = gated_registry(&gate);
    let host = reg.host();
    // No process has this id (Linux stops at 2^22).
    let leftover = format!("tree/.Dockerfile.pin-{}-0.tmp", u32::MAX - 1);
    project.write(&leftover, &dockerfile(&host, "team/a"));
    project.write("tree/b.Dockerfile", &dockerfile(&host, "team/b"));

    let (out, stderr) = finish(spawn_raw(&project, &["list", "."]));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let listed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!listed.contains("team/a"), "a leftover was read: {listed}");
    assert!(listed.contains("team/b"), "{listed}");
    assert!(
        project.path(&leftover).exists(),
        "list never removes a file"
    );

    let (out, stderr) = finish(spawn(&project, &reg, &["-w", "."]));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("a temporary file left by an interrupted run"),
        "{stderr}"
    );
    assert_eq!(project.names(), ["tree", "tree/b.Dockerfile"]);
}

// Guards read-only files: a file marked 0444 is refused by name (exit 2) and nothing is written, rather
// than replaced behind the mark.
#[cfg(unix)]
#[test]
fn a_read_only_file_is_refused_and_nothing_is_written() {
    use std::os::unix::fs::PermissionsExt;
    let project = Project::new();
    let gate = Gate::new();
    gate.open();
    let reg = gated_registry(&gate);
    let host = reg.host();
    let a = dockerfile(&host, "team/a");
    let b = dockerfile(&host, "team/b");
    project.write("tree/Dockerfile", &a);
    project.write("tree/b.Dockerfile", &b);
    let ro = std::fs::Permissions::from_mode(0o444);
    std::fs::set_permissions(project.path("tree/Dockerfile"), ro).unwrap();

    let (out, stderr) = finish(spawn(&project, &reg, &["-w", "."]));
    assert_eq!(out.status.code(), Some(2), "exit status");
    assert!(
        stderr.contains("Dockerfile is read-only; pin does not replace"),
        "{stderr}"
    );
    assert_eq!(project.read("tree/Dockerfile"), a);
    assert_eq!(project.read("tree/b.Dockerfile"), b, "fail closed");
    let mode = std::fs::metadata(project.path("tree/Dockerfile"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o444);
    assert_eq!(
        project.names(),
        ["tree", "tree/Dockerfile", "tree/b.Dockerfile"]
    );
}

// Guards hard links: replacing a file gives its path the pin, and the other name keeps the old text; pin
// says so instead of splitting the link silently.
#[cfg(unix)]
#[test]
fn a_hard_linked_file_is_written_with_a_warning() {
    let project = Project::new();
    let gate = Gate::new();
    gate.open();
    let reg = gated_registry(&gate);
    let host = reg.host();
    let a = dockerfile(&host, "team/a");
    project.write("tree/Dockerfile", &a);
    std::fs::hard_link(project.path("tree/Dockerfile"), project.path("elsewhere")).unwrap();

    let (out, stderr) = finish(spawn(&project, &reg, &["-w", "."]));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("pin: warning: Dockerfile has 2 hard links; replacing it leaves the other names with the old text"),
        "{stderr}"
    );
    assert_ne!(project.read("tree/Dockerfile"), a);
    assert_eq!(project.read("elsewhere"), a);
}

// Guards ownership: the replacement keeps the file's owner and group where permitted (here the tests run
// as root, who may set any); a 0600 file stays 0600.
#[cfg(unix)]
#[test]
fn owner_group_and_a_private_mode_are_kept() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let project = Project::new();
    let gate = Gate::new();
    gate.open();
    let reg = gated_registry(&gate);
    let host = reg.host();
    project.write("tree/Dockerfile", &dockerfile(&host, "team/a"));
    let path = project.path("tree/Dockerfile");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let me = std::fs::metadata(&path).unwrap();
    // Another owner only where this process may give files away (root); otherwise its own.
    let (uid, gid) = if me.uid() == 0 {
        (65534, 65534)
    } else {
        (me.uid(), me.gid())
    };
    std::os::unix::fs::chown(&path, Some(uid), Some(gid)).unwrap();

    let (out, stderr) = finish(spawn(&project, &reg, &["-w", "."]));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let after = std::fs::metadata(&path).unwrap();
    assert!(project.read("tree/Dockerfile").contains("@sha256:"));
    assert_eq!((after.uid(), after.gid()), (uid, gid), "owner and group");
    assert_eq!(after.permissions().mode() & 0o7777, 0o600);
}
