//! `--platform os/arch[/variant]`: platforms, how they match, and choosing one platform's manifest from an
//! index.

use std::fmt;
use std::str::FromStr;

use super::manifest::{Descriptor, Document, ImageConfig, PlatformSpec};
use super::registry::Manifest;
use super::{escape, ResolveError};

/// A platform as `--platform` names it and as an index's `platform` object describes it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
    /// `os.version` (Windows builds: `10.0.20348.2113`). In `--platform windows/amd64:10.0.20348` it is a
    /// prefix that an entry's `os.version` must start with.
    pub os_version: Option<String>,
}

impl FromStr for Platform {
    type Err = String;

    fn from_str(s: &str) -> Result<Platform, String> {
        let (s, os_version) = match s.split_once(':') {
            Some((p, v))
                if !v.is_empty()
                    && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_') =>
            {
                (p, Some(v.to_string()))
            }
            Some(_) => {
                return Err(format!(
                    "{s:?}: the os.version after `:` must be digits and dots, e.g. windows/amd64:10.0.20348"
                ))
            }
            None => (s, None),
        };
        let parts: Vec<&str> = s.split('/').collect();
        let ok =
            |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        match parts.as_slice() {
            [os, arch] if ok(os) && ok(arch) => Ok(Platform {
                os: os.to_string(),
                architecture: arch.to_string(),
                variant: None,
                os_version,
            }),
            [os, arch, variant] if ok(os) && ok(arch) && ok(variant) => Ok(Platform {
                os: os.to_string(),
                architecture: arch.to_string(),
                variant: Some(variant.to_string()),
                os_version,
            }),
            _ => Err(format!(
                "{s:?} is not os/arch[/variant][:os.version], e.g. linux/arm64, linux/arm/v7 or \
                 windows/amd64:10.0.20348"
            )),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        if let Some(v) = &self.os_version {
            write!(f, ":{v}")?;
        }
        Ok(())
    }
}

impl Platform {
    /// Whether an index entry's platform is this one. A missing variant means the architecture's default
    /// (`arm64` → `v8`, `arm` → `v7`), as containerd and Docker match them; otherwise variants must agree.
    /// An `os.version` asked for is a prefix of the entry's, at a component boundary (`10.0.20348` takes
    /// `10.0.20348.2113`, not `10.0.203481`).
    pub fn matches(&self, other: &Platform) -> bool {
        let version = match (&self.os_version, &other.os_version) {
            (None, _) => true,
            (Some(want), Some(have)) => have
                .strip_prefix(want.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.')),
            (Some(_), None) => false,
        };
        self.os == other.os
            && self.architecture == other.architecture
            && self.effective_variant() == other.effective_variant()
            && version
    }

    /// Without `os.version`: what `--platforms` and the platform of an image config compare.
    pub fn without_version(&self) -> Platform {
        Platform {
            os_version: None,
            ..self.clone()
        }
    }

    fn effective_variant(&self) -> Option<&str> {
        match (self.architecture.as_str(), self.variant.as_deref()) {
            ("arm64", None) => Some("v8"),
            ("arm", None) => Some("v7"),
            ("amd64", None) => Some("v1"),
            (_, v) => v,
        }
    }
}

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
    Err(ResolveError::NotFound(format!(
        "{registry}/{repository}:{tag} has no {} manifest; it has: {}",
        escape(&platform.to_string()),
        if available.is_empty() {
            "none".to_string()
        } else {
            available.join(", ")
        }
    )))
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
    fn parses_and_prints() {
        assert_eq!(p("linux/arm/v7").to_string(), "linux/arm/v7");
        assert_eq!(p("linux/amd64").variant, None);
        for bad in ["linux", "linux/", "/amd64", "a/b/c/d", "linux/amd 64", ""] {
            assert!(bad.parse::<Platform>().is_err(), "{bad}");
        }
    }

    #[test]
    fn variants_matter_and_defaults_apply() {
        assert!(p("linux/arm/v7").matches(&p("linux/arm/v7")));
        assert!(!p("linux/arm/v7").matches(&p("linux/arm/v6")));
        assert!(p("linux/arm").matches(&p("linux/arm/v7")));
        assert!(p("linux/arm64").matches(&p("linux/arm64/v8")));
        assert!(!p("linux/arm64").matches(&p("linux/amd64")));
        assert!(!p("windows/amd64").matches(&p("linux/amd64")));
    }

    #[test]
    fn os_version_is_a_prefix_at_a_component_boundary() {
        let want = p("windows/amd64:10.0.20348");
        assert_eq!(want.os_version.as_deref(), Some("10.0.20348"));
        assert_eq!(want.to_string(), "windows/amd64:10.0.20348");
        let entry = |v: Option<&str>| Platform {
            os_version: v.map(str::to_string),
            ..p("windows/amd64")
        };
        assert!(want.matches(&entry(Some("10.0.20348.2113"))));
        assert!(want.matches(&entry(Some("10.0.20348"))));
        assert!(!want.matches(&entry(Some("10.0.17763.5122"))));
        assert!(!want.matches(&entry(Some("10.0.203481"))));
        assert!(!want.matches(&entry(None)));
        assert!(p("windows/amd64").matches(&entry(Some("10.0.17763.5122"))));
        for bad in ["windows/amd64:", "windows/amd64:10 0", "windows/amd64:a:b"] {
            assert!(bad.parse::<Platform>().is_err(), "{bad}");
        }
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
