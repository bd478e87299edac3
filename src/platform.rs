//! `os/arch[/variant][:os.version]`: a platform as `--platform`, `--platforms` and `pin.toml` name it, and how
//! two platforms match. The registry side (choosing an index entry) is in `resolve::platform`.

use std::fmt;
use std::str::FromStr;

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
}
