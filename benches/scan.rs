//! Scanning benchmark: `pin list` (find + classify, no registry) over a large tree built from the corpus:
//! every corpus file copied 60 times (about 4,000 files, 49 MB). Prints the median wall time, the throughput,
//! and the peak memory when GNU time (`/usr/bin/time`) is installed.
//!
//! Then many references on one line, where per-reference line work would be quadratic: one `RUN` with 50,000
//! `--mount from=` and one-line JSON with 40,000 images.
//!
//! Run with `cargo bench --bench scan`; `cargo bench --bench scan -- big-files` runs one part (`corpus`,
//! `one-line`, `big-files`, `trees`). Not a test: it asserts only that every run succeeded.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const COPIES: usize = 60;
const RUNS: usize = 7;

fn main() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let pin = env!("CARGO_BIN_EXE_pin");
    let parts: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let runs = |part: &str| parts.is_empty() || parts.iter().any(|p| p == part);
    if runs("corpus") {
        copies(pin, &corpus);
    }
    if runs("one-line") {
        one_line(pin);
    }
    if runs("big-files") {
        big_files(pin, &corpus);
    }
    if runs("trees") {
        trees(pin, &corpus);
    }
}

/// `pin list` over every corpus file copied [`COPIES`] times: median wall time, throughput, peak memory.
fn copies(pin: &str, corpus: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let mut files = 0;
    let mut bytes = 0u64;
    for category in std::fs::read_dir(corpus).unwrap() {
        let category = category.unwrap().path();
        if !category.is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(&category).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".refs") || name.ends_with(".md") || name.starts_with('.') {
                continue;
            }
            for copy in 0..COPIES {
                let target = dir
                    .path()
                    .join(format!("c{copy:02}"))
                    .join(category.file_name().unwrap())
                    .join(&name);
                std::fs::create_dir_all(target.parent().unwrap()).unwrap();
                bytes += std::fs::copy(&path, &target).unwrap();
                files += 1;
            }
        }
    }
    println!("tree: {files} files, {:.1} MB", bytes as f64 / 1e6);

    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        let out = Command::new(pin)
            .args(["list", "-q", "."])
            .current_dir(dir.path())
            .output()
            .unwrap();
        times.push(t.elapsed());
        assert!(
            !out.stdout.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    times.sort();
    let median: Duration = times[RUNS / 2];
    println!(
        "pin list: median {median:.1?} (min {:.1?}, max {:.1?}, {RUNS} runs), {:.0} MB/s, {:.0} files/s",
        times[0],
        times[RUNS - 1],
        bytes as f64 / 1e6 / median.as_secs_f64(),
        files as f64 / median.as_secs_f64()
    );

    if Path::new("/usr/bin/time").exists() {
        let out = Command::new("/usr/bin/time")
            .args(["-f", "%M", pin, "list", "-q", "."])
            .current_dir(dir.path())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        let kb = err.lines().last().unwrap_or_default().trim().to_string();
        println!("pin list: peak resident memory {kb} KB");
    }
}

