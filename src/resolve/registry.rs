//! A minimal client for the OCI distribution API: manifest digests by tag, with auth and retries.
//!
//! Why our own client instead of `oci-client`: the request budget is the product here. `pin` must make one
//! `/v2/` ping per registry, at most one token request per repository, and one manifest `HEAD` per unique tag,
//! honour `Retry-After` on 429/503, and say which registry refused which credentials. `oci-client` has no
//! single-flight for tokens, no retries, swallows token errors, and normalizes references in ways we must not
//! write back; working around all of that costs more code than these few requests.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{
    HeaderMap, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE,
};
use reqwest::{Method, StatusCode};
use sha2::{Digest as _, Sha256};
use tokio::sync::OnceCell;

use super::auth::{parse_challenge, Challenge, Credential, CredentialSource, Secret};
use super::manifest::{self, is_index, Document, ImageConfig, MANIFEST_ACCEPT};
use super::{chain, escape, Key, Platform, ResolveError};
use crate::reference::is_valid_digest;

/// Requests made, by kind; for `-v` and benchmarks.
#[derive(Debug, Default)]
pub struct Stats {
    pub ping: AtomicUsize,
    pub token: AtomicUsize,
    pub head: AtomicUsize,
    pub get: AtomicUsize,
    pub retries: AtomicUsize,
    /// The lowest `ratelimit-remaining` seen per registry host (Docker Hub sends it).
    pub rate_limit: Mutex<HashMap<String, String>>,
}

impl Stats {
    pub fn summary(&self) -> String {
        let mut s = format!(
            "requests: {} ping, {} token, {} HEAD, {} GET, {} retried",
            self.ping.load(Ordering::Relaxed),
            self.token.load(Ordering::Relaxed),
            self.head.load(Ordering::Relaxed),
            self.get.load(Ordering::Relaxed),
            self.retries.load(Ordering::Relaxed)
        );
        let limits = self.rate_limit.lock().expect("rate limit map poisoned");
        let mut hosts: Vec<_> = limits.iter().collect();
        hosts.sort();
        for (host, remaining) in hosts {
            s.push_str(&format!("; {host} ratelimit-remaining: {remaining}"));
        }
        s
    }

    /// Keeps the smallest remaining quota a registry reported (`100;w=21600` → compared on `100`).
    fn note_rate_limit(&self, host: &str, headers: &HeaderMap) {
        let Some(value) = header(headers, "ratelimit-remaining") else {
            return;
        };
        let count = |v: &str| {
            v.split(';')
                .next()
                .and_then(|n| n.trim().parse::<u64>().ok())
        };
        let mut limits = self.rate_limit.lock().expect("rate limit map poisoned");
        let keep = limits
            .get(host)
            .is_none_or(|old| count(&value) < count(old) || count(old).is_none());
        if keep {
            limits.insert(host.to_string(), value);
        }
    }
}

/// How to reach registries.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// `host[:port]` names (as written after normalization, e.g. `127.0.0.1:5000`) reached over plain HTTP.
    pub insecure: Vec<String>,
    /// Per-request timeout (connect and whole response).
    pub timeout: Duration,
    /// Retries after a 429, a 5xx or a dropped connection (so `retries + 1` attempts in all).
    pub retries: u32,
    /// Upper bound for one wait, whatever `Retry-After` asks.
    pub max_wait: Duration,
    /// PEM files of extra trusted roots (`--ca-cert`), added to the system trust store.
    pub ca_files: Vec<PathBuf>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            insecure: Vec::new(),
            timeout: Duration::from_secs(30),
            retries: 3,
            max_wait: Duration::from_secs(30),
            ca_files: Vec::new(),
        }
    }
}

/// What a tag resolved to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    pub digest: String,
    pub media_type: Option<String>,
}

/// How one repository is authorized; computed once per repository and shared by all its lookups.
#[derive(Clone, Debug)]
enum RepoAuth {
    None,
    Header(Secret),
}

/// A result computed once and awaited by every concurrent caller: the single-flight cell of a ping, a
/// credential or a repository's authorization.
type Shared<T> = Arc<OnceCell<Result<T, ResolveError>>>;

