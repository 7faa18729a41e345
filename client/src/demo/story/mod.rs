//! The fraud story's steps, each checked: a step either records what it saw on the
//! timeline or fails naming itself and what it was waiting for. Every wait is bounded
//! (`FraudDemoConfig::step_limit`).
//!
//! trade → fault_posted → fraud_detected → challenge_upheld → resequenced →
//! roots_agree → withdrawal_final → withdrawal_claimed → conserved (and `second_verifier`
//! when the other verifier's late proof got its answer). Here: the setup and the trades;
//! then `detection`, `ruling`, `recovery` and `withdrawal`.

mod detection;
mod recovery;
mod ruling;
mod withdrawal;

use super::actions::{
    BTC_PRICE, ETH, ETH_CRASH_PRICE, ETH_PRICE, FIVE_ETH, HUNDRED_BTC, ONE_BTC, Signer, WITHDRAWAL,
    short, who,
};
use super::fraud::FraudDemoConfig;
use super::timeline::Timeline;
use crate::devnet::RunningDevnet;
use crate::devnet::keys;
use crate::sequencer::SequencerClient;
use crate::units::format_usdc_fixed;
use crate::verifier::VerifierClient;
use k256::ecdsa::SigningKey;
use protocol::action::TimeInForce;
use protocol::api::sequencer::{BulkItem, TxAccepted};
use protocol::api::settlement::Event;
use protocol::fault::Fault;
use protocol::primitives::Address;
use protocol::signing::address_of;
use serde_json::json;
use service_client::settlement::SettlementClient;
use std::time::Duration;

const POLL_EVERY: Duration = Duration::from_millis(50);

/// A failed step: its name and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepError {
    pub step: &'static str,
    pub reason: String,
}

fn at(step: &'static str) -> impl Fn(String) -> StepError {
    move |reason| StepError { step, reason }
}

/// The clients, the actors and what the story learned so far.
#[derive(Debug)]
pub struct Story {
    l1: SettlementClient,
    seq: SequencerClient,
    verifiers: Vec<VerifierClient>,
    verifier_addresses: Vec<Address>,
    alice: SigningKey,
    bob: SigningKey,
    signer: Signer,
    fault: Fault,
    limit: Duration,
    /// Accepted trade actions, in order: (label, receipt).
    trades: Vec<(&'static str, TxAccepted)>,
    withdrawal_id: u64,
    faulty_batch: u64,
    event_cursor: u64,
    /// L1 balances of the verifiers and the sequencer's bond before the fraud.
    verifier_balances: Vec<u64>,
    sequencer_bond: u64,
    steps_done: Vec<&'static str>,
}

/// The steps a successful run records, in order.
pub const STEPS: [&str; 10] = [
    "devnet",
    "trade",
    "fault_posted",
    "fraud_detected",
    "challenge_upheld",
    "resequenced",
    "roots_agree",
    "withdrawal_final",
    "withdrawal_claimed",
    "conserved",
];

impl Story {
    pub fn new(net: &RunningDevnet, config: &FraudDemoConfig) -> Result<Story, StepError> {
        let m = net.manifest();
        if m.accounts.len() < 2 || m.verifier_urls.len() < 2 {
            return Err(at("devnet")(
                "the demo needs two accounts and two verifiers".into(),
            ));
        }
        Ok(Story {
            l1: SettlementClient::new(&m.l1_url),
            seq: SequencerClient::new(&m.sequencer_url),
            verifiers: m
                .verifier_urls
                .iter()
                .map(|u| VerifierClient::new(u))
                .collect(),
            verifier_addresses: vec![
                address_of(&keys::verifier_key(0)),
                address_of(&keys::verifier_key(1)),
            ],
            alice: keys::account_key(0),
            bob: keys::account_key(1),
            signer: Signer {
                domain: protocol::batch::domain_separator(net.genesis()),
                now_ms: 0,
            },
            fault: config.fault,
            limit: config.step_limit,
            trades: Vec::new(),
            withdrawal_id: 0,
            faulty_batch: 0,
            event_cursor: 0,
            verifier_balances: Vec::new(),
            sequencer_bond: 0,
            steps_done: Vec::new(),
        })
    }

