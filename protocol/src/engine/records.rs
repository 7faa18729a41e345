//! The values stored under the engine's keys, with their canonical encodings (the bytes
//! that are hashed into the state root; docs/PROTOCOL.md Part 4 §3 lists them field by field).
//!
//! Decoding is strict (exact length, sorted lists, bounded counts) because witness bytes
//! come from outside; a value that does not decode is reported, never unwrapped.

use crate::action::TriggerKind;
use crate::codec::{Decode, DecodeError, Encode, Field, Reader, Writer};
use crate::primitives::Address;

/// Most open orders one account may have: bounds what `CancelAll` and liquidation touch.
pub const MAX_OPEN_ORDERS: u32 = 64;
/// An account remembers its this-many highest used nonces.
pub const NONCE_WINDOW: usize = 64;
/// Most markets a genesis may define: bounds the positions a margin check reads.
pub const MAX_MARKETS: usize = 16;

/// `0x01` leaf: an account's cash and bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The address this leaf belongs to (keys are hashed; this makes the state
    /// self-describing for auditors and invariant checks).
    pub owner: Address,
    /// micro-USDC. Never negative for traders; the insurance fund's may be (deficit).
    pub collateral: i128,
    /// Resting orders of this account, in all markets (≤ `MAX_OPEN_ORDERS`).
    pub open_orders: u32,
    /// Ascending ids of the markets where this account has a `Position` leaf.
    pub markets: Vec<u32>,
}

impl Account {
    pub fn empty(owner: Address) -> Account {
        Account {
            owner,
            collateral: 0,
            open_orders: 0,
            markets: Vec::new(),
        }
    }

    /// An empty account is not stored (its leaf is deleted).
    pub fn is_empty(&self) -> bool {
        self.collateral == 0 && self.open_orders == 0 && self.markets.is_empty()
    }

    /// Keeps `markets` sorted: adds or removes `market` to match `has_position`.
    pub fn set_market(&mut self, market: u32, has_position: bool) {
        match (self.markets.binary_search(&market), has_position) {
            (Err(at), true) => self.markets.insert(at, market),
            (Ok(at), false) => {
                self.markets.remove(at);
            }
            _ => {}
        }
    }
}

/// One side of an account's resting orders in one market, summed over the orders that are
/// not reduce-only (those can only shrink the position, so they reserve no margin).
/// Kept in the position leaf so that the placement check (`margin::order_reservation`)
/// reads one leaf per market instead of walking up to `MAX_OPEN_ORDERS` orders.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SideTotals {
    /// Σ remaining, in size units.
    pub size: u64,
    /// Σ remaining × price, in micro-USDC × 10^size_decimals (undivided, like `cost`).
    pub notional: u128,
}

/// `0x02` leaf: an account's position and resting orders in one market. Exists iff
/// `size ≠ 0`, `open_orders > 0` or the account set the market to isolated margin.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Position {
    /// Signed size in size units (10^-size_decimals of one whole unit); long > 0.
    pub size: i128,
    /// Σ price × signed size over the open part, in micro-USDC × 10^size_decimals.
    /// Kept undivided so that entry cost never rounds; `cost / size` is the entry price.
    pub cost: i128,
    /// The market's funding index when funding was last settled into collateral.
    pub funding_snapshot: i128,
    /// Resting orders of this account in this market.
    pub open_orders: u32,
    /// Its resting buys that are not reduce-only.
    pub bids: SideTotals,
    /// Its resting sells that are not reduce-only.
    pub asks: SideTotals,
    /// Isolated margin (issue #16, `engine::isolated`, docs/PROTOCOL.md Part 4 §26):
    /// `None` in cross mode; `Some(margin)` (micro-USDC) in isolated mode, the money that
    /// backs this position alone. Encoded as a tail only in isolated mode, so every
    /// cross position keeps the bytes (and hash) it always had.
    pub isolated: Option<i128>,
}

impl Position {
    /// The leaf can be deleted: no size, no resting order, cross mode.
    pub fn is_empty(&self) -> bool {
        self.is_flat() && self.isolated.is_none()
    }

    /// No size and no resting order (an isolated leaf may still hold its mode).
    pub fn is_flat(&self) -> bool {
        self.size == 0 && self.open_orders == 0
    }
}

