//! The account and market history beside the trades (`history.rs`): every order with what
//! became of it, every funding payment settled into a position, every deposit (withdrawals
//! are the `withdrawals` table), and every funding accrual of a market. A `TriggerOrder`'s
//! terms are kept (`trigger_orders`) so that when it fires it becomes an order entry of the
//! transaction that fired it, found by id after it leaves the book. Like the fills,
//! these rows are written by the journal writer in the same SQLite transaction as the
//! transaction they come from, deleted with a reverted batch or a dropped transaction
//! (`history::delete_from` / `delete_tx` cover every history table), and read newest
//! first below the fills' cursor (`history::Walk`).
//!
//! Orders, deposits and trigger orders are backfilled once from the log and the stored
//! receipts for a data dir created before these tables existed (`history::backfill`). Funding payments and accruals need the state
//! before each transaction, which only the executor holds (`funding_effects`), so funding
//! settled before an old data dir was upgraded is not backfilled.

use super::JournalError;
use super::history::{HistoryTable, IncludedTx, Walk};
use super::record::LogRecord;
use protocol::action::{Action, L1Message, NO_EXPIRY, Order, TimeInForce, TriggerOrder, Tx};
use protocol::api::history::Side;
use protocol::api::order_feed::{self, TriggerTerms, action_of, placed_order};
use protocol::codec::Decode;
use protocol::engine::keys::{market_key, position_key};
use protocol::engine::math::{BPS, FUNDING_INDEX_SCALE};
use protocol::engine::records::{MarketState, Position};
/// Where it has always been read from (its home is the engine's views).
pub use protocol::engine::view::client_order_at;
use protocol::engine::{INSURANCE_FUND, Receipt, Status, TriggerEvent};
use protocol::genesis::Genesis;
use protocol::primitives::{Address, H256};
use protocol::state::{Key, StateError};
use protocol::tree::{Tree, TreeAt};
use rusqlite::{Connection, Row, Transaction, params};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The ledger's tables, written and reverted with the fills (`history::TABLES` lists them
/// all). Signed 128-bit amounts are stored as decimal text: they need not fit SQLite's
/// 64-bit integers.
pub const TABLES: [HistoryTable; 6] = [
    HistoryTable {
        name: "orders",
        columns: "account BLOB NOT NULL, market INTEGER NOT NULL, nonce INTEGER NOT NULL,
            is_buy INTEGER NOT NULL, price INTEGER NOT NULL, size INTEGER NOT NULL,
            tif INTEGER NOT NULL, reduce_only INTEGER NOT NULL, status INTEGER NOT NULL,
            rested INTEGER NOT NULL",
        lookups: &[("by_account", "account, seq")],
    },
    HistoryTable {
        name: "order_cancels",
        columns: "account BLOB NOT NULL, market INTEGER NOT NULL, nonce INTEGER NOT NULL,
            remaining INTEGER NOT NULL, reason TEXT NOT NULL",
        lookups: &[("by_order", "account, nonce")],
    },
    HistoryTable {
        name: "deposits",
        columns: "account BLOB NOT NULL, amount INTEGER NOT NULL, queue_index INTEGER NOT NULL",
        lookups: &[("by_account", "account, seq")],
    },
    HistoryTable {
        name: "funding_payments",
        columns: "account BLOB NOT NULL, market INTEGER NOT NULL, position_size TEXT NOT NULL,
            amount TEXT NOT NULL",
        lookups: &[("by_account", "account, seq")],
    },
    // Per market, not per account, but reverted the same way.
    HistoryTable {
        name: "funding_accruals",
        columns: "market INTEGER NOT NULL, price INTEGER NOT NULL,
            price_timestamp_ms INTEGER NOT NULL, funding_index TEXT NOT NULL,
            index_change TEXT NOT NULL, accrued_ms INTEGER NOT NULL",
        lookups: &[("by_market", "market, seq")],
    },
    HistoryTable {
        name: "trigger_orders",
        columns: "account BLOB NOT NULL, market INTEGER NOT NULL, nonce INTEGER NOT NULL,
            is_buy INTEGER NOT NULL, price INTEGER NOT NULL, size INTEGER NOT NULL,
            reduce_only INTEGER NOT NULL",
        lookups: &[("by_order", "account, nonce")],
    },
];

/// Indexes on tables defined elsewhere that the ledger's reads need.
pub const EXTRA_INDEXES: &str = "
CREATE INDEX IF NOT EXISTS withdrawals_by_account ON withdrawals (account);
CREATE INDEX IF NOT EXISTS fills_by_maker_order ON fills (maker, maker_nonce);
CREATE INDEX IF NOT EXISTS fills_by_taker_order ON fills (taker, taker_nonce);
";

// ---------------------------------------------------------------- API types

/// What became of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// On the book, nothing filled yet.
    Resting,
    /// On the book, part filled.
    PartiallyFilled,
    Filled,
    /// Off the book before filling completely (`reason` says why).
    Cancelled,
    /// Off the book past its good-till-time (`ClientOrder.expiresAt`), not completely filled.
    Expired,
    /// Refused by the engine (only a forced order is sequenced although refused; `reason`
    /// is the receipt's status code).
    Rejected,
    /// Replaced by a `ModifyOrder`: the next entry with the same id (`nonce`) holds its new
    /// terms; `filled` is what filled before the modify.
    Modified,
    /// A trigger order waiting for the mark (`GET /v1/accounts/{a}/orders/{id}` only: a
    /// trigger order is not in the order history until it fires).
    Waiting,
}

