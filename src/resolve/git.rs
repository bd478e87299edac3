//! Actions resolved to commits over git's smart HTTP protocol, as `git ls-remote` asks: no API, no API rate
//! limit, no token for a public repository.
//!
//! Per repository, once, whatever number of refs of it a tree names:
//!
//! 1. `GET SERVER/OWNER/REPO.git/info/refs?service=git-upload-pack` with `Git-Protocol: version=2`. A server
//!    that speaks protocol v2 (GitHub, GitHub Enterprise Server, `git http-backend` since git 2.18 when the
//!    header reaches it) answers with its capabilities; an older one with every ref it has (protocol v0).
//! 2. With v2, `POST SERVER/OWNER/REPO.git/git-upload-pack` with `command=ls-refs`, `peel` and a
//!    `ref-prefix` for `refs/tags/REF` and `refs/heads/REF` of each ref wanted: only those refs come back (a
//!    repository's full list, pull request refs included, can be megabytes).
//!
//! An annotated tag is peeled to the commit it names (`peeled:` in v2, the `^{}` line in v0). A ref that is
//! both a tag and a branch naming different commits is refused: git's own rule for a short name
//! (`git rev-parse`, `refs/tags/` before `refs/heads/`) would take the tag, while the Actions runner's
//! choice is not documented and has been reported both ways; which one a workflow runs is then up to the
//! repository's owner, which is what a pin is meant to end. Both naming the same commit is no ambiguity.
//!
//! `pin verify` asks whether a server still has a commit: with v2, a `fetch` for `want <commit>` (with
//! `deepen 1`, and `filter tree:0` where the server offers filters) and `done`: a server that has the
//! commit starts a pack (read up to its header, then the connection is dropped), one that does not answers
//! `ERR … not our ref`. With v0 only a commit that a branch or tag points at can be asked for; any other is
//! reported as not checkable rather than missing.
//!
//! Credentials are sent only after the server asks (401), only over HTTPS or to a host the user named with
//! `--insecure-registry`, and only to the host they were found for (redirects to another host drop them):
//! `GH_TOKEN` or `GITHUB_TOKEN` for `github.com`, then `~/.netrc` (`$NETRC`), then `git credential fill`
//! (run bounded, never prompting). They are never printed.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use futures_util::stream::{self, StreamExt};
use reqwest::{Method, StatusCode};

use super::auth::Secret;
use super::transport::{authority, header, Authorization, ClientOptions, Request, Transport};
use super::{escape, ResolveError};
use crate::reference::action::is_short_commit;

/// The server actions are looked up on unless `--actions-server` says otherwise.
pub const DEFAULT_SERVER: &str = "https://github.com";

/// The one host `GH_TOKEN` and `GITHUB_TOKEN` are sent to.
const GITHUB_HOST: &str = "github.com";

/// The most `pin` reads of a v0 ref advertisement (every ref of the repository).
const MAX_ADVERTISEMENT: usize = 64 << 20;

/// The most `pin` reads of a v2 answer to `ls-refs` for a few ref names, or of anything else.
const MAX_ANSWER: usize = 4 << 20;

/// One lookup: what a branch or tag names in one repository of one server.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ActionKey {
    /// `scheme://host[:port][/path]` without a final `/` (`https://github.com`).
    pub server: String,
    /// `OWNER/REPO`.
    pub repository: String,
    /// The branch or tag.
    pub git_ref: String,
}

impl ActionKey {
    /// The server's host and path, without the scheme: how keys are written (`github.com`).
    pub fn host(&self) -> &str {
        server_name(&self.server)
    }
}

/// `github.com/actions/checkout@v4`: messages and the lockfile.
impl std::fmt::Display for ActionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}@{}", self.host(), self.repository, self.git_ref)
    }
}

/// `server` without its scheme.
pub fn server_name(server: &str) -> &str {
    server
        .split_once("://")
        .map_or(server, |(_, rest)| rest)
        .trim_end_matches('/')
}

/// What a ref resolved to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commit {
    /// 40 lowercase hexadecimal digits.
    pub commit: String,
    /// Whether the ref is a tag or a branch.
    pub kind: RefKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefKind {
    Tag,
    Branch,
    /// Read from the lockfile (`--offline`), which does not say.
    Recorded,
}

/// Every action lookup's outcome.
pub type ActionResolutions = BTreeMap<ActionKey, Result<Commit, ResolveError>>;

/// A repository's refs as the server listed them: `refs/...` → (object, peeled commit of an annotated tag).
#[derive(Debug, Default)]
struct Refs {
    refs: HashMap<String, (String, Option<String>)>,
}

