//! Helm values finder: the images of a chart's `values*.yaml`.
//!
//! # What is found
//!
//! * Every scalar `image: repo:tag` at any depth, as the generic finder reports it (same span rules and
//!   [`SKIP_RULES`]: Istio's `auto`, a Ceph `rbd.image`, an empty value), except where the scalar is
//!   the repository of a split image below.
//! * Every scalar under another key that ends in `image`, in any case (`gitImage`, `inline_image`,
//!   `coreImage`), when it reads as a reference with a tag or a digest (`gitImage: alpine/git:2.45.2`);
//!   anything else there (`vmImage: ubuntu-latest`, a path, `true`) is not an image and is not reported.
//! * Every **split image**: a mapping that is the value of an `image` key and has a `repository` key
//!   or a scalar `image` key (bitnami: `{registry, repository, tag, digest}`; ingress-nginx:
//!   `{registry, image, tag, digest}`); a mapping that is the value of another key ending in `image` (any
//!   case: bitnami's `clickHouseImage`, `gitImage`, `sysctlImage`) and has a `repository` key and a `tag`
//!   or `digest` key; or any mapping with a scalar `image` key next to a `tag` or
//!   `digest` key (`exporter: {image: ghcr.io/oliver006/redis_exporter, tag: v1.75.0}`). One candidate
//!   per mapping; [`Candidate::value`] is the reference the chart composes,
//!   `"{registry}/{repository}:{tag}"`, with `@{digest}` when the digest is set, and what is written
//!   is the digest alone:
//!   * `digest: sha256:…` (set): already pinned; span on the digest ([`Target::Digest`]);
//!   * `digest: ""`: the span is the empty text inside the quotes ([`Target::Digest`]);
//!     `digest: ~` / `digest: null`: the span is that word;
//!   * `digest:` with nothing after it: the span is the empty point right after the colon, and
//!     [`Target::InsertDigest`] writes `" "` and the digest there, so the line reads `digest: sha256:…`.
//!
//!   The registry is the mapping's `registry`, overridden by a non-empty `global.imageRegistry`
//!   (bitnami's convention) and defaulting to `global.image.registry` (ingress-nginx merges
//!   `global.image` under each image), all from the same document; none of them when all are empty.
//!
//! # Reported skipped (span on the repository)
//!
//! * A split image without a `digest` key: "Helm image mapping without a digest key; add `digest: \"\"`
//!   to have it filled". Nothing is inserted: only the chart's templates know whether (and how) they
//!   read a digest. One with a `sha` key instead says so: its format (with or without `sha256:`) is the
//!   chart's own.
//! * A split image with an empty or missing `tag` (and no digest): the chart then uses its
//!   `appVersion` (or a global tag), which the values file does not state.
//! * A split image with an empty `repository` (cert-manager and argo-cd leave it to global values).
//!
//! Values with template actions inside quotes (`"{{ .Values.x }}"`) are reported as written and skipped
//! by the reference classifier. A chart's templates (`templates/*.yaml`) are not values files: they are
//! read as plain YAML, and passed over as Helm templates.
//!
//! # What is not found
//!
//! Keys that do not end in `image` but look like image fields (`images: {repository, tag}`, whose
//! repository is a registry prefix the templates complete; `cloneStaticSiteFromGit.repository`, a git
//! repository), a mapping under a key such as `fooImage` without a `repository` and a `tag` or `digest`,
//! images inside strings, comments such as `# tag: v1` or `# digest: sha256:…`, and mappings with only a
//! `registry`.
//!
//! # Limitations
//!
//! * The composition follows the common conventions above; a chart that composes differently (e.g.
//!   `imageNamespace` + `name`, or a `repository` that already holds the registry while `registry` is
//!   set too) gets a value that may not be what its templates render. Values from other files
//!   (`-f`, `--set`) are not known.
//! * ingress-nginx's `digestChroot` (used with `chroot: true`) is not filled.
//! * Merge keys are not applied inside image mappings (values files rarely use them); an image mapping
//!   reached through an alias (`image: *img`) is reported once, where it is written.
//! * [`Candidate::pull_policy_set`] is always `None`.

