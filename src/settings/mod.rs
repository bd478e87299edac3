//! Settings: the command line and `pin.toml` merged once, a flag over the file's key over the default, into
//! what each stage takes. Every value a file can set is a [`Setting`] that records where it came from, and
//! `pin config` prints them.
//!
//! `cli` only parses and `config` only reads the file; this is the one place that knows which key a flag
//! stands for and which commands read it. The stages (`app`) take these types, never clap's.

mod build;
mod duration;
pub(crate) mod show;
#[cfg(test)]
mod tests;
mod words;

use std::fmt;
use std::path::PathBuf;

use crate::formats::Kind;
use crate::platform::Platform;
use crate::registries_conf::RegistryTable;

pub use build::{from_command_line, Env, SettingsError};
pub use duration::{human_duration, parse_duration};

/// A value and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting<T> {
    pub value: T,
    pub origin: Origin,
}

impl<T> Setting<T> {
    pub fn new(value: T, origin: Origin) -> Setting<T> {
        Setting { value, origin }
    }

    pub fn default(value: T) -> Setting<T> {
        Setting::new(value, Origin::Default)
    }
}

impl<T> std::ops::Deref for Setting<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// Where a setting's value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Neither a flag nor the file: the built-in default.
    Default,
    /// The command line: the flag's long name (`--jobs`).
    Flag(String),
    /// The configuration file, at this line.
    File { path: String, line: usize },
    /// The default, because the file's value at `path:line` is not used here, for the reason given.
    SetAside {
        path: String,
        line: usize,
        why: &'static str,
    },
}

impl Origin {
    /// Whether the value is the configuration file's, which a repository controls (not the user's own).
    pub fn is_file(&self) -> bool {
        matches!(self, Origin::File { .. })
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::Flag(name) => f.write_str(name),
            Origin::File { path, line } => write!(f, "{path}:{line}"),
            Origin::SetAside { path, line, why } => {
                write!(f, "default; {path}:{line} is not used {why}")
            }
        }
    }
}

/// What one command line asks for: the command, with the settings of each stage it runs.
#[derive(Debug)]
pub enum Run {
    /// `pin`, `pin update` and `pin unpin`: references in files rewritten.
    Files(Files),
    List(List),
    Resolve(Resolve),
    Verify(Verify),
    /// `pin fn`: a KRM function's ResourceList on stdin, pinned on stdout.
    Fn(Function),
    /// `pin config`: the settings a plain `pin` would run with here.
    Config(Box<show::Shown>),
    Completions(clap_complete::Shell),
    /// `pin man [COMMAND]`, `pin man --dir DIR`.
    Man {
        command: Option<String>,
        dir: Option<PathBuf>,
    },
}

impl Run {
    /// The output settings of a command that has them.
    pub fn output(&self) -> Option<&OutputSettings> {
        match self {
            Run::Files(r) => Some(&r.output),
            Run::List(r) => Some(&r.output),
            Run::Resolve(r) => Some(&r.output),
            Run::Verify(r) => Some(&r.output),
            Run::Fn(_) | Run::Config(_) | Run::Completions(_) | Run::Man { .. } => None,
        }
    }
}

/// What a run over files does with the references it finds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operation {
    /// `pin`: pin what has no digest.
    Pin(PinSettings),
    /// `pin update`: follow the tags of what is pinned.
    Update {
        children: ChildPins,
        /// Which OCI labels of the images moved tags point at are read (`--format markdown`).
        labels: Labels,
        /// `--require-tags`: a pin with a digest and no tag to follow is a finding (`--check` exits 1).
        require_tags: bool,
        /// `--min-age`: how long a new digest waits before it is applied.
        waiting: Waiting,
        /// `--platforms`, `[update] platforms`: the platforms whose manifests a moved index pin is compared by
        /// (empty: those of the pinned index).
        platforms: Setting<Vec<Platform>>,
        /// `--all-changes`: a moved index is taken even when the manifests of those platforms are the same.
        all_changes: bool,
        /// `--labels`: Docker Hub may be sent manifest GETs (each counts as a pull there).
        docker_hub_gets: bool,
    },
    /// `pin unpin`: put the tags back; no registry.
    Unpin,
}

/// Which labels `pin update --format markdown` reads: each costs manifest and blob GETs, which Docker Hub
/// counts as pulls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Labels {
    /// None (`--no-labels`, or a format that shows none).
    Off,
    /// From every registry but Docker Hub (the default for markdown).
    NotFromDockerHub,
    /// From every registry, Docker Hub included (`--labels`).
    All,
}

/// `pin update`'s waiting period: a new digest is applied only once it is at least `min_age` old, its age
/// counted from when `pin` first saw it (recorded in the `--lock` file, else in the cache directory) or, with
/// `trust_created`, from its image config's `created` time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiting {
    /// `--min-age`, `[update] min-age`: seconds; 0 for none (every new digest is applied at once, and no
    /// record is kept).
    pub min_age: Setting<u64>,
    /// `--trust-created`.
    pub trust_created: bool,
    /// `--labels`: GETs to Docker Hub are allowed (`--trust-created` needs them there).
    pub hub_gets: bool,
    /// Where the first-seen records are kept without `--lock`: `--cache-dir`, the file's `cache-dir` (walked
    /// from `base`, as the cache is), else the default cache directory (`None`).
    pub dir: Option<PathBuf>,
    pub base: Option<PathBuf>,
}

