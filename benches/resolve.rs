//! Resolution benchmark against a real local registry: 500 unique tags across 10 repositories, each named
//! twice in a tree of 50 YAML files (1,000 references). Prints the median wall time of `pin --check` at several
//! `-j` settings, the requests made by kind, and, when `skopeo` is installed, a sequential
//! `skopeo inspect` loop over the same 500 tags for comparison.
//!
//! First, the same 500 tags behind a server adding 50 ms to every answer (a real registry's round trip):
//! `pin --check` at its default flags beside `curl --parallel --parallel-max 64` making the same 500 requests,
//! with the requests the server counted.
//!
//! Then `pin update --check` over the same tree pinned, after every tag moved: without a waiting period, and
//! with `--min-age 3d` (every move held; 500 first-seen records read and written each run, in the cache
//! directory and in a `--lock` file), for what the records cost beside the lookups.
//!
//! Run with `cargo bench --bench resolve`. Not a test: it asserts only that every run succeeded.

#[path = "../tests/harness/mod.rs"]
mod harness;

// Shared with the fault tests. It brings the harness's certificate module
// (`pki.rs`) a second time, which is harmless: two copies of the same helpers.
#[allow(clippy::duplicate_mod)]
#[path = "../tests/fake_registry/mod.rs"]
mod fake_registry;

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use harness::{Registry, Variant};

const REPOS: usize = 10;
const TAGS_PER_REPO: usize = 50;
const RUNS: usize = 7;

