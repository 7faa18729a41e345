//! Tree nodes: immutable, shared behind `Arc`, each caching its own hash, laid out to keep
//! the resident state small (issue #14: a million accounts hold about six million leaves).
//!
//! Updates never mutate a shared node; they copy the path from the root to the change and
//! share every untouched subtree (path copying). So cloning a tree is one `Arc` clone,
//! snapshots are free, and a shared node's cached hash stays valid for as long as it lives:
//! after an update only the changed path lacks a hash, which is what makes root computation
//! incremental. A node that no snapshot or clone shares (`Arc::get_mut` succeeds) is
//! updated in place instead, forgetting its hash: the result is the same, without the
//! allocations and the cache misses of touching the siblings' reference counts.
//!
//! Layout, measured in the memory bench (README §Performance):
//! - A [`Link`] is an enum of thin `Arc`s, one allocation per node and each kind only as
//!   large as it needs (one `Arc<enum>` would size every node like the largest kind).
//!   They are `triomphe::Arc`s: no weak count (8 bytes less per node), and asking whether a
//!   node is unshared, which every level of an in-place write does, is one load where
//!   std's `Arc::get_mut` takes a compare-and-swap and a store.
//! - Internal nodes do not store their 32-byte prefix: it is the first `split` bits of
//!   any key below, which the walks take from the leaf (or pruned node) they reach; see
//!   [`Link::path_key`]. A pruned node keeps such a key (`hint`) for that reason.
//! - Hash caches are four atomic words and a flag packed beside the node's small fields,
//!   not a `OnceLock` (whose state word pads every node); racing writers store equal
//!   hashes, so the cache is safe without locks or `unsafe`.
//! - Leaf values live inline in the leaf, in one of a few capacity classes, so a leaf is
//!   one allocation; only values over 128 bytes get a separate buffer.

use super::bits::masked;
use super::hashing::{internal_hash, leaf_hash};
use crate::primitives::H256;
use crate::state::StateError;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use triomphe::Arc;

/// A shared, immutable node (cloning it is one reference-count increment).
#[derive(Debug, Clone)]
pub(crate) enum Link {
    Leaf(LeafLink),
    Internal(Arc<Internal>),
    /// A subtree known only by its hash (witnesses prune what a step does not touch).
    Pruned(Arc<Pruned>),
}

/// A node's hash, cached: four words written before the node's `hashed` flag is set
/// (release), read after seeing it set (acquire). Two threads hashing the same shared node
/// write the same words, so a reader never sees a wrong hash.
#[derive(Debug, Default)]
pub(crate) struct HashWords([AtomicU64; 4]);

impl HashWords {
    fn get(&self, hashed: &AtomicBool) -> Option<H256> {
        if !hashed.load(Ordering::Acquire) {
            return None;
        }
        let mut out = [0u8; 32];
        for (chunk, word) in out.chunks_exact_mut(8).zip(&self.0) {
            chunk.copy_from_slice(&word.load(Ordering::Relaxed).to_ne_bytes());
        }
        Some(H256(out))
    }

    fn set(&self, hashed: &AtomicBool, hash: &H256) {
        for (chunk, word) in hash.0.chunks_exact(8).zip(&self.0) {
            let bytes = chunk.try_into().expect("8-byte chunks");
            word.store(u64::from_ne_bytes(bytes), Ordering::Relaxed);
        }
        hashed.store(true, Ordering::Release);
    }

    fn copy(&self, hashed: &AtomicBool) -> (HashWords, AtomicBool) {
        let words = HashWords::default();
        let flag = AtomicBool::new(false);
        if let Some(hash) = self.get(hashed) {
            words.set(&flag, &hash);
        }
        (words, flag)
    }
}

/// Two non-empty children whose keys first differ at bit `split`. The prefix the node
/// commits to (bits `0..split` of every key below) is not stored; see the module docs.
#[derive(Debug)]
pub(crate) struct Internal {
    hash: HashWords,
    /// Keys with bit `split` = 0, then keys with bit `split` = 1: indexed by that bit, so a
    /// walk picks its side without a branch (the bit is as good as random, and a walk of
    /// twenty levels would mispredict about half of them).
    children: [Link; 2],
    pub split: u8,
    hashed: AtomicBool,
}

