//! `pin.toml`: persistent settings, found the way ruff and typos find theirs.
//!
//! Discovery: `--config FILE`, or none with `--no-config`, or the first `pin.toml` or `.pin.toml` found from
//! the current directory upward, stopping at the repository root (the first directory holding `.git`).
//! Every key mirrors a flag; a flag given on the command line replaces the file's value (lists included, as
//! ruff's `--exclude` does). Unknown keys and wrong types are errors naming `file:line:col`. Paths in the file
//! (`ca-certs`) are relative to the file's directory, and so are its `exclude` patterns.

use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::ArgMatches;
use serde::Deserialize;

use crate::resolve::mirrors::RegistryTable;
use crate::resolve::Platform;

/// The names a configuration file may have, in the order they are looked for in each directory.
pub const FILE_NAMES: &[&str] = &["pin.toml", ".pin.toml"];

/// The file's contents. Keys are kebab-case, as in the flags.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct File {
    pub exclude: Option<Vec<String>>,
    pub skip: Option<Vec<String>>,
    pub insecure_registries: Option<Vec<String>>,
    pub ca_certs: Option<Vec<PathBuf>>,
    pub platform: Option<String>,
    pub keep_tag: Option<bool>,
    /// `--devcontainer-features`: also pin dev container features.
    pub devcontainer_features: Option<bool>,
    pub jobs: Option<u16>,
    pub timeout: Option<u64>,
    pub connect_timeout: Option<u64>,
    /// `--cache`: use the tag → digest cache (not in CI, nor for `--check` or `pin update`, unless a flag asks).
    pub cache: Option<bool>,
    pub cache_dir: Option<PathBuf>,
    pub cache_ttl: Option<u64>,
    /// `[files]`: extra file names per kind (`dockerfile = ["*.dockerfile.in"]`), tried before the built-in
    /// names.
    #[serde(default)]
    pub files: std::collections::BTreeMap<String, Vec<String>>,
    /// `[[registry]]` tables, as in containers-registries.conf(5): mirrors, remapping, blocked registries.
    #[serde(default, rename = "registry")]
    pub registries: Vec<RegistryTable>,
    /// `[signatures]`: signature-gated pinning (`--require-signature`, `--signature-key`, `--policy`).
    pub signatures: Option<Signatures>,
    /// `[verify]`: what `pin verify` requires of every pin.
    pub verify: Option<Verify>,
}

/// The `[verify]` table.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Verify {
    /// As `--platforms`: every pinned index must offer each of these (`["linux/amd64", "linux/arm64"]`).
    #[serde(default)]
    pub platforms: Vec<String>,
}

/// The `[signatures]` table. Paths are relative to the configuration file's directory.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Signatures {
    /// As `--require-signature`.
    #[serde(default)]
    pub require: bool,
    /// As `--signature-key` (repeated).
    #[serde(default)]
    pub keys: Vec<PathBuf>,
    /// As `--policy`.
    pub policy: Option<PathBuf>,
    /// As `--signature-identity`.
    pub identity: Option<String>,
    /// As `--signature-identity-regexp`.
    pub identity_regexp: Option<String>,
    /// As `--signature-issuer`.
    pub issuer: Option<String>,
    /// As `--signature-issuer-regexp`.
    pub issuer_regexp: Option<String>,
    /// As `--trusted-root`.
    pub trusted_root: Option<PathBuf>,
}

impl Signatures {
    fn keyless(&self) -> bool {
        self.identity.is_some()
            || self.identity_regexp.is_some()
            || self.issuer.is_some()
            || self.issuer_regexp.is_some()
    }
}

/// A configuration file that was read.
#[derive(Debug)]
pub struct Loaded {
    pub path: PathBuf,
    pub text: String,
    pub file: File,
}

impl Loaded {
    /// The directory relative paths in the file are resolved against.
    pub fn dir(&self) -> &Path {
        match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        }
    }

    /// `pin.toml:LINE` of the line that sets top-level `key`, for `pin config`.
    pub fn origin(&self, key: &str) -> String {
        let line = self
            .text
            .lines()
            .position(|l| {
                l.trim_start()
                    .strip_prefix(key)
                    .is_some_and(|rest| rest.trim_start().starts_with('='))
            })
            .map_or(String::new(), |i| format!(":{}", i + 1));
        format!("{}{line}", self.path.display())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{at}: error: {message}")]
    Invalid { at: String, message: String },
    #[error("{path}: error: cannot read the configuration file: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
}

