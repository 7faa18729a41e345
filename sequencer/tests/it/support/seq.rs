//! `Seq`: the sequencer run in-process by `sequencer::start` on 127.0.0.1:0, against an `L1`,
//! plus a small typed client.

use super::l1::L1;
use super::{addr, genesis, sequencer_key, wait_for};
use k256::ecdsa::SigningKey;
use protocol::action::SignedAction;
use protocol::api::sequencer::{
    AccountResponse, BatchInfo, StatusResponse, TxAccepted, WithdrawalStatus, WithdrawalView,
};
use protocol::api::settlement::ClaimWithdrawalCall;
use protocol::primitives::Address;
use sequencer::Config;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::time::Duration;
use tempfile::TempDir;
use test_support::{bind_loopback, send_for_text};

#[derive(Debug)]
pub struct Seq {
    pub url: String,
    pub http: reqwest::Client,
    dir: Option<TempDir>,
    running: Option<sequencer::Running>,
}

/// Fast batching for tests: seal after 4 transactions or 20 ms.
pub fn test_config(l1: &L1, dir: &std::path::Path) -> Config {
    let mut config = Config::new(
        dir.to_path_buf(),
        l1.url.clone(),
        genesis(),
        sequencer_key(),
    );
    config.batch_max_txs = 64;
    config.batch_interval = Duration::from_millis(20);
    config.snapshot_every_batches = 2;
    config.keeper_interval = Some(Duration::from_millis(50));
    config
}

impl Seq {
    /// The call that claims withdrawal `id` of `key`'s account on L1, with the proof this
    /// sequencer serves once the withdrawal's batch is final (waits up to `limit`).
    pub async fn claim_call(
        &self,
        key: &SigningKey,
        id: u64,
        limit: Duration,
    ) -> ClaimWithdrawalCall {
        let view = wait_for("the withdrawal claimable", limit, || async {
            let view: WithdrawalView = self.get(&format!("/v1/withdrawals/{id}")).await;
            matches!(view.status, WithdrawalStatus::Claimable { .. }).then_some(view)
        })
        .await;
        let WithdrawalStatus::Claimable {
            proof_batch_index,
            proof,
        } = view.status
        else {
            unreachable!("waited for claimable")
        };
        ClaimWithdrawalCall {
            batch_index: proof_batch_index,
            withdrawal_id: id,
            account: addr(key),
            amount: view.amount,
            proof,
        }
    }

    /// Funds the sequencer's L1 account (it bonds at start) and starts it.
    pub async fn start(l1: &L1) -> Seq {
        Seq::start_with(l1, |_| {}).await
    }

    /// Never bonded and without a keeper: every batch it seals is refused by the
    /// settlement layer and stays local.
    pub async fn start_unbonded(l1: &L1) -> Seq {
        Seq::start_with(l1, |c| {
            c.auto_bond = false;
            c.keeper_interval = None;
        })
        .await
    }

    pub async fn start_with(l1: &L1, tweak: impl FnOnce(&mut Config)) -> Seq {
        super::init_logs();
        l1.faucet(&addr(&sequencer_key()), 1_000_000).await;
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = test_config(l1, dir.path());
        tweak(&mut config);
        Seq::launch(config, dir).await
    }

    pub async fn launch(config: Config, dir: TempDir) -> Seq {
        let (listener, url) = bind_loopback().await;
        let running = sequencer::start(config, listener)
            .await
            .expect("the sequencer starts");
        Seq {
            url,
            http: reqwest::Client::new(),
            dir: Some(dir),
            running: Some(running),
        }
    }

    /// The data dir this sequencer runs on.
    pub fn data_dir(&self) -> &std::path::Path {
        self.dir.as_ref().expect("data dir").path()
    }

    /// Graceful shutdown (`Running::shutdown`). Gives back the data dir.
    pub async fn stop(mut self) -> TempDir {
        if let Some(running) = self.running.take() {
            running.shutdown().await;
        }
        self.dir.take().expect("data dir")
    }

    pub async fn get_raw(&self, path: &str) -> (u16, Value) {
        let request = self.http.get(format!("{}{path}", self.url));
        json_or_text(send_for_text(request).await)
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> T {
        let (status, body) = self.get_raw(path).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_value(body).expect("typed body")
    }

    pub async fn post_raw(&self, path: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
        let request = test_support::json_post(&self.http, format!("{}{path}", self.url), body);
        json_or_text(send_for_text(request).await)
    }

    pub async fn post<B: Serialize>(&self, path: &str, body: &B) -> (u16, Value) {
        self.post_raw(path, serde_json::to_vec(body).expect("JSON"))
            .await
    }

    /// Submits one action that must be accepted.
    pub async fn submit(&self, action: &SignedAction) -> TxAccepted {
        let (status, body) = self.post("/v1/tx", action).await;
        assert_eq!(
            status,
            200,
            "{} rejected: {body}",
            action.action.type_name()
        );
        serde_json::from_value(body).expect("TxAccepted")
    }

    pub async fn status(&self) -> StatusResponse {
        self.get("/v1/status").await
    }

    pub async fn account(&self, address: &Address) -> AccountResponse {
        self.get(&format!("/v1/accounts/{address}")).await
    }

    pub async fn batch(&self, index: u64) -> BatchInfo {
        self.get(&format!("/v1/batches/{index}")).await
    }

    /// Waits until `address` holds at least `collateral` on L2 (its deposit was included).
    pub async fn wait_collateral(&self, address: &Address, collateral: i128) {
        super::wait_for(
            "a deposit to be credited",
            Duration::from_secs(10),
            || async { (self.account(address).await.collateral >= collateral).then_some(()) },
        )
        .await;
    }
}

/// The body as JSON, or as a JSON string where it is not JSON.
fn json_or_text((status, text): (u16, String)) -> (u16, Value) {
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}
