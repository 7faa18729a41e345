//! Orders on an option series (docs/PROTOCOL.md Part 8 §11): an `Order` whose `market` is
//! a series id (≥ 2^31) trades that series' book through the perps' placement and
//! matching code (`orders`, `matching`); this file holds only what differs at admission.
//! The series must be listed (`unknown_series`) and not expired at the batch timestamp
//! (`series_expired`: from the expiry's millisecond on, nothing trades); its underlying
//! needs an index (`no_price`), and a stale one allows only reduce-only orders. There is
//! no price band (a premium has no index to be near) and no circuit breaker of its own.

use super::option_risk::series_context;
use super::orders::{is_stale, validate};
use super::receipt::Status;
use super::records::MarketState;
use super::storage::load_market;
use super::{BlockContext, Halt, reject, reject_with};
use crate::action::Order;
use crate::genesis::{Genesis, MarketParams};
use crate::state::State;

/// The series' trading terms and its market leaf (sequence numbers, open interest and the
/// premium rounding pool), or the rejection of an order on it.
pub(super) fn admit<S: State>(
    st: &mut S,
    genesis: &Genesis,
    ctx: &BlockContext,
    o: &Order,
) -> Result<(MarketParams, MarketState), Halt> {
    let Some(series) = series_context(st, genesis, o.market)? else {
        return reject_with(
            Status::UnknownSeries,
            format!(
                "series {} is not listed; `vigil options chain` lists the series that trade",
                o.market
            ),
        );
    };
    if ctx.timestamp_ms >= series.series.expiry_ms {
        return reject_with(
            Status::SeriesExpired,
            format!(
                "series {} expired at {} ms and the batch is at {} ms; pick a later expiry",
                o.market, series.series.expiry_ms, ctx.timestamp_ms
            ),
        );
    }
    validate(&series.params, o).map_err(Halt::Reject)?;
    if series.index_price == 0 {
        return reject(Status::NoPrice);
    }
    if is_stale(genesis, ctx, series.index_timestamp_ms) && !o.reduce_only {
        return reject(Status::StalePrice);
    }
    Ok((series.params, load_market(st, o.market)?))
}
