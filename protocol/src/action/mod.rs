//! The user actions of DESIGN §2 (the EIP-712 primary types: the six original ones, the
//! agent-key actions, the dead-man's switch, the client-order kinds and trigger orders of
//! issue #16, the options' implied volatility, leverage, margin modes and bulk modify),
//! signed actions, L1 queue
//! messages and batch transactions, with their JSON wire format and canonical encoding.
//!
//! Each kind is one `declare_actions!` declaration below (see `declare.rs`): its members
//! with their EIP-712 types, from which its struct, binary encoding, type string and
//! `hashStruct` are generated. Member names and order are the EIP-712 type strings'
//! exactly, because external wallets sign those. In JSON, integers may be numbers or
//! decimal strings.

use crate::primitives::Address;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[macro_use]
mod declare;
mod bulk;
mod encoding;
pub mod int;
mod kind;
pub mod member;
mod twin;

pub use bulk::{MAX_BULK_MODIFY_ITEMS, ModifyItem, ModifyItems};
pub use declare::ActionMessage;
pub use kind::{ActionRow, BULK_MODIFY_ITEM_PATHS, BoundSizes, Forcible, NotForcible};

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

/// Longest agent name, in UTF-8 bytes (`ApproveAgent.name`).
pub const MAX_AGENT_NAME_BYTES: usize = 32;

/// The least time a dead-man's switch may be set ahead of the batch that sets it:
/// `ScheduleCancel.time` is 0 (clear) or at least the batch timestamp plus this.
pub const DEAD_MAN_MIN_DELAY_MS: u64 = 5_000;

/// `ClientOrder.expiresAt` meaning "rests until cancelled" (no expiry-index entry).
pub const NO_EXPIRY: u64 = u64::MAX;

/// What a plain order offers, `(is_buy, price, size)`: its side, limit price and size.
pub type Offer = (bool, u64, u64);

