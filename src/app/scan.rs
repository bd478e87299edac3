//! Reading: every file (or stdin) is read, searched by its kind's finder, and each candidate classified
//! before any registry is asked.

use std::borrow::Cow;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use regex::Regex;

use crate::formats::skip::looks_templated;
use crate::formats::tag_comment::{self, TagComment};
use crate::formats::{Candidate, FindOptions, Kind, LineIndex, Project, SkipReason, Target};
use crate::reference::action::{ActionRef, RefComment};
use crate::reference::Reference;
use crate::report::{Code, Diagnostic, Location, Outcome, OutcomeStatus, ACTION_KIND};
use crate::rewrite::encoding::{self, Encoding, NotText};
use crate::rewrite::identity::{self, Opened};
use crate::rewrite::{Changed, FileIdentity};
use crate::settings::ScanSettings;
use crate::walk::{self, WalkError};

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
    /// The text, kept only for stdin (a filter prints its stream whatever it holds). A file read from a path
    /// drops its text once searched, so that memory follows the largest file and not the tree: what needs
    /// it again re-reads it, checked against `identity` ([`ScannedFile::text`]).
    pub text: Option<String>,
    /// What identifies the file read, so that a re-read or a write can refuse it if it changed meanwhile;
    /// `None` for stdin and files without references (never written).
    pub identity: Option<FileIdentity>,
    pub refs: Vec<Found>,
    /// Why the whole file was passed over, if it was.
    pub skipped: Option<SkipReason>,
    /// What the file says the project builds or renames (a skaffold config, a kustomization).
    pub declarations: Option<super::project::Declarations>,
}

/// One candidate with its location and what `pin` makes of it.
#[derive(Debug)]
pub struct Found {
    pub candidate: Candidate,
    pub line: usize,
    pub column: usize,
    pub status: Status,
    /// For a pinned reference, the tag comment beside it (`# nginx:1.27`), if there is one. Boxed: most
    /// references have none, and a large tree holds hundreds of thousands of these.
    pub tag_comment: Option<Box<TagComment>>,
}

impl Found {
    /// The `kind` reports give it: [`ACTION_KIND`] for an action candidate, else its file's kind.
    pub fn kind(&self, file: Kind) -> &'static str {
        if self.candidate.target == Target::Action {
            ACTION_KIND
        } else {
            file.as_str()
        }
    }

    /// A report's outcome for this reference of `file`, where it stands and what it names (no status yet).
    pub fn outcome(&self, file: &ScannedFile) -> Outcome {
        Outcome::new(&self.candidate.value)
            .at(
                &file.display,
                self.line,
                self.column,
                self.candidate.span.clone(),
                self.kind(file.kind),
            )
            .naming(self.candidate.artifact)
    }
}

#[derive(Debug)]
pub enum Status {
    /// A valid reference without a digest.
    Unpinned(Reference),
    /// A valid reference that carries a digest.
    Pinned(Reference),
    /// Not to be touched, and why.
    Skipped(Skip),
    /// A GitHub Actions `uses:` naming another repository at a ref ([`Target::Action`]): pinned when its ref
    /// is a commit. Boxed: most references are images.
    Action(Box<ActionPin>),
}

/// An action reference as found, with the ref comment beside it when it is pinned.
#[derive(Debug)]
pub struct ActionPin {
    pub reference: ActionRef,
    /// For a pin, the ref it was made from (`# v4.2.1`) and the bytes that hold that comment.
    pub comment: Option<(RefComment, std::ops::Range<usize>)>,
}

/// The one code of each reason a finder gives: the same reason has the same code in every kind of file.
impl From<&SkipReason> for Code {
    fn from(reason: &SkipReason) -> Code {
        match reason {
            SkipReason::Variables { .. } | SkipReason::Template(_) => Code::Template,
            SkipReason::Ignored { .. } => Code::Ignored,
            SkipReason::TakesNoDigest(_) => Code::NoDigestTaken,
            SkipReason::BuiltHere(_) => Code::BuiltHere,
            SkipReason::Empty | SkipReason::NotPinnable(_) => Code::NotPinnable,
        }
    }
}

/// Why a reference is left alone: one variant per reason, each with one code ([`Skip::code`]); the words
/// are made in `Display`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skip {
    /// The finder's reason; its code is the reason's own.
    Found(SkipReason),
    /// A place its tool reads only by tag ([`Target::Listed`]), holding a reference without a digest; the
    /// finder's reason says which tool.
    Listed(Option<SkipReason>),
    /// Marked with a `# pin: ignore` comment.
    Ignored,
    /// Matches the `--skip` pattern `pattern`.
    Pattern { pattern: String },
    /// Looks like a template; `action`: in a `uses:` (an action reference), not an image reference.
    Template { action: bool },
    /// A placeholder: `part` is wrapped in `__` or written in capitals.
    Placeholder { part: String },
    /// Not a valid image reference; `error` is the parser's.
    InvalidReference { error: String },
    /// Not a valid action reference; `error` is the parser's.
    InvalidAction { error: String },
    /// `pin update` has nothing to follow.
    NothingToUpdate(Nothing),
    /// Built in this repository by `tool`; `at` (`file:line`) names the declaration, unless this is it.
    BuiltHere { tool: String, at: Option<String> },
    /// A build declaration's name pin cannot know (the finder's reason says why).
    BuiltNameUnknown(Option<SkipReason>),
    /// A kustomization at `at` (`file:line`) sets this image.
    SetByKustomization { at: String },
    /// `pin unpin --from-lock`: the lockfile records several `tags` for the digest; none is guessed.
    AmbiguousTag { tags: Vec<String> },
}

/// Why `pin update` (or `pin unpin`) has nothing to do with a reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nothing {
    /// An image without a digest.
    NoDigest,
    /// A digest without a tag or tag comment ([`super::plan::UNTAGGED`]).
    Untagged,
    /// An action not pinned to a commit.
    NoCommit,
    /// An action commit without a ref comment, for `pin update`.
    NoRefToFollow,
    /// An action commit without a ref comment, for `pin unpin`.
    NoRefToRestore,
    /// A digest in a field of its own beside the tag, for `pin unpin`.
    DigestField,
    /// A digest without a tag or tag comment, for `pin unpin` (`--from-lock` could take it from the lockfile).
    NoTagToRestore,
    /// `pin unpin --from-lock`: a digest without a tag or tag comment that the lockfile records no tag for.
    NotInLock,
}

