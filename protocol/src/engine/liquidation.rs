//! Liquidation: anyone may liquidate an account whose equity is below its maintenance
//! margin. The account's orders in the market are cancelled and its position there is
//! closed at the mark price into the insurance fund (which takes the position over, so
//! long size = short size still holds), paying the liquidation fee to the fund, capped at
//! the collateral the account has left.
//!
//! If that leaves the account's collateral negative, it is bankrupt: all of its other
//! orders are cancelled and its other positions closed into the fund the same way, so
//! that any unrealized profit elsewhere pays its debt first; whatever is still negative
//! is bad debt, absorbed by the fund (whose balance may go negative: a system deficit).
//! A wrongful liquidation is a wrong state transition, hence fraud-provable.

use super::cancels::cancel_under;
use super::genesis_state::INSURANCE_FUND;
use super::keys::{account_market_orders_prefix, account_orders_prefix};
use super::margin::account_risk;
use super::math::{Overflow, add, fee, long_part, size_scale, sub};
use super::orders::is_stale;
use super::position::apply_trade;
use super::receipt::{CancelReason, ClosedPosition, LiquidationOutcome, Receipt, Status};
use super::records::{Account, MarketState, Position};
use super::storage::{
    load_account, load_market, load_meta, load_position, store_account, store_market, store_meta,
    store_position,
};
use super::{BlockContext, Halt, reject};
use crate::action::Liquidate;
use crate::genesis::{Genesis, MarketParams};
use crate::state::{State, StateError};

pub fn liquidate<S: State>(
    st: &mut S,
    genesis: &Genesis,
    ctx: &BlockContext,
    l: &Liquidate,
) -> Result<Receipt, Halt> {
    liquidate_checked(st, genesis, ctx, l, true)
}

/// `check_health = false` exists only for `protocol::fault`, which injects wrongful
/// liquidations so that the fraud-proof path can be demonstrated and tested.
pub(crate) fn liquidate_checked<S: State>(
    st: &mut S,
    genesis: &Genesis,
    ctx: &BlockContext,
    l: &Liquidate,
    check_health: bool,
) -> Result<Receipt, Halt> {
    if l.account == INSURANCE_FUND {
        return reject(Status::ReservedAccount);
    }
    let Some(params) = genesis.market(l.market) else {
        return reject(Status::UnknownMarket);
    };
    let mut acct = load_account(st, &l.account)?;
    let mut pos = load_position(st, &l.account, l.market)?;
    if pos.size == 0 {
        return reject(Status::NoPosition);
    }
    let mut ms = load_market(st, l.market)?;
    if is_stale(genesis, ctx, ms.price_timestamp_ms) {
        return reject(Status::StalePrice);
    }
    let risk = account_risk(
        st,
        genesis,
        &l.account,
        acct.collateral,
        &acct.markets,
        None,
    )?;
    if check_health && risk.equity >= risk.maintenance {
        return reject(Status::NotLiquidatable);
    }

    let mut fund = load_account(st, &INSURANCE_FUND)?;
    let mut receipt = Receipt::ok();
    let mut outcome = LiquidationOutcome {
        account: l.account,
        closed: vec![],
        bad_debt: 0,
    };
    let mut collateral_change = 0i128;
    let prefix = account_market_orders_prefix(&l.account, l.market);
    receipt.cancelled = cancel_under(
        st,
        &mut acct,
        &prefix,
        Some((l.market, &mut pos)),
        CancelReason::Liquidation,
    )?;
    let mut closing = Closing {
        acct: &mut acct,
        fund: &mut fund,
        collateral_change: &mut collateral_change,
    };
    outcome
        .closed
        .push(closing.close(st, params, l.market, &mut pos, &mut ms)?);
    store_position(st, closing.acct, l.market, &pos)?;
    store_market(st, l.market, &ms)?;

    if closing.acct.collateral < 0 {
        let all = account_orders_prefix(&l.account);
        receipt.cancelled.extend(cancel_under(
            st,
            closing.acct,
            &all,
            None,
            CancelReason::Liquidation,
        )?);
        for market in closing.acct.markets.clone() {
            let mut pos = load_position(st, &l.account, market)?;
            if pos.size == 0 {
                continue;
            }
            let params = genesis
                .market(market)
                .ok_or_else(|| StateError::Malformed {
                    key: super::keys::position_key(&l.account, market),
                    reason: format!("position in market {market}, which genesis does not define"),
                })?;
            let mut ms = load_market(st, market)?;
            outcome
                .closed
                .push(closing.close(st, params, market, &mut pos, &mut ms)?);
            store_position(st, closing.acct, market, &pos)?;
            store_market(st, market, &ms)?;
        }
        if closing.acct.collateral < 0 {
            outcome.bad_debt = closing.acct.collateral.checked_neg().ok_or(Overflow)?;
            closing.fund.collateral = add(closing.fund.collateral, closing.acct.collateral)?;
            closing.acct.collateral = 0;
        }
    }
    store_account(st, &acct)?;
    store_account(st, &fund)?;
    if collateral_change != 0 {
        let mut meta = load_meta(st)?;
        meta.total_collateral = add(meta.total_collateral, collateral_change)?;
        store_meta(st, &meta)?;
    }
    receipt.liquidation = Some(outcome);
    Ok(receipt)
}