/// One order of an account with what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrderEntry {
    /// The placing transaction's sequence number.
    pub seq: u64,
    pub tx_hash: H256,
    pub batch_index: u64,
    /// When it was placed (the batch's timestamp).
    pub timestamp_ms: u64,
    pub market: u32,
    pub side: Side,
    pub price: u64,
    pub size: u64,
    /// `gtc`, `ioc`, `fok` or `post_only`.
    pub tif: String,
    pub reduce_only: bool,
    /// The order's id: its signed nonce.
    pub nonce: u64,
    /// Filled so far, over all its fills.
    pub filled: u64,
    /// Still on the book.
    pub resting: u64,
    pub status: OrderStatus,
    /// Why it was cancelled (`user`, `self_trade`, `maker_margin`, `reduce_only`, `dead_man`,
    /// `liquidation`, `expired`, or `not_rested`: the remainder of an IOC order, a reduce-only cap or
    /// the fill limit) or rejected (the receipt's status code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `GET /v1/accounts/{address}/orders/history`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrderHistoryResponse {
    pub orders: Vec<OrderEntry>,
    pub next_before_seq: Option<u64>,
}

/// Funding settled into one position when its size changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FundingPayment {
    pub seq: u64,
    pub tx_hash: H256,
    pub batch_index: u64,
    pub timestamp_ms: u64,
    pub market: u32,
    /// The signed size the funding accrued on (long > 0).
    pub position_size: i128,
    /// micro-USDC received (negative: paid).
    pub amount: i128,
}

/// `GET /v1/accounts/{address}/funding`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FundingPaymentsResponse {
    pub payments: Vec<FundingPayment>,
    pub next_before_seq: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransferKind {
    /// Escrowed on L1, credited on L2 by its L1 queue message.
    Deposit,
    /// Debited on L2; paid on L1 once its batch is final and it is claimed.
    Withdrawal,
}

/// How far a transfer's batch has come on L1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransferStatus {
    /// In the open batch (soft-confirmed).
    Pending,
    /// Sealed, not yet posted to L1.
    InBatch,
    /// Posted, challengeable until `deadline_block`.
    ChallengeWindow,
    /// Final on L1 (a withdrawal can be claimed; `GET /v1/withdrawals/{id}` says whether
    /// it was, with the proof).
    Final,
}

/// One deposit or withdrawal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Transfer {
    pub seq: u64,
    pub tx_hash: H256,
    pub batch_index: u64,
    pub timestamp_ms: u64,
    pub kind: TransferKind,
    /// micro-USDC.
    pub amount: u64,
    pub status: TransferStatus,
    /// While in the challenge window: the last L1 block a challenge can land in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_block: Option<u64>,
    /// A deposit's L1 queue index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_index: Option<u64>,
    /// A withdrawal's id (`GET /v1/withdrawals/{id}`, `vigil withdrawal ID`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawal_id: Option<u64>,
}

/// `GET /v1/accounts/{address}/transfers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TransfersResponse {
    pub transfers: Vec<Transfer>,
    pub next_before_seq: Option<u64>,
}

/// One funding accrual of a market: an action (an order, a liquidation or an oracle price)
/// moved its funding clock and index (docs/PROTOCOL.md Part 4 §6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FundingAccrual {
    pub seq: u64,
    pub batch_index: u64,
    /// The index price the accrual ran at (held since the previous accrual), and the
    /// market's index time after it.
    pub price: u64,
    pub price_timestamp_ms: u64,
    /// The cumulative index after it (micro-USDC per whole unit × 10^6; longs pay when it
    /// rises).
    pub funding_index: i128,
    pub index_change: i128,
    /// The time it accrued over (0: the first price started the clock).
    pub accrued_ms: u64,
    /// The rate it accrued at, in bps of the price per funding period (the capped premium
    /// of the book mid over the oracle price), recovered from the index change.
    pub rate_bps: i64,
}

/// `GET /v1/markets/{id}/funding`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FundingAccrualsResponse {
    pub market: u32,
    /// The funding period (ms) the rates are per.
    pub funding_period_ms: u64,
    pub accruals: Vec<FundingAccrual>,
    pub next_before_seq: Option<u64>,
}

// ---------------------------------------------------------------- what the executor adds

/// What a transaction did to funding, from the state before and after it (the receipt
/// does not carry funding).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FundingEffects {
    /// Funding settled into positions whose size changed.
    pub payments: Vec<Settled>,
    /// A price update's accrual.
    pub accrual: Option<Accrued>,
    /// The order an accepted `ModifyOrder` replaced, `(market, nonce)`, read from the state
    /// before it (the receipt does not name it): the ledger records the modify as the
    /// order's next entry.
    pub modified: Option<(u32, u64)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    pub account: Address,
    pub market: u32,
    pub position_size: i128,
    pub amount: i128,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accrued {
    pub market: u32,
    pub price: u64,
    pub price_timestamp_ms: u64,
    pub funding_index: i128,
    pub index_change: i128,
    pub accrued_ms: u64,
}

fn leaf<'t, T: Decode>(tree: impl Into<TreeAt<'t>>, key: &Key) -> Result<Option<T>, StateError> {
    let tree: TreeAt<'t> = tree.into();
    tree.lookup(key)?
        .map(|bytes| {
            T::decode(bytes).map_err(|e| StateError::Malformed {
                key: *key,
                reason: e.to_string(),
            })
        })
        .transpose()
}

