//! `pin update --min-age`: how old each new digest a moved tag points at is, from the first-seen records (the
//! `--lock` file's, else the cache directory's) or, with `--trust-created`, from its image config's `created`
//! time. The plan holds back what is younger than the waiting period ([`super::plan`]).

use std::collections::{BTreeMap, BTreeSet};

use super::lookup::Lookup;
use crate::report::Seen;
use crate::resolve::seen::{self, CacheRecords, Records};
use crate::resolve::Key;
use crate::settings::{ChildPins, Labels, Waiting};

/// Docker Hub's registry name in a normalized reference.
const DOCKER_HUB: &str = "docker.io";

/// The labels (and so config) reads a run makes: the markdown report's, and with `--trust-created` those of
/// every new digest (Docker Hub's only with `--labels`, which [`refused_hub_gets`] has made sure of).
pub(super) fn reads(labels: Labels, waiting: &Waiting) -> Labels {
    if !(waiting.applies() && waiting.trust_created) {
        return labels;
    }
    if waiting.hub_gets {
        Labels::All
    } else {
        match labels {
            Labels::All => Labels::All,
            _ => Labels::NotFromDockerHub,
        }
    }
}

/// `--trust-created` reads each new image's config with GETs, which Docker Hub counts as pulls: without
/// `--labels`, a run that follows any Docker Hub tag is refused before it asks anything.
pub(super) fn refused_hub_gets(waiting: &Waiting, keys: &BTreeSet<Key>) -> Option<String> {
    if !(waiting.applies() && waiting.trust_created) || waiting.hub_gets {
        return None;
    }
    let hub = keys
        .iter()
        .filter(|k| k.current.is_some() && k.registry == DOCKER_HUB)
        .count();
    (hub > 0).then(|| {
        format!(
            "--trust-created reads the config of each new image with two GETs, and {hub} of the tags followed \
             {} on Docker Hub, which counts each manifest GET as a pull: add --labels to allow those reads \
             there, or leave out --trust-created (the first-seen records need no GET)",
            if hub == 1 { "is" } else { "are" }
        )
    })
}

/// Where the records are kept for this run.
enum Store {
    /// In the `--lock` file, written with it.
    Lock(Records),
    /// In the cache directory, written now.
    Cache(CacheRecords),
}

/// Sets [`crate::resolve::Manifest::seen`] for every pin whose tag moved, recording the new digests first
/// seen now, and keeps the records: in the lockfile (written when the run writes it) or in the cache
/// directory (written now, whatever the mode). An error when the clock or the records cannot be had.
pub(super) fn age(
    waiting: &Waiting,
    children: ChildPins,
    lookup: &mut Lookup,
) -> Result<(), String> {
    if !waiting.applies() {
        return Ok(());
    }
    let now = seen::now()?;
    let mut store = match lookup.lock_records() {
        Some(records) => Store::Lock(records),
        None => {
            let place = seen::cache_place(waiting.dir.as_deref(), waiting.base.as_deref())
                .ok_or_else(|| {
                    "no cache directory to keep the first-seen records of --min-age in ($HOME and \
                     $XDG_CACHE_HOME are unset): give --lock FILE or --cache-dir DIR"
                        .to_string()
                })?;
            Store::Cache(CacheRecords::open(&place).map_err(|e| format!("--min-age: {e}"))?)
        }
    };
    let records = match &mut store {
        Store::Lock(r) => r,
        Store::Cache(c) => &mut c.records,
    };
    // Per tag, the digests it now points at that are not applied yet: the records kept.
    let mut pending: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (key, result) in lookup.resolved.iter_mut() {
        let (Some(current), Ok(m)) = (&key.current, result) else {
            continue;
        };
        let shown = key.to_string();
        let digests = pending.entry(shown.clone()).or_default();
        let target = match (&m.child_of, children) {
            (Some(child), ChildPins::ToIndex) => child.index.clone(),
            _ => m.digest.clone(),
        };
        if &target == current {
            continue;
        }
        let first = records.first_seen(&shown, &target, now);
        digests.insert(target);
        // A created time from the future (the publisher's clock, or its choice) is not believed.
        let created = lookup
            .labels
            .get(&m.digest)
            .filter(|_| waiting.trust_created)
            .and_then(|l| l.as_ref().ok())
            .and_then(|l| l.config_created.as_deref())
            .and_then(seen::unix_seconds)
            .filter(|c| *c <= now);
        let (at, source) = match created {
            Some(c) => (c, "created"),
            None => (first, "first-seen"),
        };
        m.seen = Some(Seen {
            at: seen::rfc3339(at),
            at_seconds: at,
            age_seconds: now - at,
            source,
        });
    }
    for (key, digests) in &pending {
        records.keep_only(key, digests);
    }
    match store {
        Store::Lock(records) => {
            lookup.set_lock_records(&records);
            Ok(())
        }
        Store::Cache(c) => c.save().map_err(|e| {
            format!(
                "cannot record when new digests were first seen in {}: {e}",
                c.shown()
            )
        }),
    }
}