impl Refs {
    /// The commit `name` names under `prefix` (`refs/tags/`), peeled.
    fn commit(&self, prefix: &str, name: &str) -> Option<String> {
        let (oid, peeled) = self.refs.get(&format!("{prefix}{name}"))?;
        Some(peeled.as_deref().unwrap_or(oid).to_ascii_lowercase())
    }

    /// Whether a branch or tag points at `commit` (peeled).
    fn has_tip(&self, commit: &str) -> bool {
        self.refs.iter().any(|(name, (oid, peeled))| {
            (name.starts_with("refs/heads/") || name.starts_with("refs/tags/"))
                && peeled
                    .as_deref()
                    .unwrap_or(oid)
                    .eq_ignore_ascii_case(commit)
        })
    }
}

/// Why a wanted ref did not resolve, before the repository's name is added to the message.
fn select(refs: &Refs, wanted: &str) -> Result<Commit, String> {
    let tag = refs.commit("refs/tags/", wanted);
    let branch = refs.commit("refs/heads/", wanted);
    match (tag, branch) {
        (Some(t), Some(b)) if t != b => Err(format!(
            "{wanted} is both a tag (commit {t}) and a branch (commit {b}); git takes the tag for that \
             name, and which one the Actions runner takes is not documented: pinned to neither (pin it by \
             hand, or ask the repository's owner to rename one)"
        )),
        (Some(commit), _) => Ok(Commit {
            commit,
            kind: RefKind::Tag,
        }),
        (None, Some(commit)) => Ok(Commit {
            commit,
            kind: RefKind::Branch,
        }),
        (None, None) if is_short_commit(wanted) => Err(format!(
            "has no branch or tag {wanted}; a shortened commit id is not resolved (the runner refuses \
             one): write the commit's full 40 hexadecimal digits"
        )),
        (None, None) => Err(format!("has no branch or tag {wanted}")),
    }
}

// ---- pkt-line -------------------------------------------------------------------------------------------

/// One pkt-line.
#[derive(Debug, PartialEq, Eq)]
enum Pkt<'a> {
    Data(&'a [u8]),
    /// `0000`.
    Flush,
    /// `0001` (v2: between a command's capabilities and its arguments, and between sections).
    Delim,
    /// `0002` (v2: end of a stateless response).
    End,
}

/// The first pkt-line of `buf` and the bytes it took, or `None` when `buf` does not hold a whole one yet.
fn next_pkt(buf: &[u8]) -> Result<Option<(Pkt<'_>, usize)>, String> {
    if buf.len() < 4 {
        return Ok(None);
    }
    let len = std::str::from_utf8(&buf[..4])
        .ok()
        .and_then(|h| usize::from_str_radix(h, 16).ok())
        .filter(|_| buf[..4].iter().all(u8::is_ascii_hexdigit))
        .ok_or_else(|| "not git's pkt-line format".to_string())?;
    match len {
        0 => Ok(Some((Pkt::Flush, 4))),
        1 => Ok(Some((Pkt::Delim, 4))),
        2 => Ok(Some((Pkt::End, 4))),
        3 => Err("not git's pkt-line format (a length of 3)".to_string()),
        n if buf.len() < n => Ok(None),
        n => Ok(Some((Pkt::Data(&buf[4..n]), n))),
    }
}

/// Every pkt-line of a whole answer.
fn pkt_lines(mut body: &[u8]) -> Result<Vec<Pkt<'_>>, String> {
    let mut out = Vec::new();
    while !body.is_empty() {
        let (pkt, used) =
            next_pkt(body)?.ok_or_else(|| "the answer ends inside a pkt-line".to_string())?;
        out.push(pkt);
        body = &body[used..];
    }
    Ok(out)
}

/// A data line as text, without its final `\n`.
fn text(line: &[u8]) -> Result<&str, String> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    std::str::from_utf8(line).map_err(|_| "a pkt-line that is not UTF-8 text".to_string())
}

/// A pkt-line with its length prefix.
fn pkt(out: &mut Vec<u8>, line: &str) {
    out.extend_from_slice(format!("{:04x}", line.len() + 4).as_bytes());
    out.extend_from_slice(line.as_bytes());
}

/// What `info/refs` answered.
#[derive(Debug)]
enum Advertisement {
    /// Protocol v2: the server's capabilities (`ls-refs=unborn`, `fetch=shallow filter`, …).
    V2 { capabilities: Vec<String> },
    /// Protocol v0: every ref.
    V0 {
        refs: Refs,
        capabilities: Vec<String>,
    },
}

