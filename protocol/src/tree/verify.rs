//! Proof verification (normative algorithm: docs/PROTOCOL.md Part 3 §Proof verification).
//!
//! The verifier trusts nothing in the proof: it checks the path's structure (splits
//! strictly increase; the terminal lies below the path), recomputes the root from the
//! path key, and only then reads a verdict off the terminal. Because internal hashes
//! commit to split and prefix, a path that hashes to the root is the tree's real path.

use super::bits::{agree, bit, masked, padded_prefix};
use super::hashing::{EMPTY_ROOT, internal_hash, leaf_hash_from_value_hash};
use super::proof::{MAX_PROOF_STEPS, Proof, Terminal};
use crate::primitives::{H256, keccak256};

/// Why a proof was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("proof has {0} steps, more than the {MAX_PROOF_STEPS} a path can have")]
    TooManySteps(usize),
    #[error("step {index} has split {split}, not after the previous step's split {previous}")]
    SplitNotIncreasing {
        index: usize,
        split: u8,
        previous: u8,
    },
    #[error("an empty-tree proof cannot have steps")]
    EmptyWithSteps,
    #[error(
        "terminal leaf {key} is not on the proven path (it must share the path's first {bits} bits)"
    )]
    LeafOffPath { key: H256, bits: u16 },
    #[error("terminal node's split {split} is not below the path's last split")]
    TerminalSplitNotBelow { split: u8 },
    #[error("terminal node's prefix has bits set at or after its split {split}")]
    PrefixNotMasked { split: u8 },
    #[error(
        "terminal node's prefix is not on the proven path (it must share the path's first {bits} bits)"
    )]
    InternalOffPath { bits: u16 },
    #[error("root mismatch: the proof computes {computed}, expected {expected}")]
    RootMismatch { computed: H256, expected: H256 },
    #[error("the proof stops at a node that could still hold {0}: it proves nothing")]
    Inconclusive(H256),
    #[error("key {0} is absent")]
    KeyAbsent(H256),
    #[error("key {0} is present")]
    KeyPresent(H256),
    #[error(
        "value mismatch: the tree holds value hash {proven}, the given value hashes to {given}"
    )]
    ValueMismatch { proven: H256, given: H256 },
    #[error("a prefix of {0} bytes is longer than a key")]
    PrefixTooLong(usize),
    #[error(
        "step at split {split} goes right of the prefix's leftmost leaf: {key} is not the first key with the prefix"
    )]
    NotFirst { key: H256, split: u8 },
    #[error(
        "the path enters the subtree of keys with the prefix (split {split}), so an absence claim is false"
    )]
    PrefixSubtreeNotEmpty { split: u8 },
}

impl Proof {
    /// Verifies against `root` for `key`: `Some(value hash)` if present, `None` if absent.
    pub fn verify(&self, root: &H256, key: &H256) -> Result<Option<H256>, ProofError> {
        self.check_root(root, key)?;
        match &self.terminal {
            Terminal::Empty => Ok(None),
            Terminal::Leaf {
                key: found,
                value_hash,
            } => Ok((found == key).then_some(*value_hash)),
            Terminal::Internal { split, prefix, .. } => {
                if agree(prefix, key, u16::from(*split)) {
                    return Err(ProofError::Inconclusive(*key));
                }
                Ok(None)
            }
        }
    }

    /// Succeeds iff the tree with `root` maps `key` to exactly `value`.
    pub fn verify_inclusion(
        &self,
        root: &H256,
        key: &H256,
        value: &[u8],
    ) -> Result<(), ProofError> {
        let proven = self.verify(root, key)?.ok_or(ProofError::KeyAbsent(*key))?;
        let given = keccak256(value);
        if proven != given {
            return Err(ProofError::ValueMismatch { proven, given });
        }
        Ok(())
    }

    /// Succeeds iff `key` is absent from the tree with `root`.
    pub fn verify_exclusion(&self, root: &H256, key: &H256) -> Result<(), ProofError> {
        match self.verify(root, key)? {
            None => Ok(()),
            Some(_) => Err(ProofError::KeyPresent(*key)),
        }
    }

