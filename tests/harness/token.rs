//! An in-process token server for distribution's `auth.token` mode (the Docker registry token protocol).
//!
//! `GET /token?service=S&scope=repository:NAME:ACTIONS` answers `{"token": JWT, ...}`. Anonymous requests get
//! only the `pull` actions they asked for; Basic with the right user and password gets everything asked;
//! Basic with wrong credentials gets 401. `POST /token` with a form body is the OAuth2 refresh-token grant
//! (`grant_type=refresh_token`, `service`, `scope`, `refresh_token`, `client_id` required): the refresh token
//! [`IDENTITY_TOKEN`] stands for the user, any other gets 401. Every `/token` request is recorded before it is
//! answered, so a client that has its response sees it counted.
//!
//! Tokens are ES256 JWTs. Distribution finds the verification key by the header's `kid`, which must be the
//! libtrust fingerprint of the public key in `rootcertbundle`: base32 of the first 30 bytes of SHA-256 of the
//! key's DER SubjectPublicKeyInfo, in groups of 4 joined by ':'. The signature is JOSE's fixed r||s form
//! (`ECDSA_P256_SHA256_FIXED_SIGNING`), not DER.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use rcgen::{CertificateParams, DnType, PublicKeyData};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// How long a token is valid; far longer than any test.
const TOKEN_LIFETIME_SECS: u64 = 300;

/// The refresh token (`identitytoken` in `config.json`) the token server accepts for the user.
pub const IDENTITY_TOKEN: &str = "pin-test-refresh-token-5b1d";

/// One request the token server answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRequest {
    /// The Basic user presented (whether or not the password was right), or `None` for an anonymous request.
    pub user: Option<String>,
    pub service: Option<String>,
    /// Every scope asked for, in order (from repeated `scope` parameters and space-separated lists).
    pub scopes: Vec<String>,
    /// 200, or 401 for wrong credentials.
    pub status: u16,
    /// `None` for a `GET`; the `grant_type` of a `POST` (`refresh_token`).
    pub grant: Option<String>,
    /// `client_id` of a `POST`.
    pub client_id: Option<String>,
}

pub(super) struct TokenServer {
    addr: SocketAddr,
    tls: bool,
    shared: Arc<Shared>,
    accept_thread: Option<JoinHandle<()>>,
}

struct Shared {
    signer: Signer,
    user: String,
    password: String,
    stop: AtomicBool,
    requests: Mutex<Vec<TokenRequest>>,
    /// When set, the first token for each scope is minted already expired (by more than the registry's
    /// 60 s leeway) while the answer says it lasts 300 s: as a token revoked, or from a service whose clock
    /// is behind. The registry refuses it; a client must ask again.
    stale_first: AtomicBool,
    scopes_served: Mutex<std::collections::HashSet<String>>,
}