fn parse_advertisement(body: &[u8]) -> Result<Advertisement, String> {
    let mut pkts = pkt_lines(body)?.into_iter().peekable();
    // Smart HTTP starts with `# service=git-upload-pack` and a flush.
    if let Some(Pkt::Data(first)) = pkts.peek() {
        if text(first)?.starts_with("# service=") {
            pkts.next();
            if pkts.next() != Some(Pkt::Flush) {
                return Err("no flush after the service line".to_string());
            }
        }
    }
    if let Some(Pkt::Data(first)) = pkts.peek() {
        if text(first)? == "version 2" {
            pkts.next();
            let mut capabilities = Vec::new();
            for p in pkts {
                match p {
                    Pkt::Data(line) => capabilities.push(text(line)?.to_string()),
                    _ => break,
                }
            }
            return Ok(Advertisement::V2 { capabilities });
        }
        if text(first)? == "version 1" {
            pkts.next();
        }
    }
    let mut refs = Refs::default();
    let mut capabilities = Vec::new();
    for p in pkts {
        let Pkt::Data(line) = p else { break };
        let (line, caps) = match line.iter().position(|b| *b == 0) {
            Some(nul) => (&line[..nul], Some(&line[nul + 1..])),
            None => (line, None),
        };
        if let Some(caps) = caps {
            capabilities = text(caps)?.split(' ').map(str::to_string).collect();
        }
        let line = text(line)?;
        let (oid, name) = line
            .split_once(' ')
            .ok_or_else(|| format!("a ref line without a name: {}", escape(line)))?;
        if name == "capabilities^{}" {
            continue;
        }
        match name.strip_suffix("^{}") {
            Some(tag) => {
                if let Some(entry) = refs.refs.get_mut(tag) {
                    entry.1 = Some(oid.to_string());
                }
            }
            None => {
                refs.refs.insert(name.to_string(), (oid.to_string(), None));
            }
        }
    }
    Ok(Advertisement::V0 { refs, capabilities })
}

/// The refs of an `ls-refs` answer: `OID NAME[ peeled:OID][ symref-target:…]` lines up to a flush.
fn parse_ls_refs(body: &[u8]) -> Result<Refs, String> {
    let mut refs = Refs::default();
    for p in pkt_lines(body)? {
        let Pkt::Data(line) = p else { break };
        let line = text(line)?;
        if let Some(message) = line.strip_prefix("ERR ") {
            return Err(format!(
                "the server refused to list refs: {}",
                escape(message)
            ));
        }
        let mut words = line.split(' ');
        let (Some(oid), Some(name)) = (words.next(), words.next()) else {
            return Err(format!("a ref line without a name: {}", escape(line)));
        };
        if oid == "unborn" {
            continue;
        }
        let peeled = words
            .find_map(|w| w.strip_prefix("peeled:"))
            .map(str::to_string);
        refs.refs
            .insert(name.to_string(), (oid.to_string(), peeled));
    }
    Ok(refs)
}

/// The object format a server announces (`object-format=sha256`), when it is not SHA-1: its commit ids are
/// not the 40 hexadecimal digits a `uses:` holds.
fn other_object_format(capabilities: &[String]) -> Option<&str> {
    capabilities
        .iter()
        .find_map(|c| c.strip_prefix("object-format="))
        .filter(|f| *f != "sha1")
}

/// Whether a v2 command capability (`fetch=shallow filter`) offers `feature`.
fn offers(capabilities: &[String], command: &str, feature: &str) -> bool {
    capabilities.iter().any(|c| {
        c.strip_prefix(command)
            .and_then(|rest| rest.strip_prefix('='))
            .is_some_and(|features| features.split(' ').any(|f| f == feature))
    })
}

// ---- credentials ----------------------------------------------------------------------------------------

/// A credential for a git server and where it came from (for messages).
#[derive(Clone, Debug)]
pub struct GitCredential {
    pub username: String,
    pub password: Secret,
    pub source: String,
}

impl GitCredential {
    fn header(&self) -> Authorization {
        let pair = format!("{}:{}", self.username, self.password.0);
        let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
        Authorization::Header(Secret(format!("Basic {encoded}")))
    }
}

/// Where credentials for a git server are looked for. May block (`git credential fill` is a process): call
/// it off the async runtime.
pub trait GitCredentials: Send + Sync {
    /// `host` is `host[:port]`, `path` the repository's path (`OWNER/REPO.git`).
    fn lookup(&self, host: &str, path: &str) -> Result<Option<GitCredential>, String>;
}

/// The usual places, in order: `GH_TOKEN` or `GITHUB_TOKEN` (for `github.com` only, as the GitHub CLI reads
/// them), the netrc file (`$NETRC`, else `~/.netrc`: the `machine` of the host, else `default`), then
/// `git credential fill` (git's configured helpers; with prompts disabled, `GIT_TERMINAL_PROMPT=0` and no
/// askpass program, so it never waits for a person), bounded by `helper_timeout` and 1 MiB of output.
pub struct UsualGitCredentials {
    pub helper_timeout: Duration,
}

