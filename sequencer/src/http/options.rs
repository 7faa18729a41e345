//! `GET /v1/options/chain?underlying=BTC-PERP[&expiry=2026-12-31]`: every listed option
//! series on an underlying (docs/PROTOCOL.md Part 8), each with its name, terms, mark and
//! greeks (the engine's own `option_quote`, so the figures are what margin uses), best bid
//! and ask and open interest. The answer is a pure function of the genesis and a state
//! (`chain`), which the handler runs on the newest durable tree.

use super::{ApiError, AppState, error_codes};
use axum::Json;
use axum::extract::State;
use protocol::engine::option_quote::{SeriesQuote, series_quote};
use protocol::engine::option_view::{civil_date, implied_vols, option_chain};
use protocol::genesis::Genesis;
use serde::{Deserialize, Serialize};
use service_shell::http::ApiQuery;

/// The chain's query.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChainQuery {
    /// The underlying perp market: its symbol (any case) or id, e.g. `BTC-PERP` or `1`.
    pub underlying: Option<String>,
    /// Only series expiring on this UTC date (`2026-12-31` or `20261231`) or at this
    /// millisecond.
    pub expiry: Option<String>,
}

/// `GET /v1/options/chain`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OptionChainResponse {
    /// The underlying's symbol and market id.
    pub underlying: String,
    pub market: u32,
    /// The underlying's index (price units; 0 = none yet) and its oracle time.
    pub index_price: u64,
    pub index_timestamp_ms: u64,
    /// The implied volatility the marks use, ppm a year (0: none signed yet, marks are
    /// intrinsic values).
    pub implied_vol_ppm: u64,
    /// Every listed series in id order (expiries in listing order, strikes ascending, the
    /// call before the put): `{id, name, market, expiry_ms, strike_price, kind (call|put),
    /// settlement_price (0 until settled), tick_size, size_decimals, lot_size, mark_price,
    /// greeks {delta_e18 (per unit of underlying), gamma_e18 (per USDC of index), vega_e18
    /// (price units per vol point), theta_e18 (price units per day)}, best_bid, best_ask
    /// (null: none), open_interest}`. Prices are micro-USDC per whole unit; greeks are
    /// 18-decimal fixed point.
    #[schema(value_type = Vec<Object>)]
    pub series: Vec<SeriesQuote>,
}

#[utoipa::path(get, path = "/v1/options/chain", tag = "state",
    params(ChainQuery),
    responses((status = 200, description = "The listed series on the underlying, with marks and greeks", body = OptionChainResponse)))]
pub async fn chain_route(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<ChainQuery>,
) -> Result<Json<OptionChainResponse>, ApiError> {
    let v = s.views.borrow().clone();
    let mut tree = v.tree.clone();
    chain(&s.genesis, &mut tree, &q).map(Json)
}

/// The chain `q` asks for in `st`, or the 4xx saying what to ask instead.
pub fn chain<S: protocol::state::State>(
    genesis: &Genesis,
    st: &mut S,
    q: &ChainQuery,
) -> Result<OptionChainResponse, ApiError> {
    let market = underlying(genesis, q.underlying.as_deref())?;
    let expiry = q.expiry.as_deref().map(parse_expiry).transpose()?;
    let listed = option_chain(st, market.id).map_err(ApiError::internal)?;
    let mut series = Vec::with_capacity(listed.len());
    for s in &listed {
        if expiry.is_some_and(|e| !e.matches(s.series.expiry_ms)) {
            continue;
        }
        if let Some(quote) = series_quote(st, genesis, s.id).map_err(ApiError::internal)? {
            series.push(quote);
        }
    }
    if let (Some(asked), true) = (&q.expiry, series.is_empty() && !listed.is_empty()) {
        return Err(no_such_expiry(&market.symbol, asked, &listed));
    }
    let state = protocol::engine::view::market_state(st, market.id).map_err(ApiError::internal)?;
    let vols = implied_vols(st, market.id, genesis.oracles.len()).map_err(ApiError::internal)?;
    Ok(OptionChainResponse {
        underlying: market.symbol.clone(),
        market: market.id,
        index_price: state.index_price,
        index_timestamp_ms: state.price_timestamp_ms,
        implied_vol_ppm: vols.vol_ppm,
        series,
    })
}