/// The funding `tx` settled and accrued: `before` and `after` are the state around it
/// (`before` may be the executor's tree read through the transaction's undo log).
pub fn funding_effects<'b>(
    before: impl Into<TreeAt<'b>>,
    after: &Tree,
    genesis: &Genesis,
    tx: &Tx,
    receipt: &Receipt,
) -> Result<FundingEffects, StateError> {
    if !receipt.status.is_ok() {
        return Ok(FundingEffects::default());
    }
    let before = before.into();
    let modified = match action_of(tx) {
        Some(Action::ModifyOrder(m)) => client_order_at(before, &m.account, m.client_id)?,
        _ => None,
    };
    // Funding accrues by elapsed time at every Order, Liquidate and PriceUpdate on a
    // market (docs/PROTOCOL.md Part 4 §6).
    let market = match action_of(tx) {
        Some(Action::PriceUpdate(p)) => Some(p.market),
        Some(Action::Order(o)) => Some(o.market),
        Some(Action::AgentOrder(o)) => Some(o.market),
        Some(Action::Liquidate(l)) => Some(l.market),
        _ => None,
    };
    let accrual = match market {
        Some(market) => accrued(before, after, market)?,
        None => None,
    };
    let mut touched = BTreeSet::new();
    for f in &receipt.fills {
        touched.insert((f.maker, f.market));
        touched.insert((f.taker, f.market));
    }
    if let Some(l) = &receipt.liquidation {
        touched.insert((l.account, l.market));
        touched.extend(l.closed.iter().map(|c| (INSURANCE_FUND, c.market)));
        touched.extend(l.deleveraged.iter().map(|d| (d.account, l.market)));
    }
    let mut payments = Vec::new();
    for (account, market) in touched {
        if let Some(settled) = settled(before, genesis, account, market)? {
            payments.push(settled);
        }
    }
    Ok(FundingEffects {
        payments,
        accrual,
        modified,
    })
}

/// The funding a position settles when its size changes: what accrued on it since its
/// snapshot, rounded down (against the trader), as the engine settles it (docs/PROTOCOL.md
/// Part 4 §6): `floor(−size × (index − snapshot) / (10^size_decimals × SCALE))`.
fn settled(
    before: TreeAt<'_>,
    genesis: &Genesis,
    account: Address,
    market: u32,
) -> Result<Option<Settled>, StateError> {
    let Some(pos) = leaf::<Position>(before, &position_key(&account, market))? else {
        return Ok(None);
    };
    let (Some(params), true) = (genesis.market(market), pos.size != 0) else {
        return Ok(None);
    };
    let ms: MarketState = leaf(before, &market_key(market))?.unwrap_or_default();
    let owed = ms
        .funding_index
        .checked_sub(pos.funding_snapshot)
        .and_then(|change| pos.size.checked_mul(change))
        .and_then(i128::checked_neg);
    let scale = 10i128
        .checked_pow(u32::from(params.size_decimals))
        .and_then(|s| s.checked_mul(FUNDING_INDEX_SCALE));
    let (Some(owed), Some(scale)) = (owed, scale) else {
        return Ok(None);
    };
    let amount = owed.div_euclid(scale);
    Ok((amount != 0).then_some(Settled {
        account,
        market,
        position_size: pos.size,
        amount,
    }))
}

/// The accrual an action made on `market`'s funding clock, if it moved it: over the time
/// since the last one (capped at 365 days as the engine caps it), at the index price held
/// since then (the new one when the first price starts the clock).
fn accrued(before: TreeAt<'_>, after: &Tree, market: u32) -> Result<Option<Accrued>, StateError> {
    let key = market_key(market);
    let old: MarketState = leaf(before, &key)?.unwrap_or_default();
    let Some(new) = leaf::<MarketState>(after, &key)? else {
        return Ok(None);
    };
    if new.funding_timestamp_ms == old.funding_timestamp_ms {
        return Ok(None);
    }
    let (accrued_ms, price) = if old.funding_timestamp_ms == 0 {
        (0, new.mark_price)
    } else {
        let elapsed = new.funding_timestamp_ms - old.funding_timestamp_ms;
        (
            elapsed.min(protocol::genesis::MAX_FUNDING_PERIOD_MS),
            old.mark_price,
        )
    };
    Ok(Some(Accrued {
        market,
        price,
        price_timestamp_ms: new.price_timestamp_ms,
        funding_index: new.funding_index,
        index_change: new.funding_index - old.funding_index,
        accrued_ms,
    }))
}

/// The rate an accrual's index change stands for, in bps of the price per period,
/// rounded to the nearest (the engine truncates `price × bps × dt × SCALE / (10^4 ×
/// period)`, so this recovers the whole-bps premium whenever that step is large).
fn rate_bps(change: i128, price: u64, accrued_ms: u64, period_ms: u64) -> i64 {
    let denominator = i128::from(price) * i128::from(accrued_ms) * FUNDING_INDEX_SCALE;
    if denominator == 0 {
        return 0;
    }
    let numerator = change.saturating_mul(BPS * i128::from(period_ms));
    let half = denominator / 2;
    let rounded = if numerator >= 0 {
        (numerator + half) / denominator
    } else {
        (numerator - half) / denominator
    };
    i64::try_from(rounded).unwrap_or(if rounded > 0 { i64::MAX } else { i64::MIN })
}

