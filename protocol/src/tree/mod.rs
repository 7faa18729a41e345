//! The authenticated state tree: a binary Patricia (path-compressed) Merkle tree over
//! 256-bit keys, hashed with keccak256. Normative spec: docs/PROTOCOL.md Part 3.
//!
//! - Shape: a function of the key set alone. A subtree with one key is that leaf; an
//!   internal node has two non-empty children whose keys first differ at bit `split`
//!   (left = bit 0) and commits to the `prefix` they share. Keys order bytewise, which
//!   equals MSB-first bitwise order, so an in-order walk is ascending.
//! - Storage: immutable nodes behind `Arc` with path copying, so `Clone` and snapshots are
//!   O(1), and lazily cached hashes, so [`Tree::root`] re-hashes only dirty paths.
//! - Witnesses: a node may be pruned to its hash (see `witness`). Operations that need the
//!   contents of a pruned node fail with `StateError::WitnessIncomplete`, never guess.
//! - Proofs: inclusion, exclusion and first-with-prefix, see [`Proof`].
//!
//! Module map: `bits` (key bit helpers) → `hashing` (preimages) → `node` (nodes, opening,
//! hash cache) → `ops` (get/insert/delete/first-with-prefix) → `proof` (proof format and
//! generation) / `verify` (proof checking) → `witness` (recording, pruning) /
//! `witness_codec` (witness bytes) → `iter` (ordered walk).

mod bits;
pub mod hashing;
mod iter;
mod node;
mod ops;
mod proof;
mod verify;
mod witness;
mod witness_codec;

pub use hashing::{EMPTY_ROOT, internal_hash, leaf_hash, leaf_hash_from_value_hash};
pub use iter::Iter;
pub use proof::{MAX_PROOF_STEPS, Proof, ProofStep, Terminal};
pub use verify::ProofError;
pub use witness::Recording;
pub use witness_codec::{MAX_WITNESS_BYTES, WitnessError};

use crate::primitives::H256;
use crate::state::{State, StateError};
use node::{HashCounter, Link, Node, Opener};
use std::collections::BTreeSet;
use std::fmt;

/// The authenticated ordered map holding the whole exchange state (or a pruned witness of
/// it). Cheap to clone: clones share all nodes.
pub struct Tree {
    root: Option<Link>,
    /// Identities of the nodes opened since `start_recording`, when recording.
    recording: Option<BTreeSet<usize>>,
    hashes: HashCounter,
}

/// A saved tree state for [`State::restore`]: the root only, so restoring does not drop
/// what is being recorded (a rolled-back transaction still needed the nodes it read).
pub struct TreeSnapshot {
    root: Option<Link>,
}

impl Tree {
    /// The empty tree (root [`EMPTY_ROOT`]).
    pub fn new() -> Self {
        Tree {
            root: None,
            recording: None,
            hashes: HashCounter::default(),
        }
    }

    fn from_root(root: Option<Link>) -> Self {
        Tree {
            root,
            recording: None,
            hashes: HashCounter::default(),
        }
    }

    /// The root hash, computing the hashes of nodes changed since the last call (and only
    /// those: unchanged subtrees keep their cached hashes).
    pub fn root(&self) -> H256 {
        match &self.root {
            None => EMPTY_ROOT,
            Some(node) => node.hash(&self.hashes),
        }
    }

    /// How many node hashes this tree value has computed so far (leaf and internal nodes
    /// count one each; a clone starts from its source's count). For benches and tests of
    /// incremental hashing.
    pub fn hash_count(&self) -> u64 {
        self.hashes.get()
    }

    pub fn is_empty(&self) -> bool {
        self.root.is_none()
    }

    /// Reads a value without recording it (for queries outside the STF, e.g. the API).
    pub fn lookup(&self, key: &H256) -> Result<Option<&[u8]>, StateError> {
        match &self.root {
            None => Ok(None),
            Some(root) => ops::get(root, key, &mut Opener::new(None, *key)),
        }
    }

    /// The present leaves in ascending key order. Pruned subtrees are skipped, so on a
    /// witness this lists only the leaves it carries.
    pub fn iter(&self) -> Iter<'_> {
        Iter::new(self.root.as_ref())
    }

    /// The root, mutably, and an opener recording into this tree's recording (if any).
    fn opener(&mut self, key: H256) -> (Option<&mut Link>, Opener<'_>) {
        (
            self.root.as_mut(),
            Opener::new(self.recording.as_mut(), key),
        )
    }
}

impl State for Tree {
    type Snapshot = TreeSnapshot;

    fn get(&mut self, key: &H256) -> Result<Option<Vec<u8>>, StateError> {
        match self.opener(*key) {
            (None, _) => Ok(None),
            (Some(root), mut op) => Ok(ops::get(root, key, &mut op)?.map(<[u8]>::to_vec)),
        }
    }

    fn set(&mut self, key: &H256, value: Vec<u8>) -> Result<(), StateError> {
        match self.opener(*key) {
            (None, _) => self.root = Some(Node::leaf(*key, value)),
            (Some(root), mut op) => {
                ops::insert(root, key, value, &mut op)?;
            }
        }
        Ok(())
    }

    fn delete(&mut self, key: &H256) -> Result<(), StateError> {
        let removal = match self.opener(*key) {
            (None, _) => return Ok(()),
            (Some(root), mut op) => ops::delete(root, key, &mut op)?,
        };
        if removal == ops::Removal::Emptied {
            self.root = None;
        }
        Ok(())
    }

    fn first_with_prefix(&mut self, prefix: &[u8]) -> Result<Option<(H256, Vec<u8>)>, StateError> {
        // A prefix longer than a key is a prefix of no key.
        let Some((padded, bits)) = bits::padded_prefix(prefix) else {
            return Ok(None);
        };
        match self.opener(padded) {
            (None, _) => Ok(None),
            (Some(root), mut op) => {
                let found = ops::first_with_prefix(root, &padded, bits, &mut op)?;
                Ok(found.map(|leaf| (leaf.key, leaf.value.clone())))
            }
        }
    }

    fn snapshot(&self) -> TreeSnapshot {
        TreeSnapshot {
            root: self.root.clone(),
        }
    }

    fn restore(&mut self, snapshot: TreeSnapshot) {
        self.root = snapshot.root;
    }
}

impl Default for Tree {
    fn default() -> Self {
        Tree::new()
    }
}

impl Clone for Tree {
    /// O(1) unless recording (then the recorded set is copied too).
    fn clone(&self) -> Self {
        Tree {
            root: self.root.clone(),
            recording: self.recording.clone(),
            hashes: self.hashes.copy(),
        }
    }
}

impl FromIterator<(H256, Vec<u8>)> for Tree {
    fn from_iter<I: IntoIterator<Item = (H256, Vec<u8>)>>(entries: I) -> Self {
        let mut tree = Tree::new();
        for (key, value) in entries {
            tree.set(&key, value)
                .expect("a tree built from scratch has no pruned nodes");
        }
        tree
    }
}

impl fmt::Debug for Tree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let root = match &self.root {
            None => Some(EMPTY_ROOT),
            Some(node) => node.cached_hash(),
        };
        f.debug_struct("Tree")
            .field(
                "root",
                &root.map_or_else(|| "<not yet hashed>".to_string(), |h| h.to_string()),
            )
            .field("recording", &self.recording.is_some())
            .finish()
    }
}

impl fmt::Debug for TreeSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TreeSnapshot")
            .field("empty", &self.root.is_none())
            .finish()
    }
}

#[cfg(test)]
mod tests;
