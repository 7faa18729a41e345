//! Issue #18's CLI points as one table: each row is a command a user ran, the text
//! fragments its output must (and must not) hold, and the `--json` fields the same command
//! must give (for a failure: the error line's stable code). Every row runs the real `vigil`
//! binary against one real `vigil devnet` process, found through its `devnet.json` as a
//! user's would be; a row whose output prints a hint in backticks also runs that hint as
//! printed and expects it to succeed. After the devnet stops, its stale `devnet.json`
//! must be named in the connection error, and the printed `vigil devnet` must bring the
//! command back.
//!
//! The issue's points that are not one `vigil` command each have their own tables: the
//! service binaries' help texts, log colours, `/metrics` and the verifier's quiet log
//! (`operators.rs`), the data-dir locks and chain identity (`locks.rs`), every usage
//! mistake and help page (`usage.rs`), the README run as written (`walkthrough.rs`), and
//! `vigil bench`'s progress on a terminal (`bench.rs`).

use crate::support::{DevnetProcess, vigil};
use std::collections::BTreeMap;
use std::path::Path;

use std::time::{Duration, Instant};

const PATIENCE: Duration = Duration::from_secs(120);

/// One point of the issue: `args` (after `vigil`, `{name}` filled from the setup), the
/// exit code, fragments of stdout+stderr that must be there and must not, the `--json`
/// pointers that must be non-null (with a value when given), whether a hint in
/// backticks is printed that must run as printed, and a command (when not empty) whose
/// output must list the order the row's output names (`order id NNNNNN`) by that short id.
struct Row {
    point: &'static str,
    args: &'static [&'static str],
    code: i32,
    has: &'static [&'static str],
    lacks: &'static [&'static str],
    json: &'static [(&'static str, Option<&'static str>)],
    hint_runs: bool,
    order_listed_by: &'static [&'static str],
}

