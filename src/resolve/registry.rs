//! A minimal client for the OCI distribution API: manifest `HEAD` and `GET`, blob `GET`, by tag or digest.
//!
//! Why our own client instead of `oci-client`: the request budget is the product here. `pin` must make one
//! `/v2/` ping per registry, at most one token request per repository, and one manifest `HEAD` per unique tag,
//! honour `Retry-After` on 429/503, and say which registry refused which credentials. `oci-client` has no
//! single-flight for tokens, no retries, swallows token errors, and normalizes references in ways we must not
//! write back; working around all of that costs more code than these few requests.
//!
//! Layers: [`Client`] (this module: the distribution calls, checked answers) → [`Authorizer`] (`tokens`:
//! ping, credentials, tokens per repository) → [`Transport`] (`transport`: HTTP, TLS, redirects, retries).
//! What a lookup key resolves to is decided in `lookup`, platform choice in `platform`, and manifests are
//! typed in `manifest`.

use std::sync::Arc;

use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, StatusCode};
use sha2::{Digest as _, Sha256};

use super::auth::{Credential, CredentialSource};
use super::manifest::{self, Document, MANIFEST_ACCEPT};
use super::tokens::Authorizer;
use super::transport::{header, ClientOptions, Request, Stats, Transport};
use super::{escape, Asker, Denial, Fault, Key, ResolveError};
use crate::reference::is_valid_digest;

/// A manifest asked for by digest must be that digest. A registry, mirror or proxy that answers with another
/// (a `Docker-Content-Digest` naming it, or a body that hashes to it) is not believed: whatever it serves,
/// it is not the pinned manifest.
fn as_asked(
    registry: &str,
    repository: &str,
    reference: &str,
    digest: &str,
) -> Result<(), ResolveError> {
    // A tag never holds a `:`; a digest always does.
    if reference.contains(':') && reference != digest {
        return Err(Fault::OtherDigest {
            registry: registry.to_string(),
            repository: repository.to_string(),
            reference: reference.to_string(),
            digest: digest.to_string(),
        }
        .into());
    }
    Ok(())
}

/// What a tag (or digest) resolved to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Manifest {
    pub digest: String,
    pub media_type: Option<String>,
    /// `pin update`: the digest is one platform's manifest inside the tag's index (a pin that fails on
    /// nodes of other platforms).
    pub child_of: Option<ChildOf>,
    /// `pin update`: the digest the pin held is no longer served; `digest` is what the tag points at now.
    pub gone: bool,
    /// `pin update --min-age`: when the digest a moved pin would take was first seen (set after the lookup).
    pub seen: Option<crate::report::Seen>,
    /// `pin update` of an index pin whose tag moved: the platforms' manifests of both indexes, or why they
    /// were not compared.
    pub children: Option<Children>,
}

/// The platforms' manifests of a pinned index and of the index its tag points at now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Children {
    /// Each index's entries (attestations left out), in index order: platform and digest.
    Compared {
        old: Vec<(super::Platform, String)>,
        new: Vec<(super::Platform, String)>,
    },
    /// Not fetched, for this reason (Docker Hub counts manifest GETs as pulls).
    NotCompared(&'static str),
}

/// The index a platform's manifest belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChildOf {
    /// The platform of the manifest's entry.
    pub platform: super::Platform,
    /// The index the tag points at, and its media type.
    pub index: String,
    pub index_media_type: Option<String>,
}

/// A manifest fetched with `GET`: its digest (of the exact bytes) and type, the checked document, and the
/// bytes themselves (for anything that verifies a signature over them).
#[derive(Clone, Debug)]
pub struct Fetched {
    pub manifest: Manifest,
    pub document: Document,
    pub bytes: Vec<u8>,
}

/// `(registry, repository, digest)` of an index, and its platforms' entries.
type IndexEntries = std::sync::Mutex<
    std::collections::HashMap<
        (String, String, String),
        super::tokens::Shared<Vec<(super::Platform, String)>>,
    >,
>;

pub struct Client {
    auth: Authorizer,
    /// `pin update`: the entries of each index fetched by digest, once per run whoever asks (two pins of one
    /// index under two tags).
    index_entries: IndexEntries,
}

impl Client {
    pub fn new(
        options: ClientOptions,
        creds: Arc<dyn CredentialSource>,
    ) -> Result<Client, ResolveError> {
        Ok(Client {
            auth: Authorizer::new(Transport::new(options)?, creds),
            index_entries: Default::default(),
        })
    }

