//! Manifests as registries send them: typed, and checked against the media type they claim before their
//! bytes are hashed into a pin.
//!
//! A digest taken from `Docker-Content-Digest` is the registry's word; a digest computed from a GET body is
//! only as good as the body. A truncated answer, an HTML error page with status 200, or a JSON document that
//! is no manifest would otherwise be hashed and written. [`parse`] accepts exactly the four manifest types
//! `pin` asks for (schema version 2, a consistent `mediaType`, `config` and `layers` for an image, `manifests`
//! for an index), with well-formed descriptor digests.

use serde::Deserialize;

use crate::reference::is_valid_digest;

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// Every manifest type a tag may point at, as the `Accept` header of manifest requests. Without the list
/// types, a registry answers a multi-arch tag with one platform's digest (distribution 2.8 does: see
/// docs/registries.md).
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// The four types, for lookups.
const KNOWN: [&str; 4] = [OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST];

/// A media type without parameters (`; charset=utf-8`), trimmed.
pub fn base_type(media_type: &str) -> &str {
    media_type.split(';').next().unwrap_or_default().trim()
}

/// Whether `media_type` is a Docker schema 1 manifest (signed or not), which `pin` refuses: its digest covers a
/// signature that registries rewrite, and runtimes do not pull it by that digest.
pub fn is_schema1(media_type: &str) -> bool {
    matches!(
        base_type(media_type),
        "application/vnd.docker.distribution.manifest.v1+prettyjws"
            | "application/vnd.docker.distribution.manifest.v1+json"
    )
}

/// Whether `media_type` is a multi-platform manifest (an OCI index or a Docker manifest list).
pub fn is_index(media_type: &str) -> bool {
    matches!(base_type(media_type), OCI_INDEX | DOCKER_LIST)
}

/// A content descriptor: what an index entry, a config or a layer points at.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    #[serde(default)]
    pub platform: Option<PlatformSpec>,
    /// Annotations (`vnd.docker.reference.type: attestation-manifest` marks an attestation).
    #[serde(default)]
    pub annotations: std::collections::BTreeMap<String, String>,
}

/// The `platform` object of an index entry (`os.features` is not used).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct PlatformSpec {
    pub os: String,
    pub architecture: String,
    #[serde(default)]
    pub variant: Option<String>,
    #[serde(default, rename = "os.version")]
    pub os_version: Option<String>,
}

/// The fields of an image config blob that say which platform the image is for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct ImageConfig {
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub variant: Option<String>,
    #[serde(default, rename = "os.version")]
    pub os_version: Option<String>,
}

/// A checked manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Document {
    /// An OCI image manifest or a Docker v2 manifest.
    Image {
        media_type: &'static str,
        config: Descriptor,
        layers: Vec<Descriptor>,
    },
    /// An OCI index or a Docker manifest list.
    Index {
        media_type: &'static str,
        manifests: Vec<Descriptor>,
    },
}

impl Document {
    pub fn media_type(&self) -> &'static str {
        match self {
            Document::Image { media_type, .. } | Document::Index { media_type, .. } => media_type,
        }
    }

    /// The entries of an index; none for an image.
    pub fn manifests(&self) -> &[Descriptor] {
        match self {
            Document::Index { manifests, .. } => manifests,
            Document::Image { .. } => &[],
        }
    }
}

/// Every field any of the four types may have; which must be present depends on the type.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    schema_version: Option<i64>,
    media_type: Option<String>,
    config: Option<Descriptor>,
    layers: Option<Vec<Descriptor>>,
    manifests: Option<Vec<Descriptor>>,
}

