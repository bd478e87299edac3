//! `pin.toml`: persistent settings, found the way ruff and typos find theirs.
//!
//! Discovery: `--config FILE`, or none with `--no-config`, or the first `pin.toml` or `.pin.toml` found from
//! the current directory upward, stopping at the repository root (the first directory holding `.git`).
//! Reading checks the whole file (unknown keys, wrong types and values out of their grammar are errors
//! naming `file:line`) and keeps where each value is written (`toml::Spanned`). Merging it with the flags is
//! `settings`' work, not this module's.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::formats::{Kind, LineIndex};
use crate::platform::Platform;
use crate::registries_conf::RegistryTable;

/// The names a configuration file may have, in the order they are looked for in each directory.
pub const FILE_NAMES: &[&str] = &["pin.toml", ".pin.toml"];

/// The file's contents, each value with its place. Keys are kebab-case, as in the flags.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct File {
    pub exclude: Option<Spanned<Vec<String>>>,
    pub skip: Option<Spanned<Vec<String>>>,
    pub insecure_registries: Option<Spanned<Vec<String>>>,
    pub ca_certs: Option<Spanned<Vec<PathBuf>>>,
    /// Checked to be a platform when the file is read.
    pub platform: Option<Spanned<String>>,
    /// `drop`, `keep` or `comment`; not together with `keep-tag = true` or `tag-comment = true`.
    pub tag_style: Option<Spanned<String>>,
    pub keep_tag: Option<Spanned<bool>>,
    /// Not together with `keep-tag = true`.
    pub tag_comment: Option<Spanned<bool>>,
    pub devcontainer_features: Option<Spanned<bool>>,
    pub jobs: Option<Spanned<u16>>,
    pub timeout: Option<Spanned<u64>>,
    pub connect_timeout: Option<Spanned<u64>>,
    pub cache: Option<Spanned<bool>>,
    pub cache_dir: Option<Spanned<PathBuf>>,
    pub cache_ttl: Option<Spanned<u64>>,
    /// `[files]`: extra file names per kind (`dockerfile = ["*.dockerfile.in"]`), tried before the built-in
    /// names. Kinds and globs are checked when the file is read.
    pub files: Option<Spanned<BTreeMap<String, Vec<String>>>>,
    /// `[[registry]]` tables, as in containers-registries.conf(5): mirrors, remapping, blocked registries.
    #[serde(default, rename = "registry")]
    pub registries: Vec<Spanned<RegistryTable>>,
    /// `[signatures]`: signature-gated pinning.
    pub signatures: Option<Spanned<Signatures>>,
    /// `[verify]`: what `pin verify` requires of every pin.
    pub verify: Option<Spanned<Verify>>,
    /// `[update]`: how `pin update` takes a moved tag.
    pub update: Option<Spanned<Update>>,
    /// `actions = false` (`--no-actions`), or an `[actions]` table (`enabled`, `server`).
    pub actions: Option<Spanned<Actions>>,
}

/// `actions = BOOL`, or the `[actions]` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actions {
    /// `actions = false`: as `--no-actions`.
    Enabled(bool),
    /// `[actions]`: `enabled` (as `actions = BOOL`) and `server` (as `--actions-server`).
    Table {
        enabled: Option<Spanned<bool>>,
        server: Option<Spanned<String>>,
    },
}

impl Actions {
    /// Whether actions are pinned, and the span of the table's `enabled` key (`None` for `actions = BOOL`,
    /// whose span is the value's own).
    pub fn enabled(&self) -> Option<(bool, Option<std::ops::Range<usize>>)> {
        match self {
            Actions::Enabled(b) => Some((*b, None)),
            Actions::Table { enabled, .. } => {
                enabled.as_ref().map(|e| (*e.get_ref(), Some(e.span())))
            }
        }
    }

    /// The table's `server`, and its span.
    pub fn server(&self) -> Option<(String, Option<std::ops::Range<usize>>)> {
        match self {
            Actions::Enabled(_) => None,
            Actions::Table { server, .. } => server
                .as_ref()
                .map(|s| (s.get_ref().clone(), Some(s.span()))),
        }
    }
}

/// The `[actions]` table's keys.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct ActionsTable {
    enabled: Option<Spanned<bool>>,
    server: Option<Spanned<String>>,
}