// ---------------------------------------------------------------- writes

/// Records what transaction `hash` (sequence `seq`, batch `batch_index`) adds to the
/// ledger: its order, the orders it cancelled, its deposit, and its funding.
pub fn insert(
    tx: &Transaction<'_>,
    (seq, hash, batch_index): (u64, &H256, u64),
    body: &Tx,
    receipt: &Receipt,
    funding: &FundingEffects,
) -> Result<(), JournalError> {
    let at = (seq, hash, batch_index);
    if let Some(o) = placed_order(body) {
        insert_order(tx, at, &o, receipt)?;
    }
    match (action_of(body), body) {
        (Some(Action::TriggerOrder(t)), _) if receipt.status.is_ok() => {
            insert_trigger(tx, at, t)?;
        }
        (Some(Action::ModifyOrder(m)), _) => {
            if let Some((market, nonce)) = funding.modified {
                let rested = receipt.order.as_ref().is_some_and(|r| r.resting > 0);
                let entry = NextEntry {
                    idx: 0,
                    order: (m.account, market, nonce),
                    price_size: (m.price, m.size),
                    rested,
                };
                insert_next_entry(tx, at, &entry, receipt.status)?;
            }
        }
        // Each order a bulk modify changed, named by its receipt, gets its next entry.
        (Some(Action::BulkModify(b)), _) => {
            for (idx, m) in receipt.modified.iter().enumerate() {
                let entry = NextEntry {
                    idx: idx as u64,
                    order: (b.account, m.market, m.nonce),
                    price_size: (m.price, m.size),
                    rested: true,
                };
                insert_next_entry(tx, at, &entry, receipt.status)?;
            }
        }
        (
            None,
            Tx::L1 {
                queue_index,
                message: L1Message::Deposit { account, amount },
            },
        ) if receipt.status.is_ok() => {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO deposits (seq, idx, tx_hash, batch_index, account, amount, queue_index)
                 VALUES (?1, 0, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![seq, hash.0, batch_index, account.0, amount, queue_index])?;
        }
        _ => {}
    }
    for (idx, c) in receipt.cancelled.iter().enumerate() {
        tx.prepare_cached(
            "INSERT OR REPLACE INTO order_cancels (seq, idx, tx_hash, batch_index, account, market, nonce, remaining, reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            seq,
            idx as u64,
            hash.0,
            batch_index,
            c.account.0,
            c.market,
            c.nonce,
            c.remaining,
            c.reason.name()
        ])?;
    }
    insert_fired(tx, at, receipt)?;
    insert_funding(tx, at, funding)
}

/// A waiting trigger order's terms, for the order entry it becomes when it fires.
fn insert_trigger(
    tx: &Transaction<'_>,
    (seq, hash, batch_index): (u64, &H256, u64),
    t: &TriggerOrder,
) -> Result<(), JournalError> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO trigger_orders (seq, idx, tx_hash, batch_index, account, market,
             nonce, is_buy, price, size, reduce_only)
         VALUES (?1, 0, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        seq,
        hash.0,
        batch_index,
        t.account.0,
        t.market,
        t.nonce,
        t.is_buy,
        t.price,
        t.size,
        t.reduce_only
    ])?;
    Ok(())
}

/// Each `TriggerOrder` this transaction fired, as an order entry of the transaction
/// (`order_feed::fired_orders`, the verifier's too, with the terms it waited with, kept in
/// `trigger_orders`): so it is found by id once it leaves the book, with its fills. A
/// refused placement is a `rejected` entry.
fn insert_fired(
    tx: &Transaction<'_>,
    (seq, hash, batch_index): (u64, &H256, u64),
    receipt: &Receipt,
) -> Result<(), JournalError> {
    let fired = order_feed::fired_orders(receipt, |e| trigger_terms(tx, seq, e))?;
    for f in fired {
        let t = f.terms;
        tx.prepare_cached(
            "INSERT OR REPLACE INTO orders (seq, idx, tx_hash, batch_index, account, market,
                 nonce, is_buy, price, size, tif, reduce_only, status, rested)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        )?
        .execute(params![
            seq,
            f.idx,
            hash.0,
            batch_index,
            f.account.0,
            t.market,
            t.nonce,
            t.side == Side::Buy,
            t.price,
            t.size,
            f.tif as u8,
            f.reduce_only,
            f.status.number(),
            f.rested
        ])?;
    }
    Ok(())
}

/// The terms the trigger order `fired` names waited with: its newest `TriggerOrder` before
/// transaction `seq`.
fn trigger_terms(
    tx: &Transaction<'_>,
    seq: u64,
    fired: &TriggerEvent,
) -> Result<Option<TriggerTerms>, JournalError> {
    let mut stmt = tx.prepare_cached(
        "SELECT is_buy, price, size, reduce_only FROM trigger_orders
         WHERE account = ?1 AND nonce = ?2 AND market = ?3 AND seq < ?4
         ORDER BY seq DESC LIMIT 1",
    )?;
    let mut rows = stmt.query(params![fired.account.0, fired.nonce, fired.market, seq])?;
    let Some(r) = rows.next()? else {
        return Ok(None);
    };
    Ok(Some(TriggerTerms {
        is_buy: r.get(0)?,
        price: r.get(1)?,
        size: r.get(2)?,
        reduce_only: r.get(3)?,
    }))
}

