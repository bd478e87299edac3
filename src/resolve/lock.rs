//! The lockfile: every resolution a run made, so a later run can apply the same pins with no registry.
//!
//! Format: one JSON document, keys sorted, one image per entry, so that a change reviews as a small diff:
//!
//! ```json
//! {
//!   "version": 1,
//!   "images": {
//!     "docker.io/library/busybox:1.38.0": {
//!       "digest": "sha256:…",
//!       "mediaType": "application/vnd.oci.image.index.v1+json"
//!     }
//!   }
//! }
//! ```
//!
//! GitHub Actions refs go in an `"actions"` object beside `"images"` (`"github.com/actions/checkout@v4":
//! {"commit": "…"}`), present only when a run resolved one.
//!
//! `pin update --min-age --lock FILE` keeps its first-seen records in a `"firstSeen"` object beside them
//! (`"docker.io/library/nginx:1.27": {"sha256:…": "2026-12-07T05:00:00Z"}`: when `pin` first saw the tag
//! point at that digest), present only when it holds one; see [`super::seen`]. A lockfile without it reads
//! as before.
//!
//! Keys are normalized (`registry/repository:tag`), so `busybox:1.38.0` and `docker.io/library/busybox:1.38.0`
//! share an entry. Every digest is validated on load: a hand-edited lockfile cannot put a malformed digest
//! into a file.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::git::{ActionKey, Commit, RefKind};
use super::seen::{Records, RecordsText};
use super::{Key, Manifest};
use crate::reference::action::is_commit;
use crate::reference::{is_reference_digest, Reference};
use crate::rewrite::owned::{self, OwnedError, Place};

const VERSION: u32 = 1;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lockfile {
    version: u32,
    images: BTreeMap<String, Entry>,
    /// GitHub Actions refs and the commits they named: `github.com/actions/checkout@v4` → commit. Left out
    /// when empty, so a lockfile of images alone reads as before.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    actions: BTreeMap<String, ActionEntry>,
    /// `pin update --min-age`: when each tag was first seen pointing at each new digest. Left out when empty.
    #[serde(
        rename = "firstSeen",
        default,
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    first_seen: RecordsText,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionEntry {
    commit: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    digest: String,
    #[serde(rename = "mediaType", default, skip_serializing_if = "Option::is_none")]
    media_type: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("{path}: cannot read the lockfile: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "{path}: the lockfile does not exist; --offline applies a lockfile recorded by a run without \
         --offline (`pin --lock {path} …`)"
    )]
    Missing { path: String },
    #[error("{path}: not a pin lockfile: {message}")]
    Parse { path: String, message: String },
    #[error("{path}: cannot write the lockfile: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    /// `pin unpin --from-lock`: no lockfile there to read tags from.
    #[error(
        "{path}: the lockfile does not exist; `pin unpin --from-lock` reads the tags that a run with \
         `--lock {path}` recorded"
    )]
    NoTags { path: String },
    /// `pin unpin --from-lock DIR`: a directory where the lockfile was meant.
    #[error(
        "{path} is a directory: --from-lock takes a lockfile (`pin unpin --from-lock pin.lock {path}`)"
    )]
    Directory { path: String },
    /// A symbolic link on the way, or something other than a file.
    #[error(transparent)]
    Place(OwnedError),
}

impl LockError {
    fn of(e: OwnedError, write: bool) -> LockError {
        match e {
            OwnedError::Io { path, source } if write => LockError::Write { path, source },
            OwnedError::Io { path, source } => LockError::Read { path, source },
            other => LockError::Place(other),
        }
    }
}

impl Lockfile {
    pub fn new() -> Lockfile {
        Lockfile {
            version: VERSION,
            images: BTreeMap::new(),
            actions: BTreeMap::new(),
            first_seen: BTreeMap::new(),
        }
    }

    /// Reads the lockfile at `place` (never through a symbolic link); `None` when it does not exist.
    pub fn load(place: &Place) -> Result<Option<Lockfile>, LockError> {
        let Some(bytes) = owned::read(place).map_err(|e| LockError::of(e, false))? else {
            return Ok(None);
        };
        let shown = place.shown();
        let text = String::from_utf8(bytes).map_err(|_| LockError::Parse {
            path: shown.clone(),
            message: "not UTF-8".to_string(),
        })?;
        Lockfile::parse(&text)
            .map(Some)
            .map_err(|message| LockError::Parse {
                path: shown,
                message,
            })
    }

