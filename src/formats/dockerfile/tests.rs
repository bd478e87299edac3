use super::*;
use crate::formats::LineIndex;

fn found(src: &str) -> Vec<(String, Option<String>)> {
    let findings = find(src).unwrap_or_else(|e| panic!("{e} at {}", e.offset));
    assert_eq!(findings.skipped, None);
    findings
        .candidates
        .into_iter()
        .map(|c| {
            assert_eq!(c.pull_policy_set, None);
            if c.skip.is_none() && c.target == Target::Reference {
                assert_eq!(&src[c.span.clone()], c.value, "span of {:?}", c.value);
            }
            (c.value, c.skip.map(|s| s.to_string()))
        })
        .collect()
}

fn images(src: &str) -> Vec<String> {
    found(src)
        .into_iter()
        .map(|(value, skip)| {
            assert_eq!(skip, None, "{value}");
            value
        })
        .collect()
}

#[test]
fn finds_from_images_in_any_case() {
    let src = "from alpine:3.19\nRUN true\nFrom golang:1.22\nFROM\tdebian\n";
    assert_eq!(images(src), ["alpine:3.19", "golang:1.22", "debian"]);
}

#[test]
fn span_is_the_image_word_only() {
    let src = "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\n";
    let c = &find(src).unwrap().candidates[0];
    assert_eq!(c.span, 31..42);
    assert_eq!(&src[c.span.clone()], "golang:1.22");
    assert_eq!(c.skip, None);
}

#[test]
fn flags_are_not_images() {
    let src =
        "FROM --platform=linux/amd64 --other=x alpine\nFROM --platform=${TARGETPLATFORM} a/b:1\n";
    assert_eq!(images(src), ["alpine", "a/b:1"]);
}

#[test]
fn stage_names_with_as_in_any_case() {
    let src = "FROM golang:1.22 AS build\nFROM alpine as final\nFROM debian As other\n";
    assert_eq!(images(src), ["golang:1.22", "alpine", "debian"]);
}

#[test]
fn earlier_stages_are_not_images() {
    let src = "\
FROM golang:1.22 AS builder
RUN go build
FROM builder AS test
FROM Builder
FROM BUILDER AS again
FROM test
FROM later
FROM alpine AS later
";
    // `later` is named only after it is used, so there it is an image.
    assert_eq!(images(src), ["golang:1.22", "later", "alpine"]);
}

#[test]
fn stage_named_in_upper_case() {
    let src = "FROM alpine AS BASE\nFROM base\nFROM Base AS x\n";
    assert_eq!(images(src), ["alpine"]);
}

#[test]
fn scratch_is_not_an_image() {
    let src = "FROM scratch\nCOPY a /\nFROM scratch AS out\nFROM alpine\n";
    assert_eq!(images(src), ["alpine"]);
}

#[test]
fn continuation_lines() {
    let src =
        "FROM \\\n  alpine:3.19 AS x\nFROM --platform=linux/amd64 \\\n    debian:12 \\\n    AS y\n";
    assert_eq!(images(src), ["alpine:3.19", "debian:12"]);
    let c = &find(src).unwrap().candidates[0];
    assert_eq!(c.span, 9..20);
}

#[test]
fn comment_and_blank_lines_inside_continuation() {
    let src = "FROM \\\n# a comment FROM nope\n\n   # indented comment\n  alpine:3.19 \\\n  # c\n  AS x\n";
    assert_eq!(images(src), ["alpine:3.19"]);
}

#[test]
fn escape_directive_backtick() {
    let src = "# escape=`\nFROM `\n    mcr.microsoft.com/windows/servercore:ltsc2022 `\n    AS base\nRUN dir C:\\ `\n    && echo FROM x\nFROM base\nFROM node:20\n";
    assert_eq!(
        images(src),
        ["mcr.microsoft.com/windows/servercore:ltsc2022", "node:20"]
    );
}

#[test]
fn backslash_is_literal_under_backtick_escape() {
    // With escape=` a trailing backslash does not continue the line.
    let src = "# escape=`\nFROM alpine\nRUN echo C:\\\nFROM debian\n";
    assert_eq!(images(src), ["alpine", "debian"]);
}

