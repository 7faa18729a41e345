//! The L1 queue: deposits and forced actions, in arrival order, which batches must consume
//! contiguously, byte for byte, and before each message's force-inclusion deadline.

use super::chain::{self, Head};
use super::schema::sql_key;
use super::{accounts, batches, events};
use crate::error_codes;
use crate::rules::Rules;
use protocol::action::L1Message;
use protocol::api::settlement::{
    DepositCall, DepositResponse, EventKind, ForceCall, ForceResponse, QueueEntry, QueueResponse,
};
use protocol::codec::{Decode, Encode};
use protocol::primitives::Address;
use protocol::signing;
use rusqlite::{Connection, OptionalExtension, params};
use service_shell::http::ApiError;

/// Most queue entries one read returns.
pub const MAX_QUEUE_PER_READ: u64 = 1_000;

/// A stored queue message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    pub index: u64,
    /// The canonical `L1Message` encoding, as enqueued.
    pub message: Vec<u8>,
    pub sender: Address,
    pub block: u64,
    pub timestamp_ms: u64,
}

pub fn length(conn: &Connection) -> Result<u64, ApiError> {
    Ok(conn.query_row("SELECT COUNT(*) FROM queue", [], |r| r.get(0))?)
}

pub fn get(conn: &Connection, index: u64) -> Result<Option<Queued>, ApiError> {
    let Some(key) = sql_key(index) else {
        return Ok(None);
    };
    Ok(conn
        .query_row("SELECT queue_index, message, sender, block, timestamp_ms FROM queue WHERE queue_index = ?1", [key], |r| {
            Ok(Queued { index: r.get(0)?, message: r.get(1)?, sender: Address(r.get(2)?), block: r.get(3)?, timestamp_ms: r.get(4)? })
        })
        .optional()?)
}

/// The last block at which a batch may still leave message `queued` unconsumed.
pub fn deadline(rules: &Rules, queued_block: u64) -> u64 {
    queued_block.saturating_add(rules.config.force_inclusion_deadline_blocks)
}

fn enqueue(
    conn: &Connection,
    sender: &Address,
    message: &L1Message,
    head: &Head,
) -> Result<u64, ApiError> {
    let index = length(conn)?;
    conn.execute(
        "INSERT INTO queue (queue_index, message, sender, block, timestamp_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![index, message.encode(), sender.0, head.number, head.timestamp_ms],
    )?;
    Ok(index)
}

/// `POST /v1/deposit`: escrows the caller's tokens and queues the L2 credit.
pub fn deposit(
    conn: &Connection,
    rules: &Rules,
    from: &Address,
    call: &DepositCall,
) -> Result<DepositResponse, ApiError> {
    super::exit::require_live(conn, "a deposit")?;
    if call.amount == 0 {
        return Err(ApiError::new(
            error_codes::ZERO_AMOUNT,
            "amount must be greater than zero",
        ));
    }
    accounts::debit(conn, from, call.amount, "the deposit")?;
    let mut head = chain::head(conn)?;
    head.escrow = head
        .escrow
        .checked_add(call.amount)
        .ok_or_else(|| ApiError::internal("escrow overflow"))?;
    chain::save_head(conn, &head)?;
    let index = enqueue(
        conn,
        from,
        &L1Message::Deposit {
            account: call.account,
            amount: call.amount,
        },
        &head,
    )?;
    let event = EventKind::Deposited {
        queue_index: index,
        from: *from,
        account: call.account,
        amount: call.amount,
    };
    events::append(conn, head.number, head.timestamp_ms, &event)?;
    Ok(DepositResponse {
        queue_index: index,
        block: head.number,
        deadline_block: deadline(rules, head.number),
    })
}

/// `POST /v1/force`: queues a signed L2 action. Only actions that get a user out are
/// accepted (withdraw, cancel, cancel-all, and reduce-only orders, i.e. closing), and the
/// L2 signature must verify now, so a forced message is never dead on arrival.
pub fn force(
    conn: &Connection,
    rules: &Rules,
    from: &Address,
    call: &ForceCall,
) -> Result<ForceResponse, ApiError> {
    super::exit::require_live(conn, "a forced action")?;
    call.action
        .action
        .check_forcible()
        .map_err(|e| ApiError::new(error_codes::FORCED_ACTION_NOT_ALLOWED, e.to_string()))?;
    signing::verify_action(&call.action, &rules.l2_domain, &rules.genesis().oracles).map_err(
        |e| {
            ApiError::new(
                error_codes::INVALID_FORCED_ACTION,
                format!("the forced action's L2 signature does not verify: {e}"),
            )
        },
    )?;
    let head = chain::head(conn)?;
    let index = enqueue(
        conn,
        from,
        &L1Message::Forced {
            action: call.action.clone(),
        },
        &head,
    )?;
    let event = EventKind::ForcedQueued {
        queue_index: index,
        from: *from,
        action: call.action.clone(),
    };
    events::append(conn, head.number, head.timestamp_ms, &event)?;
    Ok(ForceResponse {
        queue_index: index,
        block: head.number,
        deadline_block: deadline(rules, head.number),
    })
}

/// `GET /v1/queue?from=&limit=`.
pub fn view(
    conn: &Connection,
    rules: &Rules,
    from: u64,
    limit: u64,
) -> Result<QueueResponse, ApiError> {
    let length = length(conn)?;
    let next_unconsumed = batches::tip(conn, rules)?.queue_end;
    let mut messages = Vec::new();
    let end = from
        .saturating_add(limit.clamp(1, MAX_QUEUE_PER_READ))
        .min(length);
    for index in from..end {
        let Some(q) = get(conn, index)? else { break };
        let message = L1Message::decode(&q.message)
            .map_err(|e| ApiError::internal(format_args!("queue {index}: {e}")))?;
        let consumed_by = batches::consumer_of(conn, index)?;
        messages.push(QueueEntry {
            index,
            message,
            sender: q.sender,
            enqueued_block: q.block,
            enqueued_timestamp_ms: q.timestamp_ms,
            deadline_block: deadline(rules, q.block),
            consumed_by,
        });
    }
    Ok(QueueResponse {
        length,
        next_unconsumed,
        messages,
    })
}
