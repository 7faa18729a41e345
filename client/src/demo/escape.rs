//! `vigil demo escape`: users get out without the operator, end to end and checked at every
//! step, on a throwaway network in this process (settlement layer with hand-mined blocks,
//! a sequencer, a verifier; temporary directory, OS-picked ports).
//!
//! Act 1: the sequencer goes silent and loses its disk; alice forces a withdrawal; its
//! deadline passes; the verifier's operator starts a sequencer with its own key,
//! bootstrapped from L1 alone, which includes the overdue withdrawal first; the chain
//! resumes; the withdrawal finalizes and is claimed with the verifier's proof.
//! Act 2: every sequencer goes silent; a forced message stays overdue; the settlement layer
//! freezes the rollup; alice and bob claim their exits with the verifier's proofs; each is
//! paid exactly what it was owed and the L1 supply is conserved.

use super::fraud::DemoFailure;
use super::timeline::Timeline;
use crate::devnet::keys;
use crate::devnet::poll::{Poll, poll_until};
use crate::sequencer::SequencerClient;
use contracts_mock::config::short_exit::{
    EXIT_CLAIM_PERIOD_BLOCKS, FORCE_INCLUSION_DEADLINE_BLOCKS,
};
use k256::ecdsa::SigningKey;
use protocol::action::{
    Action, L1Message, Order, PriceUpdate, SignedAction, TimeInForce, Tx, Withdraw,
};
use protocol::api::settlement::{
    ClaimWithdrawalCall, DepositCall, ExitClaimCall, ExitPhase, ExitProof, FaucetRequest,
    ForceCall, MineRequest,
};
use protocol::genesis::{Genesis, devnet_oracle_key};
use protocol::primitives::{Address, H256};
use protocol::signing::{address_of, sign_action};
use serde_json::json;
use service_client::http::ServiceHttp;
use service_client::settlement::SettlementClient;
use std::path::{Path, PathBuf};
use std::time::Duration;

const WINDOW: u64 = 5;
const DEPOSIT: u64 = 10_000_000_000;
const BTC_PRICE: u64 = 50_000_000_000;
/// The steps a successful run records, in order.
pub const STEPS: [&str; 13] = [
    "network",
    "traded",
    "sequencer_lost",
    "forced",
    "deadline_passed",
    "promoted",
    "forced_included",
    "withdrawal_claimed",
    "silence",
    "frozen",
    "exits_claimed",
    "exits_paid",
    "conserved",
];

type Step = Result<(), (&'static str, String)>;

/// The network and what the story learned.
struct Escape {
    dir: PathBuf,
    genesis: Genesis,
    l1: SettlementClient,
    l1_running: Option<contracts_mock::Running>,
    seq: Option<(sequencer::Running, SequencerClient)>,
    verifier: Option<verifier::Running>,
    verifier_url: String,
    alice: SigningKey,
    bob: SigningKey,
    limit: Duration,
    forced_hash: H256,
    nonce: u64,
}

/// Runs both acts in a fresh temporary directory (removed afterwards).
pub async fn run_escape_demo(step_limit: Duration) -> Result<Timeline, DemoFailure> {
    let mut timeline = Timeline::new();
    let dir = match tempfile::Builder::new().prefix("vigil-escape-").tempdir() {
        Ok(dir) => dir,
        Err(e) => return Err(failure(timeline, "network", format!("temp dir: {e}"))),
    };
    let mut story = match Escape::start(dir.path(), step_limit).await {
        Ok(story) => story,
        Err(reason) => return Err(failure(timeline, "network", reason)),
    };
    let told = story.tell(&mut timeline).await;
    story.stop().await;
    match told {
        Ok(()) => Ok(timeline),
        Err((step, reason)) => Err(failure(timeline, step, reason)),
    }
}

fn failure(timeline: Timeline, step: &str, reason: String) -> DemoFailure {
    DemoFailure {
        step: step.to_string(),
        reason,
        timeline,
    }
}

async fn bind() -> Result<tokio::net::TcpListener, String> {
    tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("bind 127.0.0.1:0: {e}"))
}

fn now_ms() -> u64 {
    sequencer::executor::now_ms()
}

