//! A YAML stream read into a small tree of nodes with byte spans: the layer every YAML finder walks.
//!
//! [`parse`] reads a stream with `saphyr-parser` and builds a [`Tree`]: one root node per document, and
//! for each node its kind ([`Scalar`], [`Mapping`] with its key/value pairs in order, [`Sequence`],
//! [`Alias`]), its byte span, its anchor name and its tag. A scalar also carries the exact byte range of
//! its text ([`Scalar::text`]: inside the quotes, after any properties, a block scalar's content line) and
//! whether those bytes are exactly its value ([`Scalar::differs`]), so a finder can hand out spans that
//! are safe to rewrite.
//!
//! # Rules kept from the original event walk
//!
//! * Positions from the parser count characters; they are mapped to bytes through the source (a BOM is
//!   one character there, three bytes here).
//! * Reading stops at the first parser error: the stream is then a [`FindError`] at that byte offset
//!   (once the leniencies of [`read`] have had their try), unless its text holds a template action
//!   `{{ … }}` outside comments, in which case [`parse`] answers [`Parsed::Template`] (a Helm template is
//!   not YAML until rendered). A stream that parses but where the parser read a `{{` as structure (a flow
//!   mapping whose first key is another flow mapping) is a template too. A stream that parses otherwise is
//!   YAML, whatever its comments hold: a values file documenting `{{ include … }}` in its comments is read.
//! * A bound on the number of events guards against a parser that would stop making progress.
//!
//! # Not interpreted here
//!
//! Merge keys (`<<`) are plain keys in the tree; [`Tree::entries`] applies them when asked. Aliases are
//! nodes of their own that point at the anchored node ([`Tree::resolve`]); nothing is copied, so a
//! stream of nested aliases stays linear in size. Tags are recorded, never applied: `!!str 1` is the
//! scalar `1`, `!reference [a, b]` a sequence.

use std::collections::{HashMap, HashSet};
use std::ops::{Index, Range};

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError};

use crate::formats::FindError;

/// The reason given for a file passed over as a template.
pub const HELM_TEMPLATE: &str = "Helm template (contains {{ }}); not YAML";

/// How deep [`Tree::entries`] follows merge keys into merged mappings that merge again.
const MERGE_DEPTH: usize = 16;

/// The outcome of [`parse`].
#[derive(Debug)]
pub enum Parsed {
    Tree(Tree),
    /// A Helm template: not read (see the module documentation).
    Template,
}

/// The nodes of a YAML stream.
#[derive(Debug, Default)]
pub struct Tree {
    nodes: Vec<Node>,
    /// For each node: the collection holding it, and its key when it is a mapping value.
    links: Vec<Link>,
    documents: Vec<NodeId>,
    /// What [`Mapping::hidden`] hashes keys with ([`Tree::hash`]).
    hasher: std::collections::hash_map::RandomState,
}

/// Where a node of a [`Tree`] is: the collection holding it and its key. Two `u32` rather than two
/// `Option<NodeId>` (8 bytes a node, not 32).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Link {
    parent: Slot,
    key: Slot,
}

/// An optional [`NodeId`] in 4 bytes: 0 for none, else the id plus one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Slot(u32);

impl Slot {
    fn of(id: NodeId) -> Slot {
        // A tree of 2^32 nodes would take over 350 GB of nodes before this: memory runs out first.
        Slot(u32::try_from(id.0 + 1).expect("fewer than 2^32 nodes"))
    }

    fn get(self) -> Option<NodeId> {
        (self.0 > 0).then(|| NodeId(self.0 as usize - 1))
    }
}

/// A node of a [`Tree`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(usize);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub kind: NodeKind,
    /// The node's bytes: from its properties (`&anchor`, `!tag`), if any, to the end of its text (the
    /// closing quote; a block scalar's last content line; a flow collection's `}` / `]`; a block
    /// collection's last entry). An empty (null) scalar has an empty span where its value would be.
    pub span: Range<usize>,
    /// The node's anchor and tag, if it has either ([`Node::anchor`], [`Node::tag`]). Boxed: most nodes have
    /// neither, and a tree of a large file holds hundreds of thousands of nodes (a node is 88 bytes, not 128).
    pub properties: Option<Box<Properties>>,
}

/// The properties of a [`Node`] that has any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Properties {
    /// The name of the node's anchor (`&name`), if it has one.
    pub anchor: Option<String>,
    /// The node's tag as written, with a shorthand handle expanded: `!reference`,
    /// `tag:yaml.org,2002:str` for `!!str`.
    pub tag: Option<String>,
}

impl Properties {
    /// `None` when there is neither an anchor nor a tag.
    pub fn boxed(anchor: Option<String>, tag: Option<String>) -> Option<Box<Properties>> {
        (anchor.is_some() || tag.is_some()).then(|| Box::new(Properties { anchor, tag }))
    }
}

impl Node {
    /// The name of the node's anchor (`&name`), if it has one.
    pub fn anchor(&self) -> Option<&str> {
        self.properties.as_ref()?.anchor.as_deref()
    }

