//! Deterministic image content: every byte is derived from a seed string, so the same seed always gives the
//! same digests and different seeds give different ones. Nothing here does I/O.
//!
//! Layers are real `tar.gz` files (one small text file, gzip with "stored" deflate blocks so no compression
//! crate is needed) and configs carry the right `diff_ids`, so the fixtures are genuine images that other
//! tools (skopeo, crane) could pull, not just blobs that satisfy the registry's existence checks.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

/// The four manifest types, comma-joined, as a resolving client should send them. Distribution 2.8 answers
/// a manifest list with its linux/amd64 child when the list types are missing, and 404/400 for the rest.
pub const ACCEPT_ALL: &str = "application/vnd.oci.image.index.v1+json,\
application/vnd.oci.image.manifest.v1+json,\
application/vnd.docker.distribution.manifest.list.v2+json,\
application/vnd.docker.distribution.manifest.v2+json";

/// The usual two-platform index.
pub const TWO_PLATFORMS: &[&str] = &["linux/amd64", "linux/arm64"];
/// Two platforms plus one that needs the `variant` field.
pub const WITH_ARM_V7: &[&str] = &["linux/amd64", "linux/arm64", "linux/arm/v7"];

/// OCI or Docker media types; the JSON shapes are otherwise the same.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Flavor {
    Oci,
    Docker,
}

impl Flavor {
    pub(super) fn manifest_type(self) -> &'static str {
        match self {
            Flavor::Oci => OCI_MANIFEST,
            Flavor::Docker => DOCKER_MANIFEST,
        }
    }

    pub(super) fn index_type(self) -> &'static str {
        match self {
            Flavor::Oci => OCI_INDEX,
            Flavor::Docker => DOCKER_MANIFEST_LIST,
        }
    }

    fn config_type(self) -> &'static str {
        match self {
            Flavor::Oci => "application/vnd.oci.image.config.v1+json",
            Flavor::Docker => "application/vnd.docker.container.image.v1+json",
        }
    }

    fn layer_type(self) -> &'static str {
        match self {
            Flavor::Oci => "application/vnd.oci.image.layer.v1.tar+gzip",
            Flavor::Docker => "application/vnd.docker.image.rootfs.diff.tar.gzip",
        }
    }
}

pub(super) struct Blob {
    pub digest: String,
    pub bytes: Vec<u8>,
}

/// Manifest bytes exactly as they will be pushed, with the digest of those bytes.
pub(super) struct Manifest {
    pub media_type: &'static str,
    pub bytes: Vec<u8>,
    pub digest: String,
}

pub(super) struct Image {
    pub manifest: Manifest,
    /// Config first, then the layer.
    pub blobs: Vec<Blob>,
}

pub(super) struct Index {
    pub manifest: Manifest,
    /// In the order of the index's `manifests` array, with the platform as given ("linux/arm/v7").
    pub children: Vec<(String, Image)>,
}

/// `sha256:` + lowercase hex of the SHA-256 of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// A single-platform image. `annotations` (OCI only) makes manifests differ while sharing the same blobs.
pub(super) fn image(
    flavor: Flavor,
    seed: &str,
    platform: &str,
    annotations: Option<&[(&str, &str)]>,
) -> Image {
    image_labelled(flavor, seed, platform, annotations, &[])
}

/// As [`image`], with `labels` in the config's `config.Labels` (none: `config` stays `{}`, as in [`image`]).
pub(super) fn image_labelled(
    flavor: Flavor,
    seed: &str,
    platform: &str,
    annotations: Option<&[(&str, &str)]>,
    labels: &[(&str, &str)],
) -> Image {
    let (os, architecture, variant) = split_platform(platform);
    let tar = tar_one_file("seed.txt", format!("{seed}\n").as_bytes());
    let layer = gzip_stored(&tar);
    let mut config = json!({
        "architecture": architecture,
        "os": os,
        // A fixed date: a real clock would make digests change from run to run.
        "created": "2020-01-01T00:00:00Z",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": [sha256_digest(&tar)]},
    });
    if let Some(variant) = variant {
        config["variant"] = json!(variant);
    }
    if !labels.is_empty() {
        let map: serde_json::Map<String, Value> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        config["config"] = json!({ "Labels": map });
    }
    let config = to_bytes(&config);
    let blobs = vec![blob(config), blob(layer)];
    let mut manifest = json!({
        "schemaVersion": 2,
        "mediaType": flavor.manifest_type(),
        "config": descriptor(flavor.config_type(), &blobs[0]),
        "layers": [descriptor(flavor.layer_type(), &blobs[1])],
    });
    if let Some(annotations) = annotations {
        assert_eq!(
            flavor,
            Flavor::Oci,
            "Docker v2 manifests have no annotations"
        );
        let map: serde_json::Map<String, Value> = annotations
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        manifest["annotations"] = Value::Object(map);
    }
    Image {
        manifest: manifest_of(flavor.manifest_type(), &manifest),
        blobs,
    }
}

