//! Planning: from scanned files and resolutions to each changed file's edits and one [`Outcome`] per
//! reference. Its only I/O is reading a changed file again (checked to be the bytes searched), so every mode
//! shares it and it is tested without a registry.

use std::collections::BTreeSet;

use super::scan::{ActionPin, Found, Nothing, ScannedFile, Skip, Status};
use crate::formats::{tag_comment, Kind, Target};
use crate::reference::Reference;
use crate::report::{Code, Fix, Held, Outcome, OutcomeStatus, Seen, Severity};
use crate::resolve::git::{ActionKey, ActionResolutions, RefKind};
use crate::resolve::lock::Tags;
use crate::resolve::platform::{compare, required_by};
use crate::resolve::registry::Children;
use crate::resolve::{Key, Manifest, Platform, Resolutions, ResolveError};
use crate::rewrite::{self, Changed, Edit};
use crate::settings::{ChildPins, Operation, PinSettings, TagStyle};

/// One file whose text changes: the edits that make the new text, and what the run keeps of it (a diff, the
/// new text of stdin, or nothing): the texts themselves are not kept.
#[derive(Debug)]
pub struct FileChange<'a, K> {
    pub file: &'a ScannedFile,
    pub edits: Vec<Edit>,
    pub kept: K,
}

/// The changes, and what happened to every reference, in file order.
#[derive(Debug)]
pub struct Plan<'a, K> {
    pub changes: Vec<FileChange<'a, K>>,
    pub outcomes: Vec<Outcome>,
}

impl<K> Plan<'_, K> {
    #[cfg(test)]
    pub fn summary(&self, files: usize) -> crate::report::Summary {
        crate::report::Summary::of(files, &self.outcomes)
    }

    #[cfg(test)]
    pub fn errors(&self) -> usize {
        self.summary(0).errors
    }
}

/// The lookup a reference needs in this run, if any.
fn key_for(f: &Found, op: &Operation) -> Option<Key> {
    // A listed place is never written: nothing to look up for it.
    if f.candidate.target == Target::Listed {
        return None;
    }
    match (op, &f.status) {
        (Operation::Pin(p), Status::Unpinned(r)) => Some(Key::of(r, p.platform.as_ref())),
        (Operation::Update { .. }, Status::Pinned(_)) => Key::update_of(&followed(f)?),
        _ => None,
    }
}

/// The `name:tag@digest` that `pin update` follows for a pinned reference: the reference itself when it has a
/// tag, else the tag its tag comment names (`latest` for a comment without one).
pub fn followed(f: &Found) -> Option<Reference> {
    let Status::Pinned(r) = &f.status else {
        return None;
    };
    if r.tag().is_some() {
        return Some(r.clone());
    }
    let tag = f.tag_comment.as_ref()?.reference.tag().unwrap_or("latest");
    Reference::parse(&format!("{}:{tag}@{}", r.name(), r.digest()?)).ok()
}

/// The tag a reference names for the reports: its own, its tag comment's, or `latest` for neither when it has
/// no digest (a pinned reference without either names none).
fn tag_of(f: &Found) -> Option<String> {
    match &f.status {
        Status::Unpinned(r) => Some(r.tag().unwrap_or("latest").to_string()),
        Status::Pinned(_) => followed(f)?.tag().map(str::to_string),
        Status::Skipped(_) | Status::Action(_) => None,
    }
}

/// Every unique lookup the files need.
pub fn keys(files: &[ScannedFile], op: &Operation) -> BTreeSet<Key> {
    files
        .iter()
        .flat_map(|f| &f.refs)
        .filter_map(|f| key_for(f, op))
        .collect()
}

/// The actions of a run: the git server their refs are resolved on, and what each ref resolved to.
#[derive(Clone, Copy, Debug)]
pub struct Actions<'a> {
    /// `https://github.com`, or `--actions-server` without a final `/`.
    pub server: &'a str,
    pub resolved: &'a ActionResolutions,
}

impl Actions<'_> {
    /// A run that looks no action up (`pin unpin`, `pin fn`).
    pub fn none() -> Actions<'static> {
        static NONE: ActionResolutions = ActionResolutions::new();
        Actions {
            server: "",
            resolved: &NONE,
        }
    }
}

/// The action lookup a reference needs in this run, if any: its ref when `pin` pins it, the ref of its
/// comment when `pin update` follows it.
fn action_key_for(f: &Found, op: &Operation, server: &str) -> Option<ActionKey> {
    let Status::Action(a) = &f.status else {
        return None;
    };
    let git_ref = match (op, a.reference.is_pinned()) {
        (Operation::Pin(_), false) => a.reference.git_ref(),
        (Operation::Update { .. }, true) => &a.comment.as_ref()?.0.git_ref,
        _ => return None,
    };
    Some(ActionKey {
        server: server.to_string(),
        repository: a.reference.repository().to_string(),
        git_ref: git_ref.to_string(),
    })
}

/// Every unique action lookup the files need, on `server`.
pub fn action_keys(files: &[ScannedFile], op: &Operation, server: &str) -> BTreeSet<ActionKey> {
    files
        .iter()
        .flat_map(|f| &f.refs)
        .filter_map(|f| action_key_for(f, op, server))
        .collect()
}

/// Computes every file's change. A file with a failed lookup gets no change at all: with `--keep-going` the
/// other files are still written, and this one stays as it was.
///
/// A file that may change is read again ([`ScannedFile::text`]), on every core, one file per core at a time:
/// `keep(file, old, new)` takes what the run needs of a changed file while both texts are at hand, and then
/// both are dropped. A file that changed since it was searched stops the plan: nothing is computed from
/// bytes other than those searched. `tags`: `pin unpin --from-lock`, the tags its lockfile records.
pub fn plan<'a, K: Send>(
    files: &'a [ScannedFile],
    resolved: &Resolutions,
    actions: Actions,
    op: &Operation,
    tags: Option<&Tags>,
    keep: impl Fn(&ScannedFile, &str, &str) -> K + Sync,
) -> Result<Plan<'a, K>, Changed> {
    let planned = super::scan::parallel_map(files.iter().collect(), |file| {
        plan_file(file, resolved, actions, op, tags, &keep)
    });
    let mut plan = Plan {
        changes: Vec::new(),
        outcomes: Vec::new(),
    };
    for p in planned {
        let (outcomes, change) = p?;
        plan.outcomes.extend(outcomes);
        plan.changes.extend(change);
    }
    Ok(plan)
}

/// Whether a reference may get an edit in this run: the only ones [`decide`] may write.
fn may_change(f: &Found, op: &Operation) -> bool {
    match (op, &f.status) {
        (Operation::Pin(_), Status::Action(a)) => !a.reference.is_pinned(),
        (Operation::Update { .. } | Operation::Unpin, Status::Action(a)) => a.reference.is_pinned(),
        _ => matches!(
            (op, &f.status),
            (Operation::Pin(_), Status::Unpinned(_))
                | (
                    Operation::Update { .. } | Operation::Unpin,
                    Status::Pinned(_)
                )
        ),
    }
}