    /// The node's tag as written, with a shorthand handle expanded: `!reference`,
    /// `tag:yaml.org,2002:str` for `!!str`.
    pub fn tag(&self) -> Option<&str> {
        self.properties.as_ref()?.tag.as_deref()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeKind {
    Scalar(Scalar),
    Mapping(Mapping),
    Sequence(Sequence),
    Alias(Alias),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scalar {
    /// The value as YAML reads it (escapes applied, lines folded).
    pub value: String,
    pub style: ScalarStyle,
    /// The bytes that state the value: inside the quotes of a quoted scalar, after any properties, and
    /// for a block scalar its content lines without indentation.
    pub text: Range<usize>,
    /// Why the bytes of `text` are not exactly `value` (escapes, `''`, a line break, a folded or
    /// multi-line block scalar, block chomping that adds a line break): nothing may be rewritten there.
    pub differs: Option<&'static str>,
}

impl Scalar {
    /// A plain `~`, `null` (any usual case) or nothing: YAML's null.
    pub fn is_null(&self) -> bool {
        is_plain_null(&self.value, self.style)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mapping {
    /// `{ … }` rather than indented lines.
    pub flow: bool,
    /// Key and value nodes in the order written (merge keys included, duplicate keys kept).
    pub pairs: Vec<(NodeId, NodeId)>,
    /// In a tree of what a finder reads ([`Reads`]), of a mapping that takes part in merges (that merges,
    /// or is merged): the hashes ([`Tree::hash`]) of the scalar keys of its pairs that were dropped, which
    /// hide what later merges bring as the pairs themselves would ([`Tree::entries`]).
    pub hidden: Box<[u64]>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sequence {
    /// `[ … ]` rather than `- ` lines.
    pub flow: bool,
    pub items: Vec<NodeId>,
}

/// An alias (`*name`; the name is the text of its span).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alias {
    /// The anchored node (the parser rejects aliases of unknown anchors).
    pub target: NodeId,
}

impl Index<NodeId> for Tree {
    type Output = Node;
    fn index(&self, id: NodeId) -> &Node {
        &self.nodes[id.0]
    }
}

impl Tree {
    /// The root node of each document, in order. An empty document has an empty null scalar as its root.
    pub fn documents(&self) -> &[NodeId] {
        &self.documents
    }

    /// The roots of the documents that are mappings: where every kind-specific finder starts.
    pub fn mapping_documents(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.documents
            .iter()
            .copied()
            .filter(|&root| self.mapping(root).is_some())
    }

    /// The values of the mapping that `key` of `map` holds which are themselves mappings (through aliases
    /// and merge keys): compose services, workflow jobs.
    pub fn mappings_under(&self, map: NodeId, key: &str) -> Vec<NodeId> {
        self.mapping_at(map, key)
            .map(|m| {
                self.entries(m)
                    .into_iter()
                    .map(|(_, v)| self.resolve(v))
                    .filter(|&v| self.mapping(v).is_some())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The node an alias stands for; any other node itself.
    pub fn resolve(&self, id: NodeId) -> NodeId {
        match &self[id].kind {
            NodeKind::Alias(alias) => alias.target,
            _ => id,
        }
    }

    /// The node as a scalar (aliases are not followed).
    pub fn scalar(&self, id: NodeId) -> Option<&Scalar> {
        match &self[id].kind {
            NodeKind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The value of a scalar node (aliases are not followed).
    pub fn str(&self, id: NodeId) -> Option<&str> {
        self.scalar(id).map(|s| s.value.as_str())
    }

    /// The node as a mapping (aliases are not followed).
    pub fn mapping(&self, id: NodeId) -> Option<&Mapping> {
        match &self[id].kind {
            NodeKind::Mapping(m) => Some(m),
            _ => None,
        }
    }

    /// The node as a sequence (aliases are not followed).
    pub fn sequence(&self, id: NodeId) -> Option<&Sequence> {
        match &self[id].kind {
            NodeKind::Sequence(s) => Some(s),
            _ => None,
        }
    }

    /// A mapping's pairs as written (none for other nodes).
    pub fn pairs(&self, id: NodeId) -> &[(NodeId, NodeId)] {
        self.mapping(id).map_or(&[], |m| &m.pairs)
    }

    /// A sequence's items (none for other nodes).
    pub fn items(&self, id: NodeId) -> &[NodeId] {
        self.sequence(id).map_or(&[], |s| &s.items)
    }

    /// Whether the key node is the scalar `key` (any quoting; an alias key never is).
    pub fn is_key(&self, id: NodeId, key: &str) -> bool {
        self.str(id) == Some(key)
    }

    /// The value of `key` among the mapping's own pairs (the last one if the key is repeated), merge
    /// keys not applied.
    pub fn get(&self, map: NodeId, key: &str) -> Option<NodeId> {
        self.pairs(map)
            .iter()
            .rev()
            .find(|(k, _)| self.is_key(*k, key))
            .map(|&(_, v)| v)
    }

    /// A mapping's effective pairs with merge keys applied: its own pairs but `<<` (for a repeated key,
    /// the last), then the pairs of the merged mappings (`<<: *a`, `<<: [*a, *b]`, `<<: {…}`, earlier
    /// ones first, recursively) whose keys are not already there. Keys that are not scalars are kept
    /// as written. An alias in the mapping itself resolves to the aliased mapping.
    pub fn entries(&self, map: NodeId) -> Vec<(NodeId, NodeId)> {
        let mut out = Vec::new();
        let mut known = Known::default();
        let mut merged = Vec::new();
        self.collect_entries(self.resolve(map), &mut out, &mut known, &mut merged, 0);
        out
    }

    /// The hash a dropped key is remembered by ([`Tree::hidden`]).
    fn hash(&self, key: &str) -> u64 {
        std::hash::BuildHasher::hash_one(&self.hasher, key)
    }

    /// Adds the effective pairs of `map` not yet in `out`. `known`: the scalar keys in `out`, and those of
    /// pairs dropped from the tree (by hash). `merged`: the mappings already merged, each merged once
    /// (against cycles and exponential merge chains). Linear in the pairs (a big mapping is common: every
    /// job of a CI file, every service).
    fn collect_entries<'t>(
        &'t self,
        map: NodeId,
        out: &mut Vec<(NodeId, NodeId)>,
        known: &mut Known<'t>,
        merged: &mut Vec<NodeId>,
        depth: usize,
    ) {
        merged.push(map);
        let own = self.pairs(map);
        // Where each scalar key is last written: an earlier pair with that key is hidden.
        let mut last: HashMap<&str, usize> = HashMap::new();
        for (i, &(k, _)) in own.iter().enumerate() {
            if let Some(key) = self.str(k) {
                last.insert(key, i);
            }
        }
        let mut merges = Vec::new();
        for (i, &(k, v)) in own.iter().enumerate() {
            if self.is_key(k, "<<") {
                merges.push(v);
                continue;
            }
            match self.str(k) {
                Some(key) => {
                    let hidden = depth > 0
                        && !known.dropped.is_empty()
                        && known.dropped.contains(&self.hash(key));
                    if last.get(key) == Some(&i) && !hidden && known.keys.insert(key) {
                        out.push((k, v));
                    }
                }
                None => out.push((k, v)),
            }
        }
        // The pairs dropped from this mapping were its own too: they hide what its merges bring.
        if let Some(m) = self.mapping(map) {
            known.dropped.extend(m.hidden.iter());
        }
        if depth >= MERGE_DEPTH {
            return;
        }
        for merge in merges {
            let merge = self.resolve(merge);
            let sources: Vec<NodeId> = match &self[merge].kind {
                NodeKind::Sequence(s) => s.items.iter().map(|&i| self.resolve(i)).collect(),
                _ => vec![merge],
            };
            for source in sources {
                if self.mapping(source).is_some() && !merged.contains(&source) {
                    self.collect_entries(source, out, known, merged, depth + 1);
                }
            }
        }
    }

    /// The value of `key` among the mapping's effective pairs ([`Tree::entries`]).
    pub fn lookup(&self, map: NodeId, key: &str) -> Option<NodeId> {
        self.entries(map)
            .into_iter()
            .find(|&(k, _)| self.is_key(k, key))
            .map(|(_, v)| v)
    }

    /// The value of `key` of `map` ([`Tree::lookup`]), through an alias.
    pub fn value_at(&self, map: NodeId, key: &str) -> Option<NodeId> {
        self.lookup(map, key).map(|v| self.resolve(v))
    }

    /// The non-null scalar value of `key` of `map`, through an alias.
    pub fn text_at(&self, map: NodeId, key: &str) -> Option<&str> {
        let scalar = self.scalar(self.value_at(map, key)?)?;
        (!scalar.is_null()).then_some(scalar.value.as_str())
    }

    /// The mappings among the items of the sequence that `key` of `map` holds, each through an alias.
    pub fn mappings_at(&self, map: NodeId, key: &str) -> Vec<NodeId> {
        let Some(seq) = self.value_at(map, key) else {
            return Vec::new();
        };
        self.items(seq)
            .iter()
            .map(|&i| self.resolve(i))
            .filter(|&i| self.mapping(i).is_some())
            .collect()
    }

    /// The mapping that `key` of `map` holds (through an alias), if it holds one.
    pub fn mapping_at(&self, map: NodeId, key: &str) -> Option<NodeId> {
        let value = self.resolve(self.lookup(map, key)?);
        self.mapping(value).map(|_| value)
    }

    /// Every node in document order (keys before their values), each once; aliases are not followed.
    pub fn walk(&self) -> impl Iterator<Item = NodeId> + '_ {
        // Nodes are numbered in the order their events come, which is document order.
        (0..self.nodes.len()).map(NodeId)
    }

    /// The node and every node inside it (keys, values, items, at any depth), in document order; aliases
    /// are not followed.
    pub fn subtree(&self, top: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        (top.0..self.nodes.len())
            .map(NodeId)
            .take_while(move |&id| id == top || self.is_inside(id, top))
    }

    /// Whether `top` holds `id` (at any depth).
    pub fn is_inside(&self, id: NodeId, top: NodeId) -> bool {
        let mut at = id;
        while let Some(parent) = self.parent(at) {
            if parent == top {
                return true;
            }
            at = parent;
        }
        false
    }

    /// The mapping or sequence holding the node (`None` for a document root).
    pub fn parent(&self, id: NodeId) -> Option<NodeId> {
        self.links[id.0].parent.get()
    }

    /// The key node, when the node is the value of a mapping pair.
    pub fn key_of(&self, id: NodeId) -> Option<NodeId> {
        self.links[id.0].key.get()
    }

    /// The scalar key the node is the value of (`None` for keys, items, roots, and values of
    /// non-scalar keys).
    pub fn key_str(&self, id: NodeId) -> Option<&str> {
        self.key_of(id).and_then(|k| self.str(k))
    }

    fn add(&mut self, node: Node) -> NodeId {
        self.nodes.push(node);
        self.links.push(Link::default());
        NodeId(self.nodes.len() - 1)
    }

    /// How many nodes the tree holds.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }
}

/// The keys [`Tree::collect_entries`] has met: those of the pairs taken, and the hashes of the keys of
/// pairs dropped from the tree.
#[derive(Default)]
struct Known<'t> {
    keys: HashSet<&'t str>,
    dropped: HashSet<u64>,
}

/// Reads a YAML stream into a [`Tree`]. See the module documentation.
///
/// One leniency, because the YAML readers behind Docker Compose and kubectl (libyaml and its Go port) have it
/// and real files rely on it: a flow collection whose closing `]` or `}` stands alone at its key's indentation
/// (strict YAML 1.2 wants it indented further). On such an error the bracket is moved, in a copy, to just before
/// the preceding line break: the same bytes in the same number, so every offset into the copy is an offset into
/// `src`, and no scalar changes.
pub fn parse(src: &str) -> Result<Parsed, FindError> {
    Ok(match read_for(src, None)? {
        Some((tree, _)) => Parsed::Tree(tree),
        None => Parsed::Template,
    })
}

/// Reads a YAML stream into a [`Sink`] made by `new`, with the rules of [`parse`] (template, errors, the
/// lenient closing bracket, the nesting bound): the filled sink, or `None` for a Helm template. A sink that
/// keeps only what it needs reads a stream in memory bounded by its nesting and its findings.
///
/// A quoted scalar continued on lines left of its block, which libyaml reads, is read as libyaml reads it
/// ([`super::quoted`]).
pub(crate) fn read<S: Sink>(src: &str, new: impl Fn() -> S) -> Result<Option<S>, FindError> {
    let first = read_lifting(src, &new);
    let read = match &first {
        Err(e) if super::quoted::may_help(e) => super::quoted::read(src, e, &new).unwrap_or(first),
        _ => first,
    };
    match read {
        // What YAML cannot read, with a template action in its text (not in a comment): a Helm template.
        Err(_) if has_template_outside_comments(src) => Ok(None),
        read => read,
    }
}

/// [`read`] without the quoted-scalar leniency.
pub(super) fn read_lifting<S: Sink>(
    src: &str,
    new: &dyn Fn() -> S,
) -> Result<Option<S>, FindError> {
    let first = read_exact(src, new(), None);
    let Err(original) = &first else {
        return first;
    };
    let mut text = src.to_owned();
    let mut at = original.offset;
    for _ in 0..64 {
        let Some((lifted, moved)) = lift_closing_bracket(&text, at) else {
            break;
        };
        let mut in_a_scalar = false;
        match read_exact(&lifted, new(), Some((&moved, &mut in_a_scalar))) {
            // The bracket must have closed a collection, not become part of a scalar (a plain scalar
            // before a line `]stage: x` would read `…]`): then the scalar's text would not be in `src`.
            Ok(Some(_)) if in_a_scalar => break,
            Ok(read) => return Ok(read),
            // Another such bracket further on: lift that one too.
            Err(e) if e.offset > at => {
                text = lifted;
                at = e.offset;
            }
            Err(_) => break,
        }
    }
    first
}

/// What [`read`] hands each node to, in document order (keys before their values, a collection's
/// [`Sink::open`] before its children and [`Sink::close`] after them).
pub(crate) trait Sink {
    /// A scalar, with the parser's anchor id (0: none).
    fn leaf(&mut self, node: Node, anchor: usize);
    /// An alias `*name` at `span` of the anchor with the parser's id `anchor`.
    fn alias(&mut self, span: Range<usize>, name: String, anchor: usize);
    /// A mapping or sequence starts (its children follow).
    fn open(&mut self, node: Node, anchor: usize);
    /// The innermost open collection ends; `end` is where a flow collection's `}` / `]` ends.
    fn close(&mut self, end: usize);
}

/// `text` with the lone `]` or `}` that starts the line holding `offset` moved before the previous line
/// break, and the range of bytes that moved; `None` when that line is not such a line or the previous line
/// has a comment (the bracket would land inside it).
fn lift_closing_bracket(text: &str, offset: usize) -> Option<(String, Range<usize>)> {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n')? + 1;
    let indent = text[line_start..].len() - text[line_start..].trim_start_matches(' ').len();
    let bracket = line_start + indent;
    if !matches!(text.as_bytes().get(bracket), Some(b']' | b'}')) {
        return None;
    }
    let break_start = if text[..line_start - 1].ends_with('\r') {
        line_start - 2
    } else {
        line_start - 1
    };
    let prev_start = text[..break_start].rfind('\n').map_or(0, |i| i + 1);
    if text[prev_start..break_start].contains('#')
        || text[prev_start..break_start].trim().is_empty()
    {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..break_start]);
    out.push_str(&text[bracket..=bracket]);
    out.push_str(&text[break_start..bracket]);
    out.push_str(&text[bracket + 1..]);
    Some((out, break_start..bracket + 1))
}

/// How deep collections may nest. The parser keeps state for every open level (about 150 bytes each), so a
/// file of nothing but `- - - …` would take many times its size; no real file comes near this.
pub const MAX_DEPTH: usize = 10_000;

/// One reading of `src`. `moved`: the bytes a lifted bracket was moved across, and a flag set when some
/// scalar's text overlaps them.
fn read_exact<S: Sink>(
    src: &str,
    mut sink: S,
    mut moved: Option<(&Range<usize>, &mut bool)>,
) -> Result<Option<S>, FindError> {
    let mut starts = CharCursor::new(src);
    let mut ends = CharCursor::new(src);
    let has_template = contains_template_action(src);
    let mut depth = 0usize;
    // Bound on events, against a parser that would stop making progress: every event but a few per
    // document stems from at least one token, and every token but a few per node consumes a character.
    let budget = src.len().saturating_mul(8).saturating_add(64);

    for (count, item) in Parser::new_from_str(src).enumerate() {
        if count > budget {
            return Err(FindError {
                offset: src.len(),
                message: "YAML parser made no progress".to_owned(),
            });
        }
        let (event, span) = match item {
            Ok(ok) => ok,
            Err(err) => return Err(scan_error(&mut starts, &err)),
        };
        let start = starts.byte(span.start.index());
        let end = ends.byte(span.end.index()).max(start);
        let is_mapping = matches!(event, Event::MappingStart(..));
        match event {
            Event::StreamEnd => break,
            Event::Scalar(value, style, anchor, tag) => {
                let properties = anchor > 0 || tag.is_some();
                let (text, differs) = locate(src, start..end, style, &value, properties);
                if let Some((moved, hit)) = &mut moved {
                    **hit |= text.start < moved.end && moved.start < text.end;
                }
                let node_end = scalar_end(src, style, &text, differs, end);
                let node = Node {
                    kind: NodeKind::Scalar(Scalar {
                        value: value.into_owned(),
                        style,
                        text,
                        differs,
                    }),
                    span: start..node_end,
                    properties: Properties::boxed(
                        anchor_name(src, start, end, anchor),
                        tag.map(|t| format!("{}{}", t.handle, t.suffix)),
                    ),
                };
                sink.leaf(node, anchor);
            }
            Event::Alias(id) => {
                let name = src[start..end].trim_start_matches('*').to_owned();
                sink.alias(start..end, name, id);
            }
            Event::MappingStart(anchor, tag) | Event::SequenceStart(anchor, tag) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(FindError {
                        offset: start,
                        message: format!("collections nested deeper than {MAX_DEPTH} levels"),
                    });
                }
                let bracket = if is_mapping { b'{' } else { b'[' };
                // A flow collection's span ends just after its `{` / `[`.
                let flow = end > start && src.as_bytes()[end - 1] == bracket;
                let opens_with_braces =
                    is_mapping && flow && src.as_bytes().get(end - 1..end + 1) == Some(b"{{");
                if has_template && opens_with_braces {
                    return Ok(None);
                }
                let kind = if is_mapping {
                    NodeKind::Mapping(Mapping {
                        flow,
                        ..Mapping::default()
                    })
                } else {
                    NodeKind::Sequence(Sequence {
                        flow,
                        items: Vec::new(),
                    })
                };
                let node = Node {
                    kind,
                    span: start..end,
                    properties: Properties::boxed(
                        anchor_name(src, start, end, anchor),
                        tag.map(|t| format!("{}{}", t.handle, t.suffix)),
                    ),
                };
                sink.open(node, anchor);
            }
            Event::MappingEnd | Event::SequenceEnd => {
                depth = depth.saturating_sub(1);
                // A flow collection's end event starts at its `}` / `]` and may run on over blanks
                // and a comment.
                let closing = matches!(src.as_bytes().get(start), Some(b'}' | b']'));
                sink.close(if closing { start + 1 } else { end });
            }
            Event::Nothing | Event::StreamStart | Event::DocumentStart(_) | Event::DocumentEnd => {}
        }
    }
    for _ in 0..depth {
        sink.close(src.len());
    }
    Ok(Some(sink))
}

/// What a finder reads of a tree, so that the tree [`read_for`] builds keeps only that: the nodes on the
/// way to those keys, and nothing the finder would pass over. A finder that reads a key not named here
/// would find it missing, so every key a finder looks up by name belongs in one of the two lists.
///
/// What is kept: the document roots; every pair whose key is in `whole` or `keys`; everything inside the
/// value of a `whole` key; every node with an anchor and every alias; a merge key (`<<`) that brings a kept
/// pair, with every mapping it names inline; a pair whose key repeats an earlier kept pair's key in the same
/// mapping (the later one wins a lookup); and every collection holding something kept, with its key. What
/// an anchored collection holds is kept by these same rules, unless an alias of it stands where all is
/// read (the value of a `whole` key, or inside one, or a merge key naming a list of mappings): then all of
/// it, which takes a second reading when the alias comes after the anchor was read (it always does), or a
/// third when one such anchor holds an alias of another (the first reading records which anchors hold
/// which). Spans of kept nodes are as in the whole tree.
///
/// Merges see the keys a mapping had: of a mapping that merges (from its first kept merge key on) or is
/// merged (an anchored one, or one a merge key names inline), the keys of dropped pairs are remembered, by
/// hash, and hide the merged pairs they would hide ([`Tree::entries`]). A mapping whose kept merge key
/// comes after a pair it dropped is read again, remembering its keys from its start. A merge key that
/// brings nothing kept is dropped, unless its mappings dropped keys that could hide what a later merge key
/// of a mapping remembering its keys brings.
///
/// So a tree of what a finder reads holds the nodes on the way to what it reads, and its anchors, but
/// not what they hold that nothing reads: an anchored flow sequence of thousands of items that no alias
/// reads as a whole costs one node; a merge key per service of an anchor that holds no image costs
/// nothing, and of one that holds an image, two nodes and eight bytes per pair the service drops.
#[derive(Clone, Copy, Debug)]
pub struct Reads {
    /// Keys whose values are read as a whole (`image`, `build`): kept with everything in them.
    pub whole: &'static [&'static str],
    /// Keys looked up on the way (`services`, `jobs`, `steps`): kept wherever they are; what their
    /// values hold is kept by the same rules as the rest.
    pub keys: &'static [&'static str],
    /// Other keys read as a whole: those this says yes to (`gitImage`, any key ending in `image`).
    pub whole_if: Option<fn(&str) -> bool>,
}

impl Reads {
    fn names(&self, key: &str) -> bool {
        key == "<<" || self.is_whole(key) || self.keys.contains(&key)
    }

    fn is_whole(&self, key: &str) -> bool {
        self.whole.contains(&key) || self.whole_if.is_some_and(|whole| whole(key))
    }
}

/// A tree and the `# pin: ignore` comments of its stream.
pub(crate) type TreeRead = (Tree, Vec<Range<usize>>);

/// Reads a YAML stream into a [`Tree`] holding what `reads` says (all of it for `None`), and the
/// `# pin: ignore` comments outside its scalars: `None` for a Helm template. See [`parse`] for the rules.
pub(crate) fn read_for(
    src: &str,
    reads: Option<&'static Reads>,
) -> Result<Option<TreeRead>, FindError> {
    #[cfg(test)]
    let reads = reads.filter(|_| !WHOLE_TREES.with(std::cell::Cell::get));
    let mut needs = Needs::default();
    let mut readings = 0;
    let builder = loop {
        readings += 1;
        // Past three readings (a chain of anchors, each holding an alias of the next, should not need
        // more than the closure of the first): the whole tree.
        let reading = if readings > 3 { None } else { reads };
        let Some(builder) = read(src, || Builder::reading(src, reading, needs.clone()))? else {
            return Ok(None);
        };
        match builder.more_needed(&needs) {
            Some(more) if reading.is_some() => needs = more,
            _ => break builder,
        }
    };
    #[cfg(test)]
    READINGS.with(|r| r.set(readings));
    let comments = builder
        .comments
        .map_or_else(Vec::new, super::CommentFilter::finish);
    Ok(Some((builder.tree, comments)))
}

#[cfg(test)]
thread_local! {
    /// Makes [`read_for`] build whole trees: the oracle of the tests of what a tree of [`Reads`] drops.
    static WHOLE_TREES: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// How many times the last [`read_for`] on this thread read its stream.
    pub(crate) static READINGS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// What a reading of a tree of [`Reads`] learns that an earlier reading should have known: anchored
/// collections to keep whole, and mappings whose dropped keys to remember from their start. Both by the
/// byte offset where the node starts, the same in every reading of one stream.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Needs {
    whole: HashSet<usize>,
    hiding: HashSet<usize>,
}

/// `run` with [`read_for`] building whole trees on this thread.
#[cfg(test)]
pub(crate) fn whole_trees<T>(run: impl FnOnce() -> T) -> T {
    WHOLE_TREES.with(|w| w.set(true));
    let out = run();
    WHOLE_TREES.with(|w| w.set(false));
    out
}

/// Builds a [`Tree`] from nodes given in document order: the YAML event walk here, and other parsers whose
/// documents have the same shape (JSON).
#[derive(Default)]
pub(crate) struct Builder {
    tree: Tree,
    /// Open collections, innermost last.
    stack: Vec<Open>,
    /// The parser's anchor ids.
    anchors: HashMap<usize, NodeId>,
    /// What to keep; everything when `None`.
    reads: Option<&'static Reads>,
    /// Told every scalar, kept or not.
    comments: Option<super::CommentFilter>,
    /// What this reading keeps beyond `reads`, learnt by an earlier one.
    given: Needs,
    /// What this reading found it should have kept: see [`Reads`].
    found: Needs,
    /// Where each anchored collection starts, and whether it is read whole, by node.
    anchored: HashMap<NodeId, (usize, bool)>,
    /// Anchored collections inside anchored collections, and collections an alias inside an anchored
    /// collection names: `(outer start, inner start)`. Keeping the outer whole keeps the inner whole.
    holds: Vec<(usize, usize)>,
}

/// An open collection of a [`Builder`].
struct Open {
    id: NodeId,
    /// The key node waiting for its value.
    pending: Option<NodeId>,
    /// Where the key waiting for its value ends.
    pending_end: usize,
    /// Whether the key of the pair being read has an anchor.
    key_anchored: bool,
    /// Where the last complete pair or item ends (dropped or not).
    last_end: Option<usize>,
    /// Whether the collection is a mapping key (`? [a, b]: c`): then all of it is kept.
    is_key: bool,
    /// Everything in it is kept.
    whole: bool,
    /// Something in it is kept.
    keep: bool,
    /// A pair or item of its own was dropped.
    dropped: bool,
    /// Hashes of the scalar keys of its kept pairs.
    keys: std::collections::HashSet<u64>,
    /// Where the innermost anchored collection it is in (itself included) starts.
    anchor: Option<usize>,
    /// The keys of its dropped pairs are remembered ([`Tree::hidden`]): it merges or is merged.
    hiding: bool,
    /// The hashes of the keys of its dropped pairs, while `hiding`.
    hidden: Vec<u64>,
    /// It is a merge key's value, a list of mappings to merge (`<<: [*a, {…}]`).
    merge_list: bool,
    /// It has an anchor, or holds a kept scalar or a kept node that has one: more than collections and
    /// aliases.
    holds: bool,
}

impl Builder {
    fn reading(src: &str, reads: Option<&'static Reads>, given: Needs) -> Self {
        Builder {
            reads,
            comments: Some(super::CommentFilter::new(src)),
            given,
            ..Builder::default()
        }
    }

    /// What a reading given `given` found it should have kept beyond that (with every anchor that one
    /// kept whole keeps whole), or `None` when nothing.
    fn more_needed(&self, given: &Needs) -> Option<Needs> {
        if self.found.whole.is_subset(&given.whole) && self.found.hiding.is_subset(&given.hiding) {
            return None;
        }
        let mut needs = given.clone();
        needs.hiding.extend(&self.found.hiding);
        let mut todo: Vec<usize> = self.found.whole.iter().copied().collect();
        while let Some(start) = todo.pop() {
            if needs.whole.insert(start) {
                todo.extend(
                    self.holds
                        .iter()
                        .filter(|(outer, _)| *outer == start)
                        .map(|&(_, inner)| inner),
                );
            }
        }
        Some(needs)
    }

    /// Whether the value of a merge key brings pairs to merge (a mapping, through an alias, that holds
    /// some, or a list of mappings of which one does), and whether those mappings dropped keys that hide
    /// pairs of later merges ([`Mapping::hidden`]).
    fn merge_brings(&self, value: NodeId) -> (bool, bool) {
        let value = self.tree.resolve(value);
        let sources = match &self.tree[value].kind {
            NodeKind::Sequence(s) => &s.items[..],
            _ => std::slice::from_ref(&value),
        };
        sources
            .iter()
            .fold((false, false), |(brings, hides), &source| {
                let source = self.tree.resolve(source);
                let m = self.tree.mapping(source);
                (
                    brings || m.is_some_and(|m| !m.pairs.is_empty()),
                    hides || m.is_some_and(|m| !m.hidden.is_empty()),
                )
            })
    }

    /// The start of the innermost open anchored collection, if any.
    fn enclosing_anchor(&self) -> Option<usize> {
        self.stack.last().and_then(|open| open.anchor)
    }

    /// The tree, every collection still open closed at `end`.
    pub(crate) fn finish(mut self, end: usize) -> Tree {
        while !self.stack.is_empty() {
            self.close(end);
        }
        self.tree
    }

    /// Adds a node where the stream is: a key, a value, a sequence item or a document root.
    fn attach(&mut self, node: Node, anchor: usize) -> NodeId {
        let id = self.tree.add(node);
        if anchor > 0 {
            self.anchors.insert(anchor, id);
        }
        match self.stack.last_mut() {
            None => self.tree.documents.push(id),
            Some(open) => match &mut self.tree.nodes[open.id.0].kind {
                NodeKind::Mapping(m) => {
                    self.tree.links[id.0].parent = Slot::of(open.id);
                    match open.pending.take() {
                        None => open.pending = Some(id),
                        Some(key) => {
                            m.pairs.push((key, id));
                            self.tree.links[id.0].key = Slot::of(key);
                        }
                    }
                }
                NodeKind::Sequence(s) => {
                    s.items.push(id);
                    self.tree.links[id.0].parent = Slot::of(open.id);
                }
                NodeKind::Scalar(_) | NodeKind::Alias(_) => {}
            },
        }
        id
    }

    /// Whether the node just attached is a key waiting for its value.
    fn is_pending(&self, id: NodeId) -> bool {
        self.stack
            .last()
            .is_some_and(|open| open.pending == Some(id))
    }

    /// The value or item `id`, ending at `end`, is complete: keeps it (with its key) or drops it.
    /// `kept`: it holds something kept, or must be kept itself. `holds`: it is a scalar, has an anchor, or
    /// holds a kept scalar or a kept node with an anchor (a node with an anchor is never dropped: an alias
    /// may name it).
    fn settle(&mut self, id: NodeId, end: usize, kept: bool, holds: bool) {
        let key = self.tree.key_of(id);
        let key_str = key.and_then(|k| self.tree.str(k));
        let merge = key_str == Some("<<");
        let (brings, hides) = if merge {
            self.merge_brings(id)
        } else {
            (false, false)
        };
        let Some(open) = self.stack.last_mut() else {
            return;
        };
        open.last_end = Some(end);
        let Some(reads) = self.reads else {
            return;
        };
        let holds = holds || open.key_anchored;
        // A merge of mappings that hold nothing kept brings nothing to read: dropped like any pair nobody
        // reads, unless the keys those mappings dropped could hide what a later merge of this mapping
        // brings. A mapping that does not remember its dropped keys yet (see below) has a later merge
        // that brings something read again, remembering them, and then this one is kept.
        let may_hide = hides && open.hiding;
        let merges_nothing = merge && !(holds || brings || may_hide);
        let key_kept =
            key.is_some() && (open.key_anchored || key_str.is_none_or(|s| reads.names(s)));
        if merge && !merges_nothing && !open.hiding {
            // Its dropped keys hide merged ones from here on; those dropped before, only in a reading that
            // remembers them from the start.
            open.hiding = true;
            if open.dropped {
                let start = self.tree.nodes[open.id.0].span.start;
                self.found.hiding.insert(start);
            }
        }
        let hash = key_str.map(|s| self.tree.hash(s));
        let repeats = || {
            let (Some(s), Some(h)) = (key_str, hash) else {
                return false;
            };
            open.keys.contains(&h)
                && self
                    .tree
                    .pairs(open.id)
                    .iter()
                    .rev()
                    .skip(1)
                    .any(|&(k, _)| self.tree.str(k) == Some(s))
        };
        if open.whole || (!merges_nothing && (kept || key_kept || repeats())) {
            open.keep = true;
            open.holds |= holds;
            if let Some(h) = hash {
                if !open.whole {
                    open.keys.insert(h);
                }
            }
            // The parser's strings have room to spare (about 130 bytes for a short value), and a tree of a
            // large file keeps hundreds of thousands of them: what is kept gets its exact size.
            for kept in key.into_iter().chain([id]) {
                if let NodeKind::Scalar(scalar) = &mut self.tree.nodes[kept.0].kind {
                    scalar.value.shrink_to_fit();
                }
            }
            return;
        }
        open.dropped = true;
        if let (true, Some(h), false) = (open.hiding, hash, merge) {
            open.hidden.push(h);
        }
        let first = key.unwrap_or(id);
        self.tree.nodes.truncate(first.0);
        self.tree.links.truncate(first.0);
        match &mut self.tree.nodes[open.id.0].kind {
            NodeKind::Mapping(m) => {
                m.pairs.pop();
            }
            NodeKind::Sequence(s) => {
                s.items.pop();
            }
            NodeKind::Scalar(_) | NodeKind::Alias(_) => {}
        }
    }

    /// A scalar or alias node, attached: settled unless it is a key or a root.
    fn leaf_attached(&mut self, id: NodeId, kept: bool, holds: bool) {
        if self.stack.is_empty() {
            return;
        }
        if self.is_pending(id) {
            let end = self.tree[id].span.end;
            if let Some(open) = self.stack.last_mut() {
                open.pending_end = end;
                open.key_anchored = kept;
            }
            return;
        }
        let end = self.tree[id].span.end;
        self.settle(id, end, kept, holds);
    }
}

impl Sink for Builder {
    fn leaf(&mut self, node: Node, anchor: usize) {
        if let (Some(filter), NodeKind::Scalar(scalar)) = (&mut self.comments, &node.kind) {
            filter.scalar(scalar);
        }
        let anchored = node.anchor().is_some() || anchor > 0;
        let id = self.attach(node, anchor);
        self.leaf_attached(id, anchored, true);
    }

    fn alias(&mut self, span: Range<usize>, name: String, anchor: usize) {
        // An alias of an unknown anchor is a parser error, so the anchor is always there.
        let Some(&target) = self.anchors.get(&anchor) else {
            return;
        };
        if let (Some(reads), Some(&(start, whole))) = (self.reads, self.anchored.get(&target)) {
            // Read as a whole where it stands (or a list of mappings to merge): all of it must be there.
            let is_sequence = matches!(self.tree[target].kind, NodeKind::Sequence(_));
            let read_whole = self.stack.last().is_some_and(|open| {
                let key = open.pending.and_then(|k| self.tree.str(k));
                open.whole
                    || key.is_some_and(|k| reads.is_whole(k))
                    || (key == Some("<<") && is_sequence)
            });
            if read_whole && !whole {
                self.found.whole.insert(start);
            }
            if let Some(outer) = self.enclosing_anchor() {
                self.holds.push((outer, start));
            }
        }
        // The name is the text of the span: not kept twice.
        drop(name);
        let node = Node {
            kind: NodeKind::Alias(Alias { target }),
            span,
            properties: None,
        };
        let id = self.attach(node, 0);
        self.leaf_attached(id, true, false);
    }

    fn open(&mut self, node: Node, anchor: usize) {
        let anchored = node.anchor().is_some() || anchor > 0;
        let start = node.span.start;
        let is_mapping = matches!(node.kind, NodeKind::Mapping(_));
        let parent = self.stack.last();
        let is_key = parent.is_some_and(|p| {
            p.pending.is_none() && matches!(self.tree[p.id].kind, NodeKind::Mapping(_))
        });
        let pending_key = parent.and_then(|p| p.pending.and_then(|k| self.tree.str(k)));
        let merge_value = pending_key == Some("<<");
        // The value of a merge key, or an item of such a list: a mapping merged inline.
        let merged = merge_value || parent.is_some_and(|p| p.merge_list);
        let whole = self.reads.is_none()
            || (anchored && self.given.whole.contains(&start))
            || parent.is_some_and(|p| {
                p.whole
                    || is_key
                    || pending_key.is_some_and(|k| self.reads.is_some_and(|r| r.is_whole(k)))
            });
        let hiding = self.reads.is_some()
            && is_mapping
            && (anchored || merged || self.given.hiding.contains(&start));
        let enclosing = self.enclosing_anchor();
        if let (true, true, Some(outer)) = (anchored, self.reads.is_some(), enclosing) {
            self.holds.push((outer, start));
        }
        let id = self.attach(node, anchor);
        if anchored {
            self.anchored.insert(id, (start, whole));
        }
        self.stack.push(Open {
            id,
            pending: None,
            pending_end: 0,
            key_anchored: false,
            last_end: None,
            is_key,
            whole,
            keep: anchored || merged,
            dropped: false,
            keys: Default::default(),
            anchor: if anchored { Some(start) } else { enclosing },
            hiding,
            hidden: Vec::new(),
            merge_list: merge_value && !is_mapping,
            holds: anchored,
        });
    }

    fn close(&mut self, end: usize) {
        let Some(open) = self.stack.pop() else {
            return;
        };
        let id = open.id;
        let tree = &mut self.tree;
        let (mapping, flow) = match &tree.nodes[id.0].kind {
            NodeKind::Mapping(m) => (true, m.flow),
            NodeKind::Sequence(s) => (false, s.flow),
            NodeKind::Scalar(_) | NodeKind::Alias(_) => (false, false),
        };
        let last_end = open
            .last_end
            .or((mapping && open.pending.is_some()).then_some(open.pending_end));
        let node_end = if flow {
            end
        } else {
            last_end.unwrap_or(tree.nodes[id.0].span.end)
        };
        let span = &mut tree.nodes[id.0].span;
        span.end = node_end.max(span.start);
        let node_end = span.end;
        if !open.hidden.is_empty() {
            if let NodeKind::Mapping(m) = &mut tree.nodes[id.0].kind {
                m.hidden = open.hidden.into_boxed_slice();
            }
        }
        if open.is_key {
            if let Some(parent) = self.stack.last_mut() {
                parent.pending_end = node_end;
            }
            return;
        }
        self.settle(id, node_end, open.keep || open.whole, open.holds);
    }
}

/// The name of the anchor among the properties that start the event span `start..end`.
fn anchor_name(src: &str, start: usize, end: usize, anchor: usize) -> Option<String> {
    if anchor == 0 {
        return None;
    }
    let (_, name) = properties(src.as_bytes(), start, end);
    name.map(|r| src[r].to_owned())
}

/// Where a scalar node ends: after the closing quote, else where its text ends.
fn scalar_end(
    src: &str,
    style: ScalarStyle,
    text: &Range<usize>,
    differs: Option<&'static str>,
    event_end: usize,
) -> usize {
    let quote = match style {
        ScalarStyle::SingleQuoted => b'\'',
        ScalarStyle::DoubleQuoted => b'"',
        _ => return text.end,
    };
    if differs == Some(CANNOT_LOCATE) || src.as_bytes().get(text.end) != Some(&quote) {
        event_end
    } else {
        text.end + 1
    }
}

pub(crate) fn scan_error(chars: &mut CharCursor<'_>, err: &ScanError) -> FindError {
    FindError {
        offset: chars.byte(err.marker().index()),
        message: err.info().to_owned(),
    }
}

#[cfg(test)]
mod lenient_tests {
    use super::*;

    #[test]
    fn a_closing_bracket_at_key_indentation_is_accepted() {
        let src = "services:\n  a:\n    healthcheck:\n      test: [\n          \"CMD\", \"true\",\n      ]\n      interval: 30s\n    image: nginx:1\n";
        let Ok(Parsed::Tree(tree)) = parse(src) else {
            panic!("not read");
        };
        let image = tree
            .walk()
            .find(|&id| tree.str(id) == Some("nginx:1"))
            .expect("image scalar");
        let text = tree.scalar(image).expect("a scalar").text.clone();
        assert_eq!(&src[text], "nginx:1");
        let crlf = src.replace('\n', "\r\n");
        assert!(matches!(parse(&crlf), Ok(Parsed::Tree(_))));
        // A comment on the line before: the bracket would land in it, so the error stands.
        let commented = src.replace("\"true\",", "\"true\", # c");
        assert!(parse(&commented).is_err());
        // A plain scalar on the line before (found by the fuzz smoke test): the bracket would become part
        // of it, and its text would not be in the file; the error stands.
        assert!(parse("b:\n  image: docker:latest\n  ]stage: build\n").is_err());
    }
}

/// A `{{` followed, somewhere later, by `}}`.
fn contains_template_action(src: &str) -> bool {
    src.find("{{")
        .is_some_and(|at| src[at + 2..].contains("}}"))
}

/// A `{{` followed, somewhere later, by `}}`, both outside comments: [`contains_template_action`] over the
/// text of each line before its comment ([`comment_start`]). For a stream YAML cannot read, so judged line by
/// line: a `#` inside a quoted scalar continued from an earlier line counts as a comment.
fn has_template_outside_comments(src: &str) -> bool {
    if !contains_template_action(src) {
        return false;
    }
    let mut opened = false;
    for line in src.split(['\n', '\r']) {
        let code = &line[..comment_start(line).unwrap_or(line.len())];
        let after_open = if opened {
            Some(code)
        } else {
            code.find("{{").map(|at| &code[at + 2..])
        };
        if let Some(rest) = after_open {
            if rest.contains("}}") {
                return true;
            }
            opened = true;
        }
    }
    false
}

/// Where the comment of a YAML line starts: a `#` at the start of the line or after a blank, outside a
/// quoted scalar that starts on the line (a quote starts one at the start of the line, after a blank or
/// after `[`, `{` or `,`).
fn comment_start(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let after_blank = i == 0 || matches!(bytes[i - 1], b' ' | b'\t');
        match quote {
            Some(b'"') if b == b'\\' => i += 1,
            Some(b'\'') if b == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 1,
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'#' && after_blank => return Some(i),
            None if matches!(b, b'"' | b'\'')
                && (after_blank || matches!(bytes[i - 1], b'[' | b'{' | b',')) =>
            {
                quote = Some(b);
            }
            None => {}
        }
        i += 1;
    }
    None
}

/// `image:`, `image: ~`, `image: null` state no value.
pub(crate) fn is_plain_null(value: &str, style: ScalarStyle) -> bool {
    style == ScalarStyle::Plain && matches!(value, "" | "~" | "null" | "Null" | "NULL")
}

/// Character index → byte offset, for the parser's markers (which count characters). Markers come nearly in
/// order, so the cursor walks from the last answer: linear in the file overall, and no per-character table.
/// The identity for ASCII sources.
pub(crate) struct CharCursor<'a> {
    bytes: &'a [u8],
    ascii: bool,
    /// The character index and byte offset of the last answer.
    char: usize,
    byte: usize,
}

