//! The ending: the withdrawal's batch finalizes (L1 fast-forwarded past the window), alice
//! claims it on L1 with its Merkle proof, and the settlement layer's supply is conserved.

use super::{POLL_EVERY, StepError, Story, at};
use crate::demo::timeline::Timeline;
use crate::devnet::poll::{Poll, poll_until};
use crate::units::format_usdc_fixed;
use protocol::api::sequencer::WithdrawalStatus;
use protocol::api::settlement::{self as l1api, ClaimWithdrawalCall, MineRequest};
use protocol::primitives::Address;
use serde_json::json;

/// A withdrawal ready to claim, as the settlement layer takes it.
pub(super) type Claim = ClaimWithdrawalCall;

impl Story {
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
                format_usdc_fixed(view.amount),
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
                format_usdc_fixed(amount),
                format_usdc_fixed(before),
                format_usdc_fixed(after)
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
                format_usdc_fixed(supply.minted),
                format_usdc_fixed(supply.balances),
                format_usdc_fixed(supply.escrow),
                format_usdc_fixed(supply.bonds),
                format_usdc_fixed(supply.burned)
            ),
            serde_json::to_value(supply).unwrap_or_default(),
        )
        .await;
        Ok(())
    }
}
