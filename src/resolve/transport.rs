//! HTTP to registries: one shared connection pool, TLS trust, which hosts are plain HTTP, redirects that keep
//! TLS, retries with backoff that honours `Retry-After`, bounded bodies, and the request counts `-v` prints.
//!
//! Nothing here knows about manifests or tokens: [`Transport::send`] sends one request (and its retries) with
//! whatever `Authorization` the caller chose.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{HeaderMap, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Method, StatusCode};

use super::auth::Secret;
use super::{chain, escape, ResolveError};

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
    /// The HTTP version each host answered with (HTTP/2 where the registry offers it over TLS).
    pub protocols: Mutex<std::collections::BTreeMap<String, reqwest::Version>>,
    /// Hosts that answered 429 or 503: the lowest number of requests at once they were cut to.
    pub backed_off: Mutex<std::collections::BTreeMap<String, usize>>,
    /// Hosts whose `ratelimit-remaining` ran low: what they said, the run slowed down for them.
    pub low_quota: Mutex<std::collections::BTreeMap<String, String>>,
}

/// A quota at or below this share of its limit (or this many requests, when the limit is not given) is low:
/// requests to its host go one at a time, spaced, before the quota reaches 0.
const LOW_QUOTA_SHARE: u64 = 10;
const LOW_QUOTA_FLOOR: u64 = 10;
/// The pause before each request to a host whose quota is low.
const LOW_QUOTA_SPACING: Duration = Duration::from_millis(250);

/// `100;w=21600` → `(100, Some(21600))`: the count and the window in seconds of a `ratelimit-*` value.
fn quota(value: &str) -> Option<(u64, Option<u64>)> {
    let mut parts = value.split(';');
    let count = parts.next()?.trim().parse().ok()?;
    let window = parts
        .filter_map(|p| p.trim().strip_prefix("w="))
        .find_map(|w| w.trim().parse().ok());
    Some((count, window))
}

/// Whether a quota is low: `remaining` at or below a tenth of `limit` (or 10 without one).
fn quota_is_low(remaining: &str, limit: Option<&str>) -> bool {
    let Some((left, _)) = quota(remaining) else {
        return false;
    };
    let floor = limit
        .and_then(quota)
        .map_or(LOW_QUOTA_FLOOR, |(l, _)| (l / LOW_QUOTA_SHARE).max(1));
    left <= floor
}

/// What a 429 says about the limit: `the limit is 100 requests per 6h (ratelimit-limit: 100;w=21600); it
/// resets in 120s (Retry-After)`, from the headers that are there.
fn rate_limit_detail(headers: &HeaderMap) -> String {
    let mut parts = Vec::new();
    if let Some(limit) = header(headers, "ratelimit-limit") {
        match quota(&limit) {
            Some((n, Some(w))) => parts.push(format!(
                "the limit is {n} requests per {} (ratelimit-limit: {})",
                crate::settings::human_duration(w),
                escape(&limit)
            )),
            _ => parts.push(format!("ratelimit-limit: {}", escape(&limit))),
        }
    }
    if let Some(remaining) = header(headers, "ratelimit-remaining") {
        parts.push(format!("ratelimit-remaining: {}", escape(&remaining)));
    }
    match (
        retry_after(headers),
        header(headers, "ratelimit-reset").and_then(|r| r.parse::<u64>().ok()),
    ) {
        (Some(after), _) => parts.push(format!(
            "it resets in {} (Retry-After)",
            crate::settings::human_duration(after.as_secs())
        )),
        (None, Some(reset)) => parts.push(format!(
            "it resets in {} (ratelimit-reset)",
            crate::settings::human_duration(reset)
        )),
        (None, None) => {
            if let Some((_, Some(w))) = header(headers, "ratelimit-limit")
                .as_deref()
                .and_then(quota)
            {
                parts.push(format!(
                    "the registry gave no reset time; the window is {}",
                    crate::settings::human_duration(w)
                ));
            } else {
                parts.push("the registry gave no reset time".to_string());
            }
        }
    }
    parts.join("; ")
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
            s.push_str(&format!(
                "; {host} ratelimit-remaining: {}",
                escape(remaining)
            ));
        }
        for (host, version) in self.protocols.lock().expect("protocol map poisoned").iter() {
            s.push_str(&format!("; {host} {version:?}"));
        }
        for (host, lowest) in self.backed_off.lock().expect("backoff map poisoned").iter() {
            s.push_str(&format!("; {host} backed off to {lowest} at once"));
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
    /// `host[:port]` names (as written after normalization, e.g. `127.0.0.1:5000`) the user named as plain
    /// HTTP (`--insecure-registry`, registries.conf): reached over plain HTTP, and credentials may go there.
    pub insecure: Vec<String>,
    /// Hosts only a configuration file (`pin.toml`, which a repository controls) names as plain HTTP:
    /// reached over plain HTTP, but never sent a credential (it would travel in clear to whoever answers).
    pub insecure_by_config: Vec<String>,
    /// Per-request timeout (from sending to the whole response).
    pub timeout: Duration,
    /// How long to wait for a connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// Retries after a 429, a 5xx or a dropped connection (so `retries + 1` attempts in all).
    pub retries: u32,
    /// Upper bound for one wait, whatever `Retry-After` asks.
    pub max_wait: Duration,
    /// PEM files of extra trusted roots (`--ca-cert`), added to the system trust store.
    pub ca_files: Vec<PathBuf>,
    /// The most requests in flight to one host; the number in use adapts below it (see [`Limit`]).
    pub max_per_host: usize,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            insecure: Vec::new(),
            insecure_by_config: Vec::new(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            retries: 3,
            max_wait: Duration::from_secs(30),
            ca_files: Vec::new(),
            max_per_host: 64,
        }
    }
}