impl Order {
    /// A plain order of `account` in `market`: `size` on side `is_buy` at `price`, time in
    /// force `tif`, not reduce-only, guarded by `(nonce, expires_at)`. The kind the
    /// workload, the harnesses and the tests place most, built in one place rather than
    /// member by member at each of them.
    pub fn plain(
        account: Address,
        market: u32,
        (is_buy, price, size): Offer,
        tif: TimeInForce,
        (nonce, expires_at): (u64, u64),
    ) -> Order {
        Order {
            account,
            market,
            is_buy,
            price,
            size,
            tif,
            reduce_only: false,
            nonce,
            expires_at,
        }
    }
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

declare_actions! {
    /// A limit order: buy (`isBuy`) or sell `size` in `market` at `price` or better, with
    /// time in force `tif`. `expiresAt` bounds only its arrival.
    Order = 0, signer account, hash "0xd3f9cdd06232f07c1ea43fe725ec42f054489aa813935684a6d4df567abc4db4" {
        account: Address as address account,
        market: u32 as uint32 market,
        is_buy: bool as bool isBuy,
        price: u64 as uint64 price,
        size: u64 as uint64 size,
        tif: TimeInForce as uint8 tif,
        reduce_only: bool as bool reduceOnly,
        nonce: u64 as uint64 nonce,
        expires_at: u64 as uint64 expiresAt,
    }

    /// Cancels the account's resting order (or trigger order) `orderNonce` in `market`.
    Cancel = 1, signer account, hash "0xe12e9bc0627482a6e1758d2e27236a84b21773b5e1c6f0efd7bf01e742b3a3fc" {
        account: Address as address account,
        market: u32 as uint32 market,
        order_nonce: u64 as uint64 orderNonce,
        nonce: u64 as uint64 nonce,
        expires_at: u64 as uint64 expiresAt,
    }

    /// Cancels every resting order of the account.
    CancelAll = 2, signer account, hash "0x4b10954193618e7862aec8942a96376a2dfbf0f1a1069c4c54e7c764ea5d8940" {
        account: Address as address account,
        nonce: u64 as uint64 nonce,
        expires_at: u64 as uint64 expiresAt,
    }

    /// Moves `amount` of the account's collateral out to L1 once its batch is final.
    Withdraw = 3, signer account, hash "0x6c53d356a7aba9f565365a7ca4d0051e5ee8b7f944216fe15c5c1e6cd9322203" {
        account: Address as address account,
        amount: u64 as uint64 amount,
        nonce: u64 as uint64 nonce,
        expires_at: u64 as uint64 expiresAt,
    }

    /// Liquidates `account`'s position in `market`, signed by the `liquidator`.
    Liquidate = 4, signer liquidator, hash "0x52c39045953cdc01714fc5078985e1da25b5f661148e62c2afe1842d110e9bb6" {
        liquidator: Address as address liquidator,
        account: Address as address account,
        market: u32 as uint32 market,
        nonce: u64 as uint64 nonce,
        expires_at: u64 as uint64 expiresAt,
    }

    /// An index price, signed by one of the genesis oracle signers.
    PriceUpdate = 5, signer oracle, hash "0x02cd825cf19260fc3551a9bf3f20a2e1020cf7cb45f67f8bbc7c3dc25fce4f0e" {
        market: u32 as uint32 market,
        price: u64 as uint64 price,
        timestamp_ms: u64 as uint64 timestampMs,
    }

    /// Lets `agent` sign `AgentOrder`, `AgentCancel` and `AgentCancelAll` for `account`
    /// until `validUntil` (ms; 0 = until revoked). Approving an approved agent replaces its
    /// name and validity.
    ApproveAgent = 6, signer account, hash "0x058f30c324320c1aa44fe2c8b441648a911ba1bc4338251f4fb889cb8f31bcf4" {
        account: Address as address account,
        agent: Address as address agent,
        name: String as string name,
        valid_until: u64 as uint64 validUntil,
        nonce: u64 as uint64 nonce,
        expires_at: u64 as uint64 expiresAt,
    }

    /// Withdraws `agent`'s approval.
    RevokeAgent = 7, signer account, hash "0x1f1bd30eeb16a9b711bef3096241ff0abfebbbe51afab16e63f9f9d1f826630d" {
        account: Address as address account,
        agent: Address as address agent,
        nonce: u64 as uint64 nonce,
        expires_at: u64 as uint64 expiresAt,
    }

    /// An `Order` for `account`, signed by its approved `agent`. The nonce is the
    /// account's (an order's id is `(account, nonce)` whoever signed it).
    AgentOrder = 8, signer agent for account, hash "0xf2d65a47eb47a8c9645cf405a4d31a80a10efdc2d070df331ebe01c30881dc66" {
        agent: Address as address agent,
        account: Address as address account,
        market: u32 as uint32 market,
        is_buy: bool as bool isBuy,
        price: u64 as uint64 price,
        size: u64 as uint64 size,
        tif: TimeInForce as uint8 tif,
        reduce_only: bool as bool reduceOnly,
        nonce: u64 as uint64 nonce,
        expires_at: u64 as uint64 expiresAt,
    }

    /// A `Cancel` for `account`, signed by its approved `agent`.
    AgentCancel = 9, signer agent for account, hash "0xd5d35c99a6e0c754fa7f71b073087630eb6957c37649426b1d445748d8282943" {
        agent: Address as address agent,
        account: Address as address account,
        market: u32 as uint32 market,
        order_nonce: u64 as uint64 orderNonce,
        nonce: u64 as uint64 nonce,
        expires_at: u64 as uint64 expiresAt,
    }

    /// A `CancelAll` for `account`, signed by its approved `agent`.
    AgentCancelAll = 10, signer agent for account, hash "0xb17a19a53320b50adcf2ca14ca589698d20412ede81a3b68bb0d2a0cb986fe54" {
        agent: Address as address agent,
        account: Address as address account,
        nonce: u64 as uint64 nonce,
        expires_at: u64 as uint64 expiresAt,
    }

    /// The dead-man's switch. Cancels every open order of `account` at the first
    /// transaction whose batch timestamp is at or after `time` (ms), unless pushed back or
    /// cleared first by another `ScheduleCancel`; `time` = 0 clears it. docs/PROTOCOL.md
    /// Part 4 §19.
    ScheduleCancel = 11, signer account, hash "0x7e935d1bbcda9499e2a2356ef24490dff782cd0a84d213054bd2e19b73a5a7ec" {
        account: Address as address account,
        time: u64 as uint64 time,
        nonce: u64 as uint64 nonce,
        expires_at: u64 as uint64 expiresAt,
    }

    /// A `ScheduleCancel` for `account`, signed by its approved `agent` (the bot that
    /// trades is the one that must keep the switch alive).
    AgentScheduleCancel = 12, signer agent for account, hash "0x464559043939f689658c306eff37dac02ddefa3f75f8a11c6f723b5fe14e05aa" {
        agent: Address as address agent,
        account: Address as address account,
        time: u64 as uint64 time,
        nonce: u64 as uint64 nonce,
        expires_at: u64 as uint64 expiresAt,
    }

    /// (Issue #16) An `Order` whose `expiresAt` also applies while it rests (good-till-time;
    /// 2^64 − 1 = no expiry) and which may carry a `clientId` (0 = none; unique among the
    /// account's open orders). `signer` is the account itself or one of its approved,
    /// unexpired agents, so no agent twin of this kind is needed. docs/PROTOCOL.md Part 4 §20.
    ClientOrder = 13, signer signer for account, hash "0xd3fc43ddc23362b573f243de608c33ab46d20b8088e294354ca80340891b9aa0" {
        signer: Address as address signer,
        account: Address as address account,
        market: u32 as uint32 market,
        is_buy: bool as bool isBuy,
        price: u64 as uint64 price,
        size: u64 as uint64 size,
        tif: TimeInForce as uint8 tif,
        reduce_only: bool as bool reduceOnly,
        client_id: u128 as uint128 clientId,
        nonce: u64 as uint64 nonce,
        expires_at: u64 as uint64 expiresAt,
    }

    /// Cancels `account`'s open order tagged `clientId`, in whatever market it rests.
    CancelByClientId = 14, signer signer for account, hash "0xf5f7c5ed728fc93464827ee96b525131dd5538bf6eca57197a0458c745ecff87" {
        signer: Address as address signer,
        account: Address as address account,
        client_id: u128 as uint128 clientId,
        nonce: u64 as uint64 nonce,
        expires_at: u64 as uint64 expiresAt,
    }

    /// An atomic cancel-replace of `account`'s open order tagged `clientId`: it gets
    /// `price` and `size` unfilled, keeps its id `(account, nonce)`, side, reduce-only flag,
    /// client id and good-till-time, and keeps its time priority only when the price is
    /// unchanged and the size does not grow. `expiresAt` bounds this message's arrival only.
    ModifyOrder = 15, signer signer for account, hash "0xa03b0a8706077ee87f06dbfb4486efc80bf82d8565629d4aa2914c20a920e4e9" {
        signer: Address as address signer,
        account: Address as address account,
        client_id: u128 as uint128 clientId,
        price: u64 as uint64 price,
        size: u64 as uint64 size,
        nonce: u64 as uint64 nonce,
        expires_at: u64 as uint64 expiresAt,
    }

    /// An order that waits off the book until the market's mark price reaches
    /// `triggerPrice` (docs/PROTOCOL.md Part 4 §21). `price` is the limit price of the
    /// limit kinds and 0 for the market kinds. `signer` is the key that signs: the account
    /// itself or one of its approved, unexpired agents (the receipt names an agent), so
    /// there is no `Agent*` twin; the nonce is the account's. `expiresAt` bounds only its
    /// arrival, as for `Order`. Its id is `(account, nonce)`; `Cancel` with `orderNonce` =
    /// its nonce removes it.
    TriggerOrder = 16, signer signer for account, hash "0x6caad3d7d87b3014464e37811d8d6f89d859836b574d1ec40095fc750312171a" {
        signer: Address as address signer,
        account: Address as address account,
        market: u32 as uint32 market,
        is_buy: bool as bool isBuy,
        kind: TriggerKind as uint8 kind,
        trigger_price: u64 as uint64 triggerPrice,
        price: u64 as uint64 price,
        size: u64 as uint64 size,
        reduce_only: bool as bool reduceOnly,
        nonce: u64 as uint64 nonce,
        expires_at: u64 as uint64 expiresAt,
    }

    /// A take-profit and a stop-loss attached to the account's position in `market`: two
    /// reduce-only market trigger orders that close the whole position,
    /// one-cancels-other. Either price may be 0 (no such leg); both 0 removes the
    /// position's TP/SL. Setting it again replaces the previous pair. `signer` is the
    /// account or one of its approved agents. docs/PROTOCOL.md Part 4 §21.
    TpSl = 17, signer signer for account, hash "0x40ee8c9eca7c3c2cc42b8ee0fa44c56a34ab09603bf0e74e2534292a86b21921" {
        signer: Address as address signer,
        account: Address as address account,
        market: u32 as uint32 market,
        take_profit: u64 as uint64 takeProfit,
        stop_loss: u64 as uint64 stopLoss,
        nonce: u64 as uint64 nonce,
        expires_at: u64 as uint64 expiresAt,
    }

    /// Signed by one of the genesis oracle signers: the annualized implied volatility
    /// (ppm, 800000 = 80 %) of the options on `market`'s index (docs/PROTOCOL.md Part 8 §10).
    ImpliedVolUpdate = 18, signer oracle, hash "0xd6393dbbc2397ab2127c0541eef1ce0007876dafb9a60a145e5a9cf8d2ac7e75" {
        market: u32 as uint32 market,
        vol_ppm: u64 as uint64 volPpm,
        timestamp_ms: u64 as uint64 timestampMs,
    }

    /// The account's leverage in `market`, `1..=⌊10000 / initial_margin_bps⌋`. It sets the
    /// initial-margin rate that resting orders and withdrawals are held to in that market,
    /// `max(initial_margin_bps, ⌈10000 / leverage⌉)` (so it can only ask for more margin
    /// than the market does); the maximum is the market's default. `signer` is the account
    /// or one of its approved agents (a trading setting: no money moves). docs/PROTOCOL.md
    /// Part 4 §22.
    SetLeverage = 19, signer signer for account, hash "0xe533630f7217468d35462fca6f36a661e6d6a8042a3187bbb6c9aa9566beab12" {
        signer: Address as address signer,
        account: Address as address account,
        market: u32 as uint32 market,
        leverage: u32 as uint32 leverage,
        nonce: u64 as uint64 nonce,
        expires_at: u64 as uint64 expiresAt,
    }

    /// The account's margin mode in a perp market (issue #16): `isolated` true puts the
    /// market's position in isolated margin, false back in cross. Only while the account
    /// has no position, resting order or trigger order in the market. `signer` is the
    /// account or one of its approved agents (a trading setting: no money leaves the
    /// account). docs/PROTOCOL.md Part 4 §26.
    SetMarginMode = 20, signer signer for account, hash "0xb12bc01109b9f2f21e456f0507e030202192536e462b79c39e5e5443815a4775" {
        signer: Address as address signer,
        account: Address as address account,
        market: u32 as uint32 market,
        isolated: bool as bool isolated,
        nonce: u64 as uint64 nonce,
        expires_at: u64 as uint64 expiresAt,
    }

    /// Moves `amount` micro-USDC between the account's cross collateral and the isolated
    /// margin of its position in `market` (issue #16): into the position when `isAdd`,
    /// back to cross otherwise (refused if the position would be left below its initial
    /// margin). `signer` is the account or one of its agents (the money stays in the
    /// account). docs/PROTOCOL.md Part 4 §26.
    IsolatedMargin = 21, signer signer for account, hash "0xe9c3919b20580bdb84861aa197c27326fb842de936f3769d057b84990b9102d2" {
        signer: Address as address signer,
        account: Address as address account,
        market: u32 as uint32 market,
        is_add: bool as bool isAdd,
        amount: u64 as uint64 amount,
        nonce: u64 as uint64 nonce,
        expires_at: u64 as uint64 expiresAt,
    }

    /// Changes up to 16 of `account`'s open perp orders in one action (issue #16), all or
    /// nothing: each item names an order (by client id, or by market and order nonce) and
    /// its new price and/or size (0 keeps one), with `ModifyOrder`'s rule for time
    /// priority (kept when the price is unchanged and the size does not grow). The items
    /// apply in order; the book it leaves may not cross (it never takes liquidity) and the
    /// account's margin is checked once, at the end. `signer` is the account or one of
    /// its agents. docs/PROTOCOL.md Part 4 §27.
    BulkModify = 22, signer signer for account, hash "0x344a48535b09b18a15c7ce2832eb99f7c58b5538c48718a83011f17fc660121a",
        includes "ModifyItem(uint32 market,uint64 orderNonce,uint128 clientId,uint64 price,uint64 size)" {
        signer: Address as address signer,
        account: Address as address account,
        items: ModifyItems as "ModifyItem[]" items,
        nonce: u64 as uint64 nonce,
        expires_at: u64 as uint64 expiresAt,
    }
}

/// Who must have signed an action, as its kind's `signer` clause in `declare_actions!`
/// says, with the nonce and expiry checked with the signature (`Action::signing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signing {
    /// An oracle kind: signed by one of the genesis oracle signers; no nonce.
    Oracle,
    /// Only `key` itself (the account, or the liquidator), with its own nonce.
    Own {
        key: Address,
        nonce: u64,
        expires_at: u64,
    },
    /// An agent kind: `signer` is an agent approved by the account.
    Agent(SignedFor),
    /// `signer` is the account itself or one of its approved agents.
    AccountOrAgent(SignedFor),
}

