//! The user actions of DESIGN §2 (the EIP-712 primary types: the six original ones, the
//! agent-key actions, the dead-man's switch, and the client-order kinds and trigger orders of issue #16), signed actions, L1 queue messages and batch
//! transactions, with their JSON wire format and canonical encoding.
//!
//! Field names and order mirror the EIP-712 type strings exactly (see `signing`), because
//! external wallets sign those. In JSON, integers may be numbers or decimal strings.

use crate::primitives::Address;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

mod encoding;
pub mod int;
mod kind;

pub use kind::{ActionKind, ActionRow, BoundSizes, Forcible, NotForcible};

/// Time in force. The discriminants are the `tif` values wallets sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TimeInForce {
    Gtc = 0,
    Ioc = 1,
    Fok = 2,
    PostOnly = 3,
}

impl TimeInForce {
    pub fn from_u8(v: u8) -> Option<Self> {
        Some(match v {
            0 => TimeInForce::Gtc,
            1 => TimeInForce::Ioc,
            2 => TimeInForce::Fok,
            3 => TimeInForce::PostOnly,
            _ => return None,
        })
    }
}

impl Serialize for TimeInForce {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(*self as u8)
    }
}

impl<'de> Deserialize<'de> for TimeInForce {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v: u8 = int::deserialize(d)?;
        TimeInForce::from_u8(v).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "tif must be 0..=3 (GTC, IOC, FOK, POST_ONLY), got {v}"
            ))
        })
    }
}

/// `Order(address account,uint32 market,bool isBuy,uint64 price,uint64 size,uint8 tif,bool reduceOnly,uint64 nonce,uint64 expiresAt)`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Order {
    pub account: Address,
    #[serde(with = "int")]
    pub market: u32,
    pub is_buy: bool,
    #[serde(with = "int")]
    pub price: u64,
    #[serde(with = "int")]
    pub size: u64,
    pub tif: TimeInForce,
    pub reduce_only: bool,
    #[serde(with = "int")]
    pub nonce: u64,
    #[serde(with = "int")]
    pub expires_at: u64,
}

/// `Cancel(address account,uint32 market,uint64 orderNonce,uint64 nonce,uint64 expiresAt)`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Cancel {
    pub account: Address,
    #[serde(with = "int")]
    pub market: u32,
    #[serde(with = "int")]
    pub order_nonce: u64,
    #[serde(with = "int")]
    pub nonce: u64,
    #[serde(with = "int")]
    pub expires_at: u64,
}

/// `CancelAll(address account,uint64 nonce,uint64 expiresAt)`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CancelAll {
    pub account: Address,
    #[serde(with = "int")]
    pub nonce: u64,
    #[serde(with = "int")]
    pub expires_at: u64,
}

/// `Withdraw(address account,uint64 amount,uint64 nonce,uint64 expiresAt)`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Withdraw {
    pub account: Address,
    #[serde(with = "int")]
    pub amount: u64,
    #[serde(with = "int")]
    pub nonce: u64,
    #[serde(with = "int")]
    pub expires_at: u64,
}

/// `Liquidate(address liquidator,address account,uint32 market,uint64 nonce,uint64 expiresAt)`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Liquidate {
    pub liquidator: Address,
    pub account: Address,
    #[serde(with = "int")]
    pub market: u32,
    #[serde(with = "int")]
    pub nonce: u64,
    #[serde(with = "int")]
    pub expires_at: u64,
}

/// `PriceUpdate(uint32 market,uint64 price,uint64 timestampMs)`, signed by one of the genesis oracle signers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PriceUpdate {
    #[serde(with = "int")]
    pub market: u32,
    #[serde(with = "int")]
    pub price: u64,
    #[serde(with = "int")]
    pub timestamp_ms: u64,
}

