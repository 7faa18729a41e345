//! The map operations on a (possibly pruned) subtree: lookup, insert, delete and
//! first-with-prefix, by path copying.
//!
//! Each operation opens exactly the nodes whose contents it needs, through an [`Opener`],
//! which is what makes witnesses exact: on insert, the node where the new key diverges is
//! opened (its split and prefix decide where the key goes) but its children are not; on
//! delete, the sibling of the removed leaf is re-attached as it is, so it may stay pruned.
//! Recursion depth is bounded by 257 (splits strictly increase along a path).

use super::bits::{agree, bit, common_prefix_bits, masked};
use super::node::{Leaf, Link, Node, Opened, Opener, join};
use crate::primitives::H256;
use crate::state::StateError;
use std::sync::Arc;

/// The value stored under `key` in the subtree at `node`, if any.
pub(crate) fn get<'t>(
    mut node: &'t Link,
    key: &H256,
    op: &mut Opener<'_>,
) -> Result<Option<&'t [u8]>, StateError> {
    loop {
        match op.open(node)? {
            Opened::Leaf(leaf) => return Ok((leaf.key == *key).then_some(leaf.value.as_slice())),
            Opened::Internal(int) => {
                if !agree(key, &int.prefix, u16::from(int.split)) {
                    return Ok(None);
                }
                node = int.child_and_sibling(bit(key, int.split)).0;
            }
        }
    }
}

/// What an insert did to the subtree.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Inserted {
    /// The key already held that value: nothing changed (cached hashes stay).
    Unchanged,
    /// The key was absent.
    Added,
    /// The key held this other value.
    Replaced(Vec<u8>),
}

/// Sets `key` to `value` in the subtree at `link`; says what it replaced (an unchanged
/// subtree keeps its cached hashes). Shared nodes are copied, unshared ones updated in
/// place (see `node`).
pub(crate) fn insert(
    link: &mut Link,
    key: &H256,
    value: Vec<u8>,
    op: &mut Opener<'_>,
) -> Result<Inserted, StateError> {
    let right = match op.open(link)? {
        Opened::Leaf(leaf) => {
            if leaf.key != *key {
                // Distinct keys differ at some bit < 256, so the split fits in a u8.
                let split = common_prefix_bits(&leaf.key, key) as u8;
                *link = diverge(split, key, Arc::clone(link), value);
                return Ok(Inserted::Added);
            }
            if leaf.value == value {
                return Ok(Inserted::Unchanged);
            }
            return Ok(Inserted::Replaced(replace_leaf_value(link, key, value)));
        }
        Opened::Internal(int) => {
            let shared = common_prefix_bits(&int.prefix, key);
            if shared < u16::from(int.split) {
                // The key leaves this subtree's prefix above it: a new node joins them.
                // shared < split <= 255, so it fits in a u8.
                *link = diverge(shared as u8, key, Arc::clone(link), value);
                return Ok(Inserted::Added);
            }
            bit(key, int.split)
        }
    };
    if let Some(Node::Internal(owned)) = Arc::get_mut(link) {
        let inserted = insert(owned.child_mut(right), key, value, op)?;
        if inserted != Inserted::Unchanged {
            owned.forget_hash();
        }
        return Ok(inserted);
    }
    let int = link
        .as_internal()
        .expect("opened above as an internal node");
    let (child, sibling) = int.child_and_sibling(right);
    let mut new_child = Arc::clone(child);
    let inserted = insert(&mut new_child, key, value, op)?;
    if inserted != Inserted::Unchanged {
        *link = join(int.split, int.prefix, new_child, Arc::clone(sibling), right);
    }
    Ok(inserted)
}

/// Gives the leaf at `link` (opened by the caller) a new value: in place if unshared;
/// returns the value it held.
fn replace_leaf_value(link: &mut Link, key: &H256, value: Vec<u8>) -> Vec<u8> {
    if let Some(Node::Leaf(owned)) = Arc::get_mut(link) {
        return owned.replace_value(value);
    }
    let before = match &**link {
        Node::Leaf(leaf) => leaf.value.clone(),
        Node::Internal(_) | Node::Pruned(_) => unreachable!("opened as a leaf by the caller"),
    };
    *link = Node::leaf(*key, value);
    before
}

/// A new internal node at `split` holding `existing` and a new leaf for `key`.
fn diverge(split: u8, key: &H256, existing: Link, value: Vec<u8>) -> Link {
    let new_leaf = Node::leaf(*key, value);
    join(
        split,
        masked(key, u16::from(split)),
        new_leaf,
        existing,
        bit(key, split),
    )
}