/// The cell for `key`, created empty on first use.
fn shared<K: std::hash::Hash + Eq, T>(map: &Mutex<HashMap<K, Shared<T>>>, key: K) -> Shared<T> {
    let mut map = map.lock().expect("single-flight map poisoned");
    Arc::clone(map.entry(key).or_default())
}

pub struct Client {
    http: reqwest::Client,
    insecure: HashSet<String>,
    creds: Arc<dyn CredentialSource>,
    options: ClientOptions,
    pings: Mutex<HashMap<String, Shared<Option<Challenge>>>>,
    auths: Mutex<HashMap<(String, String), Shared<RepoAuth>>>,
    late_auths: Mutex<HashMap<(String, String), Shared<RepoAuth>>>,
    credentials: Mutex<HashMap<String, Shared<Option<Credential>>>>,
    pub stats: Stats,
}

/// The host requests for `registry` go to.
pub fn api_host(registry: &str) -> &str {
    if registry == "docker.io" {
        "registry-1.docker.io"
    } else {
        registry
    }
}

/// Redirects are followed (up to 5) while they keep TLS: a redirect to plain HTTP is refused unless its host
/// was named by `--insecure-registry`, so an HTTPS registry (or a proxy in front of it) cannot send a lookup,
/// and the digest it returns, over an unprotected connection. reqwest itself drops `Authorization` on a
/// redirect to another host, port or scheme.
fn redirect_policy(insecure: HashSet<String>) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= 5 {
            return attempt.error("more than 5 redirects");
        }
        let next = attempt.url();
        let host = authority(next.as_str());
        match next.scheme() {
            "https" => attempt.follow(),
            "http" if insecure.contains(&host) => attempt.follow(),
            _ => {
                let message = format!(
                    "refused a redirect to \"{}\", which is not HTTPS (pass --insecure-registry {} if that \
                     host is meant to be reached without TLS)",
                    escape(next.as_str()),
                    escape(&host)
                );
                attempt.error(message)
            }
        }
    })
}

