//! Resolving tags to digests: each unique (registry, repository, tag) once, concurrently, bounded.
//!
//! - `registry`: the distribution API calls ([`Client::head_manifest`], [`Client::get_manifest`],
//!   [`Client::get_blob`]), their answers checked;
//! - `tokens`: ping, credentials and tokens per repository, single-flight; `auth`: challenges and where
//!   credentials come from;
//! - `transport`: HTTP, TLS trust, redirects, retries, bounded bodies, request counts;
//! - `manifest`: typed manifests, checked against the media type they claim;
//! - `platform`: `--platform` and choosing a platform's manifest from an index; `lookup`: what a [`Key`]
//!   resolves to (tag, platform, `pin update`);
//! - `mirrors`: where a lookup is asked (registries.conf mirrors, remapping, blocked registries);
//! - `labels`: the OCI labels of an image's config, for the markdown report of `pin update`;
//! - `lock`: the lockfile; `cache`: recent tag → digest answers (`--cache`); `seen`: when a tag was first
//!   seen pointing at a digest (`pin update --min-age`);
//! - `cosign`, `attestation`, `policy`: signatures and attestations a digest needs before it is written
//!   (`--require-signature`, `--require-attestation`, `--policy`).
//! - `git`: GitHub Actions `uses:` refs resolved to commits over git's smart HTTP protocol.

pub mod attestation;
pub mod auth;
pub mod cache;
pub mod cosign;
pub mod git;
mod helper;
pub mod labels;
pub mod lock;
mod lookup;
pub mod manifest;
pub mod mirrors;
pub mod platform;
pub mod policy;
pub mod registry;
pub mod seen;
pub mod sigstore;
mod tokens;
pub mod transport;
pub mod verify;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{self, StreamExt};

pub use labels::Labels;
pub use platform::Platform;
pub use registry::{Client, Manifest};
pub use tokens::Anonymous;
pub use transport::{ClientOptions, Stats};

use crate::reference::Reference;
pub use crate::report::escape;

/// One lookup: what a tag points at in one repository.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    /// Normalized registry domain (`docker.io`).
    pub registry: String,
    /// Normalized repository (`library/nginx`).
    pub repository: String,
    /// The tag; `latest` when the reference has none.
    pub tag: String,
    /// `--platform`: pin this platform's manifest instead of what the tag points at.
    pub platform: Option<Platform>,
    /// `pin update`: the digest the reference carries now. The lookup then keeps its kind: an index pin gets the
    /// tag's index, a platform pin gets the same platform's manifest in the tag's index.
    pub current: Option<String>,
}

impl Key {
    pub fn of(r: &Reference, platform: Option<&Platform>) -> Key {
        Key {
            registry: r.registry().to_string(),
            repository: r.repository().to_string(),
            tag: r.tag().unwrap_or("latest").to_string(),
            platform: platform.cloned(),
            current: None,
        }
    }

    /// The lookup `pin update` makes for a reference that has a tag and a digest.
    pub fn update_of(r: &Reference) -> Option<Key> {
        Some(Key {
            current: Some(r.digest()?.to_string()),
            ..Key::of(r, None)
        })
    }
}

/// `registry/repository:tag`, then ` (os/arch)` for a platform pin: the lockfile's keys.
impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}:{}", self.registry, self.repository, self.tag)?;
        if let Some(p) = &self.platform {
            write!(f, " ({p})")?;
        }
        Ok(())
    }
}

/// Why a lookup failed. Messages name the registry and never hold a secret.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// What was asked for does not exist there (`mirrors`: how each mirror asked first failed).
    #[error("{what}{}", mirrors_note(mirrors))]
    NotFound { what: Missing, mirrors: Vec<String> },
    /// The registry or git server does not let pin in.
    #[error("{why}{}", mirrors_note(mirrors))]
    Unauthorized {
        why: Box<Denial>,
        mirrors: Vec<String>,
    },
    /// The registry (or its token service) answered what pin does not accept.
    #[error("{why}{}", mirrors_note(mirrors))]
    Registry {
        why: Box<Fault>,
        mirrors: Vec<String>,
    },
    /// A request to `host` failed in a way worth no special advice (a dropped connection, a reset);
    /// `cause` is the HTTP library's chain of causes, escaped.
    #[error("cannot reach {host}: {cause}{}", mirrors_note(mirrors))]
    Transport {
        host: String,
        cause: String,
        mirrors: Vec<String>,
    },
    /// `host` cannot be reached at all (it does not resolve, refuses connections, never answers, or its
    /// certificate is not trusted): every lookup that needs it fails alike, so reports can say it once.
    /// `mirrors`: how each mirror asked first failed (`m.example: …`).
    #[error("{host}: {}{}", why.words(host), mirrors_note(mirrors))]
    Unreachable {
        host: String,
        why: Unreachability,
        mirrors: Vec<String>,
    },
    #[error("{0}")]
    Config(String),
    /// The digest resolved, but the signature policy does not accept it (unsigned, badly signed, rejected).
    #[error("{why}{}", mirrors_note(mirrors))]
    Signature { why: Refusal, mirrors: Vec<String> },
}

