//! Reading: every file (or stdin) is read, searched by its kind's finder, and each candidate classified
//! before any registry is asked.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use regex_lite::Regex;

use crate::cli::SelectArgs;
use crate::formats::{Candidate, Kind, LineIndex, Target};
use crate::reference::Reference;
use crate::walk;

/// The name stdin goes by in messages and JSON.
pub const STDIN: &str = "<stdin>";

/// One file read and searched.
#[derive(Debug)]
pub struct ScannedFile {
    /// `None` for stdin.
    pub path: Option<PathBuf>,
    /// The path as printed: relative to the current directory when possible.
    pub display: String,
    pub kind: Kind,
    pub src: String,
    pub refs: Vec<Found>,
    /// Why the whole file was passed over, if it was.
    pub skipped: Option<String>,
}

/// One candidate with its location and what `pin` makes of it.
#[derive(Debug)]
pub struct Found {
    pub candidate: Candidate,
    pub line: usize,
    pub column: usize,
    pub status: Status,
}

#[derive(Debug)]
pub enum Status {
    /// A valid reference without a digest.
    Unpinned(Reference),
    /// A valid reference that carries a digest.
    Pinned(Reference),
    /// Not to be touched, and why.
    Skipped(String),
}

/// What was read: the files, and how many could not be (already reported on stderr).
#[derive(Debug, Default)]
pub struct Scan {
    pub files: Vec<ScannedFile>,
    pub unreadable: usize,
}

impl Scan {
    pub fn is_stdin(&self) -> bool {
        self.files.len() == 1 && self.files[0].path.is_none()
    }
}

/// `--skip` patterns, compiled once.
#[derive(Default)]
pub struct Filters {
    skip: Vec<(String, Regex)>,
}

