//! `L1`: the settlement layer (`contracts-mock`) run in-process on 127.0.0.1:0 with a
//! temporary data dir and hand-mined blocks, plus a small typed client.

use super::addr;
use contracts_mock::Config;
use k256::ecdsa::SigningKey;
use protocol::api::settlement::{
    AccountResponse, BatchView, BatchesResponse, DepositCall, DepositResponse, FaucetRequest,
    L1CallData, MineRequest, MineResponse, SignedCall, l1_domain_separator,
};
use protocol::batch::{Batch, execute_batch, genesis_anchor, genesis_tree};
use protocol::codec::Decode;
use protocol::primitives::{Address, H256};
use protocol::tree::Tree;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tempfile::TempDir;

/// Challenge window W of the test chain, in blocks.
pub const WINDOW: u64 = 3;

#[derive(Debug)]
pub struct L1 {
    pub url: String,
    pub http: reqwest::Client,
    pub config: Config,
    _dir: TempDir,
    running: Option<contracts_mock::Running>,
}

impl L1 {
    /// A chain with our genesis, manual blocks, W = 3, D = 4, bond 1000, and a drift bound
    /// wide enough that wall-clock batch timestamps always pass.
    pub async fn start() -> L1 {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config::new(dir.path().to_path_buf(), super::genesis());
        config.block_time_ms = None;
        config.challenge_window_blocks = WINDOW;
        config.force_inclusion_deadline_blocks = 4;
        config.min_sequencer_bond = 1_000;
        config.max_timestamp_drift_ms = 3_600_000;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let running = contracts_mock::start(config.clone(), listener)
            .await
            .expect("the settlement layer starts");
        let url = format!("http://{}", running.addr());
        L1 {
            url,
            http: reqwest::Client::new(),
            config,
            _dir: dir,
            running: Some(running),
        }
    }

    pub fn domain(&self) -> H256 {
        let g = &self.config.genesis;
        l1_domain_separator(g.chain_id, &g.verifying_contract)
    }

    pub async fn get_raw(&self, path: &str) -> (u16, Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .expect("GET the settlement layer");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON body"))
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> T {
        let (status, body) = self.get_raw(path).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_value(body).expect("typed body")
    }

    pub async fn post(&self, path: &str, body: &impl Serialize) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.url))
            .json(body)
            .send()
            .await
            .expect("POST the settlement layer");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON body"))
    }

    pub async fn account(&self, address: &Address) -> AccountResponse {
        self.get(&format!("/v1/accounts/{address}")).await
    }

    pub async fn faucet(&self, address: &Address, amount: u64) {
        let (status, body) = self
            .post(
                "/v1/faucet",
                &FaucetRequest {
                    address: *address,
                    amount,
                },
            )
            .await;
        assert_eq!(status, 200, "faucet: {body}");
    }

    /// Mines `blocks` blocks stamped with the wall clock.
    pub async fn mine(&self, blocks: u64) -> MineResponse {
        let (status, body) = self
            .post(
                "/v1/admin/mine",
                &MineRequest {
                    blocks,
                    timestamp_ms: None,
                },
            )
            .await;
        assert_eq!(status, 200, "mine: {body}");
        serde_json::from_value(body).expect("mine response")
    }

    /// A call signed by `key` with its next L1 nonce.
    pub async fn call<C: L1CallData + Serialize>(
        &self,
        path: &str,
        key: &SigningKey,
        call: C,
    ) -> (u16, Value) {
        let nonce = self.account(&addr(key)).await.nonce;
        self.post(path, &SignedCall::sign(key, nonce, call, &self.domain()))
            .await
    }

    /// Faucet + deposit of `amount` to `key`'s own L2 account.
    pub async fn deposit(&self, key: &SigningKey, amount: u64) -> DepositResponse {
        self.faucet(&addr(key), amount).await;
        let call = DepositCall {
            account: addr(key),
            amount,
        };
        let (status, body) = self.call("/v1/deposit", key, call).await;
        assert_eq!(status, 200, "deposit: {body}");
        serde_json::from_value(body).expect("deposit response")
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
        let genesis = super::genesis();
        let mut tree = genesis_tree(&genesis);
        let mut prev_hash = genesis_anchor(&genesis);
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
            let execution = execute_batch(&mut tree, &genesis, &batch).expect("a full tree");
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

    pub async fn shutdown(&mut self) {
        if let Some(running) = self.running.take() {
            running
                .shutdown()
                .await
                .expect("settlement layer stops cleanly");
        }
    }
}
