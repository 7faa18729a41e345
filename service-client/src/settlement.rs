//! The one typed client for the settlement layer (`contracts-mock`, docs/spec/settlement.md
//! §10) that the sequencer, the verifier and `vigil` all use: one method per endpoint over
//! the `protocol::api::settlement` DTOs, and signed L1 calls.
//!
//! Reads need no key. A signed call takes the signing key per call (the `vigil` CLI signs
//! for whichever account a command names; a verifier may have no challenger key at all):
//! the client reads the account's next L1 nonce, signs under the "Vigil Settlement"
//! EIP-712 domain, posts, and re-signs if another call of ours took that nonce first.
//! Each call type knows its endpoint and answer ([`SettlementCall`]), so there is one
//! signing path for all seven. A refusal is [`ServiceError::Api`] with the server's stable
//! `{code, message}`, so callers match on the code and people read the message.

use crate::http::{ServiceError, ServiceHttp, Timeouts};
use k256::ecdsa::SigningKey;
use protocol::api::settlement::{
    AccountResponse, BatchView, BatchesResponse, BondCall, BondResponse, BondsResponse,
    ChallengeCall, ChallengeResponse, ClaimResponse, ClaimWithdrawalCall, DepositCall,
    DepositResponse, EventsResponse, ExitClaimCall, ExitClaimView, ExitStatus, FaucetRequest,
    FaucetResponse, ForceCall, ForceResponse, L1CallData, MineRequest, MineResponse, PostBatchCall,
    PostBatchResponse, QueueResponse, SignedCall, StatusResponse, UnbondCall, WithdrawalResponse,
};
use protocol::primitives::{Address, H256};
use protocol::signing::address_of;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::OnceLock;
use std::time::Duration;

/// Why a settlement-layer request did not produce its answer.
pub type SettlementError = ServiceError;

/// How many times [`SettlementClient::call`] re-signs a call whose nonce raced another
/// call from the same account (a refusal with code `bad_nonce`).
pub const NONCE_RETRIES: usize = 3;

/// A signed L1 call's payload: where it is posted and what the settlement layer answers.
pub trait SettlementCall: L1CallData + Serialize {
    const PATH: &'static str;
    type Response: DeserializeOwned;
}

/// One row per call type: the endpoint table of docs/spec/settlement.md §10.
macro_rules! settlement_calls {
    ($($call:ty => $path:literal, $response:ty;)*) => {$(
        impl SettlementCall for $call {
            const PATH: &'static str = $path;
            type Response = $response;
        }
    )*};
}

settlement_calls! {
    BondCall => "/v1/bond", BondResponse;
    UnbondCall => "/v1/unbond", BondResponse;
    DepositCall => "/v1/deposit", DepositResponse;
    ForceCall => "/v1/force", ForceResponse;
    PostBatchCall => "/v1/batches", PostBatchResponse;
    ChallengeCall => "/v1/challenge", ChallengeResponse;
    ClaimWithdrawalCall => "/v1/withdrawals/claim", ClaimResponse;
    ExitClaimCall => "/v1/exit/claim", ExitClaimView;
}

/// What [`SettlementClient::ensure_bond`] found or did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopUp {
    /// The bond already reaches the target; nothing was sent.
    Enough,
    /// `added` was bonded from the L1 balance; `bond` is the new total.
    Bonded { added: u64, bond: u64 },
    /// The bond is `missing` short and the L1 balance cannot cover it; nothing was sent.
    BalanceShort {
        bond: u64,
        balance: u64,
        missing: u64,
    },
}

/// The settlement layer at one base URL (e.g. `http://127.0.0.1:9545`).
#[derive(Debug, Clone)]
pub struct SettlementClient {
    http: ServiceHttp,
    domain_separator: OnceLock<H256>,
}

impl SettlementClient {
    /// A client without time limits (for a person at a terminal).
    pub fn new(base_url: &str) -> SettlementClient {
        SettlementClient::over(ServiceHttp::new("settlement layer", base_url))
    }