fn insert_order(
    tx: &Transaction<'_>,
    (seq, hash, batch_index): (u64, &H256, u64),
    o: &Order,
    receipt: &Receipt,
) -> Result<(), JournalError> {
    let rested = receipt.order.as_ref().is_some_and(|r| r.resting > 0);
    tx.prepare_cached(
        "INSERT OR REPLACE INTO orders (seq, idx, tx_hash, batch_index, account, market, nonce,
             is_buy, price, size, tif, reduce_only, status, rested)
         VALUES (?1, 0, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        seq,
        hash.0,
        batch_index,
        o.account.0,
        o.market,
        o.nonce,
        o.is_buy,
        o.price,
        o.size,
        o.tif as u8,
        o.reduce_only,
        receipt.status.number(),
        rested
    ])?;
    Ok(())
}

/// One order's next entry after a modify (`ModifyOrder`, or an item of a `BulkModify`):
/// row `idx` of the transaction, the order `(account, market, nonce)`, its new price and
/// unfilled size, whether it rests.
struct NextEntry {
    idx: u64,
    order: (Address, u32, u64),
    price_size: (u64, u64),
    rested: bool,
}

/// A modify as the order's next entry: its new price and unfilled size, the side and
/// reduce-only flag of the entry it replaces, GTC (a modify that moves the order re-places
/// it as GTC, PROTOCOL.md Part 4 §20; a bulk modify's moved order rests the same way, §27).
fn insert_next_entry(
    tx: &Transaction<'_>,
    (seq, hash, batch_index): (u64, &H256, u64),
    e: &NextEntry,
    status: Status,
) -> Result<(), JournalError> {
    let (account, market, nonce) = e.order;
    tx.prepare_cached(
        "INSERT OR REPLACE INTO orders (seq, idx, tx_hash, batch_index, account, market, nonce,
             is_buy, price, size, tif, reduce_only, status, rested)
         SELECT ?1, ?12, ?2, ?3, account, market, nonce, is_buy, ?7, ?8, ?9, reduce_only, ?10, ?11
         FROM orders WHERE account = ?4 AND market = ?5 AND nonce = ?6 AND seq < ?1
         ORDER BY seq DESC LIMIT 1",
    )?
    .execute(params![
        seq,
        hash.0,
        batch_index,
        account.0,
        market,
        nonce,
        e.price_size.0,
        e.price_size.1,
        TimeInForce::Gtc as u8,
        status.number(),
        e.rested,
        e.idx
    ])?;
    Ok(())
}

fn insert_funding(
    tx: &Transaction<'_>,
    (seq, hash, batch_index): (u64, &H256, u64),
    funding: &FundingEffects,
) -> Result<(), JournalError> {
    for (idx, p) in funding.payments.iter().enumerate() {
        tx.prepare_cached(
            "INSERT OR REPLACE INTO funding_payments (seq, idx, tx_hash, batch_index, account, market, position_size, amount)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            seq,
            idx as u64,
            hash.0,
            batch_index,
            p.account.0,
            p.market,
            p.position_size.to_string(),
            p.amount.to_string()
        ])?;
    }
    if let Some(a) = &funding.accrual {
        tx.prepare_cached(
            "INSERT OR REPLACE INTO funding_accruals (seq, idx, tx_hash, batch_index, market, price,
                 price_timestamp_ms, funding_index, index_change, accrued_ms)
             VALUES (?1, 0, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            seq,
            hash.0,
            batch_index,
            a.market,
            a.price,
            a.price_timestamp_ms,
            a.funding_index.to_string(),
            a.index_change.to_string(),
            a.accrued_ms
        ])?;
    }
    Ok(())
}

/// The ledger rows of one stored transaction, for the one-time backfill: its body is read
/// back from the log (the `Tx` record with its `seq` and hash); funding is not known here.
pub fn backfill_one(tx: &Transaction<'_>, t: &IncludedTx) -> Result<(), JournalError> {
    match logged_body(tx, t)? {
        Some(body) => {
            let at = (t.seq, &t.hash, t.batch_index);
            insert(tx, at, &body, &t.receipt, &FundingEffects::default())
        }
        None => Ok(()),
    }
}

/// The trigger-order rows of one stored transaction (its `TriggerOrder`'s terms, and the
/// order entries of the trigger orders it fired), for the one-time backfill of a data dir
/// whose ledger tables were backfilled before `trigger_orders` existed.
pub fn backfill_triggers(tx: &Transaction<'_>, t: &IncludedTx) -> Result<(), JournalError> {
    let at = (t.seq, &t.hash, t.batch_index);
    if let Some(body) = logged_body(tx, t)?
        && let Some(Action::TriggerOrder(trigger)) = action_of(&body)
        && t.receipt.status.is_ok()
    {
        insert_trigger(tx, at, trigger)?;
    }
    insert_fired(tx, at, &t.receipt)
}

