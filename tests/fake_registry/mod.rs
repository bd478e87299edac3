//! An in-process, scriptable HTTP/1.1 server that plays a broken registry, for fault-injection tests only.
//!
//! This is the ONLY fake registry allowed in this repository, and it exists for faults: 429s, 5xx storms,
//! dropped connections, stalls, missing or lying `Docker-Content-Digest` headers, refused or slow token
//! services, and the request budget under them (which only the server side can count). A real registry
//! cannot be made to misbehave on cue, so those paths are tested here. Whether `pin` works against a
//! well-behaved registry (real manifests, real auth) is for the end-to-end tests against a real CNCF
//! distribution registry, never for this fake.
//!
//! The server binds `127.0.0.1:0`, runs one thread per connection, and serves keep-alive connections
//! (reqwest reuses them): read a request head and a `Content-Length` body, ask the script, answer with a
//! `Content-Length`, loop. Chunked request bodies are not supported; `pin` sends no bodies.
//! [`FakeRegistry::start_tls`] serves the same over HTTPS (HTTP/1.1 only) with a throwaway CA, for faults
//! that only an HTTPS origin can show (a redirect that drops TLS).

// Each test binary compiles this module on its own and uses only part of it.
#![allow(dead_code)]

// The harness's certificate generator, shared rather than copied; its htpasswd part is unused here.
#[allow(dead_code)]
#[path = "../harness/pki.rs"]
mod pki;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

/// A small OCI image manifest, distinct per `repository:tag` (an annotation names it), so that a digest
/// written to the wrong line shows.
pub fn manifest_body(repository: &str, tag: &str) -> Vec<u8> {
    format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{}","size":2}},"layers":[],"annotations":{{"for":"{repository}:{tag}"}}}}"#,
        "0".repeat(64)
    )
    .into_bytes()
}

/// `sha256:` and the hex SHA-256 of `bytes`, computed here, independently of the client.
pub fn sha256(bytes: &[u8]) -> String {
    use sha2::{Digest as _, Sha256};
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// A registry with the OCI referrers API, for `team/app`: the tag `v1` and the digest of `image` answer with
/// `image`, the digest of `referrer` with `referrer` (both OCI manifests, with their digest), the referrers
/// of `image` with `index`, and the digest of `bundle` (a blob) with `bundle`. Anything else: 404.
pub fn referrers_api(
    image: Vec<u8>,
    referrer: Vec<u8>,
    index: Vec<u8>,
    bundle: Vec<u8>,
) -> FakeRegistry {
    let image_digest = sha256(&image);
    let (index_path, blob_path) = (
        format!("/v2/team/app/referrers/{image_digest}"),
        format!("/v2/team/app/blobs/{}", sha256(&bundle)),
    );
    let manifests = Arc::new(vec![
        ("v1".to_string(), image.clone()),
        (image_digest, image),
        (sha256(&referrer), referrer),
    ]);
    FakeRegistry::start(move |req| {
        if req.kind == Kind::Ping {
            return Response::new(200).body("{}").into();
        }
        if req.path == index_path {
            return Response::new(200)
                .header("Content-Type", "application/vnd.oci.image.index.v1+json")
                .body(index.clone())
                .into();
        }
        if req.path == blob_path {
            return Response::new(200).body(bundle.clone()).into();
        }
        if let Some((_, reference)) = req.manifest() {
            if let Some((_, body)) = manifests.iter().find(|(r, _)| r == reference) {
                let r = Response::new(200)
                    .header("Content-Type", OCI_MANIFEST)
                    .header("Docker-Content-Digest", &sha256(body));
                let r = if req.method == "HEAD" {
                    r.header("Content-Length", &body.len().to_string())
                } else {
                    r.body(body.clone())
                };
                return r.into();
            }
        }
        Response::new(404)
            .body(r#"{"errors":[{"code":"MANIFEST_UNKNOWN"}]}"#)
            .into()
    })
}

/// What a request is, as the client's request budget counts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `GET /v2/`.
    Ping,
    /// Anything under `/token` (the realm scripts advertise).
    Token,
    /// `HEAD /v2/<name>/manifests/<reference>`.
    HeadManifest,
    /// `GET /v2/<name>/manifests/<reference>`.
    GetManifest,
    Other,
}

/// One parsed request, handed to the script.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    /// The path without the query, percent-decoded.
    pub path: String,
    /// Query pairs, percent-decoded.
    pub query: Vec<(String, String)>,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    pub kind: Kind,
    /// 1 for the first request of this kind the server saw, 2 for the second, …: scripts key "fail
    /// once, then succeed" on it.
    pub nth: usize,
    /// The server's own address, for scripts that advertise URLs on it (a token realm).
    pub server: SocketAddr,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `(repository, reference)` of a manifest request.
    pub fn manifest(&self) -> Option<(&str, &str)> {
        let rest = self.path.strip_prefix("/v2/")?;
        let (repo, reference) = rest.rsplit_once("/manifests/")?;
        Some((repo, reference))
    }
}

