//! The story after the proof: the settlement layer's ruling and the slash (checked against
//! L1 balances), the revert and the honest re-sequencing of the same transactions, every
//! node on one root, and the withdrawal that finalizes and is claimed.

use super::{POLL_EVERY, StepError, Story, at, short, who};
use crate::demo::timeline::Timeline;
use crate::devnet::poll::{Poll, poll_until};
use crate::units::format_usdc;
use protocol::api::sequencer::{BatchStatus, TxState, WithdrawalStatus};
use protocol::api::settlement::{self as l1api, ClaimWithdrawalCall, EventKind, MineRequest};
use protocol::api::verifier::ChallengeOutcome;
use protocol::primitives::Address;
use protocol::signing::address_of;
use serde_json::json;

/// A withdrawal ready to claim, as the settlement layer takes it.
pub(super) type Claim = ClaimWithdrawalCall;

impl Story {
    pub(super) async fn challenge_upheld(
        &mut self,
        t: &mut Timeline,
        winner: usize,
    ) -> Result<(), StepError> {
        let fail = at("challenge_upheld");
        let (reverted, slash) = poll_until(
            "the upheld challenge and the slash in the settlement layer's log",
            self.limit,
            POLL_EVERY,
            || async {
                let events = match self.events().await {
                    Ok(e) => e,
                    Err(e) => return Poll::Pending(e),
                };
                let reverted: Vec<u64> = events
                    .iter()
                    .filter_map(|e| match e.event {
                        EventKind::BatchReverted { index, .. } => Some(index),
                        _ => None,
                    })
                    .collect();
                let slash = events.iter().find_map(|e| match &e.event {
                    EventKind::Slashed {
                        sequencer,
                        amount,
                        challenger,
                        challenger_reward,
                        burned,
                    } => Some((
                        *sequencer,
                        *amount,
                        *challenger,
                        *challenger_reward,
                        *burned,
                    )),
                    _ => None,
                });
                match slash {
                    Some(s) => Poll::Ready((reverted, s)),
                    None => Poll::Pending("no slash yet".into()),
                }
            },
        )
        .await
        .map_err(|e| fail(e.to_string()))?;
        let (sequencer, amount, challenger, reward, burned) = slash;
        let status = self.l1.status().await.map_err(|e| fail(e.to_string()))?;
        let expected_reward =
            u128::from(amount) * u128::from(status.params.slash_share_bps) / 10_000;
        let checks = [
            (
                sequencer == address_of(&crate::devnet::keys::sequencer_key()),
                format!("the slashed account {sequencer} is not the sequencer"),
            ),
            (
                challenger == self.verifier_addresses[winner],
                format!(
                    "the reward went to {challenger}, not verifier {}",
                    winner + 1
                ),
            ),
            (
                amount == self.sequencer_bond && amount > 0,
                format!(
                    "slashed {amount}, but the sequencer's bond was {}",
                    self.sequencer_bond
                ),
            ),
            (
                u128::from(reward) == expected_reward && reward + burned == amount,
                format!(
                    "reward {reward} + burned {burned} does not split {amount} at {} bps",
                    status.params.slash_share_bps
                ),
            ),
            (
                reverted.first() == Some(&self.faulty_batch),
                format!(
                    "reverted {reverted:?}, expected batch {} first",
                    self.faulty_batch
                ),
            ),
        ];
        if let Some((_, why)) = checks.iter().find(|(ok, _)| !ok) {
            return Err(fail(why.clone()));
        }
        let balance = self
            .l1
            .account(&challenger)
            .await
            .map_err(|e| fail(e.to_string()))?
            .balance;
        let before = self.verifier_balances[winner];
        if balance != before + reward {
            return Err(fail(format!(
                "verifier {}'s L1 balance went {before} → {balance}, expected + {reward}",
                winner + 1
            )));
        }
        self.record(
            t,
            "challenge_upheld",
            format!(
                "the settlement layer upholds the proof: batches {reverted:?} reverted, the tip falls back to batch {}\nthe sequencer ({}) loses its {} USDC bond: {} USDC to verifier {} (L1 balance {} → {} USDC), {} USDC burned",
                self.faulty_batch.checked_sub(1).map_or("genesis".into(), |b| b.to_string()),
                who(&sequencer),
                format_usdc(amount),
                format_usdc(reward),
                winner + 1,
                format_usdc(before),
                format_usdc(balance),
                format_usdc(burned),
            ),
            json!({"reverted": reverted, "sequencer": sequencer, "slashed": amount, "challenger": challenger, "challenger_reward": reward, "burned": burned, "challenger_balance_before": before, "challenger_balance_after": balance}),
        )
        .await;
        Ok(())
    }

