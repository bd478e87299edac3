//! The pipeline: walk → find → classify → resolve each unique tag once → rewrite → report.
//!
//! Changes are computed once; the mode (diff, write, check, list) only decides what is done with them.
//! Nothing is written unless every lookup succeeded and every file was read.

use std::collections::BTreeSet;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::cli::{Cli, Command, PinArgs, ResolveArgs, ResolveCmdArgs};
use crate::formats::{Candidate, Kind, LineIndex, Target};
use crate::reference::Reference;
use crate::report::{self, Summary, SummaryLine};
use crate::resolve::lock::Lockfile;
use crate::resolve::{self, Key, Platform, Resolutions, ResolveError};
use crate::rewrite::{self, Edit};
use crate::walk;

/// The process exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// Done; in a dry run the diff was printed.
    Success = 0,
    /// `--check` found references to pin.
    Changes = 1,
    /// Something failed; no file was written.
    Error = 2,
}

/// One file read and searched.
#[derive(Debug)]
pub struct ScannedFile {
    pub path: PathBuf,
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
    /// A valid reference with a tag (or none) and no digest: to be resolved.
    Unpinned(Reference),
    /// Already carries a digest: left alone.
    Pinned(Reference),
    /// Not to be touched, and why.
    Skipped(String),
}

/// One file whose text changes.
#[derive(Debug)]
pub struct FileChange<'a> {
    pub file: &'a ScannedFile,
    pub new: String,
}

/// Runs a parsed command line; `out` gets diffs and listings, `err` messages and the summary.
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<ExitStatus> {
    match cli.command {
        Some(Command::List(args)) => list(&args.paths, args.output.quiet, out, err),
        Some(Command::Resolve(args)) => resolve_refs(&args, out, err),
        None => pin(&cli.pin, out, err),
    }
}

