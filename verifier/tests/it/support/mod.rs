//! Test support for the end-to-end tests: the real settlement layer in-process, an HTTP
//! batch poster over a test-side sequencer that can cheat, and verifier services
//! (in-process or the real binary). The verifier's core is tested scenario by scenario in
//! the production world of the seeded simulation (`client/tests/it/simulation/`), where
//! the settlement rules and the sequencer are the real ones.

pub mod node;
pub mod poster;
pub mod sequencing;
pub mod service;
