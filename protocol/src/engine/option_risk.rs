//! Option series as instruments of the one cross-margin account (docs/PROTOCOL.md Part 8
//! §11–§12): a series' trading terms (derived from its underlying perp market and its
//! schedule, so genesis needs no per-series parameters), its mark (Black-Scholes on the
//! underlying's index at the index time, with the underlying's implied volatility), and a
//! position's contribution to equity and margin.
//!
//! The premium changes hands at the fill, so an option position has no cost basis and no
//! funding: it adds its value at the mark, `⌊size × mark / 10^dec⌋` (negative for a
//! short, rounded down: against the trader), to equity. A long needs no margin; a short
//! holds the rule of Part 8 §8 as its initial margin and the same rule at half the bps as
//! its maintenance margin. Everything here reads state only (no clock), so a valuation is
//! the same wherever it is made in a batch until the index or the volatility moves.

use super::Halt;
use super::keys::option_series_key;
use super::margin::PositionRisk;
use super::math::{Overflow, add, ceil_div, floor_div, mul, size_scale, sub};
use super::option_records::OptionSeries;
use super::records::{Position, SideTotals};
use super::storage::{load_implied_vols, load_market, load_option_series};
use crate::genesis::{Genesis, MarketParams};
use crate::options::black_scholes::{MAX_IMPLIED_VOL_PPM, MAX_TIME_TO_EXPIRY_MS};
use crate::options::margin::{ShortOptionMargin, short_position_margin};
use crate::options::payoff::intrinsic_value;
use crate::options::schedule::{OptionSchedule, SERIES_ID_BASE};
use crate::options::{OptionInputs, quote};
use crate::state::{State, StateError};
use std::borrow::Cow;

/// Whether a market id names an option series (ids from 2^31; perp markets are below).
pub fn is_series(market: u32) -> bool {
    market >= SERIES_ID_BASE
}

/// A listed series with its terms and its current valuation inputs.
#[derive(Debug, Clone)]
pub(super) struct SeriesContext {
    pub series: OptionSeries,
    /// The series' trading terms as a market (Part 8 §11): tick = `premium_tick`, the
    /// underlying's size decimals, lot, fees and open-interest cap; no margin bps.
    pub params: MarketParams,
    pub rule: ShortOptionMargin,
    /// The underlying's index and its time.
    pub index_price: u64,
    pub index_timestamp_ms: u64,
    /// The mark per whole unit (price units).
    pub mark: u64,
}

/// The trading terms of a series on `underlying` under `schedule`.
pub(super) fn series_params(
    series_id: u32,
    underlying: &MarketParams,
    schedule: &OptionSchedule,
) -> MarketParams {
    MarketParams {
        id: series_id,
        symbol: String::new(),
        tick_size: schedule.premium_tick,
        initial_margin_bps: 0,
        maintenance_margin_bps: 0,
        price_band_bps: 0,
        breaker_move_bps: 0,
        breaker_window_ms: 0,
        breaker_cooldown_ms: 0,
        ..underlying.clone()
    }
}

/// The context of a listed series (`None`: not listed). Reads the series leaf, the
/// underlying's market leaf and its implied-volatility leaf.
pub(super) fn series_context<S: State>(
    st: &mut S,
    genesis: &Genesis,
    series_id: u32,
) -> Result<Option<SeriesContext>, Halt> {
    let Some(series) = load_option_series(st, series_id)? else {
        return Ok(None);
    };
    let malformed = |reason: &str| StateError::Malformed {
        key: option_series_key(series_id),
        reason: reason.into(),
    };
    let underlying = genesis
        .market(series.market)
        .ok_or_else(|| malformed("series on a market genesis does not define"))?;
    let schedule = genesis
        .option_schedule(series.market)
        .ok_or_else(|| malformed("series on a market without an option schedule"))?;
    let ms = load_market(st, series.market)?;
    let vol = load_implied_vols(st, series.market, genesis.oracles.len())?;
    let mark = series_mark(&series, ms.index_price, ms.price_timestamp_ms, vol.vol_ppm)?;
    Ok(Some(SeriesContext {
        params: series_params(series_id, underlying, schedule),
        rule: ShortOptionMargin {
            underlying_bps: schedule.short_underlying_bps,
            floor_bps: schedule.short_floor_bps,
        },
        series,
        index_price: ms.index_price,
        index_timestamp_ms: ms.price_timestamp_ms,
        mark,
    }))
}

/// The trading terms of `market`: a genesis perp market, or a listed series' terms;
/// `None` when it is neither.
pub(super) fn trading_params<'g, S: State>(
    st: &mut S,
    genesis: &'g Genesis,
    market: u32,
) -> Result<Option<Cow<'g, MarketParams>>, Halt> {
    if !is_series(market) {
        return Ok(genesis.market(market).map(Cow::Borrowed));
    }
    Ok(series_context(st, genesis, market)?.map(|ctx| Cow::Owned(ctx.params)))
}

