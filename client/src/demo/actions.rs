//! The demo's signed actions: an oracle price, a resting sell, a crossing buy, a
//! withdrawal, an agent approval, a dead-man's switch, a buy stop, a good-till-time bid
//! a leverage setting and an isolated margin mode. Nonces are wall-clock milliseconds plus an offset (the engine accepts any
//! unused nonce in its window), so a rerun never collides with an earlier one.

use k256::ecdsa::SigningKey;
use protocol::action::{
    Action, ApproveAgent, ClientOrder, Order, PriceUpdate, ScheduleCancel, SetLeverage,
    SetMarginMode, SignedAction, TimeInForce, TriggerKind, TriggerOrder, Withdraw,
};
use protocol::primitives::{Address, H256};
use protocol::signing::{address_of, sign_action};

/// BTC-PERP in the devnet genesis.
pub const BTC: u32 = 1;
/// 50,000 USDC per BTC, in micro-USDC.
pub const BTC_PRICE: u64 = 50_000_000_000;
/// 1 BTC in size units (size_decimals = 4).
pub const ONE_BTC: u64 = 10_000;
/// 1,000 USDC: what alice withdraws.
pub const WITHDRAWAL: u64 = 1_000_000_000;
/// Orders and withdrawals expire an hour after signing.
const EXPIRY_MS: u64 = 3_600_000;

/// Signs the demo's actions under one chain's domain.
#[derive(Debug, Clone)]
pub struct Signer {
    pub domain: H256,
    pub now_ms: u64,
}

impl Signer {
    pub fn price(&self, oracle: &SigningKey, price: u64) -> SignedAction {
        let update = PriceUpdate {
            market: BTC,
            price,
            timestamp_ms: self.now_ms,
        };
        sign_action(oracle, Action::PriceUpdate(update), &self.domain)
    }

    pub fn order(
        &self,
        key: &SigningKey,
        is_buy: bool,
        tif: TimeInForce,
        nonce_offset: u64,
    ) -> SignedAction {
        let order = Order {
            account: address_of(key),
            market: BTC,
            is_buy,
            price: BTC_PRICE,
            size: ONE_BTC,
            tif,
            reduce_only: false,
            nonce: self.now_ms + nonce_offset,
            expires_at: self.now_ms + EXPIRY_MS,
        };
        sign_action(key, Action::Order(order), &self.domain)
    }

    pub fn withdraw(&self, key: &SigningKey, amount: u64, nonce_offset: u64) -> SignedAction {
        let withdraw = Withdraw {
            account: address_of(key),
            amount,
            nonce: self.now_ms + nonce_offset,
            expires_at: self.now_ms + EXPIRY_MS,
        };
        sign_action(key, Action::Withdraw(withdraw), &self.domain)
    }

    /// `key`'s account approves `agent` to trade for it, until revoked.
    pub fn approve_agent(
        &self,
        key: &SigningKey,
        agent: Address,
        nonce_offset: u64,
    ) -> SignedAction {
        let approve = ApproveAgent {
            account: address_of(key),
            agent,
            name: "demo bot".into(),
            valid_until: 0,
            nonce: self.now_ms + nonce_offset,
            expires_at: self.now_ms + EXPIRY_MS,
        };
        sign_action(key, Action::ApproveAgent(approve), &self.domain)
    }

    /// `key`'s account sets its dead-man's switch `ahead_ms` after now.
    pub fn schedule_cancel(
        &self,
        key: &SigningKey,
        ahead_ms: u64,
        nonce_offset: u64,
    ) -> SignedAction {
        let switch = ScheduleCancel {
            account: address_of(key),
            time: self.now_ms + ahead_ms,
            nonce: self.now_ms + nonce_offset,
            expires_at: self.now_ms + EXPIRY_MS,
        };
        sign_action(key, Action::ScheduleCancel(switch), &self.domain)
    }

    /// `key`'s account sets `leverage` in BTC (below the 10x maximum, so it is stored).
    pub fn set_leverage(&self, key: &SigningKey, leverage: u32, nonce_offset: u64) -> SignedAction {
        let account = address_of(key);
        let setting = SetLeverage {
            signer: account,
            account,
            market: BTC,
            leverage,
            nonce: self.now_ms + nonce_offset,
            expires_at: self.now_ms + EXPIRY_MS,
        };
        sign_action(key, Action::SetLeverage(setting), &self.domain)
    }

    /// `key`'s account puts `market` in isolated margin (it must be flat there).
    pub fn isolate(&self, key: &SigningKey, market: u32, nonce_offset: u64) -> SignedAction {
        let account = address_of(key);
        let mode = SetMarginMode {
            signer: account,
            account,
            market,
            isolated: true,
            nonce: self.now_ms + nonce_offset,
            expires_at: self.now_ms + EXPIRY_MS,
        };
        sign_action(key, Action::SetMarginMode(mode), &self.domain)
    }

    /// `key`'s account files a buy stop of 0.1 BTC at twice the demo price (it waits).
    pub fn buy_stop(&self, key: &SigningKey, nonce_offset: u64) -> SignedAction {
        let account = address_of(key);
        let stop = TriggerOrder {
            signer: account,
            account,
            market: BTC,
            is_buy: true,
            kind: TriggerKind::StopMarket,
            trigger_price: 2 * BTC_PRICE,
            price: 0,
            size: ONE_BTC / 10,
            reduce_only: false,
            nonce: self.now_ms + nonce_offset,
            expires_at: self.now_ms + EXPIRY_MS,
        };
        sign_action(key, Action::TriggerOrder(stop), &self.domain)
    }

    /// `key`'s account rests a good-till-time bid of 0.1 BTC 1 % below the demo price for
    /// an hour (what the `expire-early` fault removes early).
    pub fn gtt_bid(&self, key: &SigningKey, nonce_offset: u64) -> SignedAction {
        let account = address_of(key);
        let bid = ClientOrder {
            signer: account,
            account,
            market: BTC,
            is_buy: true,
            price: BTC_PRICE - BTC_PRICE / 100,
            size: ONE_BTC / 10,
            tif: TimeInForce::Gtc,
            reduce_only: false,
            client_id: u128::from(nonce_offset),
            nonce: self.now_ms + nonce_offset,
            expires_at: self.now_ms + 3_600_000,
        };
        sign_action(key, Action::ClientOrder(bid), &self.domain)
    }
}

/// A short form of an address or hash for the timeline (`0x1234…abcd`).
pub fn short(text: &str) -> String {
    if text.len() <= 14 {
        return text.to_string();
    }
    format!("{}…{}", &text[..6], &text[text.len() - 4..])
}

/// `short` of an address.
pub fn who(address: &Address) -> String {
    short(&address.to_string())
}
