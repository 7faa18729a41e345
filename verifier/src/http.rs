//! The verifier's HTTP API: `/v1/health`, `/v1/status` (optionally long-polled until the
//! cursor reaches a value), `/v1/stream` (the WebSocket feed, `stream.rs`) and `/metrics`
//! (Prometheus text). Errors are the same
//! `{"code", "message"}` body as the other services' (service-shell's `ApiError`). Its
//! OpenAPI 3.1 document (`GET /openapi.json`, docs/openapi/verifier.json) is built from the
//! `#[utoipa::path]`s here, the proof routes' and the error codes build.rs reads from the
//! source.

use crate::error_codes;
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
use service_shell::http::openapi::{openapi_route, with_errors};
use service_shell::http::{
    ApiError, ApiPath, ApiQuery, ProofApi, StoredNumber, proof_routes, with_fallbacks,
};
use std::time::Duration;
use utoipa::OpenApi;

/// The longest `/v1/status?wait_ms=` holds a request open.
pub const MAX_WAIT_MS: u64 = 30_000;

/// The service's router over `state`.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .route("/v1/health", get(health))
        .route("/v1/status", get(status))
        .route("/v1/genesis", get(genesis))
        .route("/v1/challenges/{submission_id}", get(challenge))
        .route("/v1/exit/proof/{account}", get(exit_proof))
        .route("/v1/withdrawals/{id}/claim", get(withdrawal_claim))
        .route("/v1/stream", crate::stream::route())
        .route("/metrics", get(prometheus))
        .merge(proof_routes::<AppState>())
        .merge(openapi_route(&openapi_document()));
    with_fallbacks(
        routes,
        "docs/spec/verifier.md",
        "method not allowed on this endpoint",
    )
    .with_state(state)
}

#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Vigil verifier",
        description = "A verifier's findings, challenges, proofs and finalized state \
                       (docs/spec/verifier.md)."
    ),
    paths(
        health,
        status,
        genesis,
        challenge,
        exit_proof,
        withdrawal_claim,
        prometheus,
        feed,
        document_itself
    ),
    components(schemas(protocol::api::stream::Subscribe, protocol::api::stream::StreamMessage))
)]
struct VerifierApi;

/// The verifier's OpenAPI document: its paths, the proof routes and every error code.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    let mut api = VerifierApi::openapi();
    api.merge(ProofApi::openapi());
    with_errors(api, error_codes::ALL)
}

/// `GET /v1/stream`: the WebSocket feed of what this verifier re-executed (`stream.rs`).
#[utoipa::path(get, path = "/v1/stream", tag = "feed",
    description = "Upgrades to a WebSocket. Send `Subscribe` JSON text frames (`batches`, \
                   resumed by `since_event`; `trades` of a market and `fills` of an \
                   account, resumed by `since_seq`; `markets`); receive `StreamMessage` \
                   frames (schemas in components): batches with their feed `event` and \
                   this verifier's `verdict`, the trades and fills of finalized batches \
                   from its own receipts (each `seq` is its feed event), a `resnapshot` \
                   answer when a resume point is no longer retained, markets at the \
                   verified head. A reader too slow to keep up is closed with a reason.",
    responses((status = 101, description = "Switching to the WebSocket feed")))]
#[allow(dead_code)]
fn feed() {}

/// `GET /openapi.json`: this document.
#[utoipa::path(get, path = "/openapi.json", tag = "node",
    responses((status = 200, description = "This OpenAPI 3.1 document", body = Object)))]
#[allow(dead_code)]
fn document_itself() {}

#[utoipa::path(get, path = "/v1/health", tag = "node",
    responses((status = 200, description = "`{\"ok\": true}`", body = Object)))]
async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "ok": true }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatusQuery {
    /// Answer once the cursor is at least this …
    min_cursor: Option<u64>,
    /// … or after this many ms (at most `MAX_WAIT_MS`), whichever comes first.
    wait_ms: Option<u64>,
}

#[utoipa::path(get, path = "/v1/status", tag = "node", params(StatusQuery),
    responses((status = 200, description = "Progress, findings and challenges", body = StatusResponse)))]
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
#[utoipa::path(get, path = "/v1/genesis", tag = "chain",
    responses((status = 200, description = "The genesis this verifier re-executes under", body = GenesisView)))]
async fn genesis(State(state): State<AppState>) -> Json<GenesisView> {
    Json(GenesisView::of(&state.genesis()))
}

/// `GET /v1/challenges/{submission_id}`: this verifier's challenge record against that
/// submission with the fraud proof it built (witness included).
#[utoipa::path(get, path = "/v1/challenges/{submission_id}", tag = "challenges",
    params(("submission_id" = StoredNumber, Path)),
    responses((status = 200, description = "This verifier's challenge and its proof", body = ChallengeView)))]
async fn challenge(
    State(state): State<AppState>,
    ApiPath(submission_id): ApiPath<StoredNumber>,
) -> Result<Json<ChallengeView>, ApiError> {
    let submission_id = submission_id.get();
    state.challenge(submission_id).map(Json).ok_or_else(|| {
        ApiError::new(
            error_codes::NO_CHALLENGE,
            format!("this verifier found nothing wrong with submission {submission_id} (GET /v1/status lists its challenges)"),
        )
    })
}

/// `GET /v1/exit/proof/{account}`: the account's exit valuation and witness at the last
/// finalized root this verifier re-executed (same JSON as the sequencer's), so users can
/// claim in exit mode with no help from the sequencer.
#[utoipa::path(get, path = "/v1/exit/proof/{account}", tag = "state",
    params(("account" = Address, Path)),
    responses((status = 200, description = "The exit valuation and witness", body = ExitProof)))]
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
#[utoipa::path(get, path = "/v1/withdrawals/{id}/claim", tag = "state",
    params(("id" = StoredNumber, Path, description = "The withdrawal id")),
    responses((status = 200, description = "The settlement-layer claim", body = ClaimWithdrawalCall)))]
async fn withdrawal_claim(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<StoredNumber>,
) -> Result<Json<ClaimWithdrawalCall>, ApiError> {
    let id = id.get();
    let (index, tree) = state.finalized();
    let claim = match index {
        Some(index) => {
            ClaimWithdrawalCall::from_state(&tree, index, id).map_err(ApiError::internal)?
        }
        None => None,
    };
    claim.map(Json).ok_or_else(|| {
        ApiError::new(
            error_codes::UNKNOWN_WITHDRAWAL,
            format!("withdrawal {id} is not in the last finalized state this verifier holds (finalized batch {index:?}): it is not final yet, or no such withdrawal exists"),
        )
    })
}

#[utoipa::path(get, path = "/metrics", tag = "node",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain", body = String)))]
async fn prometheus(State(state): State<AppState>) -> Response {
    let status = state.status();
    service_shell::metrics::response(metrics::render(&status, &state.metrics()))
}