impl GitCredentials for UsualGitCredentials {
    fn lookup(&self, host: &str, path: &str) -> Result<Option<GitCredential>, String> {
        if host == GITHUB_HOST {
            for var in ["GH_TOKEN", "GITHUB_TOKEN"] {
                if let Some(token) = std::env::var(var).ok().filter(|t| !t.is_empty()) {
                    return Ok(Some(GitCredential {
                        username: "x-access-token".to_string(),
                        password: Secret(token),
                        source: format!("${var}"),
                    }));
                }
            }
        }
        if let Some(c) = netrc_credential(host)? {
            return Ok(Some(c));
        }
        Ok(git_credential_fill(host, path, self.helper_timeout))
    }
}

/// The netrc file's entry for `host` (its name without the port, as curl matches it).
fn netrc_credential(host: &str) -> Result<Option<GitCredential>, String> {
    let env = std::env::var_os("NETRC").filter(|v| !v.is_empty());
    let (path, shown) = match env {
        Some(p) => {
            let p = std::path::PathBuf::from(p);
            let shown = p.display().to_string();
            (p, shown)
        }
        None => match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
            Some(home) => (
                std::path::Path::new(&home).join(".netrc"),
                "~/.netrc".to_string(),
            ),
            None => return Ok(None),
        },
    };
    if !path.is_file() {
        return Ok(None);
    }
    // The parser's own messages may quote a token of the file: only say which file.
    let parsed = netrc::Netrc::from_file(&path)
        .map_err(|_| format!("{shown} cannot be read as a netrc file; fix it or move it away"))?;
    let name = host_name(host);
    let entry = parsed
        .hosts
        .get(name)
        .or_else(|| parsed.hosts.get("default"));
    Ok(entry
        .filter(|a| !a.password.is_empty())
        .map(|a| GitCredential {
            username: a.login.clone(),
            password: Secret(a.password.clone()),
            source: shown,
        }))
}

/// `host[:port]` without the port.
fn host_name(host: &str) -> &str {
    if host.starts_with('[') {
        return host.split_once(']').map_or(host, |(h, _)| &h[1..]);
    }
    host.rsplit_once(':').map_or(host, |(h, _)| h)
}

/// What `git credential fill` answers for `https://host/path`, if anything. A git that is not installed,
/// a helper that has nothing, or any failure, is no credential: the server's 401 is then the message.
fn git_credential_fill(host: &str, path: &str, limit: Duration) -> Option<GitCredential> {
    let mut cmd = std::process::Command::new("git");
    cmd.args(["credential", "fill"])
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_ASKPASS", "")
        .env("SSH_ASKPASS", "")
        .env("GCM_INTERACTIVE", "never");
    let input = format!("protocol=https\nhost={host}\npath={path}\n\n");
    let done = super::helper::run(cmd, input.as_bytes(), limit).ok()?;
    if !done.success {
        return None;
    }
    let out = String::from_utf8(done.stdout).ok()?;
    let field = |key: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
            .map(str::to_string)
    };
    let password = field("password").filter(|p| !p.is_empty())?;
    Some(GitCredential {
        username: field("username").unwrap_or_default(),
        password: Secret(password),
        source: "git credential fill".to_string(),
    })
}

// ---- the client -----------------------------------------------------------------------------------------

/// Requests made, for `-v`.
#[derive(Debug, Default)]
pub struct GitStats {
    pub info_refs: AtomicUsize,
    pub ls_refs: AtomicUsize,
    pub fetch: AtomicUsize,
}

impl GitStats {
    pub fn summary(&self) -> String {
        format!(
            "git: {} info/refs, {} ls-refs, {} fetch",
            self.info_refs.load(Ordering::Relaxed),
            self.ls_refs.load(Ordering::Relaxed),
            self.fetch.load(Ordering::Relaxed)
        )
    }
}

/// Per (server, repository, commit): whether the server still has it.
pub type Holdings = BTreeMap<(String, String, String), Result<Held, ResolveError>>;

/// Whether a server still has a commit (`pin verify`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Held {
    Present,
    Missing,
}

/// Asks git servers over smart HTTP.
pub struct GitClient {
    transport: Transport,
    credentials: Arc<dyn GitCredentials>,
    /// Per host: the credential found after a 401 (`None`: none found), so each host is looked up once.
    found: tokio::sync::Mutex<HashMap<String, Option<GitCredential>>>,
    /// Hosts that asked for credentials: later requests to them carry the credential at once.
    asked: Mutex<std::collections::HashSet<String>>,
    jobs: usize,
    pub stats: GitStats,
}

