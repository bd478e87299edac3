use super::*;
use crate::app::{classify, Status};
use crate::formats::testing::candidates;

/// `src` with the candidate's digest written in, as `pin` does.
fn pinned(src: &str, c: &Candidate, digest: &str) -> String {
    let edit = crate::rewrite::Edit {
        range: c.span.clone(),
        replacement: c.target.text(|| format!("{}@{digest}", c.value), digest),
    };
    crate::rewrite::apply(src, &[edit]).unwrap()
}

fn digest() -> String {
    format!("sha256:{}", "ab".repeat(32))
}

const MODULE: &str = r#"bazel_dep(name = "rules_oci", version = "2.2.6")

oci = use_extension("@rules_oci//oci:extensions.bzl", "oci")
oci.pull(
    name = "distroless_base",
    image = "gcr.io/distroless/base",
    tag = "latest",  # a floating tag
    platforms = [
        "linux/amd64",
        "linux/arm64",
    ],
)
use_repo(oci, "distroless_base")
"#;

#[test]
fn a_digest_argument_is_inserted_before_the_tag() {
    let c = &candidates(MODULE, find)[..];
    assert_eq!(c.len(), 1, "{c:?}");
    let c = &c[0];
    assert_eq!(c.value, "gcr.io/distroless/base:latest");
    assert_eq!(c.skip, None);
    let at = MODULE.find("tag = ").unwrap();
    assert_eq!(c.span, at..at);
    assert_eq!(
        c.target,
        Target::InsertDigest {
            prefix: "digest = \"".to_owned(),
            suffix: "\",\n    ".to_owned()
        }
    );
    let out = pinned(MODULE, c, &digest());
    assert_eq!(
        out,
        MODULE.replace(
            "    tag = \"latest\"",
            &format!("    digest = \"{}\",\n    tag = \"latest\"", digest())
        )
    );
    // Read again: pinned, with the digest as the span.
    let again = &candidates(&out, find)[0];
    assert_eq!(
        again.value,
        format!("gcr.io/distroless/base:latest@{}", digest())
    );
    assert_eq!(again.target, Target::Digest);
    assert_eq!(&out[again.span.clone()], digest());
    assert!(matches!(classify(again), Status::Pinned(_)));
}

#[test]
fn crlf_single_line_calls_and_quotes() {
    let src = "load(\"@rules_oci//oci:pull.bzl\", \"oci_pull\")\r\n\r\noci_pull(\r\n\tname = 'a',\r\n\timage = 'index.docker.io/library/alpine',\r\n\ttag = '3.20'\r\n)";
    let c = &candidates(src, find)[0];
    assert_eq!(c.value, "index.docker.io/library/alpine:3.20");
    assert_eq!(
        c.target,
        Target::InsertDigest {
            prefix: "digest = '".to_owned(),
            suffix: "',\r\n\t".to_owned()
        }
    );
    let out = pinned(src, c, "sha256:x");
    assert!(out.ends_with("\timage = 'index.docker.io/library/alpine',\r\n\tdigest = 'sha256:x',\r\n\ttag = '3.20'\r\n)"), "{out:?}");

    let src = "load(\"@rules_oci//oci:pull.bzl\", \"oci_pull\")\noci_pull(name = \"a\", image = \"alpine\", tag = \"3\")";
    let c = &candidates(src, find)[0];
    let out = pinned(src, c, "sha256:x");
    assert!(
        out.ends_with(
            "oci_pull(name = \"a\", image = \"alpine\", digest = \"sha256:x\", tag = \"3\")"
        ),
        "{out:?}"
    );
}

