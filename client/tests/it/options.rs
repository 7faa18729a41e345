//! Issue #20's read side from the CLI, as one table against a real `vigil devnet` process:
//! `vigil options chain` (text and `--json`, with its refusals in CLI words), series names
//! in `vigil order`, and series positions with greeks and margin in `vigil positions` and
//! `vigil account`. The rows run in order, each once, since trades change the accounts
//! (the row machinery is `client_orders`'s).

use crate::client_orders::{Row, json, text};
use crate::support::{vigil_json, wait_blocking};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(120);

const ROWS: &[Row] = &[
    text(
        "the chain: one aligned row per series with marks and greeks",
        "options chain BTC-PERP",
        0,
        &[
            "BTC-PERP options: index",
            "series",
            "expiry (UTC)",
            "strike",
            "delta",
            "theta/day",
            "open interest",
            "{call}",
            "{put}",
        ],
    ),
    json(
        "the chain's JSON: names, terms, marks with decimals, greeks",
        "options chain BTC-PERP --expiry {expiry}",
        &[
            ("/underlying", Some("BTC-PERP")),
            ("/series/0/mark_price_decimal", None),
            ("/series/0/greeks/delta_e18", None),
            ("/series/0/tick_size", Some("100000")),
        ],
        None,
    ),
    text(
        "an underlying without options: the one with, as a command",
        "options chain ETH-PERP",
        1,
        &["ETH-PERP lists no series", "`vigil options chain BTC-PERP`"],
    ),
    text(
        "a bad expiry: the forms it takes, as flags",
        "options chain BTC-PERP --expiry soon",
        1,
        &["\"soon\"", "--expiry 2026-12-31"],
    ),
    text(
        "an unlisted series name: how many are listed and the command listing them",
        "order buy BTC-20000101-1-C 1 @ 10 --name dev0",
        2,
        &["no listed series", "`vigil options chain BTC-PERP`"],
    ),
    text(
        "a series ask by name, named in the headline",
        "order sell {call} 0.1 @ 120 --name dev1",
        0,
        &["order id", "accepted: sell 0.1000 {call} @ 120"],
    ),
    json(
        "buying the call by name fills it",
        "order buy {call} 0.1 @ 120 --name dev0",
        &[("/receipt/order/filled", Some("1000"))],
        None,
    ),
    text(
        "dev0 bids for the put",
        "order buy {put} 0.1 @ 80 --name dev0",
        0,
        &["{put}"],
    ),
    text(
        "dev2 sells the put into it",
        "order sell {put} 0.1 @ 80 --name dev2",
        0,
        &["filled    0.1000", "fill      0.1000 {put} @ 80"],
    ),
    text(
        "positions: the series with side, contracts, mark, value and greeks",
        "positions --name dev0",
        0,
        &["series", "contracts", "delta", "{call}", "{put}", "long"],
    ),
    json(
        "the account's JSON: the short put with its margin",
        "account --name dev2",
        &[
            ("/option_positions/0/name", Some("{put}")),
            ("/option_positions/0/size", Some("-1000")),
            ("/option_positions/0/initial_margin", None),
            ("/option_positions/0/greeks/delta_e18", None),
        ],
        None,
    ),
    text(
        "the account's text: the short put and the margin it carries",
        "account --name dev2",
        0,
        &["{put}", "short", "initial margin"],
    ),
    text(
        "a resting series order is named in orders",
        "order buy {call} 0.1 @ 1 --name dev1",
        0,
        &["{call}"],
    ),
    text(
        "orders names the series",
        "orders --name dev1",
        0,
        &["{call}", "resting"],
    ),
];

#[test]
fn option_chain_orders_and_positions_work_from_the_cli() {
    crate::client_orders::run_rows(ROWS, setup);
}

/// The at-the-money call and put of the listed chain (`{call}`, `{put}`) and their expiry
/// date (`{expiry}`), once the oracle's first index has listed them.
fn setup(h: &Path) -> BTreeMap<String, String> {
    let chain = wait_blocking(PATIENCE, || {
        let chain = vigil_json(h, &["options", "chain", "BTC-PERP"]);
        let listed = chain["series"].as_array().is_some_and(|s| !s.is_empty());
        listed.then_some(chain)
    });
    let index = chain["index_price"].as_u64().expect("index");
    let series = chain["series"].as_array().expect("series");
    let distance = |s: &serde_json::Value| s["strike_price"].as_u64().unwrap_or(0).abs_diff(index);
    let nearest = series.iter().map(distance).min().expect("a series");
    let pick = |kind: &str| {
        series
            .iter()
            .find(|s| distance(s) == nearest && s["kind"] == kind)
            .expect("at the money")
    };
    let (call, put) = (pick("call"), pick("put"));
    let expiry = call["name"]
        .as_str()
        .expect("name")
        .split('-')
        .nth(1)
        .expect("date");
    BTreeMap::from([
        (
            "{call}".to_string(),
            call["name"].as_str().expect("name").to_string(),
        ),
        (
            "{put}".to_string(),
            put["name"].as_str().expect("name").to_string(),
        ),
        ("{expiry}".to_string(), expiry.to_string()),
    ])
}