impl Client {
    pub fn new(
        options: ClientOptions,
        creds: Arc<dyn CredentialSource>,
    ) -> Result<Client, ResolveError> {
        // A process-wide provider; installing twice is harmless (the second call reports the first).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("pin/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(options.timeout)
            .timeout(options.timeout)
            .pool_max_idle_per_host(64)
            .redirect(redirect_policy(options.insecure.iter().cloned().collect()));
        for path in &options.ca_files {
            let shown = path.display();
            let pem = std::fs::read(path)
                .map_err(|e| ResolveError::Config(format!("--ca-cert {shown}: {e}")))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| ResolveError::Config(format!("--ca-cert {shown}: {e}")))?;
            if certs.is_empty() {
                return Err(ResolveError::Config(format!(
                    "--ca-cert {shown}: no PEM certificate in the file"
                )));
            }
            builder = builder.tls_certs_merge(certs);
        }
        let http = builder.build().map_err(|e| {
            ResolveError::Config(format!(
                "cannot set up TLS (is every --ca-cert a valid certificate?): {}",
                chain(&e)
            ))
        })?;
        Ok(Client {
            http,
            insecure: options.insecure.iter().cloned().collect(),
            creds,
            options,
            pings: Mutex::default(),
            auths: Mutex::default(),
            late_auths: Mutex::default(),
            credentials: Mutex::default(),
            stats: Stats::default(),
        })
    }

    /// Whether `host` (`host[:port]`) was named by `--insecure-registry`.
    fn is_insecure(&self, host: &str) -> bool {
        self.insecure.contains(host)
    }

    fn base(&self, registry: &str) -> String {
        let host = api_host(registry);
        let scheme = if self.is_insecure(registry) || self.is_insecure(host) {
            "http"
        } else {
            "https"
        };
        format!("{scheme}://{host}")
    }

    /// The manifest digest that `key` names: what the tag points at, or with a platform, that platform's
    /// manifest inside the tag's index.
    pub async fn manifest_digest(&self, key: &Key) -> Result<Manifest, ResolveError> {
        let (registry, repository, tag) = (&key.registry, &key.repository, &key.tag);
        match (&key.platform, &key.current) {
            (_, Some(current)) => {
                self.updated_digest(registry, repository, tag, current)
                    .await
            }
            (None, None) => self.tag_digest(registry, repository, tag).await,
            (Some(p), None) => self.platform_digest(registry, repository, tag, p).await,
        }
    }

    /// For `pin update`: what `tag` points at now, of the same kind as `current` (an index stays an index; a
    /// platform's manifest stays that platform's manifest). One HEAD when nothing moved.
    async fn updated_digest(
        &self,
        registry: &str,
        repository: &str,
        tag: &str,
        current: &str,
    ) -> Result<Manifest, ResolveError> {
        let now = self.tag_digest(registry, repository, tag).await?;
        if now.digest == current || !now.media_type.as_deref().is_some_and(is_index) {
            return Ok(now);
        }
        // The tag is an index now. A pin of an index follows it: a HEAD of the pinned digest tells, and the
        // common case costs no GET (Docker Hub counts GETs).
        let not_found = |e| match e {
            ResolveError::NotFound(_) => ResolveError::NotFound(format!(
                "{registry} no longer has {repository}@{current}, so which platform it was for is \
                 unknown; pin it again with `pin --platform`"
            )),
            e => e,
        };
        let old = self
            .tag_digest(registry, repository, current)
            .await
            .map_err(not_found)?;
        if old.media_type.as_deref().is_some_and(is_index) {
            return Ok(now);
        }
        // A platform's manifest: the same platform's entry of the new index.
        let (_, index) = self.get_manifest(registry, repository, tag).await?;
        if let Some(entry) = index.manifests().iter().find(|d| d.digest == current) {
            // Still one of the tag's platform manifests: the pin is current.
            return Ok(Manifest {
                digest: current.to_string(),
                media_type: Some(entry.media_type.clone()),
            });
        }
        let (_, old_manifest) = self
            .get_manifest(registry, repository, current)
            .await
            .map_err(not_found)?;
        let Document::Image { config, .. } = old_manifest else {
            return Ok(now);
        };
        let config = self.get_blob(registry, repository, &config.digest).await?;
        let config: ImageConfig = serde_json::from_slice(&config).map_err(|e| {
            ResolveError::Registry(format!(
                "{registry} sent an image config for {repository}@{current} that is not one: {e}"
            ))
        })?;
        choose_platform(&index, &Platform::from(&config), registry, repository, tag)
    }

    /// GETs a blob (a config), checking its digest.
    async fn get_blob(
        &self,
        registry: &str,
        repository: &str,
        digest: &str,
    ) -> Result<Vec<u8>, ResolveError> {
        let cred = self.credential(registry).await?;
        let url = format!("{}/v2/{repository}/blobs/{digest}", self.base(registry));
        let get = self
            .send_repo(Method::GET, &url, registry, repository, &self.stats.get)
            .await?;
        check_status(&get, registry, repository, digest, cred.as_ref())?;
        let body = read_limited(get, registry).await?;
        if digest.starts_with("sha256:") && format!("sha256:{:x}", Sha256::digest(&body)) != digest
        {
            return Err(ResolveError::Registry(format!(
                "{registry} sent a blob for {repository}@{digest} with another digest"
            )));
        }
        Ok(body)
    }

    /// HEADs a manifest by tag or digest: its digest and media type.
    async fn tag_digest(
        &self,
        registry: &str,
        repository: &str,
        tag: &str,
    ) -> Result<Manifest, ResolveError> {
        let cred = self.credential(registry).await?;
        let url = format!("{}/v2/{repository}/manifests/{tag}", self.base(registry));
        let head = self
            .send_repo(Method::HEAD, &url, registry, repository, &self.stats.head)
            .await?;
        // A registry or proxy that does not allow HEAD gets the GET below instead.
        if head.status() == StatusCode::METHOD_NOT_ALLOWED {
            return Ok(self.get_manifest(registry, repository, tag).await?.0);
        }
        check_status(&head, registry, repository, tag, cred.as_ref())?;
        let media_type = header(head.headers(), CONTENT_TYPE.as_str());
        if let Some(digest) = header(head.headers(), "docker-content-digest") {
            let digest = validated(digest, registry)?;
            return Ok(Manifest { digest, media_type });
        }
        // The header is optional in the spec and some registries and proxies drop it: hash the exact body.
        let (manifest, _) = self.get_manifest(registry, repository, tag).await?;
        Ok(Manifest {
            media_type: manifest.media_type.or(media_type),
            ..manifest
        })
    }

    /// GETs a manifest; its digest is the sha256 of the exact bytes received, once they are known to be a
    /// whole manifest of the type the registry says they are (a truncated or foreign body is an error, never
    /// a pin).
    async fn get_manifest(
        &self,
        registry: &str,
        repository: &str,
        reference: &str,
    ) -> Result<(Manifest, Document), ResolveError> {
        let cred = self.credential(registry).await?;
        let url = format!(
            "{}/v2/{repository}/manifests/{reference}",
            self.base(registry)
        );
        let get = self
            .send_repo(Method::GET, &url, registry, repository, &self.stats.get)
            .await?;
        check_status(&get, registry, repository, reference, cred.as_ref())?;
        let claimed = header(get.headers(), "docker-content-digest");
        let media_type = header(get.headers(), CONTENT_TYPE.as_str());
        let body = read_limited(get, registry).await?;
        let document = manifest::parse(&body, media_type.as_deref()).map_err(|what| {
            ResolveError::Registry(format!(
                "{registry} sent {what} for {repository}:{reference}; nothing written"
            ))
        })?;
        let digest = format!("sha256:{:x}", Sha256::digest(&body));
        if let Some(claimed) = claimed {
            // The header may name another algorithm; then it is checked with that one.
            let computed = match claimed.split_once(':') {
                Some(("sha512", _)) => format!("sha512:{:x}", sha2::Sha512::digest(&body)),
                _ => digest.clone(),
            };
            if !is_valid_digest(&claimed) || claimed != computed {
                return Err(ResolveError::Registry(format!(
                    "{registry} sent Docker-Content-Digest \"{}\" for a manifest whose digest is {computed}",
                    escape(&claimed.chars().take(140).collect::<String>())
                )));
            }
        }
        let media_type = Some(document.media_type().to_string());
        Ok((Manifest { digest, media_type }, document))
    }

    /// The digest of `platform`'s manifest in the index `tag` points at. A tag that points at a single
    /// image is pinned as it is: there is no other manifest to choose.
    async fn platform_digest(
        &self,
        registry: &str,
        repository: &str,
        tag: &str,
        platform: &Platform,
    ) -> Result<Manifest, ResolveError> {
        let (manifest, doc) = self.get_manifest(registry, repository, tag).await?;
        if !matches!(doc, Document::Index { .. }) {
            return Ok(manifest);
        }
        choose_platform(&doc, platform, registry, repository, tag)
    }

    /// Ping once per registry, then authorize once per repository; concurrent callers wait for the first.
    async fn repo_auth(&self, registry: &str, repository: &str) -> Result<RepoAuth, ResolveError> {
        let cell = shared(&self.auths, (registry.to_string(), repository.to_string()));
        cell.get_or_init(|| async {
            let challenge = self.challenge(registry).await?;
            self.authorize(registry, repository, challenge).await
        })
        .await
        .clone()
    }

    /// How to answer `challenge` for one repository: nothing, Basic credentials, or a token.
    async fn authorize(
        &self,
        registry: &str,
        repository: &str,
        challenge: Option<Challenge>,
    ) -> Result<RepoAuth, ResolveError> {
        let cred = self.credential(registry).await?;
        match challenge {
            None => Ok(RepoAuth::None),
            Some(Challenge::Basic) => match cred {
                Some(c) => Ok(RepoAuth::Header(basic(&c))),
                None => Err(ResolveError::Unauthorized(format!(
                    "{registry} requires a login and no credentials were found for it"
                ))),
            },
            Some(Challenge::Bearer { realm, service }) => {
                self.token(
                    registry,
                    repository,
                    &realm,
                    service.as_deref(),
                    cred.as_ref(),
                )
                .await
            }
        }
    }

    /// Sends a request about `repository`, authorized as its ping said. Some registries answer the ping
    /// without a challenge and ask only per repository (a private repository on an otherwise open
    /// registry): a 401 with a challenge to an unauthorized request is answered once per repository, and
    /// the request sent again.
    async fn send_repo(
        &self,
        method: Method,
        url: &str,
        registry: &str,
        repository: &str,
        counter: &AtomicUsize,
    ) -> Result<reqwest::Response, ResolveError> {
        let late = shared(
            &self.late_auths,
            (registry.to_string(), repository.to_string()),
        );
        let auth = match late.get() {
            Some(done) => done.clone()?,
            None => self.repo_auth(registry, repository).await?,
        };
        let resp = self.send(method.clone(), url, &auth, counter).await?;
        if resp.status() != StatusCode::UNAUTHORIZED || !matches!(auth, RepoAuth::None) {
            return Ok(resp);
        }
        let Some(challenge) =
            header(resp.headers(), WWW_AUTHENTICATE.as_str()).and_then(|v| parse_challenge(&v))
        else {
            return Ok(resp);
        };
        let auth = late
            .get_or_init(|| self.authorize(registry, repository, Some(challenge)))
            .await
            .clone()?;
        self.send(method, url, &auth, counter).await
    }

    /// The credential for `registry`, looked up once (on the blocking pool: helpers are processes).
    async fn credential(&self, registry: &str) -> Result<Option<Credential>, ResolveError> {
        let cell = shared(&self.credentials, registry.to_string());
        cell.get_or_init(|| async {
            let creds = Arc::clone(&self.creds);
            let name = registry.to_string();
            tokio::task::spawn_blocking(move || creds.lookup(&name))
                .await
                .map_err(|e| ResolveError::Config(format!("credential lookup failed: {e}")))?
                .map_err(ResolveError::Config)
        })
        .await
        .clone()
    }

    async fn challenge(&self, registry: &str) -> Result<Option<Challenge>, ResolveError> {
        let cell = shared(&self.pings, registry.to_string());
        cell.get_or_init(|| async {
            let url = format!("{}/v2/", self.base(registry));
            let resp = self
                .send(Method::GET, &url, &RepoAuth::None, &self.stats.ping)
                .await?;
            match resp.status() {
                StatusCode::UNAUTHORIZED => {
                    let value = header(resp.headers(), WWW_AUTHENTICATE.as_str()).unwrap_or_default();
                    match parse_challenge(&value) {
                        Some(c) => Ok(Some(c)),
                        None => Err(ResolveError::Unauthorized(format!(
                            "{registry} asks for an authentication scheme pin does not support: \"{}\"",
                            escape(&value)
                        ))),
                    }
                }
                // Some registries answer the ping with 404 or 200 and need no auth; the manifest request will tell.
                _ => Ok(None),
            }
        })
        .await
        .clone()
    }

    async fn token(
        &self,
        registry: &str,
        repository: &str,
        realm: &str,
        service: Option<&str>,
        cred: Option<&Credential>,
    ) -> Result<RepoAuth, ResolveError> {
        let shown = escape(realm);
        let mut url = reqwest::Url::parse(realm).map_err(|e| {
            ResolveError::Registry(format!(
                "{registry} sent a bad token realm \"{shown}\": {e}"
            ))
        })?;
        match url.scheme() {
            "https" => {}
            // Credentials go over plain HTTP only to a host the user named as plain HTTP. An anonymous request
            // carries no secret; the token it gets is only ever sent to the registry, and the digest still comes
            // from the registry itself, so it stays allowed (as docker allows it).
            "http" if cred.is_some() && !self.is_insecure(&authority(url.as_str())) => {
                return Err(ResolveError::Unauthorized(format!(
                    "{registry} asks for its credentials to be sent to the plain-HTTP token service \"{shown}\"; \
                     refused (pass --insecure-registry {} if that host is meant to be reached without TLS)",
                    escape(&authority(url.as_str()))
                )));
            }
            "http" => {}
            other => {
                return Err(ResolveError::Registry(format!(
                    "{registry} sent a token realm \"{shown}\" with the unsupported scheme {}",
                    escape(other)
                )))
            }
        }
        {
            let mut q = url.query_pairs_mut();
            if let Some(s) = service {
                q.append_pair("service", s);
            }
            q.append_pair("scope", &format!("repository:{repository}:pull"));
        }
        let auth = cred.map_or(RepoAuth::None, |c| RepoAuth::Header(basic(c)));
        let resp = self
            .send(Method::GET, url.as_str(), &auth, &self.stats.token)
            .await?;
        let status = resp.status();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(ResolveError::Unauthorized(match cred {
                Some(c) => format!(
                    "the token service of {registry} refused the credentials for user {:?} from {}",
                    c.username, c.source
                ),
                None => format!(
                    "the token service of {registry} refused anonymous access to {repository}; log in first"
                ),
            }));
        }
        if !status.is_success() {
            return Err(ResolveError::Registry(format!(
                "the token service of {registry} answered {status}"
            )));
        }
        let bytes = read_limited(resp, registry).await?;
        let body: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
            ResolveError::Registry(format!("bad token response from {registry}: {e}"))
        })?;
        let token = body
            .get("token")
            .or_else(|| body.get("access_token"))
            .and_then(|t| t.as_str())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ResolveError::Registry(format!("the token response from {registry} holds no token"))
            })?;
        Ok(RepoAuth::Header(Secret(format!("Bearer {token}"))))
    }

    /// Sends one request, retrying 429, 5xx and transport failures with backoff that honours `Retry-After`.
    async fn send(
        &self,
        method: Method,
        url: &str,
        auth: &RepoAuth,
        counter: &AtomicUsize,
    ) -> Result<reqwest::Response, ResolveError> {
        let host = authority(url);
        let mut attempt = 0;
        loop {
            counter.fetch_add(1, Ordering::Relaxed);
            let mut req = self.http.request(method.clone(), url);
            if url.contains("/manifests/") {
                req = req.header(ACCEPT, MANIFEST_ACCEPT);
            }
            if let RepoAuth::Header(Secret(value)) = auth {
                req = req.header(AUTHORIZATION, value);
            }
            let outcome = req.send().await;
            if let Ok(resp) = &outcome {
                self.stats.note_rate_limit(&host, resp.headers());
            }
            let retry_after = match &outcome {
                Ok(resp) if is_transient(resp.status()) => Some(retry_after(resp.headers())),
                Ok(_) => None,
                // A refused redirect is a decision, not a fault: asking again gets the same answer.
                Err(e) if e.is_builder() || e.is_redirect() => None,
                Err(_) => Some(None),
            };
            match retry_after {
                Some(asked) if attempt < self.options.retries => {
                    self.stats.retries.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(self.backoff(attempt, asked)).await;
                    attempt += 1;
                }
                _ => {
                    return match outcome {
                        Ok(resp) if is_transient(resp.status()) => {
                            Err(ResolveError::Registry(format!(
                                "{host} answered {} {} times; giving up",
                                resp.status(),
                                attempt + 1
                            )))
                        }
                        Ok(resp) => Ok(resp),
                        Err(e) => Err(ResolveError::transport(&host, &e)),
                    }
                }
            }
        }
    }

    fn backoff(&self, attempt: u32, asked: Option<Duration>) -> Duration {
        let wait = asked.unwrap_or_else(|| {
            let base = Duration::from_millis(250) * 2u32.pow(attempt.min(8));
            // Jitter spreads retries of concurrent lookups; the clock's low bits are random enough here.
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            base + base.mul_f64(f64::from(nanos % 1000) / 1000.0)
        });
        wait.min(self.options.max_wait)
    }
}

