//! First-seen records for `pin update --min-age`: when `pin` first saw a tag point at a digest.
//!
//! A registry says nothing trustworthy about when a manifest appeared (a manifest has no time; an image
//! config's `created` is whatever its publisher wrote), so the waiting period counts from the first run that
//! saw the tag point at the new digest. The records are `registry/repository:tag` (the lockfile's key) →
//! digest → RFC 3339 time (UTC, whole seconds), kept in the `--lock` file's `firstSeen` object or, without
//! one, in `first-seen-v1.json` in the cache directory (an owned file: never through a symbolic link, written
//! atomically). A tag's record holds only the digests it was last seen moving to: once a new digest is
//! applied, or the tag moves on, the older ones go.
//!
//! The clock is the system's; `PIN_TEST_NOW` (an RFC 3339 time) replaces it, for tests only.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::reference::is_reference_digest;
use crate::rewrite::owned::{self, OwnedError, Place};

/// The variable tests set to fix the clock of a run (an RFC 3339 time). Not for use outside tests.
pub const TEST_NOW: &str = "PIN_TEST_NOW";

const FILE_NAME: &str = "first-seen-v1.json";

/// Key → digest → when first seen (seconds since the Unix epoch).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Records(BTreeMap<String, BTreeMap<String, u64>>);

/// The records as files hold them: key → digest → RFC 3339 time.
pub type RecordsText = BTreeMap<String, BTreeMap<String, String>>;

impl Records {
    /// Reads records as a file holds them; an error names the first entry that is not a digest and a time.
    pub fn from_text(text: &RecordsText) -> Result<Records, String> {
        let mut records = BTreeMap::new();
        for (key, digests) in text {
            let mut times = BTreeMap::new();
            for (digest, at) in digests {
                if !is_reference_digest(digest) {
                    return Err(format!("firstSeen: {key}: malformed digest {digest:?}"));
                }
                let at = unix_seconds(at).ok_or_else(|| {
                    format!("firstSeen: {key}: {digest}: {at:?} is not an RFC 3339 time")
                })?;
                times.insert(digest.clone(), at);
            }
            records.insert(key.clone(), times);
        }
        Ok(Records(records))
    }

    pub fn to_text(&self) -> RecordsText {
        self.0
            .iter()
            .filter(|(_, d)| !d.is_empty())
            .map(|(key, digests)| {
                let times = digests
                    .iter()
                    .map(|(d, at)| (d.clone(), rfc3339(*at)))
                    .collect();
                (key.clone(), times)
            })
            .collect()
    }

    /// When `key` was first seen pointing at `digest`: the record, or `now` (recorded) when there is none.
    /// A record from the future (a clock set back) is not believed: it starts again at `now`.
    pub fn first_seen(&mut self, key: &str, digest: &str, now: u64) -> u64 {
        let at = self
            .0
            .entry(key.to_string())
            .or_default()
            .entry(digest.to_string())
            .or_insert(now);
        if *at > now {
            *at = now;
        }
        *at
    }

    /// Keeps of `key`'s records only those of `digests` (what the tag points at now, not yet applied).
    pub fn keep_only(&mut self, key: &str, digests: &BTreeSet<String>) {
        if let Some(times) = self.0.get_mut(key) {
            times.retain(|d, _| digests.contains(d));
            if times.is_empty() {
                self.0.remove(key);
            }
        }
    }
}

/// `2026-12-07T05:00:00Z`.
pub fn rfc3339(seconds: u64) -> String {
    i64::try_from(seconds)
        .ok()
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
        .map_or_else(|| "9999-12-31T23:59:59Z".to_string(), |t| t.to_string())
}

/// Seconds since the Unix epoch of an RFC 3339 time (any offset; before 1970 is refused).
pub fn unix_seconds(text: &str) -> Option<u64> {
    let t: jiff::Timestamp = text.trim().parse().ok()?;
    u64::try_from(t.as_second()).ok()
}

/// Now, in seconds since the Unix epoch: the system clock, or `PIN_TEST_NOW` when a test sets it (a value
/// that is not an RFC 3339 time is an error, never the system clock).
pub fn now() -> Result<u64, String> {
    match std::env::var(TEST_NOW) {
        Ok(text) => unix_seconds(&text)
            .ok_or_else(|| format!("{TEST_NOW}={text:?} is not an RFC 3339 time (a test hook)")),
        Err(_) => Ok(std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())),
    }
}

/// The file in the cache directory.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Stored {
    #[serde(rename = "firstSeen", default)]
    first_seen: RecordsText,
}

/// The records kept in the cache directory, for runs without `--lock`.
#[derive(Debug)]
pub struct CacheRecords {
    place: Place,
    pub records: Records,
}

impl CacheRecords {
    /// The records in `dir`. A symbolic link on the way is an error; a file that cannot be read or is
    /// malformed holds no record (the waiting periods it held start again: later, never sooner).
    pub fn open(dir: &Place) -> Result<CacheRecords, OwnedError> {
        let place = dir.join(FILE_NAME);
        let bytes = match owned::read(&place) {
            Ok(bytes) => bytes,
            Err(e @ (OwnedError::Link { .. } | OwnedError::NotAFile { .. })) => return Err(e),
            Err(_) => None,
        };
        let records = bytes
            .and_then(|b| serde_json::from_slice::<Stored>(&b).ok())
            .and_then(|s| Records::from_text(&s.first_seen).ok())
            .unwrap_or_default();
        Ok(CacheRecords { place, records })
    }

