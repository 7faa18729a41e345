//! Tree nodes: immutable, shared behind `Arc`, each caching its own hash.
//!
//! Updates never mutate a shared node; they copy the path from the root to the change and
//! share every untouched subtree (path copying). So cloning a tree is one `Arc` clone,
//! snapshots are free, and a shared node's cached hash stays valid for as long as it lives:
//! after an update only the changed path lacks a hash, which is what makes root computation
//! incremental. A node that no snapshot or clone shares (`Arc::get_mut` succeeds) is
//! updated in place instead, forgetting its hash: the result is the same, without the
//! allocations and the cache misses of touching the siblings' reference counts.

use super::hashing::{internal_hash, leaf_hash};
use crate::primitives::H256;
use crate::state::StateError;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// A shared, immutable node.
pub(crate) type Link = Arc<Node>;

#[derive(Debug)]
pub(crate) enum Node {
    Leaf(Leaf),
    Internal(Internal),
    /// A subtree known only by its hash (witnesses prune what a step does not touch).
    Pruned(H256),
}

#[derive(Debug)]
pub(crate) struct Leaf {
    pub key: H256,
    pub value: Vec<u8>,
    hash: OnceLock<H256>,
}

/// Two non-empty children whose keys first differ at bit `split`.
#[derive(Debug)]
pub(crate) struct Internal {
    pub split: u8,
    /// The bits every key below shares (bits `0..split`); bits `>= split` are zero.
    pub prefix: H256,
    /// Keys with bit `split` = 0.
    pub left: Link,
    /// Keys with bit `split` = 1.
    pub right: Link,
    hash: OnceLock<H256>,
}

impl Node {
    pub(crate) fn leaf(key: H256, value: Vec<u8>) -> Link {
        Arc::new(Node::Leaf(Leaf {
            key,
            value,
            hash: OnceLock::new(),
        }))
    }

    pub(crate) fn internal(split: u8, prefix: H256, left: Link, right: Link) -> Link {
        Node::internal_with_hash(split, prefix, left, right, OnceLock::new())
    }

    /// An internal node whose hash is already known (e.g. re-built while pruning).
    pub(crate) fn internal_with_hash(
        split: u8,
        prefix: H256,
        left: Link,
        right: Link,
        hash: OnceLock<H256>,
    ) -> Link {
        debug_assert_eq!(
            prefix,
            super::bits::masked(&prefix, u16::from(split)),
            "prefix bits >= split must be zero"
        );
        Arc::new(Node::Internal(Internal {
            split,
            prefix,
            left,
            right,
            hash,
        }))
    }

    pub(crate) fn pruned(hash: H256) -> Link {
        Arc::new(Node::Pruned(hash))
    }

    /// The node's hash, computing (and caching) it and any missing descendant hashes.
    /// Each node hash computed is counted in `counter`.
    pub(crate) fn hash(&self, counter: &HashCounter) -> H256 {
        match self {
            Node::Pruned(hash) => *hash,
            Node::Leaf(leaf) => *leaf.hash.get_or_init(|| {
                counter.bump();
                leaf_hash(&leaf.key, &leaf.value)
            }),
            Node::Internal(int) => {
                if let Some(hash) = int.hash.get() {
                    return *hash;
                }
                let left = int.left.hash(counter);
                let right = int.right.hash(counter);
                *int.hash.get_or_init(|| {
                    counter.bump();
                    internal_hash(int.split, &int.prefix, &left, &right)
                })
            }
        }
    }

    pub(crate) fn as_internal(&self) -> Option<&Internal> {
        match self {
            Node::Internal(int) => Some(int),
            Node::Leaf(_) | Node::Pruned(_) => None,
        }
    }

    /// The hash if it is already known, without computing anything.
    pub(crate) fn cached_hash(&self) -> Option<H256> {
        match self {
            Node::Pruned(hash) => Some(*hash),
            Node::Leaf(leaf) => leaf.hash.get().copied(),
            Node::Internal(int) => int.hash.get().copied(),
        }
    }
}

impl Leaf {
    /// In-place update of a node no one else shares: new value, hash to recompute.
    /// Returns the value it held.
    pub(crate) fn replace_value(&mut self, value: Vec<u8>) -> Vec<u8> {
        self.hash = OnceLock::new();
        std::mem::replace(&mut self.value, value)
    }
}

impl Internal {
    /// The child on `right`'s side, for in-place updates of an unshared node.
    pub(crate) fn child_mut(&mut self, right: bool) -> &mut Link {
        if right {
            &mut self.right
        } else {
            &mut self.left
        }
    }

    /// Drops the cached hash after an in-place change below.
    pub(crate) fn forget_hash(&mut self) {
        self.hash = OnceLock::new();
    }

    /// The child on `right`'s side and the other one.
    pub(crate) fn child_and_sibling(&self, right: bool) -> (&Link, &Link) {
        if right {
            (&self.right, &self.left)
        } else {
            (&self.left, &self.right)
        }
    }

    /// A copy of this node's cached hash slot, for re-built nodes with identical hashes.
    pub(crate) fn hash_slot(&self) -> OnceLock<H256> {
        self.hash.clone()
    }
}

/// Builds an internal node from a child that goes on `right`'s side and its sibling.
pub(crate) fn join(split: u8, prefix: H256, child: Link, sibling: Link, right: bool) -> Link {
    if right {
        Node::internal(split, prefix, sibling, child)
    } else {
        Node::internal(split, prefix, child, sibling)
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
    Leaf(&'n Leaf),
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
        let opened = match &**node {
            Node::Leaf(leaf) => Opened::Leaf(leaf),
            Node::Internal(int) => Opened::Internal(int),
            Node::Pruned(_) => return Err(StateError::WitnessIncomplete(self.key)),
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
    Arc::as_ptr(node).addr()
}
