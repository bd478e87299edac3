use super::*;
use crate::formats::testing;

fn found(src: &str) -> Vec<(&str, String, Option<String>)> {
    testing::found(src, find)
}

#[test]
fn image_keys_of_the_three_sections() {
    let src = "# web.container\n[Unit]\nDescription=web\n\n[Container]\nImage=quay.io/podman/hello:latest\nPublishPort=8080:80\n\n[Install]\nWantedBy=default.target\n";
    assert_eq!(
        testing::pinnable(src, find),
        ["quay.io/podman/hello:latest"]
    );
    let src = "[Image]\r\nImage=docker.io/library/alpine:3.20\r\nImageTag=localhost/alpine\r\n";
    assert_eq!(
        testing::pinnable(src, find),
        ["docker.io/library/alpine:3.20"]
    );
    let src = "[Volume]\nDriver=image\nImage=quay.io/centos/centos:latest";
    assert_eq!(
        testing::pinnable(src, find),
        ["quay.io/centos/centos:latest"]
    );
    // Other sections, other keys.
    let src = "[Service]\nImage=a:1\n[Unit]\nImage=b:1\n[Container]\nImageTag=c:1\nimage=d:1\nPodmanArgs=--image e:1\n[Build]\nImageTag=localhost/f\n";
    assert!(found(src).is_empty(), "{:?}", found(src));
}

#[test]
fn whitespace_quotes_and_docker_prefix() {
    let src = "  [Container]  \n\tImage =  \"nginx:1.27\"  \r\n";
    let c = testing::only(src, find);
    assert_eq!(c.value, "nginx:1.27");
    assert_eq!(c.span.start, src.find("nginx").unwrap());
    let src = "[Container]\nImage=docker://ghcr.io/a/b:1\n";
    assert_eq!(testing::pinnable(src, find), ["ghcr.io/a/b:1"]);
    let src = "[Container]\nImage=\"docker://a:1\"\n";
    assert_eq!(testing::pinnable(src, find), ["a:1"]);
    // Only one pair of quotes comes off; single quotes stay (and make no valid reference).
    let src = "[Container]\nImage='a:1'\n";
    assert_eq!(testing::pinnable(src, find), ["'a:1'"]);
    // A BOM before the first section.
    let src = "\u{feff}[Container]\nImage=a:1\n";
    assert_eq!(testing::pinnable(src, find), ["a:1"]);
    // The last line may end in `\`: Quadlet drops it.
    let src = "[Container]\nImage=a:1\\";
    assert_eq!(testing::pinnable(src, find), ["a:1"]);
}

#[test]
fn continuations_and_comments() {
    // `Image=` inside another key's continuation is no key; comment lines inside it are dropped.
    let src = "[Container]\nExec=sh -c \\\n# a comment\n  Image=x:1 \\\n  sleep\nImage=a:1\n";
    assert_eq!(testing::pinnable(src, find), ["a:1"]);
    // A continued value is skipped; its span is where it starts.
    let src = "[Container]\nImage=quay.io/a\\\n  /b:1\n";
    let c = testing::only(src, find);
    assert_eq!(c.value, "quay.io/a/b:1");
    assert_eq!(
        c.skip.as_ref().map(ToString::to_string).as_deref(),
        Some(CONTINUED)
    );
    assert_eq!(&src[c.span], "quay.io/a");
    // `#` after a value is part of it (systemd comments are whole lines).
    let src = "[Container]\nImage=a:1 # pinned\n";
    assert_eq!(testing::pinnable(src, find), ["a:1 # pinned"]);
    let src = "[Container]\n# pin: ignore\nImage=a:1\n  ; pin: ignore\nImage=b:1\n# pin: ignored\n";
    let f = find(src).unwrap();
    let texts: Vec<_> = f.ignore_comments.iter().map(|r| &src[r.clone()]).collect();
    assert_eq!(texts, ["# pin: ignore", "; pin: ignore"]);
}

#[test]
fn values_that_are_not_registry_references() {
    let cases = [
        ("Image=db.image", QUADLET_UNIT),
        ("Image=app.build", QUADLET_UNIT),
        ("Image=quay.io/a:%i", SPECIFIER),
        ("Image=", "empty value"),
        ("Image=\"\"", "empty value"),
    ];
    for (line, why) in cases {
        let src = format!("[Container]\n{line}\n");
        let c = testing::only(&src, find);
        assert_eq!(
            c.skip.as_ref().map(ToString::to_string).as_deref(),
            Some(why),
            "{line}"
        );
    }
    for line in [
        "Image=docker-archive:/tmp/x.tar",
        "Image=oci-archive:/tmp/x.tar",
        "Image=containers-storage:localhost/a",
        "Image=oci:/srv/layout:a",
        "Image=dir:/srv/image",
    ] {
        let src = format!("[Image]\n{line}\nImageTag=quay.io/podman/stable:latest\n");
        let c = testing::only(&src, find);
        assert!(
            c.skip
                .as_ref()
                .map(ToString::to_string)
                .as_deref()
                .unwrap()
                .contains("source"),
            "{line}"
        );
    }
}

#[test]
fn all_tags_and_volume_drivers() {
    let src = "[Image]\nImage=quay.io/a\nAllTags=yes\n";
    assert_eq!(
        testing::only(src, find)
            .skip
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some(ALL_TAGS)
    );
    let src = "[Image]\nAllTags=true\nAllTags=false\nImage=quay.io/a:1\n";
    assert_eq!(testing::pinnable(src, find), ["quay.io/a:1"]);
    let src = "[Volume]\nImage=a:1\n";
    assert_eq!(
        testing::only(src, find)
            .skip
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some(NOT_IMAGE_DRIVER)
    );
    let src = "[Volume]\nDriver=local\nImage=a:1\n[Volume]\nDriver=\"image\"\n";
    assert_eq!(
        testing::pinnable(src, find),
        ["a:1"],
        "the last Driver counts"
    );
}

#[test]
fn broken_units_are_errors_at_their_line() {
    for (src, at) in [
        ("Image=a:1\n", "Image"),
        ("[Container]\nnot a pair\nImage=a:1\n", "not"),
        ("[Container]\n=a:1\nImage=a:1\n", "=a"),
        ("[]\nImage=a:1\n", "[]"),
        ("[Cont[ainer]\nImage=a:1\n", "[Cont"),
    ] {
        let e = find(src).unwrap_err();
        assert_eq!(e.offset, src.find(at).unwrap(), "{src:?}: {e}");
    }
    // A section line with text after it is a key (Quadlet reads it so too): `Image=` stays in `[Unit]`.
    assert!(found("[Unit]\n[Container] x=1\nImage=a:1\n").is_empty());
    assert!(found("").is_empty());
}

#[test]
fn mutated_units_never_panic() {
    let texts = [
        "[Unit]\nDescription=x\n[Container]\nImage=\"docker://quay.io/a/b:1\"\nExec=a \\\n# c\n b\n".to_owned(),
        "\u{feff}[Image]\r\nImage=é.io/x:1\\\r\n\r\n  ; pin: ignore\r\nAllTags=on\r\n".to_owned(),
        "[Volume]\nDriver=image\nImage=\\\nb\\".to_owned(),
    ];
    for src in testing::mutants(&texts, 0x9e37_79b9_7f4a_7c15, "[]=\\\"#;\n\r é%:", 3000) {
        testing::assert_sound(&src, find);
    }
}
