//! `--platform os/arch[/variant]`: platforms, how they match, and choosing one platform's manifest from an
//! index.

use std::fmt;
use std::str::FromStr;

use super::manifest::{Document, ImageConfig, PlatformSpec};
use super::registry::Manifest;
use super::{escape, ResolveError};

/// A platform as `--platform` names it and as an index's `platform` object describes it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl FromStr for Platform {
    type Err = String;

    fn from_str(s: &str) -> Result<Platform, String> {
        let parts: Vec<&str> = s.split('/').collect();
        let ok =
            |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        match parts.as_slice() {
            [os, arch] if ok(os) && ok(arch) => Ok(Platform {
                os: os.to_string(),
                architecture: arch.to_string(),
                variant: None,
            }),
            [os, arch, variant] if ok(os) && ok(arch) && ok(variant) => Ok(Platform {
                os: os.to_string(),
                architecture: arch.to_string(),
                variant: Some(variant.to_string()),
            }),
            _ => Err(format!(
                "{s:?} is not os/arch[/variant], e.g. linux/arm64 or linux/arm/v7"
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
        Ok(())
    }
}

impl Platform {
    /// Whether an index entry's platform is this one. A missing variant means the architecture's default
    /// (`arm64` → `v8`, `arm` → `v7`), as containerd and Docker match them; otherwise variants must agree.
    pub fn matches(&self, other: &Platform) -> bool {
        self.os == other.os
            && self.architecture == other.architecture
            && self.effective_variant() == other.effective_variant()
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
        if platform.matches(&p) {
            return Ok(Manifest {
                digest: entry.digest.clone(),
                media_type: Some(entry.media_type.clone()),
            });
        }
        // Attestation manifests carry platform unknown/unknown; they are not platforms a user can pick.
        if p.os != "unknown" {
            available.push(escape(&p.to_string()).into_owned());
        }
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
}
