//! `pin config`: the settings a plain `pin` would run with here, and where each comes from.

use std::path::{Path, PathBuf};

use super::Env;
use crate::config::Loaded;

/// What `pin config` prints.
#[derive(Debug)]
pub struct Shown {
    loaded: Option<Loaded>,
}

impl Shown {
    pub fn new(loaded: Option<Loaded>, _env: &Env) -> Shown {
        Shown { loaded }
    }

    pub fn write(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        show(out, self.loaded.as_ref())
    }
}

/// `pin.toml:LINE` of the line that sets top-level `key`.
fn origin(l: &Loaded, key: &str) -> String {
    let line = l
        .text
        .lines()
        .position(|line| {
            line.trim_start()
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map_or(String::new(), |i| format!(":{}", i + 1));
    format!("{}{line}", l.path.display())
}

/// `file:LINE` of the `[name]` table header, or the file alone.
fn table_origin(path: &Path, text: &str, name: &str) -> String {
    let header = format!("[{name}]");
    match text.lines().position(|l| l.trim() == header) {
        Some(i) => format!("{}:{}", path.display(), i + 1),
        None => path.display().to_string(),
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
        (Some(l), true) => origin(l, key),
        _ => "default".to_string(),
    };
    let list = |v: Option<&Vec<String>>| format!("{:?}", v.cloned().unwrap_or_default());
    let rows: Vec<(&str, String, bool)> = vec![
        (
            "exclude",
            list(f.and_then(|f| f.exclude.as_ref().map(|s| s.get_ref()))),
            f.is_some_and(|f| f.exclude.is_some()),
        ),
        (
            "skip",
            list(f.and_then(|f| f.skip.as_ref().map(|s| s.get_ref()))),
            f.is_some_and(|f| f.skip.is_some()),
        ),
        (
            "insecure-registries",
            list(f.and_then(|f| f.insecure_registries.as_ref().map(|s| s.get_ref()))),
            f.is_some_and(|f| f.insecure_registries.is_some()),
        ),
        (
            "ca-certs",
            format!(
                "{:?}",
                f.and_then(|f| f.ca_certs.as_ref().map(|s| s.get_ref().clone()))
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
            f.and_then(|f| f.platform.as_ref().map(|s| s.get_ref().clone()))
                .map_or("\"\" # none: the tag's own manifest".to_string(), |p| {
                    format!("{p:?}")
                }),
            f.is_some_and(|f| f.platform.is_some()),
        ),
        (
            "keep-tag",
            f.and_then(|f| f.keep_tag.as_ref().map(|s| *s.get_ref()))
                .unwrap_or(false)
                .to_string(),
            f.is_some_and(|f| f.keep_tag.is_some()),
        ),
        (
            "devcontainer-features",
            f.and_then(|f| f.devcontainer_features.as_ref().map(|s| *s.get_ref()))
                .unwrap_or(false)
                .to_string(),
            f.is_some_and(|f| f.devcontainer_features.is_some()),
        ),
        (
            "jobs",
            f.and_then(|f| f.jobs.as_ref().map(|s| *s.get_ref()))
                .unwrap_or(64)
                .to_string(),
            f.is_some_and(|f| f.jobs.is_some()),
        ),
        (
            "timeout",
            f.and_then(|f| f.timeout.as_ref().map(|s| *s.get_ref()))
                .unwrap_or(30)
                .to_string(),
            f.is_some_and(|f| f.timeout.is_some()),
        ),
        (
            "connect-timeout",
            f.and_then(|f| f.connect_timeout.as_ref().map(|s| *s.get_ref()))
                .unwrap_or(10)
                .to_string(),
            f.is_some_and(|f| f.connect_timeout.is_some()),
        ),
    ];
    for (key, value, set) in rows {
        writeln!(out, "{key} = {value}  # {}", from(key, set))?;
    }
    for (kind, globs) in f
        .and_then(|f| f.files.as_ref())
        .map(|f| f.get_ref().iter().collect::<Vec<_>>())
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
        let t = t.get_ref();
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
        let s = s.get_ref();
        let paths = |v: &[PathBuf]| {
            v.iter()
                .map(|p| l.dir().join(p).display().to_string())
                .collect::<Vec<_>>()
        };
        writeln!(
            out,
            "[signatures] require = {}, keys = {:?}, policy = {:?}  # {}",
            s.require.as_ref().is_some_and(|r| *r.get_ref()),
            paths(s.keys.as_ref().map_or(&[][..], |k| k.get_ref())),
            s.policy
                .as_ref()
                .map(|p| p.get_ref())
                .map_or(String::new(), |p| l.dir().join(p).display().to_string()),
            table_origin(&l.path, &l.text, "signatures")
        )?;
    }
    if let (Some(v), Some(l)) = (f.and_then(|f| f.verify.as_ref()), loaded) {
        let v = v.get_ref();
        writeln!(
            out,
            "[verify] platforms = {:?}  # {}",
            v.platforms.as_ref().map_or(&[][..], |p| p.get_ref()),
            table_origin(&l.path, &l.text, "verify")
        )?;
    }
    for file in crate::registries_conf::system_files() {
        let state = if file.is_file() { "read" } else { "not found" };
        writeln!(out, "# registries.conf: {} ({state})", file.display())?;
    }
    Ok(())
}
