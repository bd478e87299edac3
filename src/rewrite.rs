//! Applies span edits to a file's text and writes files atomically.
//!
//! Byte-exact by construction: the output is the untouched input between sorted, non-overlapping edits, so
//! comments, quoting, line endings, a BOM and a missing final newline survive because they are never parsed
//! back out. Overlapping or out-of-bounds edits are rejected, not guessed at.

use std::io::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};

pub mod identity;
pub mod owned;

use crate::interrupt::{self, Signal};

pub use identity::{verify_unchanged, Changed, FileIdentity};

/// Replace the bytes of `range` with `replacement`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub range: Range<usize>,
    pub replacement: String,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum RewriteError {
    #[error("edit {0:?} lies outside the text or splits a character")]
    OutOfBounds(Range<usize>),
    #[error("edits {0:?} and {1:?} overlap")]
    Overlap(Range<usize>, Range<usize>),
}

/// `src` with every edit applied. Edits may come in any order; they must not overlap.
pub fn apply(src: &str, edits: &[Edit]) -> Result<String, RewriteError> {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.range.start, e.range.end));
    let mut out = String::with_capacity(src.len() + edits.len() * 72);
    let mut pos = 0;
    let mut prev: Option<&Range<usize>> = None;
    for edit in sorted {
        let r = &edit.range;
        if r.start > r.end
            || r.end > src.len()
            || !src.is_char_boundary(r.start)
            || !src.is_char_boundary(r.end)
        {
            return Err(RewriteError::OutOfBounds(r.clone()));
        }
        if let Some(p) = prev {
            // Two edits at the same empty point would be ambiguous too.
            if r.start < p.end || (r.start == p.start && r.start == p.end) {
                return Err(RewriteError::Overlap(p.clone(), r.clone()));
            }
        }
        out.push_str(&src[pos..r.start]);
        out.push_str(&edit.replacement);
        pos = r.end;
        prev = Some(r);
    }
    out.push_str(&src[pos..]);
    Ok(out)
}

/// One file to replace: the path it was read from, what it was then, and the edits that make its new text
/// from the text it had.
#[derive(Clone, Copy, Debug)]
pub struct Replace<'a> {
    pub path: &'a Path,
    pub was: &'a FileIdentity,
    pub edits: &'a [Edit],
}

/// Writes several files, all or nothing as far as the file system allows: one file at a time, its text is
/// read again, checked to be the one read before ([`verify_unchanged`]), edited and staged in a temporary
/// file beside its target (the step that can run out of space or permission), so that only one file's text
/// is held at once; then every file is checked again to be still the one that was read (same file, same
/// bytes, no new symbolic link), and only when all are staged and unchanged are they renamed into place. A
/// symbolic link that was there when the file was read stays a link and its target gets the new text.
pub fn write_all_atomic(files: &[Replace]) -> Result<(), WriteError> {
    let mut staged: Vec<PathBuf> = Vec::with_capacity(files.len());
    let discard = |staged: &[PathBuf]| {
        for tmp in staged {
            let _ = std::fs::remove_file(tmp);
        }
    };
    if let Some(file) = files.iter().find(|f| f.was.read_only()) {
        return Err(WriteError::ReadOnly {
            path: file.path.display().to_string(),
        });
    }
    for file in files {
        if let Some(signal) = interrupt::pending() {
            discard(&staged);
            return Err(WriteError::Interrupted(signal));
        }
        let new = match edited(file) {
            Ok(new) => new,
            Err(e) => {
                discard(&staged);
                return Err(e);
            }
        };
        match stage(&file.was.real, new.as_bytes(), &Keep::from(file.was)) {
            Ok(tmp) => staged.push(tmp),
            Err(source) => {
                discard(&staged);
                return Err(WriteError::NothingWritten {
                    path: file.path.display().to_string(),
                    source,
                });
            }
        }
    }
    // Last moment before the first rename: a file edited, replaced or swapped for a link while registries
    // were asked must not be overwritten, and then neither is any other.
    for file in files {
        if let Err(changed) = verify_unchanged(file.path, file.was) {
            discard(&staged);
            return Err(WriteError::Changed(changed));
        }
    }
    if let Some(signal) = interrupt::pending() {
        discard(&staged);
        return Err(WriteError::Interrupted(signal));
    }
    // From the first rename on, an interrupt waits: the renames take microseconds each, and a tree half
    // old and half new is worse than finishing.
    let mut done = Vec::new();
    for (i, (file, tmp)) in files.iter().zip(&staged).enumerate() {
        if let Err(source) = std::fs::rename(tmp, &file.was.real) {
            discard(&staged[i..]);
            return Err(WriteError::Partial {
                path: file.path.display().to_string(),
                source,
                written: done,
            });
        }
        done.push(file.path.display().to_string());
    }
    Ok(())
}

