//! Integration-test harness: a real registry (CNCF distribution, the `docker-registry` binary from Debian's
//! package of that name) started per test on 127.0.0.1, with deterministic fixtures pushed over the
//! distribution HTTP API.
//!
//! Use it from a test file with `mod harness;`. The harness is blocking (it uses `reqwest::blocking`): call
//! it from plain `#[test]` functions, or from `tokio::task::spawn_blocking` inside an async test.
//!
//! # Starting a registry
//!
//! ```ignore
//! let registry = Registry::start(Variant::TlsToken);
//! registry.host();            // "127.0.0.1:PORT" (the OS picks the port)
//! registry.url();             // "https://127.0.0.1:PORT"
//! registry.ca_pem_path();     // Some(path to the CA that signed the server certificate) for TLS variants
//! registry.credentials();     // Some(("tester", "s3cret")) for the auth variants
//! registry.token_requests();  // /token requests served so far (TlsToken only; always 0 otherwise)
//! ```
//!
//! - [`Variant::Plain`]: HTTP, no auth.
//! - [`Variant::TlsBasic`]: HTTPS + htpasswd (bcrypt) with [`USER`]/[`PASSWORD`].
//! - [`Variant::TlsToken`]: HTTPS + token auth. An in-process token server on another 127.0.0.1 port (HTTPS,
//!   with a certificate from the same test CA, as real token services are) issues ES256 JWTs: anonymous
//!   requests get pull-only tokens, Basic [`USER`]:[`PASSWORD`] gets what it asks for, wrong credentials get
//!   401. It counts and records every request ([`Registry::token_requests`], [`Registry::token_request_log`]);
//!   the harness's own pushes mint tokens directly and are never counted.
//! - [`Variant::TlsTokenHttpRealm`]: the same with the token server on plain HTTP, for the case a client must
//!   refuse: sending credentials to a realm without TLS.
//!
//! Each registry has its own temp dir (config, TLS material, htpasswd, storage). The process is
//! killed by PID on [`Registry::stop`] or when the value is dropped, so keep one per test; a registry kept in
//! a `static` is never dropped and would outlive the test binary. If `docker-registry` is not on `PATH`,
//! [`Registry::start`] panics, so a machine without it fails the tests instead of skipping them.
//!
//! # Fixtures
//!
//! Every push returns a [`Pushed`] with the exact manifest bytes sent, their media type and the digest the
//! harness computed itself (`sha256:` + hex of SHA-256 of those bytes; the registry is not asked). Content is
//! derived from the `seed` only, so the same seed gives the same digest and different seeds differ.
//!
//! ```ignore
//! registry.push_oci_image("fixtures/app", "v1", "seed-a");              // OCI manifest
//! registry.push_docker_image("fixtures/app", "d1", "seed-a");           // Docker v2 manifest
//! registry.push_oci_index("fixtures/app", "multi", "s", TWO_PLATFORMS); // OCI index + children
//! registry.push_docker_manifest_list("fixtures/app", "dm", "s", WITH_ARM_V7); // + linux/arm/v7
//! registry.move_tag("fixtures/app", "v1", "seed-b");                    // same tag, new digest
//! registry.push_many_tags(10, 50, "bench");                             // 500 tags, shared blobs
//! registry.manifest_digest("fixtures/app", "v1");                       // what the registry says now
//! registry.delete_manifest("fixtures/app", &digest);
//! ```
//!
//! Lower level: [`Registry::push_blob`], [`Registry::push_manifest`] (for hand-written manifests),
//! [`Registry::http_client`] (trusts the test CA, no credentials), [`Registry::write_docker_config`]
//! (a `config.json` with this registry's credentials, for `DOCKER_CONFIG`), [`Registry::reference`]
//! (`host/repo:tag`) and [`Registry::log`] (the registry's output, for failure messages).

// Each test binary compiles this module on its own and uses only part of it.
#![allow(dead_code)]

mod fixtures;
pub mod git;
mod pki;
mod token;

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::header::{ACCEPT, CONTENT_TYPE, LOCATION};
use reqwest::{StatusCode, Url};

