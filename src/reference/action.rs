//! The grammar of a GitHub Actions `uses:` that names a git repository at a ref: an action
//! (`actions/checkout@v4`, `owner/repo/path@ref`) or a reusable workflow
//! (`owner/repo/.github/workflows/build.yml@ref`).
//!
//! `OWNER/REPO[/PATH]@REF`, with exactly one `@`, as the runner splits it (it refuses `a/b@c@d`). `OWNER` and
//! `REPO` are what a git host allows in those names (letters, digits, `-`, `_`, `.`); `PATH` is one or more
//! non-empty components without `.` or `..`; `REF` is a branch or tag name as `git check-ref-format` allows
//! one (no space or control character, none of `~ ^ : ? * [ \`, no `..` or `@{`, no component starting with
//! `.` or ending with `.lock`, not ending with `/` or `.`), or a commit's 40 hexadecimal digits. Local
//! actions (`./path`) and `docker://` images are not of this grammar: the finder never makes them action
//! candidates.
//!
//! A 40-hex ref is a pin: it names one commit whatever the repository's branches and tags do. Anything else
//! is a name that the repository's owner can move.
//!
//! The ref a pin was made from is kept in a comment after the value (`@<commit> # v4.2.1`): [`RefComment`]
//! reads it in the forms people and tools write (pin's and frizbee's `# v4.2.1`, Renovate's older
//! `# tag=v4.2.1`, ratchet's `# ratchet:actions/checkout@v4.2.1`).

use std::fmt;

/// Length of a SHA-1 commit id in hexadecimal: what a pinned `uses:` carries.
pub const COMMIT_HEX_LEN: usize = 40;

/// A parsed `OWNER/REPO[/PATH]@REF`; remembers the text it was parsed from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ActionRef {
    text: String,
    /// Byte length of `OWNER/REPO`.
    repo_len: usize,
    /// Byte offset of the `@`.
    at: usize,
}

/// Why a `uses:` value is not an action reference.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ActionRefError {
    #[error(
        "no `@REF`: a `uses:` of another repository names a branch, a tag or a commit after `@`"
    )]
    NoRef,
    #[error("more than one `@`")]
    TwoAts,
    #[error("not OWNER/REPO[/PATH] before the `@`")]
    BadName,
    #[error("{0:?} is not a valid branch or tag name")]
    BadRef(String),
}

