//! Settings tests. The flag × file × default table: for each key and each command that has it, the value a
//! run uses with neither, the file's alone, the flag's alone and both.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use clap::{CommandFactory, FromArgMatches};

use super::*;
use crate::cli::Cli;

/// One key on one command line: the flag, the file's text, and the value used with neither, with the
/// file's alone, with the flag alone and with both.
struct Row {
    key: &'static str,
    line: &'static str,
    flag: &'static str,
    file: &'static str,
    default: &'static str,
    from_file: &'static str,
    from_flag: &'static str,
    both: &'static str,
}

const fn row(
    key: &'static str,
    line: &'static str,
    flag: &'static str,
    file: &'static str,
    [default, from_file, from_flag, both]: [&'static str; 4],
) -> Row {
    Row {
        key,
        line,
        flag,
        file,
        default,
        from_file,
        from_flag,
        both,
    }
}

const SELECT: &[&str] = &["pin", "update", "unpin", "list", "verify"];
const REGISTRY: &[&str] = &["pin", "update", "resolve x:1", "verify"];
const CACHE: &[&str] = &["pin", "resolve x:1", "verify"];

/// Every row, for each command line it holds on.
fn table() -> Vec<Row> {
    let mut rows = Vec::new();
    for &line in SELECT {
        rows.extend([
            row(
                "exclude",
                line,
                "--exclude a",
                "exclude = [\"b\"]",
                [
                    "[] base None",
                    "[\"b\"] base $DIR",
                    "[\"a\"] base None",
                    "[\"a\"] base None",
                ],
            ),
            row(
                "skip",
                line,
                "--skip a",
                "skip = [\"b\"]",
                ["[]", "[\"b\"]", "[\"a\"]", "[\"a\"]"],
            ),
            row(
                "devcontainer-features",
                line,
                "--devcontainer-features",
                "devcontainer-features = true",
                ["false", "true", "true", "true"],
            ),
            row(
                "devcontainer-features",
                line,
                "--devcontainer-features",
                "devcontainer-features = false",
                ["false", "false", "true", "true"],
            ),
            row(
                "actions",
                line,
                "--no-actions",
                "actions = false",
                ["true", "false", "false", "false"],
            ),
            row(
                "actions",
                line,
                "--no-actions",
                "[actions]\nenabled = true",
                ["true", "true", "false", "false"],
            ),
            row(
                "files",
                line,
                "",
                "[files]\ndockerfile = [\"*.in\"]",
                [
                    "[]",
                    "[(Dockerfile, \"*.in\")]",
                    "[]",
                    "[(Dockerfile, \"*.in\")]",
                ],
            ),
        ]);
    }
    for &line in &["pin", "resolve x:1"] {
        rows.extend([
            row(
                "tag-style",
                line,
                "--keep-tag",
                "keep-tag = true",
                ["by kind", "keep", "keep", "keep"],
            ),
            row(
                "platform",
                line,
                "--platform linux/amd64",
                "platform = \"linux/arm64\"",
                ["None", "linux/arm64", "linux/amd64", "linux/amd64"],
            ),
        ]);
    }
    rows.extend([
        // The tag style is one setting: a flag for either style outranks both keys of the file.
        row(
            "tag-style",
            "pin",
            "--tag-comment",
            "keep-tag = true",
            ["by kind", "keep", "comment", "comment"],
        ),
        row(
            "tag-style",
            "pin",
            "--tag-comment",
            "tag-comment = true",
            ["by kind", "comment", "comment", "comment"],
        ),
        row(
            "tag-style",
            "pin",
            "--keep-tag",
            "tag-comment = true",
            ["by kind", "comment", "keep", "keep"],
        ),
        // `pin resolve` has no --tag-comment; it prints `name@digest` for the comment style.
        row(
            "tag-style",
            "resolve x:1",
            "--keep-tag",
            "tag-comment = true",
            ["by kind", "comment", "keep", "keep"],
        ),
        row(
            "tag-style",
            "pin",
            "--tag-style keep",
            "tag-style = \"comment\"",
            ["by kind", "comment", "keep", "keep"],
        ),
        row(
            "tag-style",
            "pin",
            "--keep-tag",
            "tag-style = \"drop\"",
            ["by kind", "drop", "keep", "keep"],
        ),
        row(
            "tag-style",
            "resolve x:1",
            "--tag-style comment",
            "tag-style = \"keep\"",
            ["by kind", "keep", "comment", "comment"],
        ),
        row(
            "tag-style",
            "pin",
            "--tag-comment",
            "keep-tag = false",
            ["by kind", "by kind", "comment", "comment"],
        ),
    ]);
    for &line in REGISTRY {
        rows.extend([
            row("jobs", line, "-j 4", "jobs = 8", ["64", "8", "4", "4"]),
            // Without its final `/`.
            row(
                "actions.server",
                line,
                "--actions-server https://a.example/",
                "[actions]\nserver = \"https://b.example\"",
                [
                    "https://github.com",
                    "https://b.example",
                    "https://a.example",
                    "https://a.example",
                ],
            ),
            row("jobs", line, "-j 4", "jobs = 0", ["64", "1", "4", "4"]),
            row("jobs", line, "-j 4", "jobs = 1000", ["64", "256", "4", "4"]),
            row(
                "timeout",
                line,
                "--timeout 7",
                "timeout = 5",
                ["30", "5", "7", "7"],
            ),
            row(
                "timeout",
                line,
                "--timeout 7",
                "timeout = 0",
                ["30", "1", "7", "7"],
            ),
            row(
                "connect-timeout",
                line,
                "--connect-timeout 7",
                "connect-timeout = 5",
                ["10", "5", "7", "7"],
            ),
            row(
                "insecure-registries",
                line,
                "--insecure-registry a:1",
                "insecure-registries = [\"b:2\"]",
                ["[]", "[\"b:2\"]", "[\"a:1\"]", "[\"a:1\"]"],
            ),
            row(
                "ca-certs",
                line,
                "--ca-cert a.pem",
                "ca-certs = [\"b.pem\"]",
                ["[]", "[\"$DIR/b.pem\"]", "[\"a.pem\"]", "[\"a.pem\"]"],
            ),
            // Not a choice between them: the file's tables, then the flags' mirrors.
            row(
                "registry",
                line,
                "--mirror docker.io=m.example",
                "[[registry]]\nprefix = \"docker.io\"",
                [
                    "tables [] mirrors []",
                    "tables [\"docker.io\"] mirrors []",
                    "tables [] mirrors [\"docker.io=m.example\"]",
                    "tables [\"docker.io\"] mirrors [\"docker.io=m.example\"]",
                ],
            ),
            row(
                "signatures.require",
                line,
                "--require-signature",
                "[signatures]\nrequire = true",
                ["false", "true", "true", "true"],
            ),
            row(
                "signatures.keys",
                line,
                "--signature-key a.pub",
                "[signatures]\nkeys = [\"b.pub\"]",
                [
                    "[] None",
                    "[\"$DIR/b.pub\"] None",
                    "[\"a.pub\"] None",
                    "[\"a.pub\"] None",
                ],
            ),
            row(
                "signatures.policy",
                line,
                "--policy a.json",
                "[signatures]\npolicy = \"b.json\"",
                [
                    "[] None",
                    "[] Some(\"$DIR/b.json\")",
                    "[] Some(\"a.json\")",
                    "[] Some(\"a.json\")",
                ],
            ),
            row(
                "signatures.identity",
                line,
                "--signature-identity a@example.com",
                "[signatures]\nidentity = \"b@example.com\"",
                [
                    "None None",
                    "Some(\"b@example.com\") None",
                    "Some(\"a@example.com\") None",
                    "Some(\"a@example.com\") None",
                ],
            ),
            row(
                "signatures.identity",
                line,
                "--signature-key a.pub",
                "[signatures]\nidentity-regexp = \".*\"\nissuer = \"https://i\"",
                ["None None", "None Some(\".*\")", "None None", "None None"],
            ),
            row(
                "signatures.trusted-root",
                line,
                "--trusted-root a.json",
                "[signatures]\ntrusted-root = \"b.json\"",
                [
                    "None",
                    "Some(\"$DIR/b.json\")",
                    "Some(\"a.json\")",
                    "Some(\"a.json\")",
                ],
            ),
            row(
                "signatures.require-attestation",
                line,
                "--require-attestation slsaprovenance1",
                "[signatures]\nrequire-attestation = \"slsaprovenance\"",
                [
                    "None",
                    "Some(\"slsaprovenance\")",
                    "Some(\"slsaprovenance1\")",
                    "Some(\"slsaprovenance1\")",
                ],
            ),
            // Either form of a predicate check on the command line replaces both of the file's.
            row(
                "signatures.attestation-builder-id",
                line,
                "--attestation-builder-id-regexp a.*",
                "[signatures]\nattestation-builder-id = \"b\"",
                [
                    "None None",
                    "Some(\"b\") None",
                    "None Some(\"a.*\")",
                    "None Some(\"a.*\")",
                ],
            ),
            row(
                "signatures.attestation-source-uri",
                line,
                "--attestation-source-uri github.com/a/a",
                "[signatures]\nattestation-source-uri-regexp = \"b.*\"",
                [
                    "None None",
                    "None Some(\"b.*\")",
                    "Some(\"github.com/a/a\") None",
                    "Some(\"github.com/a/a\") None",
                ],
            ),
            // The file's attestation adds a requirement: with a signer on the command line (a signature
            // required), a signature stays required; the file's own signers with its attestation need none.
            row(
                "signatures.require",
                line,
                "--signature-key a.pub",
                "[signatures]\nkeys = [\"b.pub\"]\nrequire-attestation = \"slsaprovenance\"",
                ["false", "false", "false", "true"],
            ),
            row(
                "signatures.require",
                line,
                "--signature-identity a@example.com --signature-issuer https://i --attestation-builder-id x",
                "[signatures]\nattestation-source-uri = \"github.com/b/b\"",
                ["false", "false", "false", "false"],
            ),
            // A key, a policy or a keyless identity on the command line replaces all of the file's.
            row(
                "signatures.keys",
                line,
                "--policy a.json",
                "[signatures]\nkeys = [\"b.pub\"]",
                [
                    "[] None",
                    "[\"$DIR/b.pub\"] None",
                    "[] Some(\"a.json\")",
                    "[] Some(\"a.json\")",
                ],
            ),
        ]);
    }
    for &line in CACHE {
        rows.extend([
            row(
                "cache",
                line,
                "--cache",
                "cache = true",
                ["false", "true", "true", "true"],
            ),
            row(
                "cache-dir",
                line,
                "--cache-dir a",
                "cache-dir = \"b\"",
                ["None", "Some(\"$DIR/b\")", "Some(\"a\")", "Some(\"a\")"],
            ),
            // --cache on the command line keeps the file's cache-dir out too.
            row(
                "cache-dir",
                line,
                "--cache",
                "cache-dir = \"b\"",
                ["None", "Some(\"$DIR/b\")", "None", "None"],
            ),
            row(
                "cache-ttl",
                line,
                "--cache-ttl 5",
                "cache-ttl = 60",
                ["900", "60", "5", "5"],
            ),
            // The flag's range: a year at most.
            row(
                "cache-ttl",
                line,
                "--cache-ttl 5",
                "cache-ttl = 99999999999",
                ["900", "31536000", "5", "5"],
            ),
        ]);
    }
    // The file never switches the cache on for --check or `pin update`; a flag may.
    for line in ["pin --check", "update"] {
        rows.extend([
            row(
                "cache",
                line,
                "--cache",
                "cache = true",
                ["false", "false", "true", "true"],
            ),
            row(
                "cache-dir",
                line,
                "--cache-dir a",
                "cache-dir = \"b\"",
                ["None", "None", "Some(\"a\")", "Some(\"a\")"],
            ),
            row(
                "cache-ttl",
                line,
                "--cache-ttl 5",
                "cache-ttl = 60",
                ["900", "900", "5", "5"],
            ),
        ]);
    }
    rows.push(row(
        "update.min-age",
        "update",
        "--min-age 1h",
        "[update]\nmin-age = \"3d\"",
        ["0", "259200", "3600", "3600"],
    ));
    rows.push(row(
        "update.platforms",
        "update",
        "--platforms linux/amd64,linux/arm64",
        "[update]\nplatforms = [\"linux/arm64\"]",
        [
            "[]",
            "[linux/arm64]",
            "[linux/amd64, linux/arm64]",
            "[linux/amd64, linux/arm64]",
        ],
    ));
    rows.push(row(
        "verify.platforms",
        "verify",
        "--platforms linux/amd64",
        "[verify]\nplatforms = [\"linux/arm64\"]",
        ["[]", "[linux/arm64]", "[linux/amd64]", "[linux/amd64]"],
    ));
    rows
}

/// The value of `key` that the command line `words` (with `--config FILE` or `--no-config` added) runs
/// with, as text, the configuration file's directory written `$DIR`.
fn effective(words: &[&str], file: Option<&Path>, key: &str) -> String {
    let mut args: Vec<String> = words.iter().map(|w| w.to_string()).collect();
    match file {
        Some(p) => args.extend(["--config".to_string(), p.display().to_string()]),
        None => args.push("--no-config".to_string()),
    }
    let args = crate::cli::arrange_args(args.iter().map(std::ffi::OsString::from));
    let matches = Cli::command()
        .try_get_matches_from(args)
        .unwrap_or_else(|e| panic!("{words:?}: {e}"));
    let cli = Cli::from_arg_matches(&matches).unwrap();
    let env = Env {
        cwd: PathBuf::from("/nonexistent"),
        ci: false,
        user_cache: None,
    };
    let run = from_command_line(cli, &matches, &env).unwrap_or_else(|e| panic!("{words:?}: {e}"));
    let dir = file.and_then(Path::parent).map(|d| d.display().to_string());
    let shown = value(&run, key).unwrap_or_else(|| panic!("{words:?} has no {key}"));
    match dir {
        Some(d) => shown.replace(&d, "$DIR"),
        None => shown,
    }
}

/// The parts of a run that settings go to.
#[derive(Default)]
struct Parts<'a> {
    scan: Option<&'a ScanSettings>,
    pin: Option<&'a PinSettings>,
    registry: Option<&'a RegistrySettings>,
    platforms: Option<&'a [Platform]>,
    waiting: Option<&'a Waiting>,
}

