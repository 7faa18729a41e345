//! The node-hash preimages (normative: docs/PROTOCOL.md Part 3 §Hashing).
//!
//! A leading domain byte separates leaves (0x00) from internal nodes (0x01); the two
//! preimages also differ in length (65 vs 98 bytes), so no leaf hash can be passed off as
//! an internal node or the reverse. Internal nodes commit to their split bit and key
//! prefix, so the shape is bound by the root and a proof can be checked without trusting
//! the prover's description of the path.

use crate::primitives::{H256, keccak256, keccak256_concat};

/// The root of the empty tree.
pub const EMPTY_ROOT: H256 = H256::ZERO;

/// Domain byte of leaf preimages.
pub const LEAF_DOMAIN: u8 = 0x00;
/// Domain byte of internal-node preimages.
pub const INTERNAL_DOMAIN: u8 = 0x01;

/// keccak256(0x00 ‖ key ‖ keccak256(value)).
pub fn leaf_hash(key: &H256, value: &[u8]) -> H256 {
    leaf_hash_from_value_hash(key, &keccak256(value))
}

/// The leaf hash when only the value's hash is known (proofs carry value hashes).
pub fn leaf_hash_from_value_hash(key: &H256, value_hash: &H256) -> H256 {
    keccak256_concat(&[&[LEAF_DOMAIN], &key.0, &value_hash.0])
}

/// keccak256(0x01 ‖ split ‖ prefix ‖ left ‖ right): 98 bytes, one keccak block.
pub fn internal_hash(split: u8, prefix: &H256, left: &H256, right: &H256) -> H256 {
    keccak256_concat(&[&[INTERNAL_DOMAIN, split], &prefix.0, &left.0, &right.0])
}
