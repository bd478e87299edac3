//! The image reference grammar of distribution/reference, with Docker Hub normalization.
//!
//! `[host[:port]/]path[:tag][@algorithm:hex]`. [`Reference::parse`] accepts the familiar form people write
//! (`nginx`, `nginx:1.25`, `ghcr.io/org/app:v1@sha256:…`) and keeps the user's spelling, so that a rewrite can
//! replace the tag with a digest without normalizing the name.
//!
//! The parser is hand-written and follows the Go package `github.com/distribution/reference` (its regular
//! expressions, `Parse`, `ParseNormalizedNamed`, `ParseNamed`, `ParseAnyReference`, `ParseDockerRef`,
//! `WithName`/`WithTag`/`WithDigest`) and the digest checks of `github.com/opencontainers/go-digest`; every
//! case of the library's own test tables is a unit test here (`tests/data/reference-vectors.json`).
//!
//! Limitations and deliberate differences from the Go library:
//! - Only `sha256` digests are accepted inside a reference. go-digest treats an algorithm as available only
//!   when the program links its hash; the library's tests (the source of the vectors) link only sha256, and
//!   expect `sha512` to be an unsupported algorithm. So `pin` never writes one either: a registry that
//!   answers a tag with a sha512 digest is an error at lookup ([`is_reference_digest`]), and a lockfile
//!   entry with one is refused. [`is_valid_digest`] (sha256 or sha512) only checks the digests inside
//!   manifests.
//! - [`Reference::parse`] rejects a first path component that looks like a domain (it has a `.` or `:`) but
//!   is not a valid host, such as `my_registry.local/app`. Go accepts it as a reference with an empty domain,
//!   which no registry request could use.
//! - The length limit is Go's: at most 255 bytes of repository path, the domain not counted (after
//!   normalization, so `library/` counts for official images).
//! - Nothing here is fetched or looked up: whether a repository or tag exists is for [`crate::resolve`].

pub mod action;

use std::borrow::Cow;
use std::fmt;

/// The registry Docker Hub names normalize to.
const DEFAULT_DOMAIN: &str = "docker.io";
/// Docker Hub's historical name ("the Docker Index"); people still write it, so it normalizes to
/// [`DEFAULT_DOMAIN`].
const LEGACY_DEFAULT_DOMAIN: &str = "index.docker.io";
/// Namespace of Docker Hub's official images: `nginx` is `library/nginx`.
const OFFICIAL_REPO_PREFIX: &str = "library/";
/// A first component that is a domain although it has neither `.` nor `:`.
const LOCALHOST: &str = "localhost";
/// The tag Docker assumes when a reference names neither tag nor digest.
const DEFAULT_TAG: &str = "latest";
/// Longest tag the grammar allows (`[\w][\w.-]{0,127}`).
const TAG_MAX: usize = 128;
/// Fewest hex digits the reference grammar allows in a digest (128 bits).
const DIGEST_HEX_MIN: usize = 32;
/// The digest algorithms accepted in a reference, with the exact number of hex digits each needs. go-digest
/// also knows sha384 and sha512, but reports them as unsupported unless the program links those hashes; the
/// vectors expect exactly that for sha512, so they are left out.
const AVAILABLE_ALGORITHMS: &[(&str, usize)] = &[("sha256", 64)];

/// Longest repository path, in bytes, domain excluded (`RepositoryNameTotalLengthMax`).
pub const REPOSITORY_NAME_MAX: usize = 255;

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