    /// Ok when every step of `STEPS` happened.
    pub fn verdict(&self) -> Result<(), StepError> {
        match STEPS.iter().find(|s| !self.steps_done.contains(s)) {
            None => Ok(()),
            Some(missing) => Err(at("verdict")(format!("step {missing} never happened"))),
        }
    }

    async fn head(&self) -> u64 {
        self.l1.status().await.map_or(0, |s| s.block.number)
    }

    async fn record(
        &mut self,
        t: &mut Timeline,
        step: &'static str,
        summary: String,
        details: serde_json::Value,
    ) {
        let head = self.head().await;
        t.record(step, head, summary, details);
        self.steps_done.push(step);
    }

    /// Tells the story, step by step; stops at the first step that fails.
    pub async fn tell(&mut self, t: &mut Timeline) -> Result<(), StepError> {
        self.devnet(t).await?;
        self.trade(t).await?;
        self.fault_posted(t).await?;
        let winner = self.fraud_detected(t).await?;
        self.challenge_upheld(t, winner).await?;
        let batch = self.resequenced(t).await?;
        self.roots_agree(t, batch).await?;
        self.second_verifier(t, winner).await;
        let claim = self.withdrawal_final(t).await?;
        self.withdrawal_claimed(t, claim).await?;
        self.conserved(t).await
    }

    async fn devnet(&mut self, t: &mut Timeline) -> Result<(), StepError> {
        let fail = at("devnet");
        let status = self.seq.status().await.map_err(|e| fail(e.to_string()))?;
        let fault = status.fault.unwrap_or_default();
        let mut credited = Vec::new();
        for (name, key) in [("alice", &self.alice), ("bob", &self.bob)] {
            let account = self
                .seq
                .account(&address_of(key))
                .await
                .map_err(|e| fail(e.to_string()))?;
            if account.collateral <= 0 {
                return Err(fail(format!("{name} has no collateral on L2")));
            }
            credited.push(json!({"name": name, "account": account.address, "collateral": crate::commands::json_units::raw_integer(account.collateral)}));
        }
        for address in &self.verifier_addresses {
            let account = self
                .l1
                .account(address)
                .await
                .map_err(|e| fail(e.to_string()))?;
            self.verifier_balances.push(account.balance);
        }
        self.sequencer_bond = self
            .l1
            .account(&address_of(&keys::sequencer_key()))
            .await
            .map_err(|e| fail(e.to_string()))?
            .bond;
        self.event_cursor = self
            .l1
            .status()
            .await
            .map_err(|e| fail(e.to_string()))?
            .last_event_seq;
        let collateral = credited[0]["collateral"].as_u64().unwrap_or(0);
        self.record(
            t,
            "devnet",
            format!(
                "devnet up: settlement layer {}, sequencer {} (armed: {fault}), 2 verifiers in challenge mode\nalice ({}) and bob ({}) deposited on L1; each has {} USDC on L2",
                self.l1.base_url(),
                self.seq.base_url(),
                who(&address_of(&self.alice)),
                who(&address_of(&self.bob)),
                format_usdc_fixed(collateral),
            ),
            json!({"fault": fault, "accounts": credited}),
        )
        .await;
        Ok(())
    }

