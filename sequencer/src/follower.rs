//! The follower: long-polls the settlement layer's event log. It feeds L1 queue messages
//! (deposits, forced actions) to the executor in queue order, and wakes the poster on
//! every batch event (posted, challenged, reverted, finalized), which reconciles.
//!
//! It also keeps the L1 messages the settlement layer has not seen consumed yet (each with
//! its deadline block), so `/v1/status` can show the oldest one (`PendingL1`).
//!
//! Withdrawal claims (`withdrawal_claimed` events) go to the journal through the executor
//! (`Command::Settled`), with the event cursor read up to: the withdrawals feed's
//! `claimed` (`journal::withdrawal_events`). The cursor starts where the journal's stored
//! one is (from the first event on a new data dir), so a claim made while the sequencer was
//! down is read after a restart; recording one twice changes nothing.
//!
//! Start-up order avoids gaps: take the event cursor first, then read the queue from the
//! first message that is not yet final; any message queued after the cursor arrives as an
//! event and triggers another queue read. The executor ignores messages it already has.

use crate::executor::Command;
use crate::http::ReadDb;
use crate::journal::SettlementUpdate;
use crate::journal::withdrawal_events::{self, L1Claim};
use crate::view::ViewReceiver;
use protocol::action::L1Message;
use protocol::api::settlement::{EventKind, QueueEntry};
use serde::{Deserialize, Serialize};
use service_client::{SettlementClient, SettlementError};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// An L1 queue message that no live batch on the settlement layer consumes yet. A batch
/// posted while the head block is past `deadline_block` must consume it, so the sequencer
/// includes it at once and seals its batch at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PendingL1 {
    pub queue_index: u64,
    /// `deposit` or `forced`.
    pub kind: String,
    pub enqueued_block: u64,
    pub deadline_block: u64,
    /// Whether the sequencer has included it in its chain (then it waits for posting).
    pub sequenced: bool,
}

/// The oldest pending L1 message, shared by the follower (writes) and `/v1/status`
/// (reads, filling in `sequenced`).
pub type OldestPendingL1 = Arc<Mutex<Option<PendingL1>>>;

/// The L1 block the settlement layer froze the rollup in (exit mode, settlement.md §12),
/// once it has: no batch can be posted any more, so intake refuses new actions (409
/// `rollup_frozen`) and the poster stops. Set at startup and by the follower's
/// `rollup_frozen` event; never cleared (a freeze is for good).
pub type FrozenAt = Arc<OnceLock<u64>>;

/// What a refused action or a stopped poster says about a freeze at `block`.
pub fn frozen_message(block: u64) -> String {
    format!(
        "the settlement layer froze the rollup at L1 block {block} (exit mode): no batch can be posted any more; \
         every account claims its equity at the last finalized root with `vigil exit claim`"
    )
}

fn pending(entry: &QueueEntry) -> PendingL1 {
    PendingL1 {
        queue_index: entry.index,
        kind: match entry.message {
            L1Message::Deposit { .. } => "deposit",
            L1Message::Forced { .. } => "forced",
        }
        .into(),
        enqueued_block: entry.enqueued_block,
        deadline_block: entry.deadline_block,
        sequenced: false,
    }
}

/// Why a round failed (it is retried with backoff).
#[derive(Debug, thiserror::Error)]
enum FollowError {
    #[error(transparent)]
    Settlement(#[from] SettlementError),
    #[error("reading the journal's L1 event cursor: {0}")]
    Journal(String),
}

/// Longest a poll waits on the settlement layer for a new event.
const POLL_WAIT: Duration = Duration::from_secs(2);
const PAGE: u64 = 1_000;

#[derive(Debug)]
pub struct Follower {
    pub client: SettlementClient,
    pub exec: mpsc::Sender<Command>,
    pub views: ViewReceiver,
    pub wake_poster: Arc<Notify>,
    pub oldest_pending: OldestPendingL1,
    pub frozen: FrozenAt,
    /// The journal, for the event cursor the claims were last read up to.
    pub db: ReadDb,
}

/// The L1 event cursors: how far the events were read, and how far the journal has been
/// told (it is told at every claim, and at least every [`PAGE`] events without one).
#[derive(Debug, Clone, Copy)]
struct Cursor {
    read: u64,
    stored: u64,
}

impl Follower {
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut cursor: Option<Cursor> = None;
        let mut next_queue = self.views.borrow().final_queue_end;
        let mut unconsumed = BTreeMap::new();
        let mut backoff = Duration::from_millis(100);
        loop {
            let round = self.round(&mut cursor, &mut next_queue, &mut unconsumed);
            let failed = tokio::select! {
                result = round => result.err(),
                _ = stop.wait_for(|s| *s) => return,
            };
            if let Some(e) = failed {
                tracing::warn!(error = %e, "following the settlement layer failed; retrying");
                tokio::select! {
                    () = tokio::time::sleep(backoff) => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
            } else {
                backoff = Duration::from_millis(100);
            }
        }
    }

