//! One `--json` convention for every command (docs/JSON.md): each amount keeps its raw
//! integer in base units under its own name and gains `<name>_decimal`, the same amount as
//! a decimal string in human units; every object that names a market has `market` (the id,
//! as in the sequencer's API), `market_id` and `market_symbol`; a transaction's hash is
//! always (also) `tx_hash`. Applied once to a
//! command's JSON after it ran, so no command can drift from it.

use crate::units::{USDC_DECIMALS, format_decimal_wide};
use protocol::api::sequencer::MarketInfo;
use serde_json::{Map, Value};

/// Fields holding micro-USDC (USDC amounts, and prices in USD per whole unit).
const USDC_FIELDS: &[&str] = &[
    "amount",
    "available_to_withdraw",
    "balance",
    "bond",
    "close",
    "collateral",
    "entry_price",
    "equity",
    "fee",
    "funding",
    "high",
    "index_price",
    "initial_margin",
    "liquidation_price",
    "low",
    "maintenance_margin",
    "maker_fee",
    "mark_price",
    "notional",
    "open",
    "order_margin",
    "payment",
    "price",
    "realized_pnl",
    "taker_fee",
    "unrealized_pnl",
    "worst_price",
];

/// Fields holding base lots of the enclosing object's market.
const SIZE_FIELDS: &[&str] = &[
    "cancelled",
    "filled",
    "long_open_interest",
    "open_interest",
    "remaining",
    "resting",
    "size",
    "volume",
];

/// `json` with the convention applied, `markets` naming the markets and their sizes.
pub fn apply(json: &mut Value, markets: &[MarketInfo]) {
    walk(json, markets, None);
}

/// Whether `json` names a market anywhere (so the markets are worth fetching).
pub fn names_a_market(json: &Value) -> bool {
    match json {
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| k == "market" || k == "market_id" || names_a_market(v)),
        Value::Array(items) => items.iter().any(names_a_market),
        _ => false,
    }
}

fn walk(json: &mut Value, markets: &[MarketInfo], inherited: Option<&MarketInfo>) {
    match json {
        Value::Object(map) => {
            let market = name_market(map, markets).or(inherited);
            add_decimals(map, market);
            // A transaction's hash is `tx_hash` everywhere (`hash` stays where it was).
            if let Some(hash) = map.get("hash").cloned() {
                map.entry("tx_hash").or_insert(hash);
            }
            for value in map.values_mut() {
                walk(value, markets, market);
            }
        }
        Value::Array(items) => {
            for item in items {
                walk(item, markets, inherited);
            }
        }
        _ => {}
    }
}

/// The object's market (by `market`/`market_id`, an id or a symbol), with the three
/// market fields set.
fn name_market<'m>(
    map: &mut Map<String, Value>,
    markets: &'m [MarketInfo],
) -> Option<&'m MarketInfo> {
    let named = map.get("market").or_else(|| map.get("market_id"))?;
    let market = markets.iter().find(|m| match named {
        Value::Number(n) => n.as_u64() == Some(u64::from(m.params.id)),
        Value::String(s) => {
            s.eq_ignore_ascii_case(&m.params.symbol) || s.parse::<u32>().ok() == Some(m.params.id)
        }
        _ => false,
    })?;
    map.insert("market".into(), m_id(market));
    map.insert("market_id".into(), m_id(market));
    map.insert("market_symbol".into(), market.params.symbol.clone().into());
    Some(market)
}

fn m_id(market: &MarketInfo) -> Value {
    market.params.id.into()
}

fn add_decimals(map: &mut Map<String, Value>, market: Option<&MarketInfo>) {
    let mut added = Vec::new();
    for (key, value) in map.iter() {
        let decimals = if USDC_FIELDS.contains(&key.as_str()) {
            USDC_DECIMALS
        } else if SIZE_FIELDS.contains(&key.as_str()) {
            match market {
                Some(m) => m.params.size_decimals,
                None => continue,
            }
        } else {
            continue;
        };
        if let Some(raw) = integer(value) {
            added.push((format!("{key}_decimal"), decimal(raw, decimals)));
        }
    }
    for (key, text) in added {
        map.insert(key, text.into());
    }
}

/// A raw amount: a JSON integer, or a string of one (u64s travel as strings in some DTOs).
fn integer(value: &Value) -> Option<i128> {
    match value {
        Value::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from)),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// `raw` units of 10^-`decimals` as a plain decimal string: no separators, all the
/// decimals, a leading `-` when negative ("-1250.500000").
fn decimal(raw: i128, decimals: u8) -> String {
    let sign = if raw < 0 { "-" } else { "" };
    let text = format_decimal_wide(raw.unsigned_abs(), decimals, decimals).replace(',', "");
    format!("{sign}{text}")
}

#[cfg(test)]
mod tests {
    use super::decimal;

    #[test]
    fn decimals_are_plain_and_complete() {
        let cases = [
            (4_977_500_000, 6, "4977.500000"),
            (-56_000_000, 6, "-56.000000"),
            (5_000, 4, "0.5000"),
            (0, 4, "0.0000"),
            (7, 0, "7"),
        ];
        for (raw, decimals, want) in cases {
            assert_eq!(decimal(raw, decimals), want, "{raw} at {decimals}");
        }
    }
}
