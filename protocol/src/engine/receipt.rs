//! What applying a transaction produced: a `Receipt` with a stable `Status`, the fills,
//! the orders it cancelled, and per-action results (order outcome, withdrawal id,
//! liquidation). Business rejections are receipts, never `Err`, so every node reaches the
//! same outcome for the same input.
//!
//! Receipts serialize to JSON for the API and have a canonical encoding (`Encode`) whose
//! keccak256 may be committed. The free-text `detail` is not part of the encoding.

use crate::codec::{Encode, Writer};
use crate::primitives::{Address, H256, keccak256};
use serde::{Deserialize, Serialize};

macro_rules! statuses {
    ($($variant:ident = $num:literal, $code:literal, $msg:literal;)*) => {
        /// The outcome of a transaction. The number and the snake_case string are stable
        /// (clients and the canonical receipt encoding rely on them).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[repr(u16)]
        pub enum Status {
            $($variant = $num,)*
        }

        impl Status {
            /// Every status, in numeric order.
            pub const ALL: &'static [Status] = &[$(Status::$variant,)*];

            /// The stable numeric code.
            pub fn number(self) -> u16 {
                self as u16
            }

            /// The stable snake_case string code.
            pub fn code(self) -> &'static str {
                match self {
                    $(Status::$variant => $code,)*
                }
            }

            /// A readable explanation.
            pub fn message(self) -> &'static str {
                match self {
                    $(Status::$variant => $msg,)*
                }
            }

            pub fn from_number(n: u16) -> Option<Status> {
                Status::ALL.iter().copied().find(|s| s.number() == n)
            }
        }
    };
}

