//! End-to-end: images named in build files, against a real registry (CNCF distribution, started by the harness):
//! Dockerfile tag arguments, GitLab's dependency proxy, Maven, .NET SDK container builds, Cloud Native Buildpacks
//! `project.toml` and Bazel rules_img. The fixture tree is `tests/e2e/build` (its README says what each file holds).
//!
//! Expected digests are the ones the harness computed from the bytes it pushed, never ones `pin` reported.

mod common;
mod harness;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Output;

use common::{assert_tree, fixture_tree, listed, pin as run_pin, stderr, Files};
use harness::{fill_placeholders, Pushed, Registry, Variant};

const REPO: &str = "fixtures/app";

/// A registry with the fixture tags under `fixtures/app`, and the digests the harness computed.
struct Fixtures {
    registry: Registry,
    pushed: BTreeMap<&'static str, Pushed>,
}

impl Fixtures {
    fn start() -> Fixtures {
        let registry = Registry::start(Variant::Plain);
        let pushed = registry.push_fixture_tags(
            REPO,
            [
                "build-v1",
                "build-latest",
                "build-docker-v1",
                "build-multi",
                "build-dmulti",
            ],
        );
        Fixtures { registry, pushed }
    }

    fn digest(&self, tag: &str) -> &str {
        &self.pushed[tag].digest
    }

    /// `text` with `@@REG@@` and every `@@TAG@@` replaced.
    fn expand(&self, text: &str) -> String {
        fill_placeholders(text, self.registry.host(), &self.pushed)
    }

    /// Copies `tests/e2e/build/{in,out}` into a temporary directory with the placeholders expanded:
    /// (the directory, the inputs, the expected files).
    fn tree(&self) -> (tempfile::TempDir, Files, Files) {
        fixture_tree("build", |text| self.expand(text))
    }

    /// Runs `pin` in `cwd` with this registry trusted over plain HTTP and standing in for Docker Hub (a mirror of
    /// `docker.io`), the options after the subcommand if there is one.
    fn pin(&self, cwd: &Path, args: &[&str]) -> Output {
        let host = self.registry.host();
        let at = usize::from(matches!(args.first(), Some(&"update" | &"verify")));
        let mirror = format!("docker.io={host}");
        let mut all = args.to_vec();
        all.splice(
            at..at,
            ["--insecure-registry", host, "--mirror", mirror.as_str()],
        );
        run_pin(cwd, &all)
    }
}

