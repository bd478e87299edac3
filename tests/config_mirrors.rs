//! Settings from `pin.toml`, and lookups routed by registries.conf mirrors, against the real registry harness.
//! Expected digests are the ones the harness computed from the bytes it pushed.

mod common;
mod harness;

use std::fs;
use std::path::Path;

use common::{pin_env as pin, text};
use harness::{Registry, Variant};

fn write(dir: &Path, name: &str, body: &str) {
    let p = dir.join(name);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, body).unwrap();
}

// Guards mirrors from registries.conf: `nginx:1.27` (docker.io/library/nginx) is answered by the mirror, which
// is the only registry reachable here, and the file keeps the user's spelling of the name.
#[test]
fn a_registries_conf_mirror_answers_for_docker_hub_and_the_name_is_kept() {
    let registry = Registry::start(Variant::Plain);
    let pushed = registry.push_oci_image("library/nginx", "1.27", "mirror-nginx");
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "registries.conf",
        &format!(
            "[[registry]]\nprefix = \"docker.io\"\nlocation = \"docker.io\"\n\n[[registry.mirror]]\nlocation = \"{}\"\ninsecure = true\n",
            registry.host()
        ),
    );
    write(
        dir.path(),
        "deploy/app.yaml",
        "containers:\n  - name: web\n    image: nginx:1.27 # the web server\n",
    );
    let conf = dir.path().join("registries.conf");
    let out = pin(
        dir.path(),
        &["-w", "-v", "deploy"],
        &[("CONTAINERS_REGISTRIES_CONF", conf.to_str().unwrap())],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        fs::read_to_string(dir.path().join("deploy/app.yaml")).unwrap(),
        format!(
            "containers:\n  - name: web\n    image: nginx@{} # nginx:1.27 # the web server\n",
            pushed.digest
        )
    );
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!(
            "docker.io/library/nginx:1.27 answered by {}/library/nginx",
            registry.host()
        )),
        "{err}"
    );
    // The JSON report says it too.
    let json = pin(
        dir.path(),
        &["resolve", "--format", "json", "nginx:1.27"],
        &[("CONTAINERS_REGISTRIES_CONF", conf.to_str().unwrap())],
    );
    assert_eq!(json.status.code(), Some(0), "{}", text(&json.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        doc["answeredBy"]["docker.io/library/nginx:1.27"],
        format!("{}/library/nginx", registry.host())
    );
}

// Guards the configuration file: excludes, skips, insecure registries and mirrors set there apply with no
// flags; `pin config` says where each setting comes from.
#[test]
fn pin_toml_sets_excludes_skips_insecure_registries_and_mirrors() {
    let registry = Registry::start(Variant::Plain);
    let hub = registry.push_oci_image("library/redis", "7", "config-redis");
    let own = registry.push_oci_image("team/app", "v1", "config-app");
    let host = registry.host();
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join(".git")).unwrap();
    write(
        dir.path(),
        "pin.toml",
        &format!(
            r#"# settings for this repository
exclude = ["vendor"]
skip = ['^ghcr\.io/']
insecure-registries = ["{host}"]

[[registry]]
prefix = "docker.io"
[[registry.mirror]]
location = "{host}"
insecure = true
"#
        ),
    );
    let app =
        format!("image: redis:7\n---\nimage: ghcr.io/org/tool:2\n---\nimage: {host}/team/app:v1\n");
    write(dir.path(), "deploy/app.yaml", &app);
    write(dir.path(), "vendor/lib.yaml", "image: redis:7\n");
    // Run from a subdirectory: the file is found upward, and its excludes are relative to it.
    let sub = dir.path().join("deploy");
    let out = pin(
        &sub,
        &["-w", "--", ".."],
        &[("CONTAINERS_REGISTRIES_CONF", "/nonexistent")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        fs::read_to_string(sub.join("app.yaml")).unwrap(),
        format!(
            "image: redis@{} # redis:7\n---\nimage: ghcr.io/org/tool:2\n---\nimage: {host}/team/app@{} # {host}/team/app:v1\n",
            hub.digest, own.digest
        )
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("vendor/lib.yaml")).unwrap(),
        "image: redis:7\n"
    );
    let err = text(&out.stderr);
    assert!(err.contains("matches --skip"), "{err}");

    let shown = pin(&sub, &["config"], &[]);
    assert_eq!(shown.status.code(), Some(0), "{}", text(&shown.stderr));
    let shown = text(&shown.stdout);
    let file = dir.path().join("pin.toml");
    assert!(
        shown.contains(&format!("exclude = [\"vendor\"]  # {}:2", file.display())),
        "{shown}"
    );
    assert!(shown.contains("jobs = 64  # default"), "{shown}");

    // A flag replaces the file's setting: with --skip given, ghcr.io is no longer skipped, and is looked up.
    let out = pin(&sub, &["--check", "--skip", "^nothing$", ".."], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("ghcr.io/org/tool:2"));
}

