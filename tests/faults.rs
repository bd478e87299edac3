//! Fault injection: the `pin` binary against a registry that misbehaves on cue (see `fake_registry`).
//!
//! Every test runs the real binary with `-w` in a fresh directory, so that a failure also proves the
//! all-or-nothing promise: exit 2 and not one byte of any file changed. Request counts are taken from the
//! server side, after the client exited, because the request budget is part of `pin`'s contract.

mod common;
mod fake_registry;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fake_registry::{
    manifest_body, sha256, FakeRegistry, Kind, Reply, Request, Response, Seen, OCI_MANIFEST,
};

/// What `pin` sends as `Accept` on manifest requests: all four types, or multi-arch tags resolve to one
/// platform's manifest.
const MANIFEST_TYPES: [&str; 4] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];

fn digest_of(repository: &str, tag: &str) -> String {
    sha256(&manifest_body(repository, tag))
}

/// The Dockerfile `FROM {host}/team/app:TAG` lines become once pinned, one per tag, digests computed here: the
/// default style of a Dockerfile keeps the tag in a `# pin:` line above.
fn pinned_froms(host: &str, tags: &[impl AsRef<str>]) -> String {
    tags.iter()
        .map(|t| {
            let t = t.as_ref();
            format!(
                "# pin: {host}/team/app:{t}\nFROM {host}/team/app@{}\n",
                digest_of("team/app", t)
            )
        })
        .collect()
}

/// Writes a Dockerfile of one `FROM {host}/team/app:TAG` line a tag, `v1` to `v{count}`, and returns the tags.
fn write_app_froms(project: &Project, host: &str, count: usize) -> Vec<String> {
    let tags: Vec<String> = (1..=count).map(|i| format!("v{i}")).collect();
    let text: String = tags
        .iter()
        .map(|t| format!("FROM {host}/team/app:{t}\n"))
        .collect();
    project.write("Dockerfile", &text);
    tags
}

/// A well-behaved answer to `req`: ping 200, manifests with their digest, anything else 404. Scripts fall
/// back to it for whatever they do not break.
fn behave(req: &Request) -> Reply {
    match req.kind {
        Kind::Ping => Response::new(200).body("{}").into(),
        Kind::HeadManifest | Kind::GetManifest => {
            let (repo, tag) = req.manifest().expect("manifest path");
            let body = manifest_body(repo, tag);
            Response::new(200)
                .header("Content-Type", OCI_MANIFEST)
                .header("Docker-Content-Digest", &sha256(&body))
                .body(body)
                .into()
        }
        Kind::Token | Kind::Other => Response::new(404).into(),
    }
}

/// A manifest answer with no `Docker-Content-Digest`: the client must hash the body.
fn without_digest(req: &Request) -> Response {
    let (repo, tag) = req.manifest().expect("manifest path");
    Response::new(200)
        .header("Content-Type", OCI_MANIFEST)
        .body(manifest_body(repo, tag))
}

/// A temporary project directory, which is also `$HOME` for the run.
struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn new() -> Project {
        Project {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    fn read(&self, name: &str) -> String {
        String::from_utf8(std::fs::read(self.path().join(name)).unwrap()).unwrap()
    }
}

/// The standard one-image Dockerfile; a second line checks that bytes around the reference survive.
fn dockerfile(host: &str) -> String {
    format!("FROM {host}/team/app:v1\nRUN true\n")
}

struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
    took: Duration,
}

/// Runs `pin --insecure-registry HOST ARGS…` in `project` with a clean environment: `HOME` is the project,
/// `PATH` is kept, and `env` adds the rest (`DOCKER_CONFIG`). Clearing the environment keeps the machine's
/// own docker and podman logins (`~/.docker`, `$XDG_RUNTIME_DIR`, `$REGISTRY_AUTH_FILE`) and proxies out.
fn pin(project: &Project, reg: &FakeRegistry, args: &[&str], env: &[(&str, &Path)]) -> Outcome {
    pin_insecure(project, &[&reg.host()], args, env)
}

/// [`pin`] with `--insecure-registry` for each of `insecure` (none: every registry is HTTPS).
fn pin_insecure(
    project: &Project,
    insecure: &[&str],
    args: &[&str],
    env: &[(&str, &Path)],
) -> Outcome {
    let mut cmd = common::command(project.path());
    for host in insecure {
        cmd.args(["--insecure-registry", host]);
    }
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let start = Instant::now();
    let out = cmd.output().expect("run pin");
    let outcome = Outcome {
        code: out.status.code().expect("pin exited by a signal"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        took: start.elapsed(),
    };
    // Captured by the harness and shown only for a failing test: the whole run, not just the assertion.
    eprintln!(
        "pin {args:?}: exit {} in {:?}\n--- stderr\n{}--- stdout\n{}",
        outcome.code, outcome.took, outcome.stderr, outcome.stdout
    );
    outcome
}

/// Requests by kind, as `[ping, token, HEAD, GET]`: one assertion shows the whole budget on failure.
fn budget(seen: &Seen) -> [usize; 4] {
    [
        seen.count(Kind::Ping),
        seen.count(Kind::Token),
        seen.count(Kind::HeadManifest),
        seen.count(Kind::GetManifest),
    ]
}

/// Every manifest request asked for all four manifest types.
fn assert_accepts_all_types(seen: &Seen) {
    let manifests = seen
        .requests
        .iter()
        .filter(|r| matches!(r.kind, Kind::HeadManifest | Kind::GetManifest));
    for r in manifests {
        let accept = r.header("accept").unwrap_or_default();
        for t in MANIFEST_TYPES {
            assert!(
                accept.contains(t),
                "{} {} Accept lacks {t}: {accept}",
                r.method,
                r.path
            );
        }
    }
}

/// The least the backoff can wait over three retries without `Retry-After`: 250 + 500 + 1000 ms (jitter
/// only adds).
const MIN_BACKOFF: Duration = Duration::from_millis(1750);

/// Asserts the run failed as a whole: exit 2, the file untouched, and the "nothing written" line.
fn assert_failed_cleanly(out: &Outcome, project: &Project, name: &str, before: &str) {
    assert_eq!(out.code, 2, "exit status");
    assert_eq!(project.read(name), before, "{name} must not change");
    assert!(
        out.stderr.contains("pin: nothing written"),
        "stderr: {}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "stdout: {}", out.stdout);
}

/// The single error line for the reference in `Dockerfile` line 1.
fn error_line<'a>(out: &'a Outcome, host: &str) -> &'a str {
    let prefix = format!("Dockerfile:1:6: error: cannot pin {host}/team/app:v1: ");
    out.stderr
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no line starting {prefix:?} in stderr:\n{}", out.stderr))
}