fn parts(run: &Run) -> Parts<'_> {
    match run {
        Run::Files(f) => Parts {
            scan: Some(&f.scan),
            pin: match &f.operation {
                Operation::Pin(p) => Some(p),
                _ => None,
            },
            registry: f.registry.as_ref(),
            waiting: match &f.operation {
                Operation::Update { waiting, .. } => Some(waiting),
                _ => None,
            },
            platforms: match &f.operation {
                Operation::Update { platforms, .. } => Some(platforms),
                _ => None,
            },
        },
        Run::Resolve(r) => Parts {
            pin: Some(&r.pin),
            registry: Some(&r.registry),
            ..Parts::default()
        },
        Run::Verify(v) => Parts {
            scan: Some(&v.scan),
            registry: Some(&v.registry),
            platforms: Some(&v.platforms),
            ..Parts::default()
        },
        Run::List(l) => Parts {
            scan: Some(&l.scan),
            ..Parts::default()
        },
        _ => Parts::default(),
    }
}

fn value(run: &Run, key: &str) -> Option<String> {
    let p = parts(run);
    let shown = |v: &[PathBuf]| format!("{:?}", v);
    Some(match key {
        "exclude" => {
            let s = p.scan?;
            format!("{:?} base {:?}", *s.exclude, s.exclude_base)
                .replace("base Some(\"", "base ")
                .replace("\")", "")
        }
        "skip" => format!("{:?}", *p.scan?.skip),
        "devcontainer-features" => p.scan?.devcontainer_features.to_string(),
        "files" => format!("{:?}", *p.scan?.files),
        "actions" => p.scan?.actions.to_string(),
        "actions.server" => p.registry?.actions_server.value.clone(),
        "tag-style" => match *p.pin?.tag_style {
            Some(style) => style.as_str(),
            None => "by kind",
        }
        .to_string(),
        "platform" => match &*p.pin?.platform {
            Some(pl) => pl.to_string(),
            None => "None".to_string(),
        },
        "jobs" => p.registry?.jobs.to_string(),
        "timeout" => p.registry?.timeout.to_string(),
        "connect-timeout" => p.registry?.connect_timeout.to_string(),
        "insecure-registries" => format!("{:?}", *p.registry?.insecure_registries),
        "ca-certs" => shown(&p.registry?.ca_certs),
        "registry" => {
            let r = p.registry?;
            let tables: Vec<&str> = r
                .tables
                .iter()
                .filter_map(|t| t.prefix.as_deref())
                .collect();
            format!("tables {tables:?} mirrors {:?}", r.mirrors)
        }
        "signatures.require" => p.registry?.signatures.require.to_string(),
        "signatures.identity" => {
            let s = &p.registry?.signatures;
            format!("{:?} {:?}", *s.identity, *s.identity_regexp)
        }
        "signatures.trusted-root" => format!("{:?}", *p.registry?.signatures.trusted_root),
        "signatures.require-attestation" => format!("{:?}", *p.registry?.signatures.attestation),
        "signatures.attestation-builder-id" => {
            let s = &p.registry?.signatures;
            format!("{:?} {:?}", *s.builder_id, *s.builder_id_regexp)
        }
        "signatures.attestation-source-uri" => {
            let s = &p.registry?.signatures;
            format!("{:?} {:?}", *s.source_uri, *s.source_uri_regexp)
        }
        "signatures.keys" | "signatures.policy" => {
            let s = &p.registry?.signatures;
            format!("{} {:?}", shown(&s.keys), *s.policy)
        }
        "cache" => p.registry?.cache.enabled.to_string(),
        "cache-dir" => format!("{:?}", *p.registry?.cache.dir),
        "cache-ttl" => p.registry?.cache.ttl.to_string(),
        "update.min-age" => p.waiting?.min_age.to_string(),
        "verify.platforms" | "update.platforms" => {
            let v: Vec<String> = p.platforms?.iter().map(|p| p.to_string()).collect();
            format!("[{}]", v.join(", "))
        }
        _ => panic!("no such key in the table: {key}"),
    })
}

