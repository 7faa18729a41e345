//! A typed HTTP client for the settlement layer, speaking only `protocol::api::settlement`
//! DTOs (the sequencer never links `contracts-mock`). Signed calls are signed here with the
//! sequencer key under the settlement layer's own EIP-712 domain ("Vigil Settlement").

use k256::ecdsa::SigningKey;
use protocol::api::settlement::{
    AccountResponse, BatchView, BatchesResponse, BondCall, BondResponse, ErrorBody, EventsResponse,
    L1CallData, PostBatchCall, PostBatchResponse, QueueResponse, SignedCall, StatusResponse,
    WithdrawalResponse, l1_domain_separator,
};
use protocol::genesis::Genesis;
use protocol::primitives::{Address, H256};
use protocol::signing::address_of;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// A failed call: the layer said no (with its stable code), or could not be reached.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettlementError {
    #[error("the settlement layer refused ({status} {code}): {message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
    },
    #[error("the settlement layer is unreachable: {0}")]
    Unreachable(String),
    #[error("unexpected answer from the settlement layer: {0}")]
    Protocol(String),
}

impl SettlementError {
    pub fn code(&self) -> Option<&str> {
        match self {
            SettlementError::Refused { code, .. } => Some(code),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct SettlementClient {
    base: String,
    http: reqwest::Client,
    key: SigningKey,
    address: Address,
    domain: H256,
}

/// The longest a plain call may take (long polls add their own wait).
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

impl SettlementClient {
    pub fn new(base: &str, key: SigningKey, genesis: &Genesis) -> SettlementClient {
        SettlementClient {
            base: base.trim_end_matches('/').to_string(),
            http: reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(3))
                .build()
                .unwrap_or_default(),
            address: address_of(&key),
            key,
            domain: l1_domain_separator(genesis.chain_id, &genesis.verifying_contract),
        }
    }

    pub fn address(&self) -> Address {
        self.address
    }

    async fn answer<T: DeserializeOwned>(
        response: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<T, SettlementError> {
        let response = response.map_err(|e| SettlementError::Unreachable(e.to_string()))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| SettlementError::Unreachable(e.to_string()))?;
        if status.is_success() {
            return serde_json::from_slice(&bytes)
                .map_err(|e| SettlementError::Protocol(e.to_string()));
        }
        let body: ErrorBody = serde_json::from_slice(&bytes).map_err(|_| {
            SettlementError::Protocol(format!(
                "status {status} with a body that is not an error: {}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
            ))
        })?;
        Err(SettlementError::Refused {
            status: status.as_u16(),
            code: body.code,
            message: body.message,
        })
    }

    async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        timeout: Duration,
    ) -> Result<T, SettlementError> {
        let url = format!("{}{path}", self.base);
        Self::answer(self.http.get(url).timeout(timeout).send().await).await
    }

    async fn signed<C: L1CallData + Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        call: C,
    ) -> Result<T, SettlementError> {
        let nonce = self.account(&self.address).await?.nonce;
        let body = SignedCall::sign(&self.key, nonce, call, &self.domain);
        let url = format!("{}{path}", self.base);
        Self::answer(
            self.http
                .post(url)
                .timeout(CALL_TIMEOUT)
                .json(&body)
                .send()
                .await,
        )
        .await
    }

    pub async fn status(&self) -> Result<StatusResponse, SettlementError> {
        self.get("/v1/status", CALL_TIMEOUT).await
    }

    pub async fn account(&self, address: &Address) -> Result<AccountResponse, SettlementError> {
        self.get(&format!("/v1/accounts/{address}"), CALL_TIMEOUT)
            .await
    }

    /// The newest submission with this index (live or reverted), without data; `None` if
    /// no batch with this index was ever posted.
    pub async fn batch(&self, index: u64) -> Result<Option<BatchView>, SettlementError> {
        match self
            .get(&format!("/v1/batches/{index}?data=false"), CALL_TIMEOUT)
            .await
        {
            Ok(view) => Ok(Some(view)),
            Err(SettlementError::Refused { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Live batches from `from`, ascending.
    pub async fn live_batches(
        &self,
        from: u64,
        limit: u64,
    ) -> Result<BatchesResponse, SettlementError> {
        self.get(
            &format!("/v1/batches?from={from}&limit={limit}"),
            CALL_TIMEOUT,
        )
        .await
    }

    pub async fn queue(&self, from: u64, limit: u64) -> Result<QueueResponse, SettlementError> {
        self.get(
            &format!("/v1/queue?from={from}&limit={limit}"),
            CALL_TIMEOUT,
        )
        .await
    }

    /// Events after `after`, waiting up to `wait` for one to arrive.
    pub async fn events(
        &self,
        after: u64,
        limit: u64,
        wait: Duration,
    ) -> Result<EventsResponse, SettlementError> {
        let wait_ms = wait.as_millis();
        self.get(
            &format!("/v1/events?after={after}&limit={limit}&wait_ms={wait_ms}"),
            CALL_TIMEOUT + wait,
        )
        .await
    }

    pub async fn withdrawal(&self, id: u64) -> Result<WithdrawalResponse, SettlementError> {
        self.get(&format!("/v1/withdrawals/{id}"), CALL_TIMEOUT)
            .await
    }

    pub async fn post_batch(&self, data: Vec<u8>) -> Result<PostBatchResponse, SettlementError> {
        self.signed("/v1/batches", PostBatchCall::Data(data)).await
    }

    pub async fn bond(&self, amount: u64) -> Result<BondResponse, SettlementError> {
        self.signed("/v1/bond", BondCall { amount }).await
    }

    /// Bonds up to `min` from the L1 balance, if the bond is short and the balance covers
    /// it. Failures are logged: posting then reports the refusal.
    pub async fn ensure_bond(&self, min: u64) {
        let account = match self.account(&self.address).await {
            Ok(a) => a,
            Err(e) => return tracing::warn!(error = %e, "cannot read the sequencer's L1 account"),
        };
        let need = min.saturating_sub(account.bond);
        if need == 0 {
            return;
        }
        if account.balance < need {
            return tracing::warn!(
                bond = account.bond,
                balance = account.balance,
                min,
                "the sequencer's bond is below the minimum and its L1 balance cannot cover it: posting is refused until it is bonded"
            );
        }
        match self.bond(need).await {
            Ok(b) => tracing::info!(bond = b.bond, "bonded"),
            Err(e) => tracing::warn!(error = %e, "bonding failed"),
        }
    }
}
