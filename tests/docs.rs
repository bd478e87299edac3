//! The documentation stays true: every `console` block of README.md, CONTRIBUTING.md and docs/*.md that runs
//! offline is run, and its output compared with the output shown; every relative link and anchor resolves; the
//! README stays short and links every page of docs/.
//!
//! The conventions (CONTRIBUTING.md, "Examples in the documentation are run"):
//! - A block fenced ```` ```console ```` is run: each `$ ` line is a command (a line ending in `\` continues on
//!   the next), and the lines after it, up to the next command, are the output it must print (stdout and
//!   stderr together, as a terminal shows them). `…` in a line stands for any text; a line that is only `…`
//!   for any number of lines. Runs of spaces and tabs compare equal to one space, and trailing ones are
//!   ignored. A command must exit 0 unless the next command is `echo $?`, whose output then shows the status.
//! - More words after `console` mark a block that is not run: `registry` (it needs a registry, the network or
//!   credentials) and `tools` (it needs programs other than `pin` and a shell's usual utilities, such as
//!   cargo, helm, kubectl or gh, or it would install something).
//! - Each block runs in one `bash` (with `pipefail`), in a fresh temporary directory holding a copy of
//!   `examples/`, with the environment cleared: `HOME` is another fresh directory, `PATH` starts with the
//!   directory of the `pin` that cargo built, `LC_ALL=C`, and every registry is out of reach (a proxy on a
//!   closed port). `cargo run --release --` stands for that `pin`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::copy_dir;

/// The words that may follow `console` in a fence: a block so marked is not run.
const MARKERS: &[&str] = &["registry", "tools"];

