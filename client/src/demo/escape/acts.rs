//! The escape story's steps, each checked and recorded on the timeline (see `escape`).

use super::*;
use crate::units::format_usdc_fixed;

impl Escape {
    /// Deposits for alice and bob, a price, and a trade; everything posted and final.
    pub(super) async fn trade(&mut self, t: &mut Timeline) -> Result<(), String> {
        t.record(
            "network",
            self.head().await,
            "settlement layer (hand-mined blocks), sequencer A, one verifier".into(),
            json!({"verifier": self.verifier_url}),
        );
        for key in [self.alice.clone(), self.bob.clone()] {
            let address = address_of(&key);
            self.faucet(&address, DEPOSIT).await?;
            let call = self
                .l1
                .sign(
                    &key,
                    DepositCall {
                        account: address,
                        amount: DEPOSIT,
                    },
                )
                .await
                .map_err(|e| e.to_string())?;
            self.l1.deposit(&call).await.map_err(|e| e.to_string())?;
        }
        let seq = self.seq()?.clone();
        let bob = address_of(&self.bob);
        self.until("the deposits to be credited", || async {
            match seq.account(&bob).await {
                Ok(a) if a.collateral >= i128::from(DEPOSIT) => Poll::Ready(()),
                other => Poll::Pending(format!("{other:?}")),
            }
        })
        .await?;
        let price = Action::PriceUpdate(PriceUpdate {
            market: 1,
            price: BTC_PRICE,
            timestamp_ms: now_ms(),
        });
        let order = |key: &SigningKey, is_buy, tif| {
            Action::Order(Order {
                account: address_of(key),
                market: 1,
                is_buy,
                price: BTC_PRICE,
                size: 1_000,
                tif,
                reduce_only: false,
                nonce: 1,
                expires_at: now_ms() + 600_000,
            })
        };
        for action in [
            self.sign(&devnet_oracle_key(), price),
            self.sign(&self.alice, order(&self.alice, false, TimeInForce::Gtc)),
            self.sign(&self.bob, order(&self.bob, true, TimeInForce::Ioc)),
        ] {
            seq.submit(&action).await.map_err(|e| e.to_string())?;
        }
        self.settle().await?;
        t.record("traded", self.head().await, "alice and bob deposit 10,000 USDC each; alice sells 0.1 BTC @ 50,000 to bob; every batch final".into(), json!({}));
        Ok(())
    }

    /// Waits until the sequencer has posted everything, then mines past the window until
    /// the verifier has re-executed and seen the finalization.
    async fn settle(&self) -> Result<(), String> {
        let seq = self.seq()?.clone();
        self.until("every batch to be posted", || async {
            match seq.status().await {
                Ok(s)
                    if s.open_batch.is_none()
                        && s.last_posted.is_some()
                        && s.last_posted == s.last_sealed =>
                {
                    Poll::Ready(())
                }
                other => Poll::Pending(format!("{other:?}")),
            }
        })
        .await?;
        self.mine(WINDOW + 1).await?;
        let finalized = self
            .l1
            .status()
            .await
            .map_err(|e| e.to_string())?
            .finalized_index;
        let verifier = crate::verifier::VerifierClient::new(&self.verifier_url);
        self.until("the verifier to hold the final state", || async {
            match verifier.status().await {
                Ok(s) if s.finalized_batch == finalized => Poll::Ready(()),
                other => Poll::Pending(format!("{other:?}")),
            }
        })
        .await
    }

    pub(super) async fn lose_sequencer(&mut self, t: &mut Timeline) -> Result<(), String> {
        self.stop_sequencer().await;
        std::fs::remove_dir_all(self.dir.join("sequencer-a")).map_err(|e| e.to_string())?;
        t.record(
            "sequencer_lost",
            self.head().await,
            "sequencer A goes silent and its data dir is deleted".into(),
            json!({}),
        );
        Ok(())
    }

    /// Alice forces a withdrawal of `amount` through the L1 queue; its deadline block.
    async fn force_withdrawal(&mut self, amount: u64) -> Result<(u64, u64), String> {
        self.nonce += 1;
        let action = Action::Withdraw(Withdraw {
            account: address_of(&self.alice),
            amount,
            nonce: self.nonce,
            expires_at: now_ms() + 3_600_000,
        });
        let signed = self.sign(&self.alice, action);
        let call = self
            .l1
            .sign(
                &self.alice,
                ForceCall {
                    action: signed.clone(),
                },
            )
            .await
            .map_err(|e| e.to_string())?;
        let queued = self.l1.force(&call).await.map_err(|e| e.to_string())?;
        self.forced_hash = Tx::L1 {
            queue_index: queued.queue_index,
            message: L1Message::Forced { action: signed },
        }
        .hash();
        Ok((queued.queue_index, queued.deadline_block))
    }

