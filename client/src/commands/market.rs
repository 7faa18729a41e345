//! Markets in human terms: a symbol or id to the sequencer's market, sizes and prices in
//! whole units to the protocol's integers (checked against lot and tick here, so a typo is
//! a usage error before anything is signed), the worst acceptable price of a market
//! order, and fresh nonces and expiries for signing.

use super::UsageError;
use crate::sequencer::SequencerClient;
use crate::units::{format_price, format_size, parse_price, parse_size};
use protocol::api::sequencer::MarketInfo;
use protocol::primitives::H256;
use service_client::settlement::SettlementClient;
use std::time::{SystemTime, UNIX_EPOCH};

/// Every market, as the sequencer reports it.
pub async fn markets(seq: &SequencerClient) -> anyhow::Result<Vec<MarketInfo>> {
    Ok(seq.markets().await?.markets)
}

/// The market named `text`: its symbol (any case) or its numeric id.
pub fn find<'a>(markets: &'a [MarketInfo], text: &str) -> Result<&'a MarketInfo, UsageError> {
    let by_id = text.parse::<u32>().ok();
    markets
        .iter()
        .find(|m| m.params.symbol.eq_ignore_ascii_case(text) || Some(m.params.id) == by_id)
        .ok_or_else(|| {
            let known: Vec<&str> = markets.iter().map(|m| m.params.symbol.as_str()).collect();
            UsageError(format!(
                "unknown market {text:?} (markets: {})",
                known.join(", ")
            ))
        })
}

/// The symbol of market `id`, or `#id` if the sequencer does not list it.
pub fn symbol(markets: &[MarketInfo], id: u32) -> String {
    markets
        .iter()
        .find(|m| m.params.id == id)
        .map_or_else(|| format!("#{id}"), |m| m.params.symbol.clone())
}

/// The size decimals of market `id` (0 if unknown, which prints raw lots).
pub fn size_decimals(markets: &[MarketInfo], id: u32) -> u8 {
    markets
        .iter()
        .find(|m| m.params.id == id)
        .map_or(0, |m| m.params.size_decimals)
}

/// A signed size of market `id` (in base lots) with all of the market's decimals
/// ("-0.5000" on BTC-PERP), so a column of sizes lines up.
pub fn market_size(markets: &[MarketInfo], id: u32, lots: impl Into<i128>) -> String {
    crate::units::format_size_fixed(lots.into(), size_decimals(markets, id))
}

/// A price of market `id` at its tick's precision ("57,119", "2,999.95"); all six
/// decimals for a market not in the list.
pub fn market_price(markets: &[MarketInfo], id: u32, micro: u128) -> String {
    let decimals = markets
        .iter()
        .find(|m| m.params.id == id)
        .map_or(6, |m| crate::units::tick_decimals(m.params.tick_size));
    crate::units::format_price_fixed(micro, decimals)
}

/// A size in whole units ("0.5") as lots, positive and on the market's lot size.
pub fn parse_order_size(market: &MarketInfo, text: &str) -> Result<u64, UsageError> {
    let p = &market.params;
    let lots = parse_size(text, p.size_decimals)
        .map_err(|e| UsageError(format!("bad size for {}: {e}", p.symbol)))?;
    if lots == 0 {
        return Err(UsageError(format!("size must be positive, got {text:?}")));
    }
    if lots % p.lot_size != 0 {
        return Err(UsageError(format!(
            "size {text} is not a multiple of {}'s lot size {}",
            p.symbol,
            format_size(p.lot_size, p.size_decimals)
        )));
    }
    Ok(lots)
}

/// A price in USD ("50,000") as micro-USDC, positive and on the market's tick.
pub fn parse_order_price(market: &MarketInfo, text: &str) -> Result<u64, UsageError> {
    let p = &market.params;
    let price = parse_price(text).map_err(|e| UsageError(format!("bad price: {e}")))?;
    if price == 0 {
        return Err(UsageError(format!("price must be positive, got {text:?}")));
    }
    if price % p.tick_size != 0 {
        return Err(UsageError(format!(
            "price {text} is not on {}'s tick of {} (e.g. {} or {})",
            p.symbol,
            format_price(u128::from(p.tick_size)),
            format_price(u128::from(price - price % p.tick_size)),
            format_price(u128::from(price - price % p.tick_size + p.tick_size)),
        )));
    }
    Ok(price)
}

/// The `@ PRICE` words: `[]` (market order), `["@", "50000"]`, `["@50000"]` or `["50000"]`.
pub fn price_words(words: &[String]) -> Result<Option<&str>, UsageError> {
    match words {
        [] => Ok(None),
        [at, price] if at == "@" => Ok(Some(price)),
        [one] if one != "@" => Ok(Some(one.strip_prefix('@').unwrap_or(one))),
        _ => Err(UsageError(format!(
            "expected `@ PRICE` after the size, got {:?}",
            words.join(" ")
        ))),
    }
}

/// A market order's worst acceptable price: `slippage_bps` (default and at most the price
/// band) from the mark, rounded to the tick towards the mark so it stays inside the band.
pub fn worst_price(
    market: &MarketInfo,
    is_buy: bool,
    slippage_bps: Option<u32>,
) -> Result<u64, UsageError> {
    let p = &market.params;
    if market.mark_price == 0 {
        return Err(UsageError(format!(
            "{} has no oracle price yet, so a market order has no reference; give a price (`@ PRICE`)",
            p.symbol
        )));
    }
    let bps = u128::from(
        slippage_bps
            .unwrap_or(p.price_band_bps)
            .min(p.price_band_bps),
    );
    let mark = u128::from(market.mark_price);
    let tick = u128::from(p.tick_size);
    let offset = mark * bps / 10_000;
    let price = if is_buy {
        (mark + offset) / tick * tick
    } else {
        (mark - offset).div_ceil(tick) * tick
    };
    u64::try_from(price)
        .ok()
        .filter(|&p| p > 0)
        .ok_or_else(|| UsageError(format!("no valid market-order price for {}", p.symbol)))
}

/// The EIP-712 domain separator user actions are signed under, from the settlement
/// layer's parameters (its chain id and rollup address are genesis's).
pub async fn action_domain(l1: &SettlementClient) -> anyhow::Result<H256> {
    let params = l1.status().await?.params;
    Ok(protocol::signing::domain_separator(
        params.chain_id,
        &params.verifying_contract,
    ))
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
}

/// A nonce nobody has used: microseconds since the epoch. The chain keeps each account's
/// 64 highest nonces and wants new ones above the lowest of them, which a clock always
/// gives; microseconds keep two commands in the same millisecond apart. It is also the
/// order's id (for `vigil cancel`).
pub fn fresh_nonce() -> u64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(since.as_micros()).unwrap_or(u64::MAX)
}

/// An expiry `secs` from now, in Unix milliseconds.
pub fn expires_in(secs: u64) -> u64 {
    now_ms().saturating_add(secs.saturating_mul(1_000))
}