const ROWS: &[Row] = &[
    Row {
        point: "a dropped market order says why; default slippage 5%; no batch-index wording",
        args: &["order", "sell", "BTC-PERP", "0.01", "--name", "alice"],
        code: 0,
        has: &[
            "worst price",
            "why       nothing rested on the other side",
            "index in batch",
        ],
        lacks: &["position 0"],
        json: &[
            ("/cancelled_because", None),
            ("/slippage_bps", Some("500")),
            ("/worst_price_decimal", None),
            ("/market_symbol", Some("BTC-PERP")),
            ("/market_id", Some("1")),
            ("/receipt/order/cancelled_decimal", Some("0.0100")),
            ("/tx_hash", None),
            ("/index_in_batch", None),
        ],
        hint_runs: false,
        order_listed_by: &[],
    },
    Row {
        point: "a 100 BTC market sell from a small account says why it filled nothing",
        args: &["order", "sell", "BTC-PERP", "100", "--name", "alice"],
        code: 0,
        has: &["why", "100.0000"],
        lacks: &["position 0"],
        json: &[("/cancelled_because", None)],
        hint_runs: false,
        order_listed_by: &[],
    },
    Row {
        point: "account: an available-to-withdraw line, aligned USDC",
        args: &["account", "--name", "alice"],
        code: 0,
        has: &["available to withdraw", ".000000 USDC"],
        lacks: &[],
        json: &[
            ("/available_to_withdraw_decimal", None),
            ("/collateral_decimal", None),
        ],
        hint_runs: false,
        order_listed_by: &[],
    },
    Row {
        point: "positions: side, entry, liquidation price, leverage, PnL at the market's precision",
        args: &["positions", "--name", "alice"],
        code: 0,
        has: &[
            "side",
            "entry",
            "liq. price",
            "leverage",
            "unrealized PnL",
            "long",
            "0.1000",
        ],
        lacks: &[],
        json: &[
            ("/positions/0/side", Some("long")),
            ("/positions/0/size_decimal", Some("0.1000")),
            ("/positions/0/market_symbol", Some("BTC-PERP")),
            ("/positions/0/liquidation_price_decimal", None),
        ],
        hint_runs: false,
        order_listed_by: &[],
    },
    Row {
        point: "open orders: the id is labelled and short (its last six digits)",
        args: &["account", "--name", "dev1"],
        code: 0,
        has: &["order id", "BTC-PERP  buy", "{short}"],
        lacks: &[],
        json: &[
            ("/open_orders/0/price_decimal", None),
            ("/open_orders/0/market_symbol", Some("BTC-PERP")),
        ],
        hint_runs: false,
        order_listed_by: &[],
    },
    Row {
        point: "a cancel by the short id printed; the reason in words, not an enum name",
        args: &["cancel", "{short}", "--name", "dev1"],
        code: 0,
        has: &["cancelled by its owner", "cancelled order {short} of"],
        lacks: &["User", "MakerMargin"],
        json: &[],
        hint_runs: false,
        order_listed_by: &[],
    },
    Row {
        point: "an empty book says so, with the order that fills it",
        args: &["book", "ETH-PERP"],
        code: 0,
        has: &["the book is empty", "vigil order buy ETH-PERP SIZE @ PRICE"],
        lacks: &["-----"],
        json: &[
            ("/market_symbol", Some("ETH-PERP")),
            ("/market_id", Some("2")),
            ("/mark_price_decimal", None),
        ],
        hint_runs: false,
        order_listed_by: &[],
    },
    Row {
        point: "fills: one schema, decimals beside raw integers",
        args: &["fills", "--name", "alice"],
        code: 0,
        has: &["taker"],
        lacks: &[],
        json: &[
            ("/fills/0/price_decimal", None),
            ("/fills/0/size_decimal", Some("0.1000")),
            ("/fills/0/market_symbol", Some("BTC-PERP")),
        ],
        hint_runs: false,
        order_listed_by: &[],
    },
    Row {
        point: "insufficient_margin: required and available in USDC",
        args: &[
            "order", "buy", "BTC-PERP", "100", "@", "{mark}", "--name", "alice",
        ],
        code: 1,
        has: &["insufficient_margin", "required", "available", " USDC"],
        lacks: &[],
        json: &[("/code", Some("insufficient_margin"))],
        hint_runs: false,
        order_listed_by: &[],
    },
    Row {
        point: "insufficient_collateral: what may be withdrawn now, with the command showing it",
        args: &["withdraw", "1000000", "--name", "alice"],
        code: 1,
        has: &[
            "insufficient_collateral",
            "available to withdraw now",
            "USDC",
        ],
        lacks: &[],
        json: &[("/code", Some("insufficient_collateral"))],
        hint_runs: true,
        order_listed_by: &[],
    },
    Row {
        point: "price_outside_band: the band and the mark",
        args: &[
            "order", "buy", "BTC-PERP", "0.01", "@", "1000", "--name", "alice",
        ],
        code: 1,
        has: &["price_outside_band", "band", "mark"],
        lacks: &[],
        json: &[("/code", Some("price_outside_band"))],
        hint_runs: false,
        order_listed_by: &[],
    },
    Row {
        point: "L1 errors in USDC, not only base units",
        args: &["l1", "deposit", "--name", "alice", "--amount", "1,000,000"],
        code: 1,
        has: &["1,000,000.000000 USDC", "holds"],
        lacks: &[],
        json: &[("/code", Some("insufficient_balance"))],
        hint_runs: true,
        order_listed_by: &[],
    },
    Row {
        point: "--json errors from local checks carry a code",
        args: &["order", "buy", "BTC-PERP", "0.00001", "--name", "alice"],
        code: 2,
        has: &["decimal places"],
        lacks: &[],
        json: &[("/code", Some("usage"))],
        hint_runs: false,
        order_listed_by: &[],
    },
    Row {
        point: "withdraw --wait: the claim hint names the key and runs as printed; USDC as account prints it (6 decimals)",
        args: &[
            "withdraw",
            "10",
            "--name",
            "alice",
            "--wait",
            "--timeout-secs",
            "60",
        ],
        code: 0,
        has: &[
            "vigil l1 claim --withdrawal-id",
            "--name alice",
            "10.000000 USDC",
        ],
        lacks: &[],
        json: &[("/withdrawal_id", None)],
        hint_runs: true,
        order_listed_by: &[],
    },
    Row {
        point: "claiming twice says already claimed",
        args: &["l1", "claim", "--withdrawal-id", "0", "--name", "alice"],
        code: 1,
        has: &["already claimed"],
        lacks: &["not claimable yet"],
        json: &[("/code", None)],
        hint_runs: false,
        order_listed_by: &[],
    },
    Row {
        point: "force withdraw prints the withdrawal id, and USDC with 6 decimals",
        args: &["force", "withdraw", "10", "--name", "alice", "--wait"],
        code: 0,
        has: &[
            "withdrawal id",
            "vigil withdrawal",
            "withdrawal of 10.000000 USDC",
        ],
        lacks: &[],
        json: &[("/withdrawal_id", None), ("/tx_hash", None)],
        hint_runs: true,
        order_listed_by: &[],
    },
    Row {
        point: "force close follows up with what happened, naming its order by the short id the order history shows",
        args: &["force", "close", "BTC-PERP", "--name", "alice", "--wait"],
        code: 0,
        has: &["filled", "why", "order id "],
        lacks: &["lots"],
        json: &[
            ("/executed/receipt/order", None),
            ("/cancelled_because", None),
        ],
        hint_runs: false,
        order_listed_by: &["history", "orders", "--name", "alice"],
    },
    Row {
        point: "keys list knows the devnet accounts",
        args: &["keys", "list"],
        code: 0,
        has: &["dev0", "dev1", "(devnet account)", "alice"],
        lacks: &[],
        json: &[("/keys/0/account", None)],
        hint_runs: false,
        order_listed_by: &[],
    },
    Row {
        point: "keys show knows a devnet account",
        args: &["keys", "show", "--name", "dev1"],
        code: 0,
        has: &["dev1", "0x"],
        lacks: &[],
        json: &[("/account", None)],
        hint_runs: false,
        order_listed_by: &[],
    },
    Row {
        point: "a first command without --name says exactly what to run",
        args: &["account"],
        code: 2,
        has: &["`vigil keys new`", "--name dev0"],
        lacks: &[],
        json: &[("/code", Some("usage"))],
        hint_runs: true,
        order_listed_by: &[],
    },
    Row {
        point: "help: URL options only where they apply",
        args: &["account", "--help"],
        code: 0,
        has: &["--sequencer-url", "--name"],
        lacks: &["--l1-url"],
        json: &[],
        hint_runs: false,
        order_listed_by: &[],
    },
    Row {
        point: "a typo'd flag keeps clap's similar-argument tip",
        args: &["order", "buy", "BTC-PERP", "1", "--nmae", "alice"],
        code: 2,
        has: &["a similar argument exists: '--name'", "vigil order --help"],
        lacks: &[],
        json: &[("/code", Some("usage"))],
        hint_runs: true,
        order_listed_by: &[],
    },
    Row {
        point: "order long lists the sides",
        args: &["order", "long", "BTC-PERP", "1"],
        code: 2,
        has: &["possible values: buy, sell"],
        lacks: &[],
        json: &[("/code", Some("usage"))],
        hint_runs: true,
        order_listed_by: &[],
    },
    Row {
        point: "l1 faucet prints USDC with all six decimals, as account does",
        args: &["l1", "faucet", "--name", "alice", "--amount", "1"],
        code: 0,
        has: &["minted 1.000000 USDC", ".000000 USDC"],
        lacks: &[],
        json: &[("/minted_decimal", Some("1.000000")), ("/account", None)],
        hint_runs: false,
        order_listed_by: &[],
    },
    Row {
        point: "leverage: the setting, its maximum and the margin it implies",
        args: &["leverage", "BTC-PERP", "--name", "alice"],
        code: 0,
        has: &[
            "in BTC-PERP: ",
            "x (max 10x): new risk needs",
            "% initial margin",
        ],
        lacks: &[],
        json: &[
            ("/leverage", None),
            ("/max_leverage", Some("10")),
            ("/market_symbol", Some("BTC-PERP")),
        ],
        hint_runs: false,
        order_listed_by: &[],
    },
    Row {
        point: "leverage set: what it changes, with the receipt",
        args: &["leverage", "BTC-PERP", "5", "--name", "alice"],
        code: 0,
        has: &["set to 5x", "1/5 of the notional", "status    ok"],
        lacks: &[],
        json: &[("/leverage", Some("5")), ("/status", Some("ok"))],
        hint_runs: false,
        order_listed_by: &[],
    },
    Row {
        point: "margin mode: cross until set, in words and --json",
        args: &["margin", "mode", "--market", "ETH-PERP", "--name", "alice"],
        code: 0,
        has: &["in ETH-PERP: cross"],
        lacks: &[],
        json: &[("/mode", Some("cross"))],
        hint_runs: false,
        order_listed_by: &[],
    },
    Row {
        point: "margin mode set: isolated, what it means, with the receipt",
        args: &[
            "margin", "mode", "--market", "ETH-PERP", "isolated", "--name", "alice",
        ],
        code: 0,
        has: &["set to isolated", "never touches the rest", "status    ok"],
        lacks: &[],
        json: &[("/mode", Some("isolated")), ("/status", Some("ok"))],
        hint_runs: false,
        order_listed_by: &[],
    },
    Row {
        point: "margin add without a position: the engine's code and why",
        args: &[
            "margin", "add", "--market", "ETH-PERP", "5", "--name", "alice",
        ],
        code: 1,
        has: &["no_position", "an order draws what it needs"],
        lacks: &[],
        json: &[("/code", Some("no_position"))],
        hint_runs: false,
        order_listed_by: &[],
    },
    Row {
        point: "demo fraud --json: amounts as raw integers with decimal strings, as in every command",
        args: &["demo", "fraud", "--fault", "mint"],
        code: 0,
        has: &["every step happened as expected", "100,000.000000 USDC"],
        lacks: &[],
        json: &[
            ("/timeline/0/details/accounts/0/account", None),
            (
                "/timeline/0/details/accounts/0/collateral",
                Some("100000000000"),
            ),
            (
                "/timeline/0/details/accounts/0/collateral_decimal",
                Some("100000.000000"),
            ),
            ("/timeline/1/details/market_symbol", Some("BTC-PERP")),
            ("/timeline/1/details/size_decimal", Some("1.0000")),
            (
                "/timeline/3/details/outcome/reward_decimal",
                Some("500.000000"),
            ),
            ("/timeline/4/details/slashed_decimal", Some("1000.000000")),
        ],
        hint_runs: false,
        order_listed_by: &[],
    },
    Row {
        point: "demo options --json: each step's output in the schema, series named and sized",
        args: &["demo", "options"],
        code: 0,
        has: &["every step happened as expected", "$ vigil order buy BTC-"],
        lacks: &[],
        json: &[
            ("/steps/0/output/series/0/strike_price_decimal", None),
            ("/steps/2/output/market_symbol", None),
            (
                "/steps/2/output/receipt/order/filled_decimal",
                Some("0.1000"),
            ),
            (
                "/steps/2/output/receipt/fills/0/size_decimal",
                Some("0.1000"),
            ),
            (
                "/steps/6/output/option_positions/0/size_decimal",
                Some("0.1000"),
            ),
            ("/steps/6/output/option_positions/0/value_decimal", None),
        ],
        hint_runs: false,
        order_listed_by: &[],
    },
    Row {
        point: "bench: a small run reports its throughput, latency and the recovery ratio",
        args: &[
            "bench",
            "--count",
            "40",
            "--accounts",
            "1",
            "--recoveries",
            "200",
        ],
        code: 0,
        has: &["bench: 40 orders on BTC-PERP", "accepted", "p99.9", "ratio"],
        lacks: &["0/40"],
        json: &[
            ("/submitted", Some("40")),
            ("/accepted_per_sec", None),
            ("/recoveries_per_sec", None),
        ],
        hint_runs: false,
        order_listed_by: &[],
    },
    Row {
        point: "a size of -1 is a clear error",
        args: &["order", "buy", "BTC-PERP", "-1", "--name", "alice"],
        code: 2,
        has: &["size must be positive"],
        lacks: &["unexpected argument"],
        json: &[("/code", Some("usage"))],
        hint_runs: false,
        order_listed_by: &[],
    },
];