#[allow(unused_imports)]
pub use fixtures::{
    sha256_digest, Entry, ACCEPT_ALL, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX,
    OCI_MANIFEST, TWO_PLATFORMS, WITH_ARM_V7,
};
#[allow(unused_imports)]
pub use token::{TokenRequest, IDENTITY_TOKEN};

use fixtures::Flavor;

/// The user accepted by the auth variants.
pub const USER: &str = "tester";
/// [`USER`]'s password.
pub const PASSWORD: &str = "s3cret";

/// `service` of the token variant (sent in its challenges; the registry checks tokens' `aud` against it).
pub const TOKEN_SERVICE: &str = "imagepin-test-registry";
/// The token variant's `issuer`; the registry checks tokens' `iss` against it.
const TOKEN_ISSUER: &str = "imagepin-test-token-issuer";
const REGISTRY_BINARY: &str = "docker-registry";
/// Budget from spawning the registry to its answering `/v2/` (it usually takes well under a second).
const STARTUP_DEADLINE: Duration = Duration::from_secs(10);
/// Workers for [`Registry::push_many_tags`]; more than the 2 cores here since each mostly waits on I/O.
const BULK_WORKERS: usize = 4;

/// How the registry is served and authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// HTTP, no authentication.
    Plain,
    /// HTTPS with a test CA, HTTP Basic against an htpasswd file.
    TlsBasic,
    /// HTTPS with a test CA, bearer tokens from the in-process token server (HTTPS, same CA).
    TlsToken,
    /// As `TlsToken`, but the token server speaks plain HTTP.
    TlsTokenHttpRealm,
}

/// A manifest the harness pushed.
#[derive(Clone, Debug)]
pub struct Pushed {
    pub repo: String,
    pub tag: String,
    pub media_type: &'static str,
    /// The exact bytes sent in the manifest PUT.
    pub manifest: Vec<u8>,
    /// `sha256:` + hex(SHA-256(`manifest`)), computed by the harness.
    pub digest: String,
    /// For an index or manifest list: one entry per platform, in index order. Empty for single images.
    pub children: Vec<PushedChild>,
}

/// A platform manifest inside a pushed index (pushed by digest, untagged).
#[derive(Clone, Debug)]
pub struct PushedChild {
    /// As given to the push: "linux/amd64", "linux/arm/v7".
    pub platform: String,
    pub media_type: &'static str,
    pub manifest: Vec<u8>,
    pub digest: String,
}

impl Pushed {
    /// The digest of the child for `platform` ("linux/arm64"), if the index has one.
    pub fn child_digest(&self, platform: &str) -> Option<&str> {
        self.children
            .iter()
            .find(|c| c.platform == platform)
            .map(|c| c.digest.as_str())
    }
}

/// A running `docker-registry` process (plus, for [`Variant::TlsToken`], its token server).
pub struct Registry {
    variant: Variant,
    /// "127.0.0.1:PORT"; empty until the registry has logged its address.
    host: String,
    child: Option<Child>,
    log_readers: Vec<JoinHandle<()>>,
    log: Arc<Mutex<Vec<String>>>,
    token_server: Option<token::TokenServer>,
    http: Client,
    ca_pem_path: Option<PathBuf>,
    // Last, so it is removed only after everything that uses files in it.
    dir: tempfile::TempDir,
}

