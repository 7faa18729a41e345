//! Liquidation (docs/PROTOCOL.md Part 4 §11; a series id goes to `option_liquidation`,
//! Part 8 §15, which shares this file's target rule, book leg and fee): anyone may
//! liquidate an account whose equity is below its maintenance margin, one market per
//! action, in three stages:
//!
//! 1. **Partial, through the book.** The account's orders in the market are cancelled and
//!    an IOC order closes just enough of the position to bring the account back to its
//!    initial margin, matched like any taker but limited to the price band and never
//!    below the bankruptcy price (so the book can't push the collateral negative). It
//!    pays the liquidation fee instead of the taker fee; the liquidator gets a share.
//! 2. **Backstop.** If the book did not absorb that target, the insurance fund takes over
//!    the rest of the position at the mark, or at the bankruptcy price when that is worse
//!    for the fund, as far as its collateral covers the loss against the mark.
//! 3. **Auto-deleveraging.** What the fund cannot cover is closed against the
//!    best-ranked opposite positions at the bankruptcy price (`backstop.rs`).
//!
//! An account left below zero equity (ADL ran out of counterparties) is marked insolvent,
//! which pauses withdrawals. A wrongful liquidation is a wrong state transition, hence
//! fraud-provable.

use super::backstop::{Backstop, bankruptcy_price, credit_residue};
use super::cancels::cancel_under;
use super::funding::accrue;
use super::genesis_state::INSURANCE_FUND;
use super::isolated::{balance, balance_mut, credit};
use super::keys::{account_market_orders_prefix, insolvent_key};
use super::margin::{AccountRisk, InitialRate, account_risk, isolated_risk};
use super::mark;
use super::matching::{self, Market, Taker};
use super::math::{BPS, Overflow, add, ceil_div, fee, mul, size_scale, sub};
use super::option_liquidation;
use super::option_risk::is_series;
use super::orders::is_stale;
use super::position::apply_trade;
use super::receipt::{CancelReason, LiquidationOutcome, Receipt, Status};
use super::records::{Account, MarketState, Meta};
use super::storage::{
    load_account, load_market, load_meta, load_position, store_account, store_market, store_meta,
    store_position,
};
use super::{BlockContext, Halt, reject};
use crate::action::{Liquidate, Order, TimeInForce};
use crate::genesis::{Genesis, MarketParams};
use crate::state::State;

/// The liquidator's share of the liquidation fee, in bps (a quarter): enough to pay
/// keepers for watching, while most of the fee still builds the insurance fund.
pub const LIQUIDATOR_SHARE_BPS: i128 = 2_500;

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
    if is_series(l.market) {
        return option_liquidation::liquidate(st, genesis, ctx, l, check_health);
    }
    let Some(params) = genesis.market(l.market) else {
        return reject(Status::UnknownMarket);
    };
    let acct = load_account(st, &l.account)?;
    let pos = load_position(st, &l.account, l.market)?;
    // An isolated position is judged on its own margin (Part 4 §26); the cross account's
    // insolvency marker is then neither cleared nor consulted.
    let risk = if pos.isolated.is_some() {
        let ms = load_market(st, l.market)?;
        isolated_risk(
            st,
            genesis,
            &l.account,
            (l.market, &pos, &ms),
            InitialRate::Market,
        )?
    } else {
        let risk = risk_of(st, genesis, &acct)?;
        if unmark_recovered(st, &l.account, &risk)? {
            return Ok(Receipt::ok());
        }
        risk
    };
    if pos.size == 0 {
        return reject(Status::NoPosition);
    }
    let mut ms = load_market(st, l.market)?;
    if is_stale(genesis, ctx, ms.price_timestamp_ms) {
        return reject(Status::StalePrice);
    }
    if check_health && risk.equity >= risk.maintenance {
        return reject(Status::NotLiquidatable);
    }
    // Funding accrues to the block time before the stages settle the account (§6).
    accrue(&mut ms, ctx.timestamp_ms, genesis.funding_period_ms)?;
    store_market(st, l.market, &ms)?;
    let target = target_size(params, ms.mark_price, &risk, pos.size)?;
    let mut receipt = Receipt::ok();
    let mut taker = Taker { acct, pos };
    let prefix = account_market_orders_prefix(&l.account, l.market);
    receipt.cancelled = cancel_under(
        st,
        &mut taker.acct,
        &prefix,
        Some((l.market, &mut taker.pos)),
        CancelReason::Liquidation,
    )?;
    run_stages(st, (genesis, ctx), params, l, target, taker, &mut receipt)?;
    Ok(receipt)
}

