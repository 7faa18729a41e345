//! One `--json` convention for every command (docs/JSON.md): each amount keeps its raw
//! integer in base units under its own name and gains `<name>_decimal`, the same amount as
//! a decimal string in human units; every object that names a market has `market` (the id,
//! as in the sequencer's API), `market_id` and `market_symbol`; a transaction's hash is
//! always (also) `tx_hash`; an account's address is `account` (never `address`); a
//! transaction's index within its batch is `index_in_batch` (never `position`, which a
//! trader reads as a position). Applied once to a command's JSON after it ran, so no
//! command can drift from it.

use crate::units::{USDC_DECIMALS, format_decimal_wide};
use protocol::api::sequencer::MarketInfo;
use serde_json::{Map, Value};

/// Fields holding micro-USDC (USDC amounts on L2 and the L1 token, which has USDC's six
/// decimals; prices in USD per whole unit).
const USDC_FIELDS: &[&str] = &[
    "amount",
    "available_to_withdraw",
    "balance",
    "balance_after",
    "balance_before",
    "balances",
    "bond",
    "bonds",
    "burned",
    "challenger_balance_after",
    "challenger_balance_before",
    "challenger_reward",
    "close",
    "collateral",
    "entry_price",
    "equity",
    "escrow",
    "fee",
    "funding",
    "high",
    "index_price",
    "initial_margin",
    "isolated_equity",
    "isolated_maintenance_margin",
    "isolated_margin",
    "liquidation_price",
    "low",
    "maintenance_margin",
    "maker_fee",
    "mark_price",
    "minted",
    "notional",
    "open",
    "order_margin",
    "paid_total",
    "payment",
    "price",
    "realized_pnl",
    "reward",
    "settlement_price",
    "slashed",
    "strike_price",
    "taker_fee",
    "tick_size",
    "trigger_price",
    "unrealized_pnl",
    "value",
    "worst_price",
];

/// Names this schema replaces, with the one it uses instead: where the value is an
/// integer (`position` is a tx's index within its batch, never a trading position), or
/// any value (an account's address is `account` in every command).
const RENAMED: &[(&str, &str, bool)] = &[
    ("address", "account", false),
    ("position", "index_in_batch", true),
];

/// Fields whose value is protocol data printed to be checked again (a receipt proof that
/// `vigil verify` prints decodes as `ReceiptProof`): kept byte for byte, never renamed or
/// given decimals.
const VERBATIM: &[&str] = &["proof"];

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

/// A raw amount as this schema writes it: a JSON number, or a string of digits beyond
/// what a JSON number holds exactly (2^53).
pub fn raw_integer(raw: i128) -> Value {
    const EXACT: i128 = 1 << 53;
    match i64::try_from(raw) {
        Ok(n) if (-EXACT..=EXACT).contains(&raw) => n.into(),
        _ => raw.to_string().into(),
    }
}

/// `json` with the convention applied, `markets` naming the markets and their sizes.
pub fn apply(json: &mut Value, markets: &[MarketInfo]) {
    walk(json, markets, None);
}

/// Whether `json` names a market anywhere (so the markets are worth fetching): a
/// `market`, a `market_id`, or an option position's numeric `series`.
pub fn names_a_market(json: &Value) -> bool {
    match json {
        Value::Object(map) => map.iter().any(|(k, v)| {
            k == "market"
                || k == "market_id"
                || (k == "series" && v.is_number())
                || names_a_market(v)
        }),
        Value::Array(items) => items.iter().any(names_a_market),
        _ => false,
    }
}

