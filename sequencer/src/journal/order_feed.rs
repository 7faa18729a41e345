//! What the feed's `orders` and `withdrawals` channels read (`http/stream.rs`): an
//! account's order events after a `seq`, oldest first, merged from the tables the journal
//! writer already keeps in the same group commit as the transactions (orders placed or
//! rejected from `orders`, fills from `fills`, cancellations with their reason from
//! `order_cancels`), each event made as `protocol::api::order_feed` makes it (the
//! verifier's feed derives the same events from its own re-execution), and its withdrawals
//! after a `seq`. Reverted batches are left out, as
//! in the history endpoints, so a resumed subscription sees the re-sequenced entries.

use super::JournalError;
use super::history::{self, Walk};
use super::ledger::{self, LIVE_BATCH, OrderStatus, h256};
use protocol::api::order_feed::{self, Terms, TxAt};
use protocol::api::stream::OrderUpdate;
use protocol::primitives::Address;
use rusqlite::{Connection, params};

/// One source of an account's order events: a query reading up to `n` of them on a walk.
type OrderSource = fn(&Connection, &Address, Walk, u64) -> Result<Vec<OrderUpdate>, JournalError>;

/// `account`'s order events with `seq > after`, oldest first (events of one transaction in
/// the order placed, filled, cancelled), about `limit` per source (`sizes` is `limit` and
/// the first read, as for `history::whole_transactions`), and the cursor (the page's last
/// `seq`) when more may follow. Only whole transactions are returned, so `after` can move to
/// the last `seq` without a gap; a transaction with more events than a page is returned
/// whole, so every page moves the cursor.
pub fn account_order_events(
    conn: &Connection,
    account: &Address,
    after: u64,
    sizes: (u64, u64),
) -> Result<(Vec<OrderUpdate>, Option<u64>), JournalError> {
    let walk = Walk::OldestAfter(after);
    let whole = |read: OrderSource| {
        let read = |c: &Connection, walk, n| read(c, account, walk, n);
        history::whole_transactions(conn, walk, sizes, read, |e: &OrderUpdate| e.seq)
    };
    let sources = [whole(placed)?, whole(filled)?, whole(account_cancels)?];
    Ok(merge_whole_transactions(sources))
}

/// The sources' events in `seq` order (stable: placed, filled, cancelled within one), up to
/// the first cursor of a source with more (each source is whole up to its cursor, so all
/// are up to the smallest), and that cursor.
fn merge_whole_transactions(
    sources: [(Vec<OrderUpdate>, Option<u64>); 3],
) -> (Vec<OrderUpdate>, Option<u64>) {
    let horizon = sources.iter().filter_map(|(_, more)| *more).min();
    let mut events: Vec<OrderUpdate> = sources
        .into_iter()
        .flat_map(|(events, _)| events)
        .filter(|e| horizon.is_none_or(|h| e.seq <= h))
        .collect();
    events.sort_by_key(|e| e.seq);
    (events, horizon)
}

/// `account`'s placements and rejections along `walk` (each event as
/// `protocol::api::order_feed` makes it, the verifier's feed's too).
fn placed(
    conn: &Connection,
    account: &Address,
    walk: Walk,
    limit: u64,
) -> Result<Vec<OrderUpdate>, JournalError> {
    let orders = ledger::account_orders(conn, account, walk, limit)?;
    Ok(orders
        .into_iter()
        .map(|o| {
            let at = TxAt {
                seq: o.seq,
                tx_hash: o.tx_hash,
                batch_index: o.batch_index,
                timestamp_ms: o.timestamp_ms,
            };
            let terms = Terms {
                market: o.market,
                nonce: o.nonce,
                side: o.side,
                price: o.price,
                size: o.size,
            };
            let rejected = o.status == OrderStatus::Rejected;
            order_feed::placement(at, terms, if rejected { o.reason } else { None })
        })
        .collect())
}

/// `account`'s fills along `walk`, as order events.
fn filled(
    conn: &Connection,
    account: &Address,
    walk: Walk,
    limit: u64,
) -> Result<Vec<OrderUpdate>, JournalError> {
    let fills = history::account_fills(conn, account, walk, limit)?;
    Ok(fills.iter().map(order_feed::fill_event).collect())
}

