//! Issue #16's trader commands as one table against a real `vigil devnet` process:
//! `vigil order … --client-id N --expires-in D` (a ClientOrder), `vigil orders`, `vigil
//! modify` (priority kept or lost, as documented), `vigil cancel --client-id`, `vigil order
//! … --stop P | --take-profit P [@ LIMIT]` (a TriggerOrder), an agent key acting with `--as`,
//! and each command's main refusals. The rows run in order, each once (text or `--json`),
//! since each changes the account; a row may save a `--json` value for later rows.

use crate::support::{DevnetProcess, vigil};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

const PATIENCE: Duration = Duration::from_secs(120);

/// One step: `args` after `vigil` (`{name}` filled from what setup and earlier rows
/// saved), its exit code, fragments stdout+stderr must hold (also filled), `--json` pointers
/// that must equal a value (`None`: be present), and a pointer whose value is saved as
/// `{key}`.
struct Row {
    point: &'static str,
    json: bool,
    args: &'static [&'static str],
    code: i32,
    has: &'static [&'static str],
    pointers: &'static [(&'static str, Option<&'static str>)],
    save: Option<(&'static str, &'static str)>,
}

const ROWS: &[Row] = &[
    Row {
        point: "a client id and a good-till-time make a ClientOrder, named in the headline",
        json: false,
        args: &[
            "order",
            "buy",
            "BTC-PERP",
            "0.01",
            "@",
            "{low}",
            "--client-id",
            "7",
            "--expires-in",
            "1h",
            "--name",
            "dev1",
        ],
        code: 0,
        has: &["order id", "client id 7", "good till", "UTC"],
        pointers: &[],
        save: None,
    },
    Row {
        point: "orders: id, client id, market, side, price, size, filled, status, expiry",
        json: false,
        args: &["orders", "--name", "dev1"],
        code: 0,
        has: &[
            "client id",
            "expiry",
            "BTC-PERP",
            "buy",
            "0.0100",
            "resting",
            "UTC",
        ],
        pointers: &[],
        save: None,
    },
    Row {
        point: "orders --json: the client id and the sizes with their decimals",
        json: true,
        args: &["orders", "--account", "{dev1}", "--market", "BTC-PERP"],
        code: 0,
        has: &[],
        pointers: &[
            ("/orders/0/client_id", Some("7")),
            ("/orders/0/size_decimal", Some("0.0100")),
            ("/orders/0/status", Some("resting")),
            ("/orders/0/market_symbol", Some("BTC-PERP")),
            ("/orders/0/expires_at_ms", None),
        ],
        save: Some(("{order}", "/orders/0/nonce")),
    },
    Row {
        point: "a client id in use is refused with its code",
        json: false,
        args: &[
            "order",
            "buy",
            "BTC-PERP",
            "0.01",
            "@",
            "{low}",
            "--client-id",
            "7",
            "--name",
            "dev1",
        ],
        code: 1,
        has: &["client_id_taken"],
        pointers: &[],
        save: None,
    },
    Row {
        point: "a smaller size at the same price keeps priority",
        json: true,
        args: &[
            "modify",
            "--client-id",
            "7",
            "--size",
            "0.005",
            "--name",
            "dev1",
        ],
        code: 0,
        has: &[],
        pointers: &[("/priority_kept", Some("true")), ("/client_id", Some("7"))],
        save: None,
    },
    Row {
        point: "a new price loses priority, and says so; by id",
        json: false,
        args: &["modify", "{order}", "--price", "{lower}", "--name", "dev1"],
        code: 0,
        has: &["modified", "time priority lost: the price changed"],
        pointers: &[],
        save: None,
    },
    Row {
        point: "the history shows one entry per modify, the replaced ones as modified",
        json: false,
        args: &["history", "orders", "--name", "dev1"],
        code: 0,
        has: &["modified", "resting"],
        pointers: &[],
        save: None,
    },
    Row {
        point: "modify needs new terms",
        json: false,
        args: &["modify", "--client-id", "7", "--name", "dev1"],
        code: 2,
        has: &["give --price P, --size S or both"],
        pointers: &[],
        save: None,
    },
    Row {
        point: "modify of an unknown order names the list command",
        json: false,
        args: &["modify", "12345", "--price", "1", "--name", "dev1"],
        code: 2,
        has: &["no open order 12345", "`vigil orders --account {dev1}`"],
        pointers: &[],
        save: None,
    },
    Row {
        point: "cancel by client id",
        json: false,
        args: &["cancel", "--client-id", "7", "--name", "dev1"],
        code: 0,
        has: &["cancelled the order with client id 7"],
        pointers: &[],
        save: None,
    },
    Row {
        point: "a client id no longer open is refused with its code",
        json: false,
        args: &["cancel", "--client-id", "7", "--name", "dev1"],
        code: 1,
        has: &["client_order_not_found"],
        pointers: &[],
        save: None,
    },
    Row {
        point: "a stop-market: a TriggerOrder, waiting for the mark",
        json: true,
        args: &[
            "order", "sell", "BTC-PERP", "0.01", "--stop", "{low}", "--name", "dev1",
        ],
        code: 0,
        has: &[],
        pointers: &[
            ("/trigger_kind", Some("stop_market")),
            ("/trigger_price", None),
        ],
        save: Some(("{stop}", "/order_id")),
    },
    Row {
        point: "a take-profit-limit, reduce-only, in words",
        json: false,
        args: &[
            "order",
            "buy",
            "BTC-PERP",
            "0.01",
            "@",
            "{low}",
            "--take-profit",
            "{lower}",
            "--reduce-only",
            "--name",
            "dev1",
        ],
        code: 0,
        has: &[
            "take-profit order id",
            "when the mark falls to",
            "then a limit order @",
            "reduce-only",
        ],
        pointers: &[],
        save: None,
    },
    Row {
        point: "orders lists the waiting trigger orders",
        json: false,
        args: &["orders", "--name", "dev1"],
        code: 0,
        has: &["waiting: stop, mark ≤", "waiting: take profit, mark ≤"],
        pointers: &[],
        save: None,
    },
    Row {
        point: "cancel by id finds a trigger order's market",
        json: false,
        args: &["cancel", "{stop}", "--name", "dev1"],
        code: 0,
        has: &["cancelled order {stop}"],
        pointers: &[],
        save: None,
    },
    Row {
        point: "a trigger order takes no client id",
        json: false,
        args: &[
            "order",
            "buy",
            "BTC-PERP",
            "0.01",
            "--stop",
            "{low}",
            "--client-id",
            "3",
            "--name",
            "dev1",
        ],
        code: 2,
        has: &["cannot be used with"],
        pointers: &[],
        save: None,
    },
    Row {
        point: "a duration needs a unit",
        json: false,
        args: &[
            "order",
            "buy",
            "BTC-PERP",
            "0.01",
            "@",
            "{low}",
            "--expires-in",
            "10",
            "--name",
            "dev1",
        ],
        code: 2,
        has: &["give a whole number and a unit"],
        pointers: &[],
        save: None,
    },
    Row {
        point: "an agent places a client order naming the account",
        json: true,
        args: &[
            "order",
            "buy",
            "BTC-PERP",
            "0.01",
            "@",
            "{low}",
            "--client-id",
            "9",
            "--name",
            "bot",
            "--as",
            "{dev1}",
        ],
        code: 0,
        has: &[],
        pointers: &[
            ("/account", Some("{dev1}")),
            ("/agent", Some("{bot}")),
            ("/client_id", Some("9")),
        ],
        save: None,
    },
    Row {
        point: "the agent modifies and cancels it by client id",
        json: false,
        args: &[
            "modify",
            "--client-id",
            "9",
            "--size",
            "0.02",
            "--name",
            "bot",
            "--as",
            "{dev1}",
        ],
        code: 0,
        has: &["time priority lost: the size grew", "as its agent"],
        pointers: &[],
        save: None,
    },
    Row {
        point: "the agent cancels by client id",
        json: false,
        args: &[
            "cancel",
            "--client-id",
            "9",
            "--name",
            "bot",
            "--as",
            "{dev1}",
        ],
        code: 0,
        has: &["client id 9", "as its agent"],
        pointers: &[],
        save: None,
    },
];