/// `ImpliedVolUpdate(uint32 market,uint64 volPpm,uint64 timestampMs)`, signed by one of the
/// genesis oracle signers: the annualized implied volatility (ppm, 800000 = 80 %) of the
/// options on `market`'s index (docs/PROTOCOL.md Part 8 §10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImpliedVolUpdate {
    #[serde(with = "int")]
    pub market: u32,
    #[serde(with = "int")]
    pub vol_ppm: u64,
    #[serde(with = "int")]
    pub timestamp_ms: u64,
}

/// Longest agent name, in UTF-8 bytes (`ApproveAgent.name`).
pub const MAX_AGENT_NAME_BYTES: usize = 32;

/// Reads an agent name: any UTF-8 string of at most [`MAX_AGENT_NAME_BYTES`] bytes.
fn agent_name<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let name = String::deserialize(d)?;
    if name.len() > MAX_AGENT_NAME_BYTES {
        return Err(serde::de::Error::custom(format!(
            "name is {} bytes; an agent name is at most {MAX_AGENT_NAME_BYTES} bytes of UTF-8",
            name.len()
        )));
    }
    Ok(name)
}

/// `ApproveAgent(address account,address agent,string name,uint64 validUntil,uint64 nonce,uint64 expiresAt)`:
/// lets `agent` sign `AgentOrder`, `AgentCancel` and `AgentCancelAll` for `account` until
/// `validUntil` (ms; 0 = until revoked). Approving an approved agent replaces its name and
/// validity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApproveAgent {
    pub account: Address,
    pub agent: Address,
    #[serde(deserialize_with = "agent_name")]
    pub name: String,
    #[serde(with = "int")]
    pub valid_until: u64,
    #[serde(with = "int")]
    pub nonce: u64,
    #[serde(with = "int")]
    pub expires_at: u64,
}

/// `RevokeAgent(address account,address agent,uint64 nonce,uint64 expiresAt)`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RevokeAgent {
    pub account: Address,
    pub agent: Address,
    #[serde(with = "int")]
    pub nonce: u64,
    #[serde(with = "int")]
    pub expires_at: u64,
}

/// `AgentOrder(address agent,address account,uint32 market,bool isBuy,uint64 price,uint64 size,uint8 tif,bool reduceOnly,uint64 nonce,uint64 expiresAt)`:
/// an `Order` for `account`, signed by its approved `agent`. The nonce is the account's (an
/// order's id is `(account, nonce)` whoever signed it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentOrder {
    pub agent: Address,
    pub account: Address,
    #[serde(with = "int")]
    pub market: u32,
    pub is_buy: bool,
    #[serde(with = "int")]
    pub price: u64,
    #[serde(with = "int")]
    pub size: u64,
    pub tif: TimeInForce,
    pub reduce_only: bool,
    #[serde(with = "int")]
    pub nonce: u64,
    #[serde(with = "int")]
    pub expires_at: u64,
}

impl AgentOrder {
    /// The order it places for the account.
    pub fn order(&self) -> Order {
        Order {
            account: self.account,
            market: self.market,
            is_buy: self.is_buy,
            price: self.price,
            size: self.size,
            tif: self.tif,
            reduce_only: self.reduce_only,
            nonce: self.nonce,
            expires_at: self.expires_at,
        }
    }

    /// `order` signed by `agent` instead of its account.
    pub fn new(agent: Address, order: Order) -> AgentOrder {
        AgentOrder {
            agent,
            account: order.account,
            market: order.market,
            is_buy: order.is_buy,
            price: order.price,
            size: order.size,
            tif: order.tif,
            reduce_only: order.reduce_only,
            nonce: order.nonce,
            expires_at: order.expires_at,
        }
    }
}

/// `AgentCancel(address agent,address account,uint32 market,uint64 orderNonce,uint64 nonce,uint64 expiresAt)`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentCancel {
    pub agent: Address,
    pub account: Address,
    #[serde(with = "int")]
    pub market: u32,
    #[serde(with = "int")]
    pub order_nonce: u64,
    #[serde(with = "int")]
    pub nonce: u64,
    #[serde(with = "int")]
    pub expires_at: u64,
}

