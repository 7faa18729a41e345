//! Adopting a batch someone else posted. Posting is open to every bonded proposer (after
//! a missed forced-inclusion deadline, anyone may carry the chain on), so the settlement
//! layer's batch n may be another party's while this sequencer holds its own batch n (or an
//! open batch) that was never posted. Instead of halting, the sequencer checks the foreign
//! batch against its own state, rolls back to where it starts, applies it exactly (so it
//! seals to the same bytes, and the journal replays it like any batch), and re-sequences
//! its own acknowledged actions on top, leaving out those the foreign batch already holds.
//!
//! Every batch the STF accepts is adopted: every checkpoint right. A foreign batch may
//! include user transactions the STF rejects (this sequencer never sequences one, but the
//! protocol allows it: a rejection is a receipt); they are applied as they are, recorded as
//! `Kept` so replay reproduces them, and never re-sequenced. A batch with a wrong
//! checkpoint is left for a verifier to prove wrong.

use super::ExecError;
use super::sequencing::{Core, Decision};
use protocol::action::Tx;
use protocol::batch::{Batch, execute_batch, verify_tx};
use protocol::primitives::H256;
use std::collections::BTreeSet;

/// What adopting did: the foreign batch's header hash, and the own actions re-sequenced
/// (kept, dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Adopted {
    pub header_hash: H256,
    pub kept: u64,
    pub dropped: u64,
}

impl Core {
    /// Adopts `batch` (see the module docs). `Ok(Err(reason))` leaves everything as it was.
    pub fn adopt(
        &mut self,
        batch: &Batch,
        now_ms: u64,
        batch_max_txs: usize,
    ) -> Result<Result<Adopted, String>, ExecError> {
        if let Err(reason) = self.check_adoptable(batch)? {
            return Ok(Err(reason));
        }
        let index = batch.header.index;
        let own = match self.rollback(index) {
            Some(txs) => txs,
            None => {
                return Ok(Err(format!(
                    "batch {index} is not where this sequencer can roll back to"
                )));
            }
        };
        // The foreign batch is honest: apply it as it is, with no fault injected into it.
        let fault = self.fault.take();
        self.ensure_open(batch.header.timestamp_ms);
        for tx in &batch.txs {
            let signer = verify_tx(tx, &self.domain, &self.genesis.oracles);
            let applied = self.apply_always(tx.clone(), &signer)?;
            assert!(applied.included.is_some(), "every transaction is included");
        }
        self.seal(Decision::Live)?;
        self.fault = fault;
        let header_hash = batch.header.hash();
        assert_eq!(
            self.tip.header_hash, header_hash,
            "checked: it seals to the same bytes"
        );

        let theirs: BTreeSet<H256> = batch.txs.iter().map(Tx::hash).collect();
        self.include_l1(now_ms, batch_max_txs)?;
        let (mut kept, mut dropped) = (0, 0);
        for tx in own.into_iter().filter(|tx| !theirs.contains(&tx.hash())) {
            if self.resequence_one(tx, now_ms, batch_max_txs)? {
                kept += 1;
            } else {
                dropped += 1;
            }
        }
        tracing::warn!(index, %header_hash, kept, dropped, "adopted a batch posted by another proposer");
        Ok(Ok(Adopted {
            header_hash,
            kept,
            dropped,
        }))
    }

    /// Whether `batch` continues the chain this sequencer holds before its index and the
    /// STF accepts it (every checkpoint right).
    fn check_adoptable(&self, batch: &Batch) -> Result<Result<(), String>, ExecError> {
        let h = &batch.header;
        let Some((pre, prev_hash)) = self.state_before(h.index) else {
            return Ok(Err(format!(
                "batch {} is not after a batch this sequencer holds",
                h.index
            )));
        };
        if h.prev_header_hash != prev_hash || h.prev_state_root != pre.root() {
            return Ok(Err(format!(
                "batch {} does not continue this sequencer's chain",
                h.index
            )));
        }
        if let Err(e) = batch.check_shape(self.genesis.checkpoint_interval_txs) {
            return Ok(Err(format!("batch {} is malformed: {e}", h.index)));
        }
        let mut trial = pre.clone();
        let execution = execute_batch(&mut trial, &self.genesis, batch)?;
        if execution.checkpoints != batch.checkpoints {
            return Ok(Err(format!(
                "batch {} has a wrong checkpoint: a verifier will prove it",
                h.index
            )));
        }
        if execution.receipt_roots != batch.receipt_roots {
            return Ok(Err(format!(
                "batch {} commits a wrong receipt root: a verifier will prove it",
                h.index
            )));
        }
        Ok(Ok(()))
    }
}
