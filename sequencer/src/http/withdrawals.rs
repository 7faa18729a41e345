//! `GET /v1/withdrawals/{id}`: one status for a withdrawal, from debit to payout:
//! pending (batch open) → in batch (sealed) → challenge window (posted; with the blocks
//! left and an ETA) → claimable (final; with the Merkle proof to claim with) → claimed.
//! Also the exit-mode proof of an account at the newest finalized root.

use super::{ApiError, AppState, error, error_codes};
use crate::journal::queries;
use axum::Json;
use axum::extract::State;
use protocol::api::sequencer::{BatchStatus, WithdrawalStatus, WithdrawalView};
use protocol::api::settlement::{ClaimWithdrawalCall, ExitProof};
use protocol::primitives::Address;
use service_shell::http::{ApiPath, StoredNumber};

#[utoipa::path(get, path = "/v1/withdrawals/{id}", tag = "withdrawals",
    params(("id" = StoredNumber, Path, description = "The withdrawal id")),
    responses((status = 200, description = "Where the withdrawal stands", body = WithdrawalView)))]
pub async fn withdrawal(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<StoredNumber>,
) -> Result<Json<WithdrawalView>, ApiError> {
    let id = id.get();
    let row =
        s.db.read(move |conn| queries::withdrawal(conn, id))
            .await?
            .ok_or_else(|| {
                ApiError::new(
                    error_codes::UNKNOWN_WITHDRAWAL,
                    format!("no withdrawal {id} has been sequenced"),
                )
            })?;
    let status = match row.batch_status {
        BatchStatus::Open => WithdrawalStatus::Pending,
        BatchStatus::Sealed | BatchStatus::Reverted => WithdrawalStatus::InBatch,
        BatchStatus::Posted { deadline_block, .. } => {
            let head = s
                .settlement
                .status()
                .await
                .map_err(error::settlement)?
                .block
                .number;
            let blocks_remaining = (deadline_block + 1).saturating_sub(head);
            WithdrawalStatus::ChallengeWindow {
                deadline_block,
                blocks_remaining,
                eta_ms: s
                    .block_time_ms
                    .map(|ms| ms.saturating_mul(blocks_remaining)),
            }
        }
        BatchStatus::Finalized { .. } => final_status(&s, id, row.batch_index).await?,
    };
    Ok(Json(WithdrawalView {
        withdrawal_id: id,
        account: row.account,
        amount: row.amount,
        tx_hash: row.tx_hash,
        batch_index: row.batch_index,
        status,
    }))
}

/// Claimed, or claimable with a proof against the newest finalized root we hold.
async fn final_status(
    s: &AppState,
    id: u64,
    batch_index: u64,
) -> Result<WithdrawalStatus, ApiError> {
    let paid = s
        .settlement
        .withdrawal(id)
        .await
        .map_err(error::settlement)?;
    if let (true, Some(claimed_block)) = (paid.claimed, paid.claimed_block) {
        return Ok(WithdrawalStatus::Claimed { claimed_block });
    }
    let view = s.views.borrow().clone();
    match &view.finalized {
        Some((final_index, tree)) if *final_index >= batch_index => {
            let claim = ClaimWithdrawalCall::from_state(tree, *final_index, id)
                .map_err(ApiError::internal)?
                .ok_or_else(|| {
                    ApiError::internal(format_args!(
                        "withdrawal {id} is not in the finalized state"
                    ))
                })?;
            Ok(WithdrawalStatus::Claimable {
                proof_batch_index: *final_index,
                proof: claim.proof,
            })
        }
        // Final on L1 a moment before the executor took note: the window is over.
        _ => Ok(WithdrawalStatus::ChallengeWindow {
            deadline_block: 0,
            blocks_remaining: 0,
            eta_ms: Some(0),
        }),
    }
}

/// `GET /v1/withdrawals/{id}/claim`: the whole claim (batch, account, amount, proof) at the
/// newest finalized root, the same JSON every verifier serves.
#[utoipa::path(get, path = "/v1/withdrawals/{id}/claim", tag = "withdrawals",
    params(("id" = StoredNumber, Path, description = "The withdrawal id")),
    responses((status = 200, description = "The settlement-layer claim, once final", body = ClaimWithdrawalCall)))]
pub async fn claim(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<StoredNumber>,
) -> Result<Json<ClaimWithdrawalCall>, ApiError> {
    let id = id.get();
    let view = s.views.borrow().clone();
    claim_at(view.finalized.as_ref().map(|(i, t)| (*i, t)), id).map(Json)
}

/// The claim of withdrawal `id` in `finalized` (the newest finalized batch and its state),
/// or 404 `unknown_withdrawal` naming why there is none.
pub fn claim_at(
    finalized: Option<(u64, &protocol::tree::Tree)>,
    id: u64,
) -> Result<ClaimWithdrawalCall, ApiError> {
    let missing = || {
        ApiError::new(
            error_codes::UNKNOWN_WITHDRAWAL,
            format!(
                "withdrawal {id} is not in the newest finalized state this node holds: it is not final yet, or no such withdrawal exists"
            ),
        )
    };
    let (index, tree) = finalized.ok_or_else(missing)?;
    ClaimWithdrawalCall::from_state(tree, index, id)
        .map_err(ApiError::internal)?
        .ok_or_else(missing)
}

/// `GET /v1/exit/proof/{account}`: the account's exit valuation and witness at the newest
/// finalized root this node holds (genesis if none), for `vigil exit claim`.
#[utoipa::path(get, path = "/v1/exit/proof/{account}", tag = "withdrawals",
    params(("account" = Address, Path)),
    responses((status = 200, description = "The account's exit valuation and witness", body = ExitProof)))]
pub async fn exit_proof(
    State(s): State<AppState>,
    ApiPath(account): ApiPath<Address>,
) -> Result<Json<ExitProof>, ApiError> {
    let view = s.views.borrow().clone();
    let (index, tree) = match &view.finalized {
        Some((index, tree)) => (Some(*index), tree.clone()),
        None => (None, protocol::batch::genesis_tree(&s.genesis)),
    };
    ExitProof::build(&tree, index, &s.genesis, &account)
        .map(Json)
        .map_err(ApiError::internal)
}