impl AgentCancel {
    /// The cancel it performs for the account.
    pub fn cancel(&self) -> Cancel {
        Cancel {
            account: self.account,
            market: self.market,
            order_nonce: self.order_nonce,
            nonce: self.nonce,
            expires_at: self.expires_at,
        }
    }
}

/// `AgentCancelAll(address agent,address account,uint64 nonce,uint64 expiresAt)`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentCancelAll {
    pub agent: Address,
    pub account: Address,
    #[serde(with = "int")]
    pub nonce: u64,
    #[serde(with = "int")]
    pub expires_at: u64,
}

/// The least time a dead-man's switch may be set ahead of the batch that sets it:
/// `ScheduleCancel.time` is 0 (clear) or at least the batch timestamp plus this.
pub const DEAD_MAN_MIN_DELAY_MS: u64 = 5_000;

/// `ScheduleCancel(address account,uint64 time,uint64 nonce,uint64 expiresAt)`: the
/// dead-man's switch. Cancels every open order of `account` at the first transaction
/// whose batch timestamp is at or after `time` (ms), unless pushed back or cleared first
/// by another `ScheduleCancel`; `time` = 0 clears it. docs/PROTOCOL.md Part 4 §19.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScheduleCancel {
    pub account: Address,
    #[serde(with = "int")]
    pub time: u64,
    #[serde(with = "int")]
    pub nonce: u64,
    #[serde(with = "int")]
    pub expires_at: u64,
}

/// `AgentScheduleCancel(address agent,address account,uint64 time,uint64 nonce,uint64 expiresAt)`:
/// a `ScheduleCancel` for `account`, signed by its approved `agent` (the bot that trades
/// is the one that must keep the switch alive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentScheduleCancel {
    pub agent: Address,
    pub account: Address,
    #[serde(with = "int")]
    pub time: u64,
    #[serde(with = "int")]
    pub nonce: u64,
    #[serde(with = "int")]
    pub expires_at: u64,
}

impl AgentScheduleCancel {
    /// The schedule it sets for the account.
    pub fn schedule(&self) -> ScheduleCancel {
        ScheduleCancel {
            account: self.account,
            time: self.time,
            nonce: self.nonce,
            expires_at: self.expires_at,
        }
    }
}

/// `ClientOrder(address signer,address account,uint32 market,bool isBuy,uint64 price,uint64 size,uint8 tif,bool reduceOnly,uint128 clientId,uint64 nonce,uint64 expiresAt)`
/// (issue #16): an `Order` whose `expiresAt` also applies while it rests (good-till-time;
/// 2^64 − 1 = no expiry) and which may carry a `clientId` (0 = none; unique among the
/// account's open orders). `signer` is the account itself or one of its approved,
/// unexpired agents, so no agent twin of this kind is needed. docs/PROTOCOL.md Part 4 §20.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientOrder {
    pub signer: Address,
    pub account: Address,
    #[serde(with = "int")]
    pub market: u32,
    pub is_buy: bool,
    #[serde(with = "int")]
    pub price: u64,
    #[serde(with = "int")]
    pub size: u64,
    pub tif: TimeInForce,
    pub reduce_only: bool,
    #[serde(with = "int::wide")]
    pub client_id: u128,
    #[serde(with = "int")]
    pub nonce: u64,
    #[serde(with = "int")]
    pub expires_at: u64,
}

/// `ClientOrder.expiresAt` meaning "rests until cancelled" (no expiry-index entry).
pub const NO_EXPIRY: u64 = u64::MAX;

impl ClientOrder {
    /// The `Order` it places (its `expiresAt` and nonce as signed).
    pub fn order(&self) -> Order {
        Order {
            account: self.account,
            market: self.market,
            is_buy: self.is_buy,
            price: self.price,
            size: self.size,
            tif: self.tif,
            reduce_only: self.reduce_only,
            nonce: self.nonce,
            expires_at: self.expires_at,
        }
    }
}