/// Why the signature policy refuses a digest. `rule` names the policy and, for a policy file, the scope
/// that applied (`--policy policy.json, docker.io/library`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The policy rejects `image` outright.
    #[error("the policy rejects {image} ({rule}); nothing written")]
    Rejected { image: String, rule: String },
    /// No signature or attestation satisfies the rule; `why` is the verifier's account of each one found.
    #[error("{why} ({rule}); nothing written")]
    Unverified { why: String, rule: String },
    /// The `what` (`signatures`, `attestations`) of `image@digest` could not be looked up.
    #[error("cannot look up the {what} of {image}@{digest}: {error}")]
    LookupFailed {
        what: &'static str,
        image: String,
        digest: String,
        error: Box<ResolveError>,
    },
}

impl From<Refusal> for ResolveError {
    fn from(why: Refusal) -> ResolveError {
        ResolveError::Signature {
            why,
            mirrors: Vec::new(),
        }
    }
}

/// Why a registry or git server does not let pin in. A credential appears only as a [`auth::Login`] (who,
/// and where it came from), never its secret.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Denial {
    /// `registry` answered `status` (401 or 403) to the request for `repository`, made as `asker`.
    #[error("{registry} refused access to {repository} ({status}) {}", asker.words(registry))]
    Refused {
        registry: String,
        repository: String,
        status: reqwest::StatusCode,
        asker: Asker,
    },
    /// The registry asks for Basic auth, and its login is an identity token, which only a token service takes.
    #[error("{registry} asks for a password (Basic auth), and the login for it is {login}, which only a token \
             service accepts")]
    BasicWithToken {
        registry: String,
        login: auth::Login,
    },
    /// The registry asks for a login and none is sent (`anonymous` says why).
    #[error("{registry} requires a login{}", match anonymous {
        Anonymous::Withheld => format!("; credentials are {}", tokens::withheld(registry)),
        Anonymous::NoneFound => " and no credentials were found for it".to_string(),
        Anonymous::Because(why) => format!(" and no credentials were found for it; {why}"),
    })]
    LoginRequired {
        registry: String,
        anonymous: Anonymous,
    },
    /// The registry's challenge names a scheme pin does not support (`challenge`: the header, escaped).
    #[error("{registry} asks for an authentication scheme pin does not support: \"{challenge}\"")]
    Scheme { registry: String, challenge: String },
    /// The registry's token service is plain HTTP on a host the user did not name insecure, and there are
    /// credentials to send: refused. `realm` and `host` are escaped.
    #[error("{registry} asks for its credentials to be sent to the plain-HTTP token service \"{realm}\"; \
             refused (pass --insecure-registry {host} if that host is meant to be reached without TLS)")]
    ClearTextToken {
        registry: String,
        realm: String,
        host: String,
    },
    /// The registry's token service answered 401 or 403 for `repository`, asked as `asker`.
    #[error("the token service of {registry} refused {}", match asker {
        Asker::Login(l) if l.kind == auth::CredentialKind::IdentityToken => {
            format!("{l} (log in again to renew it)")
        }
        Asker::Login(l) => format!("the credentials for user {:?} from {}", l.username, l.source),
        Asker::Anonymous(Anonymous::Because(why)) => {
            format!("anonymous access to {repository}: {why}")
        }
        Asker::Anonymous(_) => format!("anonymous access to {repository}; log in first"),
    })]
    TokenRefused {
        registry: String,
        repository: String,
        asker: Asker,
    },
    /// A git server answered 401 for `repository` (`host/OWNER/REPO.git`), asked with `login` or with none.
    #[error("{repository}: {}", match login {
        Some(l) => format!("the server refused {l}"),
        None => "the server asks for credentials (401) and none were found (GH_TOKEN or GITHUB_TOKEN for \
                 github.com, ~/.netrc, a git credential helper); a repository that does not exist may be \
                 answered so too".to_string(),
    })]
    GitRefused {
        repository: String,
        login: Option<auth::Login>,
    },
    /// A git server answered 403 for `repository`.
    #[error("{repository}: the server refused access (403)")]
    GitForbidden { repository: String },
}

impl From<Denial> for ResolveError {
    fn from(why: Denial) -> ResolveError {
        ResolveError::Unauthorized {
            why: Box::new(why),
            mirrors: Vec::new(),
        }
    }
}

/// Who asked a registry that refused: a login, or no one (and why not).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Asker {
    Login(auth::Login),
    Anonymous(Anonymous),
}

