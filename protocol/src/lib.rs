//! Vigil's rulebook, shared bit for bit by the sequencer, verifiers and settlement layer.
//!
//! Pure and deterministic by construction: no I/O, no clock (time arrives in a
//! `BlockContext`), no OS randomness, no floats, no hash-map iteration. `clippy.toml` and
//! `tests/it/purity.rs` keep it that way.
//!
//! Map: `primitives` (bytes, keccak) → `codec` (canonical encoding) → `action` (what users
//! sign) → `signing` (EIP-712) → `state` (the storage seam) → `tree` (the authenticated
//! map) → `engine` (the STF) → `batch` (headers, checkpoints) → `fraud` (one-call proofs)
//! → `audit` (one receipt checked by re-executing a posted chain) → `api` (HTTP DTOs).

pub mod action;
pub mod api;
pub mod audit;
pub mod batch;
pub mod codec;
pub mod engine;
pub mod fault;
pub mod fraud;
pub mod genesis;
pub mod merkle;
pub mod options;
pub mod primitives;
pub mod signing;
pub mod state;
pub mod tree;
pub mod units;
pub mod workload;

pub use primitives::{Address, H256, keccak256};