statuses! {
    Ok = 0, "ok", "ok";
    BadSignature = 1, "bad_signature", "the signature is invalid";
    SignerMismatch = 2, "signer_mismatch", "the signature is not from the account the message names";
    NotOracle = 3, "not_oracle", "price updates must be signed by one of the genesis oracle signers";
    ReservedAccount = 4, "reserved_account", "the insurance fund's reserved address cannot act or be liquidated";
    Expired = 5, "expired", "expiresAt is before the batch timestamp";
    NonceAlreadyUsed = 6, "nonce_already_used", "this nonce was already used by the account";
    NonceTooLow = 7, "nonce_too_low", "the nonce is not above the lowest of the account's 64 highest used nonces";
    UnknownMarket = 10, "unknown_market", "no such market";
    InvalidTick = 11, "invalid_tick", "the price must be a positive multiple of the market's tick size";
    InvalidLot = 12, "invalid_lot", "the size must be a multiple of the market's lot size";
    ZeroSize = 13, "zero_size", "the size must be positive";
    SizeTooLarge = 14, "size_too_large", "the size exceeds the market's open-interest cap";
    PriceOutsideBand = 15, "price_outside_band", "the price is too far from the mark price";
    NoPrice = 16, "no_price", "the market has no oracle price yet";
    StalePrice = 17, "stale_price", "the oracle price is stale: only risk-reducing actions are allowed";
    InsufficientMargin = 18, "insufficient_margin", "equity would fall below the initial margin";
    InsufficientCollateral = 19, "insufficient_collateral", "not enough collateral (unrealized profit cannot be spent, collateral cannot go negative)";
    PostOnlyWouldCross = 20, "post_only_would_cross", "a post-only order would have matched";
    FokNotFilled = 21, "fok_not_filled", "a fill-or-kill order could not be filled completely";
    ReduceOnlyWouldIncrease = 22, "reduce_only_would_increase", "a reduce-only order must be opposite to an existing position";
    OpenInterestCap = 23, "open_interest_cap", "the fill would raise open interest above the market's cap";
    TooManyOpenOrders = 24, "too_many_open_orders", "the account already has the maximum number of open orders";
    OrderNotFound = 25, "order_not_found", "no open order with this nonce in this market";
    NotLiquidatable = 26, "not_liquidatable", "the account's equity is not below its maintenance margin";
    NoPosition = 27, "no_position", "the account has no position in this market";
    OraclePriceNotNewer = 28, "oracle_price_not_newer", "the price update is not newer than its signer's last price for the market";
    OraclePriceFromFuture = 29, "oracle_price_from_future", "the price update is later than the batch timestamp";
    InvalidPrice = 30, "invalid_price", "the oracle price must be positive and at most MAX_PRICE";
    ZeroAmount = 31, "zero_amount", "the amount must be positive";
    QueueIndexMismatch = 32, "queue_index_mismatch", "the L1 message is not the next one in the queue";
    ArithmeticOverflow = 33, "arithmetic_overflow", "an amount is out of the representable range";
    WithdrawalsPaused = 34, "withdrawals_paused", "withdrawals are paused while a liquidated account is below zero equity (auto-deleveraging is pending)";
    MarketHalted = 35, "market_halted", "the market's circuit breaker is tripped (reduce-only mode): only orders that cannot increase a position are accepted";
    AgentNotApproved = 36, "agent_not_approved", "the agent is not approved by the account (approve it with ApproveAgent, signed by the account)";
    AgentExpired = 37, "agent_expired", "the agent's approval has expired (validUntil is before the batch timestamp); the account can approve it again";
    AgentNotPermitted = 38, "agent_not_permitted", "an agent key may only sign AgentOrder, AgentCancel, AgentCancelAll and AgentScheduleCancel; this action needs the account's own key";
    InvalidAgent = 39, "invalid_agent", "the agent must be a nonzero address other than the account itself";
    DeadManTooSoon = 40, "dead_man_too_soon", "a dead-man's switch time must be 0 (clear) or at least 5000 ms after the batch timestamp";
    InvalidImpliedVol = 41, "invalid_implied_vol", "the implied volatility must be in 1..=5000000 ppm (500 % a year) and its market must list options";
    ImpliedVolNotNewer = 42, "implied_vol_not_newer", "the implied-volatility update is not newer than its signer's last one for the market";
    ImpliedVolFromFuture = 43, "implied_vol_from_future", "the implied-volatility update is later than the batch timestamp";
    SeriesExpired = 44, "series_expired", "the option series has expired (the batch timestamp is at or past its expiry): it no longer trades and settles at expiry";
    UnknownSeries = 45, "unknown_series", "no option series with this id is listed";
    TooManyPositions = 46, "too_many_positions", "an account may hold positions or orders in at most 16 markets and option series together";
    LongOptionNotLiquidatable = 47, "long_option_not_liquidatable", "a long option position needs no margin, so it is never liquidated; liquidate the account's short series or perp positions";
    ClientIdTaken = 56, "client_id_taken", "the account already has an open order with this client id (modify or cancel it, or use another id)";
    ClientOrderNotFound = 57, "client_order_not_found", "the account has no open order with this client id";
    InvalidTriggerPrice = 64, "invalid_trigger_price", "a trigger price (triggerPrice, takeProfit, stopLoss) must be a positive multiple of the market's tick size";
    TriggerPriceMismatch = 65, "trigger_price_mismatch", "a market trigger order (stop-market, take-profit-market) has price 0; a limit one (stop-limit, take-profit-limit) needs a positive price";
    LeverageOutOfRange = 66, "leverage_out_of_range", "the leverage must be at least 1 and at most the market's maximum, ⌊10000 / initial_margin_bps⌋";
    LeverageInsufficientMargin = 67, "leverage_insufficient_margin", "at the lower leverage the account's equity would not cover the initial margin of its positions and open orders";
    TooManyTriggerOrders = 68, "too_many_trigger_orders", "an account may have at most 16 trigger orders waiting (each TP/SL leg counts one): cancel some (vigil cancel NONCE, or CancelAll) first";
    MarginModeBusy = 69, "margin_mode_busy", "the margin mode of a market changes only while the account has no position, resting order or trigger order in it: close, cancel or wait for them first";
    NotIsolated = 70, "not_isolated", "the account's position in this market is in cross margin: set it to isolated (SetMarginMode) while it is flat first";
    IsolatedMarginShort = 71, "isolated_margin_short", "removing this much would leave the isolated position below its initial margin (with its resting orders) or its margin below zero";
    CrossMarginShort = 72, "cross_margin_short", "the cross account cannot spare this much for the isolated position: its collateral, or its equity above the initial margin of its cross positions and orders, is smaller";
    BulkModifyItemCount = 74, "bulk_modify_item_count", "a BulkModify changes 1 to 16 orders";
    BulkModifyItemInvalid = 75, "bulk_modify_item_invalid", "a BulkModify item names a perp order by clientId (market and orderNonce 0) or by market and orderNonce (clientId 0), and changes its price, its size or both";
    LeverageIsolatedMarginShort = 73, "leverage_isolated_margin_short", "at the lower leverage the isolated position's margin (with its unrealized PnL) would not cover its initial margin with its resting orders: add margin to it first";
}