/// The `Authorization` a request carries.
#[derive(Clone, Debug)]
pub enum Authorization {
    None,
    Header(Secret),
}

/// One request to send: `accept` is the `Accept` header, if any; `form` an
/// `application/x-www-form-urlencoded` body (for a token request by POST); `body` another body with its
/// `Content-Type` (a git protocol request); `headers` any other headers (`Git-Protocol`).
pub struct Request<'a> {
    pub method: Method,
    pub url: &'a str,
    pub accept: Option<&'a str>,
    pub form: Option<&'a Secret>,
    pub body: Option<(&'a str, &'a [u8])>,
    pub headers: &'a [(&'a str, &'a str)],
}

impl<'a> Request<'a> {
    pub fn new(method: Method, url: &'a str) -> Request<'a> {
        Request {
            method,
            url,
            accept: None,
            form: None,
            body: None,
            headers: &[],
        }
    }
}

/// The host requests for `registry` go to.
pub fn api_host(registry: &str) -> &str {
    if registry == "docker.io" {
        "registry-1.docker.io"
    } else {
        registry
    }
}

pub struct Transport {
    http: reqwest::Client,
    /// Every host reached over plain HTTP.
    insecure: HashSet<String>,
    /// Of those, the ones the user named (credentials may go there).
    credentials_in_clear: HashSet<String>,
    options: ClientOptions,
    /// Hosts found unreachable (see [`ResolveError::Unreachable`]), and why: later requests to them fail at
    /// once with the same error instead of trying again.
    down: Mutex<HashMap<String, ResolveError>>,
    limits: Mutex<HashMap<String, Arc<Limit>>>,
    pub stats: Stats,
}

/// The requests in flight to one host start at this many and grow (or shrink) from there.
const INITIAL_PER_HOST: usize = 16;

/// How many requests one host gets at once, adapted as TCP adapts its window (slow start, then additive
/// increase, multiplicative decrease): until the host first refuses, every answer that is not a 429 or 503
/// raises the limit by one (it doubles each round of answers: at 50 ms a round, 16 reach 64 in two rounds,
/// not 48); after the first refusal, by `1/limit` (about one per round of answers), up to the maximum; a 429
/// or 503 halves it (once per round: the refusals of requests sent before the last cut do not cut again),
/// down to 1. Until the first refusal there are no refusals, so slow start adds none. So a registry that can take more gets
/// more without `-j` tuning, and one that limits concurrency is not hammered.
pub struct Limit {
    permits: tokio::sync::Semaphore,
    state: Mutex<LimitState>,
    max: usize,
}

struct LimitState {
    /// The limit, fractional so that additive increase can be gradual.
    limit: f64,
    /// Permits to take out of circulation (after a cut) as requests finish.
    debt: usize,
    /// Counts cuts; a request remembers the epoch it started in.
    epoch: u64,
    /// The lowest limit reached, for `-v`.
    lowest: usize,
    /// No 429 or 503 yet: the limit grows by one per answer, not by `1/limit`.
    slow_start: bool,
}

/// A request's place in its host's [`Limit`].
pub struct Slot<'a> {
    permit: Option<tokio::sync::SemaphorePermit<'a>>,
    epoch: u64,
}