/// A subtree known only by its hash, and a key that agrees with every key it stood for on
/// at least the bits its ancestors' prefixes cover (its parent's split + 1 bits), which is
/// all the ancestors need to derive their prefixes.
#[derive(Debug)]
pub(crate) struct Pruned {
    pub hash: H256,
    pub hint: H256,
}

/// A leaf's value storage: inline in the leaf (up to `N` bytes) or a separate buffer.
pub(crate) trait ValueBuf: std::fmt::Debug + Send + Sync {
    fn bytes(&self) -> &[u8];
    /// Overwrites the value in place if it fits this buffer's capacity.
    fn try_store(&mut self, value: &[u8]) -> bool;
}

/// Up to `N` bytes stored inline (`N` <= 255, so the length fits a byte).
#[derive(Debug, Clone)]
pub(crate) struct Inline<const N: usize> {
    len: u8,
    bytes: [u8; N],
}

impl<const N: usize> Inline<N> {
    fn new(value: &[u8]) -> Self {
        let mut bytes = [0u8; N];
        bytes[..value.len()].copy_from_slice(value);
        Inline {
            len: u8::try_from(value.len()).expect("inline classes hold at most 255 bytes"),
            bytes,
        }
    }
}

/// The longest value [`Taken`] keeps inline: most records are no longer.
const TAKEN_INLINE_BYTES: usize = 48;

/// A value taken out of the tree: what a write replaced or a delete removed, kept by the
/// undo log until the action ends. Inline up to `TAKEN_INLINE_BYTES`, so logging a write
/// allocates nothing; longer values on the heap.
#[derive(Debug, Clone)]
pub(crate) enum Taken {
    Inline(Inline<TAKEN_INLINE_BYTES>),
    Heap(Box<[u8]>),
}

impl Taken {
    pub(crate) fn new(value: &[u8]) -> Taken {
        if value.len() <= TAKEN_INLINE_BYTES {
            Taken::Inline(Inline::new(value))
        } else {
            Taken::Heap(value.into())
        }
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        match self {
            Taken::Inline(inline) => inline.bytes(),
            Taken::Heap(bytes) => bytes,
        }
    }
}

impl PartialEq for Taken {
    fn eq(&self, other: &Taken) -> bool {
        self.bytes() == other.bytes()
    }
}

impl Eq for Taken {}

impl<const N: usize> ValueBuf for Inline<N> {
    fn bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
    fn try_store(&mut self, value: &[u8]) -> bool {
        if value.len() > N {
            return false;
        }
        *self = Inline::new(value);
        true
    }
}

impl ValueBuf for Box<[u8]> {
    fn bytes(&self) -> &[u8] {
        self
    }
    fn try_store(&mut self, _value: &[u8]) -> bool {
        false
    }
}

/// A key and its value, with the leaf's cached hash.
#[derive(Debug)]
pub(crate) struct Leaf<B> {
    hash: HashWords,
    pub key: H256,
    hashed: AtomicBool,
    value: B,
}

impl<B: ValueBuf> Leaf<B> {
    fn new(key: H256, value: B) -> Self {
        Leaf {
            hash: HashWords::default(),
            key,
            hashed: AtomicBool::new(false),
            value,
        }
    }

    fn value(&self) -> &[u8] {
        self.value.bytes()
    }

    fn hash(&self, counter: &HashCounter) -> H256 {
        if let Some(hash) = self.hash.get(&self.hashed) {
            return hash;
        }
        counter.bump();
        let hash = leaf_hash(&self.key, self.value());
        self.hash.set(&self.hashed, &hash);
        hash
    }
}

/// A leaf of one of the value capacity classes. The classes follow the allocator's 16-byte
/// steps; values of the state's records are 20 to 110 bytes (memory bench profile).
#[derive(Debug, Clone)]
pub(crate) enum LeafLink {
    B32(Arc<Leaf<Inline<32>>>),
    B48(Arc<Leaf<Inline<48>>>),
    B64(Arc<Leaf<Inline<64>>>),
    B80(Arc<Leaf<Inline<80>>>),
    B96(Arc<Leaf<Inline<96>>>),
    B128(Arc<Leaf<Inline<128>>>),
    Heap(Arc<Leaf<Box<[u8]>>>),
}

