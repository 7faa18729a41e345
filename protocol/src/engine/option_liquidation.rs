//! Liquidation of short option positions (docs/PROTOCOL.md Part 8 §15): a `Liquidate`
//! whose `market` is a series id buys back the account's short in that series, under the
//! same health test as a perp liquidation (equity below maintenance margin, every market
//! and series of the one cross account counted), in the perps' cascade (Part 4 §11):
//!
//! 1. **Partial, through the book.** The perps' book leg (`liquidation::book_leg`, the
//!    same matching) buys back the perps' target, the least size whose close at the mark,
//!    net of its fee, restores the initial margin (`liquidation::close_target`), from the
//!    series' asks within the underlying's price band around the option's mark and never
//!    above the bankruptcy price; no taker fee.
//! 2. **Against the longs.** If the book gave less than the target, the rest of the short
//!    is closed against the series' longs, first-ranked in its ADL index, at the mark:
//!    the short pays `⌈x × mark / 10^dec⌉` for `x` contracts as far as its collateral goes,
//!    the insurance fund pays the rest as far as its own goes, and the long receives what
//!    was paid. The fund cannot hold series (its 16 position slots and its cross-margin
//!    belong to the perps' backstop), so this stage is the backstop and the ADL at once.
//!    At most `ADL_MAX_COUNTERPARTIES` longs per action; what is left of the short stays
//!    for the next `Liquidate`. Longs are never liquidated: a long needs no margin, so
//!    closing it frees no requirement (`long_option_not_liquidatable`).
//!
//! The liquidation fee and the liquidator's share are the perps' (Part 4 §11): per stage
//! on the size it closed at the option's mark, out of what the account's collateral still
//! holds. Money moves only between collateral, the makers' fees and the series' pool
//! (premium rounding): conservation is exact.

use super::backstop::ADL_MAX_COUNTERPARTIES;
use super::backstop::credit_residue;
use super::cancels::cancel_under;
use super::genesis_state::INSURANCE_FUND;
use super::keys::{ADL_LONG, account_market_orders_prefix, adl_side_prefix};
use super::liquidation::{
    Band, book_leg, charge_fee, close_target, pay_fee, risk_of, set_insolvent, unmark_recovered,
};
use super::margin::AccountRisk;
use super::matching::Taker;
use super::math::{BPS, Overflow, add, ceil_div, mul, size_scale, sub};
use super::option_risk::{SeriesContext, series_context};
use super::orders::is_stale;
use super::receipt::{CancelReason, Deleveraged, LiquidationOutcome, Receipt, Status};
use super::records::{Account, MarketState, Position};
use super::storage::{
    load_account, load_market, load_meta, load_position, store_account, store_market, store_meta,
    store_position,
};
use super::{BlockContext, Halt, reject, reject_with};
use crate::action::{BoundSizes, Liquidate};
use crate::genesis::Genesis;
use crate::options::margin::short_margin_per_unit;
use crate::primitives::Address;
use crate::state::{State, StateError};

/// The most paths a `Liquidate` on a series touches (`engine::bounds`; counted exactly in
/// the engine tests): 8 leaves (the liquidator's nonce leaf and account, the account, its
/// insolvency key, the cancel probe, the fund's account, the series' market leaf, the
/// meta leaf), the margin walk (2·M), the orders cancelled (4·O), the book leg as an
/// order's events (F·(M + 7), the perps' term) and its final probe (1), 3 per long closed
/// (its ADL entry, position and account), and the TP/SL check of every changed position,
/// the short's, the F makers' and the K longs' (`TP_SL_CLOSE_PATHS` each, Part 4 §24).
pub fn option_liquidation_paths(s: BoundSizes) -> usize {
    let k = ADL_MAX_COUNTERPARTIES;
    9 + 2 * s.markets
        + 4 * s.open_orders
        + s.fills * (s.markets + 7)
        + 3 * k
        + (1 + s.fills + k) * super::triggers::TP_SL_CLOSE_PATHS
}

