//! What a repository someone else controls can put in front of `pin`: files in encodings its tools read,
//! file names that are not UTF-8 or hold control characters, values and configuration keys that would drive
//! a terminal or forge a CI log line, skip patterns that would take the machine's memory, and untagged
//! references through `--tag-comment` and `unpin`. No registry: digests come from a lockfile (`--offline`).

mod common;

use std::ffi::OsStr;
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use common::{pin, text};

const DIGEST: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const LATEST: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

/// A lockfile that resolves `nginx:1.27`, and `alpine` and `docker/dockerfile` (untagged: `latest`).
fn lockfile(dir: &Path) {
    let lock = format!(
        r#"{{"version": 1, "images": {{
            "docker.io/library/nginx:1.27": {{"digest": "{DIGEST}"}},
            "docker.io/library/alpine:latest": {{"digest": "{LATEST}"}},
            "docker.io/docker/dockerfile:latest": {{"digest": "{LATEST}"}}
        }}}}"#
    );
    fs::write(dir.join("pin.lock"), lock).unwrap();
}

/// `text` in `encoding` (iconv's name: `UTF-16LE`, `UTF-16BE`), by iconv (glibc), byte order mark first.
fn iconv(text: &str, encoding: &str) -> Vec<u8> {
    let mut child = Command::new("iconv")
        .args(["-f", "UTF-8", "-t", encoding])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("iconv (glibc's, Debian package libc-bin) is needed by this test");
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "iconv -t {encoding}");
    let mut bytes = match encoding {
        "UTF-16BE" => vec![0xFE, 0xFF],
        _ => vec![0xFF, 0xFE],
    };
    bytes.extend(out.stdout);
    bytes
}

/// The value PyYAML (libyaml when it has it) reads at `spec.containers[0].image` of a UTF-16 file: an
/// independent reader of what `pin` wrote.
fn pyyaml_image(path: &Path) -> String {
    let python = std::env::var("PIN_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let script = "import sys, yaml\n\
                  with open(sys.argv[1], 'rb') as f:\n    d = yaml.safe_load(f)\n\
                  print(d['spec']['containers'][0]['image'])\n";
    let out = Command::new(&python)
        .args(["-c", script])
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("{python} with PyYAML is needed by this test: {e}"));
    assert!(out.status.success(), "PyYAML: {}", text(&out.stderr));
    text(&out.stdout).trim().to_string()
}