impl Asker {
    /// `with the credentials of "alice" from …`, `anonymously (no credentials found)`.
    fn words(&self, registry: &str) -> String {
        match self {
            Asker::Login(l) => format!("with {l}"),
            Asker::Anonymous(Anonymous::Withheld) => {
                format!(
                    "anonymously (credentials are {})",
                    tokens::withheld(registry)
                )
            }
            Asker::Anonymous(Anonymous::Because(why)) => format!("anonymously ({why})"),
            Asker::Anonymous(Anonymous::NoneFound) => {
                "anonymously (no credentials found)".to_string()
            }
        }
    }
}

/// What is wrong with a registry's answer, or with a registry's way of answering. Text a registry sent is
/// escaped before it is kept here.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Fault {
    /// The manifest request for `repository:tag` got a status pin has no other words for.
    #[error("{registry} answered {status} for {repository}:{tag}")]
    Status {
        registry: String,
        repository: String,
        tag: String,
        status: reqwest::StatusCode,
    },
    /// The token service answered a status that is neither success nor a refusal.
    #[error("the token service of {registry} answered {status}")]
    TokenStatus {
        registry: String,
        status: reqwest::StatusCode,
    },
    /// `host` answered a transient `status` on each of `attempts`; `rate_limit` is what its rate-limit
    /// headers say, when the status was 429.
    #[error("{host} answered {status} {attempts} times{}; giving up", match rate_limit {
        Some(detail) => format!(" (its rate limit): {detail}"),
        None => String::new(),
    })]
    GaveUp {
        host: String,
        status: reqwest::StatusCode,
        attempts: u32,
        rate_limit: Option<String>,
    },
    /// A body larger than the limit of `mib` MiB.
    #[error("{registry} sent a response larger than {mib} MiB")]
    TooLarge { registry: String, mib: usize },
    /// Asked for `repository@reference` (a digest), the registry answered with the manifest `digest`.
    #[error("{registry} answered the request for {repository}@{reference} with the manifest {digest}; an \
             answer for another digest is not believed")]
    OtherDigest {
        registry: String,
        repository: String,
        reference: String,
        digest: String,
    },
    /// The `Docker-Content-Digest` header (`claimed`, escaped, at most 140 characters) is not the digest
    /// `computed` from the body.
    #[error("{registry} sent Docker-Content-Digest \"{claimed}\" for a manifest whose digest is {computed}")]
    DigestMismatch {
        registry: String,
        claimed: String,
        computed: String,
    },
    /// The blob asked for by `digest` hashes to another digest.
    #[error("{registry} sent a blob for {repository}@{digest} with another digest")]
    BlobDigest {
        registry: String,
        repository: String,
        digest: String,
    },
    /// A digest that is not one (`digest`: escaped, at most 100 characters).
    #[error("{registry} sent a malformed digest \"{digest}\"; nothing written")]
    MalformedDigest { registry: String, digest: String },
    /// A Docker schema 1 manifest (`media_type`, escaped): its digest is not what runtimes pin.
    #[error("{registry} serves {repository}:{reference} as a Docker schema 1 manifest ({media_type}): its \
             digest is not what runtimes pin, so pin refuses it; push the image again with a current Docker, \
             buildah or skopeo")]
    Schema1 {
        registry: String,
        repository: String,
        reference: String,
        media_type: String,
    },
    /// The manifest body is not the manifest it claims to be; `what` says what it is instead.
    #[error("{registry} sent {what} for {repository}:{reference}; nothing written")]
    NotAManifest {
        registry: String,
        repository: String,
        reference: String,
        what: String,
    },
    /// The image config of `image` (`repository@digest`) does not parse; `error` is the parser's.
    #[error("{registry} sent an image config for {image} that is not one: {error}")]
    NotAConfig {
        registry: String,
        image: String,
        error: String,
    },
    /// `image` (`registry/repository@digest`) is an index inside an index: it has no config.
    #[error("{image}: an index inside an index has no config to read")]
    NestedIndex { image: String },
    /// A signature manifest (`repository:name`) that does not parse.
    #[error("{registry} sent a signature manifest {manifest} that is not one: {error}")]
    NotASignature {
        registry: String,
        manifest: String,
        error: String,
    },
    /// The referrers API answered something other than an index.
    #[error("{registry} sent a referrers answer that is not an index: {error}")]
    NotAReferrersIndex { registry: String, error: String },
    /// The challenge's token realm (escaped) is not a URL.
    #[error("{registry} sent a bad token realm \"{realm}\": {error}")]
    BadRealm {
        registry: String,
        realm: String,
        error: String,
    },
    /// The token realm (escaped) has a scheme other than https or http.
    #[error("{registry} sent a token realm \"{realm}\" with the unsupported scheme {scheme}")]
    RealmScheme {
        registry: String,
        realm: String,
        scheme: String,
    },
    /// The token service's answer is not the JSON it should be.
    #[error("bad token response from {registry}: {error}")]
    BadTokenResponse { registry: String, error: String },
    /// The token service's answer has no token in it.
    #[error("the token response from {registry} holds no token")]
    NoToken { registry: String },
    /// The lookup of `key` gave a digest of `algorithm` (escaped), which a reference cannot carry.
    #[error("{key} resolved to a {algorithm} digest; an image reference can carry only sha256 digests, so it \
             cannot be pinned")]
    Unpinnable { key: String, algorithm: String },
    /// A git server's answer for `repository` (`host/OWNER/REPO`) breaks git's protocol; `error` says how.
    #[error("{repository}: {error}")]
    GitProtocol { repository: String, error: String },
    /// A protocol v0 server's refs do not hold `commit`, and v0 cannot ask for any other commit.
    #[error("{repository}: no branch or tag points at {commit}, and the server speaks only git's protocol v0, \
             in which any other commit is refused whether it exists or not: cannot tell")]
    GitV0 { repository: String, commit: String },
    /// The git server failed (`refused`: refused) to send `commit`; `message` is its words, escaped.
    #[error("{repository}: the server {} to send {commit}: {message}", if *refused { "refused" } else { "failed" })]
    GitSend {
        repository: String,
        commit: String,
        refused: bool,
        message: String,
    },
    /// The answer to a fetch of `commit` ended with neither a pack nor an error.
    #[error(
        "{repository}: the server's answer to a fetch of {commit} ended without a pack or an error"
    )]
    GitNoPack { repository: String, commit: String },
    /// The repository's object ids are `format` (escaped), not SHA-1.
    #[error("{repository} uses {format} object ids; a `uses:` pin is a 40-digit SHA-1 commit id")]
    GitObjectFormat { repository: String, format: String },
    /// A git server's status pin has no other words for.
    #[error("{repository}: the server answered {status}")]
    GitStatus {
        repository: String,
        status: reqwest::StatusCode,
    },
    /// Not a git smart-HTTP answer: `content_type` (escaped) is not `application/{kind}`.
    #[error("{repository}: not a git smart-HTTP server (it answered with {content_type:?}, not \
             application/{kind}); --actions-server names a server with the OWNER/REPO.git layout of GitHub")]
    NotGit {
        repository: String,
        content_type: String,
        kind: String,
    },
}

