//! `pin config`: the settings a plain `pin` (and, for `[verify]` and `[update]`, `pin verify` and
//! `pin update`) runs with here, one key of `pin.toml` per line with where its value comes from, then the
//! registries.conf files and the tables of theirs still in effect. Flags given on a command line replace what is shown, key by key.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::*;
use crate::config::Loaded;
use crate::registries_conf::{MirrorTable, PullFromMirror};
use crate::report::escape;

/// What `pin config` prints.
#[derive(Debug)]
pub struct Shown {
    /// The configuration file, as its path is printed.
    pub(super) file: Option<PathBuf>,
    pub(super) scan: ScanSettings,
    pub(super) tag_keys: build::TagKeys,
    pub(super) pin: PinSettings,
    pub(super) registry: RegistrySettings,
    pub(super) verify_platforms: Setting<Vec<Platform>>,
    pub(super) min_age: Setting<u64>,
    pub(super) update_platforms: Setting<Vec<Platform>>,
}

impl Shown {
    pub fn new(loaded: Option<Loaded>, env: &Env) -> Shown {
        let s = build::unflagged(loaded.as_ref(), env);
        Shown {
            file: loaded.map(|l| l.path),
            scan: s.scan,
            tag_keys: s.tag_keys,
            pin: s.pin,
            registry: s.registry,
            verify_platforms: s.verify_platforms,
            min_age: s.min_age,
            update_platforms: s.update_platforms,
        }
    }

