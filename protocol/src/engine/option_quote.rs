//! Read-only quotes of option series and an account's series positions, for the
//! sequencer's `GET /v1/options/chain` and account view and for `vigil options chain`.
//! The mark is the one the margin walk uses (`option_risk::series_context`, Part 8 §11),
//! and the greeks come from the same Black-Scholes call on the same inputs
//! (`options::quote`, Part 8 §3), so a quote never disagrees with what the STF charges.
//! Apart from `option_view` (listing reads) because it needs the engine's risk context.

use super::option_records::{OptionSeries, SeriesKind};
use super::option_risk::{SeriesContext, position_risk, series_context};
use super::option_view::series_name;
use super::storage::{load_account, load_market, load_position};
use super::view::{ViewError, book_depth};
use super::{Halt, math::size_scale};
use crate::genesis::Genesis;
use crate::options::black_scholes::{MAX_IMPLIED_VOL_PPM, MAX_TIME_TO_EXPIRY_MS};
use crate::options::{OptionInputs, quote};
use crate::primitives::Address;
use crate::state::State;
use serde::{Deserialize, Serialize};

/// The greeks of one whole contract (or of a position), 18-decimal fixed point:
/// delta per unit of underlying, gamma per whole USDC of index, vega in micro-USDC per
/// volatility point, theta in micro-USDC per day. All 0 once the series is settled or
/// while the underlying has no index. In JSON each is a decimal string: a BTC option's
/// vega is about 10^25 in these units, past what a JSON number holds exactly (2^53 in
/// JavaScript, 2^64 in most parsers).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Greeks {
    #[serde(with = "decimal_string")]
    pub delta_e18: i128,
    #[serde(with = "decimal_string")]
    pub gamma_e18: i128,
    #[serde(with = "decimal_string")]
    pub vega_e18: i128,
    #[serde(with = "decimal_string")]
    pub theta_e18: i128,
}

/// An `i128` as a JSON decimal string (`"-12345"`); a number is accepted back too.
mod decimal_string {
    use serde::de::Error;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &i128, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i128, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            Text(String),
            Number(i64),
        }
        match Form::deserialize(d)? {
            Form::Text(t) => t
                .parse()
                .map_err(|_| D::Error::custom(format!("{t:?} is not a decimal integer"))),
            Form::Number(n) => Ok(i128::from(n)),
        }
    }
}

/// One listed series as the chain shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesQuote {
    pub id: u32,
    /// `BTC-20261231-60000-C` (Part 8 §9).
    pub name: String,
    /// The underlying perp market.
    pub market: u32,
    pub expiry_ms: u64,
    /// Price units (micro-USDC per whole unit).
    pub strike_price: u64,
    pub kind: SeriesKind,
    /// The index the series settled at; 0 until it is settled.
    pub settlement_price: u64,
    /// Premiums are multiples of this (price units).
    pub tick_size: u64,
    pub size_decimals: u8,
    pub lot_size: u64,
    /// The mark per whole contract (price units): Black-Scholes on the index, or the
    /// intrinsic value at the settlement price once settled.
    pub mark_price: u64,
    pub greeks: Greeks,
    /// The best resting bid and ask (price units), if any.
    pub best_bid: Option<u64>,
    pub best_ask: Option<u64>,
    /// Long contracts outstanding (size units; equal to the shorts).
    pub open_interest: u64,
}

/// A series position of an account: its value at the mark and its margin, as the one
/// cross-margin account counts them (Part 8 §11), with the position's greeks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionPositionView {
    pub series: u32,
    pub name: String,
    /// Signed contracts in size units (negative: short).
    pub size: i128,
    pub mark_price: u64,
    /// `⌊size × mark / 10^dec⌋`: what the position adds to equity (negative for a short).
    pub value: i128,
    pub initial_margin: i128,
    pub maintenance_margin: i128,
    /// The contract's greeks times the signed size in whole contracts.
    pub greeks: Greeks,
}

