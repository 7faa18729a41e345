//! Applying one settlement event to the replica: the queue, a posted batch (checked and
//! re-executed by `chain`), an upheld proof, reverts, a slash, a finalization. Every handler
//! refuses (`Err`, which halts the replica) before it changes anything, so a halted replica
//! stays restorable.

use super::Follower;
use super::chain::{self, Anchor, Parent, ParentState, PostedBatch, Verdict};
use super::challenge;
use super::finding::Finding;
use super::snapshot::{self, StoreOp};
use protocol::action::L1Message;
use protocol::api::proofs::HeldState;
use protocol::api::settlement::{Event, EventKind};
use protocol::api::verifier::{ChallengeOutcome, ChallengeView};
use protocol::primitives::{Address, H256};

impl Follower {
    pub(super) fn parent(&self) -> Parent<'_> {
        match self.pending.last() {
            None => Parent {
                index: self.anchor.index,
                header_hash: self.anchor.header_hash,
                queue_end: self.anchor.queue_end,
                state: ParentState::Honest(&self.anchor_tree),
            },
            Some(f) => Parent {
                index: Some(f.header.index),
                header_hash: f.posted.header_hash,
                queue_end: f.header.queue_end,
                state: match &f.verdict {
                    Verdict::Honest { post } => ParentState::Honest(post),
                    Verdict::Bad { .. } => ParentState::Bad {
                        bad_index: f.header.index,
                    },
                    Verdict::OnBadParent { bad_index } => ParentState::Bad {
                        bad_index: *bad_index,
                    },
                },
            },
        }
    }

    fn find(&self, kind: &str, index: u64, submission_id: u64) -> Result<usize, String> {
        self.pending
            .iter()
            .position(|f| f.posted.submission_id == submission_id)
            .ok_or_else(|| {
                format!(
                    "{kind} names batch {index} (submission {submission_id}), which this replica does not hold as live"
                )
            })
    }

    fn finding(&mut self, finding: Finding) {
        self.out.findings.push((self.cursor, finding));
    }

    fn update_challenge(
        &mut self,
        submission_id: u64,
        change: impl FnOnce(&mut ChallengeView) -> bool,
    ) {
        if let Some(view) = self.challenges.get_mut(&submission_id)
            && change(view)
        {
            self.out.journal.push(StoreOp::Challenge(view.clone()));
        }
    }

    pub(super) fn halt(&mut self, reason: String) {
        self.halted = Some(reason.clone());
        self.out.journal.push(StoreOp::Halted(reason.clone()));
        self.finding(Finding::Halted { reason });
    }

    /// `Err` is a divergence: the caller halts with it.
    pub(super) fn on_event(&mut self, event: &Event) -> Result<(), String> {
        if let Some(posted) = event.posted_batch() {
            return self.on_posted(posted);
        }
        match &event.event {
            EventKind::Deposited {
                queue_index,
                account,
                amount,
                ..
            } => self.enqueue(
                *queue_index,
                L1Message::Deposit {
                    account: *account,
                    amount: *amount,
                },
            ),
            EventKind::ForcedQueued {
                queue_index,
                action,
                ..
            } => self.enqueue(
                *queue_index,
                L1Message::Forced {
                    action: action.clone(),
                },
            ),
            EventKind::ChallengeUpheld {
                batch_index,
                submission_id,
                challenger,
                ..
            } => self.on_upheld(*batch_index, *submission_id, *challenger),
            EventKind::BatchReverted {
                index,
                submission_id,
                ..
            } => self.on_reverted(*index, *submission_id),
            EventKind::Slashed {
                challenger,
                challenger_reward,
                ..
            } => {
                if Some(*challenger) == self.me {
                    let ids: Vec<u64> = self.challenges.keys().copied().collect();
                    for id in ids {
                        self.update_challenge(id, |v| challenge::on_reward(v, *challenger_reward));
                    }
                }
                Ok(())
            }
            EventKind::BatchFinalized {
                index,
                submission_id,
                post_state_root,
                ..
            } => self.on_finalized(*index, *submission_id, *post_state_root),
            EventKind::BatchPosted { .. } // followed above
            | EventKind::Minted { .. }
            | EventKind::Bonded { .. }
            | EventKind::Unbonded { .. }
            | EventKind::WithdrawalClaimed { .. }
            // Exit mode changes no L2 state: the chain simply ends at its last final root.
            | EventKind::RollupFrozen { .. }
            | EventKind::ExitOpened { .. }
            | EventKind::DepositRefunded { .. }
            | EventKind::ExitClaimed { .. }
            | EventKind::ExitPaid { .. } => Ok(()),
        }
    }

    fn enqueue(&mut self, index: u64, message: L1Message) -> Result<(), String> {
        self.out.journal.push(StoreOp::QueueAdded {
            index,
            message: message.clone(),
        });
        self.queue.insert(index, message);
        Ok(())
    }

    fn on_posted(&mut self, posted: PostedBatch) -> Result<(), String> {
        let followed = chain::follow_batch(
            &self.genesis,
            &self.parent(),
            &self.queue,
            posted,
            self.recovery,
        )?;
        let (p, h) = (&followed.posted, &followed.header);
        self.totals.actions_reexecuted += followed.executed;
        self.out.actions_executed += followed.executed;
        let finding = match &followed.verdict {
            Verdict::Honest { post } => {
                self.totals.batches_verified += 1;
                if let Some(alert) = self.audit(h.index, post) {
                    self.finding(alert);
                }
                Some(Finding::BatchVerified {
                    index: h.index,
                    submission_id: p.submission_id,
                    post_state_root: h.post_state_root,
                    txs: h.tx_count,
                })
            }
            Verdict::Bad {
                chunk,
                claimed_root,
                computed_root,
                claimed_receipts_root,
                computed_receipts_root,
                proof,
            } => {
                self.totals.bad_batches += 1;
                let view = ChallengeView {
                    batch_index: h.index,
                    submission_id: p.submission_id,
                    header_hash: p.header_hash,
                    poster: p.poster,
                    chunk: *chunk,
                    claimed_root: *claimed_root,
                    computed_root: *computed_root,
                    claimed_receipts_root: *claimed_receipts_root,
                    computed_receipts_root: *computed_receipts_root,
                    posted_block: p.posted_block,
                    deadline_block: p.deadline_block,
                    proof: Some(proof.clone()),
                    attempts: 0,
                    submitted_block: None,
                    outcome: ChallengeOutcome::Unsubmitted { last_error: None },
                };
                let finding = Finding::bad_batch(&view);
                self.challenges.insert(p.submission_id, view.clone());
                self.out.journal.push(StoreOp::Challenge(view));
                Some(finding)
            }
            Verdict::OnBadParent { .. } => None,
        };
        if let Some(finding) = finding {
            self.finding(finding);
        }
        self.out
            .journal
            .push(StoreOp::BatchAdded(followed.posted.clone()));
        self.pending.push(followed);
        Ok(())
    }

    fn on_upheld(
        &mut self,
        index: u64,
        submission_id: u64,
        challenger: Address,
    ) -> Result<(), String> {
        let at = self.find("challenge_upheld", index, submission_id)?;
        let finding = match self.pending[at].verdict {
            Verdict::Honest { .. } => Finding::HonestBatchChallenged {
                index,
                submission_id,
                challenger,
            },
            _ => Finding::FraudProven {
                index,
                submission_id,
                challenger,
                ours: Some(challenger) == self.me,
            },
        };
        self.finding(finding);
        let me = self.me;
        self.update_challenge(submission_id, |v| challenge::on_upheld(v, challenger, me));
        Ok(())
    }

    /// The named batch and every later one leave the chain (the settlement layer reverts
    /// them all at once, announcing them in ascending order; the later announcements then
    /// find nothing left to drop).
    fn on_reverted(&mut self, index: u64, submission_id: u64) -> Result<(), String> {
        let Some(at) = self
            .pending
            .iter()
            .position(|f| f.posted.submission_id == submission_id)
        else {
            return match self.synced_batch() {
                Some(tip) if index <= tip => Err(format!(
                    "batch_reverted names batch {index} (submission {submission_id}), which this replica does not hold"
                )),
                _ => Ok(()),
            };
        };
        for dropped in self.pending.split_off(at) {
            let id = dropped.posted.submission_id;
            self.update_challenge(id, challenge::on_reverted);
            self.out
                .journal
                .push(StoreOp::BatchDropped { submission_id: id });
            self.finding(Finding::BatchReverted {
                index: dropped.header.index,
                submission_id: id,
                verdict: dropped.verdict.label(),
            });
        }
        Ok(())
    }

    fn on_finalized(&mut self, index: u64, submission_id: u64, root: H256) -> Result<(), String> {
        let at = self.find("batch_finalized", index, submission_id)?;
        if at != 0 {
            return Err(format!(
                "batch {index} finalized before batch {}",
                self.pending[0].header.index
            ));
        }
        // Every refusal comes before any change, so a halted replica stays restorable.
        let Verdict::Honest { post } = self.pending[0].verdict.clone() else {
            self.update_challenge(submission_id, challenge::on_finalized);
            return Err(format!(
                "batch {index} (submission {submission_id}) finalized with a wrong state root: the fraud went unchallenged through its window, and the chain now builds on a root this replica cannot reproduce"
            ));
        };
        if post.root() != root {
            return Err(format!(
                "batch {index} finalized with root {root} but the replica computed {}",
                post.root()
            ));
        }
        let first = self.pending.remove(0);
        let anchor = Anchor {
            index: Some(index),
            submission_id: Some(submission_id),
            header_hash: first.posted.header_hash,
            state_root: root,
            queue_end: first.header.queue_end,
            next_seq: self.anchor.next_seq + u64::from(first.header.tx_count),
            timestamp_ms: first.header.timestamp_ms,
        };
        let changes = snapshot::leaf_changes(&self.anchor_tree, &post);
        self.history.retire(HeldState {
            batch_index: self.anchor.index,
            tree: self.anchor_tree.clone(),
        });
        self.queue = self.queue.split_off(&anchor.queue_end);
        self.anchor = anchor.clone();
        self.anchor_tree = post;
        self.out
            .journal
            .push(StoreOp::Finalized { anchor, changes });
        self.finding(Finding::BatchFinalized {
            index,
            submission_id,
            post_state_root: root,
        });
        Ok(())
    }
}