#[test]
fn escape_directive_after_comment_is_a_comment() {
    let src = "# hello\n# escape=`\nFROM `\n  alpine\n";
    // Not a directive, so the backtick is no escape: the image is the backtick itself, and the
    // next line, `alpine`, is an unknown instruction.
    assert!(find(src).is_err());
    let src = "# hello\n# escape=`\nFROM \\\n  alpine\n";
    assert_eq!(images(src), ["alpine"]);
}

#[test]
fn directives_with_leading_whitespace() {
    // A Dockerfile copied indented from a Markdown page (Microsoft's guide to installing the Visual Studio
    // Build Tools in a container). BuildKit strips a line's leading whitespace before it looks for a
    // directive, so the backtick is the escape character and `RUN `` continues over the next lines.
    let src = "   # escape=`\n\n   # Use the latest Windows Server Core image with .NET Framework 4.8.\n   FROM mcr.microsoft.com/dotnet/framework/sdk:4.8-windowsservercore-ltsc2019\n\n   # Restore the default Windows shell for correct batch processing.\n   SHELL [\"cmd\", \"/S\", \"/C\"]\n\n   RUN `\n       # Download the Build Tools bootstrapper.\n       curl -SL --output vs_buildtools.exe https://aka.ms/vs/17/release/vs_buildtools.exe `\n       `\n       # Cleanup\n       && del /q vs_buildtools.exe\n\n   ENTRYPOINT [\"C:\\\\BuildTools\\\\Common7\\\\Tools\\\\VsDevCmd.bat\", \"&&\", \"powershell.exe\"]\n";
    assert_eq!(
        images(src),
        ["mcr.microsoft.com/dotnet/framework/sdk:4.8-windowsservercore-ltsc2019"]
    );
    // Tabs, CRLF, a byte order mark, several directives, Unicode blanks (a no-break space) before `#` and
    // after it; the image spans are those of the file as written.
    for src in [
        "\t# escape=`\r\nFROM `\r\n  alpine:3.20\r\n",
        "\u{feff}  # syntax=docker/dockerfile:1\n \t#escape = `\nFROM `\n  alpine:3.20\n",
        "\u{a0}#\u{a0}escape=`\nFROM `\n  alpine:3.20\n",
        "# check=skip=all\n  # ESCAPE=`\nFROM `\n  alpine:3.20",
    ] {
        let findings = find(src).unwrap_or_else(|e| panic!("{src:?}: {e}"));
        let found: Vec<&str> = findings
            .candidates
            .iter()
            .filter(|c| c.value != "docker/dockerfile:1")
            .map(|c| &src[c.span.clone()])
            .collect();
        assert_eq!(found, ["alpine:3.20"], "{src:?}");
    }
    // Not directives: after a blank line, an ordinary comment or an instruction (indented or not), an
    // unknown key, or a `#!` line (BuildKit's parser, unlike `DetectSyntax`, stops there).
    for src in [
        "\n  # escape=`\nFROM \\\n  alpine:3.20\n",
        "  # hello\n  # escape=`\nFROM \\\n  alpine:3.20\n",
        "  # foo=bar\n  # escape=`\nFROM \\\n  alpine:3.20\n",
        "#!/usr/bin/env buildctl\n  # escape=`\nFROM \\\n  alpine:3.20\n",
    ] {
        assert_eq!(images(src), ["alpine:3.20"], "{src:?}");
    }
    // A repeated directive is an error for BuildKit ("only one escape parser directive can be used"); here
    // the first one counts, and the file is an error too.
    assert!(find("  # escape=`\n  # escape=`\nFROM \\\n  alpine:3.20\n").is_err());
}

#[test]
fn crlf_line_endings() {
    let src = "# syntax=docker/dockerfile:1\r\nFROM golang:1.22 AS build\r\nRUN echo a \\\r\n  b\r\nFROM \\\r\n  alpine:3.19\r\nFROM build\r\n";
    assert_eq!(
        images(src),
        ["docker/dockerfile:1", "golang:1.22", "alpine:3.19"]
    );
}