#[test]
fn existing_digests() {
    let d = digest();
    let src = format!("load(\"@rules_oci//oci:pull.bzl\", \"oci_pull\")\noci_pull(\n    name = \"a\",\n    digest = \"{d}\",\n    image = \"gcr.io/distroless/java17\",\n)\noci_pull(\n    name = \"b\",\n    image = \"gcr.io/distroless/static\",\n    tag = \"nonroot\",\n    digest = \"\",\n)\noci_pull(\n    name = \"c\",\n    image = \"debian@{d}\",\n)\n");
    let c = candidates(&src, find);
    assert_eq!(c.len(), 3);
    assert_eq!(c[0].value, format!("gcr.io/distroless/java17@{d}"));
    assert_eq!(c[0].target, Target::Digest);
    assert!(matches!(classify(&c[0]), Status::Pinned(_)));
    assert_eq!(c[1].value, "gcr.io/distroless/static:nonroot");
    assert_eq!(c[1].target, Target::Digest);
    assert!(c[1].span.is_empty());
    let out = pinned(&src, &c[1], &d);
    assert!(out.contains(&format!("    digest = \"{d}\",\n)")));
    assert_eq!(c[2].value, format!("debian@{d}"));
    assert_eq!(c[2].target, Target::Reference);
    assert!(matches!(classify(&c[2]), Status::Pinned(_)));
}

#[test]
fn an_image_with_its_own_tag_is_pinned_in_place() {
    let src = "load(\"@rules_oci//oci:pull.bzl\", my_pull = \"oci_pull\")\nmy_pull(name = \"d\", image = \"debian:12\")\nmy_pull(name = \"e\", image = \"localhost:5000/e\")\n";
    let c = candidates(src, find);
    assert_eq!(&src[c[0].span.clone()], "debian:12");
    assert_eq!(
        (c[0].target.clone(), c[0].skip.clone()),
        (Target::Reference, None)
    );
    assert_eq!(c[1].value, "localhost:5000/e");
    assert_eq!(
        c[1].skip.as_ref().map(ToString::to_string).as_deref(),
        Some("neither a tag nor a digest")
    );
}

#[test]
fn registry_and_repository() {
    let src = "load(\"@rules_oci//oci:pull.bzl\", \"oci_pull\")\noci_pull(\n  name = \"a\",\n  registry = \"ghcr.io\",\n  repository = \"org/app\",\n  tag = \"v1\",\n)\n";
    let c = &candidates(src, find)[0];
    assert_eq!(c.value, "ghcr.io/org/app:v1");
    assert!(matches!(c.target, Target::InsertDigest { .. }));
}

#[test]
fn skipped_calls() {
    let src = r#"load("@rules_oci//oci:pull.bzl", "oci_pull")
oci_pull(name = "a", image = "debian:latest", reproducible = False)
oci_pull(
    name = "b",
    image = "gcr.io/distroless/python3",
    reproducible = False,
    tag = "debug",
)
oci_pull(name = "c", image = IMAGE, tag = "1")
oci_pull(name = "d", image = "x", tag = "v" + VERSION)
oci_pull(name = "e", image = "x", tag = "1", digest = None)
oci_pull(name = "f", image = "x")
oci_pull(name = "g", image = "caf\u00e9", tag = "1")
# pin: ignore
oci_pull(name = "h", image = "x", tag = "1")
oci_pull(name = "i", image = "x", tag = "1")  # pin: ignore
oci_pull(
    name = "j",
    image = "x",  # pin: ignore
    tag = "1",
)
"#;
    let got: Vec<_> = candidates(src, find)
        .into_iter()
        .map(|c| {
            (
                src[c.span.clone()].to_owned(),
                c.value,
                c.skip.map(|s| s.to_string()).unwrap_or_default(),
            )
        })
        .collect();
    let not_literal = "not a plain string literal; the value is computed";
    let ignore = "marked `# pin: ignore`";
    assert_eq!(
        got,
        [
            (
                "debian:latest".into(),
                "debian:latest".into(),
                NOT_REPRODUCIBLE.into()
            ),
            (
                "debug".into(),
                "gcr.io/distroless/python3:debug".into(),
                NOT_REPRODUCIBLE.into()
            ),
            ("IMAGE".into(), "IMAGE".into(), not_literal.into()),
            (
                "\"v\" + VERSION".into(),
                "x:\"v\" + VERSION".into(),
                not_literal.into()
            ),
            (
                "None".into(),
                "x:1".into(),
                "`digest = None`; write `digest = \"\"` to have it filled".into()
            ),
            ("x".into(), "x".into(), "neither a tag nor a digest".into()),
            (
                "\"caf\\u00e9\"".into(),
                "\"caf\\u00e9\"".into(),
                not_literal.into()
            ),
            ("".into(), "x:1".into(), ignore.into()),
            ("".into(), "x:1".into(), ignore.into()),
            ("".into(), "x:1".into(), ignore.into()),
        ]
    );
}

