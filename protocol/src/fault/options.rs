//! The option faults of [`super::Fault`] (issue #20): a sequencer that writes a wrong
//! settlement price for a series, lowers the implied volatility its option marks (and so
//! short-option margins) are computed from, or fills a short without the short-option
//! margin. Apart from `fault.rs` so the option rows read together; each is a state the STF
//! never produces, proven by one call (Part 6).

use super::{Corrupted, Executed};
use crate::action::{Action, Order, TimeInForce, Tx};
use crate::engine::option_expiry::first_entry;
use crate::engine::option_records::OptionSeries;
use crate::engine::option_risk::is_series;
use crate::engine::storage::{
    load_implied_vols, load_option_series, store_implied_vols, store_option_series,
};
use crate::engine::view::book_depth;
use crate::engine::{self, BlockContext, Receipt};
use crate::genesis::Genesis;
use crate::primitives::Address;
use crate::state::{State, StateError};

/// How much `OptionMark` lowers the implied volatility: to a tenth of the posted one.
pub const MARK_VOL_DIVISOR: u64 = 10;

/// `OptionSettlementPrice`: writes a settlement price one strike step above the right one
/// into the series next to settle (the first entry of the expiry index `0x11`). Once its
/// expiry has fixed the price that is the fixed price plus a step; before that (no price
/// yet) it is the strike plus a step, which settles the series early at a price no index
/// gave. Either way its payouts are wrong.
pub(super) fn misprice_settlement<S: State>(state: &mut S, genesis: &Genesis) -> Corrupted {
    let Some((_, id)) = first_entry(state)? else {
        return Ok(None);
    };
    let Some(series) = load_option_series(state, id)? else {
        return Ok(None);
    };
    let Some(schedule) = genesis.option_schedule(series.market) else {
        return Ok(None);
    };
    let right = series.settlement_price;
    let base = if right == 0 {
        series.strike_price
    } else {
        right
    };
    let wrong = base.saturating_add(schedule.strike_step);
    store_option_series(
        state,
        id,
        &OptionSeries {
            settlement_price: wrong,
            ..series
        },
    )?;
    Ok(Some(format!(
        "wrote settlement price {wrong} for option series {id} (its fixed price was {right}; 0 = not yet fixed)"
    )))
}

/// `OptionMark`: lowers the implied volatility of the first optioned market that has one
/// to a tenth ([`MARK_VOL_DIVISOR`]), so every mark of its series is too low and every
/// short's margin understated (the STF keeps the median of the signed vols, Part 8 §10).
pub(super) fn lower_implied_vol<S: State>(state: &mut S, genesis: &Genesis) -> Corrupted {
    for schedule in &genesis.options {
        let mut vols = load_implied_vols(state, schedule.market, genesis.oracles.len())?;
        if vols.vol_ppm < MARK_VOL_DIVISOR {
            continue;
        }
        let right = vols.vol_ppm;
        vols.vol_ppm = right / MARK_VOL_DIVISOR;
        store_implied_vols(state, schedule.market, &vols)?;
        return Ok(Some(format!(
            "lowered market {}'s implied vol for its option marks from {right} to {} ppm",
            schedule.market, vols.vol_ppm
        )));
    }
    Ok(None)
}

/// `OptionShortUnmargined`: for the chunk's first accepted order selling an option series
/// whose best bid still rests, sells that whole bid level for the same account (one IOC
/// at the bid's price) with the taker's margin check skipped, and keeps it only if the
/// account ends short in the series and below its initial margin (Part 8 §8, §12): a
/// short the STF refuses as `insufficient_margin`. Tries the chunk's next such sale
/// otherwise.
pub(super) fn unmargined_short<S: State>(state: &mut S, chunk: &Executed<'_>) -> Corrupted {
    let mut tried: Vec<(Address, u32)> = Vec::new();
    for (account, series) in series_sellers(chunk.txs, chunk.receipts) {
        if tried.contains(&(account, series)) || account == engine::INSURANCE_FUND {
            continue;
        }
        tried.push((account, series));
        let Some((price, size)) = best_bid(state, chunk.genesis, chunk.ctx, series)? else {
            continue;
        };
        let order = Order {
            account,
            market: series,
            is_buy: false,
            price,
            size,
            tif: TimeInForce::Ioc,
            reduce_only: false,
            // No signed order uses it: the faulty sequencer invents this one.
            nonce: u64::MAX,
            expires_at: u64::MAX,
        };
        if let Some(receipt) = engine::place_unmargined(state, chunk.genesis, chunk.ctx, &order)? {
            let sold: u64 = receipt.fills.iter().map(|f| f.size).sum();
            return Ok(Some(format!(
                "sold {sold} contracts of option series {series} for {account} at {price} without the short-option margin (its equity is now below its initial margin)"
            )));
        }
    }
    Ok(None)
}

/// The (account, series) of each accepted order of the chunk that sells a series, in order.
fn series_sellers<'a>(
    txs: &'a [Tx],
    receipts: &'a [Receipt],
) -> impl Iterator<Item = (Address, u32)> + 'a {
    txs.iter()
        .zip(receipts)
        .filter_map(|(tx, receipt)| match tx {
            Tx::User { action } if receipt.status.is_ok() => placed_order(&action.action),
            _ => None,
        })
        .filter(|o| is_series(o.market) && !o.is_buy)
        .map(|o| (o.account, o.market))
}

/// The order an order-placing action places.
fn placed_order(action: &Action) -> Option<Order> {
    match action {
        Action::Order(o) => Some(o.clone()),
        Action::ClientOrder(o) => Some(o.order()),
        Action::AgentOrder(o) => Some(o.order()),
        _ => None,
    }
}

/// The best bid of `series` as (price, size resting at it), the size in whole lots of the
/// underlying and at most its open-interest cap (a larger order is refused before it
/// matches); `None` when the series is not listed, not trading at `ctx` or has no bid.
fn best_bid<S: State>(
    state: &mut S,
    genesis: &Genesis,
    ctx: &BlockContext,
    series: u32,
) -> Result<Option<(u64, u64)>, StateError> {
    let Some(listed) = load_option_series(state, series)? else {
        return Ok(None);
    };
    let Some(underlying) = genesis.market(listed.market) else {
        return Ok(None);
    };
    if listed.settlement_price != 0 || ctx.timestamp_ms >= listed.expiry_ms {
        return Ok(None);
    }
    let Some(level) = book_depth(state, series, 1)?.bids.first().cloned() else {
        return Ok(None);
    };
    let lot = underlying.lot_size.max(1);
    let size = u64::try_from(level.size)
        .unwrap_or(u64::MAX)
        .min(underlying.open_interest_cap);
    Ok(Some((level.price, size / lot * lot)).filter(|&(_, size)| size > 0))
}
