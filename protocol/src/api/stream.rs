//! The sequencer's live feed, `GET /v1/stream` (a WebSocket), as serde types: the client
//! sends `Subscribe` messages (JSON text frames), the server answers with `StreamMessage`s.
//! Every message carries the sequence number it reflects: a trade or fill its
//! transaction's `seq`, a book message the `seq` of the next transaction (every one below
//! it applied), a batch its index. A client that reconnects with `since_seq` (trades,
//! fills) or `since_index` (batches) gets exactly what it missed, from the durable history;
//! a book subscription always starts with a snapshot, then deltas. An account's `orders`
//! (placed, rejected, filled, cancelled with the reason) resume from `since_seq` the same
//! way. An account's `withdrawals` carry every status change of every withdrawal
//! (requested, in_batch, challenge_window, finalized, reverted), each with an `event`
//! number: a seal or a settlement update changes a status without a new `seq`, so that
//! channel resumes from `since_event` (`since_seq` remains as the legacy start). A client
//! too slow to read (a send blocked for 5 s) is closed with a reason.
//!
//! A verifier serves the same `GET /v1/stream` for what it re-executed itself: `batches`
//! (each message with its feed `event` and the verifier's `verdict`; resume with
//! `since_event`, or get a `resnapshot` answer), `trades`, and an account's `fills` and
//! `orders`, of finalized batches (from its own receipts; a message's `seq` is its feed
//! event, so `since_seq` resumes them from the same log), and `markets`, a market's `book`
//! and an `account` at its verified head (`seq`: the sequence number after it).
//!
//! An `account` subscription (on both services) sends the account's view, as
//! `GET /v1/accounts/{address}` returns it, at once and again whenever it changes, each
//! with the `seq` it reflects (the sequencer's head; a verifier's verified head).

use super::history::{AccountFill, Role, Side, Trade};
use super::sequencer::{AccountBody, BatchInfo, MarketInfo};
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
    /// One account's withdrawal status changes (`withdrawal` messages), oldest first: those
    /// with `event > since_event`; else (legacy start) those from the first withdrawal
    /// requested by a transaction with `seq > since_seq` on; else (both absent) from now
    /// on. `since_event` wins when both are given. Resume with the last `event` received:
    /// nothing is missed or repeated, across a sequencer restart too.
    Withdrawals {
        account: Address,
        #[serde(default)]
        since_seq: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        since_event: Option<u64>,
    },
    /// A market's aggregated book, `levels` per side (default 20, at most 500): a snapshot,
    /// then the changed levels (size 0: the level is gone).
    Book {
        market: u32,
        #[serde(default)]
        levels: Option<u32>,
    },
    /// Batches with `index > since_index` (absent: from the newest on), and every later
    /// change of their status; a revert is a `batch_reverted` message. On a verifier:
    /// every batch it re-executed, from its feed `event` after `since_event` (absent: a
    /// snapshot of the live batches, then every change), or a `resnapshot` answer when
    /// that event is no longer retained.
    Batches {
        #[serde(default)]
        since_index: Option<u64>,
        /// A verifier's feed event to resume after (the `event` of the last message).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        since_event: Option<u64>,
    },
    /// Every market's state (mark, price time, funding index, open interest) now, then
    /// each market again whenever its state changes.
    Markets,
    /// One account's view, as `GET /v1/accounts/{address}` returns it, now (an `account`
    /// message), then again whenever it changes (never twice the same in a row).
    Account { account: Address },
}

/// What the server sends: `{"channel": "trade", "data": {...}}`. (Adjacently tagged, tag
/// first, so that a reader decodes `data` in one pass: the book's `u128` sizes cannot go
/// through serde's buffering of internally tagged enums.)
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "channel", content = "data", rename_all = "snake_case")]
pub enum StreamMessage {
    /// The subscription is active; what follows for it starts after `from`: a `seq`
    /// (trades, fills, orders), a batch index (batches) or an `event` (withdrawals).
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
    /// A status change of a withdrawal of a subscribed account.
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
        /// A verifier's feed event number (the cursor to resume from); absent from the
        /// sequencer.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        event: Option<u64>,
        /// What a verifier concluded by re-executing it; absent from the sequencer.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        verdict: Option<BatchVerdict>,
    },
    /// Batch `index` and every later one were reverted (their re-sequenced successors
    /// follow as `batch` messages).
    BatchReverted {
        index: u64,
        /// A verifier's feed event number; absent from the sequencer.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        event: Option<u64>,
    },
    /// A verifier's answer to a resume point it no longer retains (or never had): what
    /// follows is a snapshot of the subscription as of feed event `from` (the live
    /// batches), then every change after it. `oldest`: the oldest event still retained.
    Resnapshot {
        subscription: Subscribe,
        reason: String,
        oldest: Option<u64>,
        from: u64,
    },
    /// One market's terms and state, as `GET /v1/markets` lists it, as of `seq`.
    Market {
        seq: u64,
        market: MarketInfo,
    },
    /// A subscribed account's view (`GET /v1/accounts/{address}`'s body) as of `seq`: every
    /// transaction below it applied.
    Account {
        seq: u64,
        account: AccountBody,
    },
    /// A subscription message was refused; the connection stays open.
    Error {
        code: String,
        message: String,
    },
}