impl Waiting {
    /// No waiting period.
    #[cfg(test)]
    pub fn none() -> Waiting {
        Waiting {
            min_age: Setting::default(0),
            trust_created: false,
            hub_gets: false,
            dir: None,
            base: None,
        }
    }

    /// Whether a waiting period applies (and first-seen records are read and kept).
    pub fn applies(&self) -> bool {
        *self.min_age > 0
    }
}

/// How a pin writes the tag it replaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagStyle {
    /// `name@sha256:…`.
    Drop,
    /// `name:tag@sha256:…` (`--keep-tag`).
    Keep,
    /// `name@sha256:… # name:tag` (`--tag-comment`).
    Comment,
}

impl TagStyle {
    /// The style of a file kind when none is chosen: a tag comment where the format has comments, else the
    /// tag kept in the reference, so that the tag is never lost (`pin update` and `pin unpin` need it).
    /// `src` is the file's text: a Cloud Build config may be YAML or JSON.
    pub fn for_kind(kind: Kind, src: &str) -> TagStyle {
        if crate::formats::tag_comment::style(kind, src)
            == crate::formats::tag_comment::CommentStyle::None
        {
            TagStyle::Keep
        } else {
            TagStyle::Comment
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TagStyle::Drop => "drop",
            TagStyle::Keep => "keep",
            TagStyle::Comment => "comment",
        }
    }

    pub fn parse(s: &str) -> Option<TagStyle> {
        match s {
            "drop" => Some(TagStyle::Drop),
            "keep" => Some(TagStyle::Keep),
            "comment" => Some(TagStyle::Comment),
            _ => None,
        }
    }
}

/// What `pin update` does with a pin of one platform's manifest inside its tag's index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChildPins {
    /// Follow it, and warn.
    Warn,
    /// Repin it to the index (`--to-index`).
    ToIndex,
}

/// `pin`, `pin update`, `pin unpin`.
#[derive(Debug)]
pub struct Files {
    pub operation: Operation,
    pub scan: ScanSettings,
    /// `DryRun`, `Write` or `Check`; a run over stdin filters instead of `DryRun` and `Write`.
    pub mode: crate::report::Mode,
    /// `--keep-going`: write the files whose references all resolved.
    pub keep_going: bool,
    /// `None` for `pin unpin`, which asks no registry.
    pub registry: Option<RegistrySettings>,
    /// `pin`, and `pin update` (for the first-seen records of `--min-age`; never offline); `pin unpin
    /// --from-lock`: the lockfile its tags come from (only read).
    pub lock: Option<LockSettings>,
    pub output: OutputSettings,
}

/// `pin list`.
#[derive(Debug)]
pub struct List {
    pub scan: ScanSettings,
    pub output: OutputSettings,
}

/// `pin resolve REF...`.
#[derive(Debug)]
pub struct Resolve {
    pub refs: Vec<String>,
    pub pin: PinSettings,
    pub registry: RegistrySettings,
    pub lock: LockSettings,
    pub output: OutputSettings,
}

/// `pin verify`.
#[derive(Debug)]
pub struct Verify {
    pub scan: ScanSettings,
    pub registry: RegistrySettings,
    /// `--platforms`, `[verify] platforms`.
    pub platforms: Setting<Vec<Platform>>,
    pub output: OutputSettings,
}

/// `pin fn`: the command line's settings; the function config given with the ResourceList may override the
/// tag style, the platform and the lockfile.
#[derive(Debug)]
pub struct Function {
    pub pin: PinSettings,
    pub registry: RegistrySettings,
    pub lock: LockSettings,
}

/// What is read: the paths, and what is left out or added.
#[derive(Clone, Debug)]
pub struct ScanSettings {
    /// `-` alone for stdin.
    pub paths: Vec<PathBuf>,
    /// `--exclude`, `exclude`: gitignore patterns.
    pub exclude: Setting<Vec<String>>,
    /// The directory the patterns are relative to: the configuration file's for its own patterns, else the
    /// current directory (`None`).
    pub exclude_base: Option<PathBuf>,
    /// `--force-exclude`.
    pub force_exclude: bool,
    /// `[files]`: extra file names per kind.
    pub files: Setting<Vec<(Kind, String)>>,
    /// `--skip`, `skip`: regular expressions over references.
    pub skip: Setting<Vec<String>>,
    /// `--devcontainer-features`, `devcontainer-features`.
    pub devcontainer_features: Setting<bool>,
    /// Whether GitHub Actions `uses:` are pinned: `--no-actions`, `actions = false` or `[actions] enabled`.
    pub actions: Setting<bool>,
    /// `--stdin-kind`.
    pub stdin_kind: Kind,
}

