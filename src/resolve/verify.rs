//! `pin verify`: whether the digests already written in files are still served, and (with `--platforms`)
//! whether they run on every platform required.
//!
//! Budget: one `HEAD` per unique (registry, repository, digest), however often it is pinned. A pin that names
//! a tag (`name:tag@digest`, a tag comment) asks the tag: while the tag points at the pinned digest, that
//! `HEAD` says both that the digest is served and that the pin is no platform's child of the tag. When the
//! tag moved (or the pin names none), the digest is asked itself: one more `HEAD`, and for a single-platform
//! pin whose tag now points at an index, one `GET` of that index to tell whether the pin is one of its
//! platforms' manifests. With `--platforms`, one `GET` of each pinned index. Lookups go through the same
//! credentials and mirrors as `pin` (for the digest, mirrors that serve digests: `pull-from-mirror =
//! "digest-only"` ones too). A registry that answers the `HEAD` of a digest with another digest is not
//! believed (see `registry`): an error, never "served".
//!
//! A digest the tag → digest cache says was served within its time-to-live (`known`) costs no `HEAD`; it is
//! still asked about when more than its existence is needed (an index under `--platforms`).

use std::collections::{BTreeMap, BTreeSet};

use futures_util::stream::{self, StreamExt};

use super::manifest::is_index;
use super::mirrors::Endpoint;
use super::platform::offered;
use super::registry::{ChildOf, Manifest};
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

    /// One pinned digest. The tags it is pinned with are asked first: a tag that still points at the pin
    /// says in one `HEAD` that the digest is served and that the pin is no platform's child of the tag. Only
    /// when no tag does (an untagged pin, a moved tag) is the digest asked itself, through its endpoints
    /// (mirrors first; the first that has it answers). `cached`: the media type the cache recorded for it.
    async fn verify_one(
        &self,
        pin: &Pinned,
        tags: &BTreeSet<String>,
        platforms: &[Platform],
        cached: Option<Option<String>>,
    ) -> Result<Verified, ResolveError> {
        let cached_index = cached
            .as_ref()
            .is_some_and(|m| m.as_deref().is_some_and(is_index));
        // What each tag points at now (and where it was asked), unless the cache says the pin is an index,
        // which is no child of anything.
        let mut now: Vec<(&String, Endpoint, Manifest)> = Vec::new();
        if !cached_index {
            for tag in tags {
                if let Some((ep, m)) = self.tag_now(pin, tag).await? {
                    now.push((tag, ep, m));
                }
            }
        }
        let (media_type, at) = match cached {
            Some(media_type) => (media_type, None),
            None => match now.iter().find(|(_, _, m)| m.digest == pin.digest) {
                Some((_, ep, m)) => (m.media_type.clone(), Some(ep.clone())),
                None => match self.head_digest(pin).await? {
                    Some((ep, m)) => (m.media_type, Some(ep)),
                    None => return Ok(Verified::Missing),
                },
            },
        };
        let index = media_type.as_deref().is_some_and(is_index);
        let mut present = Present {
            media_type,
            index,
            ..Present::default()
        };
        // A cached index is never checked for platforms here: `verify_all` asks the registry for those.
        if let (true, false, Some(ep)) = (index, platforms.is_empty(), &at) {
            let fetched = self
                .client
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
            for (tag, ep, m) in &now {
                // A tag pointing at the pin itself, or at a single image, has no child to tell.
                if m.digest == pin.digest || !m.media_type.as_deref().is_some_and(is_index) {
                    continue;
                }
                if let Some(child) = self.child_of(ep, tag, &pin.digest).await? {
                    present.child_of.insert(tag.to_string(), child);
                }
            }
        }
        Ok(Verified::Present(present))
    }

    /// The `HEAD` of the pinned digest through its endpoints (mirrors that serve digests first): the first
    /// that has it, `None` when every one said it has not. A failure to ask is an error, not an answer.
    async fn head_digest(
        &self,
        pin: &Pinned,
    ) -> Result<Option<(Endpoint, Manifest)>, ResolveError> {
        let endpoints = self
            .routes
            .endpoints(&pin.registry, &pin.repository, true)
            .map_err(|e| ResolveError::Config(e.to_string()))?;
        let mut first_error = None;
        for ep in endpoints {
            match self
                .client
                .head_manifest(&ep.registry, &ep.repository, &pin.digest)
                .await
            {
                Ok(m) => return Ok(Some((ep, m))),
                Err(ResolveError::NotFound { .. }) => {}
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(None),
        }
    }

    /// What `tag` points at now, as a tag lookup asks it (the first endpoint that answers; the primary's
    /// error if none does), and where. A tag that is gone is no concern here (`pin update` follows tags).
    async fn tag_now(
        &self,
        pin: &Pinned,
        tag: &str,
    ) -> Result<Option<(Endpoint, Manifest)>, ResolveError> {
        let endpoints = self
            .routes
            .endpoints(&pin.registry, &pin.repository, false)
            .map_err(|e| ResolveError::Config(e.to_string()))?;
        let last = endpoints.len().saturating_sub(1);
        for (i, ep) in endpoints.into_iter().enumerate() {
            match self
                .client
                .head_manifest(&ep.registry, &ep.repository, tag)
                .await
            {
                Ok(m) => return Ok(Some((ep, m))),
                Err(ResolveError::NotFound { .. }) if i == last => return Ok(None),
                Err(e) if i == last => return Err(e),
                Err(_) => {}
            }
        }
        Ok(None)
    }

    /// The index `tag` points at (asked where `ep` answered its `HEAD`), when `digest` is one of its platform
    /// entries.
    async fn child_of(
        &self,
        ep: &Endpoint,
        tag: &str,
        digest: &str,
    ) -> Result<Option<ChildOf>, ResolveError> {
        let index = self
            .client
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