/// An HTTP response. The body of a `HEAD` answer is not sent, but its length is.
#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn new(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Response {
        self.body = body.into();
        self
    }
}

/// What the server does with one request.
#[derive(Clone, Debug)]
pub enum Reply {
    Respond(Response),
    /// Close the connection without a byte of answer.
    Drop,
    /// Stall this long (or until the server is stopped), then answer.
    Delay(Duration, Response),
}

impl From<Response> for Reply {
    fn from(r: Response) -> Reply {
        Reply::Respond(r)
    }
}

/// Holds requests until a test has done something while the client waits (edited the tree, sent a signal).
/// A script calls [`Gate::hold`]; the test calls [`Gate::wait_for_arrival`], acts, then [`Gate::open`].
#[derive(Default)]
#[allow(dead_code)] // used by `writes.rs`, not by `faults.rs`
pub struct Gate {
    /// (requests that arrived, opened)
    state: Mutex<(usize, bool)>,
    changed: Condvar,
}

/// Longer than any test waits, so a failing test never leaves a server thread stuck behind the gate.
#[allow(dead_code)]
const GATE_LIMIT: Duration = Duration::from_secs(30);

#[allow(dead_code)]
impl Gate {
    pub fn new() -> Arc<Gate> {
        Arc::new(Gate::default())
    }

    /// Called from a script: counts this request as arrived and blocks until the gate opens.
    pub fn hold(&self) {
        let mut state = self.state.lock().unwrap();
        state.0 += 1;
        self.changed.notify_all();
        let _unused = self
            .changed
            .wait_timeout_while(state, GATE_LIMIT, |s| !s.1)
            .unwrap();
    }

    /// Blocks until a request is held; panics after a while (the client never asked).
    pub fn wait_for_arrival(&self) {
        let state = self.state.lock().unwrap();
        let (state, timeout) = self
            .changed
            .wait_timeout_while(state, GATE_LIMIT, |s| s.0 == 0)
            .unwrap();
        assert!(
            !timeout.timed_out() || state.0 > 0,
            "no request reached the gate"
        );
    }

    pub fn open(&self) {
        self.state.lock().unwrap().1 = true;
        self.changed.notify_all();
    }
}

type Script = dyn Fn(&Request) -> Reply + Send + Sync;

/// What the server saw; taken after the client has exited, by [`FakeRegistry::finish`].
#[derive(Clone, Debug, Default)]
pub struct Seen {
    pub requests: Vec<Request>,
    /// Connections accepted from clients.
    pub connections: usize,
}

impl Seen {
    pub fn count(&self, kind: Kind) -> usize {
        self.requests.iter().filter(|r| r.kind == kind).count()
    }

    /// The `Authorization` header of every request of `kind`, in arrival order.
    pub fn authorizations(&self, kind: Kind) -> Vec<Option<String>> {
        self.requests
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| r.header("authorization").map(str::to_string))
            .collect()
    }
}