#[test]
fn every_cli_point_of_issue_18_holds_against_a_devnet() {
    let home = tempfile::tempdir().expect("temp dir");
    let h = home.path();
    let devnet = DevnetProcess::start(h, &[]).0;
    let values = setup(h);
    for row in ROWS {
        check(h, row, &values);
    }
    devnet.stop();
    a_stale_devnet_json_is_named_and_its_hint_restarts_it(h);
}

/// No devnet at all: `--name dev0` says to start one, never to create a key that would
/// shadow the dev account; the hint given runs.
#[test]
fn a_dev_account_name_without_a_devnet_says_to_start_one() {
    let home = tempfile::tempdir().expect("temp dir");
    let run = vigil(home.path(), None, &["account", "--name", "dev0"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("is a devnet account"), "{}", run.stderr);
    assert!(run.stderr.contains("`vigil devnet"), "{}", run.stderr);
    assert!(!run.stderr.contains("keys new"), "{}", run.stderr);
}

/// A funded alice with a 0.1 BTC long, dev1's resting bid far under the mark (`{short}`: its id as printed),
/// and the mark in dollars (`{mark}`).
fn setup(h: &Path) -> BTreeMap<&'static str, String> {
    let mark = wait(|| {
        let json = run_ok_json(h, &["markets"]);
        let micro = json["markets"][0]["mark_price"].as_u64()?;
        (micro > 0).then_some(micro / 1_000_000)
    });
    for args in [
        &["keys", "new", "--name", "alice"][..],
        &["l1", "faucet", "--name", "alice", "--amount", "10000"],
        &["l1", "deposit", "--name", "alice", "--amount", "5000"],
    ] {
        vigil(h, None, args).ok();
    }
    wait(|| {
        let json = run_ok_json(h, &["account", "--name", "alice"]);
        (json["collateral"].as_i64()? > 0).then_some(())
    });
    let low = (mark * 92 / 100).to_string();
    let bid = [
        "order", "buy", "BTC-PERP", "0.01", "@", &low, "--name", "dev1",
    ];
    let order = run_ok_json(h, &bid)["order_id"]
        .as_u64()
        .expect("an order id");
    // What people see and may type back: the last six digits (docs/JSON.md).
    let short = format!("{:06}", order % 1_000_000);
    let ask = (mark + 50).to_string();
    let sell = [
        "order", "sell", "BTC-PERP", "0.1", "@", &ask, "--name", "dev0",
    ];
    vigil(h, None, &sell).ok();
    let buy = run_ok_json(h, &["order", "buy", "BTC-PERP", "0.1", "--name", "alice"]);
    assert_eq!(buy["receipt"]["order"]["filled"], 1_000, "{buy}");
    BTreeMap::from([("{mark}", mark.to_string()), ("{short}", short)])
}

