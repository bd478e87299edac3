//! Registry authentication: `WWW-Authenticate` challenges and where credentials come from.
//!
//! Secrets never appear in `Debug` output or error messages: [`Secret`] redacts itself.

use std::fmt;

/// A challenge from `WWW-Authenticate`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Challenge {
    /// `Basic realm="…"`: send credentials with every request.
    Basic,
    /// `Bearer realm="…",service="…"`: exchange (possibly anonymous) credentials for a token at `realm`.
    Bearer {
        realm: String,
        service: Option<String>,
    },
}

/// Parses the first `Basic` or `Bearer` challenge of a `WWW-Authenticate` header value.
pub fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, rest) = header
        .split_once(char::is_whitespace)
        .unwrap_or((header, ""));
    if scheme.eq_ignore_ascii_case("basic") {
        return Some(Challenge::Basic);
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let params = parse_params(rest);
    let get = |k: &str| {
        params
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.clone())
    };
    Some(Challenge::Bearer {
        realm: get("realm")?,
        service: get("service"),
    })
}

/// `key="value", key2=value2` → pairs; quoted values may contain commas and `\"`.
fn parse_params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' {
                break;
            }
            key.push(c);
            chars.next();
        }
        if chars.next() != Some('=') {
            return out;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        out.push((key.trim().to_string(), value.trim().to_string()));
    }
}

/// A string that must never be printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A credential for one registry, and where it was found (for messages).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credential {
    /// The user; `<token>` for an identity token (as credential helpers write it).
    pub username: String,
    /// The password, or for [`CredentialKind::IdentityToken`] the OAuth2 refresh token.
    pub password: Secret,
    pub kind: CredentialKind,
    /// e.g. `~/.docker/config.json`; shown when the registry refuses them.
    pub source: String,
}

/// What [`Credential::password`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialKind {
    /// Sent as HTTP Basic, to the registry or its token service.
    Password,
    /// An OAuth2 refresh token (`identitytoken` in `config.json`, written by `az acr login` and some
    /// `docker login` flows): exchanged at the token service with the refresh-token grant.
    IdentityToken,
}

impl Credential {
    /// How messages name this credential: `the credentials of "alice" from ~/.docker/config.json`.
    pub fn describe(&self) -> String {
        match self.kind {
            CredentialKind::Password => {
                format!(
                    "the credentials of {:?} from {}",
                    self.username, self.source
                )
            }
            CredentialKind::IdentityToken => format!("the identity token from {}", self.source),
        }
    }
}

/// Looks up credentials for a registry. May block (credential helpers are processes): call it off the
/// async runtime.
pub trait CredentialSource: Send + Sync {
    /// `registry` is the normalized domain (`docker.io`, `ghcr.io`, `127.0.0.1:5000`). `Err` when a
    /// credential is configured but cannot be had (a failing helper, an undecodable `auth`, a malformed
    /// config file).
    fn lookup(&self, registry: &str) -> Result<Option<Credential>, String>;
}

/// What `docker login` and `podman login` leave behind, in that order: `$DOCKER_CONFIG/config.json` or
/// `~/.docker/config.json` (`auths` with `auth`, `username`/`password` or `identitytoken`, `credsStore`,
/// `credHelpers`), then podman's `auth.json` (`$REGISTRY_AUTH_FILE`, else `$XDG_RUNTIME_DIR/containers/auth.json`,
/// else `$DOCKER_CONFIG/containers/auth.json`). Nothing found means anonymous; so does a credential helper that
/// answers "credentials not found" (as `docker pull` treats it). A file that exists but cannot be read or is
/// not valid JSON is an error, as is a helper that is missing or fails otherwise.
pub struct DockerConfig;

/// A config file to look in: where it is and how messages name it.
struct ConfigFile {
    path: std::path::PathBuf,
    shown: String,
}

/// The fields of a config file that name credential helpers (the rest is read by `docker_credential`).
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct HelperNames {
    #[serde(default)]
    creds_store: Option<String>,
    #[serde(default)]
    cred_helpers: Option<std::collections::HashMap<String, String>>,
}