impl Skip {
    /// The diagnostic code: one per variant (a finder's reason has its own, [`From<&SkipReason>`]).
    pub fn code(&self) -> Code {
        match self {
            Skip::Found(reason) => Code::from(reason),
            Skip::Listed(_) => Code::NoDigestTaken,
            Skip::Ignored => Code::Ignored,
            Skip::Pattern { .. } => Code::SkipPattern,
            Skip::Template { .. } => Code::Template,
            Skip::Placeholder { .. } => Code::Placeholder,
            Skip::InvalidReference { .. } | Skip::InvalidAction { .. } => Code::InvalidReference,
            Skip::NothingToUpdate(_) => Code::NothingToUpdate,
            Skip::BuiltHere { .. } => Code::BuiltHere,
            Skip::BuiltNameUnknown(_) => Code::BuiltNameUnknown,
            Skip::SetByKustomization { .. } => Code::SetByKustomization,
            Skip::AmbiguousTag { .. } => Code::AmbiguousTag,
        }
    }
}

impl std::fmt::Display for Skip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Skip::Found(reason) => write!(f, "{reason}"),
            Skip::Listed(reason) | Skip::BuiltNameUnknown(reason) => match reason {
                Some(reason) => write!(f, "{reason}"),
                None => Ok(()),
            },
            Skip::Ignored => f.write_str(IGNORED),
            Skip::Pattern { pattern } => write!(f, "matches --skip {pattern:?}"),
            Skip::Template { action } => write!(
                f,
                "a template or placeholder, not an {} reference",
                if *action { "action" } else { "image" }
            ),
            Skip::Placeholder { part } => write!(
                f,
                "a placeholder, not an image reference: {part} is {}",
                if part.starts_with("__") {
                    "wrapped in `__`"
                } else {
                    "written in capitals"
                }
            ),
            Skip::InvalidReference { error } => write!(f, "not a valid image reference: {error}"),
            Skip::InvalidAction { error } => write!(
                f,
                "not a valid action reference (OWNER/REPO[/PATH]@REF): {error}"
            ),
            Skip::NothingToUpdate(why) => f.write_str(match why {
                Nothing::NoDigest => "has no digest to update; `pin` pins it",
                Nothing::Untagged => super::plan::UNTAGGED,
                Nothing::NoCommit => "not pinned to a commit; `pin` pins it",
                Nothing::NoRefToFollow => {
                    "a commit without a ref comment (`# v4.2.1`): no branch or tag to follow"
                }
                Nothing::NoRefToRestore => {
                    "a commit without a ref comment: no branch or tag to restore"
                }
                Nothing::DigestField => {
                    "a digest field beside the tag; left alone (remove it by hand)"
                }
                Nothing::NoTagToRestore => {
                    "a digest without a tag or tag comment: no tag to restore (`pin unpin --from-lock` takes it \
                     from the lockfile of the run that pinned it)"
                }
                Nothing::NotInLock => {
                    "a digest without a tag or tag comment, and the lockfile records no tag of this repository \
                     resolving to it: no tag to restore"
                }
            }),
            Skip::BuiltHere { tool, at } => match at {
                Some(at) => write!(f, "built by {tool} at {at}"),
                None => write!(f, "built by {tool}"),
            },
            Skip::SetByKustomization { at } => write!(f, "set by {at}"),
            Skip::AmbiguousTag { tags } => write!(
                f,
                "the lockfile records {} tags of this repository resolving to this digest ({}): none is \
                 guessed; write the one meant in place of the digest by hand",
                tags.len(),
                tags.join(", ")
            ),
        }
    }
}

/// What was read: the files, and an outcome for every file passed over whole or not read at all.
#[derive(Debug, Default)]
pub struct Scan {
    pub files: Vec<ScannedFile>,
    /// Files skipped whole (`skipped`) and files that could not be read or parsed (`error`), in walk order.
    pub passed_over: Vec<Outcome>,
    /// Temporary files of killed `pin -w` runs met while walking; not read.
    pub leftovers: Vec<PathBuf>,
}

/// Why the scan could not start. Per-file problems are not errors: they are [`Scan::passed_over`].
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("--skip {}: {message}", shown_pattern(pattern))]
    BadSkip { pattern: String, message: String },
    #[error("`-` (stdin) cannot be combined with other paths")]
    StdinWithPaths,
    #[error("{STDIN}: cannot read: {0}")]
    Stdin(io::Error),
    #[error(transparent)]
    Walk(#[from] WalkError),
}

/// Why one file was not searched.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read: {0}")]
    Read(io::Error),
    #[error("not UTF-8 text")]
    NotUtf8 { line: usize, column: usize },
    /// UTF-16 text, in a kind whose tools read only UTF-8.
    #[error(
        "{} text (it starts with a byte order mark), but {} files are read as UTF-8 only by their tools, so \
         pin does not read it either; save it as UTF-8",
        encoding.name(),
        kind.info().docs.title
    )]
    Utf16 { encoding: Encoding, kind: Kind },
    #[error("not valid UTF-16 text (an unpaired surrogate, or an odd number of bytes)")]
    BadUtf16 { line: usize, column: usize },
    #[error("UTF-32 text (it starts with a byte order mark), which no tool of its kind reads; save it as UTF-8")]
    Utf32,
    /// The finder rejected the file (invalid YAML, …).
    #[error("{message}")]
    Parse {
        line: usize,
        column: usize,
        message: String,
    },
    /// A bug in `pin`: the finder panicked.
    #[error("internal error: reading it as {kind} panicked: {message}; the file was not read (please report this)")]
    Panicked { kind: &'static str, message: String },
    /// A bug in `pin`: the finder returned a span that does not fit the file.
    #[error(
        "internal error: the {kind} finder {message}; the file was not read (please report this)"
    )]
    BadSpan {
        line: usize,
        column: usize,
        kind: &'static str,
        message: String,
    },
}

