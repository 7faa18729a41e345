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
//!
//! A backlog (batches sealed while the settlement layer was away or refused them) drains
//! in one round at one request per batch: the L1 nonce is read once per round and counted
//! up locally, and only the first batch of a round that is not live there is checked for
//! a revert (a later one follows a batch this round just posted, so it cannot have been
//! posted and reverted before). Routine posting logs at debug level, summarized at info
//! once a minute and whenever posting resumes or stalls ([`PostingLog`]); refusals,
//! reverts and adoptions stay warnings.

use crate::audit::Gate;
use crate::executor::Command;
use crate::http::{PostingError, ReadDb};
use crate::journal::SettlementUpdate;
use crate::journal::queries::{self, Unsettled};
use crate::metrics::Metrics;
use k256::ecdsa::SigningKey;
use protocol::api::settlement::{
    BatchStatus as L1Status, BatchView, PostBatchCall, PostBatchResponse, SignedCall,
};
use protocol::signing::address_of;
use service_client::{SettlementClient, SettlementError, TopUp};
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, oneshot, watch};

/// Live batches read per settlement-layer listing (its own cap).
const LISTING_PAGE: u64 = 1_000;
/// How often routine posting is summarized at info level.
const SUMMARY_EVERY: Duration = Duration::from_secs(60);

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
        let mut log = PostingLog::new(Instant::now());
        loop {
            if let Some(block) = self.frozen.get() {
                // A freeze is for good: nothing can be posted, so say why and stop trying.
                self.set_error(Some(crate::follower::frozen_message(*block)));
                tracing::warn!(block, "rollup frozen; posting stopped");
                let _ = stop.wait_for(|s| *s).await;
                return;
            }
            let round = self.sync().await;
            if round.as_ref().is_ok_and(|r| r.count > 0) {
                self.metrics.posting_rounds.fetch_add(1, Ordering::Relaxed);
            }
            if let Some(line) = log.note(round.as_ref().ok(), Instant::now()) {
                tracing::info!(
                    posted = line.posted,
                    first = line.first,
                    last = line.last,
                    "{}",
                    line.what
                );
            }
            let wait = match round {
                Ok(_) => {
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

    /// One round: records what the settlement layer says of our unsettled batches and
    /// posts the ones it lacks, in order. Returns what was posted.
    async fn sync(&self) -> Result<Posted, SyncError> {
        let local = self
            .db
            .read(queries::unsettled)
            .await
            .map_err(|e| SyncError::Local(e.message))?;
        let mut round = Posted::default();
        let Some(first) = local.first() else {
            return Ok(round);
        };
        let status = self.request(self.client.status()).await?;
        let last = local.last().map_or(first.index, |b| b.index);
        let live = self
            .live_between(first.index, last.min(status.next_batch_index))
            .await?;
        let mut next_index = status.next_batch_index;
        let mut nonce = None;
        let mut checked_revert = false;
        for batch in &local {
            match live.get(&batch.index) {
                Some(view) if view.header_hash == batch.header_hash => {
                    self.record(batch, view);
                    next_index = next_index.max(batch.index + 1);
                }
                Some(view) => return self.adopt(batch, view).await.map(|()| round),
                None => {
                    // Only the first: every later one follows a batch this round posted.
                    if !checked_revert && self.reverted_there(batch).await? {
                        return self
                            .rollback(batch, "reverted on the settlement layer")
                            .await
                            .map(|()| round);
                    }
                    checked_revert = true;
                    match self.audit.may_post(batch.index) {
                        Ok(()) => {}
                        // The auditor wakes the poster when it passes the batch.
                        Err(Gate::Pending) => return Ok(round),
                        Err(Gate::Stopped(why)) => return Err(SyncError::Local(why)),
                    }
                    if batch.index != next_index {
                        return Err(SyncError::Local(format!(
                            "batch {} waits for the settlement layer to reach it (it expects batch {next_index})",
                            batch.index
                        )));
                    }
                    let data = match &batch.data {
                        Some(data) => data.clone(),
                        None => self.data_of(batch.index).await?,
                    };
                    match self.post(&data, &mut nonce).await {
                        Ok(posted) => {
                            self.posted(batch, &posted);
                            round.add(batch.index);
                            next_index = batch.index + 1;
                        }
                        Err(e) if e.code().is_some_and(|c| RESEQUENCE_ON.contains(&c)) => {
                            return self.rollback(batch, &e.to_string()).await.map(|()| round);
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
            }
        }
        Ok(round)
    }

    /// The settlement layer's live batches with indices `from..=to`, by index (in pages of
    /// its listing cap, so more than a page of unsettled batches is still seen whole).
    async fn live_between(
        &self,
        from: u64,
        to: u64,
    ) -> Result<BTreeMap<u64, BatchView>, SyncError> {
        let mut live = BTreeMap::new();
        let mut next = from;
        while next <= to {
            let page = self
                .request(self.client.batches(next, LISTING_PAGE))
                .await?
                .batches;
            let Some(last) = page.last().map(|b| b.index) else {
                break;
            };
            live.extend(page.into_iter().map(|b| (b.index, b)));
            next = last + 1;
        }
        Ok(live)
    }

    /// Counts one settlement-layer request of the poster's (`/metrics`), then makes it.
    async fn request<T>(
        &self,
        call: impl std::future::Future<Output = Result<T, SettlementError>>,
    ) -> Result<T, SettlementError> {
        self.metrics
            .posting_requests
            .fetch_add(1, Ordering::Relaxed);
        call.await
    }

    /// Records a batch the settlement layer just accepted from us.
    fn posted(&self, batch: &Unsettled, posted: &PostBatchResponse) {
        tracing::debug!(
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

    /// Posts the encoded batch `data`, signed with `nonce` (the round's next L1 nonce, read once and then
    /// counted up here, so a backlog costs one request per batch). A refusal forgets it;
    /// a nonce someone else took is retried through the client's re-reading `call`, and
    /// a short bond (a slash took it), with auto-bonding on, is bonded and retried once.
    async fn post(
        &self,
        data: &[u8],
        nonce: &mut Option<u64>,
    ) -> Result<PostBatchResponse, SettlementError> {
        let call = || PostBatchCall::Data(data.to_vec());
        let next = match *nonce {
            Some(n) => n,
            None => {
                let me = address_of(&self.key);
                self.request(self.client.account(&me)).await?.nonce
            }
        };
        let domain = self.client.domain_separator().await?;
        let signed = SignedCall::sign(&self.key, next, call(), &domain);
        match self.request(self.client.submit(&signed)).await {
            Ok(posted) => {
                *nonce = Some(next + 1);
                Ok(posted)
            }
            Err(e) => {
                *nonce = None;
                if e.code() == Some("bad_nonce") {
                    self.request(self.client.call(&self.key, call())).await
                } else if self.auto_bond && e.code() == Some("insufficient_bond") {
                    let min = self.client.status().await?.params.min_sequencer_bond;
                    ensure_bond(&self.client, &self.key, min).await;
                    self.request(self.client.call(&self.key, call())).await
                } else {
                    Err(e)
                }
            }
        }
    }

    /// The encoded batch `index` from the journal (a batch recorded as posted that the
    /// settlement layer no longer holds live, and did not revert, is posted again).
    async fn data_of(&self, index: u64) -> Result<Vec<u8>, SyncError> {
        let gone = |why: String| SyncError::Local(format!("batch {index}: {why}"));
        self.db
            .read(move |conn| queries::batch(conn, index, true))
            .await
            .map_err(|e| gone(e.message))?
            .and_then(|info| info.data)
            .ok_or_else(|| gone("its data is not in the journal".into()))
    }

    /// Whether our batch was posted and then reverted (the newest submission with its
    /// index is ours and reverted).
    async fn reverted_there(&self, batch: &Unsettled) -> Result<bool, SyncError> {
        let newest = self
            .request(self.client.find_batch(batch.index, false))
            .await?;
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

    /// Journals `update` through the executor, which publishes a view once it is durable:
    /// the feed's sessions wake for it (a withdrawal's `challenge_window` reaches its
    /// subscribers when its batch is posted, not at the next transaction).
    fn write(&self, update: SettlementUpdate) {
        let _ = self.exec.send(Command::Settled(update));
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

/// What one round posted: how many batches, the first and the last index.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Posted {
    count: u64,
    first: Option<u64>,
    last: Option<u64>,
}

impl Posted {
    fn add(&mut self, index: u64) {
        self.count += 1;
        self.first.get_or_insert(index);
        self.last = Some(index);
    }
}

/// An info line about routine posting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LogLine {
    what: &'static str,
    posted: u64,
    first: Option<u64>,
    last: Option<u64>,
}

/// Whether posting is flowing, as the log last said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    NotYet,
    Flowing,
    Stalled,
}

/// Routine posting, summarized for the info log: a batch posted every second is not worth
/// a line each. Says when posting starts and when it resumes after a failed round (each
/// failure is a warning of its own), and otherwise once per [`SUMMARY_EVERY`] how many
/// batches were posted since, and nothing while nothing is posted.
#[derive(Debug)]
struct PostingLog {
    flow: Flow,
    since: Instant,
    pending: Posted,
}

impl PostingLog {
    fn new(now: Instant) -> PostingLog {
        PostingLog {
            flow: Flow::NotYet,
            since: now,
            pending: Posted::default(),
        }
    }

    /// Takes one round's outcome (`None`: it failed); returns the line to log, if any.
    fn note(&mut self, round: Option<&Posted>, now: Instant) -> Option<LogLine> {
        let Some(round) = round else {
            if self.flow == Flow::Flowing {
                self.flow = Flow::Stalled;
            }
            return None;
        };
        if let (Some(first), Some(last)) = (round.first, round.last) {
            let pending = &mut self.pending;
            pending.count += round.count;
            pending.first.get_or_insert(first);
            pending.last = Some(last);
        }
        let what = match self.flow {
            _ if self.pending.count == 0 => return None,
            Flow::NotYet => "posting started",
            Flow::Stalled => "posting resumed",
            Flow::Flowing if now.duration_since(self.since) >= SUMMARY_EVERY => "batches posted",
            Flow::Flowing => return None,
        };
        let line = LogLine {
            what,
            posted: self.pending.count,
            first: self.pending.first,
            last: self.pending.last,
        };
        self.flow = Flow::Flowing;
        self.since = now;
        self.pending = Posted::default();
        Some(line)
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

#[cfg(test)]
mod tests {
    use super::{LogLine, Posted, PostingLog, SUMMARY_EVERY};
    use std::time::{Duration, Instant};

    fn posted(first: u64, count: u64) -> Posted {
        let mut p = Posted::default();
        for i in first..first + count {
            p.add(i);
        }
        p
    }

    /// Rounds (seconds after start, what they posted or `None` for a failure) and the
    /// info line each gives: one a second posting gives one line a minute, not sixty.
    #[test]
    fn routine_posting_is_summarized() {
        let line = |what, posted, first, last| {
            Some(LogLine {
                what,
                posted,
                first: Some(first),
                last: Some(last),
            })
        };
        let minute = SUMMARY_EVERY.as_secs();
        let table: Vec<(u64, Option<Posted>, Option<LogLine>)> = vec![
            (0, Some(Posted::default()), None),
            (1, Some(posted(0, 1)), line("posting started", 1, 0, 0)),
            (2, Some(posted(1, 1)), None),
            (3, Some(Posted::default()), None),
            (30, Some(posted(2, 5)), None),
            (minute, Some(posted(7, 1)), None),
            (
                minute + 1,
                Some(posted(8, 1)),
                line("batches posted", 8, 1, 8),
            ),
            (minute + 2, None, None),
            (minute + 3, None, None),
            (
                minute + 9,
                Some(posted(9, 40)),
                line("posting resumed", 40, 9, 48),
            ),
            (minute + 10, Some(posted(49, 1)), None),
            (
                3 * minute,
                Some(Posted::default()),
                line("batches posted", 1, 49, 49),
            ),
            (5 * minute, Some(Posted::default()), None),
        ];
        let start = Instant::now();
        let mut log = PostingLog::new(start);
        for (at, round, want) in table {
            let now = start + Duration::from_secs(at);
            assert_eq!(log.note(round.as_ref(), now), want, "round at {at} s");
        }
    }
}