impl From<Fault> for ResolveError {
    fn from(why: Fault) -> ResolveError {
        ResolveError::Registry {
            why: Box::new(why),
            mirrors: Vec::new(),
        }
    }
}

/// What a registry or git server does not have.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Missing {
    /// The registry answered 404 for the tag.
    #[error("{registry} has no manifest for {repository}:{tag}")]
    Manifest {
        registry: String,
        repository: String,
        tag: String,
    },
    /// `--platform`: the tag's index has no manifest for it; `available` lists the platforms it has
    /// (escaped).
    #[error("{image} has no {platform} manifest; it has: {}", if available.is_empty() { "none".to_string() } else { available.join(", ") })]
    Platform {
        image: String,
        platform: String,
        available: Vec<String>,
    },
    /// An index whose every entry is an attestation, not an image.
    #[error("{image} is an index with no image in it")]
    NoImage { image: String },
    /// `--offline`: the lockfile `lockfile` holds no answer for `key`.
    #[error("{key} is not in {lockfile}; run once without --offline to record it")]
    NotRecorded { key: String, lockfile: String },
    /// A git server answered 404 for the repository.
    #[error("{repository}: no such repository (the server answered 404)")]
    Repository { repository: String },
    /// The repository has no ref `why` can name (`why` says which, and what it has).
    #[error("{repository} {why}")]
    Ref { repository: String, why: String },
}

impl From<Missing> for ResolveError {
    fn from(what: Missing) -> ResolveError {
        ResolveError::NotFound {
            what,
            mirrors: Vec::new(),
        }
    }
}

/// Why a host cannot be reached at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unreachability {
    /// Its name does not resolve.
    NoName,
    /// Nothing listens there.
    Refused,
    /// No connection within `seconds` (`--connect-timeout`).
    NoConnection { seconds: u64 },
    /// Connected, but no (whole) answer within `seconds` (`--timeout`).
    NoAnswer { seconds: u64 },
    /// Its certificate is not trusted; `cause` is the TLS library's reason (`UnknownIssuer`), escaped.
    Untrusted { cause: String },
    /// It does not speak TLS (a plain-HTTP registry asked over HTTPS).
    NotTls,
}

impl Unreachability {
    /// The reason in words, with what to do about it where there is something (`host` is named in the flag
    /// to pass).
    fn words(&self, host: &str) -> String {
        match self {
            Unreachability::NoName => "cannot resolve host".to_string(),
            Unreachability::Refused => "connection refused".to_string(),
            Unreachability::NoConnection { seconds } => {
                format!("no connection within {seconds} s (--connect-timeout)")
            }
            Unreachability::NoAnswer { seconds } => {
                format!("no answer within {seconds} s (--timeout)")
            }
            Unreachability::Untrusted { cause } => format!(
                "its TLS certificate is not trusted ({cause}); trust the CA that signed it with \
                 --ca-cert FILE or SSL_CERT_FILE=FILE"
            ),
            Unreachability::NotTls => format!(
                "it does not speak TLS; if it is a plain-HTTP registry, pass --insecure-registry {host}"
            ),
        }
    }
}

