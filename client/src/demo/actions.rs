//! The demo's signed actions: an oracle price, a resting sell, a crossing buy, a
//! withdrawal, an agent approval, a dead-man's switch, a buy stop, a good-till-time bid
//! a leverage setting, an implied volatility for BTC's options, an isolated margin mode, a
//! bulk modify moving the bid, and an ETH position taken in isolated margin, a 15 % crash
//! of ETH's price (which trips its circuit breaker and leaves that position below
//! maintenance) and its liquidation, and a large bid on a BTC call with a one-lot sale into
//! it. Nonces are wall-clock milliseconds plus an offset (the
//! engine accepts any unused nonce in its window), so a rerun never collides with an
//! earlier one.

use k256::ecdsa::SigningKey;
use protocol::action::{
    Action, ApproveAgent, BulkModify, ClientOrder, ImpliedVolUpdate, Liquidate, ModifyItem,
    ModifyItems, NO_EXPIRY, Order, PriceUpdate, ScheduleCancel, SetLeverage, SetMarginMode,
    SignedAction, TimeInForce, TriggerKind, TriggerOrder, Withdraw,
};
use protocol::options::schedule::SERIES_ID_BASE;
use protocol::primitives::{Address, H256};
use protocol::signing::{address_of, sign_action};

/// BTC-PERP in the devnet genesis.
pub const BTC: u32 = 1;
/// 50,000 USDC per BTC, in micro-USDC.
pub const BTC_PRICE: u64 = 50_000_000_000;
/// 1 BTC in size units (size_decimals = 4).
pub const ONE_BTC: u64 = 10_000;
/// ETH-PERP in the devnet genesis.
pub const ETH: u32 = 2;
/// 3,000 USDC per ETH, in micro-USDC.
pub const ETH_PRICE: u64 = 3_000_000_000;
/// ETH 15 % lower: past the devnet's 10 % circuit-breaker bound (the market turns
/// reduce-only), and past what a position opened at 10x in isolated margin can lose (its
/// margin is its 10 % initial margin), so it is liquidated, against the other side by ADL
/// (what `liquidation-skipped` and `circuit-breaker-ignored` need).
pub const ETH_CRASH_PRICE: u64 = ETH_PRICE - ETH_PRICE * 15 / 100;
/// 5 ETH in size units (size_decimals = 3): 15,000 USDC at `ETH_PRICE`.
pub const FIVE_ETH: u64 = 5_000;
/// The first listing's at-the-money BTC call: the demo's 50,000 index lists the strikes
/// 48,000 to 52,000 (two each side, 1,000 apart), a call then a put each, so the 50,000
/// call is the fifth series (`BTC-…-50000-C`).
pub const ATM_CALL: u32 = SERIES_ID_BASE + 4;
/// One premium tick of the devnet's BTC options, 0.1 USDC: what the large option bid
/// offers (a long holds no margin beyond its premium, so a bid this low rests on little).
pub const OPTION_BID_PRICE: u64 = 100_000;
/// 100 BTC: the option bid `option-short-unmargined` sells into. Its short margin is at
/// least 500,000 USDC at a 50,000 index (the 10 % floor), beyond any dev account.
pub const HUNDRED_BTC: u64 = 100 * ONE_BTC;
/// 1,000 USDC: what alice withdraws.
pub const WITHDRAWAL: u64 = 1_000_000_000;
/// Orders and withdrawals expire an hour after signing.
const EXPIRY_MS: u64 = 3_600_000;

/// The story's actions unsigned: one `account` with its replay terms. The demo signs them
/// with wall-clock nonces and an hour's expiry ([`Signer`]); the network tests
/// (`tests/it/network/trading.rs`) with small nonces and a far expiry, so both tell the
/// same story with the same messages.
#[derive(Debug, Clone, Copy)]
pub struct Terms {
    pub account: Address,
    pub nonce: u64,
    pub expires_at: u64,
}

impl Terms {
    /// A BTC order at the demo price.
    pub fn order(self, is_buy: bool, size: u64, tif: TimeInForce) -> Action {
        Action::Order(self.btc_order(is_buy, size, tif))
    }

    fn btc_order(self, is_buy: bool, size: u64, tif: TimeInForce) -> Order {
        Order {
            account: self.account,
            market: BTC,
            is_buy,
            price: BTC_PRICE,
            size,
            tif,
            reduce_only: false,
            nonce: self.nonce,
            expires_at: self.expires_at,
        }
    }

    /// An order of `size` ETH at `ETH_PRICE`.
    pub fn eth_order(self, is_buy: bool, size: u64, tif: TimeInForce) -> Action {
        Action::Order(Order {
            market: ETH,
            price: ETH_PRICE,
            ..self.btc_order(is_buy, size, tif)
        })
    }