    /// Prints every key; `false` when a registries.conf file cannot be read (said on `err`).
    pub fn write(&self, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<bool> {
        match &self.file {
            Some(p) => writeln!(out, "# configuration file: {}", shown(p))?,
            None => writeln!(out, "# no configuration file")?,
        }
        writeln!(
            out,
            "# what a plain `pin` runs with here; a flag given replaces its key's value"
        )?;
        let (scan, pin, r) = (&self.scan, &self.pin, &self.registry);
        let mut row = |key: &str, value: String, origin: &Origin| -> io::Result<()> {
            writeln!(out, "{key} = {value}  # {}", escape(&origin.to_string()))
        };
        row("exclude", strings(&scan.exclude), &scan.exclude.origin)?;
        row("skip", strings(&scan.skip), &scan.skip.origin)?;
        row(
            "devcontainer-features",
            scan.devcontainer_features.to_string(),
            &scan.devcontainer_features.origin,
        )?;
        row(
            "actions.enabled",
            scan.actions.to_string(),
            &scan.actions.origin,
        )?;
        row(
            "actions.server",
            quoted(&r.actions_server),
            &r.actions_server.origin,
        )?;
        row(
            "platform",
            match &*pin.platform {
                Some(p) => quoted(&p.to_string()),
                None => "\"\" # none: the tag's own manifest".to_string(),
            },
            &pin.platform.origin,
        )?;
        let tags = &self.tag_keys;
        row(
            "tag-style",
            match *pin.tag_style {
                Some(style) => quoted(style.as_str()),
                None => {
                    "\"\" # none: comment where the format has comments, keep where it has none"
                        .to_string()
                }
            },
            &pin.tag_style.origin,
        )?;
        row("keep-tag", tags.keep_tag.to_string(), &tags.keep_tag.origin)?;
        row(
            "tag-comment",
            tags.tag_comment.to_string(),
            &tags.tag_comment.origin,
        )?;
        row("jobs", r.jobs.to_string(), &r.jobs.origin)?;
        row("timeout", r.timeout.to_string(), &r.timeout.origin)?;
        row(
            "connect-timeout",
            r.connect_timeout.to_string(),
            &r.connect_timeout.origin,
        )?;
        row(
            "insecure-registries",
            strings(&r.insecure_registries),
            &r.insecure_registries.origin,
        )?;
        row("ca-certs", paths(&r.ca_certs), &r.ca_certs.origin)?;
        let cache = &r.cache;
        row("cache", cache.enabled.to_string(), &cache.enabled.origin)?;
        let dir = match &*cache.dir {
            Some(d) => d.display().to_string(),
            None => crate::resolve::cache::default_dir()
                .map(|d| d.shown())
                .unwrap_or_default(),
        };
        row("cache-dir", quoted(&dir), &cache.dir.origin)?;
        row("cache-ttl", cache.ttl.to_string(), &cache.ttl.origin)?;
        if scan.files.is_empty() {
            row("files", "{}".to_string(), &scan.files.origin)?;
        }
        let mut kinds: Vec<(Kind, Vec<&str>)> = Vec::new();
        for (kind, glob) in scan.files.iter() {
            match kinds.last_mut() {
                Some((k, globs)) if k == kind => globs.push(glob),
                _ => kinds.push((*kind, vec![glob])),
            }
        }
        for (kind, globs) in kinds {
            let globs: Vec<String> = globs.into_iter().map(quoted).collect();
            row(
                &format!("files.{}", kind.as_str()),
                format!("[{}]", globs.join(", ")),
                &scan.files.origin,
            )?;
        }
        let sig = &r.signatures;
        row(
            "signatures.require",
            sig.require.to_string(),
            &sig.require.origin,
        )?;
        row("signatures.keys", paths(&sig.keys), &sig.keys.origin)?;
        row(
            "signatures.policy",
            path(sig.policy.as_deref()),
            &sig.policy.origin,
        )?;
        for (key, value) in [
            ("identity", &sig.identity),
            ("identity-regexp", &sig.identity_regexp),
            ("issuer", &sig.issuer),
            ("issuer-regexp", &sig.issuer_regexp),
        ] {
            row(
                &format!("signatures.{key}"),
                quoted(value.as_deref().unwrap_or_default()),
                &value.origin,
            )?;
        }
        row(
            "signatures.trusted-root",
            match &*sig.trusted_root {
                Some(p) => path(Some(p)),
                None => "\"\" # the public-good root built in".to_string(),
            },
            &sig.trusted_root.origin,
        )?;
        for (key, value) in [
            ("require-attestation", &sig.attestation),
            ("attestation-builder-id", &sig.builder_id),
            ("attestation-builder-id-regexp", &sig.builder_id_regexp),
            ("attestation-source-uri", &sig.source_uri),
            ("attestation-source-uri-regexp", &sig.source_uri_regexp),
        ] {
            row(
                &format!("signatures.{key}"),
                quoted(value.as_deref().unwrap_or_default()),
                &value.origin,
            )?;
        }
        for (key, platforms) in [
            ("verify.platforms", &self.verify_platforms),
            ("update.platforms", &self.update_platforms),
        ] {
            let listed: Vec<String> = platforms.iter().map(|p| quoted(&p.to_string())).collect();
            row(key, format!("[{}]", listed.join(", ")), &platforms.origin)?;
        }
        row(
            "update.min-age",
            match *self.min_age {
                0 => "\"0\" # none: a new digest is applied at once".to_string(),
                s => quoted(&duration::exact_duration(s)),
            },
            &self.min_age.origin,
        )?;
        if r.tables.is_empty() {
            writeln!(out, "registry = []  # default")?;
        }
        for t in &r.tables {
            writeln!(
                out,
                "[[registry]] {}  # {}",
                table(t),
                escape(&t.origin.to_string())
            )?;
        }
        self.write_registries_conf(out, err)
    }

    /// The registries.conf files, read before the configuration file's tables, and each of their tables that
    /// no later one replaces (a table replaces an earlier one with the same prefix).
    fn write_registries_conf(&self, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<bool> {
        let mut read = Vec::new();
        for file in &self.registry.registries_conf {
            match crate::registries_conf::read(file) {
                Ok(Some(tables)) => {
                    writeln!(out, "# registries.conf: {} (read)", shown(file))?;
                    read.extend(tables.into_iter().map(|t| (t, file)));
                }
                Ok(None) => writeln!(out, "# registries.conf: {} (not found)", shown(file))?,
                Err(e) => {
                    writeln!(out, "# registries.conf: {} (not read)", shown(file))?;
                    writeln!(err, "pin: error: {}", escape(&e.to_string()))?;
                    return Ok(false);
                }
            }
        }
        let later: Vec<Option<String>> = read
            .iter()
            .map(|(t, _)| t.prefix_key())
            .chain(self.registry.tables.iter().map(|t| t.prefix_key()))
            .collect();
        for (i, (t, file)) in read.iter().enumerate() {
            if later[i + 1..].contains(&t.prefix_key()) {
                continue;
            }
            writeln!(out, "[[registry]] {}  # {}", table(t), shown(file))?;
        }
        Ok(true)
    }
}

/// A `[[registry]]` table on one line, every key written.
fn table(t: &RegistryTable) -> String {
    let mirrors: Vec<String> = t.mirrors.iter().map(mirror).collect();
    format!(
        "prefix = {}, location = {}, insecure = {}, blocked = {}, mirror-by-digest-only = {}, mirror = [{}]",
        quoted(&t.prefix_key().unwrap_or_default()),
        quoted(t.location.as_deref().or(t.prefix.as_deref()).unwrap_or_default()),
        t.insecure,
        t.blocked,
        t.mirror_by_digest_only,
        mirrors.join(", ")
    )
}

fn mirror(m: &MirrorTable) -> String {
    format!(
        "{{ location = {}, insecure = {}, pull-from-mirror = {} }}",
        quoted(&m.location),
        m.insecure,
        quoted(match m.pull_from_mirror.unwrap_or_default() {
            PullFromMirror::All => "all",
            PullFromMirror::DigestOnly => "digest-only",
            PullFromMirror::TagOnly => "tag-only",
        })
    )
}

/// A path as `pin config` prints it in a comment: escaped ([`crate::report::path_text`], [`escape`]).
fn shown(path: &Path) -> String {
    escape(&crate::report::path_text(path)).into_owned()
}

/// A TOML string (the escapes TOML and Rust share for what file names and patterns hold).
fn quoted(s: &str) -> String {
    format!("{s:?}")
}

fn strings(v: &[String]) -> String {
    let v: Vec<String> = v.iter().map(|s| quoted(s)).collect();
    format!("[{}]", v.join(", "))
}

fn path(p: Option<&Path>) -> String {
    quoted(&p.map(|p| p.display().to_string()).unwrap_or_default())
}

fn paths(v: &[PathBuf]) -> String {
    let v: Vec<String> = v.iter().map(|p| path(Some(p))).collect();
    format!("[{}]", v.join(", "))
}
