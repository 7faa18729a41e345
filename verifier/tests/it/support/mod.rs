//! Test support: the pure world (a seeded workload, a model of the settlement rules, a
//! test sequencer that can cheat, verifier cores driven like the shell drives them; the
//! seeded simulation itself runs on production code in `client/tests/it/simulation/`),
//! and, for the end-to-end tests, the real settlement layer in-process, an HTTP batch
//! poster and verifier services (in-process or the real binary).

pub mod ledger;
pub mod node;
pub mod poster;
pub mod sequencing;
pub mod service;
pub mod world;
