//! Command-line conventions that need no registry: completions, the manual page, where flags may go, hints.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{pin, stderr, stdout};

#[test]
fn completions_for_each_shell_name_the_subcommands_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let o = pin(dir.path(), &["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}: {}", stderr(&o));
        let script = stdout(&o);
        for word in [
            "list",
            "resolve",
            "update",
            "unpin",
            "verify",
            "platforms",
            "keep-tag",
            "exclude",
        ] {
            assert!(script.contains(word), "{shell} completions lack {word}");
        }
    }
    let o = pin(dir.path(), &["completions", "tcsh"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn man_page_is_roff_with_a_name_section() {
    let dir = tempfile::tempdir().unwrap();
    let o = pin(dir.path(), &["man"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = stdout(&o);
    assert!(page.contains(".TH pin 1"), "{page}");
    assert!(
        page.contains(".SH NAME\npin \\- Pin container image references"),
        "{page}"
    );
    assert!(page.contains("\\-\\-keep\\-tag"), "{page}");
}

#[test]
fn output_flags_before_a_subcommand_apply_to_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), "FROM alpine:3.20\n").unwrap();
    let before = pin(dir.path(), &["--format", "json", "list", "."]);
    let after = pin(dir.path(), &["list", "--format", "json", "."]);
    assert_eq!(before.status.code(), Some(0), "{}", stderr(&before));
    assert_eq!(stdout(&before), stdout(&after));
    assert!(
        stdout(&before).contains("alpine:3.20"),
        "{}",
        stdout(&before)
    );
    let o = pin(dir.path(), &["-v", "list", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn clicolor_force_colours_a_pipe_unless_no_color_or_never() {
    let dir = tempfile::tempdir().unwrap();
    let run = |env: &[(&str, &str)], extra: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pin"));
        cmd.current_dir(dir.path())
            .env_clear()
            .args(extra)
            .arg("missing");
        for (k, v) in env {
            cmd.env(k, v);
        }
        String::from_utf8(cmd.output().unwrap().stderr).unwrap()
    };
    assert!(run(&[("CLICOLOR_FORCE", "1")], &[]).contains("\x1b[31merror\x1b[0m"));
    assert!(!run(&[], &[]).contains('\x1b'), "a pipe");
    assert!(!run(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")], &[]).contains('\x1b'));
    assert!(!run(&[("CLICOLOR_FORCE", "1")], &["--color", "never"]).contains('\x1b'));
    // The flag wins over the environment; CLICOLOR=0 (anstream reads it) switches `auto` off.
    assert!(run(&[("NO_COLOR", "1")], &["--color", "always"]).contains("\x1b[31merror\x1b[0m"));
    assert!(!run(&[("CLICOLOR", "0"), ("TERM", "xterm")], &[]).contains('\x1b'));
}

// Guards the colour of the diff on stdout: the same decision (`--color always` on a pipe colours it, with
// anstyle's codes), and without colour the bytes are the plain diff.
#[test]
fn the_diff_is_coloured_only_when_the_decision_says_so() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM nginx:1.27@sha256:{}\n", "a".repeat(64)),
    )
    .unwrap();
    let o = pin(dir.path(), &["unpin", "--color", "always", "."]);
    assert!(
        stdout(&o).starts_with("\x1b[1m--- a/Dockerfile\x1b[0m\n"),
        "{:?}",
        stdout(&o)
    );
    assert!(
        stdout(&o).contains("\x1b[32m+FROM nginx:1.27\x1b[0m\n"),
        "{:?}",
        stdout(&o)
    );
    let o = pin(dir.path(), &["unpin", "."]);
    assert!(
        stdout(&o).starts_with("--- a/Dockerfile\n"),
        "{:?}",
        stdout(&o)
    );
    assert!(!stdout(&o).contains('\x1b'));
}

/// `pin` with `stdin` as its standard input.
fn pin_stdin(cwd: &Path, args: &[&str], stdin: &str) -> Output {
    common::pin_stdin(cwd, args, &[], stdin)
}

// Guards `pin resolve -`: references from stdin one per line (blank lines and `#` comments ignored, spaces
// trimmed), in order after the arguments before the `-`; a line that is no reference is an error naming its
// stdin line, and the others are still printed (exit 2). References with a digest need no registry.
#[test]
fn resolve_reads_references_from_stdin_and_reports_each_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = |c: char| format!("sha256:{}", c.to_string().repeat(64));
    let stdin = format!(
        "# images\n\n  nginx@{}  \nNot A Reference\r\nghcr.io/org/app:v1@{}\n",
        d('a'),
        d('b')
    );
    let o = pin_stdin(
        dir.path(),
        &["resolve", &format!("busybox@{}", d('c')), "-"],
        &stdin,
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        format!(
            "busybox@{}\nnginx@{}\nghcr.io/org/app:v1@{}\n",
            d('c'),
            d('a'),
            d('b')
        )
    );
    let err = stderr(&o);
    assert!(
        err.starts_with(
            "<stdin>:4:1: error: cannot resolve Not A Reference: \"Not A Reference\" is not an image reference"
        ),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    let o = pin_stdin(dir.path(), &["resolve", "--format", "json", "-"], &stdin);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let entries = v["references"].as_array().unwrap();
    let statuses: Vec<&str> = entries
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["unchanged", "error", "unchanged"], "{v}");
    assert_eq!(entries[1]["code"], "PIN031", "{v}");
    assert_eq!(entries[1]["line"], 4, "{v}");

    let o = pin_stdin(dir.path(), &["resolve", "-", "-"], "");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("`-` (stdin) can be given only once"),
        "{}",
        stderr(&o)
    );
}

fn git(cwd: &Path, args: &[&str]) -> Output {
    Command::new("git")
        .current_dir(cwd)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", cwd)
        .output()
        .expect("git on PATH")
}

// Guards diff headers inside a git repository: relative to its root, whatever directory pin runs in and
// however the path is spelled (`../Dockerfile`), so `git apply` at the root takes the diff; outside a
// repository the headers keep the path as printed.
#[test]
fn diff_headers_are_relative_to_the_repository_root() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    let o = git(&root, &["init", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let digest = format!("sha256:{}", "a".repeat(64));
    let before = format!("FROM nginx:1.27@{digest}\n");
    std::fs::write(root.join("Dockerfile"), &before).unwrap();
    std::fs::write(root.join("sub/Dockerfile"), &before).unwrap();

    let o = pin(&root.join("sub"), &["unpin", "../Dockerfile", "Dockerfile"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let diff = stdout(&o);
    for header in [
        "--- a/Dockerfile\n+++ b/Dockerfile\n",
        "--- a/sub/Dockerfile\n+++ b/sub/Dockerfile\n",
    ] {
        assert!(diff.contains(header), "{diff}");
    }
    let patch = dir.path().join("pin.diff");
    std::fs::write(&patch, &diff).unwrap();
    let patch = patch.to_str().unwrap();
    let o = git(&root, &["apply", "--check", patch]);
    assert!(o.status.success(), "{}", stderr(&o));
    // From the subdirectory too, pointed at the root the headers are relative to.
    let o = git(&root.join("sub"), &["-C", "..", "apply", patch]);
    assert!(o.status.success(), "{}", stderr(&o));
    for file in ["Dockerfile", "sub/Dockerfile"] {
        assert_eq!(
            std::fs::read_to_string(root.join(file)).unwrap(),
            "FROM nginx:1.27\n"
        );
    }

    let outside = dir.path().join("plain/sub");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(dir.path().join("plain/Dockerfile"), &before).unwrap();
    let o = pin(&outside, &["unpin", "../Dockerfile"]);
    assert!(
        stdout(&o).starts_with("--- a/../Dockerfile\n+++ b/../Dockerfile\n"),
        "{}",
        stdout(&o)
    );
}

// Guards -q: it hides the skip lines (text on stderr, `::notice` annotations with --format github) and the
// summary, but not a skip that is a warning (an invalid reference) nor what is to change.
#[test]
fn quiet_hides_skip_lines_but_not_warnings() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("compose.yaml"),
        format!(
            "services:\n  a:\n    image: ${{REGISTRY}}/app:1\n  b:\n    image: \"nginx:1.27 # x\"\n  c:\n    image: nginx:1.27@sha256:{}\n",
            "a".repeat(64)
        ),
    )
    .unwrap();
    let skip = "compose.yaml:3:12: skipped \"${REGISTRY}/app:1\"";
    let invalid = "compose.yaml:5:13: skipped \"nginx:1.27 # x\": not a valid image reference";
    let o = pin(dir.path(), &["unpin", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains(skip) && err.contains(invalid), "{err}");
    assert!(err.contains("pin: 1 file scanned"), "{err}");
    let o = pin(dir.path(), &["unpin", "-q", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o), format!("{invalid}: invalid reference format\n"));
    assert!(
        stdout(&o).contains("+    image: nginx:1.27\n"),
        "{}",
        stdout(&o)
    );

    let o = pin(dir.path(), &["unpin", "--format", "github", "."]);
    let lines = stdout(&o);
    assert!(
        lines.contains("::notice file=compose.yaml,line=3,col=12,"),
        "{lines}"
    );
    let o = pin(dir.path(), &["unpin", "-q", "--format", "github", "."]);
    let lines = stdout(&o);
    assert!(!lines.contains("line=3,"), "{lines}");
    assert!(
        lines.contains("::warning file=compose.yaml,line=5,col=13,"),
        "{lines}"
    );
    assert!(
        lines.contains("::notice file=compose.yaml,line=7,col=12,title=PIN015"),
        "{lines}"
    );
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
}

/// Runs `kubectl kustomize DIR`: whether kustomize builds it, and what it printed on failure.
fn kubectl_kustomize(dir: &Path) -> (bool, String) {
    let out = Command::new("kubectl")
        .args(["kustomize"])
        .arg(dir)
        .env("HOME", dir)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "kubectl kustomize: {e}. This test checks pin against the real kustomize: install kubectl \
                 (Debian package kubernetes-client; `.ci/run` installs it)"
            )
        });
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn kustomize_entries_that_kustomize_refuses_are_errors_and_the_others_are_listed() {
    // The values a YAML 1.1 reader (go-yaml v2, behind kustomize) takes for numbers or booleans, and
    // look-alikes that stay strings: kustomize itself says which, pin must agree.
    let values = [
        "2.5",
        "1",
        "1.0",
        "010",
        "08",
        "0o10",
        "0x1F",
        "0b101",
        "1e3",
        "1_000",
        "+1",
        ".5",
        "true",
        "yes",
        "on",
        "y",
        "NO",
        "off",
        ".inf",
        "v1",
        "2.5.1",
        "12:30",
        "2024-01-01",
        "2024-1-2",
        "1e400",
        "0x",
        "1_a",
        "latest",
        "'2.5'",
        "\"1\"",
        "!!str 2.5",
        "!!float \"2\"",
        "null",
    ];
    let root = tempfile::tempdir().unwrap();
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: app\n";
    for (i, value) in values.iter().enumerate() {
        // A few in `name` too: kustomize reads every field of an entry as a string.
        let fields: &[&str] = if ["y", "1", "v1", "null"].contains(value) {
            &["newTag", "name"]
        } else {
            &["newTag"]
        };
        for &field in fields {
            let dir = root.path().join(format!("{field}-{i}"));
            std::fs::create_dir(&dir).unwrap();
            std::fs::write(dir.join("pod.yaml"), pod).unwrap();
            let entry = if field == "name" {
                format!("- name: {value}\n  newName: app\n  newTag: v1\n")
            } else {
                format!("- name: app\n  newTag: {value}\n")
            };
            let kustomization = format!("resources: [pod.yaml]\nimages:\n{entry}");
            std::fs::write(dir.join("kustomization.yaml"), &kustomization).unwrap();
            let (built, why) = kubectl_kustomize(&dir);
            let o = pin(&dir, &["list", "kustomization.yaml"]);
            let listed = o.status.code() == Some(0);
            assert_eq!(
                listed,
                built,
                "{kustomization}\nkustomize: {why}\npin: {}{}",
                stdout(&o),
                stderr(&o)
            );
            if !built {
                assert!(
                    why.contains("cannot unmarshal") || why.contains("unsupported value"),
                    "{why}"
                );
                assert_eq!(o.status.code(), Some(2), "{kustomization}");
                assert!(
                    stderr(&o).contains("kustomize refuses") && stderr(&o).contains("quote it"),
                    "{kustomization}{}",
                    stderr(&o)
                );
                assert!(stdout(&o).is_empty(), "never listed: {}", stdout(&o));
            }
        }
    }
}

// Guards the words a command line can hold in the place of a path: a flag written as a word (`pin check .`),
// a subcommand after a flag (`pin -v verify .`) or misspelt (`pin udpate`) is a usage error at once (exit 2),
// and nothing is walked or resolved.
#[test]
fn a_command_word_in_place_of_a_path_stops_before_anything_is_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), "FROM alpine:3.20\n").unwrap();
    for (line, said) in [
        (
            &["check", "."][..],
            "check: no such file or directory (`check` is a flag: `pin --check PATH`)",
        ),
        (
            &["--keep-tag", "verify", "."],
            "verify: no such file or directory (to run the subcommand, put it first",
        ),
        (
            &["udpate"],
            "udpate: no such file or directory (did you mean `pin update`? the subcommand goes first)",
        ),
        (
            &["update", "chekc", "."],
            "chekc: no such file or directory (did you mean `pin update --check`?)",
        ),
    ] {
        let o = pin(dir.path(), line);
        assert_eq!(o.status.code(), Some(2), "{line:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(err.starts_with(&format!("error: {said}")), "{line:?}: {err}");
        assert!(err.contains("\nUsage: pin"), "{line:?}: {err}");
        // Nothing was read: the Dockerfile's image is not mentioned, and nothing went to stdout.
        assert!(!err.contains("alpine"), "{line:?}: {err}");
        assert!(stdout(&o).is_empty(), "{line:?}: {}", stdout(&o));
    }
    // A file or directory of that name is a path like any other.
    std::fs::create_dir(dir.path().join("check")).unwrap();
    let o = pin(dir.path(), &["check"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// A copy of `examples/` (its files and the lockfile that pins them, so `--offline --lock pin.lock` needs no
/// registry) in a fresh directory, with `extra` files added.
fn examples(extra: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples"),
        dir.path(),
    );
    common::write_files(dir.path(), extra);
    dir
}

/// What a stream must hold: every `has` line fragment, none of `lacks`; `Empty` nothing at all.
enum Stream {
    Empty,
    Holds {
        has: &'static [&'static str],
        lacks: &'static [&'static str],
    },
}
use Stream::{Empty, Holds};