impl FileError {
    /// The outcome that stands for the file: an error located where the problem is.
    fn outcome(&self, display: &str, kind: Kind) -> Outcome {
        let (location, code) = match *self {
            FileError::Read(_) => (Location::file(display), Code::Unreadable),
            FileError::NotUtf8 { line, column } | FileError::BadUtf16 { line, column } => {
                (Location::at(display, line, column), Code::Unreadable)
            }
            FileError::Utf16 { .. } | FileError::Utf32 => {
                (Location::file(display), Code::Unreadable)
            }
            FileError::Parse { line, column, .. } => {
                (Location::at(display, line, column), Code::ParseError)
            }
            FileError::Panicked { .. } => (Location::file(display), Code::Internal),
            FileError::BadSpan { line, column, .. } => {
                (Location::at(display, line, column), Code::Internal)
            }
        };
        let d = Diagnostic::new(code, Some(location), self.to_string());
        Outcome::file(Some(kind.as_str()), OutcomeStatus::Error, d)
    }
}

impl ScannedFile {
    /// The text as it was searched: stdin's kept text, or the file read again and checked to be the very
    /// bytes searched ([`crate::rewrite::verify_unchanged`]); a file changed since is refused.
    pub fn text(&self) -> Result<Cow<'_, str>, Changed> {
        if let Some(text) = &self.text {
            return Ok(Cow::Borrowed(text));
        }
        let (Some(path), Some(was)) = (&self.path, &self.identity) else {
            // Only a file with references keeps what identifies it, and only those are read again.
            return Err(Changed::Unreadable {
                path: self.display.clone(),
                source: io::Error::other("its text was not kept (it holds no reference)"),
            });
        };
        let bytes = crate::rewrite::verify_unchanged(path, was)?;
        // The same bytes as searched (the hash matched), so the same text.
        identity::text_of(path, was, bytes).map(Cow::Owned)
    }
}

impl Scan {
    pub fn is_stdin(&self) -> bool {
        self.files.len() == 1 && self.files[0].path.is_none()
    }
}

/// What a scan reads and leaves: `--skip` patterns, compiled once, and the finders' options.
#[derive(Default)]
pub struct Filters {
    skip: Vec<(String, Regex)>,
    find: FindOptions,
}

impl Filters {
    pub fn new(select: &ScanSettings) -> Result<Filters, ScanError> {
        let skip = select
            .skip
            .iter()
            .map(|p| {
                skip_pattern(p)
                    .map(|r| (p.clone(), r))
                    .map_err(|message| ScanError::BadSkip {
                        pattern: p.clone(),
                        message,
                    })
            })
            .collect::<Result<_, _>>()?;
        let find = FindOptions {
            devcontainer_features: *select.devcontainer_features,
            actions: *select.actions,
        };
        Ok(Filters { skip, find })
    }
}

/// How large a `--skip` pattern may compile (its automaton), and how much its lazy DFA may cache while it
/// searches. A pattern of a pin.toml in a repository someone else controls must not take the machine's
/// memory: `(a)` written 20,000 times compiles to more than this and is refused. Real patterns
/// (`^registry\.internal/`) take a few kilobytes.
const SKIP_SIZE_LIMIT: usize = 1 << 20;
const SKIP_DFA_SIZE_LIMIT: usize = 1 << 20;

/// A `--skip` pattern compiled within [`SKIP_SIZE_LIMIT`], or why not (a clear message).
fn skip_pattern(pattern: &str) -> Result<Regex, String> {
    regex::RegexBuilder::new(pattern)
        .size_limit(SKIP_SIZE_LIMIT)
        .dfa_size_limit(SKIP_DFA_SIZE_LIMIT)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(limit) => format!(
                "the pattern compiles to more than {} KiB, pin's limit for a skip pattern; simplify it",
                limit >> 10
            ),
            other => other.to_string(),
        })
}

/// A pattern as a message shows it: quoted and escaped, and cut after 100 characters (a pattern that is too
/// large to compile is often thousands of characters long).
fn shown_pattern(pattern: &str) -> String {
    const SHOWN: usize = 100;
    match pattern.char_indices().nth(SHOWN) {
        Some((at, _)) => format!("{:?}… ({} bytes)", &pattern[..at], pattern.len()),
        None => format!("{pattern:?}"),
    }
}