use super::yaml::tree::{NodeId, Tree};
use super::yaml::{digest_slot, find_reading, image_value, Reads, SkipWhen, SKIP_RULES};
use super::{Candidate, FindError, Findings, SkipReason, Target};

/// The skip reason of a split image that has no `digest` key.
pub const NO_DIGEST_KEY: &str =
    "Helm image mapping without a digest key; add `digest: \"\"` to have it filled";

/// Finds the images of a Helm values file. See the module documentation.
pub fn find(src: &str) -> Result<Findings, FindError> {
    find_reading(src, &READS, |tree, out| collect(src, tree, out))
}

/// The keys [`collect`] and [`split_image`] read: a mapping without them holds no image.
const READS: Reads = Reads {
    whole: &["image"],
    whole_if: Some(ends_with_image),
    keys: &[
        "repository",
        "tag",
        "digest",
        "sha",
        "registry",
        "global",
        "imageRegistry",
    ],
};

/// Whether a key ends in `image`, in any case (`image`, `gitImage`, `inline_image`, `IMAGE`).
fn ends_with_image(key: &str) -> bool {
    key.len() >= 5
        && key.is_char_boundary(key.len() - 5)
        && key[key.len() - 5..].eq_ignore_ascii_case("image")
}

/// Whether a scalar under a key such as `gitImage` names an image: it reads as a reference with a tag or a
/// digest (`alpine/git:2.45`), not a bare name (`ubuntu-latest`), a path or a flag.
fn tagged_reference(value: &str) -> bool {
    crate::reference::Reference::parse(value)
        .is_ok_and(|r| r.tag().is_some() || r.digest().is_some())
}

fn collect(src: &str, tree: &Tree, out: &mut Vec<Candidate>) {
    collect_in(src, tree, tree.walk(), None, out);
}

/// The rules of a values file over the mappings among `nodes`: a whole tree, or the values that an object
/// embeds (a Flux `HelmRelease`'s `spec.values`, whose own root `values` is then where `global` is read
/// rather than the document's root).
pub(crate) fn collect_in(
    src: &str,
    tree: &Tree,
    nodes: impl Iterator<Item = NodeId>,
    values: Option<NodeId>,
    out: &mut Vec<Candidate>,
) {
    for map in nodes {
        let Some(mapping) = tree.mapping(map) else {
            continue;
        };
        if let Some(candidate) = split_image(src, tree, map, values) {
            out.push(candidate);
            continue;
        }
        let under = tree.key_str(map);
        for &(key, value) in &mapping.pairs {
            let exact = tree.is_key(key, "image");
            if !(exact || tree.str(key).is_some_and(ends_with_image))
                || tree.scalar(value).is_none()
            {
                continue;
            }
            let Some(mut candidate) = image_value(tree, value) else {
                continue;
            };
            if !exact && !tagged_reference(&candidate.value) {
                continue;
            }
            let rule = SKIP_RULES.iter().find(|rule| match rule.when {
                SkipWhen::Under(parent) => under == Some(parent),
                SkipWhen::Value(v) => candidate.value == v,
                // A mapping with those keys is a split image.
                SkipWhen::Beside(_) => false,
            });
            if let Some(rule) = rule {
                candidate.skip = Some(rule.reason.clone());
            }
            out.push(candidate);
        }
    }
}

/// A non-null scalar's value, by key, among the mapping's own pairs.
fn text_of<'t>(tree: &'t Tree, map: NodeId, key: &str) -> Option<&'t str> {
    let scalar = tree.scalar(tree.resolve(tree.get(map, key)?))?;
    (!scalar.is_null()).then_some(scalar.value.as_str())
}

