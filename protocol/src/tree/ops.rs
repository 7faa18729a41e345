//! The map operations on a (possibly pruned) subtree: lookup, insert, delete and
//! first-with-prefix, by path copying.
//!
//! Each operation opens exactly the nodes whose contents it needs, through an [`Opener`],
//! which is what makes witnesses exact: on insert, the node where the new key diverges is
//! opened (its split and prefix decide where the key goes) but its children are not; on
//! delete, the sibling of the removed leaf is re-attached as it is, so it may stay pruned.
//! Recursion depth is bounded by 257 (splits strictly increase along a path).
//!
//! Internal nodes do not store their prefix (see `node`). Each operation first follows its
//! path without opening anything ([`Link::path_key`]) to the key its walk ends at; every
//! node on the path has the first `split` bits of that key as its prefix, so "the target
//! agrees with this node's prefix" is "the target shares at least `split` bits with that
//! key", one comparison (`reach`) for the whole walk. The walk then opens the same nodes,
//! and decides the same way, as with stored prefixes.

use super::bits::{agree, bit, common_prefix_bits};
use super::node::{LeafLink, Link, Opened, Opener, Taken, join};
use crate::primitives::H256;
use crate::state::StateError;

/// How many leading bits `target` shares with the key its walk (over its first `bits`
/// bits) ends at; see the module docs.
fn reach(node: &Link, target: &H256, bits: u16) -> u16 {
    common_prefix_bits(node.path_key(target, bits), target)
}

/// The value stored under `key` in the subtree at `node`, if any.
pub(crate) fn get<'t>(
    mut node: &'t Link,
    key: &H256,
    op: &mut Opener<'_>,
) -> Result<Option<&'t [u8]>, StateError> {
    let reach = reach(node, key, 256);
    loop {
        match op.open(node)? {
            Opened::Leaf(leaf) => return Ok((leaf.key() == key).then_some(leaf.value())),
            Opened::Internal(int) => {
                // The key leaves this node's prefix: it is in no leaf below.
                if reach < u16::from(int.split) {
                    return Ok(None);
                }
                node = int.child_and_sibling(bit(key, int.split)).0;
            }
        }
    }
}

/// [`get`] when the nodes opened are not recorded: one walk down `key`'s bits to the one
/// leaf that can hold it (every key below a node shares the node's prefix, so a key that
/// is present is at the end of that walk), then one comparison, instead of a walk to
/// learn how far `key` reaches and a second one that opens only that far. The answer is
/// [`get`]'s; only the nodes passed differ, which matters to a witness being recorded, not
/// here. `None` when the walk meets a pruned node: [`get`] then decides (a witness may
/// lack nodes past where `key` leaves the tree, and `get` does not need them).
pub(crate) fn get_unrecorded<'t>(node: &'t Link, key: &H256) -> Option<Option<&'t [u8]>> {
    end_leaf(node, key).map(|leaf| (leaf.key() == key).then(|| leaf.value()))
}

/// What an insert did to the subtree.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Inserted {
    /// The key already held that value: nothing changed (cached hashes stay).
    Unchanged,
    /// The key was absent.
    Added,
    /// The key held this other value.
    Replaced(Taken),
}

/// Sets `key` to `value` in the subtree at `link`; says what it replaced (an unchanged
/// subtree keeps its cached hashes). Shared nodes are copied, unshared ones updated in
/// place (see `node`).
pub(crate) fn insert(
    link: &mut Link,
    key: &H256,
    value: &[u8],
    op: &mut Opener<'_>,
) -> Result<Inserted, StateError> {
    let reach = reach(link, key, 256);
    insert_below(link, key, value, reach, op)
}