impl TokenServer {
    /// Serves HTTPS with `tls`, plain HTTP without.
    pub fn start(
        issuer: &str,
        user: &str,
        password: &str,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> TokenServer {
        let secure = tls.is_some();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind token server on 127.0.0.1:0");
        let addr = listener.local_addr().expect("token server address");
        let shared = Arc::new(Shared {
            signer: Signer::generate(issuer),
            user: user.to_string(),
            password: password.to_string(),
            stop: AtomicBool::new(false),
            requests: Mutex::new(Vec::new()),
            stale_first: AtomicBool::new(false),
            scopes_served: Mutex::default(),
        });
        let accept_shared = Arc::clone(&shared);
        let accept_thread = std::thread::Builder::new()
            .name("token-server".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    if accept_shared.stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let shared = Arc::clone(&accept_shared);
                    let tls = tls.clone();
                    // One thread per connection: a client that opens a connection and stalls must not hold up
                    // the concurrent token requests these tests are meant to observe.
                    std::thread::spawn(move || {
                        // Bounded, so a silent client cannot keep a thread forever.
                        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                        match tls {
                            None => shared.serve(stream),
                            Some(config) => {
                                if let Ok(conn) = rustls::ServerConnection::new(config) {
                                    shared.serve(rustls::StreamOwned::new(conn, stream));
                                }
                            }
                        }
                    });
                }
            })
            .expect("spawn token server thread");
        TokenServer {
            addr,
            tls: secure,
            shared,
            accept_thread: Some(accept_thread),
        }
    }

    /// The `realm` for the registry's config and its `WWW-Authenticate` challenges.
    pub fn realm(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}/token", self.addr)
    }

    /// The self-signed certificate holding the signing key, for `auth.token.rootcertbundle`.
    pub fn signer_cert_pem(&self) -> &str {
        &self.shared.signer.cert_pem
    }

    /// From now on, the first token for each scope is refused by the registry (see `stale_first`).
    pub fn expire_first_token_per_scope(&self) {
        self.shared.stale_first.store(true, Ordering::SeqCst);
    }

    pub fn requests(&self) -> Vec<TokenRequest> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// A token with every action on `repo`, minted without HTTP so the harness's own pushes are not counted.
    pub fn mint_full_access(&self, service: &str, repo: &str) -> String {
        self.shared.signer.sign(
            &self.shared.user,
            service,
            json!([{"type": "repository", "name": repo, "actions": ["pull", "push", "delete"]}]),
            false,
        )
    }

    pub fn stop(&mut self) {
        let Some(thread) = self.accept_thread.take() else {
            return;
        };
        self.shared.stop.store(true, Ordering::SeqCst);
        // `accept` has no timeout: one connection wakes the loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        let _ = thread.join();
    }
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Shared {
    fn serve(&self, mut stream: impl Read + Write) {
        let Some((head, form)) = read_request(&mut stream) else {
            return;
        };
        let (status, content_type, body, extra) = self.respond(&head, &form);
        let reason = match status {
            200 => "OK",
            401 => "Unauthorized",
            404 => "Not Found",
            _ => "Method Not Allowed",
        };
        let response = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
             {extra}Connection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.write_all(response.as_bytes());
        let _ = stream.flush();
    }

    /// Status, content type, body and extra header lines for one request head.
    fn respond(&self, head: &str, form: &str) -> (u16, &'static str, String, String) {
        let mut lines = head.split("\r\n");
        let request_line = lines.next().unwrap_or_default();
        let mut parts = request_line.split(' ');
        let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        if path != "/token" {
            return (404, "text/plain", "not found\n".into(), String::new());
        }
        if method != "GET" && method != "POST" {
            return (
                405,
                "text/plain",
                "GET or POST only\n".into(),
                String::new(),
            );
        }
        let authorization = lines
            .filter_map(|line| line.split_once(':'))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("authorization"))
            .map(|(_, value)| value.trim().to_string());

        let mut service = None;
        let mut scopes = Vec::new();
        let (mut grant_type, mut refresh_token, mut client_id) = (None, None, None);
        // A GET carries its parameters in the query, a POST in its form body.
        let params = if method == "POST" { form } else { query };
        for pair in params.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_decode(value);
            match key {
                "service" => service = Some(value),
                "scope" => {
                    scopes.extend(value.split(' ').filter(|s| !s.is_empty()).map(String::from))
                }
                "grant_type" => grant_type = Some(value),
                "refresh_token" => refresh_token = Some(value),
                "client_id" => client_id = Some(value),
                _ => {}
            }
        }

        // Ok(None): anonymous. Ok(Some(user)): right credentials. Err(user): wrong ones, as presented.
        let user: Result<Option<String>, String> = match authorization
            .as_deref()
            .and_then(|a| a.strip_prefix("Basic "))
        {
            _ if method == "POST" => {
                let valid = grant_type.as_deref() == Some("refresh_token")
                    && refresh_token.as_deref() == Some(IDENTITY_TOKEN)
                    && client_id.as_deref().is_some_and(|c| !c.is_empty());
                if valid {
                    Ok(Some(self.user.clone()))
                } else {
                    Err("<token>".to_string())
                }
            }
            None => Ok(None),
            Some(encoded) => {
                let decoded = STANDARD
                    .decode(encoded.trim())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .unwrap_or_default();
                let (u, p) = decoded.split_once(':').unwrap_or((&decoded, ""));
                if u == self.user && p == self.password {
                    Ok(Some(u.to_string()))
                } else {
                    Err(u.to_string())
                }
            }
        };
        self.requests.lock().unwrap().push(TokenRequest {
            user: user.clone().unwrap_or_else(Some),
            service: service.clone(),
            scopes: scopes.clone(),
            status: if user.is_ok() { 200 } else { 401 },
            grant: grant_type.filter(|_| method == "POST"),
            client_id,
        });
        let Ok(user) = user else {
            return (
                401,
                "application/json",
                r#"{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}"#.into(),
                "WWW-Authenticate: Basic realm=\"token\"\r\n".into(),
            );
        };

        let access: Vec<Value> = scopes
            .iter()
            .filter_map(|scope| grant(scope, user.is_some()))
            .collect();
        let stale = self.stale_first.load(Ordering::SeqCst)
            && scopes
                .iter()
                .any(|s| self.scopes_served.lock().unwrap().insert(s.clone()));
        let token = self.signer.sign(
            user.as_deref().unwrap_or(""),
            service.as_deref().unwrap_or(""),
            Value::Array(access),
            stale,
        );
        let body =
            json!({"token": token, "access_token": token, "expires_in": TOKEN_LIFETIME_SECS});
        (200, "application/json", body.to_string(), String::new())
    }
}

