//! Withdrawal claims: a withdrawal leaf (`0x06 ‖ id` → `{account, amount}`) proven by a
//! Merkle inclusion proof against the post-state root of a finalized batch is paid once,
//! from escrow, to the leaf's account. The claimed id is recorded in the same transaction
//! as the payment, so a second claim is refused even after a crash and restart.

use super::batches;
use super::{accounts, chain, events};
use crate::error_codes;
use protocol::api::settlement::{
    BatchStatus, ClaimResponse, ClaimWithdrawalCall, EventKind, WithdrawalResponse,
};
use protocol::codec::{Decode, Encode};
use protocol::engine::keys::withdrawal_key;
use protocol::engine::records::Withdrawal;
use protocol::primitives::Address;
use protocol::tree::Proof;
use rusqlite::{Connection, OptionalExtension, params};
use service_shell::http::ApiError;

/// `POST /v1/withdrawals/claim`.
pub fn claim(
    conn: &Connection,
    from: &Address,
    call: &ClaimWithdrawalCall,
) -> Result<ClaimResponse, ApiError> {
    let index = call.batch_index;
    let batch = batches::latest_by_index(conn, index)?.ok_or_else(|| {
        ApiError::new(
            error_codes::NO_SUCH_BATCH,
            format!("no batch {index} has been posted"),
        )
    })?;
    match batch.view.status {
        BatchStatus::Finalized { .. } => {}
        BatchStatus::Pending { deadline_block } => {
            return Err(ApiError::new(
                error_codes::BATCH_NOT_FINAL,
                format!(
                    "batch {index} is not final: it can be challenged until block {deadline_block}, so claims against its root open at block {}",
                    deadline_block + 1
                ),
            ));
        }
        BatchStatus::Reverted { reverted_block } => {
            return Err(ApiError::new(
                error_codes::BATCH_REVERTED,
                format!(
                    "batch {index} was reverted at block {reverted_block}: its roots settle nothing"
                ),
            ));
        }
    }
    if let Some(done) = view(conn, call.withdrawal_id)?.claimed_block {
        return Err(ApiError::new(
            error_codes::ALREADY_CLAIMED,
            format!(
                "withdrawal {} was already claimed at block {done}",
                call.withdrawal_id
            ),
        ));
    }
    let proof = Proof::decode(&call.proof).map_err(|e| {
        ApiError::new(
            error_codes::MALFORMED_PROOF,
            format!("withdrawal proof does not decode: {e}"),
        )
    })?;
    let leaf = Withdrawal {
        account: call.account,
        amount: call.amount,
    }
    .encode();
    proof.verify_inclusion(&batch.view.post_state_root, &withdrawal_key(call.withdrawal_id), &leaf).map_err(|e| {
        ApiError::new(
            error_codes::INVALID_WITHDRAWAL_PROOF,
            format!(
                "the proof does not show withdrawal {} = {{account {}, amount {}}} in batch {index}'s post-state root {}: {e}",
                call.withdrawal_id, call.account, call.amount, batch.view.post_state_root
            ),
        )
    })?;

    let mut head = chain::head(conn)?;
    head.escrow = head.escrow.checked_sub(call.amount).ok_or_else(|| {
        ApiError::new(
            error_codes::INSUFFICIENT_ESCROW,
            format!(
                "escrow holds {}, less than the {} this withdrawal pays",
                head.escrow, call.amount
            ),
        )
    })?;
    chain::save_head(conn, &head)?;
    accounts::credit(conn, &call.account, call.amount)?;
    conn.execute(
        "INSERT INTO claims (withdrawal_id, account, amount, batch_index, claimed_by, block) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![call.withdrawal_id.to_be_bytes(), call.account.0, call.amount, index, from.0, head.number],
    )?;
    let event = EventKind::WithdrawalClaimed {
        withdrawal_id: call.withdrawal_id,
        account: call.account,
        amount: call.amount,
        batch_index: index,
        claimed_by: *from,
    };
    events::append(conn, head.number, head.timestamp_ms, &event)?;
    Ok(ClaimResponse {
        withdrawal_id: call.withdrawal_id,
        account: call.account,
        amount: call.amount,
        block: head.number,
    })
}

/// `GET /v1/withdrawals/{id}`.
pub fn view(conn: &Connection, withdrawal_id: u64) -> Result<WithdrawalResponse, ApiError> {
    let row = conn
        .query_row(
            "SELECT account, amount, batch_index, block FROM claims WHERE withdrawal_id = ?1",
            [withdrawal_id.to_be_bytes()],
            |r| {
                Ok((
                    Address(r.get(0)?),
                    r.get::<_, u64>(1)?,
                    r.get::<_, u64>(2)?,
                    r.get::<_, u64>(3)?,
                ))
            },
        )
        .optional()?;
    Ok(match row {
        Some((account, amount, batch_index, block)) => WithdrawalResponse {
            withdrawal_id,
            claimed: true,
            account: Some(account),
            amount: Some(amount),
            batch_index: Some(batch_index),
            claimed_block: Some(block),
        },
        None => WithdrawalResponse {
            withdrawal_id,
            claimed: false,
            account: None,
            amount: None,
            batch_index: None,
            claimed_block: None,
        },
    })
}
