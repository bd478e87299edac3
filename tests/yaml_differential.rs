//! The YAML differential check: pin's YAML reader against libyaml, the reader behind PyYAML (and, through its
//! Go port, behind kubectl, kustomize and helm).
//!
//! Every YAML file of `tests/corpus`, `tests/differential` and `fuzz/seeds` is read by both sides. A file that
//! one side reads and the other refuses, or that both read to different scalar values, fails the test, unless it falls under one of the deliberate exceptions of
//! [`exception`] (listed in the README's limitations), which are counted and printed.
//!
//! libyaml is run through `python3` (`PIN_PYTHON` names another interpreter) and PyYAML, with its C loader
//! when PyYAML was built with libyaml (Debian's `python3-yaml` is), else the pure-Python loader, which
//! follows libyaml; the reader used is printed. Without python3 or PyYAML the test fails: it is never
//! skipped. pin's side is `formats::yaml::tree::parse`, the reader every YAML kind goes through, without
//! the file-name and needle prefilters of `pin list` (a file without `image` is read too).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use imagepin::formats::yaml::tree::{parse, Parsed};

/// What one side made of a stream.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Verdict {
    /// Read, with the values of its scalars in document order (aliases not followed).
    Read(Vec<String>),
    /// pin passes the file over as a Helm template (it reads none of it).
    Template,
    /// Refused, with `line:column` and the reader's message.
    Refused(String),
}

fn pin(text: &str) -> Verdict {
    match parse(text) {
        Ok(Parsed::Tree(tree)) => Verdict::Read(
            tree.walk()
                .filter_map(|id| tree.scalar(id))
                // An empty node is the null scalar `~` in the tree, and the empty string in libyaml.
                .map(|s| {
                    if s.text.is_empty() && s.is_null() {
                        String::new()
                    } else {
                        s.value.clone()
                    }
                })
                .collect(),
        ),
        Ok(Parsed::Template) => Verdict::Template,
        Err(e) => {
            let before = &text[..e.offset.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
            Verdict::Refused(format!("{line}:{col}\t{}", e.message))
        }
    }
}

/// libyaml's verdicts for `texts`, in order, and the name of the reader.
fn libyaml(texts: &[String]) -> (String, Vec<Verdict>) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/differential/libyaml.py");
    let python = std::env::var("PIN_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let mut child = Command::new(&python)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "the YAML differential check needs {python} with PyYAML (Debian: apt-get install python3-yaml; \
                 PIN_PYTHON names another interpreter): cannot run {python}: {e}"
            )
        });
    let mut input = Vec::new();
    for text in texts {
        input.extend_from_slice(format!("{}\n", text.len()).as_bytes());
        input.extend_from_slice(text.as_bytes());
    }
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "{python} {} failed ({}): {}",
        script.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut lines = stdout.lines();
    let name = lines.next().unwrap_or_default().to_owned();
    let verdicts: Vec<Verdict> = lines
        .map(|l| match l.strip_prefix("error\t") {
            Some(why) => Verdict::Refused(why.to_owned()),
            None => {
                let values = l
                    .strip_prefix("ok\t")
                    .unwrap_or_else(|| panic!("unexpected line from {}: {l}", script.display()));
                Verdict::Read(serde_json::from_str(values).unwrap())
            }
        })
        .collect();
    assert_eq!(verdicts.len(), texts.len(), "one answer per stream");
    (name, verdicts)
}

/// Every `.yaml` / `.yml` file under `dir`, sorted.
fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

fn corpus() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    yaml_files(&root.join("tests/corpus"), &mut paths);
    yaml_files(&root.join("tests/differential"), &mut paths);
    yaml_files(&root.join("fuzz/seeds"), &mut paths);
    paths
        .into_iter()
        .map(|p| {
            let text =
                std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let name = p.strip_prefix(root).unwrap().display().to_string();
            (name, text)
        })
        .collect()
}

/// Why a disagreement is a deliberate exception (README, Limitations), or `None`: then it is a failure.
fn exception(pin: &Verdict, libyaml: &Verdict) -> Option<&'static str> {
    match (pin, libyaml) {
        // pin reads none of a Helm template; libyaml refuses most of them, and reads the ones whose
        // template actions all sit where YAML allows them.
        (Verdict::Template, _) => Some("Helm template: passed over by pin"),
        _ => None,
    }
}

/// Compares both sides over `cases` (name, text): the failures, and the exceptions met, counted.
fn compare(cases: &[(String, String)]) -> (Vec<String>, Vec<(&'static str, usize)>) {
    let texts: Vec<String> = cases.iter().map(|(_, t)| t.clone()).collect();
    let (reader, theirs) = libyaml(&texts);
    eprintln!("libyaml side: {reader}");
    let mut failures = Vec::new();
    let mut exceptions: Vec<(&'static str, usize)> = Vec::new();
    for ((name, text), theirs) in cases.iter().zip(&theirs) {
        let ours = pin(text);
        match (&ours, theirs) {
            (Verdict::Refused(_), Verdict::Refused(_)) => continue,
            (Verdict::Read(a), Verdict::Read(b)) if a == b => continue,
            (Verdict::Read(a), Verdict::Read(b)) => {
                let at = a
                    .iter()
                    .zip(b)
                    .position(|(x, y)| x != y)
                    .unwrap_or(a.len().min(b.len()));
                failures.push(format!(
                    "{name}: both read it, values differ at scalar {at}: pin {:?}, libyaml {:?}",
                    a.get(at),
                    b.get(at)
                ));
                continue;
            }
            _ => {}
        }
        match exception(&ours, theirs) {
            Some(why) => match exceptions.iter_mut().find(|(w, _)| *w == why) {
                Some((_, n)) => *n += 1,
                None => exceptions.push((why, 1)),
            },
            None => failures.push(format!(
                "{name}: pin {}, libyaml {}",
                short(&ours),
                short(theirs)
            )),
        }
    }
    (failures, exceptions)
}

fn short(v: &Verdict) -> String {
    match v {
        Verdict::Read(values) => format!("reads it ({} scalars)", values.len()),
        Verdict::Template => "passes it over as a Helm template".to_owned(),
        Verdict::Refused(why) => format!("refuses it at {why}"),
    }
}

#[test]
fn pin_and_libyaml_read_the_same_corpus_files() {
    let cases = corpus();
    assert!(cases.len() > 50, "corpus not found: {} files", cases.len());
    let (failures, exceptions) = compare(&cases);
    eprintln!("{} files compared; exceptions: {exceptions:?}", cases.len());
    assert!(
        failures.is_empty(),
        "{} of {} files are read by one side only:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