/// Reads and searches every file under `paths` (or stdin for `-`). An error when the paths or patterns
/// themselves are wrong; a file that cannot be read or parsed becomes an outcome, and the rest go on.
pub fn scan(select: &ScanSettings) -> Result<Scan, ScanError> {
    let paths = &select.paths;
    let filters = Filters::new(select)?;
    if paths.iter().any(|p| p.as_os_str() == "-") {
        if paths.len() != 1 {
            return Err(ScanError::StdinWithPaths);
        }
        let mut src = String::new();
        io::stdin()
            .read_to_string(&mut src)
            .map_err(ScanError::Stdin)?;
        let mut scan = Scan::default();
        let kind = select.stdin_kind;
        let read = read_one(None, None, STDIN, kind, src, &filters);
        scan.add(STDIN.to_string(), kind, read);
        return Ok(scan);
    }
    let excludes = match &select.exclude_base {
        Some(base) => walk::Excludes::relative_to(&select.exclude, base),
        None => walk::Excludes::new(&select.exclude),
    }?;
    let names = walk::ExtraNames::new(&select.files)?;
    let walk::Listing {
        files: listed,
        leftovers,
        errors,
    } = walk::files(paths, &excludes, select.force_exclude, &names);
    let mut scan = Scan {
        leftovers,
        ..Scan::default()
    };
    for e in errors {
        // The message names the path; the run goes on with the others.
        let d = Diagnostic::new(Code::Unreadable, None, e.to_string());
        scan.passed_over
            .push(Outcome::file(None, OutcomeStatus::Error, d));
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    let context = context_files(paths, &listed, &excludes, &names, &cwd);
    let reads = parallel_map(listed, |(path, kind)| {
        let display = display_path(&path, &cwd);
        let read = match identity::read(&path) {
            Ok((bytes, opened)) => {
                let opened = match Encoding::sniff(&bytes) {
                    Ok(encoding) => opened.decoded(&bytes, encoding),
                    Err(_) => opened,
                };
                match encoding::decode(bytes) {
                    Ok((src, encoding)) if encoding == Encoding::Utf8 || kind.reads_utf16() => {
                        read_one(Some(path), Some(opened), &display, kind, src, &filters)
                    }
                    Ok((_, encoding)) => Err(FileError::Utf16 { encoding, kind }),
                    // A binary file (a NUL byte, as git and ripgrep tell them) under a kind's name, such as a
                    // disk image `boot.image`, holds no reference: passed over like an empty file, without an
                    // error.
                    Err(NotText::Binary) => {
                        read_one(Some(path), None, &display, kind, String::new(), &filters)
                    }
                    Err(NotText::NotUtf8 { valid }) => {
                        let (line, column) = LineIndex::new(&valid).line_col(&valid, valid.len());
                        Err(FileError::NotUtf8 { line, column })
                    }
                    Err(NotText::BadUtf16 { valid }) => {
                        let (line, column) = LineIndex::new(&valid).line_col(&valid, valid.len());
                        Err(FileError::BadUtf16 { line, column })
                    }
                    Err(NotText::Utf32) => Err(FileError::Utf32),
                }
            }
            Err(e) => Err(FileError::Read(e)),
        };
        (display, kind, read)
    });
    for (display, kind, read) in reads {
        scan.add(display, kind, read);
    }
    // The project's declarations from files outside the paths given count too; those files are then
    // dropped again, since they were not asked about.
    let asked = scan.files.len();
    scan.files.extend(parallel_map(context, |(path, kind)| {
        context_file(path, kind, &cwd)
    }));
    super::project::apply(&mut scan);
    scan.files.truncate(asked);
    Ok(scan)
}

/// `path` as an absolute path with `.` and `..` applied lexically, for comparing paths given in any form.
pub(crate) fn absolute_lexical(path: &Path, cwd: &Path) -> PathBuf {
    super::project::lexical(&cwd.join(path))
}

/// The files of the repositories holding `paths` that say what the project builds or renames (kustomizations,
/// Tiltfiles, skaffold configs: [`super::project`]) and are not among the files `listed` already.
///
/// `pin --check deploy/app.yaml` (as a pre-commit hook runs it, on the staged files alone) then reads a
/// reference the way `pin --check .` at the repository's root does: a placeholder that an overlay's
/// kustomization replaces, or an image skaffold or Tilt builds, is skipped in both. The root is the
/// nearest directory above a path with a `.git`; paths outside a repository bring no context. The walk of
/// the root excludes what the run excludes; a root already walked whole is not walked again.
fn context_files(
    paths: &[PathBuf],
    listed: &[(PathBuf, Kind)],
    excludes: &walk::Excludes,
    names: &walk::ExtraNames,
    cwd: &Path,
) -> Vec<(PathBuf, Kind)> {
    let mut roots: Vec<PathBuf> = Vec::new();
    let mut walked: Vec<PathBuf> = Vec::new();
    for p in paths {
        let abs = absolute_lexical(p, cwd);
        if abs.is_dir() {
            walked.extend(abs.canonicalize().ok());
        }
        if let Some(root) = walk::repository_root(&abs) {
            if !roots.contains(&root) {
                roots.push(root);
            }
        }
    }
    roots.retain(|r| !walked.contains(r));
    if roots.is_empty() {
        return Vec::new();
    }
    let have: std::collections::HashSet<PathBuf> = listed
        .iter()
        .filter_map(|(p, _)| absolute_lexical(p, cwd).canonicalize().ok())
        .collect();
    let found = walk::files(&roots, excludes, false, names);
    found
        .files
        .into_iter()
        .filter(|(path, kind)| {
            let context_kind = kind.info().project != Project::None
                || path.extension().is_some_and(|e| {
                    e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml")
                });
            context_kind && !path.canonicalize().is_ok_and(|c| have.contains(&c))
        })
        .collect()
}

/// A file read for its declarations alone: no reference of it is reported, and one that cannot be read
/// declares nothing (the run that asks about it reports the error).
fn context_file(path: PathBuf, kind: Kind, cwd: &Path) -> ScannedFile {
    let declarations = identity::read(&path)
        .ok()
        .and_then(|(bytes, _)| String::from_utf8(bytes).ok())
        .and_then(|src| super::project::declarations(kind, &src));
    ScannedFile {
        display: display_path(&path, cwd),
        path: Some(path),
        kind,
        text: None,
        identity: None,
        refs: Vec::new(),
        skipped: None,
        declarations,
    }
}

/// `f` over `items` on every core, results in the order of `items`: reading and parsing dominate a large
/// tree, and files are independent.
pub(crate) fn parallel_map<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
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
    /// Takes one file's result; a file passed over whole or not read also becomes an outcome.
    fn add(&mut self, display: String, kind: Kind, read: Result<ScannedFile, FileError>) {
        match read {
            Ok(file) => {
                if let Some(why) = &file.skipped {
                    let d = Diagnostic::new(
                        Code::from(why),
                        Some(Location::file(&display)),
                        why.to_string(),
                    );
                    self.passed_over.push(Outcome::file(
                        Some(kind.as_str()),
                        OutcomeStatus::Skipped,
                        d,
                    ));
                }
                self.files.push(file);
            }
            Err(e) => self.passed_over.push(e.outcome(&display, kind)),
        }
    }
}

/// Searches one file and classifies what it finds; the error is the message to print.
///
/// A panic in the finder (a bug in `pin`) is caught here: it becomes an internal error for this file
/// alone, and the other files are still read.
pub(crate) fn read_one(
    path: Option<PathBuf>,
    opened: Option<Opened>,
    display: &str,
    kind: Kind,
    src: String,
    filters: &Filters,
) -> Result<ScannedFile, FileError> {
    guarded(kind, move || {
        search(path, opened, display, kind, src, filters)
    })
}