/// `file:line:col` of a TOML error (1-based; columns count characters).
pub fn located(shown: &str, text: &str, e: &toml::de::Error) -> String {
    match e.span() {
        Some(span) => {
            let at = span.start.min(text.len());
            let before = &text[..at];
            let line = before.matches('\n').count() + 1;
            let col = before
                .rsplit('\n')
                .next()
                .unwrap_or_default()
                .chars()
                .count()
                + 1;
            format!("{shown}:{line}:{col}")
        }
        None => shown.to_string(),
    }
}

/// Reads and checks one configuration file.
pub fn load(path: &Path) -> Result<Loaded, ConfigError> {
    // Printed relative to the current directory when below it, like every other path.
    let cwd = std::env::current_dir().unwrap_or_default();
    let path = path.strip_prefix(&cwd).unwrap_or(path);
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: shown.clone(),
        source,
    })?;
    let file: File = toml::from_str(&text).map_err(|e| ConfigError::Invalid {
        at: located(&shown, &text, &e),
        message: e.message().trim_end().to_string(),
    })?;
    for (kind, globs) in &file.files {
        let Some(_) = crate::formats::Kind::from_name(kind) else {
            let names: Vec<&str> = crate::formats::Kind::ALL
                .iter()
                .map(|k| k.as_str())
                .collect();
            return Err(ConfigError::Invalid {
                at: table_origin(path, &text, "files"),
                message: format!(
                    "[files]: unknown kind {kind:?}; the kinds are {}",
                    names.join(", ")
                ),
            });
        };
        for g in globs {
            if let Err(e) = globset::Glob::new(g) {
                return Err(ConfigError::Invalid {
                    at: table_origin(path, &text, "files"),
                    message: format!("[files] {kind}: {g:?}: {}", e.kind()),
                });
            }
        }
    }
    if file.signatures.as_ref().is_some_and(|s| {
        [!s.keys.is_empty(), s.policy.is_some(), s.keyless()]
            .iter()
            .filter(|x| **x)
            .count()
            > 1
    }) {
        return Err(ConfigError::Invalid {
            at: table_origin(path, &text, "signatures"),
            message: "[signatures]: give keys, policy or a keyless identity (identity, issuer), not two of them"
                .to_string(),
        });
    }
    for p in file.verify.iter().flat_map(|v| &v.platforms) {
        if let Err(message) = p.parse::<Platform>() {
            return Err(ConfigError::Invalid {
                at: table_origin(path, &text, "verify"),
                message: format!("[verify] platforms: {message}"),
            });
        }
    }
    let loaded = Loaded {
        path: path.to_path_buf(),
        text,
        file,
    };
    if let Some(p) = &loaded.file.platform {
        p.parse::<Platform>()
            .map_err(|message| ConfigError::Invalid {
                at: loaded.origin("platform"),
                message,
            })?;
    }
    if let Some(dir) = &loaded.file.cache_dir {
        cache_dir_allowed(dir).map_err(|why| ConfigError::Invalid {
            at: loaded.origin("cache-dir"),
            message: format!("cache-dir {dir:?}: {why}"),
        })?;
    }
    Ok(loaded)
}

/// Where a configuration file may keep the tag → digest cache: below its own directory (a relative path
/// without `..`; no directory of it may be a symbolic link, which is checked when the cache is opened), or
/// inside the user's cache directory (`$XDG_CACHE_HOME`, else `~/.cache`). A file in a repository someone
/// else controls must not make `pin` write anywhere else; `--cache-dir` on the command line may name any
/// directory.
fn cache_dir_allowed(dir: &Path) -> Result<(), String> {
    use std::path::Component;
    let climbs = dir.components().any(|c| matches!(c, Component::ParentDir));
    if !climbs && dir.is_relative() && !dir.has_root() {
        return Ok(());
    }
    let base = crate::resolve::cache::user_cache_base();
    if let Some(base) = base.as_ref().filter(|b| b.is_absolute()) {
        if !climbs && dir.strip_prefix(base).is_ok() {
            return Ok(());
        }
    }
    Err(format!(
        "a configuration file may keep the cache only below its own directory (a relative path without \
         `..`) or inside your cache directory{}; --cache-dir on the command line may name any directory",
        base.map_or(String::new(), |b| format!(" ({})", b.display()))
    ))
}

