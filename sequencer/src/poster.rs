//! The poster: gets sealed batches onto the settlement layer, in order, exactly once, and
//! keeps their local status in step with it.
//!
//! Every round (`sync`) compares the local unsettled batches with the settlement layer:
//! - ours and live there: record posted / finalized (and tell the executor, which drops
//!   the states it kept for reverts and may write a snapshot);
//! - ours but reverted there: tell the executor to roll back and re-sequence;
//! - live there with another header hash (another bonded proposer posted it): have the
//!   executor adopt it and re-sequence our actions on top (`executor::adopt`);
//! - not there: post it if it is the next index. Posting is idempotent across crashes:
//!   a batch posted just before a crash is found live (same header hash) on the next
//!   round and only recorded, and the chain linkage (index, parent hash) makes a second
//!   copy impossible;
//! - a batch the settlement layer can no longer accept because it waited too long
//!   (stale timestamp, a forced message now overdue) is rolled back and re-sequenced too.
//!
//! Rounds run when a batch is sealed or reverted, when the follower sees a batch event,
//! and on a timer (finalization, retries with backoff).

use crate::audit::Gate;
use crate::executor::Command;
use crate::http::{PostingError, ReadDb};
use crate::journal::queries::{self, Unsettled};
use crate::journal::writer::{WriteOp, WriterHandle};
use crate::journal::{Entry, SettlementUpdate};
use crate::metrics::Metrics;
use k256::ecdsa::SigningKey;
use protocol::api::settlement::{
    BatchStatus as L1Status, BatchView, PostBatchCall, PostBatchResponse,
};
use service_client::{SettlementClient, SettlementError, TopUp};
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, mpsc};
use std::time::Duration;
use tokio::sync::{Notify, oneshot, watch};

/// Refusals that re-sequencing into a fresh batch cures.
const RESEQUENCE_ON: [&str; 3] = [
    "timestamp_too_far_behind",
    "timestamp_regressed",
    "overdue_message_skipped",
];