/// `0x03` leaf: a resting order. Market, side, price priority and sequence are in the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookOrder {
    pub account: Address,
    /// The order's id within its account (the signed nonce).
    pub nonce: u64,
    /// Limit price (also encoded in the key; kept here so the value reads on its own).
    pub price: u64,
    /// Unfilled size, a positive multiple of the lot size.
    pub remaining: u64,
    pub reduce_only: bool,
    /// Good-till-time (issue #16): the last batch timestamp (ms) at which the order may
    /// fill; 0 = none (every `Order`/`AgentOrder`, whose `expiresAt` bounds arrival only).
    pub expires_at_ms: u64,
    /// The account's client order id (`ClientOrder.clientId`); 0 = none.
    pub client_id: u128,
}

impl BookOrder {
    /// Whether a batch at `timestamp_ms` is past the order's good-till-time.
    pub fn is_expired_at(&self, timestamp_ms: u64) -> bool {
        self.expires_at_ms != 0 && timestamp_ms > self.expires_at_ms
    }

    /// Whether the order carries the `ClientOrder` terms (an expiry or a client id).
    pub fn has_terms(&self) -> bool {
        self.expires_at_ms != 0 || self.client_id != 0
    }
}

/// `0x05` leaf: one market's dynamic state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MarketState {
    /// The robust mark (micro-USDC per whole unit; 0 = no price yet): the median of the
    /// index, the index plus the smoothed premium and the clamped book mid, set at the end
    /// of every `Order`, `Liquidate` and `PriceUpdate` (`mark.rs`, docs/PROTOCOL.md Part 4
    /// §23). Margin, liquidation, the price band and triggers use it.
    pub mark_price: u64,
    /// The oracle time of the index (`index_price`).
    pub price_timestamp_ms: u64,
    /// Cumulative funding per whole unit, micro-USDC × `FUNDING_INDEX_SCALE`; longs pay
    /// when it rises.
    pub funding_index: i128,
    /// When funding last accrued; 0 = never (the first price update starts the clock).
    pub funding_timestamp_ms: u64,
    /// Σ positive position sizes (= Σ |negative sizes|).
    pub long_open_interest: u64,
    /// The sequence number the next resting order gets (time priority).
    pub next_seq: u64,
    /// Realized PnL and funding pass through this balance (micro-USDC); see the spec §5.
    pub pnl_pool: i128,
    /// The circuit breaker's reference price: the mark at the start of the current move
    /// window (0 = no price yet). See `breaker.rs` and docs/PROTOCOL.md Part 4 §7.1.
    pub window_price: u64,
    /// The oracle timestamp of `window_price`.
    pub window_start_ms: u64,
    /// Why the market is in reduce-only mode (`BREAKER_*`; 0 = not tripped).
    pub breaker_reason: u8,
    /// When it tripped (an oracle timestamp; meaningful iff `breaker_reason ≠ 0`).
    pub breaker_tripped_at_ms: u64,
    /// For a move trip: the move, in whole bps of the window price (rounded down).
    pub breaker_move_bps: u32,
    /// For a move trip: the time between the window start and the tripping price.
    pub breaker_move_ms: u64,
    /// The funding premium (bps) sampled after the last action on this market, held from
    /// `funding_timestamp_ms` until the next one (docs/PROTOCOL.md Part 4 §6).
    pub funding_premium_bps: i128,
    /// The index: the median of the fresh oracle prices (§7); 0 = none yet. Funding accrues
    /// on it and the circuit breaker watches it.
    pub index_price: u64,
    /// The book premium sampled after the last action (the clamped mid minus the index,
    /// micro-USDC per whole unit), held like `funding_premium_bps`.
    pub book_premium: i128,
    /// The smoothed book premium (micro-USDC per whole unit): the held samples integrated
    /// over time (`mark::smooth`).
    pub premium_ema: i128,
}

/// `MarketState::breaker_reason`: not tripped.
pub const BREAKER_NONE: u8 = 0;
/// Tripped by a price move beyond `breaker_move_bps` within the window.
pub const BREAKER_MOVE: u8 = 1;
/// Tripped by a price older than `max_price_age_ms` (recorded when the next price arrives).
pub const BREAKER_STALE: u8 = 2;

/// `0x06` leaf: a withdrawal the settlement layer pays out once its batch is final.
/// Encoding: `account(20) ‖ amount(8, BE)`, 28 bytes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Withdrawal {
    pub account: Address,
    #[serde(with = "crate::action::int")]
    pub amount: u64,
}

