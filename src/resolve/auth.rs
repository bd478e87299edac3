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
    /// The credential without its secret, for errors to carry.
    pub fn login(&self) -> Login {
        Login {
            username: self.username.clone(),
            kind: self.kind,
            source: self.source.clone(),
        }
    }
}

/// A credential as errors carry it: who and where it came from, never the password or token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Login {
    /// The user; `<token>` for an identity token.
    pub username: String,
    pub kind: CredentialKind,
    /// e.g. `~/.docker/config.json`.
    pub source: String,
}

/// `the credentials of "alice" from ~/.docker/config.json`, `the identity token from …`.
impl fmt::Display for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            CredentialKind::Password => {
                write!(
                    f,
                    "the credentials of {:?} from {}",
                    self.username, self.source
                )
            }
            CredentialKind::IdentityToken => write!(f, "the identity token from {}", self.source),
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

    /// After [`lookup`](Self::lookup) found nothing for `registry`: why, when a credential may be configured
    /// but could not be had, and what to do about it (for the message of a registry that then refuses).
    fn why_none(&self, _registry: &str) -> Option<String> {
        None
    }
}

/// What `podman login` and `docker login` leave behind, in the order podman and skopeo read them: podman's
/// `auth.json` (`$REGISTRY_AUTH_FILE`, else `$XDG_RUNTIME_DIR/containers/auth.json`, then
/// `${XDG_CONFIG_HOME:-~/.config}/containers/auth.json`), then `$DOCKER_CONFIG/config.json` or
/// `~/.docker/config.json` (`auths` with `auth`, `username`/`password` or `identitytoken`, `credsStore`,
/// `credHelpers`). The first file with an entry for the registry wins. Nothing found means anonymous; so does
/// a credential helper that answers "credentials not found" (as `docker pull` treats it), and a `credsStore`
/// helper that is not installed (a leftover of Docker Desktop; warned about once, and named when a registry
/// then asks for a login). A file that exists but cannot be read or is not valid JSON is an error, as is a
/// `credHelpers` helper that is missing, or any helper that fails otherwise. Helpers run bounded (see
/// `helper`): `helper_timeout` to finish, 1 MiB of output.
pub struct DockerConfig {
    pub helper_timeout: std::time::Duration,
    /// The `credsStore` helper found missing, with the file that names it: (program, file).
    missing_store: std::sync::Mutex<Option<(String, String)>>,
    /// Warnings not yet taken by [`DockerConfig::take_warnings`].
    warnings: std::sync::Mutex<Vec<String>>,
}

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
    pub fn new(helper_timeout: std::time::Duration) -> DockerConfig {
        DockerConfig {
            helper_timeout,
            missing_store: Default::default(),
            warnings: Default::default(),
        }
    }

    /// What went wrong without failing a lookup (a `credsStore` helper that is not installed), once each.
    pub fn take_warnings(&self) -> Vec<String> {
        std::mem::take(&mut *self.warnings.lock().expect("warnings poisoned"))
    }

    fn files() -> Vec<ConfigFile> {
        DockerConfig::files_in(&|k| std::env::var_os(k))
    }

    /// The files to look in, in order, with the environment `env`.
    fn files_in(env: &dyn Fn(&str) -> Option<std::ffi::OsString>) -> Vec<ConfigFile> {
        use std::path::{Path, PathBuf};
        let env = |k: &str| env(k).filter(|v| !v.is_empty());
        let docker_dir = env("DOCKER_CONFIG")
            .map(PathBuf::from)
            .or_else(|| env("HOME").map(|h| Path::new(&h).join(".docker")));
        let mut files = Vec::new();
        // podman's: `--authfile` (`$REGISTRY_AUTH_FILE`) replaces the default places.
        let podman: Vec<PathBuf> = match env("REGISTRY_AUTH_FILE") {
            Some(file) => vec![PathBuf::from(file)],
            None => env("XDG_RUNTIME_DIR")
                .map(|d| Path::new(&d).join("containers/auth.json"))
                .into_iter()
                .chain(
                    env("XDG_CONFIG_HOME")
                        .map(PathBuf::from)
                        .or_else(|| env("HOME").map(|h| Path::new(&h).join(".config")))
                        .map(|d| d.join("containers/auth.json")),
                )
                .collect(),
        };
        for path in podman {
            files.push(ConfigFile {
                shown: path.display().to_string(),
                path,
            });
        }
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
            let invalid = |e: serde_json::Error| {
                format!("{source} is not a valid credentials file ({e}); fix it or move it away")
            };
            let names: HelperNames = serde_json::from_slice(&bytes).map_err(invalid)?;
            // As docker does: a `credHelpers` entry for the server first, then the file's own entries,
            // then `credsStore`. Helpers are run here (bounded); `docker_credential` reads the entries,
            // from the file without its helper keys.
            let named = names
                .cred_helpers
                .as_ref()
                .and_then(|h| h.get(server))
                .filter(|h| !h.is_empty());
            if let Some(helper) = named {
                match self.ask_helper(helper, server, registry, &source)? {
                    Some(c) => return Ok(Some(c)),
                    None => continue,
                }
            }
            let mut entries: serde_json::Value = serde_json::from_slice(&bytes).map_err(invalid)?;
            if let Some(object) = entries.as_object_mut() {
                object.remove("credsStore");
                object.remove("credHelpers");
            }
            let entries = serde_json::to_vec(&entries).map_err(|e| e.to_string())?;
            let (username, password, kind) =
                match docker_credential::get_credential_from_reader(&entries[..], server) {
                    Ok(DockerCredential::UsernamePassword(u, p)) => {
                        (u, p, CredentialKind::Password)
                    }
                    Ok(DockerCredential::IdentityToken(t)) => {
                        ("<token>".to_string(), t, CredentialKind::IdentityToken)
                    }
                    Err(E::NoCredentialConfigured) => {
                        match names.creds_store.as_deref().filter(|h| !h.is_empty()) {
                            Some(store) => {
                                match self.ask_store(store, server, registry, &source)? {
                                    Some(c) => return Ok(Some(c)),
                                    None => continue,
                                }
                            }
                            None => continue,
                        }
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

    fn why_none(&self, _registry: &str) -> Option<String> {
        let missing = self.missing_store.lock().expect("missing_store poisoned");
        let (program, source) = missing.as_ref()?;
        Some(format!(
            "{program}, the credsStore of {source}, is not installed, so no login was sent; install it, or \
             remove the \"credsStore\" line from {source} and log in again"
        ))
    }
}

impl DockerConfig {
    /// [`ask_helper`](Self::ask_helper) for a file's `credsStore`: a helper that is not installed (a
    /// Docker Desktop leftover) means anonymous, with one warning.
    fn ask_store(
        &self,
        name: &str,
        server: &str,
        registry: &str,
        source: &str,
    ) -> Result<Option<Credential>, String> {
        let program = format!("docker-credential-{name}");
        if !super::helper::installed(&program) {
            let mut missing = self.missing_store.lock().expect("missing_store poisoned");
            if missing.is_none() {
                self.warnings.lock().expect("warnings poisoned").push(format!(
                    "{program}, the credsStore of {source}, is not installed: registries are asked without \
                     its logins (remove the \"credsStore\" line from {source} if it is a leftover)"
                ));
                *missing = Some((program, source.to_string()));
            }
            return Ok(None);
        }
        self.ask_helper(name, server, registry, source)
    }

    /// Asks `docker-credential-NAME` (named in `source`) for `server`'s credential. `None` when it holds
    /// none: the docker-credential-helpers protocol's "credentials not found" (exit 1), which `docker
    /// pull` takes as anonymous.
    fn ask_helper(
        &self,
        name: &str,
        server: &str,
        registry: &str,
        source: &str,
    ) -> Result<Option<Credential>, String> {
        use super::helper::{self, HelperError};
        let program = format!("docker-credential-{name}");
        let named = format!("credential helper {program} (named in {source})");
        match helper::get(&program, server, self.helper_timeout) {
            Ok(answer) => {
                let kind = if answer.username == "<token>" {
                    CredentialKind::IdentityToken
                } else {
                    CredentialKind::Password
                };
                Ok(Some(Credential {
                    username: answer.username,
                    password: Secret(answer.secret),
                    kind,
                    source: source.to_string(),
                }))
            }
            Err(HelperError::Failed { output })
                if output
                    .to_ascii_lowercase()
                    .contains("credentials not found") =>
            {
                Ok(None)
            }
            // Never print the helper's output: on some failures it holds the secret.
            Err(HelperError::Failed { .. }) => Err(format!("{named} failed for {registry}")),
            Err(HelperError::NotRun(std::io::ErrorKind::NotFound)) => Err(format!(
                "{named} is not installed (not found on PATH); it was to give the login for {registry}"
            )),
            Err(HelperError::NotRun(kind)) => Err(format!(
                "{named} could not be started for {registry} ({kind})"
            )),
            Err(HelperError::Malformed) => Err(format!(
                "{named} answered for {registry} with something that is not a credential"
            )),
            Err(HelperError::TimedOut) => Err(format!(
                "{named} did not finish within {} s (--timeout) for {registry}; it was stopped",
                self.helper_timeout.as_secs()
            )),
            Err(HelperError::TooMuch) => Err(format!(
                "{named} printed more than 1 MiB for {registry}; it was stopped"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_files_in_podman_order_then_docker() {
        let files = |vars: &[(&str, &str)]| {
            let vars: Vec<(String, String)> = vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            DockerConfig::files_in(&|k| {
                vars.iter()
                    .find(|(name, _)| name == k)
                    .map(|(_, v)| v.into())
            })
            .into_iter()
            .map(|f| f.path.display().to_string())
            .collect::<Vec<_>>()
        };
        assert_eq!(
            files(&[("HOME", "/h"), ("XDG_RUNTIME_DIR", "/run/user/1")]),
            [
                "/run/user/1/containers/auth.json",
                "/h/.config/containers/auth.json",
                "/h/.docker/config.json"
            ]
        );
        assert_eq!(
            files(&[
                ("HOME", "/h"),
                ("XDG_CONFIG_HOME", "/cfg"),
                ("DOCKER_CONFIG", "/d"),
                ("XDG_RUNTIME_DIR", "")
            ]),
            ["/cfg/containers/auth.json", "/d/config.json"]
        );
        // `$REGISTRY_AUTH_FILE` (podman's --authfile) replaces podman's default places, not docker's file.
        assert_eq!(
            files(&[
                ("HOME", "/h"),
                ("REGISTRY_AUTH_FILE", "/a.json"),
                ("XDG_RUNTIME_DIR", "/run/user/1")
            ]),
            ["/a.json", "/h/.docker/config.json"]
        );
    }

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
