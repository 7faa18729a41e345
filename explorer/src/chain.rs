//! The settlement layer as the explorer shows it. `follow_events` long-polls the event log
//! (one request in flight, the explorer's one L1 subscription) and indexes it into every
//! submission ever posted — reverted ones included, which the settlement layer's batch
//! listing leaves out — and every dispute: the upheld proof, the batches it reverted, the
//! slash, and the submissions that re-sequenced the reverted range. `poll_heads` reads the
//! L1 status and each verifier's status once per interval for the head block, the window
//! countdowns and the verifiers' agreement with the tip, and follows new withdrawals.

use crate::api::AppState;
use crate::hub::message;
use crate::upstream::Service;
use protocol::api::settlement::{Event, EventKind, PostedBatch, UpheldProof};
use protocol::api::verifier::StatusResponse as VerifierStatus;
use protocol::batch::Batch;
use protocol::codec::Decode;
use protocol::primitives::{Address, H256};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use tokio::sync::watch;

/// Events read per long poll, and how long one poll waits for the next event.
const EVENTS_PAGE: u64 = 500;
const EVENTS_WAIT: Duration = Duration::from_secs(2);

/// Where a posted submission stands.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SubmissionStatus {
    Pending,
    Finalized { block: u64 },
    Reverted { block: u64, dispute: usize },
}

/// One posting of a batch, as the event log tells it.
#[derive(Debug, Clone, Serialize)]
pub struct Submission {
    pub submission_id: u64,
    pub index: u64,
    pub header_hash: H256,
    pub poster: Address,
    pub posted_block: u64,
    pub posted_ms: u64,
    pub deadline_block: u64,
    pub prev_state_root: H256,
    pub post_state_root: H256,
    pub timestamp_ms: u64,
    pub tx_count: u32,
    pub chunks: usize,
    pub status: SubmissionStatus,
    /// The dispute whose reverted range this submission re-sequenced.
    pub resequences: Option<usize>,
}

/// The slash of an upheld proof.
#[derive(Debug, Clone, Serialize)]
pub struct Slash {
    pub sequencer: Address,
    pub amount: u64,
    pub challenger_reward: u64,
    pub burned: u64,
}

/// One upheld fraud proof and everything that followed from it.
#[derive(Debug, Clone, Serialize)]
pub struct Dispute {
    pub number: usize,
    pub batch_index: u64,
    pub submission_id: u64,
    pub chunk: u32,
    pub challenger: Address,
    pub claimed_root: H256,
    pub computed_root: H256,
    pub claimed_receipts_root: H256,
    pub computed_receipts_root: H256,
    pub ruling_block: u64,
    pub ruling_ms: u64,
    pub posted_block: Option<u64>,
    pub deadline_block: Option<u64>,
    /// `(index, submission_id)` of every reverted batch, ascending.
    pub reverted: Vec<(u64, u64)>,
    pub slash: Option<Slash>,
    /// `(index, submission_id)` of the first later posting of each reverted index.
    pub resequenced: Vec<(u64, u64)>,
    /// The witness's size in bytes, once read from `GET /v1/challenges/{id}`.
    pub witness_bytes: Option<usize>,
}

/// Every submission and dispute the log has told of, and the accounts that deposited.
#[derive(Debug, Default)]
pub struct ChainIndex {
    pub cursor: u64,
    pub submissions: BTreeMap<u64, Submission>,
    pub disputes: Vec<Dispute>,
    pub accounts: BTreeSet<Address>,
}