/// Why a string is not a valid reference. Each variant mirrors one Go error, and displays the same text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    /// `ErrReferenceInvalidFormat`: the string does not follow the grammar.
    #[error("invalid reference format")]
    InvalidFormat,
    /// `ErrTagInvalidFormat`: not `[\w][\w.-]{0,127}`.
    #[error("invalid tag format")]
    TagInvalidFormat,
    /// `ErrDigestInvalidFormat`: not `algorithm:hex` as the reference grammar has it.
    #[error("invalid digest format")]
    DigestInvalidFormat,
    /// `ErrNameContainsUppercase`: the strict grammar would accept the string lowercased.
    #[error("repository name must be lowercase")]
    NameContainsUppercase,
    /// `ErrNameEmpty`.
    #[error("repository name must have at least one component")]
    NameEmpty,
    /// `ErrNameTooLong`: the repository path is longer than [`REPOSITORY_NAME_MAX`].
    #[error("repository name must not be more than 255 characters")]
    NameTooLong,
    /// `ErrNameNotCanonical`: [`Reference::parse_canonical`] got a string that normalization would change.
    #[error("repository name must be canonical")]
    NameNotCanonical,
    /// go-digest's `ErrDigestInvalidFormat`: a known algorithm with characters its encoding does not allow.
    #[error("invalid checksum digest format")]
    ChecksumInvalidFormat,
    /// go-digest's `ErrDigestInvalidLength`: a known algorithm with the wrong number of hex digits.
    #[error("invalid checksum digest length")]
    DigestInvalidLength,
    /// go-digest's `ErrDigestUnsupported`: an algorithm other than sha256 (see the module limitations).
    #[error("unsupported digest algorithm")]
    DigestUnsupported,
    /// `ParseNormalizedNamed`: the repository path (given) has uppercase letters.
    #[error("invalid reference format: repository name ({0}) must be lowercase")]
    RepositoryNotLowercase(String),
    /// `ParseNormalizedNamed`: the whole string (given) is 64 hex digits, an image ID rather than a name.
    #[error("invalid repository name ({0}), cannot specify 64-byte hexadecimal strings")]
    NameIsHexIdentifier(String),
    /// Not in Go: the first component (given) reads as a registry host but is not a valid one.
    #[error("invalid reference format: registry domain ({0}) is not a valid host")]
    DomainInvalid(String),
}

impl Reference {
    /// Parses the familiar form (`ParseNormalizedNamed` semantics): Docker Hub is the default registry and
    /// `library/` the default namespace there.
    pub fn parse(s: &str) -> Result<Reference, ReferenceError> {
        if is_identifier(s) {
            return Err(ReferenceError::NameIsHexIdentifier(s.to_string()));
        }
        let (domain, remainder) = split_docker_domain(s);
        // Go looks only up to the first ':', so a digest's algorithm (`@sha256`) counts as part of the path.
        let remote = remainder
            .split_once(':')
            .map_or(&*remainder, |(remote, _)| remote);
        if has_uppercase(remote) {
            return Err(ReferenceError::RepositoryNotLowercase(remote.to_string()));
        }
        let strict = StrictReference::parse(&format!("{domain}/{remainder}"))?;
        if strict.domain.is_empty() {
            return Err(ReferenceError::DomainInvalid(domain.to_string()));
        }
        // Tag and digest are a suffix of the input as written; the name is everything before them.
        let suffix = strict.tag.as_ref().map_or(0, |t| t.len() + 1)
            + strict.digest.as_ref().map_or(0, |d| d.len() + 1);
        Ok(Reference {
            original: s.to_string(),
            name_len: s.len() - suffix,
            registry: strict.domain,
            repository: strict.path,
            tag: strict.tag,
            digest: strict.digest,
        })
    }

