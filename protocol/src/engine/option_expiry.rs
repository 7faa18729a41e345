//! Expiry and settlement of option series (docs/PROTOCOL.md Part 8 §13): every listed
//! series has an entry `0x11 ‖ expiry ‖ series id` until it has settled. Every transaction,
//! after the good-till-time sweep, runs [`sweep`]: at most [`OPTION_SETTLE_STEPS_PER_TX`]
//! steps on the first entry, whose series is due once the batch timestamp is at or past
//! its expiry. One step is one of, in this order:
//!
//! 1. **Fix the price.** The series has no settlement price: if its underlying's index time
//!    is before the expiry, the sweep waits (nothing behind it moves either); otherwise the
//!    index becomes the settlement price of every series listed with it (same market and
//!    expiry, consecutive ids), so they all settle at one price.
//! 2. **Remove a resting order** of the series (bids first, then asks; reason 6).
//! 3. **Settle a short** (first in the ADL index): it pays its intrinsic value
//!    `−⌊size × intrinsic / 10^dec⌋` into the series' pool, as far as its collateral goes;
//!    the insurance fund pays what it cannot, as far as the fund's goes.
//! 4. **Settle a long**: it receives `⌊size × intrinsic / 10^dec⌋` from the pool, at most
//!    what the pool holds (shorts settle first, so the pool holds what they paid).
//! 5. **Finish**: what is left in the pool (rounding; never negative) goes to the fees, the
//!    series' market leaf and its entry are deleted.
//!
//! Money only moves between collateral, the pool and the fees, so it is conserved exactly;
//! like the other sweeps this is part of the transaction's atomic unit.

use super::expiry::remove_resting;
use super::genesis_state::INSURANCE_FUND;
use super::keys::{
    ADL_LONG, ADL_SHORT, OPTION_EXPIRY_PREFIX, SIDE_ASK, SIDE_BID, adl_side_prefix,
    book_side_prefix, market_key, option_expiry_key, option_series_key, parse_option_expiry_key,
};
use super::math::{add, sub};
use super::option_records::OptionSeries;
use super::receipt::{CancelReason, CancelledOrder, OptionSettlement};
use super::records::MarketState;
use super::storage::{
    load_account, load_market, load_meta, load_option_series, load_position, read, store_account,
    store_market, store_meta, store_option_series, store_position,
};
use super::{BlockContext, Halt};
use crate::genesis::Genesis;
use crate::options::payoff::expiry_settlement;
use crate::options::schedule::MAX_SERIES_PER_LISTING;
use crate::primitives::Address;
use crate::state::{State, StateError};

/// The most settlement steps one transaction's sweep takes; the rest carry over to the next
/// transaction (bounding every transaction's touched keys, `engine::bounds`).
pub const OPTION_SETTLE_STEPS_PER_TX: usize = 4;

/// The most paths one step touches: the entry, the series leaf and the underlying's market
/// leaf, then either the price fixed on up to `MAX_SERIES_PER_LISTING` series leaves (and
/// the one read after the group), or the series' market leaf, four probes (bids, asks,
/// shorts, longs) and the largest action: an order removed (8, as by the good-till-time
/// sweep) or a position settled (position, account, ADL entry, fund account: 4).
pub const OPTION_SETTLE_STEP_PATHS: usize = 3 + MAX_SERIES_PER_LISTING + 1;

/// What one sweep did, in order: the orders it removed and the positions it settled (the
/// transaction's receipt reports both, Part 8 §16).
pub(super) type Swept = (Vec<CancelledOrder>, Vec<OptionSettlement>);

/// Runs up to [`OPTION_SETTLE_STEPS_PER_TX`] steps.
pub(super) fn sweep<S: State>(
    st: &mut S,
    genesis: &Genesis,
    ctx: &BlockContext,
) -> Result<Swept, Halt> {
    let mut swept = Swept::default();
    for _ in 0..OPTION_SETTLE_STEPS_PER_TX {
        let Some((expiry_ms, id)) = first_entry(st)? else {
            break;
        };
        if ctx.timestamp_ms < expiry_ms {
            break;
        }
        let series = load_option_series(st, id)?.ok_or_else(|| StateError::Malformed {
            key: option_expiry_key(expiry_ms, id),
            reason: "an option expiry entry names no listed series".into(),
        })?;
        if series.settlement_price == 0 {
            let index = load_market(st, series.market)?;
            if index.price_timestamp_ms < expiry_ms {
                break;
            }
            fix_price(st, id, &series, index.index_price)?;
            continue;
        }
        step(st, genesis, id, &series, &mut swept)?;
    }
    Ok(swept)
}

/// The first entry of the index: (expiry, series id).
pub fn first_entry<S: State>(st: &mut S) -> Result<Option<(u64, u32)>, StateError> {
    st.first_with_prefix_with(&OPTION_EXPIRY_PREFIX, |key, _| parse_option_expiry_key(key))
}

