//! The generic finder's walk, done as the events come: every `image` pair of every mapping, and image
//! volumes, without building the node tree.
//!
//! The rules are those of the module documentation of [`super`]; what a rule needs to know about a mapping
//! (its `name`, `imagePullPolicy`, `tag`, `digest`, `pullPolicy` keys, the key it is the value of, whether it
//! is a volume) is kept in one small frame per open collection, and an `image` value waits in its mapping's
//! frame until the mapping ends, when every sibling key is known. Memory is the source, the frames of the
//! open collections (at most [`super::tree::MAX_DEPTH`]) and the candidates: no node is kept.
//!
//! The walk also notes whether the stream holds a GitOps object ([`crate::formats::gitops::is_object`]): a
//! document root, or an item of a root's `items` (a `List`), whose `apiVersion` and `kind` name one. Only
//! then does [`super::find`] read the file again into a tree for the rules of those objects.

use std::ops::Range;

use super::tree::{self, Node, NodeKind, Sink};
use super::{scalar_value_candidate, CommentFilter, SkipWhen, SKIP_RULES};
use crate::formats::{Candidate, FindError, Findings};

/// The keys a rule looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key {
    Image,
    Reference,
    Volumes,
    ApiVersion,
    Kind,
    Items,
    /// The key of a `SkipWhen::Under` rule, by its index in [`SKIP_RULES`].
    Rule(usize),
    /// Any other key, or a key that is not a scalar.
    Other,
}

/// Keys whose presence a rule asks about, as bits of [`Map::has`]: these, then the `Beside` key of each of
/// [`SKIP_RULES`] (bit `PRESENCE.len() + rule index`).
const PRESENCE: [&str; 3] = ["name", "imagePullPolicy", "pullPolicy"];
const NAME: u16 = 1;
const IMAGE_PULL_POLICY: u16 = 2;
const PULL_POLICY: u16 = 4;
const _: () = assert!(PRESENCE.len() + SKIP_RULES.len() <= 16);

/// The bits of [`Map::has`] that the key `key` sets.
fn presence(key: &str) -> u16 {
    let own = PRESENCE
        .iter()
        .enumerate()
        .filter(|(_, k)| **k == key)
        .fold(0, |bits, (i, _)| bits | 1 << i);
    SKIP_RULES
        .iter()
        .enumerate()
        .filter(|(_, rule)| matches!(rule.when, SkipWhen::Beside(k) if k == key))
        .fold(own, |bits, (i, _)| bits | 1 << (PRESENCE.len() + i))
}

#[derive(Debug)]
struct Map {
    has: u16,
    /// The key whose value comes next, or `None` when a key comes next.
    key: Option<Key>,
    /// The key this mapping is the value of.
    under: Key,
    /// An item of a sequence that is the value of a `volumes` key.
    volume: bool,
    /// The value of `image` in such a volume: its `reference` is the candidate.
    image_volume: bool,
    /// Where this mapping's waiting candidates start in [`Images::waiting`].
    first_waiting: usize,
    /// A document root or an item of a root's `items`: its `apiVersion` and `kind`, once read.
    object: Option<Box<Object>>,
}

/// What an object mapping says it is.
#[derive(Debug, Default)]
struct Object {
    api_version: Option<String>,
    kind: Option<String>,
}

#[derive(Debug)]
enum Frame {
    Map(Map),
    Seq(Seq),
}

/// What a sequence is the value of.
#[derive(Clone, Copy, Debug)]
struct Seq {
    /// A `volumes` key.
    volumes: bool,
    /// The `items` key of a document root: its items may be objects.
    objects: bool,
}

/// A candidate waiting for its mapping to end: an `image` value, or an image volume's `reference`.
#[derive(Debug)]
struct Waiting {
    candidate: Candidate,
    reference: bool,
}

struct Images {
    stack: Vec<Frame>,
    waiting: Vec<Waiting>,
    found: Vec<Candidate>,
    comments: CommentFilter,
    /// An object whose `apiVersion` and `kind` name a GitOps object was read.
    gitops: bool,
}

/// Finds the `image` values of a YAML stream: the generic walk of [`super::find`].
#[cfg(test)]
pub(super) fn find(src: &str) -> Result<Findings, FindError> {
    find_noting_objects(src).map(|(findings, _)| findings)
}

/// Finds the `image` values of a YAML stream, and says whether it holds a GitOps object.
pub(super) fn find_noting_objects(src: &str) -> Result<(Findings, bool), FindError> {
    let new = || Images {
        stack: Vec::new(),
        waiting: Vec::new(),
        found: Vec::new(),
        comments: CommentFilter::new(src),
        gitops: false,
    };
    let Some(images) = tree::read(src, new)? else {
        return Ok((super::template_skip(), false));
    };
    let findings = Findings {
        candidates: super::in_file_order(images.found),
        skipped: None,
        ignore_comments: images.comments.finish(),
    };
    Ok((findings, images.gitops))
}

/// Where a node stands: what its parent learns from it.
enum Place {
    /// A mapping key.
    Key,
    /// The value of `key` in the innermost mapping.
    Value(Key),
    /// An item of a sequence.
    Item(Seq),
    Root,
}

