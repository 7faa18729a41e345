//! `vigil_client`: the `vigil` CLI's library and Vigil's typed HTTP clients.
//!
//! - `units`: human amounts ("0.5", "1,000.25") to protocol integers and back.
//! - `keystore`: named signing keys under the data dir.
//! - `settlement`: the settlement layer's HTTP client (reused by the devnet, demo, bench).
//! - `cli` + `commands`: the command line and what each command does.

pub mod cli;
pub mod commands;
pub mod keystore;
pub mod settlement;
pub mod units;
