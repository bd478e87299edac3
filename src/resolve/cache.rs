//! The tag → digest cache: answers a registry gave recently, so that repeat runs (a pre-commit hook, an
//! editor integration) within the time-to-live make no request at all.
//!
//! Opt-in (`--cache`, `--cache-dir`, or `cache = true` in `pin.toml`). One JSON file, `tags-v1.json`, in the
//! cache directory (default `$XDG_CACHE_HOME/pin`, else `~/.cache/pin`): for each key (as the lockfile
//! names it, `registry/repository:tag`, with ` (os/arch)` for a platform pin) the digest, its media type and
//! when the registry said so. Entries older than the time-to-live are not used and are dropped when the
//! file is next written. The file is a cache, never a source of truth: an unreadable or malformed file is
//! treated as empty, every digest is validated when read, and a failure to write it is not an error.
//! `pin update` never uses it (its question is whether a tag moved); its `--min-age` keeps first-seen
//! records beside it, in `first-seen-v1.json` of the same directory ([`super::seen`]).
//!
//! `pin verify` keeps its answers in the same file and under the same time-to-live: a digest the registry
//! served, keyed `registry/repository@digest` (a key no tag can have), with its media type. Only digests
//! found are remembered; one the registry did not serve is asked again on every run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::{Key, Manifest};
use crate::reference::is_reference_digest;
use crate::rewrite::owned::{self, OwnedError, Place};

const FILE_NAME: &str = "tags-v1.json";

#[derive(Debug, Default, Serialize, Deserialize)]
struct Stored {
    entries: BTreeMap<String, Entry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    digest: String,
    #[serde(rename = "mediaType", default, skip_serializing_if = "Option::is_none")]
    media_type: Option<String>,
    /// Seconds since the Unix epoch when the registry answered.
    at: u64,
}

/// The cache for one run.
#[derive(Debug)]
pub struct Cache {
    dir: Place,
    ttl: Duration,
    now: u64,
    stored: Stored,
    /// Answers new in this run.
    fresh: BTreeMap<String, Entry>,
}

/// The user's cache directory: `$XDG_CACHE_HOME`, else `$HOME/.cache`.
pub fn user_cache_base() -> Option<PathBuf> {
    std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
}

