//! A real git server for the actions tests: `git http-backend` (the smart-HTTP server that ships with git,
//! found in `git --exec-path`) run as a CGI program, one process per request, behind a small HTTP/1.1
//! server on 127.0.0.1 that keeps connections alive. The server only forwards: every git answer is
//! http-backend's own.
//!
//! ```ignore
//! let git = GitServer::start(GitOptions::default());   // plain HTTP, protocol v2, no auth
//! let repo = git.repo("actions/checkout");               // a bare repository, with a work tree to commit from
//! let c1 = repo.commit("first");                          // the new commit's id, from git rev-parse
//! repo.tag("v1");                                         // lightweight, at HEAD
//! repo.annotated_tag("v1.0.0", "release");               // annotated, at HEAD
//! repo.branch("releases/v1");                             // a branch at HEAD
//! repo.push();                                            // pushes every branch and tag (forced)
//! git.url();                                              // http://127.0.0.1:PORT
//! git.requests();                                         // every request served, in order
//! ```
//!
//! Options: `tls` serves HTTPS with a certificate from a throwaway CA ([`GitServer::ca_pem_path`]);
//! `basic_auth` requires [`super::USER`]/[`super::PASSWORD`] (401 with a `Basic` challenge otherwise, as a
//! web server in front of http-backend would); `v2: false` does not pass the `Git-Protocol` header to
//! http-backend, so it speaks protocol v0; `filter` sets `uploadpack.allowFilter`; `throttled` answers the
//! first that many requests `429 Too Many Requests` with `Retry-After: 1`, as a server that rate-limits does;
//! `latency` delays every answer (a distant server's round trip, for the benchmark).
//!
//! Expected values come from `git rev-parse` in the bare repository ([`GitRepo::rev_parse`]), never from
//! `pin`.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::pki::ServerPki;
use super::{PASSWORD, USER};

/// How the server is set up.
#[derive(Clone, Copy, Debug)]
pub struct GitOptions {
    pub tls: bool,
    pub basic_auth: bool,
    pub v2: bool,
    pub filter: bool,
    pub throttled: usize,
    pub latency: Duration,
}

impl Default for GitOptions {
    fn default() -> GitOptions {
        GitOptions {
            tls: false,
            basic_auth: false,
            v2: true,
            filter: false,
            throttled: 0,
            latency: Duration::ZERO,
        }
    }
}

/// One request the server answered.
#[derive(Clone, Debug)]
pub struct GitRequest {
    pub method: String,
    /// The path and query.
    pub target: String,
    /// The `Git-Protocol` header, if any.
    pub protocol: Option<String>,
    /// The Basic user presented, if any.
    pub user: Option<String>,
    pub status: u16,
    /// Which connection (in accept order) carried it.
    pub connection: usize,
}

struct Shared {
    root: PathBuf,
    home: PathBuf,
    backend: PathBuf,
    options: GitOptions,
    stop: AtomicBool,
    requests: Mutex<Vec<GitRequest>>,
    throttled: AtomicUsize,
}

pub struct GitServer {
    addr: SocketAddr,
    dir: tempfile::TempDir,
    shared: Arc<Shared>,
    ca_pem: Option<PathBuf>,
}

