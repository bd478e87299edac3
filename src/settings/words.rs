//! A path that is a command word: `pin check .` (a flag written as a word), `pin -v verify .` (a subcommand
//! after a flag, which makes it a path) or `pin udpate` (a subcommand misspelt). Each is a usage error before
//! anything is read: walking `.` and resolving would run what was not asked.

use std::path::{Path, PathBuf};

/// The flags that are easy to write as words: the word, how the flag is written.
const MODE_WORDS: &[(&str, &str)] = &[("check", "--check"), ("write", "-w")];

/// What is wrong with the first path of `paths` that does not exist and is a command word, if one is.
/// `subcommand` is the subcommand the paths belong to (`None` for `pin` itself, whose paths may be
/// subcommands written in the wrong place); `subcommands` are the names there are; `modes` whether the
/// command has `--check` and `-w`; `flags` the long names of the command's other flags that take no value
/// (`offline`, `keep-tag`). Relative paths are relative to `cwd`.
pub(super) fn misplaced(
    paths: &[PathBuf],
    subcommand: Option<&str>,
    subcommands: &[String],
    modes: bool,
    flags: &[String],
    cwd: &Path,
) -> Option<String> {
    paths
        .iter()
        .filter(|p| std::fs::symlink_metadata(cwd.join(p)).is_err())
        .find_map(|p| hint(p.to_str()?, subcommand, subcommands, modes, flags))
}

fn hint(
    word: &str,
    subcommand: Option<&str>,
    subcommands: &[String],
    modes: bool,
    flags: &[String],
) -> Option<String> {
    let command = match subcommand {
        Some(s) => format!("pin {s}"),
        None => "pin".to_string(),
    };
    let missing = format!("{word}: no such file or directory");
    if modes {
        match word {
            "check" => {
                return Some(format!(
                    "{missing} (`check` is a flag: `{command} --check PATH`)"
                ))
            }
            "write" => {
                return Some(format!(
                    "{missing} (`write` is a flag: `{command} -w PATH` or `{command} --write PATH`)"
                ))
            }
            _ => {}
        }
    }
    // Only `pin` itself reads a subcommand's name as a path.
    let subcommands = if subcommand.is_none() {
        subcommands
    } else {
        &[]
    };
    if subcommands.iter().any(|s| s == word) {
        return Some(format!(
            "{missing} (to run the subcommand, put it first: its own options go after it, e.g. \
             `pin resolve --keep-tag REF`)"
        ));
    }
    // A near miss: one edit (a letter wrong, missing, extra, or two swapped) from a word, and no path-like
    // characters in it.
    if word.contains(['/', '.', '\\']) {
        return None;
    }
    let near = |candidate: &str| strsim::damerau_levenshtein(word, candidate) == 1;
    if let Some(s) = subcommands.iter().find(|s| near(s)) {
        return Some(format!(
            "{missing} (did you mean `pin {s}`? the subcommand goes first)"
        ));
    }
    if let Some((_, flag)) = MODE_WORDS.iter().filter(|_| modes).find(|(w, _)| near(w)) {
        return Some(format!("{missing} (did you mean `{command} {flag}`?)"));
    }
    // Any other flag written as a word, or nearly: `pin offline`, `pin keep-tga`. Short names are left out
    // (too many words are one edit from them).
    let flags = flags
        .iter()
        .filter(|f| f.len() >= 6 && !MODE_WORDS.iter().any(|(w, _)| w == f));
    for flag in flags {
        if flag == word {
            return Some(format!(
                "{missing} (`{word}` is a flag: `{command} --{word}`)"
            ));
        }
        if near(flag) {
            return Some(format!("{missing} (did you mean `{command} --{flag}`?)"));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subcommands() -> Vec<String> {
        [
            "list",
            "resolve",
            "update",
            "config",
            "unpin",
            "verify",
            "completions",
            "man",
            "help",
        ]
        .map(String::from)
        .to_vec()
    }

    fn flags() -> Vec<String> {
        ["offline", "keep-tag", "quiet", "check", "cache"]
            .map(String::from)
            .to_vec()
    }

    fn said(word: &str, subcommand: Option<&str>, modes: bool) -> Option<String> {
        misplaced(
            &[PathBuf::from(word)],
            subcommand,
            &subcommands(),
            modes,
            &flags(),
            Path::new("/nonexistent"),
        )
    }

    #[test]
    fn every_subcommand_after_a_flag_gets_a_hint() {
        for word in subcommands() {
            let e = said(&word, None, true).unwrap();
            assert!(
                e.starts_with(&format!("{word}: no such file or directory (")),
                "{e}"
            );
            assert!(e.contains("put it first"), "{e}");
        }
        // Below a subcommand, a subcommand's name is only a missing path.
        assert_eq!(said("verify", Some("list"), false), None);
    }

    #[test]
    fn mode_words_and_near_misses() {
        assert_eq!(
            said("check", None, true).unwrap(),
            "check: no such file or directory (`check` is a flag: `pin --check PATH`)"
        );
        assert_eq!(
            said("check", Some("update"), true).unwrap(),
            "check: no such file or directory (`check` is a flag: `pin update --check PATH`)"
        );
        assert!(said("write", None, true).unwrap().contains("`pin -w PATH`"));
        // `pin list` has no --check: the word is a missing path like any other.
        assert_eq!(said("check", Some("list"), false), None);
        assert_eq!(
            said("udpate", None, true).unwrap(),
            "udpate: no such file or directory (did you mean `pin update`? the subcommand goes first)"
        );
        assert!(said("verfy", None, true).unwrap().contains("`pin verify`"));
        assert_eq!(
            said("chekc", Some("unpin"), true).unwrap(),
            "chekc: no such file or directory (did you mean `pin unpin --check`?)"
        );
        for path in [
            "deploy",
            "updates.yaml",
            "x/update",
            "udpate.yaml",
            "upgrade",
            "quiet",
            "caches",
        ] {
            assert_eq!(said(path, None, true), None, "{path}");
        }
        // Other flags that take no value, written as words or nearly.
        assert_eq!(
            said("offline", None, true).unwrap(),
            "offline: no such file or directory (`offline` is a flag: `pin --offline`)"
        );
        assert_eq!(
            said("keep-tga", None, true).unwrap(),
            "keep-tga: no such file or directory (did you mean `pin --keep-tag`?)"
        );
    }

    #[test]
    fn a_path_that_exists_is_read_whatever_its_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("check"), "").unwrap();
        let paths = [PathBuf::from("check"), PathBuf::from("udpate")];
        assert_eq!(
            misplaced(
                &paths[..1],
                None,
                &subcommands(),
                true,
                &flags(),
                dir.path()
            ),
            None
        );
        assert!(
            misplaced(&paths, None, &subcommands(), true, &flags(), dir.path())
                .unwrap()
                .starts_with("udpate: ")
        );
    }
}
