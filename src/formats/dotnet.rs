//! .NET finder: the base image of an SDK container build (`dotnet publish` with `PublishContainer`), set by the
//! MSBuild property `ContainerBaseImage` in a project file (`*.csproj`, `*.fsproj`, `*.vbproj`) or in
//! `Directory.Build.props`.
//!
//! # What is found
//!
//! The text of every `<ContainerBaseImage>` element of a `<PropertyGroup>` (also in a `<Target>`, and whatever
//! its `Condition`), the name matched in any case as MSBuild matches property names. The SDK reads it as a
//! full reference and, when it has a digest, pulls by the digest (with or without a tag). The span is the text
//! without the whitespace around it. `ContainerFamily` (a tag suffix the SDK appends to the image it infers),
//! `ContainerRepository`, `ContainerRegistry` and `ContainerImageTag(s)` name the image being built, not one
//! that is pulled, and are left alone; so is the base image the SDK infers when the property is not set.
//!
//! # Skipped
//!
//! * A value that uses MSBuild properties (`$(BaseImage)`), items or metadata (`@(…)`, `%(…)`), or MSBuild's
//!   `%XX` escapes, naming them: MSBuild computes it.
//! * A value written with XML character or entity references, or split by a comment or CDATA boundary.
//! * An element marked `<!-- pin: ignore -->`, on its line or alone on the line above.
//!
//! # Limitations
//!
//! * Imported files are not followed (`Directory.Build.props` is read when it is found itself); publish
//!   profiles (`Properties/PublishProfiles/*.pubxml`), `Directory.Build.targets` and other `.props`/`.targets`
//!   files are not read, nor values given on the command line (`-p:ContainerBaseImage=…`).

use super::xml::{self, Text};
use super::{Candidate, FindError, Findings, SkipReason, Target};

const PROPERTY: &str = "ContainerBaseImage";

/// Finds the base images of an MSBuild project file. See the module documentation.
pub fn find(src: &str) -> Result<Findings, FindError> {
    // Most project files never set it: those are not parsed (property names are matched in any case, which
    // the kind table's exact needles cannot do).
    if !contains_ignoring_case(src, PROPERTY) {
        return Ok(Findings::default());
    }
    let doc = xml::parse(src)?;
    let mut candidates = Vec::new();
    for (id, element) in doc.elements.iter().enumerate() {
        if !element.name.eq_ignore_ascii_case(PROPERTY) || !doc.parent_is(id, "PropertyGroup") {
            continue;
        }
        let skipped = |span, value, why: SkipReason| Candidate {
            artifact: None,
            span,
            value,
            skip: Some(why),
            pull_policy_set: None,
            target: Target::Reference,
        };
        match doc.text(src, id) {
            Text::Empty => {}
            Text::Written { cover, value, why } => candidates.push(skipped(
                cover,
                value,
                SkipReason::NotPinnable(
                    format!("{why}; write it plainly to have it pinned").into(),
                ),
            )),
            Text::Plain { span, value } => match msbuild_expansion(&value) {
                Some(why) => candidates.push(skipped(span, value, why)),
                None => candidates.push(Candidate {
                    artifact: None,
                    span,
                    value,
                    skip: None,
                    pull_policy_set: None,
                    target: Target::Reference,
                }),
            },
        }
    }
    Ok(Findings {
        candidates,
        skipped: None,
        ignore_comments: doc.ignore_comments(src),
    })
}