/// Runs `$body` with `$leaf` bound to the `Arc<Leaf<_>>` of whichever class `$link` is.
macro_rules! with_leaf {
    ($link:expr, $leaf:ident => $body:expr) => {
        match $link {
            LeafLink::B32($leaf) => $body,
            LeafLink::B48($leaf) => $body,
            LeafLink::B64($leaf) => $body,
            LeafLink::B80($leaf) => $body,
            LeafLink::B96($leaf) => $body,
            LeafLink::B128($leaf) => $body,
            LeafLink::Heap($leaf) => $body,
        }
    };
}

impl LeafLink {
    fn new(key: H256, v: &[u8]) -> Self {
        match v.len() {
            0..=32 => LeafLink::B32(Arc::new(Leaf::new(key, Inline::new(v)))),
            33..=48 => LeafLink::B48(Arc::new(Leaf::new(key, Inline::new(v)))),
            49..=64 => LeafLink::B64(Arc::new(Leaf::new(key, Inline::new(v)))),
            65..=80 => LeafLink::B80(Arc::new(Leaf::new(key, Inline::new(v)))),
            81..=96 => LeafLink::B96(Arc::new(Leaf::new(key, Inline::new(v)))),
            97..=128 => LeafLink::B128(Arc::new(Leaf::new(key, Inline::new(v)))),
            _ => LeafLink::Heap(Arc::new(Leaf::new(key, v.into()))),
        }
    }

    pub(crate) fn key(&self) -> &H256 {
        with_leaf!(self, leaf => &leaf.key)
    }

    pub(crate) fn value(&self) -> &[u8] {
        with_leaf!(self, leaf => leaf.value())
    }

    fn hash(&self, counter: &HashCounter) -> H256 {
        with_leaf!(self, leaf => leaf.hash(counter))
    }

    fn cached_hash(&self) -> Option<H256> {
        with_leaf!(self, leaf => leaf.hash.get(&leaf.hashed))
    }

    /// Whether the hash is cached (one load: no copy of it).
    pub(crate) fn is_hashed(&self) -> bool {
        with_leaf!(self, leaf => leaf.hashed.load(Ordering::Acquire))
    }

    /// Caches a hash computed elsewhere (the lanes hasher), counting it as computed.
    pub(crate) fn store_hash(&self, hash: &H256, counter: &HashCounter) {
        counter.bump();
        with_leaf!(self, leaf => leaf.hash.set(&leaf.hashed, hash));
    }

    fn addr(&self) -> usize {
        with_leaf!(self, leaf => Arc::as_ptr(leaf).addr())
    }

    /// In-place update of a leaf no one else shares, if the value fits its class: the hash
    /// is to be recomputed. False when shared or too large (the caller makes a new leaf).
    fn try_replace_value(&mut self, value: &[u8]) -> bool {
        with_leaf!(self, leaf => {
            let Some(owned) = Arc::get_mut(leaf) else {
                return false;
            };
            let stored = owned.value.try_store(value);
            if stored {
                *owned.hashed.get_mut() = false;
            }
            stored
        })
    }
}

impl Link {
    pub(crate) fn leaf(key: H256, value: &[u8]) -> Link {
        Link::Leaf(LeafLink::new(key, value))
    }

    pub(crate) fn internal(split: u8, left: Link, right: Link) -> Link {
        Link::Internal(Arc::new(Internal {
            hash: HashWords::default(),
            children: [left, right],
            split,
            hashed: AtomicBool::new(false),
        }))
    }

    /// An internal node whose hash is already known (re-built while pruning), copied from
    /// `like`'s cache.
    pub(crate) fn internal_like(like: &Internal, left: Link, right: Link) -> Link {
        let (hash, hashed) = like.hash.copy(&like.hashed);
        Link::Internal(Arc::new(Internal {
            hash,
            children: [left, right],
            split: like.split,
            hashed,
        }))
    }

    pub(crate) fn pruned(hash: H256, hint: H256) -> Link {
        Link::Pruned(Arc::new(Pruned { hash, hint }))
    }

    /// The node's hash, computing (and caching) it and any missing descendant hashes.
    /// Each node hash computed is counted in `counter`.
    pub(crate) fn hash(&self, counter: &HashCounter) -> H256 {
        self.hash_and_key(counter).0
    }