fn basic(c: &Credential) -> Secret {
    use base64_encode as b64;
    Secret(format!(
        "Basic {}",
        b64(format!("{}:{}", c.username, c.password.0).as_bytes())
    ))
}

/// Standard base64 with padding; a dozen lines do not justify a dependency.
fn base64_encode(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The entry of `index` for `platform`, or an error naming the platforms it has.
fn choose_platform(
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

/// The most `pin` reads of one response body. Registries refuse manifests over 4 MiB; configs and token
/// answers are smaller still. A larger body is an error, not a memory bill.
const MAX_BODY: usize = 4 << 20;

async fn read_limited(
    mut resp: reqwest::Response,
    registry: &str,
) -> Result<Vec<u8>, ResolveError> {
    let too_big = || {
        ResolveError::Registry(format!(
            "{registry} sent a response larger than {} MiB",
            MAX_BODY >> 20
        ))
    };
    if resp.content_length().is_some_and(|n| n > MAX_BODY as u64) {
        return Err(too_big());
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| ResolveError::transport(registry, &e))?
    {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(too_big());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `host[:port]` of `url`, as messages name it: `127.0.0.1:5000` and `127.0.0.1:5001` are different
/// registries, so the port stays unless it is the scheme's default.
fn authority(url: &str) -> String {
    let Ok(u) = reqwest::Url::parse(url) else {
        return String::new();
    };
    match (u.host_str(), u.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_string(),
        (None, _) => String::new(),
    }
}

fn is_transient(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

/// `Retry-After` in seconds (the HTTP-date form is treated as absent: backoff applies).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    header(headers, RETRY_AFTER.as_str())?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string())
}

fn validated(digest: String, registry: &str) -> Result<String, ResolveError> {
    if is_valid_digest(&digest) {
        Ok(digest)
    } else {
        Err(ResolveError::Registry(format!(
            "{registry} sent a malformed digest \"{}\"; nothing written",
            escape(&digest.chars().take(100).collect::<String>())
        )))
    }
}

fn check_status(
    resp: &reqwest::Response,
    registry: &str,
    repository: &str,
    tag: &str,
    cred: Option<&Credential>,
) -> Result<(), ResolveError> {
    let status = resp.status();
    if status.is_success() {
        return Ok(());
    }
    Err(match status {
        StatusCode::NOT_FOUND => {
            ResolveError::NotFound(format!("{registry} has no manifest for {repository}:{tag}"))
        }
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            let who = match cred {
                Some(c) => format!("with the credentials of {:?} from {}", c.username, c.source),
                None => "anonymously (no credentials found)".to_string(),
            };
            ResolveError::Unauthorized(format!(
                "{registry} refused access to {repository} ({status}) {who}"
            ))
        }
        _ => ResolveError::Registry(format!(
            "{registry} answered {status} for {repository}:{tag}"
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("tester:s3cret", "dGVzdGVyOnMzY3JldA=="),
        ] {
            assert_eq!(base64_encode(i.as_bytes()), o);
        }
    }

    #[test]
    fn docker_hub_goes_to_registry_1() {
        assert_eq!(api_host("docker.io"), "registry-1.docker.io");
        assert_eq!(api_host("ghcr.io"), "ghcr.io");
    }

    #[test]
    fn messages_name_the_host_with_its_port() {
        assert_eq!(authority("http://127.0.0.1:5000/v2/"), "127.0.0.1:5000");
        assert_eq!(authority("https://ghcr.io/v2/"), "ghcr.io");
        assert_eq!(authority("https://ghcr.io:443/v2/"), "ghcr.io");
        assert_eq!(authority("http://[::1]:5000/v2/"), "[::1]:5000");
    }

    #[test]
    fn manifest_digests_are_validated() {
        assert!(validated(format!("sha256:{}", "a".repeat(64)), "r").is_ok());
        for bad in [
            "sha256:ABC".to_string(),
            format!("sha256:{}", "A".repeat(64)),
            format!("md5:{}", "a".repeat(32)),
            "".to_string(),
            format!("sha256:{}\n", "a".repeat(64)),
        ] {
            assert!(validated(bad.clone(), "r").is_err(), "{bad:?}");
        }
    }
}
