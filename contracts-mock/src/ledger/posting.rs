//! Batch submission: every rule of DESIGN §6 a posted batch must pass, checked in this
//! order (the first failure is the answer, and nothing is written):
//!
//! 1. the poster's bond ≥ the minimum sequencer bond;
//! 2. the data decodes as a `Batch` and `check_shape(K)` passes (counts, tx root,
//!    checkpoint count and root, last checkpoint = post root, queue indices in order);
//! 3. index = the tip's index + 1 (0 after genesis), prev header hash = the tip's header
//!    hash (`genesis_anchor`), prev state root = the tip's post root (the genesis root);
//! 4. tip timestamp ≤ timestamp, and |timestamp − L1 head timestamp| ≤ the drift bound;
//! 5. queue_start = the first unconsumed message, queue_end ≤ the queue length, and each L1
//!    transaction carries exactly the queued message's bytes;
//! 6. the first message left unconsumed (queue_end) is not past its deadline: a message
//!    enqueued at block e must be consumed by a batch posted at a head block ≤ e + D.

use super::batches::{self, next_index};
use super::chain::{self, Head};
use super::{accounts, events, queue};
use crate::error_codes;
use crate::rules::Rules;
use protocol::action::Tx;
use protocol::api::settlement::{EventKind, PostBatchCall, PostBatchResponse, TipInfo};
use protocol::batch::{Batch, BatchError, BatchHeader};
use protocol::codec::{Decode, Encode};
use protocol::primitives::Address;
use rusqlite::{Connection, params};
use service_shell::http::ApiError;

/// `POST /v1/batches`.
pub fn post(
    conn: &Connection,
    rules: &Rules,
    from: &Address,
    call: &PostBatchCall,
) -> Result<PostBatchResponse, ApiError> {
    super::exit::require_live(conn, "a batch")?;
    accounts::require_bond(
        conn,
        from,
        rules.config.min_sequencer_bond,
        "posting a batch",
    )?;
    let data = call.encoded();
    let batch = Batch::decode(&data).map_err(|e| {
        ApiError::new(
            error_codes::MALFORMED_BATCH,
            format!("batch data does not decode: {e}"),
        )
    })?;
    batch
        .check_shape(rules.genesis().checkpoint_interval_txs)
        .map_err(shape_error)?;
    let head = chain::head(conn)?;
    let tip = batches::tip(conn, rules)?;
    check_link(&batch.header, &tip)?;
    check_timestamp(rules, &batch.header, &tip, &head)?;
    check_queue(conn, rules, &batch, &tip, &head)?;

    let h = &batch.header;
    let header_hash = h.hash();
    let deadline_block = head.number + rules.config.challenge_window_blocks;
    conn.execute(
        "INSERT INTO batches (batch_index, header_hash, prev_header_hash, prev_state_root, post_state_root, timestamp_ms,
             queue_start, queue_end, tx_count, poster, posted_block, deadline_block, status)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'pending')",
        params![
            h.index,
            header_hash.0,
            h.prev_header_hash.0,
            h.prev_state_root.0,
            h.post_state_root.0,
            h.timestamp_ms,
            h.queue_start,
            h.queue_end,
            h.tx_count,
            from.0,
            head.number,
            deadline_block
        ],
    )?;
    let submission_id = u64::try_from(conn.last_insert_rowid()).map_err(ApiError::internal)?;
    conn.execute(
        "INSERT INTO batch_data (submission_id, data) VALUES (?1, ?2)",
        params![submission_id, data.as_ref()],
    )?;
    let event = EventKind::BatchPosted {
        submission_id,
        index: h.index,
        header_hash,
        poster: *from,
        deadline_block,
        data: Vec::new(), // joined in from `batch_data` when served
    };
    events::append(conn, head.number, head.timestamp_ms, &event)?;
    Ok(PostBatchResponse {
        submission_id,
        index: h.index,
        header_hash,
        posted_block: head.number,
        deadline_block,
    })
}

fn shape_error(e: BatchError) -> ApiError {
    let message = format!("batch rejected: {e}");
    match e {
        BatchError::LastCheckpoint { .. } => ApiError::new(error_codes::BAD_CHECKPOINT, message),
        BatchError::CheckpointCount { .. } | BatchError::CheckpointRoot { .. } => {
            ApiError::new(error_codes::BAD_CHECKPOINTS, message)
        }
        BatchError::ReceiptRootCount { .. } | BatchError::ReceiptsRoot { .. } => {
            ApiError::new(error_codes::BAD_RECEIPT_ROOTS, message)
        }
        BatchError::QueueOrder { .. } | BatchError::QueueEnd { .. } => {
            ApiError::new(error_codes::QUEUE_ORDER, message)
        }
        BatchError::Empty | BatchError::TxCount { .. } | BatchError::TxRoot { .. } => {
            ApiError::new(error_codes::BAD_BATCH_SHAPE, message)
        }
    }
}

