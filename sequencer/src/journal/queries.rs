//! Reads for the API and the poster, on their own connection (WAL readers never block the
//! writer). Everything here sees only committed, i.e. durable, data.

use super::JournalError;
use protocol::api::sequencer::{BatchInfo, BatchStatus, TxListEntry, TxLookup, TxState};
use protocol::engine::Receipt;
use protocol::primitives::{Address, H256};
use rusqlite::{Connection, OptionalExtension, Row, params};

fn h256(bytes: Vec<u8>) -> Result<H256, JournalError> {
    bytes
        .try_into()
        .map(H256)
        .map_err(|_| JournalError::Corrupt {
            what: "hash column".into(),
            reason: "not 32 bytes".into(),
        })
}

fn opt_h256(bytes: Option<Vec<u8>>) -> Result<Option<H256>, JournalError> {
    bytes.map(h256).transpose()
}

fn receipt(json: &str) -> Result<Receipt, JournalError> {
    serde_json::from_str(json).map_err(|e| JournalError::Corrupt {
        what: "stored receipt".into(),
        reason: e.to_string(),
    })
}

const BATCH_COLUMNS: &str =
    "batch_index, status, timestamp_ms, tx_count, prev_state_root, queue_start,
     header_hash, post_state_root, queue_end, submission_id, posted_block, deadline_block";

/// A `batches` row as the API shows it (without data).
fn batch_info(row: &Row<'_>) -> Result<BatchInfo, JournalError> {
    let status: String = row.get(1)?;
    let submission_id: Option<u64> = row.get(9)?;
    let status = match status.as_str() {
        "open" => BatchStatus::Open,
        "sealed" => BatchStatus::Sealed,
        "posted" => BatchStatus::Posted {
            submission_id: submission_id.unwrap_or_default(),
            posted_block: row.get::<_, Option<u64>>(10)?.unwrap_or_default(),
            deadline_block: row.get::<_, Option<u64>>(11)?.unwrap_or_default(),
        },
        "finalized" => BatchStatus::Finalized {
            submission_id: submission_id.unwrap_or_default(),
        },
        "reverted" => BatchStatus::Reverted,
        other => {
            return Err(JournalError::Corrupt {
                what: "batch status".into(),
                reason: format!("unknown status {other:?}"),
            });
        }
    };
    Ok(BatchInfo {
        index: row.get(0)?,
        status,
        timestamp_ms: row.get(2)?,
        tx_count: row.get(3)?,
        prev_state_root: h256(row.get(4)?)?,
        queue_start: row.get(5)?,
        header_hash: opt_h256(row.get(6)?)?,
        post_state_root: opt_h256(row.get(7)?)?,
        queue_end: row.get(8)?,
        data: None,
    })
}

/// The batch with this index: the live one if any, else the newest reverted one.
pub fn batch(
    conn: &Connection,
    index: u64,
    with_data: bool,
) -> Result<Option<BatchInfo>, JournalError> {
    // The data is read only when asked for: the join finds its row by key, and the
    // `CASE` leaves the blob unread otherwise.
    let sql = format!(
        "SELECT {BATCH_COLUMNS}, CASE WHEN ?2 THEN d.data END
         FROM batches LEFT JOIN batch_data d ON d.row = batches.row
         WHERE batch_index = ?1 ORDER BY status = 'reverted', batches.row DESC LIMIT 1"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params![index, with_data])?;
    let Some(row) = rows.next()? else {
        return Ok(None);
    };
    let mut info = batch_info(row)?;
    info.data = row.get(12)?;
    Ok(Some(info))
}

/// Live batches from index `from`, ascending.
pub fn batches(conn: &Connection, from: u64, limit: u64) -> Result<Vec<BatchInfo>, JournalError> {
    let sql = format!(
        "SELECT {BATCH_COLUMNS} FROM batches WHERE batch_index >= ?1 AND status != 'reverted'
         ORDER BY batch_index LIMIT ?2"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params![from, limit])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(batch_info(row)?);
    }
    Ok(out)
}

/// The live batch's status by index, for transactions and withdrawals.
fn live_status(conn: &Connection, index: u64) -> Result<BatchStatus, JournalError> {
    Ok(batch(conn, index, false)?
        .map(|b| b.status)
        .unwrap_or(BatchStatus::Reverted))
}

pub fn tx(conn: &Connection, hash: &H256) -> Result<Option<TxLookup>, JournalError> {
    let row = conn
        .query_row(
            "SELECT seq, batch_index, position, state, receipt FROM txs WHERE hash = ?1",
            params![hash.0],
            |r| {
                Ok((
                    r.get::<_, u64>(0)?,
                    r.get::<_, u64>(1)?,
                    r.get::<_, u32>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            },
        )
        .optional()?;
    let Some((seq, batch_index, position, state, json)) = row else {
        return Ok(None);
    };
    let state = if state == "included" {
        TxState::Included
    } else {
        TxState::Dropped
    };
    let batch_status = match state {
        TxState::Included => live_status(conn, batch_index)?,
        TxState::Dropped => BatchStatus::Reverted,
    };
    Ok(Some(TxLookup {
        hash: *hash,
        state,
        seq,
        batch_index,
        position,
        receipt: receipt(&json)?,
        batch_status,
    }))
}

/// The current chain's transactions with `seq > after`, in execution order.
pub fn tx_list(
    conn: &Connection,
    after: Option<u64>,
    limit: u64,
) -> Result<Vec<TxListEntry>, JournalError> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, hash, batch_index, position FROM txs
         WHERE state = 'included' AND (?1 IS NULL OR seq > ?1) ORDER BY seq LIMIT ?2",
    )?;
    let mut rows = stmt.query(params![after, limit])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(TxListEntry {
            seq: row.get(0)?,
            hash: h256(row.get(1)?)?,
            batch_index: row.get(2)?,
            position: row.get(3)?,
        });
    }
    Ok(out)
}

