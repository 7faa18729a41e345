//! The integration tests of `verifier`: one binary (it links once), one module per area.
//! The pure core and the deterministic simulation run without HTTP; the end-to-end tests
//! run the real settlement layer in-process on 127.0.0.1:0 with hand-mined blocks. No test
//! sleeps to wait: every wait is a bounded long poll on an observable condition.

mod support;

mod core_follow;
mod faults;
mod honest;
mod http_api;
mod lock;
mod restart;
mod store;