/// The mark of a series per whole unit (Part 8 §11): a settled series is worth its
/// intrinsic value at the settlement price; otherwise Black-Scholes (Part 8 §3) on the
/// index with T = expiry − index time (0 once the index is at or past expiry, at most
/// ten years) and the underlying's implied volatility (0 before the first update: the
/// mark is then the intrinsic value). No index yet: 0.
pub(super) fn series_mark(
    series: &OptionSeries,
    index_price: u64,
    index_timestamp_ms: u64,
    vol_ppm: u64,
) -> Result<u64, Overflow> {
    let kind = series.kind.payoff();
    if series.settlement_price != 0 {
        return Ok(intrinsic_value(
            kind,
            series.settlement_price,
            series.strike_price,
        ));
    }
    if index_price == 0 {
        return Ok(0);
    }
    let inputs = OptionInputs {
        index_price,
        strike_price: series.strike_price,
        time_to_expiry_ms: series
            .expiry_ms
            .saturating_sub(index_timestamp_ms)
            .min(MAX_TIME_TO_EXPIRY_MS),
        implied_vol_ppm: vol_ppm.min(MAX_IMPLIED_VOL_PPM),
    };
    let q = quote(&inputs).map_err(|_| Overflow)?;
    Ok(match kind {
        crate::options::payoff::OptionKind::Call => q.call_mark,
        crate::options::payoff::OptionKind::Put => q.put_mark,
    })
}

/// The short-option margin of `size` contracts at `bps_divisor` (1: initial, 2:
/// maintenance, the rule's bps halved, rounded up); 0 for a long or flat size.
fn short_margin(ctx: &SeriesContext, size: i128, bps_divisor: u32) -> Result<i128, Overflow> {
    if size >= 0 {
        return Ok(0);
    }
    let rule = ShortOptionMargin {
        underlying_bps: ctx.rule.underlying_bps.div_ceil(bps_divisor),
        floor_bps: ctx.rule.floor_bps.div_ceil(bps_divisor),
    };
    short_position_margin(
        rule,
        ctx.series.kind.payoff(),
        ctx.index_price,
        ctx.series.strike_price,
        ctx.mark,
        size,
        ctx.params.size_decimals,
    )
}

/// An option position's risk: its value at the mark as `upnl` (no funding), the short
/// rule as initial margin and the rule at half the bps as maintenance.
pub(super) fn position_risk(ctx: &SeriesContext, pos: &Position) -> Result<PositionRisk, Overflow> {
    if pos.size == 0 {
        return Ok(PositionRisk::default());
    }
    let scale = size_scale(ctx.params.size_decimals)?;
    Ok(PositionRisk {
        upnl: floor_div(mul(pos.size, i128::from(ctx.mark))?, scale)?,
        funding: 0,
        initial: short_margin(ctx, pos.size, 1)?,
        maintenance: short_margin(ctx, pos.size, 2)?,
    })
}

/// A series' requirement with resting orders (Part 4 §8's two cases, with the short rule
/// in place of the perps' initial margin): every resting buy filling at its own price
/// pays `N_B` of premium for `B × mark` of value; every resting sell receives `N_S` for
/// `S × mark` of liability.
pub(super) fn requirement(ctx: &SeriesContext, pos: &Position) -> Result<i128, Overflow> {
    let scale = size_scale(ctx.params.size_decimals)?;
    let mark = i128::from(ctx.mark);
    let side = |t: &SideTotals| -> Result<(i128, i128), Overflow> {
        Ok((
            i128::from(t.size),
            i128::try_from(t.notional).map_err(|_| Overflow)?,
        ))
    };
    let (bought, paid) = side(&pos.bids)?;
    let (sold, received) = side(&pos.asks)?;
    let buys = add(
        short_margin(ctx, add(pos.size, bought)?, 1)?,
        ceil_div(sub(paid, mul(bought, mark)?)?.max(0), scale)?,
    )?;
    let sells = add(
        short_margin(ctx, sub(pos.size, sold)?, 1)?,
        ceil_div(sub(mul(sold, mark)?, received)?.max(0), scale)?,
    )?;
    Ok(buys.max(sells))
}

/// The premium a fill of signed `delta` contracts at `price` credits (negative: debits)
/// the trader: `⌊−delta × price / 10^dec⌋`. The buyer pays the premium rounded up, the
/// seller receives it rounded down; the difference (at most one micro-USDC) stays in the
/// series' pool.
pub(super) fn premium_credit(delta: i128, price: u64, scale: i128) -> Result<i128, Overflow> {
    floor_div(mul(-delta, i128::from(price))?, scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn premium_rounds_against_both_sides() {
        // 4 decimals: 1 size unit (0.0001) at 1,250.000001 USDC per whole unit.
        let price = 1_250_000_001;
        assert_eq!(premium_credit(1, price, 10_000), Ok(-125_001));
        assert_eq!(premium_credit(-1, price, 10_000), Ok(125_000));
        assert_eq!(
            premium_credit(10_000, 1_250_000_000, 10_000),
            Ok(-1_250_000_000)
        );
    }
}