/// `; mirrors tried first: …` after a message, when mirrors were asked before the registry itself.
fn mirrors_note(mirrors: &[String]) -> String {
    if mirrors.is_empty() {
        String::new()
    } else {
        format!("; mirrors tried first: {}", mirrors.join("; "))
    }
}

impl ResolveError {
    /// The same failure, after the `mirrors` asked first failed too (each `registry: error`).
    fn after_mirrors(self, mirrors: Vec<String>) -> ResolveError {
        use ResolveError::*;
        let note = mirrors_note(&mirrors);
        let add = |m: String| m + &note;
        match self {
            NotFound { what, .. } => NotFound { what, mirrors },
            Unauthorized { why, .. } => Unauthorized { why, mirrors },
            Registry { why, .. } => Registry { why, mirrors },
            Transport { host, cause, .. } => Transport {
                host,
                cause,
                mirrors,
            },
            Unreachable { host, why, .. } => Unreachable { host, why, mirrors },
            Config(m) => Config(add(m)),
            Signature { why, .. } => Signature { why, mirrors },
        }
    }
}

/// How a request failed before any answer, as far as retrying is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Failure {
    /// The name does not resolve.
    Dns,
    /// Nothing listens there.
    Refused,
    /// No connection within the connect timeout.
    ConnectTimeout,
    /// Connected, but no (whole) answer within the request timeout.
    Timeout,
    /// The server's certificate is not trusted.
    Untrusted,
    /// The server does not speak TLS (a plain-HTTP registry reached as HTTPS).
    NotTls,
    /// Anything else (a dropped connection, a reset): worth another attempt.
    Other,
}

impl Failure {
    /// Classified by what the error is, never by its words: reqwest's own tests (`is_timeout`,
    /// `is_connect`), then the causes below it: the error of pin's name lookup ([`transport::NotResolved`]),
    /// an I/O error's kind, and the TLS error rustls gave (which tokio-rustls wraps in an I/O error).
    fn of(e: &reqwest::Error) -> Failure {
        if e.is_timeout() {
            return if e.is_connect() {
                Failure::ConnectTimeout
            } else {
                Failure::Timeout
            };
        }
        causes(e)
            .find_map(|cause| {
                if cause.is::<transport::NotResolved>() {
                    return Some(Failure::Dns);
                }
                match cause.downcast_ref::<rustls::Error>() {
                    Some(rustls::Error::InvalidCertificate(_)) => return Some(Failure::Untrusted),
                    // Not a TLS record at all: the server answered in plain text (HTTP).
                    Some(rustls::Error::InvalidMessage(_)) => return Some(Failure::NotTls),
                    _ => {}
                }
                cause
                    .downcast_ref::<std::io::Error>()
                    .filter(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
                    .map(|_| Failure::Refused)
            })
            .unwrap_or(Failure::Other)
    }

    /// Whether asking again could answer differently. Only a fault of one connection might; a host that
    /// does not resolve, refuses, is silent or is not trusted stays so for the length of a run.
    fn retry(self) -> bool {
        self == Failure::Other
    }
}

impl ResolveError {
    /// The error for a request to `host` that failed with `e`. `timeouts` are (connect, request), for the
    /// messages.
    fn transport(host: &str, e: &reqwest::Error, timeouts: (Duration, Duration)) -> ResolveError {
        let unreachable = |why: Unreachability| ResolveError::Unreachable {
            host: host.to_string(),
            why,
            mirrors: Vec::new(),
        };
        let cause = || {
            let text = chain(e);
            // The innermost cause is the part a user can act on ("UnknownIssuer").
            let last = text.rsplit(": ").next().unwrap_or_default().to_string();
            escape(&last).into_owned()
        };
        match Failure::of(e) {
            Failure::Dns => unreachable(Unreachability::NoName),
            Failure::Refused => unreachable(Unreachability::Refused),
            Failure::ConnectTimeout => unreachable(Unreachability::NoConnection {
                seconds: timeouts.0.as_secs(),
            }),
            Failure::Timeout => unreachable(Unreachability::NoAnswer {
                seconds: timeouts.1.as_secs(),
            }),
            Failure::Untrusted => unreachable(Unreachability::Untrusted { cause: cause() }),
            Failure::NotTls => unreachable(Unreachability::NotTls),
            Failure::Other => ResolveError::Transport {
                host: host.to_string(),
                cause: escape(&chain(e)).into_owned(),
                mirrors: Vec::new(),
            },
        }
    }
}

/// The causes below `e`, outermost first. An I/O error that wraps another error (as tokio-rustls wraps a
/// `rustls::Error`) is followed by that error itself: `io::Error::source` skips it.
fn causes<'e>(
    e: &'e (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'e (dyn std::error::Error + 'static)> {
    let mut next = e.source();
    let mut wrapped: Option<&'e (dyn std::error::Error + 'static)> = None;
    std::iter::from_fn(move || {
        let cause = wrapped.take().or_else(|| next.take())?;
        match cause
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            Some(inner) => {
                let inner: &(dyn std::error::Error + 'static) = inner;
                wrapped = Some(inner);
                next = None;
            }
            None => next = cause.source(),
        }
        Some(cause)
    })
}

