//! The `/v1/proofs/…` routes, one copy for every node that holds states (the sequencer and
//! each verifier): account, position, order and withdrawal proofs against the state after
//! `?batch=N` (default: the newest the node holds). What a node holds is the one thing it
//! supplies ([`HoldsStates`]); building the proofs is `protocol::api::proofs`.

use super::{ApiError, ApiPath, ApiQuery, error_codes};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use protocol::api::proofs::{HeldState, ProofError, ProofTarget, StateProof, state_proof};
use protocol::primitives::Address;
use serde::Deserialize;
use std::sync::Arc;

/// A node that keeps states after batches it can prove against.
pub trait HoldsStates: Clone + Send + Sync + 'static {
    /// The states held, in ascending batch order (genesis first when held); shared, since
    /// a long challenge window holds many.
    fn held_states(&self) -> Arc<Vec<HeldState>>;
}

/// `?batch=N`: which batch's post-state to prove against.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AtBatch {
    /// The batch whose post-state to prove against (default: the newest held).
    batch: Option<u64>,
}

/// The proof routes' part of a node's OpenAPI document.
#[derive(Debug, utoipa::OpenApi)]
#[openapi(paths(account, position, order, withdrawal))]
pub struct ProofApi;

/// The proof routes over a node's state type.
pub fn proof_routes<S: HoldsStates>() -> Router<S> {
    Router::new()
        .route("/v1/proofs/accounts/{address}", get(account::<S>))
        .route(
            "/v1/proofs/positions/{address}/{market}",
            get(position::<S>),
        )
        .route(
            "/v1/proofs/orders/{address}/{market}/{nonce}",
            get(order::<S>),
        )
        .route("/v1/proofs/withdrawals/{id}", get(withdrawal::<S>))
}

type Answer = Result<Json<StateProof>, ApiError>;

#[utoipa::path(get, path = "/v1/proofs/accounts/{address}", operation_id = "account_proof", tag = "proofs",
    params(("address" = Address, Path, description = "The account"), AtBatch),
    responses((status = 200, description = "The account leaf's proof", body = StateProof)))]
async fn account<S: HoldsStates>(
    State(s): State<S>,
    ApiPath(address): ApiPath<Address>,
    ApiQuery(at): ApiQuery<AtBatch>,
) -> Answer {
    answer(&s, at, ProofTarget::Account(address))
}

#[utoipa::path(get, path = "/v1/proofs/positions/{address}/{market}", operation_id = "position_proof", tag = "proofs",
    params(("address" = Address, Path), ("market" = u32, Path), AtBatch),
    responses((status = 200, description = "The position leaf's proof", body = StateProof)))]
async fn position<S: HoldsStates>(
    State(s): State<S>,
    ApiPath((address, market)): ApiPath<(Address, u32)>,
    ApiQuery(at): ApiQuery<AtBatch>,
) -> Answer {
    answer(&s, at, ProofTarget::Position(address, market))
}

#[utoipa::path(get, path = "/v1/proofs/orders/{address}/{market}/{nonce}", operation_id = "order_proof", tag = "proofs",
    params(("address" = Address, Path), ("market" = u32, Path), ("nonce" = u64, Path), AtBatch),
    responses((status = 200, description = "The order's index leaf proof", body = StateProof)))]
async fn order<S: HoldsStates>(
    State(s): State<S>,
    ApiPath((address, market, nonce)): ApiPath<(Address, u32, u64)>,
    ApiQuery(at): ApiQuery<AtBatch>,
) -> Answer {
    answer(&s, at, ProofTarget::Order(address, market, nonce))
}

#[utoipa::path(get, path = "/v1/proofs/withdrawals/{id}", operation_id = "withdrawal_proof", tag = "proofs",
    params(("id" = u64, Path, description = "The withdrawal id"), AtBatch),
    responses((status = 200, description = "The withdrawal leaf's proof", body = StateProof)))]
async fn withdrawal<S: HoldsStates>(
    State(s): State<S>,
    ApiPath(id): ApiPath<u64>,
    ApiQuery(at): ApiQuery<AtBatch>,
) -> Answer {
    answer(&s, at, ProofTarget::Withdrawal(id))
}

fn answer<S: HoldsStates>(s: &S, at: AtBatch, target: ProofTarget) -> Answer {
    match state_proof(&s.held_states(), at.batch, &target) {
        Ok(proof) => Ok(Json(proof)),
        Err(e @ ProofError::NotHeld { .. }) => {
            Err(ApiError::new(error_codes::STATE_NOT_HELD, e.to_string()))
        }
        Err(ProofError::State(e)) => Err(ApiError::internal(e)),
    }
}
