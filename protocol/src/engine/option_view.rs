//! Read-only views of the listed option series, for the sequencer's read API and `vigil
//! options chain`: one series by id, a market's chain (every series listed on it, in id
//! order) and its implied volatility. Series names follow Part 8 §9: `BTC-20261231-60000-C`.

use super::keys::{OPTION_SERIES_PREFIX, option_series_id};
use super::option_records::{ImpliedVols, OptionSeries};
use super::storage::{decode_at, load_implied_vols, load_option_series};
use super::view::walk_prefix;
use crate::state::{State, StateError};
use serde::{Deserialize, Serialize};

/// A listed series with its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesView {
    pub id: u32,
    pub series: OptionSeries,
}

/// The series `id`, if it was listed.
pub fn option_series<S: State>(st: &mut S, id: u32) -> Result<Option<SeriesView>, StateError> {
    Ok(load_option_series(st, id)?.map(|series| SeriesView { id, series }))
}

/// Every series listed on `market`, in id order (expiries in listing order, strikes
/// ascending, the call before the put).
pub fn option_chain<S: State>(st: &mut S, market: u32) -> Result<Vec<SeriesView>, StateError> {
    let mut chain = Vec::new();
    walk_prefix(st, &OPTION_SERIES_PREFIX, |_, key, value| {
        let series: OptionSeries = decode_at(key, value)?;
        if series.market == market {
            chain.push(SeriesView {
                id: option_series_id(key),
                series,
            });
        }
        Ok(true)
    })?;
    Ok(chain)
}

/// The implied volatilities of `market`'s options: each of the `signers` oracle slots and
/// their median (vol_ppm 0 until the first accepted update).
pub fn implied_vols<S: State>(
    st: &mut S,
    market: u32,
    signers: usize,
) -> Result<ImpliedVols, StateError> {
    load_implied_vols(st, market, signers)
}

/// A series' name: the underlying's symbol without `-PERP`, the expiry's UTC date as
/// `YYYYMMDD`, the strike in whole USDC (with up to six decimals when it has a fraction),
/// and `C` or `P`; e.g. `BTC-20261231-60000-C`.
pub fn series_name(underlying_symbol: &str, series: &OptionSeries) -> String {
    let base = underlying_symbol
        .strip_suffix("-PERP")
        .unwrap_or(underlying_symbol);
    let (y, m, d) = civil_date(series.expiry_ms / 86_400_000);
    let whole = series.strike_price / 1_000_000;
    let frac = series.strike_price % 1_000_000;
    let strike = if frac == 0 {
        whole.to_string()
    } else {
        let digits = format!("{frac:06}");
        format!("{whole}.{}", digits.trim_end_matches('0'))
    };
    format!(
        "{base}-{y:04}{m:02}{d:02}-{strike}-{}",
        series.kind.letter()
    )
}

/// The proleptic Gregorian (year, month, day) of `days` since 1970-01-01 (Howard
/// Hinnant's `civil_from_days`, integer only).
pub fn civil_date(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::option_records::SeriesKind;

    #[test]
    fn series_names_read_like_the_issue() {
        let s = |expiry_ms: u64, strike_price: u64, kind| OptionSeries {
            market: 1,
            expiry_ms,
            strike_price,
            kind,
            settlement_price: 0,
        };
        // 2026-12-31T08:00:00Z.
        let dec31 = 1_798_704_000_000;
        let table = [
            (
                s(dec31, 60_000_000_000, SeriesKind::Call),
                "BTC-20261231-60000-C",
            ),
            (s(0, 1_500_000, SeriesKind::Put), "BTC-19700101-1.5-P"),
            (
                s(951_782_400_000, 1, SeriesKind::Put),
                "BTC-20000229-0.000001-P",
            ),
        ];
        for (series, want) in table {
            assert_eq!(series_name("BTC-PERP", &series), want);
        }
    }
}