/// `0x07` leaf: chain-wide totals and counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Meta {
    /// Trading fees collected (micro-USDC).
    pub fees: i128,
    pub total_deposits: u128,
    pub total_withdrawals: u128,
    /// Running Σ of every account's collateral, insurance fund included.
    pub total_collateral: i128,
    pub next_withdrawal_id: u64,
    /// The L1 queue index the next L1 transaction must carry.
    pub next_queue_index: u64,
    /// Accounts that ended a liquidation below zero equity (their `0x0a` markers):
    /// while nonzero, withdrawals are paused (docs/PROTOCOL.md Part 4 §11).
    pub insolvent_accounts: u32,
}

/// `0x0b` leaf: an agent `owner` approved (issue #16). Encoding: `owner(20) ‖ agent(20) ‖
/// valid_until(8) ‖ name (u32 length ‖ UTF-8, at most 32 bytes)`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AgentApproval {
    pub owner: Address,
    pub agent: Address,
    /// Last millisecond the agent may act (a batch timestamp ≤ it); 0 = until revoked.
    #[serde(with = "crate::action::int")]
    pub valid_until: u64,
    pub name: String,
}

impl AgentApproval {
    /// Whether the agent may act at `timestamp_ms`.
    pub fn is_valid_at(&self, timestamp_ms: u64) -> bool {
        self.valid_until == 0 || timestamp_ms <= self.valid_until
    }
}

/// `0x0c` leaf: `owner`'s dead-man's switch (issue #16). Encoding: `owner(20) ‖ time(8)`;
/// `time` > 0 (a cleared switch has no leaf).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadManSwitch {
    pub owner: Address,
    /// The batch timestamp (ms) from which the sweep cancels the owner's orders.
    pub time_ms: u64,
}

/// Which part of a trigger order a trigger-book entry is (the last byte of its index key).
pub const LEG_ORDER: u8 = 0;
/// A `TpSl`'s take-profit leg.
pub const LEG_TAKE_PROFIT: u8 = 1;
/// A `TpSl`'s stop-loss leg.
pub const LEG_STOP_LOSS: u8 = 2;

/// `0x15` leaf: one trigger order waiting for the mark (issue #16). Encoding: `owner(20) ‖
/// nonce(8) ‖ leg(1) ‖ isBuy(1) ‖ kind(1) ‖ triggerPrice(8) ‖ price(8) ‖ size(8) ‖
/// reduceOnly(1)`. A TP/SL leg has size 0: it closes the whole position when it fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerRecord {
    pub owner: Address,
    pub nonce: u64,
    pub leg: u8,
    pub is_buy: bool,
    pub kind: TriggerKind,
    pub trigger_price: u64,
    pub price: u64,
    pub size: u64,
    pub reduce_only: bool,
}

/// `0x17` leaf: the TP/SL pair attached to `owner`'s position in `market` (the legs are
/// the trigger orders `(owner, nonce)` legs 1 and 2). `long` is the side of the position
/// it was set on. Encoding: `owner(20) ‖ market(4) ‖ nonce(8) ‖ long(1)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TpSlLink {
    pub owner: Address,
    pub market: u32,
    pub nonce: u64,
    pub long: bool,
}

/// `0x1b` leaf: `owner`'s leverage setting in `market` (`SetLeverage`, docs/PROTOCOL.md
/// Part 4 §22). Stored only below the market's maximum leverage, which is the default (no
/// leaf), so each setting has one representation. Encoding: `owner(20) ‖ market(4) ‖
/// leverage(4)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeverageSetting {
    pub owner: Address,
    pub market: u32,
    pub leverage: u32,
}

/// `0x08` leaf: the account's `NONCE_WINDOW` highest used nonces, ascending.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NonceSet {
    pub nonces: Vec<u64>,
}

fn invalid(field: &'static str, reason: &str) -> DecodeError {
    DecodeError::Invalid {
        field,
        reason: reason.to_string(),
    }
}

fn strictly_ascending<T: Ord>(items: &[T]) -> bool {
    items.windows(2).all(|w| w[0] < w[1])
}

/// `Encode`/`Decode` for a record that is just its fields in the order listed, each read
/// under the name `prefix.field` (the leaf layouts of docs/PROTOCOL.md Part 4 §3). A
/// record with a rule beyond its fields' own (sorted lists, a bounded enum, an optional
/// tail) keeps a hand-written pair below.
macro_rules! record_codec {
    ($record:ident, $prefix:literal, [$($field:ident),+ $(,)?]) => {
        impl Encode for $record {
            fn encode_to(&self, w: &mut Writer) {
                $(Field::write(&self.$field, w);)+
            }
        }

        impl Decode for $record {
            fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
                Ok($record {
                    $($field: Field::read(r, concat!($prefix, ".", stringify!($field)))?,)+
                })
            }
        }
    };
}

