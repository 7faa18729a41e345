//! A typed async HTTP client for the sequencer (`vigil-sequencer`, docs/spec/sequencer.md):
//! one method per endpoint over the `protocol::api::sequencer` DTOs.
//!
//! Submitting returns the soft-confirmation receipt (`TxAccepted`): the action is durable on
//! the sequencer once this returns. A rejected action is a [`ServiceError::Api`] whose
//! `code` is the engine's stable status code (`insufficient_margin`, `nonce_already_used`, …).

use protocol::action::SignedAction;
use protocol::api::history::{CandlesResponse, FillsResponse, Interval, TradesResponse};
use protocol::api::sequencer::{
    AccountResponse, AgentsResponse, BatchInfo, BatchesResponse, BookResponse, BulkResponse,
    MarketsResponse, StatusResponse, TxAccepted, TxListResponse, TxLookup, WithdrawalView,
};
use protocol::primitives::{Address, H256};
use sequencer::http::{AccountOrder, AccountOrdersResponse};
use sequencer::journal::ledger::{
    FundingAccrualsResponse, FundingPaymentsResponse, OrderHistoryResponse, TransfersResponse,
};
use service_client::http::{ServiceError, ServiceHttp};

/// Why a sequencer request did not produce its answer.
pub type SequencerError = ServiceError;

/// The sequencer at one base URL (e.g. `http://127.0.0.1:9550`).
#[derive(Debug, Clone)]
pub struct SequencerClient {
    http: ServiceHttp,
}

impl SequencerClient {
    pub fn new(base_url: &str) -> SequencerClient {
        SequencerClient {
            http: ServiceHttp::new("sequencer", base_url),
        }
    }

    pub fn base_url(&self) -> &str {
        self.http.base_url()
    }

    // --- intake ---

    /// `POST /v1/tx`: one signed action; `Ok` is the durable soft confirmation.
    pub async fn submit(&self, action: &SignedAction) -> Result<TxAccepted, SequencerError> {
        self.http.post("/v1/tx", action).await
    }

    /// `POST /v1/txs`: many actions, each judged on its own.
    pub async fn submit_many(
        &self,
        actions: &[SignedAction],
    ) -> Result<BulkResponse, SequencerError> {
        self.http.post("/v1/txs", actions).await
    }

    // --- reads ---

    pub async fn status(&self) -> Result<StatusResponse, SequencerError> {
        self.http.get("/v1/status").await
    }

    pub async fn account(&self, address: &Address) -> Result<AccountResponse, SequencerError> {
        self.http.get(&format!("/v1/accounts/{address}")).await
    }

    /// The agents `address` approved (`GET /v1/accounts/{address}/agents`).
    pub async fn agents(&self, address: &Address) -> Result<AgentsResponse, SequencerError> {
        self.http
            .get(&format!("/v1/accounts/{address}/agents"))
            .await
    }

    /// The account's trigger orders and TP/SL legs (`GET /v1/accounts/{a}/triggers`).
    pub async fn triggers(
        &self,
        address: &Address,
    ) -> Result<protocol::api::sequencer::TriggersResponse, SequencerError> {
        self.http
            .get(&format!("/v1/accounts/{address}/triggers"))
            .await
    }

    /// The account's open orders, or with `client_id` the one order carrying it, open or
    /// not (`GET /v1/accounts/{a}/orders`).
    pub async fn orders(
        &self,
        address: &Address,
        client_id: Option<u128>,
    ) -> Result<AccountOrdersResponse, SequencerError> {
        let query = client_id.map_or_else(String::new, |id| format!("?client_id={id}"));
        self.http
            .get(&format!("/v1/accounts/{address}/orders{query}"))
            .await
    }

    /// One order of the account by its id, with its status (`GET /v1/accounts/{a}/orders/{id}`).
    pub async fn order(&self, address: &Address, id: u64) -> Result<AccountOrder, SequencerError> {
        self.http
            .get(&format!("/v1/accounts/{address}/orders/{id}"))
            .await
    }

    /// Every genesis parameter with its canonical bytes and hash (`GET /v1/genesis`).
    pub async fn genesis(&self) -> Result<protocol::api::genesis::GenesisView, SequencerError> {
        self.http.get("/v1/genesis").await
    }

    pub async fn markets(&self) -> Result<MarketsResponse, SequencerError> {
        self.http.get("/v1/markets").await
    }

    /// The book of market `market_id`, `levels` price levels per side.
    pub async fn book(&self, market_id: u32, levels: u32) -> Result<BookResponse, SequencerError> {
        self.http
            .get(&format!("/v1/markets/{market_id}/book?levels={levels}"))
            .await
    }

    pub async fn tx(&self, hash: &H256) -> Result<TxLookup, SequencerError> {
        self.http.get(&format!("/v1/txs/{hash}")).await
    }

