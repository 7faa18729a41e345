//! Stored batches ("submissions") and the tip of the chain they form.
//!
//! A submission is live while pending or finalized, and dead once reverted. Live batches
//! have distinct indices 0..n with no gap; the tip is the live batch with the highest index
//! (genesis when there is none). The posting rules themselves are in `posting`.

use super::schema::sql_key;
use crate::rules::Rules;
use protocol::api::settlement::{BatchStatus, BatchView, TipInfo};
use protocol::primitives::{Address, H256};
use rusqlite::{Connection, OptionalExtension, Row, params};
use service_shell::http::ApiError;

/// Most batches one listing returns.
pub const MAX_BATCHES_PER_READ: u64 = 1_000;

/// A submission's metadata (the data blob is read separately, only when needed): its API
/// view and the two columns the rules read beyond it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRow {
    /// What `GET /v1/batches` shows, without the data (`view.data` is `None`).
    pub view: BatchView,
    /// Challengeable while the head block is ≤ this (kept once the batch is settled).
    pub deadline_block: u64,
    /// The block it was finalized or reverted in.
    pub settled_block: Option<u64>,
}

const COLUMNS: &str = "submission_id, batch_index, header_hash, prev_header_hash, prev_state_root, post_state_root,
    timestamp_ms, queue_start, queue_end, tx_count, poster, posted_block, deadline_block, status, settled_block";

fn from_row(r: &Row<'_>) -> rusqlite::Result<BatchRow> {
    let status: String = r.get(13)?;
    let deadline_block: u64 = r.get(12)?;
    let settled_block: Option<u64> = r.get(14)?;
    let settled = settled_block.unwrap_or(0);
    let status = match status.as_str() {
        "pending" => BatchStatus::Pending { deadline_block },
        "finalized" => BatchStatus::Finalized {
            finalized_block: settled,
        },
        _ => BatchStatus::Reverted {
            reverted_block: settled,
        },
    };
    let view = BatchView {
        submission_id: r.get(0)?,
        index: r.get(1)?,
        header_hash: H256(r.get(2)?),
        prev_header_hash: H256(r.get(3)?),
        prev_state_root: H256(r.get(4)?),
        post_state_root: H256(r.get(5)?),
        timestamp_ms: r.get(6)?,
        queue_start: r.get(7)?,
        queue_end: r.get(8)?,
        tx_count: r.get(9)?,
        poster: Address(r.get(10)?),
        posted_block: r.get(11)?,
        status,
        data: None,
    };
    Ok(BatchRow {
        view,
        deadline_block,
        settled_block,
    })
}

fn one(
    conn: &Connection,
    filter: &str,
    key: impl rusqlite::Params,
) -> Result<Option<BatchRow>, ApiError> {
    let sql = format!("SELECT {COLUMNS} FROM batches {filter} LIMIT 1");
    Ok(conn.query_row(&sql, key, from_row).optional()?)
}