/// `file:LINE` of the `[name]` table header, or the file alone.
fn table_origin(path: &Path, text: &str, name: &str) -> String {
    let header = format!("[{name}]");
    match text.lines().position(|l| l.trim() == header) {
        Some(i) => format!("{}:{}", path.display(), i + 1),
        None => path.display().to_string(),
    }
}

/// The configuration file that applies in `cwd`: the first `pin.toml` or `.pin.toml` from `cwd` upward,
/// stopping at the repository root.
pub fn discover(cwd: &Path) -> Option<PathBuf> {
    for dir in cwd.ancestors() {
        for name in FILE_NAMES {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
        if dir.join(".git").exists() {
            return None;
        }
    }
    None
}

/// Whether the argument `id` was given on the command line (not defaulted).
pub fn given(matches: &ArgMatches, id: &str) -> bool {
    matches.try_get_raw(id).ok().flatten().is_some()
        && matches.value_source(id) == Some(ValueSource::CommandLine)
}

/// The configuration file that applies to this command line, if any.
pub fn chosen(cli: &crate::cli::Cli) -> Option<PathBuf> {
    match (&cli.config, cli.no_config) {
        (_, true) => None,
        (Some(p), false) => Some(p.clone()),
        (None, false) => discover(&std::env::current_dir().unwrap_or_default()),
    }
}

/// Loads the configuration file that applies (unless `--no-config`) and fills every setting the command
/// line did not give. `matches` are the command line's own matches, for telling a flag from its default.
pub fn apply(
    cli: &mut crate::cli::Cli,
    matches: &ArgMatches,
) -> Result<Option<Loaded>, ConfigError> {
    use crate::cli::Command;
    let Some(path) = chosen(cli) else {
        return Ok(None);
    };
    let loaded = load(&path)?;
    let sub = |name: &str| matches.subcommand_matches(name).unwrap_or(matches);
    match &mut cli.command {
        None => {
            apply_select(&mut cli.pin.select, matches, &loaded);
            apply_resolve(&mut cli.pin.resolve, matches, &loaded);
            if !cli.pin.mode.check {
                apply_cache(&mut cli.pin.resolve.registry, matches, &loaded);
            }
        }
        Some(Command::List(a)) => apply_select(&mut a.select, sub("list"), &loaded),
        Some(Command::Update(a)) => {
            apply_select(&mut a.select, sub("update"), &loaded);
            apply_registry(&mut a.registry, sub("update"), &loaded);
        }
        Some(Command::Resolve(a)) => {
            apply_resolve(&mut a.resolve, sub("resolve"), &loaded);
            apply_cache(&mut a.resolve.registry, sub("resolve"), &loaded);
        }
        Some(Command::Unpin(a)) => apply_select(&mut a.select, sub("unpin"), &loaded),
        Some(Command::Verify(a)) => {
            let m = sub("verify");
            apply_select(&mut a.select, m, &loaded);
            apply_registry(&mut a.registry, m, &loaded);
            apply_cache(&mut a.registry, m, &loaded);
            if let (Some(v), false) = (&loaded.file.verify, given(m, "platforms")) {
                // Checked when the file was loaded.
                a.platforms = v.platforms.iter().filter_map(|p| p.parse().ok()).collect();
            }
        }
        Some(Command::Fn(a)) => {
            apply_resolve(&mut a.resolve, sub("fn"), &loaded);
        }
        Some(Command::Config | Command::Completions { .. } | Command::Man) => {}
    }
    Ok(Some(loaded))
}

fn apply_select(select: &mut crate::cli::SelectArgs, m: &ArgMatches, l: &Loaded) {
    if let Some(x) = l.file.exclude.as_ref().filter(|_| !given(m, "exclude")) {
        select.exclude = x.clone();
        select.exclude_base = Some(absolute(l.dir()));
    }
    if let Some(x) = l.file.skip.as_ref().filter(|_| !given(m, "skip")) {
        select.skip = x.clone();
    }
    if let (Some(d), false) = (
        l.file.devcontainer_features,
        given(m, "devcontainer_features"),
    ) {
        select.devcontainer_features = d;
    }
    select.extra_names = l
        .file
        .files
        .iter()
        .filter_map(|(kind, globs)| Some((crate::formats::Kind::from_name(kind)?, globs)))
        .flat_map(|(kind, globs)| globs.iter().map(move |g| (kind, g.clone())))
        .collect();
}

fn apply_resolve(resolve: &mut crate::cli::ResolveArgs, m: &ArgMatches, l: &Loaded) {
    if let (Some(k), false) = (l.file.keep_tag, given(m, "keep_tag")) {
        resolve.keep_tag = k;
    }
    if let (Some(p), false) = (&l.file.platform, given(m, "platform")) {
        // Checked when the file was loaded.
        resolve.platform = p.parse().ok();
    }
    apply_registry(&mut resolve.registry, m, l);
}

fn apply_registry(registry: &mut crate::cli::RegistryArgs, m: &ArgMatches, l: &Loaded) {
    let f = &l.file;
    if let (Some(j), false) = (f.jobs, given(m, "jobs")) {
        registry.jobs = j.clamp(1, 256);
    }
    if let (Some(t), false) = (f.timeout, given(m, "timeout")) {
        registry.timeout = t.clamp(1, 3600);
    }
    if let (Some(t), false) = (f.connect_timeout, given(m, "connect_timeout")) {
        registry.connect_timeout = t.clamp(1, 3600);
    }
    if let Some(x) = f
        .insecure_registries
        .as_ref()
        .filter(|_| !given(m, "insecure_registry"))
    {
        registry.config_insecure = x.clone();
    }
    if let Some(x) = f.ca_certs.as_ref().filter(|_| !given(m, "ca_cert")) {
        registry.ca_cert = x.iter().map(|p| l.dir().join(p)).collect();
    }
    if let Some(s) = &f.signatures {
        let sig = &mut registry.signature;
        if !given(m, "require_signature") {
            sig.require_signature |= s.require;
        }
        // A key, a policy or a keyless identity on the command line replaces all of the file's.
        let keyless = [
            "signature_identity",
            "signature_identity_regexp",
            "signature_issuer",
            "signature_issuer_regexp",
        ];
        if !given(m, "signature_key") && !given(m, "policy") && !keyless.iter().any(|k| given(m, k))
        {
            sig.signature_key = s.keys.iter().map(|p| l.dir().join(p)).collect();
            sig.policy = s.policy.as_ref().map(|p| l.dir().join(p));
            sig.signature_identity = s.identity.clone();
            sig.signature_identity_regexp = s.identity_regexp.clone();
            sig.signature_issuer = s.issuer.clone();
            sig.signature_issuer_regexp = s.issuer_regexp.clone();
        }
        if !given(m, "trusted_root") {
            if let Some(p) = &s.trusted_root {
                sig.trusted_root = Some(l.dir().join(p));
            }
        }
    }
    let origin = l.path.display().to_string();
    registry.registry_tables = f
        .registries
        .iter()
        .map(|t| (t.clone(), origin.clone()))
        .collect();
}

/// The file's cache settings, where the file may switch the cache on: not in CI (`CI` set, as CI services
/// do), not for `--check` and never for `pin update` (the callers leave those out). A flag always may.
fn apply_cache(registry: &mut crate::cli::RegistryArgs, m: &ArgMatches, l: &Loaded) {
    let f = &l.file;
    if let (Some(t), false) = (f.cache_ttl, given(m, "cache_ttl")) {
        // The flag's range: a year at most.
        registry.cache_ttl = t.min(31_536_000);
    }
    let in_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0");
    if in_ci || given(m, "cache") || given(m, "cache_dir") {
        return;
    }
    if let Some(dir) = &f.cache_dir {
        // Checked when the file was loaded: below the file's directory, or inside the user's cache
        // directory. Either is the base the rest is walked from without following a link.
        let (dir, base) = if dir.is_absolute() {
            (dir.clone(), crate::resolve::cache::user_cache_base())
        } else {
            (l.dir().join(dir), Some(l.dir().to_path_buf()))
        };
        registry.cache_dir = Some(dir);
        registry.cache_base = base;
    }
    if f.cache == Some(true) {
        registry.cache = true;
    }
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    }
}

