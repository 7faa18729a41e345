//! Issue #16's trader commands as one table against a real `vigil devnet` process:
//! `vigil order … --client-id N --expires-in D` (a ClientOrder), `vigil orders`, `vigil
//! modify` (priority kept or lost, as documented), `vigil cancel --client-id`, `vigil order
//! … --stop P | --take-profit P [@ LIMIT]` (a TriggerOrder), an agent key acting with `--as`,
//! and each command's main refusals. The rows run in order, each once (text or `--json`),
//! since each changes the account; a row may save a `--json` value for later rows.

use crate::support::{DevnetProcess, vigil, vigil_json, wait_blocking};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(120);

/// One step: `args` after `vigil` (split on white space, then each `{name}` filled from
/// what setup and earlier rows saved), its exit code, fragments stdout+stderr must hold
/// (also filled), `--json` pointers that must equal a value (`None`: be present), and a
/// pointer whose value is saved as `{key}`.
pub(crate) struct Row {
    point: &'static str,
    json: bool,
    args: &'static str,
    code: i32,
    has: &'static [&'static str],
    pointers: Pointers,
    save: Option<(&'static str, &'static str)>,
}

pub(crate) type Pointers = &'static [(&'static str, Option<&'static str>)];

/// A row run as text: its exit code and the fragments its output must hold.
pub(crate) const fn text(
    point: &'static str,
    args: &'static str,
    code: i32,
    has: &'static [&'static str],
) -> Row {
    Row {
        point,
        json: false,
        args,
        code,
        has,
        pointers: &[],
        save: None,
    }
}

/// A row run with `--json` that succeeds: the pointers that must equal a value, and what
/// to save for later rows.
pub(crate) const fn json(
    point: &'static str,
    args: &'static str,
    pointers: Pointers,
    save: Option<(&'static str, &'static str)>,
) -> Row {
    Row {
        point,
        json: true,
        args,
        code: 0,
        has: &[],
        pointers,
        save,
    }
}

const ROWS: &[Row] = &[
    text(
        "a client id and a good-till-time make a ClientOrder, named in the headline",
        "order buy BTC-PERP 0.01 @ {low} --client-id 7 --expires-in 1h --name dev1",
        0,
        &["order id", "client id 7", "good till", "UTC"],
    ),
    text(
        "orders: id, client id, market, side, price, size, filled, status, expiry",
        "orders --name dev1",
        0,
        &[
            "client id",
            "expiry",
            "BTC-PERP",
            "buy",
            "0.0100",
            "resting",
            "UTC",
        ],
    ),
    json(
        "orders --json: the client id and the sizes with their decimals",
        "orders --account {dev1} --market BTC-PERP",
        &[
            ("/orders/0/client_id", Some("7")),
            ("/orders/0/size_decimal", Some("0.0100")),
            ("/orders/0/status", Some("resting")),
            ("/orders/0/market_symbol", Some("BTC-PERP")),
            ("/orders/0/expires_at_ms", None),
        ],
        Some(("{order}", "/orders/0/nonce")),
    ),
    text(
        "a client id in use is refused with its code",
        "order buy BTC-PERP 0.01 @ {low} --client-id 7 --name dev1",
        1,
        &["client_id_taken"],
    ),
    json(
        "a smaller size at the same price keeps priority",
        "modify --client-id 7 --size 0.005 --name dev1",
        &[("/priority_kept", Some("true")), ("/client_id", Some("7"))],
        None,
    ),
    text(
        "a new price loses priority, and says so; by id",
        "modify {order} --price {lower} --name dev1",
        0,
        &["modified", "time priority lost: the price changed"],
    ),
    text(
        "the history shows one entry per modify, the replaced ones as modified",
        "history orders --name dev1",
        0,
        &["modified", "resting"],
    ),
    text(
        "modify needs new terms",
        "modify --client-id 7 --name dev1",
        2,
        &["give --price P, --size S or both"],
    ),
    text(
        "modify of an unknown order names the list command",
        "modify 12345 --price 1 --name dev1",
        2,
        &["no open order 12345", "`vigil orders --account {dev1}`"],
    ),
    text(
        "cancel by client id",
        "cancel --client-id 7 --name dev1",
        0,
        &["cancelled the order with client id 7"],
    ),
    text(
        "a client id no longer open is refused with its code",
        "cancel --client-id 7 --name dev1",
        1,
        &["client_order_not_found"],
    ),
    json(
        "a stop-market: a TriggerOrder, waiting for the mark",
        "order sell BTC-PERP 0.01 --stop {low} --name dev1",
        &[
            ("/trigger_kind", Some("stop_market")),
            ("/trigger_price", None),
        ],
        Some(("{stop}", "/order_id")),
    ),
    text(
        "a take-profit-limit, reduce-only, in words",
        "order buy BTC-PERP 0.01 @ {low} --take-profit {lower} --reduce-only --name dev1",
        0,
        &[
            "take-profit order id",
            "when the mark falls to",
            "then a limit order @",
            "reduce-only",
        ],
    ),
    text(
        "orders lists the waiting trigger orders",
        "orders --name dev1",
        0,
        &["waiting: stop, mark ≤", "waiting: take profit, mark ≤"],
    ),
    text(
        "cancel by id finds a trigger order's market",
        "cancel {stop} --name dev1",
        0,
        &["cancelled order"],
    ),
    text(
        "a trigger order takes no client id",
        "order buy BTC-PERP 0.01 --stop {low} --client-id 3 --name dev1",
        2,
        &["cannot be used with"],
    ),
    text(
        "a duration needs a unit",
        "order buy BTC-PERP 0.01 @ {low} --expires-in 10 --name dev1",
        2,
        &["give a whole number and a unit"],
    ),
    json(
        "an agent places a client order naming the account",
        "order buy BTC-PERP 0.01 @ {low} --client-id 9 --name bot --as {dev1}",
        &[
            ("/account", Some("{dev1}")),
            ("/agent", Some("{bot}")),
            ("/client_id", Some("9")),
        ],
        None,
    ),
    text(
        "the agent modifies and cancels it by client id",
        "modify --client-id 9 --size 0.02 --name bot --as {dev1}",
        0,
        &["time priority lost: the size grew", "as its agent"],
    ),
    text(
        "the agent cancels by client id",
        "cancel --client-id 9 --name bot --as {dev1}",
        0,
        &["client id 9", "as its agent"],
    ),
];