/// A multi-platform index (OCI) or manifest list (Docker) over one child image per platform. The children's
/// content includes the platform, so each has its own digest.
pub(super) fn index(flavor: Flavor, seed: &str, platforms: &[&str]) -> Index {
    assert!(
        !platforms.is_empty(),
        "an index needs at least one platform"
    );
    let children: Vec<(String, Image)> = platforms
        .iter()
        .map(|p| {
            (
                p.to_string(),
                image(flavor, &format!("{seed} {p}"), p, None),
            )
        })
        .collect();
    let entries: Vec<Value> = children
        .iter()
        .map(|(platform, child)| {
            let (os, architecture, variant) = split_platform(platform);
            let mut platform = json!({"architecture": architecture, "os": os});
            if let Some(variant) = variant {
                platform["variant"] = json!(variant);
            }
            json!({
                "mediaType": child.manifest.media_type,
                "digest": child.manifest.digest,
                "size": child.manifest.bytes.len(),
                "platform": platform,
            })
        })
        .collect();
    let index = json!({
        "schemaVersion": 2,
        "mediaType": flavor.index_type(),
        "manifests": entries,
    });
    Index {
        manifest: manifest_of(flavor.index_type(), &index),
        children,
    }
}

/// One entry of a hand-made index: its platform ("linux/amd64", "unknown/unknown"), an `os.version`, and
/// annotations (`vnd.docker.reference.type: attestation-manifest` makes it an attestation).
pub struct Entry<'a> {
    pub platform: &'a str,
    pub os_version: Option<&'a str>,
    pub annotations: &'a [(&'a str, &'a str)],
}

/// An OCI index over one child image per entry, in order, each entry as given.
pub(super) fn index_of_entries(seed: &str, entries: &[Entry]) -> Index {
    let children: Vec<(String, Image)> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let image = image(
                Flavor::Oci,
                &format!("{seed} {i} {}", e.platform),
                e.platform,
                None,
            );
            (e.platform.to_string(), image)
        })
        .collect();
    let manifests: Vec<Value> = children
        .iter()
        .zip(entries)
        .map(|((platform, child), e)| {
            let (os, architecture, variant) = split_platform(platform);
            let mut platform = json!({"architecture": architecture, "os": os});
            if let Some(variant) = variant {
                platform["variant"] = json!(variant);
            }
            if let Some(v) = e.os_version {
                platform["os.version"] = json!(v);
            }
            let mut entry = json!({
                "mediaType": child.manifest.media_type,
                "digest": child.manifest.digest,
                "size": child.manifest.bytes.len(),
                "platform": platform,
            });
            if !e.annotations.is_empty() {
                let map: serde_json::Map<String, Value> = e
                    .annotations
                    .iter()
                    .map(|(k, v)| (k.to_string(), json!(v)))
                    .collect();
                entry["annotations"] = Value::Object(map);
            }
            entry
        })
        .collect();
    let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests});
    Index {
        manifest: manifest_of(OCI_INDEX, &index),
        children,
    }
}