/// `CancelByClientId(address signer,address account,uint128 clientId,uint64 nonce,uint64 expiresAt)`:
/// cancels `account`'s open order tagged `clientId`, in whatever market it rests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CancelByClientId {
    pub signer: Address,
    pub account: Address,
    #[serde(with = "int::wide")]
    pub client_id: u128,
    #[serde(with = "int")]
    pub nonce: u64,
    #[serde(with = "int")]
    pub expires_at: u64,
}

/// `ModifyOrder(address signer,address account,uint128 clientId,uint64 price,uint64 size,uint64 nonce,uint64 expiresAt)`:
/// an atomic cancel-replace of `account`'s open order tagged `clientId`: it gets `price`
/// and `size` unfilled, keeps its id `(account, nonce)`, side, reduce-only flag, client id
/// and good-till-time, and keeps its time priority only when the price is unchanged and
/// the size does not grow. `expiresAt` bounds this message's arrival only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ModifyOrder {
    pub signer: Address,
    pub account: Address,
    #[serde(with = "int::wide")]
    pub client_id: u128,
    #[serde(with = "int")]
    pub price: u64,
    #[serde(with = "int")]
    pub size: u64,
    #[serde(with = "int")]
    pub nonce: u64,
    #[serde(with = "int")]
    pub expires_at: u64,
}

/// What a trigger order does once its trigger price is reached. The discriminants are the
/// `kind` values wallets sign. A stop fires when the mark moves against the order's side's
/// position (a buy stop when the mark rises to the trigger, a sell stop when it falls to
/// it); a take-profit fires the other way. The market kinds execute as IOC within
/// `engine::TRIGGER_SLIPPAGE_BPS` of the mark, the limit kinds as GTC at `price`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TriggerKind {
    StopMarket = 0,
    StopLimit = 1,
    TakeProfitMarket = 2,
    TakeProfitLimit = 3,
}

impl TriggerKind {
    pub fn from_u8(v: u8) -> Option<Self> {
        Some(match v {
            0 => TriggerKind::StopMarket,
            1 => TriggerKind::StopLimit,
            2 => TriggerKind::TakeProfitMarket,
            3 => TriggerKind::TakeProfitLimit,
            _ => return None,
        })
    }

    /// Whether it executes as a limit order at its `price` (else IOC near the mark).
    pub fn is_limit(self) -> bool {
        matches!(self, TriggerKind::StopLimit | TriggerKind::TakeProfitLimit)
    }

    /// Whether it is a stop (else a take-profit).
    pub fn is_stop(self) -> bool {
        matches!(self, TriggerKind::StopMarket | TriggerKind::StopLimit)
    }

    /// Whether an order of this kind on side `is_buy` fires when the mark rises to its
    /// trigger (`mark ≥ trigger`); otherwise when it falls to it (`mark ≤ trigger`).
    pub fn fires_on_rise(self, is_buy: bool) -> bool {
        self.is_stop() == is_buy
    }
}

impl Serialize for TriggerKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(*self as u8)
    }
}

impl<'de> Deserialize<'de> for TriggerKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v: u8 = int::deserialize(d)?;
        TriggerKind::from_u8(v).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "kind must be 0..=3 (STOP_MARKET, STOP_LIMIT, TAKE_PROFIT_MARKET, TAKE_PROFIT_LIMIT), got {v}"
            ))
        })
    }
}

