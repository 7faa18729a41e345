//! `SettlementLayer`: the real settlement layer (`contracts_mock::start`) in-process on
//! 127.0.0.1:0 with a temporary data dir and hand-mined blocks, plus a small typed HTTP
//! client. The contracts-mock, sequencer and verifier tests each wrap it with their own
//! chain terms (challenge window, deadlines, bonds) and test keys.

use crate::loopback::{bind_loopback, send_for_text};
use contracts_mock::{Config, Running};
use k256::ecdsa::SigningKey;
use protocol::api::settlement::{
    AccountResponse, BatchView, BatchesResponse, BondCall, DepositCall, DepositResponse, Event,
    EventKind, EventsResponse, FaucetRequest, L1CallData, MineRequest, MineResponse, PostBatchCall,
    SignedCall, StatusResponse, l1_domain_separator,
};
use protocol::batch::{Batch, execute_batch, genesis_anchor, genesis_tree};
use protocol::codec::{Decode, Encode};
use protocol::genesis::Genesis;
use protocol::primitives::{Address, H256};
use protocol::signing::address_of;
use protocol::tree::Tree;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// A settlement layer served in this process (or attached to one served elsewhere).
#[derive(Debug)]
pub struct SettlementLayer {
    pub url: String,
    pub http: reqwest::Client,
    pub config: Config,
    dir: Option<TempDir>,
    running: Option<Running>,
    /// Whether every POST is followed by a check of the supply accounting.
    audits_supply: bool,
}

impl SettlementLayer {
    /// Starts on a fresh temporary data dir with `genesis` and hand-mined blocks; `tweak`
    /// sets the chain's terms (and may turn timed blocks back on).
    pub async fn start(genesis: Genesis, tweak: impl FnOnce(&mut Config)) -> SettlementLayer {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config::new(dir.path().to_path_buf(), genesis);
        config.block_time_ms = None;
        tweak(&mut config);
        SettlementLayer::launch(config, dir).await
    }

    async fn launch(config: Config, dir: TempDir) -> SettlementLayer {
        let (listener, url) = bind_loopback().await;
        let running = contracts_mock::start(config.clone(), listener)
            .await
            .expect("the settlement layer starts");
        let mut layer = SettlementLayer::attach(url, config);
        layer.dir = Some(dir);
        layer.running = Some(running);
        layer
    }

    /// A client for a server run elsewhere (the real binary), configured as `config`.
    pub fn attach(url: String, config: Config) -> SettlementLayer {
        SettlementLayer {
            url,
            http: reqwest::Client::new(),
            config,
            dir: None,
            running: None,
            audits_supply: false,
        }
    }

    /// From now on every POST, whatever its answer, is followed by a check that the supply
    /// accounting holds, so the invariant is asserted after every operation of a test.
    pub fn auditing_supply(mut self) -> SettlementLayer {
        self.audits_supply = true;
        self
    }

    /// Graceful shutdown, then a new server on the same data dir.
    pub async fn restart(mut self) -> SettlementLayer {
        self.shutdown().await;
        let dir = self.dir.take().expect("data dir");
        let audits_supply = self.audits_supply;
        let mut layer = SettlementLayer::launch(self.config.clone(), dir).await;
        layer.audits_supply = audits_supply;
        layer
    }

    /// Stops the server and waits for it to finish (it must stop cleanly).
    pub async fn shutdown(&mut self) {
        if let Some(running) = self.running.take() {
            running
                .shutdown()
                .await
                .expect("the settlement layer stops cleanly");
        }
    }

    /// The domain separator of signed settlement-layer calls.
    pub fn domain(&self) -> H256 {
        l1_domain_separator(self.genesis().chain_id, &self.genesis().verifying_contract)
    }

    pub fn genesis(&self) -> &Genesis {
        &self.config.genesis
    }

    pub async fn get_raw(&self, path: &str) -> (u16, Value) {
        let request = self.http.get(format!("{}{path}", self.url));
        json_answer(send_for_text(request).await)
    }