impl Filters {
    pub fn new(select: &SelectArgs) -> Result<Filters, String> {
        let skip = select
            .skip
            .iter()
            .map(|p| {
                Regex::new(p)
                    .map(|r| (p.clone(), r))
                    .map_err(|e| format!("--skip {p:?}: {e}"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Filters { skip })
    }
}

/// Reads and searches every file under `paths` (or stdin for `-`). `None` when the paths themselves are
/// wrong (already reported); a file that cannot be read or parsed is reported and counted, and the rest go on.
pub fn scan(
    paths: &[PathBuf],
    select: &SelectArgs,
    err: &mut dyn Write,
) -> io::Result<Option<Scan>> {
    let filters = match Filters::new(select) {
        Ok(f) => f,
        Err(e) => {
            writeln!(err, "pin: error: {e}")?;
            return Ok(None);
        }
    };
    if paths.iter().any(|p| p.as_os_str() == "-") {
        if paths.len() != 1 {
            writeln!(
                err,
                "pin: error: `-` (stdin) cannot be combined with other paths"
            )?;
            return Ok(None);
        }
        let mut src = String::new();
        if let Err(e) = io::stdin().read_to_string(&mut src) {
            writeln!(err, "{STDIN}: error: cannot read: {e}")?;
            return Ok(None);
        }
        let mut scan = Scan::default();
        let read = read_one(
            None,
            STDIN.to_string(),
            select.stdin_kind.kind(),
            src,
            &filters,
        );
        scan.add(read, err)?;
        return Ok(Some(scan));
    }
    let excludes = match &select.exclude_base {
        Some(base) => walk::Excludes::relative_to(&select.exclude, base),
        None => walk::Excludes::new(&select.exclude),
    };
    let excludes = match excludes {
        Ok(x) => x,
        Err(e) => {
            writeln!(err, "pin: error: {e}")?;
            return Ok(None);
        }
    };
    let walk::Listing {
        files: listed,
        errors,
    } = walk::files(paths, &excludes, select.force_exclude);
    let mut scan = Scan::default();
    for e in errors {
        writeln!(err, "pin: error: {e}")?;
        scan.unreadable += 1;
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    let reads = parallel_map(listed, |(path, kind)| {
        let display = display_path(&path, &cwd);
        match std::fs::read(&path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(src) => read_one(Some(path), display, kind, src, &filters),
                Err(e) => {
                    let off = e.utf8_error().valid_up_to();
                    let head = String::from_utf8_lossy(&e.as_bytes()[..off]).into_owned();
                    let (line, col) = LineIndex::new(&head).line_col(&head, off);
                    Err(format!("{display}:{line}:{col}: error: not UTF-8 text"))
                }
            },
            Err(e) => Err(format!("{display}: error: cannot read: {e}")),
        }
    });
    for read in reads {
        scan.add(read, err)?;
    }
    Ok(Some(scan))
}

/// `f` over `items` on every core, results in the order of `items`: reading and parsing dominate a large
/// tree, and files are independent.
fn parallel_map<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(items.len().max(1));
    if workers <= 1 {
        return items.into_iter().map(f).collect();
    }
    let queue = std::sync::Mutex::new(items.into_iter().enumerate());
    let mut results: Vec<(usize, R)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let next = queue.lock().expect("work queue poisoned").next();
                        let Some((i, item)) = next else { break };
                        done.push((i, f(item)));
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a scanning thread panicked"))
            .collect()
    });
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

impl Scan {
    /// Takes one file's result; a failure is reported on `err` and counted, and so is a file passed over
    /// whole.
    fn add(&mut self, read: Result<ScannedFile, String>, err: &mut dyn Write) -> io::Result<()> {
        match read {
            Ok(file) => {
                if let Some(why) = &file.skipped {
                    writeln!(err, "{}: skipped file: {why}", file.display)?;
                }
                self.files.push(file);
            }
            Err(message) => {
                writeln!(err, "{message}")?;
                self.unreadable += 1;
            }
        }
        Ok(())
    }
}

/// Searches one file and classifies what it finds; the error is the message to print.
fn read_one(
    path: Option<PathBuf>,
    display: String,
    kind: Kind,
    src: String,
    filters: &Filters,
) -> Result<ScannedFile, String> {
    let index = LineIndex::new(&src);
    let findings = kind.find(&src).map_err(|e| {
        let (line, col) = index.line_col(&src, e.offset.min(src.len()));
        format!("{display}:{line}:{col}: error: {e}")
    })?;
    let refs: Vec<Found> = findings
        .candidates
        .into_iter()
        .map(|candidate| {
            let (line, column) = index.line_col(&src, location(&src, &candidate));
            let status = classify(&candidate, &src, filters);
            Found {
                candidate,
                line,
                column,
                status,
            }
        })
        .collect();
    // A file without references is never rewritten: do not hold its text for the rest of the run. Stdin is
    // the exception: a filter prints its stream whatever it holds.
    let src = if refs.is_empty() && path.is_some() {
        String::new()
    } else {
        src
    };
    Ok(ScannedFile {
        path,
        display,
        kind,
        src,
        refs,
        skipped: findings.skipped,
    })
}

/// Where messages place a candidate: its span, except for a whole inserted line, which would point at the
/// start of the line after the entry; the line it follows (the entry's `newTag:`) is where a reader looks.
fn location(src: &str, c: &Candidate) -> usize {
    let at = c.span.start;
    match &c.target {
        Target::InsertDigest { prefix, .. } if at > 0 && !prefix.trim().is_empty() => {
            let before = src[..at].trim_end_matches(['\n', '\r']);
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            line_start + (before.len() - line_start - before[line_start..].trim_start().len())
        }
        _ => at,
    }
}

/// What `pin` makes of one candidate, before any registry is asked.
pub fn classify(c: &Candidate, src: &str, filters: &Filters) -> Status {
    if ignored_by_comment(src, c.span.start) {
        return Status::Skipped("marked `# pin: ignore`".to_string());
    }
    classify_value(c, filters)
}

/// [`classify`] without the comments around the candidate.
pub fn classify_value(c: &Candidate, filters: &Filters) -> Status {
    if let Some(why) = &c.skip {
        return Status::Skipped(why.clone());
    }
    let parsed = Reference::parse(&c.value);
    // A pattern matches the reference as written or its normalized form, so `^docker\.io/` also skips
    // `busybox:1.38.0` (which is `docker.io/library/busybox:1.38.0`).
    let normalized = parsed.as_ref().ok().map(Reference::normalized_string);
    let matches =
        |r: &Regex| r.is_match(&c.value) || normalized.as_deref().is_some_and(|n| r.is_match(n));
    if let Some((pattern, _)) = filters.skip.iter().find(|(_, r)| matches(r)) {
        return Status::Skipped(format!("matches --skip {pattern:?}"));
    }
    match parsed {
        Err(_) if looks_templated(&c.value) => {
            Status::Skipped("a template or placeholder, not an image reference".to_string())
        }
        Err(e) => Status::Skipped(format!("not a valid image reference: {e}")),
        Ok(r) if r.digest().is_some() => Status::Pinned(r),
        Ok(r) => Status::Unpinned(r),
    }
}

/// Helm/Go templates, shell, compose and CI variables (`${X}`, `$X`, `$(cmd)`), `<YOUR-IMAGE>` placeholders.
fn looks_templated(v: &str) -> bool {
    let variable = v.match_indices('$').any(|(i, _)| {
        v[i + 1..]
            .chars()
            .next()
            .is_some_and(|c| c == '{' || c == '(' || c == '_' || c.is_ascii_alphabetic())
    });
    variable || v.contains("{{") || (v.contains('<') && v.contains('>'))
}

/// A `# pin: ignore` comment on the line holding `offset`, or alone on the line above it.
fn ignored_by_comment(src: &str, offset: usize) -> bool {
    let start = src[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = src[offset..].find('\n').map_or(src.len(), |i| offset + i);
    if has_ignore_comment(&src[offset.min(end)..end]) {
        return true;
    }
    if start == 0 {
        return false;
    }
    let above_start = src[..start - 1].rfind('\n').map_or(0, |i| i + 1);
    let above = src[above_start..start - 1].trim();
    above.starts_with('#') && has_ignore_comment(above)
}

/// Whether `text` holds a comment `# pin: ignore` (spaces optional).
fn has_ignore_comment(text: &str) -> bool {
    text.match_indices('#').any(|(i, _)| {
        let rest = text[i + 1..].trim_start();
        rest.strip_prefix("pin:").is_some_and(|r| {
            let r = r.trim_start();
            r.strip_prefix("ignore")
                .is_some_and(|after| !after.starts_with(|c: char| c.is_alphanumeric()))
        })
    })
}

/// `path` relative to `cwd` when it lies below it; otherwise as given. Always `/`-separated.
fn display_path(path: &Path, cwd: &Path) -> String {
    let rel = if path.is_absolute() {
        path.strip_prefix(cwd).unwrap_or(path)
    } else {
        path
    };
    rel.to_string_lossy().replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignore_comments_on_the_line_or_above() {
        let src = "a:\n  image: x:1 # pin: ignore\n  # pin:ignore\n  image: y:1\n  image: z:1\n  image: w:1 # pin: ignored-not\n";
        let at = |s: &str| src.find(s).unwrap();
        assert!(ignored_by_comment(src, at("x:1")));
        assert!(ignored_by_comment(src, at("y:1")));
        assert!(!ignored_by_comment(src, at("z:1")));
        assert!(!ignored_by_comment(src, at("w:1")));
        assert!(has_ignore_comment("FROM x # pin: ignore"));
        assert!(!has_ignore_comment("FROM x # pinned"));
    }

    #[test]
    fn parallel_map_keeps_the_order() {
        let out = parallel_map((0..1000).collect(), |i: u32| i * 2);
        assert_eq!(out, (0..1000).map(|i| i * 2).collect::<Vec<_>>());
        assert_eq!(parallel_map(Vec::<u32>::new(), |i| i), Vec::<u32>::new());
    }

    #[test]
    fn an_inserted_line_is_located_at_the_line_it_follows() {
        let src = "images:\n  - name: a\n    newTag: v1\nother: x\n";
        let at = src.find("other").unwrap();
        let c = Candidate {
            span: at..at,
            value: "a:v1".into(),
            skip: None,
            pull_policy_set: None,
            target: Target::InsertDigest {
                prefix: "    digest: ".into(),
                suffix: "\n".into(),
            },
        };
        assert_eq!(location(src, &c), src.find("newTag").unwrap());
    }

    #[test]
    fn classification() {
        let filters = Filters {
            skip: vec![("^internal/".into(), Regex::new("^internal/").unwrap())],
        };
        let c = |v: &str| Candidate {
            span: 0..v.len(),
            value: v.to_string(),
            skip: None,
            pull_policy_set: None,
            target: Default::default(),
        };
        let status = |v: &str| classify(&c(v), v, &filters);
        assert!(matches!(status("nginx:1.27"), Status::Unpinned(_)));
        let pinned = format!("nginx@sha256:{}", "a".repeat(64));
        assert!(matches!(status(&pinned), Status::Pinned(_)));
        assert!(matches!(status("internal/app:1"), Status::Skipped(s) if s.contains("--skip")));
        let hub = Filters {
            skip: vec![("^docker\\.io/".into(), Regex::new("^docker\\.io/").unwrap())],
        };
        let skipped_by_hub = |v: &str| matches!(classify(&c(v), v, &hub), Status::Skipped(_));
        assert!(
            skipped_by_hub("busybox:1.38.0"),
            "normalized: docker.io/library/busybox"
        );
        assert!(skipped_by_hub("docker.io/org/app:1"));
        assert!(!skipped_by_hub("ghcr.io/org/app:1"));
        assert!(
            matches!(status("{{ .Values.image }}"), Status::Skipped(s) if s.contains("template"))
        );
        assert!(matches!(status("Not A Ref"), Status::Skipped(s) if s.contains("not a valid")));
        for templated in [
            "$RELAY_IMAGE",
            "${REGISTRY}/app:1",
            "app:$(git rev-parse HEAD)",
            "<YOUR-IMAGE>",
        ] {
            assert!(
                matches!(status(templated), Status::Skipped(s) if s.contains("template")),
                "{templated}"
            );
        }
    }
}