/// A server's answer to one request, and which credential (if any) went with it.
struct Answer {
    response: reqwest::Response,
}

impl GitClient {
    pub fn new(
        options: ClientOptions,
        credentials: Arc<dyn GitCredentials>,
        jobs: usize,
    ) -> Result<GitClient, ResolveError> {
        Ok(GitClient {
            transport: Transport::new(options)?,
            credentials,
            found: Default::default(),
            asked: Default::default(),
            jobs: jobs.max(1),
            stats: GitStats::default(),
        })
    }

    /// Checks that `server` may be asked: `https://`, or `http://` for a host named insecure.
    pub fn check_server(&self, server: &str) -> Result<(), ResolveError> {
        let url = reqwest::Url::parse(server).map_err(|e| {
            ResolveError::Config(format!("--actions-server {}: {e}", escape(server)))
        })?;
        let host = authority(server);
        match url.scheme() {
            "https" if !host.is_empty() => Ok(()),
            "http" if self.transport.is_insecure(&host) => Ok(()),
            "http" => Err(ResolveError::Config(format!(
                "--actions-server {}: plain HTTP only for a host named with --insecure-registry {host}",
                escape(server)
            ))),
            _ => Err(ResolveError::Config(format!(
                "--actions-server {}: give an https:// URL (e.g. https://github.example.com)",
                escape(server)
            ))),
        }
    }

    /// Sends one request to `url` (of the repository `path` on `host`), with the host's credential once the
    /// host has asked for one.
    async fn send(
        &self,
        request: &Request<'_>,
        host: &str,
        path: &str,
        counter: &AtomicUsize,
    ) -> Result<Answer, ResolveError> {
        let asked = self.asked.lock().expect("asked poisoned").contains(host);
        let mut auth = Authorization::None;
        let mut credential = None;
        if asked {
            credential = self.credential(host, path).await?;
            if let Some(c) = &credential {
                auth = c.header();
            }
        }
        let mut response = self.transport.send(request, &auth, counter).await?;
        if response.status() == StatusCode::UNAUTHORIZED && credential.is_none() {
            self.asked
                .lock()
                .expect("asked poisoned")
                .insert(host.to_string());
            credential = self.credential(host, path).await?;
            if let Some(c) = &credential {
                response = self.transport.send(request, &c.header(), counter).await?;
            }
        }
        if response.status() == StatusCode::UNAUTHORIZED {
            return Err(ResolveError::Unauthorized(match credential {
                Some(c) => format!(
                    "{host}/{path}: the server refused the credentials of {:?} from {}",
                    c.username, c.source
                ),
                None => format!(
                    "{host}/{path}: the server asks for credentials (401) and none were found (GH_TOKEN or \
                     GITHUB_TOKEN for github.com, ~/.netrc, a git credential helper); a repository that does \
                     not exist may be answered so too"
                ),
            }));
        }
        Ok(Answer { response })
    }

    /// The credential for `host`, looked up once; `None` for a host reached over plain HTTP that the user
    /// did not name (a configuration file's), which is never sent one.
    async fn credential(
        &self,
        host: &str,
        path: &str,
    ) -> Result<Option<GitCredential>, ResolveError> {
        if self.transport.is_insecure(host) && !self.transport.credentials_in_clear(host) {
            return Ok(None);
        }
        let mut found = self.found.lock().await;
        if let Some(c) = found.get(host) {
            return Ok(c.clone());
        }
        let credentials = Arc::clone(&self.credentials);
        let (h, p) = (host.to_string(), path.to_string());
        let looked = tokio::task::spawn_blocking(move || credentials.lookup(&h, &p))
            .await
            .map_err(|e| ResolveError::Config(format!("credential lookup: {e}")))?
            .map_err(ResolveError::Config)?;
        found.insert(host.to_string(), looked.clone());
        Ok(looked)
    }

    /// What `info/refs` answers for `repository` on `server`.
    async fn advertisement(
        &self,
        server: &str,
        repository: &str,
    ) -> Result<Advertisement, ResolveError> {
        let host = authority(server);
        let path = format!("{repository}.git");
        let url = format!("{server}/{path}/info/refs?service=git-upload-pack");
        let request = Request {
            headers: &[("Git-Protocol", "version=2")],
            ..Request::new(Method::GET, &url)
        };
        let answer = self
            .send(&request, &host, &path, &self.stats.info_refs)
            .await?;
        let name = format!("{}/{repository}", server_name(server));
        let response = checked(answer.response, &name, "x-git-upload-pack-advertisement")?;
        let body = self
            .transport
            .read_body_within(response, &host, MAX_ADVERTISEMENT)
            .await?;
        parse_advertisement(&body).map_err(|e| ResolveError::Registry(format!("{name}: {e}")))
    }

