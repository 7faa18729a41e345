//! The authenticated state tree: a binary Patricia (path-compressed) Merkle tree over
//! 256-bit keys, hashed with keccak256. Normative spec: docs/PROTOCOL.md Part 3.
//!
//! - Shape: a function of the key set alone. A subtree with one key is that leaf; an
//!   internal node has two non-empty children whose keys first differ at bit `split`
//!   (left = bit 0) and commits to the `prefix` they share. Keys order bytewise, which
//!   equals MSB-first bitwise order, so an in-order walk is ascending.
//! - Storage: immutable nodes behind `Arc` with path copying, so `Clone` and snapshots are
//!   O(1), and lazily cached hashes, so [`Tree::root`] re-hashes only dirty paths. Nodes
//!   no clone shares are updated in place. Internal nodes do not store their prefix (see
//!   `node` for the memory layout and `ops` for how walks derive it).
//! - Atomicity: the undo log of [`State::begin`] (see `crate::state`). Undoing a delete
//!   puts the removed internal node back by its split without opening the sibling, and
//!   undoing never records, so a rolled-back transaction's witness holds exactly the
//!   nodes its own operations opened, as under a root snapshot.
//! - Witnesses: a node may be pruned to its hash (see `witness`). Operations that need the
//!   contents of a pruned node fail with `StateError::WitnessIncomplete`, never guess.
//! - Proofs: inclusion, exclusion and first-with-prefix, see [`Proof`].
//!
//! Module map: `bits` (key bit helpers) → `hashing` (preimages) → `node` (nodes, opening,
//! hash cache) → `ops` (get/insert/delete/first-with-prefix) → `proof` (proof format and
//! generation) / `verify` (proof checking) → `witness` (recording, pruning) /
//! `witness_codec` (witness bytes) → `iter` (ordered walk); `bulk` (building from sorted
//! leaves), `footprint` (node counts for the memory bench).

mod bits;
mod bulk;
mod footprint;
pub mod hashing;
mod iter;
mod lanes;
mod node;
mod ops;
mod proof;
mod verify;
mod witness;
mod witness_codec;

pub use footprint::Footprint;
pub use hashing::{EMPTY_ROOT, internal_hash, leaf_hash, leaf_hash_from_value_hash};
pub use iter::Iter;
pub use node::node_sizes;
pub use proof::{MAX_PROOF_STEPS, Proof, ProofStep, Terminal};
pub use verify::ProofError;
pub use witness::Recording;
pub use witness_codec::{MAX_WITNESS_BYTES, WitnessError};

use crate::codec::{Encode, Writer};
use crate::primitives::H256;
use crate::state::{Mark, State, StateError, UndoLog};
use node::{HashCounter, Link, Opener, Taken};
use ops::{Inserted, Removal, Removed};
use std::collections::BTreeSet;
use std::fmt;

/// The authenticated ordered map holding the whole exchange state (or a pruned witness of
/// it). Cheap to clone: clones share all nodes.
pub struct Tree {
    root: Option<Link>,
    /// Identities of the nodes opened since `start_recording`, when recording.
    recording: Option<BTreeSet<usize>>,
    hashes: HashCounter,
    undo: UndoLog<Undo>,
    /// Where `set_record` encodes (its allocation kept from one write to the next; leaves
    /// copy the bytes into their own blocks). Empty in a clone.
    scratch: Vec<u8>,
}

/// One logged write of an open section, to undo.
#[derive(Debug, Clone)]
enum Undo {
    /// A set: `key` held `before` (`None`: absent).
    Set { key: H256, before: Option<Taken> },
    /// A delete that left other leaves: the removed leaf and its node, for `ops::reinsert`.
    Deleted { key: H256, removed: Removed },
    /// A delete that emptied the tree: its only leaf held `value`.
    Emptied { key: H256, value: Taken },
}

impl Undo {
    fn key(&self) -> &H256 {
        match self {
            Undo::Set { key, .. } | Undo::Deleted { key, .. } | Undo::Emptied { key, .. } => key,
        }
    }

    fn into_before(self) -> Option<Taken> {
        match self {
            Undo::Set { before, .. } => before,
            Undo::Deleted { removed, .. } => Some(removed.value),
            Undo::Emptied { value, .. } => Some(value),
        }
    }

    /// What the key held before this write.
    fn before(&self) -> Option<&[u8]> {
        match self {
            Undo::Set { before, .. } => before.as_ref().map(Taken::bytes),
            Undo::Deleted { removed, .. } => Some(removed.value.bytes()),
            Undo::Emptied { value, .. } => Some(value.bytes()),
        }
    }
}

