//! Binary keccak Merkle roots over ordered lists (a batch's transactions, its checkpoint
//! roots), with inclusion proofs so a single item can be shown to belong to a batch.
//!
//! Leaves and inner nodes are domain-separated (`0x00 ‖ item`, `0x01 ‖ left ‖ right`), and
//! a level with an odd count carries its last node up unchanged. The list length is
//! committed beside the root wherever the root is used, so the carried-up node cannot be
//! confused with a shorter list. The empty list has root `H256::ZERO`.

use crate::primitives::{H256, keccak256, keccak256_many};

/// The leaf hash of one item (itself already a hash).
pub fn leaf_hash(item: &H256) -> H256 {
    keccak256(&leaf_preimage(item))
}

fn leaf_preimage(item: &H256) -> [u8; 33] {
    let mut bytes = [0u8; 33];
    bytes[1..].copy_from_slice(&item.0);
    bytes
}

fn node_hash(left: &H256, right: &H256) -> H256 {
    keccak256(&node_preimage(left, right))
}

fn node_preimage(left: &H256, right: &H256) -> [u8; 65] {
    let mut bytes = [0u8; 65];
    bytes[0] = 0x01;
    bytes[1..33].copy_from_slice(&left.0);
    bytes[33..].copy_from_slice(&right.0);
    bytes
}

/// Every leaf hash of a level, in lanes where the CPU allows (`keccak256_many`).
fn leaf_level(items: &[H256]) -> Vec<H256> {
    keccak256_many(&items.iter().map(leaf_preimage).collect::<Vec<_>>())
}

/// The level above `level`: each pair hashed (the pairs together, in lanes where the CPU
/// allows), an odd last node carried up unchanged.
fn parent_level(level: &[H256]) -> Vec<H256> {
    let pairs = level.chunks_exact(2);
    let odd = pairs.remainder().first().copied();
    let preimages: Vec<[u8; 65]> = pairs
        .map(|pair| node_preimage(&pair[0], &pair[1]))
        .collect();
    let mut parents = keccak256_many(&preimages);
    parents.extend(odd);
    parents
}

/// The Merkle root of `items`.
pub fn merkle_root(items: &[H256]) -> H256 {
    if items.is_empty() {
        return H256::ZERO;
    }
    let mut level = leaf_level(items);
    while level.len() > 1 {
        level = parent_level(&level);
    }
    level[0]
}

/// The sibling path of item `index` (bottom-up; `None` where the node was carried up).
pub fn merkle_proof(items: &[H256], index: usize) -> Vec<Option<H256>> {
    assert!(
        index < items.len(),
        "proof index {index} out of {} items",
        items.len()
    );
    let mut level = leaf_level(items);
    let mut idx = index;
    let mut path = Vec::new();
    while level.len() > 1 {
        let sibling = idx ^ 1;
        path.push(level.get(sibling).copied());
        level = parent_level(&level);
        idx /= 2;
    }
    path
}

/// Recomputes the root from an item, its index, the list length and its sibling path.
pub fn merkle_root_from_proof(
    item: &H256,
    index: usize,
    len: usize,
    path: &[Option<H256>],
) -> Option<H256> {
    if index >= len {
        return None;
    }
    let mut acc = leaf_hash(item);
    let (mut idx, mut width) = (index, len);
    let mut steps = path.iter();
    while width > 1 {
        let sibling = steps.next()?;
        let has_sibling = (idx ^ 1) < width;
        acc = match (sibling, has_sibling) {
            (Some(s), true) if idx % 2 == 0 => node_hash(&acc, s),
            (Some(s), true) => node_hash(s, &acc),
            (None, false) => acc,
            _ => return None,
        };
        idx /= 2;
        width = width.div_ceil(2);
    }
    steps.next().is_none().then_some(acc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::keccak256;

    fn items(n: usize) -> Vec<H256> {
        (0..n)
            .map(|i| keccak256(&(i as u64).to_be_bytes()))
            .collect()
    }

    #[test]
    fn small_roots_follow_the_definition() {
        assert_eq!(merkle_root(&[]), H256::ZERO);
        let it = items(3);
        assert_eq!(merkle_root(&it[..1]), leaf_hash(&it[0]));
        let expect = node_hash(
            &node_hash(&leaf_hash(&it[0]), &leaf_hash(&it[1])),
            &leaf_hash(&it[2]),
        );
        assert_eq!(merkle_root(&it), expect);
    }

    #[test]
    fn every_proof_verifies_and_a_wrong_item_does_not() {
        for n in 1..=17 {
            let it = items(n);
            let root = merkle_root(&it);
            for i in 0..n {
                let path = merkle_proof(&it, i);
                assert_eq!(
                    merkle_root_from_proof(&it[i], i, n, &path),
                    Some(root),
                    "n={n} i={i}"
                );
                assert_ne!(
                    merkle_root_from_proof(&H256([7; 32]), i, n, &path),
                    Some(root)
                );
            }
        }
    }
}
