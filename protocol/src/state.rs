//! The one seam between the exchange engine and storage: a small ordered key-value
//! interface over 256-bit keys.
//!
//! The STF is generic over it so that it runs unchanged on the full state tree (sequencer,
//! verifier replicas), on a pruned witness tree (fraud-proof adjudication), and on a plain
//! `BTreeMap` model in tests (the naive reference).

use crate::primitives::H256;
use std::collections::BTreeMap;

/// A state key: 32 bytes, ordered bytewise.
pub type Key = H256;

/// Failures of the storage itself, never of the trader: these abort execution.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// A pruned (hash-only) node was needed: the witness does not cover this step.
    #[error("witness incomplete: needed a pruned node on the path to {0}")]
    WitnessIncomplete(Key),
    /// A stored value does not decode as the record its key names. The STF never writes
    /// such a value, so the state (or a witness under a forged root) was not produced by it.
    #[error("malformed state value at {key}: {reason}")]
    Malformed { key: Key, reason: String },
}

/// Ordered key-value access with cheap snapshots, for per-transaction atomicity.
///
/// All methods take `&mut self` because reads are recorded when building witnesses.
pub trait State {
    /// A saved state that `restore` returns to; must be cheap to take (O(1) for the tree).
    type Snapshot;

    fn get(&mut self, key: &Key) -> Result<Option<Vec<u8>>, StateError>;
    fn set(&mut self, key: &Key, value: Vec<u8>) -> Result<(), StateError>;
    fn delete(&mut self, key: &Key) -> Result<(), StateError>;
    /// The smallest key that starts with `prefix` (bytewise), with its value.
    fn first_with_prefix(&mut self, prefix: &[u8]) -> Result<Option<(Key, Vec<u8>)>, StateError>;

    fn snapshot(&self) -> Self::Snapshot;
    fn restore(&mut self, snapshot: Self::Snapshot);
}

/// The naive reference implementation: a `BTreeMap`. Used as a model in property tests
/// and for STF runs that need no commitment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MapState {
    pub map: BTreeMap<Key, Vec<u8>>,
}

impl State for MapState {
    type Snapshot = BTreeMap<Key, Vec<u8>>;

    fn get(&mut self, key: &Key) -> Result<Option<Vec<u8>>, StateError> {
        Ok(self.map.get(key).cloned())
    }
    fn set(&mut self, key: &Key, value: Vec<u8>) -> Result<(), StateError> {
        self.map.insert(*key, value);
        Ok(())
    }
    fn delete(&mut self, key: &Key) -> Result<(), StateError> {
        self.map.remove(key);
        Ok(())
    }
    fn first_with_prefix(&mut self, prefix: &[u8]) -> Result<Option<(Key, Vec<u8>)>, StateError> {
        let mut start = [0u8; 32];
        start[..prefix.len()].copy_from_slice(prefix);
        Ok(self
            .map
            .range(H256(start)..)
            .next()
            .filter(|(k, _)| k.0.starts_with(prefix))
            .map(|(k, v)| (*k, v.clone())))
    }
    fn snapshot(&self) -> Self::Snapshot {
        self.map.clone()
    }
    fn restore(&mut self, snapshot: Self::Snapshot) {
        self.map = snapshot;
    }
}