fn many(
    conn: &Connection,
    filter: &str,
    key: impl rusqlite::Params,
) -> Result<Vec<BatchRow>, ApiError> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM batches {filter}"))?;
    let rows = stmt.query_map(key, from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The most recent submission with `index`: the live one if there is one, else the last
/// reverted one.
pub fn latest_by_index(conn: &Connection, index: u64) -> Result<Option<BatchRow>, ApiError> {
    let Some(key) = sql_key(index) else {
        return Ok(None);
    };
    one(
        conn,
        "WHERE batch_index = ?1 ORDER BY submission_id DESC",
        [key],
    )
}

pub fn by_submission(conn: &Connection, submission_id: u64) -> Result<Option<BatchRow>, ApiError> {
    let Some(key) = sql_key(submission_id) else {
        return Ok(None);
    };
    one(conn, "WHERE submission_id = ?1", [key])
}

/// The most recent submission whose header hashes to `hash`.
pub fn by_header_hash(conn: &Connection, hash: &H256) -> Result<Option<BatchRow>, ApiError> {
    one(
        conn,
        "WHERE header_hash = ?1 ORDER BY submission_id DESC",
        [hash.0],
    )
}

/// Pending batches, ascending by index.
pub fn pending(conn: &Connection) -> Result<Vec<BatchRow>, ApiError> {
    many(conn, "WHERE status = 'pending' ORDER BY batch_index", [])
}

pub fn last_finalized(conn: &Connection) -> Result<Option<BatchRow>, ApiError> {
    one(
        conn,
        "WHERE status = 'finalized' ORDER BY batch_index DESC",
        [],
    )
}

/// Pending batches posted by `poster`, ascending.
pub fn pending_posted_by(conn: &Connection, poster: &Address) -> Result<Vec<BatchRow>, ApiError> {
    many(
        conn,
        "WHERE status = 'pending' AND poster = ?1 ORDER BY batch_index",
        [poster.0],
    )
}

/// Live batches with index ≥ `from`, ascending.
pub fn live_from(conn: &Connection, from: u64, limit: u64) -> Result<Vec<BatchRow>, ApiError> {
    let Some(key) = sql_key(from) else {
        return Ok(Vec::new());
    };
    many(
        conn,
        "WHERE status <> 'reverted' AND batch_index >= ?1 ORDER BY batch_index LIMIT ?2",
        params![key, limit],
    )
}

/// The live batch consuming queue message `queue_index`, if any.
pub fn consumer_of(conn: &Connection, queue_index: u64) -> Result<Option<u64>, ApiError> {
    let Some(key) = sql_key(queue_index) else {
        return Ok(None);
    };
    Ok(one(
        conn,
        "WHERE status <> 'reverted' AND queue_start <= ?1 AND queue_end > ?1",
        [key],
    )?
    .map(|b| b.view.index))
}

/// The canonical encoding the submission was posted with.
pub fn data(conn: &Connection, submission_id: u64) -> Result<Vec<u8>, ApiError> {
    Ok(conn.query_row(
        "SELECT data FROM batch_data WHERE submission_id = ?1",
        [submission_id],
        |r| r.get(0),
    )?)
}

pub fn mark_reverted(conn: &Connection, submission_id: u64, block: u64) -> Result<(), ApiError> {
    conn.execute(
        "UPDATE batches SET status = 'reverted', settled_block = ?1 WHERE submission_id = ?2",
        params![block, submission_id],
    )?;
    Ok(())
}

/// The tip the next batch must extend.
pub fn tip(conn: &Connection, rules: &Rules) -> Result<TipInfo, ApiError> {
    Ok(
        match one(
            conn,
            "WHERE status <> 'reverted' ORDER BY batch_index DESC",
            [],
        )? {
            Some(BatchRow { view: b, .. }) => TipInfo {
                index: Some(b.index),
                header_hash: b.header_hash,
                state_root: b.post_state_root,
                timestamp_ms: b.timestamp_ms,
                queue_end: b.queue_end,
            },
            None => TipInfo {
                index: None,
                header_hash: rules.genesis_anchor,
                state_root: rules.genesis_root,
                timestamp_ms: 0,
                queue_end: 0,
            },
        },
    )
}

/// The index the next batch must carry.
pub fn next_index(tip: &TipInfo) -> u64 {
    tip.index.map_or(0, |i| i + 1)
}

/// The API view of a row, with its data if `data` is given.
pub fn view(row: &BatchRow, data: Option<Vec<u8>>) -> BatchView {
    BatchView {
        data,
        ..row.view.clone()
    }
}

/// Counts of pending batches.
pub fn pending_count(conn: &Connection) -> Result<u64, ApiError> {
    Ok(conn.query_row(
        "SELECT COUNT(*) FROM batches WHERE status = 'pending'",
        [],
        |r| r.get(0),
    )?)
}
