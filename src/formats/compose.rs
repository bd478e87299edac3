//! Compose finder: the `image` of every service of a `compose.yaml` / `docker-compose*.yml`.
//!
//! # What is found
//!
//! `services.<name>.image` when it is a scalar, in every document of the file. The service mapping is
//! read with merge keys applied (`<<: *common`, `<<: [*a, *b]`), and an `image` whose value is an
//! alias (`image: *img`) stands for the anchored scalar. Either way the candidate is the scalar where
//! it is written — typically under an `x-` extension field (`x-img: &img nginx:1.25`,
//! `x-common: &common {image: nginx:1}`) — and a scalar shared by several services is reported once.
//! Its span is the reference text (inside quotes, after properties), as for the generic finder.
//!
//! Reported with [`Candidate::skip`] set:
//!
//! * the image of a service that also has `build:` (own or merged): Compose tags the image it builds
//!   with that name, so it is not a registry image to pin (a scalar shared with other services is
//!   skipped for all of them, as rewriting it would rewrite the build's name too);
//! * a value that interpolates variables (`${REGISTRY:-eshop}/api:${TAG}`, `$IMAGE`), naming them;
//!   `$$` is a literal `$` and does not count;
//! * an empty value, and a value whose bytes are not its text (escapes, line breaks).
//!
//! # What is not found
//!
//! * `image:` anywhere but directly in a service: under an `x-` field that no service uses, under
//!   `configs`, `volumes`, `networks`, a service's `labels` or `environment`, build args such as
//!   `NODE_IMAGE: ${NODE_IMAGE:-node:12.0}`. Compose only pulls `services.*.image`; an `x-` field is
//!   a plain YAML value until a service merges or aliases it.
//! * Services without `image` (build-only), null images, and images that are not scalars.
//!
//! # Limitations
//!
//! * `extends:` (a service inheriting from another service or file) is not followed: an image defined
//!   in the same file is reported where it is written, one in another file is not seen.
//! * `include:` and override files (`compose.override.yaml`) are separate files, read on their own.
//! * Variables are not expanded, even with a default: `${TAG:-1.0}` is skipped, not resolved.
//! * [`Candidate::pull_policy_set`] is always `None`: Compose's `pull_policy` has other defaults than
//!   Kubernetes' `imagePullPolicy`.

use super::yaml::tree::{NodeId, Tree};
use super::yaml::{find_reading, image_value, variables_skip, Reads};
use super::{Candidate, FindError, Findings, SkipReason};

/// Finds the service images of a Compose file. See the module documentation.
pub fn find(src: &str) -> Result<Findings, FindError> {
    find_reading(src, &READS, collect)
}

/// The keys [`collect`] reads.
const READS: Reads = Reads {
    whole: &["image", "build"],
    keys: &["services"],
    whole_if: None,
};

fn collect(tree: &Tree, out: &mut Vec<Candidate>) {
    for root in tree.mapping_documents() {
        for service in tree.mappings_under(root, "services") {
            out.extend(service_image(tree, service));
        }
    }
}