/// The body of stored transaction `t`, read back from its log record (a `seq` reused after
/// a reverted batch has several: the one with `t`'s hash).
fn logged_body(tx: &Transaction<'_>, t: &IncludedTx) -> Result<Option<Tx>, JournalError> {
    let mut stmt = tx.prepare_cached("SELECT record FROM log WHERE seq = ?1 AND kind IN (2, 5)")?;
    let records: Vec<Vec<u8>> = stmt
        .query_map(params![t.seq], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for bytes in records {
        if let LogRecord::Tx(r) = decode_record(&bytes)?
            && r.tx.hash() == t.hash
        {
            return Ok(Some(r.tx));
        }
    }
    Ok(None)
}

fn decode_record(bytes: &[u8]) -> Result<LogRecord, JournalError> {
    LogRecord::decode(bytes).map_err(|e| JournalError::Corrupt {
        what: "log record".into(),
        reason: e.to_string(),
    })
}

// ---------------------------------------------------------------- reads

/// The live batch's timestamp for a row aliased `f`.
pub(super) const LIVE_BATCH: &str =
    "JOIN batches b ON b.batch_index = f.batch_index AND b.status != 'reverted'";

pub(super) fn h256(bytes: Vec<u8>) -> Result<H256, JournalError> {
    bytes.try_into().map(H256).map_err(|_| corrupt("tx_hash"))
}

fn corrupt(what: &str) -> JournalError {
    JournalError::Corrupt {
        what: format!("ledger {what} column"),
        reason: "malformed".into(),
    }
}

fn int128(text: String) -> Result<i128, JournalError> {
    text.parse().map_err(|_| corrupt("amount"))
}

/// The columns of an order entry for a row `f` of `orders`. A modified order has several
/// rows with its nonce (`insert_modify`): each row counts the fills and the cancel from its
/// own `seq` up to the next row's (`NEXT_ENTRY`, the last column).
const ORDER_COLUMNS: &str = "f.seq, f.tx_hash, f.batch_index, b.timestamp_ms, f.market,
     f.is_buy, f.price, f.size, f.tif, f.reduce_only, f.nonce, f.status, f.rested,
     (SELECT COALESCE(SUM(x.size), 0) FROM fills x WHERE x.market = f.market
         AND x.taker = f.account AND x.taker_nonce = f.nonce
         AND x.seq >= f.seq AND x.seq < NEXT_ENTRY)
     + (SELECT COALESCE(SUM(x.size), 0) FROM fills x WHERE x.market = f.market
         AND x.maker = f.account AND x.maker_nonce = f.nonce
         AND x.seq >= f.seq AND x.seq < NEXT_ENTRY),
     (SELECT c.reason FROM order_cancels c WHERE c.account = f.account
         AND c.nonce = f.nonce AND c.market = f.market
         AND c.seq >= f.seq AND c.seq < NEXT_ENTRY ORDER BY c.seq DESC LIMIT 1),
     NEXT_ENTRY";

/// The `seq` of the entry that replaced row `f` (a modify), else past every `seq`.
const NEXT_ENTRY: &str = "COALESCE((SELECT MIN(n.seq) FROM orders n WHERE n.account = f.account
     AND n.market = f.market AND n.nonce = f.nonce AND n.seq > f.seq), 9223372036854775807)";

fn order_columns() -> String {
    ORDER_COLUMNS.replace("NEXT_ENTRY", NEXT_ENTRY)
}

/// Up to `limit` orders of `account` along `walk`, each with its fills and cancellation.
pub fn account_orders(
    conn: &Connection,
    account: &Address,
    walk: Walk,
    limit: u64,
) -> Result<Vec<OrderEntry>, JournalError> {
    let (condition, cursor) = walk.sql();
    let sql = format!(
        "SELECT {} FROM orders f {LIVE_BATCH} WHERE f.account = ?1 AND {condition} LIMIT ?3",
        order_columns()
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params![account.0, cursor, limit])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(order_entry(row)?);
    }
    Ok(out)
}

/// The newest entry of `account`'s order `nonce` (after a modify: the modify's), with its
/// fills and cancellation; `None` when the account placed no order with that id.
pub fn account_order(
    conn: &Connection,
    account: &Address,
    nonce: u64,
) -> Result<Option<OrderEntry>, JournalError> {
    let sql = format!(
        "SELECT {} FROM orders f {LIVE_BATCH} WHERE f.account = ?1 AND f.nonce = ?2
         ORDER BY f.seq DESC LIMIT 1",
        order_columns()
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params![account.0, nonce])?;
    rows.next()?.map(order_entry).transpose()
}

/// The id (`nonce`) of the newest of `account`'s last `within` orders that was a
/// `ClientOrder` tagged `client_id`: a client id is freed when its order leaves the book,
/// so a closed order is found by its placement, read back from the log (the `orders`
/// table keeps no client ids).
pub fn nonce_of_client_id(
    conn: &Connection,
    account: &Address,
    client_id: u128,
    within: u64,
) -> Result<Option<u64>, JournalError> {
    let mut stmt = conn.prepare_cached(
        "SELECT l.record, f.tx_hash FROM orders f JOIN log l ON l.seq = f.seq AND l.kind = 2
         WHERE f.account = ?1 AND f.idx = 0 ORDER BY f.seq DESC LIMIT ?2",
    )?;
    let mut rows = stmt.query(params![account.0, within])?;
    while let Some(row) = rows.next()? {
        let record = decode_record(&row.get::<_, Vec<u8>>(0)?)?;
        // A sequence number reused after a reverted batch has several log records.
        if let LogRecord::Tx(r) = record
            && r.tx.hash() == h256(row.get(1)?)?
            && let Some(Action::ClientOrder(o)) = action_of(&r.tx)
            && o.client_id == client_id
        {
            return Ok(Some(o.nonce));
        }
    }
    Ok(None)
}

