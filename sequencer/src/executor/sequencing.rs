//! `Core`: the sequencer's chain state machine, owned by the executor thread. It holds the
//! state tree and the open batch, applies transactions with `protocol::engine::apply_tx`,
//! closes chunks (checkpoint roots, fault injection), seals batches with `Batch::seal`, and
//! emits a journal `Entry` for every decision.
//!
//! The same code runs live and during replay: live, `Core` makes the decisions (batch
//! timestamps, fault placement); on replay, they come from the log records, and `Core`
//! checks that re-execution reproduces every recorded root and header hash.

use super::{Accepted, ExecError, Outcome, Verified};
use crate::config::FaultPlan;
use crate::journal::record::{Checkpoint, OpenRecord, TxRecord};
use crate::journal::{Entry, SnapshotData, ledger};
use protocol::action::{Action, L1Message, Tx};
use protocol::api::proofs::FinalizedHistory;
use protocol::batch::{Batch, genesis_anchor, genesis_tree, verify_tx};
use protocol::engine::{self, BlockContext, Receipt};
use protocol::genesis::Genesis;
use protocol::primitives::{Address, H256};
use protocol::signing::SignatureError;
use protocol::state::State;
use protocol::tree::Tree;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

/// How far ahead of the wall clock an oracle timestamp may pull a new batch's timestamp.
pub const MAX_ORACLE_LEAD_MS: u64 = 1_000;

/// The chain after the last sealed batch: what the next batch links to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tip {
    pub next_index: u64,
    /// The last sealed batch's header hash (`genesis_anchor` before batch 0).
    pub header_hash: H256,
    /// Its committed post-state root (the next batch's `prev_state_root`).
    pub state_root: H256,
    pub timestamp_ms: u64,
    pub queue_end: u64,
}

/// The batch taking transactions.
#[derive(Debug)]
pub(super) struct OpenBatch {
    pub record: OpenRecord,
    /// Whether the `Open` record was emitted (at its first transaction).
    pub announced: bool,
    pub ctx: BlockContext,
    pub txs: Vec<Tx>,
    /// `txs[i].hash()`, as the intake computed it: sealing reuses them for the tx root
    /// instead of hashing every transaction again on the serial path.
    pub tx_hashes: Vec<H256>,
    pub checkpoints: Vec<H256>,
    /// `receipts_root` of every closed chunk.
    pub receipt_roots: Vec<H256>,
    /// Receipts of the current chunk's transactions (fault injection looks at them);
    /// shared with the journal entries and the answers, never copied.
    pub chunk_receipts: Vec<Arc<Receipt>>,
    /// User transactions in the batch although rejected (from another proposer's batch).
    pub rejected: BTreeSet<H256>,
}

/// A sealed batch the settlement layer has not finalized: kept with the state after it,
/// so that a revert can return to any batch boundary in O(1).
#[derive(Debug)]
pub(super) struct Sealed {
    pub batch: Batch,
    pub tip_after: Tip,
    pub post: Tree,
    pub next_seq_after: u64,
    /// `OpenBatch::rejected`: never given back for re-sequencing.
    pub rejected: BTreeSet<H256>,
}

/// The state before the first retained batch: genesis, a snapshot, or the newest
/// finalized batch.
#[derive(Debug)]
pub(super) struct Base {
    pub tree: Tree,
    pub tip: Tip,
    pub next_seq: u64,
    pub finalized: Option<u64>,
}

/// `Core::held_states` as last built and the chain position it was built at.
pub(super) type HeldCache = (
    (Option<u64>, usize, H256),
    Arc<Vec<protocol::api::proofs::HeldState>>,
);

/// Which outcomes of a user transaction go into the batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inclusion {
    /// Only a successful one: how this sequencer sequences.
    IfAccepted,
    /// Every one, rejected or not: replaying another proposer's batch exactly.
    Always,
}

/// Where a decision comes from: made now, or read back from the log.
#[derive(Debug, Clone, Copy)]
pub enum Decision {
    Live,
    Recorded(Option<Checkpoint>),
}

/// What applying one transaction did.
#[derive(Debug)]
pub struct Applied {
    pub hash: H256,
    /// Shared with the chunk's receipts and the journal entry.
    pub receipt: Arc<Receipt>,
    /// Set when the transaction went into the batch: (seq, batch index, position).
    pub included: Option<(u64, u64, u32)>,
}