/// [`insert`] at one node of the path, `reach` computed once at its top.
fn insert_below(
    link: &mut Link,
    key: &H256,
    value: &[u8],
    reach: u16,
    op: &mut Opener<'_>,
) -> Result<Inserted, StateError> {
    let right = match op.open(link)? {
        Opened::Leaf(leaf) => {
            if leaf.key() != key {
                // This leaf ends the walk, so `reach` is the bits its key shares with
                // `key`: distinct keys differ at some bit < 256, so it fits in a u8.
                *link = diverge(reach as u8, key, link.clone(), value);
                return Ok(Inserted::Added);
            }
            if leaf.value() == value {
                return Ok(Inserted::Unchanged);
            }
            let before = Taken::new(leaf.value());
            link.set_leaf_value(key, value);
            return Ok(Inserted::Replaced(before));
        }
        Opened::Internal(int) => {
            if reach < u16::from(int.split) {
                // The key leaves this subtree's prefix above it: a new node joins them.
                // reach < split <= 255, so it fits in a u8.
                *link = diverge(reach as u8, key, link.clone(), value);
                return Ok(Inserted::Added);
            }
            bit(key, int.split)
        }
    };
    if let Some(owned) = link.internal_mut() {
        let inserted = insert_below(owned.child_mut(right), key, value, reach, op)?;
        if inserted != Inserted::Unchanged {
            owned.forget_hash();
        }
        return Ok(inserted);
    }
    let int = link
        .as_internal()
        .expect("opened above as an internal node");
    let (child, sibling) = int.child_and_sibling(right);
    let mut new_child = child.clone();
    let inserted = insert_below(&mut new_child, key, value, reach, op)?;
    if inserted != Inserted::Unchanged {
        *link = join(int.split, new_child, sibling.clone(), right);
    }
    Ok(inserted)
}

/// The leaf a walk down `key`'s bits ends at (the one leaf that can hold `key`), or `None`
/// when the walk meets a pruned node: the first walk of the unrecorded get, insert and
/// delete.
fn end_leaf<'t>(mut node: &'t Link, key: &H256) -> Option<&'t LeafLink> {
    loop {
        match node {
            Link::Leaf(leaf) => return Some(leaf),
            Link::Internal(int) => node = int.child_and_sibling(bit(key, int.split)).0,
            Link::Pruned(_) => return None,
        }
    }
}

/// [`insert`] when the nodes opened are not recorded, in one walk that updates in place:
/// the first walk ([`end_leaf`]) learns how far
/// `key` reaches and whether anything changes at all; the second forgets the cached
/// hashes of the path and descends by plain pointers while the nodes are unshared,
/// instead of [`insert_below`]'s recursion through an [`Opener`]. The result and the tree
/// are [`insert`]'s: a shared node on the path hands the rest of the walk to
/// [`insert_below`] (which copies from there), a pruned one the whole insert to
/// [`insert`].
pub(crate) fn insert_unrecorded(
    link: &mut Link,
    key: &H256,
    value: &[u8],
) -> Result<Inserted, StateError> {
    let Some(end) = end_leaf(link, key) else {
        return insert(link, key, value, &mut Opener::new(None, *key));
    };
    if end.key() == key && end.value() == value {
        return Ok(Inserted::Unchanged);
    }
    let reach = common_prefix_bits(end.key(), key);
    let mut node = link;
    loop {
        let right = match &*node {
            Link::Internal(int) if u16::from(int.split) <= reach => bit(key, int.split),
            _ => break,
        };
        if !node.is_unshared_internal() {
            return insert_below(node, key, value, reach, &mut Opener::new(None, *key));
        }
        let owned = node.internal_mut().expect("checked unshared above");
        owned.forget_hash();
        node = owned.child_mut(right);
    }
    if let Link::Leaf(leaf) = &*node
        && leaf.key() == key
    {
        let before = Taken::new(leaf.value());
        node.set_leaf_value(key, value);
        return Ok(Inserted::Replaced(before));
    }
    // `reach` < 256 here (the key is absent), so it fits in a u8.
    *node = diverge(reach as u8, key, node.clone(), value);
    Ok(Inserted::Added)
}

