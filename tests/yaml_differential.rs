//! The YAML differential check: pin's YAML reader against libyaml, the reader behind PyYAML (and, through its
//! Go port, behind kubectl, kustomize and helm).
//!
//! Every YAML file of `tests/corpus`, `tests/differential` and `fuzz/seeds` is read by both sides; then a
//! bounded, deterministic set of mutants of those files (`PIN_DIFF_MUTANTS`, default 600; `PIN_DIFF_SEED`;
//! `PIN_DIFF_SAVE=dir` writes them). A file that one side reads and the other refuses, or that both read to
//! different scalar values, fails the test, unless it falls under one of the deliberate exceptions of
//! [`exception`] (listed in docs/limitations.md), which are counted and printed.
//!
//! libyaml is run through `python3` (`PIN_PYTHON` names another interpreter) and PyYAML, with its C loader
//! when PyYAML was built with libyaml (Debian's `python3-yaml` is), else the pure-Python loader, which
//! follows libyaml; the reader used is printed. Without python3 or PyYAML the test fails: it is never
//! skipped. pin's side is `formats::yaml::tree::parse`, the reader every YAML kind goes through, without
//! the file-name and needle prefilters of `pin list` (a file without `image` is read too).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use imagepin::test_support::{parse_yaml as parse, Parsed};

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

/// The known ways pin and libyaml disagree, listed in docs/limitations.md. None of them hides or
/// changes an image of a file kubectl reads: each is input that one reader refuses and no manifest holds.
const EXCEPTIONS: &[&str] = &[
    "Helm template: passed over by pin",
    "byte order mark after the start of the stream: refused or skipped by pin, read as text or refused by libyaml",
    "empty implicit key (`: value`): read by pin (YAML 1.2), refused by libyaml (YAML 1.1)",
    "block scalar indicator starting a line, or inside brackets: its content is read differently",
    "bare document after `...` without `---`: read by pin (YAML 1.2), refused by libyaml (YAML 1.1)",
    "anchor defined twice: read by pin (YAML 1.2, the later one counts), refused by PyYAML's composer",
    "comment right after a closing quote or bracket, without a blank: refused by pin (YAML 1.2), read by libyaml",
    "tab in a line's indentation or after `- ` (before a comment, on a blank line, before a node): read by pin (YAML 1.2 separation), refused by libyaml",
    "flow collection continued on a line indented no further than its block (outside quotes): refused by pin (YAML 1.2), read by libyaml",
];

/// The lines of `text` as YAML counts them: `\n`, `\r\n` and a lone `\r` end a line.
fn yaml_lines(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut lines = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'\n' | b'\r' => {
                lines.push(&text[start..i]);
                i += if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                start = i;
            }
            _ => i += 1,
        }
    }
    if start < bytes.len() {
        lines.push(&text[start..]);
    }
    lines
}

/// `(line, column, message)` of a refusal (1-based).
fn refusal(v: &Verdict) -> Option<(usize, usize, &str)> {
    let Verdict::Refused(why) = v else {
        return None;
    };
    let (at, message) = why.split_once('\t')?;
    let (line, col) = at.split_once(':')?;
    Some((line.parse().ok()?, col.parse().ok()?, message))
}