#[test]
fn comment_lines_are_not_instructions() {
    let src = "# FROM commented:1\nFROM alpine\n  # FROM indented:1\n#FROM x\nRUN true\n";
    assert_eq!(images(src), ["alpine"]);
}

#[test]
fn from_inside_other_instructions_is_not_an_image() {
    let src = "FROM alpine\nRUN echo FROM x\nRUN echo a \\\n  FROM y\nLABEL from=z\nCMD [\"FROM\", \"w\"]\nONBUILD FROM v\n";
    assert_eq!(images(src), ["alpine"]);
}

#[test]
fn heredoc_bodies_are_not_instructions() {
    let src = "\
FROM alpine
RUN <<EOF
FROM x
EOF
COPY <<-EOT /Dockerfile
\tFROM y
\tEOT
RUN --mount=type=cache,target=/c <<'EOF'
FROM z
EOF
FROM debian
";
    assert_eq!(images(src), ["alpine", "debian"]);
}

#[test]
fn heredoc_not_first_in_run() {
    // As in BuildKit, any shell word `[0-9]*<<[-]WORD` opens a here-document (so `1<<2` does,
    // with the body `FROM u`), quoted ones and `$((1<<2))` do not, and comment lines inside the
    // continuation are not part of the line.
    let src = "\
FROM alpine
RUN cat <<EOF > /Dockerfile
FROM x
EOF
RUN python3 - <<'PY'
print('FROM y')
PY
RUN <<A bash -c 'cat >/f' <<-\"B\"
FROM z
A
\tFROM w
\tB
RUN cat \\
  # FROM in a comment, with <<NOPE
  <<EOF
FROM v
EOF
RUN echo '<<no' \"<<no\" 1<<2 && echo $((1<<2))
FROM u
2
FROM debian
";
    assert_eq!(images(src), ["alpine", "debian"]);
}

#[test]
fn unterminated_heredoc_is_an_error() {
    let src = "FROM alpine\nRUN cat <<EOF\nFROM x\n";
    let e = find(src).unwrap_err();
    assert_eq!(e.offset, src.find("FROM x").unwrap());
    assert!(e.message.contains("EOF"), "{}", e.message);
    assert!(find("FROM alpine\nRUN <<EOF\nFROM x\n").is_err());
}

#[test]
fn build_arguments_are_skipped() {
    let src = "\
ARG GO_VERSION
FROM $IMG
FROM golang:${GO_VERSION}-alpine${ALPINE_VERSION}
FROM x:${V:-1}-$V
FROM ${BASE:-alpine}
FROM a$
FROM ${}
";
    assert_eq!(
        found(src),
        [
            (
                "$IMG".into(),
                Some("build argument IMG is not declared before the first FROM".into())
            ),
            (
                "golang:${GO_VERSION}-alpine${ALPINE_VERSION}".into(),
                Some("uses build arguments GO_VERSION, ALPINE_VERSION".into())
            ),
            ("x:${V:-1}-$V".into(), Some("uses build argument V".into())),
            (
                "${BASE:-alpine}".into(),
                Some("uses build argument BASE".into())
            ),
            ("a$".into(), Some("uses build argument syntax `$`".into())),
            ("${}".into(), Some("uses build argument syntax `$`".into())),
        ]
    );
    for c in find(src).unwrap().candidates {
        assert_eq!(&src[c.span.clone()], c.value);
    }
}

/// For each candidate: the line it starts on (1-based), the text of its span, and its skip reason.
fn places(src: &str) -> Vec<(usize, String, Option<String>)> {
    let index = LineIndex::new(src);
    find(src)
        .unwrap_or_else(|e| panic!("{e} at {}", e.offset))
        .candidates
        .into_iter()
        .map(|c| {
            if c.skip.is_none() {
                assert_eq!(&src[c.span.clone()], c.value);
            }
            let line = index.line_col(src, c.span.start).0;
            (line, src[c.span].to_string(), c.skip.map(|s| s.to_string()))
        })
        .collect()
}

fn place(line: usize, text: &str, skip: Option<&str>) -> (usize, String, Option<String>) {
    (line, text.to_string(), skip.map(str::to_string))
}