#[derive(Debug, thiserror::Error)]
enum SyncError {
    #[error(transparent)]
    Settlement(#[from] SettlementError),
    #[error("{0}")]
    Local(String),
}

#[derive(Debug)]
pub struct Poster {
    pub client: SettlementClient,
    /// The sequencer key: batches and bonds are signed L1 calls from its account.
    pub key: SigningKey,
    pub db: ReadDb,
    pub writer: WriterHandle,
    pub exec: mpsc::Sender<Command>,
    pub wake: Arc<Notify>,
    pub posting_error: PostingError,
    pub metrics: Arc<Metrics>,
    /// Re-bond from the L1 balance when a post is refused for a short bond (after a slash).
    pub auto_bond: bool,
    /// Set once the rollup is frozen: then the poster only reports it, and stops.
    pub frozen: crate::follower::FrozenAt,
    /// Batches are posted only once the state after them passed the invariant audit.
    pub audit: Arc<crate::audit::Audit>,
}

impl Poster {
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        if let Ok(progress) = self.db.read(queries::progress).await {
            let m = &self.metrics;
            m.last_posted
                .store(progress.posted.unwrap_or(0), Ordering::Relaxed);
            m.last_finalized
                .store(progress.finalized.unwrap_or(0), Ordering::Relaxed);
        }
        let mut backoff = Duration::from_millis(100);
        loop {
            if let Some(block) = self.frozen.get() {
                // A freeze is for good: nothing can be posted, so say why and stop trying.
                self.set_error(Some(crate::follower::frozen_message(*block)));
                tracing::warn!(block, "rollup frozen; posting stopped");
                let _ = stop.wait_for(|s| *s).await;
                return;
            }
            let wait = match self.sync().await {
                Ok(()) => {
                    self.set_error(None);
                    backoff = Duration::from_millis(100);
                    Duration::from_secs(1)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "posting round failed; retrying");
                    self.set_error(Some(e.to_string()));
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    backoff
                }
            };
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(wait) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
        }
    }

    fn set_error(&self, error: Option<String>) {
        *self.posting_error.lock().unwrap_or_else(|e| e.into_inner()) = error;
    }

    async fn sync(&self) -> Result<(), SyncError> {
        let local = self
            .db
            .read(queries::unsettled)
            .await
            .map_err(|e| SyncError::Local(e.message))?;
        let Some(first) = local.first() else {
            return Ok(());
        };
        let status = self.client.status().await?;
        let live: BTreeMap<u64, BatchView> = self
            .client
            .batches(first.index, 1_000)
            .await?
            .batches
            .into_iter()
            .map(|b| (b.index, b))
            .collect();
        let mut next_index = status.next_batch_index;
        for batch in &local {
            match live.get(&batch.index) {
                Some(view) if view.header_hash == batch.header_hash => {
                    self.record(batch, view);
                    next_index = next_index.max(batch.index + 1);
                }
                Some(view) => return self.adopt(batch, view).await,
                None => {
                    if self.reverted_there(batch).await? {
                        return self
                            .rollback(batch, "reverted on the settlement layer")
                            .await;
                    }
                    match self.audit.may_post(batch.index) {
                        Ok(()) => {}
                        // The auditor wakes the poster when it passes the batch.
                        Err(Gate::Pending) => return Ok(()),
                        Err(Gate::Stopped(why)) => return Err(SyncError::Local(why)),
                    }
                    if batch.index != next_index {
                        return Err(SyncError::Local(format!(
                            "batch {} waits for the settlement layer to reach it (it expects batch {next_index})",
                            batch.index
                        )));
                    }
                    match self.post(batch).await {
                        Ok(posted) => {
                            tracing::info!(
                                index = batch.index,
                                block = posted.posted_block,
                                "batch posted"
                            );
                            self.write(SettlementUpdate::Posted {
                                batch_index: batch.index,
                                header_hash: batch.header_hash,
                                submission_id: posted.submission_id,
                                posted_block: posted.posted_block,
                                deadline_block: posted.deadline_block,
                            });
                            self.metrics
                                .last_posted
                                .store(batch.index, Ordering::Relaxed);
                            next_index = batch.index + 1;
                        }
                        Err(e) if e.code().is_some_and(|c| RESEQUENCE_ON.contains(&c)) => {
                            return self.rollback(batch, &e.to_string()).await;
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
            }
        }
        Ok(())
    }

    /// The settlement layer's batch at our batch's index was posted by someone else: has
    /// the executor adopt it and re-sequence our actions on top (waiting until that is
    /// durable); the next round then posts what follows. A batch that cannot be adopted
    /// stops posting, with the reason.
    async fn adopt(&self, batch: &Unsettled, view: &BatchView) -> Result<(), SyncError> {
        let stopped = |why: String| {
            SyncError::Local(format!(
                "batch {} on the settlement layer is {} (posted by {}), not ours ({}), and cannot be adopted: {why}; posting stopped",
                batch.index, view.header_hash, view.poster, batch.header_hash
            ))
        };
        let data = self.client.batch(batch.index, true).await?.data;
        let foreign = data
            .as_deref()
            .map(<protocol::batch::Batch as protocol::codec::Decode>::decode)
            .transpose()
            .map_err(|e| stopped(e.to_string()))?
            .ok_or_else(|| stopped("the settlement layer served no data".into()))?;
        let (done, answer) = oneshot::channel();
        self.exec
            .send(Command::Adopt {
                batch: Box::new(foreign),
                done,
            })
            .map_err(|_| SyncError::Local("the executor has stopped".into()))?;
        match answer.await {
            Ok(Ok(adopted)) => {
                tracing::warn!(
                    index = batch.index,
                    poster = %view.poster,
                    kept = adopted.kept,
                    dropped = adopted.dropped,
                    "adopted another proposer's batch; our actions follow it"
                );
                self.metrics.reverts.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Ok(Err(why)) => Err(stopped(why)),
            Err(_) => Err(SyncError::Local("the executor has stopped".into())),
        }
    }

    /// Posts `batch`; if refused for a short bond (a slash took it) and auto-bonding is
    /// on, bonds again and retries once.
    async fn post(&self, batch: &Unsettled) -> Result<PostBatchResponse, SettlementError> {
        let call = || PostBatchCall::Data(batch.data.clone());
        match self.client.call(&self.key, call()).await {
            Err(e) if self.auto_bond && e.code() == Some("insufficient_bond") => {
                let min = self.client.status().await?.params.min_sequencer_bond;
                ensure_bond(&self.client, &self.key, min).await;
                self.client.call(&self.key, call()).await
            }
            other => other,
        }
    }

    /// Whether our batch was posted and then reverted (the newest submission with its
    /// index is ours and reverted).
    async fn reverted_there(&self, batch: &Unsettled) -> Result<bool, SyncError> {
        let newest = self.client.find_batch(batch.index, false).await?;
        Ok(newest.is_some_and(|view| {
            view.header_hash == batch.header_hash
                && matches!(view.status, L1Status::Reverted { .. })
        }))
    }

    /// Records what the settlement layer says about a live batch of ours.
    fn record(&self, batch: &Unsettled, view: &BatchView) {
        match view.status {
            L1Status::Pending { deadline_block } if !batch.posted => {
                self.write(SettlementUpdate::Posted {
                    batch_index: batch.index,
                    header_hash: batch.header_hash,
                    submission_id: view.submission_id,
                    posted_block: view.posted_block,
                    deadline_block,
                });
                self.metrics
                    .last_posted
                    .store(batch.index, Ordering::Relaxed);
            }
            L1Status::Finalized { .. } => {
                self.write(SettlementUpdate::Finalized {
                    batch_index: batch.index,
                    header_hash: batch.header_hash,
                    submission_id: view.submission_id,
                });
                let _ = self.exec.send(Command::Finalized {
                    index: batch.index,
                    header_hash: batch.header_hash,
                });
                self.metrics
                    .last_posted
                    .fetch_max(batch.index, Ordering::Relaxed);
                self.metrics
                    .last_finalized
                    .store(batch.index, Ordering::Relaxed);
            }
            _ => {}
        }
    }

    fn write(&self, update: SettlementUpdate) {
        self.writer.write(WriteOp {
            entries: vec![Entry::Settlement(update)],
            done: None,
        });
    }

    /// Has the executor roll back to the start of `batch` and re-sequence; waits until
    /// that is durable.
    async fn rollback(&self, batch: &Unsettled, why: &str) -> Result<(), SyncError> {
        tracing::warn!(
            index = batch.index,
            reason = why,
            "rolling back and re-sequencing"
        );
        let (done, answer) = oneshot::channel();
        self.exec
            .send(Command::Revert {
                from_index: batch.index,
                header_hash: batch.header_hash,
                done,
            })
            .map_err(|_| SyncError::Local("the executor has stopped".into()))?;
        match answer.await {
            Ok(true) => {
                self.metrics.reverts.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Ok(false) => Err(SyncError::Local(format!(
                "batch {} could not be rolled back: the executor no longer holds it",
                batch.index
            ))),
            Err(_) => Err(SyncError::Local("the executor has stopped".into())),
        }
    }
}

/// Bonds up to `min` from the sequencer's L1 balance, if the bond is short and the balance
/// covers it. Failures are only logged: posting then reports the refusal.
pub async fn ensure_bond(client: &SettlementClient, key: &SigningKey, min: u64) {
    match client.ensure_bond(key, min).await {
        Ok(TopUp::Enough) => {}
        Ok(TopUp::Bonded { bond, .. }) => tracing::info!(bond, "bonded"),
        Ok(TopUp::BalanceShort { bond, balance, .. }) => tracing::warn!(
            bond,
            balance,
            min,
            "the sequencer's bond is below the minimum and its L1 balance cannot cover it: posting is refused until it is bonded"
        ),
        Err(e) => tracing::warn!(error = %e, "bonding failed"),
    }
}