impl<'a> CharCursor<'a> {
    pub(crate) fn new(src: &'a str) -> Self {
        CharCursor {
            bytes: src.as_bytes(),
            ascii: src.is_ascii(),
            char: 0,
            byte: 0,
        }
    }

    /// The byte offset of the character at `index`; the source length past its end.
    pub(crate) fn byte(&mut self, index: usize) -> usize {
        let len = self.bytes.len();
        if self.ascii {
            return index.min(len);
        }
        let continuation = |b: u8| (b as i8) < -0x40;
        while self.char < index && self.byte < len {
            self.byte += 1;
            while self.byte < len && continuation(self.bytes[self.byte]) {
                self.byte += 1;
            }
            self.char += 1;
        }
        while self.char > index {
            self.byte -= 1;
            while continuation(self.bytes[self.byte]) {
                self.byte -= 1;
            }
            self.char -= 1;
        }
        self.byte
    }
}

const CANNOT_LOCATE: &str = "cannot locate the quoted text";

/// The byte range of a scalar's text inside its event span `span`, and why that text is not exactly
/// `value` (then nothing may be rewritten there). `properties`: the scalar has an anchor or a tag,
/// which the span then starts with.
///
/// The parser's spans are not the scalar's text: they start at the properties; a quoted scalar's span
/// runs on over the blanks and comment after the closing quote; a block scalar's span starts at its
/// first content character, or at the `|` / `>` header when there are properties or no content, and
/// ends after the line breaks that follow. Only a plain scalar's span end is exact.
fn locate(
    src: &str,
    span: Range<usize>,
    style: ScalarStyle,
    value: &str,
    properties: bool,
) -> (Range<usize>, Option<&'static str>) {
    let bytes = src.as_bytes();
    let start = if properties {
        skip_properties(bytes, span.start, span.end)
    } else {
        span.start
    };
    let end = span.end.max(start);
    let checked = |range: Range<usize>, reason: &'static str| {
        let same = src.get(range.clone()) == Some(value);
        (range, (!same).then_some(reason))
    };
    match style {
        ScalarStyle::Plain => {
            if src.get(start..).is_some_and(|rest| rest.starts_with(value)) {
                (start..start + value.len(), None)
            } else {
                checked(start..end, "plain scalar spans several lines")
            }
        }
        ScalarStyle::SingleQuoted => match closing_quote(bytes, start, b'\'') {
            Some(close) => checked(
                start + 1..close,
                "single-quoted scalar with '' or a line break",
            ),
            None => (start..end, Some(CANNOT_LOCATE)),
        },
        ScalarStyle::DoubleQuoted => match closing_quote(bytes, start, b'"') {
            Some(close) => checked(
                start + 1..close,
                "double-quoted scalar with escapes or a line break",
            ),
            None => (start..end, Some(CANNOT_LOCATE)),
        },
        ScalarStyle::Literal | ScalarStyle::Folded => {
            let content = if properties || value.bytes().all(|b| b == b'\n') {
                // The span starts at the `|` / `>` header (always so after properties, and for a block
                // scalar without content): the content starts on the next line.
                src[start..end].find('\n').map_or(end, |nl| start + nl + 1)
            } else {
                // Otherwise the parser's span starts at the first content character.
                start
            };
            block_content(src, content..end, value)
        }
    }
}

