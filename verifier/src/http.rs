//! The verifier's HTTP API: `/v1/health`, `/v1/status` (optionally long-polled until the
//! cursor reaches a value) and `/metrics` (Prometheus text). Errors are the same
//! `{"code", "message"}` body as the other services' (service-shell's `ApiError`).

use crate::metrics;
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use protocol::api::genesis::GenesisView;
use protocol::api::settlement::{ClaimWithdrawalCall, ExitProof};
use protocol::api::verifier::{ChallengeView, StatusResponse};
use protocol::primitives::Address;
use serde::Deserialize;
use service_shell::http::{ApiError, ApiPath, ApiQuery, proof_routes, with_fallbacks};
use std::time::Duration;

/// The longest `/v1/status?wait_ms=` holds a request open.
pub const MAX_WAIT_MS: u64 = 30_000;

/// The service's router over `state`.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .route(
            "/v1/health",
            get(|| async { Json(serde_json::json!({ "ok": true })) }),
        )
        .route("/v1/status", get(status))
        .route("/v1/genesis", get(genesis))
        .route("/v1/challenges/{submission_id}", get(challenge))
        .route("/v1/exit/proof/{account}", get(exit_proof))
        .route("/v1/withdrawals/{id}/claim", get(withdrawal_claim))
        .route("/metrics", get(prometheus))
        .merge(proof_routes::<AppState>());
    with_fallbacks(
        routes,
        "docs/spec/verifier.md",
        "method not allowed on this endpoint",
    )
    .with_state(state)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusQuery {
    /// Answer once the cursor is at least this …
    min_cursor: Option<u64>,
    /// … or after this many ms (at most `MAX_WAIT_MS`), whichever comes first.
    wait_ms: Option<u64>,
}

async fn status(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<StatusQuery>,
) -> Result<Json<StatusResponse>, ApiError> {
    let (Some(min), Some(wait)) = (q.min_cursor, q.wait_ms) else {
        return Ok(Json(state.status()));
    };
    let wait = Duration::from_millis(wait.min(MAX_WAIT_MS));
    let mut watch = state.watch_status();
    let mut stopping = state.stopping();
    tokio::select! {
        // The guard `wait_for` returns is not `Send`; drop it inside the branch.
        _ = async { watch.wait_for(|s| s.cursor >= min).await.is_ok() } => {}
        _ = async { stopping.wait_for(|s| *s).await.is_ok() } => {}
        () = tokio::time::sleep(wait) => {}
    }
    Ok(Json(state.status()))
}

/// `GET /v1/genesis`: the genesis this verifier re-executes under (same JSON on every service).
async fn genesis(State(state): State<AppState>) -> Json<GenesisView> {
    Json(GenesisView::of(&state.genesis()))
}

/// `GET /v1/challenges/{submission_id}`: this verifier's challenge record against that
/// submission with the fraud proof it built (witness included).
async fn challenge(
    State(state): State<AppState>,
    ApiPath(submission_id): ApiPath<u64>,
) -> Result<Json<ChallengeView>, ApiError> {
    state.challenge(submission_id).map(Json).ok_or_else(|| {
        ApiError::not_found(
            "no_challenge",
            format!("this verifier found nothing wrong with submission {submission_id} (GET /v1/status lists its challenges)"),
        )
    })
}

/// `GET /v1/exit/proof/{account}`: the account's exit valuation and witness at the last
/// finalized root this verifier re-executed (same JSON as the sequencer's), so users can
/// claim in exit mode with no help from the sequencer.
async fn exit_proof(
    State(state): State<AppState>,
    ApiPath(account): ApiPath<Address>,
) -> Result<Json<ExitProof>, ApiError> {
    let (index, tree) = state.finalized();
    let genesis = state.genesis();
    ExitProof::build(&tree, index, &genesis, &account)
        .map(Json)
        .map_err(ApiError::internal)
}

/// `GET /v1/withdrawals/{id}/claim`: the whole withdrawal claim (batch, account, amount,
/// proof) at the last finalized root this verifier re-executed, the same JSON as the
/// sequencer's, so a withdrawal is claimable without the sequencer.
async fn withdrawal_claim(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<u64>,
) -> Result<Json<ClaimWithdrawalCall>, ApiError> {
    let (index, tree) = state.finalized();
    let claim = match index {
        Some(index) => {
            ClaimWithdrawalCall::from_state(&tree, index, id).map_err(ApiError::internal)?
        }
        None => None,
    };
    claim.map(Json).ok_or_else(|| {
        ApiError::not_found(
            "unknown_withdrawal",
            format!("withdrawal {id} is not in the last finalized state this verifier holds (finalized batch {index:?}): it is not final yet, or no such withdrawal exists"),
        )
    })
}

async fn prometheus(State(state): State<AppState>) -> Response {
    let status = state.status();
    service_shell::metrics::response(metrics::render(&status, &state.metrics()))
}
