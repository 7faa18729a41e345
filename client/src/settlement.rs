//! A typed async HTTP client for the settlement layer (`contracts-mock`, docs/spec/
//! settlement.md §10): one method per endpoint over the `protocol::api::settlement` DTOs.
//!
//! Signed calls take a signing key and a payload: the client fetches the account's next L1
//! nonce and the L1 domain separator (cached after the first call), signs, and posts. A 4xx
//! or 5xx answer becomes [`SettlementError::Api`] carrying the server's `{code, message}`,
//! so callers can match on the stable code and people read the message.

use k256::ecdsa::SigningKey;
use protocol::api::settlement::{
    AccountResponse, BatchView, BatchesResponse, BondCall, BondResponse, BondsResponse,
    ChallengeCall, ChallengeResponse, ClaimResponse, ClaimWithdrawalCall, DepositCall,
    DepositResponse, ErrorBody, EventsResponse, FaucetRequest, FaucetResponse, ForceCall,
    ForceResponse, L1CallData, MineRequest, MineResponse, PostBatchCall, PostBatchResponse,
    QueueResponse, SignedCall, StatusResponse, UnbondCall, WithdrawalResponse,
};
use protocol::primitives::{Address, H256};
use protocol::signing::address_of;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::OnceLock;

/// Why a settlement-layer request did not produce its answer.
#[derive(Debug, thiserror::Error)]
pub enum SettlementError {
    #[error("cannot reach the settlement layer at {url} ({what}): {reason}")]
    Unreachable {
        url: String,
        what: String,
        reason: String,
    },
    #[error("settlement layer refused {what} ({status} {code}): {message}")]
    Api {
        what: String,
        status: u16,
        code: String,
        message: String,
        details: Option<serde_json::Value>,
    },
    #[error("unexpected answer from the settlement layer to {what} ({status}): {reason}")]
    BadResponse {
        what: String,
        status: u16,
        reason: String,
    },
}

impl SettlementError {
    /// The server's stable error code, if the server answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            SettlementError::Api { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// The settlement layer at one base URL (e.g. `http://127.0.0.1:9545`).
#[derive(Debug)]
pub struct SettlementClient {
    base: String,
    http: reqwest::Client,
    domain_separator: OnceLock<H256>,
}

impl SettlementClient {
    pub fn new(base_url: &str) -> SettlementClient {
        SettlementClient {
            base: base_url.trim_end_matches('/').to_string(),
            http: reqwest::Client::new(),
            domain_separator: OnceLock::new(),
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    async fn get<R: DeserializeOwned>(&self, path: &str) -> Result<R, SettlementError> {
        let url = format!("{}{path}", self.base);
        let sent = self.http.get(&url).send().await;
        self.answer(&format!("GET {path}"), sent).await
    }

    async fn post<B: Serialize, R: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<R, SettlementError> {
        let url = format!("{}{path}", self.base);
        let sent = self.http.post(&url).json(body).send().await;
        self.answer(&format!("POST {path}"), sent).await
    }

    async fn answer<R: DeserializeOwned>(
        &self,
        what: &str,
        sent: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<R, SettlementError> {
        let unreachable = |e: reqwest::Error| SettlementError::Unreachable {
            url: self.base.clone(),
            what: what.to_string(),
            reason: error_chain(&e),
        };
        let response = sent.map_err(unreachable)?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(unreachable)?;
        if (200..300).contains(&status) {
            return serde_json::from_slice(&body).map_err(|e| SettlementError::BadResponse {
                what: what.to_string(),
                status,
                reason: e.to_string(),
            });
        }
        match serde_json::from_slice::<ErrorBody>(&body) {
            Ok(err) => Err(SettlementError::Api {
                what: what.to_string(),
                status,
                code: err.code,
                message: err.message,
                details: err.details,
            }),
            Err(_) => Err(SettlementError::BadResponse {
                what: what.to_string(),
                status,
                reason: format!(
                    "not an error body: {}",
                    String::from_utf8_lossy(&body[..body.len().min(200)])
                ),
            }),
        }
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

/// A transport error's causes on one line ("tcp connect error: Connection refused"),
/// without reqwest's own top line, which repeats the URL.
fn error_chain(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let Some(first) = e.source() else {
        return e.to_string();
    };
    let mut text = first.to_string();
    let mut source = first.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