/// One command line, as data: run in a fresh copy of `examples/` (plus `files`) with the environment cleared;
/// the exit status and both streams as stated; `unchanged`: files that must keep their bytes.
struct Case {
    what: &'static str,
    files: &'static [(&'static str, &'static str)],
    args: &'static [&'static str],
    status: i32,
    stdout: Stream,
    stderr: Stream,
    unchanged: &'static [&'static str],
}

const BUSYBOX: &str = "sha256:fd8d9aa63ba2f0982b5304e1ee8d3b90a210bc1ffb5314d980eb6962f1a9715d";
const GOLANG: &str = "sha256:0178a641fbb4858c5f1b48e34bdaabe0350a330a1b1149aabd498d0699ff5fb2";
/// A file whose one reference `examples/pin.lock` lacks: offline, its lookup fails.
const NOT_IN_LOCK: (&str, &str) = ("extra/Dockerfile", "FROM alpine:3.20\n");

const CASES: &[Case] = &[
    // Item 2: flags before or after the subcommand; command words in place of paths; -v counts.
    Case {
        what: "registry and lockfile flags before `resolve` apply to it",
        files: &[],
        args: &["--timeout", "2", "--lock", "pin.lock", "--offline", "-j4", "resolve", "busybox:1.38.0"],
        status: 0,
        stdout: Holds { has: &["busybox@sha256:fd8d9aa63ba2f0982b5304e1ee8d3b90a210bc1ffb5314d980eb6962f1a9715d\n"], lacks: &[] },
        stderr: Empty,
        unchanged: &[],
    },
    Case {
        what: "the same flags after `resolve`",
        files: &[],
        args: &["resolve", "--keep-tag", "--timeout", "2", "--lock", "pin.lock", "--offline", "busybox:1.38.0"],
        status: 0,
        stdout: Holds { has: &["busybox:1.38.0@sha256:fd8d9aa6"], lacks: &[] },
        stderr: Empty,
        unchanged: &[],
    },
    Case {
        what: "a misspelt subcommand stops at once: nothing is walked or written",
        files: &[],
        args: &["udpate", "-w", "k8s"],
        status: 2,
        stdout: Empty,
        stderr: Holds { has: &["error: udpate: no such file or directory (did you mean `pin update`? the subcommand goes first)"], lacks: &["golang", "pinned"] },
        unchanged: &["k8s/ingress.yaml"],
    },
    Case {
        what: "`check` written as a word is the flag",
        files: &[],
        args: &["check", "."],
        status: 2,
        stdout: Empty,
        stderr: Holds { has: &["error: check: no such file or directory (`check` is a flag: `pin --check PATH`)"], lacks: &["golang"] },
        unchanged: &[],
    },
    Case {
        what: "another flag written as a word",
        files: &[],
        args: &["--lock", "pin.lock", "offline", "."],
        status: 2,
        stdout: Empty,
        stderr: Holds { has: &["error: offline: no such file or directory (`offline` is a flag: `pin --offline`)"], lacks: &["golang"] },
        unchanged: &["pin.lock"],
    },
    Case {
        what: "-vv names each lookup's answer and where it came from",
        files: &[],
        args: &["-vv", "--offline", "--lock", "pin.lock", "Dockerfile"],
        status: 0,
        stdout: Holds { has: &["+from busybox@sha256:fd8d"], lacks: &[] },
        stderr: Holds {
            has: &[
                "pin: lookup docker.io/library/busybox:1.38.0: sha256:fd8d9aa63ba2f0982b5304e1ee8d3b90a210bc1ffb5314d980eb6962f1a9715d (from pin.lock)\n",
                "pin: lookup docker.io/library/golang:1.26.5-alpine: sha256:0178a641",
            ],
            lacks: &[],
        },
        unchanged: &[],
    },
    Case {
        what: "-v alone does not",
        files: &[],
        args: &["-v", "--offline", "--lock", "pin.lock", "Dockerfile"],
        status: 0,
        stdout: Holds { has: &["+from busybox@"], lacks: &[] },
        stderr: Holds { has: &[], lacks: &["pin: lookup"] },
        unchanged: &[],
    },
    // Item 3: streams.
    Case {
        what: "--check: the findings on stdout, the summary on stderr",
        files: &[],
        args: &["--check", "--offline", "--lock", "pin.lock", "Dockerfile"],
        status: 1,
        stdout: Holds {
            has: &[
                "Dockerfile:1:6: PIN001 golang:1.26.5-alpine: no digest; its tag points at sha256:0178a641",
                "Dockerfile:10:6: PIN001 busybox:1.38.0: no digest; its tag points at sha256:fd8d9aa6",
            ],
            lacks: &["pin: "],
        },
        stderr: Holds { has: &["pin: 1 file scanned, 2 references found: 2 to pin, 0 already pinned, 0 skipped\n"], lacks: &["PIN001", "run `pin -w`"] },
        unchanged: &["Dockerfile"],
    },
    Case {
        what: "--format json: nothing on stderr when nothing failed (no skips, no summary)",
        files: &[],
        args: &["--format", "json", "--offline", "--lock", "pin.lock", "."],
        status: 0,
        stdout: Holds { has: &["\"version\": 1", "\"skipped\": 2"], lacks: &[] },
        stderr: Empty,
        unchanged: &[],
    },
    Case {
        what: "--format json: only the errors on stderr",
        files: &[NOT_IN_LOCK],
        args: &["--format", "json", "--offline", "--lock", "pin.lock", "."],
        status: 2,
        stdout: Holds { has: &["\"code\": \"PIN010\""], lacks: &[] },
        stderr: Holds {
            has: &["extra/Dockerfile:1:6: error: cannot pin alpine:3.20: docker.io/library/alpine:3.20 is not in pin.lock", "pin: nothing written: 1 error\n"],
            lacks: &["skipped", "files scanned"],
        },
        unchanged: &[],
    },
    Case {
        what: "a refused write never says pinned, and says an error in the singular",
        files: &[NOT_IN_LOCK],
        args: &["-w", "--offline", "--lock", "pin.lock", "Dockerfile", "extra"],
        status: 2,
        stdout: Empty,
        stderr: Holds {
            has: &[
                "pin: nothing written: 1 error\n",
                "pin: 2 files scanned, 3 references found: 2 would be pinned, 0 already pinned, 0 skipped, 1 error; nothing written\n",
            ],
            lacks: &["1 errors", "found: 2 pinned", "run `pin -w`"],
        },
        unchanged: &["Dockerfile", "extra/Dockerfile", "pin.lock"],
    },
    Case {
        what: "a dry run with something to write says how",
        files: &[],
        args: &["--offline", "--lock", "pin.lock", "Dockerfile"],
        status: 0,
        stdout: Holds { has: &["+FROM golang@sha256:0178a641"], lacks: &[] },
        stderr: Holds { has: &["2 to pin, 0 already pinned, 0 skipped; run `pin -w` to write\n"], lacks: &[] },
        unchanged: &["Dockerfile"],
    },
    Case {
        what: "a dry run with nothing to write does not",
        files: &[("done/Dockerfile", "FROM busybox@sha256:fd8d9aa63ba2f0982b5304e1ee8d3b90a210bc1ffb5314d980eb6962f1a9715d\n")],
        args: &["--offline", "--lock", "pin.lock", "done"],
        status: 0,
        stdout: Empty,
        stderr: Holds { has: &["0 to pin, 1 already pinned"], lacks: &["run `pin"] },
        unchanged: &[],
    },
    Case {
        what: "`pin unpin` names its own -w",
        files: &[("done/Dockerfile", "FROM busybox:1.38.0@sha256:fd8d9aa63ba2f0982b5304e1ee8d3b90a210bc1ffb5314d980eb6962f1a9715d\n")],
        args: &["unpin", "done"],
        status: 0,
        stdout: Holds { has: &["+FROM busybox:1.38.0\n"], lacks: &[] },
        stderr: Holds { has: &["1 to unpin, 0 already pinned, 0 skipped; run `pin unpin -w` to write\n"], lacks: &[] },
        unchanged: &["done/Dockerfile"],
    },
    Case {
        what: "a dry run with a failed lookup shows the diff of the files that resolved, and the error (exit 2)",
        files: &[NOT_IN_LOCK],
        args: &["--offline", "--lock", "pin.lock", "Dockerfile", "extra"],
        status: 2,
        stdout: Holds { has: &["--- a/Dockerfile\n", "+FROM golang@sha256:0178a641"], lacks: &["extra/Dockerfile", "alpine:3.20"] },
        stderr: Holds {
            has: &[
                "extra/Dockerfile:1:6: error: cannot pin alpine:3.20",
                "pin: nothing written: 1 error; the diff shows only the files whose references all resolved\n",
                "2 to pin, 0 already pinned, 0 skipped, 1 error\n",
            ],
            lacks: &["run `pin -w`"],
        },
        unchanged: &["Dockerfile", "extra/Dockerfile", "pin.lock"],
    },
    // Item 5: manual pages and completions.
    Case {
        what: "one manual page per subcommand, with the sections a page has",
        files: &[],
        args: &["man", "update"],
        status: 0,
        stdout: Holds {
            has: &[".TH pin-update 1", ".SH \"EXIT STATUS\"", ".SH ENVIRONMENT", ".SH FILES", "XDG_CONFIG_HOME", ".SH \"SEE ALSO\"\npin(1)"],
            lacks: &[],
        },
        stderr: Empty,
        unchanged: &[],
    },
    Case {
        what: "elvish completions",
        files: &[],
        args: &["completions", "elvish"],
        status: 0,
        stdout: Holds { has: &["edit:completion:arg-completer[pin]", "--keep-tag"], lacks: &[] },
        stderr: Empty,
        unchanged: &[],
    },
];

