//! End-to-end: the built `pin` binary against a real registry (CNCF distribution, started by the harness).
//!
//! Expected digests are the ones the harness computed from the bytes it pushed, never ones `pin` reported.

mod common;
mod harness;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::golden::Goldens;
use common::{
    assert_tree, fixture_tree, listed, pin_env as run_pin, pin_stdin as run_pin_stdin, snapshot,
    stderr, stdout,
};
use harness::{fill_placeholders, Pushed, Registry, Variant, TWO_PLATFORMS};

const REPO: &str = "fixtures/app";

/// Asserts that the run's stderr holds `needle`, and shows the whole stderr when it does not.
#[track_caller]
fn assert_stderr_has(o: &Output, needle: &str) {
    let err = stderr(o);
    assert!(err.contains(needle), "{err}");
}

/// Asserts that `dir`'s file `name` holds exactly `want`.
#[track_caller]
fn assert_file(dir: &Path, name: &str, want: &str) {
    assert_holds(&dir.join(name), want);
}

/// Asserts that `file` holds exactly `want`.
#[track_caller]
fn assert_holds(file: &Path, want: &str) {
    assert_eq!(fs::read_to_string(file).unwrap(), want);
}

/// The seeds of the fixture images of `v1`, `latest`, `docker-v1`, `multi` and `docker-multi`.
const FIXTURE_SEEDS: [&str; 5] = ["oci-v1", "oci-latest", "docker-v1", "multi", "dmulti"];

/// A registry with the four fixture kinds under `fixtures/app`, and the digests the harness computed.
struct Fixtures {
    registry: Registry,
    pushed: BTreeMap<&'static str, Pushed>,
}

impl Fixtures {
    fn start(variant: Variant) -> Fixtures {
        let registry = Registry::start(variant);
        let pushed = registry.push_fixture_tags(REPO, FIXTURE_SEEDS);
        Fixtures { registry, pushed }
    }

    fn digest(&self, tag: &str) -> &str {
        &self.pushed[tag].digest
    }

    /// Pushes the fixtures' images again under their own tags (after a test moved them).
    fn restore_tags(&self) {
        let again = self.registry.push_fixture_tags(REPO, FIXTURE_SEEDS);
        for (tag, p) in again {
            assert_eq!(p.digest, self.pushed[tag].digest, "{tag}");
        }
    }

    /// `text` with `@@REG@@` and every `@@TAG@@` replaced.
    fn expand(&self, text: &str) -> String {
        fill_placeholders(text, self.registry.host(), &self.pushed)
    }

    /// Copies `tests/e2e/tree/{in,out}` into a temp dir with placeholders expanded: (dir, expected files).
    fn tree(&self) -> (tempfile::TempDir, BTreeMap<PathBuf, String>) {
        self.tree_named("tree")
    }

    fn tree_named(&self, name: &str) -> (tempfile::TempDir, BTreeMap<PathBuf, String>) {
        let (dir, _, expected) = fixture_tree(name, |text| self.expand(text));
        (dir, expected)
    }

    /// Runs `pin` with `--insecure-registry` for this registry (after the subcommand, if there is one).
    fn pin(&self, cwd: &Path, args: &[&str]) -> Output {
        self.pin_stdin(cwd, args, "")
    }

    fn pin_stdin(&self, cwd: &Path, args: &[&str], stdin: &str) -> Output {
        let at = usize::from(matches!(
            args.first(),
            Some(&"resolve" | &"list" | &"update" | &"verify")
        ));
        let mut all = args.to_vec();
        all.splice(at..at, ["--insecure-registry", self.registry.host()]);
        run_pin_stdin(cwd, &all, &[], stdin)
    }
}

