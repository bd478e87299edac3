//! The files `pin` owns — the lockfile and the tag → digest cache — read and written without following a
//! symbolic link.
//!
//! A repository someone else controls can hold links where `pin` keeps its files (`pin.lock` pointing at
//! `~/.bashrc`, a cache directory pointing out of the tree, a dangling link whose target would be
//! created). So an owned file is named by a [`Place`]: a directory to start from (`root`, reached as the
//! user named it) and a relative path below it (`below`), which is walked one component at a time, each
//! directory opened with `O_NOFOLLOW` and the next one opened relative to it. A link anywhere in `below`,
//! the file itself included and a dangling link too, is refused with an error naming it. The new text is
//! staged in a temporary file created in that opened directory with `O_CREAT | O_EXCL | O_NOFOLLOW`, and
//! renamed over the file within the same directory, so a link that appears between the check and the
//! rename is replaced itself, never followed.
//!
//! Which part of a path is `below`: see [`Place::file_given`] and [`Place::dir_given`] for paths from the
//! command line; the configuration file's `cache-dir` is walked from the file's own directory (or from the
//! user's cache directory), see `config`.

use std::ffi::OsStr;
use std::path::{Component, Path, PathBuf};

/// Where an owned file (or directory) is: `below`, walked from `root` without following links.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    root: PathBuf,
    below: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum OwnedError {
    #[error(
        "{path} is a symbolic link; pin never follows a link where it keeps its own files (remove the link, \
         or give a path without one)"
    )]
    Link { path: String },
    #[error("{path} is not a regular file")]
    NotAFile { path: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

impl Place {
    /// `below` (relative) walked from `root`.
    pub fn new(root: &Path, below: &Path) -> Place {
        debug_assert!(below.is_relative(), "{}", below.display());
        Place {
            root: root.to_path_buf(),
            below: below.to_path_buf(),
        }
    }

    /// A file named on the command line (`--lock FILE`). A relative path lies in the tree `pin` runs in,
    /// which a repository may control: every component is walked from the current directory. So is an
    /// absolute path below the current directory. Elsewhere the directories are the user's, reached as
    /// given, and only the file itself is never a link.
    pub fn file_given(path: &Path) -> Place {
        if let Some(place) = Place::below_cwd(path) {
            return place;
        }
        match (path.parent(), path.file_name()) {
            (Some(dir), Some(name)) => Place::new(dir, Path::new(name)),
            _ => Place::new(Path::new("."), path),
        }
    }

    /// A directory named on the command line (`--cache-dir DIR`): as [`Place::file_given`], except that a
    /// directory outside the current directory is reached as given, itself included.
    pub fn dir_given(path: &Path) -> Place {
        Place::below_cwd(path).unwrap_or_else(|| Place::new(path, Path::new("")))
    }

    fn below_cwd(path: &Path) -> Option<Place> {
        if path.is_relative() {
            return Some(Place::new(Path::new("."), path));
        }
        let cwd = std::env::current_dir().ok()?;
        let rest = path.strip_prefix(&cwd).ok()?;
        Some(Place::new(&cwd, rest))
    }

    /// The place of `name` inside this one.
    pub fn join(&self, name: impl AsRef<Path>) -> Place {
        Place::new(&self.root, &self.below.join(name))
    }

    /// The path as messages print it.
    pub fn shown(&self) -> String {
        self.shown_upto(self.components().len())
    }

    /// The path of the first `n` components of `below`, as messages print it.
    fn shown_upto(&self, n: usize) -> String {
        let mut path = if self.root == Path::new(".") || self.root.as_os_str().is_empty() {
            PathBuf::new()
        } else {
            self.root.clone()
        };
        for c in self.components().iter().take(n) {
            path.push(c);
        }
        if path.as_os_str().is_empty() {
            return ".".to_string();
        }
        path.display().to_string()
    }

    /// The components of `below` (`.` dropped; `..` kept: it is never a link).
    fn components(&self) -> Vec<&OsStr> {
        self.below
            .components()
            .filter_map(|c| match c {
                Component::Normal(n) => Some(n),
                Component::ParentDir => Some(OsStr::new("..")),
                _ => None,
            })
            .collect()
    }

    fn io(&self, n: usize) -> impl Fn(std::io::Error) -> OwnedError + '_ {
        move |source| OwnedError::Io {
            path: self.shown_upto(n),
            source,
        }
    }
}