fn check_stream(case: &Case, name: &str, stream: &Stream, text: &str) {
    match stream {
        Empty => assert!(
            text.is_empty(),
            "{}: {name} should be empty:\n{text}",
            case.what
        ),
        Holds { has, lacks } => {
            for want in *has {
                assert!(
                    text.contains(want),
                    "{}: {name} lacks {want:?}:\n{text}",
                    case.what
                );
            }
            for unwanted in *lacks {
                assert!(
                    !text.contains(unwanted),
                    "{}: {name} holds {unwanted:?}:\n{text}",
                    case.what
                );
            }
        }
    }
}

// Guards the command-line traps of a first use (issue 27), one case per row of CASES: flags before the
// subcommand, command words as paths, -vv, the streams of --check, --format json, refused writes and dry
// runs, the manual pages and elvish.
#[test]
fn command_lines_as_a_new_user_writes_them() {
    assert_eq!(GOLANG.len(), BUSYBOX.len());
    for case in CASES {
        let dir = examples(case.files);
        let before: Vec<Vec<u8>> = case
            .unchanged
            .iter()
            .map(|f| std::fs::read(dir.path().join(f)).unwrap())
            .collect();
        let o = pin(dir.path(), case.args);
        let (out, err) = (stdout(&o), stderr(&o));
        assert_eq!(
            o.status.code(),
            Some(case.status),
            "{}: {:?}\n{out}{err}",
            case.what,
            case.args
        );
        check_stream(case, "stdout", &case.stdout, &out);
        check_stream(case, "stderr", &case.stderr, &err);
        for (file, bytes) in case.unchanged.iter().zip(before) {
            assert_eq!(
                std::fs::read(dir.path().join(file)).unwrap(),
                bytes,
                "{}: {file} changed",
                case.what
            );
        }
    }
}

