//! The functional core: a pure, synchronous `Follower` that consumes the settlement layer's
//! events one by one and keeps the replica, with no I/O, no clock and no logging, so that
//! the shell (HTTP, SQLite) and the deterministic simulation drive the very same code.
//!
//! The replica is the state tree at the anchor (the last finalized batch, or genesis) plus,
//! for every live batch after it, its verdict and the tree after it (O(1) clones of shared
//! nodes). A revert drops batches from the end, so the tip falls back to the last valid
//! root without re-execution; a finalization moves the anchor forward.
//!
//! Outputs are data: findings (what to report), journal entries (what to persist, see
//! `snapshot`) and challenge actions (`due_challenges`), whose answers come back through
//! `record_answer`.
//!
//! Map: `chain` (one posted batch checked against its parent) → `reexec` (re-execution,
//! signatures in parallel) ; `events` (applying each kind of event) ; `challenge`
//! (challenge records and answers) ; `finding` ; `snapshot` (durable form and journal).

mod audit;
pub mod chain;
pub mod challenge;
mod events;
pub mod finding;
pub mod reexec;
pub mod snapshot;

pub use chain::{Anchor, Followed, PostedBatch, Verdict};
pub use challenge::{ChallengeAction, Submission};
pub use finding::{Finding, Severity};
pub use snapshot::{LeafChange, Snapshot, StoreOp};

use protocol::action::L1Message;
use protocol::api::audit::{AuditStatus, Solvency};
use protocol::api::proofs::{FinalizedHistory, HeldState};
use protocol::api::settlement::Event;
use protocol::api::verifier::{ChallengeView, Mode, Totals};
use protocol::genesis::Genesis;
use protocol::primitives::{Address, H256};
use protocol::tree::Tree;
use reexec::Recovery;
use std::collections::BTreeMap;

/// What the core produced since the last `take_outputs`.
#[derive(Debug, Default)]
pub struct Outputs {
    /// `(event seq, finding)`, in order.
    pub findings: Vec<(u64, Finding)>,
    /// What to persist, in order; apply all of it atomically.
    pub journal: Vec<StoreOp>,
    /// Transactions re-executed (for the re-execution rate).
    pub actions_executed: u64,
}

/// Events must be applied in order without gaps.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event {got} out of order: the next event to apply is {expected}")]
pub struct OutOfOrder {
    pub expected: u64,
    pub got: u64,
}

/// Why a persisted snapshot cannot be resumed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RestoreError {
    #[error("the snapshot is for genesis {stored}, but this verifier runs genesis {configured}")]
    GenesisMismatch { stored: H256, configured: H256 },
    #[error("the snapshot's anchor leaves hash to {computed}, not the recorded root {recorded}")]
    AnchorRoot { computed: H256, recorded: H256 },
    #[error("re-checking stored batch {index}: {reason}")]
    Batch { index: u64, reason: String },
}

/// The replica and everything it has concluded.
#[derive(Debug)]
pub struct Follower {
    genesis: Genesis,
    mode: Mode,
    me: Option<Address>,
    cursor: u64,
    last_block: u64,
    totals: Totals,
    anchor: Anchor,
    anchor_tree: Tree,
    /// Live batches after the anchor, ascending by index, without gaps.
    pending: Vec<Followed>,
    queue: BTreeMap<u64, L1Message>,
    challenges: BTreeMap<u64, ChallengeView>,
    halted: Option<String>,
    /// Threads and backend for signature recovery.
    recovery: Recovery,
    /// Finalized states kept for `/v1/proofs/…?batch=N` after newer batches finalized.
    history: FinalizedHistory,
    /// The invariant audit of the honest batches' post-states (recomputed on restore).
    audit: AuditStatus,
    /// The solvency figures after the newest audited honest batch.
    solvency: Option<Solvency>,
    out: Outputs,
}