/// The bytes of the owned file at `place`, or `None` when it (or a directory on the way) does not exist.
pub fn read(place: &Place) -> Result<Option<Vec<u8>>, OwnedError> {
    imp::read(place)
}

/// Replaces (or creates) the owned file at `place` with `contents`, atomically: a temporary file in the
/// same directory, fsynced, renamed over it. An existing file keeps its permissions (and owner and group
/// where allowed); a new one gets the umask's. With `create_dirs`, missing directories are made (never
/// through a link).
pub fn write(place: &Place, contents: &[u8], create_dirs: bool) -> Result<(), OwnedError> {
    imp::write(place, contents, create_dirs)
}

fn file_name<'a>(place: &Place, parts: &[&'a OsStr]) -> Result<&'a OsStr, OwnedError> {
    match parts.last() {
        Some(name) if *name != ".." => Ok(name),
        _ => Err(OwnedError::NotAFile {
            path: place.shown(),
        }),
    }
}

#[cfg(unix)]
mod imp {
    use std::ffi::OsStr;
    use std::io::{Read as _, Write as _};
    use std::os::fd::OwnedFd;
    use std::os::unix::fs::MetadataExt as _;
    use std::path::Path;

    use rustix::fs::{AtFlags, FileType, Mode, OFlags};
    use rustix::io::Errno;

    use super::{file_name, OwnedError, Place};
    use crate::rewrite::{keep_owner, set_mode, temp_name};

    const DIR: OFlags = OFlags::RDONLY
        .union(OFlags::DIRECTORY)
        .union(OFlags::NOFOLLOW)
        .union(OFlags::CLOEXEC);

    /// Whether `name` in `dir` is a symbolic link (not following it).
    fn is_link(dir: &OwnedFd, name: &OsStr) -> bool {
        #[allow(clippy::unnecessary_cast)]
        rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)
            .is_ok_and(|st| FileType::from_raw_mode(st.st_mode as _) == FileType::Symlink)
    }

    /// Opens the directory holding the first `n` components of `place.below` (its root for 0): `None`
    /// when one is missing and `create` is false.
    fn open_dir(place: &Place, n: usize, create: bool) -> Result<Option<OwnedFd>, OwnedError> {
        let parts = place.components();
        let root = if place.root.as_os_str().is_empty() {
            Path::new(".")
        } else {
            &place.root
        };
        let open_root = || {
            rustix::fs::open(
                root,
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )
        };
        let mut fd = match open_root() {
            Ok(fd) => fd,
            Err(Errno::NOENT) if create => {
                std::fs::create_dir_all(root).map_err(place.io(0))?;
                open_root().map_err(|e| place.io(0)(e.into()))?
            }
            Err(Errno::NOENT) => return Ok(None),
            Err(e) => return Err(place.io(0)(e.into())),
        };
        for (i, name) in parts.iter().take(n).enumerate() {
            let shown = || place.shown_upto(i + 1);
            let opened = match rustix::fs::openat(&fd, *name, DIR, Mode::empty()) {
                Err(Errno::NOENT) if create => {
                    match rustix::fs::mkdirat(&fd, *name, Mode::from_bits_truncate(0o777)) {
                        Ok(()) | Err(Errno::EXIST) => {}
                        Err(e) => return Err(place.io(i + 1)(e.into())),
                    }
                    rustix::fs::openat(&fd, *name, DIR, Mode::empty())
                }
                other => other,
            };
            fd = match opened {
                Ok(next) => next,
                Err(Errno::NOENT) => return Ok(None),
                Err(_) if is_link(&fd, name) => return Err(OwnedError::Link { path: shown() }),
                Err(Errno::NOTDIR) => return Err(OwnedError::NotAFile { path: shown() }),
                Err(e) => return Err(place.io(i + 1)(e.into())),
            };
        }
        Ok(Some(fd))
    }

    pub(super) fn read(place: &Place) -> Result<Option<Vec<u8>>, OwnedError> {
        let parts = place.components();
        let name = file_name(place, &parts)?;
        let Some(dir) = open_dir(place, parts.len() - 1, false)? else {
            return Ok(None);
        };
        // Non-blocking, so that a fifo put there cannot hold the run; a regular file ignores the flag.
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
        let fd = match rustix::fs::openat(&dir, name, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Ok(None),
            Err(_) if is_link(&dir, name) => {
                return Err(OwnedError::Link {
                    path: place.shown(),
                })
            }
            Err(e) => return Err(place.io(parts.len())(e.into())),
        };
        let mut file = std::fs::File::from(fd);
        let meta = file.metadata().map_err(place.io(parts.len()))?;
        if !meta.is_file() {
            return Err(OwnedError::NotAFile {
                path: place.shown(),
            });
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(place.io(parts.len()))?;
        Ok(Some(bytes))
    }

    pub(super) fn write(place: &Place, contents: &[u8], create: bool) -> Result<(), OwnedError> {
        let parts = place.components();
        let name = file_name(place, &parts)?;
        let n = parts.len();
        let dir = open_dir(place, n - 1, create)?
            .ok_or_else(|| place.io(n - 1)(std::io::Error::from(std::io::ErrorKind::NotFound)))?;
        let link = || OwnedError::Link {
            path: place.shown(),
        };
        // What the replacement keeps of the file it replaces.
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
        let keep = match rustix::fs::openat(&dir, name, flags, Mode::empty()) {
            Ok(fd) => {
                let meta = std::fs::File::from(fd).metadata().map_err(place.io(n))?;
                if !meta.is_file() {
                    return Err(OwnedError::NotAFile {
                        path: place.shown(),
                    });
                }
                Some((meta.mode() & 0o7777, (meta.uid(), meta.gid())))
            }
            Err(Errno::NOENT) => None,
            Err(_) if is_link(&dir, name) => return Err(link()),
            Err(e) => return Err(place.io(n)(e.into())),
        };
        let target = name.to_string_lossy();
        let create_flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let mut i = 0u32;
        let (tmp, fd) = loop {
            let tmp = temp_name(&target, std::process::id(), i);
            // A new file's mode is what the umask leaves of 0666, as for any file a program creates.
            match rustix::fs::openat(
                &dir,
                tmp.as_str(),
                create_flags,
                Mode::from_bits_truncate(0o666),
            ) {
                Ok(fd) => break (tmp, fd),
                Err(Errno::EXIST) if i < 100 => i += 1,
                Err(e) => return Err(place.io(n)(e.into())),
            }
        };
        let discard = || {
            let _ = rustix::fs::unlinkat(&dir, tmp.as_str(), AtFlags::empty());
        };
        let mut file = std::fs::File::from(fd);
        let staged = (|| {
            file.write_all(contents)?;
            if let Some((mode, owner)) = keep {
                keep_owner(&file, Some(owner))?;
                set_mode(&file, mode)?;
            }
            file.sync_all()
        })();
        if let Err(e) = staged {
            discard();
            return Err(place.io(n)(e));
        }
        // A link put there since is refused too (the rename would replace the link itself, not its target).
        if is_link(&dir, name) {
            discard();
            return Err(link());
        }
        if let Err(e) = rustix::fs::renameat(&dir, tmp.as_str(), &dir, name) {
            discard();
            return Err(place.io(n)(e.into()));
        }
        let _ = rustix::fs::fsync(&dir);
        Ok(())
    }
}

