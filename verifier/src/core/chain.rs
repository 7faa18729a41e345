//! One step of following the chain: a posted batch checked against its parent in the
//! replica. Everything the settlement layer already enforced (shape, links, queue) is checked
//! again, because a verifier trusts no one; a mismatch there is a divergence (the replica
//! cannot go on), not fraud. Then the batch is re-executed chunk by chunk
//! (`fraud::find_first_bad_chunk`) and, at the first wrong checkpoint, the fraud proof is
//! built from the replica's own pre-state (`fraud::build`) and ruled on locally with the
//! settlement layer's own `fraud::adjudicate` before anyone may submit it.

use super::reexec::{Kept, Recovery, TxFill};
use protocol::action::{L1Message, Tx};
use protocol::api::stream::OrderUpdate;
use protocol::batch::{Batch, BatchHeader, chunk_range, genesis_anchor, genesis_tree};
use protocol::codec::Decode;
use protocol::fraud::{self, FraudProof};
use protocol::genesis::Genesis;
use protocol::primitives::{Address, H256};
use protocol::tree::Tree;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The batch the replica stands on: the last finalized batch, or genesis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anchor {
    /// `None` at genesis.
    pub index: Option<u64>,
    pub submission_id: Option<u64>,
    pub header_hash: H256,
    pub state_root: H256,
    /// The first L1 queue index the next batch consumes.
    pub queue_end: u64,
    /// The `seq` of the next batch's first transaction: every transaction of the batches
    /// up to the anchor counted (0 at genesis; 0 in a data dir written before it: the
    /// feed's `seq` then counts from that anchor on).
    #[serde(default)]
    pub next_seq: u64,
    /// The anchor batch's timestamp (ms): the time its state's views are taken at (0 at
    /// genesis, and in a data dir written before it until the next batch finalizes).
    #[serde(default)]
    pub timestamp_ms: u64,
}

impl Anchor {
    pub fn genesis(genesis: &Genesis) -> Anchor {
        Anchor {
            index: None,
            submission_id: None,
            header_hash: genesis_anchor(genesis),
            state_root: genesis_tree(genesis).root(),
            queue_end: 0,
            next_seq: 0,
            timestamp_ms: 0,
        }
    }
}

pub use protocol::api::settlement::PostedBatch;

/// What re-execution says about a followed batch.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// Every checkpoint matches; `post` is the state after the batch.
    Honest { post: Tree },
    /// Chunk `chunk` is the first with a wrong checkpoint or receipt root; `proof`
    /// proves it.
    Bad {
        chunk: u32,
        claimed_root: H256,
        computed_root: H256,
        claimed_receipts_root: H256,
        computed_receipts_root: H256,
        proof: FraudProof,
    },
    /// Built on bad batch `bad_index`: its pre-state is a lie nobody can reproduce, so it
    /// is not checked; it falls when that batch is reverted.
    OnBadParent { bad_index: u64 },
}

impl Verdict {
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Honest { .. } => "honest",
            Verdict::Bad { .. } => "bad",
            Verdict::OnBadParent { .. } => "on_bad_parent",
        }
    }
}

/// A batch the replica follows, with its verdict.
#[derive(Debug, Clone)]
pub struct Followed {
    pub posted: PostedBatch,
    pub header: BatchHeader,
    pub verdict: Verdict,
    /// Transactions re-executed to reach the verdict.
    pub executed: u64,
    /// The fills of its transactions, in order, as this replica's re-execution made them
    /// (empty unless `Honest`); rebuilt on restore, which re-executes every live batch.
    pub fills: Vec<TxFill>,
    /// Its transactions' order events, each with its account, kept the same way.
    pub orders: Vec<(Address, OrderUpdate)>,
}

/// What the replica knows about the parent of the next batch.
#[derive(Debug)]
pub struct Parent<'a> {
    pub index: Option<u64>,
    pub header_hash: H256,
    pub queue_end: u64,
    pub state: ParentState<'a>,
}

#[derive(Debug)]
pub enum ParentState<'a> {
    /// The honest state after the parent.
    Honest(&'a Tree),
    /// The parent is bad or built on bad batch `bad_index`.
    Bad { bad_index: u64 },
}