impl Registry {
    /// Starts a fresh registry and waits until `GET /v2/` answers (200, or 401 for the auth variants).
    ///
    /// Panics if `docker-registry` is not on `PATH`, or if it does not come up within 10 s (with its log).
    pub fn start(variant: Variant) -> Registry {
        let deadline = Instant::now() + STARTUP_DEADLINE;
        let binary = find_registry_binary(std::env::var_os("PATH").as_deref());
        install_crypto_provider();
        let dir = tempfile::Builder::new()
            .prefix("imagepin-registry-")
            .tempdir()
            .expect("create registry temp dir");
        let path = |name: &str| dir.path().join(name);

        let mut http_section = String::new();
        let mut auth_section = String::new();
        let mut ca_pem = None;
        let mut token_server = None;
        let mut token_tls = None;
        if variant != Variant::Plain {
            let pki = pki::ServerPki::generate();
            token_tls = Some(pki.server_config(&[b"http/1.1"]));
            write(&path("ca.pem"), &pki.ca_pem);
            write(&path("server.pem"), &pki.cert_pem);
            write(&path("server-key.pem"), &pki.key_pem);
            http_section = format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                yaml_str(&path("server.pem")),
                yaml_str(&path("server-key.pem"))
            );
            ca_pem = Some(pki.ca_pem);
        }
        match variant {
            Variant::Plain => {}
            Variant::TlsBasic => {
                write(&path("htpasswd"), &pki::htpasswd_line(USER, PASSWORD));
                auth_section = format!(
                    "auth:\n  htpasswd:\n    realm: imagepin-test\n    path: {}\n",
                    yaml_str(&path("htpasswd"))
                );
            }
            Variant::TlsToken | Variant::TlsTokenHttpRealm => {
                let tls = token_tls.filter(|_| variant == Variant::TlsToken);
                let server = token::TokenServer::start(TOKEN_ISSUER, USER, PASSWORD, tls);
                write(&path("token-signer.pem"), server.signer_cert_pem());
                auth_section = format!(
                    "auth:\n  token:\n    realm: {}\n    service: {TOKEN_SERVICE}\n    issuer: {TOKEN_ISSUER}\n    \
                     rootcertbundle: {}\n",
                    server.realm(),
                    yaml_str(&path("token-signer.pem"))
                );
                token_server = Some(server);
            }
        }
        let config = format!(
            "version: 0.1\n\
             log:\n  level: info\n  accesslog:\n    disabled: true\n\
             storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n  \
             maintenance:\n    uploadpurging:\n      enabled: false\n\
             http:\n  addr: 127.0.0.1:0\n  secret: imagepin-test-not-a-secret\n{http_section}{auth_section}",
            yaml_str(&path("storage"))
        );
        write(&path("config.yml"), &config);

