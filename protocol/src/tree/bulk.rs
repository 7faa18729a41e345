//! Building a tree from entries already in ascending key order, bottom-up in one pass:
//! how recovery rebuilds the state from a snapshot (whose leaves are stored in key order).
//! The shape is a function of the key set, so this gives the same tree, and root, as
//! inserting the entries one by one, without a walk from the root per key.

use super::Tree;
use super::bits::{bit, common_prefix_bits};
use super::node::Link;
use crate::primitives::H256;

impl Tree {
    /// The tree holding `entries`, whose keys must be strictly ascending; `None` if they
    /// are not.
    pub fn from_sorted(entries: Vec<(H256, Vec<u8>)>) -> Option<Tree> {
        if entries.windows(2).any(|pair| pair[0].0 >= pair[1].0) {
            return None;
        }
        let root = (!entries.is_empty()).then(|| build(&entries));
        Some(Tree::from_root(root))
    }
}

/// The subtree of a non-empty run of strictly ascending entries (leaves copy their
/// values). The run's keys all share the bits its first and last key share, and the first
/// bit after those splits it: ascending order puts the keys with that bit 0 first.
/// Recursion depth is at most 257, as splits strictly increase down the tree.
fn build(entries: &[(H256, Vec<u8>)]) -> Link {
    let (first, last) = (&entries[0].0, &entries[entries.len() - 1].0);
    if entries.len() == 1 {
        return Link::leaf(*first, &entries[0].1);
    }
    // Distinct keys differ at some bit < 256, so the split fits in a u8.
    let split = common_prefix_bits(first, last) as u8;
    let middle = entries.partition_point(|(key, _)| !bit(key, split));
    let (left, right) = entries.split_at(middle);
    Link::internal(split, build(left), build(right))
}