    /// The platforms' entries of the index `digest` (attestations left out): one `GET` per index and run,
    /// single-flight.
    pub async fn index_entries(
        &self,
        registry: &str,
        repository: &str,
        digest: &str,
    ) -> Result<Vec<(super::Platform, String)>, ResolveError> {
        let key = (
            registry.to_string(),
            repository.to_string(),
            digest.to_string(),
        );
        let cell = super::tokens::shared(&self.index_entries, key);
        cell.get_or_init(|| async {
            let fetched = self.get_manifest(registry, repository, digest).await?;
            Ok(super::platform::entries(&fetched.document))
        })
        .await
        .clone()
    }

    /// Requests made so far, by kind.
    pub fn stats(&self) -> &Stats {
        &self.auth.transport().stats
    }

    /// The manifest digest that `key` names (see `lookup`); `compare`: whether a moved index pin's indexes
    /// may be fetched.
    pub async fn manifest_digest(
        &self,
        key: &Key,
        compare: super::lookup::Compare,
    ) -> Result<Manifest, ResolveError> {
        super::lookup::manifest_digest(self, key, compare).await
    }

    /// `HEAD /v2/<repository>/manifests/<reference>` (a tag or a digest): the manifest's digest and media
    /// type. A registry that sends no `Docker-Content-Digest`, or does not allow `HEAD`, is asked with one
    /// `GET` instead, whose body is checked and hashed.
    pub async fn head_manifest(
        &self,
        registry: &str,
        repository: &str,
        reference: &str,
    ) -> Result<Manifest, ResolveError> {
        let cred = self.auth.credential(registry).await?;
        let url = self.manifest_url(registry, repository, reference);
        let request = Request {
            accept: Some(MANIFEST_ACCEPT),
            ..Request::new(Method::HEAD, &url)
        };
        let head = self
            .auth
            .send_repo(&request, registry, repository, &self.stats().head)
            .await?;
        // A registry or proxy that does not allow HEAD gets the GET below instead.
        if head.status() == StatusCode::METHOD_NOT_ALLOWED {
            return Ok(self
                .get_manifest(registry, repository, reference)
                .await?
                .manifest);
        }
        check_status(
            &head,
            registry,
            repository,
            reference,
            cred.as_ref(),
            self.auth.anonymous(registry),
        )?;
        let media_type = header(head.headers(), CONTENT_TYPE.as_str());
        if let Some(t) = media_type.as_deref().filter(|t| manifest::is_schema1(t)) {
            return Err(Fault::Schema1 {
                registry: registry.to_string(),
                repository: repository.to_string(),
                reference: reference.to_string(),
                media_type: escape(manifest::base_type(t)).into_owned(),
            }
            .into());
        }
        if let Some(digest) = header(head.headers(), "docker-content-digest") {
            let digest = validated(digest, registry)?;
            as_asked(registry, repository, reference, &digest)?;
            return Ok(Manifest {
                digest,
                media_type,
                ..Manifest::default()
            });
        }
        // The header is optional in the spec and some registries and proxies drop it: hash the exact body.
        Ok(self
            .get_manifest(registry, repository, reference)
            .await?
            .manifest)
    }

    /// `GET /v2/<repository>/manifests/<reference>`. The digest is the sha256 of the exact bytes received,
    /// once they are known to be a whole manifest of the type the registry says they are (a truncated or
    /// foreign body is an error, never a pin); a `Docker-Content-Digest` that disagrees is an error.
    pub async fn get_manifest(
        &self,
        registry: &str,
        repository: &str,
        reference: &str,
    ) -> Result<Fetched, ResolveError> {
        let cred = self.auth.credential(registry).await?;
        let url = self.manifest_url(registry, repository, reference);
        let request = Request {
            accept: Some(MANIFEST_ACCEPT),
            ..Request::new(Method::GET, &url)
        };
        let get = self
            .auth
            .send_repo(&request, registry, repository, &self.stats().get)
            .await?;
        check_status(
            &get,
            registry,
            repository,
            reference,
            cred.as_ref(),
            self.auth.anonymous(registry),
        )?;
        let claimed = header(get.headers(), "docker-content-digest");
        let content_type = header(get.headers(), CONTENT_TYPE.as_str());
        let body = self.auth.transport().read_body(get, registry).await?;
        let document = manifest::parse(&body, content_type.as_deref()).map_err(|what| {
            ResolveError::from(Fault::NotAManifest {
                registry: registry.to_string(),
                repository: repository.to_string(),
                reference: reference.to_string(),
                what,
            })
        })?;
        let digest = format!("sha256:{:x}", Sha256::digest(&body));
        if let Some(claimed) = claimed {
            // The header may name another algorithm; then it is checked with that one.
            let computed = match claimed.split_once(':') {
                Some(("sha512", _)) => format!("sha512:{:x}", sha2::Sha512::digest(&body)),
                _ => digest.clone(),
            };
            if !is_valid_digest(&claimed) || claimed != computed {
                return Err(Fault::DigestMismatch {
                    registry: registry.to_string(),
                    claimed: escape(&claimed.chars().take(140).collect::<String>()).into_owned(),
                    computed,
                }
                .into());
            }
        }
        as_asked(registry, repository, reference, &digest)?;
        let media_type = Some(document.media_type().to_string());
        Ok(Fetched {
            manifest: Manifest {
                digest,
                media_type,
                ..Manifest::default()
            },
            document,
            bytes: body,
        })
    }