    /// Verifies a first-with-prefix proof: `Some((key, value hash))` of the smallest key
    /// starting with `prefix`, or `None` if no key does.
    pub fn verify_first_with_prefix(
        &self,
        root: &H256,
        prefix: &[u8],
    ) -> Result<Option<(H256, H256)>, ProofError> {
        let (padded, bits) =
            padded_prefix(prefix).ok_or(ProofError::PrefixTooLong(prefix.len()))?;
        let found = match &self.terminal {
            Terminal::Leaf { key, value_hash } if agree(key, &padded, bits) => {
                Some((key, value_hash))
            }
            _ => None,
        };
        if let Some((key, value_hash)) = found {
            // Found: the path leads to `key`. Where a split lies inside the prefix the path
            // follows the prefix (as `key` has it); at and after the prefix's end every key
            // below shares it, so the smallest is reached by always going left.
            self.check_root(root, key)?;
            if let Some(step) = self
                .steps
                .iter()
                .find(|s| u16::from(s.split) >= bits && bit(key, s.split))
            {
                return Err(ProofError::NotFirst {
                    key: *key,
                    split: step.split,
                });
            }
            return Ok(Some((*key, *value_hash)));
        }
        // Absent: the path follows the padded prefix and must stop before the prefix's end,
        // at a node whose keys (or key) do not start with the prefix.
        self.check_root(root, &padded)?;
        if let Some(step) = self.steps.iter().find(|s| u16::from(s.split) >= bits) {
            return Err(ProofError::PrefixSubtreeNotEmpty { split: step.split });
        }
        // An internal terminal must lie off the prefix; else keys with it may be below.
        let may_hold_prefix = match &self.terminal {
            Terminal::Internal {
                split,
                prefix: node_prefix,
                ..
            } => agree(node_prefix, &padded, u16::from(*split).min(bits)),
            Terminal::Empty | Terminal::Leaf { .. } => false,
        };
        if may_hold_prefix {
            return Err(ProofError::Inconclusive(padded));
        }
        Ok(None)
    }

    /// Checks the structure and that the path towards `path_key` hashes to `root`.
    fn check_root(&self, root: &H256, path_key: &H256) -> Result<(), ProofError> {
        let computed = self.computed_root(path_key)?;
        if computed != *root {
            return Err(ProofError::RootMismatch {
                computed,
                expected: *root,
            });
        }
        Ok(())
    }

    fn computed_root(&self, path_key: &H256) -> Result<H256, ProofError> {
        if self.steps.len() > MAX_PROOF_STEPS {
            return Err(ProofError::TooManySteps(self.steps.len()));
        }
        for (index, pair) in self.steps.windows(2).enumerate() {
            if pair[1].split <= pair[0].split {
                return Err(ProofError::SplitNotIncreasing {
                    index: index + 1,
                    split: pair[1].split,
                    previous: pair[0].split,
                });
            }
        }
        // The terminal sits below the last step, on the path key's side of it: it shares
        // the path key's bits up to and including the last split.
        let below = self.steps.last().map_or(0, |s| u16::from(s.split) + 1);
        let mut hash = match &self.terminal {
            Terminal::Empty => {
                if !self.steps.is_empty() {
                    return Err(ProofError::EmptyWithSteps);
                }
                return Ok(EMPTY_ROOT);
            }
            Terminal::Leaf { key, value_hash } => {
                if !agree(key, path_key, below) {
                    return Err(ProofError::LeafOffPath {
                        key: *key,
                        bits: below,
                    });
                }
                leaf_hash_from_value_hash(key, value_hash)
            }
            Terminal::Internal {
                split,
                prefix,
                left,
                right,
            } => {
                if u16::from(*split) < below {
                    return Err(ProofError::TerminalSplitNotBelow { split: *split });
                }
                if masked(prefix, u16::from(*split)) != *prefix {
                    return Err(ProofError::PrefixNotMasked { split: *split });
                }
                if !agree(prefix, path_key, below) {
                    return Err(ProofError::InternalOffPath { bits: below });
                }
                internal_hash(*split, prefix, left, right)
            }
        };
        for step in self.steps.iter().rev() {
            let prefix = masked(path_key, u16::from(step.split));
            hash = if bit(path_key, step.split) {
                internal_hash(step.split, &prefix, &step.sibling, &hash)
            } else {
                internal_hash(step.split, &prefix, &hash, &step.sibling)
            };
        }
        Ok(hash)
    }
}