    /// An order of `size` contracts of [`ATM_CALL`] at [`OPTION_BID_PRICE`], never
    /// expiring on the book.
    pub fn option_order(self, is_buy: bool, size: u64, tif: TimeInForce) -> Action {
        Action::Order(Order {
            market: ATM_CALL,
            price: OPTION_BID_PRICE,
            ..self.btc_order(is_buy, size, tif)
        })
    }

    /// Liquidates `account`'s position in `market` (the account signing is the liquidator).
    pub fn liquidate(self, account: Address, market: u32) -> Action {
        Action::Liquidate(Liquidate {
            liquidator: self.account,
            account,
            market,
            nonce: self.nonce,
            expires_at: self.expires_at,
        })
    }

    pub fn withdraw(self, amount: u64) -> Action {
        Action::Withdraw(Withdraw {
            account: self.account,
            amount,
            nonce: self.nonce,
            expires_at: self.expires_at,
        })
    }

    /// Approves `agent` to trade for the account, until revoked.
    pub fn approve_agent(self, agent: Address) -> Action {
        Action::ApproveAgent(ApproveAgent {
            account: self.account,
            agent,
            name: "demo bot".into(),
            valid_until: 0,
            nonce: self.nonce,
            expires_at: self.expires_at,
        })
    }

    /// Sets the account's dead-man's switch to fire at `time` (unix ms).
    pub fn schedule_cancel(self, time: u64) -> Action {
        Action::ScheduleCancel(ScheduleCancel {
            account: self.account,
            time,
            nonce: self.nonce,
            expires_at: self.expires_at,
        })
    }

    /// Sets `leverage` in BTC (below the 10x maximum, so it is stored).
    pub fn set_leverage(self, leverage: u32) -> Action {
        Action::SetLeverage(SetLeverage {
            signer: self.account,
            account: self.account,
            market: BTC,
            leverage,
            nonce: self.nonce,
            expires_at: self.expires_at,
        })
    }

    /// A buy stop of 0.1 BTC at twice the demo price (it waits).
    pub fn buy_stop(self) -> Action {
        Action::TriggerOrder(TriggerOrder {
            signer: self.account,
            account: self.account,
            market: BTC,
            is_buy: true,
            kind: TriggerKind::StopMarket,
            trigger_price: 2 * BTC_PRICE,
            price: 0,
            size: ONE_BTC / 10,
            reduce_only: false,
            nonce: self.nonce,
            expires_at: self.expires_at,
        })
    }

    /// A bid of 0.1 BTC 1 % below the demo price, good till the terms' expiry (what the
    /// `expire-early` fault removes early), tagged `client_id`.
    pub fn gtt_bid(self, client_id: u128) -> Action {
        let expires_at = self.expires_at;
        self.client_bid(client_id, BTC_PRICE - BTC_PRICE / 100, expires_at)
    }

    /// A bid of 0.1 BTC 1.5 % below the demo price that never expires (so `expire-early`,
    /// which removes the first order to expire, leaves it for the bulk modify to move),
    /// tagged `client_id`.
    pub fn resting_bid(self, client_id: u128) -> Action {
        self.client_bid(client_id, BTC_PRICE - BTC_PRICE * 15 / 1_000, NO_EXPIRY)
    }

    fn client_bid(self, client_id: u128, price: u64, expires_at: u64) -> Action {
        let bid = Order {
            account: self.account,
            market: BTC,
            is_buy: true,
            price,
            size: ONE_BTC / 10,
            tif: TimeInForce::Gtc,
            reduce_only: false,
            nonce: self.nonce,
            expires_at,
        };
        Action::ClientOrder(ClientOrder::new(self.account, bid, client_id))
    }

    pub fn bulk_move(self, client_id: u128) -> Action {
        Action::BulkModify(BulkModify {
            signer: self.account,
            account: self.account,
            items: ModifyItems(vec![ModifyItem::by_client_id(
                client_id,
                BTC_PRICE - BTC_PRICE / 50,
                0,
            )]),
            nonce: self.nonce,
            expires_at: self.expires_at,
        })
    }
}

/// Signs the demo's actions under one chain's domain.
#[derive(Debug, Clone)]
pub struct Signer {
    pub domain: H256,
    pub now_ms: u64,
}

impl Signer {
    pub fn price(&self, oracle: &SigningKey, price: u64) -> SignedAction {
        self.price_of(oracle, BTC, price, 0)
    }

    /// The oracle's `price` for `market`, signed `ago_ms` before the demo's clock (an
    /// oracle's prices for one market must each be newer than its last).
    pub fn price_of(
        &self,
        oracle: &SigningKey,
        market: u32,
        price: u64,
        ago_ms: u64,
    ) -> SignedAction {
        let update = PriceUpdate {
            market,
            price,
            timestamp_ms: self.now_ms.saturating_sub(ago_ms),
        };
        sign_action(oracle, Action::PriceUpdate(update), &self.domain)
    }