/// `account`'s cancellations along `walk`, with the side and price of the order's entry
/// they ended (a modified order has one entry per modify: only the newest before the
/// cancellation is joined, so each cancellation is one event).
fn account_cancels(
    conn: &Connection,
    account: &Address,
    walk: Walk,
    limit: u64,
) -> Result<Vec<OrderUpdate>, JournalError> {
    let (condition, cursor) = walk.sql();
    let sql = format!(
        "SELECT f.seq, f.tx_hash, f.batch_index, b.timestamp_ms, f.market, f.nonce,
             f.remaining, f.reason, o.is_buy, o.price
         FROM order_cancels f {LIVE_BATCH}
         LEFT JOIN orders o ON o.account = f.account AND o.nonce = f.nonce
             AND o.market = f.market AND o.seq = (SELECT MAX(n.seq) FROM orders n
                 WHERE n.account = f.account AND n.nonce = f.nonce AND n.market = f.market
                     AND n.seq <= f.seq)
         WHERE f.account = ?1 AND {condition} LIMIT ?3"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params![account.0, cursor, limit])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let at = TxAt {
            seq: r.get(0)?,
            tx_hash: h256(r.get(1)?)?,
            batch_index: r.get(2)?,
            timestamp_ms: r.get(3)?,
        };
        let is_buy: Option<bool> = r.get(8)?;
        let price = r.get::<_, Option<u64>>(9)?.unwrap_or(0);
        let entry = is_buy.map(|b| (order_feed::side(b), price));
        let order = (r.get(4)?, r.get(5)?, r.get(6)?);
        out.push(order_feed::cancellation(at, order, r.get(7)?, entry));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::schema;
    use protocol::api::stream::OrderEvent;

    const ACCOUNT: Address = Address([7; 20]);

    /// One transaction's rows for `ACCOUNT`: placements (nonces), fills (count), and
    /// cancellations (nonces).
    struct TxRows {
        placed: &'static [u64],
        fills: u64,
        cancels: &'static [u64],
    }

    fn journal(txs: &[TxRows]) -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let conn = schema::open(&dir.path().join("j.db")).unwrap();
        conn.execute(
            "INSERT INTO batches (batch_index, status, timestamp_ms, prev_state_root,
                 queue_start, tx_count) VALUES (0, 'open', 1, x'00', 0, 0)",
            [],
        )
        .unwrap();
        for (i, t) in txs.iter().enumerate() {
            let seq = i as u64 + 1;
            for (idx, nonce) in t.placed.iter().enumerate() {
                conn.execute(
                    "INSERT INTO orders (seq, idx, tx_hash, batch_index, account, market, nonce,
                         is_buy, price, size, tif, reduce_only, status, rested)
                     VALUES (?1, ?5, ?6, 0, ?2, 1, ?3, 1, ?4, 9, 0, 0, 0, 1)",
                    params![seq, ACCOUNT.0, nonce, 100 + seq, idx as u64, [0u8; 32]],
                )
                .unwrap();
            }
            for idx in 0..t.fills {
                conn.execute(
                    "INSERT INTO fills (seq, idx, tx_hash, batch_index, market, price, size,
                         taker_is_buy, maker, maker_nonce, maker_fee, taker, taker_nonce, taker_fee)
                     VALUES (?1, ?2, ?5, 0, 1, 100, 1, 1, ?3, 0, 0, ?4, ?2, 0)",
                    params![seq, idx, [9u8; 20], ACCOUNT.0, [0u8; 32]],
                )
                .unwrap();
            }
            for (idx, nonce) in t.cancels.iter().enumerate() {
                conn.execute(
                    "INSERT INTO order_cancels (seq, idx, tx_hash, batch_index, account, market,
                         nonce, remaining, reason) VALUES (?1, ?2, ?5, 0, ?3, 1, ?4, 1, 'user')",
                    params![seq, idx as u64, ACCOUNT.0, nonce, [0u8; 32]],
                )
                .unwrap();
            }
        }
        (dir, conn)
    }

    /// Every event from `after = 0`, following the cursor page by page (bounded).
    fn follow(conn: &Connection, limit: u64) -> (Vec<(u64, OrderEvent)>, usize) {
        let (mut after, mut got, mut pages) = (0, Vec::new(), 0);
        for _ in 0..1_000 {
            let (page, more) = account_order_events(conn, &ACCOUNT, after, (limit, limit)).unwrap();
            pages += 1;
            got.extend(page.iter().map(|e| (e.seq, e.event)));
            match more {
                Some(cursor) => {
                    assert!(cursor > after, "a page with more must move the cursor");
                    after = cursor;
                }
                None => return (got, pages),
            }
        }
        panic!("the cursor never caught up");
    }

    fn empty() -> TxRows {
        TxRows {
            placed: &[],
            fills: 0,
            cancels: &[],
        }
    }

    #[test]
    fn every_page_moves_however_many_events_one_transaction_holds() {
        // (transactions, page size): a transaction with more fills or cancellations than a
        // page used to stall the channel (or cut the transaction).
        let big_cancels: &'static [u64] = Box::leak((0..30).collect::<Vec<u64>>().into());
        let table: Vec<(Vec<TxRows>, u64)> = vec![
            (
                vec![TxRows {
                    placed: &[1],
                    fills: 0,
                    cancels: &[],
                }],
                5,
            ),
            (
                vec![TxRows {
                    placed: &[],
                    fills: 12,
                    cancels: &[],
                }],
                5,
            ),
            (
                vec![
                    TxRows {
                        placed: &[1],
                        fills: 0,
                        cancels: &[],
                    },
                    TxRows {
                        placed: &[2],
                        fills: 12,
                        cancels: &[1],
                    },
                    TxRows {
                        placed: &[3],
                        fills: 1,
                        cancels: &[],
                    },
                ],
                5,
            ),
            (
                vec![
                    empty(),
                    TxRows {
                        placed: &[4],
                        fills: 3,
                        cancels: big_cancels,
                    },
                ],
                4,
            ),
            (
                vec![
                    TxRows {
                        placed: &[1],
                        fills: 7,
                        cancels: &[],
                    },
                    TxRows {
                        placed: &[],
                        fills: 0,
                        cancels: big_cancels,
                    },
                    TxRows {
                        placed: &[2],
                        fills: 7,
                        cancels: &[2],
                    },
                ],
                6,
            ),
        ];
        for (txs, limit) in table {
            let (_dir, conn) = journal(&txs);
            let (got, _) = follow(&conn, limit);
            let want: Vec<(u64, OrderEvent)> = txs
                .iter()
                .enumerate()
                .flat_map(|(i, t)| {
                    let seq = i as u64 + 1;
                    let placed = t.placed.iter().map(move |_| (seq, OrderEvent::Placed));
                    let filled = (0..t.fills).map(move |_| (seq, OrderEvent::Filled));
                    let cancelled = t.cancels.iter().map(move |_| (seq, OrderEvent::Cancelled));
                    placed.chain(filled).chain(cancelled)
                })
                .collect();
            assert_eq!(got, want, "page size {limit}");
        }
    }

    #[test]
    fn a_modified_orders_cancellation_is_one_event_with_the_modified_price() {
        // Placed at seq 1, modified at seq 2 (a second entry with the same nonce), then
        // cancelled at seq 3; and a second order cancelled at seq 3 without a modify.
        let txs = [
            TxRows {
                placed: &[5, 6],
                fills: 0,
                cancels: &[],
            },
            TxRows {
                placed: &[5],
                fills: 0,
                cancels: &[],
            },
            TxRows {
                placed: &[],
                fills: 0,
                cancels: &[5, 6],
            },
        ];
        let (_dir, conn) = journal(&txs);
        let (events, _) = account_order_events(&conn, &ACCOUNT, 2, (10, 10)).unwrap();
        let cancels: Vec<(u64, u64)> = events.iter().map(|e| (e.nonce, e.price)).collect();
        // Prices are 100 + the entry's seq: the modify's (102) for order 5.
        assert_eq!(cancels, [(5, 102), (6, 101)]);
    }
}
