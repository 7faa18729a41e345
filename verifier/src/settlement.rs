//! A typed HTTP client for the settlement layer (docs/spec/settlement.md): the reads the
//! verifier follows (status, the long-polled event log, accounts) and signed L1 calls
//! (bond, challenge), each with the account's next L1 nonce.

use k256::ecdsa::SigningKey;
use protocol::api::settlement::{
    AccountResponse, ErrorBody, EventsResponse, L1CallData, SignedCall, StatusResponse,
};
use protocol::primitives::{Address, H256};
use protocol::signing::address_of;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// A request that did not produce the expected answer.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("request to {url} failed: {source}")]
    Transport {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// The settlement layer answered with an error body.
    #[error("{status} {}: {}", body.code, body.message)]
    Api { status: u16, body: ErrorBody },
    #[error("unexpected answer from {url}: {message}")]
    Decode { url: String, message: String },
}

impl ClientError {
    /// The stable error code of an API refusal.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Api { body, .. } => Some(&body.code),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct SettlementClient {
    http: reqwest::Client,
    base: String,
    timeout: Duration,
}

/// How many times a call is re-signed when its nonce raced another call of ours.
const NONCE_RETRIES: usize = 3;

impl SettlementClient {
    pub fn new(base: &str, timeout: Duration) -> Result<SettlementClient, reqwest::Error> {
        Ok(SettlementClient {
            http: reqwest::Client::builder().build()?,
            base: base.trim_end_matches('/').to_string(),
            timeout,
        })
    }

    pub async fn status(&self) -> Result<StatusResponse, ClientError> {
        self.get("/v1/status", self.timeout).await
    }

    pub async fn account(&self, address: &Address) -> Result<AccountResponse, ClientError> {
        self.get(&format!("/v1/accounts/{address}"), self.timeout)
            .await
    }

    /// Events after `after`; waits up to `wait` for the first one if there is none yet.
    pub async fn events(
        &self,
        after: u64,
        limit: u32,
        wait: Duration,
    ) -> Result<EventsResponse, ClientError> {
        let wait_ms = wait.as_millis();
        self.get(
            &format!("/v1/events?after={after}&limit={limit}&wait_ms={wait_ms}"),
            self.timeout + wait,
        )
        .await
    }

    /// Signs `call` as `key` with its next L1 nonce under `domain` and POSTs it to `path`.
    pub async fn call<C, R>(
        &self,
        path: &str,
        key: &SigningKey,
        domain: &H256,
        call: C,
    ) -> Result<R, ClientError>
    where
        C: L1CallData + Serialize + Clone,
        R: DeserializeOwned,
    {
        let from = address_of(key);
        let mut attempt = 0;
        loop {
            let nonce = self.account(&from).await?.nonce;
            let signed = SignedCall::sign(key, nonce, call.clone(), domain);
            match self.post(path, &signed).await {
                Err(e) if e.code() == Some("bad_nonce") && attempt < NONCE_RETRIES => attempt += 1,
                answer => return answer,
            }
        }
    }

    async fn get<R: DeserializeOwned>(
        &self,
        path: &str,
        timeout: Duration,
    ) -> Result<R, ClientError> {
        let url = format!("{}{path}", self.base);
        let request = self.http.get(&url).timeout(timeout);
        answer(url, request.send().await).await
    }

    async fn post<B: Serialize, R: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<R, ClientError> {
        let url = format!("{}{path}", self.base);
        let request = self.http.post(&url).json(body).timeout(self.timeout);
        answer(url, request.send().await).await
    }
}

async fn answer<R: DeserializeOwned>(
    url: String,
    sent: Result<reqwest::Response, reqwest::Error>,
) -> Result<R, ClientError> {
    let response = sent.map_err(|source| ClientError::Transport {
        url: url.clone(),
        source,
    })?;
    let status = response.status();
    let bytes = response
        .bytes()
        .await
        .map_err(|source| ClientError::Transport {
            url: url.clone(),
            source,
        })?;
    if status.is_success() {
        return serde_json::from_slice(&bytes).map_err(|e| ClientError::Decode {
            url,
            message: e.to_string(),
        });
    }
    match serde_json::from_slice::<ErrorBody>(&bytes) {
        Ok(body) => Err(ClientError::Api {
            status: status.as_u16(),
            body,
        }),
        Err(_) => Err(ClientError::Decode {
            url,
            message: format!(
                "status {status} with a non-error body: {}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
            ),
        }),
    }
}
