//! `Node`: one settlement-layer server per test, run in-process by `contracts_mock::start` on
//! 127.0.0.1:0 with a temporary data dir and hand-mined blocks, plus a typed HTTP client.

use super::{addr, alice, bob, carol, expect_ok, sequencer};
use contracts_mock::Config;
use k256::ecdsa::SigningKey;
use protocol::api::settlement::{
    AccountResponse, BondCall, BondsResponse, DepositCall, DepositResponse, EventsResponse,
    FaucetRequest, L1CallData, MineRequest, MineResponse, PostBatchCall, QueueResponse, SignedCall,
    StatusResponse,
};
use protocol::batch::Batch;
use protocol::codec::Encode;
use protocol::genesis::Genesis;
use protocol::primitives::{Address, H256};
use serde::Serialize;
use serde_json::Value;
use tempfile::TempDir;

/// The test chain: the devnet genesis (with the devnet oracle key's address as oracle) and
/// K = 2, so small batches have several chunks.
pub fn test_genesis() -> Genesis {
    let oracle = protocol::signing::address_of(&protocol::genesis::devnet_oracle_key());
    let mut genesis = Genesis::devnet(31337, Config::default_rollup_address(), oracle);
    genesis.checkpoint_interval_txs = 2;
    genesis
}

/// Small, exact numbers: W = 5 blocks, D = 4 blocks, bond 1000, half of a slash to the
/// challenger, 10 s drift.
pub fn test_config(dir: &std::path::Path) -> Config {
    let mut config = Config::new(dir.to_path_buf(), test_genesis());
    config.block_time_ms = None;
    config.challenge_window_blocks = 5;
    config.force_inclusion_deadline_blocks = 4;
    config.min_sequencer_bond = 1_000;
    config.min_challenger_bond = 0;
    config.slash_share_bps = 5_000;
    config.max_timestamp_drift_ms = 10_000;
    config.faucet_max_amount = 1_000_000_000;
    config
}

/// Everything a refused call must leave untouched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub status: StatusResponse,
    pub accounts: Vec<AccountResponse>,
    pub bonds: BondsResponse,
    pub queue: QueueResponse,
}

#[derive(Debug)]
pub struct Node {
    pub url: String,
    pub http: reqwest::Client,
    pub config: Config,
    dir: Option<TempDir>,
    running: Option<contracts_mock::Running>,
}

impl Node {
    pub async fn start() -> Node {
        Node::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Node {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = test_config(dir.path());
        tweak(&mut config);
        Node::launch(config, dir).await
    }

    async fn launch(config: Config, dir: TempDir) -> Node {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let running = contracts_mock::start(config.clone(), listener)
            .await
            .expect("the settlement layer starts");
        let url = format!("http://{}", running.addr());
        Node {
            url,
            http: reqwest::Client::new(),
            config,
            dir: Some(dir),
            running: Some(running),
        }
    }

    /// A client for a server run elsewhere (the real binary), configured as `config`.
    pub fn attach(url: String, config: Config) -> Node {
        Node {
            url,
            http: reqwest::Client::new(),
            config,
            dir: None,
            running: None,
        }
    }

    /// Graceful shutdown, then a new server on the same data dir.
    pub async fn restart(mut self) -> Node {
        self.shutdown().await;
        let dir = self.dir.take().expect("data dir");
        Node::launch(self.config.clone(), dir).await
    }

    /// Stops the server and waits for `run` to return (it must return `Ok`).
    pub async fn shutdown(&mut self) {
        if let Some(running) = self.running.take() {
            running
                .shutdown()
                .await
                .expect("shutdown returns Ok after serving");
        }
    }

    pub fn domain(&self) -> H256 {
        protocol::api::settlement::l1_domain_separator(
            self.config.genesis.chain_id,
            &self.config.genesis.verifying_contract,
        )
    }

    pub fn genesis(&self) -> &Genesis {
        &self.config.genesis
    }

    pub async fn get_raw(&self, path: &str) -> (u16, Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .expect("GET");
        answer(response).await
    }

    pub async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        expect_ok(self.get_raw(path).await)
    }

    /// POSTs `body`; then, whatever the answer, checks the supply accounting, so that the
    /// invariant is asserted after every operation of every test.
    pub async fn post_raw(&self, path: &str, body: &impl Serialize) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.url))
            .json(body)
            .send()
            .await
            .expect("POST");
        let answer = answer(response).await;
        Node::assert_conserved(&self.status().await);
        answer
    }

    /// A call signed by `key` with its next nonce.
    pub async fn call<C: L1CallData + Serialize>(
        &self,
        path: &str,
        key: &SigningKey,
        call: C,
    ) -> (u16, Value) {
        let nonce = self.account(&addr(key)).await.nonce;
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

    pub async fn events(&self, after: u64) -> EventsResponse {
        self.get(&format!("/v1/events?after={after}&limit=1000"))
            .await
    }

    pub async fn faucet(&self, address: &Address, amount: u64) {
        let _: Value = expect_ok(
            self.post_raw(
                "/v1/faucet",
                &FaucetRequest {
                    address: *address,
                    amount,
                },
            )
            .await,
        );
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

    pub async fn mine_at(&self, blocks: u64, timestamp_ms: u64) -> MineResponse {
        expect_ok(
            self.post_raw(
                "/v1/admin/mine",
                &MineRequest {
                    blocks,
                    timestamp_ms: Some(timestamp_ms),
                },
            )
            .await,
        )
    }

    /// Faucet + bond: `key` holds a bond of `amount` (and `amount` more as balance).
    pub async fn fund_and_bond(&self, key: &SigningKey, amount: u64) {
        self.faucet(&addr(key), 2 * amount).await;
        let _: Value = expect_ok(self.call("/v1/bond", key, BondCall { amount }).await);
    }

    /// Faucet + deposit of `amount` credited to `key`'s own L2 account.
    pub async fn deposit(&self, key: &SigningKey, amount: u64) -> DepositResponse {
        self.faucet(&addr(key), amount).await;
        expect_ok(
            self.call(
                "/v1/deposit",
                key,
                DepositCall {
                    account: addr(key),
                    amount,
                },
            )
            .await,
        )
    }

    /// Posts `batch` signed by `key`.
    pub async fn post(&self, key: &SigningKey, batch: &Batch) -> (u16, Value) {
        self.call("/v1/batches", key, PostBatchCall::Data(batch.encode()))
            .await
    }

    pub async fn snapshot(&self) -> Snapshot {
        let mut accounts = Vec::new();
        for key in [sequencer(), alice(), bob(), carol()] {
            accounts.push(self.account(&addr(&key)).await);
        }
        Snapshot {
            status: self.status().await,
            accounts,
            bonds: self.get("/v1/bonds").await,
            queue: self.get("/v1/queue?limit=1000").await,
        }
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
}

async fn answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("non-JSON body with status {status}: {text:?}"));
    (status, body)
}