/// An error with its causes: reqwest's own Display omits them ("error sending request"), and the cause is
/// what a user needs ("invalid peer certificate: UnknownIssuer").
fn chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !msg.contains(&text) {
            msg.push_str(": ");
            msg.push_str(&text);
        }
        source = s.source();
    }
    msg
}

/// Every lookup's outcome, by key.
pub type Resolutions = BTreeMap<Key, Result<Manifest, ResolveError>>;

/// Resolves keys against registries through one shared [`Client`], asking each key's mirrors first when
/// [`mirrors::Routes`] has any for it.
pub struct Resolver {
    client: Arc<Client>,
    jobs: usize,
    routes: mirrors::Routes,
    /// Keys answered by a host other than the reference's own registry (a mirror or a remapped location).
    answered_by: std::sync::Mutex<BTreeMap<Key, String>>,
    /// `pin update --labels`: Docker Hub may be sent manifest GETs, which it counts as pulls.
    docker_hub_gets: bool,
}

/// Docker Hub's registry name in a normalized reference.
pub const DOCKER_HUB: &str = "docker.io";

impl Resolver {
    pub fn with_routes(client: Client, jobs: usize, routes: mirrors::Routes) -> Resolver {
        Resolver {
            client: Arc::new(client),
            jobs: jobs.max(1),
            routes,
            answered_by: Default::default(),
            docker_hub_gets: false,
        }
    }

    /// Allows manifest GETs against Docker Hub (`pin update --labels`).
    pub fn with_docker_hub_gets(mut self, allowed: bool) -> Resolver {
        self.docker_hub_gets = allowed;
        self
    }

    /// Whether a moved index pin of `key` may be compared by its platforms' manifests (two GETs) when asked
    /// at `host`.
    fn compare(&self, key: &Key, host: &str) -> lookup::Compare {
        if key.registry == DOCKER_HUB && !self.docker_hub_gets {
            return lookup::Compare::No(
                "Docker Hub counts a manifest GET as a pull, so a moved index is compared by its \
                 platforms' manifests there only with `--labels`",
            );
        }
        let low = self
            .stats()
            .low_quota
            .lock()
            .expect("quota map poisoned")
            .contains_key(transport::api_host(host));
        if low {
            return lookup::Compare::No(
                "its registry's rate-limit quota is running low, so the platforms' manifests were not compared",
            );
        }
        lookup::Compare::Yes
    }

    /// Which host answered each key that was not answered by its own registry.
    pub fn answered_by(&self) -> BTreeMap<Key, String> {
        self.answered_by
            .lock()
            .expect("answered_by poisoned")
            .clone()
    }

    /// One key through its endpoints in order: the first answer wins; when every endpoint fails, the
    /// primary location's error is returned, naming the mirrors that failed before it.
    async fn lookup(&self, key: &Key) -> Result<Manifest, ResolveError> {
        let endpoints = self
            .routes
            .endpoints(&key.registry, &key.repository, false)
            .map_err(|e| ResolveError::Config(e.to_string()))?;
        let mut failed_mirrors = Vec::new();
        let last = endpoints.len().saturating_sub(1);
        for (i, ep) in endpoints.iter().enumerate() {
            let routed = Key {
                registry: ep.registry.clone(),
                repository: ep.repository.clone(),
                ..key.clone()
            };
            let compare = self.compare(key, &ep.registry);
            match self.client.manifest_digest(&routed, compare).await {
                Ok(m) => {
                    if ep.registry != key.registry || ep.repository != key.repository {
                        self.answered_by
                            .lock()
                            .expect("answered_by poisoned")
                            .insert(key.clone(), format!("{}/{}", ep.registry, ep.repository));
                    }
                    return Ok(m);
                }
                Err(e) if i < last => failed_mirrors.push(format!("{}: {e}", ep.registry)),
                Err(e) if failed_mirrors.is_empty() => return Err(e),
                Err(e) => return Err(e.after_mirrors(failed_mirrors)),
            }
        }
        Err(ResolveError::Config(format!(
            "no endpoint to ask for {key}"
        )))
    }

    pub fn stats(&self) -> &Stats {
        self.client.stats()
    }

    /// The client lookups go through (for the signature checks that follow them).
    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn jobs(&self) -> usize {
        self.jobs
    }

