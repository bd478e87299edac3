//! `pin verify`: whether the digests already written in files are still served, and (with `--platforms`)
//! whether they run on every platform required.
//!
//! Budget: one `HEAD` by digest per unique (registry, repository, digest), however often it is pinned. With
//! `--platforms`, one `GET` of each pinned index. A pin of a single-platform manifest that names a tag costs a
//! `HEAD` of the tag and, when the tag is an index, one `GET` of it, to tell whether the pin is one platform's
//! child of that index. Lookups go through the same credentials and mirrors as `pin` (mirrors that serve
//! digests: `pull-from-mirror = "digest-only"` ones too).
//!
//! A digest the tag → digest cache says was served within its time-to-live (`known`) costs no `HEAD`; it is
//! still asked about when more than its existence is needed (an index under `--platforms`).

use std::collections::{BTreeMap, BTreeSet};

use futures_util::stream::{self, StreamExt};

use super::manifest::is_index;
use super::platform::offered;
use super::registry::ChildOf;
use super::{Platform, ResolveError, Resolver};

/// One pinned digest, with every tag it is pinned with (`name:tag@digest`, or a tag comment).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pinned {
    pub registry: String,
    pub repository: String,
    pub digest: String,
}

/// What the registry said about one pinned digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verified {
    /// The registry (or a mirror) no longer serves it.
    Missing,
    Present(Present),
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Present {
    pub media_type: Option<String>,
    /// Whether it is a multi-platform index.
    pub index: bool,
    /// `--platforms` and an index: the required platforms it does not offer.
    pub lacking: Vec<Platform>,
    /// By tag: the index the tag points at, when this digest is one platform's entry of it.
    pub child_of: BTreeMap<String, ChildOf>,
}

/// Every outcome, by pinned digest.
pub type Verifications = BTreeMap<Pinned, Result<Verified, ResolveError>>;

impl Resolver {
    /// Checks every pinned digest once (at most `jobs` in flight); `tags` are the tags each is pinned with,
    /// `known` the digests the cache says are served (with their media type). Also returns how many answers
    /// came from `known` alone.
    pub async fn verify_all(
        &self,
        pins: BTreeMap<Pinned, BTreeSet<String>>,
        known: &BTreeMap<Pinned, Option<String>>,
        platforms: &[Platform],
        progress: &mut dyn FnMut(usize, usize),
    ) -> (Verifications, usize) {
        let total = pins.len();
        let mut from_cache = 0;
        let mut results = stream::iter(pins)
            .map(|(pin, tags)| async move {
                let cached = known.get(&pin).cloned();
                // An index under --platforms is fetched anyway: the cache saves nothing there.
                let cached =
                    cached.filter(|m| platforms.is_empty() || !m.as_deref().is_some_and(is_index));
                let used = cached.is_some();
                let result = self.verify_one(&pin, &tags, platforms, cached).await;
                (pin, result, used)
            })
            .buffer_unordered(self.jobs);
        let mut out = Verifications::new();
        while let Some((pin, result, used)) = results.next().await {
            from_cache += usize::from(used);
            out.insert(pin, result);
            progress(out.len(), total);
        }
        (out, from_cache)
    }

    /// One digest through its endpoints (mirrors first): the first that has it answers. `cached`: the media
    /// type the cache recorded for it, asked no registry.
    async fn verify_one(
        &self,
        pin: &Pinned,
        tags: &BTreeSet<String>,
        platforms: &[Platform],
        cached: Option<Option<String>>,
    ) -> Result<Verified, ResolveError> {
        if let Some(media_type) = cached {
            let index = media_type.as_deref().is_some_and(is_index);
            let mut present = Present {
                media_type,
                index,
                ..Present::default()
            };
            if !index {
                present.child_of = self.children(pin, tags).await?;
            }
            return Ok(Verified::Present(present));
        }
        let endpoints = self
            .routes
            .endpoints(&pin.registry, &pin.repository, true)
            .map_err(|e| ResolveError::Config(e.to_string()))?;
        let client = &self.client;
        let mut found = None;
        let mut first_error = None;
        for ep in &endpoints {
            match client
                .head_manifest(&ep.registry, &ep.repository, &pin.digest)
                .await
            {
                Ok(m) => {
                    found = Some((ep, m));
                    break;
                }
                Err(ResolveError::NotFound(_)) => {}
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        let Some((ep, head)) = found else {
            // Missing only when every endpoint said so; a failure to ask is an error, not an answer.
            return match first_error {
                Some(e) => Err(e),
                None => Ok(Verified::Missing),
            };
        };
        let index = head.media_type.as_deref().is_some_and(is_index);
        let mut present = Present {
            media_type: head.media_type.clone(),
            index,
            ..Present::default()
        };
        if index && !platforms.is_empty() {
            let fetched = client
                .get_manifest(&ep.registry, &ep.repository, &pin.digest)
                .await?;
            let has = offered(&fetched.document);
            present.lacking = platforms
                .iter()
                .filter(|want| !has.iter().any(|p| want.matches(p)))
                .cloned()
                .collect();
        }
        if !index {
            present.child_of = self.children(pin, tags).await?;
        }
        Ok(Verified::Present(present))
    }

    /// For each tag a single-platform pin names, the index the tag points at when the pin is one of its
    /// platform entries.
    async fn children(
        &self,
        pin: &Pinned,
        tags: &BTreeSet<String>,
    ) -> Result<BTreeMap<String, ChildOf>, ResolveError> {
        let mut out = BTreeMap::new();
        for tag in tags {
            if let Some(child) = self
                .child_of(&pin.registry, &pin.repository, tag, &pin.digest)
                .await?
            {
                out.insert(tag.clone(), child);
            }
        }
        Ok(out)
    }

    /// The index `tag` points at, when `digest` is one of its platform entries. A tag that is gone or is no
    /// index is no concern here (`pin update` follows tags).
    async fn child_of(
        &self,
        registry: &str,
        repository: &str,
        tag: &str,
        digest: &str,
    ) -> Result<Option<ChildOf>, ResolveError> {
        let client = &self.client;
        let endpoints = self
            .routes
            .endpoints(registry, repository, false)
            .map_err(|e| ResolveError::Config(e.to_string()))?;
        // As a tag lookup goes: the first endpoint that answers; the primary's error if none does.
        let last = endpoints.len().saturating_sub(1);
        let mut answer = None;
        for (i, ep) in endpoints.iter().enumerate() {
            match client
                .head_manifest(&ep.registry, &ep.repository, tag)
                .await
            {
                Ok(m) => {
                    answer = Some((ep, m));
                    break;
                }
                Err(ResolveError::NotFound(_)) if i == last => return Ok(None),
                Err(e) if i == last => return Err(e),
                Err(_) => {}
            }
        }
        let Some((ep, now)) = answer else {
            return Ok(None);
        };
        if !now.media_type.as_deref().is_some_and(is_index) {
            return Ok(None);
        }
        let index = client
            .get_manifest(&ep.registry, &ep.repository, tag)
            .await?;
        Ok(index
            .document
            .manifests()
            .iter()
            .find(|d| d.digest == digest)
            .and_then(|d| d.platform.as_ref())
            .map(|p| ChildOf {
                platform: Platform::from(p),
                index: index.manifest.digest.clone(),
                index_media_type: index.manifest.media_type.clone(),
            }))
    }
}