/// What `cargo run` in the documentation stands for.
const CARGO_RUN: &str = "cargo run --release -- ";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// README.md, CONTRIBUTING.md and every page of docs/, relative to the root.
fn doc_files() -> Vec<PathBuf> {
    let mut files = vec![PathBuf::from("README.md"), PathBuf::from("CONTRIBUTING.md")];
    let mut pages: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .map(|p| p.strip_prefix(root()).unwrap().to_path_buf())
        .collect();
    pages.sort();
    files.extend(pages);
    files
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A fenced code block: where it starts, its info string, and its lines (the fence's indentation removed).
struct Fence {
    /// 1-based line of the first line inside the fence.
    line: usize,
    info: String,
    lines: Vec<String>,
}

/// A fence's opening line: its indentation, the number of backticks, and the info string. As in CommonMark,
/// three or more backticks, and an info string without backticks (so ```` ```console ```` in prose is not one).
fn fence_open(line: &str) -> Option<(usize, usize, &str)> {
    let trimmed = line.trim_start();
    let ticks = trimmed.len() - trimmed.trim_start_matches('`').len();
    let info = &trimmed[ticks..];
    (ticks >= 3 && !info.contains('`')).then(|| (line.len() - trimmed.len(), ticks, info.trim()))
}

/// Whether a line closes a fence opened with `ticks` backticks.
fn fence_close(line: &str, ticks: usize) -> bool {
    let trimmed = line.trim();
    trimmed.len() >= ticks && trimmed.chars().all(|c| c == '`')
}

/// The fenced code blocks of a Markdown text (possibly indented inside a list item).
fn fences(text: &str) -> Vec<Fence> {
    let mut out = Vec::new();
    let mut open: Option<(usize, usize, Fence)> = None;
    for (i, line) in text.lines().enumerate() {
        match &mut open {
            None => {
                if let Some((indent, ticks, info)) = fence_open(line) {
                    let fence = Fence {
                        line: i + 2,
                        info: info.to_string(),
                        lines: Vec::new(),
                    };
                    open = Some((indent, ticks, fence));
                }
            }
            Some((indent, ticks, fence)) => {
                if fence_close(line, *ticks) {
                    out.push(open.take().unwrap().2);
                } else {
                    let cut = line.len() - line.trim_start().len();
                    fence.lines.push(line[cut.min(*indent)..].to_string());
                }
            }
        }
    }
    assert!(open.is_none(), "a code fence is not closed");
    out
}

/// For each line of a Markdown text, whether it is part of a fenced code block (fences included).
fn in_code(text: &str) -> Vec<bool> {
    let mut out = Vec::new();
    let mut open: Option<usize> = None;
    for line in text.lines() {
        match open {
            None => open = fence_open(line).map(|(_, ticks, _)| ticks),
            Some(ticks) if fence_close(line, ticks) => {
                out.push(true);
                open = None;
                continue;
            }
            Some(_) => {}
        }
        out.push(open.is_some());
    }
    out
}

/// One `$ ` command of a console block and the output shown after it.
struct Shown {
    line: usize,
    command: String,
    output: Vec<String>,
}

/// A console block: where it is, its markers, its commands.
struct Block {
    file: PathBuf,
    line: usize,
    markers: Vec<String>,
    commands: Vec<Shown>,
}

fn console_blocks(file: &Path) -> Vec<Block> {
    let mut blocks = Vec::new();
    for fence in fences(&read(file)) {
        let mut words = fence.info.split_whitespace();
        if words.next() != Some("console") {
            continue;
        }
        let markers: Vec<String> = words.map(str::to_string).collect();
        let mut commands: Vec<Shown> = Vec::new();
        let mut lines = fence.lines.iter().enumerate();
        while let Some((i, line)) = lines.next() {
            if let Some(command) = line.strip_prefix("$ ") {
                let mut command = command.to_string();
                while command.ends_with('\\') {
                    let (_, next) = lines.next().unwrap_or_else(|| {
                        panic!(
                            "{}:{}: a command ends in `\\`",
                            file.display(),
                            fence.line + i
                        )
                    });
                    command.push('\n');
                    command.push_str(next);
                }
                commands.push(Shown {
                    line: fence.line + i,
                    command,
                    output: Vec::new(),
                });
            } else {
                let shown = commands.last_mut().unwrap_or_else(|| {
                    panic!(
                        "{}:{}: a console block starts with output, not with a `$ ` command",
                        file.display(),
                        fence.line + i
                    )
                });
                shown.output.push(line.clone());
            }
        }
        blocks.push(Block {
            file: file.to_path_buf(),
            line: fence.line,
            markers,
            commands,
        });
    }
    blocks
}

/// What one command printed and how it exited.
struct Ran {
    output: String,
    status: i32,
}

/// Runs a block's commands in one shell, in a fresh directory holding a copy of `examples/`.
fn run(block: &Block) -> Vec<Ran> {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    let home = tmp.path().join("home");
    let scratch = tmp.path().join("tmp");
    copy_dir(&root().join("examples"), &work.join("examples"));
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&scratch).unwrap();

    // After each command: a record separator, its status, another separator; `$?` is then restored for a
    // following `echo $?`.
    let mut script = String::from("exec 2>&1\nset -o pipefail\n__pin_ret() { return \"$1\"; }\n");
    for shown in &block.commands {
        script.push_str(&shown.command.replace(CARGO_RUN, "pin "));
        script
            .push_str("\n__pin_s=$?; printf '\\036%d\\036' \"$__pin_s\"; __pin_ret \"$__pin_s\"\n");
    }
    let pin = Path::new(env!("CARGO_BIN_EXE_pin"));
    let mut path = std::ffi::OsString::from(pin.parent().unwrap());
    path.push(":");
    path.push(std::env::var_os("PATH").unwrap_or_default());
    let out = Command::new("bash")
        .args(["--noprofile", "--norc", "-c", &script])
        .current_dir(&work)
        .env_clear()
        .env("PATH", path)
        .env("HOME", &home)
        .env("TMPDIR", &scratch)
        .env("LC_ALL", "C")
        // No registry is reachable: a lookup fails at once (connection refused) instead of waiting on the
        // network, so a block that needs one fails fast and says so.
        .env("HTTPS_PROXY", "http://127.0.0.1:9")
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .stdin(Stdio::null())
        .output()
        .expect("bash");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut parts = text.split('\u{1e}');
    let mut ran = Vec::new();
    for _ in &block.commands {
        let (Some(output), Some(status)) = (parts.next(), parts.next()) else {
            // The shell stopped early (a command ran `exit`): what it printed is the last output.
            ran.push(Ran {
                output: text.clone(),
                status: out.status.code().unwrap_or(-1),
            });
            break;
        };
        ran.push(Ran {
            output: output.to_string(),
            status: status.parse().unwrap_or(-1),
        });
    }
    ran
}

/// A line as compared: runs of spaces and tabs as one space, no trailing ones.
fn normalize(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `line` matches `pattern`, where `…` stands for any text.
fn line_matches(pattern: &str, line: &str) -> bool {
    let parts: Vec<&str> = pattern.split('…').collect();
    if parts.len() == 1 {
        return pattern == line;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !line.starts_with(first) || line.len() < first.len() + last.len() || !line.ends_with(last) {
        return false;
    }
    let mut rest = &line[first.len()..line.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// Whether the lines printed match the lines shown, where a line `…` stands for any number of lines.
fn lines_match(shown: &[String], printed: &[String]) -> bool {
    match shown.split_first() {
        None => printed.is_empty(),
        Some((first, rest)) if first == "…" => {
            (0..=printed.len()).any(|k| lines_match(rest, &printed[k..]))
        }
        Some((first, rest)) => {
            printed.first().is_some_and(|p| line_matches(first, p))
                && lines_match(rest, &printed[1..])
        }
    }
}

/// Why a block's run differs from what the documentation shows; empty when it does not.
fn differences(block: &Block, ran: &[Ran]) -> Vec<String> {
    let mut found = Vec::new();
    for (i, shown) in block.commands.iter().enumerate() {
        let place = format!(
            "{}:{}: $ {}",
            block.file.display(),
            shown.line,
            shown.command
        );
        let Some(ran) = ran.get(i) else {
            found.push(format!(
                "{place}\n  was not reached: the shell stopped before it"
            ));
            break;
        };
        let want: Vec<String> = shown.output.iter().map(|l| normalize(l)).collect();
        let got: Vec<String> = ran.output.lines().map(normalize).collect();
        if !lines_match(&want, &got) {
            found.push(format!(
                "{place}\n  shows:\n{}\n  prints (exit {}):\n{}",
                indent(&shown.output.join("\n")),
                ran.status,
                indent(ran.output.trim_end())
            ));
        }
        let status_shown = block
            .commands
            .get(i + 1)
            .is_some_and(|next| next.command.trim() == "echo $?");
        if ran.status != 0 && !status_shown {
            found.push(format!(
                "{place}\n  exits {} (a command that fails must be followed by `$ echo $?` and the status); \
                 it printed:\n{}",
                ran.status,
                indent(ran.output.trim_end())
            ));
        }
    }
    found
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    | {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn console_blocks_print_what_they_show() {
    let mut ran_blocks = 0;
    let mut failures = Vec::new();
    for file in doc_files() {
        for block in console_blocks(&file) {
            let place = format!("{}:{}", block.file.display(), block.line);
            assert!(
                !block.commands.is_empty(),
                "{place}: a console block without a `$ ` command"
            );
            if let Some(unknown) = block
                .markers
                .iter()
                .find(|m| !MARKERS.contains(&m.as_str()))
            {
                panic!("{place}: unknown marker `{unknown}` after `console` (known: {MARKERS:?})");
            }
            if !block.markers.is_empty() {
                continue;
            }
            ran_blocks += 1;
            let ran = run(&block);
            failures.extend(differences(&block, &ran));
        }
    }
    assert!(ran_blocks >= 3, "only {ran_blocks} console blocks were run");
    assert!(
        failures.is_empty(),
        "{} command(s) of the documentation do not do what it shows (fix the page, or mark a block that \
         needs a registry with `console registry`, one that needs other programs with `console tools`):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a Markdown text's headings (outside code blocks), with GitHub's `-1`, `-2` for repeats.
fn anchors(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (line, code) in text.lines().zip(in_code(text)) {
        if code {
            continue;
        }
        let hashes = line.len() - line.trim_start_matches('#').len();
        if (1..=6).contains(&hashes) && line[hashes..].starts_with(' ') {
            let base = slug(&line[hashes..]);
            let mut anchor = base.clone();
            let mut n = 0;
            while out.contains(&anchor) {
                n += 1;
                anchor = format!("{base}-{n}");
            }
            out.push(anchor);
        }
    }
    out
}

/// The targets of a Markdown text's inline links `[text](target)`, outside code blocks and code spans, with
/// their line.
fn links(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, (line, code)) in text.lines().zip(in_code(text)).enumerate() {
        if code {
            continue;
        }
        // Code spans hold text such as `](x)` that is not a link.
        let prose: String = line.split('`').step_by(2).collect::<Vec<_>>().join("");
        let mut rest = prose.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            out.push((i + 1, after[..end].to_string()));
            rest = &after[end..];
        }
    }
    out
}

#[test]
fn relative_links_and_anchors_resolve() {
    let mut broken = Vec::new();
    for file in doc_files() {
        let text = read(&file);
        for (line, target) in links(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (path, anchor) = match target.split_once('#') {
                Some((p, a)) => (p, Some(a)),
                None => (target.as_str(), None),
            };
            let linked = if path.is_empty() {
                file.clone()
            } else {
                file.parent().unwrap().join(path)
            };
            if !root().join(&linked).exists() {
                broken.push(format!("{}:{line}: {target}: no such file", file.display()));
                continue;
            }
            if let Some(anchor) = anchor {
                let is_markdown = linked.extension().is_some_and(|e| e == "md");
                if !is_markdown || !anchors(&read(&linked)).iter().any(|a| a == anchor) {
                    broken.push(format!(
                        "{}:{line}: {target}: no such heading",
                        file.display()
                    ));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_readme_is_short_has_contents_and_links_every_page() {
    let readme = read(Path::new("README.md"));
    let lines = readme.lines().count();
    assert!(
        lines <= 300,
        "README.md has {lines} lines; keep it at 300 or fewer (move detail to docs/)"
    );
    assert!(
        readme.contains("\n## Contents\n"),
        "README.md has no table of contents"
    );
    let linked: Vec<String> = links(&readme).into_iter().map(|(_, t)| t).collect();
    for page in doc_files().iter().filter(|p| p.starts_with("docs")) {
        let page = page.to_str().unwrap();
        assert!(
            linked
                .iter()
                .any(|t| t == page || t.starts_with(&format!("{page}#"))),
            "README.md does not link {page}"
        );
    }
}

#[test]
fn the_matching_rules_of_console_blocks() {
    let s = |v: &[&str]| v.iter().map(|l| l.to_string()).collect::<Vec<_>>();
    assert!(line_matches("a …b… c", "a xbyz c"));
    assert!(line_matches("sha256:…", "sha256:"));
    assert!(!line_matches("a…a", "a"));
    assert!(!line_matches("abc", "abcd"));
    assert!(lines_match(&s(&["x", "…", "z"]), &s(&["x", "z"])));
    assert!(lines_match(&s(&["x", "…", "z"]), &s(&["x", "1", "2", "z"])));
    assert!(!lines_match(
        &s(&["x", "…", "z"]),
        &s(&["x", "1", "z", "2"])
    ));
    assert!(!lines_match(&s(&[]), &s(&["unexpected"])));
    assert_eq!(normalize(" a\t\tb  "), "a b");
    assert_eq!(
        slug("Verifying pins: `pin verify`"),
        "verifying-pins-pin-verify"
    );
    assert_eq!(slug("`text` (the default)"), "text-the-default");
}