    /// Looks up every key once; at most `jobs` requests are in flight. `progress(done, total)` is called as
    /// lookups finish.
    pub async fn resolve_all(
        &self,
        keys: impl IntoIterator<Item = Key>,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Resolutions {
        let keys: Vec<Key> = keys.into_iter().collect();
        let total = keys.len();
        let mut results = stream::iter(keys)
            .map(|key| async move {
                let result = self.lookup(&key).await.and_then(|m| writable(m, &key));
                (key, result)
            })
            .buffer_unordered(self.jobs);
        let mut out = Resolutions::new();
        while let Some((key, result)) = results.next().await {
            out.insert(key, result);
            progress(out.len(), total);
        }
        out
    }
}

/// A resolution whose digest a reference can carry; a sha512 digest (which the reference grammar does not
/// accept, so `pin list` would refuse the pin it wrote) is an error naming the image.
fn writable(m: Manifest, key: &Key) -> Result<Manifest, ResolveError> {
    if crate::reference::is_reference_digest(&m.digest) {
        return Ok(m);
    }
    let algorithm = m.digest.split_once(':').map_or("", |(a, _)| a);
    Err(Fault::Unpinnable {
        key: key.to_string(),
        algorithm: escape(algorithm).into_owned(),
    }
    .into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mirrors_tried_first_follow_the_message_and_keep_the_kind() {
        let e = ResolveError::Unreachable {
            host: "r.example".into(),
            why: Unreachability::Refused,
            mirrors: Vec::new(),
        };
        let tried = vec!["m.example: timed out".to_string()];
        let after = e.after_mirrors(tried.clone());
        assert_eq!(
            after,
            ResolveError::Unreachable {
                host: "r.example".into(),
                why: Unreachability::Refused,
                mirrors: tried.clone(),
            }
        );
        assert_eq!(
            after.to_string(),
            "r.example: connection refused; mirrors tried first: m.example: timed out"
        );
        let missing = Missing::Manifest {
            registry: "r.example".into(),
            repository: "a".into(),
            tag: "1".into(),
        };
        assert_eq!(
            ResolveError::from(missing).after_mirrors(tried).to_string(),
            "r.example has no manifest for a:1; mirrors tried first: m.example: timed out"
        );
    }

    /// The denials say what they said as text: each expectation is the old format string, filled in by hand.
    #[test]
    fn denials_keep_their_words() {
        let login = auth::Login {
            username: "alice".into(),
            kind: auth::CredentialKind::Password,
            source: "~/.docker/config.json".into(),
        };
        let token = auth::Login {
            username: "<token>".into(),
            kind: auth::CredentialKind::IdentityToken,
            source: "~/.docker/config.json".into(),
        };
        let cases = [
            (
                Denial::Refused {
                    registry: "r.example".into(),
                    repository: "a/b".into(),
                    status: reqwest::StatusCode::FORBIDDEN,
                    asker: Asker::Login(login.clone()),
                },
                "r.example refused access to a/b (403 Forbidden) with the credentials of \"alice\" from \
                 ~/.docker/config.json",
            ),
            (
                Denial::Refused {
                    registry: "r.example".into(),
                    repository: "a/b".into(),
                    status: reqwest::StatusCode::UNAUTHORIZED,
                    asker: Asker::Anonymous(Anonymous::NoneFound),
                },
                "r.example refused access to a/b (401 Unauthorized) anonymously (no credentials found)",
            ),
            (
                Denial::LoginRequired {
                    registry: "r.example".into(),
                    anonymous: Anonymous::Because("install it".into()),
                },
                "r.example requires a login and no credentials were found for it; install it",
            ),
            (
                Denial::BasicWithToken {
                    registry: "r.example".into(),
                    login: token.clone(),
                },
                "r.example asks for a password (Basic auth), and the login for it is the identity token from \
                 ~/.docker/config.json, which only a token service accepts",
            ),
            (
                Denial::TokenRefused {
                    registry: "r.example".into(),
                    repository: "a/b".into(),
                    asker: Asker::Login(login.clone()),
                },
                "the token service of r.example refused the credentials for user \"alice\" from \
                 ~/.docker/config.json",
            ),
            (
                Denial::TokenRefused {
                    registry: "r.example".into(),
                    repository: "a/b".into(),
                    asker: Asker::Anonymous(Anonymous::Withheld),
                },
                "the token service of r.example refused anonymous access to a/b; log in first",
            ),
            (
                Denial::GitRefused {
                    repository: "git.example/o/r.git".into(),
                    login: Some(login),
                },
                "git.example/o/r.git: the server refused the credentials of \"alice\" from ~/.docker/config.json",
            ),
        ];
        for (denial, words) in cases {
            assert_eq!(ResolveError::from(denial).to_string(), words);
        }
    }

    /// Faults whose words depend on their data say what the old format strings said, filled in by hand.
    #[test]
    fn faults_keep_their_words() {
        let cases = [
            (
                Fault::GaveUp {
                    host: "r.example".into(),
                    status: reqwest::StatusCode::TOO_MANY_REQUESTS,
                    attempts: 3,
                    rate_limit: Some("retry after 60 s".into()),
                },
                "r.example answered 429 Too Many Requests 3 times (its rate limit): retry after 60 s; giving up",
            ),
            (
                Fault::GaveUp {
                    host: "r.example".into(),
                    status: reqwest::StatusCode::BAD_GATEWAY,
                    attempts: 1,
                    rate_limit: None,
                },
                "r.example answered 502 Bad Gateway 1 times; giving up",
            ),
            (
                Fault::GitSend {
                    repository: "git.example/o/r".into(),
                    commit: "abc".into(),
                    refused: true,
                    message: "no".into(),
                },
                "git.example/o/r: the server refused to send abc: no",
            ),
            (
                Fault::GitSend {
                    repository: "git.example/o/r".into(),
                    commit: "abc".into(),
                    refused: false,
                    message: "disk full".into(),
                },
                "git.example/o/r: the server failed to send abc: disk full",
            ),
            (
                Fault::NotGit {
                    repository: "git.example/o/r".into(),
                    content_type: "text/html".into(),
                    kind: "x-git-upload-pack-advertisement".into(),
                },
                "git.example/o/r: not a git smart-HTTP server (it answered with \"text/html\", not \
                 application/x-git-upload-pack-advertisement); --actions-server names a server with the \
                 OWNER/REPO.git layout of GitHub",
            ),
        ];
        for (fault, words) in cases {
            assert_eq!(ResolveError::from(fault).to_string(), words);
        }
    }

    /// A resolver that knows no name, so that a lookup fails as DNS fails, without the network.
    struct NoNames;

    impl reqwest::dns::Resolve for NoNames {
        fn resolve(&self, _name: reqwest::dns::Name) -> reqwest::dns::Resolving {
            let host = _name.as_str().to_owned();
            Box::pin(async move {
                let source = std::io::Error::other("no such name");
                Err::<reqwest::dns::Addrs, _>(Box::new(transport::NotResolved { host, source }) as _)
            })
        }
    }

    #[test]
    fn a_name_that_does_not_resolve_is_unreachable_and_not_retried() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .dns_resolver(NoNames)
            .build()
            .unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let e = runtime
            .block_on(client.get("https://registry.example.invalid/v2/").send())
            .unwrap_err();
        assert_eq!(Failure::of(&e), Failure::Dns, "{}", chain(&e));
        assert!(!Failure::of(&e).retry());
        let timeouts = (Duration::from_secs(10), Duration::from_secs(30));
        assert_eq!(
            ResolveError::transport("registry.example.invalid", &e, timeouts).to_string(),
            "registry.example.invalid: cannot resolve host"
        );
    }

    /// The error of one HTTPS request to `127.0.0.1:port` through a client built as pin builds it.
    fn https_error(port: u16) -> reqwest::Error {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .dns_resolver(transport::SystemNames)
            .build()
            .unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime
            .block_on(client.get(format!("https://127.0.0.1:{port}/v2/")).send())
            .unwrap_err()
    }

    #[test]
    fn a_closed_port_is_refused_and_not_retried() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let e = https_error(port);
        assert_eq!(Failure::of(&e), Failure::Refused, "{}", chain(&e));
        assert!(!Failure::of(&e).retry());
    }