    async fn trade(&mut self, t: &mut Timeline) -> Result<(), StepError> {
        let fail = at("trade");
        self.signer.now_ms = contracts_mock::now_ms();
        let oracle = keys::oracle_key();
        let s = &self.signer;
        let actions = [
            ("oracle prices BTC at 50,000", s.price(&oracle, BTC_PRICE)),
            (
                "alice sells 1 BTC @ 50,000",
                s.order(&self.alice, false, TimeInForce::Gtc, 1),
            ),
            (
                "bob buys 1 BTC @ 50,000",
                s.order(&self.bob, true, TimeInForce::Ioc, 2),
            ),
            (
                "alice withdraws 1,000 USDC",
                s.withdraw(&self.alice, WITHDRAWAL, 3),
            ),
            (
                "alice approves bob's key as her trading agent",
                s.approve_agent(&self.alice, address_of(&self.bob), 4),
            ),
            (
                "bob sets his dead-man's switch an hour ahead",
                s.schedule_cancel(&self.bob, 3_600_000, 5),
            ),
            ("bob files a buy stop at 100,000", s.buy_stop(&self.bob, 6)),
            (
                "alice bids 0.1 BTC @ 49,500 for an hour",
                s.gtt_bid(&self.alice, 7),
            ),
            (
                "bob sets 5x leverage in BTC",
                s.set_leverage(&self.bob, 5, 8),
            ),
            (
                "oracle posts a 60 % implied vol for BTC options",
                s.implied_vol(&oracle, 600_000),
            ),
            (
                "alice puts ETH in isolated margin",
                s.isolate(&self.alice, ETH, 9),
            ),
            (
                "oracle prices ETH at 3,000",
                s.price_of(&oracle, ETH, ETH_PRICE, 2),
            ),
            (
                "bob sells 5 ETH @ 3,000",
                s.signed(&self.bob, 10, |t| {
                    t.eth_order(false, FIVE_ETH, TimeInForce::Gtc)
                }),
            ),
            (
                "alice buys 5 ETH @ 3,000 at 10x in isolated margin",
                s.signed(&self.alice, 11, |t| {
                    t.eth_order(true, FIVE_ETH, TimeInForce::Ioc)
                }),
            ),
            (
                "oracle prices ETH at 2,550 (-15 %: its circuit breaker trips)",
                s.price_of(&oracle, ETH, ETH_CRASH_PRICE, 1),
            ),
            (
                "bob liquidates alice's ETH position",
                s.liquidate(&self.bob, address_of(&self.alice), ETH, 12),
            ),
            (
                "alice bids 0.1 BTC @ 49,250 with no expiry",
                s.resting_bid(&self.alice, 13),
            ),
            (
                "alice moves that bid to 49,000 with a bulk modify",
                s.bulk_move(&self.alice, 13, 10),
            ),
            (
                "bob bids 0.1 for 100 BTC of the 50,000 call",
                s.signed(&self.bob, 20, |t| {
                    t.option_order(true, HUNDRED_BTC, TimeInForce::Gtc)
                }),
            ),
            (
                "alice sells bob 0.0001 BTC of that call",
                s.signed(&self.alice, 21, |t| {
                    t.option_order(false, 1, TimeInForce::Ioc)
                }),
            ),
        ];
        let signed: Vec<_> = actions.iter().map(|(_, a)| a.clone()).collect();
        // One request, so all of them land in one batch: the batch the fault is armed for.
        let answer = self
            .seq
            .submit_many(&signed)
            .await
            .map_err(|e| fail(e.to_string()))?;
        for ((label, _), item) in actions.iter().zip(answer.results) {
            match item {
                BulkItem::Accepted(accepted) => self.trades.push((label, accepted)),
                BulkItem::Rejected { code, message, .. } => {
                    return Err(fail(format!("{label}: refused ({code}): {message}")));
                }
            }
        }
        let fills = self.trades[2].1.receipt.fills.len();
        if fills == 0 {
            return Err(fail("bob's buy did not fill against alice's sell".into()));
        }
        self.withdrawal_id = self.trades[3]
            .1
            .receipt
            .withdrawal_id
            .ok_or_else(|| fail("the withdrawal receipt has no withdrawal id".into()))?;
        let lines: Vec<String> = self
            .trades
            .iter()
            .map(|(label, a)| {
                format!(
                    "{label}: tx {} (batch {}, seq {})",
                    short(&a.hash.to_string()),
                    a.batch_index,
                    a.seq
                )
            })
            .collect();
        let details = json!({"txs": self.trades.iter().map(|(l, a)| json!({"action": l, "hash": a.hash, "batch_index": a.batch_index, "seq": a.seq})).collect::<Vec<_>>(), "market": super::actions::BTC, "size": ONE_BTC, "withdrawal_id": self.withdrawal_id});
        self.record(
            t,
            "trade",
            format!(
                "traders trade (soft-confirmed by the sequencer):\n{}",
                lines.join("\n")
            ),
            details,
        )
        .await;
        Ok(())
    }

    /// New settlement events since the cursor (the cursor does not move: steps re-read).
    async fn events(&self) -> Result<Vec<Event>, String> {
        let mut after = self.event_cursor;
        let mut all = Vec::new();
        for _ in 0..100 {
            let page = self
                .l1
                .events(after, 1000, Duration::ZERO)
                .await
                .map_err(|e| e.to_string())?;
            let Some(last) = page.events.last() else {
                break;
            };
            after = last.seq;
            all.extend(page.events);
        }
        Ok(all)
    }
}
