//! The real settlement layer (`contracts_mock::start`) in-process on 127.0.0.1:0, with a
//! temporary data dir and hand-mined blocks, plus a small typed HTTP client.

use k256::ecdsa::SigningKey;
use protocol::api::settlement::{
    AccountResponse, BondCall, Event, EventKind, EventsResponse, FaucetRequest, L1CallData,
    MineRequest, MineResponse, SignedCall, StatusResponse, l1_domain_separator,
};
use protocol::genesis::Genesis;
use protocol::primitives::{Address, H256};
use protocol::signing::address_of;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// W: a batch is challengeable for this many blocks after the one it was posted in.
pub const WINDOW: u64 = 12;
pub const MIN_SEQUENCER_BOND: u64 = 1_000;
/// The tests run with a challenger bond, so the verifiers' "bond first" path is exercised.
pub const MIN_CHALLENGER_BOND: u64 = 100;

#[derive(Debug)]
pub struct Node {
    pub url: String,
    pub http: reqwest::Client,
    pub genesis: Genesis,
    _dir: TempDir,
    running: Option<contracts_mock::Running>,
}

impl Node {
    pub async fn start(genesis: &Genesis) -> Node {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = contracts_mock::Config::new(dir.path().to_path_buf(), genesis.clone());
        config.block_time_ms = None;
        config.challenge_window_blocks = WINDOW;
        config.force_inclusion_deadline_blocks = 1_000;
        config.min_sequencer_bond = MIN_SEQUENCER_BOND;
        config.min_challenger_bond = MIN_CHALLENGER_BOND;
        config.slash_share_bps = 5_000;
        config.max_timestamp_drift_ms = 10_000;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let running = contracts_mock::start(config, listener)
            .await
            .expect("the settlement layer starts");
        let url = format!("http://{}", running.addr());
        Node {
            url,
            http: reqwest::Client::new(),
            genesis: genesis.clone(),
            _dir: dir,
            running: Some(running),
        }
    }

    /// Stops the server; `shutdown` must return `Ok`.
    pub async fn shutdown(mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown().await.expect("shutdown returns Ok");
        }
    }

    pub fn domain(&self) -> H256 {
        l1_domain_separator(self.genesis.chain_id, &self.genesis.verifying_contract)
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> T {
        let response = self
            .http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .expect("GET");
        let status = response.status();
        let body: Value = response.json().await.expect("JSON body");
        assert!(status.is_success(), "GET {path}: {status} {body}");
        serde_json::from_value(body).expect("decodes")
    }

    pub async fn post_raw(&self, path: &str, body: &impl Serialize) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.url))
            .json(body)
            .send()
            .await
            .expect("POST");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON body"))
    }

    /// A call signed by `key` with its next nonce; must succeed.
    pub async fn call<C: L1CallData + Serialize, R: DeserializeOwned>(
        &self,
        path: &str,
        key: &SigningKey,
        call: C,
    ) -> R {
        let nonce = self.account(&address_of(key)).await.nonce;
        let signed = SignedCall::sign(key, nonce, call, &self.domain());
        let (status, body) = self.post_raw(path, &signed).await;
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_value(body).expect("decodes")
    }

    pub async fn status(&self) -> StatusResponse {
        self.get("/v1/status").await
    }

    pub async fn account(&self, address: &Address) -> AccountResponse {
        self.get(&format!("/v1/accounts/{address}")).await
    }

    pub async fn faucet(&self, address: &Address, amount: u64) {
        let (status, body) = self
            .post_raw(
                "/v1/faucet",
                &FaucetRequest {
                    address: *address,
                    amount,
                },
            )
            .await;
        assert_eq!(status, 200, "faucet: {body}");
    }

    /// Faucet + bond: `key` holds a bond of `amount`.
    pub async fn fund_and_bond(&self, key: &SigningKey, amount: u64) {
        self.faucet(&address_of(key), amount).await;
        let _: Value = self.call("/v1/bond", key, BondCall { amount }).await;
    }

    /// Mines `blocks` blocks, one second of L1 time after the head.
    pub async fn mine(&self, blocks: u64) -> MineResponse {
        let head = self.status().await.block;
        let (status, body) = self
            .post_raw(
                "/v1/admin/mine",
                &MineRequest {
                    blocks,
                    timestamp_ms: Some(head.timestamp_ms + 1_000),
                },
            )
            .await;
        assert_eq!(status, 200, "mine: {body}");
        serde_json::from_value(body).expect("decodes")
    }

    pub async fn events(&self, after: u64, wait_ms: u64) -> EventsResponse {
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
            let page = self.events(after, 1_000).await;
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