record_codec!(Withdrawal, "withdrawal", [account, amount]);
record_codec!(AgentApproval, "agent", [owner, agent, valid_until, name]);
record_codec!(TpSlLink, "tp_sl", [owner, market, nonce, long]);
record_codec!(LeverageSetting, "leverage", [owner, market, leverage]);
record_codec!(
    Meta,
    "meta",
    [
        fees,
        total_deposits,
        total_withdrawals,
        total_collateral,
        next_withdrawal_id,
        next_queue_index,
        insolvent_accounts,
    ]
);

impl Encode for Account {
    fn encode_to(&self, w: &mut Writer) {
        w.address(&self.owner)
            .i128(self.collateral)
            .u32(self.open_orders);
        w.u32(u32::try_from(self.markets.len()).expect("at most MAX_MARKETS markets"));
        for m in &self.markets {
            w.u32(*m);
        }
    }
}

impl Decode for Account {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let owner = r.address("account.owner")?;
        let collateral = r.i128("account.collateral")?;
        let open_orders = r.u32("account.open_orders")?;
        let n = r.count("account.markets", MAX_MARKETS)?;
        let mut markets = Vec::with_capacity(n);
        for _ in 0..n {
            markets.push(r.u32("account.markets")?);
        }
        if !strictly_ascending(&markets) {
            return Err(invalid("account.markets", "not strictly ascending"));
        }
        Ok(Account {
            owner,
            collateral,
            open_orders,
            markets,
        })
    }
}

impl Encode for Position {
    fn encode_to(&self, w: &mut Writer) {
        w.i128(self.size)
            .i128(self.cost)
            .i128(self.funding_snapshot)
            .u32(self.open_orders);
        w.u64(self.bids.size)
            .u128(self.bids.notional)
            .u64(self.asks.size)
            .u128(self.asks.notional);
        if let Some(margin) = self.isolated {
            w.i128(margin);
        }
    }
}

impl Decode for Position {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Position {
            size: r.i128("position.size")?,
            cost: r.i128("position.cost")?,
            funding_snapshot: r.i128("position.funding_snapshot")?,
            open_orders: r.u32("position.open_orders")?,
            bids: SideTotals {
                size: r.u64("position.bids.size")?,
                notional: r.u128("position.bids.notional")?,
            },
            asks: SideTotals {
                size: r.u64("position.asks.size")?,
                notional: r.u128("position.asks.notional")?,
            },
            isolated: if r.remaining() > 0 {
                Some(r.i128("position.isolated_margin")?)
            } else {
                None
            },
        })
    }
}

impl Encode for BookOrder {
    fn encode_to(&self, w: &mut Writer) {
        w.address(&self.account)
            .u64(self.nonce)
            .u64(self.price)
            .u64(self.remaining)
            .bool(self.reduce_only);
        // The terms are a tail only orders placed by `ClientOrder` carry, so the leaves of
        // all other orders keep the 45 bytes they always had.
        if self.has_terms() {
            w.u64(self.expires_at_ms).u128(self.client_id);
        }
    }
}

impl Decode for BookOrder {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut o = BookOrder {
            account: r.address("order.account")?,
            nonce: r.u64("order.nonce")?,
            price: r.u64("order.price")?,
            remaining: r.u64("order.remaining")?,
            reduce_only: r.bool("order.reduce_only")?,
            expires_at_ms: 0,
            client_id: 0,
        };
        if r.remaining() > 0 {
            o.expires_at_ms = r.u64("order.expires_at_ms")?;
            o.client_id = r.u128("order.client_id")?;
            if !o.has_terms() {
                return Err(invalid(
                    "order.terms",
                    "an all-zero terms tail is not canonical",
                ));
            }
        }
        Ok(o)
    }
}

impl Encode for MarketState {
    fn encode_to(&self, w: &mut Writer) {
        w.u64(self.mark_price)
            .u64(self.price_timestamp_ms)
            .i128(self.funding_index);
        w.u64(self.funding_timestamp_ms)
            .u64(self.long_open_interest)
            .u64(self.next_seq)
            .i128(self.pnl_pool);
        w.u64(self.window_price)
            .u64(self.window_start_ms)
            .u8(self.breaker_reason)
            .u64(self.breaker_tripped_at_ms)
            .u32(self.breaker_move_bps)
            .u64(self.breaker_move_ms)
            .i128(self.funding_premium_bps);
        w.u64(self.index_price)
            .i128(self.book_premium)
            .i128(self.premium_ema);
    }
}