#[test]
fn flag_over_file_over_default() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pin.toml");
    let mut failures = Vec::new();
    for r in table() {
        let line: Vec<&str> = std::iter::once("pin")
            .chain(r.line.split_whitespace().filter(|w| *w != "pin"))
            .collect();
        let with_flag: Vec<&str> = line
            .iter()
            .copied()
            .chain(r.flag.split_whitespace())
            .collect();
        std::fs::write(&path, r.file).unwrap();
        let cells = [
            (&line, None, r.default, "default"),
            (&line, Some(path.as_path()), r.from_file, "file"),
            (&with_flag, None, r.from_flag, "flag"),
            (&with_flag, Some(path.as_path()), r.both, "both"),
        ];
        for (words, file, want, cell) in cells {
            let got = effective(words, file, r.key);
            if got != want {
                failures.push(format!(
                    "{} on `{}` ({cell}; flag {:?}, file {:?}): got {got}, want {want}",
                    r.key, r.line, r.flag, r.file
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// The keys `pin.toml` accepts in `table` (empty: at the top), as its parser lists them for an unknown one.
fn accepted(table: &str) -> BTreeSet<String> {
    let text = format!("{table}\nunknown-key = 1\n");
    let e = toml::from_str::<crate::config::File>(&text).unwrap_err();
    let (_, expected) = e
        .message()
        .split_once("expected")
        .unwrap_or_else(|| panic!("{table}: {}", e.message()));
    expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// The keys of `k = v, k = v` (values without `, ` or ` = ` in them).
fn keys_of(pairs: &str) -> BTreeSet<String> {
    pairs
        .split(", ")
        .filter_map(|p| p.split_once(" = "))
        .map(|(k, _)| k.to_string())
        .collect()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// What `pin config` prints for the file `path` (none: `None`), with `registries_conf` read after it.
fn shown(path: Option<&Path>, ci: bool, registries_conf: Vec<PathBuf>) -> (String, String, bool) {
    let env = Env {
        cwd: PathBuf::from("/nonexistent"),
        ci,
        user_cache: None,
    };
    let loaded = path.map(|p| crate::config::load(p, &env.cwd, None).unwrap());
    let mut shown = show::Shown::new(loaded, &env);
    shown.registry.registries_conf = registries_conf;
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let ok = shown.write(&mut out, &mut err).unwrap();
    (
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
        ok,
    )
}

// Guards `pin config` against drifting from the file: every key pin.toml accepts, at the top and in its
// tables, is printed, and nothing else.
#[test]
fn pin_config_lists_every_key_pin_toml_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "pin.toml",
        "[files]\ndockerfile = [\"*.in\"]\n[[registry]]\nprefix = \"docker.io\"\n[[registry.mirror]]\nlocation = \"m.example\"\n",
    );
    let (out, _, ok) = shown(Some(&path), false, Vec::new());
    assert!(ok);
    let mut top = BTreeSet::new();
    let mut nested: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in out.lines().filter(|l| !l.starts_with('#')) {
        let (setting, _origin) = line.split_once("  # ").expect(line);
        if let Some(table) = setting.strip_prefix("[[registry]] ") {
            top.insert("registry".to_string());
            let (own, mirrors) = table.split_once(", mirror = [").expect(line);
            let mut keys = keys_of(own);
            keys.insert("mirror".to_string());
            nested.insert("registry".to_string(), keys);
            let mirror = mirrors.trim_start_matches("{ ").split(" }").next().unwrap();
            nested.insert("registry.mirror".to_string(), keys_of(mirror));
            continue;
        }
        let (key, _) = setting.split_once(" = ").expect(line);
        match key.split_once('.') {
            // `files` takes kind names, not keys.
            Some(("files", _)) => {
                top.insert("files".to_string());
            }
            Some((table, key)) => {
                top.insert(table.to_string());
                nested
                    .entry(table.to_string())
                    .or_default()
                    .insert(key.to_string());
            }
            None => {
                top.insert(key.to_string());
            }
        }
    }
    assert_eq!(top, accepted(""), "{out}");
    assert_eq!(nested["signatures"], accepted("[signatures]"), "{out}");
    assert_eq!(nested["verify"], accepted("[verify]"), "{out}");
    assert_eq!(nested["update"], accepted("[update]"), "{out}");
    assert_eq!(nested["actions"], accepted("[actions]"), "{out}");
    assert_eq!(nested["registry"], accepted("[[registry]]"), "{out}");
    assert_eq!(
        nested["registry.mirror"],
        accepted("[[registry]]\nprefix = \"x\"\n[[registry.mirror]]"),
        "{out}"
    );
}

// Guards what `pin config` says of each key: the value a plain `pin` uses and the line it comes from, the
// cache keys the file sets in CI set aside, and the registries.conf tables no later table replaces.
#[test]
fn pin_config_prints_each_value_with_its_origin() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "pin.toml",
        r#"exclude = ["vendor"]
jobs = 300
platform = "linux/arm64"
keep-tag = true
cache = true
cache-dir = "c"

[signatures]
keys = ["cosign.pub"]

[files]
dockerfile = ["*.in", "*.df"]

[[registry]]
prefix = "docker.io"
[[registry.mirror]]
location = "m.example"
pull-from-mirror = "digest-only"

[actions]
server = "https://git.example/"
"#,
    );
    let conf = write(
        dir.path(),
        "registries.conf",
        "[[registry]]\nprefix = \"docker.io\"\nblocked = true\n\n[[registry]]\nlocation = \"quay.io\"\ninsecure = true\n",
    );
    let missing = dir.path().join("missing.conf");
    let (out, err, ok) = shown(Some(&path), true, vec![conf.clone(), missing.clone()]);
    assert!(ok && err.is_empty(), "{err}");
    let d = dir.path().display();
    let p = path.display();
    let want = format!(
        r#"# configuration file: {p}
# what a plain `pin` runs with here; a flag given replaces its key's value
exclude = ["vendor"]  # {p}:1
skip = []  # default
devcontainer-features = false  # default
actions.enabled = true  # default
actions.server = "https://git.example"  # {p}:21
platform = "linux/arm64"  # {p}:3
tag-style = "keep"  # {p}:4
keep-tag = true  # {p}:4
tag-comment = false  # default
jobs = 256  # {p}:2
timeout = 30  # default
connect-timeout = 10  # default
insecure-registries = []  # default
ca-certs = []  # default
cache = false  # default; {p}:5 is not used in CI (CI is set)
cache-dir = "{cache}"  # default; {p}:6 is not used in CI (CI is set)
cache-ttl = 900  # default
files.dockerfile = ["*.in", "*.df"]  # {p}:11
signatures.require = false  # default
signatures.keys = ["{d}/cosign.pub"]  # {p}:9
signatures.policy = ""  # default
signatures.identity = ""  # default
signatures.identity-regexp = ""  # default
signatures.issuer = ""  # default
signatures.issuer-regexp = ""  # default
signatures.trusted-root = "" # the public-good root built in  # default
signatures.require-attestation = ""  # default
signatures.attestation-builder-id = ""  # default
signatures.attestation-builder-id-regexp = ""  # default
signatures.attestation-source-uri = ""  # default
signatures.attestation-source-uri-regexp = ""  # default
verify.platforms = []  # default
update.platforms = []  # default
update.min-age = "0" # none: a new digest is applied at once  # default
[[registry]] prefix = "docker.io", location = "docker.io", insecure = false, blocked = false, mirror-by-digest-only = false, mirror = [{{ location = "m.example", insecure = false, pull-from-mirror = "digest-only" }}]  # {p}:14
# registries.conf: {conf} (read)
# registries.conf: {missing} (not found)
[[registry]] prefix = "quay.io", location = "quay.io", insecure = true, blocked = false, mirror-by-digest-only = false, mirror = []  # {conf}
"#,
        cache = crate::resolve::cache::default_dir()
            .map(|d| d.shown())
            .unwrap_or_default(),
        conf = conf.display(),
        missing = missing.display(),
    );
    assert_eq!(out, want);
    // Outside CI the file's cache keys are used.
    let (out, _, _) = shown(Some(&path), false, Vec::new());
    assert!(out.contains(&format!("\ncache = true  # {p}:5\n")), "{out}");
    assert!(
        out.contains(&format!("\ncache-dir = \"{d}/c\"  # {p}:6\n")),
        "{out}"
    );
    // A registries.conf that cannot be parsed is an error, said on stderr.
    let bad = write(dir.path(), "bad.conf", "[[registry]]\nlocaton = \"x\"\n");
    let (out, err, ok) = shown(None, false, vec![bad]);
    assert!(!ok);
    assert!(out.ends_with("(not read)\n"), "{out}");
    assert!(
        err.starts_with("pin: error: ") && err.contains(":2:1: "),
        "{err}"
    );
}

// Guards the two tag keys: the file may set one style, not both.
#[test]
fn keep_tag_and_tag_comment_cannot_both_be_true() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "pin.toml",
        "jobs = 2\nkeep-tag = true\ntag-comment = true\n",
    );
    let e = crate::config::load(&path, Path::new("/nonexistent"), None)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        format!(
            "{}:3: error: keep-tag and tag-comment cannot both be true: the tag goes in the reference or \
             in a comment",
            path.display()
        )
    );
    let ok = write(
        dir.path(),
        "ok.toml",
        "keep-tag = false\ntag-comment = true\n",
    );
    assert!(crate::config::load(&ok, Path::new("/nonexistent"), None).is_ok());
}