    /// Parses a reference that must already be fully normalized, e.g. `docker.io/library/nginx:1.25`
    /// (`ParseNamed`); any other valid spelling is [`ReferenceError::NameNotCanonical`].
    pub fn parse_canonical(s: &str) -> Result<Reference, ReferenceError> {
        let reference = Reference::parse(s)?;
        if reference.normalized_string() != s {
            return Err(ReferenceError::NameNotCanonical);
        }
        Ok(reference)
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

    /// The tag as written, if any.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest as written (`algorithm:hex`), if any.
    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
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

    /// `name:tag@digest` in the user's spelling, with `latest` for a reference that names no tag, so that the
    /// tag followed later is the one pulled now.
    pub fn pinned_with_tag(&self, digest: &str) -> String {
        format!("{}@{digest}", self.with_default_tag())
    }

    /// `name:tag` in the user's spelling, `name:latest` when no tag is written (the digest left out).
    pub fn with_default_tag(&self) -> String {
        format!("{}:{}", self.name(), self.tag().unwrap_or(DEFAULT_TAG))
    }

    /// The fully qualified name: `docker.io/library/nginx` for `nginx` (Go's `Name()`).
    pub fn normalized_name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The fully qualified reference with tag and digest as given: `docker.io/library/nginx:1.25` (Go's
    /// `String()`).
    pub fn normalized_string(&self) -> String {
        with_suffix(self.normalized_name(), self.tag(), self.digest())
    }

    /// The shortest name Docker understands: `docker.io/library/nginx` is `nginx`, `docker.io/org/app` is
    /// `org/app` (`FamiliarName`). `library/` stays when more path follows, as official images are never
    /// nested.
    pub fn familiar_name(&self) -> String {
        if self.registry != DEFAULT_DOMAIN {
            return self.normalized_name();
        }
        match self.repository.strip_prefix(OFFICIAL_REPO_PREFIX) {
            Some(rest) if !rest.contains('/') => rest.to_string(),
            _ => self.repository.clone(),
        }
    }

    /// [`Reference::familiar_name`] with tag and digest (`FamiliarString`).
    pub fn familiar_string(&self) -> String {
        with_suffix(self.familiar_name(), self.tag(), self.digest())
    }

    /// What Docker pulls (`ParseDockerRef`): normalized, `:latest` when neither tag nor digest is given, and
    /// only the digest when both are.
    pub fn docker_ref_string(&self) -> String {
        match (self.tag(), self.digest()) {
            (None, None) => with_suffix(self.normalized_name(), Some(DEFAULT_TAG), None),
            (Some(_), Some(digest)) => with_suffix(self.normalized_name(), None, Some(digest)),
            (tag, digest) => with_suffix(self.normalized_name(), tag, digest),
        }
    }
}

/// A reference as the strict grammar reads it, without Docker Hub defaults (Go's `reference.Parse` and
/// `WithName`): `nginx` has no domain and the path `nginx`; `foo/bar` has the domain `foo`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StrictReference {
    domain: String,
    path: String,
    tag: Option<String>,
    digest: Option<String>,
}

impl StrictReference {
    /// Parses `[domain/]path[:tag][@digest]` without normalizing (`reference.Parse`).
    pub fn parse(s: &str) -> Result<StrictReference, ReferenceError> {
        if s.is_empty() {
            return Err(ReferenceError::NameEmpty);
        }
        let Some((name, tag, digest)) = split_reference(s) else {
            // Tells a user who wrote `Nginx` what is wrong, rather than only that something is.
            let uppercase = lowercase_for_retry(s)
                .is_some_and(|lower| lower != s && split_reference(&lower).is_some());
            return Err(if uppercase {
                ReferenceError::NameContainsUppercase
            } else {
                ReferenceError::InvalidFormat
            });
        };
        let (domain, path) = split_name(name).ok_or(ReferenceError::InvalidFormat)?;
        if path.len() > REPOSITORY_NAME_MAX {
            return Err(ReferenceError::NameTooLong);
        }
        if let Some(digest) = digest {
            validate_digest(digest)?;
        }
        Ok(StrictReference {
            domain: domain.to_string(),
            path: path.to_string(),
            tag: tag.map(str::to_string),
            digest: digest.map(str::to_string),
        })
    }

    /// A name alone, `[domain/]path`, with neither tag nor digest (`WithName`).
    #[cfg(test)]
    pub fn with_name(name: &str) -> Result<StrictReference, ReferenceError> {
        let (domain, path) = split_name(name).ok_or(ReferenceError::InvalidFormat)?;
        if path.len() > REPOSITORY_NAME_MAX {
            return Err(ReferenceError::NameTooLong);
        }
        Ok(StrictReference {
            domain: domain.to_string(),
            path: path.to_string(),
            tag: None,
            digest: None,
        })
    }