impl Follower {
    /// Resumes from `snapshot` (use `Snapshot::at_genesis` for a new verifier): rebuilds the
    /// anchor tree from its leaves, then re-checks every live batch to rebuild the tree at
    /// each boundary and every fraud proof. Emits nothing.
    pub fn restore(
        genesis: Genesis,
        mode: Mode,
        me: Option<Address>,
        snapshot: Snapshot,
    ) -> Result<Follower, RestoreError> {
        if snapshot.genesis_hash != genesis.hash() {
            return Err(RestoreError::GenesisMismatch {
                stored: snapshot.genesis_hash,
                configured: genesis.hash(),
            });
        }
        let anchor_tree: Tree = snapshot.leaves.into_iter().collect();
        if anchor_tree.root() != snapshot.anchor.state_root {
            return Err(RestoreError::AnchorRoot {
                computed: anchor_tree.root(),
                recorded: snapshot.anchor.state_root,
            });
        }
        let mut follower = Follower {
            genesis,
            mode,
            me,
            cursor: snapshot.cursor,
            last_block: snapshot.last_block,
            totals: snapshot.totals,
            anchor: snapshot.anchor,
            anchor_tree,
            pending: Vec::new(),
            queue: snapshot.queue,
            challenges: snapshot.challenges,
            halted: snapshot.halted,
            recovery: Recovery::default(),
            history: FinalizedHistory::default(),
            audit: AuditStatus::default(),
            solvency: None,
            out: Outputs::default(),
        };
        let mut batches: Vec<PostedBatch> = snapshot.batches.into_values().collect();
        batches.sort_by_key(|b| b.index);
        for posted in batches {
            let index = posted.index;
            let followed = chain::follow_batch(
                &follower.genesis,
                &follower.parent(),
                &follower.queue,
                posted,
                follower.recovery,
            )
            .map_err(|reason| RestoreError::Batch { index, reason })?;
            if let chain::Verdict::Honest { post } = &followed.verdict {
                follower.audit(index, post);
            }
            follower.pending.push(followed);
        }
        Ok(follower)
    }

    /// Recovers signatures on up to `workers` threads from now on (the verdicts do not
    /// depend on it).
    pub fn set_signature_workers(&mut self, workers: usize) {
        self.recovery.workers = workers.max(1);
    }

    /// Recovers signatures with `recover` from now on (`libsecp_recovery::Backend::recover_fn`;
    /// the verdicts do not depend on it: the backends agree on every input).
    pub fn set_signature_backend(&mut self, recover: protocol::signing::RecoverFn) {
        self.recovery.recover = recover;
    }