impl ActionRef {
    pub fn parse(s: &str) -> Result<ActionRef, ActionRefError> {
        let at = s.find('@').ok_or(ActionRefError::NoRef)?;
        let (name, git_ref) = (&s[..at], &s[at + 1..]);
        if git_ref.contains('@') {
            return Err(ActionRefError::TwoAts);
        }
        let mut parts = name.split('/');
        let owner = parts.next().unwrap_or_default();
        let repo = parts.next().unwrap_or_default();
        let name_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        let valid_name = |n: &str| !n.is_empty() && !n.starts_with('.') && n.chars().all(name_char);
        if !valid_name(owner) || !valid_name(repo) {
            return Err(ActionRefError::BadName);
        }
        for component in parts {
            let bad = component.is_empty()
                || component == "."
                || component == ".."
                || component.chars().any(|c| c.is_control() || c == '\\');
            if bad {
                return Err(ActionRefError::BadName);
            }
        }
        if !is_ref_name(git_ref) {
            return Err(ActionRefError::BadRef(git_ref.to_string()));
        }
        Ok(ActionRef {
            text: s.to_string(),
            repo_len: owner.len() + 1 + repo.len(),
            at,
        })
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// `OWNER/REPO`: the git repository.
    pub fn repository(&self) -> &str {
        &self.text[..self.repo_len]
    }

    /// Everything before the `@`: `OWNER/REPO[/PATH]`.
    pub fn name(&self) -> &str {
        &self.text[..self.at]
    }

    /// The branch, tag or commit after the `@`.
    pub fn git_ref(&self) -> &str {
        &self.text[self.at + 1..]
    }

    /// Whether the ref is a full commit id (40 hexadecimal digits): a pin.
    pub fn is_pinned(&self) -> bool {
        is_commit(self.git_ref())
    }

    /// The same action at `commit`: `OWNER/REPO[/PATH]@COMMIT`.
    pub fn pinned(&self, commit: &str) -> String {
        format!("{}@{commit}", self.name())
    }

    /// The same action at `git_ref`.
    pub fn with_ref(&self, git_ref: &str) -> String {
        format!("{}@{git_ref}", self.name())
    }
}

impl fmt::Display for ActionRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Whether `s` is a full SHA-1 commit id: 40 hexadecimal digits (either case, as git reads them).
pub fn is_commit(s: &str) -> bool {
    s.len() == COMMIT_HEX_LEN && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether `s` looks like a shortened commit id (7 to 39 hexadecimal digits), which the runner refuses and
/// no branch or tag lookup can expand.
pub fn is_short_commit(s: &str) -> bool {
    (7..COMMIT_HEX_LEN).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether `s` is a branch or tag name as written after `@` (the rules of `git check-ref-format` for the
/// part after `refs/heads/` or `refs/tags/`), or a commit id.
pub fn is_ref_name(s: &str) -> bool {
    if s.is_empty() || s == "@" || s.starts_with('/') || s.ends_with('/') || s.ends_with('.') {
        return false;
    }
    if s.contains("..") || s.contains("@{") || s.contains("//") {
        return false;
    }
    let bad_char = |c: char| {
        c.is_control()
            || c == ' '
            || c == '\u{7f}'
            || matches!(c, '~' | '^' | ':' | '?' | '*' | '[' | '\\')
    };
    if s.chars().any(bad_char) {
        return false;
    }
    s.split('/')
        .all(|c| !c.starts_with('.') && !c.ends_with(".lock"))
}

/// The ref a pinned action was made from, read from the comment after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefComment {
    /// The branch or tag the comment names (`v4.2.1`).
    pub git_ref: String,
    /// How it is written, so that unpinning writes it back as it was pinned.
    pub form: CommentForm,
}

/// How a ref comment is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommentForm {
    /// `# v4.2.1` (pin, frizbee, Dependabot, Renovate).
    Bare,
    /// `# tag=v4.2.1` (Renovate's older form).
    TagEquals,
    /// `# ratchet:actions/checkout@v4.2.1` (ratchet): the whole unpinned value.
    Ratchet,
    /// `# pin: actions/checkout@v4.2.1` on a line of its own above the value (where nothing but a comment
    /// may follow the value on its line): the whole unpinned value.
    Line,
}

impl RefComment {
    /// Reads a comment's text (after `#` and the spaces that follow it, up to the end of its line) as the
    /// ref of `pinned`, if it is one: a single word that is a valid ref name and not itself a commit id, or
    /// `tag=REF`, or ratchet's `ratchet:NAME@REF` naming the same action. Prose (`# pinned for safety`) and
    /// other marks (`# pin: ignore`) are not ref comments.
    pub fn parse(text: &str, pinned: &ActionRef) -> Option<RefComment> {
        let word = text.trim_end();
        if word.is_empty() || word.contains(char::is_whitespace) {
            return None;
        }
        let (git_ref, form) = if let Some(rest) = word.strip_prefix("ratchet:") {
            let original = ActionRef::parse(rest).ok()?;
            if !original.name().eq_ignore_ascii_case(pinned.name()) {
                return None;
            }
            (original.git_ref().to_string(), CommentForm::Ratchet)
        } else if let Some(rest) = word.strip_prefix("tag=") {
            (rest.to_string(), CommentForm::TagEquals)
        } else {
            (word.to_string(), CommentForm::Bare)
        };
        (is_ref_name(&git_ref) && !is_commit(&git_ref)).then_some(RefComment { git_ref, form })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_of_an_action_reference() {
        let a = ActionRef::parse("actions/checkout@v4.2.1").unwrap();
        assert_eq!(
            (a.repository(), a.name(), a.git_ref(), a.is_pinned()),
            ("actions/checkout", "actions/checkout", "v4.2.1", false)
        );
        let a = ActionRef::parse("github/codeql-action/init@v3").unwrap();
        assert_eq!(
            (a.repository(), a.name(), a.git_ref()),
            ("github/codeql-action", "github/codeql-action/init", "v3")
        );
        let a = ActionRef::parse("octo-org/this-repo/.github/workflows/workflow-1.yml@172239021f7ba04fe7327647b213799853a9eb89").unwrap();
        assert_eq!(a.repository(), "octo-org/this-repo");
        assert!(a.is_pinned());
        assert_eq!(
            a.pinned(&"a".repeat(40)),
            format!(
                "octo-org/this-repo/.github/workflows/workflow-1.yml@{}",
                "a".repeat(40)
            )
        );
        let a = ActionRef::parse("Org_1/Repo.js@releases/v1").unwrap();
        assert_eq!(
            (a.repository(), a.git_ref()),
            ("Org_1/Repo.js", "releases/v1")
        );
    }

    #[test]
    fn what_is_not_an_action_reference() {
        for (text, want) in [
            ("actions/checkout", ActionRefError::NoRef),
            ("./.github/actions/x", ActionRefError::NoRef),
            ("a/b@c@d", ActionRefError::TwoAts),
            ("checkout@v4", ActionRefError::BadName),
            ("/b@v1", ActionRefError::BadName),
            ("a/@v1", ActionRefError::BadName),
            ("a/b c@v1", ActionRefError::BadName),
            ("a/b//x@v1", ActionRefError::BadName),
            ("a/b/../x@v1", ActionRefError::BadName),
            ("docker://alpine@sha256", ActionRefError::BadName),
            ("a/b@", ActionRefError::BadRef(String::new())),
        ] {
            assert_eq!(ActionRef::parse(text), Err(want), "{text}");
        }
        for bad in [
            "v 1", "v1..2", "v1.", "v1/", "/v1", "a//b", "v1.lock", ".v1", "a/.b", "v1^", "v~1",
            "v:1", "v?", "v*", "v[1", "v\\1", "v@{1}", "@", "v\t1",
        ] {
            assert!(!is_ref_name(bad), "{bad:?}");
        }
        for good in [
            "v1",
            "v4.2.1",
            "main",
            "releases/v1",
            "feature-x_y",
            "v1@x",
            "1.0",
        ] {
            assert!(is_ref_name(good), "{good:?}");
        }
    }

    #[test]
    fn commits_and_short_commits() {
        assert!(is_commit(&"0123456789abcdef".repeat(3)[..40]));
        assert!(is_commit(&"ABCDEF0123".repeat(4)));
        assert!(!is_commit(&"a".repeat(39)));
        assert!(!is_commit(&"g".repeat(40)));
        assert!(!is_commit(&"a".repeat(64)));
        assert!(is_short_commit("a81bbbf"));
        assert!(!is_short_commit("v4"));
        assert!(!is_short_commit(&"a".repeat(40)));
    }

    #[test]
    fn ref_comments() {
        let pinned = ActionRef::parse(&format!("actions/checkout@{}", "a".repeat(40))).unwrap();
        let read = |t: &str| RefComment::parse(t, &pinned).map(|c| (c.git_ref, c.form));
        assert_eq!(read("v4.2.1"), Some(("v4.2.1".into(), CommentForm::Bare)));
        assert_eq!(read("v4.2.1  "), Some(("v4.2.1".into(), CommentForm::Bare)));
        assert_eq!(read("tag=v4"), Some(("v4".into(), CommentForm::TagEquals)));
        assert_eq!(
            read("ratchet:actions/checkout@v4"),
            Some(("v4".into(), CommentForm::Ratchet))
        );
        for not in [
            "",
            "pinned for safety",
            "pin: ignore",
            "ratchet:actions/setup-go@v5",
            "ratchet:exclude",
            "v4 (latest)",
            &"b".repeat(40),
        ] {
            assert_eq!(read(not), None, "{not:?}");
        }
    }
}