impl Status {
    pub fn is_ok(self) -> bool {
        self == Status::Ok
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

/// One match between the taker's order and a resting maker order, at the maker's price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fill {
    pub market: u32,
    pub maker: Address,
    pub maker_nonce: u64,
    pub taker: Address,
    pub taker_nonce: u64,
    pub price: u64,
    pub size: u64,
    pub taker_is_buy: bool,
    /// micro-USDC charged to each side (rounded up).
    pub maker_fee: i128,
    pub taker_fee: i128,
}

/// Why a resting order left the book without (fully) filling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
    /// Cancel / CancelAll by its owner.
    User = 0,
    /// The taker was the same account (self-trade prevention).
    SelfTrade = 1,
    /// Filling it would have left the maker below initial margin or with negative collateral.
    MakerMargin = 2,
    /// A reduce-only order with nothing (more) to reduce.
    ReduceOnly = 3,
    /// The owner was liquidated.
    Liquidation = 4,
    /// The owner's dead-man's switch fired (`ScheduleCancel`).
    DeadMan = 5,
    /// Its option series expired; the expiry sweep removed it (docs/PROTOCOL.md Part 8 §13).
    OptionExpiry = 6,
    /// Past its good-till-time (`ClientOrder.expiresAt`): met by matching, or swept.
    Expired = 7,
}

impl CancelReason {
    /// Its name on the wire (the order feeds' `reason`, the order history's).
    pub fn name(self) -> &'static str {
        match self {
            CancelReason::User => "user",
            CancelReason::SelfTrade => "self_trade",
            CancelReason::MakerMargin => "maker_margin",
            CancelReason::ReduceOnly => "reduce_only",
            CancelReason::Liquidation => "liquidation",
            CancelReason::DeadMan => "dead_man",
            CancelReason::Expired => "expired",
            CancelReason::OptionExpiry => "option_expiry",
        }
    }
}

/// A resting order removed from the book by this transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelledOrder {
    pub market: u32,
    pub account: Address,
    pub nonce: u64,
    /// The size that was still open.
    pub remaining: u64,
    pub reason: CancelReason,
}

/// What happened to a trigger order in this transaction (`Receipt::triggered`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerOutcome {
    /// The mark reached its trigger: it was placed as an order (`status` says whether
    /// the order was accepted; its fills are the receipt's `fills`).
    Fired = 0,
    /// Removed by its owner (`Cancel`, or a `TpSl` replacing the pair).
    Cancelled = 1,
    /// The other leg of its TP/SL fired (one-cancels-other).
    OneCancelsOther = 2,
    /// A TP/SL leg fired but the position it was set on is closed (flat, or flipped to
    /// the other side): both legs vanish without an order.
    PositionClosed = 3,
}

/// One trigger order that fired or left the trigger book in this transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriggerEvent {
    pub market: u32,
    pub account: Address,
    pub nonce: u64,
    /// 0: a `TriggerOrder`; 1 / 2: a `TpSl`'s take-profit / stop-loss.
    pub leg: u8,
    pub trigger_price: u64,
    /// The mark price the price update set, which fired it (0 when it did not fire).
    pub mark_price: u64,
    pub outcome: TriggerOutcome,
    /// The placed order's status (`ok` unless it was refused, e.g. `insufficient_margin`).
    pub status: Status,
    /// The placed order's outcome, when it was accepted.
    pub order: Option<OrderOutcome>,
}

/// One option position settled at its series' expiry by the settlement sweep (docs/
/// PROTOCOL.md Part 8 §13, §16), in the receipt of the transaction whose sweep settled it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionSettlement {
    pub account: Address,
    /// The series id.
    pub series: u32,
    /// The signed contracts settled (negative: a short), in size units.
    pub size: i128,
    /// The series' settlement price (the underlying's index, price units).
    pub settlement_price: u64,
    /// What the account's collateral moved by, in micro-USDC: what a short paid (≤ 0),
    /// what a long received (≥ 0).
    pub payout: i128,
}

/// One order a `BulkModify` changed (`Receipt::modified`, in item order): its id, its
/// price and unfilled size now, and whether it kept its place in the queue (unchanged price,
/// size not grown) or went to the back of its price level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModifiedOrder {
    pub market: u32,
    pub nonce: u64,
    pub price: u64,
    pub size: u64,
    pub kept_priority: bool,
}

/// What became of the taker's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderOutcome {
    pub filled: u64,
    /// Left on the book (GTC / POST_ONLY).
    pub resting: u64,
    /// Dropped: IOC remainder, reduce-only cap, or fill limit reached while still crossing.
    pub cancelled: u64,
}

/// The part of a liquidated position the insurance fund took over (the backstop).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosedPosition {
    pub market: u32,
    /// The signed size taken over by the insurance fund.
    pub size: i128,
    /// The takeover price: the mark, or the bankruptcy price when that is worse for the fund.
    pub price: u64,
    /// Liquidation fee charged on the backstop part (micro-USDC, capped at the collateral).
    pub fee: i128,
}

