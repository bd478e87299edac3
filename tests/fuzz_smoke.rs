//! A mutational fuzz run on the stable compiler, bounded by a number of iterations, not by time: seeded
//! from the files of `tests/corpus`, each iteration mutates one file a few times (byte flips, cuts,
//! duplicated and spliced lines, YAML and Dockerfile tokens) and checks the properties of `fuzz/check.rs`
//! with the file's own finder and one other; and drives the binary over mutated files: `pin -w
//! --tag-comment --offline` then `pin unpin -w` must give the file back. Deterministic: the same seed gives
//! the same inputs, so a failure reproduces. Longer runs: `PIN_FUZZ_ITERATIONS=200000 PIN_FUZZ_SEED=7 cargo
//! test --release --test fuzz_smoke`; with nightly, the cargo-fuzz targets in `fuzz/` (CONTRIBUTING.md,
//! "Fuzzing").

#[path = "../fuzz/check.rs"]
mod check;

use std::path::Path;
use std::process::Command;

use imagepin::test_support::{apply, classify, Edit, Kind, Reference, Status, Target, KINDS};

/// xorshift64*: small, deterministic, good enough to choose mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Fragments the formats give meaning to: where finders and parsers branch.
const TOKENS: &[&str] = &[
    "image: ",
    "FROM ",
    "from ",
    " AS ",
    "--platform=$X ",
    "COPY --from=",
    "RUN --mount=type=bind,from=",
    "ARG BASE=",
    "${BASE}",
    "# syntax=",
    "# escape=`\n",
    "\\\n",
    "newName: ",
    "newTag: ",
    "digest: ",
    "images:\n- name: a\n  newTag: v1\n",
    "services:\n  a:\n    image: ",
    "container: ",
    "uses: docker://",
    "  - ",
    "- ",
    ": ",
    "\"",
    "'",
    "\\",
    "\n",
    "\r\n",
    "\t",
    "#",
    "# pin: ignore",
    "---\n",
    "...\n",
    "&a ",
    "*a",
    "<<: *a\n",
    "!reference [a]",
    "!!str ",
    "|\n  ",
    ">-\n  ",
    "? ",
    "[",
    "]",
    "{",
    "}",
    ", ",
    "{{ .Values.x }}",
    "$X",
    "@sha256:",
    ":latest",
    "é",
    "☃",
    "\u{feff}",
    "nginx:1.27",
    "a/b:c",
    "x@y",
    "registry:5000/a:1",
    "\0",
];