#[test]
fn only_calls_of_names_bound_to_rules_oci() {
    for src in [
        // Not loaded: some other `oci_pull`.
        "oci_pull(name = \"a\", image = \"x\", tag = \"1\")\n",
        "load(\"@other//oci:pull.bzl\", \"oci_pull\")\noci_pull(name = \"a\", image = \"x\", tag = \"1\")\n",
        // Another extension named `oci`.
        "oci = use_extension(\"@other//:ext.bzl\", \"oci\")\noci.pull(name = \"a\", image = \"x\", tag = \"1\")\n",
        // The definition, a method of something else, a docstring and a comment.
        "load(\"@rules_oci//oci:pull.bzl\", \"oci_pull\")\ndef oci_pull(name, image = None, tag = None):\n    \"\"\"oci_pull(name = \"a\", image = \"x\", tag = \"1\")\"\"\"\n    # oci_pull(name = \"a\", image = \"x\", tag = \"1\")\n    native.oci_pull(name = name, image = \"x\", tag = \"1\")\n",
        "oci = use_extension(\"@rules_oci//oci:extensions.bzl\", \"oci\")\noci.toolchains()\nuse_repo(oci, \"oci_crane_toolchains\")\n",
        "",
    ] {
        assert!(candidates(src, find).is_empty(), "{src:?}");
    }
    // A renamed extension and a dev dependency; rules_oci's own MODULE.bazel loads it by `//oci:…`.
    let src = "my_oci = use_extension(\"//oci:extensions.bzl\", \"oci\", dev_dependency = True)\nmy_oci.pull(name = \"a\", image = \"x\", tag = \"1\")\n";
    assert_eq!(candidates(src, find).len(), 1);
}

#[test]
fn rules_img_pulls_get_a_digest_before_their_tag() {
    // As in rules_img's documentation: `use_repo_rule`, `registry` + `repository` + `tag`.
    let src = "bazel_dep(name = \"rules_img\", version = \"0.3.4\")\r\n\r\npull = use_repo_rule(\"@rules_img//img:pull.bzl\", \"pull\")\r\n\r\npull(\r\n    name = \"ubuntu\",\r\n    registry = \"index.docker.io\",\r\n    repository = \"library/ubuntu\",\r\n    tag = \"24.04\",\r\n)";
    let c = &candidates(src, find)[..];
    assert_eq!(c.len(), 1, "{c:?}");
    assert_eq!(c[0].value, "index.docker.io/library/ubuntu:24.04");
    let out = pinned(src, &c[0], &digest());
    assert_eq!(
        out,
        src.replace(
            "    tag = \"24.04\"",
            &format!("    digest = \"{}\",\r\n    tag = \"24.04\"", digest())
        )
    );
    let again = &candidates(&out, find)[0];
    assert_eq!(again.target, Target::Digest);
    assert!(matches!(classify(again), Status::Pinned(_)));

    // Where it pulls from: `registry`, else the first of `registries`, else Docker Hub; an empty digest is
    // filled; a pinned one is the span of an update; `load` binds it too, renamed or not.
    let d = digest();
    let src = format!("load(\"@rules_img//img:pull.bzl\", img_pull = \"pull\")\nimg_pull(name = \"a\", repository = \"library/alpine\", tag = \"3.23\")\nimg_pull(\n    name = \"b\",\n    digest = \"\",\n    registries = [\n        \"mirror.gcr.io\",\n        \"index.docker.io\",\n    ],\n    repository = \"nvidia/cuda\",\n    tag = \"13.0.0-runtime\",\n)\nimg_pull(name = \"c\", digest = \"{d}\", registry = \"gcr.io\", repository = \"distroless/static\", tag = \"nonroot\")\n");
    let c = candidates(&src, find);
    let got: Vec<_> = c.iter().map(|c| (c.value.as_str(), &c.target)).collect();
    assert_eq!(got[0].0, "index.docker.io/library/alpine:3.23");
    assert!(matches!(got[0].1, Target::InsertDigest { .. }));
    assert_eq!(
        got[1],
        ("mirror.gcr.io/nvidia/cuda:13.0.0-runtime", &Target::Digest)
    );
    assert_eq!(
        got[2],
        (
            format!("gcr.io/distroless/static:nonroot@{d}").as_str(),
            &Target::Digest
        )
    );
    assert!(c.iter().all(|c| c.skip.is_none()));
}

