//! `vigil_client`: the `vigil` CLI's library and Vigil's typed HTTP clients.
//!
//! - `units`: human amounts ("0.5", "1,000.25") to protocol integers and back.
//! - `keystore`: named signing keys under the data dir.
//! - `sequencer`, `verifier`: typed clients of those two services (reused by the commands,
//!   the devnet, the demo and the load generator). The settlement-layer client and the
//!   one error type they all share live in the `service-client` crate, which the sequencer
//!   and the verifier use too.
//! - `devnet`: the one-process network and its `devnet.json` manifest.
//! - `oracle`: the devnet price feed (a seeded random walk signed with the oracle key).
//! - `demo`: `vigil demo fraud`, the fraud-proof story on a temporary devnet.
//! - `bench`: the load generator behind `vigil bench` (also for tests and the devnet).
//! - `chaos`: `vigil chaos`, kill -9 of the real service binaries under load, checked.
//! - `cli` + `commands`: the command line and what each command does.

pub mod bench;
pub mod chaos;
pub mod cli;
pub mod commands;
pub mod demo;
pub mod devnet;
pub mod keystore;
pub mod oracle;
pub mod sequencer;
pub mod units;
pub mod verifier;