/// The quote of series `id` (`None`: not listed).
pub fn series_quote<S: State>(
    st: &mut S,
    genesis: &Genesis,
    id: u32,
) -> Result<Option<SeriesQuote>, ViewError> {
    let Some(ctx) = series_context(st, genesis, id).map_err(halt)? else {
        return Ok(None);
    };
    let depth = book_depth(st, id, 1)?;
    let open_interest = load_market(st, id)?.long_open_interest;
    Ok(Some(SeriesQuote {
        id,
        name: name_of(genesis, &ctx.series),
        tick_size: ctx.params.tick_size,
        size_decimals: ctx.params.size_decimals,
        lot_size: ctx.params.lot_size,
        mark_price: ctx.mark,
        greeks: contract_greeks(&ctx, st, genesis)?,
        best_bid: depth.bids.first().map(|l| l.price),
        best_ask: depth.asks.first().map(|l| l.price),
        open_interest,
        market: ctx.series.market,
        expiry_ms: ctx.series.expiry_ms,
        strike_price: ctx.series.strike_price,
        kind: ctx.series.kind,
        settlement_price: ctx.series.settlement_price,
    }))
}

/// Every series position `address` holds (flat ones left out), in the account's order.
pub fn option_positions<S: State>(
    st: &mut S,
    genesis: &Genesis,
    address: &Address,
) -> Result<Vec<OptionPositionView>, ViewError> {
    let acct = load_account(st, address)?;
    let mut out = Vec::new();
    for &id in acct
        .markets
        .iter()
        .filter(|m| super::option_risk::is_series(**m))
    {
        let pos = load_position(st, address, id)?;
        let Some(ctx) = series_context(st, genesis, id).map_err(halt)? else {
            continue;
        };
        if pos.size == 0 {
            continue;
        }
        let risk = position_risk(&ctx, &pos)?;
        let per_contract = contract_greeks(&ctx, st, genesis)?;
        out.push(OptionPositionView {
            series: id,
            name: name_of(genesis, &ctx.series),
            size: pos.size,
            mark_price: ctx.mark,
            value: risk.upnl,
            initial_margin: risk.initial,
            maintenance_margin: risk.maintenance,
            greeks: scaled(per_contract, pos.size, ctx.params.size_decimals)?,
        });
    }
    Ok(out)
}

/// A series' name from its underlying's genesis symbol.
fn name_of(genesis: &Genesis, series: &OptionSeries) -> String {
    let symbol = genesis
        .market(series.market)
        .map_or_else(|| format!("#{}", series.market), |m| m.symbol.clone());
    series_name(&symbol, series)
}

/// The greeks of one contract on the inputs `series_mark` prices (the same clamps).
fn contract_greeks<S: State>(
    ctx: &SeriesContext,
    st: &mut S,
    genesis: &Genesis,
) -> Result<Greeks, ViewError> {
    if ctx.series.settlement_price != 0 || ctx.index_price == 0 {
        return Ok(Greeks::default());
    }
    let vol = super::storage::load_implied_vols(st, ctx.series.market, genesis.oracles.len())?;
    let inputs = OptionInputs {
        index_price: ctx.index_price,
        strike_price: ctx.series.strike_price,
        time_to_expiry_ms: ctx
            .series
            .expiry_ms
            .saturating_sub(ctx.index_timestamp_ms)
            .min(MAX_TIME_TO_EXPIRY_MS),
        implied_vol_ppm: vol.vol_ppm.min(MAX_IMPLIED_VOL_PPM),
    };
    let q = quote(&inputs).map_err(|_| ViewError::Overflow)?;
    let delta = match ctx.series.kind {
        SeriesKind::Call => q.call_delta,
        SeriesKind::Put => q.put_delta,
    };
    Ok(Greeks {
        delta_e18: delta.0,
        gamma_e18: q.gamma_per_usdc.0,
        vega_e18: q.vega_per_vol_point.0,
        theta_e18: q.theta_per_day.0,
    })
}

/// `greeks × size / 10^dec`, truncated toward zero.
fn scaled(g: Greeks, size: i128, size_decimals: u8) -> Result<Greeks, ViewError> {
    let scale = size_scale(size_decimals)?;
    let times = |x: i128| {
        x.checked_mul(size)
            .map(|p| p / scale)
            .ok_or(ViewError::Overflow)
    };
    Ok(Greeks {
        delta_e18: times(g.delta_e18)?,
        gamma_e18: times(g.gamma_e18)?,
        vega_e18: times(g.vega_e18)?,
        theta_e18: times(g.theta_e18)?,
    })
}

fn halt(h: Halt) -> ViewError {
    match h {
        Halt::State(e) => ViewError::State(e),
        Halt::Reject(_) | Halt::RejectWith(..) => ViewError::Overflow,
    }
}