/// One file's outcomes and change.
#[allow(clippy::type_complexity)]
fn plan_file<'a, K>(
    file: &'a ScannedFile,
    resolved: &Resolutions,
    actions: Actions,
    op: &Operation,
    tags: Option<&Tags>,
    keep: &(impl Fn(&ScannedFile, &str, &str) -> K + Sync),
) -> Result<(Vec<Outcome>, Option<FileChange<'a, K>>), Changed> {
    // Read only when some reference may be written: a file all pinned costs no read in `pin`.
    let text = if file.refs.iter().any(|f| may_change(f, op)) {
        Some(file.text()?)
    } else {
        None
    };
    let src = text.as_deref().unwrap_or_default();
    let mut outcomes = Vec::with_capacity(file.refs.len());
    let mut edits = Vec::new();
    let mut failed = false;
    for f in &file.refs {
        let mut outcome = f.outcome(file);
        outcome.tag = tag_of(f);
        let decision = match &f.status {
            Status::Action(a) => decide_action(f, a, file.kind, src, actions, op),
            _ => decide(f, file.kind, src, resolved, op, tags),
        };
        match decision {
            Decision::Skip(why) => outcome.set(OutcomeStatus::Skipped, why.code(), why.to_string()),
            Decision::Keep => {}
            Decision::Hold { digest, seen, held } => {
                outcome.set(OutcomeStatus::Held, held.code, held.reason.clone());
                if let Status::Pinned(r) = &f.status {
                    outcome.previous = r.digest().map(str::to_string);
                }
                outcome.digest = Some(digest);
                outcome.seen = seen;
                outcome.held = Some(held);
            }
            Decision::Flag(code, why) => outcome.set(OutcomeStatus::Unchanged, code, why),
            Decision::Fail(code, why) => {
                outcome.set(OutcomeStatus::Error, code, why);
                failed = true;
            }
            Decision::NotTaken {
                code,
                message,
                digest,
            } => {
                outcome.set(OutcomeStatus::Unchanged, code, message);
                if let Status::Pinned(r) = &f.status {
                    outcome.previous = r.digest().map(str::to_string);
                }
                outcome.digest = Some(digest);
            }
            Decision::Write {
                replacement,
                digest,
                note,
                extra,
                said,
            } => {
                let (code, message) = match (op, &digest) {
                    _ if said.is_some() => *said.expect("checked"),
                    (Operation::Unpin, _) | (_, None) => (
                        Code::Unpin,
                        "pinned; `pin unpin` restores its tag".to_string(),
                    ),
                    (Operation::Update { .. }, Some(d)) => {
                        (Code::TagMoved, format!("its tag now points at {d}"))
                    }
                    (Operation::Pin(_), Some(d)) => {
                        (Code::Unpinned, format!("no digest; its tag points at {d}"))
                    }
                };
                outcome.set(OutcomeStatus::Pinned, code, message);
                outcome.diagnostics[0].fix = Some(Fix {
                    replacement: replacement.clone(),
                });
                outcome.pinned = Some(replacement.clone());
                if let (Operation::Update { .. }, Status::Pinned(r)) = (op, &f.status) {
                    outcome.previous = r.digest().map(str::to_string);
                    outcome.seen =
                        key_for(f, op).and_then(|k| resolved.get(&k)?.as_ref().ok()?.seen.clone());
                }
                outcome.digest = digest;
                if let Some((code, note)) = note {
                    outcome.note(code, note);
                }
                edits.push(Edit {
                    range: f.candidate.span.clone(),
                    replacement,
                });
                edits.extend(extra);
            }
        }
        match update_warning(f, resolved, op) {
            // A gone digest is the finding itself, said louder than a moved tag.
            Some((Code::DigestGone, message)) if outcome.status == OutcomeStatus::Pinned => {
                let d = &mut outcome.diagnostics[0];
                d.code = Code::DigestGone;
                d.severity = Severity::Warning;
                d.message = message;
            }
            Some((code, message)) => outcome.warn(code, message),
            None => {}
        }
        outcomes.push(outcome);
    }
    if failed {
        for o in &mut outcomes {
            if o.status == OutcomeStatus::Pinned {
                o.set(
                    OutcomeStatus::Skipped,
                    Code::NotWritten,
                    "not written: another reference in this file failed",
                );
            }
        }
        return Ok((outcomes, None));
    }
    if edits.is_empty() {
        return Ok((outcomes, None));
    }
    let edits = merge_insertions(edits);
    match rewrite::apply(src, &edits) {
        Ok(new) if new != src => {
            let kept = keep(file, src, &new);
            Ok((outcomes, Some(FileChange { file, edits, kept })))
        }
        Ok(_) => Ok((outcomes, None)),
        Err(e) => {
            // A finder bug (overlapping spans): refuse the whole file rather than guess.
            for o in &mut outcomes {
                if o.status == OutcomeStatus::Pinned {
                    o.set(
                        OutcomeStatus::Error,
                        Code::Internal,
                        format!("internal error, file left alone: {e}"),
                    );
                }
            }
            Ok((outcomes, None))
        }
    }
}

/// What `pin update` must say about a pin even when it works: its digest is gone, or it is one platform's
/// manifest of a multi-platform image.
fn update_warning(f: &Found, resolved: &Resolutions, op: &Operation) -> Option<(Code, String)> {
    let Operation::Update { children, .. } = op else {
        return None;
    };
    let manifest = resolved.get(&key_for(f, op)?)?.as_ref().ok()?;
    if manifest.gone {
        return Some((
            Code::DigestGone,
            format!(
                "the pinned digest no longer exists; the tag now points at {}",
                manifest.digest
            ),
        ));
    }
    match &manifest.child_of {
        Some(child) if *children == ChildPins::Warn => {
            Some((Code::ChildPin, child_pin_message(&child.platform)))
        }
        _ => None,
    }
}

/// The warning about a pin of one platform's manifest.
pub fn child_pin_message(platform: &Platform) -> String {
    format!(
        "pinned to the {platform} manifest of a multi-platform image; other nodes will fail (`pin update \
         --to-index` pins the index)"
    )
}

/// Two comment lines inserted above the same line (two references on it) become one insertion, in file order.
fn merge_insertions(edits: Vec<Edit>) -> Vec<Edit> {
    let mut out: Vec<Edit> = Vec::with_capacity(edits.len());
    for edit in edits {
        let empty = edit.range.is_empty();
        match out
            .iter_mut()
            .find(|e| empty && e.range.is_empty() && e.range.start == edit.range.start)
        {
            Some(e) => e.replacement.push_str(&edit.replacement),
            None => out.push(edit),
        }
    }
    out
}