#[derive(Debug)]
pub struct Core {
    pub(super) genesis: Arc<Genesis>,
    pub(super) domain: H256,
    pub(super) tree: Tree,
    pub(super) tip: Tip,
    pub(super) open: Option<OpenBatch>,
    pub(super) retained: VecDeque<Sealed>,
    pub(super) base: Base,
    pub(super) next_seq: u64,
    /// The L1 queue index the next L1 transaction must carry.
    pub(super) queue_next: u64,
    /// Known L1 messages not yet final (kept for re-inclusion after a revert).
    pub(super) l1: BTreeMap<u64, L1Message>,
    pub(super) fault: Option<FaultPlan>,
    pub(super) fault_spent: bool,
    /// The batch of the newest snapshot (taken or loaded).
    pub(super) last_snapshot: Option<u64>,
    /// Finalized states kept for `/v1/proofs/…?batch=N` after newer batches finalized.
    pub history: FinalizedHistory,
    /// `held_states` as last built, keyed by (finalized base, retained count, tip hash).
    pub(super) held_cache: Option<HeldCache>,
    pub(super) out: Vec<Entry>,
}

impl Core {
    /// A core at genesis, or at a snapshot (the state after a finalized batch).
    pub fn new(genesis: Arc<Genesis>, snapshot: Option<SnapshotData>) -> Core {
        let base = match snapshot {
            None => {
                let tree = genesis_tree(&genesis);
                let tip = Tip {
                    next_index: 0,
                    header_hash: genesis_anchor(&genesis),
                    state_root: tree.root(),
                    timestamp_ms: 0,
                    queue_end: 0,
                };
                Base {
                    tree,
                    tip,
                    next_seq: 0,
                    finalized: None,
                }
            }
            Some(s) => Base {
                tip: Tip {
                    next_index: s.batch_index + 1,
                    header_hash: s.header_hash,
                    state_root: s.reported_root,
                    timestamp_ms: s.timestamp_ms,
                    queue_end: s.queue_end,
                },
                tree: s.tree,
                next_seq: s.next_seq,
                finalized: Some(s.batch_index),
            },
        };
        let last_snapshot = base.finalized;
        Core {
            domain: protocol::batch::domain_separator(&genesis),
            genesis,
            tree: base.tree.clone(),
            tip: base.tip.clone(),
            open: None,
            retained: VecDeque::new(),
            next_seq: base.next_seq,
            queue_next: base.tip.queue_end,
            base,
            l1: BTreeMap::new(),
            fault: None,
            fault_spent: false,
            last_snapshot,
            history: FinalizedHistory::default(),
            held_cache: None,
            out: Vec::new(),
        }
    }

    pub fn set_fault(&mut self, plan: Option<FaultPlan>, spent: bool) {
        self.fault = plan;
        self.fault_spent = spent;
    }

    /// The entries emitted since the last call, in order.
    pub fn take_entries(&mut self) -> Vec<Entry> {
        std::mem::take(&mut self.out)
    }

    /// The signer the STF sees for a transaction that was accepted before (replay,
    /// re-sequencing): its signature was verified then. Forced L1 actions, which are
    /// included even when invalid, are verified again, and so are price updates, whose
    /// signer (which oracle slot) only the signature tells.
    pub fn trusted_signer(&self, tx: &Tx) -> Result<Address, SignatureError> {
        match tx {
            Tx::User { action } => match action.action.claimed_signer() {
                Some(signer) => Ok(signer),
                None => verify_tx(tx, &self.domain, &self.genesis.oracles),
            },
            Tx::L1 { .. } => verify_tx(tx, &self.domain, &self.genesis.oracles),
        }
    }

    /// Opens a batch at `timestamp_ms` (never before the previous batch's) unless one is
    /// open. Its `Open` record is emitted with its first transaction.
    pub fn ensure_open(&mut self, timestamp_ms: u64) {
        if self.open.is_some() {
            return;
        }
        let timestamp_ms = timestamp_ms.max(self.tip.timestamp_ms);
        self.open = Some(OpenBatch {
            record: OpenRecord {
                index: self.tip.next_index,
                timestamp_ms,
                prev_header_hash: self.tip.header_hash,
                prev_state_root: self.tip.state_root,
                queue_start: self.tip.queue_end,
            },
            announced: false,
            ctx: BlockContext { timestamp_ms },
            txs: Vec::new(),
            tx_hashes: Vec::new(),
            checkpoints: Vec::new(),
            receipt_roots: Vec::new(),
            chunk_receipts: Vec::new(),
            rejected: BTreeSet::new(),
        });
    }