/// `TriggerOrder(address signer,address account,uint32 market,bool isBuy,uint8 kind,uint64 triggerPrice,uint64 price,uint64 size,bool reduceOnly,uint64 nonce,uint64 expiresAt)`:
/// an order that waits off the book until the market's mark price reaches `triggerPrice`
/// (docs/PROTOCOL.md Part 4 §21). `price` is the limit price of the limit kinds and 0 for
/// the market kinds. `signer` is the key that signs: the account itself or one of its
/// approved, unexpired agents (the receipt names an agent), so there is no `Agent*` twin;
/// the nonce is the account's. `expiresAt` bounds only its arrival, as for `Order`. Its id
/// is `(account, nonce)`; `Cancel` with `orderNonce` = its nonce removes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TriggerOrder {
    pub signer: Address,
    pub account: Address,
    #[serde(with = "int")]
    pub market: u32,
    pub is_buy: bool,
    pub kind: TriggerKind,
    #[serde(with = "int")]
    pub trigger_price: u64,
    #[serde(with = "int")]
    pub price: u64,
    #[serde(with = "int")]
    pub size: u64,
    pub reduce_only: bool,
    #[serde(with = "int")]
    pub nonce: u64,
    #[serde(with = "int")]
    pub expires_at: u64,
}

/// `TpSl(address signer,address account,uint32 market,uint64 takeProfit,uint64 stopLoss,uint64 nonce,uint64 expiresAt)`:
/// a take-profit and a stop-loss attached to the account's position in `market`: two
/// reduce-only market trigger orders that close the whole position, one-cancels-other.
/// Either price may be 0 (no such leg); both 0 removes the position's TP/SL. Setting it
/// again replaces the previous pair. `signer` is the account or one of its approved agents.
/// docs/PROTOCOL.md Part 4 §21.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TpSl {
    pub signer: Address,
    pub account: Address,
    #[serde(with = "int")]
    pub market: u32,
    #[serde(with = "int")]
    pub take_profit: u64,
    #[serde(with = "int")]
    pub stop_loss: u64,
    #[serde(with = "int")]
    pub nonce: u64,
    #[serde(with = "int")]
    pub expires_at: u64,
}

/// `SetLeverage(address signer,address account,uint32 market,uint32 leverage,uint64 nonce,uint64 expiresAt)`:
/// the account's leverage in `market`, `1..=⌊10000 / initial_margin_bps⌋`. It sets the
/// initial-margin rate that resting orders and withdrawals are held to in that market,
/// `max(initial_margin_bps, ⌈10000 / leverage⌉)` (so it can only ask for more margin than
/// the market does); the maximum is the market's default. `signer` is the account or one of
/// its approved agents (a trading setting: no money moves). docs/PROTOCOL.md Part 4 §22.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetLeverage {
    pub signer: Address,
    pub account: Address,
    #[serde(with = "int")]
    pub market: u32,
    #[serde(with = "int")]
    pub leverage: u32,
    #[serde(with = "int")]
    pub nonce: u64,
    #[serde(with = "int")]
    pub expires_at: u64,
}

/// One of the signable actions. JSON: `{"type": "Order", "message": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "message")]
pub enum Action {
    Order(Order),
    Cancel(Cancel),
    CancelAll(CancelAll),
    Withdraw(Withdraw),
    Liquidate(Liquidate),
    PriceUpdate(PriceUpdate),
    ApproveAgent(ApproveAgent),
    RevokeAgent(RevokeAgent),
    AgentOrder(AgentOrder),
    AgentCancel(AgentCancel),
    AgentCancelAll(AgentCancelAll),
    ScheduleCancel(ScheduleCancel),
    AgentScheduleCancel(AgentScheduleCancel),
    ClientOrder(ClientOrder),
    CancelByClientId(CancelByClientId),
    ModifyOrder(ModifyOrder),
    TriggerOrder(TriggerOrder),
    TpSl(TpSl),
    ImpliedVolUpdate(ImpliedVolUpdate),
    SetLeverage(SetLeverage),
}

impl Action {
    /// The address the message claims signed it (`agent` for the agent kinds); `None` for
    /// `PriceUpdate`, whose signer is the genesis oracle rather than a field of the message.
    pub fn claimed_signer(&self) -> Option<Address> {
        self.signer_and_nonce().map(|(signer, _)| signer)
    }

    /// The replay-protection nonce, if the action has one.
    pub fn nonce(&self) -> Option<u64> {
        self.signer_and_nonce().map(|(_, nonce)| nonce)
    }