    /// This reference with `tag` set, keeping any digest (`WithTag`).
    #[cfg(test)]
    pub fn with_tag(self, tag: &str) -> Result<StrictReference, ReferenceError> {
        if !is_tag(tag) {
            return Err(ReferenceError::TagInvalidFormat);
        }
        Ok(StrictReference {
            tag: Some(tag.to_string()),
            ..self
        })
    }

    /// This reference with `digest` set, keeping any tag (`WithDigest`). Only the grammar is checked, not
    /// the algorithm or length, as in Go.
    #[cfg(test)]
    pub fn with_digest(self, digest: &str) -> Result<StrictReference, ReferenceError> {
        if !is_digest_grammar(digest) {
            return Err(ReferenceError::DigestInvalidFormat);
        }
        Ok(StrictReference {
            digest: Some(digest.to_string()),
            ..self
        })
    }

    /// The domain as written, or `""` when the name has none.
    #[cfg(test)]
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The repository path after the domain.
    #[cfg(test)]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// `domain/path`, or the path alone when there is no domain.
    pub fn name(&self) -> String {
        if self.domain.is_empty() {
            self.path.clone()
        } else {
            format!("{}/{}", self.domain, self.path)
        }
    }

    /// The tag as written, if any.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest as written (`algorithm:hex`), if any.
    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }
}

impl fmt::Display for StrictReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&with_suffix(self.name(), self.tag(), self.digest()))
    }
}

/// What `ParseAnyReference` accepts: an image ID or digest alone, or a name in familiar form.
#[cfg(test)]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AnyReference {
    /// `sha256:…`; a bare 64-hex image ID gets the `sha256:` prefix.
    Digest(String),
    Named(Reference),
}

#[cfg(test)]
impl AnyReference {
    /// Tries an image ID, then a digest, then [`Reference::parse`].
    pub fn parse(s: &str) -> Result<AnyReference, ReferenceError> {
        if is_identifier(s) {
            return Ok(AnyReference::Digest(format!("sha256:{s}")));
        }
        if validate_digest(s).is_ok() {
            return Ok(AnyReference::Digest(s.to_string()));
        }
        Reference::parse(s).map(AnyReference::Named)
    }

    /// The digest itself, or [`Reference::familiar_string`].
    pub fn familiar_string(&self) -> String {
        match self {
            AnyReference::Digest(digest) => digest.clone(),
            AnyReference::Named(reference) => reference.familiar_string(),
        }
    }
}

#[cfg(test)]
impl fmt::Display for AnyReference {
    /// The digest itself, or [`Reference::normalized_string`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnyReference::Digest(digest) => f.write_str(digest),
            AnyReference::Named(reference) => f.write_str(&reference.normalized_string()),
        }
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