    /// A plain-HTTP server reached over TLS: rustls reads its answer as a record that is not TLS.
    #[test]
    fn a_plain_http_server_does_not_speak_tls() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            use std::io::{Read, Write};
            let (mut conn, _) = listener.accept().unwrap();
            let mut hello = [0u8; 512];
            let _ = conn.read(&mut hello);
            let _ = conn.write_all(
                b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            );
        });
        let e = https_error(port);
        server.join().unwrap();
        assert_eq!(Failure::of(&e), Failure::NotTls, "{}", chain(&e));
        let timeouts = (Duration::from_secs(10), Duration::from_secs(30));
        assert_eq!(
            ResolveError::transport("127.0.0.1", &e, timeouts).to_string(),
            "127.0.0.1: it does not speak TLS; if it is a plain-HTTP registry, pass --insecure-registry 127.0.0.1"
        );
    }

    /// The causes are walked into what an I/O error wraps (tokio-rustls wraps rustls' own error).
    #[test]
    fn causes_follow_errors_wrapped_in_io_errors() {
        let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, tls);
        #[derive(Debug, thiserror::Error)]
        #[error("outer")]
        struct Outer(#[source] std::io::Error);
        let outer = Outer(io);
        let found: Vec<bool> = causes(&outer).map(|c| c.is::<rustls::Error>()).collect();
        assert_eq!(found, [false, true]);
    }

    #[test]
    fn only_sha256_digests_are_written() {
        let key = Key::of(&Reference::parse("a:1").unwrap(), None);
        let m = |d: String| Manifest {
            digest: d,
            ..Manifest::default()
        };
        assert!(writable(m(format!("sha256:{}", "a".repeat(64))), &key).is_ok());
        let e = writable(m(format!("sha512:{}", "a".repeat(128))), &key).unwrap_err();
        assert!(e.to_string().contains("sha512 digest"), "{e}");
    }
}