// Guards `pin man --dir`: every page written, the folder created, and every page a page refers to exists.
#[test]
fn man_dir_writes_every_page_it_refers_to() {
    let dir = tempfile::tempdir().unwrap();
    let o = pin(dir.path(), &["man", "--dir", "share/man/man1"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).is_empty() && stderr(&o).is_empty());
    let man1 = dir.path().join("share/man/man1");
    let pages: Vec<String> = std::fs::read_dir(&man1)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(pages.len() >= 10, "{pages:?}");
    for page in &pages {
        let text = std::fs::read_to_string(man1.join(page)).unwrap();
        for section in [
            ".SH \"EXIT STATUS\"",
            ".SH ENVIRONMENT",
            ".SH FILES",
            ".SH SYNOPSIS",
        ] {
            assert!(text.contains(section), "{page} lacks {section}");
        }
        // Every `name(1)` it names (roff writes `-` as `\-`) is one of the pages written.
        let unescaped = text.replace("\\-", "-");
        for word in unescaped
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '(' || c == ')'))
        {
            if let Some(name) = word.strip_suffix("(1)").filter(|n| n.starts_with("pin")) {
                assert!(
                    pages.contains(&format!("{name}.1")),
                    "{page} refers to {word}, not written"
                );
            }
        }
    }
    // `pin man` alone is still pin(1).
    let o = pin(dir.path(), &["man"]);
    assert!(stdout(&o).contains(".TH pin 1"));
}

// Guards a closed pipe: `pin completions elvish | head -1` and `pin man | head -1` end quietly (exit 0, no panic).
#[test]
fn output_commands_end_quietly_when_the_reader_goes() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["completions", "elvish"][..],
        &["completions", "zsh"],
        &["man"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pin"))
            .current_dir(dir.path())
            .args(args)
            .env_clear()
            .env("HOME", dir.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes before a byte is read: every write fails with EPIPE.
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).is_empty(), "{args:?}: {}", stderr(&o));
    }
}