/// One counterparty position reduced by auto-deleveraging.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deleveraged {
    pub account: Address,
    /// The counterparty's signed size change (a short that was bought back: positive).
    pub size: i128,
    /// The bankruptcy price it was closed at.
    pub price: u64,
}

/// The result of a successful `Liquidate` (docs/PROTOCOL.md Part 4 §11).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiquidationOutcome {
    pub account: Address,
    /// The market liquidated.
    pub market: u32,
    /// Size closed through the book (the fills are the receipt's `fills`).
    pub book_filled: u64,
    /// The insurance fund's takeover, if the book did not absorb the target (0 or 1 entry).
    pub closed: Vec<ClosedPosition>,
    /// Counterparties auto-deleveraged, in ranking order.
    pub deleveraged: Vec<Deleveraged>,
    /// The whole liquidation fee charged (book part + backstop part).
    pub fee: i128,
    /// The liquidator's share of `fee` (0 when it liquidated itself); the rest went to
    /// the insurance fund.
    pub reward: i128,
    /// The signed size the account still holds in the market afterwards.
    pub remaining: i128,
    /// The account ended below zero equity (withdrawals are paused until it is resolved).
    pub insolvent: bool,
}

/// The outcome of one transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub status: Status,
    /// Extra human-readable context (e.g. the two addresses of a signer mismatch).
    /// Not part of the canonical encoding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub fills: Vec<Fill>,
    pub cancelled: Vec<CancelledOrder>,
    pub order: Option<OrderOutcome>,
    pub withdrawal_id: Option<u64>,
    /// Boxed: the outcome is large and rare, and receipts travel in enums everywhere.
    pub liquidation: Option<Box<LiquidationOutcome>>,
    /// The agent key that signed for the account (the agent kinds); absent when the
    /// account (or the oracle) signed itself. Omitted from JSON when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<Address>,
    /// The accounts whose dead-man's switch fired at the start of this transaction, in
    /// firing order (their orders are in `cancelled` with reason `dead_man`). Omitted from
    /// JSON when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dead_man: Vec<Address>,
    /// Trigger orders that fired (a `PriceUpdate`'s receipt: this is the update that
    /// fired them) or left the trigger book, in order. Omitted from JSON when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggered: Vec<TriggerEvent>,
    /// Option positions the settlement sweep at the start of this transaction settled, in
    /// settlement order (Part 8 §16). Omitted from JSON when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub settled: Vec<OptionSettlement>,
    /// The orders a `BulkModify` changed, in item order (Part 4 §27). Omitted from JSON
    /// when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modified: Vec<ModifiedOrder>,
}

impl Receipt {
    pub fn ok() -> Receipt {
        Receipt::with_status(Status::Ok)
    }

    pub fn with_status(status: Status) -> Receipt {
        Receipt {
            status,
            detail: None,
            fills: vec![],
            cancelled: vec![],
            order: None,
            withdrawal_id: None,
            liquidation: None,
            agent: None,
            dead_man: vec![],
            triggered: vec![],
            settled: vec![],
            modified: vec![],
        }
    }

    /// A rejection: nothing else happened.
    pub fn rejected(status: Status, detail: Option<String>) -> Receipt {
        Receipt {
            detail,
            ..Receipt::with_status(status)
        }
    }

    /// keccak256 of the canonical encoding.
    pub fn hash(&self) -> H256 {
        keccak256(&self.encode())
    }
}

fn len_u32(n: usize) -> u32 {
    u32::try_from(n).expect("receipt lists are bounded by max_fills_per_order and MAX_OPEN_ORDERS")
}

impl Encode for Fill {
    fn encode_to(&self, w: &mut Writer) {
        w.u32(self.market)
            .address(&self.maker)
            .u64(self.maker_nonce)
            .address(&self.taker)
            .u64(self.taker_nonce);
        w.u64(self.price)
            .u64(self.size)
            .bool(self.taker_is_buy)
            .i128(self.maker_fee)
            .i128(self.taker_fee);
    }
}

impl Encode for CancelledOrder {
    fn encode_to(&self, w: &mut Writer) {
        w.u32(self.market)
            .address(&self.account)
            .u64(self.nonce)
            .u64(self.remaining)
            .u8(self.reason as u8);
    }
}

impl Encode for TriggerEvent {
    fn encode_to(&self, w: &mut Writer) {
        w.u32(self.market)
            .address(&self.account)
            .u64(self.nonce)
            .u8(self.leg);
        w.u64(self.trigger_price)
            .u64(self.mark_price)
            .u8(self.outcome as u8)
            .u16(self.status.number());
        encode_order_outcome(w, &self.order);
    }
}

