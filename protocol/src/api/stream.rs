//! The sequencer's live feed, `GET /v1/stream` (a WebSocket), as serde types: the client
//! sends `Subscribe` messages (JSON text frames), the server answers with `StreamMessage`s.
//! Every message carries the sequence number it reflects: a trade or fill its
//! transaction's `seq`, a book message the `seq` of the next transaction (every one below
//! it applied), a batch its index. A client that reconnects with `since_seq` (trades,
//! fills) or `since_index` (batches) gets exactly what it missed, from the durable history;
//! a book subscription always starts with a snapshot, then deltas. An account's `orders`
//! (placed, rejected, filled, cancelled with the reason) and `withdrawals` resume from
//! `since_seq` the same way. A client too slow to read (a send blocked for 5 s) is closed
//! with a reason.

use super::history::{AccountFill, Role, Side, Trade};
use super::sequencer::{BatchInfo, MarketInfo};
use crate::engine::view::BookLevel;
use crate::primitives::{Address, H256};
use serde::{Deserialize, Serialize};

/// What a client subscribes to (one per message; any number per connection).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "subscribe", rename_all = "snake_case", deny_unknown_fields)]
pub enum Subscribe {
    /// A market's trades with `seq > since_seq` (absent: from now on).
    Trades {
        market: u32,
        #[serde(default)]
        since_seq: Option<u64>,
    },
    /// One account's fills with `seq > since_seq` (absent: from now on).
    Fills {
        account: Address,
        #[serde(default)]
        since_seq: Option<u64>,
    },
    /// One account's order events with `seq > since_seq` (absent: from now on): each order
    /// placed or rejected, each fill of it, each cancellation with its reason.
    Orders {
        account: Address,
        #[serde(default)]
        since_seq: Option<u64>,
    },
    /// One account's withdrawals with `seq > since_seq` (absent: from now on), each once,
    /// when sequenced (its batch's later status comes on the `batches` channel).
    Withdrawals {
        account: Address,
        #[serde(default)]
        since_seq: Option<u64>,
    },
    /// A market's aggregated book, `levels` per side (default 20, at most 500): a snapshot,
    /// then the changed levels (size 0: the level is gone).
    Book {
        market: u32,
        #[serde(default)]
        levels: Option<u32>,
    },
    /// Batches with `index > since_index` (absent: from the newest on), and every later
    /// change of their status; a revert is a `batch_reverted` message.
    Batches {
        #[serde(default)]
        since_index: Option<u64>,
    },
    /// Every market's state (mark, price time, funding index, open interest) now, then
    /// each market again whenever its state changes.
    Markets,
}

/// What the server sends: `{"channel": "trade", "data": {...}}`. (Adjacently tagged, tag
/// first, so that a reader decodes `data` in one pass: the book's `u128` sizes cannot go
/// through serde's buffering of internally tagged enums.)
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "channel", content = "data", rename_all = "snake_case")]
pub enum StreamMessage {
    /// The subscription is active; what follows for it starts after `from_seq` (trades,
    /// fills) or `from_index` (batches).
    Subscribed {
        subscription: Subscribe,
        from: Option<u64>,
    },
    Trade {
        market: u32,
        trade: Trade,
    },
    Fill {
        account: Address,
        fill: AccountFill,
    },
    /// An order event of a subscribed account (events of one transaction share its `seq`).
    Order {
        account: Address,
        order: OrderUpdate,
    },
    /// A withdrawal of a subscribed account, as sequenced.
    Withdrawal {
        account: Address,
        withdrawal: WithdrawalUpdate,
    },
    Book {
        market: u32,
        /// The book reflects every transaction with a lower `seq`.
        seq: u64,
        /// `true`: the whole book (to `levels`); `false`: only the levels that changed.
        snapshot: bool,
        bids: Vec<BookLevel>,
        asks: Vec<BookLevel>,
    },
    /// A batch appeared or its status changed (sealed, posted, finalized).
    Batch {
        batch: BatchInfo,
    },
    /// Batch `index` and every later one were reverted (their re-sequenced successors
    /// follow as `batch` messages).
    BatchReverted {
        index: u64,
    },
    /// One market's terms and state, as `GET /v1/markets` lists it, as of `seq`.
    Market {
        seq: u64,
        market: MarketInfo,
    },
    /// A subscription message was refused; the connection stays open.
    Error {
        code: String,
        message: String,
    },
}

/// What happened to an order.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderEvent {
    /// Accepted by the engine (it may fill in the same transaction: `filled` events follow
    /// with the same `seq`).
    Placed,
    /// Refused by the engine (`reason`: the receipt's status code).
    Rejected,
    /// Part or all of it filled (`price` and `size`: the fill's).
    Filled,
    /// Its remainder left the book (`size`: what was left; `reason`: `user`, `self_trade`,
    /// `maker_margin`, `reduce_only`, `dead_man`, `liquidation`, ...).
    Cancelled,
}

/// One event of one order of an account.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderUpdate {
    /// The transaction that caused it.
    pub seq: u64,
    pub tx_hash: H256,
    pub batch_index: u64,
    pub timestamp_ms: u64,
    pub market: u32,
    /// The order's id: its signed nonce.
    pub nonce: u64,
    pub event: OrderEvent,
    /// The order's side (absent only for a cancellation of an order placed before this
    /// node's history begins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub side: Option<Side>,
    /// `placed`, `rejected`, `cancelled`: the order's limit price; `filled`: the fill's.
    pub price: u64,
    /// `placed`, `rejected`: the order's size; `filled`: the fill's; `cancelled`: the
    /// remainder taken off the book.
    pub size: u64,
    /// `filled`: maker or taker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// `filled`: the fee this account paid (negative: a rebate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee: Option<i128>,
    /// `rejected`, `cancelled`: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A withdrawal of an account as sequenced: debited on L2, paid on L1 once its batch is
/// final and it is claimed (`GET /v1/withdrawals/{id}`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawalUpdate {
    pub seq: u64,
    pub tx_hash: H256,
    pub batch_index: u64,
    pub timestamp_ms: u64,
    /// Its id (`GET /v1/withdrawals/{id}`).
    pub withdrawal_id: u64,
    /// micro-USDC.
    pub amount: u64,
}