impl ChainIndex {
    /// Applies one event.
    pub fn apply(&mut self, event: &Event) {
        self.cursor = self.cursor.max(event.seq);
        if let Some(posted) = event.posted_batch() {
            return self.on_posted(posted, event.timestamp_ms);
        }
        match &event.event {
            EventKind::ChallengeUpheld {
                batch_index,
                submission_id,
                chunk,
                challenger,
                claimed_root,
                computed_root,
                claimed_receipts_root,
                computed_receipts_root,
            } => {
                let posted = self.submissions.get(submission_id);
                self.disputes.push(Dispute {
                    number: self.disputes.len() + 1,
                    batch_index: *batch_index,
                    submission_id: *submission_id,
                    chunk: *chunk,
                    challenger: *challenger,
                    claimed_root: *claimed_root,
                    computed_root: *computed_root,
                    claimed_receipts_root: *claimed_receipts_root,
                    computed_receipts_root: *computed_receipts_root,
                    ruling_block: event.block,
                    ruling_ms: event.timestamp_ms,
                    posted_block: posted.map(|s| s.posted_block),
                    deadline_block: posted.map(|s| s.deadline_block),
                    reverted: Vec::new(),
                    slash: None,
                    resequenced: Vec::new(),
                    witness_bytes: None,
                });
            }
            EventKind::BatchReverted {
                index,
                submission_id,
                ..
            } => {
                let dispute = self.disputes.len();
                if let Some(d) = self.disputes.last_mut() {
                    d.reverted.push((*index, *submission_id));
                }
                if let Some(s) = self.submissions.get_mut(submission_id) {
                    s.status = SubmissionStatus::Reverted {
                        block: event.block,
                        dispute,
                    };
                }
            }
            EventKind::Slashed {
                sequencer,
                amount,
                challenger_reward,
                burned,
                ..
            } => {
                if let Some(d) = self.disputes.last_mut() {
                    d.slash = Some(Slash {
                        sequencer: *sequencer,
                        amount: *amount,
                        challenger_reward: *challenger_reward,
                        burned: *burned,
                    });
                }
            }
            EventKind::Deposited { account, .. } => {
                self.accounts.insert(*account);
            }
            EventKind::BatchFinalized { submission_id, .. } => {
                if let Some(s) = self.submissions.get_mut(submission_id) {
                    s.status = SubmissionStatus::Finalized { block: event.block };
                }
            }
            _ => {}
        }
    }

    /// Indexes a posted batch as a pending submission (a re-sequenced one is linked to the
    /// dispute whose revert it replaces).
    fn on_posted(&mut self, posted: PostedBatch, posted_ms: u64) {
        let PostedBatch {
            submission_id,
            index,
            ..
        } = posted;
        let batch = Batch::decode(&posted.data).ok();
        let resequences = self.disputes.iter_mut().rev().find_map(|d| {
            let reverted = d.reverted.iter().any(|(i, _)| *i == index);
            let already = d.resequenced.iter().any(|(i, _)| *i == index);
            (reverted && !already).then(|| {
                d.resequenced.push((index, submission_id));
                d.number
            })
        });
        let header = batch.as_ref().map(|b| &b.header);
        let submission = Submission {
            submission_id,
            index,
            header_hash: posted.header_hash,
            poster: posted.poster,
            posted_block: posted.posted_block,
            posted_ms,
            deadline_block: posted.deadline_block,
            prev_state_root: header.map_or(H256::default(), |h| h.prev_state_root),
            post_state_root: header.map_or(H256::default(), |h| h.post_state_root),
            timestamp_ms: header.map_or(0, |h| h.timestamp_ms),
            tx_count: header.map_or(0, |h| h.tx_count),
            chunks: batch.as_ref().map_or(0, |b| b.checkpoints.len()),
            status: SubmissionStatus::Pending,
            resequences,
        };
        self.submissions.insert(submission_id, submission);
    }
}

/// An event as the browsers get it: without a posted batch's data (its size instead).
fn event_frame(event: &Event) -> String {
    let mut value = serde_json::to_value(event).unwrap_or(Value::Null);
    if let Some(data) = value.pointer_mut("/event/data") {
        let hex_len = data.as_str().map_or(0, str::len);
        *data = json!(hex_len.saturating_sub(2) / 2);
    }
    message("l1_event", &value)
}

