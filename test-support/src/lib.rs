//! Dev-only test harnesses shared by the integration tests of `contracts-mock`, the
//! sequencer, the verifier and the client, so that each starts, drives and stops the same
//! things the same way instead of keeping its own copy:
//!
//! - [`SettlementLayer`]: `contracts_mock::start` in-process on 127.0.0.1:0 with a
//!   temporary data dir and hand-mined blocks, plus a typed HTTP client (faucet, mine,
//!   signed calls, deposits, batches).
//! - [`ChildService`]: a service binary run as a child process that announces
//!   `listening <addr>` on its first stdout line; SIGKILL, SIGTERM, reaped when dropped.
//! - [`CrashDisk`]: SQLite over an in-memory VFS shim that records writes and syncs, and
//!   gives what a power loss at any point would leave (unsynced writes dropped, reordered
//!   or torn), for the stores' power-loss tests.
//! - [`bind_loopback`], [`json_post`] and [`send_for_text`]: a 127.0.0.1:0 listener with its
//!   URL, a JSON `POST` of raw bytes, and one raw HTTP exchange as status and body text.
//! - [`crossing_order`]: the throughput benches' order flow (asks rested, then lifted).
//! - [`feed_socket`]: a WebSocket client for the feed tests, every read bounded.
//! - [`check_malformed_heads`]: the table of malformed request heads every service running
//!   the shared server must answer with its JSON error body, pipelined ones in their turn.
//!
//! Every wait here is bounded in time; nothing sleeps to synchronize.

mod child;
mod crash_vfs;
mod crossing;
pub mod feed_socket;
mod loopback;
mod malformed_heads;
mod settlement;

pub use child::{ChildService, send_sigterm};
pub use crash_vfs::{CrashDisk, Op, SECTOR, Survivors, Timeline, VFS_NAME};
pub use crossing::crossing_order;
pub use loopback::{bind_loopback, json_post, send_for_text};
pub use malformed_heads::{
    MalformedHead, check_malformed_heads, exchange, malformed_heads, responses, statuses,
};
pub use settlement::{SettlementLayer, assert_conserved, expect_ok};

/// Lets a suite's newtype around [`SettlementLayer`] (which adds that suite's chain terms
/// and helpers) be used as the harness itself: `Deref` and `DerefMut` to the inner one.
#[macro_export]
macro_rules! deref_to_settlement_layer {
    ($newtype:ty) => {
        impl ::std::ops::Deref for $newtype {
            type Target = $crate::SettlementLayer;
            fn deref(&self) -> &$crate::SettlementLayer {
                &self.0
            }
        }

        impl ::std::ops::DerefMut for $newtype {
            fn deref_mut(&mut self) -> &mut $crate::SettlementLayer {
                &mut self.0
            }
        }
    };
}
