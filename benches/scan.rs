//! Scanning benchmark: `pin list` (find + classify, no registry) over a large tree built from the corpus:
//! every corpus file copied 60 times (about 4,000 files, 49 MB). Prints the median wall time, the throughput,
//! and the peak memory when GNU time (`/usr/bin/time`) is installed.
//!
//! Then many references on one line, where per-reference line work would be quadratic: one `RUN` with 50,000
//! `--mount from=` and one-line JSON with 40,000 images.
//!
//! Then projects: trees of K generated skaffold + kustomize projects (K = 10 … 400), with how the time grows
//! with K, and a tree shaped like real repositories (skaffold configs, kustomizations and Tiltfiles from the
//! corpus among manifests), with and without its project files.
//!
//! Run with `cargo bench --bench scan`; `cargo bench --bench scan -- projects` runs only the project trees
//! (the sections are named in [`SECTIONS`]).
//! Not a test: it asserts only that every run succeeded, and prints each target beside what it measured.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const COPIES: usize = 60;
const RUNS: usize = 7;

/// The sections, by the names that select them (`cargo bench --bench scan -- trees projects`).
const SECTIONS: &[&str] = &["copies", "one-line", "big-files", "trees", "projects"];

fn main() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let pin = env!("CARGO_BIN_EXE_pin");
    // Cargo passes `--bench`; other words name sections. None: every section.
    let chosen: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    for name in &chosen {
        assert!(
            SECTIONS.contains(&name.as_str()),
            "{name}: sections are {SECTIONS:?}"
        );
    }
    let run = |name: &str| chosen.is_empty() || chosen.iter().any(|c| c == name);
    if run("copies") {
        copies(pin, &corpus);
    }
    if run("one-line") {
        one_line(pin);
    }
    if run("big-files") {
        big_files(pin, &corpus);
    }
    if run("trees") {
        trees(pin, &corpus);
    }
    if run("projects") {
        projects(pin);
        real_projects(pin, &corpus);
    }
}

/// `pin list` over every corpus file copied [`COPIES`] times.
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

/// Wall time and CPU time (user + system; `None` without GNU time) of `pin list -q .` in `dir`, medians
/// of `runs`; each run is `repeat` runs in a row, divided by `repeat` (GNU time counts CPU time in 10 ms
/// steps: a small tree needs several runs to be measured).
fn list_times(pin: &str, dir: &Path, runs: usize, repeat: usize) -> (Duration, Option<Duration>) {
    let script =
        format!("for i in $(seq {repeat}); do \"$0\" list -q . >/dev/null || exit 1; done");
    let mut times = Vec::with_capacity(runs);
    let mut cpus = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let run = measure("sh", &["-c", &script, pin], dir);
        times.push(t.elapsed() / repeat as u32);
        assert!(run.ok, "pin list in {}", dir.display());
        cpus.extend(run.cpu.map(|c| c / repeat as u32));
    }
    times.sort();
    cpus.sort();
    (times[runs / 2], cpus.get(cpus.len() / 2).copied())
}

fn write(path: &Path, text: impl AsRef<[u8]>) -> usize {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text.as_ref()).unwrap();
    text.as_ref().len()
}

/// One generated project: a skaffold config building two images whose manifests are given by globs (its
/// own and a shared directory's) and a kustomize path, a kustomize base renaming an image, and four
/// manifests using the built images beside a registry image.
fn generated_project(root: &Path, k: usize) -> usize {
    let d = root.join(format!("svc{k:03}"));
    let mut files = 0;
    write(
        &d.join("skaffold.yaml"),
        format!(
            "apiVersion: skaffold/v4beta6\nkind: Config\nbuild:\n  artifacts:\n  - image: shop/app{k}\n    context: .\n  - image: shop/worker{k}\n    context: worker\nmanifests:\n  rawYaml:\n  - k8s/*.yaml\n  - ../shared/**/*.yaml\n  kustomize:\n    paths: [base]\n"
        ),
    );
    write(
        &d.join("base/kustomization.yaml"),
        format!(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- deployment.yaml\nimages:\n- name: api{k}\n  newName: registry.example.com/api{k}\n  newTag: \"1.0\"\n"
        ),
    );
    write(
        &d.join("base/deployment.yaml"),
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api{k}\nspec:\n  template:\n    spec:\n      containers:\n      - name: api\n        image: api{k}\n      - name: side\n        image: busybox:1.36\n"
        ),
    );
    files += 3;
    for m in 0..4 {
        write(
            &d.join(format!("k8s/m{m}.yaml")),
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app{k}-{m}\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: shop/app{k}\n      - name: proxy\n        image: envoyproxy/envoy:v1.{m}\n"
            ),
        );
        files += 1;
    }
    files
}

