//! Merkle proofs: their format, canonical encoding, and generation from a tree.
//!
//! A proof is the path from the root towards a *path key*: for each internal node passed,
//! its split bit and the hash of the child not taken; then the node where the walk stops
//! (the terminal). The path key is not in the proof. It is the proven key for
//! inclusion/exclusion proofs, and for first-with-prefix proofs it is either the found
//! leaf's key or the zero-padded prefix (see `verify`). Since every node on the path shares
//! its prefix with the path key, the verifier derives each node's prefix and the direction
//! taken from the path key, so a step costs 33 bytes.

use super::Tree;
use super::bits::{bit, bytes_for, common_prefix_bits, masked, padded_prefix};
use super::node::Link;
use crate::codec::{Decode, DecodeError, Encode, Reader, Writer};
use crate::primitives::{H256, keccak256};
use crate::state::StateError;

/// At most one step per bit position: splits strictly increase along a path.
pub const MAX_PROOF_STEPS: usize = 256;

/// A path proof; see the module docs and docs/PROTOCOL.md Part 3 §Proofs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    /// Internal nodes from the root down.
    pub steps: Vec<ProofStep>,
    pub terminal: Terminal,
}

/// One internal node on the path: its split bit and the hash of the child not taken (the
/// taken side is the path key's bit at `split`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProofStep {
    pub split: u8,
    pub sibling: H256,
}

/// Where the path stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Terminal {
    /// The tree is empty (only with no steps).
    Empty,
    /// A leaf: the proven key itself, or another key in the place it would occupy.
    Leaf { key: H256, value_hash: H256 },
    /// An internal node whose prefix the path key leaves: the key is absent.
    Internal {
        split: u8,
        prefix: H256,
        left: H256,
        right: H256,
    },
}

impl Tree {
    /// Inclusion or exclusion proof for `key`. Fails only when the path crosses a pruned
    /// node (on a witness), never on a full tree.
    pub fn prove(&self, key: &H256) -> Result<Proof, StateError> {
        self.prove_path(key, 256)
    }

    /// Proof of the first key starting with `prefix` (bytewise), or that there is none.
    /// Prefixes longer than 32 bytes match no key and are rejected by the verifier; for
    /// them this returns the proof for the first 32 bytes.
    pub fn prove_first_with_prefix(&self, prefix: &[u8]) -> Result<Proof, StateError> {
        let (padded, bits) = padded_prefix(&prefix[..prefix.len().min(32)])
            .expect("at most 32 bytes by construction");
        self.prove_path(&padded, bits)
    }

    /// Walks like `ops::first_with_prefix` over the first `bits` bits of `target` (with
    /// `bits` = 256 that is the exact-key walk), collecting sibling hashes.
    fn prove_path(&self, target: &H256, bits: u16) -> Result<Proof, StateError> {
        let mut steps = Vec::new();
        let Some(mut node) = self.root.as_ref() else {
            return Ok(Proof {
                steps,
                terminal: Terminal::Empty,
            });
        };
        // Every node on the path has the first `split` bits of this key as its prefix
        // (see `ops`): the key the walk ends at.
        let ends_at = *node.path_key(target, bits);
        let reach = common_prefix_bits(&ends_at, target);
        loop {
            match node {
                Link::Pruned(_) => return Err(StateError::WitnessIncomplete(*target)),
                Link::Leaf(leaf) => {
                    let terminal = Terminal::Leaf {
                        key: *leaf.key(),
                        value_hash: keccak256(leaf.value()),
                    };
                    return Ok(Proof { steps, terminal });
                }
                Link::Internal(int) => {
                    let split = u16::from(int.split);
                    if reach < split.min(bits) {
                        let terminal = Terminal::Internal {
                            split: int.split,
                            prefix: masked(&ends_at, split),
                            left: self.hash_of(int.left()),
                            right: self.hash_of(int.right()),
                        };
                        return Ok(Proof { steps, terminal });
                    }
                    let right = split < bits && bit(target, int.split);
                    let (child, sibling) = int.child_and_sibling(right);
                    steps.push(ProofStep {
                        split: int.split,
                        sibling: self.hash_of(sibling),
                    });
                    node = child;
                }
            }
        }
    }

    fn hash_of(&self, node: &Link) -> H256 {
        node.hash(&self.hashes)
    }
}

const TERMINAL_EMPTY: u8 = 0;
const TERMINAL_LEAF: u8 = 1;
const TERMINAL_INTERNAL: u8 = 2;

impl Encode for Proof {
    fn encode_to(&self, w: &mut Writer) {
        let count = u32::try_from(self.steps.len()).expect("proofs have at most 256 steps");
        w.u32(count);
        for step in &self.steps {
            w.u8(step.split).h256(&step.sibling);
        }
        match &self.terminal {
            Terminal::Empty => {
                w.u8(TERMINAL_EMPTY);
            }
            Terminal::Leaf { key, value_hash } => {
                w.u8(TERMINAL_LEAF).h256(key).h256(value_hash);
            }
            Terminal::Internal {
                split,
                prefix,
                left,
                right,
            } => {
                w.u8(TERMINAL_INTERNAL).u8(*split);
                w.raw(&prefix.0[..bytes_for(u16::from(*split))]);
                w.h256(left).h256(right);
            }
        }
    }
}

impl Decode for Proof {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let count = r.count("proof step count", MAX_PROOF_STEPS)?;
        let mut steps = Vec::with_capacity(count);
        for _ in 0..count {
            let split = r.u8("proof step split")?;
            steps.push(ProofStep {
                split,
                sibling: r.h256("proof step sibling")?,
            });
        }
        let terminal = match r.u8("proof terminal tag")? {
            TERMINAL_EMPTY => Terminal::Empty,
            TERMINAL_LEAF => Terminal::Leaf {
                key: r.h256("terminal leaf key")?,
                value_hash: r.h256("terminal value hash")?,
            },
            TERMINAL_INTERNAL => {
                let split = r.u8("terminal split")?;
                let prefix = read_prefix(r, split, "terminal prefix")?;
                Terminal::Internal {
                    split,
                    prefix,
                    left: r.h256("terminal left hash")?,
                    right: r.h256("terminal right hash")?,
                }
            }
            other => {
                return Err(DecodeError::Invalid {
                    field: "proof terminal tag",
                    reason: format!("unknown tag {other}"),
                });
            }
        };
        Ok(Proof { steps, terminal })
    }
}

/// Reads the ceil(split/8) bytes holding a `split`-bit prefix; the bits at positions
/// >= split in the last byte must be zero, so the encoding is unique.
fn read_prefix(r: &mut Reader<'_>, split: u8, field: &'static str) -> Result<H256, DecodeError> {
    let bits = u16::from(split);
    let mut prefix = H256::ZERO;
    prefix.0[..bytes_for(bits)].copy_from_slice(r.take(bytes_for(bits), field)?);
    if masked(&prefix, bits) != prefix {
        return Err(DecodeError::Invalid {
            field,
            reason: format!("bits at or after the split ({split}) must be zero"),
        });
    }
    Ok(prefix)
}
