//! A state snapshot as one blob: the tree's leaves in key order, each
//! `key(32) ‖ u32 len ‖ value`. The tree's shape is a function of its key set, so
//! rebuilding from the leaves gives back the same root, which recovery checks against the
//! recorded one. The leaves come in key order, so the rebuild is one bottom-up pass
//! (`Tree::from_sorted`), not an insert per leaf.

use protocol::codec::{DecodeError, Reader, Writer};
use protocol::primitives::H256;
use protocol::tree::Tree;

/// The largest value a leaf may hold in a snapshot (real ones are under 1 KB).
const MAX_VALUE_BYTES: usize = 1 << 20;

pub fn encode(tree: &Tree) -> Vec<u8> {
    let mut w = Writer::new();
    for (key, value) in tree.iter() {
        w.h256(key).bytes(value);
    }
    w.finish()
}

pub fn decode(blob: &[u8]) -> Result<Tree, DecodeError> {
    let mut r = Reader::new(blob);
    let mut leaves: Vec<(H256, Vec<u8>)> = Vec::new();
    while r.remaining() > 0 {
        let key = r.h256("snapshot key")?;
        let value = r.bytes("snapshot value", MAX_VALUE_BYTES)?.to_vec();
        if leaves.last().is_some_and(|(prev, _)| *prev >= key) {
            return Err(DecodeError::Invalid {
                field: "snapshot key",
                reason: format!("{key} is not above the previous key"),
            });
        }
        leaves.push((key, value));
    }
    Ok(Tree::from_sorted(leaves).expect("keys checked ascending above"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::batch::genesis_tree;
    use protocol::genesis::Genesis;
    use protocol::primitives::Address;
    use protocol::state::State;

    #[test]
    fn a_snapshot_rebuilds_the_same_root() {
        let genesis = Genesis::devnet(1, Address([1; 20]), Address([2; 20]));
        let mut tree = genesis_tree(&genesis);
        for i in 0u8..50 {
            tree.set(&H256([i; 32]), vec![i; usize::from(i) + 1])
                .unwrap();
        }
        let blob = encode(&tree);
        let rebuilt = decode(&blob).unwrap();
        assert_eq!(rebuilt.root(), tree.root());
        assert_eq!(
            decode(&encode(&Tree::new())).unwrap().root(),
            Tree::new().root()
        );
    }

    #[test]
    fn damaged_blobs_are_errors() {
        let mut tree = Tree::new();
        tree.set(&H256([1; 32]), vec![1]).unwrap();
        tree.set(&H256([2; 32]), vec![2]).unwrap();
        let blob = encode(&tree);
        assert!(decode(&blob[..blob.len() - 1]).is_err(), "truncated");
        let mut swapped = blob[37..].to_vec();
        swapped.extend_from_slice(&blob[..37]);
        assert!(decode(&swapped).is_err(), "out of order");
    }
}
