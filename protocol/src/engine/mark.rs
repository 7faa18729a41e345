//! The robust mark price (docs/PROTOCOL.md Part 4 §23): the median of the index, the index
//! plus a smoothed book premium, and the book mid clamped to the price band, in integers.
//!
//! Why three terms: the index alone (the oracle median, §7) ignores the venue's own book,
//! and the book alone can be pushed by a thin quote. The book premium is sampled at the
//! same points as funding's (the end of every `Order`, `Liquidate` and `PriceUpdate` on the
//! market), held until the next action, and integrated over time into the smoothed premium,
//! so a quote that stands for no time moves nothing. The mark is
//! `index + median(0, smoothed, sample)`: it lies between the index and the clamped mid, and
//! a quote can pull it no further than the smoothed premium, which moves only by the time
//! the quote stands (at most the whole premium after `MARK_PREMIUM_WINDOW_MS`).

use super::Halt;
use super::book::{best_price, side_of};
use super::math::{BPS, Overflow, mul, sub, trunc_div};
use super::records::MarketState;
use crate::genesis::MarketParams;
use crate::state::State;

/// The smoothing window of the book premium: the smoothed premium moves toward the held
/// sample by the fraction `min(dt, window) / window` of the gap over `dt` ms (5 minutes).
pub const MARK_PREMIUM_WINDOW_MS: u64 = 300_000;

/// The book premium of one sample, in micro-USDC per whole unit: the mid
/// `⌊(bid + ask) / 2⌋` clamped to `index ± ⌊index × band_bps / 10000⌋`, minus the index.
/// Zero when either side of the book is empty or there is no index yet.
pub fn book_premium(
    best_bid: Option<u64>,
    best_ask: Option<u64>,
    index: u64,
    band_bps: u32,
) -> Result<i128, Overflow> {
    let (Some(bid), Some(ask)) = (best_bid, best_ask) else {
        return Ok(0);
    };
    if index == 0 {
        return Ok(0);
    }
    let index = i128::from(index);
    let band = mul(index, i128::from(band_bps))? / BPS;
    let mid = (i128::from(bid) + i128::from(ask)) / 2;
    sub(mid.clamp(index - band, index + band), index)
}

/// The funding premium of the same sample (§6): the book premium in whole bps of the
/// index, truncated toward zero, clamped to ±`cap_bps`.
pub fn funding_premium_bps(premium: i128, index: u64, cap_bps: u32) -> Result<i128, Overflow> {
    if index == 0 {
        return Ok(0);
    }
    let bps = trunc_div(mul(premium, BPS)?, i128::from(index))?;
    let cap = i128::from(cap_bps);
    Ok(bps.clamp(-cap, cap))
}

/// Integrates the held sample over `dt_ms`: the smoothed premium moves toward
/// `book_premium` by `trunc((book_premium − smoothed) × min(dt, W) / W)`.
pub fn smooth(ms: &mut MarketState, dt_ms: u64) -> Result<(), Overflow> {
    let weight = i128::from(dt_ms.min(MARK_PREMIUM_WINDOW_MS));
    let gap = sub(ms.book_premium, ms.premium_ema)?;
    let step = trunc_div(mul(gap, weight)?, i128::from(MARK_PREMIUM_WINDOW_MS))?;
    ms.premium_ema = ms.premium_ema.checked_add(step).ok_or(Overflow)?;
    Ok(())
}

/// The median of three integers.
fn median3(a: i128, b: i128, c: i128) -> i128 {
    a.min(b).max(a.max(b).min(c))
}

/// The mark over the market's index: `index + median(0, smoothed, sample)`, at least 1;
/// 0 while there is no index.
pub fn robust_mark(ms: &MarketState) -> Result<u64, Overflow> {
    if ms.index_price == 0 {
        return Ok(0);
    }
    let premium = median3(0, ms.premium_ema, ms.book_premium);
    let mark = i128::from(ms.index_price)
        .checked_add(premium)
        .ok_or(Overflow)?;
    u64::try_from(mark.max(1)).map_err(|_| Overflow)
}

