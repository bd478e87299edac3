//! What identifies a file between reading it and replacing it.
//!
//! `pin` reads a file, then waits for registries, then replaces the file. In between, an editor may save
//! it, a checkout may replace it, or someone may swap it for a symbolic link to a file outside the tree.
//! [`FileIdentity`] records, from the one handle the file was read through, which file it was (device and
//! inode, the canonical path it resolved to, whether the path was itself a link), its size and mtime and a
//! SHA-256 of the bytes read. [`verify_unchanged`] checks all of that again and returns the bytes, so a
//! caller that dropped the text after scanning can re-read it safely, and the writer refuses a file that
//! changed instead of overwriting someone's edit or writing through a new link.

use std::fs::{File, Metadata};
use std::io::{self, Read as _};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use sha2::{Digest as _, Sha256};

use super::encoding::{self, Encoding};

/// A file as it was when read. Cheap to keep: no text, a path and a few numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileIdentity {
    /// The canonical path of the file read: a symbolic link's target, not the link.
    pub(crate) real: PathBuf,
    /// Whether the path given was itself a symbolic link (its target is what gets replaced).
    pub(crate) link: bool,
    pub(crate) dev: u64,
    pub(crate) ino: u64,
    pub(crate) size: u64,
    pub(crate) mtime: Option<SystemTime>,
    /// Permission bits, owner and group, and link count, for writing the replacement.
    pub(crate) mode: u32,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    pub(crate) nlink: u64,
    /// How the bytes hold the text that was searched (UTF-16 files are written back as UTF-16).
    pub(crate) encoding: Encoding,
    hash: [u8; 32],
}

/// Why a file is no longer the one that was read.
#[derive(Debug, thiserror::Error)]
pub enum Changed {
    #[error("{path}: cannot check whether it changed since it was read: {source}")]
    Unreadable { path: String, source: io::Error },
    #[error("{path} is now a symbolic link; it was a regular file when read")]
    BecameLink { path: String },
    #[error("{path} is no longer a symbolic link")]
    NoLongerLink { path: String },
    #[error("{path} now resolves to {now}, not to {was} as when read")]
    Moved {
        path: String,
        now: String,
        was: String,
    },
    #[error("{path} was replaced by another file since it was read")]
    Replaced { path: String },
    #[error("{path} was modified since it was read")]
    Modified { path: String },
    #[error("the permissions of {path} changed since it was read")]
    Permissions { path: String },
}

impl FileIdentity {
    /// Whether the file has other names (hard links) that a rename would leave holding the old text.
    pub fn hard_links(&self) -> u64 {
        self.nlink
    }

    /// Whether no write permission bit is set: a file someone marked read-only.
    pub fn read_only(&self) -> bool {
        self.mode & 0o222 == 0
    }

    /// The file that gets replaced when writing `path`: the target of a symbolic link.
    #[cfg(test)]
    pub fn real_path(&self) -> &Path {
        &self.real
    }
}

/// A file just read: everything of its [`FileIdentity`] but the hash, which [`Opened::identify`] adds
/// from the bytes only for files that may be written (hashing every file of a large tree costs time).
#[derive(Debug)]
pub struct Opened {
    id: FileIdentity,
    /// The hash is already in `id` ([`Opened::decoded`]).
    hashed: bool,
}

impl Opened {
    /// The identity of the file whose bytes (as [`read`] returned them) are `bytes`.
    pub fn identify(mut self, bytes: &[u8]) -> FileIdentity {
        if !self.hashed {
            self.id.hash = Sha256::digest(bytes).into();
        }
        self.id
    }

    /// The file's bytes `raw` hold its text in `encoding`: what is searched is the decoded text, so the
    /// hash of the bytes read is taken now, and [`Opened::identify`] keeps it.
    pub fn decoded(mut self, raw: &[u8], encoding: Encoding) -> Opened {
        if encoding != Encoding::Utf8 {
            self.id.hash = Sha256::digest(raw).into();
            self.id.encoding = encoding;
            self.hashed = true;
        }
        self
    }
}

/// The text of a file read again ([`verify_unchanged`]'s bytes, the very bytes searched), decoded as when it
/// was read.
pub fn text_of(path: &Path, was: &FileIdentity, bytes: Vec<u8>) -> Result<String, Changed> {
    match encoding::decode(bytes) {
        Ok((text, encoding)) if encoding == was.encoding => Ok(text),
        // The hash matched, so this cannot happen short of a hash collision.
        _ => Err(Changed::Modified {
            path: path.display().to_string(),
        }),
    }
}

/// Reads `path` once, through one handle, and records what identifies it.
pub fn read(path: &Path) -> io::Result<(Vec<u8>, Opened)> {
    let link = std::fs::symlink_metadata(path)?.file_type().is_symlink();
    let real = std::fs::canonicalize(path)?;
    let mut file = File::open(&real)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::other("not a regular file"));
    }
    // The canonical path must still name the file just opened (not a link swapped in since).
    let named = std::fs::symlink_metadata(&real)?;
    if named.file_type().is_symlink() || file_id(&named) != file_id(&meta) {
        return Err(io::Error::other("changed while being opened"));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.read_to_end(&mut bytes)?;
    let (dev, ino) = file_id(&meta);
    let (mode, uid, gid, nlink) = owner_and_mode(&meta);
    let id = FileIdentity {
        real,
        link,
        dev,
        ino,
        size: meta.len(),
        mtime: meta.modified().ok(),
        mode,
        uid,
        gid,
        nlink,
        encoding: Encoding::Utf8,
        hash: [0; 32],
    };
    Ok((bytes, Opened { id, hashed: false }))
}

