//! Authorization per repository: one `/v2/` ping per registry, one credential lookup per registry, at most one
//! token request per repository, shared by every concurrent lookup (single flight).
//!
//! [`Authorizer::send_repo`] is how the distribution calls reach a repository: it adds the repository's
//! authorization, and answers a challenge that only the repository (not the ping) asks for.

use std::collections::HashMap;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::header::WWW_AUTHENTICATE;
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use tokio::sync::OnceCell;

use super::auth::{
    parse_challenge, Challenge, Credential, CredentialKind, CredentialSource, Secret,
};
use super::transport::{authority, header, Authorization, Request, Transport};
use super::{escape, Asker, Denial, Fault, ResolveError};

/// A result computed once and awaited by every concurrent caller: the single-flight cell of a ping or a
/// credential.
pub(super) type Shared<T> = Arc<OnceCell<Result<T, ResolveError>>>;

/// The cell for `key`, created empty on first use.
pub(super) fn shared<K: std::hash::Hash + Eq, T>(
    map: &Mutex<HashMap<K, Shared<T>>>,
    key: K,
) -> Shared<T> {
    let mut map = map.lock().expect("single-flight map poisoned");
    Arc::clone(map.entry(key).or_default())
}

/// `(registry, repository)`.
type RepoKey = (String, String);

/// How requests about one repository are authorized now.
#[derive(Clone, Debug)]
struct Grant {
    auth: Authorization,
    /// When a token stops being usable (its lifetime, less a margin); `None` for what does not expire.
    expires: Option<Instant>,
    /// A token from a token service: a 401 to it is answered by asking for a new one, once.
    renewable: bool,
    /// Counts authorizations of this repository, so that concurrent requests refused with the same grant
    /// renew it once between them.
    generation: u64,
}

impl Grant {
    fn expired(&self) -> bool {
        self.expires.is_some_and(|e| Instant::now() >= e)
    }
}

/// One repository's authorization: the challenge to answer (from the ping, or from the repository's own
/// 401) and the current grant, or the error that getting it met (remembered, so that a refusal costs one
/// token request, not one per lookup).
struct RepoState {
    challenge: Option<Challenge>,
    grant: Result<Grant, ResolveError>,
}

/// A repository's state behind an async lock: whoever holds it authorizes, the others wait (single flight).
type Slot = Arc<tokio::sync::Mutex<Option<RepoState>>>;

pub struct Authorizer {
    transport: Transport,
    creds: Arc<dyn CredentialSource>,
    pings: Mutex<HashMap<String, Shared<Option<Challenge>>>>,
    repos: Mutex<HashMap<RepoKey, Slot>>,
    credentials: Mutex<HashMap<String, Shared<Option<Credential>>>>,
}

/// A token service's answer (the distribution token spec; `access_token` is the OAuth2 spelling).
#[derive(Deserialize)]
struct TokenResponse {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    expires_in: Option<i64>,
    #[serde(default)]
    issued_at: Option<String>,
}

/// A token's lifetime when the answer does not say (the token spec's default).
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(60);

impl TokenResponse {
    /// When the token should no longer be used: `issued_at + expires_in` by the service's clock, taken
    /// relative to ours (never later than `now + expires_in`), less a tenth of the lifetime (at most 10 s)
    /// so that a request does not arrive just after the expiry.
    fn expires(&self) -> Instant {
        let lifetime = self
            .expires_in
            .filter(|s| *s > 0)
            .map_or(DEFAULT_TOKEN_LIFETIME, |s| {
                Duration::from_secs(s.unsigned_abs())
            });
        let age = self
            .issued_at
            .as_deref()
            .and_then(crate::resolve::seen::unix_seconds)
            .and_then(|issued| {
                let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
                Some(Duration::from_secs(now.saturating_sub(issued)))
            })
            .unwrap_or_default()
            .min(lifetime);
        let margin = (lifetime / 10).min(Duration::from_secs(10));
        Instant::now() + (lifetime - age).saturating_sub(margin)
    }
}

/// Why a request went without a credential.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Anonymous {
    /// A configuration file made the registry plain HTTP: credentials are never sent there.
    Withheld,
    /// None is configured for the registry.
    NoneFound,
    /// One may be, but could not be had (a credential helper that is not installed): what to do about it.
    Because(String),
}

