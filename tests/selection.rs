//! Which files a run reads, and what a path that cannot be read does to the rest of the run. No registry:
//! `pin list` reads files only, and `--offline` takes digests from a lockfile written here.

mod common;
mod fake_registry;

use std::fs;
use std::process::Command;

use common::{lockfile, pin, text, tree, DIGEST};

// Guards per-path errors: a file that is not valid for its kind is an error with its line and column, and
// every other file is still scanned and listed; the run exits 2. A file that cannot hold a reference (no
// `image` in a YAML file) is not parsed, so its syntax is not checked.
#[test]
fn a_bad_file_is_reported_and_the_others_are_still_listed() {
    let dir = tree(&[
        ("good.yaml", "image: nginx:1.27\n"),
        ("bad.yaml", "image: a:1\nb: [x,\n"),
        ("config.yaml", "a: 1\nb: [x,\n"),
        ("z.yaml", "image: redis:7\n"),
    ]);
    let out = pin(dir.path(), &["list", "."]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("bad.yaml:3:1"), "{err}");
    assert!(!err.contains("config.yaml"), "{err}");
    let listed = text(&out.stdout);
    assert!(listed.contains("good.yaml:1:8\tnginx:1.27"), "{listed}");
    assert!(listed.contains("z.yaml:1:8\tredis:7"), "{listed}");
}

// Guards the fail-closed rule with a bad file in the tree: nothing is written, unless --keep-going, which
// writes the files that are fine and still exits 2.
#[test]
fn a_bad_file_blocks_writing_unless_keep_going() {
    let dir = tree(&[
        ("good.yaml", "image: nginx:1.27\n"),
        ("bad.yaml", "image: a:1\nb: [x,\n"),
        ("pin.lock", &lockfile()),
    ]);
    let args = ["-w", "--offline", "--lock", "pin.lock", "."];
    let out = pin(dir.path(), &args);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(
        fs::read_to_string(dir.path().join("good.yaml")).unwrap(),
        "image: nginx:1.27\n"
    );
    let out = pin(dir.path(), &[&args[..], &["--keep-going"]].concat());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(
        fs::read_to_string(dir.path().join("good.yaml")).unwrap(),
        format!("image: nginx@{DIGEST} # nginx:1.27\n")
    );
}