/// Runs git with an environment of its own: no user or system configuration leaks in.
pub fn git(home: &Path, dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "pin tests")
        .env("GIT_AUTHOR_EMAIL", "tests@pin.invalid")
        .env("GIT_COMMITTER_NAME", "pin tests")
        .env("GIT_COMMITTER_EMAIL", "tests@pin.invalid")
        .output()
        .unwrap_or_else(|e| panic!("git {args:?}: {e} (is git installed?)"));
    assert!(
        out.status.success(),
        "git {args:?} in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

impl GitServer {
    pub fn start(options: GitOptions) -> GitServer {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repos");
        let home = dir.path().join("home");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::create_dir_all(&home).unwrap();
        let exec_path = git(&home, dir.path(), &["--exec-path"]);
        let backend = Path::new(&exec_path).join("git-http-backend");
        assert!(
            backend.is_file(),
            "{} is missing: git's http-backend is part of git",
            backend.display()
        );
        let (tls, ca_pem) = if options.tls {
            let pki = ServerPki::generate();
            let ca = dir.path().join("ca.pem");
            std::fs::write(&ca, &pki.ca_pem).unwrap();
            (Some(pki.server_config(&[b"http/1.1"])), Some(ca))
        } else {
            (None, None)
        };
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            root,
            home,
            backend,
            options,
            stop: AtomicBool::new(false),
            requests: Mutex::new(Vec::new()),
            throttled: AtomicUsize::new(0),
        });
        let accept = Arc::clone(&shared);
        std::thread::spawn(move || {
            for (n, stream) in listener.incoming().enumerate() {
                if accept.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let shared = Arc::clone(&accept);
                let tls = tls.clone();
                std::thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                    match tls {
                        None => shared.serve(stream, n),
                        Some(config) => {
                            if let Ok(conn) = rustls::ServerConnection::new(config) {
                                shared.serve(rustls::StreamOwned::new(conn, stream), n);
                            }
                        }
                    }
                });
            }
        });
        GitServer {
            addr,
            dir,
            shared,
            ca_pem,
        }
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// `http://127.0.0.1:PORT` (or `https://` with TLS).
    pub fn url(&self) -> String {
        let scheme = if self.shared.options.tls {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addr)
    }

    pub fn ca_pem_path(&self) -> Option<&Path> {
        self.ca_pem.as_deref()
    }

    pub fn requests(&self) -> Vec<GitRequest> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// A new bare repository `OWNER/REPO` (served as `/OWNER/REPO.git`) with a work tree to build it in.
    pub fn repo(&self, name: &str) -> GitRepo {
        let bare = self.shared.root.join(format!("{name}.git"));
        std::fs::create_dir_all(&bare).unwrap();
        let home = self.shared.home.clone();
        git(&home, &bare, &["init", "-q", "--bare", "-b", "main"]);
        if self.shared.options.filter {
            git(&home, &bare, &["config", "uploadpack.allowFilter", "true"]);
        }
        let work = self.dir.path().join("work").join(name.replace('/', "--"));
        std::fs::create_dir_all(&work).unwrap();
        git(&home, &work, &["init", "-q", "-b", "main"]);
        GitRepo { bare, work, home }
    }
}

impl Drop for GitServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

/// A bare repository and the work tree its commits are made in.
pub struct GitRepo {
    pub bare: PathBuf,
    work: PathBuf,
    home: PathBuf,
}

impl GitRepo {
    fn git(&self, args: &[&str]) -> String {
        git(&self.home, &self.work, args)
    }

    /// A new commit on the current branch (an empty one, with `message`); its id.
    pub fn commit(&self, message: &str) -> String {
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }

    /// A lightweight tag at HEAD (moved there if it exists).
    pub fn tag(&self, name: &str) {
        self.git(&["tag", "-f", name]);
    }

    /// An annotated tag at HEAD (moved there if it exists).
    pub fn annotated_tag(&self, name: &str, message: &str) {
        self.git(&["tag", "-f", "-a", name, "-m", message]);
    }

    /// A branch at HEAD (moved there if it exists); the current branch stays.
    pub fn branch(&self, name: &str) {
        self.git(&["branch", "-f", name]);
    }

    /// Resets the current branch to `commit`, dropping what came after it.
    pub fn reset(&self, commit: &str) {
        self.git(&["reset", "-q", "--hard", commit]);
    }

    /// Pushes every branch and tag to the bare repository, forced (so moved tags and rewritten branches
    /// replace what was there), and deletes there what the work tree no longer has.
    pub fn push(&self) {
        let bare = self.bare.display().to_string();
        self.git(&[
            "push",
            "-q",
            "--force",
            "--prune",
            &bare,
            "refs/heads/*:refs/heads/*",
            "refs/tags/*:refs/tags/*",
        ]);
    }

    /// What git itself says `rev` is in the bare repository (`v1^{commit}` peels a tag).
    pub fn rev_parse(&self, rev: &str) -> String {
        git(
            &self.home,
            &self.bare,
            &["rev-parse", "--verify", "-q", rev],
        )
    }

    /// Drops every object no ref reaches from the bare repository (as a server's garbage collection does).
    pub fn collect_garbage(&self) {
        git(
            &self.home,
            &self.bare,
            &["reflog", "expire", "--expire=now", "--all"],
        );
        git(&self.home, &self.bare, &["gc", "-q", "--prune=now"]);
    }

