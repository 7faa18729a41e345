//! A typed async HTTP client for the settlement layer (`contracts-mock`, docs/spec/
//! settlement.md §10): one method per endpoint over the `protocol::api::settlement` DTOs.
//!
//! Signed calls take a signing key and a payload: the client fetches the account's next L1
//! nonce and the L1 domain separator (cached after the first call), signs, and posts. A 4xx
//! or 5xx answer becomes [`ServiceError::Api`] carrying the server's `{code, message}`,
//! so callers can match on the stable code and people read the message.

use crate::service_http::{ServiceError, ServiceHttp};
use k256::ecdsa::SigningKey;
use protocol::api::settlement::{
    AccountResponse, BatchView, BatchesResponse, BondCall, BondResponse, BondsResponse,
    ChallengeCall, ChallengeResponse, ClaimResponse, ClaimWithdrawalCall, DepositCall,
    DepositResponse, EventsResponse, FaucetRequest, FaucetResponse, ForceCall, ForceResponse,
    L1CallData, MineRequest, MineResponse, PostBatchCall, PostBatchResponse, QueueResponse,
    SignedCall, StatusResponse, UnbondCall, WithdrawalResponse,
};
use protocol::primitives::{Address, H256};
use protocol::signing::address_of;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::OnceLock;

/// Why a settlement-layer request did not produce its answer.
pub type SettlementError = ServiceError;

/// The settlement layer at one base URL (e.g. `http://127.0.0.1:9545`).
#[derive(Debug)]
pub struct SettlementClient {
    http: ServiceHttp,
    domain_separator: OnceLock<H256>,
}

impl SettlementClient {
    pub fn new(base_url: &str) -> SettlementClient {
        SettlementClient {
            http: ServiceHttp::new("settlement layer", base_url),
            domain_separator: OnceLock::new(),
        }
    }

    pub fn base_url(&self) -> &str {
        self.http.base_url()
    }

    async fn get<R: DeserializeOwned>(&self, path: &str) -> Result<R, SettlementError> {
        self.http.get(path).await
    }

    async fn post<B: Serialize, R: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<R, SettlementError> {
        self.http.post(path, body).await
    }

    // --- reads ---

    pub async fn health(&self) -> Result<serde_json::Value, SettlementError> {
        self.get("/v1/health").await
    }

    pub async fn status(&self) -> Result<StatusResponse, SettlementError> {
        self.get("/v1/status").await
    }

    pub async fn account(&self, address: &Address) -> Result<AccountResponse, SettlementError> {
        self.get(&format!("/v1/accounts/{address}")).await
    }

    pub async fn bonds(&self) -> Result<BondsResponse, SettlementError> {
        self.get("/v1/bonds").await
    }

    pub async fn batches(&self, from: u64, limit: u64) -> Result<BatchesResponse, SettlementError> {
        self.get(&format!("/v1/batches?from={from}&limit={limit}"))
            .await
    }

    /// The most recent submission with `index`, with its data if `with_data`.
    pub async fn batch(&self, index: u64, with_data: bool) -> Result<BatchView, SettlementError> {
        self.get(&format!("/v1/batches/{index}?data={with_data}"))
            .await
    }

    pub async fn submission(&self, id: u64) -> Result<BatchView, SettlementError> {
        self.get(&format!("/v1/submissions/{id}")).await
    }

    pub async fn queue(&self, from: u64, limit: u64) -> Result<QueueResponse, SettlementError> {
        self.get(&format!("/v1/queue?from={from}&limit={limit}"))
            .await
    }

    /// Events after `after`; with `wait_ms > 0` the server holds the answer until one comes.
    pub async fn events(
        &self,
        after: u64,
        limit: u64,
        wait_ms: u64,
    ) -> Result<EventsResponse, SettlementError> {
        self.get(&format!(
            "/v1/events?after={after}&limit={limit}&wait_ms={wait_ms}"
        ))
        .await
    }

    pub async fn withdrawal(&self, id: u64) -> Result<WithdrawalResponse, SettlementError> {
        self.get(&format!("/v1/withdrawals/{id}")).await
    }

    // --- devnet calls (unsigned) ---

    pub async fn faucet(&self, request: &FaucetRequest) -> Result<FaucetResponse, SettlementError> {
        self.post("/v1/faucet", request).await
    }

    pub async fn mine(&self, request: &MineRequest) -> Result<MineResponse, SettlementError> {
        self.post("/v1/admin/mine", request).await
    }

    // --- signed calls ---

    /// The L1-call domain separator, read from `/v1/status` once.
    pub async fn domain_separator(&self) -> Result<H256, SettlementError> {
        if let Some(domain) = self.domain_separator.get() {
            return Ok(*domain);
        }
        let domain = self.status().await?.params.domain_separator;
        Ok(*self.domain_separator.get_or_init(|| domain))
    }

    /// Signs `call` as `key`'s account with its next L1 nonce (read from the server).
    pub async fn sign<C: L1CallData>(
        &self,
        key: &SigningKey,
        call: C,
    ) -> Result<SignedCall<C>, SettlementError> {
        let domain = self.domain_separator().await?;
        let nonce = self.account(&address_of(key)).await?.nonce;
        Ok(SignedCall::sign(key, nonce, call, &domain))
    }

    pub async fn bond(&self, call: &SignedCall<BondCall>) -> Result<BondResponse, SettlementError> {
        self.post("/v1/bond", call).await
    }

    pub async fn unbond(
        &self,
        call: &SignedCall<UnbondCall>,
    ) -> Result<BondResponse, SettlementError> {
        self.post("/v1/unbond", call).await
    }

    pub async fn deposit(
        &self,
        call: &SignedCall<DepositCall>,
    ) -> Result<DepositResponse, SettlementError> {
        self.post("/v1/deposit", call).await
    }

    pub async fn force(
        &self,
        call: &SignedCall<ForceCall>,
    ) -> Result<ForceResponse, SettlementError> {
        self.post("/v1/force", call).await
    }

    pub async fn post_batch(
        &self,
        call: &SignedCall<PostBatchCall>,
    ) -> Result<PostBatchResponse, SettlementError> {
        self.post("/v1/batches", call).await
    }

    pub async fn challenge(
        &self,
        call: &SignedCall<ChallengeCall>,
    ) -> Result<ChallengeResponse, SettlementError> {
        self.post("/v1/challenge", call).await
    }

    pub async fn claim_withdrawal(
        &self,
        call: &SignedCall<ClaimWithdrawalCall>,
    ) -> Result<ClaimResponse, SettlementError> {
        self.post("/v1/withdrawals/claim", call).await
    }
}