/// The client id and good-till-time (ms) `account`'s order `nonce` was placed with, read
/// back from its placement in the log (the `orders` table keeps neither; a `ModifyOrder`
/// keeps both, so the first entry is the one to read): a `ClientOrder`'s (`None` for a
/// client id of 0 or no expiry), `(None, None)` for any other order (a fired trigger
/// order's entry is not a placement, `idx` > 0).
pub fn placement_terms(
    conn: &Connection,
    account: &Address,
    nonce: u64,
) -> Result<(Option<u128>, Option<u64>), JournalError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT l.record, f.tx_hash FROM orders f {LIVE_BATCH}
         JOIN log l ON l.seq = f.seq AND l.kind IN (2, 5)
         WHERE f.account = ?1 AND f.nonce = ?2 AND f.idx = 0 ORDER BY f.seq"
    ))?;
    let mut rows = stmt.query(params![account.0, nonce])?;
    while let Some(row) = rows.next()? {
        let record = decode_record(&row.get::<_, Vec<u8>>(0)?)?;
        // A sequence number reused after a reverted batch has several log records.
        let LogRecord::Tx(r) = record else { continue };
        if r.tx.hash() != h256(row.get(1)?)? {
            continue;
        }
        return Ok(match action_of(&r.tx) {
            Some(Action::ClientOrder(o)) if o.nonce == nonce => (
                (o.client_id != 0).then_some(o.client_id),
                (o.expires_at != NO_EXPIRY).then_some(o.expires_at),
            ),
            _ => (None, None),
        });
    }
    Ok((None, None))
}

fn order_entry(row: &Row<'_>) -> Result<OrderEntry, JournalError> {
    let size: u64 = row.get(7)?;
    let tif = TimeInForce::from_u8(row.get(8)?).ok_or_else(|| corrupt("tif"))?;
    let status = Status::from_number(row.get(11)?).ok_or_else(|| corrupt("status"))?;
    let filled: u64 = row.get(13)?;
    let replaced = row.get::<_, i64>(15)? != i64::MAX;
    let (status, reason) = match order_status(status, size, filled, row.get(12)?, row.get(14)?) {
        (OrderStatus::Resting | OrderStatus::PartiallyFilled, _) if replaced => {
            (OrderStatus::Modified, None)
        }
        other => other,
    };
    let on_book = matches!(status, OrderStatus::Resting | OrderStatus::PartiallyFilled);
    Ok(OrderEntry {
        seq: row.get(0)?,
        tx_hash: h256(row.get(1)?)?,
        batch_index: row.get(2)?,
        timestamp_ms: row.get(3)?,
        market: row.get(4)?,
        side: if row.get(5)? { Side::Buy } else { Side::Sell },
        price: row.get(6)?,
        size,
        tif: tif_name(tif).into(),
        reduce_only: row.get(9)?,
        nonce: row.get(10)?,
        filled,
        resting: if on_book { size - filled.min(size) } else { 0 },
        status,
        reason,
    })
}

fn tif_name(tif: TimeInForce) -> &'static str {
    match tif {
        TimeInForce::Gtc => "gtc",
        TimeInForce::Ioc => "ioc",
        TimeInForce::Fok => "fok",
        TimeInForce::PostOnly => "post_only",
    }
}

/// An order's status from its receipt's status, its size, what filled, whether it rested
/// when placed and why it left the book, if it did.
pub fn order_status(
    placed: Status,
    size: u64,
    filled: u64,
    rested: bool,
    cancelled: Option<String>,
) -> (OrderStatus, Option<String>) {
    if !placed.is_ok() {
        return (OrderStatus::Rejected, Some(placed.code().into()));
    }
    if filled >= size {
        return (OrderStatus::Filled, None);
    }
    match (cancelled, rested, filled) {
        (Some(reason), ..) if reason == "expired" => (OrderStatus::Expired, Some(reason)),
        (Some(reason), ..) => (OrderStatus::Cancelled, Some(reason)),
        (None, false, _) => (OrderStatus::Cancelled, Some("not_rested".into())),
        (None, true, 0) => (OrderStatus::Resting, None),
        (None, true, _) => (OrderStatus::PartiallyFilled, None),
    }
}

/// Up to `limit` funding payments of `account` along `walk`.
pub fn account_funding(
    conn: &Connection,
    account: &Address,
    walk: Walk,
    limit: u64,
) -> Result<Vec<FundingPayment>, JournalError> {
    let (condition, cursor) = walk.sql();
    let sql = format!(
        "SELECT f.seq, f.tx_hash, f.batch_index, b.timestamp_ms, f.market, f.position_size, f.amount
         FROM funding_payments f {LIVE_BATCH}
         WHERE f.account = ?1 AND {condition} LIMIT ?3"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params![account.0, cursor, limit])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(FundingPayment {
            seq: r.get(0)?,
            tx_hash: h256(r.get(1)?)?,
            batch_index: r.get(2)?,
            timestamp_ms: r.get(3)?,
            market: r.get(4)?,
            position_size: int128(r.get(5)?)?,
            amount: int128(r.get(6)?)?,
        });
    }
    Ok(out)
}

