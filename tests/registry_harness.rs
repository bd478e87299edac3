//! Tests of the test harness itself: each registry variant starts, the four fixture kinds land with the
//! digests the harness computed, and a client that authenticates the way real ones do (Basic, or the token
//! flow from the `WWW-Authenticate` challenge) sees them. Raw HTTP only; the `pin` binary is not involved.

mod harness;

use std::cell::Cell;

use harness::{
    Pushed, Registry, Variant, ACCEPT_ALL, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX,
    OCI_MANIFEST, TWO_PLATFORMS, WITH_ARM_V7,
};
use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::header::{ACCEPT, WWW_AUTHENTICATE};
use reqwest::{StatusCode, Url};

const REPO: &str = "fixtures/app";

/// A registry client written only from the distribution spec: it retries a 401 once, with Basic or with a
/// bearer token fetched from the challenge's realm, and counts the tokens it fetched.
struct SpecClient {
    http: Client,
    base: String,
    credentials: Option<(&'static str, &'static str)>,
    tokens_fetched: Cell<usize>,
}

impl SpecClient {
    fn new(registry: &Registry, credentials: Option<(&'static str, &'static str)>) -> SpecClient {
        let mut builder = Client::builder().no_proxy();
        if let Some(ca) = registry.ca_pem_path() {
            let pem = std::fs::read(ca).expect("read CA file");
            builder =
                builder.tls_certs_only([reqwest::Certificate::from_pem(&pem).expect("CA PEM")]);
        }
        SpecClient {
            http: builder.build().expect("client"),
            base: registry.url(),
            credentials,
            tokens_fetched: Cell::new(0),
        }
    }

    /// HEAD a manifest: (status, Docker-Content-Digest).
    fn head_manifest(
        &self,
        repo: &str,
        reference: &str,
        accept: &str,
    ) -> (StatusCode, Option<String>) {
        let url = format!("{}/v2/{repo}/manifests/{reference}", self.base);
        let response = self.send(|| self.http.head(&url).header(ACCEPT, accept));
        let digest = response
            .headers()
            .get("docker-content-digest")
            .map(|v| v.to_str().unwrap().to_string());
        (response.status(), digest)
    }

    fn send(&self, request: impl Fn() -> RequestBuilder) -> Response {
        let response = request().send().expect("request");
        if response.status() != StatusCode::UNAUTHORIZED {
            return response;
        }
        let challenge = response
            .headers()
            .get(WWW_AUTHENTICATE)
            .expect("401 carries WWW-Authenticate")
            .to_str()
            .unwrap()
            .to_string();
        let (scheme, params) = parse_challenge(&challenge);
        let retry = match scheme.to_ascii_lowercase().as_str() {
            "basic" => {
                let (user, password) = self
                    .credentials
                    .expect("Basic challenge but no credentials");
                request().basic_auth(user, Some(password))
            }
            "bearer" => request().bearer_auth(self.fetch_token(&params)),
            other => panic!("unexpected auth scheme {other:?} in {challenge:?}"),
        };
        retry.send().expect("retried request")
    }