    pub(super) async fn force(&mut self, t: &mut Timeline) -> Result<(), String> {
        let (index, deadline) = self.force_withdrawal(100_000_000).await?;
        t.record("forced", self.head().await, format!("alice forces a 100 USDC withdrawal through L1 (queue message {index}); it must be included by block {deadline}"), json!({"queue_index": index, "deadline_block": deadline, "tx_hash": self.forced_hash}));
        Ok(())
    }

    pub(super) async fn pass_deadline(&mut self, t: &mut Timeline) -> Result<(), String> {
        let status = self.l1.status().await.map_err(|e| e.to_string())?;
        let head = self.mine(FORCE_INCLUSION_DEADLINE_BLOCKS + 1).await?;
        let queue = self
            .l1
            .queue(status.tip.queue_end, 10)
            .await
            .map_err(|e| e.to_string())?;
        if queue.next_unconsumed == queue.length {
            return Err("the forced message was consumed, but no sequencer runs".into());
        }
        t.record(
            "deadline_passed",
            head,
            "no sequencer included it: the deadline passes".into(),
            json!({}),
        );
        Ok(())
    }

    pub(super) async fn promote(&mut self, t: &mut Timeline) -> Result<(), String> {
        let key = keys::verifier_key(0);
        // Nobody posts while A is silent, so this is the tip B rebuilds to; once serving,
        // B goes on at once (the overdue message), so its live root soon moves past it.
        let tip = self.l1.status().await.map_err(|e| e.to_string())?.tip;
        self.start_sequencer(key.clone(), "sequencer-b", true)
            .await?;
        let index = tip
            .index
            .ok_or("the L1 chain has no batch to rebuild from")?;
        let rebuilt = self
            .seq()?
            .batch(index, false)
            .await
            .map_err(|e| e.to_string())?;
        if (rebuilt.post_state_root, rebuilt.header_hash)
            != (Some(tip.state_root), Some(tip.header_hash))
        {
            return Err(format!(
                "rebuilt batch {index} has root {:?}, the L1 tip's is {}",
                rebuilt.post_state_root, tip.state_root
            ));
        }
        t.record("promoted", self.head().await, format!("the verifier's operator starts sequencer B with its own key {}, rebuilt from L1 data alone: root {} = the L1 tip's", address_of(&key), tip.state_root), json!({"sequencer": address_of(&key), "root": tip.state_root}));
        Ok(())
    }

    /// Sequencer B includes the overdue withdrawal; it finalizes. Its withdrawal id.
    pub(super) async fn included(&mut self, t: &mut Timeline) -> Result<u64, String> {
        let seq = self.seq()?.clone();
        let hash = self.forced_hash;
        let lookup = self
            .until("the overdue withdrawal to be sequenced", || async {
                match seq.tx(&hash).await {
                    Ok(l) => Poll::Ready(l),
                    Err(e) => Poll::Pending(e.to_string()),
                }
            })
            .await?;
        let id = lookup.receipt.withdrawal_id.ok_or_else(|| {
            format!(
                "the forced withdrawal was rejected: {:?}",
                lookup.receipt.status
            )
        })?;
        self.settle().await?;
        let poster = self
            .l1
            .batch(lookup.batch_index, false)
            .await
            .map_err(|e| e.to_string())?
            .poster;
        t.record("forced_included", self.head().await, format!("sequencer B includes it first (batch {}, posted by {poster}); the chain resumes and the batch finalizes", lookup.batch_index), json!({"batch_index": lookup.batch_index, "withdrawal_id": id}));
        Ok(id)
    }

    pub(super) async fn claim_withdrawal(
        &mut self,
        t: &mut Timeline,
        id: u64,
    ) -> Result<(), String> {
        let node = ServiceHttp::new("verifier", &self.verifier_url);
        let claim: ClaimWithdrawalCall = node
            .get(&format!("/v1/withdrawals/{id}/claim"))
            .await
            .map_err(|e| e.to_string())?;
        let before = self
            .l1
            .account(&address_of(&self.alice))
            .await
            .map_err(|e| e.to_string())?
            .balance;
        let call = self
            .l1
            .sign(&self.alice, claim)
            .await
            .map_err(|e| e.to_string())?;
        self.l1
            .claim_withdrawal(&call)
            .await
            .map_err(|e| e.to_string())?;
        let after = self
            .l1
            .account(&address_of(&self.alice))
            .await
            .map_err(|e| e.to_string())?
            .balance;
        if after != before + 100_000_000 {
            return Err(format!("alice's L1 balance went {before} → {after}"));
        }
        t.record(
            "withdrawal_claimed",
            self.head().await,
            "alice claims it on L1 with the verifier's proof: 100 USDC paid".into(),
            json!({"withdrawal_id": id}),
        );
        Ok(())
    }