#[test]
fn from_variable_uses_the_global_arg_default() {
    let src = "\
ARG BASE=alpine:3.19
ARG OTHER=debian:12
FROM ${BASE} AS one
FROM $BASE
FROM --platform=linux/amd64 ${BASE} AS two
FROM golang:1.22
";
    assert_eq!(
        places(src),
        [place(1, "alpine:3.19", None), place(6, "golang:1.22", None)]
    );
    let c = &find(src).unwrap().candidates[0];
    assert_eq!(c.span, 9..20);
    assert_eq!(c.target, Target::Reference);
}

#[test]
fn quoted_and_multiple_arg_defaults() {
    let src = "\
ARG A=1 BASE=\"alpine:3.19\" C
ARG SINGLE='debian:12' EMPTY_OK=
ARG SPACED=\"a b\"
FROM ${BASE}
FROM ${SINGLE}
FROM ${SPACED}
";
    assert_eq!(
        places(src),
        [
            place(1, "alpine:3.19", None),
            place(2, "debian:12", None),
            place(3, "a b", None),
        ]
    );
    let c = &find(src).unwrap().candidates[0];
    assert_eq!(&src[c.span.start - 1..c.span.end + 1], "\"alpine:3.19\"");
}

#[test]
fn arg_after_the_first_from_is_not_in_scope() {
    let src = "FROM alpine AS a\nARG BASE=debian:12\nFROM ${BASE}\n";
    assert_eq!(
        places(src),
        [
            place(1, "alpine", None),
            place(
                3,
                "${BASE}",
                Some("build argument BASE is not declared before the first FROM")
            ),
        ]
    );
}

#[test]
fn arg_without_usable_default() {
    let src = "\
ARG NONE
ARG DROPPED=alpine
ARG DROPPED
ARG EMPTY=
ARG QUOTED_EMPTY=\"\"
FROM ${NONE}
FROM $DROPPED
FROM ${EMPTY}
FROM ${QUOTED_EMPTY}
";
    assert_eq!(
        places(src),
        [
            place(6, "${NONE}", Some("build argument NONE has no default")),
            place(7, "$DROPPED", Some("build argument DROPPED has no default")),
            place(
                8,
                "${EMPTY}",
                Some("build argument EMPTY has an empty default")
            ),
            place(
                9,
                "${QUOTED_EMPTY}",
                Some("build argument QUOTED_EMPTY has an empty default")
            ),
        ]
    );
}

#[test]
fn last_global_declaration_wins() {
    let src = "ARG BASE=alpine\nARG BASE=debian:12\nFROM $BASE\n";
    assert_eq!(places(src), [place(2, "debian:12", None)]);
}

#[test]
fn arg_default_naming_a_stage_is_not_an_image() {
    let src = "\
ARG BASE=builder
ARG UPPER=BUILDER
ARG LATER=later
ARG EMPTY_IMAGE=scratch
FROM golang:1.22 AS Builder
FROM ${BASE}
FROM $UPPER AS x
FROM ${EMPTY_IMAGE}
FROM ${LATER}
FROM alpine AS later
FROM ${LATER}
";
    // `later` is a stage only after line 10, so on line 9 it is an image (reported at the ARG).
    assert_eq!(
        places(src),
        [
            place(3, "later", None),
            place(5, "golang:1.22", None),
            place(10, "alpine", None),
        ]
    );
    // A stage cannot be its own base: `FROM ${SELF} AS self` pulls the image `self`.
    let src = "ARG SELF=self\nFROM ${SELF} AS self\n";
    assert_eq!(places(src), [place(1, "self", None)]);
}

#[test]
fn unused_arg_defaults_are_not_candidates() {
    let src = "\
ARG GO_VERSION=1.22
ARG IMAGE=alpine:3.19
ARG REGISTRY=registry.example.com
ARG TAG=1
FROM golang:${GO_VERSION}-alpine
FROM ${REGISTRY}/app:${TAG}
FROM debian
ARG STAGE_LOCAL=busybox:1
";
    assert_eq!(
        places(src),
        [
            place(
                5,
                "golang:${GO_VERSION}-alpine",
                Some("uses build argument GO_VERSION")
            ),
            place(
                6,
                "${REGISTRY}/app:${TAG}",
                Some("uses build arguments REGISTRY, TAG")
            ),
            place(7, "debian", None),
        ]
    );
}

