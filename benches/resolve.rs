//! Resolution benchmark against a real local registry: 500 unique tags across 10 repositories, each named
//! twice in a tree of 50 YAML files (1,000 references). Prints the median wall time of `pin --check` at several
//! `-j` settings, the requests made by kind, and, when `skopeo` is installed, a sequential
//! `skopeo inspect` loop over the same 500 tags for comparison.
//!
//! Run with `cargo bench --bench resolve`. Not a test: it asserts only that every run succeeded.

#[path = "../tests/harness/mod.rs"]
mod harness;

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use harness::{Registry, Variant};

const REPOS: usize = 10;
const TAGS_PER_REPO: usize = 50;
const RUNS: usize = 7;

fn main() {
    let registry = Registry::start(Variant::Plain);
    let t = Instant::now();
    let pushed = registry.push_many_tags(REPOS, TAGS_PER_REPO, "bench");
    println!("pushed {} tags in {:.2?}", pushed.len(), t.elapsed());

    let dir = tempfile::tempdir().unwrap();
    write_tree(dir.path(), &registry, &pushed);

    for jobs in ["1", "4", "16", "64"] {
        let (mut times, requests) = check_runs(
            dir.path(),
            &["-j", jobs, "--insecure-registry", registry.host()],
        );
        println!(
            "pin --check -j {jobs:>2}: median {:>8.1?} (min {:.1?}, max {:.1?}, {RUNS} runs) | {requests}",
            median(&mut times),
            times.iter().min().unwrap(),
            times.iter().max().unwrap(),
        );
    }

    // The same lookups behind TLS and token auth: one token per repository, not per tag.
    let token = Registry::start(Variant::TlsToken);
    let pushed_token = token.push_many_tags(REPOS, TAGS_PER_REPO, "bench");
    let token_dir = tempfile::tempdir().unwrap();
    write_tree(token_dir.path(), &token, &pushed_token);
    let ca = token.ca_pem_path().unwrap().to_str().unwrap().to_string();
    let before = token.token_requests();
    let (mut times, requests) = check_runs(token_dir.path(), &["--ca-cert", &ca]);
    println!(
        "pin --check, TLS + token auth: median {:.1?} | {requests} | token server counted {} per run",
        median(&mut times),
        (token.token_requests() - before) / RUNS
    );

    if Command::new("skopeo").arg("--version").output().is_ok() {
        let t = Instant::now();
        for p in &pushed {
            let out = Command::new("skopeo")
                .args(["inspect", "--tls-verify=false", "--format", "{{.Digest}}"])
                .arg(format!("docker://{}/{}:{}", registry.host(), p.repo, p.tag))
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), p.digest);
        }
        println!("sequential skopeo inspect, 500 tags: {:.1?}", t.elapsed());
    } else {
        println!("skopeo not installed: no comparison (apt-get install -y skopeo)");
    }
}

/// 50 files of 20 containers; every tag appears twice, in different files.
fn write_tree(dir: &Path, registry: &Registry, pushed: &[harness::Pushed]) {
    let refs: Vec<String> = pushed
        .iter()
        .map(|p| format!("{}/{}:{}", registry.host(), p.repo, p.tag))
        .collect();
    for file in 0..50 {
        let mut text = String::from("apiVersion: v1\nkind: Pod\nspec:\n  containers:\n");
        for i in 0..20 {
            let r = &refs[(file * 10 + i) % refs.len()];
            writeln!(text, "  - name: c{i}\n    image: {r}").unwrap();
        }
        std::fs::write(dir.join(format!("pod-{file:02}.yaml")), text).unwrap();
    }
}

/// `RUNS` runs of `pin --check -v ARGS .` in `dir`: their wall times and the last run's request counts.
fn check_runs(dir: &Path, args: &[&str]) -> (Vec<Duration>, String) {
    let mut times = Vec::with_capacity(RUNS);
    let mut requests = String::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_pin"))
            .args(["--check", "-v"])
            .args(args)
            .arg(".")
            .current_dir(dir)
            .env_remove("DOCKER_CONFIG")
            .env("HOME", dir)
            .output()
            .unwrap();
        times.push(t.elapsed());
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let err = String::from_utf8_lossy(&out.stderr);
        requests = err
            .lines()
            .find(|l| l.starts_with("pin: requests:"))
            .unwrap_or_default()
            .to_string();
    }
    (times, requests)
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}