/// `f`, with a panic turned into an internal error for the file.
fn guarded<T>(kind: Kind, f: impl FnOnce() -> Result<T, FileError>) -> Result<T, FileError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let why = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(FileError::Panicked {
            kind: kind.as_str(),
            message: why.escape_debug().to_string(),
        })
    })
}

fn search(
    path: Option<PathBuf>,
    opened: Option<Opened>,
    display: &str,
    kind: Kind,
    src: String,
    filters: &Filters,
) -> Result<ScannedFile, FileError> {
    // Read even where no reference can be: a kustomization of resources alone links its files.
    let declarations = super::project::declarations(kind, &src);
    // A file that cannot hold a reference of its kind is not parsed (see `Kind::may_hold`).
    if !kind.may_hold(&src) {
        // Stdin's text is kept: a filter prints its stream whatever it holds.
        let text = path.is_none().then_some(src);
        return Ok(ScannedFile {
            path,
            display: display.to_string(),
            kind,
            text,
            identity: None,
            refs: Vec::new(),
            skipped: None,
            declarations,
        });
    }
    let index = LineIndex::new(&src);
    let findings = kind.find_with(&src, &filters.find).map_err(|e| {
        let (line, column) = index.line_col(&src, e.offset.min(src.len()));
        FileError::Parse {
            line,
            column,
            message: with_cr_hint(kind, &src, e.to_string()),
        }
    })?;
    checked(kind, &src, &index, &findings)?;
    let style = tag_comment::style(kind, &src);
    let refs: Vec<Found> = findings
        .candidates
        .into_iter()
        .map(|candidate| {
            let at = location(&src, &candidate);
            let (line, column) = index.line_col(&src, at);
            let mut status = if ignored_by_comment(&src, &index, &findings.ignore_comments, at) {
                Status::Skipped(Skip::Ignored)
            } else {
                classify_value(&candidate, filters)
            };
            if let Status::Action(a) = &mut status {
                if a.reference.is_pinned() {
                    let style = tag_comment::style(kind, &src);
                    a.comment = tag_comment::find_ref(&src, &candidate.span, &a.reference, style);
                }
            }
            let tag_comment = match (&status, &candidate.target) {
                (Status::Pinned(r), Target::Reference | Target::NameAtDigest) => {
                    tag_comment::find(&src, &candidate.span, r, style).map(Box::new)
                }
                _ => None,
            };
            Found {
                candidate,
                line,
                column,
                status,
                tag_comment,
            }
        })
        .collect();
    // Only a file with references may be rewritten: only it needs what identifies it. No file keeps its
    // text (it is read again, checked, when a change is computed), except stdin.
    let identity = opened
        .filter(|_| !refs.is_empty())
        .map(|o| o.identify(src.as_bytes()));
    let text = path.is_none().then_some(src);
    Ok(ScannedFile {
        path,
        display: display.to_string(),
        kind,
        text,
        identity,
        refs,
        skipped: findings.skipped,
        declarations,
    })
}

/// A parse error's message, with a hint when the file's lines end with a lone `\r` (old Mac text) and its
/// format reads only `\n` and `\r\n` as line breaks (Dockerfiles, HCL): there the whole file is one line.
/// Messages count a lone `\r` as a line break, as editors do.
fn with_cr_hint(kind: Kind, src: &str, message: String) -> String {
    let Some(format) = kind.info().syntax.lone_cr_is_no_line_break() else {
        return message;
    };
    let b = src.as_bytes();
    let lone_cr = memchr::memchr_iter(b'\r', b).any(|i| b.get(i + 1) != Some(&b'\n'));
    if lone_cr {
        format!("{message} (the file's lines end with a lone `\\r`, which {format} does not read as a line break)")
    } else {
        message
    }
}

/// [`crate::formats::check_spans`] as a message for the file: every later step slices with these spans.
fn checked(
    kind: Kind,
    src: &str,
    index: &LineIndex,
    findings: &crate::formats::Findings,
) -> Result<(), FileError> {
    crate::formats::check_spans(src, findings).map_err(|e| {
        let (line, column) = index.line_col(src, e.offset);
        FileError::BadSpan {
            line,
            column,
            kind: kind.as_str(),
            message: e.to_string(),
        }
    })
}

/// Where messages place a candidate: its span, except for a whole inserted line, which would point at the
/// start of the line after the entry; the line it follows (the entry's `newTag:`) is where a reader looks.
fn location(src: &str, c: &Candidate) -> usize {
    let at = c.span.start;
    match &c.target {
        Target::InsertDigest { prefix, .. } if at > 0 && !prefix.trim().is_empty() => {
            let before = src[..at].trim_end_matches(['\n', '\r']);
            let line_start = crate::formats::line_start(before, before.len());
            line_start + (before.len() - line_start - before[line_start..].trim_start().len())
        }
        _ => at,
    }
}

/// The skip reason of a candidate marked with a `# pin: ignore` comment.
pub const IGNORED: &str = "marked `# pin: ignore`";

/// What `pin` makes of one candidate's value, before any registry is asked (comments aside).
pub fn classify_value(c: &Candidate, filters: &Filters) -> Status {
    if c.target == Target::Listed {
        return listed(c, filters);
    }
    if let Some(why) = &c.skip {
        return Status::Skipped(Skip::Found(why.clone()));
    }
    if c.target == Target::Action {
        return classify_action(&c.value, filters);
    }
    let parsed = Reference::parse(&c.value);
    // A pattern matches the reference as written or its normalized form, so `^docker\.io/` also skips
    // `busybox:1.38.0` (which is `docker.io/library/busybox:1.38.0`).
    let normalized = parsed.as_ref().ok().map(Reference::normalized_string);
    let matches =
        |r: &Regex| r.is_match(&c.value) || normalized.as_deref().is_some_and(|n| r.is_match(n));
    if let Some((pattern, _)) = filters.skip.iter().find(|(_, r)| matches(r)) {
        return Status::Skipped(Skip::Pattern {
            pattern: pattern.clone(),
        });
    }
    match parsed {
        Err(_) if looks_templated(&c.value) => Status::Skipped(Skip::Template { action: false }),
        Ok(r) if r.digest().is_some() => Status::Pinned(r),
        parsed => match (placeholder(&c.value), parsed) {
            (Some(part), _) => Status::Skipped(Skip::Placeholder {
                part: part.to_string(),
            }),
            (None, Err(e)) => Status::Skipped(Skip::InvalidReference {
                error: e.to_string(),
            }),
            (None, Ok(r)) => Status::Unpinned(r),
        },
    }
}