/// Why `pin update` leaves a pin without a tag alone.
pub const UNTAGGED: &str = "a digest without a tag or tag comment: no tag to follow";

enum Decision {
    Skip(Skip),
    /// Left as it is, and a finding (`--require-tags`).
    Flag(Code, String),
    Keep,
    /// `pin update`: the tag moved to `digest`, which is held back and the pin stays: too young for the
    /// waiting period ([`Code::HeldTooYoung`], `--min-age`) or missing a required platform
    /// ([`Code::PlatformHeld`]). `seen`: when the new digest was first seen, where that is known.
    Hold {
        digest: String,
        seen: Option<Seen>,
        held: Held,
    },
    /// A failed lookup: [`Code::LookupFailed`], [`Code::Unreachable`] when its registry could not be
    /// reached at all (reports say that once per registry), or [`Code::Signature`].
    Fail(Code, String),
    /// `pin update`: the tag moved to `digest`, whose manifests for the platforms required are the pinned
    /// index's: no change ([`Code::SamePlatforms`]).
    NotTaken {
        code: Code,
        message: String,
        digest: String,
    },
    Write {
        replacement: String,
        /// The digest written; `None` for `pin unpin`.
        digest: Option<String>,
        /// Something to know although it worked, and its code.
        note: Option<(Code, String)>,
        /// Other edits that go with it: a tag comment inserted or removed.
        extra: Option<Edit>,
        /// The code and message of the finding, where the default wording (digests and tags) does not fit.
        said: Option<Box<(Code, String)>>,
    },
}

/// What the run does with one reference: the one place the operation and the reference's status meet.
fn decide(
    f: &Found,
    kind: Kind,
    src: &str,
    resolved: &Resolutions,
    op: &Operation,
    tags: Option<&Tags>,
) -> Decision {
    match (op, &f.status) {
        (_, Status::Skipped(why)) => Decision::Skip(why.clone()),
        (Operation::Pin(p), Status::Unpinned(r)) => pin(f, r, kind, src, resolved, op, p),
        (Operation::Pin(_), Status::Pinned(_)) => Decision::Keep,
        (Operation::Update { .. }, Status::Unpinned(_)) => {
            Decision::Skip(Skip::NothingToUpdate(Nothing::NoDigest))
        }
        (Operation::Update { require_tags, .. }, Status::Pinned(r))
            if r.tag().is_none() && f.tag_comment.is_none() =>
        {
            if *require_tags {
                Decision::Flag(
                    Code::UntaggedPin,
                    "a digest without a tag or tag comment: `pin update` cannot follow it"
                        .to_string(),
                )
            } else {
                Decision::Skip(Skip::NothingToUpdate(Nothing::Untagged))
            }
        }
        (Operation::Update { children, .. }, Status::Pinned(r)) => {
            update(f, r, resolved, op, *children)
        }
        (Operation::Unpin, Status::Pinned(r)) => unpin(f, r, kind, src, tags),
        (Operation::Unpin, Status::Unpinned(_)) => Decision::Keep,
        (_, Status::Action(_)) => Decision::Keep,
    }
}

/// What the run does with a GitHub Actions `uses:`: the one place the operation and an action's state meet.
fn decide_action(
    f: &Found,
    a: &ActionPin,
    kind: Kind,
    src: &str,
    actions: Actions,
    op: &Operation,
) -> Decision {
    let pinned = a.reference.is_pinned();
    match (op, pinned) {
        (Operation::Pin(_), true) | (Operation::Unpin, false) => Decision::Keep,
        (Operation::Unpin, true) => unpin_action(a),
        (Operation::Update { .. }, false) => {
            Decision::Skip(Skip::NothingToUpdate(Nothing::NoCommit))
        }
        (Operation::Update { .. }, true) if a.comment.is_none() => {
            Decision::Skip(Skip::NothingToUpdate(Nothing::NoRefToFollow))
        }
        (Operation::Update { .. }, true) => resolve_action(f, a, kind, src, actions, op, None),
        (Operation::Pin(p), false) => resolve_action(f, a, kind, src, actions, op, Some(p)),
    }
}

/// `pin` (`pinning`: its settings) and `pin update` of an action: its ref (or, for an update, its
/// comment's) resolved to a commit.
fn resolve_action(
    f: &Found,
    a: &ActionPin,
    kind: Kind,
    src: &str,
    actions: Actions,
    op: &Operation,
    pinning: Option<&PinSettings>,
) -> Decision {
    let Some(key) = action_key_for(f, op, actions.server) else {
        return Decision::Keep;
    };
    let commit = match actions.resolved.get(&key) {
        Some(Ok(c)) => c,
        Some(Err(e)) => return Decision::Fail(Code::from(e), e.to_string()),
        None => return Decision::Fail(Code::LookupFailed, "was not looked up".to_string()),
    };
    let what = match commit.kind {
        RefKind::Tag => "tag",
        RefKind::Branch => "branch",
        RefKind::Recorded => "ref",
    };
    let replacement = a.reference.pinned(&commit.commit);
    let Some(p) = pinning else {
        // `pin update`: the commit the comment's ref names now, where it moved; the comment stays.
        if a.reference.git_ref().eq_ignore_ascii_case(&commit.commit) {
            return Decision::Keep;
        }
        return Decision::Write {
            replacement,
            digest: Some(commit.commit.clone()),
            note: None,
            extra: None,
            said: Some(Box::new((
                Code::TagMoved,
                format!(
                    "its {what} {} now names commit {}",
                    key.git_ref, commit.commit
                ),
            ))),
        };
    };
    let mut note = None;
    let mut extra = None;
    if p.style_for(kind, src) != TagStyle::Drop {
        // The ref cannot stay in a `uses:` beside a commit: keeping it means the comment.
        let style = tag_comment::style(kind, src);
        match tag_comment::ref_insertion(src, &f.candidate.span, &a.reference, style) {
            Some((range, text)) => {
                extra = Some(Edit {
                    range,
                    replacement: text,
                })
            }
            None => {
                note = Some((
                    Code::NoTagComment,
                    "no comment can go here (a YAML block scalar): the ref is not recorded beside the commit"
                        .to_string(),
                ))
            }
        }
    }
    Decision::Write {
        replacement,
        digest: Some(commit.commit.clone()),
        note,
        extra,
        said: Some(Box::new((
            Code::Unpinned,
            format!(
                "not pinned to a commit; its {what} {} names commit {}",
                key.git_ref, commit.commit
            ),
        ))),
    }
}

