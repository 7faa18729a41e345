//! The client's integration tests, one binary: the units and market tables, the real
//! `vigil` binary's key commands in a temp data dir, its L1 commands against an in-process
//! settlement layer on 127.0.0.1:0, and its trading, history, withdrawal, forced-inclusion
//! and bench commands against an in-process settlement layer and sequencer (`rollup`); the
//! one-process devnet (start, manifest, restart, SIGTERM), the oracle feed, the fraud demo
//! for every fault kind, an eth-account-signed order; and the whole system against fraud
//! (`fraud_e2e`, over `network`: settlement layer, real sequencer and verifiers); `vigil
//! verify tx` against a chain with a misreported receipt; and the
//! seeded whole-system `simulation` on the three services' pure cores, without HTTP; and
//! `vigil chaos` (kill -9 of the real service binaries under load) for 20 cycles; issue
//! #18's CLI points as one table against a real devnet (`usability`), and its operator
//! points against the three service binaries (`operators`); each service's OpenAPI
//! document under the schema-driven fuzzer (`api_fuzz`).

mod agents;
mod api_fuzz;
mod bench;
mod bulk_modify;
mod chaos;
mod claim;
mod client_orders;
mod demo;
mod devnet;
mod docker;
mod exit_e2e;
mod explorer;
mod external_signature;
mod fraud_e2e;
mod hints;
mod history;
mod keys;
mod l1;
mod locks;
mod market;
mod network;
mod operators;
mod options;
mod oracle;
mod order_feeds;
mod positions;
mod proofs;
mod rollup;
mod simulation;
mod support;
mod trading;
mod units;
mod usability;
mod usage;
mod verify;
mod walkthrough;
mod watch;
mod withdrawals;