/// What `pin` makes of a `uses:` naming another repository: a `--skip` pattern matches it as written.
fn classify_action(value: &str, filters: &Filters) -> Status {
    if let Some((pattern, _)) = filters.skip.iter().find(|(_, r)| r.is_match(value)) {
        return Status::Skipped(Skip::Pattern {
            pattern: pattern.clone(),
        });
    }
    match ActionRef::parse(value) {
        Ok(reference) => Status::Action(Box::new(ActionPin {
            reference,
            comment: None,
        })),
        Err(_) if looks_templated(value) => Status::Skipped(Skip::Template { action: true }),
        Err(e) => Status::Skipped(Skip::InvalidAction {
            error: e.to_string(),
        }),
    }
}

/// A reference that its tool takes only by tag ([`Target::Listed`]): skipped with its reason and
/// [`Code::NoDigestTaken`] when its value is a reference without a digest; otherwise what the value is (a
/// pin, a template, a placeholder, not a reference), or the `--skip` pattern it matches.
fn listed(c: &Candidate, filters: &Filters) -> Status {
    let reason = c.skip.clone();
    let unlisted = Candidate {
        skip: None,
        target: Target::Reference,
        ..c.clone()
    };
    match classify_value(&unlisted, filters) {
        Status::Unpinned(_) => Status::Skipped(Skip::Listed(reason)),
        // A digest the tool takes after all (helmfile 1.3 reads `version: 1.0@sha256:…`): `pin verify`
        // checks it; nothing writes a listed place.
        other => other,
    }
}

/// The part of `value` that marks it as a placeholder to be replaced before deployment, if any: a tag or
/// a name component (a registry host without its port) that is
///
/// * wrapped in double underscores (`__version__`, `__IMAGE__`), or
/// * written in capitals: only `A`–`Z`, `0`–`9` and `_`, starting with a letter, with at least three
///   letters (`IMAGE_TAG`, `VERSION`, `REPLACE_ME`, `MY_REGISTRY`; not `V1` or `RC2`).
///
/// Registries do not hold such names (repositories are lowercase), and real tags are not written so.
fn placeholder(value: &str) -> Option<&str> {
    let name_and_tag = value.split_once('@').map_or(value, |(n, _)| n);
    let last_slash = name_and_tag.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match name_and_tag[last_slash..].rfind(':') {
        Some(i) => (
            &name_and_tag[..last_slash + i],
            Some(&name_and_tag[last_slash + i + 1..]),
        ),
        None => (name_and_tag, None),
    };
    let mut components = name.split('/');
    let host = components
        .next()
        .map(|first| first.split_once(':').map_or(first, |(host, _)| host));
    let is_placeholder = |part: &&str| {
        let wrapped = part.len() > 4 && part.starts_with("__") && part.ends_with("__");
        let capitals = part.starts_with(|c: char| c.is_ascii_uppercase())
            && part
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
            && part.bytes().filter(u8::is_ascii_uppercase).count() >= 3;
        wrapped || capitals
    };
    tag.into_iter()
        .chain(host)
        .chain(components)
        .find(is_placeholder)
}

/// Whether one of the file's `# pin: ignore` comments (sorted, from its finder) is on the line holding
/// `offset`, or alone on the line above it. O(log n) per candidate.
fn ignored_by_comment(
    src: &str,
    index: &LineIndex,
    comments: &[std::ops::Range<usize>],
    offset: usize,
) -> bool {
    if comments.is_empty() {
        return false;
    }
    let first_in = |line: &std::ops::Range<usize>| {
        let i = comments.partition_point(|c| c.start < line.start);
        comments.get(i).filter(|c| c.start < line.end)
    };
    let (line, previous) = index.line_and_previous(src, offset);
    if first_in(&line).is_some() {
        return true;
    }
    previous.is_some_and(|above| {
        first_in(&above).is_some_and(|c| src[above.start..c.start].trim().is_empty())
    })
}

/// `path` relative to `cwd` when it lies below it; otherwise as given.
fn relative<'p>(path: &'p Path, cwd: &Path) -> &'p Path {
    if path.is_absolute() {
        path.strip_prefix(cwd).unwrap_or(path)
    } else {
        path
    }
}

/// `path` relative to the current directory when it lies below it; otherwise as given.
pub fn shown_relative(path: &Path) -> PathBuf {
    relative(path, &std::env::current_dir().unwrap_or_default()).to_path_buf()
}