/// The two parties of a liquidation, held in memory until the end.
struct Closing<'a> {
    acct: &'a mut Account,
    fund: &'a mut Account,
    /// Net change of all collateral (settlements move money from/to the pnl pool).
    collateral_change: &'a mut i128,
}

impl Closing<'_> {
    /// Moves the whole of `pos` to the insurance fund at the mark price and charges the
    /// liquidation fee. Writes the fund's position; the caller writes `pos` and `ms`.
    fn close<S: State>(
        &mut self,
        st: &mut S,
        params: &MarketParams,
        market: u32,
        pos: &mut Position,
        ms: &mut MarketState,
    ) -> Result<ClosedPosition, Halt> {
        let scale = size_scale(params.size_decimals)?;
        let size = pos.size;
        let price = ms.mark_price;
        let settled = apply_trade(
            pos,
            size.checked_neg().ok_or(Overflow)?,
            price,
            ms.funding_index,
            scale,
        )?
        .total()?;
        let mut fund_pos = load_position(st, &INSURANCE_FUND, market)?;
        let fund_before = fund_pos.size;
        let fund_settled =
            apply_trade(&mut fund_pos, size, price, ms.funding_index, scale)?.total()?;
        // The fund's long side grows by at most what the account's shrinks: never up.
        let oi_change = sub(
            sub(long_part(fund_pos.size), long_part(fund_before))?,
            long_part(size),
        )?;
        ms.long_open_interest = u64::try_from(add(i128::from(ms.long_open_interest), oi_change)?)
            .map_err(|_| Overflow)?;
        ms.pnl_pool = sub(ms.pnl_pool, add(settled, fund_settled)?)?;
        self.acct.collateral = add(self.acct.collateral, settled)?;
        self.fund.collateral = add(self.fund.collateral, fund_settled)?;
        *self.collateral_change = add(*self.collateral_change, add(settled, fund_settled)?)?;
        let abs_size = u64::try_from(size.unsigned_abs()).map_err(|_| Overflow)?;
        let fee = fee(
            price,
            abs_size,
            params.liquidation_fee_bps,
            params.size_decimals,
        )?
        .min(self.acct.collateral.max(0));
        self.acct.collateral = sub(self.acct.collateral, fee)?;
        self.fund.collateral = add(self.fund.collateral, fee)?;
        store_position(st, self.fund, market, &fund_pos)?;
        Ok(ClosedPosition {
            market,
            size,
            price,
            fee,
        })
    }
}