#[test]
fn arg_defaults_that_cannot_be_rewritten() {
    let src = "\
ARG VARIABLE=${REGISTRY}/app:1
ARG ESCAPED=alp\\ine
ARG HALF=\"alpine\"x
ARG SPLIT=alp\\
ine
FROM ${VARIABLE}
FROM ${ESCAPED}
FROM $HALF
FROM $SPLIT
FROM $VARIABLE
";
    assert_eq!(
        places(src),
        [
            place(
                1,
                "${REGISTRY}/app:1",
                Some("default of build argument VARIABLE uses build argument REGISTRY")
            ),
            place(
                2,
                "alp\\ine",
                Some("default of build argument ESCAPED has quotes or escapes")
            ),
            place(
                3,
                "\"alpine\"x",
                Some("default of build argument HALF has quotes or escapes")
            ),
            place(
                4,
                "alp\\\nine",
                Some("default of build argument SPLIT is split by a line continuation")
            ),
        ]
    );
}

#[test]
fn arg_over_continuation_lines() {
    let src = "\
ARG GO=1.22 \\
    # a comment
    BASE=alpine:3.19 \\

    OTHER=\"debian:12\"
FROM $BASE
FROM ${OTHER}
";
    assert_eq!(
        places(src),
        [place(3, "alpine:3.19", None), place(5, "debian:12", None)]
    );
}

#[test]
fn arg_defaults_with_crlf() {
    let src = "ARG BASE=alpine:3.19\r\nARG Q=\"debian:12\" \\\r\n  R=busybox\r\nFROM ${BASE}\r\nFROM ${Q}\r\nFROM $R\r\n";
    assert_eq!(
        places(src),
        [
            place(1, "alpine:3.19", None),
            place(2, "debian:12", None),
            place(3, "busybox", None),
        ]
    );
}

#[test]
fn copy_from_images() {
    let src = "\
FROM alpine AS a
FROM debian
COPY --from=a /x /x
COPY --from=A /x /x
COPY --from=0 /x /x
COPY --from=later /x /x
COPY --from=scratch /x /x
COPY --link --from=busybox:1 /bin/sh /sh
COPY --from=\"golang:1.22\" /go /go
COPY --from=${IMG} /x /x
COPY --from=a\"b\" /x /x
ADD --chown=1 x /x
FROM busybox AS later
";
    assert_eq!(
        places(src),
        [
            place(1, "alpine", None),
            place(2, "debian", None),
            place(8, "busybox:1", None),
            place(9, "golang:1.22", None),
            place(10, "${IMG}", Some("uses build argument IMG")),
            place(
                11,
                "a\"b",
                Some("--from value is split by a line continuation, quotes or escapes")
            ),
            place(13, "busybox", None),
        ]
    );
}