/// How a reference becomes a digest: `pin` and `pin resolve`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PinSettings {
    /// `--tag-style`, `tag-style` (and their aliases `--keep-tag`, `keep-tag`, `--tag-comment`,
    /// `tag-comment`); `None`: each file kind's own ([`TagStyle::for_kind`]).
    pub tag_style: Setting<Option<TagStyle>>,
    /// `--platform`, `platform`.
    pub platform: Setting<Option<Platform>>,
}

impl PinSettings {
    /// The style a reference in a file of `kind`, holding `src`, is pinned in.
    pub fn style_for(&self, kind: Kind, src: &str) -> TagStyle {
        self.tag_style
            .unwrap_or_else(|| TagStyle::for_kind(kind, src))
    }
}

/// How registries are asked.
#[derive(Clone, Debug)]
pub struct RegistrySettings {
    /// `--jobs`, `jobs` (1–256).
    pub jobs: Setting<u16>,
    /// `--timeout`, `timeout`: seconds (1–3600).
    pub timeout: Setting<u64>,
    /// `--connect-timeout`, `connect-timeout`: seconds (1–3600).
    pub connect_timeout: Setting<u64>,
    /// `--insecure-registry`, `insecure-registries`. The file's are reached over plain HTTP like the flag's,
    /// but never sent credentials (a repository controls that file).
    pub insecure_registries: Setting<Vec<String>>,
    /// `--ca-cert`, `ca-certs` (the file's relative to its directory).
    pub ca_certs: Setting<Vec<PathBuf>>,
    /// The registries.conf files read first, in order (missing ones are fine).
    pub registries_conf: Vec<PathBuf>,
    /// `[[registry]]` tables of the configuration file, read after registries.conf.
    pub tables: Vec<Setting<RegistryTable>>,
    /// `--mirror PREFIX=HOST`, added last.
    pub mirrors: Vec<String>,
    /// `--actions-server`, `[actions] server`: the git server GitHub Actions refs are resolved on, without a
    /// final `/` (`https://github.com`).
    pub actions_server: Setting<String>,
    pub cache: CacheSettings,
    pub signatures: SignatureSettings,
}

/// The tag → digest cache.
#[derive(Clone, Debug)]
pub struct CacheSettings {
    /// `--cache`, `cache`.
    pub enabled: Setting<bool>,
    /// `--cache-dir`, `cache-dir`; `None` for the default directory. Set, it implies the cache.
    pub dir: Setting<Option<PathBuf>>,
    /// For the file's `cache-dir`: the directory it lies below (the file's own, or the user's cache
    /// directory), from which it is walked without following a symbolic link.
    pub base: Option<PathBuf>,
    /// `--cache-ttl`, `cache-ttl`: seconds.
    pub ttl: Setting<u64>,
}

/// Signature-gated pinning.
#[derive(Clone, Debug)]
pub struct SignatureSettings {
    /// `--require-signature`, `[signatures] require`.
    pub require: Setting<bool>,
    /// `--signature-key`, `[signatures] keys`.
    pub keys: Setting<Vec<PathBuf>>,
    /// `--policy`, `[signatures] policy`.
    pub policy: Setting<Option<PathBuf>>,
    /// Keyless: `--signature-identity`, `[signatures] identity`.
    pub identity: Setting<Option<String>>,
    /// `--signature-identity-regexp`, `[signatures] identity-regexp`.
    pub identity_regexp: Setting<Option<String>>,
    /// `--signature-issuer`, `[signatures] issuer`.
    pub issuer: Setting<Option<String>>,
    /// `--signature-issuer-regexp`, `[signatures] issuer-regexp`.
    pub issuer_regexp: Setting<Option<String>>,
    /// `--trusted-root`, `[signatures] trusted-root`.
    pub trusted_root: Setting<Option<PathBuf>>,
    /// `--require-attestation`, `[signatures] require-attestation`.
    pub attestation: Setting<Option<String>>,
    /// `--attestation-builder-id`, `[signatures] attestation-builder-id`.
    pub builder_id: Setting<Option<String>>,
    /// `--attestation-builder-id-regexp`, `[signatures] attestation-builder-id-regexp`.
    pub builder_id_regexp: Setting<Option<String>>,
    /// `--attestation-source-uri`, `[signatures] attestation-source-uri`.
    pub source_uri: Setting<Option<String>>,
    /// `--attestation-source-uri-regexp`, `[signatures] attestation-source-uri-regexp`.
    pub source_uri_regexp: Setting<Option<String>>,
}

/// `--lock`, `--offline`.
#[derive(Clone, Debug, Default)]
pub struct LockSettings {
    pub path: Option<PathBuf>,
    pub offline: bool,
}

/// How results are printed.
#[derive(Clone, Copy, Debug)]
pub struct OutputSettings {
    pub format: Format,
    pub color: anstream::ColorChoice,
    pub quiet: bool,
    /// `-v` given this many times.
    pub verbose: u8,
}

/// `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Github,
    Gitlab,
    Sarif,
    Markdown,
}
