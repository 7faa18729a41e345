//! Funding: a cumulative index per market, accrued on each oracle price update from the
//! premium of the book mid over the oracle price (capped), and settled into positions
//! lazily, whenever a position's size changes.
//!
//! Index units: micro-USDC per whole unit of the base asset, times `FUNDING_INDEX_SCALE`.
//! Longs pay when the index rises. Formulas and rounding: docs/PROTOCOL.md Part 4 §6.

use super::math::{BPS, FUNDING_INDEX_SCALE, Overflow, floor_div, mul, sub, trunc_div};
use super::records::MarketState;

/// The premium of the book mid over the oracle price, in whole bps truncated toward zero,
/// clamped to ±`cap_bps`: `(mid − oracle) × 10000 / oracle` with `mid = (bid + ask) / 2`,
/// computed as `(bid + ask − 2·oracle) × 10000 / (2·oracle)` so the mid never rounds.
/// Zero when either side of the book is empty.
pub fn premium_bps(
    best_bid: Option<u64>,
    best_ask: Option<u64>,
    oracle: u64,
    cap_bps: u32,
) -> Result<i128, Overflow> {
    let (Some(bid), Some(ask)) = (best_bid, best_ask) else {
        return Ok(0);
    };
    let twice_oracle = mul(i128::from(oracle), 2)?;
    let diff = sub(i128::from(bid) + i128::from(ask), twice_oracle)?;
    let premium = trunc_div(mul(diff, BPS)?, twice_oracle)?;
    let cap = i128::from(cap_bps);
    Ok(premium.clamp(-cap, cap))
}

/// Accrues funding up to `now_ms` at `premium_bps` and restarts the funding clock:
/// `index += trunc(oracle × premium_bps × dt × SCALE / (10000 × period))` with
/// `dt = min(now − funding_timestamp, period)`. The first call only starts the clock.
///
/// `dt` is capped at one period because a premium observed at one instant says nothing
/// about a longer gap between oracle updates.
pub fn accrue(
    ms: &mut MarketState,
    oracle: u64,
    premium_bps: i128,
    now_ms: u64,
    period_ms: u64,
) -> Result<(), Overflow> {
    if ms.funding_timestamp_ms != 0 && period_ms > 0 {
        let dt = now_ms
            .saturating_sub(ms.funding_timestamp_ms)
            .min(period_ms);
        let numerator = mul(
            mul(mul(i128::from(oracle), premium_bps)?, FUNDING_INDEX_SCALE)?,
            i128::from(dt),
        )?;
        let step = trunc_div(numerator, mul(BPS, i128::from(period_ms))?)?;
        ms.funding_index = ms.funding_index.checked_add(step).ok_or(Overflow)?;
    }
    ms.funding_timestamp_ms = now_ms;
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

    #[test]
    fn premium_uses_the_exact_mid_truncates_and_caps() {
        let oracle = 100_000_000; // 100 USD
        // mid 100.05 → 5 bps.
        assert_eq!(
            premium_bps(Some(100_000_000), Some(100_100_000), oracle, 50),
            Ok(5)
        );
        // mid 99.9995 → −0.05 bps → truncates to 0.
        assert_eq!(
            premium_bps(Some(99_999_000), Some(100_000_000), oracle, 50),
            Ok(0)
        );
        // mid 110 → 1000 bps, capped at 50.
        assert_eq!(
            premium_bps(Some(110_000_000), Some(110_000_000), oracle, 50),
            Ok(50)
        );
        assert_eq!(
            premium_bps(Some(90_000_000), Some(90_000_000), oracle, 50),
            Ok(-50)
        );
        assert_eq!(premium_bps(None, Some(1), oracle, 50), Ok(0));
    }

    #[test]
    fn accrual_is_capped_at_one_period_and_first_update_starts_the_clock() {
        let mut ms = MarketState::default();
        accrue(&mut ms, 100_000_000, 10, 5_000, 3_600_000).unwrap();
        assert_eq!((ms.funding_index, ms.funding_timestamp_ms), (0, 5_000));
        // 10 bps for half a period on 100 USD: 0.05 USD = 50_000 micro, × SCALE.
        accrue(&mut ms, 100_000_000, 10, 5_000 + 1_800_000, 3_600_000).unwrap();
        assert_eq!(ms.funding_index, 50_000 * FUNDING_INDEX_SCALE);
        // Ten periods later only one period accrues.
        accrue(
            &mut ms,
            100_000_000,
            -10,
            5_000 + 1_800_000 + 36_000_000,
            3_600_000,
        )
        .unwrap();
        assert_eq!(ms.funding_index, -50_000 * FUNDING_INDEX_SCALE);
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