    /// A GET that must answer 200, decoded.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> T {
        expect_ok(self.get_raw(path).await)
    }

    /// POSTs `body` as JSON (then audits the supply, if asked to).
    pub async fn post_raw(&self, path: &str, body: &impl Serialize) -> (u16, Value) {
        let request = self.http.post(format!("{}{path}", self.url)).json(body);
        let answer = json_answer(send_for_text(request).await);
        if self.audits_supply {
            assert_conserved(&self.status().await);
        }
        answer
    }

    /// A call signed by `key` with its next nonce.
    pub async fn call<C: L1CallData + Serialize>(
        &self,
        path: &str,
        key: &SigningKey,
        call: C,
    ) -> (u16, Value) {
        let nonce = self.account(&address_of(key)).await.nonce;
        self.call_at(path, key, nonce, call).await
    }

    /// A call signed by `key` at `nonce`.
    pub async fn call_at<C: L1CallData + Serialize>(
        &self,
        path: &str,
        key: &SigningKey,
        nonce: u64,
        call: C,
    ) -> (u16, Value) {
        self.post_raw(path, &SignedCall::sign(key, nonce, call, &self.domain()))
            .await
    }

    pub async fn status(&self) -> StatusResponse {
        self.get("/v1/status").await
    }

    pub async fn account(&self, address: &Address) -> AccountResponse {
        self.get(&format!("/v1/accounts/{address}")).await
    }

    pub async fn faucet(&self, address: &Address, amount: u64) {
        let request = FaucetRequest {
            address: *address,
            amount,
        };
        let _: Value = expect_ok(self.post_raw("/v1/faucet", &request).await);
    }

    /// Mines `blocks` blocks, one second of L1 time after the head.
    pub async fn mine(&self, blocks: u64) -> MineResponse {
        let head = self.status().await.block;
        self.mine_at(blocks, head.timestamp_ms + 1_000).await
    }

    /// Mines until the head block is `number`.
    pub async fn mine_to(&self, number: u64) -> MineResponse {
        let head = self.status().await.block;
        assert!(
            number > head.number,
            "the head is already at {}",
            head.number
        );
        self.mine(number - head.number).await
    }

    /// Mines `blocks` blocks stamped `timestamp_ms`.
    pub async fn mine_at(&self, blocks: u64, timestamp_ms: u64) -> MineResponse {
        self.mine_stamped(blocks, Some(timestamp_ms)).await
    }

    /// Mines `blocks` blocks stamped with the wall clock.
    pub async fn mine_stamped_now(&self, blocks: u64) -> MineResponse {
        self.mine_stamped(blocks, None).await
    }

    async fn mine_stamped(&self, blocks: u64, timestamp_ms: Option<u64>) -> MineResponse {
        let request = MineRequest {
            blocks,
            timestamp_ms,
        };
        expect_ok(self.post_raw("/v1/admin/mine", &request).await)
    }

    /// Faucet + bond: `key` holds a bond of `bond` and `spare` more as balance.
    pub async fn fund_and_bond(&self, key: &SigningKey, bond: u64, spare: u64) {
        self.faucet(&address_of(key), bond + spare).await;
        let call = BondCall { amount: bond };
        let _: Value = expect_ok(self.call("/v1/bond", key, call).await);
    }

    /// Faucet + deposit of `amount` credited to `key`'s own L2 account.
    pub async fn deposit(&self, key: &SigningKey, amount: u64) -> DepositResponse {
        self.faucet(&address_of(key), amount).await;
        expect_ok(self.deposit_call(key, amount).await)
    }

    /// A deposit of `amount` from `key`'s balance to its own L2 account, as answered.
    pub async fn deposit_call(&self, key: &SigningKey, amount: u64) -> (u16, Value) {
        let call = DepositCall {
            account: address_of(key),
            amount,
        };
        self.call("/v1/deposit", key, call).await
    }

    /// Posts `batch` signed by `key`.
    pub async fn post_batch(&self, key: &SigningKey, batch: &Batch) -> (u16, Value) {
        self.call("/v1/batches", key, PostBatchCall::Data(batch.encode()))
            .await
    }

    /// The newest submission with this index, with its data.
    pub async fn batch(&self, index: u64) -> BatchView {
        self.get(&format!("/v1/batches/{index}")).await
    }

    pub async fn live_batches(&self) -> Vec<BatchView> {
        self.get::<BatchesResponse>("/v1/batches?limit=1000")
            .await
            .batches
    }

    /// Re-executes every live batch from genesis with `protocol`, checking the chain links
    /// and every checkpoint. Returns the batches and the honest state after them, or what
    /// is wrong.
    pub async fn replay_chain(&self) -> Result<(Vec<Batch>, Tree), String> {
        let genesis = self.genesis();
        let mut tree = genesis_tree(genesis);
        let mut prev_hash = genesis_anchor(genesis);
        let mut batches = Vec::new();
        for (i, view) in self.live_batches().await.into_iter().enumerate() {
            if view.index != i as u64 {
                return Err(format!("live batch {} where {i} was expected", view.index));
            }
            let data = self.batch(view.index).await.data.ok_or("no batch data")?;
            let batch = Batch::decode(&data).map_err(|e| format!("batch {i}: {e}"))?;
            let h = &batch.header;
            if h.prev_header_hash != prev_hash || h.prev_state_root != tree.root() {
                return Err(format!("batch {i} does not continue the honest chain"));
            }
            let execution = execute_batch(&mut tree, genesis, &batch).expect("a full tree");
            if execution.checkpoints != batch.checkpoints {
                return Err(format!(
                    "batch {i} commits checkpoints re-execution does not give"
                ));
            }
            prev_hash = h.hash();
            batches.push(batch);
        }
        Ok((batches, tree))
    }

    /// Up to 1000 events after `after`, at once.
    pub async fn events(&self, after: u64) -> EventsResponse {
        self.get(&format!("/v1/events?after={after}&limit=1000"))
            .await
    }

    /// Up to 1000 events after `after`, long-polling up to `wait_ms` for the first.
    pub async fn events_within(&self, after: u64, wait_ms: u64) -> EventsResponse {
        self.get(&format!(
            "/v1/events?after={after}&limit=1000&wait_ms={wait_ms}"
        ))
        .await
    }

    /// Waits (long polls, at most `timeout`) for the first event after `after` that
    /// `wanted` accepts.
    pub async fn wait_for_event(
        &self,
        after: u64,
        timeout: Duration,
        wanted: impl Fn(&EventKind) -> bool,
    ) -> Event {
        let started = Instant::now();
        let mut after = after;
        for _ in 0..1_000 {
            let page = self.events_within(after, 1_000).await;
            if let Some(event) = page.events.iter().find(|e| wanted(&e.event)) {
                return event.clone();
            }
            after = page.events.last().map_or(after, |e| e.seq);
            assert!(
                started.elapsed() < timeout,
                "no matching event within {timeout:?} (log at {after})"
            );
        }
        panic!("no matching event after 1000 polls");
    }
}

/// Status and JSON body of an answer; panics on a body that is not JSON.
fn json_answer((status, text): (u16, String)) -> (u16, Value) {
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("non-JSON body with status {status}: {text:?}"));
    (status, body)
}

/// Asserts a 200 answer and decodes it.
#[track_caller]
pub fn expect_ok<T: DeserializeOwned>(answer: (u16, Value)) -> T {
    let (status, body) = answer;
    assert_eq!(status, 200, "expected 200, got {status}: {body}");
    serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("decoding {body}: {e}"))
}

/// Asserts that the supply accounting holds.
#[track_caller]
pub fn assert_conserved(status: &StatusResponse) {
    let s = status.supply;
    assert!(
        s.conserved,
        "minted {} != balances {} + escrow {} + bonds {} + burned {}",
        s.minted, s.balances, s.escrow, s.bonds, s.burned
    );
}