/// A new internal node at `split` holding `existing` and a new leaf for `key`.
fn diverge(split: u8, key: &H256, existing: Link, value: &[u8]) -> Link {
    let new_leaf = Link::leaf(*key, value);
    join(split, new_leaf, existing, bit(key, split))
}

/// The outcome of deleting from a subtree.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Removal {
    /// The key was not there; the subtree is unchanged.
    Absent,
    /// The subtree was that single leaf, holding this value, and is now empty (the caller
    /// drops it).
    Emptied(Taken),
    /// The key was removed from the subtree, which is not empty.
    Changed(Removed),
}

/// What a delete removed below an internal node: enough to put it back exactly
/// ([`reinsert`]) without opening the sibling that took the node's place. The node's
/// prefix is the first `split` bits of the removed key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Removed {
    pub value: Taken,
    /// The split of the internal node the leaf hung under.
    pub split: u8,
}

/// Deletes `key` from the subtree at `link`. When one child of an internal node empties,
/// the other takes the node's place as it is (canonical shape; it may stay pruned).
pub(crate) fn delete(
    link: &mut Link,
    key: &H256,
    op: &mut Opener<'_>,
) -> Result<Removal, StateError> {
    let reach = reach(link, key, 256);
    delete_below(link, key, reach, op)
}

/// [`delete`] at one node of the path, `reach` computed once at its top.
fn delete_below(
    link: &mut Link,
    key: &H256,
    reach: u16,
    op: &mut Opener<'_>,
) -> Result<Removal, StateError> {
    let right = match op.open(link)? {
        Opened::Leaf(leaf) => {
            return Ok(if leaf.key() == key {
                Removal::Emptied(Taken::new(leaf.value()))
            } else {
                Removal::Absent
            });
        }
        Opened::Internal(int) => {
            if reach < u16::from(int.split) {
                return Ok(Removal::Absent);
            }
            bit(key, int.split)
        }
    };
    if let Some(owned) = link.internal_mut() {
        return Ok(
            match delete_below(owned.child_mut(right), key, reach, op)? {
                Removal::Absent => Removal::Absent,
                Removal::Changed(removed) => {
                    owned.forget_hash();
                    Removal::Changed(removed)
                }
                Removal::Emptied(value) => {
                    let split = owned.split;
                    let sibling = owned.child_mut(!right).clone();
                    *link = sibling;
                    Removal::Changed(Removed { value, split })
                }
            },
        );
    }
    let int = link
        .as_internal()
        .expect("opened above as an internal node");
    let (child, sibling) = int.child_and_sibling(right);
    let mut new_child = child.clone();
    let (replacement, removed) = match delete_below(&mut new_child, key, reach, op)? {
        Removal::Absent => return Ok(Removal::Absent),
        Removal::Emptied(value) => (
            sibling.clone(),
            Removed {
                value,
                split: int.split,
            },
        ),
        Removal::Changed(removed) => (join(int.split, new_child, sibling.clone(), right), removed),
    };
    *link = replacement;
    Ok(Removal::Changed(removed))
}

