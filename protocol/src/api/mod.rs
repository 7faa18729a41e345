//! HTTP DTOs shared by the services and their clients, so that every caller speaks to a
//! service through `protocol` types and plain HTTP, never by linking the service.

pub mod audit;
pub mod genesis;
pub mod history;
pub mod intake_ws;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod order_feed;
pub mod proofs;
pub mod sequencer;
pub mod settlement;
pub mod stream;
pub mod verifier;
