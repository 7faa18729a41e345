//! Circuit breakers (docs/PROTOCOL.md Part 4 §7.1): a market whose oracle price moved more
//! than `breaker_move_bps` within `breaker_window_ms`, or whose price went stale, is in
//! reduce-only mode until a price within the bound arrives at least `breaker_cooldown_ms`
//! after it tripped. Driven only by signed oracle prices and the block timestamp; integer
//! arithmetic only.

use super::records::{BREAKER_MOVE, BREAKER_NONE, BREAKER_STALE, MarketState};
use crate::genesis::{Genesis, MarketParams};
use crate::units::format_bps;

/// `|to − from|` in whole bps of `from`, rounded down (saturating at `u32::MAX`); `from > 0`.
pub fn move_bps(from: u64, to: u64) -> u32 {
    let bps = u128::from(from.abs_diff(to)) * 10_000 / u128::from(from.max(1));
    u32::try_from(bps).unwrap_or(u32::MAX)
}

/// `|to − from| × 10000 > from × bound_bps`, exactly.
fn beyond(from: u64, to: u64, bound_bps: u32) -> bool {
    u128::from(from.abs_diff(to)) * 10_000 > u128::from(from) * u128::from(bound_bps)
}

/// Updates the breaker fields for an accepted price `price` signed at `t`; `ms` still
/// holds the previous index and its timestamp (the caller sets the new ones afterwards).
pub fn on_price(
    genesis: &Genesis,
    params: &MarketParams,
    ms: &mut MarketState,
    price: u64,
    t: u64,
) {
    let (prev, prev_ts) = (ms.index_price, ms.price_timestamp_ms);
    if prev == 0 {
        ms.window_price = price;
        ms.window_start_ms = t;
        return;
    }
    // 1. The window rolls over to the previous price once it is older than the window.
    if t.saturating_sub(ms.window_start_ms) > params.breaker_window_ms {
        ms.window_price = prev;
        ms.window_start_ms = prev_ts;
    }
    // 2. A move beyond the bound trips (or re-trips) the breaker and re-anchors the window.
    if params.breaker_move_bps != 0 && beyond(ms.window_price, price, params.breaker_move_bps) {
        ms.breaker_reason = BREAKER_MOVE;
        ms.breaker_tripped_at_ms = t;
        ms.breaker_move_bps = move_bps(ms.window_price, price);
        ms.breaker_move_ms = t.saturating_sub(ms.window_start_ms);
        ms.window_price = price;
        ms.window_start_ms = t;
        return;
    }
    // 3. A gap longer than the staleness bound trips it when it stood open, as of the
    //    moment the previous price went stale.
    if ms.breaker_reason == BREAKER_NONE && t.saturating_sub(prev_ts) > genesis.max_price_age_ms {
        ms.breaker_reason = BREAKER_STALE;
        ms.breaker_tripped_at_ms = prev_ts.saturating_add(genesis.max_price_age_ms);
        ms.breaker_move_bps = 0;
        ms.breaker_move_ms = 0;
    }
    // 4. An in-bound price at or after the end of the cool-down resumes the market.
    if ms.breaker_reason != BREAKER_NONE
        && t >= ms
            .breaker_tripped_at_ms
            .saturating_add(params.breaker_cooldown_ms)
    {
        ms.breaker_reason = BREAKER_NONE;
        ms.breaker_tripped_at_ms = 0;
        ms.breaker_move_bps = 0;
        ms.breaker_move_ms = 0;
    }
}

/// A market in reduce-only mode at some time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tripped {
    /// `BREAKER_MOVE` or `BREAKER_STALE`.
    pub reason: u8,
    /// When it tripped (for a stale price: the moment its age exceeded the bound).
    pub since_ms: u64,
    /// The earliest oracle timestamp of a price that can resume it.
    pub resumes_at_ms: u64,
    pub move_bps: u32,
    pub move_ms: u64,
}

/// The breaker's state at batch time `now`: the recorded trip if any, else a stale price.
pub fn tripped(
    genesis: &Genesis,
    params: &MarketParams,
    ms: &MarketState,
    now: u64,
) -> Option<Tripped> {
    if ms.breaker_reason != BREAKER_NONE {
        return Some(Tripped {
            reason: ms.breaker_reason,
            since_ms: ms.breaker_tripped_at_ms,
            resumes_at_ms: ms
                .breaker_tripped_at_ms
                .saturating_add(params.breaker_cooldown_ms),
            move_bps: ms.breaker_move_bps,
            move_ms: ms.breaker_move_ms,
        });
    }
    let stale_since = ms
        .price_timestamp_ms
        .saturating_add(genesis.max_price_age_ms);
    if ms.index_price != 0 && now > stale_since {
        return Some(Tripped {
            reason: BREAKER_STALE,
            since_ms: stale_since,
            resumes_at_ms: stale_since.saturating_add(params.breaker_cooldown_ms),
            move_bps: 0,
            move_ms: 0,
        });
    }
    None
}

/// The `snake_case` name of a reason, as the API shows it.
pub fn reason_code(reason: u8) -> &'static str {
    match reason {
        BREAKER_MOVE => "price_move",
        BREAKER_STALE => "stale_price",
        _ => "none",
    }
}

/// The rejection detail: why the market is reduce-only and when it may resume.
pub fn detail(params: &MarketParams, t: &Tripped) -> String {
    let why = if t.reason == BREAKER_MOVE {
        format!(
            "the oracle price moved {} bps within {} ms (bound {} within {} ms), tripped at {}",
            t.move_bps, t.move_ms, params.breaker_move_bps, params.breaker_window_ms, t.since_ms
        )
    } else {
        format!("the oracle price is stale since {}", t.since_ms)
    };
    format!(
        "{}: {why}; reduce-only until an oracle price signed at or after {} within {} of the window price",
        params.symbol,
        t.resumes_at_ms,
        format_bps(params.breaker_move_bps)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bound_is_exclusive_and_exact() {
        assert!(!beyond(100_000_000, 110_000_000, 1_000));
        assert!(beyond(100_000_000, 110_000_001, 1_000));
        assert!(!beyond(100_000_000, 90_000_000, 1_000));
        assert!(beyond(100_000_000, 89_999_999, 1_000));
        assert_eq!(move_bps(100_000_000, 89_999_999), 1_000);
        assert_eq!(move_bps(1, u64::MAX), u32::MAX);
    }
}