/// [`delete`] when the nodes opened are not recorded: a first walk ([`end_leaf`])
/// learns whether `key` is there at all, the second descends in place by plain pointers
/// while the nodes are unshared, forgetting the path's cached hashes, and lets the
/// sibling of the removed leaf take its parent's place. The result and the tree are
/// [`delete`]'s: a shared node on the path hands the rest of the walk to
/// [`delete_below`], a pruned one the whole delete to [`delete`].
pub(crate) fn delete_unrecorded(link: &mut Link, key: &H256) -> Result<Removal, StateError> {
    let Some(end) = end_leaf(link, key) else {
        return delete(link, key, &mut Opener::new(None, *key));
    };
    if end.key() != key {
        return Ok(Removal::Absent);
    }
    let mut node = link;
    loop {
        // When the child on `key`'s side is the leaf itself: its value, and the sibling
        // that takes this node's place.
        let (split, right, removed) = match &*node {
            Link::Leaf(leaf) => return Ok(Removal::Emptied(Taken::new(leaf.value()))),
            Link::Internal(int) => {
                let right = bit(key, int.split);
                let removed = match int.child_and_sibling(right) {
                    (Link::Leaf(leaf), sibling) => {
                        Some((Taken::new(leaf.value()), sibling.clone()))
                    }
                    (Link::Internal(_) | Link::Pruned(_), _) => None,
                };
                (int.split, right, removed)
            }
            // The first walk met none; were one here, it is not an unshared internal
            // node, so `delete_below` below takes it and names the missing node.
            Link::Pruned(_) => (0, false, None),
        };
        if !node.is_unshared_internal() {
            // `key` is present, so it agrees with every prefix on its path: reach 256.
            return delete_below(node, key, 256, &mut Opener::new(None, *key));
        }
        if let Some((value, sibling)) = removed {
            *node = sibling;
            return Ok(Removal::Changed(Removed { value, split }));
        }
        let owned = node.internal_mut().expect("checked unshared above");
        owned.forget_hash();
        node = owned.child_mut(right);
    }
}

/// Undoes a [`delete`] that returned `removed` for `key`, on the subtree exactly as that
/// delete left it: the removed internal node goes back where its surviving child now
/// sits. That place is found from splits alone (the nodes above it split before
/// `removed.split`, the survivor after it, or is a leaf or pruned), so the survivor is
/// never opened and a witness need not hold it. The nodes above were opened by the delete.
pub(crate) fn reinsert(link: &mut Link, key: &H256, removed: Removed) {
    let descend = match &*link {
        Link::Internal(int) if int.split < removed.split => Some(bit(key, int.split)),
        _ => None,
    };
    let Some(right) = descend else {
        let right = bit(key, removed.split);
        let leaf = Link::leaf(*key, removed.value.bytes());
        *link = join(removed.split, leaf, link.clone(), right);
        return;
    };
    if let Some(owned) = link.internal_mut() {
        reinsert(owned.child_mut(right), key, removed);
        owned.forget_hash();
        return;
    }
    let int = link
        .as_internal()
        .expect("matched above as an internal node");
    let (child, sibling) = int.child_and_sibling(right);
    let mut new_child = child.clone();
    reinsert(&mut new_child, key, removed);
    *link = join(int.split, new_child, sibling.clone(), right);
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
) -> Result<Option<&'t LeafLink>, StateError> {
    let reach = reach(node, prefix, bits);
    loop {
        match op.open(node)? {
            Opened::Leaf(leaf) => return Ok(agree(leaf.key(), prefix, bits).then_some(leaf)),
            Opened::Internal(int) => {
                let split = u16::from(int.split);
                // The node's prefix and the searched one disagree where both are defined.
                if reach < split.min(bits) {
                    return Ok(None);
                }
                let right = split < bits && bit(prefix, int.split);
                node = int.child_and_sibling(right).0;
            }
        }
    }
}

/// [`first_with_prefix`] when the nodes opened are not recorded: one walk (the prefix's
/// bits while a node splits inside the prefix, then the left side) to the one leaf that can
/// be the answer, then one check that it has the prefix; as [`get_unrecorded`] is to
/// [`get`]. `None` when the walk meets a pruned node ([`first_with_prefix`] decides).
pub(crate) fn first_with_prefix_unrecorded<'t>(
    mut node: &'t Link,
    prefix: &H256,
    bits: u16,
) -> Option<Option<&'t LeafLink>> {
    loop {
        match node {
            Link::Leaf(leaf) => return Some(agree(leaf.key(), prefix, bits).then_some(leaf)),
            Link::Internal(int) => {
                let right = (u16::from(int.split) < bits) & bit(prefix, int.split);
                node = int.child_and_sibling(right).0;
            }
            Link::Pruned(_) => return None,
        }
    }
}
