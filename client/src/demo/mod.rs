//! `vigil demo`: scripted stories on a throwaway devnet that show the system working.
//!
//! `fraud`: a faulty sequencer posts a bad batch, a verifier proves it in one call, the
//! settlement layer slashes and reverts, the sequencer re-sequences honestly, and a
//! withdrawal finalizes and is claimed — a checked timeline (`timeline`), step by step
//! (`story`), with the demo's signed actions in `actions`.

pub mod actions;
pub mod escape;
pub mod fraud;
pub mod options;
pub mod story;
pub mod timeline;

pub use escape::run_escape_demo;
pub use fraud::{DemoFailure, FraudDemoConfig, run_fraud_demo, run_fraud_demo_holding};
pub use timeline::{Entry, Timeline};