/// An OCI index over children already made (platform, media type, digest, size), in order, followed by an
/// attestation manifest for the first when `attestation` gives its seed: an image of platform
/// `unknown/unknown` annotated as BuildKit annotates provenance (`vnd.docker.reference.type:
/// attestation-manifest`, `vnd.docker.reference.digest` naming the child). Returns the index and the
/// attestation image to push with it.
pub(super) fn index_over(
    children: &[(&str, &str, &str, usize)],
    attestation: Option<&str>,
) -> (Manifest, Option<Image>) {
    let mut manifests: Vec<Value> = children
        .iter()
        .map(|(platform, media_type, digest, size)| {
            let (os, architecture, variant) = split_platform(platform);
            let mut platform = json!({"architecture": architecture, "os": os});
            if let Some(variant) = variant {
                platform["variant"] = json!(variant);
            }
            json!({"mediaType": media_type, "digest": digest, "size": size, "platform": platform})
        })
        .collect();
    let attestation = attestation.map(|seed| image(Flavor::Oci, seed, "unknown/unknown", None));
    if let (Some(a), Some((_, _, subject, _))) = (&attestation, children.first()) {
        manifests.push(json!({
            "mediaType": a.manifest.media_type,
            "digest": a.manifest.digest,
            "size": a.manifest.bytes.len(),
            "platform": {"architecture": "unknown", "os": "unknown"},
            "annotations": {
                "vnd.docker.reference.digest": subject,
                "vnd.docker.reference.type": "attestation-manifest",
            },
        }));
    }
    let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests});
    (manifest_of(OCI_INDEX, &index), attestation)
}

/// "linux/arm/v7" -> ("linux", "arm", Some("v7")).
fn split_platform(platform: &str) -> (&str, &str, Option<&str>) {
    let parts: Vec<&str> = platform.split('/').collect();
    match parts[..] {
        [os, arch] => (os, arch, None),
        [os, arch, variant] => (os, arch, Some(variant)),
        _ => panic!("platform must be os/arch or os/arch/variant, got {platform:?}"),
    }
}

/// serde_json's map is ordered by key (no `preserve_order` feature in this crate), so the bytes are stable.
fn to_bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).expect("JSON values always serialize")
}

fn manifest_of(media_type: &'static str, value: &Value) -> Manifest {
    let bytes = to_bytes(value);
    Manifest {
        media_type,
        digest: sha256_digest(&bytes),
        bytes,
    }
}

fn blob(bytes: Vec<u8>) -> Blob {
    Blob {
        digest: sha256_digest(&bytes),
        bytes,
    }
}

fn descriptor(media_type: &str, blob: &Blob) -> Value {
    json!({"mediaType": media_type, "digest": blob.digest, "size": blob.bytes.len()})
}

/// A ustar archive with one regular file, mtime 0, owned by root.
fn tar_one_file(name: &str, content: &[u8]) -> Vec<u8> {
    fn put(header: &mut [u8], offset: usize, field: &[u8]) {
        header[offset..offset + field.len()].copy_from_slice(field);
    }
    assert!(name.len() < 100);
    let mut header = [0u8; 512];
    put(&mut header, 0, name.as_bytes());
    put(&mut header, 100, b"0000644\0");
    put(&mut header, 108, b"0000000\0");
    put(&mut header, 116, b"0000000\0");
    put(
        &mut header,
        124,
        format!("{:011o}\0", content.len()).as_bytes(),
    );
    put(&mut header, 136, b"00000000000\0");
    put(&mut header, 156, b"0");
    put(&mut header, 257, b"ustar\0");
    put(&mut header, 263, b"00");
    // The checksum is computed with its own field read as spaces.
    put(&mut header, 148, b"        ");
    let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
    put(&mut header, 148, format!("{sum:06o}\0 ").as_bytes());

    let mut tar = header.to_vec();
    tar.extend_from_slice(content);
    tar.resize(tar.len().next_multiple_of(512), 0);
    // Two zero records end the archive.
    tar.resize(tar.len() + 1024, 0);
    tar
}

/// A gzip member whose deflate stream is made of stored (uncompressed) blocks: valid gzip without a
/// compressor, and byte-for-byte deterministic (mtime 0, OS "unknown").
fn gzip_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let chunks: Vec<&[u8]> = if data.is_empty() {
        vec![&[]]
    } else {
        data.chunks(0xffff).collect()
    };
    for (i, chunk) in chunks.iter().enumerate() {
        let last = u8::from(i + 1 == chunks.len());
        let len = chunk.len() as u16;
        out.push(last); // BFINAL bit, BTYPE 00 = stored
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

/// CRC-32/ISO-HDLC (the gzip one), bitwise: the inputs are a few KiB.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xedb8_8320 & mask);
        }
    }
    !crc
}
