//! What the follower task shares with the HTTP handlers: the latest status (a watch
//! channel, so `/v1/status` can long-poll for a cursor), the finalized state (exit proofs),
//! the metrics, and the stop signal.

use crate::core::Follower;
use crate::metrics::Metrics;
use protocol::api::verifier::{L1View, Lag, StatusResponse};
use protocol::genesis::Genesis;
use protocol::tree::Tree;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::watch;

/// Cheap to clone; handed to every handler.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    status: watch::Sender<StatusResponse>,
    /// The last finalized batch and the state after it (O(1) to clone), for exit proofs.
    finalized: Mutex<(Option<u64>, Tree)>,
    genesis: Arc<Genesis>,
    metrics: Mutex<Metrics>,
    stopping: watch::Receiver<bool>,
}

impl AppState {
    /// The state of `core` as it starts.
    pub fn new(core: &Follower, stopping: watch::Receiver<bool>) -> AppState {
        AppState {
            inner: Arc::new(Shared {
                status: watch::Sender::new(status_of(core, core.cursor(), None)),
                genesis: Arc::new(core.genesis().clone()),
                finalized: Mutex::new((core.anchor().index, core.anchor_tree().clone())),
                metrics: Mutex::new(Metrics::default()),
                stopping,
            }),
        }
    }

    pub fn status(&self) -> StatusResponse {
        self.inner.status.borrow().clone()
    }

    pub fn publish(&self, status: StatusResponse) {
        self.inner.status.send_replace(status);
    }

    /// Publishes the finalized state (after the status, from the same core).
    pub fn publish_finalized(&self, index: Option<u64>, tree: Tree) {
        *self
            .inner
            .finalized
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = (index, tree);
    }

    pub fn genesis(&self) -> Arc<Genesis> {
        self.inner.genesis.clone()
    }

    /// The last finalized batch and the state after it.
    pub fn finalized(&self) -> (Option<u64>, Tree) {
        self.inner
            .finalized
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    pub fn watch_status(&self) -> watch::Receiver<StatusResponse> {
        self.inner.status.subscribe()
    }

    pub fn stopping(&self) -> watch::Receiver<bool> {
        self.inner.stopping.clone()
    }

    /// The metrics, locked. A poisoned lock still holds usable numbers.
    pub fn metrics(&self) -> MutexGuard<'_, Metrics> {
        self.inner
            .metrics
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The status of `core`, with the settlement layer as last seen.
pub fn status_of(core: &Follower, resumed_from: u64, l1: Option<L1View>) -> StatusResponse {
    let synced = core.synced_batch();
    let (verified_batch, verified_tree) = core.verified();
    let lag = l1.map_or_else(Lag::default, |l1| {
        let events = l1.last_event_seq.saturating_sub(core.cursor());
        let live = l1.tip_index.map_or(0, |i| i + 1);
        Lag {
            batches: live.saturating_sub(synced.map_or(0, |i| i + 1)),
            blocks: if events > 0 {
                l1.head_block.saturating_sub(core.last_block())
            } else {
                0
            },
            events,
        }
    });
    StatusResponse {
        mode: core.mode(),
        challenger: core.challenger(),
        genesis_hash: core.genesis().hash(),
        cursor: core.cursor(),
        resumed_from_cursor: resumed_from,
        synced_batch: synced,
        verified_batch,
        verified_root: verified_tree.root(),
        finalized_batch: core.anchor().index,
        pending_batches: core.pending().len() as u64,
        lag,
        l1,
        halted: core.halted().map(str::to_string),
        totals: core.totals(),
        challenges: core.challenges().cloned().collect(),
    }
}
