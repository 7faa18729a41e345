//! `vigil options chain UNDERLYING [--expiry DATE]`: the sequencer's option chain
//! (`GET /v1/options/chain`) as an aligned table, and option series as instruments for the
//! other commands: a series name (`BTC-20261231-50000-C`) or id resolves to a `MarketInfo`
//! with the series' terms (its premium tick, the underlying's size decimals and lot), so
//! `vigil order`, receipts, `vigil orders` and `vigil account` name series the way they
//! name markets, through the same `market::find`/`symbol` code.

use super::market::markets;
use super::network::Endpoints;
use super::{Output, UsageError, table};
use crate::cli::{ChainArgs, Cli};
use crate::sequencer::SequencerClient;
use crate::units::{format_decimal_wide, format_size_fixed, format_utc, tick_decimals};
use protocol::api::sequencer::MarketInfo;
use protocol::engine::option_quote::{Greeks, SeriesQuote};
use protocol::engine::option_risk::is_series;
use protocol::engine::option_view::civil_date;
use protocol::engine::view::BreakerView;
use protocol::genesis::MarketParams;
use sequencer::http::options::OptionChainResponse;
use service_client::http::{ServiceError, ServiceHttp};

/// `GET /v1/options/chain?underlying=…[&expiry=…]`.
pub async fn fetch_chain(
    seq: &SequencerClient,
    underlying: &str,
    expiry: Option<&str>,
) -> Result<OptionChainResponse, ServiceError> {
    let mut path = format!("/v1/options/chain?underlying={}", query_word(underlying));
    if let Some(expiry) = expiry {
        path.push_str(&format!("&expiry={}", query_word(expiry)));
    }
    ServiceHttp::new("sequencer", seq.base_url())
        .get(&path)
        .await
}

/// A query value: symbols, dates and ids need no escaping; anything else is dropped to
/// what can be sent, and the sequencer's 4xx names it.
fn query_word(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect()
}

pub async fn chain(cli: &Cli, args: &ChainArgs) -> anyhow::Result<Output> {
    let seq = Endpoints::resolve(cli)?.sequencer();
    let chain = fetch_chain(&seq, &args.underlying, args.expiry.as_deref())
        .await
        .map_err(in_cli_words)?;
    let markets = markets(&seq).await?;
    let json = serde_json::to_value(&chain)?;
    Ok(Output {
        text: chain_text(&chain, &markets),
        json,
    })
}

/// The chain as a headline (index, vol) over one row per series.
pub fn chain_text(chain: &OptionChainResponse, markets: &[MarketInfo]) -> String {
    let index = super::market::market_price(markets, chain.market, u128::from(chain.index_price));
    let vol = format_decimal_wide(u128::from(chain.implied_vol_ppm), 4, 1);
    let mut text = format!(
        "{} options: index {index}, implied vol {vol} %{}",
        chain.underlying,
        if chain.implied_vol_ppm == 0 {
            " (none signed yet: marks are intrinsic values)"
        } else {
            ""
        }
    );
    if chain.series.is_empty() {
        text.push_str(&format!(
            "\nno series listed yet (the first index price lists them; `vigil markets` shows {}'s)",
            chain.underlying
        ));
        return text;
    }
    let header = [
        "series",
        "expiry (UTC)",
        "strike",
        "type",
        "bid",
        "ask",
        "mark",
        "delta",
        "gamma",
        "vega",
        "theta/day",
        "open interest",
    ];
    let rows: Vec<Vec<String>> = chain.series.iter().map(series_row).collect();
    text.push('\n');
    text.push_str(&table::render(&header, &rows, 4));
    text.push_str("\ngamma per USDC of index, vega in USDC per vol point, theta in USDC per day, per contract");
    text
}

fn series_row(q: &SeriesQuote) -> Vec<String> {
    let premium = |p: Option<u64>| {
        p.map_or_else(
            || "-".to_string(),
            |p| crate::units::format_price_fixed(u128::from(p), tick_decimals(q.tick_size)),
        )
    };
    let mut row = vec![
        q.name.clone(),
        format_utc(q.expiry_ms),
        crate::units::format_price_fixed(u128::from(q.strike_price), 0),
        format!("{:?}", q.kind).to_lowercase(),
        premium(q.best_bid),
        premium(q.best_ask),
        premium(Some(q.mark_price)),
    ];
    row.extend(greek_cells(&q.greeks));
    row.push(format_size_fixed(
        i128::from(q.open_interest),
        q.size_decimals,
    ));
    row
}