impl DockerConfig {
    fn files() -> Vec<ConfigFile> {
        use std::path::{Path, PathBuf};
        let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
        let docker_dir = env("DOCKER_CONFIG")
            .map(PathBuf::from)
            .or_else(|| env("HOME").map(|h| Path::new(&h).join(".docker")));
        let mut files = Vec::new();
        if let Some(dir) = &docker_dir {
            let shown = match env("DOCKER_CONFIG") {
                Some(d) => format!("{}/config.json", Path::new(&d).display()),
                None => "~/.docker/config.json".to_string(),
            };
            files.push(ConfigFile {
                path: dir.join("config.json"),
                shown,
            });
        }
        let podman = if let Some(file) = env("REGISTRY_AUTH_FILE") {
            Some(PathBuf::from(file))
        } else {
            let runtime =
                env("XDG_RUNTIME_DIR").map(|d| Path::new(&d).join("containers/auth.json"));
            match runtime {
                Some(p) if p.is_file() => Some(p),
                _ => docker_dir.as_ref().map(|d| d.join("containers/auth.json")),
            }
        };
        if let Some(path) = podman {
            files.push(ConfigFile {
                shown: path.display().to_string(),
                path,
            });
        }
        files
    }
}

impl CredentialSource for DockerConfig {
    fn lookup(&self, registry: &str) -> Result<Option<Credential>, String> {
        use docker_credential::{CredentialRetrievalError as E, DockerCredential};
        // Docker Hub's entry is keyed by its v1 index URL, whatever the image says.
        let server = if registry == "docker.io" {
            "https://index.docker.io/v1/"
        } else {
            registry
        };
        for file in DockerConfig::files() {
            let source = file.shown;
            let bytes = match std::fs::read(&file.path) {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(format!("cannot read {source}: {e}")),
            };
            let names: HelperNames = serde_json::from_slice(&bytes).map_err(|e| {
                format!("{source} is not a valid credentials file ({e}); fix it or move it away")
            })?;
            let helper = names
                .cred_helpers
                .as_ref()
                .and_then(|h| h.get(server))
                .filter(|h| !h.is_empty())
                .or(names.creds_store.as_ref())
                .map(|h| format!("docker-credential-{h}"))
                .unwrap_or_else(|| "docker-credential-?".to_string());
            let (username, password, kind) =
                match docker_credential::get_credential_from_reader(&bytes[..], server) {
                    Ok(DockerCredential::UsernamePassword(u, p)) => (u, p, CredentialKind::Password),
                    Ok(DockerCredential::IdentityToken(t)) => {
                        ("<token>".to_string(), t, CredentialKind::IdentityToken)
                    }
                    Err(E::NoCredentialConfigured) => continue,
                    // The docker-credential-helpers protocol: `get` for a server with no entry exits 1 and
                    // says "credentials not found in native keychain". docker pulls anonymously then.
                    Err(E::HelperFailure { stdout, stderr, .. })
                        if [&stdout, &stderr]
                            .iter()
                            .any(|o| o.to_ascii_lowercase().contains("credentials not found")) =>
                    {
                        continue
                    }
                    // Never print the helper's output: on some failures it holds the secret.
                    Err(E::HelperFailure { helper, .. }) => {
                        return Err(format!(
                            "credential helper {helper} failed for {registry} (named in {source})"
                        ))
                    }
                    Err(E::HelperCommunicationError) => {
                        return Err(format!(
                            "credential helper {helper} (named in {source}) could not be run for {registry}: \
                             is it installed and on PATH?"
                        ))
                    }
                    Err(E::MalformedHelperResponse) => {
                        return Err(format!(
                            "credential helper {helper} (named in {source}) answered for {registry} with \
                             something that is not a credential"
                        ))
                    }
                    Err(E::ConfigReadError | E::ConfigNotFound) => {
                        return Err(format!("{source} is not a valid credentials file"))
                    }
                    Err(e) => {
                        return Err(format!(
                            "cannot read the credential for {registry} from {source}: {e}"
                        ))
                    }
                };
            return Ok(Some(Credential {
                username,
                password: Secret(password),
                kind,
                source,
            }));
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bearer_challenges() {
        assert_eq!(
            parse_challenge(
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io""#
            ),
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into())
            })
        );
        assert_eq!(
            parse_challenge(
                r#"bearer service="a,b", realm="http://127.0.0.1:1/t",scope="repository:x:pull""#
            ),
            Some(Challenge::Bearer {
                realm: "http://127.0.0.1:1/t".into(),
                service: Some("a,b".into())
            })
        );
        assert_eq!(
            parse_challenge(r#"Basic realm="test-realm""#),
            Some(Challenge::Basic)
        );
        assert_eq!(parse_challenge("Bearer service=x"), None);
        assert_eq!(parse_challenge("Negotiate"), None);
        assert_eq!(parse_challenge(""), None);
    }

    #[test]
    fn secrets_do_not_print() {
        let c = Credential {
            username: "u".into(),
            password: Secret("hunter2".into()),
            kind: CredentialKind::Password,
            source: "test".into(),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
