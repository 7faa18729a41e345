//! The follower: long-polls the settlement layer's event log. It feeds L1 queue messages
//! (deposits, forced actions) to the executor in queue order, and wakes the poster on
//! every batch event (posted, challenged, reverted, finalized), which reconciles.
//!
//! Start-up order avoids gaps: take the event cursor first, then read the queue from the
//! first message that is not yet final; any message queued after the cursor arrives as an
//! event and triggers another queue read. The executor ignores messages it already has.

use crate::executor::Command;
use crate::settlement::{SettlementClient, SettlementError};
use crate::view::ViewReceiver;
use protocol::api::settlement::EventKind;
use std::sync::{Arc, mpsc};
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// Longest a poll waits on the settlement layer for a new event.
const POLL_WAIT: Duration = Duration::from_secs(2);
const PAGE: u64 = 1_000;

#[derive(Debug)]
pub struct Follower {
    pub client: SettlementClient,
    pub exec: mpsc::Sender<Command>,
    pub views: ViewReceiver,
    pub wake_poster: Arc<Notify>,
}

impl Follower {
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut cursor: Option<u64> = None;
        let mut next_queue = self.views.borrow().final_queue_end;
        let mut backoff = Duration::from_millis(100);
        loop {
            let round = self.round(&mut cursor, &mut next_queue);
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
        cursor: &mut Option<u64>,
        next_queue: &mut u64,
    ) -> Result<(), SettlementError> {
        let after = match *cursor {
            Some(c) => c,
            None => {
                let c = self.client.status().await?.last_event_seq;
                *cursor = Some(c);
                c
            }
        };
        self.read_queue(next_queue).await?;
        let page = self.client.events(after, PAGE, POLL_WAIT).await?;
        let mut batch_event = false;
        for event in &page.events {
            match event.event {
                EventKind::BatchPosted { .. }
                | EventKind::ChallengeUpheld { .. }
                | EventKind::BatchReverted { .. }
                | EventKind::BatchFinalized { .. } => batch_event = true,
                _ => {}
            }
        }
        if let Some(last) = page.events.last() {
            *cursor = Some(last.seq);
        }
        if batch_event {
            self.wake_poster.notify_one();
        }
        Ok(())
    }

    /// Hands every queued message from `next_queue` on to the executor.
    async fn read_queue(&self, next_queue: &mut u64) -> Result<(), SettlementError> {
        loop {
            let page = self.client.queue(*next_queue, PAGE).await?;
            let messages: Vec<_> = page
                .messages
                .into_iter()
                .filter(|m| m.index >= *next_queue)
                .map(|m| (m.index, m.message))
                .collect();
            let Some((last, _)) = messages.last() else {
                return Ok(());
            };
            let full = messages.len() as u64 >= PAGE;
            *next_queue = last + 1;
            if self.exec.send(Command::L1 { messages }).is_err() {
                return Ok(());
            }
            if !full {
                return Ok(());
            }
        }
    }
}
