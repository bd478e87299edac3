//! Authorization per repository: one `/v2/` ping per registry, one credential lookup per registry, at most one
//! token request per repository, shared by every concurrent lookup (single flight).
//!
//! [`Authorizer::send_repo`] is how the distribution calls reach a repository: it adds the repository's
//! authorization, and answers a challenge that only the repository (not the ping) asks for.

use std::collections::HashMap;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};

use reqwest::header::WWW_AUTHENTICATE;
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use tokio::sync::OnceCell;

use super::auth::{parse_challenge, Challenge, Credential, CredentialSource, Secret};
use super::transport::{authority, header, read_limited, Authorization, Request, Transport};
use super::{escape, ResolveError};

/// A result computed once and awaited by every concurrent caller: the single-flight cell of a ping, a
/// credential or a repository's authorization.
type Shared<T> = Arc<OnceCell<Result<T, ResolveError>>>;

/// The cell for `key`, created empty on first use.
fn shared<K: std::hash::Hash + Eq, T>(map: &Mutex<HashMap<K, Shared<T>>>, key: K) -> Shared<T> {
    let mut map = map.lock().expect("single-flight map poisoned");
    Arc::clone(map.entry(key).or_default())
}

/// `(registry, repository)`.
type RepoKey = (String, String);

pub struct Authorizer {
    transport: Transport,
    creds: Arc<dyn CredentialSource>,
    pings: Mutex<HashMap<String, Shared<Option<Challenge>>>>,
    auths: Mutex<HashMap<RepoKey, Shared<Authorization>>>,
    late_auths: Mutex<HashMap<RepoKey, Shared<Authorization>>>,
    credentials: Mutex<HashMap<String, Shared<Option<Credential>>>>,
}

/// A token service's answer (the distribution token spec; `access_token` is the OAuth2 spelling).
#[derive(Deserialize)]
struct TokenResponse {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
}

impl Authorizer {
    pub fn new(transport: Transport, creds: Arc<dyn CredentialSource>) -> Authorizer {
        Authorizer {
            transport,
            creds,
            pings: Mutex::default(),
            auths: Mutex::default(),
            late_auths: Mutex::default(),
            credentials: Mutex::default(),
        }
    }

    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// Sends a request about `repository`, authorized as its ping said. Some registries answer the ping
    /// without a challenge and ask only per repository (a private repository on an otherwise open
    /// registry): a 401 with a challenge to an unauthorized request is answered once per repository, and
    /// the request sent again.
    pub async fn send_repo(
        &self,
        request: &Request<'_>,
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
        let resp = self.transport.send(request, &auth, counter).await?;
        if resp.status() != StatusCode::UNAUTHORIZED || !matches!(auth, Authorization::None) {
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
        self.transport.send(request, &auth, counter).await
    }

    /// The credential for `registry`, looked up once (on the blocking pool: helpers are processes).
    pub async fn credential(&self, registry: &str) -> Result<Option<Credential>, ResolveError> {
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

    /// Ping once per registry, then authorize once per repository; concurrent callers wait for the first.
    async fn repo_auth(
        &self,
        registry: &str,
        repository: &str,
    ) -> Result<Authorization, ResolveError> {
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
    ) -> Result<Authorization, ResolveError> {
        let cred = self.credential(registry).await?;
        match challenge {
            None => Ok(Authorization::None),
            Some(Challenge::Basic) => match cred {
                Some(c) => Ok(Authorization::Header(basic(&c))),
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

    async fn challenge(&self, registry: &str) -> Result<Option<Challenge>, ResolveError> {
        let cell = shared(&self.pings, registry.to_string());
        cell.get_or_init(|| async {
            let url = format!("{}/v2/", self.transport.base(registry));
            let request = Request {
                method: Method::GET,
                url: &url,
                accept: None,
            };
            let resp = self
                .transport
                .send(&request, &Authorization::None, &self.transport.stats.ping)
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
    ) -> Result<Authorization, ResolveError> {
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
            "http" if cred.is_some() && !self.transport.is_insecure(&authority(url.as_str())) => {
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
        let auth = cred.map_or(Authorization::None, |c| Authorization::Header(basic(c)));
        let request = Request {
            method: Method::GET,
            url: url.as_str(),
            accept: None,
        };
        let resp = self
            .transport
            .send(&request, &auth, &self.transport.stats.token)
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
        let body: TokenResponse = serde_json::from_slice(&bytes).map_err(|e| {
            ResolveError::Registry(format!("bad token response from {registry}: {e}"))
        })?;
        let token = body
            .token
            .or(body.access_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ResolveError::Registry(format!("the token response from {registry} holds no token"))
            })?;
        Ok(Authorization::Header(Secret(format!("Bearer {token}"))))
    }
}

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
}