impl<'de> Deserialize<'de> for Actions {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Actions, D::Error> {
        struct Either;
        impl<'de> serde::de::Visitor<'de> for Either {
            type Value = Actions;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a boolean (`actions = false`) or an [actions] table (enabled, server)")
            }
            fn visit_bool<E>(self, b: bool) -> Result<Actions, E> {
                Ok(Actions::Enabled(b))
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(self, m: M) -> Result<Actions, M::Error> {
                let t = ActionsTable::deserialize(serde::de::value::MapAccessDeserializer::new(m))?;
                Ok(Actions::Table {
                    enabled: t.enabled,
                    server: t.server,
                })
            }
        }
        d.deserialize_any(Either)
    }
}

/// The `[verify]` table.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Verify {
    /// Every pinned index must offer each of these (`["linux/amd64", "linux/arm64"]`); checked to be
    /// platforms when the file is read.
    pub platforms: Option<Spanned<Vec<String>>>,
}

/// The `[update]` table.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Update {
    /// The waiting period before a new digest is applied (`"3d"`, `"12h"`, `"1w"`); checked to be a duration
    /// when the file is read.
    pub min_age: Option<Spanned<String>>,
    /// The platforms whose manifests matter when a pinned index moves (`["linux/amd64", "linux/arm64"]`);
    /// checked to be platforms when the file is read.
    pub platforms: Option<Spanned<Vec<String>>>,
}

/// The `[signatures]` table. Paths are relative to the configuration file's directory.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Signatures {
    pub require: Option<Spanned<bool>>,
    pub keys: Option<Spanned<Vec<PathBuf>>>,
    pub policy: Option<Spanned<PathBuf>>,
    /// Keyless: the certificate's subject, exactly or as a regular expression, and its OIDC issuer.
    pub identity: Option<Spanned<String>>,
    pub identity_regexp: Option<Spanned<String>>,
    pub issuer: Option<Spanned<String>>,
    pub issuer_regexp: Option<Spanned<String>>,
    pub trusted_root: Option<Spanned<PathBuf>>,
    /// The attestation required (`slsaprovenance`, …), and what the provenance must name: its builder id and
    /// source repository, exactly or as a regular expression.
    pub require_attestation: Option<Spanned<String>>,
    pub attestation_builder_id: Option<Spanned<String>>,
    pub attestation_builder_id_regexp: Option<Spanned<String>>,
    pub attestation_source_uri: Option<Spanned<String>>,
    pub attestation_source_uri_regexp: Option<Spanned<String>>,
}

impl Signatures {
    /// Whether the table names a keyless signer (a subject or an issuer).
    pub fn keyless(&self) -> bool {
        self.identity.is_some()
            || self.identity_regexp.is_some()
            || self.issuer.is_some()
            || self.issuer_regexp.is_some()
    }
}

/// A configuration file that was read.
#[derive(Debug)]
pub struct Loaded {
    /// The path as given or found, relative to the current directory when below it.
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

    /// The 1-based line a span of the file starts on.
    pub fn line(&self, span: Range<usize>) -> usize {
        LineIndex::new(&self.text)
            .line_col(&self.text, span.start)
            .0
    }

    /// `file:LINE` of a span of the file.
    fn at(&self, span: Range<usize>) -> String {
        format!("{}:{}", self.path.display(), self.line(span))
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

/// Reads and checks one configuration file; `cwd` shortens its path for messages, and `user_cache` is the
/// user's cache directory (`$XDG_CACHE_HOME`, else `~/.cache`), where `cache-dir` may also point.
pub fn load(path: &Path, cwd: &Path, user_cache: Option<&Path>) -> Result<Loaded, ConfigError> {
    // Printed relative to the current directory when below it, like every other path.
    let path = path.strip_prefix(cwd).unwrap_or(path);
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: shown.clone(),
        source,
    })?;
    let file: File = toml::from_str(&text).map_err(|e| ConfigError::Invalid {
        at: match e.span() {
            Some(span) => {
                let (line, col) = LineIndex::new(&text).line_col(&text, span.start);
                format!("{shown}:{line}:{col}")
            }
            None => shown.clone(),
        },
        message: e.message().trim_end().to_string(),
    })?;
    let loaded = Loaded {
        path: path.to_path_buf(),
        text,
        file,
    };
    check(&loaded, user_cache)?;
    Ok(loaded)
}