    /// `GET /v2/<repository>/blobs/<digest>` (a config, for instance), checked against its sha256 digest.
    pub async fn get_blob(
        &self,
        registry: &str,
        repository: &str,
        digest: &str,
    ) -> Result<Vec<u8>, ResolveError> {
        let cred = self.auth.credential(registry).await?;
        let url = format!(
            "{}/v2/{repository}/blobs/{digest}",
            self.auth.transport().base(registry)
        );
        let request = Request::new(Method::GET, &url);
        let get = self
            .auth
            .send_repo(&request, registry, repository, &self.stats().get)
            .await?;
        check_status(
            &get,
            registry,
            repository,
            digest,
            cred.as_ref(),
            self.auth.anonymous(registry),
        )?;
        let body = self.auth.transport().read_body(get, registry).await?;
        if digest.starts_with("sha256:") && format!("sha256:{:x}", Sha256::digest(&body)) != digest
        {
            return Err(Fault::BlobDigest {
                registry: registry.to_string(),
                repository: repository.to_string(),
                digest: digest.to_string(),
            }
            .into());
        }
        Ok(body)
    }

    /// `GET /v2/<repository>/referrers/<digest>` (OCI distribution 1.1): the index of manifests whose
    /// `subject` is `digest`, or `None` when the registry does not have the API (404, as distribution 2.8
    /// answers).
    pub async fn get_referrers(
        &self,
        registry: &str,
        repository: &str,
        digest: &str,
    ) -> Result<Option<Vec<u8>>, ResolveError> {
        let cred = self.auth.credential(registry).await?;
        let url = format!(
            "{}/v2/{repository}/referrers/{digest}",
            self.auth.transport().base(registry)
        );
        let request = Request {
            accept: Some(manifest::OCI_INDEX),
            ..Request::new(Method::GET, &url)
        };
        let get = self
            .auth
            .send_repo(&request, registry, repository, &self.stats().get)
            .await?;
        if get.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        check_status(
            &get,
            registry,
            repository,
            digest,
            cred.as_ref(),
            self.auth.anonymous(registry),
        )?;
        Ok(Some(self.auth.transport().read_body(get, registry).await?))
    }

    fn manifest_url(&self, registry: &str, repository: &str, reference: &str) -> String {
        format!(
            "{}/v2/{repository}/manifests/{reference}",
            self.auth.transport().base(registry)
        )
    }
}

fn validated(digest: String, registry: &str) -> Result<String, ResolveError> {
    if is_valid_digest(&digest) {
        Ok(digest)
    } else {
        Err(Fault::MalformedDigest {
            registry: registry.to_string(),
            digest: escape(&digest.chars().take(100).collect::<String>()).into_owned(),
        }
        .into())
    }
}

fn check_status(
    resp: &reqwest::Response,
    registry: &str,
    repository: &str,
    tag: &str,
    cred: Option<&Credential>,
    anonymous: super::tokens::Anonymous,
) -> Result<(), ResolveError> {
    let status = resp.status();
    if status.is_success() {
        return Ok(());
    }
    Err(match status {
        StatusCode::NOT_FOUND => ResolveError::from(super::Missing::Manifest {
            registry: registry.to_string(),
            repository: repository.to_string(),
            tag: tag.to_string(),
        }),
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => ResolveError::from(Denial::Refused {
            registry: registry.to_string(),
            repository: repository.to_string(),
            status,
            asker: match cred {
                Some(c) => Asker::Login(c.login()),
                None => Asker::Anonymous(anonymous),
            },
        }),
        _ => ResolveError::from(Fault::Status {
            registry: registry.to_string(),
            repository: repository.to_string(),
            tag: tag.to_string(),
            status,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