fn walk(json: &mut Value, markets: &[MarketInfo], inherited: Option<&MarketInfo>) {
    match json {
        Value::Object(map) => {
            let market = name_market(map, markets).or(inherited);
            rename(map);
            add_decimals(map, market);
            // A transaction's hash is `tx_hash` everywhere (`hash` stays where it was).
            if let Some(hash) = map.get("hash").cloned() {
                map.entry("tx_hash").or_insert(hash);
            }
            for (key, value) in map.iter_mut() {
                if !VERBATIM.contains(&key.as_str()) {
                    walk(value, markets, market);
                }
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

/// The object's market (by `market`/`market_id`, an id or a symbol; an option position
/// names its series by the numeric `series`), with the three market fields set.
fn name_market<'m>(
    map: &mut Map<String, Value>,
    markets: &'m [MarketInfo],
) -> Option<&'m MarketInfo> {
    let series = map.get("series").filter(|v| v.is_number());
    let named = map
        .get("market")
        .or_else(|| map.get("market_id"))
        .or(series)?;
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

/// Applies [`RENAMED`]: the old name goes; if the object already has the new name with
/// another value, the old one stays rather than lose it.
fn rename(map: &mut Map<String, Value>) {
    for (old, new, integers_only) in RENAMED {
        let Some(value) = map.get(*old) else {
            continue;
        };
        if *integers_only && integer(value).is_none() {
            continue;
        }
        match map.get(*new) {
            Some(existing) if existing != value => {}
            _ => {
                let value = map.remove(*old).expect("present");
                map.insert((*new).to_string(), value);
            }
        }
    }
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
    use super::{apply, decimal, raw_integer};
    use protocol::api::sequencer::MarketInfo;
    use protocol::genesis::Genesis;
    use protocol::primitives::Address;
    use serde_json::{Value, json};

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

    #[test]
    fn raw_integers_are_numbers_while_exact() {
        let table: [(i128, Value); 4] = [
            (0, json!(0)),
            (-1_500_000, json!(-1_500_000)),
            (1 << 53, json!(9_007_199_254_740_992u64)),
            ((1 << 53) + 1, json!("9007199254740993")),
        ];
        for (raw, want) in table {
            assert_eq!(raw_integer(raw), want, "{raw}");
        }
    }

    /// An option series' id (from 2^31), named `BTC-20261231-50000-C` in [`markets`].
    const SERIES: u32 = 1 << 31;

    /// The devnet's markets and one BTC call series.
    fn markets() -> Vec<MarketInfo> {
        let perps = Genesis::devnet(1, Address([1; 20]), Address([2; 20])).markets;
        let mut series = perps[0].clone();
        series.id = SERIES;
        series.symbol = "BTC-20261231-50000-C".into();
        perps
            .into_iter()
            .chain([series])
            .map(|params| MarketInfo {
                params,
                mark_price: 0,
                index_price: 0,
                price_timestamp_ms: 0,
                funding_index: 0,
                long_open_interest: 0,
                breaker: Default::default(),
            })
            .collect()
    }

    /// One row per rule of docs/JSON.md: what a command produced, and what `--json` prints.
    #[test]
    fn every_command_gets_one_schema() {
        let table: Vec<(&str, Value, Value)> = vec![
            (
                "an account view's address is its account",
                json!({"address": "0xab", "collateral": 1_500_000}),
                json!({"account": "0xab", "collateral": 1_500_000, "collateral_decimal": "1.500000"}),
            ),
            (
                "keys and l1 answers name the account the same way",
                json!({"keys": [{"name": "dev0", "address": "0xab"}]}),
                json!({"keys": [{"name": "dev0", "account": "0xab"}]}),
            ),
            (
                "an address beside a different account is kept, not lost",
                json!({"account": "0xab", "address": "0xcd"}),
                json!({"account": "0xab", "address": "0xcd"}),
            ),
            (
                "a tx's place in its batch is index_in_batch",
                json!({"seq": 7, "batch_index": 2, "position": 3, "hash": "0x01"}),
                json!({"seq": 7, "batch_index": 2, "index_in_batch": 3, "hash": "0x01", "tx_hash": "0x01"}),
            ),
            (
                "a position object is not renamed",
                json!({"position": {"size": 5}}),
                json!({"position": {"size": 5}}),
            ),
            (
                "a printed proof stays the protocol's bytes (it is checked again)",
                json!({"proof": {"position": 3, "address": "0xab", "fee": 1}}),
                json!({"proof": {"position": 3, "address": "0xab", "fee": 1}}),
            ),
            (
                "a symbol market gains its id and sizes their decimals",
                json!({"market": "BTC-PERP", "size": 5_000, "price": 50_000_000_000u64}),
                json!({"market": 1, "market_id": 1, "market_symbol": "BTC-PERP",
                       "size": 5_000, "size_decimal": "0.5000",
                       "price": 50_000_000_000u64, "price_decimal": "50000.000000"}),
            ),
            (
                "demo amounts: numbers with their decimals",
                json!({"slashed": 1_000_000_000, "challenger_reward": 500_000_000,
                       "burned": 500_000_000, "balance_before": 0, "balance_after": 1_000_000}),
                json!({"slashed": 1_000_000_000, "slashed_decimal": "1000.000000",
                       "challenger_reward": 500_000_000, "challenger_reward_decimal": "500.000000",
                       "burned": 500_000_000, "burned_decimal": "500.000000",
                       "balance_before": 0, "balance_before_decimal": "0.000000",
                       "balance_after": 1_000_000, "balance_after_decimal": "1.000000"}),
            ),
            (
                "an option order names its series by name: id, symbol and sized lots",
                json!({"market": "BTC-20261231-50000-C", "receipt": {"order": {"filled": 1_000}}}),
                json!({"market": SERIES, "market_id": SERIES, "market_symbol": "BTC-20261231-50000-C",
                       "receipt": {"order": {"filled": 1_000, "filled_decimal": "0.1000"}}}),
            ),
            (
                "an option position names its series by id; its value and strike are USDC",
                json!({"series": SERIES, "size": -1_000, "value": -25_000_000, "strike_price": 50_000_000_000u64}),
                json!({"series": SERIES, "market": SERIES, "market_id": SERIES,
                       "market_symbol": "BTC-20261231-50000-C",
                       "size": -1_000, "size_decimal": "-0.1000",
                       "value": -25_000_000, "value_decimal": "-25.000000",
                       "strike_price": 50_000_000_000u64, "strike_price_decimal": "50000.000000"}),
            ),
            (
                "a challenge's outcome: the reward in USDC",
                json!({"outcome": {"outcome": "upheld", "reward": 500_000_000}}),
                json!({"outcome": {"outcome": "upheld", "reward": 500_000_000, "reward_decimal": "500.000000"}}),
            ),
            (
                "a size without a market keeps only its raw integer",
                json!({"size": 10_000}),
                json!({"size": 10_000}),
            ),
        ];
        let markets = markets();
        for (what, mut got, want) in table {
            apply(&mut got, &markets);
            assert_eq!(got, want, "{what}");
        }
    }
}