#[test]
fn client_orders_modify_and_trigger_orders_work_from_the_cli() {
    let home = tempfile::tempdir().expect("temp dir");
    let h = home.path();
    let devnet = DevnetProcess::start(h, &[]).0;
    let mut values = setup(h);
    for row in ROWS {
        check(h, row, &mut values);
    }
    devnet.stop();
}

/// The mark's 93 % and 92 % in whole dollars (inside the 10 % price band) (`{low}`, `{lower}`), dev1's address, and a
/// `bot` key dev1 approved as its agent.
fn setup(h: &Path) -> BTreeMap<String, String> {
    let mark = wait(|| {
        let json = run_json(h, &["markets"]);
        let micro = json["markets"][0]["mark_price"].as_u64()?;
        (micro > 0).then_some(micro / 1_000_000)
    });
    let address = |name: &str| {
        run_json(h, &["keys", "show", "--name", name])["account"]
            .as_str()
            .expect("an address")
            .to_string()
    };
    vigil(h, None, &["keys", "new", "--name", "bot"]).ok();
    let (dev1, bot) = (address("dev1"), address("bot"));
    vigil(h, None, &["agent", "approve", &bot, "--name", "dev1"]).ok();
    BTreeMap::from([
        ("{low}".to_string(), (mark * 93 / 100).to_string()),
        ("{lower}".to_string(), (mark * 92 / 100).to_string()),
        ("{dev1}".to_string(), dev1),
        ("{bot}".to_string(), bot),
    ])
}

fn fill(text: &str, values: &BTreeMap<String, String>) -> String {
    values
        .iter()
        .fold(text.to_string(), |t, (k, v)| t.replace(k.as_str(), v))
}

fn check(h: &Path, row: &Row, values: &mut BTreeMap<String, String>) {
    let point = row.point;
    let mut args: Vec<String> = row.args.iter().map(|a| fill(a, values)).collect();
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

fn run_json(h: &Path, args: &[&str]) -> serde_json::Value {
    let mut full = vec!["--json"];
    full.extend(args);
    vigil(h, None, &full).json()
}

/// Polls `check` (bounded in count and time) until it yields a value.
fn wait<T>(mut check: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    for _ in 0..10_000 {
        if let Some(value) = check() {
            return value;
        }
        assert!(started.elapsed() < PATIENCE, "timed out");
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("gave up");
}