/// Follows the event log until `stopping` turns true.
pub async fn follow_events(state: AppState, mut stopping: watch::Receiver<bool>) {
    let mut pause = Duration::from_millis(200);
    loop {
        let after = state.chain().cursor;
        let read = tokio::select! {
            read = state.l1.events(after, EVENTS_PAGE, EVENTS_WAIT) => read,
            _ = stopping.wait_for(|s| *s) => return,
        };
        match read {
            Ok(page) => {
                state.hub.set_l1(true, None);
                pause = Duration::from_millis(200);
                let upheld = apply_page(&state, &page.events);
                for submission_id in upheld {
                    read_witness_size(&state, submission_id).await;
                }
            }
            Err(e) => {
                state
                    .hub
                    .set_l1(false, Some(format!("settlement layer: {e}")));
                tokio::select! {
                    () = tokio::time::sleep(pause) => {}
                    _ = stopping.wait_for(|s| *s) => return,
                }
                pause = (pause * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// Indexes and publishes a page of events; returns the submissions found fraudulent.
fn apply_page(state: &AppState, events: &[Event]) -> Vec<u64> {
    let mut upheld = Vec::new();
    {
        let mut chain = state.chain();
        for event in events {
            chain.apply(event);
            if let EventKind::ChallengeUpheld { submission_id, .. } = event.event {
                upheld.push(submission_id);
            }
        }
    }
    for event in events {
        state.hub.publish(event_frame(event));
    }
    upheld
}

/// Reads the upheld proof once, for its witness size.
async fn read_witness_size(state: &AppState, submission_id: u64) {
    match state.l1.upheld_proof(submission_id).await {
        Ok(UpheldProof { proof, .. }) => {
            let mut chain = state.chain();
            for d in chain
                .disputes
                .iter_mut()
                .filter(|d| d.submission_id == submission_id)
            {
                d.witness_bytes = Some(proof.witness.len());
            }
        }
        Err(e) => tracing::warn!(submission_id, error = %e, "explorer: reading an upheld proof"),
    }
}

/// Reads the L1 head and every verifier's status, and follows new withdrawals, each `every`
/// until `stopping`.
pub async fn poll_heads(state: AppState, every: Duration, mut stopping: watch::Receiver<bool>) {
    loop {
        let tip = match state.l1.status().await {
            Ok(status) => {
                let head = json!({
                    "block": status.block.number,
                    "timestamp_ms": status.block.timestamp_ms,
                    "tip": status.tip,
                    "finalized_index": status.finalized_index,
                    "pending_batches": status.pending_batches,
                    "challenge_window_blocks": status.params.challenge_window_blocks,
                    "block_time_ms": status.params.block_time_ms,
                    "supply": status.supply,
                });
                state.hub.set_l1_head(head);
                Some((status.tip.index, status.tip.state_root, status.block.number))
            }
            Err(e) => {
                state
                    .hub
                    .set_l1(false, Some(format!("settlement layer: {e}")));
                None
            }
        };
        let verifiers = read_verifiers(&state, tip).await;
        state.hub.set_verifiers(verifiers);
        crate::withdrawals::follow(&state).await;
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            _ = stopping.wait_for(|s| *s) => return,
        }
    }
}

/// Each verifier's status with its agreement with the L1 tip.
async fn read_verifiers(state: &AppState, tip: Option<(Option<u64>, H256, u64)>) -> Value {
    let mut all = Vec::new();
    for (i, url) in state.upstreams.verifiers.iter().enumerate() {
        let read: Result<VerifierStatus, String> = state
            .upstreams
            .get_json(Service::Verifier(i), "/v1/status")
            .await;
        all.push(match read {
            Ok(status) => {
                let agreement = agreement(&status, tip);
                json!({"number": i + 1, "url": url, "up": true, "agreement": agreement, "status": status})
            }
            Err(e) => {
                json!({"number": i + 1, "url": url, "up": false, "agreement": "unreachable", "error": e})
            }
        });
    }
    Value::Array(all)
}

/// Whether a verifier agrees with the L1 tip: `agrees` (it verified the tip's root),
/// `behind`, `disputes` (it found the tip or an ancestor bad and its challenge is open),
/// `disagrees` (same batch, other root) or `halted`.
pub fn agreement(status: &VerifierStatus, tip: Option<(Option<u64>, H256, u64)>) -> &'static str {
    if status.halted.is_some() {
        return "halted";
    }
    if status.challenges.iter().any(|c| !c.outcome.is_final()) {
        return "disputes";
    }
    let Some((tip_index, tip_root, _)) = tip else {
        return "unknown";
    };
    match (status.verified_batch, tip_index) {
        (v, t) if v == t && status.verified_root == tip_root => "agrees",
        (v, t) if v == t => "disagrees",
        (v, Some(t)) if v.is_none_or(|v| v < t) => "behind",
        _ => "ahead",
    }
}