/// The outcome of deleting from a subtree.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Removal {
    /// The key was not there; the subtree is unchanged.
    Absent,
    /// The subtree was that single leaf, holding this value, and is now empty (the caller
    /// drops it).
    Emptied(Vec<u8>),
    /// The key was removed from the subtree, which is not empty.
    Changed(Removed),
}

/// What a delete removed below an internal node: enough to put it back exactly
/// ([`reinsert`]) without opening the sibling that took the node's place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Removed {
    pub value: Vec<u8>,
    /// The split and prefix of the internal node the leaf hung under.
    pub split: u8,
    pub prefix: H256,
}

/// Deletes `key` from the subtree at `link`. When one child of an internal node empties,
/// the other takes the node's place as it is (canonical shape; it may stay pruned).
pub(crate) fn delete(
    link: &mut Link,
    key: &H256,
    op: &mut Opener<'_>,
) -> Result<Removal, StateError> {
    let right = match op.open(link)? {
        Opened::Leaf(leaf) => {
            return Ok(if leaf.key == *key {
                Removal::Emptied(leaf.value.clone())
            } else {
                Removal::Absent
            });
        }
        Opened::Internal(int) => {
            if !agree(key, &int.prefix, u16::from(int.split)) {
                return Ok(Removal::Absent);
            }
            bit(key, int.split)
        }
    };
    if let Some(Node::Internal(owned)) = Arc::get_mut(link) {
        return Ok(match delete(owned.child_mut(right), key, op)? {
            Removal::Absent => Removal::Absent,
            Removal::Changed(removed) => {
                owned.forget_hash();
                Removal::Changed(removed)
            }
            Removal::Emptied(value) => {
                let (split, prefix) = (owned.split, owned.prefix);
                let sibling = Arc::clone(owned.child_mut(!right));
                *link = sibling;
                Removal::Changed(Removed {
                    value,
                    split,
                    prefix,
                })
            }
        });
    }
    let int = link
        .as_internal()
        .expect("opened above as an internal node");
    let (child, sibling) = int.child_and_sibling(right);
    let mut new_child = Arc::clone(child);
    let (replacement, removed) = match delete(&mut new_child, key, op)? {
        Removal::Absent => return Ok(Removal::Absent),
        Removal::Emptied(value) => (
            Arc::clone(sibling),
            Removed {
                value,
                split: int.split,
                prefix: int.prefix,
            },
        ),
        Removal::Changed(removed) => (
            join(int.split, int.prefix, new_child, Arc::clone(sibling), right),
            removed,
        ),
    };
    *link = replacement;
    Ok(Removal::Changed(removed))
}

/// Undoes a [`delete`] that returned `removed` for `key`, on the subtree exactly as that
/// delete left it: the removed internal node goes back where its surviving child now
/// sits. That place is found from splits alone (the nodes above it split before
/// `removed.split`, the survivor after it, or is a leaf or pruned), so the survivor is
/// never opened and a witness need not hold it. The nodes above were opened by the delete.
pub(crate) fn reinsert(link: &mut Link, key: &H256, removed: Removed) {
    let descend = match &**link {
        Node::Internal(int) if int.split < removed.split => Some(bit(key, int.split)),
        _ => None,
    };
    let Some(right) = descend else {
        let right = bit(key, removed.split);
        let leaf = Node::leaf(*key, removed.value);
        *link = join(removed.split, removed.prefix, leaf, Arc::clone(link), right);
        return;
    };
    if let Some(Node::Internal(owned)) = Arc::get_mut(link) {
        reinsert(owned.child_mut(right), key, removed);
        owned.forget_hash();
        return;
    }
    let int = link
        .as_internal()
        .expect("matched above as an internal node");
    let (child, sibling) = int.child_and_sibling(right);
    let mut new_child = Arc::clone(child);
    reinsert(&mut new_child, key, removed);
    *link = join(int.split, int.prefix, new_child, Arc::clone(sibling), right);
}

/// The smallest leaf whose key starts with the first `bits` bits of `prefix`.
///
/// Follows the prefix's bits while the node's split lies inside the prefix; once a node's
/// split lies at or beyond it, every key below shares the prefix and the leftmost leaf is
/// the answer.
pub(crate) fn first_with_prefix<'t>(
    mut node: &'t Link,
    prefix: &H256,
    bits: u16,
    op: &mut Opener<'_>,
) -> Result<Option<&'t Leaf>, StateError> {
    loop {
        match op.open(node)? {
            Opened::Leaf(leaf) => return Ok(agree(&leaf.key, prefix, bits).then_some(leaf)),
            Opened::Internal(int) => {
                let split = u16::from(int.split);
                if !agree(&int.prefix, prefix, split.min(bits)) {
                    return Ok(None);
                }
                let right = split < bits && bit(prefix, int.split);
                node = int.child_and_sibling(right).0;
            }
        }
    }
}