/// Whether `d` is a digest a reference may carry (`sha256:` and 64 lowercase hex digits; see the module
/// limitations): what `pin` writes. [`is_valid_digest`] also allows sha512, which a manifest may hold for
/// its layers but which no reference `pin` writes can name.
pub fn is_reference_digest(d: &str) -> bool {
    d.split_once(':').is_some_and(|(algo, hex)| {
        AVAILABLE_ALGORITHMS
            .iter()
            .any(|&(a, len)| a == algo && hex.len() == len)
            && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

/// `name[:tag][@digest]` as text.
fn with_suffix(mut name: String, tag: Option<&str>, digest: Option<&str>) -> String {
    if let Some(tag) = tag {
        name.push(':');
        name.push_str(tag);
    }
    if let Some(digest) = digest {
        name.push('@');
        name.push_str(digest);
    }
    name
}

/// Go's `splitDockerDomain`: the registry a familiar name means, and the rest of the string with `library/`
/// added for official Docker Hub images. A first component is a registry only when it has `.` or `:`, is
/// `localhost`, or has uppercase letters (which a Docker Hub namespace cannot).
fn split_docker_domain(s: &str) -> (&str, Cow<'_, str>) {
    let (domain, remainder) = match s.split_once('/') {
        Some((first, rest)) if first == LEGACY_DEFAULT_DOMAIN => (DEFAULT_DOMAIN, rest),
        Some((first, rest))
            if first == LOCALHOST || first.contains(['.', ':']) || has_uppercase(first) =>
        {
            (first, rest)
        }
        _ => (DEFAULT_DOMAIN, s),
    };
    if domain == DEFAULT_DOMAIN && !remainder.contains('/') {
        (
            domain,
            Cow::Owned(format!("{OFFICIAL_REPO_PREFIX}{remainder}")),
        )
    } else {
        (domain, Cow::Borrowed(remainder))
    }
}

/// Whether lowercasing would change `s` (Go's `strings.ToLower(s) != s`).
fn has_uppercase(s: &str) -> bool {
    if s.is_ascii() {
        s.bytes().any(|b| b.is_ascii_uppercase())
    } else {
        s.to_lowercase() != s
    }
}

/// Go's `strings.ToLower(s)` where the result could still match the (ASCII) grammar, else `None`. Two
/// non-ASCII letters lowercase to ASCII under Go's simple case mapping; Rust's full mapping would turn `İ`
/// into two characters, so they are mapped by hand.
fn lowercase_for_retry(s: &str) -> Option<String> {
    s.chars()
        .map(|c| match c {
            '\u{212A}' => Some('k'), // KELVIN SIGN
            '\u{0130}' => Some('i'), // LATIN CAPITAL LETTER I WITH DOT ABOVE
            c if c.is_ascii() => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

/// Go's `referenceRegexp`: splits `name[:tag][@digest]` by the grammar alone (the digest's algorithm and
/// length are [`validate_digest`]'s concern). Returns the name, tag and digest.
///
/// The split is unambiguous, so no backtracking is needed: `@` occurs only before the digest, and a `:` that
/// no `/` follows can only start the tag, because a name's `:` (a port, an IPv6 address) sits in the domain,
/// which a `/` always follows.
fn split_reference(s: &str) -> Option<(&str, Option<&str>, Option<&str>)> {
    let (rest, digest) = match s.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (s, None),
    };
    if digest.is_some_and(|d| !is_digest_grammar(d)) {
        return None;
    }
    let (name, tag) = match rest.rfind(':') {
        Some(i) if !rest[i..].contains('/') => (&rest[..i], Some(&rest[i + 1..])),
        _ => (rest, None),
    };
    if tag.is_some_and(|t| !is_tag(t)) {
        return None;
    }
    split_name(name)?;
    Some((name, tag, digest))
}

/// Go's `anchoredNameRegexp`: `[domain/]path` split into domain (`""` when absent) and path. The first
/// component is the domain whenever it can be one, so `foo/bar` has the domain `foo` here; normalization
/// ([`split_docker_domain`]) is what treats it as a Docker Hub namespace.
fn split_name(name: &str) -> Option<(&str, &str)> {
    if let Some((domain, path)) = name.split_once('/') {
        if is_domain_and_port(domain) && is_remote_name(path) {
            return Some((domain, path));
        }
    }
    is_remote_name(name).then_some(("", name))
}

/// `path-component ('/' path-component)*`.
fn is_remote_name(s: &str) -> bool {
    s.split('/').all(is_path_component)
}

/// `[a-z0-9]+ (separator [a-z0-9]+)*` where a separator is exactly `.`, `_`, `__` or one or more `-`.
fn is_path_component(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    loop {
        let run = i;
        while i < b.len() && matches!(b[i], b'a'..=b'z' | b'0'..=b'9') {
            i += 1;
        }
        // An empty run means a separator at either end, two separators in a row, or an empty component.
        if i == run {
            return false;
        }
        if i == b.len() {
            return true;
        }
        let sep = i;
        while i < b.len() && matches!(b[i], b'.' | b'_' | b'-') {
            i += 1;
        }
        let ok = match &b[sep..i] {
            b"" => false, // a character the grammar does not allow
            b"." | b"_" | b"__" => true,
            dashes => dashes.iter().all(|&c| c == b'-'),
        };
        if !ok {
            return false;
        }
    }
}

/// Go's `domainAndPort`: a DNS-like name, IPv4 address or bracketed IPv6 address, then an optional `:port`.
/// Deliberately looser than DNS (any label length, uppercase allowed) and stricter than URLs (no IPv6 zone).
fn is_domain_and_port(s: &str) -> bool {
    let (host, port) = if s.starts_with('[') {
        match s.find(']') {
            Some(end) => s.split_at(end + 1),
            None => return false,
        }
    } else {
        s.split_at(s.find(':').unwrap_or(s.len()))
    };
    let host_ok = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        // The address is not validated further: the grammar takes any run of hex digits and colons.
        Some(ipv6) => !ipv6.is_empty() && ipv6.bytes().all(|b| b.is_ascii_hexdigit() || b == b':'),
        None => host.split('.').all(is_domain_component),
    };
    let port_ok = port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    host_ok && port_ok
}

/// A label: letters, digits and `-`, not starting or ending with `-`.
fn is_domain_component(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(&first), Some(&last)) => {
            first != b'-'
                && last != b'-'
                && b.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'-')
        }
        _ => false,
    }
}

/// `[\w][\w.-]{0,127}` (`\w` is ASCII in Go).
fn is_tag(s: &str) -> bool {
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    match s.as_bytes().split_first() {
        Some((&first, rest)) => {
            s.len() <= TAG_MAX
                && word(first)
                && rest.iter().all(|&c| word(c) || c == b'.' || c == b'-')
        }
        None => false,
    }
}

/// The reference grammar's digest: `[A-Za-z][A-Za-z0-9]*` components joined by one of `-_+.`, a `:`, and at
/// least 32 hex digits of either case.
fn is_digest_grammar(s: &str) -> bool {
    let Some((algorithm, hex)) = s.split_once(':') else {
        return false;
    };
    let component_ok = |c: &str| {
        c.as_bytes().split_first().is_some_and(|(first, rest)| {
            first.is_ascii_alphabetic() && rest.iter().all(|b| b.is_ascii_alphanumeric())
        })
    };
    algorithm.split(['-', '_', '+', '.']).all(component_ok)
        && hex.len() >= DIGEST_HEX_MIN
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

/// go-digest's `DigestRegexpAnchored`: `[a-z0-9]+` components joined by one of `.+_-`, a `:`, and a non-empty
/// encoding of `[a-zA-Z0-9=_-]`. Only decides which error an unknown algorithm gets.
fn is_go_digest_grammar(s: &str) -> bool {
    let Some((algorithm, encoded)) = s.split_once(':') else {
        return false;
    };
    let component_ok =
        |c: &str| !c.is_empty() && c.bytes().all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9'));
    algorithm.split(['.', '+', '_', '-']).all(component_ok)
        && !encoded.is_empty()
        && encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'=' | b'_' | b'-'))
}

/// go-digest's `Digest.Validate` with [`AVAILABLE_ALGORITHMS`]: the algorithm must be available and the hex
/// part exactly as long as its hash and lowercase.
fn validate_digest(s: &str) -> Result<(), ReferenceError> {
    let (algorithm, encoded) = match s.split_once(':') {
        Some((a, e)) if !a.is_empty() && !e.is_empty() => (a, e),
        _ => return Err(ReferenceError::ChecksumInvalidFormat),
    };
    let Some(&(_, hex_len)) = AVAILABLE_ALGORITHMS
        .iter()
        .find(|(name, _)| *name == algorithm)
    else {
        return Err(if is_go_digest_grammar(s) {
            ReferenceError::DigestUnsupported
        } else {
            ReferenceError::ChecksumInvalidFormat
        });
    };
    if encoded.len() != hex_len {
        return Err(ReferenceError::DigestInvalidLength);
    }
    if !encoded
        .bytes()
        .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return Err(ReferenceError::ChecksumInvalidFormat);
    }
    Ok(())
}

/// An image ID: exactly 64 lowercase hex digits (Go's `anchoredIdentifierRegexp`).
fn is_identifier(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests;