/// What the types alone do not check: kind names and globs, platforms, two signers, two tag styles, where
/// the cache may be.
fn check(l: &Loaded, user_cache: Option<&Path>) -> Result<(), ConfigError> {
    let f = &l.file;
    let invalid = |span: Range<usize>, message: String| ConfigError::Invalid {
        at: l.at(span),
        message,
    };
    if let Some(files) = &f.files {
        for (kind, globs) in files.get_ref() {
            if Kind::from_name(kind).is_none() {
                let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
                return Err(invalid(
                    files.span(),
                    format!(
                        "[files]: unknown kind {kind:?}; the kinds are {}",
                        names.join(", ")
                    ),
                ));
            }
            for g in globs {
                if let Err(e) = globset::Glob::new(g) {
                    return Err(invalid(
                        files.span(),
                        format!("[files] {kind}: {g:?}: {}", e.kind()),
                    ));
                }
            }
        }
    }
    if let Some(s) = &f.signatures {
        let t = s.get_ref();
        let keys = t.keys.as_ref().is_some_and(|k| !k.get_ref().is_empty());
        if [keys, t.policy.is_some(), t.keyless()]
            .iter()
            .filter(|x| **x)
            .count()
            > 1
        {
            return Err(invalid(
                s.span(),
                "[signatures]: give keys, policy or a keyless identity (identity, issuer), not two of them"
                    .to_string(),
            ));
        }
        if let Some(a) = &t.require_attestation {
            crate::resolve::attestation::Kind::parse(a.get_ref()).map_err(|message| {
                invalid(
                    a.span(),
                    format!("[signatures] require-attestation: {message}"),
                )
            })?;
        }
        for (exact, regexp, key) in [
            (
                &t.attestation_builder_id,
                &t.attestation_builder_id_regexp,
                "attestation-builder-id",
            ),
            (
                &t.attestation_source_uri,
                &t.attestation_source_uri_regexp,
                "attestation-source-uri",
            ),
        ] {
            if let (Some(_), Some(r)) = (exact, regexp) {
                return Err(invalid(
                    r.span(),
                    format!("[signatures]: give {key} or {key}-regexp, not both"),
                ));
            }
        }
    }
    if let Some(v) = &f.verify {
        for p in v.get_ref().platforms.iter().flat_map(|p| p.get_ref()) {
            if let Err(message) = p.parse::<Platform>() {
                return Err(invalid(v.span(), format!("[verify] platforms: {message}")));
            }
        }
    }
    if let Some(age) = f.update.as_ref().and_then(|u| u.get_ref().min_age.as_ref()) {
        crate::settings::parse_duration(age.get_ref())
            .map_err(|message| invalid(age.span(), format!("[update] min-age: {message}")))?;
    }
    if let Some(u) = &f.update {
        for p in u.get_ref().platforms.iter().flat_map(|p| p.get_ref()) {
            if let Err(message) = p.parse::<Platform>() {
                return Err(invalid(u.span(), format!("[update] platforms: {message}")));
            }
        }
    }
    if let Some(style) = &f.tag_style {
        if crate::settings::TagStyle::parse(style.get_ref()).is_none() {
            return Err(invalid(
                style.span(),
                format!(
                    "tag-style = {:?}: expected \"drop\", \"keep\" or \"comment\"",
                    style.get_ref()
                ),
            ));
        }
        for (name, key) in [("keep-tag", &f.keep_tag), ("tag-comment", &f.tag_comment)] {
            if key.as_ref().is_some_and(|k| *k.get_ref()) {
                return Err(invalid(
                    style.span(),
                    format!("tag-style and {name} = true cannot both be set: keep tag-style"),
                ));
            }
        }
    }
    if let (Some(keep), Some(comment)) = (&f.keep_tag, &f.tag_comment) {
        if *keep.get_ref() && *comment.get_ref() {
            return Err(invalid(
                comment.span(),
                "keep-tag and tag-comment cannot both be true: the tag goes in the reference or in a comment"
                    .to_string(),
            ));
        }
    }
    if let Some(p) = &f.platform {
        p.get_ref()
            .parse::<Platform>()
            .map_err(|message| invalid(p.span(), message))?;
    }
    if let Some(dir) = &f.cache_dir {
        cache_dir_allowed(dir.get_ref(), user_cache)
            .map_err(|why| invalid(dir.span(), format!("cache-dir {:?}: {why}", dir.get_ref())))?;
    }
    Ok(())
}