/// `pin list` over trees of 1k, 10k and 100k files cycled from the corpus (every kind, so most files hold
/// references), beside `rg -c image` and `cat` over the same files when installed: wall time and CPU time
/// (medians of 3), throughput, peak memory, and the ratios to ripgrep; then `pin unpin` (a dry run that
/// diffs every file holding a digest) for the memory of the diff path.
fn trees(pin: &str, corpus: &Path) {
    let mut sources = Vec::new();
    for category in std::fs::read_dir(corpus).unwrap() {
        let category = category.unwrap().path();
        if !category.is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(&category).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".refs") || name.ends_with(".md") || name.starts_with('.') {
                continue;
            }
            sources.push((
                category.file_name().unwrap().to_owned(),
                name,
                std::fs::read(&path).unwrap(),
            ));
        }
    }
    sources.sort();
    let rg = Command::new("rg").arg("--version").output().is_ok();
    for files in [1_000, 10_000, 100_000] {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = 0;
        for i in 0..files {
            let (category, name, text) = &sources[i % sources.len()];
            let target = dir
                .path()
                .join(format!("c{:04}", i / sources.len()))
                .join(category)
                .join(name);
            if i < sources.len() || target.parent().is_some_and(|p| !p.exists()) {
                std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            }
            std::fs::write(&target, text).unwrap();
            bytes += text.len();
        }
        let mb = bytes as f64 / 1e6;
        // Wall time (median of 3) and peak memory, and CPU time (user + system, median of 3): on a machine
        // shared with other work the CPU time is the steadier figure.
        let time = |program: &str, args: &[&str]| -> (Duration, Option<u64>, Option<Duration>) {
            let mut times = Vec::new();
            let mut cpus = Vec::new();
            let mut peak = None;
            for _ in 0..3 {
                let t = Instant::now();
                let run = measure(program, args, dir.path());
                times.push(t.elapsed());
                assert!(run.ok, "{program} {args:?}");
                peak = run.peak_kb;
                cpus.extend(run.cpu);
            }
            times.sort();
            cpus.sort();
            (times[1], peak, cpus.get(cpus.len() / 2).copied())
        };
        let cpu = |c: Option<Duration>| c.map_or(String::new(), |c| format!(", {c:.2?} CPU"));
        let (pin_time, pin_kb, pin_cpu) = time(pin, &["list", "-q", "."]);
        let peak = pin_kb.map_or(String::new(), |kb| {
            format!(", {:.0} MB peak", kb as f64 / 1e3)
        });
        println!(
            "tree of {files} files ({mb:.0} MB): pin list {pin_time:.2?} ({:.0} MB/s{}{peak})",
            mb / pin_time.as_secs_f64(),
            cpu(pin_cpu)
        );
        if rg {
            // `rg` exits 1 when nothing matches; every tree here matches.
            let (rg_time, rg_kb, rg_cpu) = time("rg", &["-c", "image", "."]);
            let (cat_time, _, cat_cpu) =
                time("sh", &["-c", "rg --files -0 . | xargs -0 cat > /dev/null"]);
            let ratio = |a: Option<Duration>, b: Option<Duration>| match (a, b) {
                (Some(a), Some(b)) => format!(" (CPU {:.1}x)", a.as_secs_f64() / b.as_secs_f64()),
                _ => String::new(),
            };
            println!(
                "  rg -c image {rg_time:.2?} ({:.0} MB peak{}); cat {cat_time:.2?}{}; pin / rg = {:.1}x{}, pin / cat = {:.1}x{}",
                rg_kb.unwrap_or(0) as f64 / 1e3,
                cpu(rg_cpu),
                cpu(cat_cpu),
                pin_time.as_secs_f64() / rg_time.as_secs_f64(),
                ratio(pin_cpu, rg_cpu),
                pin_time.as_secs_f64() / cat_time.as_secs_f64(),
                ratio(pin_cpu, cat_cpu)
            );
        }
        // The diff path: every file with a digest is read again (checked) to make its diff.
        let (unpin_time, unpin_kb, unpin_cpu) = time(pin, &["unpin", "-q", "."]);
        println!(
            "  pin unpin (dry run: a diff of every file holding a digest) {unpin_time:.2?}{}, {:.0} MB peak",
            cpu(unpin_cpu),
            unpin_kb.unwrap_or(0) as f64 / 1e3
        );
    }
}

/// `pin list` over one 100 MB file: real manifests one after the other (`---`), and `k: v` lines, as plain
/// YAML (read as events, no tree); and 10 MB files of tree kinds: `k: v` lines as Helm values, compose
/// services, anchored flow lists and a merge key per service. Wall time and peak memory against the file's
/// size.
fn big_files(pin: &str, corpus: &Path) {
    const SIZE: usize = 100 << 20;
    let dir = tempfile::tempdir().unwrap();
    let mut docs = Vec::new();
    for entry in std::fs::read_dir(corpus.join("k8s")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            docs.push(std::fs::read_to_string(path).unwrap());
        }
    }
    docs.sort();
    let one = docs.join("\n---\n") + "\n---\n";
    let manifest = one.repeat(SIZE / one.len() + 1);
    // One `image` at the end, so that the prefilter lets the file through and it is parsed.
    let mut lines: String = (0..SIZE / 12)
        .map(|i| format!("k{:05}: v{}\n", i % 100_000, i % 10))
        .collect();
    lines += "image: nginx:1.27\n";
    // A tree kind keeps only the nodes on the way to the keys its finder reads.
    let cut = lines[..SIZE / 10].rfind('\n').unwrap() + 1;
    let values = lines[..cut].to_owned() + "image: nginx:1.27\n";
    // Compose services of the usual shape: a tree kind where every service holds a reference.
    let mut compose = String::from("services:\n");
    for i in 0.. {
        if compose.len() >= SIZE / 10 {
            break;
        }
        compose += &format!(
            "  svc{i}:\n    image: nginx:1.{}\n    ports:\n      - \"80{}:80\"\n    environment:\n      A: b\n      LONG_VARIABLE_NAME: value{i}\n    volumes:\n      - ./data{i}:/data\n    restart: always\n",
            i % 30,
            i % 10
        );
    }
    // Anchors and merge keys in tree kinds: an anchored flow list no alias reads as a whole (compose, GitLab
    // CI, Helm values), and the compose services above with a merge key each, after their other keys.
    let items: Vec<String> = (0..SIZE / 10 / 6)
        .map(|i| format!("v{}", i % 1000))
        .collect();
    let list = format!("&list [{}]\n", items.join(", "));
    let anchored_compose =
        format!("x-list: {list}services:\n  web:\n    image: nginx:1.27\n    environment: *list\n");
    let anchored_gitlab = format!(".list: {list}job:\n  image: nginx:1.27\n  script: *list\n");
    let anchored_values = format!("list: {list}image: nginx:1.27\nother: *list\n");
    let merges = compose.replacen(
        "services:\n",
        "x-base: &base\n  logging: {driver: json-file}\n  restart: always\nservices:\n",
        1,
    );
    let merges = merges.replace("    restart: always\n", "    <<: *base\n");
    for (name, text, what) in [
        ("all.yaml", &manifest, "manifests"),
        ("kv.yaml", &lines, "`k: v` lines"),
        ("values.yaml", &values, "`k: v` lines as Helm values (tree)"),
        (
            "compose.yaml",
            &compose,
            "compose services, one image each (tree)",
        ),
        (
            "compose.list.yaml",
            &anchored_compose,
            "compose with an anchored flow list (tree)",
        ),
        (
            ".gitlab-ci.yml",
            &anchored_gitlab,
            "GitLab CI with an anchored flow list (tree)",
        ),
        (
            "values.list.yaml",
            &anchored_values,
            "Helm values with an anchored flow list (tree)",
        ),
        (
            "compose.merges.yaml",
            &merges,
            "compose services with a merge key each (tree)",
        ),
    ] {
        std::fs::write(dir.path().join(name), text).unwrap();
        let mb = text.len() as f64 / 1e6;
        let mut times = Vec::with_capacity(3);
        let mut cpus = Vec::with_capacity(3);
        let mut peak = None;
        for _ in 0..3 {
            let t = Instant::now();
            let run = measure(pin, &["list", "-q", name], dir.path());
            times.push(t.elapsed());
            assert!(run.ok, "pin list {name}");
            peak = run.peak_kb;
            cpus.extend(run.cpu);
        }
        times.sort();
        cpus.sort();
        let cpu = cpus
            .get(cpus.len() / 2)
            .map_or(String::new(), |c| format!(" ({c:.2?} CPU)"));
        let peak = peak.map_or("peak memory unknown (no /usr/bin/time)".to_string(), |kb| {
            format!(
                "{:.0} MB peak ({:.2}x the file)",
                kb as f64 / 1e3,
                kb as f64 / 1e3 / mb
            )
        });
        println!(
            "pin list, one {mb:.0} MB file of {what}: median {:.2?}{cpu}, {peak}",
            times[1]
        );
        std::fs::remove_file(dir.path().join(name)).unwrap();
    }
}