fn list(
    paths: &[PathBuf],
    quiet: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<ExitStatus> {
    let (files, mut summary) = match scan(paths, err)? {
        Some(scanned) => scanned,
        None => return Ok(ExitStatus::Error),
    };
    for file in &files {
        for f in &file.refs {
            let location = format!("{}:{}:{}", file.display, f.line, f.column);
            let status = match &f.status {
                Status::Unpinned(_) => "unpinned".to_string(),
                Status::Pinned(_) => "pinned".to_string(),
                Status::Skipped(why) => format!("skipped: {why}"),
            };
            report::list_line(out, &location, &f.candidate.value, &status)?;
        }
    }
    summary.pinned = count(&files, |s| matches!(s, Status::Unpinned(_)));
    if !quiet {
        writeln!(
            err,
            "{}",
            SummaryLine {
                summary: &summary,
                verb: "to pin"
            }
        )?;
    }
    Ok(if summary.errors > 0 {
        ExitStatus::Error
    } else {
        ExitStatus::Success
    })
}

fn pin(args: &PinArgs, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<ExitStatus> {
    let (files, mut summary) = match scan(&args.paths, err)? {
        Some(scanned) => scanned,
        None => return Ok(ExitStatus::Error),
    };
    report_skips(&files, err)?;

    let platform = args.resolve.platform.as_ref();
    let keys: BTreeSet<Key> = files
        .iter()
        .flat_map(|f| &f.refs)
        .filter_map(|f| match &f.status {
            Status::Unpinned(r) => Some(Key::of(r, platform)),
            _ => None,
        })
        .collect();
    let Some(mut lookup) = lookup(&args.resolve, keys, args.output.verbose, err)? else {
        return Ok(ExitStatus::Error);
    };
    let resolved = &lookup.resolved;

    let plan = plan(&files, resolved, args.resolve.keep_tag, platform);
    for e in &plan.errors {
        writeln!(err, "{e}")?;
    }
    for n in &plan.notes {
        writeln!(err, "{n}")?;
    }
    summary.errors += plan.errors.len();
    summary.pinned = plan.pinned;
    if summary.errors > 0 {
        if !args.output.quiet {
            writeln!(
                err,
                "{}",
                SummaryLine {
                    summary: &summary,
                    verb: "resolved"
                }
            )?;
        }
        writeln!(
            err,
            "pin: nothing written: {} lookups failed",
            plan.errors.len()
        )?;
        return Ok(ExitStatus::Error);
    }

    if !args.check && !lookup.save_lock(err)? {
        return Ok(ExitStatus::Error);
    }

    let status = if args.write {
        let writes: Vec<_> = plan
            .changes
            .iter()
            .map(|c| (c.file.path.as_path(), c.new.as_bytes()))
            .collect();
        if let Err(e) = rewrite::write_all_atomic(&writes) {
            writeln!(err, "pin: error: {e}")?;
            return Ok(ExitStatus::Error);
        }
        ExitStatus::Success
    } else {
        if !args.check {
            for change in &plan.changes {
                out.write_all(
                    report::unified_diff(&change.file.display, &change.file.src, &change.new)
                        .as_bytes(),
                )?;
            }
        }
        if args.check && !plan.changes.is_empty() {
            for change in &plan.changes {
                writeln!(err, "pin: {} has unpinned references", change.file.display)?;
            }
            ExitStatus::Changes
        } else {
            ExitStatus::Success
        }
    };
    if !args.output.quiet {
        let verb = if args.write { "pinned" } else { "to pin" };
        writeln!(
            err,
            "{}",
            SummaryLine {
                summary: &summary,
                verb
            }
        )?;
    }
    Ok(status)
}

/// `pin resolve REF...`: one line per argument, in order: the reference as `pin` would write it.
fn resolve_refs(
    args: &ResolveCmdArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<ExitStatus> {
    let mut refs = Vec::with_capacity(args.refs.len());
    for text in &args.refs {
        match Reference::parse(text) {
            Ok(r) => refs.push(r),
            Err(e) => {
                writeln!(err, "pin: error: {text:?} is not an image reference: {e}")?;
                return Ok(ExitStatus::Error);
            }
        }
    }
    let platform = args.resolve.platform.as_ref();
    let keys = refs
        .iter()
        .filter(|r| r.digest().is_none())
        .map(|r| Key::of(r, platform))
        .collect();
    let Some(mut lookup) = lookup(&args.resolve, keys, args.output.verbose, err)? else {
        return Ok(ExitStatus::Error);
    };
    let mut lines = Vec::with_capacity(refs.len());
    let mut failed = false;
    for r in &refs {
        if r.digest().is_some() {
            lines.push(r.as_str().to_string());
            continue;
        }
        match &lookup.resolved[&Key::of(r, platform)] {
            Ok(m) => lines.push(r.pinned(&m.digest, args.resolve.keep_tag)),
            Err(e) => {
                writeln!(err, "pin: error: cannot resolve {}: {e}", r.as_str())?;
                failed = true;
            }
        }
    }
    // All or nothing, as for files: a script reading stdout never gets a partial answer.
    if failed || !lookup.save_lock(err)? {
        return Ok(ExitStatus::Error);
    }
    for line in lines {
        writeln!(out, "{line}")?;
    }
    Ok(ExitStatus::Success)
}

/// Reads and searches every file. `None` when a path could not be walked at all (already reported).
fn scan(paths: &[PathBuf], err: &mut dyn Write) -> io::Result<Option<(Vec<ScannedFile>, Summary)>> {
    let listed = match walk::files(paths) {
        Ok(l) => l,
        Err(e) => {
            writeln!(err, "pin: error: {e}")?;
            return Ok(None);
        }
    };
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut summary = Summary::default();
    let mut files = Vec::with_capacity(listed.len());
    for (path, kind) in listed {
        let display = display_path(&path, &cwd);
        summary.files += 1;
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                writeln!(err, "{display}: error: cannot read: {e}")?;
                summary.errors += 1;
                continue;
            }
        };
        let src = match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => {
                let off = e.utf8_error().valid_up_to();
                let head = String::from_utf8_lossy(&e.as_bytes()[..off]).into_owned();
                let (line, col) = LineIndex::new(&head).line_col(&head, off);
                writeln!(err, "{display}:{line}:{col}: error: not UTF-8 text")?;
                summary.errors += 1;
                continue;
            }
        };
        let findings = match kind.find(&src) {
            Ok(f) => f,
            Err(e) => {
                let (line, col) = LineIndex::new(&src).line_col(&src, e.offset.min(src.len()));
                writeln!(err, "{display}:{line}:{col}: error: {e}")?;
                summary.errors += 1;
                continue;
            }
        };
        let index = LineIndex::new(&src);
        let refs: Vec<Found> = findings
            .candidates
            .into_iter()
            .map(|candidate| {
                let (line, column) = index.line_col(&src, candidate.span.start);
                let status = classify(&candidate);
                Found {
                    candidate,
                    line,
                    column,
                    status,
                }
            })
            .collect();
        summary.references += refs.len();
        summary.unchanged += refs
            .iter()
            .filter(|f| matches!(f.status, Status::Pinned(_)))
            .count();
        summary.skipped += refs
            .iter()
            .filter(|f| matches!(f.status, Status::Skipped(_)))
            .count();
        files.push(ScannedFile {
            path,
            display,
            kind,
            src,
            refs,
            skipped: findings.skipped,
        });
    }
    Ok(Some((files, summary)))
}