/// Parses `body` as a manifest of the type `content_type` claims (the response's `Content-Type`). The body's
/// own `mediaType`, when present, must agree with a manifest `Content-Type`; a generic one
/// (`application/json`, or none) leaves the body's word, or failing that its shape, to decide. The error says
/// what is wrong in words; callers add which registry and reference.
pub fn parse(body: &[u8], content_type: Option<&str>) -> Result<Document, String> {
    let wire: Wire = serde_json::from_slice(body).map_err(|e| {
        if e.is_eof() {
            format!("a manifest cut short ({} bytes: {e})", body.len())
        } else {
            format!("a body that is not a manifest ({e})")
        }
    })?;
    match wire.schema_version {
        Some(2) => {}
        Some(1) => {
            return Err(
                "a Docker schema 1 manifest, whose digest is not what runtimes pin (push the image again \
                 with a current Docker, buildah or skopeo)"
                    .to_string(),
            )
        }
        Some(n) => return Err(format!("a manifest of unknown schemaVersion {n}")),
        None => return Err("a manifest without schemaVersion".to_string()),
    }
    let claimed = content_type
        .map(base_type)
        .and_then(|t| KNOWN.into_iter().find(|k| *k == t));
    let own = match wire.media_type.as_deref() {
        None => None,
        Some(t) => Some(KNOWN.into_iter().find(|k| *k == t).ok_or_else(|| {
            format!(
                "a manifest of unsupported mediaType \"{}\"",
                super::escape(t)
            )
        })?),
    };
    let media_type = match (claimed, own) {
        (Some(c), Some(o)) if c != o => {
            return Err(format!(
                "a manifest whose mediaType {o} contradicts its Content-Type {c}"
            ))
        }
        (_, Some(t)) | (Some(t), None) => t,
        // Neither says: the shape decides, as the OCI spec allows for a manifest without `mediaType`.
        (None, None) if wire.manifests.is_some() => OCI_INDEX,
        (None, None) => OCI_MANIFEST,
    };
    let document = if is_index(media_type) {
        if wire.config.is_some() || wire.layers.is_some() {
            return Err(format!(
                "a manifest of type {media_type} with config or layers"
            ));
        }
        let manifests = wire
            .manifests
            .ok_or_else(|| format!("a manifest of type {media_type} without manifests"))?;
        Document::Index {
            media_type,
            manifests,
        }
    } else {
        if wire.manifests.is_some() {
            return Err(format!(
                "a manifest of type {media_type} with a manifests list"
            ));
        }
        let (Some(config), Some(layers)) = (wire.config, wire.layers) else {
            return Err(format!(
                "a manifest of type {media_type} without config and layers"
            ));
        };
        Document::Image {
            media_type,
            config,
            layers,
        }
    };
    let descriptors: Vec<&Descriptor> = match &document {
        Document::Image { config, layers, .. } => std::iter::once(config).chain(layers).collect(),
        Document::Index { manifests, .. } => manifests.iter().collect(),
    };
    if let Some(bad) = descriptors.iter().find(|d| !is_valid_digest(&d.digest)) {
        return Err(format!(
            "a manifest holding the malformed digest \"{}\"",
            super::escape(&bad.digest.chars().take(100).collect::<String>())
        ));
    }
    Ok(document)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(c: char) -> String {
        format!("sha256:{}", c.to_string().repeat(64))
    }

    fn image(media_type: Option<&str>) -> String {
        let mt = media_type.map_or(String::new(), |t| format!(r#""mediaType":"{t}","#));
        format!(
            r#"{{"schemaVersion":2,{mt}"config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":2}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{}","size":10}}]}}"#,
            digest('a'),
            digest('b')
        )
    }

    fn index(media_type: &str) -> String {
        format!(
            r#"{{"schemaVersion":2,"mediaType":"{media_type}","manifests":[{{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":500,"platform":{{"os":"linux","architecture":"arm","variant":"v7"}}}}]}}"#,
            digest('c')
        )
    }

    #[test]
    fn accepts_the_four_types() {
        let doc = parse(image(Some(OCI_MANIFEST)).as_bytes(), Some(OCI_MANIFEST)).unwrap();
        assert_eq!(doc.media_type(), OCI_MANIFEST);
        assert!(doc.manifests().is_empty());
        let doc = parse(
            image(Some(DOCKER_MANIFEST)).as_bytes(),
            Some("application/vnd.docker.distribution.manifest.v2+json; charset=utf-8"),
        )
        .unwrap();
        assert_eq!(doc.media_type(), DOCKER_MANIFEST);
        for t in [OCI_INDEX, DOCKER_LIST] {
            let doc = parse(index(t).as_bytes(), Some(t)).unwrap();
            assert_eq!(doc.media_type(), t);
            let entry = &doc.manifests()[0];
            assert_eq!(entry.digest, digest('c'));
            assert_eq!(
                entry.platform.as_ref().unwrap().variant.as_deref(),
                Some("v7")
            );
        }
    }

    #[test]
    fn a_manifest_without_media_type_takes_the_header_or_its_shape() {
        let body = image(None);
        assert_eq!(
            parse(body.as_bytes(), Some(DOCKER_MANIFEST))
                .unwrap()
                .media_type(),
            DOCKER_MANIFEST
        );
        assert_eq!(
            parse(body.as_bytes(), Some("application/json"))
                .unwrap()
                .media_type(),
            OCI_MANIFEST
        );
        assert_eq!(
            parse(index(OCI_INDEX).as_bytes(), None)
                .unwrap()
                .media_type(),
            OCI_INDEX
        );
    }

    #[test]
    fn refuses_what_is_not_a_manifest() {
        let full = image(Some(OCI_MANIFEST));
        let cases: Vec<(Vec<u8>, Option<&str>, &str)> =
            vec![
            (full.as_bytes()[..10].to_vec(), Some(OCI_MANIFEST), "cut short"),
            (
                full.as_bytes()[..full.len() - 1].to_vec(),
                Some(OCI_MANIFEST),
                "cut short",
            ),
            (b"<html>oops</html>".to_vec(), Some("text/html"), "not a manifest"),
            (b"{}".to_vec(), Some(OCI_MANIFEST), "without schemaVersion"),
            (
                full.replace("\"schemaVersion\":2", "\"schemaVersion\":1")
                    .into_bytes(),
                Some(OCI_MANIFEST),
                "schema 1",
            ),
            (
                full.clone().into_bytes(),
                Some(OCI_INDEX),
                "contradicts its Content-Type",
            ),
            (
                index(OCI_INDEX).into_bytes(),
                Some(OCI_MANIFEST),
                "contradicts",
            ),
            (
                br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#
                    .to_vec(),
                Some(OCI_MANIFEST),
                "without config and layers",
            ),
            (
                br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json"}"#
                    .to_vec(),
                Some(OCI_INDEX),
                "without manifests",
            ),
            (
                full.replace(&digest('a'), "sha256:abc").into_bytes(),
                Some(OCI_MANIFEST),
                "malformed digest",
            ),
            (
                full.replace(OCI_MANIFEST, "application/x-\\u001b]0;pwned\\u0007")
                    .into_bytes(),
                None,
                "unsupported mediaType \"application/x-\\x1b]0;pwned\\x07\"",
            ),
        ];
        for (body, content_type, expected) in cases {
            let err = parse(&body, content_type).unwrap_err();
            assert!(
                err.contains(expected),
                "{:?}: {err}",
                String::from_utf8_lossy(&body)
            );
        }
    }
}