// Guards `tag-style`: one of three words, and not beside a tag key set to true.
#[test]
fn tag_style_is_a_word_and_the_only_style_key_set() {
    let dir = tempfile::tempdir().unwrap();
    let load = |name: &str, text: &str| {
        let path = write(dir.path(), name, text);
        crate::config::load(&path, Path::new("/nonexistent"), None)
            .map(|_| ())
            .map_err(|e| e.to_string().replace(&path.display().to_string(), "F"))
    };
    assert_eq!(
        load("a.toml", "jobs = 2\ntag-style = \"kept\"\n"),
        Err(
            "F:2: error: tag-style = \"kept\": expected \"drop\", \"keep\" or \"comment\""
                .to_string()
        )
    );
    assert_eq!(
        load("b.toml", "tag-style = \"drop\"\nkeep-tag = true\n"),
        Err(
            "F:1: error: tag-style and keep-tag = true cannot both be set: keep tag-style"
                .to_string()
        )
    );
    assert_eq!(
        load("c.toml", "tag-style = \"keep\"\ntag-comment = false\n"),
        Ok(())
    );
}

// Guards the key table of docs/configuration.md: it names every key pin.toml accepts, and each table's keys.
#[test]
fn the_documented_keys_are_the_keys_pin_toml_accepts() {
    let page = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/configuration.md"),
    )
    .unwrap();
    let mut top = BTreeSet::new();
    let mut nested: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let rows = page
        .lines()
        .skip_while(|l| !l.starts_with("| key |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'));
    for row in rows {
        let cell = row.split('|').nth(1).unwrap();
        let mut table = None;
        for name in cell.split('`').skip(1).step_by(2) {
            match name.strip_prefix('[') {
                Some(t) => {
                    let t = t.trim_matches(['[', ']']).to_string();
                    top.insert(t.clone());
                    table = Some(t);
                }
                None => match &table {
                    Some(t) => {
                        nested
                            .entry(t.clone())
                            .or_default()
                            .insert(name.to_string());
                    }
                    None => {
                        top.insert(name.to_string());
                    }
                },
            }
        }
    }
    assert_eq!(top, accepted(""));
    assert_eq!(nested["signatures"], accepted("[signatures]"));
    assert_eq!(nested["verify"], accepted("[verify]"));
    assert_eq!(nested["update"], accepted("[update]"));
    assert_eq!(nested["actions"], accepted("[actions]"));
    assert_eq!(nested["update"], accepted("[update]"));
}