fn service_image(tree: &Tree, service: NodeId) -> Option<Candidate> {
    let mut candidate = image_value(tree, tree.lookup(service, "image")?)?;
    if candidate.skip.is_none() {
        candidate.skip = if tree.lookup(service, "build").is_some() {
            Some(SkipReason::BuiltHere(
                "the service also has `build:`; `image` names the image it builds",
            ))
        } else {
            variables_skip(&candidate.value, "Compose")
        };
    }
    Some(candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(src: &str) -> Vec<(&str, String, Option<String>)> {
        crate::formats::testing::found(src, find)
    }

    fn pinnable(src: &str) -> Vec<&str> {
        crate::formats::testing::pinnable(src, find)
    }

    #[test]
    fn service_images_in_every_style() {
        let src = "services:\n  web:\n    image: nginx:1.25 # c\n  cache:\n    image: 'redis:7'\n  db: {image: \"postgres:16\", restart: always}\n  built:\n    build: .\n";
        assert_eq!(pinnable(src), ["nginx:1.25", "redis:7", "postgres:16"]);
        let spans: Vec<_> = find(src)
            .unwrap()
            .candidates
            .into_iter()
            .map(|c| c.span)
            .collect();
        assert_eq!(spans[0], 28..38);
        assert_eq!(&src[spans[1].clone()], "redis:7");
        assert_eq!(src.as_bytes()[spans[1].start - 1], b'\'');
    }

    #[test]
    fn only_services_hold_images() {
        let src = "version: '3.4'\nx-unused:\n  image: not:1\nconfigs:\n  c: {image: not:2}\nservices:\n  a:\n    image: yes:1\n    labels: {image: not:3}\n    environment:\n      image: not:4\n    build:\n      args:\n        NODE_IMAGE: node:12\n  b:\n    image: yes:2\nimage: not:5\n";
        let got = found(src);
        assert_eq!(
            got.iter().map(|c| c.0).collect::<Vec<_>>(),
            ["yes:1", "yes:2"]
        );
        // `a` builds its image.
        assert!(got[0].2.as_deref().unwrap().contains("build"));
        assert_eq!(got[1].2, None);
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let src = "x-img: &img nginx:1.25\nx-common: &common\n  image: redis:7\n  restart: always\nx-policy: &policy {pull_policy: always}\nservices:\n  a:\n    image: *img\n  b:\n    image: *img\n  c:\n    <<: *common\n  d:\n    <<: [*policy, *common]\n    command: x\n  e:\n    <<: *common\n    image: own:1\n";
        let got = found(src);
        assert_eq!(
            got.iter().map(|c| c.0).collect::<Vec<_>>(),
            ["nginx:1.25", "redis:7", "own:1"]
        );
        assert!(got.iter().all(|c| c.2.is_none()));
        let c = find(src).unwrap().candidates;
        assert_eq!(c[0].span, 12..22);
        assert_eq!(c[1].span, 50..57);
        // An anchor inside another service.
        let src = "services:\n  a:\n    image: &i busybox:1\n  b:\n    image: *i\n";
        assert_eq!(pinnable(src), ["busybox:1"]);
        assert_eq!(find(src).unwrap().candidates.len(), 1);
    }

    #[test]
    fn a_shared_scalar_with_a_build_is_skipped() {
        let src =
            "x-i: &i app:1\nservices:\n  a:\n    image: *i\n  b:\n    image: *i\n    build: .\n";
        let got = found(src);
        assert_eq!(got.len(), 1);
        assert!(got[0].2.as_deref().unwrap().contains("build"));
    }

    #[test]
    fn pinned_references_are_reported_as_written() {
        let digest = "sha256:".to_owned() + &"a".repeat(64);
        let src = format!(
            "services:\n  s:\n    image: \"chrislusf/seaweedfs:4.40_large_disk@{digest}\"\n"
        );
        assert_eq!(
            pinnable(&src),
            [format!("chrislusf/seaweedfs:4.40_large_disk@{digest}")]
        );
    }

    #[test]
    fn variables_are_skipped_by_name() {
        let src = "services:\n  a:\n    image: ${REGISTRY:-eshop}/catalog.api:${PLATFORM:-linux}-${TAG:-latest}\n  b:\n    image: \"$SNUBA_IMAGE\"\n  c:\n    image: ${DOCKER_REGISTRY-}web\n  d:\n    image: a$$b:1\n";
        let got = found(src);
        assert_eq!(
            got[0].2.as_deref(),
            Some("uses variables REGISTRY, PLATFORM, TAG, interpolated by Compose")
        );
        assert_eq!(
            got[1].2.as_deref(),
            Some("uses variable SNUBA_IMAGE, interpolated by Compose")
        );
        assert_eq!(got[1].0, "$SNUBA_IMAGE");
        assert!(got[2].2.as_deref().unwrap().contains("DOCKER_REGISTRY"));
        assert_eq!(got[3].2, None);
    }

    #[test]
    fn crlf_bom_and_no_final_newline() {
        let src = "\u{FEFF}services:\r\n  web:\r\n    image: ${DOCKER_REGISTRY-}eshopwebmvc\r\n  sql:\r\n    image: mcr.microsoft.com/azure-sql-edge\r\n  x:\r\n    image: 'é:1'";
        let got = found(src);
        assert_eq!(got.len(), 3);
        assert_eq!(got[1].0, "mcr.microsoft.com/azure-sql-edge");
        assert_eq!(got[2].0, "é:1");
        let c = &find(src).unwrap().candidates[1];
        assert_eq!(c.span.start, src.find("mcr").unwrap());
    }

    #[test]
    fn odd_shapes_are_not_errors() {
        for src in [
            "services:\n",
            "services: []\n",
            "services:\n  a:\n  b: x\n  c: {image: }\n  d: {image: [x]}\n",
            "- services: {a: {image: x}}\n",
            "",
            "# only a comment\n",
        ] {
            assert_eq!(pinnable(src), Vec::<&str>::new(), "{src:?}");
        }
        assert_eq!(
            found("services:\n  a: {image: ''}\n")[0].2.as_deref(),
            Some("empty value")
        );
    }
}