/// What a verifier concluded about a batch by re-executing it (verifier feeds only).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchVerdict {
    /// Every checkpoint matched the verifier's own re-execution.
    Verified,
    /// A checkpoint or receipt root is wrong: the batch is provably fraudulent and is
    /// challenged (in challenge mode) until it is reverted.
    Challenged,
    /// Built on a fraudulent batch: not checked; it falls with that batch.
    OnBadParent,
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

/// A status a withdrawal reached: the way to L1 (`requested` → `in_batch` →
/// `challenge_window` → `finalized`), or `reverted`, and `claimed` once it is paid on L1
/// (the sequencer follows the settlement layer's `withdrawal_claimed` events).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WithdrawalStatus {
    /// Its transaction was sequenced (in an open batch): debited on L2.
    #[default]
    Requested,
    /// Its batch was sealed.
    InBatch,
    /// Its batch was posted: challengeable until the deadline.
    ChallengeWindow,
    /// Its batch is final on L1: it can be claimed.
    Finalized,
    /// Its batch was reverted (a re-sequenced withdrawal is `requested` again).
    Reverted,
    /// It was claimed on L1 (paid out of escrow): the last status, after `finalized`.
    Claimed,
}

impl WithdrawalStatus {
    /// Every status, in the order a withdrawal reaches them (`reverted` may follow any but
    /// `finalized`; `claimed` follows `finalized`).
    pub const ALL: [WithdrawalStatus; 6] = [
        WithdrawalStatus::Requested,
        WithdrawalStatus::InBatch,
        WithdrawalStatus::ChallengeWindow,
        WithdrawalStatus::Finalized,
        WithdrawalStatus::Reverted,
        WithdrawalStatus::Claimed,
    ];

    /// Its name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            WithdrawalStatus::Requested => "requested",
            WithdrawalStatus::InBatch => "in_batch",
            WithdrawalStatus::ChallengeWindow => "challenge_window",
            WithdrawalStatus::Finalized => "finalized",
            WithdrawalStatus::Reverted => "reverted",
            WithdrawalStatus::Claimed => "claimed",
        }
    }

    /// The status named `name`.
    pub fn from_name(name: &str) -> Option<WithdrawalStatus> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// A status change of a withdrawal of an account: debited on L2 when requested, paid on
/// L1 once its batch is final and it is claimed (`GET /v1/withdrawals/{id}`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawalUpdate {
    /// The requesting transaction's `seq` (the same in every status change).
    pub seq: u64,
    pub tx_hash: H256,
    pub batch_index: u64,
    /// Its batch's time (the live batch of that index; a reverted one's when none is).
    pub timestamp_ms: u64,
    /// Its id (`GET /v1/withdrawals/{id}`).
    pub withdrawal_id: u64,
    /// micro-USDC.
    pub amount: u64,
    /// The status it reached (absent from servers before it: `requested`).
    #[serde(default)]
    pub status: WithdrawalStatus,
    /// This change's number, increasing over all withdrawals, never reused: the cursor to
    /// resume from (`since_event`). Absent only from servers before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<u64>,
}

/// A book subscription's depth when it names none.
pub const BOOK_LEVELS_DEFAULT: u32 = 20;
/// The most levels per side a book subscription may ask for.
pub const BOOK_LEVELS_MAX: u32 = 500;

/// The levels per side a book subscription asking for `levels` gets.
pub fn book_levels(levels: Option<u32>) -> u32 {
    levels
        .unwrap_or(BOOK_LEVELS_DEFAULT)
        .clamp(1, BOOK_LEVELS_MAX)
}

/// The sides of a book as a subscription last got them.
pub type BookSides = (Vec<BookLevel>, Vec<BookLevel>);

