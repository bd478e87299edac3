//! End-to-end: GitHub Actions `uses:` pinned to commits by the built `pin` binary, against a real git server
//! (`git http-backend`, started by the harness on 127.0.0.1).
//!
//! Expected commits come from `git rev-parse` in the served repositories, never from `pin`; expected files
//! are written out here byte for byte (CRLF, quotes, comments).

mod harness;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use harness::git::{GitOptions, GitRepo, GitServer};

/// Runs `pin` in `cwd` with a clean environment (no `HOME` config, token or netrc of the caller).
fn run_pin(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pin"));
    cmd.current_dir(cwd)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", cwd)
        .env("GIT_CONFIG_NOSYSTEM", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
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
fn without_a_tag_style_the_commit_alone_and_check_lists_each_action() {
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
    let err = stderr(&out);
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
        format!("jobs:\n  a:\n    steps:\n      - uses: octo/act@{v1}\n")
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("action.yml")).unwrap(),
        format!("runs:\n  using: composite\n  steps:\n    - uses: octo/act@{v1}\n")
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
        stderr(&out).contains(&format!("no longer has commit {old}")),
        "{}",
        stderr(&out)
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
