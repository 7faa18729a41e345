//! The settlement layer's ruling: the proof upheld, the batches reverted, the sequencer's
//! bond slashed and split (checked against the L1 balances and bonds), and the other
//! verifier's late proof answered "already reverted".

use super::{POLL_EVERY, StepError, Story, at, who};
use crate::demo::timeline::Timeline;
use crate::devnet::poll::{Poll, poll_until};
use crate::units::format_usdc_fixed;
use protocol::api::settlement::EventKind;
use protocol::api::verifier::ChallengeOutcome;
use protocol::signing::address_of;
use serde_json::json;

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
                format_usdc_fixed(amount),
                format_usdc_fixed(reward),
                winner + 1,
                format_usdc_fixed(before),
                format_usdc_fixed(balance),
                format_usdc_fixed(burned),
            ),
            json!({"reverted": reverted, "sequencer": sequencer, "slashed": amount, "challenger": challenger, "challenger_reward": reward, "burned": burned, "challenger_balance_before": before, "challenger_balance_after": balance}),
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
}