/// `pin list` over K generated projects ([`generated_project`]), K = 10 … 400: the time each K takes, the
/// exponent of its growth from one K to the next (time ∝ K^e: 1 is linear, 2 quadratic), and the exponent
/// fitted over K ≥ 50 (below that, starting the process dominates). CPU time when GNU time is installed
/// (steadier on a shared machine), else wall time.
fn projects(pin: &str) {
    const KS: [usize; 6] = [10, 25, 50, 100, 200, 400];
    /// Linear growth, allowing for noise.
    const TARGET: f64 = 1.2;
    println!(
        "projects: K generated skaffold + kustomize projects (7 files each, 4 shared manifests), pin list -q \
         (medians of 3; below K = 400 each is 400/K runs in a row, per run):"
    );
    println!(
        "  {:>4} {:>6} {:>10} {:>10} {:>12} {:>10}",
        "K", "files", "wall", "CPU", "CPU per file", "exponent"
    );
    let mut points = Vec::new();
    for k in KS {
        let dir = tempfile::tempdir().unwrap();
        let mut files: usize = (0..k).map(|i| generated_project(dir.path(), i)).sum();
        // The manifests every project's glob `../shared/**/*.yaml` names.
        for s in 0..4 {
            write(
                &dir.path().join(format!("shared/s{s}.yaml")),
                format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: s{s}\nspec:\n  containers:\n  - name: s\n    image: shop/app{s}\n  - name: r\n    image: redis:7.{s}\n"),
            );
            files += 1;
        }
        let (wall, cpu) = list_times(pin, dir.path(), 3, (400 / k).max(1));
        let t = cpu.unwrap_or(wall).as_secs_f64();
        let exponent = points
            .last()
            .map_or(String::new(), |&(k0, t0): &(usize, f64)| {
                format!("{:.2}", (t / t0).ln() / (k as f64 / k0 as f64).ln())
            });
        println!(
            "  {k:>4} {files:>6} {:>10} {:>10} {:>9.0} µs {exponent:>10}",
            format!("{wall:.2?}"),
            cpu.map_or("-".into(), |c| format!("{c:.2?}")),
            t * 1e6 / files as f64,
        );
        points.push((k, t));
    }
    // Least squares of ln t against ln K.
    let fit: Vec<(f64, f64)> = points
        .iter()
        .filter(|(k, _)| *k >= 50)
        .map(|&(k, t)| ((k as f64).ln(), t.ln()))
        .collect();
    let n = fit.len() as f64;
    let (sx, sy) = fit.iter().fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
    let (mx, my) = (sx / n, sy / n);
    let (num, den) = fit.iter().fold((0.0, 0.0), |(a, b), (x, y)| {
        (a + (x - mx) * (y - my), b + (x - mx) * (x - mx))
    });
    let slope = num / den;
    println!(
        "  growth over K = 50 … 400: time ∝ K^{slope:.2} (1 = linear, 2 = quadratic; target ≤ {TARGET}: {})",
        if slope <= TARGET { "met" } else { "MISSED" }
    );
}