struct State {
    addr: SocketAddr,
    /// Set for an HTTPS server.
    tls: Option<Arc<rustls::ServerConfig>>,
    script: Box<Script>,
    stopping: AtomicBool,
    /// Counts per kind and the log, under one lock so that `nth` and the log agree.
    log: Mutex<(HashMap<Kind, usize>, Vec<Request>)>,
    /// Wakes stalled answers when the server stops.
    wake: (Mutex<()>, Condvar),
    /// Every accepted connection, so that stopping can unblock threads waiting in `read`.
    conns: Mutex<Vec<(TcpStream, JoinHandle<()>)>>,
}

pub struct FakeRegistry {
    state: Arc<State>,
    acceptor: Option<JoinHandle<()>>,
    /// For an HTTPS server: a directory holding `ca.pem`, the CA that signed its certificate.
    ca_dir: Option<tempfile::TempDir>,
}

impl FakeRegistry {
    /// Starts a server on `127.0.0.1:0` that answers every request with `script`.
    pub fn start(script: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> FakeRegistry {
        FakeRegistry::serve_with(None, script)
    }

    /// Like [`FakeRegistry::start`], over HTTPS with a certificate for 127.0.0.1 from a throwaway CA
    /// ([`FakeRegistry::ca_pem_path`]).
    pub fn start_tls(script: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> FakeRegistry {
        let pki = pki::ServerPki::generate();
        let dir = tempfile::tempdir().expect("temp dir for the CA");
        std::fs::write(dir.path().join("ca.pem"), &pki.ca_pem).expect("write ca.pem");
        let mut registry =
            FakeRegistry::serve_with(Some(pki.server_config(&[b"http/1.1"])), script);
        registry.ca_dir = Some(dir);
        registry
    }

    /// The CA file of an HTTPS server, for `--ca-cert`.
    pub fn ca_pem_path(&self) -> PathBuf {
        self.ca_dir
            .as_ref()
            .map(|d| d.path().join("ca.pem"))
            .expect("an HTTPS fake registry")
    }

    fn serve_with(
        tls: Option<Arc<rustls::ServerConfig>>,
        script: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) -> FakeRegistry {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let state = Arc::new(State {
            tls,
            addr: listener.local_addr().expect("local address"),
            script: Box::new(script),
            stopping: AtomicBool::new(false),
            log: Mutex::default(),
            wake: (Mutex::new(()), Condvar::new()),
            conns: Mutex::default(),
        });
        let s = Arc::clone(&state);
        let acceptor = std::thread::spawn(move || accept_loop(&listener, &s));
        FakeRegistry {
            state,
            acceptor: Some(acceptor),
            ca_dir: None,
        }
    }

    /// `127.0.0.1:PORT`: the registry part of image references, and the `--insecure-registry` value.
    pub fn host(&self) -> String {
        self.state.addr.to_string()
    }

    /// Stops the server and returns everything it saw. Call it after the client exited: the client waits for
    /// an answer (or its timeout) after each request, so by then every request it sent has been logged,
    /// whatever answer (or none) it got.
    pub fn finish(mut self) -> Seen {
        let connections = self.stop();
        let log = self.state.log.lock().unwrap();
        Seen {
            requests: log.1.clone(),
            connections,
        }
    }

    /// Stops accepting, wakes stalled answers, closes every connection and joins every thread; returns
    /// how many connections were served.
    fn stop(&mut self) -> usize {
        let Some(acceptor) = self.acceptor.take() else {
            return 0;
        };
        self.state.stopping.store(true, Ordering::SeqCst);
        {
            let _guard = self.state.wake.0.lock().unwrap();
            self.state.wake.1.notify_all();
        }
        // `accept` blocks until a client arrives: be that client.
        let _ = TcpStream::connect(self.state.addr);
        let _ = acceptor.join();
        let conns = std::mem::take(&mut *self.state.conns.lock().unwrap());
        let served = conns.len();
        for (stream, handle) in conns {
            // Unblocks a connection thread waiting in `read` for a next request that will never come.
            let _ = stream.shutdown(Shutdown::Both);
            let _ = handle.join();
        }
        served
    }
}

impl Drop for FakeRegistry {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

fn accept_loop(listener: &TcpListener, state: &Arc<State>) {
    for stream in listener.incoming() {
        if state.stopping.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        let Ok(handle_stream) = stream.try_clone() else {
            continue;
        };
        let s = Arc::clone(state);
        let handle = std::thread::spawn(move || serve(handle_stream, &s));
        state.conns.lock().unwrap().push((stream, handle));
    }
}

/// Serves one connection until the client closes it, a `Drop` reply, or an I/O error.
fn serve(stream: TcpStream, state: &State) {
    if let Ok(reader) = stream.try_clone() {
        match &state.tls {
            None => answer_requests(&mut BufReader::new(reader), state),
            Some(config) => {
                let Ok(conn) = rustls::ServerConnection::new(Arc::clone(config)) else {
                    return;
                };
                answer_requests(
                    &mut BufReader::new(rustls::StreamOwned::new(conn, reader)),
                    state,
                );
            }
        }
    }
    // The registry keeps a clone of this socket until it stops; shutting down is what tells the client.
    let _ = stream.shutdown(Shutdown::Both);
}

fn answer_requests<S: Read + Write>(reader: &mut BufReader<S>, state: &State) {
    loop {
        let Some(Head {
            method,
            target,
            headers,
        }) = read_head(reader)
        else {
            return;
        };
        let length = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .and_then(|(_, v)| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let close = headers
            .iter()
            .any(|(k, v)| k == "connection" && v.eq_ignore_ascii_case("close"));
        let request = record(state, method, &target, headers);
        let response = match (state.script)(&request) {
            Reply::Respond(r) => r,
            Reply::Drop => return,
            Reply::Delay(wait, r) => {
                let guard = state.wake.0.lock().unwrap();
                let _unused = state
                    .wake
                    .1
                    .wait_timeout_while(guard, wait, |()| !state.stopping.load(Ordering::SeqCst))
                    .unwrap();
                r
            }
        };
        if write_response(reader.get_mut(), &request.method, &response).is_err() || close {
            return;
        }
    }
}

/// A request line and its headers (names lowercased).
struct Head {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
}

/// Reads a request line and headers; `None` at end of stream or on garbage.
fn read_head(reader: &mut impl BufRead) -> Option<Head> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            return Some(Head {
                method,
                target,
                headers,
            });
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
}

fn record(state: &State, method: String, target: &str, headers: Vec<(String, String)>) -> Request {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let path = percent_decode(path);
    let query = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect();
    let is_manifest = path.starts_with("/v2/") && path.contains("/manifests/");
    let kind = match method.as_str() {
        "GET" if path == "/v2/" => Kind::Ping,
        _ if path == "/token" || path.starts_with("/token/") => Kind::Token,
        "HEAD" if is_manifest => Kind::HeadManifest,
        "GET" if is_manifest => Kind::GetManifest,
        _ => Kind::Other,
    };
    let mut log = state.log.lock().unwrap();
    let nth = {
        let n = log.0.entry(kind).or_insert(0);
        *n += 1;
        *n
    };
    let request = Request {
        method,
        path,
        query,
        headers,
        kind,
        nth,
        server: state.addr,
    };
    log.1.push(request.clone());
    request
}

fn write_response(w: &mut impl Write, method: &str, r: &Response) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", r.status, reason(r.status));
    for (k, v) in &r.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", r.body.len()));
    w.write_all(head.as_bytes())?;
    if method != "HEAD" {
        w.write_all(&r.body)?;
    }
    w.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        307 => "Temporary Redirect",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Whatever",
    }
}

/// `%XX` → byte, `+` → space (query strings are form-encoded by the client).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