        let mut command = Command::new(&binary);
        command
            .arg("serve")
            .arg(path("config.yml"))
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // distribution lets REGISTRY_* variables override any config key (REGISTRY_HTTP_ADDR, ...): one left
        // in the developer's environment must not redirect the test registry.
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("REGISTRY_") {
                command.env_remove(name);
            }
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));

        let log = Arc::new(Mutex::new(Vec::new()));
        let (addr_tx, addr_rx) = mpsc::channel();
        let log_readers = vec![
            spawn_log_reader(
                child.stdout.take().expect("piped stdout"),
                &log,
                addr_tx.clone(),
            ),
            spawn_log_reader(child.stderr.take().expect("piped stderr"), &log, addr_tx),
        ];
        // From here on a panic drops `registry`, which kills the process.
        let mut registry = Registry {
            variant,
            host: String::new(),
            child: Some(child),
            log_readers,
            log,
            token_server,
            http: harness_client(ca_pem.as_deref()),
            ca_pem_path: ca_pem.map(|_| path("ca.pem")),
            dir,
        };
        // The readers hang up at EOF, so a registry that exits early (bad config) fails here at once.
        let timeout = deadline.saturating_duration_since(Instant::now());
        match addr_rx.recv_timeout(timeout) {
            Ok(addr) => registry.host = addr,
            Err(_) => panic!(
                "docker-registry did not log `listening on ...` within {STARTUP_DEADLINE:?}; its output:\n{}",
                registry.log()
            ),
        }
        registry.wait_until_ready(deadline);
        registry
    }

    pub fn variant(&self) -> Variant {
        self.variant
    }

    /// "127.0.0.1:PORT".
    pub fn host(&self) -> &str {
        &self.host
    }

    /// "http://127.0.0.1:PORT" or "https://127.0.0.1:PORT".
    pub fn url(&self) -> String {
        let scheme = if self.variant == Variant::Plain {
            "http"
        } else {
            "https"
        };
        format!("{scheme}://{}", self.host)
    }

    /// `host/repo:tag`, as an image reference in a manifest or Dockerfile would name it.
    pub fn reference(&self, repo: &str, tag: &str) -> String {
        format!("{}/{repo}:{tag}", self.host)
    }

    /// PEM file of the CA that signed the server certificate (TLS variants).
    pub fn ca_pem_path(&self) -> Option<&Path> {
        self.ca_pem_path.as_deref()
    }

    /// `(user, password)` for the variants that require authentication.
    pub fn credentials(&self) -> Option<(&'static str, &'static str)> {
        match self.variant {
            Variant::Plain => None,
            Variant::TlsBasic | Variant::TlsToken | Variant::TlsTokenHttpRealm => {
                Some((USER, PASSWORD))
            }
        }
    }

    /// The token endpoint (token variants only) on 127.0.0.1: HTTPS for TlsToken, HTTP for TlsTokenHttpRealm.
    pub fn token_realm(&self) -> Option<String> {
        self.token_server.as_ref().map(|s| s.realm())
    }

    /// How many `/token` requests the token server has answered (any status); 0 for other variants.
    pub fn token_requests(&self) -> usize {
        self.token_request_log().len()
    }

    /// From now on the token server's first token for each scope is refused by the registry (it is minted
    /// already expired while its answer says 300 s), as a revoked token or a clock-skewed service would be.
    pub fn expire_first_token_per_scope(&self) {
        if let Some(s) = &self.token_server {
            s.expire_first_token_per_scope();
        }
    }

    /// Every `/token` request answered so far, in order.
    pub fn token_request_log(&self) -> Vec<TokenRequest> {
        self.token_server
            .as_ref()
            .map(|s| s.requests())
            .unwrap_or_default()
    }

    /// A client that trusts the test CA and sends no credentials.
    pub fn http_client(&self) -> &Client {
        &self.http
    }

    /// The registry's stdout and stderr so far, for failure messages.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// The registry's process ID (`None` once stopped).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Writes `dir/config.json` in Docker's format with this registry's credentials (an empty `auths` for
    /// Plain) and returns its path; point `DOCKER_CONFIG` at `dir`.
    pub fn write_docker_config(&self, dir: &Path) -> PathBuf {
        let auths = match self.credentials() {
            None => serde_json::json!({}),
            Some((user, password)) => serde_json::json!({
                self.host.clone(): {"auth": STANDARD.encode(format!("{user}:{password}"))}
            }),
        };
        std::fs::create_dir_all(dir).expect("create docker config dir");
        let file = dir.join("config.json");
        write(&file, &serde_json::json!({ "auths": auths }).to_string());
        file
    }

    /// Kills the registry (SIGKILL, by PID), reaps it and stops the token server. Idempotent; also run on drop.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Nothing in the registry needs a graceful shutdown: its storage is a temp dir.
            let _ = child.kill();
            let _ = child.wait();
        }
        // The pipes closed with the process, so the readers are at EOF.
        for reader in self.log_readers.drain(..) {
            let _ = reader.join();
        }
        if let Some(mut server) = self.token_server.take() {
            server.stop();
        }
    }

    // ----- fixtures -----

    /// A single-platform (linux/amd64) OCI image tagged `tag`.
    pub fn push_oci_image(&self, repo: &str, tag: &str, seed: &str) -> Pushed {
        self.push_image(Flavor::Oci, repo, tag, seed)
    }

    /// A single-platform (linux/amd64) Docker v2 (schema 2) image tagged `tag`.
    pub fn push_docker_image(&self, repo: &str, tag: &str, seed: &str) -> Pushed {
        self.push_image(Flavor::Docker, repo, tag, seed)
    }

    /// An OCI index over one OCI image per platform ([`TWO_PLATFORMS`], [`WITH_ARM_V7`], or any
    /// "os/arch[/variant]" list).
    pub fn push_oci_index(&self, repo: &str, tag: &str, seed: &str, platforms: &[&str]) -> Pushed {
        self.push_index(Flavor::Oci, repo, tag, seed, platforms)
    }

    /// A Docker manifest list over one Docker v2 image per platform.
    pub fn push_docker_manifest_list(
        &self,
        repo: &str,
        tag: &str,
        seed: &str,
        platforms: &[&str],
    ) -> Pushed {
        self.push_index(Flavor::Docker, repo, tag, seed, platforms)
    }

    /// Pushes an OCI index whose entries are given one by one (platform, `os.version`, annotations), each over
    /// its own image: for attestation entries and Windows builds. `children` follow the entries' order.
    pub fn push_oci_index_of(
        &self,
        repo: &str,
        tag: &str,
        seed: &str,
        entries: &[Entry],
    ) -> Pushed {
        let index = fixtures::index_of_entries(seed, entries);
        self.push_built_index(repo, tag, index)
    }

    /// Pushes an OCI index tagged `tag` over the children of `base` (already in the registry) whose platforms
    /// are in `platforms`, in `base`'s order, plus, with `attestation` (a seed), an attestation manifest for
    /// the first as BuildKit writes one: the same images re-pushed with provenance added, or with a platform
    /// dropped. `children` of the result are the kept ones (the attestation is not a platform's image).
    pub fn push_index_over(
        &self,
        repo: &str,
        tag: &str,
        base: &Pushed,
        platforms: &[&str],
        attestation: Option<&str>,
    ) -> Pushed {
        let kept: Vec<&PushedChild> = base
            .children
            .iter()
            .filter(|c| platforms.contains(&c.platform.as_str()))
            .collect();
        let entries: Vec<(&str, &str, &str, usize)> = kept
            .iter()
            .map(|c| {
                (
                    c.platform.as_str(),
                    c.media_type,
                    c.digest.as_str(),
                    c.manifest.len(),
                )
            })
            .collect();
        let (index, attestation) = fixtures::index_over(&entries, attestation);
        if let Some(a) = attestation {
            for blob in &a.blobs {
                self.push_blob(repo, &blob.bytes);
            }
            let m = a.manifest;
            self.push_manifest(repo, &m.digest, m.media_type, &m.bytes);
        }
        self.push_manifest(repo, tag, index.media_type, &index.bytes);
        pushed(repo, tag, index, kept.into_iter().cloned().collect())
    }

    /// A single-platform OCI image whose config carries `labels`; also returns the config bytes pushed.
    pub fn push_labelled_image(
        &self,
        repo: &str,
        tag: &str,
        seed: &str,
        labels: &[(&str, &str)],
    ) -> (Pushed, Vec<u8>) {
        let image = fixtures::image_labelled(Flavor::Oci, seed, "linux/amd64", None, labels);
        for blob in &image.blobs {
            self.push_blob(repo, &blob.bytes);
        }
        let config = image.blobs[0].bytes.clone();
        self.push_manifest(repo, tag, image.manifest.media_type, &image.manifest.bytes);
        (pushed(repo, tag, image.manifest, Vec::new()), config)
    }

    /// Re-points `tag` at a new OCI image made from `new_seed` (the old manifest stays fetchable by digest).
    pub fn move_tag(&self, repo: &str, tag: &str, new_seed: &str) -> Pushed {
        let pushed = self.push_oci_image(repo, tag, new_seed);
        assert_eq!(
            self.manifest_digest(repo, tag).as_deref(),
            Some(pushed.digest.as_str()),
            "the registry did not move {repo}:{tag}"
        );
        pushed
    }

    /// The five tags of the end-to-end fixture trees under `repo`, each made from its seed in `seeds`, in
    /// this order: `v1` and `latest` (OCI images), `docker-v1` (a Docker v2 image), `multi` (an OCI index of
    /// [`TWO_PLATFORMS`]) and `docker-multi` (a Docker manifest list of [`WITH_ARM_V7`]). By tag, for
    /// [`fill_placeholders`].
    pub fn push_fixture_tags(
        &self,
        repo: &str,
        seeds: [&str; 5],
    ) -> std::collections::BTreeMap<&'static str, Pushed> {
        let [v1, latest, docker_v1, multi, docker_multi] = seeds;
        std::collections::BTreeMap::from([
            ("v1", self.push_oci_image(repo, "v1", v1)),
            ("latest", self.push_oci_image(repo, "latest", latest)),
            (
                "docker-v1",
                self.push_docker_image(repo, "docker-v1", docker_v1),
            ),
            (
                "multi",
                self.push_oci_index(repo, "multi", multi, TWO_PLATFORMS),
            ),
            (
                "docker-multi",
                self.push_docker_manifest_list(repo, "docker-multi", docker_multi, WITH_ARM_V7),
            ),
        ])
    }

    /// Pushes `repos * tags_per_repo` tags, repositories `bulk/repo-NN` with tags `tag-NNN`, each a distinct
    /// OCI manifest (an annotation differs) over the same two blobs. Blobs go up once per repository, the
    /// manifests from a few threads. Returned in repository, then tag order.
    pub fn push_many_tags(&self, repos: usize, tags_per_repo: usize, seed: &str) -> Vec<Pushed> {
        let names: Vec<(String, String)> = (0..repos)
            .flat_map(|r| {
                (0..tags_per_repo)
                    .map(move |t| (format!("bulk/repo-{r:02}"), format!("tag-{t:03}")))
            })
            .collect();
        let shared = fixtures::image(Flavor::Oci, seed, "linux/amd64", None);
        for r in 0..repos {
            for blob in &shared.blobs {
                self.push_blob(&format!("bulk/repo-{r:02}"), &blob.bytes);
            }
        }
        let next = AtomicUsize::new(0);
        let mut results: Vec<(usize, Pushed)> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..BULK_WORKERS.min(names.len()))
                .map(|_| {
                    scope.spawn(|| {
                        let mut done = Vec::new();
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some((repo, tag)) = names.get(i) else {
                                break done;
                            };
                            let unique = format!("{seed}/{repo}:{tag}");
                            let annotations = [("io.imagepin.test.fixture", unique.as_str())];
                            let image = fixtures::image(
                                Flavor::Oci,
                                seed,
                                "linux/amd64",
                                Some(&annotations),
                            );
                            self.push_manifest(
                                repo,
                                tag,
                                image.manifest.media_type,
                                &image.manifest.bytes,
                            );
                            done.push((i, pushed(repo, tag, image.manifest, Vec::new())));
                        }
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().expect("bulk push worker panicked"))
                .collect()
        });
        results.sort_by_key(|(i, _)| *i);
        results.into_iter().map(|(_, p)| p).collect()
    }

    /// Uploads a blob (POST then PUT) unless the repository already has it; returns its digest.
    pub fn push_blob(&self, repo: &str, bytes: &[u8]) -> String {
        let digest = sha256_digest(bytes);
        let head = self.send(
            self.authorized(
                self.http
                    .head(self.url_for(&format!("/v2/{repo}/blobs/{digest}"))),
                repo,
            ),
            "HEAD blob",
        );
        if head.status() == StatusCode::OK {
            return digest;
        }
        let started = expect_status(
            self.send(
                self.authorized(
                    self.http
                        .post(self.url_for(&format!("/v2/{repo}/blobs/uploads/"))),
                    repo,
                ),
                "start blob upload",
            ),
            StatusCode::ACCEPTED,
            "start blob upload",
        );
        let location = started
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .expect("upload response has a Location");
        // Location may be relative; it carries the upload state in its query, to which `digest` is added.
        let mut upload = Url::parse(&self.url())
            .and_then(|base| base.join(location))
            .expect("valid upload Location");
        upload.query_pairs_mut().append_pair("digest", &digest);
        let request = self
            .http
            .put(upload)
            .header(CONTENT_TYPE, "application/octet-stream")
            .body(bytes.to_vec());
        expect_status(
            self.send(self.authorized(request, repo), "finish blob upload"),
            StatusCode::CREATED,
            "finish blob upload",
        );
        digest
    }

    /// PUTs manifest `bytes` under `reference` (a tag or a digest) with `media_type` as Content-Type and returns
    /// the digest the harness computed. Panics if the registry reports a different one.
    pub fn push_manifest(
        &self,
        repo: &str,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> String {
        let digest = sha256_digest(bytes);
        let request = self
            .http
            .put(self.url_for(&format!("/v2/{repo}/manifests/{reference}")))
            .header(CONTENT_TYPE, media_type)
            .body(bytes.to_vec());
        let what = format!("PUT manifest {repo}:{reference}");
        let response = expect_status(
            self.send(self.authorized(request, repo), &what),
            StatusCode::CREATED,
            &what,
        );
        let reported = response
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok());
        assert_eq!(
            reported,
            Some(digest.as_str()),
            "{what}: the registry's digest differs from the harness's"
        );
        digest
    }

    /// The digest the registry serves for `repo:reference` (HEAD with all four manifest types accepted, with
    /// the harness's own credentials, not counted as token requests), or `None` for 404.
    pub fn manifest_digest(&self, repo: &str, reference: &str) -> Option<String> {
        let request = self
            .http
            .head(self.url_for(&format!("/v2/{repo}/manifests/{reference}")))
            .header(ACCEPT, ACCEPT_ALL);
        let what = format!("HEAD manifest {repo}:{reference}");
        let response = self.send(self.authorized(request, repo), &what);
        if response.status() == StatusCode::NOT_FOUND {
            return None;
        }
        let response = expect_status(response, StatusCode::OK, &what);
        let digest = response
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{what}: no Docker-Content-Digest"));
        Some(digest.to_string())
    }

    /// Deletes a manifest by digest (the registry is configured with deletes enabled).
    pub fn delete_manifest(&self, repo: &str, digest: &str) {
        let request = self
            .http
            .delete(self.url_for(&format!("/v2/{repo}/manifests/{digest}")));
        let what = format!("DELETE manifest {repo}@{digest}");
        expect_status(
            self.send(self.authorized(request, repo), &what),
            StatusCode::ACCEPTED,
            &what,
        );
    }

    // ----- internals -----

    fn push_image(&self, flavor: Flavor, repo: &str, tag: &str, seed: &str) -> Pushed {
        let image = fixtures::image(flavor, seed, "linux/amd64", None);
        for blob in &image.blobs {
            self.push_blob(repo, &blob.bytes);
        }
        self.push_manifest(repo, tag, image.manifest.media_type, &image.manifest.bytes);
        pushed(repo, tag, image.manifest, Vec::new())
    }

    fn push_index(
        &self,
        flavor: Flavor,
        repo: &str,
        tag: &str,
        seed: &str,
        platforms: &[&str],
    ) -> Pushed {
        let index = fixtures::index(flavor, seed, platforms);
        self.push_built_index(repo, tag, index)
    }

    fn push_built_index(&self, repo: &str, tag: &str, index: fixtures::Index) -> Pushed {
        let mut children = Vec::new();
        // The registry rejects an index whose children it does not have, so they go first, by digest.
        for (platform, child) in index.children {
            for blob in &child.blobs {
                self.push_blob(repo, &blob.bytes);
            }
            let m = child.manifest;
            self.push_manifest(repo, &m.digest, m.media_type, &m.bytes);
            children.push(PushedChild {
                platform,
                media_type: m.media_type,
                manifest: m.bytes,
                digest: m.digest,
            });
        }
        let m = index.manifest;
        self.push_manifest(repo, tag, m.media_type, &m.bytes);
        pushed(repo, tag, m, children)
    }

    fn url_for(&self, path: &str) -> String {
        format!("{}{path}", self.url())
    }

    /// Adds the harness's credentials. For tokens it signs one itself instead of asking the token server, so
    /// [`Registry::token_requests`] counts only the requests of the code under test.
    fn authorized(&self, request: RequestBuilder, repo: &str) -> RequestBuilder {
        match (&self.token_server, self.variant) {
            (Some(server), _) => request.bearer_auth(server.mint_full_access(TOKEN_SERVICE, repo)),
            (None, Variant::TlsBasic) => request.basic_auth(USER, Some(PASSWORD)),
            (None, _) => request,
        }
    }

    fn send(&self, request: RequestBuilder, what: &str) -> Response {
        request
            .send()
            .unwrap_or_else(|e| panic!("{what}: {e:?}\nregistry log:\n{}", self.log()))
    }

    /// Bounded polling: the "listening" line is logged just before the server accepts, and TLS setup or a
    /// slow machine can still make the first request fail.
    fn wait_until_ready(&mut self, deadline: Instant) {
        let url = self.url_for("/v2/");
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!(
                    "docker-registry exited ({status}) during startup; its output:\n{}",
                    self.log()
                );
            }
            let last = match self.http.get(&url).send() {
                Ok(r) if matches!(r.status().as_u16(), 200 | 401) => return,
                Ok(r) => format!("status {}", r.status()),
                Err(e) => format!("{e:?}"),
            };
            if Instant::now() >= deadline {
                panic!("{url} not ready within {STARTUP_DEADLINE:?} (last: {last}); registry output:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Where `docker-registry` is on `path_var` (a `PATH` value). Panics with install instructions if it is
/// not there: tests that need a real registry must fail, never pass vacuously.
pub fn find_registry_binary(path_var: Option<&OsStr>) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    std::env::split_paths(path_var.unwrap_or_default())
        .map(|dir| dir.join(REGISTRY_BINARY))
        .find(|candidate| {
            std::fs::metadata(candidate)
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
        .unwrap_or_else(|| {
            panic!(
                "docker-registry not found: install it with `apt-get install -y docker-registry` \
                 (tests need a real registry)"
            )
        })
}

fn pushed(
    repo: &str,
    tag: &str,
    manifest: fixtures::Manifest,
    children: Vec<PushedChild>,
) -> Pushed {
    Pushed {
        repo: repo.to_string(),
        tag: tag.to_string(),
        media_type: manifest.media_type,
        manifest: manifest.bytes,
        digest: manifest.digest,
        children,
    }
}

/// rustls is built without a default provider (no aws-lc); reqwest needs one installed process-wide.
fn install_crypto_provider() {
    // Err only means some other test already installed it.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn harness_client(ca_pem: Option<&str>) -> Client {
    let mut builder = Client::builder()
        // A proxy from the environment must never see loopback test traffic.
        .no_proxy()
        .timeout(Duration::from_secs(30));
    if let Some(pem) = ca_pem {
        let ca = reqwest::Certificate::from_pem(pem.as_bytes()).expect("parse test CA");
        builder = builder.tls_certs_only([ca]);
    }
    builder.build().expect("build harness HTTP client")
}

/// Collects one output stream of the registry into `log` and sends the address from its
/// `listening on 127.0.0.1:PORT` line (the TLS line adds `, tls`).
fn spawn_log_reader(
    stream: impl Read + Send + 'static,
    log: &Arc<Mutex<Vec<String>>>,
    addr_tx: mpsc::Sender<String>,
) -> JoinHandle<()> {
    let log = Arc::clone(log);
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut line = Vec::new();
        let mut sent = false;
        while reader.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
            let text = String::from_utf8_lossy(&line).trim_end().to_string();
            line.clear();
            if !sent {
                if let Some(rest) = text.split("listening on ").nth(1) {
                    let addr: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
                        .collect();
                    sent = addr_tx.send(addr).is_ok();
                }
            }
            log.lock().unwrap().push(text);
        }
    })
}

/// Returns `response` if it has `expected`, else panics with the status and the registry's error body.
fn expect_status(response: Response, expected: StatusCode, what: &str) -> Response {
    if response.status() == expected {
        return response;
    }
    let status = response.status();
    let body = response.text().unwrap_or_default();
    panic!("{what}: expected {expected}, got {status}: {body}");
}

fn write(path: &Path, contents: &str) {
    std::fs::write(path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// A path as a YAML double-quoted scalar: JSON strings are valid YAML, so any temp dir name is safe.
fn yaml_str(path: &Path) -> String {
    serde_json::to_string(&path.to_string_lossy()).expect("a string serializes")
}

/// `text` with `@@REG@@` replaced by `host` and every `@@TAG@@` by the digest pushed for `TAG`: the
/// placeholders of the fixture trees under `tests/e2e`.
pub fn fill_placeholders(
    text: &str,
    host: &str,
    pushed: &std::collections::BTreeMap<&'static str, Pushed>,
) -> String {
    let mut out = text.replace("@@REG@@", host);
    for (tag, p) in pushed {
        out = out.replace(&format!("@@{tag}@@"), &p.digest);
    }
    out
}