    /// The hash, and a key below this node (valid for the prefixes of its ancestors) when
    /// one came for free: from a leaf, a pruned node, or a child hashed just now. A parent
    /// being hashed derives its prefix from it, so re-hashing a changed path costs no extra
    /// walks. Recursion depth is bounded by 257 (splits strictly increase along a path).
    fn hash_and_key(&self, counter: &HashCounter) -> (H256, Option<&H256>) {
        match self {
            Link::Pruned(pruned) => (pruned.hash, Some(&pruned.hint)),
            Link::Leaf(leaf) => (leaf.hash(counter), Some(leaf.key())),
            Link::Internal(int) => {
                if let Some(hash) = int.hash.get(&int.hashed) {
                    return (hash, None);
                }
                let (left, left_key) = int.left().hash_and_key(counter);
                let (right, right_key) = int.right().hash_and_key(counter);
                let key = left_key
                    .or(right_key)
                    .unwrap_or_else(|| int.left().any_key());
                let prefix = masked(key, u16::from(int.split));
                counter.bump();
                let hash = internal_hash(int.split, &prefix, &left, &right);
                int.hash.set(&int.hashed, &hash);
                (hash, Some(key))
            }
        }
    }

    /// A key that agrees with every key below this node on the bits its prefix covers (a
    /// pruned node's hint is good for its ancestors' prefixes): the leftmost one.
    pub(crate) fn any_key(&self) -> &H256 {
        let mut node = self;
        loop {
            match node {
                Link::Leaf(leaf) => return leaf.key(),
                Link::Pruned(pruned) => return &pruned.hint,
                Link::Internal(int) => node = int.left(),
            }
        }
    }

    /// The key the walk towards the first `bits` bits of `target` ends at: from each
    /// internal node it takes `target`'s side while the split lies inside those bits, else
    /// the left side, down to a leaf or pruned node. Every internal node passed has as its
    /// prefix the first `split` bits of this key, which is how the walks of `ops` and
    /// `proof` check a node's prefix without storing it. Opens nothing (no recording).
    pub(crate) fn path_key(&self, target: &H256, bits: u16) -> &H256 {
        let mut node = self;
        loop {
            match node {
                Link::Leaf(leaf) => return leaf.key(),
                Link::Pruned(pruned) => return &pruned.hint,
                Link::Internal(int) => {
                    // `&`, not `&&`: both sides are cheap, and a branch on them would
                    // mispredict about half the time.
                    let right = (u16::from(int.split) < bits) & super::bits::bit(target, int.split);
                    node = int.child_and_sibling(right).0;
                }
            }
        }
    }

    pub(crate) fn as_internal(&self) -> Option<&Internal> {
        match self {
            Link::Internal(int) => Some(int),
            Link::Leaf(_) | Link::Pruned(_) => None,
        }
    }

    /// The hash if it is already known, without computing anything.
    pub(crate) fn cached_hash(&self) -> Option<H256> {
        match self {
            Link::Pruned(pruned) => Some(pruned.hash),
            Link::Leaf(leaf) => leaf.cached_hash(),
            Link::Internal(int) => int.hash.get(&int.hashed),
        }
    }

    /// The internal node behind this link if no one else shares it (for in-place updates).
    pub(crate) fn internal_mut(&mut self) -> Option<&mut Internal> {
        match self {
            Link::Internal(int) => Arc::get_mut(int),
            Link::Leaf(_) | Link::Pruned(_) => None,
        }
    }

    /// Whether this is an internal node that [`Link::internal_mut`] would lend (nothing
    /// else holds it). A question of its own so that a walk can ask it and still hand the
    /// link on when the answer is no.
    pub(crate) fn is_unshared_internal(&mut self) -> bool {
        self.internal_mut().is_some()
    }

    /// Gives the leaf at this link a new value, in place if unshared and it fits.
    pub(crate) fn set_leaf_value(&mut self, key: &H256, value: &[u8]) {
        if let Link::Leaf(leaf) = self
            && leaf.try_replace_value(value)
        {
            return;
        }
        *self = Link::leaf(*key, value);
    }
}

impl Internal {
    /// The child on `right`'s side, for in-place updates of an unshared node.
    pub(crate) fn child_mut(&mut self, right: bool) -> &mut Link {
        &mut self.children[usize::from(right)]
    }