/// Whether `account`'s position in `series` is a short that `Liquidate` may close at `ctx`
/// once the account is below maintenance: the series is listed and not yet expired or
/// settled, and its underlying's index is fresh (the checks of [`liquidate`], in its order).
pub(super) fn is_liquidatable_short<S: State>(
    st: &mut S,
    genesis: &Genesis,
    ctx: &BlockContext,
    account: &Address,
    series: u32,
) -> Result<bool, Halt> {
    let Some(sc) = series_context(st, genesis, series)? else {
        return Ok(false);
    };
    let open = ctx.timestamp_ms < sc.series.expiry_ms && sc.series.settlement_price == 0;
    Ok(open
        && load_position(st, account, series)?.size < 0
        && !is_stale(genesis, ctx, sc.index_timestamp_ms))
}

/// `Liquidate` on a series: the checks, the cancels, the two stages and the fee.
pub(super) fn liquidate<S: State>(
    st: &mut S,
    genesis: &Genesis,
    ctx: &BlockContext,
    l: &Liquidate,
    check_health: bool,
) -> Result<Receipt, Halt> {
    let Some(sc) = series_context(st, genesis, l.market)? else {
        return reject_with(
            Status::UnknownSeries,
            format!("series {} is not listed; nothing to liquidate", l.market),
        );
    };
    let mut acct = load_account(st, &l.account)?;
    let risk = risk_of(st, genesis, &acct)?;
    if unmark_recovered(st, &l.account, &risk)? {
        return Ok(Receipt::ok());
    }
    // From its expiry on, a series is settled by the sweep (Part 8 §13), not liquidated.
    if ctx.timestamp_ms >= sc.series.expiry_ms || sc.series.settlement_price != 0 {
        return reject(Status::SeriesExpired);
    }
    let mut pos = load_position(st, &l.account, l.market)?;
    if pos.size == 0 {
        return reject(Status::NoPosition);
    }
    if pos.size > 0 {
        return reject(Status::LongOptionNotLiquidatable);
    }
    if is_stale(genesis, ctx, sc.index_timestamp_ms) {
        return reject(Status::StalePrice);
    }
    if check_health && risk.equity >= risk.maintenance {
        return reject(Status::NotLiquidatable);
    }
    let mut receipt = Receipt::ok();
    receipt.cancelled = cancel_under(
        st,
        &mut acct,
        &account_market_orders_prefix(&l.account, l.market),
        Some((l.market, &mut pos)),
        CancelReason::Liquidation,
    )?;
    let taker = Taker { acct, pos };
    let outcome = close_and_charge(st, (genesis, ctx), &sc, l, &risk, taker, &mut receipt)?;
    receipt.liquidation = Some(Box::new(outcome));
    Ok(receipt)
}

/// The short, the fund and the series' market leaf, held in memory while longs are closed.
struct Short<'a> {
    acct: &'a mut Account,
    pos: &'a mut Position,
    fund: &'a mut Account,
    ms: &'a mut MarketState,
}