/// `pin unpin` of an action: the ref of its comment back in place of the commit, and the comment gone.
fn unpin_action(a: &ActionPin) -> Decision {
    let Some((comment, range)) = &a.comment else {
        return Decision::Skip(Skip::NothingToUpdate(Nothing::NoRefToRestore));
    };
    Decision::Write {
        replacement: a.reference.with_ref(&comment.git_ref),
        digest: None,
        note: None,
        extra: Some(Edit {
            range: range.clone(),
            replacement: String::new(),
        }),
        said: None,
    }
}

/// What the lookup of a reference found, or the decision that it failed.
// The error is the decision itself, returned at once by the caller: not worth a box.
#[allow(clippy::result_large_err)]
fn looked_up<'r>(
    f: &Found,
    resolved: &'r Resolutions,
    op: &Operation,
) -> Result<&'r Manifest, Decision> {
    let Some(key) = key_for(f, op) else {
        return Err(Decision::Keep);
    };
    match resolved.get(&key) {
        Some(Ok(m)) => Ok(m),
        Some(Err(e)) => Err(Decision::Fail(Code::from(e), e.to_string())),
        None => Err(Decision::Fail(
            Code::LookupFailed,
            "was not looked up".to_string(),
        )),
    }
}

/// `pin`: the digest the tag points at, written in the tag style.
fn pin(
    f: &Found,
    r: &Reference,
    kind: Kind,
    src: &str,
    resolved: &Resolutions,
    op: &Operation,
    p: &PinSettings,
) -> Decision {
    let manifest = match looked_up(f, resolved, op) {
        Ok(m) => m,
        Err(d) => return d,
    };
    let digest = manifest.digest.clone();
    let style = p.style_for(kind, src);
    let mut note = pull_policy_note(f, r, style).map(|n| (Code::PullPolicy, n));
    let mut extra = None;
    let target = &f.candidate.target;
    let name_at_digest = *target == Target::NameAtDigest;
    let replacement = match style {
        // The format takes a tag or a digest, never both: the digest alone, in every style (a tag comment
        // aside).
        TagStyle::Keep | TagStyle::Drop if name_at_digest => r.pinned(&digest, false),
        TagStyle::Keep => target.text(|| r.pinned_with_tag(&digest), &digest),
        TagStyle::Comment if matches!(target, Target::Reference | Target::NameAtDigest) => {
            // The reference as written, so that unpinning restores these very bytes.
            let tagged = r.as_str();
            let style = tag_comment::style(kind, src);
            match tag_comment::insertion(src, &f.candidate.span, tagged, style) {
                Some((range, text)) => {
                    extra = Some(Edit {
                        range,
                        replacement: text,
                    });
                    r.pinned(&digest, false)
                }
                None if name_at_digest => r.pinned(&digest, false),
                None => {
                    let untagged = if r.tag().is_none() {
                        "; untagged, it is written with `:latest`, which `pin unpin` gives back as `:latest`"
                    } else {
                        ""
                    };
                    note = Some((
                        Code::NoTagComment,
                        format!(
                            "no tag comment can go here (a parser directive, a line a block comment spans \
                             into, a format without comments): the tag stays in the reference{untagged}"
                        ),
                    ));
                    r.pinned_with_tag(&digest)
                }
            }
        }
        TagStyle::Comment | TagStyle::Drop => target.text(|| r.pinned(&digest, false), &digest),
    };
    Decision::Write {
        replacement,
        digest: Some(digest),
        note,
        extra,
        said: None,
    }
}

/// `pin update`: the digest the followed tag points at now, where it has moved; the tag stays where it is
/// written (in the reference or its comment).
fn update(
    f: &Found,
    r: &Reference,
    resolved: &Resolutions,
    op: &Operation,
    children: ChildPins,
) -> Decision {
    let manifest = match looked_up(f, resolved, op) {
        Ok(m) => m,
        Err(d) => return d,
    };
    if let Some(not_taken) = by_platforms(f, r, manifest, op) {
        return not_taken;
    }
    let (digest, note) = match (&manifest.child_of, children) {
        // `--to-index`: a platform pin becomes a pin of the index its tag points at.
        (Some(child), ChildPins::ToIndex) => (
            child.index.clone(),
            Some((
                Code::ChildPin,
                format!(
                    "was the {} manifest; now pinned to the multi-platform index",
                    child.platform
                ),
            )),
        ),
        _ => (manifest.digest.clone(), None),
    };
    if r.digest() == Some(digest.as_str()) {
        return Decision::Keep;
    }
    if let Some(hold) = too_young(f, op, manifest, &digest) {
        return hold;
    }
    let target = &f.candidate.target;
    let replacement = if *target == Target::NameAtDigest {
        r.pinned(&digest, false)
    } else {
        target.text(|| r.pinned(&digest, true), &digest)
    };
    // A moved index taken without comparing its platforms' manifests says why, so that a change that is only
    // an attestation is not taken for a new image unawares.
    let said = match &manifest.children {
        Some(Children::NotCompared(why)) => Some(Box::new((
            Code::TagMoved,
            format!("its tag now points at {digest} ({why})"),
        ))),
        _ => None,
    };
    Decision::Write {
        replacement,
        digest: Some(digest),
        note,
        extra: None,
        said,
    }
}

/// `pin update --min-age`: the hold of a move to `digest` that is younger than the waiting period. A pin
/// whose digest is gone is not held: it can no longer be pulled.
fn too_young(f: &Found, op: &Operation, manifest: &Manifest, digest: &str) -> Option<Decision> {
    let Operation::Update { waiting, .. } = op else {
        return None;
    };
    let seen = manifest.seen.as_ref()?;
    let min_age = *waiting.min_age;
    if !waiting.applies() || manifest.gone || seen.age_seconds >= min_age {
        return None;
    }
    let eligible = crate::resolve::seen::rfc3339(seen.at_seconds.saturating_add(min_age));
    let tag = tag_of(f).unwrap_or_else(|| "latest".to_string());
    let message = format!(
        "its tag {tag} now points at {digest}, {}; applied once {} old, from {eligible} (--min-age)",
        seen.text(),
        crate::settings::human_duration(min_age),
    );
    Some(Decision::Hold {
        digest: digest.to_string(),
        seen: Some(seen.clone()),
        held: Held {
            code: Code::HeldTooYoung,
            reason: message,
            eligible_at: Some(eligible),
            missing_platforms: Vec::new(),
        },
    })
}

