//! The integration tests of `verifier`: one binary (it links once), one module per area.
//! The end-to-end tests run the real settlement layer in-process on 127.0.0.1:0 with
//! hand-mined blocks (the pure core is tested in the simulation's production world, in
//! `client/tests/it/simulation/verifier_core.rs`). No test
//! sleeps to wait: every wait is a bounded long poll on an observable condition.

mod support;

mod faults;
mod honest;
mod http_api;
mod lock;
mod openapi;
mod power_loss;
mod restart;
mod store;
mod stream;