/// A marked account that is no longer liquidatable (a deposit, or the price) is unmarked
/// by any Liquidate naming it, so a mark can never pause withdrawals for good. Returns
/// whether it was (the Liquidate then ends there, accepted).
pub(super) fn unmark_recovered<S: State>(
    st: &mut S,
    account: &crate::primitives::Address,
    risk: &AccountRisk,
) -> Result<bool, Halt> {
    if risk.equity < risk.maintenance || !st.contains(&insolvent_key(account))? {
        return Ok(false);
    }
    let mut meta = load_meta(st)?;
    set_insolvent(st, &mut meta, account, false)?;
    store_meta(st, &meta)?;
    Ok(true)
}

/// The account's risk from its stored leaves (collateral, every listed market).
pub(super) fn risk_of<S: State>(
    st: &mut S,
    genesis: &Genesis,
    acct: &Account,
) -> Result<AccountRisk, Halt> {
    account_risk(
        st,
        genesis,
        &acct.owner,
        (acct.collateral, &acct.markets),
        None,
        InitialRate::Market,
    )
}

/// The size to close: the least that brings equity back to the initial margin if it
/// closed at the mark, paying the liquidation fee. Closing `q` at the mark frees
/// `q × m × (IM bps − fee bps)` of requirement net of fee (`close_target` with
/// `relief = m × (im_bps − fee_bps)`); the whole position if the fee is not below the
/// initial margin rate.
fn target_size(
    params: &MarketParams,
    mark: u64,
    risk: &AccountRisk,
    size: i128,
) -> Result<u64, Halt> {
    let rate = i128::from(params.initial_margin_bps) - i128::from(params.liquidation_fee_bps);
    let relief = mul(i128::from(mark), rate)?;
    close_target(params, risk, relief, size)
}

/// The least size whose close restores the initial margin, the perps' rule shared with a
/// short option (Part 8 §15): `relief` is the requirement one whole unit's close frees net
/// of its liquidation fee, times 10000. `q = ⌈max(0, IM − equity) × scale × 10000 /
/// relief⌉`, rounded up to the lot (against the account), at least one lot, and capped at
/// `|size|`; the whole position when `relief ≤ 0`.
pub(super) fn close_target(
    params: &MarketParams,
    risk: &AccountRisk,
    relief: i128,
    size: i128,
) -> Result<u64, Halt> {
    let held = u64::try_from(size.unsigned_abs()).map_err(|_| Overflow)?;
    if relief <= 0 {
        return Ok(held);
    }
    let scale = size_scale(params.size_decimals)?;
    let deficit = sub(risk.initial, risk.equity)?.max(0);
    let raw = ceil_div(mul(mul(deficit, scale)?, BPS)?, relief)?;
    let lot = i128::from(params.lot_size.max(1));
    // At least one lot: a liquidation always closes something.
    let lots = mul(ceil_div(raw, lot)?, lot)?.max(lot);
    Ok(u64::try_from(lots.min(i128::from(held))).map_err(|_| Overflow)?)
}

