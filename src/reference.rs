//! The image reference grammar of distribution/reference, with Docker Hub normalization.
//!
//! `[host[:port]/]path[:tag][@algorithm:hex]`. [`Reference::parse`] accepts the familiar form people write
//! (`nginx`, `nginx:1.25`, `ghcr.io/org/app:v1@sha256:…`) and keeps the user's spelling, so that a rewrite can
//! replace the tag with a digest without normalizing the name.

/// A parsed image reference; remembers the text it was parsed from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Reference {
    original: String,
    /// Length in bytes of the name as written (`[host/]path`).
    name_len: usize,
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<String>,
}

/// Why a string is not a valid reference.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("invalid reference format")]
    InvalidFormat,
}

impl Reference {
    /// Parses the familiar form (ParseNormalizedNamed semantics).
    pub fn parse(s: &str) -> Result<Reference, ReferenceError> {
        let _ = s;
        Err(ReferenceError::InvalidFormat)
    }

    /// The text this reference was parsed from.
    pub fn as_str(&self) -> &str {
        &self.original
    }

    /// The name exactly as written: `nginx`, `ghcr.io/org/app`.
    pub fn name(&self) -> &str {
        &self.original[..self.name_len]
    }

    /// Normalized registry domain: `docker.io` for Docker Hub (also when written `index.docker.io`).
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// Normalized repository path: `library/nginx` for `nginx`.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }

    /// The host requests go to: `registry-1.docker.io` for Docker Hub, otherwise the registry.
    pub fn api_host(&self) -> &str {
        if self.registry == "docker.io" {
            "registry-1.docker.io"
        } else {
            &self.registry
        }
    }

    /// The user's own spelling with `digest` in place of the tag (`keep_tag`: after it).
    pub fn pinned(&self, digest: &str, keep_tag: bool) -> String {
        let mut out = self.name().to_string();
        if let (true, Some(tag)) = (keep_tag, &self.tag) {
            out.push(':');
            out.push_str(tag);
        }
        out.push('@');
        out.push_str(digest);
        out
    }
}

/// Whether `d` is a digest `pin` may write into a file: `sha256:` + 64 or `sha512:` + 128 lowercase hex.
pub fn is_valid_digest(d: &str) -> bool {
    let (algo, hex) = match d.split_once(':') {
        Some(parts) => parts,
        None => return false,
    };
    let len = match algo {
        "sha256" => 64,
        "sha512" => 128,
        _ => return false,
    };
    hex.len() == len && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}