    /// Waits until every trade is included again and posted; returns the newest batch.
    pub(super) async fn resequenced(&mut self, t: &mut Timeline) -> Result<u64, StepError> {
        let fail = at("resequenced");
        let mut lines = Vec::new();
        let mut details = Vec::new();
        let mut newest = 0;
        for (label, accepted) in &self.trades {
            let hash = accepted.hash;
            let (lookup, on_l1) = poll_until(
                &format!(
                    "{label} ({}) to be re-sequenced and posted",
                    short(&hash.to_string())
                ),
                self.limit,
                POLL_EVERY,
                || async {
                    let l = match self.seq.tx(&hash).await {
                        Err(e) => return Poll::Pending(e.to_string()),
                        Ok(l) => l,
                    };
                    if l.state == TxState::Dropped {
                        return Poll::Ready(Err(format!(
                            "{label} was dropped on re-execution: {:?}",
                            l.receipt.status
                        )));
                    }
                    let submission = match l.batch_status {
                        BatchStatus::Posted { submission_id, .. }
                        | BatchStatus::Finalized { submission_id } => submission_id,
                        other => {
                            return Poll::Pending(format!("batch {} {other:?}", l.batch_index));
                        }
                    };
                    // Posted again means: in a live submission on L1, not the reverted one.
                    match self.l1.batch(l.batch_index, false).await {
                        Ok(b)
                            if b.submission_id == submission
                                && !matches!(b.status, l1api::BatchStatus::Reverted { .. }) =>
                        {
                            Poll::Ready(Ok((l, b)))
                        }
                        Ok(b) => Poll::Pending(format!(
                            "batch {} submission {} on L1 is {:?}",
                            l.batch_index, b.submission_id, b.status
                        )),
                        Err(e) => Poll::Pending(e.to_string()),
                    }
                },
            )
            .await
            .map_err(|e| fail(e.to_string()))?
            .map_err(&fail)?;
            newest = newest.max(lookup.batch_index);
            lines.push(format!(
                "{label}: tx {} again in batch {} (seq {} → {})",
                short(&hash.to_string()),
                lookup.batch_index,
                accepted.seq,
                lookup.seq
            ));
            details.push(json!({"action": label, "hash": hash, "batch_index": lookup.batch_index, "seq_before": accepted.seq, "seq_after": lookup.seq, "l1_submission": on_l1.submission_id}));
        }
        self.record(
            t,
            "resequenced",
            format!(
                "the sequencer rolls back to the last valid root and re-sequences the same signed transactions honestly:\n{}",
                lines.join("\n")
            ),
            json!({"txs": details}),
        )
        .await;
        Ok(newest)
    }

    pub(super) async fn roots_agree(
        &mut self,
        t: &mut Timeline,
        batch: u64,
    ) -> Result<(), StepError> {
        let fail = at("roots_agree");
        let (tip, root) = poll_until(
            "the sequencer, the settlement layer and both verifiers to agree on the tip's root",
            self.limit,
            POLL_EVERY,
            || async {
                let l1 = match self.l1.status().await {
                    Ok(s) => s,
                    Err(e) => return Poll::Pending(e.to_string()),
                };
                let Some(tip) = l1.tip.index.filter(|i| *i >= batch) else {
                    return Poll::Pending(format!("L1 tip {:?}", l1.tip.index));
                };
                let root = l1.tip.state_root;
                let seq_root = self
                    .seq
                    .batch(tip, false)
                    .await
                    .ok()
                    .and_then(|b| b.post_state_root);
                if seq_root != Some(root) {
                    return Poll::Pending(format!(
                        "sequencer batch {tip} root {seq_root:?}, L1 {root}"
                    ));
                }
                for (i, v) in self.verifiers.iter().enumerate() {
                    match v.status().await {
                        Ok(s) if s.verified_batch == Some(tip) && s.verified_root == root => {}
                        Ok(s) => {
                            return Poll::Pending(format!(
                                "verifier {} verified {:?} root {}",
                                i + 1,
                                s.verified_batch,
                                s.verified_root
                            ));
                        }
                        Err(e) => return Poll::Pending(e.to_string()),
                    }
                }
                Poll::Ready((tip, root))
            },
        )
        .await
        .map_err(|e| fail(e.to_string()))?;
        self.record(
            t,
            "roots_agree",
            format!(
                "batch {tip} is the tip: the sequencer, the settlement layer and both verifiers hold root {}",
                short(&root.to_string())
            ),
            json!({"tip": tip, "root": root}),
        )
        .await;
        Ok(())
    }

    /// The other verifier's answer, if its proof arrived after the winner's (informative:
    /// it may also have seen the revert before submitting).
    pub(super) async fn second_verifier(&mut self, t: &mut Timeline, winner: usize) {
        let other = 1 - winner.min(1);
        let Ok(status) = self.verifiers[other].status().await else {
            return;
        };
        let late = status
            .challenges
            .iter()
            .find(|c| c.batch_index == self.faulty_batch);
        if let Some(c) = late
            && let ChallengeOutcome::AlreadyReverted { by } = &c.outcome
        {
            let by = by
                .map(|a| who(&a))
                .unwrap_or_else(|| "another verifier".into());
            self.record(
                t,
                "second_verifier",
                format!(
                    "verifier {} found the same fraud; its proof arrived second and was told the batch was already reverted (by {by})",
                    other + 1
                ),
                serde_json::to_value(c).unwrap_or_default(),
            )
            .await;
        }
    }

