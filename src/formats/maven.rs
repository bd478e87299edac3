//! Maven finder: the images a `pom.xml` names for the two plugins that build container images from Maven.
//!
//! # What is found
//!
//! In every `<plugin>` (under `<build><plugins>`, `<pluginManagement>` or a profile's build) whose
//! `<artifactId>` is one of these, in its `<configuration>` and in each `<executions><execution><configuration>`:
//!
//! * `spring-boot-maven-plugin` (`spring-boot:build-image`, Cloud Native Buildpacks): `<image><builder>` and
//!   `<image><runImage>`, and each `<image><buildpacks><buildpack>` that is an image: written `docker://image`
//!   (or `docker:///image`; the reference after the prefix), or unprefixed with a tag or a digest
//!   (`gcr.io/paketo-buildpacks/java:13.1.0`), which Spring Boot reads as an image since no buildpack id holds
//!   a `:`. Buildpacks named otherwise (`urn:cnb:builder:…`, `file://…`, a path, an id or an unprefixed name
//!   without a tag, which Spring Boot looks up in the builder first) are left alone, as is `<image><name>`, the
//!   image the plugin builds.
//! * `jib-maven-plugin`: `<from><image>`, the base image; a `registry://` prefix is kept and the reference after
//!   it pinned; `scratch` is no image. `<to><image>` is the image Jib builds and is left alone.
//!
//! And the user properties the plugins read from the POM's `<properties>` (also a profile's), which name the
//! same images: `jib.from.image`, `spring-boot.build-image.builder` and `spring-boot.build-image.runImage`.
//!
//! Each candidate is the text of its element, without the whitespace around it (Maven trims it), inside a
//! CDATA section if it is written in one; nothing else of the file is touched.
//!
//! # Skipped
//!
//! * A value with a Maven property (`${builder.image}`), naming it: Maven substitutes it when it builds.
//! * A value written with character or entity references (`gcr.io&#47;x`), or split by a comment or CDATA
//!   boundary: its bytes are not the reference's text.
//! * Jib's `docker://` (an image of the local Docker daemon) and `tar://` (a tarball) base images.
//! * An element marked `<!-- pin: ignore -->`, on its line or alone on the line above.
//!
//! # Limitations
//!
//! * Parent POMs and imported BOMs are not followed: an image configured in a parent's `<pluginManagement>` is
//!   found when the parent's `pom.xml` is read.
//! * The plugin's parameters given on the command line (`-Dspring-boot.build-image.builder=…`) are unknown here.
//! * Gradle builds (`build.gradle`, `build.gradle.kts`) are not read.

use std::ops::Range;

use super::xml::{self, Document, Text};
use super::{Candidate, FindError, Findings, SkipReason, Target};

/// The plugin properties that name an image, with the prefixes their values may carry.
const PROPERTIES: [(&str, Prefixes); 3] = [
    ("jib.from.image", Prefixes::Jib),
    ("spring-boot.build-image.builder", Prefixes::None),
    ("spring-boot.build-image.runImage", Prefixes::None),
];

/// How a value may begin before its reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Prefixes {
    /// A plain reference.
    None,
    /// Jib's image prefixes: `registry://` (kept), `docker://` and `tar://` (not a registry: skipped).
    Jib,
    /// A Spring Boot buildpack: only `docker://` (or `docker:///`) makes it an image.
    Buildpack,
}

/// Finds the images of a `pom.xml`. See the module documentation.
pub fn find(src: &str) -> Result<Findings, FindError> {
    let doc = xml::parse(src)?;
    let mut candidates = Vec::new();
    for (id, element) in doc.elements.iter().enumerate() {
        match element.name.as_str() {
            "plugin" => plugin(&doc, src, id, &mut candidates),
            "properties" if doc.parent_is(id, "project") || doc.parent_is(id, "profile") => {
                for (name, prefixes) in PROPERTIES {
                    for property in doc.children_named(id, name) {
                        candidates.extend(candidate(&doc, src, property, prefixes));
                    }
                }
            }
            _ => {}
        }
    }
    candidates.sort_by_key(|c| c.span.start);
    Ok(Findings {
        candidates,
        skipped: None,
        ignore_comments: doc.ignore_comments(src),
    })
}

/// The images of one `<plugin>`, if it is one of the two.
fn plugin(doc: &Document, src: &str, id: usize, out: &mut Vec<Candidate>) {
    let Some(artifact) = doc.child(id, "artifactId") else {
        return;
    };
    let Text::Plain {
        value: artifact, ..
    } = doc.text(src, artifact)
    else {
        return;
    };
    let mut configurations: Vec<usize> = doc.children_named(id, "configuration").collect();
    for executions in doc.children_named(id, "executions") {
        for execution in doc.children_named(executions, "execution") {
            configurations.extend(doc.children_named(execution, "configuration"));
        }
    }
    for configuration in configurations {
        match artifact.as_str() {
            "spring-boot-maven-plugin" => {
                for image in doc.children_named(configuration, "image") {
                    for name in ["builder", "runImage"] {
                        for at in doc.children_named(image, name) {
                            out.extend(candidate(doc, src, at, Prefixes::None));
                        }
                    }
                    for buildpacks in doc.children_named(image, "buildpacks") {
                        for at in doc.children_named(buildpacks, "buildpack") {
                            out.extend(candidate(doc, src, at, Prefixes::Buildpack));
                        }
                    }
                }
            }
            "jib-maven-plugin" => {
                for from in doc.children_named(configuration, "from") {
                    for at in doc.children_named(from, "image") {
                        out.extend(candidate(doc, src, at, Prefixes::Jib));
                    }
                }
            }
            _ => return,
        }
    }
}