fn check(h: &Path, row: &Row, values: &BTreeMap<&'static str, String>) {
    let args: Vec<String> = row
        .args
        .iter()
        .map(|a| values.get(a).cloned().unwrap_or_else(|| a.to_string()))
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = vigil(h, None, &args);
    let all = format!("{}{}", run.stdout, run.stderr);
    let point = row.point;
    assert_eq!(run.code, row.code, "{point}: {args:?}: {all}");
    for fragment in row.has {
        let fragment = &values
            .iter()
            .fold(fragment.to_string(), |t, (k, v)| t.replace(k, v));
        assert!(
            all.contains(fragment),
            "{point}: {fragment:?} missing: {all}"
        );
    }
    for fragment in row.lacks {
        assert!(
            !all.contains(fragment),
            "{point}: {fragment:?} present: {all}"
        );
    }
    check_json(h, row, &args);
    if !row.order_listed_by.is_empty() {
        check_order_listed(h, row, &all);
    }
    // After the `--json` run: a hint may change what the command does (`vigil keys new`).
    if row.hint_runs {
        run_hint(h, point, &all);
    }
}

fn check_json(h: &Path, row: &Row, args: &[&str]) {
    let point = row.point;
    if row.json.is_empty() {
        return;
    }
    let mut json_args = vec!["--json"];
    json_args.extend(args);
    let run = vigil(h, None, &json_args);
    assert_eq!(run.code, row.code, "{point} --json: {}", run.stderr);
    let body = if run.code == 0 {
        &run.stdout
    } else {
        &run.stderr
    };
    let json: serde_json::Value = serde_json::from_str(body.trim())
        .unwrap_or_else(|e| panic!("{point}: not JSON ({e}): {body}"));
    for (pointer, want) in row.json {
        let got = json.pointer(pointer).filter(|v| !v.is_null());
        let got = got.unwrap_or_else(|| panic!("{point}: {pointer} missing: {json}"));
        if let Some(want) = want {
            let text = got.as_str().map_or_else(|| got.to_string(), str::to_string);
            assert_eq!(&text, want, "{point}: {pointer}: {json}");
        }
    }
}

