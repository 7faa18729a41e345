//! Closing chunks and sealing batches: the checkpoint root after every K transactions
//! (`tree.root()`) and the root of that chunk's receipts, fault injection at a chunk boundary (the way
//! `protocol/tests/it/fraud.rs` `sequence()` builds a faulty batch), and `Batch::seal`.

use super::ExecError;
use super::sequencing::{Core, Decision, Sealed, Tip};
use crate::journal::Entry;
use crate::journal::record::{Checkpoint, SealRecord};
use protocol::batch::{Batch, Draft, chunk_range};
use protocol::codec::Encode;
use protocol::engine::Receipt;
use protocol::fault::{self, Fault};

impl Core {
    /// The fault to try at a chunk of batch `index`, live: the configured one, from its
    /// batch on, until it has been applied once.
    fn fault_due(&self, index: u64) -> Option<Fault> {
        self.fault
            .filter(|plan| !self.fault_spent && index >= plan.from_batch)
            .map(|plan| plan.fault)
    }

    /// Commits the root after the open batch's current chunk, injecting the fault if one is
    /// due (live) or was recorded (replay, which must reproduce the recorded root).
    pub(super) fn close_chunk(&mut self, decision: Decision) -> Result<Checkpoint, ExecError> {
        let open = self
            .open
            .as_mut()
            .expect("a chunk closes inside an open batch");
        let honest = self.tree.root();
        let to_try = match decision {
            Decision::Live => self
                .fault
                .filter(|plan| !self.fault_spent && open.record.index >= plan.from_batch)
                .map(|plan| plan.fault),
            Decision::Recorded(None) => {
                return Err(ExecError::replay(format!(
                    "batch {} completes chunk {} without a recorded checkpoint",
                    open.record.index,
                    open.checkpoints.len()
                )));
            }
            Decision::Recorded(Some(c)) => c.fault,
        };
        let k = self.genesis.checkpoint_interval_txs;
        let chunk = open.checkpoints.len();
        let mut checkpoint = Checkpoint {
            reported_root: honest,
            fault: None,
        };
        let mut reported_receipts = protocol::batch::receipts_root(&open.chunk_receipts);
        if let Some(f) = to_try {
            let txs = &open.txs[chunk_range(open.txs.len(), k, chunk)];
            // Fault injection (demonstrations only) works on owned receipts.
            let receipts: Vec<Receipt> = open
                .chunk_receipts
                .iter()
                .map(|r| Receipt::clone(r))
                .collect();
            let done = fault::corrupt(&mut self.tree, &self.genesis, &open.ctx, f, txs, &receipts)?;
            match done {
                Some(what) => {
                    tracing::warn!(fault = %f, batch = open.record.index, chunk, %what, "fault injected");
                    self.fault_spent = true;
                    let (root, receipts) =
                        fault::reported_roots(f, honest, self.tree.root(), &receipts);
                    checkpoint = Checkpoint {
                        reported_root: root,
                        fault: Some(f),
                    };
                    reported_receipts = receipts;
                }
                None if matches!(decision, Decision::Recorded(_)) => {
                    return Err(ExecError::replay(format!(
                        "the recorded {f} fault of batch {} chunk {chunk} found nothing to corrupt on replay",
                        open.record.index
                    )));
                }
                None => {}
            }
        }
        if let Decision::Recorded(Some(recorded)) = decision
            && recorded.reported_root != checkpoint.reported_root
        {
            return Err(ExecError::replay(format!(
                "batch {} chunk {chunk}: replay gives root {}, the log recorded {}",
                open.record.index, checkpoint.reported_root, recorded.reported_root
            )));
        }
        open.checkpoints.push(checkpoint.reported_root);
        open.receipt_roots.push(reported_receipts);
        open.chunk_receipts.clear();
        Ok(checkpoint)
    }

    /// Seals the open batch: closes a trailing partial chunk, builds the batch with
    /// `Batch::seal`, keeps the state after it for reverts, and moves the tip. An open batch
    /// that received no transaction is simply dropped. Replay passes the recorded seal to
    /// check the header hash.
    pub(super) fn seal_with(
        &mut self,
        decision: Decision,
        recorded: Option<&SealRecord>,
    ) -> Result<(), ExecError> {
        let Some(open) = self.open.as_ref() else {
            return Ok(());
        };
        if open.txs.is_empty() {
            self.open = None;
            return Ok(());
        }
        let k = self.genesis.checkpoint_interval_txs.max(1) as usize;
        let partial = if open.txs.len() % k != 0 {
            Some(self.close_chunk(decision)?)
        } else {
            if let Decision::Recorded(Some(_)) = decision {
                return Err(ExecError::replay(
                    "a Seal record carries a checkpoint but the last chunk is full",
                ));
            }
            None
        };
        let open = self.open.take().expect("checked above");
        let r = &open.record;
        let draft = Draft {
            index: r.index,
            prev_header_hash: r.prev_header_hash,
            timestamp_ms: r.timestamp_ms,
            queue_start: r.queue_start,
        };
        let batch = Batch::seal_hashed(
            draft,
            r.prev_state_root,
            (open.txs, &open.tx_hashes),
            open.checkpoints,
            open.receipt_roots,
        );
        let header_hash = batch.header.hash();
        if let Some(rec) = recorded
            && (rec.index != r.index || rec.header_hash != header_hash)
        {
            return Err(ExecError::replay(format!(
                "batch {} seals with header hash {header_hash}, the log recorded batch {} with {}",
                r.index, rec.index, rec.header_hash
            )));
        }
        debug_assert_eq!(
            batch
                .check_shape(self.genesis.checkpoint_interval_txs)
                .map_err(|e| e.to_string()),
            Ok(())
        );
        let h = &batch.header;
        let tip = Tip {
            next_index: h.index + 1,
            header_hash,
            state_root: h.post_state_root,
            timestamp_ms: h.timestamp_ms,
            queue_end: h.queue_end,
        };
        debug_assert_eq!(tip.queue_end, self.queue_next);
        self.out.push(Entry::Seal {
            record: SealRecord {
                index: h.index,
                header_hash,
                checkpoint: partial,
            },
            header: h.clone(),
            data: batch.encode(),
        });
        self.tip = tip.clone();
        self.retained.push_back(Sealed {
            batch,
            tip_after: tip,
            post: self.tree.clone(),
            next_seq_after: self.next_seq,
            rejected: open.rejected,
        });
        Ok(())
    }

    /// Seals the open batch (live).
    pub fn seal(&mut self, decision: Decision) -> Result<(), ExecError> {
        self.seal_with(decision, None)
    }

    /// Whether a fault is still waiting to be injected.
    pub fn fault_pending(&self) -> bool {
        self.fault_due(u64::MAX).is_some()
    }
}
