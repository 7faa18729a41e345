//! What the feed's `orders` and `withdrawals` channels read (`http/stream.rs`): an
//! account's order events after a `seq`, oldest first, merged from the tables the journal
//! writer already keeps in the same group commit as the transactions (orders placed or
//! rejected from `orders`, fills from `fills`, cancellations with their reason from
//! `order_cancels`), and its withdrawals after a `seq`. Reverted batches are left out, as
//! in the history endpoints, so a resumed subscription sees the re-sequenced entries.

use super::JournalError;
use super::history::{self, Walk};
use super::ledger::{self, LIVE_BATCH, OrderStatus, h256};
use protocol::api::history::Side;
use protocol::api::stream::{OrderEvent, OrderUpdate, WithdrawalUpdate};
use protocol::primitives::Address;
use rusqlite::{Connection, params};

/// `account`'s order events with `seq > after`, oldest first (events of one transaction in
/// the order placed, filled, cancelled), at most about `limit` per source, and the cursor
/// (the page's last `seq`) when more may follow. Only whole transactions are returned, so
/// `after` can move to the last `seq` without a gap.
pub fn account_order_events(
    conn: &Connection,
    account: &Address,
    after: u64,
    limit: u64,
) -> Result<(Vec<OrderUpdate>, Option<u64>), JournalError> {
    let walk = Walk::OldestAfter(after);
    let placed: Vec<OrderUpdate> = ledger::account_orders(conn, account, walk, limit)?
        .into_iter()
        .map(|o| {
            let rejected = o.status == OrderStatus::Rejected;
            OrderUpdate {
                seq: o.seq,
                tx_hash: o.tx_hash,
                batch_index: o.batch_index,
                timestamp_ms: o.timestamp_ms,
                market: o.market,
                nonce: o.nonce,
                event: if rejected {
                    OrderEvent::Rejected
                } else {
                    OrderEvent::Placed
                },
                side: Some(o.side),
                price: o.price,
                size: o.size,
                role: None,
                fee: None,
                reason: if rejected { o.reason } else { None },
            }
        })
        .collect();
    let filled: Vec<OrderUpdate> = history::account_fills(conn, account, walk, limit)?
        .into_iter()
        .map(|f| OrderUpdate {
            seq: f.seq,
            tx_hash: f.tx_hash,
            batch_index: f.batch_index,
            timestamp_ms: f.timestamp_ms,
            market: f.market,
            nonce: f.order_nonce,
            event: OrderEvent::Filled,
            side: Some(f.side),
            price: f.price,
            size: f.size,
            role: Some(f.role),
            fee: Some(f.fee),
            reason: None,
        })
        .collect();
    let cancelled = account_cancels(conn, account, after, limit)?;
    let sources = [placed, filled, cancelled];
    let more = sources.iter().any(|events| events.len() as u64 >= limit);
    let events = merge_whole_transactions(after, limit, sources);
    let cursor = events.last().map(|e| e.seq).filter(|_| more);
    Ok((events, cursor))
}

/// The sources' events in `seq` order (stable: placed, filled, cancelled within one), cut
/// before the first `seq` a full source may not have returned whole.
fn merge_whole_transactions(
    after: u64,
    limit: u64,
    sources: [Vec<OrderUpdate>; 3],
) -> Vec<OrderUpdate> {
    // A source that returned `limit` rows may have more with its last seq: stop below it,
    // unless that seq is the first one (a transaction with more events than a page).
    let horizon = sources
        .iter()
        .filter(|events| events.len() as u64 >= limit)
        .filter_map(|events| events.last().map(|e| e.seq))
        .map(|last| if last - 1 > after { last - 1 } else { last })
        .min()
        .unwrap_or(u64::MAX);
    let mut events: Vec<OrderUpdate> = sources
        .into_iter()
        .flatten()
        .filter(|e| e.seq <= horizon)
        .collect();
    events.sort_by_key(|e| e.seq);
    events
}

/// `account`'s cancellations with `seq > after`, with the order's side and price.
fn account_cancels(
    conn: &Connection,
    account: &Address,
    after: u64,
    limit: u64,
) -> Result<Vec<OrderUpdate>, JournalError> {
    let sql = format!(
        "SELECT f.seq, f.tx_hash, f.batch_index, b.timestamp_ms, f.market, f.nonce,
             f.remaining, f.reason, o.is_buy, o.price
         FROM order_cancels f {LIVE_BATCH}
         LEFT JOIN orders o ON o.account = f.account AND o.nonce = f.nonce
             AND o.market = f.market
         WHERE f.account = ?1 AND f.seq > ?2 ORDER BY f.seq, f.idx LIMIT ?3"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params![account.0, after, limit])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let is_buy: Option<bool> = r.get(8)?;
        out.push(OrderUpdate {
            seq: r.get(0)?,
            tx_hash: h256(r.get(1)?)?,
            batch_index: r.get(2)?,
            timestamp_ms: r.get(3)?,
            market: r.get(4)?,
            nonce: r.get(5)?,
            event: OrderEvent::Cancelled,
            side: is_buy.map(|b| if b { Side::Buy } else { Side::Sell }),
            price: r.get::<_, Option<u64>>(9)?.unwrap_or(0),
            size: r.get(6)?,
            role: None,
            fee: None,
            reason: Some(r.get(7)?),
        });
    }
    Ok(out)
}

/// `account`'s withdrawals with `seq > after` (their transaction's), oldest first, at most
/// `limit` (one per transaction, so whole ones), and the cursor when more may follow.
pub fn account_withdrawals(
    conn: &Connection,
    account: &Address,
    after: u64,
    limit: u64,
) -> Result<(Vec<WithdrawalUpdate>, Option<u64>), JournalError> {
    let sql = format!(
        "SELECT t.seq, f.tx_hash, f.batch_index, b.timestamp_ms, f.id, f.amount
         FROM withdrawals f JOIN txs t ON t.hash = f.tx_hash {LIVE_BATCH}
         WHERE f.account = ?1 AND t.seq > ?2 ORDER BY t.seq LIMIT ?3"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params![account.0, after, limit])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(WithdrawalUpdate {
            seq: r.get(0)?,
            tx_hash: h256(r.get(1)?)?,
            batch_index: r.get(2)?,
            timestamp_ms: r.get(3)?,
            withdrawal_id: r.get(4)?,
            amount: r.get(5)?,
        });
    }
    let cursor = out
        .last()
        .map(|w| w.seq)
        .filter(|_| out.len() as u64 >= limit);
    Ok((out, cursor))
}