/// The candidate for the element `id`, whose value is an image (after `prefixes`), if it has one.
fn candidate(doc: &Document, src: &str, id: usize, prefixes: Prefixes) -> Option<Candidate> {
    let skipped = |span: Range<usize>, value: String, why: SkipReason| Candidate {
        artifact: None,
        span,
        value,
        skip: Some(why),
        pull_policy_set: None,
        target: Target::Reference,
    };
    let (span, value) = match doc.text(src, id) {
        Text::Empty => return None,
        Text::Written { cover, value, why } => {
            let why = format!("{why}; write it plainly to have it pinned");
            return Some(skipped(cover, value, SkipReason::NotPinnable(why.into())));
        }
        Text::Plain { span, value } => (span, value),
    };
    let properties = maven_properties(&value);
    if !properties.is_empty() {
        let why = match properties.as_slice() {
            [one] => format!("uses Maven property {one}"),
            many => format!("uses Maven properties {}", many.join(", ")),
        };
        return Some(skipped(span, value, SkipReason::Template(why.into())));
    }
    let prefix = match prefixes {
        Prefixes::None => "",
        Prefixes::Buildpack => match ["docker:///", "docker://"]
            .into_iter()
            .find(|p| value.starts_with(p))
        {
            Some(p) => p,
            // An unprefixed image: a tag or a digest, which no buildpack id or `urn:`/`file:` locator has.
            None if is_unprefixed_image(&value) => "",
            // A buildpack id, a path or a builder's buildpack: no image.
            None => return None,
        },
        Prefixes::Jib => {
            if value == "scratch" {
                return None;
            }
            if value.starts_with("docker://") {
                let why =
                    "Jib's `docker://`: an image of the local Docker daemon, not of a registry";
                return Some(skipped(span, value, SkipReason::fixed(why)));
            }
            if value.starts_with("tar://") {
                let why = "Jib's `tar://`: an image tarball, not a registry image";
                return Some(skipped(span, value, SkipReason::fixed(why)));
            }
            if value.starts_with("registry://") {
                "registry://"
            } else {
                ""
            }
        }
    };
    Some(Candidate {
        artifact: None,
        span: span.start + prefix.len()..span.end,
        value: value[prefix.len()..].to_owned(),
        skip: None,
        pull_policy_set: None,
        target: Target::Reference,
    })
}

/// Whether a buildpack written without `docker://` is an image for Spring Boot: not a locator (`urn:…`,
/// `file://…`) nor a path, and with a `:` (a tag, or the `sha256:` of a digest) after its last `/`.
fn is_unprefixed_image(value: &str) -> bool {
    let last = value.rsplit('/').next().unwrap_or(value);
    !value.starts_with("urn:")
        && !value.contains("://")
        && !value.starts_with(['/', '.', '~'])
        && !value.contains('\\')
        && last.contains(':')
}