/// Stages 1–3 and the writes, after the market's orders were cancelled.
fn run_stages<S: State>(
    st: &mut S,
    (genesis, ctx): (&Genesis, &BlockContext),
    params: &MarketParams,
    l: &Liquidate,
    target: u64,
    mut taker: Taker,
    receipt: &mut Receipt,
) -> Result<(), Halt> {
    let mut ms = load_market(st, l.market)?;
    let mut meta = load_meta(st)?;
    let scale = size_scale(params.size_decimals)?;
    // Settle funding first: the bankruptcy price is computed from settled collateral.
    let funding = apply_trade(&mut taker.pos, 0, ms.mark_price, ms.funding_index, scale)?;
    let funding = funding.total()?;
    credit(&mut taker.acct, &mut taker.pos, funding)?;
    ms.pnl_pool = sub(ms.pnl_pool, funding)?;
    let mut change = funding;

    let band = Band {
        mark: ms.mark_price,
        band_bps: params.price_band_bps,
        premium_at_fill: false,
    };
    let (filled, leg_change) = book_leg(
        st,
        (genesis, ctx),
        (params, l),
        (target, band),
        (&mut taker, &mut ms),
        (receipt, &mut meta),
    )?;
    change = add(change, leg_change)?;
    let mut outcome = LiquidationOutcome {
        account: l.account,
        market: l.market,
        book_filled: filled,
        closed: vec![],
        deleveraged: vec![],
        fee: charge_fee(
            params,
            ms.mark_price,
            filled,
            balance_mut(&mut taker.acct, &mut taker.pos),
        )?,
        reward: 0,
        remaining: 0,
        insolvent: false,
    };
    let mut fund = load_account(st, &INSURANCE_FUND)?;
    if filled < target {
        let mut b = Backstop {
            acct: &mut taker.acct,
            pos: &mut taker.pos,
            fund: &mut fund,
            ms: &mut ms,
            collateral_change: 0,
        };
        let closed = b.run(st, params, l.market, &mut outcome)?;
        change = add(change, b.collateral_change)?;
        let mark = b.ms.mark_price;
        let fee = charge_fee(params, mark, closed, balance_mut(b.acct, b.pos))?;
        if let Some(c) = outcome.closed.first_mut() {
            c.fee = fee;
        }
        outcome.fee = add(outcome.fee, fee)?;
    }
    // Rounding residues of the closes at the bankruptcy price are the pool's (§5).
    let residue = credit_residue(balance_mut(&mut taker.acct, &mut taker.pos), &mut ms)?;
    change = add(change, residue)?;
    change = add(change, credit_residue(&mut fund.collateral, &mut ms)?)?;
    meta.total_collateral = add(meta.total_collateral, change)?;
    outcome.reward = pay_fee(st, l, outcome.fee, &mut fund)?;
    outcome.remaining = taker.pos.size;
    store_position(st, &mut taker.acct, l.market, &taker.pos)?;
    mark::sample(st, params, &mut ms, genesis.max_funding_premium_bps)?;
    store_market(st, l.market, &ms)?;
    store_account(st, &taker.acct)?;
    store_account(st, &fund)?;
    outcome.insolvent = mark_insolvency(st, genesis, l, (&taker, &ms), &mut meta)?;
    store_meta(st, &meta)?;
    receipt.liquidation = Some(Box::new(outcome));
    Ok(())
}

/// Whether the account ended the liquidation below zero equity (ADL ran out of
/// counterparties), marking it so. A cross account is marked or unmarked by its cross
/// equity; an isolated position below zero equity marks the account, and one that is not
/// leaves the marker alone: its deficit is the position's, never the cross account's.
fn mark_insolvency<S: State>(
    st: &mut S,
    genesis: &Genesis,
    l: &Liquidate,
    (taker, ms): (&Taker, &MarketState),
    meta: &mut Meta,
) -> Result<bool, Halt> {
    if taker.pos.isolated.is_none() {
        let insolvent = risk_of(st, genesis, &taker.acct)?.equity < 0;
        set_insolvent(st, meta, &l.account, insolvent)?;
        return Ok(insolvent);
    }
    let at = (l.market, &taker.pos, ms);
    let insolvent = isolated_risk(st, genesis, &l.account, at, InitialRate::Market)?.equity < 0;
    if insolvent {
        set_insolvent(st, meta, &l.account, true)?;
    }
    Ok(insolvent)
}

/// Where a book leg is priced: the mark `m` it is banded around, the band in bps, and
/// whether the market is an option series (the premium changes hands at each fill).
#[derive(Debug, Clone, Copy)]
pub(super) struct Band {
    pub mark: u64,
    pub band_bps: u32,
    pub premium_at_fill: bool,
}