/// Delta (4 decimals), gamma (6), vega and theta (USDC, 2), as the tables print them.
pub fn greek_cells(g: &Greeks) -> [String; 4] {
    [
        fixed(g.delta_e18, 18, 4),
        fixed(g.gamma_e18, 18, 6),
        fixed(g.vega_e18, 24, 2),
        fixed(g.theta_e18, 24, 2),
    ]
}

/// `value / 10^scale` at `decimals` decimals, rounded half away from zero.
fn fixed(value: i128, scale: u32, decimals: u8) -> String {
    let step = 10u128.pow(scale - u32::from(decimals));
    let rounded = (value.unsigned_abs() + step / 2) / step;
    let sign = if value < 0 && rounded != 0 { "-" } else { "" };
    format!("{sign}{}", format_decimal_wide(rounded, decimals, decimals))
}

/// A refused chain query with the sequencer's next step as the command to run
/// (`GET /v1/options/chain?underlying=BTC-PERP&expiry=2026-12-31` →
/// `vigil options chain BTC-PERP --expiry 2026-12-31`), keeping its stable code.
fn in_cli_words(e: ServiceError) -> anyhow::Error {
    let (code, message) = match e {
        ServiceError::Api { code, message, .. } => (code, message),
        other => return other.into(),
    };
    const PATH: &str = "GET /v1/options/chain?underlying=";
    let reworded = match message.find(PATH) {
        Some(at) => {
            let query = message[at + PATH.len()..]
                .split(|c: char| c.is_whitespace() || c == ')')
                .next()
                .unwrap_or_default();
            let (symbol, expiry) = query.split_once("&expiry=").unwrap_or((query, ""));
            let command = if expiry.is_empty() {
                format!("`vigil options chain {symbol}`")
            } else {
                format!("`vigil options chain {symbol} --expiry {expiry}`")
            };
            format!(
                "{}{command}{}",
                &message[..at],
                &message[at + PATH.len() + query.len()..]
            )
        }
        None => message,
    };
    let reworded = reworded
        .replace(
            "(expiry=2026-12-31 or expiry=20261231)",
            "(--expiry 2026-12-31 or --expiry 20261231)",
        )
        .replace("or leave expiry out", "or leave --expiry out");
    super::Explained {
        message: reworded,
        code,
    }
    .into()
}

/// A series as an instrument the trading commands know: its name as the symbol, its
/// premium tick, the underlying's size decimals, lot and fees, no band or margin bps (the
/// series' own terms, Part 8 §11), and its mark.
fn series_market(
    q: &SeriesQuote,
    underlying: &MarketInfo,
    chain: &OptionChainResponse,
) -> MarketInfo {
    MarketInfo {
        params: MarketParams {
            id: q.id,
            symbol: q.name.clone(),
            tick_size: q.tick_size,
            size_decimals: q.size_decimals,
            lot_size: q.lot_size,
            initial_margin_bps: 0,
            maintenance_margin_bps: 0,
            price_band_bps: 0,
            ..underlying.params.clone()
        },
        mark_price: q.mark_price,
        index_price: chain.index_price,
        price_timestamp_ms: chain.index_timestamp_ms,
        funding_index: 0,
        long_open_interest: q.open_interest,
        breaker: BreakerView::default(),
    }
}