fn main() {
    latency();
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

    update_with_min_age(&registry, &pushed);

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

/// `pin update` over the tree pinned to `pushed`, after every tag moved: the median wall time of `RUNS` runs
/// without a waiting period, with `--min-age 3d` (records in the cache directory) and with `--min-age 3d
/// --lock` (records in the lockfile), and their ratios.
fn update_with_min_age(registry: &Registry, pushed: &[harness::Pushed]) {
    let dir = tempfile::tempdir().unwrap();
    let refs: Vec<String> = pushed
        .iter()
        .map(|p| format!("{}/{}:{}@{}", registry.host(), p.repo, p.tag, p.digest))
        .collect();
    for file in 0..50 {
        let mut text = String::from("apiVersion: v1\nkind: Pod\nspec:\n  containers:\n");
        for i in 0..20 {
            let r = &refs[(file * 10 + i) % refs.len()];
            writeln!(text, "  - name: c{i}\n    image: {r}").unwrap();
        }
        std::fs::write(dir.path().join(format!("pod-{file:02}.yaml")), text).unwrap();
    }
    registry.push_many_tags(REPOS, TAGS_PER_REPO, "bench-moved");
    let once = |extra: &[&str], code: i32| -> Duration {
        let t = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_pin"))
            .args(["update", "--check", "--insecure-registry", registry.host()])
            .args(extra)
            .arg(".")
            .current_dir(dir.path())
            .env_remove("DOCKER_CONFIG")
            .env_remove("XDG_CACHE_HOME")
            .env("HOME", dir.path())
            .output()
            .unwrap();
        let took = t.elapsed();
        assert_eq!(
            out.status.code(),
            Some(code),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        took
    };
    // `--check` writes no lockfile: the records are made by a run without it.
    let record = Command::new(env!("CARGO_BIN_EXE_pin"))
        .args(["update", "--min-age", "3d", "--lock", "pin.lock"])
        .args(["--insecure-registry", registry.host(), "."])
        .current_dir(dir.path())
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert!(record.status.success());
    // Interleaved, so that the machine's load falls on the three alike.
    let (mut plain, mut cache, mut lock) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..RUNS {
        plain.push(once(&[], 1));
        cache.push(once(&["--min-age", "3d"], 0));
        lock.push(once(&["--min-age", "3d", "--lock", "pin.lock"], 0));
    }
    let (plain, cache, lock) = (median(&mut plain), median(&mut cache), median(&mut lock));
    println!(
        "pin update --check, 500 moved tags: median {plain:.1?}; --min-age 3d (all held, records in the \
         cache directory) {cache:.1?} ({:.2}x); with --lock {lock:.1?} ({:.2}x)",
        cache.as_secs_f64() / plain.as_secs_f64(),
        lock.as_secs_f64() / plain.as_secs_f64(),
    );
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Round trip the fault server adds to every answer: a real registry's, over a WAN.
const LATENCY: Duration = Duration::from_millis(50);

/// 500 unique tags behind a server that answers every request after 50 ms (`fake_registry`), each named twice
/// in a tree of 50 files: `pin --check` at its default flags beside `curl --parallel --parallel-max 64` making
/// the same 500 `HEAD` requests, wall times (median of `RUNS`), their ratio, and the requests the server
/// counted per `pin` run (exactly one `HEAD` per unique tag is the promise).
fn latency() {
    use fake_registry::{FakeRegistry, Kind, Reply, Response};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
    // ping, HEAD, GET, other
    let counts: Arc<[AtomicUsize; 4]> = Arc::default();
    let seen = Arc::clone(&counts);
    let registry = FakeRegistry::start(move |req| {
        let slot = match req.kind {
            Kind::Ping => 0,
            Kind::HeadManifest => 1,
            Kind::GetManifest => 2,
            _ => 3,
        };
        seen[slot].fetch_add(1, Ordering::SeqCst);
        match (req.kind, req.manifest()) {
            (Kind::Ping, _) => Reply::Delay(LATENCY, Response::new(200).body("{}")),
            (Kind::HeadManifest | Kind::GetManifest, Some((repo, tag))) => {
                let body = format!(
                    r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{}","size":2}},"layers":[],"annotations":{{"for":"{repo}:{tag}"}}}}"#,
                    "0".repeat(64)
                );
                let digest = format!("sha256:{:x}", <sha2::Sha256 as sha2::Digest>::digest(&body));
                Reply::Delay(
                    LATENCY,
                    Response::new(200)
                        .header("Content-Type", OCI_MANIFEST)
                        .header("Docker-Content-Digest", &digest)
                        .body(body),
                )
            }
            _ => Reply::Delay(LATENCY, Response::new(404)),
        }
    });
    let host = registry.host();
    let tags: Vec<(String, String)> = (0..REPOS * TAGS_PER_REPO)
        .map(|i| (format!("bench/r{}", i % REPOS), format!("t{i}")))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    for file in 0..50 {
        let mut text = String::from("apiVersion: v1\nkind: Pod\nspec:\n  containers:\n");
        for i in 0..20 {
            let (repo, tag) = &tags[(file * 10 + i) % tags.len()];
            writeln!(text, "  - name: c{i}\n    image: {host}/{repo}:{tag}").unwrap();
        }
        std::fs::write(dir.path().join(format!("pod-{file:02}.yaml")), text).unwrap();
    }
    let snapshot = || {
        counts
            .iter()
            .map(|c| c.load(Ordering::SeqCst))
            .collect::<Vec<_>>()
    };
    let before = snapshot();
    let (mut times, _) = check_runs(dir.path(), &["--insecure-registry", &host]);
    let after = snapshot();
    let per_run: Vec<usize> = after
        .iter()
        .zip(&before)
        .map(|(a, b)| (a - b) / RUNS)
        .collect();
    assert_eq!(per_run[1], tags.len(), "one HEAD per unique tag");
    let pin = median(&mut times);
    println!(
        "{} unique tags, {LATENCY:?} per request: pin --check (default flags) median {pin:.2?} (min {:.2?}, max {:.2?}) | server counted per run: {} ping, {} HEAD, {} GET, {} other",
        tags.len(),
        times[0],
        times[times.len() - 1],
        per_run[0],
        per_run[1],
        per_run[2],
        per_run[3]
    );

    if Command::new("curl").arg("--version").output().is_err() {
        println!("  curl not installed: no floor (apt-get install -y curl)");
        return;
    }
    // One `HEAD` per tag, as `pin` makes them; `--parallel-max 64` is curl's highest useful setting here.
    let mut config = String::new();
    for (repo, tag) in &tags {
        writeln!(config, "url = \"http://{host}/v2/{repo}/manifests/{tag}\"").unwrap();
    }
    let config_path = dir.path().join("urls.curl");
    std::fs::write(&config_path, config).unwrap();
    let before = snapshot();
    let mut curl_times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        let out = Command::new("curl")
            .args(["--parallel", "--parallel-max", "64", "-s", "-I"])
            .args(["-H", &format!("Accept: {OCI_MANIFEST}")])
            .arg("-K")
            .arg(&config_path)
            .output()
            .unwrap();
        curl_times.push(t.elapsed());
        assert!(out.status.success(), "curl: {:?}", out.status);
    }
    let heads = (snapshot()[1] - before[1]) / RUNS;
    let curl = median(&mut curl_times);
    println!(
        "  curl --parallel --parallel-max 64, the same {heads} HEAD: median {curl:.2?} (min {:.2?}, max {:.2?}); pin / curl = {:.2}x",
        curl_times[0],
        curl_times[curl_times.len() - 1],
        pin.as_secs_f64() / curl.as_secs_f64()
    );
}