fn encode_order_outcome(w: &mut Writer, order: &Option<OrderOutcome>) {
    match order {
        None => w.u8(0),
        Some(o) => w.u8(1).u64(o.filled).u64(o.resting).u64(o.cancelled),
    };
}

impl Encode for Receipt {
    /// `status(2) ‖ fills ‖ cancelled ‖ order? ‖ withdrawal_id? ‖ liquidation? ‖ [agent] ‖
    /// [dead_man] ‖ [triggered] ‖ [settled] ‖ [modified]`; lists carry a u32 count, options
    /// a 0/1 tag byte. The trailing sections appear only when present, each behind its own
    /// tag byte (`0x01 ‖ agent(20)`, then `0x02 ‖ count(4) ‖ account(20)…`, then `0x03 ‖
    /// count(4) ‖ event…`, then `0x04 ‖ count(4) ‖ settlement…`, then `0x05 ‖ count(4) ‖
    /// (market u32 ‖ nonce u64 ‖ price u64 ‖ size u64 ‖ kept_priority bool)…`), so receipts
    /// without them keep the encoding they had before agents, dead-man's switches, trigger
    /// orders, option settlements and bulk modifies existed.
    fn encode_to(&self, w: &mut Writer) {
        w.u16(self.status.number());
        w.u32(len_u32(self.fills.len()));
        self.fills.iter().for_each(|f| f.encode_to(w));
        w.u32(len_u32(self.cancelled.len()));
        self.cancelled.iter().for_each(|c| c.encode_to(w));
        encode_order_outcome(w, &self.order);
        match self.withdrawal_id {
            None => w.u8(0),
            Some(id) => w.u8(1).u64(id),
        };
        match &self.liquidation {
            None => {
                w.u8(0);
            }
            Some(l) => {
                w.u8(1).address(&l.account).u32(l.market).u64(l.book_filled);
                w.u32(len_u32(l.closed.len()));
                for c in &l.closed {
                    w.u32(c.market).i128(c.size).u64(c.price).i128(c.fee);
                }
                w.u32(len_u32(l.deleveraged.len()));
                for d in &l.deleveraged {
                    w.address(&d.account).i128(d.size).u64(d.price);
                }
                w.i128(l.fee).i128(l.reward).i128(l.remaining);
                w.bool(l.insolvent);
            }
        }
        if let Some(agent) = &self.agent {
            w.u8(1).address(agent);
        }
        if !self.dead_man.is_empty() {
            w.u8(2).u32(len_u32(self.dead_man.len()));
            self.dead_man.iter().for_each(|a| {
                w.address(a);
            });
        }
        if !self.triggered.is_empty() {
            w.u8(3).u32(len_u32(self.triggered.len()));
            self.triggered.iter().for_each(|t| t.encode_to(w));
        }
        if !self.settled.is_empty() {
            w.u8(4).u32(len_u32(self.settled.len()));
            for o in &self.settled {
                w.address(&o.account).u32(o.series).i128(o.size);
                w.u64(o.settlement_price).i128(o.payout);
            }
        }
        if !self.modified.is_empty() {
            w.u8(5).u32(len_u32(self.modified.len()));
            for m in &self.modified {
                w.u32(m.market).u64(m.nonce).u64(m.price).u64(m.size);
                w.bool(m.kept_priority);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_are_stable_and_consistent_with_serde() {
        let mut seen = std::collections::BTreeSet::new();
        for s in Status::ALL {
            assert!(seen.insert(s.number()), "duplicate number {}", s.number());
            assert_eq!(Status::from_number(s.number()), Some(*s));
            assert_eq!(
                serde_json::to_string(s).unwrap(),
                format!("\"{}\"", s.code())
            );
            assert!(!s.message().is_empty());
        }
        assert_eq!(Status::Ok.number(), 0);
        assert_eq!(Status::InsufficientMargin.code(), "insufficient_margin");
        assert_eq!(
            Status::FokNotFilled.to_string(),
            "a fill-or-kill order could not be filled completely"
        );
    }

    #[test]
    fn detail_is_not_committed() {
        let a = Receipt::rejected(
            Status::SignerMismatch,
            Some("recovered 0x1, message says 0x2".into()),
        );
        let b = Receipt::rejected(Status::SignerMismatch, None);
        assert_eq!(a.encode(), b.encode());
        assert_eq!(a.encode(), [0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["status"], "signer_mismatch");
        assert_eq!(serde_json::from_value::<Receipt>(json).unwrap(), a);
    }
}
