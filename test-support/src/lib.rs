//! Dev-only test harnesses shared by the integration tests of `contracts-mock`, the
//! sequencer, the verifier and the client, so that each starts, drives and stops the same
//! things the same way instead of keeping its own copy:
//!
//! - [`SettlementLayer`]: `contracts_mock::start` in-process on 127.0.0.1:0 with a
//!   temporary data dir and hand-mined blocks, plus a typed HTTP client (faucet, mine,
//!   signed calls, deposits, batches).
//! - [`ChildService`]: a service binary run as a child process that announces
//!   `listening <addr>` on its first stdout line; SIGKILL, SIGTERM, reaped when dropped.
//!
//! Every wait here is bounded in time; nothing sleeps to synchronize.

mod child;
mod settlement;

pub use child::{ChildService, send_sigterm};
pub use settlement::{SettlementLayer, assert_conserved, expect_ok};