/// Why MSBuild would compute `value` rather than take it as written, if it would: `$(Name)` properties (named),
/// `@(…)` items, `%(…)` metadata and `%XX` escapes.
fn msbuild_expansion(value: &str) -> Option<SkipReason> {
    let mut names: Vec<&str> = Vec::new();
    let mut rest = value;
    while let Some(at) = rest.find("$(") {
        rest = &rest[at + 2..];
        let end = rest.find(')').unwrap_or(rest.len());
        let name = &rest[..end];
        if !names.contains(&name) {
            names.push(name);
        }
        rest = &rest[end..];
    }
    match names.as_slice() {
        [] => {}
        [one] => {
            let why = format!("uses MSBuild property {one}");
            return Some(SkipReason::Template(why.into()));
        }
        many => {
            let why = format!("uses MSBuild properties {}", many.join(", "));
            return Some(SkipReason::Template(why.into()));
        }
    }
    if value.contains("@(") || value.contains("%(") {
        return Some(SkipReason::template("uses MSBuild items or metadata"));
    }
    let bytes = value.as_bytes();
    let escape = bytes
        .windows(3)
        .any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit());
    escape.then_some(SkipReason::fixed("written with MSBuild escapes (`%XX`)"))
}

/// Whether `haystack` contains `needle` (ASCII) in any case.
fn contains_ignoring_case(haystack: &str, needle: &str) -> bool {
    let (first, needle) = (needle.as_bytes()[0], needle.as_bytes());
    memchr::memchr2_iter(
        first.to_ascii_lowercase(),
        first.to_ascii_uppercase(),
        haystack.as_bytes(),
    )
    .any(|at| {
        haystack.as_bytes()[at..]
            .get(..needle.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(needle))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::found;

    #[test]
    fn container_base_image_in_property_groups() {
        let src = "\u{feff}<Project Sdk=\"Microsoft.NET.Sdk.Web\">\r\n\r\n  <PropertyGroup>\r\n    <TargetFramework>net9.0</TargetFramework>\r\n    <ContainerRepository>contoso/app</ContainerRepository>\r\n    <ContainerFamily>noble-chiseled</ContainerFamily>\r\n    <ContainerBaseImage>mcr.microsoft.com/dotnet/aspnet:9.0</ContainerBaseImage>\r\n  </PropertyGroup>\r\n\r\n  <PropertyGroup Condition=\"'$(Configuration)' == 'Release'\">\r\n    <containerbaseimage>\r\n      mcr.microsoft.com/dotnet/runtime-deps:9.0-noble-chiseled\r\n    </containerbaseimage>\r\n  </PropertyGroup>\r\n  <Target Name=\"X\"><PropertyGroup><ContainerBaseImage>$(BaseRegistry)/dotnet/aspnet:$(BaseTag)</ContainerBaseImage></PropertyGroup></Target>\r\n  <ItemGroup><ContainerBaseImage Include=\"not:1\" /></ItemGroup>\r\n</Project>";
        let got = found(src, find);
        let got: Vec<(&str, Option<&str>)> = got.iter().map(|c| (c.0, c.2.as_deref())).collect();
        assert_eq!(
            got,
            [
                ("mcr.microsoft.com/dotnet/aspnet:9.0", None),
                (
                    "mcr.microsoft.com/dotnet/runtime-deps:9.0-noble-chiseled",
                    None
                ),
                (
                    "$(BaseRegistry)/dotnet/aspnet:$(BaseTag)",
                    Some("uses MSBuild properties BaseRegistry, BaseTag")
                ),
            ]
        );
    }

    #[test]
    fn escapes_items_and_files_without_the_property() {
        let src = "<Project><PropertyGroup><ContainerBaseImage>mcr.microsoft.com/dotnet/aspnet%3A9.0</ContainerBaseImage><ContainerBaseImage>@(Base)</ContainerBaseImage></PropertyGroup></Project>";
        let skips: Vec<Option<String>> = found(src, find).into_iter().map(|c| c.2).collect();
        assert_eq!(
            skips,
            [
                Some("written with MSBuild escapes (`%XX`)".to_owned()),
                Some("uses MSBuild items or metadata".to_owned())
            ]
        );
        // Without the property, the file is not even parsed: a broken one is no error.
        assert_eq!(
            find("<Project><PropertyGroup>").unwrap(),
            Findings::default()
        );
        assert!(find("<Project><CONTAINERBASEIMAGE>").is_err());
        assert!(contains_ignoring_case("x containerBASEimage", PROPERTY));
        assert!(!contains_ignoring_case("ContainerBaseImag", PROPERTY));
    }
}
