//! What a repository someone else controls can put in front of `pin`: skip patterns that would take the
//! machine's memory. No registry.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn pin(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pin"))
        .current_dir(cwd)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", cwd)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
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