/// What a book subscription that last got `last` is sent for `depth` as of `seq`: the
/// whole book first (`snapshot`), then only the levels that changed (size 0: gone), nothing
/// when none did. `last` becomes `depth`'s sides. Both services' feeds send their books so.
pub fn book_update(
    seq: u64,
    last: &mut Option<BookSides>,
    depth: &crate::engine::view::BookDepth,
) -> Option<StreamMessage> {
    if last
        .as_ref()
        .is_some_and(|(bids, asks)| *bids == depth.bids && *asks == depth.asks)
    {
        return None; // unchanged (the common case: cheaper than diffing)
    }
    let (bids, asks, snapshot) = match last.as_ref() {
        None => (depth.bids.clone(), depth.asks.clone(), true),
        Some((old_bids, old_asks)) => (
            changed_levels(old_bids, &depth.bids),
            changed_levels(old_asks, &depth.asks),
            false,
        ),
    };
    *last = Some((depth.bids.clone(), depth.asks.clone()));
    if !snapshot && bids.is_empty() && asks.is_empty() {
        return None;
    }
    Some(StreamMessage::Book {
        market: depth.market,
        seq,
        snapshot,
        bids,
        asks,
    })
}

/// The levels of `new` that differ from `old`, and those of `old` that are gone (size 0).
fn changed_levels(old: &[BookLevel], new: &[BookLevel]) -> Vec<BookLevel> {
    use std::collections::BTreeMap;
    let before: BTreeMap<u64, &BookLevel> = old.iter().map(|l| (l.price, l)).collect();
    let after: BTreeMap<u64, &BookLevel> = new.iter().map(|l| (l.price, l)).collect();
    let mut changed: Vec<BookLevel> = new
        .iter()
        .filter(|l| before.get(&l.price) != Some(l))
        .cloned()
        .collect();
    changed.extend(
        old.iter()
            .filter(|l| !after.contains_key(&l.price))
            .map(|l| BookLevel {
                price: l.price,
                size: 0,
                orders: 0,
            }),
    );
    changed
}

/// What a markets subscription that last got `last` is sent for the markets `now` as of
/// `seq`: each market whose state differs from what was last sent (every one at first).
/// `last` becomes `now`. Both services' feeds send their markets so.
pub fn markets_update(
    seq: u64,
    last: &mut Vec<MarketInfo>,
    now: &[MarketInfo],
) -> Vec<StreamMessage> {
    let changed = now.iter().filter(|market| !last.contains(market));
    let messages = changed
        .map(|market| StreamMessage::Market {
            seq,
            market: market.clone(),
        })
        .collect();
    *last = now.to_vec();
    messages
}

/// What an account subscription that last got `last` is sent for the view `now` as of
/// `seq`: `now` when it differs (or nothing was sent yet), else nothing. `last` becomes
/// `now`.
pub fn account_update(
    seq: u64,
    last: &mut Option<Box<AccountBody>>,
    now: AccountBody,
) -> Option<StreamMessage> {
    if last.as_deref() == Some(&now) {
        return None;
    }
    *last = Some(Box::new(now.clone()));
    Some(StreamMessage::Account { seq, account: now })
}

/// A subscription served from a service's newest state rather than from a log: a market's
/// book (`levels` per side), the markets, or an account's view, each with what it was last
/// sent (nothing yet: `None`, empty). Both services' feeds hold these and send what
/// `book_update`, `markets_update` and `account_update` say, so the state lives here once.
#[derive(Debug)]
pub enum HeadSub {
    Book {
        market: u32,
        levels: u32,
        last: Option<BookSides>,
    },
    Markets {
        last: Vec<MarketInfo>,
    },
    /// An account's view, and the one last sent (`None`: none yet).
    Account {
        address: Address,
        /// Boxed: a view is far larger than the other subscriptions' state.
        last: Option<Box<AccountBody>>,
    },
}

impl HeadSub {
    /// What `request` subscribes to, nothing sent yet, when it is served from the head
    /// (`book`, `markets`, `account`); `None` for a log's channel.
    pub fn of(request: &Subscribe) -> Option<HeadSub> {
        match request {
            Subscribe::Book { market, levels } => Some(HeadSub::book(*market, *levels)),
            Subscribe::Markets => Some(HeadSub::markets()),
            Subscribe::Account { account } => Some(HeadSub::account(*account)),
            _ => None,
        }
    }

    /// `market`'s book, `levels` per side as asked (`book_levels`), nothing sent yet.
    pub fn book(market: u32, levels: Option<u32>) -> HeadSub {
        HeadSub::Book {
            market,
            levels: book_levels(levels),
            last: None,
        }
    }

    /// Every market, nothing sent yet.
    pub fn markets() -> HeadSub {
        HeadSub::Markets { last: Vec::new() }
    }

    /// `address`'s view, nothing sent yet.
    pub fn account(address: Address) -> HeadSub {
        HeadSub::Account {
            address,
            last: None,
        }
    }
}
