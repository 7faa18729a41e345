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

/// The subtree at `node` with `key` set to `value`. Returns `node` itself (same `Arc`) when
/// nothing changes, so unchanged paths keep their cached hashes.
pub(crate) fn insert(
    node: &Link,
    key: &H256,
    value: Vec<u8>,
    op: &mut Opener<'_>,
) -> Result<Link, StateError> {
    match op.open(node)? {
        Opened::Leaf(leaf) => {
            if leaf.key == *key {
                if leaf.value == value {
                    return Ok(Arc::clone(node));
                }
                return Ok(Node::leaf(*key, value));
            }
            // Distinct keys differ at some bit < 256, so the split fits in a u8.
            let split = common_prefix_bits(&leaf.key, key) as u8;
            Ok(diverge(split, key, Arc::clone(node), value))
        }
        Opened::Internal(int) => {
            let shared = common_prefix_bits(&int.prefix, key);
            if shared < u16::from(int.split) {
                // The key leaves this subtree's prefix above it: a new node joins them.
                // shared < split <= 255, so it fits in a u8.
                return Ok(diverge(shared as u8, key, Arc::clone(node), value));
            }
            let right = bit(key, int.split);
            let (child, sibling) = int.child_and_sibling(right);
            let new_child = insert(child, key, value, op)?;
            if Arc::ptr_eq(&new_child, child) {
                return Ok(Arc::clone(node));
            }
            Ok(join(
                int.split,
                int.prefix,
                new_child,
                Arc::clone(sibling),
                right,
            ))
        }
    }
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
#[derive(Debug)]
pub(crate) enum Removal {
    /// The key was not there; the subtree is unchanged.
    Absent,
    /// The subtree was that single leaf and is now empty.
    Emptied,
    /// The subtree without the key.
    Replaced(Link),
}

/// Deletes `key` from the subtree at `node`.
pub(crate) fn delete(node: &Link, key: &H256, op: &mut Opener<'_>) -> Result<Removal, StateError> {
    match op.open(node)? {
        Opened::Leaf(leaf) => Ok(if leaf.key == *key {
            Removal::Emptied
        } else {
            Removal::Absent
        }),
        Opened::Internal(int) => {
            if !agree(key, &int.prefix, u16::from(int.split)) {
                return Ok(Removal::Absent);
            }
            let right = bit(key, int.split);
            let (child, sibling) = int.child_and_sibling(right);
            Ok(match delete(child, key, op)? {
                Removal::Absent => Removal::Absent,
                // One child left: it takes this node's place as it is (canonical shape).
                Removal::Emptied => Removal::Replaced(Arc::clone(sibling)),
                Removal::Replaced(new_child) => Removal::Replaced(join(
                    int.split,
                    int.prefix,
                    new_child,
                    Arc::clone(sibling),
                    right,
                )),
            })
        }
    }
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