impl Limit {
    fn new(max: usize) -> Limit {
        let start = INITIAL_PER_HOST.min(max).max(1);
        Limit {
            permits: tokio::sync::Semaphore::new(start),
            state: Mutex::new(LimitState {
                limit: start as f64,
                debt: 0,
                epoch: 0,
                lowest: start,
                slow_start: true,
            }),
            max: max.max(1),
        }
    }

    async fn acquire(&self) -> Slot<'_> {
        let permit = self
            .permits
            .acquire()
            .await
            .expect("the semaphore is never closed");
        let epoch = self.state.lock().expect("limit poisoned").epoch;
        Slot {
            permit: Some(permit),
            epoch,
        }
    }

    /// Ends a request: `overloaded` for a 429 or 503.
    fn release(&self, mut slot: Slot<'_>, overloaded: bool) {
        let mut st = self.state.lock().expect("limit poisoned");
        let before = st.limit.floor() as usize;
        if overloaded {
            st.slow_start = false;
            if slot.epoch == st.epoch {
                st.limit = (st.limit / 2.0).max(1.0);
                st.epoch += 1;
                st.debt += before - (st.limit.floor() as usize);
                st.lowest = st.lowest.min(st.limit.floor() as usize);
            }
        } else if st.limit < self.max as f64 {
            let step = if st.slow_start { 1.0 } else { 1.0 / st.limit };
            st.limit = (st.limit + step).min(self.max as f64);
            let after = st.limit.floor() as usize;
            // Growth pays off a debt first: those permits are still out there.
            for _ in before..after {
                if st.debt > 0 {
                    st.debt -= 1;
                } else {
                    self.permits.add_permits(1);
                }
            }
        }
        if st.debt > 0 {
            st.debt -= 1;
            if let Some(p) = slot.permit.take() {
                p.forget();
            }
        }
    }

    /// The current limit (whole requests) and the lowest it was.
    pub fn current(&self) -> (usize, usize) {
        let st = self.state.lock().expect("limit poisoned");
        (st.limit.floor() as usize, st.lowest)
    }
}

/// An `--insecure-registry` value as a `host[:port]`: `http://host:5000` (or with a final `/`) means the
/// same, since plain HTTP is what the flag asks for; anything else with a scheme or a path is an error that
/// shows the spelling.
pub fn insecure_host(value: &str) -> Result<String, ResolveError> {
    let v = value.trim();
    let bad = |why: &str| {
        ResolveError::Config(format!(
            "--insecure-registry {}: {why}; give HOST[:PORT], e.g. --insecure-registry registry.local:5000",
            escape(v)
        ))
    };
    if v.starts_with("https://") {
        return Err(bad(
            "an insecure registry is reached over plain HTTP, not HTTPS (for a private CA use --ca-cert)",
        ));
    }
    let rest = v.strip_prefix("http://").unwrap_or(v);
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() || rest.contains("://") {
        return Err(bad("not a host"));
    }
    if rest.contains('/') {
        return Err(bad("a registry host has no path"));
    }
    if rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("not a host"));
    }
    Ok(rest.to_string())
}

/// A host name the system could not resolve: the error of [`SystemNames`], so that a failed lookup is
/// known by its type wherever it ends up in an error's causes.
#[derive(Debug, thiserror::Error)]
#[error("cannot resolve {host}: {source}")]
pub struct NotResolved {
    pub host: String,
    #[source]
    pub source: std::io::Error,
}

/// Host names resolved by the system (`getaddrinfo` on a blocking thread, as reqwest does by default), its
/// failures a [`NotResolved`].
#[derive(Debug, Default)]
pub struct SystemNames;

impl reqwest::dns::Resolve for SystemNames {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map(|addrs| addrs.collect::<Vec<_>>());
            match found {
                Ok(addrs) => Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs),
                Err(source) => Err(Box::new(NotResolved { host, source }) as _),
            }
        })
    }
}

