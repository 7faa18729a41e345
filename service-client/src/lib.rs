//! `service-client`: the client side of Vigil's HTTP APIs, shared by the sequencer, the
//! verifier and the `vigil` client so that all three talk to the settlement layer the same
//! way and fail with the same error type.
//!
//! - `http`: JSON over HTTP with per-caller time limits, and [`http::ServiceError`], the
//!   one error type (unreachable, refused with the server's stable code, bad answer).
//! - `settlement`: [`settlement::SettlementClient`], every read and signed L1 call.
//!
//! It depends on `protocol` (the DTOs and signing) and the HTTP stack only; services may
//! depend on it without depending on each other.

pub mod http;
pub mod settlement;

pub use http::{ServiceError, ServiceHttp, Timeouts};
pub use settlement::{NONCE_RETRIES, SettlementCall, SettlementClient, SettlementError, TopUp};