/// `markets` with every listed series of every underlying that has options appended (the
/// underlyings without answer 404 and are skipped).
pub async fn with_series(
    seq: &SequencerClient,
    markets: Vec<MarketInfo>,
) -> anyhow::Result<Vec<MarketInfo>> {
    let mut all = markets.clone();
    for underlying in &markets {
        match fetch_chain(seq, &underlying.params.id.to_string(), None).await {
            Ok(chain) => all.extend(
                chain
                    .series
                    .iter()
                    .map(|q| series_market(q, underlying, &chain)),
            ),
            Err(ServiceError::Api { status: 404, .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(all)
}

/// `markets`, with the listed series too when `text` names a series (a series name such
/// as `BTC-20261231-50000-C` or an id from 2^31): what `vigil order` resolves against.
pub async fn instruments_for(
    seq: &SequencerClient,
    markets: Vec<MarketInfo>,
    text: &str,
) -> anyhow::Result<Vec<MarketInfo>> {
    if looks_like_series(text) {
        return with_series(seq, markets).await;
    }
    Ok(markets)
}

/// `markets`, with the listed series too when any of `ids` is a series id: what the
/// views resolve names against.
pub async fn instruments_naming(
    seq: &SequencerClient,
    markets: Vec<MarketInfo>,
    mut ids: impl Iterator<Item = u32>,
) -> anyhow::Result<Vec<MarketInfo>> {
    if ids.any(is_series) {
        return with_series(seq, markets).await;
    }
    Ok(markets)
}

/// `UNDERLYING-YYYYMMDD-STRIKE-C|P`, or a numeric id from 2^31.
pub fn looks_like_series(text: &str) -> bool {
    if let Ok(id) = text.parse::<u32>() {
        return is_series(id);
    }
    let parts: Vec<&str> = text.split('-').collect();
    matches!(parts.as_slice(), [_, date, _, kind]
        if date.len() == 8 && date.chars().all(|c| c.is_ascii_digit())
            && matches!(*kind, "C" | "P" | "c" | "p"))
}

/// The refusal for a series name that is not listed, with the listed ones of its
/// underlying's date and the command that lists them all.
pub fn unknown_series(text: &str, instruments: &[MarketInfo]) -> UsageError {
    let listed: Vec<&str> = instruments
        .iter()
        .filter(|m| is_series(m.params.id))
        .map(|m| m.params.symbol.as_str())
        .collect();
    let underlying = text.split('-').next().unwrap_or("BTC");
    let some: Vec<&str> = listed.iter().take(4).copied().collect();
    UsageError(format!(
        "no listed series {text:?} ({} listed{}); `vigil options chain {underlying}-PERP` lists them",
        listed.len(),
        if some.is_empty() {
            String::new()
        } else {
            format!(", e.g. {}", some.join(", "))
        }
    ))
}

/// `GET /v1/accounts/{address}` with the option series positions beside the engine's view.
pub async fn account_body(
    seq: &SequencerClient,
    address: &protocol::primitives::Address,
) -> Result<sequencer::view::AccountBody, ServiceError> {
    ServiceHttp::new("sequencer", seq.base_url())
        .get(&format!("/v1/accounts/{address}"))
        .await
}

/// An account's series positions as a table: side, contracts, mark, value, margin and the
/// position's greeks ("" when it holds none).
pub fn positions_table(
    positions: &[protocol::engine::option_quote::OptionPositionView],
    instruments: &[MarketInfo],
) -> String {
    if positions.is_empty() {
        return String::new();
    }
    let header = [
        "series",
        "side",
        "contracts",
        "mark",
        "value",
        "initial margin",
        "delta",
        "gamma",
        "vega",
        "theta/day",
    ];
    let rows: Vec<Vec<String>> = positions
        .iter()
        .map(|p| {
            let mut row = vec![
                p.name.clone(),
                (if p.size < 0 { "short" } else { "long" }).to_string(),
                format_size_fixed(
                    p.size.abs(),
                    super::market::size_decimals(instruments, p.series),
                ),
                super::market::market_price(instruments, p.series, u128::from(p.mark_price)),
                crate::units::format_usdc_fixed(p.value),
                crate::units::format_usdc_fixed(p.initial_margin),
            ];
            row.extend(greek_cells(&p.greeks));
            row
        })
        .collect();
    format!(
        "{}
option positions: value and margin are in the account's equity and margin above; greeks are the position's (contract greeks × contracts)",
        table::render(&header, &rows, 2)
    )
}

/// Whether `json` names an option series as a market (`market` or `market_id` from 2^31
/// or a series name, an option position's `series`), so `--json` output needs the chain to
/// name it and size it.
pub fn names_a_series(json: &serde_json::Value) -> bool {
    use serde_json::Value;
    let series = |v: &Value| match v {
        Value::String(name) => looks_like_series(name),
        _ => v
            .as_u64()
            .and_then(|id| u32::try_from(id).ok())
            .is_some_and(is_series),
    };
    match json {
        Value::Object(map) => map.iter().any(|(k, v)| {
            (matches!(k.as_str(), "market" | "market_id" | "series") && series(v))
                || names_a_series(v)
        }),
        Value::Array(items) => items.iter().any(names_a_series),
        _ => false,
    }
}

/// The UTC date of an expiry as `2026-12-31`.
pub fn expiry_date(expiry_ms: u64) -> String {
    let (y, m, d) = civil_date(expiry_ms / 86_400_000);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_names_and_greeks_read_as_documented() {
        let names = [
            ("BTC-20261231-50000-C", true),
            ("btc-20261231-50000-p", true),
            ("BTC-PERP", false),
            ("2147483648", true),
            ("1", false),
            ("BTC-2026-50000-C", false),
        ];
        for (text, want) in names {
            assert_eq!(looks_like_series(text), want, "{text}");
        }
        let g = Greeks {
            delta_e18: 523_456_789_000_000_000,
            gamma_e18: 160_000_000_000_000,
            vega_e18: -12_345_000_000_000_000_000_000_000,
            theta_e18: -4_000_000_000_000_000_000,
        };
        assert_eq!(
            greek_cells(&g),
            [
                "0.5235".to_string(),
                "0.000160".to_string(),
                "-12.35".to_string(),
                "0.00".to_string()
            ]
        );
    }
}