/// Checks `posted` as the child of `parent`. `Err` is a divergence: the settlement layer
/// accepted something this replica cannot reconcile, so it must stop (the reason says why).
pub fn follow_batch(
    genesis: &Genesis,
    parent: &Parent<'_>,
    queue: &BTreeMap<u64, L1Message>,
    posted: PostedBatch,
    recovery: Recovery,
) -> Result<Followed, String> {
    let batch = Batch::decode(&posted.data).map_err(|e| {
        format!(
            "batch {} (submission {}) does not decode: {e}",
            posted.index, posted.submission_id
        )
    })?;
    let header = batch.header.clone();
    check_links(parent, &posted, &header)?;
    // Hashed once: the shape check's tx root and the feed's fills and orders both need them.
    let tx_hashes = batch.tx_hashes();
    batch
        .check_shape_hashed(genesis.checkpoint_interval_txs, &tx_hashes)
        .map_err(|e| format!("batch {} is malformed: {e}", header.index))?;
    check_queue(queue, &batch)?;
    let (verdict, executed, kept) = match parent.state {
        ParentState::Bad { bad_index } => (Verdict::OnBadParent { bad_index }, 0, Kept::default()),
        ParentState::Honest(pre) => re_execute(genesis, pre, (&batch, &tx_hashes), recovery)?,
    };
    Ok(Followed {
        posted,
        header,
        verdict,
        executed,
        fills: kept.fills,
        orders: kept.orders,
    })
}

/// Index, parent hash, header hash and queue start must continue the replica's chain.
fn check_links(parent: &Parent<'_>, posted: &PostedBatch, h: &BatchHeader) -> Result<(), String> {
    let expected_index = parent.index.map_or(0, |i| i + 1);
    if posted.index != expected_index || h.index != expected_index {
        return Err(format!(
            "batch posted with index {} (header {}) but the replica's next index is {expected_index}",
            posted.index, h.index
        ));
    }
    if h.hash() != posted.header_hash {
        return Err(format!(
            "batch {}: event header hash {} but the data hashes to {}",
            h.index,
            posted.header_hash,
            h.hash()
        ));
    }
    if h.prev_header_hash != parent.header_hash {
        return Err(format!(
            "batch {} links to parent {} but the replica's tip is {}",
            h.index, h.prev_header_hash, parent.header_hash
        ));
    }
    if h.queue_start != parent.queue_end {
        return Err(format!(
            "batch {} starts at queue index {} but the parent ended at {}",
            h.index, h.queue_start, parent.queue_end
        ));
    }
    if let ParentState::Honest(pre) = parent.state
        && pre.root() != h.prev_state_root
    {
        return Err(format!(
            "batch {} builds on root {} but the replica's verified root is {}",
            h.index,
            h.prev_state_root,
            pre.root()
        ));
    }
    Ok(())
}

/// Every L1 transaction must be the queue message the replica saw enqueued.
fn check_queue(queue: &BTreeMap<u64, L1Message>, batch: &Batch) -> Result<(), String> {
    for tx in &batch.txs {
        if let Tx::L1 {
            queue_index,
            message,
        } = tx
            && queue.get(queue_index) != Some(message)
        {
            return Err(format!(
                "batch {} carries queue message {queue_index} that differs from the one enqueued (or was never enqueued)",
                batch.header.index
            ));
        }
    }
    Ok(())
}

/// Re-executes `batch` from `pre` (signatures recovered as `recovery` says); builds the proof at
/// the first wrong checkpoint. The fills are an honest batch's (none for a bad one).
fn re_execute(
    genesis: &Genesis,
    pre: &Tree,
    (batch, tx_hashes): (&Batch, &[H256]),
    recovery: Recovery,
) -> Result<(Verdict, u64, Kept), String> {
    let index = batch.header.index;
    let (post, bad, kept) = super::reexec::find_first_bad_chunk_keeping_fills(
        pre,
        genesis,
        (batch, tx_hashes),
        recovery,
    )
    .map_err(|e| format!("re-executing batch {index} failed on the full replica: {e}"))?;
    let Some(bad) = bad else {
        return Ok((Verdict::Honest { post }, batch.txs.len() as u64, kept));
    };
    let k = genesis.checkpoint_interval_txs;
    let executed = chunk_range(batch.txs.len(), k, bad.chunk as usize).end as u64;
    let proof = fraud::build(genesis, batch, bad.chunk, &bad.pre_state)
        .map_err(|e| format!("building the proof for batch {index}: {e}"))?;
    // Never submit a proof the adjudicator would not uphold: rule on it here first, with
    // the very function the settlement layer runs (one chunk, cheap).
    if let fraud::Verdict::Rejected { reason } = fraud::adjudicate(genesis, batch, &proof) {
        return Err(format!(
            "the proof built for batch {index} chunk {} would be rejected: {reason}",
            bad.chunk
        ));
    }
    Ok((
        Verdict::Bad {
            chunk: bad.chunk,
            claimed_root: bad.claimed_root,
            computed_root: bad.computed_root,
            claimed_receipts_root: bad.claimed_receipts_root,
            computed_receipts_root: bad.computed_receipts_root,
            proof,
        },
        executed,
        Kept::default(),
    ))
}
