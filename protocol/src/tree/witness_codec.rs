//! The witness byte format (normative: docs/PROTOCOL.md Part 3 §Witness encoding).
//!
//! Pre-order, one tag byte per node. Key material is sent only where the position does not
//! already imply it: a node below an internal node with split `s` shares the parent's
//! prefix and has bit `s` = its side, so it sends bytes from `(s + 1) / 8` on (the first
//! of which repeats implied bits, which must match). This keeps long shared prefixes, such
//! as order-book keys, from being repeated at every level. Decoding validates structure
//! fully and rejects any non-canonical byte string, so one tree has one encoding.

use super::Tree;
use super::bits::{agree, bytes_for, masked, with_bit};
use super::node::Link;
use crate::codec::{DecodeError, Reader, Writer};
use crate::primitives::H256;
use std::ops::Range;

/// The largest witness accepted (bytes): bounds work and memory on hostile input.
pub const MAX_WITNESS_BYTES: usize = 16 * 1024 * 1024;

const TAG_EMPTY: u8 = 0;
const TAG_LEAF: u8 = 1;
const TAG_INTERNAL: u8 = 2;
const TAG_PRUNED: u8 = 3;

/// Why witness bytes were rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WitnessError {
    #[error("malformed witness: {0}")]
    Decode(#[from] DecodeError),
    #[error("witness is {len} bytes, more than the {max} allowed")]
    TooLarge { len: usize, max: usize },
    #[error("unknown node tag {0}")]
    UnknownTag(u8),
    #[error("the empty-tree tag may only stand alone, for the whole tree")]
    NestedEmpty,
    #[error("node split {split} must be at least {min} (splits strictly increase down a path)")]
    SplitNotIncreasing { split: u8, min: u16 },
    #[error("node bits before {known} contradict its position below its parent")]
    OffPath { known: u16 },
    #[error("internal node prefix has bits set at or after its split {split}")]
    PrefixNotMasked { split: u8 },
}

impl Tree {
    /// The witness encoding of this tree (pruned or not).
    pub fn to_witness_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        match &self.root {
            None => {
                w.u8(TAG_EMPTY);
            }
            Some(root) => encode_node(root, 0, &mut w),
        }
        w.finish()
    }

    /// Decodes and validates a witness. The result's root must still be compared with the
    /// expected state root by the caller.
    pub fn from_witness_bytes(bytes: &[u8]) -> Result<Tree, WitnessError> {
        if bytes.len() > MAX_WITNESS_BYTES {
            return Err(WitnessError::TooLarge {
                len: bytes.len(),
                max: MAX_WITNESS_BYTES,
            });
        }
        let mut r = Reader::new(bytes);
        let root = if bytes.first() == Some(&TAG_EMPTY) {
            r.u8("witness tag")?;
            None
        } else {
            Some(decode_node(&mut r, &H256::ZERO, 0)?)
        };
        r.finish()?;
        Ok(Tree::from_root(root))
    }
}

/// The bytes carrying bits `known..end` of a node's key material (empty if none).
fn fresh_bytes(known: u16, end: u16) -> Range<usize> {
    if end > known {
        usize::from(known / 8)..bytes_for(end)
    } else {
        0..0
    }
}

/// `known`: how many leading bits the node's position implies (0 at the root, parent's
/// split + 1 below).
fn encode_node(node: &Link, known: u16, w: &mut Writer) {
    match node {
        Link::Pruned(pruned) => {
            w.u8(TAG_PRUNED).h256(&pruned.hash);
        }
        Link::Leaf(leaf) => {
            w.u8(TAG_LEAF)
                .raw(&leaf.key().0[fresh_bytes(known, 256)])
                .bytes(leaf.value());
        }
        Link::Internal(int) => {
            // The prefix is not stored: it is the first `split` bits of any key below.
            let prefix = masked(node.any_key(), u16::from(int.split));
            w.u8(TAG_INTERNAL)
                .u8(int.split)
                .raw(&prefix.0[fresh_bytes(known, u16::from(int.split))]);
            let below = u16::from(int.split) + 1;
            encode_node(int.left(), below, w);
            encode_node(int.right(), below, w);
        }
    }
}

/// Decodes one node at a position whose first `known` bits are `implied` (the rest of
/// `implied` is zero). Recursion depth is at most 257: each level's split exceeds the
/// previous one and a split is below 256.
fn decode_node(r: &mut Reader<'_>, implied: &H256, known: u16) -> Result<Link, WitnessError> {
    match r.u8("witness tag")? {
        TAG_EMPTY => Err(WitnessError::NestedEmpty),
        // Its position implies its first `known` bits: enough for its ancestors' prefixes.
        TAG_PRUNED => Ok(Link::pruned(r.h256("pruned hash")?, *implied)),
        TAG_LEAF => {
            let key = read_material(r, implied, known, 256, "leaf key")?;
            // The value is bounded by the input itself (at most MAX_WITNESS_BYTES).
            let value = r.bytes("leaf value", r.remaining())?;
            Ok(Link::leaf(key, value))
        }
        TAG_INTERNAL => {
            let split = r.u8("internal split")?;
            if u16::from(split) < known {
                return Err(WitnessError::SplitNotIncreasing { split, min: known });
            }
            let prefix = read_material(r, implied, known, u16::from(split), "internal prefix")?;
            if masked(&prefix, u16::from(split)) != prefix {
                return Err(WitnessError::PrefixNotMasked { split });
            }
            let below = u16::from(split) + 1;
            let left = decode_node(r, &with_bit(&prefix, split, false), below)?;
            let right = decode_node(r, &with_bit(&prefix, split, true), below)?;
            Ok(Link::internal(split, left, right))
        }
        other => Err(WitnessError::UnknownTag(other)),
    }
}

/// Reads the fresh bytes of a node's key material (bits `known..end`) over `implied`, and
/// checks that any implied bits they repeat match.
fn read_material(
    r: &mut Reader<'_>,
    implied: &H256,
    known: u16,
    end: u16,
    field: &'static str,
) -> Result<H256, WitnessError> {
    let range = fresh_bytes(known, end);
    let mut material = *implied;
    material.0[range.clone()].copy_from_slice(r.take(range.len(), field)?);
    if !agree(&material, implied, known) {
        return Err(WitnessError::OffPath { known });
    }
    Ok(material)
}