/// The order `output` names (`order id NNNNNN`: six digits, the short form) is listed by
/// `row.order_listed_by` under that id.
fn check_order_listed(h: &Path, row: &Row, output: &str) {
    let point = row.point;
    let (_, after) = output
        .split_once("order id ")
        .unwrap_or_else(|| panic!("{point}: no order id: {output}"));
    let id: String = after.chars().take_while(char::is_ascii_digit).collect();
    assert_eq!(id.len(), 6, "{point}: not a short id: {after}");
    let listing = vigil(h, None, row.order_listed_by).ok();
    let words: Vec<&str> = listing.split_whitespace().collect();
    assert!(
        words.contains(&id.as_str()),
        "{point}: order {id} not in `vigil {}`: {listing}",
        row.order_listed_by.join(" ")
    );
}

/// Runs the first `vigil …` command printed in backticks, as printed (the data dir is
/// the test's, as `VIGIL_HOME` would be a user's), and expects it to succeed.
fn run_hint(h: &Path, point: &str, output: &str) {
    let hint = output
        .split('`')
        .skip(1)
        .step_by(2)
        .find(|quoted| quoted.starts_with("vigil "))
        .unwrap_or_else(|| panic!("{point}: no hint in backticks: {output}"));
    let words: Vec<&str> = hint.split_whitespace().skip(1).collect();
    let run = vigil(h, None, &words);
    assert_eq!(
        run.code, 0,
        "{point}: the hint `{hint}` failed: {}",
        run.stderr
    );
}