fn mutate(rng: &mut Rng, text: &str, other: &str) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(7) {
            0 if !bytes.is_empty() => {
                let i = at.min(bytes.len() - 1);
                bytes[i] ^= 1 << rng.below(8);
            }
            1 => {
                let len = rng.below(64).min(bytes.len() - at);
                bytes.drain(at..at + len);
            }
            2 => {
                let len = rng.below(256).min(bytes.len() - at);
                let copy = bytes[at..at + len].to_vec();
                let to = rng.below(bytes.len() + 1);
                bytes.splice(to..to, copy);
            }
            3 => {
                // A line of another file.
                let lines: Vec<&str> = other.split_inclusive('\n').collect();
                if !lines.is_empty() {
                    let line = lines[rng.below(lines.len())];
                    bytes.splice(at..at, line.bytes());
                }
            }
            4 => bytes.truncate(at),
            _ => {
                let token = TOKENS[rng.below(TOKENS.len())];
                bytes.splice(at..at, token.bytes());
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `(kind, text)` of every corpus file, by each kind's corpus directory.
fn seeds() -> Vec<(Kind, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut seeds = Vec::new();
    for &kind in Kind::ALL {
        let dir = root.join(KINDS[kind as usize].corpus.dir);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut names: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        names.sort();
        for path in names {
            let name = path.file_name().unwrap().to_string_lossy();
            if name.ends_with(".refs") || name.ends_with(".md") || name.starts_with('.') {
                continue;
            }
            if let Ok(text) = std::fs::read_to_string(&path) {
                seeds.push((kind, text));
            }
        }
    }
    // Small inputs where YAML readers disagreed (fuzz/seeds, also seeds of the cargo-fuzz target).
    let extra = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/find_yaml");
    let mut names: Vec<_> = std::fs::read_dir(&extra)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    for path in names {
        seeds.push((Kind::Yaml, std::fs::read_to_string(&path).unwrap()));
    }
    seeds
}

#[test]
fn mutated_corpus_files_keep_every_property() {
    let iterations = env_number("PIN_FUZZ_ITERATIONS", 2000);
    let seed = env_number("PIN_FUZZ_SEED", 1);
    let seeds = seeds();
    assert!(seeds.len() > 50, "corpus not found: {} files", seeds.len());
    // The unmutated files first: the corpus itself must hold.
    for (kind, text) in &seeds {
        check::finder(*kind, text);
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ seed.wrapping_mul(0xff51_afd7_ed55_8ccd) | 1);
    for i in 0..iterations {
        let (kind, text) = &seeds[rng.below(seeds.len())];
        let (_, other) = &seeds[rng.below(seeds.len())];
        let mutant = mutate(&mut rng, text, other);
        let second = Kind::ALL[rng.below(Kind::ALL.len())];
        for k in [*kind, second] {
            let result = std::panic::catch_unwind(|| check::finder(k, &mutant));
            if result.is_err() {
                let path = std::env::temp_dir().join(format!("pin-fuzz-{seed}-{i}.txt"));
                let _ = std::fs::write(&path, &mutant);
                panic!(
                    "iteration {i} (PIN_FUZZ_SEED={seed}), kind {k:?}: input saved to {}",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn mutated_references_keep_the_grammar_properties() {
    let iterations = env_number("PIN_FUZZ_ITERATIONS", 2000) * 4;
    let seed = env_number("PIN_FUZZ_SEED", 1);
    let bases = [
        "nginx",
        "nginx:1.27",
        "docker.io/library/nginx:latest",
        "registry.example.com:5000/team/app:v1.2-rc_3",
        "localhost/a/b/c:x",
        "[::1]:5000/app:1",
        "ghcr.io/o/r@sha256:0000000000000000000000000000000000000000000000000000000000000000",
    ];
    let mut rng = Rng(0x2545_f491_4f6c_dd1d ^ seed | 1);
    for _ in 0..iterations {
        let base = bases[rng.below(bases.len())];
        let other = bases[rng.below(bases.len())];
        check::reference(&mutate(&mut rng, base, other));
    }
}

/// The lockfile key of an unpinned reference: `registry/repository:tag` (`latest` when untagged).
fn lock_key(r: &Reference) -> String {
    format!("{}:{}", r.normalized_name(), r.tag().unwrap_or("latest"))
}

/// Runs the `pin` binary in `dir`; its exit code, stdout and stderr.
fn pin(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pin"))
        .current_dir(dir)
        .args(args)
        .env_clear()
        .env("HOME", dir)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// How one file fared in [`round_trip`].
#[derive(Debug, PartialEq, Eq)]
enum Trip {
    /// Not a file this check is about: it does not parse, holds a digest field (kustomize, Helm, Bazel
    /// digests stay after `unpin`), or nothing to pin.
    Passed,
    /// Pinned with tag comments, unpinned, and back to its bytes.
    Exact,
    /// Back to its bytes but for untagged references `unpin` named as restored with `:latest`.
    Named(usize),
}

/// `pin -w --tag-comment --offline --lock` (every unpinned reference in the lockfile, with stand-in
/// digests), then `pin unpin -w`, over one file of `kind` holding `text`: the file must come back as it was
/// (as `pin unpin` leaves the original: a digest it held is unpinned too), except for each untagged
/// reference that `unpin` names (its note PIN018) as restored as `name:latest`, where no comment could go.
fn round_trip(kind: Kind, text: &str) -> Result<Trip, String> {
    let Ok(found) = kind.find(text) else {
        return Ok(Trip::Passed);
    };
    let mut keys = std::collections::BTreeMap::new();
    for c in &found.candidates {
        match (classify(c), &c.target) {
            (Status::Unpinned(r), Target::Reference) => {
                keys.insert(lock_key(&r), check::fake_digest(&lock_key(&r)));
            }
            (Status::Pinned(_), Target::Reference) | (Status::Skipped(_), _) => {}
            // A digest field or a feature id: not restored by `unpin` by design.
            _ => return Ok(Trip::Passed),
        }
    }
    if keys.is_empty() {
        return Ok(Trip::Passed);
    }
    let dir = tempfile::tempdir().unwrap();
    let name = KINDS[kind as usize].examples[0];
    let file = dir.path().join(name);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let images: serde_json::Map<String, serde_json::Value> = keys
        .iter()
        .map(|(k, d)| (k.clone(), serde_json::json!({ "digest": d })))
        .collect();
    let lock = serde_json::json!({ "version": 1, "images": images });
    std::fs::write(dir.path().join("pin.lock"), lock.to_string()).unwrap();
    // The original as `pin unpin` leaves it: what the round trip must give back.
    std::fs::write(&file, text).unwrap();
    let (code, _, err) = pin(dir.path(), &["unpin", "-w", name]);
    if code != Some(0) {
        return Err(format!("unpin of the original: exit {code:?}: {err}"));
    }
    let want = std::fs::read_to_string(&file).unwrap();

    std::fs::write(&file, text).unwrap();
    let args = [
        "-w",
        "--tag-comment",
        "--offline",
        "--lock",
        "pin.lock",
        name,
    ];
    let (code, _, err) = pin(dir.path(), &args);
    if code != Some(0) {
        // A file its finder reads once but the binary refuses (a project rule, a write refused) must at
        // least be left as it was.
        let now = std::fs::read_to_string(&file).unwrap();
        return if now == text {
            Ok(Trip::Passed)
        } else {
            Err(format!("exit {code:?} and the file changed: {err}"))
        };
    }
    let pinned = std::fs::read_to_string(&file).unwrap();
    let (code, out, err) = pin(dir.path(), &["unpin", "-w", "--format", "json", name]);
    if code != Some(0) {
        return Err(format!(
            "unpin of the pinned file: exit {code:?}: {err}\n--- pinned:\n{pinned}"
        ));
    }
    let back = std::fs::read_to_string(&file).unwrap();
    if back == want {
        return Ok(Trip::Exact);
    }
    // The named exception: each differing reference is an untagged one of the original, now `:latest`,
    // and `unpin`'s note names it ("restored as NAME:latest; …"); every other byte is the original's.
    let report: serde_json::Value = serde_json::from_str(&out).map_err(|e| e.to_string())?;
    let mut named: Vec<String> = report["references"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| {
            let pinned = o["pinned"].as_str()?;
            let note = o["note"].as_str()?;
            note.starts_with(&format!("restored as {pinned};"))
                .then(|| pinned.to_string())
        })
        .collect();
    let was = kind.find(&want).map_err(|e| format!("{e:?}"))?.candidates;
    let now = kind.find(&back).map_err(|e| format!("{e:?}"))?.candidates;
    let differ = || {
        format!("not the original after pinning with tag comments and unpinning\n--- original:\n{want}\n--- pinned:\n{pinned}\n--- unpinned:\n{back}")
    };
    if was.len() != now.len() {
        return Err(differ());
    }
    let mut edits = Vec::new();
    for (a, b) in was.iter().zip(&now) {
        if a.value == b.value {
            continue;
        }
        let untagged =
            Reference::parse(&a.value).is_ok_and(|r| r.tag().is_none() && r.digest().is_none());
        let Some(i) = named.iter().position(|n| *n == b.value) else {
            return Err(differ());
        };
        named.swap_remove(i);
        if !untagged || b.value != format!("{}:latest", a.value) {
            return Err(differ());
        }
        edits.push(Edit {
            range: a.span.clone(),
            replacement: b.value.clone(),
        });
    }
    if apply(&want, &edits).ok().as_deref() != Some(back.as_str()) {
        return Err(differ());
    }
    Ok(Trip::Named(edits.len()))
}

/// The binary over mutated files: `--tag-comment` then `unpin` gives every file back (README, "Tag comments
/// and `pin unpin`"), but for the references `unpin` names. Every corpus file once, then mutants.
#[test]
fn tag_comments_then_unpin_give_the_file_back() {
    let mutants = env_number("PIN_FUZZ_ITERATIONS", 2000) / 10;
    let seed = env_number("PIN_FUZZ_SEED", 1);
    let seeds = seeds();
    let mut rng = Rng(0x853c_49e6_748f_ea9b ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let (mut exact, mut named) = (0, 0);
    let inputs = seeds
        .iter()
        .map(|(kind, text)| (*kind, text.clone()))
        .chain((0..mutants).map(|_| {
            let (kind, text) = &seeds[rng.below(seeds.len())];
            let (_, other) = &seeds[rng.below(seeds.len())];
            (*kind, mutate(&mut rng, text, other))
        }));
    for (i, (kind, text)) in inputs.enumerate() {
        match round_trip(kind, &text) {
            Ok(Trip::Exact) => exact += 1,
            Ok(Trip::Named(_)) => named += 1,
            Ok(Trip::Passed) => {}
            Err(why) => {
                let path = std::env::temp_dir().join(format!("pin-fuzz-trip-{seed}-{i}.txt"));
                let _ = std::fs::write(&path, &text);
                panic!(
                    "input {i} (PIN_FUZZ_SEED={seed}), kind {kind:?}, saved to {}: {why}",
                    path.display()
                );
            }
        }
    }
    assert!(exact > 60, "only {exact} files round-tripped exactly");
    eprintln!(
        "tag comments then unpin: {exact} files exact, {named} with named untagged references"
    );
}