    pub fn parse(text: &str) -> Result<Lockfile, String> {
        let lock: Lockfile = serde_json::from_str(text).map_err(|e| e.to_string())?;
        // A map keeps the last of two equal keys; a lockfile holding one twice is refused instead (the
        // entry a reviewer reads first may not be the one applied). Fields of the same object twice are
        // already refused by the parse above.
        if let Some((key, first, second)) = duplicate_image(text) {
            return Err(format!(
                "{key:?} appears twice, at lines {first} and {second}; keep one entry"
            ));
        }
        if lock.version != VERSION {
            return Err(format!(
                "version {} (this pin reads version {VERSION})",
                lock.version
            ));
        }
        for (key, entry) in &lock.images {
            if !is_reference_digest(&entry.digest) {
                return Err(format!("{key}: malformed digest {:?}", entry.digest));
            }
        }
        for (key, entry) in &lock.actions {
            let lower = entry.commit.bytes().all(|b| !b.is_ascii_uppercase());
            if !is_commit(&entry.commit) || !lower {
                return Err(format!(
                    "{key}: malformed commit {:?} (40 lowercase hexadecimal digits)",
                    entry.commit
                ));
            }
        }
        Records::from_text(&lock.first_seen)?;
        Ok(lock)
    }

    /// The first-seen records of `pin update --min-age` (checked when the file was read).
    pub fn records(&self) -> Records {
        Records::from_text(&self.first_seen).unwrap_or_default()
    }

    pub fn set_records(&mut self, records: &Records) {
        self.first_seen = records.to_text();
    }

    pub fn get(&self, key: &Key) -> Option<Manifest> {
        self.images.get(&key.to_string()).map(|e| Manifest {
            digest: e.digest.clone(),
            media_type: e.media_type.clone(),
            ..Manifest::default()
        })
    }

    pub fn record(&mut self, key: &Key, manifest: &Manifest) {
        self.images.insert(
            key.to_string(),
            Entry {
                digest: manifest.digest.clone(),
                media_type: manifest.media_type.clone(),
            },
        );
    }

    /// The commit recorded for an action ref.
    pub fn get_action(&self, key: &ActionKey) -> Option<Commit> {
        self.actions.get(&key.to_string()).map(|e| Commit {
            commit: e.commit.clone(),
            kind: RefKind::Recorded,
        })
    }

    pub fn record_action(&mut self, key: &ActionKey, commit: &Commit) {
        self.actions.insert(
            key.to_string(),
            ActionEntry {
                commit: commit.commit.clone(),
            },
        );
    }

    /// For each repository and digest, the tags the lockfile records resolving to it (`pin unpin
    /// --from-lock`).
    pub fn tags(&self) -> Tags {
        let mut tags = Tags::default();
        for (key, entry) in &self.images {
            // `registry/repository:tag`, then ` (os/arch)` for a platform pin: that tag named that platform's
            // manifest, so it resolved to that digest too.
            let name = match key.split_once(" (") {
                Some((name, platform)) if platform.ends_with(')') => name,
                _ => key.as_str(),
            };
            // Keys are written normalized; parsed again, a key written by hand in a short form
            // (`busybox:1`) names the same repository.
            let Ok(r) = Reference::parse(name) else {
                continue;
            };
            let (Some(tag), None) = (r.tag(), r.digest()) else {
                continue;
            };
            tags.0
                .entry((
                    r.registry().to_string(),
                    r.repository().to_string(),
                    entry.digest.clone(),
                ))
                .or_default()
                .insert(tag.to_string());
        }
        tags
    }

    pub fn to_text(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a lockfile always serializes");
        s.push('\n');
        s
    }

    /// Writes atomically, never through a symbolic link; leaves the file alone when its text would not
    /// change.
    pub fn save(&self, place: &Place) -> Result<(), LockError> {
        let text = self.to_text();
        if owned::read(place).ok().flatten().as_deref() == Some(text.as_bytes()) {
            return Ok(());
        }
        owned::write(place, text.as_bytes(), false).map_err(|e| LockError::of(e, true))
    }
}