/// A tree shaped like real repositories: `SERVICES` service directories in 15 repositories, each with a
/// skaffold config, a kustomization and (one in three) a Tiltfile, all real files of the corpus, among copies
/// of the corpus's manifests placed where those configs look (`leeroy-web/kubernetes/`, `world-service/`,
/// `overlays/dev/`, `k8s/`), a Dockerfile and a Helm values file; beside them every other corpus file,
/// cycled. `pin list` over it, then over the same tree without its project files (skaffold configs,
/// kustomizations, Tiltfiles): the ratio is what reading and applying them costs.
fn real_projects(pin: &str, corpus: &Path) {
    const SERVICES: usize = 300;
    const OTHERS: usize = 1_500;
    /// Project files cost at most half again the time of the tree without them.
    const TARGET: f64 = 1.5;
    let read = |category: &str| -> Vec<(String, Vec<u8>)> {
        let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(corpus.join(category))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                let name = p.file_name().unwrap().to_string_lossy();
                !(name.ends_with(".refs") || name.ends_with(".md") || name.starts_with('.'))
            })
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read(&p).unwrap())
            })
            .collect();
        out.sort();
        out
    };
    let k8s = read("k8s");
    let (skaffold, manifests): (Vec<_>, Vec<_>) = k8s
        .into_iter()
        .partition(|(_, text)| String::from_utf8_lossy(text).contains("apiVersion: skaffold/"));
    let kustomizations = read("kustomize");
    let tiltfiles = read("tilt");
    // Dockerfiles (not the Go template of one, which is no Dockerfile until rendered).
    let dockerfiles: Vec<_> = read("dockerfile")
        .into_iter()
        .filter(|(name, _)| name.ends_with("Dockerfile"))
        .collect();
    let values: Vec<_> = read("helm")
        .into_iter()
        .filter(|(name, _)| !name.contains("-template."))
        .collect();
    let mut others = Vec::new();
    for category in std::fs::read_dir(corpus).unwrap() {
        let category = category.unwrap().path();
        let name = category.file_name().unwrap().to_string_lossy().into_owned();
        if category.is_dir() && !["k8s", "kustomize", "tilt"].contains(&name.as_str()) {
            others.extend(
                read(&name)
                    .into_iter()
                    .map(|(n, t)| (format!("{name}/{n}"), t)),
            );
        }
    }
    others.sort();
    assert!(!skaffold.is_empty() && !kustomizations.is_empty() && !tiltfiles.is_empty());

    let dir = tempfile::tempdir().unwrap();
    let mut bytes = 0;
    let mut files = 0;
    let mut project_files = Vec::new();
    let mut counts = [0; 3];
    let mut next_manifest = 0;
    for s in 0..SERVICES {
        let d = dir
            .path()
            .join(format!("repo{:02}/services/svc{s:03}", s % 15));
        let mut add = |path: PathBuf, text: &[u8], project: Option<usize>| {
            bytes += write(&path, text);
            files += 1;
            if let Some(p) = project {
                counts[p] += 1;
                project_files.push(path);
            }
        };
        add(
            d.join("skaffold.yaml"),
            &skaffold[s % skaffold.len()].1,
            Some(0),
        );
        add(
            d.join("kustomization.yaml"),
            &kustomizations[s % kustomizations.len()].1,
            Some(1),
        );
        if s % 3 == 0 {
            add(
                d.join("Tiltfile"),
                &tiltfiles[s % tiltfiles.len()].1,
                Some(2),
            );
        }
        for place in [
            "leeroy-web/kubernetes",
            "world-service",
            "overlays/dev",
            "k8s",
        ] {
            let (name, text) = &manifests[next_manifest % manifests.len()];
            next_manifest += 1;
            add(d.join(place).join(name), text, None);
        }
        add(
            d.join("Dockerfile"),
            &dockerfiles[s % dockerfiles.len()].1,
            None,
        );
        add(
            d.join("chart/values.yaml"),
            &values[s % values.len()].1,
            None,
        );
    }
    for i in 0..OTHERS {
        let (name, text) = &others[i % others.len()];
        let path = dir
            .path()
            .join(format!("repo{:02}/other{:02}", i % 15, i / others.len()))
            .join(name);
        bytes += write(&path, text);
        files += 1;
    }
    let mb = bytes as f64 / 1e6;
    let [sk, ku, ti] = counts;
    let shown = |(wall, cpu): (Duration, Option<Duration>)| {
        cpu.map_or(format!("{wall:.2?}"), |c| {
            format!("{wall:.2?} ({c:.2?} CPU)")
        })
    };
    let with = list_times(pin, dir.path(), 3, 1);
    for path in &project_files {
        std::fs::remove_file(path).unwrap();
    }
    let without = list_times(pin, dir.path(), 3, 1);
    let t = |(wall, cpu): (Duration, Option<Duration>)| cpu.unwrap_or(wall).as_secs_f64();
    let ratio = t(with) / t(without);
    println!(
        "real-world-shaped tree: {files} files ({mb:.0} MB) in 15 repositories, {} of them project files ({sk} skaffold configs, {ku} kustomizations, {ti} Tiltfiles): pin list {}; without the project files {}; ratio {ratio:.2}x (target ≤ {TARGET}x: {})",
        project_files.len(),
        shown(with),
        shown(without),
        if ratio <= TARGET { "met" } else { "MISSED" }
    );
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
/// YAML (read as events, no tree); and 10 MB of `k: v` lines as Helm values (read into a tree). Wall time and peak memory against
/// the file's size.
fn big_files(pin: &str, corpus: &Path) {
    const SIZE: usize = 100 << 20;
    let dir = tempfile::tempdir().unwrap();
    let mut docs = Vec::new();
    for entry in std::fs::read_dir(corpus.join("k8s")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let text = std::fs::read_to_string(path).unwrap();
            // Manifests only: the skaffold configs kept there are not.
            if !text.contains("apiVersion: skaffold/") {
                docs.push(text);
            }
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
    for (name, text, what) in [
        ("all.yaml", &manifest, "manifests"),
        ("kv.yaml", &lines, "`k: v` lines"),
        ("values.yaml", &values, "`k: v` lines as Helm values (tree)"),
        (
            "compose.yaml",
            &compose,
            "compose services, one image each (tree)",
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