    fn fetch_token(&self, params: &[(String, String)]) -> String {
        let param = |key: &str| {
            params
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        let realm = param("realm").expect("challenge has a realm");
        let mut url = Url::parse(realm).expect("realm is a URL");
        url.query_pairs_mut().append_pair(
            "service",
            param("service").expect("challenge has a service"),
        );
        if let Some(scope) = param("scope") {
            url.query_pairs_mut().append_pair("scope", scope);
        }
        let mut request = self.http.get(url);
        if let Some((user, password)) = self.credentials {
            request = request.basic_auth(user, Some(password));
        }
        let response = request.send().expect("token request");
        self.tokens_fetched.set(self.tokens_fetched.get() + 1);
        assert_eq!(response.status(), StatusCode::OK, "token endpoint refused");
        let body: serde_json::Value = response.json_from_bytes();
        body["token"]
            .as_str()
            .expect("token in response")
            .to_string()
    }
}

/// reqwest's `json` needs its `json` feature; parsing the bytes ourselves avoids adding it for tests.
trait JsonFromBytes {
    fn json_from_bytes(self) -> serde_json::Value;
}

impl JsonFromBytes for Response {
    fn json_from_bytes(self) -> serde_json::Value {
        serde_json::from_slice(&self.bytes().expect("body")).expect("JSON body")
    }
}

/// `Bearer realm="...",service="...",scope="..."` -> ("Bearer", [(key, value)]). Quoted values may hold commas.
fn parse_challenge(header: &str) -> (String, Vec<(String, String)>) {
    let (scheme, mut rest) = header.split_once(' ').unwrap_or((header, ""));
    let mut params = Vec::new();
    loop {
        rest = rest.trim_start_matches([',', ' ']);
        let Some((key, after)) = rest.split_once('=') else {
            break;
        };
        let (value, remaining) = match after.strip_prefix('"') {
            Some(quoted) => {
                let end = quoted.find('"').expect("closing quote");
                (&quoted[..end], &quoted[end + 1..])
            }
            None => after.split_once(',').unwrap_or((after, "")),
        };
        params.push((key.trim().to_string(), value.to_string()));
        rest = remaining;
    }
    (scheme.to_string(), params)
}

/// Pushes one fixture of each kind and checks each, and each index child, through `client`.
fn push_and_check_all_kinds(registry: &Registry, client: &SpecClient) -> Vec<Pushed> {
    let pushed = vec![
        registry.push_oci_image(REPO, "oci", "seed oci"),
        registry.push_docker_image(REPO, "docker", "seed docker"),
        registry.push_oci_index(REPO, "oci-index", "seed oci index", TWO_PLATFORMS),
        registry.push_docker_manifest_list(REPO, "docker-list", "seed docker list", WITH_ARM_V7),
    ];
    let kinds: Vec<&str> = pushed.iter().map(|p| p.media_type).collect();
    assert_eq!(
        kinds,
        [
            OCI_MANIFEST,
            DOCKER_MANIFEST,
            OCI_INDEX,
            DOCKER_MANIFEST_LIST
        ]
    );
    assert_eq!(pushed[2].children.len(), 2);
    assert_eq!(pushed[3].children.len(), 3);
    assert!(pushed[3].child_digest("linux/arm/v7").is_some());

    for p in &pushed {
        assert_eq!(p.digest, harness::sha256_digest(&p.manifest));
        let (status, digest) = client.head_manifest(REPO, &p.tag, ACCEPT_ALL);
        assert_eq!(status, StatusCode::OK, "HEAD {}:{}", REPO, p.tag);
        assert_eq!(
            digest.as_deref(),
            Some(p.digest.as_str()),
            "digest of {}:{}",
            REPO,
            p.tag
        );
        for child in &p.children {
            let (status, digest) = client.head_manifest(REPO, &child.digest, ACCEPT_ALL);
            assert_eq!(status, StatusCode::OK, "HEAD child {}", child.platform);
            assert_eq!(digest.as_deref(), Some(child.digest.as_str()));
        }
    }
    let (status, _) = client.head_manifest(REPO, "no-such-tag", ACCEPT_ALL);
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = client.head_manifest("no/such-repo", "v1", ACCEPT_ALL);
    assert_eq!(status, StatusCode::NOT_FOUND);
    pushed
}

#[test]
fn plain_registry_serves_every_fixture_kind() {
    let registry = Registry::start(Variant::Plain);
    assert!(registry.url().starts_with("http://127.0.0.1:"));
    assert!(registry.ca_pem_path().is_none() && registry.credentials().is_none());
    let client = SpecClient::new(&registry, None);
    let pushed = push_and_check_all_kinds(&registry, &client);

    // Distribution's Accept quirk, which shows the list's children are the per-platform manifests: asked
    // for Docker v2 only, a manifest list answers with its linux/amd64 child.
    let list = &pushed[3];
    let (status, digest) = client.head_manifest(REPO, &list.tag, DOCKER_MANIFEST);
    assert_eq!(status, StatusCode::OK);
    assert_eq!(digest.as_deref(), list.child_digest("linux/amd64"));
    // ... and an OCI index is not offered to a client that accepts only single manifests.
    let (status, _) = client.head_manifest(REPO, &pushed[2].tag, OCI_MANIFEST);
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(registry.token_requests(), 0);
}

#[test]
fn tls_basic_registry_needs_the_password() {
    let registry = Registry::start(Variant::TlsBasic);
    assert!(registry.url().starts_with("https://127.0.0.1:"));
    assert_eq!(
        registry.credentials(),
        Some((harness::USER, harness::PASSWORD))
    );
    let client = SpecClient::new(&registry, registry.credentials());
    push_and_check_all_kinds(&registry, &client);

    let url = format!("{}/v2/{REPO}/manifests/oci", registry.url());
    let anonymous = registry
        .http_client()
        .head(&url)
        .header(ACCEPT, ACCEPT_ALL)
        .send()
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let challenge = anonymous.headers()[WWW_AUTHENTICATE].to_str().unwrap();
    assert!(challenge.starts_with("Basic "), "{challenge}");
    let wrong = SpecClient::new(&registry, Some((harness::USER, "wrong")));
    assert_eq!(
        wrong.head_manifest(REPO, "oci", ACCEPT_ALL).0,
        StatusCode::UNAUTHORIZED
    );

    // The certificate is really checked: a client trusting some other CA is refused.
    let other_ca = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let other_ca = reqwest::Certificate::from_pem(other_ca.cert.pem().as_bytes()).unwrap();
    let untrusting = Client::builder()
        .no_proxy()
        .tls_certs_only([other_ca])
        .build()
        .unwrap();
    let error = untrusting
        .get(format!("{}/v2/", registry.url()))
        .send()
        .unwrap_err();
    assert!(format!("{error:?}").contains("UnknownIssuer"), "{error:?}");
}

#[test]
fn tls_token_registry_follows_the_token_flow_and_counts_requests() {
    let registry = Registry::start(Variant::TlsToken);
    let client = SpecClient::new(&registry, registry.credentials());
    push_and_check_all_kinds(&registry, &client);

    // 4 tags + 5 children + 2 missing ones, one token each (this client caches nothing). The harness's own
    // pushes sign tokens in-process, so the server counted exactly the client's requests.
    assert_eq!(client.tokens_fetched.get(), 11);
    let log = registry.token_request_log();
    assert_eq!(log.len(), 11);
    assert!(log
        .iter()
        .all(|r| r.status == 200 && r.user.as_deref() == Some(harness::USER)));
    assert_eq!(log[0].scopes, [format!("repository:{REPO}:pull")]);
}

#[test]
fn token_server_gives_anonymous_clients_pull_only() {
    let registry = Registry::start(Variant::TlsToken);
    let pushed = registry.push_oci_image(REPO, "v1", "anonymous pull");
    let anonymous = SpecClient::new(&registry, None);
    let (status, digest) = anonymous.head_manifest(REPO, "v1", ACCEPT_ALL);
    assert_eq!(status, StatusCode::OK);
    assert_eq!(digest.as_deref(), Some(pushed.digest.as_str()));

    // A push with an anonymous token asking for push is refused: the token only grants pull.
    let realm = registry.token_realm().unwrap();
    let http = registry.http_client();
    let mut url = Url::parse(&realm).unwrap();
    url.query_pairs_mut()
        .append_pair("service", harness::TOKEN_SERVICE)
        .append_pair("scope", &format!("repository:{REPO}:pull,push"));
    let token: serde_json::Value = http.get(url).send().unwrap().json_from_bytes();
    let upload = http
        .post(format!("{}/v2/{REPO}/blobs/uploads/", registry.url()))
        .bearer_auth(token["token"].as_str().unwrap())
        .send()
        .unwrap();
    assert_eq!(upload.status(), StatusCode::UNAUTHORIZED);

    let wrong = http
        .get(&realm)
        .basic_auth(harness::USER, Some("wrong"))
        .send()
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);

