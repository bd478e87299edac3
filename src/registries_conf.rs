//! containers-registries.conf(5) version 2 (and version 1's lists): the `[[registry]]` tables that podman,
//! skopeo and CRI-O read from registries.conf, and that `pin.toml` takes in the same spelling.
//!
//! This module reads the files and their tables; what a lookup makes of them is `resolve::mirrors`. The rest
//! of the format (search registries, aliases, credential helpers) is accepted and ignored, since `pin`
//! never resolves short names by search.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::formats::LineIndex;

/// Which mirrors a lookup may use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PullFromMirror {
    #[default]
    All,
    DigestOnly,
    TagOnly,
}

/// One `[[registry.mirror]]` table.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct MirrorTable {
    pub location: String,
    #[serde(default)]
    pub insecure: bool,
    #[serde(default)]
    pub pull_from_mirror: Option<PullFromMirror>,
}

/// One `[[registry]]` table, as registries.conf and `pin.toml` spell it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RegistryTable {
    #[serde(default)]
    pub prefix: Option<String>,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub insecure: bool,
    #[serde(default)]
    pub blocked: bool,
    #[serde(default)]
    pub mirror_by_digest_only: bool,
    #[serde(default, rename = "mirror")]
    pub mirrors: Vec<MirrorTable>,
}

/// A registries.conf file: the tables `pin` uses; the rest of the format (search registries, aliases,
/// credential helpers) is accepted and ignored, since `pin` never resolves short names by search.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct ConfFile {
    #[serde(default, rename = "registry")]
    registries: Vec<RegistryTable>,
    /// Version 1 (deprecated): `[registries.insecure] registries = […]` and `[registries.block]`.
    #[serde(default, rename = "registries")]
    v1: Option<V1Tables>,
}

#[derive(Debug, Default, Deserialize)]
struct V1Tables {
    #[serde(default)]
    insecure: V1List,
    #[serde(default)]
    block: V1List,
}

#[derive(Debug, Default, Deserialize)]
struct V1List {
    #[serde(default)]
    registries: Vec<String>,
}

impl RegistryTable {
    /// The prefix the table is for: its `prefix`, else its `location`, without a trailing `/`. A later table
    /// with the same one replaces an earlier.
    pub fn prefix_key(&self) -> Option<String> {
        let p = self.prefix.as_ref().or(self.location.as_ref())?;
        Some(p.trim_end_matches('/').to_string())
    }
}

/// A registries.conf that cannot be read or parsed.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct ConfError {
    /// The file, with `:line:col` when the place is known.
    pub file: String,
    pub message: String,
}

/// The registries.conf files the container tools read: `$CONTAINERS_REGISTRIES_CONF` alone when set;
/// otherwise `~/.config/containers/registries.conf` if it exists, else `/etc/containers/registries.conf`,
/// then the `*.conf` files of `/etc/containers/registries.conf.d/` and
/// `~/.config/containers/registries.conf.d/`, in name order. Missing files are fine.
pub fn system_files() -> Vec<PathBuf> {
    if let Some(p) = std::env::var_os("CONTAINERS_REGISTRIES_CONF") {
        return vec![PathBuf::from(p)];
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let user = home
        .as_ref()
        .map(|h| h.join(".config/containers/registries.conf"));
    let mut files = vec![match user {
        Some(u) if u.exists() => u,
        _ => PathBuf::from("/etc/containers/registries.conf"),
    }];
    let mut dirs = vec![PathBuf::from("/etc/containers/registries.conf.d")];
    dirs.extend(
        home.as_ref()
            .map(|h| h.join(".config/containers/registries.conf.d")),
    );
    for dir in dirs {
        let Ok(read) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut dropins: Vec<PathBuf> = read
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "conf"))
            .collect();
        dropins.sort();
        files.extend(dropins);
    }
    files
}

/// The tables of one registries.conf file, in the order a later one replaces an earlier: version 1's
/// insecure and blocked lists, then the `[[registry]]` tables. `None` for a file that does not exist.
pub fn read(path: &Path) -> Result<Option<Vec<RegistryTable>>, ConfError> {
    let shown = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => parse(&shown, &text).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ConfError {
            file: shown,
            message: format!("cannot read: {e}"),
        }),
    }
}

/// The tables of a registries.conf text (`shown` names it in errors, with the line and column).
pub fn parse(shown: &str, text: &str) -> Result<Vec<RegistryTable>, ConfError> {
    let conf: ConfFile = toml::from_str(text).map_err(|e| ConfError {
        file: match e.span() {
            Some(span) => {
                let (line, col) = LineIndex::new(text).line_col(text, span.start);
                format!("{shown}:{line}:{col}")
            }
            None => shown.to_string(),
        },
        message: e.message().to_string(),
    })?;
    let mut tables = Vec::new();
    if let Some(v1) = conf.v1 {
        tables.extend(v1.insecure.registries.into_iter().map(|r| RegistryTable {
            location: Some(r),
            insecure: true,
            ..RegistryTable::default()
        }));
        tables.extend(v1.block.registries.into_iter().map(|r| RegistryTable {
            location: Some(r),
            blocked: true,
            ..RegistryTable::default()
        }));
    }
    tables.extend(conf.registries);
    Ok(tables)
}