/// A read-only view of a tree at the start of an open section ([`Tree::at`]), or as it
/// is now (`From<&Tree>`).
#[derive(Debug, Clone, Copy)]
pub struct TreeAt<'t> {
    tree: &'t Tree,
    mark: Option<Mark>,
}

impl<'t> TreeAt<'t> {
    /// What `key` held then: its value before the section's first logged write to it,
    /// else its value now.
    pub fn lookup(&self, key: &H256) -> Result<Option<&'t [u8]>, StateError> {
        let logged = self
            .mark
            .and_then(|mark| self.tree.undo.since(mark).iter().find(|u| u.key() == key));
        match logged {
            Some(undo) => Ok(undo.before()),
            None => self.tree.lookup(key),
        }
    }
}

impl<'t> From<&'t Tree> for TreeAt<'t> {
    fn from(tree: &'t Tree) -> Self {
        TreeAt { tree, mark: None }
    }
}

/// A saved tree state for [`Tree::restore`]: the root only, so restoring does not drop
/// what is being recorded (a rolled-back transaction still needed the nodes it read).
/// The undo log replaced it for atomicity; tests keep it as the reference the log is
/// proven against.
pub struct TreeSnapshot {
    root: Option<Link>,
}

impl Tree {
    /// The empty tree (root [`EMPTY_ROOT`]).
    pub fn new() -> Self {
        Tree::from_root(None)
    }

    fn from_root(root: Option<Link>) -> Self {
        Tree {
            root,
            recording: None,
            hashes: HashCounter::default(),
            undo: UndoLog::default(),
            scratch: Vec::new(),
        }
    }

    /// The root hash, computing the hashes of nodes changed since the last call (and only
    /// those: unchanged subtrees keep their cached hashes).
    pub fn root(&self) -> H256 {
        match &self.root {
            None => EMPTY_ROOT,
            Some(node) => {
                if let Some(lanes) = keccak_lanes::Lanes8::detect() {
                    lanes::fill(node, &self.hashes, Some(lanes));
                }
                node.hash(&self.hashes)
            }
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
            Some(root) => match ops::get_unrecorded(root, key) {
                Some(found) => Ok(found),
                None => ops::get(root, key, &mut Opener::new(None, *key)),
            },
        }
    }

