//! What a [`Key`] resolves to, built on the distribution calls of [`Client`]: a tag's digest, one
//! platform's manifest inside a tag's index (`--platform`), or for `pin update` a digest of the same kind as
//! the pin it replaces.

use super::manifest::{is_index, Document, ImageConfig};
use super::platform::choose;
use super::registry::{ChildOf, Children, Client, Manifest};
use super::{Fault, Key, Platform, ResolveError};

/// Whether `pin update` may fetch a moved index pin's two indexes to compare their platforms' manifests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compare {
    Yes,
    /// No, for this reason.
    No(&'static str),
}

/// The manifest digest that `key` names: what the tag points at, or with a platform, that platform's
/// manifest inside the tag's index.
pub async fn manifest_digest(
    client: &Client,
    key: &Key,
    compare: Compare,
) -> Result<Manifest, ResolveError> {
    let (registry, repository, tag) = (&key.registry, &key.repository, &key.tag);
    match (&key.platform, &key.current) {
        (_, Some(current)) => {
            updated_digest(client, registry, repository, tag, current, compare).await
        }
        (None, None) => client.head_manifest(registry, repository, tag).await,
        (Some(p), None) => platform_digest(client, registry, repository, tag, p).await,
    }
}

/// The digest of `platform`'s manifest in the index `tag` points at. A tag that points at a single image is
/// pinned as it is: there is no other manifest to choose.
async fn platform_digest(
    client: &Client,
    registry: &str,
    repository: &str,
    tag: &str,
    platform: &Platform,
) -> Result<Manifest, ResolveError> {
    let fetched = client.get_manifest(registry, repository, tag).await?;
    if !matches!(fetched.document, Document::Index { .. }) {
        return Ok(fetched.manifest);
    }
    choose(&fetched.document, platform, registry, repository, tag)
}

/// For `pin update`: what `tag` points at now, of the same kind as `current` (an index stays an index; a
/// platform's manifest stays that platform's manifest, and says which index it belongs to). One HEAD when
/// nothing moved. When the tag moved, a HEAD of `current` tells an index pin from a platform pin, and whether
/// the pinned digest still exists (`gone`: then `digest` is what the tag points at now). A moved index pin
/// costs one GET of each index (by digest, once per run), which `children` holds, when `compare` allows it.
async fn updated_digest(
    client: &Client,
    registry: &str,
    repository: &str,
    tag: &str,
    current: &str,
    compare: Compare,
) -> Result<Manifest, ResolveError> {
    let now = client.head_manifest(registry, repository, tag).await?;
    if now.digest == current {
        return Ok(now);
    }
    // A moved image pin costs no GET (Docker Hub counts GETs).
    let old = match client.head_manifest(registry, repository, current).await {
        Ok(old) => old,
        Err(ResolveError::NotFound { .. }) => return Ok(Manifest { gone: true, ..now }),
        Err(e) => return Err(e),
    };
    if !now.media_type.as_deref().is_some_and(is_index) {
        return Ok(now);
    }
    if old.media_type.as_deref().is_some_and(is_index) {
        let children = match compare {
            Compare::No(why) => Children::NotCompared(why),
            Compare::Yes => {
                // By digest, both: the new index is the one the HEAD named, even if the tag moves again.
                let (old, new) = futures_util::future::try_join(
                    client.index_entries(registry, repository, current),
                    client.index_entries(registry, repository, &now.digest),
                )
                .await?;
                Children::Compared { old, new }
            }
        };
        return Ok(Manifest {
            children: Some(children),
            ..now
        });
    }
    // A platform's manifest: the same platform's entry of the tag's index.
    let index = client
        .get_manifest(registry, repository, tag)
        .await?
        .document;
    let child_of = |platform: Platform| ChildOf {
        platform,
        index: now.digest.clone(),
        index_media_type: now.media_type.clone(),
    };
    if let Some(entry) = index.manifests().iter().find(|d| d.digest == current) {
        // Still one of the tag's platform manifests: the pin is current.
        return Ok(Manifest {
            digest: current.to_string(),
            media_type: Some(entry.media_type.clone()),
            child_of: entry.platform.as_ref().map(|p| child_of(Platform::from(p))),
            gone: false,
            seen: None,
            children: None,
        });
    }
    let old_manifest = client
        .get_manifest(registry, repository, current)
        .await?
        .document;
    let Document::Image { config, .. } = old_manifest else {
        return Ok(now);
    };
    let config = client
        .get_blob(registry, repository, &config.digest)
        .await?;
    let config: ImageConfig = serde_json::from_slice(&config).map_err(|e| {
        ResolveError::from(Fault::NotAConfig {
            registry: registry.to_string(),
            image: format!("{repository}@{current}"),
            error: e.to_string(),
        })
    })?;
    // A Windows image's `os.version` carries its patch level (`10.0.20348.2113`), which the new index has moved
    // past: the same build (`10.0.20348`) is the same platform.
    let mut platform = Platform::from(&config);
    platform.os_version = platform
        .os_version
        .map(|v| v.split('.').take(3).collect::<Vec<_>>().join("."));
    let chosen = choose(&index, &platform, registry, repository, tag)?;
    Ok(Manifest {
        child_of: Some(child_of(platform.without_version())),
        ..chosen
    })
}