#[test]
fn rules_img_calls_that_cannot_be_read_are_skipped() {
    let src = "pull = use_repo_rule(\"@rules_img//img:pull.bzl\", \"pull\")\npull(name = \"a\", registries = MIRRORS, repository = \"x\", tag = \"1\")\npull(name = \"b\", registries = [\"m\"] + MORE, repository = \"x\", tag = \"1\")\npull(name = \"c\", repository = \"x\")\n# rules_oci's `reproducible` is not an argument of rules_img: a digest goes in anyway.\npull(name = \"d\", repository = \"x\", tag = \"1\", reproducible = False)\n";
    let got: Vec<_> = candidates(src, find)
        .into_iter()
        .map(|c| {
            (
                src[c.span.clone()].to_owned(),
                c.skip.map(|s| s.to_string()),
            )
        })
        .collect();
    let computed = Some("not a plain string literal; the value is computed".to_owned());
    assert_eq!(
        got,
        [
            ("MIRRORS".to_owned(), computed.clone()),
            ("[\"m\"] + MORE".to_owned(), computed),
            (
                "x".to_owned(),
                Some("neither a tag nor a digest".to_owned())
            ),
            (String::new(), None),
        ]
    );
    // Look-alikes: another module's `pull`, rules_img's other repository rules, its module extension.
    for src in [
        "pull = use_repo_rule(\"@other//img:pull.bzl\", \"pull\")\npull(name = \"a\", repository = \"x\", tag = \"1\")\n",
        "pull_blob = use_repo_rule(\"@rules_img//img:pull_blob.bzl\", \"pull_blob_file\")\npull_blob(name = \"a\", repository = \"x\", tag = \"1\")\n",
        "images = use_extension(\"@rules_img//img:extensions.bzl\", \"images\")\nimages.pull(name = \"a\", repository = \"x\", tag = \"1\")\n",
        "pull(name = \"a\", repository = \"x\", tag = \"1\")\n",
    ] {
        assert!(candidates(src, find).is_empty(), "{src:?}");
    }
}

#[test]
fn nested_arguments_do_not_end_the_call() {
    let src = "load(\"@rules_oci//oci:pull.bzl\", \"oci_pull\")\noci_pull(\n    name = \"a\",\n    platforms = [\"linux/amd64\", \"linux/arm64\"],\n    www_authenticate_challenges = {\"r\": 'Bearer realm=\"x\",service=\"y\"'},\n    image = \"r/a\",\n    tag = \"1\",\n)\n";
    let c = &candidates(src, find)[0];
    assert_eq!(c.value, "r/a:1");
}

#[test]
fn errors_and_truncation() {
    let src = "load(\"@rules_oci//oci:pull.bzl\", \"oci_pull\")\noci_pull(name = 'a\n";
    assert_eq!(find(src).unwrap_err().offset, src.find("'a").unwrap());
    let src = "load(\"@rules_oci//oci:pull.bzl\", \"oci_pull\")\noci_pull(\n  image = \"é\",\n  tag = \"1\",\n  digest = \"\",\n)\n";
    for (i, _) in src.char_indices() {
        match find(&src[..i]) {
            Ok(f) => {
                for c in f.candidates {
                    assert!(src[..i].get(c.span).is_some());
                }
            }
            Err(e) => assert!(src.is_char_boundary(e.offset), "{e:?}"),
        }
    }
}

/// Real files with a few bytes deleted, inserted or replaced (a fixed pseudo-random sequence): the finder
/// answers, never panics, and gives only spans on character boundaries.
#[test]
fn mutated_corpus_files_never_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/bazel");
    let texts: Vec<String> = ["rules_oci-fetch.bzl", "rules_oci-assertion-MODULE.bazel"]
        .iter()
        .map(|f| std::fs::read_to_string(dir.join(f)).expect("corpus file"))
        .collect();
    for src in crate::formats::testing::mutants(
        &texts,
        0x2545_f491_4f6c_dd1d,
        "()[]{},=\"'#\\\n\r rb.é",
        3000,
    ) {
        crate::formats::testing::assert_sound(&src, find);
    }
}