impl Decode for MarketState {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(MarketState {
            mark_price: r.u64("market.mark_price")?,
            price_timestamp_ms: r.u64("market.price_timestamp_ms")?,
            funding_index: r.i128("market.funding_index")?,
            funding_timestamp_ms: r.u64("market.funding_timestamp_ms")?,
            long_open_interest: r.u64("market.long_open_interest")?,
            next_seq: r.u64("market.next_seq")?,
            pnl_pool: r.i128("market.pnl_pool")?,
            window_price: r.u64("market.window_price")?,
            window_start_ms: r.u64("market.window_start_ms")?,
            breaker_reason: match r.u8("market.breaker_reason")? {
                r @ (BREAKER_NONE | BREAKER_MOVE | BREAKER_STALE) => r,
                _ => return Err(invalid("market.breaker_reason", "not 0, 1 or 2")),
            },
            breaker_tripped_at_ms: r.u64("market.breaker_tripped_at_ms")?,
            breaker_move_bps: r.u32("market.breaker_move_bps")?,
            breaker_move_ms: r.u64("market.breaker_move_ms")?,
            funding_premium_bps: r.i128("market.funding_premium_bps")?,
            index_price: r.u64("market.index_price")?,
            book_premium: r.i128("market.book_premium")?,
            premium_ema: r.i128("market.premium_ema")?,
        })
    }
}

impl Encode for DeadManSwitch {
    fn encode_to(&self, w: &mut Writer) {
        w.address(&self.owner).u64(self.time_ms);
    }
}

impl Decode for DeadManSwitch {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let owner = r.address("dead_man.owner")?;
        let time_ms = r.u64("dead_man.time")?;
        if time_ms == 0 {
            return Err(invalid(
                "dead_man.time",
                "a stored switch has a nonzero time",
            ));
        }
        Ok(DeadManSwitch { owner, time_ms })
    }
}

impl Encode for TriggerRecord {
    fn encode_to(&self, w: &mut Writer) {
        w.address(&self.owner).u64(self.nonce).u8(self.leg);
        w.bool(self.is_buy)
            .u8(self.kind as u8)
            .u64(self.trigger_price)
            .u64(self.price)
            .u64(self.size)
            .bool(self.reduce_only);
    }
}

impl Decode for TriggerRecord {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let owner = r.address("trigger.owner")?;
        let nonce = r.u64("trigger.nonce")?;
        let leg = r.u8("trigger.leg")?;
        if leg > LEG_STOP_LOSS {
            return Err(invalid("trigger.leg", "not 0..=2"));
        }
        let is_buy = r.bool("trigger.is_buy")?;
        let kind = TriggerKind::from_u8(r.u8("trigger.kind")?)
            .ok_or_else(|| invalid("trigger.kind", "not 0..=3"))?;
        Ok(TriggerRecord {
            owner,
            nonce,
            leg,
            is_buy,
            kind,
            trigger_price: r.u64("trigger.trigger_price")?,
            price: r.u64("trigger.price")?,
            size: r.u64("trigger.size")?,
            reduce_only: r.bool("trigger.reduce_only")?,
        })
    }
}

impl Encode for NonceSet {
    fn encode_to(&self, w: &mut Writer) {
        w.u32(u32::try_from(self.nonces.len()).expect("at most NONCE_WINDOW nonces"));
        for n in &self.nonces {
            w.u64(*n);
        }
    }
}

impl Decode for NonceSet {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let n = r.count("nonces", NONCE_WINDOW)?;
        let mut nonces = Vec::with_capacity(n);
        for _ in 0..n {
            nonces.push(r.u64("nonces")?);
        }
        if !strictly_ascending(&nonces) {
            return Err(invalid("nonces", "not strictly ascending"));
        }
        Ok(NonceSet { nonces })
    }
}

/// One oracle signer's latest price for a market; `price = 0`: none yet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SignedPrice {
    pub price: u64,
    pub timestamp_ms: u64,
}

/// `0x10` leaf: every genesis oracle signer's latest price for one market, in the slot
/// order of `Genesis::oracles` (docs/PROTOCOL.md Part 4 §7).
/// Encoding: `n u32 ‖ (price u64 ‖ timestamp_ms u64) × n`, n ≤ `MAX_ORACLE_SIGNERS`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OraclePrices {
    pub slots: Vec<SignedPrice>,
}