    /// Sequenced transactions in order, after `after_seq` (from the first when `None`).
    pub async fn txs(
        &self,
        after_seq: Option<u64>,
        limit: u64,
    ) -> Result<TxListResponse, SequencerError> {
        let after = after_seq.map_or(String::new(), |a| format!("&after_seq={a}"));
        self.http
            .get(&format!("/v1/txs?limit={limit}{after}"))
            .await
    }

    pub async fn batches(&self, from: u64, limit: u64) -> Result<BatchesResponse, SequencerError> {
        self.http
            .get(&format!("/v1/batches?from={from}&limit={limit}"))
            .await
    }

    pub async fn batch(&self, index: u64, with_data: bool) -> Result<BatchInfo, SequencerError> {
        self.http
            .get(&format!("/v1/batches/{index}?data={with_data}"))
            .await
    }

    // --- history (newest first, `before_seq` the previous page's `next_before_seq`) ---

    /// `address`'s fills with `seq < before_seq`, newest first, in whole transactions.
    pub async fn fills(
        &self,
        address: &Address,
        before_seq: Option<u64>,
        limit: u64,
    ) -> Result<FillsResponse, SequencerError> {
        let before = before_seq.map_or(String::new(), |b| format!("&before_seq={b}"));
        self.http
            .get(&format!(
                "/v1/accounts/{address}/fills?limit={limit}{before}"
            ))
            .await
    }

    /// One newest-first page of the history at `path` below `before_seq`.
    async fn history_page<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        before_seq: Option<u64>,
        limit: u64,
    ) -> Result<T, SequencerError> {
        let before = before_seq.map_or(String::new(), |b| format!("&before_seq={b}"));
        self.http
            .get(&format!("{path}?limit={limit}{before}"))
            .await
    }

    /// `address`'s orders with what became of each, newest first.
    pub async fn order_history(
        &self,
        address: &Address,
        before_seq: Option<u64>,
        limit: u64,
    ) -> Result<OrderHistoryResponse, SequencerError> {
        let path = format!("/v1/accounts/{address}/orders/history");
        self.history_page(&path, before_seq, limit).await
    }

    /// Funding settled into `address`'s positions, newest first.
    pub async fn funding_payments(
        &self,
        address: &Address,
        before_seq: Option<u64>,
        limit: u64,
    ) -> Result<FundingPaymentsResponse, SequencerError> {
        let path = format!("/v1/accounts/{address}/funding");
        self.history_page(&path, before_seq, limit).await
    }

    /// `address`'s deposits and withdrawals, newest first.
    pub async fn transfers(
        &self,
        address: &Address,
        before_seq: Option<u64>,
        limit: u64,
    ) -> Result<TransfersResponse, SequencerError> {
        let path = format!("/v1/accounts/{address}/transfers");
        self.history_page(&path, before_seq, limit).await
    }

    /// Market `market_id`'s funding accruals (its funding-rate history), newest first.
    pub async fn funding_accruals(
        &self,
        market_id: u32,
        before_seq: Option<u64>,
        limit: u64,
    ) -> Result<FundingAccrualsResponse, SequencerError> {
        let path = format!("/v1/markets/{market_id}/funding");
        self.history_page(&path, before_seq, limit).await
    }

    /// Market `market_id`'s trades with `seq < before_seq`, newest first.
    pub async fn trades(
        &self,
        market_id: u32,
        before_seq: Option<u64>,
        limit: u64,
    ) -> Result<TradesResponse, SequencerError> {
        let before = before_seq.map_or(String::new(), |b| format!("&before_seq={b}"));
        self.http
            .get(&format!(
                "/v1/markets/{market_id}/trades?limit={limit}{before}"
            ))
            .await
    }

    /// Market `market_id`'s candles of trades from `from_ms` on (all when `None`), oldest
    /// first, at most `limit`.
    pub async fn candles(
        &self,
        market_id: u32,
        interval: Interval,
        from_ms: Option<u64>,
        limit: u64,
    ) -> Result<CandlesResponse, SequencerError> {
        let from = from_ms.map_or(String::new(), |f| format!("&from_ms={f}"));
        self.http
            .get(&format!(
                "/v1/markets/{market_id}/candles?interval={interval}&limit={limit}{from}"
            ))
            .await
    }

    /// A withdrawal's one status (pending → … → claimable with its proof → claimed).
    pub async fn withdrawal(&self, id: u64) -> Result<WithdrawalView, SequencerError> {
        self.http.get(&format!("/v1/withdrawals/{id}")).await
    }

    /// The Prometheus exposition text.
    pub async fn metrics(&self) -> Result<String, SequencerError> {
        self.http.get_text("/metrics").await
    }
}
