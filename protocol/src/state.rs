//! The one seam between the exchange engine and storage: a small ordered key-value
//! interface over 256-bit keys.
//!
//! The STF is generic over it so that it runs unchanged on the full state tree (sequencer,
//! verifier replicas), on a pruned witness tree (fraud-proof adjudication), and on a plain
//! `BTreeMap` model in tests (the naive reference).
//!
//! Atomicity is an undo log of the engine's own writes: inside a section (`begin` …
//! `commit` or `rollback`) every `set` and `delete` that changes something logs the key
//! and what it held; `rollback` undoes the section's writes in reverse order and `commit`
//! drops them. Nothing is copied up front, so an accepted transaction pays only for its
//! log, and the full tree updates its unshared nodes in place instead of copying every
//! touched path away from a saved root.

use crate::codec::Encode;
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

/// Where an atomic section began in its state's undo log: what `commit` and `rollback`
/// of that section take. Sections nest (an inner one is undone within the outer one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "a section must be ended with commit or rollback"]
pub struct Mark(usize);

/// Ordered key-value access with an undo log, for per-transaction atomicity.
///
/// All methods take `&mut self` because reads are recorded when building witnesses.
pub trait State {
    fn get(&mut self, key: &Key) -> Result<Option<Vec<u8>>, StateError>;
    /// `f` of the value at `key`, without copying the value out where the storage can lend
    /// it (the full tree lends its leaf's bytes): for reads that decode at once, most of
    /// the engine's, which would otherwise allocate and free a copy each.
    fn get_with<R>(
        &mut self,
        key: &Key,
        f: impl FnOnce(&[u8]) -> R,
    ) -> Result<Option<R>, StateError> {
        Ok(self.get(key)?.map(|value| f(&value)))
    }
    /// Whether `key` holds a value.
    fn contains(&mut self, key: &Key) -> Result<bool, StateError> {
        Ok(self.get_with(key, |_| ())?.is_some())
    }
    fn set(&mut self, key: &Key, value: Vec<u8>) -> Result<(), StateError>;
    /// Sets `key` to `value`'s encoding: where the storage copies values into its own
    /// nodes (the full tree does), it encodes into a buffer it keeps instead of a fresh
    /// vector per write, which the engine's writes, most of them records, would otherwise
    /// allocate, copy and free each.
    fn set_record<E: Encode + ?Sized>(&mut self, key: &Key, value: &E) -> Result<(), StateError> {
        self.set(key, value.encode())
    }
    fn delete(&mut self, key: &Key) -> Result<(), StateError>;
    /// The smallest key that starts with `prefix` (bytewise), with its value.
    fn first_with_prefix(&mut self, prefix: &[u8]) -> Result<Option<(Key, Vec<u8>)>, StateError>;
    /// `f` of [`State::first_with_prefix`]'s key and value, the value lent where the storage
    /// can (as [`State::get_with`] does): the engine's book and index scans decode it at once.
    fn first_with_prefix_with<R>(
        &mut self,
        prefix: &[u8],
        f: impl FnOnce(&Key, &[u8]) -> R,
    ) -> Result<Option<R>, StateError> {
        Ok(self
            .first_with_prefix(prefix)?
            .map(|(key, value)| f(&key, &value)))
    }

    /// Opens an atomic section: from here on writes are logged with what they replaced.
    fn begin(&mut self) -> Mark;
    /// Ends the section at `mark`, keeping its writes (the log is dropped once no section
    /// is open).
    fn commit(&mut self, mark: Mark);
    /// Ends the section at `mark`, undoing its writes in reverse order: afterwards every
    /// key holds what it held at `begin`. Fails only where a write itself could have (a
    /// witness missing a node), which undoing what the section did never needs.
    fn rollback(&mut self, mark: Mark) -> Result<(), StateError>;
}

/// The log behind [`State::begin`]: entries of the open sections, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndoLog<E> {
    entries: Vec<E>,
    open: usize,
}

impl<E> Default for UndoLog<E> {
    fn default() -> Self {
        UndoLog {
            entries: Vec::new(),
            open: 0,
        }
    }
}

impl<E> UndoLog<E> {
    pub fn begin(&mut self) -> Mark {
        self.open += 1;
        Mark(self.entries.len())
    }

    /// Whether a section is open (writes must be logged).
    pub fn is_open(&self) -> bool {
        self.open > 0
    }

    /// Logs `entry` if a section is open.
    pub fn record(&mut self, entry: impl FnOnce() -> E) {
        if self.open > 0 {
            self.entries.push(entry());
        }
    }

    pub fn commit(&mut self, mark: Mark) {
        debug_assert!(self.open > 0 && mark.0 <= self.entries.len(), "unbalanced");
        self.open = self.open.saturating_sub(1);
        if self.open == 0 {
            self.entries.clear();
        }
    }

    /// Closes the section at `mark` and hands back its entries, newest first, to undo.
    /// Undoing them must not log again: the section is closed before they are applied
    /// (an outer section keeps only its own, older, entries).
    pub fn rollback(&mut self, mark: Mark) -> std::iter::Rev<std::vec::IntoIter<E>> {
        debug_assert!(self.open > 0 && mark.0 <= self.entries.len(), "unbalanced");
        self.open = self.open.saturating_sub(1);
        let undone = self.entries.split_off(mark.0.min(self.entries.len()));
        undone.into_iter().rev()
    }

    /// The entries logged since `mark`, oldest first.
    pub fn since(&self, mark: Mark) -> &[E] {
        self.entries.get(mark.0..).unwrap_or_default()
    }
}

/// The naive reference implementation: a `BTreeMap`. Used as a model in property tests
/// and for STF runs that need no commitment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MapState {
    pub map: BTreeMap<Key, Vec<u8>>,
    /// Each logged write: the key and what it held before (`None`: absent).
    undo: UndoLog<(Key, Option<Vec<u8>>)>,
}

impl MapState {
    /// A model holding `map`.
    pub fn from_map(map: BTreeMap<Key, Vec<u8>>) -> MapState {
        MapState {
            map,
            undo: UndoLog::default(),
        }
    }
}

impl State for MapState {
    fn get(&mut self, key: &Key) -> Result<Option<Vec<u8>>, StateError> {
        Ok(self.map.get(key).cloned())
    }
    fn set(&mut self, key: &Key, value: Vec<u8>) -> Result<(), StateError> {
        let before = self.map.insert(*key, value);
        self.undo.record(|| (*key, before));
        Ok(())
    }
    fn delete(&mut self, key: &Key) -> Result<(), StateError> {
        if let Some(before) = self.map.remove(key) {
            self.undo.record(|| (*key, Some(before)));
        }
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
    fn begin(&mut self) -> Mark {
        self.undo.begin()
    }
    fn commit(&mut self, mark: Mark) {
        self.undo.commit(mark);
    }
    fn rollback(&mut self, mark: Mark) -> Result<(), StateError> {
        for (key, before) in self.undo.rollback(mark) {
            match before {
                Some(value) => self.map.insert(key, value),
                None => self.map.remove(&key),
            };
        }
        Ok(())
    }
}