// Guards gitignore semantics for --exclude: a bare name excludes that directory at any depth; `!` re-includes.
#[test]
fn exclude_has_gitignore_semantics() {
    let dir = tree(&[
        ("app.yaml", "image: nginx:1.27\n"),
        ("vendor/a.yaml", "image: redis:7\n"),
        ("lib/vendor/b.yaml", "image: redis:7\n"),
        ("lib/keep.yaml", "image: redis:7\n"),
        ("lib/drop.yaml", "image: redis:7\n"),
    ]);
    let out = pin(
        dir.path(),
        &[
            "list",
            "--exclude",
            "vendor",
            "--exclude",
            "lib/*.yaml",
            "--exclude",
            "!lib/keep.yaml",
            ".",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let files: Vec<String> = text(&out.stdout)
        .lines()
        .map(|l| l.split(':').next().unwrap().to_string())
        .collect();
    assert_eq!(files, ["app.yaml", "lib/keep.yaml"]);
}

// Guards --force-exclude: paths named on the command line (as a pre-commit hook passes them) are read even
// when excluded, unless --force-exclude is given.
#[test]
fn force_exclude_applies_to_named_paths() {
    let dir = tree(&[
        ("app.yaml", "image: nginx:1.27\n"),
        ("vendor/a.yaml", "image: redis:7\n"),
    ]);
    let named = ["--exclude", "vendor", "vendor/a.yaml", "app.yaml"];
    let out = pin(dir.path(), &[&["list"][..], &named].concat());
    assert_eq!(
        text(&out.stdout).lines().count(),
        2,
        "{}",
        text(&out.stdout)
    );
    let out = pin(
        dir.path(),
        &[&["list", "--force-exclude"][..], &named].concat(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let listed = text(&out.stdout);
    assert!(listed.starts_with("app.yaml:1:8\tnginx:1.27"), "{listed}");
    assert_eq!(listed.lines().count(), 1, "{listed}");
}

// Guards the project context of named files: inside a git repository, `pin list` on one file reads the
// kustomizations, skaffold configs and Tiltfiles of the whole repository, as `pin list .` at its root does, so
// a pre-commit hook (which names the staged files alone) says what the whole-tree run says. Outside a
// repository, and for files the overlays do not include, nothing changes.
#[test]
fn named_files_get_the_project_context_of_their_repository() {
    let files = [
        ("base/deploy.yaml", "image: shop/web:placeholder\n"),
        ("base/kustomization.yaml", "resources: [deploy.yaml]\n"),
        (
            "overlays/prod/kustomization.yaml",
            "resources: [../../base]\nimages:\n- name: shop/web\n  newName: nginx\n  newTag: '1.27'\n",
        ),
        ("apps/api/skaffold.yaml", "apiVersion: skaffold/v4beta6\nkind: Config\nbuild:\n  artifacts:\n  - image: shop/api\n"),
        ("apps/api/k8s.yaml", "image: shop/api:dev\n"),
        ("other/app.yaml", "image: shop/web:placeholder\n"),
    ];
    let status = |listing: &str, file: &str| -> String {
        listing
            .lines()
            .find(|l| l.starts_with(file))
            .unwrap_or_else(|| panic!("{file} not in {listing}"))
            .split('\t')
            .nth(2)
            .and_then(|s| s.split(':').next())
            .unwrap()
            .to_string()
    };
    let dir = tree(&files);
    // Outside a repository: the named files alone.
    let out = pin(
        dir.path(),
        &["list", "base/deploy.yaml", "apps/api/k8s.yaml"],
    );
    let alone = text(&out.stdout);
    assert_eq!(status(&alone, "base/deploy.yaml"), "unpinned", "{alone}");
    assert_eq!(status(&alone, "apps/api/k8s.yaml"), "unpinned", "{alone}");
    // In a repository (a `.git` directory is what marks its root): as the whole tree says.
    fs::create_dir(dir.path().join(".git")).unwrap();
    let whole = text(&pin(dir.path(), &["list", "."]).stdout);
    let named = pin(
        dir.path(),
        &[
            "list",
            "base/deploy.yaml",
            "apps/api/k8s.yaml",
            "other/app.yaml",
        ],
    );
    assert_eq!(named.status.code(), Some(0), "{}", text(&named.stderr));
    let named = text(&named.stdout);
    for file in ["base/deploy.yaml", "apps/api/k8s.yaml", "other/app.yaml"] {
        assert_eq!(
            status(&named, file),
            status(&whole, file),
            "{file}\n{named}\n{whole}"
        );
    }
    assert_eq!(status(&named, "base/deploy.yaml"), "skipped", "{named}");
    assert_eq!(status(&named, "apps/api/k8s.yaml"), "skipped", "{named}");
    assert_eq!(status(&named, "other/app.yaml"), "unpinned", "{named}");
    // Only the files named are listed, and from a subdirectory the context is the same.
    assert_eq!(named.lines().count(), 3, "{named}");
    let from_sub = text(&pin(&dir.path().join("base"), &["list", "deploy.yaml"]).stdout);
    assert_eq!(status(&from_sub, "deploy.yaml"), "skipped", "{from_sub}");
    // The JSON reason names the kustomization that sets the image, as the whole-tree run does.
    let json = text(
        &pin(
            dir.path(),
            &["list", "--format", "json", "base/deploy.yaml"],
        )
        .stdout,
    );
    assert!(
        json.contains("set by overlays/prod/kustomization.yaml:3"),
        "{json}"
    );
    // An excluded overlay is no context, here as in the whole-tree run.
    let excluded = pin(
        dir.path(),
        &["list", "--exclude", "overlays", "base/deploy.yaml"],
    );
    assert_eq!(
        status(&text(&excluded.stdout), "base/deploy.yaml"),
        "unpinned"
    );
}

// Guards `--format gitlab`: a GitLab Code Quality array whose paths are relative to the repository's root
// (GitLab matches them against the repository), wherever pin runs; one issue per reference to pin.
#[test]
fn gitlab_code_quality_paths_are_relative_to_the_repository() {
    let dir = tree(&[
        (
            "deploy/app.yaml",
            "kind: Pod\nspec:\n  containers:\n  - image: nginx:1.27\n",
        ),
        ("deploy/pin.lock", &lockfile()),
    ]);
    fs::create_dir(dir.path().join(".git")).unwrap();
    let out = pin(
        &dir.path().join("deploy"),
        &[
            "--check",
            "--offline",
            "--lock",
            "pin.lock",
            "--format",
            "gitlab",
            "app.yaml",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let issues: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let issues = issues.as_array().unwrap();
    assert_eq!(issues.len(), 1, "{issues:#?}");
    let issue = &issues[0];
    assert_eq!(issue["check_name"], "PIN001");
    assert_eq!(issue["severity"], "major");
    assert_eq!(issue["location"]["path"], "deploy/app.yaml");
    assert_eq!(issue["location"]["positions"]["begin"]["line"], 4);
    assert_eq!(issue["location"]["positions"]["begin"]["column"], 12);
    let description = issue["description"].as_str().unwrap();
    assert!(
        description.starts_with("PIN001: nginx:1.27: "),
        "{description}"
    );
    assert!(description.contains(DIGEST), "{description}");
    assert_eq!(issue["fingerprint"].as_str().unwrap().len(), 32);
}

// Guards against blocking forever: a fifo named like a manifest is an error for that path, never opened.
#[cfg(unix)]
#[test]
fn a_fifo_named_yaml_is_an_error_not_a_hang() {
    let dir = tree(&[("app.yaml", "image: nginx:1.27\n")]);
    let fifo = dir.path().join("pipe.yaml");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let out = pin(dir.path(), &["list", "."]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("pipe.yaml: not a regular file"),
        "{}",
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains("app.yaml:1:8"));
}

// Guards `blocked = true`: the lookup is an error naming the file that blocks it, and the registry gets no
// request at all.
#[test]
fn a_blocked_registry_errors_without_a_request() {
    let fake = fake_registry::FakeRegistry::start(|_| fake_registry::Response::new(500).into());
    let host = fake.host();
    let conf_text = format!("[[registry]]\nlocation = \"{host}\"\nblocked = true\n");
    let app = format!("image: {host}/team/app:1\n");
    let dir = tree(&[("registries.conf", &conf_text), ("app.yaml", &app)]);
    let conf = dir.path().join("registries.conf");
    let out = Command::new(env!("CARGO_BIN_EXE_pin"))
        .current_dir(dir.path())
        .args(["-w", "--insecure-registry", &host, "app.yaml"])
        .env_clear()
        .env("HOME", dir.path())
        .env("CONTAINERS_REGISTRIES_CONF", &conf)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!("{host}/team/app is blocked by {}", conf.display())),
        "{err}"
    );
    assert_eq!(fake.finish().requests.len(), 0);
    assert_eq!(
        fs::read_to_string(dir.path().join("app.yaml")).unwrap(),
        format!("image: {host}/team/app:1\n")
    );
}

// Guards the configuration file's `[files]` table: extra file names give a kind, so a file the built-in names
// would never open is read.
#[test]
fn extra_file_names_from_pin_toml() {
    let dir = tree(&[
        ("pin.toml", "[files]\ndockerfile = [\"*.base\"]\n"),
        ("images/app.base", "FROM alpine:3.20\n"),
    ]);
    let out = pin(dir.path(), &["list", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "images/app.base:1:6\talpine:3.20\tunpinned\n"
    );
}
