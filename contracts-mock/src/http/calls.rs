//! State-changing endpoints: the signed L1 calls and the two unsigned devnet calls. Each
//! carries its OpenAPI operation (`super::openapi`).

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

#[utoipa::path(post, path = "/v1/faucet", tag = "devnet", request_body = FaucetRequest,
    responses((status = 200, description = "Minted to the address", body = FaucetResponse)))]
pub async fn faucet(
    State(s): State<AppState>,
    ApiJson(req): ApiJson<FaucetRequest>,
) -> Answer<FaucetResponse> {
    s.write(move |conn, rules| accounts::faucet(conn, rules, &req))
        .await
        .map(Json)
}

#[utoipa::path(post, path = "/v1/admin/mine", tag = "devnet", request_body = MineRequest,
    responses((status = 200, description = "The new head block", body = MineResponse)))]
pub async fn mine(
    State(s): State<AppState>,
    ApiJson(req): ApiJson<MineRequest>,
) -> Answer<MineResponse> {
    let now = crate::now_ms();
    s.write(move |conn, rules| chain::mine(conn, rules, req.blocks, req.timestamp_ms, now))
        .await
        .map(Json)
}

#[utoipa::path(post, path = "/v1/bond", tag = "calls", request_body = SignedCall<BondCall>,
    responses((status = 200, description = "The caller's bond now", body = BondResponse)))]
pub async fn bond(
    State(s): State<AppState>,
    ApiJson(call): ApiJson<SignedCall<BondCall>>,
) -> Answer<BondResponse> {
    s.signed(call, |conn, _, from, call| accounts::bond(conn, from, call))
        .await
        .map(Json)
}

#[utoipa::path(post, path = "/v1/unbond", tag = "calls", request_body = SignedCall<UnbondCall>,
    responses((status = 200, description = "The caller's bond now", body = BondResponse)))]
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

#[utoipa::path(post, path = "/v1/deposit", tag = "calls", request_body = SignedCall<DepositCall>,
    responses((status = 200, description = "Escrowed and queued for L2", body = DepositResponse)))]
pub async fn deposit(
    State(s): State<AppState>,
    ApiJson(call): ApiJson<SignedCall<DepositCall>>,
) -> Answer<DepositResponse> {
    s.signed(call, queue::deposit).await.map(Json)
}

#[utoipa::path(post, path = "/v1/force", tag = "calls", request_body = SignedCall<ForceCall>,
    responses((status = 200, description = "Queued for forced inclusion", body = ForceResponse)))]
pub async fn force(
    State(s): State<AppState>,
    ApiJson(call): ApiJson<SignedCall<ForceCall>>,
) -> Answer<ForceResponse> {
    s.signed(call, queue::force).await.map(Json)
}

#[utoipa::path(post, path = "/v1/batches", tag = "calls", request_body = SignedCall<PostBatchCall>,
    responses((status = 200, description = "Posted; challengeable until its deadline", body = PostBatchResponse)))]
pub async fn post_batch(
    State(s): State<AppState>,
    ApiJson(call): ApiJson<SignedCall<PostBatchCall>>,
) -> Answer<PostBatchResponse> {
    s.signed(call, ledger::post_batch).await.map(Json)
}

#[utoipa::path(post, path = "/v1/challenge", tag = "calls", request_body = SignedCall<ChallengeCall>,
    responses((status = 200, description = "The adjudication's ruling", body = ChallengeResponse)))]
pub async fn challenge(
    State(s): State<AppState>,
    ApiJson(call): ApiJson<SignedCall<ChallengeCall>>,
) -> Answer<ChallengeResponse> {
    s.signed(call, ledger::challenge).await.map(Json)
}

#[utoipa::path(post, path = "/v1/withdrawals/claim", tag = "calls", request_body = SignedCall<ClaimWithdrawalCall>,
    responses((status = 200, description = "Paid to the account", body = ClaimResponse)))]
pub async fn claim(
    State(s): State<AppState>,
    ApiJson(call): ApiJson<SignedCall<ClaimWithdrawalCall>>,
) -> Answer<ClaimResponse> {
    s.signed(call, |conn, _, from, call| ledger::claim(conn, from, call))
        .await
        .map(Json)
}

#[utoipa::path(post, path = "/v1/exit/claim", tag = "exit", request_body = SignedCall<ExitClaimCall>,
    responses((status = 200, description = "The exit claim as recorded", body = ExitClaimView)))]
pub async fn claim_exit(
    State(s): State<AppState>,
    ApiJson(call): ApiJson<SignedCall<ExitClaimCall>>,
) -> Answer<ExitClaimView> {
    s.signed(call, exit::claim).await.map(Json)
}