    /// A v2 command's answer.
    async fn command(
        &self,
        server: &str,
        repository: &str,
        body: &[u8],
        counter: &AtomicUsize,
    ) -> Result<reqwest::Response, ResolveError> {
        let host = authority(server);
        let path = format!("{repository}.git");
        let url = format!("{server}/{path}/git-upload-pack");
        let request = Request {
            accept: Some("application/x-git-upload-pack-result"),
            body: Some(("application/x-git-upload-pack-request", body)),
            headers: &[("Git-Protocol", "version=2")],
            ..Request::new(Method::POST, &url)
        };
        let answer = self.send(&request, &host, &path, counter).await?;
        let name = format!("{}/{repository}", server_name(server));
        checked(answer.response, &name, "x-git-upload-pack-result")
    }

    /// The refs of `repository` named `wanted` (as tags and as branches).
    async fn refs(
        &self,
        server: &str,
        repository: &str,
        wanted: &[&str],
    ) -> Result<Refs, ResolveError> {
        let name = format!("{}/{repository}", server_name(server));
        match self.advertisement(server, repository).await? {
            Advertisement::V0 { refs, capabilities } => {
                sha1_only(&capabilities, &name)?;
                Ok(refs)
            }
            Advertisement::V2 { capabilities } => {
                sha1_only(&capabilities, &name)?;
                let mut body = Vec::new();
                pkt(&mut body, "command=ls-refs\n");
                body.extend_from_slice(b"0001");
                pkt(&mut body, "peel\n");
                for w in wanted {
                    pkt(&mut body, &format!("ref-prefix refs/tags/{w}\n"));
                    pkt(&mut body, &format!("ref-prefix refs/heads/{w}\n"));
                }
                body.extend_from_slice(b"0000");
                let response = self
                    .command(server, repository, &body, &self.stats.ls_refs)
                    .await?;
                let host = authority(server);
                let answer = self
                    .transport
                    .read_body_within(response, &host, MAX_ANSWER)
                    .await?;
                parse_ls_refs(&answer).map_err(|e| ResolveError::Registry(format!("{name}: {e}")))
            }
        }
    }

    /// Resolves every key, each repository asked once for all its refs, at most `jobs` repositories at once.
    pub async fn resolve_all(
        &self,
        keys: impl IntoIterator<Item = ActionKey>,
        progress: &mut dyn FnMut(usize, usize),
    ) -> ActionResolutions {
        let mut by_repo: BTreeMap<(String, String), Vec<ActionKey>> = BTreeMap::new();
        for key in keys {
            by_repo
                .entry((key.server.clone(), key.repository.clone()))
                .or_default()
                .push(key);
        }
        let total = by_repo.len();
        let mut answers = stream::iter(by_repo)
            .map(|((server, repository), keys)| async move {
                let wanted: Vec<&str> = keys.iter().map(|k| k.git_ref.as_str()).collect();
                let refs = self.refs(&server, &repository, &wanted).await;
                let name = format!("{}/{repository}", server_name(&server));
                keys.into_iter()
                    .map(|key| {
                        let result = match &refs {
                            Err(e) => Err(e.clone()),
                            Ok(refs) => select(refs, &key.git_ref).map_err(|why| {
                                ResolveError::from(super::Missing::Ref {
                                    repository: name.clone(),
                                    why,
                                })
                            }),
                        };
                        (key, result)
                    })
                    .collect::<Vec<_>>()
            })
            .buffer_unordered(self.jobs);
        let mut out = ActionResolutions::new();
        let mut done = 0;
        while let Some(results) = answers.next().await {
            out.extend(results);
            done += 1;
            progress(done, total);
        }
        out
    }

