//! The node-hash preimages (normative: docs/PROTOCOL.md Part 3 §Hashing).
//!
//! A leading domain byte separates leaves (0x00) from internal nodes (0x01); the two
//! preimages also differ in length (65 vs 98 bytes), so no leaf hash can be passed off as
//! an internal node or the reverse. Internal nodes commit to their split bit and key
//! prefix, so the shape is bound by the root and a proof can be checked without trusting
//! the prover's description of the path.

use crate::primitives::{H256, keccak256};

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
    keccak256(&leaf_preimage(key, value_hash))
}

/// keccak256(0x01 ‖ split ‖ prefix ‖ left ‖ right): 98 bytes, one keccak block.
pub fn internal_hash(split: u8, prefix: &H256, left: &H256, right: &H256) -> H256 {
    keccak256(&internal_preimage(split, prefix, left, right))
}

/// A leaf's preimage, `0x00 ‖ key ‖ value hash` (the one place its layout is written; the
/// lanes hasher builds the same bytes).
pub(crate) fn leaf_preimage(key: &H256, value_hash: &H256) -> [u8; 65] {
    let mut bytes = [0u8; 65];
    bytes[0] = LEAF_DOMAIN;
    bytes[1..33].copy_from_slice(&key.0);
    bytes[33..].copy_from_slice(&value_hash.0);
    bytes
}

/// An internal node's preimage, `0x01 ‖ split ‖ prefix ‖ left ‖ right`.
pub(crate) fn internal_preimage(split: u8, prefix: &H256, left: &H256, right: &H256) -> [u8; 98] {
    let mut bytes = [0u8; 98];
    bytes[0] = INTERNAL_DOMAIN;
    bytes[1] = split;
    bytes[2..34].copy_from_slice(&prefix.0);
    bytes[34..66].copy_from_slice(&left.0);
    bytes[66..].copy_from_slice(&right.0);
    bytes
}