    /// One poll: catch up on the queue, then wait for events.
    async fn round(
        &self,
        cursor: &mut Option<Cursor>,
        next_queue: &mut u64,
        unconsumed: &mut BTreeMap<u64, PendingL1>,
    ) -> Result<(), FollowError> {
        let after = match *cursor {
            Some(c) => c.read,
            None => {
                let stored = self.stored_cursor().await?;
                *cursor = Some(Cursor {
                    read: stored,
                    stored,
                });
                stored
            }
        };
        let first_unconsumed = self.read_queue(next_queue, unconsumed).await?;
        unconsumed.retain(|index, _| *index >= first_unconsumed);
        if first_unconsumed < *next_queue && !unconsumed.contains_key(&first_unconsumed) {
            // Consumed once, then unconsumed again by a revert: read it back.
            let page = self.client.queue(first_unconsumed, 1).await?;
            for entry in page.messages.iter().filter(|m| m.index == first_unconsumed) {
                unconsumed.insert(entry.index, pending(entry));
            }
        }
        *self
            .oldest_pending
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = unconsumed.values().next().cloned();
        let page = self.client.events(after, PAGE, POLL_WAIT).await?;
        let mut batch_event = false;
        let mut claims = Vec::new();
        for event in &page.events {
            match event.event {
                EventKind::WithdrawalClaimed {
                    withdrawal_id,
                    account,
                    amount,
                    batch_index,
                    ..
                } => claims.push(L1Claim {
                    withdrawal_id,
                    account,
                    amount,
                    batch_index,
                    claimed_block: event.block,
                    l1_event: event.seq,
                }),
                EventKind::BatchPosted { .. }
                | EventKind::ChallengeUpheld { .. }
                | EventKind::BatchReverted { .. }
                | EventKind::BatchFinalized { .. } => batch_event = true,
                EventKind::RollupFrozen { .. } => {
                    if self.frozen.set(event.block).is_ok() {
                        tracing::warn!(
                            block = event.block,
                            "the settlement layer froze the rollup; intake and posting stop"
                        );
                    }
                    batch_event = true;
                }
                _ => {}
            }
        }
        if let (Some(last), Some(c)) = (page.events.last(), cursor.as_mut()) {
            c.read = last.seq;
            if !claims.is_empty() || c.read >= c.stored.saturating_add(PAGE) {
                let update = SettlementUpdate::Claims {
                    claims,
                    event_cursor: c.read,
                };
                let _ = self.exec.send(Command::Settled(update));
                c.stored = c.read;
            }
        }
        if batch_event {
            self.wake_poster.notify_one();
        }
        Ok(())
    }

    /// The event cursor the journal read claims up to (0 on a new data dir: every event).
    async fn stored_cursor(&self) -> Result<u64, FollowError> {
        let stored = self.db.read(withdrawal_events::claims_cursor).await;
        stored
            .map(|c| c.unwrap_or(0))
            .map_err(|e| FollowError::Journal(e.message))
    }

    /// Hands every queued message from `next_queue` on to the executor, and records each in
    /// `unconsumed`. Returns the first index no live batch consumes yet.
    async fn read_queue(
        &self,
        next_queue: &mut u64,
        unconsumed: &mut BTreeMap<u64, PendingL1>,
    ) -> Result<u64, SettlementError> {
        loop {
            let page = self.client.queue(*next_queue, PAGE).await?;
            for entry in &page.messages {
                unconsumed
                    .entry(entry.index)
                    .or_insert_with(|| pending(entry));
            }
            let first_unconsumed = page.next_unconsumed;
            let messages: Vec<_> = page
                .messages
                .into_iter()
                .filter(|m| m.index >= *next_queue)
                .map(|m| (m.index, m.message))
                .collect();
            let Some((last, _)) = messages.last() else {
                return Ok(first_unconsumed);
            };
            let full = messages.len() as u64 >= PAGE;
            *next_queue = last + 1;
            if self.exec.send(Command::L1 { messages }).is_err() || !full {
                return Ok(first_unconsumed);
            }
        }
    }
}