/// A kind signed by `signer` for `account`, with the account's nonce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedFor {
    pub signer: Address,
    pub account: Address,
    pub nonce: u64,
    pub expires_at: u64,
}

impl Action {
    /// The address the message claims signed it (`agent` for the agent kinds); `None` for
    /// the oracle's kinds, whose signer is a genesis oracle rather than a member.
    pub fn claimed_signer(&self) -> Option<Address> {
        self.signer_and_nonce().map(|(signer, _)| signer)
    }

    /// The replay-protection nonce, if the action has one.
    pub fn nonce(&self) -> Option<u64> {
        self.signer_and_nonce().map(|(_, nonce)| nonce)
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
        self.action.serialize_message(&mut st)?;
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
        let wire = Wire::deserialize(d)?;
        let Some(kind) = ActionKind::from_name(&wire.kind) else {
            return Err(D::Error::custom(format!(
                "unknown action type {:?}; expected {}",
                wire.kind,
                ActionKind::names()
            )));
        };
        let action = Action::message_from_json(kind, wire.message)?;
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
        let (account, tif) = (Address([0x11; 20]), TimeInForce::Gtc);
        Order::plain(
            account,
            1,
            (true, 50_000_000_000, 5_000),
            tif,
            (7, 1_700_000_000_000),
        )
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