/// Sets `price` as the settlement price of `first` and of the series listed with it: the
/// following ids on the same market and expiry, not yet priced.
fn fix_price<S: State>(
    st: &mut S,
    first: u32,
    series: &OptionSeries,
    price: u64,
) -> Result<(), StateError> {
    let mut id = first;
    let mut current = series.clone();
    for _ in 0..MAX_SERIES_PER_LISTING {
        current.settlement_price = price;
        store_option_series(st, id, &current)?;
        let Some(next_id) = id.checked_add(1) else {
            break;
        };
        match load_option_series(st, next_id)? {
            Some(next)
                if next.market == series.market
                    && next.expiry_ms == series.expiry_ms
                    && next.settlement_price == 0 =>
            {
                (id, current) = (next_id, next);
            }
            _ => break,
        }
    }
    Ok(())
}

/// One step on a priced series: an order, a short, a long, or the finish.
fn step<S: State>(
    st: &mut S,
    genesis: &Genesis,
    id: u32,
    series: &OptionSeries,
    swept: &mut Swept,
) -> Result<(), Halt> {
    for side in [SIDE_BID, SIDE_ASK] {
        if let Some((key, _)) = st.first_with_prefix(&book_side_prefix(id, side))? {
            swept
                .0
                .push(remove_resting(st, &key, CancelReason::OptionExpiry)?);
            return Ok(());
        }
    }
    let mut ms = load_market(st, id)?;
    for side in [ADL_SHORT, ADL_LONG] {
        if let Some((key, bytes)) = st.first_with_prefix(&adl_side_prefix(id, side))? {
            let owner = owner_of(&key, &bytes)?;
            let settled = settle_position(st, genesis, id, series, &owner, &mut ms)?;
            swept.1.push(settled);
            store_market(st, id, &ms)?;
            return Ok(());
        }
    }
    finish(st, id, series, &ms)
}

/// The owner an ADL entry names.
fn owner_of(key: &crate::state::Key, bytes: &[u8]) -> Result<Address, StateError> {
    let raw: [u8; 20] = bytes.try_into().map_err(|_| StateError::Malformed {
        key: *key,
        reason: "an ADL entry must hold a 20-byte owner".into(),
    })?;
    Ok(Address(raw))
}

/// Settles `owner`'s position in series `id` at its settlement price and closes it;
/// returns what it settled, for the receipt.
fn settle_position<S: State>(
    st: &mut S,
    genesis: &Genesis,
    id: u32,
    series: &OptionSeries,
    owner: &Address,
    ms: &mut MarketState,
) -> Result<OptionSettlement, Halt> {
    let decimals = genesis
        .market(series.market)
        .map(|p| p.size_decimals)
        .ok_or_else(|| StateError::Malformed {
            key: option_series_key(id),
            reason: "series on a market genesis does not define".into(),
        })?;
    let mut pos = load_position(st, owner, id)?;
    let mut acct = load_account(st, owner)?;
    let value = expiry_settlement(
        series.kind.payoff(),
        series.settlement_price,
        series.strike_price,
        pos.size,
        decimals,
    )?;
    let credit = if pos.size < 0 {
        let owed = value.checked_neg().ok_or(super::math::Overflow)?;
        let paid = owed.min(acct.collateral.max(0));
        let covered = cover_from_fund(st, sub(owed, paid)?)?;
        ms.pnl_pool = add(ms.pnl_pool, add(paid, covered)?)?;
        -paid
    } else {
        let credit = value.min(ms.pnl_pool.max(0));
        ms.pnl_pool = sub(ms.pnl_pool, credit)?;
        ms.long_open_interest = ms
            .long_open_interest
            .saturating_sub(u64::try_from(pos.size).unwrap_or(u64::MAX));
        credit
    };
    acct.collateral = add(acct.collateral, credit)?;
    let settled = OptionSettlement {
        account: *owner,
        series: id,
        size: pos.size,
        settlement_price: series.settlement_price,
        payout: credit,
    };
    pos.size = 0;
    pos.cost = 0;
    store_position(st, &mut acct, id, &pos)?;
    store_account(st, &acct)?;
    let mut meta = load_meta(st)?;
    meta.total_collateral = add(meta.total_collateral, credit)?;
    store_meta(st, &meta)?;
    Ok(settled)
}

/// What the insurance fund pays of a short's unpaid `shortfall`: as much as its collateral
/// covers (the fund's total is adjusted by the caller's pool credit and here).
fn cover_from_fund<S: State>(st: &mut S, shortfall: i128) -> Result<i128, Halt> {
    if shortfall <= 0 {
        return Ok(0);
    }
    let mut fund = load_account(st, &INSURANCE_FUND)?;
    let covered = shortfall.min(fund.collateral.max(0));
    if covered > 0 {
        fund.collateral = sub(fund.collateral, covered)?;
        store_account(st, &fund)?;
        let mut meta = load_meta(st)?;
        meta.total_collateral = sub(meta.total_collateral, covered)?;
        store_meta(st, &meta)?;
    }
    Ok(covered)
}

/// The last step: the pool's remainder to the fees, the series' market leaf and its entry
/// deleted.
fn finish<S: State>(
    st: &mut S,
    id: u32,
    series: &OptionSeries,
    ms: &MarketState,
) -> Result<(), Halt> {
    if ms.pnl_pool != 0 {
        let mut meta = load_meta(st)?;
        meta.fees = add(meta.fees, ms.pnl_pool)?;
        store_meta(st, &meta)?;
    }
    if read::<S, MarketState>(st, &market_key(id))?.is_some() {
        st.delete(&market_key(id))?;
    }
    st.delete(&option_expiry_key(series.expiry_ms, id))?;
    Ok(())
}
