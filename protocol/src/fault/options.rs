//! The option faults of [`super::Fault`] (issue #20): a sequencer that writes a wrong
//! settlement price for a series, or lowers the implied volatility its option marks (and so
//! short-option margins) are computed from. Apart from `fault.rs` so the option rows read
//! together; each is one state write the STF never makes, proven by one call (Part 6).

use crate::engine::option_expiry::first_entry;
use crate::engine::option_records::OptionSeries;
use crate::engine::storage::{
    load_implied_vols, load_option_series, store_implied_vols, store_option_series,
};
use crate::genesis::Genesis;
use crate::state::{State, StateError};

/// How much `OptionMark` lowers the implied volatility: to a tenth of the posted one.
pub const MARK_VOL_DIVISOR: u64 = 10;

/// `OptionSettlementPrice`: writes a settlement price one strike step above the right one
/// into the series next to settle (the first entry of the expiry index `0x11`). Once its
/// expiry has fixed the price that is the fixed price plus a step; before that (no price
/// yet) it is the strike plus a step, which settles the series early at a price no index
/// gave. Either way its payouts are wrong.
pub(super) fn misprice_settlement<S: State>(
    state: &mut S,
    genesis: &Genesis,
) -> Result<Option<String>, StateError> {
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
pub(super) fn lower_implied_vol<S: State>(
    state: &mut S,
    genesis: &Genesis,
) -> Result<Option<String>, StateError> {
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
