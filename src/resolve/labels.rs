//! The OCI labels of an image's config (`org.opencontainers.image.created`, `revision`, `source`), for the
//! markdown report of `pin update`: what a reviewer wants to know about the image a moved tag points at now;
//! and the config's own `created` time, which `pin update --trust-created` ages a new digest by.
//!
//! Cost, on top of the lookup: for an image manifest, one manifest `GET` (the config's digest is in the
//! manifest, which a `HEAD` does not return) and one config blob `GET`. For an index, one more manifest
//! `GET`: the labels are read from one platform's image, chosen so that the same index always gives the
//! same answer: the platform the pin was of, else `linux/amd64`, else the first entry that is not an
//! attestation.

use serde::Deserialize;

use super::manifest::Document;
use super::platform::{choose, is_attestation};
use super::registry::Client;
use super::{Fault, Platform, ResolveError};

/// The three labels, as the registry sent them (not yet escaped for any output).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Labels {
    pub created: Option<String>,
    pub revision: Option<String>,
    pub source: Option<String>,
    /// Not a label: the config's own `created` time (`pin update --trust-created` ages a digest by it).
    pub config_created: Option<String>,
}

impl Labels {
    pub fn is_empty(&self) -> bool {
        self.created.is_none() && self.revision.is_none() && self.source.is_none()
    }
}

/// `{"config": {"Labels": {...}}}`: the only part of a config blob read here.
#[derive(Deserialize)]
struct Config {
    #[serde(default)]
    config: Option<Inner>,
    #[serde(default)]
    created: Option<String>,
}

#[derive(Deserialize)]
struct Inner {
    #[serde(default, rename = "Labels")]
    labels: Option<std::collections::BTreeMap<String, String>>,
}

/// Parses a config blob's labels. A config without any is not an error: the labels are then all `None`.
pub fn parse(config: &[u8]) -> Result<Labels, String> {
    let parsed: Config = serde_json::from_slice(config).map_err(|e| e.to_string())?;
    let config_created = parsed.created;
    let mut labels = parsed.config.and_then(|c| c.labels).unwrap_or_default();
    let mut take = |name: &str| labels.remove(&format!("org.opencontainers.image.{name}"));
    Ok(Labels {
        created: take("created"),
        revision: take("revision"),
        source: take("source"),
        config_created,
    })
}

/// The labels of the image `digest` names in `registry/repository`; for an index, those of one platform's
/// image (see the module docs). `platform` is the platform the pin was of, if it was one platform's manifest.
pub async fn labels(
    client: &Client,
    registry: &str,
    repository: &str,
    digest: &str,
    platform: Option<&Platform>,
) -> Result<Labels, ResolveError> {
    let mut document = client
        .get_manifest(registry, repository, digest)
        .await?
        .document;
    if let Document::Index { manifests, .. } = &document {
        let amd64 = Platform {
            os: "linux".to_string(),
            architecture: "amd64".to_string(),
            variant: None,
            os_version: None,
        };
        let chosen = platform
            .and_then(|p| choose(&document, p, registry, repository, digest).ok())
            .or_else(|| choose(&document, &amd64, registry, repository, digest).ok())
            .map(|m| m.digest)
            .or_else(|| {
                manifests
                    .iter()
                    .find(|d| !is_attestation(d))
                    .map(|d| d.digest.clone())
            })
            .ok_or_else(|| {
                ResolveError::from(super::Missing::NoImage {
                    image: format!("{registry}/{repository}@{digest}"),
                })
            })?;
        document = client
            .get_manifest(registry, repository, &chosen)
            .await?
            .document;
    }
    let Document::Image { config, .. } = document else {
        return Err(Fault::NestedIndex {
            image: format!("{registry}/{repository}@{digest}"),
        }
        .into());
    };
    let blob = client
        .get_blob(registry, repository, &config.digest)
        .await?;
    parse(&blob).map_err(|e| {
        ResolveError::from(Fault::NotAConfig {
            registry: registry.to_string(),
            image: format!("{repository}@{digest}"),
            error: super::escape(&e).into_owned(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_labels_are_read_and_others_ignored() {
        let config = br#"{"architecture":"amd64","os":"linux","created":"2024-05-01T10:00:01Z","config":{"Labels":{
            "org.opencontainers.image.created":"2024-05-01T10:00:00Z",
            "org.opencontainers.image.revision":"abc123",
            "org.opencontainers.image.source":"https://example.com/app",
            "org.opencontainers.image.title":"app"}}}"#;
        assert_eq!(
            parse(config).unwrap(),
            Labels {
                created: Some("2024-05-01T10:00:00Z".to_string()),
                revision: Some("abc123".to_string()),
                source: Some("https://example.com/app".to_string()),
                config_created: Some("2024-05-01T10:00:01Z".to_string()),
            }
        );
        for none in [
            &br#"{"config":{}}"#[..],
            br#"{}"#,
            br#"{"config":{"Labels":null}}"#,
        ] {
            assert!(parse(none).unwrap().is_empty());
        }
        assert!(parse(b"[1]").is_err());
    }
}