/// Skips `&anchor` / `!tag` properties (and the blanks and comments after them) from `at`: where
/// the node's own text starts.
fn skip_properties(bytes: &[u8], at: usize, end: usize) -> usize {
    properties(bytes, at, end).0
}

/// Reads the `&anchor` / `!tag` properties at `at`: where the node's own text starts (after the blanks
/// and comments that follow them), and the anchor name's bytes.
fn properties(bytes: &[u8], mut at: usize, end: usize) -> (usize, Option<Range<usize>>) {
    let mut anchor = None;
    while at < end && matches!(bytes[at], b'&' | b'!') {
        if bytes[at..].starts_with(b"!<") {
            // Verbatim tag `!<…>`.
            at += bytes[at..]
                .iter()
                .position(|&b| b == b'>')
                .map_or(end - at, |p| p + 1);
        } else {
            let first = at;
            while at < end && !matches!(bytes[at], b' ' | b'\t' | b'\r' | b'\n') {
                at += 1;
            }
            if bytes[first] == b'&' {
                anchor = Some(first + 1..at);
            }
        }
        // Blanks, line breaks and comment lines.
        while at < end {
            match bytes[at] {
                b' ' | b'\t' | b'\r' | b'\n' => at += 1,
                b'#' => {
                    while at < end && bytes[at] != b'\n' {
                        at += 1;
                    }
                }
                _ => break,
            }
        }
    }
    (at.min(end), anchor)
}

