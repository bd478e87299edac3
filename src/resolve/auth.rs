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

/// A username and password for one registry, and where they were found (for messages).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credential {
    pub username: String,
    pub password: Secret,
    /// e.g. `~/.docker/config.json`; shown when the registry refuses them.
    pub source: String,
}

/// Looks up credentials for a registry. May block (credential helpers are processes): call it off the
/// async runtime.
pub trait CredentialSource: Send + Sync {
    /// `registry` is the normalized domain (`docker.io`, `ghcr.io`, `127.0.0.1:5000`). `Err` when a
    /// credential is configured but cannot be had (a failing helper, an undecodable `auth`).
    fn lookup(&self, registry: &str) -> Result<Option<Credential>, String>;
}

/// No credentials anywhere: every registry is accessed anonymously.
pub struct Anonymous;

impl CredentialSource for Anonymous {
    fn lookup(&self, _registry: &str) -> Result<Option<Credential>, String> {
        Ok(None)
    }
}

type Getter =
    fn(
        &str,
    )
        -> Result<docker_credential::DockerCredential, docker_credential::CredentialRetrievalError>;

/// What `docker login` and `podman login` leave behind, in that order: `$DOCKER_CONFIG/config.json` or
/// `~/.docker/config.json` (`auths`, `credsStore`, `credHelpers`), then podman's `auth.json`
/// (`$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`). Nothing found means anonymous.
pub struct DockerConfig;

impl CredentialSource for DockerConfig {
    fn lookup(&self, registry: &str) -> Result<Option<Credential>, String> {
        use docker_credential::{CredentialRetrievalError as E, DockerCredential};
        // Docker Hub's entry is keyed by its v1 index URL, whatever the image says.
        let server = if registry == "docker.io" {
            "https://index.docker.io/v1/"
        } else {
            registry
        };
        let docker_source = match std::env::var_os("DOCKER_CONFIG") {
            Some(d) => format!("{}/config.json", std::path::Path::new(&d).display()),
            None => "~/.docker/config.json".to_string(),
        };
        let tries: [(String, Getter); 2] = [
            (docker_source, docker_credential::get_credential),
            (
                "podman auth.json".to_string(),
                docker_credential::get_podman_credential,
            ),
        ];
        for (source, get) in tries {
            match get(server) {
                Ok(DockerCredential::UsernamePassword(username, password)) => {
                    return Ok(Some(Credential {
                        username,
                        password: Secret(password),
                        source,
                    }))
                }
                // An OAuth refresh token needs an exchange that registries implement differently; the
                // registry will say it wants a login, which is the honest outcome.
                Ok(DockerCredential::IdentityToken(_)) => return Ok(None),
                Err(E::NoCredentialConfigured | E::ConfigNotFound | E::ConfigReadError) => {}
                // Never print the helper's output: on some failures it holds the secret.
                Err(E::HelperFailure { helper, .. }) => {
                    return Err(format!(
                        "credential helper docker-credential-{helper} failed for {registry} (from {source})"
                    ))
                }
                Err(e) => return Err(format!("cannot read the credential for {registry} from {source}: {e}")),
            }
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
            source: "test".into(),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