/// `pin update` of an index pin whose tag now names another index, by the manifests of the platforms required
/// (`--platforms`, `[update] platforms`, by default the pinned index's): held back when the new index lacks
/// one of them, not an update when their manifests are the same (unless `--all-changes`). `None`: an update
/// as any other (the children were not compared, or the required platforms' manifests changed).
fn by_platforms(f: &Found, r: &Reference, manifest: &Manifest, op: &Operation) -> Option<Decision> {
    let Operation::Update {
        platforms,
        all_changes,
        ..
    } = op
    else {
        return None;
    };
    let Some(Children::Compared { old, new }) = &manifest.children else {
        return None;
    };
    if r.digest() == Some(manifest.digest.as_str()) {
        return None;
    }
    let (required, whose) = if platforms.is_empty() {
        (required_by(old), "those of the pinned index".to_string())
    } else {
        (platforms.value.clone(), platforms.origin.to_string())
    };
    if required.is_empty() {
        return None;
    }
    let names = |list: &[Platform]| {
        list.iter()
            .map(Platform::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let c = compare(old, new, &required);
    if !c.missing.is_empty() {
        let tag = tag_of(f).unwrap_or_else(|| "latest".to_string());
        return Some(Decision::Hold {
            digest: manifest.digest.clone(),
            seen: manifest.seen.clone(),
            held: Held {
                code: Code::PlatformHeld,
                reason: format!(
                    "its tag {tag} now points at {}, which has no {} manifest; applied once the tag's index \
                     has every platform required ({}: {whose})",
                    manifest.digest,
                    names(&c.missing),
                    names(&required)
                ),
                eligible_at: None,
                missing_platforms: c.missing.iter().map(Platform::to_string).collect(),
            },
        });
    }
    if c.changed.is_empty() && !all_changes {
        return Some(Decision::NotTaken {
            code: Code::SamePlatforms,
            message: format!(
                "the tag now points at {}, whose manifests for {} ({whose}) are the pinned index's: not an \
                 update (only attestations or other platforms changed; `--all-changes` takes it)",
                manifest.digest,
                names(&required)
            ),
            digest: manifest.digest.clone(),
        });
    }
    None
}

/// `pin unpin`: the tag back in place of the digest, from the tag comment (which goes) or the reference.
/// A `name:latest@digest` where no tag comment can go is what `--tag-comment` writes for an untagged `name`
/// there: it becomes `name:latest`, with a note that the reference may have had no tag. A bare `name@digest`
/// takes its tag from `tags` (`--from-lock`) when the lockfile records exactly one for that digest.
fn unpin(f: &Found, r: &Reference, kind: Kind, src: &str, tags: Option<&Tags>) -> Decision {
    if let Target::TagEnd { tag_end } = &f.candidate.target {
        // A build argument's default that ends a tag: the digest goes, the bytes written before it stay.
        return Decision::Write {
            replacement: tag_end.clone(),
            digest: None,
            note: None,
            extra: None,
            said: None,
        };
    }
    if !matches!(f.candidate.target, Target::Reference | Target::NameAtDigest) {
        return Decision::Skip(Skip::NothingToUpdate(Nothing::DigestField));
    }
    let (replacement, extra) = match (&f.tag_comment, r.tag()) {
        (Some(c), _) => (
            c.reference.as_str().to_string(),
            Some(Edit {
                range: c.range.clone(),
                replacement: String::new(),
            }),
        ),
        (None, Some(tag)) => (format!("{}:{tag}", r.name()), None),
        (None, None) => {
            return match from_lock(r, tags) {
                Ok(tag) => from_lock_write(r, tag),
                Err(skip) => Decision::Skip(skip),
            }
        }
    };
    let style = tag_comment::style(kind, src);
    let note = (f.tag_comment.is_none()
        && r.tag() == Some("latest")
        && tag_comment::insertion(src, &f.candidate.span, &replacement, style).is_none())
    .then(|| {
        (
            Code::UnpinInexact,
            format!(
                "restored as {replacement}; if it was written without a tag before `pin --tag-comment`, that \
                 could not be recorded here (no comment can go at this place), and the tag `latest` stays"
            ),
        )
    });
    Decision::Write {
        replacement,
        digest: None,
        note,
        extra,
        said: None,
    }
}

/// `pin unpin --from-lock` of a bare `name@digest` whose one recorded tag is `tag`: `name:tag`. A lockfile
/// records an untagged reference under `latest`: a note says it may have had no tag.
fn from_lock_write(r: &Reference, tag: &str) -> Decision {
    let replacement = format!("{}:{tag}", r.name());
    let note = (tag == "latest").then(|| {
        (
            Code::UnpinInexact,
            format!(
                "restored as {replacement}; the lockfile records a reference written without a tag under \
                 `latest`, so it may have had none"
            ),
        )
    });
    Decision::Write {
        said: Some(Box::new((
            Code::Unpin,
            format!("a digest without a tag; the lockfile records its tag {tag}"),
        ))),
        replacement,
        digest: None,
        note,
        extra: None,
    }
}

/// `pin unpin --from-lock`: the one tag the lockfile records for the digest of a bare `name@digest` in its
/// repository; several are not guessed between, and without the lockfile there is none.
fn from_lock<'t>(r: &Reference, tags: Option<&'t Tags>) -> Result<&'t str, Skip> {
    let Some(tags) = tags else {
        return Err(Skip::NothingToUpdate(Nothing::NoTagToRestore));
    };
    match tags.of(r).as_slice() {
        [tag] => Ok(tag),
        [] => Err(Skip::NothingToUpdate(Nothing::NotInLock)),
        several => Err(Skip::AmbiguousTag {
            tags: several.iter().map(|t| t.to_string()).collect(),
        }),
    }
}

/// The one code of each failed lookup: a refused signature and a registry that cannot be reached at all
/// are told apart from the other registry failures.
impl From<&ResolveError> for Code {
    fn from(e: &ResolveError) -> Code {
        match e {
            ResolveError::Signature { .. } => Code::Signature,
            ResolveError::Unreachable { .. } => Code::Unreachable,
            ResolveError::NotFound { .. }
            | ResolveError::Unauthorized { .. }
            | ResolveError::Registry { .. }
            | ResolveError::Transport { .. }
            | ResolveError::Config(_) => Code::LookupFailed,
        }
    }
}