/// The offset of the quote closing the quoted scalar that opens at `open`.
fn closing_quote(bytes: &[u8], open: usize, quote: u8) -> Option<usize> {
    if bytes.get(open) != Some(&quote) {
        return None;
    }
    let mut at = open + 1;
    while at < bytes.len() {
        let b = bytes[at];
        if quote == b'"' && b == b'\\' {
            // Only ASCII bytes matter here; skipping one byte of a multi-byte character is harmless.
            at += 2;
        } else if b == quote {
            if quote == b'\'' && bytes.get(at + 1) == Some(&b'\'') {
                at += 2;
            } else {
                return Some(at);
            }
        } else {
            at += 1;
        }
    }
    None
}

/// The text of a block scalar's content lines in `region`: the single non-blank line without its
/// indentation and line break, or from the first to the last non-blank line (never equal to the value).
fn block_content(
    src: &str,
    region: Range<usize>,
    value: &str,
) -> (Range<usize>, Option<&'static str>) {
    let mut lines = Vec::new();
    let mut line_start = region.start;
    for line in src[region.clone()].split_inclusive('\n') {
        let text = line.trim_end_matches('\n').trim_end_matches('\r');
        let indent = text.len() - text.trim_start_matches(' ').len();
        if indent < text.len() {
            lines.push(line_start + indent..line_start + text.len());
        }
        line_start += line.len();
    }
    match lines.as_slice() {
        [] => {
            let at = region.start..region.start;
            let same = value.is_empty();
            (at, (!same).then_some("block scalar without content"))
        }
        [one] => {
            let reason = if src.get(one.clone()) == Some(value) {
                None
            } else if value.ends_with('\n') {
                Some("block scalar whose value keeps a final line break (not `>-` / `|-`)")
            } else {
                Some("block scalar whose value differs from its text")
            };
            (one.clone(), reason)
        }
        [first, .., last] => (
            first.start..last.end,
            Some("block scalar with several content lines"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(src: &str) -> Tree {
        match parse(src) {
            Ok(Parsed::Tree(tree)) => tree,
            other => panic!("{src:?}: {other:?}"),
        }
    }

    /// The text of a node's span.
    fn text<'a>(src: &'a str, tree: &Tree, id: NodeId) -> &'a str {
        &src[tree[id].span.clone()]
    }

    /// The root mapping's value for `key`.
    fn at(tree: &Tree, key: &str) -> NodeId {
        tree.get(tree.documents()[0], key).expect(key)
    }

    #[test]
    fn scalars_have_their_text_and_span() {
        let src = "a: nginx:1 # c\nb: 'x:1'  # c\nc: \"y\\u003a1\"\nd: &n !!str z:1\ne: >-\n  w:1\nf:\ng: ~\n";
        let t = tree(src);
        let s = |key| t.scalar(at(&t, key)).unwrap();
        assert_eq!(
            (s("a").value.as_str(), &src[s("a").text.clone()]),
            ("nginx:1", "nginx:1")
        );
        assert_eq!(text(src, &t, at(&t, "a")), "nginx:1");
        assert_eq!(&src[s("b").text.clone()], "x:1");
        assert_eq!(text(src, &t, at(&t, "b")), "'x:1'");
        assert_eq!(s("b").style, ScalarStyle::SingleQuoted);
        assert_eq!(s("c").value, "y:1");
        assert_eq!(&src[s("c").text.clone()], "y\\u003a1");
        assert!(s("c").differs.is_some());
        assert_eq!(text(src, &t, at(&t, "c")), "\"y\\u003a1\"");
        let d = at(&t, "d");
        assert_eq!(text(src, &t, d), "&n !!str z:1");
        assert_eq!(&src[s("d").text.clone()], "z:1");
        assert_eq!(t[d].anchor(), Some("n"));
        assert_eq!(t[d].tag(), Some("tag:yaml.org,2002:str"));
        assert_eq!(&src[s("e").text.clone()], "w:1");
        assert_eq!(s("e").differs, None);
        assert!(s("f").is_null() && s("g").is_null());
        assert_eq!(t[at(&t, "f")].span.len(), 0);
    }

    #[test]
    fn collections_keep_pairs_in_order_with_spans() {
        let src =
            "top:\n  b: 1\n  a: [x, {k: v}]\n  c:\n  - p\n  - q # c\nnext: {m: 1, n: 2}  # c\n";
        let t = tree(src);
        let root = t.documents()[0];
        let keys: Vec<_> = t.pairs(root).iter().map(|&(k, _)| t.str(k)).collect();
        assert_eq!(keys, [Some("top"), Some("next")]);
        let top = at(&t, "top");
        let m = t.mapping(top).unwrap();
        assert!(!m.flow);
        let keys: Vec<_> = m.pairs.iter().map(|&(k, _)| t.str(k).unwrap()).collect();
        assert_eq!(keys, ["b", "a", "c"]);
        assert_eq!(
            text(src, &t, top),
            "b: 1\n  a: [x, {k: v}]\n  c:\n  - p\n  - q"
        );
        let a = t.get(top, "a").unwrap();
        assert!(t.sequence(a).unwrap().flow);
        assert_eq!(text(src, &t, a), "[x, {k: v}]");
        let inner = t.items(a)[1];
        assert_eq!(text(src, &t, inner), "{k: v}");
        assert_eq!(t.parent(inner), Some(a));
        assert_eq!(t.key_str(a), Some("a"));
        assert_eq!(t.key_str(inner), None);
        let c = t.get(top, "c").unwrap();
        assert!(!t.sequence(c).unwrap().flow);
        assert_eq!(t.items(c).len(), 2);
        assert_eq!(text(src, &t, at(&t, "next")), "{m: 1, n: 2}");
        assert_eq!(text(src, &t, root), &src[..src.len() - 6]);
    }

    #[test]
    fn anchors_aliases_and_tags() {
        let src = "x-img: &img nginx:1\nx-base: &base\n  image: a:1\n  keep: 1\ns:\n  image: *img\n  ref: !reference [.x, image]\n";
        let t = tree(src);
        let alias = t.get(at(&t, "s"), "image").unwrap();
        assert!(
            matches!(t[alias].kind, NodeKind::Alias(_)),
            "{:?}",
            t[alias]
        );
        assert_eq!(text(src, &t, alias), "*img");
        assert_eq!(t.resolve(alias), at(&t, "x-img"));
        assert_eq!(t.str(t.resolve(alias)), Some("nginx:1"));
        let base = at(&t, "x-base");
        assert_eq!(t[base].anchor(), Some("base"));
        assert_eq!(text(src, &t, base), "&base\n  image: a:1\n  keep: 1");
        let r = t.get(at(&t, "s"), "ref").unwrap();
        assert_eq!(t[r].tag(), Some("!reference"));
        assert_eq!(t.items(r).len(), 2);
    }

    /// A tree of a large file holds hundreds of thousands of nodes: what a mapping remembers of its dropped
    /// keys does not make every node larger.
    #[test]
    fn a_node_stays_88_bytes() {
        assert!(
            std::mem::size_of::<Node>() <= 88,
            "{}",
            std::mem::size_of::<Node>()
        );
    }

    #[test]
    fn merge_keys() {
        let src = "a: &a {image: a:1, x: 1}\nb: &b {image: b:1, y: 2}\nc: &c\n  <<: *a\n  z: 3\n\
                   m1:\n  <<: [*b, *a]\n  x: own\nm2: {<<: *c}\nm3: {<<: {image: inline:1}}\n\
                   cyc: &cyc {<<: *cyc, k: v}\nm4: {image: one, image: two}\n";
        let t = tree(src);
        let entries = |key| -> Vec<(String, String)> {
            t.entries(at(&t, key))
                .into_iter()
                .map(|(k, v)| {
                    let v = t.resolve(v);
                    (
                        t.str(k).unwrap().to_owned(),
                        t.str(v).unwrap_or("<coll>").to_owned(),
                    )
                })
                .collect()
        };
        let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        assert_eq!(
            entries("m1"),
            pairs(&[("x", "own"), ("image", "b:1"), ("y", "2")])
        );
        assert_eq!(
            entries("m2"),
            pairs(&[("z", "3"), ("image", "a:1"), ("x", "1")])
        );
        assert_eq!(entries("m3"), pairs(&[("image", "inline:1")]));
        assert_eq!(entries("cyc"), pairs(&[("k", "v")]));
        // The last of a repeated key wins.
        assert_eq!(entries("m4"), pairs(&[("image", "two")]));
        assert_eq!(t.str(t.lookup(at(&t, "m2"), "image").unwrap()), Some("a:1"));
        assert_eq!(t.lookup(at(&t, "m2"), "y"), None);
        assert_eq!(t.get(at(&t, "m2"), "image"), None);
    }

    #[test]
    fn merge_chains_stay_linear() {
        // Each level merges the previous one twice: followed naively, 2^40 visits.
        let mut src = String::from("l0: &l0 {image: x:1}\n");
        for i in 1..40 {
            src += &format!("l{i}: &l{i} {{<<: [*l{p}, *l{p}], k{i}: v}}\n", p = i - 1);
        }
        let t = tree(&src);
        let last = at(&t, "l39");
        assert!(t.lookup(last, "k39").is_some());
        assert!(t.lookup(last, "k23").is_some());
    }

    #[test]
    fn documents_crlf_and_bom() {
        let src = "\u{FEFF}a: 'é:1'\r\n---\r\n---\r\nb: [c]\r\n";
        let t = tree(src);
        assert_eq!(t.documents().len(), 3);
        let a = at(&t, "a");
        assert_eq!(&src[t.scalar(a).unwrap().text.clone()], "é:1");
        assert_eq!(text(src, &t, a), "'é:1'");
        assert!(t.scalar(t.documents()[1]).unwrap().is_null());
        let b = t.get(t.documents()[2], "b").unwrap();
        assert_eq!(text(src, &t, b), "[c]");
        assert_eq!(
            text(src, &t, t.documents()[0]),
            "a: 'é:1'",
            "a block mapping ends with its last entry"
        );
    }

    #[test]
    fn walk_is_in_document_order() {
        let src = "a:\n  b: [1, 2]\nc: 3\n";
        let t = tree(src);
        let starts: Vec<usize> = t.walk().map(|id| t[id].span.start).collect();
        let mut sorted = starts.clone();
        sorted.sort();
        assert_eq!(starts, sorted);
        assert_eq!(starts.len(), 9);
    }

    #[test]
    fn templates_and_errors() {
        assert!(matches!(
            parse("a: {{ .Values.x }}\n"),
            Ok(Parsed::Template)
        ));
        assert!(matches!(
            parse("a:\n{{- if x }}\n  b: 1\n{{- end }}\n"),
            Ok(Parsed::Template)
        ));
        assert!(matches!(parse("a: \"{{ x }}\"\n"), Ok(Parsed::Tree(_))));
        let e = parse("é: [\n").unwrap_err();
        assert!(e.offset <= 6, "{e:?}");
        let e = parse("a: *nope\n").unwrap_err();
        assert!(e.message.contains("anchor"), "{e:?}");
    }
}