/// Stage 1 through the book, stage 2 against the longs when the book fell short of the
/// target, the fee and its split, the writes, the insolvency mark.
fn close_and_charge<S: State>(
    st: &mut S,
    (genesis, ctx): (&Genesis, &BlockContext),
    sc: &SeriesContext,
    l: &Liquidate,
    risk: &AccountRisk,
    mut taker: Taker,
    receipt: &mut Receipt,
) -> Result<LiquidationOutcome, Halt> {
    let params = &sc.params;
    let mut ms = load_market(st, l.market)?;
    let mut meta = load_meta(st)?;
    // The perps' target (Part 4 §11 step 6): buying back one whole contract at the mark
    // leaves equity as it was and frees its initial margin per unit (the mark included),
    // less the liquidation fee at the mark.
    let per_unit = short_margin_per_unit(
        sc.rule,
        sc.series.kind.payoff(),
        sc.index_price,
        sc.series.strike_price,
        sc.mark,
    )?;
    let fee_part = mul(i128::from(sc.mark), i128::from(params.liquidation_fee_bps))?;
    let relief = sub(mul(per_unit, BPS)?, fee_part)?;
    let target = close_target(params, risk, relief, taker.pos.size)?;
    // Stage 1: the series' book, banded by the underlying's `price_band_bps` around the
    // option's mark.
    let band_bps = genesis
        .market(sc.series.market)
        .map_or(0, |m| m.price_band_bps);
    let band = Band {
        mark: sc.mark,
        band_bps,
        premium_at_fill: true,
    };
    let (filled, mut change) = book_leg(
        st,
        (genesis, ctx),
        (params, l),
        (target, band),
        (&mut taker, &mut ms),
        (receipt, &mut meta),
    )?;
    let Taker { mut acct, mut pos } = taker;
    let mut fund = load_account(st, &INSURANCE_FUND)?;
    let mut outcome = LiquidationOutcome {
        account: l.account,
        market: l.market,
        book_filled: filled,
        closed: vec![],
        deleveraged: vec![],
        fee: charge_fee(params, sc.mark, filled, &mut acct.collateral)?,
        reward: 0,
        remaining: 0,
        insolvent: false,
    };
    if filled < target {
        // Stage 2: the rest against the longs, as far as K of them go.
        let mut short = Short {
            acct: &mut acct,
            pos: &mut pos,
            fund: &mut fund,
            ms: &mut ms,
        };
        let closed = close_against_longs(st, sc, l.market, &mut short, &mut outcome)?;
        let fee = charge_fee(params, sc.mark, closed, &mut acct.collateral)?;
        outcome.fee = add(outcome.fee, fee)?;
    }
    // A premium rounded up per fill may leave the collateral a few micro-USDC below 0:
    // the series' pool, where premium residues live, pays it (as Part 4 §11 step 12).
    change = add(change, credit_residue(&mut acct.collateral, &mut ms)?)?;
    meta.total_collateral = add(meta.total_collateral, change)?;
    outcome.reward = pay_fee(st, l, outcome.fee, &mut fund)?;
    outcome.remaining = pos.size;
    store_position(st, &mut acct, l.market, &pos)?;
    store_market(st, l.market, &ms)?;
    store_account(st, &acct)?;
    store_account(st, &fund)?;
    outcome.insolvent = risk_of(st, genesis, &acct)?.equity < 0;
    set_insolvent(st, &mut meta, &l.account, outcome.insolvent)?;
    store_meta(st, &meta)?;
    Ok(outcome)
}

/// Closes the short against up to `ADL_MAX_COUNTERPARTIES` longs, first-ranked first, at
/// the series' mark; returns the contracts closed.
fn close_against_longs<S: State>(
    st: &mut S,
    sc: &SeriesContext,
    series: u32,
    short: &mut Short,
    out: &mut LiquidationOutcome,
) -> Result<u64, Halt> {
    let scale = size_scale(sc.params.size_decimals)?;
    let mut closed = 0i128;
    for _ in 0..ADL_MAX_COUNTERPARTIES {
        if short.pos.size == 0 {
            break;
        }
        let Some((key, bytes)) = st.first_with_prefix(&adl_side_prefix(series, ADL_LONG))? else {
            break;
        };
        let owner = Address(
            bytes
                .as_slice()
                .try_into()
                .map_err(|_| StateError::Malformed {
                    key,
                    reason: "an ADL index value must be a 20-byte address".into(),
                })?,
        );
        let mut long_acct = load_account(st, &owner)?;
        let mut long_pos = load_position(st, &owner, series)?;
        let size = long_pos.size.min(-short.pos.size);
        let value = ceil_div(mul(size, i128::from(sc.mark))?, scale)?;
        let paid = value.min(short.acct.collateral.max(0));
        let covered = sub(value, paid)?.min(short.fund.collateral.max(0));
        short.acct.collateral = sub(short.acct.collateral, paid)?;
        short.fund.collateral = sub(short.fund.collateral, covered)?;
        long_acct.collateral = add(long_acct.collateral, add(paid, covered)?)?;
        short.pos.size = add(short.pos.size, size)?;
        long_pos.size = sub(long_pos.size, size)?;
        let oi = sub(i128::from(short.ms.long_open_interest), size)?;
        short.ms.long_open_interest = u64::try_from(oi).map_err(|_| Overflow)?;
        store_position(st, &mut long_acct, series, &long_pos)?;
        store_account(st, &long_acct)?;
        out.deleveraged.push(Deleveraged {
            account: owner,
            size: -size,
            price: sc.mark,
        });
        closed = add(closed, size)?;
    }
    Ok(u64::try_from(closed).map_err(|_| Overflow)?)
}