#[cfg(not(unix))]
mod imp {
    //! Without `openat`: each component is checked with `symlink_metadata` before it is used. Racy where
    //! the unix version is not, but never follows a link that was there when checked.

    use std::path::PathBuf;

    use super::{file_name, OwnedError, Place};
    use crate::rewrite::temp_name;

    fn checked(place: &Place, n: usize, create: bool) -> Result<Option<PathBuf>, OwnedError> {
        let mut path = place.root.clone();
        if !path.exists() {
            if !create {
                return Ok(None);
            }
            std::fs::create_dir_all(&path).map_err(place.io(0))?;
        }
        for (i, name) in place.components().iter().take(n).enumerate() {
            path.push(name);
            match std::fs::symlink_metadata(&path) {
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(OwnedError::Link {
                        path: place.shown_upto(i + 1),
                    })
                }
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                    std::fs::create_dir(&path).map_err(place.io(i + 1))?
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(place.io(i + 1)(e)),
            }
        }
        Ok(Some(path))
    }

    pub(super) fn read(place: &Place) -> Result<Option<Vec<u8>>, OwnedError> {
        let n = place.components().len();
        let Some(path) = checked(place, n, false)? else {
            return Ok(None);
        };
        std::fs::read(path).map(Some).map_err(place.io(n))
    }

    pub(super) fn write(place: &Place, contents: &[u8], create: bool) -> Result<(), OwnedError> {
        let parts = place.components();
        let name = file_name(place, &parts)?.to_string_lossy().into_owned();
        let n = parts.len();
        let dir = checked(place, n - 1, create)?
            .ok_or_else(|| place.io(n - 1)(std::io::Error::from(std::io::ErrorKind::NotFound)))?;
        let target = dir.join(&name);
        if std::fs::symlink_metadata(&target).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(OwnedError::Link {
                path: place.shown(),
            });
        }
        let tmp = dir.join(temp_name(&name, std::process::id(), 0));
        let staged = (|| {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)?;
            std::io::Write::write_all(&mut f, contents)?;
            f.sync_all()
        })();
        if let Err(e) = staged.and_then(|()| std::fs::rename(&tmp, &target)) {
            let _ = std::fs::remove_file(&tmp);
            return Err(place.io(n)(e));
        }
        Ok(())
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::{symlink, PermissionsExt as _};

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn writes_reads_and_keeps_the_mode() {
        let dir = tempfile::tempdir().unwrap();
        let place = Place::new(dir.path(), Path::new("a/b/f.json"));
        assert_eq!(read(&place).unwrap(), None, "missing directories");
        assert!(write(&place, b"one", false).is_err(), "no directory made");
        write(&place, b"one", true).unwrap();
        assert_eq!(read(&place).unwrap().as_deref(), Some(&b"one"[..]));
        let f = dir.path().join("a/b/f.json");
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o640)).unwrap();
        write(&place, b"two", false).unwrap();
        assert_eq!(std::fs::read(&f).unwrap(), b"two");
        assert_eq!(
            std::fs::metadata(&f).unwrap().permissions().mode() & 0o777,
            0o640
        );
        assert_eq!(
            entries(&dir.path().join("a/b")),
            ["f.json"],
            "temporary file left"
        );
    }

    #[test]
    fn links_are_refused_wherever_they_are() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("victim"), "keep").unwrap();
        let tree = dir.path().join("tree");
        std::fs::create_dir(&tree).unwrap();
        // The file a link to a file, a dangling link, and a directory a link.
        symlink("../outside/victim", tree.join("file")).unwrap();
        symlink("../outside/new", tree.join("dangling")).unwrap();
        symlink("../outside", tree.join("dir")).unwrap();
        for (rel, shown) in [
            ("file", "file"),
            ("dangling", "dangling"),
            ("dir/x", "dir"),
            ("dir/sub/x", "dir"),
        ] {
            let place = Place::new(&tree, Path::new(rel));
            let want = tree.join(shown).display().to_string();
            for create in [false, true] {
                let e = write(&place, b"pwned", create).unwrap_err();
                assert!(
                    matches!(&e, OwnedError::Link { path } if *path == want),
                    "{rel}: {e}"
                );
            }
            let e = read(&place).unwrap_err();
            assert!(matches!(&e, OwnedError::Link { .. }), "{rel}: {e}");
        }
        assert_eq!(entries(&outside), ["victim"]);
        assert_eq!(
            std::fs::read_to_string(outside.join("victim")).unwrap(),
            "keep"
        );
        assert_eq!(entries(&tree), ["dangling", "dir", "file"]);
    }

    #[test]
    fn a_fifo_or_a_directory_is_not_a_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("d")).unwrap();
        let fifo = dir.path().join("p");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        for name in ["d", "p"] {
            let place = Place::new(dir.path(), Path::new(name));
            assert!(
                matches!(read(&place), Err(OwnedError::NotAFile { .. })),
                "{name}"
            );
            assert!(
                matches!(write(&place, b"x", false), Err(OwnedError::NotAFile { .. })),
                "{name}"
            );
        }
    }

    #[test]
    fn command_line_paths_are_walked_from_the_current_directory() {
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(
            Place::file_given(Path::new("locks/pin.lock")),
            Place::new(Path::new("."), Path::new("locks/pin.lock"))
        );
        assert_eq!(
            Place::file_given(&cwd.join("locks/pin.lock")),
            Place::new(&cwd, Path::new("locks/pin.lock"))
        );
        assert_eq!(
            Place::file_given(Path::new("/elsewhere/x/pin.lock")),
            Place::new(Path::new("/elsewhere/x"), Path::new("pin.lock"))
        );
        assert_eq!(
            Place::dir_given(Path::new("/elsewhere/cache")).join("tags-v1.json"),
            Place::new(Path::new("/elsewhere/cache"), Path::new("tags-v1.json"))
        );
        assert_eq!(Place::file_given(Path::new("pin.lock")).shown(), "pin.lock");
        assert_eq!(
            Place::dir_given(Path::new("/elsewhere/cache"))
                .join("tags-v1.json")
                .shown(),
            "/elsewhere/cache/tags-v1.json"
        );
    }
}
