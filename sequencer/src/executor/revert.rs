//! Moving the chain's edges: rolling back to the start of a reverted batch (fraud
//! recovery), advancing the base when the settlement layer finalizes a batch (which also
//! makes a snapshot due), and the L1 queue messages kept for inclusion.

use super::ExecError;
use super::sequencing::{Core, Decision, Tip};
use crate::journal::{Entry, SnapshotData};
use protocol::action::{L1Message, Tx};
use protocol::api::proofs::HeldState;
use protocol::primitives::H256;
use std::sync::Arc;

impl Core {
    /// Returns to the state at the start of batch `from_index` (which must be sealed and
    /// not final) and gives back the user transactions of every batch from it on, and of
    /// the open batch, in their original order, for re-sequencing. `None` if `from_index`
    /// is not a retained batch (already handled, or never ours). `from_index` may also be
    /// the next index to seal: then only the open batch is given back.
    pub fn rollback(&mut self, from_index: u64) -> Option<Vec<Tx>> {
        let at = match self
            .retained
            .iter()
            .position(|s| s.batch.header.index == from_index)
        {
            Some(at) => at,
            None if from_index == self.tip.next_index => self.retained.len(),
            None => return None,
        };
        let mut user_txs = Vec::new();
        for sealed in self.retained.drain(at..) {
            user_txs.extend(Core::user_txs(&sealed.batch.txs, &sealed.rejected));
        }
        if let Some(open) = self.open.take() {
            user_txs.extend(Core::user_txs(&open.txs, &open.rejected));
        }
        let (tree, tip, next_seq) = match self.retained.back() {
            Some(prev) => (
                prev.post.clone(),
                prev.tip_after.clone(),
                prev.next_seq_after,
            ),
            None => (
                self.base.tree.clone(),
                self.base.tip.clone(),
                self.base.next_seq,
            ),
        };
        debug_assert!(next_seq <= self.next_seq, "seqs never go back");
        self.tree = tree;
        self.queue_next = tip.queue_end;
        self.tip = tip;
        self.out.push(Entry::Revert { from_index });
        Some(user_txs)
    }

    /// The settlement layer reverted batch `from_index` (with `header_hash`) and every
    /// later one: if that is a retained batch of ours, rolls back to its start and
    /// re-sequences the known L1 messages and the reverted user transactions at `now_ms`
    /// (each one that now fails is recorded as `Dropped`). Returns (kept, dropped), or
    /// `None` if the batch was not ours to revert (already handled, or never ours).
    pub fn resequence(
        &mut self,
        from_index: u64,
        header_hash: H256,
        now_ms: u64,
        batch_max_txs: usize,
    ) -> Result<Option<(u64, u64)>, ExecError> {
        let ours = self
            .retained
            .iter()
            .any(|s| s.batch.header.index == from_index && s.tip_after.header_hash == header_hash);
        let Some(user_txs) = ours.then(|| self.rollback(from_index)).flatten() else {
            return Ok(None);
        };
        tracing::warn!(
            from_index,
            resequencing = user_txs.len(),
            "batches reverted on the settlement layer; re-sequencing their actions"
        );
        self.include_l1(now_ms, batch_max_txs)?;
        let (mut kept, mut dropped) = (0u64, 0u64);
        for tx in user_txs {
            if self.resequence_one(tx, now_ms, batch_max_txs)? {
                kept += 1;
            } else {
                dropped += 1;
            }
        }
        tracing::info!(from_index, kept, dropped, "re-sequenced after the revert");
        Ok(Some((kept, dropped)))
    }

    /// Re-sequences one earlier-accepted user transaction at `now_ms`: `true` if it is
    /// included again, `false` if it now fails (recorded as `Dropped`).
    pub(super) fn resequence_one(
        &mut self,
        tx: Tx,
        now_ms: u64,
        batch_max_txs: usize,
    ) -> Result<bool, ExecError> {
        self.open_for(&tx, now_ms)?;
        let signer = self.trusted_signer(&tx);
        let applied = self.apply(tx, &signer)?;
        let kept = applied.included.is_some();
        if !kept {
            self.out.push(Entry::Dropped {
                hash: applied.hash,
                receipt: applied.receipt,
            });
        }
        if self.open_len() >= batch_max_txs {
            self.seal(Decision::Live)?;
        }
        Ok(kept)
    }

    /// The state batch `index` starts from and the header hash it must link to, if this
    /// sequencer holds it (the base, or a retained batch's post-state).
    pub(super) fn state_before(&self, index: u64) -> Option<(&protocol::tree::Tree, H256)> {
        if index == self.base.tip.next_index {
            return Some((&self.base.tree, self.base.tip.header_hash));
        }
        self.retained
            .iter()
            .find(|s| s.tip_after.next_index == index)
            .map(|s| (&s.post, s.tip_after.header_hash))
    }

