//! What is checked after every restart, with the load stopped:
//!
//! 1. **Settled**: the sequencer has sealed everything (no open batch), included every L1
//!    message, and its state root and transaction count equal the replica's (two equal
//!    status reads around the comparison, so nothing moved in between).
//! 2. **Acknowledged = present once, same receipt**: every acknowledgement since the last
//!    check is in the replica's chain, with the receipt its 2xx carried; no transaction of
//!    the chain appears twice. A random sample is also looked up by hash on the sequencer
//!    (`GET /v1/txs/{hash}`), which must report it included with that receipt.
//! 3. **Posting continues**: every batch the settlement layer holds is the replica's, none
//!    reverted, and when there is something to post the L1 tip advances (bounded wait).
//! 4. **The verifier agrees**: no bad batch, not halted, and its verified root is the
//!    replica's root at its verified batch.
//!
//! Every `replay_every` cycles (and at the end) the posted chain is re-executed from
//! genesis exactly as `vigil verify tx` does (the same `live_chain` fetch and
//! `protocol::audit::check_receipt`), for a transaction of the tip batch.

use super::ChaosError;
use super::load::Ack;
use super::network::Network;
use super::replica::{Replica, bounded};
use super::report::Findings;
use protocol::api::sequencer::TxState;
use protocol::audit::{ReceiptVerdict, check_receipt};
use protocol::workload::SplitMix64;
use std::time::{Duration, Instant};

/// How long the chain may take to settle, and the L1 tip to advance, after a restart.
const SETTLE_LIMIT: Duration = Duration::from_secs(60);
const POLL_EVERY: Duration = Duration::from_millis(20);
/// Acknowledgements looked up by hash on the sequencer after each restart.
const LOOKUPS_PER_CHECK: u64 = 8;
/// Problems described in the report, at most.
const EXAMPLES: usize = 10;

#[derive(Debug)]
pub struct Checker {
    pub replica: Replica,
    acks_checked: usize,
    /// The next L1 batch index to compare with the replica.
    l1_next: u64,
    rng: SplitMix64,
    pub findings: Findings,
}

impl Checker {
    pub fn new(network: &Network, seed: u64) -> Checker {
        Checker {
            replica: Replica::new(&network.genesis),
            acks_checked: 0,
            l1_next: 0,
            rng: SplitMix64(seed),
            findings: Findings::default(),
        }
    }

    /// Checks 1-4 above.
    pub async fn after_restart(
        &mut self,
        network: &Network,
        acks: &[Ack],
    ) -> Result<(), ChaosError> {
        self.settle(network).await?;
        self.findings.duplicated = self.replica.duplicates;
        for ack in &acks[self.acks_checked..] {
            match self.replica.txs.get(&ack.hash) {
                None => self.problem(
                    |f| &mut f.lost,
                    format!("acknowledged {} is missing", ack.hash),
                ),
                Some(placed) if placed.receipt != ack.receipt => self.problem(
                    |f| &mut f.changed_receipts,
                    format!(
                        "acknowledged {} has another receipt in batch {}",
                        ack.hash, placed.batch_index
                    ),
                ),
                Some(_) => {}
            }
        }
        self.acks_checked = acks.len();
        self.look_up(network, acks).await?;
        self.check_l1(network).await?;
        self.check_verifier(network).await
    }

    fn problem(&mut self, counter: impl FnOnce(&mut Findings) -> &mut u64, what: String) {
        *counter(&mut self.findings) += 1;
        if self.findings.examples.len() < EXAMPLES {
            self.findings.examples.push(what);
        }
    }

    /// Bounded: until the sequencer is quiet and the replica has caught up with it.
    async fn settle(&mut self, network: &Network) -> Result<(), ChaosError> {
        let started = Instant::now();
        let mut last = String::from("no answer yet");
        for _ in 0..SETTLE_LIMIT.as_millis() / POLL_EVERY.as_millis() {
            match self.settled(network).await {
                Ok(true) => return Ok(()),
                Ok(false) => last = "still moving".into(),
                Err(e @ ChaosError::Diverged(_)) => return Err(e),
                Err(e) => last = e.to_string(),
            }
            if started.elapsed() >= SETTLE_LIMIT {
                break;
            }
            tokio::time::sleep(POLL_EVERY).await;
        }
        Err(ChaosError::Service(format!(
            "the chain did not settle within {SETTLE_LIMIT:?} after a restart ({last})"
        )))
    }

    async fn settled(&mut self, network: &Network) -> Result<bool, ChaosError> {
        let queued = network.l1_queue_length().await?;
        let before = bounded(network.sequencer.status()).await?;
        self.replica
            .catch_up(&network.sequencer, before.last_sealed)
            .await?;
        let quiet = before.open_batch.is_none() && before.next_queue_index >= queued;
        if !quiet || self.replica.root() != before.state_root {
            return Ok(false);
        }
        let after = bounded(network.sequencer.status()).await?;
        let unmoved = (after.next_seq, after.state_root, after.last_sealed)
            == (before.next_seq, before.state_root, before.last_sealed);
        if unmoved && after.next_seq != self.replica.tx_count {
            self.problem(
                |f| &mut f.lost,
                format!(
                    "the sequencer counts {} transactions, its sealed batches hold {}",
                    after.next_seq, self.replica.tx_count
                ),
            );
        }
        Ok(unmoved)
    }