    let log = registry.token_request_log();
    let summary: Vec<(Option<&str>, u16)> =
        log.iter().map(|r| (r.user.as_deref(), r.status)).collect();
    assert_eq!(
        summary,
        [(None, 200), (None, 200), (Some(harness::USER), 401)]
    );
    assert_eq!(log[1].scopes, [format!("repository:{REPO}:pull,push")]);
}

#[test]
fn moved_tag_and_deleted_manifest() {
    let registry = Registry::start(Variant::Plain);
    let old = registry.push_oci_image(REPO, "v1", "before");
    let new = registry.move_tag(REPO, "v1", "after");
    assert_ne!(old.digest, new.digest);
    assert_eq!(
        registry.manifest_digest(REPO, "v1"),
        Some(new.digest.clone())
    );
    // The old manifest is untagged, not gone.
    assert_eq!(
        registry.manifest_digest(REPO, &old.digest),
        Some(old.digest.clone())
    );

    registry.delete_manifest(REPO, &new.digest);
    assert_eq!(registry.manifest_digest(REPO, "v1"), None);
}

#[test]
fn same_seed_same_digest_and_different_seed_different_digest() {
    let registry = Registry::start(Variant::Plain);
    let a = registry.push_oci_index("one", "a", "seed", TWO_PLATFORMS);
    let b = registry.push_oci_index("two", "b", "seed", TWO_PLATFORMS);
    let c = registry.push_oci_index("one", "c", "other seed", TWO_PLATFORMS);
    assert_eq!(a.digest, b.digest);
    assert_eq!(a.manifest, b.manifest);
    assert_ne!(a.digest, c.digest);
    assert_ne!(a.child_digest("linux/arm64"), c.child_digest("linux/arm64"));
    assert_ne!(a.child_digest("linux/amd64"), a.child_digest("linux/arm64"));
}