#[test]
fn client_orders_modify_and_trigger_orders_work_from_the_cli() {
    run_rows(ROWS, setup);
}

/// Every row of `rows` against one fresh devnet, with the values `setup` names.
pub(crate) fn run_rows(rows: &[Row], setup: fn(&Path) -> BTreeMap<String, String>) {
    let home = tempfile::tempdir().expect("temp dir");
    let h = home.path();
    let devnet = DevnetProcess::start(h, &[]).0;
    let mut values = setup(h);
    for row in rows {
        check(h, row, &mut values);
    }
    devnet.stop();
}

/// The mark in whole dollars (`{mark}`), its 93 % and 92 % (inside the 10 % price band)
/// (`{low}`, `{lower}`), dev1's address, and a `bot` key dev1 approved as its agent.
pub(crate) fn setup(h: &Path) -> BTreeMap<String, String> {
    let mark = wait_blocking(PATIENCE, || {
        let json = vigil_json(h, &["markets"]);
        let micro = json["markets"][0]["mark_price"].as_u64()?;
        (micro > 0).then_some(micro / 1_000_000)
    });
    let address = |name: &str| {
        vigil_json(h, &["keys", "show", "--name", name])["account"]
            .as_str()
            .expect("an address")
            .to_string()
    };
    vigil(h, None, &["keys", "new", "--name", "bot"]).ok();
    let (dev1, bot) = (address("dev1"), address("bot"));
    vigil(h, None, &["agent", "approve", &bot, "--name", "dev1"]).ok();
    BTreeMap::from([
        ("{mark}".to_string(), mark.to_string()),
        ("{low}".to_string(), (mark * 93 / 100).to_string()),
        ("{lower}".to_string(), (mark * 92 / 100).to_string()),
        ("{dev1}".to_string(), dev1),
        ("{bot}".to_string(), bot),
    ])
}

pub(crate) fn fill(text: &str, values: &BTreeMap<String, String>) -> String {
    values
        .iter()
        .fold(text.to_string(), |t, (k, v)| t.replace(k.as_str(), v))
}

pub(crate) fn check(h: &Path, row: &Row, values: &mut BTreeMap<String, String>) {
    let point = row.point;
    let mut args: Vec<String> = row
        .args
        .split_whitespace()
        .map(|a| fill(a, values))
        .collect();
    if row.json {
        args.insert(0, "--json".into());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = vigil(h, None, &args);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert_eq!(run.code, row.code, "{point}: {args:?}: {all}");
    for fragment in row.has {
        // Addresses may print checksummed.
        let fragment = fill(fragment, values).to_lowercase();
        assert!(
            all.to_lowercase().contains(&fragment),
            "{point}: {fragment:?} missing: {all}"
        );
    }
    if !row.json || row.code != 0 {
        return;
    }
    let json: serde_json::Value = serde_json::from_str(run.stdout.trim())
        .unwrap_or_else(|e| panic!("{point}: not JSON ({e}): {all}"));
    for (pointer, want) in row.pointers {
        let got = json.pointer(pointer).filter(|v| !v.is_null());
        let got = got.unwrap_or_else(|| panic!("{point}: {pointer} missing: {json}"));
        let text = got.as_str().map_or_else(|| got.to_string(), str::to_string);
        if let Some(want) = want {
            let want = fill(want, values);
            assert_eq!(
                text.to_lowercase(),
                want.to_lowercase(),
                "{point}: {pointer}: {json}"
            );
        }
    }
    if let Some((key, pointer)) = row.save {
        let got = json
            .pointer(pointer)
            .unwrap_or_else(|| panic!("{point}: {pointer}: {json}"));
        values.insert(key.to_string(), got.to_string());
    }
}