/// The genesis market `text` names that has an option schedule.
fn underlying<'g>(
    genesis: &'g Genesis,
    text: Option<&str>,
) -> Result<&'g protocol::genesis::MarketParams, ApiError> {
    let with_options: Vec<&str> = genesis
        .options
        .iter()
        .filter_map(|o| genesis.market(o.market))
        .map(|m| m.symbol.as_str())
        .collect();
    let example = with_options.first().copied().unwrap_or("BTC-PERP");
    let Some(text) = text else {
        return Err(ApiError::new(
            error_codes::INVALID_QUERY,
            format!(
                "name the underlying: GET /v1/options/chain?underlying={example} (underlyings with options: {})",
                with_options.join(", ")
            ),
        ));
    };
    let by_id = text.parse::<u32>().ok();
    let market = genesis
        .markets
        .iter()
        .find(|m| m.symbol.eq_ignore_ascii_case(text) || Some(m.id) == by_id);
    match market {
        Some(m) if genesis.option_schedule(m.id).is_some() => Ok(m),
        found => Err(ApiError::new(
            error_codes::UNKNOWN_MARKET,
            format!(
                "{} has no options (underlyings with options: {}); try GET /v1/options/chain?underlying={example}",
                found.map_or_else(
                    || format!("no market {text:?} in genesis:"),
                    |m| format!("{} lists no series:", m.symbol)
                ),
                with_options.join(", ")
            ),
        )),
    }
}

/// An `expiry` filter: a UTC day (days since the epoch) or an exact millisecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExpiryFilter {
    Day(u64),
    Millis(u64),
}

impl ExpiryFilter {
    fn matches(self, expiry_ms: u64) -> bool {
        match self {
            ExpiryFilter::Day(day) => expiry_ms / 86_400_000 == day,
            ExpiryFilter::Millis(ms) => expiry_ms == ms,
        }
    }
}

/// `2026-12-31`, `20261231` or a millisecond timestamp.
fn parse_expiry(text: &str) -> Result<ExpiryFilter, ApiError> {
    let digits: String = text.chars().filter(|c| *c != '-').collect();
    let bad = || {
        ApiError::new(
            error_codes::INVALID_QUERY,
            format!(
                "expiry {text:?} is not a date or a time: give the UTC date (expiry=2026-12-31 or expiry=20261231) or the expiry in ms since the epoch, or leave expiry out for every series"
            ),
        )
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    if digits.len() != 8 || (text.contains('-') && text.len() != 10) {
        return if text.contains('-') {
            Err(bad())
        } else {
            digits.parse().map(ExpiryFilter::Millis).map_err(|_| bad())
        };
    }
    let (y, m, d) = (
        digits[..4].parse::<u64>().map_err(|_| bad())?,
        digits[4..6].parse::<u64>().map_err(|_| bad())?,
        digits[6..].parse::<u64>().map_err(|_| bad())?,
    );
    day_number(y, m, d).map(ExpiryFilter::Day).ok_or_else(bad)
}

/// Days since 1970-01-01 of a valid date from 1970 on (checked by the round trip through
/// the engine's `civil_date`).
fn day_number(y: u64, m: u64, d: u64) -> Option<u64> {
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Howard Hinnant's days_from_civil, the inverse of `civil_date`.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = (era * 146_097 + doe).checked_sub(719_468)?;
    (civil_date(days) == (if m <= 2 { y + 1 } else { y }, m, d)).then_some(days)
}

/// 404 for an expiry no listed series has, with the expiries that are listed.
fn no_such_expiry(
    symbol: &str,
    asked: &str,
    listed: &[protocol::engine::option_view::SeriesView],
) -> ApiError {
    let mut dates: Vec<String> = listed
        .iter()
        .map(|s| {
            let (y, m, d) = civil_date(s.series.expiry_ms / 86_400_000);
            format!("{y:04}-{m:02}-{d:02}")
        })
        .collect();
    dates.dedup();
    ApiError::new(
        error_codes::UNKNOWN_MARKET,
        format!(
            "no {symbol} series expires on {asked} (listed expiries: {}); try GET /v1/options/chain?underlying={symbol}&expiry={}",
            dates.join(", "),
            dates.first().map_or("", String::as_str)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_filters_parse_or_say_what_to_give() {
        // 2026-12-31 is day 20,818.
        let table: &[(&str, Option<ExpiryFilter>)] = &[
            ("2026-12-31", Some(ExpiryFilter::Day(20_818))),
            ("20261231", Some(ExpiryFilter::Day(20_818))),
            (
                "1798704000000",
                Some(ExpiryFilter::Millis(1_798_704_000_000)),
            ),
            ("2026-02-30", None),
            ("2026-13-01", None),
            ("1969-12-31", None),
            ("12-31", None),
            ("tomorrow", None),
            ("", None),
        ];
        for (text, want) in table {
            match (parse_expiry(text), want) {
                (Ok(got), Some(want)) => assert_eq!(got, *want, "{text}"),
                (Err(e), None) => assert!(e.message.contains("expiry=2026-12-31"), "{text}: {e:?}"),
                (got, want) => panic!("{text}: {got:?} vs {want:?}"),
            }
        }
        assert!(ExpiryFilter::Day(20_818).matches(1_798_704_000_000));
        assert!(!ExpiryFilter::Day(20_817).matches(1_798_704_000_000));
    }
}