/// `type:name:actions` -> an `access` claim entry; anonymous callers keep only `pull`.
fn grant(scope: &str, authenticated: bool) -> Option<Value> {
    let (kind, rest) = scope.split_once(':')?;
    let (name, actions) = rest.rsplit_once(':')?;
    let actions: Vec<&str> = actions
        .split(',')
        .filter(|a| authenticated || *a == "pull")
        .collect();
    Some(json!({"type": kind, "name": name, "actions": actions}))
}

/// Reads the request head and its `Content-Length` body (none for a GET).
fn read_request(stream: &mut impl Read) -> Option<(String, String)> {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut buf).ok()?;
        if n == 0 || data.len() > 64 * 1024 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8(data[..end].to_vec()).ok()?;
    let length = head
        .split("\r\n")
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0)
        .min(64 * 1024);
    while data.len() < end + length {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
    }
    let body = String::from_utf8(data[end..end + length].to_vec()).ok()?;
    Some((head, body))
}

/// `application/x-www-form-urlencoded` value decoding: `+` is a space, `%XX` a byte.
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |b: u8| (b as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(high), Some(low)) => {
                        out.push((high * 16 + low) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

struct Signer {
    key: EcdsaKeyPair,
    rng: SystemRandom,
    kid: String,
    issuer: String,
    cert_pem: String,
    next_jti: AtomicU64,
}

impl Signer {
    fn generate(issuer: &str) -> Signer {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .expect("generate token signing key");
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .expect("load token signing key");
        // The same key through rcgen, to wrap the public key in the certificate distribution wants.
        let cert_key = rcgen::KeyPair::try_from(pkcs8.as_ref()).expect("token key for rcgen");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("token cert params");
        params
            .distinguished_name
            .push(DnType::CommonName, "imagepin token signer");
        let cert_pem = params
            .self_signed(&cert_key)
            .expect("self-sign token cert")
            .pem();
        Signer {
            key,
            rng,
            kid: libtrust_key_id(&cert_key.subject_public_key_info()),
            issuer: issuer.to_string(),
            cert_pem,
            next_jti: AtomicU64::new(1),
        }
    }

    /// A signed token; `stale` backdates it past its expiry (and the registry's 60 s leeway).
    fn sign(&self, subject: &str, audience: &str, access: Value, stale: bool) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock after 1970")
            .as_secs();
        let now = if stale {
            now - TOKEN_LIFETIME_SECS - 120
        } else {
            now
        };
        let header = json!({"typ": "JWT", "alg": "ES256", "kid": self.kid});
        let claims = json!({
            "iss": self.issuer,
            "sub": subject,
            "aud": audience,
            "exp": now + TOKEN_LIFETIME_SECS,
            // Backdated a little so a registry clock a second behind still accepts it.
            "nbf": now - 10,
            "iat": now,
            "jti": self.next_jti.fetch_add(1, Ordering::Relaxed).to_string(),
            "access": access,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = self
            .key
            .sign(&self.rng, signing_input.as_bytes())
            .expect("ES256 signing");
        format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.as_ref())
        )
    }
}

/// libtrust's key ID: base32 (RFC 4648, no padding needed: 240 bits) of the first 30 bytes of SHA-256 of the
/// DER SubjectPublicKeyInfo, as 12 groups of 4 characters joined by ':'.
fn libtrust_key_id(spki_der: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let hash = Sha256::digest(spki_der);
    let mut chars = Vec::with_capacity(48);
    for group in hash[..30].chunks(5) {
        let bits = group.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        for i in (0..8).rev() {
            chars.push(ALPHABET[((bits >> (i * 5)) & 31) as usize]);
        }
    }
    chars
        .chunks(4)
        .map(|c| std::str::from_utf8(c).expect("ASCII"))
        .collect::<Vec<_>>()
        .join(":")
}