/// The new text of one file: its text read again (refused if it changed) with the edits applied.
fn edited(file: &Replace) -> Result<String, WriteError> {
    let bytes = verify_unchanged(file.path, file.was).map_err(WriteError::Changed)?;
    let old = String::from_utf8(bytes).map_err(|_| {
        WriteError::Changed(Changed::Modified {
            path: file.path.display().to_string(),
        })
    })?;
    apply(&old, file.edits).map_err(|e| WriteError::NothingWritten {
        path: file.path.display().to_string(),
        source: std::io::Error::other(e),
    })
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot write {path}: {source}; no file was changed")]
    NothingWritten {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is read-only; pin does not replace a file marked so (make it writable, e.g. `chmod u+w {path}`, to pin it); no file was changed")]
    ReadOnly { path: String },
    #[error("{0}; no file was changed")]
    Changed(Changed),
    #[error("interrupted by {}; no file was changed", .0.name())]
    Interrupted(Signal),
    #[error("cannot replace {path}: {source}; already replaced: {}", if written.is_empty() { "none".to_string() } else { written.join(", ") })]
    Partial {
        path: String,
        source: std::io::Error,
        written: Vec<String>,
    },
}

/// The name of the temporary file staged for `target_name` by process `pid`: `.NAME.pin-PID-N.tmp`.
fn temp_name(target_name: &str, pid: u32, n: u32) -> String {
    format!(".{target_name}.pin-{pid}-{n}.tmp")
}

/// The process that staged a temporary file, if `file_name` is one (`.NAME.pin-PID-N.tmp`). Such a file
/// outlives its run only if that run was killed (SIGKILL, a crash, power loss): walking never reads one,
/// and [`remove_leftover`] deletes it once its process is gone.
pub fn temp_file_owner(file_name: &str) -> Option<u32> {
    let rest = file_name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (name, tail) = rest.rsplit_once(".pin-")?;
    let (pid, n) = tail.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if name.is_empty() || !digits(pid) || !digits(n) {
        return None;
    }
    pid.parse().ok()
}

/// Removes a temporary file left by a killed run, if its process is gone; whether it was removed. A file
/// of a running process (another `pin` staging right now) is left alone, and so is every one where it
/// cannot be told whether its process runs.
pub fn remove_leftover(path: &Path) -> bool {
    let Some(pid) = path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(temp_file_owner)
    else {
        return false;
    };
    if pid == std::process::id() || process_may_run(pid) {
        return false;
    }
    std::fs::remove_file(path).is_ok()
}

/// Whether process `pid` may be running: only Linux's `/proc` can say it is not.
fn process_may_run(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true
    }
}

/// What the replacement keeps of the file it replaces.
struct Keep {
    mode: u32,
    owner: Option<(u32, u32)>,
}

impl From<&FileIdentity> for Keep {
    fn from(id: &FileIdentity) -> Keep {
        Keep {
            mode: id.mode,
            owner: Some((id.uid, id.gid)),
        }
    }
}

/// The new text in a fsynced temporary file beside `target` (a canonical path, never a link), with the
/// target's permissions; returns the temporary file's path.
fn stage(target: &Path, contents: &[u8], keep: &Keep) -> std::io::Result<PathBuf> {
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (tmp_path, mut file) = create_temp(dir, &name)?;
    let result = (|| {
        file.write_all(contents)?;
        // Owner first: changing it clears set-id bits, which the mode then puts back.
        keep_owner(&file, keep.owner)?;
        set_mode(&file, keep.mode)?;
        file.sync_all()
    })();
    match result {
        Ok(()) => Ok(tmp_path),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp_path);
            Err(e)
        }
    }
}

