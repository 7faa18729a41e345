//! Funding: a cumulative index per market that accrues by elapsed time. The premium of the
//! book mid over the index price (capped) is sampled after every action on the market
//! (`Order`, `Liquidate`, `PriceUpdate`; the same sample as the mark's, `mark::sample`) and
//! held until the next one, which first accrues
//! `index × premium × elapsed / period` at the held premium: so over any span the index
//! moves by the time-weighted premium, whether or not a price update is included. Funding
//! is settled into positions lazily, whenever a position's size changes.
//!
//! Index units: micro-USDC per whole unit of the base asset, times `FUNDING_INDEX_SCALE`.
//! Longs pay when the index rises. Formulas and rounding: docs/PROTOCOL.md Part 4 §6.

use super::mark::smooth;
use super::math::{BPS, FUNDING_INDEX_SCALE, Overflow, floor_div, mul, sub, trunc_div};
use super::records::MarketState;

/// The longest span one accrual covers: 365 days (the longest funding period), which keeps
/// `price × premium × dt × SCALE` inside `i128`. A market untouched for longer accrues the
/// cap.
pub const MAX_FUNDING_GAP_MS: u64 = crate::genesis::MAX_FUNDING_PERIOD_MS;

/// Accrues funding up to `now_ms` at the premium and index price held since the last
/// accrual: `index += trunc(index_price × funding_premium_bps × dt × SCALE / (10000 × period))`
/// with `dt = min(now − funding_timestamp_ms, MAX_FUNDING_GAP_MS)`, then
/// `funding_timestamp_ms = now`. The first call (timestamp 0) only starts the clock, and
/// time never goes back: a `now` at or before the funding time accrues nothing.
pub fn accrue(ms: &mut MarketState, now_ms: u64, period_ms: u64) -> Result<(), Overflow> {
    if ms.funding_timestamp_ms == 0 {
        ms.funding_timestamp_ms = now_ms;
        return Ok(());
    }
    if now_ms <= ms.funding_timestamp_ms {
        return Ok(());
    }
    let dt = (now_ms - ms.funding_timestamp_ms).min(MAX_FUNDING_GAP_MS);
    // The mark's smoothed premium integrates the same held sample over the same span.
    smooth(ms, dt)?;
    ms.funding_timestamp_ms = now_ms;
    if period_ms == 0 {
        return Ok(());
    }
    let numerator = mul(
        mul(
            mul(i128::from(ms.index_price), ms.funding_premium_bps)?,
            FUNDING_INDEX_SCALE,
        )?,
        i128::from(dt),
    )?;
    let step = trunc_div(numerator, mul(BPS, i128::from(period_ms))?)?;
    ms.funding_index = ms.funding_index.checked_add(step).ok_or(Overflow)?;
    Ok(())
}

/// The funding a position of `size` is owed since `snapshot` (negative: it owes), in
/// micro-USDC, rounded down (against the trader):
/// `floor(−size × (index − snapshot) / (10^dec × SCALE))`.
pub fn funding_credit(
    size: i128,
    snapshot: i128,
    index: i128,
    size_scale: i128,
) -> Result<i128, Overflow> {
    if size == 0 {
        return Ok(0);
    }
    let owed_raw = mul(size, sub(index, snapshot)?)?;
    floor_div(
        owed_raw.checked_neg().ok_or(Overflow)?,
        mul(size_scale, FUNDING_INDEX_SCALE)?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first call starts the clock; then the held premium accrues by elapsed time,
    /// over any gap up to 365 days; time never goes back.
    #[test]
    fn accrual_is_by_elapsed_time_at_the_held_premium() {
        let hour = 3_600_000;
        let mut ms = MarketState {
            index_price: 100_000_000,
            funding_premium_bps: 10,
            ..MarketState::default()
        };
        accrue(&mut ms, 5_000, hour).unwrap();
        assert_eq!((ms.funding_index, ms.funding_timestamp_ms), (0, 5_000));
        // 10 bps for half a period on 100 USD: 0.05 USD = 50_000 micro, × SCALE.
        accrue(&mut ms, 5_000 + hour / 2, hour).unwrap();
        assert_eq!(ms.funding_index, 50_000 * FUNDING_INDEX_SCALE);
        // Earlier or equal times accrue nothing and keep the clock.
        accrue(&mut ms, 5_000, hour).unwrap();
        assert_eq!(ms.funding_timestamp_ms, 5_000 + hour / 2);
        // Ten periods at −10 bps: ten times one period's −0.1 USD.
        ms.funding_premium_bps = -10;
        accrue(&mut ms, 5_000 + hour / 2 + 10 * hour, hour).unwrap();
        assert_eq!(ms.funding_index, (50_000 - 1_000_000) * FUNDING_INDEX_SCALE);
        // A gap beyond 365 days accrues 365 days.
        let t = ms.funding_timestamp_ms;
        let before = ms.funding_index;
        accrue(&mut ms, t + 2 * MAX_FUNDING_GAP_MS, hour).unwrap();
        let year_of_periods = i128::from(MAX_FUNDING_GAP_MS / hour);
        assert_eq!(
            ms.funding_index - before,
            -100_000 * year_of_periods * FUNDING_INDEX_SCALE
        );
    }

    #[test]
    fn funding_rounds_against_the_trader() {
        // Long 1 unit at 0 decimals, index up by 1.5 micro: owes 1.5 → pays 2.
        assert_eq!(funding_credit(1, 0, 3 * FUNDING_INDEX_SCALE / 2, 1), Ok(-2));
        // The short receives 1.5 → gets 1.
        assert_eq!(funding_credit(-1, 0, 3 * FUNDING_INDEX_SCALE / 2, 1), Ok(1));
        assert_eq!(funding_credit(0, 0, 99, 1), Ok(0));
    }
}