impl Authorizer {
    pub fn new(transport: Transport, creds: Arc<dyn CredentialSource>) -> Authorizer {
        Authorizer {
            transport,
            creds,
            pings: Mutex::default(),
            repos: Mutex::default(),
            credentials: Mutex::default(),
        }
    }

    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// Sends a request about `repository`, authorized as its registry asks. Two 401s are answered, once
    /// each per request: one to a request sent without authorization, whose challenge says how to
    /// authorize (some registries challenge only per repository, not on the ping); and one to a request
    /// sent with a token, which gets a new token (an expired or revoked one). Concurrent requests refused
    /// alike share one new token.
    pub async fn send_repo(
        &self,
        request: &Request<'_>,
        registry: &str,
        repository: &str,
        counter: &AtomicUsize,
    ) -> Result<reqwest::Response, ResolveError> {
        let slot = self.slot(registry, repository);
        let grant = self.current(&slot, registry, repository).await?;
        let resp = self.transport.send(request, &grant.auth, counter).await?;
        if resp.status() != StatusCode::UNAUTHORIZED {
            return Ok(resp);
        }
        let challenge =
            header(resp.headers(), WWW_AUTHENTICATE.as_str()).and_then(|v| parse_challenge(&v));
        let again = match grant.auth {
            Authorization::None => challenge.is_some(),
            Authorization::Header(_) => grant.renewable,
        };
        if !again {
            return Ok(resp);
        }
        let grant = self
            .renew(&slot, registry, repository, grant.generation, challenge)
            .await?;
        self.transport.send(request, &grant.auth, counter).await
    }

    /// Why a request to `registry` without a credential went without one, for the message of a refusal.
    pub fn anonymous(&self, registry: &str) -> Anonymous {
        if self.transport.withholds_credentials(registry) {
            return Anonymous::Withheld;
        }
        match self.creds.why_none(registry) {
            Some(why) => Anonymous::Because(why),
            None => Anonymous::NoneFound,
        }
    }