impl Transport {
    pub fn new(options: ClientOptions) -> Result<Transport, ResolveError> {
        // A process-wide provider; installing twice is harmless (the second call reports the first).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let credentials_in_clear: HashSet<String> = options
            .insecure
            .iter()
            .map(|h| insecure_host(h))
            .collect::<Result<_, _>>()?;
        let mut insecure = credentials_in_clear.clone();
        for h in &options.insecure_by_config {
            insecure.insert(insecure_host(h)?);
        }
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("pin/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(options.connect_timeout)
            .timeout(options.timeout)
            .pool_max_idle_per_host(64)
            .dns_resolver(SystemNames)
            .redirect(redirect_policy(insecure.clone()));
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
        Ok(Transport {
            http,
            insecure,
            credentials_in_clear,
            options,
            down: Mutex::default(),
            limits: Mutex::default(),
            stats: Stats::default(),
        })
    }

    /// Whether `host` (`host[:port]`) is reached over plain HTTP (`--insecure-registry`, registries.conf,
    /// or a configuration file).
    pub fn is_insecure(&self, host: &str) -> bool {
        self.insecure.contains(host)
    }

    /// Whether credentials may be sent to `host` over plain HTTP: only when the user named it so
    /// (`--insecure-registry`, registries.conf), never because a configuration file did.
    pub fn credentials_in_clear(&self, host: &str) -> bool {
        self.credentials_in_clear.contains(host)
    }

    /// Whether `registry`'s credentials are withheld: it is reached over plain HTTP only because a
    /// configuration file says so.
    pub fn withholds_credentials(&self, registry: &str) -> bool {
        let host = api_host(registry);
        (self.is_insecure(registry) || self.is_insecure(host))
            && !(self.credentials_in_clear(registry) || self.credentials_in_clear(host))
    }

    /// `scheme://host` of `registry`'s API.
    pub fn base(&self, registry: &str) -> String {
        let host = api_host(registry);
        let scheme = if self.is_insecure(registry) || self.is_insecure(host) {
            "http"
        } else {
            "https"
        };
        format!("{scheme}://{host}")
    }

    /// Sends one request, retrying 429, 5xx and dropped connections with backoff that honours
    /// `Retry-After`. `counter` counts every attempt. A host that does not resolve, refuses, does not answer
    /// or is not trusted is not asked again, by this request or any later one.
    pub async fn send(
        &self,
        request: &Request<'_>,
        auth: &Authorization,
        counter: &AtomicUsize,
    ) -> Result<reqwest::Response, ResolveError> {
        let host = authority(request.url);
        if let Some(e) = self.down.lock().expect("down map poisoned").get(&host) {
            return Err(e.clone());
        }
        let limit = self.limit(&host);
        let mut attempt = 0;
        loop {
            let slot = limit.acquire().await;
            let low = self
                .stats
                .low_quota
                .lock()
                .expect("quota map poisoned")
                .contains_key(&host);
            if low {
                tokio::time::sleep(LOW_QUOTA_SPACING).await;
            }
            counter.fetch_add(1, Ordering::Relaxed);
            let mut req = self.http.request(request.method.clone(), request.url);
            if let Some(accept) = request.accept {
                req = req.header(ACCEPT, accept);
            }
            if let Authorization::Header(Secret(value)) = auth {
                req = req.header(AUTHORIZATION, value);
            }
            if let Some(Secret(body)) = request.form {
                req = req
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(body.clone());
            }
            if let Some((content_type, body)) = request.body {
                req = req.header(CONTENT_TYPE, content_type).body(body.to_vec());
            }
            for (name, value) in request.headers {
                req = req.header(*name, *value);
            }
            let outcome = req.send().await;
            let overloaded = outcome.as_ref().is_ok_and(|r| {
                matches!(
                    r.status(),
                    StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
                )
            });
            // A quota running low is taken as a refusal to come: fewer requests at once, each spaced.
            let running_low = outcome.as_ref().ok().and_then(|r| {
                let remaining = header(r.headers(), "ratelimit-remaining")?;
                quota_is_low(
                    &remaining,
                    header(r.headers(), "ratelimit-limit").as_deref(),
                )
                .then_some(remaining)
            });
            if let Some(remaining) = &running_low {
                self.stats
                    .low_quota
                    .lock()
                    .expect("quota map poisoned")
                    .entry(host.clone())
                    .or_insert_with(|| remaining.clone());
            }
            limit.release(slot, overloaded || running_low.is_some());
            if overloaded {
                let lowest = limit.current().1;
                self.stats
                    .backed_off
                    .lock()
                    .expect("backoff map poisoned")
                    .insert(host.clone(), lowest);
            }
            if let Ok(resp) = &outcome {
                self.stats.note_rate_limit(&host, resp.headers());
                self.stats
                    .protocols
                    .lock()
                    .expect("protocol map poisoned")
                    .insert(host.clone(), resp.version());
            }
            let retry_after = match &outcome {
                Ok(resp) if is_transient(resp.status()) => Some(retry_after(resp.headers())),
                Ok(_) => None,
                // A refused redirect is a decision, not a fault: asking again gets the same answer.
                Err(e) if e.is_builder() || e.is_redirect() => None,
                Err(e) if !super::Failure::of(e).retry() => None,
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
                        Ok(resp) if resp.status() == StatusCode::TOO_MANY_REQUESTS => {
                            Err(ResolveError::Registry(format!(
                                "{host} answered {} {} times (its rate limit): {}; giving up",
                                resp.status(),
                                attempt + 1,
                                rate_limit_detail(resp.headers())
                            )))
                        }
                        Ok(resp) if is_transient(resp.status()) => {
                            Err(ResolveError::Registry(format!(
                                "{host} answered {} {} times; giving up",
                                resp.status(),
                                attempt + 1
                            )))
                        }
                        Ok(resp) => Ok(resp),
                        Err(e) => {
                            let error = ResolveError::transport(&host, &e, self.timeouts());
                            if matches!(error, ResolveError::Unreachable { .. }) {
                                self.down
                                    .lock()
                                    .expect("down map poisoned")
                                    .insert(host, error.clone());
                            }
                            Err(error)
                        }
                    }
                }
            }
        }
    }

    /// The adaptive limit of `host`, created on first use.
    fn limit(&self, host: &str) -> Arc<Limit> {
        let mut limits = self.limits.lock().expect("limit map poisoned");
        Arc::clone(
            limits
                .entry(host.to_string())
                .or_insert_with(|| Arc::new(Limit::new(self.options.max_per_host))),
        )
    }

    fn timeouts(&self) -> (Duration, Duration) {
        (self.options.connect_timeout, self.options.timeout)
    }

    /// The whole body of `resp`, refused past [`MAX_BODY`].
    pub async fn read_body(
        &self,
        resp: reqwest::Response,
        registry: &str,
    ) -> Result<Vec<u8>, ResolveError> {
        self.read_body_within(resp, registry, MAX_BODY).await
    }

    /// The whole body of `resp`, refused past `limit` bytes.
    pub async fn read_body_within(
        &self,
        mut resp: reqwest::Response,
        registry: &str,
        limit: usize,
    ) -> Result<Vec<u8>, ResolveError> {
        let too_big = || {
            ResolveError::Registry(format!(
                "{registry} sent a response larger than {} MiB",
                limit >> 20
            ))
        };
        if resp.content_length().is_some_and(|n| n > limit as u64) {
            return Err(too_big());
        }
        let mut body = Vec::new();
        while let Some(chunk) = self.next_chunk(&mut resp, registry).await? {
            if body.len() + chunk.len() > limit {
                return Err(too_big());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// The next piece of `resp`'s body, for a reader that stops as soon as it knows enough.
    pub async fn next_chunk(
        &self,
        resp: &mut reqwest::Response,
        host: &str,
    ) -> Result<Option<Vec<u8>>, ResolveError> {
        let chunk = resp
            .chunk()
            .await
            .map_err(|e| ResolveError::transport(host, &e, self.timeouts()))?;
        Ok(chunk.map(|c| c.to_vec()))
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

/// The most `pin` reads of one response body. Registries refuse manifests over 4 MiB; configs and token
/// answers are smaller still. A larger body is an error, not a memory bill.
const MAX_BODY: usize = 4 << 20;

/// `host[:port]` of `url`, as messages name it: `127.0.0.1:5000` and `127.0.0.1:5001` are different
/// registries, so the port stays unless it is the scheme's default.
pub fn authority(url: &str) -> String {
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

/// A header's value, trimmed; `None` when absent or not visible ASCII.
pub fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_doubles_until_refused_then_grows_additively_and_halves_once_per_round() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            let limit = Limit::new(64);
            assert_eq!(limit.current(), (16, 16));
            // Slow start: a round of 16 answers, one more request each: 32 at once.
            for _ in 0..16 {
                let slot = limit.acquire().await;
                limit.release(slot, false);
            }
            assert_eq!(limit.current().0, 32);
            assert_eq!(limit.permits.available_permits(), 32);
            // 32 requests in flight, all refused: one cut, not 32, and slow start is over.
            let mut slots = Vec::new();
            for _ in 0..32 {
                slots.push(limit.acquire().await);
            }
            for slot in slots {
                limit.release(slot, true);
            }
            assert_eq!(limit.current(), (16, 16));
            assert_eq!(limit.permits.available_permits(), 16);
            // Additive now: a round of answers (1/16 + 1/16.06 + …, 17 of them pass 17): one more at once.
            for _ in 0..17 {
                let slot = limit.acquire().await;
                limit.release(slot, false);
            }
            assert_eq!(limit.current().0, 17);
            assert_eq!(limit.permits.available_permits(), 17);
            let mut slots = Vec::new();
            for _ in 0..17 {
                slots.push(limit.acquire().await);
            }
            for slot in slots {
                limit.release(slot, true);
            }
            assert_eq!(limit.current(), (8, 8));
            assert_eq!(limit.permits.available_permits(), 8);
            // Never below one; never above the maximum.
            for _ in 0..10 {
                let slot = limit.acquire().await;
                limit.release(slot, true);
            }
            assert_eq!(limit.current(), (1, 1));
            assert_eq!(limit.permits.available_permits(), 1);
            let small = Limit::new(2);
            for _ in 0..100 {
                let slot = small.acquire().await;
                small.release(slot, false);
            }
            assert_eq!(small.current().0, 2);
            assert_eq!(small.permits.available_permits(), 2);
        });
    }

    #[test]
    fn insecure_hosts_are_spelled_host_port() {
        for (given, host) in [
            ("registry.local:5000", "registry.local:5000"),
            ("http://registry.local:5000", "registry.local:5000"),
            ("http://127.0.0.1:5000/", "127.0.0.1:5000"),
            ("[::1]:5000", "[::1]:5000"),
        ] {
            assert_eq!(insecure_host(given).unwrap(), host);
        }
        for (given, why) in [
            ("https://registry.local", "not HTTPS"),
            ("http://registry.local:5000/v2/", "no path"),
            ("registry.local/team", "no path"),
            ("", "not a host"),
            ("ftp://x", "not a host"),
        ] {
            let e = insecure_host(given).unwrap_err().to_string();
            assert!(
                e.contains(why) && e.contains("give HOST[:PORT]"),
                "{given}: {e}"
            );
        }
    }

    #[test]
    fn quotas_are_low_below_a_tenth_of_their_limit() {
        assert_eq!(quota("100;w=21600"), Some((100, Some(21600))));
        assert_eq!(quota("7"), Some((7, None)));
        assert_eq!(quota("x;w=1"), None);
        assert!(!quota_is_low("11;w=21600", Some("100;w=21600")));
        assert!(quota_is_low("10;w=21600", Some("100;w=21600")));
        assert!(quota_is_low("0", None));
        assert!(!quota_is_low("11", None));
        assert!(
            quota_is_low("1;w=60", Some("5;w=60")),
            "a tenth rounds up to 1"
        );
        assert!(!quota_is_low("garbage", None));
    }

    #[test]
    fn a_429_names_the_limit_and_the_reset() {
        let mut h = HeaderMap::new();
        h.insert("ratelimit-limit", "100;w=21600".parse().unwrap());
        h.insert("ratelimit-remaining", "0;w=21600".parse().unwrap());
        assert_eq!(
            rate_limit_detail(&h),
            "the limit is 100 requests per 6h (ratelimit-limit: 100;w=21600); ratelimit-remaining: \
             0;w=21600; the registry gave no reset time; the window is 6h"
        );
        h.insert(RETRY_AFTER, "120".parse().unwrap());
        assert!(
            rate_limit_detail(&h).ends_with("it resets in 2m (Retry-After)"),
            "{}",
            rate_limit_detail(&h)
        );
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
}