    /// Replay of a `Revert` record.
    pub(super) fn rollback_recorded(&mut self, from_index: u64) -> Result<(), ExecError> {
        match self.rollback(from_index) {
            Some(_) => Ok(()),
            None => Err(ExecError::replay(format!(
                "a Revert of batch {from_index}, which is not a sealed, unfinalized batch"
            ))),
        }
    }

    /// The settlement layer finalized batch `index` (with `header_hash`): it can never be
    /// reverted, so the states before it are dropped. Returns the snapshot to write if one
    /// is due (`every` batches after the previous snapshot).
    pub fn finalize(&mut self, index: u64, header_hash: H256, every: u64) -> Option<SnapshotData> {
        let known = self
            .retained
            .iter()
            .any(|s| s.batch.header.index == index && s.tip_after.header_hash == header_hash);
        if !known {
            return None;
        }
        while let Some(front) = self.retained.front() {
            if front.batch.header.index > index {
                break;
            }
            let sealed = self.retained.pop_front().expect("front exists");
            self.history.retire(HeldState {
                batch_index: self.base.finalized,
                tree: self.base.tree.clone(),
            });
            self.base.tree = sealed.post;
            self.base.tip = sealed.tip_after;
            self.base.next_seq = sealed.next_seq_after;
            self.base.finalized = Some(sealed.batch.header.index);
        }
        let final_queue = self.base.tip.queue_end;
        self.l1.retain(|i, _| *i >= final_queue);
        let due = self
            .last_snapshot
            .is_none_or(|last| index >= last.saturating_add(every));
        if due {
            self.last_snapshot = Some(index);
        }
        due.then(|| SnapshotData {
            batch_index: index,
            header_hash,
            reported_root: self.base.tip.state_root,
            timestamp_ms: self.base.tip.timestamp_ms,
            queue_end: self.base.tip.queue_end,
            next_seq: self.base.next_seq,
            tree: self.base.tree.clone(),
        })
    }

    /// Remembers L1 queue messages (duplicates and final ones are ignored).
    pub fn add_l1(&mut self, messages: impl IntoIterator<Item = (u64, L1Message)>) {
        let final_queue = self.base.tip.queue_end;
        for (index, message) in messages {
            if index >= final_queue {
                self.l1.entry(index).or_insert(message);
            }
        }
    }

    /// Includes every known L1 message from the next queue index on, in order, opening a
    /// batch at `now_ms` if needed and sealing full ones.
    pub fn include_l1(&mut self, now_ms: u64, batch_max_txs: usize) -> Result<(), ExecError> {
        while let Some(message) = self.l1.get(&self.queue_next).cloned() {
            self.ensure_open(now_ms);
            let tx = Tx::L1 {
                queue_index: self.queue_next,
                message,
            };
            let signer = self.trusted_signer(&tx);
            let applied = self.apply(tx, &signer)?;
            debug_assert!(
                applied.included.is_some(),
                "L1 transactions are always included"
            );
            if self.open_len() >= batch_max_txs {
                self.seal(Decision::Live)?;
            }
        }
        Ok(())
    }

    /// Whether the open batch includes an L1 queue message (each has a deadline).
    pub fn open_holds_l1(&self) -> bool {
        self.open
            .as_ref()
            .is_some_and(|o| self.queue_next > o.record.queue_start)
    }

    pub fn tip(&self) -> &Tip {
        &self.tip
    }

    pub fn queue_next(&self) -> u64 {
        self.queue_next
    }

    /// The finalized states kept in history, the state after the newest finalized batch
    /// (or genesis) and after each retained batch, ascending (O(1) tree clones each). Built
    /// again only when the chain moved (a seal, finalization, revert or adoption changes
    /// the tip or the base), not for every view: a long challenge window retains many.
    pub fn held_states(&mut self) -> Arc<Vec<HeldState>> {
        let key = (
            self.base.finalized,
            self.retained.len(),
            self.tip.header_hash,
        );
        if let Some((cached, held)) = &self.held_cache
            && *cached == key
        {
            return held.clone();
        }
        let held = Arc::new(self.collect_held_states());
        self.held_cache = Some((key, held.clone()));
        held
    }

    fn collect_held_states(&self) -> Vec<HeldState> {
        let base = HeldState {
            batch_index: self.base.finalized,
            tree: self.base.tree.clone(),
        };
        let sealed = self.retained.iter().map(|s| HeldState {
            batch_index: Some(s.batch.header.index),
            tree: s.post.clone(),
        });
        let kept = self.history.states().cloned();
        kept.chain(std::iter::once(base)).chain(sealed).collect()
    }

    /// The first L1 queue index not yet final (messages from here on are kept).
    pub fn final_queue_end(&self) -> u64 {
        self.base.tip.queue_end
    }
}
