//! Choosing one platform's manifest from an index, and the platforms an index or image config names.

use super::manifest::{Descriptor, Document, ImageConfig, PlatformSpec};
use super::registry::Manifest;
use super::{escape, ResolveError};
pub use crate::platform::Platform;

impl From<&PlatformSpec> for Platform {
    /// The platform an index entry names.
    fn from(p: &PlatformSpec) -> Platform {
        Platform {
            os: p.os.clone(),
            architecture: p.architecture.clone(),
            variant: p.variant.clone(),
            os_version: p.os_version.clone(),
        }
    }
}

impl From<&ImageConfig> for Platform {
    /// The platform an image config says its image is for.
    fn from(c: &ImageConfig) -> Platform {
        Platform {
            os: c.os.clone(),
            architecture: c.architecture.clone(),
            variant: c.variant.clone(),
            os_version: c.os_version.clone(),
        }
    }
}

/// The entry of `index` for `platform`, or an error naming the platforms it has.
pub fn choose(
    index: &Document,
    platform: &Platform,
    registry: &str,
    repository: &str,
    tag: &str,
) -> Result<Manifest, ResolveError> {
    let mut available = Vec::new();
    for entry in index.manifests() {
        let Some(p) = entry.platform.as_ref().map(Platform::from) else {
            continue;
        };
        // Attestation manifests (provenance, SBOMs) are not images a node can run, whatever platform they
        // claim; they are never chosen nor offered.
        if is_attestation(entry) {
            continue;
        }
        if platform.matches(&p) {
            return Ok(Manifest {
                digest: entry.digest.clone(),
                media_type: Some(entry.media_type.clone()),
                ..Manifest::default()
            });
        }
        available.push(escape(&p.to_string()).into_owned());
    }
    Err(ResolveError::from(super::Missing::Platform {
        image: format!("{registry}/{repository}:{tag}"),
        platform: escape(&platform.to_string()).into_owned(),
        available,
    }))
}

/// Whether an index entry is an attestation manifest rather than an image: BuildKit marks them with
/// `vnd.docker.reference.type: attestation-manifest` and gives them the platform `unknown/unknown`.
pub fn is_attestation(entry: &Descriptor) -> bool {
    let annotated = entry
        .annotations
        .get("vnd.docker.reference.type")
        .is_some_and(|t| t == "attestation-manifest");
    let unknown = entry
        .platform
        .as_ref()
        .is_some_and(|p| p.os == "unknown" || p.architecture == "unknown");
    annotated || unknown
}

/// The platforms an index offers (attestations left out), in index order.
pub fn offered(index: &Document) -> Vec<Platform> {
    index
        .manifests()
        .iter()
        .filter(|e| !is_attestation(e))
        .filter_map(|e| e.platform.as_ref().map(Platform::from))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Platform {
        s.parse().unwrap()
    }

    #[test]
    fn attestations_are_never_chosen() {
        let index = super::super::manifest::parse(
            format!(
                r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
                {{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{a}","size":1,
                  "platform":{{"os":"linux","architecture":"amd64"}},
                  "annotations":{{"vnd.docker.reference.type":"attestation-manifest"}}}},
                {{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{b}","size":1,
                  "platform":{{"os":"unknown","architecture":"unknown"}}}},
                {{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{c}","size":1,
                  "platform":{{"os":"linux","architecture":"amd64"}}}}]}}"#,
                a = "a".repeat(64),
                b = "b".repeat(64),
                c = "c".repeat(64)
            )
            .as_bytes(),
            None,
        )
        .unwrap();
        let m = choose(&index, &p("linux/amd64"), "r", "x", "t").unwrap();
        assert_eq!(m.digest, format!("sha256:{}", "c".repeat(64)));
        let err = choose(&index, &p("unknown/unknown"), "r", "x", "t").unwrap_err();
        assert!(err.to_string().ends_with("it has: linux/amd64"), "{err}");
        assert_eq!(offered(&index), [p("linux/amd64")]);
    }
}