/// What `pin` makes of one candidate, before any registry is asked.
pub fn classify(c: &Candidate) -> Status {
    if let Some(why) = &c.skip {
        return Status::Skipped(why.clone());
    }
    match Reference::parse(&c.value) {
        Err(_) if looks_templated(&c.value) => {
            Status::Skipped("a template or placeholder, not an image reference".to_string())
        }
        Err(e) => Status::Skipped(format!("not a valid image reference: {e}")),
        Ok(r) if r.digest().is_some() => Status::Pinned(r),
        Ok(r) => Status::Unpinned(r),
    }
}

/// Helm/Go templates, shell and compose variables, `<YOUR-IMAGE>` placeholders.
fn looks_templated(v: &str) -> bool {
    v.contains("{{") || v.contains("${") || v.contains("$(") || (v.contains('<') && v.contains('>'))
}

fn count(files: &[ScannedFile], pred: impl Fn(&Status) -> bool) -> usize {
    files
        .iter()
        .flat_map(|f| &f.refs)
        .filter(|f| pred(&f.status))
        .count()
}

fn report_skips(files: &[ScannedFile], err: &mut dyn Write) -> io::Result<()> {
    for file in files {
        if let Some(why) = &file.skipped {
            writeln!(err, "{}: skipped file: {why}", file.display)?;
        }
        for f in &file.refs {
            if let Status::Skipped(why) = &f.status {
                writeln!(
                    err,
                    "{}:{}:{}: skipped {:?}: {why}",
                    file.display, f.line, f.column, f.candidate.value
                )?;
            }
        }
    }
    Ok(())
}

/// The outcome of looking keys up, and the lockfile to record them in.
struct Lookup {
    resolved: Resolutions,
    lock: Option<(Lockfile, PathBuf)>,
    offline: bool,
}

impl Lookup {
    /// Records every successful resolution in the lockfile, if there is one and this run was online.
    /// `false` when the lockfile could not be written (already reported).
    fn save_lock(&mut self, err: &mut dyn Write) -> io::Result<bool> {
        let Some((lock, path)) = &mut self.lock else {
            return Ok(true);
        };
        if self.offline {
            return Ok(true);
        }
        for (key, manifest) in &self.resolved {
            if let Ok(m) = manifest {
                lock.record(key, m);
            }
        }
        match lock.save(path) {
            Ok(()) => Ok(true),
            Err(e) => {
                writeln!(err, "pin: error: {e}")?;
                Ok(false)
            }
        }
    }
}