/// Where a configuration file may keep the tag → digest cache: below its own directory (a relative path
/// without `..`; no directory of it may be a symbolic link, which is checked when the cache is opened), or
/// inside the user's cache directory `user_cache`. A file in a repository someone else controls must not make
/// `pin` write anywhere else; `--cache-dir` on the command line may name any directory.
fn cache_dir_allowed(dir: &Path, user_cache: Option<&Path>) -> Result<(), String> {
    use std::path::Component;
    let climbs = dir.components().any(|c| matches!(c, Component::ParentDir));
    if !climbs && dir.is_relative() && !dir.has_root() {
        return Ok(());
    }
    if let Some(base) = user_cache.filter(|b| b.is_absolute()) {
        if !climbs && dir.strip_prefix(base).is_ok() {
            return Ok(());
        }
    }
    Err(format!(
        "a configuration file may keep the cache only below its own directory (a relative path without \
         `..`) or inside your cache directory{}; --cache-dir on the command line may name any directory",
        user_cache.map_or(String::new(), |b| format!(" ({})", b.display()))
    ))
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

/// The configuration file that applies: `--config FILE`, none with `--no-config`, else the one found from
/// `cwd`.
pub fn chosen(config: Option<&Path>, no_config: bool, cwd: &Path) -> Option<PathBuf> {
    match (config, no_config) {
        (_, true) => None,
        (Some(p), false) => Some(p.to_path_buf()),
        (None, false) => discover(cwd),
    }
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

    /// The error loading `text` as `dir/pin.toml` gives, and the path it should start with.
    fn load_error(dir: &Path, text: &str) -> (String, String) {
        let p = write(dir, "pin.toml", text);
        let e = load(&p, Path::new("/nonexistent"), None)
            .unwrap_err()
            .to_string();
        (p.display().to_string(), e)
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
        let l = load(&p, Path::new("/nonexistent"), None).unwrap();
        let f = &l.file;
        let verify = f.verify.as_ref().unwrap();
        assert_eq!(l.line(verify.span()), 16, "the table's header");
        assert_eq!(
            verify.get_ref().platforms.as_ref().unwrap().get_ref(),
            &["linux/amd64", "linux/arm/v7"]
        );
        let value = |s: &Option<Spanned<bool>>| s.as_ref().map(|s| *s.get_ref());
        assert_eq!(
            f.exclude.as_ref().unwrap().get_ref(),
            &["vendor".to_string()]
        );
        assert_eq!(f.jobs.as_ref().map(|j| *j.get_ref()), Some(32));
        assert_eq!(l.line(f.jobs.as_ref().unwrap().span()), 9);
        assert_eq!(f.connect_timeout.as_ref().map(|t| *t.get_ref()), Some(5));
        assert_eq!(value(&f.keep_tag), Some(true));
        assert_eq!(value(&f.devcontainer_features), Some(true));
        assert_eq!(f.registries[0].get_ref().mirrors[0].location, "mirror.corp");
        assert_eq!(l.line(f.registries[0].span()), 19);
        assert_eq!(
            f.files.as_ref().unwrap().get_ref()["dockerfile"],
            ["*.dockerfile.in"]
        );
        let (p, e) = load_error(dir.path(), "jobs = 1\n[files]\nhelm = [\"x\"]\n");
        assert!(
            e.starts_with(&format!("{p}:2: error: [files]: unknown kind \"helm\"")),
            "{e}"
        );
        let (p, e) = load_error(dir.path(), "jobs = 1\n[verify]\nplatforms = [\"linux\"]\n");
        assert!(
            e.starts_with(&format!("{p}:2: error: [verify] platforms: ")),
            "{e}"
        );
        let (p, e) = load_error(
            dir.path(),
            "jobs = 1\n[update]\nplatforms = [\"linux/arm64\", \"arm64\"]\n",
        );
        assert!(
            e.starts_with(&format!("{p}:2: error: [update] platforms: ")),
            "{e}"
        );
    }

    #[test]
    fn unknown_keys_and_wrong_types_name_the_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let (p, e) = load_error(dir.path(), "jobs = 4\nexclud = [\"x\"]\n");
        assert!(e.starts_with(&format!("{p}:2:1: error: ")), "{e}");
        assert!(e.contains("exclud"), "{e}");
        let (p, e) = load_error(dir.path(), "jobs = \"many\"\n");
        assert!(e.starts_with(&format!("{p}:1:8: error: ")), "{e}");
        let (p, e) = load_error(dir.path(), "platform = \"linux\"\n");
        assert!(e.starts_with(&format!("{p}:1: error: ")), "{e}");
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