// Guards issue 18 item 3: a manifest saved as UTF-16 with a byte order mark (PowerShell 5's `>`, editors on
// Windows) is read as kubectl and YAML's readers read it, not passed over: `--check` finds its reference,
// and `-w` writes it back in UTF-16, only the reference's bytes changed. A dry run shows no diff of it (a
// text patch does not apply to UTF-16 bytes) and says so.
#[test]
fn a_utf16_manifest_is_read_and_written_in_utf16() {
    let manifest = "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: web # café ☃\n    image: nginx:1.27\r\n";
    // YAML's default style: the tag in a comment after the value.
    let pinned = manifest.replace("nginx:1.27", &format!("nginx@{DIGEST} # nginx:1.27"));
    for encoding in ["UTF-16LE", "UTF-16BE"] {
        let dir = tempfile::tempdir().unwrap();
        lockfile(dir.path());
        let file = dir.path().join("pod.yaml");
        fs::write(&file, iconv(manifest, encoding)).unwrap();

        let out = pin(
            dir.path(),
            &["--check", "--offline", "--lock", "pin.lock", "."],
        );
        let (err, found) = (text(&out.stderr), text(&out.stdout));
        assert_eq!(out.status.code(), Some(1), "{encoding}: {err}");
        // The findings of a check are on stdout.
        assert!(
            found.contains("pod.yaml:6:12: PIN001 nginx:1.27: no digest"),
            "{found}"
        );

        let out = pin(dir.path(), &["--offline", "--lock", "pin.lock", "."]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{err}");
        assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
        assert!(
            err.contains(&format!(
                "pin: pod.yaml is {encoding} text: its diff is not shown (a text patch does not apply to \
                 UTF-16 bytes); `pin -w` writes the change in {encoding}"
            )),
            "{err}"
        );

        let out = pin(dir.path(), &["-w", "--offline", "--lock", "pin.lock", "."]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_eq!(
            fs::read(&file).unwrap(),
            iconv(&pinned, encoding),
            "{encoding}"
        );
        assert_eq!(pyyaml_image(&file), format!("nginx@{DIGEST}"));
    }
}

// Guards issue 18 item 3: where the format's tools read UTF-8 only (docker's Dockerfile parser, HCL,
// systemd units), a UTF-16 file is an error that says why, not a file silently passed over; and UTF-32 and
// broken UTF-16 are errors too.
#[test]
fn utf16_where_its_tools_read_only_utf8_is_an_error_that_says_why() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("Dockerfile"),
        iconv("FROM alpine:3.20\n", "UTF-16LE"),
    )
    .unwrap();
    fs::write(
        dir.path().join("main.tf"),
        iconv(
            "resource \"docker_image\" \"a\" {\n  name = \"alpine:3.20\"\n}\n",
            "UTF-16BE",
        ),
    )
    .unwrap();
    let mut utf32 = vec![0xFF, 0xFE, 0, 0];
    for c in "image: a:1\n".chars() {
        utf32.extend((c as u32).to_le_bytes());
    }
    fs::write(dir.path().join("u32.yaml"), utf32).unwrap();
    let mut lone = iconv("image: a:1\n", "UTF-16LE");
    lone.extend([0x00, 0xD8, b'x', 0]);
    fs::write(dir.path().join("lone.yaml"), lone).unwrap();
    let out = pin(dir.path(), &["--check", "."]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    for line in [
        "Dockerfile: error: UTF-16LE text (it starts with a byte order mark), but Dockerfile files are read as \
         UTF-8 only by their tools, so pin does not read it either; save it as UTF-8",
        "main.tf: error: UTF-16BE text (it starts with a byte order mark), but Terraform / OpenTofu files are \
         read as UTF-8 only by their tools",
        "u32.yaml: error: UTF-32 text (it starts with a byte order mark), which no tool of its kind reads; save \
         it as UTF-8",
        "lone.yaml:2:1: error: not valid UTF-16 text (an unpaired surrogate, or an odd number of bytes)",
    ] {
        assert!(err.contains(line), "{line}\n{err}");
    }
}

/// `name` as a path (its bytes need not be UTF-8).
#[cfg(unix)]
fn named(dir: &Path, name: &[u8]) -> std::path::PathBuf {
    dir.join(<OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(name))
}

// Guards issue 18 item 3: a file whose name is not UTF-8 (Latin-1 `café.yaml`) is read like any other, and
// its name printed with the stray byte escaped: never dropped by the walk.
#[cfg(unix)]
#[test]
fn a_file_name_that_is_not_utf8_is_read_and_printed_escaped() {
    let dir = tempfile::tempdir().unwrap();
    lockfile(dir.path());
    let file = named(dir.path(), b"caf\xe9.yaml");
    fs::write(&file, "image: nginx:1.27\n").unwrap();
    let out = pin(
        dir.path(),
        &["--check", "--offline", "--lock", "pin.lock", "."],
    );
    let (err, found) = (text(&out.stderr), text(&out.stdout));
    assert_eq!(out.status.code(), Some(1), "{err}");
    // The findings of a check are on stdout.
    assert!(
        found.contains("caf\\xe9.yaml:1:8: PIN001 nginx:1.27"),
        "{found}"
    );
    let out = pin(dir.path(), &["list", "."]);
    assert_eq!(
        text(&out.stdout),
        "caf\\xe9.yaml:1:8\tnginx:1.27\tunpinned\n"
    );
    let out = pin(dir.path(), &["-w", "--offline", "--lock", "pin.lock", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        fs::read_to_string(&file).unwrap(),
        format!("image: nginx@{DIGEST} # nginx:1.27\n")
    );
}

/// Whether `bytes` hold a control character other than the line feed (and the tab, where `tab`): a C0
/// byte, DEL, or a C1 character (U+0080–U+009F, `C2 80`–`C2 9F` in UTF-8).
fn has_control(bytes: &[u8], tab: bool) -> bool {
    bytes
        .iter()
        .any(|&b| (b < 0x20 && b != b'\n' && !(tab && b == b'\t')) || b == 0x7f)
        || bytes
            .windows(2)
            .any(|w| w[0] == 0xC2 && (0x80..=0x9F).contains(&w[1]))
}

// Guards issue 18 item 4: control characters in file names, YAML values and pin.toml keys reach neither
// stdout nor stderr raw in the text format: a pull request cannot start a CI log line of its own
// (`::error::`) nor drive the terminal. Checked on the raw bytes of both streams, for every mode that
// prints them: a dry run (whose diff body stays the file's own bytes), --check, list, and a bad pin.toml.
#[cfg(unix)]
#[test]
fn control_characters_from_a_repository_are_printed_escaped() {
    let dir = tempfile::tempdir().unwrap();
    lockfile(dir.path());
    let evil = b"evil\n::error::boom\x1b]0;owned\x07\xc2\x9b2J.yaml";
    fs::write(named(dir.path(), evil), "image: nginx:1.27\n").unwrap();
    // Values that are no references: listed and skipped with what they hold.
    fs::write(
        dir.path().join("values.yaml"),
        "a:\n  image: \"bad\\e[2J\\a\\r::error::x\"\nb:\n  image: \"c1\\x9b31m\"\nc: {image: \"tab\\there\"}\n",
    )
    .unwrap();
    let runs: [&[&str]; 4] = [
        &["--offline", "--lock", "pin.lock", "."],
        &["--check", "--offline", "--lock", "pin.lock", "."],
        &["list", "."],
        &["list", "-v", "."],
    ];
    for args in runs {
        let out = pin(dir.path(), args);
        assert!(
            !has_control(&out.stderr, false),
            "{args:?}: {:?}",
            text(&out.stderr)
        );
        let listing = args[0] == "list";
        assert!(
            !has_control(&out.stdout, listing),
            "{args:?}: {:?}",
            text(&out.stdout)
        );
        let all = text(&out.stdout) + &text(&out.stderr);
        assert!(!all.contains("\n::error::"), "{args:?}: {all:?}");
    }
    let out = pin(dir.path(), &["list", "."]);
    let listing = text(&out.stdout);
    assert!(
        listing.contains(
            "evil\\x0a::error::boom\\x1b]0;owned\\x07\\u{9b}2J.yaml:1:8\tnginx:1.27\tunpinned\n"
        ),
        "{listing}"
    );
    assert!(
        listing.contains("values.yaml:2:11\tbad\\x1b[2J\\x07\\x0d::error::x\tskipped: "),
        "{listing}"
    );
    assert!(
        listing.contains("values.yaml:5:13\ttab\\x09here\tskipped: "),
        "{listing}"
    );

    // A key of a repository's pin.toml: the error names it escaped.
    fs::write(
        dir.path().join("pin.toml"),
        "\"bad\\u001b[31mkey\\u0007\" = 1\n",
    )
    .unwrap();
    let out = pin(dir.path(), &["list", "."]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(!has_control(&out.stderr, false), "{err:?}");
    assert!(
        err.contains("unknown field `bad\\x1b[31mkey\\x07`"),
        "{err}"
    );
}

// Guards issue 18 item 4: the dry run's diff names a file whose name holds control characters, quotes or
// bytes that are not UTF-8 as git does (`--- "a/evil\n…\033…"`), so the header cannot be split or drive a
// terminal, and `git apply` still takes the diff: applying it gives the files `pin -w` writes.
#[cfg(unix)]
#[test]
fn diff_headers_quote_file_names_as_git_does_and_git_apply_takes_them() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .current_dir(root)
            .args(args)
            .output()
            .expect("git is needed by this test");
        assert!(out.status.success(), "git {args:?}: {}", text(&out.stderr));
        out
    };
    git(&["init", "-q", "."]);
    lockfile(root);
    let names: [&[u8]; 4] = [
        b"evil\n::error::boom\x1b[31m.yaml",
        b"caf\xe9.yaml",
        b"q\"b\\.yaml",
        b"plain \xc3\xa9.yaml",
    ];
    for name in names {
        fs::write(named(root, name), "a: 1\nimage: nginx:1.27\n").unwrap();
    }
    git(&["add", "-A"]);
    git(&[
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t",
        "commit",
        "-qm",
        "files",
    ]);

    let out = pin(root, &["--offline", "--lock", "pin.lock", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let diff = text(&out.stdout);
    for header in [
        "--- \"a/evil\\n::error::boom\\033[31m.yaml\"\n+++ \"b/evil\\n::error::boom\\033[31m.yaml\"\n",
        "--- \"a/caf\\351.yaml\"\n+++ \"b/caf\\351.yaml\"\n",
        "--- \"a/q\\\"b\\\\.yaml\"\n+++ \"b/q\\\"b\\\\.yaml\"\n",
        "--- a/plain é.yaml\n+++ b/plain é.yaml\n",
    ] {
        assert!(diff.contains(header), "{header}\n{diff}");
    }
    assert!(!has_control(&out.stdout, false), "{diff:?}");
    fs::write(root.join("pin.diff"), &out.stdout).unwrap();
    git(&["apply", "pin.diff"]);
    let applied: Vec<Vec<u8>> = names
        .iter()
        .map(|n| fs::read(named(root, n)).unwrap())
        .collect();
    git(&["checkout", "-q", "--", "."]);
    let out = pin(root, &["-w", "--offline", "--lock", "pin.lock", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for (name, applied) in names.iter().zip(applied) {
        let written = fs::read(named(root, name)).unwrap();
        assert_eq!(written, applied, "{}", text(name));
        assert_eq!(
            text(&written),
            format!("a: 1\nimage: nginx@{DIGEST} # nginx:1.27\n"),
            "{}",
            text(name)
        );
    }
}

/// `pin list --skip PATTERN .` in `dir`, with at most `limit_kb` of address space (`ulimit -v`).
fn list_skipping(dir: &Path, pattern: &str, limit_kb: u64) -> Output {
    Command::new("sh")
        .current_dir(dir)
        .args([
            "-c",
            &format!("ulimit -v {limit_kb} && exec \"$0\" list --skip \"$1\" ."),
            env!("CARGO_BIN_EXE_pin"),
            pattern,
        ])
        .env_clear()
        .env("HOME", dir)
        .output()
        .unwrap()
}

// Guards issue 18 item 6: a skip pattern (a repository's pin.toml `skip`, or `--skip`) with thousands of
// capture groups runs within a bound on the memory its matcher takes (it took 3.4 GB at 6,000 groups), and
// one that compiles beyond the bound is refused with a clear error, not an abort.
#[test]
fn skip_patterns_with_many_groups_are_bounded_or_refused() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("Dockerfile"), "FROM alpine:3.20\n").unwrap();
    let out = list_skipping(dir.path(), &"(a)".repeat(6000), 1 << 20);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Dockerfile:1:6\talpine:3.20\tunpinned\n");

    let huge = "(a)".repeat(20_000);
    fs::write(dir.path().join("pin.toml"), format!("skip = ['{huge}']\n")).unwrap();
    let out = pin(dir.path(), &["list", "."]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "--skip \"{}\"… (60000 bytes): the pattern compiles to more than 1024 KiB, pin's limit for a skip \
             pattern; simplify it",
            &huge[..100]
        )),
        "{err}"
    );
    assert!(err.len() < 1000, "the pattern is not printed whole: {err}");
}

// Guards issue 18 item 9: `--tag-comment` then `unpin` gives back the bytes of untagged references wherever
// the format can hold a comment: HCL (a `#` after the string), Cloud Build YAML, dev container JSONC (`//`);
// where it cannot (a JSON file, the `# syntax=` directive) `unpin` names each reference it restores as
// `name:latest`, which may have had no tag.
#[test]
fn tag_comments_then_unpin_restore_untagged_references() {
    let dir = tempfile::tempdir().unwrap();
    lockfile(dir.path());
    let files = [
        (
            "main.tf",
            "resource \"kubernetes_pod\" \"web\" {\n  spec {\n    container {\n      image = \"alpine\"\n      name  = \"web\"\n    }\n  }\n}\n",
        ),
        (
            "jobs/web.nomad",
            "job \"web\" {\n  group \"g\" {\n    task \"t\" {\n      driver = \"docker\"\n      config { image = \"alpine\" }\n    }\n  }\n}\n",
        ),
        (
            "docker-bake.hcl",
            "target \"app\" {\n  contexts = {\n    base = \"docker-image://alpine\" // the base\n  }\n}\n",
        ),
        ("cloudbuild.yaml", "steps:\n- name: alpine\n  args: [echo]\n"),
        (
            ".devcontainer.json",
            "{\n  // the image\n  \"image\": \"alpine\",\n  \"features\": {}\n}\n",
        ),
        (
            "cloudbuild.json",
            "{\"steps\": [{\"name\": \"alpine\", \"args\": [\"echo\"]}]}\n",
        ),
        (
            "pod.json",
            "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"spec\": {\"containers\": [{\"name\": \"a\", \"image\": \"alpine\"}]}}\n",
        ),
        ("Dockerfile", "# syntax=docker/dockerfile\nFROM alpine\n"),
    ];
    for (name, body) in files {
        let p = dir.path().join(name);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, body).unwrap();
    }
    let out = pin(
        dir.path(),
        &[
            "-w",
            "--tag-comment",
            "--offline",
            "--lock",
            "pin.lock",
            ".",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let read = |name: &str| fs::read_to_string(dir.path().join(name)).unwrap();
    assert!(
        read("main.tf").contains(&format!("      image = \"alpine@{LATEST}\" # alpine\n")),
        "{}",
        read("main.tf")
    );
    assert!(
        read("jobs/web.nomad").contains(&format!(
            "      # pin: alpine\n      config {{ image = \"alpine@{LATEST}\" }}\n"
        )),
        "{}",
        read("jobs/web.nomad")
    );
    assert!(
        read("docker-bake.hcl").contains(&format!(
            "    base = \"docker-image://alpine@{LATEST}\" # alpine // the base\n"
        )),
        "{}",
        read("docker-bake.hcl")
    );
    assert!(
        read(".devcontainer.json").contains(&format!(
            "  // pin: alpine\n  \"image\": \"alpine@{LATEST}\",\n"
        )),
        "{}",
        read(".devcontainer.json")
    );
    assert!(read("pod.json").contains(&format!("\"alpine:latest@{LATEST}\"")));

    let out = pin(dir.path(), &["unpin", "-w", "."]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    for (name, body) in &files[..5] {
        assert_eq!(&read(name), body, "{name}");
    }
    assert_eq!(
        read("cloudbuild.json"),
        files[5].1.replace("alpine", "alpine:latest")
    );
    assert_eq!(
        read("pod.json"),
        files[6].1.replace("alpine", "alpine:latest")
    );
    assert_eq!(
        read("Dockerfile"),
        "# syntax=docker/dockerfile:latest\nFROM alpine\n"
    );
    let note = |at: &str, reference: &str| {
        format!(
            "{at}: note: restored as {reference}; if it was written without a tag before `pin --tag-comment`, \
             that could not be recorded here (no comment can go at this place), and the tag `latest` stays\n"
        )
    };
    for line in [
        note("cloudbuild.json:1:22", "alpine:latest"),
        note("pod.json:1:85", "alpine:latest"),
        note("Dockerfile:1:10", "docker/dockerfile:latest"),
    ] {
        assert!(err.contains(&line), "{line}\n{err}");
    }
    assert_eq!(err.matches("note: restored as").count(), 3, "{err}");
}
