//! A mutational fuzz run on the stable compiler, bounded by a number of iterations, not by time: seeded
//! from the files of `tests/corpus`, each iteration mutates one file a few times (byte flips, cuts,
//! duplicated and spliced lines, YAML and Dockerfile tokens) and checks the properties of `fuzz/check.rs`
//! with the file's own finder and one other. Deterministic: the same seed gives the same inputs, so a
//! failure reproduces. Longer runs: `PIN_FUZZ_ITERATIONS=200000 PIN_FUZZ_SEED=7 cargo test --release --test
//! fuzz_smoke`; with nightly, the cargo-fuzz targets in `fuzz/` (CONTRIBUTING.md, "Fuzzing").

#[path = "../fuzz/check.rs"]
mod check;

use std::path::Path;

use imagepin::test_support::{Kind, KINDS};

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
        let dir = root.join(KINDS[kind as usize].corpus);
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
