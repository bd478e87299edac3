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

/// The entries of an index that are images of a platform (attestations left out), in index order: each
/// platform with its manifest's digest.
pub fn entries(index: &Document) -> Vec<(Platform, String)> {
    index
        .manifests()
        .iter()
        .filter(|e| !is_attestation(e))
        .filter_map(|e| Some((Platform::from(e.platform.as_ref()?), e.digest.clone())))
        .collect()
}

/// The platforms a pinned index's entries stand for, each once, in index order: what `pin update` requires
/// when no platform is named. A Windows `os.version` is cut to its build (`10.0.20348`), which the next
/// patch level keeps.
pub fn required_by(entries: &[(Platform, String)]) -> Vec<Platform> {
    let mut required: Vec<Platform> = Vec::new();
    for (p, _) in entries {
        let p = Platform {
            os_version: p
                .os_version
                .as_ref()
                .map(|v| v.split('.').take(3).collect::<Vec<_>>().join(".")),
            ..p.clone()
        };
        if !required.contains(&p) {
            required.push(p);
        }
    }
    required
}

/// How the required platforms fare from a pinned index to the index its tag points at now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Required platforms the new index has no manifest for.
    pub missing: Vec<Platform>,
    /// Required platforms whose manifests differ (or that the pinned index did not have).
    pub changed: Vec<Platform>,
}

/// Compares the manifests each `required` platform matches in `old` and in `new` (as sets: an index may have
/// two entries for one platform, such as two Windows builds).
pub fn compare(
    old: &[(Platform, String)],
    new: &[(Platform, String)],
    required: &[Platform],
) -> Comparison {
    let of = |list: &[(Platform, String)], want: &Platform| {
        list.iter()
            .filter(|(p, _)| want.matches(p))
            .map(|(_, d)| d.clone())
            .collect::<std::collections::BTreeSet<String>>()
    };
    let mut c = Comparison::default();
    for want in required {
        let (was, now) = (of(old, want), of(new, want));
        if now.is_empty() {
            c.missing.push(want.clone());
        } else if was != now {
            c.changed.push(want.clone());
        }
    }
    c
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
        assert_eq!(
            entries(&index),
            [(p("linux/amd64"), format!("sha256:{}", "c".repeat(64)))]
        );
    }

    #[test]
    fn required_platforms_compare_by_their_manifests() {
        let e = |platform: &str, d: &str| (p(platform), d.to_string());
        let old = [
            e("linux/amd64", "a"),
            e("linux/arm64/v8", "b"),
            e("windows/amd64:10.0.20348.2113", "w"),
        ];
        let required = required_by(&old);
        assert_eq!(
            required,
            [
                p("linux/amd64"),
                p("linux/arm64/v8"),
                p("windows/amd64:10.0.20348")
            ]
        );
        // Only an attestation changed (it is not among the entries), or a platform not required was added.
        let same = [
            e("linux/amd64", "a"),
            e("linux/arm64/v8", "b"),
            e("windows/amd64:10.0.20348.2113", "w"),
            e("linux/s390x", "s"),
        ];
        assert_eq!(compare(&old, &same, &required), Comparison::default());
        // The next Windows patch level is the same build, with another manifest.
        let patched = [
            e("linux/amd64", "a"),
            e("linux/arm64/v8", "b"),
            e("windows/amd64:10.0.20348.2227", "w2"),
        ];
        let c = compare(&old, &patched, &required);
        assert_eq!(c.changed, [p("windows/amd64:10.0.20348")]);
        assert!(c.missing.is_empty());
        // arm64 gone: missing; `linux/arm64` as named by a user matches `linux/arm64/v8`.
        let no_arm = [e("linux/amd64", "a2")];
        let c = compare(&old, &no_arm, &[p("linux/amd64"), p("linux/arm64")]);
        assert_eq!(c.missing, [p("linux/arm64")]);
        assert_eq!(c.changed, [p("linux/amd64")]);
        // Only amd64 required: an arm64 change is none of its business.
        let arm_moved = [e("linux/amd64", "a"), e("linux/arm64/v8", "b2")];
        assert_eq!(
            compare(&old, &arm_moved, &[p("linux/amd64")]),
            Comparison::default()
        );
        // A required platform the pinned index lacked, now offered: a change.
        assert_eq!(
            compare(&old, &same, &[p("linux/s390x")]).changed,
            [p("linux/s390x")]
        );
    }
}