/// [`read`] and [`Opened::identify`] in one.
#[cfg(test)]
pub fn read_identified(path: &Path) -> io::Result<(Vec<u8>, FileIdentity)> {
    let (bytes, opened) = read(path)?;
    let identity = opened.identify(&bytes);
    Ok((bytes, identity))
}

/// Checks that `path` still names the file `was` describes, unchanged, and returns its bytes. A symbolic
/// link that was not there when the file was read, or a link that now points elsewhere, is refused.
pub fn verify_unchanged(path: &Path, was: &FileIdentity) -> Result<Vec<u8>, Changed> {
    let shown = || path.display().to_string();
    let unreadable = |source| Changed::Unreadable {
        path: shown(),
        source,
    };
    let link = std::fs::symlink_metadata(path)
        .map_err(unreadable)?
        .file_type()
        .is_symlink();
    match (was.link, link) {
        (false, true) => return Err(Changed::BecameLink { path: shown() }),
        (true, false) => return Err(Changed::NoLongerLink { path: shown() }),
        _ => {}
    }
    let real = std::fs::canonicalize(path).map_err(unreadable)?;
    if real != was.real {
        return Err(Changed::Moved {
            path: shown(),
            now: real.display().to_string(),
            was: was.real.display().to_string(),
        });
    }
    let mut file = File::open(&real).map_err(unreadable)?;
    let meta = file.metadata().map_err(unreadable)?;
    let named = std::fs::symlink_metadata(&real).map_err(unreadable)?;
    if file_id(&meta) != (was.dev, was.ino)
        || named.file_type().is_symlink()
        || file_id(&named) != (was.dev, was.ino)
    {
        return Err(Changed::Replaced { path: shown() });
    }
    if meta.len() != was.size || meta.modified().ok() != was.mtime {
        return Err(Changed::Modified { path: shown() });
    }
    // A chmod (say, to read-only) since reading is a decision about the file the replacement must not undo.
    if owner_and_mode(&meta).0 != was.mode {
        return Err(Changed::Permissions { path: shown() });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(was.size).unwrap_or(0));
    file.read_to_end(&mut bytes).map_err(unreadable)?;
    if <[u8; 32]>::from(Sha256::digest(&bytes)) != was.hash {
        return Err(Changed::Modified { path: shown() });
    }
    Ok(bytes)
}

#[cfg(unix)]
fn file_id(meta: &Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn file_id(_meta: &Metadata) -> (u64, u64) {
    (0, 0)
}

#[cfg(unix)]
fn owner_and_mode(meta: &Metadata) -> (u32, u32, u32, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.mode() & 0o7777, meta.uid(), meta.gid(), meta.nlink())
}

#[cfg(not(unix))]
fn owner_and_mode(meta: &Metadata) -> (u32, u32, u32, u64) {
    let mode = if meta.permissions().readonly() {
        0o444
    } else {
        0o644
    };
    (mode, 0, 0, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_untouched_file_verifies_and_gives_its_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.yaml");
        std::fs::write(&p, "image: x:1\n").unwrap();
        let (bytes, id) = read_identified(&p).unwrap();
        assert_eq!(bytes, b"image: x:1\n");
        assert_eq!(verify_unchanged(&p, &id).unwrap(), bytes);
    }

    #[test]
    fn an_edit_of_the_same_size_is_seen() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.yaml");
        std::fs::write(&p, "image: x:1\n").unwrap();
        let (_, id) = read_identified(&p).unwrap();
        // Same size, and an mtime that may well be the same tick: only the hash tells.
        std::fs::write(&p, "image: y:1\n").unwrap();
        assert!(matches!(
            verify_unchanged(&p, &id),
            Err(Changed::Modified { .. })
        ));
    }

    #[test]
    fn a_replaced_file_is_seen() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.yaml");
        std::fs::write(&p, "image: x:1\n").unwrap();
        let (_, id) = read_identified(&p).unwrap();
        let other = dir.path().join("b.yaml");
        std::fs::write(&other, "image: x:1\n").unwrap();
        std::fs::rename(&other, &p).unwrap();
        assert!(matches!(
            verify_unchanged(&p, &id),
            Err(Changed::Replaced { .. })
        ));
        std::fs::remove_file(&p).unwrap();
        assert!(matches!(
            verify_unchanged(&p, &id),
            Err(Changed::Unreadable { .. })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn links_must_be_as_they_were() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let (real, other, link) = (d.join("real.yaml"), d.join("other"), d.join("link.yaml"));
        std::fs::write(&real, "x").unwrap();
        std::fs::write(&other, "x").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();

        // A link given at read time: its target is the file, and it must keep pointing there.
        let (_, id) = read_identified(&link).unwrap();
        assert_eq!(id.real_path(), std::fs::canonicalize(&real).unwrap());
        verify_unchanged(&link, &id).unwrap();
        std::fs::remove_file(&link).unwrap();
        std::os::unix::fs::symlink(&other, &link).unwrap();
        assert!(matches!(
            verify_unchanged(&link, &id),
            Err(Changed::Moved { .. })
        ));

        // A regular file that became a link, even to identical bytes.
        let (_, id) = read_identified(&real).unwrap();
        std::fs::remove_file(&real).unwrap();
        std::os::unix::fs::symlink(&other, &real).unwrap();
        assert!(matches!(
            verify_unchanged(&real, &id),
            Err(Changed::BecameLink { .. })
        ));
    }
}