    /// Replay: opens the batch exactly as recorded, checking it links to the tip.
    pub(super) fn open_recorded(&mut self, record: OpenRecord) -> Result<(), ExecError> {
        if self.open.is_some() {
            return Err(ExecError::replay("an Open record while a batch is open"));
        }
        self.ensure_open(record.timestamp_ms);
        let open = self.open.as_mut().expect("just opened");
        if open.record != record {
            return Err(ExecError::replay(format!(
                "Open record {record:?} does not continue the chain, expected {:?}",
                open.record
            )));
        }
        open.announced = true;
        Ok(())
    }

    /// Makes sure a batch is open that `tx` can execute in, and returns nothing else. A
    /// `PriceUpdate` signed after the open batch's timestamp would be rejected as "from the
    /// future" inside it, so such an update closes the batch; the next one opens at the
    /// update's time, which may lead the wall clock by up to `MAX_ORACLE_LEAD_MS` (an oracle
    /// whose clock runs slightly ahead is still served).
    pub fn open_for(&mut self, tx: &Tx, now_ms: u64) -> Result<(), ExecError> {
        let mut at = now_ms;
        if let Tx::User { action } = tx
            && let Action::PriceUpdate(update) = &action.action
            && update.timestamp_ms <= now_ms.saturating_add(MAX_ORACLE_LEAD_MS)
        {
            if self
                .open
                .as_ref()
                .is_some_and(|o| update.timestamp_ms > o.ctx.timestamp_ms)
            {
                self.seal(Decision::Live)?;
            }
            at = at.max(update.timestamp_ms);
        }
        self.ensure_open(at);
        Ok(())
    }

    /// Applies `tx` in the open batch. An L1 transaction always goes into the batch (its
    /// queue slot is consumed even if its forced action is rejected); a user transaction
    /// only if it succeeded. A rejected one changed nothing (the engine guarantees it).
    pub fn apply(
        &mut self,
        tx: Tx,
        signer: &Result<Address, SignatureError>,
    ) -> Result<Applied, ExecError> {
        self.apply_verified(Verified::from((tx, signer.clone())))
    }

    /// [`Core::apply`] of an action verified and hashed by the intake.
    fn apply_verified(&mut self, item: Verified) -> Result<Applied, ExecError> {
        let how = (Decision::Live, None, Inclusion::IfAccepted);
        self.apply_with(item.tx, item.hash, &item.signer, how)
    }

    /// Applies `tx` in the open batch whatever its outcome (adopting a foreign batch).
    pub(super) fn apply_always(
        &mut self,
        tx: Tx,
        signer: &Result<Address, SignatureError>,
    ) -> Result<Applied, ExecError> {
        let hash = tx.hash();
        self.apply_with(tx, hash, signer, (Decision::Live, None, Inclusion::Always))
    }

    /// Replay: re-applies a recorded transaction, which must be included again with the
    /// same seq and the same verdict (and, if it completes a chunk, reproduce the recorded
    /// checkpoint). A recorded rejection came from another proposer's batch, whose
    /// signatures this sequencer never checked, so its signer is recovered again.
    pub(super) fn apply_recorded(&mut self, record: TxRecord) -> Result<(), ExecError> {
        let (signer, inclusion) = if record.rejected {
            let signer = verify_tx(&record.tx, &self.domain, &self.genesis.oracles);
            (signer, Inclusion::Always)
        } else {
            (self.trusted_signer(&record.tx), Inclusion::IfAccepted)
        };
        let seq = record.seq;
        let hash = record.tx.hash();
        let how = (Decision::Recorded(record.checkpoint), Some(seq), inclusion);
        let applied = self.apply_with(record.tx, hash, &signer, how)?;
        let rejected_now =
            matches!(inclusion, Inclusion::Always) && !applied.receipt.status.is_ok();
        if rejected_now != record.rejected {
            return Err(ExecError::replay(format!(
                "transaction {} (seq {seq}) was recorded as rejected but succeeds on replay",
                applied.hash
            )));
        }
        match applied.included {
            Some((got, ..)) if got == seq => Ok(()),
            Some((got, ..)) => Err(ExecError::replay(format!(
                "transaction {} replayed as seq {got}, recorded as {seq}",
                applied.hash
            ))),
            None => Err(ExecError::replay(format!(
                "transaction {} (seq {seq}) was accepted but is rejected on replay: {}",
                applied.hash,
                applied.receipt.status.code()
            ))),
        }
    }