/// `pin config`: the effective settings, one per line as TOML, each with where it comes from.
pub fn show(out: &mut dyn std::io::Write, loaded: Option<&Loaded>) -> std::io::Result<()> {
    let f = loaded.map(|l| &l.file);
    match loaded {
        Some(l) => writeln!(out, "# configuration file: {}", l.path.display())?,
        None => writeln!(out, "# no configuration file")?,
    }
    let from = |key: &str, set: bool| match (loaded, set) {
        (Some(l), true) => l.origin(key),
        _ => "default".to_string(),
    };
    let list = |v: Option<&Vec<String>>| format!("{:?}", v.cloned().unwrap_or_default());
    let rows: Vec<(&str, String, bool)> = vec![
        (
            "exclude",
            list(f.and_then(|f| f.exclude.as_ref())),
            f.is_some_and(|f| f.exclude.is_some()),
        ),
        (
            "skip",
            list(f.and_then(|f| f.skip.as_ref())),
            f.is_some_and(|f| f.skip.is_some()),
        ),
        (
            "insecure-registries",
            list(f.and_then(|f| f.insecure_registries.as_ref())),
            f.is_some_and(|f| f.insecure_registries.is_some()),
        ),
        (
            "ca-certs",
            format!(
                "{:?}",
                f.and_then(|f| f.ca_certs.clone())
                    .unwrap_or_default()
                    .iter()
                    .map(|p| loaded
                        .map_or(p.clone(), |l| l.dir().join(p))
                        .display()
                        .to_string())
                    .collect::<Vec<_>>()
            ),
            f.is_some_and(|f| f.ca_certs.is_some()),
        ),
        (
            "platform",
            f.and_then(|f| f.platform.clone())
                .map_or("\"\" # none: the tag's own manifest".to_string(), |p| {
                    format!("{p:?}")
                }),
            f.is_some_and(|f| f.platform.is_some()),
        ),
        (
            "keep-tag",
            f.and_then(|f| f.keep_tag).unwrap_or(false).to_string(),
            f.is_some_and(|f| f.keep_tag.is_some()),
        ),
        (
            "devcontainer-features",
            f.and_then(|f| f.devcontainer_features)
                .unwrap_or(false)
                .to_string(),
            f.is_some_and(|f| f.devcontainer_features.is_some()),
        ),
        (
            "jobs",
            f.and_then(|f| f.jobs).unwrap_or(64).to_string(),
            f.is_some_and(|f| f.jobs.is_some()),
        ),
        (
            "timeout",
            f.and_then(|f| f.timeout).unwrap_or(30).to_string(),
            f.is_some_and(|f| f.timeout.is_some()),
        ),
        (
            "connect-timeout",
            f.and_then(|f| f.connect_timeout).unwrap_or(10).to_string(),
            f.is_some_and(|f| f.connect_timeout.is_some()),
        ),
    ];
    for (key, value, set) in rows {
        writeln!(out, "{key} = {value}  # {}", from(key, set))?;
    }
    for (kind, globs) in f
        .map(|f| f.files.iter().collect::<Vec<_>>())
        .unwrap_or_default()
    {
        writeln!(
            out,
            "files.{kind} = {globs:?}  # {}",
            loaded
                .map(|l| table_origin(&l.path, &l.text, "files"))
                .unwrap_or_default()
        )?;
    }
    for t in f.map(|f| f.registries.as_slice()).unwrap_or_default() {
        let prefix = t
            .prefix
            .as_ref()
            .or(t.location.as_ref())
            .cloned()
            .unwrap_or_default();
        let mirrors: Vec<&str> = t.mirrors.iter().map(|m| m.location.as_str()).collect();
        writeln!(
            out,
            "[[registry]] prefix = {prefix:?}, location = {:?}, mirrors = {mirrors:?}, insecure = {}, blocked = {}  # {}",
            t.location.as_deref().unwrap_or(&prefix),
            t.insecure,
            t.blocked,
            loaded.map(|l| l.path.display().to_string()).unwrap_or_default()
        )?;
    }
    if let (Some(s), Some(l)) = (f.and_then(|f| f.signatures.as_ref()), loaded) {
        let paths = |v: &[PathBuf]| {
            v.iter()
                .map(|p| l.dir().join(p).display().to_string())
                .collect::<Vec<_>>()
        };
        let path = |p: &Option<PathBuf>| {
            p.as_ref()
                .map_or(String::new(), |p| l.dir().join(p).display().to_string())
        };
        let mut keyless = String::new();
        for (k, v) in [
            ("identity", &s.identity),
            ("identity-regexp", &s.identity_regexp),
            ("issuer", &s.issuer),
            ("issuer-regexp", &s.issuer_regexp),
        ] {
            if let Some(v) = v {
                keyless.push_str(&format!(", {k} = {v:?}"));
            }
        }
        if s.trusted_root.is_some() {
            keyless.push_str(&format!(", trusted-root = {:?}", path(&s.trusted_root)));
        }
        writeln!(
            out,
            "[signatures] require = {}, keys = {:?}, policy = {:?}{keyless}  # {}",
            s.require,
            paths(&s.keys),
            path(&s.policy),
            table_origin(&l.path, &l.text, "signatures")
        )?;
    }
    if let (Some(v), Some(l)) = (f.and_then(|f| f.verify.as_ref()), loaded) {
        writeln!(
            out,
            "[verify] platforms = {:?}  # {}",
            v.platforms,
            table_origin(&l.path, &l.text, "verify")
        )?;
    }
    for file in crate::resolve::mirrors::Routes::system_files() {
        let state = if file.is_file() { "read" } else { "not found" };
        writeln!(out, "# registries.conf: {} ({state})", file.display())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn reads_every_key() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "pin.toml",
            r#"
exclude = ["vendor"]
skip = ["^internal/"]
insecure-registries = ["127.0.0.1:5000"]
ca-certs = ["certs/ca.pem"]
platform = "linux/arm64"
keep-tag = true
devcontainer-features = true
jobs = 32
timeout = 10
connect-timeout = 5

[files]
dockerfile = ["*.dockerfile.in"]

[verify]
platforms = ["linux/amd64", "linux/arm/v7"]

[[registry]]
prefix = "docker.io"
[[registry.mirror]]
location = "mirror.corp"
"#,
        );
        let l = load(&p).unwrap();
        assert_eq!(
            l.file.verify.as_ref().unwrap().platforms,
            ["linux/amd64", "linux/arm/v7"]
        );
        let mut shown = Vec::new();
        show(&mut shown, Some(&l)).unwrap();
        let shown = String::from_utf8(shown).unwrap();
        assert!(
            shown.contains(&format!(
                "[verify] platforms = [\"linux/amd64\", \"linux/arm/v7\"]  # {}:16",
                p.display()
            )),
            "{shown}"
        );
        assert_eq!(l.file.exclude.as_deref(), Some(&["vendor".to_string()][..]));
        assert_eq!(l.file.jobs, Some(32));
        assert_eq!(l.file.connect_timeout, Some(5));
        assert_eq!(l.file.keep_tag, Some(true));
        assert_eq!(l.file.devcontainer_features, Some(true));
        assert_eq!(l.file.registries[0].mirrors[0].location, "mirror.corp");
        assert_eq!(l.origin("jobs"), format!("{}:9", p.display()));
        assert_eq!(l.file.files["dockerfile"], ["*.dockerfile.in"]);
        let p = write(
            dir.path(),
            "pin.toml",
            "jobs = 1\n[files]\nhelm = [\"x\"]\n",
        );
        let e = load(&p).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!(
                "{}:2: error: [files]: unknown kind \"helm\"",
                p.display()
            )),
            "{e}"
        );
        let p = write(
            dir.path(),
            "pin.toml",
            "jobs = 1\n[verify]\nplatforms = [\"linux\"]\n",
        );
        let e = load(&p).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("{}:2: error: [verify] platforms: ", p.display())),
            "{e}"
        );
    }

    #[test]
    fn unknown_keys_and_wrong_types_name_the_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "pin.toml", "jobs = 4\nexclud = [\"x\"]\n");
        let e = load(&p).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("{}:2:1: error: ", p.display())),
            "{e}"
        );
        assert!(e.contains("exclud"), "{e}");
        let p = write(dir.path(), "pin.toml", "jobs = \"many\"\n");
        let e = load(&p).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("{}:1:8: error: ", p.display())),
            "{e}"
        );
        let p = write(dir.path(), "pin.toml", "platform = \"linux\"\n");
        let e = load(&p).unwrap_err().to_string();
        assert!(e.starts_with(&format!("{}:1: error: ", p.display())), "{e}");
    }

    #[test]
    fn discovery_goes_up_to_the_repository_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        assert_eq!(discover(&root.join("a/b")), None);
        // Above the repository: never used.
        write(dir.path(), "pin.toml", "");
        assert_eq!(discover(&root.join("a/b")), None);
        let hidden = write(&root, ".pin.toml", "");
        assert_eq!(discover(&root.join("a/b")), Some(hidden));
        let near = write(&root, "a/pin.toml", "");
        assert_eq!(discover(&root.join("a/b")), Some(near));
    }
}