// Guards the core promise: every reference pinned to the digest of the bytes pushed, nothing else changed,
// multi-arch tags pinned to the index, and a second run is a no-op.
#[test]
fn write_pins_every_reference_byte_exact_and_is_idempotent() {
    let fx = Fixtures::start(Variant::Plain);
    let (dir, expected) = fx.tree();
    let o = fx.pin(dir.path(), &["-w", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_tree(dir.path(), &expected);
    assert_stderr_has(&o, "skipped \"{{ .Values.image }}\"");

    let before = snapshot(dir.path());
    let again = fx.pin(dir.path(), &["-w", "."]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(snapshot(dir.path()), before, "a second -w changed files");
    let check = fx.pin(dir.path(), &["--check", "-q", "."]);
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
    assert!(
        !stderr(&check).contains("pin: "),
        "-q prints no summary: {}",
        stderr(&check)
    );
    let dry = fx.pin(dir.path(), &["."]);
    assert_eq!(
        stdout(&dry),
        "",
        "nothing left to pin, yet a diff was printed"
    );
}

// Guards the dry run: it writes nothing, and its diff is one `git apply` accepts and that yields the pinned tree.
#[test]
fn dry_run_diff_applies_with_git_apply() {
    let fx = Fixtures::start(Variant::Plain);
    let (dir, expected) = fx.tree();
    let before = snapshot(dir.path());
    let o = fx.pin(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(snapshot(dir.path()), before, "a dry run changed files");
    let diff = stdout(&o);
    assert!(
        diff.contains("--- a/k8s/app.yaml\n+++ b/k8s/app.yaml\n"),
        "{diff}"
    );
    fs::write(dir.path().join("pin.diff"), &diff).unwrap();
    let apply = Command::new("git")
        .args(["apply", "pin.diff"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        apply.status.success(),
        "{}",
        String::from_utf8_lossy(&apply.stderr)
    );
    fs::remove_file(dir.path().join("pin.diff")).unwrap();
    assert_tree(dir.path(), &expected);
}

// Guards --check: exit 1 when something would change, and no file touched; the findings on stdout, one
// line per reference to pin (the tree's 9, counted by hand), the summary on stderr.
#[test]
fn check_exits_1_and_writes_nothing() {
    let fx = Fixtures::start(Variant::Plain);
    let (dir, _) = fx.tree();
    let before = snapshot(dir.path());
    let o = fx.pin(dir.path(), &["--check", "."]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 9, "{out}");
    assert!(out.lines().all(|l| l.contains(": PIN001 ")), "{out}");
    assert!(!stderr(&o).contains("PIN001"), "{}", stderr(&o));
    assert!(stderr(&o).contains(" 9 to pin, "), "{}", stderr(&o));
    assert_eq!(snapshot(dir.path()), before);
}

// Guards fail-closed: one missing tag means exit 2, no file written (not even the ones that resolved), and a
// message naming the reference and where it is.
#[test]
fn a_missing_tag_fails_closed_and_names_the_place() {
    let fx = Fixtures::start(Variant::Plain);
    let (dir, _) = fx.tree();
    let missing = format!("{}/fixtures/app:nope", fx.registry.host());
    fs::write(
        dir.path().join("k8s/missing.yaml"),
        format!("spec:\n  containers:\n  - name: x\n    image: {missing}\n"),
    )
    .unwrap();
    let before = snapshot(dir.path());
    let o = fx.pin(dir.path(), &["-w", "."]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(
        snapshot(dir.path()),
        before,
        "files were written despite an error"
    );
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "k8s/missing.yaml:4:12: error: cannot pin {missing}"
        )),
        "{err}"
    );
    assert!(err.contains("nothing written"), "{err}");
}

// Guards fail-closed when no registry answers at all.
#[test]
fn an_unreachable_registry_fails_closed() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("Dockerfile");
    fs::write(&file, format!("FROM 127.0.0.1:{port}/a/b:1\n")).unwrap();
    let host = format!("127.0.0.1:{port}");
    let o = run_pin(
        dir.path(),
        &["-w", "--insecure-registry", &host, "--timeout", "2", "."],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_holds(&file, &format!("FROM 127.0.0.1:{port}/a/b:1\n"));
    assert!(stderr(&o).contains("Dockerfile:1:6"), "{}", stderr(&o));
}

// Guards the request budget: each unique tag is looked up once however often it appears, with one ping.
#[test]
fn each_unique_tag_is_resolved_once() {
    let fx = Fixtures::start(Variant::Plain);
    let (dir, _) = fx.tree();
    // The tree names 5 unique tags (v1 twice, multi twice).
    let o = fx.pin(dir.path(), &["-v", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_stderr_has(&o, "requests: 1 ping, 0 token, 5 HEAD, 0 GET, 0 retried");
}

// Guards `pin list`: an inventory with statuses, and no registry contacted.
#[test]
fn list_needs_no_registry() {
    let fx = Fixtures::start(Variant::Plain);
    let (dir, _) = fx.tree();
    let mut registry = fx.registry;
    registry.stop();
    let o = run_pin(dir.path(), &["list"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let host = registry.host();
    assert!(
        out.contains(&format!(
            "Dockerfile:3:6\t{host}/fixtures/app:v1\tunpinned\n"
        )),
        "{out}"
    );
    assert!(
        out.contains("k8s/app.yaml:23:17\t{{ .Values.image }}\tskipped: "),
        "{out}"
    );
    assert_eq!(out.lines().count(), 10, "{out}");
}

// Guards --platform: the chosen platform's child of the index (variant included), and a clear error otherwise.
#[test]
fn platform_pins_the_child_manifest() {
    let fx = Fixtures::start(Variant::Plain);
    let dir = tempfile::tempdir().unwrap();
    let host = fx.registry.host();
    let resolve = |platform: &str, tag: &str| {
        fx.pin(
            dir.path(),
            &[
                "resolve",
                "--platform",
                platform,
                &format!("{host}/{REPO}:{tag}"),
            ],
        )
    };
    let o = resolve("linux/arm64", "multi");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let child = fx.pushed["multi"].child_digest("linux/arm64").unwrap();
    assert_eq!(stdout(&o), format!("{host}/{REPO}@{child}\n"));
    let o = resolve("linux/arm/v7", "docker-multi");
    let child = fx.pushed["docker-multi"]
        .child_digest("linux/arm/v7")
        .unwrap();
    assert_eq!(
        stdout(&o),
        format!("{host}/{REPO}@{child}\n"),
        "{}",
        stderr(&o)
    );
    let o = resolve("linux/s390x", "multi");
    assert_eq!(o.status.code(), Some(2));
    assert_stderr_has(&o, "linux/amd64, linux/arm64");
}

// Guards `pin resolve` and --keep-tag: the user's own spelling, the tag kept when asked.
#[test]
fn resolve_prints_pins_in_the_users_spelling() {
    let fx = Fixtures::start(Variant::Plain);
    let dir = tempfile::tempdir().unwrap();
    let host = fx.registry.host();
    let a = format!("{host}/{REPO}:v1");
    let b = format!("{host}/{REPO}:multi");
    let o = fx.pin(dir.path(), &["resolve", "--keep-tag", &a, &b]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        format!("{a}@{}\n{b}@{}\n", fx.digest("v1"), fx.digest("multi"))
    );
}

// Guards `pin resolve good bad`: the good one is printed, each bad one (not a reference, or a tag the registry
// does not have) is an error on stderr, exit 2; the lockfile records nothing from the failed run.
#[test]
fn resolve_prints_the_good_references_and_an_error_for_each_bad_one() {
    let fx = Fixtures::start(Variant::Plain);
    let dir = tempfile::tempdir().unwrap();
    let host = fx.registry.host();
    let good = format!("{host}/{REPO}:v1");
    let missing = format!("{host}/{REPO}:no-such-tag");
    let o = fx.pin(
        dir.path(),
        &[
            "resolve", "--lock", "pin.lock", &good, "Bad Ref", &missing, &good,
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let pinned = format!("{host}/{REPO}@{}\n", fx.digest("v1"));
    assert_eq!(stdout(&o), pinned.repeat(2));
    let err = stderr(&o);
    assert!(
        err.contains("pin: error: cannot resolve Bad Ref: \"Bad Ref\" is not an image reference"),
        "{err}"
    );
    assert!(
        err.contains(&format!("pin: error: cannot resolve {missing}: ")),
        "{err}"
    );
    assert!(!dir.path().join("pin.lock").exists(), "{err}");
}

// Guards the lockfile: a run records every resolution; with the registry gone, --offline applies them.
#[test]
fn offline_lockfile_pins_without_a_registry() {
    let fx = Fixtures::start(Variant::Plain);
    let (dir, expected) = fx.tree();
    let o = fx.pin(dir.path(), &["--lock", "pin.lock", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let lock = fs::read_to_string(dir.path().join("pin.lock")).unwrap();
    let key = format!("\"{}/fixtures/app:v1\"", fx.registry.host());
    assert!(
        lock.contains(&key) && lock.contains(fx.digest("v1")),
        "{lock}"
    );
    let mut registry = fx.registry;
    registry.stop();
    let o = run_pin(
        dir.path(),
        &["-w", "--offline", "--lock", "pin.lock", "."],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    fs::remove_file(dir.path().join("pin.lock")).unwrap();
    assert_tree(dir.path(), &{
        let mut e = expected;
        e.retain(|p, _| p != Path::new("pin.lock"));
        e
    });
}

// Guards --offline with a reference the lockfile lacks: exit 2, nothing written.
#[test]
fn offline_fails_for_a_reference_the_lockfile_lacks() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("Dockerfile"), "FROM busybox:1.38.0\n").unwrap();
    fs::write(
        dir.path().join("pin.lock"),
        "{\"version\": 1, \"images\": {}}\n",
    )
    .unwrap();
    let o = run_pin(
        dir.path(),
        &["-w", "--offline", "--lock", "pin.lock", "."],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_stderr_has(&o, "docker.io/library/busybox:1.38.0 is not in pin.lock");
    assert_file(dir.path(), "Dockerfile", "FROM busybox:1.38.0\n");
}

// Guards issue 18.10: a lockfile holding one key twice is refused, naming both lines, rather than the later
// entry silently winning (a reviewer reading the first would approve a digest that is never used).
#[test]
fn a_lockfile_with_a_key_twice_is_refused_naming_both_lines() {
    let dir = tempfile::tempdir().unwrap();
    let before = "FROM busybox:1.38.0\n";
    fs::write(dir.path().join("Dockerfile"), before).unwrap();
    let a = format!("sha256:{}", "a".repeat(64));
    let b = format!("sha256:{}", "b".repeat(64));
    // The second spelling of the key escapes a character: still the same key once read.
    let lock = format!(
        "{{\n  \"version\": 1,\n  \"images\": {{\n    \"docker.io/library/busybox:1.38.0\": {{\n      \"digest\": \"{a}\"\n    }},\n    \"docker.io/library/alpine:3.20\": {{\"digest\": \"{a}\"}},\n    \"docker.io/library/busybox:1.38\\u002e0\": {{\n      \"digest\": \"{b}\"\n    }}\n  }}\n}}\n"
    );
    fs::write(dir.path().join("pin.lock"), &lock).unwrap();
    let o = run_pin(
        dir.path(),
        &["-w", "--offline", "--lock", "pin.lock", "."],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_stderr_has(
        &o,
        "pin.lock: not a pin lockfile: \"docker.io/library/busybox:1.38.0\" appears twice, at lines 4 and 8",
    );
    assert_file(dir.path(), "Dockerfile", before);
    assert_file(dir.path(), "pin.lock", &lock);
}

// Guards issue 11.5: `--offline` with a lockfile that does not exist says so in one line, not once per
// reference, and writes nothing.
#[test]
fn offline_with_a_missing_lockfile_is_one_error() {
    let dir = tempfile::tempdir().unwrap();
    let before = "FROM busybox:1.38.0\nFROM alpine:3.20\nFROM debian:12\n";
    fs::write(dir.path().join("Dockerfile"), before).unwrap();
    let o = run_pin(
        dir.path(),
        &["-w", "--offline", "--lock", "missing.lock", "Dockerfile"],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    let errors: Vec<&str> = err.lines().filter(|l| l.contains("error: ")).collect();
    assert_eq!(
        errors,
        ["pin: error: missing.lock: the lockfile does not exist; --offline applies a lockfile recorded by a \
          run without --offline (`pin --lock missing.lock …`)"],
        "{err}"
    );
    assert_file(dir.path(), "Dockerfile", before);
    assert!(!dir.path().join("missing.lock").exists());
}

// Guards TLS + htpasswd: credentials from DOCKER_CONFIG, the test CA through --ca-cert; an untrusted
// certificate and a wrong password both fail with exit 2 and no secret in the output.
#[cfg(unix)]
#[test]
fn tls_basic_auth_with_docker_config_credentials() {
    let fx = Fixtures::start(Variant::TlsBasic);
    let dir = tempfile::tempdir().unwrap();
    let config_dir = dir.path().join("docker");
    fs::create_dir_all(&config_dir).unwrap();
    fx.registry.write_docker_config(&config_dir);
    let ca = fx
        .registry
        .ca_pem_path()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let reference = format!("{}/{REPO}:v1", fx.registry.host());
    let docker_config = config_dir.to_str().unwrap();

    let o = run_pin(
        dir.path(),
        &["resolve", "--ca-cert", &ca, &reference],
        &[("DOCKER_CONFIG", docker_config)],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        format!("{}/{REPO}@{}\n", fx.registry.host(), fx.digest("v1"))
    );

    let o = run_pin(
        dir.path(),
        &["resolve", &reference],
        &[("DOCKER_CONFIG", docker_config)],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).to_lowercase().contains("certificate"),
        "{}",
        stderr(&o)
    );

    let o = run_pin(dir.path(), &["resolve", "--ca-cert", &ca, &reference], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no credentials"), "{}", stderr(&o));

    // The system trust store honours SSL_CERT_FILE.
    let o = run_pin(
        dir.path(),
        &["resolve", &reference],
        &[("DOCKER_CONFIG", docker_config), ("SSL_CERT_FILE", &ca)],
    );
    assert_eq!(o.status.code(), Some(0), "SSL_CERT_FILE: {}", stderr(&o));

    // A credential helper named in credHelpers runs as `docker-credential-NAME get`.
    let bin = dir.path().join("bin");
    fs::create_dir_all(&bin).unwrap();
    let helper = bin.join("docker-credential-pintest");
    fs::write(
        &helper,
        "#!/bin/sh\nread server\nprintf '{\"ServerURL\":\"%s\",\"Username\":\"tester\",\"Secret\":\"s3cret\"}' \"$server\"\n",
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&helper, fs::Permissions::from_mode(0o755)).unwrap();
    }
    let helpers = serde_json::json!({"credHelpers": {fx.registry.host(): "pintest"}});
    fs::write(config_dir.join("config.json"), helpers.to_string()).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let o = run_pin(
        dir.path(),
        &["resolve", "--ca-cert", &ca, &reference],
        &[("DOCKER_CONFIG", docker_config), ("PATH", &path)],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "credential helper: {}",
        stderr(&o)
    );

    // podman's auth.json, when no docker config has the registry.
    let auth_file = dir.path().join("auth.json");
    let podman =
        serde_json::json!({"auths": {fx.registry.host(): {"auth": "dGVzdGVyOnMzY3JldA=="}}});
    fs::write(&auth_file, podman.to_string()).unwrap();
    let o = run_pin(
        dir.path(),
        &["resolve", "--ca-cert", &ca, &reference],
        &[("REGISTRY_AUTH_FILE", auth_file.to_str().unwrap())],
    );
    assert_eq!(o.status.code(), Some(0), "podman auth.json: {}", stderr(&o));

    // podman's places in podman's order, before docker's config.json: $XDG_RUNTIME_DIR/containers/auth.json,
    // then ${XDG_CONFIG_HOME:-~/.config}/containers/auth.json; the first file with an entry wins.
    let right = podman.to_string();
    let wrong_entry = serde_json::json!({"auths": {fx.registry.host(): {"username": "tester", "password": "wrong-pass"}}})
        .to_string();
    let (runtime, config_home) = (dir.path().join("run"), dir.path().join("xdg"));
    let place = |root: &Path, text: Option<&str>| {
        let file = root.join("containers/auth.json");
        match text {
            Some(t) => {
                fs::create_dir_all(file.parent().unwrap()).unwrap();
                fs::write(&file, t).unwrap();
            }
            None => {
                let _ = fs::remove_file(&file);
            }
        }
    };
    let resolve_with = |extra: &[(&str, &str)]| {
        let mut env = vec![("DOCKER_CONFIG", docker_config)];
        env.extend_from_slice(extra);
        run_pin(dir.path(), &["resolve", "--ca-cert", &ca, &reference], &env)
    };
    let (runtime_s, config_home_s) = (runtime.to_str().unwrap(), config_home.to_str().unwrap());
    // docker's config.json holds a wrong password: the XDG config file, read first, wins.
    fs::write(config_dir.join("config.json"), &wrong_entry).unwrap();
    place(&config_home, Some(&right));
    let o = resolve_with(&[("XDG_CONFIG_HOME", config_home_s)]);
    assert_eq!(o.status.code(), Some(0), "XDG_CONFIG_HOME: {}", stderr(&o));
    // Without XDG_CONFIG_HOME, ~/.config.
    place(&dir.path().join(".config"), Some(&right));
    let o = resolve_with(&[]);
    assert_eq!(o.status.code(), Some(0), "~/.config: {}", stderr(&o));
    fs::remove_file(dir.path().join(".config/containers/auth.json")).unwrap();
    // The runtime file comes before the config file: its wrong entry is the one used, and named.
    place(&runtime, Some(&wrong_entry));
    let o = resolve_with(&[
        ("XDG_RUNTIME_DIR", runtime_s),
        ("XDG_CONFIG_HOME", config_home_s),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_stderr_has(&o, &format!("{runtime_s}/containers/auth.json"));
    // A runtime file without an entry for the registry: the config file's is used.
    place(&runtime, Some(r#"{"auths": {}}"#));
    let o = resolve_with(&[
        ("XDG_RUNTIME_DIR", runtime_s),
        ("XDG_CONFIG_HOME", config_home_s),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    place(&runtime, None);
    place(&config_home, None);

    // A credsStore whose helper is not installed (a Docker Desktop leftover): one warning, then anonymous;
    // this registry wants a login, so the error names the helper and how to remove it.
    fs::write(
        config_dir.join("config.json"),
        r#"{"auths": {}, "credsStore": "pin-gone-desktop"}"#,
    )
    .unwrap();
    let o = resolve_with(&[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(
        err.matches("warning: docker-credential-pin-gone-desktop, the credsStore of")
            .count(),
        1,
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "docker-credential-pin-gone-desktop, the credsStore of {docker_config}/config.json, is not \
             installed, so no login was sent; install it, or remove the \"credsStore\" line"
        )),
        "{err}"
    );

    let wrong = serde_json::json!({"auths": {fx.registry.host(): {"username": "tester", "password": "wrong-pass"}}});
    fs::write(config_dir.join("config.json"), wrong.to_string()).unwrap();
    let o = run_pin(
        dir.path(),
        &["resolve", "-v", "--ca-cert", &ca, &reference],
        &[("DOCKER_CONFIG", docker_config)],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains(fx.registry.host()) && err.contains("config.json"),
        "{err}"
    );
    assert!(
        !err.contains("wrong-pass") && !err.contains("dGVzdGVy"),
        "a secret leaked: {err}"
    );
}

// Guards token auth: anonymous pull tokens work, and there is one token request per repository, not per tag.
#[test]
fn token_auth_fetches_one_token_per_repository() {
    let fx = Fixtures::start(Variant::TlsToken);
    fx.registry.push_oci_image("other/repo", "a", "other-a");
    fx.registry.push_oci_image("other/repo", "b", "other-b");
    let dir = tempfile::tempdir().unwrap();
    let ca = fx
        .registry
        .ca_pem_path()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let host = fx.registry.host();
    let refs: Vec<String> = [
        "fixtures/app:v1",
        "fixtures/app:multi",
        "fixtures/app:docker-v1",
        "other/repo:a",
        "other/repo:b",
    ]
    .iter()
    .map(|r| format!("{host}/{r}"))
    .collect();
    let before = fx.registry.token_requests();
    let mut args = vec!["resolve", "--ca-cert", &ca];
    args.extend(refs.iter().map(String::as_str));
    let o = run_pin(dir.path(), &args, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 5);
    assert!(stdout(&o).starts_with(&format!("{host}/fixtures/app@{}\n", fx.digest("v1"))));
    assert_eq!(
        fx.registry.token_requests() - before,
        2,
        "one token per repository"
    );
}

// Guards token auth with credentials: the token service (HTTPS, like real ones) gets the login from
// DOCKER_CONFIG, and the run resolves through it.
#[test]
fn token_auth_sends_credentials_to_an_https_realm() {
    let fx = Fixtures::start(Variant::TlsToken);
    let dir = tempfile::tempdir().unwrap();
    let config_dir = dir.path().join("docker");
    fx.registry.write_docker_config(&config_dir);
    let ca = fx
        .registry
        .ca_pem_path()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let reference = format!("{}/{REPO}:v1", fx.registry.host());
    let o = run_pin(
        dir.path(),
        &["resolve", "--ca-cert", &ca, &reference],
        &[("DOCKER_CONFIG", config_dir.to_str().unwrap())],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        format!("{}/{REPO}@{}\n", fx.registry.host(), fx.digest("v1"))
    );
    let log = fx.registry.token_request_log();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].user.as_deref(), Some(harness::USER));
    assert_eq!(log[0].status, 200);
}

// Guards issue 8.1 against a real registry: its token service on plain HTTP never gets the credentials; the
// run fails saying so. Without credentials the anonymous token request is allowed and the run succeeds.
#[test]
fn credentials_are_refused_to_a_plain_http_token_realm() {
    let fx = Fixtures::start(Variant::TlsTokenHttpRealm);
    let dir = tempfile::tempdir().unwrap();
    let config_dir = dir.path().join("docker");
    fx.registry.write_docker_config(&config_dir);
    let ca = fx
        .registry
        .ca_pem_path()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let realm = fx.registry.token_realm().unwrap();
    assert!(realm.starts_with("http://"), "{realm}");
    let reference = format!("{}/{REPO}:v1", fx.registry.host());

    let o = run_pin(
        dir.path(),
        &["resolve", "--ca-cert", &ca, &reference],
        &[("DOCKER_CONFIG", config_dir.to_str().unwrap())],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_stderr_has(
        &o,
        &format!("asks for its credentials to be sent to the plain-HTTP token service \"{realm}\"; refused"),
    );
    assert!(stdout(&o).is_empty());
    assert_eq!(fx.registry.token_requests(), 0, "nothing reached the realm");

    let o = run_pin(dir.path(), &["resolve", "--ca-cert", &ca, &reference], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        format!("{}/{REPO}@{}\n", fx.registry.host(), fx.digest("v1"))
    );
    let log = fx.registry.token_request_log();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].user, None, "anonymous");
}

/// Writes an executable `docker-credential-NAME` script into `bin` and returns `PATH` with `bin` first.
#[cfg(unix)]
fn credential_helper(bin: &Path, name: &str, script: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    fs::create_dir_all(bin).unwrap();
    let helper = bin.join(format!("docker-credential-{name}"));
    fs::write(&helper, script).unwrap();
    fs::set_permissions(&helper, fs::Permissions::from_mode(0o755)).unwrap();
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

// Guards issue 11.1: a credential helper that answers "credentials not found" (Docker Desktop's credsStore on a
// registry it holds nothing for) means anonymous, as for `docker pull`; a helper that is not installed is an
// error naming it once; a config.json that is not JSON is an error saying so.
#[cfg(unix)]
#[test]
fn credential_helpers_that_find_nothing_mean_anonymous() {
    let fx = Fixtures::start(Variant::TlsToken);
    let dir = tempfile::tempdir().unwrap();
    let config_dir = dir.path().join("docker");
    fs::create_dir_all(&config_dir).unwrap();
    let docker_config = config_dir.to_str().unwrap();
    let ca = fx
        .registry
        .ca_pem_path()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let reference = format!("{}/{REPO}:v1", fx.registry.host());
    // What docker-credential-helpers' `get` does for an unknown server: the message on stdout, exit 1.
    let path = credential_helper(
        &dir.path().join("bin"),
        "pinnone",
        "#!/bin/sh\ncat >/dev/null\necho 'credentials not found in native keychain'\nexit 1\n",
    );
    let resolve = |config: &str| {
        fs::write(config_dir.join("config.json"), config).unwrap();
        run_pin(
            dir.path(),
            &["resolve", "--ca-cert", &ca, &reference],
            &[("DOCKER_CONFIG", docker_config), ("PATH", &path)],
        )
    };

    let o = resolve(r#"{"auths": {}, "credsStore": "pinnone"}"#);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        format!("{}/{REPO}@{}\n", fx.registry.host(), fx.digest("v1"))
    );
    let log = fx.registry.token_request_log();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].user, None, "anonymous");

    // A credsStore that is not installed: one warning, and anonymous (this registry allows it).
    let o = resolve(r#"{"credsStore": "pin-not-installed"}"#);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(
        err,
        format!(
            "pin: warning: docker-credential-pin-not-installed, the credsStore of {docker_config}/config.json, \
             is not installed: registries are asked without its logins (remove the \"credsStore\" line from \
             {docker_config}/config.json if it is a leftover)\n"
        )
    );
    // `pin verify` says the same once.
    let pinned = dir.path().join("verify");
    fs::create_dir_all(&pinned).unwrap();
    fs::write(
        pinned.join("Dockerfile"),
        format!("FROM {}/{REPO}@{}\n", fx.registry.host(), fx.digest("v1")),
    )
    .unwrap();
    let o = run_pin(
        dir.path(),
        &["verify", "--ca-cert", &ca, "verify"],
        &[("DOCKER_CONFIG", docker_config), ("PATH", &path)],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stderr(&o)
            .matches("pin: warning: docker-credential-pin-not-installed, the credsStore of")
            .count(),
        1,
        "{}",
        stderr(&o)
    );
    // A helper named for this registry in credHelpers, not installed: an error naming it once.
    let helpers =
        |name: &str| serde_json::json!({"credHelpers": {fx.registry.host(): name}}).to_string();
    let o = resolve(&helpers("pin-not-installed"));
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("credential helper docker-credential-pin-not-installed (named in")
            && err.contains("is not installed (not found on PATH)"),
        "{err}"
    );
    assert!(
        !err.contains("docker-credential-docker-credential"),
        "{err}"
    );
    // A helper that exits at once without reading its input ran: it failed, it is not "not installed".
    let path = credential_helper(&dir.path().join("bin"), "pindeaf", "#!/bin/sh\nexit 3\n");
    fs::write(config_dir.join("config.json"), helpers("pindeaf")).unwrap();
    let o = run_pin(
        dir.path(),
        &["resolve", "--ca-cert", &ca, &reference],
        &[("DOCKER_CONFIG", docker_config), ("PATH", &path)],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("credential helper docker-credential-pindeaf (named in")
            && err.contains("failed for"),
        "{err}"
    );
    assert!(!err.contains("installed"), "{err}");

    let o = resolve(r#"{"auths": {"#);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "{docker_config}/config.json is not a valid credentials file (EOF while parsing"
        )),
        "{err}"
    );
}

/// Whether process `pid` is gone (or only a zombie waiting to be reaped by its new parent).
#[cfg(target_os = "linux")]
fn process_gone(pid: &str) -> bool {
    match fs::read_to_string(format!("/proc/{}/stat", pid.trim())) {
        Err(_) => true,
        // `PID (comm) STATE …`: the state follows the last `)`.
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z'),
    }
}

// Guards issue 18.7: a credential helper gets `--timeout` to answer: one that hangs, and one whose child
// keeps stdout open after it printed a credential and exited, are stopped (the whole process group: the
// child too) and named in the error, within a few seconds, not after the helper's 30. One that prints more
// than 1 MiB is stopped as soon as it has, and named too: its output is never held whole.
#[cfg(target_os = "linux")]
#[test]
fn credential_helpers_are_bounded_in_time_and_output() {
    use std::time::{Duration, Instant};
    let fx = Fixtures::start(Variant::TlsBasic);
    let dir = tempfile::tempdir().unwrap();
    let config_dir = dir.path().join("docker");
    fs::create_dir_all(&config_dir).unwrap();
    let docker_config = config_dir.to_str().unwrap();
    let host = fx.registry.host();
    let ca = fx
        .registry
        .ca_pem_path()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let reference = format!("{host}/{REPO}:v1");
    let bin = dir.path().join("bin");
    let pids = dir.path().join("pids");
    fs::create_dir_all(&pids).unwrap();
    let (user, password) = fx.registry.credentials().unwrap();
    let answer = format!(r#"{{"ServerURL":"{host}","Username":"{user}","Secret":"{password}"}}"#);
    let scripts = [
        (
            "pinhang",
            format!("#!/bin/sh\necho $$ > {0}/pinhang\ncat >/dev/null\nsleep 30\n", pids.display()),
        ),
        (
            "pinchild",
            format!(
                "#!/bin/sh\ncat >/dev/null\nsleep 30 &\necho $! > {0}/pinchild\necho '{answer}'\nexit 0\n",
                pids.display()
            ),
        ),
        (
            "pinflood",
            "#!/bin/sh\ncat >/dev/null\nhead -c 67108864 /dev/zero\n".to_string(),
        ),
    ];
    let mut path = String::new();
    for (name, script) in &scripts {
        path = credential_helper(&bin, name, script);
    }
    let resolve = |helper: &str| {
        fs::write(
            config_dir.join("config.json"),
            format!(r#"{{"credHelpers": {{"{host}": "{helper}"}}}}"#),
        )
        .unwrap();
        let start = Instant::now();
        let o = run_pin(
            dir.path(),
            &["resolve", "--timeout", "2", "--ca-cert", &ca, &reference],
            &[("DOCKER_CONFIG", docker_config), ("PATH", &path)],
        );
        (o, start.elapsed())
    };

    for helper in ["pinhang", "pinchild"] {
        let (o, took) = resolve(helper);
        assert_eq!(o.status.code(), Some(2), "{helper}: {}", stderr(&o));
        assert!(
            took < Duration::from_secs(15),
            "{helper} held pin for {took:?}"
        );
        let err = stderr(&o);
        assert!(
            err.contains(&format!(
                "credential helper docker-credential-{helper} (named in {docker_config}/config.json) did not finish within 2 s (--timeout)"
            )),
            "{err}"
        );
        assert!(!err.contains(password), "{err}");
        let pid = fs::read_to_string(pids.join(helper)).unwrap();
        // The kill is immediate, the reaping may lag a moment.
        let gone = (0..50).any(|_| {
            std::thread::sleep(Duration::from_millis(100));
            process_gone(&pid)
        });
        assert!(gone, "{helper}: process {} still runs", pid.trim());
    }

    let (o, took) = resolve("pinflood");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(took < Duration::from_secs(15), "took {took:?}");
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "credential helper docker-credential-pinflood (named in {docker_config}/config.json) printed more than 1 MiB"
        )),
        "{err}"
    );
}

// Guards issue 11.1: an `identitytoken` entry (what `az acr login` writes) is exchanged at the token service
// with the OAuth2 refresh-token grant, and resolves; a refresh token the service refuses is named as such.
#[test]
fn identity_token_is_exchanged_with_the_refresh_grant() {
    let fx = Fixtures::start(Variant::TlsToken);
    let dir = tempfile::tempdir().unwrap();
    let config_dir = dir.path().join("docker");
    fs::create_dir_all(&config_dir).unwrap();
    let ca = fx
        .registry
        .ca_pem_path()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let host = fx.registry.host();
    let reference = format!("{host}/{REPO}:multi");
    let resolve = |token: &str| {
        let config = serde_json::json!({"auths": {host: {"identitytoken": token}}});
        fs::write(config_dir.join("config.json"), config.to_string()).unwrap();
        run_pin(
            dir.path(),
            &["resolve", "--ca-cert", &ca, &reference],
            &[("DOCKER_CONFIG", config_dir.to_str().unwrap())],
        )
    };

    let o = resolve(harness::IDENTITY_TOKEN);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        format!("{host}/{REPO}@{}\n", fx.digest("multi"))
    );
    let log = fx.registry.token_request_log();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].grant.as_deref(), Some("refresh_token"));
    assert_eq!(log[0].client_id.as_deref(), Some("pin"));
    assert_eq!(log[0].user.as_deref(), Some(harness::USER));
    assert_eq!(log[0].scopes, [format!("repository:{REPO}:pull")]);

    let o = resolve("a-revoked-refresh-token");
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "the token service of {host} refused the identity token from"
        )),
        "{err}"
    );
    assert!(
        !err.contains("a-revoked-refresh-token"),
        "a secret leaked: {err}"
    );
}

// Guards issue 11.1: tokens that stop working mid-run (here the first token of each repository is refused by
// the registry) are renewed once per repository, however many lookups were refused with them at once.
#[test]
fn refused_tokens_are_renewed_once_per_repository() {
    let fx = Fixtures::start(Variant::TlsToken);
    let other = [
        fx.registry.push_oci_image("other/repo", "a", "other-a"),
        fx.registry.push_oci_image("other/repo", "b", "other-b"),
    ];
    fx.registry.expire_first_token_per_scope();
    let dir = tempfile::tempdir().unwrap();
    let ca = fx
        .registry
        .ca_pem_path()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let host = fx.registry.host();
    let tags = ["v1", "latest", "docker-v1", "multi", "docker-multi"];
    let mut refs: Vec<String> = tags.iter().map(|t| format!("{host}/{REPO}:{t}")).collect();
    refs.push(format!("{host}/other/repo:a"));
    refs.push(format!("{host}/other/repo:b"));
    let mut args = vec!["resolve", "-j", "8", "--ca-cert", &ca];
    args.extend(refs.iter().map(String::as_str));

    let o = run_pin(dir.path(), &args, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut expected: Vec<String> = tags
        .iter()
        .map(|t| format!("{host}/{REPO}@{}", fx.digest(t)))
        .collect();
    expected.extend(
        other
            .iter()
            .map(|p| format!("{host}/other/repo@{}", p.digest)),
    );
    assert_eq!(stdout(&o).lines().collect::<Vec<_>>(), expected);
    let mut per_scope = BTreeMap::new();
    for r in fx.registry.token_request_log() {
        *per_scope.entry(r.scopes.join(" ")).or_insert(0) += 1;
    }
    assert_eq!(
        per_scope,
        BTreeMap::from([
            (format!("repository:{REPO}:pull"), 2),
            ("repository:other/repo:pull".to_string(), 2),
        ]),
        "the refused token and one renewal, per repository"
    );
}

// Guards issue 14.3: a registry that offers HTTP/2 over TLS (distribution does, by ALPN) is spoken to in
// HTTP/2; a plain-HTTP one and a token service offering only HTTP/1.1 in HTTP/1.1.
#[test]
fn http2_is_used_where_the_registry_offers_it() {
    let fx = Fixtures::start(Variant::TlsToken);
    let dir = tempfile::tempdir().unwrap();
    let ca = fx
        .registry
        .ca_pem_path()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let host = fx.registry.host();
    let reference = format!("{host}/{REPO}:v1");
    let o = run_pin(
        dir.path(),
        &["resolve", "-v", "--ca-cert", &ca, &reference],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains(&format!("; {host} HTTP/2.0")), "{err}");
    let realm = fx.registry.token_realm().unwrap();
    let token_host = realm
        .trim_start_matches("https://")
        .trim_end_matches("/token");
    assert!(err.contains(&format!("; {token_host} HTTP/1.1")), "{err}");

    let plain = Fixtures::start(Variant::Plain);
    let reference = format!("{}/{REPO}:v1", plain.registry.host());
    let o = plain.pin(dir.path(), &["resolve", "-v", &reference]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_stderr_has(&o, &format!("; {} HTTP/1.1", plain.registry.host()));
}

// Guards byte-exactness on the awkward cases: BOM, CRLF, a missing final newline, non-ASCII comments; and
// that -w keeps the file's permissions.
#[cfg(unix)]
#[test]
fn bom_crlf_missing_newline_and_permissions_survive() {
    use std::os::unix::fs::PermissionsExt;
    let fx = Fixtures::start(Variant::Plain);
    let dir = tempfile::tempdir().unwrap();
    let host = fx.registry.host();
    let template = "\u{feff}# 注释 — commentaire\r\nspec:\r\n  containers:\r\n  - name: a # ☃\r\n    image: @@REG@@/fixtures/app:REF\r\n    imagePullPolicy: Always";
    let input = template.replace("@@REG@@", host).replace(":REF", ":v1");
    // The default style for YAML: the tag in a comment after the value, before the CRLF.
    let want = template
        .replace("@@REG@@", host)
        .replace(":REF", &format!("@{} # {host}/{REPO}:v1", fx.digest("v1")));
    let file = dir.path().join("pod.yaml");
    fs::write(&file, &input).unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o640)).unwrap();
    let o = fx.pin(dir.path(), &["-w", "pod.yaml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(fs::read(&file).unwrap(), want.as_bytes());
    assert_eq!(
        fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o640
    );
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        1,
        "temporary files left behind"
    );
}

// Guards old Mac text (lines ended by a lone `\r`): messages count those lines as editors do, every inserted
// line (a kustomize `digest:`, a rules_oci `digest = …`, a `--tag-comment` line above a flow mapping) ends
// with a lone `\r`, the result is pinned byte-exact, and a second run finds nothing to do. A Dockerfile, whose
// format reads no lone `\r` as a line break, is refused with the reason.
#[test]
fn cr_only_files_get_their_lines_and_their_line_ending() {
    let fx = Fixtures::start(Variant::Plain);
    let dir = tempfile::tempdir().unwrap();
    let host = fx.registry.host();
    let (v1, multi) = (fx.digest("v1"), fx.digest("multi"));
    let files = [
        (
            "kustomization.yaml",
            format!("images:\r- name: a\r  newName: {host}/{REPO}\r  newTag: v1\rresources:\r- pod.yaml\r"),
            format!("images:\r- name: a\r  newName: {host}/{REPO}\r  newTag: v1\r  digest: {v1}\rresources:\r- pod.yaml\r"),
        ),
        (
            "pod.yaml",
            format!("spec:\r  containers:\r  - name: web\r    image: {host}/{REPO}:multi\r  - {{name: b, image: {host}/{REPO}:v1}}\r"),
            format!("spec:\r  containers:\r  - name: web\r    image: {host}/{REPO}@{multi} # {host}/{REPO}:multi\r  # pin: {host}/{REPO}:v1\r  - {{name: b, image: {host}/{REPO}@{v1}}}\r"),
        ),
        (
            "MODULE.bazel",
            format!("oci = use_extension(\"@rules_oci//oci:extensions.bzl\", \"oci\")\roci.pull(\r    name = \"app\",\r    image = \"{host}/{REPO}\",\r    tag = \"v1\",\r)\r"),
            format!("oci = use_extension(\"@rules_oci//oci:extensions.bzl\", \"oci\")\roci.pull(\r    name = \"app\",\r    image = \"{host}/{REPO}\",\r    digest = \"{v1}\",\r    tag = \"v1\",\r)\r"),
        ),
    ];
    for (name, input, _) in &files {
        fs::write(dir.path().join(name), input).unwrap();
    }
    let list = run_pin(dir.path(), &["list", "."], &[]);
    assert_eq!(list.status.code(), Some(0), "{}", stderr(&list));
    assert_eq!(
        stdout(&list),
        format!(
            "MODULE.bazel:5:5\t{host}/{REPO}:v1\tunpinned\n\
             kustomization.yaml:4:3\t{host}/{REPO}:v1\tunpinned\n\
             pod.yaml:4:12\t{host}/{REPO}:multi\tunpinned\n\
             pod.yaml:5:22\t{host}/{REPO}:v1\tunpinned\n"
        )
    );
    let o = fx.pin(dir.path(), &["-w", "--tag-comment", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for (name, _, want) in &files {
        let got = fs::read_to_string(dir.path().join(name)).unwrap();
        assert_eq!(&got, want, "{name}");
    }
    let again = fx.pin(dir.path(), &["--check", "."]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));

    fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM {host}/{REPO}:v1\rRUN true\r"),
    )
    .unwrap();
    let o = fx.pin(dir.path(), &["-w", "Dockerfile"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("Dockerfile:2:1: error: ")
            && stderr(&o).contains("(the file's lines end with a lone `\\r`, which Docker does not read as a line break)"),
        "{}",
        stderr(&o)
    );
    assert_file(
        dir.path(),
        "Dockerfile",
        &format!("FROM {host}/{REPO}:v1\rRUN true\r"),
    );
}

// Guards `pin update`: after a tag moves, only that digest changes (tag kept); --check reports drift; a
// digest-only reference is reported as having no tag to follow.
#[test]
fn update_follows_moved_tags() {
    let fx = Fixtures::start(Variant::Plain);
    let dir = tempfile::tempdir().unwrap();
    let host = fx.registry.host();
    let old = fx.digest("v1");
    let text = format!(
        "spec:\n  containers:\n  - name: a\n    image: {host}/{REPO}:v1@{old}  # moves\n  - name: b\n    image: {host}/{REPO}:docker-v1@{}\n  - name: c\n    image: {host}/{REPO}@{old}\n",
        fx.digest("docker-v1")
    );
    let file = dir.path().join("pod.yaml");
    fs::write(&file, &text).unwrap();
    let o = fx.pin(dir.path(), &["update", "--check", "."]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "nothing moved yet: {}",
        stderr(&o)
    );
    // The digest without a tag: one warning line for the run, naming how many and how to fix it; a finding
    // only with --require-tags.
    assert_eq!(
        stderr(&o)
            .matches("1 pin has a digest and no tag, so `pin update` cannot follow them")
            .count(),
        1,
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains(
            "`pin unpin -w --from-lock pin.lock` gives each back the tag that the lockfile of the run \
             that pinned it records (or write the tag back by hand), then `pin -w`, whose default keeps \
             each tag, pins them again"
        ),
        "{}",
        stderr(&o)
    );
    let o = fx.pin(dir.path(), &["update", "--check", "--require-tags", "."]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    // The findings of a check are on stdout.
    assert!(
        stdout(&o).contains("pod.yaml:8:12: PIN075"),
        "{}",
        stdout(&o)
    );

    let moved = fx.registry.move_tag(REPO, "v1", "oci-v1-moved");
    assert_ne!(moved.digest, old);
    let o = fx.pin(dir.path(), &["update", "--check", "."]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(fs::read_to_string(&file).unwrap(), text, "--check wrote");
    let o = fx.pin(dir.path(), &["update", "-w", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let want = text.replacen(&format!(":v1@{old}"), &format!(":v1@{}", moved.digest), 1);
    assert_eq!(fs::read_to_string(&file).unwrap(), want);
    assert!(stderr(&o).contains("no tag to follow"), "{}", stderr(&o));
    let o = fx.pin(dir.path(), &["update", "--check", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

// Guards platform pins under `pin update`: a pin of the arm64 child stays the arm64 child of the new index.
#[test]
fn update_keeps_platform_pins_platform_specific() {
    let fx = Fixtures::start(Variant::Plain);
    let dir = tempfile::tempdir().unwrap();
    let host = fx.registry.host();
    fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM {host}/{REPO}:multi\n"),
    )
    .unwrap();
    let o = fx.pin(
        dir.path(),
        &["-w", "--keep-tag", "--platform", "linux/arm64", "."],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let arm = fx.pushed["multi"]
        .child_digest("linux/arm64")
        .unwrap()
        .to_string();
    let read = || fs::read_to_string(dir.path().join("Dockerfile")).unwrap();
    assert_eq!(read(), format!("FROM {host}/{REPO}:multi@{arm}\n"));

    let new = fx
        .registry
        .push_oci_index(REPO, "multi", "multi-2", TWO_PLATFORMS);
    let new_arm = new.child_digest("linux/arm64").unwrap();
    assert_ne!(new_arm, arm);
    let o = fx.pin(dir.path(), &["update", "-w", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(read(), format!("FROM {host}/{REPO}:multi@{new_arm}\n"));
}

// Guards the budget of `pin update` for the common case, an index pin whose tag moved: two HEADs (the tag,
// the pinned digest) and one GET of each index, to compare their platforms' manifests; an index pinned
// under two tags is fetched once.
#[test]
fn update_of_an_index_pin_gets_each_index_once() {
    let fx = Fixtures::start(Variant::Plain);
    let dir = tempfile::tempdir().unwrap();
    let host = fx.registry.host();
    let old = fx.digest("multi");
    let file = dir.path().join("Dockerfile");
    fs::write(&file, format!("FROM {host}/{REPO}:multi@{old}\n")).unwrap();
    let new = fx
        .registry
        .push_oci_index(REPO, "multi", "multi-3", TWO_PLATFORMS);
    let o = fx.pin(dir.path(), &["update", "-w", "-v", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_holds(&file, &format!("FROM {host}/{REPO}:multi@{}\n", new.digest));
    assert_stderr_has(&o, "requests: 1 ping, 0 token, 2 HEAD, 2 GET");

    // The same index under a second tag, both tags moved together: each index is still fetched once.
    let first = &fx.pushed["multi"];
    fx.registry
        .push_manifest(REPO, "also", first.media_type, &first.manifest);
    fs::write(
        &file,
        format!("FROM {host}/{REPO}:multi@{old}\nFROM {host}/{REPO}:also@{old}\n"),
    )
    .unwrap();
    let newer = fx
        .registry
        .push_oci_index(REPO, "multi", "multi-4", TWO_PLATFORMS);
    fx.registry
        .push_manifest(REPO, "also", newer.media_type, &newer.manifest);
    let o = fx.pin(dir.path(), &["update", "-w", "-v", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        fs::read_to_string(&file).unwrap(),
        format!(
            "FROM {host}/{REPO}:multi@{0}\nFROM {host}/{REPO}:also@{0}\n",
            newer.digest
        )
    );
    assert_stderr_has(&o, "requests: 1 ping, 0 token, 4 HEAD, 2 GET");
}

// Guards "no churn from what you don't run" end to end: an index re-pushed with the same
// platforms' images plus an attestation is no update (nothing written; `--all-changes` takes it), an index
// lacking linux/arm64 is held back (PIN078) until the tag's index has it again, and naming only linux/amd64
// makes an arm64-less index that keeps amd64's image no update either. Digests are the harness's.
#[test]
fn update_compares_the_platforms_manifests_of_a_moved_index() {
    let registry = Registry::start(Variant::Plain);
    let host = registry.host().to_string();
    let base = registry.push_oci_index(REPO, "multi", "plat", TWO_PLATFORMS);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("Dockerfile");
    fs::write(&file, format!("FROM {host}/{REPO}:multi\n")).unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["update", "--insecure-registry", &host];
        all.extend_from_slice(args);
        all.push(".");
        run_pin(dir.path(), &all, &[])
    };
    let o = run_pin(
        dir.path(),
        &[
            "-w",
            "--tag-style",
            "keep",
            "--insecure-registry",
            &host,
            ".",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let pinned = |digest: &str| format!("FROM {host}/{REPO}:multi@{digest}\n");
    assert_eq!(fs::read_to_string(&file).unwrap(), pinned(&base.digest));

    // The same two images and a provenance attestation: a new index digest, no new image.
    let attested = registry.push_index_over(REPO, "multi", &base, TWO_PLATFORMS, Some("att-1"));
    assert_ne!(attested.digest, base.digest);
    assert_eq!(
        registry.manifest_digest(REPO, "multi").as_deref(),
        Some(attested.digest.as_str())
    );
    let o = run(&["-w", "-v"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(fs::read_to_string(&file).unwrap(), pinned(&base.digest));
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "Dockerfile:1:6: unchanged \"{host}/{REPO}:multi@{}\": the tag now points at {}, whose manifests \
             for linux/amd64, linux/arm64 (those of the pinned index) are the pinned index's: not an update",
            base.digest, attested.digest
        )),
        "{err}"
    );
    assert!(
        err.contains("requests: 1 ping, 0 token, 2 HEAD, 2 GET"),
        "{err}"
    );
    assert!(err.contains("0 updated, 1 already pinned"), "{err}");
    // Said at -v only; --check finds nothing to do.
    let o = run(&["--check"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stderr(&o).contains("not an update"), "{}", stderr(&o));
    let o = run(&["--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let entry = &v["references"][0];
    assert_eq!(entry["status"], "unchanged", "{entry}");
    assert_eq!(entry["code"], "PIN079", "{entry}");
    assert_eq!(entry["digest"], attested.digest.as_str(), "{entry}");
    assert_eq!(entry["previousDigest"], base.digest.as_str(), "{entry}");
    assert!(entry.get("held").is_none(), "{entry}");
    assert_eq!(fs::read_to_string(&file).unwrap(), pinned(&base.digest));
    // --all-changes takes any new index.
    let o = run(&["-w", "--all-changes"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(fs::read_to_string(&file).unwrap(), pinned(&attested.digest));

    // linux/arm64 dropped: held back, whatever the flags, and said without -v: status held, counted in the
    // summary with its cause, as a --min-age hold is.
    let amd_only = registry.push_index_over(REPO, "multi", &base, &["linux/amd64"], None);
    assert_eq!(amd_only.children.len(), 1);
    let held_line = format!(
        "Dockerfile:1:6: held {host}/{REPO}:multi@{}: its tag multi now points at {}, which has no linux/arm64 \
         manifest; applied once the tag's index has every platform required (linux/amd64, linux/arm64: those \
         of the pinned index)\n",
        attested.digest, amd_only.digest
    );
    for extra in [&[][..], &["--all-changes"]] {
        let mut args = vec!["-w"];
        args.extend_from_slice(extra);
        let o = run(&args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(stderr(&o).contains(&held_line), "{}", stderr(&o));
        assert!(
            stderr(&o).contains(
                "pin: 1 file scanned, 1 reference found: 0 updated, 0 already pinned, 0 skipped, 1 held back \
                 (missing a platform)\n"
            ),
            "{}",
            stderr(&o)
        );
        assert_eq!(fs::read_to_string(&file).unwrap(), pinned(&attested.digest));
    }
    // A hold is no change: --check exits 0 and finds nothing. -q keeps this hold's line (a warning: no time
    // ends it) and drops the summary.
    let o = run(&["--check"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "", "no finding");
    let o = run(&["--check", "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o), held_line);
    let o = run(&["--check", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_valid(&o.stdout, "docs/report.schema.json");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let entry = &v["references"][0];
    assert_eq!(entry["status"], "held", "{entry}");
    assert_eq!(entry["code"], "PIN078", "{entry}");
    assert_eq!(entry["tag"], "multi", "{entry}");
    assert_eq!(entry["digest"], amd_only.digest.as_str(), "{entry}");
    assert_eq!(entry["previousDigest"], attested.digest.as_str(), "{entry}");
    assert_eq!(entry["held"]["code"], "PIN078", "{entry}");
    assert_eq!(
        entry["held"]["eligibleAt"],
        serde_json::Value::Null,
        "{entry}"
    );
    assert_eq!(
        entry["held"]["missingPlatforms"],
        serde_json::json!(["linux/arm64"]),
        "{entry}"
    );
    assert!(
        entry["held"]["reason"]
            .as_str()
            .is_some_and(|h| h.contains("no linux/arm64 manifest")),
        "{entry}"
    );
    assert_eq!(v["summary"]["held"], 1, "{v}");
    assert_eq!(v["summary"]["unchanged"], 0, "{v}");
    let o = run(&["--format", "sarif"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_valid(&o.stdout, "tests/schemas/sarif-schema-2.1.0.json");
    let log: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let result = &log["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "PIN078", "{result}");
    assert_eq!(result["level"], "warning", "{result}");
    assert_eq!(result["properties"]["held"]["code"], "PIN078", "{result}");
    assert_eq!(
        result["properties"]["digest"],
        amd_only.digest.as_str(),
        "{result}"
    );
    let o = run(&["--format", "markdown"]);
    let short = |d: &str| d["sha256:".len().."sha256:".len() + 12].to_string();
    let row = format!(
        "| `{host}/{REPO}` | `multi` | `{}` | `{}` | - | no linux/arm64 manifest in the new index | \
         `Dockerfile:1:6` |",
        short(&attested.digest),
        short(&amd_only.digest),
    );
    assert!(
        stdout(&o).contains("#### Held back") && stdout(&o).contains(&row),
        "{}",
        stdout(&o)
    );
    // Only amd64 required (here from pin.toml): its image is the pinned one, so no update and no hold.
    fs::write(
        dir.path().join("pin.toml"),
        "[update]\nplatforms = [\"linux/amd64\"]\n",
    )
    .unwrap();
    let o = run(&["-w", "-v"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_stderr_has(
        &o,
        "whose manifests for linux/amd64 (pin.toml:2) are the pinned index's",
    );
    fs::remove_file(dir.path().join("pin.toml")).unwrap();

    // New images for both platforms: an update.
    let rebuilt = registry.push_oci_index(REPO, "multi", "plat-2", TWO_PLATFORMS);
    let o = run(&["-w"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(fs::read_to_string(&file).unwrap(), pinned(&rebuilt.digest));
}

// Guards Docker Hub's pull budget for moved index pins: without `--labels` no GET is made (the index is taken
// as before, uncompared); with it, one GET of each index, and an attestation-only change is no update.
#[test]
fn docker_hub_index_pins_are_compared_only_with_labels() {
    let registry = Registry::start(Variant::Plain);
    let host = registry.host().to_string();
    let base = registry.push_oci_index("library/app", "1", "hub-plat", TWO_PLATFORMS);
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("registries.conf");
    fs::write(
        &conf,
        format!("[[registry]]\nprefix = \"docker.io\"\nlocation = \"{host}\"\ninsecure = true\n"),
    )
    .unwrap();
    let file = dir.path().join("Dockerfile");
    let text = format!("FROM app:1@{}\n", base.digest);
    fs::write(&file, &text).unwrap();
    let attested =
        registry.push_index_over("library/app", "1", &base, TWO_PLATFORMS, Some("hub-att"));
    let env = [("CONTAINERS_REGISTRIES_CONF", conf.to_str().unwrap())];
    let before = logged_gets(&registry);
    let o = run_pin(dir.path(), &["update", "-v", "."], &env);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(&format!("+FROM app:1@{}", attested.digest)),
        "{}",
        stdout(&o)
    );
    assert!(stderr(&o).contains(" 2 HEAD, 0 GET,"), "{}", stderr(&o));
    assert_eq!(logged_gets(&registry) - before, 0, "{}", registry.log());
    // The finding says the index was taken uncompared, and why.
    let o = run_pin(dir.path(), &["update", "--check", "."], &env);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(&format!(
            "PIN002 app:1@{}: its tag now points at {} (Docker Hub counts a manifest GET as a pull, so a \
             moved index is compared by its platforms' manifests there only with `--labels`)",
            base.digest, attested.digest
        )),
        "{}",
        stdout(&o)
    );
    assert_eq!(logged_gets(&registry) - before, 0, "{}", registry.log());

    let o = run_pin(dir.path(), &["update", "-w", "-v", "--labels", "."], &env);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("not an update"), "{}", stderr(&o));
    assert_eq!(fs::read_to_string(&file).unwrap(), text);
    assert_eq!(logged_gets(&registry) - before, 2, "{}", registry.log());
}

// Guards the markdown body of `pin update`: a moved tag shows its old and new digest and the OCI labels of the
// image it points at now (read from the config blob: one manifest GET and one blob GET, counted in -v), label
// text shown as inert code; `--no-labels` makes no GET at all.
#[test]
fn update_markdown_shows_digests_and_labels_of_a_moved_tag() {
    let registry = Registry::start(Variant::Plain);
    let host = registry.host().to_string();
    let old = registry.push_oci_image(REPO, "v1", "labels-old").digest;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("Dockerfile");
    let text = format!("FROM {host}/{REPO}:v1@{old}\n");
    fs::write(&file, &text).unwrap();
    let (moved, config) = registry.push_labelled_image(
        REPO,
        "v1",
        "labels-new",
        &[
            ("org.opencontainers.image.created", "2024-05-01T10:00:00Z"),
            ("org.opencontainers.image.revision", "0123abc`<b>|x"),
            (
                "org.opencontainers.image.source",
                "https://example.com/org/app",
            ),
            ("org.opencontainers.image.title", "not shown"),
        ],
    );
    assert_eq!(
        registry.manifest_digest(REPO, "v1").as_deref(),
        Some(moved.digest.as_str())
    );
    // The expected values are the ones in the config bytes pushed.
    let pushed: serde_json::Value = serde_json::from_slice(&config).unwrap();
    let label = |name: &str| {
        pushed["config"]["Labels"][format!("org.opencontainers.image.{name}")]
            .as_str()
            .unwrap()
            .to_string()
    };
    let run = |extra: &[&str]| {
        let mut args = vec![
            "update",
            "--insecure-registry",
            &host,
            "--format",
            "markdown",
            "-v",
        ];
        args.extend_from_slice(extra);
        args.push(".");
        run_pin_stdin(dir.path(), &args, &[], "")
    };

    let o = run(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let body = stdout(&o);
    assert!(
        body.contains(&format!(
            "- `{host}/{REPO}` `v1`: `{old}` → `{}`\n",
            moved.digest
        )),
        "{body}"
    );
    assert!(
        body.contains(&format!("  - created: `{}`\n", label("created"))),
        "{body}"
    );
    assert_eq!(label("revision"), "0123abc`<b>|x");
    assert!(body.contains("  - revision: ``0123abc`<b>|x``\n"), "{body}");
    assert!(
        body.contains(&format!("  - source: [`{0}`](<{0}>)\n", label("source"))),
        "{body}"
    );
    assert!(!body.contains("not shown"), "{body}");
    assert!(
        stderr(&o).contains("requests: 1 ping, 0 token, 2 HEAD, 2 GET, 0 retried")
            && stderr(&o).contains("; 2 of the GETs for the labels of 1 image"),
        "{}",
        stderr(&o)
    );
    assert_eq!(fs::read_to_string(&file).unwrap(), text, "a dry run wrote");

    let o = run(&["--no-labels"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let body = stdout(&o);
    assert!(
        body.contains(&format!("`{old}` → `{}`", moved.digest)),
        "{body}"
    );
    assert!(!body.contains("created"), "{body}");
    assert_stderr_has(&o, "requests: 1 ping, 0 token, 2 HEAD, 0 GET, 0 retried");
}

/// The manifest and blob GETs the registry logged (distribution's "response completed" lines), server-side.
fn logged_gets(registry: &Registry) -> usize {
    registry
        .log()
        .lines()
        .filter(|l| l.contains("response completed") && l.contains("http.request.method=GET"))
        .filter(|l| l.contains("/manifests/") || l.contains("/blobs/"))
        .count()
}

// Guards Docker Hub's pull budget: a tag under docker.io (remapped by registries.conf to the harness) that
// moved costs HEADs only for `pin update --format markdown`, by the registry's own log: no label GET unless
// `--labels`, and the body says why the labels were not read.
#[test]
fn docker_hub_sees_no_get_by_default() {
    let registry = Registry::start(Variant::Plain);
    let host = registry.host().to_string();
    let old = registry
        .push_oci_image("library/app", "1", "hub-old")
        .digest;
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("registries.conf");
    fs::write(
        &conf,
        format!("[[registry]]\nprefix = \"docker.io\"\nlocation = \"{host}\"\ninsecure = true\n"),
    )
    .unwrap();
    let file = dir.path().join("Dockerfile");
    fs::write(&file, format!("FROM app:1@{old}\n")).unwrap();
    let new = registry.move_tag("library/app", "1", "hub-new").digest;
    let env = [("CONTAINERS_REGISTRIES_CONF", conf.to_str().unwrap())];
    let before = logged_gets(&registry);
    let o = run_pin_stdin(
        dir.path(),
        &["update", "--format", "markdown", "-v", "."],
        &env,
        "",
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let body = stdout(&o);
    assert!(body.contains(&format!("`{old}` → `{new}`")), "{body}");
    assert!(
        body.contains("labels not read: Docker Hub counts a manifest GET as a pull"),
        "{body}"
    );
    assert!(stderr(&o).contains(" 0 GET,"), "{}", stderr(&o));
    assert_eq!(logged_gets(&registry) - before, 0, "{}", registry.log());

    let o = run_pin_stdin(
        dir.path(),
        &["update", "--format", "markdown", "--labels", "-v", "."],
        &env,
        "",
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("no `org.opencontainers.image` created"),
        "{}",
        stdout(&o)
    );
    assert_eq!(logged_gets(&registry) - before, 2, "{}", registry.log());
}

// Guards the labels of a moved index pin: they are read from the linux/amd64 image (index GET, child GET,
// config GET, after the GETs of both indexes that compare their platforms' manifests); an image without
// labels says so.
#[test]
fn update_markdown_reads_the_labels_of_an_index_from_its_amd64_image() {
    let fx = Fixtures::start(Variant::Plain);
    let dir = tempfile::tempdir().unwrap();
    let host = fx.registry.host();
    let old = fx.digest("multi");
    fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM {host}/{REPO}:multi@{old}\n"),
    )
    .unwrap();
    let new = fx
        .registry
        .push_oci_index(REPO, "multi", "multi-labels", TWO_PLATFORMS);
    let o = fx.pin(dir.path(), &["update", "--format", "markdown", "-v", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let body = stdout(&o);
    assert!(
        body.contains(&format!(
            "`{old}` → `{}`\n  - no `org.opencontainers.image` created, revision or source label\n",
            new.digest
        )),
        "{body}"
    );
    assert_stderr_has(&o, "requests: 1 ping, 0 token, 2 HEAD, 5 GET, 0 retried");
}

// Guards --format json: one document with every reference, the documented fields, and the summary.
#[test]
fn json_report_lists_every_reference() {
    let fx = Fixtures::start(Variant::Plain);
    let (dir, _) = fx.tree();
    let o = fx.pin(dir.path(), &["--format", "json", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value =
        serde_json::from_slice(&o.stdout).expect("stdout is one JSON document");
    let refs = v["references"].as_array().unwrap();
    assert_eq!(refs.len(), 10);
    let app = refs.iter().find(|r| r["line"] == 17).unwrap();
    assert_eq!(app["file"], "k8s/app.yaml");
    assert_eq!(app["kind"], "yaml");
    assert_eq!(app["status"], "pinned");
    assert_eq!(app["digest"], fx.digest("v1"));
    assert_eq!(
        app["pinned"],
        format!("{}/{REPO}@{}", fx.registry.host(), fx.digest("v1"))
    );
    let latest = refs.iter().find(|r| r["line"] == 32).unwrap();
    assert!(
        latest["note"].as_str().unwrap().contains("IfNotPresent"),
        "{latest}"
    );
    let template = refs.iter().find(|r| r["status"] == "skipped").unwrap();
    assert!(template["reason"].as_str().unwrap().contains("template"));
    assert_eq!(v["summary"]["pinned"], 9);
    assert_eq!(v["summary"]["skipped"], 1);
    assert_eq!(v["summary"]["error"], 0);
}

// Guards the stdin filter (Helm post-renderer, kustomize build | pin - | kubectl apply): the whole stream
// out, rewritten; on error, exit 2 and nothing on stdout.
#[test]
fn stdin_filter_rewrites_the_stream() {
    let fx = Fixtures::start(Variant::Plain);
    let dir = tempfile::tempdir().unwrap();
    let host = fx.registry.host();
    let input = format!("---\n# Source: chart/templates/deploy.yaml\nkind: Pod\nspec:\n  containers:\n  - name: a\n    image: {host}/{REPO}:v1\n---\nkind: ConfigMap\n");
    let o = fx.pin_stdin(dir.path(), &["-"], &input);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        input.replace(":v1", &format!("@{} # {host}/{REPO}:v1", fx.digest("v1")))
    );

    let docker = format!("FROM {host}/{REPO}:multi\n");
    let o = fx.pin_stdin(dir.path(), &["-", "--stdin-kind", "dockerfile"], &docker);
    assert_eq!(
        stdout(&o),
        format!(
            "# pin: {host}/{REPO}:multi\nFROM {host}/{REPO}@{}\n",
            fx.digest("multi")
        ),
        "{}",
        stderr(&o)
    );

    let plain = "kind: ConfigMap\ndata: {a: b}\n";
    let o = fx.pin_stdin(dir.path(), &["-"], plain);
    assert_eq!(stdout(&o), plain, "a stream without images passes through");

    let bad = input.replace(":v1", ":nope");
    let o = fx.pin_stdin(dir.path(), &["-"], &bad);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), "", "a failed filter must print nothing");
    let o = fx.pin_stdin(dir.path(), &["-", "--keep-going"], &bad);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), "", "not even with --keep-going");
    assert!(stderr(&o).contains("<stdin>:7:12: error"), "{}", stderr(&o));
}

// Guards the ways to leave references alone: `# pin: ignore`, --exclude, --skip; and --keep-going, which
// writes the files whose references all resolved and still exits 2.
#[test]
fn ignore_exclude_skip_and_keep_going() {
    let fx = Fixtures::start(Variant::Plain);
    let dir = tempfile::tempdir().unwrap();
    let host = fx.registry.host();
    let write = |rel: &str, text: &str| {
        let p = dir.path().join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    };
    // Dockerfiles have whole-line comments only: the marker goes on the line above.
    let ignored =
        format!("# pin: ignore\nFROM {host}/{REPO}:multi\nFROM {host}/{REPO}:docker-v1\n");
    write("Dockerfile", &ignored);
    write(
        "pod.yaml",
        &format!("image: {host}/{REPO}:v1 # pin: ignore\n"),
    );
    write("vendor/x.yaml", &format!("image: {host}/{REPO}:v1\n"));
    write("internal.yaml", &format!("image: {host}/internal/app:v1\n"));
    write("broken.yaml", &format!("image: {host}/{REPO}:nope\n"));
    let o = fx.pin(
        dir.path(),
        &[
            "-w",
            "--keep-going",
            "--exclude",
            "vendor/**",
            "--skip",
            "/internal/",
            ".",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let read = |rel: &str| fs::read_to_string(dir.path().join(rel)).unwrap();
    assert_eq!(
        read("Dockerfile"),
        ignored.replace(
            &format!("FROM {host}/{REPO}:docker-v1"),
            &format!(
                "# pin: {host}/{REPO}:docker-v1\nFROM {host}/{REPO}@{}",
                fx.digest("docker-v1")
            )
        )
    );
    assert_eq!(read("vendor/x.yaml"), format!("image: {host}/{REPO}:v1\n"));
    assert_eq!(
        read("pod.yaml"),
        format!("image: {host}/{REPO}:v1 # pin: ignore\n")
    );
    assert_eq!(
        read("internal.yaml"),
        format!("image: {host}/internal/app:v1\n")
    );
    assert_eq!(read("broken.yaml"), format!("image: {host}/{REPO}:nope\n"));
    let err = stderr(&o);
    assert!(
        err.contains("marked `# pin: ignore`") && err.contains("matches --skip"),
        "{err}"
    );
}

// Guards colour: --color always paints the diff; a pipe gets plain text by default (the other tests).
#[test]
fn colour_on_request() {
    let fx = Fixtures::start(Variant::Plain);
    let (dir, _) = fx.tree();
    let o = fx.pin(dir.path(), &["--color", "always", "Dockerfile"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("\x1b[31m-FROM "), "{}", stdout(&o));
    let o = fx.pin(dir.path(), &["Dockerfile"]);
    assert!(!stdout(&o).contains('\x1b'));
}

// Guards --ca-cert: a file that holds no certificate is an error naming it, not silently ignored.
#[test]
fn a_ca_file_without_certificates_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("bad.pem"), "not a certificate\n").unwrap();
    let o = run_pin(
        dir.path(),
        &["resolve", "--ca-cert", "bad.pem", "127.0.0.1:9/a/b:1"],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert_stderr_has(&o, "--ca-cert bad.pem: no PEM certificate");
    let o = run_pin(
        dir.path(),
        &["resolve", "--ca-cert", "missing.pem", "127.0.0.1:9/a/b:1"],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert_stderr_has(&o, "--ca-cert missing.pem");
}

// Guards every other file kind against the real registry: compose (through an anchor and merge keys),
// GitHub Actions (docker:// on a job container and a service too) and action metadata, GitLab CI, kustomize (a
// digest line inserted in a CRLF file, an empty digest filled), Helm values (a split image mapping's digest
// filled), Kubernetes JSON (LF, CRLF, no final newline, an escaped string left alone), the CI dialects (Cloud
// Build YAML and JSON, Azure Pipelines, Bitbucket, CircleCI, Drone, Woodpecker: each with a CRLF file and one
// without a final newline; aliases, `{name: …}` forms, a `machine.image` left alone), Podman Quadlet units (a CRLF
// `.image`, a `.volume` without a final newline), ko configurations (a CRLF one without a final newline, a
// `ko.local` base skipped), Helm values with `{{ }}` only in comments and image mappings
// under `clickHouseImage:`, an indented `# escape=` directive, string services, a `docker://` pipe, the Docker
// provider's containers and services; look-alikes such as
// `package.json`, a YAML file with `steps[].name` and `container:` keys, a unit without `Image=` and a `.service`
// are left alone.
#[test]
fn every_file_kind_is_pinned_byte_exact() {
    let fx = Fixtures::start(Variant::Plain);
    let (dir, expected) = fx.tree_named("kinds");
    // Images only: the workflow's `actions/checkout@v4` would be resolved on github.com (tests/actions.rs
    // pins actions against a git server of its own).
    let o = fx.pin(dir.path(), &["-w", "--no-actions", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_tree(dir.path(), &expected);
    let err = stderr(&o);
    assert!(
        err.contains("local/built:dev"),
        "the built image is reported as skipped: {err}"
    );
    let again = fx.pin(dir.path(), &["--check", "--no-actions", "."]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
}

// Guards the kind of every file in JSON and that look-alikes (package.json) are read but hold nothing: `pin list`
// over the kinds tree gives exactly the references of `tests/e2e/kinds/list.txt`, written by hand.
#[test]
fn every_file_kind_is_listed_with_its_kind() {
    let fx = Fixtures::start(Variant::Plain);
    let (dir, _) = fx.tree_named("kinds");
    let got = listed(dir.path());
    let list = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/kinds/list.txt");
    let want = fx.expand(&fs::read_to_string(list).unwrap());
    assert_eq!(got.join("\n") + "\n", want);
}

// Guards the HCL and Bazel kinds of the kinds tree: `pin list` names exactly their images, with their kinds,
// and leaves the look-alikes (a `.tf` without these resources, a `MODULE.bazel` without rules_oci, a Nomad
// task of another driver) out. `every_file_kind_is_pinned_byte_exact` rewrites the same files (each kind with a
// CRLF file and one without a final newline) and compares them byte for byte.
#[test]
fn hcl_and_bazel_files_list_their_images_with_their_kinds() {
    let fx = Fixtures::start(Variant::Plain);
    let (dir, _) = fx.tree_named("kinds");
    let o = run_pin(dir.path(), &["list", "--format", "json", "."], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON document");
    let ours = ["terraform/", "nomad/", "bake/", "packer/", "bazel/"];
    let mut got: Vec<(String, String, String, String)> = v["references"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            ours.iter()
                .any(|d| r["file"].as_str().unwrap().starts_with(d))
        })
        .map(|r| {
            let original = r["original"].as_str().unwrap();
            let tag = original.rsplit_once(':').map_or(original, |(_, t)| t);
            (
                r["file"].as_str().unwrap().to_owned(),
                r["kind"].as_str().unwrap().to_owned(),
                tag.to_owned(),
                r["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    got.sort();
    let row = |f: &str, k: &str, t: &str, s: &str| {
        (f.to_owned(), k.to_owned(), t.to_owned(), s.to_owned())
    };
    assert_eq!(
        got,
        [
            row("bake/docker-bake.hcl", "docker-bake", "${TAG}", "skipped"),
            row("bake/docker-bake.hcl", "docker-bake", "v1", "unpinned"),
            row(
                "bake/docker-bake.override.hcl",
                "docker-bake",
                "multi",
                "unpinned"
            ),
            row("bazel/MODULE.bazel", "bazel", "docker-v1", "unpinned"),
            row("bazel/MODULE.bazel", "bazel", "multi", "unpinned"),
            row("bazel/MODULE.bazel", "bazel", "v1", "unpinned"),
            row("bazel/WORKSPACE", "bazel", "docker-multi", "unpinned"),
            row("nomad/batch.nomad.hcl", "nomad", "docker-v1", "unpinned"),
            row("nomad/web.nomad", "nomad", "multi", "unpinned"),
            row("nomad/web.nomad", "nomad", "v1", "unpinned"),
            row("packer/base.pkr.hcl", "packer", "docker-v1", "unpinned"),
            row("packer/build.pkr.hcl", "packer", "v1", "unpinned"),
            row("terraform/cron.tf", "terraform", "docker-multi", "unpinned"),
            // `data "docker_registry_image"`: a lookup.
            row("terraform/docker.tf", "terraform", "latest", "skipped"),
            row("terraform/docker.tf", "terraform", "multi", "unpinned"),
            row("terraform/docker.tf", "terraform", "v1", "unpinned"),
            row("terraform/main.tf", "terraform", "docker-v1", "unpinned"),
            row("terraform/main.tf", "terraform", "latest", "skipped"),
            row("terraform/main.tf", "terraform", "multi", "unpinned"),
            // `"${var.registry}/app:v1"`.
            row("terraform/main.tf", "terraform", "v1", "skipped"),
            row("terraform/main.tf", "terraform", "v1", "unpinned"),
        ]
    );
}

// Guards the exit status of a usage error: 2, like every other error, and nothing done.
#[test]
fn a_bad_flag_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_pin(dir.path(), &["--no-such-flag"], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = run_pin(dir.path(), &["-w", "--check"], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

// Guards what `pin list` reports for small real projects, one per directory of `tests/e2e/list`: each case's
// `in/` tree is listed from inside it, and the listing (then `exit: N`) must equal its `list.txt`, checked by
// hand (golden files: `PIN_BLESS=1` rewrites them).
#[test]
fn list_cases_match_their_listings() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/list");
    let mut cases: Vec<PathBuf> = fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(!cases.is_empty());
    let mut goldens = Goldens::new();
    for case in cases {
        let o = run_pin(&case.join("in"), &["list", "-q", "."], &[]);
        let got = format!("{}exit: {}\n", stdout(&o), o.status.code().unwrap_or(-1));
        goldens.check_with(case.join("list.txt"), &got, &stderr(&o));
    }
    goldens.finish();
}

// Guards YAML read as libyaml reads it (quoted scalars continued left of their block, as in the Gateway API CRDs
// traefik ships): the image in the same file is pinned against the real registry and no other byte changes.
#[test]
fn yaml_libyaml_leniency_is_pinned_byte_exact() {
    let fx = Fixtures::start(Variant::Plain);
    let (dir, expected) = fx.tree_named("libyaml");
    let o = fx.pin(dir.path(), &["-w", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_tree(dir.path(), &expected);
    let again = fx.pin(dir.path(), &["--check", "."]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
}

// Guards the other direction: a stray `}` after a block mapping is refused as libyaml refuses it (it was once
// read as part of the value `nginx:1}`), with the place, exit 2, and nothing listed.
#[test]
fn a_stray_closing_brace_is_an_error_at_its_place() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.yaml"), "image: nginx:1\n}").unwrap();
    let o = run_pin(dir.path(), &["list", "a.yaml"], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    let err = stderr(&o);
    assert!(err.starts_with("a.yaml:2:1: error: "), "{err}");
}

// Guards tag comments end to end: `--tag-comment` writes the tag beside the digest (YAML: after the value and
// before an existing comment; Dockerfile: a line above, CRLF kept), `pin update` follows it after the tag moves
// (only the digest changes), and `pin unpin` gives back the original bytes.
#[test]
fn tag_comments_are_written_followed_and_unpinned() {
    let fx = Fixtures::start(Variant::Plain);
    let dir = tempfile::tempdir().unwrap();
    let host = fx.registry.host();
    let yaml = format!(
        "spec:\n  containers:\n  - name: a\n    image: \"{host}/{REPO}:v1\"  # the app\n  - name: b\n    image: {host}/{REPO}\n    imagePullPolicy: Always\n"
    );
    let docker = format!("FROM {host}/{REPO}:multi AS base\r\nRUN true\r\n");
    fs::write(dir.path().join("pod.yaml"), &yaml).unwrap();
    fs::write(dir.path().join("Dockerfile"), &docker).unwrap();
    let read = |name: &str| fs::read_to_string(dir.path().join(name)).unwrap();

    let o = fx.pin(dir.path(), &["-w", "--tag-comment", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let (v1, latest, multi) = (fx.digest("v1"), fx.digest("latest"), fx.digest("multi"));
    assert_eq!(
        read("pod.yaml"),
        format!(
            "spec:\n  containers:\n  - name: a\n    image: \"{host}/{REPO}@{v1}\" # {host}/{REPO}:v1  # the app\n  - name: b\n    image: {host}/{REPO}@{latest} # {host}/{REPO}\n    imagePullPolicy: Always\n"
        )
    );
    assert_eq!(
        read("Dockerfile"),
        format!("# pin: {host}/{REPO}:multi\r\nFROM {host}/{REPO}@{multi} AS base\r\nRUN true\r\n")
    );
    let o = fx.pin(dir.path(), &["update", "--check", "."]);
    assert_eq!(o.status.code(), Some(0), "nothing moved: {}", stderr(&o));

    // The tags move; update follows the comments (the untagged one follows `latest`).
    let new_v1 = fx.registry.move_tag(REPO, "v1", "v1-moved").digest;
    let new_latest = fx.registry.move_tag(REPO, "latest", "latest-moved").digest;
    let new_multi = fx
        .registry
        .push_oci_index(REPO, "multi", "multi-moved", TWO_PLATFORMS)
        .digest;
    let o = fx.pin(dir.path(), &["update", "--check", "."]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let o = fx.pin(dir.path(), &["update", "-w", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        read("pod.yaml"),
        format!(
            "spec:\n  containers:\n  - name: a\n    image: \"{host}/{REPO}@{new_v1}\" # {host}/{REPO}:v1  # the app\n  - name: b\n    image: {host}/{REPO}@{new_latest} # {host}/{REPO}\n    imagePullPolicy: Always\n"
        )
    );
    assert_eq!(
        read("Dockerfile"),
        format!(
            "# pin: {host}/{REPO}:multi\r\nFROM {host}/{REPO}@{new_multi} AS base\r\nRUN true\r\n"
        )
    );

    // unpin: a dry run shows it, --check counts it, -w restores the original bytes; no registry needed.
    let mut registry = fx.registry;
    registry.stop();
    let o = run_pin(dir.path(), &["unpin", "--check", "."], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let o = run_pin(dir.path(), &["unpin", "-w", "."], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(read("pod.yaml"), yaml);
    assert_eq!(read("Dockerfile"), docker);
    let o = run_pin(dir.path(), &["unpin", "--check", "."], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

// Guards `pin unpin --from-lock` end to end: `pin -w --tag-style drop --lock pin.lock` leaves bare digests;
// the lockfile (only read, `pin.lock` by default) gives each its one tag back byte for byte (YAML quoting and
// comment, a CRLF Dockerfile); a digest recorded for two tags of its repository is left alone and reported
// (PIN080, naming both); `--check` exits 1 while a tag can be restored, 0 after (the ambiguous one is a skip);
// a missing lockfile or a directory is an error (exit 2); and a default `pin -w` makes them updatable again.
#[test]
fn unpin_from_lock_gives_bare_digests_their_tags_back() {
    let registry = Registry::start(Variant::Plain);
    let host = registry.host();
    let web = registry
        .push_oci_index("team/web", "2", "from-lock-web", TWO_PLATFORMS)
        .digest;
    let db = registry
        .push_docker_image("team/db", "16", "from-lock-db")
        .digest;
    // The same image under two tags: one digest, two tags recorded for it.
    let app = registry
        .push_oci_image("team/app", "1.0", "from-lock-app")
        .digest;
    assert_eq!(
        registry
            .push_oci_image("team/app", "1.0.3", "from-lock-app")
            .digest,
        app
    );
    let dir = tempfile::tempdir().unwrap();
    let yaml = format!(
        "spec:\n  containers:\n  - image: \"{host}/team/web:2\"  # the web\n  - image: {host}/team/db:16\n"
    );
    let docker = format!("FROM {host}/team/db:16 AS base\r\nRUN true\r\n");
    let twins = format!("a: {{image: {host}/team/app:1.0}}\nb: {{image: {host}/team/app:1.0.3}}\n");
    fs::write(dir.path().join("pod.yaml"), &yaml).unwrap();
    fs::write(dir.path().join("Dockerfile"), &docker).unwrap();
    fs::write(dir.path().join("twins.yaml"), &twins).unwrap();
    let read = |name: &str| fs::read_to_string(dir.path().join(name)).unwrap();
    let pin = |args: &[&str]| {
        let mut all = vec!["--insecure-registry", host];
        if matches!(args.first(), Some(&"update")) {
            all.insert(0, "update");
            all.extend(&args[1..]);
        } else {
            all.extend(args);
        }
        run_pin(dir.path(), &all, &[])
    };

    let o = pin(&["-w", "--tag-style", "drop", "--lock", "pin.lock", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let bare = format!(
        "spec:\n  containers:\n  - image: \"{host}/team/web@{web}\"  # the web\n  - image: {host}/team/db@{db}\n"
    );
    assert_eq!(read("pod.yaml"), bare);
    assert_eq!(
        read("Dockerfile"),
        format!("FROM {host}/team/db@{db} AS base\r\nRUN true\r\n")
    );
    let twins_pinned =
        format!("a: {{image: {host}/team/app@{app}}}\nb: {{image: {host}/team/app@{app}}}\n");
    assert_eq!(read("twins.yaml"), twins_pinned);
    let lock = fs::read(dir.path().join("pin.lock")).unwrap();

    // Without a lockfile there is no tag to restore; the skip names the flag.
    let o = run_pin(dir.path(), &["unpin", "--check", "-v", "."], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_stderr_has(&o, "`pin unpin --from-lock`");

    // `--from-lock` alone reads pin.lock; a check finds the three restorable pins.
    let o = run_pin(dir.path(), &["unpin", "--from-lock", "--check", "."], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let found = format!("{}{}", stdout(&o), stderr(&o));
    assert_eq!(found.matches("PIN015").count(), 3, "{found}");
    let o = run_pin(
        dir.path(),
        &["unpin", "-w", "--from-lock", "pin.lock", "."],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(read("pod.yaml"), yaml);
    assert_eq!(read("Dockerfile"), docker);
    assert_eq!(read("twins.yaml"), twins_pinned, "two tags: none guessed");
    let err = stderr(&o);
    assert_eq!(
        err.matches(
            "the lockfile records 2 tags of this repository resolving to this digest (1.0, 1.0.3)"
        )
        .count(),
        2,
        "{err}"
    );
    assert_eq!(
        fs::read(dir.path().join("pin.lock")).unwrap(),
        lock,
        "only read"
    );
    let o = run_pin(
        dir.path(),
        &[
            "unpin",
            "--check",
            "--format",
            "json",
            "--from-lock",
            "pin.lock",
            ".",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o).matches("\"code\": \"PIN080\"").count(),
        2,
        "{}",
        stdout(&o)
    );

    // A lockfile that is not there, or a directory given for it: an error, nothing written.
    let o = run_pin(
        dir.path(),
        &["unpin", "-w", "--from-lock", "none.lock", "."],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_stderr_has(&o, "none.lock: the lockfile does not exist");
    let o = run_pin(dir.path(), &["unpin", "--from-lock", "."], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains(". is a directory"), "{}", stderr(&o));

    // A default `pin -w` keeps the tags restored, so `pin update` follows them; only the twins stay untagged.
    let o = pin(&["-w", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = pin(&["update", "--check", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_stderr_has(&o, "2 pins have a digest and no tag");
    let o = pin(&["update", "--check", "--require-tags", "."]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(stdout(&o).matches("PIN075").count(), 2, "{}", stdout(&o));
}

// Guards the default tag style end to end, on every file kind of the e2e trees: `pin -w` with no style keeps
// each tag (a comment where the format has comments, `name:tag@digest` where it has none); every tag then moves
// (a new image pushed under the same tag, in the same flavour); `pin update -w` follows each of them and changes
// only digests (the expected files are the pinned ones with each old digest replaced by the one pushed last);
// and `pin unpin -w` gives back the original bytes of every file, but for the digest fields that pinning adds
// beside a tag (kustomize `digest:`, Bazel `digest =`), which `pin unpin` leaves, as documented.
#[test]
fn the_default_pin_follows_moved_tags_and_unpins_to_the_original_bytes() {
    let fx = Fixtures::start(Variant::Plain);
    for tree in ["tree", "kinds", "quadlet", "project", "libyaml"] {
        let (dir, pinned) = fx.tree_named(tree);
        let original = snapshot(dir.path());
        // Images only: actions would be resolved on github.com (tests/actions.rs has a git server of its own).
        let o = fx.pin(dir.path(), &["-w", "--no-actions", "."]);
        assert_eq!(o.status.code(), Some(0), "{tree}: {}", stderr(&o));
        assert_tree(dir.path(), &pinned);
        let o = fx.pin(dir.path(), &["update", "--check", "."]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{tree}: nothing moved yet: {}",
            stderr(&o)
        );

        // Every tag moves to a new image of the same flavour.
        let seeds = FIXTURE_SEEDS.map(|seed| format!("{tree}-moved-{seed}"));
        let moved: BTreeMap<&str, String> = fx
            .registry
            .push_fixture_tags(REPO, seeds.each_ref().map(String::as_str))
            .into_iter()
            .map(|(tag, p)| (tag, p.digest))
            .collect();
        let followed: BTreeMap<PathBuf, String> = pinned
            .iter()
            .map(|(rel, text)| {
                let mut text = text.clone();
                for (tag, digest) in &moved {
                    assert_ne!(fx.digest(tag), digest, "{tag} did not move");
                    text = text.replace(fx.digest(tag), digest);
                }
                (rel.clone(), text)
            })
            .collect();
        let o = fx.pin(dir.path(), &["update", "--check", "--no-actions", "."]);
        assert_eq!(o.status.code(), Some(1), "{tree}: {}", stderr(&o));
        let o = fx.pin(dir.path(), &["update", "-w", "--no-actions", "."]);
        assert_eq!(o.status.code(), Some(0), "{tree}: {}", stderr(&o));
        assert!(!stderr(&o).contains("PIN076"), "{tree}: {}", stderr(&o));
        assert_tree(dir.path(), &followed);
        let o = fx.pin(dir.path(), &["update", "--check", "--no-actions", "."]);
        assert_eq!(o.status.code(), Some(0), "{tree}: {}", stderr(&o));

        let o = run_pin(dir.path(), &["unpin", "-w", "--no-actions", "."], &[]);
        assert_eq!(o.status.code(), Some(0), "{tree}: {}", stderr(&o));
        let digests: Vec<&str> = moved.values().map(String::as_str).collect();
        for (rel, bytes) in &original {
            let now = fs::read(dir.path().join(rel)).unwrap();
            if now == *bytes {
                continue;
            }
            let (was, now) = (
                String::from_utf8_lossy(bytes),
                String::from_utf8_lossy(&now),
            );
            assert!(
                only_digest_fields_differ(&was, &now, &digests),
                "{tree}: {} is not given back byte for byte:\n{now}\nwas:\n{was}",
                rel.display()
            );
        }
        // The digests stay moved for the next tree: restore the fixtures' own.
        fx.restore_tags();
    }
}

// Guards the README's first command block, run as written, in order, by bash: against a registry that stands in
// for Docker Hub (a registries.conf mirror, found as podman finds it, through CONTAINERS_REGISTRIES_CONF), on a
// deploy/ of docker.io images in YAML, a Dockerfile and JSON. `pin -w` keeps each tag (comments; the tag in the
// reference in JSON), `pin resolve` prints the digest pushed, the tags move before `pin update -w`, which
// changes only the digests, and `pin unpin -w` gives back the original bytes.
#[test]
fn the_readme_first_command_block_works_as_written() {
    let readme =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let block = readme
        .split("```console")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a console block in README.md");
    let commands: Vec<&str> = block
        .lines()
        .filter_map(|l| l.strip_prefix("$ "))
        .map(|l| l.find("  #").map_or(l, |at| &l[..at]).trim())
        .collect();
    // The test knows what each command must do: a change to the block must come here too.
    assert_eq!(
        commands,
        [
            "pin deploy/",
            "pin -w deploy/",
            "pin --check deploy/",
            "pin list deploy/",
            "pin resolve nginx:1.27",
            "pin update -w deploy/",
            "pin unpin -w deploy/",
        ]
    );

    let registry = Registry::start(Variant::Plain);
    let nginx = registry
        .push_oci_index("library/nginx", "1.27", "readme-nginx", TWO_PLATFORMS)
        .digest;
    let busybox = registry
        .push_docker_image("library/busybox", "1.38.0", "readme-busybox")
        .digest;
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("registries.conf");
    fs::write(
        &conf,
        format!(
            "[[registry]]\nprefix = \"docker.io\"\nlocation = \"docker.io\"\n\n[[registry.mirror]]\nlocation = \"{}\"\ninsecure = true\n",
            registry.host()
        ),
    )
    .unwrap();
    let work = dir.path().join("work");
    fs::create_dir_all(work.join("deploy")).unwrap();
    let app = "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27   # the web server\n        - name: tools\n          image: \"busybox:1.38.0\"\n";
    let dockerfile = "FROM nginx:1.27 AS base\nCOPY site/ /usr/share/nginx/html/\n";
    let job = "{\"apiVersion\": \"batch/v1\", \"kind\": \"Job\", \"spec\": {\"template\": {\"spec\": {\"containers\": [{\"name\": \"j\", \"image\": \"busybox:1.38.0\"}]}}}}\n";
    let files = [
        ("deploy/app.yaml", app),
        ("deploy/Dockerfile", dockerfile),
        ("deploy/job.json", job),
    ];
    for (rel, text) in files {
        fs::write(work.join(rel), text).unwrap();
    }
    // The files pinned to `nginx` and `busybox`, written by hand.
    let pinned = |nginx: &str, busybox: &str| {
        [
            app.replace(
                "nginx:1.27   #",
                &format!("nginx@{nginx} # nginx:1.27   #"),
            )
            .replace(
                "\"busybox:1.38.0\"",
                &format!("\"busybox@{busybox}\" # busybox:1.38.0"),
            ),
            format!("# pin: nginx:1.27\nFROM nginx@{nginx} AS base\nCOPY site/ /usr/share/nginx/html/\n"),
            job.replace("busybox:1.38.0", &format!("busybox:1.38.0@{busybox}")),
        ]
    };
    let read = || files.map(|(rel, _)| fs::read_to_string(work.join(rel)).unwrap());

    let mut path = std::ffi::OsString::from(Path::new(env!("CARGO_BIN_EXE_pin")).parent().unwrap());
    path.push(":");
    path.push(std::env::var_os("PATH").unwrap_or_default());
    let run = |command: &str| {
        let o = Command::new("bash")
            .args(["--noprofile", "--norc", "-c", command])
            .current_dir(&work)
            .env_clear()
            .env("PATH", &path)
            .env("HOME", dir.path())
            .env("CONTAINERS_REGISTRIES_CONF", &conf)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{command}: {}", stderr(&o));
        o
    };
    let mut new_digests = None;
    for command in commands {
        if command.starts_with("pin update") {
            // Later: both tags move to new images.
            let n = registry
                .push_oci_index("library/nginx", "1.27", "readme-nginx-2", TWO_PLATFORMS)
                .digest;
            let b = registry
                .push_docker_image("library/busybox", "1.38.0", "readme-busybox-2")
                .digest;
            assert!(n != nginx && b != busybox);
            new_digests = Some((n, b));
        }
        let o = run(command);
        match command {
            "pin deploy/" => {
                assert!(
                    stdout(&o).contains("+++ b/deploy/app.yaml"),
                    "{}",
                    stdout(&o)
                );
                assert_eq!(read(), files.map(|(_, t)| t.to_string()), "a dry run wrote");
            }
            "pin -w deploy/" | "pin --check deploy/" | "pin list deploy/" => {
                assert_eq!(read(), pinned(&nginx, &busybox), "{command}");
            }
            "pin resolve nginx:1.27" => assert_eq!(stdout(&o), format!("nginx@{nginx}\n")),
            "pin update -w deploy/" => {
                let (n, b) = new_digests.as_ref().unwrap();
                assert_eq!(read(), pinned(n, b), "only the digests change");
            }
            "pin unpin -w deploy/" => {
                assert_eq!(
                    read(),
                    files.map(|(_, t)| t.to_string()),
                    "the original bytes"
                );
            }
            _ => unreachable!("{command}"),
        }
    }
}

/// Whether `now` is `original` but for digest fields beside a tag, which `pin unpin` leaves: lines naming
/// `digest` and one of `digests` that fill an empty field (`digest: ""`, `digest:`), sit inline in a call
/// (`digest = "sha256:…", `), or were added as lines of their own. Every other line must be the same bytes.
fn only_digest_fields_differ(original: &str, now: &str, digests: &[&str]) -> bool {
    let was: Vec<&str> = original.split_inclusive('\n').collect();
    let (mut i, mut changed) = (0, false);
    for line in now.split_inclusive('\n') {
        if was.get(i) == Some(&line) {
            i += 1;
            continue;
        }
        let Some(d) = digests.iter().find(|d| line.contains(**d)) else {
            return false;
        };
        if !line.contains("digest") {
            return false;
        }
        changed = true;
        let emptied = line.replace(*d, "");
        let inline = line.replace(&format!("digest = \"{d}\", "), "");
        if was
            .get(i)
            .is_some_and(|w| emptied.trim_end() == w.trim_end() || inline == *w)
        {
            i += 1;
        }
        // Otherwise a line of its own that pinning added.
    }
    changed && i == was.len()
}

// Guards what a bot reads of `pin update` on tag-comment pins: markdown names the tag (never an empty cell),
// JSON and SARIF carry the tag and the old and new digest; the expected digests are the ones pushed.
#[test]
fn update_reports_name_the_tag_of_tag_comment_pins() {
    let fx = Fixtures::start(Variant::Plain);
    let dir = tempfile::tempdir().unwrap();
    let host = fx.registry.host();
    let old = fx.digest("v1").to_string();
    fs::write(
        dir.path().join("pod.yaml"),
        format!("image: {host}/{REPO}@{old} # {host}/{REPO}:v1\n"),
    )
    .unwrap();
    let new = fx.registry.move_tag(REPO, "v1", "v1-bot").digest;
    let (old_short, new_short) = (&old[7..19], &new[7..19]);

    let o = fx.pin(
        dir.path(),
        &["update", "--no-labels", "--format", "markdown", "."],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let body = stdout(&o);
    assert!(
        body.contains(&format!(
            "| `{host}/{REPO}` | `v1` @ `{old_short}` | `v1` @ `{new_short}` | `pod.yaml:1:8` |\n"
        )),
        "{body}"
    );
    assert!(
        body.contains(&format!("- `{host}/{REPO}` `v1`: `{old}` → `{new}`\n")),
        "{body}"
    );
    assert!(!body.contains("``"), "an empty code span: {body}");

    let o = fx.pin(dir.path(), &["update", "--format", "json", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let r = &v["references"][0];
    assert_eq!(r["tag"], "v1", "{r}");
    assert_eq!(r["previousDigest"], old.as_str(), "{r}");
    assert_eq!(r["digest"], new.as_str(), "{r}");

    let o = fx.pin(dir.path(), &["update", "--format", "sarif", "."]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let p = &v["runs"][0]["results"][0]["properties"];
    assert_eq!(p["tag"], "v1", "{p}");
    assert_eq!(p["previousDigest"], old.as_str(), "{p}");
    assert_eq!(p["digest"], new.as_str(), "{p}");
}

// Guards `--keep-tag` on an untagged reference and `pin unpin` of `tag@digest` pins: `nginx` is written
// `nginx:latest@…` so that `pin update` has a tag to follow, and unpin drops the digest.
#[test]
fn keep_tag_records_latest_and_unpin_drops_digests() {
    let fx = Fixtures::start(Variant::Plain);
    let dir = tempfile::tempdir().unwrap();
    let host = fx.registry.host();
    let file = dir.path().join("Dockerfile");
    fs::write(
        &file,
        format!("FROM {host}/{REPO}\nFROM {host}/{REPO}:v1\n"),
    )
    .unwrap();
    let o = fx.pin(dir.path(), &["-w", "--keep-tag", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let (latest, v1) = (fx.digest("latest"), fx.digest("v1"));
    assert_holds(
        &file,
        &format!("FROM {host}/{REPO}:latest@{latest}\nFROM {host}/{REPO}:v1@{v1}\n"),
    );
    let moved = fx.registry.move_tag(REPO, "latest", "latest-2").digest;
    let o = fx.pin(dir.path(), &["update", "-w", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_holds(
        &file,
        &format!("FROM {host}/{REPO}:latest@{moved}\nFROM {host}/{REPO}:v1@{v1}\n"),
    );
    let o = run_pin(dir.path(), &["unpin", "-w", "."], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_holds(
        &file,
        &format!("FROM {host}/{REPO}:latest\nFROM {host}/{REPO}:v1\n"),
    );
}

/// `text` with this run's registry host and every pushed digest (whole, then as the 12-digit short form)
/// replaced by the placeholders of the fixture files, so that a golden file holds no port or digest.
fn placeholders(fx: &Fixtures, text: &str) -> String {
    let mut out = text.replace(fx.registry.host(), "@@REG@@");
    for (tag, p) in &fx.pushed {
        out = out.replace(&p.digest, &format!("@@{tag}@@"));
        let hex = p.digest.strip_prefix("sha256:").unwrap();
        out = out.replace(&hex[..12], &format!("@@{tag}:short@@"));
    }
    out
}

// Guards every output format on one fixture tree: `pin --check --format F` for each F, stdout, stderr and
// exit status compared with a golden file per format in `tests/e2e/formats`, checked by hand (`PIN_BLESS=1`
// rewrites them). The SARIF log also validates against the official SARIF 2.1.0 schema, and the JSON document
// against ours.
#[test]
fn every_format_on_the_fixture_tree() {
    let fx = Fixtures::start(Variant::Plain);
    let (dir, _) = fx.tree();
    let mut goldens = Goldens::new();
    for (format, file) in [
        ("text", "text.txt"),
        ("json", "json.txt"),
        ("github", "github.txt"),
        ("sarif", "sarif.txt"),
        ("markdown", "markdown.md"),
    ] {
        let o = fx.pin(dir.path(), &["--check", "--format", format, "."]);
        assert_eq!(o.status.code(), Some(1), "{format}: {}", stderr(&o));
        let shown = if format == "sarif" {
            // The rules are every code (the table in docs/output.md is checked against them): a new code must not
            // change this file.
            let mut log: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
            let rules = log["runs"][0]["tool"]["driver"]
                .as_object_mut()
                .unwrap()
                .remove("rules");
            assert!(rules.is_some_and(|r| r.as_array().is_some_and(|r| r.len() > 20)));
            format!("{}\n", serde_json::to_string_pretty(&log).unwrap())
        } else {
            stdout(&o)
        };
        let got = format!(
            "--- stdout\n{}--- stderr\n{}--- exit: {}\n",
            shown,
            stderr(&o),
            o.status.code().unwrap_or(-1)
        );
        goldens.check(
            Path::new("tests/e2e/formats").join(file),
            &placeholders(&fx, &got),
        );
        match format {
            "sarif" => assert_valid(&o.stdout, "tests/schemas/sarif-schema-2.1.0.json"),
            "json" => assert_valid(&o.stdout, "docs/report.schema.json"),
            _ => {}
        }
    }
    goldens.finish();
}

/// Validates a JSON document against a JSON Schema file of the repository.
fn assert_valid(document: &[u8], schema: &str) {
    let schema_path = Path::new(env!("CARGO_MANIFEST_DIR")).join(schema);
    let schema: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&schema_path).unwrap()).unwrap();
    let instance: serde_json::Value = serde_json::from_slice(document).expect("one JSON document");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{}:\n{}",
        schema_path.display(),
        errors.join("\n")
    );
}

// Guards `pin --check --format github`: one `::error` annotation per reference to pin, at its line and
// column (the tree's references, counted by hand: 9 to pin; the template is a notice).
#[test]
fn github_annotations_point_at_each_unpinned_reference() {
    let fx = Fixtures::start(Variant::Plain);
    let (dir, _) = fx.tree();
    let o = fx.pin(dir.path(), &["--check", "--format", "github", "."]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    let errors: Vec<&str> = out.lines().filter(|l| l.starts_with("::error ")).collect();
    assert_eq!(errors.len(), 9, "{out}");
    assert!(
        errors
            .iter()
            .all(|l| l.contains(",title=PIN001 unpinned::")),
        "{out}"
    );
    assert!(
        out.contains("::error file=Dockerfile,line=3,col=6,title=PIN001 unpinned::"),
        "{out}"
    );
    assert!(
        out.contains("::error file=k8s/app.yaml,line=17,col=17,title=PIN001 unpinned::"),
        "{out}"
    );
}

// Guards the names a project builds and renames against the real registry: in a skaffold project, a kustomize
// base with an overlay and a Tilt project, exactly the real images are pinned (the overlay's `images:` entry gets
// its digest line); the artifact skaffold builds, the names Tilt builds (one with a tag the registry lacks) and
// the name the overlay replaces stay as written, the Tiltfile is untouched, and a second run is a no-op.
#[test]
fn a_project_pins_its_real_images_and_leaves_built_and_renamed_names() {
    let fx = Fixtures::start(Variant::Plain);
    let (dir, expected) = fx.tree_named("project");
    let host = fx.registry.host();
    let o = fx.pin(dir.path(), &["-w", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_tree(dir.path(), &expected);
    let list = run_pin(dir.path(), &["list", "."], &[]);
    let out = stdout(&list);
    for line in [
        "app/k8s/web.yaml:10:18\tshop/web\tskipped: built by skaffold at app/skaffold.yaml:5\n",
        "app/skaffold.yaml:5:14\tshop/web\tskipped: built by skaffold\n",
        "kustomize/base/deployment.yaml:10:18\tapi\tskipped: set by kustomize/overlays/prod/kustomization.yaml:4\n",
        "tilt/Tiltfile:4:15\tshop/tilt-web\tskipped: built by Tilt\n",
        "tilt/k8s/app.yaml:10:18\tshop/tilt-web\tskipped: built by Tilt at tilt/Tiltfile:4\n",
        &format!("tilt/k8s/app.yaml:12:18\t{host}/fixtures/app:ko\tskipped: built by Tilt at tilt/Tiltfile:5\n"),
    ] {
        assert!(out.contains(line), "{line:?} not in:\n{out}");
    }
    let again = fx.pin(dir.path(), &["--check", "."]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
}

// Guards --platform against attestation entries (BuildKit's provenance and SBOM manifests): they are never
// chosen, even when one claims the very platform asked for and comes first; and an `os.version` prefix picks
// the Windows build asked for.
#[test]
fn platform_never_picks_attestations_and_matches_os_version() {
    use harness::Entry;
    let fx = Fixtures::start(Variant::Plain);
    let dir = tempfile::tempdir().unwrap();
    let host = fx.registry.host();
    let attestation = [("vnd.docker.reference.type", "attestation-manifest")];
    let entries = [
        Entry {
            platform: "linux/amd64",
            os_version: None,
            annotations: &attestation,
        },
        Entry {
            platform: "unknown/unknown",
            os_version: None,
            annotations: &attestation,
        },
        Entry {
            platform: "linux/amd64",
            os_version: None,
            annotations: &[],
        },
        Entry {
            platform: "windows/amd64",
            os_version: Some("10.0.17763.5122"),
            annotations: &[],
        },
        Entry {
            platform: "windows/amd64",
            os_version: Some("10.0.20348.2113"),
            annotations: &[],
        },
    ];
    let pushed = fx
        .registry
        .push_oci_index_of(REPO, "attested", "att", &entries);
    let resolve = |platform: &str| {
        fx.pin(
            dir.path(),
            &[
                "resolve",
                "--platform",
                platform,
                &format!("{host}/{REPO}:attested"),
            ],
        )
    };
    let o = resolve("linux/amd64");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        format!("{host}/{REPO}@{}\n", pushed.children[2].digest)
    );
    let o = resolve("unknown/unknown");
    assert_eq!(o.status.code(), Some(2));
    assert_stderr_has(
        &o,
        "it has: linux/amd64, windows/amd64:10.0.17763.5122, windows/amd64:10.0.20348.2113",
    );
    let o = resolve("windows/amd64:10.0.20348");
    assert_eq!(
        stdout(&o),
        format!("{host}/{REPO}@{}\n", pushed.children[4].digest),
        "{}",
        stderr(&o)
    );
    let o = resolve("windows/amd64:10.0.2034");
    assert_eq!(
        o.status.code(),
        Some(2),
        "a prefix stops at a dot: {}",
        stdout(&o)
    );
}

// Guards `pin update` on a pin of one platform's manifest: a warning that other nodes will fail, the file
// left alone; `--to-index` repins it to the tag's index.
#[test]
fn child_pins_are_warned_about_and_repinned_to_the_index() {
    let fx = Fixtures::start(Variant::Plain);
    let dir = tempfile::tempdir().unwrap();
    let host = fx.registry.host();
    let amd = fx.pushed["multi"].child_digest("linux/amd64").unwrap();
    let file = dir.path().join("pod.yaml");
    let text = format!("image: {host}/{REPO}:multi@{amd}\n");
    fs::write(&file, &text).unwrap();
    let o = fx.pin(dir.path(), &["update", "--check", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_stderr_has(
        &o,
        "pod.yaml:1:8: warning: pinned to the linux/amd64 manifest of a multi-platform image; other nodes will fail",
    );
    let o = fx.pin(dir.path(), &["update", "-w", "--to-index", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_holds(
        &file,
        &format!("image: {host}/{REPO}:multi@{}\n", fx.digest("multi")),
    );
    let o = fx.pin(dir.path(), &["update", "--check", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
}

// Guards `pin update --check` on a pin whose digest the registry no longer has: a distinct warning naming
// what the tag points at now, and exit 1.
#[test]
fn update_check_reports_a_gone_digest() {
    let fx = Fixtures::start(Variant::Plain);
    let dir = tempfile::tempdir().unwrap();
    let host = fx.registry.host();
    let old = fx.digest("v1").to_string();
    fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM {host}/{REPO}:v1@{old}\n"),
    )
    .unwrap();
    let new = fx.registry.move_tag(REPO, "v1", "v1-next").digest;
    fx.registry.delete_manifest(REPO, &old);
    let o = fx.pin(dir.path(), &["update", "--check", "."]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_stderr_has(
        &o,
        &format!("Dockerfile:1:6: warning: the pinned digest no longer exists; the tag now points at {new}"),
    );
}

// Guards `pin verify` end to end: files pinned by `pin -w`, one manifest deleted through the registry API,
// and `verify` reports exactly the references to that digest, at their line and column, exit 1, in every
// format; one HEAD per unique digest, however often it is pinned; nothing is written.
#[test]
fn verify_finds_exactly_the_deleted_digest() {
    let fx = Fixtures::start(Variant::Plain);
    let dir = tempfile::tempdir().unwrap();
    let host = fx.registry.host();
    fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM {host}/{REPO}:v1\nFROM {host}/{REPO}:latest AS b\n"),
    )
    .unwrap();
    fs::write(
        dir.path().join("deploy.yaml"),
        format!(
            "spec:\n  containers:\n    - image: {host}/{REPO}:v1\n    - image: {host}/{REPO}:multi\n"
        ),
    )
    .unwrap();
    // Untagged pins (no tag comment): verify asks each one by its digest.
    let o = fx.pin(dir.path(), &["-w", "--tag-style", "drop", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let (v1, latest, multi) = (fx.digest("v1"), fx.digest("latest"), fx.digest("multi"));
    let dockerfile = format!("FROM {host}/{REPO}@{v1}\nFROM {host}/{REPO}@{latest} AS b\n");
    let deploy = format!(
        "spec:\n  containers:\n    - image: {host}/{REPO}@{v1}\n    - image: {host}/{REPO}@{multi}\n"
    );
    assert_file(dir.path(), "Dockerfile", &dockerfile);
    assert_file(dir.path(), "deploy.yaml", &deploy);

    let o = fx.pin(dir.path(), &["verify", "-v", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("requests: 1 ping, 0 token, 3 HEAD, 0 GET"),
        "{err}"
    );
    assert!(
        err.contains("pin: 2 files scanned, 4 pinned references verified: 4 present, 0 missing\n"),
        "{err}"
    );

    fx.registry.delete_manifest(REPO, v1);
    assert_eq!(fx.registry.manifest_digest(REPO, v1), None, "deleted");
    let o = fx.pin(dir.path(), &["verify", "-v", "."]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    let why = format!("{host}/{REPO} no longer serves {v1}");
    // The findings on stdout, as `--check`'s.
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().filter(|l| l.contains("PIN072")).collect();
    assert_eq!(
        lines,
        [
            format!("Dockerfile:1:6: PIN072 {host}/{REPO}@{v1}: {why}"),
            format!("deploy.yaml:3:14: PIN072 {host}/{REPO}@{v1}: {why}"),
        ],
        "{out}"
    );
    assert!(!err.contains("PIN072"), "{err}");
    assert!(!err.contains(latest) && !err.contains(multi), "{err}");
    assert!(
        err.contains("requests: 1 ping, 0 token, 3 HEAD, 0 GET"),
        "{err}"
    );
    assert!(
        err.contains("4 pinned references verified: 2 present, 2 missing\n"),
        "{err}"
    );

    let o = fx.pin(dir.path(), &["verify", "--format", "json", "."]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_valid(&o.stdout, "docs/report.schema.json");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let entries: Vec<(String, u64, u64, String, String)> = v["references"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["file"].as_str().unwrap().to_string(),
                r["line"].as_u64().unwrap(),
                r["column"].as_u64().unwrap(),
                r["status"].as_str().unwrap().to_string(),
                r["code"].as_str().unwrap_or("-").to_string(),
            )
        })
        .collect();
    let e =
        |f: &str, l, c, s: &str, code: &str| (f.to_string(), l, c, s.to_string(), code.to_string());
    assert_eq!(
        entries,
        [
            e("Dockerfile", 1, 6, "missing", "PIN072"),
            e("Dockerfile", 2, 6, "unchanged", "-"),
            e("deploy.yaml", 3, 14, "missing", "PIN072"),
            e("deploy.yaml", 4, 14, "unchanged", "-"),
        ]
    );
    assert_eq!(v["summary"]["missing"], 2);
    assert_eq!(v["summary"]["unchanged"], 2);

    let o = fx.pin(dir.path(), &["verify", "--format", "github", "."]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let annotations: Vec<String> = stdout(&o)
        .lines()
        .map(|l| l.split("::").take(2).collect::<Vec<_>>().join("::"))
        .collect();
    assert_eq!(
        annotations,
        [
            "::error file=Dockerfile,line=1,col=6,title=PIN072 missing-digest",
            "::error file=deploy.yaml,line=3,col=14,title=PIN072 missing-digest",
        ],
        "{}",
        stdout(&o)
    );

    let o = fx.pin(dir.path(), &["verify", "--format", "sarif", "."]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_valid(&o.stdout, "tests/schemas/sarif-schema-2.1.0.json");
    let log: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let results: Vec<(String, u64)> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let region = &r["locations"][0]["physicalLocation"]["region"];
            (
                r["ruleId"].as_str().unwrap().to_string(),
                region["startLine"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        results,
        [("PIN072".to_string(), 1), ("PIN072".to_string(), 3)]
    );

    let o = fx.pin(dir.path(), &["verify", "--format", "markdown", "."]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let md = stdout(&o);
    let short = &v1["sha256:".len().."sha256:".len() + 12];
    assert!(
        md.contains(&format!(
            "| `{host}/{REPO}` | `{short}` | PIN072: {why} | `Dockerfile:1:6`, `deploy.yaml:3:14` |"
        )),
        "{md}"
    );

    assert_file(dir.path(), "Dockerfile", &dockerfile);
    assert_file(dir.path(), "deploy.yaml", &deploy);
}

// Guards that a registry `pin verify` cannot ask is an error (exit 2) at the reference's place, never
// reported as a missing digest.
#[test]
fn verify_against_an_unreachable_registry_is_an_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let host = format!("127.0.0.1:{port}");
    let digest = format!("sha256:{}", "a".repeat(64));
    fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM {host}/a/b@{digest}\n"),
    )
    .unwrap();
    let o = run_pin(
        dir.path(),
        &[
            "verify",
            "--insecure-registry",
            &host,
            "--timeout",
            "2",
            ".",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "Dockerfile:1:6: error: cannot verify {host}/a/b@{digest}"
        )),
        "{err}"
    );
    assert!(
        !err.contains("PIN072") && err.contains("0 missing, 1 error"),
        "{err}"
    );
}

// Guards `pin verify --platforms` (and `[verify] platforms` in pin.toml): an index lacking a required
// platform and single-platform pins are findings; an index offering them all is not; a pin of one platform's
// child of its tag's index is also warned about. Budget: one HEAD per digest, one GET per pinned index, and
// for the child pin one HEAD and one GET of its tag.
#[test]
fn verify_platforms_finds_child_pins_and_indexes_lacking_a_platform() {
    let fx = Fixtures::start(Variant::Plain);
    let amd_only = fx
        .registry
        .push_oci_index(REPO, "amd-only", "amd-only", &["linux/amd64"]);
    let dir = tempfile::tempdir().unwrap();
    let host = fx.registry.host();
    let (v1, multi) = (fx.digest("v1"), fx.digest("multi"));
    let child = fx.pushed["multi"].child_digest("linux/amd64").unwrap();
    let text = format!(
        "a: {{image: {host}/{REPO}:multi@{multi}}}\n\
         b: {{image: {host}/{REPO}:amd-only@{}}}\n\
         c: {{image: {host}/{REPO}:multi@{child}}}\n\
         d: {{image: {host}/{REPO}@{v1}}}\n",
        amd_only.digest
    );
    fs::write(dir.path().join("app.yaml"), &text).unwrap();
    let warning =
        "app.yaml:3:12: warning: pinned to the linux/amd64 manifest of a multi-platform image; \
                   other nodes will fail";

    // Without --platforms: every digest is served; the child pin is a warning only.
    let o = fx.pin(dir.path(), &["verify", "-v", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains(warning), "{err}");
    assert!(
        err.contains("requests: 1 ping, 0 token, 5 HEAD, 1 GET"),
        "{err}"
    );

    let o = fx.pin(
        dir.path(),
        &[
            "verify",
            "-v",
            "--platforms",
            "linux/amd64,linux/arm64",
            ".",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    let out = stdout(&o);
    let findings: Vec<&str> = out.lines().filter(|l| l.contains(": PIN07")).collect();
    let single =
        "a single-platform manifest is pinned, where linux/amd64, linux/arm64 are required";
    assert_eq!(
        findings,
        [
            format!("app.yaml:2:12: PIN073 {host}/{REPO}:amd-only@{}: the pinned index offers no linux/arm64 manifest", amd_only.digest),
            format!("app.yaml:3:12: PIN073 {host}/{REPO}:multi@{child}: {single}"),
            format!("app.yaml:4:12: PIN073 {host}/{REPO}@{v1}: {single}"),
        ],
        "{out}"
    );
    assert!(err.contains(warning), "{err}");
    // 4 digests + the child's tag: 5 HEAD; the 2 pinned indexes and the child's tag index: 3 GET.
    assert!(
        err.contains("requests: 1 ping, 0 token, 5 HEAD, 3 GET"),
        "{err}"
    );
    assert!(
        err.contains("4 pinned references verified: 1 present, 3 missing\n"),
        "{err}"
    );

    // One platform required: the child pin's platform is known from its tag's index; an untagged
    // single-platform pin is not checked (its platform would need its config blob).
    let o = fx.pin(dir.path(), &["verify", "--platforms", "linux/amd64", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = fx.pin(dir.path(), &["verify", "--platforms", "linux/arm64", "."]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    let findings: Vec<&str> = out.lines().filter(|l| l.contains(": PIN07")).collect();
    assert_eq!(
        findings,
        [
            format!(
                "app.yaml:2:12: PIN073 {host}/{REPO}:amd-only@{}: the pinned index offers no linux/arm64 manifest",
                amd_only.digest
            ),
            format!(
                "app.yaml:3:12: PIN073 {host}/{REPO}:multi@{child}: a linux/amd64 manifest is pinned, where linux/arm64 is required"
            ),
        ],
        "{out}"
    );

    // The same requirement from pin.toml.
    fs::write(
        dir.path().join("pin.toml"),
        "[verify]\nplatforms = [\"linux/amd64\", \"linux/arm64\"]\n",
    )
    .unwrap();
    let o = fx.pin(dir.path(), &["verify", "app.yaml"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(stdout(&o).matches(": PIN073 ").count(), 3, "{}", stdout(&o));
    let o = fx.pin(
        dir.path(),
        &["verify", "--platforms", "linux/amd64", "app.yaml"],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "the flag replaces the file's list: {}",
        stderr(&o)
    );
    fs::write(
        dir.path().join("pin.toml"),
        "[verify]\nplatforms = [\"linux\"]\n",
    )
    .unwrap();
    let o = fx.pin(dir.path(), &["verify", "app.yaml"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("pin.toml:1"), "{}", stderr(&o));
    assert_file(dir.path(), "app.yaml", &text);
}

// Guards issue 19.10: `pin verify` asks one HEAD per unique pinned digest, also for `name:tag@digest` pins of
// single-platform images (it asked the digest and then the tag: 2 per pin). The HEAD of the tag answers both
// questions while the tag still points at the pin; only a moved tag costs a HEAD by digest as well.
#[test]
fn verify_asks_one_head_per_tagged_pin() {
    let registry = Registry::start(Variant::Plain);
    let pushed = registry.push_many_tags(2, 6, "verify-budget");
    let index = registry.push_oci_index(REPO, "multi", "verify-multi", TWO_PLATFORMS);
    let host = registry.host();
    let mut text: String = pushed
        .iter()
        .map(|p| format!("- image: {host}/{}:{}@{}\n", p.repo, p.tag, p.digest))
        .collect();
    text.push_str(&format!("- image: {host}/{REPO}:multi@{}\n", index.digest));
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("app.yaml"), &text).unwrap();
    let verify = || {
        run_pin(
            dir.path(),
            &["verify", "--insecure-registry", host, "-v", "app.yaml"],
            &[],
        )
    };

    let o = verify();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("requests: 1 ping, 0 token, 13 HEAD, 0 GET"),
        "{err}"
    );
    assert!(
        err.contains("13 pinned references verified: 13 present, 0 missing"),
        "{err}"
    );

    // One tag moved: that pin alone costs a second HEAD (by digest), and is still served.
    registry.move_tag(&pushed[0].repo, &pushed[0].tag, "verify-budget-moved");
    let o = verify();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_stderr_has(&o, "requests: 1 ping, 0 token, 14 HEAD, 0 GET");
    // Deleted as well: missing.
    registry.delete_manifest(&pushed[0].repo, &pushed[0].digest);
    let o = verify();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("app.yaml:1:10: PIN072 "),
        "{}",
        stdout(&o)
    );
}

// Guards caching of `pin verify`'s answers (--cache): a second run within the TTL asks nothing about a digest
// found; a digest not found is asked about every time; --cache-ttl 0 and CI bypass the cache; without a
// cache flag nothing is read.
#[test]
fn verify_caches_digests_found_within_the_ttl() {
    let fx = Fixtures::start(Variant::Plain);
    let dir = tempfile::tempdir().unwrap();
    let host = fx.registry.host();
    let absent = format!("sha256:{}", "0".repeat(64));
    let text = format!(
        "a: {{image: {host}/{REPO}@{}}}\nb: {{image: {host}/{REPO}@{}}}\nc: {{image: {host}/{REPO}@{absent}}}\n",
        fx.digest("v1"),
        fx.digest("multi"),
    );
    fs::write(dir.path().join("app.yaml"), &text).unwrap();
    let cache = dir.path().join("cache");
    let cache_dir = cache.to_str().unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["verify", "-v"];
        args.extend_from_slice(extra);
        args.push("app.yaml");
        fx.pin(dir.path(), &args)
    };
    let o = run(&["--cache-dir", cache_dir]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("3 HEAD, 0 GET"), "{}", stderr(&o));
    assert_stderr_has(&o, "; 0 answers from the cache in");
    let stored = fs::read_to_string(cache.join("tags-v1.json")).unwrap();
    assert!(
        stored.contains(&format!("{host}/{REPO}@{}", fx.digest("v1"))),
        "{stored}"
    );
    assert!(
        !stored.contains(&absent),
        "a digest not served is not cached: {stored}"
    );

    let o = run(&["--cache-dir", cache_dir]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("1 HEAD, 0 GET") && err.contains("; 2 answers from the cache in"),
        "{err}"
    );
    assert!(
        stdout(&o).contains("app.yaml:3:12: PIN072"),
        "{}",
        stdout(&o)
    );

    // Within the TTL the cache answers for a digest deleted since; --cache-ttl 0 asks the registry.
    fx.registry.delete_manifest(REPO, fx.digest("v1"));
    let o = run(&["--cache-dir", cache_dir]);
    assert!(
        !stdout(&o).contains("app.yaml:1:12: PIN072"),
        "{}",
        stdout(&o)
    );
    let o = run(&["--cache-dir", cache_dir, "--cache-ttl", "0"]);
    let err = stderr(&o);
    assert!(
        err.contains("3 HEAD") && stdout(&o).contains("app.yaml:1:12: PIN072"),
        "{err}"
    );
    // No cache flag: no cache.
    let o = run(&[]);
    assert!(
        stderr(&o).contains("3 HEAD") && !stderr(&o).contains("from the cache"),
        "{}",
        stderr(&o)
    );
    // pin.toml may switch it on, but not in CI.
    fs::write(
        dir.path().join("pin.toml"),
        "cache = true\ncache-dir = \"cache\"\n",
    )
    .unwrap();
    let o = run(&[]);
    assert_stderr_has(&o, "; 1 answers from the cache in");
    let o = run_pin(
        dir.path(),
        &["verify", "-v", "--insecure-registry", host, "app.yaml"],
        &[("CI", "true")],
    );
    assert!(
        stderr(&o).contains("3 HEAD") && !stderr(&o).contains("from the cache"),
        "{}",
        stderr(&o)
    );
    assert_file(dir.path(), "app.yaml", &text);
}

// Guards the Quadlet and ko kinds end to end: `Image=` of a `.container` (LF, comments, an `Exec=` continued
// with an image in it), an `.image` (CRLF, `docker://`) and an image-driver `.volume` (no final newline, quotes,
// blanks around `=`), and a `.ko.yaml` (`defaultBaseImage` with a comment, a quoted override) and a `.ko.yml`
// (CRLF, single quotes, no final newline) are pinned byte for byte to the digests pushed; `Image=db.image`, an
// `Image=` under `# pin: ignore` and a `ko.local` base are skipped, and the look-alikes (a unit without `Image=`,
// a `.service`, a binary file named `*.image`, a manifest with a `ko://` image) are never modified.
#[test]
fn quadlet_units_and_ko_configs_are_pinned_byte_exact() {
    let fx = Fixtures::start(Variant::Plain);
    let (dir, expected) = fx.tree_named("quadlet");
    let disk: &[u8] = &[
        0x00, 0x9f, 0x92, 0x96, b'[', b'I', b'm', b'a', b'g', b'e', b']', b'\n',
    ];
    fs::write(dir.path().join("disk.image"), disk).unwrap();
    let host = fx.registry.host();
    let got = listed(dir.path());
    let want = [
        format!("data.volume:3 quadlet unpinned {host}/{REPO}:docker-v1"),
        "db.container:2 quadlet skipped db.image".to_owned(),
        format!("db.container:4 quadlet skipped {host}/{REPO}:latest"),
        format!("db.image:5 quadlet unpinned {host}/{REPO}:multi"),
        format!("ko/.ko.yaml:2 ko unpinned {host}/{REPO}:v1"),
        format!("ko/.ko.yaml:4 ko unpinned {host}/{REPO}:multi"),
        "ko/.ko.yaml:5 ko skipped ko.local/base:dev".to_owned(),
        "ko/config/deploy.yaml:8 yaml skipped ko://github.com/org/app/cmd/web".to_owned(),
        format!("ko-crlf/.ko.yml:2 ko unpinned {host}/{REPO}:docker-v1"),
        format!("web.container:8 quadlet unpinned {host}/{REPO}:v1"),
    ];
    assert_eq!(got, want);
    let o = fx.pin(dir.path(), &["-w", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_tree(dir.path(), &expected);
    assert_eq!(fs::read(dir.path().join("disk.image")).unwrap(), disk);
    let again = fx.pin(dir.path(), &["--check", "."]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
}

// Guards `--tag-comment` in Quadlet units, whose comments are whole lines: the tag goes on a line above the
// `Image=` line, indented like it and with the file's line ending; `pin unpin` restores the original bytes.
#[test]
fn quadlet_tag_comments_are_lines_above_and_unpin_restores_them() {
    let fx = Fixtures::start(Variant::Plain);
    let dir = tempfile::tempdir().unwrap();
    let host = fx.registry.host();
    let unit = format!(
        "[Unit]\r\nDescription=x\r\n\r\n[Container]\r\n  Image={host}/{REPO}:v1\r\nExec=true"
    );
    fs::write(dir.path().join("x.container"), &unit).unwrap();
    let o = fx.pin(dir.path(), &["-w", "--tag-comment", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v1 = fx.digest("v1");
    let read = || fs::read_to_string(dir.path().join("x.container")).unwrap();
    assert_eq!(
        read(),
        format!("[Unit]\r\nDescription=x\r\n\r\n[Container]\r\n  # pin: {host}/{REPO}:v1\r\n  Image={host}/{REPO}@{v1}\r\nExec=true")
    );
    let o = fx.pin(dir.path(), &["update", "--check", "."]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "the comment's tag did not move: {}",
        stderr(&o)
    );
    let o = run_pin(dir.path(), &["unpin", "-w", "."], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(read(), unit);
}

// Guards dev container features end to end: left alone by default; with `--devcontainer-features` (or
// `devcontainer-features = true` in pin.toml) a feature id is pinned to the digest pushed as `name@sha256:…`, the
// tag dropped even under `--keep-tag` (feature ids take a tag or a digest, not both); a local feature is skipped.
// The CRLF file without a final newline keeps every other byte.
#[test]
fn devcontainer_features_are_pinned_only_when_asked() {
    let fx = Fixtures::start(Variant::Plain);
    let node = fx
        .registry
        .push_oci_image("devcontainers/features/node", "1", "feature-node")
        .digest;
    let host = fx.registry.host();
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join(".devcontainer")).unwrap();
    let file = dir.path().join(".devcontainer/devcontainer.json");
    let config = |image: &str, feature: &str| {
        format!("{{\r\n\t// a comment\r\n\t\"image\": \"{image}\",\r\n\t\"features\": {{\r\n\t\t\"{feature}\": {{\"version\": \"lts\"}},\r\n\t\t\"./local\": {{}},\r\n\t}}\r\n}}")
    };
    let (image, feature) = (
        format!("{host}/{REPO}:v1"),
        format!("{host}/devcontainers/features/node:1"),
    );
    let pinned_image = format!("{host}/{REPO}@{}", fx.digest("v1"));
    let pinned_feature = format!("{host}/devcontainers/features/node@{node}");
    let read = || fs::read_to_string(&file).unwrap();

    // The image gets the default style of JSONC, a `// pin:` line above it (indented as it, CRLF).
    let image_comment =
        |text: String| text.replace("\t\"image\"", &format!("\t// pin: {image}\r\n\t\"image\""));
    fs::write(&file, config(&image, &feature)).unwrap();
    let o = fx.pin(dir.path(), &["-w", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        read(),
        image_comment(config(&pinned_image, &feature)),
        "features are off by default"
    );

    let o = fx.pin(
        dir.path(),
        &["-w", "--keep-tag", "--devcontainer-features", "."],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        read(),
        image_comment(config(&pinned_image, &pinned_feature))
    );
    assert!(stderr(&o).contains("./local"), "{}", stderr(&o));

    fs::write(&file, config(&image, &feature)).unwrap();
    fs::write(
        dir.path().join("pin.toml"),
        "devcontainer-features = true\n",
    )
    .unwrap();
    let o = fx.pin(dir.path(), &["-w", "--tag-comment", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // JSONC takes comments: each tag goes into a `// pin:` line above its reference, indented as it, CRLF.
    let commented = config(&pinned_image, &pinned_feature)
        .replace("\t\"image\"", &format!("\t// pin: {image}\r\n\t\"image\""))
        .replace(
            &format!("\t\t\"{pinned_feature}\""),
            &format!("\t\t// pin: {feature}\r\n\t\t\"{pinned_feature}\""),
        );
    assert_eq!(read(), commented, "tag comments in dev container JSONC");
    let o = fx.pin(dir.path(), &["--check", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

// Guards `pin verify` behind token auth: pull tokens as for lookups, one per repository, and one HEAD per
// unique digest.
#[test]
fn verify_behind_token_auth_takes_one_token_per_repository() {
    let fx = Fixtures::start(Variant::TlsToken);
    let other = fx
        .registry
        .push_oci_image("other/repo", "a", "verify-other-a");
    let dir = tempfile::tempdir().unwrap();
    let ca = fx
        .registry
        .ca_pem_path()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let host = fx.registry.host();
    let text = format!(
        "a: {{image: {host}/{REPO}@{v1}}}\nb: {{image: {host}/{REPO}:v1@{v1}}}\nc: {{image: {host}/other/repo@{}}}\n",
        other.digest,
        v1 = fx.digest("v1"),
    );
    fs::write(dir.path().join("app.yaml"), &text).unwrap();
    let before = fx.registry.token_requests();
    let o = run_pin(dir.path(), &["verify", "-v", "--ca-cert", &ca, "."], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        fx.registry.token_requests() - before,
        2,
        "one token per repository"
    );
    // Two digests, one HEAD each: the v1 digest is pinned with its tag too, and the HEAD of that tag (still
    // pointing at it) answers for it.
    assert_stderr_has(&o, "2 token, 2 HEAD, 0 GET");
    assert_stderr_has(&o, "3 pinned references verified: 3 present, 0 missing");
}

/// `pin update` with `--insecure-registry` for the fixtures' registry, the clock at `now` (the test hook)
/// and `HOME` (where the cache directory is) at `home`.
fn update_at(fx: &Fixtures, cwd: &Path, home: &Path, now: &str, args: &[&str]) -> Output {
    common::command_with_home(cwd, home)
        .args(["update", "--insecure-registry", fx.registry.host()])
        .args(args)
        .env("PIN_TEST_NOW", now)
        .output()
        .unwrap()
}

// Guards `pin update --min-age`: a tag moved to a new digest is held back (reported, file unchanged) until
// that digest has been seen for the waiting period, its first sighting recorded in the `--lock` file or, without
// one, in the cache directory; a second later it is applied, and the record goes once it is.
#[test]
fn min_age_holds_a_new_digest_then_applies_it() {
    let fx = Fixtures::start(Variant::Plain);
    let host = fx.registry.host();
    let t = "2026-12-07T05:00:00Z";
    for (tag, seed, lock) in [
        ("v1", "oci-v1-aged", true),
        ("latest", "oci-latest-aged", false),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let home = tempfile::tempdir().unwrap();
        let file = dir.path().join("pod.yaml");
        fs::write(&file, format!("image: {host}/{REPO}:{tag}\n")).unwrap();
        let o = fx.pin(dir.path(), &["-w", "--tag-style", "keep", "pod.yaml"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let old = fx.digest(tag);
        let pinned = format!("image: {host}/{REPO}:{tag}@{old}\n");
        assert_eq!(fs::read_to_string(&file).unwrap(), pinned);
        let moved = fx.registry.move_tag(REPO, tag, seed).digest;
        assert_ne!(moved, old);

        let mut args = vec!["--min-age", "3d", "pod.yaml"];
        if lock {
            args.extend(["--lock", "pin.lock"]);
        }
        let with = |extra: &[&'static str]| -> Vec<&str> {
            extra.iter().copied().chain(args.iter().copied()).collect()
        };
        // At T: held, said in one line naming the tag, the new digest, when it was first seen and when it
        // becomes eligible; nothing written, exit 0.
        let o = update_at(&fx, dir.path(), home.path(), t, &with(&["-w"]));
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_eq!(
            fs::read_to_string(&file).unwrap(),
            pinned,
            "held, yet written"
        );
        let line = format!(
            "pod.yaml:1:8: held {host}/{REPO}:{tag}@{old}: its tag {tag} now points at {moved}, \
             first seen 2026-12-07T05:00:00Z (0s ago); applied once 3d old, from 2026-12-10T05:00:00Z \
             (--min-age)\n"
        );
        assert!(stderr(&o).contains(&line), "{}", stderr(&o));
        assert_stderr_has(
            &o,
            "0 updated, 0 already pinned, 0 skipped, 1 held back (too young)",
        );
        // -q leaves out a hold that ends on its own (and the summary): nothing to say.
        let o = update_at(&fx, dir.path(), home.path(), t, &with(&["-q"]));
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_eq!(stderr(&o), "");
        // The record: the lockfile's `firstSeen`, or the file in the cache directory ($HOME/.cache/pin).
        let record = format!(
            "\"{host}/{REPO}:{tag}\": {{\n      \"{moved}\": \"2026-12-07T05:00:00Z\"\n    }}"
        );
        let store = if lock {
            dir.path().join("pin.lock")
        } else {
            home.path().join(".cache/pin/first-seen-v1.json")
        };
        let stored = fs::read_to_string(&store).unwrap();
        assert!(stored.contains(&record), "{stored}");
        if lock {
            assert!(stored.contains("\"firstSeen\": {"), "{stored}");
            assert!(!home.path().join(".cache").exists(), "no cache with --lock");
        } else {
            assert!(!dir.path().join("pin.lock").exists());
        }

        // A day later, still held: --check exits 0 (nothing to apply) and says how many are held; JSON,
        // SARIF and markdown carry the age and the hold.
        let day = "2026-12-08T05:00:00Z";
        let o = update_at(&fx, dir.path(), home.path(), day, &with(&["--check"]));
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_eq!(stdout(&o), "", "no finding");
        assert!(stderr(&o).contains("1 held back"), "{}", stderr(&o));
        let o = update_at(
            &fx,
            dir.path(),
            home.path(),
            day,
            &with(&["--format", "json"]),
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_valid(&o.stdout, "docs/report.schema.json");
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let entry = &doc["references"][0];
        assert_eq!(entry["status"], "held");
        assert_eq!(entry["code"], "PIN077");
        assert_eq!(entry["tag"], tag);
        assert_eq!(entry["previousDigest"], old);
        assert_eq!(entry["digest"], moved.as_str());
        assert_eq!(
            entry["firstSeen"],
            serde_json::json!({"at": t, "ageSeconds": 86_400, "source": "first-seen"})
        );
        assert_eq!(entry["held"]["code"], "PIN077");
        assert_eq!(entry["held"]["eligibleAt"], "2026-12-10T05:00:00Z");
        assert!(entry["held"].get("missingPlatforms").is_none(), "{entry}");
        assert_eq!(doc["summary"]["held"], 1);
        let o = update_at(
            &fx,
            dir.path(),
            home.path(),
            day,
            &with(&["--format", "sarif"]),
        );
        assert_valid(&o.stdout, "tests/schemas/sarif-schema-2.1.0.json");
        let log: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let result = &log["runs"][0]["results"][0];
        assert_eq!(result["ruleId"], "PIN077");
        assert_eq!(
            result["properties"]["held"]["eligibleAt"],
            "2026-12-10T05:00:00Z"
        );
        assert_eq!(result["properties"]["firstSeen"]["at"], t);
        let o = update_at(
            &fx,
            dir.path(),
            home.path(),
            day,
            &with(&["--format", "markdown"]),
        );
        let short = |d: &str| d["sha256:".len().."sha256:".len() + 12].to_string();
        let row = format!(
            "| `{host}/{REPO}` | `{tag}` | `{}` | `{}` | 1d | applied from 2026-12-10T05:00:00Z | \
             `pod.yaml:1:8` |",
            short(old),
            short(&moved)
        );
        assert!(
            stdout(&o).contains("#### Held back") && stdout(&o).contains(&row),
            "{}",
            stdout(&o)
        );

        // One second short of three days: still held. One second past: applied, with its age in the report.
        let o = update_at(
            &fx,
            dir.path(),
            home.path(),
            "2026-12-10T04:59:59Z",
            &with(&["-w"]),
        );
        assert!(stderr(&o).contains("1 held back"), "{}", stderr(&o));
        assert_eq!(fs::read_to_string(&file).unwrap(), pinned);
        let o = update_at(
            &fx,
            dir.path(),
            home.path(),
            "2026-12-10T05:00:01Z",
            &with(&["-w", "--format", "json"]),
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_holds(&file, &format!("image: {host}/{REPO}:{tag}@{moved}\n"));
        assert_valid(&o.stdout, "docs/report.schema.json");
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(doc["references"][0]["status"], "pinned");
        assert_eq!(doc["references"][0]["firstSeen"]["ageSeconds"], 259_201);
        // Applied, the record is no longer needed: the next run drops it.
        let o = update_at(
            &fx,
            dir.path(),
            home.path(),
            "2026-12-10T05:00:02Z",
            &with(&["-w"]),
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let stored = fs::read_to_string(&store).unwrap();
        assert!(!stored.contains(&moved), "{stored}");
    }
}

// Guards `--trust-created`: the image config's `created` time (2020-01-01 in every fixture image) ages the
// new digest instead of its first sighting, so a digest first seen now is applied at once; and on Docker Hub
// the GETs it needs are refused without --labels, before any request.
#[test]
fn trust_created_ages_by_the_config_time_and_needs_labels_for_docker_hub() {
    let fx = Fixtures::start(Variant::Plain);
    let host = fx.registry.host();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pod.yaml");
    let old = fx.digest("v1");
    fs::write(&file, format!("image: {host}/{REPO}:v1@{old}\n")).unwrap();
    let moved = fx.registry.move_tag(REPO, "v1", "oci-v1-created").digest;
    let now = "2026-12-07T05:00:00Z";
    let o = update_at(
        &fx,
        dir.path(),
        dir.path(),
        now,
        &[
            "--min-age",
            "3d",
            "--trust-created",
            "--format",
            "json",
            "-w",
            "pod.yaml",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["references"][0]["status"], "pinned");
    assert_eq!(
        doc["references"][0]["firstSeen"]["at"],
        "2020-01-01T00:00:00Z"
    );
    assert_eq!(doc["references"][0]["firstSeen"]["source"], "created");
    assert_holds(&file, &format!("image: {host}/{REPO}:v1@{moved}\n"));
    // Without --min-age it is a usage error; with a Docker Hub image and no --labels, refused (exit 2) with
    // no request made.
    let o = update_at(
        &fx,
        dir.path(),
        dir.path(),
        now,
        &["--trust-created", "pod.yaml"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("give --min-age"), "{}", stderr(&o));
    let hub = dir.path().join("hub.yaml");
    fs::write(&hub, format!("image: nginx:1.27@{old}\n")).unwrap();
    let o = update_at(
        &fx,
        dir.path(),
        dir.path(),
        now,
        &["--min-age", "3d", "--trust-created", "hub.yaml"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_stderr_has(&o, "add --labels to allow those reads");
}