/// The registry of a split image: see the module documentation. `values`: the root of embedded values.
fn registry<'t>(tree: &'t Tree, map: NodeId, values: Option<NodeId>) -> Option<&'t str> {
    let non_empty = |v: Option<&'t str>| v.filter(|v| !v.is_empty());
    let mut root = map;
    while let Some(parent) = tree.parent(root).filter(|_| Some(root) != values) {
        root = parent;
    }
    let global = tree.get(root, "global").map(|g| tree.resolve(g));
    let global_override = global.and_then(|g| non_empty(text_of(tree, g, "imageRegistry")));
    let global_default = global
        .and_then(|g| tree.get(g, "image"))
        .and_then(|i| non_empty(text_of(tree, tree.resolve(i), "registry")));
    global_override
        .or_else(|| non_empty(text_of(tree, map, "registry")))
        .or(global_default)
}

fn split_image(src: &str, tree: &Tree, map: NodeId, values: Option<NodeId>) -> Option<Candidate> {
    let has = |key: &str| tree.get(map, key).is_some();
    let image_scalar = tree
        .get(map, "image")
        .filter(|&i| tree.scalar(tree.resolve(i)).is_some());
    let key = tree.key_str(map);
    let under_image = key == Some("image");
    // Under another key ending in `image` (`gitImage`, `clickHouseImage`): the same mapping, when it has
    // the shape, a `repository` with a `tag` or a `digest`.
    let under_image_like =
        key.is_some_and(ends_with_image) && has("repository") && (has("tag") || has("digest"));
    let repository_key = if (under_image && has("repository")) || under_image_like {
        tree.get(map, "repository")?
    } else if image_scalar.is_some() && (under_image || has("tag") || has("digest")) {
        image_scalar?
    } else {
        return None;
    };

    let repository_node = tree.resolve(repository_key);
    let repository = tree
        .scalar(repository_node)
        .filter(|s| !s.is_null())
        .map_or("", |s| s.value.as_str());
    let repository_span = tree
        .scalar(repository_node)
        .map_or(tree[repository_node].span.clone(), |s| s.text.clone());
    let name = match registry(tree, map, values) {
        Some(registry) if !repository.is_empty() => format!("{registry}/{repository}"),
        _ => repository.to_owned(),
    };
    let tag = text_of(tree, map, "tag").filter(|t| !t.is_empty());
    let tagged = tag.map_or(name.clone(), |t| format!("{name}:{t}"));
    let skipped = |why: &'static str| Candidate {
        span: repository_span.clone(),
        value: tagged.clone(),
        skip: Some(SkipReason::fixed(why)),
        pull_policy_set: None,
        target: Target::Reference,
        artifact: None,
    };
    if repository.is_empty() {
        return Some(skipped(
            "empty repository; the chart composes the image from other values",
        ));
    }

    let digest = tree
        .pairs(map)
        .iter()
        .rev()
        .find(|&&(k, _)| tree.is_key(k, "digest"))
        .copied();
    let Some((digest_key, digest_value)) = digest else {
        if tag.is_none() {
            return Some(skipped(NO_TAG));
        }
        return Some(skipped(if has("sha") {
            "Helm image mapping with a `sha` key but no `digest` key; the format of `sha` is the chart's own"
        } else {
            NO_DIGEST_KEY
        }));
    };
    let Some((span, target, differs)) = digest_slot(src, tree, digest_key, digest_value) else {
        return Some(skipped("`digest` is not a string"));
    };
    let written = text_of(tree, map, "digest").filter(|d| !d.is_empty());
    let value = match written {
        Some(d) => format!("{tagged}@{d}"),
        None if tag.is_none() => return Some(skipped(NO_TAG)),
        None => tagged.clone(),
    };
    Some(Candidate {
        span,
        value,
        skip: differs.map(SkipReason::fixed),
        pull_policy_set: None,
        target,
        artifact: None,
    })
}