    /// A random sample of acknowledgements, looked up by hash on the sequencer.
    async fn look_up(&mut self, network: &Network, acks: &[Ack]) -> Result<(), ChaosError> {
        for _ in 0..LOOKUPS_PER_CHECK.min(acks.len() as u64) {
            let ack = acks[self.rng.below(acks.len() as u64) as usize];
            self.findings.lookups += 1;
            let found = match network.sequencer.tx(&ack.hash).await {
                Ok(found) => found,
                Err(e) if e.status() == Some(404) => {
                    self.problem(
                        |f| &mut f.lookup_mismatches,
                        format!("acknowledged {} is unknown to the sequencer", ack.hash),
                    );
                    continue;
                }
                Err(e) => return Err(ChaosError::Service(e.to_string())),
            };
            if found.state != TxState::Included || found.receipt.hash() != ack.receipt {
                self.problem(
                    |f| &mut f.lookup_mismatches,
                    format!(
                        "the sequencer reports {} as {:?} with another receipt",
                        ack.hash, found.state
                    ),
                );
            }
        }
        Ok(())
    }

    /// Every new L1 batch is the replica's; the tip advances when there is work to post.
    async fn check_l1(&mut self, network: &Network) -> Result<(), ChaosError> {
        let sealed = self.replica.headers.len() as u64;
        let started = Instant::now();
        let tip = loop {
            let status = network
                .l1
                .status()
                .await
                .map_err(|e| ChaosError::Service(e.to_string()))?;
            let tip = status.tip.index.map_or(0, |i| i + 1);
            if tip > self.l1_next || sealed <= self.l1_next {
                break tip;
            }
            if started.elapsed() >= SETTLE_LIMIT {
                self.problem(
                    |f| &mut f.posting_stalls,
                    format!("the L1 tip stayed at {tip} batches for {SETTLE_LIMIT:?} with {sealed} sealed"),
                );
                break tip;
            }
            tokio::time::sleep(POLL_EVERY).await;
        };
        for index in self.l1_next..tip {
            let view = network
                .l1
                .find_batch(index, false)
                .await
                .map_err(|e| ChaosError::Service(e.to_string()))?;
            let theirs = view.as_ref().map(|v| (v.header_hash, &v.status));
            let ours = self.replica.headers.get(index as usize);
            if theirs.map(|t| t.0).as_ref() != ours
                || theirs.is_some_and(|t| {
                    matches!(t.1, protocol::api::settlement::BatchStatus::Reverted { .. })
                })
            {
                return Err(ChaosError::Diverged(format!(
                    "L1 batch {index} is not the sequencer's sealed batch {index} (or was reverted)"
                )));
            }
        }
        self.findings.l1_batches = tip;
        self.l1_next = tip;
        Ok(())
    }

    async fn check_verifier(&mut self, network: &Network) -> Result<(), ChaosError> {
        let status = bounded(network.verifier.status()).await?;
        self.findings.verifier_checks += 1;
        let root_agrees = status
            .verified_batch
            .is_none_or(|b| self.replica.post_roots.get(b as usize) == Some(&status.verified_root));
        if status.halted.is_some() || status.totals.bad_batches > 0 || !root_agrees {
            self.problem(
                |f| &mut f.verifier_disagreements,
                format!(
                    "the verifier disagrees at batch {:?} (halted: {:?}, bad batches: {})",
                    status.verified_batch, status.halted, status.totals.bad_batches
                ),
            );
        }
        self.findings.verified_batches = status.verified_batch.map_or(0, |b| b + 1);
        Ok(())
    }

    /// The posted chain re-executed from genesis, as `vigil verify tx` does, for a random
    /// transaction of the tip batch: its committed receipt must be the replica's.
    pub async fn replay_from_genesis(&mut self, network: &Network) -> Result<(), ChaosError> {
        let Some(tip) = network
            .l1
            .status()
            .await
            .map_err(|e| ChaosError::Service(e.to_string()))?
            .tip
            .index
        else {
            return Ok(());
        };
        let chain = crate::commands::verify::live_chain(&network.l1, tip)
            .await
            .map_err(|e| ChaosError::Service(format!("fetching the posted chain: {e:#}")))?;
        let last = chain.last().expect("live_chain returns 0..=tip");
        let tx = last.txs[self.rng.below(last.txs.len() as u64) as usize].hash();
        let genesis = network.genesis.clone();
        let verdict = tokio::task::spawn_blocking(move || check_receipt(&genesis, &chain, &tx))
            .await
            .map_err(|e| ChaosError::Service(format!("the replay task: {e}")))?
            .map_err(|e| {
                ChaosError::Diverged(format!("the posted chain does not re-execute: {e}"))
            })?;
        self.findings.replays += 1;
        let ours = self.replica.txs.get(&tx).map(|p| p.receipt);
        match verdict {
            ReceiptVerdict::Committed { proof } if Some(proof.receipt_hash) == ours => {
                self.findings.replays_equal += 1;
            }
            other => self.problem(
                |f| &mut f.replay_mismatches,
                format!("replaying the posted chain to batch {tip} gives {other:?} for {tx}"),
            ),
        }
        Ok(())
    }
}