/// A new temporary file for `name` in `dir`, readable and writable by its owner only from the moment it
/// exists (mode 0600, whatever the umask allows): the text of a 0600 file is never readable by others,
/// not even while it is staged. The target's own mode is set once the text is in.
fn create_temp(dir: &Path, name: &str) -> std::io::Result<(PathBuf, std::fs::File)> {
    let mut n = 0u32;
    loop {
        let candidate = dir.join(temp_name(name, std::process::id(), n));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&candidate) {
            Ok(f) => return Ok((candidate, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 100 => n += 1,
            Err(e) => return Err(e),
        }
    }
}

/// Gives the replacement the owner and group of the file it replaces, where permitted: a user may set
/// the group to one of theirs, only root may change the owner. Where not permitted the replacement is the
/// user's own, as any editor's save would make it.
#[cfg(unix)]
fn keep_owner(file: &std::fs::File, owner: Option<(u32, u32)>) -> std::io::Result<()> {
    let Some((uid, gid)) = owner else {
        return Ok(());
    };
    let meta = file.metadata()?;
    let mine = std::os::unix::fs::MetadataExt::uid(&meta);
    let my_group = std::os::unix::fs::MetadataExt::gid(&meta);
    if (uid, gid) == (mine, my_group) {
        return Ok(());
    }
    match std::os::unix::fs::fchown(file, Some(uid), Some(gid)) {
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            match std::os::unix::fs::fchown(file, None, Some(gid)) {
                Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => Ok(()),
                other => other,
            }
        }
        other => other,
    }
}