    pub(super) async fn withdrawal_final(&mut self, t: &mut Timeline) -> Result<Claim, StepError> {
        let fail = at("withdrawal_final");
        let id = self.withdrawal_id;
        let view = self
            .seq
            .withdrawal(id)
            .await
            .map_err(|e| fail(e.to_string()))?;
        let on_l1 = self
            .l1
            .batch(view.batch_index, false)
            .await
            .map_err(|e| fail(e.to_string()))?;
        let head = self.head().await;
        let mut mined = 0;
        if let l1api::BatchStatus::Pending { deadline_block } = on_l1.status {
            mined = (deadline_block + 1).saturating_sub(head);
            if mined > 0 {
                self.l1
                    .mine(&MineRequest {
                        blocks: mined,
                        timestamp_ms: None,
                    })
                    .await
                    .map_err(|e| fail(e.to_string()))?;
            }
        }
        let (proof_batch, proof) = poll_until(
            "the withdrawal to become claimable",
            self.limit,
            POLL_EVERY,
            || async {
                match self.seq.withdrawal(id).await {
                    Ok(w) => match w.status {
                        WithdrawalStatus::Claimable {
                            proof_batch_index,
                            proof,
                        } => Poll::Ready((proof_batch_index, proof)),
                        other => Poll::Pending(format!("{other:?}")),
                    },
                    Err(e) => Poll::Pending(e.to_string()),
                }
            },
        )
        .await
        .map_err(|e| fail(e.to_string()))?;
        self.record(
            t,
            "withdrawal_final",
            format!(
                "fast-forward L1 {mined} blocks past the challenge window: batch {} finalizes; alice's withdrawal {id} of {} USDC is claimable (proof {} bytes against batch {proof_batch}'s root)",
                view.batch_index,
                format_usdc(view.amount),
                proof.len()
            ),
            json!({"withdrawal_id": id, "batch_index": view.batch_index, "proof_batch_index": proof_batch, "mined_blocks": mined}),
        )
        .await;
        Ok(ClaimWithdrawalCall {
            batch_index: proof_batch,
            withdrawal_id: id,
            account: view.account,
            amount: view.amount,
            proof,
        })
    }

    pub(super) async fn withdrawal_claimed(
        &mut self,
        t: &mut Timeline,
        claim: Claim,
    ) -> Result<(), StepError> {
        let fail = at("withdrawal_claimed");
        let account: Address = claim.account;
        let amount = claim.amount;
        let before = self
            .l1
            .account(&account)
            .await
            .map_err(|e| fail(e.to_string()))?
            .balance;
        let signed = self
            .l1
            .sign(&self.alice, claim)
            .await
            .map_err(|e| fail(e.to_string()))?;
        let answer = self
            .l1
            .claim_withdrawal(&signed)
            .await
            .map_err(|e| fail(e.to_string()))?;
        let after = self
            .l1
            .account(&account)
            .await
            .map_err(|e| fail(e.to_string()))?
            .balance;
        if after != before + amount {
            return Err(fail(format!(
                "alice's L1 balance went {before} → {after}, expected + {amount}"
            )));
        }
        self.record(
            t,
            "withdrawal_claimed",
            format!(
                "alice claims withdrawal {} on L1 with its Merkle proof: {} USDC paid (L1 balance {} → {} USDC)",
                answer.withdrawal_id,
                format_usdc(amount),
                format_usdc(before),
                format_usdc(after)
            ),
            json!({"withdrawal_id": answer.withdrawal_id, "amount": amount, "balance_before": before, "balance_after": after, "block": answer.block}),
        )
        .await;
        Ok(())
    }

    pub(super) async fn conserved(&mut self, t: &mut Timeline) -> Result<(), StepError> {
        let fail = at("conserved");
        let supply = self
            .l1
            .status()
            .await
            .map_err(|e| fail(e.to_string()))?
            .supply;
        if !supply.conserved {
            return Err(fail(format!(
                "the settlement layer's supply is not conserved: {supply:?}"
            )));
        }
        self.record(
            t,
            "conserved",
            format!(
                "L1 supply is conserved: minted {} = balances {} + escrow {} + bonds {} + burned {} USDC",
                format_usdc(supply.minted),
                format_usdc(supply.balances),
                format_usdc(supply.escrow),
                format_usdc(supply.bonds),
                format_usdc(supply.burned)
            ),
            serde_json::to_value(supply).unwrap_or_default(),
        )
        .await;
        Ok(())
    }
}