#[test]
fn run_mount_from_images() {
    let src = "\
FROM alpine AS build
RUN --mount=type=bind,from=golang:1.22,source=/usr/local/go,target=/go \\
    --mount=target=/src,FROM=Build \\
    --mount=type=cache,target=/c,from=0 \\
    --mount=from=busybox:1 true
RUN --mount=type=secret,id=x --mount=\"type=bind,from=debian:12,target=/d\" true
RUN --mount=type=bind,target=/x,from=${IMG} true
RUN --mount=type=bind,\"from=node:20\",target=/n true
RUN --mount=type=bind,\"from=a\"\"b\" true
RUN --mount=from=scratch,target=/s --network=none [\"true\"]
RUN --mount=type=bind,\\\"from=x\\\"\\\"y\\\" true
";
    assert_eq!(
        places(src),
        [
            place(1, "alpine", None),
            place(2, "golang:1.22", None),
            place(5, "busybox:1", None),
            place(6, "debian:12", None),
            place(7, "${IMG}", Some("uses build argument IMG")),
            place(8, "node:20", None),
            place(
                9,
                "a\"\"b",
                Some("--mount from= value is split by a line continuation, quotes or escapes")
            ),
            place(
                11,
                "x\\\"\\\"y",
                Some("--mount from= value is split by a line continuation, quotes or escapes")
            ),
        ]
    );
    // BuildKit drops the quotes of a flag word before reading the mount's fields.
    let found = find(src).unwrap();
    assert_eq!(found.candidates[6].value, "ab");
    // Escaped quotes reach the CSV reader: `\"from=x""y\"` is the field `from=x"y`.
    assert_eq!(found.candidates[7].value, "x\"y");
}

#[test]
fn copy_and_mount_with_crlf_and_continuation() {
    // A continuation joins lines as they are: leading blanks end the flag word, as in BuildKit.
    let src = "FROM a AS s\r\nCOPY --from=img:1 \\\r\n  /x /x\r\nRUN --mount=target=/x,\\\r\nfrom=img:2 true\r\nRUN --mount=target=/y,\\\r\n  from=img:4 true\r\nCOPY --from=im\\\r\ng:3 /x /x\r\n";
    assert_eq!(
        places(src),
        [
            place(1, "a", None),
            place(2, "img:1", None),
            place(5, "img:2", None),
            place(
                8,
                "im\\\r\ng:3",
                Some("--from value is split by a line continuation, quotes or escapes")
            ),
        ]
    );
}

#[test]
fn syntax_directive_is_a_candidate() {
    let src = "#Syntax = docker/dockerfile:1.7 \r\n# escape=\\\r\nFROM alpine\r\n";
    assert_eq!(
        places(src),
        [
            place(1, "docker/dockerfile:1.7", None),
            place(3, "alpine", None)
        ]
    );
    let src = "# check=skip=all\n# syntax=docker/dockerfile:1 opt=1\nFROM alpine\n";
    assert_eq!(
        places(src),
        [
            place(2, "docker/dockerfile:1", None),
            place(3, "alpine", None)
        ]
    );
    let src = "# hello\n# syntax=docker/dockerfile:1\nFROM alpine\n";
    assert_eq!(images(src), ["alpine"]);
}

#[test]
fn onbuild_is_ignored() {
    let src = "\
FROM alpine
ONBUILD COPY --from=busybox:1 / /
ONBUILD RUN --mount=from=golang:1.22 true
ONBUILD ADD x /x
";
    assert_eq!(images(src), ["alpine"]);
}

#[test]
fn copy_heredoc_bodies_are_not_read() {
    let src = "\
FROM alpine
COPY <<EOF /Dockerfile
FROM x:1
COPY --from=y:1 / /
RUN --mount=from=z:1 true
EOF
COPY --from=busybox:1 <<-EOT /x
\tFROM w
\tEOT
";
    assert_eq!(images(src), ["alpine", "busybox:1"]);
}

#[test]
fn image_split_by_continuation_is_skipped() {
    let src = "FROM alp\\\nine:3.19\n";
    let c = &find(src).unwrap().candidates[0];
    assert_eq!(c.value, "alpine:3.19");
    assert_eq!(&src[c.span.clone()], "alp\\\nine:3.19");
    assert_eq!(
        c.skip.as_ref().map(ToString::to_string).as_deref(),
        Some("image name is split by a line continuation")
    );
}

#[test]
fn byte_order_mark() {
    let src = "\u{feff}FROM alpine:3.19\nFROM golang\n";
    assert_eq!(images(src), ["alpine:3.19", "golang"]);
    let c = &find(src).unwrap().candidates[0];
    assert_eq!(c.span, 8..19);
    let src = "\u{feff}# escape=`\nFROM `\n  alpine\n";
    assert_eq!(images(src), ["alpine"]);
}

#[test]
fn no_final_newline() {
    assert_eq!(images("FROM alpine:3.19"), ["alpine:3.19"]);
    assert_eq!(images("FROM a AS b\nFROM c AS d"), ["a", "c"]);
    assert_eq!(images("FROM a\r"), ["a"]);
}

#[test]
fn non_ascii_text_keeps_byte_spans() {
    let src =
        "# é ü 漢字\nFROM alpine\nRUN cat <<EOF\nFROM 漢字\nEOF\nLABEL x=\"ß\"\nFROM debian\n";
    assert_eq!(images(src), ["alpine", "debian"]);
}

#[test]
fn parse_errors_have_offsets() {
    let src = "FROM alpine\nRUN true\nBOGUS x\n";
    let e = find(src).unwrap_err();
    assert_eq!(e.offset, src.find("BOGUS").unwrap());
    assert!(e.message.contains("unknown instruction"), "{}", e.message);
    assert!(!e.message.contains("line"), "{}", e.message);

    let src = "\u{feff}FROM alpine\nCOPY one\n";
    let e = find(src).unwrap_err();
    assert_eq!(e.offset, src.find("COPY").unwrap());

    let src = "FROM alpine junk\n";
    let e = find(src).unwrap_err();
    assert_eq!(e.offset, 12);

    assert_eq!(find("").unwrap_err().offset, 0);
    assert!(find("# just a comment\n").is_err());
    assert!(find("RUN true\nFROM alpine\n").is_err());
    // BuildKit only warns about a duplicate stage name.
    assert_eq!(images("FROM a AS x\nFROM b AS x\nFROM x\n"), ["a", "b"]);
}

/// `(span text, value, tag end, skip)` of every candidate.
fn tag_ends(src: &str) -> Vec<(String, String, Option<String>, Option<String>)> {
    find(src)
        .unwrap()
        .candidates
        .into_iter()
        .map(|c| {
            let tag_end = match c.target {
                Target::TagEnd { tag_end } => Some(tag_end),
                _ => None,
            };
            (
                src[c.span].to_string(),
                c.value,
                tag_end,
                c.skip.map(|s| s.to_string()),
            )
        })
        .collect()
}

fn tag_end(
    text: &str,
    value: &str,
    tag_end: &str,
) -> (String, String, Option<String>, Option<String>) {
    (text.into(), value.into(), Some(tag_end.into()), None)
}

#[test]
fn a_tag_argument_used_by_one_from_is_pinned_at_its_default() {
    // The whole tag, a tag's end after a literal start, `$NAME` without braces, a quoted default, CRLF.
    assert_eq!(
        tag_ends("ARG VARIANT=1.80\nFROM rust:${VARIANT}\n"),
        [tag_end("1.80", "rust:1.80", "1.80")]
    );
    assert_eq!(
        tag_ends("ARG VARIANT=\"bullseye\"\r\nFROM mcr.microsoft.com/devcontainers/rust:1-$VARIANT AS dev\r\n"),
        [tag_end(
            "bullseye",
            "mcr.microsoft.com/devcontainers/rust:1-bullseye",
            "bullseye"
        )]
    );
    // A registry with a port: the tag starts at the last `:` after the last `/`.
    assert_eq!(
        tag_ends("ARG V=2\nFROM localhost:5000/app:v${V}\n"),
        [tag_end("2", "localhost:5000/app:v2", "2")]
    );
    // Pinned already: the span holds the digest too, the tag end is the text before it.
    let digest = format!("sha256:{}", "a".repeat(64));
    let src = format!("ARG V=1.80@{digest}\nFROM rust:${{V}}\n");
    assert_eq!(
        tag_ends(&src),
        [tag_end(
            &format!("1.80@{digest}"),
            &format!("rust:1.80@{digest}"),
            "1.80"
        )]
    );
    // Two `FROM`s with the same image word are one reference; a comment line naming it is no use.
    let src =
        "ARG V=3.20\n# FROM alpine:${V} in the old days\nFROM alpine:${V} AS a\nFROM alpine:${V}\n";
    assert_eq!(tag_ends(src), [tag_end("3.20", "alpine:3.20", "3.20")]);
}

#[test]
fn a_tag_argument_used_elsewhere_is_skipped_naming_the_line() {
    let skipped = |src: &str| -> Vec<(String, Option<String>)> {
        tag_ends(src)
            .into_iter()
            .map(|(text, _, tag_end, skip)| {
                assert_eq!(tag_end, None, "{src}");
                (text, skip)
            })
            .collect()
    };
    let also = |name: &str, line: usize| {
        Some(format!(
            "build argument {name} ends the tag here but is also used on line {line}; pinning its default would change that too"
        ))
    };
    // In a `RUN` (the argument is in its environment), in another `FROM`, in another default, in a flag.
    assert_eq!(
        skipped("ARG V=3.20\nFROM alpine:${V}\nARG V\nRUN echo \"$V\"\n"),
        [("alpine:${V}".to_string(), also("V", 4))]
    );
    assert_eq!(
        skipped("ARG PY=3.12\nFROM python:${PY}\nFROM python:${PY}-slim AS slim\n"),
        [
            ("python:${PY}".to_string(), also("PY", 3)),
            (
                "python:${PY}-slim".to_string(),
                Some("uses build argument PY".to_string())
            )
        ]
    );
    assert_eq!(
        skipped("ARG A=1\nARG B=x-${A}\nFROM app:${A}\n"),
        [("app:${A}".to_string(), also("A", 2))]
    );
    assert_eq!(
        skipped("ARG V=1\nFROM --platform=$V app:${V}\n"),
        [("app:${V}".to_string(), also("V", 2))]
    );
    // A default that is not a tag's end, none at all, an expansion with a modifier, a variable before the tag.
    let not_tag = |d: &str| {
        Some(format!(
            "build argument P ends the tag, but its default {d:?} is not the end of a tag"
        ))
    };
    assert_eq!(
        skipped("ARG P=5000/app:1\nFROM localhost:${P}\n"),
        [("localhost:${P}".to_string(), not_tag("5000/app:1"))]
    );
    assert_eq!(
        skipped("ARG P\nFROM app:${P}\n"),
        [(
            "app:${P}".to_string(),
            Some("build argument P has no default".to_string())
        )]
    );
    assert_eq!(
        skipped("ARG P=1\nFROM app:${P:-2}\nFROM app${P}\n"),
        [
            (
                "app:${P:-2}".to_string(),
                Some("uses build argument P".to_string())
            ),
            (
                "app${P}".to_string(),
                Some("uses build argument P".to_string())
            )
        ]
    );
    // A default that uses another argument is skipped at the default, as for a whole reference.
    assert_eq!(
        skipped("ARG BASE=1\nARG P=${BASE}\nFROM app:${P}\n"),
        [(
            "${BASE}".to_string(),
            Some("default of build argument P uses build argument BASE".to_string())
        )]
    );
}

fn corpus_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/dockerfile")
}