    /// Whether the bare repository still has `object`.
    pub fn has_object(&self, object: &str) -> bool {
        Command::new("git")
            .args(["cat-file", "-e", object])
            .current_dir(&self.bare)
            .env("HOME", &self.home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .status()
            .unwrap()
            .success()
    }
}

impl Shared {
    fn serve<S: Read + Write>(&self, stream: S, connection: usize) {
        let mut reader = BufReader::new(stream);
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let mut parts = line.split_whitespace();
            let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
                return;
            };
            let (method, target) = (method.to_string(), target.to_string());
            let mut headers = HashMap::new();
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 {
                    return;
                }
                let h = h.trim_end();
                if h.is_empty() {
                    break;
                }
                if let Some((k, v)) = h.split_once(':') {
                    headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                }
            }
            let length: usize = headers
                .get("content-length")
                .and_then(|l| l.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_err() {
                return;
            }
            let user = headers.get("authorization").and_then(|a| {
                let encoded = a.strip_prefix("Basic ")?;
                let decoded = String::from_utf8(STANDARD.decode(encoded).ok()?).ok()?;
                Some(decoded)
            });
            let authorized =
                !self.options.basic_auth || user.as_deref() == Some(&format!("{USER}:{PASSWORD}"));
            std::thread::sleep(self.options.latency);
            let throttle = self.throttled.fetch_add(1, Ordering::SeqCst) < self.options.throttled;
            let (status, response_headers, response_body) = if throttle {
                (
                    429,
                    vec![("Retry-After".to_string(), "1".to_string())],
                    b"too many requests\n".to_vec(),
                )
            } else if authorized {
                self.cgi(&method, &target, &headers, &body)
            } else {
                (
                    401,
                    vec![(
                        "WWW-Authenticate".to_string(),
                        "Basic realm=\"git\"".to_string(),
                    )],
                    b"authentication required\n".to_vec(),
                )
            };
            self.requests.lock().unwrap().push(GitRequest {
                method,
                target,
                protocol: headers.get("git-protocol").cloned(),
                user: user.map(|u| u.split(':').next().unwrap_or_default().to_string()),
                status,
                connection,
            });
            let mut head = format!(
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\n",
                response_body.len()
            );
            for (k, v) in response_headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            let stream = reader.get_mut();
            if stream.write_all(head.as_bytes()).is_err()
                || stream.write_all(&response_body).is_err()
                || stream.flush().is_err()
            {
                return;
            }
        }
    }

    /// Runs http-backend for one request: its status, headers and body.
    fn cgi(
        &self,
        method: &str,
        target: &str,
        headers: &HashMap<String, String>,
        body: &[u8],
    ) -> (u16, Vec<(String, String)>, Vec<u8>) {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let mut cmd = Command::new(&self.backend);
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_PROJECT_ROOT", &self.root)
            .env("GIT_HTTP_EXPORT_ALL", "1")
            .env("GATEWAY_INTERFACE", "CGI/1.1")
            .env("SERVER_PROTOCOL", "HTTP/1.1")
            .env("REQUEST_METHOD", method)
            .env("PATH_INFO", path)
            .env("QUERY_STRING", query)
            .env("REMOTE_ADDR", "127.0.0.1")
            .env("CONTENT_LENGTH", body.len().to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(t) = headers.get("content-type") {
            cmd.env("CONTENT_TYPE", t);
        }
        if self.options.v2 {
            if let Some(p) = headers.get("git-protocol") {
                cmd.env("HTTP_GIT_PROTOCOL", p);
            }
        }
        if self.options.basic_auth {
            cmd.env("REMOTE_USER", USER);
        }
        let mut child = cmd.spawn().expect("run git http-backend");
        let mut stdin = child.stdin.take().unwrap();
        let input = body.to_vec();
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let out = child.wait_with_output().expect("git http-backend output");
        let _ = writer.join();
        let raw = out.stdout;
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|i| (i, 4))
            .or_else(|| raw.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)));
        let Some((end, sep)) = split else {
            return (500, Vec::new(), raw);
        };
        let mut status = 200;
        let mut headers = Vec::new();
        for line in String::from_utf8_lossy(&raw[..end]).lines() {
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            let v = v.trim().to_string();
            if k.eq_ignore_ascii_case("status") {
                status = v
                    .split_whitespace()
                    .next()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(500);
            } else {
                headers.push((k.to_string(), v));
            }
        }
        (status, headers, raw[end + sep..].to_vec())
    }
}
