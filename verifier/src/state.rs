//! What the follower task shares with the HTTP handlers: the latest status (a watch
//! channel, so `/v1/status` can long-poll for a cursor), the finalized state (exit proofs),
//! the feed's head (a watch channel the `/v1/stream` sessions wake on) and its reader, the
//! metrics, and the stop signal.

use crate::core::Follower;
use crate::core::chain::Verdict;
use crate::feed::{FeedLog, markets_at};
use crate::metrics::Metrics;
use crate::store::{FeedReader, numbered};
use protocol::api::proofs::HeldState;
use protocol::api::sequencer::MarketInfo;
use protocol::api::stream::StreamMessage;
use protocol::api::verifier::{ChallengeView, L1View, Lag, StatusResponse};
use protocol::genesis::Genesis;
use protocol::primitives::H256;
use protocol::tree::Tree;
use service_shell::http::HoldsStates;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use tokio::sync::watch;

/// The feed as of the newest committed event the follower published: the head event, the
/// live batches then (each numbered with the head), and the verified head: its state (O(1)
/// to clone; books and accounts are read from it), the `seq` after it, the time its views
/// are taken at and the markets at it.
#[derive(Debug, Clone, Default)]
pub struct FeedView {
    pub head: u64,
    pub batches: Arc<Vec<StreamMessage>>,
    pub markets: Arc<Vec<MarketInfo>>,
    /// The verified state (`None` before the first publish).
    pub verified: Option<Tree>,
    /// The `seq` after the verified head: every transaction below it applied.
    pub next_seq: u64,
    /// The verified head's batch timestamp (ms, `Follower::verified_timestamp_ms`): the
    /// time its account views are taken at (stale price, funding), as the sequencer takes
    /// them at its state's batch time, so that they are deterministic and only a new
    /// verified state changes them.
    pub at_ms: u64,
    /// The verified root the markets were computed at.
    root: Option<H256>,
}

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
    /// The finalized state and the post-state of every pending batch verified honest,
    /// ascending: what `/v1/proofs/…?batch=N` proves against.
    held: Mutex<(HeldKey, Arc<Vec<HeldState>>)>,
    /// Every challenge record with its proof, by challenged submission.
    challenges: Mutex<BTreeMap<u64, ChallengeView>>,
    genesis: Arc<Genesis>,
    /// What the feed's sessions start from and wake on.
    feed: watch::Sender<FeedView>,
    feed_reader: OnceLock<Arc<FeedReader>>,
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
                held: Mutex::new((held_key(core), Arc::new(held_of(core)))),
                challenges: Mutex::new(challenges_of(core)),
                feed: watch::Sender::new(FeedView::default()),
                feed_reader: OnceLock::new(),
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

    /// Publishes the finalized state and the verified ones after it (after the status,
    /// from the same core).
    pub fn publish_states(&self, core: &Follower) {
        *lock(&self.inner.finalized) = (core.anchor().index, core.anchor_tree().clone());
        // Rebuilt only when the chain moved: publishing happens every poll, and a long
        // challenge window holds many pending batches.
        let key = held_key(core);
        let mut held = lock(&self.inner.held);
        if held.0 != key {
            *held = (key, Arc::new(held_of(core)));
        }
        drop(held);
        *lock(&self.inner.challenges) = challenges_of(core);
    }

    /// Publishes the feed's head event `head` (committed) with `log`'s live batches and,
    /// when the verified root moved, the markets at it; the sessions wake only on a change.
    pub fn publish_feed(&self, core: &Follower, log: &FeedLog, head: u64) {
        let (root, next_seq) = (core.verified_root(), core.verified_next_seq());
        self.inner.feed.send_if_modified(|view| {
            let moved = view.root != Some(root) || view.next_seq != next_seq;
            if view.head == head && !moved {
                return false;
            }
            if moved {
                let now = crate::feed::wall_clock_ms();
                let tree = core.verified().1;
                view.markets = Arc::new(markets_at(core.genesis(), tree, now));
                view.verified = Some(tree.clone());
                view.next_seq = next_seq;
                view.at_ms = core.verified_timestamp_ms();
                view.root = Some(root);
            }
            let batches = log.snapshot().into_iter().map(|m| numbered(m, head));
            view.batches = Arc::new(batches.collect());
            view.head = head;
            true
        });
    }

    pub fn watch_feed(&self) -> watch::Receiver<FeedView> {
        self.inner.feed.subscribe()
    }

    /// Hands the feed's sessions their reader (once, before serving).
    pub fn attach_feed_reader(&self, reader: FeedReader) {
        let _ = self.inner.feed_reader.set(Arc::new(reader));
    }

    pub fn feed_reader(&self) -> Option<Arc<FeedReader>> {
        self.inner.feed_reader.get().cloned()
    }

    /// The challenge record against `submission_id`, proof included.
    pub fn challenge(&self, submission_id: u64) -> Option<ChallengeView> {
        lock(&self.inner.challenges).get(&submission_id).cloned()
    }

    pub fn genesis(&self) -> Arc<Genesis> {
        self.inner.genesis.clone()
    }

    /// The last finalized batch and the state after it.
    pub fn finalized(&self) -> (Option<u64>, Tree) {
        lock(&self.inner.finalized).clone()
    }

    pub fn watch_status(&self) -> watch::Receiver<StatusResponse> {
        self.inner.status.subscribe()
    }

    pub fn stopping(&self) -> watch::Receiver<bool> {
        self.inner.stopping.clone()
    }

    /// The metrics, locked. A poisoned lock still holds usable numbers.
    pub fn metrics(&self) -> MutexGuard<'_, Metrics> {
        lock(&self.inner.metrics)
    }
}

impl HoldsStates for AppState {
    fn held_states(&self) -> Arc<Vec<HeldState>> {
        lock(&self.inner.held).1.clone()
    }
}

/// `mutex`, locked; a poisoned lock still holds a usable value (every writer replaces it
/// whole).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Where the chain stood when the held states were built: the anchor, the pending count
/// and the newest pending batch (a revert or a new batch changes it).
type HeldKey = (Option<u64>, usize, Option<H256>);

fn held_key(core: &Follower) -> HeldKey {
    let newest = core.pending().last().map(|f| f.posted.header_hash);
    (core.anchor().index, core.pending().len(), newest)
}

fn challenges_of(core: &Follower) -> BTreeMap<u64, ChallengeView> {
    core.challenges()
        .map(|c| (c.submission_id, c.clone()))
        .collect()
}

/// The finalized states kept in history, the anchor's state and every pending batch's
/// post-state up to the first that is not verified honest.
fn held_of(core: &Follower) -> Vec<HeldState> {
    let anchor = HeldState {
        batch_index: core.anchor().index,
        tree: core.anchor_tree().clone(),
    };
    let kept = core.history().cloned();
    let verified = core.pending().iter().map_while(|f| match &f.verdict {
        Verdict::Honest { post } => Some(HeldState {
            batch_index: Some(f.header.index),
            tree: post.clone(),
        }),
        _ => None,
    });
    kept.chain(std::iter::once(anchor))
        .chain(verified)
        .collect()
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
        // Without their witnesses: `GET /v1/challenges/{id}` serves those.
        challenges: core
            .challenges()
            .map(|c| ChallengeView {
                proof: None,
                ..c.clone()
            })
            .collect(),
        audit: core.audited().clone(),
        solvency: core.solvency().cloned(),
    }
}