// Guards configuration errors: an unknown key is reported with the file, line and column, and nothing runs.
#[test]
fn a_bad_key_in_pin_toml_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "pin.toml", "jobs = 4\nexlude = [\"vendor\"]\n");
    write(dir.path(), "app.yaml", "image: nginx:1.27\n");
    let out = pin(dir.path(), &["list", "."], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.starts_with("pin.toml:2:1: error: "), "{err}");
    assert!(err.contains("exlude"), "{err}");
    assert!(text(&out.stdout).is_empty());
    // --no-config ignores it; --config names another file.
    let out = pin(dir.path(), &["list", "--no-config", "."], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    write(dir.path(), "other.toml", "exclude = [\"app.yaml\"]\n");
    let out = pin(dir.path(), &["list", "--config", "other.toml", "."], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).is_empty(), "{}", text(&out.stdout));
}

// Guards the tag → digest cache: a second run within the TTL makes no request (the registry is stopped),
// while --check, pin update, CI and an expired TTL do not use what the configuration file switched on.
#[test]
fn the_cache_answers_repeat_runs_and_is_bypassed_where_it_must_be() {
    let mut registry = Registry::start(Variant::Plain);
    let v1 = registry.push_oci_image("team/app", "v1", "cache-v1");
    let v2 = registry.push_oci_image("team/app", "v2", "cache-v2");
    let host = registry.host().to_string();
    let dir = tempfile::tempdir().unwrap();
    let app = format!("image: {host}/team/app:v1\n---\nimage: {host}/team/app:v2\n");
    write(dir.path(), "app.yaml", &app);
    write(
        dir.path(),
        "pinned.yaml",
        &format!("image: {host}/team/app:v1@{}\n", v1.digest),
    );
    let flags = ["--insecure-registry", host.as_str(), "-v"];
    fn with<'a>(flags: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
        [flags, extra].concat()
    }

    let first = pin(
        dir.path(),
        &with(&flags, &["--cache-dir", "c", "app.yaml"]),
        &[],
    );
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    assert!(
        text(&first.stderr).contains("; 0 answers from the cache"),
        "{}",
        text(&first.stderr)
    );
    registry.stop();

    // Within the TTL: the same diff, no registry needed.
    let second = pin(
        dir.path(),
        &with(&flags, &["--cache-dir", "c", "app.yaml"]),
        &[],
    );
    assert_eq!(second.status.code(), Some(0), "{}", text(&second.stderr));
    assert_eq!(text(&second.stdout), text(&first.stdout));
    assert!(text(&second.stdout).contains(&v2.digest));
    assert!(
        text(&second.stderr).contains("requests: none; 2 answers from the cache"),
        "{}",
        text(&second.stderr)
    );
    // Asked for on the command line, --check uses it too.
    let check = pin(
        dir.path(),
        &with(&flags, &["--check", "--cache-dir", "c", "app.yaml"]),
        &[],
    );
    assert_eq!(check.status.code(), Some(1), "{}", text(&check.stderr));
    // A TTL of 0 uses nothing: the (stopped) registry is asked, and the run fails closed.
    let expired = pin(
        dir.path(),
        &with(
            &flags,
            &["--cache-dir", "c", "--cache-ttl", "0", "app.yaml"],
        ),
        &[],
    );
    assert_eq!(expired.status.code(), Some(2), "{}", text(&expired.stderr));
    // pin update never uses it: its question is whether the tag moved.
    let update = pin(
        dir.path(),
        &[
            &["update"][..],
            &with(&flags, &["--cache-dir", "c", "pinned.yaml"]),
        ]
        .concat(),
        &[],
    );
    assert_eq!(update.status.code(), Some(2), "{}", text(&update.stderr));

    // Switched on by the configuration file: used by a plain run, not by --check, not in CI.
    write(dir.path(), "pin.toml", "cache = true\ncache-dir = \"c\"\n");
    let plain = pin(dir.path(), &with(&flags, &["app.yaml"]), &[]);
    assert_eq!(plain.status.code(), Some(0), "{}", text(&plain.stderr));
    let check = pin(dir.path(), &with(&flags, &["--check", "app.yaml"]), &[]);
    assert_eq!(check.status.code(), Some(2), "{}", text(&check.stderr));
    let ci = pin(dir.path(), &with(&flags, &["app.yaml"]), &[("CI", "true")]);
    assert_eq!(ci.status.code(), Some(2), "{}", text(&ci.stderr));
    // Nothing was ever written: every run was a dry run or failed.
    assert_eq!(
        fs::read_to_string(dir.path().join("app.yaml")).unwrap(),
        app
    );
}

