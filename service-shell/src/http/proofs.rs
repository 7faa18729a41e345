//! The `/v1/proofs/…` routes, one copy for every node that holds states (the sequencer and
//! each verifier): account, position, order and withdrawal proofs against the state after
//! `?batch=N` (default: the newest the node holds). What a node holds is the one thing it
//! supplies ([`HoldsStates`]); building the proofs is `protocol::api::proofs`.

use super::{ApiError, ApiPath, ApiQuery, error_codes};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
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
        .route("/v1/proofs/accounts/{address}", get(account))
        .route("/v1/proofs/positions/{address}/{market}", get(position))
        .route("/v1/proofs/orders/{address}/{market}/{nonce}", get(order))
        .route("/v1/proofs/withdrawals/{id}", get(withdrawal))
}

type Answer = Result<Json<StateProof>, ApiError>;

/// What every proof route starts from: the states the node holds and `?batch=N`. Extracted
/// after the route's path parameters, so a bad path is reported before a bad query.
#[derive(Debug)]
pub struct ProofAt {
    held: Arc<Vec<HeldState>>,
    batch: Option<u64>,
}

impl<S: HoldsStates> FromRequestParts<S> for ProofAt {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let ApiQuery(at) = ApiQuery::<AtBatch>::from_request_parts(parts, state).await?;
        Ok(ProofAt {
            held: state.held_states(),
            batch: at.batch,
        })
    }
}

impl ProofAt {
    /// The proof of `target` against the chosen held state.
    fn prove(&self, target: ProofTarget) -> Answer {
        match state_proof(&self.held, self.batch, &target) {
            Ok(proof) => Ok(Json(proof)),
            Err(e @ ProofError::NotHeld { .. }) => {
                Err(ApiError::new(error_codes::STATE_NOT_HELD, e.to_string()))
            }
            Err(ProofError::State(e)) => Err(ApiError::internal(e)),
        }
    }
}

#[utoipa::path(get, path = "/v1/proofs/accounts/{address}", operation_id = "account_proof", tag = "proofs",
    params(("address" = Address, Path, description = "The account"), AtBatch),
    responses((status = 200, description = "The account leaf's proof", body = StateProof)))]
async fn account(ApiPath(address): ApiPath<Address>, at: ProofAt) -> Answer {
    at.prove(ProofTarget::Account(address))
}

#[utoipa::path(get, path = "/v1/proofs/positions/{address}/{market}", operation_id = "position_proof", tag = "proofs",
    params(("address" = Address, Path), ("market" = u32, Path), AtBatch),
    responses((status = 200, description = "The position leaf's proof", body = StateProof)))]
async fn position(ApiPath((address, market)): ApiPath<(Address, u32)>, at: ProofAt) -> Answer {
    at.prove(ProofTarget::Position(address, market))
}

#[utoipa::path(get, path = "/v1/proofs/orders/{address}/{market}/{nonce}", operation_id = "order_proof", tag = "proofs",
    params(("address" = Address, Path), ("market" = u32, Path), ("nonce" = u64, Path), AtBatch),
    responses((status = 200, description = "The order's index leaf proof", body = StateProof)))]
async fn order(
    ApiPath((address, market, nonce)): ApiPath<(Address, u32, u64)>,
    at: ProofAt,
) -> Answer {
    at.prove(ProofTarget::Order(address, market, nonce))
}

#[utoipa::path(get, path = "/v1/proofs/withdrawals/{id}", operation_id = "withdrawal_proof", tag = "proofs",
    params(("id" = u64, Path, description = "The withdrawal id"), AtBatch),
    responses((status = 200, description = "The withdrawal leaf's proof", body = StateProof)))]
async fn withdrawal(ApiPath(id): ApiPath<u64>, at: ProofAt) -> Answer {
    at.prove(ProofTarget::Withdrawal(id))
}