    /// Applies `tx` (whose hash is `hash`); `how` is where the decisions come from, the
    /// recorded seq on replay, and which outcomes go into the batch.
    fn apply_with(
        &mut self,
        tx: Tx,
        hash: H256,
        signer: &Result<Address, SignatureError>,
        how: (Decision, Option<u64>, Inclusion),
    ) -> Result<Applied, ExecError> {
        let (decision, replay_seq, inclusion) = how;
        let open = self
            .open
            .as_mut()
            .ok_or_else(|| ExecError::replay("a transaction outside any open batch"))?;
        // The ledger's funding reads the state before the transaction through its undo log
        // (a clone of the tree would make every write copy its path).
        let mark = self.tree.begin();
        let applied = engine::apply_tx(&mut self.tree, &self.genesis, &open.ctx, &tx, signer)
            .and_then(|receipt| {
                let before = self.tree.at(mark);
                ledger::funding_effects(before, &self.tree, &self.genesis, &tx, &receipt)
                    .map(|funding| (receipt, funding))
            });
        let (receipt, funding) = match applied {
            Ok(done) => {
                self.tree.commit(mark);
                done
            }
            Err(e) => {
                self.tree.rollback(mark)?;
                return Err(e.into());
            }
        };
        let receipt = Arc::new(receipt);
        let is_l1 = matches!(tx, Tx::L1 { .. });
        let rejected = !(is_l1 || receipt.status.is_ok());
        if rejected && inclusion == Inclusion::IfAccepted {
            return Ok(Applied {
                hash,
                receipt,
                included: None,
            });
        }
        if is_l1 {
            self.queue_next += 1;
        }
        if !open.announced {
            open.announced = true;
            self.out.push(Entry::Open(open.record.clone()));
        }
        let seq = replay_seq.unwrap_or(self.next_seq);
        self.next_seq = seq + 1;
        let batch_index = open.record.index;
        let position = u32::try_from(open.txs.len()).expect("batches hold at most MAX_BATCH_TXS");
        open.txs.push(tx.clone());
        open.tx_hashes.push(hash);
        open.chunk_receipts.push(Arc::clone(&receipt));
        if rejected {
            open.rejected.insert(hash);
        }
        let k = self.genesis.checkpoint_interval_txs.max(1) as usize;
        let checkpoint = if open.txs.len() % k == 0 {
            Some(self.close_chunk(decision)?)
        } else {
            if let Decision::Recorded(Some(_)) = decision {
                return Err(ExecError::replay(format!(
                    "seq {seq} records a checkpoint but completes no chunk"
                )));
            }
            None
        };
        self.out.push(Entry::Tx {
            record: TxRecord {
                seq,
                tx,
                checkpoint,
                rejected,
            },
            hash,
            batch_index,
            position,
            receipt: Arc::clone(&receipt),
            funding: Box::new(funding),
        });
        Ok(Applied {
            hash,
            receipt,
            included: Some((seq, batch_index, position)),
        })
    }

    /// Sequences one verified job at `now_ms`, as the executor thread does for every
    /// request: the known L1 messages first, then each action in order (opening batches as
    /// needed, sealing full ones at `batch_max_txs`). Returns each action's outcome and how
    /// many were accepted.
    pub fn sequence<I: Into<Verified>>(
        &mut self,
        items: Vec<I>,
        now_ms: u64,
        batch_max_txs: usize,
    ) -> Result<(Vec<Outcome>, u64), ExecError> {
        self.include_l1(now_ms, batch_max_txs)?;
        let mut outcomes = Vec::with_capacity(items.len());
        let mut accepted = 0u64;
        for item in items {
            let item = item.into();
            self.open_for(&item.tx, now_ms)?;
            let applied = self.apply_verified(item)?;
            outcomes.push(match applied.included {
                Some((seq, batch_index, position)) => {
                    accepted += 1;
                    Outcome::Accepted(Accepted {
                        hash: applied.hash,
                        seq,
                        batch_index,
                        position,
                        receipt: applied.receipt,
                    })
                }
                None => Outcome::Rejected {
                    hash: applied.hash,
                    status: applied.receipt.status,
                    detail: applied.receipt.detail.clone(),
                },
            });
            if self.open_len() >= batch_max_txs {
                self.seal(Decision::Live)?;
            }
        }
        Ok((outcomes, accepted))
    }

    /// The open batch's transaction count (0 if none is open).
    pub fn open_len(&self) -> usize {
        self.open.as_ref().map_or(0, |o| o.txs.len())
    }

    /// User transactions of `txs` that succeeded (not in `rejected`), in order: what
    /// re-sequencing replays.
    pub(super) fn user_txs<'a>(
        txs: &'a [Tx],
        rejected: &'a BTreeSet<H256>,
    ) -> impl Iterator<Item = Tx> + 'a {
        txs.iter()
            .filter(|tx| matches!(tx, Tx::User { .. }) && !rejected.contains(&tx.hash()))
            .cloned()
    }
}