    /// Keys with bit `split` = 0.
    pub(crate) fn left(&self) -> &Link {
        &self.children[0]
    }

    /// Keys with bit `split` = 1.
    pub(crate) fn right(&self) -> &Link {
        &self.children[1]
    }

    /// Caches a hash computed elsewhere (the lanes hasher), counting it as computed.
    pub(crate) fn store_hash(&self, hash: &H256, counter: &HashCounter) {
        counter.bump();
        self.hash.set(&self.hashed, hash);
    }

    /// Whether the hash is cached (one load: no copy of it).
    pub(crate) fn is_hashed(&self) -> bool {
        self.hashed.load(Ordering::Acquire)
    }

    /// Drops the cached hash after an in-place change below.
    pub(crate) fn forget_hash(&mut self) {
        *self.hashed.get_mut() = false;
    }

    /// The child on `right`'s side and the other one.
    pub(crate) fn child_and_sibling(&self, right: bool) -> (&Link, &Link) {
        (
            &self.children[usize::from(right)],
            &self.children[usize::from(!right)],
        )
    }
}

/// Builds an internal node from a child that goes on `right`'s side and its sibling.
pub(crate) fn join(split: u8, child: Link, sibling: Link, right: bool) -> Link {
    if right {
        Link::internal(split, sibling, child)
    } else {
        Link::internal(split, child, sibling)
    }
}

/// Counts node-hash computations, so benches and tests can check that root computation is
/// incremental. Interior mutability because hashing happens behind `&self`.
#[derive(Debug, Default)]
pub(crate) struct HashCounter(AtomicU64);

impl HashCounter {
    fn bump(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
    pub(crate) fn copy(&self) -> HashCounter {
        HashCounter(AtomicU64::new(self.get()))
    }
}

/// A node's contents, once it is known not to be pruned.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Opened<'n> {
    Leaf(&'n LeafLink),
    Internal(&'n Internal),
}

/// Opens nodes for the tree operations: fails on pruned nodes (the witness does not cover
/// the step) and, while recording, notes the identity of every node it opens.
#[derive(Debug)]
pub(crate) struct Opener<'a> {
    recording: Option<&'a mut BTreeSet<usize>>,
    /// The key (or padded prefix) being worked on, named in `WitnessIncomplete`.
    key: H256,
}

impl<'a> Opener<'a> {
    pub(crate) fn new(recording: Option<&'a mut BTreeSet<usize>>, key: H256) -> Self {
        Opener { recording, key }
    }

    pub(crate) fn open<'n>(&mut self, node: &'n Link) -> Result<Opened<'n>, StateError> {
        let opened = match node {
            Link::Leaf(leaf) => Opened::Leaf(leaf),
            Link::Internal(int) => Opened::Internal(int),
            Link::Pruned(_) => return Err(StateError::WitnessIncomplete(self.key)),
        };
        if let Some(recording) = self.recording.as_deref_mut() {
            recording.insert(identity(node));
        }
        Ok(opened)
    }
}

/// A node's identity while it is alive: its address. Nodes of a pre-state stay alive while
/// the pre-state is held, so no other node can share their address in the meantime.
pub(crate) fn identity(node: &Link) -> usize {
    match node {
        Link::Leaf(leaf) => leaf.addr(),
        Link::Internal(int) => Arc::as_ptr(int).addr(),
        Link::Pruned(pruned) => Arc::as_ptr(pruned).addr(),
    }
}

/// The in-memory sizes of the node kinds in bytes, as allocated (with the `Arc` counts,
/// without the allocator's own overhead): `(name, size)` pairs for reports and tests.
pub fn node_sizes() -> Vec<(&'static str, usize)> {
    // triomphe's Arc: one reference count precedes the value (no weak count).
    const ARC: usize = 8;
    vec![
        ("Link", std::mem::size_of::<Link>()),
        ("Internal", ARC + std::mem::size_of::<Internal>()),
        ("Leaf<32>", ARC + std::mem::size_of::<Leaf<Inline<32>>>()),
        ("Leaf<64>", ARC + std::mem::size_of::<Leaf<Inline<64>>>()),
        ("Leaf<128>", ARC + std::mem::size_of::<Leaf<Inline<128>>>()),
    ]
}