    pub(super) async fn silence(&mut self, t: &mut Timeline) -> Result<(), String> {
        self.stop_sequencer().await;
        let (index, deadline) = self.force_withdrawal(50_000_000).await?;
        t.record("silence", self.head().await, format!("act 2: every sequencer goes silent; alice forces another withdrawal (queue message {index}, deadline block {deadline})"), json!({}));
        Ok(())
    }

    pub(super) async fn freeze(&mut self, t: &mut Timeline) -> Result<(), String> {
        let exit = self.l1.exit().await.map_err(|e| e.to_string())?;
        let at = exit.freezes_at_block.ok_or("nothing waits in the queue")?;
        let head = self.mine(at - self.head().await).await?;
        let exit = self.l1.exit().await.map_err(|e| e.to_string())?;
        if exit.phase != ExitPhase::Claiming {
            return Err(format!("at block {head} the rollup is {:?}", exit.phase));
        }
        t.record("frozen", head, format!("nobody posts for the freeze delay: the settlement layer freezes the rollup at block {at}; exit claims open at root {}", exit.exit_root.unwrap_or_default()), json!({"frozen_block": at, "exit_root": exit.exit_root}));
        Ok(())
    }

    /// Alice and bob claim with the verifier's proofs: (address, owed, L1 balance before).
    pub(super) async fn claim_exits(
        &mut self,
        t: &mut Timeline,
    ) -> Result<Vec<(Address, u64, u64)>, String> {
        let node = ServiceHttp::new("verifier", &self.verifier_url);
        let mut owed = Vec::new();
        for key in [self.alice.clone(), self.bob.clone()] {
            let account = address_of(&key);
            let proof: ExitProof = node
                .get(&format!("/v1/exit/proof/{account}"))
                .await
                .map_err(|e| e.to_string())?;
            let call = self
                .l1
                .sign(
                    &key,
                    ExitClaimCall {
                        account,
                        witness: proof.witness,
                    },
                )
                .await
                .map_err(|e| e.to_string())?;
            let claimed = self.l1.submit(&call).await.map_err(|e| e.to_string())?;
            if i128::from(claimed.equity) != proof.equity {
                return Err(format!(
                    "{account}: claimed equity {} but the proof says {}",
                    claimed.equity, proof.equity
                ));
            }
            let balance = self
                .l1
                .account(&account)
                .await
                .map_err(|e| e.to_string())?
                .balance;
            owed.push((account, claimed.owed, balance));
        }
        t.record(
            "exits_claimed",
            self.head().await,
            format!(
                "alice and bob claim their equity with the verifier's proofs: owed {} and {} USDC",
                format_usdc_fixed(owed[0].1),
                format_usdc_fixed(owed[1].1)
            ),
            json!({}),
        );
        Ok(owed)
    }

    pub(super) async fn payout(
        &mut self,
        t: &mut Timeline,
        owed: Vec<(Address, u64, u64)>,
    ) -> Result<(), String> {
        let head = self.mine(EXIT_CLAIM_PERIOD_BLOCKS + 1).await?;
        let exit = self.l1.exit().await.map_err(|e| e.to_string())?;
        if exit.phase != ExitPhase::Paid || exit.paid_total != exit.owed_total {
            return Err(format!("after the claim period: {exit:?}"));
        }
        for (account, amount, before) in &owed {
            let after = self
                .l1
                .account(account)
                .await
                .map_err(|e| e.to_string())?
                .balance;
            if after != before + amount {
                return Err(format!(
                    "{account} was paid {} instead of {amount}",
                    after.saturating_sub(*before)
                ));
            }
        }
        t.record(
            "exits_paid",
            head,
            format!(
                "the claim period ends: each is paid exactly its equity, {} USDC in all",
                format_usdc_fixed(exit.paid_total)
            ),
            json!({"paid_total": exit.paid_total}),
        );
        let supply = self.l1.status().await.map_err(|e| e.to_string())?.supply;
        if !supply.conserved {
            return Err(format!("supply not conserved: {supply:?}"));
        }
        t.record(
            "conserved",
            head,
            format!(
                "L1 supply is conserved; {} USDC of trading fees stay in escrow",
                format_usdc_fixed(supply.escrow)
            ),
            json!({"supply": supply}),
        );
        Ok(())
    }
}
