//! State-changing endpoints: the signed L1 calls and the two unsigned devnet calls.

use crate::ledger::{self, accounts, chain, exit, queue};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use protocol::api::settlement::{
    BondCall, BondResponse, ChallengeCall, ChallengeResponse, ClaimResponse, ClaimWithdrawalCall,
    DepositCall, DepositResponse, ExitClaimCall, ExitClaimView, FaucetRequest, FaucetResponse,
    ForceCall, ForceResponse, MineRequest, MineResponse, PostBatchCall, PostBatchResponse,
    SignedCall, UnbondCall,
};
use service_shell::http::ApiError;
use service_shell::http::ApiJson;

type Answer<T> = Result<Json<T>, ApiError>;

pub async fn faucet(
    State(s): State<AppState>,
    ApiJson(req): ApiJson<FaucetRequest>,
) -> Answer<FaucetResponse> {
    s.write(move |conn, rules| accounts::faucet(conn, rules, &req))
        .await
        .map(Json)
}

pub async fn mine(
    State(s): State<AppState>,
    ApiJson(req): ApiJson<MineRequest>,
) -> Answer<MineResponse> {
    let now = crate::now_ms();
    s.write(move |conn, rules| chain::mine(conn, rules, req.blocks, req.timestamp_ms, now))
        .await
        .map(Json)
}

pub async fn bond(
    State(s): State<AppState>,
    ApiJson(call): ApiJson<SignedCall<BondCall>>,
) -> Answer<BondResponse> {
    s.signed(call, |conn, _, from, call| accounts::bond(conn, from, call))
        .await
        .map(Json)
}

pub async fn unbond(
    State(s): State<AppState>,
    ApiJson(call): ApiJson<SignedCall<UnbondCall>>,
) -> Answer<BondResponse> {
    s.signed(call, |conn, _, from, call| {
        accounts::unbond(conn, from, call)
    })
    .await
    .map(Json)
}

pub async fn deposit(
    State(s): State<AppState>,
    ApiJson(call): ApiJson<SignedCall<DepositCall>>,
) -> Answer<DepositResponse> {
    s.signed(call, queue::deposit).await.map(Json)
}

pub async fn force(
    State(s): State<AppState>,
    ApiJson(call): ApiJson<SignedCall<ForceCall>>,
) -> Answer<ForceResponse> {
    s.signed(call, queue::force).await.map(Json)
}

pub async fn post_batch(
    State(s): State<AppState>,
    ApiJson(call): ApiJson<SignedCall<PostBatchCall>>,
) -> Answer<PostBatchResponse> {
    s.signed(call, ledger::post_batch).await.map(Json)
}

pub async fn challenge(
    State(s): State<AppState>,
    ApiJson(call): ApiJson<SignedCall<ChallengeCall>>,
) -> Answer<ChallengeResponse> {
    s.signed(call, ledger::challenge).await.map(Json)
}

pub async fn claim(
    State(s): State<AppState>,
    ApiJson(call): ApiJson<SignedCall<ClaimWithdrawalCall>>,
) -> Answer<ClaimResponse> {
    s.signed(call, |conn, _, from, call| ledger::claim(conn, from, call))
        .await
        .map(Json)
}

pub async fn claim_exit(
    State(s): State<AppState>,
    ApiJson(call): ApiJson<SignedCall<ExitClaimCall>>,
) -> Answer<ExitClaimView> {
    s.signed(call, exit::claim).await.map(Json)
}
