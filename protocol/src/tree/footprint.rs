//! What a tree holds, counted for the memory bench and the README's "where the bytes go"
//! profile: nodes by kind, leaves by record kind, and value bytes and lengths (the node
//! kinds' sizes are `node::node_sizes`).
//! A walk over the whole tree, never used by the state transition.

use super::Tree;
use super::node::Link;
use std::collections::BTreeMap;

/// Node counts and payload sizes of one tree (see [`Tree::footprint`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Footprint {
    pub leaves: u64,
    pub internal: u64,
    pub pruned: u64,
    /// Sum of the leaves' value lengths.
    pub value_bytes: u64,
    /// How many leaves hold a value of each length.
    pub value_lengths: BTreeMap<usize, u64>,
    /// Leaves by their key's first byte (the engine's record kind).
    pub by_first_byte: BTreeMap<u8, u64>,
}

impl Tree {
    /// Counts this tree's nodes and value bytes (a full walk: for benches and reports).
    pub fn footprint(&self) -> Footprint {
        let mut out = Footprint::default();
        let mut pending: Vec<&Link> = self.root.iter().collect();
        while let Some(node) = pending.pop() {
            match node {
                Link::Leaf(leaf) => {
                    out.leaves += 1;
                    out.value_bytes += leaf.value().len() as u64;
                    *out.value_lengths.entry(leaf.value().len()).or_default() += 1;
                    *out.by_first_byte.entry(leaf.key().0[0]).or_default() += 1;
                }
                Link::Internal(int) => {
                    out.internal += 1;
                    pending.push(int.left());
                    pending.push(int.right());
                }
                Link::Pruned(_) => out.pruned += 1,
            }
        }
        out
    }
}