/// Takes the sample at the end of an action on the market (the book and index as the
/// action leaves them): the book premium, funding's premium from it, and the mark.
pub(super) fn sample<S: State>(
    st: &mut S,
    params: &MarketParams,
    ms: &mut MarketState,
    cap_bps: u32,
) -> Result<(), Halt> {
    let bid = best_price(st, params.id, side_of(true))?;
    let ask = best_price(st, params.id, side_of(false))?;
    ms.book_premium = book_premium(bid, ask, ms.index_price, params.price_band_bps)?;
    ms.funding_premium_bps = funding_premium_bps(ms.book_premium, ms.index_price, cap_bps)?;
    ms.mark_price = robust_mark(ms)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const INDEX: u64 = 100_000_000; // 100 USD

    /// The mid, clamped to the band; one-sided books give no premium.
    #[test]
    fn the_book_premium_is_the_clamped_mid_over_the_index() {
        let table: &[(Option<u64>, Option<u64>, i128)] = &[
            (Some(100_000_000), Some(100_100_000), 50_000),
            (Some(99_999_999), Some(100_000_000), -1),
            // A spoofed ask far above: the mid clamps to index + 5 %.
            (Some(100_000_000), Some(1_000_000_000), 5_000_000),
            (Some(1), Some(2), -5_000_000),
            (None, Some(100_100_000), 0),
            (Some(100_000_000), None, 0),
        ];
        for (i, (bid, ask, want)) in table.iter().enumerate() {
            assert_eq!(book_premium(*bid, *ask, INDEX, 500), Ok(*want), "row {i}");
        }
        assert_eq!(book_premium(Some(1), Some(3), 0, 500), Ok(0));
    }

    /// The smoothed premium moves by the elapsed share of the window, and reaches the
    /// sample after a whole window; the mark is the median of the three terms.
    #[test]
    fn the_mark_is_the_median_of_index_smoothed_and_clamped_mid() {
        let mut ms = MarketState {
            index_price: INDEX,
            book_premium: 3_000_000,
            ..MarketState::default()
        };
        assert_eq!(robust_mark(&ms), Ok(INDEX)); // median(0, 0, 3 USD) = 0
        smooth(&mut ms, 0).unwrap();
        assert_eq!(ms.premium_ema, 0);
        smooth(&mut ms, MARK_PREMIUM_WINDOW_MS / 3).unwrap();
        assert_eq!(ms.premium_ema, 1_000_000);
        assert_eq!(robust_mark(&ms), Ok(INDEX + 1_000_000));
        smooth(&mut ms, 10 * MARK_PREMIUM_WINDOW_MS).unwrap();
        assert_eq!(ms.premium_ema, 3_000_000);
        // The book flips: the median is 0 (between −2 USD and +3 USD).
        ms.book_premium = -2_000_000;
        assert_eq!(robust_mark(&ms), Ok(INDEX));
        // Truncation toward zero of a negative step.
        smooth(&mut ms, 1).unwrap();
        assert_eq!(ms.premium_ema, 3_000_000 - 16);
        assert_eq!(median3(5, -1, 3), 3);
        assert_eq!(median3(-4, -9, 0), -4);
        assert_eq!(robust_mark(&MarketState::default()), Ok(0));
    }

    #[test]
    fn funding_takes_the_same_sample_in_whole_bps() {
        assert_eq!(funding_premium_bps(50_000, INDEX, 50), Ok(5));
        assert_eq!(funding_premium_bps(-9_999, INDEX, 50), Ok(0));
        assert_eq!(funding_premium_bps(5_000_000, INDEX, 50), Ok(50));
        assert_eq!(funding_premium_bps(-5_000_000, INDEX, 50), Ok(-50));
        assert_eq!(funding_premium_bps(1, 0, 50), Ok(0));
    }
}