// Guards every build file kind against the real registry, byte for byte (LF, CRLF, no final newline): a
// Dockerfile's tag argument pinned in its default; images after GitLab's dependency proxy prefixes resolved at
// Docker Hub (here a mirror of it) and written after the prefix. Uses that must not change (an argument used
// twice, a proxy image with a variable of its own) are skipped and their files keep every byte; a second run
// changes nothing, and after pinning in the default style or with `--keep-tag`, `pin unpin` gives back the
// inputs (but for digest arguments beside a tag, which it leaves).
#[test]
fn build_files_are_pinned_byte_exact_and_unpin_to_their_bytes() {
    let fx = Fixtures::start();
    let (dir, inputs, expected) = fx.tree();
    let want_list: Vec<String> =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/build/list.txt"))
            .unwrap()
            .lines()
            .map(|l| fx.expand(l))
            .collect();
    assert_eq!(listed(dir.path()), want_list);

    let o = fx.pin(dir.path(), &["-w", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_tree(dir.path(), &expected);
    let again = fx.pin(dir.path(), &["--check", "."]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    // A digest argument beside a tag (Bazel) is left alone by `pin unpin`, as documented.
    let (digest_fields, references): (Files, Files) = inputs
        .clone()
        .into_iter()
        .partition(|(rel, _)| rel.starts_with("bazel"));
    // Pinned in the default style (tag comments in YAML and TOML, the tag kept in XML), every file unpins to
    // its original bytes.
    let o = run_pin(dir.path(), &["unpin", "-w", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_tree(dir.path(), &references);

    // Pinned with the tags kept (a tag argument keeps it anyway), likewise.
    for (rel, input) in &inputs {
        fs::write(dir.path().join(rel), input).unwrap();
    }
    let o = fx.pin(dir.path(), &["-w", "--keep-tag", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        fs::read_to_string(dir.path().join("docker/Dockerfile")).unwrap(),
        expected[Path::new("docker/Dockerfile")]
    );
    let o = run_pin(dir.path(), &["unpin", "-w", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_tree(dir.path(), &references);
    for rel in digest_fields.keys() {
        assert_eq!(
            fs::read_to_string(dir.path().join(rel)).unwrap(),
            expected[rel],
            "{}",
            rel.display()
        );
    }
}

// Guards the tag styles on a Dockerfile tag argument: the default holds only the tag, so `--keep-tag` and
// `--tag-comment` write what the plain pin writes (`v1@sha256:…`, the tag kept, no comment); `pin update` follows
// the tag after it moves and replaces only the digest; `pin unpin` restores the original bytes.
#[test]
fn a_tag_argument_follows_its_tag_under_every_style() {
    let fx = Fixtures::start();
    let dir = tempfile::tempdir().unwrap();
    let host = fx.registry.host();
    let file = dir.path().join("Dockerfile");
    let original =
        format!("ARG VARIANT=\"v1\"\r\nFROM {host}/{REPO}:${{VARIANT}} AS app\r\nRUN true");
    let pinned = |digest: &str| original.replace("\"v1\"", &format!("\"v1@{digest}\""));
    for style in [&[][..], &["--keep-tag"], &["--tag-comment"]] {
        fs::write(&file, &original).unwrap();
        let mut args = vec!["-w"];
        args.extend_from_slice(style);
        args.push(".");
        let o = fx.pin(dir.path(), &args);
        assert_eq!(o.status.code(), Some(0), "{style:?}: {}", stderr(&o));
        assert_eq!(
            fs::read_to_string(&file).unwrap(),
            pinned(fx.digest("v1")),
            "{style:?}"
        );
    }
    let o = fx.pin(dir.path(), &["update", "--check", "."]);
    assert_eq!(o.status.code(), Some(0), "nothing moved: {}", stderr(&o));
    let moved = fx.registry.move_tag(REPO, "v1", "build-v1-moved");
    let o = fx.pin(dir.path(), &["update", "-w", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(fs::read_to_string(&file).unwrap(), pinned(&moved.digest));
    let o = run_pin(dir.path(), &["unpin", "-w", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(fs::read_to_string(&file).unwrap(), original);
}

// Guards `--tag-comment` on every build file kind: TOML and YAML files get the tag in a comment after the value
// (`# @@REG@@/fixtures/app:multi`, before a comment already there), XML files, which have no such comments,
// keep the tag in the reference; `pin update --check` then follows the very tags pinned (nothing moved), and
// `pin unpin` gives back the original bytes (but for digest arguments beside a tag, which it leaves).
#[test]
fn tag_comments_round_trip_in_build_files() {
    let fx = Fixtures::start();
    let (dir, inputs, expected) = fx.tree();
    let host = fx.registry.host();
    let o = fx.pin(dir.path(), &["-w", "--tag-comment", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let read = |rel: &str| fs::read_to_string(dir.path().join(rel)).unwrap();
    assert!(
        read("buildpacks/project.toml").contains(&format!(
            "builder = \"{host}/{REPO}@{}\" # {host}/{REPO}:multi # the builder image\n",
            fx.digest("multi")
        )),
        "{}",
        read("buildpacks/project.toml")
    );
    assert!(read("maven/pom.xml").contains(&format!(
        "<![CDATA[{host}/{REPO}:multi@{}]]>",
        fx.digest("multi")
    )));
    let o = fx.pin(dir.path(), &["update", "--check", "."]);
    assert_eq!(o.status.code(), Some(0), "nothing moved: {}", stderr(&o));
    let o = run_pin(dir.path(), &["unpin", "-w", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for (rel, input) in &inputs {
        let want = if rel.starts_with("bazel") {
            &expected[rel]
        } else {
            input
        };
        assert_eq!(&read(rel.to_str().unwrap()), want, "{}", rel.display());
    }
}