#[cfg(not(unix))]
fn keep_owner(_file: &std::fs::File, _owner: Option<(u32, u32)>) -> std::io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn set_mode(file: &std::fs::File, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(file: &std::fs::File, mode: u32) -> std::io::Result<()> {
    let mut p = file.metadata()?.permissions();
    p.set_readonly(mode & 0o222 == 0);
    file.set_permissions(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(range: Range<usize>, s: &str) -> Edit {
        Edit {
            range,
            replacement: s.to_string(),
        }
    }

    #[test]
    fn no_edits_is_identity() {
        assert_eq!(apply("a\r\nb", &[]).unwrap(), "a\r\nb");
        assert_eq!(apply("", &[]).unwrap(), "");
    }

    #[test]
    fn edits_at_start_end_grow_shrink_and_adjacent() {
        let src = "0123456789";
        assert_eq!(apply(src, &[e(0..1, "ab")]).unwrap(), "ab123456789");
        assert_eq!(apply(src, &[e(9..10, "")]).unwrap(), "012345678");
        assert_eq!(apply(src, &[e(10..10, "!")]).unwrap(), "0123456789!");
        // Given out of order, and touching: 2..4 then 4..6.
        assert_eq!(
            apply(src, &[e(4..6, "B"), e(2..4, "AAAA")]).unwrap(),
            "01AAAAB6789"
        );
    }

    #[test]
    fn rejects_overlap_and_bad_ranges() {
        let src = "0123456789";
        assert!(matches!(
            apply(src, &[e(1..5, "x"), e(4..6, "y")]),
            Err(RewriteError::Overlap(..))
        ));
        assert!(matches!(
            apply(src, &[e(3..3, "x"), e(3..3, "y")]),
            Err(RewriteError::Overlap(..))
        ));
        assert!(matches!(
            apply(src, &[e(8..11, "x")]),
            Err(RewriteError::OutOfBounds(..))
        ));
        assert!(matches!(
            apply("é", &[e(1..2, "x")]),
            Err(RewriteError::OutOfBounds(..))
        ));
    }

    #[test]
    fn keeps_bom_crlf_and_missing_newline() {
        let src = "\u{feff}image: nginx:1\r\n# c\r\nimage: 'redis'";
        let a = src.find("nginx:1").unwrap();
        let b = src.find("redis").unwrap();
        let out = apply(
            src,
            &[e(a..a + 7, "nginx@sha256:x"), e(b..b + 5, "redis@sha256:y")],
        )
        .unwrap();
        assert_eq!(
            out,
            "\u{feff}image: nginx@sha256:x\r\n# c\r\nimage: 'redis@sha256:y'"
        );
    }

    /// Reads each file (as a scan does), then writes the new texts.
    fn read_then_write(files: &[(&Path, &[u8])]) -> Result<(), WriteError> {
        let ids: Vec<(FileIdentity, Vec<Edit>)> = files
            .iter()
            .map(|(p, new)| {
                let (old, id) = identity::read_identified(p).unwrap();
                (id, whole(old.len(), new))
            })
            .collect();
        let writes: Vec<Replace> = files
            .iter()
            .zip(&ids)
            .map(|((path, _), (was, edits))| Replace { path, was, edits })
            .collect();
        write_all_atomic(&writes)
    }

    /// One edit replacing all `len` bytes with `new`.
    fn whole(len: usize, new: &[u8]) -> Vec<Edit> {
        vec![e(0..len, std::str::from_utf8(new).unwrap())]
    }

    fn entries(dir: &Path) -> usize {
        std::fs::read_dir(dir).unwrap().count()
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_stays_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.yaml");
        let link = dir.path().join("link.yaml");
        std::fs::write(&real, "old").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        read_then_write(&[(&link, b"new")]).unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
    }

    #[test]
    fn write_all_changes_nothing_when_one_file_is_gone_before_staging() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.yaml");
        std::fs::write(&a, "old").unwrap();
        std::fs::create_dir(dir.path().join("gone")).unwrap();
        let b = dir.path().join("gone/b.yaml");
        std::fs::write(&b, "old").unwrap();
        let (_, id_a) = identity::read_identified(&a).unwrap();
        let (_, id_b) = identity::read_identified(&b).unwrap();
        std::fs::remove_dir_all(dir.path().join("gone")).unwrap();
        let err = write_all_atomic(&[
            Replace {
                path: &a,
                was: &id_a,
                edits: &whole(3, b"new"),
            },
            Replace {
                path: &b,
                was: &id_b,
                edits: &whole(3, b"new"),
            },
        ])
        .unwrap_err();
        // The first file is staged, the second cannot be read again: the first's temporary file goes too.
        assert!(
            matches!(err, WriteError::Changed(Changed::Unreadable { .. })),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "old");
        assert_eq!(entries(dir.path()), 1, "temporary files left behind");
        read_then_write(&[(&a, b"new")]).unwrap();
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "new");
    }

    #[cfg(unix)]
    #[test]
    fn a_temporary_file_is_private_from_the_start() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let (path, file) = create_temp(dir.path(), "secret.yaml").unwrap();
        let mode = file.metadata().unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", path.display());
    }

    #[cfg(unix)]
    #[test]
    fn private_and_executable_modes_are_kept_and_read_only_files_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode_of = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        for mode in [0o600, 0o755, 0o640] {
            let p = dir.path().join(format!("f{mode:o}.yaml"));
            std::fs::write(&p, "old").unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
            read_then_write(&[(&p, b"new")]).unwrap();
            assert_eq!(mode_of(&p), mode);
        }
        let ro = dir.path().join("ro.yaml");
        std::fs::write(&ro, "old").unwrap();
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o444)).unwrap();
        let err = read_then_write(&[(&ro, b"new")]).unwrap_err();
        assert!(matches!(err, WriteError::ReadOnly { .. }), "{err}");
        assert_eq!(std::fs::read_to_string(&ro).unwrap(), "old");
        assert_eq!(entries(dir.path()), 4, "temporary files left behind");
    }

    #[test]
    fn temporary_files_are_recognised_by_name() {
        assert_eq!(temp_file_owner(&temp_name("deploy.yaml", 42, 3)), Some(42));
        assert_eq!(temp_file_owner(".Dockerfile.pin-7-0.tmp"), Some(7));
        for not in [
            "deploy.yaml",
            ".deploy.yaml.tmp",
            ".pin-7-0.tmp",
            ".x.pin-7.tmp",
            ".x.pin--0.tmp",
            ".x.pin-7-a.tmp",
            "x.pin-7-0.tmp",
        ] {
            assert_eq!(temp_file_owner(not), None, "{not}");
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn only_leftovers_of_finished_processes_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        // PIDs stop far below u32::MAX (at most 2^22 on Linux): this one never ran.
        let dead = dir.path().join(temp_name("a.yaml", u32::MAX - 1, 0));
        let mine = dir.path().join(temp_name("a.yaml", std::process::id(), 0));
        let other = dir.path().join("a.yaml");
        for p in [&dead, &mine, &other] {
            std::fs::write(p, "x").unwrap();
        }
        assert!(remove_leftover(&dead));
        assert!(!remove_leftover(&mine));
        assert!(!remove_leftover(&other));
        assert!(!dead.exists() && mine.exists() && other.exists());
    }

    #[test]
    fn a_file_changed_since_read_stops_every_write() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.yaml");
        let b = dir.path().join("b.yaml");
        std::fs::write(&a, "old a").unwrap();
        std::fs::write(&b, "old b").unwrap();
        let (_, id_a) = identity::read_identified(&a).unwrap();
        let (_, id_b) = identity::read_identified(&b).unwrap();
        std::fs::write(&b, "old b\nappended by an editor\n").unwrap();
        let err = write_all_atomic(&[
            Replace {
                path: &a,
                was: &id_a,
                edits: &whole(5, b"new a"),
            },
            Replace {
                path: &b,
                was: &id_b,
                edits: &whole(5, b"new b"),
            },
        ])
        .unwrap_err();
        assert!(
            matches!(err, WriteError::Changed(Changed::Modified { .. })),
            "{err}"
        );
        assert!(err.to_string().contains("b.yaml was modified"), "{err}");
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "old a");
        assert_eq!(
            std::fs::read_to_string(&b).unwrap(),
            "old b\nappended by an editor\n"
        );
        assert_eq!(entries(dir.path()), 2, "temporary files left behind");
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Text (with multi-byte characters and CRLF) and sorted, non-overlapping edits on character boundaries.
    fn text_and_edits() -> impl Strategy<Value = (String, Vec<Edit>)> {
        "[a-z: \\r\\n#é☃]{0,80}".prop_flat_map(|text| {
            let bounds: Vec<usize> = (0..=text.len())
                .filter(|&i| text.is_char_boundary(i))
                .collect();
            let n = bounds.len();
            (
                Just(text),
                Just(bounds),
                proptest::collection::vec((0..n, 0..4usize, "[@a-z0-9]{0,6}"), 0..6),
            )
                .prop_map(|(text, bounds, raw)| {
                    let mut points: Vec<(usize, usize, String)> = raw
                        .into_iter()
                        .map(|(i, len, s)| (bounds[i], bounds[(i + len).min(bounds.len() - 1)], s))
                        .collect();
                    points.sort();
                    let mut edits = Vec::new();
                    let mut last_end = None;
                    for (start, end, s) in points {
                        // Keep them apart: touching is allowed, overlapping and a repeated empty point are not.
                        if last_end.is_some_and(|e| start <= e) {
                            continue;
                        }
                        last_end = Some(end);
                        edits.push(Edit {
                            range: start..end,
                            replacement: s,
                        });
                    }
                    (text, edits)
                })
        })
    }

    proptest! {
        // Every byte outside the edited ranges survives, in order; the edits land where they were asked.
        #[test]
        fn untouched_bytes_survive((text, edits) in text_and_edits()) {
            let out = apply(&text, &edits).unwrap();
            let mut expected = String::new();
            let mut pos = 0;
            for e in &edits {
                expected.push_str(&text[pos..e.range.start]);
                expected.push_str(&e.replacement);
                pos = e.range.end;
            }
            expected.push_str(&text[pos..]);
            prop_assert_eq!(out, expected);
        }

        // Applying no edits, or edits that put back what was there, is the identity.
        #[test]
        fn identity_edits_change_nothing((text, edits) in text_and_edits()) {
            let same: Vec<Edit> = edits
                .iter()
                .map(|e| Edit { range: e.range.clone(), replacement: text[e.range.clone()].to_string() })
                .collect();
            prop_assert_eq!(apply(&text, &same).unwrap(), text.clone());
            prop_assert_eq!(apply(&text, &[]).unwrap(), text);
        }
    }
}