/// Kubernetes defaults `imagePullPolicy` to `Always` for `:latest` and untagged references, and to
/// `IfNotPresent` for everything else, `name@digest` included; `name:latest@digest` stays `Always`.
fn pull_policy_note(f: &Found, r: &Reference, style: TagStyle) -> Option<String> {
    let defaults_to_always = r.digest().is_none() && matches!(r.tag(), None | Some("latest"));
    // `--keep-tag` and `--tag-comment` write `nginx:latest@…` / `# nginx:latest` for an untagged `nginx`; only
    // the first keeps `Always` (a comment is not part of the reference).
    let keeps_tag = style == TagStyle::Keep;
    let rewrites_reference = f.candidate.target == Target::Reference;
    (f.candidate.pull_policy_set == Some(false) && defaults_to_always && !keeps_tag && rewrites_reference)
        .then(|| {
            format!(
                "{} sets no imagePullPolicy: pinning changes its default from Always to IfNotPresent",
                r.as_str()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::{Candidate, Kind};
    use crate::settings::{Labels, Setting};

    fn digest(c: char) -> String {
        format!("sha256:{}", c.to_string().repeat(64))
    }

    /// `pin update` with every choice at its default (no waiting period, no platform list).
    fn plain_update() -> Operation {
        Operation::Update {
            children: ChildPins::Warn,
            labels: Labels::Off,
            require_tags: false,
            waiting: crate::settings::Waiting::none(),
            platforms: Setting::default(Vec::new()),
            all_changes: false,
            docker_hub_gets: false,
        }
    }

    /// A file with one reference per line, each `image: VALUE`.
    fn file(values: &[&str], policy: Option<bool>) -> ScannedFile {
        let mut src = String::new();
        let mut refs = Vec::new();
        for (i, v) in values.iter().enumerate() {
            src.push_str("image: ");
            let start = src.len();
            src.push_str(v);
            src.push('\n');
            let candidate = Candidate {
                span: start..start + v.len(),
                value: v.to_string(),
                skip: None,
                pull_policy_set: policy,
                target: Target::Reference,
                artifact: None,
            };
            let status = match Reference::parse(v) {
                Ok(r) if r.digest().is_some() => Status::Pinned(r),
                Ok(r) => Status::Unpinned(r),
                Err(e) => Status::Skipped(Skip::InvalidReference {
                    error: e.to_string(),
                }),
            };
            refs.push(Found {
                candidate,
                line: i + 1,
                column: 8,
                status,
                tag_comment: None,
            });
        }
        ScannedFile {
            path: None,
            display: "f.yaml".into(),
            kind: Kind::Yaml,
            text: Some(src),
            identity: None,
            refs,
            skipped: None,
            declarations: None,
        }
    }

    /// Keeps the new text of a changed file.
    fn new_text(_: &ScannedFile, _: &str, new: &str) -> String {
        new.to_string()
    }

    fn pinning(tag_style: TagStyle) -> Operation {
        Operation::Pin(PinSettings {
            tag_style: Setting::default(Some(tag_style)),
            platform: Setting::default(None),
        })
    }

    fn resolutions(pairs: &[(&str, Result<String, ResolveError>)], op: &Operation) -> Resolutions {
        pairs
            .iter()
            .map(|(r, d)| {
                let r = Reference::parse(r).unwrap();
                let key = match op {
                    Operation::Pin(p) => Key::of(&r, p.platform.as_ref()),
                    _ => Key::update_of(&r).unwrap(),
                };
                let m = d.clone().map(|digest| Manifest {
                    digest,
                    ..Manifest::default()
                });
                (key, m)
            })
            .collect()
    }

    #[test]
    fn pins_in_the_users_spelling_and_notes_pull_policy() {
        let files = [file(&["nginx", "nginx:1.27", "x y"], Some(false))];
        let opts = pinning(TagStyle::Drop);
        let res = resolutions(
            &[("nginx", Ok(digest('a'))), ("nginx:1.27", Ok(digest('b')))],
            &opts,
        );
        let plan = plan(&files, &res, Actions::none(), &opts, None, new_text).unwrap();
        assert_eq!(
            plan.changes[0].kept,
            format!(
                "image: nginx@{}\nimage: nginx@{}\nimage: x y\n",
                digest('a'),
                digest('b')
            )
        );
        let s: Vec<_> = plan.outcomes.iter().map(|o| o.status).collect();
        assert_eq!(
            s,
            [
                OutcomeStatus::Pinned,
                OutcomeStatus::Pinned,
                OutcomeStatus::Skipped
            ]
        );
        assert_eq!(
            plan.outcomes[0].notes().next().map(|d| d.code),
            Some(Code::PullPolicy),
            "untagged: Always → IfNotPresent"
        );
        assert_eq!(plan.outcomes[1].notes().count(), 0);
        let fix = plan.outcomes[1].primary().unwrap();
        assert_eq!(fix.code, Code::Unpinned);
        assert_eq!(
            fix.fix.as_ref().unwrap().replacement,
            format!("nginx@{}", digest('b'))
        );
        assert_eq!(
            plan.outcomes[2].primary().unwrap().code,
            Code::InvalidReference
        );
    }

    #[test]
    fn keep_tag_on_latest_needs_no_note() {
        let files = [file(&["nginx:latest"], Some(false))];
        let opts = pinning(TagStyle::Keep);
        let res = resolutions(&[("nginx:latest", Ok(digest('a')))], &opts);
        let plan = plan(&files, &res, Actions::none(), &opts, None, new_text).unwrap();
        assert_eq!(
            plan.outcomes[0].pinned.as_deref(),
            Some(&*format!("nginx:latest@{}", digest('a')))
        );
        assert_eq!(plan.outcomes[0].notes().count(), 0);
    }

    #[test]
    fn a_failed_lookup_blocks_its_whole_file_only() {
        let files = [file(&["a:1", "b:1"], None), file(&["a:1"], None)];
        let opts = pinning(TagStyle::Drop);
        let res = resolutions(
            &[
                ("a:1", Ok(digest('a'))),
                (
                    "b:1",
                    Err(ResolveError::from(crate::resolve::Missing::Manifest {
                        registry: "docker.io".into(),
                        repository: "library/b".into(),
                        tag: "1".into(),
                    })),
                ),
            ],
            &opts,
        );
        let plan = plan(&files, &res, Actions::none(), &opts, None, new_text).unwrap();
        assert_eq!(plan.changes.len(), 1, "only the second file changes");
        assert!(std::ptr::eq(plan.changes[0].file, &files[1]));
        assert_eq!(plan.errors(), 1);
        assert_eq!(plan.outcomes[0].status, OutcomeStatus::Skipped);
        assert_eq!(plan.outcomes[0].primary().unwrap().code, Code::NotWritten);
        assert_eq!(plan.outcomes[1].primary().unwrap().code, Code::LookupFailed);
    }

    #[test]
    fn update_replaces_moved_digests_and_keeps_the_rest() {
        let moved = format!("a:1@{}", digest('a'));
        let still = format!("b:1@{}", digest('b'));
        let files = [file(
            &[&moved, &still, "c:1", &format!("d@{}", digest('d'))],
            None,
        )];
        let opts = plain_update();
        let res = resolutions(
            &[(&moved, Ok(digest('e'))), (&still, Ok(digest('b')))],
            &opts,
        );
        let plan = plan(&files, &res, Actions::none(), &opts, None, new_text).unwrap();
        let s: Vec<_> = plan.outcomes.iter().map(|o| o.status).collect();
        assert_eq!(
            s,
            [
                OutcomeStatus::Pinned,
                OutcomeStatus::Unchanged,
                OutcomeStatus::Skipped,
                OutcomeStatus::Skipped
            ]
        );
        assert!(plan.changes[0]
            .kept
            .starts_with(&format!("image: a:1@{}\n", digest('e'))));
    }

    #[test]
    fn min_age_holds_a_young_digest_and_applies_an_old_or_gone_one() {
        let pinned = format!("a:1@{}", digest('a'));
        let files = [file(&[&pinned], None)];
        let op = Operation::Update {
            children: ChildPins::Warn,
            labels: Labels::Off,
            require_tags: false,
            waiting: crate::settings::Waiting {
                min_age: Setting::default(259_200),
                ..crate::settings::Waiting::none()
            },
            platforms: Setting::default(Vec::new()),
            all_changes: false,
            docker_hub_gets: false,
        };
        let at = 20_794 * 86_400; // 2026-12-07T00:00:00Z
        let answer = |age: u64, gone: bool| -> Resolutions {
            let seen = Seen {
                at: crate::resolve::seen::rfc3339(at),
                at_seconds: at,
                age_seconds: age,
                source: "first-seen",
            };
            let m = Manifest {
                digest: digest('b'),
                gone,
                seen: Some(seen),
                ..Manifest::default()
            };
            let key = Key::update_of(&Reference::parse(&pinned).unwrap()).unwrap();
            Resolutions::from([(key, Ok(m))])
        };
        let young = plan(
            &files,
            &answer(259_199, false),
            Actions::none(),
            &op,
            None,
            new_text,
        )
        .unwrap();
        assert!(young.changes.is_empty(), "held, not written");
        let o = &young.outcomes[0];
        assert_eq!(o.status, OutcomeStatus::Held);
        assert_eq!(o.primary().unwrap().code, Code::HeldTooYoung);
        assert_eq!(o.previous.as_deref(), Some(&*digest('a')));
        assert_eq!(o.digest.as_deref(), Some(&*digest('b')));
        assert_eq!(
            o.held.as_ref().unwrap().eligible_at.as_deref(),
            Some("2026-12-10T00:00:00Z")
        );
        assert_eq!(
            o.primary().unwrap().message,
            format!(
                "its tag 1 now points at {}, first seen 2026-12-07T00:00:00Z (2d 23h ago); applied once 3d \
                 old, from 2026-12-10T00:00:00Z (--min-age)",
                digest('b')
            )
        );
        let old = plan(
            &files,
            &answer(259_200, false),
            Actions::none(),
            &op,
            None,
            new_text,
        )
        .unwrap();
        assert_eq!(old.outcomes[0].status, OutcomeStatus::Pinned);
        assert_eq!(old.outcomes[0].seen.as_ref().unwrap().age_seconds, 259_200);
        assert_eq!(old.changes.len(), 1);
        let gone = plan(
            &files,
            &answer(0, true),
            Actions::none(),
            &op,
            None,
            new_text,
        )
        .unwrap();
        assert_eq!(
            gone.outcomes[0].status,
            OutcomeStatus::Pinned,
            "a gone pin is not held"
        );
        // No waiting period: the age is not looked at.
        let none = plain_update();
        let at_once = plan(
            &files,
            &answer(0, false),
            Actions::none(),
            &none,
            None,
            new_text,
        )
        .unwrap();
        assert_eq!(at_once.outcomes[0].status, OutcomeStatus::Pinned);
    }

    // Guards the decision on a moved index pin by its platforms' manifests: the same manifests for every
    // required platform is no update (unless `--all-changes`), a required platform missing holds it back
    // (even with `--all-changes`), a changed manifest is an update.
    #[test]
    fn a_moved_index_is_judged_by_the_manifests_of_the_platforms_required() {
        let pinned = format!("a:1@{}", digest('a'));
        let files = [file(&[&pinned], None)];
        let platform = |s: &str| s.parse::<Platform>().unwrap();
        let entries = |list: &[(&str, char)]| -> Vec<(Platform, String)> {
            list.iter()
                .map(|(p, c)| (platform(p), digest(*c)))
                .collect()
        };
        let old = entries(&[("linux/amd64", '1'), ("linux/arm64", '2')]);
        let run = |new: &[(&str, char)], required: &[&str], all_changes: bool| {
            let op = Operation::Update {
                children: ChildPins::Warn,
                labels: Labels::Off,
                require_tags: false,
                platforms: if required.is_empty() {
                    Setting::default(Vec::new())
                } else {
                    Setting::new(
                        required.iter().map(|p| platform(p)).collect(),
                        crate::settings::Origin::Flag("--platforms".into()),
                    )
                },
                all_changes,
                docker_hub_gets: false,
                waiting: crate::settings::Waiting::none(),
            };
            let manifest = Manifest {
                digest: digest('b'),
                children: Some(Children::Compared {
                    old: old.clone(),
                    new: entries(new),
                }),
                ..Manifest::default()
            };
            let key = Key::update_of(&Reference::parse(&pinned).unwrap()).unwrap();
            let resolved: Resolutions = [(key, Ok(manifest))].into_iter().collect();
            let plan = plan(&files, &resolved, Actions::none(), &op, None, new_text).unwrap();
            let o = plan.outcomes[0].clone();
            (o, plan.changes.len())
        };
        let code = |o: &Outcome| o.primary().map(|d| d.code);

        // An attestation added (not among the entries) or another platform: not an update.
        let (o, changed) = run(
            &[
                ("linux/amd64", '1'),
                ("linux/arm64", '2'),
                ("linux/s390x", '3'),
            ],
            &[],
            false,
        );
        assert_eq!(
            (o.status, code(&o), changed),
            (OutcomeStatus::Unchanged, Some(Code::SamePlatforms), 0)
        );
        assert_eq!(o.digest, Some(digest('b')));
        assert_eq!(o.previous, Some(digest('a')));
        assert_eq!(o.held, None);
        assert!(
            o.primary()
                .unwrap()
                .message
                .contains("those of the pinned index"),
            "{o:?}"
        );
        let (o, changed) = run(&[("linux/amd64", '1'), ("linux/arm64", '2')], &[], true);
        assert_eq!(
            (o.status, code(&o), changed),
            (OutcomeStatus::Pinned, Some(Code::TagMoved), 1)
        );

        // arm64 changed: an update by default, none when only amd64 is required.
        let arm_moved = [("linux/amd64", '1'), ("linux/arm64", '9')];
        assert_eq!(run(&arm_moved, &[], false).0.status, OutcomeStatus::Pinned);
        let (o, _) = run(&arm_moved, &["linux/amd64"], false);
        assert_eq!(code(&o), Some(Code::SamePlatforms));
        assert!(
            o.primary().unwrap().message.contains("(--platforms)"),
            "{o:?}"
        );

        // arm64 gone: held back, with or without --all-changes; amd64 alone required: an update.
        let no_arm = [("linux/amd64", '9')];
        for all in [false, true] {
            let (o, changed) = run(&no_arm, &[], all);
            assert_eq!(
                (o.status, code(&o), changed),
                (OutcomeStatus::Held, Some(Code::PlatformHeld), 0)
            );
            assert_eq!(o.primary().unwrap().severity, Severity::Warning);
            assert!(
                o.held
                    .as_ref()
                    .map(|h| h.reason.as_str())
                    .unwrap()
                    .contains("has no linux/arm64 manifest"),
                "{o:?}"
            );
        }
        assert_eq!(
            run(&no_arm, &["linux/amd64"], false).0.status,
            OutcomeStatus::Pinned
        );
    }

    // Guards `pin unpin --from-lock` on bare digest pins: one tag recorded for the digest in its repository is
    // written back (`latest` with a note that the reference may have had none), several are not guessed
    // between (PIN080, naming them), none is a skip; without the lockfile each is a skip that names the flag.
    #[test]
    fn unpin_from_lock_restores_the_one_tag_recorded_and_guesses_none() {
        let (a, b, c) = (digest('a'), digest('b'), digest('c'));
        let values = [
            format!("nginx@{a}"),
            format!("nginx@{b}"),
            format!("nginx@{c}"),
            format!("ghcr.io/x/y@{a}"),
        ];
        let files = [file(&values.each_ref().map(String::as_str), None)];
        let lock = crate::resolve::lock::Lockfile::parse(&format!(
            r#"{{"version": 1, "images": {{
                "docker.io/library/nginx:1.27": {{"digest": "{a}"}},
                "docker.io/library/nginx:1.27.3": {{"digest": "{b}"}},
                "docker.io/library/nginx:stable": {{"digest": "{b}"}},
                "ghcr.io/x/y:latest": {{"digest": "{a}"}}
            }}}}"#
        ))
        .unwrap();
        let tags = lock.tags();
        let unpinned = plan(
            &files,
            &Resolutions::new(),
            Actions::none(),
            &Operation::Unpin,
            Some(&tags),
            new_text,
        )
        .unwrap();
        assert_eq!(
            unpinned.changes[0].kept,
            format!("image: nginx:1.27\nimage: nginx@{b}\nimage: nginx@{c}\nimage: ghcr.io/x/y:latest\n")
        );
        let o = &unpinned.outcomes;
        let code = |i: usize| (o[i].status, o[i].primary().unwrap().code);
        assert_eq!(code(0), (OutcomeStatus::Pinned, Code::Unpin));
        assert_eq!(o[0].pinned.as_deref(), Some("nginx:1.27"));
        assert_eq!(o[0].notes().count(), 0);
        assert_eq!(code(1), (OutcomeStatus::Skipped, Code::AmbiguousTag));
        assert_eq!(
            o[1].primary().unwrap().message,
            "the lockfile records 2 tags of this repository resolving to this digest (1.27.3, stable): \
             none is guessed; write the one meant in place of the digest by hand"
        );
        assert_eq!(o[1].primary().unwrap().severity, Severity::Warning);
        assert_eq!(code(2), (OutcomeStatus::Skipped, Code::NothingToUpdate));
        assert!(
            o[2].primary().unwrap().message.contains("records no tag"),
            "{:?}",
            o[2]
        );
        assert_eq!(code(3), (OutcomeStatus::Pinned, Code::Unpin));
        assert_eq!(
            o[3].notes().map(|d| d.code).collect::<Vec<_>>(),
            [Code::UnpinInexact]
        );

        // Without --from-lock: no tag to restore, and the skip says where one can come from.
        let alone = plan(
            &files,
            &Resolutions::new(),
            Actions::none(),
            &Operation::Unpin,
            None,
            new_text,
        )
        .unwrap();
        assert!(alone.changes.is_empty());
        for o in &alone.outcomes {
            assert_eq!(o.status, OutcomeStatus::Skipped);
            assert!(
                o.primary()
                    .unwrap()
                    .message
                    .contains("`pin unpin --from-lock`"),
                "{o:?}"
            );
        }
    }

    /// One Dockerfile read as `pin` reads it.
    fn dockerfile(src: &str) -> ScannedFile {
        let filters = super::super::scan::Filters::default();
        super::super::scan::read_one(
            None,
            None,
            "Dockerfile",
            Kind::Dockerfile,
            src.into(),
            &filters,
        )
        .unwrap()
    }

    /// The new text of `src` after a run of `op`, each lookup answered with `answer(key)`.
    fn run(src: &str, op: &Operation, answer: impl Fn(&Key) -> String) -> String {
        let files = [dockerfile(src)];
        let resolved: Resolutions = keys(&files, op)
            .into_iter()
            .map(|k| {
                let m = Manifest {
                    digest: answer(&k),
                    ..Manifest::default()
                };
                (k, Ok(m))
            })
            .collect();
        let plan = plan(&files, &resolved, Actions::none(), op, None, new_text).unwrap();
        assert_eq!(plan.errors(), 0);
        plan.changes
            .first()
            .map_or(src.to_string(), |c| c.kept.clone())
    }

    #[test]
    fn a_tag_argument_keeps_its_tag_under_every_style_and_unpins_to_its_bytes() {
        let src = "ARG VARIANT=\"1-bullseye\"\r\nFROM mcr.microsoft.com/devcontainers/rust:${VARIANT}\r\n";
        let pinned = format!(
            "ARG VARIANT=\"1-bullseye@{}\"\r\nFROM mcr.microsoft.com/devcontainers/rust:${{VARIANT}}\r\n",
            digest('a')
        );
        let asked = |k: &Key| {
            assert_eq!(k.repository, "devcontainers/rust");
            assert_eq!(k.tag, "1-bullseye");
            digest('a')
        };
        // The name is on the `FROM` line: the tag stays in the reference whatever the style, and no tag
        // comment is written (the tag is there to read).
        for style in [TagStyle::Drop, TagStyle::Keep, TagStyle::Comment] {
            assert_eq!(run(src, &pinning(style), asked), pinned, "{style:?}");
        }
        // `pin update` follows the tag and replaces the digest after it.
        let update = plain_update();
        let moved = run(&pinned, &update, |k| {
            assert_eq!(
                (k.tag.as_str(), k.current.clone()),
                ("1-bullseye", Some(digest('a')))
            );
            digest('b')
        });
        assert_eq!(moved, pinned.replace(&digest('a'), &digest('b')));
        assert_eq!(
            run(&pinned, &update, |_| digest('a')),
            pinned,
            "nothing moved"
        );
        // `pin unpin` gives back the bytes that were pinned.
        assert_eq!(run(&pinned, &Operation::Unpin, |_| unreachable!()), src);
    }
}