impl Images {
    /// Takes the next node's place in its parent: a key (recording which), or a value.
    fn place(&mut self, key_text: Option<&str>) -> Place {
        match self.stack.last_mut() {
            None => Place::Root,
            Some(Frame::Seq(seq)) => Place::Item(*seq),
            Some(Frame::Map(map)) => match map.key.take() {
                Some(key) => Place::Value(key),
                None => {
                    let key = match key_text {
                        Some("image") => Key::Image,
                        Some("reference") => Key::Reference,
                        Some("volumes") => Key::Volumes,
                        Some("apiVersion") => Key::ApiVersion,
                        Some("kind") => Key::Kind,
                        Some("items") => Key::Items,
                        Some(text) => SKIP_RULES
                            .iter()
                            .position(|r| matches!(r.when, SkipWhen::Under(k) if k == text))
                            .map_or(Key::Other, Key::Rule),
                        None => Key::Other,
                    };
                    map.has |= key_text.map_or(0, presence);
                    map.key = Some(key);
                    Place::Key
                }
            },
        }
    }

    /// The innermost mapping, when it is the value of `image` in a volume.
    fn in_image_volume(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map(m)) if m.image_volume)
    }

    /// A `reference` value of an image volume: only the last one counts, whatever it is.
    fn reference(&mut self, candidate: Option<Candidate>) {
        let Some(Frame::Map(map)) = self.stack.last() else {
            return;
        };
        let first = map.first_waiting;
        let mut i = first;
        while i < self.waiting.len() {
            if self.waiting[i].reference {
                self.waiting.remove(i);
            } else {
                i += 1;
            }
        }
        if let Some(candidate) = candidate {
            self.waiting.push(Waiting {
                candidate,
                reference: true,
            });
        }
    }
}

impl Sink for Images {
    fn leaf(&mut self, node: Node, _anchor: usize) {
        let NodeKind::Scalar(scalar) = node.kind else {
            return;
        };
        self.comments.scalar(&scalar);
        match self.place(Some(&scalar.value)) {
            Place::Value(Key::Image) => {
                if let Some(candidate) = scalar_value_candidate(&scalar) {
                    self.waiting.push(Waiting {
                        candidate,
                        reference: false,
                    });
                }
            }
            Place::Value(Key::Reference) if self.in_image_volume() => {
                self.reference(scalar_value_candidate(&scalar));
            }
            Place::Value(key @ (Key::ApiVersion | Key::Kind)) => {
                if let Some(Frame::Map(Map {
                    object: Some(object),
                    ..
                })) = self.stack.last_mut()
                {
                    let value = Some(scalar.value);
                    match key {
                        Key::ApiVersion => object.api_version = value,
                        _ => object.kind = value,
                    }
                }
            }
            _ => {}
        }
    }

    fn alias(&mut self, _span: Range<usize>, _name: String, _anchor: usize) {
        // An alias is never an `image` value nor a key named `image`; as a `reference` it replaces an
        // earlier one with nothing.
        if let Place::Value(Key::Reference) = self.place(None) {
            if self.in_image_volume() {
                self.reference(None);
            }
        }
    }

    fn open(&mut self, node: Node, _anchor: usize) {
        let mapping = matches!(node.kind, NodeKind::Mapping(_));
        let in_volume = matches!(self.stack.last(), Some(Frame::Map(m)) if m.volume);
        let in_root = self.stack.len() == 1;
        let place = self.place(None);
        if let Place::Value(Key::Reference) = place {
            if self.in_image_volume() {
                self.reference(None);
            }
        }
        let frame = if mapping {
            let (under, volume, object) = match place {
                Place::Value(key) => (key, false, false),
                Place::Item(seq) => (Key::Other, seq.volumes, seq.objects),
                Place::Root => (Key::Other, false, true),
                Place::Key => (Key::Other, false, false),
            };
            Frame::Map(Map {
                has: 0,
                key: None,
                under,
                volume,
                image_volume: in_volume && under == Key::Image,
                first_waiting: self.waiting.len(),
                object: object.then(Box::default),
            })
        } else {
            Frame::Seq(Seq {
                volumes: matches!(place, Place::Value(Key::Volumes)),
                objects: in_root && matches!(place, Place::Value(Key::Items)),
            })
        };
        self.stack.push(frame);
    }

    fn close(&mut self, _end: usize) {
        let Some(Frame::Map(map)) = self.stack.pop() else {
            return;
        };
        if let Some(object) = &map.object {
            if let (Some(api_version), Some(kind)) = (&object.api_version, &object.kind) {
                self.gitops |= crate::formats::gitops::is_object(api_version, kind);
            }
        }
        let has = |bit: u16| map.has & bit != 0;
        for Waiting {
            mut candidate,
            reference,
        } in self.waiting.drain(map.first_waiting..)
        {
            if reference {
                candidate.pull_policy_set = Some(has(PULL_POLICY));
                if candidate.skip.is_none() && candidate.value.is_empty() {
                    candidate.skip = Some(crate::formats::SkipReason::Empty);
                }
            } else {
                candidate.pull_policy_set = has(NAME).then(|| has(IMAGE_PULL_POLICY));
                let rule = SKIP_RULES
                    .iter()
                    .enumerate()
                    .find(|(i, rule)| match rule.when {
                        SkipWhen::Under(_) => map.under == Key::Rule(*i),
                        SkipWhen::Value(v) => candidate.value == v,
                        SkipWhen::Beside(_) => has(1 << (PRESENCE.len() + i)),
                    });
                let rule = rule.map(|(_, rule)| rule);
                if let Some(rule) = rule {
                    candidate.skip = Some(rule.reason.clone());
                }
            }
            self.found.push(candidate);
        }
    }
}