/// Stage 1: an IOC order for `target` on behalf of the account, limited to the band edge
/// `m ± ⌊m × band / 10000⌋` or the bankruptcy price, whichever is better for the account;
/// matched like any taker but with no taker fee. Shared by perps and short options
/// (Part 8 §15). Its fills and cancellations go on the receipt and its fees into `meta`;
/// returns the contracts filled and the net change of all accounts' collateral.
pub(super) fn book_leg<S: State>(
    st: &mut S,
    (genesis, ctx): (&Genesis, &BlockContext),
    (params, l): (&MarketParams, &Liquidate),
    (target, band): (u64, Band),
    (taker, ms): (&mut Taker, &mut MarketState),
    (receipt, meta): (&mut Receipt, &mut Meta),
) -> Result<(u64, i128), Halt> {
    let is_buy = taker.pos.size < 0;
    let scale = size_scale(params.size_decimals)?;
    let bankrupt = bankruptcy_price(balance(&taker.acct, &taker.pos), &taker.pos, scale)?;
    let mark = i128::from(band.mark);
    // The band edges `m ± ⌊m × band / 10000⌋` are the farthest prices an order may have.
    let reach = mul(mark, i128::from(band.band_bps))? / BPS;
    let limit = if is_buy {
        add(mark, reach)?.min(bankrupt)
    } else {
        sub(mark, reach)?.max(bankrupt)
    };
    let order = Order {
        account: l.account,
        market: l.market,
        is_buy,
        price: u64::try_from(limit.max(0)).unwrap_or(u64::MAX),
        size: target,
        tif: TimeInForce::Ioc,
        reduce_only: true,
        nonce: l.nonce,
        expires_at: l.expires_at,
    };
    // The liquidated account pays the liquidation fee, not the taker fee.
    let liq_params = MarketParams {
        taker_fee_bps: 0,
        ..params.clone()
    };
    let mkt = Market {
        genesis,
        params: &liq_params,
        size_scale: scale,
        now_ms: ctx.timestamp_ms,
        premium_at_fill: band.premium_at_fill,
    };
    let leg = matching::run(st, &mkt, ms, taker, &order, target)?;
    receipt.fills = leg.fills;
    receipt.cancelled.extend(leg.cancelled);
    meta.fees = add(meta.fees, leg.fees)?;
    Ok((leg.filled, leg.collateral_change))
}

/// Charges the liquidation fee on `size` at the mark, `⌈|size| × m × fee_bps / (scale ×
/// 10000)⌉`, capped at what the position's balance (the account's collateral, or an
/// isolated position's margin) still holds; returns it.
pub(super) fn charge_fee(
    params: &MarketParams,
    mark: u64,
    size: u64,
    balance: &mut i128,
) -> Result<i128, Halt> {
    let due = fee(mark, size, params.liquidation_fee_bps, params.size_decimals)?;
    let fee = due.min((*balance).max(0));
    *balance = sub(*balance, fee)?;
    Ok(fee)
}

/// Splits the fee: `⌊fee × LIQUIDATOR_SHARE_BPS / 10000⌋` to a third-party liquidator,
/// the rest (all of it when the account liquidated itself) to the insurance fund.
/// Returns the liquidator's reward.
pub(super) fn pay_fee<S: State>(
    st: &mut S,
    l: &Liquidate,
    fee: i128,
    fund: &mut Account,
) -> Result<i128, Halt> {
    let reward = if l.liquidator == l.account {
        0
    } else {
        mul(fee, LIQUIDATOR_SHARE_BPS)? / BPS
    };
    fund.collateral = add(fund.collateral, sub(fee, reward)?)?;
    if reward > 0 {
        let mut liquidator = load_account(st, &l.liquidator)?;
        liquidator.collateral = add(liquidator.collateral, reward)?;
        store_account(st, &liquidator)?;
    }
    Ok(reward)
}

/// Sets or clears the account's insolvency marker, keeping `meta.insolvent_accounts`
/// equal to the number of markers.
pub(super) fn set_insolvent<S: State>(
    st: &mut S,
    meta: &mut Meta,
    owner: &crate::primitives::Address,
    insolvent: bool,
) -> Result<(), Halt> {
    let key = insolvent_key(owner);
    let was = st.contains(&key)?;
    if was == insolvent {
        return Ok(());
    }
    if insolvent {
        st.set(&key, owner.0.to_vec())?;
        meta.insolvent_accounts = meta.insolvent_accounts.checked_add(1).ok_or(Overflow)?;
    } else {
        st.delete(&key)?;
        meta.insolvent_accounts = meta.insolvent_accounts.checked_sub(1).ok_or(Overflow)?;
    }
    Ok(())
}