    /// `key`'s account's action, built by `action` from its terms (see [`Signer::terms`]),
    /// signed: for the kinds the story signs only once or twice.
    pub fn signed(
        &self,
        key: &SigningKey,
        nonce_offset: u64,
        action: impl FnOnce(Terms) -> Action,
    ) -> SignedAction {
        self.sign(key, action(self.terms(key, nonce_offset)))
    }

    /// `key`'s account liquidates `account`'s position in `market`.
    pub fn liquidate(
        &self,
        key: &SigningKey,
        account: Address,
        market: u32,
        nonce_offset: u64,
    ) -> SignedAction {
        self.sign(
            key,
            self.terms(key, nonce_offset).liquidate(account, market),
        )
    }

    /// `key`'s account's terms: nonce now + `nonce_offset`, expiring an hour from now.
    fn terms(&self, key: &SigningKey, nonce_offset: u64) -> Terms {
        Terms {
            account: address_of(key),
            nonce: self.now_ms + nonce_offset,
            expires_at: self.now_ms + EXPIRY_MS,
        }
    }

    fn sign(&self, key: &SigningKey, action: Action) -> SignedAction {
        sign_action(key, action, &self.domain)
    }

    /// The oracle's implied volatility of `vol_ppm` for BTC's options (what the
    /// `option-mark` fault lowers), stamped a second before the demo's clock: unlike a
    /// price, a volatility may not pull the open batch's timestamp ahead.
    pub fn implied_vol(&self, oracle: &SigningKey, vol_ppm: u64) -> SignedAction {
        let update = ImpliedVolUpdate {
            market: BTC,
            vol_ppm,
            timestamp_ms: self.now_ms.saturating_sub(1_000),
        };
        sign_action(oracle, Action::ImpliedVolUpdate(update), &self.domain)
    }

    /// `key`'s account's 1 BTC order at the demo price.
    pub fn order(
        &self,
        key: &SigningKey,
        is_buy: bool,
        tif: TimeInForce,
        nonce_offset: u64,
    ) -> SignedAction {
        let action = self.terms(key, nonce_offset).order(is_buy, ONE_BTC, tif);
        self.sign(key, action)
    }

    pub fn withdraw(&self, key: &SigningKey, amount: u64, nonce_offset: u64) -> SignedAction {
        self.sign(key, self.terms(key, nonce_offset).withdraw(amount))
    }

    /// `key`'s account approves `agent` to trade for it, until revoked.
    pub fn approve_agent(
        &self,
        key: &SigningKey,
        agent: Address,
        nonce_offset: u64,
    ) -> SignedAction {
        self.sign(key, self.terms(key, nonce_offset).approve_agent(agent))
    }

    /// `key`'s account sets its dead-man's switch `ahead_ms` after now.
    pub fn schedule_cancel(
        &self,
        key: &SigningKey,
        ahead_ms: u64,
        nonce_offset: u64,
    ) -> SignedAction {
        let time = self.now_ms + ahead_ms;
        self.sign(key, self.terms(key, nonce_offset).schedule_cancel(time))
    }

    /// `key`'s account sets `leverage` in BTC.
    pub fn set_leverage(&self, key: &SigningKey, leverage: u32, nonce_offset: u64) -> SignedAction {
        self.sign(key, self.terms(key, nonce_offset).set_leverage(leverage))
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
        self.sign(key, self.terms(key, nonce_offset).buy_stop())
    }

    /// `key`'s account rests a good-till-time bid of 0.1 BTC 1 % below the demo price for
    /// an hour, tagged with its nonce offset as client id.
    pub fn gtt_bid(&self, key: &SigningKey, nonce_offset: u64) -> SignedAction {
        let action = self
            .terms(key, nonce_offset)
            .gtt_bid(u128::from(nonce_offset));
        self.sign(key, action)
    }

    /// `key`'s account rests a never-expiring bid of 0.1 BTC 1.5 % below the demo price,
    /// tagged with its nonce offset as client id.
    pub fn resting_bid(&self, key: &SigningKey, nonce_offset: u64) -> SignedAction {
        let action = self
            .terms(key, nonce_offset)
            .resting_bid(u128::from(nonce_offset));
        self.sign(key, action)
    }

    /// `key`'s account moves its order tagged `client_id` 2 % below the demo price with a
    /// bulk modify.
    pub fn bulk_move(&self, key: &SigningKey, client_id: u128, nonce_offset: u64) -> SignedAction {
        let action = self.terms(key, nonce_offset).bulk_move(client_id);
        self.sign(key, action)
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

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::genesis::devnet_btc_options;

    /// The option constants are the devnet schedule's: the middle strike's call of the
    /// first listing, one premium tick.
    #[test]
    fn the_option_terms_are_the_devnet_schedules() {
        let schedule = devnet_btc_options();
        assert_eq!(ATM_CALL, SERIES_ID_BASE + 2 * schedule.strikes_each_side);
        assert_eq!(OPTION_BID_PRICE, schedule.premium_tick);
        assert_eq!(schedule.market, BTC);
    }
}