    /// Whether `server` still has each commit of `repository`, one request per commit after the
    /// repository's first.
    pub async fn verify_all(
        &self,
        pins: impl IntoIterator<Item = (String, String, String)>,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Holdings {
        let pins: Vec<_> = pins.into_iter().collect();
        let total = pins.len();
        let mut answers = stream::iter(pins)
            .map(|pin| async move {
                let held = self.holds(&pin.0, &pin.1, &pin.2).await;
                (pin, held)
            })
            .buffer_unordered(self.jobs);
        let mut out = BTreeMap::new();
        while let Some((pin, held)) = answers.next().await {
            out.insert(pin, held);
            progress(out.len(), total);
        }
        out
    }

    /// Whether `server` has `commit` in `repository` (see the module documentation).
    async fn holds(
        &self,
        server: &str,
        repository: &str,
        commit: &str,
    ) -> Result<Held, ResolveError> {
        let name = format!("{}/{repository}", server_name(server));
        let capabilities = match self.advertisement(server, repository).await? {
            Advertisement::V0 { refs, capabilities } => {
                sha1_only(&capabilities, &name)?;
                if refs.has_tip(commit) {
                    return Ok(Held::Present);
                }
                return Err(ResolveError::Registry(format!(
                    "{name}: no branch or tag points at {commit}, and the server speaks only git's protocol \
                     v0, in which any other commit is refused whether it exists or not: cannot tell"
                )));
            }
            Advertisement::V2 { capabilities } => capabilities,
        };
        sha1_only(&capabilities, &name)?;
        let mut body = Vec::new();
        pkt(&mut body, "command=fetch\n");
        body.extend_from_slice(b"0001");
        pkt(&mut body, &format!("want {commit}\n"));
        if offers(&capabilities, "fetch", "shallow") {
            pkt(&mut body, "deepen 1\n");
        }
        if offers(&capabilities, "fetch", "filter") {
            pkt(&mut body, "filter tree:0\n");
        }
        pkt(&mut body, "no-progress\n");
        pkt(&mut body, "done\n");
        body.extend_from_slice(b"0000");
        let mut response = self
            .command(server, repository, &body, &self.stats.fetch)
            .await?;
        let host = authority(server);
        let mut buf: Vec<u8> = Vec::new();
        let mut in_pack = false;
        loop {
            while let Some((p, used)) =
                next_pkt(&buf).map_err(|e| ResolveError::Registry(format!("{name}: {e}")))?
            {
                match p {
                    Pkt::Data(line) if in_pack => match line.first() {
                        Some(1) if line[1..].starts_with(b"PACK") => return Ok(Held::Present),
                        Some(3) => {
                            let m = String::from_utf8_lossy(&line[1..]).into_owned();
                            return Err(ResolveError::Registry(format!(
                                "{name}: the server failed to send {commit}: {}",
                                escape(m.trim())
                            )));
                        }
                        _ => {}
                    },
                    Pkt::Data(line) => {
                        let line = String::from_utf8_lossy(line).into_owned();
                        let line = line.trim_end();
                        if let Some(message) = line.strip_prefix("ERR ") {
                            if message.contains("not our ref") {
                                return Ok(Held::Missing);
                            }
                            return Err(ResolveError::Registry(format!(
                                "{name}: the server refused to send {commit}: {}",
                                escape(message)
                            )));
                        }
                        if line == "packfile" {
                            in_pack = true;
                        }
                    }
                    Pkt::Flush | Pkt::Delim | Pkt::End => {}
                }
                buf.drain(..used);
            }
            if buf.len() > MAX_ANSWER {
                break;
            }
            match self.transport.next_chunk(&mut response, &host).await? {
                Some(chunk) => buf.extend_from_slice(&chunk),
                None => break,
            }
        }
        Err(ResolveError::Registry(format!(
            "{name}: the server's answer to a fetch of {commit} ended without a pack or an error"
        )))
    }
}

/// Refuses a repository whose commit ids are not SHA-1.
fn sha1_only(capabilities: &[String], name: &str) -> Result<(), ResolveError> {
    match other_object_format(capabilities) {
        Some(format) => Err(ResolveError::Registry(format!(
            "{name} uses {} object ids; a `uses:` pin is a 40-digit SHA-1 commit id",
            escape(format)
        ))),
        None => Ok(()),
    }
}

/// The response if it is a git smart-HTTP answer of `kind`; a message naming the repository otherwise.
fn checked(
    response: reqwest::Response,
    name: &str,
    kind: &str,
) -> Result<reqwest::Response, ResolveError> {
    let status = response.status();
    if status == StatusCode::NOT_FOUND {
        return Err(ResolveError::from(super::Missing::Repository {
            repository: name.to_string(),
        }));
    }
    if status == StatusCode::FORBIDDEN {
        return Err(ResolveError::Unauthorized(format!(
            "{name}: the server refused access (403)"
        )));
    }
    if !status.is_success() {
        return Err(ResolveError::Registry(format!(
            "{name}: the server answered {status}"
        )));
    }
    let content_type = header(response.headers(), "content-type").unwrap_or_default();
    if content_type != format!("application/{kind}") {
        return Err(ResolveError::Registry(format!(
            "{name}: not a git smart-HTTP server (it answered with {:?}, not application/{kind}); \
             --actions-server names a server with the OWNER/REPO.git layout of GitHub",
            escape(&content_type)
        )));
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkts(lines: &[&str]) -> Vec<u8> {
        let mut out = Vec::new();
        for l in lines {
            match *l {
                "0000" | "0001" | "0002" => out.extend_from_slice(l.as_bytes()),
                l => pkt(&mut out, l),
            }
        }
        out
    }

    const A: &str = "1111111111111111111111111111111111111111";
    const B: &str = "2222222222222222222222222222222222222222";
    const T: &str = "3333333333333333333333333333333333333333";

    #[test]
    fn pkt_lines_are_read_and_refused() {
        let body = pkts(&["# service=git-upload-pack\n", "0000", "version 2\n", "0000"]);
        assert_eq!(pkt_lines(&body).unwrap().len(), 4);
        assert!(pkt_lines(b"0003").is_err());
        assert!(pkt_lines(b"00zz").is_err());
        assert!(pkt_lines(b"0009ab").is_err(), "ends inside a line");
        assert_eq!(next_pkt(b"00").unwrap(), None);
    }

    #[test]
    fn v0_advertisements_peel_annotated_tags() {
        let first = format!("{A} HEAD\0multi_ack symref=HEAD:refs/heads/main object-format=sha1\n");
        let body = pkts(&[
            "# service=git-upload-pack\n",
            "0000",
            &first,
            &format!("{A} refs/heads/main\n"),
            &format!("{B} refs/heads/v1\n"),
            &format!("{T} refs/tags/v1\n"),
            &format!("{A} refs/tags/v1^{{}}\n"),
            &format!("{B} refs/tags/light\n"),
            "0000",
        ]);
        let Advertisement::V0 { refs, capabilities } = parse_advertisement(&body).unwrap() else {
            panic!("v0");
        };
        assert!(capabilities.contains(&"object-format=sha1".to_string()));
        assert_eq!(
            refs.commit("refs/tags/", "v1").as_deref(),
            Some(A),
            "peeled"
        );
        assert_eq!(refs.commit("refs/tags/", "light").as_deref(), Some(B));
        assert!(refs.has_tip(A) && refs.has_tip(B) && !refs.has_tip(T));
        assert!(select(&refs, "v1").unwrap_err().contains("both a tag"));
        assert_eq!(select(&refs, "main").unwrap().kind, RefKind::Branch);
        assert!(select(&refs, "nope")
            .unwrap_err()
            .contains("no branch or tag nope"));
        assert!(select(&refs, "a81bbbf")
            .unwrap_err()
            .contains("shortened commit id"));
    }

    #[test]
    fn v2_capabilities_and_ls_refs() {
        let body = pkts(&[
            "# service=git-upload-pack\n",
            "0000",
            "version 2\n",
            "agent=git/2.47\n",
            "ls-refs=unborn\n",
            "fetch=shallow wait-for-done filter\n",
            "object-format=sha1\n",
            "0000",
        ]);
        let Advertisement::V2 { capabilities } = parse_advertisement(&body).unwrap() else {
            panic!("v2");
        };
        assert!(offers(&capabilities, "fetch", "shallow"));
        assert!(offers(&capabilities, "fetch", "filter"));
        assert!(!offers(&capabilities, "ls-refs", "filter"));
        assert_eq!(other_object_format(&capabilities), None);
        assert_eq!(
            other_object_format(&["object-format=sha256".to_string()]),
            Some("sha256")
        );
        let answer = pkts(&[
            &format!("{T} refs/tags/v2 peeled:{B}\n"),
            &format!("{B} refs/heads/v2\n"),
            &format!("{A} refs/tags/v2.1\n"),
            "unborn HEAD symref-target:refs/heads/main\n",
            "0000",
        ]);
        let refs = parse_ls_refs(&answer).unwrap();
        let c = select(&refs, "v2").unwrap();
        assert_eq!(
            (c.commit.as_str(), c.kind),
            (B, RefKind::Tag),
            "same commit: no ambiguity"
        );
        assert_eq!(select(&refs, "v2.1").unwrap().commit, A);
        assert!(parse_ls_refs(&pkts(&["ERR nope\n"])).is_err());
    }

    #[test]
    fn keys_and_hosts() {
        let key = ActionKey {
            server: DEFAULT_SERVER.to_string(),
            repository: "actions/checkout".into(),
            git_ref: "v4".into(),
        };
        assert_eq!(key.to_string(), "github.com/actions/checkout@v4");
        assert_eq!(
            server_name("http://127.0.0.1:8080/git/"),
            "127.0.0.1:8080/git"
        );
        assert_eq!(host_name("127.0.0.1:8080"), "127.0.0.1");
        assert_eq!(host_name("[::1]:8080"), "::1");
        assert_eq!(host_name("github.com"), "github.com");
    }
}