/// The devnet stopped, its `devnet.json` stays: the error names the file and says to start
/// it again; the printed command (on OS-picked ports here) does, and the command works.
fn a_stale_devnet_json_is_named_and_its_hint_restarts_it(h: &Path) {
    let run = vigil(h, None, &["markets"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("devnet.json, left by a devnet that is no longer running"),
        "{}",
        run.stderr
    );
    let json = vigil(h, None, &["--json", "markets"]);
    let body: serde_json::Value = serde_json::from_str(json.stderr.trim()).expect("a JSON error");
    assert_eq!(body["code"], "unreachable", "{body}");
    let hint = run.stderr.split('`').nth(1).expect("a hint in backticks");
    let words: Vec<&str> = hint.split_whitespace().skip(1).collect();
    assert_eq!(words.first(), Some(&"devnet"), "{hint}");
    // A bounded oracle run gives up in seconds, naming the sequencer and the devnet.
    let oracle = vigil(h, None, &["oracle", "--ticks", "1"]);
    assert_eq!(oracle.code, 1, "{oracle:?}");
    for fragment in ["cannot reach the sequencer", "attempts", "`vigil devnet`"] {
        assert!(oracle.stderr.contains(fragment), "{fragment:?}: {oracle:?}");
    }
    let devnet = DevnetProcess::start(h, &words[1..]).0;
    vigil(h, None, &["markets"]).ok();
    devnet.stop();
}

fn run_ok_json(h: &Path, args: &[&str]) -> serde_json::Value {
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