/// The corpus files (everything but `SOURCES.md`, `.gitattributes` and the `.refs` files).
fn corpus_files() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| !name.ends_with(".refs") && !name.ends_with(".md") && !name.starts_with('.'))
        .map(|name| {
            let text = std::fs::read_to_string(corpus_dir().join(&name)).unwrap();
            (name, text)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn no_panic_on_prefixes() {
    let mut texts: Vec<String> = corpus_files()
        .into_iter()
        .filter(|(name, _)| {
            name.starts_with("buildkit-parser-")
                || name == "buildkit-lint.Dockerfile"
                || name == "eshop-webspa.Dockerfile"
        })
        .map(|(_, text)| text)
        .collect();
    texts.push(
        "\u{feff}# syntax = docker/dockerfile:1\r\nARG A=1 \\\r\n  BASE=\"alpine:3\"\r\nFROM ${BASE} AS s\r\nCOPY --from=img:1 / /\r\nRUN --mount=type=bind,\"from=a\"\"b\",target=/x --mount=from=s true\r\n"
            .to_string(),
    );
    texts.push(
        "\u{feff}# escape=`\r\nFROM `\r\n  alpine AS a\r\nRUN cat <<EOF > x `\r\n  && echo <<-B\r\nFROM é\r\nEOF\r\n\tB\r\nFROM a\r\n"
            .to_string(),
    );
    for text in &texts {
        for (i, _) in text.char_indices().chain([(text.len(), ' ')]) {
            let prefix = &text[..i];
            match find(prefix) {
                Ok(findings) => {
                    for c in findings.candidates {
                        assert!(prefix.get(c.span.clone()).is_some());
                    }
                }
                Err(e) => {
                    assert!(e.offset <= prefix.len() && prefix.is_char_boundary(e.offset))
                }
            }
        }
    }
}