/// The default cache directory: `pin` in the user's cache directory (itself reached as the user set it
/// up; `pin` below it never through a link).
pub fn default_dir() -> Option<Place> {
    Some(Place::new(&user_cache_base()?, Path::new("pin")))
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Cache {
    /// Opens the cache in `dir`, reading what it holds now. An error only for a symbolic link on the way
    /// to the file (or the file itself one): a file that cannot be read otherwise, or is malformed, is an
    /// empty cache.
    pub fn open(dir: &Place, ttl: Duration) -> Result<Cache, OwnedError> {
        Cache::open_at(dir, ttl, unix_now())
    }

    fn open_at(dir: &Place, ttl: Duration, now: u64) -> Result<Cache, OwnedError> {
        let stored = match owned::read(&dir.join(FILE_NAME)) {
            Ok(bytes) => bytes,
            Err(e @ OwnedError::Link { .. }) => return Err(e),
            Err(_) => None,
        }
        .and_then(|bytes| serde_json::from_slice::<Stored>(&bytes).ok())
        .unwrap_or_default();
        let entries = stored
            .entries
            .into_iter()
            .filter(|(_, e)| is_reference_digest(&e.digest))
            .collect();
        Ok(Cache {
            dir: dir.clone(),
            ttl,
            now,
            stored: Stored { entries },
            fresh: BTreeMap::new(),
        })
    }

    fn live(&self, e: &Entry) -> bool {
        // An entry from the future (a clock set back) is not trusted either.
        e.at <= self.now && self.now - e.at < self.ttl.as_secs()
    }

    /// The cached answer for `key`, if it is younger than the time-to-live. Keys of `pin update` are never
    /// answered from the cache.
    pub fn get(&self, key: &Key) -> Option<Manifest> {
        if key.current.is_some() {
            return None;
        }
        let e = self.stored.entries.get(&key.to_string())?;
        self.live(e).then(|| Manifest {
            digest: e.digest.clone(),
            media_type: e.media_type.clone(),
            ..Manifest::default()
        })
    }

    /// Remembers what the registry answered for `key` just now.
    pub fn record(&mut self, key: &Key, m: &Manifest) {
        if key.current.is_some() || !is_reference_digest(&m.digest) {
            return;
        }
        self.fresh.insert(
            key.to_string(),
            Entry {
                digest: m.digest.clone(),
                media_type: m.media_type.clone(),
                at: self.now,
            },
        );
    }

    /// Writes the live entries and this run's answers back (atomically, never through a symbolic link).
    /// Best effort: an error is returned for a note, never to fail the run.
    pub fn save(mut self) -> Result<(), OwnedError> {
        if self.fresh.is_empty() {
            return Ok(());
        }
        let ttl = self.ttl.as_secs();
        let now = self.now;
        self.stored
            .entries
            .retain(|_, e| e.at <= now && now - e.at < ttl);
        self.stored.entries.append(&mut self.fresh);
        let path = self.dir.join(FILE_NAME);
        let text = serde_json::to_vec_pretty(&self.stored).map_err(|e| OwnedError::Io {
            path: path.shown(),
            source: std::io::Error::other(e),
        })?;
        owned::write(&path, &text, true)
    }

    /// `pin verify`: whether the registry served `digest` within the time-to-live; `Some(media type)` if so.
    pub fn get_digest(
        &self,
        registry: &str,
        repository: &str,
        digest: &str,
    ) -> Option<Option<String>> {
        let e = self
            .stored
            .entries
            .get(&digest_key(registry, repository, digest))?;
        (self.live(e) && e.digest == digest).then(|| e.media_type.clone())
    }

    /// `pin verify`: remembers that the registry serves `digest` now.
    pub fn record_digest(
        &mut self,
        registry: &str,
        repository: &str,
        digest: &str,
        media_type: Option<&str>,
    ) {
        if !is_reference_digest(digest) {
            return;
        }
        self.fresh.insert(
            digest_key(registry, repository, digest),
            Entry {
                digest: digest.to_string(),
                media_type: media_type.map(str::to_string),
                at: self.now,
            },
        );
    }

    /// The cache directory, as messages print it.
    pub fn dir(&self) -> String {
        self.dir.shown()
    }
}

/// The key of a digest-existence answer: `registry/repository@digest`.
fn digest_key(registry: &str, repository: &str, digest: &str) -> String {
    format!("{registry}/{repository}@{digest}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn here(dir: &tempfile::TempDir) -> Place {
        Place::new(dir.path(), Path::new(""))
    }

    fn key(tag: &str) -> Key {
        Key {
            registry: "docker.io".into(),
            repository: "library/nginx".into(),
            tag: tag.into(),
            platform: None,
            current: None,
        }
    }

    fn manifest(c: char) -> Manifest {
        Manifest {
            digest: format!("sha256:{}", c.to_string().repeat(64)),
            media_type: Some("application/vnd.oci.image.index.v1+json".into()),
            ..Manifest::default()
        }
    }

    #[test]
    fn answers_within_the_ttl_only() {
        let dir = tempfile::tempdir().unwrap();
        let ttl = Duration::from_secs(600);
        let mut c = Cache::open_at(&here(&dir), ttl, 1_000).unwrap();
        assert_eq!(c.get(&key("1.27")), None);
        c.record(&key("1.27"), &manifest('a'));
        c.save().unwrap();
        let at = |now| {
            Cache::open_at(&here(&dir), ttl, now)
                .unwrap()
                .get(&key("1.27"))
        };
        assert_eq!(at(1_000), Some(manifest('a')));
        assert_eq!(at(1_599), Some(manifest('a')));
        assert_eq!(at(1_600), None, "expired at the TTL");
        assert_eq!(at(999), None, "from the future");
        assert_eq!(
            Cache::open_at(&here(&dir), Duration::ZERO, 1_000)
                .unwrap()
                .get(&key("1.27")),
            None,
            "a TTL of 0 disables reading"
        );
    }

    #[test]
    fn digest_answers_live_within_the_ttl_apart_from_tag_answers() {
        let dir = tempfile::tempdir().unwrap();
        let ttl = Duration::from_secs(600);
        let d = manifest('c').digest;
        let index = Some("application/vnd.oci.image.index.v1+json");
        let mut c = Cache::open_at(&here(&dir), ttl, 1_000).unwrap();
        assert_eq!(c.get_digest("docker.io", "library/nginx", &d), None);
        c.record_digest("docker.io", "library/nginx", &d, index);
        c.record_digest("docker.io", "library/nginx", "sha256:short", None);
        c.save().unwrap();
        let at = |now| Cache::open_at(&here(&dir), ttl, now).unwrap();
        assert_eq!(
            at(1_599).get_digest("docker.io", "library/nginx", &d),
            Some(index.map(str::to_string))
        );
        assert_eq!(
            at(1_600).get_digest("docker.io", "library/nginx", &d),
            None,
            "expired"
        );
        assert_eq!(
            at(999).get_digest("docker.io", "library/nginx", &d),
            None,
            "from the future"
        );
        assert_eq!(
            at(1_000).get_digest("docker.io", "library/other", &d),
            None,
            "another repository"
        );
        assert_eq!(
            at(1_000).get_digest("docker.io", "library/nginx", "sha256:short"),
            None
        );
        assert_eq!(
            Cache::open_at(&here(&dir), Duration::ZERO, 1_000)
                .unwrap()
                .get_digest("docker.io", "library/nginx", &d),
            None,
            "a TTL of 0 disables reading"
        );
        // A digest answer is no tag answer, and a tag answer is kept beside it.
        let mut c = at(1_000);
        assert_eq!(c.get(&key("1.27")), None);
        c.record(&key("1.27"), &manifest('a'));
        c.save().unwrap();
        let c = at(1_000);
        assert!(
            c.get(&key("1.27")).is_some()
                && c.get_digest("docker.io", "library/nginx", &d).is_some()
        );
    }

    #[test]
    fn update_keys_are_never_cached() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Cache::open_at(&here(&dir), Duration::from_secs(600), 1_000).unwrap();
        let update = Key {
            current: Some(manifest('b').digest),
            ..key("1.27")
        };
        c.record(&update, &manifest('a'));
        c.record(&key("1.27"), &manifest('a'));
        c.save().unwrap();
        let c = Cache::open_at(&here(&dir), Duration::from_secs(600), 1_000).unwrap();
        assert_eq!(c.get(&update), None);
        assert!(c.get(&key("1.27")).is_some());
    }

    #[test]
    fn expired_entries_are_dropped_and_bad_files_are_empty() {
        let dir = tempfile::tempdir().unwrap();
        let ttl = Duration::from_secs(100);
        let mut c = Cache::open_at(&here(&dir), ttl, 1_000).unwrap();
        c.record(&key("old"), &manifest('a'));
        c.save().unwrap();
        let mut c = Cache::open_at(&here(&dir), ttl, 2_000).unwrap();
        c.record(&key("new"), &manifest('b'));
        c.save().unwrap();
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        assert!(!text.contains(":old") && text.contains(":new"), "{text}");
        std::fs::write(dir.path().join(FILE_NAME), "{not json").unwrap();
        assert_eq!(
            Cache::open_at(&here(&dir), ttl, 2_000)
                .unwrap()
                .get(&key("new")),
            None
        );
        let forged =
            r#"{"entries": {"docker.io/library/nginx:x": {"digest": "sha256:BAD", "at": 2000}}}"#;
        std::fs::write(dir.path().join(FILE_NAME), forged).unwrap();
        assert_eq!(
            Cache::open_at(&here(&dir), ttl, 2_000)
                .unwrap()
                .get(&key("x")),
            None
        );
    }
}