    /// The credential for `registry`, looked up once (on the blocking pool: helpers are processes). None
    /// for a registry reached over plain HTTP only because a configuration file says so (not even looked
    /// up): see [`Transport::withholds_credentials`].
    pub async fn credential(&self, registry: &str) -> Result<Option<Credential>, ResolveError> {
        if self.transport.withholds_credentials(registry) {
            return Ok(None);
        }
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

    fn slot(&self, registry: &str, repository: &str) -> Slot {
        let mut repos = self.repos.lock().expect("repository map poisoned");
        Arc::clone(
            repos
                .entry((registry.to_string(), repository.to_string()))
                .or_default(),
        )
    }

    /// The repository's grant: on first use, ping the registry (once per registry) and authorize; after
    /// that the same grant, renewed when it has expired.
    async fn current(
        &self,
        slot: &Slot,
        registry: &str,
        repository: &str,
    ) -> Result<Grant, ResolveError> {
        let mut state = slot.lock().await;
        let (challenge, generation) = match &*state {
            Some(RepoState { grant: Ok(g), .. }) if !g.expired() => return Ok(g.clone()),
            Some(RepoState { grant: Err(e), .. }) => return Err(e.clone()),
            Some(RepoState {
                grant: Ok(g),
                challenge,
            }) => (challenge.clone(), g.generation + 1),
            None => match self.challenge(registry).await {
                Ok(c) => (c, 0),
                Err(e) => return Err(e),
            },
        };
        let grant = self
            .authorize(registry, repository, challenge.as_ref(), generation)
            .await;
        *state = Some(RepoState {
            challenge,
            grant: grant.clone(),
        });
        grant
    }

    /// After a 401 to a request sent with grant `used`: a new grant, unless another request already got one.
    async fn renew(
        &self,
        slot: &Slot,
        registry: &str,
        repository: &str,
        used: u64,
        challenge: Option<Challenge>,
    ) -> Result<Grant, ResolveError> {
        let mut state = slot.lock().await;
        let known = match &*state {
            Some(RepoState { grant: Ok(g), .. }) if g.generation != used => return Ok(g.clone()),
            Some(RepoState { grant: Err(e), .. }) => return Err(e.clone()),
            Some(RepoState { challenge, .. }) => challenge.clone(),
            None => None,
        };
        let challenge = challenge.or(known);
        let grant = self
            .authorize(registry, repository, challenge.as_ref(), used + 1)
            .await;
        *state = Some(RepoState {
            challenge,
            grant: grant.clone(),
        });
        grant
    }

    /// How to answer `challenge` for one repository: nothing, Basic credentials, or a token.
    async fn authorize(
        &self,
        registry: &str,
        repository: &str,
        challenge: Option<&Challenge>,
        generation: u64,
    ) -> Result<Grant, ResolveError> {
        let cred = self.credential(registry).await?;
        let fixed = |auth| Grant {
            auth,
            expires: None,
            renewable: false,
            generation,
        };
        match challenge {
            None => Ok(fixed(Authorization::None)),
            Some(Challenge::Basic) => match cred {
                Some(c) if c.kind == CredentialKind::IdentityToken => {
                    Err(ResolveError::from(Denial::BasicWithToken {
                        registry: registry.to_string(),
                        login: c.login(),
                    }))
                }
                Some(c) => Ok(fixed(Authorization::Header(basic(&c)))),
                None => Err(ResolveError::from(Denial::LoginRequired {
                    registry: registry.to_string(),
                    anonymous: self.anonymous(registry),
                })),
            },
            Some(Challenge::Bearer { realm, service }) => {
                let (auth, expires) = self
                    .token(
                        registry,
                        repository,
                        realm,
                        service.as_deref(),
                        cred.as_ref(),
                    )
                    .await?;
                Ok(Grant {
                    auth,
                    expires: Some(expires),
                    renewable: true,
                    generation,
                })
            }
        }
    }

    async fn challenge(&self, registry: &str) -> Result<Option<Challenge>, ResolveError> {
        let cell = shared(&self.pings, registry.to_string());
        cell.get_or_init(|| async {
            let url = format!("{}/v2/", self.transport.base(registry));
            let resp = self
                .transport
                .send(
                    &Request::new(Method::GET, &url),
                    &Authorization::None,
                    &self.transport.stats.ping,
                )
                .await?;
            match resp.status() {
                StatusCode::UNAUTHORIZED => {
                    let value =
                        header(resp.headers(), WWW_AUTHENTICATE.as_str()).unwrap_or_default();
                    match parse_challenge(&value) {
                        Some(c) => Ok(Some(c)),
                        None => Err(ResolveError::from(Denial::Scheme {
                            registry: registry.to_string(),
                            challenge: escape(&value).into_owned(),
                        })),
                    }
                }
                // Some registries answer the ping with 404 or 200 and need no auth; the manifest request will tell.
                _ => Ok(None),
            }
        })
        .await
        .clone()
    }

    /// A pull token for `repository` from the token service at `realm`: `GET` with Basic credentials (or
    /// none), or for an identity token the OAuth2 refresh-token grant (`POST`). Returns the authorization
    /// and when it expires.
    async fn token(
        &self,
        registry: &str,
        repository: &str,
        realm: &str,
        service: Option<&str>,
        cred: Option<&Credential>,
    ) -> Result<(Authorization, Instant), ResolveError> {
        let shown = escape(realm);
        let mut url = reqwest::Url::parse(realm).map_err(|e| {
            ResolveError::from(Fault::BadRealm {
                registry: registry.to_string(),
                realm: shown.to_string(),
                error: e.to_string(),
            })
        })?;
        match url.scheme() {
            "https" => {}
            // Credentials go over plain HTTP only to a host the user named as plain HTTP. An anonymous request
            // carries no secret; the token it gets is only ever sent to the registry, and the digest still comes
            // from the registry itself, so it stays allowed (as docker allows it).
            "http"
                if cred.is_some()
                    && !self
                        .transport
                        .credentials_in_clear(&authority(url.as_str())) =>
            {
                return Err(ResolveError::from(Denial::ClearTextToken {
                    registry: registry.to_string(),
                    realm: shown.into_owned(),
                    host: escape(&authority(url.as_str())).into_owned(),
                }));
            }
            "http" => {}
            other => {
                return Err(Fault::RealmScheme {
                    registry: registry.to_string(),
                    realm: shown.into_owned(),
                    scheme: escape(other).into_owned(),
                }
                .into())
            }
        }
        let scope = format!("repository:{repository}:pull");
        let refresh = cred.filter(|c| c.kind == CredentialKind::IdentityToken);
        let form;
        let (request, auth) = if let Some(c) = refresh {
            // The distribution token spec's OAuth2 flow: the refresh token in a form body, never in the URL.
            let mut body = form_urlencoded::Serializer::new(String::new());
            body.append_pair("grant_type", "refresh_token");
            if let Some(s) = service {
                body.append_pair("service", s);
            }
            body.append_pair("scope", &scope)
                .append_pair("refresh_token", &c.password.0)
                .append_pair("client_id", CLIENT_ID);
            form = Secret(body.finish());
            let request = Request {
                form: Some(&form),
                ..Request::new(Method::POST, realm)
            };
            (request, Authorization::None)
        } else {
            {
                let mut q = url.query_pairs_mut();
                if let Some(s) = service {
                    q.append_pair("service", s);
                }
                q.append_pair("scope", &scope);
            }
            let auth = cred.map_or(Authorization::None, |c| Authorization::Header(basic(c)));
            (Request::new(Method::GET, url.as_str()), auth)
        };
        let resp = self
            .transport
            .send(&request, &auth, &self.transport.stats.token)
            .await?;
        let status = resp.status();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(ResolveError::from(Denial::TokenRefused {
                registry: registry.to_string(),
                repository: repository.to_string(),
                asker: match cred {
                    Some(c) => Asker::Login(c.login()),
                    None => Asker::Anonymous(self.anonymous(registry)),
                },
            }));
        }
        if !status.is_success() {
            return Err(Fault::TokenStatus {
                registry: registry.to_string(),
                status,
            }
            .into());
        }
        let bytes = self.transport.read_body(resp, registry).await?;
        let body: TokenResponse = serde_json::from_slice(&bytes).map_err(|e| {
            ResolveError::from(Fault::BadTokenResponse {
                registry: registry.to_string(),
                error: e.to_string(),
            })
        })?;
        let expires = body.expires();
        let token = body
            .token
            .or(body.access_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ResolveError::from(Fault::NoToken {
                    registry: registry.to_string(),
                })
            })?;
        Ok((
            Authorization::Header(Secret(format!("Bearer {token}"))),
            expires,
        ))
    }
}