    /// A client whose calls give up after `timeouts` (for services, which must not hang
    /// on the settlement layer). Fails only if reqwest cannot build a client here.
    pub fn with_timeouts(
        base_url: &str,
        timeouts: Timeouts,
    ) -> Result<SettlementClient, reqwest::Error> {
        let http = ServiceHttp::with_timeouts("settlement layer", base_url, timeouts)?;
        Ok(SettlementClient::over(http))
    }

    fn over(http: ServiceHttp) -> SettlementClient {
        SettlementClient {
            http,
            domain_separator: OnceLock::new(),
        }
    }

    /// Pins the L1-call domain separator: a caller that knows the genesis computes it
    /// (`l1_domain_separator`) and saves the `/v1/status` read before the first signature.
    pub fn with_domain(self, domain_separator: H256) -> SettlementClient {
        SettlementClient {
            domain_separator: OnceLock::from(domain_separator),
            ..self
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

    /// The genesis whose hash every batch must commit (`GET /v1/genesis`).
    pub async fn genesis(&self) -> Result<protocol::api::genesis::GenesisView, SettlementError> {
        self.get("/v1/genesis").await
    }

    pub async fn account(&self, address: &Address) -> Result<AccountResponse, SettlementError> {
        self.get(&format!("/v1/accounts/{address}")).await
    }

    pub async fn bonds(&self) -> Result<BondsResponse, SettlementError> {
        self.get("/v1/bonds").await
    }

    /// Live batches from index `from`, ascending.
    pub async fn batches(&self, from: u64, limit: u64) -> Result<BatchesResponse, SettlementError> {
        self.get(&format!("/v1/batches?from={from}&limit={limit}"))
            .await
    }

    /// The most recent submission with `index` (live or reverted), with its data if
    /// `with_data`. A batch never posted is a 404 refusal (`unknown_batch`).
    pub async fn batch(&self, index: u64, with_data: bool) -> Result<BatchView, SettlementError> {
        self.get(&format!("/v1/batches/{index}?data={with_data}"))
            .await
    }

    /// [`SettlementClient::batch`], with `None` for a batch index never posted.
    pub async fn find_batch(
        &self,
        index: u64,
        with_data: bool,
    ) -> Result<Option<BatchView>, SettlementError> {
        match self.batch(index, with_data).await {
            Ok(view) => Ok(Some(view)),
            Err(ServiceError::Api { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The fraud proof upheld against submission `id`, witness included.
    pub async fn upheld_proof(
        &self,
        id: u64,
    ) -> Result<protocol::api::settlement::UpheldProof, SettlementError> {
        self.get(&format!("/v1/challenges/{id}")).await
    }

    pub async fn submission(&self, id: u64) -> Result<BatchView, SettlementError> {
        self.get(&format!("/v1/submissions/{id}")).await
    }

    pub async fn queue(&self, from: u64, limit: u64) -> Result<QueueResponse, SettlementError> {
        self.get(&format!("/v1/queue?from={from}&limit={limit}"))
            .await
    }

    /// Events after `after`; with a non-zero `wait` the server holds the answer until one
    /// comes or the wait is over (a long poll: the call limit is extended by `wait`).
    pub async fn events(
        &self,
        after: u64,
        limit: u64,
        wait: Duration,
    ) -> Result<EventsResponse, SettlementError> {
        let wait_ms = wait.as_millis();
        let path = format!("/v1/events?after={after}&limit={limit}&wait_ms={wait_ms}");
        self.http.get_waiting(&path, wait).await
    }

    pub async fn withdrawal(&self, id: u64) -> Result<WithdrawalResponse, SettlementError> {
        self.get(&format!("/v1/withdrawals/{id}")).await
    }

    /// `GET /v1/exit`: exit mode's phase and totals.
    pub async fn exit(&self) -> Result<ExitStatus, SettlementError> {
        self.get("/v1/exit").await
    }

    /// `GET /v1/exit/claims/{account}` (404 `no_exit_claim` if it has not claimed).
    pub async fn exit_claim(&self, account: &Address) -> Result<ExitClaimView, SettlementError> {
        self.get(&format!("/v1/exit/claims/{account}")).await
    }

    // --- devnet calls (unsigned) ---

    pub async fn faucet(&self, request: &FaucetRequest) -> Result<FaucetResponse, SettlementError> {
        self.post("/v1/faucet", request).await
    }

    pub async fn mine(&self, request: &MineRequest) -> Result<MineResponse, SettlementError> {
        self.post("/v1/admin/mine", request).await
    }

    // --- signed calls ---

    /// The L1-call domain separator: pinned by [`SettlementClient::with_domain`], else read
    /// from `/v1/status` once.
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

    /// Posts a call signed elsewhere ([`SettlementClient::sign`], or an external wallet).
    pub async fn submit<C: SettlementCall>(
        &self,
        call: &SignedCall<C>,
    ) -> Result<C::Response, SettlementError> {
        self.post(C::PATH, call).await
    }

    /// Signs `call` as `key` and posts it. A `bad_nonce` refusal means another call from
    /// the same account took the nonce between our read and our post (the poster and
    /// a bond top-up, say): the call is re-signed with a fresh nonce, up to
    /// [`NONCE_RETRIES`] times.
    pub async fn call<C: SettlementCall>(
        &self,
        key: &SigningKey,
        call: C,
    ) -> Result<C::Response, SettlementError> {
        let mut call = call;
        let mut attempt = 0;
        loop {
            let signed = self.sign(key, call).await?;
            match self.submit(&signed).await {
                Err(e) if e.code() == Some("bad_nonce") && attempt < NONCE_RETRIES => {
                    attempt += 1;
                    call = signed.call;
                }
                answer => return answer,
            }
        }
    }

    /// Bonds from `key`'s L1 balance up to `target`, if the bond is short of it and the
    /// balance covers the difference.
    pub async fn ensure_bond(
        &self,
        key: &SigningKey,
        target: u64,
    ) -> Result<TopUp, SettlementError> {
        let account = self.account(&address_of(key)).await?;
        let missing = target.saturating_sub(account.bond);
        if missing == 0 {
            return Ok(TopUp::Enough);
        }
        if account.balance < missing {
            return Ok(TopUp::BalanceShort {
                bond: account.bond,
                balance: account.balance,
                missing,
            });
        }
        let bonded = self.call(key, BondCall { amount: missing }).await?;
        Ok(TopUp::Bonded {
            added: missing,
            bond: bonded.bond,
        })
    }

    // --- pre-signed calls, one per endpoint ---

    pub async fn bond(&self, call: &SignedCall<BondCall>) -> Result<BondResponse, SettlementError> {
        self.submit(call).await
    }

    pub async fn unbond(
        &self,
        call: &SignedCall<UnbondCall>,
    ) -> Result<BondResponse, SettlementError> {
        self.submit(call).await
    }

    pub async fn deposit(
        &self,
        call: &SignedCall<DepositCall>,
    ) -> Result<DepositResponse, SettlementError> {
        self.submit(call).await
    }

    pub async fn force(
        &self,
        call: &SignedCall<ForceCall>,
    ) -> Result<ForceResponse, SettlementError> {
        self.submit(call).await
    }

    pub async fn post_batch(
        &self,
        call: &SignedCall<PostBatchCall>,
    ) -> Result<PostBatchResponse, SettlementError> {
        self.submit(call).await
    }

    pub async fn challenge(
        &self,
        call: &SignedCall<ChallengeCall>,
    ) -> Result<ChallengeResponse, SettlementError> {
        self.submit(call).await
    }

    pub async fn claim_withdrawal(
        &self,
        call: &SignedCall<ClaimWithdrawalCall>,
    ) -> Result<ClaimResponse, SettlementError> {
        self.submit(call).await
    }
}