    /// The claimed signer and the nonce of a user's action; `None` for `PriceUpdate`.
    fn signer_and_nonce(&self) -> Option<(Address, u64)> {
        match self {
            Action::Order(a) => Some((a.account, a.nonce)),
            Action::Cancel(a) => Some((a.account, a.nonce)),
            Action::CancelAll(a) => Some((a.account, a.nonce)),
            Action::Withdraw(a) => Some((a.account, a.nonce)),
            Action::Liquidate(a) => Some((a.liquidator, a.nonce)),
            Action::PriceUpdate(_) | Action::ImpliedVolUpdate(_) => None,
            Action::ApproveAgent(a) => Some((a.account, a.nonce)),
            Action::RevokeAgent(a) => Some((a.account, a.nonce)),
            Action::AgentOrder(a) => Some((a.agent, a.nonce)),
            Action::AgentCancel(a) => Some((a.agent, a.nonce)),
            Action::AgentCancelAll(a) => Some((a.agent, a.nonce)),
            Action::ScheduleCancel(a) => Some((a.account, a.nonce)),
            Action::AgentScheduleCancel(a) => Some((a.agent, a.nonce)),
            Action::ClientOrder(a) => Some((a.signer, a.nonce)),
            Action::CancelByClientId(a) => Some((a.signer, a.nonce)),
            Action::ModifyOrder(a) => Some((a.signer, a.nonce)),
            Action::TriggerOrder(a) => Some((a.signer, a.nonce)),
            Action::TpSl(a) => Some((a.signer, a.nonce)),
            Action::SetLeverage(a) => Some((a.signer, a.nonce)),
        }
    }

    /// The account an action acts for: the claimed signer, except for the agent kinds,
    /// which act for their `account`; `None` for `PriceUpdate`.
    pub fn acting_account(&self) -> Option<Address> {
        match self {
            Action::AgentOrder(a) => Some(a.account),
            Action::AgentCancel(a) => Some(a.account),
            Action::AgentCancelAll(a) => Some(a.account),
            Action::AgentScheduleCancel(a) => Some(a.account),
            Action::ClientOrder(a) => Some(a.account),
            Action::CancelByClientId(a) => Some(a.account),
            Action::ModifyOrder(a) => Some(a.account),
            Action::TriggerOrder(a) => Some(a.account),
            Action::TpSl(a) => Some(a.account),
            Action::SetLeverage(a) => Some(a.account),
            Action::Liquidate(a) => Some(a.liquidator),
            other => other.claimed_signer(),
        }
    }

    pub fn type_name(&self) -> &'static str {
        self.kind().name()
    }
}

/// A 65-byte `r ‖ s ‖ v` signature, as wallets produce it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature(pub [u8; 65]);

impl std::fmt::Debug for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::primitives::to_hex(&self.0))
    }
}

impl Serialize for Signature {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::primitives::to_hex(&self.0))
    }
}

impl<'de> Deserialize<'de> for Signature {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        crate::primitives::parse_hex_fixed::<65>(&s)
            .map(Signature)
            .map_err(|e| serde::de::Error::custom(format!("signature: {e}")))
    }
}

/// The wire format of `POST /v1/tx`: `{"type": ..., "message": {...}, "signature": "0x..."}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedAction {
    pub action: Action,
    pub signature: Signature,
}