/// `client_id` of the refresh-token grant, which the token spec requires.
const CLIENT_ID: &str = "pin";

fn basic(c: &Credential) -> Secret {
    Secret(format!(
        "Basic {}",
        base64_encode(format!("{}:{}", c.username, c.password.0).as_bytes())
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

/// Why `registry` was asked without credentials, for messages: a configuration file alone made it plain
/// HTTP.
pub fn withheld(registry: &str) -> String {
    format!(
        "not sent over plain HTTP to a host only a configuration file names insecure; pass \
         --insecure-registry {} to send them",
        escape(registry)
    )
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
    fn rfc3339_times_are_read() {
        let unix_seconds = crate::resolve::seen::unix_seconds;
        assert_eq!(unix_seconds("1970-01-01T00:00:00Z"), Some(0));
        // `date -u -d 2026-12-01T10:00:00Z +%s`
        assert_eq!(unix_seconds("2026-12-01T10:00:00Z"), Some(1_796_119_200));
        assert_eq!(
            unix_seconds("2026-12-01T11:00:00.123456789+01:00"),
            Some(1_796_119_200)
        );
        assert_eq!(
            unix_seconds("2024-02-29T23:59:59-00:30"),
            Some(1_709_252_999)
        );
        for bad in [
            "",
            "2026-12-01",
            "2026-13-01T00:00:00Z",
            "2026-12-01T10:00:00",
            "x",
        ] {
            assert_eq!(unix_seconds(bad), None, "{bad}");
        }
    }

    #[test]
    fn token_expiry_follows_expires_in_and_issued_at() {
        let answer = |expires_in: Option<i64>, issued_at: Option<String>| TokenResponse {
            token: Some("t".into()),
            access_token: None,
            expires_in,
            issued_at,
        };
        let left = |r: TokenResponse| r.expires().saturating_duration_since(Instant::now());
        let secs = |d: Duration| d.as_secs_f64().round() as u64;
        // 300 s less a 10 s margin; no expires_in: 60 s less 6 s.
        assert_eq!(secs(left(answer(Some(300), None))), 290);
        assert_eq!(secs(left(answer(None, None))), 54);
        // Issued 100 s ago by the service's clock: 200 s of 300 remain, less the margin.
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let ago = |s: u64| Some(crate::resolve::seen::rfc3339(now - s));
        assert_eq!(secs(left(answer(Some(300), ago(100)))), 190);
        assert_eq!(secs(left(answer(Some(300), ago(1000)))), 0);
    }
}