impl Encode for OraclePrices {
    fn encode_to(&self, w: &mut Writer) {
        w.u32(u32::try_from(self.slots.len()).expect("at most MAX_ORACLE_SIGNERS slots"));
        for slot in &self.slots {
            w.u64(slot.price).u64(slot.timestamp_ms);
        }
    }
}

impl Decode for OraclePrices {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let n = r.count("oracle_prices", crate::genesis::MAX_ORACLE_SIGNERS)?;
        let mut slots = Vec::with_capacity(n);
        for _ in 0..n {
            slots.push(SignedPrice {
                price: r.u64("oracle_prices.price")?,
                timestamp_ms: r.u64("oracle_prices.timestamp_ms")?,
            });
        }
        Ok(OraclePrices { slots })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: Encode + Decode + PartialEq + std::fmt::Debug>(v: T, len: usize) {
        let bytes = v.encode();
        assert_eq!(bytes.len(), len, "{v:?}");
        assert_eq!(T::decode(&bytes).unwrap(), v);
    }

    #[test]
    fn records_round_trip_with_documented_lengths() {
        let a = Address([7; 20]);
        round_trip(
            Account {
                owner: a,
                collateral: -5,
                open_orders: 2,
                markets: vec![1, 4],
            },
            20 + 16 + 4 + 4 + 8,
        );
        round_trip(
            Position {
                size: -3,
                cost: -300,
                funding_snapshot: 9,
                open_orders: 1,
                bids: SideTotals {
                    size: 2,
                    notional: 200,
                },
                asks: SideTotals::default(),
                isolated: None,
            },
            100,
        );
        // An isolated position: the same bytes and its margin as a 16-byte tail.
        round_trip(
            Position {
                size: 3,
                isolated: Some(25),
                ..Default::default()
            },
            116,
        );
        round_trip(
            BookOrder {
                account: a,
                nonce: 1,
                price: 2,
                remaining: 3,
                reduce_only: true,
                expires_at_ms: 0,
                client_id: 0,
            },
            45,
        );
        round_trip(
            BookOrder {
                account: a,
                nonce: 1,
                price: 2,
                remaining: 3,
                reduce_only: false,
                expires_at_ms: 0,
                client_id: 7,
            },
            45 + 24,
        );
        round_trip(
            MarketState {
                mark_price: 1,
                pnl_pool: -2,
                breaker_reason: BREAKER_MOVE,
                ..Default::default()
            },
            72 + 8 + 8 + 1 + 8 + 4 + 8 + 16 + 8 + 16 + 16,
        );
        round_trip(
            Withdrawal {
                account: a,
                amount: 99,
            },
            28,
        );
        round_trip(
            Meta {
                fees: 3,
                next_queue_index: 4,
                insolvent_accounts: 5,
                ..Default::default()
            },
            84,
        );
        round_trip(
            NonceSet {
                nonces: vec![1, 5, 9],
            },
            4 + 24,
        );
    }

    #[test]
    fn hostile_values_are_refused_with_the_field_named() {
        let unsorted = NonceSet { nonces: vec![5, 1] }.encode();
        assert_eq!(
            NonceSet::decode(&unsorted),
            Err(invalid("nonces", "not strictly ascending"))
        );
        let mut too_many = Writer::new();
        too_many.u32(65);
        assert!(matches!(
            NonceSet::decode(&too_many.buf),
            Err(DecodeError::TooLong {
                field: "nonces",
                ..
            })
        ));
        let dup = Account {
            owner: Address::ZERO,
            collateral: 0,
            open_orders: 0,
            markets: vec![2, 2],
        }
        .encode();
        assert_eq!(
            Account::decode(&dup),
            Err(invalid("account.markets", "not strictly ascending"))
        );
        assert_eq!(
            Withdrawal::decode(&[0; 27]),
            Err(DecodeError::Eof("withdrawal.amount"))
        );
    }

    #[test]
    fn account_market_list_stays_sorted() {
        let mut acct = Account::empty(Address::ZERO);
        for m in [5, 1, 3, 1] {
            acct.set_market(m, true);
        }
        assert_eq!(acct.markets, vec![1, 3, 5]);
        acct.set_market(3, false);
        acct.set_market(9, false);
        assert_eq!(acct.markets, vec![1, 5]);
        assert!(!acct.is_empty());
    }
}