    /// The present leaves in ascending key order. Pruned subtrees are skipped, so on a
    /// witness this lists only the leaves it carries.
    pub fn iter(&self) -> Iter<'_> {
        Iter::new(self.root.as_ref())
    }

    /// This tree as it was when the open section at `mark` began (its reads go through the
    /// section's undo log). Lets a caller read the state before a transaction without
    /// keeping a clone of it, which would force every write to copy its path.
    pub fn at(&self, mark: Mark) -> TreeAt<'_> {
        TreeAt {
            tree: self,
            mark: Some(mark),
        }
    }

    /// A saved root to [`Tree::restore`] (the recording is kept): the reference that the
    /// undo log of [`State::begin`] replaced, kept for tests comparing the two.
    pub fn snapshot(&self) -> TreeSnapshot {
        TreeSnapshot {
            root: self.root.clone(),
        }
    }

    /// Returns to a [`Tree::snapshot`], keeping what is being recorded.
    pub fn restore(&mut self, snapshot: TreeSnapshot) {
        self.root = snapshot.root;
    }

    /// Undoes one logged write. Nothing is recorded: the write being undone opened every
    /// node this needs, and a delete is undone without opening the sibling.
    fn undo(&mut self, undo: Undo) -> Result<(), StateError> {
        let Some(root) = self.root.as_mut() else {
            // Only a write that emptied the tree leaves it empty: put its leaf back.
            let key = *undo.key();
            if let Some(value) = undo.into_before() {
                self.root = Some(Link::leaf(key, value.bytes()));
            }
            return Ok(());
        };
        // Undo records nothing (see above), so the in-place walks serve it.
        match undo {
            Undo::Set { key, before: None } => {
                if matches!(ops::delete_unrecorded(root, &key)?, Removal::Emptied(_)) {
                    self.root = None;
                }
            }
            Undo::Set {
                key,
                before: Some(value),
            }
            // A tree emptied by a delete is empty until that delete is undone.
            | Undo::Emptied { key, value } => {
                ops::insert_unrecorded(root, &key, value.bytes())?;
            }
            Undo::Deleted { key, removed } => ops::reinsert(root, &key, removed),
        }
        Ok(())
    }

    /// `State::set` from borrowed bytes (a leaf copies them into its own block).
    fn set_bytes(&mut self, key: &H256, value: &[u8]) -> Result<(), StateError> {
        let unrecorded = self.recording.is_none();
        let inserted = match self.opener(*key) {
            (None, _) => {
                self.root = Some(Link::leaf(*key, value));
                Inserted::Added
            }
            // Unless the nodes opened are being recorded, the in-place walk does the same.
            (Some(root), _) if unrecorded => ops::insert_unrecorded(root, key, value)?,
            (Some(root), mut op) => ops::insert(root, key, value, &mut op)?,
        };
        match inserted {
            Inserted::Unchanged => {}
            Inserted::Added => self.undo.record(|| Undo::Set {
                key: *key,
                before: None,
            }),
            Inserted::Replaced(before) => self.undo.record(|| Undo::Set {
                key: *key,
                before: Some(before),
            }),
        }
        Ok(())
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
    fn get(&mut self, key: &H256) -> Result<Option<Vec<u8>>, StateError> {
        self.get_with(key, <[u8]>::to_vec)
    }

    fn get_with<R>(
        &mut self,
        key: &H256,
        f: impl FnOnce(&[u8]) -> R,
    ) -> Result<Option<R>, StateError> {
        // Unless the nodes opened are being recorded for a witness, the one walk of
        // `lookup` gives the same answer.
        if self.recording.is_none() {
            return Ok(self.lookup(key)?.map(f));
        }
        match self.opener(*key) {
            (None, _) => Ok(None),
            (Some(root), mut op) => Ok(ops::get(root, key, &mut op)?.map(f)),
        }
    }

    fn set(&mut self, key: &H256, value: Vec<u8>) -> Result<(), StateError> {
        self.set_bytes(key, &value)
    }

    fn set_record<E: Encode + ?Sized>(&mut self, key: &H256, value: &E) -> Result<(), StateError> {
        let mut writer = Writer::reusing(std::mem::take(&mut self.scratch));
        value.encode_to(&mut writer);
        let bytes = writer.finish();
        let result = self.set_bytes(key, &bytes);
        self.scratch = bytes;
        result
    }

    fn delete(&mut self, key: &H256) -> Result<(), StateError> {
        let unrecorded = self.recording.is_none();
        let removal = match self.opener(*key) {
            (None, _) => return Ok(()),
            (Some(root), _) if unrecorded => ops::delete_unrecorded(root, key)?,
            (Some(root), mut op) => ops::delete(root, key, &mut op)?,
        };
        match removal {
            Removal::Absent => {}
            Removal::Emptied(value) => {
                self.root = None;
                self.undo.record(|| Undo::Emptied { key: *key, value });
            }
            Removal::Changed(removed) => {
                self.undo.record(|| Undo::Deleted { key: *key, removed });
            }
        }
        Ok(())
    }

    fn first_with_prefix(&mut self, prefix: &[u8]) -> Result<Option<(H256, Vec<u8>)>, StateError> {
        self.first_with_prefix_with(prefix, |key, value| (*key, value.to_vec()))
    }

    fn first_with_prefix_with<R>(
        &mut self,
        prefix: &[u8],
        f: impl FnOnce(&H256, &[u8]) -> R,
    ) -> Result<Option<R>, StateError> {
        // A prefix longer than a key is a prefix of no key.
        let Some((padded, bits)) = bits::padded_prefix(prefix) else {
            return Ok(None);
        };
        let unrecorded = self.recording.is_none();
        let (Some(root), mut op) = self.opener(padded) else {
            return Ok(None);
        };
        // Unless the nodes opened are being recorded, one walk gives the same answer.
        let fast = unrecorded
            .then(|| ops::first_with_prefix_unrecorded(root, &padded, bits))
            .flatten();
        let found = match fast {
            Some(found) => found,
            None => ops::first_with_prefix(root, &padded, bits, &mut op)?,
        };
        Ok(found.map(|leaf| f(leaf.key(), leaf.value())))
    }

    fn begin(&mut self) -> Mark {
        self.undo.begin()
    }

    fn commit(&mut self, mark: Mark) {
        self.undo.commit(mark);
    }

    fn rollback(&mut self, mark: Mark) -> Result<(), StateError> {
        for undo in self.undo.rollback(mark) {
            self.undo(undo)?;
        }
        Ok(())
    }
}

impl Default for Tree {
    fn default() -> Self {
        Tree::new()
    }
}

impl Clone for Tree {
    /// O(1) unless recording (then the recorded set is copied too) or inside a section
    /// (its undo log is copied).
    fn clone(&self) -> Self {
        Tree {
            root: self.root.clone(),
            recording: self.recording.clone(),
            hashes: self.hashes.copy(),
            undo: self.undo.clone(),
            scratch: Vec::new(),
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
