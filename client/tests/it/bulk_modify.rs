//! `vigil modify-bulk` (issue #16, PROTOCOL.md Part 4 §27) as one table against a real
//! `vigil devnet` process: dev1 rests two BTC bids, one with a client id; one bulk modify
//! moves one by its short id and shrinks the other in place by its client id, then
//! another moves the first by client id and grows the second; the text and `--json`
//! answers say which kept their time priority, and `vigil orders` shows the new terms.
//! Then its refusals: an unknown id, 17 items and a malformed item (usage, exit 2, naming
//! the item and the next step), an item the chain refuses (exit 1, its code and the item);
//! an order named twice; and the help.
//! The rows run in order, each once, since each changes the account (`client_orders`'
//! row runner).

use crate::client_orders::{Row, check, json, setup, text};
use crate::support::DevnetProcess;
use std::collections::BTreeMap;

/// Rests the two bids: `{c7}` (client id 7, 0.01 at `{low}`) and `{plain}` (0.02 at
/// `{lower}`), whose full id is saved.
const PLACE: &[Row] = &[
    text(
        "a bid with client id 7",
        "order buy BTC-PERP 0.01 @ {low} --client-id 7 --name dev1",
        0,
        &["client id 7"],
    ),
    json(
        "a bid without a client id",
        "order buy BTC-PERP 0.02 @ {lower} --name dev1",
        &[("/order_id", None)],
        Some(("{plain}", "/order_id")),
    ),
];

/// With `{short}`, the last six digits of `{plain}`'s id, as `vigil orders` prints it.
const MODIFY: &[Row] = &[
    text(
        "by short id to a new price, by client id to a smaller size: one action",
        "modify-bulk {short}@{lowest} c7x0.005 --name dev1",
        0,
        &[
            "2 orders of {dev1} modified in one action:",
            "id {short} BTC-PERP 0.0200 @ {lowest_shown} (was 0.0200 @ {lower_shown}): to the back of its price level",
            "BTC-PERP 0.0050 @ {low_shown} (was 0.0100 @ {low_shown}): time priority kept",
            "status    ok",
        ],
    ),
    text(
        "orders shows the new price and the smaller size",
        "orders --name dev1",
        0,
        &["{short}", "{lowest_shown}", "0.0200", "0.0050", "7"],
    ),
    json(
        "--json: the modified list in item order, the receipt's kept_priority",
        "modify-bulk c7@{lower} {short}x0.03 --name dev1",
        &[
            ("/status", Some("ok")),
            ("/account", Some("{dev1}")),
            ("/orders/0/market_symbol", Some("BTC-PERP")),
            ("/orders/0/price_decimal", Some("{lower}.000000")),
            ("/orders/0/size", Some("50")),
            ("/orders/0/size_decimal", Some("0.0050")),
            ("/orders/0/priority_kept", Some("false")),
            ("/orders/1/order_id", Some("{plain}")),
            ("/orders/1/price_decimal", Some("{lowest}.000000")),
            ("/orders/1/size_decimal", Some("0.0300")),
            ("/orders/1/priority_kept", Some("false")),
            ("/receipt/modified/0/kept_priority", Some("false")),
            ("/receipt/modified/1/nonce", Some("{plain}")),
            ("/receipt/modified/1/size", Some("300")),
        ],
        None,
    ),
    json(
        "orders --json: both at their new terms",
        "orders --account {dev1} --market BTC-PERP",
        &[("/orders/0/status", Some("resting"))],
        None,
    ),
    json(
        "an agent shrinks one in place: priority kept",
        "modify-bulk c7x0.004 --name bot --as {dev1}",
        &[
            ("/agent", Some("{bot}")),
            ("/orders/0/priority_kept", Some("true")),
            ("/receipt/modified/0/kept_priority", Some("true")),
        ],
        None,
    ),
    text(
        "an unknown id names the item and the list command; nothing is signed",
        "modify-bulk c7x0.003 999999@1 --name dev1",
        2,
        &[
            "item 2 (999999@1)",
            "has no open order 999999",
            "`vigil orders --account {dev1}` lists them",
        ],
    ),
    text(
        "17 items: the limit and what to do",
        "modify-bulk c7x0.003 c7x0.003 c7x0.003 c7x0.003 c7x0.003 c7x0.003 c7x0.003 c7x0.003 c7x0.003 c7x0.003 c7x0.003 c7x0.003 c7x0.003 c7x0.003 c7x0.003 c7x0.003 c7x0.003 --name dev1",
        2,
        &[
            "17 items",
            "at most 16 orders",
            "split them over several `vigil modify-bulk` runs",
        ],
    ),
    text(
        "a malformed item names its position",
        "modify-bulk c7x0.003 12 --name dev1",
        2,
        &[
            "item 2",
            "give a new price (@PRICE), a new size (xSIZE) or both",
        ],
    ),
    text(
        "an item the chain refuses: its code and the item, and nothing changed",
        "modify-bulk c7x0.003 {short}@1 --name dev1",
        1,
        &["price_outside_band", "item 2"],
    ),
    text(
        "the refused action changed nothing",
        "orders --name dev1",
        0,
        &["0.0040", "0.0300"],
    ),
    text(
        "the same order twice: the second item's `was` is what the first left",
        "modify-bulk c7@{lowest} c7x0.002 --name dev1",
        0,
        &[
            "0.0040 @ {lowest_shown} (was 0.0040 @ {lower_shown}): to the back of its price level",
            "0.0020 @ {lowest_shown} (was 0.0040 @ {lowest_shown}): time priority kept",
        ],
    ),
    text(
        "help: the item syntax, the limit, the rules and the options",
        "modify-bulk --help",
        0,
        &[
            "ORDER[@PRICE][xSIZE]",
            "1 to 16 items",
            "last six digits",
            "All or nothing",
            "Time priority",
            "Never takes liquidity",
            "vigil modify",
            "priority_kept",
            "--as",
            "--name",
            "--json",
        ],
    ),
];

#[test]
fn modify_bulk_moves_orders_on_a_devnet_and_names_what_it_refuses() {
    let home = tempfile::tempdir().expect("temp dir");
    let h = home.path();
    let devnet = DevnetProcess::start(h, &[]).0;
    let mut values = setup(h);
    for row in PLACE {
        check(h, row, &mut values);
    }
    let plain: u64 = values["{plain}"].parse().expect("an order id");
    let mark: u64 = values["{mark}"].parse().expect("the mark");
    let lowest = mark * 91 / 100;
    let more = BTreeMap::from([
        ("{short}", format!("{:06}", plain % 1_000_000)),
        ("{lowest}", lowest.to_string()),
        ("{lowest_shown}", shown(lowest)),
        ("{low_shown}", shown(mark * 93 / 100)),
        ("{lower_shown}", shown(mark * 92 / 100)),
    ]);
    values.extend(more.into_iter().map(|(k, v)| (k.to_string(), v)));
    for row in MODIFY {
        check(h, row, &mut values);
    }
    devnet.stop();
}

/// A whole-dollar BTC price as the CLI prints it: thousands separated, no cents (the
/// tick is 1 USD).
fn shown(dollars: u64) -> String {
    let digits = dollars.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