    /// Writes the records back, atomically, never through a symbolic link (the directories made as needed).
    pub fn save(&self) -> Result<(), OwnedError> {
        let stored = Stored {
            first_seen: self.records.to_text(),
        };
        let mut text = serde_json::to_vec_pretty(&stored).expect("records always serialize");
        text.push(b'\n');
        if owned::read(&self.place).ok().flatten().as_deref() == Some(&text[..]) {
            return Ok(());
        }
        owned::write(&self.place, &text, true)
    }

    /// The file, as messages print it.
    pub fn shown(&self) -> String {
        self.place.shown()
    }
}

/// The directory the records go in without `--lock`: `dir` (walked from `base` when a configuration file
/// named it), else the default cache directory.
pub fn cache_place(dir: Option<&Path>, base: Option<&Path>) -> Option<Place> {
    match dir {
        Some(d) => Some(
            match base.and_then(|b| Some((b, d.strip_prefix(b).ok()?))) {
                Some((base, below)) => Place::new(base, below),
                None => Place::dir_given(d),
            },
        ),
        None => super::cache::default_dir(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(c: char) -> String {
        format!("sha256:{}", c.to_string().repeat(64))
    }

    #[test]
    fn times_are_rfc3339_utc_seconds() {
        // 2026-12-07T05:00:00Z, counted by hand: 20,794 days from 1970-01-01 to 2026-12-07, plus 5 hours.
        let t = 20_794 * 86_400 + 5 * 3_600;
        assert_eq!(rfc3339(t), "2026-12-07T05:00:00Z");
        assert_eq!(unix_seconds("2026-12-07T05:00:00Z"), Some(t));
        assert_eq!(unix_seconds("2026-12-07T06:00:00+01:00"), Some(t));
        assert_eq!(unix_seconds("2026-12-07T05:00:00.75Z"), Some(t));
        for bad in ["", "2026-12-07", "yesterday", "1969-12-31T23:59:59Z"] {
            assert_eq!(unix_seconds(bad), None, "{bad}");
        }
    }

    #[test]
    fn first_seen_is_kept_and_a_future_record_restarts() {
        let mut r = Records::default();
        let key = "docker.io/library/nginx:1.27";
        assert_eq!(r.first_seen(key, &digest('a'), 1_000), 1_000);
        assert_eq!(r.first_seen(key, &digest('a'), 5_000), 1_000);
        assert_eq!(r.first_seen(key, &digest('a'), 900), 900, "from the future");
        r.first_seen(key, &digest('b'), 5_000);
        r.keep_only(key, &BTreeSet::from([digest('b')]));
        assert_eq!(r.first_seen(key, &digest('a'), 6_000), 6_000, "dropped");
        r.keep_only(key, &BTreeSet::new());
        assert!(r.to_text().is_empty());
    }

    #[test]
    fn records_read_back_and_bad_entries_are_named() {
        let mut r = Records::default();
        r.first_seen("r.example/app:1", &digest('c'), 20_794 * 86_400);
        let text = r.to_text();
        assert_eq!(
            text["r.example/app:1"][&digest('c')],
            "2026-12-07T00:00:00Z"
        );
        assert_eq!(Records::from_text(&text), Ok(r));
        let bad: RecordsText = BTreeMap::from([(
            "k:1".into(),
            BTreeMap::from([("sha256:ab".into(), "x".into())]),
        )]);
        assert!(Records::from_text(&bad)
            .unwrap_err()
            .contains("malformed digest"));
        let bad: RecordsText =
            BTreeMap::from([("k:1".into(), BTreeMap::from([(digest('a'), "soon".into())]))]);
        assert!(Records::from_text(&bad)
            .unwrap_err()
            .contains("not an RFC 3339 time"));
    }

    #[test]
    fn the_cache_file_round_trips_and_a_bad_one_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let place = Place::new(dir.path(), Path::new("pin"));
        let mut c = CacheRecords::open(&place).unwrap();
        assert_eq!(c.records, Records::default());
        c.records.first_seen("r.example/app:1", &digest('a'), 1_000);
        c.save().unwrap();
        let file = dir.path().join("pin").join(FILE_NAME);
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            text.contains(&format!("\"{}\": \"1970-01-01T00:16:40Z\"", digest('a'))),
            "{text}"
        );
        assert_eq!(CacheRecords::open(&place).unwrap().records, c.records);
        std::fs::write(&file, "{not json").unwrap();
        assert_eq!(
            CacheRecords::open(&place).unwrap().records,
            Records::default()
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_link_in_place_of_the_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("pin")).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("pin").join(FILE_NAME)).unwrap();
        let place = Place::new(dir.path(), Path::new("pin"));
        assert!(matches!(
            CacheRecords::open(&place),
            Err(OwnedError::Link { .. })
        ));
    }
}