    /// The full durable form (what the journal, applied to the restored snapshot, equals).
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            genesis_hash: self.genesis.hash(),
            cursor: self.cursor,
            last_block: self.last_block,
            totals: self.totals,
            anchor: self.anchor.clone(),
            leaves: snapshot::leaves_of(&self.anchor_tree),
            batches: self
                .pending
                .iter()
                .map(|f| (f.posted.submission_id, f.posted.clone()))
                .collect(),
            queue: self.queue.clone(),
            challenges: self.challenges.clone(),
            halted: self.halted.clone(),
        }
    }

    /// Applies the next event of the log (`seq` = cursor + 1).
    pub fn apply(&mut self, event: &Event) -> Result<(), OutOfOrder> {
        let expected = self.cursor + 1;
        if event.seq != expected {
            return Err(OutOfOrder {
                expected,
                got: event.seq,
            });
        }
        self.cursor = event.seq;
        self.last_block = event.block;
        self.totals.events_applied += 1;
        if self.halted.is_none()
            && let Err(reason) = self.on_event(event)
        {
            self.halt(reason);
        }
        self.out.journal.push(StoreOp::Progress {
            cursor: self.cursor,
            last_block: self.last_block,
            totals: self.totals,
        });
        Ok(())
    }

    /// Drains what was produced since the last call.
    pub fn take_outputs(&mut self) -> Outputs {
        std::mem::take(&mut self.out)
    }

    /// The proofs to submit now: challenge mode, a live bad batch, no final outcome yet.
    pub fn due_challenges(&self) -> Vec<ChallengeAction> {
        if self.mode != Mode::Challenge {
            return Vec::new();
        }
        self.pending
            .iter()
            .filter_map(|f| match &f.verdict {
                Verdict::Bad { proof, .. } => Some((f, proof)),
                _ => None,
            })
            .filter(|(f, _)| {
                self.challenges
                    .get(&f.posted.submission_id)
                    .is_some_and(|c| !c.outcome.is_final())
            })
            .map(|(f, proof)| ChallengeAction {
                submission_id: f.posted.submission_id,
                batch_index: f.posted.index,
                header_hash: f.posted.header_hash,
                posted_block: f.posted.posted_block,
                deadline_block: f.posted.deadline_block,
                proof: proof.clone(),
            })
            .collect()
    }

    /// Records the settlement layer's answer to our submission for `submission_id`, made
    /// while the L1 head was `head_block` (if known).
    pub fn record_answer(
        &mut self,
        submission_id: u64,
        head_block: Option<u64>,
        answer: Submission,
    ) {
        let Some(view) = self.challenges.get_mut(&submission_id) else {
            return;
        };
        challenge::on_answer(view, head_block, answer);
        let view = view.clone();
        self.out.findings.push((
            self.cursor,
            Finding::ChallengeAnswered {
                index: view.batch_index,
                submission_id,
                attempts: view.attempts,
                outcome: view.outcome.clone(),
            },
        ));
        self.out.journal.push(StoreOp::Challenge(view));
    }

    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }
    pub fn mode(&self) -> Mode {
        self.mode
    }
    pub fn challenger(&self) -> Option<Address> {
        self.me
    }
    pub fn cursor(&self) -> u64 {
        self.cursor
    }
    /// The L1 block of the last event applied.
    pub fn last_block(&self) -> u64 {
        self.last_block
    }
    pub fn totals(&self) -> Totals {
        self.totals
    }
    pub fn halted(&self) -> Option<&str> {
        self.halted.as_deref()
    }
    /// The invariant audit: the newest honest batch that passed, and the first violation.
    pub fn audited(&self) -> &AuditStatus {
        &self.audit
    }
    /// The solvency figures after the newest audited honest batch.
    pub fn solvency(&self) -> Option<&Solvency> {
        self.solvency.as_ref()
    }
    pub fn anchor(&self) -> &Anchor {
        &self.anchor
    }
    /// The state after the anchor (the last finalized batch, or genesis).
    pub fn anchor_tree(&self) -> &Tree {
        &self.anchor_tree
    }
    /// Finalized states kept before the anchor, oldest first.
    pub fn history(&self) -> impl Iterator<Item = &HeldState> {
        self.history.states()
    }
    /// Keeps up to `limit` finalized states before the anchor from now on.
    pub fn set_proof_history(&mut self, limit: usize) {
        self.history = FinalizedHistory::new(limit);
    }
    /// Live batches after the anchor, ascending.
    pub fn pending(&self) -> &[Followed] {
        &self.pending
    }
    /// Challenge records, oldest bad batch first.
    pub fn challenges(&self) -> impl Iterator<Item = &ChallengeView> {
        self.challenges.values()
    }

    /// The newest batch followed, whatever its verdict.
    pub fn synced_batch(&self) -> Option<u64> {
        self.pending
            .last()
            .map(|f| f.header.index)
            .or(self.anchor.index)
    }

    /// The newest batch known honest and the state after it: the last honest batch before
    /// any bad one, else the anchor.
    pub fn verified(&self) -> (Option<u64>, &Tree) {
        let mut best = (self.anchor.index, &self.anchor_tree);
        for f in &self.pending {
            match &f.verdict {
                Verdict::Honest { post } => best = (Some(f.header.index), post),
                _ => break,
            }
        }
        best
    }

    /// The `seq` after `verified()`: every transaction below it applied (the book's and
    /// the accounts' `seq` on the feed).
    pub fn verified_next_seq(&self) -> u64 {
        let mut next = self.anchor.next_seq;
        for f in &self.pending {
            match &f.verdict {
                Verdict::Honest { .. } => next += u64::from(f.header.tx_count),
                _ => break,
            }
        }
        next
    }

    /// The batch time of `verified()` (ms): its header's timestamp, the anchor's when no
    /// batch after it is verified. Views of the verified state are taken at it, as the
    /// STF would see that state, whatever the wall clock says.
    pub fn verified_timestamp_ms(&self) -> u64 {
        let mut at = self.anchor.timestamp_ms;
        for f in &self.pending {
            match &f.verdict {
                Verdict::Honest { .. } => at = f.header.timestamp_ms,
                _ => break,
            }
        }
        at
    }

    /// The root after `verified()`.
    pub fn verified_root(&self) -> H256 {
        self.verified().1.root()
    }
}