impl Serialize for SignedAction {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("SignedAction", 3)?;
        st.serialize_field("type", self.action.type_name())?;
        match &self.action {
            Action::Order(m) => st.serialize_field("message", m)?,
            Action::Cancel(m) => st.serialize_field("message", m)?,
            Action::CancelAll(m) => st.serialize_field("message", m)?,
            Action::Withdraw(m) => st.serialize_field("message", m)?,
            Action::Liquidate(m) => st.serialize_field("message", m)?,
            Action::PriceUpdate(m) => st.serialize_field("message", m)?,
            Action::ImpliedVolUpdate(m) => st.serialize_field("message", m)?,
            Action::ApproveAgent(m) => st.serialize_field("message", m)?,
            Action::RevokeAgent(m) => st.serialize_field("message", m)?,
            Action::AgentOrder(m) => st.serialize_field("message", m)?,
            Action::AgentCancel(m) => st.serialize_field("message", m)?,
            Action::AgentCancelAll(m) => st.serialize_field("message", m)?,
            Action::ScheduleCancel(m) => st.serialize_field("message", m)?,
            Action::AgentScheduleCancel(m) => st.serialize_field("message", m)?,
            Action::ClientOrder(m) => st.serialize_field("message", m)?,
            Action::CancelByClientId(m) => st.serialize_field("message", m)?,
            Action::ModifyOrder(m) => st.serialize_field("message", m)?,
            Action::TriggerOrder(m) => st.serialize_field("message", m)?,
            Action::TpSl(m) => st.serialize_field("message", m)?,
            Action::SetLeverage(m) => st.serialize_field("message", m)?,
        }
        st.serialize_field("signature", &self.signature)?;
        st.end()
    }
}

/// Hand-written rather than `#[serde(flatten)]` so that unknown top-level fields are
/// rejected and every error names the part of the body that is wrong.
impl<'de> Deserialize<'de> for SignedAction {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Wire {
            #[serde(rename = "type")]
            kind: String,
            message: serde_json::Value,
            signature: Signature,
        }
        fn message<T: serde::de::DeserializeOwned, E: Error>(v: serde_json::Value) -> Result<T, E> {
            serde_json::from_value(v).map_err(|e| E::custom(format!("message: {e}")))
        }
        let wire = Wire::deserialize(d)?;
        let Some(kind) = ActionKind::from_name(&wire.kind) else {
            return Err(D::Error::custom(format!(
                "unknown action type {:?}; expected {}",
                wire.kind,
                ActionKind::names()
            )));
        };
        let action = match kind {
            ActionKind::Order => Action::Order(message(wire.message)?),
            ActionKind::Cancel => Action::Cancel(message(wire.message)?),
            ActionKind::CancelAll => Action::CancelAll(message(wire.message)?),
            ActionKind::Withdraw => Action::Withdraw(message(wire.message)?),
            ActionKind::Liquidate => Action::Liquidate(message(wire.message)?),
            ActionKind::PriceUpdate => Action::PriceUpdate(message(wire.message)?),
            ActionKind::ImpliedVolUpdate => Action::ImpliedVolUpdate(message(wire.message)?),
            ActionKind::ApproveAgent => Action::ApproveAgent(message(wire.message)?),
            ActionKind::RevokeAgent => Action::RevokeAgent(message(wire.message)?),
            ActionKind::AgentOrder => Action::AgentOrder(message(wire.message)?),
            ActionKind::AgentCancel => Action::AgentCancel(message(wire.message)?),
            ActionKind::AgentCancelAll => Action::AgentCancelAll(message(wire.message)?),
            ActionKind::ScheduleCancel => Action::ScheduleCancel(message(wire.message)?),
            ActionKind::AgentScheduleCancel => Action::AgentScheduleCancel(message(wire.message)?),
            ActionKind::ClientOrder => Action::ClientOrder(message(wire.message)?),
            ActionKind::CancelByClientId => Action::CancelByClientId(message(wire.message)?),
            ActionKind::ModifyOrder => Action::ModifyOrder(message(wire.message)?),
            ActionKind::TriggerOrder => Action::TriggerOrder(message(wire.message)?),
            ActionKind::TpSl => Action::TpSl(message(wire.message)?),
            ActionKind::SetLeverage => Action::SetLeverage(message(wire.message)?),
        };
        Ok(SignedAction {
            action,
            signature: wire.signature,
        })
    }
}

/// A message on the settlement layer's L1 queue, consumed by batches in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum L1Message {
    /// Tokens escrowed on L1, credited to `account`'s L2 collateral.
    Deposit {
        account: Address,
        #[serde(with = "int")]
        amount: u64,
    },
    /// A signed L2 action forced through L1; the sequencer must include it by the deadline.
    Forced { action: SignedAction },
}