fn check_link(h: &BatchHeader, tip: &TipInfo) -> Result<(), ApiError> {
    let tip_name = tip
        .index
        .map_or("genesis".to_string(), |i| format!("batch {i}"));
    let expected = next_index(tip);
    if h.index != expected {
        return Err(ApiError::new(
            error_codes::WRONG_INDEX,
            format!(
                "batch index {} is not the next index {expected} (the tip is {tip_name})",
                h.index
            ),
        ));
    }
    // (code, header field, its value, what of the tip it must equal, the tip's value)
    let links = [
        (
            error_codes::WRONG_PARENT,
            "prev_header_hash",
            h.prev_header_hash,
            "header hash",
            tip.header_hash,
        ),
        (
            error_codes::WRONG_PREV_ROOT,
            "prev_state_root",
            h.prev_state_root,
            "state root",
            tip.state_root,
        ),
    ];
    for (code, field, ours, what, tips) in links {
        if ours != tips {
            return Err(ApiError::new(
                code,
                format!("{field} {ours} is not the {what} {tips} of the tip ({tip_name})"),
            ));
        }
    }
    Ok(())
}

fn check_timestamp(
    rules: &Rules,
    h: &BatchHeader,
    tip: &TipInfo,
    head: &Head,
) -> Result<(), ApiError> {
    let ts = h.timestamp_ms;
    if ts < tip.timestamp_ms {
        return Err(ApiError::new(
            error_codes::TIMESTAMP_REGRESSED,
            format!(
                "batch timestamp {ts} is before its parent's timestamp {}: timestamps must not go backwards",
                tip.timestamp_ms
            ),
        ));
    }
    let drift = rules.config.max_timestamp_drift_ms;
    let l1 = head.timestamp_ms;
    if ts > l1.saturating_add(drift) {
        return Err(ApiError::new(
            error_codes::TIMESTAMP_TOO_FAR_AHEAD,
            format!(
                "batch timestamp {ts} is more than {drift} ms ahead of the L1 time {l1} (block {})",
                head.number
            ),
        ));
    }
    if ts < l1.saturating_sub(drift) {
        return Err(ApiError::new(
            error_codes::TIMESTAMP_TOO_FAR_BEHIND,
            format!(
                "batch timestamp {ts} is more than {drift} ms behind the L1 time {l1} (block {})",
                head.number
            ),
        ));
    }
    Ok(())
}

fn check_queue(
    conn: &Connection,
    rules: &Rules,
    batch: &Batch,
    tip: &TipInfo,
    head: &Head,
) -> Result<(), ApiError> {
    let h = &batch.header;
    if h.queue_start != tip.queue_end {
        return Err(ApiError::new(
            error_codes::QUEUE_GAP,
            format!(
                "batch consumes the L1 queue from message {}, but the next unconsumed message is {}",
                h.queue_start, tip.queue_end
            ),
        ));
    }
    let length = queue::length(conn)?;
    if h.queue_end > length {
        return Err(ApiError::new(
            error_codes::QUEUE_BEYOND_END,
            format!(
                "batch consumes L1 queue messages {}..{}, but the queue holds only {length}",
                h.queue_start, h.queue_end
            ),
        ));
    }
    for (position, tx) in batch.txs.iter().enumerate() {
        if let Tx::L1 {
            queue_index,
            message,
        } = tx
        {
            let stored = queue::get(conn, *queue_index)?.ok_or_else(|| {
                ApiError::internal(format_args!(
                    "queue message {queue_index} vanished below the queue length"
                ))
            })?;
            if stored.message != message.encode() {
                return Err(ApiError::new(
                    error_codes::QUEUE_MISMATCH,
                    format!(
                        "transaction {position} does not carry L1 queue message {queue_index} as queued (its bytes differ)"
                    ),
                ));
            }
        }
    }
    if let Some(first_left) = queue::get(conn, h.queue_end)? {
        let due = queue::deadline(rules, first_left.block);
        if head.number > due {
            return Err(ApiError::new(
                error_codes::OVERDUE_MESSAGE_SKIPPED,
                format!(
                    "L1 queue message {} (enqueued at block {}) had to be consumed by block {due}; at block {} a batch must include it",
                    first_left.index, first_left.block, head.number
                ),
            ));
        }
    }
    Ok(())
}