/// A withdrawal as recorded: account, amount, transaction, batch and that batch's status.
#[derive(Debug, Clone)]
pub struct WithdrawalRow {
    pub account: Address,
    pub amount: u64,
    pub tx_hash: H256,
    pub batch_index: u64,
    pub batch_status: BatchStatus,
}

pub fn withdrawal(conn: &Connection, id: u64) -> Result<Option<WithdrawalRow>, JournalError> {
    let row = conn
        .query_row(
            "SELECT account, amount, tx_hash, batch_index FROM withdrawals WHERE id = ?1",
            params![id],
            |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, u64>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                    r.get::<_, u64>(3)?,
                ))
            },
        )
        .optional()?;
    let Some((account, amount, tx_hash, batch_index)) = row else {
        return Ok(None);
    };
    let account: [u8; 20] = account.try_into().map_err(|_| JournalError::Corrupt {
        what: "withdrawal account".into(),
        reason: "not 20 bytes".into(),
    })?;
    Ok(Some(WithdrawalRow {
        account: Address(account),
        amount,
        tx_hash: h256(tx_hash)?,
        batch_index,
        batch_status: live_status(conn, batch_index)?,
    }))
}

/// A sealed batch the poster has to get onto the settlement layer (or confirm there).
#[derive(Debug, Clone)]
pub struct Unsettled {
    pub index: u64,
    pub header_hash: H256,
    pub posted: bool,
    /// The encoded batch, for the sealed ones only: a posted batch waiting for its window
    /// is only compared by header hash, and a round must not read a thousand of them.
    pub data: Option<Vec<u8>>,
}

/// Live batches that are sealed or posted but not final, ascending.
pub fn unsettled(conn: &Connection) -> Result<Vec<Unsettled>, JournalError> {
    let mut stmt = conn.prepare_cached(
        "SELECT b.batch_index, b.header_hash, b.status,
             CASE WHEN b.status = 'sealed' THEN d.data END
         FROM batches b LEFT JOIN batch_data d ON d.row = b.row
         WHERE b.status IN ('sealed', 'posted') ORDER BY b.batch_index",
    )?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let status: String = row.get(2)?;
        out.push(Unsettled {
            index: row.get(0)?,
            header_hash: h256(row.get(1)?)?,
            posted: status == "posted",
            data: row.get(3)?,
        });
    }
    Ok(out)
}

/// The highest live batch index that reached each stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Sealed, posted or finalized.
    pub sealed: Option<u64>,
    /// Posted or finalized.
    pub posted: Option<u64>,
    pub finalized: Option<u64>,
}

pub fn progress(conn: &Connection) -> Result<Progress, JournalError> {
    let max = |statuses: &str| -> Result<Option<u64>, JournalError> {
        Ok(conn.query_row(
            &format!("SELECT MAX(batch_index) FROM batches WHERE status IN ({statuses})"),
            [],
            |r| r.get(0),
        )?)
    };
    Ok(Progress {
        sealed: max("'sealed', 'posted', 'finalized'")?,
        posted: max("'posted', 'finalized'")?,
        finalized: max("'finalized'")?,
    })
}
