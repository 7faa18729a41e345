//! `vigil devnet`: the whole network in one process — settlement layer, sequencer, two
//! verifiers in challenge mode, an oracle price feed and the liquidation keeper — and the
//! `devnet.json` manifest that tells users and scripts where everything is.
//!
//! - `config`: `DevnetConfig` (ports, block time, window, accounts, feed, fault).
//! - `launch`: `Devnet::start(config) -> RunningDevnet` (`manifest()`, `shutdown()`).
//! - `services`: the owned tasks and their staged shutdown.
//! - `funding`: first-start faucet and deposits, idempotent across restarts.
//! - `keys`: the deterministic devnet keys.
//! - `poll`: bounded waiting on a condition.

pub mod config;
pub mod funding;
pub mod keys;
pub mod launch;
pub mod manifest;
pub mod poll;
pub mod services;

pub use config::{DevnetConfig, Ports};
pub use launch::{Devnet, DevnetError, RunningDevnet};
pub use manifest::{DevAccount, DevnetManifest};