/// Resolves `keys` from the lockfile (`--offline`) or the registries. `None` when nothing could be looked up
/// at all (a bad lockfile or CA file; already reported). Failures of single keys are in the map.
fn lookup(
    args: &ResolveArgs,
    keys: BTreeSet<Key>,
    verbose: bool,
    err: &mut dyn Write,
) -> io::Result<Option<Lookup>> {
    let lock = match &args.lock {
        Some(path) => match Lockfile::load(path) {
            Ok(l) => Some((l, path.clone())),
            Err(e) => {
                writeln!(err, "pin: error: {e}")?;
                return Ok(None);
            }
        },
        None => None,
    };
    let resolved = match (&lock, args.offline) {
        _ if keys.is_empty() => Resolutions::new(),
        (Some((lock, path)), true) => {
            let shown = path.display();
            keys.into_iter()
                .map(|key| {
                    let found = lock.get(&key).ok_or_else(|| {
                        ResolveError::NotFound(format!(
                            "{key} is not in {shown}; run once without --offline to record it"
                        ))
                    });
                    (key, found)
                })
                .collect()
        }
        _ => match resolve_online(args, keys) {
            Ok((resolved, stats)) => {
                if verbose {
                    writeln!(err, "pin: {stats}")?;
                }
                resolved
            }
            Err(e) => {
                writeln!(err, "pin: error: {e}")?;
                return Ok(None);
            }
        },
    };
    Ok(Some(Lookup {
        resolved,
        lock,
        offline: args.offline,
    }))
}

fn resolve_online(
    args: &ResolveArgs,
    keys: BTreeSet<Key>,
) -> Result<(Resolutions, String), ResolveError> {
    let options = resolve::ClientOptions {
        insecure: args.registry.insecure_registry.clone(),
        timeout: Duration::from_secs(args.registry.timeout),
        ca_files: args.registry.ca_cert.clone(),
        ..Default::default()
    };
    let client = resolve::Client::new(options, Arc::new(resolve::auth::DockerConfig))?;
    let resolver = resolve::Resolver::new(client, usize::from(args.registry.jobs));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ResolveError::Config(format!("cannot start the async runtime: {e}")))?;
    let resolved = runtime.block_on(resolver.resolve_all(keys));
    Ok((resolved, resolver.stats().summary()))
}

/// The result of planning: file changes, error messages, notes.
#[derive(Debug, Default)]
pub struct Plan<'a> {
    pub changes: Vec<FileChange<'a>>,
    pub errors: Vec<String>,
    pub notes: Vec<String>,
    pub pinned: usize,
}

/// Computes every file's new text from the resolutions. Pure: no I/O, so it is tested without a registry.
pub fn plan<'a>(
    files: &'a [ScannedFile],
    resolved: &Resolutions,
    keep_tag: bool,
    platform: Option<&Platform>,
) -> Plan<'a> {
    let mut plan = Plan::default();
    for file in files {
        let mut edits = Vec::new();
        for f in &file.refs {
            let Status::Unpinned(r) = &f.status else {
                continue;
            };
            let at = format!("{}:{}:{}", file.display, f.line, f.column);
            let manifest = match resolved.get(&Key::of(r, platform)) {
                Some(Ok(m)) => m,
                Some(Err(e)) => {
                    plan.errors
                        .push(format!("{at}: error: cannot pin {}: {e}", r.as_str()));
                    continue;
                }
                None => {
                    plan.errors
                        .push(format!("{at}: error: {} was not looked up", r.as_str()));
                    continue;
                }
            };
            let replacement = match &f.candidate.target {
                Target::Reference => r.pinned(&manifest.digest, keep_tag),
                Target::Digest => manifest.digest.clone(),
                Target::InsertDigest { prefix, suffix } => {
                    format!("{prefix}{}{suffix}", manifest.digest)
                }
            };
            if f.candidate.pull_policy_set == Some(false) && defaults_to_always(r) {
                let keeps_always = keep_tag && r.tag().is_some();
                if !keeps_always {
                    plan.notes.push(format!(
                        "{at}: note: {} sets no imagePullPolicy; pinning changes its default from Always to IfNotPresent",
                        r.as_str()
                    ));
                }
            }
            edits.push(Edit {
                range: f.candidate.span.clone(),
                replacement,
            });
        }
        if edits.is_empty() {
            continue;
        }
        match rewrite::apply(&file.src, &edits) {
            Ok(new) if new != file.src => {
                plan.pinned += edits.len();
                plan.changes.push(FileChange { file, new });
            }
            Ok(_) => {}
            Err(e) => plan.errors.push(format!("{}: error: {e}", file.display)),
        }
    }
    plan
}

/// Kubernetes defaults `imagePullPolicy` to `Always` for `:latest` and untagged references.
fn defaults_to_always(r: &Reference) -> bool {
    r.digest().is_none() && matches!(r.tag(), None | Some("latest"))
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