// Guards: a 429 with `Retry-After: 1` is waited out and retried once, then the pin succeeds.
#[test]
fn retry_after_on_429_is_honoured() {
    let reg = FakeRegistry::start(|req| match (req.kind, req.nth) {
        (Kind::HeadManifest, 1) => Response::new(429)
            .header("Retry-After", "1")
            .body(r#"{"errors":[{"code":"TOOMANYREQUESTS"}]}"#)
            .into(),
        _ => behave(req),
    });
    let host = reg.host();
    let project = Project::new();
    project.write("Dockerfile", &dockerfile(&host));

    let out = pin(&project, &reg, &["-w", "-v", "Dockerfile"], &[]);
    let seen = reg.finish();

    assert_eq!(out.code, 0, "exit status");
    assert!(
        out.took >= Duration::from_secs(1),
        "Retry-After ignored: took {:?}",
        out.took
    );
    assert_eq!(budget(&seen), [1, 0, 2, 0], "[ping, token, HEAD, GET]");
    assert!(
        out.stderr
            .contains("requests: 1 ping, 0 token, 2 HEAD, 0 GET, 1 retried"),
        "the client's own count must agree: {}",
        out.stderr
    );
    assert_eq!(
        project.read("Dockerfile"),
        format!(
            "# pin: {host}/team/app:v1\nFROM {host}/team/app@{}\nRUN true\n",
            digest_of("team/app", "v1")
        )
    );
}

// Guards: a registry that answers 503 forever costs exactly 1 + 3 retries, then fails with nothing written.
#[test]
fn server_error_forever_gives_up_after_three_retries() {
    let reg = FakeRegistry::start(|req| match req.kind {
        Kind::HeadManifest => Response::new(503).body("down for maintenance").into(),
        _ => behave(req),
    });
    let host = reg.host();
    let project = Project::new();
    let before = dockerfile(&host);
    project.write("Dockerfile", &before);

    let out = pin(&project, &reg, &["-w", "Dockerfile"], &[]);
    let seen = reg.finish();

    assert_failed_cleanly(&out, &project, "Dockerfile", &before);
    assert_eq!(budget(&seen), [1, 0, 4, 0], "[ping, token, HEAD, GET]");
    assert!(
        out.took >= MIN_BACKOFF,
        "retried without backoff: {:?}",
        out.took
    );
    let line = error_line(&out, &host);
    assert!(
        line.contains(&format!("{host} answered 503 Service Unavailable 4 times")),
        "{line}"
    );
}

// Guards: a failed ping is remembered per registry: 3 references cost 4 pings (1 + 3 retries) and no HEAD.
#[test]
fn failed_ping_is_not_repeated_per_reference() {
    let reg = FakeRegistry::start(|req| match req.kind {
        Kind::Ping => Response::new(502).into(),
        _ => behave(req),
    });
    let host = reg.host();
    let project = Project::new();
    let before =
        format!("FROM {host}/team/app:v1\nFROM {host}/team/app:v2\nFROM {host}/team/db:v1\n");
    project.write("Dockerfile", &before);

    let out = pin(&project, &reg, &["-w", "Dockerfile"], &[]);
    let seen = reg.finish();

    assert_failed_cleanly(&out, &project, "Dockerfile", &before);
    assert_eq!(budget(&seen), [4, 0, 0, 0], "[ping, token, HEAD, GET]");
    for (line, reference) in [(1, "team/app:v1"), (2, "team/app:v2"), (3, "team/db:v1")] {
        let expected = format!(
            "Dockerfile:{line}:6: error: cannot pin {host}/{reference}: {host} answered 502 Bad Gateway 4 times; giving up"
        );
        assert!(
            out.stderr.lines().any(|l| l == expected),
            "no {expected:?} in:\n{}",
            out.stderr
        );
    }
}

// Guards: a connection dropped mid-request once is retried on a fresh connection and the pin succeeds.
#[test]
fn dropped_connection_once_is_retried() {
    let reg = FakeRegistry::start(|req| match (req.kind, req.nth) {
        (Kind::HeadManifest, 1) => Reply::Drop,
        _ => behave(req),
    });
    let host = reg.host();
    let project = Project::new();
    project.write("Dockerfile", &dockerfile(&host));

    let out = pin(&project, &reg, &["-w", "Dockerfile"], &[]);
    let seen = reg.finish();

    assert_eq!(out.code, 0, "exit status");
    assert_eq!(budget(&seen), [1, 0, 2, 0], "[ping, token, HEAD, GET]");
    assert_eq!(
        project.read("Dockerfile"),
        format!(
            "# pin: {host}/team/app:v1\nFROM {host}/team/app@{}\nRUN true\n",
            digest_of("team/app", "v1")
        )
    );
}

// Guards: connections dropped on every attempt end in exit 2 after 1 + 3 attempts, nothing written.
#[test]
fn dropped_connection_forever_fails_cleanly() {
    let reg = FakeRegistry::start(|req| match req.kind {
        Kind::HeadManifest => Reply::Drop,
        _ => behave(req),
    });
    let host = reg.host();
    let project = Project::new();
    let before = dockerfile(&host);
    project.write("Dockerfile", &before);

    let out = pin(&project, &reg, &["-w", "Dockerfile"], &[]);
    let seen = reg.finish();

    assert_failed_cleanly(&out, &project, "Dockerfile", &before);
    assert_eq!(budget(&seen), [1, 0, 4, 0], "[ping, token, HEAD, GET]");
    assert!(
        out.took >= MIN_BACKOFF,
        "retried without backoff: {:?}",
        out.took
    );
    let line = error_line(&out, &host);
    assert!(line.contains(&format!("cannot reach {host}: ")), "{line}");
}

// Guards: without `Docker-Content-Digest` on the HEAD, one GET is made and the body's sha256 is pinned.
#[test]
fn missing_digest_header_pins_the_hash_of_the_body() {
    let reg = FakeRegistry::start(|req| match req.kind {
        Kind::HeadManifest | Kind::GetManifest => without_digest(req).into(),
        _ => behave(req),
    });
    let host = reg.host();
    let project = Project::new();
    project.write("Dockerfile", &dockerfile(&host));

    let out = pin(&project, &reg, &["-w", "Dockerfile"], &[]);
    let seen = reg.finish();

    assert_eq!(out.code, 0, "exit status");
    assert_eq!(budget(&seen), [1, 0, 1, 1], "[ping, token, HEAD, GET]");
    assert_accepts_all_types(&seen);
    let expected = sha256(&manifest_body("team/app", "v1"));
    assert_eq!(
        project.read("Dockerfile"),
        format!("# pin: {host}/team/app:v1\nFROM {host}/team/app@{expected}\nRUN true\n")
    );
}

// Guards: a malformed `Docker-Content-Digest` on the HEAD is refused, never written, never "repaired".
#[test]
fn malformed_digest_headers_are_refused() {
    let bad = [
        "sha256:ABC".to_string(),
        format!("sha256:{}", "A".repeat(64)),
        format!("md5:{}", "a".repeat(32)),
        format!("sha256:{}", "a".repeat(63)),
    ];
    for digest in bad {
        let claimed = digest.clone();
        let reg = FakeRegistry::start(move |req| match req.kind {
            Kind::HeadManifest => Response::new(200)
                .header("Content-Type", OCI_MANIFEST)
                .header("Docker-Content-Digest", &claimed)
                .into(),
            _ => behave(req),
        });
        let host = reg.host();
        let project = Project::new();
        let before = dockerfile(&host);
        project.write("Dockerfile", &before);

        let out = pin(&project, &reg, &["-w", "Dockerfile"], &[]);
        let seen = reg.finish();

        assert_failed_cleanly(&out, &project, "Dockerfile", &before);
        assert_eq!(
            budget(&seen),
            [1, 0, 1, 0],
            "[ping, token, HEAD, GET] for {digest}"
        );
        let line = error_line(&out, &host);
        assert!(
            line.contains(&format!("{host} sent a malformed digest {digest:?}")),
            "{line}"
        );
    }
}

// Guards: a well-formed sha512 digest from the registry is refused at lookup: the reference grammar accepts only
// sha256 in a reference, so writing it would leave a pin that `pin list` rejects.
#[test]
fn a_sha512_digest_is_refused_at_lookup() {
    let claimed = format!("sha512:{}", "ab".repeat(64));
    let header = claimed.clone();
    let reg = FakeRegistry::start(move |req| match req.kind {
        Kind::HeadManifest => Response::new(200)
            .header("Content-Type", OCI_MANIFEST)
            .header("Docker-Content-Digest", &header)
            .into(),
        _ => behave(req),
    });
    let host = reg.host();
    let project = Project::new();
    let before = dockerfile(&host);
    project.write("Dockerfile", &before);

    let out = pin(&project, &reg, &["-w", "Dockerfile"], &[]);
    reg.finish();

    assert_failed_cleanly(&out, &project, "Dockerfile", &before);
    let line = error_line(&out, &host);
    assert!(
        line.contains(
            "resolved to a sha512 digest; an image reference can carry only sha256 digests"
        ),
        "{line}"
    );
    assert!(!project.read("Dockerfile").contains(&claimed));
}

// Guards: when the HEAD has no digest, a GET whose digest header contradicts its body is an error.
#[test]
fn get_digest_header_that_contradicts_the_body_is_refused() {
    let lie = digest_of("team/other", "v1");
    let claimed = lie.clone();
    let reg = FakeRegistry::start(move |req| match req.kind {
        Kind::HeadManifest => without_digest(req).into(),
        Kind::GetManifest => without_digest(req)
            .header("Docker-Content-Digest", &claimed)
            .into(),
        _ => behave(req),
    });
    let host = reg.host();
    let project = Project::new();
    let before = dockerfile(&host);
    project.write("Dockerfile", &before);

    let out = pin(&project, &reg, &["-w", "Dockerfile"], &[]);
    let seen = reg.finish();

    assert_failed_cleanly(&out, &project, "Dockerfile", &before);
    assert_eq!(budget(&seen), [1, 0, 1, 1], "[ping, token, HEAD, GET]");
    let line = error_line(&out, &host);
    let actual = digest_of("team/app", "v1");
    assert!(
        line.contains(&format!(
            "{host} sent Docker-Content-Digest \"{lie}\" for a manifest whose digest is {actual}"
        )),
        "{line}"
    );
}

// Guards: a registry slower than `--timeout 1` fails the run with a message that says it timed out.
#[test]
fn response_slower_than_timeout_fails() {
    // Far beyond the timeout; `finish` cuts the stalls short once the client has gone.
    let reg = FakeRegistry::start(|req| match req.kind {
        Kind::HeadManifest => match behave(req) {
            Reply::Respond(r) => Reply::Delay(Duration::from_secs(60), r),
            other => other,
        },
        _ => behave(req),
    });
    let host = reg.host();
    let project = Project::new();
    let before = dockerfile(&host);
    project.write("Dockerfile", &before);

    let out = pin(&project, &reg, &["-w", "--timeout", "1", "Dockerfile"], &[]);
    let seen = reg.finish();

    assert_failed_cleanly(&out, &project, "Dockerfile", &before);
    // A registry that does not answer within the timeout is not asked again (issue 11.5: fail within one
    // timeout, not four).
    assert_eq!(budget(&seen), [1, 0, 1, 0], "[ping, token, HEAD, GET]");
    assert!(
        out.took >= Duration::from_secs(1),
        "the timeout was not waited for: {:?}",
        out.took
    );
    assert!(
        out.took < Duration::from_secs(30),
        "the timeout was not applied: {:?}",
        out.took
    );
    let line = error_line(&out, &host);
    assert!(
        line.ends_with(&format!("{host}: no answer within 1 s (--timeout)")),
        "{line}"
    );
}

// Guards: a 404 for the manifest says the tag has no manifest, and is not retried.
#[test]
fn missing_manifest_is_reported_not_found() {
    let reg = FakeRegistry::start(|req| match req.kind {
        Kind::HeadManifest => Response::new(404)
            .header("Content-Type", "application/json")
            .body(r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#)
            .into(),
        _ => behave(req),
    });
    let host = reg.host();
    let project = Project::new();
    let before = dockerfile(&host);
    project.write("Dockerfile", &before);

    let out = pin(&project, &reg, &["-w", "Dockerfile"], &[]);
    let seen = reg.finish();

    assert_failed_cleanly(&out, &project, "Dockerfile", &before);
    assert_eq!(budget(&seen), [1, 0, 1, 0], "[ping, token, HEAD, GET]");
    let line = error_line(&out, &host);
    assert!(
        line.contains(&format!("{host} has no manifest for team/app:v1")),
        "{line}"
    );
}

/// A registry behind a token service at `/token` on itself: `/v2/` challenges, `/token` grants
/// `tok-<repository>` for `repository:<repository>:pull`, and manifests need that exact token. The token
/// answer is slowed down so that concurrent lookups pile up behind it: single-flight is then what keeps
/// the token count at one per repository.
fn token_registry(req: &Request) -> Reply {
    let challenge = format!(
        r#"Bearer realm="http://{}/token",service="fake-registry""#,
        req.server
    );
    match req.kind {
        Kind::Ping => Response::new(401)
            .header("WWW-Authenticate", &challenge)
            .body(r#"{"errors":[{"code":"UNAUTHORIZED"}]}"#)
            .into(),
        Kind::Token => {
            let repo = req
                .query("scope")
                .and_then(|s| s.strip_prefix("repository:"))
                .and_then(|s| s.strip_suffix(":pull"));
            match (repo, req.query("service")) {
                (Some(repo), Some("fake-registry")) => Reply::Delay(
                    Duration::from_millis(300),
                    Response::new(200)
                        .header("Content-Type", "application/json")
                        .body(format!(r#"{{"token":"tok-{repo}","expires_in":300}}"#)),
                ),
                _ => Response::new(400).into(),
            }
        }
        Kind::HeadManifest | Kind::GetManifest => {
            let (repo, _) = req.manifest().expect("manifest path");
            if req.header("authorization") == Some(&format!("Bearer tok-{repo}")) {
                behave(req)
            } else {
                Response::new(401)
                    .header("WWW-Authenticate", &challenge)
                    .into()
            }
        }
        Kind::Other => Response::new(404).into(),
    }
}

/// Every HEAD carried its repository's token, and every token request was anonymous.
fn assert_tokens_used(seen: &Seen) {
    for r in seen
        .requests
        .iter()
        .filter(|r| r.kind == Kind::HeadManifest)
    {
        let (repo, _) = r.manifest().unwrap();
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer tok-{repo}").as_str()),
            "{}",
            r.path
        );
    }
    assert!(
        seen.authorizations(Kind::Token).iter().all(Option::is_none),
        "no credentials configured, so token requests are anonymous"
    );
}

// Guards: 12 tags of one repository with -j 8 cost 1 ping, 1 token, 12 HEADs and no GET.
#[test]
fn bearer_token_is_fetched_once_for_one_repository() {
    let reg = FakeRegistry::start(token_registry);
    let host = reg.host();
    let project = Project::new();
    let tags = write_app_froms(&project, &host, 12);

    let out = pin(&project, &reg, &["-w", "-j", "8", "Dockerfile"], &[]);
    let seen = reg.finish();

    assert_eq!(out.code, 0, "exit status");
    assert_eq!(budget(&seen), [1, 1, 12, 0], "[ping, token, HEAD, GET]");
    let token = seen
        .requests
        .iter()
        .find(|r| r.kind == Kind::Token)
        .unwrap();
    assert_eq!(token.query("scope"), Some("repository:team/app:pull"));
    assert_tokens_used(&seen);
    assert_accepts_all_types(&seen);
    assert_eq!(project.read("Dockerfile"), pinned_froms(&host, &tags));
}

// Guards: 3 repositories x 4 tags with -j 8 cost 1 ping, exactly 3 tokens (one per scope), 12 HEADs.
#[test]
fn bearer_token_is_fetched_once_per_repository() {
    let reg = FakeRegistry::start(token_registry);
    let host = reg.host();
    let project = Project::new();
    let repos = ["team/app", "team/worker", "infra/proxy"];
    let pairs: Vec<(&str, String)> = repos
        .iter()
        .flat_map(|r| (1..=4).map(move |i| (*r, format!("v{i}"))))
        .collect();
    let text: String = pairs
        .iter()
        .map(|(r, t)| format!("FROM {host}/{r}:{t}\n"))
        .collect();
    project.write("Dockerfile", &text);

    let out = pin(&project, &reg, &["-w", "-j", "8", "Dockerfile"], &[]);
    let seen = reg.finish();

    assert_eq!(out.code, 0, "exit status");
    assert_eq!(budget(&seen), [1, 3, 12, 0], "[ping, token, HEAD, GET]");
    let mut scopes: Vec<&str> = seen
        .requests
        .iter()
        .filter(|r| r.kind == Kind::Token)
        .filter_map(|r| r.query("scope"))
        .collect();
    scopes.sort_unstable();
    assert_eq!(
        scopes,
        [
            "repository:infra/proxy:pull",
            "repository:team/app:pull",
            "repository:team/worker:pull"
        ]
    );
    assert_tokens_used(&seen);
    assert_accepts_all_types(&seen);
    let expected: String = pairs
        .iter()
        .map(|(r, t)| {
            format!(
                "# pin: {host}/{r}:{t}\nFROM {host}/{r}@{}\n",
                digest_of(r, t)
            )
        })
        .collect();
    assert_eq!(project.read("Dockerfile"), expected);
}

const USER: &str = "alice";
const PASSWORD: &str = "hunter2-Pa55w0rd-x9";
/// base64("alice:hunter2-Pa55w0rd-x9"), as `docker login` stores it.
const AUTH: &str = "YWxpY2U6aHVudGVyMi1QYTU1dzByZC14OQ==";
const TOKEN: &str = "tok-SECRET-do-not-print";

/// A `DOCKER_CONFIG` directory holding a login for `host`; returns the directory.
fn docker_config(project: &Project, host: &str) -> PathBuf {
    let dir = project.path().join("docker-config");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.json"),
        format!(r#"{{"auths": {{"{host}": {{"auth": "{AUTH}"}}}}}}"#),
    )
    .unwrap();
    dir
}

/// A registry whose token service refuses alice (`grant = false`), or grants a token that the manifest
/// endpoint then refuses (`grant = true`). Either way the run fails on authorization.
fn refusing_registry(grant: bool) -> FakeRegistry {
    FakeRegistry::start(move |req| {
        let challenge = format!(
            r#"Bearer realm="http://{}/token",service="fake-registry""#,
            req.server
        );
        match req.kind {
            Kind::Ping => Response::new(401)
                .header("WWW-Authenticate", &challenge)
                .into(),
            Kind::Token if grant => Response::new(200)
                .body(format!(r#"{{"token":"{TOKEN}"}}"#))
                .into(),
            Kind::Token => Response::new(401)
                .header("Content-Type", "application/json")
                .body(r#"{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}"#)
                .into(),
            _ => Response::new(401)
                .header("WWW-Authenticate", &challenge)
                .into(),
        }
    })
}

fn assert_no_secret(out: &Outcome) {
    for secret in [PASSWORD, AUTH, TOKEN] {
        assert!(!out.stderr.contains(secret), "stderr leaks {secret:?}");
        assert!(!out.stdout.contains(secret), "stdout leaks {secret:?}");
    }
}

// Guards: refused credentials name the registry and config file, and no secret is printed, with or without -v.
#[test]
fn refused_credentials_are_named_without_secrets() {
    for verbose in [false, true] {
        let (out, seen, host, source) = run_refused(false, verbose);
        assert_eq!(budget(&seen), [1, 1, 0, 0], "[ping, token, HEAD, GET]");
        // The credentials were really sent, so their absence from the output means something.
        assert_eq!(
            seen.authorizations(Kind::Token),
            [Some(format!("Basic {AUTH}"))]
        );
        let line = error_line(&out, &host);
        assert!(
            line.contains(&format!(
                "the token service of {host} refused the credentials for user \"{USER}\" from {source}"
            )),
            "{line}"
        );
        if verbose {
            assert!(out
                .stderr
                .contains("pin: requests: 1 ping, 1 token, 0 HEAD"));
        }
        assert_no_secret(&out);
    }
}

/// `pin -w Dockerfile` (with `-v` if asked) against [`refusing_registry`], credentials configured; checks
/// that it failed and wrote nothing. Returns the run, what the registry saw, its host, and the config file.
fn run_refused(grant: bool, verbose: bool) -> (Outcome, Seen, String, String) {
    let reg = refusing_registry(grant);
    let host = reg.host();
    let project = Project::new();
    let before = dockerfile(&host);
    project.write("Dockerfile", &before);
    let config = docker_config(&project, &host);
    let mut args = vec!["-w", "Dockerfile"];
    if verbose {
        args.push("-v");
    }
    let out = pin(&project, &reg, &args, &[("DOCKER_CONFIG", &config)]);
    let seen = reg.finish();
    assert_failed_cleanly(&out, &project, "Dockerfile", &before);
    let source = format!("{}/config.json", config.display());
    (out, seen, host, source)
}

// Guards: a manifest refused despite a granted token prints neither token nor credentials, with or without -v.
// The refused token is renewed once (it may have expired), then the refusal stands.
#[test]
fn refused_token_is_not_printed() {
    for verbose in [false, true] {
        let (out, seen, host, source) = run_refused(true, verbose);
        assert_eq!(budget(&seen), [1, 2, 2, 0], "[ping, token, HEAD, GET]");
        assert_eq!(
            seen.authorizations(Kind::HeadManifest),
            [
                Some(format!("Bearer {TOKEN}")),
                Some(format!("Bearer {TOKEN}"))
            ]
        );
        let line = error_line(&out, &host);
        assert!(
            line.contains(&format!(
                "{host} refused access to team/app (401 Unauthorized) with the credentials of \"{USER}\" from {source}"
            )),
            "{line}"
        );
        assert_no_secret(&out);
    }
}

// Guards: one tag referenced from two files is looked up with exactly one HEAD, and both files are pinned.
#[test]
fn same_tag_in_two_files_costs_one_head() {
    let reg = FakeRegistry::start(behave);
    let host = reg.host();
    let project = Project::new();
    project.write("Dockerfile", &dockerfile(&host));
    project.write(
        "worker/Dockerfile",
        &format!("# the base stage\nFROM {host}/team/app:v1 AS base\nCMD [\"run\"]\n"),
    );

    let out = pin(
        &project,
        &reg,
        &["-w", "Dockerfile", "worker/Dockerfile"],
        &[],
    );
    let seen = reg.finish();

    assert_eq!(out.code, 0, "exit status");
    assert_eq!(budget(&seen), [1, 0, 1, 0], "[ping, token, HEAD, GET]");
    let digest = digest_of("team/app", "v1");
    assert_eq!(
        project.read("Dockerfile"),
        format!("# pin: {host}/team/app:v1\nFROM {host}/team/app@{digest}\nRUN true\n")
    );
    assert_eq!(
        project.read("worker/Dockerfile"),
        format!(
            "# the base stage\n# pin: {host}/team/app:v1\nFROM {host}/team/app@{digest} AS base\nCMD [\"run\"]\n"
        )
    );
}

// Guards: all or nothing across files: one unresolvable tag leaves every file unchanged.
#[test]
fn one_failed_lookup_writes_no_file() {
    let reg = FakeRegistry::start(|req| match req.manifest() {
        Some((_, "gone")) => Response::new(404).into(),
        _ => behave(req),
    });
    let host = reg.host();
    let project = Project::new();
    let good = dockerfile(&host);
    let bad = format!("FROM {host}/team/app:v1\nFROM {host}/team/app:gone\n");
    project.write("Dockerfile", &good);
    project.write("worker/Dockerfile", &bad);

    let out = pin(
        &project,
        &reg,
        &["-w", "Dockerfile", "worker/Dockerfile"],
        &[],
    );
    let seen = reg.finish();

    assert_failed_cleanly(&out, &project, "Dockerfile", &good);
    assert_eq!(
        project.read("worker/Dockerfile"),
        bad,
        "worker/Dockerfile must not change"
    );
    assert_eq!(budget(&seen), [1, 0, 2, 0], "[ping, token, HEAD, GET]");
    let expected = format!(
        "worker/Dockerfile:2:6: error: cannot pin {host}/team/app:gone: {host} has no manifest for team/app:gone"
    );
    assert!(
        out.stderr.lines().any(|l| l == expected),
        "no {expected:?} in:\n{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("Dockerfile:1:6: error"),
        "{}",
        out.stderr
    );
}

// Guards: the fake itself keeps connections alive (reqwest reuses them) and does not send a HEAD body.
#[test]
fn fake_registry_serves_keep_alive() {
    use std::io::{BufRead, BufReader, Read, Write};

    let reg = FakeRegistry::start(behave);
    let mut conn = std::net::TcpStream::connect(reg.host()).unwrap();
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut answers = Vec::new();
    for (method, path) in [
        ("GET", "/v2/"),
        ("HEAD", "/v2/team/app/manifests/v1"),
        ("GET", "/v2/team/app/manifests/v1"),
    ] {
        write!(
            conn,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\n\r\n",
            reg.host()
        )
        .unwrap();
        let mut status = String::new();
        reader.read_line(&mut status).unwrap();
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; if method == "HEAD" { 0 } else { length }];
        reader.read_exact(&mut body).unwrap();
        answers.push((status.trim_end().to_string(), length, body.len()));
    }
    drop((conn, reader));
    let seen = reg.finish();

    let manifest = manifest_body("team/app", "v1").len();
    assert_eq!(
        answers,
        [
            ("HTTP/1.1 200 OK".to_string(), 2, 2),
            ("HTTP/1.1 200 OK".to_string(), manifest, 0),
            ("HTTP/1.1 200 OK".to_string(), manifest, manifest),
        ]
    );
    assert_eq!(seen.connections, 1);
    assert_eq!(budget(&seen), [1, 0, 1, 1], "[ping, token, HEAD, GET]");
}

// Guards the rate-limit report: Docker Hub's `ratelimit-remaining` is shown at -v (the lowest value seen).
#[test]
fn rate_limit_remaining_is_reported_at_verbose() {
    let reg = FakeRegistry::start(|req| match req.kind {
        Kind::HeadManifest => {
            let (repo, tag) = req.manifest().expect("manifest path");
            let body = manifest_body(repo, tag);
            let remaining = if tag == "v1" {
                "97;w=21600"
            } else {
                "98;w=21600"
            };
            Response::new(200)
                .header("Content-Type", OCI_MANIFEST)
                .header("Docker-Content-Digest", &sha256(&body))
                .header("ratelimit-remaining", remaining)
                .into()
        }
        _ => behave(req),
    });
    let host = reg.host();
    let project = Project::new();
    project.write(
        "Dockerfile",
        &format!("FROM {host}/team/app:v1\nFROM {host}/team/app:v2\n"),
    );
    let out = pin(&project, &reg, &["-v", "Dockerfile"], &[]);
    reg.finish();
    assert_eq!(out.code, 0, "exit status");
    assert!(
        out.stderr
            .contains(&format!("{host} ratelimit-remaining: 97;w=21600")),
        "{}",
        out.stderr
    );
}

// Guards the rate-limit quota: a registry whose `ratelimit-remaining` falls to a tenth of its limit makes pin
// slow down (one request at a time, spaced) and say so on every run, before the quota reaches 0.
#[test]
fn a_low_rate_limit_quota_slows_down_and_says_so() {
    let reg = FakeRegistry::start(|req| match req.kind {
        Kind::HeadManifest => {
            let (repo, tag) = req.manifest().expect("manifest path");
            let body = manifest_body(repo, tag);
            Response::new(200)
                .header("Content-Type", OCI_MANIFEST)
                .header("Docker-Content-Digest", &sha256(&body))
                .header("ratelimit-limit", "100;w=21600")
                .header("ratelimit-remaining", "9;w=21600")
                .into()
        }
        _ => behave(req),
    });
    let host = reg.host();
    let project = Project::new();
    write_app_froms(&project, &host, 4);
    // One at a time, so that every HEAD after the first is sent after a low answer.
    let out = pin(&project, &reg, &["-j", "1", "Dockerfile"], &[]);
    let seen = reg.finish();
    assert_eq!(out.code, 0, "exit status");
    assert!(
        out.stderr.contains(&format!(
            "{host} says ratelimit-remaining: 9;w=21600; slowed down to one request at a time"
        )),
        "{}",
        out.stderr
    );
    // The first answer was low: the three other HEADs each waited their turn and the spacing.
    assert_eq!(budget(&seen), [1, 0, 4, 0], "[ping, token, HEAD, GET]");
    assert!(
        out.took >= Duration::from_millis(750),
        "no slowing down: {:?}",
        out.took
    );
}

// Guards the 429 message: after the retries, the error names the limit, what remains and when it resets.
#[test]
fn a_429_names_the_limit_and_the_reset_time() {
    let reg = FakeRegistry::start(|req| match req.kind {
        Kind::HeadManifest => Response::new(429)
            .header("Retry-After", "0")
            .header("ratelimit-limit", "100;w=21600")
            .header("ratelimit-remaining", "0;w=21600")
            .body(r#"{"errors":[{"code":"TOOMANYREQUESTS"}]}"#)
            .into(),
        _ => behave(req),
    });
    let host = reg.host();
    let project = Project::new();
    project.write("Dockerfile", &dockerfile(&host));
    let out = pin(&project, &reg, &["Dockerfile"], &[]);
    reg.finish();
    assert_eq!(out.code, 2, "exit status");
    assert!(
        out.stderr.contains(
            "answered 429 Too Many Requests 4 times (its rate limit): the limit is 100 requests per 6h \
             (ratelimit-limit: 100;w=21600); ratelimit-remaining: 0;w=21600; it resets in 0s (Retry-After)"
        ),
        "{}",
        out.stderr
    );
}

// Guards the per-repository challenge: a registry whose `/v2/` is open but whose repository asks for a token
// on the manifest request. The 401 is answered once per repository and the request sent again; requests that
// start after that carry the token at once.
#[test]
fn a_challenge_on_the_manifest_request_is_answered() {
    let reg = FakeRegistry::start(|req| match req.kind {
        Kind::Ping => Response::new(200).body("{}").into(),
        _ => token_registry(req),
    });
    let host = reg.host();
    let project = Project::new();
    project.write("Dockerfile", &format!("FROM {host}/team/app:v1\n"));
    project.write("b/Dockerfile", &format!("FROM {host}/team/app:v2\n"));

    let out = pin(
        &project,
        &reg,
        &["-w", "-j", "1", "Dockerfile", "b/Dockerfile"],
        &[],
    );
    let seen = reg.finish();

    assert_eq!(out.code, 0, "exit status");
    // v1: HEAD 401, token, HEAD with it; v2: HEAD with the token straight away.
    assert_eq!(budget(&seen), [1, 1, 3, 0], "[ping, token, HEAD, GET]");
    assert_eq!(
        project.read("Dockerfile"),
        format!(
            "# pin: {host}/team/app:v1\nFROM {host}/team/app@{}\n",
            digest_of("team/app", "v1")
        )
    );
}

// Guards memory: a manifest body over 4 MiB is refused, not read whole.
#[test]
fn an_oversized_manifest_is_refused() {
    let reg = FakeRegistry::start(|req| match req.kind {
        Kind::HeadManifest => Response::new(200)
            .header("Content-Type", OCI_MANIFEST)
            .into(),
        Kind::GetManifest => Response::new(200)
            .header("Content-Type", OCI_MANIFEST)
            .body(vec![b' '; 5 << 20])
            .into(),
        _ => behave(req),
    });
    let host = reg.host();
    let project = Project::new();
    let before = dockerfile(&host);
    project.write("Dockerfile", &before);
    let out = pin(&project, &reg, &["-w", "Dockerfile"], &[]);
    reg.finish();
    assert_failed_cleanly(&out, &project, "Dockerfile", &before);
    assert!(out.stderr.contains("larger than 4 MiB"), "{}", out.stderr);
}

// ----- Safety: where credentials go, TLS kept, bodies checked, registry text escaped -----

/// A registry that challenges for a token at `realm` and accepts any `Bearer` token on manifests.
fn challenging_registry(realm: String) -> FakeRegistry {
    FakeRegistry::start(move |req| {
        let challenge = format!(r#"Bearer realm="{realm}",service="fake-registry""#);
        match req.kind {
            Kind::Ping => Response::new(401)
                .header("WWW-Authenticate", &challenge)
                .into(),
            Kind::HeadManifest if req.header("authorization") == Some("Bearer tok") => behave(req),
            _ => Response::new(401)
                .header("WWW-Authenticate", &challenge)
                .into(),
        }
    })
}

/// A token service granting `tok` to anyone.
fn granting_token_service() -> FakeRegistry {
    FakeRegistry::start(|req| match req.kind {
        Kind::Token => Response::new(200)
            .header("Content-Type", "application/json")
            .body(r#"{"token":"tok"}"#)
            .into(),
        _ => Response::new(404).into(),
    })
}

// Guards issue 8.1: a registry whose challenge names a plain-HTTP token realm on a host not configured insecure
// never gets the credentials sent there; the run fails with a message saying why. Anonymous runs still get a
// token there (nothing secret is sent).
#[test]
fn credentials_are_never_sent_to_a_plain_http_realm() {
    let tokens = granting_token_service();
    let reg = challenging_registry(format!("http://{}/token", tokens.host()));
    let host = reg.host();
    let project = Project::new();
    let before = dockerfile(&host);
    project.write("Dockerfile", &before);
    let config = docker_config(&project, &host);

    let out = pin(
        &project,
        &reg,
        &["-w", "Dockerfile"],
        &[("DOCKER_CONFIG", &config)],
    );
    assert_failed_cleanly(&out, &project, "Dockerfile", &before);
    let line = error_line(&out, &host);
    assert!(
        line.contains(&format!(
            "asks for its credentials to be sent to the plain-HTTP token service \"http://{}/token\"; refused",
            tokens.host()
        )),
        "{line}"
    );
    assert!(
        line.contains(&format!("--insecure-registry {}", tokens.host())),
        "{line}"
    );
    assert_no_secret(&out);

    // Anonymous: allowed, and the token is used.
    let out = pin(&project, &reg, &["-w", "Dockerfile"], &[]);
    assert_eq!(out.code, 0, "exit status");
    let seen = tokens.finish();
    assert_eq!(
        seen.authorizations(Kind::Token),
        [None],
        "only the anonymous run reached the token service, without credentials"
    );
    reg.finish();
}

// Guards issue 8.1: naming the realm's host with --insecure-registry is consent: then the credentials go there.
#[test]
fn credentials_go_to_a_plain_http_realm_named_insecure() {
    let tokens = granting_token_service();
    let reg = challenging_registry(format!("http://{}/token", tokens.host()));
    let host = reg.host();
    let project = Project::new();
    project.write("Dockerfile", &dockerfile(&host));
    let config = docker_config(&project, &host);

    let out = pin_insecure(
        &project,
        &[&host, &tokens.host()],
        &["-w", "Dockerfile"],
        &[("DOCKER_CONFIG", &config)],
    );
    assert_eq!(out.code, 0, "exit status");
    let seen = tokens.finish();
    reg.finish();
    assert_eq!(
        seen.authorizations(Kind::Token),
        [Some(format!("Basic {AUTH}"))]
    );
}

// Guards issue 8.2: an HTTPS registry answering with a redirect to plain HTTP is not followed (the digest of
// that answer is not written), unless the target host is configured insecure.
#[test]
fn a_redirect_from_https_to_http_is_refused() {
    let plain = FakeRegistry::start(behave);
    let target = plain.host();
    let reg = FakeRegistry::start_tls(move |req| match req.kind {
        Kind::HeadManifest => Response::new(307)
            .header("Location", &format!("http://{target}{}", req.path))
            .into(),
        _ => behave(req),
    });
    let ca = reg.ca_pem_path();
    let ca = ca.to_str().unwrap();
    let host = reg.host();
    let project = Project::new();
    let before = dockerfile(&host);
    project.write("Dockerfile", &before);

    let out = pin_insecure(&project, &[], &["-w", "--ca-cert", ca, "Dockerfile"], &[]);
    assert_failed_cleanly(&out, &project, "Dockerfile", &before);
    let line = error_line(&out, &host);
    assert!(
        line.contains(&format!(
            "refused a redirect to \"http://{}/v2/team/app/manifests/v1\", which is not HTTPS",
            plain.host()
        )),
        "{line}"
    );

    // Consent for the target: followed, and its answer pinned.
    let plain_host = plain.host();
    let out = pin_insecure(
        &project,
        &[&plain_host],
        &["-w", "--ca-cert", ca, "Dockerfile"],
        &[],
    );
    assert_eq!(out.code, 0, "exit status");
    let seen = reg.finish();
    let followed = plain.finish();
    assert_eq!(
        seen.count(Kind::HeadManifest),
        2,
        "one HEAD per run, not retried"
    );
    assert_eq!(
        followed.count(Kind::HeadManifest),
        1,
        "only the consenting run reached the plain-HTTP host"
    );
    assert_eq!(
        project.read("Dockerfile"),
        format!(
            "# pin: {host}/team/app:v1\nFROM {host}/team/app@{}\nRUN true\n",
            digest_of("team/app", "v1")
        )
    );
}

// Guards issue 8.2: a redirect to another host does not carry the registry's Authorization header along.
#[test]
fn authorization_is_not_forwarded_to_another_host_on_redirect() {
    let other = FakeRegistry::start(behave);
    let target = other.host();
    let reg = FakeRegistry::start(move |req| match req.kind {
        Kind::Ping => Response::new(401)
            .header("WWW-Authenticate", r#"Basic realm="fake""#)
            .into(),
        Kind::HeadManifest => Response::new(307)
            .header("Location", &format!("http://{target}{}", req.path))
            .into(),
        _ => behave(req),
    });
    let host = reg.host();
    let project = Project::new();
    project.write("Dockerfile", &dockerfile(&host));
    let config = docker_config(&project, &host);

    let out = pin_insecure(
        &project,
        &[&host, &other.host()],
        &["-w", "Dockerfile"],
        &[("DOCKER_CONFIG", &config)],
    );
    assert_eq!(out.code, 0, "exit status");
    let seen = reg.finish();
    let redirected = other.finish();
    assert_eq!(
        seen.authorizations(Kind::HeadManifest),
        [Some(format!("Basic {AUTH}"))],
        "the registry itself got the credentials"
    );
    assert_eq!(
        redirected.authorizations(Kind::HeadManifest),
        [None],
        "the other host did not"
    );
}

// Guards issue 8.3: with no digest header, a GET body that is cut short, not JSON, or JSON but no manifest is
// an error, never hashed into a pin.
#[test]
fn a_get_body_that_is_not_a_whole_manifest_is_refused() {
    let whole = manifest_body("team/app", "v1");
    let bodies: [(Vec<u8>, &str); 4] = [
        (whole[..10].to_vec(), "a manifest cut short (10 bytes"),
        (
            whole[..whole.len() - 1].to_vec(),
            "a manifest cut short",
        ),
        (
            b"<html><body>Sign in</body></html>".to_vec(),
            "a body that is not a manifest",
        ),
        (
            br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#
                .to_vec(),
            "a manifest of type application/vnd.oci.image.manifest.v1+json without config and layers",
        ),
    ];
    for (body, expected) in bodies {
        let sent = body.clone();
        let reg = FakeRegistry::start(move |req| match req.kind {
            Kind::HeadManifest => Response::new(200)
                .header("Content-Type", OCI_MANIFEST)
                .into(),
            Kind::GetManifest => Response::new(200)
                .header("Content-Type", OCI_MANIFEST)
                .body(sent.clone())
                .into(),
            _ => behave(req),
        });
        let host = reg.host();
        let project = Project::new();
        let before = dockerfile(&host);
        project.write("Dockerfile", &before);

        let out = pin(&project, &reg, &["-w", "Dockerfile"], &[]);
        let seen = reg.finish();

        assert_failed_cleanly(&out, &project, "Dockerfile", &before);
        assert_eq!(budget(&seen), [1, 0, 1, 1], "[ping, token, HEAD, GET]");
        let line = error_line(&out, &host);
        assert!(
            line.contains(&format!("{host} sent {expected}")) && line.contains("team/app:v1"),
            "{line}"
        );
    }
}

// Guards issue 8.8: platform names from an index reach the terminal escaped, never as raw control characters.
#[test]
fn platform_names_from_the_registry_are_escaped() {
    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{{"mediaType":"{OCI_MANIFEST}","digest":"sha256:{}","size":10,"platform":{{"os":"linux\u001b]0;pwned\u0007","architecture":"amd64\u001b[2J"}}}}]}}"#,
        "1".repeat(64)
    );
    let reg = FakeRegistry::start(move |req| match req.kind {
        Kind::HeadManifest | Kind::GetManifest => Response::new(200)
            .header("Content-Type", "application/vnd.oci.image.index.v1+json")
            .body(index.clone())
            .into(),
        _ => behave(req),
    });
    let host = reg.host();
    let project = Project::new();
    let before = dockerfile(&host);
    project.write("Dockerfile", &before);

    let out = pin(
        &project,
        &reg,
        &["-w", "--platform", "linux/arm64", "Dockerfile"],
        &[],
    );
    reg.finish();
    assert_failed_cleanly(&out, &project, "Dockerfile", &before);
    assert!(
        !out.stderr.contains('\u{1b}') && !out.stderr.contains('\u{7}'),
        "raw control characters in: {:?}",
        out.stderr
    );
    let line = error_line(&out, &host);
    assert!(
        line.contains("it has: linux\\x1b]0;pwned\\x07/amd64\\x1b[2J"),
        "{line}"
    );
}

// ----- Tokens that expire -----

// Guards issue 11.1: a token is used no longer than its `expires_in` says: the client asks for a new one
// before the registry would refuse the old (a registry that refuses stale tokens sees no refused request).
#[test]
fn a_token_is_renewed_when_its_lifetime_ends() {
    use std::collections::HashMap;
    use std::sync::Mutex;
    use std::time::Instant;

    let issued: Mutex<HashMap<String, Instant>> = Mutex::default();
    let reg = FakeRegistry::start(move |req| {
        let challenge = format!(
            r#"Bearer realm="http://{}/token",service="fake-registry""#,
            req.server
        );
        let refuse = Response::new(401).header("WWW-Authenticate", &challenge);
        match req.kind {
            Kind::Ping => refuse.into(),
            Kind::Token => {
                let token = format!("tok-{}", req.nth);
                issued.lock().unwrap().insert(token.clone(), Instant::now());
                Response::new(200)
                    .header("Content-Type", "application/json")
                    .body(format!(r#"{{"token":"{token}","expires_in":1}}"#))
                    .into()
            }
            Kind::HeadManifest => {
                let token = req
                    .header("authorization")
                    .and_then(|a| a.strip_prefix("Bearer "))
                    .unwrap_or_default();
                let age = issued.lock().unwrap().get(token).map(Instant::elapsed);
                // Half a second of grace beyond the 1 s lifetime, so only a token really kept too long fails.
                match age {
                    Some(age) if age <= Duration::from_millis(1500) => match behave(req) {
                        Reply::Respond(r) => Reply::Delay(Duration::from_millis(400), r),
                        other => other,
                    },
                    _ => refuse.into(),
                }
            }
            _ => behave(req),
        }
    });
    let host = reg.host();
    let project = Project::new();
    let tags = write_app_froms(&project, &host, 6);

    let out = pin(&project, &reg, &["-w", "-j", "1", "Dockerfile"], &[]);
    let seen = reg.finish();

    assert_eq!(out.code, 0, "exit status");
    let [ping, tokens, heads, gets] = budget(&seen);
    assert_eq!(
        (ping, heads, gets),
        (1, 6, 0),
        "no HEAD was refused and sent again"
    );
    assert!(
        (2..=6).contains(&tokens),
        "6 lookups of 400 ms behind a 1 s token need a new token, not one per lookup: {tokens}"
    );
    assert_eq!(project.read("Dockerfile"), pinned_froms(&host, &tags));
}

// ----- Failing fast and once -----

// Guards issue 11.5: a host that accepts connections and never answers fails every lookup within one timeout:
// the stalled ping is not retried, and nothing else is sent to it.
#[test]
fn a_silent_host_fails_within_one_timeout() {
    let reg = FakeRegistry::start(|req| match behave(req) {
        Reply::Respond(r) => Reply::Delay(Duration::from_secs(60), r),
        other => other,
    });
    let host = reg.host();
    let project = Project::new();
    let before: String = (1..=5)
        .map(|i| format!("FROM {host}/team/app:v{i}\n"))
        .collect();
    project.write("Dockerfile", &before);

    let out = pin(&project, &reg, &["-w", "--timeout", "2", "Dockerfile"], &[]);
    let seen = reg.finish();

    assert_failed_cleanly(&out, &project, "Dockerfile", &before);
    assert_eq!(budget(&seen), [1, 0, 0, 0], "[ping, token, HEAD, GET]");
    assert!(
        out.took < Duration::from_secs(4),
        "more than one timeout of 2 s: {:?}",
        out.took
    );
    assert!(
        out.stderr
            .contains(&format!("{host}: no answer within 2 s (--timeout)")),
        "{}",
        out.stderr
    );
}

/// A `127.0.0.1` port nothing listens on (bound, then closed).
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    addr.to_string()
}

// Guards issue 11.5: a refused connection is not retried (no backoff is waited), and says so.
#[test]
fn a_refused_connection_is_not_retried() {
    let host = closed_port();
    let project = Project::new();
    let before = format!("FROM {host}/team/app:v1\nFROM {host}/team/db:v2\n");
    project.write("Dockerfile", &before);

    let out = pin_insecure(&project, &[&host], &["-w", "-v", "Dockerfile"], &[]);

    assert_failed_cleanly(&out, &project, "Dockerfile", &before);
    assert!(
        out.stderr
            .contains("requests: 1 ping, 0 token, 0 HEAD, 0 GET, 0 retried"),
        "{}",
        out.stderr
    );
    assert!(
        out.took < MIN_BACKOFF,
        "waited as if to retry: {:?}",
        out.took
    );
    assert!(
        out.stderr.contains(&format!("{host}: connection refused")),
        "{}",
        out.stderr
    );
}

// Guards issue 11.5: an untrusted certificate is not retried (one connection), and the message says how to
// trust it.
#[test]
fn an_untrusted_certificate_is_not_retried_and_says_how_to_trust_it() {
    let reg = FakeRegistry::start_tls(behave);
    let host = reg.host();
    let project = Project::new();
    let before = dockerfile(&host);
    project.write("Dockerfile", &before);

    let out = pin_insecure(&project, &[], &["-w", "-v", "Dockerfile"], &[]);
    let seen = reg.finish();

    assert_failed_cleanly(&out, &project, "Dockerfile", &before);
    assert_eq!(seen.connections, 1, "one TLS handshake, not retried");
    let line = error_line(&out, &host);
    assert!(
        line.contains(&format!(
            "{host}: its TLS certificate is not trusted (UnknownIssuer); trust the CA that signed it with \
             --ca-cert FILE or SSL_CERT_FILE=FILE"
        )),
        "{line}"
    );
    assert!(out.stderr.contains("0 retried"), "{}", out.stderr);
}

// Guards issue 11.5: `--insecure-registry http://HOST:PORT` means HOST:PORT; an https:// spelling is refused
// with the right one.
#[test]
fn insecure_registry_takes_an_http_url_too() {
    let reg = FakeRegistry::start(behave);
    let host = reg.host();
    let project = Project::new();
    project.write("Dockerfile", &dockerfile(&host));
    let url = format!("http://{host}/");

    let out = pin_insecure(&project, &[&url], &["-w", "Dockerfile"], &[]);
    assert_eq!(out.code, 0, "exit status");
    assert_eq!(
        project.read("Dockerfile"),
        format!(
            "# pin: {host}/team/app:v1\nFROM {host}/team/app@{}\nRUN true\n",
            digest_of("team/app", "v1")
        )
    );

    let before = dockerfile(&host);
    project.write("Dockerfile", &before);
    let https = format!("https://{host}");
    let out = pin_insecure(&project, &[&https], &["-w", "Dockerfile"], &[]);
    reg.finish();
    assert_eq!(out.code, 2, "exit status");
    assert_eq!(project.read("Dockerfile"), before);
    assert!(
        out.stderr.contains(&format!(
            "--insecure-registry https://{host}: an insecure registry is reached over plain HTTP"
        )) && out.stderr.contains("give HOST[:PORT]"),
        "{}",
        out.stderr
    );
}

// Guards issue 11.5: every reference to an unreachable registry fails alike, and the text output says it once
// per registry; -v lists the references too.
#[test]
fn an_unreachable_registry_is_one_error_line() {
    let (down, other) = (closed_port(), closed_port());
    let project = Project::new();
    let app: String = (1..=12)
        .map(|i| format!("FROM {down}/team/app:v{i}\n"))
        .collect();
    let worker: String = (1..=8)
        .map(|i| format!("FROM {down}/team/worker:v{i}\nFROM {other}/x/y:{i}\n"))
        .collect();
    project.write("Dockerfile", &app);
    project.write("worker/Dockerfile", &worker);

    let out = pin_insecure(&project, &[&down, &other], &["-w", "."], &[]);
    assert_failed_cleanly(&out, &project, "Dockerfile", &app);
    assert_eq!(project.read("worker/Dockerfile"), worker);
    let errors: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("error: "))
        .collect();
    assert_eq!(
        errors,
        [
            format!("pin: error: {down}: connection refused (20 references; -v lists them)"),
            format!("pin: error: {other}: connection refused (8 references; -v lists them)"),
        ],
        "{}",
        out.stderr
    );

    let out = pin_insecure(&project, &[&down, &other], &["-w", "-v", "."], &[]);
    assert_eq!(out.code, 2);
    let per_reference = out
        .stderr
        .lines()
        .filter(|l| l.contains(": error: cannot pin ") && l.ends_with("connection refused"))
        .count();
    assert_eq!(per_reference, 28, "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "pin: error: {down}: connection refused (20 references)\n"
        )),
        "{}",
        out.stderr
    );
}

// ----- Adaptive concurrency -----

// Guards issue 14.3: against a registry that takes 4 requests at once and answers 429 beyond that, the
// requests in flight drop to what it takes (the limit halves per round of 429s), and every tag resolves with
// one successful HEAD.
#[test]
fn concurrency_backs_off_on_429() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    const TAKES: usize = 4;
    let in_flight = Arc::new(AtomicUsize::new(0));
    // (in flight when a HEAD arrived, whether it was refused), in arrival order.
    let arrivals: Arc<Mutex<Vec<(usize, bool)>>> = Arc::default();
    let (count, log) = (Arc::clone(&in_flight), Arc::clone(&arrivals));
    let reg = FakeRegistry::start(move |req| match req.kind {
        Kind::HeadManifest => {
            let now = count.fetch_add(1, Ordering::SeqCst) + 1;
            let refused = now > TAKES;
            log.lock().unwrap().push((now, refused));
            let reply = if refused {
                Response::new(429)
                    .body(r#"{"errors":[{"code":"TOOMANYREQUESTS"}]}"#)
                    .into()
            } else {
                std::thread::sleep(Duration::from_millis(100));
                behave(req)
            };
            count.fetch_sub(1, Ordering::SeqCst);
            reply
        }
        _ => behave(req),
    });
    let host = reg.host();
    let project = Project::new();
    let tags = write_app_froms(&project, &host, 48);

    let out = pin(&project, &reg, &["-w", "-v", "Dockerfile"], &[]);
    let seen = reg.finish();

    assert_eq!(out.code, 0, "exit status");
    let arrivals = arrivals.lock().unwrap().clone();
    let refused = arrivals.iter().filter(|(_, r)| *r).count();
    assert_eq!(
        seen.count(Kind::HeadManifest),
        48 + refused,
        "one successful HEAD per tag"
    );
    // The first round may exceed what the registry takes (it starts at 16, as before); the last half of
    // the requests must not.
    let late = &arrivals[arrivals.len() / 2..];
    let most = late.iter().map(|(n, _)| *n).max().unwrap();
    assert!(
        most <= TAKES * 2,
        "still {most} requests at once late in the run: {arrivals:?}"
    );
    // Additive increase probes past the registry's limit now and then; that costs a few 429s, far fewer
    // than the first round's.
    let early_refused = arrivals[..arrivals.len() / 2]
        .iter()
        .filter(|(_, r)| *r)
        .count();
    let late_refused = late.iter().filter(|(_, r)| *r).count();
    assert!(
        late_refused * 3 <= early_refused,
        "{late_refused} refused late in the run, {early_refused} early: {arrivals:?}"
    );
    assert!(
        out.stderr.contains(&format!("{host} backed off to ")),
        "{}",
        out.stderr
    );
    assert_eq!(project.read("Dockerfile"), pinned_froms(&host, &tags));
}

// Guards: a Docker schema 1 manifest (what a very old registry or push left behind) is refused with a clear
// message, by HEAD and by GET: its digest is not what runtimes pin.
#[test]
fn schema_1_manifests_are_refused() {
    const SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1+prettyjws";
    let body = r#"{"schemaVersion":1,"name":"team/app","tag":"v1","architecture":"amd64","fsLayers":[],"history":[],"signatures":[]}"#;
    for with_digest in [true, false] {
        let reg = FakeRegistry::start(move |req| match req.kind {
            Kind::HeadManifest | Kind::GetManifest => {
                let mut r = Response::new(200).header("Content-Type", SCHEMA1);
                if with_digest {
                    r = r.header("Docker-Content-Digest", &sha256(body.as_bytes()));
                }
                r.body(body).into()
            }
            _ => behave(req),
        });
        let host = reg.host();
        let project = Project::new();
        let before = dockerfile(&host);
        project.write("Dockerfile", &before);
        let out = pin(&project, &reg, &["-w", "Dockerfile"], &[]);
        reg.finish();
        assert_failed_cleanly(&out, &project, "Dockerfile", &before);
        let line = error_line(&out, &host);
        assert!(line.contains("schema 1 manifest"), "{line}");
        assert!(line.contains("not what runtimes pin"), "{line}");
    }
}

// Guards issue 18.8: `pin verify` does not count a pinned digest as served when the registry answers the HEAD
// by digest with 200 and another digest in `Docker-Content-Digest`, nor when it sends no digest and the body
// it serves hashes to another one. Either is an error naming the registry (exit 2), never "present".
#[test]
fn verify_does_not_believe_another_digest_for_a_pinned_one() {
    let pinned = digest_of("team/app", "v1");
    let other = manifest_body("team/app", "v2");
    for header in [true, false] {
        let body = other.clone();
        let reg = FakeRegistry::start(move |req| match req.kind {
            Kind::HeadManifest if header => Response::new(200)
                .header("Content-Type", OCI_MANIFEST)
                .header("Docker-Content-Digest", &sha256(&body))
                .into(),
            Kind::HeadManifest => Response::new(200)
                .header("Content-Type", OCI_MANIFEST)
                .into(),
            Kind::GetManifest => Response::new(200)
                .header("Content-Type", OCI_MANIFEST)
                .body(body.clone())
                .into(),
            _ => behave(req),
        });
        let host = reg.host();
        let project = Project::new();
        let text = format!("image: {host}/team/app@{pinned}\n");
        project.write("app.yaml", &text);

        let out = pin_insecure(
            &project,
            &[],
            &["verify", "--insecure-registry", &host, "app.yaml"],
            &[],
        );
        reg.finish();

        assert_eq!(out.code, 2, "header {header}: exit status");
        let line = out
            .stderr
            .lines()
            .find(|l| l.starts_with("app.yaml:1:8: error: "))
            .unwrap_or_else(|| panic!("no error at app.yaml:1:8:\n{}", out.stderr));
        assert!(
            line.contains(&host) && line.contains(&sha256(&other)),
            "header {header}: {line}"
        );
        assert!(out.stderr.contains("0 present"), "{}", out.stderr);
        assert_eq!(project.read("app.yaml"), text);
    }
}

/// A plain-HTTP registry asking for a password (Basic) wherever a request carries none, as a machine in the
/// path of a plain-HTTP connection can.
fn basic_registry() -> FakeRegistry {
    FakeRegistry::start(|req| match req.kind {
        Kind::Ping | Kind::HeadManifest | Kind::GetManifest
            if req.header("authorization").is_none() =>
        {
            Response::new(401)
                .header("WWW-Authenticate", r#"Basic realm="fake-registry""#)
                .into()
        }
        _ => behave(req),
    })
}

// Guards issue 18.11: a host that only a configuration file names as plain HTTP (`insecure-registries`, or a
// `[[registry]]` table with `insecure = true`, in a pin.toml a repository controls) never gets the user's
// credentials: they would travel in clear to whoever answers there. The lookup is anonymous, and the refusal
// says why and how to send them. Named plain HTTP by the user (`--insecure-registry`), it gets them.
#[test]
fn credentials_never_go_in_clear_to_a_host_only_pin_toml_made_plain_http() {
    for table in [false, true] {
        let reg = basic_registry();
        let host = reg.host();
        let project = Project::new();
        std::fs::create_dir(project.path().join(".git")).unwrap();
        let config = if table {
            format!("[[registry]]\nprefix = \"{host}\"\ninsecure = true\n")
        } else {
            format!("insecure-registries = [\"{host}\"]\n")
        };
        project.write("pin.toml", &config);
        let before = dockerfile(&host);
        project.write("Dockerfile", &before);
        let docker = docker_config(&project, &host);

        let out = pin_insecure(
            &project,
            &[],
            &["-w", "Dockerfile"],
            &[("DOCKER_CONFIG", &docker)],
        );
        let seen = reg.finish();

        assert_failed_cleanly(&out, &project, "Dockerfile", &before);
        assert!(
            seen.requests
                .iter()
                .all(|r| r.header("authorization").is_none()),
            "table {table}: credentials sent in clear"
        );
        let line = error_line(&out, &host);
        assert!(
            line.contains(&format!(
                "not sent over plain HTTP to a host only a configuration file names insecure; pass \
                 --insecure-registry {host} to send them"
            )),
            "table {table}: {line}"
        );
        assert_no_secret(&out);
    }

    let reg = basic_registry();
    let host = reg.host();
    let project = Project::new();
    project.write("Dockerfile", &dockerfile(&host));
    let docker = docker_config(&project, &host);
    let out = pin(
        &project,
        &reg,
        &["-w", "Dockerfile"],
        &[("DOCKER_CONFIG", &docker)],
    );
    let seen = reg.finish();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        seen.authorizations(Kind::HeadManifest),
        [Some(format!("Basic {AUTH}"))]
    );
}