/// `path` as messages print it ([`crate::report::path_text`]): relative to `cwd` when it lies below it,
/// `/`-separated, bytes that are not UTF-8 written as `\xff`.
fn display_path(path: &Path, cwd: &Path) -> String {
    crate::report::path_text(relative(path, cwd))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(value, ignored)` for every candidate of `src` read as `kind`.
    fn ignored(kind: Kind, src: &str) -> Vec<(String, bool)> {
        let file = read_one(None, None, "f", kind, src.into(), &Filters::default()).unwrap();
        file.refs
            .into_iter()
            .map(|f| {
                let ignored = matches!(&f.status, Status::Skipped(s) if s.code() == Code::Ignored);
                (f.candidate.value, ignored)
            })
            .collect()
    }

    fn pairs(v: &[(&str, bool)]) -> Vec<(String, bool)> {
        v.iter().map(|(s, b)| (s.to_string(), *b)).collect()
    }

    #[test]
    fn ignore_comments_on_the_line_or_above() {
        let src = "a:\n  image: x:1 # pin: ignore\n  # pin:ignore\n  image: y:1\n  image: z:1\n  image: w:1 # pin: ignored-not\n";
        assert_eq!(
            ignored(Kind::Yaml, src),
            pairs(&[("x:1", true), ("y:1", true), ("z:1", false), ("w:1", false)])
        );
        let src = "# pin: ignore\nFROM a:1\nFROM b:1 AS b\n  # pin: ignore\nCOPY --from=c:1 / /\n";
        assert_eq!(
            ignored(Kind::Dockerfile, src),
            pairs(&[("a:1", true), ("b:1", false), ("c:1", true)])
        );
    }

    // Guards the meaning of the mark: text that merely reads `# pin: ignore` inside a string, a scalar, a
    // shell command or a here-document is not a comment, and does not skip a real image.
    #[test]
    fn ignore_marks_inside_strings_are_not_comments() {
        let src = "spec:\n  containers:\n  - {name: a, image: a:1, args: [\"#pin: ignore\"]}\n  - name: b\n    image: b:1\n    args: ['# pin: ignore']\n  - name: c\n    command: [sh, -c, \"x\n      # pin: ignore\"]\n    image: c:1\n  - name: d\n    env: [{name: X, value: a#pin:ignore}]\n    script: |\n      # pin: ignore\n    image: d:1\n  - name: e\n    image: e:1 #pin: ignore\n";
        assert_eq!(
            ignored(Kind::Yaml, src),
            pairs(&[
                ("a:1", false),
                ("b:1", false),
                ("c:1", false),
                ("d:1", false),
                ("e:1", true)
            ])
        );
        // A block scalar's header line carries a real comment; its content lines none.
        let src = "image: |- # pin: ignore\n  # pin: ignore\nx: 1 # pin: ignore\n";
        let comments = Kind::Yaml.find(src).unwrap().ignore_comments;
        let at = |n: usize| src.match_indices('#').nth(n).unwrap().0;
        assert_eq!(
            comments.iter().map(|c| c.start).collect::<Vec<_>>(),
            [at(0), at(2)]
        );
        assert_eq!(&src[comments[1].clone()], "# pin: ignore");

        let src = "FROM a:1\nRUN echo \"# pin: ignore\"\nFROM b:1\nRUN <<EOF\n# pin: ignore\nEOF\nFROM c:1\nRUN cat <<EOF > /x\n# pin: ignore\nEOF\nFROM d:1\nFROM \\\n  # pin: ignore\n  e:1\n";
        assert_eq!(
            ignored(Kind::Dockerfile, src),
            pairs(&[
                ("a:1", false),
                ("b:1", false),
                ("c:1", false),
                ("d:1", false),
                ("e:1", true)
            ])
        );
    }

    #[test]
    fn kustomize_entries_are_ignored_at_their_new_tag() {
        let src = "images:\n- name: a\n  newTag: v1 # pin: ignore\n- name: b\n  newTag: v2\n";
        assert_eq!(
            ignored(Kind::Kustomize, src),
            pairs(&[("a:v1", true), ("b:v2", false)])
        );
    }

    /// `(line, column)` of every `(value, byte offset)` of a one-line text built by the caller, counted
    /// by hand: line 1 is `head`, everything else is on line 2.
    fn expected_positions(
        head: &str,
        line: &str,
        at: &[(String, usize)],
    ) -> Vec<(String, usize, usize)> {
        at.iter()
            .map(|(value, offset)| {
                let column = line[..offset - head.len()].chars().count() + 1;
                (value.clone(), 2, column)
            })
            .collect()
    }

    fn positions(file: &ScannedFile) -> Vec<(String, usize, usize)> {
        file.refs
            .iter()
            .map(|f| (f.candidate.value.clone(), f.line, f.column))
            .collect()
    }

    /// Thousands of references on one line (a `RUN` with a `--mount` each, one-line JSON): every one found
    /// at its own line and column, and one comment at the end of a YAML line marks them all.
    #[test]
    fn many_references_on_one_line() {
        const N: usize = 10_000;
        let read = |kind, src: &str| {
            read_one(
                Some("f".into()),
                None,
                "f",
                kind,
                src.to_owned(),
                &Filters::default(),
            )
            .unwrap()
        };

        let head = "FROM alpine:3\n";
        let mut line = String::from("RUN ");
        let mut at = Vec::new();
        for i in 0..N {
            line += "--mount=type=bind,from=";
            let value = format!("img{i}:1");
            at.push((value.clone(), head.len() + line.len()));
            line += &format!("{value},target=/é{i} ");
        }
        line += "true";
        let src = format!("{head}{line}\n");
        let file = read(Kind::Dockerfile, &src);
        let mut want = vec![("alpine:3".to_owned(), 1, 6)];
        want.extend(expected_positions(head, &line, &at));
        assert_eq!(positions(&file), want);
        assert!(file.refs[1..]
            .iter()
            .all(|f| matches!(f.status, Status::Unpinned(_))));

        let head = "# é\n";
        let mut line = String::from("{\"containers\": [");
        let mut at = Vec::new();
        for i in 0..N {
            line += &format!("{{\"name\": \"ü{i}\", \"image\": \"");
            let value = format!("img{i}:1");
            at.push((value.clone(), head.len() + line.len()));
            line += &format!("{value}\"}}, ");
        }
        line += "{}]}";
        let file = read(Kind::Yaml, &format!("{head}{line}\n"));
        let want = expected_positions(head, &line, &at);
        assert_eq!(positions(&file), want);
        let marked = read(Kind::Yaml, &format!("{head}{line} # pin: ignore\n"));
        assert_eq!(positions(&marked), want);
        assert!(marked
            .refs
            .iter()
            .all(|f| matches!(&f.status, Status::Skipped(s) if s.code() == Code::Ignored)));
    }

    #[test]
    fn a_file_keeps_no_text_and_is_read_again_only_as_searched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pod.yaml");
        let src = "spec:\n  containers:\n  - image: nginx:1.27\n";
        std::fs::write(&path, src).unwrap();
        let (bytes, opened) = identity::read(&path).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let filters = Filters::default();
        let file = read_one(
            Some(path.clone()),
            Some(opened),
            "pod.yaml",
            Kind::Yaml,
            text,
            &filters,
        )
        .unwrap();
        assert_eq!(file.text, None, "the text is dropped after the search");
        assert_eq!(file.refs.len(), 1);
        assert_eq!(file.text().unwrap(), src);
        // Same length, other bytes: refused even within one mtime tick (the hash tells).
        std::fs::write(&path, src.replace("1.27", "1.28")).unwrap();
        let e = file.text().unwrap_err();
        assert!(matches!(e, Changed::Modified { .. }), "{e}");

        let stdin = read_one(None, None, STDIN, Kind::Yaml, src.into(), &filters).unwrap();
        assert_eq!(stdin.text().unwrap(), src, "stdin keeps its text");
    }

    #[test]
    fn a_panic_reading_one_file_is_an_error_for_that_file_only() {
        let out = parallel_map((0..8).collect(), |i: u32| {
            guarded(Kind::Yaml, || {
                assert!(i != 3, "a finder bug");
                Ok(i)
            })
        });
        assert_eq!(out.len(), 8);
        for (i, r) in out.iter().enumerate() {
            if i == 3 {
                let e = r.as_ref().unwrap_err().to_string();
                assert!(
                    e.starts_with("internal error: reading it as yaml panicked: a finder bug"),
                    "{e}"
                );
            } else {
                assert_eq!(r.as_ref().ok(), Some(&(i as u32)));
            }
        }
    }

    #[test]
    fn a_bad_span_is_an_internal_error_naming_the_place() {
        let src = "a: b\nimage: é:1\n";
        let at = src.find('é').unwrap();
        let findings = crate::formats::Findings {
            candidates: vec![Candidate {
                // Splits the `é`: slicing with it would panic.
                span: at + 1..at + 4,
                value: "é:1".into(),
                skip: None,
                pull_policy_set: None,
                target: Target::Reference,
                artifact: None,
            }],
            ..Default::default()
        };
        let e = checked(Kind::Yaml, src, &LineIndex::new(src), &findings).unwrap_err();
        assert!(
            matches!(
                e,
                FileError::BadSpan {
                    line: 2,
                    column: 8,
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(
            e.to_string()
                .starts_with("internal error: the yaml finder returned the span"),
            "{e}"
        );
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
            artifact: None,
        };
        assert_eq!(location(src, &c), src.find("newTag").unwrap());
    }

    #[test]
    fn classification() {
        let filters = Filters {
            skip: vec![("^internal/".into(), Regex::new("^internal/").unwrap())],
            ..Filters::default()
        };
        let c = |v: &str| Candidate {
            span: 0..v.len(),
            value: v.to_string(),
            skip: None,
            pull_policy_set: None,
            target: Default::default(),
            artifact: None,
        };
        let status = |v: &str| classify_value(&c(v), &filters);
        assert!(matches!(status("nginx:1.27"), Status::Unpinned(_)));
        let pinned = format!("nginx@sha256:{}", "a".repeat(64));
        assert!(matches!(status(&pinned), Status::Pinned(_)));
        assert!(
            matches!(status("internal/app:1"), Status::Skipped(s) if s.to_string().contains("--skip"))
        );
        let hub = Filters {
            skip: vec![("^docker\\.io/".into(), Regex::new("^docker\\.io/").unwrap())],
            ..Filters::default()
        };
        let skipped_by_hub = |v: &str| matches!(classify_value(&c(v), &hub), Status::Skipped(_));
        assert!(
            skipped_by_hub("busybox:1.38.0"),
            "normalized: docker.io/library/busybox"
        );
        assert!(skipped_by_hub("docker.io/org/app:1"));
        assert!(!skipped_by_hub("ghcr.io/org/app:1"));
        assert!(
            matches!(status("{{ .Values.image }}"), Status::Skipped(s) if s.to_string().contains("template"))
        );
        assert!(
            matches!(status("Not A Ref"), Status::Skipped(s) if s.to_string().contains("not a valid"))
        );
        for (value, part) in [
            ("app:__version__", "__version__"),
            ("app:IMAGE_TAG", "IMAGE_TAG"),
            ("ghcr.io/org/app:VERSION", "VERSION"),
            ("REPLACE_ME", "REPLACE_ME"),
            ("__IMAGE__", "__IMAGE__"),
            ("MY_REGISTRY/app:1.0", "MY_REGISTRY"),
            ("REGISTRY:5000/app", "REGISTRY"),
            (
                "CONTAINER_IMAGES_REGISTRY/adservice:v1",
                "CONTAINER_IMAGES_REGISTRY",
            ),
        ] {
            assert!(
                matches!(status(value), Status::Skipped(s) if s.to_string().contains("placeholder") && s.to_string().contains(part)),
                "{value}: {:?}",
                status(value)
            );
        }
        for real in [
            "app:V1",
            "app:RC2",
            "minio/minio:RELEASE.2025-01-20T14-49-07Z",
            "app:v1__x",
            "app:latest",
            "localhost:5000/app:1",
        ] {
            assert!(matches!(status(real), Status::Unpinned(_)), "{real}");
        }
        let pinned_placeholder = format!("app:IMAGE_TAG@sha256:{}", "a".repeat(64));
        assert!(matches!(status(&pinned_placeholder), Status::Pinned(_)));
        assert!(
            matches!(status("app:${TAG}"), Status::Skipped(s) if s.to_string().contains("template or placeholder"))
        );
        for templated in [
            "$RELAY_IMAGE",
            "${REGISTRY}/app:1",
            "app:$(git rev-parse HEAD)",
            "<YOUR-IMAGE>",
        ] {
            assert!(
                matches!(status(templated), Status::Skipped(s) if s.to_string().contains("template")),
                "{templated}"
            );
        }
    }
}