/// The names of the Maven properties `${name}` a value uses, in order, each once.
fn maven_properties(value: &str) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    let mut rest = value;
    while let Some(at) = rest.find("${") {
        rest = &rest[at + 2..];
        let Some(end) = rest.find('}') else { break };
        if !names.contains(&&rest[..end]) {
            names.push(&rest[..end]);
        }
        rest = &rest[end + 1..];
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::found;

    const SPRING: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <properties>
    <spring-boot.build-image.runImage>paketobuildpacks/run-jammy-tiny:latest</spring-boot.build-image.runImage>
    <builder.image>paketobuildpacks/builder-jammy-base</builder.image>
  </properties>
  <build>
    <plugins>
      <plugin>
        <groupId>org.springframework.boot</groupId>
        <artifactId>spring-boot-maven-plugin</artifactId>
        <configuration>
          <image>
            <name>docker.example.com/library/${project.artifactId}</name>
            <builder>
              paketobuildpacks/builder-jammy-tiny:0.0.42
            </builder>
            <runImage><![CDATA[paketobuildpacks/run-jammy-tiny]]></runImage>
            <buildpacks>
              <buildpack>urn:cnb:builder:paketo-buildpacks/java</buildpack>
              <buildpack>docker://gcr.io/paketo-buildpacks/java:13.1.0</buildpack>
              <buildpack>docker:///paketobuildpacks/adoptium</buildpack>
              <buildpack>paketobuildpacks/nodejs</buildpack>
              <buildpack>docker.io/paketobuildpacks/java:15.1.0</buildpack>
              <buildpack>paketo-buildpacks/nodejs@6.1.1</buildpack>
              <buildpack>urn:cnb:builder:paketo-buildpacks/php@2.13.1</buildpack>
              <buildpack>file:///path/to/buildpack</buildpack>
              <buildpack>C:\buildpacks\java:1</buildpack>
            </buildpacks>
          </image>
        </configuration>
        <executions>
          <execution>
            <configuration>
              <image><builder>${builder.image}</builder></image>
            </configuration>
          </execution>
        </executions>
      </plugin>
      <plugin>
        <artifactId>maven-compiler-plugin</artifactId>
        <configuration><image><builder>not:1</builder></image></configuration>
      </plugin>
    </plugins>
  </build>
</project>
"#;

    #[test]
    fn spring_boot_builder_run_image_and_docker_buildpacks() {
        let got = found(SPRING, find);
        let got: Vec<(&str, Option<&str>)> = got.iter().map(|c| (c.0, c.2.as_deref())).collect();
        assert_eq!(
            got,
            [
                ("paketobuildpacks/run-jammy-tiny:latest", None),
                ("paketobuildpacks/builder-jammy-tiny:0.0.42", None),
                ("paketobuildpacks/run-jammy-tiny", None),
                ("gcr.io/paketo-buildpacks/java:13.1.0", None),
                ("paketobuildpacks/adoptium", None),
                ("docker.io/paketobuildpacks/java:15.1.0", None),
                (
                    "${builder.image}",
                    Some("uses Maven property builder.image")
                ),
            ]
        );
        // Each span is the reference's bytes only: after `docker://`, inside CDATA and whitespace.
        for c in find(SPRING).unwrap().candidates {
            assert_eq!(&SPRING[c.span.clone()], c.value);
        }
    }

    #[test]
    fn jib_from_image_with_its_prefixes_and_never_to() {
        let src = "<project>\r\n<properties><jib.from.image>eclipse-temurin:21-jre</jib.from.image></properties>\r\n<profiles><profile><properties><jib.from.image>docker://local/base</jib.from.image></properties></profile></profiles>\r\n<build><pluginManagement><plugins><plugin>\r\n<groupId>com.google.cloud.tools</groupId><artifactId>jib-maven-plugin</artifactId>\r\n<configuration>\r\n<from><image>registry://gcr.io/distroless/java21-debian12:nonroot</image></from>\r\n<to><image>gcr.io/my/app:1</image></to>\r\n</configuration>\r\n<executions><execution><configuration><from><image>tar://base.tar</image></from></configuration></execution>\r\n<execution><configuration><from><image>scratch</image></from></configuration></execution></executions>\r\n</plugin></plugins></pluginManagement></build></project>";
        let got = found(src, find);
        let got: Vec<(&str, Option<&str>)> = got.iter().map(|c| (c.0, c.2.as_deref())).collect();
        assert_eq!(
            got,
            [
                ("eclipse-temurin:21-jre", None),
                (
                    "docker://local/base",
                    Some(
                        "Jib's `docker://`: an image of the local Docker daemon, not of a registry"
                    )
                ),
                ("gcr.io/distroless/java21-debian12:nonroot", None),
                (
                    "tar://base.tar",
                    Some("Jib's `tar://`: an image tarball, not a registry image")
                ),
            ]
        );
    }

    #[test]
    fn references_comments_and_ignore_marks() {
        let src = "<project><build><plugins><plugin><artifactId>jib-maven-plugin</artifactId><configuration>\n<from><image>gcr.io&#47;distroless/java:11</image></from>\n<from><image>gcr.io/<!-- c -->distroless/java:11</image></from>\n<!-- pin: ignore -->\n<from><image>gcr.io/distroless/java:11</image></from>\n</configuration></plugin></plugins></build></project>\n";
        let findings = find(src).unwrap();
        let words: Vec<Option<String>> = findings
            .candidates
            .iter()
            .map(|c| c.skip.as_ref().map(ToString::to_string))
            .collect();
        let skips: Vec<Option<&str>> = words.iter().map(Option::as_deref).collect();
        assert_eq!(
            skips,
            [
                Some("written with XML character or entity references (`&…;`); write it plainly to have it pinned"),
                Some("split by a comment or a CDATA section; write it plainly to have it pinned"),
                None
            ]
        );
        assert_eq!(findings.candidates[0].value, "gcr.io/distroless/java:11");
        assert_eq!(findings.ignore_comments.len(), 1);
    }

    #[test]
    fn other_files_and_ill_formed_ones() {
        assert_eq!(found("<project/>", find), vec![]);
        assert_eq!(
            found("<project><plugin><configuration/></plugin></project>", find),
            vec![]
        );
        let e = find("<project><build></project>").unwrap_err();
        assert!(e.message.contains("not well-formed XML"), "{e:?}");
    }
}
