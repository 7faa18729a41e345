//! The simulated L1 chain: the head block, mining, and finalization.
//!
//! Every call executes in the current head block. Finalization depends only on the head
//! block number, which only mining changes, so batches are finalized while mining, in the
//! same transaction: a batch posted at block b with window W becomes final in block b + W + 1
//! (or when its parent does, if later), in index order. Exit mode advances (freeze, open,
//! pay) in the same transaction, after finalization.

use super::batches::{self, BatchRow};
use super::events;
use crate::config::MAX_TIMESTAMP_MS;
use crate::error_codes;
use crate::rules::Rules;
use protocol::api::settlement::{BlockInfo, EventKind, MineResponse};
use rusqlite::{Connection, params};
use service_shell::http::ApiError;

/// Most blocks one mine call may add (keeps block numbers far below i64::MAX).
pub const MAX_BLOCKS_PER_MINE: u64 = 1_000_000;

/// The head block and the supply totals kept beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub number: u64,
    pub timestamp_ms: u64,
    /// Tokens the faucet ever created.
    pub minted: u64,
    /// Tokens deposited to L2 and not yet paid out by claims.
    pub escrow: u64,
    /// Slashed tokens not paid to a challenger.
    pub burned: u64,
}

impl Head {
    pub fn block(&self) -> BlockInfo {
        BlockInfo {
            number: self.number,
            timestamp_ms: self.timestamp_ms,
        }
    }
}

pub fn head(conn: &Connection) -> Result<Head, ApiError> {
    Ok(conn.query_row(
        "SELECT block_number, block_timestamp_ms, minted, escrow, burned FROM head WHERE id = 0",
        [],
        |r| {
            Ok(Head {
                number: r.get(0)?,
                timestamp_ms: r.get(1)?,
                minted: r.get(2)?,
                escrow: r.get(3)?,
                burned: r.get(4)?,
            })
        },
    )?)
}

pub fn save_head(conn: &Connection, head: &Head) -> Result<(), ApiError> {
    conn.execute(
        "UPDATE head SET block_number = ?1, block_timestamp_ms = ?2, minted = ?3, escrow = ?4, burned = ?5 WHERE id = 0",
        params![head.number, head.timestamp_ms, head.minted, head.escrow, head.burned],
    )?;
    Ok(())
}

/// Mines `blocks` blocks, each stamped `timestamp_ms` if given (it must not precede the
/// head's), else `now_ms` (never earlier than the head's: the L1 clock does not go back).
pub fn mine(
    conn: &Connection,
    rules: &Rules,
    blocks: u64,
    timestamp_ms: Option<u64>,
    now_ms: u64,
) -> Result<MineResponse, ApiError> {
    if blocks == 0 || blocks > MAX_BLOCKS_PER_MINE {
        return Err(ApiError::new(
            error_codes::INVALID_BLOCK_COUNT,
            format!("blocks must be 1..={MAX_BLOCKS_PER_MINE}, got {blocks}"),
        ));
    }
    let mut head = head(conn)?;
    let timestamp = match timestamp_ms {
        Some(t) if t < head.timestamp_ms => {
            return Err(ApiError::new(
                error_codes::TIMESTAMP_BEFORE_HEAD,
                format!(
                    "block timestamp {t} is before the head block's timestamp {}",
                    head.timestamp_ms
                ),
            ));
        }
        Some(t) if t > MAX_TIMESTAMP_MS => {
            return Err(ApiError::new(
                error_codes::INVALID_TIMESTAMP,
                format!("block timestamp {t} is after the year 9999 (max {MAX_TIMESTAMP_MS})"),
            ));
        }
        Some(t) => t,
        None => now_ms.max(head.timestamp_ms),
    };
    head.number = head
        .number
        .checked_add(blocks)
        .ok_or_else(|| ApiError::internal("block number overflow"))?;
    head.timestamp_ms = timestamp;
    save_head(conn, &head)?;
    let finalized = finalize_due(conn, &head)?;
    super::exit::advance(conn, rules, &head)?;
    Ok(MineResponse {
        block: head.block(),
        finalized,
    })
}

/// Finalizes, in index order, every pending batch whose window has passed (head block >
/// deadline) and whose parent is final. Returns the finalized indices.
fn finalize_due(conn: &Connection, head: &Head) -> Result<Vec<u64>, ApiError> {
    let mut finalized = Vec::new();
    let mut parent_final_at = batches::last_finalized(conn)?.map(|b| b.settled_block.unwrap_or(0));
    for batch in batches::pending(conn)? {
        if batch.deadline_block >= head.number {
            break;
        }
        // Pending batches follow the last finalized one (or genesis) without a gap, so the
        // parent of this one is final; it becomes final no earlier than its parent did.
        let at = (batch.deadline_block + 1).max(parent_final_at.unwrap_or(0));
        finalize(conn, &batch, at, head.timestamp_ms)?;
        parent_final_at = Some(at);
        finalized.push(batch.view.index);
    }
    Ok(finalized)
}

fn finalize(
    conn: &Connection,
    batch: &BatchRow,
    at: u64,
    timestamp_ms: u64,
) -> Result<(), ApiError> {
    conn.execute(
        "UPDATE batches SET status = 'finalized', settled_block = ?1 WHERE submission_id = ?2",
        params![at, batch.view.submission_id],
    )?;
    let event = EventKind::BatchFinalized {
        index: batch.view.index,
        submission_id: batch.view.submission_id,
        header_hash: batch.view.header_hash,
        post_state_root: batch.view.post_state_root,
    };
    events::append(conn, at, timestamp_ms, &event)?;
    Ok(())
}