const NO_TAG: &str = "no tag; the chart's appVersion (or a global tag) applies";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{classify, Status};

    fn all(src: &str) -> Vec<Candidate> {
        crate::formats::testing::candidates(src, find)
    }

    fn only(src: &str) -> Candidate {
        crate::formats::testing::only(src, find)
    }

    fn pin(src: &str, c: &Candidate, digest: &str) -> String {
        let replacement = c.target.text(|| digest.to_owned(), digest);
        let edit = crate::rewrite::Edit {
            range: c.span.clone(),
            replacement,
        };
        crate::rewrite::apply(src, &[edit]).unwrap()
    }

    fn digest() -> String {
        format!("sha256:{}", "cd".repeat(32))
    }

    #[test]
    fn bitnami_split_image_with_empty_digest() {
        let src = "global:\n  imageRegistry: \"\"\nimage:\n  registry: docker.io\n  repository: bitnami/nginx\n  tag: 1.29.1-debian-12-r0\n  digest: \"\"\n  pullPolicy: IfNotPresent\n";
        let c = only(src);
        assert_eq!(c.value, "docker.io/bitnami/nginx:1.29.1-debian-12-r0");
        assert_eq!(c.target, Target::Digest);
        let quotes = src.find("\"\"\n  pull").unwrap();
        assert_eq!(c.span, quotes + 1..quotes + 1);
        assert!(matches!(classify(&c), Status::Unpinned(_)));
        let out = pin(src, &c, &digest());
        assert!(out.contains(&format!("  digest: \"{}\"\n", digest())));
        let again = only(&out);
        assert_eq!(
            again.value,
            format!("docker.io/bitnami/nginx:1.29.1-debian-12-r0@{}", digest())
        );
        assert!(matches!(classify(&again), Status::Pinned(_)));
    }

    #[test]
    fn ingress_nginx_split_image_is_pinned_with_the_global_registry() {
        let d = digest();
        let src = format!("global:\n  image:\n    # -- Registry host\n    registry: registry.k8s.io\ncontroller:\n  image:\n    chroot: false\n    # registry: registry.k8s.io\n    image: ingress-nginx/controller\n    tag: \"v1.15.1\"\n    digest: {d}\n    digestChroot: sha256:x\ndefaultBackend:\n  image:\n    image: defaultbackend-amd64\n    tag: \"1.5\"\n");
        let c = all(&src);
        assert_eq!(c.len(), 2, "{c:?}");
        assert_eq!(
            c[0].value,
            format!("registry.k8s.io/ingress-nginx/controller:v1.15.1@{d}")
        );
        assert_eq!(&src[c[0].span.clone()], d);
        assert_eq!(c[0].target, Target::Digest);
        assert!(matches!(classify(&c[0]), Status::Pinned(_)));
        assert_eq!(c[1].value, "registry.k8s.io/defaultbackend-amd64:1.5");
        assert_eq!(&src[c[1].span.clone()], "defaultbackend-amd64");
        assert_eq!(
            c[1].skip.as_ref().map(ToString::to_string).as_deref(),
            Some(NO_DIGEST_KEY)
        );
    }

    #[test]
    fn global_image_registry_overrides() {
        let src = "global:\n  imageRegistry: mirror.example\nimage:\n  registry: docker.io\n  repository: bitnami/nginx\n  tag: '1'\n  digest: ''\n";
        assert_eq!(only(src).value, "mirror.example/bitnami/nginx:1");
    }

    #[test]
    fn null_and_bare_digests() {
        let src = "image:\n  repository: redis\n  tag: 7\n  digest: ~\n";
        let c = only(src);
        assert_eq!((&src[c.span.clone()], c.value.as_str()), ("~", "redis:7"));
        assert_eq!(c.target, Target::Digest);

        let src = "image:\n  repository: redis\n  tag: 7\n  digest:\n  pullPolicy: Always\n";
        let c = only(src);
        let at = src.find("digest:").unwrap() + "digest:".len();
        assert_eq!(c.span, at..at);
        assert_eq!(
            c.target,
            Target::InsertDigest {
                prefix: " ".to_owned(),
                suffix: String::new()
            }
        );
        let out = pin(src, &c, &digest());
        assert_eq!(
            out,
            format!(
                "image:\n  repository: redis\n  tag: 7\n  digest: {}\n  pullPolicy: Always\n",
                digest()
            )
        );
        assert!(matches!(classify(&only(&out)), Status::Pinned(_)));

        // CRLF, a comment after the bare key.
        let src = "image:\r\n  repository: redis\r\n  tag: \"7\"\r\n  digest:   # fill me\r\n";
        let c = only(src);
        let out = pin(src, &c, "sha256:x");
        assert_eq!(
            out,
            "image:\r\n  repository: redis\r\n  tag: \"7\"\r\n  digest: sha256:x   # fill me\r\n"
        );
    }

    #[test]
    fn split_images_that_cannot_be_filled_are_skipped() {
        let src = r#"global:
  image:
    repository: quay.io/argoproj/argocd
    tag: ""
server:
  image:
    repository: "" # defaults to global.image.repository
    tag: ""
dex:
  image:
    repository: ghcr.io/dexidp/dex
    tag: v2.45.1
redis-ha:
  exporter:
    enabled: false
    image: ghcr.io/oliver006/redis_exporter
    tag: v1.75.0
  haproxy:
    image:
      repository: ecr-public.aws.com/docker/library/haproxy
kubeRBACProxy:
  image:
    registry: quay.io
    repository: brancz/kube-rbac-proxy
    tag: v0.22.1
    sha: ""
main:
  image:
    repository: prometheus/node-exporter
    tag: ""
    digest: ""
"#;
        let got: Vec<_> = all(src)
            .into_iter()
            .map(|c| {
                (
                    src[c.span.clone()].to_owned(),
                    c.value,
                    c.skip.map(|s| s.to_string()).expect("skipped"),
                )
            })
            .collect();
        let want = [
            ("quay.io/argoproj/argocd", "quay.io/argoproj/argocd", NO_TAG),
            (
                "",
                "",
                "empty repository; the chart composes the image from other values",
            ),
            ("ghcr.io/dexidp/dex", "ghcr.io/dexidp/dex:v2.45.1", NO_DIGEST_KEY),
            (
                "ghcr.io/oliver006/redis_exporter",
                "ghcr.io/oliver006/redis_exporter:v1.75.0",
                NO_DIGEST_KEY,
            ),
            (
                "ecr-public.aws.com/docker/library/haproxy",
                "ecr-public.aws.com/docker/library/haproxy",
                NO_TAG,
            ),
            (
                "brancz/kube-rbac-proxy",
                "quay.io/brancz/kube-rbac-proxy:v0.22.1",
                "Helm image mapping with a `sha` key but no `digest` key; the format of `sha` is the chart's own",
            ),
            ("prometheus/node-exporter", "prometheus/node-exporter", NO_TAG),
        ];
        assert_eq!(
            got,
            want.map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned()))
        );
    }

    #[test]
    fn scalar_images_and_what_is_not_an_image() {
        let src = "image: nginx:1.25\nsidecar:\n  image: 'busybox:1.36' # c\nistio:\n  image: auto\nimages:\n  repository: us-central1-docker.pkg.dev/x/microservices-demo\n  tag: \"\"\ncloneStaticSiteFromGit:\n  repository: \"\"\n  branch: \"\"\nglobal:\n  image:\n    registry: registry.k8s.io\ntemplated:\n  image: \"{{ .Values.x }}:1\"\n";
        let got: Vec<_> = all(src)
            .into_iter()
            .map(|c| (src[c.span.clone()].to_owned(), c.skip.is_some()))
            .collect();
        assert_eq!(
            got,
            [
                ("nginx:1.25".to_owned(), false),
                ("busybox:1.36".to_owned(), false),
                ("auto".to_owned(), true),
                ("{{ .Values.x }}:1".to_owned(), false),
            ]
        );
        let c = &all(src)[3];
        assert!(matches!(classify(c), Status::Skipped(_)));
    }

    #[test]
    fn anchored_image_mappings_are_reported_once() {
        let src = "a:\n  image: &img\n    repository: redis\n    tag: \"7\"\n    digest: \"\"\nb:\n  image: *img\nc:\n  image: &s nginx:1\nd:\n  image: *s\n";
        let c = all(src);
        assert_eq!(
            c.iter()
                .map(|c| (&src[c.span.clone()], c.value.as_str(), c.target.clone()))
                .collect::<Vec<_>>(),
            [
                ("", "redis:7", Target::Digest),
                ("nginx:1", "nginx:1", Target::Reference)
            ]
        );
    }

    #[test]
    fn image_mappings_and_scalars_under_keys_ending_in_image() {
        // bitnami/clickhouse-operator's shape, and other charts' spellings.
        let src = r#"global:
  imageRegistry: ""
clickHouseImage:
  registry: docker.io
  repository: bitnami/clickhouse
  tag: 25.7.5-debian-12-r0
  digest: ""
gitImage:
  repository: alpine/git
  tag: 2.45.2
  digest:
sysctl_IMAGE:
  registry: docker.io
  repository: bitnami/os-shell
  tag: 12-debian-12-r51
coreImage: "ghcr.io/acme/core:1.2.3"
inline_image: quay.io/acme/inline@sha256:0123456789012345678901234567890123456789012345678901234567890123
vmImage: ubuntu-latest
diskImage: /var/lib/disk.img
useImage: true
baseImage:
  repository: https://github.com/acme/base
otherImage:
  registry: docker.io
  pullPolicy: Always
images:
  repository: gcr.io/acme
  tag: v1
"#;
        let got: Vec<_> = all(src)
            .into_iter()
            .map(|c| {
                (
                    src[c.span.clone()].to_owned(),
                    c.value,
                    c.target,
                    c.skip.map(|s| s.to_string()).unwrap_or_default(),
                )
            })
            .collect();
        let insert = Target::InsertDigest {
            prefix: " ".to_owned(),
            suffix: String::new(),
        };
        assert_eq!(
            got,
            [
                (
                    String::new(),
                    "docker.io/bitnami/clickhouse:25.7.5-debian-12-r0".to_owned(),
                    Target::Digest,
                    String::new()
                ),
                (
                    String::new(),
                    "alpine/git:2.45.2".to_owned(),
                    insert,
                    String::new()
                ),
                (
                    "bitnami/os-shell".to_owned(),
                    "docker.io/bitnami/os-shell:12-debian-12-r51".to_owned(),
                    Target::Reference,
                    NO_DIGEST_KEY.to_owned()
                ),
                (
                    "ghcr.io/acme/core:1.2.3".to_owned(),
                    "ghcr.io/acme/core:1.2.3".to_owned(),
                    Target::Reference,
                    String::new()
                ),
                (
                    "quay.io/acme/inline@sha256:0123456789012345678901234567890123456789012345678901234567890123".to_owned(),
                    "quay.io/acme/inline@sha256:0123456789012345678901234567890123456789012345678901234567890123".to_owned(),
                    Target::Reference,
                    String::new()
                ),
            ]
        );
        let c = all(src);
        let out = pin(src, &c[0], &digest());
        assert!(out.contains(&format!(
            "  tag: 25.7.5-debian-12-r0\n  digest: \"{}\"\n",
            digest()
        )));
        let out = pin(src, &c[1], &digest());
        assert!(out.contains(&format!("  tag: 2.45.2\n  digest: {}\n", digest())));
        assert!(matches!(classify(&c[3]), Status::Unpinned(_)));
        assert!(matches!(classify(&c[4]), Status::Pinned(_)));
        // The prefilter lets a file whose only image key is camel-cased through.
        let src = "gitImage:\n  repository: alpine/git\n  tag: 2.45.2\n  digest: \"\"\n";
        assert!(crate::formats::Kind::HelmValues.may_hold(src));
        assert_eq!(only(src).value, "alpine/git:2.45.2");
    }

    #[test]
    fn templates_are_passed_over() {
        let src = "spec:\n  containers:\n  - image: {{ .Values.image }}\n";
        assert_eq!(
            find(src).unwrap().skipped.map(|s| s.to_string()).as_deref(),
            Some(crate::formats::yaml::HELM_TEMPLATE)
        );
    }
}