impl Escape {
    async fn start(dir: &Path, limit: Duration) -> Result<Escape, String> {
        let oracle = address_of(&devnet_oracle_key());
        let genesis = Genesis::devnet(
            protocol::genesis::DEVNET_CHAIN_ID,
            contracts_mock::Config::default_rollup_address(),
            oracle,
        );
        let mut config = contracts_mock::Config::new(dir.join("l1"), genesis.clone());
        config.block_time_ms = None;
        config.challenge_window_blocks = WINDOW;
        config.set_short_exit_clock();
        config.min_sequencer_bond = 1_000_000;
        config.max_timestamp_drift_ms = 3_600_000;
        let l1_running = contracts_mock::start(config, bind().await?)
            .await
            .map_err(|e| format!("settlement layer: {e}"))?;
        let l1 = SettlementClient::new(&format!("http://{}", l1_running.addr()));
        let mut story = Escape {
            dir: dir.to_path_buf(),
            genesis,
            l1,
            l1_running: Some(l1_running),
            seq: None,
            verifier: None,
            verifier_url: String::new(),
            alice: keys::account_key(0),
            bob: keys::account_key(1),
            limit,
            forced_hash: H256::default(),
            nonce: 1,
        };
        story
            .start_sequencer(keys::sequencer_key(), "sequencer-a", false)
            .await?;
        let mut vconfig = verifier::Config::new(
            dir.join("verifier"),
            story.l1.base_url().to_string(),
            story.genesis.clone(),
        );
        vconfig.poll_interval = Duration::from_millis(50);
        let running = verifier::start(vconfig, bind().await?)
            .await
            .map_err(|e| format!("verifier: {e}"))?;
        story.verifier_url = format!("http://{}", running.addr());
        story.verifier = Some(running);
        Ok(story)
    }

    /// Funds `key` on L1 and starts a sequencer with it in `subdir`.
    async fn start_sequencer(
        &mut self,
        key: SigningKey,
        subdir: &str,
        bootstrap: bool,
    ) -> Result<(), String> {
        self.faucet(&address_of(&key), 100_000_000).await?;
        let url = self.l1.base_url().to_string();
        let mut config =
            sequencer::Config::new(self.dir.join(subdir), url, self.genesis.clone(), key);
        config.batch_interval = Duration::from_millis(20);
        config.keeper_interval = None;
        config.bootstrap_from_l1 = bootstrap;
        let running = sequencer::start(config, bind().await?)
            .await
            .map_err(|e| format!("sequencer: {e}"))?;
        let client = SequencerClient::new(&format!("http://{}", running.addr()));
        self.seq = Some((running, client));
        Ok(())
    }

    async fn stop_sequencer(&mut self) {
        if let Some((running, _)) = self.seq.take() {
            running.shutdown().await;
        }
    }

    async fn stop(&mut self) {
        self.stop_sequencer().await;
        if let Some(v) = self.verifier.take() {
            let _ = v.shutdown().await;
        }
        if let Some(l1) = self.l1_running.take() {
            let _ = l1.shutdown().await;
        }
    }

    fn seq(&self) -> Result<&SequencerClient, String> {
        self.seq
            .as_ref()
            .map(|(_, c)| c)
            .ok_or_else(|| "no sequencer is running".to_string())
    }

    async fn faucet(&self, address: &Address, amount: u64) -> Result<(), String> {
        let request = FaucetRequest {
            address: *address,
            amount,
        };
        self.l1
            .faucet(&request)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    async fn mine(&self, blocks: u64) -> Result<u64, String> {
        let mined = self
            .l1
            .mine(&MineRequest {
                blocks: blocks.max(1),
                timestamp_ms: None,
            })
            .await
            .map_err(|e| e.to_string())?;
        Ok(mined.block.number)
    }

    async fn head(&self) -> u64 {
        self.l1.status().await.map_or(0, |s| s.block.number)
    }

    fn sign(&self, key: &SigningKey, action: Action) -> SignedAction {
        sign_action(
            key,
            action,
            &protocol::batch::domain_separator(&self.genesis),
        )
    }

    /// Waits (bounded) until `check` yields.
    async fn until<T, F, Fut>(&self, what: &str, check: F) -> Result<T, String>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Poll<T>>,
    {
        poll_until(what, self.limit, Duration::from_millis(20), check)
            .await
            .map_err(|e| e.to_string())
    }

    async fn tell(&mut self, t: &mut Timeline) -> Step {
        self.trade(t).await.map_err(|e| ("traded", e))?;
        self.lose_sequencer(t)
            .await
            .map_err(|e| ("sequencer_lost", e))?;
        self.force(t).await.map_err(|e| ("forced", e))?;
        self.pass_deadline(t)
            .await
            .map_err(|e| ("deadline_passed", e))?;
        self.promote(t).await.map_err(|e| ("promoted", e))?;
        let id = self.included(t).await.map_err(|e| ("forced_included", e))?;
        self.claim_withdrawal(t, id)
            .await
            .map_err(|e| ("withdrawal_claimed", e))?;
        self.silence(t).await.map_err(|e| ("silence", e))?;
        self.freeze(t).await.map_err(|e| ("frozen", e))?;
        let owed = self
            .claim_exits(t)
            .await
            .map_err(|e| ("exits_claimed", e))?;
        self.payout(t, owed).await.map_err(|e| ("exits_paid", e))
    }
}

mod acts;
