//! Actions benchmark against a real git server (`git http-backend`, started by the test harness) that adds
//! 50 ms to every answer (a distant server's round trip): 40 repositories with 3 refs each (a lightweight
//! tag, an annotated tag, a branch), every ref named in each of 20 workflows (2,400 `uses:`, 120 unique).
//! Prints the median wall time of `pin --check` at its default `-j` and at `-j 1`, the requests the server
//! counted, and a sequential `git ls-remote` of the same 40 repositories (git's own client, asking for the
//! same refs) for comparison.
//!
//! Run with `cargo bench --bench actions`. Not a test: it asserts only that every run succeeded.

#[path = "../tests/harness/mod.rs"]
mod harness;

use std::process::Command;
use std::time::{Duration, Instant};

use harness::git::{GitOptions, GitServer};

const REPOS: usize = 40;
const WORKFLOWS: usize = 20;
const RUNS: usize = 7;
const REFS: [&str; 3] = ["v1", "v1.2.3", "releases/v1"];

fn main() {
    let git = GitServer::start(GitOptions {
        latency: Duration::from_millis(50),
        ..GitOptions::default()
    });
    let t = Instant::now();
    for r in 0..REPOS {
        let repo = git.repo(&format!("octo/r{r:02}"));
        repo.commit("one");
        repo.tag(REFS[0]);
        repo.annotated_tag(REFS[1], "release");
        repo.branch(REFS[2]);
        repo.commit("two");
        repo.push();
    }
    println!("{REPOS} repositories in {:.2?}", t.elapsed());

    let dir = tempfile::tempdir().unwrap();
    let wf = dir.path().join(".github/workflows");
    std::fs::create_dir_all(&wf).unwrap();
    for w in 0..WORKFLOWS {
        let mut src =
            String::from("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n");
        for r in 0..REPOS {
            for git_ref in REFS {
                src.push_str(&format!("      - uses: octo/r{r:02}@{git_ref}\n"));
            }
        }
        std::fs::write(wf.join(format!("w{w:02}.yml")), src).unwrap();
    }

    let url = git.url();
    let host = git.host();
    for jobs in [None, Some("1")] {
        let before = git.requests().len();
        let median = median_of(|| {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_pin"));
            cmd.current_dir(dir.path())
                .args(["--check", "--no-config", "--actions-server", &url])
                .args(["--insecure-registry", &host]);
            if let Some(j) = jobs {
                cmd.args(["-j", j]);
            }
            let out = cmd.arg(".").output().unwrap();
            assert_eq!(
                out.status.code(),
                Some(1),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        });
        let requests = (git.requests().len() - before) / RUNS;
        println!(
            "pin --check{}: median {median:.2?} ({requests} requests a run)",
            jobs.map(|j| format!(" -j {j}")).unwrap_or_default()
        );
    }

    let home = tempfile::tempdir().unwrap();
    let before = git.requests().len();
    let median = median_of(|| {
        for r in 0..REPOS {
            let mut cmd = Command::new("git");
            cmd.env_clear()
                .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                .env("HOME", home.path())
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .args(["ls-remote", &format!("{url}/octo/r{r:02}.git")]);
            for git_ref in REFS {
                cmd.arg(format!("refs/tags/{git_ref}"))
                    .arg(format!("refs/heads/{git_ref}"));
            }
            let out = cmd.output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    });
    let requests = (git.requests().len() - before) / RUNS;
    println!(
        "git ls-remote, each repository in turn: median {median:.2?} ({requests} requests a run)"
    );
}

/// Runs `f` RUNS times; the median wall time.
fn median_of(mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[RUNS / 2]
}
