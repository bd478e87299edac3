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
//! - `error`: why a lookup failed ([`ResolveError`]), as data whose message is made in `Display`.

pub mod attestation;
pub mod auth;
pub mod cache;
pub mod cosign;
mod error;
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
pub use error::{Asker, Denial, Fault, Missing, Refusal, ResolveError, Unreachability};

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
