//! The HTTP API (table in docs/spec/settlement.md). Handlers are thin: parse, authenticate,
//! run one ledger function in one transaction, answer JSON.

mod calls;
mod openapi;
mod reads;

pub use openapi::document as openapi_document;

use crate::state::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use service_shell::http::{METHOD_NOT_ALLOWED, with_fallbacks};
use tower_http::trace::TraceLayer;

/// The service's router over `state`.
pub fn router(state: AppState) -> Router {
    let max_body = state.rules().config.max_body_bytes;
    let routes = Router::new()
        .route("/v1/health", get(reads::health))
        .route("/v1/status", get(reads::status))
        .route("/metrics", get(reads::metrics))
        .route("/v1/genesis", get(reads::genesis))
        .route("/v1/accounts/{address}", get(reads::account))
        .route("/v1/bonds", get(reads::bonds))
        .route("/v1/batches", get(reads::batches).post(calls::post_batch))
        .route("/v1/batches/{index}", get(reads::batch))
        .route("/v1/submissions/{id}", get(reads::submission))
        .route("/v1/queue", get(reads::queue))
        .route("/v1/events", get(reads::events))
        .route("/v1/withdrawals/claim", post(calls::claim))
        .route("/v1/withdrawals/{id}", get(reads::withdrawal))
        .route("/v1/faucet", post(calls::faucet))
        .route("/v1/admin/mine", post(calls::mine))
        .route("/v1/bond", post(calls::bond))
        .route("/v1/unbond", post(calls::unbond))
        .route("/v1/deposit", post(calls::deposit))
        .route("/v1/force", post(calls::force))
        .route("/v1/challenge", post(calls::challenge))
        .route("/v1/challenges/{submission_id}", get(reads::upheld_proof))
        .route("/v1/exit", get(reads::exit))
        .route("/v1/exit/claim", post(calls::claim_exit))
        .route("/v1/exit/claims/{account}", get(reads::exit_claim))
        .merge(service_shell::http::openapi::openapi_route(
            &openapi::document(),
        ));
    with_fallbacks(routes, "docs/spec/settlement.md", METHOD_NOT_ALLOWED)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