/// Which of [`EXCEPTIONS`] a disagreement over `text` is, or `None`: then it is a failure. Each rule
/// looks at what the disagreement is about, not merely at which side refused.
fn exception(pin: &Verdict, libyaml: &Verdict, text: &str) -> Option<&'static str> {
    let lines = yaml_lines(text);
    let line_at = |n: usize| lines.get(n.wrapping_sub(1)).copied().unwrap_or("");
    if *pin == Verdict::Template {
        // pin reads none of a Helm template; libyaml refuses most of them, and reads the ones whose
        // template actions all sit where YAML allows them.
        return Some(EXCEPTIONS[0]);
    }
    if text.char_indices().any(|(i, c)| c == '\u{feff}' && i > 0) {
        return Some(EXCEPTIONS[1]);
    }
    // A line that starts with `|` or `>` after its indentation and properties: a block scalar header alone
    // on its line, whose content the two readers indent differently (or refuse).
    let header_line = |l: &str| {
        let mut rest = l.trim_start_matches(' ');
        while rest.starts_with(['!', '&']) {
            rest = rest
                .split_once(' ')
                .map_or("", |(_, r)| r.trim_start_matches(' '));
        }
        rest.starts_with(['|', '>'])
    };
    if lines.iter().any(|l| header_line(l)) {
        return Some(EXCEPTIONS[3]);
    }
    if refusal(pin).is_some_and(|(_, _, m)| m.starts_with("comments must be separated"))
        && matches!(libyaml, Verdict::Read(_))
    {
        let (line, col, _) = refusal(pin)?;
        let before: Vec<char> = line_at(line).chars().take(col - 1).collect();
        if before
            .last()
            .is_some_and(|c| matches!(c, '\'' | '"' | '}' | ']'))
        {
            return Some(EXCEPTIONS[6]);
        }
    }
    if let Some((line, _, m)) = refusal(pin) {
        if m.contains("indentation")
            && matches!(libyaml, Verdict::Read(_))
            && in_flow_under_indented(&lines, line)
        {
            return Some(EXCEPTIONS[8]);
        }
    }
    let (line, col, message) = refusal(libyaml)?;
    if !matches!(pin, Verdict::Read(_)) {
        return None;
    }
    if message == "found character that cannot start any token"
        && line_at(line)
            .chars()
            .nth(col - 1)
            .is_some_and(|c| c == '|' || c == '>')
    {
        return Some(EXCEPTIONS[3]);
    }
    let rest: String = line_at(line).chars().skip(col - 1).collect();
    if message == "did not find expected key"
        && (rest == ":" || rest.starts_with(": ") || rest.starts_with(":\t"))
    {
        return Some(EXCEPTIONS[2]);
    }
    let before = lines[..line.saturating_sub(1).min(lines.len())]
        .iter()
        .rev()
        .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    let document_messages = [
        "did not find expected <document start>",
        "did not find expected node content",
    ];
    let after_end =
        line_at(line).starts_with("...") || before.is_some_and(|l| l.starts_with("..."));
    if document_messages.contains(&message) && after_end {
        return Some(EXCEPTIONS[4]);
    }
    if message == "second occurrence" {
        return Some(EXCEPTIONS[5]);
    }
    let before: Vec<char> = line_at(line).chars().take(col - 1).collect();
    let blanks_before = before
        .iter()
        .rev()
        .take_while(|c| **c == ' ' || **c == '\t');
    let tab_indented = before
        .iter()
        .take_while(|c| **c == ' ' || **c == '\t')
        .any(|c| *c == '\t')
        || blanks_before.clone().any(|c| *c == '\t')
        || line_at(line).chars().nth(col - 1) == Some('\t');
    let tab_messages = [
        "found a tab character that violates indentation",
        "found a tab character where an indentation space is expected",
        "found character that cannot start any token",
    ];
    if tab_indented && tab_messages.contains(&message) {
        return Some(EXCEPTIONS[7]);
    }
    None
}