#[test]
fn many_tags_share_blobs_but_not_digests() {
    let registry = Registry::start(Variant::TlsToken);
    let started = std::time::Instant::now();
    let pushed = registry.push_many_tags(10, 50, "bench");
    let elapsed = started.elapsed();
    eprintln!("pushed {} tags in {elapsed:?}", pushed.len());
    assert_eq!(pushed.len(), 500);
    let mut digests: Vec<&str> = pushed.iter().map(|p| p.digest.as_str()).collect();
    digests.sort_unstable();
    digests.dedup();
    assert_eq!(digests.len(), 500);
    assert_eq!(
        (pushed[0].repo.as_str(), pushed[0].tag.as_str()),
        ("bulk/repo-00", "tag-000")
    );
    let last = &pushed[499];
    assert_eq!(
        (last.repo.as_str(), last.tag.as_str()),
        ("bulk/repo-09", "tag-049")
    );
    assert_eq!(
        registry.manifest_digest(&last.repo, &last.tag),
        Some(last.digest.clone())
    );
    assert_eq!(registry.token_requests(), 0);
}

#[test]
fn stop_kills_the_process() {
    let mut registry = Registry::start(Variant::Plain);
    let pid = registry.pid().expect("running");
    registry.stop();
    assert!(registry.pid().is_none());
    // Reaped, so the PID no longer names a docker-registry (/proc has no entry, or it was reused). Not
    // probed over HTTP: a registry started by a concurrent test may already have been given the same port.
    let cmdline = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    assert!(
        !cmdline.contains("docker-registry"),
        "process {pid} still running"
    );
}

#[test]
fn docker_config_carries_the_credentials() {
    let registry = Registry::start(Variant::TlsBasic);
    let dir = tempfile::tempdir().unwrap();
    let file = registry.write_docker_config(dir.path());
    let config: serde_json::Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    let auth = config["auths"][registry.host()]["auth"].as_str().unwrap();
    use base64::Engine;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(auth)
        .unwrap();
    assert_eq!(decoded, b"tester:s3cret");
}

#[test]
#[should_panic(
    expected = "docker-registry not found: install it with `apt-get install -y docker-registry` (tests need a real registry)"
)]
fn missing_registry_binary_fails_loudly() {
    let empty = tempfile::tempdir().unwrap();
    harness::find_registry_binary(Some(empty.path().as_os_str()));
}