/// One run of a program under GNU time.
struct Run {
    ok: bool,
    /// Peak resident memory; `None` without GNU time.
    peak_kb: Option<u64>,
    /// User + system time; `None` without GNU time.
    cpu: Option<Duration>,
}

/// Runs `program ARGS` in `dir`, under GNU time (`/usr/bin/time`) when installed.
fn measure(program: &str, args: &[&str], dir: &Path) -> Run {
    if !Path::new("/usr/bin/time").exists() {
        let out = Command::new(program)
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        return Run {
            ok: out.status.success(),
            peak_kb: None,
            cpu: None,
        };
    }
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M %U %S", program])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let fields: Vec<&str> = err
        .lines()
        .last()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let seconds = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
    Run {
        ok: out.status.success(),
        peak_kb: fields.first().and_then(|f| f.parse().ok()),
        cpu: seconds(1)
            .zip(seconds(2))
            .map(|(u, s)| Duration::from_secs_f64(u + s)),
    }
}

/// `pin list` over files holding all their references on one line.
fn one_line(pin: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut run = String::from("FROM alpine:3\nRUN");
    for i in 0..50_000 {
        run += &format!(" --mount=type=bind,from=img{i}:1,target=/t{i}");
    }
    run += " true\n";
    std::fs::write(dir.path().join("Dockerfile"), run).unwrap();
    let images: Vec<String> = (0..40_000)
        .map(|i| format!("{{\"name\":\"c{i}\",\"image\":\"img{i}:1\"}}"))
        .collect();
    let json = format!("{{\"spec\":{{\"containers\":[{}]}}}}\n", images.join(","));
    std::fs::write(dir.path().join("pod.yaml"), json).unwrap();
    // Here-documents the Dockerfile crate does not recognise (`<<EOF` not first): each one used to
    // restart the parse from the top.
    let mut heredocs = String::from("FROM alpine:3\n");
    for i in 0..8_000 {
        heredocs += &format!("RUN cat <<EOF >/etc/f{i}\nline {i}\nEOF\n");
    }
    std::fs::create_dir_all(dir.path().join("h")).unwrap();
    std::fs::write(dir.path().join("h/Dockerfile"), heredocs).unwrap();
    for (name, what) in [
        ("Dockerfile", "one RUN line, 50,000 --mount from="),
        ("pod.yaml", "one-line JSON, 40,000 images"),
        ("h/Dockerfile", "8,000 `RUN cat <<EOF >/f` here-documents"),
    ] {
        let mut times = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let t = Instant::now();
            let out = Command::new(pin)
                .args(["list", "-q", name])
                .current_dir(dir.path())
                .output()
                .unwrap();
            times.push(t.elapsed());
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        times.sort();
        println!("pin list, {what}: median {:.1?}", times[RUNS / 2]);
    }
}