/// Whether line `line` (1-based) continues a flow collection (`[` or `{` opened on an earlier line, not
/// closed before it; brackets inside quotes and comments are not counted) and is indented no further than
/// the line that opened it: YAML 1.2 wants such a line indented past its block, libyaml does not look.
fn in_flow_under_indented(lines: &[&str], line: usize) -> bool {
    let indent = |l: &str| l.len() - l.trim_start_matches(' ').len();
    let mut open: Vec<usize> = Vec::new();
    for (n, l) in lines.iter().enumerate().take(line.saturating_sub(1)) {
        let mut quote = None;
        for c in l.chars() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(c),
                (None, '#') => break,
                (None, '[' | '{') => open.push(n),
                (None, ']' | '}') => {
                    open.pop();
                }
                _ => {}
            }
        }
    }
    match (open.first(), lines.get(line.wrapping_sub(1))) {
        (Some(&first), Some(l)) => indent(l) <= indent(lines[first]),
        _ => false,
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
        let failure = match (&ours, theirs) {
            (Verdict::Refused(_), Verdict::Refused(_)) => continue,
            (Verdict::Read(a), Verdict::Read(b)) if a == b => continue,
            (Verdict::Read(a), Verdict::Read(b)) => {
                let at = a
                    .iter()
                    .zip(b)
                    .position(|(x, y)| x != y)
                    .unwrap_or(a.len().min(b.len()));
                format!(
                    "{name}: both read it, values differ at scalar {at}: pin {:?}, libyaml {:?}",
                    a.get(at),
                    b.get(at)
                )
            }
            _ => format!("{name}: pin {}, libyaml {}", short(&ours), short(theirs)),
        };
        match exception(&ours, theirs, text) {
            Some(why) => match exceptions.iter_mut().find(|(w, _)| *w == why) {
                Some((_, n)) => *n += 1,
                None => exceptions.push((why, 1)),
            },
            None => failures.push(failure),
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
    eprintln!(
        "{} files compared; exceptions: {exceptions:#?}",
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} files are read by one side only:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// xorshift64*: deterministic choices for the mutants.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n.max(1) as u64) as usize
    }
}

/// Fragments where YAML readers branch.
const TOKENS: &[&str] = &[
    ": ",
    "- ",
    "'",
    "\"",
    "''",
    "\\",
    "#",
    " #",
    "[",
    "]",
    "{",
    "}",
    ", ",
    "\t",
    "&a ",
    "*a",
    "!t ",
    "!!str ",
    "|\n",
    ">-\n",
    "? ",
    "---\n",
    "...\n",
    "%YAML 1.2\n",
    "@",
    "`",
    "\r\n",
    "\n",
    "  ",
    ":",
    "-",
    "{{ x }}",
    "<<: *a\n",
    "é",
    "\u{feff}",
];

/// One mutant of `text`: a prefix of it or the whole, then one to three edits of lines and tokens.
fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_owned).collect();
    if rng.below(2) == 0 {
        lines.truncate(1 + rng.below(60));
    }
    for _ in 0..1 + rng.below(3) {
        if lines.is_empty() {
            lines.push(String::new());
        }
        let i = rng.below(lines.len());
        match rng.below(6) {
            0 => {
                lines.remove(i);
            }
            1 => {
                let line = lines[i].clone();
                lines.insert(i, line);
            }
            2 => {
                let line = &mut lines[i];
                if rng.below(2) == 0 {
                    let n = 1 + rng.below(3);
                    line.insert_str(0, &" ".repeat(n));
                } else {
                    let n = line.len() - line.trim_start_matches(' ').len();
                    line.drain(..n.min(1 + rng.below(3)));
                }
            }
            3 if i + 1 < lines.len() => lines.swap(i, i + 1),
            _ => {
                let line = &mut lines[i];
                let mut at = rng.below(line.len() + 1);
                while !line.is_char_boundary(at) {
                    at -= 1;
                }
                line.insert_str(at, TOKENS[rng.below(TOKENS.len())]);
            }
        }
    }
    lines.concat()
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn pin_and_libyaml_agree_on_mutated_files() {
    let mutants = env_number("PIN_DIFF_MUTANTS", 600);
    let seed = env_number("PIN_DIFF_SEED", 1);
    let seeds = corpus();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ seed.wrapping_mul(0xff51_afd7_ed55_8ccd) | 1);
    let cases: Vec<(String, String)> = (0..mutants)
        .map(|i| {
            let (name, text) = &seeds[rng.below(seeds.len())];
            (format!("mutant {i} of {name}"), mutate(&mut rng, text))
        })
        .collect();
    let (failures, exceptions) = compare(&cases);
    eprintln!("{mutants} mutants (PIN_DIFF_SEED={seed}); exceptions: {exceptions:#?}");
    if let Some(dir) = std::env::var_os("PIN_DIFF_SAVE") {
        for (i, (_, text)) in cases.iter().enumerate() {
            std::fs::write(Path::new(&dir).join(format!("{i}.yaml")), text).unwrap();
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {mutants} mutants are read by one side only (PIN_DIFF_SAVE=dir writes them):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