/// One entry of a batch: a user action from the sequencer's intake, or the L1 queue
/// message at `queue_index`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum Tx {
    User {
        action: SignedAction,
    },
    L1 {
        #[serde(with = "int")]
        queue_index: u64,
        message: L1Message,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{Decode, Encode};

    fn order() -> Order {
        Order {
            account: Address([0x11; 20]),
            market: 1,
            is_buy: true,
            price: 50_000_000_000,
            size: 5_000,
            tif: TimeInForce::Gtc,
            reduce_only: false,
            nonce: 7,
            expires_at: 1_700_000_000_000,
        }
    }

    #[test]
    fn wire_format_accepts_numbers_and_decimal_strings() {
        let json = r#"{"type":"Order","message":{"account":"0x1111111111111111111111111111111111111111","market":"1","isBuy":true,
            "price":50000000000,"size":"5000","tif":0,"reduceOnly":false,"nonce":7,"expiresAt":"1700000000000"},
            "signature":"0x"#
            .to_string()
            + &"00".repeat(65)
            + "\"}";
        let parsed: SignedAction = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed.action, Action::Order(order()));
    }

    #[test]
    fn wire_format_errors_name_the_field() {
        let bad = r#"{"type":"Withdraw","message":{"account":"0x1111111111111111111111111111111111111111","amount":"-5","nonce":1,"expiresAt":1},"signature":"0x"#
            .to_string()
            + &"00".repeat(65)
            + "\"}";
        let err = serde_json::from_str::<SignedAction>(&bad)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a decimal integer"), "{err}");
        let bad_tif = r#"{"account":"0x1111111111111111111111111111111111111111","market":1,"isBuy":true,"price":1,"size":1,"tif":9,"reduceOnly":false,"nonce":1,"expiresAt":1}"#;
        let err = serde_json::from_str::<Order>(bad_tif)
            .unwrap_err()
            .to_string();
        assert!(err.contains("tif must be"), "{err}");
        let short_sig = r#"{"type":"CancelAll","message":{"account":"0x1111111111111111111111111111111111111111","nonce":1,"expiresAt":1},"signature":"0x00"}"#;
        let err = serde_json::from_str::<SignedAction>(short_sig)
            .unwrap_err()
            .to_string();
        assert!(err.contains("signature: expected 65 bytes, got 1"), "{err}");
        let good_sig = short_sig.replace("\"0x00\"", &format!("\"0x{}\"", "00".repeat(65)));
        let unknown = good_sig.replace("CancelAll", "Transfer");
        let err = serde_json::from_str::<SignedAction>(&unknown)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown action type \"Transfer\""), "{err}");
        let extra = good_sig.replace("\"signature\"", "\"extra\":1,\"signature\"");
        let err = serde_json::from_str::<SignedAction>(&extra)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `extra`"), "{err}");
    }

    #[test]
    fn canonical_encoding_round_trips() {
        let txs = vec![
            Tx::User {
                action: SignedAction {
                    action: Action::Order(order()),
                    signature: Signature([3; 65]),
                },
            },
            Tx::L1 {
                queue_index: 9,
                message: L1Message::Deposit {
                    account: Address([1; 20]),
                    amount: 100,
                },
            },
            Tx::L1 {
                queue_index: 10,
                message: L1Message::Forced {
                    action: SignedAction {
                        action: Action::CancelAll(CancelAll {
                            account: Address([2; 20]),
                            nonce: 1,
                            expires_at: 2,
                        }),
                        signature: Signature([4; 65]),
                    },
                },
            },
        ];
        for tx in txs {
            let bytes = tx.encode();
            assert_eq!(Tx::decode(&bytes).unwrap(), tx);
            let json = serde_json::to_string(&tx).unwrap();
            assert_eq!(serde_json::from_str::<Tx>(&json).unwrap(), tx);
        }
    }
}