/// Up to `limit` deposits and withdrawals of `account` along `walk`.
pub fn account_transfers(
    conn: &Connection,
    account: &Address,
    walk: Walk,
    limit: u64,
) -> Result<Vec<Transfer>, JournalError> {
    let (condition, cursor) = walk.sql();
    // Withdrawals have no seq of their own: it is their transaction's.
    let sql = format!(
        "SELECT f.seq, f.tx_hash, f.batch_index, b.timestamp_ms, f.amount, f.queue_index,
             f.withdrawal_id, b.status, b.deadline_block
         FROM (SELECT seq, 0 AS idx, tx_hash, batch_index, amount, queue_index,
                   NULL AS withdrawal_id FROM deposits WHERE account = ?1
               UNION ALL
               SELECT t.seq, 0, w.tx_hash, w.batch_index, w.amount, NULL, w.id
               FROM withdrawals w JOIN txs t ON t.hash = w.tx_hash
               WHERE w.account = ?1) f {LIVE_BATCH}
         WHERE {condition} LIMIT ?3"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params![account.0, cursor, limit])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let withdrawal_id: Option<u64> = r.get(6)?;
        let status: String = r.get(7)?;
        let deadline_block: Option<u64> = r.get(8)?;
        let status = transfer_status(&status)?;
        out.push(Transfer {
            seq: r.get(0)?,
            tx_hash: h256(r.get(1)?)?,
            batch_index: r.get(2)?,
            timestamp_ms: r.get(3)?,
            kind: match withdrawal_id {
                Some(_) => TransferKind::Withdrawal,
                None => TransferKind::Deposit,
            },
            amount: r.get(4)?,
            status,
            deadline_block: deadline_block.filter(|_| status == TransferStatus::ChallengeWindow),
            queue_index: r.get(5)?,
            withdrawal_id,
        });
    }
    Ok(out)
}

/// A live batch's `status` column as a transfer's.
fn transfer_status(batch_status: &str) -> Result<TransferStatus, JournalError> {
    Ok(match batch_status {
        "open" => TransferStatus::Pending,
        "sealed" => TransferStatus::InBatch,
        "posted" => TransferStatus::ChallengeWindow,
        "finalized" => TransferStatus::Final,
        _ => return Err(corrupt("batch status")),
    })
}

/// Up to `limit` funding accruals of `market` along `walk`.
pub fn market_funding(
    conn: &Connection,
    market: u32,
    period_ms: u64,
    walk: Walk,
    limit: u64,
) -> Result<Vec<FundingAccrual>, JournalError> {
    let (condition, cursor) = walk.sql();
    let sql = format!(
        "SELECT f.seq, f.batch_index, f.price, f.price_timestamp_ms, f.funding_index,
             f.index_change, f.accrued_ms
         FROM funding_accruals f {LIVE_BATCH}
         WHERE f.market = ?1 AND {condition} LIMIT ?3"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params![market, cursor, limit])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let price: u64 = r.get(2)?;
        let index_change = int128(r.get(5)?)?;
        let accrued_ms: u64 = r.get(6)?;
        out.push(FundingAccrual {
            seq: r.get(0)?,
            batch_index: r.get(1)?,
            price,
            price_timestamp_ms: r.get(3)?,
            funding_index: int128(r.get(4)?)?,
            index_change,
            accrued_ms,
            rate_bps: rate_bps(index_change, price, accrued_ms, period_ms),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (receipt status, size, filled, rested, cancel reason) → status and reason.
    type Case = (
        Status,
        u64,
        u64,
        bool,
        Option<&'static str>,
        OrderStatus,
        Option<&'static str>,
    );

    #[test]
    fn an_orders_status_follows_its_receipt_fills_and_cancellation() {
        use OrderStatus::*;
        let table: [Case; 9] = [
            (Status::Ok, 10, 0, true, None, Resting, None),
            (
                Status::Ok,
                10,
                4,
                true,
                Some("expired"),
                Expired,
                Some("expired"),
            ),
            (Status::Ok, 10, 4, true, None, PartiallyFilled, None),
            (Status::Ok, 10, 10, true, None, Filled, None),
            (Status::Ok, 10, 10, false, None, Filled, None),
            (
                Status::Ok,
                10,
                4,
                false,
                None,
                Cancelled,
                Some("not_rested"),
            ),
            (
                Status::Ok,
                10,
                4,
                true,
                Some("user"),
                Cancelled,
                Some("user"),
            ),
            (
                Status::Ok,
                10,
                0,
                true,
                Some("self_trade"),
                Cancelled,
                Some("self_trade"),
            ),
            (
                Status::InsufficientMargin,
                10,
                0,
                false,
                None,
                Rejected,
                Some("insufficient_margin"),
            ),
        ];
        for (placed, size, filled, rested, cancel, status, reason) in table {
            let got = order_status(placed, size, filled, rested, cancel.map(String::from));
            assert_eq!(
                got,
                (status, reason.map(String::from)),
                "{placed:?} {size} {filled} {rested} {cancel:?}"
            );
        }
    }

    #[test]
    fn the_rate_is_recovered_from_the_index_step() {
        let period = 3_600_000;
        // 10 bps for half a period on 100 USD: 50_000 micro × SCALE (funding.rs's example).
        let change = 50_000 * FUNDING_INDEX_SCALE;
        assert_eq!(rate_bps(change, 100_000_000, period / 2, period), 10);
        assert_eq!(rate_bps(-change, 100_000_000, period / 2, period), -10);
        assert_eq!(rate_bps(0, 100_000_000, 0, period), 0);
    }
}