/// What a lockfile says each digest was resolved from: for each repository (normalized, as lockfile keys are)
/// and digest, the tags recorded pointing at it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tags(BTreeMap<(String, String, String), BTreeSet<String>>);

impl Tags {
    /// The tags recorded for the repository and digest of `r` (sorted; none when `r` has no digest).
    pub fn of(&self, r: &Reference) -> Vec<&str> {
        let Some(digest) = r.digest() else {
            return Vec::new();
        };
        let key = (
            r.registry().to_string(),
            r.repository().to_string(),
            digest.to_string(),
        );
        self.0
            .get(&key)
            .map(|tags| tags.iter().map(String::as_str).collect())
            .unwrap_or_default()
    }
}

/// The first key of `images` that appears twice (compared as read, escapes decoded), with the lines of its
/// two appearances. `text` is known to be valid JSON.
fn duplicate_image(text: &str) -> Option<(String, usize, usize)> {
    use jsonc_parser::ast::{ObjectPropName, Value};
    let parsed = jsonc_parser::parse_to_ast(text, &Default::default(), &Default::default()).ok()?;
    let Some(Value::Object(root)) = parsed.value else {
        return None;
    };
    let images = root
        .properties
        .iter()
        .find_map(|p| match (&p.name, &p.value) {
            (ObjectPropName::String(n), Value::Object(o)) if n.value == "images" => Some(o),
            _ => None,
        })?;
    let line = |at: usize| text[..at.min(text.len())].matches('\n').count() + 1;
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &images.properties {
        let ObjectPropName::String(name) = &p.name else {
            continue;
        };
        if let Some(first) = seen.insert(&name.value, name.range.start) {
            return Some((name.value.to_string(), line(first), line(name.range.start)));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(tag: &str) -> Key {
        Key {
            registry: "docker.io".into(),
            repository: "library/busybox".into(),
            tag: tag.into(),
            platform: None,
            current: None,
        }
    }

    #[test]
    fn round_trips_sorted() {
        let mut lock = Lockfile::new();
        let m = |c: char| Manifest {
            digest: format!("sha256:{}", c.to_string().repeat(64)),
            media_type: Some("application/vnd.oci.image.index.v1+json".into()),
            ..Manifest::default()
        };
        lock.record(&key("2"), &m('b'));
        lock.record(&key("1"), &m('a'));
        let text = lock.to_text();
        assert!(text.find(":1\"").unwrap() < text.find(":2\"").unwrap());
        let back = Lockfile::parse(&text).unwrap();
        assert_eq!(back, lock);
        assert_eq!(back.get(&key("1")), Some(m('a')));
        assert_eq!(back.get(&key("3")), None);
    }

    #[test]
    fn rejects_bad_digests_versions_and_fields() {
        let bad = r#"{"version":1,"images":{"x:1":{"digest":"sha256:abc"}}}"#;
        assert!(Lockfile::parse(bad)
            .unwrap_err()
            .contains("malformed digest"));
        assert!(Lockfile::parse(r#"{"version":2,"images":{}}"#).is_err());
        assert!(Lockfile::parse(r#"{"version":1,"images":{},"x":1}"#).is_err());
        assert!(Lockfile::parse("").is_err());
    }

    #[test]
    fn first_seen_records_round_trip_and_old_lockfiles_read() {
        let digest = format!("sha256:{}", "a".repeat(64));
        // A lockfile written before the records existed reads, and is written back without them.
        let old = format!(
            "{{\n  \"version\": 1,\n  \"images\": {{\n    \"docker.io/library/busybox:1\": {{\n      \"digest\": \"{digest}\"\n    }}\n  }}\n}}\n"
        );
        let mut lock = Lockfile::parse(&old).unwrap();
        assert_eq!(lock.records(), Records::default());
        assert_eq!(lock.to_text(), old);
        let mut records = Records::default();
        records.first_seen("docker.io/library/busybox:1", &digest, 20_794 * 86_400);
        lock.set_records(&records);
        let text = lock.to_text();
        assert!(
            text.ends_with(&format!(
                "  \"firstSeen\": {{\n    \"docker.io/library/busybox:1\": {{\n      \"{digest}\": \"2026-12-07T00:00:00Z\"\n    }}\n  }}\n}}\n"
            )),
            "{text}"
        );
        assert_eq!(Lockfile::parse(&text).unwrap().records(), records);
        // A malformed record is refused, as a malformed digest is.
        let bad = text.replace("2026-12-07T00:00:00Z", "2026-13-07T00:00:00Z");
        assert!(Lockfile::parse(&bad)
            .unwrap_err()
            .contains("not an RFC 3339 time"));
    }

    // Guards the matching of `pin unpin --from-lock`: by digest within one repository, compared normalized
    // (short and long spellings, a port, a platform pin's key), every tag of a digest, none of another
    // repository's.
    #[test]
    fn tags_of_a_digest_are_those_recorded_for_its_repository() {
        let d = |c: char| format!("sha256:{}", c.to_string().repeat(64));
        let text = format!(
            r#"{{"version": 1, "images": {{
                "docker.io/library/nginx:1.27": {{"digest": "{a}"}},
                "docker.io/library/nginx:1.27.3": {{"digest": "{a}"}},
                "docker.io/library/nginx:mainline": {{"digest": "{b}"}},
                "ghcr.io/org/nginx:1.27": {{"digest": "{c}"}},
                "docker.io/library/busybox:1 (linux/arm64)": {{"digest": "{d}"}},
                "localhost:5000/team/app:v1": {{"digest": "{e}"}},
                "redis:7": {{"digest": "{e}"}}
            }}}}"#,
            a = d('a'),
            b = d('b'),
            c = d('c'),
            d = d('d'),
            e = d('e'),
        );
        let tags = Lockfile::parse(&text).unwrap().tags();
        let of = |r: &str| tags.of(&Reference::parse(r).unwrap());
        assert_eq!(of(&format!("nginx@{}", d('a'))), ["1.27", "1.27.3"]);
        assert_eq!(of(&format!("nginx@{}", d('b'))), ["mainline"]);
        assert_eq!(
            of(&format!("docker.io/library/nginx@{}", d('b'))),
            ["mainline"]
        );
        assert_eq!(of(&format!("docker.io/nginx@{}", d('b'))), ["mainline"]);
        assert_eq!(of(&format!("ghcr.io/org/nginx@{}", d('c'))), ["1.27"]);
        assert_eq!(of(&format!("busybox@{}", d('d'))), ["1"]);
        assert_eq!(of(&format!("localhost:5000/team/app@{}", d('e'))), ["v1"]);
        assert_eq!(of(&format!("redis@{}", d('e'))), ["7"]);
        // The digest of another repository, a digest recorded nowhere, no digest at all.
        assert!(of(&format!("ghcr.io/org/nginx@{}", d('a'))).is_empty());
        assert!(of(&format!("nginx@{}", d('c'))).is_empty());
        assert!(of(&format!("nginx@{}", d('f'))).is_empty());
        assert!(of("nginx:1.27").is_empty());
    }

    #[test]
    fn refuses_a_key_twice_naming_both_lines() {
        let d = |c: char| format!("sha256:{}", c.to_string().repeat(64));
        let twice = format!(
            "{{\"version\": 1, \"images\": {{\n\"x:1\": {{\"digest\": \"{}\"}},\n\"y:1\": {{\"digest\": \"{}\"}},\n\"x:1\": {{\"digest\": \"{}\"}}}}}}",
            d('a'),
            d('a'),
            d('b')
        );
        assert_eq!(
            Lockfile::parse(&twice).unwrap_err(),
            "\"x:1\" appears twice, at lines 2 and 4; keep one entry"
        );
        // The same field twice in one entry, or `images` twice, is refused by the parse itself.
        let field = format!(
            "{{\"version\": 1, \"images\": {{\"x:1\": {{\"digest\": \"{}\", \"digest\": \"{}\"}}}}}}",
            d('a'),
            d('b')
        );
        assert!(Lockfile::parse(&field)
            .unwrap_err()
            .contains("duplicate field"));
        let images = r#"{"version": 1, "images": {}, "images": {}}"#;
        assert!(Lockfile::parse(images)
            .unwrap_err()
            .contains("duplicate field"));
    }
}