// Guards `pin verify` through mirrors: a digest-only mirror is asked about a pinned digest before the
// registry (here a closed port), and answers it; once the mirror no longer has it, the registry must be
// asked, and a registry that cannot be asked makes the run an error (exit 2), not a missing digest.
#[test]
fn verify_asks_digest_mirrors_first_and_a_failure_to_ask_is_no_missing_digest() {
    let registry = Registry::start(Variant::Plain);
    let pushed = registry.push_oci_image("library/nginx", "1.27", "verify-mirror");
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "registries.conf",
        &format!(
            "[[registry]]\nprefix = \"docker.io\"\nlocation = \"{closed}\"\ninsecure = true\n\n\
             [[registry.mirror]]\nlocation = \"{}\"\ninsecure = true\npull-from-mirror = \"digest-only\"\n",
            registry.host()
        ),
    );
    write(
        dir.path(),
        "app.yaml",
        &format!("image: nginx@{}\n", pushed.digest),
    );
    let conf = dir.path().join("registries.conf");
    let env = [("CONTAINERS_REGISTRIES_CONF", conf.to_str().unwrap())];
    let args = ["verify", "-v", "--connect-timeout", "2", "app.yaml"];
    let out = pin(dir.path(), &args, &env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("requests: 1 ping, 0 token, 1 HEAD, 0 GET"),
        "{}",
        text(&out.stderr)
    );

    registry.delete_manifest("library/nginx", &pushed.digest);
    let out = pin(dir.path(), &args, &env);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("app.yaml:1:8: error: cannot verify nginx@")
            && err.contains(&closed.to_string()),
        "{err}"
    );
    assert!(!err.contains("PIN072"), "{err}");
}

// Guards issue 18.11: a registry that the user's registries.conf blocks stays blocked whatever a pin.toml (a
// repository's file) says: neither a table for the same prefix nor a longer one unblocks it. A table of the
// user's own (a later registries.conf) still may, as in containers-registries.conf(5).
#[test]
fn a_pin_toml_cannot_unblock_what_registries_conf_blocks() {
    let registry = Registry::start(Variant::Plain);
    let pushed = registry.push_oci_image("team/app", "v1", "blocked-app");
    let host = registry.host().to_string();
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join(".git")).unwrap();
    write(
        dir.path(),
        "registries.conf",
        &format!("[[registry]]\nprefix = \"{host}\"\nblocked = true\n"),
    );
    write(
        dir.path(),
        "app.yaml",
        &format!("image: {host}/team/app:v1\n"),
    );
    let conf = dir.path().join("registries.conf");
    let env = [("CONTAINERS_REGISTRIES_CONF", conf.to_str().unwrap())];
    let args = ["--insecure-registry", host.as_str(), "app.yaml"];
    for table in [
        format!("[[registry]]\nprefix = \"{host}\"\n"),
        format!("[[registry]]\nprefix = \"{host}/team\"\nlocation = \"{host}/team\"\n"),
    ] {
        write(dir.path(), "pin.toml", &table);
        let out = pin(dir.path(), &args, &env);
        assert_eq!(out.status.code(), Some(2), "{table}: {}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains(&format!(
                "{host}/team/app is blocked by {} (blocked = true)",
                conf.display()
            )),
            "{table}: {}",
            text(&out.stderr)
        );
    }
    // The user's own later file unblocks it.
    fs::remove_file(dir.path().join("pin.toml")).unwrap();
    write(
        dir.path(),
        "registries.conf",
        &format!("[[registry]]\nprefix = \"{host}\"\nblocked = true\n\n[[registry]]\nprefix = \"{host}/team\"\n"),
    );
    let out = pin(dir.path(), &args, &env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains(&pushed.digest),
        "{}",
        text(&out.stdout)
    );
}
